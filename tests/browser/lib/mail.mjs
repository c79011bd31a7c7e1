// The mail the file backend writes: runs `bin/mailer --once`, reads the .eml files, decodes quoted-printable.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

function runMailer() {
	execFileSync(process.env.MAILER, ['--once'], {
		env: { ...process.env, AUTHCGI_CONFIG: process.env.AUTHCGI_CONFIG },
		stdio: ['ignore', 'ignore', 'pipe'],
		timeout: 30000,
	});
}

// Decodes an RFC 2047 encoded-word header value (B or Q), leaving plain text as it is.
function decodeHeader(value) {
	return value.replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=\s*/g, (_, charset, enc, text) => {
		const bytes = enc.toUpperCase() === 'B'
			? Buffer.from(text, 'base64')
			: qpBytes(text.replace(/_/g, ' '));
		return bytes.toString('utf8');
	});
}

function qpBytes(text) {
	const soft = text.replace(/=\r?\n/g, '');
	const out = [];
	for (let i = 0; i < soft.length; i++) {
		if (soft[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
			out.push(parseInt(soft.slice(i + 1, i + 3), 16));
			i += 2;
		} else {
			out.push(...Buffer.from(soft[i], 'latin1'));
		}
	}
	return Buffer.from(out);
}

function splitHead(raw) {
	const at = raw.search(/\r?\n\r?\n/);
	const head = at < 0 ? raw : raw.slice(0, at);
	const body = at < 0 ? '' : raw.slice(at).replace(/^\r?\n\r?\n/, '');
	const headers = {};
	for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
		const colon = line.indexOf(':');
		if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
	}
	return { headers, body };
}

function decodeBody(headers, body) {
	const cte = (headers['content-transfer-encoding'] || '').toLowerCase();
	if (cte === 'quoted-printable') return qpBytes(body).toString('utf8');
	if (cte === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
	return body;
}

// The decoded text/plain part of a (possibly nested multipart) message, or null.
function plainText(headers, body) {
	const type = headers['content-type'] || 'text/plain';
	const m = /boundary="?([^";]+)"?/i.exec(type);
	if (!/^multipart\//i.test(type) || !m) return /^text\/plain/i.test(type) ? decodeBody(headers, body) : null;
	for (const chunk of body.split('--' + m[1]).slice(1)) {
		if (chunk.startsWith('--')) break;
		const part = splitHead(chunk.replace(/^\r?\n/, ''));
		const text = plainText(part.headers, part.body);
		if (text !== null) return text;
	}
	return null;
}

export function parseMessage(raw) {
	const { headers, body } = splitHead(raw);
	return {
		to: decodeHeader(headers.to || ''),
		subject: decodeHeader(headers.subject || ''),
		text: plainText(headers, body),
	};
}

// Waits for a message to `to` whose subject is `subject`, running the mailer between looks.
// The file is deleted once read, so the next call finds the next message.
export async function waitForMail(to, subject, timeoutMs = 15000) {
	const dir = process.env.MAIL_DIR;
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		runMailer();
		for (const name of readdirSync(dir).filter((n) => n.endsWith('.eml')).sort()) {
			const path = join(dir, name);
			const msg = parseMessage(readFileSync(path, 'utf8'));
			if (msg.to.toLowerCase().includes(to.toLowerCase()) && msg.subject === subject) {
				unlinkSync(path);
				return msg;
			}
		}
		if (Date.now() > deadline) throw new Error(`no e-mail "${subject}" to ${to} within ${timeoutMs} ms`);
		await sleep(200);
	}
}

// The link of the text part that starts with prefix: it stands alone on its own line (API.md §6.2).
export function linkIn(msg, prefix) {
	const line = (msg.text || '').split(/\r?\n/).map((l) => l.trim()).find((l) => l.startsWith(prefix));
	if (!line) throw new Error(`no link starting with ${prefix} in:\n${msg.text}`);
	return line;
}

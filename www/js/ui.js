// Small DOM helpers shared by the pages: messages next to forms, busy buttons, query parameters, dates.
import { SITE_ROOT, sitePath } from './config.js';

export const $ = (selector, root = document) => root.querySelector(selector);

// Shows text in a form's message box; kind is 'error', 'ok' or 'info'. Text only, never HTML.
export function say(box, text, kind = 'info') {
	if (!box) return;
	box.className = 'msg ' + kind;
	box.textContent = text || '';
}

// The message box that belongs to a form: the element with class "msg" inside it.
export const msgOf = (form) => form.querySelector('.msg');

// Runs handler(form) on submit, with every button of the form disabled until it settles.
export function onSubmit(form, handler) {
	form.addEventListener('submit', async (event) => {
		event.preventDefault();
		if (form.getAttribute('aria-busy') === 'true') return;
		const buttons = [...form.querySelectorAll('button')];
		form.setAttribute('aria-busy', 'true');
		for (const b of buttons) b.disabled = true;
		try {
			await handler(form);
		} catch (err) {
			say(msgOf(form), 'This page ran into a problem: ' + (err && err.message ? err.message : err), 'error');
		} finally {
			form.removeAttribute('aria-busy');
			for (const b of buttons) b.disabled = false;
		}
	});
}

// Disables one button while task() runs (for buttons outside forms).
export async function whileBusy(button, task) {
	if (button.disabled) return;
	button.disabled = true;
	button.setAttribute('aria-busy', 'true');
	try {
		await task();
	} finally {
		button.disabled = false;
		button.removeAttribute('aria-busy');
	}
}

// A value of the page's query string, percent-decoded (a malformed escape is kept as it is), or null.
export function queryParam(name) {
	for (const part of location.search.replace(/^\?/, '').split('&')) {
		const eq = part.indexOf('=');
		const key = eq < 0 ? part : part.slice(0, eq);
		if (key !== name) continue;
		const raw = eq < 0 ? '' : part.slice(eq + 1);
		try {
			return decodeURIComponent(raw);
		} catch {
			return raw.replace(/%20/g, ' ');
		}
	}
	return null;
}

// A path of this site to go to after login, from ?next=; anything else becomes the site's home
// (sitePath('/')). The value is resolved against the page's origin, as location.assign() would
// resolve it (the URL parser drops tabs and newlines, reads a backslash as "/" and removes "/./"),
// and only a same-origin result under the site's own prefix is kept (on shared hosting the origin
// also serves other people's pages). What is returned is that resolved path, query and fragment,
// never the raw text, so the page goes exactly where it checked. Control characters and
// backslashes, raw or percent-encoded, and a path that starts with "//" are refused outright.
const UNSAFE = /[\u0000-\u001f\u007f\\]|%(?:[01][0-9a-f]|7f|5c)/i;

export function safeNext(value) {
	const home = sitePath('/');
	if (typeof value !== 'string' || !value.startsWith('/') || UNSAFE.test(value)) return home;
	let url;
	try {
		url = new URL(value, location.origin);
	} catch {
		return home;
	}
	const path = url.pathname + url.search + url.hash;
	if (url.origin !== location.origin || !path.startsWith('/') || path.startsWith('//') || UNSAFE.test(path) ||
		!url.pathname.startsWith(SITE_ROOT.pathname)) return home;
	return path;
}

// "2023-05-20 08:20:01.123456+00:00" (API.md §3) as local date and time text.
export function formatTime(apiTime, withTime = true) {
	if (!apiTime) return '';
	const d = new Date(String(apiTime).replace(' ', 'T').replace(/\.\d+/, ''));
	if (Number.isNaN(d.getTime())) return String(apiTime);
	return withTime ? d.toLocaleString() : d.toLocaleDateString();
}

export function formatBytes(n) {
	if (n < 1024) return `${n} bytes`;
	if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
	return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

// Checks that a new password and its confirmation agree; says so in the box when they do not.
export function passwordsMatch(form, a, b) {
	if (form.elements[a].value === form.elements[b].value) return true;
	say(msgOf(form), 'The two new passwords do not match.', 'error');
	form.elements[b].focus();
	return false;
}

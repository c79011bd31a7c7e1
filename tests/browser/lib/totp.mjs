// RFC 6238 TOTP (HMAC-SHA1, 6 digits, 30 s) for the journeys, and a clock that never reuses a step.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
export const PERIOD = 30;

export function base32Decode(text) {
	let bits = 0;
	let value = 0;
	const out = [];
	for (const ch of text.replace(/=+$/, '').toUpperCase()) {
		const i = BASE32.indexOf(ch);
		if (i < 0) throw new Error(`not base32: ${JSON.stringify(text)}`);
		value = ((value << 5) | i) & 0xffff;
		bits += 5;
		if (bits >= 8) {
			out.push((value >>> (bits - 8)) & 0xff);
			bits -= 8;
		}
	}
	return Buffer.from(out);
}

// The code of a time step for a secret given as base32.
export function totpAt(secret, step) {
	const counter = Buffer.alloc(8);
	counter.writeBigUInt64BE(BigInt(step));
	const h = createHmac('sha1', base32Decode(secret)).update(counter).digest();
	const o = h[h.length - 1] & 0x0f;
	const n = (((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3]) % 1000000;
	return String(n).padStart(6, '0');
}

export const stepNow = () => Math.floor(Date.now() / 1000 / PERIOD);

// The vectors of RFC 6238 Appendix B (API.md §11.1), so that a failure is never this file's fault.
export function selfTest() {
	const secret = base32Encode(Buffer.from('12345678901234567890'));
	assert.equal(secret, 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
	assert.equal(totpAt(secret, Math.floor(59 / PERIOD)), '287082');
	assert.equal(totpAt(secret, Math.floor(1111111109 / PERIOD)), '081804');
	assert.equal(totpAt(secret, Math.floor(1234567890 / PERIOD)), '005924');
}

export function base32Encode(bytes) {
	let bits = 0;
	let value = 0;
	let out = '';
	for (const b of bytes) {
		value = ((value << 8) | b) & 0xffff;
		bits += 8;
		while (bits >= 5) {
			out += BASE32[(value >>> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
	return out;
}

// Codes for one secret, each of a step later than the last one handed out, since the server
// refuses a step that is not greater than the last it accepted (API.md §11.1). A step is used
// while it is the current one or the next (the server accepts one step either side); when the
// next unused step is further ahead, this waits for the clock.
export class TotpClock {
	constructor(secret) {
		this.secret = secret;
		this.last = 0;
	}

	async next() {
		for (;;) {
			const now = stepNow();
			const step = Math.max(now, this.last + 1);
			if (step <= now + 1) {
				this.last = step;
				return totpAt(this.secret, step);
			}
			await sleep(((now + 1) * PERIOD * 1000) - Date.now() + 50);
		}
	}
}

// A 6-digit code that the server cannot accept now: none of the steps around the present.
export function invalidCode(secret) {
	const now = stepNow();
	const valid = new Set([-2, -1, 0, 1, 2].map((d) => totpAt(secret, now + d)));
	let n = Number(totpAt(secret, now));
	for (;;) {
		n = (n + 500001) % 1000000;
		const code = String(n).padStart(6, '0');
		if (!valid.has(code)) return code;
	}
}

// Same-origin calls to the authcgi API (/users/..., under the site's prefix): JSON or multipart in, {ok, status, data} out; never throws.

import { sitePath } from './config.js';

const UNREACHABLE = 'The server could not be reached. Check your connection and try again.';

export async function api(path, { method = 'GET', json, form } = {}) {
	const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
	if (json !== undefined) {
		init.headers['Content-Type'] = 'application/json';
		init.body = JSON.stringify(json);
	} else if (form !== undefined) {
		init.body = form; // the browser writes the multipart Content-Type with its boundary
	}
	let res;
	try {
		res = await fetch(sitePath(path), init);
	} catch {
		return { ok: false, status: 0, data: { error: UNREACHABLE } };
	}
	let data = null;
	try {
		data = await res.json();
	} catch {
		data = null;
	}
	if (!res.ok && !(data && typeof data.error === 'string')) {
		data = { error: `Unexpected answer from the server (HTTP ${res.status}). Please try again later.` };
	}
	return { ok: res.ok, status: res.status, data };
}

// The text to show for an answer: the API's own error or message string.
export function textOf(result, fallback = '') {
	const d = result.data;
	if (d && typeof d.error === 'string') return d.error;
	if (d && typeof d.message === 'string') return d.message;
	return fallback;
}

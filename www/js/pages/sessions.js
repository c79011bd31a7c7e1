// Sessions page: lists the account's sessions (/users/sessions/) and revokes one or all the others.
import { api } from '../api.js';
import { sitePath } from '../config.js';
import { $, formatTime, say, whileBusy } from '../ui.js';
import { renderNav, requireUser, showPageError } from '../session.js';

const list = $('#sessions');
const box = $('#sessions-msg');
const othersButton = $('#revoke-others');

function item(s) {
	const li = document.createElement('li');
	li.dataset.sid = s.id;
	const ua = document.createElement('p');
	ua.className = 'ua';
	ua.textContent = s.user_agent || 'Unknown browser';
	if (s.current) {
		const badge = document.createElement('span');
		badge.className = 'badge';
		badge.textContent = 'This browser';
		ua.append(badge);
	}
	const meta = document.createElement('p');
	meta.className = 'meta';
	meta.textContent = [
		`From ${s.ip_address || 'an unknown address'}`,
		`logged in ${formatTime(s.created_at)}`,
		`last seen ${formatTime(s.last_seen_at)}`,
		`expires ${formatTime(s.expires_at)}`,
	].join(' · ');
	const button = document.createElement('button');
	button.type = 'button';
	button.className = 'secondary';
	button.textContent = s.current ? 'Log out here' : 'Revoke';
	button.setAttribute('aria-label', (s.current ? 'Log out this browser: ' : 'Revoke the session of ') + (s.user_agent || 'an unknown browser'));
	button.addEventListener('click', () => whileBusy(button, () => revoke(s)));
	li.append(ua, meta, button);
	return li;
}

async function load() {
	const result = await api('/users/sessions/');
	if (result.status === 401) {
		location.assign(sitePath('/auth/login/') + '?next=' + encodeURIComponent(sitePath('/profile/sessions/')));
		return;
	}
	if (!result.ok) {
		say(box, result.data.error, 'error');
		return;
	}
	const sessions = result.data.sessions || [];
	list.replaceChildren(...sessions.map(item));
	othersButton.hidden = !sessions.some((s) => !s.current);
}

async function revoke(s) {
	const result = await api('/users/sessions/revoke/', { method: 'POST', json: { id: s.id } });
	if (!result.ok) {
		say(box, result.data.error, 'error');
		return;
	}
	say(box, result.data.message, 'ok');
	if (s.current) {
		location.assign(sitePath('/auth/login/'));
		return;
	}
	await load();
}

othersButton.addEventListener('click', () => whileBusy(othersButton, async () => {
	const result = await api('/users/sessions/revoke-others/', { method: 'POST' });
	if (!result.ok) {
		say(box, result.data.error, 'error');
		return;
	}
	const n = Number(result.data.revoked) || 0;
	say(box, `${result.data.message} (${n} ${n === 1 ? 'session' : 'sessions'}).`, 'ok');
	await load();
}));

async function main() {
	renderNav();
	await requireUser();
	await load();
}

main().catch((err) => showPageError(err.message));

// Two-factor page: status (/users/two-factor/), setup with a QR code and confirm, recovery codes
// shown once with a download, new codes and disable (API.md §11.3).
import { api, textOf } from '../api.js';
import { qrSvg } from '../qr.js';
import { $, msgOf, onSubmit, say } from '../ui.js';
import { renderNav, requireUser, showPageError } from '../session.js';

const state = $('#tf-state');
const statusBox = $('#status-msg');
const setupForm = $('#setup-form');
const confirmForm = $('#confirm-form');
const codesCard = $('#codes-card');
const regenForm = $('#regen-form');
const disableForm = $('#disable-form');
let user = null;
let codes = [];

// "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" as "JBSW Y3DP EHPK …": groups of four to ease typing.
const grouped = (secret) => secret.replace(/(.{4})(?=.)/g, '$1 ');

function clear(form) {
	for (const input of form.querySelectorAll('input:not([hidden])')) input.value = '';
}

// Shows the forms that fit the status: setup when off, new codes and disable when on.
function showStatus(status) {
	if (status.enabled) {
		const n = status.recovery_codes_left;
		let text = `Two-factor authentication is on. You have ${n} recovery ${n === 1 ? 'code' : 'codes'} left.`;
		if (n <= 3) text += ' Generate new recovery codes before you run out.';
		state.textContent = text;
	} else {
		state.textContent = 'Two-factor authentication is off.';
	}
	setupForm.hidden = status.enabled || !confirmForm.hidden;
	regenForm.hidden = !status.enabled;
	disableForm.hidden = !status.enabled;
	if (status.enabled) confirmForm.hidden = true;
}

async function refresh() {
	const result = await api('/users/two-factor/');
	if (!result.ok) {
		say(statusBox, textOf(result), 'error');
		return;
	}
	showStatus(result.data);
}

// The recovery codes, shown once: the list, the API's message and the download button.
function showCodes(message, list) {
	codes = list;
	say($('#codes-msg'), message, 'ok');
	$('#codes-list').replaceChildren(...list.map((code) => {
		const li = document.createElement('li');
		const c = document.createElement('code');
		c.textContent = code;
		li.append(c);
		return li;
	}));
	codesCard.hidden = false;
	$('#codes-title').focus();
}

function downloadCodes() {
	const host = location.hostname || 'authcgi';
	const lines = [`Recovery codes for ${user.email} at ${host}`,
		'Each code can be used once, instead of a code from your authenticator app.', '', ...codes, ''];
	const blob = new Blob([lines.join('\n')], { type: 'text/plain;charset=utf-8' });
	const url = URL.createObjectURL(blob);
	const a = document.createElement('a');
	a.href = url;
	a.download = `recovery-codes-${host}.txt`;
	document.body.append(a);
	a.click();
	a.remove();
	setTimeout(() => URL.revokeObjectURL(url), 1000);
}

onSubmit(setupForm, async () => {
	const box = msgOf(setupForm);
	say(box, 'Checking your password…');
	const result = await api('/users/two-factor/setup/', {
		method: 'POST',
		json: { password: setupForm.elements.password.value },
	});
	if (!result.ok) {
		say(box, textOf(result), 'error');
		if (result.status === 409) await refresh();
		else setupForm.elements.password.select();
		return;
	}
	clear(setupForm);
	say(box, '');
	say(statusBox, '');
	const { secret, otpauth_uri: uri } = result.data;
	$('#qr').replaceChildren(qrSvg(uri, 'QR code to add this account to an authenticator app'));
	$('#otpauth-link').href = uri;
	$('#secret-text').textContent = grouped(secret);
	say(msgOf(confirmForm), '');
	clear(confirmForm);
	setupForm.hidden = true;
	confirmForm.hidden = false;
	$('#confirm-title').focus();
});

onSubmit(confirmForm, async () => {
	const box = msgOf(confirmForm);
	say(box, 'Checking the code…');
	const result = await api('/users/two-factor/confirm/', {
		method: 'POST',
		json: { code: confirmForm.elements.code.value.trim() },
	});
	if (!result.ok) {
		say(box, textOf(result), 'error');
		confirmForm.elements.code.select();
		return;
	}
	say(box, '');
	confirmForm.hidden = true;
	$('#qr').replaceChildren();
	$('#secret-text').textContent = '';
	$('#otpauth-link').href = '#';
	say(statusBox, '');
	showCodes(result.data.message, result.data.recovery_codes || []);
	await refresh();
});

$('#confirm-cancel').addEventListener('click', () => {
	confirmForm.hidden = true;
	$('#qr').replaceChildren();
	$('#secret-text').textContent = '';
	$('#otpauth-link').href = '#';
	setupForm.hidden = false;
	setupForm.elements.password.focus();
});

$('#codes-download').addEventListener('click', downloadCodes);
$('#codes-done').addEventListener('click', () => {
	codesCard.hidden = true;
	$('#codes-list').replaceChildren();
	codes = [];
	state.focus();
});

// New codes and disable take the same fields: password and a TOTP or recovery code.
function passwordAndCode(form) {
	return { password: form.elements.password.value, code: form.elements.code.value.trim() };
}

onSubmit(regenForm, async () => {
	const box = msgOf(regenForm);
	say(box, 'Generating new recovery codes…');
	const result = await api('/users/two-factor/recovery-codes/', { method: 'POST', json: passwordAndCode(regenForm) });
	if (!result.ok) {
		say(box, textOf(result), 'error');
		if (result.status === 409) await refresh();
		return;
	}
	clear(regenForm);
	say(box, '');
	showCodes(result.data.message, result.data.recovery_codes || []);
	await refresh();
});

onSubmit(disableForm, async () => {
	const box = msgOf(disableForm);
	say(box, 'Turning off two-factor authentication…');
	const result = await api('/users/two-factor/disable/', { method: 'POST', json: passwordAndCode(disableForm) });
	if (!result.ok) {
		say(box, textOf(result), 'error');
		if (result.status === 409) await refresh();
		return;
	}
	clear(disableForm);
	say(box, '');
	codesCard.hidden = true;
	$('#codes-list').replaceChildren();
	codes = [];
	say(statusBox, textOf(result), 'ok');
	await refresh();
});

async function main() {
	renderNav();
	user = await requireUser();
	for (const form of [setupForm, regenForm, disableForm]) form.elements.username.value = user.email;
	await refresh();
}
main().catch((err) => showPageError(err.message));

// Profile page: shows the user, edits every field with a multipart PATCH to /users/update-user/,
// and previews and size-checks a new picture before it is sent; downloads the data export and
// deletes the account after a confirmation with the password (and the two-factor code when on).
import { api } from '../api.js';
import { avatar } from '../avatar.js';
import { THUMBNAIL_MAX_BYTES, THUMBNAIL_TYPES, sitePath } from '../config.js';
import { $, formatBytes, formatTime, msgOf, onSubmit, say, whileBusy } from '../ui.js';
import { displayName, renderNav, requireUser, showPageError } from '../session.js';

const TEXT_FIELDS = ['first_name', 'last_name', 'phone_number', 'birth_date', 'github_link'];
const form = $('#profile-form');
const fileInput = form.elements.thumbnail;
const preview = $('#thumb-preview');
let user = null;
let previewUrl = null;

function fact(dl, term, value) {
	const dt = document.createElement('dt');
	dt.textContent = term;
	const dd = document.createElement('dd');
	if (value instanceof Node) dd.append(value);
	else dd.textContent = value || '—';
	dl.append(dt, dd);
}

function renderView() {
	const who = document.createElement('div');
	who.className = 'who';
	const text = document.createElement('div');
	const name = document.createElement('p');
	name.id = 'profile-name';
	const strong = document.createElement('strong');
	strong.textContent = displayName(user);
	name.append(strong);
	const email = document.createElement('p');
	email.className = 'muted';
	email.textContent = user.email;
	text.append(name, email);
	who.append(avatar(user, true), text);

	const dl = document.createElement('dl');
	dl.className = 'facts';
	const profile = user.profile || {};
	fact(dl, 'Member since', formatTime(user.date_joined, false));
	fact(dl, 'Phone', profile.phone_number);
	fact(dl, 'Birth date', profile.birth_date);
	if (profile.github_link && /^https?:\/\//i.test(profile.github_link)) {
		const a = document.createElement('a');
		a.href = profile.github_link;
		a.rel = 'noopener noreferrer';
		a.textContent = profile.github_link;
		fact(dl, 'GitHub', a);
	} else {
		fact(dl, 'GitHub', profile.github_link);
	}
	$('#profile-view').replaceChildren(who, dl);
}

function stored(name) {
	const v = name in user ? user[name] : (user.profile || {})[name];
	return v == null ? '' : String(v);
}

function fillForm() {
	for (const name of TEXT_FIELDS) form.elements[name].value = stored(name);
	form.elements.email.value = user.email;
	fileInput.value = '';
	showPreview(null);
}

function showPreview(file) {
	if (previewUrl) URL.revokeObjectURL(previewUrl);
	previewUrl = file ? URL.createObjectURL(file) : null;
	preview.hidden = !previewUrl;
	if (previewUrl) preview.src = previewUrl;
	else preview.removeAttribute('src');
}

// Why a chosen picture cannot be sent, or null when it can.
function pictureProblem(file) {
	if (file.size > THUMBNAIL_MAX_BYTES) {
		let size = formatBytes(file.size);
		let max = formatBytes(THUMBNAIL_MAX_BYTES);
		if (size === max) {
			// Just over the limit: rounded sizes would read the same, so give the bytes.
			size = `${file.size.toLocaleString('en')} bytes`;
			max = `${THUMBNAIL_MAX_BYTES.toLocaleString('en')} bytes`;
		}
		return `The picture is ${size}; the largest allowed is ${max}. Choose a smaller one.`;
	}
	if (file.type && !THUMBNAIL_TYPES.includes(file.type)) return 'Choose a PNG, JPEG, GIF or WebP picture.';
	return null;
}

fileInput.addEventListener('change', () => {
	const file = fileInput.files[0];
	const box = msgOf(form);
	if (!file) {
		showPreview(null);
		say(box, '');
		return;
	}
	const problem = pictureProblem(file);
	if (problem) {
		showPreview(null);
		say(box, problem, 'error');
		return;
	}
	showPreview(file);
	say(box, `New picture: ${file.name} (${formatBytes(file.size)}). Save the profile to upload it.`);
});

onSubmit(form, async () => {
	const box = msgOf(form);
	const data = new FormData();
	for (const name of TEXT_FIELDS) {
		const value = form.elements[name].value;
		// "" means unchanged to the API, so only changed, non-empty values are sent.
		if (value !== '' && value !== stored(name)) data.append(name, value);
	}
	const file = fileInput.files[0];
	if (file) {
		const problem = pictureProblem(file);
		if (problem) {
			say(box, problem, 'error');
			return;
		}
		data.append('thumbnail', file, file.name);
	}
	if ([...data.keys()].length === 0) {
		say(box, 'Nothing to save: change a field or choose a picture first.');
		return;
	}
	say(box, 'Saving…');
	const result = await api('/users/update-user/', { method: 'PATCH', form: data });
	if (!result.ok) {
		say(box, result.data.error, 'error');
		return;
	}
	user = result.data;
	renderView();
	fillForm();
	say(box, 'Your profile has been saved.', 'ok');
});

// ---- "Download my data": GET /users/export/, saved as a file through a Blob -------------------

const exportButton = $('#export-button');
exportButton.addEventListener('click', () => whileBusy(exportButton, async () => {
	const box = $('#export-msg');
	say(box, 'Preparing your data…');
	const result = await api('/users/export/');
	if (!result.ok) {
		say(box, result.data.error, 'error');
		return;
	}
	const blob = new Blob([JSON.stringify(result.data, null, 2) + '\n'], { type: 'application/json' });
	const url = URL.createObjectURL(blob);
	const a = document.createElement('a');
	a.href = url;
	a.download = `account-${result.data.user.id}.json`; // the server's attachment name
	document.body.append(a);
	a.click();
	a.remove();
	setTimeout(() => URL.revokeObjectURL(url), 60000);
	say(box, 'Your data has been downloaded.', 'ok');
}));

// ---- "Delete my account": a confirmation step with the password, and the code when 2FA is on ---

const deleteForm = $('#delete-form');
const deleteConfirm = $('#delete-confirm');
const codeField = $('#delete-code-field');
const BAD_CODE = 'The two-factor code is not valid';
// Read by the home page, which shows it once (js/pages/home.js).
const NOTICE_KEY = 'authcgi.notice';

// Whether two-factor authentication is on; false when the server has no such endpoint (404).
async function twoFactorEnabled() {
	const result = await api('/users/two-factor/');
	return result.ok && result.data !== null && result.data.enabled === true;
}

function closeConfirm() {
	deleteForm.reset();
	deleteConfirm.hidden = true;
	$('#delete-start-actions').hidden = false;
	say(msgOf(deleteForm), '');
}

$('#delete-start').addEventListener('click', (event) => whileBusy(event.currentTarget, async () => {
	codeField.hidden = !(await twoFactorEnabled());
	$('#delete-start-actions').hidden = true;
	deleteConfirm.hidden = false;
	deleteForm.elements.password.focus();
}));
$('#delete-cancel').addEventListener('click', closeConfirm);

onSubmit(deleteForm, async () => {
	const box = msgOf(deleteForm);
	const password = deleteForm.elements.password.value;
	if (!password) {
		say(box, 'Please provide your password', 'error');
		deleteForm.elements.password.focus();
		return;
	}
	const body = { password };
	const code = deleteForm.elements.code.value.trim();
	if (!codeField.hidden && code) body.code = code;
	say(box, 'Deleting your account…');
	const result = await api('/users/delete-account/', { method: 'POST', json: body });
	if (result.ok) {
		sessionStorage.setItem(NOTICE_KEY, result.data.message);
		location.assign(sitePath('/'));
		return;
	}
	if (result.data.error === BAD_CODE && codeField.hidden) codeField.hidden = false;
	say(box, result.data.error, 'error');
});

async function main() {
	renderNav();
	user = await requireUser();
	renderView();
	fillForm();
	$('#thumb-hint').textContent = `PNG, JPEG, GIF or WebP, at most ${formatBytes(THUMBNAIL_MAX_BYTES)}.`;
	form.hidden = false;
	$('#export-card').hidden = false;
	deleteForm.hidden = false;
}

main().catch((err) => showPageError(err.message));

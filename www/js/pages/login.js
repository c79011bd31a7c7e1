// Log in page: posts e-mail and password to /users/login/, then goes to ?next= or home. When the
// account has two-factor authentication (401 two_factor_required) it asks for a code and posts again.
import { api } from '../api.js';
import { $, msgOf, onSubmit, queryParam, safeNext, say } from '../ui.js';
import { renderNav } from '../session.js';

renderNav();
const form = $('#login-form');
const codeField = $('#code-field');
const codeInput = form.elements.code;
const recoveryButton = $('#code-recovery');

// The code field opens with a numeric keyboard; a recovery code has letters, so this switches.
recoveryButton.addEventListener('click', () => {
	const numeric = codeInput.inputMode === 'numeric';
	codeInput.inputMode = numeric ? 'text' : 'numeric';
	recoveryButton.textContent = numeric ? 'Type an app code instead' : 'Type a recovery code instead';
	codeInput.focus();
});

onSubmit(form, async () => {
	const box = msgOf(form);
	say(box, 'Logging in…');
	const json = { email: form.elements.email.value, password: form.elements.password.value };
	// Only once the server asked for it: without two-factor the request stays as it always was.
	if (!codeField.hidden && codeInput.value.trim() !== '') json.code = codeInput.value.trim();
	const result = await api('/users/login/', { method: 'POST', json });
	if (result.status === 401 && result.data && result.data.two_factor_required === true) {
		codeField.hidden = false;
		say(box, result.data.error, 'info');
		codeInput.focus();
		return;
	}
	if (!result.ok) {
		say(box, result.data.error, 'error');
		if (json.code !== undefined && result.status === 400 && result.data.error === 'The two-factor code is not valid') {
			codeInput.select();
		} else {
			form.elements.password.select();
		}
		return;
	}
	say(box, 'You are logged in.', 'ok');
	location.assign(safeNext(queryParam('next')));
});

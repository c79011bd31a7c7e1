// Choose-a-new-password page: takes ?token= from the reset link and posts it with the new password.
import { api } from '../api.js';
import { sitePath } from '../config.js';
import { $, msgOf, onSubmit, passwordsMatch, queryParam, say } from '../ui.js';
import { renderNav } from '../session.js';

renderNav();
const form = $('#reset-form');
const token = queryParam('token');
// Keep the token out of the address bar and the history once it is read.
if (token) history.replaceState(null, '', location.pathname);
if (!token) {
	$('#no-token').hidden = false;
	form.hidden = true;
}
onSubmit(form, async () => {
	const box = msgOf(form);
	if (!passwordsMatch(form, 'password', 'password2')) return;
	say(box, 'Changing your password…');
	const result = await api('/users/password-change/change-user-password/', {
		method: 'POST',
		json: { token, password: form.elements.password.value },
	});
	if (!result.ok) {
		say(box, result.data.error, 'error');
		return;
	}
	form.reset();
	for (const el of form.querySelectorAll('input')) el.disabled = true;
	say(box, result.data.message, 'ok');
	const a = document.createElement('a');
	a.href = sitePath('/auth/login/');
	a.textContent = ' Log in';
	box.append(a);
});

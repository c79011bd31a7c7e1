// Log in page: posts e-mail and password to /users/login/, then goes to ?next= or home.
import { api } from '../api.js';
import { $, msgOf, onSubmit, queryParam, safeNext, say } from '../ui.js';
import { renderNav } from '../session.js';

renderNav();
const form = $('#login-form');
onSubmit(form, async () => {
	const box = msgOf(form);
	say(box, 'Logging in…');
	const result = await api('/users/login/', {
		method: 'POST',
		json: { email: form.elements.email.value, password: form.elements.password.value },
	});
	if (!result.ok) {
		say(box, result.data.error, 'error');
		form.elements.password.select();
		return;
	}
	say(box, 'You are logged in.', 'ok');
	location.assign(safeNext(queryParam('next')));
});

// Register page: posts the four fields to /users/register/; on 201 goes to the check-your-e-mail page.
import { api } from '../api.js';
import { sitePath } from '../config.js';
import { $, msgOf, onSubmit, passwordsMatch, say } from '../ui.js';
import { renderNav } from '../session.js';

renderNav();
const form = $('#register-form');
onSubmit(form, async () => {
	const box = msgOf(form);
	if (!passwordsMatch(form, 'password', 'password2')) return;
	say(box, 'Creating your account…');
	const f = form.elements;
	const result = await api('/users/register/', {
		method: 'POST',
		json: { email: f.email.value, first_name: f.first_name.value, last_name: f.last_name.value, password: f.password.value },
	});
	if (!result.ok) {
		say(box, result.data.error, 'error');
		return;
	}
	try {
		sessionStorage.setItem('authcgi.registered', JSON.stringify({ email: f.email.value.trim(), message: result.data.message }));
	} catch {
		// storage disabled: the next page shows its own text
	}
	location.assign(sitePath('/auth/check-email/'));
});

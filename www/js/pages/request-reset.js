// Request-password-reset page: /users/password-change/request-password-change/ e-mails a reset link.
import { api } from '../api.js';
import { $, msgOf, onSubmit, say } from '../ui.js';
import { renderNav } from '../session.js';

renderNav();
const form = $('#request-form');
onSubmit(form, async () => {
	const box = msgOf(form);
	say(box, 'Sending…');
	const result = await api('/users/password-change/request-password-change/', {
		method: 'POST',
		json: { email: form.elements.email.value },
	});
	say(box, result.ok ? result.data.message : result.data.error, result.ok ? 'ok' : 'error');
});

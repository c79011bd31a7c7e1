// Regenerate-token page: shows ?reason= from a failed link and asks /users/regenerate-token/ for a new one.
import { api } from '../api.js';
import { $, msgOf, onSubmit, queryParam, say } from '../ui.js';
import { renderNav } from '../session.js';

renderNav();
const reason = queryParam('reason');
if (reason) {
	const box = $('#reason');
	box.textContent = reason.replace(/\+/g, ' ').slice(0, 500);
	box.hidden = false;
}
const form = $('#regenerate-form');
onSubmit(form, async () => {
	const box = msgOf(form);
	say(box, 'Sending…');
	const result = await api('/users/regenerate-token/', { method: 'POST', json: { email: form.elements.email.value } });
	say(box, result.ok ? result.data.message : result.data.error, result.ok ? 'ok' : 'error');
});

// Change-password page for a logged-in user: /users/password-change/ (the server renews this session).
import { api } from '../api.js';
import { $, msgOf, onSubmit, passwordsMatch, say } from '../ui.js';
import { renderNav, requireUser, showPageError } from '../session.js';

const form = $('#password-form');

async function main() {
	renderNav();
	const user = await requireUser();
	form.elements.username.value = user.email;
}

onSubmit(form, async () => {
	const box = msgOf(form);
	if (!passwordsMatch(form, 'new_password', 'new_password2')) return;
	say(box, 'Changing your password…');
	const f = form.elements;
	const result = await api('/users/password-change/', {
		method: 'POST',
		json: { current_password: f.current_password.value, new_password: f.new_password.value },
	});
	if (!result.ok) {
		say(box, result.data.error, 'error');
		return;
	}
	f.current_password.value = '';
	f.new_password.value = '';
	f.new_password2.value = '';
	say(box, result.data.message, 'ok');
});
main().catch((err) => showPageError(err.message));

// Logout page: says who is logged in and ends this browser's session with /users/logout/.
import { $, msgOf, onSubmit, say } from '../ui.js';
import { currentUser, displayName, logout, renderNav } from '../session.js';

async function main() {
	renderNav();
	const { user } = await currentUser();
	$('#logout-who').textContent = user ? `You are logged in as ${displayName(user)} (${user.email}).` : 'You are not logged in.';
}

const form = $('#logout-form');
onSubmit(form, async () => {
	const result = await logout();
	say(msgOf(form), result.ok ? result.data.message : result.data.error, result.ok ? 'ok' : 'error');
	if (result.ok) {
		$('#logout-who').textContent = 'You are not logged in.';
		renderNav();
	}
});
main();

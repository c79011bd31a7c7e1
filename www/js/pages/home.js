// Home page: who is logged in (current-user), with their picture, or links to log in and register;
// and once, the message another page left for it (the account deletion).
import { $ } from '../ui.js';
import { currentUser, displayName, renderNav } from '../session.js';
import { avatar } from '../avatar.js';
import { sitePath } from '../config.js';

function paragraph(text, className) {
	const p = document.createElement('p');
	p.textContent = text;
	if (className) p.className = className;
	return p;
}

function links(items) {
	const ul = document.createElement('ul');
	ul.className = 'links';
	for (const [href, text] of items) {
		const li = document.createElement('li');
		const a = document.createElement('a');
		a.href = href;
		a.textContent = text;
		li.append(a);
		ul.append(li);
	}
	return ul;
}

// The message js/pages/profile.js leaves after deleting the account, shown once.
function leftNotice() {
	const text = sessionStorage.getItem('authcgi.notice');
	if (!text) return;
	sessionStorage.removeItem('authcgi.notice');
	const p = paragraph(text, 'notice');
	p.id = 'home-notice';
	p.setAttribute('role', 'status');
	$('#who').before(p);
}

async function main() {
	renderNav();
	leftNotice();
	const box = $('#who');
	const { user, status, result } = await currentUser();
	if (user) {
		const who = document.createElement('div');
		who.className = 'who';
		const text = document.createElement('div');
		text.append(paragraph(`You are logged in as ${displayName(user)}.`), paragraph(user.email, 'muted'));
		text.firstChild.id = 'who-name';
		who.append(avatar(user), text);
		box.replaceChildren(who, links([[sitePath('/profile/'), 'Your profile'], [sitePath('/profile/password/'), 'Change your password'],
			[sitePath('/profile/sessions/'), 'Your sessions'], [sitePath('/auth/logout/'), 'Log out']]));
	} else if (status === 401) {
		const p = paragraph('You are not logged in.');
		p.id = 'who-name';
		box.replaceChildren(p, links([[sitePath('/auth/login/'), 'Log in'], [sitePath('/auth/register/'), 'Create an account']]));
	} else {
		box.replaceChildren(paragraph(result.data.error, 'notice error'));
	}
}

main();

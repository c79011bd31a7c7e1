// Who is logged in: current-user once per page, the header navigation, logout, and pages that need a login.
import { api } from './api.js';
import { sitePath } from './config.js';
import { safeNext } from './ui.js';

let current = null;

// Resolves to {user, status, result}: user is the user object (API.md §3) or null.
export function currentUser(refresh = false) {
	if (!current || refresh) {
		current = api('/users/current-user/').then((result) => ({
			user: result.ok ? result.data : null,
			status: result.status,
			result,
		}));
	}
	return current;
}

export function displayName(user) {
	const name = `${user.first_name || ''} ${user.last_name || ''}`.trim();
	return name || user.email;
}

export async function logout() {
	const result = await api('/users/logout/', { method: 'POST' });
	current = null;
	return result;
}

// For pages that need a session: the user, or a redirect to the login page that comes back here.
export async function requireUser() {
	const { user, status, result } = await currentUser();
	if (user) return user;
	if (status === 401) {
		location.assign(sitePath('/auth/login/') + '?next=' + encodeURIComponent(safeNext(location.pathname)));
		return new Promise(() => {});
	}
	throw new Error(result.data.error);
}

// A notice at the top of <main>, for errors that belong to no form.
export function showPageError(text) {
	const main = document.getElementById('main');
	let box = document.getElementById('page-error');
	if (!box) {
		box = document.createElement('p');
		box.id = 'page-error';
		box.className = 'notice error';
		box.setAttribute('role', 'alert');
		main.prepend(box);
	}
	box.textContent = text;
}

function link(href, text) {
	const li = document.createElement('li');
	const a = document.createElement('a');
	a.href = href;
	a.textContent = text;
	if (location.pathname === href) a.setAttribute('aria-current', 'page');
	li.append(a);
	return li;
}

// Fills <nav id="site-nav"> with the links for a logged-in or anonymous visitor.
export async function renderNav() {
	const nav = document.getElementById('site-nav');
	if (!nav) return;
	const { user } = await currentUser();
	const ul = document.createElement('ul');
	ul.append(link(sitePath('/'), 'Home'));
	if (user) {
		ul.append(link(sitePath('/profile/'), 'Profile'), link(sitePath('/profile/password/'), 'Password'),
			link(sitePath('/profile/sessions/'), 'Sessions'));
		ul.append(link(sitePath('/profile/two-factor/'), 'Two-factor'));
		const li = document.createElement('li');
		const button = document.createElement('button');
		button.type = 'button';
		button.className = 'secondary';
		button.id = 'nav-logout';
		button.textContent = 'Log out';
		button.addEventListener('click', async () => {
			button.disabled = true;
			const result = await logout();
			if (result.ok) {
				location.assign(sitePath('/'));
			} else {
				button.disabled = false;
				showPageError(result.data.error);
			}
		});
		li.append(button);
		ul.append(li);
	} else {
		ul.append(link(sitePath('/auth/login/'), 'Log in'), link(sitePath('/auth/register/'), 'Register'));
	}
	nav.replaceChildren(ul);
}

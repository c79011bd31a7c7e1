// Check-your-e-mail page: repeats the register answer and the address it was sent to, when known.
import { $ } from '../ui.js';
import { renderNav } from '../session.js';

renderNav();
let saved = null;
try {
	saved = JSON.parse(sessionStorage.getItem('authcgi.registered') || 'null');
} catch {
	saved = null;
}
if (saved && typeof saved.message === 'string') $('#check-message').textContent = saved.message;
if (saved && typeof saved.email === 'string' && saved.email) {
	const p = $('#check-address');
	p.textContent = `The link went to ${saved.email}.`;
	p.hidden = false;
}

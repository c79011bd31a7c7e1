// The browser journeys through www/ and the real API: `node journeys.mjs NAME`, run by test_browser.py,
// which starts the stack and passes BASE_URL, MAIL_DIR, MAILER, AUTHCGI_CONFIG, OUT_DIR and JOURNEY_DATA.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { DESKTOP, PHONE, runJourney } from './lib/browser.mjs';
import { linkIn, waitForMail } from './lib/mail.mjs';
import { makePng } from './lib/png.mjs';
import { TotpClock, base32Encode, invalidCode, selfTest as totpSelfTest, stepNow, totpAt } from './lib/totp.mjs';

const BASE = process.env.BASE_URL;
const DATA = JSON.parse(process.env.JOURNEY_DATA || '{}');
const PASSWORD = 'correct horse battery staple';
const REASON = 'It appears that your confirmation token has expired or previously used. Kindly generate a new token';
const NOT_LOGGED_IN = 'You are not logged in.';

const path = (page) => new URL(page.url()).pathname;

async function expectText(locator, expected) {
	await locator.waitFor();
	const deadline = Date.now() + 10000;
	let text = '';
	while (Date.now() < deadline) {
		text = (await locator.textContent()).trim();
		if (expected instanceof RegExp ? expected.test(text) : text === expected) return text;
		await sleep(50);
	}
	assert.fail(`expected ${expected} but the page shows: ${JSON.stringify(text)}`);
}

async function login(page, email, password) {
	await page.goto('/auth/login/');
	await page.getByLabel('E-mail address').fill(email);
	await page.getByLabel('Password').fill(password);
	await page.getByRole('button', { name: 'Log in' }).click();
	await page.waitForURL(BASE + '/');
}

// An image element has loaded a real picture.
async function imageLoaded(page, selector) {
	await page.waitForFunction((sel) => {
		const img = document.querySelector(sel);
		return img && img.tagName === 'IMG' && img.complete && img.naturalWidth > 0;
	}, selector);
}

// Registers through the page and follows the activation link of the e-mail.
async function registerAndActivate(page, email, first, last) {
	await page.goto('/auth/register/');
	await page.getByLabel('First name').fill(first);
	await page.getByLabel('Last name').fill(last);
	await page.getByLabel('E-mail address').fill(email);
	await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
	await page.getByLabel('Password again').fill(PASSWORD);
	await page.getByRole('button', { name: 'Create account' }).click();
	await page.waitForURL('**/auth/check-email/');
	const mail = await waitForMail(email, 'Please, verify your account');
	await page.goto(linkIn(mail, BASE + '/users/register/confirm/'));
	await page.waitForURL('**/auth/confirmed/');
}

// The login form up to the server's 401 two_factor_required: the code field is then shown.
async function loginUntilCode(page, email, password) {
	await page.goto('/auth/login/');
	const field = page.getByLabel('Authentication code or recovery code');
	assert.equal(await field.isHidden(), true, 'no code field before the server asks');
	await page.getByLabel('E-mail address').fill(email);
	await page.getByLabel('Password').fill(password);
	await page.getByRole('button', { name: 'Log in' }).click();
	await expectText(page.locator('#login-form .msg'), 'Two-factor code required');
	await field.waitFor();
	assert.equal(await page.evaluate(() => document.activeElement.id), 'code', 'the code field has the focus');
	assert.equal(await field.getAttribute('inputmode'), 'numeric');
	assert.equal(await hasSession(page), false, 'no session before the second factor');
	return field;
}

// The navigation's Log out, up to the home page loaded anew (from "/" the URL alone does not change).
async function logOut(page) {
	const loaded = page.waitForEvent('load');
	await page.getByRole('button', { name: 'Log out' }).click();
	await loaded;
	assert.equal(page.url(), BASE + '/');
	await expectText(page.locator('#who-name'), NOT_LOGGED_IN);
}

// A message's text with its line breaks as spaces, for sentences that may be wrapped.
const oneLine = (msg) => (msg.text || '').replace(/\s+/g, ' ');

const hasSession = async (page) => (await page.context().cookies()).some((c) => c.name === 'sessionid' && c.value);

// The recovery codes the page shows (API.md §11.1: xxxxx-xxxxx of [a-z2-9] without l and o).
async function shownCodes(page) {
	await page.locator('#codes-card').waitFor();
	const codes = (await page.locator('#codes-list li').allTextContents()).map((t) => t.trim());
	assert.equal(codes.length, 10, 'ten recovery codes');
	for (const code of codes) assert.match(code, /^[a-km-np-z2-9]{5}-[a-km-np-z2-9]{5}$/);
	assert.equal(new Set(codes).size, 10);
	return codes;
}

// Clicks Download and returns the text file the page made.
async function downloadedCodes(page) {
	const [download] = await Promise.all([page.waitForEvent('download'),
		page.getByRole('button', { name: 'Download' }).click()]);
	assert.match(download.suggestedFilename(), /^recovery-codes-.*\.txt$/);
	return readFile(await download.path(), 'utf8');
}

// The dark modules of the QR code of text, as the vendored library computes them in Node
// ("x y" with the 4-module quiet zone), to compare with what the page drew.
async function qrModules(text) {
	const src = await readFile(new URL('../../www/vendor/qrcode-generator/qrcode.js', import.meta.url));
	const { default: qrcode } = await import('data:text/javascript;base64,' + src.toString('base64'));
	const qr = qrcode(0, 'M');
	qr.addData(text, 'Byte');
	qr.make();
	const dark = [];
	for (let row = 0; row < qr.getModuleCount(); row++) {
		for (let col = 0; col < qr.getModuleCount(); col++) if (qr.isDark(row, col)) dark.push(`${col + 4} ${row + 4}`);
	}
	return { count: qr.getModuleCount(), dark };
}

// The current code of a secret given as hex (test_browser.py stores it that way).
const totp = (secretHex) => totpAt(base32Encode(Buffer.from(secretHex, 'hex')), stepNow());

const journeys = {
	// register → the link from the mail → confirmed → login → home shows the name → profile edit
	// with a PNG → the thumbnail shows → logout → home shows logged out.
	async register(j) {
		const email = DATA.email;
		const page = await j.open(DESKTOP);
		await page.goto('/');
		await expectText(page.locator('#who-name'), NOT_LOGGED_IN);
		await j.snap(page, 'home logged out');
		await page.getByRole('navigation').getByRole('link', { name: 'Register' }).click();
		await page.waitForURL('**/auth/register/');
		await page.getByLabel('First name').fill('Ada');
		await page.getByLabel('Last name').fill('Lovelace');
		await page.getByLabel('E-mail address').fill(email);
		await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
		await page.getByLabel('Password again').fill(PASSWORD);
		await j.snap(page, 'register filled');
		await page.getByRole('button', { name: 'Create account' }).click();
		await page.waitForURL('**/auth/check-email/');
		await expectText(page.locator('#check-message'), /^Your account was created successfully\. Check your email address/);
		await expectText(page.locator('#check-address'), `The link went to ${email}.`);
		await j.snap(page, 'check email');

		const mail = await waitForMail(email, 'Please, verify your account');
		const link = linkIn(mail, BASE + '/users/register/confirm/');
		await page.goto(link);
		await page.waitForURL('**/auth/confirmed/');
		await expectText(page.getByRole('heading', { level: 1 }), 'Your account is active');
		await j.snap(page, 'confirmed');

		await page.getByRole('link', { name: 'Log in' }).last().click();
		await page.waitForURL('**/auth/login/');
		await page.getByLabel('E-mail address').fill(email);
		await page.getByLabel('Password').fill(PASSWORD);
		await page.getByRole('button', { name: 'Log in' }).click();
		await page.waitForURL(BASE + '/');
		await expectText(page.locator('#who-name'), 'You are logged in as Ada Lovelace.');
		await j.snap(page, 'home logged in');

		await page.getByRole('navigation').getByRole('link', { name: 'Profile' }).click();
		await page.waitForURL('**/profile/');
		const form = page.locator('#profile-form');
		await form.waitFor();
		assert.equal(await page.getByLabel('First name').inputValue(), 'Ada');
		await page.getByLabel('First name').fill('Augusta Ada');
		await page.getByLabel('Phone number').fill('+44 20 7946 0000');
		await page.getByLabel('Birth date').fill('1815-12-10');
		await page.getByLabel('GitHub link').fill('https://github.com/ada');
		await page.getByLabel('Picture').setInputFiles({ name: 'ada portrait.png', mimeType: 'image/png', buffer: makePng(64) });
		await imageLoaded(page, '#thumb-preview');
		await j.snap(page, 'profile with preview');
		await page.getByRole('button', { name: 'Save profile' }).click();
		await expectText(form.locator('.msg'), 'Your profile has been saved.');
		await expectText(page.locator('#profile-name'), 'Augusta Ada Lovelace');
		const src = await page.locator('#avatar').getAttribute('src');
		assert.match(src, new RegExp('^' + BASE + '/media/users/ada_portrait_[A-Za-z0-9]{7}\\.png$'));
		await imageLoaded(page, '#avatar');
		assert.equal(await page.locator('#avatar').evaluate((img) => img.naturalWidth), 64);
		await j.snap(page, 'profile saved');

		// The stored values come back after a reload.
		await page.reload();
		await form.waitFor();
		assert.equal(await page.getByLabel('Phone number').inputValue(), '+44 20 7946 0000');
		assert.equal(await page.getByLabel('Birth date').inputValue(), '1815-12-10');
		assert.equal(await page.getByLabel('GitHub link').inputValue(), 'https://github.com/ada');

		await page.goto('/');
		await expectText(page.locator('#who-name'), 'You are logged in as Augusta Ada Lovelace.');
		await imageLoaded(page, '#avatar');
		await page.getByRole('button', { name: 'Log out' }).click();
		await page.waitForURL(BASE + '/');
		await expectText(page.locator('#who-name'), NOT_LOGGED_IN);
		await page.reload();
		await expectText(page.locator('#who-name'), NOT_LOGGED_IN);
		await j.snap(page, 'home after logout');
	},

	// A wrong password shows the API's message while the button is disabled during the request;
	// then a login done with the keyboard only.
	async wrong_password(j) {
		const page = await j.open(PHONE);
		await page.route('**/users/login/', async (route) => {
			await sleep(600);
			await route.continue();
		});
		await page.goto('/auth/login/');
		await page.getByLabel('E-mail address').fill(DATA.email);
		await page.getByLabel('Password').fill('not the password');
		const button = page.getByRole('button', { name: 'Log in' });
		await button.click();
		assert.equal(await button.isDisabled(), true, 'the button is disabled while the request runs');
		await expectText(page.locator('#login-form .msg'), 'Email and password do not match');
		assert.equal(await button.isDisabled(), false);
		assert.equal(path(page), '/auth/login/');
		await j.snap(page, 'wrong password');

		// Keyboard only: Tab to the e-mail field, type, Tab, type, Enter.
		await page.reload();
		await page.locator('#login-form').waitFor();
		for (let i = 0; i < 25; i++) {
			await page.keyboard.press('Tab');
			if (await page.evaluate(() => document.activeElement && document.activeElement.id === 'email')) break;
		}
		assert.equal(await page.evaluate(() => document.activeElement.id), 'email', 'Tab reaches the e-mail field');
		await page.keyboard.type(DATA.email);
		await page.keyboard.press('Tab');
		assert.equal(await page.evaluate(() => document.activeElement.id), 'password');
		await page.keyboard.type(PASSWORD);
		await page.keyboard.press('Enter');
		await page.waitForURL(BASE + '/');
		await expectText(page.locator('#who-name'), 'You are logged in as Grace Hopper.');
	},

	// An expired activation link lands on the regenerate page with the reason shown; the page sends
	// a new link, which works.
	async expired_link(j) {
		const page = await j.open(PHONE);
		await page.goto(DATA.expired_link);
		await page.waitForURL('**/auth/regenerate-token/**');
		await expectText(page.locator('#reason'), REASON);
		await j.snap(page, 'regenerate with reason');
		// A token made the same way but fresh works: the first one failed only because it expired.
		await page.goto(DATA.fresh_link);
		await page.waitForURL('**/auth/confirmed/');

		// The regenerate page on a fresh visit, for another inactive account.
		await page.goto(DATA.expired_link_other);
		await expectText(page.locator('#reason'), REASON);
		await page.getByLabel('E-mail address').fill(DATA.other_email);
		await page.getByRole('button', { name: 'Send a new activation link' }).click();
		await expectText(page.locator('#regenerate-form .msg'),
			'Account activation link has been sent to your email address. Kindly take action before its expiration');
		const mail = await waitForMail(DATA.other_email, 'Please, verify your account');
		await page.goto(linkIn(mail, BASE + '/users/register/confirm/'));
		await page.waitForURL('**/auth/confirmed/');
		// The same link a second time: already used.
		await page.goto(linkIn(mail, BASE + '/users/register/confirm/'));
		await page.waitForURL('**/auth/regenerate-token/**');
		await expectText(page.locator('#reason'), REASON);
		// Regenerating for an active account shows the API's 404 text.
		await page.getByLabel('E-mail address').fill(DATA.other_email);
		await page.getByRole('button', { name: 'Send a new activation link' }).click();
		await expectText(page.locator('#regenerate-form .msg'), /^A user with this e-mail address does not exist\./);
	},

	// Forgot password → mail → choose a new password → log in with it; the old link is dead; the
	// "password changed" mail links to the request page.
	async reset(j) {
		const email = DATA.email;
		const page = await j.open(DESKTOP);
		await page.goto('/auth/login/');
		await page.getByRole('link', { name: 'Forgot your password?' }).click();
		await page.waitForURL('**/auth/password/request-change/');
		await page.getByLabel('E-mail address').fill(email);
		await page.getByRole('button', { name: 'Send reset instructions' }).click();
		await expectText(page.locator('#request-form .msg'),
			'Password reset instructions have been sent to your email address. Kindly take action before its expiration');
		await j.snap(page, 'reset requested');

		const mail = await waitForMail(email, 'Password reset instructions');
		const link = linkIn(mail, BASE + '/users/password-change/confirm/change-password/');
		await page.goto(link);
		await page.waitForURL('**/auth/password/change-password/**');
		assert.equal(new URL(page.url()).search, '', 'the token is taken out of the address bar');
		const newPassword = 'a brand new passphrase 42';
		await page.getByLabel('New password', { exact: true }).fill(newPassword);
		await page.getByLabel('New password again').fill('something else entirely');
		await page.getByRole('button', { name: 'Change password' }).click();
		await expectText(page.locator('#reset-form .msg'), 'The two new passwords do not match.');
		await page.getByLabel('New password again').fill(newPassword);
		await page.getByRole('button', { name: 'Change password' }).click();
		await expectText(page.locator('#reset-form .msg'),
			/^Your password has been changed successfully\. Kindly login with the new password/);
		await j.snap(page, 'password reset done');

		await login(page, email, newPassword);
		await expectText(page.locator('#who-name'), 'You are logged in as Alan Turing.');

		// The link cannot be used twice.
		await page.goto(link);
		await page.waitForURL('**/auth/regenerate-token/**');
		await expectText(page.locator('#reason'), REASON);

		const changed = await waitForMail(email, 'Your password has been changed');
		await page.goto(linkIn(changed, BASE + '/auth/password/request-change'));
		await expectText(page.getByRole('heading', { level: 1 }), 'Reset your password');
	},

	// My sessions: two browsers logged in, one revokes the other; change password while logged in.
	async sessions(j) {
		const email = DATA.email;
		const page = await j.open(DESKTOP, { userAgent: 'Desk Browser/1.0' });
		const other = await j.open(PHONE, { userAgent: 'Phone Browser/2.0' });
		await login(page, email, PASSWORD);
		await login(other, email, PASSWORD);
		await page.goto('/profile/sessions/');
		const items = page.locator('#sessions li');
		await page.waitForFunction(() => document.querySelectorAll('#sessions li[data-sid]').length === 2);
		await expectText(items.first().locator('.ua'), 'Desk Browser/1.0This browser');
		await expectText(items.first().locator('.badge'), 'This browser');
		await expectText(items.nth(1).locator('.ua'), 'Phone Browser/2.0');
		assert.equal(await items.nth(1).locator('.badge').count(), 0);
		await j.snap(page, 'two sessions');
		await items.nth(1).getByRole('button', { name: /Revoke/ }).click();
		await expectText(page.locator('#sessions-msg'), 'The session has been revoked');
		await page.waitForFunction(() => document.querySelectorAll('#sessions li[data-sid]').length === 1);
		await other.goto('/');
		await expectText(other.locator('#who-name'), NOT_LOGGED_IN);

		// Log in again elsewhere, then "log out all other sessions".
		await login(other, email, PASSWORD);
		await page.reload();
		await page.waitForFunction(() => document.querySelectorAll('#sessions li[data-sid]').length === 2);
		await page.getByRole('button', { name: 'Log out all other sessions' }).click();
		await expectText(page.locator('#sessions-msg'), 'All other sessions have been revoked (1 session).');
		await other.goto('/');
		await expectText(other.locator('#who-name'), NOT_LOGGED_IN);

		// Change the password while logged in: wrong, then right; this browser stays logged in.
		await page.goto('/profile/password/');
		await page.getByLabel('Current password').fill('not my password');
		await page.getByLabel('New password', { exact: true }).fill('another fine passphrase');
		await page.getByLabel('New password again').fill('another fine passphrase');
		await page.getByRole('button', { name: 'Change password' }).click();
		await expectText(page.locator('#password-form .msg'), 'Your current password is incorrect');
		await page.getByLabel('Current password').fill(PASSWORD);
		await page.getByRole('button', { name: 'Change password' }).click();
		await expectText(page.locator('#password-form .msg'), 'Your password has been changed successfully');
		await j.snap(page, 'password changed');
		await page.goto('/');
		await expectText(page.locator('#who-name'), 'You are logged in as Edsger Dijkstra.');
		await login(other, email, 'another fine passphrase');
	},

	// A picture over the size limit is refused in the page: nothing is sent.
	async thumbnail_size(j) {
		const page = await j.open(PHONE);
		await login(page, DATA.email, PASSWORD);
		const patches = [];
		page.on('request', (req) => {
			if (req.method() === 'PATCH') patches.push(req.url());
		});
		await page.goto('/profile/');
		await page.locator('#profile-form').waitFor();
		const big = Buffer.concat([makePng(8), Buffer.alloc(2 * 1024 * 1024 + 1)]);
		await page.getByLabel('Picture').setInputFiles({ name: 'big.png', mimeType: 'image/png', buffer: big });
		const tooBig = `The picture is ${big.length.toLocaleString('en')} bytes; the largest allowed is 2,097,152 bytes. Choose a smaller one.`;
		await expectText(page.locator('#profile-form .msg'), tooBig);
		await page.getByRole('button', { name: 'Save profile' }).click();
		await expectText(page.locator('#profile-form .msg'), tooBig);
		await page.getByLabel('Picture').setInputFiles({ name: 'huge.png', mimeType: 'image/png', buffer: Buffer.alloc(3 * 1024 * 1024) });
		await expectText(page.locator('#profile-form .msg'), 'The picture is 3.0 MB; the largest allowed is 2.0 MB. Choose a smaller one.');
		assert.equal(await page.locator('#thumb-preview').isHidden(), true);
		await j.snap(page, 'picture too large');
		// Not an image type: refused too.
		await page.getByLabel('Picture').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
		await expectText(page.locator('#profile-form .msg'), 'Choose a PNG, JPEG, GIF or WebP picture.');
		// Nothing changed: nothing is sent either.
		await page.getByLabel('Picture').setInputFiles([]);
		await page.getByRole('button', { name: 'Save profile' }).click();
		await expectText(page.locator('#profile-form .msg'), 'Nothing to save: change a field or choose a picture first.');
		// A bad value reaches the API, whose message is shown.
		await page.getByLabel('GitHub link').fill('ftp://example.com');
		await page.getByRole('button', { name: 'Save profile' }).click();
		await expectText(page.locator('#profile-form .msg'), 'github_link must be an http or https URL');
		assert.equal(patches.length, 1, 'only the last submit sent a request');
	},

	// Every page at phone and desktop width: no sideways scrolling, a heading, a label for every
	// field, and a screenshot of each (kept under OUT_DIR with BROWSER_SCREENSHOTS=all).
	async layout(j) {
		const anonymous = ['/', '/auth/login/', '/auth/register/', '/auth/check-email/', '/auth/confirmed/',
			'/auth/regenerate-token/?reason=' + encodeURIComponent(REASON).replace(/%20/g, '%20'),
			'/auth/password/request-change/', '/auth/password/change-password/?token=abc:def',
			'/auth/password/change-password/', '/auth/logout/'];
		const private_ = ['/', '/profile/', '/profile/password/', '/profile/sessions/', '/profile/two-factor/', '/auth/logout/'];
		for (const [label, viewport] of [['phone', PHONE], ['desktop', DESKTOP]]) {
			const page = await j.open(viewport);
			const check = async (url, who) => {
				await page.goto(url);
				await page.waitForLoadState('networkidle');
				const report = await page.evaluate(() => {
					const unlabelled = [...document.querySelectorAll('input, select, textarea')]
						.filter((el) => el.type !== 'hidden' && !el.hidden && el.offsetParent !== null)
						.filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
						.map((el) => el.name || el.id);
					return {
						overflow: document.documentElement.scrollWidth - window.innerWidth,
						h1: document.querySelectorAll('h1').length,
						unlabelled,
						nav: document.querySelectorAll('#site-nav a').length,
					};
				});
				assert.ok(report.overflow <= 0, `${url} scrolls sideways by ${report.overflow}px at ${label} width`);
				assert.equal(report.h1, 1, `${url} has one h1`);
				assert.deepEqual(report.unlabelled, [], `${url} has fields without a label`);
				assert.ok(report.nav >= 2, `${url} shows the navigation`);
				await j.snap(page, `${label} ${who} ${url.split('?')[0]}`);
			};
			for (const url of anonymous) await check(url, 'anonymous');
			await login(page, DATA.email, PASSWORD);
			for (const url of private_) await check(url, 'logged-in');
		}
		// A page that needs a login sends a visitor to the login page and back.
		const page = await j.open(PHONE);
		await page.goto('/profile/sessions/');
		await page.waitForURL('**/auth/login/?next=%2Fprofile%2Fsessions%2F');
		await page.getByLabel('E-mail address').fill(DATA.email);
		await page.getByLabel('Password').fill(PASSWORD);
		await page.getByRole('button', { name: 'Log in' }).click();
		await page.waitForURL('**/profile/sessions/');
		// The frontend paths of API.md work without their trailing slash, query strings kept.
		await page.goto('/auth/regenerate-token?reason=' + encodeURIComponent('Slash test'));
		await expectText(page.locator('#reason'), 'Slash test');
		await page.goto('/auth/confirmed');
		await expectText(page.getByRole('heading', { level: 1 }), 'Your account is active');
	},
	// Two-factor (issue #19): register → enrol (QR code drawn from the otpauth URI, the key typed
	// from the page, a TOTP computed here) → recovery codes shown once and downloaded → log out →
	// log in with a TOTP → log out → the same TOTP again is refused → log in with a recovery code
	// and its e-mail → new codes → disable → a password alone logs in again.
	async two_factor(j) {
		totpSelfTest();
		const email = DATA.email;
		const page = await j.open(PHONE);
		await registerAndActivate(page, email, 'Hedy', 'Lamarr');
		await login(page, email, PASSWORD);

		await page.getByRole('navigation').getByRole('link', { name: 'Two-factor' }).click();
		await page.waitForURL('**/profile/two-factor/');
		await expectText(page.locator('#tf-state'), 'Two-factor authentication is off.');
		const setup = page.locator('#setup-form');
		await setup.getByLabel('Current password').fill('not my password');
		await setup.getByRole('button', { name: 'Set up two-factor authentication' }).click();
		await expectText(setup.locator('.msg'), 'Your current password is incorrect');
		await setup.getByLabel('Current password').fill(PASSWORD);
		const [answer] = await Promise.all([
			page.waitForResponse((r) => r.url().endsWith('/users/two-factor/setup/') && r.request().method() === 'POST'),
			setup.getByRole('button', { name: 'Set up two-factor authentication' }).click(),
		]);
		const { secret, otpauth_uri: uri } = await answer.json();
		assert.match(secret, /^[A-Z2-7]{32}$/);
		const confirm = page.locator('#confirm-form');
		await confirm.waitFor();

		// The key shown for typing, in groups of four, is the secret of the URI behind the QR code.
		const shown = (await page.locator('#secret-text').textContent()).trim();
		assert.match(shown, /^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/);
		const typed = shown.replace(/ /g, '');
		assert.equal(typed, secret);
		const href = await page.locator('#otpauth-link').getAttribute('href');
		assert.equal(href, uri);
		const otpauth = new URL(href);
		assert.equal(otpauth.protocol, 'otpauth:');
		assert.equal(otpauth.searchParams.get('secret'), typed, 'the typed key is the secret of the otpauth URI');
		assert.ok(decodeURIComponent(otpauth.pathname).endsWith(':' + email), `the URI names ${email}: ${href}`);

		// The QR code: an SVG of the size of a phone scan, module for module the code of the URI.
		const svg = page.locator('#qr svg');
		await svg.waitFor();
		const box = await svg.boundingBox();
		assert.ok(box.width >= 150 && Math.abs(box.width - box.height) < 1, `QR code drawn ${box.width}×${box.height}`);
		assert.equal(await svg.getAttribute('role'), 'img');
		const drawn = [...(await svg.locator('path').getAttribute('d')).matchAll(/M(\d+) (\d+)h1v1h-1z/g)]
			.map((m) => `${m[1]} ${m[2]}`);
		const expected = await qrModules(uri);
		assert.ok(expected.count >= 25, 'a URI of this length needs version 2 or more');
		assert.equal(Number(await svg.getAttribute('data-modules')), expected.count);
		assert.ok(drawn.length > expected.count * expected.count / 3, `${drawn.length} dark modules`);
		assert.deepEqual(drawn, expected.dark, 'the page drew the QR code of the otpauth URI');
		// White pixels around, black inside: the picture is really painted.
		const shot = await svg.screenshot();
		assert.ok(shot.length > 1000, 'the QR code screenshot has content');
		const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
		assert.ok(overflow <= 0, `the setup page scrolls sideways by ${overflow}px on a phone`);
		await j.snap(page, 'two-factor setup');

		const clock = new TotpClock(typed);
		await confirm.getByLabel('Code shown by the app').fill(invalidCode(typed));
		await confirm.getByRole('button', { name: 'Turn on' }).click();
		await expectText(confirm.locator('.msg'), 'The code is not valid');
		await confirm.getByLabel('Code shown by the app').fill(await clock.next());
		await confirm.getByRole('button', { name: 'Turn on' }).click();
		await expectText(page.locator('#codes-msg'), 'Two-factor authentication is enabled');
		const codes = await shownCodes(page);
		assert.equal(await confirm.isHidden(), true);
		await expectText(page.locator('#tf-state'), 'Two-factor authentication is on. You have 10 recovery codes left.');
		const file = await downloadedCodes(page);
		for (const code of codes) assert.ok(file.split('\n').includes(code), `${code} is in the downloaded file`);
		assert.ok(file.includes(email));
		await j.snap(page, 'recovery codes');
		await page.getByRole('button', { name: 'I have saved them' }).click();
		assert.equal(await page.locator('#codes-card').isHidden(), true);
		assert.equal(await page.locator('#codes-list li').count(), 0, 'the codes are gone from the page');
		const on = await waitForMail(email, 'Two-factor authentication is on');
		assert.ok(oneLine(on).includes(`Two-factor authentication was turned on for your account ${email} on `), on.text);

		// Log out; log in: the password alone is not enough, a wrong code is refused, a TOTP works.
		await logOut(page);
		let field = await loginUntilCode(page, email, PASSWORD);
		await j.snap(page, 'login asks for the code');
		await field.fill(invalidCode(typed));
		await page.getByRole('button', { name: 'Log in' }).click();
		await expectText(page.locator('#login-form .msg'), 'The two-factor code is not valid');
		assert.equal(await page.evaluate(() => document.activeElement.id), 'code', 'the bad code is selected');
		assert.equal(await hasSession(page), false, 'no session after a wrong code');
		assert.equal(path(page), '/auth/login/');
		const loginCode = await clock.next();
		await field.fill(loginCode);
		await page.getByRole('button', { name: 'Log in' }).click();
		await page.waitForURL(BASE + '/');
		await expectText(page.locator('#who-name'), 'You are logged in as Hedy Lamarr.');

		// Log out; the same code again is a replay; a recovery code, typed with the recovery keyboard, works.
		await logOut(page);
		field = await loginUntilCode(page, email, PASSWORD);
		await field.fill(loginCode);
		await page.getByRole('button', { name: 'Log in' }).click();
		await expectText(page.locator('#login-form .msg'), 'The two-factor code is not valid');
		assert.equal(await hasSession(page), false, 'no session from a replayed code');
		await page.getByRole('button', { name: 'Type a recovery code instead' }).click();
		assert.equal(await field.getAttribute('inputmode'), 'text');
		await field.fill(codes[0].toUpperCase());
		await page.getByRole('button', { name: 'Log in' }).click();
		await page.waitForURL(BASE + '/');
		await expectText(page.locator('#who-name'), 'You are logged in as Hedy Lamarr.');
		const used = await waitForMail(email, 'A recovery code was used');
		assert.ok(oneLine(used).includes(`A recovery code was used to sign in to your account ${email} on `), used.text);
		assert.ok(oneLine(used).includes('You have 9 recovery codes left.'), used.text);

		// New recovery codes: a used code is refused, an unused one of the old set works once.
		await page.goto('/profile/');
		await page.getByRole('link', { name: 'Two-factor authentication' }).click();
		await page.waitForURL('**/profile/two-factor/');
		await expectText(page.locator('#tf-state'), 'Two-factor authentication is on. You have 9 recovery codes left.');
		assert.equal(await page.locator('#setup-form').isHidden(), true);
		const regen = page.locator('#regen-form');
		await regen.getByLabel('Current password').fill(PASSWORD);
		await regen.getByLabel('Authentication code or recovery code').fill(codes[0]);
		await regen.getByRole('button', { name: 'Generate new recovery codes' }).click();
		await expectText(regen.locator('.msg'), 'The code is not valid');
		await regen.getByLabel('Authentication code or recovery code').fill(codes[1]);
		await regen.getByRole('button', { name: 'Generate new recovery codes' }).click();
		await expectText(page.locator('#codes-msg'), 'New recovery codes have been generated');
		const fresh = await shownCodes(page);
		assert.equal(fresh.filter((c) => codes.includes(c)).length, 0, 'a new set');
		await expectText(page.locator('#tf-state'), 'Two-factor authentication is on. You have 10 recovery codes left.');
		assert.ok((await downloadedCodes(page)).includes(fresh[9]));

		// Disable: a code of the old set no longer works; a TOTP does.
		const disable = page.locator('#disable-form');
		await disable.getByLabel('Current password').fill(PASSWORD);
		await disable.getByLabel('Authentication code or recovery code').fill(codes[2]);
		await disable.getByRole('button', { name: 'Turn off two-factor authentication' }).click();
		await expectText(disable.locator('.msg'), 'The code is not valid');
		await disable.getByLabel('Authentication code or recovery code').fill(await clock.next());
		await disable.getByRole('button', { name: 'Turn off two-factor authentication' }).click();
		await expectText(page.locator('#status-msg'), 'Two-factor authentication is disabled');
		await expectText(page.locator('#tf-state'), 'Two-factor authentication is off.');
		assert.equal(await disable.isHidden(), true);
		assert.equal(await page.locator('#codes-card').isHidden(), true);
		await page.locator('#setup-form').waitFor();
		await j.snap(page, 'two-factor off');
		const off = await waitForMail(email, 'Two-factor authentication is off');
		linkIn(off, BASE + '/auth/password/request-change');

		// The password alone logs in again.
		await logOut(page);
		await login(page, email, PASSWORD);
		await expectText(page.locator('#who-name'), 'You are logged in as Hedy Lamarr.');
	},

	// ?next= after login (issue #14, finding 3): hostile values never leave the site, whatever the
	// browser strips or rewrites (tabs, newlines, backslashes, dot segments); a path of the site is
	// followed with its query and fragment.
	async redirect_next(j) {
		const page = await j.open(DESKTOP);
		const origin = new URL(BASE).origin;
		const offsite = [];
		const dialogs = [];
		await page.context().route((url) => url.origin !== origin, async (route) => {
			offsite.push(route.request().url());
			await route.fulfill({ status: 200, contentType: 'text/html', body: '<h1>elsewhere</h1>' });
		});
		page.on('dialog', async (d) => {
			dialogs.push(d.message());
			await d.dismiss();
		});
		// [what the query string holds (already percent-encoded), where the login must end]
		const cases = [
			['/%09/evil.example', '/'],              // "/\t/evil.example": the tab is dropped
			['/%0A/evil.example', '/'],              // "/\n/evil.example"
			['/%0D/evil.example', '/'],              // "/\r/evil.example"
			['%2F%2509%2Fevil.example', '/'],        // "/%09/evil.example" as text
			['//evil.example', '/'],
			['/%5Cevil.example', '/'],               // "/\evil.example": "\" is "/" to the browser
			['/%5C/evil.example', '/'],
			['%2F%2Fevil.example%2F', '/'],
			['/.//evil.example', '/'],               // the dot segment goes, "//evil.example" stays
			['/%2e//evil.example', '/'],
			['%2F%252e%2F%2Fevil.example', '/'],    // "/%2e//evil.example" as text
			['https://evil.example', '/'],
			['https:evil.example', '/'],
			['javascript:alert(1)', '/'],
			['%20javascript:alert(1)', '/'],
			['/%00/evil.example', '/'],
			['', '/'],
			['/profile/', '/profile/'],
			[encodeURIComponent('/profile/sessions/?tab=1#list'), '/profile/sessions/?tab=1#list'],
			['/profile/sessions/', '/profile/sessions/'],
		];
		// Each value twice: in the URL the server serves (when it serves it: lighttpd refuses encoded
		// control characters with a 400, the Apache sample does not), and put in place by
		// history.replaceState, so that the page's own check is tested whatever the server.
		const attempts = [];
		for (const [next, want] of cases) {
			const probe = await page.request.get('/auth/login/?next=' + next);
			assert.ok(probe.status() === 200 || !(DATA.must_serve || []).includes(next),
				`the server answers ${probe.status()} to ?next=${next}, which this test needs served`);
			if (probe.status() === 200) attempts.push([next, want, 'served']);
			else console.log(`the server answers ${probe.status()} to ?next=${next}`);
			attempts.push([next, want, 'replaced']);
		}
		for (const [next, want, how] of attempts) {
			if (how === 'served') {
				await page.goto('/auth/login/?next=' + next);
			} else {
				await page.goto('/auth/login/');
				await page.evaluate((q) => history.replaceState(null, '', '/auth/login/?next=' + q), next);
			}
			await page.getByLabel('E-mail address').fill(DATA.email);
			await page.getByLabel('Password').fill(PASSWORD);
			await page.getByRole('button', { name: 'Log in' }).click();
			await page.waitForURL((url) => url.origin !== origin || !url.pathname.startsWith('/auth/login/'))
				.catch(() => {});
			await page.waitForLoadState('load');
			const url = new URL(page.url());
			const what = `next=${next} (${how})`;
			assert.deepEqual(offsite, [], `${what} left the site`);
			assert.deepEqual(dialogs, [], `${what} ran a script`);
			assert.equal(url.origin, origin, `${what} ended on ${page.url()}`);
			assert.equal(url.pathname + url.search + url.hash, want, `${what} ended on ${page.url()}`);
		}
		await j.snap(page, 'after the last next');
	},

	// Profile: "Download my data" saves the export as a file, then "Delete my account" with the
	// password (and the two-factor code when DATA.totp_secret is set) ends on the home page with
	// the message, logged out everywhere; logging in again fails.
	async delete_account(j) {
		const email = DATA.email;
		const page = await j.open(DESKTOP);
		const elsewhere = await j.open(PHONE);
		if (DATA.totp_secret) {
			// Logged in through the API with recovery codes: the TOTP of this step stays unused
			// for the deletion (a step is accepted once).
			for (const [p, code] of [[page, DATA.recovery_codes[0]], [elsewhere, DATA.recovery_codes[1]]]) {
				const r = await p.request.post('/users/login/', { data: { email, password: PASSWORD, code } });
				assert.equal(r.status(), 200, await r.text());
			}
		} else {
			await login(page, email, PASSWORD);
			await login(elsewhere, email, PASSWORD);
		}
		await page.goto('/profile/');
		await page.locator('#export-card').waitFor();
		const [download] = await Promise.all([
			page.waitForEvent('download'),
			page.getByRole('button', { name: 'Download my data' }).click(),
		]);
		assert.match(download.suggestedFilename(), /^account-[0-9a-f-]{36}\.json$/);
		const text = await readFile(await download.path(), 'utf8');
		const doc = JSON.parse(text);
		assert.deepEqual(Object.keys(doc), ['exported_at', 'user', 'last_login', 'two_factor', 'sessions']);
		assert.equal(doc.user.email, email);
		assert.equal(download.suggestedFilename(), `account-${doc.user.id}.json`);
		assert.deepEqual(doc.two_factor, DATA.totp_secret ? { enabled: true, recovery_codes_left: 8 }
			: { enabled: false, recovery_codes_left: 0 });
		assert.equal(doc.sessions.length, 2);
		assert.deepEqual(doc.sessions.map((s) => s.current), [true, false]);
		assert.doesNotMatch(text, /password|[0-9a-f]{64}/, 'no hash, token or fingerprint in the export');
		await expectText(page.locator('#export-msg'), 'Your data has been downloaded.');
		await j.snap(page, 'export downloaded');

		// The confirmation step: cancel once, then a wrong password, then the right one.
		const form = page.locator('#delete-form');
		await page.getByRole('button', { name: 'Delete my account' }).click();
		await page.getByLabel('Your password').waitFor();
		await page.getByRole('button', { name: 'Cancel' }).click();
		assert.equal(await page.getByLabel('Your password').isVisible(), false);
		await page.getByRole('button', { name: 'Delete my account', exact: true }).click();
		await page.getByLabel('Your password').fill('not my password');
		await j.snap(page, 'delete confirmation');
		await page.getByRole('button', { name: 'Delete my account for good' }).click();
		await expectText(form.locator('.msg'), 'Your current password is incorrect');
		await page.getByLabel('Your password').fill(PASSWORD);
		if (DATA.totp_secret) {
			// GET /users/two-factor/ says it is on: the code field is there at once. Without the
			// code the deletion is refused.
			assert.equal(await page.getByLabel('Two-factor code').isVisible(), true);
			await page.getByRole('button', { name: 'Delete my account for good' }).click();
			await expectText(form.locator('.msg'), 'The two-factor code is not valid');
			await page.getByLabel('Two-factor code').fill(totp(DATA.totp_secret));
		} else {
			assert.equal(await page.getByLabel('Two-factor code').isVisible(), false);
		}
		await page.getByRole('button', { name: 'Delete my account for good' }).click();
		await page.waitForURL(BASE + '/');
		await expectText(page.locator('#home-notice'), 'Your account has been deleted');
		await expectText(page.locator('#who-name'), NOT_LOGGED_IN);
		await j.snap(page, 'home after deletion');
		// shown once
		await page.reload();
		await expectText(page.locator('#who-name'), NOT_LOGGED_IN);
		assert.equal(await page.locator('#home-notice').count(), 0);
		// every session ended: the other browser is logged out too
		await elsewhere.goto('/');
		await expectText(elsewhere.locator('#who-name'), NOT_LOGGED_IN);
		// logging in again fails
		await page.goto('/auth/login/');
		await page.getByLabel('E-mail address').fill(email);
		await page.getByLabel('Password').fill(PASSWORD);
		await page.getByRole('button', { name: 'Log in' }).click();
		await expectText(page.locator('#login-form .msg'), 'Email and password do not match');
		assert.equal(path(page), '/auth/login/');
	},
};

const name = process.argv[2];
if (!journeys[name]) {
	console.error(`usage: node journeys.mjs ${Object.keys(journeys).join('|')}`);
	process.exit(2);
}
await runJourney(name, journeys[name]);

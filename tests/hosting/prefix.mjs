// The frontend in a browser under a path prefix (BASE_URL = http://host/~user/tNNN/app), run by
// test_shared_hosting.py: every page, link, redirect and API call stays under the prefix, and a
// ?next= elsewhere on the same origin (another customer's pages) is not followed.
import assert from 'node:assert/strict';
import { DESKTOP, runJourney } from '../browser/lib/browser.mjs';

const BASE = process.env.BASE_URL;
const DATA = JSON.parse(process.env.JOURNEY_DATA || '{}');
const PREFIX = new URL(BASE).pathname;

await runJourney('hosting-prefix', async (j) => {
	const page = await j.open(DESKTOP);
	const outside = [];
	page.on('request', (req) => {
		const url = new URL(req.url());
		if (!url.pathname.startsWith(PREFIX + '/')) outside.push(url.pathname);
	});
	await page.goto(BASE + '/');
	await page.locator('#who-name').filter({ hasText: 'You are not logged in.' }).waitFor();
	await page.getByRole('navigation').getByRole('link', { name: 'Log in' }).click();
	await page.waitForURL(BASE + '/auth/login/');

	// A page that needs a login sends the visitor to the login page and back, under the prefix.
	await page.goto(BASE + '/profile/sessions/');
	await page.waitForURL(BASE + '/auth/login/?next=' + encodeURIComponent(PREFIX + '/profile/sessions/'));
	await page.getByLabel('E-mail address').fill(DATA.email);
	await page.getByLabel('Password').fill(DATA.password);
	await page.getByRole('button', { name: 'Log in' }).click();
	await page.waitForURL(BASE + '/profile/sessions/');
	await page.locator('#sessions li').first().waitFor();
	assert.equal(await page.getByRole('navigation').getByRole('link', { name: 'Home' }).getAttribute('href'),
		PREFIX + '/');

	await page.getByRole('navigation').getByRole('button', { name: 'Log out' }).click();
	await page.waitForURL(BASE + '/');
	await page.locator('#who-name').filter({ hasText: 'You are not logged in.' }).waitFor();

	// ?next= to the same origin but outside the site lands on the site's home instead.
	for (const next of ['/~other/phish/', '/', PREFIX + '-evil/']) {
		await page.goto(BASE + '/auth/login/?next=' + encodeURIComponent(next));
		await page.getByLabel('E-mail address').fill(DATA.email);
		await page.getByLabel('Password').fill(DATA.password);
		await page.getByRole('button', { name: 'Log in' }).click();
		await page.waitForURL(BASE + '/');
		await page.getByRole('navigation').getByRole('button', { name: 'Log out' }).click();
		await page.locator('#who-name').filter({ hasText: 'You are not logged in.' }).waitFor();
	}
	assert.deepEqual(outside, [], 'requests outside the prefix');
});

// Debian's Chromium driven by playwright-core (never a downloaded browser), with failure screenshots.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
	'--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 900 };

// One journey: a browser (playwright gives it a new, empty user-data dir), its pages, and the
// screenshots taken along the way, written under OUT_DIR/<name>/ when the journey fails
// (or always with BROWSER_SCREENSHOTS=all).
export class Journey {
	constructor(name) {
		this.name = name;
		this.base = process.env.BASE_URL;
		this.outDir = join(process.env.OUT_DIR || 'out', name);
		this.shots = [];
		this.problems = [];
		this.browser = null;
	}

	async open(viewport = DESKTOP, options = {}) {
		if (!this.browser) {
			this.browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
		}
		const context = await this.browser.newContext({ viewport, baseURL: this.base, ...options });
		const page = await context.newPage();
		page.setDefaultTimeout(15000);
		page.on('pageerror', (err) => this.problems.push(`script error on ${page.url()}: ${err.message}`));
		// The API's paths, under the site's prefix when BASE_URL has one (tests/hosting).
		const api = new URL('users/', this.base.replace(/\/?$/, '/')).pathname;
		page.on('response', (res) => {
			const url = new URL(res.url());
			// Static files of the site must exist; API answers (/users/...) may be 4xx by design.
			if (res.status() >= 400 && !url.pathname.startsWith(api)) {
				this.problems.push(`HTTP ${res.status()} for ${url.pathname}`);
			}
		});
		page.on('requestfailed', (req) => {
			if (!/ERR_ABORTED/.test(req.failure()?.errorText || '')) {
				this.problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`);
			}
		});
		return page;
	}

	async snap(page, label) {
		try {
			this.shots.push([label, await page.screenshot({ fullPage: true })]);
		} catch (err) {
			this.shots.push([label + '-unavailable', Buffer.from(String(err))]);
		}
	}

	async writeShots() {
		await rm(this.outDir, { recursive: true, force: true });
		await mkdir(this.outDir, { recursive: true });
		let i = 0;
		for (const [label, data] of this.shots) {
			i += 1;
			const safe = label.replace(/[^A-Za-z0-9_-]+/g, '_');
			const ext = label.endsWith('-unavailable') ? 'txt' : 'png';
			await writeFile(join(this.outDir, `${String(i).padStart(2, '0')}-${safe}.${ext}`), data);
		}
	}

	async close() {
		if (this.browser) await this.browser.close();
		this.browser = null;
	}
}

// Runs fn(journey); on failure snaps every open page, writes the screenshots and exits non-zero.
export async function runJourney(name, fn) {
	const j = new Journey(name);
	let failed = null;
	await rm(j.outDir, { recursive: true, force: true }); // no stale screenshots of an earlier run
	try {
		await fn(j);
		if (j.problems.length) throw new Error('problems seen in the browser:\n  ' + j.problems.join('\n  '));
	} catch (err) {
		failed = err;
	}
	if (failed && j.browser) {
		for (const context of j.browser.contexts()) {
			for (const page of context.pages()) await j.snap(page, 'at-failure ' + new URL(page.url()).pathname);
		}
	}
	if (failed || process.env.BROWSER_SCREENSHOTS === 'all') await j.writeShots();
	await j.close().catch(() => {});
	if (failed) {
		console.error(`journey ${name} FAILED: ${failed.stack || failed}`);
		console.error(`screenshots: ${j.outDir}`);
		process.exitCode = 1;
	} else {
		console.log(`journey ${name} passed`);
	}
}

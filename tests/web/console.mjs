// console.mjs: drives Debian's chromium through rpn's web console for
// tests/integration/t-web.sh, one command a line on stdin, one answer a
// line on stdout: "ok JSON" or "fail MESSAGE".  Every wait is bounded.
//
//   node console.mjs BASE_URL SHOT_DIR
//
// Commands (times in ms):
//   enroll URL                   open the enrolment URL, wait for the console
//   open URL|PATH                a page; for / wait until it is live
//   wait-text SELECTOR REGEX T   an element's text matches, no reload
//   members                      [{name,state}] as the page shows them
//   services                     [{name,port,backends:[node…]}] as shown
//   wait-member NAME STATES T    a member row in one of STATES (a|b), no reload
//   wait-service NAME T          a service row appears, no reload
//   wait-gone-service NAME T     a service row disappears, no reload
//   add-service JSON             the add form; signs a 428 if asked
//   delete-backend SERVICE NODE  a backend's Delete button, confirmed
//   revoke NAME                  a member's Revoke button, confirmed, signed
//   error-shown T                the page's error banner text
//   raw SPEC                     a request signed by the page's key, with a
//                                fixed nonce/created if given: JSON
//                                {method,path,body,created,nonce}
//   wait-locked T                the 403 notice is shown, no reload
//   screenshot NAME              a PNG of the page in SHOT_DIR, checked not
//                                blank; also at phone width (NAME-phone)
//   quit

import { chromium } from 'playwright-core';
import readline from 'node:readline';
import fs from 'node:fs';
import path from 'node:path';

const [base, shots] = process.argv.slice(2);
if (!base || !shots) {
	console.error('usage: node console.mjs BASE_URL SHOT_DIR');
	process.exit(2);
}
fs.mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
	args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
	timeout: 60000,
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
const logs = [];
page.on('console', (m) => logs.push(`console.${m.type()}: ${m.text()}`));
page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));

/* A mark set in the page: still there after a wait means no reload. */
async function mark() {
	await page.evaluate(() => { window.__rpnMark = 'kept'; });
}
async function notReloaded() {
	const m = await page.evaluate(() => window.__rpnMark);
	if (m !== 'kept')
		throw new Error('the page was reloaded');
}

const row = (kind, name) => `tr[data-${kind}="${name}"]`;

/* Sign whatever the confirmation dialog shows; returns its lines. */
async function confirmDialog(timeout) {
	const d = page.locator('#confirm[open]');
	await d.waitFor({ state: 'visible', timeout });
	const lines = await d.locator('#confirm-lines li').allTextContents();
	const title = await d.locator('#confirm-title').textContent();
	await page.evaluate(() => { document.getElementById('confirm').dataset.seen = '1'; });
	await d.locator('#confirm-ok').click();
	/* closed, or opened again for the next question (a 428 after a confirm) */
	await page.waitForFunction(() => {
		const e = document.getElementById('confirm');
		return !e.open || !e.dataset.seen;
	}, null, { timeout: 5000 });
	return { title, lines };
}

/* After an action: signing dialogs (428) until done(ms) resolves (the
 * change shows), or the error banner shows. */
async function maybeSign(done, timeout = 10000) {
	const signed = [];
	const until = Date.now() + timeout;
	for (;;) {
		const left = until - Date.now();
		if (left <= 0)
			throw new Error('timed out waiting for the change to show');
		const what = await Promise.race([
			page.locator('#confirm[open]').waitFor({ timeout: left }).then(() => 'dialog'),
			page.locator('#error:not([hidden])').waitFor({ timeout: left }).then(() => 'error'),
			done(left).then(() => 'done'),
		]).catch(() => 'nothing');
		if (what === 'dialog')
			signed.push(await confirmDialog(5000));
		else if (what === 'error')
			throw new Error(`the page says: ${await page.locator('#error').textContent()}`);
		else if (what === 'done')
			return signed;
	}
}

/* Not blank: decode the PNG in the browser itself and count colours. */
async function checkPng(file) {
	const b64 = fs.readFileSync(file).toString('base64');
	const p = await context.newPage();
	try {
		return await p.evaluate(async (data) => {
			const blob = await (await fetch(`data:image/png;base64,${data}`)).blob();
			const bmp = await createImageBitmap(blob);
			const c = new OffscreenCanvas(bmp.width, bmp.height);
			const g = c.getContext('2d');
			g.drawImage(bmp, 0, 0);
			const px = g.getImageData(0, 0, bmp.width, bmp.height).data;
			const seen = new Map();
			for (let i = 0; i < px.length; i += 4) {
				const k = (px[i] << 16) | (px[i + 1] << 8) | px[i + 2];
				seen.set(k, (seen.get(k) || 0) + 1);
			}
			const n = px.length / 4;
			const top = Math.max(...seen.values());
			return { width: bmp.width, height: bmp.height,
			    colours: seen.size, background: top / n };
		}, b64);
	} finally {
		await p.close();
	}
}

const commands = {
	async enroll(url) {
		const t0 = Date.now();
		await page.goto(url, { timeout: 15000 });
		await page.waitForURL((u) => u.pathname === '/', { timeout: 30000 });
		await page.locator('#whoami').waitFor({ timeout: 15000 });
		await page.locator(`#members tbody tr[data-member]`).first().waitFor({ timeout: 15000 });
		await page.locator('#live[data-state="live"]').waitFor({ timeout: 15000 });
		await mark();
		const fragmentGone = !(await page.evaluate(() => location.href)).includes('#');
		return { ms: Date.now() - t0, whoami: await page.locator('#whoami').textContent(),
		    fragmentGone };
	},
	async open(where) {
		const u = new URL(where, base);
		await page.goto(u.href, { timeout: 15000 });
		if (u.pathname === '/') {
			await page.locator('#whoami').waitFor({ timeout: 15000 });
			await page.locator('#live[data-state="live"]').waitFor({ timeout: 15000 });
		}
		await mark();
		return { url: page.url() };
	},
	async 'wait-text'(sel, re, timeout) {
		const t0 = Date.now();
		const rx = new RegExp(re);
		try {
			await page.locator(sel).filter({ hasText: rx }).first()
			    .waitFor({ timeout: Number(timeout) });
		} catch (e) {
			const now = await page.locator(sel).allTextContents();
			throw new Error(`no ${sel} matches /${re}/ after ${timeout} ms: ${JSON.stringify(now)}`);
		}
		await notReloaded();
		return { ms: Date.now() - t0, text: await page.locator(sel).first().textContent() };
	},
	async members() {
		return page.$$eval('#members tbody tr[data-member]', (rows) => rows.map((r) =>
		    ({ name: r.dataset.member, state: r.dataset.state })));
	},
	async services() {
		return page.$$eval('#services tbody tr[data-service]', (rows) => rows.map((r) => ({
			name: r.dataset.service,
			port: r.querySelector('td:nth-child(2)').textContent,
			backends: [...r.querySelectorAll('li[data-backend]')].map((b) => b.dataset.backend).sort(),
			programmed: r.querySelector('td.programmed').textContent,
		})));
	},
	async 'wait-member'(name, states, timeout) {
		const t0 = Date.now();
		const sel = states.split('|').map((s) => `${row('member', name)}[data-state="${s}"]`).join(', ');
		await page.locator(sel).first().waitFor({ timeout: Number(timeout) });
		await notReloaded();
		return { ms: Date.now() - t0 };
	},
	async 'wait-service'(name, timeout) {
		const t0 = Date.now();
		await page.locator(row('service', name)).waitFor({ timeout: Number(timeout) });
		await notReloaded();
		return { ms: Date.now() - t0 };
	},
	async 'wait-gone-service'(name, timeout) {
		const t0 = Date.now();
		await page.locator(row('service', name)).waitFor({ state: 'detached', timeout: Number(timeout) });
		await notReloaded();
		return { ms: Date.now() - t0 };
	},
	async 'add-service'(json) {
		const s = JSON.parse(json);
		const f = page.locator('#add-form');
		if (!await f.isVisible())
			await page.locator('#add-details summary').click();
		await f.locator('[name=name]').fill(s.name);
		await f.locator('[name=proto]').selectOption(s.proto || 'tcp');
		await f.locator('[name=port]').fill(String(s.port));
		await f.locator('[name=target]').fill(s.target);
		await f.locator('[name=node]').selectOption(s.node || '');
		if (s.public)
			await f.locator('[name=access][value=public]').check();
		else if (s.allow) {
			await f.locator('[name=access][value=allow]').check();
			await f.locator('[name=allow]').fill(s.allow.join(' '));
		}
		const t0 = Date.now();
		await f.locator('button[type=submit]').click();
		const signed = await maybeSign((ms) =>
		    page.locator(row('service', s.name)).waitFor({ timeout: ms }));
		await notReloaded();
		return { ms: Date.now() - t0, signed };
	},
	async 'delete-backend'(service, node) {
		await page.locator(`${row('service', service)} li[data-backend="${node}"] button`).click();
		const signed = [await confirmDialog(5000)];
		signed.push(...await maybeSign((ms) => page.locator(
		    `${row('service', service)} li[data-backend="${node}"]`)
		    .waitFor({ state: 'detached', timeout: ms })));
		return { signed };
	},
	async revoke(name) {
		const t0 = Date.now();
		await page.locator(`${row('member', name)} button`).click();
		const signed = [await confirmDialog(5000)];
		signed.push(...await maybeSign((ms) => page.locator(
		    `${row('member', name)}[data-state="revoked"]`).waitFor({ timeout: ms })));
		await notReloaded();
		return { ms: Date.now() - t0, signed };
	},
	async 'error-shown'(timeout) {
		await page.locator('#error:not([hidden])').waitFor({ timeout: Number(timeout) });
		return { text: await page.locator('#error').textContent() };
	},
	async raw(json) {
		const spec = JSON.parse(json);
		return page.evaluate(async (spec) => {
			const hs = await import('/httpsig.js');
			const ks = await import('/keystore.js');
			const key = await ks.loadKey();
			const url = new URL(spec.path, location.origin).href;
			const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
			const opts = {};
			if (spec.created !== undefined)
				opts.created = spec.created === 'old' ?
				    Math.floor(Date.now() / 1000) - 600 : spec.created;
			if (spec.nonce !== undefined)
				opts.nonce = spec.nonce;
			const headers = await hs.signRequest(key, spec.method, url, body, opts);
			if (body !== undefined)
				headers['Content-Type'] = 'application/json';
			const out = [];
			for (let i = 0; i < (spec.times || 1); i++) {
				const r = await fetch(url, { method: spec.method, headers, body });
				let text = await r.text();
				out.push({ status: r.status, body: text.slice(0, 200) });
			}
			return out;
		}, spec);
	},
	async 'wait-locked'(timeout) {
		const t0 = Date.now();
		await page.locator('#locked:not([hidden])').waitFor({ timeout: Number(timeout) });
		await notReloaded();
		return { ms: Date.now() - t0, text: (await page.locator('#locked').textContent()).replace(/\s+/g, ' ').trim() };
	},
	async screenshot(name) {
		const out = {};
		for (const [suffix, vp] of [['', { width: 1280, height: 900 }], ['-phone', { width: 390, height: 844 }]]) {
			await page.setViewportSize(vp);
			const file = path.join(shots, `${name}${suffix}.png`);
			await page.screenshot({ path: file, fullPage: true });
			const c = await checkPng(file);
			if (c.colours < 8 || c.background > 0.97)
				throw new Error(`${file} looks blank: ${JSON.stringify(c)}`);
			if (suffix === '-phone') {
				/* one column: nothing wider than the screen but the tables' own scrollers */
				const wide = await page.evaluate(() => document.documentElement.scrollWidth);
				if (wide > vp.width + 1)
					throw new Error(`at ${vp.width} px the page is ${wide} px wide`);
			}
			out[`${name}${suffix}`] = c;
		}
		await page.setViewportSize({ width: 1280, height: 900 });
		return out;
	},
	async quit() {
		await browser.close();
		process.exit(0);
	},
};

const rl = readline.createInterface({ input: process.stdin });
for await (const line of rl) {
	const [cmd, ...args] = line.match(/'[^']*'|\S+/g) || [];
	if (!cmd)
		continue;
	const unq = args.map((a) => a.replace(/^'(.*)'$/, '$1'));
	try {
		if (!commands[cmd])
			throw new Error(`unknown command ${cmd}`);
		if (commands[cmd].length !== unq.length)
			throw new Error(`${cmd} takes ${commands[cmd].length} arguments, not ${unq.length}`);
		const r = await commands[cmd](...unq);
		process.stdout.write(`ok ${JSON.stringify(r ?? null)}\n`);
	} catch (e) {
		const recent = logs.slice(-5).join(' | ');
		process.stdout.write(`fail ${String(e.message).split('\n')[0]}${recent ? ` [page: ${recent}]` : ''}\n`);
	}
}
await browser.close();

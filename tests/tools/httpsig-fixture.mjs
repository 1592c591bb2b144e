// httpsig-fixture.mjs: requests signed by a real browser, for tests/unit/test-httpsig.c.
//
// Runs Debian's chromium headless through playwright-core on a page that
// loads ctl/web/httpsig.js, makes a key, and sends a signed POST with a
// JSON body and a signed GET to a small HTTP server on 127.0.0.1 in this
// script; prints what that server received as C for the unit test.
//
//   mkdir -p /tmp/pw && cd /tmp/pw && npm install playwright-core
//   cd /tmp/pw && node /path/to/rpn/tests/tools/httpsig-fixture.mjs
//
// playwright-core is looked up from the current directory.  CHROMIUM
// overrides /usr/bin/chromium.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const signer = readFileSync(join(here, '../../ctl/web/httpsig.js'));
const require = createRequire(join(process.cwd(), 'resolve.js'));
const { chromium } = require('playwright-core');

const page = `<!doctype html><meta charset=utf-8><title>httpsig</title>
<script type=module>
import * as h from '/httpsig.js';
window.httpsig = h;
window.ready = true;
</script>`;

const got = [];
const server = createServer((req, res) => {
  if (req.url === '/') {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(page);
    return;
  }
  if (req.url === '/httpsig.js') {
    res.writeHead(200, { 'content-type': 'text/javascript' });
    res.end(signer);
    return;
  }
  if (!req.url.startsWith('/api/')) {
    res.writeHead(404);
    res.end();
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    got.push({
      method: req.method,
      target: req.url,
      host: req.headers.host,
      sigInput: req.headers['signature-input'],
      sig: req.headers['signature'],
      digest: req.headers['content-digest'] ?? null,
      body: Buffer.concat(chunks).toString('utf8'),
    });
    res.writeHead(204);
    res.end();
  });
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const origin = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
let key, version;
try {
  const p = await browser.newPage();
  await p.goto(origin + '/');
  await p.waitForFunction(() => window.ready === true, null, { timeout: 10000 });
  version = browser.version();
  key = await p.evaluate(async () => {
    const h = window.httpsig;
    const kp = await h.generateKey();
    const body = JSON.stringify({ name: 'web', port: 8080, proto: 'tcp', public: true });
    let r = await h.signedFetch(kp, '/api/v1/services?dry=1', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body,
    });
    if (r.status !== 204) throw new Error('POST: ' + r.status);
    r = await h.signedFetch(kp, '/api/v1/status');
    if (r.status !== 204) throw new Error('GET: ' + r.status);
    return h.keyId(kp.publicKey);
  });
} finally {
  await browser.close();
  server.close();
}

// A C string literal, in pieces of at most 60 characters.
const c = (s) => {
  if (s === null) return 'NULL';
  const parts = [];
  for (let i = 0; i < s.length || i === 0; i += 60) parts.push(JSON.stringify(s.slice(i, i + 60)));
  return parts.join('\n\t    ');
};
const lines = [];
lines.push(`/* made by tests/tools/httpsig-fixture.mjs with Chromium ${version} */`);
lines.push(`static const char browser_key[] = ${c(key)};`);
lines.push('static const struct browser_req browser_reqs[] = {');
for (const g of got) {
  const q = g.target.indexOf('?');
  const path = q < 0 ? g.target : g.target.slice(0, q);
  const query = q < 0 ? null : g.target.slice(q + 1);
  const created = Number(/;created=(\d+)/.exec(g.sigInput)[1]);
  lines.push(`\t{ ${c(g.method)}, ${c(g.host)}, ${c(path)}, ${c(query)},`);
  lines.push(`\t  ${c(g.sigInput)},`);
  lines.push(`\t  ${c(g.sig)},`);
  lines.push(`\t  ${c(g.digest)},`);
  lines.push(`\t  ${c(g.body)},`);
  lines.push(`\t  ${created} },`);
}
lines.push('};');
console.log(lines.join('\n'));

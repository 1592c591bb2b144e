// app.js: the console's main page: members, this node, services, operators
// and the audit log, kept current by the signed event stream (api.js).

import * as api from './api.js';

const $ = (sel) => document.querySelector(sel);

/* h('td', { class: 'x' }, 'text', child...): an element; text is never
 * parsed as HTML, so nothing the API says can become markup. */
function h(tag, attrs, ...kids) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === undefined || v === null || v === false)
			continue;
		if (k.startsWith('on'))
			e.addEventListener(k.slice(2), v);
		else
			e.setAttribute(k, v === true ? '' : String(v));
	}
	for (const k of kids.flat()) {
		if (k === undefined || k === null)
			continue;
		e.append(k instanceof Node ? k : document.createTextNode(String(k)));
	}
	return e;
}

const stateSpan = (s) => h('span', { class: `state state-${s}` }, s);

function showError(msg) {
	const e = $('#error');
	e.textContent = msg;
	e.hidden = false;
	clearTimeout(showError.timer);
	showError.timer = setTimeout(() => { e.hidden = true; }, 15000);
}

function clearError() {
	$('#error').hidden = true;
}

let locked = false;

function lock(err) {
	locked = true;
	$('#console').hidden = true;
	$('#locked').hidden = false;
	$('#locked-why').textContent = err ? err.message : '';
	$('#live').dataset.state = 'locked';
	$('#live').textContent = 'locked out';
	$('#who').textContent = 'not an operator';
}

/* Report a failed call: 403 means this key is not (or no longer) an operator. */
function failed(e) {
	if (e.status === 403)
		lock(e);
	else
		showError(e.message);
}

/* The confirmation dialog: resolves true when the person presses OK. */
function ask(title, lines, okLabel) {
	const d = $('#confirm');
	$('#confirm-title').textContent = title;
	$('#confirm-lines').replaceChildren(...lines.map((l) => h('li', {}, l)));
	$('#confirm-ok').textContent = okLabel;
	return new Promise((resolve) => {
		d.addEventListener('close', () => resolve(d.returnValue === 'ok'),
		    { once: true });
		d.returnValue = '';
		delete d.dataset.seen;
		d.showModal();
	});
}

/* What the 428 flow asks: sign these statements? */
const confirmSign = (sign) => ask(
    'This change needs your signature as an operator',
    sign.map((s) => s.summary || '(no summary)'), 'Sign and send');

async function write(method, path, body) {
	clearError();
	try {
		const r = await api.call(method, path, body, confirmSign);
		return r || {};
	} catch (e) {
		failed(e);
		return null;
	}
}

/* --- views ------------------------------------------------------------ */

let status = null;
let statusAt = 0;
let services = [];

function ago(ms) {
	if (ms === null || ms === undefined)
		return '—';
	const s = (ms + (Date.now() - statusAt)) / 1000;
	return s < 1 ? `${Math.round(s * 1000)} ms ago` :
	    s < 120 ? `${s.toFixed(1)} s ago` : `${Math.round(s / 60)} min ago`;
}

function renderMembers() {
	const rows = (status.members || []).map((m) => {
		const canRevoke = !m.self && m.state !== 'revoked' &&
		    m.state !== 'left';
		return h('tr', { 'data-member': m.name, 'data-state': m.state },
		    h('td', {}, m.name, m.self ? h('span', { class: 'muted' }, ' (this node)') : null,
			h('div', { class: 'muted mono', title: m.id }, (m.id || '').slice(0, 8))),
		    h('td', {}, stateSpan(m.state)),
		    h('td', { class: 'mono' }, h('ul', {}, (m.addrs || []).map((a) => h('li', {}, a)))),
		    h('td', { class: 'ack', 'data-ack': m.last_ack_ms ?? '' }, m.self ? '—' : ago(m.last_ack_ms)),
		    h('td', {}, canRevoke ? h('button', { class: 'danger small',
			onclick: () => revoke(m.name) }, 'Revoke') : null));
	});
	$('#members tbody').replaceChildren(...rows);
}

function renderNode() {
	const n = status.node || {};
	$('#nodename').textContent = n.name ? `· ${n.name}` : '';
	document.title = n.name ? `rpn · ${n.name}` : 'rpn console';
	const dl = [];
	const item = (k, ...v) => dl.push(h('dt', {}, k), h('dd', {}, ...v));
	item('node', n.name || '—', ' ', stateSpan(n.state || 'unknown'));
	item('mesh', h('span', { class: 'mono' }, n.mesh || '—'));
	item('uplinks', h('ul', {}, (status.uplinks || []).map((u) => h('li', {},
	    h('span', { class: 'mono' }, u.iface), ' ', stateSpan(u.state), ' ',
	    u.address || '', u.gateway ? ` via ${u.gateway}` : '',
	    h('span', { class: 'muted' }, ` (${u.source})`)))));
	item('LANs', h('ul', {}, (status.lans || []).map((l) => h('li', {},
	    h('span', { class: 'mono' }, l.iface),
	    h('span', { class: 'muted' }, ` (${l.source})`)))));
	item('LAN prefixes', (status.lan_prefixes || []).join(', ') || '—');
	const k = status.kernel;
	if (k)
		item('kernel', stateSpan(k.state), k.problem ? ` ${k.problem}` : '');
	const web = status.http || {};
	item('console', h('span', { class: 'mono' }, web.listen ? `http://${web.listen}` : 'off'),
	    web.https_listen ? h('span', { class: 'mono' }, `, https://${web.https_listen}`) : null,
	    web.problem ? h('div', { class: 'state-down' }, web.problem) : null);
	item('HTTPS certificate', web.https_fingerprint ?
	    h('span', { class: 'mono', id: 'fingerprint' }, `SHA-256 ${web.https_fingerprint}`) :
	    h('span', { class: 'muted' }, 'no HTTPS listener'));
	for (const note of status.notes || [])
		item('note', note);
	$('#thisnode').replaceChildren(...dl);
}

/* "on N of M nodes" (programmed_on: live members whose kernel holds it),
 * and whether this node's kernel does (programmed). */
function programmedText(s) {
	const p = s.programmed_on;
	const here = typeof s.programmed === 'boolean' ?
	    h('div', { class: 'muted' }, `this node: ${s.programmed ? 'yes' : 'no'}`) : null;
	if (p && typeof p === 'object' && 'nodes' in p) {
		const cls = p.nodes === p.of ? 'yes' : 'partial';
		return h('span', {}, h('span', { class: `state state-${cls}` },
		    `on ${p.nodes} of ${p.of} nodes`), here);
	}
	if (typeof s.programmed === 'boolean')
		return stateSpan(s.programmed ? 'yes' : 'no');
	return '—';
}

function renderServices() {
	const rows = services.map((s) => {
		const access = s.access === 'allow' ?
		    `allow ${(s.allow || []).join(', ')}` : s.access;
		const backends = (s.backends || []).map((b) => h('li', {
		    'data-backend': b.node },
		    `${b.node} `, stateSpan(b.state), ' → ',
		    h('span', { class: 'mono' }, b.target), ' health ',
		    stateSpan(b.health), ' ',
		    h('button', { class: 'danger small',
			onclick: () => withdraw(s.name, b.node) }, 'Delete')));
		return h('tr', { 'data-service': s.name },
		    h('td', {}, h('strong', {}, s.name),
			s.problem ? h('div', { class: 'state-down' }, s.problem) : null),
		    h('td', { class: 'mono' }, `${s.proto}/${s.port}`),
		    h('td', {}, access),
		    h('td', {}, h('ul', {}, backends)),
		    h('td', { class: 'programmed' }, programmedText(s)));
	});
	$('#services tbody').replaceChildren(...(rows.length ? rows :
	    [h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'no services'))]));
	fillSelect($('#grant-form [name=service]'), services.map((s) => [s.name, s.name]));
}

function fillSelect(sel, options) {
	const keep = sel.value;
	sel.replaceChildren(...options.map(([v, t]) => h('option', { value: v }, t)));
	if (options.some(([v]) => v === keep))
		sel.value = keep;
}

function renderNodeSelects() {
	const live = (status.members || []).filter((m) =>
	    m.state !== 'revoked' && m.state !== 'left');
	fillSelect($('#add-form [name=node]'), [['', 'this node'],
	    ...live.filter((m) => !m.self).map((m) => [m.name, m.name])]);
	fillSelect($('#grant-form [name=node]'), live.map((m) => [m.name, m.name]));
}

let me = null;

function renderWho() {
	if (!me)
		return;
	$('#who').replaceChildren('signed in as ', h('strong', { id: 'whoami' }, me.name),
	    ' ', h('span', { class: 'mono', title: me.key }, `(key ${me.key.slice(0, 10)}…)`));
}

function renderOperators(ops) {
	$('#operators tbody').replaceChildren(...ops.map((o) => h('tr',
	    { 'data-operator': o.name },
	    h('td', {}, o.name, me && o.key === me.key ? h('span', { class: 'muted' }, ' (you)') : null),
	    h('td', {}, stateSpan(o.state)),
	    h('td', { class: 'mono', title: o.key }, `${o.key.slice(0, 12)}…`),
	    h('td', {}, o.by))));
}

function renderAudit(events) {
	const rows = events.slice().reverse().map((e) => h('tr', { 'data-event': e.event },
	    h('td', {}, new Date(e.time).toLocaleString()),
	    h('td', {}, e.actor),
	    h('td', {}, e.event),
	    h('td', {}, e.subject),
	    h('td', { class: 'detail' }, e.detail)));
	$('#audit tbody').replaceChildren(...rows);
}

/* --- loading ----------------------------------------------------------- */

const loaders = {
	async status() {
		status = await api.get('/api/v1/status');
		statusAt = Date.now();
		renderMembers();
		renderNode();
		renderNodeSelects();
	},
	async services() {
		services = (await api.get('/api/v1/services')).services || [];
		renderServices();
	},
	async operators() {
		me = await api.get('/api/v1/whoami');
		renderWho();
		if (!me.operator) {
			lock(null);
			return;
		}
		renderOperators((await api.get('/api/v1/operators')).operators || []);
	},
	async audit() {
		renderAudit((await api.get('/api/v1/audit')).events || []);
	},
};

/* Which views an event's "what" touches. */
const touches = {
	members: ['status', 'services'],
	node: ['status'],
	services: ['services', 'status'],
	operators: ['operators', 'audit'],
	audit: ['audit'],
};

/* Each view is loaded by one request at a time; a change arriving while it
 * loads makes it load once more afterwards. */
const running = {};
const again = {};

function load(name) {
	if (locked)
		return;
	if (running[name]) {
		again[name] = true;
		return;
	}
	running[name] = (async () => {
		try {
			await loaders[name]();
		} catch (e) {
			failed(e);
		}
		running[name] = null;
		if (again[name]) {
			again[name] = false;
			load(name);
		}
	})();
}

function changed(what) {
	for (const name of (what && touches[what]) || Object.keys(loaders))
		load(name);
}

/* --- actions ------------------------------------------------------------ */

async function revoke(node) {
	if (!await ask(`Revoke ${node}?`, [
	    `Every member drops ${node} within seconds and refuses it for good; it cannot come back with its key.`],
	    `Revoke ${node}`))
		return;
	await write('POST', '/api/v1/revoke', { node });
}

async function withdraw(name, node) {
	if (!await ask(`Delete ${node}'s backend of ${name}?`, [
	    'The other owners\' backends stay; the service is gone with its last backend.'],
	    'Delete'))
		return;
	await write('DELETE', `/api/v1/services/${encodeURIComponent(name)}?node=${encodeURIComponent(node)}`);
}

async function addService(ev) {
	ev.preventDefault();
	const f = ev.target;
	const access = f.access.value;
	const body = {
		name: f.name.value.trim(),
		port: Number(f.port.value),
		proto: f.proto.value,
		target: f.target.value.trim(),
		public: access === 'public',
		allow: access === 'allow' ?
		    f.allow.value.split(/[\s,]+/).filter((x) => x) : [],
	};
	if (f.node.value)
		body.node = f.node.value;
	if (await write('POST', '/api/v1/services', body))
		f.reset();
}

async function grant(ev) {
	ev.preventDefault();
	const f = ev.target;
	await write('POST', `/api/v1/services/${encodeURIComponent(f.service.value)}/grant`,
	    { node: f.node.value });
}

/* --- start ----------------------------------------------------------------- */

async function main() {
	$('#add-form').addEventListener('submit', addService);
	$('#grant-form').addEventListener('submit', grant);
	let key;
	try {
		key = await api.init();
	} catch (e) {
		showError(`cannot open this browser's key store: ${e.message}`);
		return;
	}
	if (!key) {
		lock(new Error('This browser has no key yet.'));
		return;
	}
	$('#console').hidden = false;
	api.watch(changed, (state, err) => {
		const live = $('#live');
		if (state === 'locked') {
			lock(err);
			return;
		}
		live.dataset.state = state;
		live.textContent = state === 'live' ? 'live' : 'reconnecting…';
		live.title = err ? err.message : '';
	});
	/* last ack ages move with the clock; the data does not change */
	setInterval(() => {
		if (status && !locked)
			for (const td of document.querySelectorAll('#members td.ack[data-ack]'))
				if (td.dataset.ack !== '')
					td.textContent = ago(Number(td.dataset.ack));
	}, 1000);
}

main();

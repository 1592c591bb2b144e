// enroll.js: /enroll#CODE: make (or reuse) this browser's key, prove the
// one-time code with a request signed by it, and wait until the operator's
// `rpnctl web enroll` has enrolled the key; then open the console.

import * as api from './api.js';
import { makeKey } from './keystore.js';

const step = (t) => { document.getElementById('step').textContent = t; };
const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

function error(t) {
	const e = document.getElementById('error');
	e.textContent = t;
	e.hidden = false;
	step('Enrolment failed.');
}

async function whoami() {
	try {
		return await api.get('/api/v1/whoami');
	} catch (e) {
		if (e.status === 403)
			return null;
		throw e;
	}
}

async function main() {
	/* The code is in the fragment, which the browser never sends; take it
	 * out of the address bar (and history) as soon as it is read. */
	const code = decodeURIComponent(location.hash.slice(1));
	history.replaceState(null, '', location.pathname);
	if (!code) {
		error('This address has no enrolment code. Run "rpnctl web enroll NAME" on the node and open the address it prints.');
		return;
	}
	if (!window.isSecureContext || !crypto.subtle) {
		error('This page is not a secure context (use http://127.0.0.1 or https), so the browser offers no WebCrypto.');
		return;
	}
	let key = await api.init();
	if (!key) {
		step('Making this browser\'s key…');
		try {
			key = await makeKey();
		} catch (e) {
			error(`This browser cannot make an Ed25519 key: ${e.message}`);
			return;
		}
		api.useKey(key);
	}
	step('Proving the enrolment code…');
	try {
		await api.call('POST', '/api/v1/enroll', { code });
	} catch (e) {
		error(e.message);
		return;
	}
	step('Waiting for the operator\'s command to finish (rpnctl web enroll signs this browser\'s key)…');
	const until = Date.now() + 10 * 60 * 1000;
	while (Date.now() < until) {
		let me;
		try {
			me = await whoami();
		} catch (e) {
			me = null;
		}
		if (me && me.operator) {
			step(`Enrolled as ${me.name}. Opening the console…`);
			location.replace('/');
			return;
		}
		await sleep(300);
	}
	error('The key was not enrolled within 10 minutes; run rpnctl web enroll again.');
}

main().catch((e) => error(e.message));

// api.js: signed requests to rpnd's API (docs/http.md), the operator
// statement flow (428: sign each statement, send again) and the signed
// event stream, read with fetch() since EventSource cannot sign.

import * as httpsig from './httpsig.js';
import { b64decode, b64encode, loadKey, signBytes } from './keystore.js';

export class ApiError extends Error {
	constructor(status, message) {
		super(message);
		this.status = status;
	}
}

let key = null;

/* Load this browser's key; null when it has none. */
export async function init() {
	key = await loadKey();
	return key;
}

export function currentKey() {
	return key;
}

export function useKey(k) {
	key = k;
}

/* The headers that sign one request (httpsig.js, RFC 9421). */
async function signedHeaders(method, url, body) {
	if (!key)
		throw new ApiError(0, 'this browser has no operator key');
	return httpsig.signRequest(key, method, url, body);
}

async function send(method, path, body) {
	const url = new URL(path, location.origin).href;
	const text = body === undefined ? undefined : JSON.stringify(body);
	const headers = await signedHeaders(method, url, text);
	if (text !== undefined)
		headers['Content-Type'] = 'application/json';
	let r;
	try {
		r = await fetch(url, { method, headers, body: text,
		    cache: 'no-store' });
	} catch (e) {
		throw new ApiError(0, `cannot reach rpnd: ${e.message}`);
	}
	let json = null;
	try {
		json = await r.json();
	} catch (e) {
		json = null;
	}
	return { status: r.status, json };
}

function errorOf(r) {
	const msg = r.json && typeof r.json.error === 'string' ?
	    r.json.error : `HTTP ${r.status}`;
	return new ApiError(r.status, msg);
}

/*
 * call - one API request.  A write that needs operator statements answers
 * 428 with what to sign; confirm(sign) shows their summaries and says
 * whether to go on; then each message is signed with this browser's key
 * and the request is sent again with the statements and signatures.
 */
export async function call(method, path, body, confirm) {
	let r = await send(method, path, body);
	/* A statement signed too long ago is answered 428 again, with fresh
	 * statements: ask again, a few times at most. */
	for (let round = 0; round < 3 && r.status === 428 && r.json &&
	    Array.isArray(r.json.sign); round++) {
		if (!confirm || !await confirm(r.json.sign))
			throw new ApiError(428, 'cancelled: nothing was signed');
		const statements = [];
		const signatures = [];
		for (const s of r.json.sign) {
			statements.push(s.statement);
			signatures.push(b64encode(await signBytes(key,
			    b64decode(s.message))));
		}
		r = await send(method, path,
		    Object.assign({}, body || {}, { statements, signatures }));
	}
	if (r.status < 200 || r.status > 299)
		throw errorOf(r);
	return r.json;
}

export const get = (path) => call('GET', path);

const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

/*
 * watch - follow GET /api/v1/events until stop() is called.
 * onChange(what) runs for each change event, and onChange(null) each time
 * the stream (re)opens, since changes may have been missed meanwhile.
 * onState('live' | 'down' | 'locked', error) reports the stream's state;
 * 'locked' (403: this key is not an operator) ends the watch.  Reconnects
 * with a growing delay (0.25 s to 5 s); a stream silent for 40 s (the
 * server sends a comment every 15 s) is dropped and opened again.
 */
export function watch(onChange, onState) {
	let stopped = false;
	let ctrl = null;
	let delay = 250;

	async function once() {
		const url = new URL('/api/v1/events', location.origin).href;
		const headers = await signedHeaders('GET', url, undefined);
		ctrl = new AbortController();
		let r;
		try {
			r = await fetch(url, { headers, signal: ctrl.signal,
			    cache: 'no-store' });
		} catch (e) {
			throw new ApiError(0, `cannot reach rpnd: ${e.message}`);
		}
		if (r.status !== 200) {
			let json = null;
			try { json = await r.json(); } catch (e) { json = null; }
			throw errorOf({ status: r.status, json });
		}
		delay = 250;
		onState('live');
		onChange(null);
		const reader = r.body.pipeThrough(new TextDecoderStream())
		    .getReader();
		let buf = '';
		let timer = null;
		const arm = () => {
			clearTimeout(timer);
			timer = setTimeout(() => ctrl.abort(), 40000);
		};
		arm();
		try {
			for (;;) {
				const { value, done } = await reader.read();
				if (done)
					break;
				arm();
				buf += value.replace(/\r\n?/g, '\n');
				let i;
				while ((i = buf.indexOf('\n\n')) >= 0) {
					dispatch(buf.slice(0, i));
					buf = buf.slice(i + 2);
				}
			}
		} finally {
			clearTimeout(timer);
		}
	}

	function dispatch(block) {
		let event = 'message';
		const data = [];
		for (const line of block.split('\n')) {
			if (line.startsWith(':'))
				continue;
			const c = line.indexOf(':');
			const field = c < 0 ? line : line.slice(0, c);
			let value = c < 0 ? '' : line.slice(c + 1);
			if (value.startsWith(' '))
				value = value.slice(1);
			if (field === 'event')
				event = value;
			else if (field === 'data')
				data.push(value);
		}
		if (event !== 'change' || data.length === 0)
			return;
		try {
			onChange(JSON.parse(data.join('\n')).what || null);
		} catch (e) {
			onChange(null);
		}
	}

	(async () => {
		while (!stopped) {
			try {
				await once();
				if (!stopped)
					onState('down', new ApiError(0,
					    'the event stream ended'));
			} catch (e) {
				if (stopped)
					break;
				if (e.status === 403) {
					onState('locked', e);
					return;
				}
				onState('down', e);
			}
			await sleep(delay);
			delay = Math.min(delay * 2, 5000);
		}
	})();

	return {
		stop() {
			stopped = true;
			if (ctrl)
				ctrl.abort();
		},
	};
}

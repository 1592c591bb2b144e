// keystore.js: this browser's operator key, a WebCrypto Ed25519 pair whose
// private half is not extractable, kept in IndexedDB as the CryptoKey
// objects themselves (the browser stores them; page scripts cannot read
// the private bytes, only ask the browser to sign with them).

import { generateKey, keyId } from './httpsig.js';

const DB = 'rpn-console';
const STORE = 'keys';
const ID = 'operator';

function openDb() {
	return new Promise((resolve, reject) => {
		const r = indexedDB.open(DB, 1);
		r.onupgradeneeded = () => r.result.createObjectStore(STORE);
		r.onsuccess = () => resolve(r.result);
		r.onerror = () => reject(r.error);
	});
}

async function withStore(mode, fn) {
	const db = await openDb();
	try {
		return await new Promise((resolve, reject) => {
			const t = db.transaction(STORE, mode);
			const req = fn(t.objectStore(STORE));
			t.oncomplete = () => resolve(req.result);
			t.onerror = () => reject(t.error);
			t.onabort = () => reject(t.error || new Error('aborted'));
		});
	} finally {
		db.close();
	}
}

export function b64encode(bytes) {
	let s = '';
	for (const b of new Uint8Array(bytes))
		s += String.fromCharCode(b);
	return btoa(s);
}

export function b64decode(text) {
	const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
	const out = new Uint8Array(s.length);
	for (let i = 0; i < s.length; i++)
		out[i] = s.charCodeAt(i);
	return out;
}

/* The stored key, { privateKey, publicKey, keyid, made }, or null. */
export async function loadKey() {
	const k = await withStore('readonly', (s) => s.get(ID));
	return k || null;
}

/* Make a new pair and store it, replacing any earlier one.  keyid is the
 * public key as the mesh spells operator keys: standard padded base64. */
export async function makeKey() {
	const pair = await generateKey();
	const rec = {
		privateKey: pair.privateKey,
		publicKey: pair.publicKey,
		keyid: await keyId(pair.publicKey),
		made: Date.now(),
	};
	await withStore('readwrite', (s) => s.put(rec, ID));
	return rec;
}

export async function forgetKey() {
	await withStore('readwrite', (s) => s.delete(ID));
}

/* Sign bytes with the stored key (an operator statement's message). */
export async function signBytes(key, bytes) {
	return new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' },
	    key.privateKey, bytes));
}

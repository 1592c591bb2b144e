// httpsig.js: the console's request signer: HTTP Message Signatures
// (RFC 9421) with Content-Digest (RFC 9530), Ed25519 through WebCrypto,
// the profile of docs/http.md "Signing requests".  No dependencies.
//
// API
//   generateKey()                 -> CryptoKeyPair; the private half is not
//                                    extractable (store the pair as is in
//                                    IndexedDB: structured clone keeps it)
//   keyId(publicKey)              -> the operator key as rpn spells it:
//                                    44-char padded base64 of the raw key
//   contentDigest(bytes)          -> 'sha-256=:…:' for a Uint8Array
//   signRequest(keyPair, method, url, body, opts)
//                                 -> { 'Signature-Input': …, 'Signature': …,
//                                      'Content-Digest': … (with a body) }
//                                    body: undefined, a string (sent as
//                                    UTF-8) or a Uint8Array/ArrayBuffer;
//                                    opts.created (unix s), opts.nonce for
//                                    tests; both default to now / random
//   signedFetch(keyPair, url, init)
//                                 -> fetch(url, init) with the three
//                                    headers added; init.method defaults to
//                                    GET; init.body as for signRequest
//
// What is signed: label sig1, components ("@method" "@target-uri") plus
// "content-digest" when there is a body, parameters created, keyid,
// alg="ed25519" and nonce.  @target-uri is the URL as the browser resolves
// it (lower-case host, no default port, no fragment), which is what the
// server rebuilds from the request line and Host.

const enc = new TextEncoder();

function b64(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function toBytes(body) {
  if (body === undefined || body === null) return new Uint8Array(0);
  if (typeof body === 'string') return enc.encode(body);
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  throw new TypeError('httpsig: a body must be a string, Uint8Array or ArrayBuffer');
}

// An RFC 8941 string: printable ASCII, with " and \ escaped.
function sfString(s) {
  if (!/^[\x20-\x7e]*$/.test(s)) throw new TypeError('httpsig: not an sf-string: ' + s);
  return '"' + s.replace(/[\\"]/g, (c) => '\\' + c) + '"';
}

function randomNonce() {
  const r = crypto.getRandomValues(new Uint8Array(16));
  return b64(r).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export async function generateKey() {
  return crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
}

export async function keyId(publicKey) {
  return b64(new Uint8Array(await crypto.subtle.exportKey('raw', publicKey)));
}

export async function contentDigest(bytes) {
  const h = await crypto.subtle.digest('SHA-256', bytes);
  return 'sha-256=:' + b64(new Uint8Array(h)) + ':';
}

export async function signRequest(keyPair, method, url, body, opts = {}) {
  const u = new URL(url, globalThis.location ? globalThis.location.href : undefined);
  u.hash = '';
  const bytes = toBytes(body);
  const created = opts.created ?? Math.floor(Date.now() / 1000);
  const nonce = opts.nonce ?? randomNonce();
  if (!/^[\x21-\x7e]{1,64}$/.test(nonce)) throw new TypeError('httpsig: bad nonce');
  const headers = {};
  const components = ['"@method"', '"@target-uri"'];
  const lines = [
    '"@method": ' + method.toUpperCase(),
    '"@target-uri": ' + u.href,
  ];
  if (bytes.length > 0) {
    headers['Content-Digest'] = await contentDigest(bytes);
    components.push('"content-digest"');
    lines.push('"content-digest": ' + headers['Content-Digest']);
  }
  const params = '(' + components.join(' ') + ')' +
    ';created=' + created +
    ';keyid=' + sfString(await keyId(keyPair.publicKey)) +
    ';alg="ed25519"' +
    ';nonce=' + sfString(nonce);
  lines.push('"@signature-params": ' + params);
  const base = enc.encode(lines.join('\n'));
  const sig = await crypto.subtle.sign({ name: 'Ed25519' }, keyPair.privateKey, base);
  headers['Signature-Input'] = 'sig1=' + params;
  headers['Signature'] = 'sig1=:' + b64(new Uint8Array(sig)) + ':';
  return headers;
}

export async function signedFetch(keyPair, url, init = {}) {
  const method = (init.method || 'GET').toUpperCase();
  const signed = await signRequest(keyPair, method, url, init.body);
  const headers = new Headers(init.headers || {});
  for (const [k, v] of Object.entries(signed)) headers.set(k, v);
  return fetch(url, { ...init, method, headers });
}

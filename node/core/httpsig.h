/*
 * httpsig.h: the console's request signatures: a strict profile of HTTP
 * Message Signatures (RFC 9421) with Content-Digest (RFC 9530), Ed25519
 * only (docs/http.md, "Signing requests").  Pure: the caller hands in the
 * request's parts and the clock; no I/O, no event loop.
 */
#ifndef RPN_HTTPSIG_H
#define RPN_HTTPSIG_H

#include <stddef.h>
#include <stdint.h>

#define HTTPSIG_KEY		32
#define HTTPSIG_WINDOW_S	300	/* |created - now| allowed, seconds */
#define HTTPSIG_NONCE_MAX	64	/* bytes of a nonce we accept */
#define HTTPSIG_HEADER_MAX	8192	/* bytes of one header we look at */

/* What the verifier needs of a request; header() returns NULL if absent. */
struct httpsig_req {
	const char	*method;	/* "GET", as received */
	const char	*scheme;	/* "http" or "https" */
	const char	*authority;	/* the Host header, as received */
	const char	*path;		/* raw request-target path, no query */
	const char	*query;		/* raw query without '?', or NULL */
	const char	*(*header)(void *ctx, const char *lcname);
	void		*ctx;
	const uint8_t	*body;
	size_t		 body_len;
};

enum httpsig_status {
	HTTPSIG_OK = 0,
	HTTPSIG_UNSIGNED,	/* no Signature-Input/Signature: 401 */
	HTTPSIG_MALFORMED,	/* unparsable fields, missing parameters: 401 */
	HTTPSIG_PROFILE,	/* alg not ed25519, @method/@target-uri/
				   content-digest not covered: 401 */
	HTTPSIG_EXPIRED,	/* created outside the window: 401 */
	HTTPSIG_BAD_SIGNATURE,	/* the signature does not verify: 401 */
	HTTPSIG_DIGEST,		/* Content-Digest absent or wrong: 401 */
	HTTPSIG_REPLAY,		/* nonce seen before in the window: 401 */
	HTTPSIG_UNKNOWN_KEY,	/* keyid is nobody we know: 403 */
};

/* What a verified signature says. */
struct httpsig_result {
	uint8_t		 key[HTTPSIG_KEY];	/* keyid, decoded */
	char		 label[64];
	int64_t		 created;
	char		 nonce[HTTPSIG_NONCE_MAX + 1];
};

/*
 * The nonces of verified requests, kept for the window; bounded (the
 * oldest go first when full, and a request older than the oldest kept
 * is then refused as a possible replay).
 */
struct httpsig_seen;

/*
 * A capacity that suits a console: 4096 requests in 300 s before the
 * oldest are forgotten; a lookup scans the entries' 64-bit hashes, a few
 * microseconds at this size, well under the Ed25519 check before it.
 */
#define HTTPSIG_SEEN_DEFAULT	4096

struct httpsig_seen *httpsig_seen_new(size_t capacity);
void	httpsig_seen_free(struct httpsig_seen *);

/*
 * httpsig_verify - check r against the profile at time now (unix seconds).
 * key_known(ctx, key) says whether keyid names a key worth verifying (an
 * operator, or a browser enrolling with a valid code); when it returns 0
 * the answer is HTTPSIG_UNKNOWN_KEY with res->key filled, nothing
 * verified and no nonce kept.  The nonce is recorded only after the
 * signature verifies.  why gets a short reason for the log and the 401
 * body.
 */
enum httpsig_status httpsig_verify(const struct httpsig_req *r, int64_t now,
	    struct httpsig_seen *seen,
	    int (*key_known)(void *ctx, const uint8_t key[HTTPSIG_KEY]),
	    void *kctx, struct httpsig_result *res, char *why, size_t whylen);

const char *httpsig_status_name(enum httpsig_status);

/*
 * httpsig_sign - the headers that make r acceptable to httpsig_verify:
 * label sig1 covering ("@method" "@target-uri"), plus "content-digest"
 * when r has a body, with created, nonce (1 to HTTPSIG_NONCE_MAX visible
 * ASCII characters), alg="ed25519" and keyid = sk's public half.  Each
 * output gets a header's value, without its name; digest gets "" when
 * there is no body.  r->header is not used.  0, or -1 if a buffer is too
 * small or the nonce is not allowed.  For tests and rpn-tool; the engine
 * never signs requests.
 */
#define HTTPSIG_SIG_INPUT_MAX	512	/* what httpsig_sign writes, at most */
#define HTTPSIG_SIG_MAX		128
#define HTTPSIG_DIGEST_MAX	128
int	httpsig_sign(const struct httpsig_req *r, const uint8_t sk[64],
	    int64_t created, const char *nonce,
	    char *sig_input, size_t silen, char *sig, size_t siglen,
	    char *digest, size_t dlen);

/*
 * httpsig_signature_base - for tests: the RFC 9421 signature base of the
 * signature labelled label in r's Signature-Input, whatever it covers
 * (any header field, and the derived components of a request), with no
 * profile check and no verification.  Returns its length, or -1 with why
 * filled.  out gets a NUL-terminated string.
 */
int	httpsig_signature_base(const struct httpsig_req *r, const char *label,
	    char *out, size_t outlen, char *why, size_t whylen);

#endif

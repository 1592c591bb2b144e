/* fuzz-httpsig.c: request signatures: Signature-Input, Signature and Content-Digest, and the request they sign. */
#include <stdlib.h>
#include <string.h>

#include "node/core/httpsig.h"
#include "tests/fuzz/fuzz.h"

/*
 * Input: one byte of flags, then NUL-separated method, path, query,
 * Signature-Input, Signature, Content-Digest and a covered header
 * (x-extra); the rest is the body.  Seeds are made by rpn-tool fuzz-seeds
 * with the key of FUZZ_HTTPSIG_SEED, signed at FUZZ_HTTPSIG_NOW.
 */
#define F_SEEN		0x01	/* keep nonces, so the second request is a replay */
#define F_KNOWN		0x02	/* the key is an operator */
#define F_NO_DIGEST	0x04	/* no Content-Digest header */
#define F_NO_QUERY	0x08	/* query NULL */
#define F_NO_HOST	0x10	/* authority NULL */
#define F_HTTPS		0x20
#define NPARTS		7
#define FUZZ_HTTPSIG_NOW	1800000000

struct parts {
	char	*p[NPARTS];
	int	 no_digest;
};

static const char *
header(void *ctx, const char *name)
{
	struct parts	*s = ctx;

	if (strcmp(name, "signature-input") == 0)
		return s->p[3];
	if (strcmp(name, "signature") == 0)
		return s->p[4];
	if (strcmp(name, "content-digest") == 0)
		return s->no_digest ? NULL : s->p[5];
	if (strcmp(name, "x-extra") == 0)
		return s->p[6];
	return NULL;
}

static int
known(void *ctx, const uint8_t key[HTTPSIG_KEY])
{
	(void)key;
	return *(const uint8_t *)ctx & F_KNOWN;
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	struct httpsig_seen	*seen = NULL;
	struct httpsig_result	 res;
	struct httpsig_req	 r;
	struct parts		 s;
	uint8_t			 flags, *body;
	const uint8_t		*end = p + n, *q;
	char			 why[256], base[512];
	int			 i;

	if (n < 1)
		return 0;
	flags = *p++;
	memset(&s, 0, sizeof(s));
	for (i = 0; i < NPARTS; i++) {
		q = memchr(p, '\0', (size_t)(end - p));
		if (q == NULL)
			q = end;
		/* a copy of its own, so reading past its end is caught */
		if ((s.p[i] = malloc((size_t)(q - p) + 1)) == NULL)
			goto out;
		memcpy(s.p[i], p, (size_t)(q - p));
		s.p[i][q - p] = '\0';
		p = q < end ? q + 1 : end;
	}
	s.no_digest = flags & F_NO_DIGEST;
	body = malloc((size_t)(end - p) + 1);
	if (body == NULL)
		goto out;
	memcpy(body, p, (size_t)(end - p));
	memset(&r, 0, sizeof(r));
	r.method = s.p[0];
	r.scheme = flags & F_HTTPS ? "https" : "http";
	r.authority = flags & F_NO_HOST ? NULL : "127.0.0.1:7481";
	r.path = s.p[1];
	r.query = flags & F_NO_QUERY ? NULL : s.p[2];
	r.header = header;
	r.ctx = &s;
	r.body = body;
	r.body_len = (size_t)(end - p);
	if (flags & F_SEEN)
		seen = httpsig_seen_new(2);
	for (i = 0; i < 3; i++)
		(void)httpsig_verify(&r, FUZZ_HTTPSIG_NOW, seen, known, &flags,
		    &res, why, sizeof(why));
	if (httpsig_signature_base(&r, "sig1", base, sizeof(base), why,
	    sizeof(why)) >= (int)sizeof(base))
		abort();
	free(body);
	httpsig_seen_free(seen);
out:
	for (i = 0; i < NPARTS; i++)
		free(s.p[i]);
	return 0;
}

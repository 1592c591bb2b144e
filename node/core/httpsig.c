/*
 * httpsig.c: the console's request signatures: a strict profile of HTTP
 * Message Signatures (RFC 9421) with Content-Digest (RFC 9530), Ed25519
 * only.  docs/http.md, "Signing requests", is the profile in prose.
 *
 * Three parts: a strict parser of the RFC 8941 structured fields the
 * profile needs (dictionaries of items and inner lists, parameters, and
 * the bare items integer, decimal, string, token, byte sequence and
 * boolean) and their canonical serializer; the signature base of RFC 9421
 * section 2.5; and the profile's checks with the replay cache.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "node/core/httpsig.h"
#include "proto/oprec.h"

/* ---- RFC 8941 structured fields ---- */

#define SF_MEMBERS	16	/* dictionary members */
#define SF_ITEMS	64	/* items, inner-list members included */
#define SF_PARAMS	64	/* parameters, all items together */
#define SF_INT_DIGITS	15
#define BASE_MAX	(6 * HTTPSIG_HEADER_MAX)	/* a signature base */

enum sf_kind {
	SF_INT = 1, SF_DEC, SF_STR, SF_TOK, SF_BYTES, SF_BOOL, SF_INNER,
};

struct sf_item {
	enum sf_kind	 kind;
	int64_t		 num;	/* integer; decimal in thousandths; boolean */
	const uint8_t	*p;	/* string (unescaped), token, bytes (decoded) */
	size_t		 len;
	size_t		 first, n;	/* SF_INNER: its items in it[] */
	size_t		 pfirst, pn;	/* its parameters in pa[] */
};

struct sf_param {
	const char	*k;
	size_t		 klen;
	struct sf_item	 v;	/* a bare item: no parameters */
};

struct sf_member {
	const char	*k;
	size_t		 klen;
	size_t		 item;	/* in it[] */
};

struct sf_dict {
	const char	*in;
	size_t		 n, pos;
	struct sf_member m[SF_MEMBERS];
	size_t		 nm;
	struct sf_item	 it[SF_ITEMS];
	size_t		 nit;
	struct sf_param	 pa[SF_PARAMS];
	size_t		 npa;
	uint8_t		 buf[HTTPSIG_HEADER_MAX];	/* strings, bytes */
	size_t		 nbuf;
};

static bool
sf_lcalpha(int c)
{
	return c >= 'a' && c <= 'z';
}

static bool
sf_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool
sf_alpha(int c)
{
	return sf_lcalpha(c) || (c >= 'A' && c <= 'Z');
}

static bool
sf_tchar(int c)
{
	return sf_alpha(c) || sf_digit(c) ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int
sf_peek(const struct sf_dict *d)
{
	return d->pos < d->n ? (unsigned char)d->in[d->pos] : -1;
}

static void
sf_sp(struct sf_dict *d)
{
	while (sf_peek(d) == ' ')
		d->pos++;
}

static void
sf_ows(struct sf_dict *d)
{
	while (sf_peek(d) == ' ' || sf_peek(d) == '\t')
		d->pos++;
}

/* key = ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" ) */
static bool
sf_key(struct sf_dict *d, const char **k, size_t *klen)
{
	size_t	 start = d->pos;
	int	 c = sf_peek(d);

	if (!sf_lcalpha(c) && c != '*')
		return false;
	d->pos++;
	for (c = sf_peek(d); sf_lcalpha(c) || sf_digit(c) || c == '_' ||
	    c == '-' || c == '.' || c == '*'; c = sf_peek(d))
		d->pos++;
	*k = d->in + start;
	*klen = d->pos - start;
	return true;
}

static bool
sf_number(struct sf_dict *d, struct sf_item *v)
{
	int64_t	 ip = 0, fp = 0;
	int	 neg = 0, nd = 0, nf = 0;

	if (sf_peek(d) == '-') {
		neg = 1;
		d->pos++;
	}
	if (!sf_digit(sf_peek(d)))
		return false;
	while (sf_digit(sf_peek(d))) {
		if (++nd > SF_INT_DIGITS)
			return false;
		ip = ip * 10 + (sf_peek(d) - '0');
		d->pos++;
	}
	if (sf_peek(d) != '.') {
		v->kind = SF_INT;
		v->num = neg ? -ip : ip;
		return true;
	}
	if (nd > 12)
		return false;
	d->pos++;
	while (sf_digit(sf_peek(d))) {
		if (++nf > 3)
			return false;
		fp = fp * 10 + (sf_peek(d) - '0');
		d->pos++;
	}
	if (nf == 0)
		return false;
	for (; nf < 3; nf++)
		fp *= 10;
	v->kind = SF_DEC;
	v->num = (neg ? -1 : 1) * (ip * 1000 + fp);
	return true;
}

static bool
sf_string(struct sf_dict *d, struct sf_item *v)
{
	uint8_t	*out = d->buf + d->nbuf;
	size_t	 len = 0;
	int	 c;

	d->pos++;		/* the opening quote */
	for (;;) {
		if ((c = sf_peek(d)) == -1)
			return false;
		d->pos++;
		if (c == '"')
			break;
		if (c == '\\') {
			c = sf_peek(d);
			if (c != '"' && c != '\\')
				return false;
			d->pos++;
		} else if (c < 0x20 || c > 0x7e)
			return false;
		/* unescaped, it is never longer than the input */
		out[len++] = (uint8_t)c;
	}
	v->kind = SF_STR;
	v->p = out;
	v->len = len;
	d->nbuf += len;
	return true;
}

static bool
sf_token(struct sf_dict *d, struct sf_item *v)
{
	size_t	 start = d->pos;
	int	 c;

	d->pos++;
	for (c = sf_peek(d); sf_tchar(c) || c == ':' || c == '/';
	    c = sf_peek(d))
		d->pos++;
	v->kind = SF_TOK;
	v->p = (const uint8_t *)d->in + start;
	v->len = d->pos - start;
	return true;
}

static bool
sf_bytes(struct sf_dict *d, struct sf_item *v)
{
	size_t	 start, n, len;
	int	 c;

	d->pos++;
	start = d->pos;
	for (c = sf_peek(d); sf_alpha(c) || sf_digit(c) || c == '+' ||
	    c == '/' || c == '='; c = sf_peek(d))
		d->pos++;
	if (sf_peek(d) != ':')
		return false;
	n = d->pos - start;
	d->pos++;
	/* strict: padded, no stray bits (libsodium checks both) */
	if (n % 4 != 0 || (n > 0 && sodium_base642bin(d->buf + d->nbuf,
	    sizeof(d->buf) - d->nbuf, d->in + start, n, NULL, &len, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0))
		return false;
	if (n == 0)
		len = 0;
	v->kind = SF_BYTES;
	v->p = d->buf + d->nbuf;
	v->len = len;
	d->nbuf += len;
	return true;
}

static bool
sf_bare(struct sf_dict *d, struct sf_item *v)
{
	int	 c = sf_peek(d);

	memset(v, 0, sizeof(*v));
	if (c == '-' || sf_digit(c))
		return sf_number(d, v);
	if (c == '"')
		return sf_string(d, v);
	if (c == ':')
		return sf_bytes(d, v);
	if (c == '*' || sf_alpha(c))
		return sf_token(d, v);
	if (c == '?') {
		d->pos++;
		c = sf_peek(d);
		if (c != '0' && c != '1')
			return false;
		d->pos++;
		v->kind = SF_BOOL;
		v->num = c == '1';
		return true;
	}
	return false;	/* RFC 9651's dates and display strings too */
}

/* Parameters, strictly: a key given twice is refused, not overwritten. */
static bool
sf_params(struct sf_dict *d, struct sf_item *owner)
{
	struct sf_param	*p;

	owner->pfirst = d->npa;
	owner->pn = 0;
	while (sf_peek(d) == ';') {
		d->pos++;
		sf_sp(d);
		if (d->npa == SF_PARAMS)
			return false;
		p = &d->pa[d->npa];
		if (!sf_key(d, &p->k, &p->klen))
			return false;
		for (size_t i = owner->pfirst; i < d->npa; i++)
			if (d->pa[i].klen == p->klen &&
			    memcmp(d->pa[i].k, p->k, p->klen) == 0)
				return false;
		if (sf_peek(d) == '=') {
			d->pos++;
			if (!sf_bare(d, &p->v))
				return false;
		} else {
			memset(&p->v, 0, sizeof(p->v));
			p->v.kind = SF_BOOL;
			p->v.num = 1;
		}
		d->npa++;
		owner->pn++;
	}
	return true;
}

static bool
sf_item(struct sf_dict *d, size_t *idx)
{
	struct sf_item	*v;

	if (d->nit == SF_ITEMS)
		return false;
	*idx = d->nit++;
	v = &d->it[*idx];
	return sf_bare(d, v) && sf_params(d, v);
}

static bool
sf_inner(struct sf_dict *d, size_t *idx)
{
	struct sf_item	 list, *v;
	size_t		 start, i, n = 0;

	d->pos++;		/* '(' */
	/* Its members go first, contiguous; the list itself after them. */
	start = d->nit;
	for (;;) {
		sf_sp(d);
		if (sf_peek(d) == ')') {
			d->pos++;
			break;
		}
		if (!sf_item(d, &i))
			return false;
		n++;
		if (sf_peek(d) != ' ' && sf_peek(d) != ')')
			return false;
	}
	memset(&list, 0, sizeof(list));
	list.kind = SF_INNER;
	list.first = start;
	list.n = n;
	if (d->nit == SF_ITEMS)
		return false;
	*idx = d->nit++;
	v = &d->it[*idx];
	*v = list;
	return sf_params(d, v);
}

/*
 * sf_dict_parse - RFC 8941 section 4.2.2, strictly: leading and trailing
 * spaces allowed, a key given twice refused (the RFC keeps the last; a
 * signature field with two meanings for one label is refused here), an
 * empty dictionary refused.
 */
static bool
sf_dict_parse(struct sf_dict *d, const char *in)
{
	struct sf_member	*m;
	struct sf_item		*v;

	d->in = in;
	d->n = strlen(in);
	d->pos = d->nm = d->nit = d->npa = d->nbuf = 0;
	if (d->n > HTTPSIG_HEADER_MAX)
		return false;
	while (d->n > 0 && in[d->n - 1] == ' ')
		d->n--;
	sf_sp(d);
	if (d->pos == d->n)
		return false;
	for (;;) {
		if (d->nm == SF_MEMBERS)
			return false;
		m = &d->m[d->nm];
		if (!sf_key(d, &m->k, &m->klen))
			return false;
		for (size_t i = 0; i < d->nm; i++)
			if (d->m[i].klen == m->klen &&
			    memcmp(d->m[i].k, m->k, m->klen) == 0)
				return false;
		if (sf_peek(d) == '=') {
			d->pos++;
			if (sf_peek(d) == '(') {
				if (!sf_inner(d, &m->item))
					return false;
			} else if (!sf_item(d, &m->item))
				return false;
		} else {
			if (d->nit == SF_ITEMS)
				return false;
			m->item = d->nit++;
			v = &d->it[m->item];
			memset(v, 0, sizeof(*v));
			v->kind = SF_BOOL;
			v->num = 1;
			if (!sf_params(d, v))
				return false;
		}
		d->nm++;
		sf_ows(d);
		if (d->pos == d->n)
			return true;
		if (sf_peek(d) != ',')
			return false;
		d->pos++;
		sf_ows(d);
		if (d->pos == d->n)
			return false;
	}
}

static const struct sf_member *
sf_dict_get(const struct sf_dict *d, const char *key)
{
	size_t	 klen = strlen(key);

	for (size_t i = 0; i < d->nm; i++)
		if (d->m[i].klen == klen && memcmp(d->m[i].k, key, klen) == 0)
			return &d->m[i];
	return NULL;
}

static const struct sf_item *
sf_param_get(const struct sf_dict *d, const struct sf_item *v,
    const char *key)
{
	size_t	 klen = strlen(key);

	for (size_t i = v->pfirst; i < v->pfirst + v->pn; i++)
		if (d->pa[i].klen == klen &&
		    memcmp(d->pa[i].k, key, klen) == 0)
			return &d->pa[i].v;
	return NULL;
}

/* ---- a bounded output buffer ---- */

struct sbuf {
	char	*p;
	size_t	 n, cap;
	bool	 over;
};

static void
sb_add(struct sbuf *b, const void *s, size_t n)
{
	if (b->over || n >= b->cap - b->n) {
		b->over = true;
		return;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void
sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void
sb_int(struct sbuf *b, int64_t v)
{
	char	 t[32];

	snprintf(t, sizeof(t), "%lld", (long long)v);
	sb_str(b, t);
}

/* RFC 8941 section 4.1: the canonical form of what was parsed. */
static void
sf_ser_bare(struct sbuf *b, const struct sf_item *v)
{
	char	 t[64];
	int64_t	 a;
	size_t	 n;

	switch (v->kind) {
	case SF_INT:
		sb_int(b, v->num);
		break;
	case SF_DEC:
		a = v->num < 0 ? -v->num : v->num;
		n = (size_t)snprintf(t, sizeof(t), "%s%lld.%03lld",
		    v->num < 0 ? "-" : "", (long long)(a / 1000),
		    (long long)(a % 1000));
		while (n > 0 && t[n - 1] == '0' && t[n - 2] != '.')
			n--;
		sb_add(b, t, n);
		break;
	case SF_STR:
		sb_str(b, "\"");
		for (size_t i = 0; i < v->len; i++) {
			if (v->p[i] == '"' || v->p[i] == '\\')
				sb_str(b, "\\");
			sb_add(b, &v->p[i], 1);
		}
		sb_str(b, "\"");
		break;
	case SF_TOK:
		sb_add(b, v->p, v->len);
		break;
	case SF_BYTES: {
		char	*e;
		size_t	 elen = sodium_base64_encoded_len(v->len,
		    sodium_base64_VARIANT_ORIGINAL);

		if ((e = malloc(elen)) == NULL) {
			b->over = true;
			break;
		}
		sodium_bin2base64(e, elen, v->p, v->len,
		    sodium_base64_VARIANT_ORIGINAL);
		sb_str(b, ":");
		sb_str(b, e);
		sb_str(b, ":");
		free(e);
		break;
	}
	case SF_BOOL:
		sb_str(b, v->num ? "?1" : "?0");
		break;
	case SF_INNER:
		b->over = true;	/* never a bare item */
		break;
	}
}

static void
sf_ser_params(struct sbuf *b, const struct sf_dict *d,
    const struct sf_item *v)
{
	for (size_t i = v->pfirst; i < v->pfirst + v->pn; i++) {
		sb_str(b, ";");
		sb_add(b, d->pa[i].k, d->pa[i].klen);
		if (d->pa[i].v.kind == SF_BOOL && d->pa[i].v.num == 1)
			continue;
		sb_str(b, "=");
		sf_ser_bare(b, &d->pa[i].v);
	}
}

static void
sf_ser_inner(struct sbuf *b, const struct sf_dict *d,
    const struct sf_item *v)
{
	sb_str(b, "(");
	for (size_t i = 0; i < v->n; i++) {
		if (i > 0)
			sb_str(b, " ");
		sf_ser_bare(b, &d->it[v->first + i]);
		sf_ser_params(b, d, &d->it[v->first + i]);
	}
	sb_str(b, ")");
	sf_ser_params(b, d, v);
}

/* ---- the signature base, RFC 9421 section 2.5 ---- */

static bool
str_is(const struct sf_item *v, const char *s)
{
	size_t	 n = strlen(s);

	return (v->kind == SF_STR || v->kind == SF_TOK) && v->len == n &&
	    memcmp(v->p, s, n) == 0;
}

/* RFC 9110 section 4.2.3: lower-case host, no default port. */
static void
add_authority(struct sbuf *b, const char *scheme, const char *auth)
{
	size_t	 n = strlen(auth);

	if ((strcmp(scheme, "http") == 0 && n > 3 &&
	    strcmp(auth + n - 3, ":80") == 0))
		n -= 3;
	else if (strcmp(scheme, "https") == 0 && n > 4 &&
	    strcmp(auth + n - 4, ":443") == 0)
		n -= 4;
	for (size_t i = 0; i < n; i++) {
		char	 c = auth[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		sb_add(b, &c, 1);
	}
}

static void
add_lower(struct sbuf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		char	 c = *s;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		sb_add(b, &c, 1);
	}
}

/* Nothing that could end a line of the base, or hide in one. */
static bool
line_safe(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 && *s != '\t')
			return false;
		else if ((unsigned char)*s == 0x7f)
			return false;
	return true;
}

/* A field's value as RFC 9421 section 2.1 wants it: trimmed. */
static void
add_field(struct sbuf *b, const char *v)
{
	size_t	 n = strlen(v);

	while (*v == ' ' || *v == '\t') {
		v++;
		n--;
	}
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	sb_add(b, v, n);
}

/* A component name is a lower-case field name or a derived component. */
static bool
field_name_ok(const struct sf_item *c)
{
	if (c->len == 0)
		return false;
	for (size_t i = 0; i < c->len; i++)
		if (!sf_tchar(c->p[i]) || (c->p[i] >= 'A' && c->p[i] <= 'Z'))
			return false;
	return true;
}

enum base_err {
	BASE_OK = 0,
	BASE_MALFORMED,		/* -> HTTPSIG_MALFORMED */
	BASE_PROFILE,		/* -> HTTPSIG_PROFILE */
};

/*
 * build_base - the signature base of inner list sig (of dictionary d, the
 * parsed Signature-Input) for request r, into b.
 */
static enum base_err
build_base(const struct httpsig_req *r, const struct sf_dict *d,
    const struct sf_item *sig, struct sbuf *b, char *why, size_t whylen)
{
	const struct sf_item	*c;
	const char		*v;
	char			 name[128];

	for (size_t i = 0; i < sig->n; i++) {
		c = &d->it[sig->first + i];
		if (c->kind != SF_STR) {
			snprintf(why, whylen, "component %zu is not a string",
			    i + 1);
			return BASE_MALFORMED;
		}
		snprintf(name, sizeof(name), "%.*s",
		    (int)(c->len < 100 ? c->len : 100), (const char *)c->p);
		for (size_t j = 0; j < i; j++)
			if (d->it[sig->first + j].len == c->len &&
			    memcmp(d->it[sig->first + j].p, c->p, c->len) == 0) {
				snprintf(why, whylen, "component \"%s\" is "
				    "covered twice", name);
				return BASE_MALFORMED;
			}
		if (c->pn > 0) {
			snprintf(why, whylen, "component \"%s\" has parameters "
			    "(;%.*s), which this profile does not take", name,
			    (int)d->pa[c->pfirst].klen, d->pa[c->pfirst].k);
			return BASE_PROFILE;
		}
		sb_str(b, "\"");
		sb_add(b, c->p, c->len);
		sb_str(b, "\": ");
		if (str_is(c, "@method"))
			sb_str(b, r->method);
		else if (str_is(c, "@target-uri")) {
			add_lower(b, r->scheme);
			sb_str(b, "://");
			if (r->authority == NULL)
				goto noauth;
			add_authority(b, r->scheme, r->authority);
			sb_str(b, *r->path != '\0' ? r->path : "/");
			if (r->query != NULL) {
				sb_str(b, "?");
				sb_str(b, r->query);
			}
		} else if (str_is(c, "@authority")) {
			if (r->authority == NULL)
				goto noauth;
			add_authority(b, r->scheme, r->authority);
		} else if (str_is(c, "@scheme"))
			add_lower(b, r->scheme);
		else if (str_is(c, "@path"))
			sb_str(b, *r->path != '\0' ? r->path : "/");
		else if (str_is(c, "@query")) {
			sb_str(b, "?");
			if (r->query != NULL)
				sb_str(b, r->query);
		} else if (str_is(c, "@request-target")) {
			sb_str(b, *r->path != '\0' ? r->path : "/");
			if (r->query != NULL) {
				sb_str(b, "?");
				sb_str(b, r->query);
			}
		} else if (c->p[0] == '@') {
			snprintf(why, whylen, "component \"%s\" is not one "
			    "this profile knows for a request", name);
			return BASE_PROFILE;
		} else if (!field_name_ok(c)) {
			snprintf(why, whylen, "component \"%s\" is not a "
			    "lower-case field name", name);
			return BASE_MALFORMED;
		} else {
			if (r->header == NULL ||
			    (v = r->header(r->ctx, name)) == NULL) {
				snprintf(why, whylen, "covered field %s is "
				    "absent", name);
				return BASE_MALFORMED;
			}
			if (strlen(v) > HTTPSIG_HEADER_MAX || !line_safe(v)) {
				snprintf(why, whylen, "covered field %s is "
				    "too long or holds control characters",
				    name);
				return BASE_MALFORMED;
			}
			add_field(b, v);
		}
		sb_str(b, "\n");
	}
	sb_str(b, "\"@signature-params\": ");
	sf_ser_inner(b, d, sig);
	if (b->over) {
		snprintf(why, whylen, "signature base too long");
		return BASE_MALFORMED;
	}
	return BASE_OK;
noauth:
	snprintf(why, whylen, "no Host header for @authority");
	return BASE_MALFORMED;
}

/* The request's own parts, checked once. */
static bool
req_ok(const struct httpsig_req *r, char *why, size_t whylen)
{
	if (r->method == NULL || r->scheme == NULL || r->path == NULL ||
	    !line_safe(r->method) || !line_safe(r->scheme) ||
	    !line_safe(r->path) ||
	    (r->authority != NULL && !line_safe(r->authority)) ||
	    (r->query != NULL && !line_safe(r->query)) ||
	    strlen(r->path) > HTTPSIG_HEADER_MAX ||
	    (r->query != NULL && strlen(r->query) > HTTPSIG_HEADER_MAX) ||
	    (r->authority != NULL &&
	    strlen(r->authority) > HTTPSIG_HEADER_MAX)) {
		snprintf(why, whylen, "request line or Host not usable");
		return false;
	}
	return true;
}

int
httpsig_signature_base(const struct httpsig_req *r, const char *label,
    char *out, size_t outlen, char *why, size_t whylen)
{
	struct sf_dict		*d = NULL;
	const struct sf_member	*m;
	const char		*si;
	struct sbuf		 b = { out, 0, outlen, false };
	int			 rc = -1;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	if (!req_ok(r, why, whylen))
		return -1;
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (r->header == NULL ||
	    (si = r->header(r->ctx, "signature-input")) == NULL) {
		snprintf(why, whylen, "no Signature-Input");
		goto out;
	}
	if (!sf_dict_parse(d, si)) {
		snprintf(why, whylen, "Signature-Input is not a valid "
		    "dictionary");
		goto out;
	}
	if ((m = sf_dict_get(d, label)) == NULL ||
	    d->it[m->item].kind != SF_INNER) {
		snprintf(why, whylen, "no inner list labelled %s", label);
		goto out;
	}
	if (build_base(r, d, &d->it[m->item], &b, why, whylen) == BASE_OK)
		rc = (int)b.n;
out:
	free(d);
	return rc;
}

/* ---- the replay cache ---- */

struct seen_entry {
	uint64_t	 hash;
	int64_t		 created;
	uint8_t		 key[HTTPSIG_KEY];
	uint8_t		 nlen;
	char		 nonce[HTTPSIG_NONCE_MAX];
};

struct httpsig_seen {
	struct seen_entry *e;
	size_t		 n, cap;
	int64_t		 floor;		/* newest created ever dropped */
	bool		 dropped;
	uint8_t		 hkey[crypto_shorthash_KEYBYTES];
};

struct httpsig_seen *
httpsig_seen_new(size_t capacity)
{
	struct httpsig_seen	*s;

	if (capacity == 0 || (s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if ((s->e = calloc(capacity, sizeof(*s->e))) == NULL) {
		free(s);
		return NULL;
	}
	s->cap = capacity;
	randombytes_buf(s->hkey, sizeof(s->hkey));
	return s;
}

void
httpsig_seen_free(struct httpsig_seen *s)
{
	if (s == NULL)
		return;
	free(s->e);
	free(s);
}

static uint64_t
seen_hash(const struct httpsig_seen *s, const uint8_t key[HTTPSIG_KEY],
    const char *nonce, size_t nlen)
{
	uint8_t		 in[HTTPSIG_KEY + HTTPSIG_NONCE_MAX], h[8];
	uint64_t	 v = 0;

	memcpy(in, key, HTTPSIG_KEY);
	memcpy(in + HTTPSIG_KEY, nonce, nlen);
	crypto_shorthash(h, in, HTTPSIG_KEY + nlen, s->hkey);
	for (int i = 0; i < 8; i++)
		v = v << 8 | h[i];
	return v;
}

/* Forget what can no longer be replayed: it would be refused as old. */
static void
seen_expire(struct httpsig_seen *s, int64_t now)
{
	size_t	 i = 0;

	while (i < s->n)
		if (s->e[i].created < now - HTTPSIG_WINDOW_S)
			s->e[i] = s->e[--s->n];
		else
			i++;
}

static bool
seen_has(const struct httpsig_seen *s, const uint8_t key[HTTPSIG_KEY],
    const char *nonce, int64_t created)
{
	size_t		 nlen = strlen(nonce);
	uint64_t	 h;

	if (s->dropped && created <= s->floor)
		return true;
	h = seen_hash(s, key, nonce, nlen);
	for (size_t i = 0; i < s->n; i++)
		if (s->e[i].hash == h && s->e[i].nlen == nlen &&
		    memcmp(s->e[i].key, key, HTTPSIG_KEY) == 0 &&
		    memcmp(s->e[i].nonce, nonce, nlen) == 0)
			return true;
	return false;
}

static void
seen_add(struct httpsig_seen *s, const uint8_t key[HTTPSIG_KEY],
    const char *nonce, int64_t created)
{
	struct seen_entry	*e;
	size_t			 nlen = strlen(nonce), old = 0;

	if (s->n == s->cap) {
		/* Drop the oldest; anything not newer may be its replay. */
		for (size_t i = 1; i < s->n; i++)
			if (s->e[i].created < s->e[old].created)
				old = i;
		if (!s->dropped || s->e[old].created > s->floor)
			s->floor = s->e[old].created;
		s->dropped = true;
		s->e[old] = s->e[--s->n];
	}
	e = &s->e[s->n++];
	e->hash = seen_hash(s, key, nonce, nlen);
	e->created = created;
	memcpy(e->key, key, HTTPSIG_KEY);
	e->nlen = (uint8_t)nlen;
	memcpy(e->nonce, nonce, nlen);
}

/* ---- the profile ---- */

struct sigctx {
	struct sf_dict	 si, sg, cd;
};

static bool
nonce_ok(const uint8_t *p, size_t n)
{
	if (n < 1 || n > HTTPSIG_NONCE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			return false;
	return true;
}

/* RFC 9530: every digest we know must match; one we know must be there. */
static enum httpsig_status
check_digest(const struct httpsig_req *r, struct sf_dict *cd, char *why,
    size_t whylen)
{
	static const struct {
		const char	*name;
		size_t		 len;
	} algs[] = {
		{ "sha-256", crypto_hash_sha256_BYTES },
		{ "sha-512", crypto_hash_sha512_BYTES },
	};
	uint8_t			 h[crypto_hash_sha512_BYTES];
	const struct sf_member	*m;
	const struct sf_item	*v;
	const char		*s;
	int			 known = 0;

	if (r->header == NULL ||
	    (s = r->header(r->ctx, "content-digest")) == NULL) {
		snprintf(why, whylen, "no Content-Digest for the body");
		return HTTPSIG_DIGEST;
	}
	if (!sf_dict_parse(cd, s)) {
		snprintf(why, whylen, "Content-Digest is not a valid "
		    "dictionary");
		return HTTPSIG_MALFORMED;
	}
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		if ((m = sf_dict_get(cd, algs[i].name)) == NULL)
			continue;
		v = &cd->it[m->item];
		if (v->kind != SF_BYTES || v->len != algs[i].len) {
			snprintf(why, whylen, "Content-Digest %s is not a "
			    "%zu-byte byte sequence", algs[i].name,
			    algs[i].len);
			return HTTPSIG_MALFORMED;
		}
		if (i == 0)
			crypto_hash_sha256(h, r->body, r->body_len);
		else
			crypto_hash_sha512(h, r->body, r->body_len);
		if (sodium_memcmp(h, v->p, v->len) != 0) {
			snprintf(why, whylen, "Content-Digest %s does not "
			    "match the body", algs[i].name);
			return HTTPSIG_DIGEST;
		}
		known++;
	}
	if (known == 0) {
		snprintf(why, whylen, "Content-Digest has neither sha-256 "
		    "nor sha-512");
		return HTTPSIG_DIGEST;
	}
	return HTTPSIG_OK;
}

/* One label, checked in the order of docs/http.md. */
static enum httpsig_status
check_label(const struct httpsig_req *r, int64_t now,
    struct httpsig_seen *seen,
    int (*key_known)(void *ctx, const uint8_t key[HTTPSIG_KEY]),
    void *kctx, struct sigctx *x, const struct sf_member *m,
    struct httpsig_result *res, int *stage, char *why, size_t whylen)
{
	const struct sf_item	*sig = &x->si.it[m->item], *c, *p, *sv;
	const struct sf_member	*sm;
	char			 label[64], keyid[OPREC_PUBKEY_B64 + 1];
	char			*base = NULL;
	struct sbuf		 b;
	bool			 meth = false, uri = false, cdig = false;
	enum httpsig_status	 st;

	snprintf(label, sizeof(label), "%.*s", (int)m->klen, m->k);
	if (m->klen >= sizeof(label)) {
		snprintf(why, whylen, "label %s... is too long", label);
		return HTTPSIG_MALFORMED;
	}
	if (sig->kind != SF_INNER) {
		snprintf(why, whylen, "%s: Signature-Input member is not "
		    "an inner list", label);
		return HTTPSIG_MALFORMED;
	}
	if ((sm = sf_dict_get(&x->sg, label)) == NULL) {
		snprintf(why, whylen, "%s: no Signature with this label",
		    label);
		return HTTPSIG_MALFORMED;
	}
	sv = &x->sg.it[sm->item];
	if (sv->kind != SF_BYTES || sv->len != crypto_sign_BYTES) {
		snprintf(why, whylen, "%s: Signature is not a 64-byte byte "
		    "sequence", label);
		return HTTPSIG_MALFORMED;
	}
	*stage = 1;
	for (size_t i = 0; i < sig->n; i++) {
		c = &x->si.it[sig->first + i];
		meth |= str_is(c, "@method") && c->kind == SF_STR;
		uri |= str_is(c, "@target-uri") && c->kind == SF_STR;
		cdig |= str_is(c, "content-digest") && c->kind == SF_STR;
	}

	/* coverage */
	if (!meth || !uri) {
		snprintf(why, whylen, "%s: @method and @target-uri must be "
		    "covered", label);
		return HTTPSIG_PROFILE;
	}
	if (r->body_len > 0 && !cdig) {
		snprintf(why, whylen, "%s: content-digest must be covered "
		    "with a body", label);
		return HTTPSIG_PROFILE;
	}

	/* parameters */
	*stage = 2;
	if ((p = sf_param_get(&x->si, sig, "alg")) == NULL) {
		snprintf(why, whylen, "%s: no alg parameter", label);
		return HTTPSIG_MALFORMED;
	}
	if (p->kind != SF_STR || !str_is(p, "ed25519")) {
		snprintf(why, whylen, "%s: alg is not \"ed25519\"", label);
		return HTTPSIG_PROFILE;
	}
	if ((p = sf_param_get(&x->si, sig, "created")) == NULL ||
	    p->kind != SF_INT) {
		snprintf(why, whylen, "%s: no integer created parameter",
		    label);
		return HTTPSIG_MALFORMED;
	}
	res->created = p->num;
	if ((p = sf_param_get(&x->si, sig, "nonce")) == NULL ||
	    p->kind != SF_STR || !nonce_ok(p->p, p->len)) {
		snprintf(why, whylen, "%s: no nonce parameter of 1 to %d "
		    "visible characters", label, HTTPSIG_NONCE_MAX);
		return HTTPSIG_MALFORMED;
	}
	memcpy(res->nonce, p->p, p->len);
	res->nonce[p->len] = '\0';
	if ((p = sf_param_get(&x->si, sig, "keyid")) == NULL ||
	    p->kind != SF_STR || p->len != OPREC_PUBKEY_B64) {
		snprintf(why, whylen, "%s: no keyid parameter of %d base64 "
		    "characters", label, OPREC_PUBKEY_B64);
		return HTTPSIG_MALFORMED;
	}
	memcpy(keyid, p->p, p->len);
	keyid[p->len] = '\0';
	if (oprec_pubkey_parse(keyid, res->key) != 0) {
		snprintf(why, whylen, "%s: keyid is not a base64 Ed25519 "
		    "key", label);
		return HTTPSIG_MALFORMED;
	}
	if ((p = sf_param_get(&x->si, sig, "expires")) != NULL &&
	    p->kind != SF_INT) {
		snprintf(why, whylen, "%s: expires is not an integer", label);
		return HTTPSIG_MALFORMED;
	}

	/* time */
	*stage = 3;
	if (res->created > now + HTTPSIG_WINDOW_S ||
	    res->created < now - HTTPSIG_WINDOW_S) {
		snprintf(why, whylen, "%s: created %lld is %lld s from now, "
		    "more than %d", label, (long long)res->created,
		    (long long)(res->created - now), HTTPSIG_WINDOW_S);
		return HTTPSIG_EXPIRED;
	}
	if (p != NULL && p->num < now) {
		snprintf(why, whylen, "%s: expired at %lld", label,
		    (long long)p->num);
		return HTTPSIG_EXPIRED;
	}

	/* who */
	*stage = 4;
	if (!key_known(kctx, res->key)) {
		snprintf(why, whylen, "%s: key %s is not an operator", label,
		    keyid);
		return HTTPSIG_UNKNOWN_KEY;
	}

	/* what */
	*stage = 5;
	if (r->body_len > 0 || cdig) {
		if ((st = check_digest(r, &x->cd, why, whylen)) != HTTPSIG_OK)
			return st;
	}
	if ((base = malloc(BASE_MAX)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return HTTPSIG_MALFORMED;
	}
	b = (struct sbuf){ base, 0, BASE_MAX, false };
	switch (build_base(r, &x->si, sig, &b, why, whylen)) {
	case BASE_OK:
		break;
	case BASE_MALFORMED:
		free(base);
		return HTTPSIG_MALFORMED;
	case BASE_PROFILE:
		free(base);
		return HTTPSIG_PROFILE;
	}
	*stage = 6;
	st = crypto_sign_verify_detached(sv->p, (const uint8_t *)base, b.n,
	    res->key) == 0 ? HTTPSIG_OK : HTTPSIG_BAD_SIGNATURE;
	free(base);
	if (st != HTTPSIG_OK) {
		snprintf(why, whylen, "%s: the signature does not verify",
		    label);
		return st;
	}

	/* once */
	*stage = 7;
	if (seen != NULL) {
		seen_expire(seen, now);
		if (seen_has(seen, res->key, res->nonce, res->created)) {
			snprintf(why, whylen, "%s: nonce %s seen before, or "
			    "the request is older than what is remembered",
			    label, res->nonce);
			return HTTPSIG_REPLAY;
		}
		seen_add(seen, res->key, res->nonce, res->created);
	}
	snprintf(res->label, sizeof(res->label), "%s", label);
	snprintf(why, whylen, "ok");
	return HTTPSIG_OK;
}

enum httpsig_status
httpsig_verify(const struct httpsig_req *r, int64_t now,
    struct httpsig_seen *seen,
    int (*key_known)(void *ctx, const uint8_t key[HTTPSIG_KEY]),
    void *kctx, struct httpsig_result *res, char *why, size_t whylen)
{
	struct sigctx		*x = NULL;
	struct httpsig_result	 one, best;
	const char		*si, *sg;
	char			 w[256], bestwhy[256];
	enum httpsig_status	 st, beststat = HTTPSIG_MALFORMED;
	int			 stage, beststage = -1;

	memset(res, 0, sizeof(*res));
	memset(&best, 0, sizeof(best));
	snprintf(bestwhy, sizeof(bestwhy), "no usable signature");
	si = r->header != NULL ? r->header(r->ctx, "signature-input") : NULL;
	sg = r->header != NULL ? r->header(r->ctx, "signature") : NULL;
	if (si == NULL || sg == NULL) {
		snprintf(why, whylen, "the request is not signed "
		    "(no Signature-Input or Signature)");
		return HTTPSIG_UNSIGNED;
	}
	if (strlen(si) > HTTPSIG_HEADER_MAX || strlen(sg) > HTTPSIG_HEADER_MAX) {
		snprintf(why, whylen, "Signature-Input or Signature longer "
		    "than %d bytes", HTTPSIG_HEADER_MAX);
		return HTTPSIG_MALFORMED;
	}
	if (!req_ok(r, why, whylen))
		return HTTPSIG_MALFORMED;
	if ((x = calloc(1, sizeof(*x))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return HTTPSIG_MALFORMED;
	}
	if (!sf_dict_parse(&x->si, si)) {
		snprintf(why, whylen, "Signature-Input is not a valid "
		    "structured-field dictionary");
		st = HTTPSIG_MALFORMED;
		goto out;
	}
	if (!sf_dict_parse(&x->sg, sg)) {
		snprintf(why, whylen, "Signature is not a valid "
		    "structured-field dictionary");
		st = HTTPSIG_MALFORMED;
		goto out;
	}
	for (size_t i = 0; i < x->si.nm; i++) {
		memset(&one, 0, sizeof(one));
		stage = 0;
		st = check_label(r, now, seen, key_known, kctx, x,
		    &x->si.m[i], &one, &stage, w, sizeof(w));
		if (st == HTTPSIG_OK) {
			*res = one;
			snprintf(why, whylen, "ok");
			goto out;
		}
		/* The label that got furthest says most about the error. */
		if (stage > beststage) {
			beststage = stage;
			beststat = st;
			best = one;
			snprintf(bestwhy, sizeof(bestwhy), "%s", w);
		}
	}
	st = beststat;
	*res = best;
	res->label[0] = '\0';
	snprintf(why, whylen, "%s", bestwhy);
out:
	free(x);
	return st;
}

static void
b64(char *out, size_t outlen, const uint8_t *p, size_t n)
{
	sodium_bin2base64(out, outlen, p, n, sodium_base64_VARIANT_ORIGINAL);
}

struct signhdr {
	const char	*si, *cd;
};

static const char *
sign_header(void *ctx, const char *name)
{
	struct signhdr	*h = ctx;

	if (strcmp(name, "signature-input") == 0)
		return h->si;
	if (strcmp(name, "content-digest") == 0)
		return h->cd[0] != '\0' ? h->cd : NULL;
	return NULL;
}

int
httpsig_sign(const struct httpsig_req *r, const uint8_t sk[64],
    int64_t created, const char *nonce,
    char *sig_input, size_t silen, char *sig, size_t siglen,
    char *digest, size_t dlen)
{
	struct httpsig_req	 q = *r;
	struct signhdr		 h;
	struct sf_item		 nv;
	struct sbuf		 b = { sig_input, 0, silen, false };
	uint8_t			 hash[crypto_hash_sha256_BYTES];
	uint8_t			 s[crypto_sign_BYTES];
	char			 key[OPREC_PUBKEY_B64 + 1], why[128];
	char			 e[sodium_base64_ENCODED_LEN(crypto_sign_BYTES,
				    sodium_base64_VARIANT_ORIGINAL)];
	char			*base = NULL;
	int			 n, rc = -1;

	if (silen == 0 || siglen == 0 || dlen == 0 ||
	    !nonce_ok((const uint8_t *)nonce, strlen(nonce)))
		return -1;
	digest[0] = '\0';
	if (r->body_len > 0) {
		crypto_hash_sha256(hash, r->body, r->body_len);
		b64(e, sizeof(e), hash, sizeof(hash));
		if ((size_t)snprintf(digest, dlen, "sha-256=:%s:", e) >= dlen)
			return -1;
	}
	if (oprec_pubkey_fmt(key, sk + 32) != 0)
		return -1;
	memset(&nv, 0, sizeof(nv));
	nv.kind = SF_STR;
	nv.p = (const uint8_t *)nonce;
	nv.len = strlen(nonce);
	sb_str(&b, "sig1=(\"@method\" \"@target-uri\"");
	if (r->body_len > 0)
		sb_str(&b, " \"content-digest\"");
	sb_str(&b, ");created=");
	sb_int(&b, created);
	sb_str(&b, ";keyid=\"");
	sb_str(&b, key);
	sb_str(&b, "\";alg=\"ed25519\";nonce=");
	sf_ser_bare(&b, &nv);
	if (b.over)
		return -1;
	h.si = sig_input;
	h.cd = digest;
	q.header = sign_header;
	q.ctx = &h;
	if ((base = malloc(BASE_MAX)) == NULL)
		return -1;
	if ((n = httpsig_signature_base(&q, "sig1", base, BASE_MAX, why,
	    sizeof(why))) < 0)
		goto out;
	crypto_sign_detached(s, NULL, (const uint8_t *)base, (size_t)n, sk);
	b64(e, sizeof(e), s, sizeof(s));
	if ((size_t)snprintf(sig, siglen, "sig1=:%s:", e) >= siglen)
		goto out;
	rc = 0;
out:
	free(base);
	return rc;
}

const char *
httpsig_status_name(enum httpsig_status s)
{
	switch (s) {
	case HTTPSIG_OK:		return "ok";
	case HTTPSIG_UNSIGNED:		return "unsigned";
	case HTTPSIG_MALFORMED:		return "malformed";
	case HTTPSIG_PROFILE:		return "profile";
	case HTTPSIG_EXPIRED:		return "expired";
	case HTTPSIG_BAD_SIGNATURE:	return "bad-signature";
	case HTTPSIG_DIGEST:		return "digest";
	case HTTPSIG_REPLAY:		return "replay";
	case HTTPSIG_UNKNOWN_KEY:	return "unknown-key";
	}
	return "unknown";
}

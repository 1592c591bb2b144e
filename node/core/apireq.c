/*
 * apireq.c: the HTTP API's requests decoded into routes and control
 * requests (apireq.h; docs/http.md, "API").  The JSON parser is Jansson
 * (docs/design.md says why); on top of it, every body is an object whose
 * fields each route lists, with their types and bounds, and nothing else.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include <sodium.h>

#include "node/core/apireq.h"
#include "proto/compat.h"
#include "proto/parse.h"

enum {
	F_NAME		= 1 << 0,
	F_PORT		= 1 << 1,
	F_PROTO		= 1 << 2,
	F_TARGET	= 1 << 3,
	F_NODE		= 1 << 4,
	F_PUBLIC	= 1 << 5,
	F_ALLOW		= 1 << 6,
	F_FORCE		= 1 << 7,
	F_KEY		= 1 << 8,
	F_PREFIXES	= 1 << 9,
	F_CODE		= 1 << 10,
	F_STATEMENTS	= 1 << 11,
	F_SIGNATURES	= 1 << 12,
	F_SIGNED	= F_STATEMENTS | F_SIGNATURES,
};

static const struct field {
	const char	*name;
	unsigned	 bit;
} fields[] = {
	{ "name", F_NAME },
	{ "port", F_PORT },
	{ "proto", F_PROTO },
	{ "target", F_TARGET },
	{ "node", F_NODE },
	{ "public", F_PUBLIC },
	{ "allow", F_ALLOW },
	{ "force", F_FORCE },
	{ "key", F_KEY },
	{ "prefixes", F_PREFIXES },
	{ "code", F_CODE },
	{ "statements", F_STATEMENTS },
	{ "signatures", F_SIGNATURES },
};

/* What each route's body may hold, and must. */
static const struct route {
	enum api_route	 route;
	const char	*name;
	enum ctl_cmd	 cmd;
	unsigned	 allowed, required;
	int		 body;		/* 0 none, 1 optional, 2 required */
} routes[] = {
	{ API_STATUS, "status", CTL_STATUS, 0, 0, 0 },
	{ API_SERVICES, "services", CTL_SERVICE_LIST, 0, 0, 0 },
	{ API_SERVICE, "service", CTL_SERVICE_SHOW, 0, 0, 0 },
	{ API_SERVICE_ADD, "service add", CTL_SERVICE_ADD,
	  F_NAME | F_PORT | F_PROTO | F_TARGET | F_NODE | F_PUBLIC | F_ALLOW |
	  F_FORCE | F_SIGNED, F_NAME | F_PORT | F_TARGET, 2 },
	{ API_SERVICE_DEL, "service delete", CTL_SERVICE_DEL, F_SIGNED, 0, 1 },
	{ API_GRANT, "grant", 0, F_NODE | F_SIGNED, F_NODE, 2 },
	{ API_REVOKE_GRANT, "revoke-grant", 0, F_NODE | F_SIGNED, F_NODE, 2 },
	{ API_OPERATORS, "operators", CTL_OPERATORS, 0, 0, 0 },
	{ API_OPERATOR_ADD, "operator add", 0, F_NAME | F_KEY | F_SIGNED,
	  F_NAME | F_KEY, 2 },
	{ API_OPERATOR_DEL, "operator remove", 0, F_SIGNED, 0, 1 },
	{ API_REVOKE, "revoke", 0, F_NODE | F_SIGNED, F_NODE, 2 },
	{ API_LAN_APPROVE, "lan approve", 0, F_NODE | F_PREFIXES | F_SIGNED,
	  F_NODE | F_PREFIXES, 2 },
	{ API_AUDIT, "audit", CTL_AUDIT, 0, 0, 0 },
	{ API_WHOAMI, "whoami", 0, 0, 0, 0 },
	{ API_ENROLL, "enroll", 0, F_CODE | F_NAME, F_CODE, 2 },
	{ API_EVENTS, "events", 0, 0, 0, 0 },
};

static const struct route *
route_get(enum api_route r)
{
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (routes[i].route == r)
			return &routes[i];
	return NULL;
}

const char *
apireq_route_name(enum api_route r)
{
	const struct route	*rt = route_get(r);

	return rt != NULL ? rt->name : "?";
}

static unsigned
fail(char *err, size_t errlen, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static unsigned
fail(char *err, size_t errlen, unsigned status, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return status;
}

/*
 * route_match - the route for method and path; 0, or 404 (no such path)
 * or 405 (not with that method).  name gets a NAME segment.
 */
static unsigned
route_match(const char *method, const char *path, enum api_route *out,
    char name[WIRE_NAME_MAX + 1], char *err, size_t errlen)
{
	const char	*seg[3];
	size_t		 seglen[3];
	char		 what[16];
	int		 nseg = 0, get, post, del;
	const char	*p;

#define SEG(i, s)	(seglen[i] == strlen(s) && memcmp(seg[i], s, seglen[i]) == 0)
	if (strncmp(path, "/api/v1/", 8) != 0)
		return fail(err, errlen, 404, "no such API path: %s (the API is "
		    "under /api/v1/)", path);
	/* Up to three non-empty segments after /api/v1/. */
	for (p = path + 8;; p++) {
		const char	*slash = strchr(p, '/');
		size_t		 n = slash != NULL ? (size_t)(slash - p) :
				     strlen(p);

		if (n == 0 || nseg == 3)
			return fail(err, errlen, 404, "no such API path: %s",
			    path);
		seg[nseg] = p;
		seglen[nseg++] = n;
		if (slash == NULL)
			break;
		p = slash;
	}
	get = strcmp(method, "GET") == 0;
	post = strcmp(method, "POST") == 0;
	del = strcmp(method, "DELETE") == 0;
	name[0] = '\0';
	if (nseg >= 2 && (SEG(0, "services") || SEG(0, "operators"))) {
		if (seglen[1] > WIRE_NAME_MAX)
			return fail(err, errlen, 400, "bad name in %s: at most "
			    "%d characters", path, WIRE_NAME_MAX);
		memcpy(name, seg[1], seglen[1]);
		name[seglen[1]] = '\0';
		if (!wire_name_ok(name))
			return fail(err, errlen, 400, "bad name \"%s\": letters, "
			    "digits, '.', '_' and '-', at most %d", name,
			    WIRE_NAME_MAX);
	}
	*out = 0;
	if (nseg == 1 && SEG(0, "status") && get)
		*out = API_STATUS;
	else if (nseg == 1 && SEG(0, "services") && (get || post))
		*out = get ? API_SERVICES : API_SERVICE_ADD;
	else if (nseg == 2 && SEG(0, "services") && (get || del))
		*out = get ? API_SERVICE : API_SERVICE_DEL;
	else if (nseg == 3 && SEG(0, "services") && SEG(2, "grant") && post)
		*out = API_GRANT;
	else if (nseg == 3 && SEG(0, "services") && SEG(2, "revoke-grant") &&
	    post)
		*out = API_REVOKE_GRANT;
	else if (nseg == 1 && SEG(0, "operators") && (get || post))
		*out = get ? API_OPERATORS : API_OPERATOR_ADD;
	else if (nseg == 2 && SEG(0, "operators") && del)
		*out = API_OPERATOR_DEL;
	else if (nseg == 1 && SEG(0, "revoke") && post)
		*out = API_REVOKE;
	else if (nseg == 2 && SEG(0, "lans") && SEG(1, "approve") && post)
		*out = API_LAN_APPROVE;
	else if (nseg == 1 && SEG(0, "audit") && get)
		*out = API_AUDIT;
	else if (nseg == 1 && SEG(0, "whoami") && get)
		*out = API_WHOAMI;
	else if (nseg == 1 && SEG(0, "enroll") && post)
		*out = API_ENROLL;
	else if (nseg == 1 && SEG(0, "events") && get)
		*out = API_EVENTS;
	if (*out != 0)
		return 0;
	/* The path names something, but not with this method? */
	if ((nseg == 1 && (SEG(0, "status") || SEG(0, "services") ||
	    SEG(0, "operators") || SEG(0, "revoke") || SEG(0, "audit") ||
	    SEG(0, "whoami") || SEG(0, "enroll") || SEG(0, "events"))) ||
	    (nseg == 2 && (SEG(0, "services") || SEG(0, "operators") ||
	    (SEG(0, "lans") && SEG(1, "approve")))) ||
	    (nseg == 3 && SEG(0, "services") && (SEG(2, "grant") ||
	    SEG(2, "revoke-grant")))) {
		snprintf(what, sizeof(what), "%.15s", method);
		for (char *c = what; *c; c++)
			if ((unsigned char)*c < 0x21 || (unsigned char)*c > 0x7e)
				*c = '?';
		return fail(err, errlen, 405, "%s is not allowed on %s", what,
		    path);
	}
	return fail(err, errlen, 404, "no such API path: %s", path);
#undef SEG
}

/* A string field, copied; -1 with err when too long or not a string. */
static int
str_field(const json_t *v, const char *key, char *out, size_t cap, char *err,
    size_t errlen)
{
	size_t	 n;

	if (!json_is_string(v)) {
		snprintf(err, errlen, "\"%s\" must be a string", key);
		return -1;
	}
	n = json_string_length(v);
	if (n >= cap || memchr(json_string_value(v), '\0', n) != NULL) {
		snprintf(err, errlen, "\"%s\" is too long (at most %zu "
		    "characters)", key, cap - 1);
		return -1;
	}
	memcpy(out, json_string_value(v), n);
	out[n] = '\0';
	return 0;
}

static int
name_field(const json_t *v, const char *key, char *out, char *err,
    size_t errlen)
{
	if (str_field(v, key, out, WIRE_NAME_MAX + 1, err, errlen) == -1)
		return -1;
	if (!wire_name_ok(out)) {
		snprintf(err, errlen, "bad \"%s\" \"%s\": letters, digits, '.', "
		    "'_' and '-', at most %d, starting with a letter or digit",
		    key, out, WIRE_NAME_MAX);
		return -1;
	}
	return 0;
}

static int
bool_field(const json_t *v, const char *key, int *out, char *err,
    size_t errlen)
{
	if (!json_is_boolean(v)) {
		snprintf(err, errlen, "\"%s\" must be true or false", key);
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

/* An array of prefixes, at most max. */
static int
prefixes_field(const json_t *v, const char *key, struct wire_prefix *out,
    size_t max, uint8_t *n, char *err, size_t errlen)
{
	char		 s[64];
	const char	*why;

	if (!json_is_array(v)) {
		snprintf(err, errlen, "\"%s\" must be an array of prefixes", key);
		return -1;
	}
	if (json_array_size(v) > max) {
		snprintf(err, errlen, "\"%s\": at most %zu prefixes", key, max);
		return -1;
	}
	*n = 0;
	for (size_t i = 0; i < json_array_size(v); i++) {
		if (str_field(json_array_get(v, i), key, s, sizeof(s), err,
		    errlen) == -1)
			return -1;
		if (parse_prefix(s, &out[*n], &why) == -1) {
			snprintf(err, errlen, "bad prefix \"%s\" in \"%s\": %s",
			    s, key, why);
			return -1;
		}
		(*n)++;
	}
	return 0;
}

/* Standard padded base64 of at most max bytes; the length decoded, or -1. */
static int
b64_decode(const char *s, size_t slen, uint8_t *out, size_t max, size_t *n)
{
	const char	*end;

	if (slen == 0 || slen % 4 != 0 || slen / 4 * 3 > max + 2)
		return -1;
	return sodium_base642bin(out, max, s, slen, NULL, n, &end,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || end != s + slen ? -1 : 0;
}

static int
signed_fields(const json_t *st, const json_t *sg, struct api_req *q, char *err,
    size_t errlen)
{
	size_t	 n;

	if (st == NULL || sg == NULL) {
		snprintf(err, errlen, "\"statements\" and \"signatures\" go "
		    "together");
		return -1;
	}
	if (!json_is_array(st) || !json_is_array(sg)) {
		snprintf(err, errlen, "\"statements\" and \"signatures\" must "
		    "be arrays of base64 strings");
		return -1;
	}
	if (json_array_size(st) != json_array_size(sg)) {
		snprintf(err, errlen, "%zu statements but %zu signatures",
		    json_array_size(st), json_array_size(sg));
		return -1;
	}
	if (json_array_size(st) > APIREQ_MAX_SIGNED) {
		snprintf(err, errlen, "at most %d statements", APIREQ_MAX_SIGNED);
		return -1;
	}
	for (size_t i = 0; i < json_array_size(st); i++) {
		const json_t		*a = json_array_get(st, i);
		const json_t		*b = json_array_get(sg, i);
		struct api_signed	*s = &q->signed_[i];

		if (!json_is_string(a) || b64_decode(json_string_value(a),
		    json_string_length(a), s->body, sizeof(s->body), &n) == -1) {
			snprintf(err, errlen, "statement %zu is not base64 of "
			    "at most %d bytes", i + 1, CTL_MAX_SIGNED);
			return -1;
		}
		s->len = (uint32_t)n;
		if (!json_is_string(b) || b64_decode(json_string_value(b),
		    json_string_length(b), s->sig, sizeof(s->sig), &n) == -1 ||
		    n != WIRE_SIG) {
			snprintf(err, errlen, "signature %zu is not base64 of "
			    "%d bytes (an Ed25519 signature)", i + 1, WIRE_SIG);
			return -1;
		}
	}
	q->nsigned = (uint8_t)json_array_size(st);
	return 0;
}

/* One field of the body, known to be allowed. */
static int
body_field(const char *key, unsigned bit, const json_t *v, struct api_req *q,
    char *err, size_t errlen)
{
	struct ctl_req	*r = &q->ctl;
	char		 s[128];
	const char	*end;
	size_t		 n;

	switch (bit) {
	case F_NAME:
		return name_field(v, key, q->route == API_SERVICE_ADD ?
		    r->name : r->operator_name, err, errlen);
	case F_NODE:
		return name_field(v, key, r->node, err, errlen);
	case F_PORT:
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 65535) {
			snprintf(err, errlen, "\"port\" must be a number from 1 "
			    "to 65535");
			return -1;
		}
		r->port = (uint16_t)json_integer_value(v);
		return 0;
	case F_PROTO:
		if (str_field(v, key, s, sizeof(s), err, errlen) == -1)
			return -1;
		if (strcmp(s, "tcp") == 0)
			r->proto = 6;
		else if (strcmp(s, "udp") == 0)
			r->proto = 17;
		else {
			snprintf(err, errlen, "\"proto\" must be \"tcp\" or "
			    "\"udp\"");
			return -1;
		}
		return 0;
	case F_TARGET:
		if (str_field(v, key, s, sizeof(s), err, errlen) == -1)
			return -1;
		if (parse_addrport(s, 0, &r->target) == -1 ||
		    r->target.port == 0) {
			snprintf(err, errlen, "bad \"target\" \"%s\": give "
			    "ADDR:PORT, such as 100.64.2.10:80", s);
			return -1;
		}
		return 0;
	case F_PUBLIC:
		return bool_field(v, key, &r->public, err, errlen);
	case F_FORCE:
		return bool_field(v, key, &r->force, err, errlen);
	case F_ALLOW:
		return prefixes_field(v, key, r->allow, CTL_MAX_ALLOW,
		    &r->nallow, err, errlen);
	case F_PREFIXES:
		if (prefixes_field(v, key, q->lans, OPREC_MAX_LANS, &q->nlans,
		    err, errlen) == -1)
			return -1;
		if (q->nlans == 0) {
			snprintf(err, errlen, "\"prefixes\" is empty");
			return -1;
		}
		return 0;
	case F_KEY:
		if (str_field(v, key, s, sizeof(s), err, errlen) == -1)
			return -1;
		if (oprec_pubkey_parse(s, q->key) == -1) {
			snprintf(err, errlen, "bad \"key\": give the 44 "
			    "characters of standard base64 (with its '=') of "
			    "an Ed25519 public key");
			return -1;
		}
		return 0;
	case F_CODE:
		if (str_field(v, key, q->code, sizeof(q->code), err,
		    errlen) == -1 || strlen(q->code) != APIREQ_CODE_LEN ||
		    sodium_base642bin((uint8_t *)s, sizeof(s), q->code,
		    APIREQ_CODE_LEN, NULL, &n, &end,
		    sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
		    end != q->code + APIREQ_CODE_LEN || n != 16) {
			snprintf(err, errlen, "bad \"code\": give the %d "
			    "characters after '#' in the enrolment URL",
			    APIREQ_CODE_LEN);
			return -1;
		}
		return 0;
	}
	return 0;
}

static unsigned
body_decode(const struct route *rt, const uint8_t *body, size_t len,
    struct api_req *q, char *err, size_t errlen)
{
	json_t		*root, *v;
	json_error_t	 je;
	const char	*key;
	unsigned	 seen = 0, status = 0;
	char		 why[200];

	if (len > APIREQ_MAX_BODY)
		return fail(err, errlen, 413, "the body is larger than %u bytes",
		    APIREQ_MAX_BODY);
	if (len == 0) {
		if (rt->body == 2)
			return fail(err, errlen, 400, "%s needs a JSON object "
			    "in the body", rt->name);
		return 0;
	}
	if (rt->body == 0)
		return fail(err, errlen, 400, "%s takes no body", rt->name);
	root = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL)
		return fail(err, errlen, 400, "the body is not JSON: %s (at "
		    "character %d)", je.text, je.position);
	if (!json_is_object(root)) {
		json_decref(root);
		return fail(err, errlen, 400, "the body must be a JSON object");
	}
	json_object_foreach(root, key, v) {
		unsigned	 bit = 0;

		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (strcmp(fields[i].name, key) == 0)
				bit = fields[i].bit;
		if (bit == 0 || !(rt->allowed & bit)) {
			char	 k[40];

			snprintf(k, sizeof(k), "%s", key);
			for (char *c = k; *c; c++)
				if ((unsigned char)*c < 0x20 || *c == '"')
					*c = '?';
			status = fail(err, errlen, 400, "unknown field \"%s\" "
			    "for %s", k, rt->name);
			goto out;
		}
		seen |= bit;
		if (bit & F_SIGNED)
			continue;
		if (body_field(key, bit, v, q, why, sizeof(why)) == -1) {
			status = fail(err, errlen, 400, "%s", why);
			goto out;
		}
	}
	if ((seen & F_SIGNED) && signed_fields(json_object_get(root,
	    "statements"), json_object_get(root, "signatures"), q, why,
	    sizeof(why)) == -1) {
		status = fail(err, errlen, 400, "%s", why);
		goto out;
	}
	if ((rt->required & ~seen) != 0) {
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (rt->required & ~seen & fields[i].bit) {
				status = fail(err, errlen, 400, "%s needs \"%s\"",
				    rt->name, fields[i].name);
				goto out;
			}
	}
out:
	json_decref(root);
	return status;
}

/* The query: only a service delete takes one, node=NAME. */
static unsigned
query_decode(const struct route *rt, const char *query, struct api_req *q,
    char *err, size_t errlen)
{
	if (query == NULL || query[0] == '\0')
		return 0;
	if (rt->route != API_SERVICE_DEL)
		return fail(err, errlen, 400, "%s takes no query", rt->name);
	if (strncmp(query, "node=", 5) != 0 || strlen(query + 5) >
	    WIRE_NAME_MAX || !wire_name_ok(query + 5))
		return fail(err, errlen, 400, "bad query \"%.80s\": a service "
		    "delete takes only node=NAME", query);
	strlcpy(q->ctl.node, query + 5, sizeof(q->ctl.node));
	return 0;
}

unsigned
apireq_decode(const char *method, const char *path, const char *query,
    const uint8_t *body, size_t len, struct api_req *q, char *err,
    size_t errlen)
{
	const struct route	*rt;
	char			 name[WIRE_NAME_MAX + 1];
	unsigned		 status;

	memset(q, 0, sizeof(*q));
	if ((status = route_match(method, path, &q->route, name, err,
	    errlen)) != 0)
		return status;
	rt = route_get(q->route);
	q->ctl.cmd = rt->cmd;
	if (q->route == API_SERVICE_ADD)
		q->ctl.proto = 6;
	if ((status = query_decode(rt, query, q, err, errlen)) != 0 ||
	    (status = body_decode(rt, body, body != NULL ? len : 0, q, err,
	    errlen)) != 0)
		return status;
	/* A name in the path. */
	if (q->route == API_OPERATOR_DEL)
		strlcpy(q->ctl.operator_name, name, sizeof(q->ctl.operator_name));
	else if (name[0] != '\0')
		strlcpy(q->ctl.name, name, sizeof(q->ctl.name));
	return 0;
}

/* oprec.c: operator statements: encode, and strictly decode (one spelling each). */
#include <string.h>
#include <sodium.h>

#include "proto/compat.h"
#include "proto/mp.h"
#include "proto/oprec.h"

int
oprec_kind(uint8_t kind)
{
	return kind == REC_OPERATOR || kind == REC_GRANT ||
	    kind == REC_REVOKE || kind == REC_APPROVE || kind == REC_ORDER;
}

/* oprec_key - a statement's record key: its version, 8 bytes big-endian. */
void
oprec_key(uint8_t key[OPREC_KEYLEN], uint64_t v)
{
	for (int i = 0; i < OPREC_KEYLEN; i++)
		key[i] = (uint8_t)(v >> (56 - 8 * i));
}

static void
pack_bool(msgpack_packer *pk, int v)
{
	if (v)
		msgpack_pack_true(pk);
	else
		msgpack_pack_false(pk);
}

/*
 * Fields by kind:
 *   OPERATOR [subject, name, action]
 *   GRANT    [name, proto, port, allow, public, owners, withdrawn]
 *   REVOKE   [subject, name]
 *   APPROVE  [subject, lans]
 *   ORDER    [subject, name, action, force, [service fields] or nil]
 */
int
oprec_encode(struct buf *b, const struct oprec *o)
{
	msgpack_packer	 pk;
	uint8_t		 key[OPREC_KEYLEN];
	if (!oprec_kind(o->kind) || o->version == 0 ||
	    o->nowners > OPREC_MAX_OWNERS || o->nlans > OPREC_MAX_LANS ||
	    o->svc.nallow > WIRE_MAX_ALLOW)
		return -1;
	if (o->kind != REC_APPROVE && !wire_name_ok(o->name))
		return -1;
	oprec_key(key, o->version);
	mp_packer_init(&pk, b);
	switch (o->kind) {
	case REC_OPERATOR:
		if (o->action != OP_ENROL && o->action != OP_REMOVE)
			return -1;
		rec_head_encode(&pk, o->kind, o->version, 0, key, sizeof(key), 3);
		msgpack_pack_bin_with_body(&pk, o->subject, WIRE_KEY);
		mp_pack_str(&pk, o->name);
		msgpack_pack_uint8(&pk, o->action);
		break;
	case REC_GRANT:
		if ((o->svc.proto != SVC_TCP && o->svc.proto != SVC_UDP) ||
		    o->svc.port == 0)
			return -1;
		rec_head_encode(&pk, o->kind, o->version, 0, key, sizeof(key), 7);
		mp_pack_str(&pk, o->name);
		msgpack_pack_uint8(&pk, o->svc.proto);
		msgpack_pack_uint16(&pk, o->svc.port);
		msgpack_pack_array(&pk, o->svc.nallow);
		for (int i = 0; i < o->svc.nallow; i++)
			wire_prefix_encode(&pk, &o->svc.allow[i]);
		pack_bool(&pk, o->svc.public);
		msgpack_pack_array(&pk, o->nowners);
		for (int i = 0; i < o->nowners; i++)
			msgpack_pack_bin_with_body(&pk, o->owners[i], WIRE_KEY);
		pack_bool(&pk, o->withdrawn);
		break;
	case REC_REVOKE:
		rec_head_encode(&pk, o->kind, o->version, 0, key, sizeof(key), 2);
		msgpack_pack_bin_with_body(&pk, o->subject, WIRE_KEY);
		mp_pack_str(&pk, o->name);
		break;
	case REC_APPROVE:
		rec_head_encode(&pk, o->kind, o->version, 0, key, sizeof(key), 2);
		msgpack_pack_bin_with_body(&pk, o->subject, WIRE_KEY);
		msgpack_pack_array(&pk, o->nlans);
		for (int i = 0; i < o->nlans; i++)
			wire_prefix_encode(&pk, &o->lans[i]);
		break;
	case REC_ORDER:
		if (o->action != OP_ADD && o->action != OP_DEL)
			return -1;
		rec_head_encode(&pk, o->kind, o->version, 0, key, sizeof(key), 5);
		msgpack_pack_bin_with_body(&pk, o->subject, WIRE_KEY);
		mp_pack_str(&pk, o->name);
		msgpack_pack_uint8(&pk, o->action);
		pack_bool(&pk, o->force);
		if (o->action == OP_ADD) {
			if ((o->svc.proto != SVC_TCP &&
			    o->svc.proto != SVC_UDP) || o->svc.port == 0)
				return -1;
			msgpack_pack_array(&pk, 5);
			svc_fields_encode(&pk, &o->svc);
		} else
			msgpack_pack_nil(&pk);
		break;
	}
	return b->err ? -1 : 0;
}

static int
name_decode(const msgpack_object *f, char *out)
{
	return mp_str_copy(f, out, WIRE_NAME_MAX + 1) == -1 ||
	    !wire_name_ok(out) ? -1 : 0;
}

static int
fields_decode(const msgpack_object *f, uint32_t nf, struct oprec *o)
{
	const msgpack_object	*a;
	uint32_t		 n, v;
	int			 bv;

	switch (o->kind) {
	case REC_OPERATOR:
		if (nf != 3 || mp_bin_exact(&f[0], o->subject, WIRE_KEY) == -1 ||
		    name_decode(&f[1], o->name) == -1 ||
		    mp_u32(&f[2], 2, &v) == -1 || v == 0)
			return -1;
		o->action = (uint8_t)v;
		return 0;
	case REC_GRANT:
		if (nf != 7 || name_decode(&f[0], o->name) == -1 ||
		    mp_u32(&f[1], 255, &v) == -1 ||
		    (v != SVC_TCP && v != SVC_UDP))
			return -1;
		o->svc.proto = (uint8_t)v;
		if (mp_u32(&f[2], 65535, &v) == -1 || v == 0 ||
		    wire_prefixes_decode(&f[3], WIRE_MAX_ALLOW, o->svc.allow,
		    &n) == -1 || mp_bool(&f[4], &bv) == -1)
			return -1;
		o->svc.port = (uint16_t)v;
		o->svc.nallow = (uint8_t)n;
		o->svc.public = bv != 0;
		if (mp_array(&f[5], 0, OPREC_MAX_OWNERS, &a, &n) == -1)
			return -1;
		for (uint32_t i = 0; i < n; i++)
			if (mp_bin_exact(&a[i], o->owners[i], WIRE_KEY) == -1)
				return -1;
		o->nowners = (uint8_t)n;
		if (mp_bool(&f[6], &bv) == -1)
			return -1;
		o->withdrawn = (uint8_t)(bv != 0);
		strlcpy(o->svc.name, o->name, sizeof(o->svc.name));
		return 0;
	case REC_REVOKE:
		return nf != 2 || mp_bin_exact(&f[0], o->subject, WIRE_KEY) == -1 ||
		    name_decode(&f[1], o->name) == -1 ? -1 : 0;
	case REC_APPROVE:
		if (nf != 2 || mp_bin_exact(&f[0], o->subject, WIRE_KEY) == -1 ||
		    wire_prefixes_decode(&f[1], OPREC_MAX_LANS, o->lans,
		    &n) == -1)
			return -1;
		o->nlans = (uint8_t)n;
		return 0;
	case REC_ORDER:
		if (nf != 5 || mp_bin_exact(&f[0], o->subject, WIRE_KEY) == -1 ||
		    name_decode(&f[1], o->name) == -1 ||
		    mp_u32(&f[2], 2, &v) == -1 || v == 0 ||
		    mp_bool(&f[3], &bv) == -1)
			return -1;
		o->action = (uint8_t)v;
		o->force = (uint8_t)(bv != 0);
		if (o->action == OP_ADD) {
			if (mp_array(&f[4], 5, 5, &a, &n) == -1 ||
			    svc_fields_decode(a, n, &o->svc) == -1)
				return -1;
		} else if (!mp_is_nil(&f[4]))
			return -1;
		strlcpy(o->svc.name, o->name, sizeof(o->svc.name));
		return 0;
	}
	return -1;
}

int
oprec_decode(const uint8_t *p, size_t len, struct oprec *o)
{
	struct mp_doc		 d;
	struct rec_head		 h;
	const msgpack_object	*f;
	uint32_t		 nf;
	uint8_t			 key[OPREC_KEYLEN];
	int			 rc = -1;

	memset(o, 0, sizeof(*o));
	if (rec_parse(&d, p, len, &h, &f, &nf) == -1)
		return -1;
	o->kind = h.kind;
	o->version = h.version;
	oprec_key(key, h.version);
	/* No flags, and the key is the version: one spelling per statement. */
	if (oprec_kind(h.kind) && h.flags == 0 && h.keylen == OPREC_KEYLEN &&
	    memcmp(h.key, key, OPREC_KEYLEN) == 0 &&
	    fields_decode(f, nf, o) == 0)
		rc = 0;
	mp_doc_release(&d);
	/*
	 * msgpack spells a number or a length in more than one width
	 * (144 as cc 90 or cd 00 90); what decodes must be the bytes
	 * oprec_encode() makes of it, so one statement has one spelling.
	 */
	if (rc == 0) {
		struct buf	 b;

		buf_init(&b, len);
		if (oprec_encode(&b, o) != 0 || b.len != len ||
		    memcmp(b.p, p, len) != 0)
			rc = -1;
		buf_release(&b);
	}
	if (rc == -1)
		memset(o, 0, sizeof(*o));
	return rc;
}

int
oprec_pubkey_fmt(char out[OPREC_PUBKEY_B64 + 1], const uint8_t key[WIRE_KEY])
{
	sodium_bin2base64(out, OPREC_PUBKEY_B64 + 1, key, WIRE_KEY,
	    sodium_base64_VARIANT_ORIGINAL);
	return 0;
}

/* Standard padded base64 of exactly 32 bytes, nothing around it. */
int
oprec_pubkey_parse(const char *s, uint8_t key[WIRE_KEY])
{
	size_t		 n;
	const char	*end;

	if (strlen(s) != OPREC_PUBKEY_B64 ||
	    sodium_base642bin(key, WIRE_KEY, s, OPREC_PUBKEY_B64, NULL, &n,
	    &end, sodium_base64_VARIANT_ORIGINAL) != 0 || n != WIRE_KEY ||
	    *end != '\0')
		return -1;
	return 0;
}

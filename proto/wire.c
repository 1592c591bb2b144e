/* wire.c: strict msgpack codecs for record bodies and messages. */
#include <stdlib.h>
#include <string.h>

#include "proto/envelope.h"
#include "proto/mp.h"
#include "proto/wire.h"

int
wire_name_ok(const char *s)
{
	size_t	 n = strlen(s);

	if (n == 0 || n > WIRE_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char	 c = s[i];
		int	 alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '-' && c != '_' && c != '.')))
			return 0;
	}
	return 1;
}

/* ---- records ---- */

int
rec_parse(struct mp_doc *d, const uint8_t *p, size_t len, struct rec_head *h,
    const msgpack_object **fields, uint32_t *nfields)
{
	const msgpack_object	*a;
	uint32_t		 n;
	const uint8_t		*k;
	size_t			 klen;
	uint64_t		 kind;

	if (len > WIRE_MAX_RECORD || mp_parse(d, p, len) == -1)
		return -1;
	if (mp_array(&d->root, 5, 5, &a, &n) == -1 ||
	    mp_u64(&a[0], 255, &kind) == -1 ||
	    mp_u64(&a[1], UINT64_MAX, &h->version) == -1 ||
	    mp_u32(&a[2], UINT32_MAX, &h->flags) == -1 ||
	    mp_bin(&a[3], 0, WIRE_MAX_RECKEY, &k, &klen) == -1 ||
	    mp_array(&a[4], 0, 16, fields, nfields) == -1 ||
	    h->version == 0) {
		mp_doc_release(d);
		return -1;
	}
	h->kind = (uint8_t)kind;
	if (klen > 0)
		memcpy(h->key, k, klen);
	h->keylen = (uint8_t)klen;
	if ((h->flags & REC_F_DELETED) && *nfields != 0) {
		mp_doc_release(d);
		return -1;
	}
	return 0;
}

int
rec_head_decode(const uint8_t *p, size_t len, struct rec_head *h)
{
	struct mp_doc		 d;
	const msgpack_object	*f;
	uint32_t		 nf;

	if (rec_parse(&d, p, len, h, &f, &nf) == -1)
		return -1;
	mp_doc_release(&d);
	return 0;
}

static int
addr_decode(const msgpack_object *o, struct wire_addr *a, int port0)
{
	const msgpack_object	*f;
	uint32_t		 n, port;
	const uint8_t		*ip;
	size_t			 iplen;

	memset(a, 0, sizeof(*a));
	if (mp_array(o, 2, 2, &f, &n) == -1 ||
	    mp_bin(&f[0], 4, 16, &ip, &iplen) == -1 ||
	    (iplen != 4 && iplen != 16) ||
	    mp_u32(&f[1], 65535, &port) == -1 || (port == 0 && !port0))
		return -1;
	a->family = iplen == 4 ? 4 : 6;
	memcpy(a->ip, ip, iplen);
	a->port = (uint16_t)port;
	return 0;
}

int
wire_addr_decode(const msgpack_object *o, struct wire_addr *a)
{
	return addr_decode(o, a, 0);
}

/* wire_addr_decode_port0 - the same, but port 0 ("the default") is allowed. */
int
wire_addr_decode_port0(const msgpack_object *o, struct wire_addr *a)
{
	return addr_decode(o, a, 1);
}

static int
wire_cert_decode(const msgpack_object *o, struct wire_cert *c)
{
	const msgpack_object	*f;
	uint32_t		 n;

	if (mp_array(o, 3, 3, &f, &n) == -1 ||
	    mp_bin_exact(&f[0], c->subject, WIRE_KEY) == -1 ||
	    mp_u64(&f[1], UINT64_MAX, &c->issued) == -1 ||
	    mp_bin_exact(&f[2], c->sig, WIRE_SIG) == -1)
		return -1;
	return 0;
}

int
wire_chain_decode(const msgpack_object *o, struct wire_cert *chain, uint8_t *nchain)
{
	const msgpack_object	*f;
	uint32_t		 n;

	if (mp_array(o, 1, WIRE_MAX_CHAIN, &f, &n) == -1)
		return -1;
	for (uint32_t i = 0; i < n; i++)
		if (wire_cert_decode(&f[i], &chain[i]) == -1)
			return -1;
	*nchain = (uint8_t)n;
	return 0;
}

int
wire_prefix_decode(const msgpack_object *o, struct wire_prefix *pf)
{
	const msgpack_object	*f;
	const uint8_t		*ip;
	size_t			 iplen;
	uint32_t		 n, plen;

	memset(pf, 0, sizeof(*pf));
	if (mp_array(o, 2, 2, &f, &n) == -1 ||
	    mp_bin(&f[0], 4, 16, &ip, &iplen) == -1 ||
	    (iplen != 4 && iplen != 16) ||
	    mp_u32(&f[1], iplen == 4 ? 32 : 128, &plen) == -1)
		return -1;
	pf->family = iplen == 4 ? 4 : 6;
	memcpy(pf->ip, ip, iplen);
	pf->len = (uint8_t)plen;
	/* Host bits must be zero: a prefix has one spelling. */
	for (unsigned bit = plen; bit < iplen * 8; bit++)
		if (pf->ip[bit / 8] & (0x80 >> (bit % 8)))
			return -1;
	return 0;
}

void
wire_prefix_encode(msgpack_packer *pk, const struct wire_prefix *pf)
{
	msgpack_pack_array(pk, 2);
	msgpack_pack_bin_with_body(pk, pf->ip, pf->family == 4 ? 4 : 16);
	msgpack_pack_uint8(pk, pf->len);
}

int
wire_prefixes_decode(const msgpack_object *o, uint32_t max, struct wire_prefix *out,
    uint32_t *n)
{
	const msgpack_object	*a;
	uint32_t		 na;

	if (mp_array(o, 0, max, &a, &na) == -1)
		return -1;
	for (uint32_t i = 0; i < na; i++)
		if (wire_prefix_decode(&a[i], &out[i]) == -1)
			return -1;
	*n = na;
	return 0;
}

int
rec_node_decode(const uint8_t *p, size_t len, struct rec_head *h,
    struct rec_node *nd)
{
	struct mp_doc		 d;
	const msgpack_object	*f, *aa;
	uint32_t		 nf, na, n;
	int			 rc = -1;

	memset(nd, 0, sizeof(*nd));
	if (rec_parse(&d, p, len, h, &f, &nf) == -1)
		return -1;
	if (h->kind != REC_NODE || h->keylen != 0 || (nf != 5 && nf != 6) ||
	    (h->flags & ~NODE_F_LEFT) != 0)
		goto out;
	if (mp_str_copy(&f[0], nd->name, sizeof(nd->name)) == -1 ||
	    !wire_name_ok(nd->name))
		goto out;
	if (mp_array(&f[1], 0, WIRE_MAX_ADDRS, &aa, &na) == -1)
		goto out;
	for (uint32_t i = 0; i < na; i++)
		if (wire_addr_decode(&aa[i], &nd->addrs[i]) == -1)
			goto out;
	nd->naddrs = (uint8_t)na;
	if (wire_chain_decode(&f[2], nd->chain, &nd->nchain) == -1)
		goto out;
	if (!mp_is_nil(&f[3])) {
		if (mp_bin_exact(&f[3], nd->via_token, WIRE_KEY) == -1)
			goto out;
		nd->has_token = 1;
	}
	if (wire_prefixes_decode(&f[4], WIRE_MAX_LANS, nd->lans, &n) == -1)
		goto out;
	nd->nlans = (uint16_t)n;
	if (nf == 6 && mp_u64(&f[5], UINT64_MAX, &nd->floor) == -1)
		goto out;
	rc = 0;
out:
	mp_doc_release(&d);
	return rc;
}

int
rec_invite_decode(const uint8_t *p, size_t len, struct rec_head *h,
    struct rec_invite *iv)
{
	struct mp_doc		 d;
	const msgpack_object	*f;
	uint32_t		 nf;
	int			 rc = -1;

	memset(iv, 0, sizeof(*iv));
	if (rec_parse(&d, p, len, h, &f, &nf) == -1)
		return -1;
	if (h->kind != REC_INVITE || h->keylen != WIRE_KEY ||
	    (h->flags & ~REC_F_DELETED) != 0)
		goto out;
	if (h->flags & REC_F_DELETED) {
		rc = 0;
		goto out;
	}
	if (nf != 1 || mp_u64(&f[0], UINT64_MAX, &iv->expires) == -1)
		goto out;
	rc = 0;
out:
	mp_doc_release(&d);
	return rc;
}

int
rec_notice_decode(const uint8_t *p, size_t len, struct rec_head *h,
    uint8_t subject[WIRE_KEY], struct rec_notice *nt)
{
	struct mp_doc		 d;
	const msgpack_object	*f;
	uint32_t		 nf, st;
	int			 rc = -1;

	memset(nt, 0, sizeof(*nt));
	if (rec_parse(&d, p, len, h, &f, &nf) == -1)
		return -1;
	if (h->kind != REC_NOTICE || h->keylen != WIRE_KEY || h->flags != 0 ||
	    nf != 2)
		goto out;
	if (mp_u64(&f[0], UINT64_MAX, &nt->incarnation) == -1 ||
	    mp_u32(&f[1], NOTICE_DEAD, &st) == -1 || st < NOTICE_SUSPECT)
		goto out;
	nt->state = (uint8_t)st;
	memcpy(subject, h->key, WIRE_KEY);
	rc = 0;
out:
	mp_doc_release(&d);
	return rc;
}

void
wire_addr_encode(msgpack_packer *pk, const struct wire_addr *a)
{
	msgpack_pack_array(pk, 2);
	msgpack_pack_bin_with_body(pk, a->ip, a->family == 4 ? 4 : 16);
	msgpack_pack_uint16(pk, a->port);
}

void
rec_head_encode(msgpack_packer *pk, uint8_t kind, uint64_t version,
    uint32_t flags, const uint8_t *key, size_t keylen, size_t nfields)
{
	msgpack_pack_array(pk, 5);
	msgpack_pack_uint8(pk, kind);
	msgpack_pack_uint64(pk, version);
	msgpack_pack_uint32(pk, flags);
	msgpack_pack_bin_with_body(pk, key, keylen);
	msgpack_pack_array(pk, nfields);
}

void
wire_cert_encode(msgpack_packer *pk, const struct wire_cert *c)
{
	msgpack_pack_array(pk, 3);
	msgpack_pack_bin_with_body(pk, c->subject, WIRE_KEY);
	msgpack_pack_uint64(pk, c->issued);
	msgpack_pack_bin_with_body(pk, c->sig, WIRE_SIG);
}

int
rec_node_encode(struct buf *b, uint64_t version, uint32_t flags,
    const struct rec_node *nd)
{
	msgpack_packer	 pk;

	if (!wire_name_ok(nd->name) || nd->naddrs > WIRE_MAX_ADDRS ||
	    nd->nchain < 1 || nd->nchain > WIRE_MAX_CHAIN ||
	    nd->nlans > WIRE_MAX_LANS)
		return -1;
	mp_packer_init(&pk, b);
	rec_head_encode(&pk, REC_NODE, version, flags, NULL, 0, 6);
	msgpack_pack_str_with_body(&pk, nd->name, strlen(nd->name));
	msgpack_pack_array(&pk, nd->naddrs);
	for (int i = 0; i < nd->naddrs; i++)
		wire_addr_encode(&pk, &nd->addrs[i]);
	msgpack_pack_array(&pk, nd->nchain);
	for (int i = 0; i < nd->nchain; i++)
		wire_cert_encode(&pk, &nd->chain[i]);
	if (nd->has_token)
		msgpack_pack_bin_with_body(&pk, nd->via_token, WIRE_KEY);
	else
		msgpack_pack_nil(&pk);
	msgpack_pack_array(&pk, nd->nlans);
	for (int i = 0; i < nd->nlans; i++)
		wire_prefix_encode(&pk, &nd->lans[i]);
	msgpack_pack_uint64(&pk, nd->floor);
	return b->err ? -1 : 0;
}

/* Service fields: [proto, port, target, allow, public]; key = name. */
int
svc_fields_decode(const msgpack_object *f, uint32_t nf, struct rec_service *s)
{
	uint32_t	 v, n;

	if (nf != 5 || mp_u32(&f[0], 255, &v) == -1 ||
	    (v != SVC_TCP && v != SVC_UDP))
		return -1;
	s->proto = (uint8_t)v;
	if (mp_u32(&f[1], 65535, &v) == -1 || v == 0)
		return -1;
	s->port = (uint16_t)v;
	if (wire_addr_decode(&f[2], &s->target) == -1 ||
	    wire_prefixes_decode(&f[3], WIRE_MAX_ALLOW, s->allow, &n) == -1 ||
	    mp_bool(&f[4], &s->public) == -1)
		return -1;
	s->nallow = (uint8_t)n;
	return 0;
}

void
svc_fields_encode(msgpack_packer *pk, const struct rec_service *s)
{
	msgpack_pack_uint8(pk, s->proto);
	msgpack_pack_uint16(pk, s->port);
	wire_addr_encode(pk, &s->target);
	msgpack_pack_array(pk, s->nallow);
	for (int i = 0; i < s->nallow; i++)
		wire_prefix_encode(pk, &s->allow[i]);
	if (s->public)
		msgpack_pack_true(pk);
	else
		msgpack_pack_false(pk);
}

int
rec_service_decode(const uint8_t *p, size_t len, struct rec_head *h,
    struct rec_service *s)
{
	struct mp_doc		 d;
	const msgpack_object	*f;
	uint32_t		 nf;
	int			 rc = -1;

	memset(s, 0, sizeof(*s));
	if (rec_parse(&d, p, len, h, &f, &nf) == -1)
		return -1;
	if (h->kind != REC_SERVICE || h->keylen == 0 ||
	    h->keylen > WIRE_NAME_MAX || (h->flags & ~REC_F_DELETED) != 0)
		goto out;
	memcpy(s->name, h->key, h->keylen);
	s->name[h->keylen] = '\0';
	if (!wire_name_ok(s->name))
		goto out;
	if ((h->flags & REC_F_DELETED) || svc_fields_decode(f, nf, s) == 0)
		rc = 0;
out:
	mp_doc_release(&d);
	return rc;
}

int
rec_service_encode(struct buf *b, uint64_t version, const struct rec_service *s)
{
	msgpack_packer	 pk;

	if (!wire_name_ok(s->name) || s->nallow > WIRE_MAX_ALLOW ||
	    (s->proto != SVC_TCP && s->proto != SVC_UDP) || s->port == 0)
		return -1;
	mp_packer_init(&pk, b);
	rec_head_encode(&pk, REC_SERVICE, version, 0, (const uint8_t *)s->name,
	    strlen(s->name), 5);
	svc_fields_encode(&pk, s);
	return b->err ? -1 : 0;
}

/* Health fields: [health, since]; key = the service's name. */
int
rec_health_decode(const uint8_t *p, size_t len, struct rec_head *h,
    struct rec_health *hl)
{
	struct mp_doc		 d;
	const msgpack_object	*f;
	uint32_t		 nf, v;
	int			 rc = -1;

	memset(hl, 0, sizeof(*hl));
	if (rec_parse(&d, p, len, h, &f, &nf) == -1)
		return -1;
	if (h->kind != REC_HEALTH || h->keylen == 0 ||
	    h->keylen > WIRE_NAME_MAX || (h->flags & ~REC_F_DELETED) != 0)
		goto out;
	memcpy(hl->name, h->key, h->keylen);
	hl->name[h->keylen] = '\0';
	if (!wire_name_ok(hl->name))
		goto out;
	if (h->flags & REC_F_DELETED) {
		rc = 0;
		goto out;
	}
	if (nf != 2 || mp_u32(&f[0], SVC_H_MAX, &v) == -1 ||
	    mp_u64(&f[1], UINT64_MAX, &hl->since) == -1)
		goto out;
	hl->health = (uint8_t)v;
	rc = 0;
out:
	mp_doc_release(&d);
	return rc;
}

int
rec_health_encode(struct buf *b, uint64_t version, const struct rec_health *hl)
{
	msgpack_packer	 pk;

	if (!wire_name_ok(hl->name) || hl->health > SVC_H_MAX)
		return -1;
	mp_packer_init(&pk, b);
	rec_head_encode(&pk, REC_HEALTH, version, 0, (const uint8_t *)hl->name,
	    strlen(hl->name), 2);
	msgpack_pack_uint8(&pk, hl->health);
	msgpack_pack_uint64(&pk, hl->since);
	return b->err ? -1 : 0;
}

/* Programmed fields: [digest, services]; key empty, never a tombstone. */
int
rec_programmed_decode(const uint8_t *p, size_t len, struct rec_head *h,
    struct rec_programmed *pr)
{
	struct mp_doc		 d;
	const msgpack_object	*f;
	uint32_t		 nf;
	int			 rc = -1;

	memset(pr, 0, sizeof(*pr));
	if (rec_parse(&d, p, len, h, &f, &nf) == -1)
		return -1;
	if (h->kind != REC_PROGRAMMED || h->keylen != 0 || h->flags != 0 ||
	    nf != 2 || mp_u64(&f[0], UINT64_MAX, &pr->digest) == -1 ||
	    mp_u32(&f[1], UINT32_MAX, &pr->services) == -1)
		goto out;
	rc = 0;
out:
	mp_doc_release(&d);
	return rc;
}

int
rec_programmed_encode(struct buf *b, uint64_t version,
    const struct rec_programmed *pr)
{
	msgpack_packer	 pk;

	mp_packer_init(&pk, b);
	rec_head_encode(&pk, REC_PROGRAMMED, version, 0, NULL, 0, 2);
	msgpack_pack_uint64(&pk, pr->digest);
	msgpack_pack_uint32(&pk, pr->services);
	return b->err ? -1 : 0;
}

int
rec_invite_encode(struct buf *b, uint64_t version, uint32_t flags,
    const uint8_t token_pub[WIRE_KEY], const struct rec_invite *iv)
{
	msgpack_packer	 pk;

	mp_packer_init(&pk, b);
	rec_head_encode(&pk, REC_INVITE, version, flags, token_pub, WIRE_KEY,
	    1);
	msgpack_pack_uint64(&pk, iv->expires);
	return b->err ? -1 : 0;
}

/*
 * rec_reversion - the same record body with another version: every other
 * field copied as it is.  For an author that publishes its own records
 * again above a new floor.
 */
int
rec_reversion(struct buf *b, const uint8_t *body, size_t len, uint64_t version)
{
	struct mp_doc		 d;
	msgpack_packer		 pk;
	const msgpack_object	*a;
	uint32_t		 n;
	int			 rc = -1;

	if (len > WIRE_MAX_RECORD || mp_parse(&d, body, len) == -1)
		return -1;
	if (mp_array(&d.root, 5, 5, &a, &n) == 0) {
		mp_packer_init(&pk, b);
		msgpack_pack_array(&pk, 5);
		msgpack_pack_object(&pk, a[0]);
		msgpack_pack_uint64(&pk, version);
		for (int i = 2; i < 5; i++)
			msgpack_pack_object(&pk, a[i]);
		rc = b->err ? -1 : 0;
	}
	mp_doc_release(&d);
	return rc;
}

int
rec_tombstone_encode(struct buf *b, uint8_t kind, uint64_t version,
    const uint8_t *key, size_t keylen)
{
	msgpack_packer	 pk;

	if (keylen > WIRE_MAX_RECKEY)
		return -1;
	mp_packer_init(&pk, b);
	rec_head_encode(&pk, kind, version, REC_F_DELETED, key, keylen, 0);
	return b->err ? -1 : 0;
}

int
rec_notice_encode(struct buf *b, uint64_t time,
    const uint8_t subject[WIRE_KEY], const struct rec_notice *nt)
{
	msgpack_packer	 pk;

	mp_packer_init(&pk, b);
	rec_head_encode(&pk, REC_NOTICE, time, 0, subject, WIRE_KEY, 2);
	msgpack_pack_uint64(&pk, nt->incarnation);
	msgpack_pack_uint8(&pk, nt->state);
	return b->err ? -1 : 0;
}

/* ---- messages ---- */

size_t
wire_item_cost(size_t len)
{
	return len + (len < 256 ? 2 : len < 65536 ? 3 : 5);
}

void
wire_items_release(struct wire_items *it)
{
	free(it->buf);
	free(it->off);
	free(it->len);
	memset(it, 0, sizeof(*it));
}

void
wire_msg_release(struct wire_msg *m)
{
	wire_items_release(&m->items);
	free(m->digest);
	m->digest = NULL;
	m->ndigest = 0;
}

const uint8_t *
wire_items_get(const struct wire_items *it, uint32_t i, size_t *len)
{
	if (i >= it->n)
		return NULL;
	*len = it->len[i];
	return it->buf + it->off[i];
}

/* Copy n bin objects (signed records) out of the document. */
static int
items_copy(const msgpack_object *a, uint32_t n, struct wire_items *it)
{
	size_t		 total = 0, off = 0;
	const uint8_t	*p;
	size_t		 len;

	for (uint32_t i = 0; i < n; i++) {
		if (mp_bin(&a[i], 1, WIRE_MAX_RECORD, &p, &len) == -1)
			return -1;
		total += len;
	}
	if (n == 0)
		return 0;
	it->buf = malloc(total);
	it->off = calloc(n, sizeof(*it->off));
	it->len = calloc(n, sizeof(*it->len));
	if (it->buf == NULL || it->off == NULL || it->len == NULL)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		(void)mp_bin(&a[i], 1, WIRE_MAX_RECORD, &p, &len);
		memcpy(it->buf + off, p, len);
		it->off[i] = (uint32_t)off;
		it->len[i] = (uint32_t)len;
		off += len;
	}
	it->n = n;
	return 0;
}

int
wire_items_decode(const msgpack_object *o, uint32_t max, struct wire_items *it)
{
	const msgpack_object	*a;
	uint32_t		 n;

	if (mp_array(o, 0, max, &a, &n) == -1)
		return -1;
	return items_copy(a, n, it);
}

/*
 * wire_items_decode_in - the items of a document parsed in place
 * (mp_parse_in()) from base's size bytes, left where they are: it gets
 * their offsets in base, and it->buf stays NULL until the caller sets it
 * to base, handing base over (wire_items_release() then frees it).
 */
int
wire_items_decode_in(const msgpack_object *o, uint32_t max, uint8_t *base,
    size_t size, struct wire_items *it)
{
	const msgpack_object	*a;
	const uint8_t		*p;
	size_t			 len;
	uint32_t		 n;

	if (mp_array(o, 0, max, &a, &n) == -1 || size > UINT32_MAX)
		return -1;
	if (n > 0 && ((it->off = calloc(n, sizeof(*it->off))) == NULL ||
	    (it->len = calloc(n, sizeof(*it->len))) == NULL))
		goto fail;
	for (uint32_t i = 0; i < n; i++) {
		if (mp_bin(&a[i], 1, WIRE_MAX_RECORD, &p, &len) == -1 ||
		    p < base || len > size || (size_t)(p - base) > size - len)
			goto fail;
		it->off[i] = (uint32_t)(p - base);
		it->len[i] = (uint32_t)len;
	}
	it->n = n;
	return 0;
fail:
	wire_items_release(it);
	return -1;
}

static int
digest_decode(const msgpack_object *o, struct wire_msg *m)
{
	const msgpack_object	*a, *e;
	uint32_t		 n, ne;

	if (mp_array(o, 0, WIRE_MAX_DIGEST, &a, &n) == -1)
		return -1;
	if (n == 0)
		return 0;
	if ((m->digest = calloc(n, sizeof(*m->digest))) == NULL)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		if (mp_array(&a[i], 3, 3, &e, &ne) == -1 ||
		    mp_bin_exact(&e[0], m->digest[i].author, WIRE_KEY) == -1 ||
		    mp_u64(&e[1], UINT64_MAX, &m->digest[i].version) == -1 ||
		    mp_u64(&e[2], UINT64_MAX, &m->digest[i].sethash) == -1)
			return -1;
	}
	m->ndigest = n;
	return 0;
}

/*
 * wire_msg_decode - decode one message.  stream selects the set of types a
 * TCP frame may carry; a datagram may carry only types 1-5.
 */
int
wire_msg_decode(const uint8_t *p, size_t len, int stream, struct wire_msg *m)
{
	struct mp_doc		 d;
	const msgpack_object	*a;
	uint32_t		 n;
	uint64_t		 type;
	int			 rc = -1;

	memset(m, 0, sizeof(*m));
	if (len > (stream ? WIRE_MAX_FRAME : WIRE_MAX_DATAGRAM))
		return -1;
	if (mp_parse(&d, p, len) == -1)
		return -1;
	if (mp_array(&d.root, 1, 7, &a, &n) == -1 ||
	    mp_u64(&a[0], 255, &type) == -1)
		goto out;
	m->type = (uint8_t)type;
	if (!stream && type > MSG_GOSSIP)
		goto out;
	if (stream && type < MSG_SYNC_REQ)
		goto out;

	switch (m->type) {
	case MSG_PING:
	case MSG_ACK:
		if (n != 5 || mp_u32(&a[1], UINT32_MAX, &m->seq) == -1 ||
		    mp_u64(&a[2], UINT64_MAX, &m->hash) == -1 ||
		    mp_u64(&a[3], UINT64_MAX, &m->sum) == -1 ||
		    wire_items_decode(&a[4], 64, &m->items) == -1)
			goto out;
		break;
	case MSG_PINGREQ:
		if (n != 3 || mp_u32(&a[1], UINT32_MAX, &m->seq) == -1 ||
		    mp_bin_exact(&a[2], m->target, WIRE_KEY) == -1)
			goto out;
		break;
	case MSG_NACK:
	case MSG_TCP_PING:
	case MSG_TCP_ACK:
		if (n != 2 || mp_u32(&a[1], UINT32_MAX, &m->seq) == -1)
			goto out;
		break;
	case MSG_GOSSIP:
		if (n != 2 || wire_items_decode(&a[1], 64, &m->items) == -1)
			goto out;
		break;
	case MSG_RECORDS:
		if (n != 2 || wire_items_decode(&a[1], WIRE_MAX_ITEMS, &m->items) == -1)
			goto out;
		break;
	case MSG_SYNC_REQ:
	case MSG_SYNC_DIGEST:
		if (n != 2 || digest_decode(&a[1], m) == -1)
			goto out;
		break;
	case MSG_SYNC_DONE:
		if (n != 1)
			goto out;
		break;
	case MSG_JOIN_HELLO: {
		uint32_t	 ver;

		/*
		 * Any version decodes, so a member can tell a joiner of
		 * another version why it is refused, before its token is
		 * spent on an offer it could not read.
		 */
		if (n != 7 || mp_u32(&a[1], 255, &ver) == -1 || ver == 0 ||
		    mp_bin_exact(&a[2], m->mesh_id, WIRE_MESH_ID) == -1 ||
		    mp_bin_exact(&a[3], m->joiner, WIRE_KEY) == -1 ||
		    mp_str_copy(&a[4], m->name, sizeof(m->name)) == -1 ||
		    !wire_name_ok(m->name) ||
		    mp_bin_exact(&a[5], m->token_pub, WIRE_KEY) == -1 ||
		    mp_bin_exact(&a[6], m->token_sig, WIRE_SIG) == -1)
			goto out;
		m->version = (uint8_t)ver;
		break;
	}
	case MSG_JOIN_OFFER:
		if (n != 4 || mp_bin_exact(&a[1], m->root, WIRE_KEY) == -1 ||
		    items_copy(&a[2], 1, &m->items) == -1 ||
		    wire_chain_decode(&a[3], m->chain, &m->nchain) == -1)
			goto out;
		break;
	case MSG_JOIN_RECORD:
		if (n != 2 || items_copy(&a[1], 1, &m->items) == -1)
			goto out;
		break;
	case MSG_JOIN_RESERVE:
		if (n != 4 || mp_bin_exact(&a[1], m->token_pub, WIRE_KEY) == -1 ||
		    mp_bin_exact(&a[2], m->joiner, WIRE_KEY) == -1 ||
		    mp_bin_exact(&a[3], m->token_sig, WIRE_SIG) == -1)
			goto out;
		break;
	case MSG_SVC_REQ: {
		const msgpack_object	*f;
		uint32_t		 op, nf;

		if (n < 4 || n > 7 || mp_u32(&a[1], 2, &op) == -1 ||
		    op == 0 ||
		    mp_str_copy(&a[2], m->svc.name, sizeof(m->svc.name)) == -1 ||
		    !wire_name_ok(m->svc.name))
			goto out;
		m->op = (uint8_t)op;
		if (op == 1 && (mp_array(&a[3], 5, 5, &f, &nf) == -1 ||
		    svc_fields_decode(f, nf, &m->svc) == -1))
			goto out;
		if (op == 2 && !mp_is_nil(&a[3]))
			goto out;
		if (n == 5) {
			uint32_t	 fl;

			if (mp_u32(&a[4], 1, &fl) == -1)
				goto out;
			m->force = (uint8_t)fl;
		}
		if (n >= 6) {
			const uint8_t	*op_p;
			size_t		 op_n;

			if (mp_bin(&a[5], 1, WIRE_MAX_ORDER, &op_p, &op_n) == -1)
				goto out;
			memcpy(m->order, op_p, op_n);
			m->orderlen = (uint32_t)op_n;
		}
		if (n == 7) {
			const uint8_t	*g_p;
			size_t		 g_n;

			if (mp_bin(&a[6], 1, WIRE_MAX_ORDER, &g_p, &g_n) == -1)
				goto out;
			memcpy(m->grant, g_p, g_n);
			m->grantlen = (uint32_t)g_n;
		}
		break;
	}
	case MSG_SVC_RESP:
	case MSG_JOIN_RESERVED:
	case MSG_ERROR:
		if (n != 3 || mp_u32(&a[1], UINT32_MAX, &m->code) == -1 ||
		    mp_str_copy(&a[2], m->errmsg, sizeof(m->errmsg)) == -1)
			goto out;
		for (char *c = m->errmsg; *c; c++)	/* printable only */
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = '?';
		break;
	default:
		goto out;
	}
	rc = 0;
out:
	mp_doc_release(&d);
	if (rc == -1)
		wire_msg_release(m);
	return rc;
}

void
wire_items_encode(msgpack_packer *pk, const uint8_t *const *authors,
    const uint8_t *const *items, const size_t *lens, uint32_t n)
{
	static const uint8_t	 magic = ENV_MAGIC;

	msgpack_pack_array(pk, n);
	for (uint32_t i = 0; i < n; i++) {
		if (authors == NULL || authors[i] == NULL) {
			msgpack_pack_bin_with_body(pk, items[i], lens[i]);
			continue;
		}
		msgpack_pack_bin(pk, lens[i]);
		msgpack_pack_bin_body(pk, &magic, 1);
		msgpack_pack_bin_body(pk, authors[i], WIRE_KEY);
		msgpack_pack_bin_body(pk, items[i], lens[i] - 1 - WIRE_KEY);
	}
}

int
wire_probe_encode(struct buf *b, uint8_t type, uint32_t seq, uint64_t hash,
    uint64_t sum, const uint8_t *const *items, const size_t *lens, uint32_t n)
{
	msgpack_packer	 pk;

	mp_packer_init(&pk, b);
	msgpack_pack_array(&pk, 5);
	msgpack_pack_uint8(&pk, type);
	msgpack_pack_uint32(&pk, seq);
	msgpack_pack_uint64(&pk, hash);
	msgpack_pack_uint64(&pk, sum);
	wire_items_encode(&pk, NULL, items, lens, n);
	return b->err ? -1 : 0;
}

int
wire_pingreq_encode(struct buf *b, uint32_t seq, const uint8_t target[WIRE_KEY])
{
	msgpack_packer	 pk;

	mp_packer_init(&pk, b);
	msgpack_pack_array(&pk, 3);
	msgpack_pack_uint8(&pk, MSG_PINGREQ);
	msgpack_pack_uint32(&pk, seq);
	msgpack_pack_bin_with_body(&pk, target, WIRE_KEY);
	return b->err ? -1 : 0;
}

int
wire_seq_encode(struct buf *b, uint8_t type, uint32_t seq)
{
	msgpack_packer	 pk;

	mp_packer_init(&pk, b);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_uint8(&pk, type);
	msgpack_pack_uint32(&pk, seq);
	return b->err ? -1 : 0;
}

int
wire_items_msg_encode(struct buf *b, uint8_t type,
    const uint8_t *const *authors, const uint8_t *const *items,
    const size_t *lens, uint32_t n)
{
	msgpack_packer	 pk;

	mp_packer_init(&pk, b);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_uint8(&pk, type);
	wire_items_encode(&pk, authors, items, lens, n);
	return b->err ? -1 : 0;
}

int
wire_digest_encode(struct buf *b, uint8_t type, const struct wire_digest_ent *e,
    uint32_t n)
{
	msgpack_packer	 pk;

	mp_packer_init(&pk, b);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_uint8(&pk, type);
	msgpack_pack_array(&pk, n);
	for (uint32_t i = 0; i < n; i++) {
		msgpack_pack_array(&pk, 3);
		msgpack_pack_bin_with_body(&pk, e[i].author, WIRE_KEY);
		msgpack_pack_uint64(&pk, e[i].version);
		msgpack_pack_uint64(&pk, e[i].sethash);
	}
	return b->err ? -1 : 0;
}

int
wire_done_encode(struct buf *b)
{
	msgpack_packer	 pk;

	mp_packer_init(&pk, b);
	msgpack_pack_array(&pk, 1);
	msgpack_pack_uint8(&pk, MSG_SYNC_DONE);
	return b->err ? -1 : 0;
}

int
wire_hello_encode(struct buf *b, const uint8_t mesh_id[WIRE_MESH_ID],
    const uint8_t joiner[WIRE_KEY], const char *name,
    const uint8_t token_pub[WIRE_KEY], const uint8_t token_sig[WIRE_SIG])
{
	msgpack_packer	 pk;

	if (!wire_name_ok(name))
		return -1;
	mp_packer_init(&pk, b);
	msgpack_pack_array(&pk, 7);
	msgpack_pack_uint8(&pk, MSG_JOIN_HELLO);
	msgpack_pack_uint8(&pk, WIRE_VERSION);
	msgpack_pack_bin_with_body(&pk, mesh_id, WIRE_MESH_ID);
	msgpack_pack_bin_with_body(&pk, joiner, WIRE_KEY);
	msgpack_pack_str_with_body(&pk, name, strlen(name));
	msgpack_pack_bin_with_body(&pk, token_pub, WIRE_KEY);
	msgpack_pack_bin_with_body(&pk, token_sig, WIRE_SIG);
	return b->err ? -1 : 0;
}

int
wire_offer_encode(struct buf *b, const uint8_t root[WIRE_KEY],
    const uint8_t *record, size_t reclen, const struct wire_cert *chain,
    uint8_t nchain)
{
	msgpack_packer	 pk;

	if (nchain < 1 || nchain > WIRE_MAX_CHAIN)
		return -1;
	mp_packer_init(&pk, b);
	msgpack_pack_array(&pk, 4);
	msgpack_pack_uint8(&pk, MSG_JOIN_OFFER);
	msgpack_pack_bin_with_body(&pk, root, WIRE_KEY);
	msgpack_pack_bin_with_body(&pk, record, reclen);
	msgpack_pack_array(&pk, nchain);
	for (int i = 0; i < nchain; i++)
		wire_cert_encode(&pk, &chain[i]);
	return b->err ? -1 : 0;
}

int
wire_record_encode(struct buf *b, uint8_t type, const uint8_t *rec, size_t len)
{
	msgpack_packer	 pk;

	mp_packer_init(&pk, b);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_uint8(&pk, type);
	msgpack_pack_bin_with_body(&pk, rec, len);
	return b->err ? -1 : 0;
}

/*
 * [SVC_REQ, op, name, fields or nil, flags(, order(, grant))]: flags bit 0
 * is --force; order, an operator's signed order (oprec.h), when there is
 * one; grant, the operator's grant of the name that the order relies on,
 * so that the owner need not wait for gossip to bring it.
 */
int
wire_svc_req_encode(struct buf *b, uint8_t op, const struct rec_service *s,
    int force, const uint8_t *order, size_t orderlen, const uint8_t *grant,
    size_t grantlen)
{
	msgpack_packer	 pk;

	if (!wire_name_ok(s->name) || (op != 1 && op != 2) ||
	    orderlen > WIRE_MAX_ORDER || grantlen > WIRE_MAX_ORDER ||
	    (grantlen > 0 && orderlen == 0))
		return -1;
	mp_packer_init(&pk, b);
	msgpack_pack_array(&pk, grantlen > 0 ? 7 : orderlen > 0 ? 6 : 5);
	msgpack_pack_uint8(&pk, MSG_SVC_REQ);
	msgpack_pack_uint8(&pk, op);
	mp_pack_str(&pk, s->name);
	if (op == 1) {
		msgpack_pack_array(&pk, 5);
		svc_fields_encode(&pk, s);
	} else
		msgpack_pack_nil(&pk);
	msgpack_pack_uint8(&pk, force ? 1 : 0);
	if (orderlen > 0)
		msgpack_pack_bin_with_body(&pk, order, orderlen);
	if (grantlen > 0)
		msgpack_pack_bin_with_body(&pk, grant, grantlen);
	return b->err ? -1 : 0;
}

static int
code_msg_encode(struct buf *b, uint8_t type, uint32_t code, const char *msg)
{
	msgpack_packer	 pk;
	size_t		 n = strlen(msg);

	if (n > WIRE_MAX_ERRMSG)
		n = WIRE_MAX_ERRMSG;
	mp_packer_init(&pk, b);
	msgpack_pack_array(&pk, 3);
	msgpack_pack_uint8(&pk, type);
	msgpack_pack_uint32(&pk, code);
	msgpack_pack_str_with_body(&pk, msg, n);
	return b->err ? -1 : 0;
}

int
wire_svc_resp_encode(struct buf *b, uint32_t code, const char *msg)
{
	return code_msg_encode(b, MSG_SVC_RESP, code, msg);
}

/* [JOIN_RESERVE, token public key, joiner id, the joiner's proof] */
int
wire_reserve_encode(struct buf *b, const uint8_t token_pub[WIRE_KEY],
    const uint8_t joiner[WIRE_KEY], const uint8_t token_sig[WIRE_SIG])
{
	msgpack_packer	 pk;

	mp_packer_init(&pk, b);
	msgpack_pack_array(&pk, 4);
	msgpack_pack_uint8(&pk, MSG_JOIN_RESERVE);
	msgpack_pack_bin_with_body(&pk, token_pub, WIRE_KEY);
	msgpack_pack_bin_with_body(&pk, joiner, WIRE_KEY);
	msgpack_pack_bin_with_body(&pk, token_sig, WIRE_SIG);
	return b->err ? -1 : 0;
}

int
wire_reserved_encode(struct buf *b, uint32_t code, const char *msg)
{
	return code_msg_encode(b, MSG_JOIN_RESERVED, code, msg);
}

int
wire_error_encode(struct buf *b, uint32_t code, const char *msg)
{
	return code_msg_encode(b, MSG_ERROR, code, msg);
}

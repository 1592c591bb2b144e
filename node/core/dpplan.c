/*
 * dpplan.c: the pure part of the data plane: requests applied to the mirror
 * of installed state become element changes, O(changes) per request, never a
 * listing of the kernel's tables.  Unit-tested without a kernel.
 */
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "node/core/array.h"
#include "node/core/dataplane.h"

const char *const dp_set_names[DS_NUM] = {
	"svc4", "svc4lb", "public", "allow4", "members4", "lans4",
};

void
dp_mirror_init(struct dp_mirror *m)
{
	memset(m, 0, sizeof(*m));
	hmap_init(&m->svcidx);
	hmap_init(&m->memidx);
	hmap_init(&m->lanidx);
}

void
dp_mirror_release(struct dp_mirror *m)
{
	for (uint32_t i = 0; i < m->nsvcs; i++)
		free(m->svcs[i].ext);
	free(m->svcs);
	free(m->members);
	free(m->lans);
	free(m->lanivs);
	hmap_release(&m->svcidx);
	hmap_release(&m->memidx);
	hmap_release(&m->lanidx);
	memset(m, 0, sizeof(*m));
}

void
dp_mirror_clear(struct dp_mirror *m)
{
	dp_mirror_release(m);
	dp_mirror_init(m);
}

/*
 * dp_op_group - which request an element belongs to: the (proto, port)
 * key of its service (every service set's key starts with proto . port),
 * DP_GROUP_MEMBERS or DP_GROUP_LANS.  When the kernel refuses an element,
 * its whole group is held back and the others are programmed.
 */
uint32_t
dp_op_group(const struct dp_op *op)
{
	if (op->set == DS_MEMBERS4)
		return DP_GROUP_MEMBERS;
	if (op->set == DS_LANS4)
		return DP_GROUP_LANS;
	return (uint32_t)op->key[0] << 16 | (uint32_t)op->key[4] << 8 |
	    op->key[5];
}

/* dp_ops_without - drop every change of the given groups. */
int
dp_ops_without(struct dp_ops *o, const uint32_t *groups, uint32_t n)
{
	uint32_t	 k = 0;

	for (uint32_t i = 0; i < o->n; i++) {
		uint32_t	 g = dp_op_group(&o->v[i]);
		int		 drop = 0;

		for (uint32_t j = 0; j < n && !drop; j++)
			drop = groups[j] == g;
		if (!drop)
			o->v[k++] = o->v[i];
	}
	o->n = k;
	return 0;
}

void
dp_ops_reset(struct dp_ops *o)
{
	o->n = 0;
}

void
dp_ops_release(struct dp_ops *o)
{
	free(o->v);
	memset(o, 0, sizeof(*o));
}

static struct dp_op *
op_new(struct dp_ops *o, enum dp_set set, int del)
{
	struct dp_op	*op;

	if (array_reserve(&o->v, &o->cap, o->n + 1, sizeof(*op)) == -1)
		return NULL;
	op = &o->v[o->n++];
	memset(op, 0, sizeof(*op));
	op->set = (uint8_t)set;
	op->del = (uint8_t)del;
	return op;
}

/* Keys as the kernel stores them: each field in a 4-byte register. */
static void
key_port(uint8_t k[8], uint8_t proto, uint16_t port)
{
	memset(k, 0, 8);
	k[0] = proto;
	k[4] = (uint8_t)(port >> 8);
	k[5] = (uint8_t)port;
}

static void
data_backend(uint8_t d[8], const struct dp_backend *b)
{
	memset(d, 0, 8);
	memcpy(d, &b->addr, 4);
	d[4] = (uint8_t)(b->port >> 8);
	d[5] = (uint8_t)b->port;
}

static struct dp_range
prefix_range(const struct dp_prefix *p)
{
	uint32_t	 a, mask;
	struct dp_range	 r;

	memcpy(&a, &p->addr, 4);
	a = __builtin_bswap32(a);	/* network to host order */
	mask = p->len == 0 ? 0 : 0xffffffffu << (32 - p->len);
	r.lo = a & mask;
	r.hi = r.lo | ~mask;
	return r;
}

static int
range_cmp(const void *x, const void *y)
{
	const struct dp_range	*a = x, *b = y;

	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return a->hi < b->hi ? -1 : a->hi > b->hi;
}

/*
 * dp_merge - prefixes as the fewest ranges that cover them: overlapping
 * and adjacent ones merged, sorted.  The kernel's interval sets refuse
 * overlapping elements (EEXIST), so what reaches them is always merged.
 * out has room for n.  Returns the number of ranges.
 */
uint32_t
dp_merge(const struct dp_prefix *p, uint32_t n, struct dp_range *out)
{
	uint32_t	 k = 0;

	for (uint32_t i = 0; i < n; i++)
		out[i] = prefix_range(&p[i]);
	if (n > 1)
		qsort(out, n, sizeof(*out), range_cmp);
	for (uint32_t i = 0; i < n; i++) {
		if (k > 0 && (out[i].lo <= out[k - 1].hi ||
		    (out[k - 1].hi != UINT32_MAX &&
		    out[i].lo == out[k - 1].hi + 1))) {
			if (out[i].hi > out[k - 1].hi)
				out[k - 1].hi = out[i].hi;
			continue;
		}
		out[k++] = out[i];
	}
	return k;
}

static void
be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static int
emit_port(struct dp_ops *o, enum dp_set set, int del, uint8_t proto,
    uint16_t port)
{
	struct dp_op	*op = op_new(o, set, del);

	if (op == NULL)
		return -1;
	op->klen = 8;
	key_port(op->key, proto, port);
	return 0;
}

static int
emit_svc4(struct dp_ops *o, int del, const struct dp_svc *s)
{
	struct dp_op	*op = op_new(o, DS_SVC4, del);

	if (op == NULL)
		return -1;
	op->klen = 8;
	key_port(op->key, s->proto, s->port);
	op->dlen = 8;
	data_backend(op->data, &s->backends[0]);
	return 0;
}

static int
emit_lb(struct dp_ops *o, int del, const struct dp_svc *s, int bucket)
{
	struct dp_op	*op = op_new(o, DS_SVC4LB, del);
	uint32_t	 b = (uint32_t)bucket;

	if (op == NULL)
		return -1;
	op->klen = 12;
	key_port(op->key, s->proto, s->port);
	memcpy(op->key + 8, &b, 4);	/* numgen writes host order */
	op->dlen = 8;
	data_backend(op->data, &s->backends[bucket % s->nbackends]);
	return 0;
}

/* allow4: [proto . port . saddr] from start to an inclusive end. */
static int
emit_allow(struct dp_ops *o, int del, uint8_t proto, uint16_t port,
    struct dp_range r)
{
	struct dp_op	*op = op_new(o, DS_ALLOW4, del);

	if (op == NULL)
		return -1;
	op->klen = 12;
	key_port(op->key, proto, port);
	key_port(op->key_end, proto, port);
	be32(op->key + 8, r.lo);
	be32(op->key_end + 8, r.hi);
	return 0;
}

/*
 * lans4 is an interval set of one field (the kernel's rbtree): a range is a
 * start element and, unless it runs to the top, an end element one past
 * it, flagged as an end (what nft itself sends).
 */
static int
emit_lan(struct dp_ops *o, int del, struct dp_range r)
{
	struct dp_op	*op = op_new(o, DS_LANS4, del);

	if (op == NULL)
		return -1;
	op->klen = 4;
	be32(op->key, r.lo);
	if (r.hi == UINT32_MAX)
		return 0;
	if ((op = op_new(o, DS_LANS4, del)) == NULL)
		return -1;
	op->klen = 4;
	op->end = 1;
	be32(op->key, r.hi + 1);
	return 0;
}

static int
emit_member(struct dp_ops *o, int del, uint32_t addr)
{
	struct dp_op	*op = op_new(o, DS_MEMBERS4, del);

	if (op == NULL)
		return -1;
	op->klen = 4;
	memcpy(op->key, &addr, 4);
	return 0;
}

/*
 * Every element one service needs, added or deleted: its DNAT map entry (or
 * 16 buckets), and only when it has them, a public mark and allowed
 * prefixes.  A private service with one backend is a single element.
 */
static int
emit_svc(struct dp_ops *o, int del, const struct dp_svc *s)
{
	struct dp_range	 r[DP_MAX_ALLOW];
	uint32_t	 nr;

	if (s->nbackends == 0)
		return 0;
	if (s->public && emit_port(o, DS_PUBLIC, del, s->proto, s->port) == -1)
		return -1;
	nr = dp_merge(s->allow, s->nallow, r);
	for (uint32_t i = 0; i < nr; i++)
		if (emit_allow(o, del, s->proto, s->port, r[i]) == -1)
			return -1;
	if (s->nbackends == 1)
		return emit_svc4(o, del, s);
	for (int b = 0; b < DP_BUCKETS; b++)
		if (emit_lb(o, del, s, b) == -1)
			return -1;
	return 0;
}

int
dp_svc_valid(const struct dp_svc *s)
{
	if ((s->proto != 6 && s->proto != 17) || s->port == 0 ||
	    s->nbackends > DP_MAX_BACKENDS || s->nallow > DP_MAX_ALLOW ||
	    s->public > 1)
		return 0;
	for (int i = 0; i < s->nbackends; i++)
		if (s->backends[i].port == 0 || s->backends[i].addr == 0)
			return 0;
	for (int i = 0; i < s->nallow; i++)
		if (s->allow[i].len > 32)
			return 0;
	return 1;
}

int
dp_addr_valid(const struct dp_addr *a)
{
	return (a->op == 1 || a->op == 2) && a->p.len <= 32;
}

/*
 * dp_addr_unpack - the parent's decoder of a MEMBER (lan 0: one address,
 * len 32) or LAN (lan 1: a prefix) request: exact size, valid fields.
 */
int
dp_addr_unpack(const void *p, size_t len, int lan, struct dp_addr *a)
{
	if (len != sizeof(*a))
		return -1;
	memcpy(a, p, sizeof(*a));
	if (!dp_addr_valid(a) || (!lan && a->p.len != 32))
		return -1;
	return 0;
}

static uint64_t
svc_hash(uint8_t proto, uint16_t port)
{
	uint32_t	 k = (uint32_t)proto << 16 | port;

	return hmap_hash(&k, sizeof(k));
}

static uint64_t
svc_rehash(const void *ctx, uint32_t slot)
{
	const struct dp_mirror	*m = ctx;

	return svc_hash(m->svcs[slot].proto, m->svcs[slot].port);
}

struct svc_ctx {
	const struct dp_mirror	*m;
	uint8_t			 proto;
	uint16_t		 port;
};

static int
svc_eq(const void *ctx, uint32_t slot)
{
	const struct svc_ctx	*c = ctx;

	return c->m->svcs[slot].proto == c->proto &&
	    c->m->svcs[slot].port == c->port;
}

static uint32_t
svc_slot(const struct dp_mirror *m, uint8_t proto, uint16_t port)
{
	struct svc_ctx	 c = { m, proto, port };

	return hmap_find(&m->svcidx, svc_hash(proto, port), svc_eq, &c);
}

/* Expand an installed entry to a whole dp_svc. */
static void
entry_get(const struct dp_entry *e, struct dp_svc *s)
{
	const struct dp_backend	*bk = e->nbackends > 1 ? e->ext : &e->one;
	size_t			 off = e->nbackends > 1 ?
	    e->nbackends * sizeof(struct dp_backend) : 0;

	memset(s, 0, sizeof(*s));
	s->proto = e->proto;
	s->port = e->port;
	s->nbackends = e->nbackends;
	s->public = e->public;
	s->nallow = e->nallow;
	if (e->nbackends > 0)
		memcpy(s->backends, bk, e->nbackends * sizeof(*bk));
	if (e->nallow > 0)
		memcpy(s->allow, (const char *)e->ext + off,
		    e->nallow * sizeof(struct dp_prefix));
}

static int
entry_set(struct dp_entry *e, const struct dp_svc *s)
{
	size_t	 nb = s->nbackends > 1 ? s->nbackends : 0;
	void	*ext = NULL;

	if (nb > 0 || s->nallow > 0) {
		size_t	 len = nb * sizeof(struct dp_backend) +
		    s->nallow * sizeof(struct dp_prefix);

		if ((ext = malloc(len)) == NULL)
			return -1;
		if (nb > 0)
			memcpy(ext, s->backends, nb * sizeof(struct dp_backend));
		if (s->nallow > 0)
			memcpy((char *)ext + nb * sizeof(struct dp_backend),
			    s->allow, s->nallow * sizeof(struct dp_prefix));
	}
	free(e->ext);
	memset(e, 0, sizeof(*e));
	e->proto = s->proto;
	e->port = s->port;
	e->nbackends = s->nbackends;
	e->public = s->public;
	e->nallow = s->nallow;
	if (s->nbackends == 1)
		e->one = s->backends[0];
	e->ext = ext;
	return 0;
}

int
dp_mirror_svc(const struct dp_mirror *m, uint8_t proto, uint16_t port,
    struct dp_svc *out)
{
	uint32_t	 s = svc_slot(m, proto, port);

	if (s == HMAP_EMPTY)
		return -1;
	entry_get(&m->svcs[s], out);
	return 0;
}

size_t
dp_svc_pack(const struct dp_svc *s, uint8_t out[DP_SVC_MAXLEN])
{
	size_t	 len = DP_SVC_HEAD;

	memcpy(out, s, DP_SVC_HEAD);
	if (s->nbackends > 0)
		memcpy(out + len, s->backends,
		    s->nbackends * sizeof(struct dp_backend));
	len += s->nbackends * sizeof(struct dp_backend);
	if (s->nallow > 0)
		memcpy(out + len, s->allow, s->nallow * sizeof(struct dp_prefix));
	len += s->nallow * sizeof(struct dp_prefix);
	return len;
}

/*
 * dp_svc_unpack - the parent's decoder of a packed request: the length must
 * be exactly what the counts say, and every field within bounds.  Padding
 * is cleared so requests compare by value.
 */
int
dp_svc_unpack(const uint8_t *p, size_t len, struct dp_svc *s)
{
	size_t	 nb, na;

	memset(s, 0, sizeof(*s));
	if (len < DP_SVC_HEAD || len > DP_SVC_MAXLEN)
		return -1;
	memcpy(s, p, DP_SVC_HEAD);
	memset(s->pad, 0, sizeof(s->pad));
	nb = s->nbackends;
	na = s->nallow;
	if (nb > DP_MAX_BACKENDS || na > DP_MAX_ALLOW ||
	    len != DP_SVC_HEAD + nb * sizeof(struct dp_backend) +
	    na * sizeof(struct dp_prefix))
		return -1;
	if (nb > 0)
		memcpy(s->backends, p + DP_SVC_HEAD,
		    nb * sizeof(struct dp_backend));
	if (na > 0)
		memcpy(s->allow, p + DP_SVC_HEAD + nb * sizeof(struct dp_backend),
		    na * sizeof(struct dp_prefix));
	for (size_t i = 0; i < nb; i++)
		s->backends[i].pad = 0;
	for (size_t i = 0; i < na; i++)
		memset(s->allow[i].pad, 0, sizeof(s->allow[i].pad));
	return dp_svc_valid(s) ? 0 : -1;
}

/*
 * dp_svc_unpack_next - the first of several packed requests one after the
 * other (a PRIV_DP_SVC message carries up to DP_SVC_BATCH bytes of them):
 * its length from its counts, then dp_svc_unpack()'s checks.  *p and *len
 * move past it.  -1 when what is left is not a whole, valid request.
 */
_Static_assert(offsetof(struct dp_svc, nbackends) == 1 &&
    offsetof(struct dp_svc, nallow) == 5, "the counts' places in a packed request");

int
dp_svc_unpack_next(const uint8_t **p, size_t *len, struct dp_svc *s)
{
	size_t	 n;

	if (*len < DP_SVC_HEAD) {
		memset(s, 0, sizeof(*s));
		return -1;
	}
	/* the counts are bytes 1 (backends) and 5 (allowed prefixes) */
	n = DP_SVC_HEAD + (size_t)(*p)[1] * sizeof(struct dp_backend) +
	    (size_t)(*p)[5] * sizeof(struct dp_prefix);
	if (n > *len || dp_svc_unpack(*p, n, s) == -1)
		return -1;
	*p += n;
	*len -= n;
	return 0;
}

static int
same_backend(const struct dp_backend *a, const struct dp_backend *b)
{
	return a->addr == b->addr && a->port == b->port;
}

/*
 * dp_plan_svc - the changes from the installed state of one port to the
 * requested one, and the mirror updated as if they succeeded (the caller
 * does a full sync when the kernel says otherwise).  Unchanged elements are
 * left alone; a value change is a delete and an add in the same batch, as
 * kube-proxy does.  UDP backends that went away are reported in flush, so
 * their stale conntrack entries can be deleted after the commit.
 */
int
dp_plan_svc(struct dp_mirror *m, const struct dp_svc *want, struct dp_ops *o,
    struct dp_flush *flush, uint32_t *nflush, uint32_t maxflush)
{
	uint32_t		 slot = svc_slot(m, want->proto, want->port);
	struct dp_svc		 cur;
	const struct dp_svc	*old = &cur;

	if (slot == HMAP_EMPTY)
		memset(&cur, 0, sizeof(cur));
	else
		entry_get(&m->svcs[slot], &cur);
	if (want->proto == 17)
		for (int i = 0; i < old->nbackends; i++) {
			int	 kept = 0;

			for (int j = 0; j < want->nbackends; j++)
				kept |= same_backend(&old->backends[i],
				    &want->backends[j]);
			if (!kept && *nflush < maxflush) {
				flush[*nflush].proto = want->proto;
				flush[*nflush].port = want->port;
				flush[*nflush].backend_addr = old->backends[i].addr;
				flush[*nflush].backend_port = old->backends[i].port;
				(*nflush)++;
			}
		}
	if (memcmp(old, want, sizeof(*want)) != 0) {
		int	 same_shape = old->nbackends > 0 && want->nbackends > 0 &&
		    (old->nbackends == 1) == (want->nbackends == 1) &&
		    old->public == want->public && old->nallow == want->nallow &&
		    memcmp(old->allow, want->allow, sizeof(old->allow)) == 0;

		if (same_shape) {
			/* Only the backends moved: rewrite just the values. */
			if (want->nbackends == 1) {
				if (emit_svc4(o, 1, old) == -1 ||
				    emit_svc4(o, 0, want) == -1)
					return -1;
			} else
				for (int b = 0; b < DP_BUCKETS; b++) {
					if (same_backend(&old->backends[b %
					    old->nbackends], &want->backends[b %
					    want->nbackends]))
						continue;
					if (emit_lb(o, 1, old, b) == -1 ||
					    emit_lb(o, 0, want, b) == -1)
						return -1;
				}
		} else if (emit_svc(o, 1, old) == -1 || emit_svc(o, 0, want) == -1)
			return -1;
	}
	if (want->nbackends == 0) {
		if (slot != HMAP_EMPTY) {
			uint32_t	 last = m->nsvcs - 1;

			hmap_del(&m->svcidx, svc_hash(want->proto, want->port),
			    slot);
			free(m->svcs[slot].ext);
			if (slot != last) {
				hmap_set(&m->svcidx, svc_hash(m->svcs[last].proto,
				    m->svcs[last].port), last, slot);
				m->svcs[slot] = m->svcs[last];
			}
			m->nsvcs--;
		}
		return 0;
	}
	if (slot == HMAP_EMPTY) {
		if (array_reserve(&m->svcs, &m->capsvcs, m->nsvcs + 1,
		    sizeof(*m->svcs)) == -1)
			return -1;
		slot = m->nsvcs++;
		memset(&m->svcs[slot], 0, sizeof(m->svcs[slot]));
		if (hmap_put(&m->svcidx, svc_hash(want->proto, want->port),
		    slot, svc_rehash, m) == -1)
			return -1;
	}
	return entry_set(&m->svcs[slot], want);
}

static uint64_t
mem_rehash(const void *ctx, uint32_t slot)
{
	const struct dp_mirror	*m = ctx;

	return hmap_hash(&m->members[slot], 4);
}

static int
mem_eq(const void *ctx, uint32_t slot)
{
	const void *const	*c = ctx;
	const struct dp_mirror	*m = c[0];

	return memcmp(&m->members[slot], c[1], 4) == 0;
}

struct lan_ctx {
	const struct dp_mirror	*m;
	const struct dp_prefix	*p;
};

static int
lan_eq(const void *ctx, uint32_t slot)
{
	const struct lan_ctx	*c = ctx;

	return c->m->lans[slot].addr == c->p->addr &&
	    c->m->lans[slot].len == c->p->len;
}

static uint64_t
lan_hash(const struct dp_prefix *p)
{
	uint8_t	 k[5];

	memcpy(k, &p->addr, 4);
	k[4] = p->len;
	return hmap_hash(k, sizeof(k));
}

static uint64_t
lan_rehash(const void *ctx, uint32_t slot)
{
	const struct dp_mirror	*m = ctx;

	return lan_hash(&m->lans[slot]);
}

/*
 * A member site's LAN prefix added or removed: only the requested set
 * changes here; the kernel's merged ranges follow in dp_plan_lans(), once
 * per transaction, since one prefix can change how its neighbours merge.
 */
static int
plan_lan(struct dp_mirror *m, const struct dp_addr *a)
{
	struct lan_ctx	 c = { m, &a->p };
	struct dp_prefix p = a->p;
	uint64_t	 h;
	uint32_t	 slot;

	/* The host bits do not count: 100.64.1.7/24 is 100.64.1.0/24. */
	if (p.len < 32) {
		struct dp_range	 r = prefix_range(&p);

		p.addr = __builtin_bswap32(r.lo);
	}
	c.p = &p;
	h = lan_hash(&p);
	slot = hmap_find(&m->lanidx, h, lan_eq, &c);
	if (a->op == 1 && slot == HMAP_EMPTY) {
		if (array_reserve(&m->lans, &m->caplans, m->nlans + 1,
		    sizeof(*m->lans)) == -1 ||
		    hmap_put(&m->lanidx, h, m->nlans, lan_rehash, m) == -1)
			return -1;
		m->lans[m->nlans++] = p;
		m->lans_dirty = 1;
	} else if (a->op == 2 && slot != HMAP_EMPTY) {
		uint32_t	 last = m->nlans - 1;

		hmap_del(&m->lanidx, h, slot);
		if (slot != last) {
			hmap_set(&m->lanidx, lan_hash(&m->lans[last]), last, slot);
			m->lans[slot] = m->lans[last];
		}
		m->nlans--;
		m->lans_dirty = 1;
	}
	return 0;
}

/* The merged ranges of the requested LANs; NULL when out of memory. */
static struct dp_range *
lan_ranges(const struct dp_mirror *m, uint32_t *n)
{
	struct dp_range	*r = malloc((m->nlans + 1) * sizeof(*r));

	if (r != NULL)
		*n = dp_merge(m->lans, m->nlans, r);
	return r;
}

/*
 * dp_plan_lans - the kernel's lans4 ranges after this transaction's LAN
 * requests: ranges that stay are left alone, the others deleted and added.
 */
int
dp_plan_lans(struct dp_mirror *m, struct dp_ops *o)
{
	struct dp_range	*want;
	uint32_t	 n, i = 0, j = 0;

	if (!m->lans_dirty)
		return 0;
	if ((want = lan_ranges(m, &n)) == NULL)
		return -1;
	/* both sorted: deletes first, then adds, in one batch */
	for (int pass = 0; pass < 2; pass++) {
		i = j = 0;
		while (i < n || j < m->nlanivs) {
			int	 c = i == n ? 1 : j == m->nlanivs ? -1 :
			    range_cmp(&want[i], &m->lanivs[j]);

			if (c == 0) {
				i++;
				j++;
			} else if (c < 0) {
				if (pass == 1 && emit_lan(o, 0, want[i]) == -1)
					goto fail;
				i++;
			} else {
				if (pass == 0 && emit_lan(o, 1, m->lanivs[j]) == -1)
					goto fail;
				j++;
			}
		}
	}
	free(m->lanivs);
	m->lanivs = want;
	m->nlanivs = n;
	m->caplanivs = m->nlans + 1;
	m->lans_dirty = 0;
	return 0;
fail:
	free(want);
	return -1;
}

/* A member's address: one element of members4, added or deleted. */
static int
plan_member(struct dp_mirror *m, const struct dp_addr *a, struct dp_ops *o)
{
	uint64_t	 h = hmap_hash(&a->p.addr, 4);
	const void	*ctx[2] = { m, &a->p.addr };
	uint32_t	 slot = hmap_find(&m->memidx, h, mem_eq, ctx);

	if (a->op == 1 && slot == HMAP_EMPTY) {
		if (array_reserve(&m->members, &m->capmembers, m->nmembers + 1,
		    sizeof(*m->members)) == -1 ||
		    hmap_put(&m->memidx, h, m->nmembers, mem_rehash, m) == -1)
			return -1;
		m->members[m->nmembers++] = a->p.addr;
		return emit_member(o, 0, a->p.addr);
	}
	if (a->op == 2 && slot != HMAP_EMPTY) {
		uint32_t	 last = m->nmembers - 1;

		hmap_del(&m->memidx, h, slot);
		if (slot != last) {
			hmap_set(&m->memidx, hmap_hash(&m->members[last], 4),
			    last, slot);
			m->members[slot] = m->members[last];
		}
		m->nmembers--;
		return emit_member(o, 1, a->p.addr);
	}
	return 0;
}

int
dp_plan_addr(struct dp_mirror *m, uint8_t lan, const struct dp_addr *a,
    struct dp_ops *o)
{
	return lan ? plan_lan(m, a) : plan_member(m, a, o);
}

/*
 * dp_plan_all - every element of the mirror, for a full sync into a fresh
 * table; the LAN ranges are merged afresh and become the installed ones.
 */
int
dp_plan_all(struct dp_mirror *m, struct dp_ops *o)
{
	struct dp_svc	 s;
	struct dp_range	*r;
	uint32_t	 n;

	for (uint32_t i = 0; i < m->nsvcs; i++) {
		entry_get(&m->svcs[i], &s);
		if (emit_svc(o, 0, &s) == -1)
			return -1;
	}
	for (uint32_t i = 0; i < m->nmembers; i++)
		if (emit_member(o, 0, m->members[i]) == -1)
			return -1;
	if ((r = lan_ranges(m, &n)) == NULL)
		return -1;
	for (uint32_t i = 0; i < n; i++)
		if (emit_lan(o, 0, r[i]) == -1) {
			free(r);
			return -1;
		}
	free(m->lanivs);
	m->lanivs = r;
	m->nlanivs = n;
	m->caplanivs = m->nlans + 1;
	m->lans_dirty = 0;
	return 0;
}

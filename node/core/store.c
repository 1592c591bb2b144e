/* store.c: record store with per-author digests, set hashes and tombstone floors. */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "node/core/array.h"
#include "node/core/store.h"

_Static_assert(WIRE_MAX_RECORD <= UINT16_MAX, "struct rec's envlen is 16 bits");
_Static_assert(REC_F_DELETED <= UINT16_MAX, "struct rec's flags are 16 bits");

void
store_init(struct store *st)
{
	memset(st, 0, sizeof(*st));
	st->free_head = UINT32_MAX;
	hmap_init(&st->ridx);
	hmap_init(&st->aidx);
}

void
store_release(struct store *st)
{
	for (uint32_t i = 0; i < st->nslots; i++)
		free(st->recs[i].sealed);
	free(st->recs);
	for (uint32_t i = 0; i < st->nauth; i++)
		free(st->auth[i]);
	free(st->auth);
	hmap_release(&st->ridx);
	hmap_release(&st->aidx);
	memset(st, 0, sizeof(*st));
}

static uint64_t	rkey_rehash(const void *, uint32_t);

/*
 * store_reserve - room for n records, taken at once: a restart restores
 * 100,000 of them, and growing the array and its index step by step
 * would leave each step's freed array behind in the heap.
 */
int
store_reserve(struct store *st, uint32_t n)
{
	if (array_reserve(&st->recs, &st->cap, n, sizeof(*st->recs)) == -1)
		return -1;
	return hmap_reserve(&st->ridx, n, rkey_rehash, st);
}

/* Hashes compared between nodes must not depend on a per-process key. */
static uint64_t
h64(const void *a, size_t na, const void *b, size_t nb, uint64_t c)
{
	crypto_generichash_state	 s;
	uint8_t				 out[8];
	uint64_t			 v = 0;

	crypto_generichash_init(&s, NULL, 0, sizeof(out));
	crypto_generichash_update(&s, a, na);
	crypto_generichash_update(&s, b, nb);
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(c >> (56 - 8 * i));
	crypto_generichash_update(&s, out, 8);
	crypto_generichash_final(&s, out, sizeof(out));
	for (int i = 0; i < 8; i++)
		v = v << 8 | out[i];
	return v;
}

static uint64_t
rec_sethash(uint8_t kind, const uint8_t *key, size_t keylen, uint64_t version)
{
	return h64(&kind, 1, key, keylen, version);
}

static uint64_t
author_term(const struct author *a)
{
	uint8_t	 sh[8];

	for (int i = 0; i < 8; i++)
		sh[i] = (uint8_t)(a->sethash >> (56 - 8 * i));
	return h64(a->id, WIRE_KEY, sh, 8, a->maxver);
}

struct rkey {
	const uint8_t	*author;
	uint8_t		 kind;
	const uint8_t	*key;
	size_t		 keylen;
	const struct store *st;
};

static uint64_t
rkey_hash(const uint8_t author[WIRE_KEY], uint8_t kind, const uint8_t *key,
    size_t keylen)
{
	uint8_t	 tmp[WIRE_KEY + 1 + WIRE_MAX_RECKEY];

	memcpy(tmp, author, WIRE_KEY);
	tmp[WIRE_KEY] = kind;
	if (keylen > 0)
		memcpy(tmp + WIRE_KEY + 1, key, keylen);
	return hmap_hash(tmp, WIRE_KEY + 1 + keylen);
}

static int
rkey_eq(const void *ctx, uint32_t slot)
{
	const struct rkey	*k = ctx;
	const struct rec	*r = &k->st->recs[slot];

	return r->kind == k->kind && r->keylen == k->keylen &&
	    memcmp(r->author, k->author, WIRE_KEY) == 0 &&
	    (k->keylen == 0 || memcmp(rec_key(r), k->key, k->keylen) == 0);
}

struct akey {
	const uint8_t		*id;
	const struct store	*st;
};

static int
akey_eq(const void *ctx, uint32_t slot)
{
	const struct akey	*k = ctx;

	return memcmp(k->st->auth[slot]->id, k->id, WIRE_KEY) == 0;
}

/* The rehash functions give the hash a value was put with: the indexes grow. */
static uint64_t
akey_rehash(const void *ctx, uint32_t slot)
{
	const struct store	*st = ctx;

	return hmap_hash(st->auth[slot]->id, WIRE_KEY);
}

static uint64_t
rkey_rehash(const void *ctx, uint32_t slot)
{
	const struct rec	*r = &((const struct store *)ctx)->recs[slot];

	return rkey_hash(r->author, r->kind, rec_key(r), r->keylen);
}

static uint32_t
author_slot(const struct store *st, const uint8_t id[WIRE_KEY])
{
	struct akey	 k = { id, st };

	return hmap_find(&st->aidx, hmap_hash(id, WIRE_KEY), akey_eq, &k);
}

const struct author *
store_author(const struct store *st, const uint8_t id[WIRE_KEY])
{
	uint32_t	 s = author_slot(st, id);

	return s == HMAP_EMPTY ? NULL : st->auth[s];
}

static uint32_t
rec_slot(const struct store *st, const uint8_t author[WIRE_KEY], uint8_t kind,
    const uint8_t *key, size_t keylen)
{
	static const uint8_t	 empty[1];
	struct rkey		 k;

	if (key == NULL)	/* node records have an empty key */
		key = empty;
	k = (struct rkey){ author, kind, key, keylen, st };

	return hmap_find(&st->ridx, rkey_hash(author, kind, key, keylen),
	    rkey_eq, &k);
}

const struct rec *
store_get(const struct store *st, const uint8_t author[WIRE_KEY], uint8_t kind,
    const uint8_t *key, size_t keylen)
{
	uint32_t	 s = rec_slot(st, author, kind, key, keylen);

	return s == HMAP_EMPTY ? NULL : &st->recs[s];
}

/* store_is_newer - would store_put() keep this record?  Lets callers skip costly checks. */
int
store_is_newer(const struct store *st, const uint8_t author[WIRE_KEY],
    const struct rec_head *h)
{
	const struct rec	*r = store_get(st, author, h->kind, h->key,
	    h->keylen);
	const struct author	*a;

	if (r != NULL)
		return h->version > r->version;
	a = store_author(st, author);
	return a == NULL || h->version >= a->floor;
}

/*
 * An author contributes to the summary only while it holds records, so a
 * node that collected an author's last tombstone agrees with one that never
 * heard of the author.
 */
static void
summary_out(struct store *st, const struct author *a)
{
	if (a->nrecs) {
		st->hash ^= a->term;
		st->sum -= a->maxver;
	}
}

/* (the term is kept: taking it out again costs no hash) */
static void
summary_in(struct store *st, struct author *a)
{
	if (a->nrecs) {
		a->term = author_term(a);
		st->hash ^= a->term;
		st->sum += a->maxver;
	}
}

static uint32_t
author_get_or_add(struct store *st, const uint8_t id[WIRE_KEY])
{
	uint32_t	 s = author_slot(st, id);
	struct author	*a;

	if (s != HMAP_EMPTY)
		return s;
	if (array_reserve(&st->auth, &st->capauth, st->nauth + 1,
	    sizeof(*st->auth)) == -1 || (a = calloc(1, sizeof(*a))) == NULL)
		return HMAP_EMPTY;
	s = st->nauth;
	if (hmap_put(&st->aidx, hmap_hash(id, WIRE_KEY), s, akey_rehash,
	    st) == -1) {
		free(a);
		return HMAP_EMPTY;
	}
	st->auth[st->nauth++] = a;
	memcpy(a->id, id, WIRE_KEY);
	a->head = UINT32_MAX;
	return s;
}

static void
author_drop(struct store *st, uint32_t s)
{
	uint32_t	 last = st->nauth - 1;

	summary_out(st, st->auth[s]);
	hmap_del(&st->aidx, hmap_hash(st->auth[s]->id, WIRE_KEY), s);
	free(st->auth[s]);
	if (s != last) {
		hmap_set(&st->aidx, hmap_hash(st->auth[last]->id, WIRE_KEY),
		    last, s);
		st->auth[s] = st->auth[last];
	}
	st->nauth--;
}

static uint32_t
slot_alloc(struct store *st)
{
	uint32_t	 s;

	if (st->free_head != UINT32_MAX) {
		s = st->free_head;
		st->free_head = st->recs[s].anext;
		return s;
	}
	if (array_reserve(&st->recs, &st->cap, st->nslots + 1,
	    sizeof(*st->recs)) == -1)
		return UINT32_MAX;
	return st->nslots++;
}

static void
slot_free(struct store *st, uint32_t s)
{
	free(st->recs[s].sealed);
	st->recs[s].sealed = NULL;
	st->recs[s].anext = st->free_head;
	st->free_head = s;
}

int
store_put(struct store *st, const uint8_t author[WIRE_KEY],
    const struct rec_head *h, const uint8_t *env, size_t envlen,
    uint64_t now_ms)
{
	uint32_t	 s, as;
	struct rec	*r;
	struct author	*a;
	uint8_t		*copy;
	const uint8_t	*in;
	size_t		 n;
	uint16_t	 keyoff = REC_KEY_AFTER;

	/* (env_open() refuses them first: a record's length is 16 bits.) */
	if (envlen > WIRE_MAX_RECORD || envlen < ENV_HDR ||
	    env[0] != ENV_MAGIC || memcmp(env + 1, author, WIRE_KEY) != 0)
		return STORE_NOMEM;
	if (!store_is_newer(st, author, h))
		return STORE_STALE;
	/* What is kept: the envelope after its author (struct rec). */
	env += REC_UNSTORED;
	n = envlen - REC_UNSTORED;
	/* 8 to 16 bytes a record less (1 MiB at 100,000 services). */
	if (h->keylen > 0 && (in = memmem(env, n < REC_KEY_AFTER ?
	    n : REC_KEY_AFTER, h->key, h->keylen)) != NULL)
		keyoff = (uint16_t)(in - env);
	if ((copy = malloc(n + (keyoff == REC_KEY_AFTER ?
	    h->keylen : 0))) == NULL)
		return STORE_NOMEM;
	memcpy(copy, env, n);
	if (keyoff == REC_KEY_AFTER && h->keylen > 0)
		memcpy(copy + n, h->key, h->keylen);
	if ((as = author_get_or_add(st, author)) == HMAP_EMPTY) {
		free(copy);
		return STORE_NOMEM;
	}
	a = st->auth[as];
	summary_out(st, a);

	s = rec_slot(st, author, h->kind, h->key, h->keylen);
	if (s != HMAP_EMPTY) {
		r = &st->recs[s];
		a->sethash ^= rec_sethash(r->kind, rec_key(r), r->keylen,
		    r->version);
		free(r->sealed);
	} else {
		if ((s = slot_alloc(st)) == UINT32_MAX ||
		    hmap_put(&st->ridx, rkey_hash(author, h->kind, h->key,
		    h->keylen), s, rkey_rehash, st) == -1) {
			if (s != UINT32_MAX)
				slot_free(st, s);
			free(copy);
			summary_in(st, a);	/* as it was */
			return STORE_NOMEM;
		}
		r = &st->recs[s];
		r->author = a->id;
		r->kind = h->kind;
		r->keylen = h->keylen;
		r->aprev = UINT32_MAX;
		r->anext = a->head;
		if (a->head != UINT32_MAX)
			st->recs[a->head].aprev = s;
		a->head = s;
		a->nrecs++;
		st->live++;
		r->flags = 0;
	}
	st->tombstones -= (r->flags & REC_F_DELETED) != 0;
	st->tombstones += (h->flags & REC_F_DELETED) != 0;
	/* A newer version of a record may still be below the floor. */
	if ((h->flags & REC_F_DELETED) && h->version < a->floor)
		st->gc_due = 1;
	r->flags = (uint16_t)h->flags;
	r->version = h->version;
	r->since_ms = now_ms;
	r->sealed = copy;
	r->envlen = (uint16_t)envlen;
	r->keyoff = keyoff;
	a->sethash ^= rec_sethash(r->kind, rec_key(r), r->keylen, r->version);
	if (h->version > a->maxver)
		a->maxver = h->version;
	summary_in(st, a);
	return STORE_NEW;
}

static void
rec_remove(struct store *st, uint32_t s, struct author *a)
{
	struct rec	*r = &st->recs[s];

	hmap_del(&st->ridx, rkey_hash(r->author, r->kind, rec_key(r), r->keylen),
	    s);
	if (r->aprev != UINT32_MAX)
		st->recs[r->aprev].anext = r->anext;
	else
		a->head = r->anext;
	if (r->anext != UINT32_MAX)
		st->recs[r->anext].aprev = r->aprev;
	a->sethash ^= rec_sethash(r->kind, rec_key(r), r->keylen, r->version);
	a->nrecs--;
	st->live--;
	st->tombstones -= (r->flags & REC_F_DELETED) != 0;
	slot_free(st, s);
}

void
store_remove_author(struct store *st, const uint8_t author[WIRE_KEY])
{
	uint32_t	 as = author_slot(st, author);

	if (as == HMAP_EMPTY)
		return;
	summary_out(st, st->auth[as]);
	while (st->auth[as]->head != UINT32_MAX)
		rec_remove(st, st->auth[as]->head, st->auth[as]);
	author_drop(st, as);	/* no records left: no summary term */
}

/*
 * store_set_floor - the author says (in its signed node record) that its
 * records below floor are void: it has published every live one again
 * above it.  A copy below it is refused from now on, so its tombstones
 * there can go (store_gc).  The floor lives in the node record, so it
 * survives restarts and reaches nodes that join later.
 */
void
store_set_floor(struct store *st, const uint8_t author[WIRE_KEY],
    uint64_t floor)
{
	uint32_t	 as = author_slot(st, author);

	if (as != HMAP_EMPTY && floor > st->auth[as]->floor) {
		st->auth[as]->floor = floor;
		st->gc_due = 1;
	}
}

/*
 * store_gc - forget tombstones below their author's floor: no copy of the
 * record they deleted can come back (store_is_newer refuses it).  Live
 * records below the floor are left to be replaced by their copies above
 * it, which are on their way.  Only a raised floor or a tombstone stored
 * below one (gc_due) gives it work: otherwise it does not walk the store.
 */
size_t
store_gc(struct store *st)
{
	size_t	 n = 0;

	if (!st->gc_due)
		return 0;
	st->gc_due = 0;
	for (uint32_t i = 0; i < st->nslots; i++) {
		struct rec	*r = &st->recs[i];
		struct author	*a;
		uint32_t	 as;

		if (r->sealed == NULL || !(r->flags & REC_F_DELETED))
			continue;
		as = author_slot(st, r->author);
		a = st->auth[as];
		if (r->version >= a->floor)
			continue;
		summary_out(st, a);
		rec_remove(st, i, a);
		summary_in(st, a);
		n++;
	}
	return n;
}

uint32_t
store_digest(const struct store *st, struct wire_digest_ent *out, uint32_t max)
{
	uint32_t	 n = 0;

	for (uint32_t i = 0; i < st->nauth && n < max; i++) {
		if (st->auth[i]->nrecs == 0)
			continue;
		memcpy(out[n].author, st->auth[i]->id, WIRE_KEY);
		out[n].version = st->auth[i]->maxver;
		out[n].sethash = st->auth[i]->sethash;
		n++;
	}
	return n;
}

struct peerkey {
	const struct wire_digest_ent	*ents;
	const uint8_t			*id;
};

static int
peer_eq(const void *ctx, uint32_t i)
{
	const struct peerkey	*k = ctx;

	return memcmp(k->ents[i].author, k->id, WIRE_KEY) == 0;
}

static uint64_t
peer_rehash(const void *ctx, uint32_t i)
{
	const struct wire_digest_ent	*ents = ctx;

	return hmap_hash(ents[i].author, WIRE_KEY);
}

/*
 * store_delta - call cb for every record the peer lacks according to its
 * digest: authors it does not know, versions above its newest, and, when
 * the newest versions agree but the set hashes do not (a record arrived out
 * of order somewhere), every record of that author.
 */
int
store_delta(const struct store *st, const struct wire_digest_ent *peer,
    uint32_t npeer, store_cb cb, void *ctx)
{
	struct hmap	 idx;
	int		 rc = 0;

	hmap_init(&idx);
	for (uint32_t i = 0; i < npeer; i++)
		if (hmap_put(&idx, hmap_hash(peer[i].author, WIRE_KEY), i,
		    peer_rehash, peer) == -1) {
			hmap_release(&idx);
			return -1;
		}
	for (uint32_t i = 0; i < st->nslots && rc == 0; i++) {
		const struct rec	*r = &st->recs[i];
		const struct author	*a;
		struct peerkey		 k;
		uint32_t		 pi;
		int			 send;

		if (r->sealed == NULL)
			continue;
		k.ents = peer;
		k.id = r->author;
		pi = hmap_find(&idx, hmap_hash(r->author, WIRE_KEY), peer_eq,
		    &k);
		if (pi == HMAP_EMPTY)
			send = 1;
		else if (r->version > peer[pi].version)
			send = 1;
		else {
			a = store_author(st, r->author);
			send = a->maxver == peer[pi].version &&
			    a->sethash != peer[pi].sethash;
		}
		if (send)
			rc = cb(ctx, r);
	}
	hmap_release(&idx);
	return rc;
}

int
store_foreach(const struct store *st, store_cb cb, void *ctx)
{
	int	 rc = 0;

	for (uint32_t i = 0; i < st->nslots && rc == 0; i++)
		if (st->recs[i].sealed != NULL)
			rc = cb(ctx, &st->recs[i]);
	return rc;
}

/*
 * store_foreach_author - call cb for every record of one author, newest
 * added first, without visiting anyone else's: a node looks at its own
 * records at a cost that does not grow with the number of members.  cb
 * must not change the store.
 */
int
store_foreach_author(const struct store *st, const uint8_t author[WIRE_KEY],
    store_cb cb, void *ctx)
{
	uint32_t	 as = author_slot(st, author);
	int		 rc = 0;

	if (as == HMAP_EMPTY)
		return 0;
	for (uint32_t s = st->auth[as]->head; s != UINT32_MAX && rc == 0;
	    s = st->recs[s].anext)
		rc = cb(ctx, &st->recs[s]);
	return rc;
}

/* rec_envelope - r's envelope as it was signed and is sent (r->envlen bytes). */
void
rec_envelope(const struct rec *r, uint8_t *out)
{
	out[0] = ENV_MAGIC;
	memcpy(out + 1, r->author, WIRE_KEY);
	memcpy(out + REC_UNSTORED, r->sealed, r->envlen - REC_UNSTORED);
}

static int
list_add(struct store_list *l, const uint8_t *author, const uint8_t *item,
    size_t len)
{
	if (array_reserve(&l->authors, &l->capauthors, l->n + 1,
	    sizeof(*l->authors)) == -1 ||
	    array_reserve(&l->items, &l->capitems, l->n + 1,
	    sizeof(*l->items)) == -1 ||
	    array_reserve(&l->lens, &l->caplens, l->n + 1,
	    sizeof(*l->lens)) == -1)
		return -1;
	l->authors[l->n] = author;
	l->items[l->n] = item;
	l->lens[l->n++] = len;
	return 0;
}

/* store_list_add - an envelope held whole (not the store's: a notice). */
int
store_list_add(struct store_list *l, const uint8_t *env, size_t len)
{
	return list_add(l, NULL, env, len);
}

/* store_list_add_rec - a stored record's envelope, sent as one. */
int
store_list_add_rec(struct store_list *l, const struct rec *r)
{
	return list_add(l, r->author, r->sealed, r->envlen);
}

void
store_list_release(struct store_list *l)
{
	free(l->authors);
	free(l->items);
	free(l->lens);
	memset(l, 0, sizeof(*l));
}

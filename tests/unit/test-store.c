/* test-store.c: versions, digests and deltas, out-of-order repair, tombstone floors. */
#include "node/core/bcast.h"
#include "node/core/store.h"
#include "proto/mp.h"
#include "tests/unit/test.h"

static void
head(struct rec_head *h, uint8_t kind, const char *key, uint64_t v, uint32_t fl)
{
	memset(h, 0, sizeof(*h));
	h->kind = kind;
	h->keylen = (uint8_t)strlen(key);
	memcpy(h->key, key, h->keylen);
	h->version = v;
	h->flags = fl;
}

/*
 * mkenv - an envelope of author's as the store takes it: the magic byte,
 * the author, a signature (the store does not check it: 0xa5s), the body.
 */
static size_t
mkenv(uint8_t *out, const uint8_t author[WIRE_KEY], const char *body)
{
	out[0] = ENV_MAGIC;
	memcpy(out + 1, author, WIRE_KEY);
	memset(out + 1 + WIRE_KEY, 0xa5, WIRE_SIG);
	memcpy(out + ENV_HDR, body, strlen(body));
	return ENV_HDR + strlen(body);
}

static int
put(struct store *st, uint8_t author, uint8_t kind, const char *key,
    uint64_t v, uint32_t fl, uint64_t now)
{
	uint8_t		 a[WIRE_KEY], env[ENV_HDR + 64];
	struct rec_head	 h;
	char		 body[64];

	memset(a, author, sizeof(a));
	head(&h, kind, key, v, fl);
	snprintf(body, sizeof(body), "env-%u-%s-%llu", author, key,
	    (unsigned long long)v);
	return store_put(st, a, &h, env, mkenv(env, a, body), now);
}

TEST(store_versions)
{
	struct store	 st;
	uint8_t		 a[WIRE_KEY];
	const struct rec *r;

	store_init(&st);
	memset(a, 1, sizeof(a));
	ASSERT_EQ(put(&st, 1, REC_SERVICE, "web", 5, 0, 0), STORE_NEW);
	ASSERT_EQ(put(&st, 1, REC_SERVICE, "web", 5, 0, 0), STORE_STALE);
	ASSERT_EQ(put(&st, 1, REC_SERVICE, "web", 4, 0, 0), STORE_STALE);
	ASSERT_EQ(put(&st, 1, REC_SERVICE, "web", 9, 0, 0), STORE_NEW);
	ASSERT_EQ(put(&st, 1, REC_SERVICE, "db", 7, 0, 0), STORE_NEW);
	r = store_get(&st, a, REC_SERVICE, (const uint8_t *)"web", 3);
	ASSERT(r != NULL);
	ASSERT_UEQ(r->version, 9);
	ASSERT_EQ(st.live, 2);
	ASSERT_UEQ(store_author(&st, a)->maxver, 9);
	store_remove_author(&st, a);
	ASSERT_EQ(st.live, 0);
	ASSERT_UEQ(st.hash, 0);
	ASSERT_UEQ(st.sum, 0);
	store_release(&st);
}

/*
 * A put refused for want of memory leaves the store's summary as it was:
 * the author's term, taken out before the slot was sought, goes back in.
 * (The slot array cannot grow here: its capacity is set past the doubling
 * limit for the one put, so array_reserve() refuses without allocating.)
 * Fails on the code before: the hash lost the author's term for good.
 */
TEST(store_put_out_of_memory_keeps_the_summary)
{
	struct store	 st, fresh;
	uint64_t	 hash, sum;
	uint32_t	 nslots, cap;

	store_init(&st);
	ASSERT_EQ(put(&st, 1, REC_SERVICE, "web", 5, 0, 0), STORE_NEW);
	hash = st.hash;
	sum = st.sum;
	ASSERT_UEQ(st.free_head, UINT32_MAX);
	nslots = st.nslots;
	cap = st.cap;
	st.nslots = st.cap = 0x80000001u;
	ASSERT_EQ(put(&st, 1, REC_SERVICE, "db", 6, 0, 0), STORE_NOMEM);
	st.nslots = nslots;
	st.cap = cap;
	ASSERT_UEQ(st.hash, hash);
	ASSERT_UEQ(st.sum, sum);
	ASSERT_EQ(st.live, 1);
	/* and the same put, memory back, gives what a fresh store has */
	ASSERT_EQ(put(&st, 1, REC_SERVICE, "db", 6, 0, 0), STORE_NEW);
	store_init(&fresh);
	ASSERT_EQ(put(&fresh, 1, REC_SERVICE, "web", 5, 0, 0), STORE_NEW);
	ASSERT_EQ(put(&fresh, 1, REC_SERVICE, "db", 6, 0, 0), STORE_NEW);
	ASSERT_UEQ(st.hash, fresh.hash);
	ASSERT_UEQ(st.sum, fresh.sum);
	store_release(&st);
	store_release(&fresh);
}

static int
collect(void *ctx, const struct rec *r)
{
	struct store	*dst = ctx;
	struct rec_head	 h;

	memset(&h, 0, sizeof(h));
	h.kind = r->kind;
	h.keylen = r->keylen;
	memcpy(h.key, rec_key(r), r->keylen);
	h.version = r->version;
	h.flags = r->flags;
	{
		uint8_t	 env[WIRE_MAX_RECORD];

		rec_envelope(r, env);
		store_put(dst, r->author, &h, env, r->envlen, 0);
	}
	return 0;
}

static void
sync_into(struct store *dst, const struct store *src)
{
	struct wire_digest_ent	 d[64];
	uint32_t		 n = store_digest(dst, d, 64);

	ASSERT_EQ(store_delta(src, d, n, collect, dst), 0);
}

TEST(store_delta_and_summary)
{
	struct store	 x, y;

	store_init(&x);
	store_init(&y);
	put(&x, 1, REC_NODE, "", 10, 0, 0);
	put(&x, 1, REC_SERVICE, "a", 11, 0, 0);
	put(&x, 2, REC_NODE, "", 20, 0, 0);
	put(&y, 2, REC_NODE, "", 20, 0, 0);
	ASSERT(x.hash != y.hash);
	sync_into(&y, &x);
	ASSERT_EQ(y.live, 3);
	ASSERT_UEQ(x.hash, y.hash);
	ASSERT_UEQ(x.sum, y.sum);
	/* Out of order: y gets version 13 of author 1 but misses 12. */
	put(&x, 1, REC_SERVICE, "b", 12, 0, 0);
	put(&x, 1, REC_SERVICE, "c", 13, 0, 0);
	put(&y, 1, REC_SERVICE, "c", 13, 0, 0);
	ASSERT_UEQ(store_author(&y, x.auth[0]->id)->maxver, 13);
	ASSERT(x.hash != y.hash);
	ASSERT_UEQ(x.sum, y.sum);	/* same newest versions, different sets */
	sync_into(&y, &x);
	ASSERT_EQ(y.live, 5);
	ASSERT_UEQ(x.hash, y.hash);
	store_release(&x);
	store_release(&y);
}

TEST(store_tombstone_floor)
{
	struct store	 st;
	uint8_t		 a[WIRE_KEY];

	store_init(&st);
	memset(a, 3, sizeof(a));
	ASSERT_EQ(put(&st, 3, REC_NODE, "", 4, 0, 1000), STORE_NEW);
	ASSERT_EQ(put(&st, 3, REC_SERVICE, "web", 5, 0, 1000), STORE_NEW);
	ASSERT_EQ(put(&st, 3, REC_SERVICE, "web", 6, REC_F_DELETED, 1000),
	    STORE_NEW);
	ASSERT_EQ(store_gc(&st), 0);	/* no floor yet: kept */
	store_set_floor(&st, a, 6);
	ASSERT_EQ(store_gc(&st), 0);	/* not below the floor */
	store_set_floor(&st, a, 7);
	store_set_floor(&st, a, 2);	/* a floor never goes down */
	ASSERT_EQ(store_gc(&st), 1);
	ASSERT_EQ(st.live, 1);
	/* A straggler's old copy cannot resurrect the deleted record... */
	ASSERT_EQ(put(&st, 3, REC_SERVICE, "web", 5, 0, 8000), STORE_STALE);
	/* ...but the author's newer records still come in. */
	ASSERT_EQ(put(&st, 3, REC_SERVICE, "web", 7, 0, 8000), STORE_NEW);
	/* An author with no records left does not count in the summary. */
	{
		struct store	 e;
		uint8_t		 b[WIRE_KEY];

		store_init(&e);
		memset(b, 4, sizeof(b));
		put(&e, 4, REC_SERVICE, "x", 1, REC_F_DELETED, 0);
		store_set_floor(&e, b, 2);
		store_gc(&e);
		ASSERT_UEQ(e.hash, 0);
		ASSERT_UEQ(e.sum, 0);
		store_release(&e);
	}
	store_release(&st);
}

TEST(store_many_records)
{
	struct store	 st;
	char		 key[16];

	store_init(&st);
	for (int i = 0; i < 20000; i++) {
		snprintf(key, sizeof(key), "svc%d", i);
		ASSERT_EQ(put(&st, (uint8_t)(i % 7), REC_SERVICE, key,
		    (uint64_t)i + 1, 0, 0), STORE_NEW);
	}
	ASSERT_EQ(st.live, 20000);
	ASSERT_EQ(st.nauth, 7);
	for (int i = 0; i < 20000; i += 2) {
		uint8_t	 a[WIRE_KEY];

		snprintf(key, sizeof(key), "svc%d", i);
		memset(a, i % 7, sizeof(a));
		ASSERT(store_get(&st, a, REC_SERVICE, (const uint8_t *)key,
		    strlen(key)) != NULL);
	}
	store_release(&st);
}

struct seen {
	uint8_t		 author;
	uint32_t	 n;
	uint64_t	 vsum;
};

static int
seen_cb(void *ctx, const struct rec *r)
{
	struct seen	*c = ctx;

	ASSERT_EQ(r->author[0], c->author);
	c->n++;
	c->vsum += r->version;
	return 0;
}

/* One author's records, and only those, however slots were freed and reused. */
TEST(store_foreach_author)
{
	struct store	 st;
	uint8_t		 a[WIRE_KEY], b[WIRE_KEY];
	struct seen	 c;

	store_init(&st);
	memset(a, 1, sizeof(a));
	memset(b, 2, sizeof(b));
	c = (struct seen){ 1, 0, 0 };
	ASSERT_EQ(store_foreach_author(&st, a, seen_cb, &c), 0);
	ASSERT_EQ(c.n, 0);
	put(&st, 1, REC_NODE, "", 1, 0, 0);
	put(&st, 2, REC_NODE, "", 1, 0, 0);
	put(&st, 1, REC_SERVICE, "x", 2, 0, 0);
	put(&st, 2, REC_SERVICE, "y", 2, 0, 0);
	put(&st, 1, REC_SERVICE, "z", 3, 0, 0);
	put(&st, 1, REC_SERVICE, "x", 4, REC_F_DELETED, 0);	/* replaces */
	c = (struct seen){ 1, 0, 0 };
	store_foreach_author(&st, a, seen_cb, &c);
	ASSERT_EQ(c.n, 3);
	ASSERT_UEQ(c.vsum, 1 + 4 + 3);
	/* The tombstone goes (gc); author 2 goes; their slots are reused. */
	store_set_floor(&st, a, 5);
	ASSERT_EQ(store_gc(&st), 1);
	store_remove_author(&st, b);
	ASSERT_EQ(st.live, 2);
	put(&st, 2, REC_NODE, "", 7, 0, 0);
	put(&st, 1, REC_SERVICE, "w", 6, 0, 0);
	put(&st, 2, REC_SERVICE, "v", 8, 0, 0);
	c = (struct seen){ 1, 0, 0 };
	store_foreach_author(&st, a, seen_cb, &c);
	ASSERT_EQ(c.n, 3);
	ASSERT_UEQ(c.vsum, 1 + 3 + 6);
	c = (struct seen){ 2, 0, 0 };
	store_foreach_author(&st, b, seen_cb, &c);
	ASSERT_EQ(c.n, 2);
	ASSERT_UEQ(c.vsum, 7 + 8);
	store_remove_author(&st, a);
	c = (struct seen){ 1, 0, 0 };
	store_foreach_author(&st, a, seen_cb, &c);
	ASSERT_EQ(c.n, 0);
	ASSERT_EQ(st.live, 2);
	store_release(&st);
}

/*
 * store_gc walks the store only when there may be work: a newer tombstone
 * that is still below its author's floor must be collected all the same.
 */
TEST(store_gc_tombstone_below_floor)
{
	struct store	 st;
	uint8_t		 a[WIRE_KEY];

	store_init(&st);
	memset(a, 3, sizeof(a));
	ASSERT_EQ(put(&st, 3, REC_SERVICE, "web", 5, 0, 0), STORE_NEW);
	store_set_floor(&st, a, 9);
	ASSERT_EQ(store_gc(&st), 0);	/* a live record below it stays */
	ASSERT_EQ(store_gc(&st), 0);
	ASSERT_EQ(put(&st, 3, REC_SERVICE, "web", 6, REC_F_DELETED, 0),
	    STORE_NEW);
	ASSERT_EQ(store_gc(&st), 1);
	ASSERT_EQ(st.live, 0);
	store_release(&st);
}

static size_t
cost1(size_t len)
{
	return len + 2;
}

TEST(bcast_limits_and_replace)
{
	struct bcast	 b;
	const uint8_t	*items[8];
	size_t		 lens[8];
	uint32_t	 n;

	bcast_init(&b, 4);
	bcast_push(&b, 1, (const uint8_t *)"aaaa", 4);
	bcast_push(&b, 2, (const uint8_t *)"bbbb", 4);
	bcast_push(&b, 1, (const uint8_t *)"AAAA", 4);	/* replaces key 1 */
	ASSERT_EQ(b.n, 2);
	n = bcast_fill(&b, 100, 2, cost1, items, lens, 8);
	ASSERT_EQ(n, 2);
	ASSERT_MEM_EQ(items[0], "AAAA", 4);		/* newest first */
	/* budget for only one */
	n = bcast_fill(&b, 7, 2, cost1, items, lens, 8);
	ASSERT_EQ(n, 1);
	/* the one not sent twice yet goes next, then the queue runs dry */
	n = bcast_fill(&b, 100, 2, cost1, items, lens, 8);
	ASSERT_EQ(n, 1);
	n = bcast_fill(&b, 100, 2, cost1, items, lens, 8);
	ASSERT_EQ(n, 0);
	ASSERT_EQ(b.n, 0);
	ASSERT_EQ(bcast_retransmit_limit(4, 9), 4);
	ASSERT_EQ(bcast_retransmit_limit(4, 10), 8);
	ASSERT_EQ(bcast_retransmit_limit(4, 100), 12);
	bcast_release(&b);
}

/*
 * The queue as it was when bcast_fill() sorted it whole with qsort() for
 * every packet: the reference the incremental sort must agree with, item
 * for item and in the same array order (a full queue evicts the first of
 * the most sent in that order).
 */
struct ref_item {
	uint64_t	 key;
	uint32_t	 len;
	uint8_t		 data[8];
	uint32_t	 transmits;
	uint64_t	 seq;
};

struct ref_queue {
	struct ref_item	 items[64];
	uint32_t	 n;
	uint32_t	 max;
	uint64_t	 seq;
};

static int
ref_cmp(const void *x, const void *y)
{
	const struct ref_item	*a = x, *b = y;

	if (a->transmits != b->transmits)
		return a->transmits < b->transmits ? -1 : 1;
	return a->seq > b->seq ? -1 : a->seq < b->seq;
}

static void
ref_push(struct ref_queue *q, uint64_t key, const uint8_t *d, uint32_t len)
{
	for (uint32_t i = 0; i < q->n; i++)
		if (q->items[i].key == key) {
			q->items[i] = q->items[--q->n];
			break;
		}
	if (q->n == q->max) {
		uint32_t	 worst = 0;

		for (uint32_t i = 1; i < q->n; i++)
			if (q->items[i].transmits > q->items[worst].transmits)
				worst = i;
		q->items[worst] = q->items[--q->n];
	}
	q->items[q->n] = (struct ref_item){ key, len, { 0 }, 0, ++q->seq };
	memcpy(q->items[q->n++].data, d, len);
}

static uint32_t
ref_fill(struct ref_queue *q, size_t budget, uint32_t limit, uint32_t max,
    const uint8_t **items)
{
	uint32_t	 n = 0;

	for (uint32_t i = 0; i < q->n;) {
		if (q->items[i].transmits >= limit)
			q->items[i] = q->items[--q->n];
		else
			i++;
	}
	if (q->n == 0 || max == 0)
		return 0;
	qsort(q->items, q->n, sizeof(*q->items), ref_cmp);
	for (uint32_t i = 0; i < q->n && n < max; i++) {
		size_t	 c = cost1(q->items[i].len);

		if (c > budget)
			continue;
		budget -= c;
		items[n++] = q->items[i].data;
		q->items[i].transmits++;
	}
	return n;
}

TEST(bcast_same_order_as_a_full_sort)
{
	struct bcast		 b;
	struct ref_queue	 q;
	uint64_t		 rng = 7;

	bcast_init(&b, 24);
	memset(&q, 0, sizeof(q));
	q.max = 24;
	for (int step = 0; step < 20000; step++) {
		uint32_t	 r;

		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		r = (uint32_t)(rng >> 33);
		if (r % 3 != 0) {
			uint8_t		 d[8];
			uint32_t	 len = 1 + (r >> 4) % 8;

			for (uint32_t i = 0; i < len; i++)
				d[i] = (uint8_t)(r >> (i % 4 * 8));
			ASSERT_EQ(bcast_push(&b, (r >> 8) % 40, d, len), 0);
			ref_push(&q, (r >> 8) % 40, d, len);
		} else {
			const uint8_t	*got[16], *want[16];
			size_t		 lens[16];
			uint32_t	 n, nref, max = 1 + (r >> 4) % 16;
			size_t		 budget = (r >> 8) % 120;
			uint32_t	 limit = 1 + (r >> 16) % 6;

			n = bcast_fill(&b, budget, limit, cost1, got, lens, max);
			nref = ref_fill(&q, budget, limit, max, want);
			ASSERT_EQ(n, nref);
			for (uint32_t i = 0; i < n; i++) {
				ASSERT_EQ(lens[i], cost1(lens[i]) - 2);
				ASSERT_MEM_EQ(got[i], want[i], lens[i]);
			}
		}
		ASSERT_EQ(b.n, q.n);
		for (uint32_t i = 0, fresh = 0; i < b.n; i++) {
			ASSERT_UEQ(b.items[i].key, q.items[i].key);
			ASSERT_UEQ(b.items[i].seq, q.items[i].seq);
			ASSERT_EQ(b.items[i].transmits, q.items[i].transmits);
			fresh += q.items[i].transmits == 0;
			if (i == b.n - 1)
				ASSERT_EQ(bcast_fresh(&b), fresh);
		}
	}
	bcast_release(&b);
}

TEST(store_rec_names_its_author)
{
	/*
	 * A slot points at its author's id instead of holding a copy (56
	 * bytes, not 80: 2.3 MiB at 100,000 services), and the id stays
	 * put while authors come and go around it.
	 */
	struct store	 st;
	uint8_t		 a[WIRE_KEY];
	const struct rec *r;

	ASSERT(sizeof(struct rec) <= 56);
	store_init(&st);
	memset(a, 7, sizeof(a));
	ASSERT_EQ(put(&st, 7, REC_SERVICE, "web", 1, 0, 0), STORE_NEW);
	for (int i = 0; i < 200; i++)
		if (i != 7)
			ASSERT_EQ(put(&st, (uint8_t)i, REC_SERVICE, "x", 1, 0, 0),
			    STORE_NEW);
	for (int i = 0; i < 7; i++) {
		uint8_t	 b[WIRE_KEY];

		memset(b, i, sizeof(b));
		store_remove_author(&st, b);
	}
	r = store_get(&st, a, REC_SERVICE, (const uint8_t *)"web", 3);
	ASSERT(r != NULL);
	ASSERT_MEM_EQ(r->author, a, WIRE_KEY);
	ASSERT(r->author == store_author(&st, a)->id);
	ASSERT_EQ(put(&st, 7, REC_SERVICE, "web", 2, 0, 0), STORE_NEW);
	ASSERT_MEM_EQ(r->author, a, WIRE_KEY);
	ASSERT_EQ(st.live, 193);
	store_release(&st);
}

TEST(store_key_found_in_envelope)
{
	/*
	 * A key that is in the envelope (a service's name is in its body)
	 * is not copied again; one that is not follows the envelope.
	 */
	struct store	 st;
	uint8_t		 a[WIRE_KEY];
	struct rec_head	 h;
	const struct rec *r;
	uint8_t		 env[ENV_HDR + 64];

	store_init(&st);
	memset(a, 3, sizeof(a));
	head(&h, REC_SERVICE, "web", 1, 0);
	ASSERT_EQ(store_put(&st, a, &h, env, mkenv(env, a, "..body..web.."),
	    0), STORE_NEW);
	head(&h, REC_SERVICE, "db", 1, 0);
	ASSERT_EQ(store_put(&st, a, &h, env, mkenv(env, a, "..body.."), 0),
	    STORE_NEW);
	r = store_get(&st, a, REC_SERVICE, (const uint8_t *)"web", 3);
	ASSERT(r != NULL);
	/* found in what is kept: the signature, then the body */
	ASSERT_UEQ(r->keyoff, WIRE_SIG + 8);
	ASSERT_MEM_EQ(rec_key(r), "web", 3);
	r = store_get(&st, a, REC_SERVICE, (const uint8_t *)"db", 2);
	ASSERT(r != NULL);
	ASSERT_UEQ(r->keyoff, REC_KEY_AFTER);
	ASSERT_MEM_EQ(rec_key(r), "db", 2);
	/* a newer version moves it along with the envelope */
	head(&h, REC_SERVICE, "web", 2, 0);
	ASSERT_EQ(store_put(&st, a, &h, env, mkenv(env, a, "web"), 0),
	    STORE_NEW);
	r = store_get(&st, a, REC_SERVICE, (const uint8_t *)"web", 3);
	ASSERT_UEQ(r->keyoff, WIRE_SIG);
	ASSERT_UEQ(r->envlen, ENV_HDR + 3);
	ASSERT_MEM_EQ(rec_key(r), "web", 3);
	head(&h, REC_SERVICE, "db", 2, REC_F_DELETED);
	ASSERT_EQ(store_put(&st, a, &h, env, mkenv(env, a, "x"), 0), STORE_NEW);
	r = store_get(&st, a, REC_SERVICE, (const uint8_t *)"db", 2);
	ASSERT_UEQ(r->keyoff, REC_KEY_AFTER);
	ASSERT_EQ(st.live, 2);
	store_release(&st);
}

TEST(store_reserve_sizes_once)
{
	/*
	 * A restart sizes the store for the state file's records at once:
	 * the array and its index do not move while they are put back.
	 */
	struct store		 st;
	const struct rec	*recs;
	const uint32_t		*slots;
	char			 key[16];

	store_init(&st);
	ASSERT_EQ(put(&st, 1, REC_SERVICE, "first", 1, 0, 0), STORE_NEW);
	ASSERT_EQ(store_reserve(&st, 3000), 0);
	recs = st.recs;
	slots = st.ridx.s;
	for (uint32_t i = 1; i < 3000; i++) {
		snprintf(key, sizeof(key), "s%u", i);
		ASSERT_EQ(put(&st, (uint8_t)(1 + i % 3), REC_SERVICE, key,
		    i + 1, 0, 0), STORE_NEW);
	}
	ASSERT(st.recs == recs && st.ridx.s == slots);
	ASSERT_EQ(st.live, 3000);
	ASSERT(store_get(&st, st.recs[0].author, REC_SERVICE,
	    (const uint8_t *)"first", 5) == &st.recs[0]);
	for (uint32_t i = 1; i < 3000; i += 7) {
		uint8_t	 a[WIRE_KEY];

		memset(a, (int)(1 + i % 3), sizeof(a));
		snprintf(key, sizeof(key), "s%u", i);
		ASSERT(store_get(&st, a, REC_SERVICE, (const uint8_t *)key,
		    strlen(key)) != NULL);
	}
	store_release(&st);
}

TEST(store_rec_48_bytes)
{
	/*
	 * 48 bytes a record (1 MiB less at 100,000 services): its length
	 * and flags in 16 bits, and the free slots chained through anext.
	 */
	struct store		 st;
	static uint8_t		 big[WIRE_MAX_RECORD + 1];
	uint8_t			 a[WIRE_KEY];
	struct rec_head		 h;
	const struct rec	*r;
	struct seen		 c;
	char			 key[16];
	uint32_t		 nslots;

	ASSERT_EQ(sizeof(struct rec), 48);
	store_init(&st);
	for (int i = 0; i < 40; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		ASSERT_EQ(put(&st, (uint8_t)(1 + i % 2), REC_SERVICE, key, 1, 0,
		    0), STORE_NEW);
	}
	nslots = st.nslots;
	memset(a, 2, sizeof(a));
	store_remove_author(&st, a);
	ASSERT_EQ(st.live, 20);
	/* the 20 freed slots take the next 20 records: none is added */
	for (int i = 0; i < 20; i++) {
		snprintf(key, sizeof(key), "n%d", i);
		ASSERT_EQ(put(&st, 3, REC_SERVICE, key, 2, 0, 0), STORE_NEW);
	}
	ASSERT_EQ(st.nslots, nslots);
	ASSERT_EQ(put(&st, 3, REC_SERVICE, "one more", 3, 0, 0), STORE_NEW);
	ASSERT_EQ(st.nslots, nslots + 1);
	memset(a, 1, sizeof(a));
	c = (struct seen){ 1, 0, 0 };
	store_foreach_author(&st, a, seen_cb, &c);
	ASSERT_EQ(c.n, 20);
	memset(a, 3, sizeof(a));
	c = (struct seen){ 3, 0, 0 };
	store_foreach_author(&st, a, seen_cb, &c);
	ASSERT_EQ(c.n, 21);
	ASSERT_UEQ(c.vsum, 20 * 2 + 3);
	/* the longest envelope fits; one byte more is refused */
	mkenv(big, a, "");
	head(&h, REC_SERVICE, "big", 4, REC_F_DELETED);
	ASSERT_EQ(store_put(&st, a, &h, big, sizeof(big), 0), STORE_NOMEM);
	ASSERT_EQ(store_put(&st, a, &h, big, WIRE_MAX_RECORD, 0), STORE_NEW);
	r = store_get(&st, a, REC_SERVICE, (const uint8_t *)"big", 3);
	ASSERT(r != NULL);
	ASSERT_UEQ(r->envlen, WIRE_MAX_RECORD);
	ASSERT_UEQ(r->flags, REC_F_DELETED);
	ASSERT_MEM_EQ(rec_key(r), "big", 3);
	ASSERT_EQ(st.tombstones, 1);
	store_release(&st);
}

/*
 * The store keeps an envelope without its magic byte and author (33 bytes
 * a record: its struct author holds the id), and gives back the same
 * bytes: to send (a store_list through wire_items_encode()) and to
 * rec_envelope().  What is not author's envelope is not taken.
 */
TEST(store_keeps_envelope_without_author)
{
	struct store		 st;
	struct store_list	 l;
	struct rec_head		 h;
	struct buf		 b;
	msgpack_packer		 pk;
	struct mp_doc		 d;
	struct wire_items	 it;
	uint8_t			 a[WIRE_KEY], o[WIRE_KEY];
	uint8_t			 env[ENV_HDR + 64], back[ENV_HDR + 64];
	uint8_t			 notice[ENV_HDR + 64];
	size_t			 n, nn, len;
	const struct rec	*r;
	const uint8_t		*body;

	store_init(&st);
	memset(a, 7, sizeof(a));
	memset(o, 8, sizeof(o));
	n = mkenv(env, a, "the body of web");
	env[ENV_HDR - 1] = 0x5a;	/* the signature's last byte */
	head(&h, REC_SERVICE, "web", 1, 0);
	/* another author's envelope, or one that is not an envelope */
	ASSERT_EQ(store_put(&st, o, &h, env, n, 0), STORE_NOMEM);
	env[0] ^= 1;
	ASSERT_EQ(store_put(&st, a, &h, env, n, 0), STORE_NOMEM);
	env[0] ^= 1;
	ASSERT_EQ(store_put(&st, a, &h, env, ENV_HDR - 1, 0), STORE_NOMEM);
	ASSERT_EQ(st.live, 0);
	ASSERT_EQ(store_put(&st, a, &h, env, n, 0), STORE_NEW);
	r = store_get(&st, a, REC_SERVICE, (const uint8_t *)"web", 3);
	ASSERT(r != NULL);
	ASSERT_UEQ(r->envlen, n);
	ASSERT_MEM_EQ(r->sealed, env + 1 + WIRE_KEY, n - 1 - WIRE_KEY);
	body = rec_body(r, &len);
	ASSERT_UEQ(len, strlen("the body of web"));
	ASSERT_MEM_EQ(body, "the body of web", len);
	ASSERT_MEM_EQ(rec_key(r), "web", 3);
	memset(back, 0, sizeof(back));
	rec_envelope(r, back);
	ASSERT_MEM_EQ(back, env, n);

	/* sent: the same bytes as the envelope put in, beside a whole one */
	memset(&l, 0, sizeof(l));
	nn = mkenv(notice, o, "a notice");
	ASSERT_EQ(store_list_add_rec(&l, r), 0);
	ASSERT_EQ(store_list_add(&l, notice, nn), 0);
	buf_init(&b, 4096);
	mp_packer_init(&pk, &b);
	wire_items_encode(&pk, l.authors, l.items, l.lens, l.n);
	ASSERT_EQ(b.err, 0);
	ASSERT_EQ(mp_parse(&d, b.p, b.len), 0);
	ASSERT_EQ(wire_items_decode(&d.root, 8, &it), 0);
	ASSERT_UEQ(it.n, 2);
	body = wire_items_get(&it, 0, &len);
	ASSERT_UEQ(len, n);
	ASSERT_MEM_EQ(body, env, n);
	body = wire_items_get(&it, 1, &len);
	ASSERT_UEQ(len, nn);
	ASSERT_MEM_EQ(body, notice, nn);
	wire_items_release(&it);
	mp_doc_release(&d);
	buf_release(&b);
	store_list_release(&l);
	store_release(&st);
}

/* hmap.c: linear-probing hash index keyed by SipHash with a per-process key. */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "node/core/hmap.h"

void
hmap_init(struct hmap *h)
{
	memset(h, 0, sizeof(*h));
}

void
hmap_release(struct hmap *h)
{
	free(h->s);
	memset(h, 0, sizeof(*h));
}

/*
 * A slot: the value in its low 24 bits, the top 8 bits of its hash above
 * them (the low bits choose where it goes, so these tell apart the keys
 * that land together).  All ones is an empty slot, so one memset(0xff)
 * empties an array.
 */
#define VMASK		((1u << HMAP_VALBITS) - 1)
#define S_EMPTY		VMASK
#define S_GONE		(VMASK - 1)
#define SVAL(w)		((w) & VMASK)
#define TAG(hash)	((uint32_t)((hash) >> 56) << HMAP_VALBITS)

static int
hmap_grow(struct hmap *h, size_t ncap, hmap_rehash_fn rehash, const void *ctx)
{
	uint32_t	*ns;

	if (ncap > SIZE_MAX / sizeof(*ns) ||
	    (ns = malloc(ncap * sizeof(*ns))) == NULL)
		return -1;
	memset(ns, 0xff, ncap * sizeof(*ns));
	for (size_t i = 0; i < h->cap; i++) {
		uint64_t	 hash;
		size_t		 j;

		if (SVAL(h->s[i]) >= S_GONE)
			continue;
		hash = rehash(ctx, SVAL(h->s[i]));
		for (j = hash & (ncap - 1); SVAL(ns[j]) != S_EMPTY;
		    j = (j + 1) & (ncap - 1))
			;
		ns[j] = h->s[i];
	}
	free(h->s);
	h->s = ns;
	h->cap = ncap;
	h->used = h->live;
	return 0;
}

/* The capacity that holds n live entries at most 4/5 full. */
static size_t
hmap_capfor(size_t cap, size_t n)
{
	size_t	 ncap = cap ? cap : 16;

	while (n * 5 > ncap * 4)
		ncap *= 2;
	return ncap;
}

/*
 * hmap_reserve - size the index once for n entries, so that n puts do not
 * grow it step by step (each step frees an array the allocator may not
 * give back).
 */
int
hmap_reserve(struct hmap *h, size_t n, hmap_rehash_fn rehash, const void *ctx)
{
	size_t	 ncap;

	if (n > HMAP_MAXVAL + 1)
		return -1;
	ncap = hmap_capfor(h->cap, n);
	if (ncap == h->cap)
		return 0;
	return hmap_grow(h, ncap, rehash, ctx);
}

int
hmap_put(struct hmap *h, uint64_t hash, uint32_t val, hmap_rehash_fn rehash,
    const void *ctx)
{
	size_t		 i;

	if (val > HMAP_MAXVAL)
		return -1;
	/*
	 * Past 5/6 full (live and tombstones), rebuild: in place when the
	 * live entries fill at most 4/5 of it (the tombstones go), else at
	 * twice the size.  100,000 keys fit in 131,072 slots, and stay there
	 * when services come and go.  A miss then probes about 18 slots at
	 * worst, on average, which are adjacent: 16 to a cache line.
	 */
	if ((h->used + 1) * HMAP_LOAD_DEN > h->cap * HMAP_LOAD_NUM &&
	    hmap_grow(h, hmap_capfor(h->cap, h->live + 1), rehash, ctx) == -1)
		return -1;
	for (i = hash & (h->cap - 1); SVAL(h->s[i]) < S_GONE;
	    i = (i + 1) & (h->cap - 1))
		;
	if (SVAL(h->s[i]) == S_EMPTY)
		h->used++;
	h->s[i] = TAG(hash) | val;
	h->live++;
	return 0;
}

uint32_t
hmap_find(const struct hmap *h, uint64_t hash, hmap_eq_fn eq, const void *ctx)
{
	uint32_t	 tag = TAG(hash);

	if (h->cap == 0)
		return HMAP_EMPTY;
	for (size_t i = hash & (h->cap - 1); SVAL(h->s[i]) != S_EMPTY;
	    i = (i + 1) & (h->cap - 1)) {
		uint32_t	 w = h->s[i];

		if ((w & ~VMASK) == tag && SVAL(w) != S_GONE &&
		    eq(ctx, SVAL(w)))
			return SVAL(w);
	}
	return HMAP_EMPTY;
}

static size_t
hmap_slot(const struct hmap *h, uint64_t hash, uint32_t val)
{
	uint32_t	 w = TAG(hash) | val;

	if (h->cap == 0 || val > HMAP_MAXVAL)
		return SIZE_MAX;
	for (size_t i = hash & (h->cap - 1); SVAL(h->s[i]) != S_EMPTY;
	    i = (i + 1) & (h->cap - 1))
		if (h->s[i] == w)
			return i;
	return SIZE_MAX;
}

int
hmap_del(struct hmap *h, uint64_t hash, uint32_t val)
{
	size_t	 i = hmap_slot(h, hash, val);

	if (i == SIZE_MAX)
		return -1;
	h->s[i] = S_GONE;
	h->live--;
	return 0;
}

/* hmap_set - point an entry at a new slot number (the object moved). */
int
hmap_set(struct hmap *h, uint64_t hash, uint32_t oldval, uint32_t newval)
{
	size_t	 i = hmap_slot(h, hash, oldval);

	if (i == SIZE_MAX || newval > HMAP_MAXVAL)
		return -1;
	h->s[i] = TAG(hash) | newval;
	return 0;
}

static uint8_t	 hmap_key[crypto_shorthash_KEYBYTES];
static int	 hmap_keyed;

static void
hmap_key_init(void)
{
	if (!hmap_keyed) {
		randombytes_buf(hmap_key, sizeof(hmap_key));
		hmap_keyed = 1;
	}
}

uint64_t
hmap_hash(const void *p, size_t n)
{
	uint64_t	 h;

	hmap_key_init();
	crypto_shorthash((unsigned char *)&h, p, n, hmap_key);
	return h;
}

uint64_t
hmap_hash2(const void *a, size_t na, const void *b, size_t nb)
{
	uint8_t		 tmp[256];

	if (na + nb > sizeof(tmp))
		return hmap_hash(a, na) ^ (hmap_hash(b, nb) * 0x9e3779b97f4a7c15ULL);
	memcpy(tmp, a, na);
	if (nb > 0)
		memcpy(tmp + na, b, nb);
	return hmap_hash(tmp, na + nb);
}

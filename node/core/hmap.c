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

static int
hmap_grow(struct hmap *h, size_t ncap)
{
	struct hmap_slot	*ns;

	if (ncap > (size_t)UINT32_MAX + 1 || ncap > SIZE_MAX / sizeof(*ns) ||
	    (ns = malloc(ncap * sizeof(*ns))) == NULL)
		return -1;
	/*
	 * All ones: every val is HMAP_EMPTY.  One memset, which clang's
	 * analyzer follows (it took the slots of a loop for unset).
	 */
	memset(ns, 0xff, ncap * sizeof(*ns));
	for (size_t i = 0; i < h->cap; i++) {
		size_t	 j;

		if (h->s[i].val >= HMAP_GONE)
			continue;
		for (j = h->s[i].hash & (ncap - 1); ns[j].val != HMAP_EMPTY;
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

int
hmap_put(struct hmap *h, uint64_t hash, uint32_t val)
{
	uint32_t	 h32 = (uint32_t)hash;
	size_t		 i;

	if (val >= HMAP_GONE)
		return -1;
	/*
	 * Past 5/6 full (live and tombstones), rebuild: in place when the
	 * live entries fill at most 4/5 of it (the tombstones go), else at
	 * twice the size.  At 3/4 and twice the live entries, 100,000 keys
	 * took 262,144 slots (2 MiB an index, five of them in the engine at
	 * 100k services); now they fit in 131,072, and stay there when
	 * services come and go.  A miss then probes about 18 slots at worst,
	 * on average, which are adjacent: 8 to a cache line.
	 */
	if ((h->used + 1) * HMAP_LOAD_DEN > h->cap * HMAP_LOAD_NUM) {
		size_t	 ncap = h->cap ? h->cap : 16;

		while ((h->live + 1) * 5 > ncap * 4)
			ncap *= 2;
		if (hmap_grow(h, ncap) == -1)
			return -1;
	}
	for (i = h32 & (h->cap - 1); h->s[i].val < HMAP_GONE;
	    i = (i + 1) & (h->cap - 1))
		;
	if (h->s[i].val == HMAP_EMPTY)
		h->used++;
	h->s[i].hash = h32;
	h->s[i].val = val;
	h->live++;
	return 0;
}

uint32_t
hmap_find(const struct hmap *h, uint64_t hash, hmap_eq_fn eq, const void *ctx)
{
	uint32_t	 h32 = (uint32_t)hash;

	if (h->cap == 0)
		return HMAP_EMPTY;
	for (size_t i = h32 & (h->cap - 1); h->s[i].val != HMAP_EMPTY;
	    i = (i + 1) & (h->cap - 1)) {
		if (h->s[i].val != HMAP_GONE && h->s[i].hash == h32 &&
		    eq(ctx, h->s[i].val))
			return h->s[i].val;
	}
	return HMAP_EMPTY;
}

static size_t
hmap_slot(const struct hmap *h, uint64_t hash, uint32_t val)
{
	uint32_t	 h32 = (uint32_t)hash;

	if (h->cap == 0)
		return SIZE_MAX;
	for (size_t i = h32 & (h->cap - 1); h->s[i].val != HMAP_EMPTY;
	    i = (i + 1) & (h->cap - 1))
		if (h->s[i].val == val && h->s[i].hash == h32)
			return i;
	return SIZE_MAX;
}

int
hmap_del(struct hmap *h, uint64_t hash, uint32_t val)
{
	size_t	 i = hmap_slot(h, hash, val);

	if (i == SIZE_MAX)
		return -1;
	h->s[i].val = HMAP_GONE;
	h->live--;
	return 0;
}

/* hmap_set - point an entry at a new slot number (the object moved). */
int
hmap_set(struct hmap *h, uint64_t hash, uint32_t oldval, uint32_t newval)
{
	size_t	 i = hmap_slot(h, hash, oldval);

	if (i == SIZE_MAX || newval >= HMAP_GONE)
		return -1;
	h->s[i].val = newval;
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

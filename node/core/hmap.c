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
	free(h->hash);
	free(h->val);
	memset(h, 0, sizeof(*h));
}

static int
hmap_grow(struct hmap *h, size_t ncap)
{
	struct hmap	 n;

	n.cap = ncap;
	n.used = n.live = 0;
	n.hash = calloc(ncap, sizeof(*n.hash));
	n.val = malloc(ncap * sizeof(*n.val));
	if (n.hash == NULL || n.val == NULL) {
		free(n.hash);
		free(n.val);
		return -1;
	}
	for (size_t i = 0; i < ncap; i++)
		n.val[i] = HMAP_EMPTY;
	for (size_t i = 0; i < h->cap; i++) {
		size_t	 j;

		if (h->val[i] >= HMAP_GONE)
			continue;
		for (j = h->hash[i] & (ncap - 1); n.val[j] != HMAP_EMPTY;
		    j = (j + 1) & (ncap - 1))
			;
		n.hash[j] = h->hash[i];
		n.val[j] = h->val[i];
		n.used++;
		n.live++;
	}
	free(h->hash);
	free(h->val);
	/* Not *h = n: clang 14's analyzer loses the new arrays in that copy. */
	memcpy(h, &n, sizeof(*h));
	return 0;
}

int
hmap_put(struct hmap *h, uint64_t hash, uint32_t val)
{
	size_t	 i;

	if (val >= HMAP_GONE)
		return -1;
	if ((h->used + 1) * 4 > h->cap * 3) {
		size_t	 ncap = h->cap ? h->cap : 16;

		while ((h->live + 1) * 2 > ncap)
			ncap *= 2;
		if (hmap_grow(h, ncap) == -1)
			return -1;
	}
	for (i = hash & (h->cap - 1); h->val[i] < HMAP_GONE;
	    i = (i + 1) & (h->cap - 1))
		;
	if (h->val[i] == HMAP_EMPTY)
		h->used++;
	h->hash[i] = hash;
	h->val[i] = val;
	h->live++;
	return 0;
}

uint32_t
hmap_find(const struct hmap *h, uint64_t hash, hmap_eq_fn eq, const void *ctx)
{
	if (h->cap == 0)
		return HMAP_EMPTY;
	for (size_t i = hash & (h->cap - 1); h->val[i] != HMAP_EMPTY;
	    i = (i + 1) & (h->cap - 1)) {
		if (h->val[i] != HMAP_GONE && h->hash[i] == hash &&
		    (eq == NULL || eq(ctx, h->val[i])))
			return h->val[i];
	}
	return HMAP_EMPTY;
}

static size_t
hmap_slot(const struct hmap *h, uint64_t hash, uint32_t val)
{
	if (h->cap == 0)
		return SIZE_MAX;
	for (size_t i = hash & (h->cap - 1); h->val[i] != HMAP_EMPTY;
	    i = (i + 1) & (h->cap - 1))
		if (h->val[i] == val && h->hash[i] == hash)
			return i;
	return SIZE_MAX;
}

int
hmap_del(struct hmap *h, uint64_t hash, uint32_t val)
{
	size_t	 i = hmap_slot(h, hash, val);

	if (i == SIZE_MAX)
		return -1;
	h->val[i] = HMAP_GONE;
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
	h->val[i] = newval;
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

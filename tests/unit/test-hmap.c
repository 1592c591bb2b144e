/* test-hmap.c: the index keeps 8 bits of each hash; eq() tells keys apart. */
#include "node/core/hmap.h"
#include "tests/unit/test.h"

struct keys {
	const uint64_t	*k;
	uint64_t	 want;
};

static int
key_eq(const void *ctx, uint32_t val)
{
	const struct keys	*c = ctx;

	return c->k[val] == c->want;
}

/* The keys are their own hashes: the array gives them back to grow. */
static uint64_t
key_rehash(const void *ctx, uint32_t val)
{
	const uint64_t	*k = ctx;

	return k[val];
}

static uint32_t
find(const struct hmap *h, const uint64_t *k, uint64_t want)
{
	struct keys	 c = { k, want };

	return hmap_find(h, want, key_eq, &c);
}

TEST(hmap_slot_size)
{
	/* 4 bytes a slot: 100,000 entries in 131,072 slots take 512 KiB. */
	struct hmap	 h;

	ASSERT_EQ(sizeof(*h.s), 4);
}

TEST(hmap_same_low_bits)
{
	/*
	 * Three hashes alike in their low 32 bits and in their top byte (the
	 * tag), so only eq() tells them apart, and one that is not.
	 */
	uint64_t	 k[4] = { 0x1111111112345678ULL, 0x1122222212345678ULL,
			    0x1133333312345678ULL, 0x12345679ULL };
	struct hmap	 h;

	hmap_init(&h);
	for (uint32_t i = 0; i < 4; i++)
		ASSERT_EQ(hmap_put(&h, k[i], i, key_rehash, k), 0);
	for (uint32_t i = 0; i < 4; i++)
		ASSERT_UEQ(find(&h, k, k[i]), i);
	ASSERT_UEQ(find(&h, k, 0x4444444412345678ULL), HMAP_EMPTY);
	ASSERT_EQ(hmap_del(&h, k[1], 1), 0);
	ASSERT_UEQ(find(&h, k, k[1]), HMAP_EMPTY);
	ASSERT_UEQ(find(&h, k, k[2]), 2);
	ASSERT_EQ(hmap_set(&h, k[2], 2, 1), 0);
	k[1] = k[2];
	ASSERT_UEQ(find(&h, k, k[2]), 1);
	ASSERT_EQ(hmap_del(&h, k[2], 2), -1);
	hmap_release(&h);
}

/* xorshift64: the same keys every run. */
static uint64_t
xorshift(uint64_t x)
{
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

TEST(hmap_grow_keeps_all)
{
	static uint64_t	 k[50000];
	struct hmap	 h;
	uint64_t	 x = 0x9e3779b97f4a7c15ULL;

	hmap_init(&h);
	for (uint32_t i = 0; i < 50000; i++) {
		x = xorshift(x);
		/* every fourth shares its low half with the one before */
		k[i] = (i % 4 == 3) ? (k[i - 1] & 0xffffffffULL) | (x << 32) : x;
		ASSERT_EQ(hmap_put(&h, k[i], i, key_rehash, k), 0);
	}
	ASSERT_UEQ(h.live, 50000);
	ASSERT(h.used * HMAP_LOAD_DEN <= h.cap * HMAP_LOAD_NUM &&
	    (h.cap & (h.cap - 1)) == 0);
	for (uint32_t i = 0; i < 50000; i += 7)
		ASSERT_UEQ(find(&h, k, k[i]), i);
	for (uint32_t i = 0; i < 50000; i += 2)
		ASSERT_EQ(hmap_del(&h, k[i], i), 0);
	for (uint32_t i = 0; i < 50000; i++)
		ASSERT_UEQ(find(&h, k, k[i]), i % 2 ? i : HMAP_EMPTY);
	hmap_release(&h);
}

TEST(hmap_100k_in_131072)
{
	/*
	 * 100,000 services make five indexes of 100,000 keys in the engine:
	 * each fits in 131,072 slots (1 MiB), not 262,144.
	 */
	static uint64_t	 k[100000];
	struct hmap	 h;
	uint64_t	 x = 0x243f6a8885a308d3ULL;

	hmap_init(&h);
	for (uint32_t i = 0; i < 100000; i++) {
		x = xorshift(x);
		k[i] = x;
		ASSERT_EQ(hmap_put(&h, k[i], i, key_rehash, k), 0);
	}
	ASSERT_UEQ(h.cap, 131072);
	for (uint32_t i = 0; i < 100000; i += 3)
		ASSERT_UEQ(find(&h, k, k[i]), i);
	ASSERT_UEQ(find(&h, k, 0x5555555555555555ULL), HMAP_EMPTY);
	/* Deleting and adding back leaves tombstones that a rehash clears. */
	for (uint32_t r = 0; r < 4; r++) {
		for (uint32_t i = 0; i < 100000; i += 2)
			ASSERT_EQ(hmap_del(&h, k[i], i), 0);
		for (uint32_t i = 0; i < 100000; i += 2)
			ASSERT_EQ(hmap_put(&h, k[i], i, key_rehash, k), 0);
	}
	ASSERT_UEQ(h.live, 100000);
	ASSERT_UEQ(h.cap, 131072);
	for (uint32_t i = 0; i < 100000; i++)
		ASSERT_UEQ(find(&h, k, k[i]), i);
	hmap_release(&h);
}

TEST(hmap_values_24_bits)
{
	/* A value must leave the two marks of a free slot: refused, not lost. */
	uint64_t	 k[1] = { 0xabcdef0123456789ULL };
	struct hmap	 h;

	ASSERT_UEQ(HMAP_MAXVAL, (1u << 24) - 3);
	hmap_init(&h);
	ASSERT_EQ(hmap_put(&h, k[0], HMAP_MAXVAL + 1, key_rehash, k), -1);
	ASSERT_EQ(hmap_put(&h, k[0], HMAP_MAXVAL + 2, key_rehash, k), -1);
	ASSERT_EQ(hmap_put(&h, k[0], 0, key_rehash, k), 0);
	ASSERT_EQ(hmap_set(&h, k[0], 0, HMAP_MAXVAL + 1), -1);
	ASSERT_UEQ(find(&h, k, k[0]), 0);
	ASSERT_EQ(hmap_set(&h, k[0], 0, HMAP_MAXVAL), 0);
	ASSERT_EQ(hmap_del(&h, k[0], HMAP_MAXVAL), 0);
	ASSERT_UEQ(h.live, 0);
	ASSERT_EQ(hmap_reserve(&h, (size_t)HMAP_MAXVAL + 2, key_rehash, k), -1);
	hmap_release(&h);
}

TEST(hmap_reserve_sizes_once)
{
	/*
	 * Restoring 100,000 records sizes the index once: the puts that
	 * follow never grow it, and what was there before is kept.
	 */
	static uint64_t	 k[100000];
	struct hmap	 h;
	uint32_t	*s;
	uint64_t	 x = 0x452821e638d01377ULL;

	hmap_init(&h);
	for (uint32_t i = 0; i < 100000; i++) {
		x = xorshift(x);
		k[i] = x;
	}
	for (uint32_t i = 0; i < 10; i++)
		ASSERT_EQ(hmap_put(&h, k[i], i, key_rehash, k), 0);
	ASSERT_EQ(hmap_reserve(&h, 100000, key_rehash, k), 0);
	ASSERT_UEQ(h.cap, 131072);
	s = h.s;
	for (uint32_t i = 0; i < 10; i++)
		ASSERT_UEQ(find(&h, k, k[i]), i);
	for (uint32_t i = 10; i < 100000; i++)
		ASSERT_EQ(hmap_put(&h, k[i], i, key_rehash, k), 0);
	ASSERT(h.s == s);
	ASSERT_UEQ(h.cap, 131072);
	/* Reserving less than is held changes nothing. */
	ASSERT_EQ(hmap_reserve(&h, 16, key_rehash, k), 0);
	ASSERT(h.s == s);
	for (uint32_t i = 0; i < 100000; i += 5)
		ASSERT_UEQ(find(&h, k, k[i]), i);
	hmap_release(&h);
}

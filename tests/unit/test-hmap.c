/* test-hmap.c: the index keeps 32 bits of each hash; eq() tells keys apart. */
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

static uint32_t
find(const struct hmap *h, const uint64_t *k, uint64_t want)
{
	struct keys	 c = { k, want };

	return hmap_find(h, want, key_eq, &c);
}

TEST(hmap_slot_size)
{
	/* 8 bytes a slot: 100,000 entries in 262,144 slots take 2 MiB, not 3. */
	ASSERT_EQ(sizeof(struct hmap_slot), 8);
}

TEST(hmap_same_low_bits)
{
	/* Three hashes alike in their low 32 bits, and one that is not. */
	uint64_t	 k[4] = { 0x1111111112345678ULL, 0x2222222212345678ULL,
			    0x3333333312345678ULL, 0x12345679ULL };
	struct hmap	 h;

	hmap_init(&h);
	for (uint32_t i = 0; i < 4; i++)
		ASSERT_EQ(hmap_put(&h, k[i], i), 0);
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
		ASSERT_EQ(hmap_put(&h, k[i], i), 0);
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
		ASSERT_EQ(hmap_put(&h, k[i], i), 0);
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
			ASSERT_EQ(hmap_put(&h, k[i], i), 0);
	}
	ASSERT_UEQ(h.live, 100000);
	ASSERT_UEQ(h.cap, 131072);
	for (uint32_t i = 0; i < 100000; i++)
		ASSERT_UEQ(find(&h, k, k[i]), i);
	hmap_release(&h);
}

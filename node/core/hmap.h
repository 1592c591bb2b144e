/* hmap.h: an open-addressing index from 64-bit hashes to 24-bit slot numbers. */
#ifndef RPN_HMAP_H
#define RPN_HMAP_H

#include <stddef.h>
#include <stdint.h>

/*
 * The index stores values only, each with 8 bits of its hash beside it;
 * callers keep their objects in their own arrays and confirm a candidate
 * with their own comparison (eq), so colliding hashes cost one extra
 * comparison and nothing else.  A slot is 4 bytes, not 8: at 100,000
 * services the engine holds five indexes of 131,072 slots (2.5 MiB
 * less).  The price is that the slot no longer knows its hash, so growing
 * the index asks the caller for the hash of each value it holds: every
 * call that may grow the index (hmap_put, hmap_reserve) takes a rehash
 * function and its context, and every value in the index must still
 * name an object the caller can hash at that moment.
 *
 * The limit: a value is below 2^24 - 2 (HMAP_MAXVAL and under; the two
 * values above mark free slots).  hmap_put refuses a larger one (-1), so
 * a caller whose array could pass 16,777,213 entries refuses the entry
 * that does not fit rather than losing it.
 */
struct hmap {
	uint32_t	*s;		/* tag << 24 | value */
	size_t		 cap;		/* power of two */
	size_t		 used;		/* live + tombstones */
	size_t		 live;
};

/* The most an index is filled (live and tombstones) before it grows. */
#define HMAP_LOAD_NUM	5
#define HMAP_LOAD_DEN	6

#define HMAP_VALBITS	24
#define HMAP_MAXVAL	((1u << HMAP_VALBITS) - 3)
/* What hmap_find returns when nothing matches. */
#define HMAP_EMPTY	UINT32_MAX

/* eq: is the object at val the one looked for?  Never NULL. */
typedef int (*hmap_eq_fn)(const void *ctx, uint32_t val);
/* rehash: the hash the object at val was put with. */
typedef uint64_t (*hmap_rehash_fn)(const void *ctx, uint32_t val);

void		hmap_init(struct hmap *);
void		hmap_release(struct hmap *);
int		hmap_reserve(struct hmap *, size_t n, hmap_rehash_fn,
		    const void *ctx);
int		hmap_put(struct hmap *, uint64_t hash, uint32_t val,
		    hmap_rehash_fn, const void *ctx);
uint32_t	hmap_find(const struct hmap *, uint64_t hash, hmap_eq_fn,
		    const void *ctx);
int		hmap_del(struct hmap *, uint64_t hash, uint32_t val);
int		hmap_set(struct hmap *, uint64_t hash, uint32_t oldval,
		    uint32_t newval);
uint64_t	hmap_hash(const void *, size_t);
uint64_t	hmap_hash2(const void *, size_t, const void *, size_t);

#endif

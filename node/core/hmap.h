/* hmap.h: an open-addressing index from 64-bit hashes to 32-bit slot numbers. */
#ifndef RPN_HMAP_H
#define RPN_HMAP_H

#include <stddef.h>
#include <stdint.h>

/*
 * The index stores (hash, value) pairs only; callers keep their objects in
 * their own arrays and confirm a candidate with their own comparison, so
 * colliding hashes are handled by the caller's eq() and cost one extra probe.
 * A slot keeps 32 bits of the hash (8 bytes a slot, not 12: at 100,000
 * services the engine holds five such indexes), so eq() is what decides:
 * two keys share those bits once in about 2^32 / cap lookups, and a caller
 * whose values are hashes (the seen set) compares the whole hash there.
 */
struct hmap_slot {
	uint32_t	 hash;		/* low 32 bits of the 64-bit hash */
	uint32_t	 val;		/* HMAP_EMPTY / HMAP_GONE mark free slots */
};

struct hmap {
	struct hmap_slot *s;
	size_t		 cap;		/* power of two, at most 2^32 */
	size_t		 used;		/* live + tombstones */
	size_t		 live;
};

/* The most an index is filled (live and tombstones) before it grows. */
#define HMAP_LOAD_NUM	5
#define HMAP_LOAD_DEN	6

#define HMAP_EMPTY	UINT32_MAX
#define HMAP_GONE	(UINT32_MAX - 1)

/* eq: is the object at val the one looked for?  Never NULL. */
typedef int (*hmap_eq_fn)(const void *ctx, uint32_t val);

void		hmap_init(struct hmap *);
void		hmap_release(struct hmap *);
int		hmap_put(struct hmap *, uint64_t hash, uint32_t val);
uint32_t	hmap_find(const struct hmap *, uint64_t hash, hmap_eq_fn,
		    const void *ctx);
int		hmap_del(struct hmap *, uint64_t hash, uint32_t val);
int		hmap_set(struct hmap *, uint64_t hash, uint32_t oldval,
		    uint32_t newval);
uint64_t	hmap_hash(const void *, size_t);
uint64_t	hmap_hash2(const void *, size_t, const void *, size_t);

#endif

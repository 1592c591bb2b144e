/* store.h: the record store: per-author versioned signed records (Scuttlebutt-style). */
#ifndef RPN_STORE_H
#define RPN_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "node/core/hmap.h"
#include "proto/envelope.h"
#include "proto/wire.h"

/*
 * Every record belongs to one author and has a key (kind, key bytes) within
 * that author's space.  Versions come from the author's own monotonic counter,
 * so a newer version of a key replaces the older one, and a peer's digest of
 * (author, newest version, set hash) says exactly which records it lacks.
 */
struct rec {
	/*
	 * Its author's id, held by the store's struct author (allocated on
	 * its own, so it does not move, and dropped only once it has no
	 * records): 8 bytes a record rather than the 32 of a copy, 100k
	 * records being 2.3 MiB of the engine at 100,000 services.
	 */
	const uint8_t	*author;
	/*
	 * Its envelope without the magic byte and the author, which every
	 * envelope repeats and the author above holds: the signature, then
	 * the body (then the key, REC_KEY_AFTER).  33 bytes a record less
	 * (3.2 MiB at 100,000 services, twice that once each has a health
	 * record).  rec_body() reads the body, rec_envelope() puts the
	 * envelope back together, store_list_add_rec() sends it as one.
	 * NULL: a free slot.
	 */
	uint8_t		*sealed;
	uint64_t	 version;
	uint64_t	 since_ms;	/* when this version was stored */
	/*
	 * Its author's other records (slots; UINT32_MAX: none):
	 * store_foreach_author().  A free slot's anext is the next free one.
	 */
	uint32_t	 anext;
	uint32_t	 aprev;
	/*
	 * 16 bits each, so that a record takes 48 bytes, not 56 (1 MiB at
	 * 100,000 services): an envelope is at most WIRE_MAX_RECORD bytes,
	 * and the flags a record can carry are REC_F_DELETED and
	 * NODE_F_LEFT (the store reads only the first; the envelope holds
	 * the record's flags as signed, all 32 bits).
	 */
	uint16_t	 envlen;	/* the whole envelope's, as sent */
	uint16_t	 keyoff;	/* where its key is in sealed: rec_key() */
	uint16_t	 flags;
	uint8_t		 kind;
	uint8_t		 keylen;
};

/* What an envelope starts with that the store does not keep: magic, author. */
#define REC_UNSTORED	(1 + WIRE_KEY)

/*
 * A record's key is the same bytes somewhere in its envelope (a service's
 * name is in its body), so it is found there rather than copied: keyoff.
 * When it is not there (or not within 64 KiB), it is kept right after
 * the envelope, in the same allocation (REC_KEY_AFTER).
 */
#define REC_KEY_AFTER	UINT16_MAX

static inline const uint8_t *
rec_key(const struct rec *r)
{
	return r->sealed + (r->keyoff == REC_KEY_AFTER ?
	    r->envlen - REC_UNSTORED : r->keyoff);
}

/* rec_body - the signed body of a record's envelope (env_peek()'s). */
static inline const uint8_t *
rec_body(const struct rec *r, size_t *len)
{
	*len = r->envlen - ENV_HDR;
	return r->sealed + WIRE_SIG;
}

void	rec_envelope(const struct rec *, uint8_t *out);

struct author {
	uint8_t		 id[WIRE_KEY];
	uint64_t	 maxver;
	uint64_t	 sethash;	/* XOR of h(kind, key, version) */
	uint64_t	 term;		/* its part of the store's hash, while nrecs > 0 */
	uint64_t	 floor;		/* from its node record: below it, other records are void */
	uint32_t	 nrecs;
	uint32_t	 head;		/* its newest-added record's slot (UINT32_MAX: none) */
};

struct store {
	struct rec	*recs;
	uint32_t	 nslots;
	uint32_t	 cap;
	uint32_t	 free_head;
	uint32_t	 live;
	uint32_t	 tombstones;	/* of the live slots, how many delete */
	struct hmap	 ridx;
	struct author	**auth;		/* each allocated alone: records point at its id */
	uint32_t	 nauth;
	uint32_t	 capauth;
	struct hmap	 aidx;
	uint64_t	 hash;		/* summary carried on every ping and ack */
	uint64_t	 sum;
	int		 gc_due;	/* a tombstone may be below its author's floor */
};

enum store_put_result {
	/* or an envelope above WIRE_MAX_RECORD, or not one of author's */
	STORE_NOMEM	= -1,
	STORE_STALE	= 0,	/* not newer than what is held (or below the floor) */
	STORE_NEW	= 1,
};

void	store_init(struct store *);
void	store_release(struct store *);
int	store_reserve(struct store *, uint32_t n);
const struct rec *store_get(const struct store *, const uint8_t author[WIRE_KEY],
	    uint8_t kind, const uint8_t *key, size_t keylen);
const struct author *store_author(const struct store *,
	    const uint8_t id[WIRE_KEY]);
int	store_is_newer(const struct store *, const uint8_t author[WIRE_KEY],
	    const struct rec_head *);
int	store_put(struct store *, const uint8_t author[WIRE_KEY],
	    const struct rec_head *, const uint8_t *env, size_t envlen,
	    uint64_t now_ms);
void	store_remove_author(struct store *, const uint8_t author[WIRE_KEY]);
size_t	store_gc(struct store *);
void	store_set_floor(struct store *, const uint8_t author[WIRE_KEY],
	    uint64_t floor);
uint32_t store_digest(const struct store *, struct wire_digest_ent *, uint32_t max);

typedef int (*store_cb)(void *ctx, const struct rec *);
int	store_delta(const struct store *, const struct wire_digest_ent *peer,
	    uint32_t npeer, store_cb, void *ctx);
int	store_foreach(const struct store *, store_cb, void *ctx);
int	store_foreach_author(const struct store *, const uint8_t author[WIRE_KEY],
	    store_cb, void *ctx);

/*
 * Signed envelopes gathered for one message or file, borrowed from the
 * store (valid while it is unchanged): as wire_items_encode() takes them,
 * a stored record as its author and the rest (store_list_add_rec()), any
 * other envelope whole (store_list_add(), its author NULL).
 */
struct store_list {
	const uint8_t	**authors;
	const uint8_t	**items;
	size_t		 *lens;
	uint32_t	  n;
	uint32_t	  capauthors;
	uint32_t	  capitems;
	uint32_t	  caplens;
};

int	store_list_add(struct store_list *, const uint8_t *env, size_t len);
int	store_list_add_rec(struct store_list *, const struct rec *);
void	store_list_release(struct store_list *);

#endif

/* state.h: what survives a restart: identity in the mesh, counter, and every held record. */
#ifndef RPN_STATE_H
#define RPN_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "node/core/mesh.h"

#define STATE_FILE	"state"
#define STATE_MAX	(256u << 20)
#define STATE_MAX_PROOFS 65536	/* members with proven addresses */
#define STATE_MAC	32	/* BLAKE2b-256 */

/*
 * How far a loaded file is trusted (state_unwrap): an authenticated file
 * was written by this node with its key, so its records were verified when
 * they arrived and are restored without checking their signatures again;
 * any other file's records are verified one by one, as if just received.
 */
enum state_trust {
	STATE_OLD,		/* format 1: no MAC (written before there was one) */
	STATE_TRUSTED,		/* the MAC checks with this node's key */
	STATE_MAC_BAD,		/* a MAC that does not check: altered, or another key's */
	STATE_UNCHECKED,	/* no key was given to check it with */
};

/* A member's addresses this node had proven when it saved (claims.c). */
struct state_proof {
	uint8_t		 id[WIRE_KEY];
	struct wire_addr addrs[WIRE_MAX_ADDRS];
	uint8_t		 naddrs;
};

struct state_snap {
	char		 name[WIRE_NAME_MAX + 1];
	struct wire_addr adv[WIRE_MAX_ADDRS];
	uint8_t		 nadv;
	int		 joined;
	uint8_t		 root[WIRE_KEY];
	struct wire_cert chain[WIRE_MAX_CHAIN];
	uint8_t		 nchain;
	int		 has_token;
	uint8_t		 token[WIRE_KEY];
	int		 left;
	uint64_t	 counter;
	struct wire_items records;
	struct state_proof *proofs;	/* NULL in a file without them */
	uint32_t	 nproofs;
	enum state_trust trust;
};

int	state_encode(struct buf *, const struct mesh *,
	    const struct wire_addr *adv, uint8_t nadv);
int	state_decode(const uint8_t *, size_t, struct state_snap *);
void	state_mac_key(uint8_t key[STATE_MAC], const uint8_t sk[SECRET_KEY]);
int	state_wrap(struct buf *, const uint8_t *payload, size_t len,
	    const uint8_t key[STATE_MAC]);
int	state_unwrap(const uint8_t *, size_t, const uint8_t key[STATE_MAC],
	    const uint8_t **payload, size_t *len);
int	state_decode_file(const uint8_t *, size_t, const uint8_t key[STATE_MAC],
	    struct state_snap *);
int	state_decode_file_in(uint8_t *, size_t, const uint8_t key[STATE_MAC],
	    struct state_snap *);
void	state_snap_release(struct state_snap *);
int	state_save(int dirfd, const struct mesh *, const struct wire_addr *adv,
	    uint8_t nadv, char *err, size_t errlen);
int	state_load(int dirfd, const uint8_t sk[SECRET_KEY], struct state_snap *,
	    int *absent, char *err, size_t errlen);

#endif

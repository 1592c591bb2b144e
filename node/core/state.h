/* state.h: what survives a restart: identity in the mesh, counter, and every held record. */
#ifndef RPN_STATE_H
#define RPN_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "node/core/mesh.h"

#define STATE_FILE	"state"
#define STATE_MAX	(256u << 20)
#define STATE_MAX_PROOFS 65536	/* members with proven addresses */

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
};

int	state_encode(struct buf *, const struct mesh *,
	    const struct wire_addr *adv, uint8_t nadv);
int	state_decode(const uint8_t *, size_t, struct state_snap *);
void	state_snap_release(struct state_snap *);
int	state_save(int dirfd, const struct mesh *, const struct wire_addr *adv,
	    uint8_t nadv, char *err, size_t errlen);
int	state_load(int dirfd, struct state_snap *, int *absent, char *err,
	    size_t errlen);

#endif

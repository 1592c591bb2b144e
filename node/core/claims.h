/* claims.h: what a member says about itself, checked: its addresses proven, its LAN prefixes judged (pure). */
#ifndef RPN_CLAIMS_H
#define RPN_CLAIMS_H

#include <stdint.h>

#include "proto/wire.h"

/* Challenges of an address that has not answered: 1 s, 2 s, 4 s, ... 60 s apart. */
#define CLAIM_RETRY_MIN_MS	1000
#define CLAIM_RETRY_MAX_MS	60000

/*
 * One address a member advertises, and whether this node has seen that it
 * is the member's: authenticated traffic from it, or an answer from it to
 * a challenge sent to it.
 */
struct claim {
	struct wire_addr addr;		/* as advertised: the port is where a challenge goes */
	uint8_t		 proven;
	uint8_t		 quiet;		/* not worth a challenge (the caller says) */
	uint64_t	 next_try;	/* when to challenge it next */
	uint32_t	 backoff;
};

/*
 * A member's advertised addresses, as its newest node record lists them,
 * and the last source address its authenticated traffic came from (which
 * may come before the record that lists it).
 */
struct claims {
	struct claim	 a[WIRE_MAX_ADDRS];
	uint8_t		 n;
	struct wire_addr seen;		/* family 0: nothing seen */
};

/*
 * A member's claims are allocated on first use (mb_claims()): the readers,
 * claims_restore(), claims_due() and claims_next_due() take NULL for
 * claims that are empty.
 */
int	claims_advertised(struct claims *, const struct wire_addr *, uint8_t n,
	    uint64_t first_try);
int	claims_seen(struct claims *, const struct wire_addr *src, uint64_t now);
int	claims_proven(const struct claims *, const struct wire_addr *);
int	claims_restore(struct claims *, const struct wire_addr *);
uint32_t claims_due(struct claims *, uint64_t now, struct wire_addr *out,
	    uint8_t *dgram, uint32_t max);
uint64_t claims_next_due(const struct claims *);
uint32_t claims_unproven(const struct claims *);
uint8_t	claims_nproven(const struct claims *);

/* Why a LAN prefix of another member needs an operator's approval (0: it does not). */
enum lan_verdict {
	LAN_OK = 0,
	LAN_NOT_PRIVATE,	/* outside RFC 1918 and RFC 6598 (IPv6: fc00::/7) */
	LAN_TOO_SHORT,		/* shorter than /16 (IPv6: /48) */
	LAN_OVERLAPS,		/* holds another member's advertised address */
};

enum lan_verdict lan_needs_approval(const struct wire_prefix *,
	    const struct wire_addr *others, uint32_t nothers);
const char *lan_verdict_name(enum lan_verdict);

#endif

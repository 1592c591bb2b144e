/*
 * dpreport.h: on how many members a service is programmed: each node
 * publishes a signed digest of the service table its kernel holds
 * (REC_PROGRAMMED, docs/protocol.md §2.7), and counts the others'
 * against its own recent digests (dpreport.c).
 */
#ifndef RPN_DPREPORT_H
#define RPN_DPREPORT_H

#include <stdint.h>

struct engine;

/*
 * The members that count, once per reply: of = live members (alive or
 * suspect, not revoked, this node included), and for each other one the
 * generation of this node's digest its own matches (0: none).
 */
struct dpreport_peers {
	uint32_t	*gens;
	uint32_t	 n;
	uint32_t	 of;
	int		 self;		/* this node is a live member */
};

/* Publish this node's digest if it changed, at most once a second:
 * the engine time it may publish next, or UINT64_MAX. */
uint64_t dpreport_publish(struct engine *);
int	dpreport_peers(struct engine *, struct dpreport_peers *);
void	dpreport_peers_release(struct dpreport_peers *);
/*
 * How many of p->of members hold port key as this node programs it now;
 * the caller has checked that it is programmed here (dpsync_programmed(),
 * a plan's worth of work it need not do twice).
 */
uint32_t dpreport_count(const struct engine *, const struct dpreport_peers *,
	    uint32_t key);

#endif

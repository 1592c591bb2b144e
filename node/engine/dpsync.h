/* dpsync.h: the engine's side of the data plane: desired state out, programmed state back. */
#ifndef RPN_DPSYNC_H
#define RPN_DPSYNC_H

#include <stdint.h>

#include "node/core/dataplane.h"
#include "node/core/hmap.h"
#include "node/core/histogram.h"
#include "node/core/services.h"
#include "node/core/store.h"

struct engine;
struct state_proof;

/*
 * What was last sent for one (protocol, port), and whether it was
 * programmed: only a hash of the request is kept (the parent has the
 * request itself in its mirror).
 */
struct dp_sent {
	uint32_t	 key;
	uint32_t	 seq;		/* transaction it went out in */
	uint64_t	 hash;		/* of the packed request; 0: nothing */
	int		 acked;		/* the parent committed it */
	uint32_t	 cgen;		/* digest generation where committed last changed */
	uint64_t	 term;		/* digest term of what was sent (dp_term()) */
	uint64_t	 committed;	/* ... of what the kernel holds; 0: nothing */
	uint64_t	 arrived;	/* hrtime a record for it arrived; 0: none waiting */
};

/* This node's digests of its kernel's service table, newest last (dpreport.c). */
#define DP_DIGESTS	64

struct dp_digest {
	uint32_t	 gen;
	uint32_t	 services;
	uint64_t	 digest;
};

struct dpsync {
	struct svc_table svcs;
	struct dp_sent	*sent;
	uint32_t	 nsent;
	uint32_t	 capsent;
	struct hmap	 sentidx;
	uint32_t	*members;	/* member addresses as last sent */
	uint32_t	 nmembers;
	struct dp_prefix *lans;		/* LAN prefixes as last sent, sorted */
	uint32_t	 nlans;
	int		 members_dirty;
	int		 need_full;
	uint32_t	 seq;
	uint32_t	 inflight;	/* seq awaiting a result, 0 if none */
	uint32_t	 last_usec;
	uint32_t	 last_changes;
	int32_t		 last_err;
	uint64_t	 commits;
	struct dp_state	 kernel;	/* the parent's word on the table */
	/*
	 * Whether an operator approved a LAN prefix that another member
	 * advertises and that lan_needs_approval() holds back (NULL: none
	 * is).  Called while the sets are computed; set_lan_approval() wants
	 * them computed again.
	 */
	int		(*lan_approved)(void *ctx, const uint8_t node[32],
			    const struct wire_prefix *);
	void		*lan_approved_ctx;
	uint64_t	 challenge_at;	/* when to look for addresses to challenge */
	uint32_t	 addrs_unproven;	/* other members' addresses left out now */
	uint32_t	 lans_unapproved;	/* other members' LAN prefixes left out now */

	/*
	 * Programming latency (metrics.c): records stamp their port (or the
	 * sets) when they arrive; the parent's ack of the transaction that
	 * carried the change observes the time since.
	 */
	struct histogram prog;
	uint32_t	*stamped;	/* keys with an arrival waiting */
	uint32_t	 nstamped;
	uint32_t	 capstamped;
	uint64_t	 sets_arrived;	/* a node record changed the sets */
	uint32_t	 sets_seq;	/* the transaction that carries them */
	uint32_t	 failed_seq;	/* the kernel refused it; repaired later */
	int		 inflight_full;
	uint64_t	 inflight_at;	/* uv_hrtime() when it began, for the debug log */
	uint32_t	*flight;	/* sent[] slots in the transaction in flight */
	uint32_t	 nflight;
	uint32_t	 capflight;
	uint64_t	 csum;		/* sum of every sent[].committed */
	uint32_t	 ncommitted;	/* sent[] with committed != 0 */

	/* What the kernel holds, as a digest (dpreport.c, docs/protocol.md §2.7). */
	uint64_t	 digest;	/* sum of committed terms, held ports left out */
	uint32_t	 ndigest;	/* ports in it */
	uint32_t	 gen;		/* bumped when the digest changes */
	int		 digest_ok;	/* the kernel holds the mirror (state ok) */
	int		 digest_dirty;
	struct dp_digest hist[DP_DIGESTS];	/* ring, oldest first from hpos */
	uint32_t	 hpos;
	uint32_t	 nhist;
	struct dp_digest pub;		/* what this node last published */
	uint64_t	 pub_at;	/* engine ms */
	int		 pub_done;
};

void	dpsync_init(struct engine *);
void	dpsync_reset(struct engine *);
void	dpsync_release(struct engine *);
void	dpsync_on_record(void *ctx, const struct rec *);
void	dpsync_on_forget(void *ctx, const uint8_t author[32]);
int	dpsync_check_service(void *ctx, const uint8_t author[32],
	    const struct rec_service *, char *err, size_t errlen);
void	dpsync_on_policy(void *ctx);
void	dpsync_member_changed(struct engine *, const uint8_t id[32]);
void	dpsync_seen(struct engine *, const uint8_t id[32],
	    const struct wire_addr *);
void	dpsync_challenge(struct engine *);
void	dpsync_restore_proofs(struct engine *, const struct state_proof *,
	    uint32_t);
void	dpsync_set_lan_approval(struct engine *,
	    int (*)(void *, const uint8_t[32], const struct wire_prefix *),
	    void *);
void	dpsync_flush(struct engine *);
void	dpsync_result(struct engine *, const struct dp_result *);
void	dpsync_state(struct engine *, const struct dp_state *);
int	dpsync_held(const struct engine *, uint32_t key);
int	dpsync_programmed(const struct engine *, uint32_t key);
void	dpsync_to_req(const struct svc_plan *, struct dp_svc *);
void	dpsync_plan(const struct engine *, uint32_t key, struct svc_plan *);
const struct dp_sent *dpsync_sent(const struct engine *, uint32_t key);

#endif

/* dpsync.h: the engine's side of the data plane: desired state out, programmed state back. */
#ifndef RPN_DPSYNC_H
#define RPN_DPSYNC_H

#include <stdint.h>

#include "node/core/dataplane.h"
#include "node/core/hmap.h"
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

#endif

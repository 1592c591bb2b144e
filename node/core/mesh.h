/* mesh.h: one node's view of its mesh: identity, admission, records and members; no I/O. */
#ifndef RPN_MESH_H
#define RPN_MESH_H

#include <stddef.h>
#include <stdint.h>

#include "node/core/bcast.h"
#include "node/core/membership.h"
#include "node/core/policy.h"
#include "node/core/store.h"
#include "proto/token.h"
#include "proto/wire.h"

struct mesh_config {
	struct mb_config mb;
	uint32_t	 retransmit_mult;
	uint64_t	 tombstone_ttl_ms;
	uint64_t	 invite_grace_ms;	/* expired invites are kept this long */
	uint32_t	 max_records_per_author;
};

void	mesh_config_default(struct mesh_config *);

/* What happened to one signed record offered to mesh_accept(). */
enum acc {
	ACC_NEW,
	ACC_DUP,		/* seen moments ago; not even verified again */
	ACC_STALE,		/* not newer than what is held: a replay or a late copy */
	ACC_FORGED,		/* signature does not verify: forged or tampered */
	ACC_MALFORMED,		/* signed, but the body breaks the format */
	ACC_NOT_MEMBER,		/* no admission chain to this mesh's root */
	ACC_LIMIT,		/* the author holds too many records */
	ACC_NOMEM,
	ACC_REFUSED,		/* a member's record that the policy does not allow */
	ACC_REVOKED,		/* from a revoked node */
	ACC_NOT_OPERATOR,	/* a statement its signer may not make */
	ACC_NUM
};

extern const char *const acc_names[ACC_NUM];

#define SEEN_SLOTS	4096

struct seen {
	uint64_t	 ring[SEEN_SLOTS];
	uint32_t	 pos;
	uint32_t	 n;
	struct hmap	 idx;
};

struct used_token {
	uint8_t		 token[WIRE_KEY];
	uint8_t		 subject[WIRE_KEY];
	int		 subject_left;	/* it left since: no retry */
};

struct reaped {
	uint8_t		 id[WIRE_KEY];
	uint64_t	 inc;
	uint64_t	 until;
};

struct mesh {
	struct mesh_config cfg;
	uint8_t		 sk[SECRET_KEY];
	uint8_t		 id[WIRE_KEY];

	int		 joined;
	uint8_t		 root[WIRE_KEY];
	uint8_t		 mesh_id[WIRE_MESH_ID];
	struct wire_cert chain[WIRE_MAX_CHAIN];
	uint8_t		 nchain;
	int		 has_token;
	uint8_t		 via_token[WIRE_KEY];
	int		 left;

	char		 name[WIRE_NAME_MAX + 1];
	struct wire_addr addrs[WIRE_MAX_ADDRS];
	uint8_t		 naddrs;
	struct wire_prefix lans[WIRE_MAX_LANS];	/* this site's networks */
	uint16_t	 nlans;

	uint64_t	 version;	/* this node's record counter */
	uint64_t	 floor;		/* our records below it are void (compaction) */
	uint8_t		*self_env;	/* our current node record */
	uint32_t	 self_envlen;

	struct store	 store;
	struct membership mb;
	struct bcast	 bc;
	struct seen	 seen;

	struct used_token *used;
	uint32_t	 nused;
	uint32_t	 capused;
	struct reaped	*reaped;
	uint32_t	 nreaped;
	uint32_t	 capreaped;

	/* A chain of pulls (mesh_pull_done(), mesh_pull_due()). */
	uint64_t	 pull_at;	/* the next pull is due; 0: none */
	uint64_t	 pull_last;	/* the chain's last pull started */
	uint8_t		 pull_from[WIRE_KEY];	/* the peer of the one before */

	uint64_t	 counters[ACC_NUM];
	uint64_t	 links_checked;	/* admission links whose signature was checked */
	struct policy	 pol;		/* from the operator statements held */
	char		 why[200];	/* why the last record was refused */

	/*
	 * May author publish this service record?  0, or -1 with the reason
	 * in err: the service table lives with the caller (services.c).
	 */
	int		(*check_service)(void *ctx, const uint8_t author[WIRE_KEY],
			    const struct rec_service *, char *err,
			    size_t errlen);
	/* Told when the policy changed (a statement was accepted). */
	void		(*on_policy)(void *ctx);

	/*
	 * Told of every record stored (new or replaced) and of every author
	 * forgotten, so derived tables (services) follow the store.
	 */
	void		(*on_record)(void *ctx, const struct rec *);
	void		(*on_forget)(void *ctx, const uint8_t author[WIRE_KEY]);
	void		*hook_ctx;
	int		 dirty;		/* records changed since the caller last looked */
	uint64_t	 self_published;	/* now_ms of our newest node record */
	uint64_t	 next_housekeeping;
	uint64_t	 seed;
	uint32_t	 life;		/* mesh_forget() counts up: a batch is of one */
};

int	mesh_init(struct mesh *, const struct mesh_config *,
	    const uint8_t sk[SECRET_KEY], const char *name,
	    const struct wire_addr *addrs, uint8_t naddrs, uint64_t seed,
	    uint64_t now);
void	mesh_release(struct mesh *);
void	mesh_forget(struct mesh *, uint64_t now);

void	mesh_set_root(struct mesh *, const uint8_t root[WIRE_KEY]);
int	mesh_found(struct mesh *, const uint8_t root_sk[SECRET_KEY],
	    uint64_t now, uint64_t unix_ms);
int	mesh_adopt(struct mesh *, const uint8_t root[WIRE_KEY],
	    const struct wire_cert *, uint8_t n, const uint8_t token_pub[WIRE_KEY],
	    uint64_t now, uint64_t unix_ms);
int	mesh_set_identity(struct mesh *, const char *name,
	    const struct wire_addr *, uint8_t naddrs);
int	mesh_set_lans(struct mesh *, const struct wire_prefix *, uint32_t n);
int	mesh_publish_self(struct mesh *, uint64_t now, uint64_t unix_ms);
int	mesh_leave(struct mesh *, uint64_t now, uint64_t unix_ms);
int	mesh_invite(struct mesh *, uint64_t ttl_ms, uint64_t now,
	    uint64_t unix_ms, struct token *);
int	mesh_admit_check(struct mesh *, const struct wire_msg *hello,
	    uint64_t unix_ms, uint8_t inviter[WIRE_KEY], char *err,
	    size_t errlen);
int	mesh_token_reserve(struct mesh *, const uint8_t token[WIRE_KEY],
	    const uint8_t joiner[WIRE_KEY], const uint8_t proof[WIRE_SIG],
	    uint64_t unix_ms, char *err, size_t errlen);
void	mesh_token_reserved(struct mesh *, const uint8_t token[WIRE_KEY],
	    const uint8_t joiner[WIRE_KEY]);
int	mesh_admit(struct mesh *, const struct wire_msg *hello, uint64_t unix_ms,
	    struct wire_cert *chain, uint8_t *nchain, char *err, size_t errlen);
int	mesh_publish(struct mesh *, const uint8_t *body, size_t len,
	    uint64_t now);

/* mesh_accept() flags */
#define MESH_RELAY	0x1	/* news heard by gossip: pass it on */
/*
 * From this node's own authenticated state file (state.c): verified when
 * it arrived, so its signature and admission chain are not checked again.
 * Every other rule (membership, policy, freshness, limits) still applies.
 */
#define MESH_TRUSTED	0x2

enum acc mesh_accept(struct mesh *, const uint8_t *env, size_t len,
	    uint64_t now, uint64_t unix_ms, int flags);
void	mesh_accept_items(struct mesh *, const struct wire_items *,
	    uint64_t now, uint64_t unix_ms, int flags, uint64_t *nbad);

/* A batch of records checked in steps (mesh_batch_step()). */
struct mesh_batch {
	struct wire_items items;
	uint8_t		*again;	/* 0, or 1 + the refusal to try again */
	uint32_t	 i;	/* the next item of this pass */
	uint32_t	 nagain;	/* refused for a dependency, this pass */
	uint32_t	 last;		/* ... the pass before */
	int		 pass;		/* 0: first look; 4: done */
	uint32_t	 life;		/* the mesh's, when the batch began */
	uint64_t	 nbad;		/* forged or malformed */
};

int	mesh_batch_start(struct mesh_batch *, const struct mesh *,
	    struct wire_items *);
int	mesh_batch_step(struct mesh *, struct mesh_batch *, uint32_t budget,
	    uint64_t now, uint64_t unix_ms, int flags);
void	mesh_batch_release(struct mesh_batch *);
int	mesh_want_pull(const struct mesh *, struct member *, uint64_t hash,
	    uint64_t sum, int was_failed, uint64_t now);
void	mesh_pull_done(struct mesh *, const uint8_t peer[WIRE_KEY], int news,
	    uint64_t now);
struct member *mesh_pull_due(struct mesh *, uint64_t now);
uint64_t mesh_next_wakeup(const struct mesh *, uint64_t now);
/* At most this many records ride on one probe (mesh_piggyback()). */
#define MESH_MAX_PIGGY	32
uint32_t mesh_piggyback(struct mesh *, const struct member *, uint8_t type,
	    uint64_t now, const uint8_t **items, size_t *lens, size_t budget);
void	mesh_tick(struct mesh *, uint64_t now, uint64_t unix_ms);
uint64_t mesh_next_version(struct mesh *, uint64_t unix_ms);

int	mesh_is_member(const struct mesh *, const uint8_t id[WIRE_KEY]);
const struct used_token *mesh_token_user(const struct mesh *,
	    const uint8_t token[WIRE_KEY]);
uint32_t mesh_retransmit_limit(const struct mesh *);
const char *mesh_member_name(const struct mesh *, const uint8_t id[WIRE_KEY]);

#endif

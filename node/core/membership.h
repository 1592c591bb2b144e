/* membership.h: the SWIM + Lifeguard member table; a pure state machine driven by now_ms. */
#ifndef RPN_MEMBERSHIP_H
#define RPN_MEMBERSHIP_H

#include <stddef.h>
#include <stdint.h>

#include "node/core/claims.h"
#include "node/core/hmap.h"
#include "proto/box.h"
#include "proto/wire.h"

enum mstate {
	M_ALIVE,
	M_SUSPECT,
	M_DEAD,		/* shown as "failed" */
	M_LEFT,
};

#define MB_MAX_K	8
#define MB_RELAYS	64

/* Which of a member's two replay windows (box_windows_check()). */
enum mb_rx_kind {
	MB_RX_DGRAM,
	MB_RX_STREAM,
};

struct member {
	uint8_t		 id[WIRE_KEY];
	int		 self;
	enum mstate	 state;
	int		 revoked;	/* an operator revoked it: left for good */
	uint64_t	 inc;		/* incarnation = version of its node record */
	uint64_t	 since;		/* when it entered its state */
	uint64_t	 last_ack;	/* 0: never */
	uint64_t	 last_heard;	/* its last ping, ack, ping-req or nack; 0: never */
	/* Lifeguard dynamic suspicion */
	uint64_t	 susp_start;
	uint64_t	 susp_deadline;
	uint8_t		 naccusers;
	uint8_t		 accusers[MB_MAX_K + 1][8];
	int		 expedite;
	/*
	 * Carried for the mesh layer; this module does not look at them.
	 * The windows and the claims are allocated on first use
	 * (mb_rx_mark(), mb_claims()): many members of a large mesh have
	 * not sent this node a box yet, few open a stream to it, and the
	 * simulator never proves an address, so an entry stays small
	 * until they do.
	 */
	char		 name[WIRE_NAME_MAX + 1];
	struct wire_addr addr;
	uint8_t		 pairkey[32];
	int		 haskey;
	uint8_t		 chain_ok[16];	/* hash of the admission chain verified */
	uint8_t		*notice;	/* newest signed suspect/dead claim about it */
	uint32_t	 noticelen;
	uint64_t	 last_pull;	/* when we last asked it for records */
	/* Stamps of its boxes seen here, by kind (NULL: none yet). */
	struct box_window *rx_dgram;
	struct box_window *rx_stream;
	/* Its advertised addresses, and which of them it has proven here. */
	struct claims	*claims;	/* NULL: none advertised or seen */
};

struct mb_config {
	uint32_t	 probe_interval_ms;
	uint32_t	 probe_timeout_ms;
	uint32_t	 indirect_checks;
	uint32_t	 susp_mult_pct;	/* min timeout = pct/100 * max(1,log10 n) * interval */
	uint32_t	 susp_max_mult;	/* max timeout = mult * min */
	uint32_t	 susp_k;	/* confirmations that bring the timeout to min */
	uint32_t	 awareness_max;	/* Lifeguard local health multiplier ceiling */
	uint64_t	 reap_after_ms;
	/*
	 * A try to reach a failed member (one ping) every reconnect_ms on
	 * average; every reconnect_fast_ms while a member failed less than
	 * reconnect_recent_ms ago, and then at such a member: a partition
	 * that ends soon after it began heals in seconds, and a member that
	 * stays dead costs fast tries for a while only.
	 */
	uint32_t	 reconnect_ms;
	uint32_t	 reconnect_fast_ms;
	uint64_t	 reconnect_recent_ms;
};

void	mb_config_default(struct mb_config *);

enum mb_act_type {
	MBA_PING,	/* send PING(seq) to peer */
	MBA_ACK,	/* send ACK(seq) to peer */
	MBA_PINGREQ,	/* ask peer to probe subject for us */
	MBA_NACK,	/* tell peer we could not reach its subject */
	MBA_TCP_PING,	/* TCP fallback probe of peer with seq */
	MBA_NOTICE,	/* sign and spread a claim: subject is state at inc */
	MBA_REFUTE,	/* publish our own record with a version above inc */
	MBA_STATE,	/* subject changed state (from, to in state/inc) */
	MBA_REAP,	/* subject was forgotten; drop its records */
};

struct mb_action {
	enum mb_act_type type;
	uint8_t		 peer[WIRE_KEY];
	uint8_t		 subject[WIRE_KEY];
	uint32_t	 seq;
	uint64_t	 inc;
	uint8_t		 state;		/* enum notice_state or enum mstate */
	uint8_t		 prev;		/* MBA_STATE: previous enum mstate */
	uint8_t		 carried;	/* the mesh did its part (mesh_actions()) */
};

struct mb_probe {
	int		 active;
	int		 acked;
	int		 indirect_sent;
	uint8_t		 target[WIRE_KEY];
	uint32_t	 seq;
	uint64_t	 start;
	uint64_t	 t_indirect;
	uint64_t	 t_end;
	uint32_t	 nacks;
	uint32_t	 expected;
};

struct mb_relay {
	int		 used;
	uint8_t		 requester[WIRE_KEY];
	uint8_t		 target[WIRE_KEY];
	uint32_t	 orig_seq;
	uint32_t	 my_seq;
	uint64_t	 deadline;
};

struct membership {
	struct mb_config cfg;
	struct member	**m;
	uint32_t	 n;
	uint32_t	 cap;
	struct hmap	 idx;
	struct member	*self;

	uint8_t		(*order)[WIRE_KEY];
	uint32_t	 norder;
	uint32_t	 caporder;
	uint32_t	 opos;

	struct mb_probe	 probe;
	uint64_t	 next_probe;
	struct mb_relay	 relays[MB_RELAYS];
	uint64_t	 next_reconnect;
	/*
	 * No suspicion ends and no member is due to be forgotten before
	 * this: mb_tick() looks at every member only then (0: at once; any
	 * change of state or of a suspicion's deadline, and a member that
	 * arrives having left, set it to 0), so a packet does not cost a
	 * walk through a large table.
	 */
	uint64_t	 scan_at;
	int		 expedited;	/* a suspect may be marked for an early probe */
	uint32_t	 reconnect_seq;
	uint32_t	 awareness;
	uint32_t	 seq;
	uint64_t	 rng;

	struct mb_action *acts;
	uint32_t	 nacts;
	uint32_t	 capacts;

	uint64_t	 probes_failed;
	uint64_t	 refutes;
};

int	mb_init(struct membership *, const struct mb_config *,
	    const uint8_t self[WIRE_KEY], uint64_t self_inc, uint64_t seed,
	    uint64_t now);
void	mb_release(struct membership *);
struct member *mb_get(const struct membership *, const uint8_t id[WIRE_KEY]);
uint32_t mb_count_live(const struct membership *);
struct member *mb_random_alive(struct membership *, const uint8_t except[WIRE_KEY]);
void	mb_set_self_inc(struct membership *, uint64_t);

void	mb_revoke(struct membership *, const uint8_t id[WIRE_KEY], uint64_t now);
int	mb_on_alive(struct membership *, const uint8_t id[WIRE_KEY],
	    uint64_t inc, int left, uint64_t now);
int	mb_on_notice(struct membership *, const uint8_t accuser[WIRE_KEY],
	    const uint8_t subject[WIRE_KEY], uint64_t inc, uint8_t state,
	    uint64_t now);
void	mb_on_ping(struct membership *, const uint8_t from[WIRE_KEY],
	    uint32_t seq, uint64_t now);
void	mb_on_ack(struct membership *, const uint8_t from[WIRE_KEY],
	    uint32_t seq, uint64_t now);
void	mb_on_nack(struct membership *, const uint8_t from[WIRE_KEY],
	    uint32_t seq, uint64_t now);
void	mb_on_pingreq(struct membership *, const uint8_t from[WIRE_KEY],
	    uint32_t seq, const uint8_t target[WIRE_KEY], uint64_t now);
void	mb_tick(struct membership *, uint64_t now);
uint64_t mb_next_wakeup(const struct membership *, uint64_t now);
uint64_t mb_suspicion_timeout(const struct membership *, uint32_t nconf);

enum box_verdict mb_rx_check(const struct member *, enum mb_rx_kind,
	    uint64_t epoch, uint64_t ctr);
int	mb_rx_mark(struct member *, enum mb_rx_kind, uint64_t epoch,
	    uint64_t ctr);
struct claims *mb_claims(struct member *);

const char *mstate_name(enum mstate);

#endif

/* engine.h: the unprivileged engine: gossip, joins, control socket, on one libuv loop. */
#ifndef RPN_ENGINE_H
#define RPN_ENGINE_H

#include <stdint.h>
#include <uv.h>

#include "node/core/config.h"
#include "node/engine/listeners.h"
#include "node/engine/dpsync.h"
#include "node/engine/http.h"
#include "node/core/mesh.h"
#include "node/core/netview.h"

struct conn;
struct ctl_client;
struct ctl_reply;
struct hc;
struct join_ctx;
struct api;
struct http;
struct chan_msg;
struct priv_hdr;

struct stranger {
	uint8_t		 id[WIRE_KEY];
	uint8_t		 key[32];
	uint64_t	 used;
};

/* Counters of what arrived and what was refused; rpnctl status --json shows them. */
struct engine_stats {
	uint64_t	 udp_rx;
	uint64_t	 udp_rx_bytes;
	uint64_t	 udp_tx;
	uint64_t	 udp_tx_bytes;
	uint64_t	 udp_send_fail;
	uint64_t	 bad_box;	/* failed authentication: forged or garbled */
	uint64_t	 bad_msg;	/* authenticated, but not a valid message */
	uint64_t	 not_member;	/* authenticated by a key that is not a member */
	uint64_t	 stranger_limited;
	uint64_t	 tcp_in;
	uint64_t	 tcp_out;
	uint64_t	 tcp_rx_bytes;
	uint64_t	 tcp_tx_bytes;
	uint64_t	 tcp_bad;
	uint64_t	 syncs;
	uint64_t	 joins_admitted;
	uint64_t	 joins_refused;
	uint64_t	 ctl_bad;
	uint64_t	 svc_own_port;	/* records for rpn's own port, not programmed */
	uint64_t	 replayed;	/* stamp seen before or too old: dropped unopened */
	uint64_t	 addr_challenges;	/* pings sent to prove a member's address */
	uint64_t	 addr_challenge_streams; /* of those, over TCP */
};

struct engine {
	uv_loop_t	 loop;
	const char	*state_dir;
	int		 statefd;
	struct rpnd_config cfg;
	struct wire_addr adv[WIRE_MAX_ADDRS];	/* from rpn init/join --advertise */
	uint8_t		 nadv;
	struct mesh	 mesh;
	uint8_t		 root_sk[SECRET_KEY];
	int		 has_root;

	uv_udp_t	 udp;
	int		 udp_v6;
	uv_tcp_t	 listener;
	uv_poll_t	 ctl;		/* the listening control socket */
	uv_timer_t	 tick;
	uv_idle_t	 kick_idle;	/* engine_kick_soon(): once, before the next poll */
	int		 kick_soon;
	uv_timer_t	 gossip_timer;
	uv_timer_t	 save_timer;
	uv_timer_t	 leave_timer;
	uv_timer_t	 join_timer;	/* a join that failed, tried again */
	struct join_ctx	*join_retry;
	uv_signal_t	 sig_term;
	uv_signal_t	 sig_int;
	int		 privfd;		/* the channel to the parent (chan.c) */
	uv_poll_t	 chan_poll;
	struct chan_msg	*chan_head;		/* queued, not yet written */
	struct chan_msg	*chan_tail;
	size_t		 chan_queued;
	int		 chan_started;

	struct conn	*conns;
	uint32_t	 nconns;
	struct ctl_client *clients;
	struct ctl_reply *leave_waiter;
	uint64_t	 orders_seen[256];	/* hashes of operators' orders carried out */
	uint32_t	 orders_pos;
	struct stranger	 strangers[16];
	double		 stranger_tokens;
	uint64_t	 stranger_last;
	struct engine_stats st;
	struct histogram probe_rtt;	/* a probe's ping to its ack (metrics.c) */
	uint64_t	 probe_ns;	/* hrtime the probe probe_seq was sent */
	uint32_t	 probe_seq;
	struct http	*http;		/* the console's listeners (http.c) */
	struct api	*api;		/* the API's streams and codes (api.c) */
	struct http_stats http_st;
	struct dpsync	 dp;
	struct netview	 view;		/* the host's interfaces, from the parent */
	struct listeners lsn;		/* ports this node's own sockets listen on */
	uint64_t	 lsn_at;	/* when they were read */
	uv_timer_t	 health_timer;
	struct hc	**hcs;		/* checks of this node's backends */
	uint32_t	 nhcs;
	uint32_t	 caphcs;
	struct hmap	 hcidx;		/* a check's name -> its slot in hcs */
	uint32_t	 hcturn;	/* the next tick starts checks from here */
	char		(*hcpend)[WIRE_NAME_MAX + 1];	/* own services changed */
	uint32_t	 nhcpend;
	uint32_t	 caphcpend;
	int		 hcnoted;	/* hcpend is complete: no walk of every record */
	uint32_t	 local_ticks;
	int		 health_parked;	/* health_timer stopped: nothing to do */
	uint64_t	 last_eager;	/* last immediate gossip round */
	uint64_t	 reached_ms;	/* a member's probe last reached us, or
					   the start, or another member's change */
	uint64_t	 box_ctr;	/* the counter of our last box stamp */
	int		 catch_up;	/* restarted: sync with a member soon */
	int		 stopping;
	int		 save_pending;
	uint64_t	 save_cost_ms;	/* the last state_save() */
};

void	engine_stop(struct engine *, const char *why);
void	engine_from_parent(struct engine *, const struct priv_hdr *,
	    const uint8_t *);
uint64_t engine_now(struct engine *);
uint64_t engine_unix_ms(void);
void	engine_kick(struct engine *);
void	engine_kick_soon(struct engine *);
void	engine_save_now(struct engine *);
const uint8_t *engine_pair_key(struct engine *, const uint8_t id[WIRE_KEY]);
void	engine_keep_pair_key(struct engine *, const uint8_t id[WIRE_KEY],
	    const uint8_t key[32]);
uint8_t	engine_self_addrs(struct engine *, struct wire_addr *);
void	engine_default_name(char *, size_t);
void	engine_set_view(struct engine *, struct netview *);
void	engine_set_advertise(struct engine *, const struct wire_addr *,
	    uint8_t);
int	engine_rescan_listeners(struct engine *);
int	engine_local_conflict(const struct engine *, uint8_t proto,
	    uint16_t port);

#endif

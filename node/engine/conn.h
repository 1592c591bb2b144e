/* conn.h: TCP streams between nodes: sync, ping, join, service requests (conn.c). */
#ifndef RPN_CONN_H
#define RPN_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "node/core/mesh.h"
#include "proto/buf.h"
#include "proto/token.h"
#include "proto/wire.h"

struct ctl_reply;
struct engine;
struct member;
struct store_list;

enum conn_role {
	CR_IN,		/* accepted: sync, ping or join from the other side */
	CR_SYNC,	/* our pull-then-push anti-entropy with a member */
	CR_PING,	/* our fallback probe */
	CR_JOIN,	/* our join through a member */
	CR_SVC,		/* asking a member to add or remove its backend */
	CR_CHALLENGE,	/* a ping to one advertised address of a member, to prove it */
	CR_RESERVE,	/* asking a token's inviter to reserve it */
};

enum conn_step {
	ST_FIRST,
	ST_SYNC_WAIT_RESP,
	ST_SYNC_WAIT_PUSH,
	ST_PING_WAIT_ACK,
	ST_JOIN_WAIT_OFFER,
	ST_JOIN_WAIT_RESERVE,	/* while the token's inviter is asked */
	ST_JOIN_WAIT_RECORD,
	ST_JOIN_WAIT_RECORDS,
	ST_SVC_WAIT_RESP,
	ST_RESERVE_WAIT_RESP,
	ST_DONE,
};

/* The inside of a stream: shared by conn.c and join.c only. */
struct join_ctx {
	struct token	 token;
	uint8_t		 token_pk[WIRE_KEY];
	char		 name[WIRE_NAME_MAX + 1];
	char		 peer_text[64];
	uint32_t	 nrecords;
	struct wire_addr peer;
	uint64_t	 deadline;	/* engine_now() when rpn join gives up */
	uint32_t	 attempts;
	uint32_t	 refused;	/* the peer's WERR_* code, 0 if none */
	struct ctl_reply *waiter;	/* while waiting to try again */
};

struct conn {
	uv_tcp_t	 tcp;
	uv_timer_t	 timer;
	uv_connect_t	 creq;
	uv_shutdown_t	 sreq;
	uv_idle_t	 resume;	/* active: paused, reading again next turn */
	struct engine	*e;
	struct conn	*next;
	enum conn_role	 role;
	enum conn_step	 step;
	int		 open_handles;
	int		 closing;
	int		 has_peer;
	uint8_t		 peer[WIRE_KEY];
	uint8_t		 key[32];
	struct wire_addr addr;
	struct buf	 in;
	uint32_t	 seq;
	struct join_ctx	*join;
	struct wire_msg	*hello;		/* a joiner's, while the inviter is asked */
	struct conn	*link;		/* the joiner's stream <-> the question */
	struct ctl_reply *waiter;
	int		 rx_started;	/* a sealed frame has arrived */
	int		 news;		/* a sync brought records we lacked */
	int		 took;		/* a frame of records: let the loop turn */
	struct mesh_batch batch;	/* a frame's records, being checked */
	uint64_t	 rx_epoch;	/* the stamp of the last one */
	uint64_t	 rx_ctr;
	uint8_t		 svc_op;	/* CR_SVC: the request to make */
	uint8_t		 svc_force;
	struct rec_service svc;
	uint8_t		 svc_order[WIRE_MAX_ORDER];	/* the operator's order */
	uint32_t	 svc_orderlen;
	uint8_t		 svc_grant[WIRE_MAX_ORDER];	/* the grant it relies on */
	uint32_t	 svc_grantlen;
};

int	conn_listen(struct engine *, char *err, size_t errlen);
void	conn_close_all(struct engine *);
void	conn_start_sync(struct engine *, struct member *);
void	conn_start_ping(struct engine *, struct member *, uint32_t seq);
int	conn_start_challenge(struct engine *, const struct member *,
	    const struct wire_addr *);
int	conn_svcreq_possible(const struct member *, char *err, size_t errlen);
int	conn_start_svcreq(struct engine *, const struct member *, uint8_t op,
	    const struct rec_service *, int force, const uint8_t *order,
	    size_t orderlen, const uint8_t *grant, size_t grantlen,
	    struct ctl_reply *,
	    char *err, size_t errlen);
int	conn_start_reserve(struct engine *, const struct member *,
	    struct conn *joiner);
struct conn *conn_connect(struct engine *, const struct wire_addr *,
	    enum conn_role, uint64_t timeout_ms);
int	conn_send(struct conn *, int sealed, const struct buf *payload);
int	conn_send_records(struct conn *, const struct store_list *);
int	conn_send_all_records(struct conn *, const struct wire_digest_ent *,
	    uint32_t n);
void	conn_finish(struct conn *);
void	conn_fail(struct conn *, const char *why);
void	conn_set_peer(struct conn *, const uint8_t id[WIRE_KEY],
	    const uint8_t key[32]);
void	conn_accept_records(struct conn *, struct wire_msg *);

#endif

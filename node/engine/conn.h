/* conn.h: one TCP stream between nodes; shared by conn.c and join.c only. */
#ifndef RPN_CONN_H
#define RPN_CONN_H

#include "node/engine/engine.h"
#include "proto/token.h"

enum conn_step {
	ST_FIRST,
	ST_SYNC_WAIT_RESP,
	ST_SYNC_WAIT_PUSH,
	ST_PING_WAIT_ACK,
	ST_JOIN_WAIT_OFFER,
	ST_JOIN_WAIT_RECORD,
	ST_JOIN_WAIT_RECORDS,
	ST_SVC_WAIT_RESP,
	ST_DONE,
};

struct join_ctx {
	struct token	 token;
	uint8_t		 token_pk[WIRE_KEY];
	char		 name[WIRE_NAME_MAX + 1];
	char		 peer_text[64];
	uint32_t	 nrecords;
};

struct conn {
	uv_tcp_t	 tcp;
	uv_timer_t	 timer;
	uv_connect_t	 creq;
	uv_shutdown_t	 sreq;
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
	struct ctl_client *waiter;
	int		 rx_started;	/* a sealed frame has arrived */
	uint64_t	 rx_epoch;	/* the stamp of the last one */
	uint64_t	 rx_ctr;
	uint8_t		 svc_op;	/* CR_SVC: the request to make */
	uint8_t		 svc_force;
	struct rec_service svc;
};

#endif

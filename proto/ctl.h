/* ctl.h: the control-socket protocol between rpn/rpnctl and rpnd (length-prefixed msgpack maps). */
#ifndef RPN_CTL_H
#define RPN_CTL_H

#include <stddef.h>
#include <stdint.h>
#include <msgpack.h>

#include "proto/buf.h"
#include "proto/wire.h"

#define CTL_MAX_FRAME	(64u << 20)
#define CTL_MAX_REQ	(64u << 10)
#define CTL_TOKEN_MAX	127
#define CTL_MAX_ALLOW	WIRE_MAX_ALLOW
#define CTL_MAX_SIGNED	2048	/* a signed statement or order */

/* How long a join keeps asking (rpn join --timeout; ttl_ms of CTL_JOIN). */
#define JOIN_WAIT_MIN_MS	(10 * 1000)
#define JOIN_WAIT_DEFAULT_MS	(120 * 1000)
#define JOIN_WAIT_MAX_MS	(600 * 1000)

enum ctl_cmd {
	CTL_STATUS = 1,
	CTL_INVITE,
	CTL_INIT,
	CTL_JOIN,
	CTL_LEAVE,
	CTL_SERVICE_ADD,
	CTL_SERVICE_DEL,
	CTL_SERVICE_LIST,
	CTL_SERVICE_SHOW,
	CTL_SUBMIT,		/* an operator statement the client signed */
	CTL_OPERATORS,
	CTL_AUDIT,
	CTL_ADOPT,		/* the mesh root enrols an operator (founder only) */
	CTL_WEB_ENROLL,		/* a one-time code to enrol a browser as name */
	CTL_WEB_WAIT,		/* until a browser presents its key for token */
	CTL_SERVICE_CHECK,	/* would this add be refused? nothing changes */
	CTL_CMD_MAX = CTL_SERVICE_CHECK,
};

/* One decoded request; which fields matter depends on cmd. */
struct ctl_req {
	enum ctl_cmd	 cmd;
	char		 name[WIRE_NAME_MAX + 1];	/* node or service name */
	char		 token[CTL_TOKEN_MAX + 1];	/* or an enrolment code */
	int		 has_peer;
	struct wire_addr peer;
	uint64_t	 ttl_ms;	/* invite: its life; web wait, join: how long */
	uint8_t		 nadvertise;
	struct wire_addr advertise[WIRE_MAX_ADDRS];
	/* service add */
	uint8_t		 proto;		/* 6 tcp, 17 udp */
	uint16_t	 port;
	struct wire_addr target;
	char		 node[WIRE_NAME_MAX + 1];
	uint8_t		 nallow;
	struct wire_prefix allow[CTL_MAX_ALLOW];
	int		 public;
	int		 force;		/* add even on a port a node listens on */
	/* submit: a statement; service add/del --node: the operator's order */
	uint8_t		 signed_rec[CTL_MAX_SIGNED];
	uint32_t	 signed_len;
	/* init, adopt: the operator to enrol */
	int		 has_operator;
	uint8_t		 operator_key[WIRE_KEY];
	char		 operator_name[WIRE_NAME_MAX + 1];
};

const char *ctl_cmd_name(enum ctl_cmd);
int	ctl_req_encode(struct buf *, const struct ctl_req *);
int	ctl_req_decode(const uint8_t *, size_t, struct ctl_req *,
	    const char **why);
int	ctl_frame(struct buf *, const struct buf *payload);
int	ctl_frame_len(const uint8_t *, size_t, uint32_t max, uint32_t *len);

/* Look up a key in a decoded msgpack map; NULL when absent. */
const msgpack_object *ctl_map_get(const msgpack_object *map, const char *key);

#endif

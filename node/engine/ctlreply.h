/*
 * ctlreply.h: where a control command's one reply goes (ctlreply.c): a
 * control-socket client (ctlsock.c) or an HTTP API request (api.c).  The
 * commands in ctlcmd.c answer through this alone, now or later (join,
 * leave, a service on another node), so both transports run the same code.
 */
#ifndef RPN_ENGINE_CTLREPLY_H
#define RPN_ENGINE_CTLREPLY_H

#include <stddef.h>

struct buf;

/* Why a command failed, for a transport that tells causes apart (HTTP). */
enum ctl_fail {
	CTLF_NONE = 0,		/* success */
	CTLF_BAD,		/* the request is wrong: 400 */
	CTLF_FORBIDDEN,		/* not allowed, whoever asks again: 403 */
	CTLF_NOTFOUND,		/* no such service or node: 404 */
	CTLF_CONFLICT,		/* the mesh's state refuses it: 409 */
	CTLF_NOMESH,		/* this node is not in a mesh: 503 */
	CTLF_UNAVAILABLE,	/* another node did not answer: 502 */
	CTLF_UNREACHED,		/* ... nor was it asked: nothing done; 502 */
	CTLF_INTERNAL,		/* out of memory and the like: 500 */
};

/*
 * A reply sink.  send() takes a whole msgpack reply (a map with "ok" and
 * the view's fields, or "ok": false and "error") and owns payload from
 * then on; it runs exactly once per request.
 */
struct ctl_reply {
	void	(*send)(struct ctl_reply *, enum ctl_fail, struct buf *payload);
};

void	ctl_reply(struct ctl_reply *, struct buf *);
void	ctl_reply_error(struct ctl_reply *, enum ctl_fail, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	ctl_reply_ok(struct ctl_reply *);

#endif

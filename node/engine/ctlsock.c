/* ctlsock.c: the control socket's transport (root only): accepting, framing, requests answered one at a time and in order. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "node/engine/ctlsock.h"
#include "node/engine/ctlcmd.h"
#include "node/engine/ctlreply.h"
#include "node/engine/ctlview.h"
#include "node/engine/engine.h"
#include "node/core/log.h"
#include "proto/ctl.h"
#include "proto/mp.h"

/*
 * A connection carries any number of requests.  They are run one at a time
 * in the order they came: the next is not looked at until the current one
 * is answered (ctlcmd.c may answer later: a join, a leave), and reading
 * stops meanwhile, so a client that sends ahead (rpn-tool add-services)
 * waits in the socket's buffer rather than in ours.  A framing error ends
 * the connection after its reply: what follows cannot be trusted to be a
 * frame.
 */
struct ctl_client {
	struct ctl_reply reply;	/* first: the sink ctlcmd.c answers to */
	uv_pipe_t	 pipe;
	struct engine	*e;
	struct ctl_client *next;
	struct buf	 in;
	struct buf	 out;		/* replies not yet handed to a write */
	size_t		 off;		/* in.p[0..off) is answered */
	size_t		 cur;		/* the length of the frame being run */
	unsigned	 writes;	/* replies being written */
	int		 closing;
	int		 busy;		/* a reply is owed */
	int		 draining;	/* in client_drain()'s loop */
	int		 last;		/* close once the owed replies are out */
};

#define CTL_READ	16384
#define CTL_OUT_BATCH	65536	/* replies gathered into one write */

static void	client_drain(struct ctl_client *);
static void	client_flush(struct ctl_client *);

struct ctl_wreq {
	uv_write_t		 req;
	uint8_t			*data;
	struct ctl_client	*cl;
};

static void
client_closed(uv_handle_t *h)
{
	struct ctl_client	*cl = h->data, **pp;

	for (pp = &cl->e->clients; *pp != NULL; pp = &(*pp)->next)
		if (*pp == cl) {
			*pp = cl->next;
			break;
		}
	if (cl->e->leave_waiter == &cl->reply)
		cl->e->leave_waiter = NULL;
	buf_release(&cl->in);
	buf_release(&cl->out);
	free(cl);
}

static void
client_close(struct ctl_client *cl)
{
	if (cl->closing)
		return;
	cl->closing = 1;
	uv_close((uv_handle_t *)&cl->pipe, client_closed);
}

/* client_maybe_close - a client that is done goes once its replies are out. */
static void
client_maybe_close(struct ctl_client *cl)
{
	if (cl->last && !cl->busy && cl->writes == 0)
		client_close(cl);
}

static void
reply_written(uv_write_t *req, int status)
{
	struct ctl_wreq	*w = (struct ctl_wreq *)req;
	struct ctl_client *cl = w->cl;

	free(w->data);
	free(w);
	cl->writes--;
	if (status < 0)
		client_close(cl);
	else
		client_maybe_close(cl);
}

/*
 * client_send - the client's reply sink: queue one framed reply, taking
 * payload, then run the next request if one is there.  The replies of the
 * requests read together leave in one write (client_flush()), not one
 * each.  The socket's reply says why in its text alone.
 */
static void
client_send(struct ctl_reply *r, enum ctl_fail why, struct buf *payload)
{
	struct ctl_client *cl = (struct ctl_client *)r;

	(void)why;
	if (cl->busy) {
		cl->busy = 0;
		cl->off += cl->cur;
		cl->cur = 0;
	}
	if (cl->closing) {
		buf_release(payload);
		return;
	}
	if (cl->out.len > 0 && cl->out.len + payload->len + 4 > CTL_OUT_BATCH)
		client_flush(cl);
	if (payload->err || ctl_frame(&cl->out, payload) == -1) {
		buf_release(payload);
		client_close(cl);
		return;
	}
	buf_release(payload);
	client_drain(cl);
}

/* client_flush - hand the queued replies to one write. */
static void
client_flush(struct ctl_client *cl)
{
	struct ctl_wreq	*w;
	uv_buf_t	 ub;

	if (cl->closing || cl->out.len == 0)
		return;
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		client_close(cl);
		return;
	}
	w->data = cl->out.p;
	w->cl = cl;
	ub = uv_buf_init((char *)cl->out.p, (unsigned)cl->out.len);
	/* the bytes are the write's now; the next reply starts a new buffer */
	cl->out.p = NULL;
	cl->out.len = cl->out.cap = 0;
	if (uv_write(&w->req, (uv_stream_t *)&cl->pipe, &ub, 1,
	    reply_written) < 0) {
		free(w->data);
		free(w);
		client_close(cl);
		return;
	}
	cl->writes++;
}

static void
client_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	(void)h;
	(void)suggested;
	b->base = malloc(CTL_READ);
	b->len = b->base ? CTL_READ : 0;
}

static void	client_read(uv_stream_t *, ssize_t, const uv_buf_t *);

/* client_bad - a framing error: say so, and close once it is sent. */
static void
client_bad(struct ctl_client *cl, const char *why)
{
	cl->e->st.ctl_bad++;
	cl->last = 1;
	uv_read_stop((uv_stream_t *)&cl->pipe);
	ctl_reply_error(&cl->reply, CTLF_BAD, "%s", why);
}

/*
 * client_drain - run the requests that are in, one at a time, until one
 * is owed a reply later or none is left; then read on.  A reply sent at
 * once comes back here through client_send(): the flag keeps that a loop,
 * not a recursion as deep as the requests sent ahead.
 */
static void
client_drain(struct ctl_client *cl)
{
	uint32_t	 len;
	int		 r;

	if (cl->draining)
		return;
	cl->draining = 1;
	while (!cl->busy && !cl->closing && !cl->last) {
		r = ctl_frame_len(cl->in.p + cl->off, cl->in.len - cl->off,
		    CTL_MAX_REQ, &len);
		if (r == -1) {
			client_bad(cl, "request too large");
			break;
		}
		if (r == 0)
			break;
		if (len == 0) {
			client_bad(cl, "an empty request");
			break;
		}
		/* Owed a reply from here on: ctlcmd.c may send it later. */
		cl->busy = 1;
		cl->cur = 4 + (size_t)len;
		ctlcmd_handle(cl->e, &cl->reply, cl->in.p + cl->off + 4, len);
	}
	cl->draining = 0;
	client_flush(cl);
	if (cl->busy || cl->closing || cl->last) {
		uv_read_stop((uv_stream_t *)&cl->pipe);
		client_maybe_close(cl);
		return;
	}
	/* Nothing owed: the part of a frame left moves to the front. */
	if (cl->off > 0) {
		memmove(cl->in.p, cl->in.p + cl->off, cl->in.len - cl->off);
		cl->in.len -= cl->off;
		cl->off = 0;
	}
	uv_read_start((uv_stream_t *)&cl->pipe, client_alloc, client_read);
}

static void
client_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct ctl_client	*cl = s->data;

	if (nread < 0) {
		free(b->base);
		/* Requests already in are answered; then the connection goes. */
		uv_read_stop(s);
		cl->last = 1;
		client_maybe_close(cl);
		return;
	}
	if (buf_put(&cl->in, b->base, (size_t)nread) == -1) {
		free(b->base);
		client_bad(cl, "request too large");
		return;
	}
	free(b->base);
	client_drain(cl);
}

/* One accepted connection: root's requests are read, anyone else is told no. */
static void
ctl_client_new(struct engine *e, int fd)
{
	struct ctl_client	*cl;
	struct ucred		 cred;
	socklen_t		 credlen = sizeof(cred);

	if ((cl = calloc(1, sizeof(*cl))) == NULL) {
		close(fd);
		return;
	}
	cl->reply.send = client_send;
	cl->e = e;
	/* a frame's start that is not all in, and one read more */
	buf_init(&cl->in, CTL_MAX_REQ + 4 + CTL_READ);
	buf_init(&cl->out, CTL_OUT_BATCH + CTL_MAX_FRAME + 4);
	uv_pipe_init(&e->loop, &cl->pipe, 0);
	cl->pipe.data = cl;
	cl->next = e->clients;
	e->clients = cl;
	if (uv_pipe_open(&cl->pipe, fd) < 0) {
		close(fd);
		client_close(cl);
		return;
	}
	/*
	 * The socket file is root's and 0600; the peer's credentials say so
	 * too.  One that got in anyway (the file's mode was changed) is told
	 * why, through the usual reply, which closes the connection once sent;
	 * its request is never read.
	 */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &credlen) == -1 ||
	    cred.uid != 0) {
		e->st.ctl_bad++;
		log_warnx("control socket: refused a client that is not root");
		cl->last = 1;
		ctl_reply_error(&cl->reply, CTLF_BAD,
		    "permission denied: the control socket "
		    "is for root");
		return;
	}
	uv_read_start((uv_stream_t *)&cl->pipe, client_alloc, client_read);
}

/*
 * The listening socket is polled and accepted by hand, not uv_listen()ed:
 * listen(2) here would replace the credentials connecting clients see
 * (SO_PEERCRED) with the engine's uid, and clients trust only root's, which
 * the parent's listen() put there.
 */
static void
ctl_accept(uv_poll_t *h, int status, int events)
{
	struct engine	*e = h->data;
	uv_os_fd_t	 lfd;
	int		 fd;

	(void)events;
	if (status < 0 || uv_fileno((uv_handle_t *)h, &lfd) < 0)
		return;
	/* A few at a time, so a flood of clients cannot starve gossip. */
	for (int i = 0; i < 16; i++) {
		if ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK |
		    SOCK_CLOEXEC)) == -1) {
			if (errno == EINTR)
				continue;
			return;
		}
		ctl_client_new(e, fd);
	}
}

int
ctlsock_open(struct engine *e, int fd, char *err, size_t errlen)
{
	int	 r;

	uv_timer_init(&e->loop, &e->leave_timer);
	e->leave_timer.data = e;
	if ((r = uv_poll_init(&e->loop, &e->ctl, fd)) < 0) {
		snprintf(err, errlen, "control socket: %s", uv_strerror(r));
		return -1;
	}
	e->ctl.data = e;
	if ((r = uv_poll_start(&e->ctl, UV_READABLE, ctl_accept)) < 0) {
		snprintf(err, errlen, "control socket: %s", uv_strerror(r));
		return -1;
	}
	return 0;
}

void
ctlsock_close_all(struct engine *e)
{
	for (struct ctl_client *cl = e->clients; cl != NULL; cl = cl->next)
		client_close(cl);
	if (!uv_is_closing((uv_handle_t *)&e->ctl)) {
		uv_os_fd_t	 fd;

		/* Stop polling, then close: new clients are refused at once. */
		if (uv_fileno((uv_handle_t *)&e->ctl, &fd) < 0)
			fd = -1;
		uv_close((uv_handle_t *)&e->ctl, NULL);
		if (fd != -1)
			close(fd);
	}
	if (!uv_is_closing((uv_handle_t *)&e->leave_timer))
		uv_close((uv_handle_t *)&e->leave_timer, NULL);
}

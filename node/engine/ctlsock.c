/* ctlsock.c: the control socket's transport (root only): accepting, framing, one request and one reply per connection. */
#include <errno.h>
#include <stdlib.h>
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

struct ctl_client {
	struct ctl_reply reply;	/* first: the sink ctlcmd.c answers to */
	uv_pipe_t	 pipe;
	struct engine	*e;
	struct ctl_client *next;
	struct buf	 in;
	int		 closing;
	int		 busy;		/* a reply is owed */
};

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

static void
reply_written(uv_write_t *req, int status)
{
	struct ctl_wreq	*w = (struct ctl_wreq *)req;

	(void)status;
	free(w->data);
	client_close(w->cl);
	free(w);
}

/*
 * client_send - the client's reply sink: send one framed reply, taking
 * payload, and close the connection once it is written.  The socket's
 * reply says why in its text alone.
 */
static void
client_send(struct ctl_reply *r, enum ctl_fail why, struct buf *payload)
{
	struct ctl_client *cl = (struct ctl_client *)r;
	struct buf	 f;
	struct ctl_wreq	*w;
	uv_buf_t	 ub;

	(void)why;
	cl->busy = 0;
	/*
	 * One request, one reply: bytes after the request must not run it
	 * again (its frame is still at the head of cl->in).
	 */
	uv_read_stop((uv_stream_t *)&cl->pipe);
	if (cl->closing) {
		buf_release(payload);
		return;
	}
	buf_init(&f, CTL_MAX_FRAME + 4);
	if (payload->err || ctl_frame(&f, payload) == -1 ||
	    (w = calloc(1, sizeof(*w))) == NULL) {
		buf_release(&f);
		buf_release(payload);
		client_close(cl);
		return;
	}
	buf_release(payload);
	w->data = f.p;
	w->cl = cl;
	ub = uv_buf_init((char *)f.p, (unsigned)f.len);
	if (uv_write(&w->req, (uv_stream_t *)&cl->pipe, &ub, 1,
	    reply_written) < 0) {
		free(w->data);
		free(w);
		client_close(cl);
	}
}

static void
client_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	(void)h;
	(void)suggested;
	b->base = malloc(16384);
	b->len = b->base ? 16384 : 0;
}

static void
client_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct ctl_client	*cl = s->data;
	uint32_t		 len;
	int			 r;

	if (nread < 0) {
		free(b->base);
		/* A client that hangs up while owed a reply gets it dropped later. */
		uv_read_stop(s);
		if (!cl->busy)
			client_close(cl);
		return;
	}
	if (cl->busy) {		/* one request per connection */
		free(b->base);
		return;
	}
	buf_put(&cl->in, b->base, (size_t)nread);
	free(b->base);
	if (cl->in.err) {
		cl->e->st.ctl_bad++;
		ctl_reply_error(&cl->reply, CTLF_BAD, "request too large");
		return;
	}
	r = ctl_frame_len(cl->in.p, cl->in.len, CTL_MAX_REQ, &len);
	if (r == -1) {
		cl->e->st.ctl_bad++;
		ctl_reply_error(&cl->reply, CTLF_BAD, "request too large");
	} else if (r == 1) {
		/* Owed a reply from here on: ctlcmd.c may send it later. */
		cl->busy = 1;
		ctlcmd_handle(cl->e, &cl->reply, cl->in.p + 4, len);
	}
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
	buf_init(&cl->in, CTL_MAX_REQ + 4);
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

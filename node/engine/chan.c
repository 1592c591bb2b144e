/*
 * chan.c: the engine's end of the channel to the parent.  Requests are
 * queued and written as the socket takes them, so the event loop never
 * waits for the parent (a full sync of 100,000 services is about 50
 * messages of 64 KiB); answers are read as they come and handed to
 * engine_from_parent().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "node/engine/chan.h"
#include "node/core/log.h"
#include "node/engine/engine.h"

struct chan_msg {
	struct chan_msg	*next;
	size_t		 len;		/* header and payload */
	uint8_t		 data[];
};

static ssize_t
recv_frame(int fd, int flags, struct priv_hdr *h, void *p, size_t cap)
{
	struct iovec	 iov[2] = { { h, sizeof(*h) }, { p, cap } };
	struct msghdr	 msg;
	ssize_t		 n;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = 2;
	do
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | flags);
	while (n == -1 && errno == EINTR);
	if (n <= 0)
		return n;
	if (!priv_frame_ok(h, (size_t)n, (msg.msg_flags & MSG_TRUNC) != 0)) {
		errno = EBADMSG;
		return -1;
	}
	return n;
}

/*
 * chan_read_first - at start, before the loop runs: the parent's message
 * of type want (it sends the configuration, then the interfaces), blocking.
 */
int
chan_read_first(struct engine *e, uint16_t want, void *buf, size_t cap,
    size_t *len)
{
	struct priv_hdr	 h;

	if (recv_frame(e->privfd, 0, &h, buf, cap) <= 0 || h.type != want)
		return -1;
	*len = h.len;
	return 0;
}

static void	poll_cb(uv_poll_t *, int, int);

static void
arm(struct engine *e)
{
	uv_poll_start(&e->chan_poll, UV_READABLE | UV_DISCONNECT |
	    (e->chan_head != NULL ? UV_WRITABLE : 0), poll_cb);
}

static int
flush(struct engine *e)
{
	while (e->chan_head != NULL) {
		struct chan_msg	*m = e->chan_head;

		if (send(e->privfd, m->data, m->len, MSG_DONTWAIT |
		    MSG_NOSIGNAL) == -1) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -1;
		}
		e->chan_head = m->next;
		if (e->chan_head == NULL)
			e->chan_tail = NULL;
		e->chan_queued -= m->len;
		free(m);
	}
	return 0;
}

/*
 * chan_send - one request to the parent, in order after those queued.
 * 0, or -1 when out of memory or when the channel is gone.
 */
int
chan_send(struct engine *e, uint16_t type, const void *p, size_t len)
{
	struct priv_hdr	 h = { type, 0, (uint32_t)len };
	struct chan_msg	*m;
	int		 was_empty = e->chan_head == NULL;

	if (len > PRIV_MAX)
		return -1;
	if ((m = malloc(sizeof(*m) + sizeof(h) + len)) == NULL)
		return -1;
	m->next = NULL;
	m->len = sizeof(h) + len;
	memcpy(m->data, &h, sizeof(h));
	if (len > 0)
		memcpy(m->data + sizeof(h), p, len);
	if (e->chan_tail != NULL)
		e->chan_tail->next = m;
	else
		e->chan_head = m;
	e->chan_tail = m;
	e->chan_queued += m->len;
	if (flush(e) == -1)
		return -1;
	if (was_empty != (e->chan_head == NULL) && e->chan_started)
		arm(e);
	return 0;
}

static void
poll_cb(uv_poll_t *p, int status, int events)
{
	struct engine	*e = p->data;
	struct priv_hdr	 h;
	static uint8_t	 buf[PRIV_MAX];
	ssize_t		 n;

	if (status < 0 || (events & UV_WRITABLE)) {
		if (flush(e) == -1) {
			engine_stop(e, "the channel to the parent failed");
			return;
		}
		arm(e);
	}
	if (status < 0 || !(events & (UV_READABLE | UV_DISCONNECT)))
		return;
	while ((n = recv_frame(e->privfd, MSG_DONTWAIT, &h, buf,
	    sizeof(buf))) > 0)
		engine_from_parent(e, &h, buf);
	if (n == 0 || errno != EAGAIN)
		engine_stop(e, "the privileged parent went away");
}

int
chan_start(struct engine *e)
{
	uv_poll_init(&e->loop, &e->chan_poll, e->privfd);
	e->chan_poll.data = e;
	e->chan_started = 1;
	arm(e);
	return 0;
}

void
chan_close(struct engine *e)
{
	if (e->chan_started && !uv_is_closing((uv_handle_t *)&e->chan_poll))
		uv_close((uv_handle_t *)&e->chan_poll, NULL);
	/* What is still queued (a last transaction) is sent as far as it goes. */
	(void)flush(e);
	while (e->chan_head != NULL) {
		struct chan_msg	*m = e->chan_head;

		e->chan_head = m->next;
		free(m);
	}
	e->chan_tail = NULL;
	e->chan_queued = 0;
}

/* client.c: connect to rpnd, send framed requests, read their framed replies in order. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl/client.h"
#include "proto/compat.h"
#include "proto/opview.h"

/* client_socket - -s SOCKET, else $RPN_SOCKET, else the default. */
const char *
client_socket(const char *opt)
{
	const char	*env = getenv("RPN_SOCKET");

	if (opt != NULL)
		return opt;
	if (env != NULL && env[0] != '\0')
		return env;
	return RPN_SOCK_DEFAULT;
}

/*
 * send_all - MSG_NOSIGNAL: a server that hangs up early (rpnd refusing a
 * non-root client) must not kill us with SIGPIPE before we read why.
 */
static int
send_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t	 w = send(fd, p, n, MSG_NOSIGNAL);

		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * client_open - connect to rpnd's control socket; the fd, or -1 with err.
 * rpnd's socket is made by root, so its credentials say uid 0.  Anyone
 * else listening there (on a path another user could replace) gets
 * nothing from us: not a byte of a request, which may hold a token.
 */
int
client_open(const char *sock, char *err, size_t errlen)
{
	struct sockaddr_un	 sun;
	struct ucred		 cred;
	socklen_t		 credlen = sizeof(cred);
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, sock, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", sock);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (errno == ENOENT || errno == ECONNREFUSED)
			snprintf(err, errlen, "rpnd is not running (nothing "
			    "listens on %s)", sock);
		else if (errno == EACCES || errno == EPERM)
			snprintf(err, errlen, "permission denied on %s: the "
			    "control socket is for root only", sock);
		else
			snprintf(err, errlen, "%s: %s", sock, strerror(errno));
		close(fd);
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &credlen) == -1) {
		snprintf(err, errlen, "%s: cannot check who listens there: %s",
		    sock, strerror(errno));
		close(fd);
		return -1;
	}
	if (cred.uid != 0) {
		snprintf(err, errlen, "refusing to talk to %s: the process "
		    "listening there (pid %d) runs as uid %u, not root, so it is "
		    "not rpnd; nothing was sent", sock, (int)cred.pid,
		    (unsigned)cred.uid);
		close(fd);
		return -1;
	}
	return fd;
}

/* client_send_req - one framed request; rpnd answers each in the order sent. */
int
client_send_req(int fd, const struct ctl_req *req, char *err, size_t errlen)
{
	struct buf	 payload, frame;
	int		 rc = -1;

	buf_init(&payload, CTL_MAX_REQ);
	buf_init(&frame, CTL_MAX_REQ + 4);
	if (ctl_req_encode(&payload, req) == -1 ||
	    ctl_frame(&frame, &payload) == -1)
		snprintf(err, errlen, "cannot encode the request");
	/* A server that closed at once may have said why: read it first. */
	else if (send_all(fd, frame.p, frame.len) == -1 && errno != EPIPE &&
	    errno != ECONNRESET)
		snprintf(err, errlen, "cannot send the request to rpnd: %s",
		    strerror(errno));
	else
		rc = 0;
	buf_release(&payload);
	buf_release(&frame);
	return rc;
}

/* take - drop the first n bytes of b (a reply already parsed). */
static void
take(struct buf *b, size_t n)
{
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
}

/*
 * client_recv_reply - the next reply: read into in (kept across calls, since a
 * read may hold the start of the reply after), parse it into resp.  0; -2
 * when rpnd answered no and so did nothing; -1 when no usable reply came,
 * or rpnd answered that another node did not (which may have done it).
 * Either failure has its text in err, resp released.
 */
int
client_recv_reply(int fd, struct buf *in, struct mp_doc *resp, int timeout_ms,
    char *err, size_t errlen)
{
	const msgpack_object	*ok, *msg;
	uint8_t			 chunk[65536];
	char			 cause[16];
	uint32_t		 len = 0;
	int			 r;

	while ((r = ctl_frame_len(in->p, in->len, CTL_MAX_FRAME, &len)) != 1) {
		struct pollfd	 pfd = { fd, POLLIN, 0 };
		ssize_t		 n;

		if (r == -1) {
			snprintf(err, errlen, "the answer is too large");
			return -1;
		}
		r = poll(&pfd, 1, timeout_ms);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == 0) {
			snprintf(err, errlen, "rpnd did not answer within %d s",
			    timeout_ms / 1000);
			return -1;
		}
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "rpnd closed the connection "
			    "without an answer");
			return -1;
		}
		if (buf_put(in, chunk, (size_t)n) == -1) {
			snprintf(err, errlen, "the answer is too large");
			return -1;
		}
	}
	r = mp_parse(resp, in->p + 4, len);
	take(in, 4 + (size_t)len);
	if (r == -1) {
		snprintf(err, errlen, "rpnd sent an answer that does not parse");
		return -1;
	}
	ok = ctl_map_get(&resp->root, "ok");
	if (ok == NULL || ok->type != MSGPACK_OBJECT_BOOLEAN) {
		snprintf(err, errlen, "rpnd sent a malformed answer");
		mp_doc_release(resp);
		return -1;
	}
	if (!ok->via.boolean) {
		msg = ctl_map_get(&resp->root, "error");
		if (msg != NULL && msg->type == MSGPACK_OBJECT_STR)
			snprintf(err, errlen, "%.*s", (int)msg->via.str.size,
			    msg->via.str.ptr);
		else
			snprintf(err, errlen, "rpnd refused the request");
		/* An older rpnd names no cause: it may have done something. */
		r = out_str(&resp->root, "cause", cause, sizeof(cause)) == 0 &&
		    strcmp(cause, "unavailable") != 0 ? -2 : -1;
		mp_doc_release(resp);
		return r;
	}
	return 0;
}

/*
 * client_call - one request on a connection of its own, and its reply: 0,
 * -1 or -2 as client_recv_reply().
 */
int
client_call(const char *sock, const struct ctl_req *req, struct mp_doc *resp,
    int timeout_ms, char *err, size_t errlen)
{
	struct buf	 in;
	int		 fd, rc = -1;

	if ((fd = client_open(sock, err, errlen)) == -1)
		return -1;
	buf_init(&in, CTL_MAX_FRAME + 4);
	if (client_send_req(fd, req, err, errlen) == 0)
		rc = client_recv_reply(fd, &in, resp, timeout_ms, err, errlen);
	buf_release(&in);
	close(fd);
	return rc;
}

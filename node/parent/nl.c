/*
 * nl.c: the parent's netlink: one request-and-ack helper, one dump helper,
 * and one batch helper that nftables transactions and rtnetlink changes
 * both go through.  Everything returns 0, or -1 with errno set (an error
 * the kernel answered is put in errno).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "node/parent/nl.h"

int
nl_open(struct nl *n, int bus)
{
	int	 one = 1;

	memset(n, 0, sizeof(*n));
	/* Close-on-exec: the engine, exec'd by this process, must not hold it. */
	if ((n->sock = mnl_socket_open2(bus, SOCK_CLOEXEC)) == NULL)
		return -1;
	/* Acks without a copy of the request: a big batch's fit in the buffer. */
	setsockopt(mnl_socket_get_fd(n->sock), SOL_NETLINK, NETLINK_CAP_ACK,
	    &one, sizeof(one));
	if (mnl_socket_bind(n->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int	 e = errno;

		mnl_socket_close(n->sock);
		n->sock = NULL;
		errno = e;
		return -1;
	}
	n->portid = mnl_socket_get_portid(n->sock);
	n->seq = (uint32_t)time(NULL);
	return 0;
}

void
nl_close(struct nl *n)
{
	if (n->sock != NULL)
		mnl_socket_close(n->sock);
	n->sock = NULL;
}

/*
 * nl_run - send one request and read its answers.  An answer with another
 * sequence number (a late one to an earlier request) is skipped, not taken
 * for this request's.
 */
static int
nl_run(struct nl *n, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char	 buf[NL_BUF_SIZE * 4];
	ssize_t	 len;
	int	 r;

	nlh->nlmsg_seq = ++n->seq;
	if (mnl_socket_sendto(n->sock, nlh, nlh->nlmsg_len) < 0)
		return -1;
	while ((len = mnl_socket_recvfrom(n->sock, buf, sizeof(buf))) > 0) {
		int	 left = (int)len;

		for (const struct nlmsghdr *h = (const void *)buf;
		    mnl_nlmsg_ok(h, left); h = mnl_nlmsg_next(h, &left)) {
			if (h->nlmsg_seq != n->seq)
				continue;
			errno = 0;
			r = mnl_cb_run(h, h->nlmsg_len, n->seq, n->portid, cb,
			    data);
			if (r == MNL_CB_ERROR) {
				if (errno == 0)
					errno = EIO;
				return -1;
			}
			if (r == MNL_CB_STOP)
				return 0;
		}
	}
	return len < 0 ? -1 : 0;
}

/* nl_request - a request that asks for an ack; 0, or -1 and the kernel's error in errno. */
int
nl_request(struct nl *n, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	return nl_run(n, nlh, cb, data);
}

/* nl_dump - every answer of a dump passes through cb. */
int
nl_dump(struct nl *n, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_DUMP;
	return nl_run(n, nlh, cb, data);
}

/*
 * nl_send_batch - send len bytes of messages in one sendmsg() and read the
 * kernel's answer to each of them.  Every message whose sequence number is
 * in [lo, hi] asked for an ack (NLM_F_ACK); nftables batches put their
 * BATCH_BEGIN and BATCH_END, which do not, outside that range.  Answers
 * are matched by sequence number, so a stray one (an earlier batch's that
 * timed out) is skipped, and every answer of this batch is read even after
 * an error: nothing of it stays in the socket to be taken for the answer
 * to something else.  Returns 0 when every message was acked with 0; else
 * -1 with the first error in errno, and up to maxfails refused messages in
 * fails.  errno ETIMEDOUT when answers are missing after 5 s, ENOBUFS when
 * the socket overflowed (then what the kernel did is unknown).
 */
int
nl_send_batch(struct nl *n, const void *buf, size_t len, uint32_t lo,
    uint32_t hi, struct nl_fail *fails, uint32_t maxfails, uint32_t *nfails)
{
	static char	 rbuf[1 << 16];
	uint32_t	 want = hi - lo + 1, got = 0;
	int		 fd = mnl_socket_get_fd(n->sock), rc = 0;

	*nfails = 0;
	if (mnl_socket_sendto(n->sock, buf, len) < 0)
		return -1;
	while (got < want) {
		struct pollfd	 pfd = { fd, POLLIN, 0 };
		ssize_t		 r;
		int		 left, pr = poll(&pfd, 1, 5000);

		if (pr == -1 && errno == EINTR)
			continue;
		if (pr <= 0) {
			errno = rc ? rc : ETIMEDOUT;
			return -1;
		}
		if ((r = recv(fd, rbuf, sizeof(rbuf), MSG_DONTWAIT)) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		left = (int)r;
		for (const struct nlmsghdr *h = (const void *)rbuf;
		    mnl_nlmsg_ok(h, left); h = mnl_nlmsg_next(h, &left)) {
			const struct nlmsgerr	*e;

			if (h->nlmsg_type != NLMSG_ERROR ||
			    h->nlmsg_seq - lo > hi - lo ||
			    h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				continue;	/* not one of this batch's answers */
			e = mnl_nlmsg_get_payload(h);
			got++;
			if (e->error == 0)
				continue;
			if (rc == 0)
				rc = -e->error;
			if (*nfails < maxfails) {
				fails[*nfails].seq = h->nlmsg_seq;
				fails[*nfails].err = -e->error;
				(*nfails)++;
			}
		}
	}
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	return 0;
}

/* nl.c: one send-and-ack helper and one dump helper over libmnl, returning -errno. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "node/nl.h"

int
nl_open(struct nl *n, int bus)
{
	memset(n, 0, sizeof(*n));
	if ((n->sock = mnl_socket_open(bus)) == NULL)
		return -errno;
	if (mnl_socket_bind(n->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int	 e = errno;

		mnl_socket_close(n->sock);
		n->sock = NULL;
		return -e;
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

static int
nl_run(struct nl *n, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char	 buf[NL_BUF_SIZE * 4];
	ssize_t	 len;
	int	 r;

	nlh->nlmsg_seq = ++n->seq;
	if (mnl_socket_sendto(n->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	while ((len = mnl_socket_recvfrom(n->sock, buf, sizeof(buf))) > 0) {
		r = mnl_cb_run(buf, (size_t)len, n->seq, n->portid, cb, data);
		if (r == MNL_CB_ERROR)
			return errno ? -errno : -EIO;
		if (r == MNL_CB_STOP)
			return 0;
	}
	return len < 0 ? -errno : 0;
}

/* nl_request - a request that asks for an ack; 0 or -errno from the kernel. */
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

/*
 * listeners.c: which TCP and UDP ports this node's own sockets listen on,
 * from the kernel's socket diagnostics (NETLINK_SOCK_DIAG, what ss(8)
 * reads; no privileges needed).  A service on such a port would take the
 * connections meant for that socket (sshd on 22, rpn's own gossip port),
 * so the node never programs it (services.c, local_conflict).
 *
 * A socket counts when it can receive IPv4 connections on the node's
 * non-loopback addresses: bound to 0.0.0.0 or a non-loopback IPv4
 * address, or to :: without IPV6_V6ONLY, or to a v4-mapped non-loopback
 * address.  Sockets bound to loopback only are not taken over: rpn never
 * translates connections to 127.0.0.0/8.  For UDP, only unconnected
 * sockets listen.  Plain netlink without libmnl: the engine does not link
 * the kernel-side libraries.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>

#include "node/engine/listeners.h"
#include "node/core/array.h"

#define TCP_LISTEN_STATE	10	/* TCP_LISTEN in the kernel's tcp_states.h */

static int
key_cmp(const void *a, const void *b)
{
	uint32_t	 x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Does this socket take IPv4 connections on a non-loopback address? */
static int
counts(const struct inet_diag_msg *m, int v6only)
{
	const uint8_t	*src = (const uint8_t *)m->id.idiag_src;
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	static const uint8_t any6[16];

	if (m->idiag_family == AF_INET)
		return src[0] != 127;
	if (m->idiag_family != AF_INET6)
		return 0;
	if (memcmp(src, any6, 16) == 0)
		return !v6only;
	if (memcmp(src, mapped, 12) == 0)
		return src[12] != 127;
	return 0;	/* an IPv6 address: rpn forwards IPv4 only */
}

static int
add(struct listeners *l, uint8_t proto, uint16_t port)
{
	if (array_reserve(&l->keys, &l->cap, l->n + 1, sizeof(*l->keys)) == -1)
		return -1;
	l->keys[l->n++] = (uint32_t)proto << 16 | port;
	return 0;
}

/* One dump: family, protocol, states.  0, or -1 with errno set. */
static int
dump(int fd, uint8_t family, uint8_t proto, uint32_t states,
    struct listeners *l)
{
	struct {
		struct nlmsghdr		 nlh;
		struct inet_diag_req_v2	 r;
	} req;
	static char		 buf[32768];
	struct sockaddr_nl	 sa = { .nl_family = AF_NETLINK };

	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nlh.nlmsg_seq = 1;
	req.r.sdiag_family = family;
	req.r.sdiag_protocol = proto;
	req.r.idiag_states = states;
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&sa,
	    sizeof(sa)) == -1)
		return -1;
	for (;;) {
		ssize_t		 n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr	*h;

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		    h = NLMSG_NEXT(h, n)) {
			const struct inet_diag_msg	*m;
			const struct rtattr		*a;
			int				 alen, v6only = 0;

			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr	*e = NLMSG_DATA(h);

				errno = e->error ? -e->error : EIO;
				return -1;
			}
			if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
			    h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
				continue;
			m = NLMSG_DATA(h);
			alen = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
			for (a = (const struct rtattr *)(m + 1); RTA_OK(a, alen);
			    a = RTA_NEXT(a, alen))
				if (a->rta_type == INET_DIAG_SKV6ONLY &&
				    RTA_PAYLOAD(a) >= 1)
					v6only = *(const uint8_t *)RTA_DATA(a);
			/* UDP: a connected socket does not listen */
			if (proto == IPPROTO_UDP && m->id.idiag_dport != 0)
				continue;
			if (counts(m, v6only) && add(l, proto,
			    ntohs(m->id.idiag_sport)) == -1) {
				errno = ENOMEM;
				return -1;
			}
		}
	}
}

/*
 * listeners_scan - the listening ports now, replacing l's.  0, or -1 with
 * errno set (then l is unchanged).
 */
int
listeners_scan(struct listeners *l)
{
	struct listeners	 nl;
	int			 fd, rc = 0, saved;
	uint32_t		 k = 0;

	memset(&nl, 0, sizeof(nl));
	if ((fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
	    NETLINK_SOCK_DIAG)) == -1)
		return -1;
	for (int fam = 0; fam < 2 && rc == 0; fam++) {
		uint8_t	 f = fam == 0 ? AF_INET : AF_INET6;

		if ((rc = dump(fd, f, IPPROTO_TCP, 1u << TCP_LISTEN_STATE,
		    &nl)) == 0)
			rc = dump(fd, f, IPPROTO_UDP, ~0u, &nl);
		if (rc == -1 && errno == EINVAL && f == AF_INET6)
			rc = 0;	/* no IPv6 in this kernel */
	}
	saved = errno;
	close(fd);
	if (rc != 0) {
		free(nl.keys);
		errno = saved;
		return -1;
	}
	if (nl.n > 1)
		qsort(nl.keys, nl.n, sizeof(*nl.keys), key_cmp);
	for (uint32_t i = 0; i < nl.n; i++)
		if (k == 0 || nl.keys[i] != nl.keys[k - 1])
			nl.keys[k++] = nl.keys[i];
	nl.n = k;
	free(l->keys);
	*l = nl;
	return 0;
}

int
listeners_has(const struct listeners *l, uint8_t proto, uint16_t port)
{
	uint32_t	 key = (uint32_t)proto << 16 | port;

	return l->n > 0 && bsearch(&key, l->keys, l->n, sizeof(*l->keys),
	    key_cmp) != NULL;
}

int
listeners_same(const struct listeners *a, const struct listeners *b)
{
	return a->n == b->n &&
	    (a->n == 0 || memcmp(a->keys, b->keys, a->n * sizeof(*a->keys)) == 0);
}

void
listeners_release(struct listeners *l)
{
	free(l->keys);
	memset(l, 0, sizeof(*l));
}

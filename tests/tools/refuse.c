/*
 * refuse.c: an LD_PRELOAD shim for tests that makes the kernel refuse the
 * nftables elements of one port, as if it could not take them: element
 * messages with an element whose key is (proto . RPN_REFUSE_PORT) go to a
 * set that does not exist, which the kernel refuses with ENOENT.  Nothing
 * else changes.  Only tests load it (t-dp-refuse); rpnd has no such hook.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>

ssize_t	sendto(int, const void *, size_t, int, const struct sockaddr *,
	    socklen_t);

static const struct nlattr *
attr_find(const char *p, size_t len, uint16_t type, const char **next)
{
	size_t	 off = 0;

	while (off + NLA_HDRLEN <= len) {
		const struct nlattr	*a = (const void *)(p + off);

		if (a->nla_len < NLA_HDRLEN || off + a->nla_len > len)
			return NULL;
		if ((a->nla_type & NLA_TYPE_MASK) == type) {
			if (next != NULL)
				*next = p + off + NLA_ALIGN(a->nla_len);
			return a;
		}
		off += NLA_ALIGN(a->nla_len);
	}
	return NULL;
}

/* Does any element's key carry this port (proto . port: bytes 4 and 5)? */
static int
has_port(const char *attrs, size_t len, int port)
{
	const struct nlattr	*list, *key, *val;
	const char		*p, *end;

	if ((list = attr_find(attrs, len, NFTA_SET_ELEM_LIST_ELEMENTS,
	    NULL)) == NULL)
		return 0;
	p = (const char *)list + NLA_HDRLEN;
	end = (const char *)list + list->nla_len;
	while (p + NLA_HDRLEN <= end) {
		const struct nlattr	*el = (const void *)p;

		if (el->nla_len < NLA_HDRLEN || p + el->nla_len > end)
			return 0;
		if ((key = attr_find((const char *)el + NLA_HDRLEN,
		    el->nla_len - NLA_HDRLEN, NFTA_SET_ELEM_KEY, NULL)) != NULL &&
		    (val = attr_find((const char *)key + NLA_HDRLEN,
		    key->nla_len - NLA_HDRLEN, NFTA_DATA_VALUE, NULL)) != NULL &&
		    val->nla_len >= NLA_HDRLEN + 8) {
			const uint8_t	*k = (const uint8_t *)val + NLA_HDRLEN;

			if ((k[4] << 8 | k[5]) == port)
				return 1;
		}
		p += NLA_ALIGN(el->nla_len);
	}
	return 0;
}

static void
tamper(char *buf, size_t len, int port)
{
	size_t	 off = 0;

	while (off + NLMSG_HDRLEN <= len) {
		struct nlmsghdr	*h = (struct nlmsghdr *)(buf + off);
		char		*attrs = (char *)NLMSG_DATA(h) + sizeof(struct nfgenmsg);
		size_t		 alen;
		struct nlattr	*set;

		if (h->nlmsg_len < NLMSG_HDRLEN || off + h->nlmsg_len > len)
			return;
		if (h->nlmsg_type == (NFNL_SUBSYS_NFTABLES << 8 |
		    NFT_MSG_NEWSETELEM) &&
		    h->nlmsg_len > NLMSG_HDRLEN + sizeof(struct nfgenmsg)) {
			alen = h->nlmsg_len - NLMSG_HDRLEN -
			    sizeof(struct nfgenmsg);
			if (has_port(attrs, alen, port) &&
			    (set = (struct nlattr *)attr_find(attrs, alen,
			    NFTA_SET_ELEM_LIST_SET, NULL)) != NULL &&
			    set->nla_len > NLA_HDRLEN + 1)
				((char *)set + NLA_HDRLEN)[0] = 'X';
		}
		off += NLMSG_ALIGN(h->nlmsg_len);
	}
}

ssize_t
sendto(int fd, const void *buf, size_t len, int flags,
    const struct sockaddr *to, socklen_t tolen)
{
	static ssize_t	(*real)(int, const void *, size_t, int,
			    const struct sockaddr *, socklen_t);
	const char	*env = getenv("RPN_REFUSE_PORT");
	int		 proto = 0;
	socklen_t	 plen = sizeof(proto);

	if (real == NULL)
		real = (ssize_t (*)(int, const void *, size_t, int,
		    const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT,
		    "sendto");
	if (env != NULL && getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto,
	    &plen) == 0 && proto == NETLINK_NETFILTER) {
		char	*copy = malloc(len);
		ssize_t	 r;

		if (copy == NULL)
			return real(fd, buf, len, flags, to, tolen);
		memcpy(copy, buf, len);
		tamper(copy, len, atoi(env));
		r = real(fd, copy, len, flags, to, tolen);
		free(copy);
		return r;
	}
	return real(fd, buf, len, flags, to, tolen);
}

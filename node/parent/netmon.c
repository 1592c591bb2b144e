/*
 * netmon.c: what the host's network looks like, over rtnetlink: a snapshot
 * of links, addresses and the main table's IPv4 default routes (dumps), and
 * a socket subscribed to their changes.  The news itself is not parsed:
 * any message means "look again", which the caller does after a short
 * quiet period, so a burst (a link flap removes a dozen routes) costs one
 * snapshot.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <net/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "node/parent/netmon.h"

int
netmon_open(struct netmon *m)
{
	unsigned	 groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR |
	    RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE | RTMGRP_IPV4_RULE;
	int		 fd, sz = 1 << 20;

	memset(m, 0, sizeof(*m));
	if ((m->ev = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) == NULL)
		return -1;
	if (mnl_socket_bind(m->ev, groups, MNL_SOCKET_AUTOPID) < 0) {
		int	 e = errno;

		mnl_socket_close(m->ev);
		m->ev = NULL;
		errno = e;
		return -1;
	}
	fd = mnl_socket_get_fd(m->ev);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz));
	return 0;
}

void
netmon_close(struct netmon *m)
{
	if (m->ev != NULL)
		mnl_socket_close(m->ev);
	m->ev = NULL;
}

int
netmon_fd(const struct netmon *m)
{
	return m->ev ? mnl_socket_get_fd(m->ev) : -1;
}

/*
 * netmon_drain - read every pending message.  1 if anything arrived (or
 * news was lost to an overrun, which means the same), 0 if nothing did.
 */
int
netmon_drain(struct netmon *m)
{
	char	 buf[NL_BUF_SIZE];
	int	 any = 0;

	for (;;) {
		ssize_t	 n = recv(mnl_socket_get_fd(m->ev), buf, sizeof(buf), 0);

		if (n > 0) {
			m->events++;
			any = 1;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == ENOBUFS) {
			m->overruns++;
			any = 1;
			continue;
		}
		return any;
	}
}

/* ---- the snapshot ---- */

static int
attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr	**tb = data;
	int			 t = mnl_attr_get_type(a);

	if (t >= 0 && t < 64)
		tb[t] = a;
	return MNL_CB_OK;
}

static int
link_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg	*ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr	*tb[64] = { NULL };
	char			 name[IFNAMSIZ];

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*ifi), attr_cb, tb);
	if (tb[IFLA_IFNAME] == NULL ||
	    mnl_attr_validate(tb[IFLA_IFNAME], MNL_TYPE_STRING) < 0)
		return MNL_CB_OK;
	strncpy(name, mnl_attr_get_str(tb[IFLA_IFNAME]), sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	return nv_snap_link(data, (uint32_t)ifi->ifi_index, ifi->ifi_flags,
	    name) == 0 ? MNL_CB_OK : MNL_CB_ERROR;
}

static int
addr_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifaddrmsg	*ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr	*tb[64] = { NULL }, *ip;
	struct nv_addr		 a;
	size_t			 len = ifa->ifa_family == AF_INET ? 4 : 16;

	if (nlh->nlmsg_type != RTM_NEWADDR ||
	    (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6))
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*ifa), attr_cb, tb);
	/* IPv4: IFA_LOCAL is the address (IFA_ADDRESS is the peer on p-t-p). */
	ip = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (ip == NULL || mnl_attr_get_payload_len(ip) != len)
		return MNL_CB_OK;
	memset(&a, 0, sizeof(a));
	a.ifindex = ifa->ifa_index;
	a.family = ifa->ifa_family == AF_INET ? 4 : 6;
	a.plen = ifa->ifa_prefixlen;
	a.global = ifa->ifa_scope == RT_SCOPE_UNIVERSE;
	memcpy(a.ip, mnl_attr_get_payload(ip), len);
	return nv_snap_addr(data, &a) == 0 ? MNL_CB_OK : MNL_CB_ERROR;
}

static int
route_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg	*rm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr	*tb[64] = { NULL };
	uint32_t		 table = rm->rtm_table, metric = 0, gw = 0;

	if (nlh->nlmsg_type != RTM_NEWROUTE || rm->rtm_family != AF_INET ||
	    rm->rtm_dst_len != 0 || rm->rtm_type != RTN_UNICAST)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*rm), attr_cb, tb);
	if (tb[RTA_TABLE] != NULL)
		table = mnl_attr_get_u32(tb[RTA_TABLE]);
	if (table != RT_TABLE_MAIN)
		return MNL_CB_OK;
	if (tb[RTA_PRIORITY] != NULL)
		metric = mnl_attr_get_u32(tb[RTA_PRIORITY]);
	if (tb[RTA_GATEWAY] != NULL &&
	    mnl_attr_get_payload_len(tb[RTA_GATEWAY]) == 4)
		memcpy(&gw, mnl_attr_get_payload(tb[RTA_GATEWAY]), 4);
	if (tb[RTA_OIF] != NULL)
		return nv_snap_route(data, mnl_attr_get_u32(tb[RTA_OIF]), gw,
		    metric) == 0 ? MNL_CB_OK : MNL_CB_ERROR;
	if (tb[RTA_MULTIPATH] != NULL) {
		/* One default route over several next hops: each counts. */
		const struct rtnexthop	*nh = mnl_attr_get_payload(
		    tb[RTA_MULTIPATH]);
		int			 left = (int)mnl_attr_get_payload_len(
		    tb[RTA_MULTIPATH]);

		while (left >= (int)sizeof(*nh) && nh->rtnh_len >= sizeof(*nh) &&
		    nh->rtnh_len <= left) {
			const struct nlattr	*attr;
			const struct nlattr	*p = (const void *)RTNH_DATA(nh);
			size_t			 dlen = nh->rtnh_len - RTNH_LENGTH(0);
			uint32_t		 g = 0;

			mnl_attr_for_each_payload(p, dlen)
				if (mnl_attr_get_type(attr) == RTA_GATEWAY &&
				    mnl_attr_get_payload_len(attr) == 4)
					memcpy(&g, mnl_attr_get_payload(attr), 4);
			if (nv_snap_route(data, (uint32_t)nh->rtnh_ifindex, g,
			    metric) == -1)
				return MNL_CB_ERROR;
			left -= RTNH_ALIGN(nh->rtnh_len);
			nh = RTNH_NEXT(nh);
		}
	}
	return MNL_CB_OK;
}

static int
dump(struct nl *nl, uint16_t type, uint8_t family, size_t hdrlen, mnl_cb_t cb,
    struct nv_snap *s)
{
	char		 buf[NL_BUF_SIZE];
	struct nlmsghdr	*nlh = mnl_nlmsg_put_header(buf);
	struct rtgenmsg	*g;

	nlh->nlmsg_type = type;
	g = mnl_nlmsg_put_extra_header(nlh, hdrlen);
	g->rtgen_family = family;	/* the first byte of every header here */
	return nl_dump(nl, nlh, cb, s);
}

/*
 * netmon_snapshot - links, addresses and default routes, now.  0, or -1
 * with errno set.
 */
int
netmon_snapshot(struct nl *nl, struct nv_snap *s)
{
	memset(s, 0, sizeof(*s));
	if (dump(nl, RTM_GETLINK, AF_UNSPEC, sizeof(struct ifinfomsg),
	    link_cb, s) == -1 ||
	    dump(nl, RTM_GETADDR, AF_UNSPEC, sizeof(struct ifaddrmsg),
	    addr_cb, s) == -1 ||
	    dump(nl, RTM_GETROUTE, AF_INET, sizeof(struct rtmsg),
	    route_cb, s) == -1) {
		nv_snap_release(s);	/* frees only: errno stays */
		return -1;
	}
	return 0;
}

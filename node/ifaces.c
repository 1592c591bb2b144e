/* ifaces.c: which addresses to advertise when none are configured. */
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <stdlib.h>

#include "node/config.h"
#include "node/ifaces.h"
#include "proto/compat.h"
#include "proto/parse.h"

/* ifaces_default_route_if - the interface of the IPv4 default route, from /proc/net/route. */
int
ifaces_default_route_if(char *ifname, size_t len)
{
	FILE		*f = fopen("/proc/net/route", "r");
	char		 line[256], name[IFNAMSIZ + 1];
	unsigned long	 dst, mask;
	int		 rc = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%16s %lx %*x %*x %*d %*d %*d %lx", name, &dst,
		    &mask) == 3 && dst == 0 && mask == 0) {
			strlcpy(ifname, name, len);
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

static int
usable(const struct ifaddrs *ifa)
{
	if (ifa->ifa_addr == NULL || !(ifa->ifa_flags & IFF_UP) ||
	    (ifa->ifa_flags & IFF_LOOPBACK))
		return 0;
	if (ifa->ifa_addr->sa_family == AF_INET)
		return 1;
	if (ifa->ifa_addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)ifa->ifa_addr;

		return !IN6_IS_ADDR_LINKLOCAL(&s->sin6_addr);
	}
	return 0;
}

/*
 * ifaces_default_addrs - IPv4 addresses of the default route's interface
 * first, then of the other interfaces that are up, then global IPv6.
 */
int
ifaces_default_addrs(struct wire_addr *out, int max, uint16_t port)
{
	struct ifaddrs	*ifs, *ifa;
	char		 defif[IFNAMSIZ] = "";
	int		 n = 0;

	if (getifaddrs(&ifs) == -1)
		return -1;
	ifaces_default_route_if(defif, sizeof(defif));
	for (int pass = 0; pass < 3; pass++) {
		for (ifa = ifs; ifa != NULL && n < max; ifa = ifa->ifa_next) {
			int	 isdef = strcmp(ifa->ifa_name, defif) == 0;
			int	 v4;

			if (!usable(ifa))
				continue;
			v4 = ifa->ifa_addr->sa_family == AF_INET;
			if ((pass == 0 && !(v4 && isdef)) ||
			    (pass == 1 && !(v4 && !isdef)) || (pass == 2 && v4))
				continue;
			addr_from_sockaddr(&out[n], ifa->ifa_addr);
			out[n].port = port;
			n++;
		}
	}
	freeifaddrs(ifs);
	return n;
}

/* The gateway of a default route out of ifname, from /proc/net/route. */
static int
default_gw(const char *ifname, uint32_t *gw)
{
	FILE		*f = fopen("/proc/net/route", "r");
	char		 line[256], name[IFNAMSIZ + 1];
	unsigned long	 dst, g, mask;
	int		 rc = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%16s %lx %lx %*x %*d %*d %*d %lx", name, &dst,
		    &g, &mask) == 4 && dst == 0 && mask == 0 && g != 0 &&
		    strcmp(name, ifname) == 0) {
			*gw = (uint32_t)g;	/* already in network order */
			rc = 0;
			break;
		}
	fclose(f);
	return rc;
}

static int
first_v4(const char *ifname, uint32_t *addr, uint8_t *plen)
{
	struct ifaddrs	*ifs, *ifa;
	int		 rc = -1;

	if (getifaddrs(&ifs) == -1)
		return -1;
	for (ifa = ifs; ifa != NULL; ifa = ifa->ifa_next) {
		const struct sockaddr_in	*a, *m;

		if (ifa->ifa_addr == NULL || ifa->ifa_addr->sa_family != AF_INET ||
		    strcmp(ifa->ifa_name, ifname) != 0)
			continue;
		a = (const void *)ifa->ifa_addr;
		m = (const void *)ifa->ifa_netmask;
		*addr = a->sin_addr.s_addr;
		*plen = m ? (uint8_t)__builtin_popcount(m->sin_addr.s_addr) : 32;
		rc = 0;
		break;
	}
	freeifaddrs(ifs);
	return rc;
}

/*
 * ifaces_uplinks - the configured uplinks (or, with none configured, the
 * interface of the default route), with address and gateway.  An uplink
 * without an explicit gateway takes its default route's.
 */
int
ifaces_uplinks(const struct rpnd_config *c, struct iface_info *out, int max,
    char *err, size_t errlen)
{
	int	 n = 0;

	if (c->nuplinks == 0) {
		char	 def[IFNAMSIZ];

		if (ifaces_default_route_if(def, sizeof(def)) == -1)
			return 0;	/* no default route: no uplink to manage */
		memset(&out[0], 0, sizeof(out[0]));
		strlcpy(out[0].name, def, sizeof(out[0].name));
		n = 1;
	} else
		for (int i = 0; i < c->nuplinks && n < max; i++, n++) {
			memset(&out[n], 0, sizeof(out[n]));
			strlcpy(out[n].name, c->uplinks[i].ifname,
			    sizeof(out[n].name));
			if (c->uplinks[i].has_gw) {
				memcpy(&out[n].gw, c->uplinks[i].gw.ip, 4);
				out[n].has_gw = 1;
			}
		}
	for (int i = 0; i < n; i++) {
		if ((out[i].ifindex = if_nametoindex(out[i].name)) == 0) {
			snprintf(err, errlen, "uplink %s: no such interface",
			    out[i].name);
			return -1;
		}
		first_v4(out[i].name, &out[i].addr, &out[i].plen);
		if (!out[i].has_gw && default_gw(out[i].name, &out[i].gw) == 0)
			out[i].has_gw = 1;
	}
	return n;
}

static int
is_uplink(const char *name, const struct iface_info *ups, int nups)
{
	for (int i = 0; i < nups; i++)
		if (strcmp(ups[i].name, name) == 0)
			return 1;
	return 0;
}

/*
 * lan_addr - is this address on a LAN interface: a configured one, or, with
 * none configured, one that is up and neither loopback nor an uplink.
 */
static int
lan_addr(const struct rpnd_config *c, const struct iface_info *ups, int nups,
    const struct ifaddrs *ifa)
{
	if (ifa->ifa_addr == NULL || ifa->ifa_addr->sa_family != AF_INET ||
	    ifa->ifa_netmask == NULL || !(ifa->ifa_flags & IFF_UP))
		return 0;
	if (c->nlans > 0) {
		for (int i = 0; i < c->nlans; i++)
			if (strcmp(c->lans[i], ifa->ifa_name) == 0)
				return 1;
		return 0;
	}
	return !(ifa->ifa_flags & IFF_LOOPBACK) &&
	    !is_uplink(ifa->ifa_name, ups, nups);
}

/*
 * ifaces_lans - this site's networks: the prefixes of the configured LAN
 * interfaces, or, with none configured, of every interface that is up and
 * neither loopback nor an uplink.
 */
int
ifaces_lans(const struct rpnd_config *c, const struct iface_info *ups, int nups,
    struct wire_prefix *out, int max)
{
	struct ifaddrs	*ifs, *ifa;
	int		 n = 0;

	if (getifaddrs(&ifs) == -1)
		return 0;
	for (ifa = ifs; ifa != NULL && n < max; ifa = ifa->ifa_next) {
		const struct sockaddr_in	*a, *m;
		uint32_t			 host, mask;

		if (!lan_addr(c, ups, nups, ifa))
			continue;
		a = (const void *)ifa->ifa_addr;
		m = (const void *)ifa->ifa_netmask;
		mask = ntohl(m->sin_addr.s_addr);
		host = ntohl(a->sin_addr.s_addr) & mask;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].family = 4;
		out[n].len = (uint8_t)__builtin_popcount(mask);
		for (int i = 0; i < 4; i++)
			out[n].ip[i] = (uint8_t)(host >> (24 - 8 * i));
		n++;
	}
	freeifaddrs(ifs);
	return n;
}

/*
 * ifaces_lan_names - the LAN interfaces by name: as configured, or those
 * whose addresses ifaces_lans() advertises.
 */
int
ifaces_lan_names(const struct rpnd_config *c, const struct iface_info *ups,
    int nups, char names[][16], int max)
{
	struct ifaddrs	*ifs, *ifa;
	int		 n = 0;

	if (c->nlans > 0) {
		for (int k = 0; k < c->nlans && n < max; k++)
			strlcpy(names[n++], c->lans[k], 16);
		return n;
	}
	if (getifaddrs(&ifs) == -1)
		return 0;
	for (ifa = ifs; ifa != NULL && n < max; ifa = ifa->ifa_next) {
		int	 dup = 0;

		if (!lan_addr(c, ups, nups, ifa))
			continue;
		for (int k = 0; k < n; k++)
			dup |= strcmp(names[k], ifa->ifa_name) == 0;
		if (!dup)
			strlcpy(names[n++], ifa->ifa_name, 16);
	}
	freeifaddrs(ifs);
	return n;
}

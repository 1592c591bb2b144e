/* ifaces.c: which addresses to advertise when none are configured. */
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

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

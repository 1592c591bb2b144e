/* ifaces.h: this host's interfaces and addresses, read without privileges. */
#ifndef RPN_IFACES_H
#define RPN_IFACES_H

#include <stdint.h>

#include <net/if.h>

#include "proto/wire.h"

struct rpnd_config;

/* An uplink as found on this host: its first IPv4 address and gateway. */
struct iface_info {
	char		 name[IFNAMSIZ];
	uint32_t	 ifindex;
	uint32_t	 addr;		/* network order; 0 if none */
	uint8_t		 plen;
	int		 has_gw;
	uint32_t	 gw;		/* network order */
};

int	ifaces_default_route_if(char *ifname, size_t len);
int	ifaces_default_addrs(struct wire_addr *, int max, uint16_t port);
int	ifaces_uplinks(const struct rpnd_config *, struct iface_info *, int max,
	    char *err, size_t errlen);
int	ifaces_lans(const struct rpnd_config *, const struct iface_info *ups,
	    int nups, struct wire_prefix *, int max);
int	ifaces_lan_names(const struct rpnd_config *, const struct iface_info *ups,
	    int nups, char names[][16], int max);

#endif

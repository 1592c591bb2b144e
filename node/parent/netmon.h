/* netmon.h: the host's links, addresses and default routes over rtnetlink, and news of their changes (parent only). */
#ifndef RPN_NETMON_H
#define RPN_NETMON_H

#include <stdint.h>

#include "node/core/netview.h"
#include "node/parent/nl.h"

struct netmon {
	struct mnl_socket *ev;		/* subscribed to link, address, route and rule news */
	uint64_t	 events;	/* messages read, for the debug log */
	uint64_t	 overruns;	/* ENOBUFS: news was lost, look again */
};

int	netmon_open(struct netmon *);
void	netmon_close(struct netmon *);
int	netmon_fd(const struct netmon *);
int	netmon_drain(struct netmon *);
int	netmon_snapshot(struct nl *, struct nv_snap *);

#endif

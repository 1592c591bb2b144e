/* netview.h: which interfaces are uplinks and which are LANs, derived from a snapshot of the host's links, addresses and default routes (pure). */
#ifndef RPN_NETVIEW_H
#define RPN_NETVIEW_H

#include <stddef.h>
#include <stdint.h>
#include <net/if.h>

#include "proto/wire.h"

struct rpnd_config;

#define NV_MAX_UPLINKS	8
#define NV_MAX_NOTES	8
#define NV_NOTE_LEN	160

/* ---- the snapshot: what the kernel says ---- */

struct nv_link {
	uint32_t	 ifindex;
	uint32_t	 flags;		/* IFF_* */
	char		 name[IFNAMSIZ];
};

struct nv_addr {
	uint32_t	 ifindex;
	uint8_t		 family;	/* 4 or 6 */
	uint8_t		 plen;
	uint8_t		 global;	/* IPv6: not link-local */
	uint8_t		 ip[16];
};

/* An IPv4 default route of the main table (one per next hop). */
struct nv_route {
	uint32_t	 ifindex;
	uint32_t	 gw;		/* network order; 0: none */
	uint32_t	 metric;
};

struct nv_snap {
	struct nv_link	*links;
	uint32_t	 nlinks;
	uint32_t	 caplinks;
	struct nv_addr	*addrs;
	uint32_t	 naddrs;
	uint32_t	 capaddrs;
	struct nv_route	*routes;
	uint32_t	 nroutes;
	uint32_t	 caproutes;
};

/* ---- the view: what rpn makes of it ---- */

enum nv_source {
	NV_AUTO = 1,	/* found by rpnd */
	NV_CONFIG = 2,	/* named in rpnd.conf or on the command line */
};

struct nv_uplink {
	char		 name[IFNAMSIZ];
	uint32_t	 ifindex;	/* 0: does not exist now */
	uint32_t	 addr;		/* first IPv4 address, network order; 0: none */
	uint8_t		 plen;
	uint8_t		 has_gw;
	uint8_t		 source;	/* enum nv_source */
	uint8_t		 up;		/* the link is up */
	uint32_t	 gw;		/* network order */
	uint32_t	 metric;	/* of its default route; UINT32_MAX: none */
	uint32_t	 slot;		/* k: table 100+k, mark k */
	uint32_t	 snat;		/* the source of legs leaving by it
					   (netview_snat()); 0: masquerade's */
};

struct nv_lan {
	char		 name[IFNAMSIZ];
	uint32_t	 ifindex;
	uint8_t		 source;
};

struct netview {
	struct nv_uplink ups[NV_MAX_UPLINKS];
	uint32_t	 nups;
	struct nv_lan	*lans;		/* LAN interfaces */
	uint32_t	 nlans;
	uint32_t	 caplans;
	struct wire_prefix *prefixes;	/* this site's networks, IPv4 */
	uint32_t	 nprefixes;
	uint32_t	 capprefixes;
	struct wire_addr addrs[WIRE_MAX_ADDRS];	/* to advertise, best first */
	uint8_t		 naddrs;
	char		 notes[NV_MAX_NOTES][NV_NOTE_LEN];
	uint32_t	 nnotes;
};

/*
 * Uplink slots are sticky: an interface that was an uplink keeps its slot
 * (and stays an uplink) while it flaps, so its routing table and the marks
 * of its connections do not move and its subnet never becomes a LAN.
 */
struct nv_sticky {
	char		 names[NV_MAX_UPLINKS][IFNAMSIZ];	/* slot k-1; "" free */
	uint32_t	 gw[NV_MAX_UPLINKS];	/* the gateway it had; 0: none */
};

void	nv_snap_release(struct nv_snap *);
int	nv_snap_link(struct nv_snap *, uint32_t ifindex, uint32_t flags,
	    const char *name);
int	nv_snap_addr(struct nv_snap *, const struct nv_addr *);
int	nv_snap_route(struct nv_snap *, uint32_t ifindex, uint32_t gw,
	    uint32_t metric);

int	netview_derive(const struct rpnd_config *, const struct nv_snap *,
	    struct nv_sticky *, uint16_t port, struct netview *);
void	netview_release(struct netview *);
int	netview_same(const struct netview *, const struct netview *);
int	netview_same_uplinks(const struct netview *, const struct netview *);
int	netview_private4(uint32_t addr);

/* The view as one message from the parent to the engine, and back. */
int	netview_pack(const struct netview *, uint8_t **out, size_t *len);
int	netview_unpack(const uint8_t *, size_t, struct netview *);

#endif

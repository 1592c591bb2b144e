/* test-netview.c: uplinks and LANs derived from made-up host snapshots. */
#include <arpa/inet.h>
#include <net/if.h>

#include "node/core/config.h"
#include "node/core/netview.h"
#include "tests/unit/test.h"

static void
link_(struct nv_snap *s, uint32_t idx, const char *name, int up)
{
	ASSERT_EQ(nv_snap_link(s, idx, up ? IFF_UP : 0, name), 0);
}

static void
addr4(struct nv_snap *s, uint32_t idx, const char *ip, uint8_t plen)
{
	struct nv_addr	 a;

	memset(&a, 0, sizeof(a));
	a.ifindex = idx;
	a.family = 4;
	a.plen = plen;
	a.global = 1;
	ASSERT_EQ(inet_pton(AF_INET, ip, a.ip), 1);
	ASSERT_EQ(nv_snap_addr(s, &a), 0);
}

static void
route(struct nv_snap *s, uint32_t idx, const char *gw, uint32_t metric)
{
	uint32_t	 g;

	ASSERT_EQ(inet_pton(AF_INET, gw, &g), 1);
	ASSERT_EQ(nv_snap_route(s, idx, g, metric), 0);
}

static uint32_t
ip4(const char *ip)
{
	uint32_t	 a;

	ASSERT_EQ(inet_pton(AF_INET, ip, &a), 1);
	return a;
}

/* A cloud VM: two NICs, a default route on each (metrics 100 and 200). */
static void
cloud(struct nv_snap *s, int eth1_route)
{
	memset(s, 0, sizeof(*s));
	ASSERT_EQ(nv_snap_link(s, 1, IFF_UP | IFF_LOOPBACK, "lo"), 0);
	addr4(s, 1, "127.0.0.1", 8);
	link_(s, 2, "eth0", 1);
	link_(s, 3, "eth1", 1);
	addr4(s, 2, "10.0.0.4", 24);
	addr4(s, 3, "10.0.1.4", 24);
	route(s, 2, "10.0.0.1", 100);
	if (eth1_route)
		route(s, 3, "10.0.1.1", 200);
}

TEST(netview_two_nics_two_uplinks)
{
	struct rpnd_config	 c;
	struct nv_snap		 s;
	struct nv_sticky	 st;
	struct netview		 v;

	config_default(&c);
	memset(&st, 0, sizeof(st));
	/* eth1 listed first by the kernel, but its metric is higher */
	memset(&s, 0, sizeof(s));
	link_(&s, 3, "eth1", 1);
	link_(&s, 2, "eth0", 1);
	addr4(&s, 2, "10.0.0.4", 24);
	addr4(&s, 3, "10.0.1.4", 24);
	route(&s, 3, "10.0.1.1", 200);
	route(&s, 2, "10.0.0.1", 100);
	ASSERT_EQ(netview_derive(&c, &s, &st, 7480, &v), 0);
	ASSERT_EQ(v.nups, 2);
	ASSERT_STR_EQ(v.ups[0].name, "eth0");
	ASSERT_EQ(v.ups[0].slot, 1);
	ASSERT_EQ(v.ups[0].metric, 100);
	ASSERT_STR_EQ(v.ups[1].name, "eth1");
	ASSERT_EQ(v.ups[1].slot, 2);
	ASSERT_EQ(v.ups[1].has_gw, 1);
	ASSERT_EQ(v.ups[1].source, NV_AUTO);
	/* no LAN: an uplink's subnet never is one, however private */
	ASSERT_EQ(v.nlans, 0);
	ASSERT_EQ(v.nprefixes, 0);
	/* both uplink addresses are advertised, in slot order */
	ASSERT_EQ(v.naddrs, 2);
	ASSERT_EQ(v.addrs[0].ip[2], 0);
	ASSERT_EQ(v.addrs[1].ip[2], 1);
	ASSERT_EQ(v.addrs[1].port, 7480);
	netview_release(&v);
	nv_snap_release(&s);
}

TEST(netview_sticky_uplink_survives_a_flap)
{
	struct rpnd_config	 c;
	struct nv_snap		 s;
	struct nv_sticky	 st;
	struct netview		 v;

	config_default(&c);
	memset(&st, 0, sizeof(st));
	cloud(&s, 1);
	ASSERT_EQ(netview_derive(&c, &s, &st, 7480, &v), 0);
	ASSERT_EQ(v.nups, 2);
	netview_release(&v);
	nv_snap_release(&s);
	/*
	 * the link came back, its DHCP client has not put the route back yet:
	 * its table keeps the gateway it had
	 */
	cloud(&s, 0);
	ASSERT_EQ(netview_derive(&c, &s, &st, 7480, &v), 0);
	ASSERT_EQ(v.nups, 2);
	ASSERT_STR_EQ(v.ups[1].name, "eth1");
	ASSERT_EQ(v.ups[1].slot, 2);
	ASSERT_EQ(v.ups[1].has_gw, 1);
	ASSERT_EQ(v.ups[1].gw, ip4("10.0.1.1"));
	ASSERT_EQ(v.ups[1].metric, UINT32_MAX);
	ASSERT_EQ(v.nlans, 0);		/* not a LAN in between */
	ASSERT(v.nnotes >= 1);
	ASSERT(strstr(v.notes[0], "keeps the gateway it had, 10.0.1.1") != NULL);
	netview_release(&v);
	nv_snap_release(&s);
	/* ... but not once its address is in another subnet */
	memset(&s, 0, sizeof(s));
	link_(&s, 2, "eth0", 1);
	link_(&s, 3, "eth1", 1);
	addr4(&s, 2, "10.0.0.4", 24);
	addr4(&s, 3, "10.0.7.4", 24);
	route(&s, 2, "10.0.0.1", 100);
	ASSERT_EQ(netview_derive(&c, &s, &st, 7480, &v), 0);
	ASSERT_STR_EQ(v.ups[1].name, "eth1");
	ASSERT_EQ(v.ups[1].has_gw, 0);
	netview_release(&v);
	nv_snap_release(&s);
	cloud(&s, 0);
	/* a fresh rpnd without the sticky slots would have taken it for a LAN */
	memset(&st, 0, sizeof(st));
	ASSERT_EQ(netview_derive(&c, &s, &st, 7480, &v), 0);
	ASSERT_EQ(v.nups, 1);
	ASSERT_EQ(v.nlans, 1);
	netview_release(&v);
	nv_snap_release(&s);
}


/*
 * The source a leg leaving by an uplink takes (nic_snat): the address a
 * masquerade would choose, where that is plain; else 0 (masquerade).
 */
TEST(netview_uplink_snat_address)
{
	struct rpnd_config	 c;
	struct nv_snap		 s;
	struct nv_sticky	 st;
	struct netview		 v;

	config_default(&c);
	memset(&st, 0, sizeof(st));
	cloud(&s, 1);
	ASSERT_EQ(netview_derive(&c, &s, &st, 7480, &v), 0);
	ASSERT_EQ(v.ups[0].snat, ip4("10.0.0.4"));
	ASSERT_EQ(v.ups[1].snat, ip4("10.0.1.4"));
	netview_release(&v);
	nv_snap_release(&s);

	/* a cloud's /32 and its gateway on-link: its one address */
	memset(&st, 0, sizeof(st));
	memset(&s, 0, sizeof(s));
	link_(&s, 2, "ens4", 1);
	addr4(&s, 2, "10.128.0.5", 32);
	route(&s, 2, "10.128.0.1", 100);
	ASSERT_EQ(netview_derive(&c, &s, &st, 7480, &v), 0);
	ASSERT_EQ(v.nups, 1);
	ASSERT_EQ(v.ups[0].snat, ip4("10.128.0.5"));
	netview_release(&v);
	/* a second address, in the gateway's subnet: that one */
	addr4(&s, 2, "10.128.0.9", 24);
	ASSERT_EQ(netview_derive(&c, &s, &st, 7480, &v), 0);
	ASSERT_EQ(v.ups[0].snat, ip4("10.128.0.9"));
	netview_release(&v);
	/* and a third in the same subnet: not plain, masquerade chooses */
	addr4(&s, 2, "10.128.0.10", 24);
	ASSERT_EQ(netview_derive(&c, &s, &st, 7480, &v), 0);
	ASSERT_EQ(v.ups[0].snat, 0);
	netview_release(&v);
	nv_snap_release(&s);

	/* the address gone (a DHCP client between leases): none */
	memset(&st, 0, sizeof(st));
	cloud(&s, 1);
	ASSERT_EQ(netview_derive(&c, &s, &st, 7480, &v), 0);
	netview_release(&v);
	nv_snap_release(&s);
	memset(&s, 0, sizeof(s));
	link_(&s, 2, "eth0", 1);
	link_(&s, 3, "eth1", 1);
	addr4(&s, 3, "10.0.1.4", 24);
	route(&s, 3, "10.0.1.1", 200);
	ASSERT_EQ(netview_derive(&c, &s, &st, 7480, &v), 0);
	ASSERT_EQ(v.nups, 2);
	ASSERT_STR_EQ(v.ups[0].name, "eth0");
	ASSERT_EQ(v.ups[0].snat, 0);
	ASSERT_EQ(v.ups[1].snat, ip4("10.0.1.4"));
	netview_release(&v);
	nv_snap_release(&s);
}

TEST(netview_lans_private_only_unless_named)
{
	struct rpnd_config	 c;
	struct nv_snap		 s;
	struct nv_sticky	 st;
	struct netview		 v;
	char			 err[128];

	config_default(&c);
	memset(&st, 0, sizeof(st));
	memset(&s, 0, sizeof(s));
	link_(&s, 2, "eth0", 1);
	link_(&s, 3, "lan0", 1);
	link_(&s, 4, "pub0", 1);
	link_(&s, 5, "down0", 0);
	addr4(&s, 2, "198.51.100.2", 28);
	addr4(&s, 3, "100.64.2.1", 24);
	addr4(&s, 3, "192.168.7.1", 24);
	addr4(&s, 4, "203.0.113.5", 24);
	addr4(&s, 5, "10.9.9.1", 24);
	route(&s, 2, "198.51.100.1", 0);
	ASSERT_EQ(netview_derive(&c, &s, &st, 7480, &v), 0);
	ASSERT_EQ(v.nups, 1);
	ASSERT_EQ(v.nlans, 1);
	ASSERT_STR_EQ(v.lans[0].name, "lan0");
	ASSERT_EQ(v.nprefixes, 2);
	ASSERT_EQ(v.prefixes[0].ip[0], 100);
	ASSERT_EQ(v.prefixes[0].ip[3], 0);
	ASSERT_EQ(v.prefixes[0].len, 24);
	ASSERT_EQ(v.nnotes, 1);		/* pub0: public, no default route */
	ASSERT(strstr(v.notes[0], "pub0") != NULL);
	netview_release(&v);

	/* named: taken as it is, but never an uplink's subnet */
	ASSERT_EQ(config_add_lan(&c, "pub0", err, sizeof(err)), 0);
	ASSERT_EQ(config_add_lan(&c, "eth0", err, sizeof(err)), 0);
	ASSERT_EQ(config_add_lan(&c, "nosuch", err, sizeof(err)), 0);
	ASSERT_EQ(netview_derive(&c, &s, &st, 7480, &v), 0);
	ASSERT_EQ(v.nlans, 3);
	ASSERT_EQ(v.nprefixes, 1);
	ASSERT_EQ(v.prefixes[0].ip[0], 203);
	ASSERT_EQ(v.lans[2].ifindex, 0);
	ASSERT_EQ(v.nnotes, 2);		/* nosuch missing; eth0 overlaps */
	netview_release(&v);
	nv_snap_release(&s);
}

TEST(netview_configured_uplinks_and_no_default_route)
{
	struct rpnd_config	 c;
	struct nv_snap		 s;
	struct nv_sticky	 st;
	struct netview		 v;
	char			 err[128];

	config_default(&c);
	memset(&st, 0, sizeof(st));
	memset(&s, 0, sizeof(s));
	link_(&s, 2, "eth0", 1);
	addr4(&s, 2, "192.0.2.1", 24);
	ASSERT_EQ(netview_derive(&c, &s, &st, 7480, &v), 0);
	ASSERT_EQ(v.nups, 0);
	ASSERT_EQ(v.nlans, 0);		/* documentation prefix: not private */
	ASSERT_EQ(v.naddrs, 1);		/* still advertised */
	ASSERT(v.nnotes >= 1);
	netview_release(&v);
	ASSERT_EQ(config_add_uplink(&c, "eth0@192.0.2.254", err, sizeof(err)), 0);
	ASSERT_EQ(config_add_uplink(&c, "eth9", err, sizeof(err)), 0);
	ASSERT_EQ(netview_derive(&c, &s, &st, 7480, &v), 0);
	ASSERT_EQ(v.nups, 2);
	ASSERT_EQ(v.ups[0].source, NV_CONFIG);
	ASSERT_EQ(v.ups[0].has_gw, 1);
	ASSERT_EQ(v.ups[1].ifindex, 0);
	ASSERT_EQ(v.ups[1].slot, 2);
	netview_release(&v);
	nv_snap_release(&s);
}

TEST(netview_pack_unpack)
{
	struct rpnd_config	 c;
	struct nv_snap		 s;
	struct nv_sticky	 st;
	struct netview		 v, w;
	uint8_t			*msg;
	size_t			 len;

	config_default(&c);
	memset(&st, 0, sizeof(st));
	cloud(&s, 1);
	addr4(&s, 3, "10.0.1.5", 24);
	link_(&s, 7, "lan0", 1);
	addr4(&s, 7, "100.64.9.1", 24);
	ASSERT_EQ(netview_derive(&c, &s, &st, 7480, &v), 0);
	ASSERT_EQ(netview_pack(&v, &msg, &len), 0);
	ASSERT_EQ(netview_unpack(msg, len, &w), 0);
	ASSERT(netview_same(&v, &w));
	ASSERT(netview_same_uplinks(&v, &w));
	netview_release(&w);
	ASSERT_EQ(netview_unpack(msg, len - 1, &w), -1);
	ASSERT_EQ(netview_unpack(msg, 3, &w), -1);
	msg[0] = 99;	/* nups */
	ASSERT_EQ(netview_unpack(msg, len, &w), -1);
	free(msg);
	netview_release(&v);
	nv_snap_release(&s);
}

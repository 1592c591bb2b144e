/*
 * netview.c: uplinks and LANs from a snapshot of the host (pure).
 *
 * The rule (docs/dataplane.md §4): an interface with an IPv4 default route
 * in the main table (any metric) is an uplink, as cloud images configure
 * every NIC (netplan, networkd and NetworkManager give each DHCP NIC a
 * default route with its own metric); so is one the operator names.  A LAN
 * is an interface the operator names, or, with none named, one that is up,
 * not loopback, not an uplink, and whose addresses are all private (RFC 1918
 * or RFC 6598).  An uplink's subnet is never a LAN prefix, so a wrongly
 * classified interface can never widen access; what rpnd cannot classify
 * it leaves out and says so in a note (log and status).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "node/core/array.h"
#include "node/core/config.h"
#include "node/core/netview.h"
#include "proto/compat.h"
#include "proto/parse.h"

/* ---- the snapshot ---- */

void
nv_snap_release(struct nv_snap *s)
{
	free(s->links);
	free(s->addrs);
	free(s->routes);
	memset(s, 0, sizeof(*s));
}

int
nv_snap_link(struct nv_snap *s, uint32_t ifindex, uint32_t flags,
    const char *name)
{
	struct nv_link	*l;

	if (array_reserve(&s->links, &s->caplinks, s->nlinks + 1,
	    sizeof(*l)) == -1)
		return -1;
	l = &s->links[s->nlinks];
	memset(l, 0, sizeof(*l));
	l->ifindex = ifindex;
	l->flags = flags;
	strlcpy(l->name, name, sizeof(l->name));
	s->nlinks++;
	return 0;
}

int
nv_snap_addr(struct nv_snap *s, const struct nv_addr *a)
{
	if (array_reserve(&s->addrs, &s->capaddrs, s->naddrs + 1,
	    sizeof(*a)) == -1)
		return -1;
	s->addrs[s->naddrs] = *a;
	s->naddrs++;
	return 0;
}

int
nv_snap_route(struct nv_snap *s, uint32_t ifindex, uint32_t gw, uint32_t metric)
{
	struct nv_route	*r;

	if (array_reserve(&s->routes, &s->caproutes, s->nroutes + 1,
	    sizeof(*r)) == -1)
		return -1;
	r = &s->routes[s->nroutes];
	r->ifindex = ifindex;
	r->gw = gw;
	r->metric = metric;
	s->nroutes++;
	return 0;
}

static const struct nv_link *
link_by_name(const struct nv_snap *s, const char *name)
{
	for (uint32_t i = 0; i < s->nlinks; i++)
		if (strcmp(s->links[i].name, name) == 0)
			return &s->links[i];
	return NULL;
}

/* The lowest-metric default route out of ifindex, or NULL. */
static const struct nv_route *
default_route(const struct nv_snap *s, uint32_t ifindex)
{
	const struct nv_route	*best = NULL;

	for (uint32_t i = 0; i < s->nroutes; i++)
		if (s->routes[i].ifindex == ifindex &&
		    (best == NULL || s->routes[i].metric < best->metric))
			best = &s->routes[i];
	return best;
}

static const struct nv_addr *
first_v4(const struct nv_snap *s, uint32_t ifindex)
{
	for (uint32_t i = 0; i < s->naddrs; i++)
		if (s->addrs[i].ifindex == ifindex && s->addrs[i].family == 4)
			return &s->addrs[i];
	return NULL;
}

/* in_subnet - gw is in the subnet of addr/plen (network order). */
static int
in_subnet(uint32_t gw, uint32_t addr, uint8_t plen)
{
	uint32_t	 m = plen == 0 ? 0 : htonl(~0u << (32 - (plen > 32 ?
	    32 : plen)));

	return (gw & m) == (addr & m);
}

/*
 * snat_v4 - the source a masquerade would give a connection leaving by
 * ifindex towards gw (the kernel's inet_select_addr(): the address whose
 * subnet holds the next hop, else the first), where that is plain: the
 * interface's one IPv4 address (whatever the gateway: a cloud's /32 with
 * its gateway on-link), or the one address whose subnet holds gw.  0 when
 * it is not plain (no address, or several that could be chosen).
 */
static uint32_t
snat_v4(const struct nv_snap *s, uint32_t ifindex, uint32_t gw)
{
	uint32_t	 one = 0, in_gw = 0, n = 0, m = 0, a;

	for (uint32_t i = 0; i < s->naddrs; i++) {
		if (s->addrs[i].ifindex != ifindex || s->addrs[i].family != 4 ||
		    s->addrs[i].plen > 32)
			continue;
		memcpy(&a, s->addrs[i].ip, 4);
		one = a;
		n++;
		if (gw != 0 && in_subnet(gw, a, s->addrs[i].plen)) {
			in_gw = a;
			m++;
		}
	}
	if (n == 1)
		return one;
	return m == 1 ? in_gw : 0;
}

/* ---- the view ---- */

static void
note(struct netview *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
note(struct netview *v, const char *fmt, ...)
{
	va_list	 ap;

	if (v->nnotes == NV_MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(v->notes[v->nnotes++], NV_NOTE_LEN, fmt, ap);
	va_end(ap);
}

static uint32_t
host4(const uint8_t ip[4])
{
	return (uint32_t)ip[0] << 24 | (uint32_t)ip[1] << 16 |
	    (uint32_t)ip[2] << 8 | ip[3];
}

static uint32_t
mask4(uint8_t plen)
{
	return plen == 0 ? 0 : 0xffffffffu << (32 - plen);
}

/* netview_private4 - RFC 1918 or RFC 6598 (shared space); host order. */
int
netview_private4(uint32_t a)
{
	return (a >> 24) == 10 || (a >> 20) == (172 << 4 | 1) ||
	    (a >> 16) == (192 << 8 | 168) || (a >> 22) == (100 << 2 | 1);
}

static int
overlap4(uint32_t a, uint8_t alen, uint32_t b, uint8_t blen)
{
	uint8_t	 l = alen < blen ? alen : blen;

	return ((a ^ b) & mask4(l)) == 0;
}

static int
is_uplink_name(const struct netview *v, const char *name)
{
	for (uint32_t i = 0; i < v->nups; i++)
		if (strcmp(v->ups[i].name, name) == 0)
			return 1;
	return 0;
}

/* Every IPv4 address of an uplink interface, against a prefix. */
static const struct nv_uplink *
uplink_overlap(const struct netview *v, const struct nv_snap *s, uint32_t net,
    uint8_t plen)
{
	for (uint32_t i = 0; i < v->nups; i++) {
		if (v->ups[i].ifindex == 0)
			continue;
		for (uint32_t j = 0; j < s->naddrs; j++) {
			const struct nv_addr	*a = &s->addrs[j];

			if (a->ifindex == v->ups[i].ifindex && a->family == 4 &&
			    overlap4(host4(a->ip), a->plen, net, plen))
				return &v->ups[i];
		}
	}
	return NULL;
}

static int
cand_cmp(const void *x, const void *y)
{
	const struct nv_route	*a = x, *b = y;

	if (a->metric != b->metric)
		return a->metric < b->metric ? -1 : 1;
	return a->ifindex < b->ifindex ? -1 : a->ifindex > b->ifindex;
}

/* The uplinks: the configured ones in order, or those with a default route. */
static int
derive_uplinks(const struct rpnd_config *c, const struct nv_snap *s,
    struct nv_sticky *st, struct netview *v)
{
	if (c->nuplinks > 0) {
		for (int i = 0; i < c->nuplinks && i < NV_MAX_UPLINKS; i++) {
			struct nv_uplink	*u = &v->ups[v->nups++];

			strlcpy(u->name, c->uplinks[i].ifname, sizeof(u->name));
			u->source = NV_CONFIG;
			u->slot = (uint32_t)i + 1;
			if (c->uplinks[i].has_gw) {
				memcpy(&u->gw, c->uplinks[i].gw.ip, 4);
				u->has_gw = 1;
			}
		}
		return 0;
	} else {
		struct nv_route	*cand;
		uint32_t	 ncand = 0;

		if ((cand = calloc(s->nroutes + 1, sizeof(*cand))) == NULL)
			return -1;
		/* One candidate per interface: its lowest-metric default route. */
		for (uint32_t i = 0; i < s->nroutes; i++) {
			const struct nv_route	*r = default_route(s,
			    s->routes[i].ifindex);
			int			 dup = 0;

			for (uint32_t j = 0; j < ncand; j++)
				dup |= cand[j].ifindex == r->ifindex;
			if (!dup)
				cand[ncand++] = *r;
		}
		qsort(cand, ncand, sizeof(*cand), cand_cmp);
		for (uint32_t i = 0; i < ncand; i++) {
			const struct nv_link	*l = NULL;
			int			 k, have = 0;

			for (uint32_t j = 0; j < s->nlinks; j++)
				if (s->links[j].ifindex == cand[i].ifindex)
					l = &s->links[j];
			if (l == NULL)
				continue;
			for (k = 0; k < NV_MAX_UPLINKS; k++)
				have |= strcmp(st->names[k], l->name) == 0;
			if (have)
				continue;
			for (k = 0; k < NV_MAX_UPLINKS && st->names[k][0]; k++)
				;
			if (k == NV_MAX_UPLINKS) {
				note(v, "%s has a default route, but rpn manages "
				    "at most %d uplinks: ignored", l->name,
				    NV_MAX_UPLINKS);
				continue;
			}
			strlcpy(st->names[k], l->name, IFNAMSIZ);
		}
		free(cand);
		for (int k = 0; k < NV_MAX_UPLINKS; k++) {
			struct nv_uplink	*u;

			if (st->names[k][0] == '\0')
				continue;
			u = &v->ups[v->nups++];
			strlcpy(u->name, st->names[k], sizeof(u->name));
			u->source = NV_AUTO;
			u->slot = (uint32_t)k + 1;
		}
		if (v->nups == 0)
			note(v, "no IPv4 default route: this node has no uplink "
			    "and answers by its main routing table; name uplinks "
			    "with --uplink or \"uplink\" in rpnd.conf");
	}
	return 0;
}

static void
fill_uplinks(const struct nv_snap *s, struct nv_sticky *st, struct netview *v)
{
	for (uint32_t i = 0; i < v->nups; i++) {
		struct nv_uplink	*u = &v->ups[i];
		const struct nv_link	*l = link_by_name(s, u->name);
		const struct nv_addr	*a;
		const struct nv_route	*r;
		uint32_t		*had = &st->gw[u->slot - 1];
		char			 g[INET_ADDRSTRLEN];

		u->metric = UINT32_MAX;
		if (l == NULL) {
			note(v, "uplink %s: no such interface (now)", u->name);
			continue;
		}
		u->ifindex = l->ifindex;
		u->up = (l->flags & IFF_UP) != 0;
		if ((a = first_v4(s, l->ifindex)) != NULL) {
			memcpy(&u->addr, a->ip, 4);
			u->plen = a->plen;
		}
		if ((r = default_route(s, l->ifindex)) != NULL) {
			u->metric = r->metric;
			if (!u->has_gw && r->gw != 0) {
				u->gw = r->gw;
				u->has_gw = 1;
			}
		}
		/*
		 * A link that is up with no default route, as between its
		 * return and its DHCP client's route: its table keeps the
		 * gateway it had, while that is in its subnet, so replies
		 * through it work at once (t-dp-flap).
		 */
		if (u->has_gw)
			*had = u->gw;
		else if (r == NULL && u->up && *had != 0 && u->addr != 0 &&
		    in_subnet(*had, u->addr, u->plen)) {
			u->gw = *had;
			u->has_gw = 1;
			inet_ntop(AF_INET, had, g, sizeof(g));
			note(v, "uplink %s has no default route now; it stays an "
			    "uplink, and its table keeps the gateway it had, %s",
			    u->name, g);
		}
		if (r == NULL && u->source == NV_AUTO && !u->has_gw)
			note(v, "uplink %s has no default route now; it stays an "
			    "uplink", u->name);
		if (!u->has_gw && u->up)
			note(v, "uplink %s has no gateway: replies to clients "
			    "beyond its subnet follow the main table", u->name);
		u->snat = snat_v4(s, l->ifindex, u->has_gw ? u->gw : 0);
	}
}

static int
add_lan(struct netview *v, const char *name, uint32_t ifindex, uint8_t source)
{
	struct nv_lan	*l;

	if (array_reserve(&v->lans, &v->caplans, v->nlans + 1,
	    sizeof(*l)) == -1)
		return -1;
	l = &v->lans[v->nlans];
	memset(l, 0, sizeof(*l));
	strlcpy(l->name, name, sizeof(l->name));
	l->ifindex = ifindex;
	l->source = source;
	v->nlans++;
	return 0;
}

static int
derive_lans(const struct rpnd_config *c, const struct nv_snap *s,
    struct netview *v)
{
	if (c->nlans > 0) {
		for (int i = 0; i < c->nlans; i++) {
			const struct nv_link	*l = link_by_name(s, c->lans[i]);

			if (l == NULL)
				note(v, "lan %s: no such interface (now)",
				    c->lans[i]);
			if (add_lan(v, c->lans[i], l ? l->ifindex : 0,
			    NV_CONFIG) == -1)
				return -1;
		}
		return 0;
	}
	for (uint32_t i = 0; i < s->nlinks; i++) {
		const struct nv_link	*l = &s->links[i];
		char			 pub[ADDRSTRLEN] = "";
		int			 any = 0;

		if (!(l->flags & IFF_UP) || (l->flags & IFF_LOOPBACK) ||
		    is_uplink_name(v, l->name))
			continue;
		for (uint32_t j = 0; j < s->naddrs; j++) {
			const struct nv_addr	*a = &s->addrs[j];

			if (a->ifindex != l->ifindex || a->family != 4)
				continue;
			any = 1;
			if (!netview_private4(host4(a->ip)) && pub[0] == '\0')
				snprintf(pub, sizeof(pub), "%u.%u.%u.%u/%u",
				    a->ip[0], a->ip[1], a->ip[2], a->ip[3],
				    a->plen);
		}
		if (!any)
			continue;
		if (pub[0]) {
			note(v, "%s (%s) has no default route and a public "
			    "address: neither an uplink nor a LAN; name it with "
			    "--uplink or --lan", l->name, pub);
			continue;
		}
		if (add_lan(v, l->name, l->ifindex, NV_AUTO) == -1)
			return -1;
	}
	return 0;
}

static int
derive_prefixes(const struct nv_snap *s, struct netview *v)
{
	for (uint32_t i = 0; i < v->nlans; i++) {
		for (uint32_t j = 0; j < s->naddrs; j++) {
			const struct nv_addr	*a = &s->addrs[j];
			const struct nv_uplink	*u;
			struct wire_prefix	 p;
			uint32_t		 net;
			int			 dup = 0;

			if (v->lans[i].ifindex == 0 ||
			    a->ifindex != v->lans[i].ifindex || a->family != 4)
				continue;
			net = host4(a->ip) & mask4(a->plen);
			if ((u = uplink_overlap(v, s, net, a->plen)) != NULL) {
				note(v, "lan %s: %u.%u.%u.%u/%u overlaps uplink "
				    "%s's subnet: not advertised", v->lans[i].name,
				    a->ip[0], a->ip[1], a->ip[2], a->ip[3],
				    a->plen, u->name);
				continue;
			}
			memset(&p, 0, sizeof(p));
			p.family = 4;
			p.len = a->plen;
			for (int b = 0; b < 4; b++)
				p.ip[b] = (uint8_t)(net >> (24 - 8 * b));
			for (uint32_t k = 0; k < v->nprefixes; k++)
				dup |= memcmp(&v->prefixes[k], &p, sizeof(p)) == 0;
			if (dup)
				continue;
			if (array_reserve(&v->prefixes, &v->capprefixes,
			    v->nprefixes + 1, sizeof(p)) == -1)
				return -1;
			v->prefixes[v->nprefixes++] = p;
		}
	}
	return 0;
}

static void
add_adv(struct netview *v, uint8_t family, const uint8_t *ip, uint16_t port)
{
	struct wire_addr	 a;

	if (v->naddrs == WIRE_MAX_ADDRS)
		return;
	memset(&a, 0, sizeof(a));
	a.family = family;
	memcpy(a.ip, ip, family == 4 ? 4 : 16);
	a.port = port;
	for (uint8_t i = 0; i < v->naddrs; i++)
		if (addr_eq(&v->addrs[i], &a))
			return;
	v->addrs[v->naddrs++] = a;
}

/*
 * The addresses to advertise when none are configured: the uplinks' first
 * addresses in slot order, then the other IPv4 addresses of interfaces that
 * are up, then global IPv6 ones.
 */
static void
derive_addrs(const struct nv_snap *s, uint16_t port, struct netview *v)
{
	for (uint32_t i = 0; i < v->nups; i++)
		if (v->ups[i].addr != 0)
			add_adv(v, 4, (const uint8_t *)&v->ups[i].addr, port);
	for (int fam = 4; fam <= 6; fam += 2)
		for (uint32_t i = 0; i < s->naddrs; i++) {
			const struct nv_addr	*a = &s->addrs[i];
			const struct nv_link	*l = NULL;

			for (uint32_t j = 0; j < s->nlinks; j++)
				if (s->links[j].ifindex == a->ifindex)
					l = &s->links[j];
			if (l == NULL || !(l->flags & IFF_UP) ||
			    (l->flags & IFF_LOOPBACK) || a->family != fam ||
			    (fam == 6 && !a->global))
				continue;
			add_adv(v, a->family, a->ip, port);
		}
}

/*
 * netview_derive - the view of the host, from the snapshot, the
 * configuration and the sticky uplink slots (updated).  0, or -1 when out
 * of memory.
 */
int
netview_derive(const struct rpnd_config *c, const struct nv_snap *s,
    struct nv_sticky *st, uint16_t port, struct netview *v)
{
	memset(v, 0, sizeof(*v));
	if (derive_uplinks(c, s, st, v) == -1)
		return -1;
	fill_uplinks(s, st, v);
	if (derive_lans(c, s, v) == -1 || derive_prefixes(s, v) == -1)
		return -1;
	derive_addrs(s, port, v);
	return 0;
}

void
netview_release(struct netview *v)
{
	free(v->lans);
	free(v->prefixes);
	memset(v, 0, sizeof(*v));
}

int
netview_same_uplinks(const struct netview *a, const struct netview *b)
{
	if (a->nups != b->nups)
		return 0;
	for (uint32_t i = 0; i < a->nups; i++)
		if (a->ups[i].slot != b->ups[i].slot ||
		    a->ups[i].ifindex != b->ups[i].ifindex ||
		    strcmp(a->ups[i].name, b->ups[i].name) != 0)
			return 0;
	return 1;
}

int
netview_same(const struct netview *a, const struct netview *b)
{
	return a->nups == b->nups && a->nlans == b->nlans &&
	    a->nprefixes == b->nprefixes && a->naddrs == b->naddrs &&
	    a->nnotes == b->nnotes &&
	    memcmp(a->ups, b->ups, sizeof(a->ups)) == 0 &&
	    (a->nlans == 0 ||
	    memcmp(a->lans, b->lans, a->nlans * sizeof(*a->lans)) == 0) &&
	    (a->nprefixes == 0 || memcmp(a->prefixes, b->prefixes,
	    a->nprefixes * sizeof(*a->prefixes)) == 0) &&
	    memcmp(a->addrs, b->addrs, sizeof(a->addrs)) == 0 &&
	    memcmp(a->notes, b->notes, sizeof(a->notes)) == 0;
}

/* ---- parent to engine ---- */

struct nv_wire_head {
	uint32_t	 nups;
	uint32_t	 nlans;
	uint32_t	 nprefixes;
	uint32_t	 naddrs;
	uint32_t	 nnotes;
};

/*
 * netview_pack - one flat message: a head with the counts, then the arrays.
 * Both ends are the same executable, so the structs travel as they are;
 * the engine still checks the counts against the length.
 */
int
netview_pack(const struct netview *v, uint8_t **out, size_t *len)
{
	struct nv_wire_head	 h = { v->nups, v->nlans, v->nprefixes,
	    v->naddrs, v->nnotes };
	size_t			 n = sizeof(h) + h.nups * sizeof(*v->ups) +
	    h.nlans * sizeof(*v->lans) + h.nprefixes * sizeof(*v->prefixes) +
	    h.naddrs * sizeof(*v->addrs) + h.nnotes * NV_NOTE_LEN;
	uint8_t			*p;

	if ((p = *out = malloc(n)) == NULL)
		return -1;
	*len = n;
	memcpy(p, &h, sizeof(h));
	p += sizeof(h);
#define PUT(src, cnt, sz) do {						\
	if ((cnt) > 0)							\
		memcpy(p, (src), (size_t)(cnt) * (sz));			\
	p += (size_t)(cnt) * (sz);					\
} while (0)
	PUT(v->ups, h.nups, sizeof(*v->ups));
	PUT(v->lans, h.nlans, sizeof(*v->lans));
	PUT(v->prefixes, h.nprefixes, sizeof(*v->prefixes));
	PUT(v->addrs, h.naddrs, sizeof(*v->addrs));
	PUT(v->notes, h.nnotes, NV_NOTE_LEN);
#undef PUT
	return 0;
}

int
netview_unpack(const uint8_t *p, size_t len, struct netview *v)
{
	struct nv_wire_head	 h;
	size_t			 need;

	memset(v, 0, sizeof(*v));
	if (len < sizeof(h))
		return -1;
	memcpy(&h, p, sizeof(h));
	if (h.nups > NV_MAX_UPLINKS || h.naddrs > WIRE_MAX_ADDRS ||
	    h.nnotes > NV_MAX_NOTES || h.nlans > (1u << 16) ||
	    h.nprefixes > (1u << 20))
		return -1;
	need = sizeof(h) + h.nups * sizeof(*v->ups) +
	    (size_t)h.nlans * sizeof(*v->lans) +
	    (size_t)h.nprefixes * sizeof(*v->prefixes) +
	    h.naddrs * sizeof(*v->addrs) + h.nnotes * NV_NOTE_LEN;
	if (len != need)
		return -1;
	p += sizeof(h);
	if ((h.nlans > 0 && (v->lans = calloc(h.nlans, sizeof(*v->lans))) ==
	    NULL) || (h.nprefixes > 0 && (v->prefixes = calloc(h.nprefixes,
	    sizeof(*v->prefixes))) == NULL)) {
		netview_release(v);
		return -1;
	}
#define GET(dst, cnt, sz) do {						\
	if ((cnt) > 0)							\
		memcpy((dst), p, (size_t)(cnt) * (sz));			\
	p += (size_t)(cnt) * (sz);					\
} while (0)
	GET(v->ups, h.nups, sizeof(*v->ups));
	GET(v->lans, h.nlans, sizeof(*v->lans));
	GET(v->prefixes, h.nprefixes, sizeof(*v->prefixes));
	GET(v->addrs, h.naddrs, sizeof(*v->addrs));
	GET(v->notes, h.nnotes, NV_NOTE_LEN);
#undef GET
	v->nups = h.nups;
	v->nlans = h.nlans;
	v->nprefixes = h.nprefixes;
	v->caplans = h.nlans;
	v->capprefixes = h.nprefixes;
	v->naddrs = (uint8_t)h.naddrs;
	v->nnotes = h.nnotes;
	for (uint32_t i = 0; i < v->nnotes; i++)
		v->notes[i][NV_NOTE_LEN - 1] = '\0';
	for (uint32_t i = 0; i < v->nups; i++)
		v->ups[i].name[IFNAMSIZ - 1] = '\0';
	for (uint32_t i = 0; i < v->nlans; i++)
		v->lans[i].name[IFNAMSIZ - 1] = '\0';
	return 0;
}

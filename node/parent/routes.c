/*
 * routes.c: return routing for multi-homed nodes (docs/dataplane.md R9, or
 * R7 with strict-rpf): table 100+k holds uplink k's default route; packets
 * whose connection came in on uplink k carry its mark and look up that
 * table.  Every rule and route is tagged with protocol RTPROT_RPN, so a
 * restart or a clean-up finds exactly rpn's own and nothing else.
 *
 * The kernel state is reconciled, not rewritten: what rpn wants is compared
 * with what the kernel holds (a dump of rpn's own rules and routes), and
 * only the difference is added or deleted.  A restart over a kept state
 * therefore changes nothing, and a link that comes back gets exactly the
 * routes the kernel deleted when it went down.  Sysctls are changed on the
 * managed interfaces only, never on "all".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "node/core/array.h"
#include "node/core/log.h"
#include "node/parent/routes.h"
#include "proto/compat.h"

int
routes_open(struct routes *r)
{
	memset(r, 0, sizeof(*r));
	return nl_open(&r->nl, NETLINK_ROUTE);
}

void
routes_close(struct routes *r)
{
	nl_close(&r->nl);
}

/* A rule or a route, in one canonical form for comparing. */
struct rt_obj {
	uint8_t		 rule;
	uint8_t		 dlen;		/* route: dst prefix; rule: src prefix */
	uint8_t		 suppress;	/* rule: suppress_prefixlength 0 */
	uint8_t		 scope;
	uint32_t	 pref;		/* rule priority */
	uint32_t	 table;
	uint32_t	 mark;
	uint32_t	 mask;
	uint32_t	 dst;		/* route: dst; rule: src; network order */
	uint32_t	 gw;
	uint32_t	 oif;
	uint32_t	 prefsrc;
};

struct rt_set {
	struct rt_obj	*v;
	uint32_t	 n;
	uint32_t	 cap;
	char		*msgs;		/* dumped messages, to delete from */
	uint32_t	*off;
	uint32_t	 len;
	uint32_t	 mcap;
	uint32_t	 offcap;
};

static int
set_add(struct rt_set *s, const struct rt_obj *o)
{
	if (array_reserve(&s->v, &s->cap, s->n + 1, sizeof(*o)) == -1)
		return -1;
	s->v[s->n++] = *o;
	return 0;
}

static void
set_release(struct rt_set *s)
{
	free(s->v);
	free(s->msgs);
	free(s->off);
	memset(s, 0, sizeof(*s));
}

static int
set_has(const struct rt_set *s, const struct rt_obj *o)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (memcmp(&s->v[i], o, sizeof(*o)) == 0)
			return 1;
	return 0;
}

/* ---- what rpn wants ---- */

static int
want(const struct netview *v, uint32_t mask, int strict, struct rt_set *w)
{
	uint32_t	 shift = (uint32_t)__builtin_ctz(mask);
	uint32_t	 umask = mask & ~(0x80u << shift);

	for (uint32_t i = 0; i < v->nups; i++) {
		const struct nv_uplink	*u = &v->ups[i];
		uint32_t		 k = u->slot;
		uint32_t		 table = RT_TABLE_BASE + k;
		struct rt_obj		 o;

		memset(&o, 0, sizeof(o));
		o.rule = 1;
		o.table = table;
		o.mark = k << shift;
		o.mask = umask;
		o.pref = RT_PREF_MARK + k;
		if (set_add(w, &o) == -1)
			return -1;
		if (strict) {
			o.pref = RT_PREF_GUARD + k;
			o.table = RT_TABLE_MAIN;
			o.suppress = 1;
			if (set_add(w, &o) == -1)
				return -1;
		}
		if (u->addr != 0) {
			/*
			 * The node's own sockets on k's address: the main
			 * table's specific routes first (a LAN, or a local
			 * connection DNAT'd to a LAN host), then k's default.
			 */
			memset(&o, 0, sizeof(o));
			o.rule = 1;
			o.pref = RT_PREF_FROM_GUARD + k;
			o.table = RT_TABLE_MAIN;
			o.suppress = 1;
			o.dst = u->addr;
			o.dlen = 32;
			if (set_add(w, &o) == -1)
				return -1;
			o.pref = RT_PREF_FROM + k;
			o.table = table;
			o.suppress = 0;
			if (set_add(w, &o) == -1)
				return -1;
		}
		/* Routes only through a link that is up: the kernel refuses others. */
		if (u->ifindex == 0 || !u->up || u->addr == 0)
			continue;
		if (u->plen < 32) {
			memset(&o, 0, sizeof(o));
			o.table = table;
			o.dst = u->addr & htonl(0xffffffffu << (32 - u->plen));
			o.dlen = u->plen;
			o.oif = u->ifindex;
			o.prefsrc = u->addr;
			o.scope = RT_SCOPE_LINK;
			if (set_add(w, &o) == -1)
				return -1;
		}
		if (u->has_gw) {
			memset(&o, 0, sizeof(o));
			o.table = table;
			o.gw = u->gw;
			o.oif = u->ifindex;
			o.scope = RT_SCOPE_UNIVERSE;
			if (set_add(w, &o) == -1)
				return -1;
		}
	}
	return 0;
}

/* ---- what the kernel has: rpn's own, by protocol ---- */

static int
attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr	**tb = data;
	int			 t = mnl_attr_get_type(a);

	if (t >= 0 && t < 64)
		tb[t] = a;
	return MNL_CB_OK;
}

static uint32_t
attr_u32(const struct nlattr *a)
{
	return a != NULL && mnl_attr_get_payload_len(a) >= 4 ?
	    mnl_attr_get_u32(a) : 0;
}

static int
have_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rt_set		*s = data;
	const struct nlattr	*tb[64] = { NULL };
	struct rt_obj		 o;

	memset(&o, 0, sizeof(o));
	if (nlh->nlmsg_type == RTM_NEWRULE) {
		const struct fib_rule_hdr	*h = mnl_nlmsg_get_payload(nlh);

		mnl_attr_parse(nlh, sizeof(*h), attr_cb, tb);
		if (h->family != AF_INET || tb[FRA_PROTOCOL] == NULL ||
		    mnl_attr_get_u8(tb[FRA_PROTOCOL]) != RTPROT_RPN)
			return MNL_CB_OK;
		o.rule = 1;
		o.pref = attr_u32(tb[FRA_PRIORITY]);
		o.table = tb[FRA_TABLE] ? attr_u32(tb[FRA_TABLE]) : h->table;
		o.mark = attr_u32(tb[FRA_FWMARK]);
		o.mask = tb[FRA_FWMARK] ? attr_u32(tb[FRA_FWMASK]) : 0;
		o.dlen = h->src_len;
		if (tb[FRA_SRC] != NULL && mnl_attr_get_payload_len(tb[FRA_SRC]) == 4)
			memcpy(&o.dst, mnl_attr_get_payload(tb[FRA_SRC]), 4);
		o.suppress = tb[FRA_SUPPRESS_PREFIXLEN] != NULL &&
		    attr_u32(tb[FRA_SUPPRESS_PREFIXLEN]) == 0;
	} else if (nlh->nlmsg_type == RTM_NEWROUTE) {
		const struct rtmsg	*rm = mnl_nlmsg_get_payload(nlh);

		if (rm->rtm_family != AF_INET || rm->rtm_protocol != RTPROT_RPN)
			return MNL_CB_OK;
		mnl_attr_parse(nlh, sizeof(*rm), attr_cb, tb);
		o.table = tb[RTA_TABLE] ? attr_u32(tb[RTA_TABLE]) : rm->rtm_table;
		o.dlen = rm->rtm_dst_len;
		o.scope = rm->rtm_scope;
		if (tb[RTA_DST] != NULL && mnl_attr_get_payload_len(tb[RTA_DST]) == 4)
			memcpy(&o.dst, mnl_attr_get_payload(tb[RTA_DST]), 4);
		if (tb[RTA_GATEWAY] != NULL &&
		    mnl_attr_get_payload_len(tb[RTA_GATEWAY]) == 4)
			memcpy(&o.gw, mnl_attr_get_payload(tb[RTA_GATEWAY]), 4);
		if (tb[RTA_PREFSRC] != NULL &&
		    mnl_attr_get_payload_len(tb[RTA_PREFSRC]) == 4)
			memcpy(&o.prefsrc, mnl_attr_get_payload(tb[RTA_PREFSRC]), 4);
		o.oif = attr_u32(tb[RTA_OIF]);
	} else
		return MNL_CB_OK;
	/* Keep the message itself: deleting takes exactly what was dumped. */
	if (array_reserve(&s->off, &s->offcap, s->n + 1, sizeof(*s->off)) == -1)
		return MNL_CB_ERROR;
	if (array_reserve(&s->msgs, &s->mcap, s->len + nlh->nlmsg_len, 1) == -1)
		return MNL_CB_ERROR;
	s->off[s->n] = s->len;
	memcpy(s->msgs + s->len, nlh, nlh->nlmsg_len);
	s->len += NLMSG_ALIGN(nlh->nlmsg_len);
	return set_add(s, &o) == 0 ? MNL_CB_OK : MNL_CB_ERROR;
}

static int
have(struct routes *r, struct rt_set *s)
{
	char		 buf[NL_BUF_SIZE];
	struct nlmsghdr	*nlh;

	for (int rules = 1; rules >= 0; rules--) {
		nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = rules ? RTM_GETRULE : RTM_GETROUTE;
		if (rules) {
			struct fib_rule_hdr	*h = mnl_nlmsg_put_extra_header(nlh,
			    sizeof(*h));

			h->family = AF_INET;
		} else {
			struct rtmsg	*rm = mnl_nlmsg_put_extra_header(nlh,
			    sizeof(*rm));

			rm->rtm_family = AF_INET;
		}
		if (nl_dump(&r->nl, nlh, have_cb, s) == -1)
			return -1;
	}
	return 0;
}

/* ---- changing it ---- */

/* The changes of one reconciliation, sent as one batch (nl_send_batch). */
struct rt_batch {
	char		*buf;
	uint32_t	 len;
	uint32_t	 cap;
	uint32_t	 lo;		/* sequence number of the first message */
	uint32_t	 n;
	const struct rt_obj **what;	/* each message's object, for errors */
	uint32_t	 capwhat;
	int		 err;
};

/* Room for one message; its header is put and numbered. */
static struct nlmsghdr *
batch_next(struct routes *r, struct rt_batch *b, const struct rt_obj *o)
{
	struct nlmsghdr	*nlh;

	if (array_reserve(&b->buf, &b->cap, b->len + NL_BUF_SIZE, 1) == -1 ||
	    array_reserve(&b->what, &b->capwhat, b->n + 1,
	    sizeof(*b->what)) == -1) {
		b->err = 1;
		return NULL;
	}
	if (b->n == 0)
		b->lo = r->nl.seq + 1;
	b->what[b->n++] = o;
	nlh = mnl_nlmsg_put_header(b->buf + b->len);
	nlh->nlmsg_seq = ++r->nl.seq;
	return nlh;
}

static void
batch_add(struct rt_batch *b, struct nlmsghdr *nlh)
{
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

static void
put(struct routes *r, struct rt_batch *b, const struct rt_obj *o)
{
	struct nlmsghdr	*nlh = batch_next(r, b, o);

	if (nlh == NULL)
		return;

	if (o->rule) {
		struct fib_rule_hdr	*h;

		nlh->nlmsg_type = RTM_NEWRULE;
		nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
		h = mnl_nlmsg_put_extra_header(nlh, sizeof(*h));
		h->family = AF_INET;
		h->action = FR_ACT_TO_TBL;
		h->table = RT_TABLE_UNSPEC;
		mnl_attr_put_u32(nlh, FRA_PRIORITY, o->pref);
		mnl_attr_put_u32(nlh, FRA_TABLE, o->table);
		mnl_attr_put_u8(nlh, FRA_PROTOCOL, RTPROT_RPN);
		if (o->mask != 0) {
			mnl_attr_put_u32(nlh, FRA_FWMARK, o->mark);
			mnl_attr_put_u32(nlh, FRA_FWMASK, o->mask);
		}
		if (o->dlen != 0) {
			h->src_len = o->dlen;
			mnl_attr_put(nlh, FRA_SRC, 4, &o->dst);
		}
		if (o->suppress)
			mnl_attr_put_u32(nlh, FRA_SUPPRESS_PREFIXLEN, 0);
	} else {
		struct rtmsg	*rm;

		nlh->nlmsg_type = RTM_NEWROUTE;
		nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
		rm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rm));
		rm->rtm_family = AF_INET;
		rm->rtm_dst_len = o->dlen;
		rm->rtm_table = RT_TABLE_UNSPEC;
		rm->rtm_protocol = RTPROT_RPN;
		rm->rtm_scope = o->scope;
		rm->rtm_type = RTN_UNICAST;
		mnl_attr_put_u32(nlh, RTA_TABLE, o->table);
		if (o->dlen > 0)
			mnl_attr_put(nlh, RTA_DST, 4, &o->dst);
		if (o->gw)
			mnl_attr_put(nlh, RTA_GATEWAY, 4, &o->gw);
		if (o->prefsrc)
			mnl_attr_put(nlh, RTA_PREFSRC, 4, &o->prefsrc);
		mnl_attr_put_u32(nlh, RTA_OIF, o->oif);
	}
	batch_add(b, nlh);
}

/* Delete exactly what was dumped: the message, with another type. */
static void
del(struct routes *r, struct rt_batch *b, struct rt_set *s, uint32_t i)
{
	const struct nlmsghdr	*m = (const void *)(s->msgs + s->off[i]);
	struct nlmsghdr		*nlh = batch_next(r, b, &s->v[i]);
	uint32_t		 seq;

	if (nlh == NULL)
		return;
	seq = nlh->nlmsg_seq;
	memcpy(nlh, m, m->nlmsg_len);
	nlh->nlmsg_type = m->nlmsg_type == RTM_NEWRULE ? RTM_DELRULE :
	    RTM_DELROUTE;
	nlh->nlmsg_flags = 0;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = 0;
	batch_add(b, nlh);
}

static void
describe(char *out, size_t len, const struct rt_obj *o)
{
	char	 a[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &o->dst, a, sizeof(a));
	inet_ntop(AF_INET, &o->gw, g, sizeof(g));
	if (o->rule)
		snprintf(out, len, "rule %u", o->pref);
	else
		snprintf(out, len, "route %s/%u%s%s in table %u", a, o->dlen,
		    o->gw ? " via " : "", o->gw ? g : "", o->table);
}

/*
 * routes_reconcile - make rpn's rules and routes exactly what the view
 * asks for: for each uplink k, table 100+k with its connected and default
 * routes (while the link is up), a rule sending packets with k's mark there
 * (after a guard that lets the main table's more specific routes win, in
 * strict mode, R7), and one for packets from k's address.  0, or -1 with
 * the first failure in err (the others are still tried).
 */
int
routes_reconcile(struct routes *r, const struct netview *v, uint32_t mask,
    int strict, char *err, size_t errlen)
{
	struct rt_set	 w, h;
	struct rt_batch	 b;
	struct nl_fail	 fails[16];
	uint32_t	 nfails = 0;
	int		 rc = 0, e;
	char		 what[96];

	memset(&w, 0, sizeof(w));
	memset(&h, 0, sizeof(h));
	memset(&b, 0, sizeof(b));
	if (want(v, mask, strict, &w) == -1) {
		snprintf(err, errlen, "out of memory");
		set_release(&w);
		return -1;
	}
	if (have(r, &h) == -1) {
		snprintf(err, errlen, "reading rpn's rules and routes: %s",
		    strerror(errno));
		set_release(&w);
		set_release(&h);
		return -1;
	}
	/* Deletes first: a rule or route that changed is one of each. */
	for (uint32_t i = 0; i < h.n; i++)
		if (!set_has(&w, &h.v[i]))
			del(r, &b, &h, i);
	for (uint32_t i = 0; i < w.n; i++)
		if (!set_has(&h, &w.v[i]))
			put(r, &b, &w.v[i]);
	if (b.err) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	} else if (b.n > 0) {
		e = nl_send_batch(&r->nl, b.buf, b.len, b.lo, b.lo + b.n - 1,
		    fails, sizeof(fails) / sizeof(fails[0]), &nfails) == -1 ?
		    errno : 0;
		for (uint32_t i = 0; i < nfails; i++) {
			uint32_t	 k = fails[i].seq - b.lo;
			int		 fe = fails[i].err;

			/* gone already, or there already: nothing to do */
			if (fe == ENOENT || fe == ESRCH || fe == EEXIST ||
			    k >= b.n)
				continue;
			describe(what, sizeof(what), b.what[k]);
			if (rc == 0)
				snprintf(err, errlen, "%s %s: %s",
				    b.what[k] >= w.v && b.what[k] < w.v + w.n ?
				    "adding" : "removing", what, strerror(fe));
			rc = -1;
		}
		if (e == ETIMEDOUT || e == ENOBUFS) {
			snprintf(err, errlen, "rtnetlink: %s", strerror(e));
			rc = -1;
		}
		r->added += b.n - nfails;
	}
	free(b.buf);
	free(b.what);
	set_release(&w);
	set_release(&h);
	return rc;
}

/* routes_flush - remove every rule and route tagged RTPROT_RPN, and only those. */
int
routes_flush(struct routes *r)
{
	struct netview	 none;
	char		 err[128];

	memset(&none, 0, sizeof(none));
	return routes_reconcile(r, &none, 0xff00, 0, err, sizeof(err));
}

/* ---- sysctls of managed interfaces ---- */

static const char *const sysctl_keys[] = {
	"forwarding", "rp_filter", "src_valid_mark",
};

/*
 * routes_sysctl_path_ok - a path rpn may write: one of its three keys
 * under /proc/sys/net/ipv4/conf/IFACE/, IFACE a plain name (never "all"
 * or "default").  Saved values are read back from a file at teardown, so
 * the path is checked again there.
 */
int
routes_sysctl_path_ok(const char *path)
{
	const char	*pfx = "/proc/sys/net/ipv4/conf/", *p, *slash;
	size_t		 n;

	if (strncmp(path, pfx, strlen(pfx)) != 0)
		return 0;
	p = path + strlen(pfx);
	if ((slash = strchr(p, '/')) == NULL)
		return 0;
	n = (size_t)(slash - p);
	if (n == 0 || n >= IFNAMSIZ || (n == 3 && strncmp(p, "all", 3) == 0) ||
	    (n == 7 && strncmp(p, "default", 7) == 0) ||
	    memchr(p, '.', n) != NULL)
		return 0;
	for (size_t i = 0; i < sizeof(sysctl_keys) / sizeof(sysctl_keys[0]); i++)
		if (strcmp(slash + 1, sysctl_keys[i]) == 0)
			return 1;
	return 0;
}

/* 1 when a value was changed (and its first value saved), 0 when it was right, -1. */
static int
sysctl_ensure(struct routes *r, const char *ifname, const char *key,
    const char *value, int *saved_more)
{
	char	 path[128], old[16] = "";
	int	 fd;
	ssize_t	 n;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/%s", ifname, key);
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) == -1)
		return -1;
	if ((n = read(fd, old, sizeof(old) - 1)) > 0) {
		old[n] = '\0';
		old[strcspn(old, "\n")] = '\0';
	}
	if (strcmp(old, value) == 0) {
		close(fd);
		return 0;
	}
	{
		/* Remember the first value we saw, to put back at teardown. */
		int	 known = 0;

		for (int i = 0; i < r->nsaved; i++)
			known |= strcmp(r->saved[i].path, path) == 0;
		if (!known && r->nsaved < RT_MAX_SAVED) {
			strlcpy(r->saved[r->nsaved].path, path,
			    sizeof(r->saved[0].path));
			strlcpy(r->saved[r->nsaved].value, old,
			    sizeof(r->saved[0].value));
			r->nsaved++;
			*saved_more = 1;
		}
	}
	if (lseek(fd, 0, SEEK_SET) == -1 ||
	    write(fd, value, strlen(value)) != (ssize_t)strlen(value)) {
		close(fd);
		return -1;
	}
	close(fd);
	return 1;
}

int
routes_all_rp_filter(void)
{
	char	 v[8] = "0";
	int	 fd = open("/proc/sys/net/ipv4/conf/all/rp_filter", O_RDONLY);

	if (fd != -1) {
		if (read(fd, v, sizeof(v) - 1) < 0)
			v[0] = '0';
		close(fd);
	}
	return atoi(v);
}

/*
 * routes_sysctls - forwarding on every managed interface that exists; on
 * uplinks, rp_filter=2 (loose) for R9, or src_valid_mark=1 so a strict
 * reverse-path check sees the restored mark (R7).  Values already right
 * are left alone, so this runs as often as links change.  Returns how many
 * it changed, or -1 (err says which).
 */
int
routes_sysctls(struct routes *r, const struct netview *v, int strict,
    int *saved_more, char *err, size_t errlen)
{
	int	 changed = 0, c, c2;

	*saved_more = 0;
	for (uint32_t i = 0; i < v->nups; i++) {
		const char	*n = v->ups[i].name;

		if (v->ups[i].ifindex == 0)
			continue;
		if ((c = sysctl_ensure(r, n, "forwarding", "1",
		    saved_more)) == -1 || (c2 = strict ?
		    sysctl_ensure(r, n, "src_valid_mark", "1", saved_more) :
		    sysctl_ensure(r, n, "rp_filter", "2", saved_more)) == -1) {
			snprintf(err, errlen, "sysctl on %s: %s", n,
			    strerror(errno));
			return -1;
		}
		changed += c + c2;
	}
	for (uint32_t i = 0; i < v->nlans; i++) {
		if (v->lans[i].ifindex == 0)
			continue;
		if ((c = sysctl_ensure(r, v->lans[i].name, "forwarding", "1",
		    saved_more)) == -1) {
			snprintf(err, errlen, "sysctl on %s: %s", v->lans[i].name,
			    strerror(errno));
			return -1;
		}
		changed += c;
	}
	return changed;
}

/*
 * routes_sysctls_restore - put every saved value back; returns how many
 * were written (an interface that is gone has no sysctls to put back).
 */
int
routes_sysctls_restore(struct routes *r)
{
	int	 n = 0;

	for (int i = r->nsaved - 1; i >= 0; i--) {
		int	 fd;

		if (!routes_sysctl_path_ok(r->saved[i].path) ||
		    (fd = open(r->saved[i].path, O_WRONLY | O_CLOEXEC)) == -1)
			continue;
		if (write(fd, r->saved[i].value, strlen(r->saved[i].value)) < 0)
			log_warn("restoring %s", r->saved[i].path);
		else
			n++;
		close(fd);
	}
	r->nsaved = 0;
	return n;
}

/*
 * routes.c: return routing for multi-homed nodes (docs/dataplane.md R9, or
 * R7 with strict-rpf): table 100+k holds uplink k's default route; packets
 * whose connection came in on uplink k carry its mark and look up that
 * table.  Every rule and route is tagged with protocol RTPROT_RPN, so a
 * restart or a clean-up finds exactly rpn's own and nothing else.  Sysctls
 * are changed on the managed interfaces only, never on "all".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "node/log.h"
#include "node/routes.h"
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

static int
rule(struct routes *r, uint32_t pref, uint32_t table, uint32_t mark,
    uint32_t mask, uint32_t src, int suppress)
{
	char			 buf[NL_BUF_SIZE];
	struct nlmsghdr		*nlh = mnl_nlmsg_put_header(buf);
	struct fib_rule_hdr	*h;

	nlh->nlmsg_type = RTM_NEWRULE;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	h = mnl_nlmsg_put_extra_header(nlh, sizeof(*h));
	h->family = AF_INET;
	h->action = FR_ACT_TO_TBL;
	h->table = RT_TABLE_UNSPEC;
	mnl_attr_put_u32(nlh, FRA_PRIORITY, pref);
	mnl_attr_put_u32(nlh, FRA_TABLE, table);
	mnl_attr_put_u8(nlh, FRA_PROTOCOL, RTPROT_RPN);
	if (mask != 0) {
		mnl_attr_put_u32(nlh, FRA_FWMARK, mark);
		mnl_attr_put_u32(nlh, FRA_FWMASK, mask);
	}
	if (src != 0) {
		h->src_len = 32;
		mnl_attr_put(nlh, FRA_SRC, 4, &src);
	}
	if (suppress)
		mnl_attr_put_u32(nlh, FRA_SUPPRESS_PREFIXLEN, 0);
	return nl_request(&r->nl, nlh, NULL, NULL);
}

static int
route(struct routes *r, uint32_t table, uint32_t dst, uint8_t dst_len,
    uint32_t gw, uint32_t oif, uint32_t prefsrc)
{
	char		 buf[NL_BUF_SIZE];
	struct nlmsghdr	*nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg	*rm;

	nlh->nlmsg_type = RTM_NEWROUTE;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	rm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rm));
	rm->rtm_family = AF_INET;
	rm->rtm_dst_len = dst_len;
	rm->rtm_table = RT_TABLE_UNSPEC;
	rm->rtm_protocol = RTPROT_RPN;
	rm->rtm_scope = gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	rm->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	if (dst_len > 0)
		mnl_attr_put(nlh, RTA_DST, 4, &dst);
	if (gw)
		mnl_attr_put(nlh, RTA_GATEWAY, 4, &gw);
	if (prefsrc)
		mnl_attr_put(nlh, RTA_PREFSRC, 4, &prefsrc);
	mnl_attr_put_u32(nlh, RTA_OIF, oif);
	return nl_request(&r->nl, nlh, NULL, NULL);
}

/*
 * routes_apply - for each uplink k: table 100+k with the uplink's connected
 * route and its default route; rules sending marked packets (the reply
 * direction of connections that came in on k) and packets from k's address
 * to that table; in strict mode a guard before them so more specific routes
 * of the main table still win (R7).
 */
int
routes_apply(struct routes *r, const struct iface_info *ups, int n,
    uint32_t mask, int strict, char *err, size_t errlen)
{
	uint32_t	 shift = (uint32_t)__builtin_ctz(mask);
	uint32_t	 umask = mask & ~(0x80u << shift);
	int		 rc;

	routes_flush(r);
	for (int k = 1; k <= n; k++) {
		const struct iface_info	*u = &ups[k - 1];
		uint32_t		 table = RT_TABLE_BASE + (uint32_t)k;
		uint32_t		 mark = (uint32_t)k << shift;

		if (u->addr != 0 && u->plen < 32) {
			uint32_t	 m = htonl(0xffffffffu << (32 - u->plen));

			if ((rc = route(r, table, u->addr & m, u->plen, 0,
			    u->ifindex, u->addr)) < 0)
				goto fail;
		}
		if (u->has_gw && (rc = route(r, table, 0, 0, u->gw, u->ifindex,
		    0)) < 0)
			goto fail;
		if (!u->has_gw)
			log_warnx("uplink %s has no gateway: replies to clients "
			    "beyond its subnet follow the main table", u->name);
		if (strict && (rc = rule(r, RT_PREF_GUARD + (uint32_t)k,
		    RT_TABLE_MAIN, mark, umask, 0, 1)) < 0)
			goto fail;
		if ((rc = rule(r, RT_PREF_MARK + (uint32_t)k, table, mark, umask,
		    0, 0)) < 0)
			goto fail;
		if (u->addr != 0 && (rc = rule(r, RT_PREF_FROM + (uint32_t)k,
		    table, 0, 0, u->addr, 0)) < 0)
			goto fail;
		continue;
fail:
		snprintf(err, errlen, "uplink %s: routing: %s", u->name,
		    strerror(-rc));
		return -1;
	}
	return 0;
}

/* ---- flushing what is ours ---- */

struct flush_ctx {
	char		*msgs;
	size_t		 len;
	size_t		 cap;
	int		 rules;
};

static int
attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr	**tb = data;
	int			 t = mnl_attr_get_type(a);

	if (t <= FRA_MAX && t <= RTA_MAX + 16)
		tb[t] = a;
	return MNL_CB_OK;
}

/* Keep a copy of each dumped message that is rpn's, to delete it after the dump. */
static int
collect_cb(const struct nlmsghdr *nlh, void *data)
{
	struct flush_ctx	*c = data;
	int			 ours = 0;

	if (c->rules) {
		const struct nlattr	*tb[FRA_MAX + 1] = { NULL };

		mnl_attr_parse(nlh, sizeof(struct fib_rule_hdr), attr_cb, tb);
		ours = tb[FRA_PROTOCOL] != NULL &&
		    mnl_attr_get_u8(tb[FRA_PROTOCOL]) == RTPROT_RPN;
	} else {
		const struct rtmsg	*rm = mnl_nlmsg_get_payload(nlh);

		ours = rm->rtm_protocol == RTPROT_RPN;
	}
	if (!ours)
		return MNL_CB_OK;
	if (c->cap - c->len < nlh->nlmsg_len) {
		size_t	 ncap = (c->cap ? c->cap * 2 : 8192) + nlh->nlmsg_len;
		char	*nb = realloc(c->msgs, ncap);

		if (nb == NULL)
			return MNL_CB_ERROR;
		c->msgs = nb;
		c->cap = ncap;
	}
	memcpy(c->msgs + c->len, nlh, nlh->nlmsg_len);
	c->len += NLMSG_ALIGN(nlh->nlmsg_len);
	return MNL_CB_OK;
}

static void
flush_kind(struct routes *r, int rules)
{
	char		 buf[NL_BUF_SIZE];
	struct nlmsghdr	*nlh = mnl_nlmsg_put_header(buf);
	struct flush_ctx c = { NULL, 0, 0, rules };

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
	nl_dump(&r->nl, nlh, collect_cb, &c);
	for (size_t off = 0; off < c.len;) {
		struct nlmsghdr	*m = (struct nlmsghdr *)(c.msgs + off);

		off += NLMSG_ALIGN(m->nlmsg_len);
		m->nlmsg_type = rules ? RTM_DELRULE : RTM_DELROUTE;
		m->nlmsg_flags = 0;
		nl_request(&r->nl, m, NULL, NULL);
	}
	free(c.msgs);
}

/* routes_flush - remove every rule and route tagged RTPROT_RPN, and only those. */
int
routes_flush(struct routes *r)
{
	flush_kind(r, 1);
	flush_kind(r, 0);
	return 0;
}

/* ---- sysctls of managed interfaces ---- */

static int
sysctl_write(struct routes *r, const char *ifname, const char *key,
    const char *value)
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
	if (strcmp(old, value) != 0 && r->nsaved < 64) {
		/* Remember the first value we saw, to put back at exit. */
		int	 known = 0;

		for (int i = 0; i < r->nsaved; i++)
			known |= strcmp(r->saved[i].path, path) == 0;
		if (!known) {
			strlcpy(r->saved[r->nsaved].path, path,
			    sizeof(r->saved[0].path));
			strlcpy(r->saved[r->nsaved].value, old,
			    sizeof(r->saved[0].value));
			r->nsaved++;
		}
	}
	if (lseek(fd, 0, SEEK_SET) == -1 ||
	    write(fd, value, strlen(value)) != (ssize_t)strlen(value)) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
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
 * routes_sysctls - forwarding on every managed interface; on uplinks,
 * rp_filter=2 (loose) for R9, or src_valid_mark=1 so a strict reverse-path
 * check sees the restored mark (R7).
 */
int
routes_sysctls(struct routes *r, const struct iface_info *ups, int nups,
    char lans[][16], int nlans, int strict, char *err, size_t errlen)
{
	for (int i = 0; i < nups; i++) {
		const char	*n = ups[i].name;

		if (sysctl_write(r, n, "forwarding", "1") == -1 ||
		    (strict ? sysctl_write(r, n, "src_valid_mark", "1") :
		    sysctl_write(r, n, "rp_filter", "2")) == -1) {
			snprintf(err, errlen, "sysctl on %s: %s", n, strerror(errno));
			return -1;
		}
	}
	for (int i = 0; i < nlans; i++)
		if (sysctl_write(r, lans[i], "forwarding", "1") == -1) {
			snprintf(err, errlen, "sysctl on %s: %s", lans[i],
			    strerror(errno));
			return -1;
		}
	return 0;
}

void
routes_sysctls_restore(struct routes *r)
{
	for (int i = r->nsaved - 1; i >= 0; i--) {
		int	 fd = open(r->saved[i].path, O_WRONLY | O_CLOEXEC);

		if (fd == -1)
			continue;
		if (write(fd, r->saved[i].value, strlen(r->saved[i].value)) < 0)
			log_warn("restoring %s", r->saved[i].path);
		close(fd);
	}
	r->nsaved = 0;
}

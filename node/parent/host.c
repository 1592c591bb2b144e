/*
 * host.c: the parent keeps the host in step with rpn: it follows links,
 * addresses and default routes (rtnetlink news), derives uplinks and LANs
 * (netview.c), tells the engine, and reconciles return routing, sysctls and
 * the uplinks nftables knows.  rpn's kernel state outlives rpnd: a restart
 * or an upgrade leaves it in place and reconciles it, so forwarding never
 * stops; only "rpn leave" (the engine asks) or "rpnd --teardown" removes it.
 *
 * What a later teardown needs (the sysctl values rpnd found, and which
 * interfaces were uplinks) is kept in SOCKET.kernel, beside the control
 * socket in a directory only root may write.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "node/core/log.h"
#include "node/parent/parent.h"
#include "node/core/privsep.h"
#include "proto/compat.h"
#include "proto/parse.h"

#define LOOK_QUIET_MS	50	/* news comes in bursts: look once it settles */
#define LOOK_EVERY_MS	5000	/* and now and then anyway (sysctls have no news) */

uint64_t
host_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- SOCKET.kernel: what a teardown needs, across restarts ---- */

static void
saved_path(char *out, size_t len, const char *sock)
{
	snprintf(out, len, "%s.kernel", sock);
}

static int
save(struct parent *p)
{
	char	 tmp[PATH_MAX + 8];
	FILE	*f;
	int	 fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", p->saved);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1 || (f = fdopen(fd, "w")) == NULL) {
		if (fd != -1)
			close(fd);
		log_warn("%s", tmp);
		return -1;
	}
	fprintf(f, "# rpnd: what \"rpn leave\" or \"rpnd --teardown\" puts back\n");
	for (int k = 0; k < NV_MAX_UPLINKS; k++)
		if (p->sticky.names[k][0])
			fprintf(f, "uplink %d %s\n", k + 1, p->sticky.names[k]);
	for (int i = 0; i < p->rt.nsaved; i++)
		fprintf(f, "sysctl %s %s\n", p->rt.saved[i].path,
		    p->rt.saved[i].value[0] ? p->rt.saved[i].value : "-");
	if (fflush(f) != 0 || fsync(fd) != 0) {
		log_warn("%s", tmp);
		fclose(f);
		unlink(tmp);
		return -1;
	}
	fclose(f);
	if (rename(tmp, p->saved) == -1) {
		log_warn("%s", p->saved);
		unlink(tmp);
		return -1;
	}
	return 0;
}

/*
 * load - read SOCKET.kernel back.  Every line is checked as strictly as it
 * was written: uplink slots 1-8 with an interface name, sysctl paths that
 * routes_sysctl_path_ok() allows and values of up to 15 digits; anything
 * else is ignored with a warning.
 */
static void
load(const char *path, struct nv_sticky *st, struct routes *rt)
{
	FILE	*f;
	char	 line[256], a[160], b[32];
	int	 fd, k;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    (f = fdopen(fd, "r")) == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#')
			continue;
		if (sscanf(line, "uplink %d %15s", &k, a) == 2 && k >= 1 &&
		    k <= NV_MAX_UPLINKS) {
			if (st != NULL)
				strlcpy(st->names[k - 1], a, IFNAMSIZ);
			continue;
		}
		if (sscanf(line, "sysctl %159s %31s", a, b) == 2 &&
		    routes_sysctl_path_ok(a) && strlen(b) < 16 &&
		    (strcmp(b, "-") == 0 || strspn(b, "0123456789") ==
		    strlen(b)) && rt->nsaved < RT_MAX_SAVED) {
			strlcpy(rt->saved[rt->nsaved].path, a,
			    sizeof(rt->saved[0].path));
			strlcpy(rt->saved[rt->nsaved].value,
			    strcmp(b, "-") == 0 ? "" : b,
			    sizeof(rt->saved[0].value));
			rt->nsaved++;
			continue;
		}
		log_warnx("%s: ignoring a line it does not understand", path);
	}
	fclose(f);
}

/* ---- the view ---- */

static void
nft_uplinks(const struct netview *v, struct nft_config *nc)
{
	nc->nuplinks = 0;
	memset(nc->uplinks, 0, sizeof(nc->uplinks));
	for (uint32_t i = 0; i < v->nups; i++) {
		uint32_t	 k = v->ups[i].slot;

		if (k < 1 || k > NFT_MAX_UPLINKS)
			continue;
		strlcpy(nc->uplinks[k - 1].name, v->ups[i].name, IFNAMSIZ);
		nc->uplinks[k - 1].ifindex = v->ups[i].ifindex;
		nc->uplinks[k - 1].snat = v->ups[i].snat;
		if (k > nc->nuplinks)
			nc->nuplinks = (uint8_t)k;
	}
	/*
	 * One uplink and replies need no mark when its table says nothing
	 * the main table does not: it was found by its default route in
	 * main (then main's defaults are all its own), or it has no gateway
	 * (its table holds only the connected route, as main does).
	 */
	nc->plain = v->nups == 1 && nc->nuplinks == 1 &&
	    (v->ups[0].source == NV_AUTO || v->ups[0].gw == 0);
}

static int
look(struct parent *p, struct netview *v)
{
	struct nv_snap	 s;
	int		 rc;

	if (netmon_snapshot(&p->rt.nl, &s) == -1) {
		log_warn("reading the interfaces");
		return -1;
	}
	rc = netview_derive(&p->cfg, &s, &p->sticky, p->cfg.listen.port, v);
	nv_snap_release(&s);
	if (rc == -1)
		log_warnx("out of memory reading the interfaces");
	return rc;
}

static void
log_view(const struct netview *v, const struct netview *old)
{
	char	 a[ADDRSTRLEN], g[ADDRSTRLEN];

	for (uint32_t i = 0; i < v->nups; i++) {
		const struct nv_uplink	*u = &v->ups[i];

		inet_ntop(AF_INET, &u->addr, a, sizeof(a));
		inet_ntop(AF_INET, &u->gw, g, sizeof(g));
		log_info("uplink %u: %s%s address %s via %s (table %u, %s)",
		    u->slot, u->name, u->ifindex == 0 ? " (missing)" :
		    u->up ? "" : " (down)", u->addr ? a : "none",
		    u->has_gw ? g : "no gateway", RT_TABLE_BASE + u->slot,
		    u->source == NV_CONFIG ? "configured" : "found");
	}
	for (uint32_t i = 0; i < v->nlans; i++)
		log_info("lan: %s (%s)", v->lans[i].name,
		    v->lans[i].source == NV_CONFIG ? "configured" : "found");
	for (uint32_t i = 0; i < v->nnotes; i++) {
		int	 known = 0;

		for (uint32_t j = 0; old != NULL && j < old->nnotes; j++)
			known |= strcmp(old->notes[j], v->notes[i]) == 0;
		if (!known)
			log_warnx("%s", v->notes[i]);
	}
}

int
host_send_view(struct parent *p)
{
	uint8_t	*msg;
	size_t	 len;
	int	 rc;

	if (p->engine <= 0)
		return 0;
	if (netview_pack(&p->view, &msg, &len) == -1)
		return -1;
	rc = priv_send(p->privfd, PRIV_IFACES, msg, len);
	free(msg);
	return rc;
}

/*
 * host_init - open what the parent watches the host with and look at it
 * once.  Nothing in the kernel changes here: that waits until the engine
 * says whether this node is in a mesh (host_activate, host_teardown).
 */
int
host_init(struct parent *p, char *err, size_t errlen)
{
	struct nft_config	 nc;
	const char		*env;


	saved_path(p->saved, sizeof(p->saved), p->sock);
	if (routes_open(&p->rt) == -1) {
		snprintf(err, errlen, "rtnetlink: %s", strerror(errno));
		return -1;
	}
	if (netmon_open(&p->mon) == -1) {
		snprintf(err, errlen, "rtnetlink news: %s", strerror(errno));
		return -1;
	}
	load(p->saved, p->cfg.nuplinks == 0 ? &p->sticky : NULL, &p->rt);
	if (look(p, &p->view) == -1) {
		snprintf(err, errlen, "cannot read the interfaces");
		return -1;
	}
	log_view(&p->view, NULL);
	p->strict = p->cfg.strict_rpf;
	if (!p->strict && routes_all_rp_filter() == 1) {
		log_info("net.ipv4.conf.all.rp_filter is 1 (strict): restoring "
		    "the uplink mark in both directions (strict-rpf)");
		p->strict = 1;
	}
	memset(&nc, 0, sizeof(nc));
	nc.mask = p->cfg.mark_mask;
	nc.strict = p->strict;
	nft_uplinks(&p->view, &nc);
	if (!p->cfg.dataplane)
		log_info("dataplane no: this node takes part in the mesh but "
		    "changes nothing in the kernel");
	else if (nft_open(&p->nft, &nc, err, errlen) == -1)
		return -1;
	else if (nft_watch_open(&p->watch) == -1) {
		snprintf(err, errlen, "nftables news: %s", strerror(errno));
		return -1;
	}
	p->backoff_ms = 100;
	/*
	 * Elements per transaction of a full sync; RPN_SYNC_CHUNK lowers it
	 * so that tests see several transactions with a few services.
	 */
	p->sync_chunk = NFT_SYNC_CHUNK;
	if ((env = getenv("RPN_SYNC_CHUNK")) != NULL && atoi(env) >= 1 &&
	    atoi(env) <= 1000000)
		p->sync_chunk = (uint32_t)atoi(env);
	dp_mirror_init(&p->mirror);
	p->host_on = 1;
	p->next_look = host_now_ms() + LOOK_EVERY_MS;
	return 0;
}

void
host_close(struct parent *p)
{
	if (!p->host_on)
		return;
	nft_close(&p->nft);
	nft_watch_close(&p->watch);
	routes_close(&p->rt);
	netmon_close(&p->mon);
	netview_release(&p->view);
	dp_mirror_release(&p->mirror);
	dp_ops_release(&p->ops);
	p->host_on = 0;
}

/* Rules, routes and sysctls as the view says; saved values kept on disk. */
static void
reconcile(struct parent *p)
{
	char	 err[256];
	int	 more = 0, n;

	if (routes_reconcile(&p->rt, &p->view, p->cfg.mark_mask, p->strict, err,
	    sizeof(err)) == -1)
		log_warnx("return routing: %s", err);
	if ((n = routes_sysctls(&p->rt, &p->view, p->strict, &more, err,
	    sizeof(err))) == -1)
		log_warnx("%s", err);
	else if (n > 0 && p->active)
		log_info("set %d sysctl%s of managed interfaces", n,
		    n == 1 ? "" : "s");
	if (more)
		save(p);
}

/*
 * host_activate - the engine is in a mesh: put rpn's return routing and
 * sysctls in place (or find them there, after a restart).
 */
int
host_activate(struct parent *p)
{
	if (!p->host_on || p->active || !p->cfg.dataplane)
		return 0;
	p->active = 1;
	save(p);
	reconcile(p);
	return 0;
}

/* host_refresh - look at the host again and follow what changed. */
void
host_refresh(struct parent *p)
{
	struct netview	 v;
	struct nv_sticky before = p->sticky;

	p->look_at = 0;
	p->next_look = host_now_ms() + LOOK_EVERY_MS;
	if (!p->host_on || look(p, &v) == -1)
		return;
	if (!netview_same(&v, &p->view)) {
		int			 uplinks, addrs;
		struct nft_config	 nc = p->nft.cfg;

		uplinks = !netview_same_uplinks(&v, &p->view);
		log_view(&v, &p->view);
		netview_release(&p->view);
		p->view = v;
		if (host_send_view(p) == -1)
			log_warnx("cannot tell the engine about the interfaces");
		/* an address alone: nic_snat follows it (nft_nic_maps()) */
		nft_uplinks(&p->view, &nc);
		addrs = memcmp(nc.uplinks, p->nft.cfg.uplinks,
		    sizeof(nc.uplinks)) != 0;
		p->nft.cfg = nc;
		if (p->active && p->synced && uplinks)
			dp_full_sync(p);
		else if (p->active && p->synced && addrs &&
		    nft_nic_maps(&p->nft) == -1)
			log_warn("table inet rpn: the uplinks' addresses");
	} else
		netview_release(&v);
	if (memcmp(&before, &p->sticky, sizeof(before)) != 0 && p->active)
		save(p);
	if (p->active)
		reconcile(p);
}

/*
 * host_reload - a configuration read again at SIGHUP: new uplinks and LANs
 * are looked at and reconciled at once; strict-rpf and mark-mask change
 * the skeleton (a full sync) and the rules; keep-on-exit is only read at
 * SIGTERM.  Everything the parent owns is applied; it says what changed.
 */
void
host_reload(struct parent *p, const struct rpnd_config *c)
{
	struct nft_config	 nc = p->nft.cfg;
	int			 strict = c->strict_rpf ||
	    routes_all_rp_filter() == 1, skel;
	int			 ifs = c->nuplinks != p->cfg.nuplinks ||
	    c->nlans != p->cfg.nlans ||
	    memcmp(c->uplinks, p->cfg.uplinks, sizeof(c->uplinks)) != 0 ||
	    memcmp(c->lans, p->cfg.lans, sizeof(c->lans)) != 0;

	skel = strict != p->strict || c->mark_mask != p->cfg.mark_mask;
	if (ifs)
		log_info("reload: uplinks and LANs as configured now");
	if (skel)
		log_info("reload: strict-rpf %s, mark-mask 0x%x", strict ?
		    "yes" : "no", c->mark_mask);
	if (c->keep_on_exit != p->cfg.keep_on_exit)
		log_info("reload: keep-on-exit %s", c->keep_on_exit ? "yes" :
		    "no");
	if (c->nuplinks > 0 && p->cfg.nuplinks == 0)
		memset(&p->sticky, 0, sizeof(p->sticky));
	p->cfg = *c;
	p->strict = strict;
	if (!p->host_on)
		return;
	if (skel) {
		nc.mask = c->mark_mask;
		nc.strict = strict;
		p->nft.cfg = nc;
		if (p->active) {
			/* old rules out first: their marks may have moved */
			routes_flush(&p->rt);
			if (p->synced)
				dp_full_sync(p);
		}
	}
	host_refresh(p);
}

/*
 * host_teardown - remove everything rpn put in the kernel: the nftables
 * table, the rules and routes tagged with rpn's protocol, and the sysctls
 * it changed (put back as found).
 */
void
host_teardown(struct parent *p)
{
	if (!p->host_on || !p->cfg.dataplane)
		return;
	if (nft_remove(&p->nft) == -1)
		log_warn("removing table inet rpn");
	routes_flush(&p->rt);
	routes_sysctls_restore(&p->rt);
	if (unlink(p->saved) == -1 && errno != ENOENT)
		log_warn("%s", p->saved);
	if (p->active)
		log_info("removed rpn's table, rules and routes, and put back "
		    "the sysctls it changed");
	p->active = 0;
	dp_reset(p);
}

/*
 * host_teardown_offline - "rpnd --teardown": the same without a running
 * rpnd (rpnd.c made sure none runs: it would put it all back), saying in
 * rep what was there and what was done.  The saved sysctl values are read
 * from sock's SOCKET.kernel: rep->saved_found says whether there was one.
 * 0, or -1 with the reason in err (rep says what was done until then).
 */
int
host_teardown_offline(const char *sock, struct teardown_report *rep,
    char *err, size_t errlen)
{
	struct routes		 rt;
	struct nft		 nft;
	struct nft_config	 nc;
	struct stat		 st;
	int			 ts;

	memset(rep, 0, sizeof(*rep));
	memset(&nc, 0, sizeof(nc));
	nc.mask = 0xff00;
	if (nft_open(&nft, &nc, err, errlen) == -1)
		return -1;
	if ((ts = nft_table_state(&nft)) == -1 || nft_remove(&nft) == -1) {
		snprintf(err, errlen, "%s table inet rpn: %s", ts == -1 ?
		    "looking for" : "removing", strerror(errno));
		nft_close(&nft);
		return -1;
	}
	rep->table = ts != NFT_TS_NONE;
	rep->steps = 1;
	nft_close(&nft);
	if (routes_open(&rt) == -1) {
		snprintf(err, errlen, "rtnetlink: %s", strerror(errno));
		return -1;
	}
	if (routes_flush(&rt) == -1) {
		snprintf(err, errlen, "removing rpn's rules and routes failed");
		routes_close(&rt);
		return -1;
	}
	rep->routes = rt.added;		/* a flush adds nothing: all removals */
	rep->steps = 2;
	saved_path(rep->saved, sizeof(rep->saved), sock);
	rep->saved_found = lstat(rep->saved, &st) == 0;
	load(rep->saved, NULL, &rt);
	rep->nsaved = rt.nsaved;
	rep->restored = routes_sysctls_restore(&rt);
	rep->steps = 3;
	routes_close(&rt);
	if (unlink(rep->saved) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", rep->saved, strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- timing: news, a quiet period, and a periodic look ---- */

void
host_on_news(struct parent *p)
{
	if (netmon_drain(&p->mon) && p->look_at == 0)
		p->look_at = host_now_ms() + LOOK_QUIET_MS;
}

int
host_poll_timeout(struct parent *p)
{
	uint64_t	 now = host_now_ms(), next = p->next_look;
	int		 t, d = dp_poll_timeout(p);

	if (!p->host_on)
		return 1000;
	if (p->look_at != 0 && p->look_at < next)
		next = p->look_at;
	t = next <= now ? 0 : (int)(next - now);
	return d >= 0 && d < t ? d : t;
}

void
host_timers(struct parent *p)
{
	uint64_t	 now = host_now_ms();

	if (!p->host_on)
		return;
	if ((p->look_at != 0 && now >= p->look_at) || now >= p->next_look)
		host_refresh(p);
	dp_timers(p);
}

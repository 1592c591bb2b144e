/*
 * priv.c: the parent's dispatcher.  Every request from the engine is checked
 * for its type, its exact size and the bounds of every field before anything
 * is done with it; a request that fails a check ends the engine (the caller
 * stops it), since an honest engine never sends one.
 */
#include <string.h>

#include "node/ct.h"
#include "proto/compat.h"
#include "node/log.h"
#include "node/parent.h"
#include "node/privsep.h"

static void
result(struct parent *p, uint32_t seq, int err, uint32_t changes, uint32_t usec)
{
	struct dp_result r = { seq, err, changes, usec };

	priv_send(p->privfd, PRIV_DP_RESULT, &r, sizeof(r));
}

/*
 * A full sync replaces the table with everything in the mirror.  It is done
 * for the engine's first transaction (not before: after a crash the old
 * table keeps forwarding until the restarted engine says what it wants), for
 * every BEGIN with full=1, and after any error.
 */
static int
full_sync(struct parent *p, uint32_t *usec)
{
	int	 rc;

	dp_ops_reset(&p->ops);
	if (dp_plan_all(&p->mirror, &p->ops) == -1)
		return -1;
	rc = nft_full_sync(&p->nft, &p->ops, usec);
	if (rc == 0)
		p->synced = 1;
	else
		log_warnx("nftables full sync failed: %s", strerror(-rc));
	return rc;
}

static int
commit(struct parent *p, const struct dp_commit *c)
{
	uint32_t	 usec = 0, changes = (uint32_t)p->ops.n;
	int		 rc;

	if (!p->dp_on) {
		result(p, c->seq, 0, 0, 0);
		return 0;
	}
	if (p->txn_full || !p->synced) {
		rc = full_sync(p, &usec);
		changes = (uint32_t)p->ops.n;
	} else if ((rc = nft_apply(&p->nft, &p->ops, &usec)) != 0) {
		log_warnx("nftables update failed (%s); doing a full sync",
		    strerror(-rc));
		rc = full_sync(p, &usec);
	}
	if (rc == 0 && p->nflush > 0) {
		int	 n = ct_flush(p->flush, p->nflush,
		    nft_translated_bit(&p->nft.cfg));

		if (n > 0)
			log_debug("deleted %d stale UDP conntrack entries", n);
	}
	p->nflush = 0;
	dp_ops_reset(&p->ops);
	result(p, c->seq, rc, changes, usec);
	return 0;
}

int
priv_dispatch(struct parent *p, const struct priv_hdr *h, const void *payload)
{
	switch (h->type) {
	case PRIV_READY:
		if (h->len != 0)
			break;
		log_debug("engine ready");
		return 0;
	case PRIV_DP_BEGIN: {
		const struct dp_begin	*b = payload;

		if (h->len != sizeof(*b) || p->in_txn || b->full > 1)
			break;
		p->in_txn = 1;
		p->txn_full = b->full;
		p->nflush = 0;
		dp_ops_reset(&p->ops);
		if (b->full)
			dp_mirror_clear(&p->mirror);
		return 0;
	}
	case PRIV_DP_SVC: {
		struct dp_svc	 s;

		if (!p->in_txn || dp_svc_unpack(payload, h->len, &s) == -1)
			break;
		if (dp_plan_svc(&p->mirror, &s, &p->ops, p->flush, &p->nflush,
		    MAX_FLUSH) == -1)
			fatalx("out of memory planning the data plane");
		return 0;
	}
	case PRIV_DP_MEMBER:
	case PRIV_DP_LAN: {
		struct dp_addr	 a;

		if (!p->in_txn || dp_addr_unpack(payload, h->len,
		    h->type == PRIV_DP_LAN, &a) == -1)
			break;
		if (dp_plan_addr(&p->mirror, h->type == PRIV_DP_LAN, &a,
		    &p->ops) == -1)
			fatalx("out of memory planning the data plane");
		return 0;
	}
	case PRIV_DP_COMMIT: {
		const struct dp_commit	*c = payload;

		if (h->len != sizeof(*c) || !p->in_txn)
			break;
		p->in_txn = 0;
		return commit(p, c);
	}
	default:
		break;
	}
	log_warnx("engine sent a malformed request (type %u, %u bytes)",
	    h->type, h->len);
	return -1;
}

/* ---- setting up and tearing down the kernel side ---- */

/*
 * dp_setup - find the uplinks and LANs, set sysctls and return routing.
 * nftables is left alone until the engine's first transaction.
 */
int
dp_setup(struct parent *p, char *err, size_t errlen)
{
	struct nft_config	 nc;
	int			 n;

	dp_mirror_init(&p->mirror);
	if ((p->nups = ifaces_uplinks(&p->cfg, p->ups, CFG_MAX_UPLINKS, err,
	    errlen)) < 0)
		return -1;
	/* LAN interface names, for their forwarding sysctl. */
	p->nlans = ifaces_lan_names(&p->cfg, p->ups, p->nups, p->lans,
	    CFG_MAX_LANS);
	p->strict = p->cfg.strict_rpf;
	if (!p->strict && routes_all_rp_filter() == 1) {
		log_info("net.ipv4.conf.all.rp_filter is 1 (strict): restoring "
		    "the uplink mark in both directions (strict-rpf)");
		p->strict = 1;
	}
	memset(&nc, 0, sizeof(nc));
	nc.mask = p->cfg.mark_mask;
	nc.strict = p->strict;
	nc.nuplinks = (uint8_t)p->nups;
	for (int i = 0; i < p->nups; i++) {
		strlcpy(nc.uplinks[i].name, p->ups[i].name, IFNAMSIZ);
		nc.uplinks[i].ifindex = p->ups[i].ifindex;
	}
	if (nft_open(&p->nft, &nc, err, errlen) == -1)
		return -1;
	if ((n = routes_open(&p->rt)) < 0) {
		snprintf(err, errlen, "rtnetlink: %s", strerror(-n));
		return -1;
	}
	if (routes_sysctls(&p->rt, p->ups, p->nups, p->lans, p->nlans,
	    p->strict, err, errlen) == -1 ||
	    routes_apply(&p->rt, p->ups, p->nups, p->cfg.mark_mask, p->strict,
	    err, errlen) == -1)
		return -1;
	for (int i = 0; i < p->nups; i++)
		log_info("uplink %d: %s (table %d)", i + 1, p->ups[i].name,
		    RT_TABLE_BASE + i + 1);
	p->dp_on = 1;
	return 0;
}

/*
 * dp_teardown - at SIGTERM (remove=1): remove rpn's table, rules and routes,
 * unless kept.  When the engine died (remove=0) the kernel state stays, so
 * established flows keep forwarding until a restarted rpnd reconciles.
 */
void
dp_teardown(struct parent *p, int remove)
{
	if (!p->dp_on)
		return;
	if (remove && !p->cfg.keep_on_exit) {
		nft_remove(&p->nft);
		routes_flush(&p->rt);
		routes_sysctls_restore(&p->rt);
	} else if (remove)
		log_info("keep-on-exit: leaving rpn's kernel state in place");
	nft_close(&p->nft);
	routes_close(&p->rt);
	dp_mirror_release(&p->mirror);
	dp_ops_release(&p->ops);
	p->dp_on = 0;
}

/* dp_check - once a second: our table was flushed by someone? Put it back. */
void
dp_check(struct parent *p)
{
	uint32_t	 usec;

	if (!p->dp_on || !p->synced || p->in_txn)
		return;
	if (nft_table_exists(&p->nft) == 0) {
		log_warnx("table inet rpn vanished (nft flush ruleset?); "
		    "restoring it");
		full_sync(p, &usec);
	}
}

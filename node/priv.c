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

/* dp_full_sync - put the whole table back (uplinks changed, or it was flushed). */
int
dp_full_sync(struct parent *p)
{
	uint32_t	 usec;

	return full_sync(p, &usec);
}

static int
commit(struct parent *p, const struct dp_commit *c)
{
	uint32_t	 usec = 0, changes;
	int		 rc;

	if (!p->host_on) {
		result(p, c->seq, 0, 0, 0);
		return 0;
	}
	if (dp_plan_lans(&p->mirror, &p->ops) == -1)
		fatalx("out of memory planning the data plane");
	changes = p->ops.n;
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
		/* The engine is in a mesh: rpn's routes and sysctls are wanted. */
		host_activate(p);
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
	case PRIV_TEARDOWN:
		if (h->len != 0 || p->in_txn)
			break;
		host_teardown(p);
		return 0;
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

/* dp_reset - forget what is installed: the next transaction is a full sync. */
void
dp_reset(struct parent *p)
{
	dp_mirror_clear(&p->mirror);
	dp_ops_reset(&p->ops);
	p->synced = 0;
	p->in_txn = 0;
	p->nflush = 0;
}

/* dp_check - once a second: our table was flushed by someone? Put it back. */
void
dp_check(struct parent *p)
{
	if (!p->host_on || !p->active || !p->synced || p->in_txn)
		return;
	if (nft_table_exists(&p->nft) == 0) {
		log_warnx("table inet rpn vanished (nft flush ruleset?); "
		    "restoring it");
		dp_full_sync(p);
	}
}

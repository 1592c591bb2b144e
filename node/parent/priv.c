/*
 * priv.c: the parent's dispatcher.  Every request from the engine is checked
 * for its type, its exact size and the bounds of every field before anything
 * is done with it; a request that fails a check ends the engine (the caller
 * stops it), since an honest engine never sends one.
 */
#include <string.h>

#include "proto/compat.h"
#include "node/core/log.h"
#include "node/parent/parent.h"
#include "node/core/privsep.h"

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
		return dp_commit(p, c);
	}
	default:
		break;
	}
	log_warnx("engine sent a malformed request (type %u, %u bytes)",
	    h->type, h->len);
	return -1;
}


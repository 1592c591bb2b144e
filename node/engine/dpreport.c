/*
 * dpreport.c: "programmed on N of M nodes".  Each node publishes, when it
 * changed and at most once a second, a signed record with the digest of
 * the service table its kernel last committed (dpsync.c digest_update())
 * and its size.  A member X counts as having programmed service S when S
 * is programmed here (dpsync_programmed()) and X's digest equals one this
 * node's kernel had at a generation g at or after the one where S's
 * current request entered it: X's kernel then holds exactly what this
 * node's held at g, S as it is now included.  Equal digests now mean
 * everything matches; a member whose table differs anywhere counts for
 * no service until the tables agree again (a lower bound, never more).
 */
#include <stdlib.h>
#include <string.h>

#include "node/engine/dpreport.h"
#include "node/engine/engine.h"
#include "node/core/log.h"
#include "proto/envelope.h"

#define PUBLISH_MS	1000

/* A report others count for services: match() ignores any other. */
static int
counts(const struct rec_programmed *x)
{
	return x->services != 0 && x->digest != 0;
}

/* report_of - the report the store holds of member id: 0, or -1 if none. */
static int
report_of(const struct engine *e, const uint8_t id[WIRE_KEY],
    struct rec_programmed *x)
{
	const struct rec	*r;
	const uint8_t		*body;
	size_t			 bodylen;
	struct rec_head		 h;

	if ((r = store_get(&e->mesh.store, id, REC_PROGRAMMED, NULL, 0)) == NULL)
		return -1;
	body = rec_body(r, &bodylen);
	return rec_programmed_decode(body, bodylen, &h, x);
}

/*
 * holds_counting_report - the store holds a report of ours that others
 * count: one published before a restart (the state file keeps it).
 */
static int
holds_counting_report(const struct engine *e)
{
	struct rec_programmed	 x;

	return report_of(e, e->mesh.id, &x) == 0 && counts(&x);
}

uint64_t
dpreport_publish(struct engine *e)
{
	struct dpsync		*d = &e->dp;
	struct rec_programmed	 pr;
	struct buf		 body;
	uint64_t		 now = engine_now(e);
	int			 rc;

	if (!e->mesh.joined || e->mesh.left)
		return UINT64_MAX;
	pr.digest = d->digest_ok ? d->digest : 0;
	pr.services = d->digest_ok ? d->ndigest : 0;
	if (!d->pub_done && !counts(&pr) && !holds_counting_report(e)) {
		/*
		 * Nothing programmed, and no report of ours that others count
		 * to take back: a report would say what its absence says,
		 * and cost every member a signature check (a joiner's first
		 * report came before its data plane was in step, N checks a
		 * join).  Publish once there is something to count.
		 */
		d->pub_done = 1;
		d->pub.digest = pr.digest;
		d->pub.services = pr.services;
		return UINT64_MAX;
	}
	if (d->pub_done && pr.digest == d->pub.digest &&
	    pr.services == d->pub.services)
		return UINT64_MAX;
	if (d->pub_done && now < d->pub_at + PUBLISH_MS)
		return d->pub_at + PUBLISH_MS;
	buf_init(&body, WIRE_MAX_RECORD);
	rc = rec_programmed_encode(&body, mesh_next_version(&e->mesh,
	    engine_unix_ms()), &pr);
	if (rc == 0)
		rc = mesh_publish(&e->mesh, body.p, body.len, now);
	buf_release(&body);
	d->pub_at = now;
	if (rc == -1) {
		log_warnx("cannot publish this node's kernel digest");
		return now + PUBLISH_MS;
	}
	d->pub_done = 1;
	d->pub.digest = pr.digest;
	d->pub.services = pr.services;
	return UINT64_MAX;
}

/* The newest generation of this node's digest that equals X's; 0: none. */
static uint32_t
match(const struct dpsync *d, const struct rec_programmed *x)
{
	if (!counts(x))
		return 0;
	for (uint32_t i = d->nhist; i-- > 0;) {
		const struct dp_digest	*h = &d->hist[(d->hpos + i) % DP_DIGESTS];

		if (h->digest == x->digest && h->services == x->services)
			return h->gen;
	}
	return 0;
}

int
dpreport_peers(struct engine *e, struct dpreport_peers *p)
{
	const struct membership	*mb = &e->mesh.mb;

	memset(p, 0, sizeof(*p));
	if ((p->gens = calloc(mb->n + 1, sizeof(*p->gens))) == NULL)
		return -1;
	for (uint32_t i = 0; i < mb->n; i++) {
		const struct member	*m = mb->m[i];
		struct rec_programmed	 x;

		if (m->self) {
			if (e->mesh.joined && !e->mesh.left) {
				p->self = 1;
				p->of++;
			}
			continue;
		}
		if (m->revoked || (m->state != M_ALIVE &&
		    m->state != M_SUSPECT))
			continue;
		p->of++;
		if (report_of(e, m->id, &x) == -1)
			continue;
		if ((p->gens[p->n] = match(&e->dp, &x)) != 0)
			p->n++;
	}
	return 0;
}

void
dpreport_peers_release(struct dpreport_peers *p)
{
	free(p->gens);
	memset(p, 0, sizeof(*p));
}

uint32_t
dpreport_count(const struct engine *e, const struct dpreport_peers *p,
    uint32_t key)
{
	const struct dp_sent	*s;
	uint32_t		 n;

	if (key == 0 || !p->self || (s = dpsync_sent(e, key)) == NULL)
		return 0;
	n = 1;
	for (uint32_t i = 0; i < p->n; i++)
		if (p->gens[i] >= s->cgen)
			n++;
	return n;
}

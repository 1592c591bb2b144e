/*
 * dpsync.c: from the mesh's records to requests for the parent.  Service
 * records feed the service table; each port whose plan changed is sent as
 * one fixed-size request, member addresses and LAN prefixes as set deltas,
 * all in one transaction per round, one transaction in flight at a time.
 */
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sodium.h>

#include "node/engine/dpsync.h"
#include "node/engine/health.h"
#include "node/core/array.h"
#include "node/engine/api.h"
#include "node/engine/chan.h"
#include "node/engine/conn.h"
#include "node/engine/engine.h"
#include "node/engine/gossip.h"
#include "node/core/log.h"
#include "node/core/privsep.h"
#include "node/core/state.h"
#include "proto/envelope.h"

#define CHALLENGE_SCAN_MS	250
#define CHALLENGE_SPREAD_MS	1000

static int	policy_approved(void *, const uint8_t[32],
		    const struct wire_prefix *);
static struct dp_sent *sent_get(const struct dpsync *, uint32_t);
static struct dp_sent *sent_add(struct dpsync *, uint32_t);

void
dpsync_init(struct engine *e)
{
	struct dpsync	*d = &e->dp;

	memset(d, 0, sizeof(*d));
	svc_table_init(&d->svcs);
	d->svcs.pol = &e->mesh.pol;
	d->lan_approved = policy_approved;
	d->lan_approved_ctx = e;
	hmap_init(&d->sentidx);
	d->need_full = 1;
	d->members_dirty = 1;
	histogram_init(&d->prog, hist_default_bounds, hist_default_nbounds);
}

/* dpsync_reset - the mesh was forgotten (left): nothing is wanted any more. */
void
dpsync_reset(struct engine *e)
{
	struct dpsync	*d = &e->dp;

	svc_table_release(&d->svcs);
	svc_table_init(&d->svcs);
	d->svcs.pol = &e->mesh.pol;
	d->need_full = 1;
	d->members_dirty = 1;
	d->challenge_at = 0;
}

void
dpsync_release(struct engine *e)
{
	struct dpsync	*d = &e->dp;

	svc_table_release(&d->svcs);
	hmap_release(&d->sentidx);
	free(d->sent);
	free(d->members);
	free(d->lans);
	free(d->stamped);
	free(d->flight);
	memset(d, 0, sizeof(*d));
}

/*
 * node_claims - a member's node record arrived: the addresses it lists now
 * are what it must prove (claims_advertised(): an address it listed before
 * keeps its proof, a new one is challenged).  A new address's first
 * challenge waits a random moment up to CHALLENGE_SPREAD_MS: a burst of
 * joins brings every node the newcomers' records within the same second,
 * and challenges sent as the records arrive would come back at once.
 */
static void
node_claims(struct engine *e, const struct rec *r)
{
	struct member	*m = mb_get(&e->mesh.mb, r->author);
	const uint8_t	*body;
	size_t		 bodylen;
	struct rec_head	 h;
	struct rec_node	*nd;
	struct claims	*c;

	if (m == NULL || m->self || (c = mb_claims(m)) == NULL ||
	    (nd = malloc(sizeof(*nd))) == NULL)
		return;
	body = rec_body(r, &bodylen);
	if (rec_node_decode(body, bodylen, &h, nd) == 0 &&
	    claims_advertised(c, nd->addrs, nd->naddrs, engine_now(e) +
	    randombytes_uniform(CHALLENGE_SPREAD_MS + 1)))
		e->mesh.dirty = 1;	/* the proofs in the state file */
	e->dp.challenge_at = 0;		/* look again: a new address is due soon */
	free(nd);
}

/*
 * dpsync_seen - authenticated traffic from member id came from src: a
 * datagram box or a stream frame that opened with its pair key.  An
 * advertised address it proves enters the member set.
 */
void
dpsync_seen(struct engine *e, const uint8_t id[32], const struct wire_addr *src)
{
	struct member	*m = mb_get(&e->mesh.mb, id);
	struct claims	*c;

	if (m == NULL || m->self || (c = mb_claims(m)) == NULL ||
	    !claims_seen(c, src, engine_now(e)))
		return;
	e->dp.members_dirty = 1;
	e->mesh.dirty = 1;	/* saved within a second: a restart keeps it */
}

/*
 * dpsync_challenge - ping the advertised addresses that are due for a
 * challenge, of members that are up: twice with a datagram
 * (gossip_challenge()), which proves an address the member sends from,
 * then, from the third try 3 s after the first, with a stream
 * (conn_start_challenge()), which proves one it only receives on.
 *
 * The walk over every member is not repeated before the earliest retry
 * it saw: in a settled mesh every address is proven, and this was the
 * engine's largest cost when idle (100 members, 4 walks a second).
 * Whatever makes an address due sooner resets challenge_at: a node
 * record (node_claims), a member's state (dpsync_member_changed), the
 * quiet marks computed again (dpsync_flush), a forgotten mesh.
 */
void
dpsync_challenge(struct engine *e)
{
	struct membership	*mb = &e->mesh.mb;
	uint64_t		 now = engine_now(e), soonest = UINT64_MAX, t;

	if (!e->mesh.joined || e->mesh.left || now < e->dp.challenge_at)
		return;
	for (uint32_t i = 0; i < mb->n; i++) {
		struct member		*m = mb->m[i];
		struct wire_addr	 due[WIRE_MAX_ADDRS];
		uint8_t			 dgram[WIRE_MAX_ADDRS];
		uint32_t		 n;

		if (m->self || (m->state != M_ALIVE && m->state != M_SUSPECT))
			continue;
		n = claims_due(m->claims, now, due, dgram, WIRE_MAX_ADDRS);
		for (uint32_t k = 0; k < n; k++) {
			if (dgram[k] ? gossip_challenge(e, m, &due[k]) :
			    conn_start_challenge(e, m, &due[k]))
				continue;
			e->st.addr_challenges++;
			if (!dgram[k])
				e->st.addr_challenge_streams++;
		}
		if ((t = claims_next_due(m->claims)) < soonest)
			soonest = t;
	}
	/* Retries are a second apart or more: no need to look at every kick. */
	e->dp.challenge_at = soonest > now + CHALLENGE_SCAN_MS ? soonest :
	    now + CHALLENGE_SCAN_MS;
}

/* dpsync_restore_proofs - the proofs the state file kept (engine start). */
void
dpsync_restore_proofs(struct engine *e, const struct state_proof *p,
    uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		struct member	*m = mb_get(&e->mesh.mb, p[i].id);

		for (uint8_t j = 0; m != NULL && !m->self && j < p[i].naddrs;
		    j++)
			claims_restore(m->claims, &p[i].addrs[j]);
	}
	e->dp.members_dirty = 1;
}

/*
 * dpsync_set_lan_approval - the operator's approvals of LAN prefixes
 * (NULL: none): which of the prefixes lan_needs_approval() holds back may
 * enter the LAN set after all.  The sets are computed again.
 */
void
dpsync_set_lan_approval(struct engine *e,
    int (*approved)(void *, const uint8_t[32], const struct wire_prefix *),
    void *ctx)
{
	e->dp.lan_approved = approved;
	e->dp.lan_approved_ctx = ctx;
	e->dp.members_dirty = 1;
}

/* The operators' approvals (rpnctl lan approve), from the mesh's policy. */
static int
policy_approved(void *ctx, const uint8_t node[32], const struct wire_prefix *p)
{
	struct engine	*e = ctx;

	return policy_lan_approved(&e->mesh.pol, node, p);
}

/*
 * stamp - a record for port key arrived (gossip, sync or the control
 * socket): the programming latency of the change it brings runs from now
 * (docs/http.md, rpn_network_programming_duration_seconds).  The first
 * arrival waiting counts; records restored from the state file at start
 * (before the channel starts) are not arrivals.
 */
static void
stamp(struct engine *e, uint32_t key)
{
	struct dpsync	*d = &e->dp;
	struct dp_sent	*s;

	if (!e->chan_started)
		return;
	if ((s = sent_get(d, key)) == NULL && (s = sent_add(d, key)) == NULL)
		return;
	if (s->arrived != 0 || array_reserve(&d->stamped, &d->capstamped,
	    d->nstamped + 1, sizeof(*d->stamped)) == -1)
		return;
	s->arrived = uv_hrtime();
	d->stamped[d->nstamped++] = key;
}

/* The change that arrived then is in the kernel now (not with dataplane no). */
static void
observe(struct dpsync *d, uint64_t *arrived, uint64_t now)
{
	if (d->kernel.state != DP_KS_OFF)
		histogram_observe(&d->prog, now > *arrived ? now - *arrived : 0);
	*arrived = 0;
}

/* mesh hook: a record was stored */
void
dpsync_on_record(void *ctx, const struct rec *r)
{
	struct engine		*e = ctx;
	const uint8_t		*body;
	size_t			 bodylen;
	struct rec_head		 h;
	struct rec_service	 s;

	api_changed(e, r->kind == REC_NODE ? "members" : "services");
	if (r->kind == REC_NODE)
		api_changed(e, "audit");	/* joins and leaves */
	if (r->kind == REC_NODE) {
		if (e->chan_started && e->dp.sets_arrived == 0)
			e->dp.sets_arrived = uv_hrtime();
		e->dp.members_dirty = 1;
		svc_table_touch_author(&e->dp.svcs, r->author);
		node_claims(e, r);
		return;
	}
	if (r->kind == REC_HEALTH) {
		struct rec_health	 hl;

		body = rec_body(r, &bodylen);
		if (rec_health_decode(body, bodylen, &h, &hl) == 0)
			svc_table_set_health(&e->dp.svcs, r->author, hl.name,
			    (h.flags & REC_F_DELETED) ? SVC_H_UNKNOWN : hl.health,
			    hl.since);
		return;
	}
	if (r->kind != REC_SERVICE)
		return;
	body = rec_body(r, &bodylen);
	if (rec_service_decode(body, bodylen, &h, &s) == -1)
		return;
	/* A service here: its port needs the periodic look at the sockets. */
	health_wake(e);
	if (memcmp(r->author, e->mesh.id, WIRE_KEY) == 0)
		health_note(e, s.name);
	if (h.flags & REC_F_DELETED) {
		const struct svc	*old = svc_table_get(&e->dp.svcs, s.name);

		if (old != NULL && old->key != 0)
			stamp(e, old->key);
		svc_table_del(&e->dp.svcs, r->author, s.name);
		return;
	}
	stamp(e, svc_key(s.proto, s.port));
	/* Whatever the record says, no node takes rpn's own port (t-hostile). */
	if (s.port == e->cfg.listen.port)
		e->st.svc_own_port++;
	svc_table_set(&e->dp.svcs, r->author, h.version, &s);
	/* The owner's health record may have come first. */
	if ((r = store_get(&e->mesh.store, r->author, REC_HEALTH,
	    (const uint8_t *)s.name, strlen(s.name))) != NULL &&
	    !(r->flags & REC_F_DELETED)) {
		struct rec_health	 hl;

		body = rec_body(r, &bodylen);
		if (rec_health_decode(body, bodylen, &h, &hl) == 0)
			svc_table_set_health(&e->dp.svcs, r->author, hl.name,
			    hl.health, hl.since);
	}
}

/*
 * dpsync_plan - what this node programs for a port: the service table's
 * plan, except on a port this node itself listens on (or rpn's own).
 */
void
dpsync_plan(const struct engine *e, uint32_t key, struct svc_plan *p)
{
	svc_plan_key(&e->dp.svcs, key, &e->mesh.mb, engine_local_conflict(e,
	    (uint8_t)(key >> 16), (uint16_t)key), p);
}

/* mesh hook: may author publish this service record?  (receivers' check) */
int
dpsync_check_service(void *ctx, const uint8_t author[32],
    const struct rec_service *s, char *err, size_t errlen)
{
	struct engine	*e = ctx;

	return svc_policy_check(&e->dp.svcs, &e->mesh.mb, author, s, err,
	    errlen);
}

struct svc_recs {
	const struct rec	**v;
	uint32_t		  n, cap;
};

static int
svc_recs_cb(void *ctx, const struct rec *r)
{
	struct svc_recs	*l = ctx;

	if (r->kind != REC_SERVICE || (r->flags & REC_F_DELETED))
		return 0;
	if (array_reserve(&l->v, &l->cap, l->n + 1, sizeof(*l->v)) == -1)
		return 1;
	l->v[l->n++] = r;
	return 0;
}

static int
rec_version_cmp(const void *x, const void *y)
{
	const struct rec	*a = *(const struct rec *const *)x;
	const struct rec	*b = *(const struct rec *const *)y;

	if (a->version != b->version)
		return a->version < b->version ? -1 : 1;
	return memcmp(a->author, b->author, 32);
}

/*
 * mesh hook: the policy changed (an operator statement arrived).  Who owns
 * a name and with what access may have changed for any service, so the
 * table is built again from the store, oldest record first (the first
 * owner of a name keeps it), and the kernel gets a full state.
 */
void
dpsync_on_policy(void *ctx)
{
	struct engine	*e = ctx;
	struct svc_recs	 l = { NULL, 0, 0 };

	/* A statement: operators, grants, revocations, approvals. */
	api_changed(e, "operators");
	api_changed(e, "audit");
	api_changed(e, "members");
	api_changed(e, "services");

	svc_table_release(&e->dp.svcs);
	svc_table_init(&e->dp.svcs);
	e->dp.svcs.pol = &e->mesh.pol;
	store_foreach(&e->mesh.store, svc_recs_cb, &l);
	if (l.n > 1)
		qsort(l.v, l.n, sizeof(*l.v), rec_version_cmp);
	for (uint32_t i = 0; i < l.n; i++)
		dpsync_on_record(e, l.v[i]);
	free(l.v);
	e->dp.need_full = 1;
	e->dp.members_dirty = 1;
}

/* mesh hook: an author was reaped */
void
dpsync_on_forget(void *ctx, const uint8_t author[32])
{
	struct engine	*e = ctx;

	svc_table_drop_author(&e->dp.svcs, author);
	e->dp.members_dirty = 1;
	api_changed(e, "members");
	api_changed(e, "services");
}

/* A member changed state (alive, suspect, failed, left). */
void
dpsync_member_changed(struct engine *e, const uint8_t id[32])
{
	svc_table_touch_author(&e->dp.svcs, id);
	e->dp.members_dirty = 1;
	e->dp.challenge_at = 0;	/* one that is up again may have addresses due */
	api_changed(e, "members");
	if (memcmp(id, e->mesh.id, 32) == 0) {
		svc_table_touch_all(&e->dp.svcs);
		api_changed(e, "node");
	} else
		e->reached_ms = engine_now(e);	/* it may probe us from now */
}

void
dpsync_to_req(const struct svc_plan *p, struct dp_svc *r)
{
	memset(r, 0, sizeof(*r));
	r->proto = p->proto;
	r->port = p->port;
	if (p->mode == PLAN_NONE)
		return;
	for (int i = 0; i < p->nbackends && r->nbackends < DP_MAX_BACKENDS; i++) {
		if (p->backends[i].family != 4)
			continue;
		memcpy(&r->backends[r->nbackends].addr, p->backends[i].ip, 4);
		r->backends[r->nbackends].port = p->backends[i].port;
		r->nbackends++;
	}
	r->public = (uint8_t)(p->public != 0);
	for (int i = 0; i < p->nallow && r->nallow < DP_MAX_ALLOW; i++) {
		if (p->allow[i].family != 4)
			continue;
		memcpy(&r->allow[r->nallow].addr, p->allow[i].ip, 4);
		r->allow[r->nallow].len = p->allow[i].len;
		r->nallow++;
	}
}

/* The hash that stands for a request: of its packed bytes, 0 for "nothing". */
static uint64_t
req_hash(const struct dp_svc *r)
{
	uint8_t		 b[DP_SVC_MAXLEN];
	uint64_t	 h;

	if (r->nbackends == 0)
		return 0;
	h = hmap_hash(b, dp_svc_pack(r, b));
	return h ? h : 1;
}

/* BLAKE2b-64 of n parts, as a number (0 becomes 1). */
static uint64_t
b2_64(const void *p1, size_t n1, const void *p2, size_t n2)
{
	crypto_generichash_state st;
	uint8_t			 out[8];
	uint64_t		 t = 0;

	crypto_generichash_init(&st, NULL, 0, sizeof(out));
	crypto_generichash_update(&st, p1, n1);
	if (n2 > 0)
		crypto_generichash_update(&st, p2, n2);
	crypto_generichash_final(&st, out, sizeof(out));
	for (int i = 0; i < 8; i++)
		t = t << 8 | out[i];
	return t ? t : 1;
}

/*
 * dp_term - what a port adds to the kernel digest (docs/protocol.md
 * §2.7): not the request itself, which differs from node to node (the
 * owner forwards to its target, the others to the owner), but what it was
 * made from, the same on every node: the port, its access (public, the
 * allowed prefixes), and for each owner of the service that holds the
 * port, its id, its service record's version, its health and whether it
 * is a usable member, summed so that the owners' order does not matter.
 * 0 when nothing is programmed for the port.
 */
static uint64_t
dp_term(const struct engine *e, uint32_t key, const struct dp_svc *req)
{
	const struct membership	*mb = &e->mesh.mb;
	const struct svc	*sv;
	uint8_t			 k[8 + DP_MAX_ALLOW * 5], o[WIRE_KEY + 10];
	size_t			 n = 0;
	uint64_t		 t;

	if (req->nbackends == 0 ||
	    (sv = svc_for_key(&e->dp.svcs, key, mb)) == NULL)
		return 0;
	k[n++] = (uint8_t)(key >> 24);
	k[n++] = (uint8_t)(key >> 16);
	k[n++] = (uint8_t)(key >> 8);
	k[n++] = (uint8_t)key;
	k[n++] = req->public;
	k[n++] = req->nallow;
	for (uint8_t i = 0; i < req->nallow && i < DP_MAX_ALLOW; i++) {
		memcpy(k + n, &req->allow[i].addr, 4);
		k[n + 4] = req->allow[i].len;
		n += 5;
	}
	t = b2_64(k, n, NULL, 0);
	for (uint32_t i = 0; i < sv->nowners; i++) {
		const struct svc_owner	*ow = &sv->owners[i];

		if (svc_key(ow->proto, ow->port) != key)
			continue;
		memcpy(o, svc_owner_id(&e->dp.svcs, ow), WIRE_KEY);
		for (int j = 0; j < 8; j++)
			o[WIRE_KEY + j] = (uint8_t)(ow->version >> (56 - 8 * j));
		o[WIRE_KEY + 8] = ow->health;
		o[WIRE_KEY + 9] = (uint8_t)svc_owner_usable(mb,
		    svc_owner_id(&e->dp.svcs, ow));
		t += b2_64(o, sizeof(o), NULL, 0);
	}
	return t ? t : 1;
}

static uint64_t
key_hash(uint32_t key)
{
	return hmap_hash(&key, sizeof(key));
}

struct sent_ctx {
	const struct dpsync	*d;
	uint32_t		 key;
};

static int
sent_eq(const void *ctx, uint32_t slot)
{
	const struct sent_ctx	*c = ctx;

	return c->d->sent[slot].key == c->key;
}

static uint64_t
sent_rehash(const void *ctx, uint32_t slot)
{
	const struct dpsync	*d = ctx;

	return key_hash(d->sent[slot].key);
}

static struct dp_sent *
sent_get(const struct dpsync *d, uint32_t key)
{
	struct sent_ctx	 c = { d, key };
	uint32_t	 s = hmap_find(&d->sentidx, key_hash(key), sent_eq, &c);

	return s == HMAP_EMPTY ? NULL : &d->sent[s];
}

static struct dp_sent *
sent_add(struct dpsync *d, uint32_t key)
{
	struct dp_sent	*s;

	if (array_reserve(&d->sent, &d->capsent, d->nsent + 1,
	    sizeof(*d->sent)) == -1)
		return NULL;
	if (hmap_put(&d->sentidx, key_hash(key), d->nsent, sent_rehash,
	    d) == -1)
		return NULL;
	s = &d->sent[d->nsent++];
	memset(s, 0, sizeof(*s));
	s->key = key;
	return s;
}

/* The kernel refuses this port's elements; the parent holds them back. */
int
dpsync_held(const struct engine *e, uint32_t key)
{
	for (uint32_t i = 0; i < e->dp.kernel.nfailed && i < DP_MAX_HELD; i++)
		if (e->dp.kernel.failed[i] == key)
			return 1;
	return 0;
}

/*
 * dpsync_programmed - the kernel holds what this node wants for the port:
 * the parent acknowledged the transaction that carried it, and has not
 * said since that the table differs (a foreign change being repaired, a
 * failure) or that it holds this port back.
 */
int
dpsync_programmed(const struct engine *e, uint32_t key)
{
	const struct dp_sent	*s = sent_get(&e->dp, key);
	struct svc_plan		 p;
	struct dp_svc		 want;

	if (s == NULL || !s->acked || e->dp.kernel.state != DP_KS_OK ||
	    dpsync_held(e, key))
		return 0;
	dpsync_plan(e, key, &p);
	dpsync_to_req(&p, &want);
	return req_hash(&want) == s->hash;
}

const struct dp_sent *
dpsync_sent(const struct engine *e, uint32_t key)
{
	return sent_get(&e->dp, key);
}

/* The kernel now holds term for s (0: nothing): a new digest generation. */
static void
set_committed(struct dpsync *d, struct dp_sent *s, uint64_t term)
{
	if (s->committed == term)
		return;
	d->csum += term - s->committed;
	d->ncommitted += (term != 0) - (s->committed != 0);
	s->committed = term;
	s->cgen = d->gen + 1;
	d->digest_dirty = 1;
}

/*
 * digest_update - the digest of what the kernel holds: the sum (mod 2^64)
 * of the committed terms of every port, those the parent holds back left
 * out.  A new generation whenever it changes, kept in a ring (dpreport.c
 * matches other members' digests against it).  While the parent repairs
 * the table it is not known: 0.
 */
static void
digest_update(struct engine *e)
{
	struct dpsync	*d = &e->dp;
	struct dp_digest *h;
	uint64_t	 sum = 0;
	uint32_t	 n = 0;
	int		 ok = d->kernel.state == DP_KS_OK;

	/* Kept as they change (set_committed): 100k ports are not summed per ack. */
	if (d->kernel.nfailed == 0) {
		sum = d->csum;
		n = d->ncommitted;
	} else
		for (uint32_t i = 0; i < d->nsent; i++)
			if (d->sent[i].committed != 0 &&
			    !dpsync_held(e, d->sent[i].key)) {
				sum += d->sent[i].committed;
				n++;
			}
	if (!ok) {
		sum = 0;
		n = 0;
	}
	if (ok == d->digest_ok && sum == d->digest && n == d->ndigest &&
	    !d->digest_dirty)
		return;
	d->digest_ok = ok;
	d->digest = sum;
	d->ndigest = n;
	if (!ok)
		return;
	d->digest_dirty = 0;
	d->gen++;
	if (d->nhist < DP_DIGESTS)
		h = &d->hist[(d->hpos + d->nhist++) % DP_DIGESTS];
	else {
		h = &d->hist[d->hpos];
		d->hpos = (d->hpos + 1) % DP_DIGESTS;
	}
	h->gen = d->gen;
	h->digest = sum;
	h->services = n;
}

/*
 * settle - the keys stamped since the last transaction that did not go
 * into this one (seq, 0: none began) changed nothing this node sends:
 * their arrivals are not waiting for anything.
 */
static void
settle(struct dpsync *d, uint32_t seq)
{
	for (uint32_t i = 0; i < d->nstamped; i++) {
		struct dp_sent	*s = sent_get(d, d->stamped[i]);

		if (s != NULL && s->arrived != 0 && (seq == 0 || s->seq != seq))
			s->arrived = 0;
	}
	d->nstamped = 0;
	if (d->capstamped > SVC_DIRTY_KEEP) {	/* a burst is over: give it back */
		free(d->stamped);
		d->stamped = NULL;
		d->capstamped = 0;
	}
	if (d->sets_seq == 0)
		d->sets_arrived = 0;
}

static void
send_req(struct engine *e, uint16_t type, const void *p, size_t len)
{
	if (chan_send(e, type, p, len) == -1)
		fatal("privsep channel");
}

/*
 * The ports' requests of a transaction, packed one after the other and
 * sent DP_SVC_BATCH bytes at a time: one message (a send, a receive, a
 * wake-up of the parent) per 2,000 ports rather than per port.
 */
struct batch {
	size_t	 len;
	uint8_t	 b[DP_SVC_BATCH];
};

static void
batch_flush(struct engine *e, struct batch *bt)
{
	if (bt->len > 0)
		send_req(e, PRIV_DP_SVC, bt->b, bt->len);
	bt->len = 0;
}

static void
batch_add(struct engine *e, struct batch *bt, const struct dp_svc *req)
{
	if (bt->len + DP_SVC_MAXLEN > sizeof(bt->b))
		batch_flush(e, bt);
	bt->len += dp_svc_pack(req, bt->b + bt->len);
}

static int
u32_cmp(const void *a, const void *b)
{
	uint32_t	 x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int
prefix_cmp(const void *a, const void *b)
{
	const struct dp_prefix	*x = a, *y = b;
	uint32_t		 ax = ntohl(x->addr), ay = ntohl(y->addr);

	if (ax != ay)
		return ax < ay ? -1 : 1;
	return x->len < y->len ? -1 : x->len > y->len;
}

struct wanted {
	uint32_t	*addrs;
	uint32_t	 naddrs;
	uint32_t	 capaddrs;
	struct dp_prefix *lans;
	uint32_t	 nlans;
	uint32_t	 caplans;
};

/* A member's node record, decoded into *nd; -1 if it has none usable. */
static int
node_record(struct mesh *m, const struct member *mm, struct rec_node *nd)
{
	const struct rec	*r;
	const uint8_t		*body;
	size_t			 bodylen;
	struct rec_head		 h;

	if (!svc_owner_usable(&m->mb, mm->id))
		return -1;
	r = store_get(&m->store, mm->id, REC_NODE, NULL, 0);
	if (r == NULL)
		return -1;
	body = rec_body(r, &bodylen);
	return rec_node_decode(body, bodylen, &h, nd);
}

/*
 * lan_allowed - may another member's LAN prefix enter the set?  Only if
 * it needs no approval (lan_needs_approval(); others[] are every member's
 * advertised addresses, this member's own from index self_lo to self_hi
 * left out), or an operator approved it.
 */
static int
lan_allowed(const struct dpsync *d, const struct member *mm,
    const struct wire_prefix *p, const struct wire_addr *others, uint32_t n,
    uint32_t self_lo, uint32_t self_hi)
{
	enum lan_verdict	 v;

	v = lan_needs_approval(p, others, self_lo);
	if (v == LAN_OK && n > self_hi)
		v = lan_needs_approval(p, others + self_hi, n - self_hi);
	if (v == LAN_OK)
		return 1;
	return d->lan_approved != NULL &&
	    d->lan_approved(d->lan_approved_ctx, mm->id, p);
}

/*
 * The member address set and the LAN prefixes wanted now: the IPv4
 * addresses and LANs of every member that has not left (this node
 * included: its own site's clients use the services too), sorted, without
 * duplicates and with host bits cleared.  What other members say about
 * themselves is checked first (docs/security.md): an address only once it
 * is proven here (claims.c), a LAN prefix only when it needs no operator's
 * approval or has it; what is left out is counted.  As many as there are:
 * the parent merges overlapping prefixes for the kernel.  -1 when out of
 * memory.
 */
static int
wanted_sets(struct engine *e, struct wanted *w)
{
	struct mesh	*m = &e->mesh;
	struct rec_node	*nd;
	struct wire_addr *adv = NULL;
	uint32_t	*lo = NULL, nadv = 0, capadv = 0, k;

	memset(w, 0, sizeof(*w));
	e->dp.addrs_unproven = e->dp.lans_unapproved = 0;
	if ((nd = malloc(sizeof(*nd))) == NULL ||
	    (lo = calloc(m->mb.n + 1, sizeof(*lo))) == NULL)
		goto fail;
	/* Every member's advertised addresses, member by member. */
	for (uint32_t i = 0; m->joined && !m->left && i < m->mb.n; i++) {
		lo[i] = nadv;
		if (node_record(m, m->mb.m[i], nd) == -1 || nd->naddrs == 0)
			continue;
		if (array_reserve(&adv, &capadv, nadv + nd->naddrs,
		    sizeof(*adv)) == -1)
			goto fail;
		memcpy(adv + nadv, nd->addrs, nd->naddrs * sizeof(*adv));
		nadv += nd->naddrs;
	}
	lo[m->mb.n] = nadv;
	for (uint32_t i = 0; m->joined && !m->left && i < m->mb.n; i++) {
		struct member	*mm = m->mb.m[i];
		uint32_t	 lan0 = w->nlans;

		if (node_record(m, mm, nd) == -1)
			continue;
		if (array_reserve(&w->addrs, &w->capaddrs, w->naddrs +
		    nd->naddrs, sizeof(*w->addrs)) == -1 ||
		    array_reserve(&w->lans, &w->caplans, w->nlans + nd->nlans,
		    sizeof(*w->lans)) == -1)
			goto fail;
		for (int l = 0; l < nd->nlans; l++) {
			struct dp_prefix	*p = &w->lans[w->nlans];
			uint32_t		 a, mask;

			if (nd->lans[l].family != 4 || nd->lans[l].len > 32)
				continue;
			if (!mm->self && !lan_allowed(&e->dp, mm, &nd->lans[l],
			    adv, nadv, lo[i], lo[i + 1])) {
				e->dp.lans_unapproved++;
				continue;
			}
			memset(p, 0, sizeof(*p));
			memcpy(&a, nd->lans[l].ip, 4);
			mask = nd->lans[l].len == 0 ? 0 :
			    0xffffffffu << (32 - nd->lans[l].len);
			p->addr = htonl(ntohl(a) & mask);
			p->len = nd->lans[l].len;
			w->nlans++;
		}
		if (!mm->self) {
			struct claims	*c = mm->claims;

			/*
			 * An address inside the member's own accepted LAN is
			 * let in by the LAN set already, and is often not
			 * reachable from here: no challenge for it, and it
			 * is not counted.  Nor for IPv6 (no set holds it).
			 */
			for (uint8_t j = 0; c != NULL && j < c->n; j++) {
				uint32_t	 a;

				memcpy(&a, c->a[j].addr.ip, 4);
				c->a[j].quiet = c->a[j].addr.family != 4;
				for (uint32_t l = lan0; l < w->nlans &&
				    !c->a[j].quiet; l++)
					c->a[j].quiet = (ntohl(a) &
					    (w->lans[l].len == 0 ? 0 :
					    0xffffffffu << (32 - w->lans[l].len))) ==
					    ntohl(w->lans[l].addr);
			}
			e->dp.addrs_unproven += claims_unproven(c);
		}
		for (int a = 0; a < nd->naddrs; a++)
			if (nd->addrs[a].family == 4 && (mm->self ||
			    claims_proven(mm->claims, &nd->addrs[a])))
				memcpy(&w->addrs[w->naddrs++], nd->addrs[a].ip, 4);
	}
	free(nd);
	free(lo);
	free(adv);
	if (w->naddrs > 1)
		qsort(w->addrs, w->naddrs, sizeof(*w->addrs), u32_cmp);
	for (uint32_t i = k = 0; i < w->naddrs; i++)
		if (k == 0 || w->addrs[i] != w->addrs[k - 1])
			w->addrs[k++] = w->addrs[i];
	w->naddrs = k;
	if (w->nlans > 1)
		qsort(w->lans, w->nlans, sizeof(*w->lans), prefix_cmp);
	for (uint32_t i = k = 0; i < w->nlans; i++)
		if (k == 0 || prefix_cmp(&w->lans[i], &w->lans[k - 1]) != 0)
			w->lans[k++] = w->lans[i];
	w->nlans = k;
	return 0;
fail:
	free(nd);
	free(lo);
	free(adv);
	free(w->addrs);
	free(w->lans);
	return -1;
}

/* begin_once - open the transaction b before its first change. */
static void
begin_once(struct engine *e, const struct dp_begin *b, int *begun)
{
	if (!*begun) {
		send_req(e, PRIV_DP_BEGIN, b, sizeof(*b));
		*begun = 1;
	}
}

/*
 * send_sets - the member addresses and LAN prefixes that changed since the
 * last transaction (everything for a full one): both lists are sorted, so
 * one merge gives the adds and deletes.
 */
static int
send_sets(struct engine *e, int full, const struct dp_begin *b, int *begun)
{
	struct dpsync	*d = &e->dp;
	struct wanted	 w;
	struct dp_addr	 a;
	uint32_t	 i, j;
	int		 n = 0;

	if (wanted_sets(e, &w) == -1)
		fatalx("out of memory");
	if (full) {
		d->nmembers = 0;
		d->nlans = 0;
	}
	for (i = j = 0; i < w.naddrs || j < d->nmembers;) {
		memset(&a, 0, sizeof(a));
		a.p.len = 32;
		if (j == d->nmembers || (i < w.naddrs &&
		    w.addrs[i] < d->members[j])) {
			a.op = 1;
			a.p.addr = w.addrs[i++];
		} else if (i == w.naddrs || w.addrs[i] > d->members[j]) {
			a.op = 2;
			a.p.addr = d->members[j++];
		} else {
			i++;
			j++;
			continue;
		}
		begin_once(e, b, begun);
		send_req(e, PRIV_DP_MEMBER, &a, sizeof(a));
		n++;
	}
	for (i = j = 0; i < w.nlans || j < d->nlans;) {
		int	 c = i == w.nlans ? 1 : j == d->nlans ? -1 :
		    prefix_cmp(&w.lans[i], &d->lans[j]);

		memset(&a, 0, sizeof(a));
		if (c == 0) {
			i++;
			j++;
			continue;
		}
		a.op = c < 0 ? 1 : 2;
		a.p = c < 0 ? w.lans[i++] : d->lans[j++];
		begin_once(e, b, begun);
		send_req(e, PRIV_DP_LAN, &a, sizeof(a));
		n++;
	}
	free(d->members);
	d->members = w.addrs;
	d->nmembers = w.naddrs;
	free(d->lans);
	d->lans = w.lans;
	d->nlans = w.nlans;
	return n;
}

/*
 * dpsync_flush - send what changed since the last transaction.  The first
 * transaction (and the one after an error) is full: every port, every
 * address.  Only one transaction is in flight; what changes meanwhile goes
 * in the next one.
 */
void
dpsync_flush(struct engine *e)
{
	struct dpsync	*d = &e->dp;
	uint32_t	 keys[512], nk;
	struct dp_begin	 b;
	struct dp_commit c;
	static struct batch bt;
	int		 n = 0, ns, begun = 0;

	/* Only a member programs the kernel; one that left has torn it down. */
	if (d->inflight != 0 || e->stopping || !e->mesh.joined || e->mesh.left)
		return;
	if (!d->need_full && d->svcs.ndirty == 0 && !d->members_dirty) {
		settle(d, 0);
		return;
	}
	/* A port about to be programmed: is a socket here listening on it? */
	if (d->svcs.ndirty > 0 && engine_now(e) - e->lsn_at > 200)
		engine_rescan_listeners(e);
	memset(&b, 0, sizeof(b));
	d->inflight_at = uv_hrtime();
	b.seq = ++d->seq;
	d->nflight = 0;
	b.full = (uint8_t)d->need_full;
	if (d->need_full)
		svc_table_touch_all(&d->svcs);	/* every port the table knows */
	while ((nk = svc_table_take_dirty(&d->svcs, keys, 512)) > 0 ||
	    (d->need_full && !begun)) {
		if (d->need_full)
			begin_once(e, &b, &begun);	/* even when empty */
		for (uint32_t i = 0; i < nk; i++) {
			struct svc_plan	 p;
			struct dp_svc	 req;
			struct dp_sent	*s = sent_get(d, keys[i]);
			uint64_t	 h;

			if (e->mesh.joined && !e->mesh.left)
				dpsync_plan(e, keys[i], &p);
			else {
				memset(&p, 0, sizeof(p));
				p.proto = (uint8_t)(keys[i] >> 16);
				p.port = (uint16_t)keys[i];
			}
			dpsync_to_req(&p, &req);
			h = req_hash(&req);
			if (!d->need_full && s != NULL && s->hash == h) {
				/*
				 * The kernel has this request already; what
				 * it was made from may have changed (a
				 * backend's health that changes nothing).
				 */
				s->term = dp_term(e, keys[i], &req);
				if (s->acked)
					set_committed(d, s, s->term);
				continue;
			}
			if (!d->need_full && s == NULL && req.nbackends == 0)
				continue;
			if (d->need_full && req.nbackends == 0)
				continue;	/* a full state lists what exists */
			if (s == NULL && (s = sent_add(d, keys[i])) == NULL)
				fatalx("out of memory");
			if (!d->need_full && array_reserve(&d->flight,
			    &d->capflight, d->nflight + 1,
			    sizeof(*d->flight)) == -1)
				fatalx("out of memory");
			if (!d->need_full)
				d->flight[d->nflight++] =
				    (uint32_t)(s - d->sent);
			s->hash = h;
			s->seq = b.seq;
			s->acked = 0;
			s->term = dp_term(e, keys[i], &req);
			begin_once(e, &b, &begun);
			batch_add(e, &bt, &req);
			n++;
		}
	}
	batch_flush(e, &bt);
	if (d->need_full) {
		/* ports sent before that are gone now are simply not in the full state */
		for (uint32_t i = 0; i < d->nsent; i++)
			if (d->sent[i].seq != b.seq) {
				d->sent[i].hash = 0;
				d->sent[i].term = 0;
				d->sent[i].acked = 0;
			}
	}
	/*
	 * A member's record that moves no address (a refreshed record, a
	 * join seen again) begins no transaction: an empty one is a round
	 * trip through the parent on every node for nothing.
	 */
	if (d->members_dirty || d->need_full) {
		ns = send_sets(e, d->need_full, &b, &begun);
		n += ns;
		d->members_dirty = 0;
		d->challenge_at = 0;	/* the quiet marks may have changed */
		if (ns > 0 && d->sets_arrived != 0 && d->sets_seq == 0)
			d->sets_seq = b.seq;
	}
	settle(d, begun ? b.seq : 0);
	if (!begun) {
		if (d->digest_dirty)
			digest_update(e);	/* terms changed, requests did not */
		return;
	}
	c.seq = b.seq;
	send_req(e, PRIV_DP_COMMIT, &c, sizeof(c));
	d->inflight = b.seq;
	d->inflight_full = b.full;
	d->need_full = 0;
	log_debug("data plane: transaction %u%s with %d changes sent in %llu "
	    "ms (%zu bytes queued)", b.seq, b.full ? " (full)" : "", n,
	    (unsigned long long)
	    (uv_hrtime() - d->inflight_at) / 1000000, e->chan_queued);
}

/*
 * dpsync_state - the parent's word on the table.  Once it says "ok" after
 * a repair, the kernel holds the whole mirror: everything sent before is
 * programmed (what is in flight waits for its own result).
 */
void
dpsync_state(struct engine *e, const struct dp_state *s)
{
	struct dpsync	*d = &e->dp;
	int		 was = d->kernel.state;
	uint32_t	 oldheld[DP_MAX_HELD], nold = d->kernel.nfailed;
	uint64_t	 now = uv_hrtime();

	memcpy(oldheld, d->kernel.failed, sizeof(oldheld));
	d->kernel = *s;
	d->kernel.why[sizeof(d->kernel.why) - 1] = '\0';
	if (d->kernel.nfailed > DP_MAX_HELD)
		d->kernel.nfailed = DP_MAX_HELD;
	/* A port no longer held back entered the kernel just now. */
	for (uint32_t i = 0; i < nold && i < DP_MAX_HELD; i++) {
		struct dp_sent	*st;

		if (!dpsync_held(e, oldheld[i]) &&
		    (st = sent_get(d, oldheld[i])) != NULL) {
			st->cgen = d->gen + 1;
			d->digest_dirty = 1;
		}
	}
	if (s->state == DP_KS_OK && was != DP_KS_OK) {
		/* (d->sent is NULL only with nsent 0; clang's analyzer forgets.) */
		for (uint32_t i = 0; d->sent != NULL && i < d->nsent; i++) {
			struct dp_sent	*st = &d->sent[i];

			if (st->seq == d->inflight)
				continue;
			st->acked = 1;
			set_committed(d, st, st->term);
			/* A failed transaction's changes: repaired in now. */
			if (st->arrived != 0 && d->failed_seq != 0 &&
			    st->seq == d->failed_seq)
				observe(d, &st->arrived, now);
		}
		if (d->sets_arrived != 0 && d->failed_seq != 0 &&
		    d->sets_seq == d->failed_seq) {
			observe(d, &d->sets_arrived, now);
			d->sets_seq = 0;
		}
		d->failed_seq = 0;
	}
	digest_update(e);
}

/*
 * log_committed - (debug) a port's change is in the kernel now, and how long
 * after the record that caused it arrived: the per-port timestamps that
 * tests/bench/dataplane.sh (section 5) reads from 100 nodes' logs.
 */
static void
log_committed(const struct dp_sent *s, uint32_t seq, uint64_t now)
{
	const char	*proto = (s->key >> 16) == SVC_UDP ? "udp" : "tcp";

	if (!log_is_debug())
		return;
	if (s->arrived != 0)
		log_debug("data plane: %s/%u committed in transaction %u, "
		    "%.1f ms after its record arrived", proto, s->key & 0xffff,
		    seq, now > s->arrived ? (double)(now - s->arrived) / 1e6 :
		    0.0);
	else
		log_debug("data plane: %s/%u committed in transaction %u",
		    proto, s->key & 0xffff, seq);
}

void
dpsync_result(struct engine *e, const struct dp_result *r)
{
	struct dpsync	*d = &e->dp;
	uint64_t	 now;

	if (r->seq != d->inflight)
		return;
	d->inflight = 0;
	log_debug("data plane: transaction %u answered %llu ms after it began "
	    "(%u changes, %u us in the kernel, error %d)", r->seq,
	    (unsigned long long)(uv_hrtime() - d->inflight_at) / 1000000,
	    r->changes, r->usec, r->err);
	d->last_err = r->err;
	d->last_usec = r->usec;
	d->last_changes = r->changes;
	d->commits++;
	if (r->err != 0) {
		/* The parent repairs the table from its mirror and says so. */
		log_debug("transaction %u failed in the kernel (%s); the "
		    "parent repairs", r->seq, strerror(r->err));
		d->failed_seq = r->seq;	/* its changes count when repaired */
		return;
	}
	now = uv_hrtime();
	/*
	 * A full transaction concerns every port; any other only the ports it
	 * carried (d->flight), so an ack costs what the change did, not what
	 * the table holds.  Those are logged by name (debug); a full one's
	 * are not: it may hold 100k.
	 */
	for (uint32_t j = 0; j < (d->inflight_full ? d->nsent : d->nflight);
	    j++) {
		struct dp_sent	*s = &d->sent[d->inflight_full ? j :
		    d->flight[j]];

		if (s->seq == r->seq) {
			s->acked = 1;
			set_committed(d, s, s->term);
			if (!d->inflight_full)
				log_committed(s, r->seq, now);
			if (s->arrived != 0)
				observe(d, &s->arrived, now);
		} else if (d->inflight_full)
			set_committed(d, s, 0);	/* not in the full state */
	}
	if (d->sets_arrived != 0 && d->sets_seq == r->seq) {
		observe(d, &d->sets_arrived, now);
		d->sets_seq = 0;
	}
	digest_update(e);
}

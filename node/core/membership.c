/* membership.c: SWIM probing, Lifeguard local health and dynamic suspicion, as a pure state machine. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "node/core/array.h"
#include "node/core/membership.h"

void
mb_config_default(struct mb_config *c)
{
	c->probe_interval_ms = 1000;
	c->probe_timeout_ms = 500;
	c->indirect_checks = 3;
	c->susp_mult_pct = 100;
	c->susp_max_mult = 6;
	c->susp_k = 3;
	c->awareness_max = 8;
	c->reap_after_ms = 3600 * 1000;
	c->reconnect_ms = 10 * 1000;
	c->reconnect_fast_ms = 1000;
	c->reconnect_recent_ms = 5 * 60 * 1000;
}

const char *
mstate_name(enum mstate s)
{
	switch (s) {
	case M_ALIVE:	return "alive";
	case M_SUSPECT:	return "suspect";
	case M_DEAD:	return "failed";
	case M_LEFT:	return "left";
	}
	return "?";
}

/* xorshift64*: tests pass a fixed seed and get the same timeline every run. */
static uint64_t
mb_rand(struct membership *mb)
{
	mb->rng ^= mb->rng >> 12;
	mb->rng ^= mb->rng << 25;
	mb->rng ^= mb->rng >> 27;
	return mb->rng * 0x2545f4914f6cdd1dULL;
}

static uint32_t
mb_randn(struct membership *mb, uint32_t n)
{
	return n ? (uint32_t)(mb_rand(mb) % n) : 0;
}

/* The next try to reach a failed member, about every interval_ms. */
static uint64_t
reconnect_after(struct membership *mb, uint64_t now, uint32_t interval_ms)
{
	return now + interval_ms / 2 + mb_randn(mb, interval_ms + 1);
}

/*
 * A probe's sequence number is never 0: a ping with 0 is an address
 * challenge (dpsync_challenge()), whose ack matches no probe and no relay.
 */
static uint32_t
mb_newseq(struct membership *mb)
{
	if (++mb->seq == 0)
		mb->seq = 1;
	return mb->seq;
}

static void
act(struct membership *mb, enum mb_act_type type, const uint8_t *peer,
    const uint8_t *subject, uint32_t seq, uint64_t inc, uint8_t state)
{
	struct mb_action	*a;

	if (array_reserve(&mb->acts, &mb->capacts, mb->nacts + 1,
	    sizeof(*mb->acts)) == -1)
		return;	/* dropping an action is a lost packet */
	a = &mb->acts[mb->nacts++];
	memset(a, 0, sizeof(*a));
	a->type = type;
	if (peer)
		memcpy(a->peer, peer, WIRE_KEY);
	if (subject)
		memcpy(a->subject, subject, WIRE_KEY);
	a->seq = seq;
	a->inc = inc;
	a->state = state;
}

static int
id_eq(const void *ctx, uint32_t i)
{
	const void *const	*c = ctx;
	const struct membership	*mb = c[0];

	return memcmp(mb->m[i]->id, c[1], WIRE_KEY) == 0;
}

static uint64_t
id_rehash(const void *ctx, uint32_t i)
{
	const struct membership	*mb = ctx;

	return hmap_hash(mb->m[i]->id, WIRE_KEY);
}

static uint32_t
mb_index(const struct membership *mb, const uint8_t id[WIRE_KEY])
{
	const void	*ctx[2] = { mb, id };

	return hmap_find(&mb->idx, hmap_hash(id, WIRE_KEY), id_eq, ctx);
}

struct member *
mb_get(const struct membership *mb, const uint8_t id[WIRE_KEY])
{
	uint32_t	 i = mb_index(mb, id);

	return i == HMAP_EMPTY ? NULL : mb->m[i];
}

static struct member *
mb_add(struct membership *mb, const uint8_t id[WIRE_KEY], uint64_t now)
{
	struct member	*m;

	if (array_reserve(&mb->m, &mb->cap, mb->n + 1, sizeof(*mb->m)) == -1)
		return NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	if (hmap_put(&mb->idx, hmap_hash(id, WIRE_KEY), mb->n, id_rehash,
	    mb) == -1) {
		free(m);
		return NULL;
	}
	memcpy(m->id, id, WIRE_KEY);
	m->since = now;
	mb->m[mb->n++] = m;
	return m;
}

static void
mb_remove(struct membership *mb, uint32_t i)
{
	uint32_t	 last = mb->n - 1;
	struct member	*m = mb->m[i];

	hmap_del(&mb->idx, hmap_hash(m->id, WIRE_KEY), i);
	if (i != last) {
		hmap_set(&mb->idx, hmap_hash(mb->m[last]->id, WIRE_KEY), last, i);
		mb->m[i] = mb->m[last];
	}
	mb->n--;
	free(m->notice);
	free(m->rx_dgram);
	free(m->rx_stream);
	free(m->claims);
	free(m);
}

/* A member that sent no box yet: every stamp is new, unless it is from an earlier life. */
static const struct box_window	 no_window;

/*
 * mb_rx_check - has this box from the member been seen (box_windows_check(),
 * against the member's incarnation)?  Pure, as box_window_check() is.
 */
enum box_verdict
mb_rx_check(const struct member *m, enum mb_rx_kind kind, uint64_t epoch,
    uint64_t ctr)
{
	const struct box_window	*dgram = m->rx_dgram, *stream = m->rx_stream;

	if (dgram == NULL)
		dgram = &no_window;
	if (stream == NULL)
		stream = &no_window;
	if (kind == MB_RX_STREAM)
		return box_windows_check(stream, dgram, m->inc, epoch, ctr);
	return box_windows_check(dgram, stream, m->inc, epoch, ctr);
}

/*
 * mb_rx_mark - remember an authenticated stamp that mb_rx_check() found
 * new; a window is allocated with the member's first box of its kind.
 * -1 when it cannot be (out of memory): the stamp is not remembered.
 */
int
mb_rx_mark(struct member *m, enum mb_rx_kind kind, uint64_t epoch,
    uint64_t ctr)
{
	struct box_window	**w = kind == MB_RX_STREAM ? &m->rx_stream :
	    &m->rx_dgram;

	if (*w == NULL && (*w = calloc(1, sizeof(**w))) == NULL)
		return -1;
	box_window_mark(*w, epoch, ctr);
	return 0;
}

/*
 * mb_claims - the member's claims, to be changed: allocated on first use
 * (NULL: out of memory).  A reader takes m->claims, which claims.c reads
 * as no address when NULL.
 */
struct claims *
mb_claims(struct member *m)
{
	if (m->claims == NULL)
		m->claims = calloc(1, sizeof(*m->claims));
	return m->claims;
}

int
mb_init(struct membership *mb, const struct mb_config *cfg,
    const uint8_t self[WIRE_KEY], uint64_t self_inc, uint64_t seed, uint64_t now)
{
	memset(mb, 0, sizeof(*mb));
	mb->cfg = *cfg;
	mb->rng = seed ? seed : 0x9e3779b97f4a7c15ULL;
	hmap_init(&mb->idx);
	if ((mb->self = mb_add(mb, self, now)) == NULL)
		return -1;
	mb->self->self = 1;
	mb->self->inc = self_inc;
	mb->next_probe = now + mb_randn(mb, cfg->probe_interval_ms);
	mb->next_reconnect = reconnect_after(mb, now, cfg->reconnect_ms);
	mb->seq = (uint32_t)mb_rand(mb);
	return 0;
}

void
mb_release(struct membership *mb)
{
	while (mb->n > 0)
		mb_remove(mb, mb->n - 1);
	free(mb->m);
	free(mb->order);
	free(mb->acts);
	hmap_release(&mb->idx);
	memset(mb, 0, sizeof(*mb));
}

uint32_t
mb_count_live(const struct membership *mb)
{
	uint32_t	 n = 0;

	for (uint32_t i = 0; i < mb->n; i++)
		if (mb->m[i]->state == M_ALIVE || mb->m[i]->state == M_SUSPECT)
			n++;
	return n;
}

/*
 * mb_random_alive - an alive member other than ourselves and except (may be
 * NULL), from a random place in the table on; NULL when there is none.
 */
struct member *
mb_random_alive(struct membership *mb, const uint8_t except[WIRE_KEY])
{
	uint32_t	 start = mb_randn(mb, mb->n);

	for (uint32_t i = 0; i < mb->n; i++) {
		struct member	*m = mb->m[(start + i) % mb->n];

		if (m->self || m->state != M_ALIVE ||
		    (except != NULL && memcmp(m->id, except, WIRE_KEY) == 0))
			continue;
		return m;
	}
	return NULL;
}

void
mb_set_self_inc(struct membership *mb, uint64_t inc)
{
	mb->self->inc = inc;
}

/*
 * reconnect_soon - a failed member is back (it answered a try, or published
 * a refutation): a partition may have ended, and the members still held
 * failed are likely back too.  The next try comes within a quarter of the
 * fast pace, so that the last of them are not left to the schedule (nor to
 * gossip, which sends each refutation a limited number of times, mostly
 * to members on its author's side while the views are still split).
 */
static void
reconnect_soon(struct membership *mb, uint64_t now)
{
	uint32_t	 quick = mb->cfg.reconnect_fast_ms / 4;

	if (mb->next_reconnect > now + quick * 3 / 2)
		mb->next_reconnect = reconnect_after(mb, now, quick);
}

static void
set_state(struct membership *mb, struct member *m, enum mstate st, uint64_t now)
{
	enum mstate	 prev = m->state;

	if (prev == st)
		return;
	m->state = st;
	m->since = now;
	mb->scan_at = 0;
	if (st != M_SUSPECT)
		m->expedite = 0;
	/* A member just failed: the tries at it start at the fast pace. */
	if (st == M_DEAD && mb->next_reconnect > now +
	    mb->cfg.reconnect_fast_ms * 3 / 2)
		mb->next_reconnect = reconnect_after(mb, now,
		    mb->cfg.reconnect_fast_ms);
	act(mb, MBA_STATE, NULL, m->id, 0, m->inc, (uint8_t)st);
	mb->acts[mb->nacts - 1].prev = (uint8_t)prev;
}

/*
 * mb_suspicion_timeout - Lifeguard's dynamic suspicion: start at max and
 * fall on a log scale to min as independent confirmations arrive
 * (memberlist suspicion.go remainingSuspicionTime).
 */
uint64_t
mb_suspicion_timeout(const struct membership *mb, uint32_t nconf)
{
	uint32_t	 n = mb_count_live(mb);
	uint32_t	 k = mb->cfg.susp_k;
	double		 lg = n > 10 ? log10((double)n) : 1.0;
	double		 min, max, t;

	min = (double)mb->cfg.susp_mult_pct / 100.0 * lg *
	    mb->cfg.probe_interval_ms;
	max = mb->cfg.susp_max_mult * min;
	if (n < k + 2)
		k = n > 2 ? n - 2 : 0;
	if (k == 0 || nconf >= k)
		return (uint64_t)min;
	t = max - (max - min) * log((double)nconf + 1) / log((double)k + 1);
	return (uint64_t)(t < min ? min : t);
}

static void
suspicion_start(struct membership *mb, struct member *m,
    const uint8_t accuser[WIRE_KEY], uint64_t now)
{
	uint32_t	 live;

	m->susp_start = now;
	m->naccusers = 1;
	memcpy(m->accusers[0], accuser, 8);
	m->susp_deadline = now + mb_suspicion_timeout(mb, 0);
	set_state(mb, m, M_SUSPECT, now);
	/*
	 * Expedited confirmation: about 2(k+1) members probe a fresh suspect
	 * next instead of waiting for its turn, so k confirmations (or a
	 * refutation, carried back on the ack) arrive within a probe interval
	 * even when some of them are slow.
	 */
	live = mb_count_live(mb);
	m->expedite = memcmp(accuser, mb->self->id, WIRE_KEY) != 0 &&
	    mb_randn(mb, live ? live : 1) < 2 * (mb->cfg.susp_k + 1);
	if (m->expedite)
		mb->expedited = 1;
}

static int
suspicion_confirm(struct membership *mb, struct member *m,
    const uint8_t accuser[WIRE_KEY])
{
	uint32_t	 k = mb->cfg.susp_k < MB_MAX_K ? mb->cfg.susp_k : MB_MAX_K;

	for (uint8_t i = 0; i < m->naccusers; i++)
		if (memcmp(m->accusers[i], accuser, 8) == 0)
			return 0;
	if (m->naccusers >= k + 1)
		return 0;
	memcpy(m->accusers[m->naccusers++], accuser, 8);
	m->susp_deadline = m->susp_start +
	    mb_suspicion_timeout(mb, m->naccusers - 1u);
	mb->scan_at = 0;
	return 1;
}

/*
 * mb_on_alive - a node record with version inc was accepted.  A higher
 * incarnation overrides suspicion and failure (SWIM's refutation rule).
 */
int
mb_on_alive(struct membership *mb, const uint8_t id[WIRE_KEY], uint64_t inc,
    int left, uint64_t now)
{
	struct member	*m = mb_get(mb, id);

	if (m == NULL) {
		if ((m = mb_add(mb, id, now)) == NULL)
			return 0;
		m->inc = inc;
		m->state = left ? M_LEFT : M_ALIVE;
		/*
		 * A new member alive has nothing due, so mb_tick() need not
		 * look at every member for it (one that joins a large mesh
		 * adds thousands); one that left is due to be forgotten.
		 */
		if (m->state == M_LEFT)
			mb->scan_at = 0;
		act(mb, MBA_STATE, NULL, id, 0, inc, (uint8_t)m->state);
		mb->acts[mb->nacts - 1].prev = (uint8_t)M_DEAD;
		return 1;
	}
	if (m->self || m->revoked || inc <= m->inc)
		return 0;
	m->inc = inc;
	if (m->state == M_DEAD && !left)
		reconnect_soon(mb, now);
	set_state(mb, m, left ? M_LEFT : M_ALIVE, now);
	return 1;
}

/* mb_revoke - an operator revoked the member: it is gone, and stays gone. */
void
mb_revoke(struct membership *mb, const uint8_t id[WIRE_KEY], uint64_t now)
{
	struct member	*m = mb_get(mb, id);

	if (m == NULL || m->self || m->revoked)
		return;
	m->revoked = 1;
	set_state(mb, m, M_LEFT, now);
}

/* mb_on_notice - a member's signed claim; returns 1 when it is news worth spreading. */
int
mb_on_notice(struct membership *mb, const uint8_t accuser[WIRE_KEY],
    const uint8_t subject[WIRE_KEY], uint64_t inc, uint8_t state, uint64_t now)
{
	struct member	*m = mb_get(mb, subject);

	if (m == NULL || m->state == M_LEFT)
		return 0;
	if (m->self) {
		if (inc >= m->inc) {
			act(mb, MBA_REFUTE, NULL, m->id, 0, inc, 0);
			mb->refutes++;
			if (mb->awareness + 1 < mb->cfg.awareness_max)
				mb->awareness++;
		}
		return 0;
	}
	if (inc < m->inc)
		return 0;
	if (state == NOTICE_DEAD) {
		if (m->state == M_DEAD) {
			m->inc = inc;
			return 0;
		}
		m->inc = inc;
		set_state(mb, m, M_DEAD, now);
		return 1;
	}
	/* suspect */
	if (m->state == M_DEAD)
		return 0;
	if (m->state == M_SUSPECT && inc == m->inc)
		return suspicion_confirm(mb, m, accuser);
	m->inc = inc;		/* a newer incarnation restarts the suspicion */
	suspicion_start(mb, m, accuser, now);
	return 1;
}

/* A probe message from a member: it was alive a moment ago. */
static void
heard(struct membership *mb, const uint8_t id[WIRE_KEY], uint64_t now)
{
	struct member	*m;

	if ((m = mb_get(mb, id)) != NULL)
		m->last_heard = now;
}

void
mb_on_ping(struct membership *mb, const uint8_t from[WIRE_KEY], uint32_t seq,
    uint64_t now)
{
	heard(mb, from, now);
	act(mb, MBA_ACK, from, NULL, seq, 0, 0);
}

void
mb_on_ack(struct membership *mb, const uint8_t from[WIRE_KEY], uint32_t seq,
    uint64_t now)
{
	struct member	*m;

	if ((m = mb_get(mb, from)) != NULL) {
		m->last_ack = m->last_heard = now;
		if (m->state == M_DEAD && seq != 0 && seq == mb->reconnect_seq)
			reconnect_soon(mb, now);
	}
	if (seq == 0)
		return;		/* an address challenge's answer */
	if (mb->probe.active && !mb->probe.acked && seq == mb->probe.seq) {
		mb->probe.acked = 1;
		mb->probe.active = 0;
		if ((m = mb_get(mb, mb->probe.target)) != NULL)
			m->last_ack = m->last_heard = now;
		if (mb->awareness > 0)
			mb->awareness--;
		return;
	}
	for (int i = 0; i < MB_RELAYS; i++) {
		struct mb_relay	*r = &mb->relays[i];

		if (r->used && r->my_seq == seq &&
		    memcmp(r->target, from, WIRE_KEY) == 0) {
			act(mb, MBA_ACK, r->requester, NULL, r->orig_seq, 0, 0);
			r->used = 0;
			return;
		}
	}
}

void
mb_on_nack(struct membership *mb, const uint8_t from[WIRE_KEY], uint32_t seq,
    uint64_t now)
{
	heard(mb, from, now);
	if (mb->probe.active && seq == mb->probe.seq && mb->probe.indirect_sent)
		mb->probe.nacks++;
}

void
mb_on_pingreq(struct membership *mb, const uint8_t from[WIRE_KEY], uint32_t seq,
    const uint8_t target[WIRE_KEY], uint64_t now)
{
	struct member	*t = mb_get(mb, target);
	struct mb_relay	*r = NULL;

	heard(mb, from, now);
	if (t == NULL || t->self || mb_get(mb, from) == NULL) {
		act(mb, MBA_NACK, from, NULL, seq, 0, 0);
		return;
	}
	for (int i = 0; i < MB_RELAYS; i++)
		if (!mb->relays[i].used) {
			r = &mb->relays[i];
			break;
		}
	if (r == NULL)
		return;		/* busy helper: the requester counts a missing nack */
	r->used = 1;
	memcpy(r->requester, from, WIRE_KEY);
	memcpy(r->target, target, WIRE_KEY);
	r->orig_seq = seq;
	r->my_seq = mb_newseq(mb);
	/*
	 * The requester asked at its probe timeout and gives up at the end of
	 * its interval, one timeout later: our nack must be back before that,
	 * or Lifeguard counts it missing and the requester slows itself down.
	 */
	r->deadline = now + mb->cfg.probe_timeout_ms * 4 / 5;
	act(mb, MBA_PING, target, NULL, r->my_seq, 0, 0);
}

static int
probeable(const struct member *m)
{
	return m != NULL && !m->self &&
	    (m->state == M_ALIVE || m->state == M_SUSPECT);
}

static void
order_refill(struct membership *mb)
{
	uint8_t		(*o)[WIRE_KEY];
	uint32_t	 n = 0;

	if (array_reserve(&mb->order, &mb->caporder, mb->n ? mb->n : 1,
	    sizeof(*mb->order)) == -1)
		return;
	o = mb->order;
	for (uint32_t i = 0; i < mb->n; i++)
		if (probeable(mb->m[i]))
			memcpy(o[n++], mb->m[i]->id, WIRE_KEY);
	for (uint32_t i = n; i > 1; i--) {	/* Fisher-Yates */
		uint32_t	 j = mb_randn(mb, i);
		uint8_t		 tmp[WIRE_KEY];

		memcpy(tmp, o[i - 1], WIRE_KEY);
		memcpy(o[i - 1], o[j], WIRE_KEY);
		memcpy(o[j], tmp, WIRE_KEY);
	}
	mb->norder = n;
	mb->opos = 0;
}

static struct member *
next_target(struct membership *mb)
{
	for (uint32_t i = 0; mb->expedited && i < mb->n; i++)
		if (mb->m[i]->expedite && mb->m[i]->state == M_SUSPECT) {
			mb->m[i]->expedite = 0;
			return mb->m[i];
		}
	mb->expedited = 0;	/* none left: no walk until the next one */
	for (int pass = 0; pass < 2; pass++) {
		while (mb->opos < mb->norder) {
			struct member	*m = mb_get(mb, mb->order[mb->opos++]);

			if (probeable(m))
				return m;
		}
		order_refill(mb);
	}
	return NULL;
}

static uint64_t
scaled(const struct membership *mb, uint32_t ms)
{
	return (uint64_t)ms * (mb->awareness + 1);
}

static void
probe_start(struct membership *mb, uint64_t now)
{
	struct member	*t = next_target(mb);
	struct mb_probe	*p = &mb->probe;

	mb->next_probe = now + scaled(mb, mb->cfg.probe_interval_ms);
	if (t == NULL)
		return;
	memset(p, 0, sizeof(*p));
	p->active = 1;
	memcpy(p->target, t->id, WIRE_KEY);
	p->seq = mb_newseq(mb);
	p->start = now;
	p->t_indirect = now + scaled(mb, mb->cfg.probe_timeout_ms);
	p->t_end = mb->next_probe;
	act(mb, MBA_PING, t->id, NULL, p->seq, 0, 0);
}

static void
probe_indirect(struct membership *mb)
{
	struct mb_probe	*p = &mb->probe;
	uint32_t	 cand[64], nc = 0, want = mb->cfg.indirect_checks;

	for (uint32_t i = 0; i < mb->n && nc < 64; i++) {
		struct member	*m = mb->m[i];

		if (!m->self && m->state == M_ALIVE &&
		    memcmp(m->id, p->target, WIRE_KEY) != 0)
			cand[nc++] = i;
	}
	/* A partial Fisher-Yates picks want distinct helpers. */
	for (uint32_t i = 0; i < want && i < nc; i++) {
		uint32_t	 j = i + mb_randn(mb, nc - i), tmp = cand[i];

		cand[i] = cand[j];
		cand[j] = tmp;
		act(mb, MBA_PINGREQ, mb->m[cand[i]]->id, p->target, p->seq, 0, 0);
		p->expected++;
	}
	act(mb, MBA_TCP_PING, p->target, NULL, p->seq, 0, 0);
	p->indirect_sent = 1;
}

static void
probe_fail(struct membership *mb, uint64_t now)
{
	struct mb_probe	*p = &mb->probe;
	struct member	*t = mb_get(mb, p->target);
	uint32_t	 delta;

	p->active = 0;
	mb->probes_failed++;
	/*
	 * Lifeguard: missing nacks mean our own network or CPU is the problem,
	 * so we slow down instead of accusing others quickly.
	 */
	delta = p->expected ? p->expected - (p->nacks < p->expected ?
	    p->nacks : p->expected) : 1;
	mb->awareness += delta;
	if (mb->awareness > mb->cfg.awareness_max - 1)
		mb->awareness = mb->cfg.awareness_max - 1;
	if (t == NULL)
		return;
	if (t->state == M_ALIVE)
		suspicion_start(mb, t, mb->self->id, now);
	else if (t->state != M_SUSPECT || !suspicion_confirm(mb, t, mb->self->id))
		return;
	/* Our claim, new or confirming, is signed and spread by the caller. */
	act(mb, MBA_NOTICE, NULL, t->id, 0, t->inc, NOTICE_SUSPECT);
}

/*
 * reconnect_try - ping one failed member: if it answers, it learns it was
 * declared failed (the claim rides on the ping) and refutes, and we learn
 * it is back.  Every reconnect_ms on average, jittered by half of it
 * either way: nodes started together would otherwise try at the same
 * moments, and after a partition heals the first try would come only when
 * all of them try.  While members failed recently (a partition, or a crash
 * that may be a reboot), the tries come every reconnect_fast_ms and go to
 * those members: after a partition each side holds the other failed, and
 * the news that it is over crosses only with these tries and the syncs
 * they set off.  The failed are looked for from a random place in the
 * table, so that past the 64th one is tried.
 */
static void
reconnect_try(struct membership *mb, uint64_t now)
{
	uint32_t	 dead[64], recent[64], nd = 0, nr = 0, start, pick;
	uint64_t	 horizon = mb->cfg.reconnect_recent_ms;

	start = mb_randn(mb, mb->n);
	for (uint32_t j = 0; j < mb->n && nr < 64; j++) {
		uint32_t	 i = (start + j) % mb->n;
		struct member	*m = mb->m[i];

		if (m->state != M_DEAD)
			continue;
		if (nd < 64)
			dead[nd++] = i;
		if (now < m->since + horizon)
			recent[nr++] = i;
	}
	if (nr > 0) {
		mb->next_reconnect = reconnect_after(mb, now,
		    mb->cfg.reconnect_fast_ms);
		pick = recent[mb_randn(mb, nr)];
	} else {
		mb->next_reconnect = reconnect_after(mb, now,
		    mb->cfg.reconnect_ms);
		if (nd == 0)
			return;
		pick = dead[mb_randn(mb, nd)];
	}
	mb->reconnect_seq = mb_newseq(mb);
	act(mb, MBA_PING, mb->m[pick]->id, NULL, mb->reconnect_seq, 0, 0);
}

void
mb_tick(struct membership *mb, uint64_t now)
{
	struct mb_probe	*p = &mb->probe;

	for (int i = 0; i < MB_RELAYS; i++) {
		struct mb_relay	*r = &mb->relays[i];

		if (r->used && now >= r->deadline) {
			act(mb, MBA_NACK, r->requester, NULL, r->orig_seq, 0, 0);
			r->used = 0;
		}
	}
	if (p->active && !p->indirect_sent && now >= p->t_indirect)
		probe_indirect(mb);
	if (p->active && now >= p->t_end)
		probe_fail(mb, now);
	if (!p->active && now >= mb->next_probe)
		probe_start(mb, now);

	if (now >= mb->scan_at) {
		uint64_t	 next = UINT64_MAX;

		for (uint32_t i = 0; i < mb->n; i++) {
			struct member	*m = mb->m[i];

			if (m->state == M_SUSPECT && now >= m->susp_deadline) {
				set_state(mb, m, M_DEAD, now);
				act(mb, MBA_NOTICE, NULL, m->id, 0, m->inc,
				    NOTICE_DEAD);
			}
		}
		for (uint32_t i = 0; i < mb->n;) {
			struct member	*m = mb->m[i];

			if (!m->self && (m->state == M_DEAD ||
			    m->state == M_LEFT) &&
			    now >= m->since + mb->cfg.reap_after_ms) {
				act(mb, MBA_REAP, NULL, m->id, 0, m->inc, 0);
				mb_remove(mb, i);
				continue;
			}
			if (m->state == M_SUSPECT && m->susp_deadline < next)
				next = m->susp_deadline;
			else if (!m->self && (m->state == M_DEAD ||
			    m->state == M_LEFT) &&
			    m->since + mb->cfg.reap_after_ms < next)
				next = m->since + mb->cfg.reap_after_ms;
			i++;
		}
		mb->scan_at = next;
	}
	if (now >= mb->next_reconnect)
		reconnect_try(mb, now);
}

static void
earliest(uint64_t *t, uint64_t v)
{
	if (v < *t)
		*t = v;
}

uint64_t
mb_next_wakeup(const struct membership *mb, uint64_t now)
{
	const struct mb_probe	*p = &mb->probe;
	uint64_t		 t = mb->next_reconnect;

	if (p->active) {
		if (!p->indirect_sent)
			earliest(&t, p->t_indirect);
		earliest(&t, p->t_end);
	} else
		earliest(&t, mb->next_probe);
	for (int i = 0; i < MB_RELAYS; i++)
		if (mb->relays[i].used)
			earliest(&t, mb->relays[i].deadline);
	if (mb->scan_at != 0) {
		earliest(&t, mb->scan_at);
		return t < now ? now : t;
	}
	for (uint32_t i = 0; i < mb->n; i++) {
		const struct member	*m = mb->m[i];

		if (m->state == M_SUSPECT)
			earliest(&t, m->susp_deadline);
		else if (!m->self && (m->state == M_DEAD || m->state == M_LEFT))
			earliest(&t, m->since + mb->cfg.reap_after_ms);
	}
	return t < now ? now : t;
}

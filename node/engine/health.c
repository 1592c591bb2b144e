/*
 * health.c: each owner checks its own backends and publishes what it finds
 * (a REC_HEALTH record per service), so every node stops sending new
 * connections to a backend that does not answer and sends them again when
 * it does (services.c, svc_plan_key).
 *
 * TCP: a connection is opened (and closed at once) every 500 ms; two
 * failures in a row (refused, unreachable, or no answer within 1 s) mark
 * the backend down, one success up.  A dead host is therefore withdrawn
 * within about 2.5 s plus a gossip round, a dead process within about 1 s.
 * UDP has no handshake: an empty datagram is sent every second on a
 * connected socket, and an ICMP port-unreachable answer marks the backend
 * down; silence counts as up (docs/dataplane.md).
 *
 * An owner that listens on the service's port itself cannot serve it (its
 * own socket would get the connections): it publishes "conflict", and the
 * others leave it out whatever its checks say.  The same timer rescans
 * the node's listening sockets every 2 s (listeners.c) while there is a
 * service; with no service and no check it stops (health_wake()).
 */
#include <stdlib.h>
#include <string.h>

#include "node/engine/health.h"
#include "node/core/hmap.h"
#include "node/core/array.h"
#include "node/engine/engine.h"
#include "node/engine/svcctl.h"
#include "node/core/log.h"
#include "proto/compat.h"
#include "proto/envelope.h"
#include "proto/parse.h"

#define TICK_MS		500
#define TCP_EVERY_MS	500
#define UDP_EVERY_MS	1000
#define PROBE_MS	1000
#define FALL		2	/* failures in a row that mark a backend down */
#define RISE		1	/* successes that mark it up */
#define RESCAN_TICKS	4	/* listening sockets: every 2 s */
/*
 * Checks started per tick, at most: 256 a second.  A node with more
 * backends than that checks each less often, so that checking never
 * starves the loop (at 100k services the checks took every cycle and
 * control requests crawled).
 */
#define PROBES_PER_TICK	128

struct probe;

/*
 * One of this node's backends, under check.  Its address is not kept: a
 * check reads it from the service record (hc_target()), which is there
 * while the check is; a sum of it notes a change (32 bytes and the name,
 * not 48: 1.5 MiB at 100,000 services).
 */
struct hc {
	uint64_t	 next;		/* start the next check then */
	struct probe	*probe;		/* under way, or NULL */
	uint32_t	 tsum;		/* target_sum() of its address */
	uint16_t	 port;		/* the service's port */
	uint8_t		 proto;
	uint8_t		 published;	/* what our health record says */
	uint8_t		 fails;
	uint8_t		 oks;
	uint8_t		 seen;		/* still an own service this tick */
	char		 name[];	/* sized to the name: 100k of them */
};
_Static_assert(sizeof(struct hc) <= 32, "a check is 32 bytes and its name");

struct probe {
	struct engine	*e;
	struct hc	*hc;		/* NULL once the check was dropped */
	int		 udp;
	int		 done;
	int		 open;		/* handles not yet closed */
	uv_tcp_t	 tcp;
	uv_udp_t	 sock;
	uv_connect_t	 req;
	uv_udp_send_t	 sreq;
	uv_timer_t	 timer;
	char		 rbuf[64];
};

const char *
health_name(uint8_t h)
{
	switch (h) {
	case SVC_H_UP:
		return "up";
	case SVC_H_DOWN:
		return "down";
	case SVC_H_CONFLICT:
		return "conflict";
	default:
		return "unknown";
	}
}

/* ---- one check ---- */

static void
probe_closed(uv_handle_t *h)
{
	struct probe	*pr = h->data;

	if (--pr->open == 0)
		free(pr);
}

static void	publish(struct engine *, struct hc *, uint8_t);

static void
probe_done(struct probe *pr, int ok)
{
	struct hc	*hc = pr->hc;

	if (pr->done)
		return;
	pr->done = 1;
	uv_timer_stop(&pr->timer);
	uv_close((uv_handle_t *)&pr->timer, probe_closed);
	uv_close(pr->udp ? (uv_handle_t *)&pr->sock : (uv_handle_t *)&pr->tcp,
	    probe_closed);
	if (hc == NULL)
		return;
	hc->probe = NULL;
	if (ok) {
		hc->fails = 0;
		if (hc->oks < 255)
			hc->oks++;
	} else {
		hc->oks = 0;
		if (hc->fails < 255)
			hc->fails++;
	}
	if (hc->published == SVC_H_CONFLICT)
		return;
	if (hc->fails >= FALL && hc->published != SVC_H_DOWN)
		publish(pr->e, hc, SVC_H_DOWN);
	else if (hc->oks >= RISE && hc->published != SVC_H_UP)
		publish(pr->e, hc, SVC_H_UP);
}

static void
probe_timeout(uv_timer_t *t)
{
	struct probe	*pr = t->data;

	/* TCP: no answer is a failure.  UDP: no "port unreachable" is fine. */
	probe_done(pr, pr->udp);
}

static void
tcp_connected(uv_connect_t *req, int status)
{
	probe_done(req->data, status == 0);
}

static void
udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct probe	*pr = h->data;

	(void)suggested;
	*b = uv_buf_init(pr->rbuf, sizeof(pr->rbuf));
}

static void
udp_recv(uv_udp_t *u, ssize_t nread, const uv_buf_t *b,
    const struct sockaddr *from, unsigned flags)
{
	(void)b;
	(void)flags;
	if (nread < 0)
		probe_done(u->data, 0);	/* ECONNREFUSED: ICMP port unreachable */
	else if (from != NULL)
		probe_done(u->data, 1);
}

static void
udp_sent(uv_udp_send_t *req, int status)
{
	if (status < 0)
		probe_done(req->data, 0);
}

static uint32_t
target_sum(const struct wire_addr *a)
{
	uint8_t	 b[1 + sizeof(a->ip) + 2];

	b[0] = a->family;
	memcpy(b + 1, a->ip, sizeof(a->ip));
	b[1 + sizeof(a->ip)] = (uint8_t)(a->port >> 8);
	b[2 + sizeof(a->ip)] = (uint8_t)a->port;
	return (uint32_t)hmap_hash(b, sizeof(b));
}

/* hc_target - the address the check's own service record names. */
static int
hc_target(struct engine *e, const struct hc *hc, struct wire_addr *out)
{
	const struct rec	*r;
	const uint8_t		*body;
	size_t			 bodylen;
	struct rec_head		 h;
	struct rec_service	 s;

	r = store_get(&e->mesh.store, e->mesh.id, REC_SERVICE,
	    (const uint8_t *)hc->name, strlen(hc->name));
	if (r == NULL || (r->flags & REC_F_DELETED))
		return -1;
	body = rec_body(r, &bodylen);
	if (rec_service_decode(body, bodylen, &h, &s) == -1)
		return -1;
	*out = s.target;
	return 0;
}

static void
probe_start(struct engine *e, struct hc *hc)
{
	struct probe		*pr;
	struct wire_addr	 target;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	uv_buf_t		 empty = uv_buf_init(NULL, 0);
	int			 rc;

	if (hc_target(e, hc, &target) == -1 ||
	    addr_to_sockaddr(&target, &ss, &sslen) == -1 ||
	    (pr = calloc(1, sizeof(*pr))) == NULL)
		return;
	pr->e = e;
	pr->hc = hc;
	pr->udp = hc->proto == SVC_UDP;
	pr->open = 2;
	uv_timer_init(&e->loop, &pr->timer);
	pr->timer.data = pr;
	if (pr->udp) {
		uv_udp_init(&e->loop, &pr->sock);
		pr->sock.data = pr->sreq.data = pr;
		if ((rc = uv_udp_connect(&pr->sock,
		    (const struct sockaddr *)&ss)) == 0 &&
		    (rc = uv_udp_recv_start(&pr->sock, udp_alloc, udp_recv)) == 0)
			rc = uv_udp_send(&pr->sreq, &pr->sock, &empty, 1, NULL,
			    udp_sent);
	} else {
		uv_tcp_init(&e->loop, &pr->tcp);
		pr->tcp.data = pr->req.data = pr;
		rc = uv_tcp_connect(&pr->req, &pr->tcp,
		    (const struct sockaddr *)&ss, tcp_connected);
	}
	hc->probe = pr;
	if (rc < 0) {
		probe_done(pr, 0);
		return;
	}
	uv_timer_start(&pr->timer, probe_timeout, PROBE_MS, 0);
}

/* ---- publishing ---- */

static void
publish(struct engine *e, struct hc *hc, uint8_t health)
{
	struct wire_addr	 target;
	char			 t[ADDRSTRLEN] = "(gone)";

	if (svcctl_health(e, hc->name, health) == -1)
		return;
	if (hc_target(e, hc, &target) == 0)
		fmt_addr(t, sizeof(t), &target, 1);
	if (health == SVC_H_DOWN || hc->published == SVC_H_DOWN ||
	    health == SVC_H_CONFLICT || hc->published == SVC_H_CONFLICT)
		log_info("service %s: backend %s is %s", hc->name, t,
		    health_name(health));
	hc->published = health;
}

/* ---- the set of checks follows this node's own service records ---- */

struct own_ctx {
	struct engine	*e;
};

struct hc_key {
	struct engine	*e;
	const char	*name;
};

static int
hc_eq(const void *ctx, uint32_t i)
{
	const struct hc_key	*k = ctx;

	return strcmp(k->e->hcs[i]->name, k->name) == 0;
}

static uint64_t
hc_hash(const char *name)
{
	return hmap_hash(name, strlen(name));
}

static uint64_t
hc_rehash(const void *ctx, uint32_t i)
{
	const struct engine	*e = ctx;

	return hc_hash(e->hcs[i]->name);
}

/* hc_index - the slot of name's check in e->hcs, or HMAP_EMPTY. */
static uint32_t
hc_index(struct engine *e, const char *name)
{
	struct hc_key	 k = { e, name };

	return hmap_find(&e->hcidx, hc_hash(name), hc_eq, &k);
}

static struct hc *
hc_find(struct engine *e, const char *name)
{
	uint32_t	 i = hc_index(e, name);

	return i == HMAP_EMPTY ? NULL : e->hcs[i];
}

/* hc_drop - forget check i; the last one takes its slot. */
static void
hc_drop(struct engine *e, uint32_t i)
{
	struct hc	*hc = e->hcs[i];
	uint32_t	 last = e->nhcs - 1;

	if (hc->probe != NULL)
		hc->probe->hc = NULL;	/* its result is ignored */
	hmap_del(&e->hcidx, hc_hash(hc->name), i);
	if (i != last)
		hmap_set(&e->hcidx, hc_hash(e->hcs[last]->name), last, i);
	free(hc);
	e->hcs[i] = e->hcs[last];
	e->nhcs = last;
}

static int
own_cb(void *ctx, const struct rec *r)
{
	struct own_ctx		*c = ctx;
	struct engine		*e = c->e;
	const uint8_t		*body;
	size_t			 bodylen;
	struct rec_head		 h;
	struct rec_service	 s;
	struct hc		*hc = NULL;
	uint32_t		 i;

	if (r->kind != REC_SERVICE || (r->flags & REC_F_DELETED) ||
	    memcmp(r->author, e->mesh.id, WIRE_KEY) != 0)
		return 0;
	body = rec_body(r, &bodylen);
	if (rec_service_decode(body, bodylen, &h, &s) == -1)
		return 0;
	if ((i = hc_index(e, s.name)) != HMAP_EMPTY) {
		hc = e->hcs[i];
		if (hc->proto != s.proto || hc->port != s.port ||
		    hc->tsum != target_sum(&s.target)) {
			hc_drop(e, i);
			hc = NULL;
		}
	}
	if (hc == NULL) {
		const struct rec	*hr;
		struct rec_health	 hl;

		if (array_reserve(&e->hcs, &e->caphcs, e->nhcs + 1,
		    sizeof(*e->hcs)) == -1 ||
		    (hc = calloc(1, sizeof(*hc) + strlen(s.name) + 1)) == NULL)
			return 0;
		if (hmap_put(&e->hcidx, hc_hash(s.name), e->nhcs, hc_rehash,
		    e) == -1) {
			free(hc);
			return 0;
		}
		memcpy(hc->name, s.name, strlen(s.name) + 1);
		hc->proto = s.proto;
		hc->port = s.port;
		hc->tsum = target_sum(&s.target);
		/* After a restart: what we said before, until a check says more. */
		hr = store_get(&e->mesh.store, e->mesh.id, REC_HEALTH,
		    (const uint8_t *)s.name, strlen(s.name));
		if (hr != NULL && !(hr->flags & REC_F_DELETED)) {
			body = rec_body(hr, &bodylen);
			if (rec_health_decode(body, bodylen, &h, &hl) == 0)
				hc->published = hl.health;
		}
		e->hcs[e->nhcs++] = hc;
	}
	hc->seen = 1;
	return 0;
}

/*
 * health_note - this node's own service record of name changed (dpsync.c):
 * its check is set up, changed or dropped at the next tick.  Only the
 * names noted are looked at then, so adding the 100,000th service costs
 * what adding the first did; a start walks every record once.
 */
void
health_note(struct engine *e, const char *name)
{
	health_wake(e);
	if (!e->hcnoted)
		return;		/* the next tick walks every record */
	if (array_reserve(&e->hcpend, &e->caphcpend, e->nhcpend + 1,
	    sizeof(*e->hcpend)) == -1) {
		e->hcnoted = 0;
		return;
	}
	strlcpy(e->hcpend[e->nhcpend++], name, sizeof(*e->hcpend));
}

/* The check of name follows its own service record, or goes with it. */
static void
hc_sync(struct engine *e, const char *name)
{
	struct own_ctx		 c = { e };
	const struct rec	*r;
	uint32_t		 i;

	r = store_get(&e->mesh.store, e->mesh.id, REC_SERVICE,
	    (const uint8_t *)name, strlen(name));
	if (r == NULL || (r->flags & REC_F_DELETED)) {
		if ((i = hc_index(e, name)) != HMAP_EMPTY)
			hc_drop(e, i);
		return;
	}
	own_cb(&c, r);
}

/* Every check against every own service record: at start, or when notes were lost. */
static void
hc_sync_all(struct engine *e)
{
	struct own_ctx	 c = { e };

	for (uint32_t i = 0; i < e->nhcs; i++)
		e->hcs[i]->seen = 0;
	if (e->mesh.joined && !e->mesh.left)
		store_foreach(&e->mesh.store, own_cb, &c);
	for (uint32_t i = 0; i < e->nhcs;) {
		if (!e->hcs[i]->seen)
			hc_drop(e, i);
		else
			i++;
	}
}

static void
health_tick(uv_timer_t *t)
{
	struct engine	*e = t->data;
	uint64_t	 now = engine_now(e), spread, every;
	uint32_t	 started = 0;

	/*
	 * The listening sockets matter only to services (a port the table
	 * wants, a check of this node's own): with none, no periodic look,
	 * a dump of the host's sockets that was 4 in 10 of an idle engine's
	 * system calls.  A service that arrives is planned after a fresh
	 * look anyway (dpsync_flush, svcctl).
	 */
	if (++e->local_ticks % RESCAN_TICKS == 0 &&
	    (e->dp.svcs.n > 0 || e->nhcs > 0) && engine_rescan_listeners(e))
		engine_kick(e);
	if (!e->hcnoted || !e->mesh.joined || e->mesh.left)
		hc_sync_all(e);
	else
		for (uint32_t i = 0; i < e->nhcpend; i++)
			hc_sync(e, e->hcpend[i]);
	e->hcnoted = 1;
	e->nhcpend = 0;
	if (e->caphcpend > 4096) {	/* a burst is over: give it back */
		free(e->hcpend);
		e->hcpend = NULL;
		e->caphcpend = 0;
	}
	/*
	 * Checks start in turn, from where the last tick stopped: a tick that
	 * went from the front took its 128 there whenever the engine ran
	 * late, and the end of the list was never checked (t-health-turns).
	 */
	if (e->hcturn >= e->nhcs)
		e->hcturn = 0;
	for (uint32_t k = 0, i = e->hcturn; k < e->nhcs; k++,
	    i = i + 1 == e->nhcs ? 0 : i + 1) {
		struct hc	*hc = e->hcs[i];

		if (engine_local_conflict(e, hc->proto, hc->port)) {
			if (hc->published != SVC_H_CONFLICT)
				publish(e, hc, SVC_H_CONFLICT);
			continue;
		}
		if (hc->published == SVC_H_CONFLICT) {
			/* the local socket went away: check afresh */
			hc->fails = hc->oks = 0;
			publish(e, hc, SVC_H_UNKNOWN);
		}
		if (hc->probe == NULL && now >= hc->next &&
		    started < PROBES_PER_TICK) {
			every = hc->proto == SVC_UDP ? UDP_EVERY_MS : TCP_EVERY_MS;
			spread = (uint64_t)(e->nhcs / PROBES_PER_TICK + 1) *
			    TICK_MS;
			hc->next = now + (every > spread ? every : spread);
			if (++started == PROBES_PER_TICK)
				e->hcturn = i + 1;
			probe_start(e, hc);
		}
	}
	/*
	 * Nothing to check and no service whose port needs the listening
	 * sockets looked at: the timer stops until health_wake() (a service
	 * record, this node's own or another's).  Its two wake-ups a second
	 * were a third of an idle engine's.
	 */
	if (e->nhcs == 0 && e->nhcpend == 0 && e->dp.svcs.n == 0 &&
	    e->hcnoted && e->mesh.joined && !e->mesh.left) {
		uv_timer_stop(t);
		e->health_parked = 1;
	}
}

/*
 * health_wake - a service record arrived or changed: the checks (and the
 * look at the listening sockets) run again if the timer had stopped.
 */
void
health_wake(struct engine *e)
{
	if (!e->health_parked || e->stopping ||
	    uv_is_closing((uv_handle_t *)&e->health_timer))
		return;
	e->health_parked = 0;
	uv_timer_start(&e->health_timer, health_tick, TICK_MS, TICK_MS);
}

void
health_init(struct engine *e)
{
	hmap_init(&e->hcidx);
	uv_timer_init(&e->loop, &e->health_timer);
	e->health_timer.data = e;
	uv_timer_start(&e->health_timer, health_tick, TICK_MS, TICK_MS);
}

void
health_close(struct engine *e)
{
	while (e->nhcs > 0)
		hc_drop(e, 0);
	free(e->hcs);
	e->hcs = NULL;
	e->caphcs = 0;
	free(e->hcpend);
	e->hcpend = NULL;
	e->nhcpend = e->caphcpend = 0;
	hmap_release(&e->hcidx);
	if (!uv_is_closing((uv_handle_t *)&e->health_timer))
		uv_close((uv_handle_t *)&e->health_timer, NULL);
}

/* health_of - what this node's check says of its backend of name now. */
uint8_t
health_of(struct engine *e, const char *name)
{
	struct hc	*hc = hc_find(e, name);

	return hc != NULL ? hc->published : SVC_H_UNKNOWN;
}

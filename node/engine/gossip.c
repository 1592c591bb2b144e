/* gossip.c: UDP probes and gossip: open the box, take the records riding along, answer. */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "node/engine/gossip.h"
#include "node/engine/conn.h"
#include "node/engine/engine.h"
#include "node/engine/metrics.h"
#include "node/core/log.h"
#include "proto/box.h"
#include "proto/parse.h"

#define GOSSIP_INTERVAL_MS	200
#define GOSSIP_FANOUT		3
/* The UDP socket's receive buffer, as asked for (memberlist asks 2 MiB). */
#define GOSSIP_RCVBUF		(1 << 20)
/* Room for the message around the piggybacked records. */
#define PROBE_HDR		40
#define EAGER_GAP_MS		20

static uint8_t	 rxbuf[65536];

static void
udp_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	(void)h;
	(void)suggested;
	b->base = (char *)rxbuf;
	b->len = sizeof(rxbuf);
}

/*
 * gossip_seal - box a payload for a peer, stamped (our incarnation, next
 * counter).  Every box this process seals, datagram or stream frame, to
 * whomever, takes the next counter, so a stamp is never used twice.  The
 * epoch carries the stamp across restarts without state of its own: a
 * restart publishes a node record with a higher version (mesh_publish_self(),
 * persisted and wall-clock based), so the counter may start again from 1.
 * If that ever fails (the state file lost our newest incarnation and the
 * clock went back), peers refuse our boxes as old, stop hearing us and
 * accuse us; the refutation raises our incarnation past theirs and with it
 * the epoch.
 */
int
gossip_seal(struct engine *e, struct buf *out, const uint8_t key[32],
    const uint8_t *pt, size_t n)
{
	const struct member	*self = e->mesh.mb.self;

	return box_seal(out, e->mesh.id, key, self != NULL ? self->inc : 0,
	    ++e->box_ctr, pt, n);
}

/* udp_send_to - one sealed datagram for member m, to the address given. */
static int
udp_send_to(struct engine *e, const struct member *m,
    const struct wire_addr *a, const struct buf *payload)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	struct wire_addr	 to = *a;
	const uint8_t		*key;
	uint8_t			 out[WIRE_MAX_DATAGRAM + 64];
	struct buf		 b;
	uv_buf_t		 ub;

	if (to.family == 0 || (key = engine_pair_key(e, m->id)) == NULL)
		return -1;
	buf_init_fixed(&b, out, sizeof(out));
	if (gossip_seal(e, &b, key, payload->p, payload->len) == -1 ||
	    b.len > WIRE_MAX_DATAGRAM)
		return -1;
	if (e->udp_v6 && to.family == 4) {
		/* A v6 socket reaches v4 peers through v4-mapped addresses. */
		memmove(to.ip + 12, to.ip, 4);
		memset(to.ip, 0, 10);
		to.ip[10] = to.ip[11] = 0xff;
		to.family = 6;
	}
	addr_to_sockaddr(&to, &ss, &sl);
	ub = uv_buf_init((char *)b.p, (unsigned)b.len);
	if (uv_udp_try_send(&e->udp, &ub, 1, (struct sockaddr *)&ss) < 0) {
		e->st.udp_send_fail++;
		return -1;
	}
	e->st.udp_tx++;
	e->st.udp_tx_bytes += b.len;
	return 0;
}

static int
udp_send(struct engine *e, const struct member *m, const struct buf *payload)
{
	return udp_send_to(e, m, &m->addr, payload);
}

/*
 * send_probe - a ping or an ack, with records piggybacked, to a's address
 * (NULL: the member's).  Sequence 0 is an address challenge's ping and its
 * ack (dpsync_challenge()): those carry no broadcasts.  A burst of joins
 * makes every node challenge every newcomer within a second or two; full
 * datagrams then overflow receive buffers, and the records have their own
 * ways.  A challenge to a member that never answered us carries our own
 * record alone: a newcomer that joined before us does not know us yet and
 * would drop the ping, and the retry would cost a stream.
 * -1 when nothing was sent.
 */
static int
send_probe(struct engine *e, struct member *m, const struct wire_addr *a,
    uint8_t type, uint32_t seq)
{
	const uint8_t	*items[MESH_MAX_PIGGY];
	size_t		 lens[MESH_MAX_PIGGY];
	uint8_t		 mem[WIRE_MAX_DATAGRAM];
	struct buf	 p;
	uint32_t	 n = 0;

	if (seq != 0)
		n = mesh_piggyback(&e->mesh, m, type, engine_now(e), items,
		    lens, WIRE_MAX_DATAGRAM - BOX_OVERHEAD - PROBE_HDR);
	else if (type == MSG_PING && m->last_ack == 0 &&
	    e->mesh.self_env != NULL && wire_item_cost(e->mesh.self_envlen) <=
	    WIRE_MAX_DATAGRAM - BOX_OVERHEAD - PROBE_HDR) {
		items[n] = e->mesh.self_env;
		lens[n++] = e->mesh.self_envlen;
	}
	buf_init_fixed(&p, mem, WIRE_MAX_DATAGRAM - BOX_OVERHEAD);
	if (wire_probe_encode(&p, type, seq, e->mesh.store.hash,
	    e->mesh.store.sum, items, lens, n) == -1)
		return -1;
	return udp_send_to(e, m, a != NULL ? a : &m->addr, &p);
}

/*
 * gossip_challenge - an address challenge as a datagram: a bare ping with
 * sequence 0 to the address a member advertises.  Its ack, like any box
 * that opens with the member's key, proves the address it comes from
 * (dpsync_seen()).  -1 when it could not be sent.
 */
int
gossip_challenge(struct engine *e, struct member *m, const struct wire_addr *a)
{
	if (a->family == 0 || a->port == 0)
		return -1;
	return send_probe(e, m, a, MSG_PING, 0);
}

static void
send_seq(struct engine *e, struct member *m, uint8_t type, uint32_t seq,
    const uint8_t *target)
{
	uint8_t		 mem[128];
	struct buf	 p;

	buf_init_fixed(&p, mem, sizeof(mem));
	if (type == MSG_PINGREQ)
		wire_pingreq_encode(&p, seq, target);
	else
		wire_seq_encode(&p, type, seq);
	udp_send(e, m, &p);
}

/* gossip_act - turn one membership action into packets (or a TCP probe, or a log line). */
void
gossip_act(struct engine *e, const struct mb_action *a)
{
	struct member	*m = NULL;

	if (a->type != MBA_STATE && (m = mb_get(&e->mesh.mb, a->peer)) == NULL)
		return;
	switch (a->type) {
	case MBA_PING:
		metrics_probe_sent(e, a->seq);
		(void)send_probe(e, m, NULL, MSG_PING, a->seq);
		break;
	case MBA_ACK:
		(void)send_probe(e, m, NULL, MSG_ACK, a->seq);
		break;
	case MBA_PINGREQ:
		send_seq(e, m, MSG_PINGREQ, a->seq, a->subject);
		break;
	case MBA_NACK:
		send_seq(e, m, MSG_NACK, a->seq, NULL);
		break;
	case MBA_TCP_PING:
		conn_start_ping(e, m, a->seq);
		break;
	case MBA_STATE: {
		struct member	*s = mb_get(&e->mesh.mb, a->subject);

		if (s != NULL && !s->self)
			log_info("member %s is %s", s->name[0] ? s->name : "?",
			    s->revoked ? "revoked" :
			    mstate_name((enum mstate)a->state));
		dpsync_member_changed(e, a->subject);
		break;
	}
	default:
		break;
	}
}

static void
gossip_timer_cb(uv_timer_t *t)
{
	struct engine	*e = t->data;
	struct mesh	*mesh = &e->mesh;
	uint32_t	 cand[256], nc = 0, start;

	if (mesh->bc.n == 0 || !mesh->joined) {
		uv_timer_stop(t);
		return;
	}
	/*
	 * The candidates are up to 256 live members from a random place in
	 * the table, so that in a larger mesh every member is as likely to
	 * be chosen (from the start of the table, the same 256 early members
	 * got every node's gossip and the rest heard news only from probes).
	 */
	start = randombytes_uniform(mesh->mb.n ? mesh->mb.n : 1);
	for (uint32_t j = 0; j < mesh->mb.n && nc < 256; j++) {
		uint32_t	 i = (start + j) % mesh->mb.n;
		struct member	*m = mesh->mb.m[i];

		if (!m->self && (m->state == M_ALIVE || m->state == M_SUSPECT))
			cand[nc++] = i;
	}
	for (uint32_t k = 0; k < GOSSIP_FANOUT && k < nc; k++) {
		uint32_t	 j = k + randombytes_uniform(nc - k), tmp;
		const uint8_t	*items[MESH_MAX_PIGGY];
		size_t		 lens[MESH_MAX_PIGGY];
		uint8_t		 mem[WIRE_MAX_DATAGRAM];
		struct buf	 p;
		uint32_t	 n;

		tmp = cand[k];
		cand[k] = cand[j];
		cand[j] = tmp;
		n = bcast_fill(&mesh->bc, WIRE_MAX_DATAGRAM - BOX_OVERHEAD - 8,
		    mesh_retransmit_limit(mesh), wire_item_cost, items, lens,
		    MESH_MAX_PIGGY);
		if (n == 0)
			break;
		buf_init_fixed(&p, mem, WIRE_MAX_DATAGRAM - BOX_OVERHEAD);
		if (wire_items_msg_encode(&p, MSG_GOSSIP, NULL, items, lens, n) == 0)
			udp_send(e, mesh->mb.m[cand[k]], &p);
	}
}

/*
 * gossip_arm - gossip rounds run only while the broadcast queue holds
 * something.  Fresh news does not wait for the next round: it goes out at
 * once (at most every EAGER_GAP_MS), so each hop costs a network delay
 * rather than half a gossip interval.  The number of transmissions per item
 * is the same either way.
 */
void
gossip_arm(struct engine *e)
{
	uint64_t	 now = engine_now(e);

	if (e->mesh.bc.n == 0)
		return;
	if (bcast_fresh(&e->mesh.bc) > 0 && now - e->last_eager >= EAGER_GAP_MS) {
		e->last_eager = now;
		uv_timer_start(&e->gossip_timer, gossip_timer_cb, 0,
		    GOSSIP_INTERVAL_MS);
	} else if (!uv_is_active((uv_handle_t *)&e->gossip_timer))
		uv_timer_start(&e->gossip_timer, gossip_timer_cb, 0,
		    GOSSIP_INTERVAL_MS);
}

static void
log_bad_box(const struct sockaddr *from, const uint8_t *p, size_t n)
{
	struct wire_addr	 wa;
	char			 a[ADDRSTRLEN];

	addr_from_sockaddr(&wa, from);
	fmt_addr(a, sizeof(a), &wa, 1);
	if (n > 0 && p[0] == BOX_MAGIC_V1)
		log_remote("%s: a datagram in protocol version 1; that node "
		    "must be upgraded", a);
	else
		log_remote("%s: a datagram failed authentication", a);
}

static void
udp_recv_cb(uv_udp_t *h, ssize_t nread, const uv_buf_t *b,
    const struct sockaddr *from, unsigned flags)
{
	struct engine	*e = h->data;
	struct mesh	*mesh = &e->mesh;
	const uint8_t	*in = (const uint8_t *)b->base, *sender, *key;
	uint8_t		 pt[WIRE_MAX_DATAGRAM];
	size_t		 ptlen, n = (size_t)nread;
	struct wire_msg	 msg;
	struct wire_addr src;
	struct member	*m;
	uint64_t	 now, unix_ms, epoch, ctr;
	int		 marked = 0, was_failed;

	(void)flags;
	if (nread <= 0 || from == NULL)
		return;
	e->st.udp_rx++;
	e->st.udp_rx_bytes += (uint64_t)nread;
	if (!mesh->joined || mesh->left)
		return;
	if (n > WIRE_MAX_DATAGRAM ||
	    box_peek(in, n, &sender, &epoch, &ctr) == -1 ||
	    memcmp(sender, mesh->id, WIRE_KEY) == 0) {
		e->st.bad_box++;
		if (in[0] == BOX_MAGIC_V1)
			log_bad_box(from, in, n);
		return;
	}
	/*
	 * A copy of a box already seen goes no further: no key, no AEAD, no
	 * record.  A non-member has no window; anyone can make fresh boxes
	 * of their own as a stranger, so one would not help, and what they
	 * carry is refused by mesh_accept() as not from a member.
	 */
	m = mb_get(&mesh->mb, sender);
	was_failed = m != NULL && m->state == M_DEAD;
	if (m != NULL && mb_rx_check(m, MB_RX_DGRAM, epoch, ctr) != BOXW_NEW) {
		e->st.replayed++;
		return;
	}
	if ((key = engine_pair_key(e, sender)) == NULL) {
		e->st.bad_box++;	/* not a usable key, or over the rate limit */
		return;
	}
	if (box_open(in, n, key, pt, &ptlen) == -1) {
		e->st.bad_box++;
		log_bad_box(from, in, n);
		return;
	}
	/*
	 * A stamp that cannot be remembered (no memory for the member's
	 * window) is not accepted: the same box could come again.
	 */
	if (m != NULL) {
		if (mb_rx_mark(m, MB_RX_DGRAM, epoch, ctr) == -1)
			return;
		marked = 1;
	}
	if (wire_msg_decode(pt, ptlen, 0, &msg) == -1) {
		e->st.bad_msg++;
		log_remote("%s: a malformed datagram",
		    mesh_member_name(mesh, sender));
		return;
	}
	now = engine_now(e);
	unix_ms = engine_unix_ms();
	mesh_accept_items(mesh, &msg.items, now, unix_ms, MESH_RELAY, NULL);
	if ((m = mb_get(&mesh->mb, sender)) == NULL || m->state == M_LEFT) {
		e->st.not_member++;
		wire_msg_release(&msg);
		engine_kick(e);
		return;
	}
	/* It became a member with the record it carried: start its window here. */
	if (!marked && mb_rx_mark(m, MB_RX_DGRAM, epoch, ctr) == -1) {
		wire_msg_release(&msg);
		engine_kick(e);
		return;
	}
	/* It opened with the member's key: its source address is the member's. */
	if (addr_from_sockaddr(&src, from) == 0)
		dpsync_seen(e, sender, &src);
	/*
	 * A probe's summary may ask for a pull; an address challenge's
	 * (sequence 0) does not: in a burst of joins every node challenges
	 * every newcomer, and each summary would start a sync.
	 */
	switch (msg.type) {
	case MSG_PING:
		e->reached_ms = now;	/* at the address we advertise */
		mb_on_ping(&mesh->mb, sender, msg.seq, now);
		if (msg.seq != 0 && mesh_want_pull(mesh, m, msg.hash, msg.sum,
		    was_failed, now))
			conn_start_sync(e, m);
		break;
	case MSG_ACK:
		metrics_probe_ack(e, msg.seq);
		mb_on_ack(&mesh->mb, sender, msg.seq, now);
		if (msg.seq != 0 && mesh_want_pull(mesh, m, msg.hash, msg.sum,
		    was_failed, now))
			conn_start_sync(e, m);
		break;
	case MSG_PINGREQ:
		e->reached_ms = now;
		mb_on_pingreq(&mesh->mb, sender, msg.seq, msg.target, now);
		break;
	case MSG_NACK:
		mb_on_nack(&mesh->mb, sender, msg.seq, now);
		break;
	default:
		break;
	}
	wire_msg_release(&msg);
	engine_kick(e);
}

int
gossip_bind(struct engine *e, char *err, size_t errlen)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	int			 r;

	addr_to_sockaddr(&e->cfg.listen, &ss, &sl);
	e->udp_v6 = e->cfg.listen.family == 6;
	e->reached_ms = engine_now(e);
	uv_udp_init(&e->loop, &e->udp);
	e->udp.data = e;
	uv_timer_init(&e->loop, &e->gossip_timer);
	e->gossip_timer.data = e;
	if ((r = uv_udp_bind(&e->udp, (struct sockaddr *)&ss, 0)) < 0 ||
	    (r = uv_udp_recv_start(&e->udp, udp_alloc_cb, udp_recv_cb)) < 0) {
		char	 a[ADDRSTRLEN];

		fmt_addr(a, sizeof(a), &e->cfg.listen, 1);
		snprintf(err, errlen, "listen on udp %s: %s", a, uv_strerror(r));
		return -1;
	}
	/*
	 * Room for a burst while the engine waits for the CPU: the kernel's
	 * default holds about 200 small datagrams.  Capped by the host's
	 * net.core.rmem_max, which is left alone; a smaller buffer is no
	 * error.
	 */
	r = GOSSIP_RCVBUF;
	(void)uv_recv_buffer_size((uv_handle_t *)&e->udp, &r);
	return 0;
}

void
gossip_close(struct engine *e)
{
	if (!uv_is_closing((uv_handle_t *)&e->udp))
		uv_close((uv_handle_t *)&e->udp, NULL);
	if (!uv_is_closing((uv_handle_t *)&e->gossip_timer))
		uv_close((uv_handle_t *)&e->gossip_timer, NULL);
}

/*
 * sim.c: rpn-sim, a deterministic simulator of N rpn nodes.
 *
 * Every node is a real struct mesh (node/core/mesh.c, membership.c,
 * store.c, bcast.c) fed and encoded by the real proto/ code, linked from
 * libcore.a and libproto.a.  What the engine does with libuv (gossip.c,
 * conn.c, engine.c's engine_kick()) is done here again by a small driver on
 * a simulated clock: one event queue ordered by (time, sequence number), a
 * simulated network (per-link latency, jitter, loss, duplication,
 * reordering, partitions), crashes and restarts (through the real state
 * file encoding), clock skew.  One seed replays one run exactly.
 *
 * Not simulated: the data plane (dpsync), address challenges, health
 * checks, invitations and the token handshake of a join (a joiner gets its
 * certificate from the root key, then joins through one member as join.c
 * does: the member takes its record as news and sends it every record).
 *
 * Crypto: with --fake-crypto, Ed25519 signing and verification (libsodium,
 * called from proto/) are replaced at link time (-Wl,--wrap) by stubs and
 * datagram boxes are not sealed; every operation is counted and its cost
 * modelled (see COST_*).  Without it, everything is real.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "node/core/mesh.h"
#include "node/core/state.h"
#include "proto/box.h"
#include "proto/buf.h"
#include "proto/envelope.h"
#include "proto/wire.h"

/* The engine's constants (node/engine/gossip.c, conn.c, engine.c). */
#define GOSSIP_INTERVAL_MS	200
#define GOSSIP_FANOUT		3
#define PROBE_HDR		40
#define EAGER_GAP_MS		20
#define MAX_SYNCS		4
#define SYNC_TIMEOUT_MS		10000
#define CHUNK_BYTES		(512u << 10)
#define STRANGER_RATE		20.0
#define NSTRANGERS		16

/* Modelled CPU costs of the crypto a fake run leaves out (µs). */
#define COST_VERIFY_US		50.0
#define COST_SIGN_US		20.0
#define COST_X25519_US		50.0
#define COST_BOX_US		1.0	/* per seal or open, plus per byte: */
#define COST_BOX_NS_PER_B	1.0

/* Framing on the wire: UDP/IPv4 header; TCP frame length + IP/TCP headers. */
#define UDP_IP_HDR		28
#define TCP_MSS			1448
#define TCP_IP_HDR		52
#define TCP_RTO_MS		200

#define UNIX_BASE		1800000000000ULL

/* ---- deterministic randomness ---- */

static uint64_t
splitmix(uint64_t *s)
{
	uint64_t	 z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double
unif(uint64_t *s)
{
	return (double)(splitmix(s) >> 11) / 9007199254740992.0;
}

static uint32_t
uniform(uint64_t *s, uint32_t n)
{
	return n ? (uint32_t)(splitmix(s) % n) : 0;
}

/* ---- crypto seams (link-time wrapping, see the Makefile) ---- */

static int	 fake_crypto;
static uint64_t	 glob_rng = 1;
static uint64_t	 n_verify, n_sign, n_x25519, n_box;
static double	 box_bytes;

void	__wrap_randombytes_buf(void *, size_t);
int	__real_crypto_sign_verify_detached(const unsigned char *,
	    const unsigned char *, unsigned long long, const unsigned char *);
int	__wrap_crypto_sign_verify_detached(const unsigned char *,
	    const unsigned char *, unsigned long long, const unsigned char *);
int	__real_crypto_sign_detached(unsigned char *, unsigned long long *,
	    const unsigned char *, unsigned long long, const unsigned char *);
int	__wrap_crypto_sign_detached(unsigned char *, unsigned long long *,
	    const unsigned char *, unsigned long long, const unsigned char *);

/* The core's only randomness (hmap's key, tokens, box nonces): from the seed. */
void
__wrap_randombytes_buf(void *p, size_t n)
{
	uint8_t	*b = p;

	for (size_t i = 0; i < n; i += 8) {
		uint64_t	 r = splitmix(&glob_rng);

		memcpy(b + i, &r, n - i < 8 ? n - i : 8);
	}
}

int
__wrap_crypto_sign_verify_detached(const unsigned char *sig,
    const unsigned char *m, unsigned long long mlen, const unsigned char *pk)
{
	n_verify++;
	if (fake_crypto) {
		uint64_t	 h = hmap_hash(m, (size_t)mlen);

		(void)pk;
		return memcmp(sig, &h, sizeof(h)) == 0 ? 0 : -1;
	}
	return __real_crypto_sign_verify_detached(sig, m, mlen, pk);
}

int
__wrap_crypto_sign_detached(unsigned char *sig, unsigned long long *siglen,
    const unsigned char *m, unsigned long long mlen, const unsigned char *sk)
{
	n_sign++;
	if (fake_crypto) {
		uint64_t	 h = hmap_hash(m, (size_t)mlen);

		memset(sig, 0, crypto_sign_BYTES);
		memcpy(sig, &h, sizeof(h));
		if (siglen != NULL)
			*siglen = crypto_sign_BYTES;
		return 0;
	}
	return __real_crypto_sign_detached(sig, siglen, m, mlen, sk);
}

/* ---- options ---- */

static struct {
	uint32_t	 n;
	double		 loss, dup, reorder;
	uint64_t	 seed;
	const char	*scenario;
	uint32_t	 idle_s;
	uint32_t	 lat_min_ms, lat_max_ms;	/* one-way base per link */
	uint32_t	 skew_ms;
	uint32_t	 join_gap_ms;
	uint32_t	 part_s;
	int		 verbose;
	double		 max_mem_gib;
	/* protocol parameters (struct mesh_config), 0: rpnd's default */
	uint32_t	 reconnect_ms, reconnect_fast_ms, probe_ms, retransmit_mult;
	uint32_t	 susp_pct;
	int		 gossip_head;	/* the engine before: the first 256 only */
} opt = { 100, 0.01, 0.001, 0.01, 1, "standard", 3600, 5, 45, 500, 10, 60,
    0, 20.0, 0, 0, 0, 0, 0, 0 };

/* ---- nodes ---- */

struct stranger {
	uint8_t		 id[WIRE_KEY];
	uint64_t	 used;
};

struct snode {
	struct mesh	 mesh;
	uint32_t	 idx;
	int		 up;		/* running (joined at least once, not crashed) */
	int		 started;
	uint8_t		 sk[SECRET_KEY];
	uint8_t		 pk[WIRE_KEY];
	int64_t		 skew;
	uint64_t	 rng;
	uint64_t	 box_ctr;
	uint64_t	 tick_gen, gossip_gen;
	int		 gossip_on;
	uint64_t	 last_eager;
	int		 catch_up;
	uint32_t	 syncs[MAX_SYNCS];	/* peers + 1, 0: free */
	uint32_t	 group;
	struct stranger	 strangers[NSTRANGERS];
	double		 stranger_tokens;
	uint64_t	 stranger_last;
	struct buf	 saved;		/* the state file, at the crash */
	/* measurements */
	uint64_t	 got_at;	/* µs: holds the watched record */
	uint64_t	 got2_at;
	uint64_t	 detect_at;	/* µs: reported the victim failed */
	uint64_t	 tx_b, tx_p;	/* this second */
	uint64_t	 tx_b_all;
};

static struct snode	*nodes;
static uint32_t		*idtab;		/* open addressing: node index + 1 */
static uint32_t		 idtab_mask;
static uint64_t		 now_us;
static uint8_t		 root_sk[SECRET_KEY];

static uint64_t
idkey(const uint8_t id[WIRE_KEY])
{
	uint64_t	 k;

	memcpy(&k, id, sizeof(k));
	return k;
}

static struct snode *
by_id(const uint8_t id[WIRE_KEY])
{
	for (uint32_t i = (uint32_t)idkey(id) & idtab_mask;; i = (i + 1) & idtab_mask) {
		if (idtab[i] == 0)
			return NULL;
		if (memcmp(nodes[idtab[i] - 1].pk, id, WIRE_KEY) == 0)
			return &nodes[idtab[i] - 1];
	}
}

static uint64_t
node_now(const struct snode *s)
{
	(void)s;
	return now_us / 1000;
}

static uint64_t
node_unix(const struct snode *s)
{
	return (uint64_t)((int64_t)(UNIX_BASE + now_us / 1000) + s->skew);
}

/* ---- the event queue ---- */

enum ev_type {
	EV_TICK, EV_GOSSIP, EV_DGRAM, EV_JOIN, EV_FRAMES, EV_SYNC_END,
	EV_TCP_ACK, EV_SECOND, EV_CHECK,
};

struct ev {
	uint64_t	 t;
	uint64_t	 seq;
	uint8_t		 type;
	uint8_t		 step;
	uint32_t	 node, peer;
	uint64_t	 gen;		/* tick/gossip generation; dgram epoch */
	uint64_t	 ctr;
	uint8_t		*data;
	uint32_t	 len;
};

static struct ev	*heap;
static size_t		 nheap, capheap;
static uint64_t		 evseq, nevents, trace = 0xcbf29ce484222325ULL;

static int
ev_less(const struct ev *a, const struct ev *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void
push(struct ev e)
{
	size_t	 i;

	if (nheap == capheap) {
		capheap = capheap ? capheap * 2 : 4096;
		if ((heap = realloc(heap, capheap * sizeof(*heap))) == NULL) {
			fprintf(stderr, "rpn-sim: out of memory\n");
			exit(2);
		}
	}
	e.seq = evseq++;
	i = nheap++;
	while (i > 0 && ev_less(&e, &heap[(i - 1) / 2])) {
		heap[i] = heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	heap[i] = e;
}

static struct ev
pop(void)
{
	struct ev	 top = heap[0], last = heap[--nheap];
	size_t		 i = 0;

	for (;;) {
		size_t	 c = 2 * i + 1;

		if (c >= nheap)
			break;
		if (c + 1 < nheap && ev_less(&heap[c + 1], &heap[c]))
			c++;
		if (!ev_less(&heap[c], &last))
			break;
		heap[i] = heap[c];
		i = c;
	}
	if (nheap > 0)
		heap[i] = last;
	return top;
}

static void
at(uint64_t t, uint8_t type, uint32_t node, uint32_t peer, uint64_t gen)
{
	struct ev	 e;

	memset(&e, 0, sizeof(e));
	e.t = t;
	e.type = type;
	e.node = node;
	e.peer = peer;
	e.gen = gen;
	push(e);
}

/* ---- the network ---- */

static uint64_t	 net_rng;
static int	 partitioned;
static uint64_t	 udp_sent, udp_lost, udp_dup;
static uint64_t	 tot_b, tot_p;		/* this second, all nodes */
static uint64_t	 tot_hdr;		/* of tot_b: IP, UDP and TCP headers */

/* One-way base latency of a link (µs): fixed per pair, from the seed. */
static uint64_t
link_base(uint32_t a, uint32_t b)
{
	uint64_t	 s = opt.seed * 0x9e3779b97f4a7c15ULL ^
	    ((uint64_t)(a < b ? a : b) << 32 | (a < b ? b : a));
	uint32_t	 span = opt.lat_max_ms - opt.lat_min_ms;

	return (uint64_t)opt.lat_min_ms * 1000 + splitmix(&s) %
	    ((uint64_t)span * 1000 + 1);
}

static uint64_t
one_way(uint32_t a, uint32_t b)
{
	uint64_t	 base = link_base(a, b);
	double		 jit = -log(1.0 - unif(&net_rng)) * (double)base * 0.1;
	uint64_t	 d = base + (uint64_t)jit;

	if (unif(&net_rng) < opt.reorder)
		d += 1000 + splitmix(&net_rng) % 50000;
	return d;
}

static int
reachable(uint32_t a, uint32_t b)
{
	return !partitioned || nodes[a].group == nodes[b].group;
}

/* bytes: what the engine counts (sealed boxes and frames); plus headers. */
static void
count_tx(struct snode *s, uint64_t bytes, uint64_t hdr, uint64_t pkts)
{
	bytes += hdr;
	tot_hdr += hdr;
	s->tx_b += bytes;
	s->tx_p += pkts;
	s->tx_b_all += bytes;
	tot_b += bytes;
	tot_p += pkts;
}

/* A stream message: delivered whole, later by a retransmission timeout per lost round. */
static uint64_t
tcp_delay(uint32_t a, uint32_t b, size_t bytes)
{
	uint64_t	 d = one_way(a, b) + bytes * 8 / 100;	/* 100 Mbit/s */
	double		 segs = (double)(bytes / TCP_MSS + 1);
	double		 pany = 1.0 - pow(1.0 - opt.loss, segs);

	for (int i = 0; i < 6 && unif(&net_rng) < pany; i++)
		d += TCP_RTO_MS * 1000;
	return d;
}

/* ---- the driver: what engine.c and gossip.c do ---- */

static void	kick(struct snode *);

/* The stranger key cache of engine_pair_key(): 1 if a key is to be had. */
static int
pair_key_ok(struct snode *s, const uint8_t id[WIRE_KEY])
{
	struct member	*m = mb_get(&s->mesh.mb, id);
	struct stranger	*lru = &s->strangers[0];
	uint64_t	 now = node_now(s);

	if (m != NULL) {
		if (!m->haskey) {
			n_x25519++;
			if (!fake_crypto && box_pair_key(m->pairkey, s->mesh.sk,
			    id) == -1)
				return 0;
			m->haskey = 1;
		}
		return 1;
	}
	for (int i = 0; i < NSTRANGERS; i++) {
		struct stranger	*st = &s->strangers[i];

		if (st->used && memcmp(st->id, id, WIRE_KEY) == 0) {
			st->used = now + 1;
			return 1;
		}
		if (st->used < lru->used)
			lru = st;
	}
	s->stranger_tokens += (double)(now - s->stranger_last) / 1000.0 *
	    STRANGER_RATE;
	s->stranger_last = now;
	if (s->stranger_tokens > STRANGER_RATE)
		s->stranger_tokens = STRANGER_RATE;
	if (s->stranger_tokens < 1)
		return 0;
	s->stranger_tokens -= 1;
	n_x25519++;
	memcpy(lru->id, id, WIRE_KEY);
	lru->used = now + 1;
	return 1;
}

/* udp_send(): seal (or count a seal), and put it on the simulated wire. */
static void
udp_send(struct snode *s, const uint8_t to[WIRE_KEY], const struct buf *p)
{
	struct snode	*d = by_id(to);
	uint64_t	 epoch = s->mesh.mb.self != NULL ? s->mesh.mb.self->inc : 0;
	size_t		 boxlen = p->len + BOX_OVERHEAD;
	struct ev	 e;
	int		 copies = 1;

	if (d == NULL || !pair_key_ok(s, to) || boxlen > WIRE_MAX_DATAGRAM)
		return;
	s->box_ctr++;
	n_box++;
	box_bytes += (double)p->len;
	count_tx(s, boxlen, UDP_IP_HDR, 1);
	udp_sent++;
	memset(&e, 0, sizeof(e));
	e.type = EV_DGRAM;
	e.node = d->idx;
	e.peer = s->idx;
	e.gen = epoch;
	e.ctr = s->box_ctr;
	if (!reachable(s->idx, d->idx) || unif(&net_rng) < opt.loss) {
		udp_lost++;
		return;
	}
	if (unif(&net_rng) < opt.dup) {
		copies = 2;
		udp_dup++;
	}
	for (int c = 0; c < copies; c++) {
		if (!fake_crypto) {
			struct member	*m = mb_get(&s->mesh.mb, to);
			uint8_t		 key[32];
			struct buf	 b;

			if (m != NULL && m->haskey)
				memcpy(key, m->pairkey, 32);
			else if (box_pair_key(key, s->mesh.sk, to) == -1)
				return;
			buf_init(&b, WIRE_MAX_DATAGRAM + 64);
			if (box_seal(&b, s->pk, key, epoch, s->box_ctr, p->p,
			    p->len) == -1) {
				buf_release(&b);
				return;
			}
			e.data = b.p;
			e.len = (uint32_t)b.len;
		} else {
			if ((e.data = malloc(p->len ? p->len : 1)) == NULL)
				return;
			memcpy(e.data, p->p, p->len);
			e.len = (uint32_t)p->len;
		}
		e.t = now_us + one_way(s->idx, d->idx);
		push(e);
	}
}

static void
send_probe(struct snode *s, struct member *m, uint8_t type, uint32_t seq)
{
	const uint8_t	*items[MESH_MAX_PIGGY];
	size_t		 lens[MESH_MAX_PIGGY];
	uint8_t		 mem[WIRE_MAX_DATAGRAM];
	struct buf	 p;
	uint32_t	 n;

	n = mesh_piggyback(&s->mesh, m, type, node_now(s), items, lens,
	    WIRE_MAX_DATAGRAM - BOX_OVERHEAD - PROBE_HDR);
	buf_init_fixed(&p, mem, WIRE_MAX_DATAGRAM - BOX_OVERHEAD);
	if (wire_probe_encode(&p, type, seq, s->mesh.store.hash,
	    s->mesh.store.sum, items, lens, n) == 0)
		udp_send(s, m->id, &p);
}

static void
send_seq(struct snode *s, struct member *m, uint8_t type, uint32_t seq,
    const uint8_t *target)
{
	uint8_t		 mem[128];
	struct buf	 p;

	buf_init_fixed(&p, mem, sizeof(mem));
	if (type == MSG_PINGREQ)
		wire_pingreq_encode(&p, seq, target);
	else
		wire_seq_encode(&p, type, seq);
	udp_send(s, m->id, &p);
}

/* ---- stream messages (conn.c): joins, syncs, TCP pings ---- */

/* Frames travel as [u32 length][plaintext frame]...; bytes counted sealed. */
static void
frames_add(struct buf *all, const struct buf *f)
{
	uint32_t	 l = (uint32_t)f->len;

	buf_put(all, &l, sizeof(l));
	buf_put(all, f->p, f->len);
}

static void
stream_send(struct snode *s, uint32_t to, uint8_t step, struct buf *all,
    uint32_t nframes)
{
	struct ev	 e;

	count_tx(s, all->len + nframes * BOX_OVERHEAD,
	    (all->len / TCP_MSS + 1) * TCP_IP_HDR, all->len / TCP_MSS + 1);
	n_box += nframes;
	box_bytes += (double)all->len;
	if (!reachable(s->idx, to) || !nodes[to].up) {
		buf_release(all);
		return;
	}
	memset(&e, 0, sizeof(e));
	e.type = EV_FRAMES;
	e.step = step;
	e.node = to;
	e.peer = s->idx;
	e.t = now_us + tcp_delay(s->idx, to, all->len);
	e.data = all->p;
	e.len = (uint32_t)all->len;
	all->p = NULL;
	buf_release(all);
	push(e);
}

struct split {
	struct store_list nodes;
	struct store_list rest;
};

static int
split_cb(void *ctx, const struct rec *r)
{
	struct split	*sp = ctx;

	return store_list_add_rec(r->kind == REC_NODE ? &sp->nodes : &sp->rest,
	    r);
}

static uint32_t
records_frames(struct buf *all, const struct store_list *l)
{
	const size_t	*lens = l->lens;
	uint32_t	 n = l->n;
	uint32_t	 start = 0, nf = 0;

	while (start < n) {
		struct buf	 p;
		uint32_t	 end = start;
		size_t		 bytes = 0;

		while (end < n && (end == start ||
		    bytes + wire_item_cost(lens[end]) <= CHUNK_BYTES) &&
		    end - start < WIRE_MAX_ITEMS)
			bytes += wire_item_cost(lens[end++]);
		buf_init(&p, WIRE_MAX_FRAME);
		if (wire_items_msg_encode(&p, MSG_RECORDS, l->authors + start,
		    l->items + start, lens + start, end - start) == 0) {
			frames_add(all, &p);
			nf++;
		}
		buf_release(&p);
		start = end;
	}
	return nf;
}

/* conn_send_all_records(): what the peer lacks, node records first, then claims. */
static uint32_t
all_records(struct snode *s, struct buf *all, const struct wire_digest_ent *d,
    uint32_t nd)
{
	struct mesh	*m = &s->mesh;
	struct split	 sp;
	uint32_t	 nf = 0;

	memset(&sp, 0, sizeof(sp));
	if (d != NULL)
		store_delta(&m->store, d, nd, split_cb, &sp);
	else
		store_foreach(&m->store, split_cb, &sp);
	for (uint32_t i = 0; i < m->mb.n; i++)
		if (m->mb.m[i]->notice != NULL)
			store_list_add(&sp.rest, m->mb.m[i]->notice,
			    m->mb.m[i]->noticelen);
	nf += records_frames(all, &sp.nodes);
	nf += records_frames(all, &sp.rest);
	store_list_release(&sp.nodes);
	store_list_release(&sp.rest);
	return nf;
}

static uint32_t
digest_frame(struct snode *s, struct buf *all, uint8_t type)
{
	struct store		*st = &s->mesh.store;
	struct wire_digest_ent	*d = calloc(st->nauth + 1, sizeof(*d));
	struct buf		 p;
	uint32_t		 n, nf = 0;

	if (d == NULL)
		return 0;
	n = store_digest(st, d, st->nauth);
	buf_init(&p, WIRE_MAX_FRAME);
	if (wire_digest_encode(&p, type, d, n) == 0) {
		frames_add(all, &p);
		nf = 1;
	}
	buf_release(&p);
	free(d);
	return nf;
}

enum { ST_SYNC_REQ, ST_SYNC_RESP, ST_SYNC_PUSH, ST_JOIN_RECORDS };

static void
sync_release(struct snode *s, uint32_t peer)
{
	for (int i = 0; i < MAX_SYNCS; i++)
		if (s->syncs[i] == peer + 1) {
			s->syncs[i] = 0;
			return;
		}
}

/* conn_start_sync(): at most MAX_SYNCS at once, one per peer. */
static void
start_sync(struct snode *s, struct member *m)
{
	struct snode	*d = by_id(m->id);
	struct buf	 all;
	int		 slot = -1;
	uint64_t	 rtt;
	uint32_t	 nf;

	if (d == NULL)
		return;
	for (int i = 0; i < MAX_SYNCS; i++) {
		if (s->syncs[i] == d->idx + 1)
			return;
		if (s->syncs[i] == 0 && slot < 0)
			slot = i;
	}
	if (slot < 0)
		return;
	s->syncs[slot] = d->idx + 1;
	at(now_us + (uint64_t)SYNC_TIMEOUT_MS * 1000, EV_SYNC_END, s->idx,
	    d->idx, 0);
	/* The connection's handshake first, then the digest. */
	rtt = 2 * link_base(s->idx, d->idx);
	count_tx(s, 0, 3 * TCP_IP_HDR, 3);
	buf_init(&all, WIRE_MAX_FRAME + 64);
	nf = digest_frame(s, &all, MSG_SYNC_REQ);
	now_us += rtt;
	stream_send(s, d->idx, ST_SYNC_REQ, &all, nf);
	now_us -= rtt;
}

/* The records of a sync's answer changed the store (struct conn's news). */
static int	 sync_news;

static void
accept_frames(struct snode *s, const struct ev *e,
    void (*digest_cb)(struct snode *, uint32_t, const struct wire_msg *))
{
	size_t	 off = 0;

	while (off + 4 <= e->len) {
		uint32_t	 l;
		struct wire_msg	 msg;

		memcpy(&l, e->data + off, 4);
		off += 4;
		if (off + l > e->len)
			break;
		if (wire_msg_decode(e->data + off, l, 1, &msg) == 0) {
			if (msg.type == MSG_RECORDS) {
				uint64_t	 hash = s->mesh.store.hash;

				/* conn_accept_records() */
				mesh_accept_items(&s->mesh, &msg.items,
				    node_now(s), node_unix(s), 0, NULL);
				if (s->mesh.store.hash != hash)
					sync_news = 1;
				kick(s);
			} else if (msg.type == MSG_SYNC_REQ ||
			    msg.type == MSG_SYNC_DIGEST) {
				if (digest_cb != NULL)
					digest_cb(s, e->peer, &msg);
			}
			wire_msg_release(&msg);
		}
		off += l;
	}
}

/* The served side of a sync: what the asker lacks, then our digest. */
static void
serve_sync(struct snode *s, uint32_t peer, const struct wire_msg *msg)
{
	struct buf	 all;
	uint32_t	 nf;

	buf_init(&all, WIRE_MAX_FRAME * 4);
	nf = all_records(s, &all, msg->digest, msg->ndigest);
	nf += digest_frame(s, &all, MSG_SYNC_DIGEST);
	stream_send(s, peer, ST_SYNC_RESP, &all, nf);
}

/* The asking side, on the digest: push what the peer lacks, then done. */
static void
push_sync(struct snode *s, uint32_t peer, const struct wire_msg *msg)
{
	struct buf	 all;
	uint32_t	 nf;

	buf_init(&all, WIRE_MAX_FRAME * 4);
	nf = all_records(s, &all, msg->digest, msg->ndigest);
	stream_send(s, peer, ST_SYNC_PUSH, &all, nf);
	sync_release(s, peer);
}

static void
on_frames(struct snode *s, const struct ev *e)
{
	switch (e->step) {
	case ST_SYNC_REQ:
		accept_frames(s, e, serve_sync);
		break;
	case ST_SYNC_RESP:
		sync_news = 0;
		accept_frames(s, e, push_sync);
		mesh_pull_done(&s->mesh, nodes[e->peer].pk, sync_news,
		    node_now(s));
		kick(s);
		break;
	default:
		accept_frames(s, e, NULL);
		break;
	}
}

/* conn_start_ping(): an answer within the probe interval counts as an ack. */
static void
tcp_ping(struct snode *s, struct member *m, uint32_t seq)
{
	struct snode	*d = by_id(m->id);
	uint64_t	 t;

	if (d == NULL)
		return;
	count_tx(s, 2 * (BOX_OVERHEAD + 16), 5 * TCP_IP_HDR, 5);
	if (!reachable(s->idx, d->idx) || !d->up)
		return;
	t = 2 * link_base(s->idx, d->idx) + tcp_delay(s->idx, d->idx, 64) +
	    tcp_delay(d->idx, s->idx, 64);
	if (t <= (uint64_t)s->mesh.cfg.mb.probe_interval_ms * 1000) {
		struct ev	 e;

		memset(&e, 0, sizeof(e));
		e.type = EV_TCP_ACK;
		e.node = s->idx;
		e.peer = d->idx;
		e.ctr = seq;
		e.t = now_us + t;
		push(e);
	}
}

/* ---- what is measured ---- */

static uint32_t	 victim = UINT32_MAX;
static uint64_t	 false_failures, false_suspicions;
static int	 count_false = 1;
/* From a partition's end to one view: live members marked failed by their own side. */
static uint64_t	 own_side_failed;
static int	 healing;
static const uint8_t *watch_author, *watch2_author;
static uint64_t	 watch_version, watch2_version;

static void
on_record(void *ctx, const struct rec *r)
{
	struct snode	*s = ctx;

	if (r->kind != REC_SERVICE)
		return;
	if (watch_author != NULL && s->got_at == 0 &&
	    memcmp(r->author, watch_author, WIRE_KEY) == 0 &&
	    r->version >= watch_version)
		s->got_at = now_us ? now_us : 1;
	if (watch2_author != NULL && s->got2_at == 0 &&
	    memcmp(r->author, watch2_author, WIRE_KEY) == 0 &&
	    r->version >= watch2_version)
		s->got2_at = now_us ? now_us : 1;
}

static void
on_state(struct snode *s, const struct mb_action *a)
{
	struct snode	*subj = by_id(a->subject);

	if (subj == NULL || subj == s)
		return;
	if (a->state == M_DEAD) {
		if (healing && subj->up && subj->group == s->group)
			own_side_failed++;
		if (subj->idx == victim && !subj->up) {
			if (s->detect_at == 0)
				s->detect_at = now_us;
		} else if (subj->up && count_false) {
			false_failures++;
			if (opt.verbose)
				fprintf(stderr, "%.3f false failure: %u says %u\n",
				    (double)now_us / 1e6, s->idx, subj->idx);
		}
	} else if (a->state == M_SUSPECT && subj->up && count_false)
		false_suspicions++;
}

/* gossip_act() */
static void
act(struct snode *s, const struct mb_action *a)
{
	struct member	*m = NULL;

	if (a->type != MBA_STATE && (m = mb_get(&s->mesh.mb, a->peer)) == NULL)
		return;
	switch (a->type) {
	case MBA_PING:
		send_probe(s, m, MSG_PING, a->seq);
		break;
	case MBA_ACK:
		send_probe(s, m, MSG_ACK, a->seq);
		break;
	case MBA_PINGREQ:
		send_seq(s, m, MSG_PINGREQ, a->seq, a->subject);
		break;
	case MBA_NACK:
		send_seq(s, m, MSG_NACK, a->seq, NULL);
		break;
	case MBA_TCP_PING:
		tcp_ping(s, m, a->seq);
		break;
	case MBA_STATE:
		on_state(s, a);
		break;
	default:
		break;
	}
}

/* gossip_timer_cb() */
static void
gossip_round(struct snode *s)
{
	struct mesh	*mesh = &s->mesh;
	uint32_t	 cand[256], nc = 0, start = 0;

	if (mesh->bc.n == 0 || !mesh->joined) {
		s->gossip_on = 0;
		return;
	}
	if (!opt.gossip_head)
		start = uniform(&s->rng, mesh->mb.n ? mesh->mb.n : 1);
	for (uint32_t j = 0; j < mesh->mb.n && nc < 256; j++) {
		uint32_t	 i = (start + j) % mesh->mb.n;
		struct member	*m = mesh->mb.m[i];

		if (!m->self && (m->state == M_ALIVE || m->state == M_SUSPECT))
			cand[nc++] = i;
	}
	for (uint32_t k = 0; k < GOSSIP_FANOUT && k < nc; k++) {
		uint32_t	 j = k + uniform(&s->rng, nc - k), tmp;
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
			udp_send(s, mesh->mb.m[cand[k]]->id, &p);
	}
	at(now_us + GOSSIP_INTERVAL_MS * 1000, EV_GOSSIP, s->idx, 0,
	    s->gossip_gen);
}

/* gossip_arm() */
static void
gossip_arm(struct snode *s)
{
	uint64_t	 now = node_now(s);

	if (s->mesh.bc.n == 0)
		return;
	if (bcast_fresh(&s->mesh.bc) > 0 && now - s->last_eager >= EAGER_GAP_MS) {
		s->last_eager = now;
		s->gossip_on = 1;
		at(now_us, EV_GOSSIP, s->idx, 0, ++s->gossip_gen);
	} else if (!s->gossip_on) {
		s->gossip_on = 1;
		at(now_us, EV_GOSSIP, s->idx, 0, ++s->gossip_gen);
	}
}

/* engine_kick() */
static void
kick(struct snode *s)
{
	struct mesh	*m = &s->mesh;
	struct member	*mm;
	uint64_t	 now = node_now(s), next;

	if (!s->up)
		return;
	mesh_tick(m, now, node_unix(s));
	for (uint32_t i = 0; i < m->mb.nacts; i++)
		act(s, &m->mb.acts[i]);
	m->mb.nacts = 0;
	if (s->catch_up && m->joined && !m->left &&
	    (mm = mb_random_alive(&m->mb, NULL)) != NULL) {
		start_sync(s, mm);
		s->catch_up = 0;
	}
	if (m->joined && !m->left && (mm = mesh_pull_due(m, now)) != NULL)
		start_sync(s, mm);
	next = mesh_next_wakeup(m, now);
	at((next > now ? next : now + 1) * 1000, EV_TICK, s->idx, 0,
	    ++s->tick_gen);
	gossip_arm(s);
	m->dirty = 0;
}

/* udp_recv_cb() */
static void
on_dgram(struct snode *s, const struct ev *e)
{
	struct mesh	*mesh = &s->mesh;
	struct snode	*from = &nodes[e->peer];
	uint8_t		 pt[WIRE_MAX_DATAGRAM];
	const uint8_t	*p = e->data;
	size_t		 ptlen = e->len;
	struct wire_msg	 msg;
	struct member	*m;
	int		 marked = 0, was_failed;
	uint64_t	 now;

	if (!s->up || !mesh->joined || mesh->left)
		return;
	m = mb_get(&mesh->mb, from->pk);
	was_failed = m != NULL && m->state == M_DEAD;
	if (m != NULL && mb_rx_check(m, MB_RX_DGRAM, e->gen, e->ctr) != BOXW_NEW)
		return;
	if (!pair_key_ok(s, from->pk))
		return;
	n_box++;
	box_bytes += (double)e->len;
	if (!fake_crypto) {
		const uint8_t	*sender;
		uint64_t	 ep, ctr;
		uint8_t		 key[32];

		if (box_peek(e->data, e->len, &sender, &ep, &ctr) == -1)
			return;
		if (m != NULL && m->haskey)
			memcpy(key, m->pairkey, 32);
		else if (box_pair_key(key, mesh->sk, from->pk) == -1)
			return;
		if (box_open(e->data, e->len, key, pt, &ptlen) == -1) {
			fprintf(stderr, "rpn-sim: a box failed to open\n");
			return;
		}
		p = pt;
	}
	if (m != NULL) {
		mb_rx_mark(m, MB_RX_DGRAM, e->gen, e->ctr);
		marked = 1;
	}
	if (wire_msg_decode(p, ptlen, 0, &msg) == -1)
		return;
	now = node_now(s);
	mesh_accept_items(mesh, &msg.items, now, node_unix(s), MESH_RELAY, NULL);
	if ((m = mb_get(&mesh->mb, from->pk)) == NULL || m->state == M_LEFT) {
		wire_msg_release(&msg);
		kick(s);
		return;
	}
	if (!marked)
		mb_rx_mark(m, MB_RX_DGRAM, e->gen, e->ctr);
	switch (msg.type) {
	case MSG_PING:
		mb_on_ping(&mesh->mb, from->pk, msg.seq, now);
		if (mesh_want_pull(mesh, m, msg.hash, msg.sum, was_failed, now))
			start_sync(s, m);
		break;
	case MSG_ACK:
		mb_on_ack(&mesh->mb, from->pk, msg.seq, now);
		if (mesh_want_pull(mesh, m, msg.hash, msg.sum, was_failed, now))
			start_sync(s, m);
		break;
	case MSG_PINGREQ:
		mb_on_pingreq(&mesh->mb, from->pk, msg.seq, msg.target, now);
		break;
	case MSG_NACK:
		mb_on_nack(&mesh->mb, from->pk, msg.seq, now);
		break;
	default:
		break;
	}
	wire_msg_release(&msg);
	kick(s);
}

/* ---- node life ---- */

static void
node_setup(struct snode *s)
{
	struct mesh_config	 cfg;
	struct wire_addr	 a;
	char			 name[32];

	mesh_config_default(&cfg);
	if (opt.reconnect_ms)
		cfg.mb.reconnect_ms = opt.reconnect_ms;
	if (opt.reconnect_fast_ms)
		cfg.mb.reconnect_fast_ms = opt.reconnect_fast_ms;
	if (opt.probe_ms)
		cfg.mb.probe_interval_ms = opt.probe_ms;
	if (opt.retransmit_mult)
		cfg.retransmit_mult = opt.retransmit_mult;
	if (opt.susp_pct)
		cfg.mb.susp_mult_pct = opt.susp_pct;
	memset(&a, 0, sizeof(a));
	a.family = 4;
	a.ip[0] = 100;
	a.ip[1] = (uint8_t)(64 + (s->idx >> 16));
	a.ip[2] = (uint8_t)(s->idx >> 8);
	a.ip[3] = (uint8_t)s->idx;
	a.port = 7480;
	snprintf(name, sizeof(name), "n%u", s->idx);
	if (mesh_init(&s->mesh, &cfg, s->sk, name, &a, 1, splitmix(&s->rng) | 1,
	    node_now(s)) == -1) {
		fprintf(stderr, "rpn-sim: mesh_init failed\n");
		exit(2);
	}
	s->mesh.on_record = on_record;
	s->mesh.hook_ctx = s;
	s->stranger_last = node_now(s);
	s->stranger_tokens = STRANGER_RATE;
}

/* A node starts and joins through a member (join.c's exchange, without the token). */
static void
node_join(struct snode *s, uint32_t via)
{
	struct buf	 all;
	uint32_t	 nf = 1;

	node_setup(s);
	s->up = s->started = 1;
	if (mesh_found(&s->mesh, root_sk, node_now(s), node_unix(s)) == -1) {
		fprintf(stderr, "rpn-sim: mesh_found failed\n");
		exit(2);
	}
	if (via != s->idx) {
		struct buf	 p;

		buf_init(&all, WIRE_MAX_RECORD + 64);
		buf_init(&p, WIRE_MAX_RECORD + 64);
		wire_record_encode(&p, MSG_JOIN_RECORD, s->mesh.self_env,
		    s->mesh.self_envlen);
		frames_add(&all, &p);
		buf_release(&p);
		count_tx(s, 0, 3 * TCP_IP_HDR, 3);
		now_us += 2 * link_base(s->idx, via);
		stream_send(s, via, ST_JOIN_RECORDS, &all, nf);
		now_us -= 2 * link_base(s->idx, via);
	}
	kick(s);
}

/* The member's side: the joiner's record is news; it gets every record back. */
static void
on_join(struct snode *s, const struct ev *e)
{
	size_t	 off = 0;

	while (off + 4 <= e->len) {
		uint32_t	 l;
		struct wire_msg	 msg;

		memcpy(&l, e->data + off, 4);
		off += 4;
		if (off + l > e->len)
			break;
		if (wire_msg_decode(e->data + off, l, 1, &msg) == 0) {
			if (msg.type == MSG_JOIN_RECORD && msg.items.n == 1) {
				size_t		 len;
				const uint8_t	*rec = wire_items_get(&msg.items, 0,
				    &len);
				struct buf	 all;
				uint32_t	 nf;

				mesh_accept(&s->mesh, rec, len, node_now(s),
				    node_unix(s), MESH_RELAY);
				buf_init(&all, WIRE_MAX_FRAME * 4);
				nf = all_records(s, &all, NULL, 0);
				stream_send(s, e->peer, ST_SYNC_PUSH, &all, nf);
			} else if (msg.type == MSG_RECORDS) {
				mesh_accept_items(&s->mesh, &msg.items,
				    node_now(s), node_unix(s), 0, NULL);
			}
			wire_msg_release(&msg);
		}
		off += l;
	}
	kick(s);
}

static void
node_crash(struct snode *s)
{
	buf_init(&s->saved, STATE_MAX);
	if (state_encode(&s->saved, &s->mesh, NULL, 0) == -1) {
		fprintf(stderr, "rpn-sim: state_encode failed\n");
		exit(2);
	}
	s->up = 0;
	s->gossip_on = 0;
	s->tick_gen++;
	s->gossip_gen++;
	memset(s->syncs, 0, sizeof(s->syncs));
	mesh_release(&s->mesh);
}

/* Restart from the state file, as engine.c's restore() does. */
static void
node_restart(struct snode *s)
{
	struct state_snap	 snap;
	struct mesh		*m = &s->mesh;

	memset(&snap, 0, sizeof(snap));
	if (state_decode(s->saved.p, s->saved.len, &snap) == -1) {
		fprintf(stderr, "rpn-sim: state_decode failed\n");
		exit(2);
	}
	buf_release(&s->saved);
	node_setup(s);
	s->up = 1;
	m->version = snap.counter;
	mesh_set_root(m, snap.root);
	memcpy(m->chain, snap.chain, sizeof(m->chain));
	m->nchain = snap.nchain;
	m->has_token = snap.has_token;
	memcpy(m->via_token, snap.token, WIRE_KEY);
	m->left = snap.left;
	m->joined = 1;
	mesh_accept_items(m, &snap.records, node_now(s), node_unix(s), 0, NULL);
	memset(m->counters, 0, sizeof(m->counters));
	mesh_publish_self(m, node_now(s), node_unix(s));
	s->catch_up = 1;
	state_snap_release(&snap);
	kick(s);
}

static void
publish_service(struct snode *s, const char *name, uint16_t port,
    const uint8_t **author, uint64_t *version)
{
	struct rec_service	 sv;
	struct buf		 body;

	memset(&sv, 0, sizeof(sv));
	snprintf(sv.name, sizeof(sv.name), "%s", name);
	sv.proto = SVC_TCP;
	sv.port = port;
	sv.target.family = 4;
	sv.target.ip[0] = 127;
	sv.target.ip[3] = 1;
	sv.target.port = 8080;
	buf_init(&body, WIRE_MAX_RECORD);
	*version = mesh_next_version(&s->mesh, node_unix(s));
	if (rec_service_encode(&body, *version, &sv) == -1 ||
	    mesh_publish(&s->mesh, body.p, body.len, node_now(s)) == -1) {
		fprintf(stderr, "rpn-sim: publishing a service failed\n");
		exit(2);
	}
	buf_release(&body);
	*author = s->pk;
	kick(s);
}

/* ---- statistics ---- */

static void	say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define MAX_SECONDS	(1u << 16)

static double	*sec_bytes, *sec_pkts;	/* per second: mean per up node */
static double	*sec_hdr;
static uint64_t	 node_peak_b;		/* the busiest node-second */

static uint32_t
n_up(void)
{
	uint32_t	 k = 0;

	for (uint32_t i = 0; i < opt.n; i++)
		k += nodes[i].up;
	return k;
}

static void
second(void)
{
	uint32_t	 sec = (uint32_t)(now_us / 1000000);
	uint32_t	 up = n_up();

	if (sec > 0 && sec <= MAX_SECONDS && up > 0) {
		sec_bytes[sec - 1] = (double)tot_b / up;
		sec_pkts[sec - 1] = (double)tot_p / up;
		sec_hdr[sec - 1] = (double)tot_hdr / up;
		if (opt.verbose && sec % 10 == 0)
			say("traffic: %.2f kbit/s, %.2f packets/s per node",
			    sec_bytes[sec - 1] * 8 / 1000, sec_pkts[sec - 1]);
	}
	for (uint32_t i = 0; i < opt.n; i++) {
		if (nodes[i].tx_b > node_peak_b)
			node_peak_b = nodes[i].tx_b;
		nodes[i].tx_b = nodes[i].tx_p = 0;
	}
	tot_b = tot_p = tot_hdr = 0;
}

/*
 * Mean kbit/s and packets/s per node over the whole seconds within
 * [a, b), headers included or not (the engine's counters leave them out).
 */
static int	 rate_hdr = 1;

static uint32_t	 rate_peak_at;

static void
rate(uint64_t a_us, uint64_t b_us, double *kbps, double *pps, double *peak)
{
	uint32_t	 a = (uint32_t)((a_us + 999999) / 1000000);
	uint32_t	 b = (uint32_t)(b_us / 1000000);
	double		 sb = 0, sp = 0, pk = 0;

	if (b > MAX_SECONDS)
		b = MAX_SECONDS;
	for (uint32_t i = a; i < b; i++) {
		double	 by = sec_bytes[i] - (rate_hdr ? 0 : sec_hdr[i]);

		sb += by;
		sp += sec_pkts[i];
		if (by > pk) {
			pk = by;
			rate_peak_at = i;
		}
	}
	*kbps = b > a ? sb / (b - a) * 8 / 1000 : 0;
	*pps = b > a ? sp / (b - a) : 0;
	if (peak != NULL)
		*peak = pk * 8 / 1000;
}

static long
rss_kb(void)
{
	FILE	*f = fopen("/proc/self/statm", "r");
	long	 pages = 0, res = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &res) != 2)
		res = 0;
	fclose(f);
	return res * 4;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	 x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Seconds after t0 until frac of the up nodes held it (-1: never). */
static double
reach(uint64_t t0, double frac, int second_watch)
{
	uint64_t	*t = calloc(opt.n, sizeof(*t));
	uint32_t	 k = 0, up = 0, need;
	double		 r = -1;

	for (uint32_t i = 0; i < opt.n; i++) {
		uint64_t	 g = second_watch ? nodes[i].got2_at : nodes[i].got_at;

		if (!nodes[i].up)
			continue;
		up++;
		if (g != 0)
			t[k++] = g;
	}
	qsort(t, k, sizeof(*t), cmp_u64);
	need = (uint32_t)ceil(frac * up - 1e-9);
	if (need == 0)
		need = 1;
	if (need <= k)
		r = (double)(t[need - 1] > t0 ? t[need - 1] - t0 : 0) / 1e6;
	free(t);
	return r;
}

/* Every up node lists every up node alive (and no other as alive). */
static int
one_view(void)
{
	uint32_t	 up = n_up();

	for (uint32_t i = 0; i < opt.n; i++) {
		struct membership	*mb = &nodes[i].mesh.mb;
		uint32_t		 live = 0;

		if (!nodes[i].up)
			continue;
		for (uint32_t j = 0; j < mb->n; j++) {
			struct snode	*o = by_id(mb->m[j]->id);

			if (mb->m[j]->state == M_ALIVE) {
				if (o == NULL || !o->up)
					return 0;
				live++;
			}
		}
		if (live != up)
			return 0;
	}
	return 1;
}

static uint32_t
listing_alive(uint32_t who)
{
	uint32_t	 k = 0;

	for (uint32_t i = 0; i < opt.n; i++) {
		struct member	*m;

		if (!nodes[i].up || i == who)
			continue;
		m = mb_get(&nodes[i].mesh.mb, nodes[who].pk);
		k += m != NULL && m->state == M_ALIVE;
	}
	return k;
}

/* ---- the scenarios ---- */

enum phase {
	P_FORM, P_SETTLE, P_RECORD, P_CRASH, P_RESTART, P_IDLE, P_PART,
	P_HEAL, P_DONE,
};

static struct {
	enum phase	 ph;
	uint64_t	 t_phase;
	uint64_t	 formed, t_rec, t_crash, t_restart, t_idle, t_heal;
	double		 form_s, rejoin_s, heal_s;
	uint32_t	 rec_node, rec2_node;
	uint64_t	 rec_ver, rec2_ver;
	uint32_t	 joined;
	uint64_t	 part_false;
	uint32_t	 lost_records;
	uint64_t	 end_check;
} sc;

static double
detect_all(void)
{
	uint64_t	 m = 0;

	for (uint32_t i = 0; i < opt.n; i++) {
		if (!nodes[i].up || i == victim)
			continue;
		if (nodes[i].detect_at == 0)
			return -1;
		if (nodes[i].detect_at > m)
			m = nodes[i].detect_at;
	}
	return (double)(m - sc.t_crash) / 1e6;
}


static void
say(const char *fmt, ...)
{
	va_list	 ap;

	printf("%9.3f  ", (double)now_us / 1e6);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static int	 partition_scenario;

/* Checked every 100 ms of simulated time. */
static void
check(void)
{
	uint64_t	 t = now_us;

	switch (sc.ph) {
	case P_FORM:
		if (sc.joined == opt.n && one_view()) {
			sc.formed = t;
			sc.form_s = (double)t / 1e6;
			say("formed: all %u nodes list %u alive", opt.n, opt.n);
			sc.ph = P_SETTLE;
			sc.t_phase = t + 10000000;
		} else if (t > 600000000ULL + (uint64_t)opt.n * opt.join_gap_ms * 1000) {
			say("formation did not converge");
			sc.formed = t;
			sc.form_s = -1;
			sc.ph = P_SETTLE;
			sc.t_phase = t;
		}
		break;
	case P_SETTLE:
		if (t < sc.t_phase)
			break;
		if (partition_scenario) {
			for (uint32_t i = 0; i < opt.n; i++)
				nodes[i].group = i % 2;
			partitioned = 1;
			count_false = 0;
			say("partition: two halves of %u and %u for %u s",
			    (opt.n + 1) / 2, opt.n / 2, opt.part_s);
			sc.ph = P_PART;
			sc.t_phase = t + (uint64_t)opt.part_s * 1000000;
			sc.rec_node = 2;
			sc.rec2_node = 3;
			watch_author = nodes[2].pk;
			publish_service(&nodes[2], "svc-a", 8001, &watch_author,
			    &watch_version);
			watch2_author = nodes[3].pk;
			publish_service(&nodes[3], "svc-b", 8002, &watch2_author,
			    &watch2_version);
			break;
		}
		sc.rec_node = opt.n / 2;
		sc.t_rec = t;
		watch_author = nodes[sc.rec_node].pk;
		nodes[sc.rec_node].got_at = t;
		publish_service(&nodes[sc.rec_node], "web", 8080, &watch_author,
		    &watch_version);
		say("node %u publishes a service record", sc.rec_node);
		sc.ph = P_RECORD;
		break;
	case P_RECORD:
		if (reach(sc.t_rec, 1.0, 0) >= 0 || t > sc.t_rec + 60000000) {
			say("record: 50%% %.3f s, 99%% %.3f s, 99.9%% %.3f s, "
			    "all %.3f s", reach(sc.t_rec, 0.5, 0),
			    reach(sc.t_rec, 0.99, 0), reach(sc.t_rec, 0.999, 0),
			    reach(sc.t_rec, 1.0, 0));
			sc.ph = P_CRASH;
			sc.t_phase = sc.t_rec + 20000000;
		}
		break;
	case P_CRASH:
		if (sc.t_crash == 0) {
			if (t < sc.t_phase)
				break;
			victim = opt.n / 3;
			node_crash(&nodes[victim]);
			sc.t_crash = t;
			say("node %u crashes", victim);
			break;
		}
		if (detect_all() >= 0 || t > sc.t_crash + 120000000) {
			say("crash: reported failed by all %u live nodes after "
			    "%.3f s", n_up(), detect_all());
			sc.ph = P_RESTART;
			sc.t_phase = t + 10000000;
		}
		break;
	case P_RESTART:
		if (sc.t_restart == 0) {
			if (t < sc.t_phase)
				break;
			node_restart(&nodes[victim]);
			sc.t_restart = t;
			say("node %u restarts from its state file", victim);
			break;
		}
		if (listing_alive(victim) == n_up() - 1 ||
		    t > sc.t_restart + 120000000) {
			sc.rejoin_s = listing_alive(victim) == n_up() - 1 ?
			    (double)(t - sc.t_restart) / 1e6 : -1;
			say("restart: all list it alive after %.1f s (100 ms "
			    "steps)", sc.rejoin_s);
			sc.ph = P_IDLE;
			sc.t_idle = (t / 1000000 + 30) * 1000000;
		}
		break;
	case P_IDLE:
		if (t >= sc.t_idle + (uint64_t)opt.idle_s * 1000000) {
			say("idle: %u s done", opt.idle_s);
			sc.ph = P_DONE;
		}
		break;
	case P_PART:
		if (t < sc.t_phase)
			break;
		partitioned = 0;
		healing = 1;
		sc.t_heal = t;
		sc.part_false = false_failures;
		say("partition heals");
		sc.ph = P_HEAL;
		break;
	case P_HEAL: {
		uint32_t	 missing = 0;

		for (uint32_t i = 0; i < opt.n; i++)
			missing += nodes[i].got_at == 0 || nodes[i].got2_at == 0;
		if (opt.verbose) {
			uint64_t	 alive = 0;

			for (uint32_t i = 0; i < opt.n; i++)
				alive += mb_count_live(&nodes[i].mesh.mb);
			say("heal: %u lack a record, %" PRIu64 " of %u member "
			    "entries alive", missing, alive, opt.n * opt.n);
		}
		if ((missing == 0 && one_view()) || t > sc.t_heal + 120000000) {
			sc.heal_s = missing == 0 && one_view() ?
			    (double)(t - sc.t_heal) / 1e6 : -1;
			sc.lost_records = missing;
			say("healed: one view after %.1f s, %u nodes lack a "
			    "record", sc.heal_s, missing);
			count_false = 1;
			healing = 0;
			sc.ph = P_IDLE;
			sc.t_idle = t;
			opt.idle_s = 60;
		}
		break;
	}
	default:
		break;
	}
}

static void	report(uint64_t, const struct timespec *, long, long);

static void
usage(void)
{
	fprintf(stderr,
	    "usage: rpn-sim [--nodes N] [--loss P] [--seed S] [--scenario standard|partition]\n"
	    "               [--idle SECONDS] [--dup P] [--reorder P] [--latency MIN-MAX (ms)]\n"
	    "               [--skew MS] [--join-gap MS] [--partition SECONDS] [--fake-crypto]\n"
	    "               [--max-mem GIB] [-v]\n"
	    "  protocol parameters (rpnd's defaults when left out):\n"
	    "               [--reconnect-ms MS] [--reconnect-fast-ms MS] [--probe-ms MS]\n"
	    "               [--retransmit-mult M] [--suspicion-pct PCT] [--gossip-head]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	uint64_t	 t_start_wall;
	struct timespec	 ts;
	long		 rss0, rss_formed = 0;
	uint64_t	 seedrng;

	for (int i = 1; i < argc; i++) {
		const char	*a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--fake-crypto") == 0) {
			fake_crypto = 1;
			continue;
		}
		if (strcmp(a, "--gossip-head") == 0) {
			opt.gossip_head = 1;
			continue;
		}
		if (strcmp(a, "-v") == 0) {
			opt.verbose = 1;
			continue;
		}
		if (v == NULL)
			usage();
		i++;
		if (strcmp(a, "--nodes") == 0)
			opt.n = (uint32_t)strtoul(v, NULL, 10);
		else if (strcmp(a, "--loss") == 0)
			opt.loss = strtod(v, NULL);
		else if (strcmp(a, "--dup") == 0)
			opt.dup = strtod(v, NULL);
		else if (strcmp(a, "--reorder") == 0)
			opt.reorder = strtod(v, NULL);
		else if (strcmp(a, "--seed") == 0)
			opt.seed = strtoull(v, NULL, 10);
		else if (strcmp(a, "--scenario") == 0)
			opt.scenario = v;
		else if (strcmp(a, "--idle") == 0)
			opt.idle_s = (uint32_t)strtoul(v, NULL, 10);
		else if (strcmp(a, "--skew") == 0)
			opt.skew_ms = (uint32_t)strtoul(v, NULL, 10);
		else if (strcmp(a, "--join-gap") == 0)
			opt.join_gap_ms = (uint32_t)strtoul(v, NULL, 10);
		else if (strcmp(a, "--partition") == 0)
			opt.part_s = (uint32_t)strtoul(v, NULL, 10);
		else if (strcmp(a, "--reconnect-ms") == 0)
			opt.reconnect_ms = (uint32_t)strtoul(v, NULL, 10);
		else if (strcmp(a, "--reconnect-fast-ms") == 0)
			opt.reconnect_fast_ms = (uint32_t)strtoul(v, NULL, 10);
		else if (strcmp(a, "--probe-ms") == 0)
			opt.probe_ms = (uint32_t)strtoul(v, NULL, 10);
		else if (strcmp(a, "--retransmit-mult") == 0)
			opt.retransmit_mult = (uint32_t)strtoul(v, NULL, 10);
		else if (strcmp(a, "--suspicion-pct") == 0)
			opt.susp_pct = (uint32_t)strtoul(v, NULL, 10);
		else if (strcmp(a, "--max-mem") == 0)
			opt.max_mem_gib = strtod(v, NULL);
		else if (strcmp(a, "--latency") == 0) {
			if (sscanf(v, "%u-%u", &opt.lat_min_ms, &opt.lat_max_ms) != 2 ||
			    opt.lat_max_ms < opt.lat_min_ms)
				usage();
		} else
			usage();
	}
	if (opt.n < 4 || opt.n > 1000000 || opt.loss < 0 || opt.loss >= 1)
		usage();
	partition_scenario = strcmp(opt.scenario, "partition") == 0;
	if (!partition_scenario && strcmp(opt.scenario, "standard") != 0)
		usage();
	/*
	 * Every node holds every node's member entry and signed node record:
	 * memory grows with N².  Per pair of nodes: the member entry, the
	 * record's slot and its author's entry in the store, and about 600
	 * bytes more: the signed record and its allocation (~260), three hash
	 * indexes (~70), the probe order and the table's pointer (40), a
	 * replay window for the third of the members heard from by the end
	 * of formation (~100) and the arrays' room to grow (~130).  Measured
	 * at N = 1,000: 1,250 KiB per node, of which ~200 KiB are the
	 * broadcast queue and the seen set, which do not grow with N.
	 * Refuse a run that cannot fit rather than thrash, and say how large
	 * a run would.
	 */
	{
		double	 per_pair = (double)(sizeof(struct member) +
		    sizeof(struct rec) + sizeof(struct author)) + 600.0;
		double	 need = per_pair * opt.n * opt.n / (1u << 30);

		if (need > opt.max_mem_gib) {
			printf("sim n=%u loss=%g seed=%" PRIu64 " error=memory "
			    "need_gib=%.0f max_gib=%.0f max_n=%.0f pair_bytes=%.0f "
			    "member_bytes=%zu\n", opt.n, opt.loss, opt.seed, need,
			    opt.max_mem_gib,
			    floor(sqrt(opt.max_mem_gib * (1u << 30) / per_pair)),
			    per_pair, sizeof(struct member));
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t_start_wall = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	if (sodium_init() == -1)
		return 2;
	seedrng = opt.seed;
	glob_rng = splitmix(&seedrng);
	net_rng = splitmix(&seedrng);
	{
		uint8_t	 seed[32], rpk[WIRE_KEY];

		__wrap_randombytes_buf(seed, sizeof(seed));
		crypto_sign_seed_keypair(rpk, root_sk, seed);
	}
	sec_bytes = calloc(MAX_SECONDS, sizeof(double));
	sec_pkts = calloc(MAX_SECONDS, sizeof(double));
	sec_hdr = calloc(MAX_SECONDS, sizeof(double));
	rss0 = rss_kb();
	nodes = calloc(opt.n, sizeof(*nodes));
	for (idtab_mask = 1; idtab_mask < 2 * opt.n; idtab_mask <<= 1)
		;
	idtab = calloc(idtab_mask, sizeof(*idtab));
	idtab_mask--;
	if (nodes == NULL || idtab == NULL || sec_bytes == NULL || sec_pkts == NULL ||
	    sec_hdr == NULL)
		return 2;
	for (uint32_t i = 0; i < opt.n; i++) {
		struct snode	*s = &nodes[i];
		uint8_t		 seed[32];
		uint32_t	 k;

		s->idx = i;
		s->rng = splitmix(&seedrng);
		__wrap_randombytes_buf(seed, sizeof(seed));
		crypto_sign_seed_keypair(s->pk, s->sk, seed);
		s->skew = opt.skew_ms ? (int64_t)uniform(&s->rng,
		    2 * opt.skew_ms + 1) - (int64_t)opt.skew_ms : 0;
		for (k = (uint32_t)idkey(s->pk) & idtab_mask; idtab[k] != 0;
		    k = (k + 1) & idtab_mask)
			;
		idtab[k] = i + 1;
	}
	printf("rpn-sim: %u nodes, scenario %s, loss %g, dup %g, reorder %g, "
	    "latency %u-%u ms one way, clock skew ±%u ms, seed %" PRIu64 "%s\n",
	    opt.n, opt.scenario, opt.loss, opt.dup, opt.reorder, opt.lat_min_ms,
	    opt.lat_max_ms, opt.skew_ms, opt.seed,
	    fake_crypto ? ", fake crypto (cost modelled)" : "");
	/* node 0 founds at 0; node i joins at i * gap through an earlier node */
	node_join(&nodes[0], 0);
	sc.joined = 1;
	at(1000000, EV_SECOND, 0, 0, 0);
	at(100000, EV_CHECK, 0, 0, 0);
	for (uint32_t i = 1; i < opt.n; i++)
		at((uint64_t)i * opt.join_gap_ms * 1000 + 1000, EV_JOIN, i, 0, 0);
	while (nheap > 0 && sc.ph != P_DONE) {
		struct ev	 e = pop();
		struct snode	*s = &nodes[e.node];

		now_us = e.t;
		nevents++;
		trace = (trace ^ (e.t * 31 + e.type * 7 + e.node)) *
		    0x100000001b3ULL;
		switch (e.type) {
		case EV_TICK:
			if (s->up && e.gen == s->tick_gen)
				kick(s);
			break;
		case EV_GOSSIP:
			if (s->up && s->gossip_on && e.gen == s->gossip_gen)
				gossip_round(s);
			break;
		case EV_DGRAM:
			on_dgram(s, &e);
			break;
		case EV_JOIN:
			if (!s->started) {
				uint32_t	 via = uniform(&net_rng, e.node);

				node_join(s, via);
				sc.joined++;
			}
			break;
		case EV_FRAMES:
			if (!s->up)
				break;
			if (e.step == ST_JOIN_RECORDS)
				on_join(s, &e);
			else
				on_frames(s, &e);
			break;
		case EV_SYNC_END:
			if (s->up)
				sync_release(s, e.peer);
			break;
		case EV_TCP_ACK:
			if (s->up) {
				mb_on_ack(&s->mesh.mb, nodes[e.peer].pk,
				    (uint32_t)e.ctr, node_now(s));
				kick(s);
			}
			break;
		case EV_SECOND:
			second();
			if (sc.ph == P_SETTLE && rss_formed == 0)
				rss_formed = rss_kb();
			at(now_us + 1000000, EV_SECOND, 0, 0, 0);
			break;
		case EV_CHECK:
			check();
			at(now_us + 100000, EV_CHECK, 0, 0, 0);
			break;
		default:
			break;
		}
		free(e.data);
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	report(t_start_wall, &ts, rss0, rss_formed);
	for (uint32_t i = 0; i < opt.n; i++) {
		if (nodes[i].up)
			mesh_release(&nodes[i].mesh);
		buf_release(&nodes[i].saved);
	}
	for (size_t i = 0; i < nheap; i++)
		free(heap[i].data);
	free(heap);
	free(nodes);
	free(idtab);
	free(sec_bytes);
	free(sec_pkts);
	free(sec_hdr);
	return 0;
}

/* The closing lines. */
static void
report(uint64_t t_start_wall, const struct timespec *tsp, long rss0,
    long rss_formed)
{
	struct timespec	 ts = *tsp;
	double		 kb, pp, pk, form_pk, idle_box, idle_kb, idle_pp;
	double		 busy_kb, busy_pp, part_kb, part_pp, end_kb, end_pp;

	{
		double	 wall = ((double)((uint64_t)ts.tv_sec * 1000000000ULL +
		    (uint64_t)ts.tv_nsec - t_start_wall)) / 1e9;
		double	 cpu_model = (n_verify * COST_VERIFY_US +
		    n_sign * COST_SIGN_US + n_x25519 * COST_X25519_US +
		    n_box * COST_BOX_US + box_bytes * COST_BOX_NS_PER_B / 1000) /
		    1e6;
		double	 sim_s = (double)now_us / 1e6;
		long	 mem = (rss_formed ? rss_formed : rss_kb()) - rss0;

		fprintf(stderr, "rpn-sim: %.1f s of wall time for %.0f s "
		    "simulated, %" PRIu64 " events\n", wall, sim_s, nevents);
		printf("crypto: %" PRIu64 " verifications, %" PRIu64
		    " signatures, %" PRIu64 " key agreements, %" PRIu64
		    " boxes: %.1f CPU s in all, %.4f %% of a core per node%s\n",
		    n_verify, n_sign, n_x25519, n_box, cpu_model,
		    cpu_model / sim_s / opt.n * 100,
		    fake_crypto ? " (modelled, not spent)" : " (modelled; spent for real)");
		printf("datagrams: %" PRIu64 " sent, %" PRIu64 " lost, %" PRIu64
		    " duplicated; suspicions of live nodes %" PRIu64 "\n",
		    udp_sent, udp_lost, udp_dup, false_suspicions);
		if (partition_scenario) {
			uint64_t	 tail = opt.part_s < 30 ? opt.part_s : 30;

			/*
			 * part_kbps: the partition's last 30 s (each side
			 * holds the other failed and tries to reach it);
			 * end_kbps: the minute from its end, the heal
			 * included (after_heal_kbps starts at one view, so a
			 * faster heal leaves more of its traffic in it).
			 */
			rate(sc.t_heal - tail * 1000000, sc.t_heal, &part_kb,
			    &part_pp, NULL);
			rate(sc.t_heal, sc.t_heal + 60000000, &end_kb, &end_pp,
			    NULL);
			rate(sc.t_idle, now_us, &idle_kb, &idle_pp, NULL);
			printf("sim scenario=partition n=%u loss=%g seed=%" PRIu64
			    " form_s=%.1f part_s=%u heal_s=%.1f lost_records=%u "
			    "false_failures=%" PRIu64 " own_side_failed=%" PRIu64
			    " part_kbps=%.2f end_kbps=%.2f after_heal_kbps=%.2f "
			    "mem_per_node_kb=%ld trace=%016" PRIx64 "\n", opt.n,
			    opt.loss, opt.seed, sc.form_s, opt.part_s, sc.heal_s,
			    sc.lost_records, false_failures, own_side_failed,
			    part_kb, end_kb, idle_kb, mem / (long)opt.n, trace);
			return;
		}
		rate_hdr = 0;
		rate(sc.t_idle, now_us, &idle_box, &idle_pp, NULL);
		rate_hdr = 1;
		rate(sc.t_rec, sc.t_rec + 10000000, &busy_kb, &busy_pp, &pk);
		rate(sc.t_idle, now_us, &idle_kb, &idle_pp, NULL);
		rate(0, sc.t_rec, &kb, &pp, &form_pk);
		rate(sc.t_rec, now_us, &kb, &pp, &pk);
		printf("busiest second from the new record on: %u-%u s\n",
		    rate_peak_at, rate_peak_at + 1);
		printf("traffic per node: formation's busiest second (up to "
		    "the new record) %.1f kbit/s; then the busiest second %.1f "
		    "kbit/s (mean of "
		    "nodes; busiest node-second of the run %.1f kbit/s), after the new "
		    "record %.1f kbit/s %.1f pkt/s (10 s), idle %.2f kbit/s "
		    "%.2f pkt/s (headers included; sealed payload only, as "
		    "rpnd counts: idle %.2f kbit/s)\n", form_pk, pk,
		    (double)node_peak_b * 8 / 1000, busy_kb, busy_pp, idle_kb,
		    idle_pp, idle_box);
		printf("sim n=%u loss=%g seed=%" PRIu64 " form_s=%.1f "
		    "reach50_s=%.3f reach99_s=%.3f reach999_s=%.3f "
		    "reach100_s=%.3f detect_all_s=%.3f rejoin_s=%.1f "
		    "false_failures=%" PRIu64 " form_peak_kbps=%.1f peak_kbps=%.1f idle_kbps=%.2f "
		    "idle_payload_kbps=%.2f idle_pps=%.2f mem_per_node_kb=%ld trace=%016" PRIx64 "\n",
		    opt.n, opt.loss, opt.seed, sc.form_s,
		    reach(sc.t_rec, 0.5, 0), reach(sc.t_rec, 0.99, 0),
		    reach(sc.t_rec, 0.999, 0), reach(sc.t_rec, 1.0, 0),
		    detect_all(), sc.rejoin_s, false_failures, form_pk, pk, idle_kb,
		    idle_box, idle_pp, mem / (long)opt.n, trace);
	}
}

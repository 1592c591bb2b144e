/* conn.c: TCP between nodes: framing, sealed frames, anti-entropy sync and fallback pings. */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "node/engine/conn.h"
#include "node/engine/ctlreply.h"
#include "node/engine/engine.h"
#include "node/engine/metrics.h"
#include "node/engine/gossip.h"
#include "node/engine/join.h"
#include "node/engine/svcctl.h"
#include "node/core/log.h"
#include "proto/box.h"
#include "proto/ctl.h"
#include "proto/oprec.h"
#include "proto/parse.h"

#define FRAME_MAX	(WIRE_MAX_FRAME + BOX_OVERHEAD)
/*
 * Records a frame at most: about 220 service records, some 20 ms of
 * checking on this machine, the most a receiver does for one stream before
 * its loop turns again (conn_drain()).  512 KiB frames, up to 32 of them
 * read at once, held a receiver's loop for 2-6 s while 60,000 records
 * came: its probes timed out and its control socket did not answer.
 */
#define CHUNK_BYTES	(32u << 10)
#define MAX_CONNS	256
#define MAX_SYNCS	4
#define SYNC_TIMEOUT_MS	10000
#define CHALLENGE_TIMEOUT_MS 3000
/*
 * How long a member waits for a token's inviter to reserve it, within the
 * joiner's own limit of 10 s (JOIN_TIMEOUT_MS) for the whole join.
 */
#define RESERVE_TIMEOUT_MS	4000

struct wreq {
	uv_write_t	 req;
	uint8_t		*data;
	struct conn	*c;
};

static void	conn_close(struct conn *);
static void	conn_read_cb(uv_stream_t *, ssize_t, const uv_buf_t *);
static void	conn_resume_cb(uv_idle_t *);
static void	conn_alloc_cb(uv_handle_t *, size_t, uv_buf_t *);

static void
conn_handle_closed(uv_handle_t *h)
{
	struct conn	*c = h->data;
	struct conn	**pp;

	if (--c->open_handles > 0)
		return;
	for (pp = &c->e->conns; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	c->e->nconns--;
	buf_release(&c->in);
	mesh_batch_release(&c->batch);
	free(c->hello);
	if (c->join) {
		sodium_memzero(c->join, sizeof(*c->join));
		free(c->join);
	}
	sodium_memzero(c->key, sizeof(c->key));
	free(c);
}

/*
 * conn_unlink - a joiner's stream and the question to its token's inviter
 * part; when the question ends first, without an answer, the joiner is told.
 */
static void
conn_unlink(struct conn *c, const char *why)
{
	struct conn	*l = c->link;

	if (l == NULL)
		return;
	c->link = l->link = NULL;
	if (c->role == CR_RESERVE)
		join_reserved(l, c->peer, NULL, why);
}

/*
 * A service request's stream ends without an answer: the owner may have
 * done it once the request was sent, and cannot have before.
 */
static enum ctl_fail
svc_unanswered(const struct conn *c)
{
	return c->step == ST_FIRST ? CTLF_UNREACHED : CTLF_UNAVAILABLE;
}

static void
conn_close(struct conn *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	conn_unlink(c, "the connection closed before it answered");
	if (c->role == CR_JOIN && c->step != ST_DONE)
		join_on_close(c, "the connection closed before the join finished");
	if (c->role == CR_SVC && c->waiter != NULL) {
		ctl_reply_error(c->waiter, svc_unanswered(c),
		    "node %s did not answer the "
		    "service request", mesh_member_name(&c->e->mesh, c->peer));
		c->waiter = NULL;
	}
	uv_close((uv_handle_t *)&c->tcp, conn_handle_closed);
	uv_close((uv_handle_t *)&c->timer, conn_handle_closed);
	uv_close((uv_handle_t *)&c->resume, conn_handle_closed);
}

void
conn_fail(struct conn *c, const char *why)
{
	char	 a[ADDRSTRLEN];

	if (c->closing)
		return;
	fmt_addr(a, sizeof(a), &c->addr, 1);
	conn_unlink(c, why);
	if (c->role == CR_JOIN && c->step != ST_DONE)
		join_on_close(c, why);
	else if (c->role == CR_SVC && c->waiter != NULL) {
		ctl_reply_error(c->waiter, svc_unanswered(c),
		    "asking node %s: %s",
		    mesh_member_name(&c->e->mesh, c->peer), why);
		c->waiter = NULL;
	} else if (c->role == CR_IN)
		log_remote("%s: %s", a, why);
	else
		log_debug("tcp %s: %s", a, why);
	if (c->role == CR_IN)
		c->e->st.tcp_bad++;
	c->step = ST_DONE;
	conn_close(c);
}

static void
conn_timeout_cb(uv_timer_t *t)
{
	struct conn	*c = t->data;

	conn_fail(c, c->role == CR_JOIN ? "no answer from the peer within "
	    "the time limit" : "timed out");
}

static struct conn *
conn_new(struct engine *e, enum conn_role role, uint64_t timeout_ms)
{
	struct conn	*c;

	if (e->nconns >= MAX_CONNS || (c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->e = e;
	c->role = role;
	buf_init(&c->in, FRAME_MAX + 4);
	uv_tcp_init(&e->loop, &c->tcp);
	uv_timer_init(&e->loop, &c->timer);
	uv_idle_init(&e->loop, &c->resume);
	c->tcp.data = c->timer.data = c->resume.data = c;
	c->open_handles = 3;
	uv_timer_start(&c->timer, conn_timeout_cb, timeout_ms, 0);
	c->next = e->conns;
	e->conns = c;
	e->nconns++;
	return c;
}

void
conn_set_peer(struct conn *c, const uint8_t id[WIRE_KEY], const uint8_t key[32])
{
	memcpy(c->peer, id, WIRE_KEY);
	if (key != c->key)
		memcpy(c->key, key, 32);
	c->has_peer = 1;
}

static void
conn_write_cb(uv_write_t *req, int status)
{
	struct wreq	*w = (struct wreq *)req;

	if (status < 0)
		conn_fail(w->c, uv_strerror(status));
	free(w->data);
	free(w);
}

/* conn_send - frame a payload, sealed for the peer or plain, and queue it. */
int
conn_send(struct conn *c, int sealed, const struct buf *payload)
{
	struct buf	 f;
	struct wreq	*w;
	uv_buf_t	 ub;
	uint8_t		 hdr[4] = { 0 }, magic = PLAIN_MAGIC;
	size_t		 n;

	if (c->closing || (sealed && !c->has_peer))
		return -1;
	buf_init(&f, FRAME_MAX + 4);
	buf_put(&f, hdr, 4);
	if (sealed)
		gossip_seal(c->e, &f, c->key, payload->p, payload->len);
	else {
		buf_put(&f, &magic, 1);
		buf_put(&f, payload->p, payload->len);
	}
	if (f.err || (w = calloc(1, sizeof(*w))) == NULL) {
		buf_release(&f);
		conn_fail(c, "frame too large");
		return -1;
	}
	n = f.len - 4;
	f.p[0] = (uint8_t)(n >> 24);
	f.p[1] = (uint8_t)(n >> 16);
	f.p[2] = (uint8_t)(n >> 8);
	f.p[3] = (uint8_t)n;
	w->data = f.p;
	w->c = c;
	ub = uv_buf_init((char *)f.p, (unsigned)f.len);
	c->e->st.tcp_tx_bytes += f.len;
	if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &ub, 1, conn_write_cb) < 0) {
		free(w->data);
		free(w);
		conn_fail(c, "write failed");
		return -1;
	}
	return 0;
}

static void
conn_shutdown_cb(uv_shutdown_t *req, int status)
{
	(void)status;
	conn_close(req->data);
}

/* conn_finish - our side is done: close once queued writes have gone out. */
void
conn_finish(struct conn *c)
{
	if (c->closing)
		return;
	c->step = ST_DONE;
	c->sreq.data = c;
	if (uv_shutdown(&c->sreq, (uv_stream_t *)&c->tcp, conn_shutdown_cb) < 0)
		conn_close(c);
}

/* ---- sending records ---- */

/* conn_send_records - RECORDS frames of at most CHUNK_BYTES each. */
int
conn_send_records(struct conn *c, const struct store_list *l)
{
	const size_t	*lens = l->lens;
	uint32_t	 n = l->n;
	uint32_t	 start = 0;

	while (start < n) {
		struct buf	 p;
		uint32_t	 end = start;
		size_t		 bytes = 0;
		int		 rc;

		while (end < n && (end == start ||
		    bytes + wire_item_cost(lens[end]) <= CHUNK_BYTES) &&
		    end - start < WIRE_MAX_ITEMS)
			bytes += wire_item_cost(lens[end++]);
		buf_init(&p, WIRE_MAX_FRAME);
		rc = wire_items_msg_encode(&p, MSG_RECORDS, l->authors + start,
		    l->items + start, lens + start, end - start);
		if (rc == 0)
			rc = conn_send(c, 1, &p);
		buf_release(&p);
		if (rc == -1)
			return -1;
		start = end;
	}
	return 0;
}

/*
 * The records of a sync or a join stream, sent in the order they depend on
 * each other: node records (their authors are then members), operators'
 * enrolments, the other statements (grants rely on an operator), services
 * and invitations, then health, kernel reports and claims.  Frames are
 * cut within a class, so nothing arrives in a frame before one it needs.
 */
enum { SPLIT_NODE, SPLIT_OPERATOR, SPLIT_POLICY, SPLIT_REST, SPLIT_LATE,
    SPLIT_N };

struct split {
	struct store_list l[SPLIT_N];
};

static int
split_class(uint8_t kind)
{
	switch (kind) {
	case REC_NODE:
		return SPLIT_NODE;
	case REC_OPERATOR:
		return SPLIT_OPERATOR;
	case REC_HEALTH:
	case REC_PROGRAMMED:
		return SPLIT_LATE;
	default:
		return oprec_kind(kind) ? SPLIT_POLICY : SPLIT_REST;
	}
}

static int
split_cb(void *ctx, const struct rec *r)
{
	struct split	*s = ctx;

	return store_list_add_rec(&s->l[split_class(r->kind)], r);
}

/*
 * conn_send_all_records - what the peer lacks according to its digest (all
 * of it when digest is NULL), in the order of struct split, then the
 * claims about failed members.
 */
int
conn_send_all_records(struct conn *c, const struct wire_digest_ent *digest,
    uint32_t n)
{
	struct mesh	*m = &c->e->mesh;
	struct split	 s;
	int		 rc = -1, i;

	memset(&s, 0, sizeof(s));
	if (digest != NULL) {
		if (store_delta(&m->store, digest, n, split_cb, &s) != 0)
			goto out;
	} else if (store_foreach(&m->store, split_cb, &s) != 0)
		goto out;
	for (uint32_t j = 0; j < m->mb.n; j++)
		if (m->mb.m[j]->notice != NULL &&
		    store_list_add(&s.l[SPLIT_LATE], m->mb.m[j]->notice,
		    m->mb.m[j]->noticelen) == -1)
			goto out;
	for (i = 0; i < SPLIT_N; i++)
		if (conn_send_records(c, &s.l[i]) == -1)
			goto out;
	rc = 0;
out:
	for (i = 0; i < SPLIT_N; i++)
		store_list_release(&s.l[i]);
	return rc;
}

static int
send_digest(struct conn *c, uint8_t type)
{
	struct mesh		*m = &c->e->mesh;
	struct wire_digest_ent	*d;
	struct buf		 p;
	uint32_t		 n;
	int			 rc;

	if ((d = calloc(m->store.nauth + 1, sizeof(*d))) == NULL)
		return -1;
	n = store_digest(&m->store, d, m->store.nauth);
	buf_init(&p, WIRE_MAX_FRAME);
	rc = wire_digest_encode(&p, type, d, n);
	if (rc == 0)
		rc = conn_send(c, 1, &p);
	buf_release(&p);
	free(d);
	return rc;
}

static void
send_simple(struct conn *c, uint8_t type, uint32_t seq)
{
	struct buf	 p;

	buf_init(&p, 64);
	if (type == MSG_SYNC_DONE)
		wire_done_encode(&p);
	else
		wire_seq_encode(&p, type, seq);
	conn_send(c, 1, &p);
	buf_release(&p);
}

/*
 * A frame's records are checked this many at a time, each step in a turn
 * of the loop of its own: about 20 ms of signature checks and data-plane
 * work.  A frame of 32 KiB (about 220 services) is one step; one of 4 MiB
 * from a hostile member, or of 512 KiB from an older rpnd, is many.
 */
#define BATCH_STEP	256

/* batch_step - check the next step of the frame of records being taken in: 1 when done. */
static int
batch_step(struct conn *c)
{
	struct engine	*e = c->e;
	uint64_t	 hash = e->mesh.store.hash;
	int		 done;

	done = mesh_batch_step(&e->mesh, &c->batch, BATCH_STEP, engine_now(e),
	    engine_unix_ms(), 0);
	if (e->mesh.store.hash != hash)
		c->news = 1;
	engine_kick(e);
	if (!done)
		return 0;
	if (c->batch.nbad > 0)
		log_remote("sync: %llu forged or malformed records from %s",
		    (unsigned long long)c->batch.nbad,
		    mesh_member_name(&e->mesh, c->peer));
	mesh_batch_release(&c->batch);
	return 1;
}

/*
 * conn_accept_records - take in a frame of records (its items become the
 * stream's).  The stream reads no further frame until they are checked,
 * and lets the loop turn after each step (conn_drain()).
 */
void
conn_accept_records(struct conn *c, struct wire_msg *m)
{
	c->took = 1;
	if (mesh_batch_start(&c->batch, &c->e->mesh, &m->items) == -1) {
		conn_fail(c, "no memory for a frame of records");
		return;
	}
	batch_step(c);
}

/* ---- dispatch ---- */

static void
conn_dispatch(struct conn *c, int sealed, struct wire_msg *m)
{
	struct engine	*e = c->e;

	if (c->role == CR_JOIN) {
		join_on_frame(c, sealed, m);
		return;
	}
	if (!sealed) {
		if (c->role == CR_IN && c->step == ST_FIRST &&
		    m->type == MSG_JOIN_HELLO) {
			join_hello(c, m);
			return;
		}
		conn_fail(c, "unexpected plain frame");
		return;
	}
	switch (c->step) {
	case ST_FIRST:
		if (c->role != CR_IN)
			break;
		if (m->type == MSG_TCP_PING) {
			send_simple(c, MSG_TCP_ACK, m->seq);
			conn_finish(c);
			return;
		}
		if (m->type == MSG_JOIN_RESERVE) {
			join_reserve(c, m);
			return;
		}
		if (m->type == MSG_SVC_REQ) {
			struct buf	 p;
			char		 err[256] = "";
			uint32_t	 code = 0;

			/*
			 * A member asks us to add or remove our own backend.
			 * The grant the order relies on comes along: taken as
			 * if gossip had brought it, and passed on.
			 */
			if (m->grantlen > 0)
				mesh_accept(&e->mesh, m->grant, m->grantlen,
				    engine_now(e), engine_unix_ms(), MESH_RELAY);
			if (svcctl_remote(e, m, err, sizeof(err)) == -1)
				code = WERR_REFUSED;
			else if (svcctl_apply(e, m->op, &m->svc, m->force, err,
			    sizeof(err)) == -1)
				code = WERR_SERVICE;
			else
				log_info("service %s changed at the request of %s",
				    m->svc.name, mesh_member_name(&e->mesh, c->peer));
			buf_init(&p, 512);
			if (wire_svc_resp_encode(&p, code, err) == 0)
				conn_send(c, 1, &p);
			buf_release(&p);
			conn_finish(c);
			return;
		}
		if (m->type == MSG_SYNC_REQ) {
			if (conn_send_all_records(c, m->digest, m->ndigest) == -1 ||
			    send_digest(c, MSG_SYNC_DIGEST) == -1)
				return;
			c->step = ST_SYNC_WAIT_PUSH;
			return;
		}
		break;
	case ST_SYNC_WAIT_PUSH:
	case ST_SYNC_WAIT_RESP:
		if (m->type == MSG_RECORDS) {
			conn_accept_records(c, m);
			return;
		}
		if (c->step == ST_SYNC_WAIT_PUSH && m->type == MSG_SYNC_DONE) {
			conn_finish(c);
			return;
		}
		if (c->step == ST_SYNC_WAIT_RESP && m->type == MSG_SYNC_DIGEST) {
			conn_send_all_records(c, m->digest, m->ndigest);
			send_simple(c, MSG_SYNC_DONE, 0);
			e->st.syncs++;
			conn_finish(c);
			mesh_pull_done(&e->mesh, c->peer, c->news,
			    engine_now(e));
			engine_kick(e);
			return;
		}
		break;
	case ST_PING_WAIT_ACK:
		if (m->type == MSG_TCP_ACK && m->seq == c->seq) {
			/* A challenge's answer proved its address in conn_frame(). */
			if (c->role == CR_PING) {
				metrics_probe_ack(e, m->seq);
				mb_on_ack(&e->mesh.mb, c->peer, m->seq,
				    engine_now(e));
			}
			conn_finish(c);
			engine_kick(e);
			return;
		}
		break;
	case ST_JOIN_WAIT_RECORD:
		if (m->type == MSG_JOIN_RECORD) {
			join_record(c, m);
			return;
		}
		break;
	case ST_RESERVE_WAIT_RESP:
		if (m->type == MSG_JOIN_RESERVED) {
			struct conn	*l = c->link;

			if (l != NULL) {
				c->link = l->link = NULL;
				join_reserved(l, c->peer, m, NULL);
			}
			conn_finish(c);
			return;
		}
		break;
	case ST_SVC_WAIT_RESP:
		if (m->type == MSG_SVC_RESP && c->waiter != NULL) {
			if (m->code == 0)
				ctl_reply_ok(c->waiter);
			else
				ctl_reply_error(c->waiter, CTLF_CONFLICT,
				    "%s", m->errmsg);
			c->waiter = NULL;
			conn_finish(c);
			return;
		}
		break;
	default:
		break;
	}
	conn_fail(c, "unexpected message");
}

/*
 * frame_replayed - streams are ordered, so within one each sealed frame must
 * carry a higher stamp than the one before.  The first sealed frame from a
 * member is checked against that member's window for streams, where every
 * frame it sent us is marked (and its datagram window, box_windows_check()):
 * a captured stream played again on a new connection, or a frame cut out of
 * one, stops at its first frame, unopened.
 * *mp is the member whose window to mark once the frame has been
 * authenticated (NULL: the peer is not a member yet: a joiner, or the
 * member we are joining through).
 */
static int
frame_replayed(struct conn *c, uint64_t epoch, uint64_t ctr,
    struct member **mp)
{
	struct member	*m = mb_get(&c->e->mesh.mb, c->peer);

	*mp = m;
	if (c->rx_started)
		return epoch < c->rx_epoch ||
		    (epoch == c->rx_epoch && ctr <= c->rx_ctr);
	return m != NULL && mb_rx_check(m, MB_RX_STREAM, epoch, ctr) !=
	    BOXW_NEW;
}

static void
conn_frame(struct conn *c, const uint8_t *p, size_t n)
{
	struct engine		*e = c->e;
	struct wire_msg		 m;
	const uint8_t		*sender;
	uint8_t			*pt = NULL;
	size_t			 ptlen;
	uint64_t		 epoch, ctr;
	struct member		*from;
	int			 sealed;

	if (n >= 1 && p[0] == PLAIN_MAGIC) {
		sealed = 0;
		if (wire_msg_decode(p + 1, n - 1, 1, &m) == -1) {
			conn_fail(c, "malformed frame");
			return;
		}
	} else if (box_peek(p, n, &sender, &epoch, &ctr) == 0) {
		sealed = 1;
		if (!c->has_peer && c->role == CR_JOIN) {
			uint8_t		 k[32];

			/* The joiner learns the member's key from its offer. */
			if (box_pair_key(k, e->mesh.sk, sender) == -1) {
				conn_fail(c, "invalid key in a sealed frame");
				return;
			}
			conn_set_peer(c, sender, k);
			sodium_memzero(k, sizeof(k));
		} else if (!c->has_peer) {
			const uint8_t	*key = NULL;

			if (mesh_is_member(&e->mesh, sender))
				key = engine_pair_key(e, sender);
			if (key == NULL) {
				e->st.not_member++;
				conn_fail(c, "a sealed frame from a non-member");
				return;
			}
			conn_set_peer(c, sender, key);
		} else if (sodium_memcmp(sender, c->peer, WIRE_KEY) != 0) {
			conn_fail(c, "sender changed mid-stream");
			return;
		}
		if (frame_replayed(c, epoch, ctr, &from)) {
			e->st.replayed++;
			conn_fail(c, "a replayed frame");
			return;
		}
		if ((pt = malloc(n)) == NULL ||
		    box_open(p, n, c->key, pt, &ptlen) == -1) {
			free(pt);
			e->st.bad_box++;
			conn_fail(c, "a frame failed authentication");
			return;
		}
		if (from != NULL) {
			if (mb_rx_mark(from, MB_RX_STREAM, epoch, ctr) == -1) {
				free(pt);
				conn_fail(c, "no memory for its replay "
				    "window");
				return;
			}
			/*
			 * It opened with the member's key on a connection to
			 * or from c->addr (TCP: not a forged source): the
			 * address is the member's.
			 */
			dpsync_seen(e, c->peer, &c->addr);
		}
		c->rx_started = 1;
		c->rx_epoch = epoch;
		c->rx_ctr = ctr;
		if (wire_msg_decode(pt, ptlen, 1, &m) == -1) {
			free(pt);
			e->st.bad_msg++;
			conn_fail(c, "malformed message");
			return;
		}
		free(pt);
	} else if (n >= 1 && p[0] == BOX_MAGIC_V1) {
		e->st.bad_box++;
		conn_fail(c, "a frame in protocol version 1; that node must be "
		    "upgraded");
		return;
	} else {
		conn_fail(c, "not an rpn frame");
		return;
	}
	conn_dispatch(c, sealed, &m);
	wire_msg_release(&m);
}

static void
conn_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	(void)h;
	(void)suggested;
	b->base = malloc(65536);
	b->len = b->base ? 65536 : 0;
}

/*
 * conn_drain - handle the whole frames read so far.  After a frame of
 * records, and after each step of checking one, it stops reading and lets
 * the loop turn (conn_resume_cb() goes on next turn): libuv reads up to 32
 * times a turn from one stream, and checking the records of all those
 * frames at once held the loop for seconds (probe timeouts, unanswered
 * control requests).
 */
static void
conn_drain(struct conn *c)
{
	size_t	 off = 0;

	/* (a batch with records left: one released when done has none) */
	if (c->batch.items.n > 0 && !batch_step(c)) {
		if (!c->closing)
			uv_idle_start(&c->resume, conn_resume_cb);
		return;
	}
	for (;;) {
		uint32_t	 len;
		int		 r;

		if (c->closing || c->step == ST_DONE)
			break;
		r = ctl_frame_len(c->in.p + off, c->in.len - off, FRAME_MAX, &len);
		if (r == -1) {
			conn_fail(c, "frame too large");
			return;
		}
		if (r == 0)
			break;
		c->took = 0;
		conn_frame(c, c->in.p + off + 4, len);
		off += 4 + (size_t)len;
		if (c->took && !c->closing) {
			c->took = 0;
			uv_read_stop((uv_stream_t *)&c->tcp);
			uv_idle_start(&c->resume, conn_resume_cb);
			break;
		}
	}
	if (c->closing)
		return;
	if (off > 0) {
		memmove(c->in.p, c->in.p + off, c->in.len - off);
		c->in.len -= off;
	}
}

static void
conn_resume_cb(uv_idle_t *h)
{
	struct conn	*c = h->data;

	uv_idle_stop(h);
	conn_drain(c);
	/* In ST_DONE too: the peer's end of the stream closes it. */
	if (!uv_is_active((uv_handle_t *)h) && !c->closing)
		uv_read_start((uv_stream_t *)&c->tcp, conn_alloc_cb,
		    conn_read_cb);
}

static void
conn_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct conn	*c = s->data;

	if (nread < 0) {
		free(b->base);
		if (nread == UV_EOF && c->step == ST_DONE)
			conn_close(c);
		else
			conn_fail(c, nread == UV_EOF ? "closed by the peer" :
			    uv_strerror((int)nread));
		return;
	}
	c->e->st.tcp_rx_bytes += (uint64_t)nread;
	if (buf_put(&c->in, b->base, (size_t)nread) == -1) {
		free(b->base);
		conn_fail(c, "frame too large");
		return;
	}
	free(b->base);
	conn_drain(c);
}

/* ---- listening ---- */

static void
conn_accept_cb(uv_stream_t *server, int status)
{
	struct engine		*e = server->data;
	struct conn		*c;
	struct sockaddr_storage	 ss;
	int			 sl = sizeof(ss);

	if (status < 0)
		return;
	if ((c = conn_new(e, CR_IN, SYNC_TIMEOUT_MS)) == NULL) {
		uv_tcp_t	*t = malloc(sizeof(*t));

		/* Too many: accept and drop so the backlog does not fill. */
		if (t == NULL)
			return;
		uv_tcp_init(&e->loop, t);
		uv_accept(server, (uv_stream_t *)t);
		uv_close((uv_handle_t *)t, (uv_close_cb)free);
		return;
	}
	if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0) {
		conn_close(c);
		return;
	}
	if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &sl) == 0)
		addr_from_sockaddr(&c->addr, (struct sockaddr *)&ss);
	e->st.tcp_in++;
	uv_read_start((uv_stream_t *)&c->tcp, conn_alloc_cb, conn_read_cb);
}

int
conn_listen(struct engine *e, char *err, size_t errlen)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	int			 r;

	addr_to_sockaddr(&e->cfg.listen, &ss, &sl);
	uv_tcp_init(&e->loop, &e->listener);
	e->listener.data = e;
	if ((r = uv_tcp_bind(&e->listener, (struct sockaddr *)&ss, 0)) < 0 ||
	    (r = uv_listen((uv_stream_t *)&e->listener, 128,
	    conn_accept_cb)) < 0) {
		char	 a[ADDRSTRLEN];

		fmt_addr(a, sizeof(a), &e->cfg.listen, 1);
		snprintf(err, errlen, "listen on tcp %s: %s", a, uv_strerror(r));
		return -1;
	}
	return 0;
}

void
conn_close_all(struct engine *e)
{
	for (struct conn *c = e->conns; c != NULL; c = c->next)
		conn_close(c);
	if (!uv_is_closing((uv_handle_t *)&e->listener))
		uv_close((uv_handle_t *)&e->listener, NULL);
}

/* ---- connecting ---- */

static void
conn_connect_cb(uv_connect_t *req, int status)
{
	struct conn	*c = req->data;

	if (c->closing)
		return;
	if (status < 0) {
		conn_fail(c, uv_strerror(status));
		return;
	}
	c->e->st.tcp_out++;
	uv_read_start((uv_stream_t *)&c->tcp, conn_alloc_cb, conn_read_cb);
	switch (c->role) {
	case CR_SYNC:
		if (send_digest(c, MSG_SYNC_REQ) == 0)
			c->step = ST_SYNC_WAIT_RESP;
		break;
	case CR_PING:
	case CR_CHALLENGE:
		send_simple(c, MSG_TCP_PING, c->seq);
		c->step = ST_PING_WAIT_ACK;
		break;
	case CR_JOIN:
		join_on_connect(c);
		break;
	case CR_SVC: {
		struct buf	 p;

		buf_init(&p, 4096);
		if (wire_svc_req_encode(&p, c->svc_op, &c->svc,
		    c->svc_force, c->svc_order, c->svc_orderlen, c->svc_grant,
		    c->svc_grantlen) == 0)
			conn_send(c, 1, &p);
		buf_release(&p);
		c->step = ST_SVC_WAIT_RESP;
		break;
	}
	case CR_RESERVE: {
		const struct wire_msg	*h;
		struct buf		 p;

		/* The joiner may have gone while we connected. */
		if (c->link == NULL || (h = c->link->hello) == NULL) {
			conn_finish(c);
			break;
		}
		buf_init(&p, 256);
		if (wire_reserve_encode(&p, h->token_pub, h->joiner,
		    h->token_sig) == 0)
			conn_send(c, 1, &p);
		buf_release(&p);
		c->step = ST_RESERVE_WAIT_RESP;
		break;
	}
	default:
		break;
	}
}

struct conn *
conn_connect(struct engine *e, const struct wire_addr *a, enum conn_role role,
    uint64_t timeout_ms)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	struct conn		*c;

	if (addr_to_sockaddr(a, &ss, &sl) == -1 ||
	    (c = conn_new(e, role, timeout_ms)) == NULL)
		return NULL;
	c->addr = *a;
	c->creq.data = c;
	if (uv_tcp_connect(&c->creq, &c->tcp, (struct sockaddr *)&ss,
	    conn_connect_cb) < 0) {
		conn_close(c);
		return NULL;
	}
	return c;
}

static struct conn *
conn_to_member(struct engine *e, struct member *m, enum conn_role role,
    uint64_t timeout_ms)
{
	const uint8_t	*key = engine_pair_key(e, m->id);
	struct conn	*c;

	if (key == NULL || m->addr.family == 0)
		return NULL;
	if ((c = conn_connect(e, &m->addr, role, timeout_ms)) == NULL)
		return NULL;
	conn_set_peer(c, m->id, key);
	return c;
}

/* conn_start_sync - pull what a member has that we lack, then push the reverse. */
void
conn_start_sync(struct engine *e, struct member *m)
{
	uint32_t	 n = 0;

	for (struct conn *c = e->conns; c != NULL; c = c->next) {
		/* (one that finished, closing now, holds no slot) */
		if (c->role != CR_SYNC || c->closing || c->step == ST_DONE)
			continue;
		if (memcmp(c->peer, m->id, WIRE_KEY) == 0 || ++n >= MAX_SYNCS)
			return;
	}
	conn_to_member(e, m, CR_SYNC, SYNC_TIMEOUT_MS);
}

void
conn_start_ping(struct engine *e, struct member *m, uint32_t seq)
{
	struct conn	*c;

	c = conn_to_member(e, m, CR_PING, e->cfg.mesh.mb.probe_interval_ms);
	if (c != NULL)
		c->seq = seq;
}

/*
 * conn_start_challenge - an ordinary TCP ping to one address a member
 * advertises, sealed for that member: only the member can open it and
 * answer, and the answer comes from that address (TCP), which proves it
 * (conn_frame()).  An address the member never sends from (the second
 * uplink of a multi-homed node) is proven this way.  A connection that
 * reaches someone else fails: the answer does not open with the member's
 * key.
 */
int
conn_start_challenge(struct engine *e, const struct member *m,
    const struct wire_addr *a)
{
	const uint8_t	*key = engine_pair_key(e, m->id);
	struct conn	*c;

	if (key == NULL || a->family == 0 || a->port == 0)
		return -1;
	if ((c = conn_connect(e, a, CR_CHALLENGE, CHALLENGE_TIMEOUT_MS)) == NULL)
		return -1;
	conn_set_peer(c, m->id, key);
	c->seq = 0;
	return 0;
}

/*
 * conn_svcreq_possible - can owner be asked to change its backends (is it
 * up)?  0, or -1 with err.
 */
int
conn_svcreq_possible(const struct member *owner, char *err, size_t errlen)
{
	if (owner->state == M_ALIVE || owner->state == M_SUSPECT)
		return 0;
	snprintf(err, errlen, "node %s is %s; it must be up to change its "
	    "backends", owner->name, mstate_name(owner->state));
	return -1;
}

/*
 * conn_start_svcreq - ask another member to add or remove its backend; the
 * answer goes to cl.
 */
int
conn_start_svcreq(struct engine *e, const struct member *owner, uint8_t op,
    const struct rec_service *s, int force, const uint8_t *order,
    size_t orderlen, const uint8_t *grant, size_t grantlen,
    struct ctl_reply *cl, char *err, size_t errlen)
{
	struct conn	*c;

	if (orderlen > sizeof(c->svc_order) || grantlen > sizeof(c->svc_grant)) {
		snprintf(err, errlen, "the operator's order is too large");
		return -1;
	}

	if (conn_svcreq_possible(owner, err, errlen) == -1)
		return -1;
	c = conn_to_member(e, (struct member *)(uintptr_t)owner, CR_SVC,
	    SYNC_TIMEOUT_MS);
	if (c == NULL) {
		snprintf(err, errlen, "cannot reach node %s", owner->name);
		return -1;
	}
	c->svc_op = op;
	c->svc_force = (uint8_t)(force != 0);
	c->svc = *s;
	memcpy(c->svc_order, order, orderlen);
	c->svc_orderlen = (uint32_t)orderlen;
	if (grantlen > 0)
		memcpy(c->svc_grant, grant, grantlen);
	c->svc_grantlen = (uint32_t)grantlen;
	c->waiter = cl;
	return 0;
}

/*
 * conn_start_reserve - ask the member that made a token to reserve it for
 * the joiner waiting on stream j; join_reserved() hears how it went.
 */
int
conn_start_reserve(struct engine *e, const struct member *inviter,
    struct conn *j)
{
	struct conn	*c;

	c = conn_to_member(e, (struct member *)(uintptr_t)inviter, CR_RESERVE,
	    RESERVE_TIMEOUT_MS);
	if (c == NULL)
		return -1;
	c->link = j;
	j->link = c;
	return 0;
}

/* join.c: the join handshake: the joiner proves it holds the token, the member vouches for it. */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "node/engine/join.h"
#include "node/engine/conn.h"
#include "node/engine/ctlreply.h"
#include "node/engine/ctlview.h"
#include "node/engine/engine.h"
#include "node/core/backoff.h"
#include "node/core/log.h"
#include "proto/box.h"
#include "proto/ctl.h"
#include "proto/cert.h"
#include "proto/compat.h"
#include "proto/envelope.h"
#include "proto/parse.h"
#include "proto/token.h"

/*
 * One attempt may take JOIN_TIMEOUT_MS; a join that fails for a reason
 * that may pass (no answer, a closed stream, a busy member, an inviter
 * that did not answer) is tried again with the same token and key after
 * a jittered, growing pause, until the request's ttl_ms (rpn join
 * --timeout, JOIN_WAIT_DEFAULT_MS without one; rpn join itself waits a
 * little longer).  A retry after the member admitted us completes that
 * same admission: the member accepts a token used by this very key again
 * (mesh_admit()).  Giving up early is what leaves a phantom: a node the
 * mesh admitted that never learnt it, so the deadline is generous.  The
 * pause before the last attempt is cut to end at the deadline, and that
 * attempt still gets JOIN_LAST_MS to connect: rpn join --timeout 10s
 * tries for 10 s, not for 10 s less the last pause.
 */
#define JOIN_TIMEOUT_MS	10000
#define JOIN_LAST_MS	1000
#define JOIN_PAUSE_MS	250
#define JOIN_PAUSE_MAX_MS 2000

static void
send_error(struct conn *c, int sealed, uint32_t code, const char *msg)
{
	struct buf	 p;

	buf_init(&p, 512);
	if (wire_error_encode(&p, code, msg) == 0)
		conn_send(c, sealed, &p);
	buf_release(&p);
}

/* ---- the member's side ---- */

static void
refuse(struct conn *c, const char *name, uint32_t code, const char *err)
{
	char	 a[ADDRSTRLEN];

	fmt_addr(a, sizeof(a), &c->addr, 0);
	c->e->st.joins_refused++;
	log_info("refused a join by \"%s\" from %s: %s", name, a, err);
	send_error(c, 0, code, err);
	conn_finish(c);
}

/* admit - the token is reserved for the joiner: vouch for it with a chain. */
static void
admit(struct conn *c, const struct wire_msg *m)
{
	struct engine		*e = c->e;
	struct wire_cert	 chain[WIRE_MAX_CHAIN];
	uint8_t			 n;
	char			 err[256];
	struct buf		 p;
	int			 code;

	code = mesh_admit(&e->mesh, m, engine_unix_ms(), chain, &n, err,
	    sizeof(err));
	if (code != 0) {
		refuse(c, m->name, (uint32_t)code, err);
		return;
	}
	/* the key join_hello() derived (and so checked) */
	conn_set_peer(c, m->joiner, c->key);
	buf_init(&p, WIRE_MAX_FRAME);
	if (wire_offer_encode(&p, e->mesh.root, e->mesh.self_env,
	    e->mesh.self_envlen, chain, n) == 0)
		conn_send(c, 1, &p);
	buf_release(&p);
	c->step = ST_JOIN_WAIT_RECORD;
	engine_kick(e);
}

static void
refuse_unreachable(struct conn *c, const char *name,
    const uint8_t inviter[WIRE_KEY], const char *why)
{
	char	 err[256];

	log_info("a join by \"%s\": cannot ask %s, the member that made its "
	    "token, to reserve it: %s", name, mesh_member_name(&c->e->mesh,
	    inviter), why);
	snprintf(err, sizeof(err), "the member that made this token (%s) "
	    "cannot be reached: try again, or join through it",
	    mesh_member_name(&c->e->mesh, inviter));
	refuse(c, name, WERR_INVITER_UNREACHABLE, err);
}

/*
 * ask_inviter - the token was made by another member, which alone decides
 * whether it is unused: ask it to reserve the token for the joiner, and
 * hold the joiner's stream until it answers (join_reserved()).
 */
static void
ask_inviter(struct conn *c, const struct wire_msg *m,
    const uint8_t inviter[WIRE_KEY])
{
	struct engine		*e = c->e;
	const struct member	*mm = mb_get(&e->mesh.mb, inviter);

	if (mm != NULL && mm->state == M_LEFT) {
		char	 err[256];

		/* Nobody else may reserve its tokens: they left with it. */
		snprintf(err, sizeof(err), "the member that made this token "
		    "(%s) has left the mesh, and its tokens with it: ask a "
		    "member for a new one", mm->name);
		refuse(c, m->name, WERR_TOKEN_EXPIRED, err);
		return;
	}
	if (mm == NULL || (mm->state != M_ALIVE && mm->state != M_SUSPECT)) {
		refuse_unreachable(c, m->name, inviter, mm == NULL ?
		    "it is not a member" : mstate_name(mm->state));
		return;
	}
	if ((c->hello = malloc(sizeof(*c->hello))) == NULL) {
		refuse_unreachable(c, m->name, inviter, "out of memory");
		return;
	}
	/* A hello carries no items or digest: the copy owns nothing. */
	*c->hello = *m;
	memset(&c->hello->items, 0, sizeof(c->hello->items));
	c->hello->digest = NULL;
	c->hello->ndigest = 0;
	c->step = ST_JOIN_WAIT_RESERVE;
	if (conn_start_reserve(e, mm, c) == -1)
		refuse_unreachable(c, m->name, inviter, "no stream to it");
}

void
join_hello(struct conn *c, const struct wire_msg *m)
{
	struct engine		*e = c->e;
	const struct used_token	*u;
	uint8_t			 inviter[WIRE_KEY];
	char			 err[256];
	int			 code;

	if (m->version != WIRE_VERSION) {
		snprintf(err, sizeof(err), "this member speaks rpn protocol "
		    "version %u, the joiner %u: run the same rpn on both",
		    WIRE_VERSION, m->version);
		refuse(c, m->name, WERR_BAD_REQUEST, err);
		return;
	}
	/* kept for admit(): the stream is sealed with it from the offer on */
	if (box_pair_key(c->key, e->mesh.sk, m->joiner) == -1) {
		send_error(c, 0, WERR_BAD_REQUEST, "invalid node key");
		conn_finish(c);
		return;
	}
	code = mesh_admit_check(&e->mesh, m, engine_unix_ms(), inviter, err,
	    sizeof(err));
	if (code != 0) {
		refuse(c, m->name, (uint32_t)code, err);
		return;
	}
	/*
	 * A token this node made is reserved here; one reserved for this
	 * joiner already (a join cut short, retried) needs no question.
	 */
	u = mesh_token_user(&e->mesh, m->token_pub);
	if (memcmp(inviter, e->mesh.id, WIRE_KEY) == 0 || (u != NULL &&
	    memcmp(u->subject, m->joiner, WIRE_KEY) == 0))
		admit(c, m);
	else
		ask_inviter(c, m, inviter);
}

/*
 * join_reserved - the inviter answered (answer), or could not be asked
 * (answer NULL, why says what happened): admit the joiner waiting on c, or
 * refuse it with the inviter's reason.
 */
void
join_reserved(struct conn *c, const uint8_t inviter[WIRE_KEY],
    const struct wire_msg *answer, const char *why)
{
	struct engine	*e = c->e;
	struct wire_msg	*h = c->hello;

	if (c->closing || c->step != ST_JOIN_WAIT_RESERVE || h == NULL)
		return;
	if (answer == NULL)
		refuse_unreachable(c, h->name, inviter, why);
	else if (answer->code != 0)
		refuse(c, h->name, answer->code, answer->errmsg[0] ?
		    answer->errmsg : "the member that made this token refused "
		    "to reserve it");
	else {
		mesh_token_reserved(&e->mesh, h->token_pub, h->joiner);
		admit(c, h);
	}
}

/* join_reserve - the inviter's side: a member asks it to reserve its token. */
void
join_reserve(struct conn *c, const struct wire_msg *m)
{
	struct engine	*e = c->e;
	char		 err[256] = "";
	struct buf	 p;
	int		 code;

	code = mesh_token_reserve(&e->mesh, m->token_pub, m->joiner,
	    m->token_sig, engine_unix_ms(), err, sizeof(err));
	if (code != 0) {
		e->st.joins_refused++;
		log_info("refused to reserve a token for a node joining "
		    "through %s: %s", mesh_member_name(&e->mesh, c->peer), err);
	} else
		log_info("reserved a token for a node joining through %s",
		    mesh_member_name(&e->mesh, c->peer));
	buf_init(&p, 512);
	if (wire_reserved_encode(&p, (uint32_t)code, err) == 0)
		conn_send(c, 1, &p);
	buf_release(&p);
	conn_finish(c);
}

void
join_record(struct conn *c, const struct wire_msg *m)
{
	struct engine	*e = c->e;
	const uint8_t	*rec;
	size_t		 len;
	struct buf	 p;

	rec = wire_items_get(&m->items, 0, &len);
	/* A new member: this is news to spread. */
	mesh_accept(&e->mesh, rec, len, engine_now(e), engine_unix_ms(),
	    MESH_RELAY);
	if (!mesh_is_member(&e->mesh, c->peer)) {
		send_error(c, 1, WERR_NOT_MEMBER, "your node record was refused");
		conn_finish(c);
		return;
	}
	engine_keep_pair_key(e, c->peer, c->key);
	e->st.joins_admitted++;
	log_info("admitted node \"%s\"", mesh_member_name(&e->mesh, c->peer));
	conn_send_all_records(c, NULL, 0);
	buf_init(&p, 16);
	wire_done_encode(&p);
	conn_send(c, 1, &p);
	buf_release(&p);
	conn_finish(c);
	engine_kick(e);
}

/* ---- the joiner's side ---- */

static void
join_free(struct join_ctx *j)
{
	sodium_memzero(j, sizeof(*j));
	free(j);
}

/* join_attempt - one stream to the member for j; -1 if it cannot start. */
static int
join_attempt(struct engine *e, struct join_ctx *j, struct ctl_reply *cl)
{
	struct conn	*c;
	uint64_t	 now = engine_now(e), limit;

	limit = j->deadline > now ? j->deadline - now : 0;
	if (limit < JOIN_LAST_MS)
		limit = JOIN_LAST_MS;
	if (limit > JOIN_TIMEOUT_MS)
		limit = JOIN_TIMEOUT_MS;
	j->refused = 0;
	j->attempts++;
	if ((c = conn_connect(e, &j->peer, CR_JOIN, limit)) == NULL)
		return -1;
	c->join = j;
	c->waiter = cl;
	return 0;
}

static void
join_retry_cb(uv_timer_t *t)
{
	struct engine	*e = t->data;
	struct join_ctx	*j = e->join_retry;
	struct ctl_reply *cl;

	if (j == NULL)
		return;
	e->join_retry = NULL;
	cl = j->waiter;
	j->waiter = NULL;
	if (e->mesh.joined || join_attempt(e, j, cl) == -1) {
		ctl_reply_error(cl, e->mesh.joined ? CTLF_CONFLICT :
		    CTLF_UNAVAILABLE, "join through %s failed: %s",
		    j->peer_text, e->mesh.joined ? "this node joined a mesh "
		    "meanwhile" : "cannot connect");
		join_free(j);
	}
}

/* A refusal that may pass by itself; anything else is final. */
static int
join_may_retry(uint32_t code)
{
	return code == 0 || code == WERR_INVITER_UNREACHABLE;
}

void
join_init(struct engine *e)
{
	uv_timer_init(&e->loop, &e->join_timer);
	e->join_timer.data = e;
}

void
join_close(struct engine *e)
{
	if (e->join_retry != NULL) {
		ctl_reply_error(e->join_retry->waiter, CTLF_UNAVAILABLE,
		    "rpnd is stopping");
		join_free(e->join_retry);
		e->join_retry = NULL;
	}
	if (e->join_timer.loop != NULL &&
	    !uv_is_closing((uv_handle_t *)&e->join_timer))
		uv_close((uv_handle_t *)&e->join_timer, NULL);
}

int
join_start(struct engine *e, const struct ctl_req *r, struct ctl_reply *cl,
    char *err, size_t errlen)
{
	struct join_ctx		*j;
	struct conn		*c;
	const char		*why;
	uint8_t			 sk[SECRET_KEY];

	if (e->mesh.joined) {
		snprintf(err, errlen, "this node is already in a mesh; run "
		    "\"rpn leave\" first");
		return -1;
	}
	for (c = e->conns; c != NULL; c = c->next)
		if (c->role == CR_JOIN && !c->closing) {
			snprintf(err, errlen, "a join is already under way");
			return -1;
		}
	if (e->join_retry != NULL) {
		snprintf(err, errlen, "a join is already under way");
		return -1;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (token_decode(r->token, &j->token, &why) == -1) {
		snprintf(err, errlen, "malformed token: %s", why);
		free(j);
		return -1;
	}
	token_keypair(&j->token, j->token_pk, sk);
	sodium_memzero(sk, sizeof(sk));
	if (r->name[0])
		strlcpy(j->name, r->name, sizeof(j->name));
	else if (e->cfg.name[0])
		strlcpy(j->name, e->cfg.name, sizeof(j->name));
	else
		engine_default_name(j->name, sizeof(j->name));
	fmt_addr(j->peer_text, sizeof(j->peer_text), &r->peer, 1);
	j->peer = r->peer;
	j->deadline = engine_now(e) + (r->ttl_ms >= JOIN_WAIT_MIN_MS &&
	    r->ttl_ms <= JOIN_WAIT_MAX_MS ? r->ttl_ms : JOIN_WAIT_DEFAULT_MS);
	if (r->nadvertise)
		engine_set_advertise(e, r->advertise, r->nadvertise);
	if (join_attempt(e, j, cl) == -1) {
		snprintf(err, errlen, "cannot connect to %s", j->peer_text);
		join_free(j);
		return -1;
	}
	return 0;
}

void
join_on_connect(struct conn *c)
{
	struct join_ctx	*j = c->join;
	struct mesh	*m = &c->e->mesh;
	uint8_t		 pk[WIRE_KEY], sk[SECRET_KEY], sig[WIRE_SIG];
	struct buf	 p;

	token_keypair(&j->token, pk, sk);
	token_proof_sign(sig, sk, j->token.mesh_id, m->id);
	sodium_memzero(sk, sizeof(sk));
	buf_init(&p, 1024);
	if (wire_hello_encode(&p, j->token.mesh_id, m->id, j->name, pk,
	    sig) == 0)
		conn_send(c, 0, &p);
	buf_release(&p);
	c->step = ST_JOIN_WAIT_OFFER;
}

/*
 * The offer must come from a member of the mesh the token names: its record
 * verifies under the root whose hash is in the token, and the chain it
 * issued for us ends at our own key.
 */
static int
offer_check(struct conn *c, const struct wire_msg *m, const char **why)
{
	struct join_ctx	*j = c->join;
	uint8_t		 mid[WIRE_MESH_ID];
	const uint8_t	*rec, *author, *body;
	size_t		 len, bodylen;
	struct rec_head	 h;
	struct rec_node	 nd;

	env_mesh_id(mid, m->root);
	if (sodium_memcmp(mid, j->token.mesh_id, WIRE_MESH_ID) != 0) {
		*why = "the peer belongs to another mesh than the token";
		return -1;
	}
	rec = wire_items_get(&m->items, 0, &len);
	if (env_open(rec, len, mid, &author, &body, &bodylen) == -1 ||
	    sodium_memcmp(author, c->peer, WIRE_KEY) != 0 ||
	    rec_node_decode(body, bodylen, &h, &nd) == -1 ||
	    cert_chain_verify(nd.chain, nd.nchain, m->root, mid,
	    author) == -1) {
		*why = "the peer could not prove it is a member";
		return -1;
	}
	if (cert_chain_verify(m->chain, m->nchain, m->root, mid,
	    c->e->mesh.id) == -1) {
		*why = "the admission the peer issued is invalid";
		return -1;
	}
	return 0;
}

void
join_on_frame(struct conn *c, int sealed, struct wire_msg *m)
{
	struct engine	*e = c->e;
	const char	*why;
	struct buf	 p;

	if (m->type == MSG_ERROR) {
		char	 msg[WIRE_MAX_ERRMSG + 32];

		c->join->refused = m->code ? m->code : WERR_INTERNAL;
		snprintf(msg, sizeof(msg), "refused: %s", m->errmsg);
		conn_fail(c, msg);
		return;
	}
	if (!sealed) {
		conn_fail(c, "unexpected plain message");
		return;
	}
	switch (c->step) {
	case ST_JOIN_WAIT_OFFER: {
		struct wire_addr	 addrs[WIRE_MAX_ADDRS];
		uint8_t			 naddrs;
		const uint8_t		*rec;
		size_t			 len;

		if (m->type != MSG_JOIN_OFFER) {
			conn_fail(c, "unexpected message");
			return;
		}
		if (offer_check(c, m, &why) == -1) {
			conn_fail(c, why);
			return;
		}
		naddrs = engine_self_addrs(e, addrs);
		if (mesh_set_identity(&e->mesh, c->join->name, addrs, naddrs) ==
		    -1 || mesh_adopt(&e->mesh, m->root, m->chain, m->nchain,
		    c->join->token_pk, engine_now(e), engine_unix_ms()) == -1) {
			conn_fail(c, "cannot take on the admission");
			return;
		}
		rec = wire_items_get(&m->items, 0, &len);
		mesh_accept(&e->mesh, rec, len, engine_now(e), engine_unix_ms(), 0);
		buf_init(&p, WIRE_MAX_FRAME);
		if (wire_record_encode(&p, MSG_JOIN_RECORD, e->mesh.self_env,
		    e->mesh.self_envlen) == 0)
			conn_send(c, 1, &p);
		buf_release(&p);
		c->step = ST_JOIN_WAIT_RECORDS;
		return;
	}
	case ST_JOIN_WAIT_RECORDS:
		if (m->type == MSG_RECORDS) {
			c->join->nrecords += m->items.n;
			conn_accept_records(c, m);
			return;
		}
		if (m->type == MSG_SYNC_DONE) {
			c->step = ST_DONE;
			engine_keep_pair_key(e, c->peer, c->key);
			log_info("joined the mesh through %s as \"%s\" (%u records)",
			    c->join->peer_text, e->mesh.name, c->join->nrecords);
			if (c->waiter) {
				struct buf	 b;

				ctlview_join(&b, e);
				ctl_reply(c->waiter, &b);
			}
			c->waiter = NULL;
			engine_save_now(e);
			engine_kick(e);
			conn_finish(c);
			return;
		}
		break;
	default:
		break;
	}
	conn_fail(c, "unexpected message");
}

/* join_on_close - the join did not finish: undo a half-taken admission and tell the user. */
void
join_on_close(struct conn *c, const char *why)
{
	struct engine	*e = c->e;

	struct join_ctx	*j = c->join;
	uint64_t	 now = engine_now(e), left;
	int64_t		 pause;

	if (e->mesh.joined && c->step == ST_JOIN_WAIT_RECORDS)
		mesh_forget(&e->mesh, now);
	c->step = ST_DONE;
	left = j != NULL && j->deadline > now ? j->deadline - now : 0;
	pause = backoff_pause(JOIN_PAUSE_MS, JOIN_PAUSE_MAX_MS,
	    j != NULL ? j->attempts : 1, left, randombytes_random());
	if (j != NULL && c->waiter != NULL && !e->stopping &&
	    join_may_retry(j->refused) && pause >= 0 &&
	    e->join_retry == NULL) {
		log_info("join through %s, attempt %u: %s; trying again in "
		    "%llu ms", j->peer_text, j->attempts, why,
		    (unsigned long long)pause);
		j->waiter = c->waiter;
		c->waiter = NULL;
		c->join = NULL;
		e->join_retry = j;
		uv_timer_start(&e->join_timer, join_retry_cb, pause, 0);
		return;
	}
	if (c->waiter) {
		ctl_reply_error(c->waiter, CTLF_UNAVAILABLE,
		    "join through %s failed: %s",
		    c->join ? c->join->peer_text : "?", why);
		c->waiter = NULL;
	}
}

/* mesh.c: accepts signed records, authors this node's own, admits joiners; pure logic. */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "node/core/array.h"
#include "node/core/log.h"
#include "node/core/mesh.h"
#include "proto/box.h"
#include "proto/cert.h"
#include "proto/compat.h"
#include "proto/envelope.h"
#include "proto/oprec.h"
#include "proto/parse.h"
#include "proto/token.h"

/* Items larger than this cannot ride on a datagram and travel by sync only. */
#define PIGGY_MAX	(WIRE_MAX_DATAGRAM - BOX_OVERHEAD - 48)
#define HOUSEKEEP_MS	2000

const char *const acc_names[ACC_NUM] = {
	"new", "duplicate", "stale", "forged", "malformed", "not_member",
	"limit", "nomem", "refused", "revoked", "not_operator",
};

void
mesh_config_default(struct mesh_config *c)
{
	memset(c, 0, sizeof(*c));
	mb_config_default(&c->mb);
	c->retransmit_mult = 4;
	c->tombstone_ttl_ms = 24ULL * 3600 * 1000;
	c->invite_grace_ms = 3600 * 1000;
	c->max_records_per_author = 1u << 20;
}

/* ---- the recently-seen set: a copy we verified moments ago is not verified again ---- */

static void
seen_init(struct seen *s)
{
	memset(s, 0, sizeof(*s));
	hmap_init(&s->idx);
}

struct seen_ctx {
	const struct seen	*s;
	uint64_t		 h;
};

/* The index keeps 8 bits of a hash; the ring holds all 64. */
static int
seen_eq(const void *ctx, uint32_t slot)
{
	const struct seen_ctx	*c = ctx;

	return c->s->ring[slot] == c->h;
}

static uint64_t
seen_rehash(const void *ctx, uint32_t slot)
{
	const struct seen	*s = ctx;

	return s->ring[slot];
}

static int
seen_has(const struct seen *s, uint64_t h)
{
	struct seen_ctx	 c = { s, h };

	return hmap_find(&s->idx, h, seen_eq, &c) != HMAP_EMPTY;
}

static void
seen_add(struct seen *s, uint64_t h)
{
	if (s->n == SEEN_SLOTS)
		hmap_del(&s->idx, s->ring[s->pos], s->pos);
	else
		s->n++;
	s->ring[s->pos] = h;
	hmap_put(&s->idx, h, s->pos, seen_rehash, s);
	s->pos = (s->pos + 1) % SEEN_SLOTS;
}

static void	token_mark_used(struct mesh *, const uint8_t token[WIRE_KEY],
		    const uint8_t subject[WIRE_KEY]);

static void
notify(struct mesh *m, const uint8_t author[WIRE_KEY], uint8_t kind,
    const uint8_t *key, size_t keylen)
{
	const struct rec	*r;

	if (m->on_record != NULL &&
	    (r = store_get(&m->store, author, kind, key, keylen)) != NULL)
		m->on_record(m->hook_ctx, r);
}

/* ---- set-up ---- */

int
mesh_init(struct mesh *m, const struct mesh_config *cfg,
    const uint8_t sk[SECRET_KEY], const char *name,
    const struct wire_addr *addrs, uint8_t naddrs, uint64_t seed, uint64_t now)
{
	memset(m, 0, sizeof(*m));
	m->cfg = *cfg;
	m->seed = seed;
	memcpy(m->sk, sk, SECRET_KEY);
	memcpy(m->id, sk + 32, WIRE_KEY);
	store_init(&m->store);
	bcast_init(&m->bc, 1024);
	seen_init(&m->seen);
	if (mb_init(&m->mb, &cfg->mb, m->id, 0, seed, now) == -1)
		return -1;
	return mesh_set_identity(m, name, addrs, naddrs);
}

int
mesh_set_identity(struct mesh *m, const char *name,
    const struct wire_addr *addrs, uint8_t naddrs)
{
	if (!wire_name_ok(name) || naddrs > WIRE_MAX_ADDRS)
		return -1;
	strlcpy(m->name, name, sizeof(m->name));
	memcpy(m->addrs, addrs, naddrs * sizeof(*addrs));
	m->naddrs = naddrs;
	strlcpy(m->mb.self->name, name, sizeof(m->mb.self->name));
	if (naddrs > 0)
		m->mb.self->addr = addrs[0];
	return 0;
}

int
mesh_set_lans(struct mesh *m, const struct wire_prefix *lans, uint32_t n)
{
	if (n > WIRE_MAX_LANS)
		return -1;
	if (n > 0)
		memcpy(m->lans, lans, n * sizeof(*lans));
	m->nlans = (uint16_t)n;
	return 0;
}

void
mesh_release(struct mesh *m)
{
	store_release(&m->store);
	mb_release(&m->mb);
	bcast_release(&m->bc);
	hmap_release(&m->seen.idx);
	free(m->used);
	free(m->reaped);
	free(m->self_env);
	policy_release(&m->pol);
	sodium_memzero(m->sk, sizeof(m->sk));
}

/* mesh_forget - after leaving: keep the identity and counter, drop the mesh. */
void
mesh_forget(struct mesh *m, uint64_t now)
{
	char		 name[WIRE_NAME_MAX + 1];
	struct wire_addr addrs[WIRE_MAX_ADDRS];
	struct wire_prefix lans[WIRE_MAX_LANS];
	uint8_t		 naddrs = m->naddrs, sk[SECRET_KEY];
	uint16_t	 nlans = m->nlans;
	uint64_t	 version = m->version;
	uint32_t	 life = m->life;
	struct mesh_config cfg = m->cfg;
	void		(*on_record)(void *, const struct rec *) = m->on_record;
	void		(*on_forget)(void *, const uint8_t *) = m->on_forget;
	void		*hook_ctx = m->hook_ctx;
	int		(*check_service)(void *, const uint8_t *,
			    const struct rec_service *, char *, size_t) =
			    m->check_service;
	void		(*on_policy)(void *) = m->on_policy;

	memcpy(name, m->name, sizeof(name));
	memcpy(addrs, m->addrs, sizeof(addrs));
	memcpy(lans, m->lans, sizeof(lans));
	memcpy(sk, m->sk, sizeof(sk));
	mesh_release(m);
	mesh_init(m, &cfg, sk, name, addrs, naddrs, m->seed + 1, now);
	m->version = version;
	m->life = life + 1;
	m->dirty = 1;
	mesh_set_lans(m, lans, nlans);
	m->on_record = on_record;
	m->on_forget = on_forget;
	m->hook_ctx = hook_ctx;
	m->check_service = check_service;
	m->on_policy = on_policy;
	sodium_memzero(sk, sizeof(sk));
}

uint64_t
mesh_next_version(struct mesh *m, uint64_t unix_ms)
{
	/* Wall-clock based, so a node that lost its counter still moves forward. */
	m->version = unix_ms > m->version ? unix_ms : m->version + 1;
	return m->version;
}

uint32_t
mesh_retransmit_limit(const struct mesh *m)
{
	return bcast_retransmit_limit(m->cfg.retransmit_mult, m->mb.n);
}

const char *
mesh_member_name(const struct mesh *m, const uint8_t id[WIRE_KEY])
{
	struct member	*mm = mb_get(&m->mb, id);

	return mm != NULL && mm->name[0] ? mm->name : "?";
}

static uint64_t
bcast_key(const uint8_t author[WIRE_KEY], uint8_t kind, const uint8_t *key,
    size_t keylen)
{
	uint8_t	 tmp[WIRE_KEY + 1];

	memcpy(tmp, author, WIRE_KEY);
	tmp[WIRE_KEY] = kind;
	return hmap_hash2(tmp, sizeof(tmp), key, keylen);
}

static void
spread(struct mesh *m, uint64_t key, const uint8_t *env, size_t len)
{
	if (len <= PIGGY_MAX)
		bcast_push(&m->bc, key, env, len);
}

/*
 * mesh_publish - sign a body this node authored, keep it and spread it.
 * The body's version must come from mesh_next_version().
 */
int
mesh_publish(struct mesh *m, const uint8_t *body, size_t len, uint64_t now)
{
	struct buf	 env;
	struct rec_head	 h;
	int		 rc = -1;

	if (!m->joined || rec_head_decode(body, len, &h) == -1)
		return -1;
	buf_init(&env, WIRE_MAX_RECORD);
	if (env_seal(&env, m->sk, m->mesh_id, body, len) == 0 &&
	    store_put(&m->store, m->id, &h, env.p, env.len, now) == STORE_NEW) {
		seen_add(&m->seen, hmap_hash(env.p, env.len));
		spread(m, bcast_key(m->id, h.kind, h.key, h.keylen), env.p,
		    env.len);
		notify(m, m->id, h.kind, h.key, h.keylen);
		if (h.kind == REC_NODE) {
			m->self_published = now;
			free(m->self_env);
			if ((m->self_env = malloc(env.len)) != NULL) {
				memcpy(m->self_env, env.p, env.len);
				m->self_envlen = (uint32_t)env.len;
			}
		}
		m->dirty = 1;
		rc = 0;
	}
	buf_release(&env);
	return rc;
}

int
mesh_publish_self(struct mesh *m, uint64_t now, uint64_t unix_ms)
{
	struct rec_node	 nd;
	struct buf	 body;
	uint64_t	 v;
	int		 rc = -1;

	if (!m->joined)
		return -1;
	memset(&nd, 0, sizeof(nd));
	strlcpy(nd.name, m->name, sizeof(nd.name));
	nd.naddrs = m->naddrs;
	memcpy(nd.addrs, m->addrs, sizeof(nd.addrs));
	nd.nchain = m->nchain;
	memcpy(nd.chain, m->chain, sizeof(nd.chain));
	nd.has_token = m->has_token;
	memcpy(nd.via_token, m->via_token, WIRE_KEY);
	nd.nlans = m->nlans;
	memcpy(nd.lans, m->lans, sizeof(nd.lans));
	nd.floor = m->floor;
	v = mesh_next_version(m, unix_ms);
	buf_init(&body, WIRE_MAX_RECORD);
	if (rec_node_encode(&body, v, m->left ? NODE_F_LEFT : 0, &nd) == 0 &&
	    mesh_publish(m, body.p, body.len, now) == 0) {
		mb_set_self_inc(&m->mb, v);
		rc = 0;
	}
	buf_release(&body);
	return rc;
}

/* mesh_set_root - the mesh this node is in: its root key, id and (empty) policy. */
void
mesh_set_root(struct mesh *m, const uint8_t root[WIRE_KEY])
{
	memcpy(m->root, root, WIRE_KEY);
	env_mesh_id(m->mesh_id, m->root);
	policy_release(&m->pol);
	policy_init(&m->pol, root);
}

int
mesh_found(struct mesh *m, const uint8_t root_sk[SECRET_KEY], uint64_t now,
    uint64_t unix_ms)
{
	mesh_set_root(m, root_sk + 32);
	cert_sign(&m->chain[0], root_sk, m->mesh_id, m->id, unix_ms / 1000);
	m->nchain = 1;
	m->has_token = 0;
	m->joined = 1;
	m->left = 0;
	return mesh_publish_self(m, now, unix_ms);
}

/* mesh_adopt - the joiner's side: take the chain a member issued and speak as a member. */
int
mesh_adopt(struct mesh *m, const uint8_t root[WIRE_KEY],
    const struct wire_cert *chain, uint8_t n, const uint8_t token_pub[WIRE_KEY],
    uint64_t now, uint64_t unix_ms)
{
	uint8_t	 mid[WIRE_MESH_ID];

	env_mesh_id(mid, root);
	if (cert_chain_verify(chain, n, root, mid, m->id) == -1)
		return -1;
	mesh_set_root(m, root);
	memcpy(m->chain, chain, n * sizeof(*chain));
	m->nchain = n;
	m->has_token = 1;
	memcpy(m->via_token, token_pub, WIRE_KEY);
	m->joined = 1;
	m->left = 0;
	token_mark_used(m, token_pub, m->id);
	return mesh_publish_self(m, now, unix_ms);
}

int
mesh_leave(struct mesh *m, uint64_t now, uint64_t unix_ms)
{
	if (!m->joined)
		return -1;
	m->left = 1;
	m->mb.self->state = M_LEFT;
	return mesh_publish_self(m, now, unix_ms);
}

int
mesh_invite(struct mesh *m, uint64_t ttl_ms, uint64_t now, uint64_t unix_ms,
    struct token *t)
{
	struct rec_invite iv;
	uint8_t		 pk[WIRE_KEY], sk[SECRET_KEY];
	struct buf	 body;
	int		 rc = -1;

	if (!m->joined || m->left)
		return -1;
	memcpy(t->mesh_id, m->mesh_id, WIRE_MESH_ID);
	randombytes_buf(t->seed, TOKEN_SEED);
	token_keypair(t, pk, sk);
	sodium_memzero(sk, sizeof(sk));
	iv.expires = (unix_ms + ttl_ms) / 1000;
	buf_init(&body, WIRE_MAX_RECORD);
	if (rec_invite_encode(&body, mesh_next_version(m, unix_ms), 0, pk,
	    &iv) == 0 && mesh_publish(m, body.p, body.len, now) == 0)
		rc = 0;
	buf_release(&body);
	return rc;
}

/* ---- admission ---- */

const struct used_token *
mesh_token_user(const struct mesh *m, const uint8_t token[WIRE_KEY])
{
	for (uint32_t i = 0; i < m->nused; i++)
		if (memcmp(m->used[i].token, token, WIRE_KEY) == 0)
			return &m->used[i];
	return NULL;
}

static void
token_mark_used(struct mesh *m, const uint8_t token[WIRE_KEY],
    const uint8_t subject[WIRE_KEY])
{
	struct used_token	*u;

	if (mesh_token_user(m, token) != NULL)
		return;
	if (array_reserve(&m->used, &m->capused, m->nused + 1,
	    sizeof(*m->used)) == -1)
		return;
	u = &m->used[m->nused++];
	memcpy(u->token, token, WIRE_KEY);
	memcpy(u->subject, subject, WIRE_KEY);
	u->subject_left = 0;
}

/*
 * tokens_spend - subject left the mesh: the tokens it used are used for
 * good, by it too.  Its retries end with its leave; it comes back only
 * with a token reserved for it after this (security.md, defence 26).
 */
static void
tokens_spend(struct mesh *m, const uint8_t subject[WIRE_KEY])
{
	for (uint32_t i = 0; i < m->nused; i++)
		if (memcmp(m->used[i].subject, subject, WIRE_KEY) == 0)
			m->used[i].subject_left = 1;
}

struct invite_find {
	const uint8_t		*token;
	const struct rec	*found;
};

static int
invite_find_cb(void *ctx, const struct rec *r)
{
	struct invite_find	*f = ctx;

	if (r->kind == REC_INVITE && r->keylen == WIRE_KEY &&
	    memcmp(rec_key(r), f->token, WIRE_KEY) == 0) {
		f->found = r;
		return 1;
	}
	return 0;
}

/*
 * token_taken - the token is used by a node other than joiner, or by
 * joiner before it left the mesh: say by whom when it is a member already
 * (a reservation can be ahead of its record).
 */
static int
token_taken(const struct mesh *m, const uint8_t token[WIRE_KEY],
    const uint8_t joiner[WIRE_KEY], char *err, size_t errlen)
{
	const struct used_token	*u = mesh_token_user(m, token);
	const struct member	*mm;

	if (u == NULL)
		return 0;
	if (memcmp(u->subject, joiner, WIRE_KEY) == 0) {
		if (!u->subject_left)
			return 0;
		snprintf(err, errlen, "the token was already used (by this "
		    "node, which has left the mesh since): a node that left "
		    "needs a new token");
		return 1;
	}
	if ((mm = mb_get(&m->mb, u->subject)) != NULL && mm->name[0])
		snprintf(err, errlen, "the token was already used (by node %s)",
		    mm->name);
	else
		snprintf(err, errlen, "the token was already used (by another "
		    "node)");
	return 1;
}

/*
 * invite_live - the invitation r (the one behind token) is neither withdrawn
 * nor expired.  Returns 0, or a WERR_* code with a message in err.
 */
static int
invite_live(const struct rec *r, uint64_t unix_ms, char *err, size_t errlen)
{
	const uint8_t		*body;
	size_t			 bodylen;
	struct rec_head		 h;
	struct rec_invite	 iv;

	if (r->flags & REC_F_DELETED) {
		snprintf(err, errlen, "the token was withdrawn or has expired");
		return WERR_TOKEN_EXPIRED;
	}
	body = rec_body(r, &bodylen);
	if (rec_invite_decode(body, bodylen, &h, &iv) == -1) {
		snprintf(err, errlen, "internal error reading the invitation");
		return WERR_INTERNAL;
	}
	if (unix_ms / 1000 >= iv.expires) {
		snprintf(err, errlen, "the token expired %llu s ago",
		    (unsigned long long)(unix_ms / 1000 - iv.expires));
		return WERR_TOKEN_EXPIRED;
	}
	return 0;
}

/*
 * mesh_admit_check - the checks of a join at the member the joiner asked:
 * the invitation behind the token is known here and live, not used by
 * another node (nor by the joiner before it left) as far as this member
 * knows, the joiner's proof that it holds the token's secret verifies, its
 * name is free and this member's chain can take one more link.  inviter is set to the member that made
 * the token: it alone decides whether the token is still unused
 * (mesh_token_reserve()).  Returns 0, or a WERR_* code with a message for
 * the joiner in err.
 */
int
mesh_admit_check(struct mesh *m, const struct wire_msg *hello,
    uint64_t unix_ms, uint8_t inviter[WIRE_KEY], char *err, size_t errlen)
{
	struct invite_find	 f = { hello->token_pub, NULL };
	int			 code;

	if (!m->joined || m->left) {
		snprintf(err, errlen, "this node is not in a mesh");
		return WERR_NOT_MEMBER;
	}
	if (sodium_memcmp(hello->mesh_id, m->mesh_id, WIRE_MESH_ID) != 0) {
		snprintf(err, errlen, "the token belongs to another mesh");
		return WERR_WRONG_MESH;
	}
	store_foreach(&m->store, invite_find_cb, &f);
	if (f.found == NULL) {
		snprintf(err, errlen, "no invitation with this token is known "
		    "here: it was made up, or its invitation has not reached "
		    "this member yet");
		return WERR_TOKEN_UNKNOWN;
	}
	if (token_taken(m, hello->token_pub, hello->joiner, err, errlen))
		return WERR_TOKEN_USED;
	if ((code = invite_live(f.found, unix_ms, err, errlen)) != 0)
		return code;
	if (token_proof_verify(hello->token_sig, hello->token_pub, m->mesh_id,
	    hello->joiner) == -1) {
		snprintf(err, errlen, "the proof of holding the token is invalid");
		return WERR_BAD_PROOF;
	}
	if (policy_revoked(&m->pol, hello->joiner) != NULL) {
		snprintf(err, errlen, "this node's key was revoked by an "
		    "operator: it cannot join this mesh again");
		return WERR_REVOKED;
	}
	for (uint32_t i = 0; i < m->mb.n; i++) {
		const struct member	*mm = m->mb.m[i];

		if (mm->state != M_LEFT && strcmp(mm->name, hello->name) == 0 &&
		    memcmp(mm->id, hello->joiner, WIRE_KEY) != 0) {
			snprintf(err, errlen, "the name \"%s\" is taken by "
			    "another node; choose one with --name", hello->name);
			return WERR_NAME_TAKEN;
		}
	}
	if (m->nchain + 1 > WIRE_MAX_CHAIN) {
		snprintf(err, errlen, "this member's admission chain is full; "
		    "join through a node closer to the mesh's founder");
		return WERR_CHAIN_TOO_DEEP;
	}
	memcpy(inviter, f.found->author, WIRE_KEY);
	return 0;
}

/*
 * mesh_token_reserve - the inviter's side: this node made the invitation
 * behind token, and is the one place that decides whether it is used.  The
 * invitation must be this node's own and live, the proof must verify, and
 * the token must be unused or used by joiner already (a join cut short is
 * retried), but not before joiner left the mesh; then it is marked used by
 * joiner.  Returns 0, or a WERR_* code
 * with a message for the joiner in err.
 */
int
mesh_token_reserve(struct mesh *m, const uint8_t token[WIRE_KEY],
    const uint8_t joiner[WIRE_KEY], const uint8_t proof[WIRE_SIG],
    uint64_t unix_ms, char *err, size_t errlen)
{
	const struct rec	*r;
	const struct used_token	*u;
	int			 code;

	if (!m->joined || m->left) {
		snprintf(err, errlen, "the member that made this token is not "
		    "in the mesh any more");
		return WERR_NOT_MEMBER;
	}
	if ((r = store_get(&m->store, m->id, REC_INVITE, token,
	    WIRE_KEY)) == NULL) {
		snprintf(err, errlen, "the member asked to reserve the token "
		    "did not make it");
		return WERR_TOKEN_UNKNOWN;
	}
	if (token_taken(m, token, joiner, err, errlen))
		return WERR_TOKEN_USED;
	if ((code = invite_live(r, unix_ms, err, errlen)) != 0)
		return code;
	if (token_proof_verify(proof, token, m->mesh_id, joiner) == -1) {
		snprintf(err, errlen, "the proof of holding the token is invalid");
		return WERR_BAD_PROOF;
	}
	token_mark_used(m, token, joiner);
	if ((u = mesh_token_user(m, token)) == NULL ||
	    memcmp(u->subject, joiner, WIRE_KEY) != 0) {
		snprintf(err, errlen, "out of memory reserving the token");
		return WERR_INTERNAL;
	}
	return 0;
}

/* mesh_token_reserved - the inviter answered: it reserved token for joiner. */
void
mesh_token_reserved(struct mesh *m, const uint8_t token[WIRE_KEY],
    const uint8_t joiner[WIRE_KEY])
{
	token_mark_used(m, token, joiner);
}

/*
 * mesh_admit - a member's side of a join: mesh_admit_check(), then the
 * token must be reserved for the joiner: by this node, when it made the
 * token (mesh_token_reserve()), or by its inviter beforehand
 * (mesh_token_reserved(), or the joiner's own node record when it retries);
 * then vouch for the joiner with one more link on this node's own chain.
 * Returns 0, or a WERR_* code with a message for the joiner in err.
 */
int
mesh_admit(struct mesh *m, const struct wire_msg *hello, uint64_t unix_ms,
    struct wire_cert *chain, uint8_t *nchain, char *err, size_t errlen)
{
	const struct used_token	*u;
	uint8_t			 inviter[WIRE_KEY];
	int			 code;

	code = mesh_admit_check(m, hello, unix_ms, inviter, err, errlen);
	if (code != 0)
		return code;
	if (memcmp(inviter, m->id, WIRE_KEY) == 0)
		code = mesh_token_reserve(m, hello->token_pub, hello->joiner,
		    hello->token_sig, unix_ms, err, errlen);
	else if ((u = mesh_token_user(m, hello->token_pub)) == NULL ||
	    memcmp(u->subject, hello->joiner, WIRE_KEY) != 0) {
		snprintf(err, errlen, "the member that made this token (%s) "
		    "has not reserved it for this node",
		    mesh_member_name(m, inviter));
		code = WERR_INTERNAL;
	}
	if (code != 0)
		return code;
	memcpy(chain, m->chain, m->nchain * sizeof(*chain));
	cert_sign(&chain[m->nchain], m->sk, m->mesh_id, hello->joiner,
	    unix_ms / 1000);
	*nchain = m->nchain + 1;
	return 0;
}

/* ---- incoming records ---- */

int
mesh_is_member(const struct mesh *m, const uint8_t id[WIRE_KEY])
{
	const struct member	*mm = mb_get(&m->mb, id);

	return mm != NULL && !mm->self && mm->state != M_LEFT;
}

static int
reaped_blocks(const struct mesh *m, const uint8_t id[WIRE_KEY], uint64_t v)
{
	for (uint32_t i = 0; i < m->nreaped; i++)
		if (memcmp(m->reaped[i].id, id, WIRE_KEY) == 0)
			return v <= m->reaped[i].inc;
	return 0;
}

/* The version of the "left" record a node published, 0: it has not left. */
static uint64_t
left_at(const struct mesh *m, const uint8_t id[WIRE_KEY])
{
	const struct rec	*r = store_get(&m->store, id, REC_NODE, NULL, 0);

	return r != NULL && (r->flags & NODE_F_LEFT) ? r->version : 0;
}

/*
 * same_admission - nd rests on the admission that author's held node
 * record rests on (the same last link, byte for byte): no new token.
 */
static int
same_admission(const struct mesh *m, const uint8_t *author,
    const struct rec_node *nd)
{
	const struct rec	*r = store_get(&m->store, author, REC_NODE, NULL, 0);
	const uint8_t		*body;
	size_t			 bodylen;
	struct rec_head		 h;
	struct rec_node		*held;
	int			 same = 1;	/* when in doubt, refuse */

	if (r == NULL || (held = malloc(sizeof(*held))) == NULL)
		return same;
	body = rec_body(r, &bodylen);
	if (rec_node_decode(body, bodylen, &h, held) == 0 && held->nchain > 0)
		same = memcmp(&held->chain[held->nchain - 1],
		    &nd->chain[nd->nchain - 1], sizeof(nd->chain[0])) == 0;
	free(held);
	return same;
}

/* chain_hash - a digest of an admission chain of n links, as sent. */
static void
chain_hash(uint8_t out[16], const struct wire_cert *chain, uint8_t n)
{
	crypto_generichash_state st;
	uint8_t			 b[8];

	crypto_generichash_init(&st, NULL, 0, 16);
	b[0] = n;
	crypto_generichash_update(&st, b, 1);
	for (uint8_t i = 0; i < n; i++) {
		for (int k = 0; k < 8; k++)
			b[k] = (uint8_t)(chain[i].issued >> (8 * k));
		crypto_generichash_update(&st, chain[i].subject, WIRE_KEY);
		crypto_generichash_update(&st, b, 8);
		crypto_generichash_update(&st, chain[i].sig, WIRE_SIG);
	}
	crypto_generichash_final(&st, out, 16);
}

/*
 * chain_verify - author's admission chain.  All links but the last are
 * the chain of the one who issued the last: when that is this node, or a
 * member whose own chain, the same links, was verified when its record
 * came (chain_ok), only the last link is checked.  Where the founder
 * admits everyone each chain is root -> founder -> member, and the first
 * link, the same every time, was a third of a burst's signature checks.
 */
static int
chain_verify(struct mesh *m, const struct wire_cert *chain, uint8_t n,
    const uint8_t author[WIRE_KEY])
{
	const uint8_t		*issuer, *held = NULL;
	const struct member	*mi;
	uint8_t			 pre[16], own[16];

	if (n >= 2 && n <= WIRE_MAX_CHAIN) {
		issuer = chain[n - 2].subject;
		if (memcmp(issuer, m->id, WIRE_KEY) == 0) {
			chain_hash(own, m->chain, m->nchain);
			held = own;
		} else if ((mi = mb_get(&m->mb, issuer)) != NULL)
			held = mi->chain_ok;
		if (held != NULL) {
			chain_hash(pre, chain, n - 1);
			if (sodium_memcmp(held, pre, sizeof(pre)) == 0) {
				/* the last link, the issuer in the root's place */
				m->links_checked++;
				return cert_chain_verify(&chain[n - 1], 1, issuer,
				    m->mesh_id, author);
			}
		}
	}
	m->links_checked += n;
	return cert_chain_verify(chain, n, m->root, m->mesh_id, author);
}

/*
 * chain_refused - an admission is void when its issuer had left or been
 * revoked before it was signed (certificates carry seconds), and a node
 * that left comes back only through a new admission (a new token): a
 * copy of its state directory holds only the old one.
 */
static int
chain_refused(struct mesh *m, const uint8_t *author, const struct rec_head *h,
    const struct rec_node *nd)
{
	const struct revocation	*rv;
	uint64_t		 left;

	if (nd->nchain == 0)
		return -1;
	for (uint8_t i = 1; i < nd->nchain; i++) {
		const uint8_t	*issuer = nd->chain[i - 1].subject;
		uint64_t	 t = nd->chain[i].issued;

		if ((rv = policy_revoked(&m->pol, issuer)) != NULL &&
		    t >= rv->at / 1000) {
			snprintf(m->why, sizeof(m->why), "admitted by a revoked "
			    "node after its revocation");
			return -1;
		}
		if (memcmp(issuer, author, WIRE_KEY) != 0 &&
		    (left = left_at(m, issuer)) != 0 && t > left / 1000) {
			snprintf(m->why, sizeof(m->why), "admitted by a node "
			    "after it left");
			return -1;
		}
	}
	if (!(h->flags & NODE_F_LEFT) && left_at(m, author) != 0 &&
	    same_admission(m, author, nd)) {
		snprintf(m->why, sizeof(m->why), "the node left the mesh; it "
		    "comes back only with a new token");
		return -1;
	}
	return 0;
}

static enum acc
accept_node(struct mesh *m, const uint8_t *author, const struct rec_head *h,
    const uint8_t *env, size_t len, const uint8_t *body, size_t bodylen,
    uint64_t now, uint64_t unix_ms, int flags)
{
	struct rec_node	 nd;
	struct member	*mm;
	struct rec_head	 h2;
	uint8_t		 ch[16];

	if (memcmp(author, m->id, WIRE_KEY) == 0) {
		/* Our own floor, from the state file or a member's copy. */
		if (rec_node_decode(body, bodylen, &h2, &nd) == 0 &&
		    nd.floor > m->floor) {
			m->floor = nd.floor;
			store_set_floor(&m->store, m->id, m->floor);
		}
		/*
		 * Someone holds a newer copy of our own record than we do (we
		 * lost our state): move our counter past it and speak again.
		 */
		if (h->version > m->version) {
			m->version = h->version;
			mesh_publish_self(m, now, unix_ms);
		}
		return ACC_STALE;
	}
	if (reaped_blocks(m, author, h->version) ||
	    !store_is_newer(&m->store, author, h))
		return ACC_STALE;
	if (rec_node_decode(body, bodylen, &h2, &nd) == -1)
		return ACC_MALFORMED;
	/*
	 * Each new version of a member's record (a refutation, a new
	 * address) carries the same admission chain: verify it once.
	 */
	chain_hash(ch, nd.chain, nd.nchain);
	mm = mb_get(&m->mb, author);
	if (!(flags & MESH_TRUSTED) && (mm == NULL ||
	    sodium_memcmp(mm->chain_ok, ch, sizeof(ch)) != 0) &&
	    chain_verify(m, nd.chain, nd.nchain, author) == -1)
		return ACC_NOT_MEMBER;
	if (chain_refused(m, author, h, &nd) == -1)
		return ACC_REFUSED;
	if (store_put(&m->store, author, h, env, len, now) != STORE_NEW)
		return ACC_NOMEM;
	store_set_floor(&m->store, author, nd.floor);
	mb_on_alive(&m->mb, author, h->version, (h->flags & NODE_F_LEFT) != 0,
	    now);
	if ((mm = mb_get(&m->mb, author)) != NULL) {
		memcpy(mm->chain_ok, ch, sizeof(ch));
		strlcpy(mm->name, nd.name, sizeof(mm->name));
		if (nd.naddrs > 0 && !addr_eq(&mm->addr, &nd.addrs[0])) {
			mm->addr = nd.addrs[0];
		}
	}
	if (nd.has_token)
		token_mark_used(m, nd.via_token, author);
	if (h->flags & NODE_F_LEFT)
		tokens_spend(m, author);
	notify(m, author, REC_NODE, NULL, 0);
	return ACC_NEW;
}

/*
 * A claim carries its author's wall clock; ours may differ from it by this
 * much.  (If they differ by more, a fresh claim may look old here: we then
 * keep the member until our own probes accuse it.)
 */
#define CLAIM_SKEW_MS	5000

/*
 * heard_since - the member spoke to us (a ping, an ack, a ping-req, a nack)
 * well after the claim about it was made: it was alive since, and the claim
 * is old news at its incarnation.  After a partition each side holds claims
 * that the other side's members failed, and a sync across hands them over;
 * without this, a node that synced would mark members of its own side
 * failed (no probes or gossip to them, no routes to them in its data
 * plane) until each of them had refuted.
 */
static int
heard_since(const struct member *mm, uint64_t claimed, uint64_t now,
    uint64_t unix_ms)
{
	uint64_t	 ago;

	if (mm->last_heard == 0 || mm->last_heard > now)
		return 0;
	ago = now - mm->last_heard;
	return unix_ms > ago && claimed + CLAIM_SKEW_MS < unix_ms - ago;
}

static enum acc
accept_notice(struct mesh *m, const uint8_t *author, const uint8_t *env,
    size_t len, const uint8_t *body, size_t bodylen, uint64_t now,
    uint64_t unix_ms, int relay)
{
	struct rec_head		 h;
	struct rec_notice	 nt;
	uint8_t			 subject[WIRE_KEY];
	struct member		*mm;

	if (rec_notice_decode(body, bodylen, &h, subject, &nt) == -1)
		return ACC_MALFORMED;
	if (!mesh_is_member(m, author))
		return ACC_NOT_MEMBER;
	if ((mm = mb_get(&m->mb, subject)) != NULL && !mm->self &&
	    mm->state == M_ALIVE && nt.incarnation == mm->inc &&
	    heard_since(mm, h.version, now, unix_ms))
		return ACC_STALE;
	if (!mb_on_notice(&m->mb, author, subject, nt.incarnation, nt.state,
	    now))
		return ACC_STALE;
	if ((mm = mb_get(&m->mb, subject)) != NULL) {
		uint8_t	*copy = malloc(len);

		if (copy != NULL) {
			memcpy(copy, env, len);
			free(mm->notice);
			mm->notice = copy;
			mm->noticelen = (uint32_t)len;
		}
	}
	if (relay)
		spread(m, bcast_key(author, REC_NOTICE, subject, WIRE_KEY), env,
		    len);
	return ACC_NEW;
}

static void mesh_actions(struct mesh *, uint64_t now, uint64_t unix_ms);

/* The policy changed: derive it again and carry out what it says. */
static void
policy_changed(struct mesh *m, uint64_t now)
{
	if (policy_rebuild(&m->pol, &m->store) == -1)
		return;
	for (uint32_t i = 0; i < m->pol.nrevs; i++)
		mb_revoke(&m->mb, m->pol.revs[i].node, now);
	if (m->on_policy != NULL)
		m->on_policy(m->hook_ctx);
}

/*
 * accept_statement - an operator statement: kept (each is its own record)
 * when its signer may make it under the policy as it stands.
 */
static enum acc
accept_statement(struct mesh *m, const uint8_t *author,
    const struct rec_head *h, const uint8_t *env, size_t len,
    const uint8_t *body, size_t bodylen, uint64_t now)
{
	struct oprec	*o;
	enum acc	 r;

	if ((o = malloc(sizeof(*o))) == NULL)
		return ACC_NOMEM;
	if (oprec_decode(body, bodylen, o) == -1)
		r = ACC_MALFORMED;
	else if (policy_may_sign(&m->pol, author, o, m->why,
	    sizeof(m->why)) == -1)
		r = ACC_NOT_OPERATOR;
	else if (!store_is_newer(&m->store, author, h))
		r = ACC_STALE;
	else if (store_put(&m->store, author, h, env, len, now) != STORE_NEW)
		r = ACC_NOMEM;
	else {
		policy_changed(m, now);
		notify(m, author, h->kind, h->key, h->keylen);
		r = ACC_NEW;
	}
	free(o);
	return r;
}

/* The kinds only a member may author (mesh_accept()'s last case). */
static int
member_kind(uint8_t kind)
{
	return kind == REC_INVITE || kind == REC_SERVICE ||
	    kind == REC_HEALTH || kind == REC_PROGRAMMED;
}

/*
 * may_author - may another node author a record of a member_kind()?  A
 * member may; so may a member that left, to withdraw what it had: its
 * tombstones can arrive after its "left" record (gossip does not keep
 * order), and deleting widens nobody's access.
 */
static int
may_author(const struct mesh *m, const uint8_t author[WIRE_KEY],
    const struct rec_head *h)
{
	return mesh_is_member(m, author) || ((h->flags & REC_F_DELETED) &&
	    mb_get(&m->mb, author) != NULL);
}

/*
 * mesh_accept - the one way a record from outside enters: the signature is
 * checked before the body is decoded past its head (kind, key, version,
 * which only decide whether a check is worth paying for), then membership,
 * then freshness (MESH_TRUSTED, this node's authenticated state file, skips the
 * signature only).  Every outcome is counted.  News heard by gossip is passed on
 * (MESH_RELAY); what a sync, a join or the state file brings is not, since
 * whoever had it is spreading it already (memberlist does the same with
 * push/pull state).
 */
enum acc
mesh_accept(struct mesh *m, const uint8_t *env, size_t len, uint64_t now,
    uint64_t unix_ms, int flags)
{
	const uint8_t	*author, *body;
	size_t		 bodylen;
	struct rec_head	 h;
	uint64_t	 sh;
	enum acc	 r;

	if (!m->joined) {
		r = ACC_NOT_MEMBER;
		goto out;
	}
	if (env_peek(env, len, &author, &body, &bodylen) == -1) {
		r = ACC_MALFORMED;
		goto out;
	}
	sh = hmap_hash(env, len);
	if (seen_has(&m->seen, sh)) {
		r = ACC_DUP;
		goto out;
	}
	/*
	 * Another member's record no newer than the copy held here changes
	 * nothing, whoever signed it: gossip and pulls bring each record many
	 * times, so drop those before paying for a signature check.  (Our
	 * own records are checked first: their versions move our counter.)
	 * Nor is a signature checked for a record of a node that is not a
	 * member here (yet): it would be refused once checked, and that
	 * refusal is not remembered (its node record may come next).  A
	 * revoked node's records are checked, refused as revoked and
	 * remembered, as before.  In a
	 * burst of joins a member's invitation or report often came before
	 * its node record, and every copy and every retry of it cost a check.
	 */
	if (memcmp(author, m->id, WIRE_KEY) != 0 &&
	    rec_head_decode(body, bodylen, &h) == 0 && h.kind != REC_NOTICE) {
		if (!store_is_newer(&m->store, author, &h)) {
			r = ACC_STALE;
			goto out;
		}
		if (member_kind(h.kind) && !may_author(m, author, &h) &&
		    policy_revoked(&m->pol, author) == NULL) {
			r = ACC_NOT_MEMBER;
			goto out;
		}
	}
	if (!(flags & MESH_TRUSTED) &&
	    env_open(env, len, m->mesh_id, &author, &body, &bodylen) == -1) {
		r = ACC_FORGED;
		goto out;
	}
	if (rec_head_decode(body, bodylen, &h) == -1) {
		r = ACC_MALFORMED;
		seen_add(&m->seen, sh);
		goto out;
	}
	m->why[0] = '\0';
	if (policy_revoked(&m->pol, author) != NULL) {
		snprintf(m->why, sizeof(m->why), "its author was revoked");
		r = ACC_REVOKED;
		seen_add(&m->seen, sh);
		goto out;
	}
	switch (h.kind) {
	case REC_OPERATOR:
	case REC_GRANT:
	case REC_REVOKE:
	case REC_APPROVE:
		r = accept_statement(m, author, &h, env, len, body, bodylen,
		    now);
		break;
	case REC_NODE:
		r = accept_node(m, author, &h, env, len, body, bodylen, now,
		    unix_ms, flags);
		break;
	case REC_NOTICE:
		r = accept_notice(m, author, env, len, body, bodylen, now,
		    unix_ms, flags & MESH_RELAY);
		break;
	case REC_INVITE:
	case REC_SERVICE:
	case REC_HEALTH:
	case REC_PROGRAMMED: {
		const struct author	*a;
		struct rec_invite	 iv;
		struct rec_head		 h2;

		if (h.kind == REC_INVITE &&
		    rec_invite_decode(body, bodylen, &h2, &iv) == -1) {
			r = ACC_MALFORMED;
			break;
		}
		if (h.kind == REC_SERVICE) {
			struct rec_service	 sv;

			if (rec_service_decode(body, bodylen, &h2, &sv) == -1) {
				r = ACC_MALFORMED;
				break;
			}
			if (!(h.flags & REC_F_DELETED) &&
			    m->check_service != NULL &&
			    m->check_service(m->hook_ctx, author, &sv, m->why,
			    sizeof(m->why)) == -1) {
				r = ACC_REFUSED;
				break;
			}
		}
		if (h.kind == REC_HEALTH) {
			struct rec_health	 hl;

			if (rec_health_decode(body, bodylen, &h2, &hl) == -1) {
				r = ACC_MALFORMED;
				break;
			}
		}
		if (h.kind == REC_PROGRAMMED) {
			struct rec_programmed	 pr;

			if (rec_programmed_decode(body, bodylen, &h2, &pr) == -1) {
				r = ACC_MALFORMED;
				break;
			}
		}
		if (memcmp(author, m->id, WIRE_KEY) != 0 &&
		    !may_author(m, author, &h)) {
			r = ACC_NOT_MEMBER;
			break;
		}
		if (!store_is_newer(&m->store, author, &h)) {
			r = ACC_STALE;
			break;
		}
		a = store_author(&m->store, author);
		if (a != NULL && a->nrecs >= m->cfg.max_records_per_author &&
		    store_get(&m->store, author, h.kind, h.key, h.keylen) ==
		    NULL) {
			r = ACC_LIMIT;
			break;
		}
		if (store_put(&m->store, author, &h, env, len, now) != STORE_NEW) {
			r = ACC_NOMEM;
			break;
		}
		if (memcmp(author, m->id, WIRE_KEY) == 0 && h.version > m->version)
			m->version = h.version;
		notify(m, author, h.kind, h.key, h.keylen);
		r = ACC_NEW;
		break;
	}
	default:
		r = ACC_MALFORMED;
		break;
	}
	/*
	 * Only a final verdict is remembered: a record refused because its
	 * author's node record has not arrived yet must get another chance.
	 */
	if (r == ACC_NEW || r == ACC_STALE || r == ACC_MALFORMED ||
	    r == ACC_REVOKED)
		seen_add(&m->seen, sh);
	if (r == ACC_NEW && h.kind != REC_NOTICE) {
		if (flags & MESH_RELAY)
			spread(m, bcast_key(author, h.kind, h.key, h.keylen), env,
			    len);
		m->dirty = 1;
	}
	mesh_actions(m, now, unix_ms);
out:
	m->counters[r]++;
	return r;
}

/*
 * mesh_batch_start - take a batch of records (a sync frame, a datagram,
 * the state file) to be checked in steps, so that a large one need not
 * hold the caller's loop (mesh_batch_step()).  The items become the
 * batch's; *it is left empty.  The batch is for m as it is now: once
 * mesh_forget() has emptied it (the node left), the rest is dropped.
 * 0, or -1 when out of memory (then nothing is taken).
 */
int
mesh_batch_start(struct mesh_batch *b, const struct mesh *m,
    struct wire_items *it)
{
	memset(b, 0, sizeof(*b));
	if (it->n > 0 && (b->again = calloc(it->n, 1)) == NULL)
		return -1;
	b->items = *it;
	b->life = m->life;
	memset(it, 0, sizeof(*it));
	return 0;
}

/*
 * mesh_batch_step - check up to budget records of the batch.  Records may
 * depend on others later in it (a member's records on its node record, a
 * grant on its operator's enrolment), so what was refused for a missing
 * dependency is tried again, once the whole batch has been seen, while
 * that makes progress.  1 once the batch is done, else 0.
 */
int
mesh_batch_step(struct mesh *m, struct mesh_batch *b, uint32_t budget,
    uint64_t now, uint64_t unix_ms, int flags)
{
	const struct wire_items	*it = &b->items;

	if (b->life != m->life)
		b->pass = 4;
	while (b->pass < 4) {
		for (; b->i < it->n; b->i++) {
			uint32_t	 i = b->i;
			size_t		 len;
			const uint8_t	*p;
			enum acc	 r;

			if (b->pass > 0 && !b->again[i])
				continue;
			if (budget == 0)
				return 0;
			budget--;
			p = wire_items_get(it, i, &len);
			/* A record is counted once, with its last verdict. */
			if (b->again[i])
				m->counters[b->again[i] - 1]--;
			r = mesh_accept(m, p, len, now, unix_ms, flags);
			b->again[i] = r == ACC_NOT_MEMBER ||
			    r == ACC_NOT_OPERATOR || r == ACC_REFUSED ?
			    (uint8_t)(r + 1) : 0;
			b->nagain += b->again[i] != 0;
			/* (a verdict that ends its record's tries: once) */
			if (r == ACC_FORGED || r == ACC_MALFORMED)
				b->nbad++;
		}
		if (b->nagain == 0 || (b->pass > 0 && b->nagain == b->last))
			break;
		b->pass++;
		b->last = b->nagain;
		b->nagain = 0;
		b->i = 0;
	}
	b->pass = 4;
	return 1;
}

void
mesh_batch_release(struct mesh_batch *b)
{
	wire_items_release(&b->items);
	free(b->again);
	memset(b, 0, sizeof(*b));
}

/* mesh_accept_items - a batch checked whole, in one step. */
void
mesh_accept_items(struct mesh *m, const struct wire_items *it, uint64_t now,
    uint64_t unix_ms, int flags, uint64_t *nbad)
{
	struct mesh_batch	 b;
	struct wire_items	 view = *it;

	/* The caller keeps its items: the batch borrows them. */
	if (it->n == 0 || mesh_batch_start(&b, m, &view) == -1)
		return;
	mesh_batch_step(m, &b, UINT32_MAX, now, unix_ms, flags);
	if (nbad != NULL)
		*nbad += b.nbad;
	free(b.again);
}

/* A pull from one peer at most this often (a new summary is not news). */
#define PULL_GAP_MS	1000

/*
 * mesh_want_pull - anti-entropy: a member's ping or ack carried its store
 * summary (hash, sum); 1 when we should sync with it now, and the sync
 * moves records both ways.  A peer whose summary shows records we lack is
 * asked at once (at most once a second per peer); when the summaries
 * differ without an order, the lower id pulls.  A member we held failed
 * when its message came (was_failed) is asked whatever the order says: it
 * was cut off from us, and after a partition it holds the other side's
 * records and claims.  Each side's sum has often just grown by its own
 * refutation, so each would leave the pull to the other.
 */
int
mesh_want_pull(const struct mesh *m, struct member *mm, uint64_t hash,
    uint64_t sum, int was_failed, uint64_t now)
{
	const struct store	*st = &m->store;

	if (hash == st->hash)
		return 0;
	if (!was_failed && (sum < st->sum || (sum == st->sum &&
	    memcmp(m->id, mm->id, WIRE_KEY) > 0)))
		return 0;
	if (mm->last_pull != 0 && now - mm->last_pull < PULL_GAP_MS)
		return 0;
	mm->last_pull = now;
	return 1;
}

/*
 * The pulls of a chain start at least this far apart, and further in a
 * large mesh: each pull trades two digests of 48 bytes a member, so 4 ms a
 * member keeps a chain's digests under about 200 kbit/s (N = 1,000: one
 * pull in 4 s).
 */
#define PULL_CHAIN_GAP_MS	500
#define PULL_CHAIN_MS_PER_MEMBER 4

/*
 * mesh_pull_done - a pull from peer has ended; news: it brought records we
 * lacked.  Then the next pull is due at once (or PULL_CHAIN_GAP_MS after
 * the chain's last one), from another member picked at random
 * (mesh_pull_due()): anti-entropy with feedback, which goes on while an
 * exchange teaches something and stops at the first that teaches nothing
 * (Demers et al., "Epidemic algorithms for replicated database
 * maintenance", 1987).  The probes' summaries start a pull about once a
 * second; in a burst of joins that left a new member known to a few nodes
 * for seconds, while gossip's retransmissions were spent on others.  An
 * idle mesh starts no chain: its summaries agree.
 */
void
mesh_pull_done(struct mesh *m, const uint8_t peer[WIRE_KEY], int news,
    uint64_t now)
{
	uint64_t	 gap = (uint64_t)m->mb.n * PULL_CHAIN_MS_PER_MEMBER;

	if (!news || !m->joined || m->left)
		return;
	if (gap < PULL_CHAIN_GAP_MS)
		gap = PULL_CHAIN_GAP_MS;
	m->pull_at = m->pull_last != 0 && now - m->pull_last < gap ?
	    m->pull_last + gap : now;
	memcpy(m->pull_from, peer, WIRE_KEY);
}

/*
 * mesh_next_wakeup - when the mesh next needs a tick: a member's timer or
 * a due pull, and at least once a second (once every 2 s outside a mesh).
 */
uint64_t
mesh_next_wakeup(const struct mesh *m, uint64_t now)
{
	uint64_t	 next;

	if (!m->joined || m->left)
		return now + 2000;
	next = mb_next_wakeup(&m->mb, now);
	if (next > now + 1000)
		next = now + 1000;
	if (m->pull_at != 0 && next > m->pull_at)
		next = m->pull_at;
	return next;
}

/* mesh_pull_due - the member to pull from now, for a chain; or NULL. */
struct member *
mesh_pull_due(struct mesh *m, uint64_t now)
{
	struct member	*mm;

	if (m->pull_at == 0 || now < m->pull_at)
		return NULL;
	m->pull_at = 0;
	if ((mm = mb_random_alive(&m->mb, m->pull_from)) == NULL)
		return NULL;
	mm->last_pull = m->pull_last = now;
	return mm;
}

/* Gossip has spread a new node record to everyone well within this. */
#define SELF_RIDE_MS	10000

/*
 * mesh_piggyback - the records riding on a probe of type to m, at most
 * MESH_MAX_PIGGY in budget bytes: the claim about m itself when m is under
 * suspicion (Lifeguard's buddy system: it can refute at once); on a PING in
 * the first seconds after we published our record, that record, if m has
 * not answered since (m may not know us yet and would drop the ping); then
 * the broadcast queue.  The engine and the simulator both send these.
 */
uint32_t
mesh_piggyback(struct mesh *mesh, const struct member *m, uint8_t type,
    uint64_t now, const uint8_t **items, size_t *lens, size_t budget)
{
	uint32_t	 n = 0;

	if (m != NULL && m->state != M_ALIVE && m->notice != NULL &&
	    wire_item_cost(m->noticelen) <= budget) {
		items[n] = m->notice;
		lens[n] = m->noticelen;
		budget -= wire_item_cost(lens[n++]);
	}
	if (m != NULL && type == MSG_PING && m->last_ack < mesh->self_published &&
	    now - mesh->self_published < SELF_RIDE_MS &&
	    mesh->self_env != NULL &&
	    wire_item_cost(mesh->self_envlen) <= budget) {
		items[n] = mesh->self_env;
		lens[n] = mesh->self_envlen;
		budget -= wire_item_cost(lens[n++]);
	}
	n += bcast_fill(&mesh->bc, budget, mesh_retransmit_limit(mesh),
	    wire_item_cost, items + n, lens + n, MESH_MAX_PIGGY - n);
	return n;
}

/* ---- actions the membership machine asks of the mesh ---- */

static void
notice_author(struct mesh *m, const struct mb_action *a, uint64_t unix_ms)
{
	struct rec_notice	 nt = { a->inc, a->state };
	struct buf		 body, env;
	struct member		*mm = mb_get(&m->mb, a->subject);

	buf_init(&body, WIRE_MAX_RECORD);
	buf_init(&env, WIRE_MAX_RECORD);
	if (rec_notice_encode(&body, unix_ms ? unix_ms : 1, a->subject, &nt) == 0 &&
	    env_seal(&env, m->sk, m->mesh_id, body.p, body.len) == 0) {
		seen_add(&m->seen, hmap_hash(env.p, env.len));
		spread(m, bcast_key(m->id, REC_NOTICE, a->subject, WIRE_KEY),
		    env.p, env.len);
		if (mm != NULL) {
			free(mm->notice);
			mm->notice = env.p;
			mm->noticelen = (uint32_t)env.len;
			env.p = NULL;
		}
	}
	buf_release(&body);
	buf_release(&env);
}

static void
reap(struct mesh *m, const struct mb_action *a, uint64_t now)
{
	struct reaped		*r;
	const struct rec	*nr = store_get(&m->store, a->subject, REC_NODE,
	    NULL, 0);
	uint8_t			*left = NULL;
	uint32_t		 leftlen = 0;

	/*
	 * A node that left keeps its "left" record for good: leaving is
	 * final for its key, and copies of its old records must stay below it.
	 */
	if (nr != NULL && (nr->flags & NODE_F_LEFT) &&
	    (left = malloc(nr->envlen)) != NULL) {
		rec_envelope(nr, left);
		leftlen = nr->envlen;
	}
	store_remove_author(&m->store, a->subject);
	if (left != NULL) {
		const uint8_t	*author, *body;
		size_t		 bodylen;
		struct rec_head	 h;

		if (env_peek(left, leftlen, &author, &body, &bodylen) == 0 &&
		    rec_head_decode(body, bodylen, &h) == 0)
			store_put(&m->store, a->subject, &h, left, leftlen, now);
		free(left);
	}
	if (m->on_forget != NULL)
		m->on_forget(m->hook_ctx, a->subject);
	m->dirty = 1;
	if (array_reserve(&m->reaped, &m->capreaped, m->nreaped + 1,
	    sizeof(*m->reaped)) == -1)
		return;
	r = &m->reaped[m->nreaped++];
	memcpy(r->id, a->subject, WIRE_KEY);
	r->inc = a->inc;
	r->until = now + m->cfg.mb.reap_after_ms;
}

/*
 * mesh_actions - carry out what the membership machine asked of the mesh
 * (sign a claim, refute one, forget a member) and leave the network actions
 * and state changes in mb.acts for the caller.
 */
static void
mesh_actions(struct mesh *m, uint64_t now, uint64_t unix_ms)
{
	struct membership	*mb = &m->mb;
	uint32_t		 start, out;

	/*
	 * The actions carried out already are the first ones (the caller
	 * takes them all at once; new ones come after them): start after
	 * them.  This runs after every record, and a sync of N node records
	 * leaves up to N actions for the caller.
	 */
	for (start = mb->nacts; start > 0 && !mb->acts[start - 1].carried;
	    start--)
		;
	out = start;
	for (uint32_t i = start; i < mb->nacts; i++) {
		struct mb_action	*a = &mb->acts[i];
		struct member		*mm;

		switch (a->type) {
		case MBA_NOTICE:
			notice_author(m, a, unix_ms);
			continue;
		case MBA_REFUTE:
			if (m->version < a->inc)
				m->version = a->inc;
			if (!m->left)
				mesh_publish_self(m, now, unix_ms);
			continue;
		case MBA_REAP:
			reap(m, a, now);
			continue;
		case MBA_STATE:
			if (a->state == M_ALIVE &&
			    (mm = mb_get(mb, a->subject)) != NULL) {
				free(mm->notice);
				mm->notice = NULL;
				mm->noticelen = 0;
			}
			break;
		default:
			break;
		}
		a->carried = 1;
		mb->acts[out++] = *a;
	}
	mb->nacts = out;
}

struct own_invites {
	struct mesh	*m;
	uint64_t	 unix_ms;
	uint8_t		 (*drop)[WIRE_KEY];
	uint32_t	 ndrop;
};

static int
own_invite_cb(void *ctx, const struct rec *r)
{
	struct own_invites	*o = ctx;
	const uint8_t		*body;
	size_t			 bodylen;
	struct rec_head		 h;
	struct rec_invite	 iv;
	int			 drop;

	if (r->kind != REC_INVITE || (r->flags & REC_F_DELETED) ||
	    memcmp(r->author, o->m->id, WIRE_KEY) != 0 || o->ndrop == 64)
		return 0;
	body = rec_body(r, &bodylen);
	if (rec_invite_decode(body, bodylen, &h, &iv) == -1)
		return 0;
	/*
	 * A used invitation needs no withdrawal (the joiner's record names the
	 * token, so it is refused everywhere); it goes with the expired ones.
	 */
	drop = iv.expires * 1000 + o->m->cfg.invite_grace_ms < o->unix_ms;
	if (drop)
		memcpy(o->drop[o->ndrop++], rec_key(r), WIRE_KEY);
	return 0;
}

struct compaction {
	struct mesh	*m;
	uint64_t	 now;
	uint64_t	 target;	/* the newest of our old tombstones */
	uint8_t		**bodies;	/* our live records at or below it */
	size_t		*lens;
	uint32_t	 n;
	uint32_t	 cap;
};

static int
old_tombstone_cb(void *ctx, const struct rec *r)
{
	struct compaction	*c = ctx;

	if (r->kind != REC_NODE && (r->flags & REC_F_DELETED) &&
	    memcmp(r->author, c->m->id, WIRE_KEY) == 0 &&
	    r->since_ms + c->m->cfg.tombstone_ttl_ms <= c->now &&
	    r->version > c->target)
		c->target = r->version;
	return 0;
}

static int
below_cb(void *ctx, const struct rec *r)
{
	struct compaction	*c = ctx;
	const uint8_t		*body;
	size_t			 bodylen;

	if (r->kind == REC_NODE || (r->flags & REC_F_DELETED) ||
	    r->version > c->target || memcmp(r->author, c->m->id, WIRE_KEY) != 0 ||
	    c->n == c->cap)
		return 0;
	body = rec_body(r, &bodylen);
	if ((c->bodies[c->n] = malloc(bodylen)) == NULL)
		return 0;
	memcpy(c->bodies[c->n], body, bodylen);
	c->lens[c->n++] = bodylen;
	return 0;
}

/*
 * compact - our tombstones are kept until every node can tell, by itself,
 * that the records they deleted are gone for good.  Once the oldest are
 * older than the tombstone TTL, this node publishes its live records
 * below them again (new versions), then a node record whose floor is above
 * them: every node (one that restarts, one that joins later) refuses any
 * copy of ours below the floor and drops the tombstones there.
 */
static void
compact(struct mesh *m, uint64_t now, uint64_t unix_ms)
{
	struct compaction	 c = { m, now, 0, NULL, NULL, 0, 0 };

	store_foreach_author(&m->store, m->id, old_tombstone_cb, &c);
	if (c.target == 0 || c.target < m->floor)
		return;
	/* Again, for clang's analyzer: it cannot see the walk keep it. */
	c.n = 0;
	c.cap = m->store.live + 1;
	if ((c.bodies = calloc(c.cap, sizeof(*c.bodies))) == NULL ||
	    (c.lens = calloc(c.cap, sizeof(*c.lens))) == NULL)
		goto out;
	store_foreach_author(&m->store, m->id, below_cb, &c);
	for (uint32_t i = 0; i < c.n; i++) {
		struct buf	 body;

		buf_init(&body, WIRE_MAX_RECORD);
		if (rec_reversion(&body, c.bodies[i], c.lens[i],
		    mesh_next_version(m, unix_ms)) == 0)
			mesh_publish(m, body.p, body.len, now);
		buf_release(&body);
	}
	m->floor = c.target + 1;
	store_set_floor(&m->store, m->id, m->floor);
	mesh_publish_self(m, now, unix_ms);
out:
	for (uint32_t i = 0; i < c.n; i++)
		free(c.bodies[i]);
	free(c.bodies);
	free(c.lens);
}

static void
housekeeping(struct mesh *m, uint64_t now, uint64_t unix_ms)
{
	uint8_t			 drop[64][WIRE_KEY];
	struct own_invites	 o = { m, unix_ms, drop, 0 };

	if (m->joined && !m->left)
		compact(m, now, unix_ms);
	if (store_gc(&m->store) > 0)
		m->dirty = 1;
	for (uint32_t i = 0; i < m->nreaped;) {
		if (m->reaped[i].until <= now)
			m->reaped[i] = m->reaped[--m->nreaped];
		else
			i++;
	}
	if (!m->joined)
		return;
	/*
	 * Withdraw our invitations some time after they expired (a used one
	 * is refused by its joiner's record until then: own_invite_cb()).
	 * Only our own records are visited, here and in compact():
	 * every 2 s on every node, a walk of the whole store would cost N
	 * records each (N² for the simulator).
	 */
	store_foreach_author(&m->store, m->id, own_invite_cb, &o);
	for (uint32_t i = 0; i < o.ndrop; i++) {
		struct buf	 body;

		buf_init(&body, WIRE_MAX_RECORD);
		if (rec_tombstone_encode(&body, REC_INVITE,
		    mesh_next_version(m, unix_ms), drop[i], WIRE_KEY) == 0)
			mesh_publish(m, body.p, body.len, now);
		buf_release(&body);
	}
}

void
mesh_tick(struct mesh *m, uint64_t now, uint64_t unix_ms)
{
	if (m->joined && !m->left)
		mb_tick(&m->mb, now);
	mesh_actions(m, now, unix_ms);
	if (now >= m->next_housekeeping) {
		housekeeping(m, now, unix_ms);
		m->next_housekeeping = now + HOUSEKEEP_MS;
	}
}

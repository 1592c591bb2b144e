/* test-mesh.c: founding, invitations, admission, and forged/tampered/replayed records. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "node/core/mesh.h"
#include "node/core/state.h"
#include "tests/unit/test.h"
#include "proto/cert.h"
#include "proto/envelope.h"
#include "proto/mp.h"
#include "proto/token.h"

#define NOW	1000
#define UNIX	1800000000000ULL

static void
node(struct mesh *m, const char *name)
{
	struct mesh_config	 cfg;
	uint8_t			 pk[WIRE_KEY], sk[SECRET_KEY];
	struct wire_addr	 a;

	mesh_config_default(&cfg);
	crypto_sign_keypair(pk, sk);
	memset(&a, 0, sizeof(a));
	a.family = 4;
	a.ip[0] = 198;
	a.ip[1] = 51;
	a.ip[2] = 100;
	a.ip[3] = (uint8_t)(name[0]);
	a.port = 7480;
	ASSERT_EQ(mesh_init(m, &cfg, sk, name, &a, 1, 7, NOW), 0);
}

static void
hello(struct wire_msg *h, const struct mesh *joiner, const struct token *t,
    const char *name)
{
	uint8_t	 pk[WIRE_KEY], sk[SECRET_KEY];

	memset(h, 0, sizeof(*h));
	h->type = MSG_JOIN_HELLO;
	memcpy(h->mesh_id, t->mesh_id, WIRE_MESH_ID);
	memcpy(h->joiner, joiner->id, WIRE_KEY);
	strcpy(h->name, name);
	token_keypair(t, pk, sk);
	memcpy(h->token_pub, pk, WIRE_KEY);
	token_proof_sign(h->token_sig, sk, t->mesh_id, joiner->id);
}

/* env_of - r's envelope, put back together (one buffer: use it at once). */
static const uint8_t *
env_of(const struct rec *r)
{
	static uint8_t	 env[WIRE_MAX_RECORD];

	rec_envelope(r, env);
	return env;
}

static int
copy_into(void *ctx, const struct rec *r)
{
	mesh_accept(ctx, env_of(r), r->envlen, NOW, UNIX, MESH_RELAY);
	return 0;
}

/* a founds, b joins through a's invitation; both end up holding all records. */
static void
two(struct mesh *a, struct mesh *b, uint8_t root_sk[SECRET_KEY])
{
	uint8_t			 root_pk[WIRE_KEY];
	struct token		 t;
	struct wire_msg		 h;
	struct wire_cert	 chain[WIRE_MAX_CHAIN];
	uint8_t			 n;
	char			 err[256];

	node(a, "a");
	node(b, "b");
	crypto_sign_keypair(root_pk, root_sk);
	ASSERT_EQ(mesh_found(a, root_sk, NOW, UNIX), 0);
	ASSERT_EQ(mesh_invite(a, 3600 * 1000, NOW, UNIX, &t), 0);
	hello(&h, b, &t, "b");
	ASSERT_EQ(mesh_admit(a, &h, UNIX, chain, &n, err, sizeof(err)), 0);
	ASSERT_EQ(n, 2);
	ASSERT_EQ(mesh_adopt(b, a->root, chain, n, h.token_pub, NOW, UNIX), 0);
	ASSERT_EQ(mesh_accept(a, b->self_env, b->self_envlen, NOW, UNIX, MESH_RELAY),
	    ACC_NEW);
	store_foreach(&a->store, copy_into, b);
	ASSERT_UEQ(a->store.hash, b->store.hash);
	ASSERT_EQ(a->mb.n, 2);
	ASSERT_EQ(b->mb.n, 2);
	ASSERT_STR_EQ(mesh_member_name(b, a->id), "a");
}

TEST(mesh_found_invite_admit)
{
	struct mesh	 a, b;
	uint8_t		 root_sk[SECRET_KEY];

	two(&a, &b, root_sk);
	ASSERT(mesh_is_member(&a, b.id));
	ASSERT(mesh_is_member(&b, a.id));
	/* the invitation is withdrawn by its author an hour after it expired */
	{
		int	 tomb = 0;

		mesh_tick(&a, NOW + 5000, UNIX + 5000);
		for (uint32_t i = 0; i < a.store.nslots; i++)
			if (a.store.recs[i].sealed && a.store.recs[i].kind ==
			    REC_INVITE)
				tomb += (a.store.recs[i].flags & REC_F_DELETED) != 0;
		ASSERT_EQ(tomb, 0);
		mesh_tick(&a, NOW + 10000, UNIX + 2 * 3600 * 1000 + 1000);
		for (uint32_t i = 0; i < a.store.nslots; i++)
			if (a.store.recs[i].sealed && a.store.recs[i].kind ==
			    REC_INVITE)
				tomb += (a.store.recs[i].flags & REC_F_DELETED) != 0;
		ASSERT_EQ(tomb, 1);
	}
	mesh_release(&a);
	mesh_release(&b);
}

TEST(mesh_token_refusals)
{
	struct mesh		 a, b, c;
	uint8_t			 root_sk[SECRET_KEY];
	struct token		 t, t2, made_up;
	struct wire_msg		 h;
	struct wire_cert	 chain[WIRE_MAX_CHAIN];
	uint8_t			 n;
	char			 err[256];

	node(&a, "a");
	node(&b, "b");
	node(&c, "c");
	{
		uint8_t	 pk[WIRE_KEY];

		crypto_sign_keypair(pk, root_sk);
	}
	ASSERT_EQ(mesh_found(&a, root_sk, NOW, UNIX), 0);
	ASSERT_EQ(mesh_invite(&a, 1000, NOW, UNIX, &t), 0);

	/* made up: right mesh, unknown secret */
	made_up = t;
	randombytes_buf(made_up.seed, sizeof(made_up.seed));
	hello(&h, &b, &made_up, "b");
	ASSERT_EQ(mesh_admit(&a, &h, UNIX, chain, &n, err, sizeof(err)),
	    WERR_TOKEN_UNKNOWN);
	/* another mesh */
	hello(&h, &b, &t, "b");
	h.mesh_id[0] ^= 1;
	ASSERT_EQ(mesh_admit(&a, &h, UNIX, chain, &n, err, sizeof(err)),
	    WERR_WRONG_MESH);
	/* a proof made for another joiner */
	hello(&h, &b, &t, "b");
	memcpy(h.joiner, c.id, WIRE_KEY);
	ASSERT_EQ(mesh_admit(&a, &h, UNIX, chain, &n, err, sizeof(err)),
	    WERR_BAD_PROOF);
	/* the name of an existing member */
	hello(&h, &b, &t, "a");
	ASSERT_EQ(mesh_admit(&a, &h, UNIX, chain, &n, err, sizeof(err)),
	    WERR_NAME_TAKEN);
	/* expired: one second of life */
	hello(&h, &b, &t, "b");
	ASSERT_EQ(mesh_admit(&a, &h, UNIX + 2000, chain, &n, err, sizeof(err)),
	    WERR_TOKEN_EXPIRED);
	ASSERT(strstr(err, "expired") != NULL);
	/* used: b redeems, then c tries the same token */
	ASSERT_EQ(mesh_admit(&a, &h, UNIX, chain, &n, err, sizeof(err)), 0);
	hello(&h, &c, &t, "c");
	ASSERT_EQ(mesh_admit(&a, &h, UNIX, chain, &n, err, sizeof(err)),
	    WERR_TOKEN_USED);
	/* a second, fresh invitation works for c */
	ASSERT_EQ(mesh_invite(&a, 60000, NOW, UNIX, &t2), 0);
	hello(&h, &c, &t2, "c");
	ASSERT_EQ(mesh_admit(&a, &h, UNIX, chain, &n, err, sizeof(err)), 0);
	mesh_release(&a);
	mesh_release(&b);
	mesh_release(&c);
}

/*
 * One token, two joiners asking two members at once: each member's own
 * checks pass (neither knows of the other join), and the member that made
 * the token decides: the first reservation wins, the second is refused, and
 * the winner may ask again (a join cut short is retried).
 */
TEST(mesh_token_reserve_one_decider)
{
	struct mesh		 a, b, j1, j2, j3;
	uint8_t			 root_sk[SECRET_KEY], inviter[WIRE_KEY];
	struct token		 t, t2, t3;
	struct wire_msg		 h1, h2, h3;
	struct wire_cert	 chain[WIRE_MAX_CHAIN];
	uint8_t			 n;
	char			 err[256];

	two(&a, &b, root_sk);
	node(&j1, "1");
	node(&j2, "2");
	node(&j3, "3");
	ASSERT_EQ(mesh_invite(&a, 60000, NOW, UNIX, &t), 0);
	store_foreach(&a.store, copy_into, &b);
	hello(&h1, &j1, &t, "j1");
	hello(&h2, &j2, &t, "j2");

	/* b's own checks pass for both, and name a as the inviter */
	ASSERT_EQ(mesh_admit_check(&b, &h1, UNIX, inviter, err, sizeof(err)), 0);
	ASSERT_MEM_EQ(inviter, a.id, WIRE_KEY);
	ASSERT_EQ(mesh_admit_check(&b, &h2, UNIX, inviter, err, sizeof(err)), 0);
	ASSERT_MEM_EQ(inviter, a.id, WIRE_KEY);
	/* nor does b vouch for anyone before a reserved the token */
	ASSERT_EQ(mesh_admit(&b, &h1, UNIX, chain, &n, err, sizeof(err)),
	    WERR_INTERNAL);
	ASSERT(strstr(err, "not reserved") != NULL);

	/* a decides: j1 first, then j2 is refused; j1 may ask again */
	ASSERT_EQ(mesh_token_reserve(&a, h1.token_pub, h1.joiner, h1.token_sig,
	    UNIX, err, sizeof(err)), 0);
	ASSERT_EQ(mesh_token_reserve(&a, h2.token_pub, h2.joiner, h2.token_sig,
	    UNIX, err, sizeof(err)), WERR_TOKEN_USED);
	ASSERT(strstr(err, "already used") != NULL);
	ASSERT_EQ(mesh_token_reserve(&a, h1.token_pub, h1.joiner, h1.token_sig,
	    UNIX, err, sizeof(err)), 0);
	/* a, the inviter, admitting j2 itself is refused the same way */
	ASSERT_EQ(mesh_admit(&a, &h2, UNIX, chain, &n, err, sizeof(err)),
	    WERR_TOKEN_USED);

	/* b hears a's answer and vouches for j1, not j2 */
	mesh_token_reserved(&b, h1.token_pub, h1.joiner);
	ASSERT_EQ(mesh_admit(&b, &h1, UNIX, chain, &n, err, sizeof(err)), 0);
	ASSERT_EQ(n, b.nchain + 1);
	ASSERT_EQ(cert_chain_verify(chain, n, a.root, a.mesh_id, j1.id), 0);
	ASSERT_EQ(mesh_admit_check(&b, &h2, UNIX, inviter, err, sizeof(err)),
	    WERR_TOKEN_USED);

	/* a token b made is b's to reserve, not a's */
	ASSERT_EQ(mesh_invite(&b, 60000, NOW, UNIX, &t2), 0);
	store_foreach(&b.store, copy_into, &a);
	hello(&h3, &j3, &t2, "j3");
	ASSERT_EQ(mesh_admit_check(&a, &h3, UNIX, inviter, err, sizeof(err)), 0);
	ASSERT_MEM_EQ(inviter, b.id, WIRE_KEY);
	ASSERT_EQ(mesh_token_reserve(&a, h3.token_pub, h3.joiner, h3.token_sig,
	    UNIX, err, sizeof(err)), WERR_TOKEN_UNKNOWN);

	/* a's own refusals, from a token that passes a's checks unchanged */
	ASSERT_EQ(mesh_invite(&a, 1000, NOW, UNIX, &t3), 0);
	hello(&h3, &j3, &t3, "j3");
	ASSERT_EQ(mesh_admit_check(&a, &h3, UNIX, inviter, err, sizeof(err)), 0);
	ASSERT_MEM_EQ(inviter, a.id, WIRE_KEY);
	ASSERT_EQ(mesh_token_reserve(&a, h3.token_pub, h3.joiner, h3.token_sig,
	    UNIX + 2000, err, sizeof(err)), WERR_TOKEN_EXPIRED);
	ASSERT_EQ(mesh_token_reserve(&a, h3.token_pub, j2.id, h3.token_sig,
	    UNIX, err, sizeof(err)), WERR_BAD_PROOF);
	h3.token_sig[0] ^= 1;
	ASSERT_EQ(mesh_token_reserve(&a, h3.token_pub, h3.joiner, h3.token_sig,
	    UNIX, err, sizeof(err)), WERR_BAD_PROOF);
	h3.token_sig[0] ^= 1;
	/* none of the refusals used it up */
	ASSERT(mesh_token_user(&a, h3.token_pub) == NULL);
	ASSERT_EQ(mesh_token_reserve(&a, h3.token_pub, h3.joiner, h3.token_sig,
	    UNIX, err, sizeof(err)), 0);
	/* an inviter that left reserves nothing */
	ASSERT_EQ(mesh_leave(&a, NOW, UNIX), 0);
	ASSERT_EQ(mesh_token_reserve(&a, h3.token_pub, h3.joiner, h3.token_sig,
	    UNIX, err, sizeof(err)), WERR_NOT_MEMBER);
	mesh_release(&a);
	mesh_release(&b);
	mesh_release(&j1);
	mesh_release(&j2);
	mesh_release(&j3);
}

TEST(mesh_rejects_forged_tampered_replayed_and_outsiders)
{
	struct mesh	 a, b, x;
	uint8_t		 root_sk[SECRET_KEY], *old;
	uint32_t	 oldlen;

	two(&a, &b, root_sk);
	/* tampered: one byte of b's next record changed in transit */
	ASSERT_EQ(mesh_publish_self(&b, NOW, UNIX + 5), 0);
	old = malloc(b.self_envlen);
	memcpy(old, b.self_env, b.self_envlen);
	oldlen = b.self_envlen;
	old[oldlen - 3] ^= 0x20;
	ASSERT_EQ(mesh_accept(&a, old, oldlen, NOW, UNIX, MESH_RELAY), ACC_FORGED);
	old[oldlen - 3] ^= 0x20;
	ASSERT_EQ(a.counters[ACC_FORGED], 1);
	ASSERT_EQ(mesh_accept(&a, old, oldlen, NOW, UNIX, MESH_RELAY), ACC_NEW);
	/*
	 * A tampered copy of a version held already would change nothing:
	 * it is dropped as stale before any signature check.
	 */
	old[oldlen - 3] ^= 0x20;
	ASSERT_EQ(mesh_accept(&a, old, oldlen, NOW, UNIX, MESH_RELAY), ACC_STALE);
	old[oldlen - 3] ^= 0x20;
	ASSERT_EQ(a.counters[ACC_FORGED], 1);

	/* replayed: a newer record exists, the old one is offered again */
	ASSERT_EQ(mesh_publish_self(&b, NOW, UNIX + 10), 0);
	{
		struct mesh	 c;

		/* c never saw the old copy: stale, without a signature check */
		node(&c, "c");
		c.joined = 1;
		memcpy(c.root, a.root, WIRE_KEY);
		memcpy(c.mesh_id, a.mesh_id, WIRE_MESH_ID);
		ASSERT_EQ(mesh_accept(&c, b.self_env, b.self_envlen, NOW, UNIX, MESH_RELAY),
		    ACC_NEW);
		ASSERT_EQ(mesh_accept(&c, old, oldlen, NOW, UNIX, MESH_RELAY), ACC_STALE);
		ASSERT_EQ(c.counters[ACC_STALE], 1);
		mesh_release(&c);
	}
	ASSERT_EQ(mesh_accept(&a, b.self_env, b.self_envlen, NOW, UNIX, MESH_RELAY), ACC_NEW);
	/* a saw the old copy before: not even verified again */
	ASSERT_EQ(mesh_accept(&a, old, oldlen, NOW, UNIX, MESH_RELAY), ACC_DUP);
	free(old);

	/* an outsider with a self-made chain */
	node(&x, "x");
	{
		uint8_t	 fake_root[WIRE_KEY], fake_sk[SECRET_KEY];

		crypto_sign_keypair(fake_root, fake_sk);
		x.joined = 1;
		memcpy(x.root, a.root, WIRE_KEY);	/* claims a's mesh... */
		memcpy(x.mesh_id, a.mesh_id, WIRE_MESH_ID);
		cert_sign(&x.chain[0], fake_sk, a.mesh_id, x.id, 1);
		x.nchain = 1;				/* ...signed by itself */
		ASSERT_EQ(mesh_publish_self(&x, NOW, UNIX), 0);
	}
	ASSERT_EQ(mesh_accept(&a, x.self_env, x.self_envlen, NOW, UNIX, MESH_RELAY),
	    ACC_NOT_MEMBER);
	ASSERT(!mesh_is_member(&a, x.id));
	{
		struct token	 t;

		/* nor may it author other records */
		ASSERT_EQ(mesh_invite(&x, 1000, NOW, UNIX, &t), 0);
		for (uint32_t i = 0; i < x.store.nslots; i++)
			if (x.store.recs[i].sealed && x.store.recs[i].kind ==
			    REC_INVITE)
				ASSERT_EQ(mesh_accept(&a, env_of(&x.store.recs[i]),
				    x.store.recs[i].envlen, NOW, UNIX, MESH_RELAY),
				    ACC_NOT_MEMBER);
	}
	ASSERT_EQ(a.counters[ACC_NOT_MEMBER], 2);
	{
		uint8_t	 fake_root[WIRE_KEY], fake_sk[SECRET_KEY];

		/*
		 * A member's chain is verified once per chain, not once per
		 * record: b's next record with another, self-made chain is
		 * checked again and refused.
		 */
		crypto_sign_keypair(fake_root, fake_sk);
		cert_sign(&b.chain[0], fake_sk, a.mesh_id, b.id, 1);
		b.nchain = 1;
		ASSERT_EQ(mesh_publish_self(&b, NOW, UNIX + 20), 0);
		ASSERT_EQ(mesh_accept(&a, b.self_env, b.self_envlen, NOW, UNIX,
		    MESH_RELAY), ACC_NOT_MEMBER);
		ASSERT_EQ(a.counters[ACC_NOT_MEMBER], 3);
	}
	/* garbage */
	ASSERT_EQ(mesh_accept(&a, (const uint8_t *)"\xe1garbage", 8, NOW, UNIX, MESH_RELAY),
	    ACC_MALFORMED);
	mesh_release(&x);
	mesh_release(&a);
	mesh_release(&b);
}

TEST(mesh_notice_refuted_by_subject)
{
	struct mesh	 a, b;
	uint8_t		 root_sk[SECRET_KEY];
	uint64_t	 before;
	struct member	*mb_b;

	two(&a, &b, root_sk);
	/* a's probe of b fails: a suspects b and signs a notice */
	mb_b = mb_get(&a.mb, b.id);
	mb_on_notice(&a.mb, a.id, b.id, mb_b->inc, NOTICE_SUSPECT, NOW);
	ASSERT_EQ(mb_b->state, M_SUSPECT);
	{
		struct mb_action	 act;

		memset(&act, 0, sizeof(act));
		act.type = MBA_NOTICE;
		memcpy(act.subject, b.id, WIRE_KEY);
		act.inc = mb_b->inc;
		act.state = NOTICE_SUSPECT;
		a.mb.acts[0] = act;
		a.mb.nacts = 1;
		mesh_tick(&a, NOW, UNIX);	/* signs it */
	}
	ASSERT(mb_b->notice != NULL);
	/* b hears the claim about itself and publishes a newer record */
	before = b.version;
	ASSERT_EQ(mesh_accept(&b, mb_b->notice, mb_b->noticelen, NOW, UNIX + 5, MESH_RELAY),
	    ACC_STALE);	/* no news to spread, but it acted */
	ASSERT(b.version > before);
	ASSERT_EQ(mesh_accept(&a, b.self_env, b.self_envlen, NOW, UNIX + 5, MESH_RELAY),
	    ACC_NEW);
	ASSERT_EQ(mb_b->state, M_ALIVE);
	ASSERT(mb_b->notice == NULL);
	mesh_release(&a);
	mesh_release(&b);
}

/*
 * The pull on a probe: from a peer whose summary shows more, at most once
 * a second; from a member held failed when it spoke, whatever the
 * summaries say (after a partition each side's own refutation has just
 * raised its sum, and each would leave the pull to the other).
 */
TEST(mesh_pull_order_and_members_held_failed)
{
	struct mesh	 a, b;
	uint8_t		 root_sk[SECRET_KEY];
	struct member	*mm;
	uint64_t	 h, sum;

	two(&a, &b, root_sk);
	mm = mb_get(&a.mb, b.id);
	h = a.store.hash;
	sum = a.store.sum;
	ASSERT_EQ(mesh_want_pull(&a, mm, h, sum, 0, NOW), 0);
	ASSERT_EQ(mesh_want_pull(&a, mm, h ^ 1, sum - 1, 0, NOW), 0);
	ASSERT_EQ(mesh_want_pull(&a, mm, h ^ 1, sum + 1, 0, NOW), 1);
	ASSERT_EQ(mesh_want_pull(&a, mm, h ^ 1, sum + 1, 0, NOW + 999), 0);
	ASSERT_EQ(mesh_want_pull(&a, mm, h ^ 1, sum - 1, 0, NOW + 1000), 0);
	ASSERT_EQ(mesh_want_pull(&a, mm, h ^ 1, sum - 1, 1, NOW + 1000), 1);
	ASSERT_EQ(mesh_want_pull(&a, mm, h ^ 1, sum - 1, 1, NOW + 1500), 0);
	ASSERT_EQ(mesh_want_pull(&a, mm, h, sum, 1, NOW + 3000), 0);
	mesh_release(&a);
	mesh_release(&b);
}

/* c joins through a's invitation and gets every record a holds. */
static void
third(struct mesh *a, struct mesh *c)
{
	struct token		 t;
	struct wire_msg		 h;
	struct wire_cert	 chain[WIRE_MAX_CHAIN];
	uint8_t			 n;
	char			 err[256];

	node(c, "c");
	ASSERT_EQ(mesh_invite(a, 3600 * 1000, NOW, UNIX, &t), 0);
	hello(&h, c, &t, "c");
	ASSERT_EQ(mesh_admit(a, &h, UNIX, chain, &n, err, sizeof(err)), 0);
	ASSERT_EQ(mesh_adopt(c, a->root, chain, n, h.token_pub, NOW, UNIX), 0);
	ASSERT_EQ(mesh_accept(a, c->self_env, c->self_envlen, NOW, UNIX,
	    MESH_RELAY), ACC_NEW);
	store_foreach(&a->store, copy_into, c);
	ASSERT_EQ(c->mb.n, 3);
}

/*
 * A node that left comes back only with a new token: not by adding a link
 * it signed for itself to its chain (the last link then differs from the
 * one it left with, and the issuer of that link is the author).
 */
TEST(mesh_left_node_cannot_readmit_itself)
{
	struct mesh	 a, b;
	uint8_t		 root_sk[SECRET_KEY];

	two(&a, &b, root_sk);
	ASSERT_EQ(mesh_leave(&b, NOW, UNIX + 10), 0);
	ASSERT_EQ(mesh_accept(&a, b.self_env, b.self_envlen, NOW, UNIX + 10,
	    MESH_RELAY), ACC_NEW);
	ASSERT(!mesh_is_member(&a, b.id));
	ASSERT_EQ(b.nchain, 2);
	cert_sign(&b.chain[2], b.sk, b.mesh_id, b.id, (UNIX + 20) / 1000);
	b.nchain = 3;
	b.left = 0;
	b.mb.self->state = M_ALIVE;
	ASSERT_EQ(mesh_publish_self(&b, NOW, UNIX + 20), 0);
	ASSERT_EQ(mesh_accept(&a, b.self_env, b.self_envlen, NOW, UNIX + 20,
	    MESH_RELAY), ACC_NOT_MEMBER);
	ASSERT(!mesh_is_member(&a, b.id));
	mesh_release(&a);
	mesh_release(&b);
}

/*
 * A record of a node that is not a member here yet is refused before its
 * signature is checked (a tampered copy is "not a member", not "forged"),
 * and that refusal is not remembered: once the node record came, the same
 * record is taken, and a tampered copy is then found forged.
 */
/*
 * invite_and_forgery - c invites; its invitation record (in a buffer of
 * env_of()'s: use it at once) and a copy whose signature no longer
 * verifies (the caller's to free).
 */
static const uint8_t *
invite_and_forgery(struct mesh *c, uint32_t *len, uint8_t **bad)
{
	const uint8_t	*inv = NULL, *author, *body;
	size_t		 bodylen;
	struct token	 t;

	ASSERT_EQ(mesh_invite(c, 3600 * 1000, NOW, UNIX, &t), 0);
	for (uint32_t i = 0; i < c->store.nslots; i++)
		if (c->store.recs[i].sealed &&
		    c->store.recs[i].kind == REC_INVITE &&
		    memcmp(c->store.recs[i].author, c->id, WIRE_KEY) == 0) {
			inv = env_of(&c->store.recs[i]);
			*len = c->store.recs[i].envlen;
		}
	ASSERT(inv != NULL);
	ASSERT((*bad = malloc(*len)) != NULL);
	memcpy(*bad, inv, *len);
	ASSERT_EQ(env_peek(*bad, *len, &author, &body, &bodylen), 0);
	(*bad)[author + WIRE_KEY - *bad] ^= 0x01;	/* the signature's first byte */
	return inv;
}

TEST(mesh_nonmember_record_refused_before_its_signature_check)
{
	struct mesh	 a, b, c;
	uint8_t		 root_sk[SECRET_KEY], *bad;
	const uint8_t	*inv;
	uint32_t	 invlen = 0;

	two(&a, &b, root_sk);
	third(&a, &c);		/* a knows c; b does not yet */
	inv = invite_and_forgery(&c, &invlen, &bad);

	ASSERT_EQ(mesh_accept(&b, bad, invlen, NOW, UNIX, MESH_RELAY),
	    ACC_NOT_MEMBER);
	ASSERT_EQ(b.counters[ACC_FORGED], 0);
	ASSERT_EQ(mesh_accept(&b, inv, invlen, NOW, UNIX, MESH_RELAY),
	    ACC_NOT_MEMBER);
	ASSERT_EQ(mesh_accept(&b, c.self_env, c.self_envlen, NOW, UNIX,
	    MESH_RELAY), ACC_NEW);
	ASSERT_EQ(mesh_accept(&b, bad, invlen, NOW, UNIX, MESH_RELAY),
	    ACC_FORGED);
	ASSERT_EQ(mesh_accept(&b, inv, invlen, NOW, UNIX, MESH_RELAY), ACC_NEW);
	free(bad);
	mesh_release(&a);
	mesh_release(&b);
	mesh_release(&c);
}

/* items_of - a batch of n envelopes, as a frame's decoder would make it. */
static void
items_of(struct wire_items *it, const uint8_t *const *envs,
    const uint32_t *lens, uint32_t n)
{
	size_t	 total = 0;

	for (uint32_t i = 0; i < n; i++)
		total += lens[i];
	it->n = n;
	ASSERT((it->buf = malloc(total)) != NULL);
	ASSERT((it->off = malloc(n * sizeof(*it->off))) != NULL);
	ASSERT((it->len = malloc(n * sizeof(*it->len))) != NULL);
	total = 0;
	for (uint32_t i = 0; i < n; i++) {
		memcpy(it->buf + total, envs[i], lens[i]);
		it->off[i] = (uint32_t)total;
		it->len[i] = lens[i];
		total += lens[i];
	}
}

/*
 * frame_of_three - c's invitation, a forgery of it and c's node record, in
 * that order, as one frame's items: on a node that does not know c, the
 * first two wait for the third.  (The forgery comes first: after the real
 * record, it would only be a copy.)
 */
static void
frame_of_three(struct wire_items *it, struct mesh *c)
{
	const uint8_t	*envs[3];
	uint8_t		*bad;
	uint32_t	 lens[3];

	envs[1] = invite_and_forgery(c, &lens[1], &bad);
	envs[0] = bad;
	lens[0] = lens[1];
	envs[2] = c->self_env;
	lens[2] = c->self_envlen;
	items_of(it, envs, lens, 3);
	free(bad);
}

/*
 * A batch checked one record a step ends as one checked whole: a record
 * before the node record it depends on is tried again once the batch has
 * been seen, each record is counted once with its last verdict, and a
 * forgery found on the second try is counted as one.
 */
TEST(mesh_batch_in_steps_of_one)
{
	struct mesh		 a, b, c;
	struct mesh_batch	 batch;
	struct wire_items	 it;
	uint8_t			 root_sk[SECRET_KEY];
	uint32_t		 steps = 0;
	uint64_t		 was_new;

	two(&a, &b, root_sk);
	third(&a, &c);		/* b does not know c */
	frame_of_three(&it, &c);

	was_new = b.counters[ACC_NEW];
	ASSERT_EQ(mesh_batch_start(&batch, &b, &it), 0);
	ASSERT_EQ(it.n, 0);		/* the batch's now */
	while (!mesh_batch_step(&b, &batch, 1, NOW, UNIX, MESH_RELAY))
		ASSERT(++steps < 10);
	/* 3 records, then the two that waited for c's node record */
	ASSERT_EQ(steps, 4);
	ASSERT_EQ(mesh_batch_step(&b, &batch, 1, NOW, UNIX, MESH_RELAY), 1);
	ASSERT_UEQ(batch.nbad, 1);
	ASSERT_UEQ(b.counters[ACC_NEW], was_new + 2);
	ASSERT_UEQ(b.counters[ACC_FORGED], 1);
	ASSERT_UEQ(b.counters[ACC_NOT_MEMBER], 0);
	ASSERT_EQ(b.mb.n, 3);
	mesh_batch_release(&batch);
	mesh_release(&a);
	mesh_release(&b);
	mesh_release(&c);
}

/*
 * A node that leaves forgets its mesh while a stream may still hold a
 * frame half checked: the rest of that batch is dropped, not taken into
 * the new, empty mesh (whose counters would wrap where the batch takes
 * back a first verdict).
 */
TEST(mesh_batch_void_after_forget)
{
	struct mesh		 a, b, c;
	struct mesh_batch	 batch;
	struct wire_items	 it;
	uint8_t			 root_sk[SECRET_KEY];

	two(&a, &b, root_sk);
	third(&a, &c);
	frame_of_three(&it, &c);
	ASSERT_EQ(mesh_batch_start(&batch, &b, &it), 0);
	/* the first look at all three; two wait for a second try */
	ASSERT_EQ(mesh_batch_step(&b, &batch, 3, NOW, UNIX, MESH_RELAY), 0);
	mesh_forget(&b, NOW);
	ASSERT_EQ(mesh_batch_step(&b, &batch, 1, NOW, UNIX, MESH_RELAY), 1);
	for (int k = 0; k < ACC_NUM; k++)
		ASSERT_UEQ(b.counters[k], 0);
	ASSERT_EQ(b.store.live, 0);
	mesh_batch_release(&batch);
	mesh_release(&a);
	mesh_release(&b);
	mesh_release(&c);
}

/*
 * A new member's chain is root -> a -> c.  a checks only the link it
 * signed; b holds a's record, whose chain (root -> a) it verified, and
 * checks only the link a -> c too.  A chain whose
 * first links are not a verified member's is checked link by link, and a
 * bad link anywhere is refused.
 */
TEST(mesh_chain_checks_only_the_link_after_a_verified_issuer)
{
	struct mesh	 a, b, c;
	uint8_t		 root_sk[SECRET_KEY];
	uint64_t	 before;

	two(&a, &b, root_sk);
	/* the issuer, a, checks only the link it signed */
	before = a.links_checked;
	third(&a, &c);
	ASSERT_EQ(c.nchain, 2);
	ASSERT_UEQ(a.links_checked - before, 1);
	before = b.links_checked;
	ASSERT_EQ(mesh_accept(&b, c.self_env, c.self_envlen, NOW, UNIX,
	    MESH_RELAY), ACC_NEW);
	ASSERT_UEQ(b.links_checked - before, 1);

	/* c's next record, its last link tampered: refused */
	c.chain[1].sig[5] ^= 0x10;
	ASSERT_EQ(mesh_publish_self(&c, NOW, UNIX + 10), 0);
	ASSERT_EQ(mesh_accept(&b, c.self_env, c.self_envlen, NOW, UNIX,
	    MESH_RELAY), ACC_NOT_MEMBER);
	c.chain[1].sig[5] ^= 0x10;

	/* its first link tampered: not a's chain, so all is checked */
	c.chain[0].sig[5] ^= 0x10;
	ASSERT_EQ(mesh_publish_self(&c, NOW, UNIX + 20), 0);
	before = b.links_checked;
	ASSERT_EQ(mesh_accept(&b, c.self_env, c.self_envlen, NOW, UNIX,
	    MESH_RELAY), ACC_NOT_MEMBER);
	ASSERT_UEQ(b.links_checked - before, 2);
	c.chain[0].sig[5] ^= 0x10;
	mesh_release(&a);
	mesh_release(&b);
	mesh_release(&c);
}

/*
 * A pull that brought news is followed by one from another alive member,
 * at once and then at most every 500 ms; one that brought nothing starts
 * nothing.  The sim's burst of joins (tests/sim/run.sh) shows what it is
 * for.
 */
TEST(mesh_pull_chain_while_pulls_bring_news)
{
	struct mesh	 a, b, c;
	uint8_t		 root_sk[SECRET_KEY];
	struct member	*mm;

	two(&a, &b, root_sk);
	third(&a, &c);
	mesh_pull_done(&a, b.id, 0, NOW);
	ASSERT(mesh_pull_due(&a, NOW) == NULL);
	ASSERT(mesh_pull_due(&a, NOW + 60000) == NULL);

	/* news from b: c is asked at once (not b again, not a itself) */
	mesh_pull_done(&a, b.id, 1, NOW);
	ASSERT((mm = mesh_pull_due(&a, NOW)) != NULL);
	ASSERT_MEM_EQ(mm->id, c.id, WIRE_KEY);
	ASSERT_UEQ(mm->last_pull, NOW);
	ASSERT(mesh_pull_due(&a, NOW + 1) == NULL);

	/* news from c 100 ms later: b is due 500 ms after the last start */
	mesh_pull_done(&a, c.id, 1, NOW + 100);
	ASSERT(mesh_pull_due(&a, NOW + 499) == NULL);
	ASSERT((mm = mesh_pull_due(&a, NOW + 500)) != NULL);
	ASSERT_MEM_EQ(mm->id, b.id, WIRE_KEY);

	/* a member not alive is never asked: b failed, c was the peer */
	mb_get(&a.mb, b.id)->state = M_DEAD;
	mesh_pull_done(&a, c.id, 1, NOW + 2000);
	ASSERT(mesh_pull_due(&a, NOW + 2000) == NULL);
	ASSERT(mb_random_alive(&a.mb, NULL) == mb_get(&a.mb, c.id));

	/* a node that left starts none (a sync may end after the leave) */
	mb_get(&a.mb, b.id)->state = M_ALIVE;
	a.left = 1;
	mesh_pull_done(&a, c.id, 1, NOW + 5000);
	ASSERT_UEQ(a.pull_at, 0);
	ASSERT(mesh_pull_due(&a, NOW + 5000) == NULL);
	mesh_release(&a);
	mesh_release(&b);
	mesh_release(&c);
}

/* a signs the claim that subject failed; returns a copy of it. */
static uint8_t *
claim_failed(struct mesh *a, const uint8_t subject[WIRE_KEY], uint64_t now,
    uint64_t unix_ms, uint32_t *len)
{
	struct member		*mm = mb_get(&a->mb, subject);
	struct mb_action	 act;
	uint8_t			*copy;

	memset(&act, 0, sizeof(act));
	act.type = MBA_NOTICE;
	memcpy(act.subject, subject, WIRE_KEY);
	act.inc = mm->inc;
	act.state = NOTICE_DEAD;
	a->mb.acts[0] = act;
	a->mb.nacts = 1;
	mesh_tick(a, now, unix_ms);
	ASSERT(mm->notice != NULL);
	*len = mm->noticelen;
	ASSERT((copy = malloc(*len)) != NULL);
	memcpy(copy, mm->notice, *len);
	return copy;
}

/*
 * A claim that a member failed, made well before the member last spoke to
 * us, is old news: after a partition, a sync across hands over the other
 * side's claims about our own side, and they must not fail the members we
 * have been talking to.  A claim made after that is taken.
 */
TEST(mesh_old_claim_about_a_member_heard_since_is_stale)
{
	struct mesh	 a, b, c;
	uint8_t		 root_sk[SECRET_KEY], *old, *fresh;
	uint32_t	 oldlen, freshlen;

	two(&a, &b, root_sk);
	third(&a, &c);
	old = claim_failed(&a, b.id, NOW, UNIX, &oldlen);
	mb_on_ping(&c.mb, b.id, 1, NOW + 10000);
	c.mb.nacts = 0;
	ASSERT_EQ(mesh_accept(&c, old, oldlen, NOW + 11000, UNIX + 11000, 0),
	    ACC_STALE);
	ASSERT_EQ(mb_get(&c.mb, b.id)->state, M_ALIVE);
	fresh = claim_failed(&a, b.id, NOW + 20000, UNIX + 20000, &freshlen);
	ASSERT_EQ(mesh_accept(&c, fresh, freshlen, NOW + 20100, UNIX + 20100,
	    0), ACC_NEW);
	ASSERT_EQ(mb_get(&c.mb, b.id)->state, M_DEAD);
	free(old);
	free(fresh);
	mesh_release(&a);
	mesh_release(&b);
	mesh_release(&c);
}

/*
 * Within one batch (before the caller takes the actions), a member that
 * came back alive and then was claimed failed again keeps the new claim:
 * the state change to alive is carried out once, when it happens, not
 * again after every later record of the batch (which dropped the claim
 * the member's probes should carry).
 */
TEST(mesh_claim_after_a_return_in_one_batch_is_kept)
{
	struct mesh	 a, b, c;
	uint8_t		 root_sk[SECRET_KEY], *first, *second;
	uint32_t	 firstlen, secondlen;
	struct member	*mm;

	two(&a, &b, root_sk);
	third(&a, &c);
	first = claim_failed(&a, b.id, NOW, UNIX, &firstlen);
	ASSERT_EQ(mesh_accept(&c, first, firstlen, NOW + 100, UNIX + 100, 0),
	    ACC_NEW);
	mm = mb_get(&c.mb, b.id);
	ASSERT_EQ(mm->state, M_DEAD);
	c.mb.nacts = 0;
	/* b refutes; a and c take its new record; c holds b alive again. */
	ASSERT_EQ(mesh_publish_self(&b, NOW + 200, UNIX + 200), 0);
	ASSERT_EQ(mesh_accept(&a, b.self_env, b.self_envlen, NOW + 300,
	    UNIX + 300, 0), ACC_NEW);
	ASSERT_EQ(mesh_accept(&c, b.self_env, b.self_envlen, NOW + 300,
	    UNIX + 300, 0), ACC_NEW);
	ASSERT_EQ(mm->state, M_ALIVE);
	ASSERT(mm->notice == NULL);
	/* a claims it failed again; c has not handed out its actions yet. */
	second = claim_failed(&a, b.id, NOW + 400, UNIX + 400, &secondlen);
	ASSERT_EQ(mesh_accept(&c, second, secondlen, NOW + 500, UNIX + 500,
	    0), ACC_NEW);
	ASSERT_EQ(mm->state, M_DEAD);
	ASSERT(mm->notice != NULL);
	ASSERT_EQ(mm->noticelen, secondlen);
	free(first);
	free(second);
	mesh_release(&a);
	mesh_release(&b);
	mesh_release(&c);
}

/*
 * A deleted record never comes back: not after its tombstone is collected,
 * not on a node that restarts, not on one that joins later.  The author
 * publishes its live records again and a floor above the old tombstones.
 */
TEST(mesh_deleted_record_never_returns)
{
	struct mesh		 a, b, c;
	uint8_t			 root_sk[SECRET_KEY];
	struct rec_service	 s;
	struct buf		 body;
	const struct rec	*r;
	uint8_t			*old;
	uint32_t		 oldlen;
	uint64_t		 t = NOW, u = UNIX;

	two(&a, &b, root_sk);
	a.cfg.tombstone_ttl_ms = b.cfg.tombstone_ttl_ms = 60000;
	memset(&s, 0, sizeof(s));
	strcpy(s.name, "web");
	s.proto = SVC_TCP;
	s.port = 8080;
	s.target.family = 4;
	s.target.ip[0] = 100;
	s.target.ip[1] = 64;
	s.target.ip[3] = 10;
	s.target.port = 80;
	/* a second, long-lived service, published before "web" is deleted */
	buf_init(&body, WIRE_MAX_RECORD);
	strcpy(s.name, "keep");
	ASSERT_EQ(rec_service_encode(&body, mesh_next_version(&a, u), &s), 0);
	ASSERT_EQ(mesh_publish(&a, body.p, body.len, t), 0);
	buf_reset(&body);
	strcpy(s.name, "web");
	ASSERT_EQ(rec_service_encode(&body, mesh_next_version(&a, u), &s), 0);
	ASSERT_EQ(mesh_publish(&a, body.p, body.len, t), 0);
	r = store_get(&a.store, a.id, REC_SERVICE, (const uint8_t *)"web", 3);
	oldlen = r->envlen;
	old = malloc(oldlen);
	rec_envelope(r, old);
	buf_reset(&body);
	ASSERT_EQ(rec_tombstone_encode(&body, REC_SERVICE,
	    mesh_next_version(&a, u), (const uint8_t *)"web", 3), 0);
	ASSERT_EQ(mesh_publish(&a, body.p, body.len, t), 0);
	buf_release(&body);
	store_foreach(&a.store, copy_into, &b);

	/* the TTL passes: a publishes "keep" again and a floor above "web" */
	t += 61000;
	u += 61000;
	mesh_tick(&a, t, u);
	ASSERT(a.floor > 0);
	ASSERT(store_get(&a.store, a.id, REC_SERVICE, (const uint8_t *)"web",
	    3) == NULL);
	r = store_get(&a.store, a.id, REC_SERVICE, (const uint8_t *)"keep", 4);
	ASSERT(r != NULL && r->version >= a.floor);
	store_foreach(&a.store, copy_into, &b);
	mesh_tick(&b, t, u);
	ASSERT(store_get(&b.store, a.id, REC_SERVICE, (const uint8_t *)"web",
	    3) == NULL);
	ASSERT_UEQ(a.store.hash, b.store.hash);
	/* a replayed copy of the deleted record is refused */
	ASSERT_EQ(mesh_accept(&b, old, oldlen, t, u, 0), ACC_STALE);

	/* a node that joins later (or restarts empty) learns the floor first */
	node(&c, "c");
	memcpy(c.root, a.root, WIRE_KEY);
	memcpy(c.mesh_id, a.mesh_id, WIRE_MESH_ID);
	c.joined = 1;
	ASSERT_EQ(mesh_accept(&c, a.self_env, a.self_envlen, t, u, 0), ACC_NEW);
	ASSERT_EQ(mesh_accept(&c, old, oldlen, t, u, 0), ACC_STALE);
	ASSERT(store_get(&c.store, a.id, REC_SERVICE, (const uint8_t *)"web",
	    3) == NULL);
	free(old);
	mesh_release(&a);
	mesh_release(&b);
	mesh_release(&c);
}

/* ---- operators and policy (node/core/policy.c) ---- */

#include "proto/envelope.h"
#include "proto/oprec.h"

static enum acc
statement(struct mesh *to, const uint8_t sk[SECRET_KEY], struct oprec *o)
{
	struct buf	 body, env;
	enum acc	 r = ACC_NOMEM;

	buf_init(&body, WIRE_MAX_RECORD);
	buf_init(&env, WIRE_MAX_RECORD);
	if (oprec_encode(&body, o) == 0 &&
	    env_seal(&env, sk, to->mesh_id, body.p, body.len) == 0)
		r = mesh_accept(to, env.p, env.len, NOW, UNIX, 0);
	buf_release(&body);
	buf_release(&env);
	return r;
}

static void
enrol(struct oprec *o, uint64_t v, const uint8_t key[WIRE_KEY],
    const char *name, uint8_t action)
{
	memset(o, 0, sizeof(*o));
	o->kind = REC_OPERATOR;
	o->version = v;
	memcpy(o->subject, key, WIRE_KEY);
	strcpy(o->name, name);
	o->action = action;
}

TEST(policy_root_enrols_operators_members_cannot)
{
	struct mesh	 a, b;
	uint8_t		 root_sk[SECRET_KEY], op_pk[WIRE_KEY], op_sk[SECRET_KEY];
	struct oprec	 o;

	two(&a, &b, root_sk);
	crypto_sign_keypair(op_pk, op_sk);
	ASSERT(!policy_governed(&b.pol));
	/* a member's own key cannot enrol an operator, nor grant */
	enrol(&o, UNIX + 1, op_pk, "alice", OP_ENROL);
	ASSERT_EQ(statement(&b, a.sk, &o), ACC_NOT_OPERATOR);
	ASSERT_EQ(statement(&b, root_sk, &o), ACC_NEW);
	ASSERT(policy_governed(&b.pol));
	ASSERT_EQ(b.pol.nactive, 1);
	memset(&o, 0, sizeof(o));
	o.kind = REC_GRANT;
	o.version = UNIX + 2;
	strcpy(o.name, "web");
	o.svc.proto = SVC_TCP;
	o.svc.port = 80;
	o.nowners = 1;
	memcpy(o.owners[0], a.id, WIRE_KEY);
	ASSERT_EQ(statement(&b, b.sk, &o), ACC_NOT_OPERATOR);
	ASSERT(policy_grant(&b.pol, "web") == NULL);
	ASSERT_EQ(statement(&b, op_sk, &o), ACC_NEW);
	ASSERT(policy_granted(policy_grant(&b.pol, "web"), a.id));
	ASSERT(!policy_granted(policy_grant(&b.pol, "web"), b.id));
	ASSERT(b.counters[ACC_NOT_OPERATOR] == 2);
	mesh_release(&a);
	mesh_release(&b);
}

TEST(policy_removal_last_operator_and_order)
{
	struct mesh	 a, b;
	uint8_t		 root_sk[SECRET_KEY], k1[WIRE_KEY], s1[SECRET_KEY],
			 k2[WIRE_KEY], s2[SECRET_KEY];
	struct oprec	 o;

	two(&a, &b, root_sk);
	crypto_sign_keypair(k1, s1);
	crypto_sign_keypair(k2, s2);
	enrol(&o, UNIX + 1, k1, "one", OP_ENROL);
	ASSERT_EQ(statement(&b, root_sk, &o), ACC_NEW);
	/* the last operator cannot be removed, not even by itself */
	enrol(&o, UNIX + 2, k1, "one", OP_REMOVE);
	ASSERT_EQ(statement(&b, s1, &o), ACC_NOT_OPERATOR);
	enrol(&o, UNIX + 3, k2, "two", OP_ENROL);
	ASSERT_EQ(statement(&b, s1, &o), ACC_NEW);
	enrol(&o, UNIX + 4, k1, "one", OP_REMOVE);
	ASSERT_EQ(statement(&b, s2, &o), ACC_NEW);
	ASSERT_EQ(b.pol.nactive, 1);
	ASSERT(!policy_operator(&b.pol, k1)->active);
	/* what "one" signed before stays (it enrolled "two"); later, nothing */
	ASSERT(policy_operator(&b.pol, k2)->active);
	memset(&o, 0, sizeof(o));
	o.kind = REC_REVOKE;
	o.version = UNIX + 5;
	memcpy(o.subject, a.id, WIRE_KEY);
	strcpy(o.name, "a");
	ASSERT_EQ(statement(&b, s1, &o), ACC_NOT_OPERATOR);
	ASSERT(policy_revoked(&b.pol, a.id) == NULL);
	/* the same statements in another order give the same policy */
	ASSERT_EQ(policy_rebuild(&b.pol, &b.store), 0);
	ASSERT_EQ(b.pol.nactive, 1);
	ASSERT(policy_operator(&b.pol, k2)->active);
	mesh_release(&a);
	mesh_release(&b);
}

TEST(policy_revocation_refuses_records_and_rejoin)
{
	struct mesh	 a, b;
	uint8_t		 root_sk[SECRET_KEY], k1[WIRE_KEY], s1[SECRET_KEY];
	struct oprec	 o;
	struct token	 t;
	struct wire_msg	 h;
	struct wire_cert chain[WIRE_MAX_CHAIN];
	uint8_t		 n;
	char		 err[256];

	two(&a, &b, root_sk);
	crypto_sign_keypair(k1, s1);
	enrol(&o, UNIX + 1, k1, "one", OP_ENROL);
	ASSERT_EQ(statement(&a, root_sk, &o), ACC_NEW);
	memset(&o, 0, sizeof(o));
	o.kind = REC_REVOKE;
	o.version = UNIX + 2;
	memcpy(o.subject, b.id, WIRE_KEY);
	strcpy(o.name, "b");
	ASSERT_EQ(statement(&a, s1, &o), ACC_NEW);
	ASSERT(mb_get(&a.mb, b.id)->revoked);
	ASSERT_EQ(mb_get(&a.mb, b.id)->state, M_LEFT);
	ASSERT(!mesh_is_member(&a, b.id));
	/* its newer node record is refused, so is a join under its key */
	ASSERT_EQ(mesh_publish_self(&b, NOW, UNIX + 10), 0);
	ASSERT_EQ(mesh_accept(&a, b.self_env, b.self_envlen, NOW, UNIX + 10, 0),
	    ACC_REVOKED);
	/* and so is its invitation: counted as revoked, not as a stranger's */
	ASSERT_EQ(mesh_invite(&b, 3600 * 1000, NOW, UNIX + 11, &t), 0);
	for (uint32_t i = 0; i < b.store.nslots; i++)
		if (b.store.recs[i].sealed && b.store.recs[i].kind == REC_INVITE &&
		    memcmp(b.store.recs[i].author, b.id, WIRE_KEY) == 0)
			ASSERT_EQ(mesh_accept(&a, env_of(&b.store.recs[i]),
			    b.store.recs[i].envlen, NOW, UNIX + 11, MESH_RELAY),
			    ACC_REVOKED);
	ASSERT_EQ(a.counters[ACC_REVOKED], 2);
	ASSERT_EQ(mesh_invite(&a, 3600 * 1000, NOW, UNIX, &t), 0);
	hello(&h, &b, &t, "b2");
	ASSERT_EQ(mesh_admit(&a, &h, UNIX + 10, chain, &n, err, sizeof(err)),
	    WERR_REVOKED);
	mesh_release(&a);
	mesh_release(&b);
}

TEST(leave_is_final_for_the_key)
{
	struct mesh	 a, b, copy;
	uint8_t		 root_sk[SECRET_KEY], sk[SECRET_KEY];
	struct wire_cert chain[WIRE_MAX_CHAIN];
	uint8_t		 n, tok[WIRE_KEY];
	struct mesh_config cfg;

	two(&a, &b, root_sk);
	memcpy(sk, b.sk, SECRET_KEY);
	memcpy(chain, b.chain, sizeof(chain));
	n = b.nchain;
	memcpy(tok, b.via_token, WIRE_KEY);
	/* b leaves in the second it joined: certificates carry seconds */
	ASSERT_EQ(mesh_leave(&b, NOW, UNIX + 1), 0);
	ASSERT_EQ(mesh_accept(&a, b.self_env, b.self_envlen, NOW, UNIX + 1,
	    0), ACC_NEW);
	/* a copy of its state directory speaks again, with the old admission */
	mesh_config_default(&cfg);
	ASSERT_EQ(mesh_init(&copy, &cfg, sk, "b", b.addrs, b.naddrs, 9, NOW), 0);
	copy.version = b.version;
	ASSERT_EQ(mesh_adopt(&copy, a.root, chain, n, tok, NOW, UNIX + 20000), 0);
	ASSERT_EQ(mesh_accept(&a, copy.self_env, copy.self_envlen, NOW,
	    UNIX + 20000, 0), ACC_REFUSED);
	ASSERT_EQ(mb_get(&a.mb, b.id)->state, M_LEFT);
	mesh_release(&a);
	mesh_release(&b);
	mesh_release(&copy);
}

/*
 * A token's user may use it again (a join cut short is retried), but not
 * once it left: its node record says left, and it comes back only with a
 * new token (security.md, defence 26).  Checked where the joiner asks (c),
 * at the token's maker (a, which also decides for c: JOIN_RESERVE), and a
 * new token made after the leave may itself be retried although the
 * joiner's record still says left.
 */
TEST(mesh_token_of_a_node_that_left_is_used)
{
	struct mesh		 a, b, c;
	uint8_t			 root_sk[SECRET_KEY], inviter[WIRE_KEY];
	struct token		 t, t2;
	struct wire_msg		 h, h2;
	struct wire_cert	 chain[WIRE_MAX_CHAIN];
	uint8_t			 n;
	char			 err[256];

	two(&a, &c, root_sk);
	node(&b, "j");
	ASSERT_EQ(mesh_invite(&a, 3600 * 1000, NOW, UNIX, &t), 0);
	store_foreach(&a.store, copy_into, &c);
	hello(&h, &b, &t, "j");
	ASSERT_EQ(mesh_admit(&a, &h, UNIX, chain, &n, err, sizeof(err)), 0);
	ASSERT_EQ(mesh_adopt(&b, a.root, chain, n, h.token_pub, NOW, UNIX), 0);
	ASSERT_EQ(mesh_accept(&a, b.self_env, b.self_envlen, NOW, UNIX, 0),
	    ACC_NEW);
	ASSERT_EQ(mesh_accept(&c, b.self_env, b.self_envlen, NOW, UNIX, 0),
	    ACC_NEW);
	/* before it leaves, b may use its token again, anywhere */
	ASSERT_EQ(mesh_admit_check(&c, &h, UNIX, inviter, err, sizeof(err)), 0);
	ASSERT_EQ(mesh_token_reserve(&a, h.token_pub, h.joiner, h.token_sig,
	    UNIX, err, sizeof(err)), 0);

	ASSERT_EQ(mesh_leave(&b, NOW, UNIX + 1000), 0);
	ASSERT_EQ(mesh_accept(&a, b.self_env, b.self_envlen, NOW, UNIX + 1000,
	    0), ACC_NEW);
	ASSERT_EQ(mesh_accept(&c, b.self_env, b.self_envlen, NOW, UNIX + 1000,
	    0), ACC_NEW);
	/* the old token, at its maker, at another member, and reserved */
	ASSERT_EQ(mesh_admit(&a, &h, UNIX + 2000, chain, &n, err, sizeof(err)),
	    WERR_TOKEN_USED);
	ASSERT(strstr(err, "left the mesh") != NULL);
	ASSERT(strstr(err, "new token") != NULL);
	ASSERT_EQ(mesh_admit_check(&c, &h, UNIX + 2000, inviter, err,
	    sizeof(err)), WERR_TOKEN_USED);
	ASSERT(strstr(err, "left the mesh") != NULL);
	ASSERT_EQ(mesh_token_reserve(&a, h.token_pub, h.joiner, h.token_sig,
	    UNIX + 2000, err, sizeof(err)), WERR_TOKEN_USED);
	ASSERT(strstr(err, "left the mesh") != NULL);

	/* a new token works through c (a reserves it), and again (a retry) */
	ASSERT_EQ(mesh_invite(&a, 3600 * 1000, NOW, UNIX + 2000, &t2), 0);
	store_foreach(&a.store, copy_into, &c);
	hello(&h2, &b, &t2, "j");
	ASSERT_EQ(mesh_admit_check(&c, &h2, UNIX + 2000, inviter, err,
	    sizeof(err)), 0);
	ASSERT_MEM_EQ(inviter, a.id, WIRE_KEY);
	ASSERT_EQ(mesh_token_reserve(&a, h2.token_pub, h2.joiner, h2.token_sig,
	    UNIX + 2000, err, sizeof(err)), 0);
	mesh_token_reserved(&c, h2.token_pub, h2.joiner);
	ASSERT_EQ(mesh_admit(&c, &h2, UNIX + 2000, chain, &n, err,
	    sizeof(err)), 0);
	ASSERT_EQ(mesh_admit(&c, &h2, UNIX + 3000, chain, &n, err,
	    sizeof(err)), 0);
	ASSERT_EQ(mesh_token_reserve(&a, h2.token_pub, h2.joiner, h2.token_sig,
	    UNIX + 3000, err, sizeof(err)), 0);
	ASSERT_EQ(mesh_admit(&a, &h2, UNIX + 3000, chain, &n, err,
	    sizeof(err)), 0);
	/* and the old one stays used */
	ASSERT_EQ(mesh_admit(&a, &h, UNIX + 3000, chain, &n, err, sizeof(err)),
	    WERR_TOKEN_USED);
	mesh_release(&a);
	mesh_release(&b);
	mesh_release(&c);
}

/* seal_programmed - m's signed REC_PROGRAMMED record into env. */
static void
seal_programmed(struct mesh *m, uint64_t version, uint64_t digest,
    uint32_t services, struct buf *env)
{
	struct rec_programmed	 pr = { digest, services };
	struct buf		 body;

	buf_init(&body, WIRE_MAX_RECORD);
	ASSERT_EQ(rec_programmed_encode(&body, version, &pr), 0);
	buf_init(env, WIRE_MAX_RECORD);
	ASSERT_EQ(env_seal(env, m->sk, m->mesh_id, body.p, body.len), 0);
	buf_release(&body);
}

TEST(mesh_programmed_record_per_author_members_only)
{
	struct mesh		 a, b, x;
	uint8_t			 root_sk[SECRET_KEY];
	struct buf		 e1, e2, ex, bad, body;
	const struct rec	*r;
	const uint8_t		*bd;
	size_t			 bdlen;
	struct rec_head		 h;
	struct rec_programmed	 pr;
	msgpack_packer		 pk;

	two(&a, &b, root_sk);
	/* b's digest: stored under b, the newer replacing the older */
	seal_programmed(&b, UNIX + 1, 0x1111, 2, &e1);
	seal_programmed(&b, UNIX + 2, 0x2222, 3, &e2);
	ASSERT_EQ(mesh_accept(&a, e1.p, e1.len, NOW, UNIX, MESH_RELAY), ACC_NEW);
	ASSERT_EQ(mesh_accept(&a, e2.p, e2.len, NOW, UNIX, MESH_RELAY), ACC_NEW);
	ASSERT_EQ(mesh_accept(&a, e1.p, e1.len, NOW, UNIX, MESH_RELAY), ACC_DUP);
	r = store_get(&a.store, b.id, REC_PROGRAMMED, NULL, 0);
	ASSERT(r != NULL);
	bd = rec_body(r, &bdlen);
	ASSERT_EQ(rec_programmed_decode(bd, bdlen, &h, &pr), 0);
	ASSERT_UEQ(pr.digest, 0x2222);
	ASSERT_UEQ(pr.services, 3);
	ASSERT(store_get(&a.store, a.id, REC_PROGRAMMED, NULL, 0) == NULL);

	/* a body that breaks the format, signed by a member */
	buf_init(&body, WIRE_MAX_RECORD);
	mp_packer_init(&pk, &body);
	rec_head_encode(&pk, REC_PROGRAMMED, UNIX + 3, 0, NULL, 0, 1);
	msgpack_pack_uint64(&pk, 7);
	buf_init(&bad, WIRE_MAX_RECORD);
	ASSERT_EQ(env_seal(&bad, b.sk, b.mesh_id, body.p, body.len), 0);
	ASSERT_EQ(mesh_accept(&a, bad.p, bad.len, NOW, UNIX, MESH_RELAY),
	    ACC_MALFORMED);

	/* an outsider's, in the mesh's name */
	node(&x, "x");
	memcpy(x.mesh_id, a.mesh_id, WIRE_MESH_ID);
	seal_programmed(&x, UNIX + 1, 0x3333, 1, &ex);
	ASSERT_EQ(mesh_accept(&a, ex.p, ex.len, NOW, UNIX, MESH_RELAY),
	    ACC_NOT_MEMBER);
	ASSERT(store_get(&a.store, x.id, REC_PROGRAMMED, NULL, 0) == NULL);
	/* tampered: the signature of a newer digest no longer verifies */
	buf_release(&e2);
	seal_programmed(&b, UNIX + 4, 0x4444, 4, &e2);
	e2.p[e2.len - 1] ^= 1;
	ASSERT_EQ(mesh_accept(&a, e2.p, e2.len, NOW, UNIX, MESH_RELAY),
	    ACC_FORGED);

	buf_release(&e1);
	buf_release(&e2);
	buf_release(&ex);
	buf_release(&bad);
	buf_release(&body);
	mesh_release(&x);
	mesh_release(&a);
	mesh_release(&b);
}

/*
 * The state file (state.c): a's own file, with a MAC made with a's key,
 * says how far it is trusted.  One record in it has a bad signature
 * (flipped in a's store), so restoring shows whether signatures were
 * checked: with MESH_TRUSTED it is taken, without it refused as forged.
 */
static void
restore_into(struct mesh *m, const struct mesh *from, const struct state_snap *s,
    int flags)
{
	struct mesh_config	 cfg;

	mesh_config_default(&cfg);
	ASSERT_EQ(mesh_init(m, &cfg, from->sk, "a", from->addrs, 1, 7,
	    NOW), 0);
	ASSERT_EQ(s->joined, 1);
	mesh_set_root(m, s->root);
	memcpy(m->chain, s->chain, sizeof(m->chain));
	m->nchain = s->nchain;
	m->joined = 1;
	mesh_accept_items(m, &s->records, NOW, UNIX, flags, NULL);
}

TEST(state_mac_trusted_restore)
{
	struct mesh		 a, b, r1, r2;
	struct state_snap	 s;
	struct rec_service	 sv;
	struct buf		 body, pl, file;
	uint8_t			 root_sk[SECRET_KEY], key[STATE_MAC], other[STATE_MAC];
	const uint8_t		*p;
	const struct rec	*r;
	size_t			 plen;

	two(&a, &b, root_sk);
	memset(&sv, 0, sizeof(sv));
	strcpy(sv.name, "web");
	sv.proto = SVC_TCP;
	sv.port = 8080;
	sv.target.family = 4;
	sv.target.ip[0] = 100;
	sv.target.ip[1] = 64;
	sv.target.port = 80;
	buf_init(&body, WIRE_MAX_RECORD);
	ASSERT_EQ(rec_service_encode(&body, mesh_next_version(&b, UNIX), &sv), 0);
	ASSERT_EQ(mesh_publish(&b, body.p, body.len, NOW), 0);
	r = store_get(&b.store, b.id, REC_SERVICE, (const uint8_t *)"web", 3);
	ASSERT(r != NULL);
	ASSERT_EQ(mesh_accept(&a, env_of(r), r->envlen, NOW, UNIX, 0), ACC_NEW);
	/* a's copy of b's record: its signature no longer verifies */
	r = store_get(&a.store, b.id, REC_SERVICE, (const uint8_t *)"web", 3);
	ASSERT(r != NULL);
	r->sealed[WIRE_SIG - 3] ^= 0x40;	/* envelope byte ENV_HDR - 3 */

	buf_init(&pl, 1 << 20);
	buf_init(&file, 1 << 20);
	ASSERT_EQ(state_encode(&pl, &a, NULL, 0), 0);
	state_mac_key(key, a.sk);
	ASSERT_EQ(state_wrap(&file, pl.p, pl.len, key), 0);

	/* the file as written: trusted, and restored without a signature check */
	ASSERT_EQ(state_unwrap(file.p, file.len, key, &p, &plen), STATE_TRUSTED);
	ASSERT_EQ(plen, pl.len);
	ASSERT_EQ(memcmp(p, pl.p, plen), 0);
	ASSERT_EQ(state_decode_file(file.p, file.len, key, &s), 0);
	ASSERT_EQ(s.trust, STATE_TRUSTED);
	restore_into(&r1, &a, &s, MESH_TRUSTED);
	ASSERT(store_get(&r1.store, b.id, REC_SERVICE, (const uint8_t *)"web",
	    3) != NULL);
	ASSERT_EQ(r1.counters[ACC_FORGED], 0);
	ASSERT_UEQ(r1.store.live, a.store.live);
	/* the same records verified one by one: the altered one is refused */
	restore_into(&r2, &a, &s, 0);
	ASSERT(store_get(&r2.store, b.id, REC_SERVICE, (const uint8_t *)"web",
	    3) == NULL);
	ASSERT_EQ(r2.counters[ACC_FORGED], 1);
	ASSERT(mesh_is_member(&r2, b.id));
	state_snap_release(&s);
	mesh_release(&r1);
	mesh_release(&r2);

	/* another node's key, or none: not trusted */
	memset(other, 0x5a, sizeof(other));
	ASSERT_EQ(state_unwrap(file.p, file.len, other, &p, &plen), STATE_MAC_BAD);
	ASSERT_EQ(state_unwrap(file.p, file.len, NULL, &p, &plen),
	    STATE_UNCHECKED);
	/* any byte changed: the MAC does not check (or the framing is refused) */
	for (size_t i = 0; i < file.len; i += 1 + i / 7) {
		int	 t;

		file.p[i] ^= 0x01;
		t = state_unwrap(file.p, file.len, key, &p, &plen);
		ASSERT(t == STATE_MAC_BAD || t == STATE_OLD || t == -1);
		if (state_decode_file(file.p, file.len, key, &s) == 0) {
			ASSERT(s.trust != STATE_TRUSTED);
			state_snap_release(&s);
		}
		file.p[i] ^= 0x01;
	}
	ASSERT_EQ(state_unwrap(file.p, file.len, key, &p, &plen), STATE_TRUSTED);
	/* truncated or extended: refused */
	ASSERT_EQ(state_unwrap(file.p, file.len - 1, key, &p, &plen), -1);
	ASSERT_EQ(state_unwrap(file.p, 7, key, &p, &plen), -1);
	/* a file from before the MAC (the payload alone) is verified */
	ASSERT_EQ(state_decode_file(pl.p, pl.len, key, &s), 0);
	ASSERT_EQ(s.trust, STATE_OLD);
	ASSERT_UEQ(s.records.n, a.store.live);
	state_snap_release(&s);

	buf_release(&body);
	buf_release(&pl);
	buf_release(&file);
	mesh_release(&a);
	mesh_release(&b);
}

/* write f's len bytes as dir's state file */
static void
put_file(int dirfd, const uint8_t *f, size_t len)
{
	int	 fd;

	ASSERT((fd = openat(dirfd, STATE_FILE, O_WRONLY | O_CREAT | O_TRUNC,
	    0600)) != -1);
	ASSERT_EQ(write(fd, f, len), (ssize_t)len);
	close(fd);
}

/*
 * state_load() decodes the file where it read it (the records stay in its
 * buffer, which the snapshot then owns): the same records as a decode of
 * a copy; and a file it refuses, at any stage, leaves nothing behind (the
 * sanitizer build checks the buffer is freed once).
 */
TEST(state_load_decodes_in_place)
{
	struct mesh		 a, b;
	struct state_snap	 s, c;
	struct buf		 pl, file;
	uint8_t			 root_sk[SECRET_KEY], key[STATE_MAC];
	char			 dir[] = "/tmp/rpn-test-state.XXXXXX", err[256];
	int			 dirfd, absent;

	two(&a, &b, root_sk);
	ASSERT(mkdtemp(dir) != NULL);
	ASSERT((dirfd = open(dir, O_RDONLY | O_DIRECTORY)) != -1);
	ASSERT_EQ(state_load(dirfd, a.sk, &s, &absent, err, sizeof(err)), 0);
	ASSERT_EQ(absent, 1);

	ASSERT_EQ(state_save(dirfd, &a, NULL, 0, err, sizeof(err)), 0);
	ASSERT_EQ(state_load(dirfd, a.sk, &s, &absent, err, sizeof(err)), 0);
	ASSERT_EQ(absent, 0);
	ASSERT_EQ(s.trust, STATE_TRUSTED);
	ASSERT_UEQ(s.records.n, a.store.live);
	ASSERT(s.records.n >= 2);
	buf_init(&pl, 1 << 20);
	buf_init(&file, 1 << 20);
	ASSERT_EQ(state_encode(&pl, &a, NULL, 0), 0);
	state_mac_key(key, a.sk);
	ASSERT_EQ(state_wrap(&file, pl.p, pl.len, key), 0);
	ASSERT_EQ(state_decode_file(file.p, file.len, key, &c), 0);
	ASSERT_UEQ(c.records.n, s.records.n);
	for (uint32_t i = 0; i < s.records.n; i++) {
		size_t		 l1, l2;
		const uint8_t	*p1 = wire_items_get(&s.records, i, &l1);
		const uint8_t	*p2 = wire_items_get(&c.records, i, &l2);

		ASSERT_UEQ(l1, l2);
		ASSERT_MEM_EQ(p1, p2, l1);
	}
	state_snap_release(&c);
	state_snap_release(&s);
	/* no key: read, not trusted */
	ASSERT_EQ(state_load(dirfd, NULL, &s, &absent, err, sizeof(err)), 0);
	ASSERT_EQ(s.trust, STATE_UNCHECKED);
	state_snap_release(&s);

	/* refused after the records were decoded: proofs that are not a list */
	ASSERT_EQ(pl.p[pl.len - 1], 0x90);	/* no proofs: [] */
	pl.p[pl.len - 1] = 0xc0;		/* nil */
	buf_release(&file);
	buf_init(&file, 1 << 20);
	ASSERT_EQ(state_wrap(&file, pl.p, pl.len, key), 0);
	put_file(dirfd, file.p, file.len);
	ASSERT_EQ(state_load(dirfd, a.sk, &s, &absent, err, sizeof(err)), -1);
	ASSERT(strstr(err, "it is damaged") != NULL);
	/* cut short, or empty: damaged too */
	put_file(dirfd, file.p, file.len - 1);
	ASSERT_EQ(state_load(dirfd, a.sk, &s, &absent, err, sizeof(err)), -1);
	ASSERT(strstr(err, "it is damaged") != NULL);
	put_file(dirfd, file.p, 0);
	ASSERT_EQ(state_load(dirfd, a.sk, &s, &absent, err, sizeof(err)), -1);
	ASSERT(strstr(err, "it is damaged") != NULL);
	/* not a file: refused at once (a FIFO hung the start before) */
	ASSERT_EQ(unlinkat(dirfd, STATE_FILE, 0), 0);
	ASSERT_EQ(mkfifoat(dirfd, STATE_FILE, 0600), 0);
	ASSERT_EQ(state_load(dirfd, a.sk, &s, &absent, err, sizeof(err)), -1);
	ASSERT(strstr(err, "not a regular file") != NULL);

	ASSERT_EQ(unlinkat(dirfd, STATE_FILE, 0), 0);
	close(dirfd);
	ASSERT_EQ(rmdir(dir), 0);
	buf_release(&pl);
	buf_release(&file);
	mesh_release(&a);
	mesh_release(&b);
}

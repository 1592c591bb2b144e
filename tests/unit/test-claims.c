/* test-claims.c: members' addresses proven before they count, LAN prefixes judged, proofs kept in the state file. */
#include <sodium.h>

#include "node/core/claims.h"
#include "node/core/mesh.h"
#include "node/core/state.h"
#include "proto/mp.h"
#include "proto/parse.h"
#include "tests/unit/test.h"

static struct wire_addr
A(const char *s)
{
	struct wire_addr	 a;

	ASSERT_EQ(parse_addrport(s, 7480, &a), 0);
	return a;
}

/* An address is proven by authenticated traffic from it, and only that one. */
TEST(claims_proven_by_traffic_from_the_address)
{
	struct claims		 c;
	struct wire_addr	 adv[2] = { A("198.51.100.2"), A("198.51.100.18") };
	struct wire_addr	 other = A("203.0.113.77:9999");

	memset(&c, 0, sizeof(c));
	ASSERT_EQ(claims_advertised(&c, adv, 2, 1000), 0);
	ASSERT_EQ(claims_proven(&c, &adv[0]), 0);
	ASSERT_EQ(claims_proven(&c, &adv[1]), 0);
	ASSERT_EQ(claims_unproven(&c), 2);
	/* Traffic from an address it does not advertise proves nothing. */
	ASSERT_EQ(claims_seen(&c, &other, 1001), 0);
	ASSERT_EQ(claims_unproven(&c), 2);
	/* From the first one (any source port): that one, not the other. */
	ASSERT_EQ(claims_seen(&c, &(struct wire_addr){ 4, { 198, 51, 100, 2 },
	    40000 }, 1002), 1);
	ASSERT_EQ(claims_proven(&c, &adv[0]), 1);
	ASSERT_EQ(claims_proven(&c, &other), 0);
	ASSERT_EQ(claims_proven(&c, &adv[1]), 0);
	ASSERT_EQ(claims_seen(&c, &adv[0], 1003), 0);	/* nothing new */
	ASSERT_EQ(claims_unproven(&c), 1);
	ASSERT_EQ(claims_nproven(&c), 1);
}

/*
 * An address that never sends is challenged at once, then 1 s, 2 s, 4 s
 * ... up to 60 s apart while it does not answer; an answer from it proves it.
 */
TEST(claims_challenge_schedule_and_answer)
{
	struct claims		 c;
	struct wire_addr	 adv[3] = { A("198.51.100.2"), A("198.51.100.18"),
	    A("198.51.100.18:7481") };
	struct wire_addr	 due[WIRE_MAX_ADDRS];
	uint64_t		 t = 5000, gap = CLAIM_RETRY_MIN_MS;

	memset(&c, 0, sizeof(c));
	ASSERT_EQ(claims_advertised(&c, adv, 3, t), 0);
	ASSERT_EQ(claims_seen(&c, &adv[0], t), 1);
	/* Due now: .18 once, although it is listed with two ports. */
	ASSERT_EQ(claims_due(&c, t, due, NULL, WIRE_MAX_ADDRS), 1);
	ASSERT(addr_eq(&due[0], &adv[1]));
	ASSERT_EQ(claims_due(&c, t, due, NULL, WIRE_MAX_ADDRS), 0);
	for (int i = 0; i < 12; i++) {
		ASSERT_EQ(claims_due(&c, t + gap - 1, due, NULL, WIRE_MAX_ADDRS), 0);
		t += gap;
		ASSERT_EQ(claims_due(&c, t, due, NULL, WIRE_MAX_ADDRS), 1);
		gap = gap * 2 > CLAIM_RETRY_MAX_MS ? CLAIM_RETRY_MAX_MS : gap * 2;
	}
	ASSERT_EQ(gap, CLAIM_RETRY_MAX_MS);
	ASSERT_EQ(claims_due(&c, t + CLAIM_RETRY_MAX_MS - 1, due, NULL,
	    WIRE_MAX_ADDRS), 0);
	/* The challenge's answer came from .18: proven, both ports. */
	ASSERT_EQ(claims_seen(&c, &adv[1], t + 10), 1);
	ASSERT_EQ(claims_proven(&c, &adv[2]), 1);
	ASSERT_EQ(claims_due(&c, t + 10 * CLAIM_RETRY_MAX_MS, due, NULL,
	    WIRE_MAX_ADDRS), 0);
	ASSERT_EQ(claims_unproven(&c), 0);
	/* max bounds what one call returns. */
	memset(&c, 0, sizeof(c));
	ASSERT_EQ(claims_advertised(&c, adv, 2, t), 0);
	ASSERT_EQ(claims_due(&c, t, due, NULL, 1), 1);
	ASSERT_EQ(claims_due(&c, t, due, NULL, 1), 1);
	ASSERT_EQ(claims_due(&c, t, due, NULL, 1), 0);
}

/*
 * The first two challenges of an address are flagged (the engine sends
 * them as datagrams); the later ones are not, nor is an address that
 * answered and was listed again, nor a new address beside it.
 */
TEST(claims_first_challenges_flagged)
{
	struct claims		 c;
	struct wire_addr	 adv[3] = { A("198.51.100.2"), A("198.51.100.18"),
	    A("198.51.100.18:7481") };
	struct wire_addr	 due[WIRE_MAX_ADDRS];
	uint8_t			 dgram[WIRE_MAX_ADDRS];
	uint64_t		 t = 5000;

	memset(&c, 0, sizeof(c));
	ASSERT_EQ(claims_advertised(&c, adv, 3, t), 0);
	memset(dgram, 7, sizeof(dgram));
	ASSERT_EQ(claims_due(&c, t, due, dgram, WIRE_MAX_ADDRS), 2);
	ASSERT_EQ(dgram[0], 1);
	ASSERT_EQ(dgram[1], 1);		/* .18 once, for both its ports */
	ASSERT_EQ(claims_seen(&c, &adv[0], t + 10), 1);
	t += CLAIM_RETRY_MIN_MS;
	ASSERT_EQ(claims_due(&c, t, due, dgram, WIRE_MAX_ADDRS), 1);
	ASSERT(addr_eq(&due[0], &adv[1]));
	ASSERT_EQ(dgram[0], 1);		/* the second try: a datagram again */
	ASSERT_EQ(claims_due(&c, t + 2 * CLAIM_RETRY_MIN_MS - 1, due, dgram,
	    WIRE_MAX_ADDRS), 0);
	t += 2 * CLAIM_RETRY_MIN_MS;
	ASSERT_EQ(claims_due(&c, t, due, dgram, WIRE_MAX_ADDRS), 1);
	ASSERT_EQ(dgram[0], 0);		/* the third, 3 s on, as a stream */
	/* Listed again with a new address: only that one is a datagram. */
	adv[0] = A("198.51.100.3");
	ASSERT_EQ(claims_advertised(&c, adv, 2, t), 1);
	ASSERT_EQ(claims_due(&c, t + 4 * CLAIM_RETRY_MIN_MS, due, dgram,
	    WIRE_MAX_ADDRS), 2);
	ASSERT(addr_eq(&due[0], &adv[0]));
	ASSERT_EQ(dgram[0], 1);
	ASSERT_EQ(dgram[1], 0);
}

/*
 * claims_next_due is when claims_due next returns an address: never
 * earlier, never later; UINT64_MAX once every address is proven or quiet,
 * so the engine stops looking at a member whose addresses are all proven.
 */
TEST(claims_next_due_matches_the_schedule)
{
	struct claims		 c;
	struct wire_addr	 adv[3] = { A("198.51.100.2"), A("198.51.100.18"),
	    A("[2001:db8::7]:7480") };
	struct wire_addr	 due[WIRE_MAX_ADDRS];
	uint64_t		 t = 5000, next;

	memset(&c, 0, sizeof(c));
	ASSERT_EQ(claims_next_due(NULL), UINT64_MAX);	/* no claims yet */
	ASSERT_EQ(claims_next_due(&c), UINT64_MAX);	/* nothing advertised */
	ASSERT_EQ(claims_advertised(&c, adv, 2, t), 0);
	ASSERT_EQ(claims_next_due(&c), t);		/* new: due at once */
	ASSERT_EQ(claims_seen(&c, &adv[0], t), 1);
	ASSERT_EQ(claims_next_due(&c), t);		/* .18 still is */
	for (int i = 0; i < 10; i++) {
		ASSERT_EQ(claims_due(&c, t, due, NULL, WIRE_MAX_ADDRS), 1);
		next = claims_next_due(&c);
		ASSERT(next > t);
		ASSERT_EQ(claims_due(&c, next - 1, due, NULL, WIRE_MAX_ADDRS), 0);
		t = next;
	}
	ASSERT_EQ(claims_seen(&c, &adv[1], t), 1);
	ASSERT_EQ(claims_next_due(&c), UINT64_MAX);	/* all proven */
	/* A quiet address is not due; one that is not quiet any more is. */
	ASSERT_EQ(claims_advertised(&c, adv, 3, t + 1), 0);
	ASSERT_EQ(claims_next_due(&c), t + 1);		/* the IPv6 one */
	c.a[2].quiet = 1;
	ASSERT_EQ(claims_next_due(&c), UINT64_MAX);
	ASSERT_EQ(claims_due(&c, t + 100, due, NULL, WIRE_MAX_ADDRS), 0);
	c.a[2].quiet = 0;
	ASSERT_EQ(claims_next_due(&c), t + 1);
	ASSERT_EQ(claims_due(&c, t + 1, due, NULL, WIRE_MAX_ADDRS), 1);
}

/*
 * A new node record: addresses it still lists keep their proofs; a
 * changed (new) address must be proven again; one it no longer lists is
 * gone.  Traffic seen before the record that lists its source proves it.
 */
TEST(claims_follow_the_node_record)
{
	struct claims		 c;
	struct wire_addr	 r1[2] = { A("198.51.100.2"), A("198.51.100.18") };
	struct wire_addr	 r2[2] = { A("198.51.100.2:7000"), A("198.51.100.99") };
	struct wire_addr	 r3[2] = { A("198.51.100.2"), A("198.51.100.77") };
	struct wire_addr	 due[WIRE_MAX_ADDRS];

	memset(&c, 0, sizeof(c));
	ASSERT_EQ(claims_advertised(&c, r1, 2, 0), 0);
	ASSERT_EQ(claims_seen(&c, &r1[0], 1), 1);
	ASSERT_EQ(claims_seen(&c, &r1[1], 2), 1);
	ASSERT_EQ(claims_unproven(&c), 0);
	/* .18 is replaced by .99: the proven set shrank. */
	ASSERT_EQ(claims_advertised(&c, r2, 2, 10), 1);
	ASSERT_EQ(claims_proven(&c, &r2[0]), 1);	/* another port, same address */
	ASSERT_EQ(claims_proven(&c, &r2[1]), 0);
	ASSERT_EQ(claims_proven(&c, &r1[1]), 0);	/* no longer advertised */
	ASSERT_EQ(claims_due(&c, 10, due, NULL, WIRE_MAX_ADDRS), 1);
	ASSERT(addr_eq(&due[0], &r2[1]));
	/* The same list again changes nothing, and keeps the schedule. */
	ASSERT_EQ(claims_advertised(&c, r2, 2, 11), 0);
	ASSERT_EQ(claims_due(&c, 11, due, NULL, WIRE_MAX_ADDRS), 0);
	/* Traffic from .77 first, then the record that lists it. */
	ASSERT_EQ(claims_seen(&c, &r3[1], 20), 0);
	ASSERT_EQ(claims_advertised(&c, r3, 2, 21), 1);
	ASSERT_EQ(claims_proven(&c, &r3[1]), 1);
	/* No addresses at all. */
	ASSERT_EQ(claims_advertised(&c, NULL, 0, 30), 1);
	ASSERT_EQ(c.n, 0);
	ASSERT_EQ(claims_proven(&c, &r3[0]), 0);
}

/* Quiet addresses are neither challenged nor counted; restored proofs count only when advertised. */
TEST(claims_quiet_and_restored)
{
	struct claims		 c;
	struct wire_addr	 adv[2] = { A("100.64.1.1"), A("198.51.100.34") };
	struct wire_addr	 due[WIRE_MAX_ADDRS];
	struct wire_addr	 gone = A("198.51.100.35");

	memset(&c, 0, sizeof(c));
	ASSERT_EQ(claims_advertised(&c, adv, 2, 0), 0);
	c.a[0].quiet = 1;
	ASSERT_EQ(claims_unproven(&c), 1);
	ASSERT_EQ(claims_due(&c, 0, due, NULL, WIRE_MAX_ADDRS), 1);
	ASSERT(addr_eq(&due[0], &adv[1]));
	ASSERT_EQ(claims_restore(&c, &gone), 0);
	ASSERT_EQ(claims_restore(&c, &adv[1]), 1);
	ASSERT_EQ(claims_restore(&c, &adv[1]), 0);
	ASSERT_EQ(claims_proven(&c, &adv[1]), 1);
	ASSERT_EQ(claims_unproven(&c), 0);
	ASSERT_EQ(claims_nproven(&c), 1);
}

/* Which LAN prefixes of another member need an operator's approval, and why. */
TEST(lan_needs_approval_table)
{
	static const struct {
		const char	*prefix;
		enum lan_verdict want;
		uint32_t	 nothers;	/* 0: only others[0], outside all */
	} t[] = {
		{ "10.0.0.0/16", LAN_OK, 0 },	/* the unchanged case first */
		{ "10.1.5.0/25", LAN_OK, 0 },
		{ "172.16.0.0/16", LAN_OK, 0 },
		{ "172.31.255.0/24", LAN_OK, 0 },
		{ "192.168.0.0/16", LAN_OK, 0 },
		{ "192.168.7.0/24", LAN_OK, 0 },
		{ "100.64.1.0/24", LAN_OK, 0 },
		{ "100.127.0.0/16", LAN_OK, 0 },
		{ "10.9.9.9/32", LAN_OK, 0 },
		{ "fd00:1::/48", LAN_OK, 0 },
		{ "fd12:3456:789a:1::/64", LAN_OK, 0 },
		{ "8.0.0.0/8", LAN_NOT_PRIVATE, 0 },
		{ "0.0.0.0/1", LAN_NOT_PRIVATE, 0 },
		{ "0.0.0.0/0", LAN_NOT_PRIVATE, 0 },
		{ "11.0.0.0/16", LAN_NOT_PRIVATE, 0 },
		{ "172.32.0.0/16", LAN_NOT_PRIVATE, 0 },
		{ "172.15.0.0/16", LAN_NOT_PRIVATE, 0 },
		{ "192.169.0.0/16", LAN_NOT_PRIVATE, 0 },
		{ "100.128.0.0/16", LAN_NOT_PRIVATE, 0 },
		{ "100.63.0.0/16", LAN_NOT_PRIVATE, 0 },
		{ "192.0.2.0/24", LAN_NOT_PRIVATE, 0 },
		{ "198.51.100.0/24", LAN_NOT_PRIVATE, 0 },
		{ "203.0.113.0/24", LAN_NOT_PRIVATE, 0 },
		{ "2001:db8::/48", LAN_NOT_PRIVATE, 0 },
		{ "::/0", LAN_NOT_PRIVATE, 0 },
		{ "10.0.0.0/7", LAN_NOT_PRIVATE, 0 },	/* wider than 10/8 */
		{ "10.0.0.0/15", LAN_TOO_SHORT, 0 },
		{ "10.0.0.0/8", LAN_TOO_SHORT, 0 },	/* private, but 2^24 hosts */
		{ "172.16.0.0/12", LAN_TOO_SHORT, 0 },
		{ "100.64.0.0/10", LAN_TOO_SHORT, 0 },
		{ "fd00::/8", LAN_TOO_SHORT, 0 },
		{ "fd00::/47", LAN_TOO_SHORT, 0 },
		{ "192.168.1.0/24", LAN_OVERLAPS, 3 },	/* holds 192.168.1.7 */
		{ "192.168.0.0/16", LAN_OVERLAPS, 3 },
		{ "192.168.2.0/24", LAN_OK, 3 },
	};
	struct wire_addr	 others[3] = { A("198.51.100.50"),
	    A("192.168.1.7"), A("[fd00:9::1]:7480") };
	struct wire_prefix	 p;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum lan_verdict	 v;

		ASSERT_EQ(parse_prefix(t[i].prefix, &p, NULL), 0);
		v = lan_needs_approval(&p, others, t[i].nothers ?
		    t[i].nothers : 1);
		if (v != t[i].want)
			TEST_FAIL("%s: %s, want %s", t[i].prefix,
			    lan_verdict_name(v), lan_verdict_name(t[i].want));
	}
	/* Overlap: an address inside, at either end; IPv6 too. */
	ASSERT_EQ(parse_prefix("192.168.1.0/29", &p, NULL), 0);
	ASSERT_EQ(lan_needs_approval(&p, others, 3), LAN_OVERLAPS);
	ASSERT_EQ(parse_prefix("192.168.1.8/29", &p, NULL), 0);
	ASSERT_EQ(lan_needs_approval(&p, others, 3), LAN_OK);
	ASSERT_EQ(parse_prefix("fd00:9::/48", &p, NULL), 0);
	ASSERT_EQ(lan_needs_approval(&p, others, 3), LAN_OVERLAPS);
	ASSERT_EQ(lan_needs_approval(&p, NULL, 0), LAN_OK);
	/* A prefix length past the family's is never private. */
	p.family = 4;
	p.len = 33;
	ASSERT_EQ(lan_needs_approval(&p, NULL, 0), LAN_NOT_PRIVATE);
	p.family = 0;
	ASSERT_EQ(lan_needs_approval(&p, NULL, 0), LAN_NOT_PRIVATE);
}

/* A state file's first ten elements, as rpnd wrote them before proofs. */
static void
pack_state(struct buf *b, int nelem, int bad_proof)
{
	msgpack_packer		 pk;
	struct wire_addr	 a = A("198.51.100.34");
	uint8_t			 id[WIRE_KEY];

	memset(id, 0x42, sizeof(id));
	buf_reset(b);
	mp_packer_init(&pk, b);
	msgpack_pack_array(&pk, (size_t)nelem);
	msgpack_pack_uint8(&pk, 1);
	mp_pack_str(&pk, "n1");
	msgpack_pack_array(&pk, 0);
	msgpack_pack_false(&pk);
	msgpack_pack_nil(&pk);
	msgpack_pack_nil(&pk);
	msgpack_pack_nil(&pk);
	msgpack_pack_false(&pk);
	msgpack_pack_uint64(&pk, 77);
	wire_items_encode(&pk, NULL, NULL, NULL, 0);
	if (nelem < 11)
		return;
	msgpack_pack_array(&pk, 1);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_bin_with_body(&pk, id, bad_proof ? WIRE_KEY - 1 : WIRE_KEY);
	msgpack_pack_array(&pk, 2);
	wire_addr_encode(&pk, &a);
	a.ip[3] = 18;
	wire_addr_encode(&pk, &a);
}

/* An old state file (ten elements) still loads; one with proofs gives them back. */
TEST(state_proofs_old_and_new_format)
{
	struct state_snap	 s;
	struct buf		 b;

	buf_init(&b, 4096);
	pack_state(&b, 10, 0);
	ASSERT_EQ(state_decode(b.p, b.len, &s), 0);
	ASSERT_EQ(s.counter, 77);
	ASSERT_EQ(s.nproofs, 0);
	state_snap_release(&s);
	pack_state(&b, 11, 0);
	ASSERT_EQ(state_decode(b.p, b.len, &s), 0);
	ASSERT_EQ(s.nproofs, 1);
	ASSERT_EQ(s.proofs[0].id[5], 0x42);
	ASSERT_EQ(s.proofs[0].naddrs, 2);
	ASSERT(addr_eq(&s.proofs[0].addrs[1], &(struct wire_addr){ 4,
	    { 198, 51, 100, 18 }, 7480 }));
	state_snap_release(&s);
	pack_state(&b, 11, 1);
	ASSERT_EQ(state_decode(b.p, b.len, &s), -1);
	pack_state(&b, 12, 0);
	ASSERT_EQ(state_decode(b.p, b.len, &s), -1);
	buf_release(&b);
}

/* state_encode writes the proofs a member's claims hold, and nothing for self. */
TEST(state_proofs_round_trip)
{
	struct mesh_config	 cfg;
	struct mesh		 m;
	struct state_snap	 s;
	struct member		*mm;
	struct buf		 b;
	uint8_t			 pk[WIRE_KEY], sk[SECRET_KEY], other[WIRE_KEY];
	struct wire_addr	 self = A("198.51.100.1");
	struct wire_addr	 adv[3] = { A("198.51.100.34"), A("198.51.100.35"),
	    A("203.0.113.77") };

	mesh_config_default(&cfg);
	crypto_sign_keypair(pk, sk);
	ASSERT_EQ(mesh_init(&m, &cfg, sk, "n1", &self, 1, 7, 1000), 0);
	memset(other, 0x17, sizeof(other));
	ASSERT_EQ(mb_on_alive(&m.mb, other, 5, 0, 1000), 1);
	ASSERT((mm = mb_get(&m.mb, other)) != NULL);
	ASSERT(mm->claims == NULL);	/* nothing claimed yet: not allocated */
	ASSERT_EQ(claims_nproven(mm->claims), 0);
	ASSERT_EQ(claims_advertised(mb_claims(mm), adv, 3, 1000), 0);
	ASSERT_EQ(claims_seen(mb_claims(mm), &adv[0], 1000), 1);
	ASSERT_EQ(claims_seen(mb_claims(mm), &adv[1], 1000), 1);
	buf_init(&b, 1 << 16);
	ASSERT_EQ(state_encode(&b, &m, NULL, 0), 0);
	ASSERT_EQ(state_decode(b.p, b.len, &s), 0);
	ASSERT_EQ(s.nproofs, 1);
	ASSERT_EQ(memcmp(s.proofs[0].id, other, WIRE_KEY), 0);
	ASSERT_EQ(s.proofs[0].naddrs, 2);
	ASSERT(addr_eq(&s.proofs[0].addrs[0], &adv[0]));
	ASSERT(addr_eq(&s.proofs[0].addrs[1], &adv[1]));
	state_snap_release(&s);
	buf_release(&b);
	mesh_release(&m);
}

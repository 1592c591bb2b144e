/* test-dpplan.c: the parent's planner: element changes from requests, the mirror, and the request decoders. */
#include <arpa/inet.h>
#include <stddef.h>

#include "node/core/dataplane.h"
#include "tests/unit/test.h"

static struct dp_svc
req(uint8_t proto, uint16_t port, int n)
{
	struct dp_svc	 r;

	memset(&r, 0, sizeof(r));
	r.proto = proto;
	r.port = port;
	r.nbackends = (uint8_t)n;
	for (int i = 0; i < n; i++) {
		r.backends[i].addr = htonl(0xc6336400u + (uint32_t)i + 1);
		r.backends[i].port = port;
	}
	return r;
}

static size_t
count(const struct dp_ops *o, enum dp_set set, int del)
{
	size_t	 n = 0;

	for (size_t i = 0; i < o->n; i++)
		n += o->v[i].set == set && o->v[i].del == del;
	return n;
}

TEST(dpplan_deltas_are_o_of_changes)
{
	struct dp_mirror	 m;
	struct dp_ops		 o = { 0 };
	struct dp_flush		 fl[8];
	uint32_t		 nfl = 0;
	struct dp_svc		 r;

	dp_mirror_init(&m);
	/* new, private, one backend: a single element */
	r = req(6, 8080, 1);
	ASSERT_EQ(dp_plan_svc(&m, &r, &o, fl, &nfl, 8), 0);
	ASSERT_EQ(o.n, 1);
	ASSERT_EQ(count(&o, DS_SVC4, 0), 1);
	/* the key as the kernel stores it: proto, pad, port big-endian, pad */
	ASSERT_EQ(o.v[0].key[0], 6);
	ASSERT_EQ(o.v[0].key[4], 0x1f);
	ASSERT_EQ(o.v[0].key[5], 0x90);
	/* the same again: nothing */
	dp_ops_reset(&o);
	ASSERT_EQ(dp_plan_svc(&m, &r, &o, fl, &nfl, 8), 0);
	ASSERT_EQ(o.n, 0);
	/* a second backend: from svc4 to 16 buckets of svc4lb */
	r = req(6, 8080, 2);
	dp_ops_reset(&o);
	ASSERT_EQ(dp_plan_svc(&m, &r, &o, fl, &nfl, 8), 0);
	ASSERT_EQ(count(&o, DS_SVC4, 1), 1);
	ASSERT_EQ(count(&o, DS_SVC4LB, 0), DP_BUCKETS);
	/* one backend replaced: only the buckets that pointed at it change */
	r.backends[1].addr = htonl(0xc6336409);
	dp_ops_reset(&o);
	ASSERT_EQ(dp_plan_svc(&m, &r, &o, fl, &nfl, 8), 0);
	ASSERT_EQ(count(&o, DS_SVC4LB, 1), DP_BUCKETS / 2);
	ASSERT_EQ(count(&o, DS_SVC4LB, 0), DP_BUCKETS / 2);
	ASSERT_EQ(o.n, DP_BUCKETS);
	/* public adds its own element */
	r.public = 1;
	dp_ops_reset(&o);
	ASSERT_EQ(dp_plan_svc(&m, &r, &o, fl, &nfl, 8), 0);
	ASSERT_EQ(count(&o, DS_PUBLIC, 0), 1);
	/* removal: everything it had, and it leaves the mirror */
	r = req(6, 8080, 0);
	dp_ops_reset(&o);
	ASSERT_EQ(dp_plan_svc(&m, &r, &o, fl, &nfl, 8), 0);
	ASSERT_EQ(count(&o, DS_SVC4LB, 1), DP_BUCKETS);
	ASSERT_EQ(count(&o, DS_PUBLIC, 1), 1);
	ASSERT_EQ(o.n, DP_BUCKETS + 1);
	ASSERT_EQ(m.nsvcs, 0);
	ASSERT_EQ(nfl, 0);		/* TCP: conntrack left to time out */
	dp_ops_release(&o);
	dp_mirror_release(&m);
}

TEST(dpplan_udp_backend_removal_flushes_conntrack)
{
	struct dp_mirror	 m;
	struct dp_ops		 o = { 0 };
	struct dp_flush		 fl[8];
	uint32_t		 nfl = 0;
	struct dp_svc		 r = req(17, 5353, 2), r1;

	dp_mirror_init(&m);
	ASSERT_EQ(dp_plan_svc(&m, &r, &o, fl, &nfl, 8), 0);
	ASSERT_EQ(nfl, 0);
	r1 = r;
	r1.nbackends = 1;
	memset(&r1.backends[1], 0, sizeof(r1.backends[1]));
	ASSERT_EQ(dp_plan_svc(&m, &r1, &o, fl, &nfl, 8), 0);
	ASSERT_EQ(nfl, 1);
	ASSERT_EQ(fl[0].backend_addr, r.backends[1].addr);
	ASSERT_EQ(fl[0].port, 5353);
	dp_ops_release(&o);
	dp_mirror_release(&m);
}

static struct dp_addr
lan(uint8_t op, uint32_t host, uint8_t len)
{
	struct dp_addr	 a;

	memset(&a, 0, sizeof(a));
	a.op = op;
	a.p.addr = htonl(host);
	a.p.len = len;
	return a;
}

TEST(dpplan_sets_and_full_state)
{
	struct dp_mirror	 m;
	struct dp_ops		 o = { 0 };
	struct dp_addr		 a;
	struct dp_flush		 fl[1];
	uint32_t		 nfl = 0;
	struct dp_svc		 r = req(6, 80, 1);

	dp_mirror_init(&m);
	a = lan(1, 0xc6336401, 32);
	ASSERT_EQ(dp_plan_addr(&m, 0, &a, &o), 0);
	ASSERT_EQ(dp_plan_addr(&m, 0, &a, &o), 0);	/* twice: once */
	ASSERT_EQ(count(&o, DS_MEMBERS4, 0), 1);
	a = lan(1, 0x64400100, 24);
	ASSERT_EQ(dp_plan_addr(&m, 1, &a, &o), 0);
	ASSERT_EQ(dp_plan_lans(&m, &o), 0);
	/* a LAN range: a start element, and an end element one past it */
	ASSERT_EQ(count(&o, DS_LANS4, 0), 2);
	ASSERT_EQ(o.v[o.n - 2].key[2], 0x01);
	ASSERT_EQ(o.v[o.n - 2].end, 0);
	ASSERT_EQ(o.v[o.n - 1].key[2], 0x02);
	ASSERT_EQ(o.v[o.n - 1].end, 1);
	ASSERT_EQ(dp_plan_svc(&m, &r, &o, fl, &nfl, 1), 0);
	dp_ops_reset(&o);
	ASSERT_EQ(dp_plan_all(&m, &o), 0);
	ASSERT_EQ(o.n, 4);	/* svc4, one member, one LAN (two elements) */
	a.op = 2;
	dp_ops_reset(&o);
	ASSERT_EQ(dp_plan_addr(&m, 1, &a, &o), 0);
	ASSERT_EQ(dp_plan_lans(&m, &o), 0);
	ASSERT_EQ(count(&o, DS_LANS4, 1), 2);
	dp_ops_release(&o);
	dp_mirror_release(&m);
}

/*
 * Overlapping prefixes never reach the kernel's interval sets (which refuse
 * them, and every transaction with them, with EEXIST): they are merged.
 */
TEST(dpplan_overlapping_prefixes_merged)
{
	struct dp_mirror	 m;
	struct dp_ops		 o = { 0 };
	struct dp_addr		 a;
	struct dp_flush		 fl[1];
	uint32_t		 nfl = 0;
	struct dp_svc		 r = req(6, 8081, 1);
	struct dp_prefix	 p[4];
	struct dp_range		 g[4];

	/* two members' LANs: 100.64.0.0/16 and 100.64.1.0/24 */
	dp_mirror_init(&m);
	a = lan(1, 0x64400000, 16);
	ASSERT_EQ(dp_plan_addr(&m, 1, &a, &o), 0);
	a = lan(1, 0x64400100, 24);
	ASSERT_EQ(dp_plan_addr(&m, 1, &a, &o), 0);
	ASSERT_EQ(dp_plan_lans(&m, &o), 0);
	ASSERT_EQ(count(&o, DS_LANS4, 0), 2);	/* one range */
	ASSERT_EQ(m.nlanivs, 1);
	ASSERT_UEQ(m.lanivs[0].lo, 0x64400000);
	ASSERT_UEQ(m.lanivs[0].hi, 0x6440ffff);
	/* the /16 goes: the range shrinks to the /24 */
	dp_ops_reset(&o);
	a = lan(2, 0x64400000, 16);
	ASSERT_EQ(dp_plan_addr(&m, 1, &a, &o), 0);
	ASSERT_EQ(dp_plan_lans(&m, &o), 0);
	ASSERT_EQ(count(&o, DS_LANS4, 1), 2);
	ASSERT_EQ(count(&o, DS_LANS4, 0), 2);
	ASSERT_EQ(o.v[0].del, 1);		/* deletes before adds */
	ASSERT_UEQ(m.lanivs[0].lo, 0x64400100);
	/* host bits do not make another prefix */
	dp_ops_reset(&o);
	a = lan(1, 0x64400107, 24);
	ASSERT_EQ(dp_plan_addr(&m, 1, &a, &o), 0);
	ASSERT_EQ(m.nlans, 1);
	/* a range that runs to the top has no end element */
	a = lan(1, 0xffffff00, 24);
	ASSERT_EQ(dp_plan_addr(&m, 1, &a, &o), 0);
	ASSERT_EQ(dp_plan_lans(&m, &o), 0);
	ASSERT_EQ(count(&o, DS_LANS4, 0), 1);

	/* one service's --allow 203.0.113.0/24 --allow 203.0.113.0/25 */
	dp_ops_reset(&o);
	r.nallow = 2;
	r.allow[0].addr = htonl(0xcb007100);
	r.allow[0].len = 24;
	r.allow[1].addr = htonl(0xcb007100);
	r.allow[1].len = 25;
	ASSERT_EQ(dp_plan_svc(&m, &r, &o, fl, &nfl, 1), 0);
	ASSERT_EQ(count(&o, DS_ALLOW4, 0), 1);
	dp_ops_release(&o);
	dp_mirror_release(&m);

	/* adjacent prefixes merge too (their end and start would collide) */
	memset(p, 0, sizeof(p));
	p[0].addr = htonl(0x0a000000);
	p[0].len = 24;
	p[1].addr = htonl(0x0a000100);
	p[1].len = 24;
	p[2].addr = htonl(0x0a000300);
	p[2].len = 24;
	p[3].addr = htonl(0);
	p[3].len = 0;
	ASSERT_EQ(dp_merge(p, 3, g), 2);
	ASSERT_UEQ(g[0].hi, 0x0a0001ff);
	ASSERT_EQ(dp_merge(p, 4, g), 1);
	ASSERT_UEQ(g[0].lo, 0);
	ASSERT_UEQ(g[0].hi, 0xffffffff);
}

TEST(dpplan_refuses_bad_requests)
{
	struct dp_svc	 r = req(6, 80, 1);
	struct dp_addr	 a;

	ASSERT(dp_svc_valid(&r));
	r.proto = 1;
	ASSERT(!dp_svc_valid(&r));
	r = req(6, 0, 1);
	ASSERT(!dp_svc_valid(&r));
	r = req(6, 80, 1);
	r.nbackends = 17;
	ASSERT(!dp_svc_valid(&r));
	r = req(6, 80, 1);
	r.nallow = 1;
	r.allow[0].len = 33;
	ASSERT(!dp_svc_valid(&r));
	r = req(6, 80, 1);
	r.backends[0].port = 0;
	ASSERT(!dp_svc_valid(&r));
	memset(&a, 0, sizeof(a));
	a.op = 3;
	ASSERT(!dp_addr_valid(&a));
}

/*
 * A request the engine sends is decoded by the parent (priv.c), which must
 * refuse anything that is not exactly a packed, valid request.  Each case
 * changes one thing in a valid packing: a field (off, width, value, or
 * width 0 for none) and the length given (dlen, new bytes zero).  Where a
 * count is out of bounds, the length still matches it, so that is what is
 * refused.
 */
#define BASE_NB		2
#define BASE_NA		1
#define BASE_LEN	(DP_SVC_HEAD + BASE_NB * 8 + BASE_NA * 8)
#define BK(i, f)	(DP_SVC_HEAD + (i) * 8 + offsetof(struct dp_backend, f))
#define AL(i, f)	(DP_SVC_HEAD + BASE_NB * 8 + (i) * 8 + \
			    offsetof(struct dp_prefix, f))

static const struct svc_refusal {
	const char	*what;
	size_t		 off;
	int		 width;
	uint32_t	 value;
	int		 dlen;
} svc_refusals[] = {
	{ "empty", 0, 0, 0, -BASE_LEN },
	{ "header cut short", 0, 0, 0, DP_SVC_HEAD - 1 - BASE_LEN },
	{ "header alone for two backends", 0, 0, 0, DP_SVC_HEAD - BASE_LEN },
	{ "a byte short", 0, 0, 0, -1 },
	{ "a byte over", 0, 0, 0, 1 },
	{ "an uncounted backend", 0, 0, 0, 8 },
	{ "counts one backend fewer", offsetof(struct dp_svc, nbackends), 1,
	    BASE_NB - 1, 0 },
	{ "counts one prefix more", offsetof(struct dp_svc, nallow), 1,
	    BASE_NA + 1, 0 },
	{ "longer than any request", 0, 0, 0, DP_SVC_MAXLEN + 1 - BASE_LEN },
	{ "17 backends", offsetof(struct dp_svc, nbackends), 1,
	    DP_MAX_BACKENDS + 1, (DP_MAX_BACKENDS + 1 - BASE_NB) * 8 },
	{ "17 prefixes", offsetof(struct dp_svc, nallow), 1,
	    DP_MAX_ALLOW + 1, (DP_MAX_ALLOW + 1 - BASE_NA) * 8 },
	{ "protocol 0", offsetof(struct dp_svc, proto), 1, 0, 0 },
	{ "protocol 1 (ICMP)", offsetof(struct dp_svc, proto), 1, 1, 0 },
	{ "protocol 132 (SCTP)", offsetof(struct dp_svc, proto), 1, 132, 0 },
	{ "port 0", offsetof(struct dp_svc, port), 2, 0, 0 },
	{ "public 2", offsetof(struct dp_svc, public), 1, 2, 0 },
	{ "first backend address 0", BK(0, addr), 4, 0, 0 },
	{ "second backend port 0", BK(1, port), 2, 0, 0 },
	{ "prefix length 33", AL(0, len), 1, 33, 0 },
	{ "prefix length 255", AL(0, len), 1, 255, 0 },
};

static struct dp_svc
svc_base(void)
{
	struct dp_svc	 r = req(6, 8080, BASE_NB);

	r.public = 1;
	r.nallow = BASE_NA;
	r.allow[0].addr = htonl(0xcb007100);
	r.allow[0].len = 24;
	return r;
}

TEST(dpplan_svc_unpack_refusals)
{
	struct dp_svc	 r = svc_base(), got;
	uint8_t		 base[DP_SVC_MAXLEN], buf[DP_SVC_MAXLEN + 8];

	/* the base itself passes, or every refusal below would be vacuous */
	ASSERT_EQ(dp_svc_pack(&r, base), BASE_LEN);
	ASSERT_EQ(dp_svc_unpack(base, BASE_LEN, &got), 0);
	ASSERT_MEM_EQ(&got, &r, sizeof(r));
	for (size_t i = 0; i < sizeof(svc_refusals) / sizeof(svc_refusals[0]);
	    i++) {
		const struct svc_refusal *c = &svc_refusals[i];
		uint8_t		 v8 = (uint8_t)c->value;
		uint16_t	 v16 = (uint16_t)c->value;
		uint32_t	 v32 = c->value;

		memset(buf, 0, sizeof(buf));
		memcpy(buf, base, BASE_LEN);
		if (c->width == 1)
			memcpy(buf + c->off, &v8, 1);
		else if (c->width == 2)
			memcpy(buf + c->off, &v16, 2);
		else if (c->width == 4)
			memcpy(buf + c->off, &v32, 4);
		if (dp_svc_unpack(buf, (size_t)(BASE_LEN + c->dlen),
		    &got) != -1)
			TEST_FAIL("dp_svc_unpack accepted: %s", c->what);
	}
}

/* Padding is not part of a request: cleared, so equal ones compare equal. */
TEST(dpplan_svc_unpack_clears_padding)
{
	struct dp_svc	 r = svc_base(), got;
	uint8_t		 buf[DP_SVC_MAXLEN];

	ASSERT_EQ(dp_svc_pack(&r, buf), BASE_LEN);
	memset(buf + offsetof(struct dp_svc, pad), 0xff, sizeof(r.pad));
	memset(buf + BK(1, pad), 0xff, sizeof(r.backends[1].pad));
	memset(buf + AL(0, pad), 0xff, sizeof(r.allow[0].pad));
	ASSERT_EQ(dp_svc_unpack(buf, BASE_LEN, &got), 0);
	ASSERT_MEM_EQ(&got, &r, sizeof(r));
	/* the smallest request: a removal, the header alone */
	r = req(17, 53, 0);
	ASSERT_EQ(dp_svc_pack(&r, buf), DP_SVC_HEAD);
	ASSERT_EQ(dp_svc_unpack(buf, DP_SVC_HEAD, &got), 0);
	ASSERT_MEM_EQ(&got, &r, sizeof(r));
}

/*
 * A PRIV_DP_SVC message: several packed requests one after the other, each
 * taken by the length its counts give; a truncated or invalid one refuses
 * the rest.
 */
TEST(dpplan_svc_unpack_batch)
{
	struct dp_svc	 r[3] = { svc_base(), req(17, 53, 0), req(6, 443, 2) },
			 got;
	uint8_t		 buf[3 * DP_SVC_MAXLEN];
	const uint8_t	*q;
	size_t		 len = 0, left;

	for (int i = 0; i < 3; i++)
		len += dp_svc_pack(&r[i], buf + len);
	ASSERT_EQ(len, BASE_LEN + DP_SVC_HEAD + DP_SVC_HEAD + 2 * 8);
	q = buf;
	left = len;
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(dp_svc_unpack_next(&q, &left, &got), 0);
		ASSERT_MEM_EQ(&got, &r[i], sizeof(got));
	}
	ASSERT_EQ(left, 0);
	ASSERT_EQ(dp_svc_unpack_next(&q, &left, &got), -1);
	/* the last one cut short: the first two pass, the third does not */
	q = buf;
	left = len - 1;
	ASSERT_EQ(dp_svc_unpack_next(&q, &left, &got), 0);
	ASSERT_EQ(dp_svc_unpack_next(&q, &left, &got), 0);
	ASSERT_EQ(dp_svc_unpack_next(&q, &left, &got), -1);
	/* a header alone, shorter than DP_SVC_HEAD */
	q = buf;
	left = DP_SVC_HEAD - 1;
	ASSERT_EQ(dp_svc_unpack_next(&q, &left, &got), -1);
	/* the second one invalid (port 0): refused there */
	buf[BASE_LEN + 2] = buf[BASE_LEN + 3] = 0;
	q = buf;
	left = len;
	ASSERT_EQ(dp_svc_unpack_next(&q, &left, &got), 0);
	ASSERT_EQ(dp_svc_unpack_next(&q, &left, &got), -1);
}

TEST(dpplan_addr_unpack_refusals)
{
	struct dp_addr	 a = lan(1, 0x64400100, 24), got;
	uint8_t		 buf[sizeof(a) + 1];

	memset(buf, 0, sizeof(buf));
	memcpy(buf, &a, sizeof(a));
	ASSERT_EQ(dp_addr_unpack(buf, sizeof(a), 1, &got), 0);
	ASSERT_EQ(dp_addr_unpack(buf, sizeof(a) - 1, 1, &got), -1);
	ASSERT_EQ(dp_addr_unpack(buf, sizeof(a) + 1, 1, &got), -1);
	/* a member is one address, never a prefix */
	ASSERT_EQ(dp_addr_unpack(buf, sizeof(a), 0, &got), -1);
	a = lan(2, 0xc6336401, 32);
	memcpy(buf, &a, sizeof(a));
	ASSERT_EQ(dp_addr_unpack(buf, sizeof(a), 0, &got), 0);
	a.op = 0;
	memcpy(buf, &a, sizeof(a));
	ASSERT_EQ(dp_addr_unpack(buf, sizeof(a), 0, &got), -1);
	a.op = 3;
	memcpy(buf, &a, sizeof(a));
	ASSERT_EQ(dp_addr_unpack(buf, sizeof(a), 0, &got), -1);
	a = lan(1, 0x64400100, 24);
	a.p.len = 33;
	memcpy(buf, &a, sizeof(a));
	ASSERT_EQ(dp_addr_unpack(buf, sizeof(a), 1, &got), -1);
}

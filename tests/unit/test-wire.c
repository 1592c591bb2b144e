/* test-wire.c: msgpack shape checks, record and message codecs, table-driven bad inputs. */
#include <sodium.h>

#include "proto/mp.h"
#include "proto/wire.h"
#include "tests/unit/test.h"

TEST(mp_shape_rejects_lying_counts)
{
	/* array32 claiming 2^32-1 elements: msgpack-c would allocate 96 GiB. */
	const uint8_t	 big[] = { 0xdd, 0xff, 0xff, 0xff, 0xff, 0x01 };
	const uint8_t	 map[] = { 0xdf, 0x00, 0x10, 0x00, 0x00, 0x01, 0x02 };
	const uint8_t	 str[] = { 0xdb, 0x00, 0x00, 0x01, 0x00, 'a' };
	const uint8_t	 ok[] = { 0x93, 0x01, 0xa1, 'x', 0xc0 };
	const uint8_t	 trailing[] = { 0x91, 0x01, 0x02 };
	const uint8_t	 flt[] = { 0x91, 0xca, 0, 0, 0, 0 };
	uint8_t		 deep[16];
	struct mp_doc	 d;

	ASSERT_EQ(mp_shape_ok(big, sizeof(big), MP_MAX_DEPTH), -1);
	ASSERT_EQ(mp_shape_ok(map, sizeof(map), MP_MAX_DEPTH), -1);
	ASSERT_EQ(mp_shape_ok(str, sizeof(str), MP_MAX_DEPTH), -1);
	ASSERT_EQ(mp_shape_ok(ok, sizeof(ok), MP_MAX_DEPTH), 0);
	ASSERT_EQ(mp_shape_ok(trailing, sizeof(trailing), MP_MAX_DEPTH), -1);
	ASSERT_EQ(mp_shape_ok(flt, sizeof(flt), MP_MAX_DEPTH), -1);
	ASSERT_EQ(mp_parse(&d, big, sizeof(big)), -1);
	ASSERT_EQ(mp_parse(&d, ok, sizeof(ok)), 0);
	mp_doc_release(&d);
	/* fifteen nested one-element arrays around a nil */
	memset(deep, 0x91, sizeof(deep));
	deep[15] = 0xc0;
	ASSERT_EQ(mp_shape_ok(deep, sizeof(deep), MP_MAX_DEPTH), -1);
	ASSERT_EQ(mp_shape_ok(deep + 8, 8, MP_MAX_DEPTH), 0);
}

static void
sample_node(struct rec_node *nd)
{
	memset(nd, 0, sizeof(*nd));
	strcpy(nd->name, "tokyo-1");
	nd->naddrs = 2;
	nd->addrs[0].family = 4;
	memcpy(nd->addrs[0].ip, "\xc6\x33\x64\x01", 4);
	nd->addrs[0].port = 7480;
	nd->addrs[1].family = 6;
	nd->addrs[1].ip[0] = 0x20;
	nd->addrs[1].ip[15] = 1;
	nd->addrs[1].port = 7481;
	nd->nchain = 2;
	memset(nd->chain[0].subject, 0xaa, WIRE_KEY);
	nd->chain[0].issued = 1700000000;
	memset(nd->chain[0].sig, 0x11, WIRE_SIG);
	memset(nd->chain[1].subject, 0xbb, WIRE_KEY);
	nd->chain[1].issued = 1700000001;
	memset(nd->chain[1].sig, 0x22, WIRE_SIG);
	nd->has_token = 1;
	memset(nd->via_token, 0xcc, WIRE_KEY);
}

TEST(rec_node_roundtrip)
{
	struct rec_node	 nd, out;
	struct rec_head	 h;
	struct buf	 b;

	sample_node(&nd);
	buf_init(&b, WIRE_MAX_RECORD);
	ASSERT_EQ(rec_node_encode(&b, 42, NODE_F_LEFT, &nd), 0);
	ASSERT_EQ(rec_node_decode(b.p, b.len, &h, &out), 0);
	ASSERT_EQ(h.kind, REC_NODE);
	ASSERT_UEQ(h.version, 42);
	ASSERT_EQ(h.flags, NODE_F_LEFT);
	ASSERT_STR_EQ(out.name, "tokyo-1");
	ASSERT_EQ(out.naddrs, 2);
	ASSERT_EQ(out.addrs[1].family, 6);
	ASSERT_EQ(out.addrs[1].port, 7481);
	ASSERT_EQ(out.nchain, 2);
	ASSERT_MEM_EQ(out.chain[1].sig, nd.chain[1].sig, WIRE_SIG);
	ASSERT_EQ(out.has_token, 1);
	/* Every truncation of a valid record is refused. */
	for (size_t n = 0; n < b.len; n++)
		ASSERT_EQ(rec_node_decode(b.p, n, &h, &out), -1);
	/* So is one trailing byte. */
	buf_put(&b, "", 1);
	ASSERT_EQ(rec_node_decode(b.p, b.len, &h, &out), -1);
	buf_release(&b);
}

TEST(rec_node_bad_fields)
{
	struct rec_node	 nd, out;
	struct rec_head	 h;
	struct buf	 b;
	const char	*bad_names[] = { "", "-lead", "has space", "a/b", "x\n" };

	sample_node(&nd);
	buf_init(&b, WIRE_MAX_RECORD);
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		strncpy(nd.name, bad_names[i], sizeof(nd.name) - 1);
		buf_reset(&b);
		ASSERT_EQ(rec_node_encode(&b, 1, 0, &nd), -1);
	}
	ASSERT(!wire_name_ok(
	    "0123456789012345678901234567890123456789012345678901234567890123"));
	ASSERT(wire_name_ok(
	    "012345678901234567890123456789012345678901234567890123456789012"));
	sample_node(&nd);
	nd.nchain = 0;
	ASSERT_EQ(rec_node_encode(&b, 1, 0, &nd), -1);
	/* version 0 is refused by the decoder */
	sample_node(&nd);
	buf_reset(&b);
	ASSERT_EQ(rec_node_encode(&b, 0, 0, &nd), 0);
	ASSERT_EQ(rec_node_decode(b.p, b.len, &h, &out), -1);
	/* unknown flag bits are refused */
	buf_reset(&b);
	ASSERT_EQ(rec_node_encode(&b, 5, 1u << 7, &nd), 0);
	ASSERT_EQ(rec_node_decode(b.p, b.len, &h, &out), -1);
	/* a node record is not an invite */
	buf_reset(&b);
	ASSERT_EQ(rec_node_encode(&b, 5, 0, &nd), 0);
	{
		struct rec_invite	 iv;

		ASSERT_EQ(rec_invite_decode(b.p, b.len, &h, &iv), -1);
	}
	buf_release(&b);
}

/* Hand-built bodies that break one rule each. */
TEST(rec_table_of_bad_bodies)
{
	static const struct {
		const char	*what;
		uint8_t		 bytes[32];
		size_t		 len;
	} cases[] = {
		{ "not an array", { 0x01 }, 1 },
		{ "four fields", { 0x94, 0x01, 0x01, 0x00, 0xc4, 0x00 }, 6 },
		{ "kind is a string", { 0x95, 0xa1, 'x', 0x01, 0x00, 0xc4, 0x00,
		    0x90 }, 8 },
		{ "negative version", { 0x95, 0x01, 0xff, 0x00, 0xc4, 0x00,
		    0x90 }, 7 },
		{ "key is a string", { 0x95, 0x02, 0x01, 0x00, 0xa1, 'k',
		    0x91, 0x01 }, 8 },
		{ "deleted with fields", { 0x95, 0x02, 0x01, 0x01, 0xc4, 0x00,
		    0x91, 0x01 }, 8 },
		{ "fields not an array", { 0x95, 0x02, 0x01, 0x00, 0xc4, 0x00,
		    0x01 }, 7 },
	};
	struct rec_head	 h;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (rec_head_decode(cases[i].bytes, cases[i].len, &h) != -1)
			TEST_FAIL("accepted: %s", cases[i].what);
}

TEST(rec_invite_notice_tombstone)
{
	struct rec_invite	 iv = { 1800000000 }, iv2;
	struct rec_notice	 nt = { 77, NOTICE_DEAD }, nt2;
	struct rec_head		 h;
	uint8_t			 key[WIRE_KEY], subj[WIRE_KEY];
	struct buf		 b;

	memset(key, 0x5a, sizeof(key));
	buf_init(&b, WIRE_MAX_RECORD);
	ASSERT_EQ(rec_invite_encode(&b, 9, 0, key, &iv), 0);
	ASSERT_EQ(rec_invite_decode(b.p, b.len, &h, &iv2), 0);
	ASSERT_UEQ(iv2.expires, 1800000000);
	ASSERT_EQ(h.keylen, WIRE_KEY);
	buf_reset(&b);
	ASSERT_EQ(rec_tombstone_encode(&b, REC_INVITE, 10, key, WIRE_KEY), 0);
	ASSERT_EQ(rec_invite_decode(b.p, b.len, &h, &iv2), 0);
	ASSERT_EQ(h.flags, REC_F_DELETED);
	buf_reset(&b);
	ASSERT_EQ(rec_notice_encode(&b, 123, key, &nt), 0);
	ASSERT_EQ(rec_notice_decode(b.p, b.len, &h, subj, &nt2), 0);
	ASSERT_UEQ(nt2.incarnation, 77);
	ASSERT_EQ(nt2.state, NOTICE_DEAD);
	ASSERT_MEM_EQ(subj, key, WIRE_KEY);
	buf_release(&b);
}

TEST(msg_probe_roundtrip_and_limits)
{
	const uint8_t	 a[] = "first item", b2[] = "second";
	const uint8_t	*items[2] = { a, b2 };
	size_t		 lens[2] = { sizeof(a), sizeof(b2) };
	struct wire_msg	 m;
	struct buf	 b;
	size_t		 len;

	buf_init(&b, WIRE_MAX_DATAGRAM);
	ASSERT_EQ(wire_probe_encode(&b, MSG_PING, 7, 0x1122334455667788ULL, 99,
	    items, lens, 2), 0);
	ASSERT_EQ(wire_msg_decode(b.p, b.len, 0, &m), 0);
	ASSERT_EQ(m.type, MSG_PING);
	ASSERT_EQ(m.seq, 7);
	ASSERT_UEQ(m.hash, 0x1122334455667788ULL);
	ASSERT_EQ(m.items.n, 2);
	ASSERT_MEM_EQ(wire_items_get(&m.items, 1, &len), b2, sizeof(b2));
	ASSERT_EQ(len, sizeof(b2));
	wire_msg_release(&m);
	/* a datagram type is not accepted on a stream, nor the reverse */
	ASSERT_EQ(wire_msg_decode(b.p, b.len, 1, &m), -1);
	buf_reset(&b);
	ASSERT_EQ(wire_done_encode(&b), 0);
	ASSERT_EQ(wire_msg_decode(b.p, b.len, 0, &m), -1);
	ASSERT_EQ(wire_msg_decode(b.p, b.len, 1, &m), 0);
	wire_msg_release(&m);
	/* a fixed buffer says no instead of overflowing */
	{
		uint8_t		 small[8];
		struct buf	 fb;

		buf_init_fixed(&fb, small, sizeof(small));
		ASSERT_EQ(wire_probe_encode(&fb, MSG_ACK, 1, 2, 3, items, lens,
		    2), -1);
	}
	buf_release(&b);
}

TEST(msg_digest_hello_offer_error)
{
	struct wire_digest_ent	 d[2];
	struct wire_msg		 m;
	struct wire_cert	 chain[2];
	uint8_t			 mid[WIRE_MESH_ID], k[WIRE_KEY], s[WIRE_SIG];
	struct buf		 b;

	memset(d, 0, sizeof(d));
	d[0].author[0] = 1;
	d[0].version = 5;
	d[0].sethash = 6;
	d[1].author[0] = 2;
	d[1].version = 7;
	buf_init(&b, WIRE_MAX_FRAME);
	ASSERT_EQ(wire_digest_encode(&b, MSG_SYNC_REQ, d, 2), 0);
	ASSERT_EQ(wire_msg_decode(b.p, b.len, 1, &m), 0);
	ASSERT_EQ(m.ndigest, 2);
	ASSERT_UEQ(m.digest[0].sethash, 6);
	ASSERT_UEQ(m.digest[1].version, 7);
	wire_msg_release(&m);

	memset(mid, 3, sizeof(mid));
	memset(k, 4, sizeof(k));
	memset(s, 5, sizeof(s));
	buf_reset(&b);
	ASSERT_EQ(wire_hello_encode(&b, mid, k, "osaka", k, s), 0);
	ASSERT_EQ(wire_msg_decode(b.p, b.len, 1, &m), 0);
	ASSERT_STR_EQ(m.name, "osaka");
	ASSERT_MEM_EQ(m.token_sig, s, WIRE_SIG);
	ASSERT_EQ(m.version, WIRE_VERSION);
	wire_msg_release(&m);
	/* another version still decodes, so the member can say why it refuses */
	ASSERT_EQ(b.p[2], WIRE_VERSION);
	b.p[2] = 1;
	ASSERT_EQ(wire_msg_decode(b.p, b.len, 1, &m), 0);
	ASSERT_EQ(m.version, 1);
	wire_msg_release(&m);
	b.p[2] = 0;
	ASSERT_EQ(wire_msg_decode(b.p, b.len, 1, &m), -1);

	memset(chain, 9, sizeof(chain));
	buf_reset(&b);
	ASSERT_EQ(wire_offer_encode(&b, k, (const uint8_t *)"rec", 3, chain, 2),
	    0);
	ASSERT_EQ(wire_msg_decode(b.p, b.len, 1, &m), 0);
	ASSERT_EQ(m.nchain, 2);
	ASSERT_EQ(m.items.n, 1);
	wire_msg_release(&m);

	buf_reset(&b);
	ASSERT_EQ(wire_error_encode(&b, WERR_TOKEN_USED, "used\n\033[31m"), 0);
	ASSERT_EQ(wire_msg_decode(b.p, b.len, 1, &m), 0);
	ASSERT_EQ(m.code, WERR_TOKEN_USED);
	ASSERT_STR_EQ(m.errmsg, "used??[31m");	/* control bytes defanged */
	wire_msg_release(&m);
	buf_release(&b);
}

TEST(msg_join_reserve_roundtrip_and_refusals)
{
	struct wire_msg	 m;
	uint8_t		 tok[WIRE_KEY], joiner[WIRE_KEY], sig[WIRE_SIG];
	struct buf	 b;
	msgpack_packer	 pk;

	memset(tok, 1, sizeof(tok));
	memset(joiner, 2, sizeof(joiner));
	memset(sig, 3, sizeof(sig));
	buf_init(&b, WIRE_MAX_FRAME);
	ASSERT_EQ(wire_reserve_encode(&b, tok, joiner, sig), 0);
	ASSERT_EQ(wire_msg_decode(b.p, b.len, 1, &m), 0);
	ASSERT_EQ(m.type, MSG_JOIN_RESERVE);
	ASSERT_MEM_EQ(m.token_pub, tok, WIRE_KEY);
	ASSERT_MEM_EQ(m.joiner, joiner, WIRE_KEY);
	ASSERT_MEM_EQ(m.token_sig, sig, WIRE_SIG);
	wire_msg_release(&m);
	/* a stream message: never in a datagram */
	ASSERT_EQ(wire_msg_decode(b.p, b.len, 0, &m), -1);
	/* trailing bytes */
	buf_put(&b, "\xc0", 1);
	ASSERT_EQ(wire_msg_decode(b.p, b.len, 1, &m), -1);

	/* a short proof, a missing field, an extra one */
	{
		static const size_t	 sigs[] = { WIRE_SIG, WIRE_SIG - 1 };
		static const uint32_t	 ns[] = { 4, 3, 5 };

		for (size_t i = 0; i < 2; i++)
			for (size_t j = 0; j < 3; j++) {
				buf_reset(&b);
				mp_packer_init(&pk, &b);
				msgpack_pack_array(&pk, ns[j]);
				msgpack_pack_uint8(&pk, MSG_JOIN_RESERVE);
				msgpack_pack_bin_with_body(&pk, tok, WIRE_KEY);
				msgpack_pack_bin_with_body(&pk, joiner,
				    WIRE_KEY);
				if (ns[j] >= 4)
					msgpack_pack_bin_with_body(&pk, sig,
					    sigs[i]);
				if (ns[j] == 5)
					msgpack_pack_nil(&pk);
				/* only the unchanged message decodes */
				ASSERT_EQ(wire_msg_decode(b.p, b.len, 1, &m),
				    i == 0 && j == 0 ? 0 : -1);
				if (i == 0 && j == 0)
					wire_msg_release(&m);
			}
	}

	buf_reset(&b);
	ASSERT_EQ(wire_reserved_encode(&b, 0, ""), 0);
	ASSERT_EQ(wire_msg_decode(b.p, b.len, 1, &m), 0);
	ASSERT_EQ(m.type, MSG_JOIN_RESERVED);
	ASSERT_EQ(m.code, 0);
	ASSERT_STR_EQ(m.errmsg, "");
	wire_msg_release(&m);
	buf_reset(&b);
	ASSERT_EQ(wire_reserved_encode(&b, WERR_TOKEN_USED,
	    "the token was already used\r\n"), 0);
	ASSERT_EQ(wire_msg_decode(b.p, b.len, 1, &m), 0);
	ASSERT_EQ(m.code, WERR_TOKEN_USED);
	ASSERT_STR_EQ(m.errmsg, "the token was already used??");
	wire_msg_release(&m);
	buf_release(&b);
}

TEST(rec_programmed_roundtrip_and_refusals)
{
	struct rec_programmed	 pr = { 0xfedcba9876543210ull, 100000 }, pr2;
	struct rec_head		 h;
	struct buf		 b;
	msgpack_packer		 pk;

	buf_init(&b, WIRE_MAX_RECORD);
	ASSERT_EQ(rec_programmed_encode(&b, 42, &pr), 0);
	ASSERT_EQ(rec_programmed_decode(b.p, b.len, &h, &pr2), 0);
	ASSERT_EQ(h.kind, REC_PROGRAMMED);
	ASSERT_UEQ(h.version, 42);
	ASSERT_EQ(h.keylen, 0);
	ASSERT_UEQ(pr2.digest, pr.digest);
	ASSERT_UEQ(pr2.services, 100000);
	/* Another kind's body is not one. */
	ASSERT_EQ(rec_health_decode(b.p, b.len, &h, &(struct rec_health){ 0 }),
	    -1);

	/* Never a tombstone, never a key, exactly two fields. */
	buf_reset(&b);
	ASSERT_EQ(rec_tombstone_encode(&b, REC_PROGRAMMED, 43, NULL, 0), 0);
	ASSERT_EQ(rec_programmed_decode(b.p, b.len, &h, &pr2), -1);
	buf_reset(&b);
	mp_packer_init(&pk, &b);
	rec_head_encode(&pk, REC_PROGRAMMED, 44, 0, (const uint8_t *)"k", 1, 2);
	msgpack_pack_uint64(&pk, 1);
	msgpack_pack_uint32(&pk, 1);
	ASSERT_EQ(rec_programmed_decode(b.p, b.len, &h, &pr2), -1);
	buf_reset(&b);
	mp_packer_init(&pk, &b);
	rec_head_encode(&pk, REC_PROGRAMMED, 45, 0, NULL, 0, 1);
	msgpack_pack_uint64(&pk, 1);
	ASSERT_EQ(rec_programmed_decode(b.p, b.len, &h, &pr2), -1);
	buf_reset(&b);
	mp_packer_init(&pk, &b);
	rec_head_encode(&pk, REC_PROGRAMMED, 46, 0, NULL, 0, 2);
	msgpack_pack_uint64(&pk, 1);
	msgpack_pack_uint64(&pk, 1ull << 32);	/* services beyond 32 bits */
	ASSERT_EQ(rec_programmed_decode(b.p, b.len, &h, &pr2), -1);
	buf_release(&b);
}

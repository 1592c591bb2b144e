/* test-ctl.c: control requests round-trip, bad requests are refused, frames split right. */
#include "proto/ctl.h"
#include "proto/parse.h"
#include "tests/unit/test.h"

TEST(ctl_req_roundtrip)
{
	struct ctl_req	 r, out;
	struct buf	 b;
	const char	*why;

	memset(&r, 0, sizeof(r));
	r.cmd = CTL_JOIN;
	strcpy(r.name, "osaka");
	strcpy(r.token, "rpn1_abc");
	r.has_peer = 1;
	ASSERT_EQ(parse_addrport("198.51.100.1:7480", 0, &r.peer), 0);
	r.nadvertise = 1;
	ASSERT_EQ(parse_addrport("198.51.100.9:7480", 0, &r.advertise[0]), 0);
	buf_init(&b, CTL_MAX_REQ);
	ASSERT_EQ(ctl_req_encode(&b, &r), 0);
	ASSERT_EQ(ctl_req_decode(b.p, b.len, &out, &why), 0);
	ASSERT_EQ(out.cmd, CTL_JOIN);
	ASSERT_STR_EQ(out.name, "osaka");
	ASSERT_STR_EQ(out.token, "rpn1_abc");
	ASSERT(addr_eq(&out.peer, &r.peer));
	ASSERT_EQ(out.nadvertise, 1);

	memset(&r, 0, sizeof(r));
	r.cmd = CTL_SERVICE_ADD;
	strcpy(r.name, "web");
	r.proto = 6;
	r.port = 8080;
	ASSERT_EQ(parse_addrport("100.64.2.10:80", 0, &r.target), 0);
	strcpy(r.node, "site-b");
	r.nallow = 1;
	ASSERT_EQ(parse_prefix("203.0.113.0/24", &r.allow[0], NULL), 0);
	buf_reset(&b);
	ASSERT_EQ(ctl_req_encode(&b, &r), 0);
	ASSERT_EQ(ctl_req_decode(b.p, b.len, &out, &why), 0);
	ASSERT_EQ(out.port, 8080);
	ASSERT_EQ(out.target.port, 80);
	ASSERT_STR_EQ(out.node, "site-b");
	ASSERT_EQ(out.allow[0].len, 24);
	/* the question whether an add would be taken carries the same fields */
	r.cmd = CTL_SERVICE_CHECK;
	r.force = 1;
	buf_reset(&b);
	ASSERT_EQ(ctl_req_encode(&b, &r), 0);
	ASSERT_EQ(ctl_req_decode(b.p, b.len, &out, &why), 0);
	ASSERT_EQ(out.cmd, CTL_SERVICE_CHECK);
	ASSERT_STR_EQ(ctl_cmd_name(out.cmd), "service-check");
	ASSERT_EQ(out.proto, 6);
	ASSERT_EQ(out.port, 8080);
	ASSERT(addr_eq(&out.target, &r.target));
	ASSERT_STR_EQ(out.node, "site-b");
	ASSERT_EQ(out.nallow, 1);
	ASSERT_EQ(out.force, 1);
	/* ... and is refused without them, as an add is */
	{
		/* {"cmd":"service-check","name":"web"} */
		const uint8_t	 bare[] = { 0x82, 0xa3, 'c', 'm', 'd', 0xad,
		    's', 'e', 'r', 'v', 'i', 'c', 'e', '-', 'c', 'h', 'e', 'c',
		    'k', 0xa4, 'n', 'a', 'm', 'e', 0xa3, 'w', 'e', 'b' };

		ASSERT_EQ(ctl_req_decode(bare, sizeof(bare), &out, &why), -1);
		ASSERT_STR_EQ(why, "bad service fields");
	}
	/* del names the node too */
	memset(&r, 0, sizeof(r));
	r.cmd = CTL_SERVICE_DEL;
	strcpy(r.name, "web");
	strcpy(r.node, "site-a");
	buf_reset(&b);
	ASSERT_EQ(ctl_req_encode(&b, &r), 0);
	ASSERT_EQ(ctl_req_decode(b.p, b.len, &out, &why), 0);
	ASSERT_STR_EQ(out.node, "site-a");
	buf_release(&b);
}

TEST(ctl_req_refusals)
{
	/* {"cmd":"reboot"} */
	const uint8_t	 unknown[] = { 0x81, 0xa3, 'c', 'm', 'd', 0xa6, 'r', 'e',
	    'b', 'o', 'o', 't' };
	/* ["status"] */
	const uint8_t	 notmap[] = { 0x91, 0xa6, 's', 't', 'a', 't', 'u', 's' };
	/* {"cmd":"status","name":"bad name"} */
	const uint8_t	 badname[] = { 0x82, 0xa3, 'c', 'm', 'd', 0xa6, 's', 't',
	    'a', 't', 'u', 's', 0xa4, 'n', 'a', 'm', 'e', 0xa3, 'a', ' ', 'b' };
	struct ctl_req	 r;
	const char	*why;

	ASSERT_EQ(ctl_req_decode(unknown, sizeof(unknown), &r, &why), -1);
	ASSERT(strstr(why, "command") != NULL);
	ASSERT_EQ(ctl_req_decode(notmap, sizeof(notmap), &r, &why), -1);
	ASSERT_EQ(ctl_req_decode(badname, sizeof(badname), &r, &why), -1);
	ASSERT_STR_EQ(why, "bad name");
}

TEST(ctl_frames)
{
	struct buf	 p, f;
	uint32_t	 len;

	buf_init(&p, 100);
	buf_init(&f, 100);
	buf_put(&p, "hello", 5);
	ASSERT_EQ(ctl_frame(&f, &p), 0);
	ASSERT_EQ(f.len, 9);
	for (size_t n = 0; n < 9; n++)
		ASSERT_EQ(ctl_frame_len(f.p, n, 100, &len), 0);
	ASSERT_EQ(ctl_frame_len(f.p, 9, 100, &len), 1);
	ASSERT_EQ(len, 5);
	ASSERT_EQ(ctl_frame_len(f.p, 9, 4, &len), -1);
	buf_release(&p);
	buf_release(&f);
}

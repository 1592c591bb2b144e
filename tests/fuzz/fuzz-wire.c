/* fuzz-wire.c: every wire decoder; the first byte picks which one. */
#include <stdlib.h>
#include <string.h>

#include "proto/oprec.h"
#include "proto/wire.h"
#include "tests/fuzz/fuzz.h"

/*
 * reserve_roundtrip - a join reservation or its answer that decodes is
 * encoded again and must decode to the same fields.
 */
static void
reserve_roundtrip(const uint8_t *p, size_t n)
{
	struct wire_msg	 m, m2;
	struct buf	 b;
	int		 rc;

	if (wire_msg_decode(p, n, 1, &m) == -1)
		return;
	buf_init(&b, 512);
	if (m.type == MSG_JOIN_RESERVE)
		rc = wire_reserve_encode(&b, m.token_pub, m.joiner, m.token_sig);
	else if (m.type == MSG_JOIN_RESERVED)
		rc = wire_reserved_encode(&b, m.code, m.errmsg);
	else
		rc = 1;
	if (rc == 0) {
		if (wire_msg_decode(b.p, b.len, 1, &m2) == -1 ||
		    m2.type != m.type || m2.code != m.code ||
		    strcmp(m2.errmsg, m.errmsg) != 0 ||
		    memcmp(m2.token_pub, m.token_pub, WIRE_KEY) != 0 ||
		    memcmp(m2.joiner, m.joiner, WIRE_KEY) != 0 ||
		    memcmp(m2.token_sig, m.token_sig, WIRE_SIG) != 0)
			abort();
		wire_msg_release(&m2);
	}
	buf_release(&b);
	wire_msg_release(&m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	struct rec_head		 h;
	struct rec_node		 nd;
	struct rec_invite	 iv;
	struct rec_notice	 nt;
	struct rec_service	 sv;
	struct rec_health	 hl;
	struct rec_programmed	 pr;
	struct wire_msg		 m;
	uint8_t			 subject[WIRE_KEY];
	struct oprec		 o;

	if (n < 1)
		return 0;
	switch (p[0] % 11) {
	case 0:
		if (wire_msg_decode(p + 1, n - 1, 0, &m) == 0)
			wire_msg_release(&m);
		break;
	case 1:
		if (wire_msg_decode(p + 1, n - 1, 1, &m) == 0)
			wire_msg_release(&m);
		break;
	case 2:
		rec_node_decode(p + 1, n - 1, &h, &nd);
		break;
	case 3:
		rec_invite_decode(p + 1, n - 1, &h, &iv);
		break;
	case 4:
		rec_notice_decode(p + 1, n - 1, &h, subject, &nt);
		break;
	case 5:
		rec_head_decode(p + 1, n - 1, &h);
		rec_service_decode(p + 1, n - 1, &h, &sv);
		break;
	case 6:
		rec_service_decode(p + 1, n - 1, &h, &sv);
		break;
	case 7:
		rec_health_decode(p + 1, n - 1, &h, &hl);
		break;
	case 8:
		/* An operator statement that decodes encodes to the same bytes. */
		if (oprec_decode(p + 1, n - 1, &o) == 0) {
			struct buf	 b;

			buf_init(&b, WIRE_MAX_RECORD);
			if (oprec_encode(&b, &o) != 0 || b.len != n - 1 ||
			    memcmp(b.p, p + 1, n - 1) != 0)
				__builtin_trap();
			buf_release(&b);
		}
		break;
	case 9:
		reserve_roundtrip(p + 1, n - 1);
		break;
	case 10:
		rec_programmed_decode(p + 1, n - 1, &h, &pr);
		break;
	}
	return 0;
}

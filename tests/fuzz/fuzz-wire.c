/* fuzz-wire.c: every wire decoder; the first byte picks which one. */
#include <string.h>

#include "proto/oprec.h"
#include "proto/wire.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	struct rec_head		 h;
	struct rec_node		 nd;
	struct rec_invite	 iv;
	struct rec_notice	 nt;
	struct rec_service	 sv;
	struct rec_health	 hl;
	struct wire_msg		 m;
	uint8_t			 subject[WIRE_KEY];
	struct oprec		 o;

	if (n < 1)
		return 0;
	switch (p[0] % 9) {
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
	}
	return 0;
}

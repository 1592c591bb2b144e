/* fuzz-wire.c: every wire decoder; the first byte picks which one. */
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

	if (n < 1)
		return 0;
	switch (p[0] % 8) {
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
	}
	return 0;
}

/*
 * fuzz-priv.c: the privileged parent's side of the engine channel.  A
 * compromised engine can send the parent any bytes; this drives the
 * decoders priv_dispatch() uses (dp_svc_unpack_next, dp_addr_unpack) and the
 * planner they feed, over a sequence of requests, and checks that
 * the mirror says what was asked.
 *
 * Input: records of  type (1 byte) || length (2 bytes, big-endian) || payload.
 */
#include <assert.h>
#include <string.h>

#include "node/core/dataplane.h"
#include "tests/fuzz/fuzz.h"

#define MAXFLUSH	32

/* What reaches the kernel's lans4: sorted, never overlapping or touching. */
static void
check_ranges(const struct dp_mirror *m)
{
	for (uint32_t i = 0; i < m->nlanivs; i++) {
		assert(m->lanivs[i].lo <= m->lanivs[i].hi);
		if (i > 0)
			assert(m->lanivs[i - 1].hi != UINT32_MAX &&
			    m->lanivs[i - 1].hi + 1 < m->lanivs[i].lo);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	struct dp_mirror m;
	struct dp_ops	 ops = { 0 };
	struct dp_flush	 flush[MAXFLUSH];
	uint32_t	 nflush = 0;

	dp_mirror_init(&m);
	while (n >= 3) {
		uint8_t		 type = p[0];
		size_t		 len = (size_t)p[1] << 8 | p[2];

		p += 3;
		n -= 3;
		if (len > n)
			len = n;
		if (type % 4 == 0) {
			/* PRIV_DP_SVC: packed requests one after the other */
			struct dp_svc	 s, got, again;
			uint8_t		 packed[DP_SVC_MAXLEN];
			const uint8_t	*q = p, *was;
			size_t		 left = len, plen;

			while (left > 0) {
				was = q;
				if (dp_svc_unpack_next(&q, &left, &s) == -1)
					break;
				/* what passed the check packs back to a request
				 * that passes it again, unchanged */
				plen = dp_svc_pack(&s, packed);

				assert(plen == (size_t)(q - was));
				assert(memcmp(packed, was, DP_SVC_HEAD - 2) == 0);
				assert(dp_svc_unpack(packed, plen, &again) == 0);
				assert(memcmp(&s, &again, sizeof(s)) == 0);
				nflush = 0;
				assert(dp_plan_svc(&m, &s, &ops, flush, &nflush,
				    MAXFLUSH) == 0);
				assert(nflush <= MAXFLUSH);
				if (s.nbackends == 0)
					assert(dp_mirror_svc(&m, s.proto, s.port,
					    &got) == -1);
				else {
					assert(dp_mirror_svc(&m, s.proto, s.port,
					    &got) == 0);
					assert(got.nbackends == s.nbackends &&
					    got.nallow == s.nallow &&
					    got.public == s.public);
				}
			}
		} else if (type % 4 == 1 || type % 4 == 2) {
			struct dp_addr	 a;
			int		 lan = type % 4 == 2;

			if (dp_addr_unpack(p, len, lan, &a) == 0) {
				assert(dp_plan_addr(&m, lan, &a, &ops) == 0);
				assert(dp_plan_lans(&m, &ops) == 0);
				check_ranges(&m);
			}
		} else {
			/* a commit that failed: the full state, from the mirror */
			dp_ops_reset(&ops);
			assert(dp_plan_all(&m, &ops) == 0);
			dp_ops_reset(&ops);
		}
		p += len;
		n -= len;
	}
	dp_ops_reset(&ops);
	assert(dp_plan_all(&m, &ops) == 0);
	check_ranges(&m);
	dp_ops_release(&ops);
	dp_mirror_release(&m);
	return 0;
}

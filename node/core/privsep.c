/* privsep.c: what both ends of the parent-engine channel agree on: a frame is whole. */
#include "node/core/privsep.h"

/*
 * priv_frame_ok - a received frame of n bytes (header included) is
 * whole: not truncated, and exactly as long as its header says.
 */
int
priv_frame_ok(const struct priv_hdr *h, size_t n, int truncated)
{
	return !truncated && n >= sizeof(*h) && n - sizeof(*h) == h->len &&
	    h->len <= PRIV_MAX;
}

/* fuzz-ctl.c: control requests as rpnd decodes them, and frame headers. */
#include "proto/ctl.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	struct ctl_req	 r;
	const char	*why;
	uint32_t	 len;

	ctl_req_decode(p, n, &r, &why);
	ctl_frame_len(p, n, CTL_MAX_REQ, &len);
	return 0;
}

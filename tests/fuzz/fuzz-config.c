/* fuzz-config.c: rpnd.conf text and the state file's bytes. */
#include "node/core/config.h"
#include "node/core/state.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	struct rpnd_config	 c;
	struct state_snap	 s;
	char			 err[512];

	if (n < 1)
		return 0;
	if (p[0] & 1) {
		config_default(&c);
		config_parse((const char *)p + 1, n - 1, "fuzz", &c, err,
		    sizeof(err));
	} else if (state_decode(p + 1, n - 1, &s) == 0)
		state_snap_release(&s);
	return 0;
}

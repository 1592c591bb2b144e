/* fuzz-config.c: rpnd.conf text and the state file's bytes (payload, or framing + MAC + payload). */
#include <stdlib.h>
#include <string.h>

#include "node/core/config.h"
#include "node/core/state.h"
#include "tests/fuzz/fuzz.h"

#define FUZZ_STATE_KEY	0x11	/* rpn-tool fuzz-seeds wraps its seed with it */

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
	} else if (p[0] & 2) {
		/*
		 * The file as read from disk: its framing and MAC, then the
		 * payload.  A fixed key (the seed is wrapped with it) reaches
		 * the trusted path; bit 2 checks no MAC at all.
		 */
		uint8_t	 key[STATE_MAC], *file;

		memset(key, FUZZ_STATE_KEY, sizeof(key));
		/* decoded in place, as state_load() does, in a buffer of its own */
		if ((file = malloc(n - 1 + 1)) == NULL)
			return 0;
		memcpy(file, p + 1, n - 1);
		if (state_decode_file_in(file, n - 1, p[0] & 4 ? NULL : key,
		    &s) == 0) {
			s.records.buf = file;
			state_snap_release(&s);
		} else
			free(file);
	} else if (state_decode(p + 1, n - 1, &s) == 0)
		state_snap_release(&s);
	return 0;
}

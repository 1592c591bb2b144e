/* fuzz-webpath.c: request paths (decoded and raw) to file names under web-root. */
#include <string.h>

#include "node/core/webpath.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	char		 in[2 * WEBPATH_MAX + 2], out[WEBPATH_MAX];
	const char	*why, *raw;
	size_t		 split;

	if (n == 0 || n >= sizeof(in))
		return 0;
	/* The first byte splits the rest into the decoded path and the raw one. */
	split = p[0] % n;
	memcpy(in, p + 1, n - 1);
	in[n - 1] = '\0';
	if (split > n - 1)
		split = n - 1;
	raw = in + split;
	if (split < n - 1) {
		char	 path[sizeof(in)];

		memcpy(path, in, split);
		path[split] = '\0';
		if (webpath_file(path, raw, out, sizeof(out), &why) == 0) {
			/* Whatever is accepted stays beneath web-root. */
			if (out[0] == '/' || strstr(out, "..") == out ||
			    strstr(out, "/..") != NULL || strchr(out, '\\'))
				__builtin_trap();
			(void)webpath_type(out);
		}
	}
	return 0;
}

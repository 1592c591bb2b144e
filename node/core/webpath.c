/* webpath.c: request paths to file names under web-root, and their content types. */
#include <string.h>
#include <strings.h>

#include "node/core/webpath.h"

int
webpath_file(const char *path, const char *raw, char *out, size_t outlen,
    const char **why)
{
	const char	*name, *p;
	size_t		 n;

	*why = NULL;
	if (path[0] != '/') {
		*why = "the path does not start with /";
		return -1;
	}
	if (raw != NULL && (strcasestr(raw, "%00") != NULL ||
	    strcasestr(raw, "%5c") != NULL)) {
		*why = "NUL or backslash in the path";
		return -1;
	}
	if (strcmp(path, "/") == 0)
		name = "index.html";
	else if (strcmp(path, "/enroll") == 0)
		name = "enroll.html";
	else
		name = path + 1;
	for (p = name; *p; p++) {
		unsigned char	 c = (unsigned char)*p;

		if (c < 0x20 || c == 0x7f || c == '\\') {
			*why = "a control character or backslash in the path";
			return -1;
		}
		/* Each segment: not empty, and not ".", ".." or hidden. */
		if (p == name || p[-1] == '/') {
			if (c == '/') {
				*why = "an empty segment in the path";
				return -1;
			}
			if (c == '.') {
				*why = "a segment starting with '.' in the path";
				return -1;
			}
		}
	}
	n = (size_t)(p - name);
	if (n == 0 || name[n - 1] == '/') {
		*why = "a directory, not a file";
		return -1;
	}
	if (n >= outlen || n >= WEBPATH_MAX) {
		*why = "the path is too long";
		return -1;
	}
	memcpy(out, name, n + 1);
	return 0;
}

const char *
webpath_type(const char *name)
{
	static const struct {
		const char	*ext;
		const char	*type;
	} types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".mjs", "text/javascript; charset=utf-8" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".ico", "image/x-icon" },
		{ ".json", "application/json" },
		{ ".txt", "text/plain; charset=utf-8" },
	};
	const char	*slash = strrchr(name, '/');
	const char	*dot = strrchr(slash ? slash : name, '.');

	for (size_t i = 0; dot != NULL && i < sizeof(types) / sizeof(*types);
	    i++)
		if (strcasecmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

/*
 * webpath.h: which file under web-root a request path names (webpath.c);
 * pure: the console's server (node/engine/http.c) opens the file.
 */
#ifndef RPN_WEBPATH_H
#define RPN_WEBPATH_H

#include <stddef.h>

#define WEBPATH_MAX	1024	/* bytes of a file name under web-root */

/*
 * webpath_file - the file (relative to web-root) that path names: "/" is
 * "index.html", "/enroll" is "enroll.html", "/a/b.css" is "a/b.css".
 * path is decoded (no query); raw is the request-target as received, for
 * what decoding hides (%00 would cut path short).  Refused, -1 with why:
 * a path not starting with '/', an empty segment ("//"), a segment that
 * starts with '.' (".", "..", hidden files), a backslash, a control
 * character, %00 or %5C in raw, a name of WEBPATH_MAX bytes or more.
 */
int	webpath_file(const char *path, const char *raw, char *out,
	    size_t outlen, const char **why);

/* webpath_type - the Content-Type for a file name, by its extension. */
const char *webpath_type(const char *name);

#endif

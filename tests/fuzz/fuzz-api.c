/*
 * fuzz-api.c: the HTTP API's request decoder (node/core/apireq.c).  The
 * input is "METHOD PATH[?QUERY]", a newline, then the body.
 */
#include <stdlib.h>
#include <string.h>

#include "node/core/apireq.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	static struct api_req	 q;
	const uint8_t		*nl = memchr(p, '\n', n);
	size_t			 linelen = nl != NULL ? (size_t)(nl - p) : n;
	char			*line, *path, *query, err[256];

	if ((line = malloc(linelen + 1)) == NULL)
		return 0;
	memcpy(line, p, linelen);
	line[linelen] = '\0';
	if ((path = strchr(line, ' ')) != NULL)
		*path++ = '\0';
	else
		path = line + linelen;
	if ((query = strchr(path, '?')) != NULL)
		*query++ = '\0';
	else
		query = path + strlen(path);
	apireq_decode(line, path, query, nl != NULL ? nl + 1 : NULL,
	    nl != NULL ? n - linelen - 1 : 0, &q, err, sizeof(err));
	free(line);
	return 0;
}

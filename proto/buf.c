/* buf.c: bounded byte buffers used by every encoder. */
#include <stdlib.h>
#include <string.h>

#include "proto/buf.h"

void
buf_init(struct buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void
buf_init_fixed(struct buf *b, void *mem, size_t cap)
{
	memset(b, 0, sizeof(*b));
	b->p = mem;
	b->cap = b->max = cap;
	b->fixed = 1;
}

/*
 * buf_reserve - make room for n more bytes.
 * Returns 0, or -1 with b->err set when the ceiling or memory says no.
 */
int
buf_reserve(struct buf *b, size_t n)
{
	size_t	 want, ncap;
	uint8_t	*np;

	if (b->err)
		return -1;
	if (n > b->max - b->len) {
		b->err = 1;
		return -1;
	}
	want = b->len + n;
	if (want <= b->cap)
		return 0;
	if (b->fixed) {
		b->err = 1;
		return -1;
	}
	ncap = b->cap ? b->cap : 256;
	while (ncap < want)
		ncap = ncap > b->max / 2 ? b->max : ncap * 2;
	if ((np = realloc(b->p, ncap)) == NULL) {
		b->err = 1;
		return -1;
	}
	b->p = np;
	b->cap = ncap;
	return 0;
}

int
buf_put(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return b->err ? -1 : 0;
	if (buf_reserve(b, n) == -1)
		return -1;
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->err = 0;
}

void
buf_release(struct buf *b)
{
	if (!b->fixed)
		free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->err = 0;
}

int
buf_mp_write(void *data, const char *p, size_t n)
{
	return buf_put(data, p, n);
}

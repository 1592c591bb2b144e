/* compat.h: small libc functions Debian 12's glibc (2.36) lacks. */
#ifndef RPN_COMPAT_H
#define RPN_COMPAT_H

#include <string.h>

/* BSD strlcpy: always terminates, returns strlen(src) so callers can detect truncation. */
static inline size_t
rpn_strlcpy(char *dst, const char *src, size_t size)
{
	size_t	 n = strlen(src);

	if (size > 0) {
		size_t	 c = n < size - 1 ? n : size - 1;

		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return n;
}
#define strlcpy rpn_strlcpy

/* BSD strlcat: appends what fits, always terminates. */
static inline size_t
rpn_strlcat(char *dst, const char *src, size_t size)
{
	size_t	 d = strnlen(dst, size);

	if (d == size)
		return size + strlen(src);
	return d + rpn_strlcpy(dst + d, src, size - d);
}
#define strlcat rpn_strlcat

#endif

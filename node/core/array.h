/* array.h: the one way a growable array grows. */
#ifndef RPN_ARRAY_H
#define RPN_ARRAY_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/*
 * array_reserve - make room for at least need elements of size bytes in
 * *v, whose capacity is *cap, doubling from 8.  0, or -1 when out of memory
 * (then *v and *cap are unchanged).
 */
static inline int
array_reserve(void *v, uint32_t *cap, uint32_t need, size_t size)
{
	void		**pv = v;
	uint32_t	 ncap = *cap ? *cap : 8;
	void		*nv;

	if (need <= *cap)
		return 0;
	while (ncap < need) {
		if (ncap > UINT32_MAX / 2)
			return -1;
		ncap *= 2;
	}
	if ((size_t)ncap > SIZE_MAX / size ||
	    (nv = realloc(*pv, (size_t)ncap * size)) == NULL)
		return -1;
	*pv = nv;
	*cap = ncap;
	return 0;
}

#endif

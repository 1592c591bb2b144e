/* buf.h: a byte buffer for encoders, either growable (with a ceiling) or fixed. */
#ifndef RPN_BUF_H
#define RPN_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t	*p;
	size_t	 len;
	size_t	 cap;
	size_t	 max;		/* growth ceiling; equals cap for fixed buffers */
	int	 fixed;		/* memory is the caller's, never freed */
	int	 err;		/* set once a write did not fit; sticky */
};

void	buf_init(struct buf *, size_t max);
void	buf_init_fixed(struct buf *, void *mem, size_t cap);
int	buf_put(struct buf *, const void *, size_t);
int	buf_reserve(struct buf *, size_t);
void	buf_reset(struct buf *);
void	buf_release(struct buf *);
/* msgpack_packer_write callback: data is a struct buf. */
int	buf_mp_write(void *data, const char *p, size_t n);

#endif

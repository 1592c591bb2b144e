/* mp.h: strict msgpack decoding on top of msgpack-c, for untrusted bytes. */
#ifndef RPN_MP_H
#define RPN_MP_H

#include <stddef.h>
#include <stdint.h>
#include <msgpack.h>

#include "proto/buf.h"

#define MP_MAX_DEPTH	8

/* A decoded document: the object tree lives in the zone until mp_doc_release(). */
struct mp_doc {
	msgpack_zone	*zone;	/* NULL: released */
	msgpack_object	 root;
};

int	mp_shape_ok(const uint8_t *, size_t, unsigned max_depth);
int	mp_parse(struct mp_doc *, const uint8_t *, size_t);
int	mp_parse_in(struct mp_doc *, const uint8_t *, size_t);
void	mp_doc_release(struct mp_doc *);

/*
 * Strict field readers.  Each returns 0 on success and -1 when the object
 * has the wrong type or is out of bounds; none of them allocates.
 */
int	mp_array(const msgpack_object *, uint32_t min, uint32_t max,
	    const msgpack_object **items, uint32_t *n);
int	mp_u64(const msgpack_object *, uint64_t max, uint64_t *);
int	mp_u32(const msgpack_object *, uint32_t max, uint32_t *);
int	mp_bool(const msgpack_object *, int *);
int	mp_is_nil(const msgpack_object *);
int	mp_bin(const msgpack_object *, size_t min, size_t max,
	    const uint8_t **, size_t *);
int	mp_bin_exact(const msgpack_object *, void *out, size_t len);
int	mp_str(const msgpack_object *, size_t max, const char **, size_t *);
int	mp_str_copy(const msgpack_object *, char *out, size_t cap);

/* A packer that writes into a struct buf. */
void	mp_packer_init(msgpack_packer *, struct buf *);
void	mp_pack_str(msgpack_packer *, const char *);

#endif

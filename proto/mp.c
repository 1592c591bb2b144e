/* mp.c: shape check, parse and strict readers for msgpack from untrusted peers. */
#include <string.h>

#include "proto/mp.h"

/*
 * mp_shape_ok - walk the headers of one msgpack object without allocating.
 *
 * msgpack-c allocates n * sizeof(msgpack_object) for an array as soon as it
 * reads the array's header (template_callback_array() in unpack.c), so a
 * five-byte header may ask for 96 GiB.  Every element takes at least one
 * byte, so a container that declares more elements than there are bytes left
 * cannot be valid: reject it before msgpack-c sees it.  Floats and ext types
 * never appear in rpn's formats and are refused here too.  The object must
 * end exactly at the end of the input.
 */
int
mp_shape_ok(const uint8_t *p, size_t len, unsigned max_depth)
{
	uint64_t	 pending[MP_MAX_DEPTH + 2];
	unsigned	 depth = 0;
	size_t		 off = 0;

	if (max_depth > MP_MAX_DEPTH)
		max_depth = MP_MAX_DEPTH;
	pending[0] = 1;
	while (depth > 0 || pending[0] > 0) {
		uint8_t		 t;
		uint64_t	 n = 0, skip = 0;
		int		 container = 0;

		if (pending[depth] == 0) {
			depth--;
			continue;
		}
		pending[depth]--;
		if (off >= len)
			return -1;
		t = p[off++];
		if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 ||
		    t == 0xc3) {
			skip = 0;
		} else if (t >= 0x80 && t <= 0x8f) {
			n = 2 * (uint64_t)(t & 0x0f);
			container = 1;
		} else if (t >= 0x90 && t <= 0x9f) {
			n = t & 0x0f;
			container = 1;
		} else if (t >= 0xa0 && t <= 0xbf) {
			skip = t & 0x1f;
		} else {
			unsigned	 lenbytes = 0;
			uint64_t	 v = 0;

			switch (t) {
			case 0xcc: case 0xd0: skip = 1; break;
			case 0xcd: case 0xd1: skip = 2; break;
			case 0xce: case 0xd2: skip = 4; break;
			case 0xcf: case 0xd3: skip = 8; break;
			case 0xc4: case 0xd9: lenbytes = 1; break;
			case 0xc5: case 0xda: case 0xdc: case 0xde:
				lenbytes = 2;
				break;
			case 0xc6: case 0xdb: case 0xdd: case 0xdf:
				lenbytes = 4;
				break;
			default:
				return -1;	/* c1, floats, ext */
			}
			if (lenbytes) {
				if (len - off < lenbytes)
					return -1;
				for (unsigned i = 0; i < lenbytes; i++)
					v = v << 8 | p[off++];
				if (t == 0xdc || t == 0xdd) {
					n = v;
					container = 1;
				} else if (t == 0xde || t == 0xdf) {
					n = 2 * v;
					container = 1;
				} else
					skip = v;
			}
		}
		if (container) {
			if (n > len - off)
				return -1;
			if (n == 0)
				continue;
			if (depth + 1 > max_depth)
				return -1;
			pending[++depth] = n;
			continue;
		}
		if (skip > len - off)
			return -1;
		off += skip;
	}
	return off == len ? 0 : -1;
}

/*
 * A spare zone, one a thread.  Most documents are one record, parsed two
 * or three times on its way in (its head, then its kind's fields): a zone
 * allocated and freed for each parse was a tenth of the engine's work
 * restoring 200k records.  A released zone is cleared (msgpack-c keeps its
 * first chunk, of ZONE_CHUNK bytes, and frees the rest) and serves the
 * next parse.
 */
#define ZONE_CHUNK	2048
static _Thread_local msgpack_zone *spare;

/* Under ASan none is kept: a document used after its release must fault. */
#if defined(__SANITIZE_ADDRESS__)
#define KEEP_SPARE	0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KEEP_SPARE	0
#endif
#endif
#ifndef KEEP_SPARE
#define KEEP_SPARE	1
#endif

static int
parse(struct mp_doc *d, const uint8_t *p, size_t len, int copy)
{
	size_t			 off = 0;
	msgpack_unpack_return	 r;
	const char		*in = (const char *)p;

	memset(d, 0, sizeof(*d));
	if (len == 0 || mp_shape_ok(p, len, MP_MAX_DEPTH) == -1)
		return -1;
	if (spare != NULL) {
		d->zone = spare;
		spare = NULL;
	} else if ((d->zone = msgpack_zone_new(ZONE_CHUNK)) == NULL)
		return -1;
	if (copy) {
		char	*c;

		if ((c = msgpack_zone_malloc(d->zone, len)) == NULL) {
			mp_doc_release(d);
			return -1;
		}
		memcpy(c, p, len);
		in = c;
	}
	r = msgpack_unpack(in, len, &off, d->zone, &d->root);
	if (r != MSGPACK_UNPACK_SUCCESS || off != len) {
		mp_doc_release(d);
		return -1;
	}
	return 0;
}

/*
 * mp_parse - decode exactly one object that spans the whole input.
 * On success the caller owns d and must call mp_doc_release().  msgpack-c
 * leaves strings and bins pointing into the input, so the document keeps
 * its own copy of the bytes and outlives the caller's buffer.
 */
int
mp_parse(struct mp_doc *d, const uint8_t *p, size_t len)
{
	return parse(d, p, len, 1);
}

/*
 * mp_parse_in - the same without the copy: the document's strings and bins
 * point into p, which must outlive it.  For a large input read once (the
 * state file), where a copy of it is megabytes written for nothing.
 */
int
mp_parse_in(struct mp_doc *d, const uint8_t *p, size_t len)
{
	return parse(d, p, len, 0);
}

void
mp_doc_release(struct mp_doc *d)
{
	if (d->zone == NULL)
		return;
	if (KEEP_SPARE && spare == NULL) {
		msgpack_zone_clear(d->zone);
		spare = d->zone;
	} else
		msgpack_zone_free(d->zone);
	d->zone = NULL;
}

int
mp_array(const msgpack_object *o, uint32_t min, uint32_t max,
    const msgpack_object **items, uint32_t *n)
{
	if (o->type != MSGPACK_OBJECT_ARRAY)
		return -1;
	if (o->via.array.size < min || o->via.array.size > max)
		return -1;
	*items = o->via.array.ptr;
	*n = o->via.array.size;
	return 0;
}

int
mp_u64(const msgpack_object *o, uint64_t max, uint64_t *v)
{
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > max)
		return -1;
	*v = o->via.u64;
	return 0;
}

int
mp_u32(const msgpack_object *o, uint32_t max, uint32_t *v)
{
	uint64_t	 x;

	if (mp_u64(o, max, &x) == -1)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

int
mp_bool(const msgpack_object *o, int *v)
{
	if (o->type != MSGPACK_OBJECT_BOOLEAN)
		return -1;
	*v = o->via.boolean;
	return 0;
}

int
mp_is_nil(const msgpack_object *o)
{
	return o->type == MSGPACK_OBJECT_NIL;
}

int
mp_bin(const msgpack_object *o, size_t min, size_t max, const uint8_t **p,
    size_t *n)
{
	if (o->type != MSGPACK_OBJECT_BIN)
		return -1;
	if (o->via.bin.size < min || o->via.bin.size > max)
		return -1;
	*p = (const uint8_t *)o->via.bin.ptr;
	*n = o->via.bin.size;
	return 0;
}

int
mp_bin_exact(const msgpack_object *o, void *out, size_t len)
{
	const uint8_t	*p;
	size_t		 n;

	if (mp_bin(o, len, len, &p, &n) == -1)
		return -1;
	memcpy(out, p, len);
	return 0;
}

int
mp_str(const msgpack_object *o, size_t max, const char **p, size_t *n)
{
	if (o->type != MSGPACK_OBJECT_STR || o->via.str.size > max)
		return -1;
	*p = o->via.str.ptr;
	*n = o->via.str.size;
	return 0;
}

/* Copy a string out, refusing embedded NULs and anything that does not fit. */
int
mp_str_copy(const msgpack_object *o, char *out, size_t cap)
{
	const char	*p;
	size_t		 n;

	if (cap == 0 || mp_str(o, cap - 1, &p, &n) == -1)
		return -1;
	if (n > 0 && memchr(p, '\0', n) != NULL)
		return -1;
	if (n > 0)
		memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

void
mp_packer_init(msgpack_packer *pk, struct buf *b)
{
	msgpack_packer_init(pk, b, buf_mp_write);
}

void
mp_pack_str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str_with_body(pk, s, strlen(s));
}

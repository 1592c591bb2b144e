/* json.c: msgpack objects as JSON text, for rpnctl --json and the HTTP API. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "proto/json.h"

static void
put(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

int
json_str(struct buf *b, const char *p, size_t n)
{
	char	 e[8];

	put(b, "\"");
	for (size_t i = 0; i < n; i++) {
		unsigned char	 c = (unsigned char)p[i];

		if (c == '"' || c == '\\') {
			e[0] = '\\';
			e[1] = (char)c;
			buf_put(b, e, 2);
		} else if (c == '\n')
			put(b, "\\n");
		else if (c < 0x20 || c == 0x7f) {
			snprintf(e, sizeof(e), "\\u%04x", c);
			put(b, e);
		} else
			buf_put(b, &p[i], 1);
	}
	put(b, "\"");
	return b->err ? -1 : 0;
}

static void
indent(struct buf *b, int depth)
{
	for (int i = 0; i < depth; i++)
		put(b, "  ");
}

static void
json(struct buf *b, const msgpack_object *o, int depth, int skip_ok)
{
	static const char	 hex[] = "0123456789abcdef";
	char			 num[32];

	if (b->err)
		return;
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		put(b, "null");
		break;
	case MSGPACK_OBJECT_BOOLEAN:
		put(b, o->via.boolean ? "true" : "false");
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		snprintf(num, sizeof(num), "%" PRIu64, o->via.u64);
		put(b, num);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		snprintf(num, sizeof(num), "%" PRId64, o->via.i64);
		put(b, num);
		break;
	case MSGPACK_OBJECT_STR:
		json_str(b, o->via.str.ptr, o->via.str.size);
		break;
	case MSGPACK_OBJECT_BIN:
		put(b, "\"");
		for (uint32_t i = 0; i < o->via.bin.size; i++) {
			unsigned char	 c = (unsigned char)o->via.bin.ptr[i];
			char		 h[2] = { hex[c >> 4], hex[c & 15] };

			buf_put(b, h, 2);
		}
		put(b, "\"");
		break;
	case MSGPACK_OBJECT_ARRAY:
		if (o->via.array.size == 0) {
			put(b, "[]");
			break;
		}
		put(b, "[\n");
		for (uint32_t i = 0; i < o->via.array.size; i++) {
			indent(b, depth + 1);
			json(b, &o->via.array.ptr[i], depth + 1, 0);
			put(b, i + 1 < o->via.array.size ? ",\n" : "\n");
		}
		indent(b, depth);
		put(b, "]");
		break;
	case MSGPACK_OBJECT_MAP: {
		int	 first = 1;

		put(b, "{");
		for (uint32_t i = 0; i < o->via.map.size; i++) {
			const msgpack_object_kv	*kv = &o->via.map.ptr[i];

			if (kv->key.type != MSGPACK_OBJECT_STR)
				continue;
			if (skip_ok && kv->key.via.str.size == 2 &&
			    memcmp(kv->key.via.str.ptr, "ok", 2) == 0)
				continue;
			put(b, first ? "\n" : ",\n");
			first = 0;
			indent(b, depth + 1);
			json_str(b, kv->key.via.str.ptr, kv->key.via.str.size);
			put(b, ": ");
			json(b, &kv->val, depth + 1, 0);
		}
		if (!first) {
			put(b, "\n");
			indent(b, depth);
		}
		put(b, "}");
		break;
	}
	default:
		put(b, "null");
		break;
	}
}

int
json_write(struct buf *b, const msgpack_object *o, int skip_ok)
{
	json(b, o, 0, skip_ok);
	put(b, "\n");
	return b->err ? -1 : 0;
}

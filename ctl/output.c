/* output.c: msgpack replies as JSON, and typed lookups for the human tables. */
#include <string.h>

#include "ctl/output.h"
#include "proto/ctl.h"

static void
json_str(FILE *f, const char *p, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char	 c = (unsigned char)p[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void
indent(FILE *f, int depth)
{
	for (int i = 0; i < depth; i++)
		fputs("  ", f);
}

static void
json(FILE *f, const msgpack_object *o, int depth, int skip_ok)
{
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		fputs("null", f);
		break;
	case MSGPACK_OBJECT_BOOLEAN:
		fputs(o->via.boolean ? "true" : "false", f);
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		fprintf(f, "%llu", (unsigned long long)o->via.u64);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		fprintf(f, "%lld", (long long)o->via.i64);
		break;
	case MSGPACK_OBJECT_STR:
		json_str(f, o->via.str.ptr, o->via.str.size);
		break;
	case MSGPACK_OBJECT_BIN:
		fputc('"', f);
		for (uint32_t i = 0; i < o->via.bin.size; i++)
			fprintf(f, "%02x", (unsigned char)o->via.bin.ptr[i]);
		fputc('"', f);
		break;
	case MSGPACK_OBJECT_ARRAY:
		if (o->via.array.size == 0) {
			fputs("[]", f);
			break;
		}
		fputs("[\n", f);
		for (uint32_t i = 0; i < o->via.array.size; i++) {
			indent(f, depth + 1);
			json(f, &o->via.array.ptr[i], depth + 1, 0);
			fputs(i + 1 < o->via.array.size ? ",\n" : "\n", f);
		}
		indent(f, depth);
		fputc(']', f);
		break;
	case MSGPACK_OBJECT_MAP: {
		int	 first = 1;

		fputs("{", f);
		for (uint32_t i = 0; i < o->via.map.size; i++) {
			const msgpack_object_kv	*kv = &o->via.map.ptr[i];

			if (kv->key.type != MSGPACK_OBJECT_STR)
				continue;
			if (skip_ok && kv->key.via.str.size == 2 &&
			    memcmp(kv->key.via.str.ptr, "ok", 2) == 0)
				continue;
			fputs(first ? "\n" : ",\n", f);
			first = 0;
			indent(f, depth + 1);
			json_str(f, kv->key.via.str.ptr, kv->key.via.str.size);
			fputs(": ", f);
			json(f, &kv->val, depth + 1, 0);
		}
		if (!first) {
			fputc('\n', f);
			indent(f, depth);
		}
		fputc('}', f);
		break;
	}
	default:
		fputs("null", f);
		break;
	}
}

/* out_json - a reply as pretty JSON; skip_ok leaves out the "ok" field. */
void
out_json(FILE *f, const msgpack_object *o, int skip_ok)
{
	json(f, o, 0, skip_ok);
	fputc('\n', f);
}

int
out_str(const msgpack_object *map, const char *key, char *out, size_t cap)
{
	const msgpack_object	*o = ctl_map_get(map, key);
	size_t			 n;

	if (o == NULL || o->type != MSGPACK_OBJECT_STR || cap == 0) {
		if (cap)
			out[0] = '\0';
		return -1;
	}
	n = o->via.str.size < cap - 1 ? o->via.str.size : cap - 1;
	memcpy(out, o->via.str.ptr, n);
	out[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20)
			out[i] = '?';
	return 0;
}

int
out_u64(const msgpack_object *map, const char *key, uint64_t *v)
{
	const msgpack_object	*o = ctl_map_get(map, key);

	if (o == NULL || o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return -1;
	*v = o->via.u64;
	return 0;
}

int
out_bool(const msgpack_object *map, const char *key)
{
	const msgpack_object	*o = ctl_map_get(map, key);

	return o != NULL && o->type == MSGPACK_OBJECT_BOOLEAN && o->via.boolean;
}

const msgpack_object *
out_array(const msgpack_object *map, const char *key, uint32_t *n)
{
	const msgpack_object	*o = ctl_map_get(map, key);

	if (o == NULL || o->type != MSGPACK_OBJECT_ARRAY) {
		*n = 0;
		return NULL;
	}
	*n = o->via.array.size;
	return o->via.array.ptr;
}

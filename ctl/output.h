/* output.h: one way to print replies: human tables, or JSON for scripts. */
#ifndef RPN_OUTPUT_H
#define RPN_OUTPUT_H

#include <stdint.h>
#include <stdio.h>
#include <msgpack.h>

void	out_json(FILE *, const msgpack_object *, int skip_ok);
int	out_str(const msgpack_object *map, const char *key, char *out, size_t cap);
int	out_u64(const msgpack_object *map, const char *key, uint64_t *);
int	out_bool(const msgpack_object *map, const char *key);
const msgpack_object *out_array(const msgpack_object *map, const char *key,
	    uint32_t *n);

#endif

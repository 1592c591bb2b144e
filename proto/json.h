/*
 * json.h: msgpack replies as JSON text (json.c), written into a struct
 * buf: what rpnctl --json prints and what the HTTP API answers, the same
 * bytes from the same writer.
 */
#ifndef RPN_JSON_H
#define RPN_JSON_H

#include <stddef.h>
#include <msgpack.h>

#include "proto/buf.h"

/*
 * json_write - o as pretty JSON (two-space indent) and a newline;
 * skip_ok leaves out a top-level "ok" field.  bin is lower-case hex.
 * -1 when b is full (b->err).
 */
int	json_write(struct buf *, const msgpack_object *, int skip_ok);
/* json_str - a JSON string literal of p[0..n), quotes included. */
int	json_str(struct buf *, const char *p, size_t n);

#endif

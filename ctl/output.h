/* output.h: one way to print replies: human tables, or JSON for scripts. */
#ifndef RPN_OUTPUT_H
#define RPN_OUTPUT_H

#include <stdint.h>
#include <stdio.h>
#include <msgpack.h>

#include "proto/opview.h"

void	out_json(FILE *, const msgpack_object *, int skip_ok);

#endif

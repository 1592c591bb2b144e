/* output.c: msgpack replies as JSON, and typed lookups for the human tables. */
#include <string.h>

#include "ctl/output.h"
#include "proto/ctl.h"
#include "proto/json.h"

/* out_json - a reply as pretty JSON (proto/json.c); skip_ok leaves out "ok". */
void
out_json(FILE *f, const msgpack_object *o, int skip_ok)
{
	struct buf	 b;

	buf_init(&b, CTL_MAX_FRAME * 8);
	if (json_write(&b, o, skip_ok) == 0)
		fwrite(b.p, 1, b.len, f);
	buf_release(&b);
}

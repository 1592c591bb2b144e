/* ctlreply.c: a control command's reply, handed to whichever transport asked. */
#include <stdarg.h>
#include <stdio.h>

#include "node/engine/ctlreply.h"
#include "node/engine/ctlview.h"
#include "proto/ctl.h"
#include "proto/mp.h"

void
ctl_reply(struct ctl_reply *r, struct buf *payload)
{
	r->send(r, CTLF_NONE, payload);
}

/*
 * ctl_reply_error - "ok": false, the reason, and its cause: "unavailable"
 * (another node did not answer) tells a client that what it asked may
 * have happened there; any other cause, that nothing was done
 * ("unreachable": the other node was never asked).
 */
void
ctl_reply_error(struct ctl_reply *r, enum ctl_fail why, const char *fmt, ...)
{
	static const char *const causes[] = {
		[CTLF_NONE] = "internal", [CTLF_BAD] = "bad",
		[CTLF_FORBIDDEN] = "forbidden", [CTLF_NOTFOUND] = "notfound",
		[CTLF_CONFLICT] = "conflict", [CTLF_NOMESH] = "nomesh",
		[CTLF_UNAVAILABLE] = "unavailable",
		[CTLF_UNREACHED] = "unreachable", [CTLF_INTERNAL] = "internal",
	};
	struct buf	 b;
	msgpack_packer	 pk;
	char		 msg[512];
	va_list		 ap;

	if (why == CTLF_NONE)
		why = CTLF_INTERNAL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	buf_init(&b, CTL_MAX_FRAME);
	mp_packer_init(&pk, &b);
	msgpack_pack_map(&pk, 3);
	mp_pack_str(&pk, "ok");
	msgpack_pack_false(&pk);
	mp_pack_str(&pk, "error");
	mp_pack_str(&pk, msg);
	mp_pack_str(&pk, "cause");
	mp_pack_str(&pk, causes[why]);
	r->send(r, why, &b);
}

void
ctl_reply_ok(struct ctl_reply *r)
{
	struct buf	 b;

	ctlview_ok(&b);
	r->send(r, CTLF_NONE, &b);
}

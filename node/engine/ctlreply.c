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

void
ctl_reply_error(struct ctl_reply *r, enum ctl_fail why, const char *fmt, ...)
{
	struct buf	 b;
	msgpack_packer	 pk;
	char		 msg[512];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	buf_init(&b, CTL_MAX_FRAME);
	mp_packer_init(&pk, &b);
	msgpack_pack_map(&pk, 2);
	mp_pack_str(&pk, "ok");
	msgpack_pack_false(&pk);
	mp_pack_str(&pk, "error");
	mp_pack_str(&pk, msg);
	r->send(r, why == CTLF_NONE ? CTLF_INTERNAL : why, &b);
}

void
ctl_reply_ok(struct ctl_reply *r)
{
	struct buf	 b;

	ctlview_ok(&b);
	r->send(r, CTLF_NONE, &b);
}

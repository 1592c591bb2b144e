/* priv.c: the parent's dispatcher: every request is checked for type and exact size first. */
#include "node/log.h"
#include "node/privsep.h"

int
priv_dispatch(struct parent *p, const struct priv_hdr *h, const void *payload)
{
	(void)p;
	(void)payload;
	switch (h->type) {
	case PRIV_READY:
		if (h->len != 0)
			break;
		log_debug("engine ready");
		return 0;
	default:
		break;
	}
	log_warnx("engine sent a malformed request (type %u, %u bytes)",
	    h->type, h->len);
	return -1;
}

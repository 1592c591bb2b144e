/* privsep.h: the channel between the privileged parent and the unprivileged engine. */
#ifndef RPN_PRIVSEP_H
#define RPN_PRIVSEP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PRIV_FD		3	/* the engine's end of the channel */
#define CTL_FD		4	/* the listening control socket, made by the parent */
#define PRIV_MAX	(256u << 10)

/*
 * Requests the engine may send.  The parent checks each one's exact size
 * and bounds before acting on it (priv.c); anything else ends the engine.
 */
enum priv_type {
	PRIV_READY = 1,		/* engine started; payload: none */
	PRIV_DP_BEGIN,		/* struct dp_begin */
	PRIV_DP_SVC,		/* struct dp_svc, packed: one or more (DP_SVC_BATCH) */
	PRIV_DP_MEMBER,		/* struct dp_addr (len 32) */
	PRIV_DP_LAN,		/* struct dp_addr */
	PRIV_DP_COMMIT,		/* struct dp_commit */
	PRIV_DP_RESULT,		/* parent to engine: struct dp_result */
	PRIV_IFACES,		/* parent to engine: the netview (netview_pack) */
	PRIV_TEARDOWN,		/* left the mesh: remove rpn's kernel state; none */
	PRIV_DP_STATE,		/* parent to engine: struct dp_state */
	PRIV_CONFIG,		/* parent to engine: rpnd.conf as config_print() writes it */
	PRIV_TYPE_MAX,
};

struct priv_hdr {
	uint16_t	 type;
	uint16_t	 pad;
	uint32_t	 len;
};

int	priv_frame_ok(const struct priv_hdr *, size_t n, int truncated);

#endif

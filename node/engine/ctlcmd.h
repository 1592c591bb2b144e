/* ctlcmd.h: the control commands, run on one request (ctlcmd.c). */
#ifndef RPN_ENGINE_CTLCMD_H
#define RPN_ENGINE_CTLCMD_H

#include <stddef.h>
#include <stdint.h>

struct ctl_reply;
struct ctl_req;
struct engine;
struct member;

void	ctlcmd_handle(struct engine *, struct ctl_reply *, const uint8_t *,
	    size_t);
void	ctlcmd_run(struct engine *, struct ctl_reply *, const struct ctl_req *);
const struct member *ctlcmd_member(struct engine *, const char *name);
int	ctlcmd_add_doomed(struct engine *, const struct ctl_req *, char *err,
	    size_t errlen);

#endif

/* ctlview.h: the replies rpn and rpnctl print with --json (docs/json.md), built from the engine's state. */
#ifndef RPN_ENGINE_CTLVIEW_H
#define RPN_ENGINE_CTLVIEW_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

struct buf;
struct engine;

/*
 * Each fills an uninitialised buf with one whole reply, "ok": true and the
 * view's fields, for ctlsock_reply() to frame and send.
 */
void	ctlview_ok(struct buf *);
void	ctlview_head(msgpack_packer *, struct buf *, size_t nfields);
void	ctlview_status(struct buf *, struct engine *);
void	ctlview_services(struct buf *, struct engine *);
int	ctlview_service(struct buf *, struct engine *, const char *name);
void	ctlview_invite(struct buf *, const char *token, uint64_t expires);
void	ctlview_init(struct buf *, struct engine *);
void	ctlview_join(struct buf *, struct engine *);

#endif

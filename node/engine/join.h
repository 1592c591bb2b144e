/* join.h: joining a mesh through a member, and admitting a node that asks (join.c). */
#ifndef RPN_ENGINE_JOIN_H
#define RPN_ENGINE_JOIN_H

#include <stddef.h>

#include "proto/wire.h"

struct conn;
struct ctl_reply;
struct ctl_req;
struct engine;
struct wire_msg;

/* The member's side, on an accepted stream. */
void	join_hello(struct conn *, const struct wire_msg *);
void	join_record(struct conn *, const struct wire_msg *);
void	join_reserved(struct conn *, const uint8_t inviter[WIRE_KEY],
	    const struct wire_msg *answer, const char *why);

/* The inviter's side: a member asks it to reserve its token for a joiner. */
void	join_reserve(struct conn *, const struct wire_msg *);

/* The joining node's side: rpn join, then its own stream, tried again
 * (join_init/join_close: the timer for that). */
void	join_init(struct engine *);
void	join_close(struct engine *);
int	join_start(struct engine *, const struct ctl_req *,
	    struct ctl_reply *, char *err, size_t errlen);
void	join_on_connect(struct conn *);
void	join_on_frame(struct conn *, int sealed, struct wire_msg *);
void	join_on_close(struct conn *, const char *why);

#endif

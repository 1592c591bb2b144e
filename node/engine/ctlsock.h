/* ctlsock.h: the control socket's transport: clients, their requests and replies (ctlsock.c). */
#ifndef RPN_ENGINE_CTLSOCK_H
#define RPN_ENGINE_CTLSOCK_H

#include <stddef.h>

struct buf;
struct ctl_client;
struct engine;

int	ctlsock_open(struct engine *, int fd, char *err, size_t errlen);
void	ctlsock_close_all(struct engine *);
void	ctlsock_reply(struct ctl_client *, struct buf *);
void	ctlsock_reply_error(struct ctl_client *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	ctlsock_reply_ok(struct ctl_client *);

#endif

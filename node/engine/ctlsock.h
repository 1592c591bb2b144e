/* ctlsock.h: the control socket's transport: clients, their requests and replies (ctlsock.c). */
#ifndef RPN_ENGINE_CTLSOCK_H
#define RPN_ENGINE_CTLSOCK_H

#include <stddef.h>

struct engine;

int	ctlsock_open(struct engine *, int fd, char *err, size_t errlen);
void	ctlsock_close_all(struct engine *);

#endif

/* client.h: requests to rpnd over its control socket, replies in order. */
#ifndef RPN_CLIENT_H
#define RPN_CLIENT_H

#include "proto/ctl.h"
#include "proto/mp.h"

#define RPN_SOCK_DEFAULT	"/run/rpn/rpnd.sock"

const char *client_socket(const char *opt);
int	client_open(const char *sock, char *err, size_t errlen);
int	client_send_req(int fd, const struct ctl_req *, char *err, size_t errlen);
int	client_recv_reply(int fd, struct buf *in, struct mp_doc *, int timeout_ms,
	    char *err, size_t errlen);
int	client_call(const char *sock, const struct ctl_req *, struct mp_doc *,
	    int timeout_ms, char *err, size_t errlen);

#endif

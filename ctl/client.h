/* client.h: one request to rpnd over its control socket, one reply. */
#ifndef RPN_CLIENT_H
#define RPN_CLIENT_H

#include "proto/ctl.h"
#include "proto/mp.h"

#define RPN_SOCK_DEFAULT	"/run/rpn/rpnd.sock"

const char *client_socket(const char *opt);
int	client_call(const char *sock, const struct ctl_req *, struct mp_doc *,
	    int timeout_ms, char *err, size_t errlen);

#endif

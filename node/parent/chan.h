/* chan.h: the parent's end of the channel to the engine, and the engine's user (parent only). */
#ifndef RPN_PARENT_CHAN_H
#define RPN_PARENT_CHAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "node/core/privsep.h"

int	priv_send(int fd, uint16_t type, const void *, size_t);
ssize_t	priv_recv(int fd, struct priv_hdr *, void *, size_t cap);
int	priv_lookup_user(const char *want, uid_t *, gid_t *, char *err,
	    size_t errlen);

#endif

/* ifaces.h: this host's interfaces and addresses, read without privileges. */
#ifndef RPN_IFACES_H
#define RPN_IFACES_H

#include <stdint.h>

#include "proto/wire.h"

int	ifaces_default_route_if(char *ifname, size_t len);
int	ifaces_default_addrs(struct wire_addr *, int max, uint16_t port);

#endif

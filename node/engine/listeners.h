/* listeners.h: the ports this node's own sockets listen on, which rpn must never take over (engine). */
#ifndef RPN_LISTENERS_H
#define RPN_LISTENERS_H

#include <stdint.h>

struct listeners {
	uint32_t	*keys;		/* svc_key(proto, port), sorted, unique */
	uint32_t	 n;
	uint32_t	 cap;
};

int	listeners_scan(struct listeners *);
int	listeners_has(const struct listeners *, uint8_t proto, uint16_t port);
void	listeners_release(struct listeners *);
int	listeners_same(const struct listeners *, const struct listeners *);

#endif

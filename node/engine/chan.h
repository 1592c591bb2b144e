/* chan.h: the engine's end of the channel to the parent (engine only). */
#ifndef RPN_ENGINE_CHAN_H
#define RPN_ENGINE_CHAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "node/core/privsep.h"

struct engine;

int	chan_start(struct engine *);
void	chan_close(struct engine *);
int	chan_send(struct engine *, uint16_t type, const void *, size_t);
int	chan_read_first(struct engine *, uint16_t want, void *buf, size_t cap,
	    size_t *len);

#endif

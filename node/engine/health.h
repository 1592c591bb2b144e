/* health.h: checks of this node's own backends (health.c). */
#ifndef RPN_ENGINE_HEALTH_H
#define RPN_ENGINE_HEALTH_H

#include <stdint.h>

struct engine;

void	health_init(struct engine *);
void	health_close(struct engine *);
const char *health_name(uint8_t);
uint8_t	health_of(struct engine *, const char *name);
void	health_note(struct engine *, const char *name);
void	health_wake(struct engine *);

#endif

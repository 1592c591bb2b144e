/* svcctl.h: the services this node owns: adding, removing, health (svcctl.c). */
#ifndef RPN_ENGINE_SVCCTL_H
#define RPN_ENGINE_SVCCTL_H

#include <stddef.h>
#include <stdint.h>

#include "proto/wire.h"

struct ctl_req;
struct engine;
struct rec_service;
struct wire_msg;

void	svcctl_service_of(const struct ctl_req *, struct rec_service *);
int	svcctl_check_add(struct engine *, const uint8_t owner[WIRE_KEY],
	    const struct rec_service *, int force, char *err, size_t errlen);
int	svcctl_apply(struct engine *, uint8_t op, const struct rec_service *,
	    int force, char *err, size_t errlen);
int	svcctl_health(struct engine *, const char *name, uint8_t health);
void	svcctl_withdraw_all(struct engine *);
int	svcctl_remote(struct engine *, struct wire_msg *, char *err,
	    size_t errlen);

#endif

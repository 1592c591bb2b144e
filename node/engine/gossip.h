/* gossip.h: the engine's UDP side: rounds, probes and their datagrams (gossip.c). */
#ifndef RPN_ENGINE_GOSSIP_H
#define RPN_ENGINE_GOSSIP_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct engine;
struct mb_action;
struct member;
struct wire_addr;

int	gossip_bind(struct engine *, char *err, size_t errlen);
void	gossip_close(struct engine *);
void	gossip_act(struct engine *, const struct mb_action *);
void	gossip_arm(struct engine *);
int	gossip_challenge(struct engine *, struct member *,
	    const struct wire_addr *);
int	gossip_seal(struct engine *, struct buf *, const uint8_t key[32],
	    const uint8_t *, size_t);

#endif

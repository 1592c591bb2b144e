/*
 * backoff.h: the pause before something is tried again.  It doubles from
 * a base up to a cap, is jittered over its upper half so that many nodes
 * retrying at once spread out, and is cut to end at the deadline, so the
 * last attempt starts at the deadline rather than a pause before it.
 * Pure: the caller owns the timer and the random value.
 */
#ifndef RPN_BACKOFF_H
#define RPN_BACKOFF_H

#include <stdint.h>

/*
 * backoff_pause - the pause in ms after failed attempt number `attempt`
 * (1 for the first) with left_ms to the deadline; rnd is any random
 * value.  -1 when no time is left: give up.
 */
int64_t	backoff_pause(uint32_t base_ms, uint32_t max_ms, uint32_t attempt,
	    uint64_t left_ms, uint32_t rnd);

#endif

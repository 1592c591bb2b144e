/* backoff.c: a doubling, jittered pause cut to end at a deadline. */
#include "node/core/backoff.h"

int64_t
backoff_pause(uint32_t base_ms, uint32_t max_ms, uint32_t attempt,
    uint64_t left_ms, uint32_t rnd)
{
	uint64_t	 pause = base_ms;
	uint32_t	 i;

	if (left_ms == 0)
		return -1;
	for (i = 1; i < attempt && pause < max_ms; i++)
		pause *= 2;
	if (pause > max_ms)
		pause = max_ms;
	pause = pause / 2 + rnd % (pause / 2 + 1);
	return (int64_t)(pause < left_ms ? pause : left_ms);
}

/* test-backoff.c: the retry pause doubles to its cap, jitters, and ends at the deadline. */
#include <stdint.h>

#include "node/core/backoff.h"
#include "tests/unit/test.h"

TEST(backoff_doubles_to_cap_with_jitter)
{
	/* rpn join's numbers: 250 ms doubling to 2 s, over the upper half */
	ASSERT_EQ(backoff_pause(250, 2000, 1, 60000, 0), 125);
	ASSERT_EQ(backoff_pause(250, 2000, 1, 60000, 125), 250);
	ASSERT_EQ(backoff_pause(250, 2000, 1, 60000, 126), 125);
	ASSERT_EQ(backoff_pause(250, 2000, 2, 60000, 0), 250);
	ASSERT_EQ(backoff_pause(250, 2000, 3, 60000, 500), 1000);
	ASSERT_EQ(backoff_pause(250, 2000, 4, 60000, 0), 1000);
	ASSERT_EQ(backoff_pause(250, 2000, 4, 60000, 1000), 2000);
	ASSERT_EQ(backoff_pause(250, 2000, UINT32_MAX, 60000, UINT32_MAX),
	    1000 + UINT32_MAX % 1001);
	/* attempt 0 (none made yet) pauses like the first */
	ASSERT_EQ(backoff_pause(250, 2000, 0, 60000, 0), 125);
}

TEST(backoff_ends_at_the_deadline)
{
	/*
	 * A pause longer than the time left is cut to end at the deadline,
	 * however little is left: the last attempt starts there.  (The old
	 * rule in join.c gave up with less than 250 ms left, so rpn join
	 * --timeout 10s could fail after 9.8 s: t-join-retry saw it in CI.)
	 */
	ASSERT_EQ(backoff_pause(250, 2000, 4, 700, 1000), 700);
	ASSERT_EQ(backoff_pause(250, 2000, 4, 100, 0), 100);
	ASSERT_EQ(backoff_pause(250, 2000, 1, 1, 0), 1);
	ASSERT_EQ(backoff_pause(250, 2000, 1, 0, 0), -1);
	ASSERT_EQ(backoff_pause(250, 2000, 9, 0, 12345), -1);
}

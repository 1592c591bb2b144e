/* test-replay.c: the box replay window, as a pure function of the stamps it is shown. */
#include "proto/box.h"
#include "tests/unit/test.h"

/* What the receivers do: check, and mark only what was new. */
static enum box_verdict
offer(struct box_window *w, uint64_t min_epoch, uint64_t epoch, uint64_t ctr)
{
	enum box_verdict	 v = box_window_check(w, min_epoch, epoch, ctr);

	if (v == BOXW_NEW)
		box_window_mark(w, epoch, ctr);
	return v;
}

TEST(replay_in_order_and_duplicates)
{
	struct box_window	 w;

	memset(&w, 0, sizeof(w));
	/* a fresh window takes anything at or above the known incarnation */
	ASSERT_EQ(offer(&w, 5, 5, 1), BOXW_NEW);
	for (uint64_t c = 2; c < 5000; c++)
		ASSERT_EQ(offer(&w, 5, 5, c), BOXW_NEW);
	ASSERT_UEQ(w.top, 4999);
	/* every one of the last BOX_WINDOW is remembered */
	for (uint64_t c = 4999; c > 4999 - BOX_WINDOW; c--)
		ASSERT_EQ(offer(&w, 5, 5, c), BOXW_DUP);
	ASSERT_EQ(offer(&w, 5, 5, 4999 - BOX_WINDOW), BOXW_OLD);
	ASSERT_EQ(offer(&w, 5, 5, 1), BOXW_OLD);
	ASSERT_EQ(offer(&w, 5, 5, 0), BOXW_OLD);
	ASSERT_UEQ(w.top, 4999);
	/* checking alone never changes the window */
	ASSERT_EQ(box_window_check(&w, 5, 5, 5000), BOXW_NEW);
	ASSERT_EQ(box_window_check(&w, 5, 5, 5000), BOXW_NEW);
	ASSERT_UEQ(w.top, 4999);
}

TEST(replay_out_of_order_within_window)
{
	struct box_window	 w;

	memset(&w, 0, sizeof(w));
	ASSERT_EQ(offer(&w, 0, 1, 10000), BOXW_NEW);
	/* late arrivals below the top are taken once, each */
	ASSERT_EQ(offer(&w, 0, 1, 9999), BOXW_NEW);
	ASSERT_EQ(offer(&w, 0, 1, 10000 - BOX_WINDOW + 1), BOXW_NEW);
	ASSERT_EQ(offer(&w, 0, 1, 10000 - BOX_WINDOW + 1), BOXW_DUP);
	ASSERT_EQ(offer(&w, 0, 1, 9999), BOXW_DUP);
	ASSERT_EQ(offer(&w, 0, 1, 10000 - BOX_WINDOW), BOXW_OLD);
	/* gaps stay open: 10001 and 10003 seen, 10002 still new */
	ASSERT_EQ(offer(&w, 0, 1, 10003), BOXW_NEW);
	ASSERT_EQ(offer(&w, 0, 1, 10001), BOXW_NEW);
	ASSERT_EQ(offer(&w, 0, 1, 10002), BOXW_NEW);
	for (uint64_t c = 10000; c <= 10003; c++)
		ASSERT_EQ(offer(&w, 0, 1, c), BOXW_DUP);
	ASSERT_EQ(offer(&w, 0, 1, 9000), BOXW_NEW);
}

TEST(replay_huge_jumps)
{
	struct box_window	 w;

	memset(&w, 0, sizeof(w));
	ASSERT_EQ(offer(&w, 0, 1, 10), BOXW_NEW);
	ASSERT_EQ(offer(&w, 0, 1, 11), BOXW_NEW);
	/* far ahead: everything before falls out of the window */
	ASSERT_EQ(offer(&w, 0, 1, 1ULL << 40), BOXW_NEW);
	ASSERT_EQ(offer(&w, 0, 1, 11), BOXW_OLD);
	ASSERT_EQ(offer(&w, 0, 1, (1ULL << 40) - 1), BOXW_NEW);
	ASSERT_EQ(offer(&w, 0, 1, 1ULL << 40), BOXW_DUP);
	/* nothing stale is left in the ring after the jump */
	for (uint64_t c = (1ULL << 40) - BOX_WINDOW + 1; c < (1ULL << 40) - 1; c++)
		ASSERT_EQ(box_window_check(&w, 0, 1, c), BOXW_NEW);
	/* up to the last counter there is */
	ASSERT_EQ(offer(&w, 0, 1, UINT64_MAX), BOXW_NEW);
	ASSERT_EQ(offer(&w, 0, 1, UINT64_MAX), BOXW_DUP);
	ASSERT_EQ(offer(&w, 0, 1, UINT64_MAX - 1), BOXW_NEW);
	ASSERT_EQ(offer(&w, 0, 1, 1ULL << 40), BOXW_OLD);
}

TEST(replay_bitmap_wraps)
{
	struct box_window	 w;
	uint64_t		 c;

	/*
	 * Walk the top through the ring several times in steps that are not
	 * a multiple of a word, with a late arrival and a replay behind it
	 * each time: bits left from the last turn must never read as seen,
	 * and bits set in this turn must.
	 */
	memset(&w, 0, sizeof(w));
	for (c = 1; c < 20 * BOX_WIN_WORDS * 64; c += 37) {
		ASSERT_EQ(offer(&w, 0, 7, c), BOXW_NEW);
		ASSERT_EQ(offer(&w, 0, 7, c), BOXW_DUP);
		if (c > BOX_WINDOW) {
			uint64_t	 late = c - BOX_WINDOW + 1 + c % 50;

			if (late % 37 != 1) {
				ASSERT_EQ(offer(&w, 0, 7, late), BOXW_NEW);
				ASSERT_EQ(offer(&w, 0, 7, late), BOXW_DUP);
			}
			ASSERT_EQ(offer(&w, 0, 7, c - BOX_WINDOW), BOXW_OLD);
		}
	}
	/* one step of exactly the ring's size clears it all */
	c = w.top + BOX_WIN_WORDS * 64;
	ASSERT_EQ(offer(&w, 0, 7, c), BOXW_NEW);
	for (uint64_t k = c - BOX_WINDOW + 1; k < c; k++)
		ASSERT_EQ(box_window_check(&w, 0, 7, k), BOXW_NEW);
}

TEST(replay_epochs)
{
	struct box_window	 w;

	memset(&w, 0, sizeof(w));
	ASSERT_EQ(offer(&w, 100, 100, 50000), BOXW_NEW);
	/* the sender restarted: a higher epoch, its counter from 1 again */
	ASSERT_EQ(offer(&w, 100, 200, 1), BOXW_NEW);
	ASSERT_UEQ(w.epoch, 200);
	ASSERT_EQ(offer(&w, 100, 200, 1), BOXW_DUP);
	ASSERT_EQ(offer(&w, 100, 200, 2), BOXW_NEW);
	/* anything from its earlier life is refused, whatever the counter */
	ASSERT_EQ(offer(&w, 100, 100, 50001), BOXW_OLD);
	ASSERT_EQ(offer(&w, 100, 100, UINT64_MAX), BOXW_OLD);
	/*
	 * After this node restarts the window is empty; the sender's signed
	 * node record still says which life it is in, so boxes from before
	 * are refused.
	 */
	memset(&w, 0, sizeof(w));
	ASSERT_EQ(offer(&w, 200, 100, 50001), BOXW_OLD);
	ASSERT_EQ(w.used, 0);
	ASSERT_EQ(offer(&w, 200, 200, 3), BOXW_NEW);
	/* a new incarnation known from its record, before any box of it */
	ASSERT_EQ(offer(&w, 300, 200, 4), BOXW_OLD);
	ASSERT_EQ(offer(&w, 300, 300, 1), BOXW_NEW);
	ASSERT_EQ(offer(&w, 300, UINT64_MAX, 0), BOXW_NEW);
	ASSERT_EQ(offer(&w, 300, UINT64_MAX, 0), BOXW_DUP);
	ASSERT_EQ(offer(&w, 300, 300, 2), BOXW_OLD);
}

TEST(replay_datagram_and_stream_windows)
{
	struct box_window	 dg, st;

	memset(&dg, 0, sizeof(dg));
	memset(&st, 0, sizeof(st));
	/* a receiver that restarted hears datagrams first */
	for (uint64_t c = 5000; c < 5010; c++) {
		ASSERT_EQ(box_windows_check(&dg, &st, 9, 9, c), BOXW_NEW);
		box_window_mark(&dg, 9, c);
	}
	/* a stream opening captured long ago: too old, though no stream was seen */
	ASSERT_EQ(box_windows_check(&st, &dg, 9, 9, 100), BOXW_OLD);
	/* a recent one it never saw is taken, and starts the stream window */
	ASSERT_EQ(box_windows_check(&st, &dg, 9, 9, 4990), BOXW_NEW);
	box_window_mark(&st, 9, 4990);
	ASSERT_EQ(box_windows_check(&st, &dg, 9, 9, 4990), BOXW_DUP);
	/*
	 * From then on the stream window alone says what is too old: a large
	 * frame overtaken by many datagrams is still taken.
	 */
	for (uint64_t c = 5010; c < 5010 + 3 * BOX_WINDOW; c++)
		box_window_mark(&dg, 9, c);
	ASSERT_EQ(box_windows_check(&st, &dg, 9, 9, 4995), BOXW_NEW);
	/* a datagram played as a stream frame, or the reverse: a replay */
	ASSERT_EQ(box_windows_check(&st, &dg, 9, 9, 5010 + 3 * BOX_WINDOW - 1),
	    BOXW_DUP);
	box_window_mark(&st, 9, 5010 + 3 * BOX_WINDOW + 5);
	ASSERT_EQ(box_windows_check(&dg, &st, 9, 9, 5010 + 3 * BOX_WINDOW + 5),
	    BOXW_DUP);
	ASSERT_EQ(box_windows_check(&dg, &st, 9, 9, 5010 + 3 * BOX_WINDOW + 4),
	    BOXW_NEW);
	/* both windows agree on earlier incarnations */
	ASSERT_EQ(box_windows_check(&st, &dg, 10, 9, 99999), BOXW_OLD);
	/* an epoch older than one seen on the other kind: an earlier life */
	box_window_mark(&dg, 11, 1);
	ASSERT_EQ(box_windows_check(&st, &dg, 9, 10, 1), BOXW_OLD);
	ASSERT_EQ(box_windows_check(&st, &dg, 9, 11, 2), BOXW_NEW);
	ASSERT_EQ(box_windows_check(&st, &dg, 9, 12, 1), BOXW_NEW);
}

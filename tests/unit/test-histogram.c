/* test-histogram.c: fixed buckets, cumulative counts, exact seconds in the text form. */
#include <stdint.h>

#include "node/core/histogram.h"
#include "proto/buf.h"
#include "tests/unit/test.h"

TEST(histogram_buckets_and_bounds)
{
	struct histogram	 h;
	static const uint64_t	 bad[] = { 10, 10 };

	ASSERT_EQ(histogram_init(&h, bad, 2), -1);
	ASSERT_EQ(histogram_init(&h, hist_default_bounds, HIST_MAX_BUCKETS + 1),
	    -1);
	ASSERT_EQ(histogram_init(&h, hist_default_bounds, hist_default_nbounds),
	    0);
	ASSERT_EQ(hist_default_nbounds, 16);
	ASSERT_UEQ(hist_default_bounds[0], 100000);		/* 100 us */
	ASSERT_UEQ(hist_default_bounds[15], 10000000000ull);	/* 10 s */

	histogram_observe(&h, 0);
	histogram_observe(&h, 100000);		/* on a bound: that bucket */
	histogram_observe(&h, 100001);		/* just above: the next */
	histogram_observe(&h, 3000000);		/* 3 ms: le 0.005 */
	histogram_observe(&h, 20000000000ull);	/* 20 s: only +Inf */
	ASSERT_UEQ(h.count, 5);
	ASSERT_UEQ(histogram_le(&h, 0), 2);
	ASSERT_UEQ(histogram_le(&h, 1), 3);
	ASSERT_UEQ(histogram_le(&h, 4), 3);	/* le 0.0025 */
	ASSERT_UEQ(histogram_le(&h, 5), 4);	/* le 0.005 */
	ASSERT_UEQ(histogram_le(&h, 15), 4);
	ASSERT_UEQ(histogram_le(&h, 16), 5);	/* +Inf */
	ASSERT_UEQ(histogram_le(&h, 99), 5);
	ASSERT_UEQ(h.sum_ns, 100000ull + 100001 + 3000000 + 20000000000ull);

	/* The sum saturates rather than wrap. */
	histogram_observe(&h, UINT64_MAX);
	ASSERT_UEQ(h.sum_ns, UINT64_MAX);
}

TEST(histogram_seconds_text)
{
	char	 s[32];

	histogram_fmt_seconds(s, 0);
	ASSERT_STR_EQ(s, "0");
	histogram_fmt_seconds(s, 100000);
	ASSERT_STR_EQ(s, "0.0001");
	histogram_fmt_seconds(s, 2500000);
	ASSERT_STR_EQ(s, "0.0025");
	histogram_fmt_seconds(s, 1000000000);
	ASSERT_STR_EQ(s, "1");
	histogram_fmt_seconds(s, 12000000001ull);
	ASSERT_STR_EQ(s, "12.000000001");
	histogram_fmt_seconds(s, UINT64_MAX);
	ASSERT_STR_EQ(s, "18446744073.709551615");
}

TEST(histogram_render_lines)
{
	static const uint64_t	 b2[] = { 1000000, 1000000000 };
	struct histogram	 h;
	struct buf		 b;
	const char		*want =
	    "x_seconds_bucket{k=\"v\",le=\"0.001\"} 1\n"
	    "x_seconds_bucket{k=\"v\",le=\"1\"} 1\n"
	    "x_seconds_bucket{k=\"v\",le=\"+Inf\"} 2\n"
	    "x_seconds_sum{k=\"v\"} 2.0005\n"
	    "x_seconds_count{k=\"v\"} 2\n";
	const char		*plain =
	    "y_bucket{le=\"0.001\"} 0\n"
	    "y_bucket{le=\"1\"} 0\n"
	    "y_bucket{le=\"+Inf\"} 0\n"
	    "y_sum 0\n"
	    "y_count 0\n";

	ASSERT_EQ(histogram_init(&h, b2, 2), 0);
	histogram_observe(&h, 500000);
	histogram_observe(&h, 2000000000);
	buf_init(&b, 4096);
	histogram_render(&h, &b, "x_seconds", "k=\"v\"");
	ASSERT_EQ(b.err, 0);
	ASSERT_EQ(b.len, strlen(want));
	ASSERT_MEM_EQ(b.p, want, b.len);
	buf_release(&b);

	ASSERT_EQ(histogram_init(&h, b2, 2), 0);
	buf_init(&b, 4096);
	histogram_render(&h, &b, "y", "");
	ASSERT_EQ(b.len, strlen(plain));
	ASSERT_MEM_EQ(b.p, plain, b.len);
	buf_release(&b);
}

TEST(histogram_label_escape)
{
	char	 s[16], tiny[4];

	prom_escape(s, sizeof(s), "plain-name.1");
	ASSERT_STR_EQ(s, "plain-name.1");
	prom_escape(s, sizeof(s), "a\\b\"c\nd");
	ASSERT_STR_EQ(s, "a\\\\b\\\"c\\nd");
	/* Cut short, never in the middle of an escape. */
	prom_escape(tiny, sizeof(tiny), "ab\"");
	ASSERT_STR_EQ(tiny, "ab");
	prom_escape(tiny, sizeof(tiny), "abcdef");
	ASSERT_STR_EQ(tiny, "abc");
	prom_escape(s, 0, "x");		/* nothing written, no crash */
}

/*
 * histogram.h: a Prometheus-style histogram of durations: fixed buckets,
 * cumulative on output, counted in nanoseconds so nothing is rounded
 * until it is printed.  Pure: metrics.c renders it.
 */
#ifndef RPN_HISTOGRAM_H
#define RPN_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

struct buf;

#define HIST_MAX_BUCKETS	24

struct histogram {
	const uint64_t	*bounds;	/* upper bounds in ns, increasing */
	uint32_t	 nbounds;	/* the +Inf bucket is extra */
	uint64_t	 counts[HIST_MAX_BUCKETS + 1];	/* not cumulative */
	uint64_t	 count;
	uint64_t	 sum_ns;	/* saturates instead of wrapping */
};

/* 100 us to 10 s in 1-2.5-5 steps: 16 bounds. */
extern const uint64_t hist_default_bounds[];
extern const uint32_t hist_default_nbounds;

int	histogram_init(struct histogram *, const uint64_t *bounds, uint32_t n);
void	histogram_observe(struct histogram *, uint64_t ns);
/* Observations at or below bounds[i] (cumulative); i == nbounds: all. */
uint64_t histogram_le(const struct histogram *, uint32_t i);
/* ns as seconds in decimal, shortest exact form: 100000 -> "0.0001". */
void	histogram_fmt_seconds(char *out, uint64_t ns);
/*
 * The _bucket, _sum and _count lines of metric name (HELP and TYPE are
 * the caller's); labels: "" or 'k="v"' already escaped, put before le.
 */
void	histogram_render(const struct histogram *, struct buf *,
	    const char *name, const char *labels);
/*
 * A label value as the text format wants it: backslash, double quote and
 * newline escaped.  Always terminated; cut short before an escape that
 * would not fit.
 */
void	prom_escape(char *out, size_t len, const char *s);

#endif

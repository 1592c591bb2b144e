/* histogram.c: fixed-bucket duration histograms in the Prometheus text form. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "node/core/histogram.h"
#include "proto/buf.h"

#define MS	1000000ull
#define US	1000ull

const uint64_t hist_default_bounds[] = {
	100 * US, 250 * US, 500 * US, 1 * MS, 2500 * US, 5 * MS, 10 * MS,
	25 * MS, 50 * MS, 100 * MS, 250 * MS, 500 * MS, 1000 * MS,
	2500 * MS, 5000 * MS, 10000 * MS,
};
const uint32_t hist_default_nbounds =
    sizeof(hist_default_bounds) / sizeof(hist_default_bounds[0]);

/* histogram_init - empty, with these bounds: -1 if too many or not increasing. */
int
histogram_init(struct histogram *h, const uint64_t *bounds, uint32_t n)
{
	memset(h, 0, sizeof(*h));
	if (n > HIST_MAX_BUCKETS)
		return -1;
	for (uint32_t i = 1; i < n; i++)
		if (bounds[i] <= bounds[i - 1])
			return -1;
	h->bounds = bounds;
	h->nbounds = n;
	return 0;
}

void
histogram_observe(struct histogram *h, uint64_t ns)
{
	uint32_t	 i;

	for (i = 0; i < h->nbounds && ns > h->bounds[i]; i++)
		;
	h->counts[i]++;
	h->count++;
	h->sum_ns = ns > UINT64_MAX - h->sum_ns ? UINT64_MAX : h->sum_ns + ns;
}

uint64_t
histogram_le(const struct histogram *h, uint32_t i)
{
	uint64_t	 c = 0;

	if (i > h->nbounds)
		i = h->nbounds;
	for (uint32_t k = 0; k <= i; k++)
		c += h->counts[k];
	return c;
}

/* out holds at least 32 bytes. */
void
histogram_fmt_seconds(char *out, uint64_t ns)
{
	uint64_t	 s = ns / 1000000000ull, f = ns % 1000000000ull;
	int		 w = 9;

	if (f == 0) {
		snprintf(out, 32, "%" PRIu64, s);
		return;
	}
	while (f % 10 == 0) {
		f /= 10;
		w--;
	}
	snprintf(out, 32, "%" PRIu64 ".%0*" PRIu64, s, w, f);
}

static void
line(struct buf *b, const char *name, const char *suffix, const char *labels,
    const char *le, const char *value)
{
	char	 l[512];
	int	 n;

	if (le != NULL)
		n = snprintf(l, sizeof(l), "%s%s{%s%sle=\"%s\"} %s\n", name,
		    suffix, labels, labels[0] ? "," : "", le, value);
	else if (labels[0])
		n = snprintf(l, sizeof(l), "%s%s{%s} %s\n", name, suffix,
		    labels, value);
	else
		n = snprintf(l, sizeof(l), "%s%s %s\n", name, suffix, value);
	if (n < 0 || (size_t)n >= sizeof(l)) {
		b->err = 1;	/* a name or labels that long is the caller's bug */
		return;
	}
	buf_put(b, l, (size_t)n);
}

void
histogram_render(const struct histogram *h, struct buf *b, const char *name,
    const char *labels)
{
	char	 le[32], v[32];

	for (uint32_t i = 0; i <= h->nbounds; i++) {
		if (i < h->nbounds)
			histogram_fmt_seconds(le, h->bounds[i]);
		else
			strcpy(le, "+Inf");
		snprintf(v, sizeof(v), "%" PRIu64, histogram_le(h, i));
		line(b, name, "_bucket", labels, le, v);
	}
	histogram_fmt_seconds(v, h->sum_ns);
	line(b, name, "_sum", labels, NULL, v);
	snprintf(v, sizeof(v), "%" PRIu64, h->count);
	line(b, name, "_count", labels, NULL, v);
}

void
prom_escape(char *out, size_t len, const char *s)
{
	size_t	 o = 0;

	if (len == 0)
		return;
	for (; *s != '\0'; s++) {
		const char	*r = *s == '\\' ? "\\\\" : *s == '"' ? "\\\"" :
		    *s == '\n' ? "\\n" : NULL;
		size_t		 n = r != NULL ? 2 : 1;

		if (o + n >= len)
			break;
		if (r != NULL)
			memcpy(out + o, r, 2);
		else
			out[o] = *s;
		o += n;
	}
	out[o] = '\0';
}

/* metrics.h: GET /metrics in the Prometheus text format (metrics.c). */
#ifndef RPN_ENGINE_METRICS_H
#define RPN_ENGINE_METRICS_H

struct buf;
struct engine;

void	metrics_render(struct engine *, struct buf *);
/* Probe round trips: a probe's ping went out; an ACK with seq came back. */
void	metrics_probe_sent(struct engine *, uint32_t seq);
void	metrics_probe_ack(struct engine *, uint32_t seq);

#endif

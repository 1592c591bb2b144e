/*
 * metrics.c: GET /metrics in the Prometheus text exposition format
 * (version 0.0.4): what the engine counts, read at the moment of the
 * request.  Names start with rpn_, durations are in seconds, sizes in
 * bytes, counters end in _total.  docs/http.md "Metrics" lists them all.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "node/engine/dpreport.h"
#include "node/engine/engine.h"
#include "node/engine/health.h"
#include "node/engine/http.h"
#include "node/engine/metrics.h"
#include "node/core/histogram.h"
#include "node/core/httpsig.h"
#include "proto/buf.h"
#include "proto/version.h"

static void out(struct buf *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
out(struct buf *b, const char *fmt, ...)
{
	char	 line[512];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		b->err = 1;	/* every line is ours and short: a bug */
		return;
	}
	buf_put(b, line, (size_t)n);
}

/* The HELP and TYPE lines of one metric family. */
static void
family(struct buf *b, const char *name, const char *type, const char *help)
{
	out(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
sample(struct buf *b, const char *name, const char *labels, uint64_t v)
{
	if (labels != NULL && labels[0])
		out(b, "%s{%s} %" PRIu64 "\n", name, labels, v);
	else
		out(b, "%s %" PRIu64 "\n", name, v);
}

static void
one(struct buf *b, const char *name, const char *type, const char *help,
    uint64_t v)
{
	family(b, name, type, help);
	sample(b, name, NULL, v);
}

static void
members(struct buf *b, struct engine *e)
{
	const struct membership	*mb = &e->mesh.mb;
	uint64_t		 n[5] = { 0 };	/* alive suspect failed left revoked */
	static const char *const names[] = { "alive", "suspect", "failed",
	    "left", "revoked" };
	char			 l[32];

	for (uint32_t i = 0; i < mb->n; i++) {
		const struct member	*m = mb->m[i];

		if (m->revoked)
			n[4]++;
		else if (m->self)
			n[e->mesh.left ? 3 : 0]++;
		else if (m->state == M_ALIVE)
			n[0]++;
		else if (m->state == M_SUSPECT)
			n[1]++;
		else if (m->state == M_DEAD)
			n[2]++;
		else
			n[3]++;
	}
	family(b, "rpn_members", "gauge",
	    "Members of the mesh this node knows, by state (this node included).");
	for (int i = 0; i < 5; i++) {
		snprintf(l, sizeof(l), "state=\"%s\"", names[i]);
		sample(b, "rpn_members", l, n[i]);
	}
}

static void
records(struct buf *b, struct engine *e)
{
	char	 l[48];

	family(b, "rpn_records_total", "counter",
	    "Signed records offered to this node (gossip, sync, control socket, "
	    "state file), by outcome: accepted or the reason for refusing.");
	for (int i = 0; i < ACC_NUM; i++) {
		snprintf(l, sizeof(l), "result=\"%s\"", i == ACC_NEW ?
		    "accepted" : acc_names[i]);
		sample(b, "rpn_records_total", l, e->mesh.counters[i]);
	}
	one(b, "rpn_records_held", "gauge",
	    "Live records in this node's store.", e->mesh.store.live);
	one(b, "rpn_tombstones_held", "gauge",
	    "Tombstones (deleted records) in this node's store.",
	    e->mesh.store.tombstones);
}

static void
traffic(struct buf *b, struct engine *e)
{
	const struct engine_stats	*s = &e->st;

	family(b, "rpn_gossip_bytes_total", "counter",
	    "Bytes of mesh traffic: UDP datagrams and TCP streams (syncs, "
	    "joins, probes), by direction.");
	sample(b, "rpn_gossip_bytes_total",
	    "transport=\"udp\",direction=\"in\"", s->udp_rx_bytes);
	sample(b, "rpn_gossip_bytes_total",
	    "transport=\"udp\",direction=\"out\"", s->udp_tx_bytes);
	sample(b, "rpn_gossip_bytes_total",
	    "transport=\"tcp\",direction=\"in\"", s->tcp_rx_bytes);
	sample(b, "rpn_gossip_bytes_total",
	    "transport=\"tcp\",direction=\"out\"", s->tcp_tx_bytes);
	family(b, "rpn_gossip_packets_total", "counter",
	    "UDP datagrams of the mesh, by direction.");
	sample(b, "rpn_gossip_packets_total", "direction=\"in\"", s->udp_rx);
	sample(b, "rpn_gossip_packets_total", "direction=\"out\"", s->udp_tx);
	family(b, "rpn_gossip_streams_total", "counter",
	    "TCP streams with other nodes, by who opened them.");
	sample(b, "rpn_gossip_streams_total", "direction=\"in\"", s->tcp_in);
	sample(b, "rpn_gossip_streams_total", "direction=\"out\"", s->tcp_out);
	one(b, "rpn_gossip_send_failures_total", "counter",
	    "UDP datagrams the kernel did not send.", s->udp_send_fail);
	family(b, "rpn_messages_refused_total", "counter",
	    "Datagrams, stream frames and control requests dropped, by reason.");
	sample(b, "rpn_messages_refused_total", "reason=\"bad_box\"",
	    s->bad_box);
	sample(b, "rpn_messages_refused_total", "reason=\"replayed\"",
	    s->replayed);
	sample(b, "rpn_messages_refused_total", "reason=\"bad_message\"",
	    s->bad_msg);
	sample(b, "rpn_messages_refused_total", "reason=\"not_member\"",
	    s->not_member);
	sample(b, "rpn_messages_refused_total", "reason=\"stranger_limited\"",
	    s->stranger_limited);
	sample(b, "rpn_messages_refused_total", "reason=\"bad_stream\"",
	    s->tcp_bad);
	sample(b, "rpn_messages_refused_total", "reason=\"bad_control\"",
	    s->ctl_bad);
	one(b, "rpn_syncs_total", "counter",
	    "Record syncs (anti-entropy pulls) served or made.", s->syncs);
	family(b, "rpn_joins_total", "counter",
	    "Join requests this node answered, by result.");
	sample(b, "rpn_joins_total", "result=\"admitted\"", s->joins_admitted);
	sample(b, "rpn_joins_total", "result=\"refused\"", s->joins_refused);
	one(b, "rpn_address_challenges_total", "counter",
	    "Pings sent to prove an address another member advertises.",
	    s->addr_challenges);
	one(b, "rpn_probes_failed_total", "counter",
	    "Membership probes that got no answer in time.",
	    e->mesh.mb.probes_failed);
	one(b, "rpn_refutes_total", "counter",
	    "Times this node refuted a suspicion of itself.",
	    e->mesh.mb.refutes);
	family(b, "rpn_probe_rtt_seconds", "histogram",
	    "Membership probes: from the ping to its ack, direct or through "
	    "helpers.");
	histogram_render(&e->probe_rtt, b, "rpn_probe_rtt_seconds", "");
}

static void
services(struct buf *b, struct engine *e)
{
	const struct svc_table	*t = &e->dp.svcs;
	const struct membership	*mb = &e->mesh.mb;
	uint64_t		 nh[SVC_H_MAX + 1] = { 0 }, nsvc = 0, nprog = 0;
	struct dpreport_peers	 peers;
	uint64_t		 all = 0;
	int			 have_peers;
	char			 l[64];

	have_peers = dpreport_peers(e, &peers) == 0;
	for (uint32_t i = 0; i < t->n; i++) {
		const struct svc	*s = t->v[i];
		const struct svc_owner	*def = svc_def(t, s, mb);
		uint32_t		 shown = 0;

		for (uint32_t j = 0; j < s->nowners; j++) {
			const struct member	*m = mb_get(mb,
			    svc_owner_id(t, &s->owners[j]));

			if (m == NULL || m->revoked)
				continue;
			shown++;
			nh[s->owners[j].health <= SVC_H_MAX ?
			    s->owners[j].health : SVC_H_UNKNOWN]++;
		}
		if (shown == 0 || def == NULL)
			continue;
		nsvc++;
		if (svc_for_key(t, svc_key(def->proto, def->port), mb) == s &&
		    dpsync_programmed(e, svc_key(def->proto, def->port))) {
			nprog++;
			if (have_peers && peers.of > 0 && dpreport_count(e,
			    &peers, svc_key(def->proto, def->port)) == peers.of)
				all++;
		}
	}
	if (have_peers)
		dpreport_peers_release(&peers);
	one(b, "rpn_services", "gauge",
	    "Services of the mesh with at least one backend.", nsvc);
	one(b, "rpn_services_programmed", "gauge",
	    "Services this node's kernel holds as it wants them now.", nprog);
	one(b, "rpn_services_programmed_everywhere", "gauge",
	    "Services every live member's kernel is known to hold as this "
	    "node does (programmed on N of N nodes).", all);
	family(b, "rpn_backends", "gauge",
	    "Backends (one per owner of a service) by their owner's health "
	    "check.");
	for (int h = 0; h <= SVC_H_MAX; h++) {
		snprintf(l, sizeof(l), "health=\"%s\"", health_name((uint8_t)h));
		sample(b, "rpn_backends", l, nh[h]);
	}
}

static void
kernel(struct buf *b, struct engine *e)
{
	const struct dpsync	*d = &e->dp;
	static const char *const names[] = { "ok", "repairing", "failing",
	    "off" };
	char			 l[48], v[32];

	family(b, "rpn_kernel_state", "gauge",
	    "The parent's word on the kernel's table: 1 for the current state.");
	for (int i = DP_KS_OK; i <= DP_KS_OFF; i++) {
		snprintf(l, sizeof(l), "state=\"%s\"", names[i]);
		sample(b, "rpn_kernel_state", l, d->kernel.state == i);
	}
	one(b, "rpn_kernel_transactions_total", "counter",
	    "Kernel transactions the parent answered.", d->commits);
	family(b, "rpn_kernel_last_transaction_seconds", "gauge",
	    "The last transaction, from its batch sent to the kernel's ack.");
	histogram_fmt_seconds(v, (uint64_t)d->last_usec * 1000);
	out(b, "rpn_kernel_last_transaction_seconds %s\n", v);
	one(b, "rpn_kernel_last_transaction_changes", "gauge",
	    "Element changes in the last transaction.", d->last_changes);
	one(b, "rpn_kernel_repairs_total", "counter",
	    "Times the parent rewrote the table from its mirror.",
	    d->kernel.repairs);
	one(b, "rpn_kernel_foreign_changes_total", "counter",
	    "Changes to rpn's table made by someone else.", d->kernel.foreign);
	family(b, "rpn_kernel_verifications_total", "counter",
	    "Comparisons of the kernel's table with the parent's mirror.");
	sample(b, "rpn_kernel_verifications_total", "result=\"agreed\"",
	    d->kernel.verified);
	sample(b, "rpn_kernel_verifications_total", "result=\"mismatch\"",
	    d->kernel.mismatches);
	one(b, "rpn_kernel_ports_held", "gauge",
	    "Ports whose elements the kernel refuses, held back.",
	    d->kernel.nfailed);
	one(b, "rpn_addresses_unproven", "gauge",
	    "Other members' advertised addresses left out until proven.",
	    d->addrs_unproven);
	one(b, "rpn_lans_unapproved", "gauge",
	    "Other members' LAN prefixes left out until an operator approves.",
	    d->lans_unapproved);
	one(b, "rpn_services_own_port_total", "counter",
	    "Service records for rpn's own port, never programmed.",
	    e->st.svc_own_port);
	family(b, "rpn_network_programming_duration_seconds", "histogram",
	    "From a record's arrival at this node (gossip, sync or the "
	    "control socket) to the parent's ack of the kernel transaction "
	    "that carried its change.");
	histogram_render(&d->prog, b, "rpn_network_programming_duration_seconds",
	    "");
}

/* The console's server (http.c): requests, and refusals by reason. */
static void
console(struct buf *b, struct engine *e)
{
	const struct http_stats	*h = &e->http_st;
	char			 l[64], v[40];

	one(b, "rpn_http_requests_total", "counter",
	    "Requests the console's HTTP(S) server answered.", h->requests);
	family(b, "rpn_http_refused_total", "counter",
	    "Requests the console refused: API signatures by the check that "
	    "failed, bodies too large, paths, /metrics to a remote client.");
	for (int i = 1; i < HTTP_AUTH_REASONS; i++) {
		prom_escape(v, sizeof(v), httpsig_status_name(
		    (enum httpsig_status)i));
		snprintf(l, sizeof(l), "reason=\"%s\"", v);
		sample(b, "rpn_http_refused_total", l, h->auth_refused[i]);
	}
	sample(b, "rpn_http_refused_total", "reason=\"too_large\"",
	    h->too_large);
	sample(b, "rpn_http_refused_total", "reason=\"bad_path\"", h->bad_path);
	sample(b, "rpn_http_refused_total", "reason=\"metrics_not_loopback\"",
	    h->metrics_refused);
	one(b, "rpn_http_event_streams_dropped_total", "counter",
	    "Event streams closed because the client did not read.",
	    h->streams_dropped);
}

void
metrics_render(struct engine *e, struct buf *b)
{
	char	 name[2 * WIRE_NAME_MAX + 2], l[2 * WIRE_NAME_MAX + 64];

	family(b, "rpn_build_info", "gauge",
	    "Always 1: the version of rpnd and this node's name.");
	prom_escape(name, sizeof(name), e->mesh.name);
	snprintf(l, sizeof(l), "version=\"%s\",node=\"%s\"", RPN_VERSION, name);
	sample(b, "rpn_build_info", l, 1);
	members(b, e);
	records(b, e);
	traffic(b, e);
	services(b, e);
	kernel(b, e);
	console(b, e);
}

/* A probe of the membership protocol went out (not a helper's ping). */
void
metrics_probe_sent(struct engine *e, uint32_t seq)
{
	const struct mb_probe	*p = &e->mesh.mb.probe;

	if (p->active && !p->acked && p->seq == seq) {
		e->probe_seq = seq;
		e->probe_ns = uv_hrtime();
	}
}

/* Before mb_on_ack(): the ack that answers the probe ends its round trip. */
void
metrics_probe_ack(struct engine *e, uint32_t seq)
{
	const struct mb_probe	*p = &e->mesh.mb.probe;
	uint64_t		 now;

	if (!p->active || p->acked || p->seq != seq || e->probe_ns == 0 ||
	    e->probe_seq != seq)
		return;
	now = uv_hrtime();
	histogram_observe(&e->probe_rtt, now > e->probe_ns ?
	    now - e->probe_ns : 0);
	e->probe_ns = 0;
}

/* ctlview.c: the control replies that become --json: status, services, invite, init and join (docs/json.md). */
#include <stdlib.h>
#include <string.h>

#include "node/engine/ctlview.h"
#include "node/engine/dpreport.h"
#include "node/engine/engine.h"
#include "node/engine/health.h"
#include "proto/ctl.h"
#include "proto/envelope.h"
#include "proto/mp.h"
#include "proto/parse.h"

/* ctlview_head - start an ok reply: a map of nfields more fields. */
void
ctlview_head(msgpack_packer *pk, struct buf *b, size_t nfields)
{
	buf_init(b, CTL_MAX_FRAME);
	mp_packer_init(pk, b);
	msgpack_pack_map(pk, nfields + 1);
	mp_pack_str(pk, "ok");
	msgpack_pack_true(pk);
}


void
ctlview_ok(struct buf *b)
{
	msgpack_packer	 pk;

	ctlview_head(&pk, b, 0);
}

static void
pack_hex(msgpack_packer *pk, const uint8_t *p, size_t n)
{
	char	 hex[2 * WIRE_KEY + 1];

	fmt_hex(hex, p, n);
	mp_pack_str(pk, hex);
}

static void
pack_mesh_summary(msgpack_packer *pk, struct engine *e)
{
	msgpack_pack_map(pk, 3);
	mp_pack_str(pk, "mesh");
	pack_hex(pk, e->mesh.mesh_id, WIRE_MESH_ID);
	mp_pack_str(pk, "name");
	mp_pack_str(pk, e->mesh.name);
	mp_pack_str(pk, "id");
	pack_hex(pk, e->mesh.id, WIRE_KEY);
}

/* rpn init: the mesh this node founded. */
void
ctlview_init(struct buf *b, struct engine *e)
{
	msgpack_packer	 pk;

	ctlview_head(&pk, b, 1);
	mp_pack_str(&pk, "node");
	pack_mesh_summary(&pk, e);
}

/* rpn join: the mesh it joined, and how many members it knows. */
void
ctlview_join(struct buf *b, struct engine *e)
{
	msgpack_packer	 pk;

	ctlview_head(&pk, b, 2);
	mp_pack_str(&pk, "node");
	pack_mesh_summary(&pk, e);
	mp_pack_str(&pk, "members");
	msgpack_pack_uint32(&pk, e->mesh.mb.n);
}

/* rpnctl invite: the token and when it expires (unix seconds). */
void
ctlview_invite(struct buf *b, const char *token, uint64_t expires)
{
	msgpack_packer	 pk;

	ctlview_head(&pk, b, 2);
	mp_pack_str(&pk, "token");
	mp_pack_str(&pk, token);
	mp_pack_str(&pk, "expires");
	msgpack_pack_uint64(&pk, expires);
}

/* ---- services, as status and service list show them ---- */

static int
svc_name_cmp(const void *a, const void *b)
{
	const struct svc *const	*x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/* An owner status shows: not one that left (its records go with it). */
static int
owner_shown(const struct svc_table *t, const struct membership *mb,
    const struct svc_owner *o)
{
	const struct member	*m = mb_get(mb, svc_owner_id(t, o));

	return m == NULL || m->state != M_LEFT;
}

static uint32_t
owners_shown(const struct svc_table *t, const struct membership *mb,
    const struct svc *s)
{
	uint32_t	 n = 0;

	for (uint32_t i = 0; i < s->nowners; i++)
		n += owner_shown(t, mb, &s->owners[i]);
	return n;
}

/* One service as status, service list and service show give it (docs/json.md). */
/*
 * "granted": the nodes an operator's grant names as owners (ids), if any;
 * "grant": the protocol, port and access it gives, or nil without one.
 */
static void
pack_granted(msgpack_packer *pk, struct engine *e, const char *name)
{
	const struct oprec	*g = policy_grant(&e->mesh.pol, name);
	char			 a[ADDRSTRLEN];

	mp_pack_str(pk, "granted");
	msgpack_pack_array(pk, g != NULL ? g->nowners : 0);
	for (int i = 0; g != NULL && i < g->nowners; i++)
		pack_hex(pk, g->owners[i], WIRE_KEY);
	mp_pack_str(pk, "grant");
	if (g == NULL) {
		msgpack_pack_nil(pk);
		return;
	}
	msgpack_pack_map(pk, 4);
	mp_pack_str(pk, "proto");
	mp_pack_str(pk, g->svc.proto == SVC_UDP ? "udp" : "tcp");
	mp_pack_str(pk, "port");
	msgpack_pack_uint16(pk, g->svc.port);
	mp_pack_str(pk, "public");
	if (g->svc.public)
		msgpack_pack_true(pk);
	else
		msgpack_pack_false(pk);
	mp_pack_str(pk, "allow");
	msgpack_pack_array(pk, g->svc.nallow);
	for (int j = 0; j < g->svc.nallow; j++) {
		fmt_prefix(a, sizeof(a), &g->svc.allow[j]);
		mp_pack_str(pk, a);
	}
}

static void
pack_service(msgpack_packer *pk, struct engine *e, const struct svc *s,
    const struct dpreport_peers *peers)
{
	struct svc_table	*t = &e->dp.svcs;
	const struct membership	*mb = &e->mesh.mb;
	const struct svc_owner	*def = svc_def(t, s, mb);
	const struct svc	*holder = NULL;
	struct svc_plan		 plan;
	uint32_t		 key = 0;
	int			 programmed;
	char			 a[ADDRSTRLEN], problem[200] = "";
	const char		*proto = def && def->proto == SVC_UDP ? "udp" : "tcp";

	memset(&plan, 0, sizeof(plan));
	if (def != NULL) {
		key = svc_key(def->proto, def->port);
		holder = svc_for_key(t, key, mb);
		if (holder != s)
			snprintf(problem, sizeof(problem), "%s/%u is held by "
			    "service %s", proto, def->port,
			    holder ? holder->name : "?");
		else {
			dpsync_plan(e, key, &plan);
			if (plan.conflict)
				snprintf(problem, sizeof(problem), "conflict: "
				    "%s/%u is %s on this node, which does not "
				    "forward it", proto, def->port,
				    def->port == e->cfg.listen.port ?
				    "rpn's own port" : "a local listener's");
			else if (dpsync_held(e, key))
				snprintf(problem, sizeof(problem), "the kernel "
				    "refuses its elements (%s); held back and "
				    "tried again", strerror(e->dp.kernel.err));
			else if (plan.stale && plan.nbackends > 0)
				snprintf(problem, sizeof(problem), "no owner is "
				    "up: new connections go on to the failed "
				    "ones, whose tables may still forward");
			else if (plan.panic && plan.nbackends > 0)
				snprintf(problem, sizeof(problem), "no backend "
				    "passes its health check: all of them get "
				    "connections");
		}
	} else
		snprintf(problem, sizeof(problem), "no usable backend");
	msgpack_pack_map(pk, 13);
	mp_pack_str(pk, "name");
	mp_pack_str(pk, s->name);
	pack_granted(pk, e, s->name);
	mp_pack_str(pk, "proto");
	mp_pack_str(pk, proto);
	mp_pack_str(pk, "port");
	msgpack_pack_uint16(pk, def ? def->port : 0);
	mp_pack_str(pk, "access");
	mp_pack_str(pk, plan.public ? "public" : plan.nallow > 0 ? "allow" :
	    "private");
	mp_pack_str(pk, "public");
	if (plan.public)
		msgpack_pack_true(pk);
	else
		msgpack_pack_false(pk);
	mp_pack_str(pk, "allow");
	msgpack_pack_array(pk, plan.nallow);
	for (int j = 0; j < plan.nallow; j++) {
		fmt_prefix(a, sizeof(a), &plan.allow[j]);
		mp_pack_str(pk, a);
	}
	mp_pack_str(pk, "backends");
	msgpack_pack_array(pk, owners_shown(t, mb, s));
	for (uint32_t j = 0; j < s->nowners; j++) {
		const struct svc_owner	*o = &s->owners[j];
		const struct member	*m = mb_get(mb, svc_owner_id(t, o));
		int			 agree = def && o->proto ==
		    def->proto && o->port == def->port;

		if (!owner_shown(t, mb, o))
			continue;
		msgpack_pack_map(pk, 6);
		mp_pack_str(pk, "node");
		mp_pack_str(pk, m && m->name[0] ? m->name : "?");
		mp_pack_str(pk, "target");
		fmt_addr(a, sizeof(a), &o->target, 1);
		mp_pack_str(pk, a);
		mp_pack_str(pk, "state");
		mp_pack_str(pk, m == NULL ? "unknown" : !agree ? "conflict" :
		    m->self ? (e->mesh.left ? "left" : "alive") :
		    mstate_name(m->state));
		mp_pack_str(pk, "health");
		mp_pack_str(pk, health_name(o->health));
		mp_pack_str(pk, "health_since");
		if (o->health_since != 0)
			msgpack_pack_uint64(pk, o->health_since);
		else
			msgpack_pack_nil(pk);
		mp_pack_str(pk, "self");
		if (m != NULL && m->self)
			msgpack_pack_true(pk);
		else
			msgpack_pack_false(pk);
	}
	mp_pack_str(pk, "forwarding");
	msgpack_pack_map(pk, 2);
	mp_pack_str(pk, "mode");
	mp_pack_str(pk, plan.mode == PLAN_LOCAL ? "local" :
	    plan.mode == PLAN_REMOTE ? "remote" : "none");
	mp_pack_str(pk, "to");
	msgpack_pack_array(pk, plan.nbackends);
	for (int j = 0; j < plan.nbackends; j++) {
		fmt_addr(a, sizeof(a), &plan.backends[j], 1);
		mp_pack_str(pk, a);
	}
	mp_pack_str(pk, "programmed");
	programmed = key != 0 && holder == s && !plan.conflict &&
	    dpsync_programmed(e, key);
	if (programmed)
		msgpack_pack_true(pk);
	else
		msgpack_pack_false(pk);
	/* On how many live members the kernel holds it (dpreport.c). */
	mp_pack_str(pk, "programmed_on");
	msgpack_pack_map(pk, 2);
	mp_pack_str(pk, "nodes");
	msgpack_pack_uint32(pk, programmed ? dpreport_count(e, peers, key) : 0);
	mp_pack_str(pk, "of");
	msgpack_pack_uint32(pk, peers->of);
	mp_pack_str(pk, "problem");
	if (problem[0])
		mp_pack_str(pk, problem);
	else
		msgpack_pack_nil(pk);
}

static void
pack_services(msgpack_packer *pk, struct engine *e)
{
	struct svc_table	*t = &e->dp.svcs;
	struct svc		**v;
	struct dpreport_peers	 peers;
	uint32_t		 n = 0;

	if ((v = calloc(t->n + 1, sizeof(*v))) == NULL) {
		msgpack_pack_array(pk, 0);
		return;
	}
	if (dpreport_peers(e, &peers) == -1) {
		free(v);
		msgpack_pack_array(pk, 0);
		return;
	}
	for (uint32_t i = 0; i < t->n; i++)
		if (owners_shown(t, &e->mesh.mb, t->v[i]) > 0)
			v[n++] = t->v[i];
	if (n > 1)
		qsort(v, n, sizeof(*v), svc_name_cmp);
	msgpack_pack_array(pk, n);
	for (uint32_t i = 0; i < n; i++)
		pack_service(pk, e, v[i], &peers);
	dpreport_peers_release(&peers);
	free(v);
}

/* ---- status ---- */

static void
pack_addrs(msgpack_packer *pk, struct engine *e, const struct member *m)
{
	const struct rec	*r;
	const uint8_t		*body;
	size_t			 bodylen;
	struct rec_head		 h;
	struct rec_node		 nd;
	char			 a[ADDRSTRLEN];

	r = store_get(&e->mesh.store, m->id, REC_NODE, NULL, 0);
	if (r != NULL)
		body = rec_body(r, &bodylen);
	if (r == NULL || rec_node_decode(body, bodylen, &h, &nd) == -1) {
		msgpack_pack_array(pk, 0);
		return;
	}
	msgpack_pack_array(pk, nd.naddrs);
	for (int i = 0; i < nd.naddrs; i++) {
		fmt_addr(a, sizeof(a), &nd.addrs[i], 1);
		mp_pack_str(pk, a);
	}
}

static void
pack_counter(msgpack_packer *pk, const char *name, uint64_t v)
{
	mp_pack_str(pk, name);
	msgpack_pack_uint64(pk, v);
}

static void
pack_counters(msgpack_packer *pk, struct engine *e)
{
	const struct engine_stats	*s = &e->st;
	/* One table, so the map's size is counted, not kept by hand. */
	const struct {
		const char	*name;
		uint64_t	 v;
	} c[] = {
		{ "udp_rx", s->udp_rx },
		{ "udp_rx_bytes", s->udp_rx_bytes },
		{ "udp_tx", s->udp_tx },
		{ "udp_tx_bytes", s->udp_tx_bytes },
		{ "udp_send_fail", s->udp_send_fail },
		{ "bad_box", s->bad_box },
		{ "replayed", s->replayed },
		{ "bad_msg", s->bad_msg },
		{ "not_member", s->not_member },
		{ "stranger_limited", s->stranger_limited },
		{ "tcp_in", s->tcp_in },
		{ "tcp_out", s->tcp_out },
		{ "tcp_rx_bytes", s->tcp_rx_bytes },
		{ "tcp_tx_bytes", s->tcp_tx_bytes },
		{ "tcp_bad", s->tcp_bad },
		{ "syncs", s->syncs },
		{ "joins_admitted", s->joins_admitted },
		{ "joins_refused", s->joins_refused },
		{ "probes_failed", e->mesh.mb.probes_failed },
		{ "refutes", e->mesh.mb.refutes },
		{ "services_own_port", s->svc_own_port },
		{ "addrs_unproven", e->dp.addrs_unproven },
		{ "addr_challenges", s->addr_challenges },
		{ "addr_challenge_streams", s->addr_challenge_streams },
		{ "lans_unapproved", e->dp.lans_unapproved },
		{ "records_held", e->mesh.store.live },
		{ "tombstones_held", e->mesh.store.tombstones },
		{ "dp_commits", e->dp.commits },
		{ "dp_last_usec", e->dp.last_usec },
		{ "dp_last_changes", e->dp.last_changes },
		{ "dp_repairs", e->dp.kernel.repairs },
		{ "dp_foreign_changes", e->dp.kernel.foreign },
		{ "dp_verified", e->dp.kernel.verified },
		{ "dp_verify_mismatches", e->dp.kernel.mismatches },
	};

	msgpack_pack_map(pk, ACC_NUM + sizeof(c) / sizeof(c[0]));
	for (int i = 0; i < ACC_NUM; i++) {
		char	 k[48];

		snprintf(k, sizeof(k), "records_%s", acc_names[i]);
		pack_counter(pk, k, e->mesh.counters[i]);
	}
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		pack_counter(pk, c[i].name, c[i].v);
}

/*
 * unreached - no member's probe has reached this node for ten probe
 * intervals while another member is alive (each live member is probed
 * about once an interval in all): they may not reach the address it
 * advertises.  A typo in --advertise left a node that listed every member
 * alive while they all held it failed (t-join).  0, or 1 with the note.
 */
static int
unreached(struct engine *e, char *note, size_t len)
{
	uint64_t	 now = engine_now(e), quiet;
	uint64_t	 limit = 10 * (uint64_t)e->cfg.mesh.mb.probe_interval_ms;
	uint32_t	 others;

	if (!e->mesh.joined || e->mesh.left ||
	    (others = mb_count_live(&e->mesh.mb)) < 2 ||
	    (quiet = now - e->reached_ms) < limit || now < e->reached_ms)
		return 0;
	snprintf(note, len, "no member has probed this node for %llu s, "
	    "while %u other%s alive: they may not reach the address it "
	    "advertises (a typo in --advertise, a firewall, a NAT without "
	    "a port forward)", (unsigned long long)(quiet / 1000), others - 1,
	    others == 2 ? " is" : "s are");
	return 1;
}

/* This node's uplinks and LANs as the parent found them (docs/json.md). */
static void
pack_host(msgpack_packer *pk, struct engine *e)
{
	const struct netview	*v = &e->view;
	char			 a[ADDRSTRLEN], note[240];
	struct wire_addr	 w;
	int			 quiet;

	mp_pack_str(pk, "uplinks");
	msgpack_pack_array(pk, v->nups);
	for (uint32_t i = 0; i < v->nups; i++) {
		const struct nv_uplink	*u = &v->ups[i];

		msgpack_pack_map(pk, 7);
		mp_pack_str(pk, "iface");
		mp_pack_str(pk, u->name);
		mp_pack_str(pk, "state");
		mp_pack_str(pk, u->ifindex == 0 ? "missing" : u->up ? "up" :
		    "down");
		memset(&w, 0, sizeof(w));
		w.family = 4;
		memcpy(w.ip, &u->addr, 4);
		mp_pack_str(pk, "address");
		if (u->addr != 0) {
			fmt_addr(a, sizeof(a), &w, 0);
			mp_pack_str(pk, a);
		} else
			msgpack_pack_nil(pk);
		mp_pack_str(pk, "gateway");
		memcpy(w.ip, &u->gw, 4);
		if (u->has_gw) {
			fmt_addr(a, sizeof(a), &w, 0);
			mp_pack_str(pk, a);
		} else
			msgpack_pack_nil(pk);
		mp_pack_str(pk, "table");
		msgpack_pack_uint32(pk, 100 + u->slot);
		mp_pack_str(pk, "metric");
		if (u->metric != UINT32_MAX)
			msgpack_pack_uint32(pk, u->metric);
		else
			msgpack_pack_nil(pk);
		mp_pack_str(pk, "source");
		mp_pack_str(pk, u->source == NV_CONFIG ? "config" : "auto");
	}
	mp_pack_str(pk, "lans");
	msgpack_pack_array(pk, v->nlans);
	for (uint32_t i = 0; i < v->nlans; i++) {
		msgpack_pack_map(pk, 2);
		mp_pack_str(pk, "iface");
		mp_pack_str(pk, v->lans[i].name);
		mp_pack_str(pk, "source");
		mp_pack_str(pk, v->lans[i].source == NV_CONFIG ? "config" :
		    "auto");
	}
	mp_pack_str(pk, "lan_prefixes");
	msgpack_pack_array(pk, e->mesh.nlans);
	for (uint32_t i = 0; i < e->mesh.nlans; i++) {
		fmt_prefix(a, sizeof(a), &e->mesh.lans[i]);
		mp_pack_str(pk, a);
	}
	mp_pack_str(pk, "notes");
	quiet = unreached(e, note, sizeof(note));
	msgpack_pack_array(pk, v->nnotes + (uint32_t)quiet);
	for (uint32_t i = 0; i < v->nnotes; i++)
		mp_pack_str(pk, v->notes[i]);
	if (quiet)
		mp_pack_str(pk, note);
}

/* What the parent says of the kernel's table (docs/json.md). */
static void
pack_kernel(msgpack_packer *pk, struct engine *e)
{
	const struct dp_state	*k = &e->dp.kernel;
	static const char *const names[] = { "ok", "repairing", "failing",
	    "off" };
	char			 a[32];

	mp_pack_str(pk, "kernel");
	msgpack_pack_map(pk, 5);
	mp_pack_str(pk, "state");
	mp_pack_str(pk, k->state <= DP_KS_OFF ? names[k->state] : "?");
	mp_pack_str(pk, "since");
	if (k->since != 0)
		msgpack_pack_uint64(pk, k->since);
	else
		msgpack_pack_nil(pk);
	mp_pack_str(pk, "problem");
	if (k->why[0])
		mp_pack_str(pk, k->why);
	else
		msgpack_pack_nil(pk);
	mp_pack_str(pk, "error");
	if (k->err != 0)
		mp_pack_str(pk, strerror(k->err));
	else
		msgpack_pack_nil(pk);
	mp_pack_str(pk, "held");
	msgpack_pack_array(pk, k->nfailed);
	for (uint32_t i = 0; i < k->nfailed; i++) {
		uint32_t	 g = k->failed[i];

		if (g == DP_GROUP_MEMBERS)
			snprintf(a, sizeof(a), "members");
		else if (g == DP_GROUP_LANS)
			snprintf(a, sizeof(a), "lans");
		else
			snprintf(a, sizeof(a), "%s/%u", (g >> 16) == 17 ? "udp" :
			    "tcp", g & 0xffff);
		mp_pack_str(pk, a);
	}
}

/* The console's listeners (docs/json.md, docs/http.md). */
static void
pack_http(msgpack_packer *pk, struct engine *e)
{
	struct http_view	 v;
	char			 a[ADDRSTRLEN];

	http_view(e, &v);
	mp_pack_str(pk, "http");
	msgpack_pack_map(pk, 4);
	mp_pack_str(pk, "listen");
	if (v.listen.family) {
		fmt_addr(a, sizeof(a), &v.listen, 1);
		mp_pack_str(pk, a);
	} else
		msgpack_pack_nil(pk);
	mp_pack_str(pk, "https_listen");
	if (v.https_listen.family) {
		fmt_addr(a, sizeof(a), &v.https_listen, 1);
		mp_pack_str(pk, a);
	} else
		msgpack_pack_nil(pk);
	mp_pack_str(pk, "https_fingerprint");
	if (v.fingerprint[0])
		mp_pack_str(pk, v.fingerprint);
	else
		msgpack_pack_nil(pk);
	mp_pack_str(pk, "problem");
	if (v.problem[0])
		mp_pack_str(pk, v.problem);
	else
		msgpack_pack_nil(pk);
}

static const char *
self_state(struct engine *e)
{
	if (!e->mesh.joined)
		return "none";
	if (e->mesh.left)
		return "left";
	if (policy_revoked(&e->mesh.pol, e->mesh.id) != NULL)
		return "revoked";
	return "alive";
}

static uint32_t
revoked_gone(const struct mesh *m)
{
	uint32_t	 n = 0;

	for (uint32_t i = 0; i < m->pol.nrevs; i++)
		n += mb_get(&m->mb, m->pol.revs[i].node) == NULL;
	return n;
}

/* rpnctl status: this node, the members, the host, the kernel, the services, the counters. */
void
ctlview_status(struct buf *b, struct engine *e)
{
	struct mesh	*m = &e->mesh;
	msgpack_packer	 pk;
	uint64_t	 now = engine_now(e);

	ctlview_head(&pk, b, 13);
	mp_pack_str(&pk, "node");
	msgpack_pack_map(&pk, 7);
	mp_pack_str(&pk, "name");
	mp_pack_str(&pk, m->name);
	mp_pack_str(&pk, "id");
	pack_hex(&pk, m->id, WIRE_KEY);
	mp_pack_str(&pk, "mesh");
	if (m->joined)
		pack_hex(&pk, m->mesh_id, WIRE_MESH_ID);
	else
		msgpack_pack_nil(&pk);
	mp_pack_str(&pk, "state");
	mp_pack_str(&pk, self_state(e));
	mp_pack_str(&pk, "incarnation");
	msgpack_pack_uint64(&pk, m->mb.self->inc);
	mp_pack_str(&pk, "health");
	msgpack_pack_uint32(&pk, m->mb.awareness);
	mp_pack_str(&pk, "founder");
	if (e->has_root)
		msgpack_pack_true(&pk);
	else
		msgpack_pack_false(&pk);

	mp_pack_str(&pk, "members");
	msgpack_pack_array(&pk, m->joined ? m->mb.n + revoked_gone(m) : 0);
	for (uint32_t i = 0; m->joined && i < m->mb.n; i++) {
		const struct member	*mm = m->mb.m[i];

		msgpack_pack_map(&pk, 7);
		mp_pack_str(&pk, "name");
		mp_pack_str(&pk, mm->name);
		mp_pack_str(&pk, "id");
		pack_hex(&pk, mm->id, WIRE_KEY);
		mp_pack_str(&pk, "state");
		mp_pack_str(&pk, mm->self ? self_state(e) :
		    mm->revoked ? "revoked" : mstate_name(mm->state));
		mp_pack_str(&pk, "addrs");
		pack_addrs(&pk, e, mm);
		mp_pack_str(&pk, "last_ack_ms");
		if (mm->self || mm->last_ack == 0)
			msgpack_pack_nil(&pk);
		else
			msgpack_pack_uint64(&pk, now - mm->last_ack);
		mp_pack_str(&pk, "incarnation");
		msgpack_pack_uint64(&pk, mm->inc);
		mp_pack_str(&pk, "self");
		if (mm->self)
			msgpack_pack_true(&pk);
		else
			msgpack_pack_false(&pk);
	}
	/* Revoked nodes this node has forgotten (reaped) are listed still. */
	for (uint32_t i = 0; m->joined && i < m->pol.nrevs; i++) {
		const struct revocation	*rv = &m->pol.revs[i];

		if (mb_get(&m->mb, rv->node) != NULL)
			continue;
		msgpack_pack_map(&pk, 7);
		mp_pack_str(&pk, "name");
		mp_pack_str(&pk, rv->name);
		mp_pack_str(&pk, "id");
		pack_hex(&pk, rv->node, WIRE_KEY);
		mp_pack_str(&pk, "state");
		mp_pack_str(&pk, "revoked");
		mp_pack_str(&pk, "addrs");
		msgpack_pack_array(&pk, 0);
		mp_pack_str(&pk, "last_ack_ms");
		msgpack_pack_nil(&pk);
		mp_pack_str(&pk, "incarnation");
		msgpack_pack_uint64(&pk, 0);
		mp_pack_str(&pk, "self");
		msgpack_pack_false(&pk);
	}
	pack_host(&pk, e);
	pack_kernel(&pk, e);
	pack_http(&pk, e);
	mp_pack_str(&pk, "services");
	pack_services(&pk, e);
	mp_pack_str(&pk, "counters");
	pack_counters(&pk, e);
	mp_pack_str(&pk, "governed");
	if (policy_governed(&m->pol))
		msgpack_pack_true(&pk);
	else
		msgpack_pack_false(&pk);
	mp_pack_str(&pk, "operators");
	msgpack_pack_uint32(&pk, m->pol.nactive);
	/* rpnctl asks whether an add would be taken before it signs for it. */
	mp_pack_str(&pk, "service_check");
	msgpack_pack_true(&pk);
}

/* rpnctl service show: -1, with b untouched, when no service is shown by that name. */
int
ctlview_service(struct buf *b, struct engine *e, const char *name)
{
	const struct svc	*s = svc_table_get(&e->dp.svcs, name);
	struct dpreport_peers	 peers;
	msgpack_packer		 pk;

	if (s == NULL || owners_shown(&e->dp.svcs, &e->mesh.mb, s) == 0)
		return -1;
	/* Out of memory: counted as nobody's, rather than no reply. */
	if (dpreport_peers(e, &peers) == -1)
		memset(&peers, 0, sizeof(peers));
	ctlview_head(&pk, b, 1);
	mp_pack_str(&pk, "service");
	pack_service(&pk, e, s, &peers);
	dpreport_peers_release(&peers);
	return 0;
}

static int
grant_name_cmp(const void *a, const void *b)
{
	const struct oprec *const	*x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/*
 * "grants": the grants in force of names no backend serves (a service
 * list does not show them otherwise), sorted by name, each as a service
 * object has it: name, granted and grant.  An add under such a name gets
 * the grant's access, and grant and revoke-grant manage it.
 */
static void
pack_unserved_grants(msgpack_packer *pk, struct engine *e)
{
	const struct policy	*p = &e->mesh.pol;
	const struct oprec	**v;
	uint32_t		 n = 0;

	if ((v = calloc(p->ngrants + 1, sizeof(*v))) == NULL) {
		msgpack_pack_array(pk, 0);
		return;
	}
	for (uint32_t i = 0; i < p->ngrants; i++) {
		const struct oprec	*g = &p->grants[i];
		const struct svc	*s = svc_table_get(&e->dp.svcs, g->name);

		if (!g->withdrawn && (s == NULL ||
		    owners_shown(&e->dp.svcs, &e->mesh.mb, s) == 0))
			v[n++] = g;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), grant_name_cmp);
	msgpack_pack_array(pk, n);
	for (uint32_t i = 0; i < n; i++) {
		msgpack_pack_map(pk, 3);
		mp_pack_str(pk, "name");
		mp_pack_str(pk, v[i]->name);
		pack_granted(pk, e, v[i]->name);
	}
	free(v);
}

/* rpnctl service list */
void
ctlview_services(struct buf *b, struct engine *e)
{
	msgpack_packer	 pk;

	ctlview_head(&pk, b, 2);
	mp_pack_str(&pk, "services");
	pack_services(&pk, e);
	mp_pack_str(&pk, "grants");
	pack_unserved_grants(&pk, e);
}

/* ctlsock.c: the control socket (root only): requests from rpn and rpnctl, one per connection. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <sodium.h>

#include "node/engine/ctlsock.h"
#include "node/engine/chan.h"
#include "node/engine/conn.h"
#include "node/engine/engine.h"
#include "node/engine/health.h"
#include "node/engine/join.h"
#include "node/engine/svcctl.h"
#include "node/core/keys.h"
#include "node/core/log.h"
#include "node/core/privsep.h"
#include "proto/compat.h"
#include "proto/ctl.h"
#include "proto/envelope.h"
#include "proto/mp.h"
#include "proto/parse.h"
#include "proto/token.h"

#define DEFAULT_INVITE_TTL_MS	(3600 * 1000)
#define LEAVE_LINGER_MS		1500

struct ctl_client {
	uv_pipe_t	 pipe;
	struct engine	*e;
	struct ctl_client *next;
	struct buf	 in;
	int		 closing;
	int		 busy;		/* a reply is owed */
};

struct ctl_wreq {
	uv_write_t		 req;
	uint8_t			*data;
	struct ctl_client	*cl;
};

static void
client_closed(uv_handle_t *h)
{
	struct ctl_client	*cl = h->data, **pp;

	for (pp = &cl->e->clients; *pp != NULL; pp = &(*pp)->next)
		if (*pp == cl) {
			*pp = cl->next;
			break;
		}
	if (cl->e->leave_waiter == cl)
		cl->e->leave_waiter = NULL;
	buf_release(&cl->in);
	free(cl);
}

static void
client_close(struct ctl_client *cl)
{
	if (cl->closing)
		return;
	cl->closing = 1;
	uv_close((uv_handle_t *)&cl->pipe, client_closed);
}

static void
reply_written(uv_write_t *req, int status)
{
	struct ctl_wreq	*w = (struct ctl_wreq *)req;

	(void)status;
	free(w->data);
	client_close(w->cl);
	free(w);
}

/* Send one framed reply and close the connection once it is written. */
static void
reply(struct ctl_client *cl, struct buf *payload)
{
	struct buf	 f;
	struct ctl_wreq	*w;
	uv_buf_t	 ub;

	cl->busy = 0;
	if (cl->closing) {
		buf_release(payload);
		return;
	}
	buf_init(&f, CTL_MAX_FRAME + 4);
	if (payload->err || ctl_frame(&f, payload) == -1 ||
	    (w = calloc(1, sizeof(*w))) == NULL) {
		buf_release(&f);
		buf_release(payload);
		client_close(cl);
		return;
	}
	buf_release(payload);
	w->data = f.p;
	w->cl = cl;
	ub = uv_buf_init((char *)f.p, (unsigned)f.len);
	if (uv_write(&w->req, (uv_stream_t *)&cl->pipe, &ub, 1,
	    reply_written) < 0) {
		free(w->data);
		free(w);
		client_close(cl);
	}
}

void
ctlsock_reply_error(struct ctl_client *cl, const char *fmt, ...)
{
	struct buf	 b;
	msgpack_packer	 pk;
	char		 msg[512];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	buf_init(&b, CTL_MAX_FRAME);
	mp_packer_init(&pk, &b);
	msgpack_pack_map(&pk, 2);
	mp_pack_str(&pk, "ok");
	msgpack_pack_false(&pk);
	mp_pack_str(&pk, "error");
	mp_pack_str(&pk, msg);
	reply(cl, &b);
}

static void
ok_head(msgpack_packer *pk, struct buf *b, size_t nfields)
{
	buf_init(b, CTL_MAX_FRAME);
	mp_packer_init(pk, b);
	msgpack_pack_map(pk, nfields + 1);
	mp_pack_str(pk, "ok");
	msgpack_pack_true(pk);
}

void
ctlsock_reply_ok(struct ctl_client *cl)
{
	struct buf	 b;
	msgpack_packer	 pk;

	ok_head(&pk, &b, 0);
	reply(cl, &b);
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

void
ctlsock_reply_join(struct ctl_client *cl, struct engine *e)
{
	struct buf	 b;
	msgpack_packer	 pk;

	ok_head(&pk, &b, 2);
	mp_pack_str(&pk, "node");
	pack_mesh_summary(&pk, e);
	mp_pack_str(&pk, "members");
	msgpack_pack_uint32(&pk, e->mesh.mb.n);
	reply(cl, &b);
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
owner_shown(const struct membership *mb, const struct svc_owner *o)
{
	const struct member	*m = mb_get(mb, o->id);

	return m == NULL || m->state != M_LEFT;
}

static uint32_t
owners_shown(const struct membership *mb, const struct svc *s)
{
	uint32_t	 n = 0;

	for (uint32_t i = 0; i < s->nowners; i++)
		n += owner_shown(mb, &s->owners[i]);
	return n;
}

/* One service as status, service list and service show give it (docs/json.md). */
static void
pack_service(msgpack_packer *pk, struct engine *e, const struct svc *s)
{
	struct svc_table	*t = &e->dp.svcs;
	const struct membership	*mb = &e->mesh.mb;
	const struct svc_owner	*def = svc_def(s, mb);
	const struct svc	*holder = NULL;
	struct svc_plan		 plan;
	uint32_t		 key = 0;
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
				    "tried again", strerror(-e->dp.kernel.err));
			else if (plan.panic && plan.nbackends > 0)
				snprintf(problem, sizeof(problem), "no backend "
				    "passes its health check: all of them get "
				    "connections");
		}
	} else
		snprintf(problem, sizeof(problem), "no usable backend");
	msgpack_pack_map(pk, 10);
	mp_pack_str(pk, "name");
	mp_pack_str(pk, s->name);
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
	msgpack_pack_array(pk, owners_shown(mb, s));
	for (uint32_t j = 0; j < s->nowners; j++) {
		const struct svc_owner	*o = &s->owners[j];
		const struct member	*m = mb_get(mb, o->id);
		int			 agree = def && o->proto ==
		    def->proto && o->port == def->port;

		if (!owner_shown(mb, o))
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
	if (key != 0 && holder == s && !plan.conflict &&
	    dpsync_programmed(e, key))
		msgpack_pack_true(pk);
	else
		msgpack_pack_false(pk);
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
	uint32_t		 n = 0;

	if ((v = calloc(t->n + 1, sizeof(*v))) == NULL) {
		msgpack_pack_array(pk, 0);
		return;
	}
	for (uint32_t i = 0; i < t->n; i++)
		if (owners_shown(&e->mesh.mb, t->v[i]) > 0)
			v[n++] = t->v[i];
	if (n > 1)
		qsort(v, n, sizeof(*v), svc_name_cmp);
	msgpack_pack_array(pk, n);
	for (uint32_t i = 0; i < n; i++)
		pack_service(pk, e, v[i]);
	free(v);
}

/* ---- status ---- */

static void
pack_addrs(msgpack_packer *pk, struct engine *e, const struct member *m)
{
	const struct rec	*r;
	const uint8_t		*author, *body;
	size_t			 bodylen;
	struct rec_head		 h;
	struct rec_node		 nd;
	char			 a[ADDRSTRLEN];

	r = store_get(&e->mesh.store, m->id, REC_NODE, NULL, 0);
	if (r == NULL || env_peek(r->env, r->envlen, &author, &body,
	    &bodylen) == -1 || rec_node_decode(body, bodylen, &h, &nd) == -1) {
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

	msgpack_pack_map(pk, ACC_NUM + 30);
	for (int i = 0; i < ACC_NUM; i++) {
		char	 k[48];

		snprintf(k, sizeof(k), "records_%s", acc_names[i]);
		pack_counter(pk, k, e->mesh.counters[i]);
	}
	pack_counter(pk, "udp_rx", s->udp_rx);
	pack_counter(pk, "udp_rx_bytes", s->udp_rx_bytes);
	pack_counter(pk, "udp_tx", s->udp_tx);
	pack_counter(pk, "udp_tx_bytes", s->udp_tx_bytes);
	pack_counter(pk, "udp_send_fail", s->udp_send_fail);
	pack_counter(pk, "bad_box", s->bad_box);
	pack_counter(pk, "replayed", s->replayed);
	pack_counter(pk, "bad_msg", s->bad_msg);
	pack_counter(pk, "not_member", s->not_member);
	pack_counter(pk, "stranger_limited", s->stranger_limited);
	pack_counter(pk, "tcp_in", s->tcp_in);
	pack_counter(pk, "tcp_out", s->tcp_out);
	pack_counter(pk, "tcp_rx_bytes", s->tcp_rx_bytes);
	pack_counter(pk, "tcp_tx_bytes", s->tcp_tx_bytes);
	pack_counter(pk, "tcp_bad", s->tcp_bad);
	pack_counter(pk, "syncs", s->syncs);
	pack_counter(pk, "joins_admitted", s->joins_admitted);
	pack_counter(pk, "joins_refused", s->joins_refused);
	pack_counter(pk, "probes_failed", e->mesh.mb.probes_failed);
	pack_counter(pk, "refutes", e->mesh.mb.refutes);
	pack_counter(pk, "services_own_port", s->svc_own_port);
	pack_counter(pk, "records_held", e->mesh.store.live);
	pack_counter(pk, "tombstones_held", e->mesh.store.tombstones);
	pack_counter(pk, "dp_commits", e->dp.commits);
	pack_counter(pk, "dp_last_usec", e->dp.last_usec);
	pack_counter(pk, "dp_last_changes", e->dp.last_changes);
	pack_counter(pk, "dp_repairs", e->dp.kernel.repairs);
	pack_counter(pk, "dp_foreign_changes", e->dp.kernel.foreign);
	pack_counter(pk, "dp_verified", e->dp.kernel.verified);
	pack_counter(pk, "dp_verify_mismatches", e->dp.kernel.mismatches);
}

/* This node's uplinks and LANs as the parent found them (docs/json.md). */
static void
pack_host(msgpack_packer *pk, struct engine *e)
{
	const struct netview	*v = &e->view;
	char			 a[ADDRSTRLEN];
	struct wire_addr	 w;

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
	msgpack_pack_array(pk, v->nnotes);
	for (uint32_t i = 0; i < v->nnotes; i++)
		mp_pack_str(pk, v->notes[i]);
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
		mp_pack_str(pk, strerror(-k->err));
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

static const char *
self_state(struct engine *e)
{
	if (!e->mesh.joined)
		return "none";
	if (e->mesh.left)
		return "left";
	return "alive";
}

static void
reply_status(struct ctl_client *cl)
{
	struct engine	*e = cl->e;
	struct mesh	*m = &e->mesh;
	struct buf	 b;
	msgpack_packer	 pk;
	uint64_t	 now = engine_now(e);

	ok_head(&pk, &b, 9);
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
	msgpack_pack_array(&pk, m->joined ? m->mb.n : 0);
	for (uint32_t i = 0; m->joined && i < m->mb.n; i++) {
		const struct member	*mm = m->mb.m[i];

		msgpack_pack_map(&pk, 7);
		mp_pack_str(&pk, "name");
		mp_pack_str(&pk, mm->name);
		mp_pack_str(&pk, "id");
		pack_hex(&pk, mm->id, WIRE_KEY);
		mp_pack_str(&pk, "state");
		mp_pack_str(&pk, mm->self ? self_state(e) : mstate_name(mm->state));
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
	pack_host(&pk, e);
	pack_kernel(&pk, e);
	mp_pack_str(&pk, "services");
	pack_services(&pk, e);
	mp_pack_str(&pk, "counters");
	pack_counters(&pk, e);
	reply(cl, &b);
}

/* ---- commands ---- */

static void
do_invite(struct ctl_client *cl, const struct ctl_req *r)
{
	struct engine	*e = cl->e;
	struct token	 t;
	char		 s[TOKEN_STRLEN + 1];
	uint64_t	 ttl = r->ttl_ms ? r->ttl_ms : DEFAULT_INVITE_TTL_MS;
	uint64_t	 unix_ms = engine_unix_ms();
	struct buf	 b;
	msgpack_packer	 pk;

	if (!e->mesh.joined || e->mesh.left) {
		ctlsock_reply_error(cl, "this node is not in a mesh: run "
		    "\"rpn init\" or \"rpn join\" first");
		return;
	}
	if (mesh_invite(&e->mesh, ttl, engine_now(e), unix_ms, &t) == -1 ||
	    token_encode(&t, s, sizeof(s)) == -1) {
		ctlsock_reply_error(cl, "cannot create an invitation");
		return;
	}
	sodium_memzero(&t, sizeof(t));
	ok_head(&pk, &b, 2);
	mp_pack_str(&pk, "token");
	mp_pack_str(&pk, s);
	mp_pack_str(&pk, "expires");
	msgpack_pack_uint64(&pk, (unix_ms + ttl) / 1000);
	sodium_memzero(s, sizeof(s));
	reply(cl, &b);
	engine_save_now(e);
	engine_kick(e);
}

static void
do_init(struct ctl_client *cl, const struct ctl_req *r)
{
	struct engine		*e = cl->e;
	char			 name[WIRE_NAME_MAX + 1], err[256];
	struct wire_addr	 addrs[WIRE_MAX_ADDRS];
	uint8_t			 naddrs;
	struct buf		 b;
	msgpack_packer		 pk;

	if (e->mesh.joined) {
		ctlsock_reply_error(cl, "this node is already in a mesh; run "
		    "\"rpn leave\" first");
		return;
	}
	if (r->name[0])
		strlcpy(name, r->name, sizeof(name));
	else if (e->cfg.name[0])
		strlcpy(name, e->cfg.name, sizeof(name));
	else
		engine_default_name(name, sizeof(name));
	if (r->nadvertise)
		engine_set_advertise(e, r->advertise, r->nadvertise);
	naddrs = engine_self_addrs(e, addrs);
	unlinkat(e->statefd, ROOT_KEY_FILE, 0);
	if (keys_create(e->statefd, ROOT_KEY_FILE, e->root_sk, err,
	    sizeof(err)) == -1) {
		ctlsock_reply_error(cl, "cannot create the mesh root key: %s",
		    err);
		return;
	}
	e->has_root = 1;
	if (mesh_set_identity(&e->mesh, name, addrs, naddrs) == -1 ||
	    mesh_found(&e->mesh, e->root_sk, engine_now(e),
	    engine_unix_ms()) == -1) {
		ctlsock_reply_error(cl, "cannot found the mesh");
		return;
	}
	log_info("founded mesh %02x%02x%02x%02x… as \"%s\"", e->mesh.mesh_id[0],
	    e->mesh.mesh_id[1], e->mesh.mesh_id[2], e->mesh.mesh_id[3], name);
	engine_save_now(e);
	ok_head(&pk, &b, 1);
	mp_pack_str(&pk, "node");
	pack_mesh_summary(&pk, e);
	reply(cl, &b);
	engine_kick(e);
}

static void
leave_done(uv_timer_t *t)
{
	struct engine	*e = t->data;

	log_info("left the mesh");
	mesh_forget(&e->mesh, engine_now(e));
	dpsync_reset(e);
	/* Leaving is final: rpn's table, rules, routes and sysctls go too. */
	if (chan_send(e, PRIV_TEARDOWN, NULL, 0) == -1)
		log_warnx("cannot ask the parent to remove rpn's kernel state");
	if (e->has_root) {
		unlinkat(e->statefd, ROOT_KEY_FILE, 0);
		sodium_memzero(e->root_sk, sizeof(e->root_sk));
		e->has_root = 0;
	}
	e->nadv = 0;
	engine_save_now(e);
	if (e->leave_waiter != NULL)
		ctlsock_reply_ok(e->leave_waiter);
	e->leave_waiter = NULL;
}

/*
 * do_leave - sign a "left" record and let gossip carry it for a moment
 * before forgetting the mesh, so the others see a leave, not a failure.
 */
static void
do_leave(struct ctl_client *cl)
{
	struct engine	*e = cl->e;

	if (!e->mesh.joined || e->mesh.left) {
		ctlsock_reply_error(cl, "this node is not in a mesh");
		return;
	}
	/* Its backends go first, so no member lists them once it is gone. */
	svcctl_withdraw_all(e);
	if (mesh_leave(&e->mesh, engine_now(e), engine_unix_ms()) == -1) {
		ctlsock_reply_error(cl, "cannot sign the leave record");
		return;
	}
	e->leave_waiter = cl;
	cl->busy = 1;
	uv_timer_start(&e->leave_timer, leave_done, LEAVE_LINGER_MS, 0);
	engine_kick(e);
}

static void
reply_service(struct ctl_client *cl, const char *name)
{
	struct engine		*e = cl->e;
	const struct svc	*s = svc_table_get(&e->dp.svcs, name);
	struct buf		 b;
	msgpack_packer		 pk;

	if (s == NULL || owners_shown(&e->mesh.mb, s) == 0) {
		ctlsock_reply_error(cl, "no service is named \"%s\"", name);
		return;
	}
	ok_head(&pk, &b, 1);
	mp_pack_str(&pk, "service");
	pack_service(&pk, e, s);
	reply(cl, &b);
}

static void
reply_services(struct ctl_client *cl)
{
	struct buf	 b;
	msgpack_packer	 pk;

	ok_head(&pk, &b, 1);
	mp_pack_str(&pk, "services");
	pack_services(&pk, cl->e);
	reply(cl, &b);
}

/* The member named name, or NULL; self counts. */
static const struct member *
member_by_name(struct engine *e, const char *name)
{
	for (uint32_t i = 0; i < e->mesh.mb.n; i++) {
		const struct member	*m = e->mesh.mb.m[i];

		if (m->state != M_LEFT && strcmp(m->name, name) == 0)
			return m;
	}
	return NULL;
}

static void
do_service(struct ctl_client *cl, const struct ctl_req *r)
{
	struct engine		*e = cl->e;
	const struct member	*owner = NULL;
	struct rec_service	 s;
	char			 err[256];
	uint8_t			 op = r->cmd == CTL_SERVICE_ADD ? 1 : 2;

	if (!e->mesh.joined || e->mesh.left) {
		ctlsock_reply_error(cl, "this node is not in a mesh");
		return;
	}
	if (r->name[0] == '\0') {
		ctlsock_reply_error(cl, "a service needs a name");
		return;
	}
	memset(&s, 0, sizeof(s));
	strlcpy(s.name, r->name, sizeof(s.name));
	if (op == 1) {
		s.proto = r->proto;
		s.port = r->port;
		s.target = r->target;
		s.nallow = r->nallow;
		memcpy(s.allow, r->allow, sizeof(s.allow));
		s.public = r->public;
	}
	if (r->node[0] != '\0' && strcmp(r->node, e->mesh.name) != 0) {
		if ((owner = member_by_name(e, r->node)) == NULL) {
			ctlsock_reply_error(cl, "no member is named \"%s\"",
			    r->node);
			return;
		}
		if (op == 1 && svc_check_add(&e->dp.svcs, &e->mesh.mb, owner->id,
		    &s, e->cfg.listen.port, err, sizeof(err)) == -1) {
			ctlsock_reply_error(cl, "%s", err);
			return;
		}
		/* The owner signs its own records: ask it over the mesh. */
		if (conn_start_svcreq(e, owner, op, &s, r->force, cl, err,
		    sizeof(err)) == -1)
			ctlsock_reply_error(cl, "%s", err);
		return;
	}
	if (op == 2) {
		const struct svc	*sv = svc_table_get(&e->dp.svcs, s.name);
		const struct rec	*mine = store_get(&e->mesh.store, e->mesh.id,
		    REC_SERVICE, (const uint8_t *)s.name, strlen(s.name));

		if (sv == NULL) {
			ctlsock_reply_error(cl, "no service is named \"%s\"",
			    s.name);
			return;
		}
		if ((mine == NULL || (mine->flags & REC_F_DELETED)) &&
		    sv->nowners > 0) {
			const struct member	*o = mb_get(&e->mesh.mb,
			    sv->owners[0].id);

			ctlsock_reply_error(cl, "service %s has no backend on "
			    "this node; name its node with --node (for example "
			    "%s)",
			    s.name, o && o->name[0] ? o->name : "?");
			return;
		}
	}
	if (svcctl_apply(e, op, &s, r->force, err, sizeof(err)) == -1)
		ctlsock_reply_error(cl, "%s", err);
	else
		ctlsock_reply_ok(cl);
}

static void
handle(struct ctl_client *cl, const uint8_t *p, size_t len)
{
	struct ctl_req	 r;
	const char	*why;
	char		 err[256];

	if (ctl_req_decode(p, len, &r, &why) == -1) {
		cl->e->st.ctl_bad++;
		ctlsock_reply_error(cl, "bad request: %s", why);
		return;
	}
	cl->busy = 1;
	switch (r.cmd) {
	case CTL_STATUS:
		reply_status(cl);
		break;
	case CTL_INVITE:
		do_invite(cl, &r);
		break;
	case CTL_INIT:
		do_init(cl, &r);
		break;
	case CTL_JOIN:
		if (!r.has_peer || r.token[0] == '\0') {
			ctlsock_reply_error(cl,
			    "join needs a peer and a token");
			break;
		}
		if (join_start(cl->e, &r, cl, err, sizeof(err)) == -1)
			ctlsock_reply_error(cl, "%s", err);
		break;
	case CTL_LEAVE:
		do_leave(cl);
		break;
	case CTL_SERVICE_ADD:
	case CTL_SERVICE_DEL:
		do_service(cl, &r);
		break;
	case CTL_SERVICE_LIST:
		reply_services(cl);
		break;
	case CTL_SERVICE_SHOW:
		if (r.name[0] == '\0')
			ctlsock_reply_error(cl, "service show needs a name");
		else
			reply_service(cl, r.name);
		break;
	default:
		ctlsock_reply_error(cl, "\"%s\" is not supported by this rpnd",
		    ctl_cmd_name(r.cmd));
		break;
	}
	sodium_memzero(&r, sizeof(r));
}

static void
client_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	(void)h;
	(void)suggested;
	b->base = malloc(16384);
	b->len = b->base ? 16384 : 0;
}

static void
client_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct ctl_client	*cl = s->data;
	uint32_t		 len;
	int			 r;

	if (nread < 0) {
		free(b->base);
		/* A client that hangs up while owed a reply gets it dropped later. */
		uv_read_stop(s);
		if (!cl->busy)
			client_close(cl);
		return;
	}
	if (cl->busy) {		/* one request per connection */
		free(b->base);
		return;
	}
	buf_put(&cl->in, b->base, (size_t)nread);
	free(b->base);
	if (cl->in.err) {
		cl->e->st.ctl_bad++;
		ctlsock_reply_error(cl, "request too large");
		return;
	}
	r = ctl_frame_len(cl->in.p, cl->in.len, CTL_MAX_REQ, &len);
	if (r == -1) {
		cl->e->st.ctl_bad++;
		ctlsock_reply_error(cl, "request too large");
	} else if (r == 1)
		handle(cl, cl->in.p + 4, len);
}

/* One accepted connection: root's requests are read, anyone else is told no. */
static void
ctl_client_new(struct engine *e, int fd)
{
	struct ctl_client	*cl;
	struct ucred		 cred;
	socklen_t		 credlen = sizeof(cred);

	if ((cl = calloc(1, sizeof(*cl))) == NULL) {
		close(fd);
		return;
	}
	cl->e = e;
	buf_init(&cl->in, CTL_MAX_REQ + 4);
	uv_pipe_init(&e->loop, &cl->pipe, 0);
	cl->pipe.data = cl;
	cl->next = e->clients;
	e->clients = cl;
	if (uv_pipe_open(&cl->pipe, fd) < 0) {
		close(fd);
		client_close(cl);
		return;
	}
	/*
	 * The socket file is root's and 0600; the peer's credentials say so
	 * too.  One that got in anyway (the file's mode was changed) is told
	 * why, through the usual reply, which closes the connection once sent;
	 * its request is never read.
	 */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &credlen) == -1 ||
	    cred.uid != 0) {
		e->st.ctl_bad++;
		log_warnx("control socket: refused a client that is not root");
		ctlsock_reply_error(cl, "permission denied: the control socket "
		    "is for root");
		return;
	}
	uv_read_start((uv_stream_t *)&cl->pipe, client_alloc, client_read);
}

/*
 * The listening socket is polled and accepted by hand, not uv_listen()ed:
 * listen(2) here would replace the credentials connecting clients see
 * (SO_PEERCRED) with the engine's uid, and clients trust only root's, which
 * the parent's listen() put there.
 */
static void
ctl_accept(uv_poll_t *h, int status, int events)
{
	struct engine	*e = h->data;
	uv_os_fd_t	 lfd;
	int		 fd;

	(void)events;
	if (status < 0 || uv_fileno((uv_handle_t *)h, &lfd) < 0)
		return;
	/* A few at a time, so a flood of clients cannot starve gossip. */
	for (int i = 0; i < 16; i++) {
		if ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK |
		    SOCK_CLOEXEC)) == -1) {
			if (errno == EINTR)
				continue;
			return;
		}
		ctl_client_new(e, fd);
	}
}

int
ctlsock_open(struct engine *e, int fd, char *err, size_t errlen)
{
	int	 r;

	uv_timer_init(&e->loop, &e->leave_timer);
	e->leave_timer.data = e;
	if ((r = uv_poll_init(&e->loop, &e->ctl, fd)) < 0) {
		snprintf(err, errlen, "control socket: %s", uv_strerror(r));
		return -1;
	}
	e->ctl.data = e;
	if ((r = uv_poll_start(&e->ctl, UV_READABLE, ctl_accept)) < 0) {
		snprintf(err, errlen, "control socket: %s", uv_strerror(r));
		return -1;
	}
	return 0;
}

void
ctlsock_close_all(struct engine *e)
{
	for (struct ctl_client *cl = e->clients; cl != NULL; cl = cl->next)
		client_close(cl);
	if (!uv_is_closing((uv_handle_t *)&e->ctl)) {
		uv_os_fd_t	 fd;

		/* Stop polling, then close: new clients are refused at once. */
		if (uv_fileno((uv_handle_t *)&e->ctl, &fd) < 0)
			fd = -1;
		uv_close((uv_handle_t *)&e->ctl, NULL);
		if (fd != -1)
			close(fd);
	}
	if (!uv_is_closing((uv_handle_t *)&e->leave_timer))
		uv_close((uv_handle_t *)&e->leave_timer, NULL);
}

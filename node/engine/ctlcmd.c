/* ctlcmd.c: the control commands, one handler each, run for a request the transport (ctlsock.c) has read. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>

#include "node/engine/ctlcmd.h"
#include "node/engine/api.h"
#include "node/engine/chan.h"
#include "node/engine/conn.h"
#include "node/engine/ctlgov.h"
#include "node/engine/ctlreply.h"
#include "node/engine/ctlview.h"
#include "node/engine/engine.h"
#include "node/engine/join.h"
#include "node/engine/svcctl.h"
#include "node/core/keys.h"
#include "node/core/log.h"
#include "node/core/privsep.h"
#include "proto/compat.h"
#include "proto/ctl.h"
#include "proto/envelope.h"
#include "proto/oprec.h"
#include "proto/token.h"

#define DEFAULT_INVITE_TTL_MS	(3600 * 1000)
#define LEAVE_LINGER_MS		1500

static void
do_invite(struct engine *e, struct ctl_reply *cl, const struct ctl_req *r)
{
	struct token	 t;
	char		 s[TOKEN_STRLEN + 1];
	uint64_t	 ttl = r->ttl_ms ? r->ttl_ms : DEFAULT_INVITE_TTL_MS;
	uint64_t	 unix_ms = engine_unix_ms();
	struct buf	 b;

	if (!e->mesh.joined || e->mesh.left) {
		ctl_reply_error(cl, CTLF_NOMESH,
		    "this node is not in a mesh: run "
		    "\"rpn init\" or \"rpn join\" first");
		return;
	}
	if (mesh_invite(&e->mesh, ttl, engine_now(e), unix_ms, &t) == -1 ||
	    token_encode(&t, s, sizeof(s)) == -1) {
		ctl_reply_error(cl, CTLF_INTERNAL,
		    "cannot create an invitation");
		return;
	}
	sodium_memzero(&t, sizeof(t));
	ctlview_invite(&b, s, (unix_ms + ttl) / 1000);
	sodium_memzero(s, sizeof(s));
	ctl_reply(cl, &b);
	engine_save_now(e);
	engine_kick(e);
}

/*
 * enrol_by_root - the mesh root vouches for an operator (rpn init, rpn
 * operator adopt): a statement like any operator's, signed with the root
 * key, which only the founding node holds.  0, or -1 with err.
 */
static int
enrol_by_root(struct engine *e, const uint8_t key[WIRE_KEY], const char *name,
    char *err, size_t errlen)
{
	struct oprec	*o;
	struct buf	 body, env;
	enum acc	 a = ACC_NOMEM;

	if (!e->has_root) {
		snprintf(err, errlen, "this node does not hold the mesh root key: "
		    "run this on the node that founded the mesh");
		return -1;
	}
	if ((o = calloc(1, sizeof(*o))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	o->kind = REC_OPERATOR;
	o->version = engine_unix_ms();
	o->action = OP_ENROL;
	memcpy(o->subject, key, WIRE_KEY);
	strlcpy(o->name, name, sizeof(o->name));
	buf_init(&body, WIRE_MAX_RECORD);
	buf_init(&env, WIRE_MAX_RECORD);
	if (oprec_encode(&body, o) == 0 && env_seal(&env, e->root_sk,
	    e->mesh.mesh_id, body.p, body.len) == 0)
		a = mesh_accept(&e->mesh, env.p, env.len, engine_now(e),
		    engine_unix_ms(), MESH_RELAY);
	buf_release(&body);
	buf_release(&env);
	free(o);
	if (a != ACC_NEW) {
		snprintf(err, errlen, "the enrolment was refused (%s)%s%s",
		    acc_names[a], e->mesh.why[0] ? ": " : "", e->mesh.why);
		return -1;
	}
	log_info("operator \"%s\" enrolled by the mesh root", name);
	engine_save_now(e);
	engine_kick(e);
	return 0;
}

static void
do_adopt(struct engine *e, struct ctl_reply *cl, const struct ctl_req *r)
{
	char	 err[256];

	if (!e->mesh.joined || e->mesh.left)
		ctl_reply_error(cl, CTLF_NOMESH, "this node is not in a mesh");
	else if (!r->has_operator)
		ctl_reply_error(cl, CTLF_BAD,
		    "adopt needs an operator's public key "
		    "and name");
	else if (enrol_by_root(e, r->operator_key, r->operator_name, err,
	    sizeof(err)) == -1)
		ctl_reply_error(cl, CTLF_BAD, "%s", err);
	else
		ctl_reply_ok(cl);
}

/* rpnctl operator add/remove, revoke, grant, lan approve: a signed statement. */
static void
do_submit(struct engine *e, struct ctl_reply *cl, const struct ctl_req *r)
{
	enum acc	 a;

	if (!e->mesh.joined || e->mesh.left) {
		ctl_reply_error(cl, CTLF_NOMESH, "this node is not in a mesh");
		return;
	}
	if (r->signed_len == 0) {
		ctl_reply_error(cl, CTLF_BAD,
		    "submit needs a signed statement");
		return;
	}
	/* Checked exactly as any node checks it when it arrives. */
	a = mesh_accept(&e->mesh, r->signed_rec, r->signed_len, engine_now(e),
	    engine_unix_ms(), MESH_RELAY);
	if (a == ACC_NEW) {
		engine_save_now(e);
		engine_kick(e);
		ctl_reply_ok(cl);
		return;
	}
	ctl_reply_error(cl, CTLF_CONFLICT, "the statement was refused (%s)%s%s",
	    acc_names[a], e->mesh.why[0] ? ": " : "", e->mesh.why);
}

static void
do_operators(struct engine *e, struct ctl_reply *cl, const struct ctl_req *r)
{
	struct buf	 b;

	(void)r;
	ctlview_operators(&b, e);
	ctl_reply(cl, &b);
}

static void
do_audit(struct engine *e, struct ctl_reply *cl, const struct ctl_req *r)
{
	struct buf	 b;

	(void)r;
	ctlview_audit(&b, e);
	ctl_reply(cl, &b);
}

static void
do_init(struct engine *e, struct ctl_reply *cl, const struct ctl_req *r)
{
	char			 name[WIRE_NAME_MAX + 1], err[256];
	struct wire_addr	 addrs[WIRE_MAX_ADDRS];
	uint8_t			 naddrs;
	struct buf		 b;

	if (e->mesh.joined) {
		ctl_reply_error(cl, CTLF_CONFLICT,
		    "this node is already in a mesh; run "
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
		ctl_reply_error(cl, CTLF_INTERNAL,
		    "cannot create the mesh root key: %s",
		    err);
		return;
	}
	e->has_root = 1;
	if (mesh_set_identity(&e->mesh, name, addrs, naddrs) == -1 ||
	    mesh_found(&e->mesh, e->root_sk, engine_now(e),
	    engine_unix_ms()) == -1) {
		ctl_reply_error(cl, CTLF_INTERNAL, "cannot found the mesh");
		return;
	}
	log_info("founded mesh %02x%02x%02x%02x… as \"%s\"", e->mesh.mesh_id[0],
	    e->mesh.mesh_id[1], e->mesh.mesh_id[2], e->mesh.mesh_id[3], name);
	if (r->has_operator && enrol_by_root(e, r->operator_key,
	    r->operator_name, err, sizeof(err)) == -1)
		log_warnx("rpn init: %s", err);
	engine_save_now(e);
	ctlview_init(&b, e);
	ctl_reply(cl, &b);
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
		ctl_reply_ok(e->leave_waiter);
	e->leave_waiter = NULL;
}

/*
 * do_leave - sign a "left" record and let gossip carry it for a moment
 * before forgetting the mesh, so the others see a leave, not a failure.
 */
static void
do_leave(struct engine *e, struct ctl_reply *cl, const struct ctl_req *r)
{
	(void)r;
	if (!e->mesh.joined || e->mesh.left) {
		ctl_reply_error(cl, CTLF_NOMESH, "this node is not in a mesh");
		return;
	}
	/* Its backends go first, so no member lists them once it is gone. */
	svcctl_withdraw_all(e);
	if (mesh_leave(&e->mesh, engine_now(e), engine_unix_ms()) == -1) {
		ctl_reply_error(cl, CTLF_INTERNAL,
		    "cannot sign the leave record");
		return;
	}
	e->leave_waiter = cl;
	uv_timer_start(&e->leave_timer, leave_done, LEAVE_LINGER_MS, 0);
	engine_kick(e);
}

static void
do_service_show(struct engine *e, struct ctl_reply *cl, const struct ctl_req *r)
{
	struct buf	 b;

	if (r->name[0] == '\0')
		ctl_reply_error(cl, CTLF_BAD, "service show needs a name");
	else if (ctlview_service(&b, e, r->name) == -1)
		ctl_reply_error(cl, CTLF_NOTFOUND,
		    "no service is named \"%s\"", r->name);
	else
		ctl_reply(cl, &b);
}

/*
 * do_service_check - rpnctl service add asks before it signs anything, and
 * for --dry-run: would this add be refused?  Nothing changes.
 */
static void
do_service_check(struct engine *e, struct ctl_reply *cl,
    const struct ctl_req *r)
{
	char	 err[256];
	int	 why;

	if (!e->mesh.joined || e->mesh.left)
		ctl_reply_error(cl, CTLF_NOMESH, "this node is not in a mesh");
	else if (r->name[0] == '\0')
		ctl_reply_error(cl, CTLF_BAD, "a service needs a name");
	else if ((why = ctlcmd_add_doomed(e, r, err, sizeof(err))) !=
	    CTLF_NONE)
		ctl_reply_error(cl, (enum ctl_fail)why, "%s", err);
	else
		ctl_reply_ok(cl);
}

static void
do_service_list(struct engine *e, struct ctl_reply *cl,
    const struct ctl_req *r)
{
	struct buf	 b;

	(void)r;
	ctlview_services(&b, e);
	ctl_reply(cl, &b);
}

/* ctlcmd_member - the member named name, or NULL; self counts. */
const struct member *
ctlcmd_member(struct engine *e, const char *name)
{
	for (uint32_t i = 0; i < e->mesh.mb.n; i++) {
		const struct member	*m = e->mesh.mb.m[i];

		if (m->state != M_LEFT && strcmp(m->name, name) == 0)
			return m;
	}
	return NULL;
}

/*
 * ctlcmd_add_doomed - would the add r (CTL_SERVICE_ADD or _CHECK) be
 * refused whatever an operator signed for it: a loopback backend, rpn's
 * own port or one its node listens on, its node unknown or not up?  The
 * mesh's policy is left out: that is what a grant changes.  rpnctl asks
 * (CTL_SERVICE_CHECK) and the HTTP API checks before either asks for a
 * signature, so that no grant is stored for an add that then fails.
 * CTLF_NONE, or the failure with err.
 */
int
ctlcmd_add_doomed(struct engine *e, const struct ctl_req *r, char *err,
    size_t errlen)
{
	const struct member	*m = NULL;
	struct rec_service	 s;

	if (r->node[0] != '\0' && strcmp(r->node, e->mesh.name) != 0) {
		if ((m = ctlcmd_member(e, r->node)) == NULL) {
			snprintf(err, errlen, "no member is named \"%s\"",
			    r->node);
			return CTLF_NOTFOUND;
		}
		if (conn_svcreq_possible(m, err, errlen) == -1)
			return CTLF_UNREACHED;
	}
	svcctl_service_of(r, &s);
	if (svcctl_check_add(e, m != NULL ? m->id : e->mesh.id, &s, r->force,
	    err, errlen) == -1)
		return CTLF_CONFLICT;
	return CTLF_NONE;
}

/*
 * The signed grant in force for a service, to travel with an order that
 * relies on it; NULL when none.
 */
static const struct rec *
grant_of(struct engine *e, const char *name)
{
	const struct oprec	*g = policy_grant(&e->mesh.pol, name);
	uint8_t			 key[OPREC_KEYLEN];

	if (g == NULL)
		return NULL;
	oprec_key(key, g->version);
	return store_get(&e->mesh.store, g->signer, REC_GRANT, key, sizeof(key));
}

static void
do_service(struct engine *e, struct ctl_reply *cl, const struct ctl_req *r)
{
	const struct rec	*g;
	uint8_t			*genv = NULL;
	const struct member	*owner = NULL;
	struct rec_service	 s;
	char			 err[256];
	uint8_t			 op = r->cmd == CTL_SERVICE_ADD ? 1 : 2;

	if (!e->mesh.joined || e->mesh.left) {
		ctl_reply_error(cl, CTLF_NOMESH, "this node is not in a mesh");
		return;
	}
	if (r->name[0] == '\0') {
		ctl_reply_error(cl, CTLF_BAD, "a service needs a name");
		return;
	}
	svcctl_service_of(r, &s);
	if (r->node[0] != '\0' && strcmp(r->node, e->mesh.name) != 0) {
		if ((owner = ctlcmd_member(e, r->node)) == NULL) {
			ctl_reply_error(cl, CTLF_NOTFOUND,
			    "no member is named \"%s\"",
			    r->node);
			return;
		}
		if (op == 1 && (svcctl_check_add(e, owner->id, &s, r->force,
		    err, sizeof(err)) == -1 || svc_policy_check(&e->dp.svcs,
		    &e->mesh.mb, owner->id, &s, err, sizeof(err)) == -1)) {
			ctl_reply_error(cl, CTLF_CONFLICT, "%s", err);
			return;
		}
		/* The owner signs its own records: ask it over the mesh. */
		if (policy_governed(&e->mesh.pol) && r->signed_len == 0) {
			ctl_reply_error(cl, CTLF_FORBIDDEN,
			    "acting on another node's "
			    "backends (--node) needs an operator's signature: "
			    "set RPN_OPERATOR_KEY or create %s",
			    "~/.config/rpn/operator.key (rpn operator keygen)");
			return;
		}
		if ((g = grant_of(e, s.name)) != NULL &&
		    (genv = malloc(g->envlen)) == NULL) {
			ctl_reply_error(cl, CTLF_INTERNAL, "out of memory");
			return;
		}
		if (g != NULL)
			rec_envelope(g, genv);
		if (conn_start_svcreq(e, owner, op, &s, r->force, r->signed_rec,
		    r->signed_len, genv, g != NULL ? g->envlen : 0, cl, err,
		    sizeof(err)) == -1)
			ctl_reply_error(cl, CTLF_UNREACHED, "%s", err);
		free(genv);
		return;
	}
	if (op == 2) {
		const struct svc	*sv = svc_table_get(&e->dp.svcs, s.name);
		const struct rec	*mine = store_get(&e->mesh.store, e->mesh.id,
		    REC_SERVICE, (const uint8_t *)s.name, strlen(s.name));

		if (sv == NULL) {
			ctl_reply_error(cl, CTLF_NOTFOUND,
			    "no service is named \"%s\"",
			    s.name);
			return;
		}
		if ((mine == NULL || (mine->flags & REC_F_DELETED)) &&
		    sv->nowners > 0) {
			const struct member	*o = mb_get(&e->mesh.mb,
			    svc_owner_id(&e->dp.svcs, &sv->owners[0]));

			ctl_reply_error(cl, CTLF_BAD,
			    "service %s has no backend on "
			    "this node; name its node with --node (for example "
			    "%s)",
			    s.name, o && o->name[0] ? o->name : "?");
			return;
		}
	}
	if (svcctl_apply(e, op, &s, r->force, err, sizeof(err)) == -1)
		ctl_reply_error(cl, CTLF_CONFLICT, "%s", err);
	else
		ctl_reply_ok(cl);
}

static void
do_status(struct engine *e, struct ctl_reply *cl, const struct ctl_req *r)
{
	struct buf	 b;

	(void)r;
	ctlview_status(&b, e);
	ctl_reply(cl, &b);
}

static void
do_join(struct engine *e, struct ctl_reply *cl, const struct ctl_req *r)
{
	char	 err[256];

	if (!r->has_peer || r->token[0] == '\0') {
		ctl_reply_error(cl, CTLF_BAD, "join needs a peer and a token");
		return;
	}
	/* join.c replies once the member has answered. */
	if (join_start(e, r, cl, err, sizeof(err)) == -1)
		ctl_reply_error(cl, CTLF_BAD, "%s", err);
}

/* One handler per command; each replies, now or later, exactly once. */
static void (*const handlers[CTL_CMD_MAX + 1])(struct engine *,
    struct ctl_reply *, const struct ctl_req *) = {
	[CTL_STATUS]		= do_status,
	[CTL_INVITE]		= do_invite,
	[CTL_INIT]		= do_init,
	[CTL_JOIN]		= do_join,
	[CTL_LEAVE]		= do_leave,
	[CTL_SERVICE_ADD]	= do_service,
	[CTL_SERVICE_DEL]	= do_service,
	[CTL_SERVICE_LIST]	= do_service_list,
	[CTL_SERVICE_SHOW]	= do_service_show,
	[CTL_SUBMIT]		= do_submit,
	[CTL_OPERATORS]		= do_operators,
	[CTL_AUDIT]		= do_audit,
	[CTL_ADOPT]		= do_adopt,
	[CTL_WEB_ENROLL]	= api_ctl,
	[CTL_WEB_WAIT]		= api_ctl,
	[CTL_SERVICE_CHECK]	= do_service_check,
};

/*
 * ctlcmd_run - run one decoded request's command, for either transport
 * (the control socket's ctlcmd_handle, the HTTP API).  The sink is owed
 * exactly one reply, which the command may send later (leave, join, a
 * service on another node).
 */
void
ctlcmd_run(struct engine *e, struct ctl_reply *cl, const struct ctl_req *r)
{
	if ((unsigned)r->cmd <= CTL_CMD_MAX && handlers[r->cmd] != NULL)
		handlers[r->cmd](e, cl, r);
	else
		ctl_reply_error(cl, CTLF_BAD, "\"%s\" is not supported by "
		    "this rpnd", ctl_cmd_name(r->cmd));
}

/* ctlcmd_handle - decode one control-socket request and run its command. */
void
ctlcmd_handle(struct engine *e, struct ctl_reply *cl, const uint8_t *p,
    size_t len)
{
	struct ctl_req	 r;
	const char	*why;

	if (ctl_req_decode(p, len, &r, &why) == -1) {
		e->st.ctl_bad++;
		ctl_reply_error(cl, CTLF_BAD, "bad request: %s", why);
		return;
	}
	ctlcmd_run(e, cl, &r);
	sodium_memzero(&r, sizeof(r));
}

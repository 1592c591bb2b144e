/*
 * api.c: the console's JSON API under /api/v1/ (docs/http.md, "API").
 *
 * A second transport for the control commands, not a second
 * implementation: a request is decoded (node/core/apireq.c) into the
 * struct ctl_req rpnctl would send, run by ctlcmd.c, and answered through
 * a reply sink that turns the msgpack reply into the JSON rpnctl --json
 * prints (proto/json.c).  Writes that need operator statements answer 428
 * with the statements to sign, built by the code rpnctl uses
 * (proto/opview.c); the client signs them with its own key and sends the
 * request again with the signatures, and they are checked, sealed and
 * submitted as CTL_SUBMIT does.  The engine holds no operator key.
 *
 * Also here: browser enrolment codes (rpnctl web enroll; POST
 * /api/v1/enroll) and the event stream (GET /api/v1/events).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "node/engine/api.h"
#include "node/core/apireq.h"
#include "node/core/log.h"
#include "node/core/policy.h"
#include "node/engine/conn.h"
#include "node/engine/ctlcmd.h"
#include "node/engine/ctlgov.h"
#include "node/engine/ctlreply.h"
#include "node/engine/ctlview.h"
#include "node/engine/engine.h"
#include "node/engine/http.h"
#include "node/engine/svcctl.h"
#include "proto/compat.h"
#include "proto/envelope.h"
#include "proto/json.h"
#include "proto/mp.h"
#include "proto/opview.h"
#include "proto/parse.h"

#define API_CODES		4		/* enrolment codes outstanding */
#define API_CODE_TTL_MS		(10 * 60 * 1000)
#define API_COALESCE_MS		100		/* one event per what per this */
#define API_KEEPALIVE_MS	15000
#define API_TICK_MS		1000
#define API_JSON_MAX		(CTL_MAX_FRAME * 8)
#define API_SIGN_MAX_AGE_MS	(4 * 60 * 1000)	/* a 428's statements keep */
#define API_SIGN_MAX_AHEAD_MS	(60 * 1000)

static const char *const whats[] = {
	"members", "services", "operators", "audit", "node",
};
#define API_NWHATS	(sizeof(whats) / sizeof(whats[0]))

struct api_stream {
	struct api		*a;
	struct http_conn	*conn;
	uint8_t			 key[WIRE_KEY];
	int			 closing;
	struct api_stream	*next;
};

/* A one-time enrolment code (rpnctl web enroll). */
struct api_code {
	int			 live;
	uint8_t			 code[16];
	char			 name[WIRE_NAME_MAX + 1];
	uint64_t		 expires;	/* engine_now() ms */
	int			 presented;	/* a browser used it */
	uint8_t			 key[WIRE_KEY];	/* the browser's key */
	struct ctl_reply	*waiter;	/* rpnctl web enroll, waiting */
	uint64_t		 wait_until;
};

struct api {
	struct engine		*e;
	struct api_stream	*streams;
	uv_timer_t		 coalesce;
	uv_timer_t		 tick;
	unsigned		 pending;	/* bits of whats[] */
	uint64_t		 last_flush;
	uint64_t		 last_keepalive;
	uint64_t		 last_version;
	struct api_code		 codes[API_CODES];
	int			 closed;	/* timers closed, at the end */
};

/* One HTTP request answered by a control command. */
struct api_call {
	struct ctl_reply	 reply;		/* first: ctlcmd.c's sink */
	struct http_conn	*conn;
};

static struct api *api_of(struct engine *);

/* ---- the reply sink: msgpack replies as JSON, causes as status codes ---- */

static unsigned
status_of(enum ctl_fail why)
{
	switch (why) {
	case CTLF_NONE:		return 200;
	case CTLF_BAD:		return 400;
	case CTLF_FORBIDDEN:	return 403;
	case CTLF_NOTFOUND:	return 404;
	case CTLF_CONFLICT:	return 409;
	case CTLF_NOMESH:	return 503;
	case CTLF_UNAVAILABLE:	return 502;
	case CTLF_UNREACHED:	return 502;
	case CTLF_INTERNAL:	return 500;
	}
	return 500;
}

/* reply_msgpack - a whole msgpack reply to conn: JSON, or {"error"}. */
static void
reply_msgpack(struct http_conn *conn, enum ctl_fail why, struct buf *payload)
{
	struct mp_doc	 d;
	struct buf	 j;
	char		 msg[512];

	if (payload->err || mp_parse(&d, payload->p, payload->len) == -1) {
		buf_release(payload);
		http_reply_error(conn, 500, "rpnd could not build the reply");
		return;
	}
	buf_release(payload);
	if (why != CTLF_NONE) {
		if (out_str(&d.root, "error", msg, sizeof(msg)) == -1)
			strlcpy(msg, "failed", sizeof(msg));
		mp_doc_release(&d);
		http_reply_error(conn, status_of(why), "%s", msg);
		return;
	}
	buf_init(&j, API_JSON_MAX);
	if (json_write(&j, &d.root, 1) == -1)
		http_reply_error(conn, 500, "the reply is too large");
	else
		http_reply(conn, 200, "application/json", j.p, j.len);
	buf_release(&j);
	mp_doc_release(&d);
}

static void
call_send(struct ctl_reply *r, enum ctl_fail why, struct buf *payload)
{
	struct api_call	*c = (struct api_call *)r;

	reply_msgpack(c->conn, why, payload);
	free(c);
}

/* Run a control request for an HTTP request: one implementation, two transports. */
static void
run_ctl(struct engine *e, struct http_conn *conn, const struct ctl_req *r)
{
	struct api_call	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		http_reply_error(conn, 500, "out of memory");
		return;
	}
	c->reply.send = call_send;
	c->conn = conn;
	ctlcmd_run(e, &c->reply, r);
}

/* A msgpack map built here, answered as JSON. */
static void
reply_view(struct http_conn *conn, struct buf *b)
{
	reply_msgpack(conn, CTLF_NONE, b);
}

/* ---- what signing needs: the engine's own status and services ---- */

struct views {
	struct mp_doc	 st, svc;
	struct op_services list;	/* services and unserved grants */
};

static int
views_load(struct engine *e, struct views *v)
{
	struct buf	 b;
	int		 rc;

	memset(v, 0, sizeof(*v));
	ctlview_status(&b, e);
	rc = b.err ? -1 : mp_parse(&v->st, b.p, b.len);
	buf_release(&b);
	if (rc == -1)
		return -1;
	ctlview_services(&b, e);
	rc = b.err ? -1 : mp_parse(&v->svc, b.p, b.len);
	buf_release(&b);
	if (rc == -1) {
		mp_doc_release(&v->st);
		return -1;
	}
	op_services_read(&v->svc.root, &v->list);
	return 0;
}

static void
views_release(struct views *v)
{
	mp_doc_release(&v->st);
	mp_doc_release(&v->svc);
}

/* ---- the statement-signing flow (428) ---- */

struct needs {
	int		 n;
	struct oprec	 o[APIREQ_MAX_SIGNED];
	char		 summary[APIREQ_MAX_SIGNED][1300];
};

static struct oprec *
need(struct needs *nd)
{
	struct oprec	*o = &nd->o[nd->n];

	memset(o, 0, sizeof(*o));
	nd->summary[nd->n][0] = '\0';
	nd->n++;
	return o;
}

/* A fresh version for a statement: unix ms, never the same twice here. */
static uint64_t
version_next(struct api *a)
{
	uint64_t	 now = engine_unix_ms();

	a->last_version = now > a->last_version ? now : a->last_version + 1;
	return a->last_version;
}

static void
jput(struct buf *j, const char *s)
{
	buf_put(j, s, strlen(s));
}

static void
b64(struct buf *j, const uint8_t *p, size_t n)
{
	size_t	 cap = sodium_base64_ENCODED_LEN(n,
		    sodium_base64_VARIANT_ORIGINAL);
	char	*s = malloc(cap);

	if (s == NULL) {
		j->err = 1;
		return;
	}
	sodium_bin2base64(s, cap, p, n, sodium_base64_VARIANT_ORIGINAL);
	json_str(j, s, strlen(s));
	free(s);
}

/*
 * answer_428 - what the request needs signed: each statement with a
 * fresh version, the exact bytes the operator's key must sign, and a line
 * for people.
 */
static void
answer_428(struct api *a, struct http_conn *conn, struct needs *nd,
    const char *why)
{
	struct buf	 j, body, msg;
	int		 bad = 0;

	buf_init(&j, API_JSON_MAX);
	jput(&j, "{\n  \"error\": ");
	json_str(&j, why, strlen(why));
	jput(&j, ",\n  \"sign\": [");
	for (int i = 0; i < nd->n; i++) {
		nd->o[i].version = version_next(a);
		buf_init(&body, WIRE_MAX_RECORD);
		if (oprec_encode(&body, &nd->o[i]) == -1 ||
		    env_msg(&msg, a->e->mesh.mesh_id, body.p, body.len) == -1)
			bad = 1;
		else {
			jput(&j, i ? ",\n    {" : "\n    {");
			jput(&j, "\"statement\": ");
			b64(&j, body.p, body.len);
			jput(&j, ", \"message\": ");
			b64(&j, msg.p, msg.len);
			jput(&j, ", \"summary\": ");
			json_str(&j, nd->summary[i], strlen(nd->summary[i]));
			jput(&j, "}");
			buf_release(&msg);
		}
		buf_release(&body);
	}
	jput(&j, "\n  ]\n}\n");
	if (bad || j.err)
		http_reply_error(conn, 500, "cannot encode the statements");
	else
		http_reply(conn, 428, "application/json", j.p, j.len);
	buf_release(&j);
}

/*
 * signed_check - the statements and signatures the request carries are
 * exactly what it needs (each re-encoded with the version the client
 * signed must be the same bytes) and each signature verifies with the
 * request's own key; envs gets the sealed envelopes.  0; or the status to
 * answer (428: sign these instead; 403: a signature does not verify) with
 * err.
 */
static unsigned
signed_check(struct engine *e, const struct api_req *q,
    const uint8_t key[WIRE_KEY], struct needs *nd, struct buf envs[],
    char *err, size_t errlen)
{
	const uint8_t	*author, *body;
	size_t		 bodylen;

	if (q->nsigned == 0) {
		snprintf(err, errlen, "this needs %d statement%s signed by an "
		    "operator's key", nd->n, nd->n == 1 ? "" : "s");
		return 428;
	}
	if (q->nsigned != nd->n) {
		snprintf(err, errlen, "the request carries %d statements but "
		    "needs %d: sign these", q->nsigned, nd->n);
		return 428;
	}
	for (int i = 0; i < nd->n; i++) {
		const struct api_signed	*s = &q->signed_[i];
		struct oprec		*got = malloc(sizeof(*got));
		struct buf		 want;
		int			 same;

		if (got == NULL) {
			snprintf(err, errlen, "out of memory");
			return 500;
		}
		if (oprec_decode(s->body, s->len, got) == -1) {
			free(got);
			snprintf(err, errlen, "statement %d does not decode: "
			    "sign these", i + 1);
			return 428;
		}
		/*
		 * The version is the client's to choose, as rpnctl's clock
		 * chooses it, but within a few minutes of this node's clock:
		 * an order older than 300 s is refused where it goes, and a
		 * statement from the future would outrank later ones.
		 */
		if (got->version + API_SIGN_MAX_AGE_MS < engine_unix_ms() ||
		    got->version > engine_unix_ms() + API_SIGN_MAX_AHEAD_MS) {
			free(got);
			snprintf(err, errlen, "statement %d was made more than "
			    "%d minutes ago or is dated ahead: sign these, "
			    "made now", i + 1, API_SIGN_MAX_AGE_MS / 60000);
			return 428;
		}
		nd->o[i].version = got->version;
		free(got);
		buf_init(&want, WIRE_MAX_RECORD);
		same = oprec_encode(&want, &nd->o[i]) == 0 &&
		    want.len == s->len && memcmp(want.p, s->body, s->len) == 0;
		buf_release(&want);
		if (!same) {
			snprintf(err, errlen, "statement %d is not what this "
			    "request needs now: sign these", i + 1);
			return 428;
		}
	}
	for (int i = 0; i < nd->n; i++) {
		const struct api_signed	*s = &q->signed_[i];

		buf_init(&envs[i], WIRE_MAX_RECORD);
		if (env_assemble(&envs[i], key, s->sig, s->body, s->len) == -1 ||
		    env_open(envs[i].p, envs[i].len, e->mesh.mesh_id, &author,
		    &body, &bodylen) == -1) {
			for (int k = 0; k <= i; k++)
				buf_release(&envs[k]);
			snprintf(err, errlen, "signature %d does not verify with "
			    "the key that signed this request", i + 1);
			return 403;
		}
	}
	return 0;
}

/*
 * submit_signed - needs checked against the request's statements, then
 * each stored statement submitted (as CTL_SUBMIT: checked as every node
 * checks it); an order goes into r->signed_rec for the command.  0, or -1
 * once the request is answered.
 */
static int
submit_signed(struct api *a, struct http_req *hr, const struct api_req *q,
    struct needs *nd, struct ctl_req *r)
{
	struct engine	*e = a->e;
	struct buf	 envs[APIREQ_MAX_SIGNED];
	char		 err[300];
	unsigned	 st;
	enum acc	 acc;
	int		 i, rc = 0;

	if ((st = signed_check(e, q, hr->key, nd, envs, err,
	    sizeof(err))) == 428) {
		answer_428(a, hr->conn, nd, err);
		return -1;
	} else if (st != 0) {
		http_reply_error(hr->conn, st, "%s", err);
		return -1;
	}
	for (i = 0; i < nd->n && rc == 0; i++) {
		if (nd->o[i].kind == REC_ORDER) {
			if (r == NULL || envs[i].len > sizeof(r->signed_rec)) {
				http_reply_error(hr->conn, 400, "the order is "
				    "too large");
				rc = -1;
				break;
			}
			memcpy(r->signed_rec, envs[i].p, envs[i].len);
			r->signed_len = (uint32_t)envs[i].len;
			continue;
		}
		acc = mesh_accept(&e->mesh, envs[i].p, envs[i].len,
		    engine_now(e), engine_unix_ms(), MESH_RELAY);
		if (acc != ACC_NEW) {
			http_reply_error(hr->conn, acc == ACC_NOT_OPERATOR ? 403 :
			    409, "the statement was refused (%s)%s%s",
			    acc_names[acc], e->mesh.why[0] ? ": " : "",
			    e->mesh.why);
			rc = -1;
			break;
		}
		log_info("http: operator statement %s submitted for %s",
		    nd->summary[i], hr->path);
		engine_save_now(e);
		engine_kick(e);
	}
	for (i = 0; i < nd->n; i++)
		buf_release(&envs[i]);
	return rc;
}

/* The statements needed, then the rest: the usual shape of a write. */
static int
sign_or_428(struct api *a, struct http_req *hr, const struct api_req *q,
    struct needs *nd, struct ctl_req *r)
{
	if (nd->n == 0)
		return 0;
	if (q->nsigned == 0) {
		answer_428(a, hr->conn, nd, nd->n == 1 ? "this needs a statement "
		    "signed by an operator's key" : "this needs statements "
		    "signed by an operator's key");
		return -1;
	}
	return submit_signed(a, hr, q, nd, r);
}

static void
prefixes_text(char *out, size_t cap, const struct wire_prefix *v, int n)
{
	char	 p[64];

	for (int i = 0; i < n; i++) {
		fmt_prefix(p, sizeof(p), &v[i]);
		strlcat(out, " ", cap);
		strlcat(out, p, cap);
	}
}

/* ---- routes ---- */

static int
in_mesh(struct engine *e, struct http_conn *conn)
{
	if (e->mesh.joined && !e->mesh.left)
		return 1;
	http_reply_error(conn, 503, "this node is not in a mesh");
	return 0;
}

static unsigned
plan_status(const char *err)
{
	return strncmp(err, "no ", 3) == 0 ? 404 : 409;
}

/* POST /services, DELETE /services/NAME: rpnctl service add|del. */
static void
route_service(struct api *a, struct http_req *hr, struct api_req *q)
{
	struct engine	*e = a->e;
	struct views	 v;
	struct op_plan	*p;
	struct needs	*nd;
	char		 err[300];

	if (!in_mesh(e, hr->conn))
		return;
	p = malloc(sizeof(*p));
	nd = calloc(1, sizeof(*nd));
	if (p == NULL || nd == NULL || views_load(e, &v) == -1) {
		free(p);
		free(nd);
		http_reply_error(hr->conn, 500, "out of memory");
		return;
	}
	if (op_service_plan(&q->ctl, &v.st.root, &v.list, 1, p, err,
	    sizeof(err)) == -1) {
		http_reply_error(hr->conn, plan_status(err), "%s", err);
		goto out;
	}
	if (q->ctl.cmd == CTL_SERVICE_ADD &&
	    ctlcmd_add_doomed(e, &q->ctl, err, sizeof(err)) != CTLF_NONE) {
		http_reply_error(hr->conn, plan_status(err), "%s", err);
		goto out;
	}
	if (p->need_grant) {
		*need(nd) = p->grant;
		strlcpy(nd->summary[nd->n - 1], "grant ",
		    sizeof(nd->summary[0]));
		op_grant_describe(&p->grant, &v.st.root, err, sizeof(err));
		strlcat(nd->summary[nd->n - 1], err, sizeof(nd->summary[0]));
		if (p->was.kind == REC_GRANT && !p->was.withdrawn &&
		    !op_grant_same_access(&p->grant, &p->was)) {
			op_grant_describe(&p->was, &v.st.root, err,
			    sizeof(err));
			strlcat(nd->summary[nd->n - 1], " (was: ",
			    sizeof(nd->summary[0]));
			strlcat(nd->summary[nd->n - 1], err,
			    sizeof(nd->summary[0]));
			strlcat(nd->summary[nd->n - 1], ")",
			    sizeof(nd->summary[0]));
		}
	}
	/* A name's last backend: its grant stays (op_service_plan()). */
	if (p->need_order) {
		char	 t[64];

		*need(nd) = p->order;
		fmt_addr(t, sizeof(t), &q->ctl.target, 1);
		if (p->order.action == OP_ADD)
			snprintf(nd->summary[nd->n - 1], sizeof(nd->summary[0]),
			    "order %s to add a backend of %s %s/%u to %s%s",
			    q->ctl.node, q->ctl.name, q->ctl.proto == 17 ?
			    "udp" : "tcp", q->ctl.port, t, q->ctl.force ?
			    " (forced)" : "");
		else
			snprintf(nd->summary[nd->n - 1], sizeof(nd->summary[0]),
			    "order %s to delete its backend of %s", q->ctl.node,
			    q->ctl.name);
	}
	if (sign_or_428(a, hr, q, nd, &q->ctl) == 0)
		run_ctl(e, hr->conn, &q->ctl);
out:
	views_release(&v);
	free(p);
	free(nd);
}

/* POST /services/NAME/grant|revoke-grant: rpnctl service grant|revoke-grant. */
static void
route_grant(struct api *a, struct http_req *hr, struct api_req *q)
{
	struct engine	*e = a->e;
	struct views	 v;
	struct needs	*nd;
	struct oprec	*g;
	char		 err[300];
	int		 notfound, revoke = q->route == API_REVOKE_GRANT;

	if (!in_mesh(e, hr->conn))
		return;
	if ((nd = calloc(1, sizeof(*nd))) == NULL || views_load(e, &v) == -1) {
		free(nd);
		http_reply_error(hr->conn, 500, "out of memory");
		return;
	}
	g = need(nd);
	if (op_grant_change(&v.st.root, &v.list, q->ctl.name, q->ctl.node,
	    revoke, g, &notfound, err, sizeof(err)) == -1) {
		http_reply_error(hr->conn, notfound ? 404 : 409, "%s", err);
		goto out;
	}
	if (g->withdrawn)
		snprintf(nd->summary[0], sizeof(nd->summary[0]), "withdraw the "
		    "grant of %s: no owner is left", q->ctl.name);
	else {
		strlcpy(nd->summary[0], "grant ", sizeof(nd->summary[0]));
		op_grant_describe(g, &v.st.root, err, sizeof(err));
		strlcat(nd->summary[0], err, sizeof(nd->summary[0]));
	}
	if (sign_or_428(a, hr, q, nd, NULL) == 0)
		http_reply(hr->conn, 200, "application/json", "{}\n", 3);
out:
	views_release(&v);
	free(nd);
}

/* POST /operators, DELETE /operators/NAME, POST /revoke, POST /lans/approve. */
static void
route_statement(struct api *a, struct http_req *hr, struct api_req *q)
{
	struct engine	*e = a->e;
	struct views	 v;
	struct needs	*nd;
	struct oprec	*o;
	struct buf	 b;
	struct mp_doc	 ops;
	char		 k[OPREC_PUBKEY_B64 + 1];

	if (!in_mesh(e, hr->conn))
		return;
	if ((nd = calloc(1, sizeof(*nd))) == NULL || views_load(e, &v) == -1) {
		free(nd);
		http_reply_error(hr->conn, 500, "out of memory");
		return;
	}
	o = need(nd);
	switch (q->route) {
	case API_OPERATOR_ADD:
	case API_OPERATOR_DEL:
		o->kind = REC_OPERATOR;
		strlcpy(o->name, q->ctl.operator_name, sizeof(o->name));
		o->action = q->route == API_OPERATOR_ADD ? OP_ENROL : OP_REMOVE;
		if (q->route == API_OPERATOR_ADD)
			memcpy(o->subject, q->key, WIRE_KEY);
		else {
			ctlview_operators(&b, e);
			if (b.err || mp_parse(&ops, b.p, b.len) == -1) {
				buf_release(&b);
				http_reply_error(hr->conn, 500, "out of memory");
				goto out;
			}
			buf_release(&b);
			if (op_operator_key(&ops.root, o->name, o->subject) ==
			    -1) {
				mp_doc_release(&ops);
				http_reply_error(hr->conn, 404, "no active "
				    "operator is named \"%s\" (rpnctl operator "
				    "list)", o->name);
				goto out;
			}
			mp_doc_release(&ops);
		}
		oprec_pubkey_fmt(k, o->subject);
		snprintf(nd->summary[0], sizeof(nd->summary[0]), "%s operator "
		    "%s (%s)", o->action == OP_ENROL ? "enrol" : "remove",
		    o->name, k);
		break;
	case API_REVOKE:
	case API_LAN_APPROVE:
		if (op_member_id(&v.st.root, q->ctl.node, o->subject) == -1) {
			http_reply_error(hr->conn, 404, "no member is named "
			    "\"%s\"", q->ctl.node);
			goto out;
		}
		if (q->route == API_REVOKE) {
			o->kind = REC_REVOKE;
			strlcpy(o->name, q->ctl.node, sizeof(o->name));
			snprintf(nd->summary[0], sizeof(nd->summary[0]),
			    "revoke node %s", q->ctl.node);
		} else {
			o->kind = REC_APPROVE;
			o->nlans = q->nlans;
			memcpy(o->lans, q->lans, q->nlans * sizeof(q->lans[0]));
			snprintf(nd->summary[0], sizeof(nd->summary[0]),
			    "approve for %s:", q->ctl.node);
			prefixes_text(nd->summary[0], sizeof(nd->summary[0]),
			    o->lans, o->nlans);
		}
		break;
	default:
		break;
	}
	if (sign_or_428(a, hr, q, nd, NULL) == 0)
		http_reply(hr->conn, 200, "application/json", "{}\n", 3);
out:
	views_release(&v);
	free(nd);
}

/* GET /whoami */
static void
route_whoami(struct engine *e, struct http_req *hr)
{
	const struct operator	*op = policy_operator(&e->mesh.pol, hr->key);
	struct buf		 b;
	msgpack_packer		 pk;
	char			 k[OPREC_PUBKEY_B64 + 1];

	ctlview_head(&pk, &b, 3);
	mp_pack_str(&pk, "name");
	mp_pack_str(&pk, op != NULL && op->active ? op->name : "");
	mp_pack_str(&pk, "key");
	oprec_pubkey_fmt(k, hr->key);
	mp_pack_str(&pk, k);
	mp_pack_str(&pk, "operator");
	if (op != NULL && op->active)
		msgpack_pack_true(&pk);
	else
		msgpack_pack_false(&pk);
	reply_view(hr->conn, &b);
}

/* ---- enrolment codes ---- */

static void
code_clear(struct api_code *c)
{
	sodium_memzero(c, sizeof(*c));
}

static void
code_fmt(char out[APIREQ_CODE_LEN + 1], const uint8_t code[16])
{
	sodium_bin2base64(out, APIREQ_CODE_LEN + 1, code, 16,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* Tell the waiting rpnctl the browser's key. */
static void
code_answer(struct api_code *c)
{
	struct buf	 b;
	msgpack_packer	 pk;
	char		 k[OPREC_PUBKEY_B64 + 1];
	struct ctl_reply *w = c->waiter;

	c->waiter = NULL;
	oprec_pubkey_fmt(k, c->key);
	ctlview_head(&pk, &b, 2);
	mp_pack_str(&pk, "name");
	mp_pack_str(&pk, c->name);
	mp_pack_str(&pk, "key");
	mp_pack_str(&pk, k);
	ctl_reply(w, &b);
}

/* Codes and waits that ran out; what is over is wiped. */
static void
codes_expire(struct api *a)
{
	uint64_t	 now = engine_now(a->e);

	for (int i = 0; i < API_CODES; i++) {
		struct api_code	*c = &a->codes[i];

		if (!c->live)
			continue;
		if (c->waiter != NULL && (now >= c->expires ||
		    now >= c->wait_until)) {
			struct ctl_reply *w = c->waiter;

			c->waiter = NULL;
			ctl_reply_error(w, CTLF_CONFLICT, now >= c->expires ?
			    "the enrolment code expired before a browser used "
			    "it" : "no browser used the enrolment code in time");
		}
		if (now >= c->expires && c->waiter == NULL)
			code_clear(c);
	}
}

static int
codes_live(const struct api *a)
{
	for (int i = 0; i < API_CODES; i++)
		if (a->codes[i].live)
			return 1;
	return 0;
}

static void api_tick_start(struct api *);

static void
web_enroll(struct engine *e, struct ctl_reply *cl, const struct ctl_req *r)
{
	struct api	*a = api_of(e);
	struct api_code	*c = NULL;
	struct http_view v;
	struct buf	 b;
	msgpack_packer	 pk;
	char		 code[APIREQ_CODE_LEN + 1], addr[80], url[160];
	int		 nurl;

	if (a == NULL) {
		ctl_reply_error(cl, CTLF_INTERNAL, "out of memory");
		return;
	}
	if (!e->mesh.joined || e->mesh.left) {
		ctl_reply_error(cl, CTLF_NOMESH, "this node is not in a mesh");
		return;
	}
	if (!policy_governed(&e->mesh.pol)) {
		ctl_reply_error(cl, CTLF_CONFLICT, "the mesh has no operators "
		    "yet: enrol one first (rpn init --operator, rpn operator "
		    "adopt)");
		return;
	}
	if (r->name[0] == '\0' || !wire_name_ok(r->name)) {
		ctl_reply_error(cl, CTLF_BAD, "web enroll needs a NAME");
		return;
	}
	if (policy_operator_named(&e->mesh.pol, r->name) != NULL &&
	    policy_operator_named(&e->mesh.pol, r->name)->active) {
		ctl_reply_error(cl, CTLF_CONFLICT, "an operator is already "
		    "named \"%s\" (rpnctl operator list)", r->name);
		return;
	}
	http_view(e, &v);
	if (v.listen.family == 0 && v.https_listen.family == 0) {
		ctl_reply_error(cl, CTLF_CONFLICT, "rpnd serves no console: set "
		    "http-listen or https-listen in rpnd.conf%s%s",
		    v.problem[0] ? " (" : "", v.problem[0] ? v.problem : "");
		return;
	}
	codes_expire(a);
	for (int i = 0; i < API_CODES && c == NULL; i++)
		if (!a->codes[i].live)
			c = &a->codes[i];
	if (c == NULL) {
		ctl_reply_error(cl, CTLF_CONFLICT, "%d enrolment codes are "
		    "outstanding already; use one or wait until one expires "
		    "(10 minutes)", API_CODES);
		return;
	}
	memset(c, 0, sizeof(*c));
	c->live = 1;
	randombytes_buf(c->code, sizeof(c->code));
	strlcpy(c->name, r->name, sizeof(c->name));
	c->expires = engine_now(e) + API_CODE_TTL_MS;
	code_fmt(code, c->code);
	api_tick_start(a);
	log_info("web enroll: a code for operator \"%s\", valid 10 minutes",
	    r->name);
	nurl = (v.listen.family != 0) + (v.https_listen.family != 0);
	ctlview_head(&pk, &b, 2 + (size_t)nurl);
	mp_pack_str(&pk, "code");
	mp_pack_str(&pk, code);
	mp_pack_str(&pk, "expires");
	msgpack_pack_uint64(&pk, (engine_unix_ms() + API_CODE_TTL_MS) / 1000);
	for (int tls = 0; tls < 2; tls++) {
		struct wire_addr u = tls ? v.https_listen : v.listen;

		if (u.family == 0)
			continue;
		/* A wildcard listener is reached on loopback, as ssh -L does. */
		if (u.family == 4 && memcmp(u.ip, "\0\0\0\0", 4) == 0) {
			u.ip[0] = 127;
			u.ip[3] = 1;
		} else if (u.family == 6 && sodium_is_zero(u.ip, 16)) {
			u.ip[15] = 1;
		}
		fmt_addr(addr, sizeof(addr), &u, 1);
		snprintf(url, sizeof(url), "%s://%s/enroll#%s", tls ? "https" :
		    "http", addr, code);
		mp_pack_str(&pk, tls ? "https" : "http");
		mp_pack_str(&pk, url);
	}
	sodium_memzero(code, sizeof(code));
	ctl_reply(cl, &b);
}

static struct api_code *
code_find(struct api *a, const char *s)
{
	uint8_t		 raw[16];
	size_t		 n;
	struct api_code	*found = NULL;

	if (sodium_base642bin(raw, sizeof(raw), s, strlen(s), NULL, &n, NULL,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 || n != sizeof(raw))
		return NULL;
	/* Every slot compared, in constant time: no early way out. */
	for (int i = 0; i < API_CODES; i++)
		if (a->codes[i].live && sodium_memcmp(a->codes[i].code, raw,
		    sizeof(raw)) == 0)
			found = &a->codes[i];
	sodium_memzero(raw, sizeof(raw));
	return found;
}

static void
web_wait(struct engine *e, struct ctl_reply *cl, const struct ctl_req *r)
{
	struct api	*a = api_of(e);
	struct api_code	*c;

	if (a == NULL) {
		ctl_reply_error(cl, CTLF_INTERNAL, "out of memory");
		return;
	}
	codes_expire(a);
	if ((c = code_find(a, r->token)) == NULL) {
		ctl_reply_error(cl, CTLF_NOTFOUND, "no such enrolment code (it "
		    "expired, or rpnd restarted)");
		return;
	}
	if (c->waiter != NULL) {
		ctl_reply_error(cl, CTLF_CONFLICT, "another rpnctl waits for "
		    "this code");
		return;
	}
	c->waiter = cl;
	c->wait_until = engine_now(e) + (r->ttl_ms ? r->ttl_ms :
	    API_CODE_TTL_MS);
	if (c->presented) {
		code_answer(c);
		code_clear(c);
	}
}

/* CTL_WEB_ENROLL and CTL_WEB_WAIT, for ctlcmd.c. */
void
api_ctl(struct engine *e, struct ctl_reply *cl, const struct ctl_req *r)
{
	if (r->cmd == CTL_WEB_ENROLL)
		web_enroll(e, cl, r);
	else
		web_wait(e, cl, r);
}

/* POST /enroll {"code"}: signed by the browser's new key. */
static void
route_enroll(struct api *a, struct http_req *hr, struct api_req *q)
{
	struct api_code	*c;
	struct buf	 b;
	msgpack_packer	 pk;
	char		 k[OPREC_PUBKEY_B64 + 1];

	codes_expire(a);
	c = code_find(a, q->code);
	if (c == NULL || c->presented) {
		log_info("http: an enrolment with an unknown, used or expired "
		    "code was refused");
		http_reply_error(hr->conn, 403, "this enrolment code is unknown, "
		    "used or expired: run \"rpnctl web enroll NAME\" again");
		return;
	}
	c->presented = 1;
	memcpy(c->key, hr->key, WIRE_KEY);
	oprec_pubkey_fmt(k, hr->key);
	log_info("http: a browser presented key %s for operator \"%s\"", k,
	    c->name);
	ctlview_head(&pk, &b, 3);
	mp_pack_str(&pk, "name");
	mp_pack_str(&pk, c->name);
	mp_pack_str(&pk, "key");
	mp_pack_str(&pk, k);
	mp_pack_str(&pk, "operator");
	msgpack_pack_false(&pk);
	if (c->waiter != NULL) {
		code_answer(c);
		code_clear(c);
	}
	reply_view(hr->conn, &b);
}

/* ---- events ---- */

static void
stream_closed(void *arg)
{
	struct api_stream	*s = arg, **pp;

	if (s->a == NULL) {	/* api_stop() has run */
		free(s);
		return;
	}
	for (pp = &s->a->streams; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	free(s);
}

static void
streams_write(struct api *a, const char *text)
{
	for (struct api_stream *s = a->streams; s != NULL; s = s->next)
		if (!s->closing)
			http_stream_write(s->conn, text, strlen(text));
}

/* Streams of a key that is no longer an active operator end at once. */
static void
streams_check_keys(struct api *a)
{
	for (struct api_stream *s = a->streams; s != NULL; s = s->next) {
		const struct operator	*op = policy_operator(&a->e->mesh.pol,
					    s->key);

		if (!s->closing && (op == NULL || !op->active)) {
			s->closing = 1;
			log_info("http: closing an event stream: its key is no "
			    "longer an operator");
			http_stream_close(s->conn);
		}
	}
}

static void
flush_events(uv_timer_t *t)
{
	struct api	*a = t->data;
	char		 ev[64];

	for (size_t i = 0; i < API_NWHATS; i++)
		if (a->pending & (1u << i)) {
			snprintf(ev, sizeof(ev), "event: change\ndata: "
			    "{\"what\":\"%s\"}\n\n", whats[i]);
			streams_write(a, ev);
		}
	a->pending = 0;
	a->last_flush = engine_now(a->e);
}

static void
tick(uv_timer_t *t)
{
	struct api	*a = t->data;
	uint64_t	 now = engine_now(a->e);

	codes_expire(a);
	if (a->streams != NULL && now - a->last_keepalive >= API_KEEPALIVE_MS) {
		a->last_keepalive = now;
		streams_write(a, ": keepalive\n\n");
	}
	if (a->streams == NULL && !codes_live(a))
		uv_timer_stop(&a->tick);
}

static void
api_tick_start(struct api *a)
{
	if (!uv_is_active((uv_handle_t *)&a->tick)) {
		a->last_keepalive = engine_now(a->e);
		uv_timer_start(&a->tick, tick, API_TICK_MS, API_TICK_MS);
	}
}

/* GET /events */
static void
route_events(struct api *a, struct http_req *hr)
{
	struct api_stream	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		http_reply_error(hr->conn, 500, "out of memory");
		return;
	}
	s->a = a;
	s->conn = hr->conn;
	memcpy(s->key, hr->key, WIRE_KEY);
	if (http_stream_start(hr->conn, "text/event-stream", stream_closed,
	    s) == -1) {
		free(s);
		http_reply_error(hr->conn, 500, "cannot start the event stream");
		return;
	}
	s->next = a->streams;
	a->streams = s;
	/* A first line at once, so the client knows the stream is up. */
	http_stream_write(hr->conn, ": rpn events\n\n", 14);
	api_tick_start(a);
}

void
api_changed(struct engine *e, const char *what)
{
	struct api	*a = e->api;
	uint64_t	 now, since;

	if (a == NULL)
		return;
	if (strcmp(what, "operators") == 0)
		streams_check_keys(a);
	if (a->streams == NULL)
		return;
	for (size_t i = 0; i < API_NWHATS; i++)
		if (strcmp(what, whats[i]) == 0)
			a->pending |= 1u << i;
	if (a->pending == 0 || uv_is_active((uv_handle_t *)&a->coalesce))
		return;
	now = engine_now(e);
	since = now - a->last_flush;
	uv_timer_start(&a->coalesce, flush_events, since >= API_COALESCE_MS ? 0 :
	    API_COALESCE_MS - since, 0);
}

/* ---- the state, made on first use ---- */

static struct api *
api_of(struct engine *e)
{
	struct api	*a;

	if (e->api != NULL)
		return e->api;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->e = e;
	uv_timer_init(&e->loop, &a->coalesce);
	uv_timer_init(&e->loop, &a->tick);
	a->coalesce.data = a;
	a->tick.data = a;
	e->api = a;
	return a;
}

static void
timer_closed(uv_handle_t *h)
{
	struct api	*a = h->data;

	/* The second of the two handles to close (in either order) frees it. */
	if (++a->closed == 2)
		free(a);
}

void
api_stop(struct engine *e)
{
	struct api	*a = e->api;

	if (a == NULL)
		return;
	for (int i = 0; i < API_CODES; i++) {
		if (a->codes[i].waiter != NULL) {
			struct ctl_reply *w = a->codes[i].waiter;

			a->codes[i].waiter = NULL;
			ctl_reply_error(w, CTLF_UNAVAILABLE, "rpnd is stopping");
		}
		code_clear(&a->codes[i]);
	}
	/* Streams end with the HTTP server (http_stop), their callbacks run. */
	for (struct api_stream *s = a->streams, *n; s != NULL; s = n) {
		n = s->next;
		s->a = NULL;
	}
	e->api = NULL;
	uv_close((uv_handle_t *)&a->coalesce, timer_closed);
	uv_close((uv_handle_t *)&a->tick, timer_closed);
}

void
api_handle(struct engine *e, struct http_req *hr)
{
	struct api	*a = api_of(e);
	struct api_req	*q;
	char		 err[300];
	unsigned	 st;

	if (a == NULL || (q = malloc(sizeof(*q))) == NULL) {
		http_reply_error(hr->conn, 500, "out of memory");
		return;
	}
	if ((st = apireq_decode(hr->method, hr->path, hr->query, hr->body,
	    hr->body_len, q, err, sizeof(err))) != 0) {
		http_reply_error(hr->conn, st, "%s", err);
		goto out;
	}
	/* Only an enrolment may come from a key that is no operator. */
	if (q->route != API_ENROLL && !hr->operator) {
		http_reply_error(hr->conn, 403, "this key is not an operator "
		    "of the mesh");
		goto out;
	}
	switch (q->route) {
	case API_STATUS:
	case API_SERVICES:
	case API_SERVICE:
	case API_OPERATORS:
	case API_AUDIT:
		run_ctl(e, hr->conn, &q->ctl);
		break;
	case API_SERVICE_ADD:
	case API_SERVICE_DEL:
		route_service(a, hr, q);
		break;
	case API_GRANT:
	case API_REVOKE_GRANT:
		route_grant(a, hr, q);
		break;
	case API_OPERATOR_ADD:
	case API_OPERATOR_DEL:
	case API_REVOKE:
	case API_LAN_APPROVE:
		route_statement(a, hr, q);
		break;
	case API_WHOAMI:
		route_whoami(e, hr);
		break;
	case API_ENROLL:
		route_enroll(a, hr, q);
		break;
	case API_EVENTS:
		route_events(a, hr);
		break;
	}
out:
	sodium_memzero(q, sizeof(*q));
	free(q);
}

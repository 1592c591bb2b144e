/* ctlgov.c: the governance replies: operators and the audit log (docs/json.md). */
#include <stdlib.h>
#include <string.h>

#include "node/engine/ctlgov.h"
#include "node/engine/ctlview.h"
#include "node/core/array.h"
#include "node/engine/engine.h"
#include "proto/compat.h"
#include "proto/ctl.h"
#include "proto/envelope.h"
#include "proto/mp.h"
#include "proto/oprec.h"
#include "proto/parse.h"

/* Who signed: an operator by name, the mesh root, or a node by name. */
static const char *
signer_name(const struct mesh *m, const uint8_t key[WIRE_KEY])
{
	const struct operator	*op = policy_operator(&m->pol, key);

	if (op != NULL)
		return op->name;
	if (memcmp(key, m->root, WIRE_KEY) == 0)
		return "(mesh root)";
	return mesh_member_name(m, key);
}

/* rpnctl operator list */
void
ctlview_operators(struct buf *b, struct engine *e)
{
	const struct policy	*p = &e->mesh.pol;
	msgpack_packer		 pk;
	char			 k[OPREC_PUBKEY_B64 + 1];

	ctlview_head(&pk, b, 2);
	mp_pack_str(&pk, "governed");
	if (policy_governed(p))
		msgpack_pack_true(&pk);
	else
		msgpack_pack_false(&pk);
	mp_pack_str(&pk, "operators");
	msgpack_pack_array(&pk, p->nops);
	for (uint32_t i = 0; i < p->nops; i++) {
		const struct operator	*op = &p->ops[i];

		msgpack_pack_map(&pk, 5);
		mp_pack_str(&pk, "name");
		mp_pack_str(&pk, op->name);
		mp_pack_str(&pk, "key");
		oprec_pubkey_fmt(k, op->key);
		mp_pack_str(&pk, k);
		mp_pack_str(&pk, "state");
		mp_pack_str(&pk, op->active ? "active" : "removed");
		mp_pack_str(&pk, "since");
		msgpack_pack_uint64(&pk, op->active ? op->since : op->removed);
		mp_pack_str(&pk, "by");
		mp_pack_str(&pk, signer_name(&e->mesh, op->by));
	}
}

/* ---- the audit log: every accepted policy change, from the signed records ---- */

struct event {
	uint64_t	 time;
	char		 actor[WIRE_NAME_MAX + 1];
	char		 actor_key[2 * WIRE_KEY + 1];
	const char	*what;
	char		 subject[WIRE_NAME_MAX + 1];
	char		 detail[200];
};

struct events {
	struct engine	*e;
	struct event	*v;
	uint32_t	 n, cap;
};

static struct event *
event_add(struct events *ev, uint64_t time, const uint8_t actor[WIRE_KEY],
    int operator_form, const char *what)
{
	struct event	*x;

	if (array_reserve(&ev->v, &ev->cap, ev->n + 1, sizeof(*ev->v)) == -1)
		return NULL;
	x = &ev->v[ev->n++];
	memset(x, 0, sizeof(*x));
	x->time = time;
	x->what = what;
	strlcpy(x->actor, signer_name(&ev->e->mesh, actor), sizeof(x->actor));
	if (operator_form)
		oprec_pubkey_fmt(x->actor_key, actor);
	else
		fmt_hex(x->actor_key, actor, WIRE_KEY);
	return x;
}

static void
prefixes_text(char *out, size_t cap, const struct wire_prefix *v, int n)
{
	char	 a[64];

	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		fmt_prefix(a, sizeof(a), &v[i]);
		if (i > 0)
			strlcat(out, " ", cap);
		strlcat(out, a, cap);
	}
}

static void
statement_event(struct events *ev, const uint8_t *author, const struct oprec *o)
{
	const struct mesh	*m = &ev->e->mesh;
	struct event		*x;
	char			 t[160];

	switch (o->kind) {
	case REC_OPERATOR:
		if ((x = event_add(ev, o->version, author, 1, o->action ==
		    OP_ENROL ? "operator-enrol" : "operator-remove")) == NULL)
			return;
		strlcpy(x->subject, o->name, sizeof(x->subject));
		oprec_pubkey_fmt(x->detail, o->subject);
		break;
	case REC_GRANT:
		if ((x = event_add(ev, o->version, author, 1, "grant")) == NULL)
			return;
		strlcpy(x->subject, o->name, sizeof(x->subject));
		if (o->withdrawn) {
			strlcpy(x->detail, "withdrawn", sizeof(x->detail));
			break;
		}
		snprintf(x->detail, sizeof(x->detail), "%s/%u owners",
		    o->svc.proto == SVC_UDP ? "udp" : "tcp", o->svc.port);
		for (int i = 0; i < o->nowners; i++) {
			strlcat(x->detail, i ? "," : " ", sizeof(x->detail));
			strlcat(x->detail, mesh_member_name(m, o->owners[i]),
			    sizeof(x->detail));
		}
		if (o->svc.public)
			strlcat(x->detail, "; public", sizeof(x->detail));
		if (o->svc.nallow > 0) {
			prefixes_text(t, sizeof(t), o->svc.allow, o->svc.nallow);
			strlcat(x->detail, "; allow ", sizeof(x->detail));
			strlcat(x->detail, t, sizeof(x->detail));
		}
		break;
	case REC_REVOKE:
		if ((x = event_add(ev, o->version, author, 1, "revoke")) == NULL)
			return;
		strlcpy(x->subject, o->name, sizeof(x->subject));
		fmt_hex(x->detail, o->subject, WIRE_KEY);
		break;
	case REC_APPROVE:
		if ((x = event_add(ev, o->version, author, 1, "approve")) == NULL)
			return;
		strlcpy(x->subject, mesh_member_name(m, o->subject),
		    sizeof(x->subject));
		prefixes_text(x->detail, sizeof(x->detail), o->lans, o->nlans);
		break;
	}
}

static void
node_events(struct events *ev, const struct rec *r, const uint8_t *body,
    size_t bodylen)
{
	struct rec_node	*nd;
	struct rec_head	 h;
	struct event	*x;
	const uint8_t	*issuer;

	if ((nd = malloc(sizeof(*nd))) == NULL)
		return;
	if (rec_node_decode(body, bodylen, &h, nd) == 0 && nd->nchain > 0) {
		const struct wire_cert	*c = &nd->chain[nd->nchain - 1];

		issuer = nd->nchain == 1 ? ev->e->mesh.root :
		    nd->chain[nd->nchain - 2].subject;
		if ((x = event_add(ev, c->issued * 1000, issuer,
		    nd->nchain == 1, nd->nchain == 1 ? "found" : "join")) != NULL) {
			strlcpy(x->subject, nd->name, sizeof(x->subject));
			fmt_hex(x->detail, r->author, WIRE_KEY);
		}
		if ((h.flags & NODE_F_LEFT) &&
		    (x = event_add(ev, h.version, r->author, 0, "leave")) != NULL)
			strlcpy(x->subject, nd->name, sizeof(x->subject));
	}
	free(nd);
}

static int
audit_cb(void *ctx, const struct rec *r)
{
	struct events	*ev = ctx;
	const uint8_t	*body;
	size_t		 bodylen;
	struct oprec	*o;

	if ((r->kind != REC_NODE && (r->kind < REC_OPERATOR ||
	    r->kind > REC_APPROVE)) || (r->flags & REC_F_DELETED))
		return 0;
	body = rec_body(r, &bodylen);
	if (r->kind == REC_NODE) {
		/*
		 * A revoked node's records go (nodes that restart refuse them):
		 * its revocation is what the log keeps.
		 */
		if (policy_revoked(&ev->e->mesh.pol, r->author) == NULL)
			node_events(ev, r, body, bodylen);
		return 0;
	}
	if ((o = malloc(sizeof(*o))) == NULL)
		return 0;
	if (oprec_decode(body, bodylen, o) == 0)
		statement_event(ev, r->author, o);
	free(o);
	return 0;
}

static int
event_cmp(const void *x, const void *y)
{
	const struct event	*a = x, *b = y;

	int			 c;

	/* A total order, so that every node lists ties the same way. */
	if (a->time != b->time)
		return a->time < b->time ? -1 : 1;
	if ((c = strcmp(a->what, b->what)) != 0 ||
	    (c = strcmp(a->subject, b->subject)) != 0 ||
	    (c = strcmp(a->actor_key, b->actor_key)) != 0)
		return c;
	return strcmp(a->detail, b->detail);
}

/*
 * rpnctl audit: built from the signed records every node holds, so every
 * node shows the same list: operator statements, joins (with the member
 * that admitted them), leaves.
 */
void
ctlview_audit(struct buf *b, struct engine *e)
{
	struct events	 ev = { e, NULL, 0, 0 };
	msgpack_packer	 pk;

	store_foreach(&e->mesh.store, audit_cb, &ev);
	if (ev.n > 1)
		qsort(ev.v, ev.n, sizeof(*ev.v), event_cmp);
	ctlview_head(&pk, b, 1);
	mp_pack_str(&pk, "events");
	msgpack_pack_array(&pk, ev.n);
	for (uint32_t i = 0; i < ev.n; i++) {
		const struct event	*x = &ev.v[i];

		msgpack_pack_map(&pk, 6);
		mp_pack_str(&pk, "time");
		msgpack_pack_uint64(&pk, x->time);
		mp_pack_str(&pk, "actor");
		mp_pack_str(&pk, x->actor);
		mp_pack_str(&pk, "actor_key");
		mp_pack_str(&pk, x->actor_key);
		mp_pack_str(&pk, "event");
		mp_pack_str(&pk, x->what);
		mp_pack_str(&pk, "subject");
		mp_pack_str(&pk, x->subject);
		mp_pack_str(&pk, "detail");
		mp_pack_str(&pk, x->detail);
	}
	free(ev.v);
}

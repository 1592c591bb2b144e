/*
 * policy.c: the policy a node derives from operator statements.
 *
 * Statements are replayed in one order, the same on every node: by
 * version (the signer's unix ms), then author, then kind.  Each counts
 * only if its author may sign it at that point of the replay: the mesh
 * root or an enrolled operator for an enrolment or removal, an enrolled
 * operator for the rest.  So a removed operator's statements from before
 * its removal keep counting, and later ones do not; the last operator is
 * never removed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/core/array.h"
#include "node/core/policy.h"
#include "proto/compat.h"
#include "proto/envelope.h"

void
policy_init(struct policy *p, const uint8_t root[WIRE_KEY])
{
	memset(p, 0, sizeof(*p));
	if (root != NULL)
		memcpy(p->root, root, WIRE_KEY);
}

void
policy_release(struct policy *p)
{
	free(p->ops);
	free(p->grants);
	free(p->revs);
	free(p->approvals);
	memset(p, 0, sizeof(*p));
}

int
policy_governed(const struct policy *p)
{
	return p->nops > 0;
}

const struct operator *
policy_operator(const struct policy *p, const uint8_t key[WIRE_KEY])
{
	for (uint32_t i = 0; i < p->nops; i++)
		if (memcmp(p->ops[i].key, key, WIRE_KEY) == 0)
			return &p->ops[i];
	return NULL;
}

const struct operator *
policy_operator_named(const struct policy *p, const char *name)
{
	for (uint32_t i = 0; i < p->nops; i++)
		if (p->ops[i].active && strcmp(p->ops[i].name, name) == 0)
			return &p->ops[i];
	return NULL;
}

const struct revocation *
policy_revoked(const struct policy *p, const uint8_t node[WIRE_KEY])
{
	for (uint32_t i = 0; i < p->nrevs; i++)
		if (memcmp(p->revs[i].node, node, WIRE_KEY) == 0)
			return &p->revs[i];
	return NULL;
}

const struct oprec *
policy_grant(const struct policy *p, const char *service)
{
	for (uint32_t i = 0; i < p->ngrants; i++)
		if (strcmp(p->grants[i].name, service) == 0)
			return p->grants[i].withdrawn ? NULL : &p->grants[i];
	return NULL;
}

int
policy_granted(const struct oprec *g, const uint8_t node[WIRE_KEY])
{
	for (int i = 0; g != NULL && i < g->nowners; i++)
		if (memcmp(g->owners[i], node, WIRE_KEY) == 0)
			return 1;
	return 0;
}

static int
prefix_within(const struct wire_prefix *in, const struct wire_prefix *outer)
{
	if (in->family != outer->family || in->len < outer->len)
		return 0;
	for (unsigned b = 0; b < outer->len; b++)
		if ((in->ip[b / 8] ^ outer->ip[b / 8]) & (0x80 >> (b % 8)))
			return 0;
	return 1;
}

/* policy_lan_approved - an operator approved pfx (or a prefix holding it) for node. */
int
policy_lan_approved(const struct policy *p, const uint8_t node[WIRE_KEY],
    const struct wire_prefix *pfx)
{
	for (uint32_t i = 0; i < p->napprovals; i++) {
		const struct oprec	*a = &p->approvals[i];

		if (memcmp(a->subject, node, WIRE_KEY) != 0)
			continue;
		for (int j = 0; j < a->nlans; j++)
			if (prefix_within(pfx, &a->lans[j]))
				return 1;
	}
	return 0;
}

/*
 * policy_may_sign - may author sign statement o, given the policy as it
 * stands?  The check every node makes on a statement it receives, and
 * the local CLI's first answer.
 */
int
policy_may_sign(const struct policy *p, const uint8_t author[WIRE_KEY],
    const struct oprec *o, char *err, size_t errlen)
{
	const struct operator	*op = policy_operator(p, author);
	int			 root = memcmp(author, p->root, WIRE_KEY) == 0;

	if (o->kind == REC_OPERATOR && root)
		return 0;
	if (op == NULL || !op->active) {
		snprintf(err, errlen, "%s", op == NULL ?
		    "the signer is not an operator of this mesh" :
		    "the signer's operator key was removed");
		return -1;
	}
	if (o->kind == REC_OPERATOR && o->action == OP_REMOVE) {
		const struct operator	*t = policy_operator(p, o->subject);

		if (t == NULL || !t->active) {
			snprintf(err, errlen, "no enrolled operator has that key");
			return -1;
		}
		if (p->nactive <= 1) {
			snprintf(err, errlen, "the last operator cannot be "
			    "removed: enrol another first");
			return -1;
		}
	}
	return 0;
}

/* ---- rebuilding ---- */

struct stmt {
	const uint8_t	*author;
	struct oprec	 o;
};

struct gather {
	struct stmt	*v;
	uint32_t	 n, cap;
	int		 nomem;
};

static int
gather_cb(void *ctx, const struct rec *r)
{
	struct gather	*g = ctx;
	const uint8_t	*body;
	size_t		 bodylen;

	if (r->kind < REC_OPERATOR || r->kind > REC_APPROVE ||
	    (r->flags & REC_F_DELETED))
		return 0;
	if (array_reserve(&g->v, &g->cap, g->n + 1, sizeof(*g->v)) == -1) {
		g->nomem = 1;
		return 1;
	}
	body = rec_body(r, &bodylen);
	if (oprec_decode(body, bodylen, &g->v[g->n].o) == -1)
		return 0;
	g->v[g->n].author = r->author;
	memcpy(g->v[g->n].o.signer, r->author, WIRE_KEY);
	g->n++;
	return 0;
}

static int
stmt_cmp(const void *x, const void *y)
{
	const struct stmt	*a = x, *b = y;
	int			 c;

	if (a->o.version != b->o.version)
		return a->o.version < b->o.version ? -1 : 1;
	if ((c = memcmp(a->author, b->author, WIRE_KEY)) != 0)
		return c;
	return (int)a->o.kind - (int)b->o.kind;
}

static int
apply_operator(struct policy *p, const struct stmt *s)
{
	struct operator	*op = (struct operator *)policy_operator(p,
	    s->o.subject);

	if (s->o.action == OP_REMOVE) {
		if (op != NULL && op->active) {
			op->active = 0;
			op->removed = s->o.version;
			p->nactive--;
		}
		return 0;
	}
	if (op == NULL) {
		if (array_reserve(&p->ops, &p->capops, p->nops + 1,
		    sizeof(*p->ops)) == -1)
			return -1;
		op = &p->ops[p->nops++];
		memset(op, 0, sizeof(*op));
		memcpy(op->key, s->o.subject, WIRE_KEY);
	}
	if (!op->active)
		p->nactive++;
	op->active = 1;
	op->removed = 0;
	op->since = s->o.version;
	strlcpy(op->name, s->o.name, sizeof(op->name));
	memcpy(op->by, s->author, WIRE_KEY);
	return 0;
}

static int
apply_latest(struct oprec **v, uint32_t *n, uint32_t *cap,
    const struct oprec *o, int by_name)
{
	for (uint32_t i = 0; i < *n; i++)
		if (by_name ? strcmp((*v)[i].name, o->name) == 0 :
		    memcmp((*v)[i].subject, o->subject, WIRE_KEY) == 0) {
			(*v)[i] = *o;
			return 0;
		}
	if (array_reserve(v, cap, *n + 1, sizeof(**v)) == -1)
		return -1;
	(*v)[(*n)++] = *o;
	return 0;
}

static int
apply(struct policy *p, const struct stmt *s)
{
	char			 err[128];
	struct revocation	*r;

	if (policy_may_sign(p, s->author, &s->o, err, sizeof(err)) == -1)
		return 0;
	switch (s->o.kind) {
	case REC_OPERATOR:
		return apply_operator(p, s);
	case REC_GRANT:
		return apply_latest(&p->grants, &p->ngrants, &p->capgrants,
		    &s->o, 1);
	case REC_APPROVE:
		return apply_latest(&p->approvals, &p->napprovals,
		    &p->capapprovals, &s->o, 0);
	case REC_REVOKE:
		if (policy_revoked(p, s->o.subject) != NULL)
			return 0;
		if (array_reserve(&p->revs, &p->caprevs, p->nrevs + 1,
		    sizeof(*p->revs)) == -1)
			return -1;
		r = &p->revs[p->nrevs++];
		memcpy(r->node, s->o.subject, WIRE_KEY);
		strlcpy(r->name, s->o.name, sizeof(r->name));
		r->at = s->o.version;
		memcpy(r->by, s->author, WIRE_KEY);
		return 0;
	}
	return 0;
}

/*
 * policy_rebuild - derive the policy again from every statement the store
 * holds.  Statements are few (people make them), so a rebuild replays them
 * all.  -1 when out of memory: the old policy is kept.
 */
int
policy_rebuild(struct policy *p, const struct store *st)
{
	struct gather	 g = { NULL, 0, 0, 0 };
	struct policy	 n;

	store_foreach(st, gather_cb, &g);
	if (g.nomem) {
		free(g.v);
		return -1;
	}
	if (g.n > 1)
		qsort(g.v, g.n, sizeof(*g.v), stmt_cmp);
	policy_init(&n, p->root);
	for (uint32_t i = 0; i < g.n; i++)
		if (apply(&n, &g.v[i]) == -1) {
			policy_release(&n);
			free(g.v);
			return -1;
		}
	free(g.v);
	n.generation = p->generation + 1;
	policy_release(p);
	*p = n;
	return 0;
}

/* svcctl.c: adding and removing this node's own service backends, for rpnctl and for other members, and publishing their health. */
#include <stdlib.h>
#include <string.h>

#include "node/engine/svcctl.h"
#include "node/engine/engine.h"
#include "node/core/log.h"
#include "proto/compat.h"
#include "proto/ctl.h"
#include "proto/envelope.h"
#include "proto/oprec.h"
#include "proto/parse.h"

static const char *
proto_name(uint8_t p)
{
	return p == SVC_UDP ? "udp" : "tcp";
}

/* Sign a body this node authored and spread it. */
static int
publish(struct engine *e, struct buf *body, int rc)
{
	if (rc == 0)
		rc = mesh_publish(&e->mesh, body->p, body->len, engine_now(e));
	buf_release(body);
	return rc;
}

static int
tombstone(struct engine *e, uint8_t kind, const char *name)
{
	struct buf	 body;

	buf_init(&body, WIRE_MAX_RECORD);
	return publish(e, &body, rec_tombstone_encode(&body, kind,
	    mesh_next_version(&e->mesh, engine_unix_ms()),
	    (const uint8_t *)name, strlen(name)));
}

/*
 * svcctl_check_local - would this node take over one of its own ports?
 * rpn's own port never; a port the node listens on, or a management port
 * (22), only with force (the node still never programs a port it listens
 * on: it marks its backend "conflict" and the others leave it out).
 */
static int
check_local(struct engine *e, const struct rec_service *s, int force,
    char *err, size_t errlen)
{
	const char	*p = proto_name(s->proto);

	/*
	 * Fresh, so a server started just before is seen; but not on every
	 * request of a burst (the dump was half of the engine's time while
	 * 100k services were added): a scan under 20 ms old stands.
	 */
	if (engine_now(e) - e->lsn_at >= 20)
		engine_rescan_listeners(e);
	if (s->port == e->cfg.listen.port) {
		snprintf(err, errlen, "port %u is rpn's own (gossip and joins)",
		    s->port);
		return -1;
	}
	if (force)
		return 0;
	if (svc_management_port(s->proto, s->port)) {
		snprintf(err, errlen, "%s/%u is commonly a node's own management "
		    "port (ssh): every node that listens on it would skip the "
		    "service (add --force to add it anyway)", p, s->port);
		return -1;
	}
	if (listeners_has(&e->lsn, s->proto, s->port)) {
		snprintf(err, errlen, "node %s itself listens on %s/%u: rpn "
		    "would not forward it there (add --force to add it anyway)",
		    e->mesh.name, p, s->port);
		return -1;
	}
	return 0;
}

/* svcctl_service_of - the backend an add or del request describes. */
void
svcctl_service_of(const struct ctl_req *r, struct rec_service *s)
{
	memset(s, 0, sizeof(*s));
	strlcpy(s->name, r->name, sizeof(s->name));
	if (r->cmd != CTL_SERVICE_ADD && r->cmd != CTL_SERVICE_CHECK)
		return;
	s->proto = r->proto;
	s->port = r->port;
	s->target = r->target;
	s->nallow = r->nallow;
	memcpy(s->allow, r->allow, sizeof(s->allow));
	s->public = r->public;
}

/*
 * svcctl_check_add - may owner (this node or another member) add backend
 * s, the mesh's policy aside?  The checks every node makes
 * (svc_check_add), and on this node its own ports.  The HTTP API asks
 * this before it asks for the statements an add needs, so that a doomed
 * add leaves no grant behind.  0, or -1 with err.
 */
int
svcctl_check_add(struct engine *e, const uint8_t owner[WIRE_KEY],
    const struct rec_service *s, int force, char *err, size_t errlen)
{
	if (svc_check_add(&e->dp.svcs, &e->mesh.mb, owner, s,
	    e->cfg.listen.port, err, errlen) == -1)
		return -1;
	if (memcmp(owner, e->mesh.id, WIRE_KEY) == 0)
		return check_local(e, s, force, err, errlen);
	return 0;
}

/*
 * svcctl_apply - op 1: sign a service record for a backend on this node;
 * op 2: sign its tombstone (and its health record's).  0, or -1 with the
 * reason in err.
 */
int
svcctl_apply(struct engine *e, uint8_t op, const struct rec_service *s,
    int force, char *err, size_t errlen)
{
	struct mesh		*m = &e->mesh;
	const struct rec	*r;
	struct buf		 body;
	int			 rc;

	if (!m->joined || m->left) {
		snprintf(err, errlen, "this node is not in a mesh");
		return -1;
	}
	r = store_get(&m->store, m->id, REC_SERVICE, (const uint8_t *)s->name,
	    strlen(s->name));
	if (op == 2 && (r == NULL || (r->flags & REC_F_DELETED))) {
		snprintf(err, errlen, "node %s has no backend for service %s",
		    m->name, s->name);
		return -1;
	}
	if (op == 1 && (svcctl_check_add(e, m->id, s, force, err, errlen) ==
	    -1 || svc_policy_check(&e->dp.svcs, &m->mb, m->id, s, err,
	    errlen) == -1 || svc_grant_asked(&e->dp.svcs, &m->mb, s, err,
	    errlen) == -1))
		return -1;
	if (op == 1) {
		buf_init(&body, WIRE_MAX_RECORD);
		rc = publish(e, &body, rec_service_encode(&body,
		    mesh_next_version(m, engine_unix_ms()), s));
	} else if ((rc = tombstone(e, REC_SERVICE, s->name)) == 0 &&
	    store_get(&m->store, m->id, REC_HEALTH, (const uint8_t *)s->name,
	    strlen(s->name)) != NULL)
		rc = tombstone(e, REC_HEALTH, s->name);
	if (rc == -1) {
		snprintf(err, errlen, "cannot sign the service record");
		return -1;
	}
	if (op == 1) {
		char	 t[ADDRSTRLEN];

		fmt_addr(t, sizeof(t), &s->target, 1);
		log_info("service %s %s/%u -> %s added on this node", s->name,
		    proto_name(s->proto), s->port, t);
	} else
		log_info("service %s: backend on this node removed", s->name);
	/*
	 * Saved within a second (engine_kick); a crash before that loses
	 * nothing for long: after a restart the node pulls its own records
	 * back from the mesh (engine.c, catch_up).  Soon, not now: the other
	 * requests read with this one go into the same transaction.
	 */
	engine_kick_soon(e);
	return 0;
}

/* svcctl_health - publish what this node's check says of its backend of name. */
int
svcctl_health(struct engine *e, const char *name, uint8_t health)
{
	struct rec_health	 hl;
	struct buf		 body;

	if (!e->mesh.joined || e->mesh.left)
		return -1;
	memset(&hl, 0, sizeof(hl));
	strlcpy(hl.name, name, sizeof(hl.name));
	hl.health = health;
	hl.since = engine_unix_ms();
	buf_init(&body, WIRE_MAX_RECORD);
	if (publish(e, &body, rec_health_encode(&body,
	    mesh_next_version(&e->mesh, hl.since), &hl)) == -1)
		return -1;
	engine_kick(e);
	return 0;
}

struct own_names {
	struct engine	*e;
	char		(*names)[WIRE_NAME_MAX + 1];
	uint32_t	 n;
	uint32_t	 cap;
};

static int
own_service_cb(void *ctx, const struct rec *r)
{
	struct own_names	*o = ctx;

	if (r->kind != REC_SERVICE || (r->flags & REC_F_DELETED) ||
	    memcmp(r->author, o->e->mesh.id, WIRE_KEY) != 0 ||
	    r->keylen > WIRE_NAME_MAX || o->n == o->cap)
		return 0;
	memcpy(o->names[o->n], rec_key(r), r->keylen);
	o->names[o->n][r->keylen] = '\0';
	o->n++;
	return 0;
}

/*
 * svcctl_withdraw_all - before leaving: tombstones for every backend this
 * node owns, so no member lists them once it is gone and they do not come
 * back if the node joins again.
 */
void
svcctl_withdraw_all(struct engine *e)
{
	struct own_names	 o = { e, NULL, 0, 0 };
	char			 err[256];
	struct rec_service	 s;

	o.cap = e->mesh.store.live + 1;
	if ((o.names = calloc(o.cap, sizeof(*o.names))) == NULL)
		return;
	store_foreach(&e->mesh.store, own_service_cb, &o);
	for (uint32_t i = 0; i < o.n; i++) {
		memset(&s, 0, sizeof(s));
		strlcpy(s.name, o.names[i], sizeof(s.name));
		if (svcctl_apply(e, 2, &s, 0, err, sizeof(err)) == -1)
			log_warnx("withdrawing %s: %s", s.name, err);
	}
	free(o.names);
}

#define ORDER_WINDOW_MS	(300 * 1000)

static int
same_service(const struct rec_service *a, const struct rec_service *b)
{
	return a->proto == b->proto && a->port == b->port &&
	    addr_eq(&a->target, &b->target) && a->public == b->public &&
	    a->nallow == b->nallow &&
	    memcmp(a->allow, b->allow, a->nallow * sizeof(a->allow[0])) == 0;
}

static int
check_order(struct engine *e, struct wire_msg *m, struct oprec *o, char *err,
    size_t errlen)
{
	const uint8_t	*author, *body;
	size_t		 bodylen;
	uint64_t	 now = engine_unix_ms(), h;

	if (m->orderlen == 0) {
		snprintf(err, errlen, "changing node %s's backends from another "
		    "node needs an operator's signed order (RPN_OPERATOR_KEY)",
		    e->mesh.name);
		return -1;
	}
	if (env_open(m->order, m->orderlen, e->mesh.mesh_id, &author, &body,
	    &bodylen) == -1 || oprec_decode(body, bodylen, o) == -1 ||
	    o->kind != REC_ORDER) {
		snprintf(err, errlen, "the operator's order does not verify");
		return -1;
	}
	if (policy_may_sign(&e->mesh.pol, author, o, err, errlen) == -1)
		return -1;
	if (memcmp(o->subject, e->mesh.id, WIRE_KEY) != 0 ||
	    o->action != m->op || strcmp(o->name, m->svc.name) != 0 ||
	    (m->op == OP_ADD && !same_service(&o->svc, &m->svc))) {
		snprintf(err, errlen, "the request is not what the operator's "
		    "order says");
		return -1;
	}
	if (o->version + ORDER_WINDOW_MS < now ||
	    o->version > now + ORDER_WINDOW_MS) {
		snprintf(err, errlen, "the operator's order was signed more "
		    "than 300 s from this node's time");
		return -1;
	}
	h = hmap_hash(m->order, m->orderlen);
	for (uint32_t i = 0; i < 256; i++)
		if (e->orders_seen[i] == h) {
			snprintf(err, errlen, "the operator's order was carried "
			    "out already");
			return -1;
		}
	e->orders_seen[e->orders_pos++ % 256] = h;
	m->force = o->force;
	return 0;
}

/*
 * svcctl_remote - may a member's request change this node's backends?
 * Once the mesh has operators, only with an operator's order for this node
 * and exactly this change, signed within 300 s and not carried out before;
 * until then, as remote-services says.
 */
int
svcctl_remote(struct engine *e, struct wire_msg *m, char *err, size_t errlen)
{
	struct oprec	*o;
	int		 rc;

	if (!policy_governed(&e->mesh.pol)) {
		if (e->cfg.remote_services)
			return 0;
		snprintf(err, errlen, "node %s does not take service changes "
		    "from other members (remote-services no); run rpnctl there",
		    e->mesh.name);
		return -1;
	}
	if ((o = malloc(sizeof(*o))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = check_order(e, m, o, err, errlen);
	free(o);
	return rc;
}

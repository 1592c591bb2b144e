/* svcctl.c: adding and removing this node's own service backends, for rpnctl and for other members. */
#include <string.h>

#include "node/engine.h"
#include "node/log.h"
#include "proto/parse.h"

static const char *
proto_name(uint8_t p)
{
	return p == SVC_UDP ? "udp" : "tcp";
}

/*
 * svcctl_apply - op 1: sign a service record for a backend on this node;
 * op 2: sign its tombstone.  0, or -1 with the reason in err.
 */
int
svcctl_apply(struct engine *e, uint8_t op, const struct rec_service *s,
    char *err, size_t errlen)
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
	if (op == 1 && svc_check_add(&e->dp.svcs, &m->mb, m->id, s,
	    e->cfg.listen.port, err, errlen) == -1)
		return -1;
	buf_init(&body, WIRE_MAX_RECORD);
	if (op == 1)
		rc = rec_service_encode(&body, mesh_next_version(m,
		    engine_unix_ms()), s);
	else
		rc = rec_tombstone_encode(&body, REC_SERVICE,
		    mesh_next_version(m, engine_unix_ms()),
		    (const uint8_t *)s->name, strlen(s->name));
	if (rc == 0)
		rc = mesh_publish(m, body.p, body.len, engine_now(e));
	buf_release(&body);
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
	 * back from the mesh (engine.c, catch_up).
	 */
	engine_kick(e);
	return 0;
}

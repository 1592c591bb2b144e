/*
 * opview.c: what signing a statement needs to know of the mesh, read from
 * rpnd's msgpack replies (status, service list): the CLI reads the replies
 * it got over the control socket, the engine the ones it builds for the
 * HTTP API (node/engine/api.c), so both build the same statements.
 */
#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "proto/opview.h"
#include "proto/compat.h"
#include "proto/ctl.h"
#include "proto/parse.h"

int
out_str(const msgpack_object *map, const char *key, char *out, size_t cap)
{
	const msgpack_object	*o = ctl_map_get(map, key);
	size_t			 n;

	if (o == NULL || o->type != MSGPACK_OBJECT_STR || cap == 0) {
		if (cap)
			out[0] = '\0';
		return -1;
	}
	n = o->via.str.size < cap - 1 ? o->via.str.size : cap - 1;
	memcpy(out, o->via.str.ptr, n);
	out[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20)
			out[i] = '?';
	return 0;
}

int
out_u64(const msgpack_object *map, const char *key, uint64_t *v)
{
	const msgpack_object	*o = ctl_map_get(map, key);

	if (o == NULL || o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return -1;
	*v = o->via.u64;
	return 0;
}

int
out_bool(const msgpack_object *map, const char *key)
{
	const msgpack_object	*o = ctl_map_get(map, key);

	return o != NULL && o->type == MSGPACK_OBJECT_BOOLEAN && o->via.boolean;
}

const msgpack_object *
out_array(const msgpack_object *map, const char *key, uint32_t *n)
{
	const msgpack_object	*o = ctl_map_get(map, key);

	if (o == NULL || o->type != MSGPACK_OBJECT_ARRAY) {
		*n = 0;
		return NULL;
	}
	*n = o->via.array.size;
	return o->via.array.ptr;
}

/* A string of exactly 2 * len hex digits. */
static int
hex_exact(const msgpack_object *o, uint8_t *out, size_t len)
{
	size_t		 n;
	const char	*end;

	return o == NULL || o->type != MSGPACK_OBJECT_STR ||
	    o->via.str.size != 2 * len ||
	    sodium_hex2bin(out, len, o->via.str.ptr, o->via.str.size, NULL,
	    &n, &end) != 0 || n != len ||
	    end != o->via.str.ptr + o->via.str.size ? -1 : 0;
}

/* op_mesh_read - the mesh id, this node and whether the mesh has operators. */
int
op_mesh_read(const msgpack_object *status, struct op_mesh *m, char *err,
    size_t errlen)
{
	const msgpack_object	*node = ctl_map_get(status, "node");

	memset(m, 0, sizeof(*m));
	if (node == NULL || hex_exact(ctl_map_get(node, "id"), m->self,
	    WIRE_KEY) == -1) {
		snprintf(err, errlen, "rpnd's status has no node id");
		return -1;
	}
	if (hex_exact(ctl_map_get(node, "mesh"), m->mesh_id,
	    WIRE_MESH_ID) == -1) {
		snprintf(err, errlen, "this node is not in a mesh");
		return -1;
	}
	out_str(node, "name", m->self_name, sizeof(m->self_name));
	m->governed = out_bool(status, "governed");
	m->service_check = out_bool(status, "service_check");
	return 0;
}

/*
 * op_member_id - the id of the member called name in a status reply; one
 * that has not left first, since a name can come back on a new node.
 */
int
op_member_id(const msgpack_object *status, const char *name,
    uint8_t id[WIRE_KEY])
{
	const msgpack_object	*mv;
	uint32_t		 n;
	int			 found = 0;

	mv = out_array(status, "members", &n);
	for (uint32_t i = 0; i < n; i++) {
		char	 mname[WIRE_NAME_MAX + 1], state[16];
		uint8_t	 mid[WIRE_KEY];

		if (out_str(&mv[i], "name", mname, sizeof(mname)) == -1 ||
		    strcmp(mname, name) != 0 ||
		    hex_exact(ctl_map_get(&mv[i], "id"), mid, WIRE_KEY) == -1)
			continue;
		memcpy(id, mid, WIRE_KEY);
		out_str(&mv[i], "state", state, sizeof(state));
		if (strcmp(state, "left") != 0)
			return 0;
		found = 1;
	}
	/* id holds the last one that left: the best there is. */
	return found ? 0 : -1;
}

/* op_member_name - the name status gives id, or its first 8 hex digits. */
void
op_member_name(const msgpack_object *status, const uint8_t id[WIRE_KEY],
    char *out, size_t cap)
{
	const msgpack_object	*mv;
	uint32_t		 n;
	char			 hex[2 * WIRE_KEY + 1];

	mv = out_array(status, "members", &n);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t	 mid[WIRE_KEY];

		if (hex_exact(ctl_map_get(&mv[i], "id"), mid, WIRE_KEY) == 0 &&
		    memcmp(mid, id, WIRE_KEY) == 0 &&
		    out_str(&mv[i], "name", out, cap) == 0 && out[0] != '\0')
			return;
	}
	fmt_hex(hex, id, WIRE_KEY);
	snprintf(out, cap, "%.8s", hex);
}

const msgpack_object *
op_service_find(const msgpack_object *svcs, uint32_t n, const char *name)
{
	for (uint32_t i = 0; i < n; i++) {
		char	 s[WIRE_NAME_MAX + 1];

		if (out_str(&svcs[i], "name", s, sizeof(s)) == 0 &&
		    strcmp(s, name) == 0)
			return &svcs[i];
	}
	return NULL;
}

/* op_services_read - the services and the unserved grants of a service list reply. */
void
op_services_read(const msgpack_object *list, struct op_services *v)
{
	memset(v, 0, sizeof(*v));
	if (list == NULL)
		return;
	v->svcs = out_array(list, "services", &v->n);
	v->grants = out_array(list, "grants", &v->ngrants);
}

/*
 * The service object of name, else the object of a grant of name that no
 * backend serves (*unserved set), else NULL.
 */
static const msgpack_object *
service_or_grant(const struct op_services *v, const char *name, int *unserved)
{
	const msgpack_object	*o;

	*unserved = 0;
	if (v == NULL)
		return NULL;
	if ((o = op_service_find(v->svcs, v->n, name)) != NULL)
		return o;
	if ((o = op_service_find(v->grants, v->ngrants, name)) != NULL)
		*unserved = 1;
	return o;
}

static int
prefix_listed(const struct wire_prefix *p, const struct wire_prefix *v, int n)
{
	for (int i = 0; i < n; i++)
		if (memcmp(&v[i], p, sizeof(*p)) == 0)
			return 1;
	return 0;
}

/* op_grant_same_access - a and b give the same protocol, port and access. */
int
op_grant_same_access(const struct oprec *a, const struct oprec *b)
{
	if (a->svc.proto != b->svc.proto || a->svc.port != b->svc.port ||
	    !a->svc.public != !b->svc.public)
		return 0;
	for (int i = 0; i < a->svc.nallow; i++)
		if (!prefix_listed(&a->svc.allow[i], b->svc.allow,
		    b->svc.nallow))
			return 0;
	for (int i = 0; i < b->svc.nallow; i++)
		if (!prefix_listed(&b->svc.allow[i], a->svc.allow,
		    a->svc.nallow))
			return 0;
	return 1;
}

int
op_grant_owner(const struct oprec *g, const uint8_t id[WIRE_KEY])
{
	for (int i = 0; i < g->nowners; i++)
		if (memcmp(g->owners[i], id, WIRE_KEY) == 0)
			return 1;
	return 0;
}

/* op_grant_add_owner - id becomes an owner; -1 when a grant holds no more. */
int
op_grant_add_owner(struct oprec *g, const uint8_t id[WIRE_KEY])
{
	if (op_grant_owner(g, id))
		return 0;
	if (g->nowners == OPREC_MAX_OWNERS)
		return -1;
	memcpy(g->owners[g->nowners++], id, WIRE_KEY);
	return 0;
}

static int
member_revoked(const msgpack_object *status, const char *name)
{
	const msgpack_object	*mv;
	uint32_t		 n;

	mv = out_array(status, "members", &n);
	for (uint32_t i = 0; i < n; i++) {
		char	 mname[WIRE_NAME_MAX + 1], state[16];

		out_str(&mv[i], "name", mname, sizeof(mname));
		out_str(&mv[i], "state", state, sizeof(state));
		if (strcmp(mname, name) == 0 && strcmp(state, "revoked") == 0)
			return 1;
	}
	return 0;
}

/*
 * grant_access - the protocol, port and access of a service object (what
 * its backends ask) or of its "grant" object (what the grant gives) into
 * g, whose name is set.  0, or -1 with err.
 */
static int
grant_access(const msgpack_object *from, struct oprec *g, char *err,
    size_t errlen)
{
	const msgpack_object	*v;
	char			 proto[8], pfx[64];
	const char		*why;
	uint64_t		 port = 0;
	uint32_t		 n;

	out_str(from, "proto", proto, sizeof(proto));
	out_u64(from, "port", &port);
	g->svc.proto = strcmp(proto, "tcp") == 0 ? SVC_TCP :
	    strcmp(proto, "udp") == 0 ? SVC_UDP : 0;
	if (g->svc.proto == 0 || port == 0 || port > 65535) {
		snprintf(err, errlen, "service %s has no protocol and port "
		    "now", g->name);
		return -1;
	}
	g->svc.port = (uint16_t)port;
	g->svc.public = out_bool(from, "public");
	g->svc.nallow = 0;
	v = out_array(from, "allow", &n);
	if (n > WIRE_MAX_ALLOW) {
		snprintf(err, errlen, "service %s: more than %d --allow "
		    "prefixes", g->name, WIRE_MAX_ALLOW);
		return -1;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (v[i].type != MSGPACK_OBJECT_STR ||
		    v[i].via.str.size >= sizeof(pfx)) {
			snprintf(err, errlen, "service %s: an --allow prefix "
			    "that is not a string", g->name);
			return -1;
		}
		memcpy(pfx, v[i].via.str.ptr, v[i].via.str.size);
		pfx[v[i].via.str.size] = '\0';
		if (parse_prefix(pfx, &g->svc.allow[g->svc.nallow], &why) ==
		    -1) {
			snprintf(err, errlen, "service %s: --allow %s: %s",
			    g->name, pfx, why);
			return -1;
		}
		g->svc.nallow++;
	}
	return 0;
}

/* The "grant" object of a service object, or NULL when none governs it. */
static const msgpack_object *
grant_obj(const msgpack_object *svc)
{
	const msgpack_object	*o = ctl_map_get(svc, "grant");

	return o != NULL && o->type == MSGPACK_OBJECT_MAP ? o : NULL;
}

/*
 * grant_start - a fresh grant g of a service object: its name, and the
 * protocol, port and access of the grant that governs it, or else what
 * its backends ask.  0, or -1 with err.
 */
static int
grant_start(const msgpack_object *svc, struct oprec *g, char *err,
    size_t errlen)
{
	const msgpack_object	*grant = grant_obj(svc);

	memset(g, 0, sizeof(*g));
	g->kind = REC_GRANT;
	if (out_str(svc, "name", g->name, sizeof(g->name)) == -1 ||
	    !wire_name_ok(g->name)) {
		snprintf(err, errlen, "a service without a usable name");
		return -1;
	}
	strlcpy(g->svc.name, g->name, sizeof(g->svc.name));
	return grant_access(grant != NULL ? grant : svc, g, err, errlen);
}

/*
 * op_grant_now - the grant that governs the service now, exactly (its own
 * access and owners), or, when none does, its withdrawal: what to put
 * back when a change made for an add is not wanted after all.  0, or -1
 * with err.
 */
int
op_grant_now(const msgpack_object *svc, struct oprec *g, char *err,
    size_t errlen)
{
	const msgpack_object	*v;
	uint32_t		 n;

	if (grant_start(svc, g, err, errlen) == -1)
		return -1;
	if (grant_obj(svc) == NULL) {
		g->svc.public = 0;
		g->svc.nallow = 0;
		g->withdrawn = 1;
		return 0;
	}
	v = out_array(svc, "granted", &n);
	for (uint32_t i = 0; i < n && g->nowners < OPREC_MAX_OWNERS; i++)
		if (hex_exact(&v[i], g->owners[g->nowners], WIRE_KEY) == 0)
			g->nowners++;
	g->withdrawn = g->nowners == 0;
	return 0;
}

/*
 * op_grant_from_service - a grant of the service as a service list or
 * show reply has it now: its protocol, port and access (the grant's, when
 * one governs it; else what its backends ask), and as owners the nodes the
 * grant names and its backends' nodes (those the status reply names, but
 * revoked ones).
 */
int
op_grant_from_service(const msgpack_object *svc, const msgpack_object *status,
    struct oprec *g, char *err, size_t errlen)
{
	const msgpack_object	*v;
	char			 s[WIRE_NAME_MAX + 1];
	uint32_t		 n;

	if (grant_start(svc, g, err, errlen) == -1)
		return -1;
	/* The nodes a grant names already, backend or not yet. */
	v = out_array(svc, "granted", &n);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t	 id[WIRE_KEY];

		if (hex_exact(&v[i], id, WIRE_KEY) == -1)
			continue;
		op_member_name(status, id, s, sizeof(s));
		if (member_revoked(status, s))
			continue;
		if (op_grant_add_owner(g, id) == -1) {
			snprintf(err, errlen, "service %s has more than %d "
			    "owners, more than a grant names", g->name,
			    OPREC_MAX_OWNERS);
			return -1;
		}
	}
	v = out_array(svc, "backends", &n);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t	 id[WIRE_KEY];

		/*
		 * "?": its author is no member; revoked: it is never served
		 * again.  Neither is granted anything.
		 */
		if (out_str(&v[i], "node", s, sizeof(s)) == -1 ||
		    member_revoked(status, s) ||
		    op_member_id(status, s, id) == -1)
			continue;
		if (op_grant_add_owner(g, id) == -1) {
			snprintf(err, errlen, "service %s has more than %d "
			    "owners, more than a grant names", g->name,
			    OPREC_MAX_OWNERS);
			return -1;
		}
	}
	return 0;
}

/* op_access_describe - "private", "public", "allow 203.0.113.0/24", "public, allow ..." */
void
op_access_describe(const struct oprec *g, char *out, size_t cap)
{
	size_t	 len;
	char	 pfx[64];

	snprintf(out, cap, "%s", g->svc.public ? (g->svc.nallow > 0 ?
	    "public, allow" : "public") : g->svc.nallow > 0 ? "allow" :
	    "private");
	for (int i = 0; i < g->svc.nallow; i++) {
		fmt_prefix(pfx, sizeof(pfx), &g->svc.allow[i]);
		len = strlen(out);
		snprintf(out + len, cap - len, " %s", pfx);
	}
}

/* op_grant_describe - "web tcp/8080, allow 203.0.113.0/24, owners sitea siteb" */
void
op_grant_describe(const struct oprec *g, const msgpack_object *status,
    char *out, size_t cap)
{
	size_t	 len;
	char	 name[WIRE_NAME_MAX + 1];

	snprintf(out, cap, "%s %s/%u, ", g->name,
	    g->svc.proto == SVC_UDP ? "udp" : "tcp", g->svc.port);
	len = strlen(out);
	op_access_describe(g, out + len, cap - len);
	len = strlen(out);
	snprintf(out + len, cap - len, ", %s", g->nowners == 0 ? "no owners" :
	    "owners");
	for (int i = 0; i < g->nowners; i++) {
		op_member_name(status, g->owners[i], name, sizeof(name));
		len = strlen(out);
		snprintf(out + len, cap - len, " %s", name);
	}
}

/* request_access - the access the add r asks, into g. */
static void
request_access(const struct ctl_req *r, struct oprec *g)
{
	g->svc.public = r->public;
	g->svc.nallow = r->nallow;
	memcpy(g->svc.allow, r->allow, r->nallow * sizeof(r->allow[0]));
}

/* request_grant - a grant of what the add r asks: its name, protocol, port and access; no owners. */
static void
request_grant(const struct ctl_req *r, struct oprec *g)
{
	memset(g, 0, sizeof(*g));
	g->kind = REC_GRANT;
	strlcpy(g->name, r->name, sizeof(g->name));
	strlcpy(g->svc.name, r->name, sizeof(g->svc.name));
	g->svc.proto = r->proto;
	g->svc.port = r->port;
	request_access(r, g);
}

/*
 * service_grant - the grant an add needs first, if any: for access wider
 * than private (owners as now and the new one, the protocol, port and
 * access asked for), or for a new owner of a name another node serves (its
 * access as now).  A name that has a grant but no backend (its service was
 * deleted, the grant stayed) is defined anew, and its grant with it: the
 * protocol, port and access asked for, whatever the grant gave, with its
 * owners and the new one; so a grant left behind never makes the new
 * service wider than asked.  *was: the grant as it is now, or its
 * withdrawal when none governs the name, to put back if the add is
 * refused.  0 with *need set, or -1 with err.
 */
static int
service_grant(const struct ctl_req *r, const msgpack_object *status,
    const struct op_services *v, const uint8_t owner[WIRE_KEY],
    struct oprec *g, struct oprec *was, int *need, char *err, size_t errlen)
{
	const msgpack_object	*svc;
	uint64_t		 port = 0;
	int			 wide = r->public || r->nallow > 0, unserved;

	*need = 0;
	svc = service_or_grant(v, r->name, &unserved);
	/* A name whose backends all lost their port is defined anew. */
	if (svc != NULL && !unserved &&
	    (out_u64(svc, "port", &port) == -1 || port == 0))
		svc = NULL;
	if (svc != NULL && unserved) {
		if (op_grant_from_service(svc, status, g, err, errlen) == -1 ||
		    op_grant_now(svc, was, err, errlen) == -1)
			return -1;
		g->svc.proto = r->proto;
		g->svc.port = r->port;
		request_access(r, g);
		if (op_grant_owner(g, owner) && !was->withdrawn &&
		    op_grant_same_access(g, was))
			return 0;
	} else if (svc != NULL) {
		if (op_grant_from_service(svc, status, g, err, errlen) == -1)
			return -1;
		if (g->svc.proto != r->proto || g->svc.port != r->port) {
			snprintf(err, errlen, "service %s is %s/%u; every "
			    "backend must use the same protocol and port",
			    r->name, g->svc.proto == SVC_UDP ? "udp" : "tcp",
			    g->svc.port);
			return -1;
		}
		if (!wide && (g->nowners == 0 || op_grant_owner(g, owner)))
			return 0;
		if (op_grant_now(svc, was, err, errlen) == -1)
			return -1;
	} else {
		if (!wide)
			return 0;
		request_grant(r, g);
		*was = *g;
		was->withdrawn = 1;
		was->svc.public = 0;
		was->svc.nallow = 0;
	}
	if (wide)
		request_access(r, g);
	if (op_grant_add_owner(g, owner) == -1) {
		snprintf(err, errlen, "service %s has %d owners, as many as a "
		    "grant names", r->name, OPREC_MAX_OWNERS);
		return -1;
	}
	*need = 1;
	return 0;
}

/*
 * last_backend - the del r takes out the last backend of a service a
 * grant governs (owner_name's is the only one shown): w gets that grant's
 * withdrawal, for the requester to name what stays.  1, or 0 when the
 * service stays or no grant governs it.
 */
static int
last_backend(const struct ctl_req *r, const struct op_services *v,
    const char *owner_name, struct oprec *w)
{
	const msgpack_object	*svc, *b;
	char			 node[WIRE_NAME_MAX + 1], err[200];
	uint32_t		 n;
	int			 unserved;

	if ((svc = service_or_grant(v, r->name, &unserved)) == NULL ||
	    unserved || grant_obj(svc) == NULL)
		return 0;
	b = out_array(svc, "backends", &n);
	if (n != 1 || out_str(&b[0], "node", node, sizeof(node)) == -1 ||
	    strcmp(node, owner_name) != 0)
		return 0;
	if (op_grant_now(svc, w, err, sizeof(err)) == -1)
		return 0;
	w->nowners = 0;
	w->withdrawn = 1;
	return 1;
}

/*
 * op_service_plan - what a service add or del (CTL_SERVICE_ADD/DEL) needs
 * signed once the mesh has operators: a grant first, and with another
 * node named an order to that node, which rpnd carries there with the
 * request.  A del of the last backend of a name a grant governs sets
 * p->last: the grant stays, and the requester says so (a later add must
 * ask its access, svc_grant_asked(); rpnctl service revoke-grant withdraws
 * it).  It is not withdrawn with the del: a service moved by an add on one
 * node and a del on another would lose its grant whenever the del's node
 * had not yet seen the new backend.  Until the mesh has operators, nothing: members
 * rule.  status is a status reply, v a service list (NULL: none read);
 * has_key: the requester can sign (without one, a private add here goes
 * ahead unsigned and rpnd says what is missing).  Versions are left 0 for
 * the signer to set.  0, or -1 with err.
 */
int
op_service_plan(const struct ctl_req *r, const msgpack_object *status,
    const struct op_services *v, int has_key, struct op_plan *p,
    char *err, size_t errlen)
{
	struct op_mesh	 m;
	uint8_t		 owner[WIRE_KEY];
	int		 add = r->cmd == CTL_SERVICE_ADD, remote, wide;

	memset(p, 0, sizeof(*p));
	remote = r->node[0] != '\0';
	wide = add && (r->public || r->nallow > 0);
	if (op_mesh_read(status, &m, err, errlen) == -1)
		return -1;
	/* Naming this node is leaving --node out, as rpnd has it. */
	if (remote && strcmp(r->node, m.self_name) == 0)
		remote = 0;
	if (!m.governed)
		return 0;
	if (!add && last_backend(r, v, remote ? r->node : m.self_name,
	    &p->withdraw))
		p->last = 1;
	if (!remote && !add)
		return 0;
	/*
	 * A private add here needs a grant only when another node serves the
	 * name, or a grant no backend serves gives it other access; whoever
	 * holds an operator key gives it with the add.
	 */
	if (!remote && !wide && !has_key)
		return 0;
	p->needs_key = 1;
	if (!remote)
		memcpy(owner, m.self, WIRE_KEY);
	else if (op_member_id(status, r->node, owner) == -1) {
		snprintf(err, errlen, "no member is named \"%s\"", r->node);
		return -1;
	}
	if (add && service_grant(r, status, v, owner, &p->grant,
	    &p->was, &p->need_grant, err, errlen) == -1)
		return -1;
	if (remote) {
		struct oprec	*o = &p->order;

		p->need_order = 1;
		o->kind = REC_ORDER;
		memcpy(o->subject, owner, WIRE_KEY);
		strlcpy(o->name, r->name, sizeof(o->name));
		o->action = add ? OP_ADD : OP_DEL;
		o->force = (uint8_t)(r->force != 0);
		/* The service exactly as the request carries it: rpnd compares. */
		if (add) {
			strlcpy(o->svc.name, r->name, sizeof(o->svc.name));
			o->svc.proto = r->proto;
			o->svc.port = r->port;
			o->svc.target = r->target;
			o->svc.nallow = r->nallow;
			memcpy(o->svc.allow, r->allow, sizeof(o->svc.allow));
			o->svc.public = r->public;
		}
	}
	/* A key is loaded only for what is signed. */
	p->needs_key = p->need_grant || p->need_order;
	return 0;
}

/*
 * op_add_access - the access a service gets from the add r planned as p:
 * the grant signed first, else the grant that governs the name (served or
 * not), which decides it whatever the add asks; else what the add asks.
 * g gets it (svc.public, svc.allow; a grant's owners).  1 when it is a
 * grant's, 0 when it is the add's own.
 */
int
op_add_access(const struct ctl_req *r, const struct op_services *v,
    const struct op_plan *p, struct oprec *g)
{
	const msgpack_object	*svc;
	char			 err[200];
	int			 unserved;

	if (p->need_grant) {
		*g = p->grant;
		return 1;
	}
	if ((svc = service_or_grant(v, r->name, &unserved)) != NULL &&
	    grant_obj(svc) != NULL && op_grant_now(svc, g, err,
	    sizeof(err)) == 0 && !g->withdrawn)
		return 1;
	request_grant(r, g);
	return 0;
}

/*
 * op_grant_change - rpnctl service grant|revoke-grant NAME NODE: the
 * service's grant as it is now (owners: its backends' nodes and the nodes
 * it names), with NODE an owner or not; also of a name that a grant
 * governs and no backend serves.  When no owner is left, the grant is
 * withdrawn: the service is private again.  0, or -1 with err (*notfound
 * set when neither the service nor a grant of it, or the node, exists).
 */
int
op_grant_change(const msgpack_object *status, const struct op_services *v,
    const char *name, const char *node, int revoke, struct oprec *g,
    int *notfound, char *err, size_t errlen)
{
	const msgpack_object	*svc;
	uint8_t			 id[WIRE_KEY];
	int			 unserved;	/* the same either way */

	*notfound = 0;
	/* A grant no backend serves keeps its protocol, port and access. */
	if ((svc = service_or_grant(v, name, &unserved)) == NULL) {
		*notfound = 1;
		snprintf(err, errlen, "no service is named \"%s\"%s", name,
		    revoke ? "" : " (service add NAME ... --node NODE grants "
		    "it as it adds it)");
		return -1;
	}
	if (op_member_id(status, node, id) == -1) {
		*notfound = 1;
		snprintf(err, errlen, "no member is named \"%s\"", node);
		return -1;
	}
	if (op_grant_from_service(svc, status, g, err, errlen) == -1)
		return -1;
	if (!revoke && op_grant_add_owner(g, id) == -1) {
		snprintf(err, errlen, "service %s has %d owners, as many as a "
		    "grant names", name, OPREC_MAX_OWNERS);
		return -1;
	}
	if (revoke) {
		if (!op_grant_owner(g, id)) {
			snprintf(err, errlen, "%s is not an owner of service %s",
			    node, name);
			return -1;
		}
		for (int i = 0, j = 0; i < g->nowners; i++)
			if (memcmp(g->owners[i], id, WIRE_KEY) != 0)
				memmove(g->owners[j++], g->owners[i], WIRE_KEY);
		g->nowners--;
		g->withdrawn = g->nowners == 0;
	}
	return 0;
}

/* op_operator_key - the key of the active operator called name in an operators reply. */
int
op_operator_key(const msgpack_object *operators, const char *name,
    uint8_t key[WIRE_KEY])
{
	const msgpack_object	*ops;
	uint32_t		 n;

	ops = out_array(operators, "operators", &n);
	for (uint32_t i = 0; i < n; i++) {
		char	 s[80], state[16], k[64];

		out_str(&ops[i], "name", s, sizeof(s));
		out_str(&ops[i], "state", state, sizeof(state));
		out_str(&ops[i], "key", k, sizeof(k));
		if (strcmp(s, name) == 0 && strcmp(state, "active") == 0 &&
		    oprec_pubkey_parse(k, key) == 0)
			return 0;
	}
	return -1;
}

/*
 * opview.h: rpnd's msgpack replies read for signing (opview.c): typed
 * lookups, the mesh a status names, its members, and a service's grant as
 * it stands, shared by rpnctl and the engine's HTTP API.
 */
#ifndef RPN_OPVIEW_H
#define RPN_OPVIEW_H

#include <stddef.h>
#include <stdint.h>
#include <msgpack.h>

#include "proto/oprec.h"
#include "proto/wire.h"

/* Typed lookups in a reply's map; -1 (or NULL, n = 0) when absent or mistyped. */
int	out_str(const msgpack_object *map, const char *key, char *out, size_t cap);
int	out_u64(const msgpack_object *map, const char *key, uint64_t *);
int	out_bool(const msgpack_object *map, const char *key);
const msgpack_object *out_array(const msgpack_object *map, const char *key,
	    uint32_t *n);

/* What signing needs to know of the mesh, from a status reply. */
struct op_mesh {
	uint8_t		 mesh_id[WIRE_MESH_ID];
	uint8_t		 self[WIRE_KEY];
	char		 self_name[WIRE_NAME_MAX + 1];
	int		 governed;
	int		 service_check;	/* rpnd answers CTL_SERVICE_CHECK */
};

int	op_mesh_read(const msgpack_object *status, struct op_mesh *,
	    char *err, size_t errlen);
int	op_member_id(const msgpack_object *status, const char *name,
	    uint8_t id[WIRE_KEY]);
void	op_member_name(const msgpack_object *status, const uint8_t id[WIRE_KEY],
	    char *out, size_t cap);
const msgpack_object *op_service_find(const msgpack_object *services,
	    uint32_t n, const char *name);
int	op_grant_from_service(const msgpack_object *svc,
	    const msgpack_object *status, struct oprec *, char *err,
	    size_t errlen);
int	op_grant_now(const msgpack_object *svc, struct oprec *, char *err,
	    size_t errlen);
int	op_grant_owner(const struct oprec *, const uint8_t id[WIRE_KEY]);
int	op_grant_add_owner(struct oprec *, const uint8_t id[WIRE_KEY]);
void	op_access_describe(const struct oprec *, char *out, size_t cap);
void	op_grant_describe(const struct oprec *, const msgpack_object *status,
	    char *out, size_t cap);


struct ctl_req;

/*
 * A service list reply, read for signing: its services, and the grants
 * of names no backend serves (each with name, granted and grant, as a
 * service object has them).
 */
struct op_services {
	const msgpack_object	*svcs;
	uint32_t		 n;
	const msgpack_object	*grants;
	uint32_t		 ngrants;
};

void	op_services_read(const msgpack_object *list, struct op_services *);
int	op_grant_same_access(const struct oprec *, const struct oprec *);

/* What a service add or del needs signed (op_service_plan). */
struct op_plan {
	int		 needs_key;	/* an operator must sign something */
	int		 need_grant;
	struct oprec	 grant;		/* submitted first */
	struct oprec	 was;		/* the grant before: put back if the
					   add is refused (withdrawn if none) */
	int		 need_order;
	struct oprec	 order;		/* travels with the request */
	int		 last;		/* del: the last backend of a name a
					   grant governs goes; the grant stays */
	struct oprec	 withdraw;	/* ... and what its withdrawal would
					   be (revoke-grant's, not submitted) */
};

int	op_service_plan(const struct ctl_req *, const msgpack_object *status,
	    const struct op_services *, int has_key, struct op_plan *,
	    char *err, size_t errlen);
int	op_add_access(const struct ctl_req *, const struct op_services *,
	    const struct op_plan *, struct oprec *);
int	op_grant_change(const msgpack_object *status,
	    const struct op_services *, const char *name, const char *node,
	    int revoke, struct oprec *, int *notfound, char *err,
	    size_t errlen);
int	op_operator_key(const msgpack_object *operators, const char *name,
	    uint8_t key[WIRE_KEY]);

#endif

/* services.h: the mesh's services and, per (protocol, port), what this node forwards where. */
#ifndef RPN_SERVICES_H
#define RPN_SERVICES_H

#include <stdint.h>

#include "node/core/hmap.h"
#include "node/core/membership.h"
#include "node/core/policy.h"
#include "proto/wire.h"

#define SVC_MAX_BACKENDS	16
/* The most ports kept marked room for once none is (svc_table_take_dirty()). */
#define SVC_DIRTY_KEEP		4096

/*
 * One owner's record for a service, kept small (100k services must fit in
 * a few tens of MB): the owner forwards to target; prefixes are on the heap
 * only when there are any.  The owner's key is named by its index in the
 * table's owner ids (svc_owner_id()): 56 bytes an owner, not 88 with the
 * key itself, which is the same key for all of one node's services.
 */
struct svc_owner {
	uint64_t		 version;
	uint64_t		 health_since;	/* unix ms */
	struct wire_prefix	*allow;
	struct wire_addr	 target;
	uint16_t		 port;
	uint8_t			 proto;
	uint8_t			 public;
	uint8_t			 nallow;
	uint8_t			 health;	/* enum svc_health, from its record */
	uint32_t		 idx;		/* svc_owner_id() */
};

/*
 * A service has one owner, seldom more: the first is held in the entry
 * (one allocation of 96 bytes with a short name, not 48 and 64), and
 * owners points at it until a second one needs an array.
 */
struct svc {
	struct svc_owner	 one;
	struct svc_owner	*owners;	/* &one, or an array on the heap */
	uint32_t		 nowners;
	uint32_t		 cap;
	uint32_t		 key;		/* port key it was last indexed under */
	char			 name[];	/* sized to the name */
};

enum plan_mode {
	PLAN_NONE,	/* no backend: nothing is forwarded */
	PLAN_LOCAL,	/* this node owns it: forward to its own target */
	PLAN_REMOTE,	/* forward to the alive owners' mesh addresses */
};

/* What this node programs for one (protocol, port). */
struct svc_plan {
	uint8_t			 proto;
	uint16_t		 port;
	uint8_t			 mode;		/* enum plan_mode */
	uint8_t			 conflict;	/* this node listens on the port */
	uint8_t			 panic;		/* no backend is healthy: all get traffic */
	uint8_t			 stale;		/* no owner is up: the failed ones keep it */
	uint8_t			 nbackends;
	struct wire_addr	 backends[SVC_MAX_BACKENDS];
	int			 public;
	uint8_t			 nallow;
	struct wire_prefix	 allow[WIRE_MAX_ALLOW];
	char			 name[WIRE_NAME_MAX + 1];
};

struct svc_table {
	struct svc		**v;
	uint32_t		 n;
	uint32_t		 cap;
	struct hmap		 byname;
	struct hmap		 byport;	/* port key -> services, several on a conflict */
	uint32_t		*dirty;		/* port keys to plan again */
	uint32_t		 ndirty;
	uint32_t		 capdirty;
	struct hmap		 dirtyidx;
	/* The mesh's policy: who may own a name, and its access (may be NULL). */
	const struct policy	*pol;
	/*
	 * The owners' keys, each held once (interned), by index: idrefs
	 * counts the owners naming one, and an index no owner names (0) is
	 * free for the next new key.
	 */
	uint8_t			(*ids)[WIRE_KEY];
	uint32_t		*idrefs;
	uint32_t		 nids;
	uint32_t		 capids;
	uint32_t		 capidrefs;
	uint32_t		 freeids;	/* indexes with no owner */
	struct hmap		 byid;
};

/* svc_owner_id - the owner's key. */
static inline const uint8_t *
svc_owner_id(const struct svc_table *t, const struct svc_owner *o)
{
	return t->ids[o->idx];
}

static inline uint32_t
svc_key(uint8_t proto, uint16_t port)
{
	return (uint32_t)proto << 16 | port;
}

void	svc_table_init(struct svc_table *);
void	svc_table_release(struct svc_table *);
int	svc_table_set(struct svc_table *, const uint8_t author[WIRE_KEY],
	    uint64_t version, const struct rec_service *);
void	svc_table_del(struct svc_table *, const uint8_t author[WIRE_KEY],
	    const char *name);
void	svc_table_drop_author(struct svc_table *, const uint8_t author[WIRE_KEY]);
void	svc_table_touch_author(struct svc_table *, const uint8_t author[WIRE_KEY]);
void	svc_table_touch_all(struct svc_table *);
struct svc *svc_table_get(const struct svc_table *, const char *name);
const struct svc_owner *svc_def(const struct svc_table *, const struct svc *,
	    const struct membership *);
const struct svc *svc_for_key(const struct svc_table *, uint32_t key,
	    const struct membership *);
void	svc_plan_key(const struct svc_table *, uint32_t key,
	    const struct membership *, int local_conflict, struct svc_plan *);
int	svc_table_set_health(struct svc_table *, const uint8_t author[WIRE_KEY],
	    const char *name, uint8_t health, uint64_t since);
int	svc_health_ok(uint8_t health);
int	svc_target_ok(const struct wire_addr *, char *err, size_t errlen);
uint32_t svc_table_take_dirty(struct svc_table *, uint32_t *out, uint32_t max);
int	svc_owner_usable(const struct membership *, const uint8_t id[WIRE_KEY]);
int	svc_check_add(const struct svc_table *, const struct membership *,
	    const uint8_t owner[WIRE_KEY], const struct rec_service *,
	    uint16_t reserved_port, char *err, size_t errlen);
int	svc_policy_check(const struct svc_table *, const struct membership *,
	    const uint8_t author[WIRE_KEY], const struct rec_service *,
	    char *err, size_t errlen);
int	svc_grant_asked(const struct svc_table *, const struct membership *,
	    const struct rec_service *, char *err, size_t errlen);
int	svc_management_port(uint8_t proto, uint16_t port);
int	svc_owner_serving(const struct membership *, const uint8_t id[WIRE_KEY]);

#endif

/*
 * policy.h: who may change the mesh, derived from the operator statements
 * a node holds: the enrolled operators, service grants, revoked nodes and
 * approved LAN prefixes.  Pure: rebuilt from the store, so every node that
 * holds the same statements derives the same policy.
 */
#ifndef RPN_POLICY_H
#define RPN_POLICY_H

#include <stdint.h>

#include "node/core/store.h"
#include "proto/oprec.h"

struct operator {
	uint8_t		 key[WIRE_KEY];
	char		 name[WIRE_NAME_MAX + 1];
	int		 active;
	uint64_t	 since;		/* version of the statement that enrolled it */
	uint64_t	 removed;	/* version of its removal, 0: none */
	uint8_t		 by[WIRE_KEY];	/* who enrolled it (the root or an operator) */
};

struct revocation {
	uint8_t		 node[WIRE_KEY];
	char		 name[WIRE_NAME_MAX + 1];
	uint64_t	 at;		/* unix ms */
	uint8_t		 by[WIRE_KEY];
};

struct policy {
	uint8_t		 root[WIRE_KEY];
	struct operator	*ops;
	uint32_t	 nops, capops;
	uint32_t	 nactive;
	struct oprec	*grants;	/* the newest valid grant per service */
	uint32_t	 ngrants, capgrants;
	struct revocation *revs;
	uint32_t	 nrevs, caprevs;
	struct oprec	*approvals;	/* the newest valid approval per node */
	uint32_t	 napprovals, capapprovals;
	uint64_t	 generation;	/* rises with every rebuild that changed it */
};

void	policy_init(struct policy *, const uint8_t root[WIRE_KEY]);
void	policy_release(struct policy *);
int	policy_rebuild(struct policy *, const struct store *);

/* Governed: an operator was ever enrolled.  Until then members rule. */
int	policy_governed(const struct policy *);
const struct operator *policy_operator(const struct policy *,
	    const uint8_t key[WIRE_KEY]);
const struct operator *policy_operator_named(const struct policy *,
	    const char *name);
int	policy_may_sign(const struct policy *, const uint8_t author[WIRE_KEY],
	    const struct oprec *, char *err, size_t errlen);
const struct revocation *policy_revoked(const struct policy *,
	    const uint8_t node[WIRE_KEY]);
const struct oprec *policy_grant(const struct policy *, const char *service);
int	policy_granted(const struct oprec *, const uint8_t node[WIRE_KEY]);
int	policy_lan_approved(const struct policy *, const uint8_t node[WIRE_KEY],
	    const struct wire_prefix *);

#endif

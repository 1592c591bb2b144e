/* services.c: service records grouped by name and by port; the forwarding plan per port. */
#include <stdlib.h>
#include <string.h>

#include "node/core/array.h"
#include "node/core/services.h"
#include <stdio.h>

#include "proto/compat.h"
#include "proto/parse.h"

void
svc_table_init(struct svc_table *t)
{
	memset(t, 0, sizeof(*t));
	hmap_init(&t->byname);
	hmap_init(&t->byport);
	hmap_init(&t->dirtyidx);
	hmap_init(&t->byid);
}

struct id_ctx {
	const struct svc_table	*t;
	const uint8_t		*id;
};

static int
id_eq(const void *ctx, uint32_t i)
{
	const struct id_ctx	*c = ctx;

	return memcmp(c->t->ids[i], c->id, WIRE_KEY) == 0;
}

static uint64_t
id_rehash(const void *ctx, uint32_t i)
{
	const struct svc_table	*t = ctx;

	return hmap_hash(t->ids[i], WIRE_KEY);
}

/* id_hold - the index of id among the owners' keys, held once more. */
static uint32_t
id_hold(struct svc_table *t, const uint8_t id[WIRE_KEY])
{
	struct id_ctx	 c = { t, id };
	uint64_t	 h = hmap_hash(id, WIRE_KEY);
	uint32_t	 i = hmap_find(&t->byid, h, id_eq, &c);

	if (i != HMAP_EMPTY) {
		t->idrefs[i]++;
		return i;
	}
	if (t->freeids > 0) {
		for (i = 0; i < t->nids && t->idrefs[i] != 0; i++)
			;
		if (i == t->nids)	/* freeids was wrong */
			return HMAP_EMPTY;
	} else {
		if (array_reserve(&t->ids, &t->capids, t->nids + 1,
		    sizeof(*t->ids)) == -1 ||
		    array_reserve(&t->idrefs, &t->capidrefs, t->nids + 1,
		    sizeof(*t->idrefs)) == -1)
			return HMAP_EMPTY;
		i = t->nids;
	}
	if (hmap_put(&t->byid, h, i, id_rehash, t) == -1)
		return HMAP_EMPTY;
	if (i == t->nids)
		t->nids++;
	else
		t->freeids--;
	memcpy(t->ids[i], id, WIRE_KEY);
	t->idrefs[i] = 1;
	return i;
}

/* id_drop - one owner fewer names the key at i; with none, i is free. */
static void
id_drop(struct svc_table *t, uint32_t i)
{
	if (--t->idrefs[i] > 0)
		return;
	hmap_del(&t->byid, hmap_hash(t->ids[i], WIRE_KEY), i);
	t->freeids++;
}

static int
owner_is(const struct svc_table *t, const struct svc_owner *o,
    const uint8_t id[WIRE_KEY])
{
	return memcmp(svc_owner_id(t, o), id, WIRE_KEY) == 0;
}

static void
svc_free(struct svc_table *t, struct svc *s)
{
	for (uint32_t i = 0; i < s->nowners; i++) {
		free(s->owners[i].allow);
		id_drop(t, s->owners[i].idx);
	}
	if (s->owners != &s->one)
		free(s->owners);
	free(s);
}

void
svc_table_release(struct svc_table *t)
{
	for (uint32_t i = 0; i < t->n; i++)
		svc_free(t, t->v[i]);
	free(t->v);
	free(t->dirty);
	free(t->ids);
	free(t->idrefs);
	hmap_release(&t->byid);
	hmap_release(&t->byname);
	hmap_release(&t->byport);
	hmap_release(&t->dirtyidx);
	memset(t, 0, sizeof(*t));
}

static uint64_t
name_hash(const char *name)
{
	return hmap_hash(name, strlen(name));
}

static uint64_t
key_hash(uint32_t key)
{
	return hmap_hash(&key, sizeof(key));
}

/*
 * What the indexes grow with: every service in byname by its name, in
 * byport by its key (when it has one), every port in dirtyidx by itself.
 */
static uint64_t
name_rehash(const void *ctx, uint32_t slot)
{
	const struct svc_table	*t = ctx;

	return name_hash(t->v[slot]->name);
}

static uint64_t
port_rehash(const void *ctx, uint32_t slot)
{
	const struct svc_table	*t = ctx;

	return key_hash(t->v[slot]->key);
}

static uint64_t
dirty_rehash(const void *ctx, uint32_t i)
{
	const struct svc_table	*t = ctx;

	return key_hash(t->dirty[i]);
}

struct name_ctx {
	const struct svc_table	*t;
	const char		*name;
};

static int
name_eq(const void *ctx, uint32_t slot)
{
	const struct name_ctx	*c = ctx;

	return strcmp(c->t->v[slot]->name, c->name) == 0;
}

static uint32_t
slot_of(const struct svc_table *t, const char *name)
{
	struct name_ctx	 c = { t, name };

	return hmap_find(&t->byname, name_hash(name), name_eq, &c);
}

struct svc *
svc_table_get(const struct svc_table *t, const char *name)
{
	uint32_t	 s = slot_of(t, name);

	return s == HMAP_EMPTY ? NULL : t->v[s];
}

struct dirty_ctx {
	const struct svc_table	*t;
	uint32_t		 key;
};

static int
dirty_eq(const void *ctx, uint32_t slot)
{
	const struct dirty_ctx	*c = ctx;

	return c->t->dirty[slot] == c->key;
}

static void
mark_dirty(struct svc_table *t, uint32_t key)
{
	uint64_t		 h = key_hash(key);
	struct dirty_ctx	 c = { t, key };

	if (key == 0 || hmap_find(&t->dirtyidx, h, dirty_eq, &c) != HMAP_EMPTY)
		return;
	if (array_reserve(&t->dirty, &t->capdirty, t->ndirty + 1,
	    sizeof(*t->dirty)) == -1)
		return;
	t->dirty[t->ndirty] = key;
	hmap_put(&t->dirtyidx, h, t->ndirty, dirty_rehash, t);
	t->ndirty++;
}

uint32_t
svc_table_take_dirty(struct svc_table *t, uint32_t *out, uint32_t max)
{
	uint32_t	 n = t->ndirty < max ? t->ndirty : max;

	if (n == 0)
		return 0;
	memcpy(out, t->dirty + (t->ndirty - n), n * sizeof(*out));
	for (uint32_t i = t->ndirty - n; i < t->ndirty; i++)
		hmap_del(&t->dirtyidx, key_hash(t->dirty[i]), i);
	t->ndirty -= n;
	/*
	 * A start or a burst marks every port (1.4 MiB at 100k services);
	 * once all is taken, that is given back rather than kept for good.
	 */
	if (t->ndirty == 0 && t->capdirty > SVC_DIRTY_KEEP) {
		free(t->dirty);
		t->dirty = NULL;
		t->capdirty = 0;
		hmap_release(&t->dirtyidx);
	}
	return n;
}

/*
 * The port key a service is defined on: that of its earliest owner record
 * (lowest version, then lowest id).  Membership does not enter here, so the
 * index does not move when members come and go.
 */
static uint32_t
svc_key_of(const struct svc_table *t, const struct svc *s)
{
	const struct svc_owner	*best = NULL;

	for (uint32_t i = 0; i < s->nowners; i++) {
		const struct svc_owner	*o = &s->owners[i];

		if (best == NULL || o->version < best->version ||
		    (o->version == best->version &&
		    memcmp(svc_owner_id(t, o), svc_owner_id(t, best),
		    WIRE_KEY) < 0))
			best = o;
	}
	return best ? svc_key(best->proto, best->port) : 0;
}

static void
reindex(struct svc_table *t, uint32_t slot)
{
	struct svc	*s = t->v[slot];
	uint32_t	 key = svc_key_of(t, s);

	if (key == s->key)
		return;
	if (s->key != 0)
		hmap_del(&t->byport, key_hash(s->key), slot);
	if (key != 0)
		hmap_put(&t->byport, key_hash(key), slot, port_rehash, t);
	mark_dirty(t, s->key);
	mark_dirty(t, key);
	s->key = key;
}

static void
svc_remove(struct svc_table *t, uint32_t slot)
{
	uint32_t	 last = t->n - 1;
	struct svc	*s = t->v[slot];

	mark_dirty(t, s->key);
	hmap_del(&t->byname, name_hash(s->name), slot);
	if (s->key != 0)
		hmap_del(&t->byport, key_hash(s->key), slot);
	if (slot != last) {
		struct svc	*m = t->v[last];

		hmap_set(&t->byname, name_hash(m->name), last, slot);
		if (m->key != 0)
			hmap_set(&t->byport, key_hash(m->key), last, slot);
		t->v[slot] = m;
	}
	t->n--;
	svc_free(t, s);
}

/*
 * owner_allowed - under a policy, a name's owners are the nodes an
 * operator granted it to (with the grant's protocol and port) or, with no
 * grant, the one node that serves it first; before any operator is
 * enrolled, any member.
 */
static int
owner_allowed(const struct svc_table *t, const struct svc *s,
    const uint8_t author[WIRE_KEY], const struct rec_service *rec)
{
	const struct oprec	*g;

	if (t->pol == NULL || !policy_governed(t->pol))
		return 1;
	if ((g = policy_grant(t->pol, rec->name)) != NULL)
		return policy_granted(g, author) && g->svc.proto == rec->proto &&
		    g->svc.port == rec->port;
	for (uint32_t i = 0; i < s->nowners; i++)
		if (!owner_is(t, &s->owners[i], author))
			return 0;
	return 1;
}

/* Access comes from the operators' grant, or is the mesh's private default. */
static void
governed_access(const struct svc_table *t, const struct svc *s,
    struct svc_owner *o)
{
	const struct oprec	*g;

	free(o->allow);
	o->allow = NULL;
	o->nallow = 0;
	o->public = 0;
	if ((g = policy_grant(t->pol, s->name)) == NULL)
		return;
	o->public = (uint8_t)(g->svc.public != 0);
	if (g->svc.nallow > 0 &&
	    (o->allow = calloc(g->svc.nallow, sizeof(*o->allow))) != NULL) {
		memcpy(o->allow, g->svc.allow, g->svc.nallow * sizeof(*o->allow));
		o->nallow = g->svc.nallow;
	}
}

/*
 * owners_reserve - room for need owners: the one in the entry, then an
 * array that doubles from two.  (array_reserve() would start at 8, 700
 * bytes a service, most of the engine's memory at 100k.)
 */
static int
owners_reserve(struct svc *s, uint32_t need)
{
	uint32_t		 ncap;
	struct svc_owner	*nv;

	if (need <= s->cap)
		return 0;
	ncap = s->cap;
	while (ncap < need) {
		if (ncap > UINT32_MAX / 2)
			return -1;
		ncap *= 2;
	}
	if (s->owners == &s->one) {
		if ((nv = calloc(ncap, sizeof(*nv))) == NULL)
			return -1;
		memcpy(nv, &s->one, sizeof(*nv));
		memset(&s->one, 0, sizeof(s->one));	/* moved */
	} else if ((nv = realloc(s->owners, (size_t)ncap * sizeof(*nv))) ==
	    NULL)
		return -1;
	s->owners = nv;
	s->cap = ncap;
	return 0;
}

int
svc_table_set(struct svc_table *t, const uint8_t author[WIRE_KEY],
    uint64_t version, const struct rec_service *rec)
{
	uint32_t	 slot = slot_of(t, rec->name);
	struct svc	*s;
	struct svc_owner *o = NULL;

	if (slot == HMAP_EMPTY) {
		if (array_reserve(&t->v, &t->cap, t->n + 1,
		    sizeof(*t->v)) == -1)
			return -1;
		if ((s = calloc(1, sizeof(*s) + strlen(rec->name) + 1)) == NULL)
			return -1;
		memcpy(s->name, rec->name, strlen(rec->name) + 1);
		s->owners = &s->one;
		s->cap = 1;
		slot = t->n;
		if (hmap_put(&t->byname, name_hash(s->name), slot, name_rehash,
		    t) == -1) {
			free(s);
			return -1;
		}
		t->v[t->n++] = s;
	}
	s = t->v[slot];
	for (uint32_t i = 0; i < s->nowners; i++)
		if (owner_is(t, &s->owners[i], author))
			o = &s->owners[i];
	if (!owner_allowed(t, s, author, rec)) {
		/* Kept in the store, never served: the policy does not allow it. */
		if (o != NULL)
			svc_table_del(t, author, rec->name);
		else if (s->nowners == 0)
			svc_remove(t, slot);
		return 0;
	}
	if (o == NULL) {
		uint32_t	 idx;

		if (owners_reserve(s, s->nowners + 1) == -1 ||
		    (idx = id_hold(t, author)) == HMAP_EMPTY)
			return -1;
		o = &s->owners[s->nowners++];
		memset(o, 0, sizeof(*o));
		o->idx = idx;
	}
	free(o->allow);
	o->allow = NULL;
	if (rec->nallow > 0) {
		if ((o->allow = calloc(rec->nallow, sizeof(*o->allow))) == NULL)
			return -1;
		memcpy(o->allow, rec->allow, rec->nallow * sizeof(*o->allow));
	}
	o->version = version;
	o->target = rec->target;
	o->port = rec->port;
	o->proto = rec->proto;
	o->public = (uint8_t)(rec->public != 0);
	o->nallow = rec->nallow;
	if (t->pol != NULL && policy_governed(t->pol))
		governed_access(t, s, o);
	mark_dirty(t, s->key);
	reindex(t, slot);
	mark_dirty(t, s->key);
	return 0;
}

void
svc_table_del(struct svc_table *t, const uint8_t author[WIRE_KEY],
    const char *name)
{
	uint32_t	 slot = slot_of(t, name);
	struct svc	*s;

	if (slot == HMAP_EMPTY)
		return;
	s = t->v[slot];
	for (uint32_t i = 0; i < s->nowners; i++)
		if (owner_is(t, &s->owners[i], author)) {
			free(s->owners[i].allow);
			id_drop(t, s->owners[i].idx);
			s->owners[i] = s->owners[--s->nowners];
			break;
		}
	if (s->nowners == 0) {
		svc_remove(t, slot);
		return;
	}
	mark_dirty(t, s->key);
	reindex(t, slot);
}

void
svc_table_drop_author(struct svc_table *t, const uint8_t author[WIRE_KEY])
{
	for (uint32_t i = t->n; i > 0; i--) {
		struct svc	*s = t->v[i - 1];

		for (uint32_t j = 0; j < s->nowners; j++)
			if (owner_is(t, &s->owners[j], author)) {
				svc_table_del(t, author, s->name);
				break;
			}
	}
}

/* A member's state changed: every port it owns a backend on is planned again. */
void
svc_table_touch_author(struct svc_table *t, const uint8_t author[WIRE_KEY])
{
	for (uint32_t i = 0; i < t->n; i++) {
		struct svc	*s = t->v[i];

		for (uint32_t j = 0; j < s->nowners; j++)
			if (owner_is(t, &s->owners[j], author)) {
				mark_dirty(t, s->key);
				break;
			}
	}
}

void
svc_table_touch_all(struct svc_table *t)
{
	for (uint32_t i = 0; i < t->n; i++)
		mark_dirty(t, t->v[i]->key);
}

/* An owner whose records count: a member that has not left. */
int
svc_owner_usable(const struct membership *mb, const uint8_t id[WIRE_KEY])
{
	const struct member	*m = mb_get(mb, id);

	return m != NULL && m->state != M_LEFT &&
	    !(m->self && m->state == M_LEFT);
}

/* An owner that gets new connections: alive, or suspect (not yet failed). */
int
svc_owner_serving(const struct membership *mb, const uint8_t id[WIRE_KEY])
{
	const struct member	*m = mb_get(mb, id);

	return m != NULL && (m->state == M_ALIVE || m->state == M_SUSPECT);
}

/* svc_def - the owner record that defines the service's protocol and port. */
const struct svc_owner *
svc_def(const struct svc_table *t, const struct svc *s,
    const struct membership *mb)
{
	const struct svc_owner	*best = NULL;

	for (uint32_t i = 0; i < s->nowners; i++) {
		const struct svc_owner	*o = &s->owners[i];

		if (!svc_owner_usable(mb, svc_owner_id(t, o)))
			continue;
		if (best == NULL || o->version < best->version ||
		    (o->version == best->version &&
		    memcmp(svc_owner_id(t, o), svc_owner_id(t, best),
		    WIRE_KEY) < 0))
			best = o;
	}
	return best;
}

struct port_ctx {
	const struct svc_table	*t;
	const struct membership	*mb;
	uint32_t		 key;
	const struct svc	*best;
	uint64_t		 best_first;
};

/* Collects every service indexed under the key; returns 0 to keep looking. */
static int
port_collect(const void *ctx, uint32_t slot)
{
	struct port_ctx		*c = (struct port_ctx *)(uintptr_t)ctx;
	const struct svc	*s = c->t->v[slot];
	const struct svc_owner	*d;

	if (s->key != c->key || (d = svc_def(c->t, s, c->mb)) == NULL ||
	    svc_key(d->proto, d->port) != c->key)
		return 0;
	if (c->best == NULL || d->version < c->best_first ||
	    (d->version == c->best_first && strcmp(s->name, c->best->name) < 0)) {
		c->best = s;
		c->best_first = d->version;
	}
	return 0;
}

/*
 * svc_for_key - the service that holds a port: when two services claim the
 * same protocol and port, the one defined first keeps it (every node picks
 * the same), and the other forwards nothing until the clash is resolved.
 */
const struct svc *
svc_for_key(const struct svc_table *t, uint32_t key, const struct membership *mb)
{
	struct port_ctx	 c = { t, mb, key, NULL, 0 };

	hmap_find(&t->byport, key_hash(key), port_collect, &c);
	return c.best;
}

static int
addr_cmp(const void *x, const void *y)
{
	return memcmp(x, y, sizeof(struct wire_addr));
}

/* A backend that may get new connections: not down, not in conflict. */
int
svc_health_ok(uint8_t health)
{
	return health != SVC_H_DOWN && health != SVC_H_CONFLICT;
}

/* svc_table_set_health - an owner's health record for its backend of name. */
int
svc_table_set_health(struct svc_table *t, const uint8_t author[WIRE_KEY],
    const char *name, uint8_t health, uint64_t since)
{
	struct svc	*s = svc_table_get(t, name);

	if (s == NULL)
		return -1;
	for (uint32_t i = 0; i < s->nowners; i++)
		if (owner_is(t, &s->owners[i], author)) {
			if (s->owners[i].health != health)
				mark_dirty(t, s->key);
			s->owners[i].health = health;
			s->owners[i].health_since = since;
			return 0;
		}
	return -1;
}

/*
 * svc_plan_key - what to program for one port.  Nothing when this node
 * listens on the port itself (it never takes its own sockets' connections;
 * local_conflict).  Otherwise the backends that may serve: owners that are
 * alive or suspect, agree with the service's protocol and port, and whose
 * own checks say they answer; when none does, every such owner not in
 * conflict (a check can be wrong; an empty plan would refuse everything).
 * When no owner is alive or suspect, the failed ones (not those that left)
 * keep the service, marked stale: an owner restarting for longer than
 * failure detection still forwards from its own table, and a dead one
 * fails those connections no worse than an empty plan would.
 * An owner among them forwards to its own target (never onward, so there
 * are no loops); any other node spreads new connections over them, at
 * their first advertised address (left out when it is not IPv4) and the
 * service's port.  Access is the union of the owners' settings.
 */
void
svc_plan_key(const struct svc_table *t, uint32_t key,
    const struct membership *mb, int local_conflict, struct svc_plan *p)
{
	const struct svc	*s = svc_for_key(t, key, mb);
	const struct svc_owner	*def, *self = NULL;
	int			 healthy = 0, serving = 0;

	memset(p, 0, sizeof(*p));
	p->proto = (uint8_t)(key >> 16);
	p->port = (uint16_t)key;
	p->mode = PLAN_NONE;
	if (s == NULL || (def = svc_def(t, s, mb)) == NULL)
		return;
	strlcpy(p->name, s->name, sizeof(p->name));
	if (local_conflict) {
		p->conflict = 1;
		return;
	}
	for (uint32_t i = 0; i < s->nowners; i++) {
		const struct svc_owner	*o = &s->owners[i];

		if (o->proto != def->proto ||
		    o->port != def->port ||
		    !svc_owner_usable(mb, svc_owner_id(t, o)))
			continue;
		p->public |= o->public;
		for (int a = 0; a < o->nallow && p->nallow < WIRE_MAX_ALLOW;
		    a++) {
			int	 dup = 0;

			for (int b = 0; b < p->nallow; b++)
				dup |= memcmp(&p->allow[b], &o->allow[a],
				    sizeof(p->allow[b])) == 0;
			if (!dup)
				p->allow[p->nallow++] = o->allow[a];
		}
		if (svc_owner_serving(mb, svc_owner_id(t, o))) {
			serving++;
			healthy += svc_health_ok(o->health);
		}
	}
	p->panic = healthy == 0;
	p->stale = serving == 0;
	for (uint32_t i = 0; i < s->nowners; i++) {
		const struct svc_owner	*o = &s->owners[i];
		const struct member	*m = mb_get(mb, svc_owner_id(t, o));

		if (o->proto != def->proto || o->port != def->port ||
		    !svc_owner_usable(mb, svc_owner_id(t, o)) ||
		    (!p->stale && !svc_owner_serving(mb, svc_owner_id(t, o))) ||
		    o->health == SVC_H_CONFLICT ||
		    (!p->panic && !svc_health_ok(o->health)))
			continue;
		if (m->self) {
			if (o->target.family == 4)
				self = o;
			continue;
		}
		if (m->addr.family != 4 || p->nbackends == SVC_MAX_BACKENDS)
			continue;
		p->backends[p->nbackends] = m->addr;
		p->backends[p->nbackends].port = def->port;
		p->nbackends++;
	}
	if (self != NULL) {
		p->mode = PLAN_LOCAL;
		p->backends[0] = self->target;
		p->nbackends = 1;
	} else if (p->nbackends > 0) {
		/* The same order on every node, whatever the record order. */
		qsort(p->backends, p->nbackends, sizeof(p->backends[0]), addr_cmp);
		p->mode = PLAN_REMOTE;
	}
}

static const char *
proto_name(uint8_t p)
{
	return p == SVC_UDP ? "udp" : "tcp";
}

/*
 * svc_target_ok - an address a backend can be: a unicast IPv4 address.
 * Loopback is refused (connections would go to this node's own sockets,
 * and no other node's), so are "this network" (0/8), multicast,
 * reserved and broadcast addresses: none can answer a connection.
 */
int
svc_target_ok(const struct wire_addr *a, char *err, size_t errlen)
{
	const char	*why = NULL;

	if (a->family != 4)
		why = "must be an IPv4 address (IPv6 forwarding is not "
		    "supported yet)";
	else if (a->ip[0] == 0)
		why = "is unspecified (0.0.0.0/8)";
	else if (a->ip[0] == 127)
		why = "is a loopback address: give an address other nodes' "
		    "connections can reach on the owner's network";
	else if (a->ip[0] >= 224 && a->ip[0] <= 239)
		why = "is a multicast address";
	else if (a->ip[0] >= 240)
		why = "is a broadcast or reserved address";
	else if (a->port == 0)
		why = "needs a port";
	if (why == NULL)
		return 0;
	if (err != NULL) {
		char	 t[ADDRSTRLEN];

		fmt_addr(t, sizeof(t), a, a->port != 0);
		snprintf(err, errlen, "the target %s %s", t, why);
	}
	return -1;
}

static int
prefix_in(const struct wire_prefix *p, const struct wire_prefix *v, int n)
{
	for (int i = 0; i < n; i++)
		if (memcmp(&v[i], p, sizeof(*p)) == 0)
			return 1;
	return 0;
}

/*
 * svc_policy_check - may author publish this backend record under the
 * mesh's policy?  What every node checks on a service record it receives
 * (and the owner before it signs one): no second owner of a name without
 * an operator's grant, no access wider than private without one, the
 * grant's protocol and port, and no port another service holds.
 */
int
svc_policy_check(const struct svc_table *t, const struct membership *mb,
    const uint8_t author[WIRE_KEY], const struct rec_service *s, char *err,
    size_t errlen)
{
	const struct policy	*pol = t->pol;
	const struct oprec	*g;
	const struct svc	*cur, *holder;

	if (pol == NULL || !policy_governed(pol))
		return 0;
	if ((g = policy_grant(pol, s->name)) != NULL) {
		if (!policy_granted(g, author)) {
			snprintf(err, errlen, "service %s is granted to other "
			    "nodes: an operator must grant it to this one "
			    "(rpnctl service grant)", s->name);
			return -1;
		}
		if (g->svc.proto != s->proto || g->svc.port != s->port) {
			snprintf(err, errlen, "service %s is %s/%u by an "
			    "operator's grant", s->name,
			    proto_name(g->svc.proto), g->svc.port);
			return -1;
		}
		if (s->public && !g->svc.public) {
			snprintf(err, errlen, "service %s is not public: "
			    "--public needs an operator's signature", s->name);
			return -1;
		}
		for (int i = 0; i < s->nallow; i++)
			if (!prefix_in(&s->allow[i], g->svc.allow,
			    g->svc.nallow)) {
				snprintf(err, errlen, "--allow needs an "
				    "operator's signature for service %s",
				    s->name);
				return -1;
			}
	} else {
		if (s->public || s->nallow > 0) {
			snprintf(err, errlen, "access wider than the mesh "
			    "(--public, --allow) needs an operator's signature");
			return -1;
		}
		if ((cur = svc_table_get(t, s->name)) != NULL)
			for (uint32_t i = 0; i < cur->nowners; i++) {
				const uint8_t		*id;
				const struct member	*m;

				id = svc_owner_id(t, &cur->owners[i]);
				if (memcmp(id, author, WIRE_KEY) == 0 ||
				    !svc_owner_usable(mb, id))
					continue;
				m = mb_get(mb, id);
				snprintf(err, errlen, "service %s is served by "
				    "%s: a second owner needs an operator's "
				    "grant (rpnctl service grant)", s->name,
				    m != NULL && m->name[0] ? m->name : "another "
				    "node");
				return -1;
			}
	}
	holder = svc_for_key(t, svc_key(s->proto, s->port), mb);
	if (holder != NULL && strcmp(holder->name, s->name) != 0) {
		snprintf(err, errlen, "%s/%u is held by service %s",
		    proto_name(s->proto), s->port, holder->name);
		return -1;
	}
	return 0;
}

/* "public", "allow 203.0.113.0/24", "public, allow ...", "private" */
static void
access_text(char *out, size_t cap, int public, const struct wire_prefix *allow,
    int nallow)
{
	char	 pfx[64];

	snprintf(out, cap, "%s", public ? (nallow > 0 ? "public, allow" :
	    "public") : nallow > 0 ? "allow" : "private");
	for (int i = 0; i < nallow; i++) {
		fmt_prefix(pfx, sizeof(pfx), &allow[i]);
		strlcat(out, " ", cap);
		strlcat(out, pfx, cap);
	}
}

static int
same_prefixes(const struct wire_prefix *a, int na, const struct wire_prefix *b,
    int nb)
{
	for (int i = 0; i < na; i++)
		if (!prefix_in(&a[i], b, nb))
			return 0;
	for (int i = 0; i < nb; i++)
		if (!prefix_in(&b[i], a, na))
			return 0;
	return 1;
}

/*
 * svc_grant_asked - an add under a name that has a grant but no backend
 * (its service was deleted and the grant stayed) gets the grant's access,
 * whatever the add asks: refuse it unless it asks exactly that access, so
 * that a grant left behind never opens a new service wider than its owner
 * asked (an operator's rpnctl brings the grant in line first).  Checked by
 * the node asked to add its backend, not on records: receivers keep their
 * rules (svc_policy_check).  0, or -1 with err naming the grant.
 */
int
svc_grant_asked(const struct svc_table *t, const struct membership *mb,
    const struct rec_service *s, char *err, size_t errlen)
{
	const struct oprec	*g;
	const struct svc	*cur;
	char			 has[300], asks[300], owners[400];

	if (t->pol == NULL || !policy_governed(t->pol) ||
	    (g = policy_grant(t->pol, s->name)) == NULL)
		return 0;
	if ((cur = svc_table_get(t, s->name)) != NULL)
		for (uint32_t i = 0; i < cur->nowners; i++)
			if (svc_owner_usable(mb, svc_owner_id(t,
			    &cur->owners[i])))
				return 0;
	if (!g->svc.public == !s->public && same_prefixes(g->svc.allow,
	    g->svc.nallow, s->allow, s->nallow))
		return 0;
	access_text(has, sizeof(has), g->svc.public, g->svc.allow,
	    g->svc.nallow);
	access_text(asks, sizeof(asks), s->public, s->allow, s->nallow);
	owners[0] = '\0';
	for (int i = 0; i < g->nowners; i++) {
		const struct member	*m = mb_get(mb, g->owners[i]);
		char			 hex[2 * WIRE_KEY + 1];

		if (m == NULL || m->name[0] == '\0')
			fmt_hex(hex, g->owners[i], WIRE_KEY);
		strlcat(owners, " ", sizeof(owners));
		strlcat(owners, m != NULL && m->name[0] ? m->name : hex,
		    sizeof(owners));
	}
	snprintf(err, errlen, "no backend serves %s, but its grant stays: "
	    "%s %s/%u, %s, %s%s; this add asks %s: an operator must sign the "
	    "add or withdraw the grant (rpnctl service revoke-grant)", s->name,
	    s->name, proto_name(g->svc.proto), g->svc.port, has,
	    g->nowners > 0 ? "owners" : "no owners", owners, asks);
	return -1;
}

/* svc_management_port - a port that is commonly a node's own: ssh. */
int
svc_management_port(uint8_t proto, uint16_t port)
{
	return proto == SVC_TCP && port == 22;
}

/*
 * svc_check_add - may owner add this backend, the mesh's policy aside
 * (svc_policy_check: its grant may be what an operator is about to
 * sign)?  Refuses rpn's own port, a target no node can reach, a second
 * backend of the same service on the same node, a backend whose protocol
 * or port differs from the service's, and a port another service holds.
 * Concurrent adds on two nodes can still clash; svc_for_key() then
 * settles it the same way everywhere.
 */
int
svc_check_add(const struct svc_table *t, const struct membership *mb,
    const uint8_t owner[WIRE_KEY], const struct rec_service *s,
    uint16_t reserved_port, char *err, size_t errlen)
{
	const struct svc	*cur = svc_table_get(t, s->name), *holder;
	const struct svc_owner	*def;

	if (s->port == reserved_port) {
		snprintf(err, errlen, "port %u is rpn's own (gossip and joins)",
		    s->port);
		return -1;
	}
	if (svc_target_ok(&s->target, err, errlen) == -1)
		return -1;
	for (int i = 0; i < s->nallow; i++)
		if (s->allow[i].family != 4) {
			snprintf(err, errlen, "--allow takes IPv4 prefixes");
			return -1;
		}
	if (cur != NULL) {
		for (uint32_t i = 0; i < cur->nowners; i++)
			if (memcmp(svc_owner_id(t, &cur->owners[i]), owner,
			    WIRE_KEY) == 0 &&
			    svc_owner_usable(mb, owner)) {
				const struct member	*m = mb_get(mb, owner);

				snprintf(err, errlen, "service %s already has a "
				    "backend on %s; delete it first", s->name,
				    m && m->name[0] ? m->name : "that node");
				return -1;
			}
		if ((def = svc_def(t, cur, mb)) != NULL &&
		    (def->proto != s->proto || def->port != s->port)) {
			snprintf(err, errlen, "service %s is %s/%u; every backend "
			    "must use the same protocol and port", s->name,
			    proto_name(def->proto), def->port);
			return -1;
		}
	}
	holder = svc_for_key(t, svc_key(s->proto, s->port), mb);
	if (holder != NULL && strcmp(holder->name, s->name) != 0) {
		snprintf(err, errlen, "%s/%u is already used by service %s",
		    proto_name(s->proto), s->port, holder->name);
		return -1;
	}
	return 0;
}

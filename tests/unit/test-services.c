/* test-services.c: the service table and per-port plans (the parent's planner is in test-dpplan.c). */
#include "node/core/services.h"
#include "proto/parse.h"
#include "tests/unit/test.h"

static uint8_t	 ids[4][WIRE_KEY];

static void
members(struct membership *mb)
{
	struct mb_config	 cfg;

	mb_config_default(&cfg);
	for (int i = 0; i < 4; i++)
		memset(ids[i], 0x10 + i, WIRE_KEY);
	ASSERT_EQ(mb_init(mb, &cfg, ids[0], 1, 1, 0), 0);
	for (int i = 1; i < 4; i++) {
		ASSERT_EQ(mb_on_alive(mb, ids[i], 1, 0, 0), 1);
		ASSERT_EQ(parse_ip(i == 1 ? "198.51.100.1" : i == 2 ?
		    "198.51.100.2" : "198.51.100.3", &mb_get(mb, ids[i])->addr),
		    0);
	}
	mb->nacts = 0;
}

static struct rec_service
svc(const char *name, uint8_t proto, uint16_t port, const char *target)
{
	struct rec_service	 s;

	memset(&s, 0, sizeof(s));
	strcpy(s.name, name);
	s.proto = proto;
	s.port = port;
	ASSERT_EQ(parse_addrport(target, 0, &s.target), 0);
	return s;
}

TEST(svc_plan_remote_local_and_failover)
{
	struct membership	 mb;
	struct svc_table	 t;
	struct svc_plan		 p;
	struct rec_service	 s = svc("web", SVC_TCP, 8080, "100.64.2.10:80");
	uint32_t		 keys[8];

	members(&mb);
	svc_table_init(&t);
	ASSERT_EQ(svc_table_set(&t, ids[1], 10, &s), 0);
	ASSERT_EQ(svc_table_take_dirty(&t, keys, 8), 1);
	ASSERT_EQ(keys[0], svc_key(SVC_TCP, 8080));
	/* not an owner: forward to the owner's mesh address, same port */
	svc_plan_key(&t, keys[0], &mb, 0, &p);
	ASSERT_EQ(p.mode, PLAN_REMOTE);
	ASSERT_EQ(p.nbackends, 1);
	ASSERT_EQ(p.backends[0].port, 8080);
	/* a second owner: both, in a fixed order */
	s = svc("web", SVC_TCP, 8080, "100.64.3.10:80");
	ASSERT_EQ(svc_table_set(&t, ids[2], 11, &s), 0);
	svc_plan_key(&t, keys[0], &mb, 0, &p);
	ASSERT_EQ(p.nbackends, 2);
	ASSERT(memcmp(&p.backends[0], &p.backends[1], sizeof(p.backends[0])) < 0);
	/* an owner that failed gets no new connections */
	ASSERT_EQ(mb_on_notice(&mb, ids[3], ids[1], 1, NOTICE_DEAD, 5), 1);
	svc_table_touch_author(&t, ids[1]);
	ASSERT_EQ(svc_table_take_dirty(&t, keys, 8), 1);
	svc_plan_key(&t, keys[0], &mb, 0, &p);
	ASSERT_EQ(p.nbackends, 1);
	/* on an owner: its own target, never onward */
	s = svc("web", SVC_TCP, 8080, "100.64.1.10:80");
	ASSERT_EQ(svc_table_set(&t, ids[0], 12, &s), 0);
	svc_plan_key(&t, keys[0], &mb, 0, &p);
	ASSERT_EQ(p.mode, PLAN_LOCAL);
	ASSERT_EQ(p.backends[0].port, 80);
	/* every owner gone: nothing to forward, and the service is gone */
	svc_table_del(&t, ids[0], "web");
	svc_table_del(&t, ids[1], "web");
	svc_table_del(&t, ids[2], "web");
	ASSERT(svc_table_get(&t, "web") == NULL);
	svc_plan_key(&t, keys[0], &mb, 0, &p);
	ASSERT_EQ(p.mode, PLAN_NONE);
	svc_table_release(&t);
	mb_release(&mb);
}

TEST(svc_plan_keeps_failed_owners_when_no_owner_is_up)
{
	struct membership	 mb;
	struct svc_table	 t;
	struct svc_plan		 p;
	struct rec_service	 s = svc("web", SVC_TCP, 8080, "100.64.2.10:80");
	uint32_t		 keys[8];

	members(&mb);
	svc_table_init(&t);
	ASSERT_EQ(svc_table_set(&t, ids[1], 10, &s), 0);
	ASSERT_EQ(svc_table_take_dirty(&t, keys, 8), 1);
	/*
	 * The only owner fails (a restart longer than failure detection,
	 * whose table still forwards): it keeps its connections, marked as
	 * kept, rather than an empty plan that refuses them all.
	 */
	ASSERT_EQ(mb_on_notice(&mb, ids[3], ids[1], 1, NOTICE_DEAD, 5), 1);
	svc_plan_key(&t, keys[0], &mb, 0, &p);
	ASSERT_EQ(p.mode, PLAN_REMOTE);
	ASSERT_EQ(p.nbackends, 1);
	ASSERT_EQ(p.stale, 1);
	/* once another owner is up, only it gets new connections */
	s = svc("web", SVC_TCP, 8080, "100.64.3.10:80");
	ASSERT_EQ(svc_table_set(&t, ids[2], 11, &s), 0);
	svc_plan_key(&t, keys[0], &mb, 0, &p);
	ASSERT_EQ(p.mode, PLAN_REMOTE);
	ASSERT_EQ(p.nbackends, 1);
	ASSERT_EQ(p.stale, 0);
	ASSERT_EQ(p.backends[0].ip[3], mb_get(&mb, ids[2])->addr.ip[3]);
	/* an owner that left is gone for good, even when it was the last */
	svc_table_del(&t, ids[2], "web");
	ASSERT_EQ(mb_on_alive(&mb, ids[1], 2, 1, 6), 1);
	svc_plan_key(&t, keys[0], &mb, 0, &p);
	ASSERT_EQ(p.mode, PLAN_NONE);
	svc_table_release(&t);
	mb_release(&mb);
}

TEST(svc_conflicts_settle_the_same_everywhere)
{
	struct membership	 mb;
	struct svc_table	 t;
	struct rec_service	 a = svc("api", SVC_TCP, 9000, "100.64.2.10:90");
	struct rec_service	 b = svc("web", SVC_TCP, 9000, "100.64.3.10:80");
	struct rec_service	 c = svc("web", SVC_TCP, 9001, "100.64.3.11:80");
	char			 err[200];
	const struct svc	*win;

	members(&mb);
	svc_table_init(&t);
	/* web defined first, on 9000; api claims 9000 later */
	ASSERT_EQ(svc_table_set(&t, ids[1], 20, &b), 0);
	ASSERT_EQ(svc_table_set(&t, ids[2], 30, &a), 0);
	win = svc_for_key(&t, svc_key(SVC_TCP, 9000), &mb);
	ASSERT(win != NULL);
	ASSERT_STR_EQ(win->name, "web");
	/* the checks the CLI path runs */
	ASSERT_EQ(svc_check_add(&t, &mb, ids[3], &a, 7480, err, sizeof(err)), -1);
	ASSERT(strstr(err, "already used by service web") != NULL);
	ASSERT_EQ(svc_check_add(&t, &mb, ids[3], &c, 7480, err, sizeof(err)), -1);
	ASSERT(strstr(err, "same protocol and port") != NULL);
	ASSERT_EQ(svc_check_add(&t, &mb, ids[1], &b, 7480, err, sizeof(err)), -1);
	ASSERT(strstr(err, "already has a backend") != NULL);
	b.port = 7480;
	ASSERT_EQ(svc_check_add(&t, &mb, ids[3], &b, 7480, err, sizeof(err)), -1);
	ASSERT(strstr(err, "rpn's own") != NULL);
	svc_table_release(&t);
	mb_release(&mb);
}

/* A policy by hand: one operator, and a grant of "web" when asked. */
static void
governed(struct policy *pol, int grant_web, int public, const uint8_t *owner2)
{
	static struct operator	 op;
	static struct oprec	 g;

	policy_init(pol, NULL);
	memset(&op, 0, sizeof(op));
	op.active = 1;
	pol->ops = &op;
	pol->nops = pol->nactive = 1;
	if (!grant_web)
		return;
	memset(&g, 0, sizeof(g));
	g.kind = REC_GRANT;
	strcpy(g.name, "web");
	g.svc.proto = SVC_TCP;
	g.svc.port = 8080;
	g.svc.public = public;
	memcpy(g.owners[0], ids[1], WIRE_KEY);
	g.nowners = 1;
	if (owner2 != NULL) {
		memcpy(g.owners[1], owner2, WIRE_KEY);
		g.nowners = 2;
	}
	pol->grants = &g;
	pol->ngrants = 1;
}

TEST(svc_policy_refusals_under_operators)
{
	struct membership	 mb;
	struct svc_table	 t;
	struct policy		 pol;
	struct svc_plan		 p;
	struct rec_service	 web = svc("web", SVC_TCP, 8080, "100.64.2.10:80");
	struct rec_service	 s;
	char			 err[256];
	static const struct {
		const char	*what;
		const char	*name;
		uint8_t		 proto;
		uint16_t	 port;
		int		 public;
		int		 allow;
		int		 author;
		int		 ok;
		const char	*says;
	} cases[] = {
		{ "own update", "web", SVC_TCP, 8080, 0, 0, 1, 1, NULL },
		{ "second owner", "web", SVC_TCP, 8080, 0, 0, 2, 0, "second owner" },
		{ "redefinition", "web", SVC_UDP, 9999, 0, 0, 2, 0, "second owner" },
		{ "port takeover", "grab", SVC_TCP, 8080, 0, 0, 2, 0, "held by" },
		{ "public, no grant", "new", SVC_TCP, 8081, 1, 0, 2, 0, "operator" },
		{ "allow, no grant", "new", SVC_TCP, 8081, 0, 1, 2, 0, "operator" },
		{ "new private name", "new", SVC_TCP, 8081, 0, 0, 2, 1, NULL },
	};

	members(&mb);
	svc_table_init(&t);
	ASSERT_EQ(svc_table_set(&t, ids[1], 10, &web), 0);
	/* before any operator: members rule, as before */
	s = svc("web", SVC_TCP, 8080, "100.64.3.10:80");
	ASSERT_EQ(svc_policy_check(&t, &mb, ids[2], &s, err, sizeof(err)), 0);
	governed(&pol, 0, 0, NULL);
	t.pol = &pol;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = svc(cases[i].name, cases[i].proto, cases[i].port,
		    "100.64.3.10:80");
		s.public = cases[i].public;
		if (cases[i].allow) {
			s.nallow = 1;
			ASSERT_EQ(parse_prefix("203.0.113.0/24", &s.allow[0],
			    NULL), 0);
		}
		err[0] = '\0';
		ASSERT_EQ(svc_policy_check(&t, &mb, ids[cases[i].author], &s,
		    err, sizeof(err)), cases[i].ok ? 0 : -1);
		if (cases[i].says != NULL && strstr(err, cases[i].says) == NULL) {
			fprintf(stderr, "%s: said \"%s\"\n", cases[i].what, err);
			ASSERT(0);
		}
	}
	/* the table never serves a second owner without a grant */
	s = svc("web", SVC_TCP, 8080, "100.64.3.10:80");
	ASSERT_EQ(svc_table_set(&t, ids[2], 5, &s), 0);
	ASSERT_EQ(svc_table_get(&t, "web")->nowners, 1);
	/* with a grant to both, public: both serve, and it is public */
	svc_table_release(&t);
	svc_table_init(&t);
	governed(&pol, 1, 1, ids[2]);
	t.pol = &pol;
	web.public = 1;
	ASSERT_EQ(svc_policy_check(&t, &mb, ids[1], &web, err, sizeof(err)), 0);
	ASSERT_EQ(svc_table_set(&t, ids[1], 10, &web), 0);
	ASSERT_EQ(svc_policy_check(&t, &mb, ids[2], &s, err, sizeof(err)), 0);
	ASSERT_EQ(svc_table_set(&t, ids[2], 11, &s), 0);
	svc_plan_key(&t, svc_key(SVC_TCP, 8080), &mb, 0, &p);
	ASSERT_EQ(p.nbackends, 2);
	ASSERT(p.public);
	/* a grant's node with another port is refused, and not served */
	s = svc("web", SVC_UDP, 8080, "100.64.3.10:80");
	ASSERT_EQ(svc_policy_check(&t, &mb, ids[2], &s, err, sizeof(err)), -1);
	ASSERT(strstr(err, "grant") != NULL);
	/* a node outside the grant is refused */
	s = svc("web", SVC_TCP, 8080, "100.64.3.10:80");
	ASSERT_EQ(svc_policy_check(&t, &mb, ids[3], &s, err, sizeof(err)), -1);
	/* access comes from the grant, not the owner's record */
	governed(&pol, 1, 0, ids[2]);
	svc_table_release(&t);
	svc_table_init(&t);
	t.pol = &pol;
	ASSERT_EQ(svc_table_set(&t, ids[1], 10, &web), 0);
	svc_plan_key(&t, svc_key(SVC_TCP, 8080), &mb, 0, &p);
	ASSERT(!p.public);
	svc_table_release(&t);
	mb_release(&mb);
}

TEST(svc_owner_keys_held_once)
{
	/*
	 * An owner names its node's key by index (56 bytes an owner, not
	 * 88): 1,000 services of two nodes hold two keys, and a key no owner
	 * names any more is forgotten and its index used again.
	 */
	struct membership	 mb;
	struct svc_table	 t;
	struct rec_service	 s;
	char			 name[32];
	const struct svc	*sv;

	ASSERT(sizeof(struct svc_owner) <= 56);
	members(&mb);
	svc_table_init(&t);
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		s = svc(name, SVC_TCP, (uint16_t)(2000 + i), "100.64.2.10:80");
		ASSERT_EQ(svc_table_set(&t, ids[1 + i % 2], 10, &s), 0);
	}
	s = svc("s0", SVC_TCP, 2000, "100.64.3.10:80");
	ASSERT_EQ(svc_table_set(&t, ids[2], 11, &s), 0);
	ASSERT_UEQ(t.nids, 2);
	ASSERT_UEQ(t.idrefs[t.v[0]->owners[0].idx], 500);
	sv = svc_table_get(&t, "s0");
	ASSERT_UEQ(sv->nowners, 2);
	ASSERT_MEM_EQ(svc_owner_id(&t, &sv->owners[0]), ids[1], WIRE_KEY);
	ASSERT_MEM_EQ(svc_owner_id(&t, &sv->owners[1]), ids[2], WIRE_KEY);
	/* node 1 goes: its key is free, and node 3's takes its index */
	svc_table_drop_author(&t, ids[1]);
	ASSERT_UEQ(t.freeids, 1);
	ASSERT_UEQ(t.n, 501);
	sv = svc_table_get(&t, "s0");
	ASSERT_UEQ(sv->nowners, 1);
	ASSERT_MEM_EQ(svc_owner_id(&t, &sv->owners[0]), ids[2], WIRE_KEY);
	s = svc("s0", SVC_TCP, 2000, "100.64.4.10:80");
	ASSERT_EQ(svc_table_set(&t, ids[3], 12, &s), 0);
	ASSERT_UEQ(t.nids, 2);
	ASSERT_UEQ(t.freeids, 0);
	sv = svc_table_get(&t, "s0");
	ASSERT_MEM_EQ(svc_owner_id(&t, &sv->owners[1]), ids[3], WIRE_KEY);
	ASSERT_EQ(svc_def(&t, sv, &mb), &sv->owners[0]);
	svc_table_del(&t, ids[3], "s0");
	svc_table_del(&t, ids[3], "s0");
	ASSERT_UEQ(t.freeids, 1);
	svc_table_release(&t);
	mb_release(&mb);
}

TEST(svc_dirty_set_given_back_once_taken)
{
	/* A start marks every port; once all is taken, the room goes. */
	struct svc_table	 t;
	struct rec_service	 s;
	char			 name[32];
	uint32_t		*keys;

	ASSERT((keys = calloc(20000, sizeof(*keys))) != NULL);
	svc_table_init(&t);
	memset(ids[1], 0x11, WIRE_KEY);
	for (int i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		s = svc(name, i % 2 ? SVC_UDP : SVC_TCP,
		    (uint16_t)(1000 + i / 2), "100.64.2.10:80");
		ASSERT_EQ(svc_table_set(&t, ids[1], 10, &s), 0);
	}
	ASSERT_UEQ(t.ndirty, 20000);
	ASSERT_UEQ(svc_table_take_dirty(&t, keys, 15000), 15000);
	ASSERT(t.capdirty >= 5000 && t.dirtyidx.cap > 0);
	ASSERT_UEQ(svc_table_take_dirty(&t, keys, 15000), 5000);
	ASSERT_UEQ(t.capdirty, 0);
	ASSERT_UEQ(t.dirtyidx.cap, 0);
	/* and marking works again */
	svc_table_touch_all(&t);
	ASSERT_UEQ(svc_table_take_dirty(&t, keys, 20000), 20000);
	svc_table_release(&t);
	free(keys);
}

TEST(svc_first_owner_in_the_entry)
{
	/*
	 * The first owner is held in the service's entry; a second moves
	 * them to an array, and all stay as they were.
	 */
	struct membership	 mb;
	struct svc_table	 t;
	struct rec_service	 s;
	const struct svc	*sv;

	members(&mb);
	svc_table_init(&t);
	s = svc("web", SVC_TCP, 8080, "100.64.1.10:80");
	ASSERT_EQ(svc_table_set(&t, ids[1], 11, &s), 0);
	sv = svc_table_get(&t, "web");
	ASSERT(sv->owners == &sv->one);
	ASSERT_UEQ(sv->cap, 1);
	for (int i = 2; i < 4; i++) {
		s = svc("web", SVC_TCP, 8080, i == 2 ? "100.64.2.10:80" :
		    "100.64.3.10:80");
		ASSERT_EQ(svc_table_set(&t, ids[i], 10 + i, &s), 0);
	}
	sv = svc_table_get(&t, "web");
	ASSERT(sv->owners != &sv->one);
	ASSERT_UEQ(sv->nowners, 3);
	ASSERT_UEQ(sv->cap, 4);
	for (uint32_t i = 0; i < 3; i++) {
		ASSERT_MEM_EQ(svc_owner_id(&t, &sv->owners[i]), ids[1 + i],
		    WIRE_KEY);
		ASSERT_UEQ(sv->owners[i].version, 11 + i);
		ASSERT_EQ(sv->owners[i].target.ip[2], 1 + i);
	}
	svc_table_del(&t, ids[1], "web");
	ASSERT_UEQ(svc_table_get(&t, "web")->nowners, 2);
	ASSERT_EQ(svc_def(&t, svc_table_get(&t, "web"), &mb)->version, 12);
	svc_table_release(&t);
	mb_release(&mb);
}


/*
 * A grant that outlived its service (the last backend deleted, the grant
 * kept): an add under the name must ask the grant's access, or a grant
 * left behind would open the new service wider than asked.  A served
 * name joins its service as it is (svc_policy_check alone).
 */
TEST(svc_grant_asked_under_a_grant_no_backend_serves)
{
	struct membership	 mb;
	struct svc_table	 t;
	struct policy		 pol;
	struct rec_service	 s = svc("web", SVC_TCP, 8080, "100.64.2.10:80");
	char			 err[256];

	members(&mb);
	svc_table_init(&t);
	/* no operators: nothing to check */
	ASSERT_EQ(svc_grant_asked(&t, &mb, &s, err, sizeof(err)), 0);
	/* governed, no grant of web: as before */
	governed(&pol, 0, 0, NULL);
	t.pol = &pol;
	ASSERT_EQ(svc_grant_asked(&t, &mb, &s, err, sizeof(err)), 0);
	/* a public grant, no backend: a private add is refused, naming it */
	governed(&pol, 1, 1, NULL);
	err[0] = '\0';
	ASSERT_EQ(svc_grant_asked(&t, &mb, &s, err, sizeof(err)), -1);
	ASSERT(strstr(err, "web tcp/8080, public, owners") != NULL);
	ASSERT(strstr(err, "this add asks private") != NULL);
	/* ... an add that asks for public is what the grant gives */
	s.public = 1;
	ASSERT_EQ(svc_grant_asked(&t, &mb, &s, err, sizeof(err)), 0);
	/* ... and public with an --allow list the grant has not: refused */
	s.nallow = 1;
	ASSERT_EQ(parse_prefix("203.0.113.0/24", &s.allow[0], NULL), 0);
	ASSERT_EQ(svc_grant_asked(&t, &mb, &s, err, sizeof(err)), -1);
	ASSERT(strstr(err, "asks public, allow 203.0.113.0/24") != NULL);
	/* a private grant, no backend: a private add is fine */
	governed(&pol, 1, 0, NULL);
	s.public = 0;
	s.nallow = 0;
	ASSERT_EQ(svc_grant_asked(&t, &mb, &s, err, sizeof(err)), 0);
	/* a served name: the add joins the service as it is */
	governed(&pol, 1, 1, ids[2]);
	s.public = 1;
	ASSERT_EQ(svc_table_set(&t, ids[1], 10, &s), 0);
	s.public = 0;
	ASSERT_EQ(svc_grant_asked(&t, &mb, &s, err, sizeof(err)), 0);
	/* ... until its last backend goes */
	svc_table_del(&t, ids[1], "web");
	ASSERT_EQ(svc_grant_asked(&t, &mb, &s, err, sizeof(err)), -1);
	svc_table_release(&t);
	mb_release(&mb);
}

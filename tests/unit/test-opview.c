/* test-opview.c: what a service add or del needs signed (op_service_plan), as rpnctl and the API decide it. */
#include "proto/ctl.h"
#include "proto/mp.h"
#include "proto/opview.h"
#include "proto/parse.h"
#include "tests/unit/test.h"

#define ID_A	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ID_B	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static void
member(msgpack_packer *pk, const char *name, const char *id)
{
	msgpack_pack_map(pk, 3);
	mp_pack_str(pk, "name");
	mp_pack_str(pk, name);
	mp_pack_str(pk, "id");
	mp_pack_str(pk, id);
	mp_pack_str(pk, "state");
	mp_pack_str(pk, "alive");
}

/* A status from node a of a mesh with a and b; governed or not. */
static void
status(struct mp_doc *d, int governed)
{
	struct buf	 b;
	msgpack_packer	 pk;

	buf_init(&b, 4096);
	mp_packer_init(&pk, &b);
	msgpack_pack_map(&pk, 3);
	mp_pack_str(&pk, "node");
	msgpack_pack_map(&pk, 3);
	mp_pack_str(&pk, "id");
	mp_pack_str(&pk, ID_A);
	mp_pack_str(&pk, "mesh");
	mp_pack_str(&pk, "0123456789abcdef0123456789abcdef");
	mp_pack_str(&pk, "name");
	mp_pack_str(&pk, "a");
	mp_pack_str(&pk, "governed");
	if (governed)
		msgpack_pack_true(&pk);
	else
		msgpack_pack_false(&pk);
	mp_pack_str(&pk, "members");
	msgpack_pack_array(&pk, 2);
	member(&pk, "a", ID_A);
	member(&pk, "b", ID_B);
	if (mp_parse(d, b.p, b.len) == -1)
		TEST_FAIL("status does not parse");
	buf_release(&b);
}

/* "granted" and "grant" of a service object: b's alone, tcp/port, public. */
static void
public_grant_of_b(msgpack_packer *pk, uint16_t port)
{
	mp_pack_str(pk, "granted");
	msgpack_pack_array(pk, 1);
	mp_pack_str(pk, ID_B);
	mp_pack_str(pk, "grant");
	msgpack_pack_map(pk, 4);
	mp_pack_str(pk, "proto");
	mp_pack_str(pk, "tcp");
	mp_pack_str(pk, "port");
	msgpack_pack_uint16(pk, port);
	mp_pack_str(pk, "public");
	msgpack_pack_true(pk);
	mp_pack_str(pk, "allow");
	msgpack_pack_array(pk, 0);
}

/*
 * A service list with web tcp/8080, private as its backends show it, one
 * backend on b; with granted, also a grant that makes it public, owner b
 * (the view's own access stays private while the port is in conflict).
 */
static void
services(struct mp_doc *d, int granted)
{
	struct buf	 b;
	msgpack_packer	 pk;

	buf_init(&b, 4096);
	mp_packer_init(&pk, &b);
	msgpack_pack_map(&pk, 1);
	mp_pack_str(&pk, "services");
	msgpack_pack_array(&pk, 1);
	msgpack_pack_map(&pk, granted ? 8 : 6);
	if (granted)
		public_grant_of_b(&pk, 8080);
	mp_pack_str(&pk, "name");
	mp_pack_str(&pk, "web");
	mp_pack_str(&pk, "proto");
	mp_pack_str(&pk, "tcp");
	mp_pack_str(&pk, "port");
	msgpack_pack_uint16(&pk, 8080);
	mp_pack_str(&pk, "public");
	msgpack_pack_false(&pk);
	mp_pack_str(&pk, "allow");
	msgpack_pack_array(&pk, 0);
	mp_pack_str(&pk, "backends");
	msgpack_pack_array(&pk, 1);
	msgpack_pack_map(&pk, 1);
	mp_pack_str(&pk, "node");
	mp_pack_str(&pk, "b");
	if (mp_parse(d, b.p, b.len) == -1)
		TEST_FAIL("services do not parse");
	buf_release(&b);
}

/* A service list of svcs/n alone, no unserved grants. */
static const struct op_services *
view(const msgpack_object *svcs, uint32_t n)
{
	static struct op_services	 v;

	memset(&v, 0, sizeof(v));
	v.svcs = svcs;
	v.n = n;
	return &v;
}

static void
add(struct ctl_req *r, const char *name, uint16_t port, const char *node,
    int public)
{
	memset(r, 0, sizeof(*r));
	r->cmd = CTL_SERVICE_ADD;
	strcpy(r->name, name);
	r->proto = 6;
	r->port = port;
	if (parse_addrport("100.64.1.10:80", 0, &r->target) == -1)
		TEST_FAIL("bad target");
	if (node != NULL)
		strcpy(r->node, node);
	r->public = public;
}

TEST(opview_service_plan)
{
	struct mp_doc		 st, sv, sg, ungov;
	struct ctl_req		 r;
	struct op_plan		 p;
	const msgpack_object	*svcs;
	uint8_t			 a[WIRE_KEY], b[WIRE_KEY];
	uint32_t		 n;
	char			 err[300];

	memset(a, 0xaa, sizeof(a));
	memset(b, 0xbb, sizeof(b));
	status(&st, 1);
	status(&ungov, 0);
	services(&sv, 0);
	svcs = out_array(&sv.root, "services", &n);
	ASSERT_UEQ(n, 1);

	/* a new private name here: nothing to sign */
	add(&r, "new", 9000, NULL, 0);
	ASSERT_EQ(op_service_plan(&r, &st.root, view(svcs, n), 1, &p, err,
	    sizeof(err)), 0);
	ASSERT_EQ(p.need_grant + p.need_order, 0);
	/* public: a grant of it, this node the owner */
	add(&r, "new", 9000, NULL, 1);
	ASSERT_EQ(op_service_plan(&r, &st.root, view(svcs, n), 1, &p, err,
	    sizeof(err)), 0);
	ASSERT_EQ(p.need_grant, 1);
	ASSERT_EQ(p.need_order, 0);
	ASSERT_EQ(p.grant.kind, REC_GRANT);
	ASSERT_STR_EQ(p.grant.name, "new");
	ASSERT_EQ(p.grant.svc.public, 1);
	ASSERT_EQ(p.grant.nowners, 1);
	ASSERT_MEM_EQ(p.grant.owners[0], a, WIRE_KEY);
	/* ... and if the add is refused, that grant is withdrawn */
	ASSERT_EQ(p.was.kind, REC_GRANT);
	ASSERT_STR_EQ(p.was.name, "new");
	ASSERT_EQ(p.was.withdrawn, 1);
	ASSERT_EQ(p.was.nowners, 0);
	/* not governed: members rule, nothing to sign */
	ASSERT_EQ(op_service_plan(&r, &ungov.root, view(svcs, n), 1, &p, err,
	    sizeof(err)), 0);
	ASSERT_EQ(p.needs_key + p.need_grant + p.need_order, 0);
	/* web, which b serves, here too: a grant of both owners */
	add(&r, "web", 8080, NULL, 0);
	ASSERT_EQ(op_service_plan(&r, &st.root, view(svcs, n), 1, &p, err,
	    sizeof(err)), 0);
	ASSERT_EQ(p.need_grant, 1);
	ASSERT_EQ(p.grant.nowners, 2);
	ASSERT_MEM_EQ(p.grant.owners[0], b, WIRE_KEY);
	ASSERT_MEM_EQ(p.grant.owners[1], a, WIRE_KEY);
	/* ... no grant governed web: if the add is refused, it is withdrawn */
	ASSERT_EQ(p.was.kind, REC_GRANT);
	ASSERT_STR_EQ(p.was.name, "web");
	ASSERT_EQ(p.was.withdrawn, 1);
	ASSERT_EQ(p.was.nowners, 0);
	ASSERT_UEQ(p.was.svc.port, 8080);
	/*
	 * A grant makes web public, though the view shows it private: the
	 * grant for a's add keeps it public, and the one put back if the add
	 * is refused is that grant exactly (b alone, public).
	 */
	services(&sg, 1);
	svcs = out_array(&sg.root, "services", &n);
	ASSERT_EQ(op_service_plan(&r, &st.root, view(svcs, n), 1, &p, err,
	    sizeof(err)), 0);
	ASSERT_EQ(p.need_grant, 1);
	ASSERT_EQ(p.grant.svc.public, 1);
	ASSERT_EQ(p.grant.nowners, 2);
	ASSERT_EQ(p.was.withdrawn, 0);
	ASSERT_EQ(p.was.svc.public, 1);
	ASSERT_EQ(p.was.nowners, 1);
	ASSERT_MEM_EQ(p.was.owners[0], b, WIRE_KEY);
	mp_doc_release(&sg);
	svcs = out_array(&sv.root, "services", &n);
	/* ... without a key, rpnd is left to say what is missing */
	ASSERT_EQ(op_service_plan(&r, &st.root, view(svcs, n), 0, &p, err,
	    sizeof(err)), 0);
	ASSERT_EQ(p.needs_key, 0);
	/* another port under web's name */
	add(&r, "web", 9090, NULL, 0);
	ASSERT_EQ(op_service_plan(&r, &st.root, view(svcs, n), 1, &p, err,
	    sizeof(err)), -1);
	ASSERT(strstr(err, "same protocol and port") != NULL);
	/* on b: web is b's already: only the order to b */
	add(&r, "web", 8080, "b", 0);
	ASSERT_EQ(op_service_plan(&r, &st.root, view(svcs, n), 1, &p, err,
	    sizeof(err)), 0);
	ASSERT_EQ(p.need_grant, 0);
	ASSERT_EQ(p.need_order, 1);
	ASSERT_EQ(p.order.kind, REC_ORDER);
	ASSERT_EQ(p.order.action, OP_ADD);
	ASSERT_MEM_EQ(p.order.subject, b, WIRE_KEY);
	ASSERT_UEQ(p.order.svc.port, 8080);
	/* naming this node is leaving --node out */
	add(&r, "new", 9000, "a", 0);
	ASSERT_EQ(op_service_plan(&r, &st.root, view(svcs, n), 1, &p, err,
	    sizeof(err)), 0);
	ASSERT_EQ(p.need_order, 0);
	/* a delete on b: an order; here: nothing */
	memset(&r, 0, sizeof(r));
	r.cmd = CTL_SERVICE_DEL;
	strcpy(r.name, "web");
	ASSERT_EQ(op_service_plan(&r, &st.root, NULL, 1, &p, err,
	    sizeof(err)), 0);
	ASSERT_EQ(p.needs_key, 0);
	strcpy(r.node, "b");
	ASSERT_EQ(op_service_plan(&r, &st.root, NULL, 1, &p, err,
	    sizeof(err)), 0);
	ASSERT_EQ(p.need_order, 1);
	ASSERT_EQ(p.order.action, OP_DEL);
	/* a node nobody is called */
	strcpy(r.node, "mars");
	ASSERT_EQ(op_service_plan(&r, &st.root, NULL, 1, &p, err,
	    sizeof(err)), -1);
	ASSERT_STR_EQ(err, "no member is named \"mars\"");
	mp_doc_release(&st);
	mp_doc_release(&ungov);
	mp_doc_release(&sv);
}

/*
 * A service list where no backend serves web6 but a grant of it stays:
 * tcp/8086, public, owner b.
 */
static void
unserved(struct mp_doc *d)
{
	struct buf	 b;
	msgpack_packer	 pk;

	buf_init(&b, 4096);
	mp_packer_init(&pk, &b);
	msgpack_pack_map(&pk, 2);
	mp_pack_str(&pk, "services");
	msgpack_pack_array(&pk, 0);
	mp_pack_str(&pk, "grants");
	msgpack_pack_array(&pk, 1);
	msgpack_pack_map(&pk, 3);
	mp_pack_str(&pk, "name");
	mp_pack_str(&pk, "web6");
	public_grant_of_b(&pk, 8086);
	if (mp_parse(d, b.p, b.len) == -1)
		TEST_FAIL("the list does not parse");
	buf_release(&b);
}

TEST(opview_grant_without_a_backend)
{
	struct mp_doc		 st, ls;
	struct op_services	 v;
	struct ctl_req		 r;
	struct op_plan		 p;
	struct oprec		 g;
	uint8_t			 a[WIRE_KEY], b[WIRE_KEY];
	char			 err[300];
	int			 notfound;

	memset(a, 0xaa, sizeof(a));
	memset(b, 0xbb, sizeof(b));
	status(&st, 1);
	unserved(&ls);
	op_services_read(&ls.root, &v);
	ASSERT_UEQ(v.n, 0);
	ASSERT_UEQ(v.ngrants, 1);

	/*
	 * A private add here, with a key: the grant is brought in line
	 * (private, owners b and a); the one it replaces is put back if the
	 * add is refused.
	 */
	add(&r, "web6", 8086, NULL, 0);
	ASSERT_EQ(op_service_plan(&r, &st.root, &v, 1, &p, err,
	    sizeof(err)), 0);
	ASSERT_EQ(p.need_grant, 1);
	ASSERT_EQ(p.grant.svc.public, 0);
	ASSERT_UEQ(p.grant.svc.port, 8086);
	ASSERT_EQ(p.grant.nowners, 2);
	ASSERT_MEM_EQ(p.grant.owners[0], b, WIRE_KEY);
	ASSERT_MEM_EQ(p.grant.owners[1], a, WIRE_KEY);
	ASSERT_EQ(p.was.withdrawn, 0);
	ASSERT_EQ(p.was.svc.public, 1);
	ASSERT_EQ(op_grant_same_access(&p.grant, &p.was), 0);
	ASSERT_EQ(op_add_access(&r, &v, &p, &g), 1);
	ASSERT_EQ(g.svc.public, 0);
	/* ... another port: defined anew, the grant follows */
	add(&r, "web6", 9000, NULL, 0);
	ASSERT_EQ(op_service_plan(&r, &st.root, &v, 1, &p, err,
	    sizeof(err)), 0);
	ASSERT_EQ(p.need_grant, 1);
	ASSERT_UEQ(p.grant.svc.port, 9000);
	/* ... without a key, nothing is signed: rpnd refuses it (svc_grant_asked) */
	add(&r, "web6", 8086, NULL, 0);
	ASSERT_EQ(op_service_plan(&r, &st.root, &v, 0, &p, err,
	    sizeof(err)), 0);
	ASSERT_EQ(p.needs_key + p.need_grant, 0);
	/* b's public add is what the grant gives: only the order to b */
	add(&r, "web6", 8086, "b", 1);
	ASSERT_EQ(op_service_plan(&r, &st.root, &v, 1, &p, err,
	    sizeof(err)), 0);
	ASSERT_EQ(p.need_grant, 0);
	ASSERT_EQ(p.need_order, 1);
	ASSERT_EQ(op_add_access(&r, &v, &p, &g), 1);
	ASSERT_EQ(g.svc.public, 1);
	ASSERT_EQ(g.nowners, 1);
	/* b's private add: the grant brought in line, b its only owner */
	add(&r, "web6", 8086, "b", 0);
	ASSERT_EQ(op_service_plan(&r, &st.root, &v, 1, &p, err,
	    sizeof(err)), 0);
	ASSERT_EQ(p.need_grant, 1);
	ASSERT_EQ(p.grant.svc.public, 0);
	ASSERT_EQ(p.grant.nowners, 1);
	/* a name nothing governs: the add's own access */
	add(&r, "new", 9001, NULL, 0);
	ASSERT_EQ(op_service_plan(&r, &st.root, &v, 1, &p, err,
	    sizeof(err)), 0);
	ASSERT_EQ(op_add_access(&r, &v, &p, &g), 0);
	ASSERT_EQ(g.svc.public, 0);

	/* grant and revoke-grant work on it */
	ASSERT_EQ(op_grant_change(&st.root, &v, "web6", "a", 0, &g, &notfound,
	    err, sizeof(err)), 0);
	ASSERT_EQ(g.nowners, 2);
	ASSERT_EQ(g.svc.public, 1);
	ASSERT_UEQ(g.svc.port, 8086);
	ASSERT_EQ(g.withdrawn, 0);
	ASSERT_EQ(op_grant_change(&st.root, &v, "web6", "b", 1, &g, &notfound,
	    err, sizeof(err)), 0);
	ASSERT_EQ(g.nowners, 0);
	ASSERT_EQ(g.withdrawn, 1);
	ASSERT_EQ(op_grant_change(&st.root, &v, "web7", "b", 1, &g, &notfound,
	    err, sizeof(err)), -1);
	ASSERT_EQ(notfound, 1);
	ASSERT_STR_EQ(err, "no service is named \"web7\"");
	mp_doc_release(&ls);
	mp_doc_release(&st);
}

/* A del of the last backend of a name a grant governs: the grant goes too. */
TEST(opview_del_of_the_last_backend_keeps_its_grant)
{
	struct mp_doc		 st, sv, sg, ungov;
	struct op_services	 v;
	struct ctl_req		 r;
	struct op_plan		 p;
	char			 err[300];

	status(&st, 1);
	status(&ungov, 0);
	memset(&r, 0, sizeof(r));
	r.cmd = CTL_SERVICE_DEL;
	strcpy(r.name, "web");
	strcpy(r.node, "b");
	/*
	 * web, b's alone, under a public grant: the grant stays, and the del
	 * says so (p.last); only the order to b is signed
	 */
	services(&sg, 1);
	op_services_read(&sg.root, &v);
	ASSERT_EQ(op_service_plan(&r, &st.root, &v, 1, &p, err,
	    sizeof(err)), 0);
	ASSERT_EQ(p.last, 1);
	ASSERT_EQ(p.needs_key, 1);
	ASSERT_EQ(p.need_order, 1);
	ASSERT_EQ(p.withdraw.kind, REC_GRANT);
	ASSERT_STR_EQ(p.withdraw.name, "web");
	ASSERT_EQ(p.withdraw.withdrawn, 1);
	ASSERT_EQ(p.withdraw.nowners, 0);
	/* ... with a key or without */
	ASSERT_EQ(op_service_plan(&r, &st.root, &v, 0, &p, err,
	    sizeof(err)), 0);
	ASSERT_EQ(p.last, 1);
	/* a's backend (a has none): not the last one */
	strcpy(r.node, "a");
	ASSERT_EQ(op_service_plan(&r, &st.root, &v, 1, &p, err,
	    sizeof(err)), 0);
	ASSERT_EQ(p.last, 0);
	ASSERT_EQ(p.needs_key, 0);
	/* not governed: nothing */
	strcpy(r.node, "b");
	ASSERT_EQ(op_service_plan(&r, &ungov.root, &v, 1, &p, err,
	    sizeof(err)), 0);
	ASSERT_EQ(p.last + p.needs_key, 0);
	/* web without a grant: nothing to withdraw */
	services(&sv, 0);
	op_services_read(&sv.root, &v);
	ASSERT_EQ(op_service_plan(&r, &st.root, &v, 1, &p, err,
	    sizeof(err)), 0);
	ASSERT_EQ(p.last, 0);
	mp_doc_release(&sv);
	mp_doc_release(&sg);
	mp_doc_release(&st);
	mp_doc_release(&ungov);
}

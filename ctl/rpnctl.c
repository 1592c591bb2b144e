/* rpnctl.c: rpnctl status, invite, service, operator, revoke, lan, audit: a running mesh. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "ctl/cli.h"
#include "ctl/output.h"
#include "proto/compat.h"
#include "proto/json.h"
#include "proto/parse.h"

static int	status_main(int, char **);
static int	invite_main(int, char **);
static int	service_main(int, char **);
static int	operator_main(int, char **);
static int	revoke_main(int, char **);
static int	lan_main(int, char **);
static int	audit_main(int, char **);
static int	web_main(int, char **);

static const struct cli_cmd cmds[] = {
	{ "status", status_main, "[--json]",
	  "Members of the mesh with their state, addresses and last-ack age;\n"
	  "      this node's uplinks and LANs; the services.  Exit 0 when this\n"
	  "      node is in a mesh and healthy.",
	  "  --json   one JSON object (docs/json.md)\n" },
	{ "invite", invite_main, "[--ttl DURATION] [--json]",
	  "Print a single-use join token (default lifetime 1h), alone on stdout.",
	  "  --ttl DURATION  how long the token can be used: 90s, 30m, 2h, 7d (1s to 365d)\n"
	  "  --json          {\"token\": ..., \"expires\": unix seconds}\n" },
	{ "service", service_main, "add NAME tcp|udp/PORT --to ADDR:PORT "
	  "[--node NODE] [--allow PREFIX]... [--public] [--force]\n"
	  "      [--dry-run] [--json] | del|delete NAME [--node NODE] [--json]\n"
	  "      | list [--json] | show NAME [--json] | grant NAME NODE\n"
	  "      | revoke-grant NAME NODE",
	  "Add or remove a backend of a service, or list the services.  A\n"
	  "      service on PORT is forwarded by every node to an alive backend.",
	  "  add NAME PROTO/PORT --to ADDR:PORT\n"
	  "        Add this node's backend of service NAME (to change it, del and add\n"
	  "        again): every node forwards PROTO/PORT on its own addresses to\n"
	  "        ADDR:PORT through this node.  Several nodes may back one service;\n"
	  "        connections are spread over the alive ones.  The first service\n"
	  "        defined on a port keeps it.\n"
	  "  --node NODE     act for another member (it must allow remote-services)\n"
	  "  --allow PREFIX  also accept clients from PREFIX (repeatable, at most 16);\n"
	  "                  members and the mesh's LANs are always accepted\n"
	  "  --public        accept clients from anywhere\n"
	  "  --force         add it even on a port the owner listens on itself, or\n"
	  "                  on 22; nodes that listen on the port still skip it\n"
	  "  --dry-run       say whether rpnd would take the add, what an operator\n"
	  "                  would sign for it and what access the service would\n"
	  "                  get (from which grant); sign and change nothing\n"
	  "  --json          {\"ok\": true} (with --dry-run, what would be signed;\n"
	  "                  docs/json.md)\n"
	  "        The target must be a unicast IPv4 address (not loopback,\n"
	  "        multicast or broadcast).  Its owner checks it (TCP: a connection\n"
	  "        every 500 ms; UDP: ICMP port unreachable) and a backend that does\n"
	  "        not answer gets no new connections until it does.\n"
	  "  del NAME [--node NODE] [--json]\n"
	  "                           withdraw this node's (or NODE's) backend; the\n"
	  "                           service's grant stays (revoke-grant withdraws\n"
	  "                           it); delete is the same\n"
	  "  list [--json]            every service, its backends and where it is forwarded\n"
	  "  show NAME [--json]       one service in detail: access, each backend's\n"
	  "                           health and since when, and whether this node\n"
	  "                           programs it (or why not)\n"
	  "  grant NAME NODE          let NODE be an owner of NAME too (its backend\n"
	  "                           is added with service add there, or --node)\n"
	  "  revoke-grant NAME NODE   take that back: NODE's backend is not served\n"
	  "\n"
	  "Once the mesh has operators (rpnctl operator list), these are signed with\n"
	  "the operator key ($RPN_OPERATOR_KEY, else ~/.config/rpn/operator.key):\n"
	  "grant and revoke-grant; add with --public or --allow, or of a name another\n"
	  "node serves with --node (a grant first); add and del with --node (an order\n"
	  "to that node).\n"
	  "A private backend on this node under a name no other node serves needs\n"
	  "no operator (under a grant no backend serves, only with its access).\n" },
	{ "operator", operator_main, "list [--json] | add NAME PUBKEY | remove NAME",
	  "The mesh's operators: the people whose keys sign its policy.",
	  "  list [--json]    every operator: name, public key, active or removed,\n"
	  "                   since when, and who enrolled it (the mesh root or an\n"
	  "                   operator)\n"
	  "  add NAME PUBKEY  enrol PUBKEY (44 characters of base64, from \"rpn\n"
	  "                   operator keygen\" or \"rpn operator pubkey\") as NAME\n"
	  "  remove NAME      remove operator NAME: its signatures from now on count\n"
	  "                   for nothing, what it signed before stays; the last\n"
	  "                   operator cannot be removed\n"
	  "\n"
	  "add and remove are signed with the operator key ($RPN_OPERATOR_KEY, else\n"
	  "~/.config/rpn/operator.key).\n" },
	{ "revoke", revoke_main, "NODE",
	  "Revoke member NODE for good, signed with the operator key: every member\n"
	  "      lists it as revoked and refuses its records, datagrams and streams.",
	  NULL },
	{ "lan", lan_main, "approve NODE PREFIX...",
	  "Approve LAN prefixes of NODE that need an operator: outside RFC 1918\n"
	  "      and RFC 6598, shorter than /16, or overlapping a member's addresses.",
	  "  approve NODE PREFIX...  signed with the operator key; replaces NODE's\n"
	  "                          earlier approval, so name every prefix (at\n"
	  "                          most 64)\n" },
	{ "audit", audit_main, "[--json]",
	  "Every policy change the mesh accepted, oldest first: operators enrolled\n"
	  "      and removed, grants, revocations, approvals, joins.  The same on\n"
	  "      every node: it is read from the signed statements.",
	  "  --json   {\"events\": [{\"time\", \"actor\", \"actor_key\", \"event\",\n"
	  "           \"subject\", \"detail\"}]} (docs/json.md)\n" },
	{ "web", web_main, "enroll NAME [--https] [--timeout DURATION] [--json]",
	  "Enrol a browser as operator NAME of the web console: print a one-time\n"
	  "      URL, wait until a browser opens it, then sign its key's enrolment\n"
	  "      with the operator key.  Exit 0 once enrolled, 1 if no browser came.",
	  "  enroll NAME         the URL (http://ADDR:PORT/enroll#CODE) goes to\n"
	  "                      stdout; open it in the browser to enrol (through\n"
	  "                      ssh -L 7481:127.0.0.1:7481 from afar).  The code\n"
	  "                      is valid 10 minutes, once.\n"
	  "  --https             the https-listen URL instead\n"
	  "  --timeout DURATION  wait at most this long (1s to 10m; default 10m)\n"
	  "  --json              {\"url\", \"expires\"} instead of the bare URL\n"
	  "\n"
	  "Signed with the operator key ($RPN_OPERATOR_KEY, else\n"
	  "~/.config/rpn/operator.key): an ordinary operator enrolment, gossiped\n"
	  "and audited.\n" },
	{ NULL, NULL, NULL, NULL, NULL },
};

/*
 * Each command's subcommands, for cli_unknown_sub(); "WORD=COMMAND" for
 * one of rpn's, which someone may ask of rpnctl.
 */
static const char *const service_subs[] = { "add", "del", "list", "show",
	"grant", "revoke-grant", NULL };
static const char *const operator_subs[] = { "list", "add", "remove",
	"keygen=rpn operator keygen", "pubkey=rpn operator pubkey",
	"adopt=rpn operator adopt", NULL };
static const char *const lan_subs[] = { "approve", NULL };
static const char *const web_subs[] = { "enroll", NULL };

static const struct option json_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "ttl", required_argument, NULL, 't' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct option help_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/*
 * plain_options - a command's options when it has at most --json: 0, or
 * an exit status.  json NULL: no --json.  Its arguments start at optind.
 */
static int
plain_options(const struct cli_cmd *c, int argc, char **argv, int *json)
{
	const char	*opts = json != NULL ? ":jh" : ":h";
	int		 ch;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, opts, json != NULL ? json_opts :
	    help_opts, NULL)) != -1) {
		if (ch == 'j' && json != NULL)
			*json = 1;
		else if (ch == 'h') {
			cli_help(stdout, c);
			exit(0);
		} else
			return cli_bad_option(c, ch, opts, argv);
	}
	return 0;
}

static const char *const args_none[] = { NULL };
static const char *const args_name[] = { "NAME", NULL };
static const char *const args_node[] = { "NODE", NULL };
static const char *const args_name_node[] = { "NAME", "NODE", NULL };
static const char *const args_name_key[] = { "NAME", "PUBKEY", NULL };

/*
 * Exactly the arguments named (a NULL-terminated list) after the options;
 * 0, or an exit status naming the first one missing.
 */
static int
nargs(const struct cli_cmd *c, int argc, char **argv,
    const char *const *names)
{
	int	 n = 0;

	while (names[n] != NULL)
		n++;
	if (argc - optind < n)
		return cli_usage_error(c, "missing %s", names[argc - optind]);
	if (argc - optind > n)
		return cli_usage_error(c, "unexpected argument \"%s\"",
		    argv[optind + n]);
	return 0;
}

/* "2026-12-03 05:30:25", local time, from unix ms */
static void
fmt_time(char *out, size_t cap, uint64_t ms)
{
	time_t		 t = (time_t)(ms / 1000);
	struct tm	 tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(out, cap, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(out, cap, "%llu", (unsigned long long)ms);
}

/*
 * The operator key and what signing needs of the mesh: where every
 * operator-signed command starts; 0, or 1 with the reason said.
 */
static int
signer_open(struct opkey *k, struct mp_doc *st, struct op_mesh *m)
{
	if (cli_opkey(k) != 0)
		return 1;
	if (cli_status(st, m) != 0) {
		opkey_clear(k);
		return 1;
	}
	return 0;
}

static void
signer_close(struct opkey *k, struct mp_doc *st)
{
	opkey_clear(k);
	mp_doc_release(st);
}

static void
print_members(const msgpack_object *members, uint32_t n)
{
	int	 wname = 4, waddr = 9;

	for (uint32_t i = 0; i < n; i++) {
		char			 name[80];
		uint32_t		 na;
		const msgpack_object	*addrs;
		int			 w = 0;

		out_str(&members[i], "name", name, sizeof(name));
		if ((int)strlen(name) > wname)
			wname = (int)strlen(name);
		addrs = out_array(&members[i], "addrs", &na);
		for (uint32_t j = 0; j < na; j++) {
			if (addrs[j].type != MSGPACK_OBJECT_STR)
				continue;
			w += (int)addrs[j].via.str.size + (j ? 1 : 0);
		}
		if (w > waddr)
			waddr = w;
	}
	printf("%-*s  %-8s  %-7s  %-*s  %s\n", wname, "NAME", "ID", "STATE",
	    waddr, "ADDRESSES", "LAST-ACK");
	for (uint32_t i = 0; i < n; i++) {
		char			 name[80], id[80], state[16], addr[512] = "",
					 age[32] = "-";
		uint32_t		 na;
		const msgpack_object	*addrs;
		uint64_t		 ms;

		out_str(&members[i], "name", name, sizeof(name));
		out_str(&members[i], "id", id, sizeof(id));
		id[8] = '\0';
		out_str(&members[i], "state", state, sizeof(state));
		addrs = out_array(&members[i], "addrs", &na);
		for (uint32_t j = 0; j < na; j++) {
			if (addrs[j].type != MSGPACK_OBJECT_STR)
				continue;
			snprintf(addr + strlen(addr), sizeof(addr) - strlen(addr),
			    "%s%.*s", j ? "," : "", (int)addrs[j].via.str.size,
			    addrs[j].via.str.ptr);
		}
		if (out_u64(&members[i], "last_ack_ms", &ms) == 0)
			fmt_duration(age, sizeof(age), ms);
		else if (out_bool(&members[i], "self"))
			strlcpy(age, "(self)", sizeof(age));
		printf("%-*s  %-8s  %-7s  %-*s  %s\n", wname, name, id, state,
		    waddr, addr, age);
	}
}

/* This node's uplinks, LANs and what rpnd could not classify. */
static void
print_host(const msgpack_object *root)
{
	const msgpack_object	*ups, *lans, *pfx, *notes;
	uint32_t		 nu, nl, np, nn;

	ups = out_array(root, "uplinks", &nu);
	lans = out_array(root, "lans", &nl);
	pfx = out_array(root, "lan_prefixes", &np);
	notes = out_array(root, "notes", &nn);
	if (nu > 0) {
		printf("\n%-8s  %-8s  %-16s  %-16s  %-5s  %s\n", "UPLINK",
		    "STATE", "ADDRESS", "GATEWAY", "TABLE", "FROM");
		for (uint32_t i = 0; i < nu; i++) {
			char		 ifc[32], st[16], a[64] = "-", g[64] = "-",
					 src[16];
			uint64_t	 table = 0;

			out_str(&ups[i], "iface", ifc, sizeof(ifc));
			out_str(&ups[i], "state", st, sizeof(st));
			out_str(&ups[i], "address", a, sizeof(a));
			out_str(&ups[i], "gateway", g, sizeof(g));
			out_u64(&ups[i], "table", &table);
			out_str(&ups[i], "source", src, sizeof(src));
			printf("%-8s  %-8s  %-16s  %-16s  %-5llu  %s\n", ifc, st, a,
			    g, (unsigned long long)table, src);
		}
	}
	if (nl > 0) {
		printf("\nLAN");
		for (uint32_t i = 0; i < nl; i++) {
			char	 ifc[32], src[16];

			out_str(&lans[i], "iface", ifc, sizeof(ifc));
			out_str(&lans[i], "source", src, sizeof(src));
			printf("%s %s (%s)", i ? "," : "", ifc, src);
		}
		printf(": ");
		for (uint32_t i = 0; i < np && i < 8; i++)
			if (pfx[i].type == MSGPACK_OBJECT_STR)
				printf("%s%.*s", i ? " " : "",
				    (int)pfx[i].via.str.size, pfx[i].via.str.ptr);
		if (np > 8)
			printf(" and %u more", np - 8);
		printf("\n");
	}
	for (uint32_t i = 0; i < nn; i++)
		if (notes[i].type == MSGPACK_OBJECT_STR)
			printf("%s%.*s\n", i == 0 ? "\nnote: " : "note: ",
			    (int)notes[i].via.str.size, notes[i].via.str.ptr);
}

/* The console's listeners, the HTTPS certificate's fingerprint to pin, a problem. */
static void
print_http(const msgpack_object *root)
{
	const msgpack_object	*h = ctl_map_get(root, "http");
	char			 a[80], fpr[128], problem[520];

	if (h == NULL)
		return;
	printf("\nconsole");
	if (out_str(h, "listen", a, sizeof(a)) == 0)
		printf("  http://%s/", a);
	if (out_str(h, "https_listen", a, sizeof(a)) == 0)
		printf("  https://%s/", a);
	printf("\n");
	if (out_str(h, "https_fingerprint", fpr, sizeof(fpr)) == 0)
		printf("https certificate SHA-256 %s\n", fpr);
	if (out_str(h, "problem", problem, sizeof(problem)) == 0)
		printf("console problem: %s\n", problem);
}

/* "2/3": on how many live members the kernel holds it; "" from an older rpnd. */
static void
programmed_on(const msgpack_object *svc, char *out, size_t len)
{
	const msgpack_object	*po = ctl_map_get(svc, "programmed_on");
	uint64_t		 n, of;

	out[0] = '\0';
	if (po != NULL && out_u64(po, "nodes", &n) == 0 &&
	    out_u64(po, "of", &of) == 0)
		snprintf(out, len, "%llu/%llu", (unsigned long long)n,
		    (unsigned long long)of);
}

/* One line per backend: web tcp/8080 -> site-b (alive) -> 100.64.2.10:80 */
static void
print_services(const msgpack_object *svcs, uint32_t n)
{
	int	 wname = 7;

	for (uint32_t i = 0; i < n; i++) {
		char	 name[80];

		out_str(&svcs[i], "name", name, sizeof(name));
		if ((int)strlen(name) > wname)
			wname = (int)strlen(name);
	}
	printf("%-*s  %-11s  %-40s  %-6s  %s\n", wname, "SERVICE", "PORT",
	    "BACKENDS", "NODES", "PROGRAMMED");
	for (uint32_t i = 0; i < n; i++) {
		const msgpack_object	*be, *fw;
		char			 name[80], proto[8], port[24], problem[200],
					 mode[16], nodes[24] = "";
		uint64_t		 p = 0;
		uint32_t		 nb;

		out_str(&svcs[i], "name", name, sizeof(name));
		out_str(&svcs[i], "proto", proto, sizeof(proto));
		out_u64(&svcs[i], "port", &p);
		snprintf(port, sizeof(port), "%s/%llu", proto,
		    (unsigned long long)p);
		be = out_array(&svcs[i], "backends", &nb);
		fw = ctl_map_get(&svcs[i], "forwarding");
		programmed_on(&svcs[i], nodes, sizeof(nodes));
		mode[0] = '\0';
		if (fw != NULL)
			out_str(fw, "mode", mode, sizeof(mode));
		for (uint32_t j = 0; j < nb || j == 0; j++) {
			char	 node[80] = "", target[64] = "", state[16] = "",
				 line[200];

			if (j < nb) {
				char	 health[16] = "";

				out_str(&be[j], "node", node, sizeof(node));
				out_str(&be[j], "target", target, sizeof(target));
				out_str(&be[j], "state", state, sizeof(state));
				out_str(&be[j], "health", health, sizeof(health));
				snprintf(line, sizeof(line), "-> %s (%s) -> %s%s%s",
				    node, state, target, strcmp(health, "up") == 0 ||
				    strcmp(health, "unknown") == 0 ? "" : " ",
				    strcmp(health, "up") == 0 ||
				    strcmp(health, "unknown") == 0 ? "" : health);
			} else
				snprintf(line, sizeof(line), "(no backend)");
			printf("%-*s  %-11s  %-40s  %-6s  %s\n", wname,
			    j == 0 ? name : "", j == 0 ? port : "", line,
			    j == 0 ? nodes : "", j == 0 ?
			    (out_bool(&svcs[i], "programmed") ? (strcmp(mode,
			    "none") == 0 ? "yes (nothing to forward)" : "yes") :
			    "no") : "");
		}
		if (out_str(&svcs[i], "problem", problem, sizeof(problem)) == 0)
			printf("%-*s  %s\n", wname, "", problem);
	}
}

/*
 * The grants of names no backend serves: each decides the access of the
 * next add of its name, so they are shown with the services.
 */
static void
print_unserved_grants(const msgpack_object *list)
{
	struct op_services	 v;
	struct oprec		 g;
	char			 err[200], access[300];

	op_services_read(list, &v);
	for (uint32_t i = 0; i < v.ngrants; i++) {
		if (op_grant_now(&v.grants[i], &g, err, sizeof(err)) == -1 ||
		    g.withdrawn)
			continue;
		op_access_describe(&g, access, sizeof(access));
		printf("%s%s %s/%u, %s: granted, no backend serves it "
		    "(rpnctl service revoke-grant %s NODE withdraws it)\n",
		    i == 0 ? "\n" : "", g.name, g.svc.proto == SVC_UDP ?
		    "udp" : "tcp", g.svc.port, access, g.name);
	}
}

/* The strings of an array, each after a space. */
static void
print_words(const msgpack_object *v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (v[i].type == MSGPACK_OBJECT_STR)
			printf(" %.*s", (int)v[i].via.str.size,
			    v[i].via.str.ptr);
}

/* service show: one service, a line per fact. */
static void
print_service(const msgpack_object *s)
{
	const msgpack_object	*be, *fw, *to, *allow;
	char			 name[80], proto[8], access[16], mode[16],
				 problem[240], nodes[24];
	uint64_t		 port = 0;
	uint32_t		 nb, nt, na;

	if (s == NULL)
		return;
	out_str(s, "name", name, sizeof(name));
	out_str(s, "proto", proto, sizeof(proto));
	out_u64(s, "port", &port);
	out_str(s, "access", access, sizeof(access));
	printf("service     %s\nport        %s/%llu\naccess      %s", name, proto,
	    (unsigned long long)port, access);
	allow = out_array(s, "allow", &na);
	if (strcmp(access, "public") == 0) {
		printf(" (anyone)\n");
		/* It keeps its --allow list for when it is private again. */
		if (na > 0) {
			printf("allow      ");
			print_words(allow, na);
			printf(" (no effect while public)\n");
		}
	} else {
		if (na > 0) {
			printf(" from");
			print_words(allow, na);
		}
		printf("%s\n", strcmp(access, "private") == 0 ?
		    " (members and their sites' LANs)" : "");
	}
	be = out_array(s, "backends", &nb);
	for (uint32_t i = 0; i < nb; i++) {
		char		 node[80], target[64], state[16], health[16],
				 since[64] = "";
		uint64_t	 ms;

		out_str(&be[i], "node", node, sizeof(node));
		out_str(&be[i], "target", target, sizeof(target));
		out_str(&be[i], "state", state, sizeof(state));
		out_str(&be[i], "health", health, sizeof(health));
		if (out_u64(&be[i], "health_since", &ms) == 0) {
			time_t		 t = (time_t)(ms / 1000);
			struct tm	 tm;

			localtime_r(&t, &tm);
			strftime(since, sizeof(since), " since %H:%M:%S", &tm);
		}
		printf("%-11s %s (%s) -> %s, %s%s\n", i ? "" : "backends", node,
		    state, target, health, since);
	}
	fw = ctl_map_get(s, "forwarding");
	mode[0] = '\0';
	if (fw != NULL) {
		out_str(fw, "mode", mode, sizeof(mode));
		to = out_array(fw, "to", &nt);
		printf("forwarding  %s", mode);
		for (uint32_t i = 0; i < nt; i++)
			if (to[i].type == MSGPACK_OBJECT_STR)
				printf("%s%.*s", i ? ", " : " to ",
				    (int)to[i].via.str.size, to[i].via.str.ptr);
		printf("\n");
	}
	printf("programmed  %s\n", out_bool(s, "programmed") ? "yes" : "no");
	programmed_on(s, nodes, sizeof(nodes));
	if (nodes[0])
		printf("nodes       %s (live members whose kernel holds it)\n",
		    nodes);
	if (out_str(s, "problem", problem, sizeof(problem)) == 0)
		printf("problem     %s\n", problem);
}

static int
status_main(int argc, char **argv)
{
	const struct cli_cmd	*c = cli_cmd_find(cmds, "status");
	struct ctl_req		 r;
	struct mp_doc		 d;
	const msgpack_object	*node, *members;
	char			 name[80], mesh[40], state[16], id[80];
	uint64_t		 nops = 0;
	uint32_t		 n, counts[5] = { 0 };
	const char		*opts = ":jh";
	int			 ch, json = 0, healthy;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, opts, json_opts, NULL)) != -1) {
		if (ch == 'j')
			json = 1;
		else if (ch == 'h') {
			cli_help(stdout, c);
			return 0;
		} else
			return cli_bad_option(c, ch, opts, argv);
	}
	if (optind != argc)
		return cli_usage_error(c, "unexpected argument \"%s\"",
		    argv[optind]);
	memset(&r, 0, sizeof(r));
	r.cmd = CTL_STATUS;
	if (cli_call(&r, &d, 10000) != 0)
		return 1;
	node = ctl_map_get(&d.root, "node");
	out_str(node, "state", state, sizeof(state));
	healthy = strcmp(state, "alive") == 0;
	if (json) {
		out_json(stdout, &d.root, 1);
		mp_doc_release(&d);
		return healthy ? 0 : 1;
	}
	out_str(node, "name", name, sizeof(name));
	out_str(node, "id", id, sizeof(id));
	id[8] = '\0';
	if (out_str(node, "mesh", mesh, sizeof(mesh)) == -1) {
		printf("node %s (%s) is not in a mesh: run \"rpn init\" or "
		    "\"rpn join\"\n", name, id);
		mp_doc_release(&d);
		return 1;
	}
	members = out_array(&d.root, "members", &n);
	for (uint32_t i = 0; i < n; i++) {
		char	 s[16];

		out_str(&members[i], "state", s, sizeof(s));
		counts[strcmp(s, "alive") == 0 ? 0 : strcmp(s, "suspect") == 0 ?
		    1 : strcmp(s, "failed") == 0 ? 2 : strcmp(s, "revoked") ==
		    0 ? 4 : 3]++;
	}
	printf("mesh %.16s  node %s (%s) %s  members: %u alive, %u suspect, "
	    "%u failed, %u left", mesh, name, id, state, counts[0],
	    counts[1], counts[2], counts[3]);
	if (counts[4] > 0)
		printf(", %u revoked", counts[4]);
	if (out_bool(&d.root, "governed")) {
		out_u64(&d.root, "operators", &nops);
		printf("\noperators: %llu (governed)\n\n",
		    (unsigned long long)nops);
	} else
		printf("\nno operators: policy not enforced; run rpn operator "
		    "adopt\n\n");
	print_members(members, n);
	print_host(&d.root);
	print_http(&d.root);
	{
		const msgpack_object	*svcs;
		uint32_t		 ns;

		svcs = out_array(&d.root, "services", &ns);
		if (ns > 0) {
			printf("\n");
			print_services(svcs, ns);
		}
	}
	mp_doc_release(&d);
	return healthy ? 0 : 1;
}

static int
invite_main(int argc, char **argv)
{
	const struct cli_cmd	*c = cli_cmd_find(cmds, "invite");
	struct ctl_req		 r;
	struct mp_doc		 d;
	char			 token[256];
	uint64_t		 expires = 0;
	const char		*opts = ":jt:h";
	int			 ch, json = 0;

	memset(&r, 0, sizeof(r));
	r.cmd = CTL_INVITE;
	if ((ch = cli_once(c, argc, argv, opts, json_opts)) != 0)
		return ch;
	while ((ch = getopt_long(argc, argv, opts, json_opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 't':
			if (parse_duration(optarg, &r.ttl_ms) == -1 ||
			    r.ttl_ms < 1000 || r.ttl_ms > 365ULL * 86400 * 1000)
				return cli_usage_error(c, "bad --ttl \"%s\": "
				    "a duration from 1s to 365d, such as 30m, 2h "
				    "or 7d", optarg);
			break;
		case 'h':
			cli_help(stdout, c);
			return 0;
		default:
			return cli_bad_option(c, ch, opts, argv);
		}
	}
	if (optind != argc)
		return cli_usage_error(c, "unexpected argument \"%s\"",
		    argv[optind]);
	if (cli_call(&r, &d, 10000) != 0)
		return 1;
	if (json) {
		out_json(stdout, &d.root, 1);
	} else {
		out_str(&d.root, "token", token, sizeof(token));
		out_u64(&d.root, "expires", &expires);
		printf("%s\n", token);
		if (isatty(STDERR_FILENO)) {
			time_t		 t = (time_t)expires;
			struct tm	 tm;
			char		 when[64];

			localtime_r(&t, &tm);
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", &tm);
			fprintf(stderr, "single use, valid until %s; on the new "
			    "node: rpn join <this node's address> --token <token>\n",
			    when);
		}
	}
	mp_doc_release(&d);
	return 0;
}

/* "tcp/8080" */
static int
parse_proto_port(const char *s, uint8_t *proto, uint16_t *port)
{
	const char	*slash = strchr(s, '/');
	uint64_t	 v;

	if (slash == NULL)
		return -1;
	if (strncmp(s, "tcp", (size_t)(slash - s)) == 0 && slash - s == 3)
		*proto = 6;
	else if (strncmp(s, "udp", (size_t)(slash - s)) == 0 && slash - s == 3)
		*proto = 17;
	else
		return -1;
	if (parse_u64(slash + 1, 65535, &v) == -1 || v == 0)
		return -2;
	*port = (uint16_t)v;
	return 0;
}

static const struct option svc_opts[] = {
	{ "to", required_argument, NULL, 't' },
	{ "node", required_argument, NULL, 'n' },
	{ "allow", required_argument, NULL, 'a' },
	{ "public", no_argument, NULL, 'p' },
	{ "force", no_argument, NULL, 'f' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ "dry-run", no_argument, NULL, 'D' },
	{ NULL, 0, NULL, 0 },
};

/*
 * The services as rpnd lists them, and the grants of names no backend
 * serves; 0, or 1 with the reason said.
 */
static int
service_list(struct mp_doc *d, struct op_services *v)
{
	struct ctl_req	 r;

	memset(&r, 0, sizeof(r));
	r.cmd = CTL_SERVICE_LIST;
	if (cli_call(&r, d, 10000) != 0)
		return 1;
	op_services_read(&d->root, v);
	return 0;
}

/* An operator key is where rpnctl would look for one. */
static int
opkey_present(void)
{
	char	 path[4096], err[256];
	int	 def;

	return opkey_path(path, sizeof(path), &def, err, sizeof(err)) == 0 &&
	    access(path, F_OK) == 0;
}

/*
 * What service_sign() signed for an add or del, held until rpnd answers:
 * the key and status stay open so that a refused add can put the grant
 * it needed back as it was.
 */
struct svc_signing {
	struct opkey	 k;
	struct mp_doc	 st;
	struct op_mesh	 m;
	struct oprec	 was;		/* the grant before this one */
	char		 granted[1200];	/* the one submitted, described */
	int		 held;		/* k and st are open */
	int		 st_only;	/* st alone is open (no key) */
	int		 last;		/* a del takes the last backend of a
					   name a grant governs */
	struct oprec	 withdraw;	/* ... and that grant's withdrawal */
	char		 grant_was[1200]; /* that grant, described */
};

/*
 * service_check - ask rpnd whether the add r would be refused whatever an
 * operator signed for it (a loopback backend, a port in use, its node not
 * up: ctlcmd_add_doomed()).  0 when it would be taken; 1 once rpnd's
 * reason is said.
 */
static int
service_check(const struct ctl_req *r)
{
	struct ctl_req	 q = *r;
	struct mp_doc	 d;
	int		 rc;

	q.cmd = CTL_SERVICE_CHECK;
	rc = cli_call(&q, &d, 15000);
	if (rc != 0)
		return 1;
	mp_doc_release(&d);
	return 0;
}

/*
 * The rest of a "granted" line: what the grant replaces, when it gave
 * other access (or another port): a grant left by a deleted service,
 * brought in line with the add, or access an add changes.
 */
static void
grant_was_print(const struct op_plan *p, const msgpack_object *status)
{
	char	 was[1200];

	if (p->was.kind == REC_GRANT && !p->was.withdrawn &&
	    !op_grant_same_access(&p->grant, &p->was)) {
		op_grant_describe(&p->was, status, was, sizeof(was));
		printf(" (was: %s)", was);
	}
	putchar('\n');
}

/*
 * service_sign - what an add or del needs signed once the mesh has
 * operators (op_service_plan, proto/opview.c, which rpnd's HTTP API uses
 * too): a grant, submitted first, and with --node an order to that node,
 * which rpnd carries there in the request.  0, or an exit status; either
 * way service_signed() ends it.
 */
static int
service_sign(struct ctl_req *r, int json, struct svc_signing *sg)
{
	struct mp_doc		 d;
	struct op_plan		 p;
	struct op_services	 v;
	char			 err[300];
	int			 rc = 1;

	memset(sg, 0, sizeof(*sg));
	if (cli_status(&sg->st, &sg->m) != 0)
		return 1;
	if (!sg->m.governed) {
		mp_doc_release(&sg->st);
		return 0;
	}
	/* A del reads it too: of the last backend, it says the grant stays. */
	memset(&d, 0, sizeof(d));
	if (service_list(&d, &v) != 0) {
		mp_doc_release(&sg->st);
		return 1;
	}
	if (op_service_plan(r, &sg->st.root, &v, opkey_present(), &p,
	    err, sizeof(err)) == -1) {
		cli_fail("%s", err);
		mp_doc_release(&sg->st);
		goto out;
	}
	if (p.last) {
		sg->last = 1;
		sg->withdraw = p.withdraw;
		/* the grant as it stands, owners and all, for people */
		if (op_grant_now(op_service_find(v.svcs, v.n, r->name),
		    &p.grant, err, sizeof(err)) == 0)
			op_grant_describe(&p.grant, &sg->st.root,
			    sg->grant_was, sizeof(sg->grant_was));
	}
	if (!p.needs_key) {
		rc = 0;
		/* A del's grant stays: say so once it is done. */
		if (sg->last)
			sg->st_only = 1;
		else
			mp_doc_release(&sg->st);
		goto out;
	}
	/*
	 * Nothing is signed for an add rpnd would refuse anyway (an rpnd
	 * older than the question is not asked: a refusal puts the grant
	 * back, service_signed()).
	 */
	if (r->cmd == CTL_SERVICE_ADD && sg->m.service_check &&
	    service_check(r) != 0) {
		mp_doc_release(&sg->st);
		goto out;
	}
	if (cli_opkey(&sg->k) != 0) {
		mp_doc_release(&sg->st);
		goto out;
	}
	sg->held = 1;
	if (p.need_grant) {
		if (cli_submit(&sg->k, &sg->m, &p.grant) != 0)
			goto out;
		sg->was = p.was;
		op_grant_describe(&p.grant, &sg->st.root, sg->granted,
		    sizeof(sg->granted));
		if (!json) {
			printf("granted %s", sg->granted);
			grant_was_print(&p, &sg->st.root);
			fflush(stdout);	/* before what rpnd says of the add */
		}
	}
	if (p.need_order && op_seal(&sg->k, sg->m.mesh_id, &p.order,
	    r->signed_rec, sizeof(r->signed_rec), &r->signed_len) == -1) {
		cli_fail("cannot sign the order to %s", r->node);
		goto out;
	}
	rc = 0;
out:
	mp_doc_release(&d);
	return rc;
}

/*
 * service_signed - the request's answer is in (call_rc, as cli_call()'s;
 * 2 too when it was never sent): a grant submitted for an add that rpnd
 * refused is put back as it was, since nothing was added.  Without an
 * answer (rpnd, or the node named, did not answer) the add may have
 * happened, and the grant stays.  A del done that took the last backend
 * of a name a grant governs says that the grant stays (op_service_plan()
 * says why it is not withdrawn).  0, or 1.
 */
static int
service_signed(struct svc_signing *sg, int call_rc, int json)
{
	char	 what[1200];
	int	 rc = 0;

	if (sg->last && call_rc == 0 && !json)
		printf("the grant of %s stays: %s; an add must ask for that "
		    "access, or rpnctl service revoke-grant %s NODE withdraws "
		    "it\n", sg->withdraw.name, sg->grant_was, sg->withdraw.name);
	if (sg->st_only) {
		mp_doc_release(&sg->st);
		sg->st_only = 0;
		return 0;
	}
	if (!sg->held)
		return 0;
	if (sg->granted[0] != '\0' && call_rc == 2) {
		if (cli_submit(&sg->k, &sg->m, &sg->was) != 0)
			cli_fail("the grant stays: %s (rpnctl service "
			    "revoke-grant %s NODE takes a node out of it)",
			    sg->granted, sg->was.name);
		else if (sg->was.withdrawn)
			cli_fail("nothing was added, so the grant made for "
			    "%s is withdrawn", sg->was.name);
		else {
			op_grant_describe(&sg->was, &sg->st.root, what,
			    sizeof(what));
			cli_fail("nothing was added, so the grant is put back "
			    "as it was: %s", what);
		}
	} else if (sg->granted[0] != '\0' && call_rc == 1)
		cli_fail("the grant stays: %s (the add may have happened: "
		    "rpnctl service show %s)", sg->granted, sg->was.name);
	signer_close(&sg->k, &sg->st);
	sg->held = 0;
	return rc;
}

/* A JSON string (proto/json.c's), or null for an empty one. */
static void
json_str_or_null(const char *s)
{
	struct buf	 b;

	if (*s == '\0') {
		fputs("null", stdout);
		return;
	}
	buf_init(&b, 4096);
	if (json_str(&b, s, strlen(s)) == 0)
		fwrite(b.p, 1, b.len, stdout);
	buf_release(&b);
}

/*
 * rpnctl service add --dry-run: would rpnd take the add (service_check()),
 * and what would an operator sign for it in a governed mesh?  Nothing is
 * signed, submitted or changed.  0 when the add would go ahead, 1 (with
 * the reason said) when it would not.
 */
static int
service_dry_run(const struct ctl_req *r, int json)
{
	struct mp_doc		 st, d;
	struct op_mesh		 m;
	struct op_plan		 p;
	struct op_services	 v;
	struct oprec		 acc;
	char			 err[300], grant[1200], path[4096];
	char			 access[300], from[1200];
	int			 rc = 1, def, granted;

	if (cli_status(&st, &m) != 0)
		return 1;
	memset(&d, 0, sizeof(d));
	if (!m.service_check) {
		cli_fail("this rpnd cannot check an add without making it: it "
		    "is older than rpnctl (restart it after an upgrade)");
		goto out;
	}
	if (service_check(r) != 0 || service_list(&d, &v) != 0)
		goto out;
	/* as if there were a key: what the add needs signed, key or not */
	if (op_service_plan(r, &st.root, &v, 1, &p, err,
	    sizeof(err)) == -1) {
		cli_fail("%s", err);
		goto out;
	}
	grant[0] = '\0';
	if (p.need_grant)
		op_grant_describe(&p.grant, &st.root, grant, sizeof(grant));
	if ((p.need_grant || p.need_order) && !opkey_present()) {
		/* what it would sign: a grant it replaces is named there */
		if (p.need_grant && !json) {
			printf("would grant %s", grant);
			grant_was_print(&p, &st.root);
		}
		if (opkey_path(path, sizeof(path), &def, err, sizeof(err)) ==
		    -1)
			cli_fail("the add needs an operator's signature: %s",
			    err);
		else
			cli_fail("the add needs an operator's signature, and "
			    "there is no operator key at %s", path);
		goto out;
	}
	/*
	 * The access the service would get, and whose: a grant decides it
	 * whatever the add asks (one left by a deleted service too).
	 */
	granted = m.governed && op_add_access(r, &v, &p, &acc);
	op_access_describe(&acc, access, sizeof(access));
	from[0] = '\0';
	if (granted)
		op_grant_describe(&acc, &st.root, from, sizeof(from));
	if (json) {
		fputs("{ \"ok\": true, \"dry_run\": true, \"grant\": ",
		    stdout);
		json_str_or_null(grant);
		fputs(", \"order\": ", stdout);
		json_str_or_null(p.need_order ? r->node : "");
		fputs(", \"access\": ", stdout);
		json_str_or_null(access);
		fputs(", \"access_grant\": ", stdout);
		json_str_or_null(from);
		fputs(" }\n", stdout);
	} else {
		if (p.need_grant) {
			printf("would grant %s", grant);
			grant_was_print(&p, &st.root);
		}
		if (granted)
			printf("access: %s, from the grant %s%s\n", access,
			    p.need_grant ? "above: " : "", from);
		else
			printf("access: %s, as the add asks (no grant governs "
			    "%s)\n", access, r->name);
		if (r->node[0] != '\0' && strcmp(r->node, m.self_name) != 0)
			printf("would %s %s to add %s (%s checks its own "
			    "ports then)\n", p.need_order ? "order" : "ask",
			    r->node, r->name, r->node);
		else
			printf("would add %s\n", r->name);
	}
	rc = 0;
out:
	mp_doc_release(&d);
	mp_doc_release(&st);
	return rc;
}

/*
 * rpnctl service grant|revoke-grant NAME NODE: the service's grant as it
 * is now (owners: its backends' nodes), with NODE an owner or not.  When
 * no owner is left, the grant is withdrawn: the service is private again.
 */
static int
service_grant(const struct cli_cmd *c, int argc, char **argv, int revoke)
{
	struct opkey		 k;
	struct mp_doc		 st, d;
	struct op_mesh		 m;
	struct oprec		 g;
	struct op_services	 v;
	const char		*name, *node;
	char			 err[300], what[1200];
	int			 rc, notfound;

	if ((rc = plain_options(c, argc, argv, NULL)) != 0 ||
	    (rc = nargs(c, argc, argv, args_name_node)) != 0)
		return rc;
	name = argv[optind];
	node = argv[optind + 1];
	if (!wire_name_ok(name))
		return cli_usage_error(c, "bad service name \"%s\": letters, "
		    "digits, '.', '_' and '-', at most 63", name);
	if (!wire_name_ok(node))
		return cli_usage_error(c, "bad node name \"%s\"", node);
	if (signer_open(&k, &st, &m) != 0)
		return 1;
	rc = 1;
	if (service_list(&d, &v) != 0)
		goto out_st;
	if (op_grant_change(&st.root, &v, name, node, revoke, &g,
	    &notfound, err, sizeof(err)) == -1) {
		cli_fail("%s", err);
		goto out;
	}
	if (cli_submit(&k, &m, &g) != 0)
		goto out;
	if (g.withdrawn)
		printf("withdrew the grant of %s: no owner is left\n", name);
	else {
		op_grant_describe(&g, &st.root, what, sizeof(what));
		printf("granted %s\n", what);
	}
	rc = 0;
out:
	mp_doc_release(&d);
out_st:
	signer_close(&k, &st);
	return rc;
}

static int
service_main(int argc, char **argv)
{
	const struct cli_cmd	*c = cli_cmd_find(cmds, "service");
	struct ctl_req		 r;
	struct svc_signing	 sg;
	struct mp_doc		 d;
	const char		*sub, *why, *opts = ":t:n:a:pfjh";
	int			 ch, json = 0, has_to = 0, dry = 0, rc;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0) {
		if (argc < 2)
			return cli_usage_error(c, "missing add, del, list, show, "
			    "grant or revoke-grant");
		cli_help(stdout, c);
		return 0;
	}
	sub = argv[1];
	if (strcmp(sub, "grant") == 0 || strcmp(sub, "revoke-grant") == 0)
		return service_grant(c, argc - 1, argv + 1,
		    strcmp(sub, "revoke-grant") == 0);
	memset(&r, 0, sizeof(r));
	if (strcmp(sub, "add") == 0)
		r.cmd = CTL_SERVICE_ADD;
	else if (strcmp(sub, "del") == 0 || strcmp(sub, "delete") == 0)
		r.cmd = CTL_SERVICE_DEL;
	else if (strcmp(sub, "list") == 0)
		r.cmd = CTL_SERVICE_LIST;
	else if (strcmp(sub, "show") == 0)
		r.cmd = CTL_SERVICE_SHOW;
	else
		return cli_unknown_sub(c, sub, service_subs);
	optind = 1;
	opterr = 0;
	argc--;
	argv++;
	if ((ch = cli_once(c, argc, argv, opts, svc_opts)) != 0)
		return ch;
	while ((ch = getopt_long(argc, argv, opts, svc_opts, NULL)) !=
	    -1) {
		switch (ch) {
		case 't':
			if (parse_addrport(optarg, 0, &r.target) == -1 ||
			    r.target.port == 0)
				return cli_usage_error(c, "bad --to \"%s\": give "
				    "ADDR:PORT, such as 100.64.2.10:80", optarg);
			has_to = 1;
			break;
		case 'n':
			if (!wire_name_ok(optarg))
				return cli_usage_error(c, "bad node name \"%s\"",
				    optarg);
			strlcpy(r.node, optarg, sizeof(r.node));
			break;
		case 'a':
			if (r.nallow == CTL_MAX_ALLOW)
				return cli_usage_error(c, "at most %d --allow",
				    CTL_MAX_ALLOW);
			if (parse_prefix(optarg, &r.allow[r.nallow], &why) == -1)
				return cli_usage_error(c, "bad --allow \"%s\": %s",
				    optarg, why);
			r.nallow++;
			break;
		case 'p':
			r.public = 1;
			break;
		case 'f':
			r.force = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'D':
			dry = 1;
			break;
		case 'h':
			cli_help(stdout, c);
			return 0;
		default:
			return cli_bad_option(c, ch, opts, argv);
		}
	}
	if (dry && r.cmd != CTL_SERVICE_ADD)
		return cli_usage_error(c, "only add takes --dry-run");
	if (r.cmd == CTL_SERVICE_LIST) {
		if (has_to || r.nallow || r.public || r.force || r.node[0] != '\0')
			return cli_usage_error(c, "list takes only --json");
		if (optind != argc)
			return cli_usage_error(c, "unexpected argument \"%s\"",
			    argv[optind]);
		if (cli_call(&r, &d, 10000) != 0)
			return 1;
		if (json)
			out_json(stdout, &d.root, 1);
		else {
			const msgpack_object	*svcs;
			uint32_t		 n;

			svcs = out_array(&d.root, "services", &n);
			if (n == 0)
				printf("no services\n");
			else
				print_services(svcs, n);
			print_unserved_grants(&d.root);
		}
		mp_doc_release(&d);
		return 0;
	}
	if (optind == argc)
		return cli_usage_error(c, "missing the service NAME");
	if (!wire_name_ok(argv[optind]))
		return cli_usage_error(c, "bad service name \"%s\": letters, "
		    "digits, '.', '_' and '-', at most 63", argv[optind]);
	strlcpy(r.name, argv[optind++], sizeof(r.name));
	if (r.cmd == CTL_SERVICE_SHOW) {
		if (has_to || r.nallow || r.public || r.force || r.node[0] != '\0')
			return cli_usage_error(c, "show takes only NAME and --json");
		if (optind != argc)
			return cli_usage_error(c, "unexpected argument \"%s\"",
			    argv[optind]);
		if (cli_call(&r, &d, 10000) != 0)
			return 1;
		if (json)
			out_json(stdout, &d.root, 1);
		else
			print_service(ctl_map_get(&d.root, "service"));
		mp_doc_release(&d);
		return 0;
	}
	if (r.cmd == CTL_SERVICE_ADD) {
		if (optind == argc)
			return cli_usage_error(c, "missing tcp/PORT or udp/PORT");
		rc = parse_proto_port(argv[optind], &r.proto, &r.port);
		if (rc == -1)
			return cli_usage_error(c, "bad \"%s\": give tcp/PORT or "
			    "udp/PORT", argv[optind]);
		if (rc == -2)
			return cli_usage_error(c, "bad port in \"%s\": a port is "
			    "a number from 1 to 65535", argv[optind]);
		optind++;
		if (!has_to)
			return cli_usage_error(c, "missing --to ADDR:PORT (where "
			    "the owner forwards connections)");
	} else if (has_to || r.nallow || r.public || r.force)
		return cli_usage_error(c, "del takes only NAME and --node");
	if (optind != argc)
		return cli_usage_error(c, "unexpected argument \"%s\"",
		    argv[optind]);
	if (dry)
		return service_dry_run(&r, json);
	if ((rc = service_sign(&r, json, &sg)) != 0) {
		/* Nothing was asked of rpnd: a grant made for it goes back. */
		service_signed(&sg, 2, json);
		return rc;
	}
	rc = cli_call(&r, &d, 15000);
	if (rc != 0) {
		service_signed(&sg, rc, json);
		return 1;
	}
	mp_doc_release(&d);
	/* added: after the grant it needed; removed: before what stays is said */
	if (r.cmd == CTL_SERVICE_ADD)
		rc = service_signed(&sg, 0, json);
	if (json)
		printf("{ \"ok\": true }\n");
	else
		printf("%s %s\n", r.cmd == CTL_SERVICE_ADD ? "added" : "removed",
		    r.name);
	if (r.cmd == CTL_SERVICE_DEL) {
		fflush(stdout);
		rc = service_signed(&sg, 0, json);
	}
	return rc;
}

/* rpnctl operator list: a line per operator, newest enrolment last. */
static int
operator_list(int json)
{
	struct ctl_req		 r;
	struct mp_doc		 d;
	const msgpack_object	*ops;
	uint32_t		 n;
	int			 wname = 4, wby = 2;

	memset(&r, 0, sizeof(r));
	r.cmd = CTL_OPERATORS;
	if (cli_call(&r, &d, 10000) != 0)
		return 1;
	if (json) {
		out_json(stdout, &d.root, 1);
		mp_doc_release(&d);
		return 0;
	}
	ops = out_array(&d.root, "operators", &n);
	if (n == 0)
		printf("no operators: policy not enforced; run rpn operator "
		    "adopt\n");
	for (uint32_t i = 0; i < n; i++) {
		char	 name[80], by[80];

		out_str(&ops[i], "name", name, sizeof(name));
		out_str(&ops[i], "by", by, sizeof(by));
		if ((int)strlen(name) > wname)
			wname = (int)strlen(name);
		if ((int)strlen(by) > wby)
			wby = (int)strlen(by);
	}
	if (n > 0)
		printf("%-*s  %-44s  %-7s  %-19s  %s\n", wname, "NAME", "KEY",
		    "STATE", "SINCE", "BY");
	for (uint32_t i = 0; i < n; i++) {
		char		 name[80], key[64], state[16], by[80],
				 since[32] = "-";
		uint64_t	 ms;

		out_str(&ops[i], "name", name, sizeof(name));
		out_str(&ops[i], "key", key, sizeof(key));
		out_str(&ops[i], "state", state, sizeof(state));
		out_str(&ops[i], "by", by, sizeof(by));
		if (out_u64(&ops[i], "since", &ms) == 0)
			fmt_time(since, sizeof(since), ms);
		printf("%-*s  %-44s  %-7s  %-19s  %s\n", wname, name, key, state,
		    since, by);
	}
	mp_doc_release(&d);
	return 0;
}

/* rpnctl operator add|remove: one signed REC_OPERATOR. */
static int
operator_change(const char *name, const uint8_t *key, uint8_t action)
{
	struct opkey	 k;
	struct mp_doc	 st, d;
	struct op_mesh	 m;
	struct ctl_req	 r;
	struct oprec	 o;
	char		 pub[OPREC_PUBKEY_B64 + 1];
	int		 rc = 1;

	if (signer_open(&k, &st, &m) != 0)
		return 1;
	memset(&o, 0, sizeof(o));
	o.kind = REC_OPERATOR;
	o.action = action;
	strlcpy(o.name, name, sizeof(o.name));
	if (key != NULL)
		memcpy(o.subject, key, WIRE_KEY);
	else {
		memset(&r, 0, sizeof(r));
		r.cmd = CTL_OPERATORS;
		if (cli_call(&r, &d, 10000) != 0)
			goto out;
		if (op_operator_key(&d.root, name, o.subject) == -1) {
			mp_doc_release(&d);
			cli_fail("no active operator is named \"%s\" (rpnctl "
			    "operator list)", name);
			goto out;
		}
		mp_doc_release(&d);
	}
	if (cli_submit(&k, &m, &o) != 0)
		goto out;
	oprec_pubkey_fmt(pub, o.subject);
	printf("%s operator %s (%s)\n", action == OP_ENROL ? "enrolled" :
	    "removed", name, pub);
	rc = 0;
out:
	signer_close(&k, &st);
	return rc;
}

static int
operator_main(int argc, char **argv)
{
	const struct cli_cmd	*c = cli_cmd_find(cmds, "operator");
	const char		*sub;
	char			*pub;
	uint8_t			 key[WIRE_KEY];
	int			 json = 0, rc;

	if (argc < 2)
		return cli_usage_error(c, "missing list, add or remove");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		cli_help(stdout, c);
		return 0;
	}
	sub = argv[1];
	argc--;
	argv++;
	if (strcmp(sub, "list") == 0) {
		if ((rc = plain_options(c, argc, argv, &json)) != 0 ||
		    (rc = nargs(c, argc, argv, args_none)) != 0)
			return rc;
		return operator_list(json);
	}
	if (strcmp(sub, "add") != 0 && strcmp(sub, "remove") != 0)
		return cli_unknown_sub(c, sub, operator_subs);
	if ((rc = plain_options(c, argc, argv, NULL)) != 0)
		return rc;
	if (strcmp(sub, "add") == 0 &&
	    (rc = nargs(c, argc, argv, args_name_key)) != 0)
		return rc;
	if (strcmp(sub, "remove") == 0 &&
	    (rc = nargs(c, argc, argv, args_name)) != 0)
		return rc;
	if (!wire_name_ok(argv[optind]))
		return cli_usage_error(c, "bad operator name \"%s\": letters, "
		    "digits, '.', '_' and '-', at most 63, starting with a "
		    "letter or digit", argv[optind]);
	if (strcmp(sub, "remove") == 0)
		return operator_change(argv[optind], NULL, OP_REMOVE);
	/* pasted with a space or a CR around it */
	pub = parse_trim(argv[optind + 1]);
	if (oprec_pubkey_parse(pub, key) == -1)
		return cli_usage_error(c, "bad PUBKEY \"%s\": give the 44 "
		    "characters of standard base64 (with its '=') that \"rpn "
		    "operator keygen\" printed%s", pub,
		    strlen(pub) < OPREC_PUBKEY_B64 ? " (it is too short)" :
		    strlen(pub) > OPREC_PUBKEY_B64 ? " (it is too long)" : "");
	return operator_change(argv[optind], key, OP_ENROL);
}

/*
 * A statement about the member called node, whose id goes in o->subject,
 * signed and submitted: 0, or 1 with the reason said.
 */
static int
submit_about(const char *node, struct oprec *o)
{
	struct opkey	 k;
	struct mp_doc	 st;
	struct op_mesh	 m;
	int		 rc = 1;

	if (signer_open(&k, &st, &m) != 0)
		return 1;
	if (op_member_id(&st.root, node, o->subject) == -1)
		cli_fail("no member is named \"%s\"", node);
	else
		rc = cli_submit(&k, &m, o);
	signer_close(&k, &st);
	return rc;
}

/* rpnctl revoke NODE: a signed REC_REVOKE of the member called NODE. */
static int
revoke_main(int argc, char **argv)
{
	const struct cli_cmd	*c = cli_cmd_find(cmds, "revoke");
	struct oprec		 o;
	char			 hex[2 * WIRE_KEY + 1];
	int			 rc;

	if ((rc = plain_options(c, argc, argv, NULL)) != 0 ||
	    (rc = nargs(c, argc, argv, args_node)) != 0)
		return rc;
	if (!wire_name_ok(argv[optind]))
		return cli_usage_error(c, "bad node name \"%s\"", argv[optind]);
	memset(&o, 0, sizeof(o));
	o.kind = REC_REVOKE;
	strlcpy(o.name, argv[optind], sizeof(o.name));
	if (submit_about(o.name, &o) != 0)
		return 1;
	fmt_hex(hex, o.subject, WIRE_KEY);
	printf("revoked %s (%.8s)\n", o.name, hex);
	return 0;
}

/* rpnctl lan approve NODE PREFIX...: a signed REC_APPROVE. */
static int
lan_main(int argc, char **argv)
{
	const struct cli_cmd	*c = cli_cmd_find(cmds, "lan");
	struct oprec		 o;
	const char		*why, *node;
	char			 p[64];
	int			 rc;

	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		cli_help(stdout, c);
		return 0;
	}
	if (argc < 2)
		return cli_usage_error(c, "missing approve");
	if (strcmp(argv[1], "approve") != 0)
		return cli_unknown_sub(c, argv[1], lan_subs);
	argc--;
	argv++;
	if ((rc = plain_options(c, argc, argv, NULL)) != 0)
		return rc;
	if (argc - optind < 2)
		return cli_usage_error(c, "missing %s", argc == optind ? "NODE" :
		    "PREFIX");
	if (argc - optind - 1 > OPREC_MAX_LANS)
		return cli_usage_error(c, "at most %d prefixes", OPREC_MAX_LANS);
	node = argv[optind];
	if (!wire_name_ok(node))
		return cli_usage_error(c, "bad node name \"%s\"", node);
	memset(&o, 0, sizeof(o));
	o.kind = REC_APPROVE;
	for (int i = optind + 1; i < argc; i++)
		if (parse_prefix(argv[i], &o.lans[o.nlans++], &why) == -1)
			return cli_usage_error(c, "bad PREFIX \"%s\": %s",
			    argv[i], why);
	if (submit_about(node, &o) != 0)
		return 1;
	printf("approved for %s:", node);
	for (int i = 0; i < o.nlans; i++) {
		fmt_prefix(p, sizeof(p), &o.lans[i]);
		printf(" %s", p);
	}
	printf("\n");
	return 0;
}

/* rpnctl audit: the policy changes, a line each, oldest first. */
static int
audit_main(int argc, char **argv)
{
	const struct cli_cmd	*c = cli_cmd_find(cmds, "audit");
	struct ctl_req		 r;
	struct mp_doc		 d;
	const msgpack_object	*ev;
	uint32_t		 n;
	int			 json = 0, rc, wactor = 5, wevent = 5,
				 wsubject = 7;

	if ((rc = plain_options(c, argc, argv, &json)) != 0 ||
	    (rc = nargs(c, argc, argv, args_none)) != 0)
		return rc;
	memset(&r, 0, sizeof(r));
	r.cmd = CTL_AUDIT;
	if (cli_call(&r, &d, 10000) != 0)
		return 1;
	if (json) {
		out_json(stdout, &d.root, 1);
		mp_doc_release(&d);
		return 0;
	}
	ev = out_array(&d.root, "events", &n);
	if (n == 0)
		printf("no policy changes\n");
	for (uint32_t i = 0; i < n; i++) {
		char	 actor[80], event[32], subject[80];

		out_str(&ev[i], "actor", actor, sizeof(actor));
		out_str(&ev[i], "event", event, sizeof(event));
		out_str(&ev[i], "subject", subject, sizeof(subject));
		if ((int)strlen(actor) > wactor)
			wactor = (int)strlen(actor);
		if ((int)strlen(event) > wevent)
			wevent = (int)strlen(event);
		if ((int)strlen(subject) > wsubject)
			wsubject = (int)strlen(subject);
	}
	if (n > 0)
		printf("%-19s  %-*s  %-*s  %-*s  %s\n", "TIME", wactor, "ACTOR",
		    wevent, "EVENT", wsubject, "SUBJECT", "DETAIL");
	for (uint32_t i = 0; i < n; i++) {
		char		 when[32] = "-", actor[80], event[32],
				 subject[80], detail[400];
		uint64_t	 ms;

		if (out_u64(&ev[i], "time", &ms) == 0)
			fmt_time(when, sizeof(when), ms);
		out_str(&ev[i], "actor", actor, sizeof(actor));
		out_str(&ev[i], "event", event, sizeof(event));
		out_str(&ev[i], "subject", subject, sizeof(subject));
		out_str(&ev[i], "detail", detail, sizeof(detail));
		printf("%-19s  %-*s  %-*s  %-*s  %s\n", when, wactor, actor,
		    wevent, event, wsubject, subject, detail);
	}
	mp_doc_release(&d);
	return 0;
}

int
main(int argc, char **argv)
{
	if (sodium_init() < 0) {
		fprintf(stderr, "rpnctl: libsodium does not start\n");
		return 1;
	}
	return cli_main(argc, argv, cmds,
	    "rpnctl: look at and change a running rpn mesh.");
}

static const struct option web_opts[] = {
	{ "https", no_argument, NULL, 's' },
	{ "timeout", required_argument, NULL, 't' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/*
 * rpnctl web enroll NAME: rpnd makes a one-time code and says the URL; a
 * browser posts its new key with the code; this signs the key's enrolment
 * as operator NAME, as rpnctl operator add would.
 */
static int
web_main(int argc, char **argv)
{
	const struct cli_cmd	*c = cli_cmd_find(cmds, "web");
	struct ctl_req		 r;
	struct mp_doc		 st, d;
	struct op_mesh		 m;
	struct opkey		 k;
	struct oprec		 o;
	const char		*opts = ":st:jh";
	char			 url[200], code[64], key[64], name[80];
	uint64_t		 timeout = 10 * 60 * 1000, expires = 0;
	int			 ch, https = 0, json = 0, rc = 1;

	if (argc < 2)
		return cli_usage_error(c, "missing enroll");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		cli_help(stdout, c);
		return 0;
	}
	if (strcmp(argv[1], "enroll") != 0)
		return cli_unknown_sub(c, argv[1], web_subs);
	argc--;
	argv++;
	if ((ch = cli_once(c, argc, argv, opts, web_opts)) != 0)
		return ch;
	while ((ch = getopt_long(argc, argv, opts, web_opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			https = 1;
			break;
		case 't':
			if (parse_duration(optarg, &timeout) == -1 ||
			    timeout < 1000 || timeout > 10 * 60 * 1000)
				return cli_usage_error(c, "bad --timeout \"%s\": "
				    "a duration from 1s to 10m, such as 90s",
				    optarg);
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			cli_help(stdout, c);
			return 0;
		default:
			return cli_bad_option(c, ch, opts, argv);
		}
	}
	if (argc == optind)
		return cli_usage_error(c, "missing NAME");
	if (argc - optind > 1)
		return cli_usage_error(c, "unexpected argument \"%s\"",
		    argv[optind + 1]);
	if (!wire_name_ok(argv[optind]))
		return cli_usage_error(c, "bad operator name \"%s\": letters, "
		    "digits, '.', '_' and '-', at most 63, starting with a "
		    "letter or digit", argv[optind]);
	if (signer_open(&k, &st, &m) != 0)
		return 1;
	if (!m.governed) {
		cli_fail("the mesh has no operators yet: enrol one first (rpn "
		    "init --operator, or rpn operator adopt on the founder)");
		goto out_st;
	}
	memset(&r, 0, sizeof(r));
	r.cmd = CTL_WEB_ENROLL;
	strlcpy(r.name, argv[optind], sizeof(r.name));
	if (cli_call(&r, &d, 10000) != 0)
		goto out_st;
	out_str(&d.root, "code", code, sizeof(code));
	out_u64(&d.root, "expires", &expires);
	if (out_str(&d.root, https ? "https" : "http", url, sizeof(url)) ==
	    -1) {
		cli_fail("rpnd has no %s listener (set %s in rpnd.conf)",
		    https ? "HTTPS" : "HTTP", https ? "https-listen" :
		    "http-listen");
		goto out;
	}
	if (json)
		printf("{\n  \"url\": \"%s\",\n  \"expires\": %llu\n}\n", url,
		    (unsigned long long)expires);
	else
		printf("%s\n", url);
	fflush(stdout);
	fprintf(stderr, "open this URL in the browser to enrol as operator "
	    "\"%s\"; waiting for it (up to %llus)...\n", r.name,
	    (unsigned long long)(timeout / 1000));
	mp_doc_release(&d);
	memset(&r, 0, sizeof(r));
	r.cmd = CTL_WEB_WAIT;
	strlcpy(r.token, code, sizeof(r.token));
	r.ttl_ms = timeout;
	if (cli_call(&r, &d, (int)timeout + 5000) != 0)
		goto out_st;
	out_str(&d.root, "name", name, sizeof(name));
	memset(&o, 0, sizeof(o));
	o.kind = REC_OPERATOR;
	o.action = OP_ENROL;
	strlcpy(o.name, name, sizeof(o.name));
	if (out_str(&d.root, "key", key, sizeof(key)) == -1 ||
	    oprec_pubkey_parse(key, o.subject) == -1) {
		cli_fail("rpnd gave no usable key for the browser");
		goto out;
	}
	if (cli_submit(&k, &m, &o) != 0)
		goto out;
	fprintf(stderr, "enrolled the browser as operator %s (%s)\n", o.name,
	    key);
	rc = 0;
out:
	mp_doc_release(&d);
out_st:
	signer_close(&k, &st);
	sodium_memzero(code, sizeof(code));
	return rc;
}

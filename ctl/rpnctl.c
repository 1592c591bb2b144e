/* rpnctl.c: rpnctl status | invite | service: look at and change a running mesh. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl/cli.h"
#include "ctl/output.h"
#include "proto/compat.h"
#include "proto/parse.h"

static int	status_main(int, char **);
static int	invite_main(int, char **);
static int	service_main(int, char **);

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
	  "      | del NAME [--node NODE] | list [--json] | show NAME [--json]",
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
	  "        The target must be a unicast IPv4 address (not loopback,\n"
	  "        multicast or broadcast).  Its owner checks it (TCP: a connection\n"
	  "        every 500 ms; UDP: ICMP port unreachable) and a backend that does\n"
	  "        not answer gets no new connections until it does.\n"
	  "  del NAME [--node NODE]   withdraw this node's (or NODE's) backend\n"
	  "  list [--json]            every service, its backends and where it is forwarded\n"
	  "  show NAME [--json]       one service in detail: access, each backend's\n"
	  "                           health and since when, and whether this node\n"
	  "                           programs it (or why not)\n" },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct option json_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "ttl", required_argument, NULL, 't' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

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
	printf("%-*s  %-11s  %-40s  %s\n", wname, "SERVICE", "PORT",
	    "BACKENDS", "PROGRAMMED");
	for (uint32_t i = 0; i < n; i++) {
		const msgpack_object	*be, *fw;
		char			 name[80], proto[8], port[24], problem[200],
					 mode[16];
		uint64_t		 p = 0;
		uint32_t		 nb;

		out_str(&svcs[i], "name", name, sizeof(name));
		out_str(&svcs[i], "proto", proto, sizeof(proto));
		out_u64(&svcs[i], "port", &p);
		snprintf(port, sizeof(port), "%s/%llu", proto,
		    (unsigned long long)p);
		be = out_array(&svcs[i], "backends", &nb);
		fw = ctl_map_get(&svcs[i], "forwarding");
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
			printf("%-*s  %-11s  %-40s  %s\n", wname, j == 0 ? name : "",
			    j == 0 ? port : "", line, j == 0 ?
			    (out_bool(&svcs[i], "programmed") ? (strcmp(mode,
			    "none") == 0 ? "yes (nothing to forward)" : "yes") :
			    "no") : "");
		}
		if (out_str(&svcs[i], "problem", problem, sizeof(problem)) == 0)
			printf("%-*s  %s\n", wname, "", problem);
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
				 problem[240];
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
	uint32_t		 n, counts[4] = { 0 };
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
		    1 : strcmp(s, "failed") == 0 ? 2 : 3]++;
	}
	printf("mesh %.16s  node %s (%s) %s  members: %u alive, %u suspect, "
	    "%u failed, %u left\n\n", mesh, name, id, state, counts[0],
	    counts[1], counts[2], counts[3]);
	print_members(members, n);
	print_host(&d.root);
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
	optind = 1;
	opterr = 0;
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
	{ NULL, 0, NULL, 0 },
};

static int
service_main(int argc, char **argv)
{
	const struct cli_cmd	*c = cli_cmd_find(cmds, "service");
	struct ctl_req		 r;
	struct mp_doc		 d;
	const char		*sub, *why, *opts = ":t:n:a:pfjh";
	int			 ch, json = 0, has_to = 0, rc;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0) {
		if (argc < 2)
			return cli_usage_error(c, "missing add, del, list or show");
		cli_help(stdout, c);
		return 0;
	}
	sub = argv[1];
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
		return cli_usage_error(c, "unknown \"%s\": use add, del, list or "
		    "show", sub);
	optind = 1;
	opterr = 0;
	argc--;
	argv++;
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
		case 'h':
			cli_help(stdout, c);
			return 0;
		default:
			return cli_bad_option(c, ch, opts, argv);
		}
	}
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
			    "1 to 65535", argv[optind]);
		optind++;
		if (!has_to)
			return cli_usage_error(c, "missing --to ADDR:PORT (where "
			    "the owner forwards connections)");
	} else if (has_to || r.nallow || r.public || r.force)
		return cli_usage_error(c, "del takes only NAME and --node");
	if (optind != argc)
		return cli_usage_error(c, "unexpected argument \"%s\"",
		    argv[optind]);
	if (cli_call(&r, &d, 15000) != 0)
		return 1;
	mp_doc_release(&d);
	if (json)
		printf("{ \"ok\": true }\n");
	else
		printf("%s %s\n", r.cmd == CTL_SERVICE_ADD ? "added" : "removed",
		    r.name);
	return 0;
}

int
main(int argc, char **argv)
{
	return cli_main(argc, argv, cmds,
	    "rpnctl: look at and change a running rpn mesh.");
}

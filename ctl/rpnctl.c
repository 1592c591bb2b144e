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

static const struct cli_cmd cmds[] = {
	{ "status", status_main, "[--json]",
	  "Members of the mesh with their state, addresses and last-ack age.\n"
	  "      Exit 0 when this node is in a mesh and healthy." },
	{ "invite", invite_main, "[--ttl DURATION] [--json]",
	  "Print a single-use join token (default lifetime 1h), alone on stdout." },
	{ NULL, NULL, NULL, NULL },
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

static int
status_main(int argc, char **argv)
{
	struct ctl_req		 r;
	struct mp_doc		 d;
	const msgpack_object	*node, *members;
	char			 name[80], mesh[40], state[16], id[80];
	uint32_t		 n, counts[4] = { 0 };
	int			 ch, json = 0, healthy;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "jh", json_opts, NULL)) != -1) {
		if (ch == 'j')
			json = 1;
		else if (ch == 'h') {
			cli_help(stdout, &cmds[0]);
			return 0;
		} else
			return cli_usage_error(&cmds[0], "unknown option \"%s\"",
			    argv[optind - 1]);
	}
	if (optind != argc)
		return cli_usage_error(&cmds[0], "unexpected argument \"%s\"",
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
	mp_doc_release(&d);
	return healthy ? 0 : 1;
}

static int
invite_main(int argc, char **argv)
{
	struct ctl_req	 r;
	struct mp_doc	 d;
	char		 token[256];
	uint64_t	 expires = 0;
	int		 ch, json = 0;

	memset(&r, 0, sizeof(r));
	r.cmd = CTL_INVITE;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "jt:h", json_opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 't':
			if (parse_duration(optarg, &r.ttl_ms) == -1 ||
			    r.ttl_ms < 1000 || r.ttl_ms > 365ULL * 86400 * 1000)
				return cli_usage_error(&cmds[1], "bad --ttl \"%s\": "
				    "a duration from 1s to 365d, such as 30m, 2h "
				    "or 7d", optarg);
			break;
		case 'h':
			cli_help(stdout, &cmds[1]);
			return 0;
		default:
			return cli_usage_error(&cmds[1], "unknown option \"%s\"",
			    argv[optind - 1]);
		}
	}
	if (optind != argc)
		return cli_usage_error(&cmds[1], "unexpected argument \"%s\"",
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

int
main(int argc, char **argv)
{
	return cli_main(argc, argv, cmds,
	    "rpnctl: look at and change a running rpn mesh.");
}

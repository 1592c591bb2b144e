/* rpn.c: rpn init | join | leave: this node's place in a mesh. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/cli.h"
#include "ctl/output.h"
#include "proto/compat.h"
#include "proto/parse.h"
#include "proto/token.h"

static int	init_main(int, char **);
static int	join_main(int, char **);
static int	leave_main(int, char **);

static const struct cli_cmd cmds[] = {
	{ "init", init_main, "[--name NAME] [--advertise ADDR[:PORT]]... [--json]",
	  "Found a new mesh with this node as its first member.",
	  "  --name NAME           this node's name (default: the host name)\n"
	  "  --advertise ADDR[:PORT]  an address others reach this node at\n"
	  "                        (repeatable; default: the addresses of the uplinks)\n"
	  "  --json                {\"node\": {\"mesh\", \"name\", \"id\"}}\n" },
	{ "join", join_main, "PEER[:PORT] --token TOKEN [--name NAME] "
	  "[--advertise ADDR[:PORT]]... [--json]",
	  "Join a mesh through any member, with a token from \"rpnctl invite\".",
	  "  PEER[:PORT]           any member's address (default port 7480)\n"
	  "  --token TOKEN         the single-use token (rpn1_...)\n"
	  "  --name NAME, --advertise ADDR[:PORT], --json   as for init\n" },
	{ "leave", leave_main, "",
	  "Leave the mesh gracefully: the others see \"left\", not \"failed\".",
	  NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct option node_opts[] = {
	{ "name", required_argument, NULL, 'n' },
	{ "advertise", required_argument, NULL, 'a' },
	{ "token", required_argument, NULL, 't' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Options shared by init and join; returns 0, or an exit status. */
static int
node_options(const struct cli_cmd *c, int argc, char **argv, struct ctl_req *r,
    int *json, int allow_token)
{
	const char	*opts = ":n:a:t:jh";
	int		 ch;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, opts, node_opts,
	    NULL)) != -1) {
		switch (ch) {
		case 'n':
			if (!wire_name_ok(optarg))
				return cli_usage_error(c, "bad name \"%s\": letters, "
				    "digits, '.', '_' and '-', at most 63, "
				    "starting with a letter or digit", optarg);
			strlcpy(r->name, optarg, sizeof(r->name));
			break;
		case 'a':
			if (r->nadvertise == WIRE_MAX_ADDRS)
				return cli_usage_error(c, "at most %d --advertise",
				    WIRE_MAX_ADDRS);
			/* Without :PORT, rpnd advertises its listen port. */
			if (parse_addrport(optarg, 0,
			    &r->advertise[r->nadvertise]) == -1)
				return cli_usage_error(c, "bad address \"%s\"",
				    optarg);
			r->nadvertise++;
			break;
		case 't':
			if (!allow_token)
				return cli_usage_error(c, "--token is for join");
			if (strlen(optarg) > CTL_TOKEN_MAX)
				return cli_usage_error(c, "token too long");
			strlcpy(r->token, optarg, sizeof(r->token));
			break;
		case 'j':
			*json = 1;
			break;
		case 'h':
			cli_help(stdout, c);
			exit(0);
		default:
			return cli_bad_option(c, ch, opts, argv);
		}
	}
	return 0;
}

static int
print_node(struct mp_doc *d, int json, const char *verb)
{
	const msgpack_object	*node = ctl_map_get(&d->root, "node");
	char			 name[80], mesh[40], id[80];
	uint64_t		 members = 0;

	if (json) {
		out_json(stdout, &d->root, 1);
		return 0;
	}
	if (node == NULL)
		return 0;
	out_str(node, "name", name, sizeof(name));
	out_str(node, "mesh", mesh, sizeof(mesh));
	out_str(node, "id", id, sizeof(id));
	id[8] = '\0';
	printf("%s mesh %s as node %s (%s)", verb, mesh, name, id);
	if (out_u64(&d->root, "members", &members) == 0)
		printf(", %llu members known", (unsigned long long)members);
	printf("\n");
	return 0;
}

static int
init_main(int argc, char **argv)
{
	const struct cli_cmd	*c = cli_cmd_find(cmds, "init");
	struct ctl_req		 r;
	struct mp_doc		 d;
	int			 json = 0, rc;

	memset(&r, 0, sizeof(r));
	r.cmd = CTL_INIT;
	if ((rc = node_options(c, argc, argv, &r, &json, 0)) != 0)
		return rc;
	if (optind != argc)
		return cli_usage_error(c, "unexpected argument \"%s\"",
		    argv[optind]);
	if (cli_call(&r, &d, 10000) != 0)
		return 1;
	print_node(&d, json, "founded");
	mp_doc_release(&d);
	return 0;
}

static int
join_main(int argc, char **argv)
{
	const struct cli_cmd	*c = cli_cmd_find(cmds, "join");
	struct ctl_req		 r;
	struct mp_doc		 d;
	struct token		 t;
	const char		*why;
	int			 json = 0, rc;

	memset(&r, 0, sizeof(r));
	r.cmd = CTL_JOIN;
	if ((rc = node_options(c, argc, argv, &r, &json, 1)) != 0)
		return rc;
	if (optind == argc)
		return cli_usage_error(c, "missing PEER");
	if (optind + 1 != argc)
		return cli_usage_error(c, "unexpected argument \"%s\"",
		    argv[optind + 1]);
	if (parse_addrport(argv[optind], RPN_PORT_DEFAULT, &r.peer) == -1)
		return cli_usage_error(c, "bad peer \"%s\": give an IP "
		    "address, with :PORT if not %u", argv[optind],
		    RPN_PORT_DEFAULT);
	r.has_peer = 1;
	if (r.token[0] == '\0')
		return cli_usage_error(c, "missing --token (make one with "
		    "\"rpnctl invite\" on a member)");
	if (token_decode(r.token, &t, &why) == -1)
		return cli_fail("that is not a valid token: %s", why);
	if (cli_call(&r, &d, 30000) != 0)
		return 1;
	print_node(&d, json, "joined");
	mp_doc_release(&d);
	return 0;
}

static int
leave_main(int argc, char **argv)
{
	const struct cli_cmd	*c = cli_cmd_find(cmds, "leave");
	struct ctl_req		 r;
	struct mp_doc		 d;

	if (argc == 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		cli_help(stdout, c);
		return 0;
	}
	if (argc != 1)
		return cli_usage_error(c, "unexpected argument \"%s\"",
		    argv[1]);
	memset(&r, 0, sizeof(r));
	r.cmd = CTL_LEAVE;
	if (cli_call(&r, &d, 10000) != 0)
		return 1;
	mp_doc_release(&d);
	printf("left the mesh\n");
	return 0;
}

int
main(int argc, char **argv)
{
	return cli_main(argc, argv, cmds,
	    "rpn: this node's membership of an rpn mesh.");
}

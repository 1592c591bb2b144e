/* rpn.c: rpn init, join, leave, operator: this node in a mesh, and the operator key. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>

#include "ctl/cli.h"
#include "ctl/output.h"
#include "proto/compat.h"
#include "proto/parse.h"
#include "proto/token.h"

static int	init_main(int, char **);
static int	join_main(int, char **);
static int	leave_main(int, char **);
static int	operator_main(int, char **);

static const struct cli_cmd cmds[] = {
	{ "init", init_main, "[--name NAME] [--advertise ADDR[:PORT]]... "
	  "[--no-operator] [--json]",
	  "Found a new mesh with this node as its first member, and enrol the\n"
	  "      user's operator key (made if there is none) as its first operator.",
	  "  --name NAME           this node's name (default: the host name)\n"
	  "  --advertise ADDR[:PORT]  an address others reach this node at\n"
	  "                        (repeatable; default: the addresses of the uplinks)\n"
	  "  --no-operator         enrol no operator: members rule the mesh until\n"
	  "                        \"rpn operator adopt\" (as before operators existed)\n"
	  "  --json                {\"node\": {\"mesh\", \"name\", \"id\"}}\n"
	  "\n"
	  "The operator key is $RPN_OPERATOR_KEY, else ~/.config/rpn/operator.key;\n"
	  "it is enrolled under the login name.\n" },
	{ "join", join_main, "PEER[:PORT] --token TOKEN [--name NAME] "
	  "[--advertise ADDR[:PORT]]... [--timeout DURATION] [--json]",
	  "Join a mesh through any member, with a token from \"rpnctl invite\".",
	  "  PEER[:PORT]           any member's address (default port 7480)\n"
	  "  --token TOKEN         the single-use token (rpn1_...)\n"
	  "  --timeout DURATION    keep trying this long (10s to 10m; default 2m):\n"
	  "                        a busy member is asked again, with the same\n"
	  "                        token, until it has admitted this node\n"
	  "  --name NAME, --advertise ADDR[:PORT], --json   as for init\n" },
	{ "leave", leave_main, "",
	  "Leave the mesh gracefully: the others see \"left\", not \"failed\".",
	  NULL },
	{ "operator", operator_main, "keygen [--out PATH] | pubkey | adopt "
	  "[--name NAME]",
	  "Make an operator key, print its public half, or enrol it in a mesh\n"
	  "      made without operators.",
	  "  keygen [--out PATH]  make a key pair and write it to PATH (default\n"
	  "                       $RPN_OPERATOR_KEY, else ~/.config/rpn/operator.key),\n"
	  "                       never over a file that is there; print the public\n"
	  "                       half (base64, 44 characters) alone on stdout\n"
	  "  pubkey               print the public half of the operator key\n"
	  "  adopt [--name NAME]  on the mesh's founding node: the mesh root enrols\n"
	  "                       the operator key (made if there is none) as the\n"
	  "                       first operator, named NAME (default: the login\n"
	  "                       name); then every service with --public or --allow\n"
	  "                       access, or with several owners, gets an operator's\n"
	  "                       grant as it is now, so no traffic changes\n"
	  "\n"
	  "The key file holds the private key: mode 0600, owned by its user, or it\n"
	  "is refused.  It never leaves this process; rpnd gets signed statements.\n" },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct option node_opts[] = {
	{ "name", required_argument, NULL, 'n' },
	{ "advertise", required_argument, NULL, 'a' },
	{ "token", required_argument, NULL, 't' },
	{ "timeout", required_argument, NULL, 'T' },
	{ "no-operator", no_argument, NULL, 'O' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/*
 * Options shared by init and join; returns 0, or an exit status.  Join
 * passes no_operator NULL: an operator is enrolled only by the founder.
 */
static int
node_options(const struct cli_cmd *c, int argc, char **argv, struct ctl_req *r,
    int *json, int *no_operator)
{
	int		 allow_token = no_operator == NULL;
	const char	*opts = ":n:a:t:T:jh";
	char		*tok;
	int		 ch;

	if ((ch = cli_once(c, argc, argv, opts, node_opts)) != 0)
		return ch;
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
			/* pasted with a space or a CR around it */
			tok = parse_trim(optarg);
			if (strlen(tok) > CTL_TOKEN_MAX)
				return cli_usage_error(c, "token too long");
			strlcpy(r->token, tok, sizeof(r->token));
			break;
		case 'T':
			if (!allow_token)
				return cli_usage_error(c, "--timeout is for join");
			if (parse_duration(optarg, &r->ttl_ms) == -1 ||
			    r->ttl_ms < JOIN_WAIT_MIN_MS ||
			    r->ttl_ms > JOIN_WAIT_MAX_MS)
				return cli_usage_error(c, "bad --timeout \"%s\": "
				    "a duration from 10s to 10m", optarg);
			break;
		case 'O':
			if (no_operator == NULL)
				return cli_usage_error(c, "--no-operator is for "
				    "init");
			*no_operator = 1;
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

/*
 * The operator key to enrol: the one at the key path, or a new one made
 * there (said on stderr, since stdout is the command's).  0 or 1.
 */
static int
operator_key(struct opkey *k)
{
	char	 path[OPKEY_PATH_MAX], err[OPKEY_PATH_MAX + 200],
		 pub[OPREC_PUBKEY_B64 + 1];
	int	 is_default;

	if (opkey_path(path, sizeof(path), &is_default, err,
	    sizeof(err)) == -1)
		return cli_fail("%s", err);
	if (opkey_load(path, k, err, sizeof(err)) == 0)
		return 0;
	if (errno != ENOENT)
		return cli_fail("%s", err);
	if (opkey_create(path, is_default, k, err, sizeof(err)) == -1)
		return cli_fail("cannot make an operator key: %s", err);
	oprec_pubkey_fmt(pub, k->pk);
	fprintf(stderr, "%s: made the operator key %s (public half %s)\n",
	    cli_prog, path, pub);
	return 0;
}

static int
init_main(int argc, char **argv)
{
	const struct cli_cmd	*c = cli_cmd_find(cmds, "init");
	struct ctl_req		 r;
	struct mp_doc		 d;
	struct opkey		 k;
	char			 pub[OPREC_PUBKEY_B64 + 1];
	int			 json = 0, no_operator = 0, rc;

	memset(&r, 0, sizeof(r));
	r.cmd = CTL_INIT;
	if ((rc = node_options(c, argc, argv, &r, &json, &no_operator)) != 0)
		return rc;
	if (optind != argc)
		return cli_usage_error(c, "unexpected argument \"%s\"",
		    argv[optind]);
	if (!no_operator) {
		if (operator_key(&k) != 0) {
			fprintf(stderr, "(rpn init --no-operator founds a mesh "
			    "without one)\n");
			return 1;
		}
		r.has_operator = 1;
		memcpy(r.operator_key, k.pk, WIRE_KEY);
		op_login_name(r.operator_name);
		opkey_clear(&k);
	}
	if (cli_call(&r, &d, 10000) != 0)
		return 1;
	print_node(&d, json, "founded");
	if (r.has_operator && !json) {
		oprec_pubkey_fmt(pub, r.operator_key);
		printf("operator %s enrolled (%s)\n", r.operator_name, pub);
	}
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
	if ((rc = node_options(c, argc, argv, &r, &json, NULL)) != 0)
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
	if (r.ttl_ms == 0)
		r.ttl_ms = JOIN_WAIT_DEFAULT_MS;
	/* rpnd answers by then, joined or with the last attempt's error. */
	if (cli_call(&r, &d, (int)r.ttl_ms + 10000) != 0)
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

/* rpn operator's subcommands, and rpnctl operator's ("WORD=COMMAND"). */
static const char *const operator_subs[] = { "keygen", "pubkey", "adopt",
	"list=rpnctl operator list", "add=rpnctl operator add",
	"remove=rpnctl operator remove", NULL };

static const struct option op_opts[] = {
	{ "out", required_argument, NULL, 'o' },
	{ "name", required_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int
keygen(const char *out)
{
	struct opkey	 k;
	char		 path[OPKEY_PATH_MAX], err[OPKEY_PATH_MAX + 200],
			 pub[OPREC_PUBKEY_B64 + 1];
	int		 is_default = 0;

	if (out != NULL)
		strlcpy(path, out, sizeof(path));
	else if (opkey_path(path, sizeof(path), &is_default, err,
	    sizeof(err)) == -1)
		return cli_fail("%s", err);
	if (opkey_create(path, is_default, &k, err, sizeof(err)) == -1)
		return cli_fail("%s", err);
	oprec_pubkey_fmt(pub, k.pk);
	opkey_clear(&k);
	printf("%s\n", pub);
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "the private key is in %s; enrol the public "
		    "half with: rpnctl operator add NAME %s\n", path, pub);
	return 0;
}

static int
pubkey(void)
{
	struct opkey	 k;
	char		 pub[OPREC_PUBKEY_B64 + 1];

	if (cli_opkey(&k) != 0)
		return 1;
	oprec_pubkey_fmt(pub, k.pk);
	opkey_clear(&k);
	printf("%s\n", pub);
	return 0;
}

/* Since when the operators list has key enrolled; 0 when it is not. */
static uint64_t
enrolled_since(const msgpack_object *root, const uint8_t key[WIRE_KEY])
{
	const msgpack_object	*ops;
	char			 pub[OPREC_PUBKEY_B64 + 1], k[64], state[16];
	uint64_t		 since = 0;
	uint32_t		 n;

	oprec_pubkey_fmt(pub, key);
	ops = out_array(root, "operators", &n);
	for (uint32_t i = 0; i < n; i++) {
		out_str(&ops[i], "key", k, sizeof(k));
		out_str(&ops[i], "state", state, sizeof(state));
		if (strcmp(k, pub) == 0 && strcmp(state, "active") == 0 &&
		    out_u64(&ops[i], "since", &since) == 0)
			return since;
	}
	return 0;
}

/*
 * What adopting changes for a service: once the mesh has operators, access
 * wider than private and every owner but the first need a grant.  Those
 * with neither keep working without one.
 */
static int
needs_grant(const msgpack_object *svc)
{
	char		 access[16];
	uint32_t	 nb;

	out_str(svc, "access", access, sizeof(access));
	(void)out_array(svc, "backends", &nb);
	return strcmp(access, "private") != 0 || nb > 1;
}

/*
 * rpn operator adopt: the mesh root (rpnd on the founding node) enrols the
 * operator key; then each service that needs a grant gets one as it is now.
 * The services are read before the enrolment, while they still are as
 * their owners made them.
 */
static int
adopt(const char *name)
{
	struct ctl_req		 r;
	struct mp_doc		 st, svcs, ops, d;
	struct op_mesh		 m;
	struct opkey		 k;
	struct oprec		 g;
	const msgpack_object	*sv;
	char			 pub[OPREC_PUBKEY_B64 + 1], err[300], what[1200];
	uint64_t		 since;
	uint32_t		 n;
	int			 rc = 0;

	if (cli_status(&st, &m) != 0)
		return 1;
	memset(&r, 0, sizeof(r));
	r.cmd = CTL_SERVICE_LIST;
	if (cli_call(&r, &svcs, 10000) != 0) {
		mp_doc_release(&st);
		return 1;
	}
	if (operator_key(&k) != 0) {
		mp_doc_release(&svcs);
		mp_doc_release(&st);
		return 1;
	}
	memset(&r, 0, sizeof(r));
	r.cmd = CTL_ADOPT;
	r.has_operator = 1;
	memcpy(r.operator_key, k.pk, WIRE_KEY);
	strlcpy(r.operator_name, name, sizeof(r.operator_name));
	oprec_pubkey_fmt(pub, k.pk);
	if (cli_call(&r, &d, 10000) != 0) {
		rc = 1;
		goto out;
	}
	mp_doc_release(&d);
	printf("enrolled operator %s (%s)\n", name, pub);
	/*
	 * Statements are applied in version order everywhere: the grants
	 * must come after the enrolment, however close the clocks.
	 */
	memset(&r, 0, sizeof(r));
	r.cmd = CTL_OPERATORS;
	if (cli_call(&r, &ops, 10000) == 0) {
		if ((since = enrolled_since(&ops.root, k.pk)) != 0)
			op_version_after(since);
		mp_doc_release(&ops);
	}
	sv = out_array(&svcs.root, "services", &n);
	for (uint32_t i = 0; i < n; i++) {
		if (!needs_grant(&sv[i]))
			continue;
		if (op_grant_from_service(&sv[i], &st.root, &g, err,
		    sizeof(err)) == -1) {
			rc = cli_fail("not granted: %s", err);
			continue;
		}
		op_grant_describe(&g, &st.root, what, sizeof(what));
		if (cli_submit(&k, &m, &g) != 0) {
			fprintf(stderr, "%s: the grant of %s was refused\n",
			    cli_prog, what);
			rc = 1;
			continue;
		}
		printf("granted %s\n", what);
	}
out:
	opkey_clear(&k);
	mp_doc_release(&svcs);
	mp_doc_release(&st);
	return rc;
}

static int
operator_main(int argc, char **argv)
{
	const struct cli_cmd	*c = cli_cmd_find(cmds, "operator");
	const char		*sub, *out = NULL, *opts = ":o:n:h";
	char			 name[WIRE_NAME_MAX + 1];
	int			 ch, has_name = 0;

	if (argc < 2)
		return cli_usage_error(c, "missing keygen, pubkey or adopt");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		cli_help(stdout, c);
		return 0;
	}
	sub = argv[1];
	if (strcmp(sub, "keygen") != 0 && strcmp(sub, "pubkey") != 0 &&
	    strcmp(sub, "adopt") != 0)
		return cli_unknown_sub(c, sub, operator_subs);
	argc--;
	argv++;
	if ((ch = cli_once(c, argc, argv, opts, op_opts)) != 0)
		return ch;
	while ((ch = getopt_long(argc, argv, opts, op_opts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			if (strcmp(sub, "keygen") != 0)
				return cli_usage_error(c, "--out is for keygen");
			if (optarg[0] == '\0' ||
			    strlen(optarg) >= OPKEY_PATH_MAX)
				return cli_usage_error(c, "bad --out \"%s\"",
				    optarg);
			out = optarg;
			break;
		case 'n':
			if (strcmp(sub, "adopt") != 0)
				return cli_usage_error(c, "--name is for adopt");
			if (!wire_name_ok(optarg))
				return cli_usage_error(c, "bad name \"%s\": "
				    "letters, digits, '.', '_' and '-', at most "
				    "63, starting with a letter or digit", optarg);
			strlcpy(name, optarg, sizeof(name));
			has_name = 1;
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
	if (strcmp(sub, "keygen") == 0)
		return keygen(out);
	if (strcmp(sub, "pubkey") == 0)
		return pubkey();
	if (!has_name)
		op_login_name(name);
	return adopt(name);
}

int
main(int argc, char **argv)
{
	if (sodium_init() < 0) {
		fprintf(stderr, "rpn: libsodium does not start\n");
		return 1;
	}
	return cli_main(argc, argv, cmds,
	    "rpn: this node's membership of an rpn mesh.");
}

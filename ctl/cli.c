/* cli.c: the subcommand driver shared by rpn and rpnctl (wg's subcommands[] shape). */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/cli.h"
#include "proto/compat.h"
#include "proto/version.h"

const char	*cli_prog;
const char	*cli_sock;
static const struct cli_cmd *cli_table;
static const char *cli_about;

/* A command and its usage, without a space after a command that takes nothing. */
static void
cmd_line(FILE *f, const struct cli_cmd *c)
{
	fprintf(f, "%s%s%s\n", c->name, c->usage[0] != '\0' ? " " : "",
	    c->usage);
}

static void
main_usage(FILE *f)
{
	fprintf(f, "usage: %s [-s SOCKET] COMMAND [ARGS]\n\n%s\n\n", cli_prog,
	    cli_about);
	for (const struct cli_cmd *c = cli_table; c->name; c++) {
		fprintf(f, "  ");
		cmd_line(f, c);
		fprintf(f, "      %s\n", c->desc);
	}
	fprintf(f, "\n  -s, --socket SOCKET  rpnd's control socket (default "
	    "$RPN_SOCKET,\n                       else %s)\n"
	    "  -h, --help           this text; \"%s COMMAND --help\" for one "
	    "command\n  -V, --version        the version\n\nExit status: 0 on "
	    "success, 1 on failure, 2 on a usage error.\n", RPN_SOCK_DEFAULT,
	    cli_prog);
}

void
cli_help(FILE *f, const struct cli_cmd *c)
{
	fprintf(f, "usage: %s ", cli_prog);
	cmd_line(f, c);
	fprintf(f, "\n      %s\n", c->desc);
	if (c->options != NULL)
		fprintf(f, "\n%s", c->options);
}

int
cli_usage_error(const struct cli_cmd *c, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "%s %s: ", cli_prog, c->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fprintf(stderr, "usage: %s ", cli_prog);
	cmd_line(stderr, c);
	return 2;
}

/*
 * cli_bad_option - what getopt_long() refused, said plainly: an option
 * missing its value (optstrings start with ':'), a long option given a
 * value it does not take, or an unknown option, short or long.  Short
 * options come bundled ("-web"), where argv[optind - 1] is not the word
 * at fault, so those are named by their letter.
 */
int
cli_bad_option(const struct cli_cmd *c, int ch, const char *optstring,
    char **argv)
{
	const char	*word = argv[optind - 1];

	if (ch == ':')
		return cli_usage_error(c, "option \"%s\" needs a value", word);
	if (optopt == 0)
		return cli_usage_error(c, "unknown option \"%s\"", word);
	if (strchr(optstring, optopt) == NULL)
		return cli_usage_error(c, "unknown option \"-%c\"", optopt);
	return cli_usage_error(c, "option \"%s\" takes no value", word);
}

/*
 * cli_once - an option that takes a value, given twice, is a usage error,
 * as a setting given twice in rpnd.conf is: otherwise the later would win
 * without a word (service add kept the last --to).  Options that add up
 * (--allow, --advertise) may repeat, and so may flags.  It is a pass of
 * getopt_long() of its own over a copy of argv (getopt permutes what it is
 * given, and an option missing its value would take another word in the
 * command's own pass); what getopt refuses is left to that pass.  0, or an
 * exit status with the reason said; optind is left at 1 either way.
 */
int
cli_once(const struct cli_cmd *c, int argc, char **argv, const char *optstring,
    const struct option *longopts)
{
	static const char *const adds_up[] = { "allow", "advertise", NULL };
	unsigned char		 seen[256];
	const struct option	*lo;
	const char		*p;
	char			**words;
	int			 ch, rc = 0, repeatable;

	if ((words = calloc((size_t)argc + 1, sizeof(*words))) == NULL)
		return cli_fail("out of memory");
	memcpy(words, argv, (size_t)argc * sizeof(*words));
	memset(seen, 0, sizeof(seen));
	optind = 1;
	opterr = 0;
	while (rc == 0 && (ch = getopt_long(argc, words, optstring, longopts,
	    NULL)) != -1) {
		if (ch == '?' || ch == ':' || ch <= 0 || ch > 255 ||
		    (p = strchr(optstring, ch)) == NULL || p[1] != ':')
			continue;
		for (lo = longopts; lo->name != NULL && lo->val != ch; lo++)
			;
		repeatable = 0;
		for (size_t i = 0; lo->name != NULL && adds_up[i] != NULL; i++)
			repeatable |= strcmp(lo->name, adds_up[i]) == 0;
		if (!repeatable && seen[ch]++)
			rc = lo->name != NULL ?
			    cli_usage_error(c, "option \"--%s\" given twice",
			    lo->name) :
			    cli_usage_error(c, "option \"-%c\" given twice", ch);
	}
	free(words);
	optind = 1;
	return rc;
}

int
cli_fail(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "%s: ", cli_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/*
 * cli_call - request r of rpnd: 0; or, having said why, 2 when rpnd
 * answered no and so did nothing, 1 when there was no answer to go by.
 */
int
cli_call(const struct ctl_req *r, struct mp_doc *resp, int timeout_ms)
{
	char	 err[600];
	int	 rc;

	rc = client_call(client_socket(cli_sock), r, resp, timeout_ms, err,
	    sizeof(err));
	if (rc != 0)
		cli_fail("%s", err);
	return rc == 0 ? 0 : rc == -2 ? 2 : 1;
}

/* cli_status - rpnd's status, and what signing needs of it; 0 or 1. */
int
cli_status(struct mp_doc *d, struct op_mesh *m)
{
	struct ctl_req	 r;
	char		 err[200];

	memset(&r, 0, sizeof(r));
	r.cmd = CTL_STATUS;
	if (cli_call(&r, d, 10000) != 0)
		return 1;
	if (op_mesh_read(&d->root, m, err, sizeof(err)) == -1) {
		mp_doc_release(d);
		return cli_fail("%s", err);
	}
	return 0;
}

/* cli_opkey - the operator's key pair, or why there is none; 0 or 1. */
int
cli_opkey(struct opkey *k)
{
	char	 path[OPKEY_PATH_MAX], err[OPKEY_PATH_MAX + 200];
	int	 is_default;

	if (opkey_path(path, sizeof(path), &is_default, err,
	    sizeof(err)) == -1)
		return cli_fail("%s", err);
	if (opkey_load(path, k, err, sizeof(err)) == -1) {
		if (errno == ENOENT)
			return cli_fail("%s (there is none at %s)", OPKEY_NONE,
			    path);
		return cli_fail("%s", err);
	}
	return 0;
}

/*
 * cli_submit - sign statement o with the operator's key and hand it to
 * rpnd, which checks it as every node will; 0, or 1 with rpnd's reason.
 */
int
cli_submit(const struct opkey *k, const struct op_mesh *m, struct oprec *o)
{
	struct ctl_req	 r;
	struct mp_doc	 d;

	memset(&r, 0, sizeof(r));
	r.cmd = CTL_SUBMIT;
	if (op_seal(k, m->mesh_id, o, r.signed_rec, sizeof(r.signed_rec),
	    &r.signed_len) == -1)
		return cli_fail("cannot sign the statement (too large?)");
	if (cli_call(&r, &d, 10000) != 0)
		return 1;
	mp_doc_release(&d);
	return 0;
}

/*
 * cli_cmd_find - the entry of table called name, or NULL.  Subcommands find
 * their own entry this way too, so the table's order means nothing.
 */
const struct cli_cmd *
cli_cmd_find(const struct cli_cmd *table, const char *name)
{
	for (const struct cli_cmd *c = table; c->name != NULL; c++)
		if (strcmp(name, c->name) == 0)
			return c;
	return NULL;
}

/*
 * edits - the edits (a letter put in, left out or changed, or two
 * neighbours swapped) between a and the first lb letters of b, of at most
 * CLI_NAME_MAX letters each.
 */
#define CLI_NAME_MAX	32
#define CLI_WORDS_MAX	64

static int
edits(const char *a, const char *b, size_t lb)
{
	int	 d[CLI_NAME_MAX + 1][CLI_NAME_MAX + 1];
	size_t	 la = strlen(a);

	for (size_t i = 0; i <= la; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			int	 v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb];
}

/*
 * nearest - the index of the word in words (NULL-terminated; a word ends
 * at its '=', if any) a mistyped name most likely meant: the one nearest
 * to it (letters compared without case), at most two edits away and fewer
 * than half its length; -1 when none is, or when two are as near.
 */
static int
nearest(const char *name, const char *const *words)
{
	char	 low[CLI_NAME_MAX + 1];
	size_t	 n = strlen(name);
	int	 best = -1, bestd = 3, tie = 0;

	if (n == 0 || n > CLI_NAME_MAX)
		return -1;
	for (size_t i = 0; i <= n; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	for (int i = 0; words[i] != NULL; i++) {
		size_t	 lw = strcspn(words[i], "=");
		int	 d;

		if (lw > CLI_NAME_MAX)
			continue;
		d = edits(low, words[i], lw);
		if (d < bestd) {
			best = i;
			bestd = d;
			tie = 0;
		} else if (d == bestd)
			tie = 1;
	}
	return best >= 0 && !tie && 2 * (size_t)bestd < n ? best : -1;
}

/*
 * cli_cmd_nearest - the entry of table a mistyped name most likely meant,
 * as nearest() finds it; NULL when none.
 */
const struct cli_cmd *
cli_cmd_nearest(const struct cli_cmd *table, const char *name)
{
	const char	*names[CLI_WORDS_MAX + 1];
	int		 n = 0, i;

	for (const struct cli_cmd *c = table; c->name != NULL &&
	    n < CLI_WORDS_MAX; c++)
		names[n++] = c->name;
	names[n] = NULL;
	return (i = nearest(name, names)) >= 0 ? &table[i] : NULL;
}

/*
 * cli_unknown_sub - sub is none of c's subcommands subs (NULL-terminated;
 * "WORD=COMMAND" for a word that is a subcommand of the other program,
 * such as "keygen=rpn operator keygen"): a usage error that names the one
 * it most likely meant, as for a mistyped command, or else lists them.
 * Returns the exit status, 2.
 */
int
cli_unknown_sub(const struct cli_cmd *c, const char *sub,
    const char *const *subs)
{
	char	 list[400] = "";
	int	 i, n = 0, k = 0;
	size_t	 lw;

	if ((i = nearest(sub, subs)) >= 0) {
		lw = strcspn(subs[i], "=");
		return cli_usage_error(c, "unknown subcommand \"%s\"; did you "
		    "mean \"%s\"?", sub, subs[i][lw] == '=' ? subs[i] + lw + 1 :
		    subs[i]);
	}
	for (i = 0; subs[i] != NULL; i++)
		n += strchr(subs[i], '=') == NULL;
	for (i = 0; subs[i] != NULL; i++) {
		if (strchr(subs[i], '=') != NULL)
			continue;
		if (k > 0)
			strlcat(list, k == n - 1 ? " or " : ", ", sizeof(list));
		strlcat(list, subs[i], sizeof(list));
		k++;
	}
	return cli_usage_error(c, "unknown \"%s\": use %s", sub, list);
}

int
cli_main(int argc, char **argv, const struct cli_cmd *table, const char *about)
{
	const struct cli_cmd	*c;
	int			 i = 1;

	cli_prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	cli_table = table;
	cli_about = about;
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			main_usage(stdout);
			return 0;
		}
		if (strcmp(argv[i], "-V") == 0 ||
		    strcmp(argv[i], "--version") == 0) {
			printf("%s %s\n", cli_prog, RPN_VERSION);
			return 0;
		}
		if (strcmp(argv[i], "-s") == 0 ||
		    strcmp(argv[i], "--socket") == 0) {
			if (i + 1 == argc) {
				fprintf(stderr, "%s: option \"%s\" needs a "
				    "value\n", cli_prog, argv[i]);
				main_usage(stderr);
				return 2;
			}
			if (cli_sock != NULL) {
				fprintf(stderr, "%s: option \"-s\" given "
				    "twice\n", cli_prog);
				main_usage(stderr);
				return 2;
			}
			cli_sock = argv[i + 1];
			i += 2;
			continue;
		}
		fprintf(stderr, "%s: unknown option \"%s\"\n", cli_prog, argv[i]);
		main_usage(stderr);
		return 2;
	}
	if (i == argc) {
		main_usage(stderr);
		return 2;
	}
	if (strcmp(argv[i], "help") == 0) {
		main_usage(stdout);
		return 0;
	}
	if ((c = cli_cmd_find(table, argv[i])) != NULL)
		return c->fn(argc - i, argv + i);
	if ((c = cli_cmd_nearest(table, argv[i])) != NULL) {
		fprintf(stderr, "%s: unknown command \"%s\"; did you mean "
		    "\"%s\"? (\"%s --help\" lists the commands)\n", cli_prog,
		    argv[i], c->name, cli_prog);
		return 2;
	}
	fprintf(stderr, "%s: unknown command \"%s\"\n", cli_prog, argv[i]);
	main_usage(stderr);
	return 2;
}

/* test-cli.c: what rpn and rpnctl suggest for a mistyped command; options given twice. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ctl/cli.h"
#include "proto/compat.h"
#include "tests/unit/test.h"

static int
run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static const struct cli_cmd table[] = {
	{ "service", run, "", "", NULL },
	{ "status", run, "", "", NULL },
	{ "members", run, "", "", NULL },
	{ "invite", run, "", "", NULL },
	{ "join", run, "", "", NULL },
	{ "leave", run, "", "", NULL },
	{ "grant", run, "", "", NULL },
	{ "grants", run, "", "", NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const char *
nearest(const char *typed)
{
	const struct cli_cmd	*c = cli_cmd_nearest(table, typed);

	return c != NULL ? c->name : "";
}

TEST(cli_nearest_command_for_typos)
{
	ASSERT_STR_EQ(nearest("servce"), "service");	/* a letter left out */
	ASSERT_STR_EQ(nearest("servicee"), "service");	/* one too many */
	ASSERT_STR_EQ(nearest("sevrice"), "service");	/* two swapped */
	ASSERT_STR_EQ(nearest("stauts"), "status");
	ASSERT_STR_EQ(nearest("memebrs"), "members");
	ASSERT_STR_EQ(nearest("invte"), "invite");
	ASSERT_STR_EQ(nearest("SERVICE"), "service");	/* caps lock */
	ASSERT_STR_EQ(nearest("jion"), "join");
	/* nothing near, or too short to tell, or two as near */
	ASSERT_STR_EQ(nearest("xyzzy"), "");
	ASSERT_STR_EQ(nearest("j"), "");
	ASSERT_STR_EQ(nearest("grnats"), "grants");	/* the nearer of two */
	ASSERT_STR_EQ(nearest("grnt"), "grant");
	ASSERT_STR_EQ(nearest("grantt"), "");	/* grant and grants as near */
	ASSERT_STR_EQ(nearest(""), "");
	ASSERT_STR_EQ(nearest("a-very-long-word-that-is-no-command-at-all-x"), "");
}

static const struct option once_opts[] = {
	{ "to", required_argument, NULL, 't' },
	{ "allow", required_argument, NULL, 'a' },
	{ "node", required_argument, NULL, 'n' },
	{ "json", no_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 },
};

/* once - cli_once() over the words of s (at most 15), as a command's argv. */
static int
once(const char *s)
{
	char		 buf[256], *argv[16], *w, *save = NULL;
	int		 argc = 0;

	strlcpy(buf, s, sizeof(buf));
	for (w = strtok_r(buf, " ", &save); w != NULL && argc < 15;
	    w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	return cli_once(&table[0], argc, argv, ":t:a:n:j", once_opts);
}

TEST(cli_once_refuses_an_option_given_twice)
{
	cli_prog = "rpnctl";
	/* the unchanged commands pass */
	ASSERT_EQ(once("add web tcp/80 --to 100.64.2.10:80"), 0);
	ASSERT_EQ(optind, 1);
	ASSERT_EQ(once("add web tcp/80 --to 100.64.2.10:80 --node a --json"), 0);
	/* a value given twice: the later one would win */
	ASSERT_EQ(once("add web tcp/80 --to 100.64.2.10:80 --to 100.64.2.11:80"),
	    2);
	ASSERT_EQ(once("add web --to=100.64.2.10:80 tcp/80 -t 100.64.2.11:80"),
	    2);
	ASSERT_EQ(once("add web tcp/80 --node a --to 100.64.2.10:80 -n b"), 2);
	ASSERT_EQ(optind, 1);
	/* options that add up, and flags, may repeat */
	ASSERT_EQ(once("add web tcp/80 --to 100.64.2.10:80 --allow 203.0.113.0/24 "
	    "--allow 198.51.100.0/24 -a 192.0.2.0/24"), 0);
	ASSERT_EQ(once("list --json --json"), 0);
	/* what getopt refuses is left to the command's own pass */
	ASSERT_EQ(once("add web tcp/80 --bogus --to"), 0);
	/* ... on argv as it was: "--to" last still misses its value */
	{
		char	 a0[] = "add", a1[] = "x", a2[] = "tcp/9000",
			 a3[] = "--to";
		char	*argv[] = { a0, a1, a2, a3, NULL };

		ASSERT_EQ(cli_once(&table[0], 4, argv, ":t:a:n:j", once_opts),
		    0);
		ASSERT_STR_EQ(argv[1], "x");
		ASSERT_STR_EQ(argv[3], "--to");
	}
}

/* unknown - what cli_unknown_sub() says of sub: its first line, on stderr. */
static const char *
unknown(const char *sub, const char *const *subs)
{
	static char	 line[512];
	FILE		*f = tmpfile(), *was = stderr;

	ASSERT(f != NULL);
	stderr = f;
	ASSERT_EQ(cli_unknown_sub(&table[0], sub, subs), 2);
	stderr = was;
	rewind(f);
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	line[strcspn(line, "\n")] = '\0';
	fclose(f);
	return line;
}

TEST(cli_unknown_subcommand_names_the_nearest)
{
	static const char *const subs[] = { "add", "del", "list", "show",
		"grant", "revoke-grant", "keygen=rpn operator keygen", NULL };

	cli_prog = "rpnctl";
	ASSERT_STR_EQ(unknown("lsit", subs),
	    "rpnctl service: unknown subcommand \"lsit\"; did you mean \"list\"?");
	ASSERT_STR_EQ(unknown("revoke-grnat", subs), "rpnctl service: unknown "
	    "subcommand \"revoke-grnat\"; did you mean \"revoke-grant\"?");
	ASSERT_STR_EQ(unknown("SHOW", subs),
	    "rpnctl service: unknown subcommand \"SHOW\"; did you mean \"show\"?");
	/* one of the other program's, by the command that runs it */
	ASSERT_STR_EQ(unknown("keygn", subs), "rpnctl service: unknown "
	    "subcommand \"keygn\"; did you mean \"rpn operator keygen\"?");
	/* nothing near, or too short to tell: the choices, not the other's */
	ASSERT_STR_EQ(unknown("xyzzy", subs), "rpnctl service: unknown "
	    "\"xyzzy\": use add, del, list, show, grant or revoke-grant");
	ASSERT_STR_EQ(unknown("ad", subs), "rpnctl service: unknown \"ad\": "
	    "use add, del, list, show, grant or revoke-grant");
}

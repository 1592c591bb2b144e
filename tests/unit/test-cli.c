/* test-cli.c: what rpn and rpnctl suggest for a mistyped command. */
#include <string.h>

#include "ctl/cli.h"
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

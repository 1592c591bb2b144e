/* runner.c: runs each unit test in a forked child with a timeout; prints "N passed, N failed". */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sodium.h>

#include "tests/unit/test.h"

#define TEST_ENTRY(name)	void test_##name(void);
#include "list.h"
#undef TEST_ENTRY

struct test {
	const char	*name;
	void		(*fn)(void);
};

static const struct test tests[] = {
#define TEST_ENTRY(name)	{ #name, test_##name },
#include "list.h"
#undef TEST_ENTRY
};

static int
run_one(const struct test *t, unsigned timeout)
{
	pid_t	 pid;
	int	 status;

	fflush(stdout);
	if ((pid = fork()) == -1) {
		perror("fork");
		return -1;
	}
	if (pid == 0) {
		alarm(timeout);
		t->fn();
		fflush(stdout);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) == -1)
		return -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status))
		fprintf(stderr, "  %s: killed by signal %d%s\n", t->name,
		    WTERMSIG(status),
		    WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
	return -1;
}

int
main(int argc, char **argv)
{
	size_t		 ntests = sizeof(tests) / sizeof(tests[0]);
	unsigned	 timeout = 30, passed = 0, failed = 0;
	const char	*mult = getenv("RPN_TEST_TIMEOUT_MULTIPLIER");

	if (sodium_init() < 0) {
		fprintf(stderr, "sodium_init failed\n");
		return 1;
	}
	if (mult != NULL && atoi(mult) > 0)
		timeout *= (unsigned)atoi(mult);
	if (argc > 1 && strcmp(argv[1], "--list") == 0) {
		for (size_t i = 0; i < ntests; i++)
			printf("%s\n", tests[i].name);
		return 0;
	}
	for (size_t i = 0; i < ntests; i++) {
		int	 selected = argc < 2;

		for (int a = 1; a < argc; a++)
			if (strcmp(argv[a], tests[i].name) == 0)
				selected = 1;
		if (!selected)
			continue;
		if (run_one(&tests[i], timeout) == 0) {
			printf("ok   %s\n", tests[i].name);
			passed++;
		} else {
			printf("FAIL %s\n", tests[i].name);
			failed++;
		}
	}
	if (passed + failed == 0 && argc > 1) {
		fprintf(stderr, "no test matches; --list shows them\n");
		return 2;
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}

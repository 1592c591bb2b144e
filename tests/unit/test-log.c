/* test-log.c: log lines for the journal (priority, no time) and for a terminal or file (date and time). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "node/core/log.h"
#include "tests/unit/test.h"

TEST(log_format_line_journal_and_plain)
{
	struct timespec	 ts = { 1796232806, 123456789 };	/* 2026-12-02T17:33:26.123Z */
	char		 buf[128], small[16];
	size_t		 n;

	n = log_format_line(buf, sizeof(buf), 3, 1, &ts, "rpnd", "fatal: no");
	ASSERT_STR_EQ(buf, "<3>rpnd: fatal: no\n");
	ASSERT_EQ(n, strlen(buf));
	log_format_line(buf, sizeof(buf), 7, 1, &ts, "engine", "debug: x");
	ASSERT_STR_EQ(buf, "<7>engine: debug: x\n");

	setenv("TZ", "UTC0", 1);
	tzset();
	log_format_line(buf, sizeof(buf), 6, 0, &ts, "engine", "ready");
	ASSERT_STR_EQ(buf, "2026-12-02T17:33:26.123 engine: ready\n");

	/* Text from a peer cannot start a line of its own. */
	log_format_line(buf, sizeof(buf), 4, 1, &ts, "engine",
	    "peer: a\n<3>forged\r");
	ASSERT_STR_EQ(buf, "<4>engine: peer: a <3>forged \n");

	/* Cut short, a line still ends in a newline. */
	n = log_format_line(small, sizeof(small), 6, 1, &ts, "engine",
	    "a long message");
	ASSERT_STR_EQ(small, "<6>engine: a l\n");
	ASSERT_EQ(n, sizeof(small) - 1);
	n = log_format_line(small, sizeof(small), 6, 0, &ts, "engine", "m");
	ASSERT_EQ(n, sizeof(small) - 1);
	ASSERT_EQ(small[n - 1], '\n');
}

TEST(log_journal_stream_detection)
{
	struct stat	 st;
	char		 env[64], dir[] = "/tmp/rpn-test-log.XXXXXX", path[64];
	int		 fd;

	ASSERT(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/f", dir);
	ASSERT((fd = open(path, O_RDWR | O_CREAT, 0600)) != -1);
	ASSERT_EQ(fstat(fd, &st), 0);
	snprintf(env, sizeof(env), "%ju:%ju", (uintmax_t)st.st_dev,
	    (uintmax_t)st.st_ino);
	ASSERT_EQ(log_stream_is_journal(env, fd), 1);
	ASSERT_EQ(log_stream_is_journal(NULL, fd), 0);
	ASSERT_EQ(log_stream_is_journal("", fd), 0);
	ASSERT_EQ(log_stream_is_journal("garbage", fd), 0);
	/* Inherited by a process whose stderr went elsewhere: not the journal. */
	snprintf(env, sizeof(env), "%ju:%ju", (uintmax_t)st.st_dev,
	    (uintmax_t)st.st_ino + 1);
	ASSERT_EQ(log_stream_is_journal(env, fd), 0);
	snprintf(env, sizeof(env), "%ju:%jux", (uintmax_t)st.st_dev,
	    (uintmax_t)st.st_ino);
	ASSERT_EQ(log_stream_is_journal(env, fd), 0);
	snprintf(env, sizeof(env), "%ju:", (uintmax_t)st.st_dev);
	ASSERT_EQ(log_stream_is_journal(env, fd), 0);
	close(fd);
	unlink(path);
	rmdir(dir);
}

/* log_* through a stderr that JOURNAL_STREAM names: each level's priority. */
TEST(log_levels_reach_the_journal)
{
	struct stat	 st;
	char		 env[64], out[1024];
	int		 p[2], status;
	ssize_t		 n, got = 0;
	pid_t		 pid;

	ASSERT_EQ(pipe(p), 0);
	ASSERT((pid = fork()) != -1);
	if (pid == 0) {
		dup2(p[1], STDERR_FILENO);
		fstat(STDERR_FILENO, &st);
		snprintf(env, sizeof(env), "%ju:%ju", (uintmax_t)st.st_dev,
		    (uintmax_t)st.st_ino);
		setenv("JOURNAL_STREAM", env, 1);
		log_init(1, "t");
		log_debug("d");
		log_info("i");
		log_warnx("w");
		errno = ENOENT;
		log_warn("e");
		log_remote("r");
		fatalx("f");
	}
	close(p[1]);
	while ((n = read(p[0], out + got, sizeof(out) - 1 - (size_t)got)) > 0)
		got += n;
	out[got] = '\0';
	close(p[0]);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	ASSERT_STR_EQ(out, "<7>t: debug: d\n<6>t: i\n<4>t: w\n"
	    "<4>t: e: No such file or directory\n<4>t: peer: r\n"
	    "<3>t: fatal: f\n");
}

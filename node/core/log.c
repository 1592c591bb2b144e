/* log.c: stderr logging with a process tag, levels for the journal, debug switch and peer rate limit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "node/core/log.h"

static int		 log_debug_on;
static int		 log_journal;	/* stderr is the journal's stream */
static const char	*log_proc = "rpnd";

void
log_init(int debug, const char *proc)
{
	log_debug_on = debug;
	log_proc = proc;
	log_journal = log_stream_is_journal(getenv("JOURNAL_STREAM"),
	    STDERR_FILENO);
}

void
log_procinit(const char *proc)
{
	log_proc = proc;
}

int
log_is_debug(void)
{
	return log_debug_on;
}

/*
 * log_stream_is_journal - whether fd is the journal's stream, by the rule of
 * sd-daemon(3): systemd puts "DEVICE:INODE" (decimal) of the stream it
 * connected to stdout/stderr in $JOURNAL_STREAM; the variable alone is not
 * enough, since a child whose stderr was redirected inherits it.
 */
int
log_stream_is_journal(const char *env, int fd)
{
	struct stat		 st;
	unsigned long long	 dev, ino;
	char			*end;

	if (env == NULL || *env < '0' || *env > '9')
		return 0;
	errno = 0;
	dev = strtoull(env, &end, 10);
	if (errno != 0 || *end != ':' || end[1] < '0' || end[1] > '9')
		return 0;
	ino = strtoull(end + 1, &end, 10);
	if (errno != 0 || *end != '\0' || fstat(fd, &st) == -1)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

/*
 * log_format_line - one log line, always ending in a newline, into buf.
 * For the journal, an sd-daemon(3) priority prefix ("<3>" .. "<7>") lets
 * "journalctl -p" filter by level, and there is no time (the journal keeps
 * its own); elsewhere the local date and time to the millisecond.  A line
 * break inside msg becomes a space, so text from a peer cannot start a
 * line of its own, with a priority of its choosing.  Returns the length.
 */
size_t
log_format_line(char *buf, size_t len, int prio, int journal,
    const struct timespec *ts, const char *proc, const char *msg)
{
	struct tm	 tm;
	size_t		 n;
	int		 r;

	if (len < 2) {
		if (len == 1)
			buf[0] = '\0';
		return 0;
	}
	if (journal)
		r = snprintf(buf, len, "<%d>%s: ", prio, proc);
	else {
		localtime_r(&ts->tv_sec, &tm);
		r = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ld %s: ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, ts->tv_nsec / 1000000, proc);
	}
	n = r < 0 ? 0 : (size_t)r < len - 1 ? (size_t)r : len - 2;
	for (; *msg != '\0' && n < len - 2; msg++)
		buf[n++] = *msg == '\n' || *msg == '\r' ? ' ' : *msg;
	buf[n++] = '\n';
	buf[n] = '\0';
	return n;
}

static void	vlog(int, const char *, const char *, va_list, const char *)
		    __attribute__((format(printf, 3, 0)));

static void
vlog(int prio, const char *level, const char *fmt, va_list ap, const char *err)
{
	struct timespec	 ts;
	char		 msg[1024], full[1200], line[1300];
	size_t		 n;

	clock_gettime(CLOCK_REALTIME, &ts);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	snprintf(full, sizeof(full), "%s%s%s%s", level, msg, err ? ": " : "",
	    err ? err : "");
	n = log_format_line(line, sizeof(line), prio, log_journal, &ts,
	    log_proc, full);
	/* One write per line: stderr is unbuffered, and the journal reads lines. */
	fwrite(line, 1, n, stderr);
	fflush(stderr);
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	vlog(LOG_WARNING, "", fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, "", fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, "", fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (!log_debug_on)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, "debug: ", fmt, ap, NULL);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	vlog(LOG_ERR, "fatal: ", fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, "fatal: ", fmt, ap, NULL);
	va_end(ap);
	exit(1);
}

void
log_remote(const char *fmt, ...)
{
	static double		 tokens = 5;
	static struct timespec	 last;
	static unsigned long	 suppressed;
	struct timespec		 now;
	double			 dt;
	va_list			 ap;
	char			 msg[900];

	clock_gettime(CLOCK_MONOTONIC, &now);
	dt = (double)(now.tv_sec - last.tv_sec) +
	    (double)(now.tv_nsec - last.tv_nsec) / 1e9;
	last = now;
	tokens += dt;
	if (tokens > 5)
		tokens = 5;
	if (tokens < 1) {
		suppressed++;
		return;
	}
	tokens -= 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (suppressed)
		log_warnx("peer: %s (%lu similar lines suppressed)", msg,
		    suppressed);
	else
		log_warnx("peer: %s", msg);
	suppressed = 0;
}

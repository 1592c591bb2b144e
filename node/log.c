/* log.c: stderr logging with a process tag, debug switch and peer rate limit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "node/log.h"

static int		 log_debug_on;
static const char	*log_proc = "rpnd";

void
log_init(int debug, const char *proc)
{
	log_debug_on = debug;
	log_proc = proc;
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

static void
vlog(const char *level, const char *fmt, va_list ap, const char *err)
{
	struct timespec	 ts;
	struct tm	 tm;
	char		 msg[1024];

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "%02d:%02d:%02d.%03ld %s: %s%s%s%s\n", tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, log_proc, level, msg,
	    err ? ": " : "", err ? err : "");
	fflush(stderr);
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	vlog("", fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog("", fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog("", fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (!log_debug_on)
		return;
	va_start(ap, fmt);
	vlog("debug: ", fmt, ap, NULL);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	vlog("fatal: ", fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog("fatal: ", fmt, ap, NULL);
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

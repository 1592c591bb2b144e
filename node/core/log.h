/* log.h: logging for rpnd's processes, with a rate limit for peer-caused messages. */
#ifndef RPN_LOG_H
#define RPN_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

void	log_init(int debug, const char *proc);
void	log_procinit(const char *proc);
int	log_is_debug(void);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
/*
 * log_remote - a problem a peer caused.  A token bucket (1 a second, bursts
 * of 5, as BIRD's log_rl) keeps a hostile peer from flooding the journal;
 * the number of suppressed lines is reported with the next one let through.
 */
void	log_remote(const char *, ...) __attribute__((format(printf, 1, 2)));

/* The line format and the journal check, for the unit tests. */
int	log_stream_is_journal(const char *env, int fd);
size_t	log_format_line(char *buf, size_t len, int prio, int journal,
	    const struct timespec *, const char *proc, const char *msg);

#endif

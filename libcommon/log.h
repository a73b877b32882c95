/*
 * log: one line per event on stderr, "prog: level: message".
 *
 * The supervisor or s6-log adds timestamps; we never do.  Every line is
 * written with a single write(2) so lines from concurrent processes sharing
 * a pipe never interleave.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>

/* Exit codes every binary shares (s6 conventions). */
#define EX_OK		0
#define EX_PERM		100	/* usage or configuration: do not restart */
#define EX_BUG		101	/* internal error */
#define EX_TEMP		111	/* temporary failure: restart me */

/* Verbosity levels, from quietest. */
#define LOG_LVL_ERROR	0
#define LOG_LVL_WARN	1
#define LOG_LVL_INFO	2
#define LOG_LVL_DEBUG	3

#define PRINTFLIKE(f, a) __attribute__((format(printf, f, a)))

void	log_init(const char *, int);
void	log_setlevel(int);
int	log_getlevel(void);
const char *log_prog(void);
int	log_level_parse(const char *);

void	log_error(const char *, ...) PRINTFLIKE(1, 2);	/* + strerror */
void	log_errorx(const char *, ...) PRINTFLIKE(1, 2);
void	log_warn(const char *, ...) PRINTFLIKE(1, 2);	/* + strerror */
void	log_warnx(const char *, ...) PRINTFLIKE(1, 2);
void	log_info(const char *, ...) PRINTFLIKE(1, 2);
void	log_debug(const char *, ...) PRINTFLIKE(1, 2);
void	log_vlog(int, const char *, int, const char *, va_list)
	    PRINTFLIKE(4, 0);

/* Never return: log at level "fatal" and exit with the given code. */
void	fatal(int, const char *, ...) PRINTFLIKE(2, 3)
	    __attribute__((noreturn));			/* + strerror */
void	fatalx(int, const char *, ...) PRINTFLIKE(2, 3)
	    __attribute__((noreturn));

#endif

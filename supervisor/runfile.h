/*
 * runfile: the supervisor's INI file, one section per service plus an
 * optional [supervisor] section of defaults.  See runfile(5).
 *
 * rf_load() parses and checks the whole file (unknown keys, bad values,
 * unknown or cyclic "after" names are errors naming file:line and the
 * offending line) and resolves every default, so a service's fields are
 * final.  Services are stored in start order (dependencies first).
 */
#ifndef RUNFILE_H
#define RUNFILE_H

#include <stddef.h>
#include <stdio.h>

enum rf_restart { RF_ALWAYS, RF_ONFAILURE, RF_NEVER };
enum rf_log { RF_LOG_INHERIT, RF_LOG_PREFIX };

/* Keys, indexing rf_svc.line[]. */
enum rf_key {
	K_COMMAND, K_SHELL, K_RESTART, K_AFTER, K_READY, K_STOP_SIGNAL,
	K_STOP_TIMEOUT, K_WATCHDOG, K_ENV, K_CWD, K_USER, K_LOG,
	K_BACKOFF_BASE, K_BACKOFF_MAX, K_STABLE_AFTER, K_CRASH_LIMIT,
	K_CRASH_WINDOW, K_CRITICAL, K_NKEYS
};

struct rf_svc {
	char		*name;
	int		 line;		/* of the section header */
	int		 kline[K_NKEYS];	/* line of each key, 0: not set */
	char		*command;	/* as written */
	char		**argv;		/* NULL-terminated */
	int		 shell;
	int		 restart;	/* enum rf_restart */
	char		**after;
	size_t		 nafter;
	int		 readyfd;	/* -1: ready = none */
	int		 stop_signal;
	long long	 stop_timeout;	/* ms */
	long long	 watchdog;	/* ms, 0: none */
	char		*envstr;	/* as written, or NULL */
	char		**env;		/* NAME=value words */
	char		*cwd;
	char		*user;
	int		 log;		/* enum rf_log */
	long long	 backoff_base;	/* ms */
	long long	 backoff_max;	/* ms */
	long long	 stable_after;	/* ms */
	long long	 crash_limit;	/* deaths, 0: no cutoff */
	long long	 crash_window;	/* ms */
	int		 critical;	/* failed: stop the suite */
};

struct runfile {
	char		*path;
	struct rf_svc	**svc;		/* in start order */
	size_t		 nsvc;
};

struct runfile	*rf_load(const char *, char *, size_t);
void		 rf_free(struct runfile *);
void		 rf_svc_free(struct rf_svc *);

/* Nonzero when two definitions run the same process (a reload restarts a
 * service only when this changes). */
int		 rf_same_exec(const struct rf_svc *, const struct rf_svc *);

/* Shell-like word splitting: blanks separate words, '...' and "..." quote,
 * backslash escapes; unquoted | & ; < > $ ` are refused (no shell here). */
int		 rf_split(const char *, char ***, size_t *, char *, size_t);
void		 rf_strv_free(char **);

int		 rf_signum(const char *);
const char	*rf_signame(int);
void		 rf_fmt_dur(long long, char *, size_t);

/* Print the checked runfile, one line per service in start order (-n). */
void		 rf_print(const struct runfile *, FILE *);

#endif

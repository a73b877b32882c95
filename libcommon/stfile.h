/*
 * stfile: a running binary's status file, run_dir/PROG.status, and the
 * -s that reads it: one status contract for every binary.
 *
 * The file is rewritten atomically about once a second.  Its first line
 * is ours:
 *
 *	PROG ID pid=N updated_ms=N stale_after_ms=N health=H state=WORD[ why]
 *
 * (H: ok, unhealthy or stopped; WORD and why are the binary's), then the
 * binary's own lines, one per item.  -s prints a verdict line and the
 * file (-J: one JSON object) and exits with one of the ST_ codes.
 */
#ifndef STFILE_H
#define STFILE_H

#include <stdint.h>
#include <stdio.h>

#include "app.h"

/* -s exit codes (and 111: the file or stdout failed). */
#define ST_OK		0	/* running, healthy (ready), file current */
#define ST_UNHEALTHY	1	/* running; not ready or not healthy */
#define ST_STALE	2	/* not rewritten for stale_after_ms: stuck */
#define ST_DOWN		3	/* not running: no file, pid gone, stopped */

/* Stale after this many heartbeat intervals (and never under 3 s). */
#define ST_STALE_BEATS	3
#define ST_STALE_MIN_MS	3000

struct stfile {
	char		 path[512];	/* "": no status file */
	char		 id[128];
	uint64_t	 stale_ms;
	uint64_t	 next_ms;	/* stfile_due */
};

/* run_dir/PROG.status (run_dir made if missing; a warning if not),
 * written at once: "starting", unhealthy. */
void	stfile_init(struct stfile *, const struct app *, const char *);
/* 1 once a second (monotonic ms): time to write again. */
int	stfile_due(struct stfile *, uint64_t);
/*
 * Begin a rewrite with our line (healthy or not, a state word, an
 * optional why); the binary adds its lines to the FILE, then
 * stfile_end.  NULL: no status file, or it cannot be written.
 */
FILE	*stfile_begin(struct stfile *, int, const char *, const char *, ...)
	    __attribute__((format(printf, 4, 5)));
int	stfile_end(struct stfile *, FILE *);
/* At exit: the file says the process stopped (its lines are dropped). */
void	stfile_stopped(struct stfile *);

/* -s: print the verdict and the file, exit with an ST_ code. */
void	stfile_print(const struct app *) __attribute__((noreturn));

#endif

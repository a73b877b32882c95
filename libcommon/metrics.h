/*
 * metrics: Prometheus text-format files for node_exporter's textfile
 * collector, as every program of the suite writes them (the services
 * through svc, the supervisor itself).
 *
 * Conventions: one prefix, coord_; base units (seconds, bytes); a counter's
 * name ends in _total; every sample has the label service="NAME.PROG".
 * Each file starts with coord_build_info and coord_start_time_seconds.
 *
 *	fp = metrics_begin(path, tmp) -> metrics_head, families ->
 *	metrics_end(fp, tmp, path): written to PATH.tmp, then renamed, so a
 *	reader sees a whole file; metrics_remove(path) on a clean exit.
 */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define METRICS_PATHMAX	512

/* NULL (logged) if PATH.tmp cannot be made. */
FILE	*metrics_begin(const char *, char *, size_t);
int	 metrics_end(FILE *, const char *, const char *);
void	 metrics_remove(const char *);

/* coord_build_info{service, version} 1 and coord_start_time_seconds. */
void	 metrics_head(FILE *, const char *, uint64_t);
/* A family's HELP and TYPE lines ("gauge" or "counter"). */
void	 metrics_family(FILE *, const char *, const char *, const char *);
/* One sample: name{service="S"[,LABEL="V"]} value. */
void	 metrics_sample(FILE *, const char *, const char *, const char *,
	    const char *, double);
/* The same with two labels: name{service="S",L1="V1",L2="V2"} value. */
void	 metrics_sample2(FILE *, const char *, const char *, const char *,
	    const char *, const char *, const char *, double);

#endif

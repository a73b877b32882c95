/*
 * archiver: what main.c shares with the query commands and the consume
 * loop.
 */
#ifndef ARCHIVER_H
#define ARCHIVER_H

#include <stddef.h>
#include <stdio.h>

#include "key.h"
#include "store.h"

struct app;

struct archiver {
	struct app	*app;
	struct store	*st;
	struct keyring	*kr;
	size_t		 batch;		/* [archive] batch_size */
	const char	*backup_dir;
	long long	 backup_keep;
	int		 verify_backups;
};

/* query.c: JSON Lines in and out.  query_epipe: the reader went away. */
extern int query_epipe;
int	query_import(struct archiver *, FILE *, const char *, char *, size_t);
int	query_export(struct archiver *, FILE *, char *, size_t);
int	query_get(struct archiver *, FILE *, const char *, const char *,
	    const char *, char *, size_t);
int	query_list(struct archiver *, FILE *, int, char **, char *, size_t);
int	query_kv_put(struct archiver *, const char *, FILE *, char *, size_t);
int	query_kv_get(struct archiver *, const char *, FILE *, char *, size_t);

/* consume.c: the bus side; returns the exit status (err set if not 0). */
int	consume_run(struct archiver *, char *, size_t);

/* main.c: a backup now: write, check if configured, prune; print its
 * manifest on stdout if asked (-x backup; never when consuming). */
int	archiver_backup(struct archiver *, int);

#endif

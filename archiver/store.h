/*
 * store: where the archive's sealed records live.  Backends see only sealed
 * records (they never hold a key); each implements struct store_ops:
 *
 *   put_batch   store records in one transaction: all committed and durable
 *               on return 0, or (on -1) any subset, so the caller retries
 *               the whole batch; a record whose (topic, partition, offset)
 *               is already stored is ignored, so a retry or a replay is
 *               harmless.  *added counts the records that were new.
 *   get         one record by (topic, partition, offset)
 *   iterate     every record in order (topic bytes, partition, offset),
 *               then kv_iterate every kv entry by name
 *   kv_put/get  values for data requests; a put replaces
 *
 * On -1 a backend sets store->temporary when the failure may pass (the
 * database went away: the next call reconnects), so the caller retries.
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdint.h>

#include "rec.h"

struct store;

struct store_conf {
	const char		*backend;	/* "file" or "postgres" */
	const char		*path;		/* file store directory */
	const char		*conninfo;	/* libpq */
	unsigned long long	 segment_size;	/* file store */
};

typedef int store_rec_cb(void *, const struct rec *);
typedef int store_kv_cb(void *, const struct kv *);

struct store_ops {
	const char	*name;
	int		(*open)(struct store *, const struct store_conf *,
			    char *, size_t);
	int		(*put_batch)(struct store *, const struct rec *,
			    size_t, size_t *, char *, size_t);
	int		(*get)(struct store *, const char *, int32_t, int64_t,
			    struct rec *, int *, char *, size_t);
	int		(*iterate)(struct store *, store_rec_cb *, void *,
			    char *, size_t);
	int		(*kv_iterate)(struct store *, store_kv_cb *, void *,
			    char *, size_t);
	int		(*count)(struct store *, uint64_t *, uint64_t *,
			    char *, size_t);
	int		(*kv_put)(struct store *, const struct kv *, char *,
			    size_t);
	int		(*kv_get)(struct store *, const char *, struct kv *,
			    int *, char *, size_t);
	void		(*close)(struct store *);
};

struct store {
	const struct store_ops	*ops;
	void			*priv;
	int			 temporary;	/* last failure may pass */
};

extern const struct store_ops fstore_ops;
extern const struct store_ops pgstore_ops;

/* Open the backend named in conf; NULL with err. */
struct store	*store_open(const struct store_conf *, char *, size_t);
void		 store_close(struct store *);

/* Thin wrappers, so callers read as store_put_batch(st, ...). */
int	store_put_batch(struct store *, const struct rec *, size_t, size_t *,
	    char *, size_t);
int	store_get(struct store *, const char *, int32_t, int64_t,
	    struct rec *, int *, char *, size_t);
int	store_iterate(struct store *, store_rec_cb *, void *, char *, size_t);
int	store_kv_iterate(struct store *, store_kv_cb *, void *, char *,
	    size_t);
int	store_count(struct store *, uint64_t *, uint64_t *, char *, size_t);
int	store_kv_put(struct store *, const struct kv *, char *, size_t);
int	store_kv_get(struct store *, const char *, struct kv *, int *, char *,
	    size_t);

/*
 * put_batch, retried with backoff (100 ms doubling to 5 s) while the
 * failure is temporary, for at most store_retry_ms (0: forever) or until
 * SIGTERM.  The batch is re-sent whole: records already stored are ignored.
 */
extern long long store_retry_ms;
int	store_put_retry(struct store *, const struct rec *, size_t, size_t *,
	    char *, size_t);

/*
 * Fault injection for the crash tests: with store_fault_batch = N (from
 * ARCHIVER_FAULT_KILL_BATCH), the Nth put_batch call kills the process
 * with SIGKILL half-way through its write, before it commits.
 */
extern long long store_fault_batch;
void	store_fault_point(void);

/*
 * The file store's segment scanner, shared with the fuzz target: walk the
 * frames in buf (a whole segment file), calling cb for each valid payload
 * with its file offset.  Returns the length of the valid prefix; *torn is
 * set when what follows is an incomplete last frame (safe to truncate) and
 * -1 is returned (err set) when a complete frame is corrupt.
 */
typedef int fstore_frame_cb(void *, const uint8_t *, size_t, uint64_t);
long long	fstore_scan(const uint8_t *, size_t, fstore_frame_cb *, void *,
		    int *, char *, size_t);

#endif

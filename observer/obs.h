/*
 * obs: the observer binary's parts.
 *
 *   scan.c     the Serai node: finalized blocks, in order, each checked to
 *              extend the previous one, decoded whole (events of interest,
 *              typed Serai events, NewSet participants); adaptive polling
 *   pace.c     when to poll at the tip (learned block time, a request
 *              budget no larger than fixed polling's)
 *   publish.c  a batch of blocks and the cursor in one Kafka transaction;
 *              the cursor read back at start (cursor_read)
 *   submit.c   instructions from p2p-inbound, author_submitExtrinsic,
 *              InstructionResult, dead letters
 *   health.c   heartbeats on chain-health, per-service verdicts, the
 *              observer's own scan status, the status file (-s)
 *   main.c     options, setup, the loop, shutdown
 */
#ifndef OBS_H
#define OBS_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "bus.h"
#include "dedupe.h"
#include "observer/rpc.h"
#include "svc.h"
#include "observer/meta.h"
#include "observer/serai.h"
#include "proto/observation.pb-c.h"

#define OBS_HASHLEN	32
#define OBS_MAXBATCH	1024	/* observation.batch_blocks at most */
#define OBS_METACACHE	3	/* runtime versions' metadata kept */

/* ------------------------------------------------------------ blocks */

struct obs_part {
	uint8_t		 key[32];
	uint64_t	 weight;
};

/* One event of interest, decoded whole. */
struct obs_event {
	uint32_t		 index;		/* in the block's System.Events */
	char			*pallet;
	char			*name;
	char			*fields_json;
	struct serai_event	 se;		/* kind SERAI_NONE: untyped */
	int			 has_parts;	/* NewSet: participants read */
	struct obs_part		*parts;
	size_t			 nparts;
};

/* One finalized block, decoded whole before anything is published. */
struct obs_block {
	uint64_t	 number;
	uint8_t		 hash[32];
	uint8_t		 parent[32];
	uint8_t		 state_root[32];
	uint8_t		 ext_root[32];
	uint64_t	 time_ms;	/* Timestamp.Now, 0 if unknown */
	uint32_t	 spec;		/* runtime version at the block */
	int		 code_updated;	/* System.CodeUpdated in it */
	struct obs_event *ev;
	size_t		 nev;
};

void	obs_blocks_free(struct obs_block *, size_t);

/* ------------------------------------------------------------ pace */

#define PACE_RING	16

struct pace {
	int		 adaptive;
	uint64_t	 interval;	/* polling_interval, ms */
	double		 tokens;	/* polls we may make now */
	uint64_t	 tok_ms;	/* when tokens was last topped up */
	uint64_t	 period;	/* learned block time, ms (0: unknown) */
	uint64_t	 ring[PACE_RING];	/* observed block intervals */
	size_t		 nring, iring;
	uint64_t	 ts_period;	/* from Timestamp.Now deltas */
	uint64_t	 ts_last, ts_last_num;
	uint64_t	 p_est;		/* estimated production of the newest
					   block (monotonic ms), 0: none */
	int		 p_tight;	/* p_est known within period / 4 */
	uint64_t	 p_num;
	uint64_t	 last_miss;	/* last poll that saw nothing new */
	double		 err_avg;	/* |production - expected|, ms */
	double		 dense_avg;	/* polls a block's dense phase takes */
	unsigned	 cycle_dense;	/* ... this block's so far */
	uint64_t	 guard;		/* start polling this long before */
	uint64_t	 next_at;	/* next poll (monotonic ms) */
	unsigned long	 polls;
	unsigned long	 hits;
};

void	 pace_init(struct pace *, uint64_t, int, uint64_t);
/* Milliseconds until the next poll (0: poll now). */
uint64_t pace_wait(struct pace *, uint64_t);
/* A poll sent at t0 and answered at t1; newest = the finalized head's
 * number (nnew blocks new since the last poll). */
void	 pace_polled(struct pace *, uint64_t, uint64_t, uint64_t, uint64_t);
/* A block's Timestamp.Now (the block time until one is observed). */
void	 pace_timestamp(struct pace *, uint64_t, uint64_t);
void	 pace_failed(struct pace *, uint64_t);

/* ------------------------------------------------------------ scan */

struct obs_meta {
	uint32_t	 spec;
	int		 used;
	uint64_t	 lru;
	struct meta	 m;
};

struct scan {
	struct rpc	*rpc;
	long		 timeout_ms;
	size_t		 batch;		/* blocks per catch-up batch */
	struct serai_filter filter;
	struct obs_meta	 mc[OBS_METACACHE];
	uint64_t	 lru;
	uint8_t		 key_events[32];
	uint8_t		 key_now[32];
	uint8_t		 key_parts[32];	/* ValidatorSets.Participants prefix */

	/* The cursor: the next block to publish and the one before. */
	uint64_t	 next;
	uint8_t		 last_hash[32];
	int		 have_last;
	uint32_t	 spec;		/* runtime version at last_hash */
	int		 started;	/* spec and metadata known */

	/* The finalized head, as last polled. */
	uint64_t	 fin_num;
	uint8_t		 fin_hash[32];
	int		 have_fin;
	uint64_t	 last_poll_ok;	/* wall ms of the last good poll */

	/* Halted: the chain did not extend what we published. */
	int		 halted;
	char		 halt_reason[512];
	uint64_t	 halt_logged;

	uint64_t	 retry_at;	/* after a transient failure (mono) */
	uint64_t	 backoff;
	struct pace	 pace;

	unsigned long	 nblocks, nevents, nupgrades;
	char		 last_error[256];
};

/* scan_* results */
#define SCAN_OK		0
#define SCAN_RETRY	-1	/* transient: node, network, bad answer */
#define SCAN_HALT	-2	/* the chain is inconsistent: halt */
#define SCAN_STOP	-3	/* cancelled (SIGTERM) */

int	 scan_init(struct scan *, const struct app *, char *, size_t);
void	 scan_free(struct scan *);
/* The runtime version and metadata at the cursor. */
int	 scan_start(struct scan *, char *, size_t);
/* Poll the finalized head; *moved set when it changed. */
int	 scan_poll(struct scan *, int *, char *, size_t);
/* Fetch and decode blocks from next up to the finalized head (at most
 * batch).  *n blocks are complete even when an error is returned (they
 * come before the failing one). */
int	 scan_fetch(struct scan *, struct obs_block *, size_t, size_t *,
	    char *, size_t);
/* After the blocks are committed. */
void	 scan_advance(struct scan *, const struct obs_block *);
void	 scan_halt(struct scan *, const char *);
/* A transient failure: back off. */
void	 scan_failed(struct scan *, uint64_t);

/* ------------------------------------------------------------ publish */

struct obs_cursor {
	int		 found;
	uint64_t	 next;
	uint8_t		 last_hash[32];
	int		 has_hash;
	uint32_t	 spec;
	long long	 offset;
};

/* Read coordinator-state to its end (read_committed): our last cursor. */
int	 cursor_read(const struct app *, const struct svc *,
	    struct obs_cursor *, int, char *, size_t);

struct done_off {
	char		 topic[128];
	int32_t		 partition;
	int64_t		 offset;
};

struct obs;
int	 pub_block(struct obs *, const struct obs_block *, char *, size_t);
int	 pub_cursor(struct obs *, uint64_t, const uint8_t *, uint32_t,
	    char *, size_t);

/* ------------------------------------------------------------ submit */

enum ins_state {
	INS_SKIP,		/* not an instruction: done at once */
	INS_PENDING,		/* to submit */
	INS_DONE		/* the node answered (or it was refused) */
};

struct ins {
	struct bus_msg	 m;
	Coord__Envelope	*env;
	enum ins_state	 state;
	uint8_t		 intent[ENV_INTENTLEN];	/* the Instruction's */
	uint8_t		*xt;
	size_t		 xtlen;
	char		 origin[128];
	int		 attempts;
	uint64_t	 next_try;
	int		 has_result;	/* publish an InstructionResult */
	int		 ok;
	uint8_t		 tx_hash[32];
	long		 code;
	char		 error[256];
	TAILQ_ENTRY(ins) entry;
};
TAILQ_HEAD(insq, ins);

#define SUB_MAX_QUEUE	1024	/* p2p-inbound records held */

struct submitter {
	struct rpc	*rpc;
	struct dedupe	*seen;		/* Instruction intents handled */
	struct insq	 q;
	size_t		 n;
	unsigned long	 n_ok, n_failed, n_retries, n_skipped;
	char		 last_error[256];
};

int	 sub_init(struct submitter *, const struct app *, char *, size_t);
void	 sub_free(struct submitter *, struct bus *);
/* Take a p2p-inbound record (the queue owns m and e afterwards); e NULL:
 * a record already rejected or dropped, done in its turn. */
void	 sub_take(struct obs *, struct bus_msg *, Coord__Envelope *);
/* Submit the head if due; SCAN_STOP when cancelled. */
int	 sub_run(struct obs *, uint64_t);
/* Ms until the head is due (UINT64_MAX: nothing to do). */
uint64_t sub_wait(const struct submitter *, uint64_t);
/* Publish the results of the finished head items and store their
 * offsets (in the open transaction); returns how many. */
size_t	 sub_publish(struct obs *, char *, size_t, int *);
/* After the transaction committed: release that many. */
void	 sub_release(struct obs *, size_t);

/* ------------------------------------------------------------ health */

#define HEALTH_OK	0
#define HEALTH_LAGGING	1
#define HEALTH_STALE	2
#define HEALTH_HALTED	3
#define HEALTH_UNKNOWN	4

struct hsvc {
	char		 id[128];
	char		 network[64];
	char		 status[32];	/* what it says of itself */
	uint64_t	 last_ms;	/* its last heartbeat (its clock) */
	uint64_t	 scanned, tip;
	int		 state;
	uint64_t	 reported_ms;
	char		 detail[640];
};

struct health {
	uint64_t	 stale_after;
	uint64_t	 fresh_ms;	/* "ok again" only from a heartbeat this new */
	uint64_t	 max_lag;
	struct hsvc	*s;
	size_t		 n, cap;
	uint64_t	 next_check;
	unsigned long	 n_reports;
};

void	 health_init(struct health *, const struct app *);
void	 health_free(struct health *);
void	 health_heartbeat(struct health *, const Coord__Envelope *, int);
void	 health_check(struct obs *, uint64_t);
const char *health_state_name(int);
void	 status_write(struct obs *);
void	 status_print(const struct app *) __attribute__((noreturn));

/* ------------------------------------------------------------ the observer */

struct obs {
	struct app	 app;
	struct svc	 svc;
	int		 kafka_out;	/* transactions and the cursor */
	int		 consume;	/* p2p-inbound and chain-health */
	int		 eof;		/* the stdio input ended */
	struct scan	 scan;
	struct submitter sub;
	struct health	 health;
	struct done_off	*done;		/* offsets to store in the next txn */
	size_t		 ndone, done_cap;
	unsigned long	 n_txn, n_txn_failed, n_published;
	uint64_t	 started_ms;
	uint64_t	 t_start;	/* monotonic, at exec */
	uint64_t	 cu_t0, cu_from;	/* a catch-up under way */
	int		 txn_failures;
};

int	 obs_cancelled(void *);
void	 obs_note_done(struct obs *, const struct bus_msg *);

#endif

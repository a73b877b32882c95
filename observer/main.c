/*
 * observer: watches the Serai chain and publishes what it sees; submits
 * validators' instructions; judges the services' health.
 *
 *   Serai node (JSON-RPC)   finalized blocks, decoded (scan.c)
 *   serai-observation       BlockUpdate per block, SeraiEvent per event
 *                           of interest, InstructionResult
 *   coordinator-state       ObserverCursor, in the same transaction
 *   p2p-inbound             Instruction (bare or in P2pReceived) -> node
 *   chain-health            Heartbeats in, HealthReports out
 *
 * Exactly once: each batch of blocks (one block at the tip), the
 * instruction results due, the consumed offsets and the cursor are one
 * Kafka transaction (transactional.id: the service id).  At start the
 * producer fences any older observer with that id and aborts what it left
 * open; then the last committed cursor is read back and scanning resumes
 * there.  With -o (a stream) there are no transactions: the cursor is
 * written to the stream but lives in memory; scanning starts at
 * [observation] start_block.
 *
 * One loop: the bus (records in), the node (poll, fetch), the instruction
 * queue, health checks, the status file.  SIGTERM stops between steps
 * (JSON-RPC calls are cancelled), so no transaction is ever left open.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "hex.h"
#include "clock.h"
#include "app.h"
#include "bus.h"
#include "cfg.h"
#include "log.h"
#include "sig.h"
#include "svc.h"
#include "observer/obs.h"

#define CURSOR_TIMEOUT	60000
#define MAX_TXN_FAILS	5

static int	 opt(struct app *, int, const char *);
static int	 check_config(struct obs *, char *, size_t);
static void	 restore_cursor(struct obs *);
static int	 start_scan(struct obs *);
static int	 txn_run(struct obs *, const struct obs_block *, size_t);
static void	 done_flush(struct obs *);
static void	 bus_intake(struct obs *);
static int	 scan_step(struct obs *, struct obs_block *, uint64_t);
static void	 kafka_fatal(struct obs *, const char *)
		    __attribute__((noreturn));
static int	 wait_events(struct obs *, uint64_t);
static size_t	 results_due(struct obs *);
static uint64_t	 next_wake(struct obs *, uint64_t, size_t);
static struct obs_block *obs_open(struct obs *);
static void	 obs_run(struct obs *, struct obs_block *);
static int	 obs_close(struct obs *, struct obs_block *);

static int		 status_mode;
static struct obs	 ob;

static const struct app_spec spec = {
	.prog = "observer",
	.operands = "",
	.opts = "s",
	.optusage = "  -s         print the running observer's status and exit: "
	    "0 ok, 1 unhealthy,\n"
	    "             2 stale, 3 not running\n",
	.opt = opt,
};

static int
opt(struct app *app, int ch, const char *arg)
{
	(void)app;
	(void)arg;
	if (ch != 's')
		return -1;
	status_mode = 1;
	return 0;
}


int
obs_cancelled(void *arg)
{
	(void)arg;
	return sig_term != 0;
}

/* A consumed record to store the offset of, in the next transaction. */
void
obs_note_done(struct obs *o, const struct bus_msg *m)
{
	struct done_off	*d;
	size_t		 i;

	if (m->offset < 0 || m->topic == NULL)
		return;
	for (i = 0; i < o->ndone; i++)
		if (o->done[i].partition == m->partition &&
		    strcmp(o->done[i].topic, m->topic) == 0) {
			if (m->offset > o->done[i].offset)
				o->done[i].offset = m->offset;
			return;
		}
	if (o->ndone == o->done_cap) {
		size_t cap = o->done_cap ? o->done_cap * 2 : 8;

		if ((d = reallocarray(o->done, cap, sizeof(*d))) == NULL)
			return;		/* consumed again after a restart */
		o->done = d;
		o->done_cap = cap;
	}
	d = &o->done[o->ndone++];
	snprintf(d->topic, sizeof(d->topic), "%s", m->topic);
	d->partition = m->partition;
	d->offset = m->offset;
}

static void
done_flush(struct obs *o)
{
	struct bus_msg	 m;
	size_t		 i;

	for (i = 0; i < o->ndone; i++) {
		memset(&m, 0, sizeof(m));
		m.topic = o->done[i].topic;
		m.partition = o->done[i].partition;
		m.offset = o->done[i].offset;
		bus_done(o->svc.bus, &m);
	}
}

static void
kafka_fatal(struct obs *o, const char *err)
{
	if (sig_term) {
		/* A stop while the broker is away: the commit in flight is
		 * the broker's to finish or abort; the cursor it holds is
		 * where the next start resumes, so nothing is lost or
		 * published twice. */
		log_warnx("stopping with a transaction unresolved (%s): the "
		    "next start resumes from the cursor the broker holds",
		    err);
		exit(0);
	}
	if (bus_out_closed(o->svc.bus)) {
		log_info("output closed: stopping");
		exit(0);
	}
	if (strstr(err, "fenced") != NULL || strstr(err, "FENCED") != NULL)
		fatalx(EX_TEMP, "fenced: another observer with "
		    "transactional.id %s took over: %s", o->svc.id, err);
	fatalx(EX_TEMP, "kafka: %s", err);
}

/*
 * One transaction: the blocks, the instruction results due, the consumed
 * offsets, the cursor.  0: committed (the cursor advanced); -1: aborted
 * (everything stays to be done again).
 */
static int
txn_run(struct obs *o, const struct obs_block *b, size_t nb)
{
	char	 err[1024], aerr[512];
	size_t	 i, nins;
	int	 failed = 0;

	if (bus_txn_begin(o->svc.bus, err, sizeof(err)) == -1)
		kafka_fatal(o, err);
	for (i = 0; i < nb; i++)
		if (pub_block(o, &b[i], err, sizeof(err)) == -1) {
			failed = 1;
			break;
		}
	nins = failed ? 0 : sub_publish(o, err, sizeof(err), &failed);
	if (!failed && nb > 0 && pub_cursor(o, b[nb - 1].number + 1,
	    b[nb - 1].hash, b[nb - 1].spec, err, sizeof(err)) == -1)
		failed = 1;
	if (!failed) {
		done_flush(o);
		if (bus_txn_commit(o->svc.bus, err, sizeof(err)) == 0) {
			o->n_txn++;
			o->txn_failures = 0;
			o->ndone = 0;
			for (i = 0; i < nb; i++) {
				scan_advance(&o->scan, &b[i]);
				o->scan.nblocks++;
				/* a line per block is for debugging: the
				 * events are on the topic, the counts in
				 * -s and the metrics */
				log_debug("block %" PRIu64 ": %zu event(s) of "
				    "interest", b[i].number, b[i].nev);
			}
			sub_release(o, nins);
			return 0;
		}
	}
	if (bus_out_closed(o->svc.bus))
		kafka_fatal(o, err);
	o->n_txn_failed++;
	log_warnx("transaction aborted: %s", err);
	if (bus_txn_abort(o->svc.bus, aerr, sizeof(aerr)) == -1)
		kafka_fatal(o, aerr);
	if (++o->txn_failures >= MAX_TXN_FAILS)
		kafka_fatal(o, err);
	return -1;
}

static int
check_config(struct obs *o, char *err, size_t errlen)
{
	struct scan s;

	if (svc_check(&o->app, err, errlen) == -1)
		return -1;
	if (scan_init(&s, &o->app, err, errlen) == -1)
		return -1;
	scan_free(&s);
	return 0;
}

static void
restore_cursor(struct obs *o)
{
	struct obs_cursor	 c;
	char			 err[512], h[67];

	if (!o->kafka_out) {
		log_info("output is a stream: no transactions; the cursor "
		    "lives in memory, from block %" PRIu64, o->scan.next);
		return;
	}
	if (cursor_read(&o->app, &o->svc, &c, CURSOR_TIMEOUT, err,
	    sizeof(err)) == -1) {
		if (sig_term)
			exit(0);
		fatalx(EX_TEMP, "reading the cursor: %s", err);
	}
	if (!c.found) {
		log_info("no cursor of %s yet: starting at block %" PRIu64,
		    o->svc.id, o->scan.next);
		return;
	}
	o->scan.next = c.next;
	if (c.has_hash && c.next > 0) {
		memcpy(o->scan.last_hash, c.last_hash, 32);
		o->scan.have_last = 1;
	}
	hex_encode0x(c.last_hash, 32, h);
	log_info("resuming at block %" PRIu64 " (after %s, runtime %" PRIu32
	    ", cursor at offset %lld)", c.next, c.has_hash ? h : "-", c.spec,
	    c.offset);
}

/* The runtime and metadata at the cursor; retried until it works. */
static int
start_scan(struct obs *o)
{
	char		 err[512];
	uint64_t	 back = 250;
	int		 rc;

	for (;;) {
		rc = scan_start(&o->scan, err, sizeof(err));
		if (rc == SCAN_OK)
			return 0;
		if (rc == SCAN_STOP || sig_term)
			return -1;
		snprintf(o->scan.last_error, sizeof(o->scan.last_error), "%.*s",
		    (int)sizeof(o->scan.last_error) - 1, err);
		log_warnx("starting: %s (again in %" PRIu64 " ms)", err, back);
		o->scan.retry_at = clock_mono_ms() + back;
		while (!sig_term && clock_mono_ms() < o->scan.retry_at)
			(void)wait_events(o, o->scan.retry_at);
		status_write(o);
		svc_tick(&o->svc);
		if (back < 30000)
			back *= 2;
	}
}

/*
 * Records from the bus: heartbeats now, p2p-inbound into the queue.  Not
 * svc_recv: it stores the offset of a record it rejects at once, which
 * would let a transaction commit p2p-inbound past an instruction still
 * queued.  The same checks here (size, signature, trust, duplicates,
 * dead letters), but a rejected p2p-inbound record joins the queue, done,
 * and its offset is stored in its turn.
 */
static void
bus_intake(struct obs *o)
{
	struct svc	*sv = &o->svc;
	Coord__Envelope	*e;
	struct bus_msg	 m;
	const char	*p2p = bus_topic(sv->bus, TOPIC_P2P_INBOUND);
	char		 err[1024], reason[512];
	int		 r, k, inbound;

	for (k = 0; k < 256 && !o->eof; k++) {
		if (o->sub.n >= SUB_MAX_QUEUE)
			break;		/* the node is slow: hold intake */
		r = bus_poll(sv->bus, &m, 0, err, sizeof(err));
		if (r == 0)
			break;
		if (r == -1) {
			if (bus_eof(sv->bus)) {
				log_info("input ended; scanning goes on");
				o->eof = 1;
				break;
			}
			kafka_fatal(o, err);
		}
		sv->n_in++;
		inbound = m.offset >= 0 && m.topic != NULL &&
		    strcmp(m.topic, p2p) == 0;
		e = NULL;
		if (m.error != NULL)
			svc_dlq(sv, &m, m.error);
		else if (m.len > sv->max_size) {
			snprintf(reason, sizeof(reason), "record of %zu bytes "
			    "exceeds max_message_size %zu", m.len,
			    sv->max_size);
			svc_dlq(sv, &m, reason);
		} else if ((e = env_open(m.val, m.len, &sv->trust, reason,
		    sizeof(reason))) == NULL)
			svc_dlq(sv, &m, reason);
		else if (e->type == COORD__MSG_TYPE__DEAD_LETTER) {
			env_free(e);	/* passed along a pipe: not ours */
			e = NULL;
		} else if (dedupe_check(sv->seen, e->intent.data)) {
			sv->n_dup++;
			log_debug("duplicate %s from %s dropped",
			    env_type_name(e->type) ? env_type_name(e->type) :
			    "?", e->from);
			env_free(e);
			e = NULL;
		}
		if (e != NULL && (e->type == COORD__MSG_TYPE__HEARTBEAT ||
		    e->type == COORD__MSG_TYPE__HEALTH_REPORT)) {
			if (e->type == COORD__MSG_TYPE__HEARTBEAT)
				health_heartbeat(&o->health, e,
				    strcmp(e->from, sv->id) == 0);
			env_free(e);
			e = NULL;
			if (!inbound) {
				obs_note_done(o, &m);
				bus_release(sv->bus, &m);
				continue;
			}
		}
		if (e == NULL && !inbound) {
			obs_note_done(o, &m);
			bus_release(sv->bus, &m);
			continue;
		}
		/* p2p-inbound (or a stream): in the queue, in order */
		sub_take(o, &m, e);
	}
}

/* Fetch and publish, or poll.  SCAN_STOP when told to stop. */
static int
scan_step(struct obs *o, struct obs_block *blocks, uint64_t now)
{
	struct scan	*s = &o->scan;
	char		 err[1024];
	size_t		 n = 0;
	int		 rc, moved;

	if (now < s->retry_at)
		return SCAN_OK;
	if (s->have_fin && s->next <= s->fin_num) {
		if (o->cu_t0 == 0 && s->fin_num > s->next) {
			o->cu_t0 = now;
			o->cu_from = s->next;
		}
		rc = scan_fetch(s, blocks, s->batch, &n, err, sizeof(err));
		if (n > 0) {
			if (txn_run(o, blocks, n) == -1) {
				scan_failed(s, now);
				obs_blocks_free(blocks, n);
				return SCAN_OK;
			}
			obs_blocks_free(blocks, n);
		}
		switch (rc) {
		case SCAN_OK:
			if (s->next <= s->fin_num && s->nblocks % 5000 < n)
				log_info("catching up: block %" PRIu64 " of %"
				    PRIu64, s->next, s->fin_num);
			if (o->cu_t0 != 0 && s->next > s->fin_num) {
				uint64_t t = clock_mono_ms(), ms = t - o->cu_t0;

				log_info("caught up at block %" PRIu64 ": %"
				    PRIu64 " blocks in %" PRIu64 " ms (%.0f "
				    "blocks/s), %" PRIu64 " ms after start",
				    s->next - 1, s->next - o->cu_from, ms,
				    ms > 0 ? (double)(s->next - o->cu_from) *
				    1000 / (double)ms : 0, t - o->t_start);
				o->cu_t0 = 0;
			}
			break;
		case SCAN_STOP:
			return SCAN_STOP;
		case SCAN_HALT:
			scan_halt(s, err);
			s->retry_at = now + s->pace.interval;
			break;
		default:
			snprintf(s->last_error, sizeof(s->last_error), "%.*s",
			    (int)sizeof(s->last_error) - 1, err);
			scan_failed(s, now);
			log_warnx("%s (again in %" PRIu64 " ms)", err,
			    s->retry_at - now);
			break;
		}
		return SCAN_OK;
	}
	if (pace_wait(&s->pace, now) > 0)
		return SCAN_OK;
	rc = scan_poll(s, &moved, err, sizeof(err));
	if (rc == SCAN_STOP)
		return SCAN_STOP;
	if (rc != SCAN_OK) {
		snprintf(s->last_error, sizeof(s->last_error), "%.*s",
		    (int)sizeof(s->last_error) - 1, err);
		scan_failed(s, now);
		log_warnx("%s (again in %" PRIu64 " ms)", err,
		    s->retry_at - now);
		return SCAN_OK;
	}
	s->backoff = 0;
	/* the finalized block we published last, replaced: finality broken */
	if (moved && s->have_last && s->fin_num + 1 == s->next) {
		if (memcmp(s->fin_hash, s->last_hash, 32) != 0) {
			char a[67], b[67];

			hex_encode0x(s->last_hash, 32, a);
			hex_encode0x(s->fin_hash, 32, b);
			snprintf(err, sizeof(err), "finalized block %" PRIu64
			    " was %s when published, the node now says %s",
			    s->fin_num, a, b);
			scan_halt(s, err);
		} else if (s->halted) {
			log_info("block %" PRIu64 " as published is the "
			    "node's finalized block again: scanning resumes",
			    s->fin_num);
			s->halted = 0;
			s->halt_reason[0] = '\0';
		}
	}
	if (moved && s->fin_num + 1 < s->next)
		log_warnx("the node's finalized head %" PRIu64 " is behind our "
		    "cursor (next block %" PRIu64 "): a different chain, or "
		    "a node still syncing?", s->fin_num, s->next);
	return SCAN_OK;
}

/* Sleep until something is due, a record comes or a signal. */
static int
wait_events(struct obs *o, uint64_t until)
{
	struct pollfd	 pfd[2];
	uint64_t	 now = clock_mono_ms();
	int		 n = 0, fd, t;

	t = until > now ? (int)(until - now) : 0;
	if (t > 100)
		t = 100;	/* bus_serve at least every 100 ms */
	pfd[n].fd = sig_fd();
	pfd[n++].events = POLLIN;
	if (o->consume && !o->eof && (fd = bus_fd(o->svc.bus)) >= 0) {
		pfd[n].fd = fd;
		pfd[n++].events = POLLIN;
	}
	if (poll(pfd, (nfds_t)n, t) == -1 && errno != EINTR)
		fatal(EX_TEMP, "poll");
	if (pfd[0].revents & POLLIN)
		sig_drain();
	return 0;
}

/* Results (and skipped records) at the head of the queue, due now. */
static size_t
results_due(struct obs *o)
{
	struct ins	*head;
	size_t		 n = 0;

	TAILQ_FOREACH(head, &o->sub.q, entry) {
		if (head->state == INS_PENDING)
			break;
		n++;
	}
	return n;
}

/* When the loop has something to do next; now while catching up. */
static uint64_t
next_wake(struct obs *o, uint64_t now, size_t nready)
{
	struct scan	*s = &o->scan;
	uint64_t	 until, w;

	if (s->have_fin && s->next <= s->fin_num && !s->halted &&
	    now >= s->retry_at)
		return now;
	until = now + 1000;
	if (s->retry_at > now && s->retry_at < until)
		until = s->retry_at;
	if (now >= s->retry_at && (!s->have_fin || s->next > s->fin_num ||
	    s->halted)) {
		w = pace_wait(&s->pace, now);
		if (now + w < until)
			until = now + w;
	}
	w = sub_wait(&o->sub, now);
	if (w != UINT64_MAX && now + w < until)
		until = now + w;
	if (nready > 0 && s->retry_at < until)
		until = s->retry_at > now ? s->retry_at : now;
	return until;
}

/* Config and resources: the bus, the scanner, the queue, health. */
static struct obs_block *
obs_open(struct obs *o)
{
	static const enum bus_topic topics[] = { TOPIC_P2P_INBOUND,
	    TOPIC_CHAIN_HEALTH };
	struct obs_block	*blocks;
	struct bus_opts		 bo;
	char			 err[1024];
	int			 perm;

	/* Stream output without stream input: no Kafka at all. */
	o->consume = o->app.in != NULL || o->app.out == NULL;
	memset(&bo, 0, sizeof(bo));
	bo.app = &o->app;
	bo.topics = o->consume ? topics : NULL;
	bo.ntopics = o->consume ? 2 : 0;
	bo.txn_id = app_service_id(&o->app);
	bo.produce = 1;
	bo.from_start = 1;
	if (scan_init(&o->scan, &o->app, err, sizeof(err)) == -1)
		fatalx(EX_PERM, "%s", err);
	if (svc_open(&o->svc, &o->app, &bo, &perm, err, sizeof(err)) == -1)
		fatalx(perm ? EX_PERM : EX_TEMP, "%s", err);
	o->kafka_out = bus_is_kafka_out(o->svc.bus);
	o->started_ms = clock_wall_ms();
	o->svc.hb_network = "serai";
	o->svc.hb_status = "starting";
	if (sub_init(&o->sub, &o->app, err, sizeof(err)) == -1)
		fatalx(EX_PERM, "%s", err);
	health_init(&o->health, &o->app);
	if ((blocks = calloc(o->scan.batch, sizeof(*blocks))) == NULL)
		fatal(EX_TEMP, "calloc");
	return blocks;
}

/*
 * The loop: records in, a scan step (fetch and publish, or poll), the
 * instruction queue, health, the status file; then sleep until something
 * is due.  Returns when told to stop.
 */
static void
obs_run(struct obs *o, struct obs_block *blocks)
{
	uint64_t	 now, until, next_status = 0;
	size_t		 nready;
	int		 ready = 0;

	while (!sig_term) {
		if (o->consume)
			bus_intake(o);
		now = clock_mono_ms();
		if (scan_step(o, blocks, now) == SCAN_STOP)
			break;
		if (sub_run(o, clock_mono_ms()) == SCAN_STOP)
			break;
		/* results (and skipped records) due, no block took them */
		nready = results_due(o);
		if (nready > 0 && now >= o->scan.retry_at)
			if (txn_run(o, NULL, 0) == -1)
				scan_failed(&o->scan, now);
		now = clock_mono_ms();
		health_check(o, clock_wall_ms());
		svc_tick(&o->svc);
		if (now >= next_status) {
			status_write(o);
			next_status = now + 1000;
		}
		if (!ready && o->scan.have_fin) {
			ready_notify(o->app.readyfd);
			ready = 1;
			log_info("ready: finalized head %" PRIu64 ", next "
			    "block %" PRIu64, o->scan.fin_num, o->scan.next);
		}
		if ((until = next_wake(o, now, nready)) > now)
			wait_events(o, until);
	}
}

/* Shutdown: what is queued is delivered, everything freed. */
static int
obs_close(struct obs *o, struct obs_block *blocks)
{
	int	 rc;

	log_info("stopping: next block %" PRIu64 ", %lu block(s) published",
	    o->scan.next, o->scan.nblocks);
	status_write(o);
	free(blocks);
	sub_free(&o->sub, o->svc.bus);
	rc = svc_close(&o->svc);
	scan_free(&o->scan);
	health_free(&o->health);
	free(o->done);
	app_free(&o->app);
	if (rc == -1)
		log_warnx("not every record was delivered at exit");
	return 0;
}

int
main(int argc, char **argv)
{
	struct obs		*o = &ob;
	struct obs_block	*blocks;
	char			 err[1024];

	o->t_start = clock_mono_ms();
	app_init(&o->app, &spec, argc, argv);
	if (status_mode)
		status_print(&o->app);
	if (sodium_init() == -1)
		fatalx(EX_TEMP, "sodium_init failed");
	if (o->app.check) {
		if (check_config(o, err, sizeof(err)) == -1)
			fatalx(EX_PERM, "%s", err);
		app_check_ok(&o->app);
	}

	blocks = obs_open(o);
	restore_cursor(o);
	status_write(o);
	if (start_scan(o) == 0) {
		log_info("scanning %s from block %" PRIu64 " (runtime %" PRIu32
		    ", %s polling every %lld ms, batches of %zu)",
		    cfg_str(o->app.cfg, "observation", "rpc_endpoint"),
		    o->scan.next, o->scan.spec,
		    o->scan.pace.adaptive ? "adaptive" : "fixed",
		    cfg_ms(o->app.cfg, "observation", "polling_interval"),
		    o->scan.batch);
		obs_run(o, blocks);
	}
	return obs_close(o, blocks);
}

/*
 * bus: see bus.h.  The Kafka lifecycle follows librdkafka's own examples
 * (producer.c, consumer.c, idempotent_producer.c, transactions.c): every
 * conf_set checked, delivery reports, poll in the loop, flush at exit,
 * abort-and-rewind for transactions.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "clock.h"
#include "app.h"
#include "bus.h"
#include "cfg.h"
#include "envelope.h"
#include "log.h"
#include "sig.h"

#define DEFAULT_BOOTSTRAP	"127.0.0.1:9092"
#define STDIO_MAXREC		(64 * 1024 * 1024)
#define TXN_TIMEOUT_MS		30000
/* Transactional calls wait in slices this long, so that SIGTERM is seen
 * within one even while the broker is away. */
#define TXN_SLICE_MS		250
/* ... and once SIGTERM is seen, they get this long more at most. */
#define TXN_STOP_GRACE_MS	1500
#define WARM_MS			1000	/* kafka_warm: each metadata request */

static const char *topic_keys[TOPIC_COUNT] = {
	"serai_observation", "chain_observation", "chain_health", "signing",
	"p2p_outbound", "p2p_inbound", "coordinator_state", "coordinator_dlq"
};

struct bus {
	const struct app	*app;
	struct bus_opts		 opts;
	const char		*topic[TOPIC_COUNT];

	/* Kafka */
	rd_kafka_t		*prod;
	rd_kafka_t		*aux;		/* outside transactions */
	rd_kafka_t		*cons;
	rd_kafka_topic_t	*warm[2][TOPIC_COUNT]; /* prod's, aux's */
	int			 in_txn;
	rd_kafka_topic_partition_list_t *txn_offsets;
	int			 dr_failed;
	char			 dr_err[256];
	bus_delivery_fn		*dr_fn;		/* tracked sends */
	void			*dr_arg;
	int			 fatal;
	char			 fatal_err[600];
	int			 iopipe[2];

	/* stdio */
	int			 in_fd;
	int			 out_fd;
	int			 json;
	uint8_t			*ibuf;
	size_t			 ilen, icap, ioff;
	int			 eof;
	int			 broken;	/* input stream unusable */
	int			 out_closed;
	uint8_t			*rec;		/* current stdio record */
	char			*rec_topic;
	char			 rec_err[256];
};

static int	 kconf_set(rd_kafka_conf_t *, const char *, const char *,
		    const char *, char *, size_t);
static rd_kafka_conf_t *kconf_new(struct bus *, int, int, char *, size_t);
static void	 klog_cb(const rd_kafka_t *, int, const char *, const char *);
static void	 kerror_cb(rd_kafka_t *, int, const char *, void *);
static void	 kdr_cb(rd_kafka_t *, const rd_kafka_message_t *, void *);
static int	 kafka_open(struct bus *, char *, size_t);
static void	 kafka_warm(struct bus *, rd_kafka_t *, rd_kafka_topic_t **);
static void	 warm_free(rd_kafka_topic_t **);
static int	 stdio_open(struct bus *, char *, size_t);
static int	 stdio_poll(struct bus *, struct bus_msg *, int, char *,
		    size_t);
static int	 stdio_send(struct bus *, const char *, const void *, size_t,
		    char *, size_t);
static int	 stdio_fill(struct bus *, int);
static int	 kafka_send(struct bus *, rd_kafka_t *, void *, const char *,
		    const void *, size_t, const void *, size_t, char *, size_t);
static int	 write_all(int, const void *, size_t);
static int	 txn_error(struct bus *, rd_kafka_error_t *, const char *,
		    char *, size_t);
static int	 rewind_consumer(struct bus *, char *, size_t);
static void	 msg_fill(struct bus_msg *, const char *,
		    rd_kafka_message_t *);

/* ------------------------------------------------------------ config */

static int
kconf_set(rd_kafka_conf_t *conf, const char *key, const char *val,
    const char *where, char *err, size_t errlen)
{
	char kerr[512];

	if (rd_kafka_conf_set(conf, key, val, kerr, sizeof(kerr)) !=
	    RD_KAFKA_CONF_OK) {
		snprintf(err, errlen, "%s: %s", where, kerr);
		return -1;
	}
	return 0;
}

static rd_kafka_conf_t *
kconf_new(struct bus *b, int consumer, int txn, char *err, size_t errlen)
{
	const struct cfg *cfg = b->app->cfg;
	const struct cfg_sect *s;
	rd_kafka_conf_t *conf;
	char where[512], key[256];
	const char *eq;
	size_t i;

	conf = rd_kafka_conf_new();
	rd_kafka_conf_set_log_cb(conf, klog_cb);
	rd_kafka_conf_set_error_cb(conf, kerror_cb);
	rd_kafka_conf_set_opaque(conf, b);
#define SET(k, v) do {							\
	if (kconf_set(conf, k, v, "built-in " k, err, errlen) == -1)	\
		goto fail;						\
} while (0)
	SET("bootstrap.servers", DEFAULT_BOOTSTRAP);
	SET("client.id", app_service_id(b->app));
	if (consumer) {
		SET("group.id", b->opts.group != NULL ? b->opts.group :
		    app_service_id(b->app));
		/* Static membership: a service restarted after a crash
		 * takes its partitions back at once, instead of waiting
		 * session.timeout.ms for its dead predecessor to leave the
		 * group (45 s by default: a supervised process would stall
		 * that long after every kill).  One process per service
		 * id: a second one with the same id fences the first. */
		if (b->opts.group == NULL)
			SET("group.instance.id", app_service_id(b->app));
		SET("enable.auto.offset.store", "false");
		SET("enable.auto.commit", b->opts.txn_id != NULL ?
		    "false" : "true");
		SET("auto.offset.reset", b->opts.from_start ? "earliest" :
		    "latest");
		SET("isolation.level", b->opts.read_uncommitted ?
		    "read_uncommitted" : "read_committed");
		SET("enable.partition.eof", "false");
		/* A topic subscribed to before it exists (created by
		 * another service's first write, or by an operator later)
		 * is seen at the next metadata refresh: 5 min by default,
		 * during which its records go unread (an archiver missed a
		 * dead-letter topic so on the three-node cluster, t9600). */
		SET("topic.metadata.refresh.interval.ms", "10000");
	} else {
		rd_kafka_conf_set_dr_msg_cb(conf, kdr_cb);
		SET("enable.idempotence", "true");
		SET("acks", "all");
		SET("linger.ms", "2");
		if (txn)
			SET("transactional.id", b->opts.txn_id);
	}
#undef SET
	/* [kafka] from the file, then -X from the command line. */
	if ((s = cfg_next(cfg, "kafka", NULL)) != NULL) {
		for (i = 0; i < s->nkv; i++) {
			snprintf(where, sizeof(where), "%s:%d: [kafka] %s",
			    cfg->path, s->kv[i].line, s->kv[i].key);
			if (kconf_set(conf, s->kv[i].key, s->kv[i].val, where,
			    err, errlen) == -1)
				goto fail;
		}
	}
	for (i = 0; i < b->app->nxprop; i++) {
		eq = strchr(b->app->xprop[i], '=');
		snprintf(key, sizeof(key), "%.*s",
		    (int)(eq - b->app->xprop[i]), b->app->xprop[i]);
		snprintf(where, sizeof(where), "-X %s", b->app->xprop[i]);
		if (kconf_set(conf, key, eq + 1, where, err, errlen) == -1)
			goto fail;
	}
	return conf;
fail:
	rd_kafka_conf_destroy(conf);
	return NULL;
}

static void
klog_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	/* [kafka] and -X apply to producer and consumer alike: a property
	 * of the other role is expected, not worth a warning. */
	if (strcmp(fac, "CONFWARN") == 0 &&
	    (strstr(buf, "will be ignored by this producer") != NULL ||
	    strstr(buf, "will be ignored by this consumer") != NULL))
		level = 7;
	if (level <= 4)
		log_warnx("kafka: %s: %s", fac, buf);
	else
		log_debug("kafka: %s: %s", fac, buf);
}

static void
kerror_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct bus *b = opaque;
	char fbuf[256];
	rd_kafka_resp_err_t ferr;

	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		ferr = rd_kafka_fatal_error(rk, fbuf, sizeof(fbuf));
		snprintf(b->fatal_err, sizeof(b->fatal_err),
		    "kafka fatal error: %s: %s", rd_kafka_err2name(ferr),
		    fbuf);
		b->fatal = 1;
		log_warnx("%s", b->fatal_err);
		return;
	}
	/* Transient (brokers down, ...): librdkafka retries by itself. */
	log_warnx("kafka: %s: %s", rd_kafka_err2name(err), reason);
}

static void
kdr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct bus *b = opaque;

	(void)rk;
	if (m->_private != NULL && b->dr_fn != NULL)
		b->dr_fn(b->dr_arg, m->_private, m->err ==
		    RD_KAFKA_RESP_ERR_NO_ERROR ? NULL : rd_kafka_err2str(m->err));
	if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR)
		return;
	if (!b->dr_failed)
		snprintf(b->dr_err, sizeof(b->dr_err),
		    "delivery to %s failed: %s", rd_kafka_topic_name(m->rkt),
		    rd_kafka_err2str(m->err));
	b->dr_failed++;
	log_warnx("delivery to %s failed: %s", rd_kafka_topic_name(m->rkt),
	    rd_kafka_err2str(m->err));
}

/* ------------------------------------------------------------ open/close */

int
bus_check(const struct app *app, char *err, size_t errlen)
{
	static const struct {
		int		 consumer, txn;
		rd_kafka_type_t	 type;
		const char	*what;
	} kinds[] = {
		{ 0, 0, RD_KAFKA_PRODUCER, "producer" },
		{ 0, 1, RD_KAFKA_PRODUCER, "transactional producer" },
		{ 1, 0, RD_KAFKA_CONSUMER, "consumer" },
	};
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	struct bus b;
	char ebuf[512];
	size_t i;

	memset(&b, 0, sizeof(b));
	b.app = app;
	b.opts.app = app;
	b.opts.txn_id = "coordinator-config-check";
	/*
	 * Each property alone is checked as it is set; what conflicts
	 * (acks=0 with idempotence, ...) only shows when a client is made
	 * of them: make each kind, with no broker to talk to, and drop it.
	 * The start does the same, so -n refuses what the start would.
	 */
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if ((conf = kconf_new(&b, kinds[i].consumer, kinds[i].txn, err,
		    errlen)) == NULL)
			return -1;
		if (rd_kafka_conf_set(conf, "bootstrap.servers", "", ebuf,
		    sizeof(ebuf)) != RD_KAFKA_CONF_OK) {
			rd_kafka_conf_destroy(conf);
			snprintf(err, errlen, "kafka: %s", ebuf);
			return -1;
		}
		if ((rk = rd_kafka_new(kinds[i].type, conf, ebuf,
		    sizeof(ebuf))) == NULL) {
			rd_kafka_conf_destroy(conf);
			snprintf(err, errlen, "[kafka] and -X: the properties "
			    "do not make a Kafka %s: %s", kinds[i].what, ebuf);
			return -1;
		}
		rd_kafka_destroy(rk);
	}
	return 0;
}

int
bus_topic_parse(const char *key)
{
	int i;

	for (i = 0; i < TOPIC_COUNT; i++)
		if (strcmp(topic_keys[i], key) == 0)
			return i;
	return -1;
}

const char *
bus_topic(const struct bus *b, enum bus_topic t)
{
	return b->topic[t];
}

struct bus *
bus_open(const struct bus_opts *o, char *err, size_t errlen)
{
	struct bus *b;
	int i;

	if ((b = calloc(1, sizeof(*b))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	b->app = o->app;
	b->opts = *o;
	b->in_fd = b->out_fd = -1;
	b->iopipe[0] = b->iopipe[1] = -1;
	b->json = o->app->json;
	for (i = 0; i < TOPIC_COUNT; i++)
		b->topic[i] = cfg_str(o->app->cfg, "topics", topic_keys[i]);
	if (stdio_open(b, err, errlen) == -1 ||
	    kafka_open(b, err, errlen) == -1) {
		bus_close(b, 0);
		return NULL;
	}
	return b;
}

/*
 * A transactional call (init, abort) for up to total_ms, in
 * slices: librdkafka keeps the operation going when a call times out, and
 * the next call resumes it; a retriable error (a coordinator still
 * finishing a dead predecessor's transaction: CONCURRENT_TRANSACTIONS)
 * is called again, as one long call would have retried it.  Once SIGTERM
 * is seen, the call gets TXN_STOP_GRACE_MS more at most: a stopping
 * process does not wait for a broker that is away.
 */
static rd_kafka_error_t *
txn_sliced(struct bus *b, rd_kafka_error_t *(*fn)(rd_kafka_t *, int),
    int total_ms)
{
	uint64_t end = clock_mono_ms() + (uint64_t)total_ms, now;
	rd_kafka_error_t *kerr;
	int stopping = 0;

	for (;;) {
		now = clock_mono_ms();
		if (sig_term && !stopping) {
			/* A healthy broker finishes in time; one that is
			 * away does not hold the stop. */
			stopping = 1;
			if (end > now + TXN_STOP_GRACE_MS)
				end = now + TXN_STOP_GRACE_MS;
		}
		kerr = fn(b->prod, now >= end ? 0 : end - now < TXN_SLICE_MS ?
		    (int)(end - now) : TXN_SLICE_MS);
		if (kerr == NULL || !rd_kafka_error_is_retriable(kerr) ||
		    clock_mono_ms() >= end)
			return kerr;
		rd_kafka_error_destroy(kerr);
	}
}

static void
warm_free(rd_kafka_topic_t **warm)
{
	int i;

	for (i = 0; i < TOPIC_COUNT; i++)
		if (warm[i] != NULL) {
			rd_kafka_topic_destroy(warm[i]);
			warm[i] = NULL;
		}
}

/*
 * The topics of ours that exist, known to producer rk before its first
 * send.  librdkafka learns of a topic first produced to at its next
 * topic scan, up to a second later, and holds the record (and a commit
 * flushing it) meanwhile: a restarted signer's first transaction, its
 * readiness probe, took a second so.  The topics are those of the
 * cluster's metadata, never created here; a broker that does not answer
 * in time only leaves the first sends as slow as before.
 */
static void
kafka_warm(struct bus *b, rd_kafka_t *rk, rd_kafka_topic_t **warm)
{
	const struct rd_kafka_metadata *md = NULL, *one;
	rd_kafka_resp_err_t kerr;
	int i, j;

	if (sig_term)
		return;
	kerr = rd_kafka_metadata(rk, 1, NULL, &md, WARM_MS);
	if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
		log_debug("kafka: topic metadata ahead of the first send: %s",
		    rd_kafka_err2str(kerr));
		return;
	}
	for (i = 0; i < TOPIC_COUNT; i++) {
		for (j = 0; j < md->topic_cnt; j++)
			if (md->topics[j].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
			    strcmp(md->topics[j].topic, b->topic[i]) == 0)
				break;
		if (j == md->topic_cnt || warm[i] != NULL)
			continue;
		if ((warm[i] = rd_kafka_topic_new(rk, b->topic[i],
		    NULL)) == NULL)
			continue;
		/* A request naming the handle fills it in. */
		if (rd_kafka_metadata(rk, 0, warm[i], &one, WARM_MS) ==
		    RD_KAFKA_RESP_ERR_NO_ERROR)
			rd_kafka_metadata_destroy(one);
	}
	rd_kafka_metadata_destroy(md);
}

static int
kafka_open(struct bus *b, char *err, size_t errlen)
{
	rd_kafka_topic_partition_list_t *subs;
	rd_kafka_queue_t *cq;
	rd_kafka_conf_t *conf;
	rd_kafka_error_t *kerr;
	char ebuf[512];
	size_t i;

	if (b->opts.produce && b->out_fd == -1) {
		if ((conf = kconf_new(b, 0, b->opts.txn_id != NULL, err,
		    errlen)) == NULL)
			return -1;
		b->prod = rd_kafka_new(RD_KAFKA_PRODUCER, conf, ebuf,
		    sizeof(ebuf));
		if (b->prod == NULL) {
			rd_kafka_conf_destroy(conf);
			snprintf(err, errlen, "kafka producer: %s", ebuf);
			return -1;
		}
		if (b->opts.txn_id != NULL) {
			kerr = txn_sliced(b, rd_kafka_init_transactions,
			    TXN_TIMEOUT_MS);
			if (kerr != NULL) {
				snprintf(err, errlen, "init transactions "
				    "(transactional.id %s): %s%s",
				    b->opts.txn_id,
				    rd_kafka_error_string(kerr), sig_term ?
				    " (stopped while waiting)" : "");
				rd_kafka_error_destroy(kerr);
				return -1;
			}
			/* Dead letters and heartbeats do not wait for, or
			 * abort with, the transaction. */
			if ((conf = kconf_new(b, 0, 0, err, errlen)) == NULL)
				return -1;
			b->aux = rd_kafka_new(RD_KAFKA_PRODUCER, conf, ebuf,
			    sizeof(ebuf));
			if (b->aux == NULL) {
				rd_kafka_conf_destroy(conf);
				snprintf(err, errlen, "kafka producer: %s",
				    ebuf);
				return -1;
			}
			kafka_warm(b, b->aux, b->warm[1]);
		}
		kafka_warm(b, b->prod, b->warm[0]);
	}
	if (b->opts.ntopics > 0 && b->in_fd == -1) {
		if ((conf = kconf_new(b, 1, 0, err, errlen)) == NULL)
			return -1;
		b->cons = rd_kafka_new(RD_KAFKA_CONSUMER, conf, ebuf,
		    sizeof(ebuf));
		if (b->cons == NULL) {
			rd_kafka_conf_destroy(conf);
			snprintf(err, errlen, "kafka consumer: %s", ebuf);
			return -1;
		}
		rd_kafka_poll_set_consumer(b->cons);
		subs = rd_kafka_topic_partition_list_new(b->opts.ntopics);
		for (i = 0; i < b->opts.ntopics; i++)
			rd_kafka_topic_partition_list_add(subs,
			    b->topic[b->opts.topics[i]], RD_KAFKA_PARTITION_UA);
		if (rd_kafka_subscribe(b->cons, subs) != 0) {
			snprintf(err, errlen, "kafka subscribe failed");
			rd_kafka_topic_partition_list_destroy(subs);
			return -1;
		}
		rd_kafka_topic_partition_list_destroy(subs);
		if (pipe2(b->iopipe, O_CLOEXEC | O_NONBLOCK) == -1) {
			snprintf(err, errlen, "pipe: %s", strerror(errno));
			return -1;
		}
		cq = rd_kafka_queue_get_consumer(b->cons);
		rd_kafka_queue_io_event_enable(cq, b->iopipe[1], "1", 1);
		rd_kafka_queue_destroy(cq);	/* our reference only */
	}
	if (b->opts.txn_id != NULL)
		b->txn_offsets = rd_kafka_topic_partition_list_new(8);
	return 0;
}

static int
stdio_open(struct bus *b, char *err, size_t errlen)
{
	const struct app *a = b->app;

	if (a->in != NULL && b->opts.ntopics > 0) {
		if (strcmp(a->in, "-") == 0)
			b->in_fd = STDIN_FILENO;
		else if ((b->in_fd = open(a->in, O_RDONLY | O_CLOEXEC)) ==
		    -1) {
			snprintf(err, errlen, "%s: %s", a->in,
			    strerror(errno));
			return -1;
		}
	}
	if (a->out != NULL && b->opts.produce) {
		if (b->opts.txn_id != NULL)
			log_info("-o: output is a stream; transactions are "
			    "not used");
		if (strcmp(a->out, "-") == 0)
			b->out_fd = STDOUT_FILENO;
		else if ((b->out_fd = open(a->out, O_WRONLY | O_CREAT |
		    O_APPEND | O_CLOEXEC, 0644)) == -1) {
			snprintf(err, errlen, "%s: %s", a->out,
			    strerror(errno));
			return -1;
		}
	}
	if (b->out_fd != -1 && b->opts.txn_id != NULL)
		b->opts.txn_id = NULL;
	return 0;
}

/* ms left until end, at least 0 */
static int
left_ms(uint64_t end)
{
	uint64_t now = clock_mono_ms();

	return now >= end ? 0 : (int)(end - now);
}

/*
 * Everything within timeout_ms in all, whatever the broker does: a
 * supervisor's stop gives a few seconds.  What could not be done is said.
 */
int
bus_close(struct bus *b, int timeout_ms)
{
	uint64_t end = clock_mono_ms() + (uint64_t)timeout_ms;
	rd_kafka_error_t *kerr;
	rd_kafka_queue_t *q;
	int rc = 0, n;

	if (b == NULL)
		return 0;
	sig_inflight("closing Kafka: %d records not yet delivered, the "
	    "broker not answering", (b->prod != NULL ?
	    rd_kafka_outq_len(b->prod) : 0) + (b->aux != NULL ?
	    rd_kafka_outq_len(b->aux) : 0));
	if (b->prod != NULL) {
		if (b->in_txn) {
			b->in_txn = 0;
			kerr = rd_kafka_abort_transaction(b->prod,
			    left_ms(end));
			if (kerr != NULL) {
				log_warnx("kafka: the open transaction was not "
				    "aborted at exit (%s): the broker aborts "
				    "it after transaction.timeout.ms",
				    rd_kafka_error_string(kerr));
				rd_kafka_error_destroy(kerr);
				rc = -1;
			}
		}
		if (rd_kafka_flush(b->prod, left_ms(end)) !=
		    RD_KAFKA_RESP_ERR_NO_ERROR) {
			log_warnx("kafka: %d records not delivered at exit "
			    "(broker unreachable within %d ms)",
			    rd_kafka_outq_len(b->prod), timeout_ms);
			rc = -1;
		}
		if (b->dr_failed)
			rc = -1;
		warm_free(b->warm[0]);
		rd_kafka_destroy(b->prod);
	}
	if (b->aux != NULL) {
		if (rd_kafka_flush(b->aux, left_ms(end)) != 0) {
			log_warnx("kafka: %d heartbeats or dead letters not "
			    "delivered at exit", rd_kafka_outq_len(b->aux));
			rc = -1;
		}
		warm_free(b->warm[1]);
		rd_kafka_destroy(b->aux);
	}
	if (b->cons != NULL) {
		/* Commits the stored offsets (auto-commit mode) and leaves
		 * the group, unless the broker does not answer in time. */
		q = rd_kafka_queue_new(b->cons);
		kerr = rd_kafka_consumer_close_queue(b->cons, q);
		if (kerr != NULL)
			rd_kafka_error_destroy(kerr);
		while (!rd_kafka_consumer_closed(b->cons) &&
		    (n = left_ms(end)) > 0) {
			rd_kafka_event_t *ev = rd_kafka_queue_poll(q,
			    n < 100 ? n : 100);
			if (ev != NULL)
				rd_kafka_event_destroy(ev);
		}
		if (!rd_kafka_consumer_closed(b->cons)) {
			log_warnx("kafka: the consumer did not close within "
			    "%d ms: offsets stored since the last commit "
			    "were not committed (their records come again)",
			    timeout_ms);
			rc = -1;
		}
		rd_kafka_queue_destroy(q);
		rd_kafka_destroy_flags(b->cons,
		    RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
	}
	if (b->txn_offsets != NULL)
		rd_kafka_topic_partition_list_destroy(b->txn_offsets);
	if (b->iopipe[0] != -1) {
		close(b->iopipe[0]);
		close(b->iopipe[1]);
	}
	if (b->in_fd > STDERR_FILENO)
		close(b->in_fd);
	if (b->out_fd > STDERR_FILENO)
		close(b->out_fd);
	free(b->ibuf);
	free(b->rec);
	free(b->rec_topic);
	free(b);
	sig_inflight(NULL);
	return rc;
}

int
bus_is_kafka_in(const struct bus *b)
{
	return b->cons != NULL;
}

/*
 * 1 once the consumer has partitions (the broker answered and the group
 * gave us our share): what readiness waits for.  Not Kafka in: 1.
 */
int
bus_assigned(struct bus *b)
{
	rd_kafka_topic_partition_list_t *parts;
	int n;

	if (b->cons == NULL)
		return 1;
	if (rd_kafka_assignment(b->cons, &parts) != 0)
		return 0;
	n = parts->cnt;
	rd_kafka_topic_partition_list_destroy(parts);
	return n > 0;
}

int
bus_is_kafka_out(const struct bus *b)
{
	return b->prod != NULL;
}

int
bus_fd(const struct bus *b)
{
	if (b->in_fd != -1)
		return b->in_fd;
	return b->iopipe[0];
}

int
bus_eof(const struct bus *b)
{
	return b->eof && !b->broken && b->ioff == b->ilen;
}

int
bus_out_closed(const struct bus *b)
{
	return b->out_closed;
}

/* ------------------------------------------------------------ consuming */

void
bus_serve(struct bus *b)
{
	if (b->prod != NULL)
		rd_kafka_poll(b->prod, 0);
	if (b->aux != NULL)
		rd_kafka_poll(b->aux, 0);
}

int
bus_poll(struct bus *b, struct bus_msg *m, int timeout_ms, char *err,
    size_t errlen)
{
	rd_kafka_message_t *rkm;
	char drain[64];

	memset(m, 0, sizeof(*m));
	bus_serve(b);
	if (b->fatal) {
		snprintf(err, errlen, "%s", b->fatal_err);
		return -1;
	}
	if (b->in_fd != -1)
		return stdio_poll(b, m, timeout_ms, err, errlen);
	if (b->cons == NULL) {
		if (timeout_ms > 0)
			poll(NULL, 0, timeout_ms);
		return 0;
	}
	while (read(b->iopipe[0], drain, sizeof(drain)) > 0)
		;
	rkm = rd_kafka_consumer_poll(b->cons, timeout_ms);
	if (rkm == NULL)
		return 0;
	if (rkm->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		if (rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
			log_warnx("kafka consumer: %s%s%s",
			    rkm->rkt != NULL ? rd_kafka_topic_name(rkm->rkt) :
			    "", rkm->rkt != NULL ? ": " : "",
			    rd_kafka_message_errstr(rkm));
		/* A consumer's fatal error comes as a message, not through
		 * the error callback: fenced as a static member after its
		 * session timed out (a cluster away longer than
		 * session.timeout.ms; librdkafka #3437), the consumer never
		 * reads again.  Say so; the caller exits 111. */
		if (rkm->err == RD_KAFKA_RESP_ERR__FATAL && !b->fatal) {
			b->fatal = 1;
			snprintf(b->fatal_err, sizeof(b->fatal_err),
			    "kafka consumer stopped for good (%s): a restart "
			    "rejoins its group", rd_kafka_message_errstr(rkm));
		}
		rd_kafka_message_destroy(rkm);
		if (b->fatal) {
			snprintf(err, errlen, "%s", b->fatal_err);
			return -1;
		}
		return 0;
	}
	msg_fill(m, rd_kafka_topic_name(rkm->rkt), rkm);
	return 1;
}

/* *m points into rkm, which it owns from now on (bus_release). */
static void
msg_fill(struct bus_msg *m, const char *topic, rd_kafka_message_t *rkm)
{
	m->topic = topic;
	m->partition = rkm->partition;
	m->offset = rkm->offset;
	m->key = rkm->key;
	m->keylen = rkm->key_len;
	m->val = rkm->payload;
	m->len = rkm->len;
	m->ts_ms = rd_kafka_message_timestamp(rkm, NULL);
	m->priv = rkm;
}

void
bus_release(struct bus *b, struct bus_msg *m)
{
	(void)b;
	if (m->priv != NULL)
		rd_kafka_message_destroy(m->priv);
	memset(m, 0, sizeof(*m));
}

int
bus_done(struct bus *b, const struct bus_msg *m)
{
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_topic_partition_t *p;
	rd_kafka_resp_err_t kerr;

	if (m->offset < 0 || b->cons == NULL)
		return 0;
	if (b->txn_offsets != NULL) {
		p = rd_kafka_topic_partition_list_find(b->txn_offsets,
		    m->topic, m->partition);
		if (p == NULL)
			p = rd_kafka_topic_partition_list_add(b->txn_offsets,
			    m->topic, m->partition);
		if (m->offset + 1 > p->offset)
			p->offset = m->offset + 1;
		return 0;
	}
	l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, m->topic, m->partition)->offset =
	    m->offset + 1;
	kerr = rd_kafka_offsets_store(b->cons, l);
	rd_kafka_topic_partition_list_destroy(l);
	if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
		/* After a rebalance took the partition: redelivered elsewhere. */
		log_warnx("kafka: storing offset %s[%d]@%lld: %s", m->topic,
		    m->partition, (long long)m->offset, rd_kafka_err2str(kerr));
		return -1;
	}
	return 0;
}

int
bus_store(struct bus *b, const char *topic, int32_t partition, int64_t next)
{
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t kerr;

	if (next < 0 || b->cons == NULL)
		return 0;
	l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, topic, partition)->offset = next;
	kerr = rd_kafka_offsets_store(b->cons, l);
	rd_kafka_topic_partition_list_destroy(l);
	if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
		log_warnx("kafka: storing offset %s[%d]@%lld: %s", topic,
		    partition, (long long)next, rd_kafka_err2str(kerr));
		return -1;
	}
	return 0;
}

int
bus_commit(struct bus *b, char *err, size_t errlen)
{
	rd_kafka_resp_err_t kerr;

	if (b->cons == NULL || b->opts.txn_id != NULL)
		return 0;
	kerr = rd_kafka_commit(b->cons, NULL, 0);
	if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR &&
	    kerr != RD_KAFKA_RESP_ERR__NO_OFFSET) {
		snprintf(err, errlen, "commit offsets: %s",
		    rd_kafka_err2str(kerr));
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ producing */

int
bus_send(struct bus *b, const char *topic, const void *key, size_t keylen,
    const void *val, size_t len, char *err, size_t errlen)
{
	return kafka_send(b, b->prod, NULL, topic, key, keylen, val, len, err,
	    errlen);
}

void
bus_on_delivery(struct bus *b, bus_delivery_fn *fn, void *arg)
{
	b->dr_fn = fn;
	b->dr_arg = arg;
}

int
bus_send_tracked(struct bus *b, const char *topic, const void *key,
    size_t keylen, const void *val, size_t len, void *token, char *err,
    size_t errlen)
{
	if (kafka_send(b, b->prod, token, topic, key, keylen, val, len, err,
	    errlen) == -1)
		return -1;
	/* stdio: written (or buffered by the kernel) is as durable as it
	 * gets; report it at once. */
	if (b->out_fd != -1 && b->dr_fn != NULL)
		b->dr_fn(b->dr_arg, token, NULL);
	return 0;
}

int
bus_send_direct(struct bus *b, const char *topic, const void *key,
    size_t keylen, const void *val, size_t len, char *err, size_t errlen)
{
	return kafka_send(b, b->aux != NULL ? b->aux : b->prod, NULL, topic,
	    key, keylen, val, len, err, errlen);
}

static int
kafka_send(struct bus *b, rd_kafka_t *rk, void *token, const char *topic,
    const void *key, size_t keylen, const void *val, size_t len, char *err,
    size_t errlen)
{
	rd_kafka_resp_err_t kerr;
	int tries;

	if (b->out_fd != -1)
		return stdio_send(b, topic, val, len, err, errlen);
	if (rk == NULL) {
		snprintf(err, errlen, "bus opened without a producer");
		return -1;
	}
	if (b->fatal) {
		snprintf(err, errlen, "%s", b->fatal_err);
		return -1;
	}
	for (tries = 0; tries < 100; tries++) {
		kerr = rd_kafka_producev(rk,
		    RD_KAFKA_V_TOPIC(topic),
		    RD_KAFKA_V_KEY((void *)(uintptr_t)key, keylen),
		    RD_KAFKA_V_VALUE((void *)(uintptr_t)val, len),
		    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		    RD_KAFKA_V_OPAQUE(token),
		    RD_KAFKA_V_END);
		if (kerr != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			break;
		/* Local queue full: serve delivery reports, then retry. */
		rd_kafka_poll(rk, 100);
	}
	rd_kafka_poll(rk, 0);
	if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(err, errlen, "produce to %s: %s", topic,
		    rd_kafka_err2str(kerr));
		return -1;
	}
	return 0;
}

int
bus_sync(struct bus *b, int timeout_ms, char *err, size_t errlen)
{
	int failed;

	if (b->prod != NULL &&
	    rd_kafka_flush(b->prod, timeout_ms) != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(err, errlen, "%d records still undelivered after "
		    "%d ms", rd_kafka_outq_len(b->prod), timeout_ms);
		return -1;
	}
	if (b->aux != NULL &&
	    rd_kafka_flush(b->aux, timeout_ms) != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(err, errlen, "%d records still undelivered after "
		    "%d ms", rd_kafka_outq_len(b->aux), timeout_ms);
		return -1;
	}
	if (b->out_closed) {
		snprintf(err, errlen, "output closed");
		return -1;
	}
	failed = b->dr_failed;
	b->dr_failed = 0;
	if (failed) {
		snprintf(err, errlen, "%d records failed: %s", failed,
		    b->dr_err);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ transactions */

/* Handle a transactional API error: abort if needed; -1 always. */
static int
txn_error(struct bus *b, rd_kafka_error_t *kerr, const char *what,
    char *err, size_t errlen)
{
	char aerr[256];

	snprintf(err, errlen, "%s: %s", what, rd_kafka_error_string(kerr));
	if (rd_kafka_error_is_fatal(kerr)) {
		b->fatal = 1;
		snprintf(b->fatal_err, sizeof(b->fatal_err), "%s", err);
	} else if (rd_kafka_error_txn_requires_abort(kerr) && b->in_txn) {
		if (bus_txn_abort(b, aerr, sizeof(aerr)) == -1)
			log_warnx("%s", aerr);
	}
	rd_kafka_error_destroy(kerr);
	return -1;
}

int
bus_txn_begin(struct bus *b, char *err, size_t errlen)
{
	rd_kafka_error_t *kerr;

	if (b->out_fd != -1 || b->prod == NULL || b->opts.txn_id == NULL)
		return 0;	/* stdio output: nothing to do */
	if ((kerr = rd_kafka_begin_transaction(b->prod)) != NULL)
		return txn_error(b, kerr, "begin transaction", err, errlen);
	/* Offsets noted since the last commit or abort (dead letters
	 * handled inside svc_recv) go with this transaction. */
	b->in_txn = 1;
	return 0;
}

int
bus_txn_commit(struct bus *b, char *err, size_t errlen)
{
	rd_kafka_consumer_group_metadata_t *cgmd;
	rd_kafka_error_t *kerr;
	int tries;

	if (!b->in_txn)
		return bus_sync(b, TXN_TIMEOUT_MS, err, errlen);
	if (b->cons != NULL && b->txn_offsets->cnt > 0) {
		cgmd = rd_kafka_consumer_group_metadata(b->cons);
		kerr = rd_kafka_send_offsets_to_transaction(b->prod,
		    b->txn_offsets, cgmd, TXN_TIMEOUT_MS);
		rd_kafka_consumer_group_metadata_destroy(cgmd);
		if (kerr != NULL)
			return txn_error(b, kerr, "send offsets to "
			    "transaction", err, errlen);
	}
	for (tries = 0;; tries++) {
		/* One call, not slices: librdkafka 2.0.2 asserts
		 * (CommitNotAcked -> AbortableError) when a commit resumed
		 * after a timed-out call meets a failed offset commit (seen
		 * under the sanitizers).  So a commit in flight when SIGTERM
		 * comes may last up to TXN_TIMEOUT_MS with the broker away:
		 * sig.c's stop cap ends the process then, saying so (t0057). */
		sig_inflight("a transaction's commit (%d records since "
		    "it began, %d consumed offsets), the broker not "
		    "answering", rd_kafka_outq_len(b->prod),
		    b->txn_offsets->cnt);
		kerr = rd_kafka_commit_transaction(b->prod, TXN_TIMEOUT_MS);
		sig_inflight(NULL);
		if (kerr == NULL)
			break;
		if (rd_kafka_error_is_retriable(kerr) && tries < 3 &&
		    !sig_term) {
			log_warnx("commit transaction: %s (retrying)",
			    rd_kafka_error_string(kerr));
			rd_kafka_error_destroy(kerr);
			continue;
		}
		return txn_error(b, kerr, "commit transaction", err, errlen);
	}
	b->in_txn = 0;
	rd_kafka_topic_partition_list_destroy(b->txn_offsets);
	b->txn_offsets = rd_kafka_topic_partition_list_new(8);
	b->dr_failed = 0;
	return 0;
}

static int
rewind_consumer(struct bus *b, char *err, size_t errlen)
{
	rd_kafka_topic_partition_list_t *parts;
	rd_kafka_error_t *kerr;
	rd_kafka_resp_err_t rerr;
	int i;

	if (b->cons == NULL)
		return 0;
	if ((rerr = rd_kafka_assignment(b->cons, &parts)) != 0) {
		snprintf(err, errlen, "assignment: %s", rd_kafka_err2str(rerr));
		return -1;
	}
	if (parts->cnt == 0) {
		rd_kafka_topic_partition_list_destroy(parts);
		return 0;
	}
	rerr = rd_kafka_committed(b->cons, parts, TXN_TIMEOUT_MS);
	if (rerr != 0) {
		snprintf(err, errlen, "committed offsets: %s",
		    rd_kafka_err2str(rerr));
		rd_kafka_topic_partition_list_destroy(parts);
		return -1;
	}
	for (i = 0; i < parts->cnt; i++)
		if (parts->elems[i].offset < 0)
			parts->elems[i].offset = b->opts.from_start ?
			    RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END;
	kerr = rd_kafka_seek_partitions(b->cons, parts, TXN_TIMEOUT_MS);
	rd_kafka_topic_partition_list_destroy(parts);
	if (kerr != NULL) {
		snprintf(err, errlen, "seek: %s", rd_kafka_error_string(kerr));
		rd_kafka_error_destroy(kerr);
		return -1;
	}
	return 0;
}

int
bus_txn_abort(struct bus *b, char *err, size_t errlen)
{
	rd_kafka_error_t *kerr;

	if (!b->in_txn)
		return 0;
	b->in_txn = 0;
	kerr = txn_sliced(b, rd_kafka_abort_transaction, TXN_TIMEOUT_MS);
	if (kerr != NULL) {
		snprintf(err, errlen, "abort transaction: %s",
		    rd_kafka_error_string(kerr));
		if (rd_kafka_error_is_fatal(kerr)) {
			b->fatal = 1;
			snprintf(b->fatal_err, sizeof(b->fatal_err), "%s", err);
		}
		rd_kafka_error_destroy(kerr);
		return -1;
	}
	rd_kafka_topic_partition_list_destroy(b->txn_offsets);
	b->txn_offsets = rd_kafka_topic_partition_list_new(8);
	b->dr_failed = 0;
	return rewind_consumer(b, err, errlen);
}

/* ------------------------------------------------------------ replay */


struct bus_reader {
	struct bus		 b;		/* config and callbacks */
	rd_kafka_t		*rk;
	char			*topic;
	char			 gid[300];
};

struct bus_reader *
bus_reader_open(const struct app *app, const char *topic, char *err,
    size_t errlen)
{
	struct bus_reader *r;
	rd_kafka_conf_t *conf;
	char ebuf[512];

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->topic = strdup(topic)) == NULL) {
		free(r);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->b.app = app;
	r->b.opts.app = app;
	r->b.opts.from_start = 1;
	r->b.in_fd = r->b.out_fd = -1;
	snprintf(r->gid, sizeof(r->gid), "%s.reader", app_service_id(app));
	r->b.opts.group = r->gid;
	if ((conf = kconf_new(&r->b, 1, 0, err, errlen)) == NULL)
		goto fail;
	/* assign(): never a group's offsets, never a commit; a modest
	 * prefetch, as a reader may sit behind a busy topic. */
	if (kconf_set(conf, "enable.auto.commit", "false", "reader", err,
	    errlen) == -1 || kconf_set(conf, "enable.partition.eof", "true",
	    "reader", err, errlen) == -1 || kconf_set(conf,
	    "queued.max.messages.kbytes", "8192", "reader", err, errlen) ==
	    -1) {
		rd_kafka_conf_destroy(conf);
		goto fail;
	}
	if ((r->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, ebuf,
	    sizeof(ebuf))) == NULL) {
		rd_kafka_conf_destroy(conf);
		snprintf(err, errlen, "kafka consumer: %s", ebuf);
		goto fail;
	}
	return r;
fail:
	free(r->topic);
	free(r);
	return NULL;
}

void
bus_reader_close(struct bus_reader *r)
{
	if (r == NULL)
		return;
	rd_kafka_consumer_close(r->rk);
	rd_kafka_destroy(r->rk);
	free(r->topic);
	free(r);
}

int
bus_reader_assign(struct bus_reader *r, const int32_t *parts,
    const int64_t *offsets, size_t n, char *err, size_t errlen)
{
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t kerr;
	size_t i;

	l = rd_kafka_topic_partition_list_new((int)n);
	for (i = 0; i < n; i++)
		rd_kafka_topic_partition_list_add(l, r->topic,
		    parts[i])->offset = offsets[i];
	kerr = rd_kafka_assign(r->rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	if (kerr != 0) {
		snprintf(err, errlen, "%s: assign: %s", r->topic,
		    rd_kafka_err2str(kerr));
		return -1;
	}
	return 0;
}

int
bus_reader_poll(struct bus_reader *r, struct bus_msg *m, int timeout_ms,
    char *err, size_t errlen)
{
	rd_kafka_message_t *rkm;

	memset(m, 0, sizeof(*m));
	if (r->b.fatal) {
		snprintf(err, errlen, "%s", r->b.fatal_err);
		return -1;
	}
	if ((rkm = rd_kafka_consumer_poll(r->rk, timeout_ms)) == NULL)
		return 0;
	m->topic = r->topic;
	m->partition = rkm->partition;
	m->offset = rkm->offset;
	if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
		rd_kafka_message_destroy(rkm);
		return 2;
	}
	if (rkm->err != 0) {
		snprintf(err, errlen, "%s: %s", r->topic,
		    rd_kafka_message_errstr(rkm));
		rd_kafka_message_destroy(rkm);
		return -1;
	}
	msg_fill(m, r->topic, rkm);
	return 1;
}

int
bus_reader_partitions(struct bus_reader *r, int32_t **ids, size_t *n,
    int timeout_ms, char *err, size_t errlen)
{
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_topic_t *rkt;
	rd_kafka_resp_err_t kerr;
	uint64_t deadline = clock_mono_ms() + (uint64_t)timeout_ms;
	int i, rc = -1;

	*ids = NULL;
	*n = 0;
	rkt = rd_kafka_topic_new(r->rk, r->topic, NULL);
	for (;;) {
		kerr = rd_kafka_metadata(r->rk, 0, rkt, &md, 5000);
		if (kerr == 0 && md->topic_cnt == 1 &&
		    md->topics[0].err == 0 && md->topics[0].partition_cnt > 0)
			break;
		if (kerr == 0 && md->topic_cnt == 1 &&
		    md->topics[0].err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
			rc = 0;		/* no topic: no partitions */
			goto out;
		}
		if (md != NULL)
			rd_kafka_metadata_destroy(md);
		md = NULL;
		if (clock_mono_ms() >= deadline) {
			snprintf(err, errlen, "%s: no metadata: %s", r->topic,
			    rd_kafka_err2str(kerr));
			goto out;
		}
		poll(NULL, 0, 100);
	}
	if ((*ids = calloc((size_t)md->topics[0].partition_cnt,
	    sizeof(**ids))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < md->topics[0].partition_cnt; i++)
		(*ids)[(*n)++] = md->topics[0].partitions[i].id;
	rc = 0;
out:
	if (md != NULL)
		rd_kafka_metadata_destroy(md);
	rd_kafka_topic_destroy(rkt);
	return rc;
}

/*
 * The offsets of a partition's first record and end (read_committed: its
 * last stable offset), as ListOffsets for EARLIEST and LATEST through
 * rd_kafka_offsets_for_times, not rd_kafka_query_watermark_offsets: in
 * librdkafka before 2.3.0 (Debian 12 has 2.0.2) that one ignores its
 * timeout and waits for as long as the partition's old leader is down
 * (librdkafka #2588), as it is after a cluster's node dies until the
 * metadata names the new one.  On a failure the topic's metadata is asked
 * for again, so that a retry goes to the new leader.
 */
static int
reader_offset(struct bus_reader *r, int32_t partition, int64_t which,
    int64_t *off, int timeout_ms, char *err, size_t errlen)
{
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t kerr;

	l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, r->topic, partition)->offset =
	    which;
	kerr = rd_kafka_offsets_for_times(r->rk, l, timeout_ms);
	if (kerr == 0)
		kerr = l->elems[0].err;
	*off = l->elems[0].offset;
	rd_kafka_topic_partition_list_destroy(l);
	if (kerr != 0) {
		snprintf(err, errlen, "%s[%d]: watermarks: %s", r->topic,
		    partition, rd_kafka_err2str(kerr));
		return -1;
	}
	return 0;
}

int
bus_reader_watermarks(struct bus_reader *r, int32_t partition, int64_t *lo,
    int64_t *hi, int timeout_ms, char *err, size_t errlen)
{
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_topic_t *rkt;

	if (reader_offset(r, partition, RD_KAFKA_OFFSET_BEGINNING, lo,
	    timeout_ms, err, errlen) == 0 && reader_offset(r, partition,
	    RD_KAFKA_OFFSET_END, hi, timeout_ms, err, errlen) == 0)
		return 0;
	rkt = rd_kafka_topic_new(r->rk, r->topic, NULL);
	if (rd_kafka_metadata(r->rk, 0, rkt, &md, 5000) == 0)
		rd_kafka_metadata_destroy(md);
	rd_kafka_topic_destroy(rkt);
	return -1;
}

int
bus_replay(const struct app *app, const char *topic, bus_replay_fn *fn,
    void *arg, int timeout_ms, char *err, size_t errlen)
{
	struct bus_reader *r;
	struct bus_msg m;
	uint64_t deadline = clock_mono_ms() + (uint64_t)timeout_ms;
	int32_t *ids = NULL, *parts = NULL;
	int64_t *offs = NULL, lo, hi;
	size_t n, i, npart = 0, ndone = 0;
	int k, rc = -1;

	if ((r = bus_reader_open(app, topic, err, errlen)) == NULL)
		return -1;
	if (bus_reader_partitions(r, &ids, &n, timeout_ms, err, errlen) == -1)
		goto out;
	if ((parts = calloc(n + 1, sizeof(*parts))) == NULL ||
	    (offs = calloc(n + 1, sizeof(*offs))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		/* A topic just made, or a partition whose leader is moving
		 * (a cluster's node down): not known yet, ask again. */
		while (bus_reader_watermarks(r, ids[i], &lo, &hi, 10000, err,
		    errlen) == -1) {
			if (clock_mono_ms() >= deadline || sig_term)
				goto out;
			poll(NULL, 0, 100);
		}
		if (hi > lo) {
			parts[npart] = ids[i];
			offs[npart++] = RD_KAFKA_OFFSET_BEGINNING;
		}
	}
	if (npart > 0 && bus_reader_assign(r, parts, offs, npart, err,
	    errlen) == -1)
		goto out;
	/* Each partition is done at its end (read_committed: its last
	 * stable offset) as of when we got there. */
	while (ndone < npart) {
		if (clock_mono_ms() >= deadline) {
			snprintf(err, errlen, "%s: not read to its end in %d ms",
			    topic, timeout_ms);
			goto out;
		}
		k = bus_reader_poll(r, &m, 100, err, errlen);
		if (k == -1)
			goto out;
		if (k == 2)
			ndone++;
		if (k != 1)
			continue;
		k = fn(arg, &m);
		if (k != 0)
			snprintf(err, errlen, "%s: replay stopped at [%d]@%lld",
			    topic, m.partition, (long long)m.offset);
		bus_release(NULL, &m);
		if (k != 0)
			goto out;
	}
	rc = 0;
out:
	free(ids);
	free(parts);
	free(offs);
	bus_reader_close(r);
	return rc;
}

/* ------------------------------------------------------------ admin */

int
bus_create_topics(struct bus *b, int partitions, char *err, size_t errlen)
{
	rd_kafka_NewTopic_t *nt[TOPIC_COUNT];
	const rd_kafka_CreateTopics_result_t *res;
	const rd_kafka_topic_result_t **tr;
	rd_kafka_AdminOptions_t *ao;
	rd_kafka_queue_t *q;
	rd_kafka_event_t *ev;
	rd_kafka_t *rk;
	char ebuf[256];
	size_t i, n;
	int rc = 0;

	rk = b->prod != NULL ? b->prod : b->cons;
	if (rk == NULL)
		return 0;
	for (i = 0; i < TOPIC_COUNT; i++)
		nt[i] = rd_kafka_NewTopic_new(b->topic[i], partitions, -1,
		    ebuf, sizeof(ebuf));
	q = rd_kafka_queue_new(rk);
	ao = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
	rd_kafka_AdminOptions_set_request_timeout(ao, 10000, ebuf,
	    sizeof(ebuf));
	rd_kafka_AdminOptions_set_operation_timeout(ao, 10000, ebuf,
	    sizeof(ebuf));
	rd_kafka_CreateTopics(rk, nt, TOPIC_COUNT, ao, q);
	rd_kafka_AdminOptions_destroy(ao);
	ev = rd_kafka_queue_poll(q, 30000);
	if (ev == NULL) {
		snprintf(err, errlen, "create topics: no answer in 30 s");
		rc = -1;
	} else if (rd_kafka_event_error(ev) != 0) {
		snprintf(err, errlen, "create topics: %s",
		    rd_kafka_event_error_string(ev));
		rc = -1;
	} else {
		res = rd_kafka_event_CreateTopics_result(ev);
		tr = rd_kafka_CreateTopics_result_topics(res, &n);
		for (i = 0; i < n; i++) {
			rd_kafka_resp_err_t e = rd_kafka_topic_result_error(
			    tr[i]);
			if (e != 0 && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
				log_warnx("create topic %s: %s",
				    rd_kafka_topic_result_name(tr[i]),
				    rd_kafka_topic_result_error_string(tr[i]));
		}
	}
	if (ev != NULL)
		rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(q);
	rd_kafka_NewTopic_destroy_array(nt, TOPIC_COUNT);
	return rc;
}

/* ------------------------------------------------------------ stdio */

static int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		w = write(fd, c, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= w;
	}
	return 0;
}

static int
stdio_send(struct bus *b, const char *topic, const void *val, size_t len,
    char *err, size_t errlen)
{
	uint8_t hdr[10];
	char *line;
	size_t n = 0, v = len;
	int rc;

	if (b->out_closed) {
		snprintf(err, errlen, "output closed");
		return -1;
	}
	if (b->json) {
		if ((line = env_json_line(val, len, topic, err, errlen)) ==
		    NULL)
			return -1;
		rc = write_all(b->out_fd, line, strlen(line));
		free(line);
	} else {
		do {
			hdr[n++] = (v & 0x7f) | (v > 0x7f ? 0x80 : 0);
			v >>= 7;
		} while (v > 0);
		rc = write_all(b->out_fd, hdr, n);
		if (rc == 0)
			rc = write_all(b->out_fd, val, len);
	}
	if (rc == -1) {
		if (errno == EPIPE)
			snprintf(err, errlen, "output closed");
		else
			snprintf(err, errlen, "write: %s", strerror(errno));
		b->out_closed = 1;
		return -1;
	}
	return 0;
}

/* Read more input; 0 on data or EOF, -1 on error. */
static int
stdio_fill(struct bus *b, int timeout_ms)
{
	struct pollfd pfd;
	ssize_t n;
	void *p;

	if (b->ioff > 0) {
		memmove(b->ibuf, b->ibuf + b->ioff, b->ilen - b->ioff);
		b->ilen -= b->ioff;
		b->ioff = 0;
	}
	if (b->icap - b->ilen < 65536) {
		if (b->icap > STDIO_MAXREC + 65536) {
			errno = EMSGSIZE;
			return -1;
		}
		p = realloc(b->ibuf, b->icap + 65536 * 4);
		if (p == NULL)
			return -1;
		b->ibuf = p;
		b->icap += 65536 * 4;
	}
	pfd.fd = b->in_fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, timeout_ms) <= 0)
		return 0;
	n = read(b->in_fd, b->ibuf + b->ilen, b->icap - b->ilen);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n == -1)
		return -1;
	if (n == 0)
		b->eof = 1;
	b->ilen += n;
	return 0;
}

static int
stdio_poll(struct bus *b, struct bus_msg *m, int timeout_ms, char *err,
    size_t errlen)
{
	uint64_t len;
	size_t i, avail, hl;
	uint8_t *nl, *out;
	size_t outlen;
	int shift, tries;

	for (tries = 0; tries < 2; tries++) {
		avail = b->ilen - b->ioff;
		if (b->json) {
			nl = avail > 0 ? memchr(b->ibuf + b->ioff, '\n',
			    avail) : NULL;
			if (nl == NULL && b->eof && avail > 0)
				nl = b->ibuf + b->ilen;	/* last line */
			if (nl != NULL) {
				hl = nl - (b->ibuf + b->ioff);
				free(b->rec);
				free(b->rec_topic);
				b->rec = NULL;
				b->rec_topic = NULL;
				out = env_json_parse((const char *)b->ibuf +
				    b->ioff, hl, &outlen, &b->rec_topic, err,
				    errlen);
				b->ioff += hl + (nl < b->ibuf + b->ilen);
				if (out == NULL) {
					/* Hand the raw line up for the DLQ. */
					snprintf(b->rec_err, sizeof(b->rec_err),
					    "%s", err);
					if ((b->rec = malloc(hl + 1)) == NULL)
						return -1;
					memcpy(b->rec, nl - hl, hl);
					m->val = b->rec;
					m->len = hl;
					m->topic = "-";
					m->offset = -1;
					m->partition = -1;
					m->error = b->rec_err;
					return 1;
				}
				b->rec = out;
				m->val = out;
				m->len = outlen;
				m->topic = b->rec_topic != NULL ?
				    b->rec_topic : "-";
				m->offset = -1;
				m->partition = -1;
				return 1;
			}
		} else {
			len = 0;
			shift = 0;
			for (i = 0; i < avail && i < 10; i++) {
				len |= (uint64_t)(b->ibuf[b->ioff + i] & 0x7f)
				    << shift;
				shift += 7;
				if (!(b->ibuf[b->ioff + i] & 0x80))
					break;
			}
			if (i == 10 || (i < avail && len > STDIO_MAXREC)) {
				snprintf(err, errlen, "input: bad record "
				    "length (not a length-delimited stream; "
				    "use -J for JSON Lines)");
				b->broken = 1;
				return -1;
			}
			if (i < avail && avail - i - 1 >= len) {
				m->val = b->ibuf + b->ioff + i + 1;
				m->len = len;
				m->topic = "-";
				m->offset = -1;
				m->partition = -1;
				b->ioff += i + 1 + len;
				return 1;
			}
		}
		if (b->eof) {
			if (avail > 0) {
				snprintf(err, errlen, "input: truncated "
				    "record at end of input (%zu bytes)",
				    avail);
				b->ioff = b->ilen;
				b->broken = 1;
				return -1;
			}
			snprintf(err, errlen, "end of input");
			return -1;
		}
		if (stdio_fill(b, tries == 0 ? timeout_ms : 0) == -1) {
			snprintf(err, errlen, "input: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

/*
 * bustest: a small Kafka client that exercises what the bus relies on, for
 * the tests of the dev broker and of a real broker (t/t005x).
 *
 *   bustest produce   -b ADDR -t TOPIC [-p PART] [-n N] [-V PREFIX]
 *                     [-x TXNID [-A]] [-N]
 *	idempotent producer, acks=all; sends PREFIX0..PREFIX(N-1); with -x in
 *	one transaction, committed (or aborted with -A); -N: not idempotent
 *   bustest consume   -b ADDR -t TOPIC [-p PART] [-g GROUP [-s S]] [-n N]
 *                     [-r]
 *	prints each value on a line; without -g reads PART from the start
 *	to its end; with -g joins GROUP (enable.auto.offset.store=false),
 *	stores the offsets of the first S messages only, commits them and
 *	leaves; -r: isolation.level=read_committed
 *   bustest committed -b ADDR -t TOPIC [-p PART] -g GROUP
 *	prints the committed offset of GROUP (-1001 if none)
 *   bustest relay     -b ADDR -t IN -o OUT -g GROUP -x TXNID [-n N] [-A]
 *	consume-transform-produce: reads up to N messages of IN in GROUP,
 *	writes "R:value" to OUT and the consumed offsets with
 *	send_offsets_to_transaction, in one transaction, committed or
 *	aborted (-A)
 *
 * Common: -w SECONDS (deadline, 30), -X prop=value (extra librdkafka
 * property for every handle), -v (librdkafka debug "eos,cgrp,msg").
 * Exit: 0 done, 100 usage, 111 Kafka failure or deadline.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "log.h"
#include "sig.h"

#define MAXX	16

struct opts {
	const char	*cmd;
	const char	*brokers;
	const char	*topic;
	const char	*out;
	const char	*group;
	const char	*txnid;
	const char	*prefix;
	const char	*xprop[MAXX];
	int		 nxprop;
	int		 partition;
	int		 count;
	int		 store;
	int		 abort;
	int		 plain;
	int		 committed;
	int		 wait;
	int		 verbose;
};

static struct opts	o;
static int		delivered, failed;
static time_t		deadline;

static void		usage(void) __attribute__((noreturn));
static int		parse_int(const char *, int, int, int *);
static rd_kafka_conf_t	*conf_base(void);
static void		conf_extra(rd_kafka_conf_t *);
static void		conf_set(rd_kafka_conf_t *, const char *, const char *);
static void		rk_log(const rd_kafka_t *, int, const char *,
			    const char *);
static void		dr_cb(rd_kafka_t *, const rd_kafka_message_t *, void *);
static void		check_error(rd_kafka_error_t *, const char *);
static int		expired(void);
static rd_kafka_t	*producer_new(void);
static rd_kafka_t	*consumer_new(const char *, int);
static int		produce_one(rd_kafka_t *, const char *, int,
			    const char *);
static int		cmd_produce(void);
static int		cmd_consume(void);
static int		cmd_committed(void);
static int		cmd_relay(void);

static void
usage(void)
{
	fprintf(stderr,
	    "usage: bustest produce -b addr -t topic [-p part] [-n n] "
	    "[-V prefix] [-x txnid [-A]] [-N]\n"
	    "       bustest consume -b addr -t topic [-p part] "
	    "[-g group [-s n]] [-n n] [-r]\n"
	    "       bustest committed -b addr -t topic [-p part] -g group\n"
	    "       bustest relay -b addr -t in -o out -g group -x txnid "
	    "[-n n] [-A]\n"
	    "       common: [-w seconds] [-X prop=value] [-v]\n");
	exit(EX_PERM);
}

static int
parse_int(const char *s, int min, int max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

static void
rk_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	if (level <= LOG_ERR)
		log_errorx("rdkafka: %s: %s", fac, buf);
	else if (level == LOG_WARNING)
		log_warnx("rdkafka: %s: %s", fac, buf);
	else if (level <= LOG_INFO)
		log_info("rdkafka: %s: %s", fac, buf);
	else
		log_debug("rdkafka: %s: %s", fac, buf);
}

static void
conf_set(rd_kafka_conf_t *conf, const char *k, const char *v)
{
	char err[512];

	if (rd_kafka_conf_set(conf, k, v, err, sizeof(err)) !=
	    RD_KAFKA_CONF_OK)
		fatalx(EX_PERM, "%s=%s: %s", k, v, err);
}

static rd_kafka_conf_t *
conf_base(void)
{
	rd_kafka_conf_t *conf;

	conf = rd_kafka_conf_new();
	rd_kafka_conf_set_log_cb(conf, rk_log);
	conf_set(conf, "bootstrap.servers", o.brokers);
	conf_set(conf, "client.id", "bustest");
	if (o.verbose)
		conf_set(conf, "debug", "eos,cgrp,msg,protocol");
	return conf;
}

/* The -X properties, last, so they override bustest's own settings. */
static void
conf_extra(rd_kafka_conf_t *conf)
{
	char k[256];
	const char *eq;
	int i;

	for (i = 0; i < o.nxprop; i++) {
		eq = strchr(o.xprop[i], '=');
		if (eq == NULL || eq == o.xprop[i] ||
		    (size_t)(eq - o.xprop[i]) >= sizeof(k))
			fatalx(EX_PERM, "-X %s: want prop=value", o.xprop[i]);
		memcpy(k, o.xprop[i], eq - o.xprop[i]);
		k[eq - o.xprop[i]] = '\0';
		conf_set(conf, k, eq + 1);
	}
}

static void
dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	(void)rk;
	(void)opaque;
	if (m->err) {
		failed++;
		log_warnx("delivery failed: %s", rd_kafka_err2str(m->err));
	} else
		delivered++;
}

static void
check_error(rd_kafka_error_t *error, const char *what)
{
	if (error == NULL)
		return;
	fatalx(EX_TEMP, "%s: %s%s%s", what, rd_kafka_error_string(error),
	    rd_kafka_error_is_fatal(error) ? " (fatal)" : "",
	    rd_kafka_error_txn_requires_abort(error) ? " (abort needed)" : "");
}

static int
expired(void)
{
	return time(NULL) >= deadline || sig_term;
}

static rd_kafka_t *
producer_new(void)
{
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	char err[512];

	conf = conf_base();
	rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
	if (!o.plain) {
		conf_set(conf, "enable.idempotence", "true");
		conf_set(conf, "acks", "all");
	}
	if (o.txnid != NULL)
		conf_set(conf, "transactional.id", o.txnid);
	conf_extra(conf);
	if ((rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err,
	    sizeof(err))) == NULL)
		fatalx(EX_TEMP, "producer: %s", err);
	if (o.txnid != NULL)
		check_error(rd_kafka_init_transactions(rk, o.wait * 1000),
		    "init_transactions");
	return rk;
}

static rd_kafka_t *
consumer_new(const char *group, int read_committed)
{
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	char err[512];

	conf = conf_base();
	conf_set(conf, "group.id", group != NULL ? group : "bustest-nogroup");
	conf_set(conf, "auto.offset.reset", "earliest");
	/*
	 * The smallest session a real broker accepts: the mock cluster of
	 * librdkafka 2.0.2 holds a group that its last member left in
	 * rebalance for session.timeout.ms - 1 s before a new member can join
	 * (44 s at the default 45 s).  See README.
	 */
	conf_set(conf, "session.timeout.ms", "6000");
	conf_set(conf, "heartbeat.interval.ms", "1000");
	conf_set(conf, "enable.auto.commit", "false");
	conf_set(conf, "enable.auto.offset.store", "false");
	conf_set(conf, "enable.partition.eof", "true");
	conf_set(conf, "isolation.level", read_committed ?
	    "read_committed" : "read_uncommitted");
	conf_extra(conf);
	if ((rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err,
	    sizeof(err))) == NULL)
		fatalx(EX_TEMP, "consumer: %s", err);
	rd_kafka_poll_set_consumer(rk);
	return rk;
}

static int
produce_one(rd_kafka_t *rk, const char *topic, int partition,
    const char *value)
{
	rd_kafka_resp_err_t err;

	for (;;) {
		err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
		    RD_KAFKA_V_PARTITION(partition),
		    RD_KAFKA_V_VALUE((void *)(uintptr_t)value, strlen(value)),
		    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			break;
		rd_kafka_poll(rk, 100);
	}
	if (err) {
		log_warnx("produce to %s [%d]: %s", topic, partition,
		    rd_kafka_err2str(err));
		return -1;
	}
	rd_kafka_poll(rk, 0);
	return 0;
}

static int
cmd_produce(void)
{
	rd_kafka_t *rk;
	rd_kafka_resp_err_t ferr;
	char val[256], errstr[512];
	int i;

	rk = producer_new();
	if (o.txnid != NULL)
		check_error(rd_kafka_begin_transaction(rk),
		    "begin_transaction");
	for (i = 0; i < o.count; i++) {
		snprintf(val, sizeof(val), "%s%d", o.prefix, i);
		if (produce_one(rk, o.topic, o.partition, val) == -1)
			return EX_TEMP;
	}
	/* Flush first, so an aborted transaction leaves records in the log
	 * for read_committed to hide, rather than purged local queues. */
	if (o.txnid != NULL && rd_kafka_flush(rk, o.wait * 1000) !=
	    RD_KAFKA_RESP_ERR_NO_ERROR)
		fatalx(EX_TEMP, "flush: %d message(s) still queued",
		    rd_kafka_outq_len(rk));
	if (o.txnid != NULL && o.abort)
		check_error(rd_kafka_abort_transaction(rk, o.wait * 1000),
		    "abort_transaction");
	else if (o.txnid != NULL)
		check_error(rd_kafka_commit_transaction(rk, o.wait * 1000),
		    "commit_transaction");
	else if (rd_kafka_flush(rk, o.wait * 1000) != RD_KAFKA_RESP_ERR_NO_ERROR)
		fatalx(EX_TEMP, "flush: %d message(s) still queued",
		    rd_kafka_outq_len(rk));
	rd_kafka_poll(rk, 0);
	if ((ferr = rd_kafka_fatal_error(rk, errstr, sizeof(errstr))))
		fatalx(EX_TEMP, "fatal producer error: %s: %s",
		    rd_kafka_err2name(ferr), errstr);
	rd_kafka_destroy(rk);
	if (failed != 0 || delivered != o.count)
		fatalx(EX_TEMP, "%d delivered, %d failed of %d", delivered,
		    failed, o.count);
	log_info("%d message(s) %s", o.count, o.txnid == NULL ? "delivered" :
	    o.abort ? "aborted" : "committed");
	return EX_OK;
}

static int
cmd_consume(void)
{
	rd_kafka_t *rk;
	rd_kafka_topic_partition_list_t *tp;
	rd_kafka_message_t *m;
	rd_kafka_resp_err_t err;
	int got = 0, stored = 0, eof = 0;

	rk = consumer_new(o.group, o.committed);
	tp = rd_kafka_topic_partition_list_new(1);
	if (o.group == NULL) {
		rd_kafka_topic_partition_list_add(tp, o.topic,
		    o.partition)->offset = RD_KAFKA_OFFSET_BEGINNING;
		err = rd_kafka_assign(rk, tp);
	} else {
		rd_kafka_topic_partition_list_add(tp, o.topic,
		    RD_KAFKA_PARTITION_UA);
		err = rd_kafka_subscribe(rk, tp);
	}
	rd_kafka_topic_partition_list_destroy(tp);
	if (err)
		fatalx(EX_TEMP, "%s: %s", o.group ? "subscribe" : "assign",
		    rd_kafka_err2str(err));
	while (got < o.count && !eof) {
		if (expired())
			fatalx(EX_TEMP, "deadline: %d of %d message(s)", got,
			    o.count);
		if ((m = rd_kafka_consumer_poll(rk, 100)) == NULL)
			continue;
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			/* The end of the partition this test writes to. */
			if (m->partition == o.partition || o.group == NULL)
				eof = 1;
		} else if (m->err) {
			log_warnx("consume: %s", rd_kafka_message_errstr(m));
		} else {
			printf("%.*s\n", (int)m->len, (const char *)m->payload);
			fflush(stdout);
			got++;
			if (o.group != NULL && (o.store < 0 ||
			    stored < o.store)) {
				if ((err = rd_kafka_offset_store(m->rkt,
				    m->partition, m->offset)))
					fatalx(EX_TEMP, "offset_store: %s",
					    rd_kafka_err2str(err));
				stored++;
			}
		}
		rd_kafka_message_destroy(m);
	}
	if (o.group != NULL && stored > 0) {
		err = rd_kafka_commit(rk, NULL, 0);
		if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
			fatalx(EX_TEMP, "commit: %s", rd_kafka_err2str(err));
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	log_info("%d message(s) consumed, %d offset(s) stored", got, stored);
	return EX_OK;
}

static int
cmd_committed(void)
{
	rd_kafka_t *rk;
	rd_kafka_topic_partition_list_t *tp;
	rd_kafka_resp_err_t err;

	rk = consumer_new(o.group, 0);
	tp = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(tp, o.topic, o.partition);
	if ((err = rd_kafka_committed(rk, tp, o.wait * 1000)))
		fatalx(EX_TEMP, "committed: %s", rd_kafka_err2str(err));
	if (tp->elems[0].err)
		fatalx(EX_TEMP, "committed: %s",
		    rd_kafka_err2str(tp->elems[0].err));
	printf("%lld\n", (long long)tp->elems[0].offset);
	rd_kafka_topic_partition_list_destroy(tp);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return EX_OK;
}

static int
cmd_relay(void)
{
	rd_kafka_t *p, *c;
	rd_kafka_topic_partition_list_t *tp;
	rd_kafka_consumer_group_metadata_t *cgmd;
	rd_kafka_message_t *m;
	rd_kafka_resp_err_t err;
	char val[1024];
	int got = 0, eof = 0;

	p = producer_new();
	c = consumer_new(o.group, 1);
	tp = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(tp, o.topic, RD_KAFKA_PARTITION_UA);
	if ((err = rd_kafka_subscribe(c, tp)))
		fatalx(EX_TEMP, "subscribe: %s", rd_kafka_err2str(err));
	rd_kafka_topic_partition_list_destroy(tp);
	check_error(rd_kafka_begin_transaction(p), "begin_transaction");
	while (got < o.count && !eof) {
		if (expired())
			fatalx(EX_TEMP, "deadline: %d of %d message(s)", got,
			    o.count);
		rd_kafka_poll(p, 0);
		if ((m = rd_kafka_consumer_poll(c, 100)) == NULL)
			continue;
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			if (m->partition == o.partition)
				eof = 1;
		} else if (m->err) {
			log_warnx("consume: %s", rd_kafka_message_errstr(m));
		} else {
			snprintf(val, sizeof(val), "R:%.*s", (int)m->len,
			    (const char *)m->payload);
			if (produce_one(p, o.out, o.partition, val) == -1)
				return EX_TEMP;
			printf("%s\n", val);
			fflush(stdout);
			got++;
		}
		rd_kafka_message_destroy(m);
	}
	if (rd_kafka_flush(p, o.wait * 1000) != RD_KAFKA_RESP_ERR_NO_ERROR)
		fatalx(EX_TEMP, "flush: %d message(s) still queued",
		    rd_kafka_outq_len(p));
	if ((err = rd_kafka_assignment(c, &tp)))
		fatalx(EX_TEMP, "assignment: %s", rd_kafka_err2str(err));
	if ((err = rd_kafka_position(c, tp)))
		fatalx(EX_TEMP, "position: %s", rd_kafka_err2str(err));
	cgmd = rd_kafka_consumer_group_metadata(c);
	check_error(rd_kafka_send_offsets_to_transaction(p, tp, cgmd,
	    o.wait * 1000), "send_offsets_to_transaction");
	rd_kafka_consumer_group_metadata_destroy(cgmd);
	rd_kafka_topic_partition_list_destroy(tp);
	if (o.abort)
		check_error(rd_kafka_abort_transaction(p, o.wait * 1000),
		    "abort_transaction");
	else
		check_error(rd_kafka_commit_transaction(p, o.wait * 1000),
		    "commit_transaction");
	rd_kafka_consumer_close(c);
	rd_kafka_destroy(c);
	rd_kafka_destroy(p);
	log_info("%d message(s) relayed, transaction %s", got,
	    o.abort ? "aborted" : "committed");
	return EX_OK;
}

int
main(int argc, char *argv[])
{
	int ch;

	log_init("bustest", LOG_LVL_WARN);
	if (argc < 2)
		usage();
	o.cmd = argv[1];
	o.prefix = "m";
	o.count = 10;
	o.store = -1;
	o.wait = 30;
	optind = 2;
	while ((ch = getopt(argc, argv, "Ab:g:n:No:p:rs:t:vV:w:x:X:")) != -1) {
		switch (ch) {
		case 'A':
			o.abort = 1;
			break;
		case 'b':
			o.brokers = optarg;
			break;
		case 'g':
			o.group = optarg;
			break;
		case 'n':
			if (parse_int(optarg, 0, INT_MAX, &o.count) == -1)
				usage();
			break;
		case 'N':
			o.plain = 1;
			break;
		case 'o':
			o.out = optarg;
			break;
		case 'p':
			if (parse_int(optarg, 0, INT_MAX, &o.partition) == -1)
				usage();
			break;
		case 'r':
			o.committed = 1;
			break;
		case 's':
			if (parse_int(optarg, 0, INT_MAX, &o.store) == -1)
				usage();
			break;
		case 't':
			o.topic = optarg;
			break;
		case 'v':
			o.verbose = 1;
			log_setlevel(LOG_LVL_DEBUG);
			break;
		case 'V':
			o.prefix = optarg;
			break;
		case 'w':
			if (parse_int(optarg, 1, 3600, &o.wait) == -1)
				usage();
			break;
		case 'x':
			o.txnid = optarg;
			break;
		case 'X':
			if (o.nxprop == MAXX)
				fatalx(EX_PERM, "too many -X");
			o.xprop[o.nxprop++] = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || o.brokers == NULL || o.topic == NULL)
		usage();
	sig_setup(0);
	deadline = time(NULL) + o.wait;
	if (strcmp(o.cmd, "produce") == 0)
		return cmd_produce();
	if (strcmp(o.cmd, "consume") == 0)
		return cmd_consume();
	if (strcmp(o.cmd, "committed") == 0) {
		if (o.group == NULL)
			usage();
		return cmd_committed();
	}
	if (strcmp(o.cmd, "relay") == 0) {
		if (o.group == NULL || o.txnid == NULL || o.out == NULL)
			usage();
		return cmd_relay();
	}
	usage();
}

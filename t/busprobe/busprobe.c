/*
 * busprobe: a small client of svc for the bus tests and benchmark.
 *
 *	busprobe [options] send N [TEXT]	N TestMessages (seq 1..N)
 *	busprobe [options] recv			print envelopes as JSON Lines
 *	busprobe [options] relay		re-sign and forward (a filter)
 *	busprobe [options] txn N		send N in one transaction
 *	busprobe [options] topics		create the suite's topics
 *	busprobe [options] replay		read -t from start to end (JSON)
 *
 *	-t KEY	topic to consume (a [topics] key; default signing)
 *	-T KEY	topic to produce to (default signing)
 *	-g ID	consumer group (default: the service id)
 *	-c N	recv/relay: stop after N envelopes
 *	-H	recv: after -c N, hold (do not store offsets) until killed
 *	-S	recv: after -c N, store and commit offsets, then hold
 *	-A	txn: abort instead of commit
 *	-U	recv: read uncommitted records too
 *	-w SEC	give up after SEC seconds (default 30)
 *
 * "held" and "committed" lines on stderr tell a test when to kill.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "app.h"
#include "bus.h"
#include "cfg.h"
#include "envelope.h"
#include "log.h"
#include "proto/common.pb-c.h"
#include "sig.h"
#include "svc.h"

static const char	*in_key = "signing", *out_key = "signing";
static const char	*group;
static long long	 count = -1, wait_s = 30;
static int		 hold, store_then_hold, abort_txn, uncommitted;

static int	 opt(struct app *, int, const char *);
static void	 hold_forever(void);
static int	 topic_of(const char *);
static int	 do_send(struct svc *, int, long long, const char *);
static int	 do_recv(struct svc *, int);
static int	 replay_one(void *, const struct bus_msg *);

static int
opt(struct app *app, int ch, const char *arg)
{
	(void)app;
	switch (ch) {
	case 't':
		in_key = arg;
		break;
	case 'T':
		out_key = arg;
		break;
	case 'g':
		group = arg;
		break;
	case 'c':
		return cfg_parse_int(arg, &count);
	case 'w':
		return cfg_parse_int(arg, &wait_s);
	case 'H':
		hold = 1;
		break;
	case 'S':
		store_then_hold = 1;
		break;
	case 'A':
		abort_txn = 1;
		break;
	case 'U':
		uncommitted = 1;
		break;
	default:
		return -1;
	}
	return 0;
}

static int
topic_of(const char *key)
{
	int t = bus_topic_parse(key);

	if (t == -1)
		fatalx(EX_PERM, "unknown topic key \"%s\"", key);
	return t;
}

static void
hold_forever(void)
{
	struct pollfd pfd;

	pfd.fd = sig_fd();
	pfd.events = POLLIN;
	while (!sig_term)
		poll(&pfd, 1, 1000);
	_exit(0);	/* never store, never commit */
}

static int
do_send(struct svc *s, int txn, long long n, const char *text)
{
	Coord__TestMessage tm = COORD__TEST_MESSAGE__INIT;
	struct env_intent in;
	uint8_t intent[ENV_INTENTLEN];
	char err[512];
	long long i;

	if (txn && bus_txn_begin(s->bus, err, sizeof(err)) == -1)
		fatalx(EX_TEMP, "%s", err);
	for (i = 1; i <= n; i++) {
		tm.seq = i;
		tm.text = (char *)(uintptr_t)text;
		env_intent_init(&in, COORD__MSG_TYPE__TEST_MESSAGE);
		env_intent_str(&in, text);
		env_intent_u64(&in, i);
		env_intent_final(&in, intent);
		if (svc_send(s, topic_of(out_key), COORD__MSG_TYPE__TEST_MESSAGE,
		    intent, "", &tm.base, err, sizeof(err)) == -1) {
			if (bus_out_closed(s->bus))
				return 0;
			fatalx(EX_TEMP, "send: %s", err);
		}
	}
	if (txn) {
		if (abort_txn) {
			if (bus_sync(s->bus, 30000, err, sizeof(err)) == -1 ||
			    bus_txn_abort(s->bus, err, sizeof(err)) == -1)
				fatalx(EX_TEMP, "%s", err);
			log_info("aborted %lld", n);
			return 0;
		}
		if (bus_txn_commit(s->bus, err, sizeof(err)) == -1)
			fatalx(EX_TEMP, "%s", err);
	} else if (bus_sync(s->bus, 30000, err, sizeof(err)) == -1) {
		if (bus_out_closed(s->bus))
			return 0;
		fatalx(EX_TEMP, "%s", err);
	}
	log_info("sent %lld", n);
	return 0;
}

static int
do_recv(struct svc *s, int relay)
{
	Coord__Envelope *e, out = COORD__ENVELOPE__INIT;
	struct bus_msg m;
	char err[512], *line;
	uint8_t *buf;
	size_t len;
	long long got = 0;
	uint64_t deadline = clock_wall_ms() + wait_s * 1000;
	int r;

	while (!sig_term && (count < 0 || got < count)) {
		if (clock_wall_ms() > deadline)
			fatalx(EX_TEMP, "timeout after %lld envelopes", got);
		r = svc_recv(s, &m, &e, 100, err, sizeof(err));
		if (r == 0)
			continue;
		if (r == -1) {
			if (bus_eof(s->bus))
				break;
			fatalx(EX_TEMP, "%s", err);
		}
		got++;
		if (relay) {
			/* Consume, verify, dedupe, re-sign, produce. */
			out.type = e->type;
			out.intent = e->intent;
			out.to = e->to;
			out.body = e->body;
			out.created_ms = 0;
			buf = env_seal(&out, &s->key, &len);
			if (buf == NULL || svc_send_raw(s, topic_of(out_key),
			    NULL, buf, len, err,
			    sizeof(err)) == -1) {
				free(buf);
				if (bus_out_closed(s->bus))
					break;
				fatalx(EX_TEMP, "relay: %s", err);
			}
			free(buf);
		} else {
			line = env_json_line(m.val, m.len, m.topic, err,
			    sizeof(err));
			if (line == NULL)
				fatalx(EX_BUG, "json: %s", err);
			fputs(line, stdout);
			fflush(stdout);
			free(line);
		}
		if (!(hold && count >= 0 && got == count))
			svc_done(s, &m, e);
		env_free(e);
		bus_release(s->bus, &m);
	}
	if (relay && bus_sync(s->bus, 30000, err, sizeof(err)) == -1 &&
	    !bus_out_closed(s->bus))
		fatalx(EX_TEMP, "%s", err);
	if (hold) {
		log_info("held");
		hold_forever();
	}
	if (store_then_hold) {
		if (bus_commit(s->bus, err, sizeof(err)) == -1)
			fatalx(EX_TEMP, "%s", err);
		log_info("committed");
		hold_forever();
	}
	log_info("received %lld", got);
	return 0;
}

static int
replay_one(void *arg, const struct bus_msg *m)
{
	char err[256], *line;

	(void)arg;
	if ((line = env_json_line(m->val, m->len, m->topic, err,
	    sizeof(err))) == NULL) {
		printf("{\"raw\":%zu}\n", m->len);
		return 0;
	}
	fputs(line, stdout);
	free(line);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct app_spec spec = {
		.prog = "busprobe",
		.operands = "send N [TEXT] | recv | relay | txn N | topics | "
		    "replay",
		.opts = "t:T:g:c:w:HSAU",
		.opt = opt,
	};
	struct bus_opts bo;
	struct app app;
	struct svc s;
	enum bus_topic t;
	char err[1024], txnid[256];
	const char *cmd;
	long long n = 0;
	int perm, rc;

	app_init(&app, &spec, argc, argv);
	if (app.check) {
		if (svc_check(&app, err, sizeof(err)) == -1)
			fatalx(EX_PERM, "%s", err);
		app_check_ok(&app);
	}
	if (app.argc < 1)
		app_usage();
	cmd = app.argv[0];
	if (strcmp(cmd, "replay") == 0) {
		struct app *ap = &app;

		(void)topic_of(in_key);		/* exits on an unknown key */
		if (bus_replay(ap, cfg_str(app.cfg, "topics", in_key),
		    replay_one, NULL, (int)wait_s * 1000, err,
		    sizeof(err)) == -1)
			fatalx(EX_TEMP, "replay: %s", err);
		app_free(&app);
		return 0;
	}
	memset(&bo, 0, sizeof(bo));
	bo.group = group;
	bo.from_start = 1;
	bo.read_uncommitted = uncommitted;
	if (strcmp(cmd, "send") == 0 || strcmp(cmd, "txn") == 0) {
		if (app.argc < 2 || cfg_parse_int(app.argv[1], &n) == -1)
			app_usage();
		if (strcmp(cmd, "txn") == 0) {
			snprintf(txnid, sizeof(txnid), "%s.txn",
			    app_service_id(&app));
			bo.txn_id = txnid;
		}
	} else if (strcmp(cmd, "topics") == 0) {
		/* only a producer */
	} else if (strcmp(cmd, "recv") == 0 || strcmp(cmd, "relay") == 0) {
		t = topic_of(in_key);
		bo.topics = &t;
		bo.ntopics = 1;
	} else
		app_usage();
	bo.produce = strcmp(cmd, "recv") != 0;
	if (svc_open(&s, &app, &bo, &perm, err, sizeof(err)) == -1)
		fatalx(perm ? EX_PERM : EX_TEMP, "%s", err);
	s.hb_interval_ms = 0;	/* no heartbeats from a probe */
	if (strcmp(cmd, "topics") == 0) {
		rc = 0;
		if (bus_create_topics(s.bus, 3, err, sizeof(err)) == -1) {
			log_warnx("%s", err);
			rc = EX_TEMP;
		}
	} else if (strcmp(cmd, "send") == 0 || strcmp(cmd, "txn") == 0)
		rc = do_send(&s, strcmp(cmd, "txn") == 0, n,
		    app.argc > 2 ? app.argv[2] : "probe");
	else
		rc = do_recv(&s, strcmp(cmd, "relay") == 0);
	if (svc_close(&s) == -1)
		rc = EX_TEMP;
	app_free(&app);
	return rc;
}

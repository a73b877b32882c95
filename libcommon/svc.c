/* svc: see svc.h. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "cfg.h"
#include "log.h"
#include "proto/common.pb-c.h"
#include "sig.h"
#include "svc.h"

static int	 key_path(const struct app *, char *, size_t);
static int	 load_identity(struct svc *, struct app *, char *, size_t);
static int	 wants_topic(const struct bus_opts *, enum bus_topic);
static void	 heartbeat(struct svc *);
static int	 send_env(struct svc *, enum bus_topic, uint32_t,
		    const uint8_t *, const char *, const ProtobufCMessage *,
		    int, void *, char *, size_t);

static struct bus_opts cur_opts;

static int
key_path(const struct app *app, char *buf, size_t len)
{
	const char *dir = cfg_str(app->cfg, "general", "key_dir");
	int n;

	n = snprintf(buf, len, "%s/%s.key", dir, app->prog);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int
load_identity(struct svc *s, struct app *app, char *err, size_t errlen)
{
	char path[PATH_MAX], kerr[512];

	snprintf(s->id, sizeof(s->id), "%s", app_service_id(app));
	if (key_path(app, path, sizeof(path)) == -1) {
		snprintf(err, errlen, "key_dir too long");
		return -1;
	}
	if (env_key_load(path, s->id, &s->key, kerr, sizeof(kerr)) == -1) {
		snprintf(err, errlen, "service key: %s (make one with: "
		    "coord-keygen %s)", kerr, path);
		return -1;
	}
	if (env_trust_load(app->cfg, &s->trust, err, errlen) == -1)
		return -1;
	/* We always trust ourselves (our own records, e.g. the cursor). */
	if (env_trust_find(&s->trust, s->id) == NULL)
		(void)env_trust_add(&s->trust, s->id, s->key.pk);
	else if (memcmp(env_trust_find(&s->trust, s->id), s->key.pk,
	    ENV_PKLEN) != 0) {
		snprintf(err, errlen, "%s: [trust] %s does not match the "
		    "public key of %s", cfg_where(app->cfg, "trust", s->id),
		    s->id, path);
		return -1;
	}
	return 0;
}

int
svc_check(struct app *app, char *err, size_t errlen)
{
	struct svc s;
	int rc;

	memset(&s, 0, sizeof(s));
	rc = load_identity(&s, app, err, errlen);
	env_key_wipe(&s.key);
	env_trust_free(&s.trust);
	if (rc == -1)
		return -1;
	return bus_check(app, err, errlen);
}

int
svc_open(struct svc *s, struct app *app, const struct bus_opts *o, int *perm,
    char *err, size_t errlen)
{
	const char *mdir;

	memset(s, 0, sizeof(*s));
	s->app = app;
	*perm = 1;
	if (load_identity(s, app, err, errlen) == -1)
		return -1;
	stfile_init(&s->status, app, s->id);
	s->seen = dedupe_new(cfg_int(app->cfg, "general", "dedupe_window"));
	if (s->seen == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	s->max_size = cfg_size(app->cfg, "general", "max_message_size");
	s->started_ms = clock_wall_ms();
	s->hb_interval_ms = cfg_ms(app->cfg, "general", "heartbeat_interval");
	s->hb_next_ms = s->started_ms;
	s->hb_status = "ok";
	mdir = cfg_str(app->cfg, "general", "metrics_dir");
	if (mdir[0] != '\0')
		snprintf(s->metrics_path, sizeof(s->metrics_path),
		    "%s/%s.prom", mdir, s->id);
	cur_opts = *o;
	cur_opts.app = app;
	/*
	 * Dead letters and heartbeats need a producer, unless the process
	 * only reads a stream and writes nothing (the end of a pipe): then
	 * a dead letter is the log line alone.
	 */
	cur_opts.produce = o->produce || app->in == NULL || app->out != NULL;
	s->no_output = !cur_opts.produce;
	/* A Kafka configuration that cannot work is permanent (100), as
	 * -n says. */
	if (bus_check(app, err, errlen) == -1)
		goto fail;
	*perm = 0;
	if ((s->bus = bus_open(&cur_opts, err, errlen)) == NULL)
		goto fail;
	return 0;
fail:
	/* what load_identity and dedupe_new took (a caller may go on to
	 * exit through main's return, where a leak checker looks) */
	dedupe_free(s->seen);
	s->seen = NULL;
	env_trust_free(&s->trust);
	env_key_wipe(&s->key);
	return -1;
}

int
svc_close(struct svc *s)
{
	int rc;

	/* The file describes a running process: gone with it. */
	metrics_remove(s->metrics_path);
	rc = bus_close(s->bus, SVC_STOP_MS);
	stfile_stopped(&s->status);
	dedupe_free(s->seen);
	env_trust_free(&s->trust);
	env_key_wipe(&s->key);
	return rc;
}

static int
wants_topic(const struct bus_opts *o, enum bus_topic t)
{
	size_t i;

	for (i = 0; i < o->ntopics; i++)
		if (o->topics[i] == t)
			return 1;
	return 0;
}

int
svc_recv(struct svc *s, struct bus_msg *m, Coord__Envelope **envp,
    int timeout_ms, char *err, size_t errlen)
{
	Coord__Envelope *e;
	char reason[512];
	int r;

	*envp = NULL;
	for (;;) {
		svc_tick(s);
		r = bus_poll(s->bus, m, timeout_ms, err, errlen);
		if (r != 1)
			return r;
		timeout_ms = 0;
		s->n_in++;
		if (m->error != NULL) {
			svc_dlq(s, m, m->error);
			goto next;
		}
		if (m->len > s->max_size) {
			snprintf(reason, sizeof(reason), "record of %zu bytes "
			    "exceeds max_message_size %zu", m->len,
			    s->max_size);
			svc_dlq(s, m, reason);
			goto next;
		}
		e = env_open(m->val, m->len, &s->trust, reason,
		    sizeof(reason));
		if (e == NULL) {
			svc_dlq(s, m, reason);
			goto next;
		}
		if (e->type == COORD__MSG_TYPE__DEAD_LETTER &&
		    !wants_topic(&cur_opts, TOPIC_COORDINATOR_DLQ)) {
			/* A dead letter passed along a pipe: not ours. */
			env_free(e);
			goto next;
		}
		if (dedupe_check(s->seen, e->intent.data)) {
			s->n_dup++;
			log_debug("duplicate %s from %s dropped",
			    env_type_name(e->type) ? env_type_name(e->type) :
			    "?", e->from);
			env_free(e);
			goto next;
		}
		*envp = e;
		return 1;
next:
		if (s->skipped != NULL)
			s->skipped(s, m);
		else
			bus_done(s->bus, m);
		bus_release(s->bus, m);
	}
}

int
svc_done(struct svc *s, struct bus_msg *m, Coord__Envelope *e)
{
	(void)e;
	return bus_done(s->bus, m);
}

int
svc_send_raw(struct svc *s, enum bus_topic t, const char *key,
    const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	if (bus_send(s->bus, bus_topic(s->bus, t), key,
	    key != NULL ? strlen(key) : 0, buf, len, err, errlen) == -1)
		return -1;
	s->n_out++;
	return 0;
}

int
svc_send(struct svc *s, enum bus_topic t, uint32_t type,
    const uint8_t *intent, const char *to, const ProtobufCMessage *body,
    char *err, size_t errlen)
{
	return send_env(s, t, type, intent, to, body, 0, NULL, err, errlen);
}

int
svc_send_direct(struct svc *s, enum bus_topic t, uint32_t type,
    const uint8_t *intent, const char *to, const ProtobufCMessage *body,
    char *err, size_t errlen)
{
	return send_env(s, t, type, intent, to, body, 1, NULL, err, errlen);
}

int
svc_send_tracked(struct svc *s, enum bus_topic t, uint32_t type,
    const uint8_t *intent, const char *to, const ProtobufCMessage *body,
    void *token, char *err, size_t errlen)
{
	return send_env(s, t, type, intent, to, body, 0, token, err, errlen);
}

static int
send_env(struct svc *s, enum bus_topic t, uint32_t type,
    const uint8_t *intent, const char *to, const ProtobufCMessage *body,
    int direct, void *token, char *err, size_t errlen)
{
	Coord__Envelope e = COORD__ENVELOPE__INIT;
	uint8_t *bb = NULL, *buf;
	size_t bn = 0, len;
	char key[300];
	int rc;

	if (body != NULL) {
		bn = protobuf_c_message_get_packed_size(body);
		if ((bb = malloc(bn + 1)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		protobuf_c_message_pack(body, bb);
	}
	e.type = type;
	e.intent.data = (uint8_t *)(uintptr_t)intent;
	e.intent.len = ENV_INTENTLEN;
	e.to = (char *)(uintptr_t)(to != NULL ? to : "");
	e.body.data = bb;
	e.body.len = bn;
	buf = env_seal(&e, &s->key, &len);
	free(bb);
	if (buf == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* One partition per (from, to): FIFO per pair, as Serai's queue. */
	snprintf(key, sizeof(key), "%s>%s", s->id, e.to);
	if (direct) {
		rc = bus_send_direct(s->bus, bus_topic(s->bus, t), key,
		    strlen(key), buf, len, err, errlen);
		if (rc == 0)
			s->n_out++;
	} else if (token != NULL) {
		rc = bus_send_tracked(s->bus, bus_topic(s->bus, t), key,
		    strlen(key), buf, len, token, err, errlen);
		if (rc == 0)
			s->n_out++;
	} else
		rc = svc_send_raw(s, t, key, buf, len, err, errlen);
	free(buf);
	return rc;
}

int
svc_dlq(struct svc *s, const struct bus_msg *m, const char *reason)
{
	Coord__DeadLetter dl = COORD__DEAD_LETTER__INIT;
	struct env_intent in;
	uint8_t intent[ENV_INTENTLEN];
	char err[256];

	s->n_dlq++;
	log_warnx("rejected record %s[%d]@%lld (%zu bytes): %s", m->topic,
	    m->partition, (long long)m->offset, m->len, reason);
	if (s->no_output)
		return 0;
	dl.reason = (char *)(uintptr_t)reason;
	dl.service = s->id;
	dl.topic = (char *)(uintptr_t)(m->topic != NULL ? m->topic : "");
	dl.partition = m->partition;
	dl.offset = m->offset;
	dl.key.data = (uint8_t *)(uintptr_t)m->key;
	dl.key.len = m->key != NULL ? m->keylen : 0;
	dl.value.data = (uint8_t *)(uintptr_t)m->val;
	dl.value.len = m->len;
	/* The same record rejected twice is one dead letter. */
	env_intent_init(&in, COORD__MSG_TYPE__DEAD_LETTER);
	env_intent_str(&in, s->id);
	env_intent_str(&in, dl.topic);
	env_intent_u64(&in, (uint64_t)m->partition);
	env_intent_u64(&in, (uint64_t)m->offset);
	env_intent_add(&in, m->val, m->len);
	env_intent_final(&in, intent);
	if (send_env(s, TOPIC_COORDINATOR_DLQ, COORD__MSG_TYPE__DEAD_LETTER,
	    intent, "", &dl.base, 1, NULL, err, sizeof(err)) == -1 ||
	    bus_sync(s->bus, 30000, err, sizeof(err)) == -1) {
		log_warnx("dead letter not written: %s", err);
		return -1;
	}
	return 0;
}

static void
heartbeat(struct svc *s)
{
	Coord__Heartbeat hb = COORD__HEARTBEAT__INIT;
	struct env_intent in;
	uint8_t intent[ENV_INTENTLEN];
	uint64_t now = clock_wall_ms();
	char err[256];

	hb.service = s->id;
	hb.network = (char *)(uintptr_t)(s->hb_network != NULL ?
	    s->hb_network : "");
	hb.scanned_height = s->hb_scanned;
	hb.tip_height = s->hb_tip;
	hb.status = (char *)(uintptr_t)(s->hb_status != NULL ?
	    s->hb_status : "ok");
	hb.uptime_ms = now - s->started_ms;
	env_intent_init(&in, COORD__MSG_TYPE__HEARTBEAT);
	env_intent_str(&in, s->id);
	env_intent_u64(&in, now);
	env_intent_final(&in, intent);
	if (send_env(s, TOPIC_CHAIN_HEALTH, COORD__MSG_TYPE__HEARTBEAT,
	    intent, "", &hb.base, 1, NULL, err, sizeof(err)) == -1)
		log_warnx("heartbeat: %s", err);
}

void
svc_tick(struct svc *s)
{
	uint64_t now;

	bus_serve(s->bus);
	if (s->hb_interval_ms == 0)
		return;
	now = clock_wall_ms();
	if (now < s->hb_next_ms)
		return;
	s->hb_next_ms = now + s->hb_interval_ms;
	/* Heartbeats go to Kafka only: never into a stdout pipe. */
	if (bus_is_kafka_out(s->bus))
		heartbeat(s);
	ready_ping();	/* the supervisor's watchdog, if it listens */
	svc_write_metrics(s);
}

static void	 metric_set(struct svc *, const char *, const char *, double,
		    int);

static void
metric_set(struct svc *s, const char *name, const char *help, double v,
    int counter)
{
	size_t i;

	for (i = 0; i < s->ngauge; i++)
		if (strcmp(s->gauge[i].name, name) == 0) {
			s->gauge[i].value = v;
			return;
		}
	if (s->ngauge == SVC_MAXGAUGE) {
		log_warnx("metrics: %s: more than %d metrics", name,
		    SVC_MAXGAUGE);
		return;
	}
	s->gauge[s->ngauge].name = name;
	s->gauge[s->ngauge].help = help;
	s->gauge[s->ngauge].value = v;
	s->gauge[s->ngauge].counter = counter;
	s->ngauge++;
}

void
svc_gauge(struct svc *s, const char *name, const char *help, double v)
{
	metric_set(s, name, help, v, 0);
}

void
svc_counter(struct svc *s, const char *name, const char *help, double v)
{
	metric_set(s, name, help, v, 1);
}

/* Prometheus text format, written atomically for the textfile collector. */
int
svc_write_metrics(struct svc *s)
{
	static const char *cname[] = {
		"coord_messages_in_total", "coord_messages_out_total",
		"coord_duplicates_total", "coord_dead_letters_total"
	};
	static const char *chelp[] = {
		"Records received.", "Records produced.",
		"Envelopes dropped as duplicates.",
		"Records sent to the dead-letter topic."
	};
	uint64_t cv[] = { s->n_in, s->n_out, s->n_dup, s->n_dlq };
	char tmp[METRICS_PATHMAX + 8];
	FILE *fp;
	size_t i;

	if (s->metrics_path[0] == '\0')
		return 0;
	if ((fp = metrics_begin(s->metrics_path, tmp, sizeof(tmp))) == NULL)
		return -1;
	metrics_head(fp, s->id, s->started_ms / 1000);
	for (i = 0; i < sizeof(cv) / sizeof(cv[0]); i++) {
		metrics_family(fp, cname[i], "counter", chelp[i]);
		metrics_sample(fp, cname[i], s->id, NULL, NULL, (double)cv[i]);
	}
	for (i = 0; i < s->ngauge; i++) {
		metrics_family(fp, s->gauge[i].name, s->gauge[i].counter ?
		    "counter" : "gauge", s->gauge[i].help);
		metrics_sample(fp, s->gauge[i].name, s->id, NULL, NULL,
		    s->gauge[i].value);
	}
	if (s->metrics_more != NULL)
		s->metrics_more(s, fp);
	return metrics_end(fp, tmp, s->metrics_path);
}

/*
 * consume: the bus side of the archiver.
 *
 * Every record of the consumed topics is archived whole: its value (the
 * signed envelope, as received, so it can be verified again later) is the
 * sealed body; type, intent, sender and time come from the envelope when
 * it parses (a record that does not is archived too, type 0).  Records
 * are collected into batches of batch_size, or what arrived within
 * batch_timeout, stored with store_put_retry(), and only then are their
 * offsets stored for commit: a crash redelivers what was not stored, and
 * the store ignores what it holds already.
 *
 * Data requests (ARCHIVE_PUT, ARCHIVE_GET addressed to us, signed by a
 * trusted service) are served once their batch is stored; the answer,
 * ARCHIVE_VALUE, goes to the requester on the request's topic.
 *
 * Every backup_interval a backup is made (and checked, see main.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "clock.h"
#include "app.h"
#include "archiver.h"
#include "bus.h"
#include "cfg.h"
#include "envelope.h"
#include "log.h"
#include "proto/archive.pb-c.h"
#include "proto/envelope.pb-c.h"
#include "sig.h"
#include "svc.h"

struct slot {
	struct rec	 r;		/* sealed; r.buf owns the ciphertext */
	int32_t		 kpart;		/* the Kafka position, for bus_done */
	int64_t		 koff;
	uint8_t		*req;		/* a data request's envelope, or NULL */
	size_t		 reqlen;
};

struct consumer {
	struct archiver	*ar;
	struct svc	 svc;
	struct slot	*slots;
	size_t		 n;
	int64_t		 seq;		/* stdio: offsets of this run */
	uint64_t	 stored;
	uint64_t	 requests;
	/* for metrics: the newest record stored (ms, its creation time;
	 * before the first batch, the start), backups */
	int64_t		 newest_ms;
	int		 have_newest;
	uint64_t	 backups, backups_failed;
	uint64_t	 backup_ok_ms;	/* wall time; before the first, start */
};

static int	take(struct consumer *, const struct bus_msg *, char *,
		    size_t);
static void	gauges(struct consumer *, uint64_t);
static int	flush(struct consumer *, char *, size_t);
static void	status(struct consumer *, int);
static int	serve(struct consumer *, struct slot *, char *, size_t);
static int	answer(struct consumer *, const char *, const Coord__Envelope *,
		    const char *, int, const uint8_t *, size_t, const char *,
		    char *, size_t);


static void
gauges(struct consumer *c, uint64_t interval)
{
	struct svc *s = &c->svc;

	svc_counter(s, "coord_archiver_records_stored_total", "Records newly "
	    "stored.", (double)c->stored);
	svc_counter(s, "coord_archiver_data_requests_total", "Data requests "
	    "served.", (double)c->requests);
	svc_gauge(s, "coord_archiver_newest_record_timestamp_seconds",
	    "Creation time of the newest record stored (before the first, "
	    "the start).", (double)(c->have_newest ? c->newest_ms :
	    (int64_t)s->started_ms) / 1e3);
	svc_gauge(s, "coord_archiver_backup_interval_seconds",
	    "backup_interval (0: no backups).", (double)interval / 1e3);
	svc_counter(s, "coord_archiver_backups_total", "Backups made (and "
	    "verified, with verify_backups).", (double)c->backups);
	svc_counter(s, "coord_archiver_backups_failed_total", "Backups that "
	    "failed, or failed their restore drill.",
	    (double)c->backups_failed);
	svc_gauge(s, "coord_archiver_last_backup_timestamp_seconds",
	    "When the last good backup was made (before the first, the "
	    "start).", (double)c->backup_ok_ms / 1e3);
}

/* Seal one record into the next slot. */
static int
take(struct consumer *c, const struct bus_msg *m, char *err, size_t errlen)
{
	struct slot *s = &c->slots[c->n];
	Coord__Envelope *e;
	uint8_t *ct;

	memset(s, 0, sizeof(*s));
	if (m->len > REC_BODY_MAX) {
		log_warnx("%s[%d]@%lld: %zu bytes, larger than the archive "
		    "takes: skipped", m->topic, (int)m->partition,
		    (long long)m->offset, m->len);
		return 0;
	}
	snprintf(s->r.topic, sizeof(s->r.topic), "%s", m->topic);
	if (!rec_name_ok(s->r.topic))
		snprintf(s->r.topic, sizeof(s->r.topic), "-");
	s->kpart = m->partition;
	s->koff = m->offset;
	s->r.partition = m->partition >= 0 ? m->partition : 0;
	s->r.offset = m->offset >= 0 ? m->offset : c->seq++;
	s->r.time = m->ts_ms;
	snprintf(s->r.sender, sizeof(s->r.sender), "-");
	e = m->error == NULL ? coord__envelope__unpack(NULL, m->len, m->val) :
	    NULL;
	if (e != NULL) {
		s->r.type = (uint32_t)e->type;
		if (e->intent.len == REC_INTENT_LEN)
			memcpy(s->r.intent, e->intent.data, REC_INTENT_LEN);
		if (e->from != NULL && rec_name_ok(e->from))
			snprintf(s->r.sender, sizeof(s->r.sender), "%s",
			    e->from);
		if (e->created_ms > 0 && e->created_ms < INT64_MAX)
			s->r.time = (int64_t)e->created_ms;
		if ((e->type == COORD__MSG_TYPE__ARCHIVE_PUT ||
		    e->type == COORD__MSG_TYPE__ARCHIVE_GET) &&
		    e->to != NULL && strcmp(e->to, c->svc.id) == 0) {
			if ((s->req = malloc(m->len + 1)) == NULL) {
				coord__envelope__free_unpacked(e, NULL);
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			memcpy(s->req, m->val, m->len);
			s->reqlen = m->len;
		}
		coord__envelope__free_unpacked(e, NULL);
	}
	if ((ct = malloc(m->len + REC_TAG_LEN)) == NULL) {
		free(s->req);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rec_seal(&s->r, c->ar->kr, m->val, m->len, ct);
	s->r.buf = ct;
	c->n++;
	return 0;
}

/* Store the batch, serve its data requests, then store the offsets. */
static int
flush(struct consumer *c, char *err, size_t errlen)
{
	struct bus_msg m;
	size_t i, added, j = 0;
	struct rec *recs;
	int rc = -1;

	if (c->n == 0)
		return 0;
	if ((recs = calloc(c->n, sizeof(*recs))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < c->n; i++)
		recs[i] = c->slots[i].r;
	if (store_put_retry(c->ar->st, recs, c->n, &added, err, errlen) == -1)
		goto out;
	c->stored += added;
	for (i = 0; i < c->n; i++)
		if (!c->have_newest || c->slots[i].r.time > c->newest_ms) {
			c->newest_ms = c->slots[i].r.time;
			c->have_newest = 1;
		}
	for (j = 0; j < c->n; j++)
		if (c->slots[j].req != NULL &&
		    serve(c, &c->slots[j], err, errlen) == -1)
			goto out;
	for (i = 0; i < c->n; i++) {
		memset(&m, 0, sizeof(m));
		m.topic = c->slots[i].r.topic;
		m.partition = c->slots[i].kpart;
		m.offset = c->slots[i].koff;
		bus_done(c->svc.bus, &m);
	}
	rc = 0;
 out:
	for (i = 0; i < c->n; i++) {
		rec_clear(&c->slots[i].r);
		free(c->slots[i].req);
		c->slots[i].req = NULL;
	}
	c->n = 0;
	free(recs);
	return rc;
}

/* The topic a request came on, to answer on it. */
static int
topic_of(struct consumer *c, const char *name)
{
	int t;

	for (t = 0; t < TOPIC_COUNT; t++)
		if (strcmp(bus_topic(c->svc.bus, t), name) == 0)
			return t;
	return TOPIC_COORDINATOR_STATE;	/* stdio: -o decides anyway */
}

static int
answer(struct consumer *c, const char *topic, const Coord__Envelope *req,
    const char *key, int found, const uint8_t *val, size_t len,
    const char *error, char *err, size_t errlen)
{
	Coord__ArchiveValue v = COORD__ARCHIVE_VALUE__INIT;
	struct env_intent in;
	uint8_t intent[ENV_INTENTLEN];

	v.key = (char *)(uintptr_t)key;
	v.request_intent.data = req->intent.data;
	v.request_intent.len = req->intent.len;
	v.found = found;
	v.value.data = (uint8_t *)(uintptr_t)val;
	v.value.len = len;
	v.error = (char *)(uintptr_t)(error != NULL ? error : "");
	env_intent_init(&in, COORD__MSG_TYPE__ARCHIVE_VALUE);
	env_intent_add(&in, req->intent.data, req->intent.len);
	env_intent_final(&in, intent);
	return svc_send(&c->svc, topic_of(c, topic),
	    COORD__MSG_TYPE__ARCHIVE_VALUE, intent, req->from,
	    (const ProtobufCMessage *)&v, err, errlen);
}

/* One data request, verified first. */
static int
serve(struct consumer *c, struct slot *s, char *err, size_t errlen)
{
	Coord__Envelope *e;
	Coord__ArchivePut *put = NULL;
	Coord__ArchiveGet *get = NULL;
	struct kv k;
	uint8_t *val = NULL, *ct;
	char reason[512], name[1024];
	const char *key = NULL, *refuse = NULL;
	int found = 0, rc = -1;

	if ((e = env_open(s->req, s->reqlen, &c->svc.trust, reason,
	    sizeof(reason))) == NULL) {
		log_warnx("%s[%d]@%lld: data request refused: %s",
		    s->r.topic, (int)s->r.partition, (long long)s->r.offset,
		    reason);
		return 0;
	}
	c->requests++;
	if (e->type == COORD__MSG_TYPE__ARCHIVE_PUT) {
		put = coord__archive_put__unpack(NULL, e->body.len,
		    e->body.data);
		key = put != NULL ? put->key : NULL;
	} else {
		get = coord__archive_get__unpack(NULL, e->body.len,
		    e->body.data);
		key = get != NULL ? get->key : NULL;
	}
	if (key == NULL)
		refuse = "malformed request";
	else if ((size_t)snprintf(name, sizeof(name), "%s/%s", e->from,
	    key) > REC_NAME_MAX || !rec_name_ok(name))
		refuse = "key: printable ASCII, 255 bytes with the sender";
	if (refuse != NULL) {
		log_warnx("data request from %s refused: %s", e->from, refuse);
		rc = answer(c, s->r.topic, e, key != NULL ? key : "", 0, NULL,
		    0, refuse, err, errlen);
		goto out;
	}
	if (put != NULL) {
		memset(&k, 0, sizeof(k));
		memcpy(k.name, name, strlen(name) + 1);	/* checked: fits */
		k.time = (int64_t)e->created_ms;
		if ((ct = malloc(put->value.len + REC_TAG_LEN)) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		kv_seal(&k, c->ar->kr, put->value.data, put->value.len, ct);
		k.buf = ct;
		rc = store_kv_put(c->ar->st, &k, err, errlen);
		kv_clear(&k);
		if (rc == -1)
			goto out;
		log_debug("data request: %s stored (%zu bytes)", name,
		    put->value.len);
		rc = answer(c, s->r.topic, e, key, 1, NULL, 0, NULL, err,
		    errlen);
		goto out;
	}
	if (store_kv_get(c->ar->st, name, &k, &found, err, errlen) == -1)
		goto out;
	if (found) {
		if ((val = malloc(k.ctlen)) == NULL) {
			kv_clear(&k);
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		if (kv_open(&k, c->ar->kr, val, reason, sizeof(reason)) == -1) {
			log_warnx("data request for %s: %s", name, reason);
			found = 0;
			refuse = "the stored value cannot be opened";
		}
	}
	rc = answer(c, s->r.topic, e, key, found, val, found ?
	    k.ctlen - REC_TAG_LEN : 0, refuse, err, errlen);
	if (val != NULL) {
		sodium_memzero(val, k.ctlen);
		free(val);
	}
	if (found || refuse != NULL)
		kv_clear(&k);
 out:
	if (put != NULL)
		coord__archive_put__free_unpacked(put, NULL);
	if (get != NULL)
		coord__archive_get__free_unpacked(get, NULL);
	env_free(e);
	return rc;
}

/* The status file (libcommon/stfile.h): -s prints and judges it. */
static void
status(struct consumer *c, int ready)
{
	int ok = strcmp(c->svc.hb_status, "ok") == 0;
	FILE *f;

	if ((f = stfile_begin(&c->svc.status, ready && ok, !ready ?
	    "starting" : ok ? "ready" : "degraded", !ready ? "waiting for "
	    "the broker (no partition assigned yet: unreachable, or the "
	    "topics missing)" : ok ? NULL : "%s",
	    c->svc.hb_status)) == NULL)
		return;
	fprintf(f, "archive store=%s stored=%llu requests=%llu pending=%zu\n",
	    c->ar->st->ops->name, (unsigned long long)c->stored,
	    (unsigned long long)c->requests, c->n);
	stfile_end(&c->svc.status, f);
}

int
consume_run(struct archiver *ar, char *err, size_t errlen)
{
	struct consumer c;
	struct bus_opts o;
	struct bus_msg m;
	enum bus_topic topics[TOPIC_COUNT];
	char *names[TOPIC_COUNT + 1];
	size_t ntopics = 0, nn, i;
	uint64_t deadline = 0, next_backup = 0, tmo, now, interval;
	int perm, r, t, rc = EX_TEMP, ready = 0;

	memset(&c, 0, sizeof(c));
	c.ar = ar;
	nn = cfg_list(cfg_str(ar->app->cfg, "archive", "topics"), names,
	    TOPIC_COUNT + 1);
	for (i = 0; i < nn; i++) {
		if ((t = bus_topic_parse(names[i])) == -1) {
			snprintf(err, errlen, "%s: topics: \"%s\" is not a key "
			    "of [topics]", cfg_where(ar->app->cfg, "archive",
			    "topics"), names[i]);
			cfg_list_free(names, nn);
			return EX_PERM;
		}
		topics[ntopics++] = t;
	}
	cfg_list_free(names, nn);
	if (ntopics == 0)
		for (t = 0; t < TOPIC_COUNT; t++)
			topics[ntopics++] = t;
	if ((c.slots = calloc(ar->batch, sizeof(*c.slots))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return EX_TEMP;
	}
	memset(&o, 0, sizeof(o));
	o.app = ar->app;
	o.topics = topics;
	o.ntopics = ntopics;
	/* Answers and heartbeats, unless we are the end of a pipe. */
	o.produce = ar->app->in == NULL || ar->app->out != NULL;
	o.from_start = 1;
	if (svc_open(&c.svc, ar->app, &o, &perm, err, errlen) == -1) {
		free(c.slots);
		return perm ? EX_PERM : EX_TEMP;
	}
	c.svc.hb_network = "archive";
	c.backup_ok_ms = c.svc.started_ms;
	interval = cfg_ms(ar->app->cfg, "general", "backup_interval");
	tmo = cfg_ms(ar->app->cfg, "archive", "batch_timeout");
	if (interval > 0)
		next_backup = clock_mono_ms() + interval;
	log_info("archiving %zu topics into the %s store", ntopics,
	    ar->st->ops->name);

	while (!sig_term) {
		/* Ready once the broker gave us our partitions (at once
		 * when the input is not Kafka). */
		if (!ready && bus_assigned(c.svc.bus)) {
			ready = 1;
			ready_notify(ar->app->readyfd);
			log_info("ready: consuming");
			c.svc.status.next_ms = 0;	/* -s says so now */
		}
		if (stfile_due(&c.svc.status, clock_mono_ms()))
			status(&c, ready);
		now = clock_mono_ms();
		r = bus_poll(c.svc.bus, &m, c.n == 0 ? 200 :
		    (int)(deadline > now ? deadline - now : 0), err, errlen);
		if (r == 1) {
			if (c.n == 0)
				deadline = clock_mono_ms() + tmo;
			r = take(&c, &m, err, errlen);
			bus_release(c.svc.bus, &m);
			if (r == -1)
				goto out;
		} else if (r == -1) {
			if (!bus_eof(c.svc.bus))
				goto out;
			if (flush(&c, err, errlen) == -1)
				goto out;
			log_info("input ended: %llu records stored",
			    (unsigned long long)c.stored);
			rc = 0;
			goto out;
		}
		now = clock_mono_ms();
		if (c.n == ar->batch || (c.n > 0 && now >= deadline))
			if (flush(&c, err, errlen) == -1)
				goto out;
		if (next_backup != 0 && now >= next_backup) {
			if (flush(&c, err, errlen) == -1)
				goto out;
			if (archiver_backup(ar, 0) == -1) {
				c.svc.hb_status = "backup failed";
				c.backups_failed++;
			} else {
				c.svc.hb_status = "ok";
				c.backups++;
				c.backup_ok_ms = clock_wall_ms();
			}
			next_backup = clock_mono_ms() + interval;
		}
		gauges(&c, interval);
		svc_tick(&c.svc);
	}
	/* SIGTERM: store what was taken, then commit on close. */
	if (flush(&c, err, errlen) == -1)
		goto out;
	log_info("stopping: %llu records stored",
	    (unsigned long long)c.stored);
	rc = 0;
 out:
	for (i = 0; i < c.n; i++) {
		rec_clear(&c.slots[i].r);
		free(c.slots[i].req);
	}
	free(c.slots);
	if (svc_close(&c.svc) == -1 && rc == 0)
		log_warnx("not every answer was delivered at exit");
	return rc;
}

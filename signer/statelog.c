/* statelog: see statelog.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "app.h"
#include "bus.h"
#include "cfg.h"
#include "log.h"
#include "statelog.h"

#define DEFAULT_BOOTSTRAP	"127.0.0.1:9092"

static rd_kafka_t	*client_new(const struct app *, rd_kafka_type_t,
			    char *, size_t);
static int		 conf_set(rd_kafka_conf_t *, const char *,
			    const char *, char *, size_t);
static void		 klog(const rd_kafka_t *, int, const char *,
			    const char *);
static int		 auto_create(const struct app *, const char *);
static int		 replay_cb(void *, const struct bus_msg *);

struct replay {
	statelog_fn	*fn;
	void		*arg;
	long long	 nrec;
};

/* Errors as warnings; the rest (CONFWARN for -X consumer properties on a
 * producer, ...) only with -v. */
static void
klog(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	if (level <= 3)
		log_warnx("kafka: %s: %s", fac, buf);
	else
		log_debug("kafka: %s: %s", fac, buf);
}

static int
conf_set(rd_kafka_conf_t *conf, const char *k, const char *v, char *err,
    size_t errlen)
{
	char kerr[256];

	if (rd_kafka_conf_set(conf, k, v, kerr, sizeof(kerr)) !=
	    RD_KAFKA_CONF_OK) {
		snprintf(err, errlen, "%s: %s", k, kerr);
		return -1;
	}
	return 0;
}

/* A client with the same properties as the bus: [kafka], then -X (for
 * metadata and CreateTopics, which the bus has no call for). */
static rd_kafka_t *
client_new(const struct app *app, rd_kafka_type_t type, char *err,
    size_t errlen)
{
	const struct cfg_sect *s;
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	char key[256], cid[300], ebuf[256];
	const char *eq;
	size_t i;

	conf = rd_kafka_conf_new();
	rd_kafka_conf_set_log_cb(conf, klog);
	snprintf(cid, sizeof(cid), "%s-state", app_service_id(app));
	if (conf_set(conf, "bootstrap.servers", DEFAULT_BOOTSTRAP, err,
	    errlen) == -1 || conf_set(conf, "client.id", cid, err, errlen) == -1)
		goto fail;
	if ((s = cfg_next(app->cfg, "kafka", NULL)) != NULL)
		for (i = 0; i < s->nkv; i++)
			if (conf_set(conf, s->kv[i].key, s->kv[i].val, err,
			    errlen) == -1)
				goto fail;
	for (i = 0; i < app->nxprop; i++) {
		eq = strchr(app->xprop[i], '=');
		snprintf(key, sizeof(key), "%.*s", (int)(eq - app->xprop[i]),
		    app->xprop[i]);
		if (conf_set(conf, key, eq + 1, err, errlen) == -1)
			goto fail;
	}
	if ((rk = rd_kafka_new(type, conf, ebuf, sizeof(ebuf))) == NULL) {
		snprintf(err, errlen, "kafka: %s", ebuf);
		goto fail;
	}
	return rk;
fail:
	rd_kafka_conf_destroy(conf);
	return NULL;
}

int
statelog_create(const struct app *app, const char *topic, char *err,
    size_t errlen)
{
	const rd_kafka_CreateTopics_result_t *res;
	const rd_kafka_topic_result_t **tr;
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_topic_t *rkt;
	rd_kafka_NewTopic_t *nt;
	rd_kafka_queue_t *q;
	rd_kafka_event_t *ev;
	rd_kafka_resp_err_t e;
	rd_kafka_t *rk;
	char ebuf[256];
	size_t n;
	int rc = 0;

	if ((rk = client_new(app, RD_KAFKA_CONSUMER, err, errlen)) == NULL)
		return -1;
	/* Already there (the usual case): done.  A consumer's metadata
	 * request does not create topics. */
	rkt = rd_kafka_topic_new(rk, topic, NULL);
	if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) ==
	    RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1 &&
	    md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		rd_kafka_metadata_destroy(md);
		rd_kafka_topic_destroy(rkt);
		rd_kafka_destroy(rk);
		return 0;
	}
	if (md != NULL)
		rd_kafka_metadata_destroy(md);
	rd_kafka_topic_destroy(rkt);
	nt = rd_kafka_NewTopic_new(topic, 1, -1, ebuf, sizeof(ebuf));
	if (nt == NULL) {
		snprintf(err, errlen, "topic %s: %s", topic, ebuf);
		rd_kafka_destroy(rk);
		return -1;
	}
	(void)rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "compact");
	q = rd_kafka_queue_new(rk);
	rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
	/* Short: librdkafka's mock cluster never answers CreateTopics (the
	 * first write creates the topic there). */
	ev = rd_kafka_queue_poll(q, 2000);
	if (ev == NULL) {
		snprintf(err, errlen, "create topic %s: no answer in 2 s",
		    topic);
		rc = -1;
	} else if (rd_kafka_event_error(ev) != 0) {
		snprintf(err, errlen, "create topic %s: %s", topic,
		    rd_kafka_event_error_string(ev));
		rc = -1;
	} else {
		res = rd_kafka_event_CreateTopics_result(ev);
		tr = rd_kafka_CreateTopics_result_topics(res, &n);
		if (n == 1) {
			e = rd_kafka_topic_result_error(tr[0]);
			if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
				log_info("created the state topic %s", topic);
			else if (e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
				snprintf(err, errlen, "create topic %s: %s",
				    topic, rd_kafka_topic_result_error_string(
				    tr[0]));
				rc = -1;
			}
		}
	}
	if (ev != NULL)
		rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(q);
	rd_kafka_NewTopic_destroy(nt);
	rd_kafka_destroy(rk);
	if (rc == -1 && auto_create(app, topic) == 0) {
		/* The first decision must not wait for the topic. */
		log_warnx("%s; the broker created it on demand instead (not "
		    "compacted)", err);
		rc = 0;
	}
	return rc;
}

/* A producer's metadata request makes the broker create a missing topic
 * (auto.create.topics.enable, and librdkafka's mock cluster). */
static int
auto_create(const struct app *app, const char *topic)
{
	const struct rd_kafka_metadata *md;
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	rd_kafka_topic_t *rkt;
	rd_kafka_t *rk;
	char err[256];
	int tries, rc = -1;

	if ((rk = client_new(app, RD_KAFKA_PRODUCER, err, sizeof(err))) ==
	    NULL)
		return -1;
	rkt = rd_kafka_topic_new(rk, topic, NULL);
	for (tries = 0; tries < 100 && rc == -1; tries++) {
		md = NULL;
		if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) == 0 &&
		    md->topic_cnt == 1 && md->topics[0].err == 0 &&
		    md->topics[0].partition_cnt > 0)
			rc = 0;
		else
			nanosleep(&ts, NULL);
		if (md != NULL)
			rd_kafka_metadata_destroy(md);
	}
	rd_kafka_topic_destroy(rkt);
	rd_kafka_destroy(rk);
	return rc;
}

static int
replay_cb(void *arg, const struct bus_msg *m)
{
	struct replay *rp = arg;

	rp->nrec++;
	return rp->fn(rp->arg, m->key != NULL ? (const char *)m->key : "",
	    m->keylen, m->val, m->len, m->offset) == -1 ? -1 : 0;
}

int
statelog_read(const struct app *app, const char *topic, statelog_fn *fn,
    void *arg, int timeout_ms, char *err, size_t errlen)
{
	struct replay rp = { fn, arg, 0 };

	if (bus_replay(app, topic, replay_cb, &rp, timeout_ms, err, errlen) ==
	    -1)
		return -1;
	log_info("state topic %s: %lld record(s) replayed", topic, rp.nrec);
	return 0;
}

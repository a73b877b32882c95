/*
 * signer: deterministic signing parties and protocol message routing.
 *
 *	signer [-nqvsJ] [-f file] [-d fd] [-X prop=val] [-i in] [-o out]
 *
 * Start: the transactional producer fences any older instance of us, the
 * decision log ([signing] state_topic) is read back, then the loop runs:
 * each turn opens a Kafka transaction, handles up to [signing] batch_max
 * messages and the timers, and commits the records produced (routed
 * messages, parties, completions, decisions) together with the consumer
 * offsets.  A failed commit exits 111: the restart resumes from the last
 * commit.  See signer.8.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "hex.h"
#include "clock.h"
#include "cfg.h"
#include "envelope.h"
#include "log.h"
#include "proto/common.pb-c.h"
#include "sig.h"
#include "signer.h"
#include "statelog.h"
#include "stfile.h"

#define REBUILD_TIMEOUT_MS	60000

static struct signer	 sg;
static int		 status_mode;
static int		 declog_mode;

static int	 opt(struct app *, int, const char *);
static int	 load_config(struct signer *, char *, size_t);
static int	 load_validator(struct signer *, const struct cfg_sect *, char *,
		    size_t);
static int	 parse_key(const char *, uint8_t *);
static int	 rebuild_cb(void *, const char *, size_t, const uint8_t *,
		    size_t, int64_t);
static int	 load_trust(struct signer *, char *, size_t);
static void	 declog(struct signer *);
static void	 status(struct signer *, int);
static void	 run(struct signer *);
static void	 gauges(struct signer *);
static int	 probe_send(struct signer *, uint8_t *, char *, size_t);
static void	 tune_kafka(struct app *);

static const struct app_spec spec = {
	.prog = "signer",
	.operands = "",
	.opts = "Ls",
	.optusage = "  -s         print the running signer's status and exit: "
	    "0 ok, 1 unhealthy,\n"
	    "             2 stale, 3 not running\n"
	    "  -L         print the decision log (sets and sessions, from "
	    "Kafka) and exit\n",
	.opt = opt,
};

static int
opt(struct app *app, int ch, const char *arg)
{
	(void)app;
	(void)arg;
	switch (ch) {
	case 's':
		status_mode = 1;
		return 0;
	case 'L':
		declog_mode = 1;
		return 0;
	}
	return -1;
}

/* 64 hex digits, an optional 0x before them. */
static int
parse_key(const char *s, uint8_t *out)
{
	if (strncmp(s, "0x", 2) == 0)
		s += 2;
	if (strlen(s) != 2 * PARTY_KEYLEN)
		return -1;
	return hex_decode(s, out, PARTY_KEYLEN);
}

/* One [validator NAME] section, checked against those before it. */
static int
load_validator(struct signer *g, const struct cfg_sect *s, char *err,
    size_t errlen)
{
	const struct cfg *cfg = g->app.cfg;
	const char *pk = cfg_sect_str(s, "public_key");
	const char *ck = cfg_sect_str(s, "chain_key");
	const struct cfg_kv *kv;
	struct cfgval *v;
	long long n;
	size_t i;

	if ((v = reallocarray(g->val, g->nval + 1, sizeof(*g->val))) == NULL)
		fatalx(EX_TEMP, "out of memory");
	g->val = v;
	v = &g->val[g->nval];
	memset(v, 0, sizeof(*v));
	if (pk == NULL || parse_key(pk, v->p2p_key) == -1) {
		kv = cfg_sect_kv(s, "public_key");
		snprintf(err, errlen, "%s:%d: [validator %s] needs "
		    "public_key = 64 hex digits (the validator's "
		    "libp2p identity)", cfg->path,
		    kv != NULL ? kv->line : s->line, s->name);
		return -1;
	}
	/* chain_key: its key in the sets; by default public_key. */
	if (ck == NULL) {
		memcpy(v->key, v->p2p_key, PARTY_KEYLEN);
		v->chain_default = 1;
	}
	else if (parse_key(ck, v->key) == -1) {
		kv = cfg_sect_kv(s, "chain_key");
		snprintf(err, errlen, "%s:%d: [validator %s] chain_key "
		    "must be 64 hex digits (the validator's key in "
		    "the chain's validator sets)", cfg->path,
		    kv != NULL ? kv->line : s->line, s->name);
		return -1;
	}
	n = cfg_sect_int(s, "weight");
	if (n < 0) {
		snprintf(err, errlen, "%s:%d: [validator %s] weight "
		    "must not be negative", cfg->path, s->line,
		    s->name);
		return -1;
	}
	v->weight = (uint64_t)n;
	v->name = s->name;
	v->endpoint = cfg_sect_str(s, "endpoint");
	for (i = 0; i < g->nval; i++) {
		if (memcmp(g->val[i].p2p_key, v->p2p_key,
		    PARTY_KEYLEN) == 0) {
			snprintf(err, errlen, "%s:%d: [validator %s] "
			    "has the public_key of [validator %s]",
			    cfg->path, s->line, s->name,
			    g->val[i].name);
			return -1;
		}
		if (memcmp(g->val[i].key, v->key, PARTY_KEYLEN) == 0) {
			snprintf(err, errlen, "%s:%d: [validator %s] "
			    "has the chain_key of [validator %s]%s",
			    cfg->path, s->line, s->name,
			    g->val[i].name, ck == NULL ||
			    g->val[i].chain_default ? " (a chain_key "
			    "not given is the public_key)" : "");
			return -1;
		}
	}
	if (strcmp(s->name, g->name) == 0)
		memcpy(g->our_key, v->key, PARTY_KEYLEN);
	else if (v->endpoint == NULL || v->endpoint[0] == '\0')
		log_warnx("%s:%d: [validator %s] has no endpoint: the "
		    "connector cannot dial it (it may still dial us)",
		    cfg->path, s->line, s->name);
	g->nval++;
	return 0;
}

static int
load_config(struct signer *g, char *err, size_t errlen)
{
	const struct cfg *cfg = g->app.cfg;
	const struct cfg_sect *s = NULL;
	long long n;
	size_t i;
	int ours = 0;

	g->name = cfg_str(cfg, "general", "name");
	n = cfg_int(cfg, "signing", "threshold");
	if (n < 0) {
		snprintf(err, errlen, "%s: threshold must be 0 (the default, "
		    "floor(2n/3)+1) or positive",
		    cfg_where(cfg, "signing", "threshold"));
		return -1;
	}
	g->threshold = (uint64_t)n;
	g->pre_ms = cfg_ms(cfg, "signing", "preprocess_timeout");
	g->share_ms = cfg_ms(cfg, "signing", "share_timeout");
	if (g->pre_ms == 0 || g->share_ms == 0) {
		snprintf(err, errlen, "%s: stage timeouts must be positive",
		    cfg_where(cfg, "signing", g->pre_ms == 0 ?
		    "preprocess_timeout" : "share_timeout"));
		return -1;
	}
	g->max_attempts = cfg_int(cfg, "signing", "max_attempts");
	n = cfg_int(cfg, "signing", "early_window");
	if (g->max_attempts < 0 || n < 0 ||
	    cfg_int(cfg, "signing", "batch_max") < 1) {
		snprintf(err, errlen, "%s: max_attempts and early_window must "
		    "not be negative, batch_max must be positive",
		    cfg->path != NULL ? cfg->path : "defaults");
		return -1;
	}
	g->early_window = (size_t)n;
	g->early_ttl_ms = cfg_ms(cfg, "signing", "early_ttl");
	g->static_set = cfg_bool(cfg, "signing", "static_set");
	g->state_topic = cfg_str(cfg, "signing", "state_topic");
	if (g->state_topic[0] == '\0') {
		snprintf(err, errlen, "%s: state_topic is empty",
		    cfg_where(cfg, "signing", "state_topic"));
		return -1;
	}
	while ((s = cfg_next(cfg, "validator", s)) != NULL) {
		if (load_validator(g, s, err, errlen) == -1)
			return -1;
		ours |= strcmp(s->name, g->name) == 0;
	}
	if (!ours) {
		snprintf(err, errlen, "%s: no [validator %s] section: the "
		    "signer needs the local validator's chain_key ([general] "
		    "name is \"%s\")", cfg->path != NULL ? cfg->path :
		    "defaults", g->name, g->name);
		return -1;
	}
	if (g->threshold > 0) {
		uint64_t total = 0;

		for (i = 0; i < g->nval; i++)
			total += g->val[i].weight;
		if (g->threshold > total)
			log_warnx("%s: threshold %llu exceeds the %llu key "
			    "shares of the [validator] list; sets where it "
			    "does use the default",
			    cfg_where(cfg, "signing", "threshold"),
			    (unsigned long long)g->threshold,
			    (unsigned long long)total);
	}
	return 0;
}

/* ------------------------------------------------------------ the log */

int
signer_persist(struct signer *g, const char *key, const Coord__SignState *ss,
    char *err, size_t errlen)
{
	Coord__Envelope e = COORD__ENVELOPE__INIT;
	struct env_intent in;
	uint8_t intent[ENV_INTENTLEN], *body, *buf;
	size_t blen, len;
	int rc;

	if (!g->persist)
		return 0;
	if (ss == NULL)			/* deletion: a tombstone */
		return bus_send(g->svc.bus, g->state_topic, key, strlen(key),
		    NULL, 0, err, errlen);
	if (ss->state_case == COORD__SIGN_STATE__STATE__NOT_SET) {
		/* A replay refuses it: never log one. */
		snprintf(err, errlen, "%s: an empty SignState (a bug)", key);
		return -1;
	}
	blen = coord__sign_state__get_packed_size(ss);
	if ((body = malloc(blen + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	coord__sign_state__pack(ss, body);
	env_intent_init(&in, COORD__MSG_TYPE__SIGN_STATE);
	env_intent_str(&in, key);
	env_intent_add(&in, body, blen);
	env_intent_final(&in, intent);
	e.type = COORD__MSG_TYPE__SIGN_STATE;
	e.intent.data = intent;
	e.intent.len = ENV_INTENTLEN;
	e.to = g->svc.id;
	e.body.data = body;
	e.body.len = blen;
	buf = env_seal(&e, &g->svc.key, &len);
	free(body);
	if (buf == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = bus_send(g->svc.bus, g->state_topic, key, strlen(key), buf, len,
	    err, errlen);
	free(buf);
	return rc;
}

static int
rebuild_cb(void *arg, const char *key, size_t keylen, const uint8_t *val,
    size_t len, int64_t off)
{
	struct signer *g = arg;
	Coord__Envelope *e;
	Coord__SignState *ss;
	char why[512];
	int rc;

	if (len == 0)
		return state_apply(&g->st, key, keylen, NULL, why,
		    sizeof(why)) == -1 ? (log_warnx("state record at %lld: %s",
		    (long long)off, why), 0) : 0;
	if ((e = env_open(val, len, &g->svc.trust, why, sizeof(why))) ==
	    NULL) {
		log_warnx("state record at %lld skipped: %s", (long long)off,
		    why);
		return 0;
	}
	if (e->type != COORD__MSG_TYPE__SIGN_STATE ||
	    strcmp(e->from, g->svc.id) != 0) {
		log_warnx("state record at %lld skipped: %s from %s, not ours",
		    (long long)off, env_type_name(e->type) != NULL ?
		    env_type_name(e->type) : "?", e->from);
		env_free(e);
		return 0;
	}
	ss = coord__sign_state__unpack(NULL, e->body.len, e->body.data);
	env_free(e);
	if (ss == NULL) {
		log_warnx("state record at %lld skipped: bad SignState",
		    (long long)off);
		return 0;
	}
	rc = state_apply(&g->st, key, keylen, ss, why, sizeof(why));
	coord__sign_state__free_unpacked(ss, NULL);
	if (rc == -1) {
		if (strcmp(why, "out of memory") == 0)
			return -1;
		log_warnx("state record at %lld skipped: %s", (long long)off,
		    why);
	}
	return 0;
}

/* -L: our key and [trust], as svc_open loads them, to verify the log. */
static int
load_trust(struct signer *g, char *err, size_t errlen)
{
	char path[PATH_MAX], kerr[512];

	snprintf(g->svc.id, sizeof(g->svc.id), "%s", app_service_id(&g->app));
	snprintf(path, sizeof(path), "%s/signer.key",
	    cfg_str(g->app.cfg, "general", "key_dir"));
	if (env_key_load(path, g->svc.id, &g->svc.key, kerr,
	    sizeof(kerr)) == -1) {
		snprintf(err, errlen, "service key: %s", kerr);
		return -1;
	}
	if (env_trust_load(g->app.cfg, &g->svc.trust, err, errlen) == -1)
		return -1;
	if (env_trust_find(&g->svc.trust, g->svc.id) == NULL)
		(void)env_trust_add(&g->svc.trust, g->svc.id, g->svc.key.pk);
	return 0;
}

/*
 * -L: the decision log, read from Kafka (sets, every session): what a
 * restarted signer would rebuild.  A client, not a health check (-s).
 */
static void
declog(struct signer *g)
{
	struct ssess *s = NULL;
	const struct sset *set;
	char err[1024], hex[2 * PARTY_HASHLEN + 1];
	size_t i, j, cur = 0;

	if (load_trust(g, err, sizeof(err)) == -1)
		fatalx(EX_PERM, "%s", err);
	if (statelog_read(&g->app, g->state_topic, rebuild_cb, g,
	    REBUILD_TIMEOUT_MS, err, sizeof(err)) == -1)
		fatalx(EX_TEMP, "%s", err);
	route_after_rebuild(g);
	for (i = 0; i < g->st.nset; i++) {
		set = g->st.set[i];
		printf("set %u/%u validators=%zu shares=%llu%s%s names=",
		    set->network, set->session, set->n,
		    (unsigned long long)set->total,
		    set->from_config ? " config" : "",
		    set->retired ? " retired" : "");
		for (j = 0; j < set->n; j++)
			printf("%s%s", j ? "," : "", set->names[j]);
		printf("\n");
	}
	while ((s = state_sess_next(&g->st, &cur, s)) != NULL) {
		set = state_set_find(&g->st, s->network, s->session);
		hex_encode(s->sign_id, PARTY_HASHLEN, hex);
		printf("session %s kind=%s set=%u/%u attempt=%u stage=%s "
		    "member=%s threshold=%llu party=", hex,
		    state_kind_name(s->kind), s->network, s->session,
		    s->attempt, state_stage_name(s->stage),
		    s->member ? "yes" : "no",
		    (unsigned long long)s->threshold);
		for (j = 0; j < s->nparty; j++)
			printf("%s%s", j ? "," : "", set != NULL &&
			    s->party[j] < set->n ? set->names[s->party[j]] :
			    "?");
		if (s->completed)
			printf(" state=completed attempt_done=%u by=%s\n",
			    s->completed_attempt, s->completed_by != NULL ?
			    s->completed_by : "?");
		else
			printf(" state=%s\n", s->failed ? "failed" :
			    "pending");
	}
	printf("early %zu\n", g->st.nearly);
	for (i = 0; i < g->st.nhold; i++) {
		hex_encode(g->st.hold[i].sign_id, PARTY_HASHLEN, hex);
		printf("held %s set=%u/%u received_ms=%llu\n", hex,
		    g->st.hold[i].network, g->st.hold[i].session,
		    (unsigned long long)g->st.hold[i].received_ms);
	}
	printf("held %zu\n", g->st.nhold);
	if (fflush(stdout) == EOF)
		fatal(EX_TEMP, "stdout");
	exit(0);
}

/*
 * The status file (libcommon/stfile.h; -s prints and judges it, without
 * Kafka): counts, one line per set, one per session not yet completed
 * (the first 100), one per request held for a set not seen yet (the
 * first 100).
 */
static void
status(struct signer *g, int ready)
{
	struct ssess *s = NULL;
	const struct sset *set;
	char hex[2 * PARTY_HASHLEN + 1];
	uint64_t now = clock_wall_ms();
	size_t i, j, cur = 0, n = 0;
	FILE *f;

	if ((f = stfile_begin(&g->svc.status, ready, ready ? "ready" :
	    "starting", ready ? NULL : "reading the decision log and "
	    "waiting for our readiness probe through the broker")) == NULL)
		return;
	fprintf(f, "sessions known=%zu completed=%llu formed=%llu "
	    "reattempts=%llu early=%zu held=%zu rejected=%llu\n",
	    g->st.nsess, (unsigned long long)g->n_completed,
	    (unsigned long long)g->n_formed,
	    (unsigned long long)g->n_reattempts, g->st.nearly, g->st.nhold,
	    (unsigned long long)g->n_rejected);
	for (i = 0; i < g->st.nset; i++) {
		set = g->st.set[i];
		fprintf(f, "set %u/%u validators=%zu shares=%llu%s%s names=",
		    set->network, set->session, set->n,
		    (unsigned long long)set->total,
		    set->from_config ? " config" : "",
		    set->retired ? " retired" : "");
		for (j = 0; j < set->n; j++)
			fprintf(f, "%s%s", j ? "," : "", set->names[j]);
		fprintf(f, "\n");
	}
	while ((s = state_sess_next(&g->st, &cur, s)) != NULL && n < 100) {
		if (s->completed)
			continue;
		n++;
		set = state_set_find(&g->st, s->network, s->session);
		hex_encode(s->sign_id, PARTY_HASHLEN, hex);
		fprintf(f, "session %s kind=%s set=%u/%u attempt=%u stage=%s "
		    "member=%s threshold=%llu state=%s party=", hex,
		    state_kind_name(s->kind), s->network, s->session,
		    s->attempt, state_stage_name(s->stage),
		    s->member ? "yes" : "no",
		    (unsigned long long)s->threshold,
		    s->failed ? "failed" : "pending");
		for (j = 0; j < s->nparty; j++)
			fprintf(f, "%s%s", j ? "," : "", set != NULL &&
			    s->party[j] < set->n ? set->names[s->party[j]] :
			    "?");
		fprintf(f, "\n");
	}
	for (i = 0; i < g->st.nhold && i < 100; i++) {
		hex_encode(g->st.hold[i].sign_id, PARTY_HASHLEN, hex);
		fprintf(f, "held %s set=%u/%u for_ms=%llu\n", hex,
		    g->st.hold[i].network, g->st.hold[i].session,
		    (unsigned long long)(now > g->st.hold[i].received_ms ?
		    now - g->st.hold[i].received_ms : 0));
	}
	stfile_end(&g->svc.status, f);
}

/*
 * One transaction per turn, back to back: the broker finishes a commit
 * (its markers) after answering it, and the next transaction's first
 * request meanwhile gets CONCURRENT_TRANSACTIONS, retried after
 * retry.backoff.ms: 100 ms by default, which doubled the latency of a
 * routed message.  Unless [kafka] or -X set it, 10 ms (ahead of the -X
 * properties, so -X still wins).
 */
static void
tune_kafka(struct app *app)
{
	static char prop[] = "retry.backoff.ms=10";
	const struct cfg_sect *s;
	size_t i;

	if ((s = cfg_next(app->cfg, "kafka", NULL)) != NULL &&
	    cfg_sect_kv(s, "retry.backoff.ms") != NULL)
		return;
	for (i = 0; i < app->nxprop; i++)
		if (strncmp(app->xprop[i], "retry.backoff.ms=", 17) == 0)
			return;
	if (app->nxprop == APP_MAXX)
		return;
	memmove(&app->xprop[1], &app->xprop[0],
	    app->nxprop * sizeof(app->xprop[0]));
	app->xprop[0] = prop;
	app->nxprop++;
}

/* ------------------------------------------------------------ loop */

static void
gauges(struct signer *g)
{
	struct svc *s = &g->svc;

	svc_gauge(s, "coord_signer_sessions", "Signing sessions known.",
	    (double)g->st.nsess);
	svc_counter(s, "coord_signer_sessions_completed_total", "Sessions "
	    "completed.", (double)g->n_completed);
	svc_counter(s, "coord_signer_sessions_failed_total", "Sessions given "
	    "up: no party, or max_attempts timed out.", (double)g->n_failed);
	svc_counter(s, "coord_signer_parties_formed_total", "Parties formed "
	    "(attempts).", (double)g->n_formed);
	svc_counter(s, "coord_signer_reattempts_total", "Re-attempts after a "
	    "timeout.", (double)g->n_reattempts);
	svc_counter(s, "coord_signer_routed_out_total", "Processor messages "
	    "sent to party members.", (double)g->n_routed_out);
	svc_counter(s, "coord_signer_routed_in_total", "Members' messages "
	    "delivered to the processor.", (double)g->n_routed_in);
	svc_counter(s, "coord_signer_rejected_total", "Messages rejected "
	    "(dead letters).", (double)g->n_rejected);
	svc_counter(s, "coord_signer_late_dropped_total", "Our processor's "
	    "messages that came after the session moved on, dropped.",
	    (double)g->n_late);
	svc_gauge(s, "coord_signer_early_held", "Early messages held.",
	    (double)g->st.nearly);
	svc_gauge(s, "coord_signer_requests_held", "Processors' requests held "
	    "for a set not seen yet.", (double)g->st.nhold);
}

/*
 * Readiness needs the consumer's assignment, which the bus does not show:
 * a probe (a TestMessage to ourselves on signing, which processors ignore)
 * coming back proves it, and that what was there before it is handled.
 */
static int
probe_send(struct signer *g, uint8_t *intent, char *err, size_t errlen)
{
	Coord__TestMessage tm = COORD__TEST_MESSAGE__INIT;
	uint8_t nonce[16];
	struct env_intent in;

	randombytes_buf(nonce, sizeof(nonce));
	env_intent_init(&in, COORD__MSG_TYPE__TEST_MESSAGE);
	env_intent_str(&in, "signer readiness probe");
	env_intent_add(&in, nonce, sizeof(nonce));
	env_intent_final(&in, intent);
	tm.text = (char *)"signer readiness probe";
	return svc_send(&g->svc, TOPIC_SIGNING, COORD__MSG_TYPE__TEST_MESSAGE,
	    intent, g->svc.id, &tm.base, err, errlen);
}

static void
run(struct signer *g)
{
	struct bus *b = g->svc.bus;
	struct bus_msg m;
	Coord__Envelope *e;
	uint64_t now;
	long long batch = cfg_int(g->app.cfg, "signing", "batch_max");
	uint8_t probe[ENV_INTENTLEN];
	char err[1024];
	int r, timeout, ready = 0, probing = 0, eof = 0;
	long long n;

	while (!sig_term && !eof) {
		now = clock_wall_ms();
		timeout = 1000;
		if (g->next_deadline <= now)
			timeout = 0;
		else if (g->next_deadline - now < 1000)
			timeout = (int)(g->next_deadline - now);
		if (!ready && !probing)
			timeout = 0;
		if (bus_txn_begin(b, err, sizeof(err)) == -1)
			fatalx(EX_TEMP, "%s", err);
		if (!ready && !probing && bus_is_kafka_in(b) &&
		    bus_is_kafka_out(b)) {
			if (probe_send(g, probe, err, sizeof(err)) == -1)
				fatalx(EX_TEMP, "%s", err);
			probing = 1;
		}
		for (n = 0; n < batch; n++) {
			r = svc_recv(&g->svc, &m, &e, n == 0 ? timeout : 0,
			    err, sizeof(err));
			if (r == 0)
				break;
			if (r == -1) {
				if (!bus_eof(b))
					fatalx(EX_TEMP, "%s", err);
				eof = 1;
				break;
			}
			if (probing && e->type == COORD__MSG_TYPE__TEST_MESSAGE &&
			    memcmp(e->intent.data, probe, ENV_INTENTLEN) == 0)
				probing = 0;	/* assigned, caught up */
			else if (route_message(g, &m, e, err,
			    sizeof(err)) == -1)
				fatalx(EX_TEMP, "%s", err);
			svc_done(&g->svc, &m, e);
			env_free(e);
			bus_release(b, &m);
		}
		if (route_timers(g, err, sizeof(err)) == -1)
			fatalx(EX_TEMP, "%s", err);
		if (bus_txn_commit(b, err, sizeof(err)) == -1)
			fatalx(EX_TEMP, "%s: exiting; a restart resumes from "
			    "the last committed transaction", err);
		gauges(g);
		if (!ready && !probing) {
			log_info("ready: %zu set(s), %zu session(s), %zu early "
			    "message(s) from the log, %zu request(s) held",
			    g->st.nset, g->st.nsess, g->st.nearly,
			    g->st.nhold);
			ready_notify(g->app.readyfd);
			ready = 1;
			g->svc.status.next_ms = 0;	/* -s says so now */
		}
		if (stfile_due(&g->svc.status, clock_mono_ms()))
			status(g, ready);
	}
}

int
main(int argc, char **argv)
{
	static const enum bus_topic topics[] = {
		TOPIC_SERAI_OBSERVATION, TOPIC_CHAIN_OBSERVATION,
		TOPIC_SIGNING, TOPIC_P2P_INBOUND
	};
	struct bus_opts o;
	const char *txn;
	char err[1024];
	int perm;

	app_init(&sg.app, &spec, argc, argv);
	if (status_mode)
		stfile_print(&sg.app);
	if (sodium_init() == -1)
		fatalx(EX_TEMP, "libsodium failed to initialise");
	if (load_config(&sg, err, sizeof(err)) == -1)
		fatalx(EX_PERM, "%s", err);
	if (sg.app.check) {
		if (svc_check(&sg.app, err, sizeof(err)) == -1)
			fatalx(EX_PERM, "%s", err);
		app_check_ok(&sg.app);
	}
	if (declog_mode)
		declog(&sg);

	tune_kafka(&sg.app);
	memset(&o, 0, sizeof(o));
	o.app = &sg.app;
	o.topics = topics;
	o.ntopics = sizeof(topics) / sizeof(topics[0]);
	txn = cfg_str(sg.app.cfg, "signing", "transactional_id");
	o.txn_id = txn[0] != '\0' ? txn : app_service_id(&sg.app);
	o.produce = 1;
	o.from_start = 1;
	state_init(&sg.st);
	if ((sg.inner = dedupe_new(cfg_int(sg.app.cfg, "general",
	    "dedupe_window"))) == NULL)
		fatalx(EX_TEMP, "out of memory");
	if (svc_open(&sg.svc, &sg.app, &o, &perm, err, sizeof(err)) == -1)
		fatalx(perm ? EX_PERM : EX_TEMP, "%s", err);
	sg.svc.hb_network = "serai";
	sg.persist = bus_is_kafka_out(sg.svc.bus);
	if (sg.persist) {
		/* The producer has fenced older instances of us: what the
		 * log holds now is every decision ever committed. */
		if (statelog_create(&sg.app, sg.state_topic, err,
		    sizeof(err)) == -1)
			log_warnx("%s (reading it anyway)", err);
		if (statelog_read(&sg.app, sg.state_topic, rebuild_cb, &sg,
		    REBUILD_TIMEOUT_MS, err, sizeof(err)) == -1)
			fatalx(EX_TEMP, "%s", err);
	} else
		log_info("output is not Kafka: decisions are not logged");
	route_after_rebuild(&sg);

	run(&sg);
	if (route_end(&sg, err, sizeof(err)) == -1)
		log_warnx("%s", err);

	log_info("stopping: %zu session(s), %llu completed", sg.st.nsess,
	    (unsigned long long)sg.n_completed);
	if (svc_close(&sg.svc) == -1)
		log_warnx("not every record was delivered at exit");
	dedupe_free(sg.inner);
	state_free(&sg.st);
	free(sg.val);
	return 0;
}

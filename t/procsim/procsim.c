/*
 * procsim: a processor simulator, the processor side of the signing topics.
 *
 *	procsim [options]				run (see below)
 *	procsim [options] -R NET SESSION SIGNID BLOCK [PAYLOAD]
 *		post one SignRequest on chain-observation and exit
 *	procsim [options] -F -k KEYFILE -I ID NET SESSION SIGNID ATTEMPT STAGE
 *	    VALIDATOR [TO...]
 *		put on p2p-outbound a P2pSend (to TO..., or everyone) of a
 *		SignMessage claiming to be VALIDATOR's, sealed with KEYFILE as
 *		service ID: what a faulty or hostile peer could send (tests)
 *	procsim [options] -C
 *		create the configuration's topics (one partition each), exit
 *	procsim [options] -D TOPIC
 *		print every record of TOPIC (a [topics] key or a name) from
 *		its start to its end as JSON Lines, and exit
 *
 *	-s	silent: heartbeats only, never answers (a dead party member)
 *	-N NET	the network it serves (heartbeats; 0: any)
 *	-b N	bench: once in a party, send N timed messages one by one,
 *		each after the previous one came back; print "rtt_us X"
 *	-e	bench: echo timed messages back; print "oneway_us X"
 *	-K	key sets: when a SIGN_KEY_GEN session completes and its result
 *		verifies, post on p2p-inbound a bare Instruction (origin: our
 *		[general] name; intent over network and session, so a
 *		redelivery is dropped) whose extrinsic is the unsigned
 *		ValidatorSets.set_keys(network, key_pair, signature) of the
 *		dev node (t/devnode: 0x04, pallet 3, call 0), with
 *		  substrate key = BLAKE2b-256("procsim/substrate-key/v1" || R)
 *		  network key = BLAKE2b-256("procsim/network-key/v1" || R)
 *		  signature = the dev node's dev signature for the set
 *		    (BLAKE2b-512("serai-devnode/set-keys/v1" || u8 network
 *		    || u32le session || substrate key || network key))
 *		for the result R: every validator's procsim makes the same
 *		bytes, so the node takes the first and answers the others
 *		"already imported" or "temporarily banned"
 *	-O	observation: also consume serai-observation ([topics]
 *		serai_observation), as a real processor does, and print
 *		"block N recv_ms=MS" for each BlockUpdate (MS: the Unix
 *		time, ms, at which it was received; t/bench/network.sh)
 *	-T	timestamps: end the formed, share, done and completed lines
 *		with " recv_ms=MS", the Unix time (ms) at which the message
 *		that caused them was received (t/bench/network.sh)
 *
 * Run: heartbeats on chain-health (svc), and on `signing`:
 *   PartyFormed (we are in the party) -> our preprocess: PRE1 || pk ||
 *	Ed25519(sk, "procsim/preprocess/v1" || sign_id || u32le attempt);
 *   every other member's preprocess -> our share: SHR1 || pk ||
 *	Ed25519(sk, "procsim/share/v1" || sign_id);
 *   every member's share -> the result (stage DONE): for each member in
 *	party order, u8 len || validator name || pk[32] || sig[64];
 *   SignCompleted -> the result is verified: each signature against the
 *	[trust] key of "<validator>.procsim", distinct validators.
 * A multi-party scheme, not a threshold signature: that is the real
 * processors' job.  Lines on stdout say what it did (for the tests):
 *   formed ID attempt=A party=a,b,c at=P:O
 *	(P:O: the PartyFormed record's partition and offset, so that a
 *	record read again after a restart is told from a second request)
 *   share ID attempt=A
 *   done ID attempt=A
 *   completed ID attempt=A by=V signers=a,b,c verified=yes|no:REASON
 *	(verified=chain, with no signers, when the chain's KeyGen event
 *	completed a key generation before a result came)
 *   submitted ID network=N session=S	(-K)
 *   block N recv_ms=MS			(-O)
 * ID is the first 8 bytes of the sign id in hex.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>
#include <sodium.h>

#include "hex.h"
#include "app.h"
#include "bus.h"
#include "cfg.h"
#include "envelope.h"
#include "log.h"
#include "proto/observation.pb-c.h"
#include "proto/p2p.pb-c.h"
#include "proto/signing.pb-c.h"
#include "sig.h"
#include "signer/statelog.h"
#include "svc.h"

#define MAXPENDING	4096
#define SIGLEN		crypto_sign_BYTES
#define PKLEN		crypto_sign_PUBLICKEYBYTES
#define BENCH_MAGIC	"BENCH1"

struct member {
	char		*name;
	uint32_t	 index;
	int		 have_pre;
	uint8_t		 pk[PKLEN];
	int		 have_share;
	uint8_t		 sig[SIGLEN];
};

struct psess {
	struct psess	*next;
	uint8_t		 id[32];
	uint32_t	 attempt;
	uint32_t	 network;
	uint32_t	 session;
	struct member	*m;
	size_t		 n;
	long		 us;		/* our member index */
	int		 shared;
	int		 done;
	int		 bench_started;
};

static struct app	 app;
static struct svc	 svc;
static struct psess	*sessions;
static int		 silent, request_mode, echo, create_mode, forge_mode;
static int		 set_keys, observe, stamps;
static const char	*forge_key, *forge_id;
static const char	*dump_topic;
static long long	 network, bench_n;
static uint8_t		*pending[MAXPENDING];	/* packed SignMessage */
static size_t		 pendlen[MAXPENDING], npending;
static long long	 bench_sent;
static uint64_t		 bench_t0;

static int	 opt(struct app *, int, const char *);
static int	 is_local(const char *);
static void	 idhex(const uint8_t *, char *);
static uint64_t	 now_ns(void);
static void	 stamp(void);
static int	 send_sign(struct psess *, int, const uint8_t *, size_t,
		    const char *, const uint8_t *);
static struct psess *find(const uint8_t *, uint32_t);
static void	 on_formed(const Coord__PartyFormed *, const struct bus_msg *);
static int	 on_message(const Coord__SignMessage *, int);
static void	 on_completed(const Coord__SignCompleted *);
static void	 submit_keys(const Coord__SignCompleted *, const char *);
static void	 hash_of(uint8_t *, size_t, const char *, const uint8_t *,
		    size_t);
static void	 maybe_share(struct psess *);
static void	 maybe_done(struct psess *);
static void	 bench_next(struct psess *);
static void	 add_pending(const Coord__SignMessage *);
static void	 retry_pending(void);
static int	 do_request(void);
static int	 do_forge(void);
static int	 dump_cb(void *, const char *, size_t, const uint8_t *, size_t,
		    int64_t);
static void	 put32(uint8_t *, uint32_t);
static int	 send_keyed(enum bus_topic, uint32_t, const uint8_t *,
		    const uint8_t *, const ProtobufCMessage *, char *, size_t);
static int	 create_topics(void);
static void	 quiet(const rd_kafka_t *, int, const char *, const char *);

static const struct app_spec spec = {
	.prog = "procsim",
	.operands = "[-R NET SESSION SIGNID BLOCK [PAYLOAD] | -D TOPIC]",
	.opts = "sN:b:eRD:CFk:I:KOT",
	.optusage = "  -s         silent: never answer\n"
	    "  -N net     the network served\n"
	    "  -b n       bench: n timed round trips\n"
	    "  -e         bench: echo timed messages\n"
	    "  -K         submit set_keys for completed key generations\n"
	    "  -O         also consume serai-observation: block lines\n"
	    "  -T         receive times (recv_ms=) on the session lines\n"
	    "  -R         post one SignRequest and exit\n"
	    "  -D topic   print a topic's records as JSON Lines and exit\n"
	    "  -C         create the configuration's topics (1 partition) "
	    "and exit\n"
	    "  -F         forge a peer's SignMessage (with -k key -I id) and "
	    "exit\n",
	.opt = opt,
};

static int
opt(struct app *a, int ch, const char *arg)
{
	(void)a;
	switch (ch) {
	case 's':
		silent = 1;
		return 0;
	case 'N':
		return cfg_parse_int(arg, &network);
	case 'b':
		return cfg_parse_int(arg, &bench_n);
	case 'e':
		echo = 1;
		return 0;
	case 'R':
		request_mode = 1;
		return 0;
	case 'D':
		dump_topic = arg;
		return 0;
	case 'C':
		create_mode = 1;
		return 0;
	case 'F':
		forge_mode = 1;
		return 0;
	case 'k':
		forge_key = arg;
		return 0;
	case 'I':
		forge_id = arg;
		return 0;
	case 'K':
		set_keys = 1;
		return 0;
	case 'O':
		observe = 1;
		return 0;
	case 'T':
		stamps = 1;
		return 0;
	default:
		return -1;
	}
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* -T: " recv_ms=MS" before the end of a line, now */
static void
stamp(void)
{
	if (stamps)
		printf(" recv_ms=%llu", (unsigned long long)(now_ns() /
		    1000000));
}

static int
is_local(const char *from)
{
	const char *name = cfg_str(app.cfg, "general", "name");
	size_t n = strlen(name);

	return strncmp(from, name, n) == 0 && from[n] == '.';
}

static void
idhex(const uint8_t *id, char *out)
{
	hex_encode(id, 8, out);
}

static struct psess *
find(const uint8_t *id, uint32_t attempt)
{
	struct psess *s;

	for (s = sessions; s != NULL; s = s->next)
		if (memcmp(s->id, id, 32) == 0 && s->attempt == attempt)
			return s;
	return NULL;
}

static int
send_sign(struct psess *s, int stage, const uint8_t *payload, size_t len,
    const char *to, const uint8_t *nonce)
{
	Coord__SignMessage sm = COORD__SIGN_MESSAGE__INIT;
	struct env_intent in;
	uint8_t intent[ENV_INTENTLEN];
	char err[512];

	sm.sign_id.data = s->id;
	sm.sign_id.len = 32;
	sm.attempt = s->attempt;
	sm.stage = stage;
	sm.payload.data = (uint8_t *)(uintptr_t)payload;
	sm.payload.len = len;
	sm.to = (char *)(uintptr_t)(to != NULL ? to : "");
	env_intent_init(&in, COORD__MSG_TYPE__SIGN_MESSAGE);
	env_intent_str(&in, svc.id);
	env_intent_add(&in, s->id, 32);
	env_intent_u64(&in, s->attempt);
	env_intent_u64(&in, (uint64_t)stage);
	if (nonce != NULL)
		env_intent_add(&in, nonce, 8);
	env_intent_final(&in, intent);
	if (send_keyed(TOPIC_SIGNING, COORD__MSG_TYPE__SIGN_MESSAGE, intent,
	    s->id, &sm.base, err, sizeof(err)) == -1 ||
	    bus_sync(svc.bus, 30000, err, sizeof(err)) == -1) {
		log_warnx("send: %s", err);
		return -1;
	}
	return 0;
}

/* svc_send, with the sign id as the record key (one partition each). */
static int
send_keyed(enum bus_topic t, uint32_t type, const uint8_t *intent,
    const uint8_t *key, const ProtobufCMessage *body, char *err,
    size_t errlen)
{
	Coord__Envelope e = COORD__ENVELOPE__INIT;
	uint8_t *bb, *buf;
	size_t bn, len;
	int rc;

	bn = protobuf_c_message_get_packed_size(body);
	if ((bb = malloc(bn + 1)) == NULL)
		fatalx(EX_TEMP, "out of memory");
	protobuf_c_message_pack(body, bb);
	e.type = type;
	e.intent.data = (uint8_t *)(uintptr_t)intent;
	e.intent.len = ENV_INTENTLEN;
	e.to = (char *)"";
	e.body.data = bb;
	e.body.len = bn;
	if ((buf = env_seal(&e, &svc.key, &len)) == NULL)
		fatalx(EX_TEMP, "out of memory");
	free(bb);
	rc = bus_send(svc.bus, bus_topic(svc.bus, t), key, 32, buf, len, err,
	    errlen);
	free(buf);
	return rc;
}

static void
quiet(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	if (level <= 3)
		log_warnx("kafka: %s: %s", fac, buf);
}

/*
 * -C: every topic of the configuration, by asking a producer for their
 * metadata: the broker creates missing ones with its defaults (the mock
 * cluster does not answer CreateTopics).
 */
static int
create_topics(void)
{
	const struct rd_kafka_metadata *md;
	const struct cfg_sect *sec;
	rd_kafka_conf_t *conf;
	rd_kafka_topic_t *rkt;
	rd_kafka_t *rk;
	char e[512], key[256];
	const char *eq, *names[TOPIC_COUNT];
	size_t i;
	int k, tries, bad = 0;

	conf = rd_kafka_conf_new();
	rd_kafka_conf_set_log_cb(conf, quiet);
	if (rd_kafka_conf_set(conf, "bootstrap.servers", "127.0.0.1:9092", e,
	    sizeof(e)) != RD_KAFKA_CONF_OK)
		fatalx(EX_PERM, "%s", e);
	if ((sec = cfg_next(app.cfg, "kafka", NULL)) != NULL)
		for (i = 0; i < sec->nkv; i++)
			if (rd_kafka_conf_set(conf, sec->kv[i].key,
			    sec->kv[i].val, e, sizeof(e)) != RD_KAFKA_CONF_OK)
				fatalx(EX_PERM, "%s", e);
	for (i = 0; i < app.nxprop; i++) {
		eq = strchr(app.xprop[i], '=');
		snprintf(key, sizeof(key), "%.*s", (int)(eq - app.xprop[i]),
		    app.xprop[i]);
		if (rd_kafka_conf_set(conf, key, eq + 1, e, sizeof(e)) !=
		    RD_KAFKA_CONF_OK)
			fatalx(EX_PERM, "%s", e);
	}
	if ((rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof(e))) == NULL)
		fatalx(EX_TEMP, "kafka: %s", e);
	names[0] = "serai_observation";
	names[1] = "chain_observation";
	names[2] = "chain_health";
	names[3] = "signing";
	names[4] = "p2p_outbound";
	names[5] = "p2p_inbound";
	names[6] = "coordinator_state";
	names[7] = "coordinator_dlq";
	for (k = 0; k < TOPIC_COUNT; k++) {
		rkt = rd_kafka_topic_new(rk, cfg_str(app.cfg, "topics",
		    names[k]), NULL);
		for (tries = 0; tries < 50; tries++) {
			md = NULL;
			if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) == 0 &&
			    md->topic_cnt == 1 && md->topics[0].err == 0 &&
			    md->topics[0].partition_cnt > 0) {
				rd_kafka_metadata_destroy(md);
				break;
			}
			if (md != NULL)
				rd_kafka_metadata_destroy(md);
			poll(NULL, 0, 100);
		}
		if (tries == 50) {
			log_warnx("topic %s not created", rd_kafka_topic_name(
			    rkt));
			bad = 1;
		}
		rd_kafka_topic_destroy(rkt);
	}
	rd_kafka_destroy(rk);
	return bad ? EX_TEMP : 0;
}

static void
on_formed(const Coord__PartyFormed *pf, const struct bus_msg *rec)
{
	uint8_t msg[64], pay[4 + PKLEN + SIGLEN];
	struct psess *s;
	char hid[17];
	size_t i;

	if (pf->sign_id.len != 32 || pf->set == NULL)
		return;
	if (network != 0 && pf->set->network != network)
		return;
	idhex(pf->sign_id.data, hid);
	if ((s = find(pf->sign_id.data, pf->attempt)) != NULL) {
		printf("duplicate-party %s attempt=%u\n", hid, pf->attempt);
		fflush(stdout);
		return;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->m = calloc(pf->n_party ? pf->n_party : 1, sizeof(*s->m))) ==
	    NULL)
		fatalx(EX_TEMP, "out of memory");
	memcpy(s->id, pf->sign_id.data, 32);
	s->attempt = pf->attempt;
	s->network = pf->set->network;
	s->session = pf->set->session;
	s->n = pf->n_party;
	s->us = -1;
	printf("formed %s attempt=%u party=", hid, pf->attempt);
	for (i = 0; i < s->n; i++) {
		if ((s->m[i].name = strdup(pf->party[i]->validator)) == NULL)
			fatalx(EX_TEMP, "out of memory");
		s->m[i].index = pf->party[i]->index;
		if (pf->party[i]->index == pf->our_index)
			s->us = (long)i;
		printf("%s%s", i ? "," : "", s->m[i].name);
	}
	printf(" at=%d:%lld", (int)rec->partition, (long long)rec->offset);
	stamp();
	printf("\n");
	fflush(stdout);
	s->next = sessions;
	sessions = s;
	if (s->us >= 0 && bench_n > 0)
		bench_next(s);
	if (s->us < 0 || silent || bench_n > 0 || echo)
		return;		/* bench sessions carry timed messages only */
	/* Our preprocess. */
	memcpy(msg, "procsim/preprocess/v1", 21);
	memcpy(msg + 21, s->id, 32);
	put32(msg + 53, s->attempt);
	memcpy(pay, "PRE1", 4);
	memcpy(pay + 4, svc.key.pk, PKLEN);
	crypto_sign_detached(pay + 4 + PKLEN, NULL, msg, 57, svc.key.sk);
	memcpy(s->m[s->us].pk, svc.key.pk, PKLEN);
	s->m[s->us].have_pre = 1;
	(void)send_sign(s, COORD__SIGN_STAGE__SIGN_PREPROCESS, pay,
	    sizeof(pay), NULL, NULL);
	retry_pending();
	maybe_share(s);
}

static void
maybe_share(struct psess *s)
{
	uint8_t msg[64], pay[4 + PKLEN + SIGLEN];
	char hid[17];
	size_t i;

	if (s->us < 0 || s->shared || silent)
		return;
	for (i = 0; i < s->n; i++)
		if (!s->m[i].have_pre)
			return;
	memcpy(msg, "procsim/share/v1", 16);
	memcpy(msg + 16, s->id, 32);
	memcpy(pay, "SHR1", 4);
	memcpy(pay + 4, svc.key.pk, PKLEN);
	crypto_sign_detached(pay + 4 + PKLEN, NULL, msg, 48, svc.key.sk);
	memcpy(s->m[s->us].sig, pay + 4 + PKLEN, SIGLEN);
	s->m[s->us].have_share = 1;
	s->shared = 1;
	idhex(s->id, hid);
	printf("share %s attempt=%u", hid, s->attempt);
	stamp();
	printf("\n");
	fflush(stdout);
	(void)send_sign(s, COORD__SIGN_STAGE__SIGN_SHARE, pay, sizeof(pay),
	    NULL, NULL);
	maybe_done(s);
}

static void
maybe_done(struct psess *s)
{
	uint8_t *res, *p;
	char hid[17];
	size_t i, len = 0;

	if (s->us < 0 || s->done || silent)
		return;
	for (i = 0; i < s->n; i++) {
		if (!s->m[i].have_share)
			return;
		len += 1 + strlen(s->m[i].name) + PKLEN + SIGLEN;
	}
	if ((res = p = malloc(len)) == NULL)
		fatalx(EX_TEMP, "out of memory");
	for (i = 0; i < s->n; i++) {
		*p++ = (uint8_t)strlen(s->m[i].name);
		memcpy(p, s->m[i].name, strlen(s->m[i].name));
		p += strlen(s->m[i].name);
		memcpy(p, s->m[i].pk, PKLEN);
		p += PKLEN;
		memcpy(p, s->m[i].sig, SIGLEN);
		p += SIGLEN;
	}
	s->done = 1;
	idhex(s->id, hid);
	printf("done %s attempt=%u", hid, s->attempt);
	stamp();
	printf("\n");
	fflush(stdout);
	(void)send_sign(s, COORD__SIGN_STAGE__SIGN_DONE, res, len, NULL,
	    NULL);
	free(res);
}

static void
bench_next(struct psess *s)
{
	uint8_t pay[sizeof(BENCH_MAGIC) - 1 + 16];
	uint64_t t, seq;

	if (bench_sent >= bench_n)
		return;
	seq = (uint64_t)bench_sent++;
	t = now_ns();
	memcpy(pay, BENCH_MAGIC, sizeof(BENCH_MAGIC) - 1);
	memcpy(pay + sizeof(BENCH_MAGIC) - 1, &seq, 8);
	memcpy(pay + sizeof(BENCH_MAGIC) - 1 + 8, &t, 8);
	bench_t0 = t;
	(void)send_sign(s, COORD__SIGN_STAGE__SIGN_PREPROCESS, pay,
	    sizeof(pay), NULL, pay + sizeof(BENCH_MAGIC) - 1);
}

/* 1: handled, 0: for a session not formed yet. */
static int
on_message(const Coord__SignMessage *sm, int retry)
{
	uint8_t msg[64];
	struct psess *s;
	uint64_t t, seq;
	size_t i, ml = sizeof(BENCH_MAGIC) - 1;
	long k = -1;

	if (sm->sign_id.len != 32)
		return 1;
	if ((s = find(sm->sign_id.data, sm->attempt)) == NULL)
		return 0;
	if (sm->payload.len == ml + 16 &&
	    memcmp(sm->payload.data, BENCH_MAGIC, ml) == 0) {
		memcpy(&seq, sm->payload.data + ml, 8);
		memcpy(&t, sm->payload.data + ml + 8, 8);
		if (echo) {
			printf("oneway_us %.1f\n", (now_ns() - t) / 1000.0);
			fflush(stdout);
			(void)send_sign(s, COORD__SIGN_STAGE__SIGN_PREPROCESS,
			    sm->payload.data, sm->payload.len, sm->validator,
			    sm->payload.data + ml);
		} else if (bench_n > 0 && t == bench_t0) {
			printf("rtt_us %.1f\n", (now_ns() - t) / 1000.0);
			fflush(stdout);
			bench_next(s);
		}
		return 1;
	}
	(void)retry;
	if (silent || s->us < 0)
		return 1;
	for (i = 0; i < s->n; i++)
		if (strcmp(s->m[i].name, sm->validator) == 0)
			k = (long)i;
	if (k < 0 || k == s->us) {
		log_warnx("message from %s, not another party member",
		    sm->validator);
		return 1;
	}
	switch (sm->stage) {
	case COORD__SIGN_STAGE__SIGN_PREPROCESS:
		if (sm->payload.len != 4 + PKLEN + SIGLEN ||
		    memcmp(sm->payload.data, "PRE1", 4) != 0)
			break;
		memcpy(msg, "procsim/preprocess/v1", 21);
		memcpy(msg + 21, s->id, 32);
		put32(msg + 53, s->attempt);
		if (crypto_sign_verify_detached(sm->payload.data + 4 + PKLEN,
		    msg, 57, sm->payload.data + 4) != 0) {
			log_warnx("bad preprocess signature from %s",
			    sm->validator);
			break;
		}
		memcpy(s->m[k].pk, sm->payload.data + 4, PKLEN);
		s->m[k].have_pre = 1;
		maybe_share(s);
		break;
	case COORD__SIGN_STAGE__SIGN_SHARE:
		if (!s->m[k].have_pre || sm->payload.len != 4 + PKLEN +
		    SIGLEN || memcmp(sm->payload.data + 4, s->m[k].pk,
		    PKLEN) != 0)
			return 0;	/* its preprocess first */
		memcpy(msg, "procsim/share/v1", 16);
		memcpy(msg + 16, s->id, 32);
		if (crypto_sign_verify_detached(sm->payload.data + 4 + PKLEN,
		    msg, 48, s->m[k].pk) != 0) {
			log_warnx("bad share from %s", sm->validator);
			break;
		}
		memcpy(s->m[k].sig, sm->payload.data + 4 + PKLEN, SIGLEN);
		s->m[k].have_share = 1;
		maybe_done(s);
		break;
	default:
		break;
	}
	return 1;
}

static void
add_pending(const Coord__SignMessage *sm)
{
	size_t n;

	if (npending == MAXPENDING) {
		log_warnx("too many messages for unknown sessions");
		return;
	}
	n = coord__sign_message__get_packed_size(sm);
	if ((pending[npending] = malloc(n + 1)) == NULL)
		fatalx(EX_TEMP, "out of memory");
	coord__sign_message__pack(sm, pending[npending]);
	pendlen[npending++] = n;
}

static void
retry_pending(void)
{
	Coord__SignMessage *sm;
	size_t i, k = 0;
	int done;

	for (i = 0; i < npending; i++) {
		sm = coord__sign_message__unpack(NULL, pendlen[i], pending[i]);
		done = sm == NULL || on_message(sm, 1);
		if (sm != NULL)
			coord__sign_message__free_unpacked(sm, NULL);
		if (done)
			free(pending[i]);
		else {
			pending[k] = pending[i];
			pendlen[k++] = pendlen[i];
		}
	}
	npending = k;
}

static void
on_completed(const Coord__SignCompleted *sc)
{
	const unsigned char *tk;
	const uint8_t *p, *end;
	uint8_t msg[64];
	char hid[17], name[256], id[300], signers[4096], why[700];
	char seen[64][256];
	size_t nl, nseen = 0, i;
	int good = 1;

	if (sc->sign_id.len != 32)
		return;
	idhex(sc->sign_id.data, hid);
	signers[0] = '\0';
	why[0] = '\0';
	p = sc->result.data;
	end = p + sc->result.len;
	memcpy(msg, "procsim/share/v1", 16);
	memcpy(msg + 16, sc->sign_id.data, 32);
	if (sc->result.len == 0 && strcmp(sc->validator, "chain") == 0) {
		/* The chain's KeyGen completed it: its key pair is on chain,
		 * submitted from a result some processor verified. */
		printf("completed %s attempt=%u by=chain signers= "
		    "verified=chain", hid, sc->attempt);
		stamp();
		printf("\n");
		fflush(stdout);
		return;
	}
	if (sc->result.len == 0) {
		good = 0;
		snprintf(why, sizeof(why), "no result (completed by %s)",
		    sc->validator);
	}
	while (good && p < end) {
		nl = *p++;
		if ((size_t)(end - p) < nl + PKLEN + SIGLEN) {
			good = 0;
			snprintf(why, sizeof(why), "truncated result");
			break;
		}
		memcpy(name, p, nl);
		name[nl] = '\0';
		p += nl;
		snprintf(id, sizeof(id), "%s.procsim", name);
		tk = env_trust_find(&svc.trust, id);
		if (tk == NULL || memcmp(tk, p, PKLEN) != 0) {
			good = 0;
			snprintf(why, sizeof(why), "key of %s is not the "
			    "trusted %s", name, id);
		} else if (crypto_sign_verify_detached(p + PKLEN, msg, 48,
		    p) != 0) {
			good = 0;
			snprintf(why, sizeof(why), "bad signature of %s",
			    name);
		}
		for (i = 0; i < nseen; i++)
			if (strcmp(seen[i], name) == 0) {
				good = 0;
				snprintf(why, sizeof(why), "%s signed twice",
				    name);
			}
		if (nseen < 64)
			snprintf(seen[nseen++], sizeof(seen[0]), "%s", name);
		if (strlen(signers) + nl + 2 < sizeof(signers)) {
			if (signers[0] != '\0')
				strcat(signers, ",");
			strcat(signers, name);
		}
		p += PKLEN + SIGLEN;
	}
	printf("completed %s attempt=%u by=%s signers=%s verified=%s%s%s",
	    hid, sc->attempt, sc->validator, signers, good ? "yes" : "no",
	    good ? "" : ":", good ? "" : why);
	stamp();
	printf("\n");
	fflush(stdout);
	if (set_keys && good && sc->kind == COORD__SIGN_KIND__SIGN_KEY_GEN)
		submit_keys(sc, hid);
}

/* BLAKE2b-len(domain || data) */
static void
hash_of(uint8_t *out, size_t len, const char *domain, const uint8_t *data,
    size_t dlen)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, len);
	crypto_generichash_update(&st, (const uint8_t *)domain,
	    strlen(domain));
	crypto_generichash_update(&st, data, dlen);
	crypto_generichash_final(&st, out, len);
}

/*
 * -K: the set's keys to the chain, as ValidatorSets.set_keys, through
 * the observer (a bare Instruction on p2p-inbound).
 */
static void
submit_keys(const Coord__SignCompleted *sc, const char *hid)
{
	Coord__Instruction in = COORD__INSTRUCTION__INIT;
	struct env_intent it;
	uint8_t xt[2 + 133], intent[ENV_INTENTLEN], *p;
	uint32_t net, ses;
	char err[512];

	if (sc->set == NULL || sc->set->network < 1 || sc->set->network > 3) {
		log_warnx("key generation %s: not an external network's set; "
		    "no set_keys", hid);
		return;
	}
	net = sc->set->network;
	ses = sc->set->session;
	/* Compact<u32>(133), then 0x04, pallet, call, the arguments */
	p = xt;
	*p++ = (133 << 2 | 1) & 0xff;
	*p++ = (133 << 2 | 1) >> 8;
	*p++ = 0x04;
	*p++ = 3;			/* ValidatorSets */
	*p++ = 0;			/* set_keys */
	*p++ = (uint8_t)net;
	hash_of(p, 32, "procsim/substrate-key/v1", sc->result.data,
	    sc->result.len);
	p += 32;
	*p++ = 32 << 2;			/* ExternalKey: Compact<len> */
	hash_of(p, 32, "procsim/network-key/v1", sc->result.data,
	    sc->result.len);
	p += 32;
	{
		static const char dom[] = "serai-devnode/set-keys/v1";
		crypto_generichash_state st;
		uint8_t n8 = (uint8_t)net, le[4];

		put32(le, ses);
		crypto_generichash_init(&st, NULL, 0, 64);
		crypto_generichash_update(&st, (const uint8_t *)dom,
		    sizeof(dom) - 1);
		crypto_generichash_update(&st, &n8, 1);
		crypto_generichash_update(&st, le, 4);
		crypto_generichash_update(&st, xt + 6, 32);
		crypto_generichash_update(&st, xt + 39, 32);
		crypto_generichash_final(&st, p, 64);
	}
	in.extrinsic.data = xt;
	in.extrinsic.len = sizeof(xt);
	in.origin = (char *)(uintptr_t)cfg_str(app.cfg, "general", "name");
	env_intent_init(&it, COORD__MSG_TYPE__INSTRUCTION);
	env_intent_str(&it, "procsim/set-keys");
	env_intent_u64(&it, net);
	env_intent_u64(&it, ses);
	env_intent_final(&it, intent);
	if (svc_send(&svc, TOPIC_P2P_INBOUND, COORD__MSG_TYPE__INSTRUCTION,
	    intent, "", &in.base, err, sizeof(err)) == -1 ||
	    bus_sync(svc.bus, 30000, err, sizeof(err)) == -1) {
		log_warnx("key generation %s: set_keys: %s", hid, err);
		return;
	}
	printf("submitted %s network=%u session=%u\n", hid, net, ses);
	fflush(stdout);
}

static int
do_request(void)
{
	Coord__SignRequest r = COORD__SIGN_REQUEST__INIT;
	Coord__ValidatorSet vs = COORD__VALIDATOR_SET__INIT;
	struct env_intent in;
	uint8_t intent[ENV_INTENTLEN], id[32], block[32];
	long long net, ses;
	char err[512];

	if (app.argc < 4 || app.argc > 5 ||
	    cfg_parse_int(app.argv[0], &net) == -1 ||
	    cfg_parse_int(app.argv[1], &ses) == -1 ||
	    strlen(app.argv[2]) != 64 || strlen(app.argv[3]) != 64 ||
	    hex_decode(app.argv[2], id, 32) == -1 ||
	    hex_decode(app.argv[3], block, 32) == -1)
		app_usage();
	vs.network = (uint32_t)net;
	vs.session = (uint32_t)ses;
	r.set = &vs;
	r.sign_id.data = id;
	r.sign_id.len = 32;
	r.block_hash.data = block;
	r.block_hash.len = 32;
	r.kind = COORD__SIGN_KIND__SIGN_PROCESSOR;
	if (app.argc == 5) {
		r.payload.data = (uint8_t *)app.argv[4];
		r.payload.len = strlen(app.argv[4]);
	}
	env_intent_init(&in, COORD__MSG_TYPE__SIGN_REQUEST);
	env_intent_add(&in, id, 32);
	env_intent_final(&in, intent);
	if (send_keyed(TOPIC_CHAIN_OBSERVATION, COORD__MSG_TYPE__SIGN_REQUEST,
	    intent, id, &r.base, err, sizeof(err)) == -1 ||
	    bus_sync(svc.bus, 30000, err, sizeof(err)) == -1)
		fatalx(EX_TEMP, "%s", err);
	return 0;
}

static int
do_forge(void)
{
	Coord__Envelope inner = COORD__ENVELOPE__INIT;
	Coord__SignMessage sm = COORD__SIGN_MESSAGE__INIT;
	Coord__ValidatorSet vs = COORD__VALIDATOR_SET__INIT;
	Coord__P2pSend ps = COORD__P2P_SEND__INIT;
	struct env_intent in;
	struct env_key k;
	uint8_t intent[ENV_INTENTLEN], id[32], nonce[8], *body, *sealed;
	long long net, ses, att, stage;
	size_t blen, slen;
	char err[512];

	if (forge_key == NULL || forge_id == NULL || app.argc < 6 ||
	    cfg_parse_int(app.argv[0], &net) == -1 ||
	    cfg_parse_int(app.argv[1], &ses) == -1 ||
	    strlen(app.argv[2]) != 64 ||
	    hex_decode(app.argv[2], id, 32) == -1 ||
	    cfg_parse_int(app.argv[3], &att) == -1 ||
	    cfg_parse_int(app.argv[4], &stage) == -1)
		app_usage();
	if (env_key_load(forge_key, forge_id, &k, err, sizeof(err)) == -1)
		fatalx(EX_PERM, "%s", err);
	randombytes_buf(nonce, sizeof(nonce));
	vs.network = (uint32_t)net;
	vs.session = (uint32_t)ses;
	sm.set = &vs;
	sm.sign_id.data = id;
	sm.sign_id.len = 32;
	sm.attempt = (uint32_t)att;
	sm.stage = (int)stage;
	sm.validator = app.argv[5];
	sm.payload.data = nonce;
	sm.payload.len = sizeof(nonce);
	blen = coord__sign_message__get_packed_size(&sm);
	if ((body = malloc(blen + 1)) == NULL)
		fatalx(EX_TEMP, "out of memory");
	coord__sign_message__pack(&sm, body);
	env_intent_init(&in, COORD__MSG_TYPE__SIGN_MESSAGE);
	env_intent_str(&in, "forged");
	env_intent_add(&in, nonce, sizeof(nonce));
	env_intent_final(&in, intent);
	inner.type = COORD__MSG_TYPE__SIGN_MESSAGE;
	inner.intent.data = intent;
	inner.intent.len = ENV_INTENTLEN;
	inner.to = (char *)"";
	inner.body.data = body;
	inner.body.len = blen;
	if ((sealed = env_seal(&inner, &k, &slen)) == NULL)
		fatalx(EX_TEMP, "out of memory");
	ps.validators = app.argv + 6;
	ps.n_validators = app.argc - 6;
	ps.envelope.data = sealed;
	ps.envelope.len = slen;
	env_intent_init(&in, COORD__MSG_TYPE__P2P_SEND);
	env_intent_add(&in, intent, ENV_INTENTLEN);
	env_intent_final(&in, intent);
	if (send_keyed(TOPIC_P2P_OUTBOUND, COORD__MSG_TYPE__P2P_SEND, intent,
	    id, &ps.base, err, sizeof(err)) == -1 ||
	    bus_sync(svc.bus, 30000, err, sizeof(err)) == -1)
		fatalx(EX_TEMP, "%s", err);
	free(body);
	free(sealed);
	env_key_wipe(&k);
	return 0;
}

static int
dump_cb(void *arg, const char *key, size_t keylen, const uint8_t *val,
    size_t len, int64_t off)
{
	char err[256], *line;

	(void)arg;
	(void)key;
	(void)keylen;
	if (len == 0) {
		printf("{\"offset\":%lld,\"tombstone\":true}\n", (long long)off);
		return 0;
	}
	if ((line = env_json_line(val, len, NULL, err, sizeof(err))) == NULL) {
		printf("{\"offset\":%lld,\"error\":\"%s\"}\n", (long long)off,
		    err);
		return 0;
	}
	fputs(line, stdout);
	free(line);
	return 0;
}

int
main(int argc, char **argv)
{
	static const enum bus_topic topics[] = { TOPIC_SIGNING,
		TOPIC_SERAI_OBSERVATION };
	Coord__Envelope *e;
	struct bus_opts o;
	struct bus_msg m;
	const char *topic;
	char err[1024];
	int perm, r, t;

	app_init(&app, &spec, argc, argv);
	if (sodium_init() < 0)
		fatalx(EX_TEMP, "libsodium");
	if (dump_topic != NULL) {
		t = bus_topic_parse(dump_topic);
		topic = t >= 0 ? cfg_str(app.cfg, "topics", dump_topic) :
		    dump_topic;
		if (statelog_read(&app, topic, dump_cb, NULL, 30000, err,
		    sizeof(err)) == -1)
			fatalx(EX_TEMP, "%s", err);
		fflush(stdout);
		return 0;
	}
	if (app.check) {
		if (svc_check(&app, err, sizeof(err)) == -1)
			fatalx(EX_PERM, "%s", err);
		app_check_ok(&app);
	}
	memset(&o, 0, sizeof(o));
	o.app = &app;
	o.produce = 1;
	if (!request_mode && !create_mode && !forge_mode) {
		o.topics = topics;
		o.ntopics = observe ? 2 : 1;
		o.from_start = 1;
	}
	if (svc_open(&svc, &app, &o, &perm, err, sizeof(err)) == -1)
		fatalx(perm ? EX_PERM : EX_TEMP, "%s", err);
	if (create_mode) {
		svc_close(&svc);
		return create_topics();
	}
	if (forge_mode) {
		r = do_forge();
		svc_close(&svc);
		return r;
	}
	if (request_mode) {
		r = do_request();
		svc_close(&svc);
		return r;
	}
	svc.hb_network = network == 1 ? "bitcoin" : network == 2 ?
	    "ethereum" : network == 3 ? "monero" : "";
	svc.hb_status = "ok";
	ready_notify(app.readyfd);
	log_info("processor simulator %s%s", svc.id, silent ? " (silent)" :
	    "");
	while (!sig_term) {
		r = svc_recv(&svc, &m, &e, 200, err, sizeof(err));
		if (r == 0)
			continue;
		if (r == -1) {
			if (bus_eof(svc.bus))
				break;
			fatalx(EX_TEMP, "%s", err);
		}
		if (strcmp(e->from, svc.id) != 0 && is_local(e->from)) {
			switch (e->type) {
			case COORD__MSG_TYPE__PARTY_FORMED: {
				Coord__PartyFormed *pf;

				pf = coord__party_formed__unpack(NULL,
				    e->body.len, e->body.data);
				if (pf != NULL) {
					on_formed(pf, &m);
					coord__party_formed__free_unpacked(pf,
					    NULL);
				}
				break;
			}
			case COORD__MSG_TYPE__SIGN_MESSAGE: {
				Coord__SignMessage *sm;

				sm = coord__sign_message__unpack(NULL,
				    e->body.len, e->body.data);
				if (sm != NULL) {
					if (!on_message(sm, 0))
						add_pending(sm);
					else if (npending > 0)
						retry_pending();
					coord__sign_message__free_unpacked(sm,
					    NULL);
				}
				break;
			}
			case COORD__MSG_TYPE__BLOCK_UPDATE: {
				Coord__BlockUpdate *bu;

				if (!observe)
					break;
				bu = coord__block_update__unpack(NULL,
				    e->body.len, e->body.data);
				if (bu != NULL) {
					printf("block %llu recv_ms=%llu\n",
					    (unsigned long long)bu->number,
					    (unsigned long long)(now_ns() /
					    1000000));
					fflush(stdout);
					coord__block_update__free_unpacked(bu,
					    NULL);
				}
				break;
			}
			case COORD__MSG_TYPE__SIGN_COMPLETED: {
				Coord__SignCompleted *sc;

				sc = coord__sign_completed__unpack(NULL,
				    e->body.len, e->body.data);
				if (sc != NULL) {
					on_completed(sc);
					coord__sign_completed__free_unpacked(sc,
					    NULL);
				}
				break;
			}
			default:
				break;
			}
		}
		svc_done(&svc, &m, e);
		env_free(e);
		bus_release(svc.bus, &m);
	}
	svc_close(&svc);
	return 0;
}

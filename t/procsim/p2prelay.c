/*
 * p2prelay: the connector's bus side for several validators on one broker,
 * for the signer's tests and benchmark: what validator V's services put on
 * V's p2p-outbound reaches the named validators' p2p-inbound, as the
 * connectors of a real deployment would carry it over the network.
 *
 *	p2prelay [-qv] [-d fd] [-X prop=val]... CONFIG...
 *
 * Each CONFIG is one validator's file: its [general] name, its [topics]
 * p2p_outbound and p2p_inbound, its [trust] (to verify what its services
 * send) and key_dir/connector.key (the relay seals P2pReceived as
 * "<name>.connector").  The first file's [kafka] and -X set the broker.
 *
 *   P2pSend from V to W...  -> P2pReceived{validator V} on W's p2p-inbound
 *                              (an empty list: every other validator);
 *                              stdout "relay V W TYPE"
 *   ConnectRequest from V   -> ConnectResult (all connected) on V's
 *                              p2p-inbound; stdout "connect V N/S a,b,c"
 * Readiness (-d) once the consumer has its partitions.
 */
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "cfg.h"
#include "envelope.h"
#include "log.h"
#include "proto/p2p.pb-c.h"
#include "sig.h"

#define MAXV	64
#define MAXX	32

struct val {
	struct cfg		*cfg;
	const char		*name;
	const char		*out;		/* its p2p-outbound */
	const char		*in;		/* its p2p-inbound */
	struct env_key		 key;		/* <name>.connector */
	struct env_trust	 trust;
};

static struct val	 v[MAXV];
static int		 nv, assigned, readyfd = -1;
static const char	*xprop[MAXX];
static int		 nx;

static void	 usage(void) __attribute__((noreturn));
static rd_kafka_conf_t *conf_new(int);
static void	 rebalance(rd_kafka_t *, rd_kafka_resp_err_t,
		    rd_kafka_topic_partition_list_t *, void *);
static int	 produce(rd_kafka_t *, struct val *, uint32_t, const uint8_t *,
		    const rd_kafka_message_t *, const ProtobufCMessage *);
static void	 handle(rd_kafka_t *, struct val *, const rd_kafka_message_t *);

static void
usage(void)
{
	fprintf(stderr, "usage: p2prelay [-qv] [-d fd] [-X prop=val]... "
	    "CONFIG...\n");
	exit(EX_PERM);
}

static rd_kafka_conf_t *
conf_new(int consumer)
{
	const struct cfg_sect *s;
	rd_kafka_conf_t *c;
	char err[512], key[256];
	const char *eq;
	size_t i;
	int k;

	c = rd_kafka_conf_new();
#define SET(a, b) do {							\
	if (rd_kafka_conf_set(c, a, b, err, sizeof(err)) != RD_KAFKA_CONF_OK) \
		fatalx(EX_PERM, "%s: %s", a, err);			\
} while (0)
	SET("bootstrap.servers", "127.0.0.1:9092");
	SET("client.id", "p2prelay");
	if ((s = cfg_next(v[0].cfg, "kafka", NULL)) != NULL)
		for (i = 0; i < s->nkv; i++)
			SET(s->kv[i].key, s->kv[i].val);
	for (k = 0; k < nx; k++) {
		eq = strchr(xprop[k], '=');
		snprintf(key, sizeof(key), "%.*s", (int)(eq - xprop[k]),
		    xprop[k]);
		SET(key, eq + 1);
	}
	if (consumer) {
		SET("group.id", "p2prelay");
		SET("auto.offset.reset", "earliest");
		SET("isolation.level", "read_committed");
		SET("fetch.wait.max.ms", "100");
		rd_kafka_conf_set_rebalance_cb(c, rebalance);
	} else {
		SET("enable.idempotence", "true");
		SET("linger.ms", "0");
	}
#undef SET
	return c;
}

static void
rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
    rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	(void)opaque;
	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		rd_kafka_assign(rk, parts);
		if (!assigned) {
			assigned = 1;
			log_info("relaying for %d validator(s)", nv);
			ready_notify(readyfd);
			readyfd = -1;
		}
	} else
		rd_kafka_assign(rk, NULL);
}

static int
produce(rd_kafka_t *p, struct val *to, uint32_t type, const uint8_t *intent,
    const rd_kafka_message_t *m, const ProtobufCMessage *body)
{
	Coord__Envelope e = COORD__ENVELOPE__INIT;
	uint8_t *bb, *buf;
	size_t bn, len;
	rd_kafka_resp_err_t err;

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
	buf = env_seal(&e, &to->key, &len);
	free(bb);
	if (buf == NULL)
		fatalx(EX_TEMP, "out of memory");
	/* The key it came with (the sign id): per-session order. */
	err = rd_kafka_producev(p, RD_KAFKA_V_TOPIC(to->in),
	    RD_KAFKA_V_KEY(m->key, m->key_len),
	    RD_KAFKA_V_VALUE(buf, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_FREE),
	    RD_KAFKA_V_END);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		free(buf);
		log_warnx("produce to %s: %s", to->in, rd_kafka_err2str(err));
		return -1;
	}
	return 0;
}

static void
handle(rd_kafka_t *p, struct val *from, const rd_kafka_message_t *m)
{
	Coord__P2pReceived pr = COORD__P2P_RECEIVED__INIT;
	Coord__ConnectResult cr = COORD__CONNECT_RESULT__INIT;
	Coord__PeerOutcome *po, **pp;
	Coord__ConnectRequest *rq;
	Coord__P2pSend *ps;
	Coord__Envelope *e, *inner;
	struct env_intent in;
	uint8_t intent[ENV_INTENTLEN];
	char why[256];
	size_t i;
	int k, want;

	if ((e = env_open(m->payload, m->len, &from->trust, why,
	    sizeof(why))) == NULL) {
		log_warnx("%s: record dropped: %s", from->out, why);
		return;
	}
	if (e->type == COORD__MSG_TYPE__CONNECT_REQUEST) {
		rq = coord__connect_request__unpack(NULL, e->body.len,
		    e->body.data);
		if (rq == NULL)
			goto out;
		po = calloc(rq->n_validators + 1, sizeof(*po));
		pp = calloc(rq->n_validators + 1, sizeof(*pp));
		if (po == NULL || pp == NULL)
			fatalx(EX_TEMP, "out of memory");
		printf("connect %s %u/%u ", from->name, rq->network,
		    rq->session);
		for (i = 0; i < rq->n_validators; i++) {
			coord__peer_outcome__init(&po[i]);
			po[i].name = rq->validators[i]->name;
			po[i].connected = 1;
			pp[i] = &po[i];
			printf("%s%s", i ? "," : "", rq->validators[i]->name);
		}
		printf("\n");
		cr.request_intent = e->intent;
		cr.peers = pp;
		cr.n_peers = rq->n_validators;
		env_intent_init(&in, COORD__MSG_TYPE__CONNECT_RESULT);
		env_intent_add(&in, e->intent.data, e->intent.len);
		env_intent_final(&in, intent);
		(void)produce(p, from, COORD__MSG_TYPE__CONNECT_RESULT, intent,
		    m, &cr.base);
		free(po);
		free(pp);
		coord__connect_request__free_unpacked(rq, NULL);
		goto out;
	}
	if (e->type != COORD__MSG_TYPE__P2P_SEND)
		goto out;
	if ((ps = coord__p2p_send__unpack(NULL, e->body.len, e->body.data)) ==
	    NULL) {
		log_warnx("%s: bad P2pSend", from->out);
		goto out;
	}
	/* What it carries, for the log line only. */
	inner = coord__envelope__unpack(NULL, ps->envelope.len,
	    ps->envelope.data);
	pr.validator = (char *)(uintptr_t)from->name;
	pr.peer_id = (char *)"p2prelay";
	pr.envelope = ps->envelope;
	env_intent_init(&in, COORD__MSG_TYPE__P2P_RECEIVED);
	env_intent_str(&in, from->name);
	env_intent_add(&in, ps->envelope.data, ps->envelope.len);
	env_intent_final(&in, intent);
	for (k = 0; k < nv; k++) {
		if (&v[k] == from)
			continue;
		want = ps->n_validators == 0;
		for (i = 0; i < ps->n_validators; i++)
			if (strcmp(ps->validators[i], v[k].name) == 0)
				want = 1;
		if (!want)
			continue;
		if (produce(p, &v[k], COORD__MSG_TYPE__P2P_RECEIVED, intent,
		    m, &pr.base) == 0)
			printf("relay %s %s %s\n", from->name, v[k].name,
			    inner != NULL && env_type_name(inner->type) ?
			    env_type_name(inner->type) : "?");
	}
	for (i = 0; i < ps->n_validators; i++) {
		for (k = 0; k < nv; k++)
			if (strcmp(ps->validators[i], v[k].name) == 0)
				break;
		if (k == nv)
			printf("unknown %s %s\n", from->name,
			    ps->validators[i]);
	}
	if (inner != NULL)
		coord__envelope__free_unpacked(inner, NULL);
	coord__p2p_send__free_unpacked(ps, NULL);
out:
	fflush(stdout);
	rd_kafka_poll(p, 0);
	env_free(e);
}

int
main(int argc, char **argv)
{
	rd_kafka_topic_partition_list_t *subs;
	rd_kafka_message_t *m;
	rd_kafka_t *cons, *prod;
	long long n;
	char err[1024], path[PATH_MAX], id[256];
	int ch, i, verbose = 0;

	log_init("p2prelay", LOG_LVL_INFO);
	while ((ch = getopt(argc, argv, "qvd:X:")) != -1) {
		switch (ch) {
		case 'q':
			verbose--;
			break;
		case 'v':
			verbose++;
			break;
		case 'd':
			if (cfg_parse_int(optarg, &n) == -1 || n < 0)
				usage();
			readyfd = (int)n;
			break;
		case 'X':
			if (nx == MAXX || strchr(optarg, '=') == NULL)
				usage();
			xprop[nx++] = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || argc > MAXV)
		usage();
	log_setlevel(LOG_LVL_INFO + verbose);
	sig_setup(0);
	if (sodium_init() < 0)
		fatalx(EX_TEMP, "libsodium");
	for (i = 0; i < argc; i++) {
		if ((v[i].cfg = cfg_load(argv[i], err, sizeof(err))) == NULL)
			fatalx(EX_PERM, "%s", err);
		v[i].name = cfg_str(v[i].cfg, "general", "name");
		v[i].out = cfg_str(v[i].cfg, "topics", "p2p_outbound");
		v[i].in = cfg_str(v[i].cfg, "topics", "p2p_inbound");
		snprintf(path, sizeof(path), "%s/connector.key",
		    cfg_str(v[i].cfg, "general", "key_dir"));
		snprintf(id, sizeof(id), "%s.connector", v[i].name);
		if (env_key_load(path, id, &v[i].key, err, sizeof(err)) == -1)
			fatalx(EX_PERM, "%s: %s", argv[i], err);
		if (env_trust_load(v[i].cfg, &v[i].trust, err,
		    sizeof(err)) == -1)
			fatalx(EX_PERM, "%s", err);
		nv++;
	}
	if ((prod = rd_kafka_new(RD_KAFKA_PRODUCER, conf_new(0), err,
	    sizeof(err))) == NULL)
		fatalx(EX_TEMP, "kafka: %s", err);
	if ((cons = rd_kafka_new(RD_KAFKA_CONSUMER, conf_new(1), err,
	    sizeof(err))) == NULL)
		fatalx(EX_TEMP, "kafka: %s", err);
	rd_kafka_poll_set_consumer(cons);
	subs = rd_kafka_topic_partition_list_new(nv);
	for (i = 0; i < nv; i++)
		rd_kafka_topic_partition_list_add(subs, v[i].out,
		    RD_KAFKA_PARTITION_UA);
	if (rd_kafka_subscribe(cons, subs) != 0)
		fatalx(EX_TEMP, "subscribe failed");
	rd_kafka_topic_partition_list_destroy(subs);

	while (!sig_term) {
		rd_kafka_poll(prod, 0);
		if ((m = rd_kafka_consumer_poll(cons, 100)) == NULL)
			continue;
		if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
			for (i = 0; i < nv; i++)
				if (strcmp(rd_kafka_topic_name(m->rkt),
				    v[i].out) == 0) {
					handle(prod, &v[i], m);
					break;
				}
		} else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
			log_warnx("consumer: %s", rd_kafka_message_errstr(m));
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(cons);
	rd_kafka_destroy(cons);
	rd_kafka_flush(prod, 10000);
	rd_kafka_destroy(prod);
	for (i = 0; i < nv; i++) {
		env_key_wipe(&v[i].key);
		env_trust_free(&v[i].trust);
		cfg_free(v[i].cfg);
	}
	return 0;
}

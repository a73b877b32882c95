/*
 * mkp2p: P2pSend records for the connector's tests, length-delimited on
 * stdout (the bus's stdio form): each carries an inner TestMessage
 * envelope; both are sealed by the key file given, as service id ID.
 *
 *	mkp2p -k KEYFILE -i ID [-n N] [-s SIZE] [-f FIRST] [-t VALIDATOR]...
 *	      [-b BOOTSTRAP -T TOPIC]
 *
 * With -b and -T the records go to that Kafka topic instead (acks=all,
 * waited for), keyed "ID>" as the signer's are (one partition, in order); with -J they are JSON Lines.  With -C NAME=HEXKEY=ENDPOINT (repeatable) one
 * ConnectRequest for those validators is written instead of messages.
 *
 * seq runs FIRST..FIRST+N-1; text "message SEQ from ID"; payload SIZE
 * bytes; the inner intent is over (ID, seq), so the same seq is the same
 * message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "envelope.h"
#include "log.h"
#include "proto/common.pb-c.h"
#include "proto/p2p.pb-c.h"

static rd_kafka_t *rk;
static const char *topic;
static char rkey[300];		/* "ID>", as svc keys what it sends */
static int json;

static void
put(const uint8_t *b, size_t n)
{
	uint8_t	 v[10];
	size_t	 k = 0;
	uint64_t x = n;

	while (x >= 0x80) {
		v[k++] = (uint8_t)(x | 0x80);
		x >>= 7;
	}
	v[k++] = (uint8_t)x;
	if (json) {
		char	 err[256], *line;

		if ((line = env_json_line(b, n, "p2p-outbound", err,
		    sizeof(err))) == NULL)
			fatalx(EX_TEMP, "json: %s", err);
		fputs(line, stdout);
		free(line);
		return;
	}
	if (rk != NULL) {
		while (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
		    RD_KAFKA_V_KEY(rkey, strlen(rkey)),
		    RD_KAFKA_V_VALUE((void *)(uintptr_t)b, n),
		    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END) ==
		    RD_KAFKA_RESP_ERR__QUEUE_FULL)
			rd_kafka_poll(rk, 100);
		return;
	}
	fwrite(v, 1, k, stdout);
	fwrite(b, 1, n, stdout);
}

int
main(int argc, char **argv)
{
	Coord__Envelope in = COORD__ENVELOPE__INIT, out = COORD__ENVELOPE__INIT;
	Coord__TestMessage tm = COORD__TEST_MESSAGE__INIT;
	Coord__P2pSend ps = COORD__P2P_SEND__INIT;
	struct env_key key;
	struct env_intent it;
	const char *keyfile = NULL, *id = NULL, *bootstrap = NULL;
	rd_kafka_conf_t *conf;
	char	*to[64], text[256], err[512], *cv[64];
	size_t	 ncv = 0;
	uint8_t	 intent[ENV_INTENTLEN], intent2[ENV_INTENTLEN], *body, *inner;
	uint8_t	*rec, *payload;
	size_t	 nto = 0, blen, ilen, rlen, size = 0;
	long	 n = 1, first = 1, i;
	int	 ch;

	log_init("mkp2p", LOG_LVL_INFO);
	while ((ch = getopt(argc, argv, "b:C:f:i:Jk:n:s:t:T:")) != -1) {
		switch (ch) {
		case 'b': bootstrap = optarg; break;
		case 'J': json = 1; break;
		case 'C':
			if (ncv < 64)
				cv[ncv++] = optarg;
			break;
		case 'T': topic = optarg; break;
		case 'f': first = atol(optarg); break;
		case 'i':
			id = optarg;
			snprintf(rkey, sizeof(rkey), "%s>", id);
			break;
		case 'k': keyfile = optarg; break;
		case 'n': n = atol(optarg); break;
		case 's': size = (size_t)atol(optarg); break;
		case 't':
			if (nto < 64)
				to[nto++] = optarg;
			break;
		default:
			fatalx(EX_PERM, "usage: mkp2p -k key -i id [-n N] "
			    "[-s size] [-f first] [-t validator]...");
		}
	}
	if (keyfile == NULL || id == NULL)
		fatalx(EX_PERM, "need -k and -i");
	if (env_key_load(keyfile, id, &key, err, sizeof(err)) == -1)
		fatalx(EX_PERM, "%s", err);
	if (bootstrap != NULL && topic != NULL) {
		conf = rd_kafka_conf_new();
		if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err,
		    sizeof(err)) != RD_KAFKA_CONF_OK ||
		    rd_kafka_conf_set(conf, "acks", "all", err, sizeof(err)) !=
		    RD_KAFKA_CONF_OK)
			fatalx(EX_PERM, "%s", err);
		if ((rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err,
		    sizeof(err))) == NULL)
			fatalx(EX_TEMP, "%s", err);
	}
	if (ncv > 0) {
		Coord__ConnectRequest rq = COORD__CONNECT_REQUEST__INIT;
		Coord__ValidatorAddr va[64], *vp[64];
		uint8_t	 pk[64][32];
		char	*f1, *f2;
		size_t	 k;

		for (k = 0; k < ncv; k++) {
			coord__validator_addr__init(&va[k]);
			if ((f1 = strchr(cv[k], '=')) == NULL ||
			    (f2 = strchr(f1 + 1, '=')) == NULL)
				fatalx(EX_PERM, "-C NAME=HEXKEY=ENDPOINT");
			*f1++ = '\0';
			*f2++ = '\0';
			for (i = 0; i < 32; i++)
				if (sscanf(f1 + 2 * i, "%2hhx", &pk[k][i]) != 1)
					fatalx(EX_PERM, "-C: bad key");
			va[k].name = cv[k];
			va[k].public_key.data = pk[k];
			va[k].public_key.len = 32;
			va[k].endpoint = f2;
			vp[k] = &va[k];
		}
		rq.validators = vp;
		rq.n_validators = ncv;
		rq.session = 1;
		blen = coord__connect_request__get_packed_size(&rq);
		body = malloc(blen + 1);
		coord__connect_request__pack(&rq, body);
		env_intent_init(&it, COORD__MSG_TYPE__CONNECT_REQUEST);
		env_intent_add(&it, body, blen);
		env_intent_final(&it, intent2);
		out.type = COORD__MSG_TYPE__CONNECT_REQUEST;
		out.intent.data = intent2;
		out.intent.len = ENV_INTENTLEN;
		out.to = (char *)"";
		out.body.data = body;
		out.body.len = blen;
		if ((rec = env_seal(&out, &key, &rlen)) == NULL)
			fatalx(EX_TEMP, "env_seal");
		put(rec, rlen);
		free(rec);
		free(body);
		n = 0;
	}
	if ((payload = calloc(1, size + 1)) == NULL)
		fatalx(EX_TEMP, "calloc");
	memset(payload, 'p', size);
	for (i = first; i < first + n; i++) {
		snprintf(text, sizeof(text), "message %ld from %s", i, id);
		tm.seq = (uint64_t)i;
		tm.text = text;
		tm.payload.data = payload;
		tm.payload.len = size;
		blen = coord__test_message__get_packed_size(&tm);
		body = malloc(blen + 1);
		coord__test_message__pack(&tm, body);
		env_intent_init(&it, COORD__MSG_TYPE__TEST_MESSAGE);
		env_intent_str(&it, id);
		env_intent_u64(&it, (uint64_t)i);
		env_intent_final(&it, intent);
		in.type = COORD__MSG_TYPE__TEST_MESSAGE;
		in.intent.data = intent;
		in.intent.len = ENV_INTENTLEN;
		in.to = (char *)"";
		in.body.data = body;
		in.body.len = blen;
		in.created_ms = 0;
		if ((inner = env_seal(&in, &key, &ilen)) == NULL)
			fatalx(EX_TEMP, "env_seal");
		ps.validators = to;
		ps.n_validators = nto;
		ps.envelope.data = inner;
		ps.envelope.len = ilen;
		free(body);
		blen = coord__p2p_send__get_packed_size(&ps);
		body = malloc(blen + 1);
		coord__p2p_send__pack(&ps, body);
		env_intent_init(&it, COORD__MSG_TYPE__P2P_SEND);
		env_intent_add(&it, intent, ENV_INTENTLEN);
		env_intent_final(&it, intent2);
		out.type = COORD__MSG_TYPE__P2P_SEND;
		out.intent.data = intent2;
		out.intent.len = ENV_INTENTLEN;
		out.to = (char *)"";
		out.body.data = body;
		out.body.len = blen;
		out.created_ms = 0;
		if ((rec = env_seal(&out, &key, &rlen)) == NULL)
			fatalx(EX_TEMP, "env_seal");
		put(rec, rlen);
		free(rec);
		free(body);
		free(inner);
	}
	free(payload);
	env_key_wipe(&key);
	if (rk != NULL) {
		if (rd_kafka_flush(rk, 30000) != RD_KAFKA_RESP_ERR_NO_ERROR)
			fatalx(EX_TEMP, "flush to %s timed out", topic);
		rd_kafka_destroy(rk);
		return 0;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

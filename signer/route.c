/*
 * route: what the signer does with each message, and with time.
 *
 * Inputs (see signer.8 for the whole contract):
 *   serai-observation  BlockUpdate, SeraiEvent (NewSet, KeyGen, SetRetired,
 *                      Batch, BurnWithInstruction) from the observer
 *   chain-observation  SignRequest from a local processor
 *   signing            SignMessage from a local processor
 *   p2p-inbound        P2pReceived (an inner SignMessage envelope sealed by
 *                      another validator's signer), ConnectResult
 * Every decision (a set, a session's attempt, stage and completion, an
 * early message held, a processor's request held for a set not seen yet)
 * is written to the decision log before the transaction that carries the
 * input's offset commits.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "clock.h"
#include "envelope.h"
#include "log.h"
#include "proto/observation.pb-c.h"
#include "proto/p2p.pb-c.h"
#include "proto/signing.pb-c.h"
#include "signer.h"

#define DOMAIN_KEYGEN	"serai-coordinator/sign-id/keygen/v1"
#define DOMAIN_BATCH	"serai-coordinator/sign-id/batch/v1"
#define DOMAIN_BURN	"serai-coordinator/sign-id/burn/v1"

static int	 reject(struct signer *, const struct bus_msg *, const char *,
		    ...) __attribute__((format(printf, 3, 4)));
static int	 send_body(struct signer *, enum bus_topic, uint32_t,
		    const uint8_t *, const uint8_t *, const ProtobufCMessage *,
		    char *, size_t);
static int	 persist_set(struct signer *, const struct sset *, char *,
		    size_t);
static int	 persist_sess(struct signer *, const struct ssess *, char *,
		    size_t);
static int	 persist_early(struct signer *, const struct searly *, char *,
		    size_t);
static int	 persist_hold(struct signer *, const struct shold *, char *,
		    size_t);
static int	 is_local(const struct signer *, const char *);
static void	 hex8(const uint8_t *, char *);
static void	 sign_id_hash(const char *, const void *, size_t, const void *,
		    size_t, uint8_t *);
static void	 put32(uint8_t *, uint32_t);
static int	 network_of_coin(uint32_t);
static struct sset *set_build(struct signer *, uint32_t, uint32_t,
		    Coord__Participant **, size_t, const uint8_t *, int, char *,
		    size_t);
static int	 on_event(struct signer *, const struct bus_msg *,
		    const Coord__Envelope *, char *, size_t);
static int	 on_new_set(struct signer *, const struct bus_msg *,
		    const Coord__SeraiEvent *, char *, size_t);
static int	 on_retired(struct signer *, uint32_t, uint32_t, char *, size_t);
static int	 connect_request(struct signer *, const struct sset *, char *,
		    size_t);
static int	 on_request(struct signer *, const struct bus_msg *,
		    const Coord__Envelope *, char *, size_t);
static int	 start_session(struct signer *, const struct bus_msg *, int,
		    uint32_t, int, uint32_t, const uint8_t *, const uint8_t *,
		    const uint8_t *, size_t, char *, size_t);
static int	 party_of(struct signer *, const struct ssess *,
		    const struct sset *, uint32_t, struct party *, char *,
		    size_t);
static int	 begin_attempt(struct signer *, struct ssess *, char *, size_t);
static int	 party_formed(struct signer *, const struct ssess *,
		    const struct sset *, char *, size_t);
static void	 set_deadline(struct signer *, struct ssess *, uint64_t);
static void	 progress(struct signer *, struct ssess *, size_t, int);
static int	 complete(struct signer *, struct ssess *, const char *,
		    uint32_t, const ProtobufCBinaryData *, char *, size_t);
static int	 on_processor(struct signer *, const struct bus_msg *,
		    const Coord__Envelope *, char *, size_t);
static int	 on_peer(struct signer *, const struct bus_msg *,
		    const Coord__Envelope *, int, char *, size_t);
static int	 peer_sign(struct signer *, const struct bus_msg *,
		    const uint8_t *, const Coord__SignMessage *, char *,
		    size_t);
static int	 early_add(struct signer *, const struct bus_msg *,
		    const uint8_t *, const Coord__SignMessage *, char *,
		    size_t);
static int	 early_drop(struct signer *, size_t, const char *, char *,
		    size_t);
static int	 deliver_early(struct signer *, struct ssess *, char *,
		    size_t);
static void	 early_msg(const struct searly *, struct bus_msg *);
static int	 early_forget(struct signer *, size_t, char *, size_t);
static Coord__SignMessage *early_sm(struct signer *, const struct searly *);
static int	 early_retired(struct signer *, uint32_t, uint32_t, char *,
		    size_t);
static int	 catch_up(struct signer *, struct ssess *, char *, size_t);
static int	 hold_add(struct signer *, const struct bus_msg *, int,
		    uint32_t, uint32_t, const uint8_t *, char *, size_t);
static int	 hold_drop(struct signer *, size_t, const char *, char *,
		    size_t);
static int	 hold_scan(struct signer *, char *, size_t);
static void	 hold_msg(const struct shold *, struct bus_msg *);

/* ------------------------------------------------------------ helpers */

static int
reject(struct signer *sg, const struct bus_msg *m, const char *fmt, ...)
{
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	sg->n_rejected++;
	(void)svc_dlq(&sg->svc, m, reason);
	return 0;
}

/*
 * Sign and produce, keyed by the sign id when there is one: on a topic of
 * several partitions, a session's records stay in order.
 */
static int
send_body(struct signer *sg, enum bus_topic t, uint32_t type,
    const uint8_t *intent, const uint8_t *key, const ProtobufCMessage *body,
    char *err, size_t errlen)
{
	Coord__Envelope e = COORD__ENVELOPE__INIT;
	uint8_t *bb, *buf;
	size_t bn, len;
	int rc;

	bn = protobuf_c_message_get_packed_size(body);
	if ((bb = malloc(bn + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	protobuf_c_message_pack(body, bb);
	e.type = type;
	e.intent.data = (uint8_t *)(uintptr_t)intent;
	e.intent.len = ENV_INTENTLEN;
	e.to = (char *)"";
	e.body.data = bb;
	e.body.len = bn;
	buf = env_seal(&e, &sg->svc.key, &len);
	free(bb);
	if (buf == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = bus_send(sg->svc.bus, bus_topic(sg->svc.bus, t), key,
	    key != NULL ? PARTY_HASHLEN : 0, buf, len, err, errlen);
	free(buf);
	if (rc == 0)
		sg->svc.n_out++;
	return rc;
}

/* Log what a state_*_pb built (-1: it could not, memory ran out). */
static int
persist(struct signer *sg, const char *key, int built, Coord__SignState *ss,
    char *err, size_t errlen)
{
	int rc;

	if (built == -1) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = signer_persist(sg, key, ss, err, errlen);
	state_pb_clear(ss);
	return rc;
}

static int
persist_set(struct signer *sg, const struct sset *s, char *err, size_t errlen)
{
	Coord__SignState ss;
	char key[STATE_KEYLEN];

	state_key_set(key, s->network, s->session);
	return persist(sg, key, state_set_pb(s, &ss), &ss, err, errlen);
}

static int
persist_sess(struct signer *sg, const struct ssess *s, char *err,
    size_t errlen)
{
	Coord__SignState ss;
	char key[STATE_KEYLEN];

	state_key_sess(key, s->sign_id);
	return persist(sg, key, state_sess_pb(s, &ss), &ss, err, errlen);
}

static int
persist_early(struct signer *sg, const struct searly *e, char *err,
    size_t errlen)
{
	Coord__SignState ss;
	char key[STATE_KEYLEN];

	state_key_early(key, e->intent);
	return persist(sg, key, state_early_pb(e, &ss), &ss, err, errlen);
}

static int
persist_hold(struct signer *sg, const struct shold *h, char *err,
    size_t errlen)
{
	Coord__SignState ss;
	char key[STATE_KEYLEN];

	state_key_hold(key, h->sign_id);
	return persist(sg, key, state_hold_pb(h, &ss), &ss, err, errlen);
}

/* A service of our own validator: "<name>.<prog>". */
static int
is_local(const struct signer *sg, const char *from)
{
	size_t n = strlen(sg->name);

	return strncmp(from, sg->name, n) == 0 && from[n] == '.';
}

static void
hex8(const uint8_t *id, char *out)
{
	hex_encode(id, 8, out);
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

/* BLAKE2b-256(domain 0x00 || a || b). */
static void
sign_id_hash(const char *domain, const void *a, size_t alen, const void *b,
    size_t blen, uint8_t *out)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, PARTY_HASHLEN);
	crypto_generichash_update(&st, (const uint8_t *)domain,
	    strlen(domain) + 1);
	crypto_generichash_update(&st, a, alen);
	if (blen > 0)
		crypto_generichash_update(&st, b, blen);
	crypto_generichash_final(&st, out, PARTY_HASHLEN);
}

/* Serai's Coin -> NetworkId: Bitcoin 1, Ether and Dai 2, Monero 3. */
static int
network_of_coin(uint32_t coin)
{
	switch (coin) {
	case 1:
		return 1;
	case 2:
	case 3:
		return 2;
	case 4:
		return 3;
	default:
		return -1;
	}
}

static const struct cfgval *
cfgval_by_key(const struct signer *sg, const uint8_t *key)
{
	size_t i;

	for (i = 0; i < sg->nval; i++)
		if (memcmp(sg->val[i].key, key, PARTY_KEYLEN) == 0)
			return &sg->val[i];
	return NULL;
}

/*
 * A set from participants (any order); names from [validator] chain_key.
 * Keys in no section are named by their hex: one warning for the set, as
 * a set is built once (a NewSet seen again, or read back from the
 * decision log, is not built again).
 */
static struct sset *
set_build(struct signer *sg, uint32_t network, uint32_t session,
    Coord__Participant **p, size_t n, const uint8_t *block, int from_config,
    char *err, size_t errlen)
{
	const struct cfgval *cv;
	struct sset *s;
	char hex[2 * PARTY_KEYLEN + 1], unknown[3 * 20 + 8];
	size_t i, nunknown = 0;
	int len;

	unknown[0] = '\0';
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->v = calloc(n ? n : 1, sizeof(*s->v))) == NULL ||
	    (s->names = calloc(n ? n : 1, sizeof(*s->names))) == NULL)
		goto nomem;
	s->network = network;
	s->session = session;
	s->from_config = from_config;
	s->our = -1;
	s->n = n;
	if (block != NULL)
		memcpy(s->block_hash, block, PARTY_HASHLEN);
	for (i = 0; i < n; i++) {
		if (p[i]->key.len != PARTY_KEYLEN) {
			snprintf(err, errlen, "participant %zu: key of %zu "
			    "bytes, not %d", i, p[i]->key.len, PARTY_KEYLEN);
			state_set_free(s);
			return NULL;
		}
		memcpy(s->v[i].key, p[i]->key.data, PARTY_KEYLEN);
		s->v[i].weight = p[i]->weight;
		if (s->total + p[i]->weight < s->total) {
			snprintf(err, errlen, "weights overflow");
			state_set_free(s);
			return NULL;
		}
		s->total += p[i]->weight;
		if ((cv = cfgval_by_key(sg, s->v[i].key)) != NULL)
			s->names[i] = strdup(cv->name);
		else {
			/* Not in config: the connector cannot reach it. */
			hex_encode(s->v[i].key, PARTY_KEYLEN, hex);
			s->names[i] = strdup(hex);
			if (nunknown++ < 3) {
				len = (int)strlen(unknown);
				snprintf(unknown + len, sizeof(unknown) -
				    (size_t)len, "%s%.16s...", len ? ", " : "",
				    hex);
			}
		}
		if (s->names[i] == NULL)
			goto nomem;
	}
	party_sort_set(s->v, s->names, n);
	for (i = 0; i < n; i++) {
		if (i > 0 && memcmp(s->v[i - 1].key, s->v[i].key,
		    PARTY_KEYLEN) == 0) {
			snprintf(err, errlen, "a key appears twice in the set");
			state_set_free(s);
			return NULL;
		}
		if (memcmp(s->v[i].key, sg->our_key, PARTY_KEYLEN) == 0)
			s->our = (long)i;
	}
	if (nunknown > 0)
		log_warnx("set %u/%u: %zu of %zu keys in no [validator] "
		    "section's chain_key (%s%s); messages cannot be routed to "
		    "them", network, session, nunknown, n, unknown,
		    nunknown > 3 ? ", ..." : "");
	return s;
nomem:
	state_set_free(s);
	snprintf(err, errlen, "out of memory");
	return NULL;
}

/* The static [validator] list as the set (network, session). */
int
route_config_set(struct signer *sg, uint32_t network, uint32_t session,
    const uint8_t *block, struct sset **out, char *err, size_t errlen)
{
	Coord__Participant *pa, **pp;
	size_t i;

	*out = NULL;
	if (sg->nval == 0) {
		snprintf(err, errlen, "no [validator] sections");
		return -1;
	}
	pa = calloc(sg->nval, sizeof(*pa));
	pp = calloc(sg->nval, sizeof(*pp));
	if (pa == NULL || pp == NULL) {
		free(pa);
		free(pp);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < sg->nval; i++) {
		coord__participant__init(&pa[i]);
		pa[i].key.data = sg->val[i].key;
		pa[i].key.len = PARTY_KEYLEN;
		pa[i].weight = sg->val[i].weight;
		pp[i] = &pa[i];
	}
	*out = set_build(sg, network, session, pp, sg->nval, block, 1, err,
	    errlen);
	free(pa);
	free(pp);
	return *out == NULL ? -1 : 0;
}

void
route_after_rebuild(struct signer *sg)
{
	struct ssess *s = NULL;
	size_t i, j, cur = 0;

	for (i = 0; i < sg->st.nset; i++) {
		sg->st.set[i]->our = -1;
		for (j = 0; j < sg->st.set[i]->n; j++)
			if (memcmp(sg->st.set[i]->v[j].key, sg->our_key,
			    PARTY_KEYLEN) == 0)
				sg->st.set[i]->our = (long)j;
	}
	sg->next_deadline = 0;		/* scan at once */
	while ((s = state_sess_next(&sg->st, &cur, s)) != NULL)
		if (s->completed)
			sg->n_completed++;
}

/* ------------------------------------------------------------ dispatch */

int
route_message(struct signer *sg, const struct bus_msg *m,
    const Coord__Envelope *e, char *err, size_t errlen)
{
	const char *t = m->topic;
	struct bus *b = sg->svc.bus;

	if (strcmp(e->from, sg->svc.id) == 0)
		return 0;		/* our own, read back on signing */
	switch (e->type) {
	case COORD__MSG_TYPE__BLOCK_UPDATE: {
		Coord__BlockUpdate *bu;

		bu = coord__block_update__unpack(NULL, e->body.len,
		    e->body.data);
		if (bu == NULL)
			return reject(sg, m, "BlockUpdate: bad body");
		sg->block_number = bu->number;
		sg->svc.hb_scanned = bu->number;
		coord__block_update__free_unpacked(bu, NULL);
		return 0;
	}
	case COORD__MSG_TYPE__SERAI_EVENT:
		return on_event(sg, m, e, err, errlen);
	case COORD__MSG_TYPE__SIGN_REQUEST:
		return on_request(sg, m, e, err, errlen);
	case COORD__MSG_TYPE__SIGN_MESSAGE:
		/* On stdio the topic is unknown: a peer's message always
		 * comes wrapped in P2pReceived, so this is a processor's. */
		if (bus_is_kafka_in(b) &&
		    strcmp(t, bus_topic(b, TOPIC_SIGNING)) != 0)
			return reject(sg, m, "SignMessage on %s, expected "
			    "on %s", t, bus_topic(b, TOPIC_SIGNING));
		return on_processor(sg, m, e, err, errlen);
	case COORD__MSG_TYPE__P2P_RECEIVED:
		return on_peer(sg, m, e, 0, err, errlen);
	case COORD__MSG_TYPE__CONNECT_RESULT: {
		Coord__ConnectResult *cr;
		size_t i;

		cr = coord__connect_result__unpack(NULL, e->body.len,
		    e->body.data);
		if (cr == NULL)
			return reject(sg, m, "ConnectResult: bad body");
		for (i = 0; i < cr->n_peers; i++)
			log_info("connector: %s %s%s%s", cr->peers[i]->name,
			    cr->peers[i]->connected ? "connected" :
			    "not connected", cr->peers[i]->error[0] ? ": " : "",
			    cr->peers[i]->error);
		coord__connect_result__free_unpacked(cr, NULL);
		return 0;
	}
	default:
		/* Other services' traffic on topics we read. */
		return 0;
	}
}

/* ------------------------------------------------------------ chain */

static int
on_event(struct signer *sg, const struct bus_msg *m, const Coord__Envelope *e,
    char *err, size_t errlen)
{
	Coord__SeraiEvent *ev;
	struct ssess *s;
	uint8_t id[PARTY_HASHLEN], b8[8];
	int rc = 0, net;

	ev = coord__serai_event__unpack(NULL, e->body.len, e->body.data);
	if (ev == NULL)
		return reject(sg, m, "SeraiEvent: bad body");
	if (ev->block_hash.len != PARTY_HASHLEN &&
	    ev->event_case != COORD__SERAI_EVENT__EVENT__NOT_SET) {
		rc = reject(sg, m, "SeraiEvent %s.%s: block hash of %zu bytes",
		    ev->pallet, ev->name, ev->block_hash.len);
		goto out;
	}
	switch (ev->event_case) {
	case COORD__SERAI_EVENT__EVENT_NEW_SET:
		rc = on_new_set(sg, m, ev, err, errlen);
		break;
	case COORD__SERAI_EVENT__EVENT_KEY_GEN:
		if (ev->key_gen->set == NULL)
			break;
		put32(b8, ev->key_gen->set->network);
		put32(b8 + 4, ev->key_gen->set->session);
		sign_id_hash(DOMAIN_KEYGEN, b8, 8, NULL, 0, id);
		if ((s = state_sess_find(&sg->st, id)) != NULL &&
		    !s->completed) {
			ProtobufCBinaryData none = { 0, NULL };

			/* The chain says the key exists: done, whoever
			 * made it. */
			rc = complete(sg, s, "chain", s->attempt, &none, err,
			    errlen);
		}
		break;
	case COORD__SERAI_EVENT__EVENT_SET_RETIRED:
		if (ev->set_retired->set != NULL)
			rc = on_retired(sg, ev->set_retired->set->network,
			    ev->set_retired->set->session, err, errlen);
		break;
	case COORD__SERAI_EVENT__EVENT_BATCH:
		put32(b8, ev->batch->network);
		put32(b8 + 4, ev->batch->id);
		sign_id_hash(DOMAIN_BATCH, b8, 8, NULL, 0, id);
		rc = start_session(sg, m, COORD__SIGN_KIND__SIGN_BATCH,
		    ev->batch->network, 0, 0, id, ev->block_hash.data,
		    e->body.data, e->body.len, err, errlen);
		break;
	case COORD__SERAI_EVENT__EVENT_BURN_WITH_INSTRUCTION:
		net = network_of_coin(ev->burn_with_instruction->coin);
		if (net == -1) {
			rc = reject(sg, m, "BurnWithInstruction of coin %u: "
			    "no external network",
			    ev->burn_with_instruction->coin);
			break;
		}
		put32(b8, ev->event_index);
		sign_id_hash(DOMAIN_BURN, ev->block_hash.data, PARTY_HASHLEN,
		    b8, 4, id);
		rc = start_session(sg, m, COORD__SIGN_KIND__SIGN_BURN,
		    (uint32_t)net, 0, 0, id, ev->block_hash.data,
		    e->body.data, e->body.len, err, errlen);
		break;
	default:
		break;
	}
out:
	coord__serai_event__free_unpacked(ev, NULL);
	return rc;
}

static int
on_new_set(struct signer *sg, const struct bus_msg *m,
    const Coord__SeraiEvent *ev, char *err, size_t errlen)
{
	const Coord__NewSet *ns = ev->new_set;
	struct sset *s, *old;
	uint8_t id[PARTY_HASHLEN], b8[8];
	char why[256];

	if (ns->set == NULL)
		return reject(sg, m, "NewSet without a set");
	old = state_set_find(&sg->st, ns->set->network, ns->set->session);
	if (old != NULL && !old->from_config)
		return 0;		/* seen (a redelivery) */
	s = set_build(sg, ns->set->network, ns->set->session,
	    ns->participants, ns->n_participants, ev->block_hash.data, 0, why,
	    sizeof(why));
	if (s == NULL)
		return reject(sg, m, "NewSet %u/%u: %s", ns->set->network,
		    ns->set->session, why);
	if (state_set_put(&sg->st, s) == -1) {
		state_set_free(s);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	log_info("set %u/%u formed: %zu validators, %llu key shares%s",
	    s->network, s->session, s->n, (unsigned long long)s->total,
	    s->our >= 0 ? ", we are in it" : "");
	if (persist_set(sg, s, err, errlen) == -1)
		return -1;
	if (s->our >= 0) {
		if (connect_request(sg, s, err, errlen) == -1)
			return -1;
		/* Serai's own set (network 0) has no external key. */
		if (s->network != 0) {
			put32(b8, s->network);
			put32(b8 + 4, s->session);
			sign_id_hash(DOMAIN_KEYGEN, b8, 8, NULL, 0, id);
			if (start_session(sg, m, COORD__SIGN_KIND__SIGN_KEY_GEN,
			    s->network, 1, s->session, id, ev->block_hash.data,
			    NULL, 0, err, errlen) == -1)
				return -1;
		}
	}
	/* Our processor's requests that named this set before we saw it. */
	return hold_scan(sg, err, errlen);
}

static int
connect_request(struct signer *sg, const struct sset *s, char *err,
    size_t errlen)
{
	Coord__ConnectRequest cr = COORD__CONNECT_REQUEST__INIT;
	Coord__ValidatorAddr *va, **vp;
	const struct cfgval *cv;
	struct env_intent in;
	uint8_t intent[ENV_INTENTLEN];
	size_t i, k = 0;
	int rc;

	va = calloc(s->n ? s->n : 1, sizeof(*va));
	vp = calloc(s->n ? s->n : 1, sizeof(*vp));
	if (va == NULL || vp == NULL) {
		free(va);
		free(vp);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < s->n; i++) {
		if ((long)i == s->our)
			continue;
		coord__validator_addr__init(&va[k]);
		va[k].name = s->names[i];
		/* The connector's side: the libp2p identity and address
		 * of the member, not its chain key. */
		if ((cv = cfgval_by_key(sg, s->v[i].key)) == NULL)
			continue;	/* no identity to dial: warned */
		va[k].public_key.data = (uint8_t *)(uintptr_t)cv->p2p_key;
		va[k].public_key.len = PARTY_KEYLEN;
		va[k].endpoint = (char *)(uintptr_t)(cv->endpoint != NULL ?
		    cv->endpoint : "");
		va[k].weight = s->v[i].weight;
		vp[k] = &va[k];
		k++;
	}
	cr.validators = vp;
	cr.n_validators = k;
	cr.session = s->session;
	cr.network = s->network;
	env_intent_init(&in, COORD__MSG_TYPE__CONNECT_REQUEST);
	env_intent_u64(&in, s->network);
	env_intent_u64(&in, s->session);
	env_intent_final(&in, intent);
	rc = send_body(sg, TOPIC_P2P_OUTBOUND, COORD__MSG_TYPE__CONNECT_REQUEST,
	    intent, NULL, &cr.base, err, errlen);
	free(va);
	free(vp);
	return rc;
}

static int
on_retired(struct signer *sg, uint32_t network, uint32_t session, char *err,
    size_t errlen)
{
	struct ssess *s, *next;
	struct sset *set;
	char key[STATE_KEYLEN];
	size_t cur = 0;

	if ((set = state_set_find(&sg->st, network, session)) == NULL ||
	    set->retired)
		return 0;
	set->retired = 1;
	if (persist_set(sg, set, err, errlen) == -1)
		return -1;
	/*
	 * Its finished sessions are forgotten.  One still running goes on to
	 * its end (every coordinator saw the retirement at the same block, so
	 * all keep it; its processors were told of the party and wait for
	 * the result); no new session starts on a retired set.  Once
	 * finished it stays in the state, as a few records do per retirement.
	 */
	for (s = state_sess_next(&sg->st, &cur, NULL); s != NULL; s = next) {
		next = state_sess_next(&sg->st, &cur, s);
		if (s->network != network || s->session != session ||
		    (!s->completed && !s->failed))
			continue;
		state_key_sess(key, s->sign_id);
		if (signer_persist(sg, key, NULL, err, errlen) == -1)
			return -1;
		state_sess_del(&sg->st, s->sign_id);
	}
	log_info("set %u/%u retired", network, session);
	return early_retired(sg, network, session, err, errlen);
}

/* ------------------------------------------------------------ sessions */

static int
on_request(struct signer *sg, const struct bus_msg *m,
    const Coord__Envelope *e, char *err, size_t errlen)
{
	Coord__SignRequest *r;
	int rc, kind;

	if (!is_local(sg, e->from))
		return reject(sg, m, "SignRequest from %s, not a service of "
		    "validator %s", e->from, sg->name);
	r = coord__sign_request__unpack(NULL, e->body.len, e->body.data);
	if (r == NULL)
		return reject(sg, m, "SignRequest: bad body");
	if (r->set == NULL || r->sign_id.len != PARTY_HASHLEN ||
	    r->block_hash.len != PARTY_HASHLEN) {
		rc = reject(sg, m, "SignRequest: needs a set, a 32-byte sign "
		    "id and a 32-byte block hash");
		goto out;
	}
	kind = r->kind != 0 ? (int)r->kind : COORD__SIGN_KIND__SIGN_PROCESSOR;
	rc = start_session(sg, m, kind, r->set->network, 1, r->set->session,
	    r->sign_id.data, r->block_hash.data, r->payload.data,
	    r->payload.len, err, errlen);
out:
	coord__sign_request__free_unpacked(r, NULL);
	return rc;
}

static int
start_session(struct signer *sg, const struct bus_msg *m, int kind,
    uint32_t network, int has_session, uint32_t session, const uint8_t *id,
    const uint8_t *block, const uint8_t *payload, size_t plen, char *err,
    size_t errlen)
{
	struct ssess *s;
	struct sset *set;
	uint32_t highest;
	char hid[17], why[256];
	int any;

	hex8(id, hid);
	if ((s = state_sess_find(&sg->st, id)) != NULL) {
		log_debug("session %s: already known (attempt %u)", hid,
		    s->attempt);
		return 0;
	}
	set = has_session ? state_set_find(&sg->st, network, session) :
	    state_set_current(&sg->st, network);
	if (set == NULL && sg->static_set) {
		/* Development fallback: the static [validator] list. */
		if (route_config_set(sg, network, has_session ? session : 0,
		    block, &set, why, sizeof(why)) == -1)
			return reject(sg, m, "session %s: the [validator] "
			    "list: %s", hid, why);
		if (state_set_put(&sg->st, set) == -1) {
			state_set_free(set);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		log_info("set %u/%u: from the [validator] list (%zu "
		    "validators)", set->network, set->session, set->n);
		if (persist_set(sg, set, err, errlen) == -1 ||
		    hold_scan(sg, err, errlen) == -1)
			return -1;
	}
	if (set == NULL && has_session) {
		/*
		 * A set above every one we know of the network may just not
		 * have reached us yet (our observer or we restarted, behind
		 * our processor): held until its NewSet.  One at or below
		 * will never come.
		 */
		highest = state_set_highest(&sg->st, network, &any);
		if (!any || session > highest)
			return hold_add(sg, m, kind, network, session, id, err,
			    errlen);
		return reject(sg, m, "session %s (%s): validator set %u/%u "
		    "unknown", hid, state_kind_name(kind), network, session);
	}
	if (set == NULL)
		return reject(sg, m, "session %s (%s): no current validator "
		    "set of network %u", hid, state_kind_name(kind), network);
	if (set->retired)
		return reject(sg, m, "session %s: set %u/%u is retired", hid,
		    set->network, set->session);
	if (set->our < 0) {
		if (m->topic != NULL &&
		    strcmp(m->topic, bus_topic(sg->svc.bus,
		    TOPIC_SERAI_OBSERVATION)) == 0) {
			log_debug("session %s: we are not in set %u/%u", hid,
			    set->network, set->session);
			return 0;
		}
		return reject(sg, m, "session %s: validator %s is not in set "
		    "%u/%u", hid, sg->name, set->network, set->session);
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		goto nomem;
	memcpy(s->sign_id, id, PARTY_HASHLEN);
	memcpy(s->block_hash, block, PARTY_HASHLEN);
	s->network = set->network;
	s->session = set->session;
	s->kind = kind;
	if (plen > 0) {
		if ((s->payload = malloc(plen)) == NULL)
			goto nomem;
		memcpy(s->payload, payload, plen);
		s->payloadlen = plen;
	}
	s->attempt = 0;
	if (state_sess_put(&sg->st, s) == -1)
		goto nomem;
	return begin_attempt(sg, s, err, errlen);
nomem:
	state_sess_free(s);
	snprintf(err, errlen, "out of memory");
	return -1;
}

static int
party_of(struct signer *sg, const struct ssess *s, const struct sset *set,
    uint32_t attempt, struct party *p, char *err, size_t errlen)
{
	struct party_input in;

	memset(&in, 0, sizeof(in));
	in.set = set->v;
	in.n = set->n;
	in.threshold = sg->threshold <= set->total ? sg->threshold : 0;
	memcpy(in.block_hash, s->block_hash, PARTY_HASHLEN);
	in.session = set->session;
	memcpy(in.sign_id, s->sign_id, PARTY_HASHLEN);
	in.attempt = attempt;
	in.everyone = s->kind == COORD__SIGN_KIND__SIGN_KEY_GEN;
	return party_form(&in, p, err, errlen);
}

static void
set_deadline(struct signer *sg, struct ssess *s, uint64_t ms)
{
	s->deadline_ms = clock_wall_ms() + ms;
	/* 0 already means "look at once". */
	if (s->deadline_ms < sg->next_deadline)
		sg->next_deadline = s->deadline_ms;
}

/* Form the party of s->attempt and announce it; then the early messages. */
static int
begin_attempt(struct signer *sg, struct ssess *s, char *err, size_t errlen)
{
	struct party p;
	struct sset *set;
	char hid[17], why[256];

	hex8(s->sign_id, hid);
	set = state_set_find(&sg->st, s->network, s->session);
	if (set == NULL) {
		snprintf(err, errlen, "session %s: set %u/%u vanished", hid,
		    s->network, s->session);
		return -1;
	}
	if (party_of(sg, s, set, s->attempt, &p, why, sizeof(why)) == -1) {
		log_warnx("session %s: no party: %s", hid, why);
		s->failed = 1;
		sg->n_failed++;
		return persist_sess(sg, s, err, errlen);
	}
	free(s->party);
	s->party = p.member;		/* taken over */
	s->nparty = p.n;
	s->threshold = p.threshold;
	p.member = NULL;
	free(s->seen);
	s->seen = NULL;
	s->nseen = 0;
	s->stage = COORD__SIGN_STAGE__SIGN_PREPROCESS;
	s->member = set->our >= 0 && state_sess_in_party(s, (size_t)set->our);
	s->started_ms = clock_wall_ms();
	set_deadline(sg, s, s->member ? sg->pre_ms : sg->pre_ms + sg->share_ms);
	sg->n_formed++;
	log_info("session %s (%s, set %u/%u) attempt %u: party of %zu "
	    "(%llu of %llu key shares needed), %s", hid,
	    state_kind_name(s->kind), s->network, s->session, s->attempt,
	    s->nparty, (unsigned long long)s->threshold,
	    (unsigned long long)set->total, s->member ? "we are in it" :
	    "we are not in it");
	if (persist_sess(sg, s, err, errlen) == -1)
		return -1;
	if (s->member && party_formed(sg, s, set, err, errlen) == -1)
		return -1;
	return deliver_early(sg, s, err, errlen);
}

static int
party_formed(struct signer *sg, const struct ssess *s, const struct sset *set,
    char *err, size_t errlen)
{
	Coord__PartyFormed pf = COORD__PARTY_FORMED__INIT;
	Coord__ValidatorSet vs = COORD__VALIDATOR_SET__INIT;
	Coord__PartyMember *pm, **pp;
	struct env_intent in;
	uint8_t intent[ENV_INTENTLEN];
	uint64_t first = 1;
	size_t i, k = 0, j;
	int rc;

	pm = calloc(s->nparty ? s->nparty : 1, sizeof(*pm));
	pp = calloc(s->nparty ? s->nparty : 1, sizeof(*pp));
	if (pm == NULL || pp == NULL) {
		free(pm);
		free(pp);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0, j = 0; i < set->n; i++) {
		if (j < s->nparty && s->party[j] == i) {
			coord__party_member__init(&pm[k]);
			pm[k].validator = set->names[i];
			pm[k].key.data = set->v[i].key;
			pm[k].key.len = PARTY_KEYLEN;
			pm[k].weight = set->v[i].weight;
			pm[k].index = (uint32_t)i + 1;
			pm[k].first_share = first;
			pp[k] = &pm[k];
			k++;
			j++;
		}
		first += set->v[i].weight;
	}
	vs.network = s->network;
	vs.session = s->session;
	pf.set = &vs;
	pf.sign_id.data = (uint8_t *)(uintptr_t)s->sign_id;
	pf.sign_id.len = PARTY_HASHLEN;
	pf.attempt = s->attempt;
	pf.kind = s->kind;
	pf.party = pp;
	pf.n_party = k;
	pf.threshold = s->threshold;
	pf.total_weight = set->total;
	pf.our_index = (uint32_t)set->our + 1;
	pf.our_validator = (char *)(uintptr_t)sg->name;
	pf.block_hash.data = (uint8_t *)(uintptr_t)s->block_hash;
	pf.block_hash.len = PARTY_HASHLEN;
	pf.payload.data = s->payload;
	pf.payload.len = s->payloadlen;
	env_intent_init(&in, COORD__MSG_TYPE__PARTY_FORMED);
	env_intent_add(&in, s->sign_id, PARTY_HASHLEN);
	env_intent_u64(&in, s->attempt);
	env_intent_final(&in, intent);
	rc = send_body(sg, TOPIC_SIGNING, COORD__MSG_TYPE__PARTY_FORMED, intent,
	    s->sign_id, &pf.base, err, errlen);
	free(pm);
	free(pp);
	return rc;
}

/* A member was heard at a stage: all of them -> the next stage. */
static void
progress(struct signer *sg, struct ssess *s, size_t pos, int stage)
{
	if (!s->member || stage != s->stage ||
	    stage == COORD__SIGN_STAGE__SIGN_DONE)
		return;
	if (state_sess_mark(s, pos) != 1 || s->nseen < s->nparty)
		return;
	free(s->seen);
	s->seen = NULL;
	s->nseen = 0;
	s->stage = stage == COORD__SIGN_STAGE__SIGN_PREPROCESS ?
	    COORD__SIGN_STAGE__SIGN_SHARE : COORD__SIGN_STAGE__SIGN_DONE;
	set_deadline(sg, s, sg->share_ms);
}

static int
complete(struct signer *sg, struct ssess *s, const char *by, uint32_t attempt,
    const ProtobufCBinaryData *result, char *err, size_t errlen)
{
	Coord__SignCompleted sc = COORD__SIGN_COMPLETED__INIT;
	Coord__ValidatorSet vs = COORD__VALIDATOR_SET__INIT;
	struct env_intent in;
	uint8_t intent[ENV_INTENTLEN];
	char hid[17];

	if (s->completed)
		return 0;
	hex8(s->sign_id, hid);
	s->completed = 1;
	s->completed_attempt = attempt;
	free(s->completed_by);
	if ((s->completed_by = strdup(by)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	sg->n_completed++;
	log_info("session %s completed at attempt %u (result from %s)", hid,
	    attempt, by);
	if (persist_sess(sg, s, err, errlen) == -1)
		return -1;
	vs.network = s->network;
	vs.session = s->session;
	sc.set = &vs;
	sc.sign_id.data = s->sign_id;
	sc.sign_id.len = PARTY_HASHLEN;
	sc.attempt = attempt;
	sc.kind = s->kind;
	sc.validator = (char *)(uintptr_t)by;
	sc.result = *result;
	env_intent_init(&in, COORD__MSG_TYPE__SIGN_COMPLETED);
	env_intent_add(&in, s->sign_id, PARTY_HASHLEN);
	env_intent_final(&in, intent);
	return send_body(sg, TOPIC_SIGNING, COORD__MSG_TYPE__SIGN_COMPLETED,
	    intent, s->sign_id, &sc.base, err, errlen);
}

int
route_timers(struct signer *sg, char *err, size_t errlen)
{
	struct ssess *s = NULL;
	uint64_t now = clock_wall_ms(), next = 0;
	size_t cur = 0, i;
	char hid[17], reason[128];

	if (now >= sg->next_sweep) {
		sg->next_sweep = now + 1000;
		for (i = 0; i < sg->st.nearly;) {
			if (sg->st.early[i].received_ms + sg->early_ttl_ms >
			    now) {
				i++;
				continue;
			}
			snprintf(reason, sizeof(reason), "early message held "
			    "%llu ms without its session forming",
			    (unsigned long long)(now -
			    sg->st.early[i].received_ms));
			if (early_drop(sg, i, reason, err, errlen) == -1)
				return -1;
		}
		if (hold_scan(sg, err, errlen) == -1)
			return -1;
	}
	if (sg->next_deadline != 0 && now < sg->next_deadline)
		return 0;
	while ((s = state_sess_next(&sg->st, &cur, s)) != NULL) {
		if (s->completed || s->failed)
			continue;
		if (s->deadline_ms > now) {
			if (next == 0 || s->deadline_ms < next)
				next = s->deadline_ms;
			continue;
		}
		hex8(s->sign_id, hid);
		if (sg->max_attempts > 0 &&
		    (long long)s->attempt + 1 >= sg->max_attempts) {
			log_warnx("session %s: %s timed out at attempt %u, the "
			    "last ([signing] max_attempts): failed", hid,
			    state_stage_name(s->stage), s->attempt);
			s->failed = 1;
			sg->n_failed++;
			if (persist_sess(sg, s, err, errlen) == -1)
				return -1;
			continue;
		}
		log_warnx("session %s: %s timed out at attempt %u: "
		    "re-attempting", hid, state_stage_name(s->stage),
		    s->attempt);
		s->attempt++;
		sg->n_reattempts++;
		if (begin_attempt(sg, s, err, errlen) == -1)
			return -1;
		if (!s->completed && !s->failed &&
		    (next == 0 || s->deadline_ms < next))
			next = s->deadline_ms;
	}
	/* begin_attempt may have lowered it meanwhile. */
	sg->next_deadline = next == 0 ? now + 1000 : next;
	return 0;
}

/* ------------------------------------------------------------ routing */

/* A protocol message from our processor: to the party, via the connector. */
static int
on_processor(struct signer *sg, const struct bus_msg *m,
    const Coord__Envelope *e, char *err, size_t errlen)
{
	Coord__Envelope inner = COORD__ENVELOPE__INIT;
	Coord__P2pSend ps = COORD__P2P_SEND__INIT;
	Coord__ValidatorSet vs = COORD__VALIDATOR_SET__INIT;
	Coord__SignMessage *sm;
	Coord__ValidatorSet *oset;
	struct env_intent in;
	struct ssess *s;
	struct sset *set;
	char *ovalidator;
	uint8_t iintent[ENV_INTENTLEN], ointent[ENV_INTENTLEN], *body = NULL;
	uint8_t *sealed = NULL;
	char **to = NULL, hid[17];
	size_t i, n = 0, blen, slen;
	int rc = 0, done;

	if (!is_local(sg, e->from))
		return reject(sg, m, "SignMessage on signing from %s, not a "
		    "service of validator %s", e->from, sg->name);
	sm = coord__sign_message__unpack(NULL, e->body.len, e->body.data);
	if (sm == NULL)
		return reject(sg, m, "SignMessage: bad body");
	if (sm->sign_id.len != PARTY_HASHLEN) {
		rc = reject(sg, m, "SignMessage: sign id of %zu bytes",
		    sm->sign_id.len);
		goto out;
	}
	hex8(sm->sign_id.data, hid);
	done = sm->stage == COORD__SIGN_STAGE__SIGN_DONE;
	if (sm->stage < COORD__SIGN_STAGE__SIGN_PREPROCESS ||
	    sm->stage > COORD__SIGN_STAGE__SIGN_DONE) {
		rc = reject(sg, m, "SignMessage %s: unknown stage %d", hid,
		    sm->stage);
		goto out;
	}
	if ((s = state_sess_find(&sg->st, sm->sign_id.data)) == NULL) {
		rc = reject(sg, m, "SignMessage %s from our processor: no such "
		    "session", hid);
		goto out;
	}
	/*
	 * Our processor answers what we told it; the session may have moved
	 * on meanwhile (completed by another member's result or the chain,
	 * re-attempted on a timeout).  A late answer is not bad input: it
	 * is dropped, counted, and logged at debug level.
	 */
	if (s->completed && !done) {
		log_debug("SignMessage %s from our processor: the session "
		    "completed at attempt %u: dropped", hid,
		    s->completed_attempt);
		sg->n_late++;
		goto out;
	}
	if (sm->attempt < s->attempt && !(done && s->completed)) {
		log_debug("SignMessage %s from our processor: attempt %u, the "
		    "session is at %u: dropped", hid, sm->attempt, s->attempt);
		sg->n_late++;
		goto out;
	}
	if (sm->attempt != s->attempt && !(done && s->completed)) {
		rc = reject(sg, m, "SignMessage %s from our processor: future "
		    "attempt %u (current %u)", hid, sm->attempt, s->attempt);
		goto out;
	}
	if (!s->member) {
		rc = reject(sg, m, "SignMessage %s: we are not in the party of "
		    "attempt %u", hid, s->attempt);
		goto out;
	}
	if (s->completed)		/* another member's result came first */
		goto out;
	set = state_set_find(&sg->st, s->network, s->session);
	if (set == NULL || set->our < 0) {
		snprintf(err, errlen, "session %s: our set vanished", hid);
		rc = -1;
		goto out;
	}
	/* Say who made it: the processor need not know our name. */
	ovalidator = sm->validator;
	oset = sm->set;
	sm->validator = (char *)(uintptr_t)sg->name;
	sm->index = (uint32_t)set->our + 1;
	vs.network = s->network;
	vs.session = s->session;
	sm->set = &vs;
	blen = coord__sign_message__get_packed_size(sm);
	if ((body = malloc(blen + 1)) != NULL)
		coord__sign_message__pack(sm, body);
	sm->validator = ovalidator;	/* unpack's, freed with sm */
	sm->set = oset;
	if (body == NULL || (to = calloc(set->n, sizeof(*to))) == NULL)
		goto nomem;
	env_intent_init(&in, COORD__MSG_TYPE__SIGN_MESSAGE);
	env_intent_str(&in, "out");
	env_intent_add(&in, e->intent.data, e->intent.len);
	env_intent_final(&in, iintent);
	inner.type = COORD__MSG_TYPE__SIGN_MESSAGE;
	inner.intent.data = iintent;
	inner.intent.len = ENV_INTENTLEN;
	inner.to = (char *)"";
	inner.body.data = body;
	inner.body.len = blen;
	if ((sealed = env_seal(&inner, &sg->svc.key, &slen)) == NULL)
		goto nomem;
	/* The result goes to the whole set (non-members learn it is done);
	 * the rest to the other party members, or the one it names. */
	for (i = 0; i < set->n; i++) {
		if ((long)i == set->our)
			continue;
		if (!done && !state_sess_in_party(s, i))
			continue;
		if (!done && sm->to[0] != '\0' &&
		    strcmp(sm->to, set->names[i]) != 0)
			continue;
		to[n++] = set->names[i];
	}
	if (n > 0) {
		ps.validators = to;
		ps.n_validators = n;
		ps.envelope.data = sealed;
		ps.envelope.len = slen;
		env_intent_init(&in, COORD__MSG_TYPE__P2P_SEND);
		env_intent_add(&in, iintent, ENV_INTENTLEN);
		env_intent_final(&in, ointent);
		if (send_body(sg, TOPIC_P2P_OUTBOUND, COORD__MSG_TYPE__P2P_SEND,
		    ointent, s->sign_id, &ps.base, err, errlen) == -1) {
			rc = -1;
			goto out;
		}
		sg->n_routed_out++;
	}
	log_debug("session %s attempt %u: our %s to %zu validator(s)", hid,
	    s->attempt, state_stage_name(sm->stage), n);
	if (done)
		rc = complete(sg, s, sg->name, s->attempt, &sm->payload, err,
		    errlen);
	else {
		progress(sg, s, (size_t)set->our, sm->stage);
		rc = persist_sess(sg, s, err, errlen);
	}
	goto out;
nomem:
	snprintf(err, errlen, "out of memory");
	rc = -1;
out:
	free(body);
	free(sealed);
	free(to);
	coord__sign_message__free_unpacked(sm, NULL);
	return rc;
}

/* A message relayed by the connector from another validator. */
static int
on_peer(struct signer *sg, const struct bus_msg *m, const Coord__Envelope *e,
    int replay, char *err, size_t errlen)
{
	Coord__P2pReceived *r;
	Coord__Envelope *inner = NULL;
	Coord__SignMessage *sm = NULL;
	char why[256], want[300];
	int rc = 0;

	r = coord__p2p_received__unpack(NULL, e->body.len, e->body.data);
	if (r == NULL)
		return reject(sg, m, "P2pReceived: bad body");
	inner = env_open(r->envelope.data, r->envelope.len, &sg->svc.trust,
	    why, sizeof(why));
	if (inner == NULL) {
		rc = reject(sg, m, "P2pReceived from %s: inner envelope: %s",
		    r->validator, why);
		goto out;
	}
	if (inner->type != COORD__MSG_TYPE__SIGN_MESSAGE)
		goto out;		/* for another service */
	snprintf(want, sizeof(want), "%s.signer", r->validator);
	if (strcmp(inner->from, want) != 0) {
		rc = reject(sg, m, "P2pReceived from validator %s carries a "
		    "SignMessage sealed by %s, expected %s", r->validator,
		    inner->from, want);
		goto out;
	}
	if (!replay && dedupe_check(sg->inner, inner->intent.data))
		goto out;		/* relayed twice */
	sm = coord__sign_message__unpack(NULL, inner->body.len,
	    inner->body.data);
	if (sm == NULL || sm->sign_id.len != PARTY_HASHLEN) {
		rc = reject(sg, m, "P2pReceived from %s: bad SignMessage",
		    r->validator);
		goto out;
	}
	if (strcmp(sm->validator, r->validator) != 0) {
		rc = reject(sg, m, "SignMessage says it is from %s, relayed "
		    "from %s", sm->validator, r->validator);
		goto out;
	}
	rc = peer_sign(sg, m, inner->intent.data, sm, err, errlen);
out:
	if (sm != NULL)
		coord__sign_message__free_unpacked(sm, NULL);
	env_free(inner);
	coord__p2p_received__free_unpacked(r, NULL);
	return rc;
}

static int
peer_sign(struct signer *sg, const struct bus_msg *m, const uint8_t *iintent,
    const Coord__SignMessage *sm, char *err, size_t errlen)
{
	struct env_intent in;
	struct party p;
	struct ssess *s;
	struct sset *set;
	uint8_t intent[ENV_INTENTLEN];
	char hid[17], why[256];
	long pos;
	int done = sm->stage == COORD__SIGN_STAGE__SIGN_DONE, in_p;

	hex8(sm->sign_id.data, hid);
	if (sm->stage < COORD__SIGN_STAGE__SIGN_PREPROCESS ||
	    sm->stage > COORD__SIGN_STAGE__SIGN_DONE)
		return reject(sg, m, "SignMessage %s from %s: unknown stage %d",
		    hid, sm->validator, sm->stage);
	if ((s = state_sess_find(&sg->st, sm->sign_id.data)) == NULL) {
		/*
		 * Not here, of a retired set: finished here and forgotten
		 * with the retirement, or never to start (no session starts
		 * on a retired set).  Holding it would only end in early_ttl.
		 * A result is late, like another member's result for a
		 * completed session; anything else is refused at once.
		 */
		if (sm->set != NULL && (set = state_set_find(&sg->st,
		    sm->set->network, sm->set->session)) != NULL &&
		    set->retired) {
			if (done) {
				log_debug("SignMessage %s from %s: a result "
				    "for a session of retired set %u/%u not "
				    "running here: dropped", hid,
				    sm->validator, set->network, set->session);
				return 0;
			}
			return reject(sg, m, "SignMessage %s from %s: set "
			    "%u/%u is retired and the session is not running "
			    "here", hid, sm->validator, set->network,
			    set->session);
		}
		return early_add(sg, m, iintent, sm, err, errlen);
	}
	if ((set = state_set_find(&sg->st, s->network, s->session)) == NULL) {
		snprintf(err, errlen, "session %s: set vanished", hid);
		return -1;
	}
	if (sm->set != NULL && (sm->set->network != s->network ||
	    sm->set->session != s->session))
		return reject(sg, m, "SignMessage %s from %s: for set %u/%u, "
		    "the session is of set %u/%u", hid, sm->validator,
		    sm->set->network, sm->set->session, s->network,
		    s->session);
	if ((pos = state_set_pos(set, sm->validator)) < 0)
		return reject(sg, m, "SignMessage %s: sender %s is not in set "
		    "%u/%u", hid, sm->validator, s->network, s->session);
	if (s->completed) {
		if (done)
			return 0;	/* another member's result: fine */
		return reject(sg, m, "SignMessage %s from %s: session "
		    "completed at attempt %u", hid, sm->validator,
		    s->completed_attempt);
	}
	if (s->failed)
		return reject(sg, m, "SignMessage %s from %s: session failed",
		    hid, sm->validator);
	if (sm->attempt != s->attempt) {
		/* Membership of that attempt: the party is a pure
		 * function, so we can tell without having formed it. */
		if (party_of(sg, s, set, sm->attempt, &p, why,
		    sizeof(why)) == -1)
			return reject(sg, m, "SignMessage %s: %s", hid, why);
		in_p = party_has(&p, (size_t)pos);
		party_free(&p);
		if (!in_p)
			return reject(sg, m, "SignMessage %s: sender %s is not "
			    "in the party of attempt %u", hid, sm->validator,
			    sm->attempt);
		/* A member's result completes the session, whatever
		 * attempt we are at: late or early, it is a result. */
		if (done)
			return complete(sg, s, sm->validator, sm->attempt,
			    &sm->payload, err, errlen);
		if (sm->attempt > s->attempt)
			return early_add(sg, m, iintent, sm, err, errlen);
		return reject(sg, m, "SignMessage %s from %s: stale attempt %u "
		    "(current %u)", hid, sm->validator, sm->attempt,
		    s->attempt);
	}
	if (!state_sess_in_party(s, (size_t)pos))
		return reject(sg, m, "SignMessage %s: sender %s is not in the "
		    "party of attempt %u", hid, sm->validator, s->attempt);
	if (!s->member && !done)
		return reject(sg, m, "SignMessage %s from %s: we are not in the "
		    "party of attempt %u", hid, sm->validator, s->attempt);
	if (s->member) {
		/* To our processor, sealed by us. */
		env_intent_init(&in, COORD__MSG_TYPE__SIGN_MESSAGE);
		env_intent_str(&in, "in");
		env_intent_add(&in, iintent, ENV_INTENTLEN);
		env_intent_final(&in, intent);
		if (send_body(sg, TOPIC_SIGNING, COORD__MSG_TYPE__SIGN_MESSAGE,
		    intent, s->sign_id, &sm->base, err, errlen) == -1)
			return -1;
		sg->n_routed_in++;
		log_debug("session %s attempt %u: %s of %s to our processor",
		    hid, s->attempt, state_stage_name(sm->stage),
		    sm->validator);
	}
	if (done)
		return complete(sg, s, sm->validator, sm->attempt,
		    &sm->payload, err, errlen);
	progress(sg, s, (size_t)pos, sm->stage);
	return persist_sess(sg, s, err, errlen);
}

/* ------------------------------------------------------------ early */

static int
early_add(struct signer *sg, const struct bus_msg *m, const uint8_t *iintent,
    const Coord__SignMessage *sm, char *err, size_t errlen)
{
	struct searly e;
	struct ssess *s;
	char hid[17];

	if (state_early_find(&sg->st, iintent) != -1)
		return 0;
	if (sg->early_window == 0)
		return reject(sg, m, "SignMessage for an unknown session or "
		    "a future attempt, and [signing] early_window is 0");
	while (sg->st.nearly >= sg->early_window)
		if (early_drop(sg, 0, "early window full: the oldest early "
		    "message is dropped", err, errlen) == -1)
			return -1;
	memset(&e, 0, sizeof(e));
	memcpy(e.intent, iintent, PARTY_HASHLEN);
	memcpy(e.sign_id, sm->sign_id.data, PARTY_HASHLEN);
	e.attempt = sm->attempt;
	e.received_ms = clock_wall_ms();
	e.partition = m->partition;
	e.offset = m->offset;
	if ((e.rec = malloc(m->len + 1)) == NULL ||
	    (e.topic = strdup(m->topic != NULL ? m->topic : "-")) == NULL ||
	    (e.validator = strdup(sm->validator)) == NULL) {
		free(e.rec);
		free(e.topic);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(e.rec, m->val, m->len);
	e.len = m->len;
	if (state_early_add(&sg->st, &e) == -1) {
		free(e.rec);
		free(e.topic);
		free(e.validator);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	hex8(sm->sign_id.data, hid);
	log_info("session %s attempt %u: %s from %s held until the session "
	    "forms (%zu held)", hid, sm->attempt, state_stage_name(sm->stage),
	    sm->validator, sg->st.nearly);
	if (persist_early(sg, &sg->st.early[sg->st.nearly - 1], err,
	    errlen) == -1)
		return -1;
	if ((s = state_sess_find(&sg->st, sm->sign_id.data)) != NULL)
		return catch_up(sg, s, err, errlen);
	return 0;
}

/*
 * Coordinators start an attempt at slightly different times (a stage's
 * timeout starts when each heard of the session; a non-member cannot see
 * the stages and waits for both).  Without a shared clock, follow signed
 * evidence instead: once the members of a later attempt's party from whom
 * we hold messages for it, with us, reach its threshold, that attempt can
 * complete and we move to it at once.  A minority cannot move us: it needs
 * the threshold's weight (less ours) of distinct, authenticated members.
 */
static int
catch_up(struct signer *sg, struct ssess *s, char *err, size_t errlen)
{
	struct sset *set;
	struct party p;
	uint64_t w;
	uint32_t best = s->attempt, a;
	size_t i, j, k;
	long pos;
	char hid[17], why[256];
	int dup;

	if (s->completed || s->failed ||
	    (set = state_set_find(&sg->st, s->network, s->session)) == NULL ||
	    set->our < 0)
		return 0;
	for (i = 0; i < sg->st.nearly; i++) {
		a = sg->st.early[i].attempt;
		if (a <= best || memcmp(sg->st.early[i].sign_id, s->sign_id,
		    PARTY_HASHLEN) != 0)
			continue;
		if (party_of(sg, s, set, a, &p, why, sizeof(why)) == -1)
			continue;
		w = party_has(&p, (size_t)set->our) ?
		    set->v[set->our].weight : 0;
		if (w == 0) {		/* not ours to join */
			party_free(&p);
			continue;
		}
		for (j = 0; j < sg->st.nearly; j++) {
			if (sg->st.early[j].attempt != a ||
			    memcmp(sg->st.early[j].sign_id, s->sign_id,
			    PARTY_HASHLEN) != 0 ||
			    (pos = state_set_pos(set,
			    sg->st.early[j].validator)) < 0 ||
			    !party_has(&p, (size_t)pos) || pos == set->our)
				continue;
			/* Count each member once. */
			dup = 0;
			for (k = 0; k < j; k++)
				if (sg->st.early[k].attempt == a &&
				    memcmp(sg->st.early[k].sign_id, s->sign_id,
				    PARTY_HASHLEN) == 0 &&
				    strcmp(sg->st.early[k].validator,
				    sg->st.early[j].validator) == 0)
					dup = 1;
			if (!dup)
				w += set->v[pos].weight;
		}
		if (w >= p.threshold)
			best = a;
		party_free(&p);
	}
	if (best == s->attempt)
		return 0;
	hex8(s->sign_id, hid);
	log_warnx("session %s: members of attempt %u's party are there "
	    "already: leaving attempt %u for it", hid, best, s->attempt);
	sg->n_reattempts++;
	s->attempt = best;
	return begin_attempt(sg, s, err, errlen);
}

static void
early_msg(const struct searly *e, struct bus_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->topic = e->topic;
	m->partition = e->partition;
	m->offset = e->offset;
	m->val = e->rec;
	m->len = e->len;
}

/* Early message i out of the window and the decision log. */
static int
early_forget(struct signer *sg, size_t i, char *err, size_t errlen)
{
	char key[STATE_KEYLEN];

	state_key_early(key, sg->st.early[i].intent);
	if (signer_persist(sg, key, NULL, err, errlen) == -1)
		return -1;
	state_early_del(&sg->st, i);
	return 0;
}

/* Dead-letter early message i, whole, and forget it. */
static int
early_drop(struct signer *sg, size_t i, const char *reason, char *err,
    size_t errlen)
{
	struct bus_msg m;

	early_msg(&sg->st.early[i], &m);
	(void)reject(sg, &m, "%s", reason);
	return early_forget(sg, i, err, errlen);
}

/*
 * The SignMessage early message x holds, or NULL if it no longer opens
 * (it did when it came: the trust changed since).  The caller frees it.
 */
static Coord__SignMessage *
early_sm(struct signer *sg, const struct searly *x)
{
	Coord__Envelope *e, *inner = NULL;
	Coord__P2pReceived *r;
	Coord__SignMessage *sm = NULL;
	char why[256];

	if ((e = env_open(x->rec, x->len, &sg->svc.trust, why,
	    sizeof(why))) == NULL)
		return NULL;
	r = coord__p2p_received__unpack(NULL, e->body.len, e->body.data);
	if (r != NULL && (inner = env_open(r->envelope.data, r->envelope.len,
	    &sg->svc.trust, why, sizeof(why))) != NULL)
		sm = coord__sign_message__unpack(NULL, inner->body.len,
		    inner->body.data);
	env_free(inner);
	if (r != NULL)
		coord__p2p_received__free_unpacked(r, NULL);
	env_free(e);
	return sm;
}

/*
 * Set network/session retired: the early messages held for its sessions
 * that are not running here will never be handled (no session starts on
 * a retired set).  As peer_sign does with those that come after the
 * retirement: a result is dropped, anything else refused, now rather
 * than after early_ttl.
 */
static int
early_retired(struct signer *sg, uint32_t network, uint32_t session,
    char *err, size_t errlen)
{
	Coord__SignMessage *sm;
	struct searly *x;
	char hid[17], reason[256];
	size_t i;
	int ours, done;

	for (i = 0; i < sg->st.nearly;) {
		x = &sg->st.early[i];
		if (state_sess_find(&sg->st, x->sign_id) != NULL ||
		    (sm = early_sm(sg, x)) == NULL) {
			i++;
			continue;
		}
		ours = sm->set != NULL && sm->set->network == network &&
		    sm->set->session == session;
		done = sm->stage == COORD__SIGN_STAGE__SIGN_DONE;
		coord__sign_message__free_unpacked(sm, NULL);
		if (!ours) {
			i++;
			continue;
		}
		hex8(x->sign_id, hid);
		if (done) {
			log_debug("SignMessage %s from %s: a result held for "
			    "a session of set %u/%u, retired, not running "
			    "here: dropped", hid, x->validator, network,
			    session);
			if (early_forget(sg, i, err, errlen) == -1)
				return -1;
			continue;
		}
		snprintf(reason, sizeof(reason), "SignMessage %s from %s: "
		    "held, and set %u/%u retired with the session not "
		    "running here", hid, x->validator, network, session);
		if (early_drop(sg, i, reason, err, errlen) == -1)
			return -1;
	}
	return 0;
}

/* Held messages of this session up to its attempt: handle them now. */
static int
deliver_early(struct signer *sg, struct ssess *s, char *err, size_t errlen)
{
	Coord__Envelope *e;
	struct searly x;
	struct bus_msg m;
	char key[STATE_KEYLEN], why[256];
	size_t i;
	int rc;

	for (i = 0; i < sg->st.nearly;) {
		if (memcmp(sg->st.early[i].sign_id, s->sign_id,
		    PARTY_HASHLEN) != 0 || sg->st.early[i].attempt > s->attempt) {
			i++;
			continue;
		}
		/* Take it out of the window first: handling may add. */
		x = sg->st.early[i];
		memmove(&sg->st.early[i], &sg->st.early[i + 1],
		    (sg->st.nearly - i - 1) * sizeof(x));
		sg->st.nearly--;
		state_key_early(key, x.intent);
		rc = signer_persist(sg, key, NULL, err, errlen);
		early_msg(&x, &m);
		if (rc == 0) {
			e = env_open(x.rec, x.len, &sg->svc.trust, why,
			    sizeof(why));
			if (e == NULL)
				rc = reject(sg, &m, "held message: %s", why);
			else {
				rc = on_peer(sg, &m, e, 1, err, errlen);
				env_free(e);
			}
		}
		free(x.rec);
		free(x.topic);
		free(x.validator);
		if (rc == -1)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ held */

/*
 * Our processor's request for a set we have not seen yet: kept, whole, in
 * a window of its own ([signing] early_window requests for early_ttl) and
 * in the decision log, until the set comes (hold_scan starts it as if it
 * had just arrived) or it is dropped with a reason.
 */
static int
hold_add(struct signer *sg, const struct bus_msg *m, int kind,
    uint32_t network, uint32_t session, const uint8_t *id, char *err,
    size_t errlen)
{
	struct shold h;
	uint64_t now = clock_wall_ms();
	char hid[17], reason[256];

	hex8(id, hid);
	if (state_hold_find(&sg->st, id) != -1) {
		log_debug("session %s: already held", hid);
		return 0;
	}
	if (sg->early_window == 0)
		return reject(sg, m, "session %s (%s): validator set %u/%u "
		    "unknown, and [signing] early_window is 0 (nothing is "
		    "held)", hid, state_kind_name(kind), network, session);
	while (sg->st.nhold >= sg->early_window) {
		hex8(sg->st.hold[0].sign_id, hid);
		snprintf(reason, sizeof(reason), "session %s: validator set "
		    "%u/%u still unknown after %llu ms, and the window of "
		    "held requests is full ([signing] early_window %zu): the "
		    "oldest is dropped", hid, sg->st.hold[0].network,
		    sg->st.hold[0].session, (unsigned long long)(now -
		    sg->st.hold[0].received_ms), sg->early_window);
		if (hold_drop(sg, 0, reason, err, errlen) == -1)
			return -1;
	}
	hex8(id, hid);
	memset(&h, 0, sizeof(h));
	memcpy(h.sign_id, id, PARTY_HASHLEN);
	h.network = network;
	h.session = session;
	h.partition = m->partition;
	h.offset = m->offset;
	h.received_ms = now;
	if ((h.rec = malloc(m->len + 1)) == NULL ||
	    (h.topic = strdup(m->topic != NULL ? m->topic : "-")) == NULL) {
		state_hold_clear(&h);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(h.rec, m->val, m->len);
	h.len = m->len;
	if (state_hold_add(&sg->st, &h) == -1) {
		state_hold_clear(&h);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	log_info("session %s (%s): set %u/%u not seen yet: held (%zu held)",
	    hid, state_kind_name(kind), network, session, sg->st.nhold);
	return persist_hold(sg, &sg->st.hold[sg->st.nhold - 1], err, errlen);
}

static void
hold_msg(const struct shold *h, struct bus_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->topic = h->topic;
	m->partition = h->partition;
	m->offset = h->offset;
	m->val = h->rec;
	m->len = h->len;
}

/* Dead-letter held request i, whole, and forget it. */
static int
hold_drop(struct signer *sg, size_t i, const char *reason, char *err,
    size_t errlen)
{
	struct bus_msg m;
	char key[STATE_KEYLEN];

	hold_msg(&sg->st.hold[i], &m);
	(void)reject(sg, &m, "%s", reason);
	state_key_hold(key, sg->st.hold[i].sign_id);
	if (signer_persist(sg, key, NULL, err, errlen) == -1)
		return -1;
	state_hold_del(&sg->st, i);
	return 0;
}

/*
 * Every held request: its set known now, it starts as if it had just
 * arrived; a set of its network above it known instead, its own will never
 * come: refused; held early_ttl, refused.  After a set enters the state
 * and once a second.
 */
static int
hold_scan(struct signer *sg, char *err, size_t errlen)
{
	Coord__Envelope *e;
	struct shold x;
	struct bus_msg m;
	uint64_t now = clock_wall_ms(), held;
	uint32_t highest;
	char key[STATE_KEYLEN], hid[17], why[256];
	size_t i;
	int any, rc;

	for (i = 0; i < sg->st.nhold;) {
		x = sg->st.hold[i];
		hex8(x.sign_id, hid);
		held = now > x.received_ms ? now - x.received_ms : 0;
		if (state_set_find(&sg->st, x.network, x.session) == NULL) {
			highest = state_set_highest(&sg->st, x.network, &any);
			if (any && highest > x.session)
				snprintf(why, sizeof(why), "session %s: "
				    "validator set %u/%u unknown, and set "
				    "%u/%u came after it (held %llu ms)", hid,
				    x.network, x.session, x.network, highest,
				    (unsigned long long)held);
			else if (held >= sg->early_ttl_ms)
				snprintf(why, sizeof(why), "session %s: "
				    "validator set %u/%u still unknown after "
				    "%llu ms", hid, x.network, x.session,
				    (unsigned long long)held);
			else {
				i++;
				continue;
			}
			if (hold_drop(sg, i, why, err, errlen) == -1)
				return -1;
			continue;
		}
		/* Out of the window first: handling it may hold again. */
		state_hold_take(&sg->st, i, &x);
		state_key_hold(key, x.sign_id);
		log_info("session %s: set %u/%u seen: its request, held %llu "
		    "ms, starts (%zu held)", hid, x.network, x.session,
		    (unsigned long long)held, sg->st.nhold);
		rc = signer_persist(sg, key, NULL, err, errlen);
		hold_msg(&x, &m);
		if (rc == 0) {
			e = env_open(x.rec, x.len, &sg->svc.trust, why,
			    sizeof(why));
			if (e == NULL)
				rc = reject(sg, &m, "held request: %s", why);
			else {
				rc = route_message(sg, &m, e, err, errlen);
				env_free(e);
			}
		}
		state_hold_clear(&x);
		if (rc == -1)
			return -1;
		i = 0;		/* handling may have changed the window */
	}
	return 0;
}

/* Requests still held when the input ends without a decision log (-i):
 * refused, so none is lost without a word. */
int
route_end(struct signer *sg, char *err, size_t errlen)
{
	char hid[17], why[256];

	if (sg->persist)
		return 0;
	while (sg->st.nhold > 0) {
		hex8(sg->st.hold[0].sign_id, hid);
		snprintf(why, sizeof(why), "session %s: validator set %u/%u "
		    "still unknown at the end of the input", hid,
		    sg->st.hold[0].network, sg->st.hold[0].session);
		if (hold_drop(sg, 0, why, err, errlen) == -1)
			return -1;
	}
	return 0;
}

/*
 * creq: ConnectRequest records from p2p-outbound.  Each validator named
 * (name, libp2p public key, endpoint) is added if it is new and dialled at
 * once; the request is answered with a ConnectResult on p2p-inbound when
 * every one of them is connected, or after connect_timeout with what is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "clock.h"
#include "log.h"
#include "connector/cn.h"

static void	 creq_peer(struct connector *, const Coord__ValidatorAddr *);
static void	 creq_result(struct connector *, const struct creq *, size_t);
static void	 creq_free(struct creq *);

void
creq_add(struct connector *c, struct rec *r)
{
	Coord__ConnectRequest *rq;
	Coord__ValidatorAddr *va;
	struct creq *q;
	size_t	 i;

	rq = coord__connect_request__unpack(NULL, r->env->body.len,
	    r->env->body.data);
	if (rq == NULL) {
		svc_dlq(&c->svc, &r->m, "connector: ConnectRequest does not "
		    "parse");
		return;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL ||
	    (q->names = calloc(rq->n_validators + 1, sizeof(char *))) == NULL)
		fatal(EX_TEMP, "calloc");
	memcpy(q->intent, r->env->intent.data, ENV_INTENTLEN);
	q->deadline = clock_mono_ms() + c->connect_timeout;
	for (i = 0; i < rq->n_validators; i++) {
		va = rq->validators[i];
		if ((q->names[q->n++] = strdup(va->name)) == NULL)
			fatal(EX_TEMP, "strdup");
		creq_peer(c, va);
	}
	coord__connect_request__free_unpacked(rq, NULL);
	TAILQ_INSERT_TAIL(&c->creqs, q, entry);
}

/* One validator of a request: added if new, given its endpoint, dialled. */
static void
creq_peer(struct connector *c, const Coord__ValidatorAddr *va)
{
	struct peer *p;
	struct peerid id;
	struct multiaddr ma;
	char	 err[256];

	if (va->public_key.len != 32) {
		log_warnx("ConnectRequest: %s: public key of %zu bytes",
		    va->name, va->public_key.len);
		return;
	}
	if (strcmp(va->name, cfg_str(c->app.cfg, "general", "name")) == 0)
		return;
	peerid_from_ed25519(va->public_key.data, &id);
	if ((p = peer_by_id(c, &id)) == NULL) {
		if (peer_by_name(c, va->name) != NULL) {
			log_warnx("ConnectRequest: %s: a validator of that "
			    "name has another key", va->name);
			return;
		}
		if ((p = peer_add(c, va->name, &id)) == NULL)
			return;
		p->dynamic = 1;
		log_info("validator %s (%s) added by a connect request",
		    p->name, p->idstr);
	}
	if (va->endpoint != NULL && va->endpoint[0] != '\0' && !p->has_addr) {
		if (multiaddr_parse(va->endpoint, &ma, err, sizeof(err)) ==
		    -1) {
			snprintf(p->last_error, sizeof(p->last_error), "%s",
			    err);
			return;
		}
		p->addr = ma;
		p->addr.has_peer = 1;
		p->addr.peer = p->id;
		p->has_addr = 1;
	}
	p->next_dial = 0;
}

/* Answer connect requests whose peers are all up, or whose time is up. */
void
creqs_answer(struct connector *c, uint64_t now)
{
	struct creq *q, *tmp;
	struct peer *p;
	size_t	 i, up;

	TAILQ_FOREACH_SAFE(q, &c->creqs, entry, tmp) {
		for (i = up = 0; i < q->n; i++)
			if ((p = peer_by_name(c, q->names[i])) == NULL ||
			    p->conn != NULL ||
			    strcmp(q->names[i], cfg_str(c->app.cfg, "general",
			    "name")) == 0)
				up++;
		if (up < q->n && now < q->deadline)
			continue;
		creq_result(c, q, up);
		TAILQ_REMOVE(&c->creqs, q, entry);
		creq_free(q);
	}
}

/* ConnectResult: each validator of the request, connected or why not. */
static void
creq_result(struct connector *c, const struct creq *q, size_t up)
{
	Coord__ConnectResult cr = COORD__CONNECT_RESULT__INIT;
	Coord__PeerOutcome *po, **pp;
	struct env_intent in;
	struct peer *p;
	uint8_t	 intent[ENV_INTENTLEN];
	char	 err[256];
	size_t	 i;

	po = calloc(q->n + 1, sizeof(*po));
	pp = calloc(q->n + 1, sizeof(*pp));
	if (po == NULL || pp == NULL)
		fatal(EX_TEMP, "calloc");
	for (i = 0; i < q->n; i++) {
		coord__peer_outcome__init(&po[i]);
		po[i].name = q->names[i];
		p = peer_by_name(c, q->names[i]);
		if (strcmp(q->names[i], cfg_str(c->app.cfg, "general",
		    "name")) == 0)
			po[i].connected = 1;
		else if (p == NULL)
			po[i].error = (char *)"unknown or invalid key";
		else if (p->conn != NULL)
			po[i].connected = 1;
		else
			po[i].error = p->last_error[0] != '\0' ?
			    p->last_error : (char *)"not connected yet";
		pp[i] = &po[i];
	}
	cr.request_intent.data = (uint8_t *)(uintptr_t)q->intent;
	cr.request_intent.len = ENV_INTENTLEN;
	cr.peers = pp;
	cr.n_peers = q->n;
	env_intent_init(&in, COORD__MSG_TYPE__CONNECT_RESULT);
	env_intent_add(&in, q->intent, ENV_INTENTLEN);
	env_intent_final(&in, intent);
	if (svc_send(&c->svc, TOPIC_P2P_INBOUND,
	    COORD__MSG_TYPE__CONNECT_RESULT, intent, "", &cr.base, err,
	    sizeof(err)) == -1)
		log_warnx("ConnectResult: %s", err);
	log_info("connect request answered: %zu of %zu connected", up, q->n);
	free(po);
	free(pp);
}

static void
creq_free(struct creq *q)
{
	size_t	 i;

	for (i = 0; i < q->n; i++)
		free(q->names[i]);
	free(q->names);
	free(q);
}

/* At exit: requests not yet answered go unanswered. */
void
creqs_free(struct connector *c)
{
	struct creq *q;

	while ((q = TAILQ_FIRST(&c->creqs)) != NULL) {
		TAILQ_REMOVE(&c->creqs, q, entry);
		creq_free(q);
	}
}

/*
 * relay: the bus to the peers and the peers to the bus.
 *
 * Out: a P2pSend record from p2p-outbound is kept (struct rec) until every
 * validator it names acknowledged its envelope; each of them has it in its
 * queue (struct pmsg), sent again on every new connection.  A peer whose
 * queue is full falls behind instead (replay.c reads its records back).
 *
 * In: what a peer sends is verified (signed by a service we trust, the
 * intent the frame claims), produced to p2p-inbound as P2pReceived, and
 * acknowledged (struct pack) once the producer confirmed it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "connector/cn.h"

static struct rec *rec_new(struct connector *, const struct bus_msg *,
		    Coord__Envelope *);
static void	 rec_free(struct connector *, struct rec *);
static void	 rec_ack(struct connector *, struct rec *);
static void	 outbound_send(struct connector *, struct rec *, int);
static size_t	 outbound_targets(struct connector *, const Coord__P2pSend *,
		    struct peer **);
static void	 outbound_queue(struct connector *, struct peer *,
		    struct rec *, const uint8_t *, int);
static void	 outbound_resend(struct peer *);
static struct pmsg *find_sent(struct peer *, const uint8_t *);
static struct pack *pack_new(struct connector *, struct peer *,
		    struct conn *, uint32_t, const uint8_t *);
static void	 pack_answer(struct pack *, int);
static void	 inbound_produce(struct connector *, struct peer *,
		    struct pack *, const uint8_t *, size_t);

/* ------------------------------------------------------------ out */

static struct rec *
rec_new(struct connector *c, const struct bus_msg *m, Coord__Envelope *e)
{
	struct rec *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal(EX_TEMP, "calloc");
	r->m = *m;
	r->env = e;
	r->pending = 1;		/* ours, until the targets are queued */
	TAILQ_INSERT_TAIL(&c->recs, r, entry);
	c->nrecs++;
	c->n_out++;
	return r;
}

static void
rec_free(struct connector *c, struct rec *r)
{
	TAILQ_REMOVE(&c->recs, r, entry);
	c->nrecs--;
	if (r->ps != NULL)
		coord__p2p_send__free_unpacked(r->ps, NULL);
	env_free(r->env);
	bus_release(c->svc.bus, &r->m);
	free(r);
}

/* One target fewer; a record every target has is finished. */
static void
rec_ack(struct connector *c, struct rec *r)
{
	if (r->pending > 0)
		r->pending--;
	if (r->pending == 0)
		rec_free(c, r);
}

/* A record from p2p-outbound: a P2pSend or a ConnectRequest. */
void
relay_outbound(struct connector *c, struct bus_msg *m, Coord__Envelope *e)
{
	struct rec *r;
	char	 why[256];
	int	 pi = -1;

	r = rec_new(c, m, e);
	if (c->kafka_in && m->offset >= 0) {
		pi = part_index(c, m->partition);
		c->part[pi].next = m->offset + 1;
	}
	if (e->type == COORD__MSG_TYPE__CONNECT_REQUEST)
		creq_add(c, r);
	else if (e->type != COORD__MSG_TYPE__P2P_SEND) {
		snprintf(why, sizeof(why), "connector: unexpected %s on "
		    "p2p-outbound", env_type_name(e->type) ?
		    env_type_name(e->type) : "message type");
		svc_dlq(&c->svc, m, why);
	} else
		outbound_send(c, r, pi);
	rec_ack(c, r);		/* ours: done, unless peers have it */
}

/* A P2pSend: its envelope queued for the validators it names. */
static void
outbound_send(struct connector *c, struct rec *r, int pi)
{
	Coord__Envelope *inner;
	struct peer *targets[MAXPEERS];
	size_t	 nt, i;

	r->ps = coord__p2p_send__unpack(NULL, r->env->body.len,
	    r->env->body.data);
	if (r->ps == NULL) {
		svc_dlq(&c->svc, &r->m, "connector: P2pSend does not parse");
		return;
	}
	inner = coord__envelope__unpack(NULL, r->ps->envelope.len,
	    r->ps->envelope.data);
	if (inner == NULL || inner->intent.len != ENV_INTENTLEN) {
		if (inner != NULL)
			coord__envelope__free_unpacked(inner, NULL);
		svc_dlq(&c->svc, &r->m, "connector: the envelope in P2pSend "
		    "does not parse");
		return;
	}
	nt = outbound_targets(c, r->ps, targets);
	for (i = 0; i < nt; i++)
		outbound_queue(c, targets[i], r, inner->intent.data, pi);
	coord__envelope__free_unpacked(inner, NULL);
}

/* The validators named, each once (none named: all); unknown ones skipped. */
static size_t
outbound_targets(struct connector *c, const Coord__P2pSend *ps,
    struct peer **targets)
{
	struct peer *p;
	size_t	 nt = 0, i, k;

	if (ps->n_validators == 0) {
		for (i = 0; i < c->npeer; i++)
			targets[nt++] = c->peer[i];
		return nt;
	}
	for (i = 0; i < ps->n_validators; i++) {
		if ((p = peer_by_name(c, ps->validators[i])) == NULL) {
			log_warnx("P2pSend to unknown validator %s: skipped",
			    ps->validators[i]);
			continue;
		}
		for (k = 0; k < nt && targets[k] != p; k++)
			;
		if (k == nt)
			targets[nt++] = p;
	}
	return nt;
}

/* Into p's queue; or, the queue full, p alone falls behind in pi. */
static void
outbound_queue(struct connector *c, struct peer *p, struct rec *r,
    const uint8_t *intent, int pi)
{
	struct pmsg *pm;

	if (pi >= 0 && p->behind[pi] >= 0)
		return;		/* it reads this from the log */
	if (pi >= 0 && p->qlen >= c->max_queue) {
		/* Full: this peer alone falls behind; the others go on.  It
		 * catches up from the log. */
		p->behind[pi] = r->m.offset;
		p->nbehind++;
		p->reassign = 1;
		log_info("validator %s: %zu message(s) queued; reading %s[%d] "
		    "back from offset %lld later", p->name, p->qlen, c->otopic,
		    r->m.partition, (long long)r->m.offset);
		return;
	}
	if ((pm = calloc(1, sizeof(*pm))) == NULL)
		fatal(EX_TEMP, "calloc");
	pm->rec = r;
	memcpy(pm->intent, intent, ENV_INTENTLEN);
	pm->data = r->ps->envelope.data;
	pm->len = r->ps->envelope.len;
	pm->pi = pi;
	pm->off = r->m.offset;
	TAILQ_INSERT_TAIL(&p->q, pm, entry);
	p->qlen++;
	r->pending++;
}

void
relay_send(struct connector *c)
{
	struct peer *p;
	struct pmsg *pm;
	size_t	 i;

	for (i = 0; i < c->npeer; i++) {
		p = c->peer[i];
		if (p->conn == NULL || p->conn->state != CONN_OPEN)
			continue;
		if (p->conn->coord_resets != p->coord_resets)
			outbound_resend(p);
		TAILQ_FOREACH(pm, &p->q, entry) {
			if (pm->sent)
				continue;
			/* A long message waits for the stream's queue to
			 * empty, then is sealed straight from its record
			 * (one copy fewer: see CONN_SEND_DIRECT). */
			if (pm->len >= CONN_SEND_DIRECT &&
			    conn_queued(p->conn) > 0)
				break;
			if (conn_send(p->conn, pm->intent, pm->data, pm->len)
			    == -1)
				break;
			pm->sent = 1;
			p->n_sent++;
		}
	}
}

/*
 * The stream we send on was reset: what was sent on it and not yet
 * acknowledged goes again now, on a new stream, rather than after a
 * reconnect that may never come (the connection stays up).
 */
static void
outbound_resend(struct peer *p)
{
	struct pmsg *pm;
	size_t	 n = 0;

	p->coord_resets = p->conn->coord_resets;
	TAILQ_FOREACH(pm, &p->q, entry)
		if (pm->sent) {
			pm->sent = 0;
			n++;
		}
	log_info("validator %s: the stream we send on was reset; sending %zu "
	    "unacknowledged message(s) again on a new stream", p->name, n);
}

/* Off the queue: its record has one target fewer. */
void
pmsg_free(struct connector *c, struct pmsg *pm)
{
	if (pm->rec != NULL)
		rec_ack(c, pm->rec);
	free(pm->own);
	free(pm);
}

/* The head-most queued message for this peer with that intent. */
static struct pmsg *
find_sent(struct peer *p, const uint8_t *intent)
{
	struct pmsg *pm;

	TAILQ_FOREACH(pm, &p->q, entry)
		if (memcmp(pm->intent, intent, ENV_INTENTLEN) == 0)
			return pm;
	return NULL;
}

void
relay_ack(void *arg, struct conn *conn, const uint8_t *intent)
{
	struct connector *c = arg;
	struct peer *p;
	struct pmsg *pm;

	if ((p = peer_by_id(c, &conn->remote)) == NULL ||
	    (pm = find_sent(p, intent)) == NULL)
		return;
	TAILQ_REMOVE(&p->q, pm, entry);
	p->qlen--;
	p->n_acked++;
	pmsg_free(c, pm);
}

void
relay_reject(void *arg, struct conn *conn, const uint8_t *intent, int reason)
{
	struct connector *c = arg;
	struct peer *p;
	struct pmsg *pm;
	struct bus_msg m;
	char	 why[256];

	if ((p = peer_by_id(c, &conn->remote)) == NULL ||
	    (pm = find_sent(p, intent)) == NULL)
		return;
	snprintf(why, sizeof(why), "connector: validator %s refused it (%s)",
	    p->name, reason == COORD_R_TOOBIG ? "too large" : "invalid");
	log_warnx("%s", why);
	if (pm->rec != NULL)
		svc_dlq(&c->svc, &pm->rec->m, why);
	else {
		/* Read back from the log: the envelope it carried. */
		memset(&m, 0, sizeof(m));
		m.topic = c->otopic;
		m.partition = c->part[pm->pi].id;
		m.offset = pm->off;
		m.val = pm->data;
		m.len = pm->len;
		svc_dlq(&c->svc, &m, why);
	}
	TAILQ_REMOVE(&p->q, pm, entry);
	p->qlen--;
	p->n_rejected++;
	pmsg_free(c, pm);
}

/* At exit: undelivered records stay unstored, consumed again next time. */
void
recs_free(struct connector *c)
{
	struct rec *r;

	if (c->nrecs > 0)
		log_info("%zu record(s) not yet delivered: consumed again on "
		    "the next start", c->nrecs);
	while ((r = TAILQ_FIRST(&c->recs)) != NULL)
		rec_free(c, r);
}

/* ------------------------------------------------------------ in */

/* The producer's word on a P2pReceived record (token: its pack). */
void
relay_delivered(void *arg, void *token, const char *err)
{
	struct connector *c = arg;
	struct pack *a = token;

	if (a->state != PACK_WAIT)
		return;
	a->state = err == NULL ? PACK_OK : PACK_FAIL;
	if (err != NULL)
		log_warnx("p2p-inbound: %s", err);
	c->nresolved++;
}

static void
pack_answer(struct pack *a, int ok)
{
	if (a->peer == NULL || a->peer->conn != a->conn)
		return;		/* gone: the peer will send it again */
	if (ok)
		conn_ack(a->conn, a->sid, a->intent);
	else
		conn_close(a->conn, "could not produce to p2p-inbound");
}

/*
 * Acknowledge what the producer confirmed; hang up on a connection whose
 * message could not be produced (the peer sends it again).  Never blocks:
 * a record still being produced holds back only its own acknowledgement.
 */
void
relay_acks(struct connector *c)
{
	struct pack *a, *b, *tmp;
	int	 ok;

	if (c->nresolved == 0)
		return;
	c->nresolved = 0;
	TAILQ_FOREACH(a, &c->packs, entry) {
		if (a->state != PACK_OK && a->state != PACK_FAIL)
			continue;
		ok = a->state == PACK_OK;
		/* Produced: never produce it again, even if the connection
		 * it came on was replaced and the peer sends it anew. */
		if (ok)
			(void)dedupe_check(c->seen, a->intent);
		pack_answer(a, ok);
		a->state = PACK_DONE;
		if (c->nriders == 0)
			continue;
		TAILQ_FOREACH(b, &c->packs, entry)
			if (b->state == PACK_RIDE && memcmp(b->intent,
			    a->intent, ENV_INTENTLEN) == 0) {
				pack_answer(b, ok);
				b->state = PACK_DONE;
				c->nriders--;
			}
	}
	TAILQ_FOREACH_SAFE(a, &c->packs, entry, tmp)
		if (a->state == PACK_DONE) {
			TAILQ_REMOVE(&c->packs, a, entry);
			c->npacks--;
			free(a);
		}
}

void
relay_msg(void *arg, struct conn *conn, uint32_t sid, const uint8_t *intent,
    const uint8_t *data, size_t len)
{
	struct connector *c = arg;
	Coord__Envelope *inner;
	struct peer *p;
	struct pack *a;
	char	 err[256], what[300];

	if ((p = peer_by_id(c, &conn->remote)) == NULL)
		return;
	c->n_in++;
	/* Verify before producing: a peer may only relay envelopes signed
	 * by services we trust, with the intent the frame claims. */
	inner = env_open(data, len, &c->svc.trust, err, sizeof(err));
	if (inner == NULL || memcmp(inner->intent.data, intent,
	    ENV_INTENTLEN) != 0) {
		snprintf(what, sizeof(what), "a message: %s", inner == NULL ?
		    err : "intent differs from the frame's");
		env_free(inner);
		conn_reject(conn, sid, intent, COORD_R_INVALID);
		peer_abuse(c, p, conn, what);
		return;
	}
	env_free(inner);
	if (dedupe_has(c->seen, intent)) {
		c->n_dup++;
		conn_ack(conn, sid, intent);
		return;
	}
	a = pack_new(c, p, conn, sid, intent);
	if (a->state == PACK_WAIT)
		inbound_produce(c, p, a, data, len);
}

/*
 * The acknowledgement to send once it is produced.  The same message on
 * two connections (a simultaneous dial) while the first is being
 * produced: produced once, acknowledged on both (the second rides).
 */
static struct pack *
pack_new(struct connector *c, struct peer *p, struct conn *conn,
    uint32_t sid, const uint8_t *intent)
{
	struct pack *a, *b;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		fatal(EX_TEMP, "calloc");
	a->peer = p;
	a->conn = conn;
	a->sid = sid;
	memcpy(a->intent, intent, ENV_INTENTLEN);
	a->state = PACK_WAIT;
	TAILQ_FOREACH(b, &c->packs, entry)
		if (b->state == PACK_WAIT && memcmp(b->intent, intent,
		    ENV_INTENTLEN) == 0)
			break;
	TAILQ_INSERT_TAIL(&c->packs, a, entry);
	c->npacks++;
	if (b != NULL) {
		c->n_dup++;
		a->state = PACK_RIDE;
		c->nriders++;
	}
	return a;
}

/* P2pReceived to p2p-inbound; relay_delivered has the producer's word. */
static void
inbound_produce(struct connector *c, struct peer *p, struct pack *a,
    const uint8_t *data, size_t len)
{
	Coord__P2pReceived pr = COORD__P2P_RECEIVED__INIT;
	struct env_intent in;
	uint8_t	 rintent[ENV_INTENTLEN];
	char	 err[256];

	p->n_recv++;	/* messages, not frames: duplicates aside */
	pr.validator = p->name;
	pr.peer_id = p->idstr;
	pr.envelope.data = (uint8_t *)(uintptr_t)data;
	pr.envelope.len = len;
	/* as t/procsim/p2prelay computes it */
	env_intent_init(&in, COORD__MSG_TYPE__P2P_RECEIVED);
	env_intent_str(&in, p->name);
	env_intent_add(&in, data, len);
	env_intent_final(&in, rintent);
	if (svc_send_tracked(&c->svc, TOPIC_P2P_INBOUND,
	    COORD__MSG_TYPE__P2P_RECEIVED, rintent, "", &pr.base, a, err,
	    sizeof(err)) == -1) {
		log_warnx("validator %s: p2p-inbound: %s", p->name, err);
		a->state = PACK_FAIL;	/* its riders hang up too */
		c->nresolved++;
	}
}

void
relay_oversize(void *arg, struct conn *conn, uint32_t sid,
    const uint8_t *intent, uint64_t len)
{
	struct connector *c = arg;
	struct peer *p = peer_by_id(c, &conn->remote);
	char	 what[96];

	(void)sid;
	(void)intent;
	snprintf(what, sizeof(what), "a message of %llu bytes (over "
	    "max_message_size)", (unsigned long long)len);
	if (p != NULL)
		peer_abuse(c, p, conn, what);
}

/* After svc_close: no delivery report can come any more. */
void
packs_free(struct connector *c)
{
	struct pack *a;

	while ((a = TAILQ_FIRST(&c->packs)) != NULL) {
		TAILQ_REMOVE(&c->packs, a, entry);
		free(a);
	}
	c->npacks = 0;
}

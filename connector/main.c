/*
 * connector: authenticated, encrypted links to the validators in config,
 * over libp2p (TCP, multistream-select, Noise XX, yamux; see host.h and
 * conn.h), relaying the bus to them and them to the bus.
 *
 *   p2p-outbound  P2pSend{validators, envelope}: the envelope goes to each
 *                 named validator (none named: all).  The record's offset
 *                 is stored only once every one of them acknowledged that
 *                 it durably produced it; until then it stays queued per
 *                 peer and is sent again after every reconnection.
 *                 ConnectRequest: add those validators, dial them, answer
 *                 ConnectResult on p2p-inbound.
 *   p2p-inbound   P2pReceived{validator, peer_id, envelope} for what a
 *                 peer sent; the peer's acknowledgement goes back only
 *                 after the producer confirmed the record.
 *
 * One poll(2) loop: sockets, the bus fd, signals.  SIGHUP reloads the
 * [validator] list (new ones dialled, removed ones dropped); -s prints the
 * status file the running connector keeps in run_dir.
 */
#include <sys/stat.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "hex.h"
#include "clock.h"
#include "app.h"
#include "bus.h"
#include "cfg.h"
#include "dedupe.h"
#include "envelope.h"
#include "log.h"
#include "proto/p2p.pb-c.h"
#include "sig.h"
#include "svc.h"
#include "connector/host.h"

#define MAXPEERS	256
#define MAXPART		64		/* p2p-outbound partitions tracked */
#define MAXPFD		(HOST_MAXCONNS + 8)
#define REPLAY_BUDGET	512		/* records read per peer per turn */
#define STORE_EVERY	200		/* ms between offset stores */
#define ABUSE_WINDOW	60000		/* ms over which refusals count */
#define ABUSE_LOGGED	5		/* refusals logged per window */

struct rec {				/* one consumed p2p-outbound record */
	struct bus_msg	 m;
	Coord__Envelope	*env;
	Coord__P2pSend	*ps;		/* P2pSend body, or NULL */
	int		 pending;	/* peers yet to acknowledge */
	TAILQ_ENTRY(rec) entry;
};

struct pmsg {				/* one envelope for one peer */
	struct rec	*rec;		/* NULL: read back from the log */
	uint8_t		 intent[ENV_INTENTLEN];
	const uint8_t	*data;
	size_t		 len;
	uint8_t		*own;		/* read back: the bytes, ours */
	int		 pi;		/* its record's partition (index) */
	int64_t		 off;		/* and offset */
	int		 sent;		/* on the current connection */
	TAILQ_ENTRY(pmsg) entry;
};

struct part {				/* a p2p-outbound partition */
	int32_t		 id;
	int64_t		 next;		/* after the last record consumed */
	int64_t		 stored;	/* the offset last stored */
};

struct peer {
	char		 name[64];
	struct peerid	 id;
	char		 idstr[PEERID_STRMAX];
	int		 has_addr;
	struct multiaddr addr;
	struct conn	*conn;		/* open */
	struct conn	*dconn;		/* our dial in progress */
	uint64_t	 next_dial;
	uint64_t	 backoff;
	TAILQ_HEAD(, pmsg) q;
	size_t		 qlen;
	uint64_t	 n_sent, n_acked, n_recv, n_rejected;
	char		 last_error[256];
	int		 dynamic;	/* from a ConnectRequest */
	int		 mark;		/* reload bookkeeping */

	/*
	 * Behind: its queue was full when a record for it was consumed, so
	 * it is served from the log instead, from behind[pi] on, by its
	 * own reader, until that reaches what the consumer has consumed.
	 */
	int64_t		 behind[MAXPART];	/* -1: live in partition */
	int		 nbehind;
	struct bus_reader *reader;
	int		 reassign;	/* behind[] changed under the reader */
	uint64_t	 n_replayed;

	uint64_t	 abuse_since;	/* refused messages in the window */
	unsigned int	 abuse;
	uint64_t	 banned_until;
};

enum pack_state {
	PACK_WAIT,			/* its record is being produced */
	PACK_RIDE,			/* the same message is, from elsewhere */
	PACK_OK,			/* produced: acknowledge */
	PACK_FAIL,			/* not produced: hang up */
	PACK_DONE			/* answered */
};

struct pack {				/* an acknowledgement to send */
	struct peer	*peer;		/* NULL: the connection is gone */
	struct conn	*conn;
	uint32_t	 sid;
	uint8_t		 intent[ENV_INTENTLEN];
	enum pack_state	 state;
	TAILQ_ENTRY(pack) entry;
};

struct creq {				/* a ConnectRequest to answer */
	uint8_t		 intent[ENV_INTENTLEN];
	char		**names;
	size_t		 n;
	uint64_t	 deadline;
	TAILQ_ENTRY(creq) entry;
};

struct connector {
	struct app	 app;
	struct svc	 svc;
	struct host	 host;
	struct p2p_identity id;
	struct peer	*peer[MAXPEERS];
	size_t		 npeer;
	TAILQ_HEAD(, rec) recs;
	size_t		 nrecs;
	TAILQ_HEAD(, creq) creqs;
	TAILQ_HEAD(, pack) packs;	/* in arrival order */
	size_t		 npacks, nriders, nresolved;
	struct dedupe	*seen;		/* intents produced to p2p-inbound */
	size_t		 max_queue;
	uint64_t	 backoff_min, backoff_max, connect_timeout;
	uint64_t	 keepalive, keepalive_timeout;
	unsigned int	 abuse_limit;
	int		 kafka_in;	/* the log can be read back */
	const char	*otopic;	/* p2p-outbound's name */
	struct part	 part[MAXPART];
	size_t		 npart;
	uint64_t	 next_store;
	int		 eof;
	uint64_t	 next_status;
	char		 status_path[512];
	uint64_t	 n_in, n_out, n_dup;
};

static struct connector	 cn;
static int		 status_mode;

static int	 opt(struct app *, int, const char *);
static void	 status_print(void) __attribute__((noreturn));
static int	 load_peers(struct connector *, int, char *, size_t);
static int	 parse_pubkey(const char *, struct peerid *);
static struct peer *peer_add(struct connector *, const char *,
		    const struct peerid *);
static void	 peer_drop(struct connector *, size_t);
static struct peer *peer_by_id(struct connector *, const struct peerid *);
static struct peer *peer_by_name(struct connector *, const char *);
static void	 peer_requeue(struct peer *);
static void	 rec_ack(struct connector *, struct rec *);
static void	 rec_free(struct connector *, struct rec *);
static void	 pmsg_free(struct connector *, struct pmsg *);
static int	 part_index(struct connector *, int32_t);
static void	 offsets_store(struct connector *, int);
static int	 targets_peer(const Coord__P2pSend *, const struct peer *);
static void	 replay(struct connector *, struct peer *);
static void	 behind_clear(struct peer *);
static void	 abuse(struct connector *, struct peer *, struct conn *,
		    const char *);
static void	 delivered(void *, void *, const char *);
static void	 pack_answer(struct pack *, int);
static void	 outbound(struct connector *, struct bus_msg *,
		    Coord__Envelope *);
static void	 connect_request(struct connector *, struct rec *);
static void	 creqs_answer(struct connector *, uint64_t);
static void	 dial_due(struct connector *, uint64_t);
static void	 send_queued(struct connector *);
static void	 acks_flush(struct connector *);
static void	 status_write(struct connector *);
static void	 reload(struct connector *);
static uint64_t	 jitter(uint64_t);
static void	 cleanup(struct connector *);
static void	 metrics_peers(struct svc *, FILE *);
static void	 packs_free(struct connector *);
static void	 skipped(struct svc *, const struct bus_msg *);

static int	 c_allow(void *, struct conn *, const struct peerid *);
static void	 c_ready(void *, struct conn *);
static void	 c_msg(void *, struct conn *, uint32_t, const uint8_t *,
		    const uint8_t *, size_t);
static void	 c_oversize(void *, struct conn *, uint32_t, const uint8_t *,
		    uint64_t);
static void	 c_ack(void *, struct conn *, const uint8_t *);
static void	 c_reject(void *, struct conn *, const uint8_t *, int);
static void	 c_closed(void *, struct conn *);

static const struct conn_cb conn_callbacks = {
	c_allow, c_ready, c_msg, c_oversize, c_ack, c_reject, NULL
};

static const struct app_spec spec = {
	.prog = "connector",
	.operands = "",
	.opts = "s",
	.optusage = "  -s         print the status of each peer (from the "
	    "running connector) and exit\n",
	.opt = opt,
};

static int
opt(struct app *app, int ch, const char *arg)
{
	(void)app;
	(void)arg;
	if (ch != 's')
		return -1;
	status_mode = 1;
	return 0;
}

static uint64_t
jitter(uint64_t ms)
{
	/* 75% .. 125% */
	return ms * 3 / 4 + randombytes_uniform((uint32_t)(ms / 2 + 1));
}

/* public_key: 64 hex digits (the Ed25519 key) or a PeerId (12D3KooW...). */
static int
parse_pubkey(const char *s, struct peerid *id)
{
	uint8_t	 pk[32];
	char	 err[256];

	if (strlen(s) == 64 && hex_decode(s, pk, 32) == 0) {
		peerid_from_ed25519(pk, id);
		return 0;
	}
	return peerid_parse(s, id, err, sizeof(err));
}

static struct peer *
peer_by_id(struct connector *c, const struct peerid *id)
{
	size_t	 i;

	for (i = 0; i < c->npeer; i++)
		if (peerid_eq(&c->peer[i]->id, id))
			return c->peer[i];
	return NULL;
}

static struct peer *
peer_by_name(struct connector *c, const char *name)
{
	size_t	 i;

	for (i = 0; i < c->npeer; i++)
		if (strcmp(c->peer[i]->name, name) == 0)
			return c->peer[i];
	return NULL;
}

static struct peer *
peer_add(struct connector *c, const char *name, const struct peerid *id)
{
	struct peer *p;

	if (c->npeer == MAXPEERS)
		return NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		fatal(EX_TEMP, "calloc");
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->id = *id;
	peerid_str(id, p->idstr, sizeof(p->idstr));
	TAILQ_INIT(&p->q);
	p->backoff = c->backoff_min;
	behind_clear(p);
	c->peer[c->npeer++] = p;
	host_allow(&c->host, id);
	return p;
}

/* Forget peer i: its connection goes, its queue counts as delivered. */
static void
peer_drop(struct connector *c, size_t i)
{
	struct peer *p = c->peer[i];
	struct pmsg *pm;
	struct pack *a;
	size_t	 n = 0, k;

	log_info("validator %s (%s) removed", p->name, p->idstr);
	if (p->conn != NULL)
		conn_close(p->conn, "validator removed from the configuration");
	if (p->dconn != NULL)
		conn_close(p->dconn, "validator removed from the configuration");
	while ((pm = TAILQ_FIRST(&p->q)) != NULL) {
		TAILQ_REMOVE(&p->q, pm, entry);
		pmsg_free(c, pm);
		n++;
	}
	if (n > 0 || p->nbehind > 0)
		log_warnx("validator %s: %zu undelivered message(s) dropped%s",
		    p->name, n, p->nbehind > 0 ? ", and those in the log it "
		    "was behind on" : "");
	bus_reader_close(p->reader);
	TAILQ_FOREACH(a, &c->packs, entry)
		if (a->peer == p)
			a->peer = NULL;
	free(p);
	c->peer[i] = c->peer[--c->npeer];
	host_allow_clear(&c->host);
	for (k = 0; k < c->npeer; k++)
		host_allow(&c->host, &c->peer[k]->id);
}

/*
 * [validator NAME] sections: public_key and endpoint.  Our own section
 * (general.name) is skipped, after checking it names our identity.
 */
static int
load_peers(struct connector *c, int initial, char *err, size_t errlen)
{
	const struct cfg_sect *s = NULL;
	const char *me = cfg_str(c->app.cfg, "general", "name");
	const char *pk, *ep;
	struct peerid id;
	struct multiaddr ma;
	struct peer *p;
	char	 merr[256];
	size_t	 i;

	for (i = 0; i < c->npeer; i++)
		c->peer[i]->mark = c->peer[i]->dynamic;
	while ((s = cfg_next(c->app.cfg, "validator", s)) != NULL) {
		pk = cfg_sect_str(s, "public_key");
		ep = cfg_sect_str(s, "endpoint");
		if (pk == NULL || parse_pubkey(pk, &id) == -1) {
			snprintf(err, errlen, "%s:%d: [validator %s]: "
			    "public_key must be 64 hex digits or a PeerId",
			    c->app.cfgfile ? c->app.cfgfile : "config",
			    s->line, s->name);
			return -1;
		}
		if (strcmp(s->name, me) == 0) {
			if (!peerid_eq(&id, &c->id.id))
				log_warnx("[validator %s] is us, but its "
				    "public_key is not our identity (%s)", me,
				    c->id.idstr);
			continue;
		}
		if (ep != NULL && ep[0] != '\0' &&
		    multiaddr_parse(ep, &ma, merr, sizeof(merr)) == -1) {
			snprintf(err, errlen, "[validator %s]: endpoint: %s",
			    s->name, merr);
			return -1;
		}
		if ((p = peer_by_name(c, s->name)) != NULL &&
		    !peerid_eq(&p->id, &id)) {
			/* same name, new key: a new peer */
			for (i = 0; i < c->npeer && c->peer[i] != p; i++)
				;
			peer_drop(c, i);
			p = NULL;
		}
		if (p == NULL) {
			if (peer_by_id(c, &id) != NULL) {
				snprintf(err, errlen, "[validator %s]: the same "
				    "key as another validator", s->name);
				return -1;
			}
			if ((p = peer_add(c, s->name, &id)) == NULL) {
				snprintf(err, errlen, "more than %d validators",
				    MAXPEERS);
				return -1;
			}
			if (!initial)
				log_info("validator %s (%s) added", p->name,
				    p->idstr);
		}
		p->mark = 1;
		p->dynamic = 0;
		p->has_addr = ep != NULL && ep[0] != '\0';
		if (p->has_addr) {
			p->addr = ma;
			p->addr.has_peer = 1;
			p->addr.peer = p->id;
		}
	}
	for (i = c->npeer; i-- > 0; )
		if (!c->peer[i]->mark)
			peer_drop(c, i);
	return 0;
}

static void
reload(struct connector *c)
{
	struct cfg *ncfg, *ocfg;
	char	 err[1024];

	if ((ncfg = cfg_load(c->app.cfgfile, err, sizeof(err))) == NULL) {
		log_warnx("reload: %s; keeping the old configuration", err);
		return;
	}
	ocfg = c->app.cfg;
	c->app.cfg = ncfg;
	if (load_peers(c, 0, err, sizeof(err)) == -1) {
		log_warnx("reload: %s; keeping the peers as they were", err);
		/* the peers loaded so far stay; the file is what it is */
	}
	log_info("reloaded %s: %zu peer(s)", c->app.cfgfile, c->npeer);
	/* svc keeps pointers into the old configuration: keep it alive. */
	(void)ocfg;
}

static void
peer_requeue(struct peer *p)
{
	struct pmsg *pm;

	TAILQ_FOREACH(pm, &p->q, entry)
		pm->sent = 0;
}

/* ------------------------------------------------------------ outbound */

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

static int
part_index(struct connector *c, int32_t id)
{
	size_t	 i;

	for (i = 0; i < c->npart; i++)
		if (c->part[i].id == id)
			return (int)i;
	if (c->npart == MAXPART)
		fatalx(EX_PERM, "%s: more than %d partitions", c->otopic,
		    MAXPART);
	c->part[c->npart].id = id;
	c->part[c->npart].next = -1;
	c->part[c->npart].stored = -1;
	return (int)c->npart++;
}

static void
behind_clear(struct peer *p)
{
	size_t	 i;

	for (i = 0; i < MAXPART; i++)
		p->behind[i] = -1;
	p->nbehind = 0;
	p->reassign = 1;
}

/*
 * Store, per partition, the lowest offset some peer still needs: a record
 * waiting for an acknowledgement, a record read back from the log and not
 * yet acknowledged, or where a peer that is behind reads from.  Records
 * finish out of order (peers acknowledge at their own pace), so offsets
 * are stored from this, never per record.
 */
static void
offsets_store(struct connector *c, int force)
{
	int64_t	 low[MAXPART];
	struct rec *r;
	struct peer *p;
	struct pmsg *pm;
	uint64_t now = clock_mono_ms();
	size_t	 i, k;

	if (!c->kafka_in || c->npart == 0 || (!force && now < c->next_store))
		return;
	c->next_store = now + STORE_EVERY;
	for (i = 0; i < c->npart; i++)
		low[i] = c->part[i].next;
	TAILQ_FOREACH(r, &c->recs, entry) {
		k = (size_t)part_index(c, r->m.partition);
		if (r->m.offset < low[k])
			low[k] = r->m.offset;
	}
	for (i = 0; i < c->npeer; i++) {
		p = c->peer[i];
		for (k = 0; p->nbehind > 0 && k < c->npart; k++)
			if (p->behind[k] >= 0 && p->behind[k] < low[k])
				low[k] = p->behind[k];
		TAILQ_FOREACH(pm, &p->q, entry)
			if (pm->rec == NULL && pm->off < low[pm->pi])
				low[pm->pi] = pm->off;
	}
	for (i = 0; i < c->npart; i++) {
		if (low[i] < 0 || low[i] <= c->part[i].stored)
			continue;
		if (bus_store(c->svc.bus, c->otopic, c->part[i].id, low[i]) ==
		    0)
			c->part[i].stored = low[i];
	}
}

static int
targets_peer(const Coord__P2pSend *ps, const struct peer *p)
{
	size_t	 i;

	if (ps->n_validators == 0)
		return 1;
	for (i = 0; i < ps->n_validators; i++)
		if (strcmp(ps->validators[i], p->name) == 0)
			return 1;
	return 0;
}

/*
 * A peer that is behind: read its records back from the log while its
 * queue has room and it is connected.  A partition is caught up when the
 * reader gets to what the consumer has consumed; from then on the
 * consumer queues that partition's records for it again.
 */
static void
replay(struct connector *c, struct peer *p)
{
	Coord__P2pSend *ps;
	Coord__Envelope *outer, *inner;
	struct bus_msg m;
	struct pmsg *pm;
	int32_t	 ids[MAXPART];
	int64_t	 offs[MAXPART];
	char	 err[512];
	size_t	 i, n;
	int	 k, r, budget = REPLAY_BUDGET;

	if (p->nbehind == 0 || p->conn == NULL ||
	    p->conn->state != CONN_OPEN)
		return;
	if (p->reader == NULL) {
		if ((p->reader = bus_reader_open(&c->app, c->otopic, err,
		    sizeof(err))) == NULL) {
			log_warnx("validator %s: reading the log back: %s",
			    p->name, err);
			return;
		}
		p->reassign = 1;
	}
	while (budget-- > 0 && p->nbehind > 0 && p->qlen < c->max_queue) {
		if (p->reassign) {
			for (i = n = 0; i < c->npart; i++)
				if (p->behind[i] >= 0) {
					ids[n] = c->part[i].id;
					offs[n++] = p->behind[i];
				}
			if (bus_reader_assign(p->reader, ids, offs, n, err,
			    sizeof(err)) == -1) {
				log_warnx("validator %s: %s", p->name, err);
				return;
			}
			p->reassign = 0;
		}
		r = bus_reader_poll(p->reader, &m, 0, err, sizeof(err));
		if (r == 0)
			return;
		if (r == -1) {
			log_warnx("validator %s: reading the log back: %s",
			    p->name, err);
			bus_reader_close(p->reader);
			p->reader = NULL;
			return;
		}
		k = part_index(c, m.partition);
		if (p->behind[k] < 0) {		/* prefetched, not needed */
			bus_release(NULL, &m);
			continue;
		}
		if (m.offset >= c->part[k].next) {
			/* At what the consumer consumed (a record it has
			 * or will have, or the end): live again here. */
			bus_release(NULL, &m);
			p->behind[k] = -1;
			p->nbehind--;
			p->reassign = 1;
			log_info("validator %s caught up from the log in "
			    "%s[%d]", p->name, c->otopic, c->part[k].id);
			continue;
		}
		if (r == 2) {
			p->behind[k] = m.offset;
			continue;
		}
		p->behind[k] = m.offset + 1;
		/* What the consumer took and refused is in the DLQ already;
		 * here it is only skipped. */
		outer = env_open(m.val, m.len, &c->svc.trust, err,
		    sizeof(err));
		ps = NULL;
		if (outer != NULL && outer->type == COORD__MSG_TYPE__P2P_SEND)
			ps = coord__p2p_send__unpack(NULL, outer->body.len,
			    outer->body.data);
		inner = ps == NULL ? NULL : coord__envelope__unpack(NULL,
		    ps->envelope.len, ps->envelope.data);
		if (inner != NULL && inner->intent.len == ENV_INTENTLEN &&
		    targets_peer(ps, p)) {
			if ((pm = calloc(1, sizeof(*pm))) == NULL ||
			    (pm->own = malloc(ps->envelope.len + 1)) == NULL)
				fatal(EX_TEMP, "calloc");
			memcpy(pm->own, ps->envelope.data, ps->envelope.len);
			memcpy(pm->intent, inner->intent.data, ENV_INTENTLEN);
			pm->data = pm->own;
			pm->len = ps->envelope.len;
			pm->pi = k;
			pm->off = m.offset;
			TAILQ_INSERT_TAIL(&p->q, pm, entry);
			p->qlen++;
			p->n_replayed++;
		}
		if (inner != NULL)
			coord__envelope__free_unpacked(inner, NULL);
		if (ps != NULL)
			coord__p2p_send__free_unpacked(ps, NULL);
		env_free(outer);
		bus_release(NULL, &m);
	}
	if (p->nbehind == 0) {
		bus_reader_close(p->reader);
		p->reader = NULL;
		log_info("validator %s is live again (%llu message(s) read "
		    "back from the log)", p->name,
		    (unsigned long long)p->n_replayed);
	}
}

static void
outbound(struct connector *c, struct bus_msg *m, Coord__Envelope *e)
{
	Coord__Envelope *inner;
	struct rec *r;
	struct peer *p, *targets[MAXPEERS];
	struct pmsg *pm;
	size_t	 nt = 0, i, k;
	char	 why[256];
	int	 pi = -1;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal(EX_TEMP, "calloc");
	r->m = *m;
	r->env = e;
	r->pending = 1;		/* ours, until the targets are queued */
	TAILQ_INSERT_TAIL(&c->recs, r, entry);
	c->nrecs++;
	c->n_out++;
	if (c->kafka_in && m->offset >= 0) {
		pi = part_index(c, m->partition);
		c->part[pi].next = m->offset + 1;
	}

	if (e->type == COORD__MSG_TYPE__CONNECT_REQUEST) {
		connect_request(c, r);
		goto out;
	}
	if (e->type != COORD__MSG_TYPE__P2P_SEND) {
		snprintf(why, sizeof(why), "connector: unexpected %s on "
		    "p2p-outbound", env_type_name(e->type) ?
		    env_type_name(e->type) : "message type");
		svc_dlq(&c->svc, m, why);
		goto out;
	}
	r->ps = coord__p2p_send__unpack(NULL, e->body.len, e->body.data);
	if (r->ps == NULL) {
		svc_dlq(&c->svc, m, "connector: P2pSend does not parse");
		goto out;
	}
	inner = coord__envelope__unpack(NULL, r->ps->envelope.len,
	    r->ps->envelope.data);
	if (inner == NULL || inner->intent.len != ENV_INTENTLEN) {
		if (inner != NULL)
			coord__envelope__free_unpacked(inner, NULL);
		svc_dlq(&c->svc, m, "connector: the envelope in P2pSend does "
		    "not parse");
		goto out;
	}
	if (r->ps->n_validators == 0) {
		for (i = 0; i < c->npeer; i++)
			targets[nt++] = c->peer[i];
	} else {
		for (i = 0; i < r->ps->n_validators; i++) {
			if ((p = peer_by_name(c, r->ps->validators[i])) ==
			    NULL) {
				log_warnx("P2pSend to unknown validator %s: "
				    "skipped", r->ps->validators[i]);
				continue;
			}
			for (k = 0; k < nt && targets[k] != p; k++)
				;
			if (k == nt)
				targets[nt++] = p;
		}
	}
	for (i = 0; i < nt; i++) {
		p = targets[i];
		if (pi >= 0 && p->behind[pi] >= 0)
			continue;	/* it reads this from the log */
		if (pi >= 0 && p->qlen >= c->max_queue) {
			/* Full: this peer alone falls behind; the others
			 * go on.  It catches up from the log. */
			p->behind[pi] = m->offset;
			p->nbehind++;
			p->reassign = 1;
			log_info("validator %s: %zu message(s) queued; "
			    "reading %s[%d] back from offset %lld later",
			    p->name, p->qlen, c->otopic, m->partition,
			    (long long)m->offset);
			continue;
		}
		if ((pm = calloc(1, sizeof(*pm))) == NULL)
			fatal(EX_TEMP, "calloc");
		pm->rec = r;
		memcpy(pm->intent, inner->intent.data, ENV_INTENTLEN);
		pm->data = r->ps->envelope.data;
		pm->len = r->ps->envelope.len;
		pm->pi = pi;
		pm->off = m->offset;
		TAILQ_INSERT_TAIL(&p->q, pm, entry);
		p->qlen++;
		r->pending++;
	}
	coord__envelope__free_unpacked(inner, NULL);
out:
	rec_ack(c, r);		/* ours: done, unless peers have it */
}

static void
connect_request(struct connector *c, struct rec *r)
{
	Coord__ConnectRequest *rq;
	Coord__ValidatorAddr *va;
	struct creq *q;
	struct peer *p;
	struct peerid id;
	struct multiaddr ma;
	char	 err[256];
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
		if (va->public_key.len != 32) {
			log_warnx("ConnectRequest: %s: public key of %zu bytes",
			    va->name, va->public_key.len);
			continue;
		}
		if (strcmp(va->name, cfg_str(c->app.cfg, "general", "name"))
		    == 0)
			continue;
		peerid_from_ed25519(va->public_key.data, &id);
		if ((p = peer_by_id(c, &id)) == NULL) {
			if (peer_by_name(c, va->name) != NULL) {
				log_warnx("ConnectRequest: %s: a validator of "
				    "that name has another key", va->name);
				continue;
			}
			if ((p = peer_add(c, va->name, &id)) == NULL)
				continue;
			p->dynamic = 1;
			log_info("validator %s (%s) added by a connect "
			    "request", p->name, p->idstr);
		}
		if (va->endpoint != NULL && va->endpoint[0] != '\0' &&
		    !p->has_addr) {
			if (multiaddr_parse(va->endpoint, &ma, err,
			    sizeof(err)) == -1) {
				snprintf(p->last_error, sizeof(p->last_error),
				    "%s", err);
				continue;
			}
			p->addr = ma;
			p->addr.has_peer = 1;
			p->addr.peer = p->id;
			p->has_addr = 1;
		}
		p->next_dial = 0;
	}
	coord__connect_request__free_unpacked(rq, NULL);
	TAILQ_INSERT_TAIL(&c->creqs, q, entry);
}

/* Answer connect requests whose peers are all up, or whose time is up. */
static void
creqs_answer(struct connector *c, uint64_t now)
{
	Coord__ConnectResult cr = COORD__CONNECT_RESULT__INIT;
	Coord__PeerOutcome *po, **pp;
	struct env_intent in;
	struct creq *q, *tmp;
	struct peer *p;
	uint8_t	 intent[ENV_INTENTLEN];
	char	 err[256];
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
		cr.request_intent.data = q->intent;
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
		log_info("connect request answered: %zu of %zu connected", up,
		    q->n);
		free(po);
		free(pp);
		TAILQ_REMOVE(&c->creqs, q, entry);
		for (i = 0; i < q->n; i++)
			free(q->names[i]);
		free(q->names);
		free(q);
	}
}

static void
dial_due(struct connector *c, uint64_t now)
{
	struct peer *p;
	char	 err[256];
	size_t	 i;

	for (i = 0; i < c->npeer; i++) {
		p = c->peer[i];
		if (!p->has_addr || p->conn != NULL || p->dconn != NULL ||
		    now < p->next_dial)
			continue;
		log_debug("dialling %s at %s", p->name, p->addr.host);
		if ((p->dconn = host_dial(&c->host, &p->addr, err,
		    sizeof(err))) == NULL) {
			snprintf(p->last_error, sizeof(p->last_error), "%s", err);
			log_warnx("validator %s: %s", p->name, err);
			p->next_dial = now + jitter(p->backoff);
			p->backoff = p->backoff * 2 > c->backoff_max ?
			    c->backoff_max : p->backoff * 2;
		}
	}
}

static void
send_queued(struct connector *c)
{
	struct peer *p;
	struct pmsg *pm;
	size_t	 i;

	for (i = 0; i < c->npeer; i++) {
		p = c->peer[i];
		if (p->conn == NULL || p->conn->state != CONN_OPEN)
			continue;
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

/* ------------------------------------------------------------ inbound */

/* The producer's word on a P2pReceived record (token: its pack). */
static void
delivered(void *arg, void *token, const char *err)
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
static void
acks_flush(struct connector *c)
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

static int
c_allow(void *arg, struct conn *conn, const struct peerid *id)
{
	struct connector *c = arg;
	struct peer *p;

	if ((p = peer_by_id(c, id)) == NULL)
		return 0;
	if (p->banned_until > clock_mono_ms()) {
		conn_fail(conn, "validator %s is refused for %llu s more "
		    "(abusive)", p->name, (unsigned long long)
		    ((p->banned_until - clock_mono_ms()) / 1000 + 1));
		return 0;
	}
	return 1;
}

/*
 * A peer that keeps sending what we must refuse (oversize, unverifiable)
 * is hung up on once it passes abuse_limit refusals in a minute, and
 * refused (and not dialled) for dial_backoff_max.
 */
static void
abuse(struct connector *c, struct peer *p, struct conn *conn,
    const char *what)
{
	uint64_t now = clock_mono_ms();

	p->n_rejected++;
	if (now - p->abuse_since > ABUSE_WINDOW) {
		if (p->abuse > ABUSE_LOGGED)
			log_warnx("validator %s: %u more message(s) refused "
			    "that minute", p->name, p->abuse - ABUSE_LOGGED);
		p->abuse_since = now;
		p->abuse = 0;
	}
	/* A flood must not flood the log too. */
	if (++p->abuse <= ABUSE_LOGGED)
		log_warnx("validator %s: refused %s%s", p->name, what,
		    p->abuse == ABUSE_LOGGED ? " (the next refusals within "
		    "the minute are counted, not logged)" : "");
	if (c->abuse_limit == 0 || p->abuse <= c->abuse_limit)
		return;
	snprintf(p->last_error, sizeof(p->last_error), "abusive: %u refused "
	    "messages within %d s (the last: %s)", p->abuse,
	    ABUSE_WINDOW / 1000, what);
	log_warnx("validator %s: %s; disconnecting it for %llu s", p->name,
	    p->last_error, (unsigned long long)(c->backoff_max / 1000));
	p->banned_until = now + c->backoff_max;
	p->next_dial = p->banned_until;
	p->abuse = 0;
	conn_close(conn, p->last_error);
}

static void
c_ready(void *arg, struct conn *conn)
{
	struct connector *c = arg;
	struct peer *p;

	if ((p = peer_by_id(c, &conn->remote)) == NULL) {
		conn_close(conn, "not a validator any more");
		return;
	}
	if (p->dconn == conn)
		p->dconn = NULL;
	p->conn = conn;
	p->backoff = c->backoff_min;
	p->last_error[0] = '\0';
	peer_requeue(p);
	log_info("validator %s connected (%s, %zu message(s) to send)",
	    p->name, conn->initiator ? "we dialled" : "it dialled", p->qlen);
}

static void
c_closed(void *arg, struct conn *conn)
{
	struct connector *c = arg;
	struct peer *p = NULL;
	struct pack *a;
	size_t	 i;
	uint64_t now = clock_mono_ms();

	for (i = 0; i < c->npeer; i++)
		if (c->peer[i]->conn == conn || c->peer[i]->dconn == conn) {
			p = c->peer[i];
			break;
		}
	TAILQ_FOREACH(a, &c->packs, entry)
		if (a->conn == conn)
			a->peer = NULL;
	if (p == NULL)
		return;
	if (conn->reason[0] != '\0' && p->banned_until <= now)
		snprintf(p->last_error, sizeof(p->last_error), "%s",
		    conn->reason);
	if (p->dconn == conn) {
		p->dconn = NULL;
		if (p->conn == NULL) {
			p->next_dial = now + jitter(p->backoff);
			p->backoff = p->backoff * 2 > c->backoff_max ?
			    c->backoff_max : p->backoff * 2;
		}
		return;
	}
	p->conn = NULL;
	peer_requeue(p);
	if (p->banned_until <= now)
		p->next_dial = now + jitter(c->backoff_min);
	log_info("validator %s disconnected: %s (%zu message(s) queued)",
	    p->name, conn->reason[0] ? conn->reason : "-", p->qlen);
}

static void
c_msg(void *arg, struct conn *conn, uint32_t sid, const uint8_t *intent,
    const uint8_t *data, size_t len)
{
	struct connector *c = arg;
	Coord__P2pReceived pr = COORD__P2P_RECEIVED__INIT;
	Coord__Envelope *inner;
	struct env_intent in;
	struct peer *p;
	struct pack *a, *b;
	uint8_t	 rintent[ENV_INTENTLEN];
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
		abuse(c, p, conn, what);
		return;
	}
	env_free(inner);
	if (dedupe_has(c->seen, intent)) {
		c->n_dup++;
		conn_ack(conn, sid, intent);
		return;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL)
		fatal(EX_TEMP, "calloc");
	a->peer = p;
	a->conn = conn;
	a->sid = sid;
	memcpy(a->intent, intent, ENV_INTENTLEN);
	a->state = PACK_WAIT;
	/* The same message on two connections (a simultaneous dial) while
	 * the first is being produced: produce it once, ack it on both. */
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
		return;
	}
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

static void
c_oversize(void *arg, struct conn *conn, uint32_t sid, const uint8_t *intent,
    uint64_t len)
{
	struct connector *c = arg;
	struct peer *p = peer_by_id(c, &conn->remote);
	char	 what[96];

	(void)sid;
	(void)intent;
	snprintf(what, sizeof(what), "a message of %llu bytes (over "
	    "max_message_size)", (unsigned long long)len);
	if (p != NULL)
		abuse(c, p, conn, what);
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

static void
c_ack(void *arg, struct conn *conn, const uint8_t *intent)
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

/* Off the queue: its record has one target fewer. */
static void
pmsg_free(struct connector *c, struct pmsg *pm)
{
	if (pm->rec != NULL)
		rec_ack(c, pm->rec);
	free(pm->own);
	free(pm);
}

static void
c_reject(void *arg, struct conn *conn, const uint8_t *intent, int reason)
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

/* ------------------------------------------------------------ status */

static void
status_write(struct connector *c)
{
	struct peer *p;
	char	 tmp[600];
	FILE	*f;
	size_t	 i, up = 0, queued = 0, behind;

	for (i = 0; i < c->npeer; i++) {
		up += c->peer[i]->conn != NULL;
		queued += c->peer[i]->qlen;
	}
	svc_gauge(&c->svc, "connector_peers", "validators configured",
	    (double)c->npeer);
	svc_gauge(&c->svc, "connector_peers_connected",
	    "validators connected", (double)up);
	svc_gauge(&c->svc, "connector_queued", "messages waiting for "
	    "acknowledgement", (double)queued);
	svc_gauge(&c->svc, "connector_received", "messages received from "
	    "peers", (double)c->n_in);
	for (i = behind = 0; i < c->npeer; i++)
		behind += c->peer[i]->nbehind > 0;
	svc_gauge(&c->svc, "connector_peers_behind", "validators served "
	    "from the log (their queue overflowed)", (double)behind);
	if (c->status_path[0] == '\0')
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", c->status_path);
	if ((f = fopen(tmp, "w")) == NULL)
		return;
	fprintf(f, "connector %s %s peers=%zu connected=%zu queued=%zu "
	    "received=%llu\n", cfg_str(c->app.cfg, "general", "name"),
	    c->id.idstr, c->npeer, up, queued, (unsigned long long)c->n_in);
	for (i = 0; i < c->npeer; i++) {
		p = c->peer[i];
		fprintf(f, "peer %s %s %s rtt=%ums queued=%zu behind=%s "
		    "sent=%llu acked=%llu replayed=%llu received=%llu "
		    "rejected=%llu last_error=%s\n",
		    p->name, p->idstr, p->conn != NULL ? "connected" :
		    p->dconn != NULL ? "connecting" : "down",
		    p->conn != NULL ? p->conn->rtt_ms : 0, p->qlen,
		    p->nbehind > 0 ? "yes" : "no",
		    (unsigned long long)p->n_sent,
		    (unsigned long long)p->n_acked,
		    (unsigned long long)p->n_replayed,
		    (unsigned long long)p->n_recv,
		    (unsigned long long)p->n_rejected,
		    p->last_error[0] ? p->last_error : "-");
	}
	if (fclose(f) == 0)
		rename(tmp, c->status_path);
}

/* Per peer, labelled: what -s shows, for Prometheus. */
static void
metrics_peers(struct svc *s, FILE *fp)
{
	struct connector *c = s->metrics_arg;
	struct peer *p;
	size_t	 i, k;
	static const struct {
		const char *name, *type, *help;
	} fam[] = {
		{ "connector_peer_up", "gauge", "Whether the validator is "
		    "connected." },
		{ "connector_peer_rtt_ms", "gauge", "Keepalive round trip." },
		{ "connector_peer_queued", "gauge", "Messages waiting for its "
		    "acknowledgement, in memory." },
		{ "connector_peer_behind", "gauge", "Whether it is served from "
		    "the log (its queue overflowed)." },
		{ "connector_peer_sent_total", "counter", "Messages sent to it." },
		{ "connector_peer_acked_total", "counter", "Messages it "
		    "acknowledged." },
		{ "connector_peer_received_total", "counter", "Messages "
		    "received from it." },
		{ "connector_peer_rejected_total", "counter", "Messages refused "
		    "either way." },
	};
	double	 v = 0;

	for (k = 0; k < sizeof(fam) / sizeof(fam[0]); k++) {
		fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n", fam[k].name,
		    fam[k].help, fam[k].name, fam[k].type);
		for (i = 0; i < c->npeer; i++) {
			p = c->peer[i];
			switch (k) {
			case 0: v = p->conn != NULL; break;
			case 1: v = p->conn != NULL ? p->conn->rtt_ms : 0;
				break;
			case 2: v = (double)p->qlen; break;
			case 3: v = p->nbehind > 0; break;
			case 4: v = (double)p->n_sent; break;
			case 5: v = (double)p->n_acked; break;
			case 6: v = (double)p->n_recv; break;
			case 7: v = (double)p->n_rejected; break;
			}
			fprintf(fp, "%s{service=\"%s\",peer=\"%s\"} %.17g\n",
			    fam[k].name, s->id, p->name, v);
		}
	}
}

static void
status_print(void)
{
	char	 path[512], line[1024];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/connector.status",
	    cfg_str(cn.app.cfg, "general", "run_dir"));
	if ((f = fopen(path, "r")) == NULL)
		fatal(EX_TEMP, "%s (is the connector running?)", path);
	while (fgets(line, sizeof(line), f) != NULL)
		fputs(line, stdout);
	fclose(f);
	exit(0);
}

/* ------------------------------------------------------------ main */

int
main(int argc, char **argv)
{
	static const enum bus_topic topics[] = { TOPIC_P2P_OUTBOUND };
	struct connector *c = &cn;
	struct bus_opts o;
	struct multiaddr lma;
	struct pollfd pfd[MAXPFD];
	struct bus_msg m;
	Coord__Envelope *e;
	const char *keyfile, *listen_at;
	char	 err[1024], path[512], mas[MA_STRMAX];
	size_t	 n, nh;
	uint64_t now, stop_at = 0;
	int	 perm, r, bfd, ready = 0;

	app_init(&c->app, &spec, argc, argv);
	if (status_mode)
		status_print();
	if (sodium_init() == -1)
		fatalx(EX_TEMP, "sodium_init failed");
	TAILQ_INIT(&c->recs);
	TAILQ_INIT(&c->creqs);
	TAILQ_INIT(&c->packs);
	c->max_queue = (size_t)cfg_int(c->app.cfg, "connection", "max_queue");
	c->backoff_min = (uint64_t)cfg_ms(c->app.cfg, "connection",
	    "dial_backoff");
	c->backoff_max = (uint64_t)cfg_ms(c->app.cfg, "connection",
	    "dial_backoff_max");
	c->connect_timeout = (uint64_t)cfg_ms(c->app.cfg, "connection",
	    "connect_timeout");
	c->keepalive = (uint64_t)cfg_ms(c->app.cfg, "connection",
	    "keepalive");
	c->keepalive_timeout = (uint64_t)cfg_ms(c->app.cfg, "connection",
	    "keepalive_timeout");
	c->abuse_limit = (unsigned int)cfg_int(c->app.cfg, "connection",
	    "abuse_limit");
	if (c->max_queue == 0)
		c->max_queue = 1;
	if (c->backoff_min == 0)
		c->backoff_min = 100;
	if (c->backoff_max < c->backoff_min)
		c->backoff_max = c->backoff_min;

	keyfile = cfg_str(c->app.cfg, "connection", "identity_key");
	if (keyfile[0] == '\0') {
		snprintf(path, sizeof(path), "%s/p2p.key",
		    cfg_str(c->app.cfg, "general", "key_dir"));
		keyfile = path;
	}
	if (p2p_identity_load(keyfile, &c->id, err, sizeof(err)) == -1)
		fatalx(EX_PERM, "identity_key: %s", err);
	host_init(&c->host, &c->id, &conn_callbacks, c_closed, c);
	c->host.max_msg = cfg_size(c->app.cfg, "general", "max_message_size");
	c->host.hs_timeout = c->connect_timeout;
	c->host.keepalive = c->keepalive;
	c->host.keepalive_timeout = c->keepalive_timeout;
	if (load_peers(c, 1, err, sizeof(err)) == -1)
		fatalx(EX_PERM, "%s", err);
	listen_at = cfg_str(c->app.cfg, "connection", "listen");
	if (listen_at[0] != '\0' &&
	    multiaddr_parse(listen_at, &lma, err, sizeof(err)) == -1)
		fatalx(EX_PERM, "[connection] listen: %s", err);
	if (c->app.check) {
		if (svc_check(&c->app, err, sizeof(err)) == -1)
			fatalx(EX_PERM, "%s", err);
		app_check_ok(&c->app);
	}

	memset(&o, 0, sizeof(o));
	o.app = &c->app;
	o.topics = topics;
	o.ntopics = 1;
	o.produce = 1;
	o.from_start = 1;
	if ((c->seen = dedupe_new((size_t)cfg_int(c->app.cfg, "general",
	    "dedupe_window"))) == NULL)
		fatalx(EX_TEMP, "out of memory");
	if (svc_open(&c->svc, &c->app, &o, &perm, err, sizeof(err)) == -1)
		fatalx(perm ? EX_PERM : EX_TEMP, "%s", err);
	c->svc.hb_network = "p2p";
	c->svc.skipped = skipped;
	c->svc.skipped_arg = c;
	c->svc.metrics_more = metrics_peers;
	c->svc.metrics_arg = c;
	c->kafka_in = bus_is_kafka_in(c->svc.bus);
	c->otopic = bus_topic(c->svc.bus, TOPIC_P2P_OUTBOUND);
	bus_on_delivery(c->svc.bus, delivered, c);
	if (listen_at[0] != '\0') {
		if (host_listen(&c->host, &lma, err, sizeof(err)) == -1)
			fatalx(EX_TEMP, "%s", err);
		lma.port = c->host.listen_port;
		lma.has_peer = 1;
		lma.peer = c->id.id;
		log_info("listening on %s", multiaddr_str(&lma, mas,
		    sizeof(mas)));
	}
	snprintf(c->status_path, sizeof(c->status_path),
	    "%s/connector.status", cfg_str(c->app.cfg, "general", "run_dir"));
	if (mkdir(cfg_str(c->app.cfg, "general", "run_dir"), 0755) == -1 &&
	    errno != EEXIST) {
		log_warn("%s: no status file", cfg_str(c->app.cfg, "general",
		    "run_dir"));
		c->status_path[0] = '\0';
	}
	log_info("%s: %zu validator(s)", c->id.idstr, c->npeer);

	for (;;) {
		now = clock_mono_ms();
		if (sig_term && stop_at == 0) {
			log_info("stopping");
			host_shutdown(&c->host);
			stop_at = now + 2000;
		}
		if (stop_at != 0 && (host_nconns(&c->host) == 0 ||
		    now > stop_at))
			break;
		if (sig_hup) {
			sig_hup = 0;
			reload(c);
		}
		nh = host_pollfds(&c->host, pfd, MAXPFD - 2);
		n = nh;
		pfd[n].fd = sig_fd();
		pfd[n].events = POLLIN;
		pfd[n++].revents = 0;
		bfd = c->eof ? -1 : bus_fd(c->svc.bus);
		if (bfd >= 0) {
			pfd[n].fd = bfd;
			pfd[n].events = POLLIN;
			pfd[n++].revents = 0;
		}
		if (poll(pfd, n, 50) == -1 && errno != EINTR)
			fatal(EX_TEMP, "poll");
		if (pfd[nh].revents & POLLIN)
			sig_drain();
		host_events(&c->host, pfd, nh);

		/*
		 * Take records.  From Kafka always: a peer whose queue is full
		 * falls behind alone and reads its records back from the log
		 * later.  From a pipe (no log to read back), only while every
		 * peer's queue has room.
		 */
		while (!c->eof && stop_at == 0) {
			size_t	 i, full = 0;

			for (i = 0; !c->kafka_in && i < c->npeer; i++)
				if (c->peer[i]->qlen >= c->max_queue)
					full = 1;
			if (full)
				break;
			r = svc_recv(&c->svc, &m, &e, 0, err, sizeof(err));
			if (r == 0)
				break;
			if (r == -1) {
				if (!bus_eof(c->svc.bus))
					fatalx(EX_TEMP, "%s", err);
				log_info("input ended: finishing what is "
				    "queued");
				c->eof = 1;
				break;
			}
			outbound(c, &m, e);
		}
		now = clock_mono_ms();
		dial_due(c, now);
		for (n = 0; n < c->npeer; n++)
			replay(c, c->peer[n]);
		send_queued(c);
		bus_serve(c->svc.bus);
		acks_flush(c);
		offsets_store(c, 0);
		creqs_answer(c, now);
		host_tick(&c->host);
		svc_tick(&c->svc);
		if (now >= c->next_status) {
			status_write(c);
			c->next_status = now + 1000;
		}
		if (!ready) {
			ready_notify(c->app.readyfd);
			ready = 1;
		}
		if (c->eof && c->nrecs == 0 && stop_at == 0 &&
		    TAILQ_EMPTY(&c->creqs)) {
			log_info("input ended and everything was "
			    "acknowledged");
			host_shutdown(&c->host);
			stop_at = now + 2000;
		}
	}
	status_write(c);
	host_free(&c->host);
	offsets_store(c, 1);
	cleanup(c);
	if (svc_close(&c->svc) == -1)
		log_warnx("not every record was delivered at exit");
	packs_free(c);
	dedupe_free(c->seen);
	return 0;
}

/* After svc_close: no delivery report can come any more. */
static void
packs_free(struct connector *c)
{
	struct pack *a;

	while ((a = TAILQ_FIRST(&c->packs)) != NULL) {
		TAILQ_REMOVE(&c->packs, a, entry);
		free(a);
	}
	c->npacks = 0;
}

/* Undelivered records stay unstored: the next run consumes them again. */
static void
cleanup(struct connector *c)
{
	struct rec *r;
	struct creq *q;
	struct pmsg *pm;
	size_t	 i, k;

	for (i = 0; i < c->npeer; i++) {
		while ((pm = TAILQ_FIRST(&c->peer[i]->q)) != NULL) {
			TAILQ_REMOVE(&c->peer[i]->q, pm, entry);
			free(pm->own);
			free(pm);
		}
		bus_reader_close(c->peer[i]->reader);
		free(c->peer[i]);
	}
	c->npeer = 0;
	if (c->nrecs > 0)
		log_info("%zu record(s) not yet delivered: consumed again on "
		    "the next start", c->nrecs);
	while ((r = TAILQ_FIRST(&c->recs)) != NULL) {
		TAILQ_REMOVE(&c->recs, r, entry);
		if (r->ps != NULL)
			coord__p2p_send__free_unpacked(r->ps, NULL);
		env_free(r->env);
		bus_release(c->svc.bus, &r->m);
		free(r);
	}
	while ((q = TAILQ_FIRST(&c->creqs)) != NULL) {
		TAILQ_REMOVE(&c->creqs, q, entry);
		for (k = 0; k < q->n; k++)
			free(q->names[k]);
		free(q->names);
		free(q);
	}
}

/* A record svc_recv refused (to the DLQ) or dropped as a duplicate. */
static void
skipped(struct svc *s, const struct bus_msg *m)
{
	struct connector *c = s->skipped_arg;
	int	 pi;

	if (!c->kafka_in || m->offset < 0)
		return;
	pi = part_index(c, m->partition);
	c->part[pi].next = m->offset + 1;
}

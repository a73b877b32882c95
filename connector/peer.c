/*
 * peer: the validators.  They come from the [validator] sections (again on
 * SIGHUP: new ones dialled, removed ones dropped) or from a ConnectRequest
 * (creq.c); each is dialled with a jittered, doubling backoff while it has
 * an endpoint and no connection.  A peer that keeps sending what must be
 * refused is hung up on and refused for a while.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cfg.h"
#include "clock.h"
#include "hex.h"
#include "log.h"
#include "connector/cn.h"

#define ABUSE_WINDOW	60000		/* ms over which refusals count */
#define ABUSE_LOGGED	5		/* refusals logged per window */

static uint64_t	 jitter(uint64_t);
static int	 parse_pubkey(const char *, struct peerid *);
static void	 peer_drop(struct connector *, size_t);
static void	 peer_requeue(struct peer *);

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

struct peer *
peer_by_id(struct connector *c, const struct peerid *id)
{
	size_t	 i;

	for (i = 0; i < c->npeer; i++)
		if (peerid_eq(&c->peer[i]->id, id))
			return c->peer[i];
	return NULL;
}

struct peer *
peer_by_name(struct connector *c, const char *name)
{
	size_t	 i;

	for (i = 0; i < c->npeer; i++)
		if (strcmp(c->peer[i]->name, name) == 0)
			return c->peer[i];
	return NULL;
}

struct peer *
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
int
peers_load(struct connector *c, int initial, char *err, size_t errlen)
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

void
peers_reload(struct connector *c)
{
	struct cfg *ncfg, *ocfg;
	char	 err[1024];

	if ((ncfg = cfg_load(c->app.cfgfile, err, sizeof(err))) == NULL) {
		log_warnx("reload: %s; keeping the old configuration", err);
		return;
	}
	ocfg = c->app.cfg;
	c->app.cfg = ncfg;
	if (peers_load(c, 0, err, sizeof(err)) == -1) {
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

void
peers_dial(struct connector *c, uint64_t now)
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

int
peer_allow(void *arg, struct conn *conn, const struct peerid *id)
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
void
peer_abuse(struct connector *c, struct peer *p, struct conn *conn,
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

void
peer_ready(void *arg, struct conn *conn)
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
	p->coord_resets = conn->coord_resets;
	p->backoff = c->backoff_min;
	p->last_error[0] = '\0';
	peer_requeue(p);
	log_info("validator %s connected (%s, %zu message(s) to send)",
	    p->name, conn->initiator ? "we dialled" : "it dialled", p->qlen);
}

void
peer_closed(void *arg, struct conn *conn)
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

/* At exit: what is queued stays in the log, unstored. */
void
peers_free(struct connector *c)
{
	struct pmsg *pm;
	size_t	 i;

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
}

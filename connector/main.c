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
 * status file the running connector keeps in run_dir.  The parts: cn.h.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "cfg.h"
#include "clock.h"
#include "log.h"
#include "sig.h"
#include "connector/cn.h"

#define MAXPFD		(HOST_MAXCONNS + 8)
#define STOP_GRACE	2000		/* ms for connections to go away */

static struct connector	 cn;
static int		 status_mode;

static int	 opt(struct app *, int, const char *);
static void	 cn_config(struct connector *);
static void	 cn_open(struct connector *);
static void	 cn_listen(struct connector *);
static void	 cn_loop(struct connector *);
static size_t	 cn_poll(struct connector *, struct pollfd *);
static void	 cn_take(struct connector *);
static void	 cn_turn(struct connector *, uint64_t);
static void	 cn_shutdown(struct connector *);

static const struct conn_cb conn_callbacks = {
	peer_allow, peer_ready, relay_msg, relay_oversize, relay_ack,
	relay_reject, NULL
};

static const struct app_spec spec = {
	.prog = "connector",
	.operands = "",
	.opts = "s",
	.optusage = "  -s         print the running connector's status (each "
	    "peer's too) and exit:\n"
	    "             0 ok, 1 unhealthy, 2 stale, 3 not running\n",
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

int
main(int argc, char **argv)
{
	struct connector *c = &cn;
	char	 err[1024];

	app_init(&c->app, &spec, argc, argv);
	if (status_mode)
		status_print(c);
	if (sodium_init() == -1)
		fatalx(EX_TEMP, "sodium_init failed");
	cn_config(c);
	if (c->app.check) {
		if (svc_check(&c->app, err, sizeof(err)) == -1)
			fatalx(EX_PERM, "%s", err);
		app_check_ok(&c->app);
	}
	cn_open(c);
	cn_loop(c);
	cn_shutdown(c);
	return EX_OK;
}

/*
 * [connection] (queue, backoff, timeouts, abuse limit, listen address),
 * our identity, the [validator] sections: a mistake here is the
 * configuration's (EX_PERM).
 */
static void
cn_config(struct connector *c)
{
	const char *keyfile;
	char	 err[1024], path[512];

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
	host_init(&c->host, &c->id, &conn_callbacks, peer_closed, c);
	c->host.max_msg = cfg_size(c->app.cfg, "general", "max_message_size");
	c->host.hs_timeout = c->connect_timeout;
	c->host.keepalive = c->keepalive;
	c->host.keepalive_timeout = c->keepalive_timeout;
	if (peers_load(c, 1, err, sizeof(err)) == -1)
		fatalx(EX_PERM, "%s", err);
	c->listen_at = cfg_str(c->app.cfg, "connection", "listen");
	if (c->listen_at[0] != '\0' && multiaddr_parse(c->listen_at,
	    &c->listen, err, sizeof(err)) == -1)
		fatalx(EX_PERM, "[connection] listen: %s", err);
}

/* The bus, the listening socket. */
static void
cn_open(struct connector *c)
{
	static const enum bus_topic topics[] = { TOPIC_P2P_OUTBOUND };
	struct bus_opts o;
	char	 err[1024];
	int	 perm;

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
	c->svc.skipped = replay_skipped;
	c->svc.skipped_arg = c;
	c->svc.metrics_more = status_metrics;
	c->svc.metrics_arg = c;
	c->kafka_in = bus_is_kafka_in(c->svc.bus);
	c->otopic = bus_topic(c->svc.bus, TOPIC_P2P_OUTBOUND);
	bus_on_delivery(c->svc.bus, relay_delivered, c);
	if (c->listen_at[0] != '\0')
		cn_listen(c);
	log_info("%s: %zu validator(s)", c->id.idstr, c->npeer);
}

static void
cn_listen(struct connector *c)
{
	struct multiaddr lma = c->listen;
	char	 err[1024], mas[MA_STRMAX];

	if (host_listen(&c->host, &lma, err, sizeof(err)) == -1)
		fatalx(EX_TEMP, "%s", err);
	lma.port = c->host.listen_port;
	lma.has_peer = 1;
	lma.peer = c->id.id;
	log_info("listening on %s", multiaddr_str(&lma, mas, sizeof(mas)));
}

/*
 * Until SIGTERM, or until the input ended and everything was
 * acknowledged; then the connections get STOP_GRACE to go away.
 */
static void
cn_loop(struct connector *c)
{
	struct pollfd pfd[MAXPFD];
	uint64_t now, stop_at = 0;
	size_t	 nh;

	for (;;) {
		now = clock_mono_ms();
		if (sig_term && stop_at == 0) {
			log_info("stopping");
			host_shutdown(&c->host);
			stop_at = now + STOP_GRACE;
		}
		if (stop_at != 0 && (host_nconns(&c->host) == 0 ||
		    now > stop_at))
			break;
		if (sig_hup) {
			sig_hup = 0;
			peers_reload(c);
		}
		nh = cn_poll(c, pfd);
		host_events(&c->host, pfd, nh);
		if (stop_at == 0)
			cn_take(c);
		now = clock_mono_ms();
		cn_turn(c, now);
		/* Ready once the broker gave us our partitions (at
		 * once when the input is not Kafka). */
		if (!c->ready && bus_assigned(c->svc.bus)) {
			c->ready = 1;
			ready_notify(c->app.readyfd);
			log_info("ready: %zu validator(s)", c->npeer);
			c->next_status = 0;	/* -s says so now */
		}
		if (c->eof && c->nrecs == 0 && stop_at == 0 &&
		    TAILQ_EMPTY(&c->creqs)) {
			log_info("input ended and everything was "
			    "acknowledged");
			host_shutdown(&c->host);
			stop_at = now + STOP_GRACE;
		}
	}
}

/* Wait (50 ms at most) on the sockets, the signals and the bus. */
static size_t
cn_poll(struct connector *c, struct pollfd *pfd)
{
	size_t	 n, nh;
	int	 bfd;

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
	return nh;
}

/*
 * Take records.  From Kafka always: a peer whose queue is full falls
 * behind alone and reads its records back from the log later.  From a
 * pipe (no log to read back), only while every peer's queue has room.
 */
static void
cn_take(struct connector *c)
{
	struct bus_msg m;
	Coord__Envelope *e;
	char	 err[1024];
	size_t	 i;
	int	 r, full;

	while (!c->eof) {
		for (i = 0, full = 0; !c->kafka_in && i < c->npeer; i++)
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
			log_info("input ended: finishing what is queued");
			c->eof = 1;
			break;
		}
		relay_outbound(c, &m, e);
	}
}

/* After the poll: dial, read back, send, acknowledge, store, answer. */
static void
cn_turn(struct connector *c, uint64_t now)
{
	size_t	 i;

	peers_dial(c, now);
	for (i = 0; i < c->npeer; i++)
		replay(c, c->peer[i]);
	relay_send(c);
	bus_serve(c->svc.bus);
	relay_acks(c);
	offsets_store(c, 0);
	creqs_answer(c, now);
	host_tick(&c->host);
	svc_tick(&c->svc);
	if (now >= c->next_status) {
		status_write(c);
		c->next_status = now + 1000;
	}
}

/*
 * Offsets stored as far as every peer acknowledged; what is undelivered
 * stays unstored: the next run consumes it again.
 */
static void
cn_shutdown(struct connector *c)
{
	status_write(c);
	host_free(&c->host);
	offsets_store(c, 1);
	peers_free(c);
	recs_free(c);
	creqs_free(c);
	if (svc_close(&c->svc) == -1)
		log_warnx("not every record was delivered at exit");
	packs_free(c);		/* no delivery report can come any more */
	dedupe_free(c->seen);
}

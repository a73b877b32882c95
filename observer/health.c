/*
 * health: the services' heartbeats on chain-health and the verdicts.
 *
 * Every Heartbeat (any trusted sender) updates its sender's row: the time
 * it was sent (the sender's clock, never later than ours, so heartbeats
 * replayed at start count as old), network, scanned height, tip height and
 * what it says of itself.  Once a second each row is judged:
 *
 *   stale    nothing heard for [health] stale_after
 *   lagging  tip - scanned > [health] max_lag
 *   halted   (the observer itself) the chain did not extend its cursor
 *   ok       otherwise
 *
 * A change of verdict is a log line (a warning when it gets worse), a
 * HealthReport on chain-health, and the gauges; a bad verdict is reported
 * again every stale_after while it lasts.  "ok again" is said only of a
 * service seen bad before and heard from lately (within stale_after, or
 * three heartbeat intervals when that is 0): heartbeats read back after
 * a restart do not make a service down for minutes "ok again".  The
 * observer's own first verdict of lagging (catching up after its start)
 * is information, not a warning (-q hides it).  The observer's own row is its
 * scan status: its cursor against the node's finalized head, and how long
 * since a poll succeeded.
 *
 * The status file, run_dir/observer.status (libcommon/stfile.h), is
 * rewritten every second; observer -s prints and judges it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hex.h"
#include "clock.h"
#include "cfg.h"
#include "log.h"
#include "stfile.h"
#include "observer/obs.h"
#include "proto/common.pb-c.h"

static struct hsvc	*row(struct health *, const char *);
static int		 judge(const struct health *, const struct hsvc *,
			    uint64_t);
static void		 report(struct obs *, struct hsvc *, uint64_t);
static void		 verdict(struct obs *, struct hsvc *, int, uint64_t, int);
static void		 own_row(struct obs *, uint64_t);
static const char	*ago(uint64_t, uint64_t, char *, size_t);

static const char *const state_names[] = { "ok", "lagging", "stale",
    "halted", "unknown" };

const char *
health_state_name(int s)
{
	return s >= 0 && s <= HEALTH_UNKNOWN ? state_names[s] : "?";
}

void
health_init(struct health *h, const struct app *app)
{
	memset(h, 0, sizeof(*h));
	h->stale_after = (uint64_t)cfg_ms(app->cfg, "health", "stale_after");
	h->max_lag = (uint64_t)cfg_int(app->cfg, "health", "max_lag");
	h->fresh_ms = h->stale_after;
	if (h->fresh_ms == 0)
		h->fresh_ms = 3 * (uint64_t)cfg_ms(app->cfg, "general",
		    "heartbeat_interval");
	if (h->fresh_ms == 0)
		h->fresh_ms = 60000;
}

void
health_free(struct health *h)
{
	free(h->s);
	h->s = NULL;
	h->n = h->cap = 0;
}

static struct hsvc *
row(struct health *h, const char *id)
{
	struct hsvc	*p;
	size_t		 i;

	for (i = 0; i < h->n; i++)
		if (strcmp(h->s[i].id, id) == 0)
			return &h->s[i];
	if (h->n == 4096)
		return NULL;		/* bounded: trusted senders only */
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 16;

		if ((p = reallocarray(h->s, cap, sizeof(*p))) == NULL)
			return NULL;
		h->s = p;
		h->cap = cap;
	}
	p = &h->s[h->n++];
	memset(p, 0, sizeof(*p));
	snprintf(p->id, sizeof(p->id), "%s", id);
	p->state = HEALTH_UNKNOWN;
	return p;
}

void
health_heartbeat(struct health *h, const Coord__Envelope *e, int ours)
{
	Coord__Heartbeat	*hb;
	struct hsvc		*r;
	uint64_t		 now = clock_wall_ms(), at;

	if (ours)
		return;		/* our own scan status is judged directly */
	hb = coord__heartbeat__unpack(NULL, e->body.len, e->body.data);
	if (hb == NULL) {
		log_warnx("heartbeat from %s: bad body; ignored", e->from);
		return;
	}
	/* keyed by the authenticated sender, not what the body claims */
	if ((r = row(h, e->from)) == NULL) {
		coord__heartbeat__free_unpacked(hb, NULL);
		return;
	}
	at = e->created_ms < now ? e->created_ms : now;
	if (at >= r->last_ms) {
		r->last_ms = at;
		r->scanned = hb->scanned_height;
		r->tip = hb->tip_height;
		snprintf(r->network, sizeof(r->network), "%s",
		    hb->network != NULL ? hb->network : "");
		snprintf(r->status, sizeof(r->status), "%s",
		    hb->status != NULL ? hb->status : "");
	}
	coord__heartbeat__free_unpacked(hb, NULL);
}

static int
judge(const struct health *h, const struct hsvc *r, uint64_t now)
{
	if (r->last_ms == 0)
		return HEALTH_UNKNOWN;
	if (h->stale_after > 0 && now > r->last_ms &&
	    now - r->last_ms > h->stale_after)
		return HEALTH_STALE;
	if (r->tip > r->scanned && r->tip - r->scanned > h->max_lag)
		return HEALTH_LAGGING;
	return HEALTH_OK;
}

static void
report(struct obs *o, struct hsvc *r, uint64_t now)
{
	Coord__HealthReport	 hr = COORD__HEALTH_REPORT__INIT;
	struct env_intent	 in;
	uint8_t			 intent[ENV_INTENTLEN];
	char			 err[256];
	uint64_t		 lag = r->tip > r->scanned ?
				    r->tip - r->scanned : 0;

	hr.service = r->id;
	hr.network = r->network;
	hr.state = (char *)(uintptr_t)health_state_name(r->state);
	hr.last_seen_ms = r->last_ms;
	hr.scanned_height = r->scanned;
	hr.tip_height = r->tip;
	hr.lag = lag;
	hr.detail = r->detail;
	env_intent_init(&in, COORD__MSG_TYPE__HEALTH_REPORT);
	env_intent_str(&in, r->id);
	env_intent_str(&in, hr.state);
	env_intent_u64(&in, now);
	env_intent_final(&in, intent);
	r->reported_ms = now;
	o->health.n_reports++;
	/* outside the transaction, keyed "id>" */
	if (svc_send_direct(&o->svc, TOPIC_CHAIN_HEALTH,
	    COORD__MSG_TYPE__HEALTH_REPORT, intent, "", &hr.base, err,
	    sizeof(err)) == -1)
		log_warnx("health report: %s", err);
}

/* A new verdict st for r (own: the observer's row): the log line, then
 * the report. */
static void
verdict(struct obs *o, struct hsvc *r, int st, uint64_t now, int own)
{
	int	 prev = r->state;
	int	 fresh = r->last_ms > 0 && (now <= r->last_ms ||
		    now - r->last_ms <= o->health.fresh_ms);
	char	 a[32];

	r->state = st;
	if (st == HEALTH_OK && prev != HEALTH_UNKNOWN && fresh)
		log_info("health: %s is ok again (scanned %" PRIu64 " of %"
		    PRIu64 ")", r->id, r->scanned, r->tip);
	else if (st == HEALTH_OK && fresh)
		log_info("health: %s is ok (scanned %" PRIu64 " of %" PRIu64
		    ")", r->id, r->scanned, r->tip);
	else if (st == HEALTH_OK)
		log_debug("health: %s is ok by a heartbeat of %s", r->id,
		    ago(now, r->last_ms, a, sizeof(a)));
	else if (st == HEALTH_LAGGING && prev == HEALTH_UNKNOWN && own)
		log_info("health: %s is lagging: %s", r->id, r->detail);
	else
		log_warnx("health: %s is %s: %s", r->id,
		    health_state_name(st), st == HEALTH_STALE ?
		    ago(now, r->last_ms, a, sizeof(a)) : r->detail);
	report(o, r, now);
}

static const char *
ago(uint64_t now, uint64_t then, char *buf, size_t len)
{
	uint64_t d = now > then ? now - then : 0;

	if (then == 0)
		snprintf(buf, len, "never heard");
	else if (d < 1000)
		snprintf(buf, len, "%" PRIu64 " ms ago", d);
	else if (d < 120000)
		snprintf(buf, len, "%" PRIu64 " s ago", d / 1000);
	else
		snprintf(buf, len, "%" PRIu64 " min ago", d / 60000);
	return buf;
}

/* The observer's own row: its cursor against the finalized head. */
static void
own_row(struct obs *o, uint64_t now)
{
	struct scan	*s = &o->scan;
	struct hsvc	*r;
	int		 st;

	if ((r = row(&o->health, o->svc.id)) == NULL)
		return;
	snprintf(r->network, sizeof(r->network), "serai");
	r->scanned = s->next > 0 ? s->next - 1 : 0;
	r->tip = s->have_fin ? s->fin_num : r->scanned;
	r->last_ms = s->last_poll_ok;
	st = judge(&o->health, r, now);
	if (s->halted) {
		st = HEALTH_HALTED;
		snprintf(r->detail, sizeof(r->detail), "%s", s->halt_reason);
	} else if (st == HEALTH_STALE)
		snprintf(r->detail, sizeof(r->detail), "no answer from the "
		    "node: %s", s->last_error);
	else
		snprintf(r->detail, sizeof(r->detail), "next block %" PRIu64
		    ", finalized %" PRIu64, s->next, r->tip);
	snprintf(r->status, sizeof(r->status), "%s", health_state_name(st));
	o->svc.hb_network = "serai";
	o->svc.hb_scanned = r->scanned;
	o->svc.hb_tip = r->tip;
	o->svc.hb_status = health_state_name(st);
	if (r->state != st && !(r->state == HEALTH_UNKNOWN &&
	    st == HEALTH_STALE && r->last_ms == 0))
		verdict(o, r, st, now, 1);
	else if (st != HEALTH_OK && st != HEALTH_UNKNOWN &&
	    now - r->reported_ms >= (o->health.stale_after > 0 ?
	    o->health.stale_after : 60000))
		report(o, r, now);
}

void
health_check(struct obs *o, uint64_t now)
{
	struct health	*h = &o->health;
	struct hsvc	*r;
	size_t		 i, stale = 0, lagging = 0;
	int		 st;

	if (now < h->next_check)
		return;
	h->next_check = now + 1000;
	own_row(o, now);
	for (i = 0; i < h->n; i++) {
		r = &h->s[i];
		if (strcmp(r->id, o->svc.id) == 0)
			continue;
		st = judge(h, r, now);
		if (st == HEALTH_LAGGING)
			snprintf(r->detail, sizeof(r->detail), "scanned %"
			    PRIu64 ", tip %" PRIu64 ": %" PRIu64 " behind "
			    "(max_lag %" PRIu64 ")", r->scanned, r->tip,
			    r->tip - r->scanned, h->max_lag);
		else if (st == HEALTH_STALE)
			snprintf(r->detail, sizeof(r->detail), "silent for "
			    "more than %" PRIu64 " ms", h->stale_after);
		else
			snprintf(r->detail, sizeof(r->detail), "scanned %"
			    PRIu64 ", tip %" PRIu64, r->scanned, r->tip);
		if (st != r->state)
			verdict(o, r, st, now, 0);
		else if (st != HEALTH_OK && now - r->reported_ms >=
		    (h->stale_after > 0 ? h->stale_after : 60000))
			report(o, r, now);
		stale += st == HEALTH_STALE;
		lagging += st == HEALTH_LAGGING;
	}
	svc_gauge(&o->svc, "coord_health_services", "Services heard on "
	    "chain-health.", (double)(h->n > 0 ? h->n - 1 : 0));
	svc_gauge(&o->svc, "coord_health_stale", "Services silent for "
	    "longer than stale_after.", (double)stale);
	svc_gauge(&o->svc, "coord_health_lagging", "Services scanning more "
	    "than max_lag behind their tip.", (double)lagging);
}

/* ------------------------------------------------------------ status */

void
status_write(struct obs *o)
{
	struct scan	*s = &o->scan;
	struct rpc_stats rs, us;
	char		 a[32], hs[67];
	const char	*state;
	FILE		*f;
	size_t		 i;
	uint64_t	 now = clock_wall_ms(), lag;
	struct hsvc	*r, *own;

	lag = s->have_fin && s->fin_num + 1 > s->next ? s->fin_num + 1 -
	    s->next : 0;
	state = s->halted ? "halted" : !s->started ? "starting" : lag > 0 ?
	    "catching-up" : "tip";
	rpc_stats(s->rpc, &rs);
	rpc_stats(o->sub.rpc, &us);
	svc_gauge(&o->svc, "coord_observer_next_block", "The next block to "
	    "publish.", (double)s->next);
	svc_gauge(&o->svc, "coord_observer_finalized_block", "The node's "
	    "finalized head.", (double)s->fin_num);
	svc_gauge(&o->svc, "coord_observer_lag_blocks", "Finalized blocks "
	    "not yet published.", (double)lag);
	svc_gauge(&o->svc, "coord_observer_halted", "1 when the chain did not "
	    "extend the cursor.", s->halted ? 1 : 0);
	svc_gauge(&o->svc, "coord_observer_spec_version", "Runtime version "
	    "at the cursor.", (double)s->spec);
	svc_counter(&o->svc, "coord_observer_rpc_requests_total", "JSON-RPC "
	    "HTTP requests made while scanning.", (double)rs.requests);
	svc_counter(&o->svc, "coord_observer_polls_total", "Polls of the "
	    "finalized head.", (double)s->pace.polls);
	svc_gauge(&o->svc, "coord_observer_block_time_seconds", "Block time "
	    "learned (0: not yet).", (double)(s->pace.period ?
	    s->pace.period : s->pace.ts_period) / 1e3);
	svc_counter(&o->svc, "coord_observer_instructions_ok_total",
	    "Instructions the node accepted.", (double)o->sub.n_ok);
	svc_counter(&o->svc, "coord_observer_instructions_failed_total",
	    "Instructions the node refused.", (double)o->sub.n_failed);
	own = row(&o->health, o->svc.id);
	/* Healthy: ready (the node's head known), not halted, the node
	 * answering; catching up is working. */
	if ((f = stfile_begin(&o->svc.status, s->have_fin && !s->halted &&
	    (own == NULL || own->state != HEALTH_STALE), state,
	    s->halted ? "%s" : !s->have_fin ? "waiting for the node's "
	    "finalized head" : own != NULL && own->state == HEALTH_STALE ?
	    "no answer from the node: %s" : NULL, s->halted ? s->halt_reason :
	    s->last_error)) == NULL)
		return;
	fprintf(f, "uptime_s=%" PRIu64 "\n", (now - o->started_ms) / 1000);
	hex_encode0x(s->last_hash, 32, hs);
	fprintf(f, "scan state=%s next=%" PRIu64 " finalized=%" PRIu64
	    " lag=%" PRIu64 " spec=%" PRIu32 " last_hash=%s last_poll=%s\n",
	    state, s->next, s->fin_num, lag, s->spec,
	    s->have_last ? hs : "-", ago(now, s->last_poll_ok, a, sizeof(a)));
	if (s->halted)
		fprintf(f, "halted %s\n", s->halt_reason);
	fprintf(f, "blocks published=%lu events=%lu upgrades=%lu "
	    "transactions=%lu failed=%lu\n", s->nblocks, s->nevents,
	    s->nupgrades, o->n_txn, o->n_txn_failed);
	fprintf(f, "rpc requests=%lu calls=%lu retries=%lu polls=%lu "
	    "block_time_ms=%" PRIu64 " adaptive=%s last_error=%s\n",
	    rs.requests, rs.calls, rs.retries, s->pace.polls,
	    s->pace.period ? s->pace.period : s->pace.ts_period,
	    s->pace.adaptive ? "yes" : "no",
	    s->last_error[0] ? s->last_error : "-");
	fprintf(f, "instructions queued=%zu ok=%lu failed=%lu retries=%lu "
	    "rpc_requests=%lu last_error=%s\n", o->sub.n, o->sub.n_ok,
	    o->sub.n_failed, o->sub.n_retries, us.requests,
	    o->sub.last_error[0] ? o->sub.last_error : "-");
	for (i = 0; i < o->health.n; i++) {
		r = &o->health.s[i];
		fprintf(f, "service %s network=%s state=%s scanned=%" PRIu64
		    " tip=%" PRIu64 " lag=%" PRIu64 " last_seen=\"%s\" "
		    "says=%s\n", r->id, r->network[0] ? r->network : "-",
		    health_state_name(r->state), r->scanned, r->tip,
		    r->tip > r->scanned ? r->tip - r->scanned : 0,
		    ago(now, r->last_ms, a, sizeof(a)),
		    r->status[0] ? r->status : "-");
	}
	stfile_end(&o->svc.status, f);
}

void
status_print(const struct app *app)
{
	stfile_print(app);
}

/*
 * pace: when to poll the node's finalized head at the tip.
 *
 * Fixed polling asks every polling_interval.  Adaptive polling learns the
 * block time (the intervals between the blocks it saw appear, or, until it
 * has those, Timestamp.Now deltas) and the phase (when, between the last
 * poll that saw nothing and the first that saw the block, a block came),
 * sleeps until shortly before the next block is due and then polls densely
 * until it appears.
 *
 * A token bucket keeps it honest: a token accrues every polling_interval
 * (at most a block's worth, plus two, are kept) and each poll spends one,
 * so over any stretch adaptive polling makes no more requests than fixed
 * polling would, however wrong its guesses.  Dense polling spends what
 * the quiet part of the block time saved.  Half of what dense polling
 * does not need goes to background polls spread over the quiet part, so
 * a block that comes early (a chain that is not as regular as it looked,
 * blocks made on demand) is still seen soon.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "observer/obs.h"

#define GUARD_MIN	4	/* ms before the expected block */
#define STEP_MIN	5	/* ms between dense polls */

static uint64_t	 median(const uint64_t *, size_t);
static double	 capacity(const struct pace *);
static void	 refill(struct pace *, uint64_t);
static uint64_t	 budget(const struct pace *);
static uint64_t	 period(const struct pace *);
static uint64_t	 background(const struct pace *);
static uint64_t	 sooner(uint64_t, uint64_t);

void
pace_init(struct pace *p, uint64_t interval, int adaptive, uint64_t now)
{
	memset(p, 0, sizeof(*p));
	p->interval = interval > 0 ? interval : 1;
	p->adaptive = adaptive;
	p->tok_ms = now;
	p->tokens = 1;
	p->guard = 50;
	p->next_at = now;
}

static uint64_t
median(const uint64_t *v, size_t n)
{
	uint64_t	 s[PACE_RING], t;
	size_t		 i, k;

	memcpy(s, v, n * sizeof(*v));
	for (i = 1; i < n; i++)
		for (k = i; k > 0 && s[k - 1] > s[k]; k--) {
			t = s[k];
			s[k] = s[k - 1];
			s[k - 1] = t;
		}
	return s[n / 2];
}

/* The block time as best known (0: unknown). */
static uint64_t
period(const struct pace *p)
{
	if (p->period > 0)
		return p->period;
	return p->ts_period;
}

/* Polls a fixed poller makes per block (at least 1). */
static uint64_t
budget(const struct pace *p)
{
	uint64_t b = period(p) / p->interval;

	return b > 0 ? b : 1;
}

/* The period of background polls in the quiet part (0: none). */
static uint64_t
background(const struct pace *p)
{
	uint64_t	 T = period(p);
	double		 b = (double)budget(p), r;

	r = p->dense_avg > 0 ? p->dense_avg : 3;
	if (T == 0 || b <= r + 1)
		return 0;
	return (uint64_t)(2.0 * (double)T / (b - r));
}

static uint64_t
sooner(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static double
capacity(const struct pace *p)
{
	return (double)budget(p) + 2;
}

static void
refill(struct pace *p, uint64_t now)
{
	if (now > p->tok_ms) {
		p->tokens += (double)(now - p->tok_ms) / (double)p->interval;
		p->tok_ms = now;
	}
	if (p->tokens > capacity(p))
		p->tokens = capacity(p);
}

uint64_t
pace_wait(struct pace *p, uint64_t now)
{
	uint64_t at = p->next_at, tok_at;

	refill(p, now);
	if (p->tokens < 1) {
		tok_at = now + (uint64_t)((1 - p->tokens) *
		    (double)p->interval) + 1;
		if (tok_at > at)
			at = tok_at;
	}
	return at > now ? at - now : 0;
}

void
pace_failed(struct pace *p, uint64_t t0)
{
	p->polls++;
	p->tokens -= 1;
	p->next_at = t0 + p->interval;
}

/*
 * A poll went out at t0 and came back at t1.  newest: the finalized head's
 * number now; nnew: how many blocks it moved by (0: nothing new).
 */
void
pace_timestamp(struct pace *p, uint64_t number, uint64_t time_ms)
{
	if (time_ms == 0)
		return;
	if (p->ts_last != 0 && number == p->ts_last_num + 1 &&
	    time_ms > p->ts_last)
		p->ts_period = time_ms - p->ts_last;
	p->ts_last = time_ms;
	p->ts_last_num = number;
}

void
pace_polled(struct pace *p, uint64_t t0, uint64_t t1, uint64_t newest,
    uint64_t nnew)
{
	uint64_t	 T, prod, expect, lo, step, b;
	double		 err;
	int		 tight, have_err = 0;

	p->polls++;
	refill(p, t1);
	p->tokens -= 1;
	if (!p->adaptive) {
		p->next_at = t0 + p->interval;
		return;
	}
	T = period(p);
	if (nnew == 0) {
		p->last_miss = t0;
		if (T == 0 || p->p_est == 0) {
			p->next_at = t0 + p->interval;
			return;
		}
		expect = p->p_est + T;
		if (t1 + p->guard < expect) {
			/* the quiet part: the next background poll, or the
			 * start of dense polling */
			p->next_at = expect - p->guard;
			if (background(p) > 0)
				p->next_at = sooner(p->next_at, t1 +
				    background(p));
			return;
		}
		p->cycle_dense++;
		if (t1 > expect + T) {
			/* far late: the chain stalls; poll as a fixed
			 * poller until a block shows up */
			p->next_at = t0 + p->interval;
			return;
		}
		/* dense: the budget over twice the guard window */
		b = budget(p);
		step = b > 1 ? 2 * p->guard / (b - 1) : p->interval;
		if (step < STEP_MIN)
			step = STEP_MIN;
		if (step > p->interval)
			step = p->interval;
		p->next_at = t1 + step;
		return;
	}

	p->hits++;
	if (T > 0 && p->p_est != 0 && t0 + p->guard >= p->p_est + T)
		p->cycle_dense++;	/* this one was dense too */
	if (nnew == 1 && p->cycle_dense > 0)
		p->dense_avg = p->dense_avg > 0 ? p->dense_avg * 0.75 +
		    (double)p->cycle_dense * 0.25 : (double)p->cycle_dense;
	p->cycle_dense = 0;
	/* The block came after the last miss and before this answer. */
	lo = p->last_miss > p->p_est && p->last_miss < t1 ? p->last_miss : 0;
	/* known within a quarter block, or (block time not known yet)
	 * within one polling interval */
	tight = lo != 0 && nnew == 1 && t1 - lo <= (T > 0 ? (T / 4 >
	    p->interval + 50 ? T / 4 : p->interval + 50) : p->interval + 50);
	prod = lo != 0 ? lo + (t1 - lo) / 2 : t1;
	if (p->p_est != 0 && T > 0 && nnew == 1) {
		expect = p->p_est + T;
		if (lo != 0) {
			err = prod > expect ? (double)(prod - expect) :
			    (double)(expect - prod);
			have_err = 1;
		} else if (t1 < expect) {
			/* the first poll saw it: early by this much at least */
			err = (double)(expect - t1);
			have_err = 1;
		}
		if (have_err)
			p->err_avg = p->err_avg * 0.75 + err * 0.25;
	}
	if (nnew == 1 && p->p_est != 0 && p->p_tight && tight &&
	    prod > p->p_est) {
		p->ring[p->iring] = prod - p->p_est;
		p->iring = (p->iring + 1) % PACE_RING;
		if (p->nring < PACE_RING)
			p->nring++;
		if (p->nring >= 3)
			p->period = median(p->ring, p->nring);
	}
	p->p_est = prod;
	p->p_tight = tight;
	p->p_num = newest;
	p->last_miss = 0;
	T = period(p);
	/* Start before it is due by twice the usual error; when the first
	 * poll saw the block at once, the phase is not known: earlier. */
	p->guard = (uint64_t)(2 * p->err_avg) + GUARD_MIN;
	if (lo == 0)
		p->guard *= 2;
	if (T > 0 && p->guard > T / 2)
		p->guard = T / 2;
	if (T == 0) {
		p->next_at = t0 + p->interval;
		return;
	}
	p->next_at = prod + T > p->guard ? prod + T - p->guard : t1;
	if (background(p) > 0)
		p->next_at = sooner(p->next_at, t1 + background(p));
	if (p->next_at < t1)
		p->next_at = t1;
}

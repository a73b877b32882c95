/*
 * obs_pace: the observer's tip polling (observer/pace.c) against a
 * simulated chain: blocks every T ms with jitter; the poller never makes
 * more polls than a fixed poller at the same interval would, learns the
 * block time, and (adaptive) sees blocks soon after they are made.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t/tap.h"
#include "observer/obs.h"

struct sim {
	uint64_t	 T, jitter, interval, rtt;
	uint64_t	 polls, blocks;
	uint64_t	 lat_sum, lat_max;
	uint64_t	 lat[4096];
	size_t		 nlat;
};

static uint64_t rng = 88172645463325252ull;

static uint64_t
xr(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int
cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Run duration ms of simulated time. */
static void
run(struct sim *s, int adaptive, uint64_t duration)
{
	struct pace	 p;
	uint64_t	 now = 1000, prod[2048], seen = 0, head = 0, nprod = 0;
	uint64_t	 t, w, i;

	memset(prod, 0, sizeof(prod));
	for (i = 0, t = 1000 + 137; t < 1000 + duration && i < 2048; i++) {
		prod[i] = t + (s->jitter ? xr() % s->jitter : 0);
		t += s->T;
		nprod++;
	}
	pace_init(&p, s->interval, adaptive, now);
	s->polls = s->blocks = s->lat_sum = s->lat_max = 0;
	s->nlat = 0;
	while (now < 1000 + duration) {
		w = pace_wait(&p, now);
		now += w > 0 ? w : 0;
		/* the node answers with what was made by now + rtt / 2 */
		head = 0;
		for (i = 0; i < nprod; i++)
			if (prod[i] <= now + s->rtt / 2)
				head = i + 1;
		pace_polled(&p, now, now + s->rtt, head, head > seen ?
		    head - seen : 0);
		s->polls++;
		for (i = seen; i < head; i++) {
			uint64_t l = now + s->rtt - prod[i];

			if (s->nlat < 4096)
				s->lat[s->nlat++] = l;
			s->lat_sum += l;
			if (l > s->lat_max)
				s->lat_max = l;
		}
		s->blocks += head - seen;
		seen = head;
		now += s->rtt;
	}
}

/* Blocks at random moments 300..3000 ms apart; each poll's answer also
 * carries Timestamp.Now deltas of 6000 ms (as the dev node's -i 0). */
static void
run_irregular(struct sim *s, int adaptive)
{
	struct pace	 p;
	uint64_t	 now = 1000, prod[512], seen = 0, head, nprod = 0;
	uint64_t	 t = 1000, i, w;

	for (i = 0; i < 512 && t < 1000 + 300000; i++) {
		t += 300 + xr() % 2700;
		prod[i] = t;
		nprod++;
	}
	pace_init(&p, s->interval, adaptive, now);
	s->polls = s->blocks = 0;
	s->nlat = 0;
	while (now < 1000 + 300000) {
		w = pace_wait(&p, now);
		now += w;
		for (head = 0, i = 0; i < nprod; i++)
			if (prod[i] <= now + s->rtt / 2)
				head = i + 1;
		pace_polled(&p, now, now + s->rtt, head, head > seen ?
		    head - seen : 0);
		for (i = seen; i < head; i++) {
			pace_timestamp(&p, i, 6000 * (i + 1));
			if (s->nlat < 4096)
				s->lat[s->nlat++] = now + s->rtt - prod[i];
		}
		s->polls++;
		s->blocks += head - seen;
		seen = head;
		now += s->rtt;
	}
}

static uint64_t
p50(struct sim *s)
{
	qsort(s->lat, s->nlat, sizeof(s->lat[0]), cmp);
	return s->nlat ? s->lat[s->nlat / 2] : 0;
}

int
main(void)
{
	struct sim	 s;
	uint64_t	 fixed_polls, fixed_p50, dur = 600000;
	struct pace	 p;

	plan(14);
	memset(&s, 0, sizeof(s));
	s.T = 6000;
	s.jitter = 20;
	s.interval = 500;
	s.rtt = 2;
	run(&s, 0, dur);
	fixed_polls = s.polls;
	fixed_p50 = p50(&s);
	diag("fixed: %llu polls, %llu blocks, p50 %llu ms",
	    (unsigned long long)s.polls, (unsigned long long)s.blocks,
	    (unsigned long long)fixed_p50);
	ok(s.blocks >= 99, "fixed: every block seen");
	run(&s, 1, dur);
	diag("adaptive: %llu polls, %llu blocks, p50 %llu ms, max %llu ms",
	    (unsigned long long)s.polls, (unsigned long long)s.blocks,
	    (unsigned long long)p50(&s), (unsigned long long)s.lat_max);
	ok(s.blocks >= 99, "adaptive: every block seen");
	ok(s.polls <= fixed_polls + 2, "adaptive: no more polls than fixed "
	    "polling (%llu <= %llu)", (unsigned long long)s.polls,
	    (unsigned long long)fixed_polls);
	ok(p50(&s) < s.T / 10, "adaptive: p50 latency under a tenth of the "
	    "block time (%llu ms)", (unsigned long long)p50(&s));
	ok(p50(&s) < fixed_p50, "adaptive: p50 below fixed polling's");

	/* one poll per block: the budget allows no dense polling */
	s.T = 1000;
	s.interval = 1000;
	s.jitter = 5;
	run(&s, 0, dur);
	fixed_polls = s.polls;
	run(&s, 1, dur);
	ok(s.blocks >= 590, "interval = block time: every block seen");
	ok(s.polls <= fixed_polls + 2, "interval = block time: no more polls "
	    "(%llu <= %llu)", (unsigned long long)s.polls,
	    (unsigned long long)fixed_polls);

	/* fast blocks, slow polling interval setting */
	s.T = 1000;
	s.interval = 250;
	s.jitter = 3;
	run(&s, 0, dur);
	fixed_polls = s.polls;
	run(&s, 1, dur);
	ok(s.polls <= fixed_polls + 2, "1 s blocks, 250 ms: no more polls "
	    "(%llu <= %llu)", (unsigned long long)s.polls,
	    (unsigned long long)fixed_polls);
	ok(p50(&s) < 100, "1 s blocks, 250 ms: p50 %llu ms < 100",
	    (unsigned long long)p50(&s));

	/* blocks on demand, irregular, timestamps claiming 6 s: background
	 * polls keep the latency near fixed polling's */
	{
		uint64_t fp50;

		memset(&s, 0, sizeof(s));
		s.interval = 100;
		s.rtt = 2;
		run_irregular(&s, 0);
		fixed_polls = s.polls;
		fp50 = p50(&s);
		run_irregular(&s, 1);
		diag("irregular: fixed %llu polls p50 %llu ms; adaptive %llu "
		    "polls p50 %llu ms", (unsigned long long)fixed_polls,
		    (unsigned long long)fp50, (unsigned long long)s.polls,
		    (unsigned long long)p50(&s));
		ok(s.polls <= fixed_polls + 2, "irregular: no more polls");
		ok(p50(&s) <= 4 * fp50 + 100, "irregular: p50 %llu ms, near "
		    "fixed polling's %llu", (unsigned long long)p50(&s),
		    (unsigned long long)fp50);
	}

	/* the block time is learned */
	pace_init(&p, 500, 1, 0);
	{
		uint64_t t = 0, n = 0, i;

		for (i = 0; i < 200; i++) {
			uint64_t w = pace_wait(&p, t), head;

			t += w;
			head = t >= 337 ? (t - 337) / 3000 + 1 : 0;
			pace_polled(&p, t, t + 1, head, head > n ? head - n :
			    0);
			n = head;
			t += 1;
		}
		ok(p.period >= 2990 && p.period <= 3010, "block time learned: "
		    "%llu ms", (unsigned long long)p.period);
	}
	pace_timestamp(&p, 10, 6000);
	pace_timestamp(&p, 11, 12000);
	is_int((long long)p.ts_period, 6000, "block time from timestamps");
	pace_init(&p, 500, 1, 0);
	is_int((long long)pace_wait(&p, 0), 0, "a first poll at once");
	return done_testing();
}

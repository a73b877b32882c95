/*
 * restart: measures restart latency for the supervisor benchmark.
 *
 *	restart STAMPS N UPTIME_MS
 *
 * N times: wait until the process that wrote the last line of STAMPS (see
 * stamp.c) has run UPTIME_MS, note the time, SIGKILL it, and wait for the
 * replacement's line; print the latency from just before kill(2) to the
 * replacement's first instant, in microseconds, one per line.  Both
 * times are CLOCK_REALTIME, so how fast we notice the new line does not
 * matter.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The number of lines of path; the last one's time and pid. */
static int
last(const char *path, long long *t, long *pid)
{
	char line[128];
	FILE *fp;
	int n = 0;

	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "%lld %ld", t, pid) == 2)
			n++;
	fclose(fp);
	return n;
}

static void
nap(long us)
{
	struct timespec ts = { 0, us * 1000 };

	nanosleep(&ts, NULL);
}

int
main(int argc, char *argv[])
{
	long long t0, t1, k, deadline;
	long pid, pid1;
	int i, n, lines;

	if (argc != 4) {
		fprintf(stderr, "usage: restart STAMPS N UPTIME_MS\n");
		return 100;
	}
	n = atoi(argv[2]);
	for (i = 0; i < n; i++) {
		deadline = now_ns() + 30000000000LL;
		while ((lines = last(argv[1], &t0, &pid)) == 0) {
			if (now_ns() > deadline) {
				fprintf(stderr, "restart: no stamp in %s\n",
				    argv[1]);
				return 111;
			}
			nap(1000);
		}
		while (now_ns() < t0 + atoll(argv[3]) * 1000000LL)
			nap(1000);
		k = now_ns();
		if (kill((pid_t)pid, SIGKILL) == -1) {
			fprintf(stderr, "restart: kill %ld: %s\n", pid,
			    strerror(errno));
			return 111;
		}
		deadline = k + 30000000000LL;
		while (last(argv[1], &t1, &pid1) <= lines) {
			if (now_ns() > deadline) {
				fprintf(stderr, "restart: not restarted in "
				    "30 s\n");
				return 111;
			}
			nap(200);
		}
		printf("%lld\n", (t1 - k) / 1000);
		fflush(stdout);
	}
	return 0;
}

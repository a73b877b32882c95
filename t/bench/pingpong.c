/*
 * pingpong [N]: the floor under any round trip on this machine: plain TCP
 * on loopback (TCP_NODELAY), 1 KiB one way and 40 bytes back, one at a
 * time, no encryption, no framing, between two processes.  Prints
 * "floor p50 US p99 US us" over N round trips (default 2000), ranked as
 * p2ptool -L ranks its own.  Its p99 is the scheduler's tail (wakeups on
 * a shared machine), which every stack pays.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"

#define PING	1024
#define PONG	40

static int	readsome(int, uint8_t *, size_t);
static void	readn(int, uint8_t *, size_t);
static void	writen(int, const uint8_t *, size_t);
static void	nodelay(int);
static int	cmp_u64(const void *, const void *);
static void	serve(int) __attribute__((noreturn));

/* 1: n bytes read; 0: the peer hung up first; -1: it hung up midway */
static int
readsome(int fd, uint8_t *p, size_t n)
{
	size_t	 got = 0;
	ssize_t	 r;

	while (got < n) {
		r = read(fd, p + got, n - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			err(111, "read");
		if (r == 0)
			return got == 0 ? 0 : -1;
		got += (size_t)r;
	}
	return 1;
}

static void
readn(int fd, uint8_t *p, size_t n)
{
	if (readsome(fd, p, n) != 1)
		errx(111, "read: connection closed");
}

static void
writen(int fd, const uint8_t *p, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			err(111, "write");
		p += w;
		n -= (size_t)w;
	}
}

static void
nodelay(int fd)
{
	int	 one = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1)
		err(111, "TCP_NODELAY");
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The listener's side: a pong for every ping, until the dialer hangs up. */
static void
serve(int ls)
{
	uint8_t	 ping[PING], pong[PONG];
	int	 fd, r;

	if ((fd = accept(ls, NULL, NULL)) == -1)
		err(111, "accept");
	nodelay(fd);
	memset(pong, 'a', sizeof(pong));
	while ((r = readsome(fd, ping, sizeof(ping))) == 1)
		writen(fd, pong, sizeof(pong));
	if (r == -1)
		errx(111, "a short ping");
	_exit(0);
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	uint8_t	 ping[PING], pong[PONG];
	uint64_t *lat, t0;
	long	 n = 2000, i;
	pid_t	 pid;
	int	 ls, fd, st;

	if (argc > 2 || (argc == 2 && (n = strtol(argv[1], NULL, 10)) < 1)) {
		fprintf(stderr, "usage: pingpong [count]\n");
		return 100;
	}
	if ((lat = calloc((size_t)n, sizeof(*lat))) == NULL)
		err(111, "calloc");
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((ls = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(ls, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(ls, 1) == -1 ||
	    getsockname(ls, (struct sockaddr *)&sa, &sl) == -1)
		err(111, "listen on 127.0.0.1");
	if ((pid = fork()) == -1)
		err(111, "fork");
	if (pid == 0)
		serve(ls);
	close(ls);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1)
		err(111, "connect");
	nodelay(fd);
	memset(ping, 'x', sizeof(ping));
	for (i = 0; i < n; i++) {
		t0 = clock_mono_us();
		writen(fd, ping, sizeof(ping));
		readn(fd, pong, sizeof(pong));
		lat[i] = clock_mono_us() - t0;
	}
	close(fd);
	if (waitpid(pid, &st, 0) == -1 || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0)
		errx(111, "the listener failed");
	qsort(lat, (size_t)n, sizeof(*lat), cmp_u64);
	printf("floor p50 %llu p99 %llu us\n", (unsigned long long)lat[n / 2],
	    (unsigned long long)lat[n * 99 / 100]);
	free(lat);
	return 0;
}

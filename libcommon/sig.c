/* sig: see sig.h. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sig.h"

volatile sig_atomic_t sig_term;
volatile sig_atomic_t sig_hup;
volatile sig_atomic_t sig_chld;

static int selfpipe[2] = { -1, -1 };

static void
handler(int sig)
{
	int e = errno;

	switch (sig) {
	case SIGTERM:
	case SIGINT:
		sig_term = 1;
		break;
	case SIGHUP:
		sig_hup = 1;
		break;
	case SIGCHLD:
		sig_chld = 1;
		break;
	}
	if (selfpipe[1] != -1)
		(void)!write(selfpipe[1], "", 1);
	errno = e;
}

void
sig_setup(int want_chld)
{
	struct sigaction sa;

	if (selfpipe[0] == -1) {
		if (pipe2(selfpipe, O_CLOEXEC | O_NONBLOCK) == -1)
			fatal(EX_TEMP, "pipe");
	}
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (want_chld) {
		sa.sa_flags |= SA_NOCLDSTOP;
		sigaction(SIGCHLD, &sa, NULL);
	}
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = 0;
	sigaction(SIGPIPE, &sa, NULL);
}

int
sig_fd(void)
{
	return selfpipe[0];
}

void
sig_drain(void)
{
	char buf[64];

	if (selfpipe[0] == -1)
		return;
	while (read(selfpipe[0], buf, sizeof(buf)) > 0)
		;
}

static int notified_fd = -1;

/*
 * Readiness: one newline on fd.  The fd stays open: ready_ping() writes a
 * newline on it from then on (svc_tick, every heartbeat interval), the
 * proof of life the supervisor's watchdog reads.  s6 reads only the first.
 */
int
ready_notify(int fd)
{
	ssize_t n;

	if (fd < 0)
		return 0;
	do
		n = write(fd, "\n", 1);
	while (n == -1 && errno == EINTR);
	if (n != 1) {
		log_warn("readiness notification on fd %d", fd);
		close(fd);
		return -1;
	}
	notified_fd = fd;
	return 0;
}

void
ready_ping(void)
{
	ssize_t n;

	if (notified_fd < 0)
		return;
	do
		n = write(notified_fd, "\n", 1);
	while (n == -1 && errno == EINTR);
	if (n != 1) {
		/* The reader is gone (s6 closes after the first line). */
		close(notified_fd);
		notified_fd = -1;
	}
}

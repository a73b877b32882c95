/* sig: see sig.h. */
#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sig.h"

volatile sig_atomic_t sig_term;
volatile sig_atomic_t sig_hup;
volatile sig_atomic_t sig_chld;

static int selfpipe[2] = { -1, -1 };

static int stop_cap_ms;			/* 0: no cap */
static volatile sig_atomic_t cap_armed;
static char cap_head[320];		/* "prog: warning: stop: ...: " */
static size_t cap_headlen;
static char note[2][200];		/* what is in flight: two buffers, */
static volatile sig_atomic_t note_cur = -1;	/* the handler reads one */

static void
arm_cap(void)
{
	struct itimerval it;

	if (stop_cap_ms <= 0 || cap_armed)
		return;
	cap_armed = 1;
	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = stop_cap_ms / 1000;
	it.it_value.tv_usec = (stop_cap_ms % 1000) * 1000;
	setitimer(ITIMER_REAL, &it, NULL);
}

/* SIGALRM, stop_cap_ms after the first SIGTERM: only signal-safe calls. */
static void
cap_handler(int sig)
{
	static const char none[] = "nothing known in flight";
	int cur = note_cur;

	(void)sig;
	(void)!write(STDERR_FILENO, cap_head, cap_headlen);
	if (cur >= 0)
		(void)!write(STDERR_FILENO, note[cur], strlen(note[cur]));
	else
		(void)!write(STDERR_FILENO, none, sizeof(none) - 1);
	(void)!write(STDERR_FILENO, "\n", 1);
	_exit(EX_TEMP);
}

void
sig_stop_cap(int ms)
{
	struct sigaction sa;

	stop_cap_ms = ms;
	if (ms <= 0)
		return;
	snprintf(cap_head, sizeof(cap_head), "%s: warning: stop: still "
	    "running %d ms after SIGTERM, exiting without finishing "
	    "(the broker aborts an unfinished transaction; the next start "
	    "resumes from the last commit): ", log_prog(), ms);
	cap_headlen = strlen(cap_head);
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = cap_handler;
	sigaction(SIGALRM, &sa, NULL);
	if (sig_term)
		arm_cap();
}

void
sig_inflight(const char *fmt, ...)
{
	va_list ap;
	int next;

	if (fmt == NULL) {
		note_cur = -1;
		return;
	}
	next = note_cur == 0 ? 1 : 0;
	va_start(ap, fmt);
	vsnprintf(note[next], sizeof(note[next]), fmt, ap);
	va_end(ap);
	note_cur = next;
}

static void
handler(int sig)
{
	int e = errno;

	switch (sig) {
	case SIGTERM:
	case SIGINT:
		sig_term = 1;
		arm_cap();
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
static int notified_reg;	/* a regular file: keep it one byte long */

/*
 * Readiness: one newline on fd.  The fd stays open: ready_ping() writes a
 * newline on it from then on (svc_tick, every heartbeat interval), the
 * proof of life the supervisor's watchdog reads.  s6 reads only the first.
 */
int
ready_notify(int fd)
{
	struct stat st;
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
	notified_reg = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	return 0;
}

void
ready_ping(void)
{
	ssize_t n;

	if (notified_fd < 0)
		return;
	/* A file (a probe reads its time) gets its newline written again
	 * in place: it stays one byte long, not one byte per heartbeat
	 * (opened to append, the write lands at the end: cut back to one;
	 * never to none, which a reader between the two would see). */
	do
		n = notified_reg ? pwrite(notified_fd, "\n", 1, 0) :
		    write(notified_fd, "\n", 1);
	while (n == -1 && errno == EINTR);
	if (n == 1 && notified_reg)
		(void)!ftruncate(notified_fd, 1);
	if (n != 1) {
		/* The reader is gone (s6 closes after the first line). */
		close(notified_fd);
		notified_fd = -1;
	}
}

/*
 * sig: signal flags and readiness notification.
 *
 * Handlers only set flags and write a byte to a self-pipe, so a poll(2) loop
 * can include sig_fd() and wake up at once.
 */
#ifndef SIG_H
#define SIG_H

#include <signal.h>

extern volatile sig_atomic_t sig_term;	/* SIGTERM or SIGINT seen */
extern volatile sig_atomic_t sig_hup;	/* SIGHUP seen */
extern volatile sig_atomic_t sig_chld;	/* SIGCHLD seen (if asked for) */

void	sig_setup(int);		/* nonzero: also catch SIGCHLD */
int	sig_fd(void);		/* readable when a signal arrived */

/*
 * The stop's upper bound: once SIGTERM (or SIGINT) has come, a process
 * still running ms later writes what it was doing (the last sig_inflight
 * note) to stderr and _exits 111, as a SIGKILL would end it, only said.
 * Every service and tool (not the supervisor) gets SIG_STOP_MS from app.c:
 * a broker that went away can hold a librdkafka call (a transaction's
 * commit) far longer, and a grace period of 5 s is common.  What was in
 * flight is no worse off than after a crash: an unfinished transaction is
 * aborted by the broker and the next start resumes from the last commit.
 */
#define SIG_STOP_MS	4000
void	sig_stop_cap(int);	/* ms; 0: none */
void	sig_inflight(const char *, ...)	/* a note for that line; NULL: none */
	    __attribute__((format(printf, 1, 2)));
void	sig_drain(void);	/* empty the self-pipe */

/*
 * Readiness (s6 style): write "\n" to fd; -1 does nothing.  The fd stays
 * open and ready_ping() writes a newline on it again: a proof of life for
 * the supervisor's watchdog (svc_tick calls it every heartbeat interval).
 */
int	ready_notify(int);
void	ready_ping(void);

#endif

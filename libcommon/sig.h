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
void	sig_drain(void);	/* empty the self-pipe */

/*
 * Readiness (s6 style): write "\n" to fd; -1 does nothing.  The fd stays
 * open and ready_ping() writes a newline on it again: a proof of life for
 * the supervisor's watchdog (svc_tick calls it every heartbeat interval).
 */
int	ready_notify(int);
void	ready_ping(void);

#endif

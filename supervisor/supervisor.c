/*
 * supervisor: fork, monitor and restart the services of a runfile.
 * See supervisor(8) and runfile(5).
 *
 * One process, one poll(2) loop.  Each service is a process group (the
 * child calls setsid) whose leader is the supervisor's child.  The loop
 * wakes on a signal (self-pipe), a service's notify fd (readiness and
 * watchdog heartbeats), a log = prefix pipe, the control socket, or the
 * nearest deadline (backoff end, SIGKILL after stop_timeout, watchdog).
 */
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "app.h"
#include "cfg.h"
#include "log.h"
#include "metrics.h"
#include "runfile.h"
#include "sig.h"
#include "stfile.h"

enum state {
	S_DOWN, S_STARTING, S_UP, S_STOPPING, S_BACKOFF, S_FINISHED, S_FAILED
};

static const char *statenames[] = {
	"down", "starting", "up", "stopping", "backoff", "finished", "failed"
};

#define SF_REMOVE	0x01	/* gone from the runfile: forget once stopped */
#define SF_FAILED	0x02	/* killed by the watchdog: a failure */
#define SF_KILLED	0x04	/* SIGKILL sent */

#define LBUFSZ		1024	/* log = prefix: longest line */
#define NCLIENTS	8
#define ORPHAN_WAIT	5000	/* ms for leftover processes at exit */
#define METRICS_EVERY	1000	/* ms between rewrites of the metrics file */

struct service {
	TAILQ_ENTRY(service) entry;
	struct rf_svc	*def;
	enum state	 state;
	int		 want;		/* should be running */
	int		 flags;
	int		 ready;		/* has been up and ready */
	pid_t		 pid;
	int		 nfd;		/* notify pipe, read end, or -1 */
	int		 lfd[2];	/* log = prefix pipe, or -1 */
	char		*lbuf;
	size_t		 llen;
	long long	 started;	/* ms, CLOCK_MONOTONIC */
	long long	 deadline;	/* end of backoff, or SIGKILL time */
	long long	 beat;		/* last heartbeat */
	unsigned	 starts;
	unsigned	 attempt;	/* deaths since the last stable run */
	long long	*deaths;	/* ring of the last crash_limit deaths */
	size_t		 ndeaths;
	size_t		 dcap;
	int		 status;	/* last wait status, -1: none */
};
TAILQ_HEAD(servicelist, service);

struct client {
	int	 fd;
	size_t	 len;
	char	 buf[256];
};

static struct servicelist	 svcs = TAILQ_HEAD_INITIALIZER(svcs);
static struct app	 app;
static const char	*runpath;
static const char	*rundir;
static const char	*ctlcmd;
static int		 statusmode;
static int		 shutting;
static int		 exitcode;
static int		 allready;
static int		 devnull = -1;
static int		 lsock = -1;
static char		 sockpath[sizeof(((struct sockaddr_un *)0)->sun_path)];
static struct client	 clients[NCLIENTS];
static char		 mpath[METRICS_PATHMAX];	/* "": no metrics */
static long long	 mnext;
static uint64_t		 started_ms;

static int	 opt(struct app *, int, const char *);
static void	 fmt_status(int, char *, size_t);
static struct service *sv_find(const char *);
static void	 sv_remove(struct service *);
static int	 deps_ok(const struct service *);
static int	 stopping_dependant(const struct service *);
static void	 sv_signal(const struct service *, int);
static pid_t	 sv_fork(const struct service *, int, char **);
static int	 sv_spawn(struct service *, long long);
static char	**mkenv(char **);
static void	 child(const struct service *, int, char **)
		    __attribute__((noreturn));
static void	 sv_stop(struct service *, long long);
static void	 sv_fail(struct service *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	 crash_loop(struct service *, long long);
static long long backoff(const struct rf_svc *, unsigned);
static void	 sv_exited(struct service *, int, long long);
static void	 sv_died(struct service *, int, const char *, long long);
static void	 sv_notify(struct service *, long long);
static void	 sv_log(struct service *);
static void	 reap(long long);
static void	 schedule(long long);
static int	 next_timeout(long long);
static void	 adopt(struct runfile *, int);
static void	 reload(void);
static void	 shutdown_begin(int);
static void	 check_ready(void);
static void	 ctl_listen(void);
static void	 ctl_accept(void);
static void	 ctl_read(struct client *, long long);
static void	 ctl_do(int, char *, long long);
static int	 status_judge(const char *);
static int	 ctl_client(const char *);
static void	 reap_orphans(void);
static void	 loop(void);
static int	 ctl_main(void);
static int	 check_runfile(struct runfile *);
static void	 setup(void);
static void	 teardown(void);
static void	 metrics_open(void);
static void	 metrics_write(long long);

static int
opt(struct app *a, int ch, const char *arg)
{
	(void)a;
	switch (ch) {
	case 'r':
		rundir = arg;
		return 0;
	case 's':
		statusmode = 1;
		return 0;
	case 'c':
		ctlcmd = arg;
		return 0;
	}
	return -1;
}


static void
fmt_status(int st, char *buf, size_t len)
{
	if (st == -1)
		snprintf(buf, len, "-");
	else if (WIFEXITED(st))
		snprintf(buf, len, "exit:%d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "signal:%s", rf_signame(WTERMSIG(st)));
	else
		snprintf(buf, len, "status:%d", st);
}

static struct service *
sv_find(const char *name)
{
	struct service *s;

	TAILQ_FOREACH(s, &svcs, entry)
		if (strcmp(s->def->name, name) == 0)
			return s;
	return NULL;
}

static void
sv_remove(struct service *s)
{
	TAILQ_REMOVE(&svcs, s, entry);
	if (s->nfd != -1)
		close(s->nfd);
	if (s->lfd[0] != -1) {
		close(s->lfd[0]);
		close(s->lfd[1]);
	}
	free(s->lbuf);
	free(s->deaths);
	rf_svc_free(s->def);
	free(s);
}

/* Every "after" service is up and ready, or finished with exit 0. */
static int
deps_ok(const struct service *s)
{
	const struct service *d;
	size_t i;

	for (i = 0; i < s->def->nafter; i++) {
		d = sv_find(s->def->after[i]);
		if (d == NULL || (d->state != S_UP && d->state != S_FINISHED))
			return 0;
	}
	return 1;
}

/* A running service, also being stopped, that runs after s: it goes
 * first (stops are in reverse start order). */
static int
stopping_dependant(const struct service *s)
{
	const struct service *t;
	size_t i;

	TAILQ_FOREACH(t, &svcs, entry) {
		if (t->pid == 0 || t->want)
			continue;
		for (i = 0; i < t->def->nafter; i++)
			if (strcmp(t->def->after[i], s->def->name) == 0)
				return 1;
	}
	return 0;
}

/* To the process group; to the process if it has not made it yet. */
static void
sv_signal(const struct service *s, int sig)
{
	if (kill(-s->pid, sig) == -1 && errno == ESRCH)
		(void)kill(s->pid, sig);
}

/* The environment with env's NAME=value words added or replacing. */
static char **
mkenv(char **add)
{
	char **e;
	size_t n, m, i, j, k = 0;

	for (n = 0; environ[n] != NULL; n++)
		;
	for (m = 0; add[m] != NULL; m++)
		;
	if ((e = calloc(n + m + 1, sizeof(*e))) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		for (j = 0; j < m; j++)
			if (strncmp(environ[i], add[j],
			    strcspn(add[j], "=") + 1) == 0)
				break;
		if (j == m)
			e[k++] = environ[i];
	}
	for (j = 0; j < m; j++)
		e[k++] = add[j];
	return e;
}

/*
 * In the child, between fork (or vfork: then no malloc, no change to
 * memory, only system calls on our own process) and exec.
 */
static void
child(const struct service *s, int nw, char **envp)
{
	const struct rf_svc *d = s->def;
	struct sigaction sa;
	struct passwd *pw;
	sigset_t none;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &sa, NULL);
	setsid();
	if (devnull != -1)
		dup2(devnull, 0);
	if (s->lfd[1] != -1) {
		dup2(s->lfd[1], 1);
		dup2(s->lfd[1], 2);
	}
	if (nw != -1) {
		if (nw == d->readyfd)
			fcntl(nw, F_SETFD, 0);
		else if (dup2(nw, d->readyfd) == -1) {
			log_warn("%s: dup2", d->name);
			_exit(EX_TEMP);
		}
	}
	if (d->cwd != NULL && chdir(d->cwd) == -1) {
		log_warn("%s: unable to chdir to %s", d->name, d->cwd);
		_exit(EX_TEMP);
	}
	if (d->user != NULL) {	/* fork, not vfork: getpwnam may malloc */
		if ((pw = getpwnam(d->user)) == NULL) {
			log_warnx("%s: unknown user %s", d->name, d->user);
			_exit(EX_PERM);
		}
		if ((pw->pw_uid != geteuid() || pw->pw_gid != getegid()) &&
		    (initgroups(pw->pw_name, pw->pw_gid) == -1 ||
		    setgid(pw->pw_gid) == -1 || setuid(pw->pw_uid) == -1)) {
			log_warn("%s: unable to become %s", d->name, d->user);
			_exit(EX_TEMP);
		}
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execvpe(d->argv[0], d->argv, envp);
	log_warn("%s: unable to run %s", d->name, d->argv[0]);
	/* No such program, or not one that runs: no restart mends that
	 * (exit 100, as a service's own configuration error). */
	_exit(errno == ENOENT || errno == EACCES || errno == ENOEXEC ||
	    errno == ENOTDIR || errno == ELOOP ? EX_PERM : EX_TEMP);
}

static pid_t
sv_fork(const struct service *s, int nw, char **envp)
{
	pid_t pid;

	if ((pid = s->def->user != NULL ? fork() : vfork()) == 0)
		child(s, nw, envp);
	return pid;
}

/* Start s; the caller logs it (after: a restart comes before talk). */
static int
sv_spawn(struct service *s, long long now)
{
	struct rf_svc *d = s->def;
	sigset_t all, old;
	char **envp;
	int np[2] = { -1, -1 };
	pid_t pid;

	if (d->readyfd >= 0 && pipe2(np, O_CLOEXEC) == -1)
		goto fail;
	if (d->log == RF_LOG_PREFIX && s->lfd[0] == -1) {
		if (pipe2(s->lfd, O_CLOEXEC) == -1)
			goto fail;
		fcntl(s->lfd[0], F_SETFL, O_NONBLOCK);
		if ((s->lbuf = malloc(LBUFSZ)) == NULL)
			abort();
		s->llen = 0;
	} else if (d->log != RF_LOG_PREFIX && s->lfd[0] != -1) {
		close(s->lfd[0]);
		close(s->lfd[1]);
		s->lfd[0] = s->lfd[1] = -1;
		free(s->lbuf);
		s->lbuf = NULL;
	}
	envp = d->env != NULL ? mkenv(d->env) : environ;
	/*
	 * vfork: the child runs at once, on our time slice, and we wait
	 * for its exec; that is most of a fast restart on a busy machine.
	 * Signals wait until the child has reset their handlers.
	 */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = sv_fork(s, np[1], envp);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (envp != environ)
		free(envp);
	if (pid == -1)
		goto fail;
	if (np[1] != -1) {
		close(np[1]);
		fcntl(np[0], F_SETFL, O_NONBLOCK);
	}
	s->nfd = np[0];
	s->pid = pid;
	s->starts++;
	s->started = s->beat = now;
	s->flags &= ~(SF_FAILED | SF_KILLED);
	if (d->readyfd >= 0)
		s->state = S_STARTING;
	else {
		s->state = S_UP;
		s->ready = 1;
	}
	return 0;
fail:
	log_warn("%s: unable to start", d->name);
	if (np[0] != -1) {
		close(np[0]);
		close(np[1]);
	}
	s->state = S_BACKOFF;
	s->deadline = now + 1000;
	return -1;
}

static void
sv_stop(struct service *s, long long now)
{
	log_info("%s: stopping pid %d with SIG%s", s->def->name, (int)s->pid,
	    rf_signame(s->def->stop_signal));
	sv_signal(s, s->def->stop_signal);
	sv_signal(s, SIGCONT);
	s->state = S_STOPPING;
	s->deadline = now + s->def->stop_timeout;
}

static void
sv_fail(struct service *s, int code, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->state = S_FAILED;
	log_warnx("%s: failed: %s", s->def->name, msg);
	if (s->def->critical && !shutting) {
		log_warnx("%s is critical: stopping every service",
		    s->def->name);
		shutdown_begin(code);
	}
}

/* Records a death; true when crash_limit of them fell in crash_window. */
static int
crash_loop(struct service *s, long long now)
{
	size_t lim = (size_t)s->def->crash_limit;

	if (lim == 0)
		return 0;
	if (s->dcap != lim) {
		free(s->deaths);
		if ((s->deaths = calloc(lim, sizeof(*s->deaths))) == NULL)
			abort();
		s->dcap = lim;
		s->ndeaths = 0;
	}
	s->deaths[s->ndeaths++ % lim] = now;
	return s->ndeaths >= lim &&
	    now - s->deaths[s->ndeaths % lim] <= s->def->crash_window;
}

/* The first restart is immediate, then base, 2 base, 4 base... up to the
 * cap, each with jitter: a delay d is drawn from [d/2, d]. */
static long long
backoff(const struct rf_svc *d, unsigned attempt)
{
	long long t = d->backoff_base;
	unsigned i;

	if (attempt == 0)
		return 0;
	for (i = 1; i < attempt && t < d->backoff_max; i++)
		t *= 2;
	if (t > d->backoff_max)
		t = d->backoff_max;
	return t / 2 + (t > 1 ? random() % (t / 2 + 1) : 0);
}

static void
sv_exited(struct service *s, int st, long long now)
{
	const struct rf_svc *d = s->def;
	char how[64];
	int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	pid_t left = 0;

	fmt_status(st, how, sizeof(how));
	s->status = st;
	/* Whatever is left of its process group goes with it. */
	if (kill(-s->pid, SIGKILL) == 0)
		left = s->pid;
	s->pid = 0;
	if (s->nfd != -1) {
		close(s->nfd);
		s->nfd = -1;
	}
	if (s->state == S_STOPPING && !(s->flags & SF_FAILED)) {
		log_info("%s: stopped (%s)", d->name, how);
		s->state = S_DOWN;
		s->flags &= ~SF_KILLED;
	} else
		sv_died(s, code, how, now);
	if (left != 0)
		log_info("%s: killed what was left of process group %d",
		    d->name, (int)left);
}

/* An exit nobody asked for: restart, back off, or give up. */
static void
sv_died(struct service *s, int code, const char *how, long long now)
{
	const struct rf_svc *d = s->def;
	long long delay, up;

	s->flags &= ~(SF_KILLED | SF_FAILED);
	if (now - s->started >= d->stable_after)
		s->attempt = 0;
	if (code == EX_PERM)
		sv_fail(s, EX_PERM, "exit 100: permanent, not restarting");
	else if (d->restart == RF_NEVER ||
	    (d->restart == RF_ONFAILURE && code == 0)) {
		if (code == 0) {
			log_info("%s: finished (exit:0)", d->name);
			s->state = S_FINISHED;
			s->ready = 1;
		} else
			sv_fail(s, EX_TEMP, "%s, not restarting", how);
	} else if (crash_loop(s, now)) {
		char w[32];

		rf_fmt_dur(d->crash_window, w, sizeof(w));
		sv_fail(s, EX_TEMP, "%s; crash loop: %lld deaths within %s",
		    how, d->crash_limit, w);
	} else {
		delay = backoff(d, s->attempt++);
		up = now - s->started;
		s->state = S_BACKOFF;
		s->deadline = now + delay;
		if (delay == 0 && !shutting && s->want && deps_ok(s) &&
		    sv_spawn(s, now) == 0)
			log_warnx("%s: died (%s) after %lld ms; restart in 0 ms: "
			    "pid %d", d->name, how, up, (int)s->pid);
		else
			log_warnx("%s: died (%s) after %lld ms; restart in %lld "
			    "ms", d->name, how, up, delay);
	}
}

/* A newline on the notify fd: readiness first, heartbeats after. */
static void
sv_notify(struct service *s, long long now)
{
	char buf[256];
	ssize_t n;

	n = read(s->nfd, buf, sizeof(buf));
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		close(s->nfd);
		s->nfd = -1;
		if (s->state == S_STARTING)
			log_warnx("%s: closed fd %d before it was ready",
			    s->def->name, s->def->readyfd);
		else if (s->def->watchdog > 0 && s->state != S_STOPPING)
			log_warnx("%s: closed its notify fd: the watchdog "
			    "will fire", s->def->name);
		return;
	}
	if (memchr(buf, '\n', (size_t)n) == NULL)
		return;
	s->beat = now;
	if (s->state == S_STARTING) {
		s->state = S_UP;
		s->ready = 1;
		/* Ready, it started well: a death from now on is not a
		 * start failing, and is restarted at once, as after
		 * stable_after (a service killed again and again would
		 * otherwise wait up to backoff_max each time, although
		 * every start of it worked).  Dying over and over after
		 * readiness is a crash loop: crash_limit. */
		s->attempt = 0;
		log_info("%s: ready", s->def->name);
	}
}

/*
 * log = prefix: each line the service writes, as "name: line".  A line
 * that names its program already ("prog: level: ...", as every binary of
 * ours writes) is not named twice: it keeps its own name when that is the
 * service's, and the service's replaces it when the service is
 * "something.prog" (alice.observer: info: ...).
 */
static void
sv_log(struct service *s)
{
	struct iovec iov[4];
	const char *name = s->def->name, *tail;
	ssize_t n;
	size_t len, skip, nlen = strlen(name), tlen;
	char *nl;

	tail = strrchr(name, '.') != NULL ? strrchr(name, '.') + 1 : name;
	tlen = strlen(tail);

	n = read(s->lfd[0], s->lbuf + s->llen, LBUFSZ - s->llen);
	if (n <= 0)
		return;
	s->llen += (size_t)n;
	for (;;) {
		nl = memchr(s->lbuf, '\n', s->llen);
		if (nl == NULL && s->llen < LBUFSZ)
			break;
		len = nl != NULL ? (size_t)(nl - s->lbuf) : s->llen;
		skip = 0;
		if (tlen > 0 && len > tlen + 1 &&
		    memcmp(s->lbuf, tail, tlen) == 0 &&
		    s->lbuf[tlen] == ':' && s->lbuf[tlen + 1] == ' ')
			skip = tlen + 2;
		iov[0].iov_base = (char *)(uintptr_t)name;
		iov[0].iov_len = nlen;
		iov[1].iov_base = (char *)(uintptr_t)": ";
		iov[1].iov_len = 2;
		iov[2].iov_base = s->lbuf + skip;
		iov[2].iov_len = len - skip;
		iov[3].iov_base = (char *)(uintptr_t)"\n";
		iov[3].iov_len = 1;
		(void)!writev(STDERR_FILENO, iov, 4);
		if (nl != NULL)
			len++;
		memmove(s->lbuf, s->lbuf + len, s->llen - len);
		s->llen -= len;
	}
}

static void
reap(long long now)
{
	struct service *s;
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		TAILQ_FOREACH(s, &svcs, entry)
			if (s->pid == pid)
				break;
		if (s != NULL)
			sv_exited(s, st, now);
		else
			log_debug("reaped orphan %d", (int)pid);
	}
}

/* Start what may start, stop what must stop, fire due deadlines. */
static void
schedule(long long now)
{
	struct service *s, *t;
	int changed;

	do {
		changed = 0;
		for (s = TAILQ_FIRST(&svcs); s != NULL; s = t) {
			t = TAILQ_NEXT(s, entry);
			if (s->pid == 0) {
				if (s->state == S_BACKOFF &&
				    (!s->want || now >= s->deadline)) {
					s->state = S_DOWN;
					changed = 1;
				}
				if (!s->want && (s->flags & SF_REMOVE)) {
					log_info("%s: removed", s->def->name);
					sv_remove(s);
					changed = 1;
				} else if (s->want && !shutting &&
				    s->state == S_DOWN && deps_ok(s)) {
					if (sv_spawn(s, now) == 0)
						log_info("%s: started, pid %d",
						    s->def->name, (int)s->pid);
					changed = 1;
				}
			} else if (s->state == S_STOPPING) {
				if (!(s->flags & SF_KILLED) &&
				    now >= s->deadline) {
					log_warnx("%s: pid %d still there after "
					    "stop_timeout: SIGKILL",
					    s->def->name, (int)s->pid);
					sv_signal(s, SIGKILL);
					s->flags |= SF_KILLED;
				}
			} else if (!s->want) {
				if (!stopping_dependant(s)) {
					sv_stop(s, now);
					changed = 1;
				}
			} else if (s->def->watchdog > 0 &&
			    now - s->beat >= s->def->watchdog) {
				log_warnx("%s: watchdog: no heartbeat for "
				    "%lld ms: killing pid %d", s->def->name,
				    now - s->beat, (int)s->pid);
				sv_stop(s, now);
				s->flags |= SF_FAILED;
				changed = 1;
			}
		}
	} while (changed);
}

/* Milliseconds until the nearest deadline, -1 for none. */
static int
next_timeout(long long now)
{
	const struct service *s;
	long long t = LLONG_MAX;

	TAILQ_FOREACH(s, &svcs, entry) {
		if (s->pid == 0 && s->state == S_BACKOFF && s->want)
			t = s->deadline < t ? s->deadline : t;
		else if (s->state == S_STOPPING && !(s->flags & SF_KILLED))
			t = s->deadline < t ? s->deadline : t;
		else if (s->pid != 0 && s->state != S_STOPPING &&
		    s->def->watchdog > 0 && s->beat + s->def->watchdog < t)
			t = s->beat + s->def->watchdog;
	}
	if (t == LLONG_MAX)
		return -1;
	if (t <= now)
		return 0;
	return t - now > INT_MAX ? INT_MAX : (int)(t - now);
}

/*
 * Take a (new) runfile: added services start, removed ones stop, changed
 * ones (another process: see rf_same_exec) restart, untouched ones keep
 * running under their new policy settings.
 */
static void
adopt(struct runfile *rf, int initial)
{
	struct servicelist order = TAILQ_HEAD_INITIALIZER(order);
	struct rf_svc *d;
	struct service *s;
	size_t i;

	for (i = 0; i < rf->nsvc; i++) {
		d = rf->svc[i];
		rf->svc[i] = NULL;
		if ((s = sv_find(d->name)) == NULL) {
			if ((s = calloc(1, sizeof(*s))) == NULL)
				abort();
			s->nfd = s->lfd[0] = s->lfd[1] = -1;
			s->status = -1;
			s->want = 1;
			s->def = d;
			if (!initial)
				log_info("%s: added", d->name);
		} else {
			TAILQ_REMOVE(&svcs, s, entry);
			if ((s->flags & SF_REMOVE) ||
			    !rf_same_exec(s->def, d)) {
				log_info("%s: changed", d->name);
				if (s->pid != 0 && s->state != S_STOPPING)
					sv_stop(s, (long long)clock_mono_ms());
				else if (s->pid == 0)
					s->state = S_DOWN;
				s->flags &= ~(SF_REMOVE | SF_FAILED);
				s->want = 1;
				s->attempt = 0;
				s->ndeaths = 0;
			}
			rf_svc_free(s->def);
			s->def = d;
		}
		TAILQ_INSERT_TAIL(&order, s, entry);
	}
	while ((s = TAILQ_FIRST(&svcs)) != NULL) {
		TAILQ_REMOVE(&svcs, s, entry);
		if (!(s->flags & SF_REMOVE))
			log_info("%s: no longer in %s", s->def->name, runpath);
		s->want = 0;
		s->flags |= SF_REMOVE;
		TAILQ_INSERT_TAIL(&order, s, entry);
	}
	TAILQ_CONCAT(&svcs, &order, entry);
	rf_free(rf);
}

static void
reload(void)
{
	struct runfile *rf;
	char err[2048];

	if ((rf = rf_load(runpath, err, sizeof(err))) == NULL) {
		log_warnx("reload: %s; keeping the previous runfile", err);
		return;
	}
	log_info("reloading %s", runpath);
	adopt(rf, 0);
}

static void
shutdown_begin(int code)
{
	struct service *s;

	shutting = 1;
	exitcode = code;
	TAILQ_FOREACH(s, &svcs, entry)
		s->want = 0;
}

/* Our own readiness, once every wanted service has been ready. */
static void
check_ready(void)
{
	const struct service *s;

	if (allready || shutting)
		return;
	TAILQ_FOREACH(s, &svcs, entry)
		if (s->want && !s->ready)
			return;
	allready = 1;
	log_info("all services ready");
	ready_notify(app.readyfd);
	app.readyfd = -1;
}

static void
ctl_listen(void)
{
	struct sockaddr_un sun;
	int fd;

	if (mkdir(rundir, 0755) == -1 && errno != EEXIST) {
		log_warn("mkdir %s: no control socket", rundir);
		return;
	}
	if ((size_t)snprintf(sockpath, sizeof(sockpath), "%s/supervisor.sock",
	    rundir) >= sizeof(sockpath))
		fatalx(EX_PERM, "%s: run directory path too long", rundir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, sockpath, sizeof(sun.sun_path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fatal(EX_TEMP, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		fatalx(EX_TEMP, "%s: another supervisor is running there",
		    sockpath);
	close(fd);
	(void)unlink(sockpath);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		fatal(EX_TEMP, "socket");
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(sockpath, 0600) == -1 || listen(fd, NCLIENTS) == -1) {
		log_warn("%s: no control socket", sockpath);
		close(fd);
		sockpath[0] = '\0';
		return;
	}
	lsock = fd;
}

static void
ctl_accept(void)
{
	struct timeval tv = { 1, 0 };
	int fd, i;

	if ((fd = accept4(lsock, NULL, NULL, SOCK_CLOEXEC)) == -1)
		return;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	for (i = 0; i < NCLIENTS && clients[i].fd != -1; i++)
		;
	if (i == NCLIENTS) {	/* full: the oldest goes */
		close(clients[0].fd);
		i = 0;
	}
	clients[i].fd = fd;
	clients[i].len = 0;
}

static void
ctl_read(struct client *c, long long now)
{
	ssize_t n;
	char *nl;

	n = read(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
	if (n > 0) {
		c->len += (size_t)n;
		c->buf[c->len] = '\0';
		if ((nl = strchr(c->buf, '\n')) == NULL &&
		    c->len < sizeof(c->buf) - 1)
			return;
		if (nl != NULL) {
			*nl = '\0';
			ctl_do(c->fd, c->buf, now);
		}
	} else if (n == -1 && errno == EINTR)
		return;
	close(c->fd);
	c->fd = -1;
}

/* One request: "status", or "start|stop|restart NAME". */
static void
ctl_do(int fd, char *req, long long now)
{
	struct service *s;
	char last[64], up[32], pid[16], *name;
	FILE *fp;
	int cfd;

	if ((cfd = dup(fd)) == -1 || (fp = fdopen(cfd, "w")) == NULL) {
		if (cfd != -1)
			close(cfd);
		return;
	}
	if (strcmp(req, "status") == 0) {
		fprintf(fp, "%-16s %-9s %8s %9s %8s %s\n", "service", "state",
		    "pid", "uptime", "restarts", "last");
		TAILQ_FOREACH(s, &svcs, entry) {
			fmt_status(s->status, last, sizeof(last));
			snprintf(pid, sizeof(pid), "%d", (int)s->pid);
			snprintf(up, sizeof(up), "%llds",
			    (now - s->started) / 1000);
			fprintf(fp, "%-16s %-9s %8s %9s %8u %s\n",
			    s->def->name, statenames[s->state],
			    s->pid ? pid : "-", s->pid ? up : "-",
			    s->starts ? s->starts - 1 : 0, last);
		}
		fclose(fp);
		return;
	}
	if ((name = strchr(req, ' ')) != NULL)
		*name++ = '\0';
	if (name == NULL || (s = sv_find(name)) == NULL ||
	    (s->flags & SF_REMOVE))
		fprintf(fp, "error: no service %s\n", name ? name : "named");
	else if (shutting)
		fprintf(fp, "error: shutting down\n");
	else if (strcmp(req, "stop") == 0) {
		log_info("%s: stop requested", name);
		s->want = 0;
		if (s->pid == 0)
			s->state = S_DOWN;
		fprintf(fp, "ok\n");
	} else if (strcmp(req, "start") == 0 || strcmp(req, "restart") == 0) {
		log_info("%s: %s requested", name, req);
		s->want = 1;
		s->flags &= ~SF_FAILED;
		s->attempt = 0;
		s->ndeaths = 0;
		if (s->pid == 0)
			s->state = S_DOWN;
		else if (strcmp(req, "restart") == 0 &&
		    s->state != S_STOPPING)
			sv_stop(s, now);
		fprintf(fp, "ok\n");
	} else
		fprintf(fp, "error: bad request: %s\n", req);
	fclose(fp);
}

/*
 * -s: 0 when every service is up (or a one-shot finished), 1 when one is
 * not, 3 when no supervisor answers (stfile.h's codes).
 */
static int
status_judge(const char *buf)
{
	const char *p = buf, *nl;
	char name[128], state[16];
	int rc = 0, first = 1;

	for (; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		if (first) {		/* the header */
			first = 0;
			continue;
		}
		if (sscanf(p, "%127s %15s", name, state) != 2 ||
		    (strcmp(state, "up") != 0 && strcmp(state, "finished") != 0))
			rc = ST_UNHEALTHY;
	}
	return first ? ST_UNHEALTHY : rc;
}

static int
ctl_client(const char *req)
{
	struct sockaddr_un sun;
	char buf[65536];
	size_t len = 0;
	ssize_t n;
	int fd;

	if ((size_t)snprintf(sockpath, sizeof(sockpath), "%s/supervisor.sock",
	    rundir) >= sizeof(sockpath))
		fatalx(EX_PERM, "%s: run directory path too long", rundir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, sockpath, sizeof(sun.sun_path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fatal(EX_TEMP, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (statusmode && (errno == ENOENT || errno == ECONNREFUSED)) {
			log_warn("not running: unable to connect to %s",
			    sockpath);
			exit(ST_DOWN);
		}
		fatal(EX_TEMP, "unable to connect to %s", sockpath);
	}
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req))
		fatal(EX_TEMP, "write to %s", sockpath);
	for (;;) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (statusmode)
			(void)!fwrite(buf + len, 1, (size_t)n, stdout);
		if ((len += (size_t)n) == sizeof(buf) - 1)
			break;
	}
	close(fd);
	buf[len] = '\0';
	if (statusmode)
		return fflush(stdout) != 0 ? EX_TEMP : len == 0 ? ST_DOWN :
		    status_judge(buf);
	buf[strcspn(buf, "\n")] = '\0';
	if (strcmp(buf, "ok") == 0)
		return 0;
	if (len == 0)
		fatalx(EX_TEMP, "%s: no reply", sockpath);
	log_warnx("%s", strncmp(buf, "error: ", 7) == 0 ? buf + 7 : buf);
	return EX_PERM;
}

/*
 * After every service stopped: processes that left their group (and were
 * reparented to us, the subreaper or PID 1) get SIGTERM, then SIGKILL.
 */
static void
reap_orphans(void)
{
	struct pollfd pfd;
	char path[64], buf[4096], *p, *e;
	long long end = (long long)clock_mono_ms() + ORPHAN_WAIT;
	int round, fd, n, st;
	long pid;

	for (round = 0; round < 10; round++) {
		while (waitpid(-1, &st, WNOHANG) > 0)
			;
		snprintf(path, sizeof(path), "/proc/self/task/%d/children",
		    (int)getpid());
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			return;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			return;
		buf[n] = '\0';
		log_info("stopping leftover processes: %s%s",
		    round == 0 ? "SIGTERM " : "SIGKILL ", buf);
		for (p = buf; (pid = strtol(p, &e, 10)) > 0; p = e) {
			(void)kill((pid_t)pid, round == 0 ? SIGTERM : SIGKILL);
			(void)kill((pid_t)pid, SIGCONT);
		}
		pfd.fd = sig_fd();
		pfd.events = POLLIN;
		while (waitpid(-1, &st, WNOHANG) == 0) {
			if (round > 0 || (long long)clock_mono_ms() >= end)
				break;
			(void)poll(&pfd, 1, (int)(end - (long long)clock_mono_ms()));
			sig_drain();
		}
		if (round > 0)
			while (waitpid(-1, &st, 0) > 0)
				;
	}
}

static void
loop(void)
{
	enum { W_SIG, W_LISTEN, W_CLIENT, W_NOTIFY, W_LOG } *kind = NULL;
	struct pollfd *pfd = NULL;
	void **who = NULL;
	struct service *s;
	size_t cap = 0, n, i, nsvc;
	long long now;
	int c;

	for (;;) {
		now = (long long)clock_mono_ms();
		if (sig_term && !shutting) {
			log_info("stopping every service");
			shutdown_begin(0);
		}
		if (sig_hup) {
			sig_hup = 0;
			if (!shutting)
				reload();
		}
		sig_chld = 0;
		reap(now);
		schedule(now);
		metrics_write(now);
		nsvc = 0;
		TAILQ_FOREACH(s, &svcs, entry)
			nsvc += s->pid != 0;
		if (shutting && nsvc == 0)
			break;
		check_ready();

		n = 0;
		TAILQ_FOREACH(s, &svcs, entry)
			n++;
		if (cap < 2 * n + 2 + NCLIENTS) {
			cap = 2 * n + 2 + NCLIENTS;
			pfd = realloc(pfd, cap * sizeof(*pfd));
			who = realloc(who, cap * sizeof(*who));
			kind = realloc(kind, cap * sizeof(*kind));
			if (pfd == NULL || who == NULL || kind == NULL)
				abort();
		}
		n = 0;
		pfd[n].fd = sig_fd();
		kind[n++] = W_SIG;
		if (lsock != -1) {
			pfd[n].fd = lsock;
			kind[n++] = W_LISTEN;
		}
		for (c = 0; c < NCLIENTS; c++)
			if (clients[c].fd != -1) {
				pfd[n].fd = clients[c].fd;
				who[n] = &clients[c];
				kind[n++] = W_CLIENT;
			}
		TAILQ_FOREACH(s, &svcs, entry) {
			if (s->nfd != -1) {
				pfd[n].fd = s->nfd;
				who[n] = s;
				kind[n++] = W_NOTIFY;
			}
			if (s->lfd[0] != -1) {
				pfd[n].fd = s->lfd[0];
				who[n] = s;
				kind[n++] = W_LOG;
			}
		}
		for (i = 0; i < n; i++) {
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		c = next_timeout(now);
		if (mpath[0] != '\0' && (c < 0 || c > mnext - now))
			c = (int)(mnext - now);
		if (poll(pfd, n, c) == -1 && errno != EINTR)
			fatal(EX_TEMP, "poll");
		now = (long long)clock_mono_ms();
		for (i = 0; i < n; i++) {
			if (pfd[i].revents == 0)
				continue;
			switch (kind[i]) {
			case W_SIG:
				sig_drain();
				break;
			case W_LISTEN:
				ctl_accept();
				break;
			case W_CLIENT:
				ctl_read(who[i], now);
				break;
			case W_NOTIFY:
				if (((struct service *)who[i])->nfd == pfd[i].fd)
					sv_notify(who[i], now);
				break;
			case W_LOG:
				sv_log(who[i]);
				break;
			}
		}
	}
	free(pfd);
	free(who);
	free(kind);
}

/* -s or -c: one request to the running supervisor, its answer, exit. */
static int
ctl_main(void)
{
	char req[256];
	int rc;

	if (statusmode && ctlcmd == NULL && app.argc == 0)
		snprintf(req, sizeof(req), "status\n");
	else if (!statusmode && app.argc == 1 &&
	    (strcmp(ctlcmd, "start") == 0 || strcmp(ctlcmd, "stop") == 0 ||
	    strcmp(ctlcmd, "restart") == 0) &&
	    strlen(app.argv[0]) < 128 && strpbrk(app.argv[0], " \n") == NULL)
		snprintf(req, sizeof(req), "%s %s\n", ctlcmd, app.argv[0]);
	else {
		log_warnx("expected -s, or -c start|stop|restart "
		    "and a service name");
		app_usage();
	}
	rc = ctl_client(req);
	cfg_free(app.cfg);
	return rc;
}

/* -n: the runfile as understood, on stdout. */
/* A file the service could exec: regular and executable. */
static int
exec_ok(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) || access(path, X_OK) == -1) {
		snprintf(err, errlen, "%s: not an executable file", path);
		return -1;
	}
	return 0;
}

/*
 * -n: the command as execvpe(3) in the service will find it: with a slash,
 * a path (under cwd when relative); without, a name looked up in PATH (the
 * service's env, else ours, else execvpe's default).
 */
static int
cmd_check(const struct rf_svc *d, char *err, size_t errlen)
{
	const char *a0 = d->argv[0], *path = NULL, *p, *e;
	char buf[PATH_MAX];
	size_t i, n;

	if (strchr(a0, '/') != NULL) {
		snprintf(buf, sizeof(buf), "%s%s%s", a0[0] != '/' &&
		    d->cwd != NULL ? d->cwd : "", a0[0] != '/' &&
		    d->cwd != NULL ? "/" : "", a0);
		return exec_ok(buf, err, errlen);
	}
	for (i = 0; d->env != NULL && d->env[i] != NULL; i++)
		if (strncmp(d->env[i], "PATH=", 5) == 0)
			path = d->env[i] + 5;
	if (path == NULL && (path = getenv("PATH")) == NULL)
		path = "/bin:/usr/bin";
	for (p = path;; p = e + 1) {
		e = strchr(p, ':');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		/* an empty or relative entry is under cwd, as for exec */
		if ((size_t)snprintf(buf, sizeof(buf), "%s%s%.*s/%s",
		    (n == 0 || p[0] != '/') && d->cwd != NULL ? d->cwd : "",
		    (n == 0 || p[0] != '/') && d->cwd != NULL ? "/" : "",
		    (int)(n > 0 ? n : 1), n > 0 ? p : ".", a0) < sizeof(buf) &&
		    exec_ok(buf, err, errlen) == 0)
			return 0;
		if (e == NULL)
			break;
	}
	snprintf(err, errlen, "%s: not found in PATH (%s)", a0, path);
	return -1;
}

static int
check_runfile(struct runfile *rf)
{
	char err[PATH_MAX + 256];
	size_t i;
	int bad = 0;

	for (i = 0; i < rf->nsvc; i++)
		if (cmd_check(rf->svc[i], err, sizeof(err)) == -1) {
			log_warnx("%s:%d: [%s] command: %s", runpath,
			    rf->svc[i]->kline[K_COMMAND] ?
			    rf->svc[i]->kline[K_COMMAND] : rf->svc[i]->line,
			    rf->svc[i]->name, err);
			bad = 1;
		}
	if (bad) {
		rf_free(rf);
		cfg_free(app.cfg);
		return EX_PERM;
	}
	rf_print(rf, stdout);
	log_info("runfile ok: %s: %zu service%s", runpath, rf->nsvc,
	    rf->nsvc == 1 ? "" : "s");
	rf_free(rf);
	cfg_free(app.cfg);
	return fflush(stdout) == 0 ? 0 : EX_TEMP;
}

/* fds 0-2 open, /dev/null for stdin, reaping, the control socket. */
static void
setup(void)
{
	int i;

	while ((i = open("/dev/null", O_RDWR)) >= 0 && i <= 2)
		;
	if (i > 2)
		close(i);
	if ((devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1)
		fatal(EX_TEMP, "/dev/null");
	if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
		log_warn("PR_SET_CHILD_SUBREAPER");
	for (i = 0; i < NCLIENTS; i++)
		clients[i].fd = -1;
	srandom((unsigned)getpid() ^ (unsigned)(long long)clock_mono_ms());
	ctl_listen();
}

/* Every service has stopped: leftovers, the control socket, memory. */
static void
teardown(void)
{
	struct service *s;
	int i;

	reap_orphans();
	for (i = 0; i < NCLIENTS; i++)
		if (clients[i].fd != -1)
			close(clients[i].fd);
	if (lsock != -1) {
		close(lsock);
		unlink(sockpath);
	}
	metrics_remove(mpath);
	while ((s = TAILQ_FIRST(&svcs)) != NULL)
		sv_remove(s);
	cfg_free(app.cfg);
}

/* [general] metrics_dir, as the services: metrics_dir/NAME.supervisor.prom */
static void
metrics_open(void)
{
	const char *dir = cfg_str(app.cfg, "general", "metrics_dir");

	started_ms = clock_wall_ms();
	if (dir[0] == '\0')
		return;
	if ((size_t)snprintf(mpath, sizeof(mpath), "%s/%s.prom", dir,
	    app_service_id(&app)) >= sizeof(mpath)) {
		log_warnx("metrics_dir too long: no metrics");
		mpath[0] = '\0';
	}
}

/* Per service, labelled child="NAME"; at most every METRICS_EVERY ms. */
static void
metrics_write(long long now)
{
	static const struct {
		const char *name, *type, *help;
	} fam[] = {
		{ "coord_supervisor_state", "gauge", "1 for the service's "
		    "state (label state), 0 for the others." },
		{ "coord_supervisor_ready", "gauge", "1 once the service has "
		    "been up and ready (or finished) since its start." },
		{ "coord_supervisor_restarts_total", "counter", "Restarts of "
		    "the service." },
		{ "coord_supervisor_last_exit_code", "gauge", "The service's "
		    "last exit status, 128 + N for signal N, -1 for none." },
	};
	struct service *s;
	char tmp[METRICS_PATHMAX + 8];
	const char *id = app_service_id(&app);
	size_t k, st;
	FILE *fp;
	double v = 0;

	if (mpath[0] == '\0' || now < mnext)
		return;
	mnext = now + METRICS_EVERY;
	if ((fp = metrics_begin(mpath, tmp, sizeof(tmp))) == NULL)
		return;
	metrics_head(fp, id, started_ms / 1000);
	for (k = 0; k < sizeof(fam) / sizeof(fam[0]); k++) {
		metrics_family(fp, fam[k].name, fam[k].type, fam[k].help);
		TAILQ_FOREACH(s, &svcs, entry) {
			switch (k) {
			case 0:
				for (st = 0; st < sizeof(statenames) /
				    sizeof(statenames[0]); st++)
					metrics_sample2(fp, fam[k].name, id,
					    "child", s->def->name, "state",
					    statenames[st], s->state == st);
				continue;
			case 1: v = s->ready; break;
			case 2: v = s->starts ? s->starts - 1 : 0; break;
			case 3: v = s->status == -1 ? -1 :
				    WIFEXITED(s->status) ?
				    WEXITSTATUS(s->status) :
				    WIFSIGNALED(s->status) ?
				    128 + WTERMSIG(s->status) : -1;
				break;
			}
			metrics_sample(fp, fam[k].name, id, "child",
			    s->def->name, v);
		}
	}
	metrics_end(fp, tmp, mpath);
}

int
main(int argc, char *argv[])
{
	static const struct app_spec spec = {
		.prog = "supervisor",
		.operands = "[-r dir] [-s | -c start|stop|restart name | "
		    "runfile]",
		.opts = "r:sc:",
		.optusage =
		    "  -r dir     run directory, for the control socket "
		    "(default: [general] run_dir)\n"
		    "  -s         print the state of every service and exit: 0 "
		    "all up,\n"
		    "             1 one is not, 3 no supervisor running\n"
		    "  -c cmd     start, stop or restart the service name "
		    "and exit\n"
		    "  runfile    the services to supervise: see runfile(5)\n",
		.opt = opt,
		.want_chld = 1,
		.common = "fnvqdhV",
	};
	struct runfile *rf;
	char err[2048];

	app_init(&app, &spec, argc, argv);
	if (rundir == NULL)
		rundir = cfg_str(app.cfg, "general", "run_dir");
	if (statusmode || ctlcmd != NULL)
		return ctl_main();
	if (app.argc != 1) {
		log_warnx("expected one runfile");
		app_usage();
	}
	runpath = app.argv[0];
	if ((rf = rf_load(runpath, err, sizeof(err))) == NULL)
		fatalx(EX_PERM, "%s", err);
	if (app.check)
		return check_runfile(rf);

	setup();
	metrics_open();
	log_info("supervising %zu services from %s", rf->nsvc, runpath);
	adopt(rf, 1);

	loop();

	teardown();
	log_info("exiting %d", exitcode);
	return exitcode;
}

/* runfile: see runfile.h and runfile(5). */
#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg.h"
#include "inifile.h"
#include "runfile.h"


struct parse {
	struct runfile	*rf;
	struct rf_svc	 global;	/* [supervisor] */
	FILE		*fp;
	int		 lineno;
	const char	*line;		/* the current line, as read */
	char		*err;
	size_t		 errlen;
	int		 failed;
};

static const struct {
	const char	*name;
	int		 global;	/* also allowed in [supervisor] */
} rfkeys[K_NKEYS] = {
	[K_COMMAND] =		{ "command", 0 },
	[K_SHELL] =		{ "shell", 0 },
	[K_RESTART] =		{ "restart", 0 },
	[K_AFTER] =		{ "after", 0 },
	[K_READY] =		{ "ready", 0 },
	[K_STOP_SIGNAL] =	{ "stop_signal", 1 },
	[K_STOP_TIMEOUT] =	{ "stop_timeout", 1 },
	[K_WATCHDOG] =		{ "watchdog", 0 },
	[K_ENV] =		{ "env", 0 },
	[K_CWD] =		{ "cwd", 0 },
	[K_USER] =		{ "user", 0 },
	[K_LOG] =		{ "log", 0 },
	[K_BACKOFF_BASE] =	{ "backoff_base", 1 },
	[K_BACKOFF_MAX] =	{ "backoff_max", 1 },
	[K_STABLE_AFTER] =	{ "stable_after", 1 },
	[K_CRASH_LIMIT] =	{ "crash_limit", 1 },
	[K_CRASH_WINDOW] =	{ "crash_window", 1 },
	[K_CRITICAL] =		{ "critical", 1 },
};

static const struct {
	const char	*name;
	int		 num;
} signames[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT },
	{ "ILL", SIGILL }, { "ABRT", SIGABRT }, { "FPE", SIGFPE },
	{ "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },
	{ "USR2", SIGUSR2 }, { "PIPE", SIGPIPE }, { "ALRM", SIGALRM },
	{ "TERM", SIGTERM }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT },
	{ "STOP", SIGSTOP }, { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN },
	{ "TTOU", SIGTTOU }, { "BUS", SIGBUS }, { "WINCH", SIGWINCH },
	{ "PWR", SIGPWR }, { "SYS", SIGSYS }, { NULL, 0 }
};

static void	 parse_lines(struct parse *);
static int	 handler(struct parse *, const char *, const char *,
		    const char *);
static int	 perr(struct parse *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static struct rf_svc *svc_get(struct parse *, const char *);
static struct rf_svc *svc_find(struct runfile *, const char *);
static void	 svc_defaults(struct rf_svc *);
static int	 setkey(struct rf_svc *, int, const char *, char *, size_t);
static void	 inherit(struct rf_svc *, const struct rf_svc *);
static int	 finish(struct parse *);
static int	 visit(struct parse *, size_t, int *, size_t *, size_t,
		    struct rf_svc **, size_t *);
static int	 valid_name(const char *);
static int	 dup_section(struct parse *, const char *);
static char	*xstrdup(const char *);

static char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		abort();
	return p;
}

/*
 * An error at a line: "file:line: message: "text"".  For checks after the
 * parse the text is read back from the file.
 */
static int
perr(struct parse *p, int line, const char *fmt, ...)
{
	char msg[1024], *text = NULL;
	size_t cap = 0;
	va_list ap;
	FILE *fp;
	int n;

	if (p->failed)
		return 0;
	p->failed = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->fp == NULL && (fp = fopen(p->rf->path, "r")) != NULL) {
		for (n = 0; n < line && getline(&text, &cap, fp) != -1; n++)
			;
		fclose(fp);
		if (n == line)
			text[strcspn(text, "\r\n")] = '\0';
	}
	snprintf(p->err, p->errlen, "%s:%d: %s: \"%s\"", p->rf->path, line,
	    msg, text != NULL ? text : p->line != NULL ? p->line : "");
	free(text);
	return 0;
}

static int
valid_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("_.@-", *s) == NULL)
			return 0;
	return 1;
}

static void
svc_defaults(struct rf_svc *s)
{
	s->restart = RF_ALWAYS;
	s->readyfd = -1;
	s->stop_signal = SIGTERM;
	s->stop_timeout = 10000;
	s->log = RF_LOG_INHERIT;
	s->backoff_base = 100;
	s->backoff_max = 30000;
	s->stable_after = 10000;
	s->crash_limit = 10;
	s->crash_window = 60000;
}

static struct rf_svc *
svc_find(struct runfile *rf, const char *name)
{
	size_t i;

	for (i = 0; i < rf->nsvc; i++)
		if (strcmp(rf->svc[i]->name, name) == 0)
			return rf->svc[i];
	return NULL;
}

/* The section of that name, created at its header line. */
static struct rf_svc *
svc_get(struct parse *p, const char *name)
{
	struct runfile *rf = p->rf;
	struct rf_svc *s;

	if (strcmp(name, "supervisor") == 0)
		return &p->global;
	if ((s = svc_find(rf, name)) != NULL)
		return s;
	if (!valid_name(name)) {
		perr(p, p->lineno, "bad service name \"%s\" (letters, digits "
		    "and _ . @ - only)", name);
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		abort();
	svc_defaults(s);
	s->name = xstrdup(name);
	s->line = p->lineno;
	rf->svc = realloc(rf->svc, (rf->nsvc + 1) * sizeof(*rf->svc));
	if (rf->svc == NULL)
		abort();
	rf->svc[rf->nsvc++] = s;
	return s;
}

static int
dup_section(struct parse *p, const char *name)
{
	struct rf_svc *s;

	if (strcmp(name, "supervisor") == 0)
		s = p->global.line ? &p->global : NULL;
	else
		s = svc_find(p->rf, name);
	if (s == NULL) {
		if (strcmp(name, "supervisor") == 0)
			p->global.line = p->lineno;
		return 0;
	}
	perr(p, p->lineno, "duplicate section [%s] (first at line %d)", name,
	    s->line);
	return 1;
}

/*
 * One line of the runfile (libcommon/inifile.c: no line length limit, so
 * commands with long absolute paths are fine).  A section header creates
 * its service, so one without keys is still seen (and refused for lack of
 * a command).
 */
static int
line_cb(void *user, int lineno, const char *raw, const char *section,
    const char *key, const char *val)
{
	struct parse *p = user;

	if (p->failed)
		return 1;
	p->lineno = lineno;
	p->line = (char *)(uintptr_t)raw;
	if (key == NULL) {
		if (dup_section(p, section) || svc_get(p, section) == NULL)
			return 1;
		return 0;
	}
	return handler(p, section, key, val) ? 0 : 1;
}

static void
parse_lines(struct parse *p)
{
	char *raw = NULL;
	int r;

	r = inifile_parse(p->fp, 0, line_cb, p, &raw);
	if (!p->failed && r > 0) {
		p->lineno = r;
		p->line = raw;
		perr(p, r, "syntax error (expected [service] or key = value)");
	}
	p->line = NULL;
	free(raw);
}

int
rf_signum(const char *s)
{
	long long n;
	int i;

	if (cfg_parse_int(s, &n) == 0)
		return n > 0 && n < NSIG ? (int)n : -1;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (i = 0; signames[i].name != NULL; i++)
		if (strcasecmp(s, signames[i].name) == 0)
			return signames[i].num;
	return -1;
}

const char *
rf_signame(int sig)
{
	static char buf[16];
	int i;

	for (i = 0; signames[i].name != NULL; i++)
		if (signames[i].num == sig)
			return signames[i].name;
	snprintf(buf, sizeof(buf), "%d", sig);
	return buf;
}

void
rf_fmt_dur(long long ms, char *buf, size_t len)
{
	if (ms == 0)
		snprintf(buf, len, "0");
	else if (ms % 60000 == 0)
		snprintf(buf, len, "%lldm", ms / 60000);
	else if (ms % 1000 == 0)
		snprintf(buf, len, "%llds", ms / 1000);
	else
		snprintf(buf, len, "%lldms", ms);
}

void
rf_strv_free(char **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

int
rf_split(const char *s, char ***out, size_t *nout, char *err, size_t errlen)
{
	char **v, *w;
	size_t n = 0, wl;
	const char *p = s;

	if ((w = malloc(strlen(s) + 1)) == NULL ||
	    (v = calloc(strlen(s) / 2 + 2, sizeof(*v))) == NULL)
		abort();
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		wl = 0;
		while (*p != '\0' && *p != ' ' && *p != '\t') {
			if (*p == '\'') {
				for (p++; *p != '\'' && *p != '\0'; )
					w[wl++] = *p++;
				if (*p++ == '\0') {
					snprintf(err, errlen,
					    "unterminated ' quote");
					goto fail;
				}
			} else if (*p == '"') {
				for (p++; *p != '"' && *p != '\0'; ) {
					if (*p == '\\' && p[1] != '\0' &&
					    strchr("\"\\$`", p[1]) != NULL)
						p++;
					w[wl++] = *p++;
				}
				if (*p++ == '\0') {
					snprintf(err, errlen,
					    "unterminated \" quote");
					goto fail;
				}
			} else if (*p == '\\') {
				if (*++p == '\0') {
					snprintf(err, errlen, "trailing \\");
					goto fail;
				}
				w[wl++] = *p++;
			} else if (strchr("|&;<>$`", *p) != NULL) {
				snprintf(err, errlen, "shell syntax '%c' (no "
				    "shell here: quote it, or use shell = yes)",
				    *p);
				goto fail;
			} else
				w[wl++] = *p++;
		}
		w[wl] = '\0';
		v[n++] = xstrdup(w);
	}
	free(w);
	if (n == 0) {
		snprintf(err, errlen, "empty");
		rf_strv_free(v);
		return -1;
	}
	*out = v;
	if (nout != NULL)
		*nout = n;
	return 0;
fail:
	free(w);
	rf_strv_free(v);
	return -1;
}

static int
setkey(struct rf_svc *s, int k, const char *val, char *err, size_t errlen)
{
	long long n;
	size_t i, nw;
	char **v;
	int b;

	switch (k) {
	case K_COMMAND:
		s->command = xstrdup(val);
		return 0;
	case K_SHELL:
	case K_CRITICAL:
		if (cfg_parse_bool(val, &b) == -1) {
			snprintf(err, errlen, "expected yes or no");
			return -1;
		}
		*(k == K_SHELL ? &s->shell : &s->critical) = b;
		return 0;
	case K_RESTART:
		if (strcmp(val, "always") == 0)
			s->restart = RF_ALWAYS;
		else if (strcmp(val, "on-failure") == 0)
			s->restart = RF_ONFAILURE;
		else if (strcmp(val, "never") == 0)
			s->restart = RF_NEVER;
		else {
			snprintf(err, errlen,
			    "expected always, on-failure or never");
			return -1;
		}
		return 0;
	case K_AFTER:
		for (nw = 1, i = 0; val[i] != '\0'; i++)
			nw += val[i] == ',';
		if ((s->after = calloc(nw, sizeof(char *))) == NULL)
			abort();
		s->nafter = cfg_list(val, s->after, nw);
		for (i = 0; i < s->nafter; i++)
			if (!valid_name(s->after[i])) {
				snprintf(err, errlen, "bad service name \"%s\"",
				    s->after[i]);
				return -1;
			}
		return 0;
	case K_READY:
		if (strcmp(val, "none") == 0) {
			s->readyfd = -1;
			return 0;
		}
		if (strncmp(val, "fd ", 3) != 0 ||
		    cfg_parse_int(val + 3, &n) == -1 || n < 3 || n > 1023) {
			snprintf(err, errlen, "expected none or fd N "
			    "(3 <= N <= 1023)");
			return -1;
		}
		s->readyfd = (int)n;
		return 0;
	case K_STOP_SIGNAL:
		if ((s->stop_signal = rf_signum(val)) == -1) {
			snprintf(err, errlen, "not a signal (TERM, INT, 15...)");
			return -1;
		}
		return 0;
	case K_STOP_TIMEOUT:
	case K_WATCHDOG:
	case K_BACKOFF_BASE:
	case K_BACKOFF_MAX:
	case K_STABLE_AFTER:
	case K_CRASH_WINDOW:
		if (k == K_WATCHDOG && (strcmp(val, "none") == 0 ||
		    strcmp(val, "off") == 0))
			n = 0;
		else if (cfg_parse_dur(val, &n) == -1 || n < 0 ||
		    n > 86400000LL * 365) {
			snprintf(err, errlen,
			    "not a duration (e.g. 500ms, 6s, 1m, 2h)");
			return -1;
		}
		switch (k) {
		case K_STOP_TIMEOUT:	s->stop_timeout = n; break;
		case K_WATCHDOG:	s->watchdog = n; break;
		case K_BACKOFF_BASE:	s->backoff_base = n; break;
		case K_BACKOFF_MAX:	s->backoff_max = n; break;
		case K_STABLE_AFTER:	s->stable_after = n; break;
		default:		s->crash_window = n; break;
		}
		return 0;
	case K_CRASH_LIMIT:
		if (cfg_parse_int(val, &n) == -1 || n < 0 || n > 1000) {
			snprintf(err, errlen, "expected 0 to 1000");
			return -1;
		}
		s->crash_limit = n;
		return 0;
	case K_ENV:
		if (rf_split(val, &v, &nw, err, errlen) == -1)
			return -1;
		s->envstr = xstrdup(val);
		s->env = v;
		for (i = 0; i < nw; i++) {
			n = (long long)strcspn(v[i], "=");
			if (v[i][n] != '=' || n == 0 || isdigit(
			    (unsigned char)v[i][0]) || strspn(v[i], "_ABCDEFG"
			    "HIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123"
			    "456789") != (size_t)n) {
				snprintf(err, errlen, "expected NAME=value "
				    "words: \"%s\"", v[i]);
				return -1;
			}
		}
		return 0;
	case K_CWD:
		s->cwd = xstrdup(val);
		return 0;
	case K_USER:
		if (getpwnam(val) == NULL) {
			snprintf(err, errlen, "unknown user \"%s\"", val);
			return -1;
		}
		s->user = xstrdup(val);
		return 0;
	case K_LOG:
		if (strcmp(val, "inherit") == 0)
			s->log = RF_LOG_INHERIT;
		else if (strcmp(val, "prefix") == 0)
			s->log = RF_LOG_PREFIX;
		else {
			snprintf(err, errlen, "expected inherit or prefix");
			return -1;
		}
		return 0;
	}
	snprintf(err, errlen, "internal: key %d", k);
	return -1;
}

static int
handler(struct parse *p, const char *section, const char *key,
    const char *val)
{
	struct rf_svc *s;
	char ebuf[512];
	int k;

	if (p->failed)
		return 0;
	if (section[0] == '\0')
		return perr(p, p->lineno, "key outside of any section");
	if ((s = svc_get(p, section)) == NULL)
		return 0;
	for (k = 0; k < K_NKEYS; k++)
		if (strcmp(rfkeys[k].name, key) == 0)
			break;
	if (k == K_NKEYS)
		return perr(p, p->lineno, "unknown key \"%s\"", key);
	if (s == &p->global && !rfkeys[k].global)
		return perr(p, p->lineno, "\"%s\" belongs in a service's "
		    "section, not in [supervisor]", key);
	if (s->kline[k] != 0)
		return perr(p, p->lineno, "duplicate key \"%s\" (first at "
		    "line %d)", key, s->kline[k]);
	s->kline[k] = p->lineno;
	if (setkey(s, k, val, ebuf, sizeof(ebuf)) == -1)
		return perr(p, p->lineno, "%s: %s", key, ebuf);
	return 1;
}

/* Defaults from [supervisor] for what the service does not set. */
static void
inherit(struct rf_svc *s, const struct rf_svc *g)
{
	if (!s->kline[K_STOP_SIGNAL])
		s->stop_signal = g->stop_signal;
	if (!s->kline[K_STOP_TIMEOUT])
		s->stop_timeout = g->stop_timeout;
	if (!s->kline[K_BACKOFF_BASE])
		s->backoff_base = g->backoff_base;
	if (!s->kline[K_BACKOFF_MAX])
		s->backoff_max = g->backoff_max;
	if (!s->kline[K_STABLE_AFTER])
		s->stable_after = g->stable_after;
	if (!s->kline[K_CRASH_LIMIT])
		s->crash_limit = g->crash_limit;
	if (!s->kline[K_CRASH_WINDOW])
		s->crash_window = g->crash_window;
	if (!s->kline[K_CRITICAL])
		s->critical = g->critical;
}

/*
 * Depth-first walk of "after": appends to order[] dependencies first and
 * refuses a cycle, naming it at the "after" line that closes it.
 */
static int
visit(struct parse *p, size_t i, int *mark, size_t *stack, size_t depth,
    struct rf_svc **order, size_t *norder)
{
	struct rf_svc *s = p->rf->svc[i], *d;
	char path[1024];
	size_t j, k, len;

	if (mark[i] == 2)
		return 0;
	mark[i] = 1;
	stack[depth] = i;
	for (j = 0; j < s->nafter; j++) {
		d = svc_find(p->rf, s->after[j]);
		if (d == NULL) {
			perr(p, s->kline[K_AFTER], "after: unknown "
			    "service \"%s\"", s->after[j]);
			return -1;
		}
		for (k = 0; p->rf->svc[k] != d; k++)
			;
		if (mark[k] == 1) {
			path[0] = '\0';
			for (len = 0; stack[len] != k; len++)
				;
			for (; len <= depth; len++) {
				strncat(path, p->rf->svc[stack[len]]->name,
				    sizeof(path) - strlen(path) - 1);
				strncat(path, " -> ",
				    sizeof(path) - strlen(path) - 1);
			}
			strncat(path, d->name, sizeof(path) - strlen(path) - 1);
			perr(p, s->kline[K_AFTER],
			    "after: dependency cycle: %s", path);
			return -1;
		}
		if (visit(p, k, mark, stack, depth + 1, order, norder) == -1)
			return -1;
	}
	mark[i] = 2;
	order[(*norder)++] = s;
	return 0;
}

static int
finish(struct parse *p)
{
	struct runfile *rf = p->rf;
	struct rf_svc *s, **order;
	char ebuf[512];
	size_t i, norder = 0, *stack;
	int *mark, r = 0;

	for (i = 0; i < rf->nsvc; i++) {
		s = rf->svc[i];
		inherit(s, &p->global);
		if (s->command == NULL) {
			perr(p, s->line, "[%s]: no command", s->name);
			return -1;
		}
		if (s->shell) {
			if ((s->argv = calloc(4, sizeof(char *))) == NULL)
				abort();
			s->argv[0] = xstrdup("/bin/sh");
			s->argv[1] = xstrdup("-c");
			s->argv[2] = xstrdup(s->command);
		} else if (rf_split(s->command, &s->argv, NULL, ebuf,
		    sizeof(ebuf)) == -1) {
			perr(p, s->kline[K_COMMAND], "command: %s", ebuf);
			return -1;
		}
		if (s->watchdog > 0 && s->readyfd < 0) {
			perr(p, s->kline[K_WATCHDOG], "watchdog: needs ready = "
			    "fd N (heartbeats are lines on that fd)");
			return -1;
		}
		if (s->backoff_base > s->backoff_max) {
			perr(p, s->kline[K_BACKOFF_BASE] ?
			    s->kline[K_BACKOFF_BASE] : s->line,
			    "backoff_base is above backoff_max");
			return -1;
		}
	}
	mark = calloc(rf->nsvc + 1, sizeof(*mark));
	stack = calloc(rf->nsvc + 1, sizeof(*stack));
	order = calloc(rf->nsvc + 1, sizeof(*order));
	if (mark == NULL || stack == NULL || order == NULL)
		abort();
	for (i = 0; i < rf->nsvc && r == 0; i++)
		r = visit(p, i, mark, stack, 0, order, &norder);
	if (r == 0) {
		free(rf->svc);
		rf->svc = order;
	} else
		free(order);
	free(mark);
	free(stack);
	return r;
}

struct runfile *
rf_load(const char *path, char *err, size_t errlen)
{
	struct parse p;
	struct runfile *rf;

	if ((rf = calloc(1, sizeof(*rf))) == NULL)
		abort();
	rf->path = xstrdup(path);
	memset(&p, 0, sizeof(p));
	p.rf = rf;
	p.err = err;
	p.errlen = errlen;
	svc_defaults(&p.global);
	if ((p.fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rf_free(rf);
		return NULL;
	}
	parse_lines(&p);
	fclose(p.fp);
	p.fp = NULL;
	if (!p.failed && finish(&p) == -1)
		p.failed = 1;
	if (p.failed) {
		rf_free(rf);
		return NULL;
	}
	return rf;
}

void
rf_svc_free(struct rf_svc *s)
{
	if (s == NULL)
		return;
	free(s->name);
	free(s->command);
	rf_strv_free(s->argv);
	if (s->after != NULL)
		cfg_list_free(s->after, s->nafter);
	free(s->after);
	free(s->envstr);
	rf_strv_free(s->env);
	free(s->cwd);
	free(s->user);
	free(s);
}

void
rf_free(struct runfile *rf)
{
	size_t i;

	if (rf == NULL)
		return;
	for (i = 0; i < rf->nsvc; i++)
		rf_svc_free(rf->svc[i]);
	free(rf->svc);
	free(rf->path);
	free(rf);
}

static int
streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

int
rf_same_exec(const struct rf_svc *a, const struct rf_svc *b)
{
	return streq(a->command, b->command) && a->shell == b->shell &&
	    a->readyfd == b->readyfd && streq(a->envstr, b->envstr) &&
	    streq(a->cwd, b->cwd) && streq(a->user, b->user) &&
	    a->log == b->log;
}

void
rf_print(const struct runfile *rf, FILE *fp)
{
	static const char *restarts[] = { "always", "on-failure", "never" };
	const struct rf_svc *s;
	char d1[32], d2[32], d3[32], d4[32], d5[32];
	const char *q;
	size_t i, j;

	for (i = 0; i < rf->nsvc; i++) {
		s = rf->svc[i];
		fprintf(fp, "%s: argv", s->name);
		for (j = 0; s->argv[j] != NULL; j++) {
			fputs(" '", fp);
			for (q = s->argv[j]; *q != '\0'; q++)
				if (*q == '\'')
					fputs("'\\''", fp);
				else
					fputc(*q, fp);
			fputc('\'', fp);
		}
		fputs(" after=", fp);
		for (j = 0; j < s->nafter; j++)
			fprintf(fp, "%s%s", j ? "," : "", s->after[j]);
		if (s->nafter == 0)
			fputc('-', fp);
		if (s->readyfd >= 0)
			fprintf(fp, " ready=fd:%d", s->readyfd);
		else
			fputs(" ready=none", fp);
		rf_fmt_dur(s->stop_timeout, d1, sizeof(d1));
		if (s->watchdog > 0)
			rf_fmt_dur(s->watchdog, d2, sizeof(d2));
		else
			snprintf(d2, sizeof(d2), "off");
		fprintf(fp, " restart=%s stop=%s/%s watchdog=%s log=%s",
		    restarts[s->restart], rf_signame(s->stop_signal), d1, d2,
		    s->log == RF_LOG_PREFIX ? "prefix" : "inherit");
		rf_fmt_dur(s->backoff_base, d3, sizeof(d3));
		rf_fmt_dur(s->backoff_max, d4, sizeof(d4));
		rf_fmt_dur(s->stable_after, d5, sizeof(d5));
		rf_fmt_dur(s->crash_window, d1, sizeof(d1));
		fprintf(fp, " backoff=%s..%s stable_after=%s crash=%lld/%s"
		    " critical=%s", d3, d4, d5, s->crash_limit, d1,
		    s->critical ? "yes" : "no");
		if (s->cwd != NULL)
			fprintf(fp, " cwd=%s", s->cwd);
		if (s->user != NULL)
			fprintf(fp, " user=%s", s->user);
		if (s->envstr != NULL)
			fprintf(fp, " env=%s", s->envstr);
		fputc('\n', fp);
	}
}

/* sup_runfile: the supervisor's runfile helpers (supervisor/runfile.c). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/runfile.h"
#include "t/tap.h"

static void	split_is(const char *, const char *);
static void	split_fails(const char *, const char *);
static struct runfile *load(const char *, char *, size_t);

/* The words of s, each in [], or "error: ..." */
static void
split_is(const char *s, const char *want)
{
	char got[1024] = "", err[256], **v;
	size_t i, n;

	if (rf_split(s, &v, &n, err, sizeof(err)) == -1) {
		snprintf(got, sizeof(got), "error: %s", err);
	} else {
		for (i = 0; i < n; i++) {
			strcat(got, "[");
			strcat(got, v[i]);
			strcat(got, "]");
		}
		ok(v[n] == NULL, "split %s: NULL-terminated", s);
		rf_strv_free(v);
	}
	is_str(got, want, "split %s", s);
}

static void
split_fails(const char *s, const char *want)
{
	char err[256], **v = NULL;

	ok(rf_split(s, &v, NULL, err, sizeof(err)) == -1 && v == NULL,
	    "split %s fails", s);
	ok(strstr(err, want) != NULL, "split %s: %s", s, err);
}

static struct runfile *
load(const char *text, char *err, size_t errlen)
{
	char path[1024];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/run.ini", tap_tmpdir());
	if ((fp = fopen(path, "w")) == NULL)
		abort();
	fputs(text, fp);
	fclose(fp);
	return rf_load(path, err, errlen);
}

int
main(void)
{
	struct runfile *a, *b;
	char err[1024], buf[32];

	split_is("a b  c", "[a][b][c]");
	split_is("  lead and trail\t ", "[lead][and][trail]");
	split_is("'a b' \"c d\"", "[a b][c d]");
	split_is("x'y'\"z\"", "[xyz]");
	split_is("'it''s'", "[its]");
	split_is("\"\\\"q\\\" \\\\ \\$ \\`\"", "[\"q\" \\ $ `]");
	split_is("\"\\n\"", "[\\n]");
	split_is("a\\ b \\'", "[a b][']");
	split_is("'' x", "[][x]");
	split_is("sh -c 'a | b; c > d'", "[sh][-c][a | b; c > d]");
	split_fails("", "empty");
	split_fails("   ", "empty");
	split_fails("'open", "unterminated '");
	split_fails("\"open", "unterminated \"");
	split_fails("trail\\", "trailing");
	split_fails("a | b", "shell syntax '|'");
	split_fails("a > b", "shell syntax '>'");
	split_fails("echo $HOME", "shell syntax '$'");
	split_fails("a;b", "shell syntax ';'");

	is_int(rf_signum("TERM"), SIGTERM, "signal TERM");
	is_int(rf_signum("SIGint"), SIGINT, "signal SIGint");
	is_int(rf_signum("9"), SIGKILL, "signal 9");
	is_int(rf_signum("0"), -1, "signal 0 refused");
	is_int(rf_signum("NOPE"), -1, "signal NOPE refused");
	is_str(rf_signame(SIGHUP), "HUP", "name of SIGHUP");

	rf_fmt_dur(0, buf, sizeof(buf));
	is_str(buf, "0", "duration 0");
	rf_fmt_dur(1500, buf, sizeof(buf));
	is_str(buf, "1500ms", "duration 1500ms");
	rf_fmt_dur(120000, buf, sizeof(buf));
	is_str(buf, "2m", "duration 2m");

	/* resolution of defaults, start order, what a reload restarts */
	a = load("[supervisor]\nstop_timeout = 3s\ncritical = yes\n"
	    "[b]\ncommand = b\nafter = a\n"
	    "[a]\ncommand = a\nstop_timeout = 1s\n", err, sizeof(err));
	ok(a != NULL, "load a runfile");
	if (a == NULL)
		diag("%s", err);
	else {
		is_int(a->nsvc, 2, "2 services");
		is_str(a->svc[0]->name, "a", "a first (b runs after a)");
		is_int(a->svc[0]->stop_timeout, 1000, "a: its own stop_timeout");
		is_int(a->svc[1]->stop_timeout, 3000,
		    "b: stop_timeout from [supervisor]");
		is_int(a->svc[1]->critical, 1, "b: critical from [supervisor]");
		is_int(a->svc[1]->restart, RF_ALWAYS, "b: restart default");
		is_int(a->svc[1]->readyfd, -1, "b: ready default none");
	}
	b = load("[a]\ncommand = a\nrestart = never\nwatchdog = 0\n"
	    "[b]\ncommand = b\nafter = a\nstop_signal = INT\n", err,
	    sizeof(err));
	ok(b != NULL, "load another");
	if (a != NULL && b != NULL) {
		ok(rf_same_exec(a->svc[0], b->svc[0]),
		    "a: only policy changed: same process");
		ok(rf_same_exec(a->svc[1], b->svc[1]), "b: same process");
		rf_free(b);
		b = load("[a]\ncommand = a --flag\n[b]\ncommand = b\n"
		    "env = X=1\n", err, sizeof(err));
		ok(b != NULL && !rf_same_exec(a->svc[0], b->svc[0]),
		    "a: command changed");
		ok(b != NULL && !rf_same_exec(a->svc[1], b->svc[1]),
		    "b: env changed");
	}
	rf_free(a);
	rf_free(b);
	b = load("[a]\ncommand = a\nafter = b\n[b]\ncommand = b\nafter = a\n",
	    err, sizeof(err));
	ok(b == NULL && strstr(err, "run.ini:6: after: dependency cycle: "
	    "a -> b -> a: \"after = a\"") != NULL, "cycle: %s", err);
	rf_free(b);
	return done_testing();
}

/* stfile: see stfile.h. */
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cfg.h"
#include "clock.h"
#include "log.h"
#include "stfile.h"

#define ST_MAXLINE	4096

struct verdict {
	int		 code;
	const char	*word;
	char		 why[800];
};

static uint64_t	 stale_after(const struct app *);
static void	 judge(char *, uint64_t, struct verdict *);
static void	 print_json(const char *, const struct verdict *, char **,
		    size_t) __attribute__((noreturn));

static const char *const words[] = { "ok", "unhealthy", "stale",
    "not-running" };

static uint64_t
stale_after(const struct app *app)
{
	uint64_t hb = (uint64_t)cfg_ms(app->cfg, "general",
	    "heartbeat_interval");

	if (hb == 0)
		hb = 10000;
	return hb * ST_STALE_BEATS > ST_STALE_MIN_MS ?
	    hb * ST_STALE_BEATS : ST_STALE_MIN_MS;
}

void
stfile_init(struct stfile *st, const struct app *app, const char *id)
{
	const char *dir = cfg_str(app->cfg, "general", "run_dir");

	memset(st, 0, sizeof(*st));
	snprintf(st->id, sizeof(st->id), "%s", id);
	st->stale_ms = stale_after(app);
	if (dir[0] == '\0')
		return;
	if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
		log_warn("%s: no status file", dir);
		return;
	}
	if ((size_t)snprintf(st->path, sizeof(st->path), "%s/%s.status", dir,
	    app->prog) >= sizeof(st->path)) {
		log_warnx("%s: path too long: no status file", dir);
		st->path[0] = '\0';
		return;
	}
	/* Until the binary writes its own: started, not ready. */
	stfile_end(st, stfile_begin(st, 0, "starting", NULL));
}

int
stfile_due(struct stfile *st, uint64_t now)
{
	if (now < st->next_ms)
		return 0;
	st->next_ms = now + 1000;
	return 1;
}

FILE *
stfile_begin(struct stfile *st, int healthy, const char *state,
    const char *why, ...)
{
	char	 tmp[600], buf[512];
	va_list	 ap;
	FILE	*f;

	if (st->path[0] == '\0')
		return NULL;
	snprintf(tmp, sizeof(tmp), "%s.tmp", st->path);
	if ((f = fopen(tmp, "w")) == NULL)
		return NULL;
	buf[0] = '\0';
	if (why != NULL) {
		va_start(ap, why);
		(void)vsnprintf(buf, sizeof(buf), why, ap);
		va_end(ap);
		buf[strcspn(buf, "\n")] = '\0';
	}
	fprintf(f, "%s %s pid=%ld updated_ms=%" PRIu64 " stale_after_ms=%"
	    PRIu64 " health=%s state=%s%s%s\n", log_prog(), st->id,
	    (long)getpid(), clock_wall_ms(), st->stale_ms,
	    healthy == 1 ? "ok" : healthy == -1 ? "stopped" : "unhealthy",
	    state, buf[0] != '\0' ? ": " : "", buf);
	return f;
}

int
stfile_end(struct stfile *st, FILE *f)
{
	char	 tmp[600];

	if (f == NULL)
		return -1;
	snprintf(tmp, sizeof(tmp), "%s.tmp", st->path);
	if (fclose(f) != 0 || rename(tmp, st->path) == -1) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Our line says stopped; the binary's last lines stay (post mortem). */
void
stfile_stopped(struct stfile *st)
{
	char	 line[ST_MAXLINE];
	FILE	*old, *f;
	int	 first = 1;

	if ((f = stfile_begin(st, -1, "stopped", NULL)) == NULL)
		return;
	if ((old = fopen(st->path, "r")) != NULL) {
		while (fgets(line, sizeof(line), old) != NULL) {
			if (!first)
				fputs(line, f);
			/* a line longer than the buffer: its tail goes on */
			if (strchr(line, '\n') != NULL)
				first = 0;
		}
		fclose(old);
	}
	stfile_end(st, f);
}

/*
 * The first line against now and the process table.  The line is cut
 * into words in place; why keeps what the binary said.
 */
static void
judge(char *first, uint64_t stale_default, struct verdict *v)
{
	unsigned long long updated = 0, stale = 0;
	long pid = 0;
	char health[16] = "", *state;
	uint64_t now = clock_wall_ms(), age;
	int n = -1;

	v->code = ST_DOWN;
	v->why[0] = '\0';
	if (sscanf(first, "%*s %*s pid=%ld updated_ms=%llu stale_after_ms=%llu "
	    "health=%15s %n", &pid, &updated, &stale, health, &n) != 4 ||
	    n < 0 || strncmp(first + n, "state=", 6) != 0) {
		v->code = ST_UNHEALTHY;
		snprintf(v->why, sizeof(v->why), "unreadable status line");
		goto out;
	}
	state = first + n + 6;
	state[strcspn(state, "\n")] = '\0';
	if (stale == 0)
		stale = stale_default;
	age = now > updated ? now - updated : 0;
	if (strcmp(health, "stopped") == 0)
		snprintf(v->why, sizeof(v->why), "stopped %" PRIu64 " s ago",
		    age / 1000);
	else if (pid <= 0 || (kill((pid_t)pid, 0) == -1 && errno == ESRCH))
		snprintf(v->why, sizeof(v->why), "pid %ld is gone (last "
		    "written %" PRIu64 " s ago)", pid, age / 1000);
	else if (age > stale) {
		v->code = ST_STALE;
		snprintf(v->why, sizeof(v->why), "written %" PRIu64 " s ago, "
		    "stale after %llu s: pid %ld is stuck", age / 1000,
		    stale / 1000, pid);
	} else if (strcmp(health, "ok") != 0) {
		v->code = ST_UNHEALTHY;
		snprintf(v->why, sizeof(v->why), "%s", state);
	} else {
		v->code = ST_OK;
		snprintf(v->why, sizeof(v->why), "%s", state);
	}
out:
	v->word = words[v->code];
}

void
stfile_print(const struct app *app)
{
	struct verdict	 v;
	char		 path[600], line[ST_MAXLINE], first[ST_MAXLINE];
	char		*lines[1024];
	size_t		 n = 0, i;
	FILE		*f;

	snprintf(path, sizeof(path), "%s/%s.status",
	    cfg_str(app->cfg, "general", "run_dir"), app->prog);
	if ((f = fopen(path, "r")) == NULL) {
		if (errno != ENOENT)
			fatal(EX_TEMP, "%s", path);
		v.code = ST_DOWN;
		v.word = words[ST_DOWN];
		snprintf(v.why, sizeof(v.why), "no status file %s", path);
	} else {
		while (n < sizeof(lines) / sizeof(lines[0]) &&
		    fgets(line, sizeof(line), f) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			if ((lines[n] = strdup(line)) == NULL)
				fatal(EX_TEMP, "strdup");
			n++;
		}
		if (ferror(f))
			fatal(EX_TEMP, "%s", path);
		fclose(f);
		if (n == 0) {
			v.code = ST_UNHEALTHY;
			v.word = words[ST_UNHEALTHY];
			snprintf(v.why, sizeof(v.why), "empty status file");
		} else {
			snprintf(first, sizeof(first), "%s", lines[0]);
			judge(first, stale_after(app), &v);
		}
	}
	if (app->json)
		print_json(path, &v, lines, n);
	printf("%s %s%s%s\n", app->prog, v.word, v.why[0] ? ": " : "",
	    v.why);
	for (i = 0; i < n; i++) {
		printf("%s\n", lines[i]);
		free(lines[i]);
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		fatal(EX_TEMP, "standard output");
	exit(v.code);
}

/* -s -J: {"prog", "verdict", "exit", "why", "file", "lines": [...]}. */
static void
print_json(const char *path, const struct verdict *v, char **lines,
    size_t n)
{
	cJSON	*j, *a;
	char	*s;
	size_t	 i;

	if ((j = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(j, "prog", log_prog()) == NULL ||
	    cJSON_AddStringToObject(j, "verdict", v->word) == NULL ||
	    cJSON_AddNumberToObject(j, "exit", v->code) == NULL ||
	    cJSON_AddStringToObject(j, "why", v->why) == NULL ||
	    cJSON_AddStringToObject(j, "file", path) == NULL ||
	    (a = cJSON_AddArrayToObject(j, "lines")) == NULL)
		fatalx(EX_TEMP, "out of memory");
	for (i = 0; i < n; i++) {
		cJSON_AddItemToArray(a, cJSON_CreateString(lines[i]));
		free(lines[i]);
	}
	if ((s = cJSON_PrintUnformatted(j)) == NULL)
		fatalx(EX_TEMP, "out of memory");
	printf("%s\n", s);
	cJSON_free(s);
	cJSON_Delete(j);
	if (fflush(stdout) != 0 || ferror(stdout))
		fatal(EX_TEMP, "standard output");
	exit(v->code);
}

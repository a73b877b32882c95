/* log: see log.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"

static const char *prog = "?";
static int level = LOG_LVL_INFO;

static void	append(char *, size_t, size_t *, const char *);

void
log_init(const char *name, int lvl)
{
	const char *p;

	if (name != NULL) {
		p = strrchr(name, '/');
		prog = p != NULL ? p + 1 : name;
	}
	level = lvl;
}

void
log_setlevel(int lvl)
{
	if (lvl < LOG_LVL_ERROR)
		lvl = LOG_LVL_ERROR;
	if (lvl > LOG_LVL_DEBUG)
		lvl = LOG_LVL_DEBUG;
	level = lvl;
}

int
log_getlevel(void)
{
	return level;
}

const char *
log_prog(void)
{
	return prog;
}

/* "error", "warning", "info", "debug" -> level; -1 if unknown. */
int
log_level_parse(const char *s)
{
	if (strcasecmp(s, "error") == 0)
		return LOG_LVL_ERROR;
	if (strcasecmp(s, "warning") == 0 || strcasecmp(s, "warn") == 0)
		return LOG_LVL_WARN;
	if (strcasecmp(s, "info") == 0)
		return LOG_LVL_INFO;
	if (strcasecmp(s, "debug") == 0)
		return LOG_LVL_DEBUG;
	return -1;
}

/* Append s to buf (of size len, holding *n bytes), truncating. */
static void
append(char *buf, size_t len, size_t *n, const char *s)
{
	size_t k = strlen(s);

	if (*n + 1 >= len)
		return;
	if (k > len - 1 - *n)
		k = len - 1 - *n;
	memcpy(buf + *n, s, k);
	*n += k;
	buf[*n] = '\0';
}

void
log_vlog(int lvl, const char *word, int errnum, const char *fmt, va_list ap)
{
	char buf[4096], msg[4000];
	size_t n = 0, i;

	if (lvl > level)
		return;
	buf[0] = '\0';
	append(buf, sizeof(buf) - 1, &n, prog);
	append(buf, sizeof(buf) - 1, &n, ": ");
	append(buf, sizeof(buf) - 1, &n, word);
	append(buf, sizeof(buf) - 1, &n, ": ");
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	append(buf, sizeof(buf) - 1, &n, msg);
	if (errnum != 0) {
		append(buf, sizeof(buf) - 1, &n, ": ");
		append(buf, sizeof(buf) - 1, &n, strerror(errnum));
	}
	/* One line, one write: drop embedded newlines. */
	for (i = 0; i < n; i++)
		if (buf[i] == '\n' || buf[i] == '\r')
			buf[i] = ' ';
	buf[n++] = '\n';	/* room was kept: sizeof(buf) - 1 above */
	(void)!write(STDERR_FILENO, buf, n);
}

#define LOGFN(name, lvl, word, witherr)				\
void									\
name(const char *fmt, ...)						\
{									\
	va_list ap;							\
	int e = witherr ? errno : 0;					\
									\
	va_start(ap, fmt);						\
	log_vlog(lvl, word, e, fmt, ap);				\
	va_end(ap);							\
}

LOGFN(log_error, LOG_LVL_ERROR, "error", 1)
LOGFN(log_errorx, LOG_LVL_ERROR, "error", 0)
LOGFN(log_warn, LOG_LVL_WARN, "warning", 1)
LOGFN(log_warnx, LOG_LVL_WARN, "warning", 0)
LOGFN(log_info, LOG_LVL_INFO, "info", 0)
LOGFN(log_debug, LOG_LVL_DEBUG, "debug", 0)

void
fatal(int code, const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	va_start(ap, fmt);
	log_vlog(LOG_LVL_ERROR, "fatal", e, fmt, ap);
	va_end(ap);
	exit(code);
}

void
fatalx(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_LVL_ERROR, "fatal", 0, fmt, ap);
	va_end(ap);
	exit(code);
}

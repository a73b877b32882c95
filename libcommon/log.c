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

void
log_vlog(int lvl, const char *word, int errnum, const char *fmt, va_list ap)
{
	char buf[4096];
	int n, m;

	if (lvl > level)
		return;
	n = snprintf(buf, sizeof(buf), "%s: %s: ", prog, word);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return;
	m = vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n >= sizeof(buf) - 1)
		n = sizeof(buf) - 2;
	if (errnum != 0) {
		m = snprintf(buf + n, sizeof(buf) - n, ": %s", strerror(errnum));
		if (m > 0)
			n += m;
		if ((size_t)n >= sizeof(buf) - 1)
			n = sizeof(buf) - 2;
	}
	/* One line, one write: drop embedded newlines. */
	for (m = 0; m < n; m++)
		if (buf[m] == '\n' || buf[m] == '\r')
			buf[m] = ' ';
	buf[n++] = '\n';
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

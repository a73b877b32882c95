/* metrics: see metrics.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"

#ifndef VERSION
#define VERSION	"unknown"
#endif

static void	 label(FILE *, const char *, const char *);

/* name="value", escaped as the text format says. */
static void
label(FILE *fp, const char *name, const char *v)
{
	fprintf(fp, "%s=\"", name);
	for (; *v != '\0'; v++)
		if (*v == '\\' || *v == '"')
			fprintf(fp, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", fp);
		else
			fputc(*v, fp);
	fputc('"', fp);
}

FILE *
metrics_begin(const char *path, char *tmp, size_t tmplen)
{
	FILE *fp;
	int fd;

	if ((size_t)snprintf(tmp, tmplen, "%s.tmp", path) >= tmplen) {
		log_warnx("metrics: %s: path too long", path);
		return NULL;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1) {
		log_warn("metrics: %s", tmp);
		return NULL;
	}
	if ((fp = fdopen(fd, "w")) == NULL) {
		log_warn("metrics: %s", tmp);
		close(fd);
		unlink(tmp);
	}
	return fp;
}

int
metrics_end(FILE *fp, const char *tmp, const char *path)
{
	if (ferror(fp) | (fclose(fp) != 0) || rename(tmp, path) == -1) {
		log_warn("metrics: %s", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

void
metrics_remove(const char *path)
{
	if (path[0] != '\0' && unlink(path) == -1 && errno != ENOENT)
		log_warn("metrics: %s", path);
}

void
metrics_head(FILE *fp, const char *service, uint64_t started_s)
{
	metrics_family(fp, "coord_build_info", "gauge",
	    "Always 1: the program's version.");
	metrics_sample(fp, "coord_build_info", service, "version", VERSION,
	    1);
	metrics_family(fp, "coord_start_time_seconds", "gauge",
	    "When the process started, in seconds since the epoch.");
	metrics_sample(fp, "coord_start_time_seconds", service, NULL, NULL,
	    (double)started_s);
}

void
metrics_family(FILE *fp, const char *name, const char *type,
    const char *help)
{
	fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void
metrics_sample(FILE *fp, const char *name, const char *service,
    const char *lname, const char *lvalue, double v)
{
	metrics_sample2(fp, name, service, lname, lvalue, NULL, NULL, v);
}

void
metrics_sample2(FILE *fp, const char *name, const char *service,
    const char *l1, const char *v1, const char *l2, const char *v2, double v)
{
	fprintf(fp, "%s{", name);
	label(fp, "service", service);
	if (l1 != NULL) {
		fputc(',', fp);
		label(fp, l1, v1);
	}
	if (l2 != NULL) {
		fputc(',', fp);
		label(fp, l2, v2);
	}
	fprintf(fp, "} %.17g\n", v);
}

/* tap: see tap.h. */
#include <sys/stat.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

static int planned = -1;
static int count;
static int failed;
static char tmpdir[256];

static void
vreport(int pass, const char *fmt, va_list ap)
{
	count++;
	if (!pass)
		failed++;
	printf("%sok %d - ", pass ? "" : "not ", count);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
}

void
plan(int n)
{
	planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

void
skip_all(const char *fmt, ...)
{
	va_list ap;

	printf("1..0 # SKIP ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	exit(0);
}

int
ok(int pass, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(pass, fmt, ap);
	va_end(ap);
	return pass;
}

int
is_int(long long got, long long want, const char *fmt, ...)
{
	va_list ap;
	int pass = got == want;

	va_start(ap, fmt);
	vreport(pass, fmt, ap);
	va_end(ap);
	if (!pass)
		printf("#   got: %lld\n# want: %lld\n", got, want);
	return pass;
}

int
is_str(const char *got, const char *want, const char *fmt, ...)
{
	va_list ap;
	int pass;

	pass = (got == NULL && want == NULL) ||
	    (got != NULL && want != NULL && strcmp(got, want) == 0);
	va_start(ap, fmt);
	vreport(pass, fmt, ap);
	va_end(ap);
	if (!pass)
		printf("#   got: \"%s\"\n# want: \"%s\"\n",
		    got ? got : "(null)", want ? want : "(null)");
	return pass;
}

int
is_mem(const void *got, const void *want, size_t n, const char *fmt, ...)
{
	va_list ap;
	size_t i;
	int pass = memcmp(got, want, n) == 0;

	va_start(ap, fmt);
	vreport(pass, fmt, ap);
	va_end(ap);
	if (!pass) {
		for (i = 0; i < n; i++)
			if (((const unsigned char *)got)[i] !=
			    ((const unsigned char *)want)[i])
				break;
		printf("#   first difference at byte %zu\n", i);
	}
	return pass;
}

void
skip(int n, const char *fmt, ...)
{
	va_list ap;
	char why[256];

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	while (n-- > 0) {
		count++;
		printf("ok %d # skip %s\n", count, why);
	}
	fflush(stdout);
}

void
diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

const char *
tap_tmpdir(void)
{
	if (tmpdir[0] == '\0') {
		mkdir("t/tmp", 0700);
		snprintf(tmpdir, sizeof(tmpdir), "t/tmp/unit.XXXXXX");
		if (mkdtemp(tmpdir) == NULL) {
			perror("mkdtemp");
			exit(1);
		}
	}
	return tmpdir;
}

int
done_testing(void)
{
	char cmd[300];

	if (planned < 0)
		printf("1..%d\n", count);
	else if (planned != count)
		printf("# planned %d tests but ran %d\n", planned, count);
	if (failed == 0 && tmpdir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		(void)!system(cmd);
	}
	fflush(stdout);
	return failed != 0 || (planned >= 0 && planned != count);
}

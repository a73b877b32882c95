/*
 * tap: a small TAP producer for the C unit tests (after git's test-tool
 * check_int/check_str).  Every check prints "ok N - name" or "not ok N -
 * name" with a diagnostic; done_testing() prints the plan and returns the
 * exit status for main.
 */
#ifndef TAP_H
#define TAP_H

#include <stddef.h>

#define TAP_PRINTF(f, a) __attribute__((format(printf, f, a)))

void	plan(int);
void	skip_all(const char *, ...) TAP_PRINTF(1, 2) __attribute__((noreturn));
int	ok(int, const char *, ...) TAP_PRINTF(2, 3);
int	is_int(long long, long long, const char *, ...) TAP_PRINTF(3, 4);
int	is_str(const char *, const char *, const char *, ...) TAP_PRINTF(3, 4);
int	is_mem(const void *, const void *, size_t, const char *, ...)
	    TAP_PRINTF(4, 5);
void	skip(int, const char *, ...) TAP_PRINTF(2, 3);
void	diag(const char *, ...) TAP_PRINTF(1, 2);
int	done_testing(void);

/* A fresh scratch directory under t/tmp, removed by done_testing if passed. */
const char *tap_tmpdir(void);

#endif

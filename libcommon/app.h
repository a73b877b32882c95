/*
 * app: what every binary does first: the common options, the configuration
 * file, logging verbosity and signals.
 *
 *   -f file    configuration file (default: built-in defaults)
 *   -n         check the configuration and exit
 *   -v / -q    more / less verbose (repeatable)
 *   -d fd      readiness: write a newline to fd once ready
 *   -X k=v     librdkafka property, overrides [kafka]
 *   -i / -o    input / output ("-" for stdin / stdout instead of Kafka)
 *   -J         JSON Lines instead of length-delimited protobuf on stdio
 *   -h / -V    usage / version
 *
 * A binary adds its own options through app_spec, and names the common
 * ones it takes (-h lists only those; another is a usage error, 100).  main() reads top to
 * bottom: app_init() -> resources -> loop -> shutdown.
 */
#ifndef APP_H
#define APP_H

#include <stddef.h>

#include "cfg.h"

#define APP_MAXX	64

struct app {
	const char	*prog;
	const char	*cfgfile;
	int		 check;		/* -n */
	int		 verbose;	/* -v count minus -q count */
	int		 readyfd;	/* -d, or -1 */
	const char	*in;		/* -i */
	const char	*out;		/* -o */
	int		 json;		/* -J */
	const char	*xprop[APP_MAXX];	/* -X, "key=value" */
	size_t		 nxprop;
	struct cfg	*cfg;
	int		 argc;		/* operands after the options */
	char		**argv;
};

struct app_spec {
	const char	*prog;
	const char	*operands;	/* usage text after the options */
	const char	*opts;		/* extra getopt letters, e.g. "sx:" */
	const char	*optusage;	/* usage lines for the extra options */
	/* Called for each extra option; return -1 for a usage error. */
	int		(*opt)(struct app *, int, const char *);
	int		 want_chld;	/* catch SIGCHLD too */
	/* The common options the program takes, as letters ("fnvqdhV");
	 * NULL: all of them.  -h lists only these; any other is a usage
	 * error (exit 100). */
	const char	*common;
};

/* Parse options, load and check the configuration, set up logging and
 * signals.  Exits 100 with a clear message on any usage or config error;
 * exits 0 for -h and -V. */
void	app_init(struct app *, const struct app_spec *, int, char **);

/* After a binary's own -n checks: report and exit 0. */
void	app_check_ok(const struct app *) __attribute__((noreturn));

/* Print the usage to stderr and exit 100. */
void	app_usage(void) __attribute__((noreturn));

/* Release what app_init allocated (the configuration). */
void	app_free(struct app *);

/* This process's service id: "<general.name>.<prog>". */
const char *app_service_id(const struct app *);

#endif

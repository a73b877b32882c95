/* app: see app.h. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "cfg.h"
#include "log.h"
#include "sig.h"

#define COMMON_OPTS	"f:nvqd:X:i:o:JhV"

static const struct app_spec *spec;
/* The configuration lives as long as the process; kept here, it stays
 * reachable (not a leak) whichever way the process exits. */
static struct cfg *cfg_root;

static void
print_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: %s [-nqvJ] [-f file] [-d fd] [-X prop=val] [-i in] "
	    "[-o out]%s%s%s\n"
	    "  -f file    configuration file (default: built-in defaults)\n"
	    "  -n         check the configuration and exit\n"
	    "  -v, -q     more, less verbose\n"
	    "  -d fd      write a newline to fd once ready\n"
	    "  -X k=v     librdkafka property (overrides [kafka])\n"
	    "  -i in      read messages from in (- for stdin) instead of Kafka\n"
	    "  -o out     write messages to out (- for stdout) instead of "
	    "Kafka\n"
	    "  -J         JSON Lines on stdio instead of length-delimited "
	    "protobuf\n"
	    "  -h, -V     this help, the version\n%s",
	    spec->prog,
	    spec->operands != NULL && spec->operands[0] != '\0' ? " " : "",
	    spec->operands != NULL ? spec->operands : "",
	    "",
	    spec->optusage != NULL ? spec->optusage : "");
}

void
app_usage(void)
{
	print_usage(stderr);
	exit(EX_PERM);
}

static int
parse_fd(const char *s)
{
	long long n;

	if (cfg_parse_int(s, &n) == -1 || n < 0 || n > INT_MAX)
		return -1;
	return (int)n;
}

void
app_init(struct app *app, const struct app_spec *sp, int argc, char **argv)
{
	char opts[128], err[1024];
	const char *lvl;
	int ch, level;

	spec = sp;
	memset(app, 0, sizeof(*app));
	app->prog = sp->prog;
	app->readyfd = -1;
	log_init(sp->prog, LOG_LVL_INFO);

	snprintf(opts, sizeof(opts), "%s%s", COMMON_OPTS,
	    sp->opts != NULL ? sp->opts : "");
	opterr = 0;
	while ((ch = getopt(argc, argv, opts)) != -1) {
		switch (ch) {
		case 'f':
			app->cfgfile = optarg;
			break;
		case 'n':
			app->check = 1;
			break;
		case 'v':
			app->verbose++;
			break;
		case 'q':
			app->verbose--;
			break;
		case 'd':
			if ((app->readyfd = parse_fd(optarg)) == -1) {
				log_warnx("-d: not a file descriptor: %s",
				    optarg);
				app_usage();
			}
			break;
		case 'X':
			if (strchr(optarg, '=') == NULL ||
			    optarg[0] == '=') {
				log_warnx("-X: expected property=value: %s",
				    optarg);
				app_usage();
			}
			if (app->nxprop == APP_MAXX) {
				log_warnx("-X: too many properties");
				app_usage();
			}
			app->xprop[app->nxprop++] = optarg;
			break;
		case 'i':
			app->in = optarg;
			break;
		case 'o':
			app->out = optarg;
			break;
		case 'J':
			app->json = 1;
			break;
		case 'h':
			print_usage(stdout);
			exit(0);
		case 'V':
			printf("%s %s\n", sp->prog, VERSION);
			exit(0);
		case '?':
			if (optopt != 0 && strchr(opts, optopt) != NULL)
				log_warnx("option -%c needs an argument",
				    optopt);
			else
				log_warnx("unknown option -%c", optopt);
			app_usage();
		default:
			if (sp->opt == NULL || sp->opt(app, ch, optarg) == -1)
				app_usage();
			break;
		}
	}
	app->argc = argc - optind;
	app->argv = argv + optind;
	/* A program that takes no operands refuses one, -n or not. */
	if (sp->operands != NULL && sp->operands[0] == '\0' &&
	    app->argc > 0) {
		log_warnx("unexpected operand \"%s\"", app->argv[0]);
		app_usage();
	}

	if ((app->cfg = cfg_load(app->cfgfile, err, sizeof(err))) == NULL)
		fatalx(EX_PERM, "%s", err);
	cfg_root = app->cfg;
	lvl = cfg_str(app->cfg, "general", "log_level");
	if ((level = log_level_parse(lvl)) == -1)
		fatalx(EX_PERM, "%s: log_level: expected error, warning, "
		    "info or debug: \"%s\"",
		    cfg_where(app->cfg, "general", "log_level"), lvl);
	log_setlevel(level + app->verbose);
	sig_setup(sp->want_chld);
	/* A service's stop is bounded (sig.h); the supervisor's waits for
	 * its children, each bounded so. */
	if (!sp->want_chld)
		sig_stop_cap(SIG_STOP_MS);
}

void
app_check_ok(const struct app *app)
{
	log_info("configuration ok: %s",
	    app->cfgfile != NULL ? app->cfgfile : "built-in defaults");
	exit(0);
}

const char *
app_service_id(const struct app *app)
{
	static char id[256];

	snprintf(id, sizeof(id), "%s.%s",
	    cfg_str(app->cfg, "general", "name"), app->prog);
	return id;
}

void
app_free(struct app *app)
{
	if (cfg_root == app->cfg)
		cfg_root = NULL;
	cfg_free(app->cfg);
	app->cfg = NULL;
}

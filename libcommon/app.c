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

/* Every common option, as getopt letters; a program takes those its
 * app_spec names (common), all of them by default. */
#define COMMON_OPTS_ALL	"fnvqdXioJhV"

static const struct app_spec *spec;
/* The configuration lives as long as the process; kept here, it stays
 * reachable (not a leak) whichever way the process exits. */
static struct cfg *cfg_root;

/* The common options: letter, synopsis (NULL: a flag), usage line. */
static const struct {
	char		 ch;
	const char	*syn;
	const char	*help;
} common[] = {
	{ 'f', "[-f file]", "  -f file    configuration file (default: built-in "
	    "defaults)\n" },
	{ 'n', NULL, "  -n         check the configuration and exit\n" },
	{ 'v', NULL, "  -v, -q     more, less verbose\n" },
	{ 'q', NULL, NULL },
	{ 'd', "[-d fd]", "  -d fd      write a newline to fd once ready\n" },
	{ 'X', "[-X prop=val]", "  -X k=v     librdkafka property (overrides "
	    "[kafka])\n" },
	{ 'i', "[-i in]", "  -i in      read messages from in (- for stdin) "
	    "instead of Kafka\n" },
	{ 'o', "[-o out]", "  -o out     write messages to out (- for stdout) "
	    "instead of Kafka\n" },
	{ 'J', NULL, "  -J         JSON Lines on stdio instead of "
	    "length-delimited protobuf\n" },
	{ 'h', NULL, "  -h, -V     this help, the version\n" },
	{ 'V', NULL, NULL },
};

/* The common options this program takes, as getopt letters. */
static const char *
common_opts(void)
{
	return spec->common != NULL ? spec->common : COMMON_OPTS_ALL;
}

static int
uses(char ch)
{
	return strchr(common_opts(), ch) != NULL;
}

/* Only the options the program takes: the common ones it uses, its own. */
static void
print_usage(FILE *fp)
{
	char	 flags[32];
	size_t	 i, n = 0;

	char	 dash[3] = "-?";
	const char *p;

	/* flags: the common ones, then ours the operands do not show */
	for (p = "nqvJ"; *p != '\0'; p++)
		if (uses(*p))
			flags[n++] = *p;
	for (p = spec->opts != NULL ? spec->opts : ""; *p != '\0' &&
	    n < sizeof(flags) - 1; p++) {
		dash[1] = *p;
		if (p[1] != ':' && *p != ':' && (spec->operands == NULL ||
		    strstr(spec->operands, dash) == NULL))
			flags[n++] = *p;
	}
	flags[n] = '\0';
	fprintf(fp, "usage: %s", spec->prog);
	if (n > 0)
		fprintf(fp, " [-%s]", flags);
	for (i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		if (common[i].syn != NULL && uses(common[i].ch))
			fprintf(fp, " %s", common[i].syn);
	if (spec->operands != NULL && spec->operands[0] != '\0')
		fprintf(fp, " %s", spec->operands);
	fprintf(fp, "\n");
	for (i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		if (common[i].help != NULL && (uses(common[i].ch) ||
		    (common[i].ch == 'v' && uses('q'))))
			fputs(common[i].help, fp);
	if (spec->optusage != NULL)
		fputs(spec->optusage, fp);
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
	const char *lvl, *p;
	size_t n;
	int ch, level;

	spec = sp;
	memset(app, 0, sizeof(*app));
	app->prog = sp->prog;
	app->readyfd = -1;
	log_init(sp->prog, LOG_LVL_INFO);

	/* getopt letters: the common ones this program takes (those with
	 * an argument get their colon), then its own */
	for (p = common_opts(), n = 0; *p != '\0' && n < sizeof(opts) - 3;
	    p++) {
		opts[n++] = *p;
		if (strchr("fdXio", *p) != NULL)
			opts[n++] = ':';
	}
	opts[n] = '\0';
	snprintf(opts + n, sizeof(opts) - n, "%s",
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

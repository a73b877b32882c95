/*
 * archiver: keeps every bus message encrypted at rest, answers data
 * requests, makes, verifies and restores backups.  See archiver(8).
 *
 * main() reads top to bottom: options and the command (a table, checked
 * before anything is opened) -> config and keys -> store -> the one thing
 * asked for (consume, restore, or an -x command) -> close.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "hex.h"
#include "app.h"
#include "archiver.h"
#include "backup.h"
#include "cfg.h"
#include "log.h"
#include "sig.h"
#include "stfile.h"
#include "svc.h"

static const char	*restore_file;
static const char	*command;
static int		 status_mode;

/*
 * What the archiver is asked to do: consume (no -r, no -x), restore (-r),
 * or an -x command.  need says what is set up before run is called.
 */
#define XF_KEYS		0x01	/* the [archive] settings and the keyring */
#define XF_STORE	0x02	/* the configured store, open */
#define XF_BUS		0x04	/* the bus: -n checks the service key too */

struct xcmd {
	const char	*name;
	int		 min, max;	/* operands */
	int		 need;
	int		(*run)(struct archiver *, char **);	/* operands */
};

static int	opt(struct app *, int, const char *);
static const struct xcmd *xcmd_pick(const struct app *);
static void	configure(struct app *, struct archiver *, struct store_conf *);
static void	load_keys(struct app *, struct keyring *);
static void	print_manifest(const char *, const char *,
		    const struct backup_manifest *, int);
static int	failed(struct archiver *, const char *, const char *);
static int	x_consume(struct archiver *, char **);
static int	x_restore(struct archiver *, char **);
static int	x_keygen(struct archiver *, char **);
static int	x_verify(struct archiver *, char **);
static int	x_import(struct archiver *, char **);
static int	x_export(struct archiver *, char **);
static int	x_get(struct archiver *, char **);
static int	x_list(struct archiver *, char **);
static int	x_count(struct archiver *, char **);
static int	x_kv_put(struct archiver *, char **);
static int	x_kv_get(struct archiver *, char **);
static int	x_backup(struct archiver *, char **);

static const struct app_spec spec = {
	"archiver",
	"[-s | -r file | -x command [argument ...]]",
	"r:sx:",
	"  -s         print the running archiver's status and exit: 0 ok,\n"
	"             1 unhealthy, 2 stale, 3 not running\n"
	"  -r file    restore a backup into the configured store\n"
	"  -x cmd     import FILE | export | get TOPIC PARTITION OFFSET |\n"
	"             list TOPIC [PARTITION [FROM [TO]]] | count |\n"
	"             kv-put NAME | kv-get NAME | backup | verify FILE |\n"
	"             keygen FILE\n",
	opt,
	0,
	NULL
};

static const struct xcmd consume_cmd =
	{ "consume",	0, 0, XF_KEYS | XF_STORE | XF_BUS,	x_consume };
static const struct xcmd restore_cmd =
	{ "restore",	0, 0, XF_KEYS | XF_STORE,	x_restore };
/* The -x commands.  Those on the archive load the keyring first, so a
 * bad key_file is found before the store is opened (count as well). */
static const struct xcmd xcmds[] = {
	{ "keygen",	1, 1, 0,			x_keygen },
	{ "verify",	1, 1, XF_KEYS,			x_verify },
	{ "import",	1, 1, XF_KEYS | XF_STORE,	x_import },
	{ "export",	0, 0, XF_KEYS | XF_STORE,	x_export },
	{ "get",	3, 3, XF_KEYS | XF_STORE,	x_get },
	{ "list",	1, 4, XF_KEYS | XF_STORE,	x_list },
	{ "count",	0, 0, XF_KEYS | XF_STORE,	x_count },
	{ "kv-put",	1, 1, XF_KEYS | XF_STORE,	x_kv_put },
	{ "kv-get",	1, 1, XF_KEYS | XF_STORE,	x_kv_get },
	{ "backup",	0, 0, XF_KEYS | XF_STORE,	x_backup },
};

static int
opt(struct app *app, int ch, const char *arg)
{
	(void)app;
	switch (ch) {
	case 'r':
		restore_file = arg;
		return 0;
	case 'x':
		command = arg;
		return 0;
	case 's':
		status_mode = 1;
		return 0;
	}
	return -1;
}

/* The mode and its operands, checked before anything is opened: a
 * mistake is a usage error (exit 100) whatever the store or the bus. */
static const struct xcmd *
xcmd_pick(const struct app *app)
{
	const struct xcmd *xc = NULL;
	size_t i;

	if (restore_file != NULL && command != NULL) {
		log_warnx("-r and -x exclude each other");
		app_usage();
	}
	if (command == NULL) {
		xc = restore_file != NULL ? &restore_cmd : &consume_cmd;
		if (app->argc > 0) {
			log_warnx("unexpected operand: %s", app->argv[0]);
			app_usage();
		}
		return xc;
	}
	for (i = 0; i < sizeof(xcmds) / sizeof(xcmds[0]); i++)
		if (strcmp(xcmds[i].name, command) == 0)
			xc = &xcmds[i];
	if (xc == NULL) {
		log_warnx("unknown command -x %s", command);
		app_usage();
	}
	if (app->argc < xc->min || app->argc > xc->max) {
		log_warnx("-x %s: wrong number of arguments", command);
		app_usage();
	}
	return xc;
}

/* The [archive] settings: the store's, the batch and the backups'. */
static void
configure(struct app *app, struct archiver *ar, struct store_conf *sc)
{
	const char *fault;
	long long v;

	memset(sc, 0, sizeof(*sc));
	sc->backend = cfg_str(app->cfg, "archive", "backend");
	sc->path = cfg_str(app->cfg, "archive", "path");
	sc->conninfo = cfg_str(app->cfg, "archive", "conninfo");
	sc->segment_size = cfg_size(app->cfg, "archive", "segment_size");
	v = cfg_int(app->cfg, "archive", "batch_size");
	if (v < 1 || v > 1000000)
		fatalx(EX_PERM, "%s: batch_size: expected 1 to 1000000",
		    cfg_where(app->cfg, "archive", "batch_size"));
	ar->batch = (size_t)v;
	ar->backup_dir = cfg_str(app->cfg, "general", "backup_dir");
	ar->backup_keep = cfg_int(app->cfg, "archive", "backup_keep");
	ar->verify_backups = cfg_bool(app->cfg, "archive", "verify_backups");
	store_retry_ms = cfg_ms(app->cfg, "archive", "retry_timeout");
	if (strcmp(sc->backend, "file") != 0 &&
	    strcmp(sc->backend, "postgres") != 0)
		fatalx(EX_PERM, "%s: backend: expected file or postgres: "
		    "\"%s\"", cfg_where(app->cfg, "archive", "backend"),
		    sc->backend);
	if (strcmp(sc->backend, "postgres") == 0 && sc->conninfo[0] == '\0')
		fatalx(EX_PERM, "%s: conninfo: required by backend = postgres",
		    cfg_where(app->cfg, "archive", "conninfo"));
	if ((fault = getenv("ARCHIVER_FAULT_KILL_BATCH")) != NULL &&
	    cfg_parse_int(fault, &v) == 0)
		store_fault_batch = v;
	if ((ar->kr = keyring_new()) == NULL)
		fatalx(EX_TEMP, "cannot allocate the keyring");
	load_keys(app, ar->kr);
}

static void
load_keys(struct app *app, struct keyring *kr)
{
	char err[1024], path[PATH_MAX], *old[KEYRING_MAX];
	const char *kf;
	size_t n, i;

	kf = cfg_str(app->cfg, "archive", "key_file");
	if (kf[0] == '\0') {
		snprintf(path, sizeof(path), "%s/archive.key",
		    cfg_str(app->cfg, "general", "key_dir"));
		kf = path;
	}
	if (keyring_add_file(kr, kf, err, sizeof(err)) == -1)
		fatalx(EX_PERM, "%s: key_file: %s",
		    cfg_where(app->cfg, "archive", "key_file"), err);
	n = cfg_list(cfg_str(app->cfg, "archive", "old_key_files"), old,
	    KEYRING_MAX);
	for (i = 0; i < n; i++)
		if (keyring_add_file(kr, old[i], err, sizeof(err)) == -1)
			fatalx(EX_PERM, "%s: old_key_files: %s",
			    cfg_where(app->cfg, "archive", "old_key_files"),
			    err);
	cfg_list_free(old, n);
}

static void
print_manifest(const char *what, const char *path,
    const struct backup_manifest *m, int verified)
{
	char chain[2 * BACKUP_CHAIN_LEN + 1], kid[2 * REC_KEYID_LEN + 1];

	hex_encode(m->chain, BACKUP_CHAIN_LEN, chain);
	printf("{\"%s\":\"%s\",\"records\":%llu,\"kv\":%llu,\"bytes\":%llu,"
	    "\"chain\":\"%s\",\"key_id\":\"%s\",\"created\":%lld,"
	    "\"verified\":%s}\n", what, path, (unsigned long long)m->nrec,
	    (unsigned long long)m->nkv, (unsigned long long)m->nbytes, chain,
	    key_id_hex(m->keyid, kid), (long long)m->created,
	    verified ? "true" : "false");
	fflush(stdout);
}

/* A backup now: write, check by a drill if configured, prune. */
int
archiver_backup(struct archiver *ar, int print)
{
	struct backup_manifest m, vm;
	char path[PATH_MAX], err[1024];

	if (backup_write(ar->st, ar->kr, ar->backup_dir, path, sizeof(path),
	    &m, err, sizeof(err)) == -1) {
		log_warnx("backup: %s", err);
		return -1;
	}
	log_info("backup %s: %llu records, %llu kv entries", path,
	    (unsigned long long)m.nrec, (unsigned long long)m.nkv);
	if (ar->verify_backups) {
		if (backup_verify(path, ar->kr, &vm, err, sizeof(err)) == -1) {
			log_warnx("backup %s: the restore drill failed: %s",
			    path, err);
			return -1;
		}
		log_info("backup %s: verified by a restore into a scratch "
		    "store", path);
	}
	if (backup_prune(ar->backup_dir, ar->backup_keep, err,
	    sizeof(err)) == -1)
		log_warnx("backup: pruning: %s", err);
	if (print)
		print_manifest("backup", path, &m, ar->verify_backups);
	return 0;
}

/* A failed command on the store: temporary if the store says it may pass. */
static int
failed(struct archiver *ar, const char *what, const char *err)
{
	log_errorx("%s: %s", what, err);
	return ar->st->temporary ? EX_TEMP : EX_PERM;
}

static int
x_consume(struct archiver *ar, char **argv)
{
	char err[1024];
	int rc;

	(void)argv;
	err[0] = '\0';
	if ((rc = consume_run(ar, err, sizeof(err))) != 0)
		log_errorx("%s", err[0] != '\0' ? err : "stopped");
	return rc;
}

static int
x_restore(struct archiver *ar, char **argv)
{
	struct backup_manifest m;
	char err[1024];

	(void)argv;
	if (backup_restore(restore_file, ar->kr, ar->st, ar->batch, &m,
	    err, sizeof(err)) == -1) {
		log_errorx("%s", err);
		return ar->st->temporary ? EX_TEMP : EX_PERM;
	}
	print_manifest("restored", restore_file, &m, 1);
	return 0;
}

static int
x_keygen(struct archiver *ar, char **argv)
{
	char err[1024];

	(void)ar;
	if (key_generate(argv[0], err, sizeof(err)) == -1)
		fatalx(EX_PERM, "keygen: %s", err);
	log_info("new data key in %s", argv[0]);
	return 0;
}

/* The drill needs no configured store. */
static int
x_verify(struct archiver *ar, char **argv)
{
	struct backup_manifest m;
	char err[1024];

	if (backup_verify(argv[0], ar->kr, &m, err, sizeof(err)) == -1)
		fatalx(EX_PERM, "%s", err);
	log_info("%s: verified: %llu records and %llu kv entries restored "
	    "and checked against the manifest", argv[0],
	    (unsigned long long)m.nrec, (unsigned long long)m.nkv);
	print_manifest("verified", argv[0], &m, 1);
	return 0;
}

static int
x_import(struct archiver *ar, char **argv)
{
	char err[1024];
	FILE *fp;
	int rc = 0, in = strcmp(argv[0], "-") == 0;

	if (in)
		fp = stdin;
	else if ((fp = fopen(argv[0], "r")) == NULL)
		fatal(EX_PERM, "%s", argv[0]);
	if (query_import(ar, fp, in ? "stdin" : argv[0], err,
	    sizeof(err)) == -1)
		rc = failed(ar, "import", err);
	if (fp != stdin)
		fclose(fp);
	return rc;
}

/* export, get and list: a closed pipe ends them quietly. */
static int
x_export(struct archiver *ar, char **argv)
{
	char err[1024];

	(void)argv;
	if (query_export(ar, stdout, err, sizeof(err)) == -1 && !query_epipe)
		return failed(ar, "export", err);
	return 0;
}

static int
x_get(struct archiver *ar, char **argv)
{
	char err[1024];

	if (query_get(ar, stdout, argv[0], argv[1], argv[2], err,
	    sizeof(err)) == -1 && !query_epipe)
		return failed(ar, "get", err);
	return 0;
}

static int
x_list(struct archiver *ar, char **argv)
{
	char err[1024];

	if (query_list(ar, stdout, ar->app->argc, argv, err,
	    sizeof(err)) == -1 && !query_epipe)
		return failed(ar, "list", err);
	return 0;
}

static int
x_count(struct archiver *ar, char **argv)
{
	uint64_t nrec, nkv;
	char err[1024];

	(void)argv;
	if (store_count(ar->st, &nrec, &nkv, err, sizeof(err)) == -1)
		return failed(ar, "count", err);
	printf("{\"records\":%llu,\"kv\":%llu}\n", (unsigned long long)nrec,
	    (unsigned long long)nkv);
	return 0;
}

static int
x_kv_put(struct archiver *ar, char **argv)
{
	char err[1024];

	if (query_kv_put(ar, argv[0], stdin, err, sizeof(err)) == -1)
		return failed(ar, "kv-put", err);
	return 0;
}

static int
x_kv_get(struct archiver *ar, char **argv)
{
	char err[1024];

	if (query_kv_get(ar, argv[0], stdout, err, sizeof(err)) == -1)
		return failed(ar, "kv-get", err);
	return 0;
}

static int
x_backup(struct archiver *ar, char **argv)
{
	(void)argv;
	if (archiver_backup(ar, 1) == -1)
		return ar->st->temporary ? EX_TEMP : EX_PERM;
	return 0;
}

int
main(int argc, char **argv)
{
	const struct xcmd *xc;
	struct app app;
	struct archiver ar;
	struct store_conf sc;
	char err[1024];
	int rc;

	app_init(&app, &spec, argc, argv);
	if (status_mode) {
		if (restore_file != NULL || command != NULL || app.argc > 0) {
			log_warnx("-s takes no -r, -x or operand");
			app_usage();
		}
		stfile_print(&app);
	}
	if (sodium_init() == -1)
		fatalx(EX_TEMP, "libsodium failed to initialise");
	xc = xcmd_pick(&app);
	memset(&ar, 0, sizeof(ar));
	ar.app = &app;
	if (xc->need & XF_KEYS)
		configure(&app, &ar, &sc);
	/* keygen reads no configuration: it runs under -n too. */
	if (app.check && xc->need != 0) {
		if ((xc->need & XF_BUS) &&
		    svc_check(&app, err, sizeof(err)) == -1)
			fatalx(EX_PERM, "%s", err);
		app_check_ok(&app);
	}
	if ((xc->need & XF_STORE) &&
	    (ar.st = store_open(&sc, err, sizeof(err))) == NULL)
		fatalx(EX_TEMP, "%s store: %s", sc.backend, err);

	rc = xc->run(&ar, app.argv);

	store_close(ar.st);
	keyring_free(ar.kr);
	cfg_free(app.cfg);
	if (fflush(stdout) == EOF && errno != EPIPE) {
		log_warn("stdout");
		if (rc == 0)
			rc = EX_TEMP;
	}
	return rc;
}

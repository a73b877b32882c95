/*
 * archiver: keeps every bus message encrypted at rest, answers data
 * requests, makes, verifies and restores backups.  See archiver(8).
 *
 * main() reads top to bottom: options and config -> keys -> store ->
 * the one thing asked for (consume, restore, or an -x command) -> close.
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
#include "svc.h"

static const char	*restore_file;
static const char	*command;

static int	opt(struct app *, int, const char *);
static void	load_keys(struct app *, struct keyring *);
static void	print_manifest(const char *, const char *,
		    const struct backup_manifest *, int);

static const struct app_spec spec = {
	"archiver",
	"[-r file | -x command [argument ...]]",
	"r:x:",
	"  -r file    restore a backup into the configured store\n"
	"  -x cmd     import FILE | export | get TOPIC PARTITION OFFSET |\n"
	"             list TOPIC [PARTITION [FROM [TO]]] | count |\n"
	"             kv-put NAME | kv-get NAME | backup | verify FILE |\n"
	"             keygen FILE\n",
	opt,
	0
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
	}
	return -1;
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

static void
need_args(int argc, int min, int max)
{
	if (argc < min || argc > max) {
		log_warnx("-x %s: wrong number of arguments", command);
		app_usage();
	}
}

int
main(int argc, char **argv)
{
	struct app app;
	struct archiver ar;
	struct store_conf sc;
	struct backup_manifest m;
	char err[1024];
	const char *fault;
	long long v;
	FILE *fp;
	int rc = 0;

	app_init(&app, &spec, argc, argv);
	if (sodium_init() == -1)
		fatalx(EX_BUG, "libsodium failed to initialise");
	if (restore_file != NULL && command != NULL) {
		log_warnx("-r and -x exclude each other");
		app_usage();
	}
	if (command == NULL && restore_file == NULL && app.argc > 0) {
		log_warnx("unexpected operand: %s", app.argv[0]);
		app_usage();
	}
	if (restore_file != NULL && app.argc > 0) {
		log_warnx("unexpected operand: %s", app.argv[0]);
		app_usage();
	}
	if (command != NULL && strcmp(command, "keygen") == 0) {
		need_args(app.argc, 1, 1);
		if (key_generate(app.argv[0], err, sizeof(err)) == -1)
			fatalx(EX_PERM, "keygen: %s", err);
		log_info("new data key in %s", app.argv[0]);
		cfg_free(app.cfg);
		return 0;
	}

	memset(&ar, 0, sizeof(ar));
	ar.app = &app;
	memset(&sc, 0, sizeof(sc));
	sc.backend = cfg_str(app.cfg, "archive", "backend");
	sc.path = cfg_str(app.cfg, "archive", "path");
	sc.conninfo = cfg_str(app.cfg, "archive", "conninfo");
	sc.segment_size = cfg_size(app.cfg, "archive", "segment_size");
	v = cfg_int(app.cfg, "archive", "batch_size");
	if (v < 1 || v > 1000000)
		fatalx(EX_PERM, "%s: batch_size: expected 1 to 1000000",
		    cfg_where(app.cfg, "archive", "batch_size"));
	ar.batch = (size_t)v;
	ar.backup_dir = cfg_str(app.cfg, "general", "backup_dir");
	ar.backup_keep = cfg_int(app.cfg, "archive", "backup_keep");
	ar.verify_backups = cfg_bool(app.cfg, "archive", "verify_backups");
	store_retry_ms = cfg_ms(app.cfg, "archive", "retry_timeout");
	if (strcmp(sc.backend, "file") != 0 &&
	    strcmp(sc.backend, "postgres") != 0)
		fatalx(EX_PERM, "%s: backend: expected file or postgres: "
		    "\"%s\"", cfg_where(app.cfg, "archive", "backend"),
		    sc.backend);
	if (strcmp(sc.backend, "postgres") == 0 && sc.conninfo[0] == '\0')
		fatalx(EX_PERM, "%s: conninfo: required by backend = postgres",
		    cfg_where(app.cfg, "archive", "conninfo"));
	if ((fault = getenv("ARCHIVER_FAULT_KILL_BATCH")) != NULL &&
	    cfg_parse_int(fault, &v) == 0)
		store_fault_batch = v;

	if ((ar.kr = keyring_new()) == NULL)
		fatalx(EX_BUG, "cannot allocate the keyring");
	load_keys(&app, ar.kr);
	if (app.check) {
		/* Consuming also needs the service key, [trust], [kafka]. */
		if (command == NULL && restore_file == NULL &&
		    svc_check(&app, err, sizeof(err)) == -1)
			fatalx(EX_PERM, "%s", err);
		app_check_ok(&app);
	}

	/* The drill needs no configured store. */
	if (command != NULL && strcmp(command, "verify") == 0) {
		need_args(app.argc, 1, 1);
		if (backup_verify(app.argv[0], ar.kr, &m, err,
		    sizeof(err)) == -1)
			fatalx(EX_PERM, "%s", err);
		log_info("%s: verified: %llu records and %llu kv entries "
		    "restored and checked against the manifest", app.argv[0],
		    (unsigned long long)m.nrec, (unsigned long long)m.nkv);
		print_manifest("verified", app.argv[0], &m, 1);
		keyring_free(ar.kr);
		cfg_free(app.cfg);
		return 0;
	}

	if ((ar.st = store_open(&sc, err, sizeof(err))) == NULL)
		fatalx(EX_TEMP, "%s store: %s", sc.backend, err);

	if (restore_file != NULL) {
		if (backup_restore(restore_file, ar.kr, ar.st, ar.batch, &m,
		    err, sizeof(err)) == -1) {
			rc = ar.st->temporary ? EX_TEMP : EX_PERM;
			log_errorx("%s", err);
		} else
			print_manifest("restored", restore_file, &m, 1);
	} else if (command == NULL) {
		err[0] = '\0';
		if ((rc = consume_run(&ar, err, sizeof(err))) != 0)
			log_errorx("%s", err[0] != '\0' ? err : "stopped");
	} else if (strcmp(command, "import") == 0) {
		need_args(app.argc, 1, 1);
		if (strcmp(app.argv[0], "-") == 0)
			fp = stdin;
		else if ((fp = fopen(app.argv[0], "r")) == NULL)
			fatal(EX_PERM, "%s", app.argv[0]);
		if (query_import(&ar, fp, strcmp(app.argv[0], "-") == 0 ?
		    "stdin" : app.argv[0], err, sizeof(err)) == -1) {
			log_errorx("import: %s", err);
			rc = ar.st->temporary ? EX_TEMP : EX_PERM;
		}
		if (fp != stdin)
			fclose(fp);
	} else if (strcmp(command, "export") == 0) {
		need_args(app.argc, 0, 0);
		if (query_export(&ar, stdout, err, sizeof(err)) == -1) {
			if (!query_epipe) {	/* a closed pipe ends quietly */
				log_errorx("export: %s", err);
				rc = ar.st->temporary ? EX_TEMP : EX_PERM;
			}
		}
	} else if (strcmp(command, "get") == 0) {
		need_args(app.argc, 3, 3);
		if (query_get(&ar, stdout, app.argv[0], app.argv[1],
		    app.argv[2], err, sizeof(err)) == -1) {
			if (!query_epipe) {	/* a closed pipe ends quietly */
				log_errorx("get: %s", err);
				rc = ar.st->temporary ? EX_TEMP : EX_PERM;
			}
		}
	} else if (strcmp(command, "list") == 0) {
		need_args(app.argc, 1, 4);
		if (query_list(&ar, stdout, app.argc, app.argv, err,
		    sizeof(err)) == -1) {
			if (!query_epipe) {	/* a closed pipe ends quietly */
				log_errorx("list: %s", err);
				rc = ar.st->temporary ? EX_TEMP : EX_PERM;
			}
		}
	} else if (strcmp(command, "count") == 0) {
		uint64_t nrec, nkv;

		need_args(app.argc, 0, 0);
		if (store_count(ar.st, &nrec, &nkv, err, sizeof(err)) == -1) {
			log_errorx("count: %s", err);
			rc = EX_TEMP;
		} else
			printf("{\"records\":%llu,\"kv\":%llu}\n",
			    (unsigned long long)nrec, (unsigned long long)nkv);
	} else if (strcmp(command, "kv-put") == 0) {
		need_args(app.argc, 1, 1);
		if (query_kv_put(&ar, app.argv[0], stdin, err,
		    sizeof(err)) == -1) {
			log_errorx("kv-put: %s", err);
			rc = ar.st->temporary ? EX_TEMP : EX_PERM;
		}
	} else if (strcmp(command, "kv-get") == 0) {
		need_args(app.argc, 1, 1);
		if (query_kv_get(&ar, app.argv[0], stdout, err,
		    sizeof(err)) == -1) {
			log_errorx("kv-get: %s", err);
			rc = ar.st->temporary ? EX_TEMP : EX_PERM;
		}
	} else if (strcmp(command, "backup") == 0) {
		need_args(app.argc, 0, 0);
		if (archiver_backup(&ar, 1) == -1)
			rc = ar.st->temporary ? EX_TEMP : EX_PERM;
	} else {
		log_warnx("unknown command -x %s", command);
		store_close(ar.st);
		app_usage();
	}
	store_close(ar.st);
	keyring_free(ar.kr);
	cfg_free(app.cfg);
	if (fflush(stdout) == EOF && errno != EPIPE)
		log_warn("stdout");
	return rc;
}

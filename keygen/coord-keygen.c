/*
 * coord-keygen: make the services' Ed25519 keys.
 *
 *	coord-keygen [-f file] [-p] PROG|PATH...
 *
 * For each operand writes a new key file (mode 0600; an existing file is
 * never overwritten): PROG means key_dir/PROG.key, the file that binary
 * loads; an operand with a '/' is a path.  Prints one [trust] line per key,
 * "service-id = public key", on stdout.  With -p, prints the lines for
 * existing key files instead.
 */
#include <limits.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "hex.h"
#include "app.h"
#include "cfg.h"
#include "envelope.h"
#include "log.h"

static int	 print_only;

static int	 opt(struct app *, int, const char *);

static int
opt(struct app *app, int ch, const char *arg)
{
	(void)app;
	(void)arg;
	if (ch != 'p')
		return -1;
	print_only = 1;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct app_spec spec = {
		.prog = "coord-keygen",
		.operands = "PROG|PATH...",
		.opts = "p",
		.optusage = "  -p         print the [trust] lines of existing "
		    "keys\n",
		.opt = opt,
	};
	struct app app;
	struct env_key k;
	unsigned char pk[ENV_PKLEN];
	char path[PATH_MAX], id[256], hex[2 * ENV_PKLEN + 1], err[1024];
	char *base, *dot, tmp[PATH_MAX];
	int i, rc = 0;

	app_init(&app, &spec, argc, argv);
	if (sodium_init() == -1)
		fatalx(EX_TEMP, "libsodium failed to initialise");
	if (app.check)
		app_check_ok(&app);
	if (app.argc == 0)
		app_usage();
	for (i = 0; i < app.argc; i++) {
		if (strchr(app.argv[i], '/') != NULL) {
			snprintf(path, sizeof(path), "%s", app.argv[i]);
			snprintf(tmp, sizeof(tmp), "%s", app.argv[i]);
			base = basename(tmp);
			if ((dot = strrchr(base, '.')) != NULL &&
			    strcmp(dot, ".key") == 0)
				*dot = '\0';
		} else {
			snprintf(path, sizeof(path), "%s/%s.key",
			    cfg_str(app.cfg, "general", "key_dir"),
			    app.argv[i]);
			base = app.argv[i];
		}
		snprintf(id, sizeof(id), "%s.%s",
		    cfg_str(app.cfg, "general", "name"), base);
		if (print_only) {
			if (env_key_load(path, id, &k, err, sizeof(err)) == -1) {
				log_warnx("%s", err);
				rc = EX_PERM;
				continue;
			}
			memcpy(pk, k.pk, sizeof(pk));
			env_key_wipe(&k);
		} else if (env_key_generate(path, pk, err, sizeof(err)) == -1) {
			log_warnx("%s", err);
			rc = EX_PERM;
			continue;
		} else
			log_info("wrote %s", path);
		hex_encode(pk, sizeof(pk), hex);
		printf("%s = %s\n", id, hex);
	}
	if (fflush(stdout) != 0)
		fatal(EX_TEMP, "stdout");
	return rc;
}

/*
 * coord-keygen: make the services' Ed25519 keys.
 *
 *	coord-keygen [-f file] [-p] PROG|PATH...
 *	coord-keygen [-f file] [-p] setup NAME
 *
 * For each operand writes a new key file (mode 0600; an existing file is
 * never overwritten): PROG means key_dir/PROG.key, the file that binary
 * loads; an operand with a '/' is a path.  Prints one [trust] line per key,
 * "service-id = public key", on stdout.  With -p, prints the lines for
 * existing key files instead.
 *
 * setup NAME makes all that validator NAME needs and is missing: key_dir
 * (mode 0700), the four services' keys, the libp2p identity and the
 * archive's data key, keeping every file that exists; then prints the
 * [trust] lines and the [validator NAME] section that every validator's
 * configuration needs (this one's included).  Run twice, it prints the
 * same.  NAME must be the configuration's [general] name.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
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

#define NAME_MAX_LEN	63

/* What setup makes, in order. */
enum kind { K_SERVICE, K_P2P, K_ARCHIVE };

struct item {
	enum kind	 kind;
	const char	*prog;		/* K_SERVICE */
	char		 path[PATH_MAX];
	int		 exists;
	unsigned char	 pk[ENV_PKLEN];	/* not for K_ARCHIVE */
};

static int	 print_only;

static int	 opt(struct app *, int, const char *);
static int	 keys(struct app *);
static int	 setup(struct app *);
static int	 name_ok(const char *);
static int	 dir_ok(const char *, const char *);
static int	 key_dir_make(const char *);
static void	 endpoint_check(const char *);

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

/* PROG|PATH...: one key each. */
static int
keys(struct app *app)
{
	struct env_key k;
	unsigned char pk[ENV_PKLEN];
	char path[PATH_MAX], id[256], hex[2 * ENV_PKLEN + 1], err[1024];
	char *base, *dot, tmp[PATH_MAX];
	int i, rc = 0;

	for (i = 0; i < app->argc; i++) {
		if (strchr(app->argv[i], '/') != NULL) {
			snprintf(path, sizeof(path), "%s", app->argv[i]);
			snprintf(tmp, sizeof(tmp), "%s", app->argv[i]);
			base = basename(tmp);
			if ((dot = strrchr(base, '.')) != NULL &&
			    strcmp(dot, ".key") == 0)
				*dot = '\0';
		} else {
			snprintf(path, sizeof(path), "%s/%s.key",
			    cfg_str(app->cfg, "general", "key_dir"),
			    app->argv[i]);
			base = app->argv[i];
		}
		snprintf(id, sizeof(id), "%s.%s",
		    cfg_str(app->cfg, "general", "name"), base);
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
	return rc;
}

/* A validator's name: it makes service ids (NAME.PROG) and a section
 * header ([validator NAME]), so letters, digits, '-' and '_' only. */
static int
name_ok(const char *s)
{
	size_t i;

	if (!isalnum((unsigned char)s[0]))
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_')
			return 0;
	return i <= NAME_MAX_LEN;
}

/* A file to make can be made: its folder is there, or is key_dir. */
static int
dir_ok(const char *path, const char *kd)
{
	struct stat st;
	char tmp[PATH_MAX], kdir[PATH_MAX], *d;
	size_t n;

	snprintf(tmp, sizeof(tmp), "%s", path);
	d = dirname(tmp);
	n = strlen(kd);
	while (n > 1 && kd[n - 1] == '/')
		n--;
	snprintf(kdir, sizeof(kdir), "%.*s", (int)n, kd);
	if (strcmp(d, kdir) == 0 || (stat(d, &st) == 0 && S_ISDIR(st.st_mode)))
		return 1;
	log_warnx("%s: no folder %s to make it in", path, d);
	return 0;
}

/* key_dir: made (mode 0700, parents 0755) unless it is there. */
static int
key_dir_make(const char *dir)
{
	struct stat st;
	char tmp[PATH_MAX], *p;

	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			log_warnx("key_dir %s: not a directory", dir);
			return -1;
		}
		if (st.st_mode & 077)
			log_warnx("key_dir %s is mode %04o: others can list "
			    "the keys (chmod 700 %s)", dir,
			    (unsigned)(st.st_mode & 07777), dir);
		return 0;
	}
	if (errno != ENOENT) {
		log_warn("key_dir %s", dir);
		return -1;
	}
	if (snprintf(tmp, sizeof(tmp), "%s", dir) >= (int)sizeof(tmp)) {
		log_warnx("key_dir %s: path too long", dir);
		return -1;
	}
	for (p = tmp + strlen(tmp) - 1; p > tmp && *p == '/'; p--)
		*p = '\0';
	for (p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) == -1 && errno != EEXIST) {
			log_warn("mkdir %s", tmp);
			return -1;
		}
		*p = '/';
	}
	if (mkdir(tmp, 0700) == -1 || chmod(tmp, 0700) == -1) {
		log_warn("mkdir %s", tmp);
		return -1;
	}
	log_info("made %s (mode 0700)", dir);
	return 0;
}

/* The endpoint printed is [connection] listen: say when the others
 * cannot dial it as it is. */
static void
endpoint_check(const char *ep)
{
	if (ep[0] == '\0')
		log_warnx("[connection] listen is empty: the connector takes "
		    "no connections and the section has no endpoint");
	else if (strncmp(ep, "/ip4/0.0.0.0/", 13) == 0 ||
	    strncmp(ep, "/ip6/::/", 8) == 0)
		log_warnx("endpoint %s: the others cannot dial a wildcard "
		    "address: give them this machine's address instead", ep);
	else if (strncmp(ep, "/ip4/127.", 9) == 0 ||
	    strncmp(ep, "/ip6/::1/", 9) == 0)
		log_warnx("endpoint %s: a loopback address, reachable from "
		    "this machine only (set [connection] listen)", ep);
}

static int
setup(struct app *app)
{
	static const char *progs[] = {
		"observer", "connector", "signer", "archiver"
	};
	struct item it[6];
	struct env_key k;
	struct stat st;
	const size_t nit = sizeof(it) / sizeof(it[0]);
	const char *name, *kd, *f, *ep;
	unsigned char seed[32], sk[ENV_SKLEN];
	char id[256], hex[2 * ENV_PKLEN + 1], err[1024];
	size_t i;
	int bad = 0;

	if (app->argc != 2)
		app_usage();
	name = cfg_str(app->cfg, "general", "name");
	if (!name_ok(app->argv[1]))
		fatalx(EX_PERM, "setup: bad NAME \"%s\": 1 to %d letters, "
		    "digits, '-' or '_', starting with a letter or digit",
		    app->argv[1], NAME_MAX_LEN);
	if (strcmp(app->argv[1], name) != 0)
		fatalx(EX_PERM, "setup %s: the configuration names this "
		    "validator \"%s\" (%s): set name = %s in [general]%s%s",
		    app->argv[1], name, cfg_where(app->cfg, "general", "name"),
		    app->argv[1], app->cfgfile != NULL ? " of " : "",
		    app->cfgfile != NULL ? app->cfgfile : "");
	if (!name_ok(name))
		fatalx(EX_PERM, "%s: [general] name \"%s\": 1 to %d letters, "
		    "digits, '-' or '_'", cfg_where(app->cfg, "general",
		    "name"), name, NAME_MAX_LEN);
	kd = cfg_str(app->cfg, "general", "key_dir");

	memset(it, 0, sizeof(it));
	for (i = 0; i < 4; i++) {
		it[i].kind = K_SERVICE;
		it[i].prog = progs[i];
		snprintf(it[i].path, sizeof(it[i].path), "%s/%s.key", kd,
		    progs[i]);
	}
	it[4].kind = K_P2P;
	f = cfg_str(app->cfg, "connection", "identity_key");
	if (f[0] != '\0')
		snprintf(it[4].path, sizeof(it[4].path), "%s", f);
	else
		snprintf(it[4].path, sizeof(it[4].path), "%s/p2p.key", kd);
	it[5].kind = K_ARCHIVE;
	f = cfg_str(app->cfg, "archive", "key_file");
	if (f[0] != '\0')
		snprintf(it[5].path, sizeof(it[5].path), "%s", f);
	else
		snprintf(it[5].path, sizeof(it[5].path), "%s/archive.key", kd);

	/* First every file that is there, read and checked: a bad one
	 * stops setup before it writes anything. */
	for (i = 0; i < nit; i++) {
		if (lstat(it[i].path, &st) == -1) {
			if (errno == ENOENT && !print_only) {
				if (!dir_ok(it[i].path, kd))
					bad = 1;
				continue;
			}
			log_warn("%s", it[i].path);
			bad = 1;
			continue;
		}
		it[i].exists = 1;
		snprintf(id, sizeof(id), "%s.%s", name,
		    it[i].kind == K_SERVICE ? it[i].prog : "p2p");
		if (it[i].kind == K_SERVICE) {
			if (env_key_load(it[i].path, id, &k, err,
			    sizeof(err)) == -1) {
				log_warnx("%s", err);
				bad = 1;
				continue;
			}
			memcpy(it[i].pk, k.pk, ENV_PKLEN);
			env_key_wipe(&k);
		} else if (cfg_key32_read(it[i].path, seed, err,
		    sizeof(err)) == -1) {
			log_warnx("%s", err);
			bad = 1;
			continue;
		} else if (it[i].kind == K_P2P)
			crypto_sign_seed_keypair(it[i].pk, sk, seed);
		else if (sodium_is_zero(seed, sizeof(seed))) {
			log_warnx("%s: the key is all zeroes", it[i].path);
			bad = 1;
		}
		sodium_memzero(seed, sizeof(seed));
		sodium_memzero(sk, sizeof(sk));
	}
	if (bad)
		fatalx(EX_PERM, "setup: nothing written; fix the above, or "
		    "move the file away to have a new key made");

	/* Then what is missing. */
	if (!print_only && key_dir_make(kd) == -1)
		fatalx(EX_PERM, "setup: cannot make key_dir %s", kd);
	for (i = 0; i < nit; i++) {
		if (it[i].exists) {
			if (!print_only)
				log_info("kept %s", it[i].path);
			continue;
		}
		/*
		 * An archive key is 32 random bytes in hex, like a seed:
		 * the same writer (mode 0600, never over a file).
		 */
		if (env_key_generate(it[i].path, it[i].pk, err,
		    sizeof(err)) == -1)
			fatalx(EX_PERM, "setup: %s", err);
		log_info("wrote %s", it[i].path);
	}

	printf("; validator %s: for every validator's configuration, "
	    "this one's too\n[trust]\n", name);
	for (i = 0; i < nit; i++) {
		if (it[i].kind != K_SERVICE)
			continue;
		hex_encode(it[i].pk, ENV_PKLEN, hex);
		printf("%s.%s = %s\n", name, it[i].prog, hex);
	}
	hex_encode(it[4].pk, ENV_PKLEN, hex);
	printf("\n[validator %s]\npublic_key = %s\n", name, hex);
	ep = cfg_str(app->cfg, "connection", "listen");
	endpoint_check(ep);
	if (ep[0] != '\0')
		printf("endpoint = %s\n", ep);
	printf("; chain_key = its key in the chain's validator sets "
	    "(default: public_key)\n");
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct app_spec spec = {
		.prog = "coord-keygen",
		.operands = "PROG|PATH... | setup NAME",
		.opts = "p",
		.optusage = "  -p         print the [trust] lines of existing "
		    "keys\n",
		.opt = opt,
		.common = "fnvqhV",
	};
	struct app app;
	int rc;

	app_init(&app, &spec, argc, argv);
	if (sodium_init() == -1)
		fatalx(EX_TEMP, "libsodium failed to initialise");
	if (app.check)
		app_check_ok(&app);
	if (app.argc == 0)
		app_usage();
	if (strcmp(app.argv[0], "setup") == 0)
		rc = setup(&app);
	else
		rc = keys(&app);
	if (fflush(stdout) != 0)
		fatal(EX_TEMP, "stdout");
	return rc;
}

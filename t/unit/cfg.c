/* Unit tests for libcommon/cfg: parsing, types, errors naming file:line. */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hex.h"
#include "cfg.h"
#include "t/tap.h"

static char path[512];

static struct cfg *
load(const char *text, char *err, size_t errlen)
{
	FILE *fp;

	snprintf(path, sizeof(path), "%s/c.ini", tap_tmpdir());
	if ((fp = fopen(path, "w")) == NULL) {
		perror(path);
		exit(1);
	}
	fputs(text, fp);
	fclose(fp);
	err[0] = '\0';
	return cfg_load(path, err, errlen);
}

/* The error must start with "path:line: " and contain what. */
static void
bad(const char *text, int line, const char *what)
{
	char err[1024], want[600];
	struct cfg *c;

	c = load(text, err, sizeof(err));
	ok(c == NULL, "rejected: %s", what);
	cfg_free(c);
	snprintf(want, sizeof(want), "%s:%d: ", path, line);
	if (!ok(strncmp(err, want, strlen(want)) == 0 &&
	    strstr(err, what) != NULL, "error names %s:%d and says \"%s\"",
	    "c.ini", line, what))
		diag("got: %s", err);
}

int
main(void)
{
	struct cfg *c;
	const struct cfg_sect *s;
	char err[1024], *words[8], secret[64];
	unsigned char key[32];
	long long ms;
	unsigned long long sz;
	size_t n, len;
	FILE *fp;

	/* A good file, with comments, named sections and every type. */
	c = load("; comment\n"
	    "[general]\n"
	    "name = alice   ; inline comment\n"
	    "heartbeat_interval = 500ms\n"
	    "max_message_size = 64KiB\n"
	    "\n"
	    "[kafka]\n"
	    "bootstrap.servers = 127.0.0.1:1\n"
	    "[validator bob]\n"
	    "public_key = abc\n"
	    "weight = 3\n"
	    "[validator carol]\n"
	    "weight = 5\n"
	    "[observation]\n"
	    "events = A.B, C.D ,E.F\n", err, sizeof(err));
	if (!ok(c != NULL, "good file loads"))
		diag("%s", err);
	if (c == NULL)
		return done_testing();
	is_str(cfg_str(c, "general", "name"), "alice", "string value");
	is_int(cfg_ms(c, "general", "heartbeat_interval"), 500, "duration");
	is_int(cfg_size(c, "general", "max_message_size"), 65536, "size");
	is_str(cfg_str(c, "general", "log_level"), "info", "default value");
	is_int(cfg_ms(c, "observation", "polling_interval"), 6000,
	    "default duration");
	is_int(cfg_line(c, "general", "name"), 3, "line of a key");
	is_int(cfg_line(c, "general", "log_level"), 0, "line 0: default");
	is_str(cfg_str(c, "kafka", "bootstrap.servers"), "127.0.0.1:1",
	    "free section passes keys through");
	s = cfg_next(c, "validator", NULL);
	ok(s != NULL && strcmp(s->name, "bob") == 0, "first named section");
	is_int(cfg_sect_int(s, "weight"), 3, "named section value");
	s = cfg_next(c, "validator", s);
	ok(s != NULL && strcmp(s->name, "carol") == 0, "second named section");
	is_str(cfg_sect_str(s, "endpoint"), NULL, "no default: NULL");
	ok(cfg_next(c, "validator", s) == NULL, "no third");
	n = cfg_list(cfg_str(c, "observation", "events"), words, 8);
	is_int(n, 3, "list of three");
	is_str(n == 3 ? words[1] : NULL, "C.D", "list item trimmed");
	cfg_list_free(words, n);
	cfg_free(c);

	/* No line length limit (inih's Debian build stops at 199). */
	{
		char text[4200], *v;

		strcpy(text, "[archive]\nconninfo = ");
		v = text + strlen(text);
		memset(v, 'x', 4000);
		strcpy(v + 4000, "\n[general]\nname = after\n");
		c = load(text, err, sizeof(err));
		ok(c != NULL && strlen(cfg_str(c, "archive", "conninfo")) ==
		    4000 && strcmp(cfg_str(c, "general", "name"), "after") == 0,
		    "a 4000-character value, and the line after it");
		cfg_free(c);
	}

	/* Built-in defaults only. */
	c = cfg_load(NULL, err, sizeof(err));
	ok(c != NULL && strcmp(cfg_str(c, "topics", "signing"), "signing") ==
	    0, "no file: defaults");
	is_str(c != NULL ? cfg_str(c, "general", "key_dir") : NULL, "keys",
	    "no file: a relative path default stays relative (the cwd)");
	cfg_free(c);

	/* Paths (issue 13): relative ones, written or default, are made
	 * absolute against the file's folder; the file's path here is
	 * relative (t/tmp/unit.X/c.ini), so its folder is cwd/t/tmp/unit.X. */
	{
		char cwd[512], dir[600], want[1400];

		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return done_testing();
		snprintf(dir, sizeof(dir), "%s/%s", cwd, tap_tmpdir());
		c = load("[general]\nkey_dir = k\nrun_dir = ./r\n"
		    "metrics_dir =\nbackup_dir = /abs/b\n"
		    "[archive]\nold_key_files = o1.key, /abs/o2.key,../o3.key\n"
		    "[connection]\nidentity_key = id/p2p.key\n"
		    "[observation]\nrpc_endpoint = x/y\n", err, sizeof(err));
		if (!ok(c != NULL, "a file with paths loads"))
			diag("%s", err);
		if (c == NULL)
			return done_testing();
		snprintf(want, sizeof(want), "%s/k", dir);
		is_str(cfg_str(c, "general", "key_dir"), want,
		    "relative key_dir: in the file's folder");
		snprintf(want, sizeof(want), "%s/r", dir);
		is_str(cfg_str(c, "general", "run_dir"), want,
		    "./r: in the file's folder, without the ./");
		is_str(cfg_str(c, "general", "metrics_dir"), "",
		    "an empty path stays empty");
		is_str(cfg_str(c, "general", "backup_dir"), "/abs/b",
		    "an absolute path is kept");
		snprintf(want, sizeof(want), "%s/id/p2p.key", dir);
		is_str(cfg_str(c, "connection", "identity_key"), want,
		    "identity_key resolved");
		snprintf(want, sizeof(want),
		    "%s/o1.key, /abs/o2.key, %s/../o3.key", dir, dir);
		is_str(cfg_str(c, "archive", "old_key_files"), want,
		    "a path list: each relative path resolved");
		snprintf(want, sizeof(want), "%s/archive", dir);
		is_str(cfg_str(c, "archive", "path"), want,
		    "a relative default (archive) resolved too");
		is_str(cfg_str(c, "archive", "key_file"), "",
		    "an empty default stays empty");
		is_str(cfg_str(c, "observation", "rpc_endpoint"), "x/y",
		    "a string that is not a path is left alone");
		is_int(cfg_line(c, "archive", "path"), 0,
		    "a resolved default is still a default (line 0)");
		cfg_free(c);
	}

	/* Errors name file:line and the problem. */
	bad("[general]\nname = a\n[nosuch]\nx = 1\n", 3,
	    "unknown section [nosuch]");
	bad("[general]\nnmae = a\n", 2, "unknown key \"nmae\" in [general]");
	bad("[general]\nheartbeat_interval = 10\n", 2, "not a duration");
	bad("[general]\nheartbeat_interval = fast\n", 2, "not a duration");
	bad("[general]\ndedupe_window = lots\n", 2, "not an integer");
	bad("[general]\nmax_message_size = 1TB\n", 2, "not a size");
	bad("[general]\nname = a\nname = b\n", 3,
	    "duplicate key \"name\" (first at line 2)");
	bad("[validator]\nweight = 1\n", 1, "needs a name");
	bad("[general x]\nname = 1\n", 1, "takes no name");
	bad("name = a\n", 1, "outside of any section");
	bad("[trust]\nalice.observer = 1234\n", 2, "not 32 bytes of hex");
	bad("[general]\nname = a\nthis line has no equals\n", 3,
	    "syntax error (expected [section] or key = value): \"this line");
	c = cfg_load("/nonexistent/c.ini", err, sizeof(err));
	ok(c == NULL && strstr(err, "/nonexistent/c.ini: No such file") !=
	    NULL, "missing file named");

	/* Value parsers. */
	ok(cfg_parse_dur("1.5s", &ms) == 0 && ms == 1500, "1.5s");
	ok(cfg_parse_dur("2h", &ms) == 0 && ms == 7200000, "2h");
	ok(cfg_parse_dur("0", &ms) == 0 && ms == 0, "bare 0");
	ok(cfg_parse_dur("-1s", &ms) == -1, "negative refused");
	ok(cfg_parse_size("1GiB", &sz) == 0 && sz == 1ULL << 30, "1GiB");
	ok(cfg_parse_size("99999999999999999999", &sz) == -1, "overflow");
	ok(hex_decode("0x" "00112233445566778899aabbccddeeff"
	    "00112233445566778899AABBCCDDEEFF", key, 32) == 0 &&
	    key[31] == 0xff && key[1] == 0x11, "hex with 0x, mixed case");

	/* Secret files: mode 0600 or refused. */
	snprintf(path, sizeof(path), "%s/secret", tap_tmpdir());
	fp = fopen(path, "w");
	fputs("s3cret\n", fp);
	fclose(fp);
	chmod(path, 0644);
	len = sizeof(secret);
	ok(cfg_secret_read(path, secret, &len, err, sizeof(err)) == -1 &&
	    strstr(err, "mode 0644") != NULL && strstr(err, "0600") != NULL,
	    "0644 secret refused with the reason");
	chmod(path, 0600);
	len = sizeof(secret);
	ok(cfg_secret_read(path, secret, &len, err, sizeof(err)) == 0 &&
	    len == 7 && memcmp(secret, "s3cret\n", 7) == 0, "0600 secret read");
	len = 3;
	ok(cfg_secret_read(path, secret, &len, err, sizeof(err)) == -1 &&
	    strstr(err, "too large") != NULL, "oversized secret refused");
	return done_testing();
}

/* arch_backup: backup files, restore and the drill (archiver/backup.c). */
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "archiver/backup.h"
#include "log.h"
#include "t/tap.h"

static struct keyring *kr;

static struct store *
open_store(const char *dir)
{
	struct store_conf sc;
	char err[512];

	memset(&sc, 0, sizeof(sc));
	sc.backend = "file";
	sc.path = dir;
	return store_open(&sc, err, sizeof(err));
}

static void
fill(struct store *st, int n)
{
	static uint8_t cts[200][80];
	struct rec recs[200];
	struct kv k;
	uint8_t kct[64];
	char body[64], err[256];
	size_t added;
	int i;

	for (i = 0; i < n; i++) {
		memset(&recs[i], 0, sizeof(recs[i]));
		snprintf(recs[i].topic, sizeof(recs[i].topic), "topic-%d",
		    i % 4);
		recs[i].partition = i % 2;
		recs[i].offset = i;
		recs[i].type = i;
		snprintf(recs[i].sender, sizeof(recs[i].sender), "s%d", i);
		recs[i].time = i * 1000;
		snprintf(body, sizeof(body), "PLAINTEXT-MARKER body %d", i);
		rec_seal(&recs[i], kr, (uint8_t *)body, strlen(body), cts[i]);
	}
	store_put_batch(st, recs, n, &added, err, sizeof(err));
	memset(&k, 0, sizeof(k));
	snprintf(k.name, sizeof(k.name), "kv-a");
	k.time = 5;
	kv_seal(&k, kr, (const uint8_t *)"PLAINTEXT-MARKER kv", 19, kct);
	store_kv_put(st, &k, err, sizeof(err));
}

static uint8_t *
slurp(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *p;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1 || fstat(fd, &st) == -1)
		abort();
	p = malloc(st.st_size + 1);
	if (read(fd, p, st.st_size) != st.st_size)
		abort();
	close(fd);
	*len = st.st_size;
	return p;
}

static void
spit(const char *path, const uint8_t *p, size_t len)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || write(fd, p, len) != (ssize_t)len)
		abort();
	close(fd);
}

static int
check(const char *path, char *err, size_t errlen)
{
	struct backup_manifest m;
	int fd, rc;

	fd = open(path, O_RDONLY);
	rc = backup_read_fd(fd, kr, NULL, NULL, NULL, &m, err, errlen);
	close(fd);
	return rc;
}

static int
count_backups(const char *dir)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "archive-", 8) == 0)
			n++;
	closedir(d);
	return n;
}

int
main(void)
{
	const char *tmp = tap_tmpdir();
	char sdir[512], bdir[512], path[PATH_MAX], path2[PATH_MAX];
	char bad[PATH_MAX + 8], rdir[512], err[1024];
	struct backup_manifest m, m2, vm;
	struct keyring *other;
	struct store *st, *st2;
	uint8_t key[32], *buf, *buf2;
	uint64_t nrec, nkv;
	size_t len, len2, i;
	int refused, j;

	log_init("arch_backup", LOG_LVL_ERROR);
	if (sodium_init() == -1)
		return 1;
	kr = keyring_new();
	randombytes_buf(key, sizeof(key));
	keyring_add(kr, key, err, sizeof(err));
	snprintf(sdir, sizeof(sdir), "%s/store", tmp);
	snprintf(bdir, sizeof(bdir), "%s/backups", tmp);
	snprintf(bad, sizeof(bad), "%s/bad.scab", tmp);

	st = open_store(sdir);
	fill(st, 150);
	ok(backup_write(st, kr, bdir, path, sizeof(path), &m, err,
	    sizeof(err)) == 0, "a backup is written (%s)", err);
	ok(m.nrec == 150 && m.nkv == 1, "manifest: 150 records, 1 kv");
	buf = slurp(path, &len);
	ok(memmem(buf, len, "PLAINTEXT", 9) == NULL &&
	    memmem(buf, len, "topic-", 6) == NULL,
	    "the backup shows neither bodies nor metadata");
	ok(check(path, err, sizeof(err)) == 0, "it reads back");
	ok(backup_verify(path, kr, &vm, err, sizeof(err)) == 0 &&
	    memcmp(vm.chain, m.chain, 32) == 0, "the drill passes (%s)", err);

	/* Restore into a fresh store, then back up again: same chain. */
	snprintf(rdir, sizeof(rdir), "%s/restored", tmp);
	st2 = open_store(rdir);
	ok(backup_restore(path, kr, st2, 7, &m2, err, sizeof(err)) == 0,
	    "restore into a new store");
	store_count(st2, &nrec, &nkv, err, sizeof(err));
	ok(nrec == 150 && nkv == 1, "all restored");
	ok(backup_restore(path, kr, st2, 7, &m2, err, sizeof(err)) == 0 &&
	    (store_count(st2, &nrec, &nkv, err, sizeof(err)), nrec == 150),
	    "restoring twice doubles nothing");
	ok(backup_write(st2, kr, bdir, path2, sizeof(path2), &m2, err,
	    sizeof(err)) == 0 && memcmp(m2.chain, m.chain, 32) == 0 &&
	    m2.nbytes == m.nbytes, "a backup of the restored store has the "
	    "same chain");
	store_close(st2);

	/* Every truncation is refused. */
	refused = 0;
	for (i = 0; i < len; i += (i < 200 ? 1 : 97)) {
		spit(bad, buf, i);
		if (check(bad, err, sizeof(err)) == -1)
			refused++;
		else
			diag("truncation at %zu accepted", i);
	}
	spit(bad, buf, len - 1);
	refused += check(bad, err, sizeof(err)) == -1;
	ok(refused == (int)((len - 200 + 96) / 97 + 200 + 1),
	    "every truncation is refused (last: %s)", err);

	/* Every single bit flip we try is refused. */
	refused = 0;
	for (j = 0, i = 0; i < len; i += (i < 128 ? 1 : 61), j++) {
		buf[i] ^= 1 << (j % 8);
		spit(bad, buf, len);
		buf[i] ^= 1 << (j % 8);
		if (check(bad, err, sizeof(err)) == -1)
			refused++;
		else
			diag("flip at %zu accepted", i);
	}
	ok(refused == j, "all %d bit flips are refused", j);
	buf2 = malloc(len + 1);
	memcpy(buf2, buf, len);
	buf2[len] = 0;
	spit(bad, buf2, len + 1);
	ok(check(bad, err, sizeof(err)) == -1 && strstr(err, "trailing"),
	    "trailing data is refused: %s", err);
	free(buf2);
	spit(bad, buf, len);
	ok(check(bad, err, sizeof(err)) == 0, "the unaltered copy reads");

	/* A replaced file: another backup's chunks under this header. */
	buf2 = slurp(path2, &len2);
	memcpy(buf2, buf, 64);
	spit(bad, buf2, len2);
	ok(check(bad, err, sizeof(err)) == -1 && strstr(err,
	    "authentication failed"), "another backup's body under this "
	    "header is refused: %s", err);
	memcpy(buf2 + 64, buf + 64, len2 - 64 < len - 64 ? len2 - 64 :
	    len - 64);
	ok(check(bad, err, sizeof(err)) == -1, "a splice is refused");
	free(buf2);

	/* Another key. */
	other = keyring_new();
	randombytes_buf(key, sizeof(key));
	keyring_add(other, key, err, sizeof(err));
	{
		int fd = open(path, O_RDONLY);

		ok(backup_read_fd(fd, other, NULL, NULL, NULL, &m2, err,
		    sizeof(err)) == -1 && strstr(err, "not in the keyring"),
		    "a wrong key is refused: %s", err);
		close(fd);
	}
	/* The header forged to name the other key: authentication fails. */
	memcpy(buf + 16, other->k[0].id, 8);
	spit(bad, buf, len);
	{
		int fd = open(bad, O_RDONLY);

		ok(backup_read_fd(fd, other, NULL, NULL, NULL, &m2, err,
		    sizeof(err)) == -1 && strstr(err, "authentication"),
		    "a header naming another key does not help: %s", err);
		close(fd);
	}
	free(buf);

	/* A refused restore changes nothing. */
	snprintf(rdir, sizeof(rdir), "%s/untouched", tmp);
	st2 = open_store(rdir);
	ok(backup_restore(bad, kr, st2, 7, &m2, err, sizeof(err)) == -1 &&
	    (store_count(st2, &nrec, &nkv, err, sizeof(err)), nrec == 0),
	    "a refused restore stores nothing");
	store_close(st2);

	/* Retention. */
	for (j = 0; j < 4; j++)
		backup_write(st, kr, bdir, path, sizeof(path), &m, err,
		    sizeof(err));
	is_int(count_backups(bdir), 6, "six backups written");
	ok(backup_prune(bdir, 3, err, sizeof(err)) == 0 &&
	    count_backups(bdir) == 3, "pruned to the newest three");
	ok(check(path, err, sizeof(err)) == 0, "the newest one is kept");

	store_close(st);
	keyring_free(kr);
	keyring_free(other);
	return done_testing();
}

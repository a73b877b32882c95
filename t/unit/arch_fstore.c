/* arch_fstore: the file store (archiver/store_file.c). */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "archiver/key.h"
#include "archiver/store.h"
#include "log.h"
#include "t/tap.h"

static struct keyring *kr;
static uint8_t cts[64][64];

static void
mkrec(struct rec *r, int i, const char *topic, uint8_t *ct)
{
	char body[32];

	memset(r, 0, sizeof(*r));
	snprintf(r->topic, sizeof(r->topic), "%s", topic);
	r->partition = i % 3;
	r->offset = i;
	r->type = 7;
	snprintf(r->sender, sizeof(r->sender), "test.sender");
	r->time = 1000 + i;
	snprintf(body, sizeof(body), "body %d", i);
	rec_seal(r, kr, (uint8_t *)body, strlen(body), ct);
}

struct walk {
	struct rec	 prev;
	int		 n;
	int		 ordered;
};

static int
walk_cb(void *arg, const struct rec *r)
{
	struct walk *w = arg;
	uint8_t out[64];
	char err[256];

	if (w->n > 0 && rec_cmp(&w->prev, r) >= 0)
		w->ordered = 0;
	if (rec_open(r, kr, out, err, sizeof(err)) == -1)
		w->ordered = 0;
	w->prev = *r;
	w->n++;
	return 0;
}

static struct store *
open_store(const char *dir, unsigned long long segsize, char *err,
    size_t errlen)
{
	struct store_conf sc;

	memset(&sc, 0, sizeof(sc));
	sc.backend = "file";
	sc.path = dir;
	sc.segment_size = segsize;
	return store_open(&sc, err, errlen);
}

static long long
fsize(const char *path)
{
	struct stat st;

	return stat(path, &st) == -1 ? -1 : (long long)st.st_size;
}

int
main(void)
{
	char dir[512], seg[600], err[512];
	struct rec recs[64], r;
	struct store *st, *st2;
	struct walk w;
	struct kv k;
	uint64_t nrec, nkv;
	uint8_t key[32], kct[64], byte, buf[16];
	size_t added;
	long long sz;
	int found, fd, torn, i;

	log_init("arch_fstore", LOG_LVL_ERROR);
	if (sodium_init() == -1)
		return 1;
	kr = keyring_new();
	randombytes_buf(key, sizeof(key));
	keyring_add(kr, key, err, sizeof(err));
	snprintf(dir, sizeof(dir), "%s/store", tap_tmpdir());
	snprintf(seg, sizeof(seg), "%s/seg-00000001.dat", dir);

	st = open_store(dir, 0, err, sizeof(err));
	ok(st != NULL, "a new store opens (%s)", st == NULL ? err : "ok");
	ok((st2 = open_store(dir, 0, err, sizeof(err))) == NULL &&
	    strstr(err, "in use") != NULL, "a second opener is refused: %s",
	    err);
	for (i = 0; i < 20; i++)
		mkrec(&recs[i], i, i % 2 ? "b-topic" : "a-topic", cts[i]);
	recs[20] = recs[3];		/* a duplicate inside the batch */
	ok(store_put_batch(st, recs, 21, &added, err, sizeof(err)) == 0,
	    "a batch is stored");
	is_int(added, 20, "duplicates inside a batch are stored once");
	ok(store_put_batch(st, recs, 20, &added, err, sizeof(err)) == 0 &&
	    added == 0, "a replayed batch adds nothing");
	store_count(st, &nrec, &nkv, err, sizeof(err));
	is_int(nrec, 20, "count");
	ok(store_get(st, "b-topic", 1 % 3, 1, &r, &found, err, sizeof(err)) ==
	    0 && found && r.ctlen == recs[1].ctlen &&
	    memcmp(r.ct, recs[1].ct, r.ctlen) == 0, "get finds a record");
	rec_clear(&r);
	ok(store_get(st, "b-topic", 0, 1, &r, &found, err, sizeof(err)) == 0 &&
	    !found, "get of a missing record finds nothing");

	memset(&k, 0, sizeof(k));
	snprintf(k.name, sizeof(k.name), "kv-one");
	k.time = 1;
	kv_seal(&k, kr, (const uint8_t *)"v1", 2, kct);
	ok(store_kv_put(st, &k, err, sizeof(err)) == 0, "kv put");
	k.time = 2;
	kv_seal(&k, kr, (const uint8_t *)"v2!", 3, kct);
	ok(store_kv_put(st, &k, err, sizeof(err)) == 0, "kv put replaces");
	store_close(st);

	/* Reopen: the index is rebuilt from the segments. */
	st = open_store(dir, 0, err, sizeof(err));
	ok(st != NULL, "reopens");
	store_count(st, &nrec, &nkv, err, sizeof(err));
	ok(nrec == 20 && nkv == 1, "after reopen: 20 records, 1 kv entry");
	ok(store_kv_get(st, "kv-one", &k, &found, err, sizeof(err)) == 0 &&
	    found && k.time == 2 && k.ctlen == 3 + REC_TAG_LEN,
	    "the last kv put wins after reopen");
	kv_clear(&k);
	memset(&w, 0, sizeof(w));
	w.ordered = 1;
	ok(store_iterate(st, walk_cb, &w, err, sizeof(err)) == 0 &&
	    w.n == 20 && w.ordered, "iterate: all, in order, all open");
	store_close(st);

	/* A torn last record: cut the file inside the last frame. */
	sz = fsize(seg);
	ok(truncate(seg, sz - 5) == 0, "cut 5 bytes off the segment");
	st = open_store(dir, 0, err, sizeof(err));
	ok(st != NULL, "a torn last record does not stop the open");
	store_count(st, &nrec, &nkv, err, sizeof(err));
	ok(nrec == 20 && nkv == 1 && fsize(seg) < sz - 5,
	    "the torn kv frame was cut off (%llu records, %llu kv)",
	    (unsigned long long)nrec, (unsigned long long)nkv);
	ok(store_kv_get(st, "kv-one", &k, &found, err, sizeof(err)) == 0 &&
	    found && k.time == 1, "the previous kv value is back");
	kv_clear(&k);
	/* A torn record frame: a prefix of one more batch. */
	mkrec(&recs[21], 21, "a-topic", cts[21]);
	ok(store_put_batch(st, &recs[21], 1, &added, err, sizeof(err)) == 0 &&
	    added == 1, "store one more");
	store_close(st);
	sz = fsize(seg);
	truncate(seg, sz - 30);
	st = open_store(dir, 0, err, sizeof(err));
	store_count(st, &nrec, &nkv, err, sizeof(err));
	is_int(nrec, 20, "the torn record is gone");
	ok(store_put_batch(st, &recs[21], 1, &added, err, sizeof(err)) == 0 &&
	    added == 1, "and a replay stores it again");
	store_close(st);

	/* A zero-filled tail (a crash with delayed allocation). */
	fd = open(seg, O_WRONLY | O_APPEND);
	memset(buf, 0, sizeof(buf));
	write(fd, buf, sizeof(buf));
	close(fd);
	st = open_store(dir, 0, err, sizeof(err));
	store_count(st, &nrec, &nkv, err, sizeof(err));
	ok(st != NULL && nrec == 21, "a zero-filled tail is cut off");
	store_close(st);

	/* Corruption in the middle is refused, not skipped. */
	fd = open(seg, O_RDWR);
	pread(fd, &byte, 1, 200);
	byte ^= 0x10;
	pwrite(fd, &byte, 1, 200);
	ok((st = open_store(dir, 0, err, sizeof(err))) == NULL &&
	    strstr(err, "corrupt") != NULL, "a flipped bit is refused: %s",
	    err);
	byte ^= 0x10;
	pwrite(fd, &byte, 1, 200);
	close(fd);

	/* Small segments: a new one at each batch boundary once full. */
	snprintf(dir, sizeof(dir), "%s/small", tap_tmpdir());
	st = open_store(dir, 300, err, sizeof(err));
	for (i = 0; i < 20; i++)
		if (store_put_batch(st, &recs[19 - i], 1, &added, err,
		    sizeof(err)) == -1)
			break;
	is_int(i, 20, "20 batches into small segments");
	store_close(st);
	snprintf(seg, sizeof(seg), "%s/seg-00000005.dat", dir);
	ok(fsize(seg) > 0, "several segments were made");
	st = open_store(dir, 300, err, sizeof(err));
	memset(&w, 0, sizeof(w));
	w.ordered = 1;
	ok(st != NULL && store_iterate(st, walk_cb, &w, err, sizeof(err)) ==
	    0 && w.n == 20 && w.ordered, "iterate across segments is ordered");
	ok(store_put_batch(st, recs, 20, &added, err, sizeof(err)) == 0 &&
	    added == 0, "replay across segments adds nothing");
	store_close(st);

	/* The scanner on its own. */
	ok(fstore_scan((const uint8_t *)"garbage-garbage-garbage", 23, NULL,
	    NULL, &torn, err, sizeof(err)) == -1, "scan: garbage is refused");
	ok(fstore_scan((const uint8_t *)"SCARSEG", 7, NULL, NULL, &torn, err,
	    sizeof(err)) == 0 && torn, "scan: a torn header is torn");

	keyring_free(kr);
	return done_testing();
}

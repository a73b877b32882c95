/* backup: see backup.h. */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "clock.h"
#include "backup.h"
#include "log.h"

#define BK_MAGIC	"SCARBAK\x01"
#define BK_VERSION	1
#define BK_HDR		64
#define BK_KDF_CTX	"SCARBKUP"
#define BK_TARGET	(256 * 1024)		/* chunk plaintext, usually */
#define BK_CHUNK_MAX	(REC_PAYLOAD_MAX + 4)	/* one frame at most */
#define BK_ABYTES	crypto_secretstream_xchacha20poly1305_ABYTES
#define MANI_MAGIC	"SCARMANI"
#define MANI_LEN	(8 + 8 + 8 + 8 + BACKUP_CHAIN_LEN)
#define CHAIN_SEED	"serai-archive chain v1"
#define BK_PREFIX	"archive-"
#define BK_SUFFIX	".scab"

struct bwriter {
	FILE		*fp;
	crypto_secretstream_xchacha20poly1305_state st;
	uint8_t		 hdr[BK_HDR];
	int		 first;
	uint8_t		*pt;		/* chunk plaintext being filled */
	size_t		 ptlen;
	size_t		 ptcap;
	uint8_t		*ct;
	size_t		 ctcap;
	struct backup_chain chain;
	char		*err;
	size_t		 errlen;
};

struct breader {
	store_rec_cb	*rcb;
	store_kv_cb	*kcb;
	void		*arg;
	struct backup_chain chain;
	struct rec	 last;		/* for the order check */
	char		 lastkv[REC_NAME_MAX + 1];
	int		 haverec;
	int		 havekv;
};

static int	bw_flush(struct bwriter *, uint8_t);
static int	bw_frame(struct bwriter *, int, size_t, const void *);
static int	bw_rec(void *, const struct rec *);
static int	bw_kv(void *, const struct kv *);
static int	br_chunk(struct breader *, const uint8_t *, size_t, char *,
		    size_t);
static int	read_full(int, void *, size_t);

void
backup_chain_init(struct backup_chain *c)
{
	memset(c, 0, sizeof(*c));
	crypto_generichash(c->h, BACKUP_CHAIN_LEN,
	    (const unsigned char *)CHAIN_SEED, sizeof(CHAIN_SEED) - 1, NULL, 0);
}

void
backup_chain_add(struct backup_chain *c, int kind, const uint8_t *p,
    size_t len)
{
	crypto_generichash_state s;

	crypto_generichash_init(&s, NULL, 0, BACKUP_CHAIN_LEN);
	crypto_generichash_update(&s, c->h, BACKUP_CHAIN_LEN);
	crypto_generichash_update(&s, p, len);
	crypto_generichash_final(&s, c->h, BACKUP_CHAIN_LEN);
	if (kind == REC_KIND_RECORD)
		c->nrec++;
	else
		c->nkv++;
	c->nbytes += len;
}

static void
backup_key(const struct keyring *kr, const uint8_t *keyid, uint8_t *bk)
{
	crypto_kdf_derive_from_key(bk, crypto_secretstream_xchacha20poly1305_KEYBYTES,
	    1, BK_KDF_CTX, keyring_find(kr, keyid));
}

/* ------------------------------------------------------------ writing */

static int
bw_flush(struct bwriter *w, uint8_t tag)
{
	unsigned long long clen;
	uint8_t len[4];
	size_t need = w->ptlen + BK_ABYTES;
	uint8_t *p;

	if (need > w->ctcap) {
		if ((p = realloc(w->ct, need)) == NULL) {
			snprintf(w->err, w->errlen, "out of memory");
			return -1;
		}
		w->ct = p;
		w->ctcap = need;
	}
	crypto_secretstream_xchacha20poly1305_push(&w->st, w->ct, &clen, w->pt,
	    w->ptlen, w->first ? w->hdr : NULL, w->first ? BK_HDR : 0, tag);
	w->first = 0;
	le32put(len, (uint32_t)clen);
	if (fwrite(len, 4, 1, w->fp) != 1 ||
	    fwrite(w->ct, clen, 1, w->fp) != 1) {
		snprintf(w->err, w->errlen, "write: %s", strerror(errno));
		return -1;
	}
	sodium_memzero(w->pt, w->ptlen);
	w->ptlen = 0;
	return 0;
}

/* Add one frame; src is a struct rec or struct kv. */
static int
bw_frame(struct bwriter *w, int kind, size_t plen, const void *src)
{
	uint8_t *p;
	size_t need;

	if (w->ptlen > 0 && w->ptlen + 4 + plen > BK_TARGET &&
	    bw_flush(w, crypto_secretstream_xchacha20poly1305_TAG_MESSAGE) ==
	    -1)
		return -1;
	need = w->ptlen + 4 + plen;
	if (need > w->ptcap) {
		if ((p = realloc(w->pt, need)) == NULL) {
			snprintf(w->err, w->errlen, "out of memory");
			return -1;
		}
		w->pt = p;
		w->ptcap = need;
	}
	p = w->pt + w->ptlen + 4;
	if (kind == REC_KIND_RECORD)
		rec_encode(src, p);
	else
		kv_encode(src, p);
	le32put(p - 4, (uint32_t)plen);
	backup_chain_add(&w->chain, kind, p, plen);
	w->ptlen += 4 + plen;
	return 0;
}

static int
bw_rec(void *arg, const struct rec *r)
{
	return bw_frame(arg, REC_KIND_RECORD, rec_size(r), r);
}

static int
bw_kv(void *arg, const struct kv *k)
{
	return bw_frame(arg, REC_KIND_KV, kv_size(k), k);
}

static int
fsync_dir(const char *dir)
{
	int fd, rc;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
backup_write(struct store *st, const struct keyring *kr, const char *dir,
    char *path, size_t pathlen, struct backup_manifest *m, char *err,
    size_t errlen)
{
	struct bwriter w;
	uint8_t bk[crypto_secretstream_xchacha20poly1305_KEYBYTES], *p;
	char tmp[PATH_MAX], e[512], stamp[32];
	struct timespec ts;
	struct tm tm;
	int fd = -1, rc = -1, i;

	memset(&w, 0, sizeof(w));
	w.err = e;
	w.errlen = sizeof(e);
	e[0] = '\0';
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s/.tmp-" BK_PREFIX "XXXXXX", dir);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	if ((w.fp = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		close(fd);
		goto fail;
	}
	memset(m, 0, sizeof(*m));
	m->created = (int64_t)clock_wall_ms();
	keyring_current(kr, m->keyid);
	backup_key(kr, m->keyid, bk);

	p = w.hdr;
	memcpy(p, BK_MAGIC, 8);
	le32put(p + 8, BK_VERSION);
	le32put(p + 12, 0);
	memcpy(p + 16, m->keyid, REC_KEYID_LEN);
	le64put(p + 24, (uint64_t)m->created);
	crypto_secretstream_xchacha20poly1305_init_push(&w.st, p + 32, bk);
	sodium_memzero(bk, sizeof(bk));
	w.first = 1;
	backup_chain_init(&w.chain);
	if (fwrite(w.hdr, BK_HDR, 1, w.fp) != 1) {
		snprintf(e, sizeof(e), "write: %s", strerror(errno));
		goto fail;
	}
	if (store_iterate(st, bw_rec, &w, err, errlen) == -1 ||
	    store_kv_iterate(st, bw_kv, &w, err, errlen) == -1) {
		if (e[0] != '\0')
			snprintf(err, errlen, "%s: %s", tmp, e);
		e[0] = '\0';
		goto fail;
	}
	if (w.ptlen > 0 &&
	    bw_flush(&w, crypto_secretstream_xchacha20poly1305_TAG_MESSAGE) ==
	    -1)
		goto fail;
	/* The manifest, alone in the final chunk. */
	if (w.ptcap < MANI_LEN) {
		if ((p = realloc(w.pt, MANI_LEN)) == NULL) {
			snprintf(e, sizeof(e), "out of memory");
			goto fail;
		}
		w.pt = p;
		w.ptcap = MANI_LEN;
	}
	memcpy(w.pt, MANI_MAGIC, 8);
	le64put(w.pt + 8, w.chain.nrec);
	le64put(w.pt + 16, w.chain.nkv);
	le64put(w.pt + 24, w.chain.nbytes);
	memcpy(w.pt + 32, w.chain.h, BACKUP_CHAIN_LEN);
	w.ptlen = MANI_LEN;
	if (bw_flush(&w, crypto_secretstream_xchacha20poly1305_TAG_FINAL) == -1)
		goto fail;
	if (fflush(w.fp) == EOF || fsync(fileno(w.fp)) == -1) {
		snprintf(e, sizeof(e), "write: %s", strerror(errno));
		goto fail;
	}
	if (fclose(w.fp) == EOF) {
		w.fp = NULL;
		snprintf(e, sizeof(e), "close: %s", strerror(errno));
		goto fail;
	}
	w.fp = NULL;

	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	for (i = 0;; i++) {
		struct stat sb;

		if (i == 0)
			snprintf(path, pathlen, "%s/" BK_PREFIX "%s.%03ldZ"
			    BK_SUFFIX, dir, stamp, ts.tv_nsec / 1000000);
		else
			/* A second backup in the same millisecond: "~"
			 * sorts after the suffix's ".", so by name the newer
			 * stays the newer (with "-" it sorted first, and a
			 * prune kept the older: seen in arch_backup.test) */
			snprintf(path, pathlen, "%s/" BK_PREFIX "%s.%03ldZ~%03d"
			    BK_SUFFIX, dir, stamp, ts.tv_nsec / 1000000, i);
		if (stat(path, &sb) == -1 && errno == ENOENT)
			break;
	}
	if (rename(tmp, path) == -1) {
		snprintf(e, sizeof(e), "rename to %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	if (fsync_dir(dir) == -1) {
		snprintf(err, errlen, "%s: fsync: %s", dir, strerror(errno));
		goto out;
	}
	m->nrec = w.chain.nrec;
	m->nkv = w.chain.nkv;
	m->nbytes = w.chain.nbytes;
	memcpy(m->chain, w.chain.h, BACKUP_CHAIN_LEN);
	rc = 0;
	goto out;
 fail:
	if (e[0] != '\0')
		snprintf(err, errlen, "%s: %s", tmp, e);
	if (w.fp != NULL)
		fclose(w.fp);
	unlink(tmp);
 out:
	if (w.pt != NULL)
		sodium_memzero(w.pt, w.ptcap);
	free(w.pt);
	free(w.ct);
	sodium_memzero(&w.st, sizeof(w.st));
	return rc;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

int
backup_prune(const char *dir, long long keep, char *err, size_t errlen)
{
	struct dirent *de;
	char **names = NULL, **nn, path[PATH_MAX];
	size_t n = 0, i, len;
	int rc = 0;
	DIR *d;

	if (keep <= 0)
		return 0;
	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (strncmp(de->d_name, BK_PREFIX, strlen(BK_PREFIX)) != 0 ||
		    len < strlen(BK_SUFFIX) || strcmp(de->d_name + len -
		    strlen(BK_SUFFIX), BK_SUFFIX) != 0)
			continue;
		if ((nn = reallocarray(names, n + 1, sizeof(*nn))) == NULL ||
		    (nn[n] = strdup(de->d_name)) == NULL) {
			if (nn != NULL)
				names = nn;
			snprintf(err, errlen, "out of memory");
			rc = -1;
			goto out;
		}
		names = nn;
		n++;
	}
	qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i + keep < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (unlink(path) == -1) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			rc = -1;
		} else
			log_info("removed old backup %s", path);
	}
 out:
	closedir(d);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* ------------------------------------------------------------ reading */

static int
read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, (char *)buf + got, len - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		got += n;
	}
	return (int)(got == len ? 1 : got == 0 ? 0 : 2);
}

/* The frames of one chunk's plaintext. */
static int
br_chunk(struct breader *b, const uint8_t *p, size_t len, char *err,
    size_t errlen)
{
	size_t pos = 0, flen;
	struct rec r;
	struct kv k;
	int kind;

	while (pos < len) {
		if (len - pos < 4) {
			snprintf(err, errlen, "malformed chunk");
			return -1;
		}
		flen = le32get(p + pos);
		pos += 4;
		if (flen == 0 || flen > len - pos) {
			snprintf(err, errlen, "malformed chunk");
			return -1;
		}
		if (rec_decode(p + pos, flen, &kind, &r, &k, err, errlen) ==
		    -1)
			return -1;
		if (kind == REC_KIND_RECORD) {
			if (b->havekv || (b->haverec &&
			    rec_cmp(&b->last, &r) >= 0)) {
				snprintf(err, errlen, "records out of order "
				    "at %s/%d/%lld", r.topic, (int)r.partition,
				    (long long)r.offset);
				return -1;
			}
			b->last = r;
			b->last.ct = NULL;
			b->haverec = 1;
			if (b->rcb != NULL && b->rcb(b->arg, &r) == -1) {
				snprintf(err, errlen, "cannot store %s/%d/%lld",
				    r.topic, (int)r.partition,
				    (long long)r.offset);
				return -1;
			}
		} else {
			if (b->havekv && strcmp(b->lastkv, k.name) >= 0) {
				snprintf(err, errlen, "kv entries out of order "
				    "at %s", k.name);
				return -1;
			}
			memcpy(b->lastkv, k.name, sizeof(b->lastkv));
			b->havekv = 1;
			if (b->kcb != NULL && b->kcb(b->arg, &k) == -1) {
				snprintf(err, errlen, "cannot store kv %s",
				    k.name);
				return -1;
			}
		}
		backup_chain_add(&b->chain, kind, p + pos, flen);
		pos += flen;
	}
	return 0;
}

int
backup_read_fd(int fd, const struct keyring *kr, store_rec_cb *rcb,
    store_kv_cb *kcb, void *arg, struct backup_manifest *m, char *err,
    size_t errlen)
{
	crypto_secretstream_xchacha20poly1305_state st;
	struct breader b;
	uint8_t hdr[BK_HDR], lenb[4], bk[crypto_secretstream_xchacha20poly1305_KEYBYTES];
	uint8_t *ct = NULL, *pt = NULL, tag, extra;
	unsigned long long ptlen;
	char hex[2 * REC_KEYID_LEN + 1], e[512];
	size_t clen, nchunk = 0, cap = 0;
	int rc = -1, got;

	memset(&b, 0, sizeof(b));
	b.rcb = rcb;
	b.kcb = kcb;
	b.arg = arg;
	backup_chain_init(&b.chain);
	memset(m, 0, sizeof(*m));

	if ((got = read_full(fd, hdr, BK_HDR)) == -1) {
		snprintf(err, errlen, "read: %s", strerror(errno));
		return -1;
	}
	if (got != 1 || memcmp(hdr, BK_MAGIC, 8) != 0) {
		snprintf(err, errlen, got == 1 || memcmp(hdr, BK_MAGIC, 8) ?
		    "not an archiver backup (bad header)" :
		    "truncated (incomplete header)");
		return -1;
	}
	if (le32get(hdr + 8) != BK_VERSION) {
		snprintf(err, errlen, "backup format version %u is not known "
		    "(this archiver reads version %d)", le32get(hdr + 8),
		    BK_VERSION);
		return -1;
	}
	memcpy(m->keyid, hdr + 16, REC_KEYID_LEN);
	m->created = (int64_t)le64get(hdr + 24);
	if (keyring_find(kr, m->keyid) == NULL) {
		snprintf(err, errlen, "made with data key %s, which is not in "
		    "the keyring: wrong key file? (key_file, old_key_files)",
		    key_id_hex(m->keyid, hex));
		return -1;
	}
	backup_key(kr, m->keyid, bk);
	if (crypto_secretstream_xchacha20poly1305_init_pull(&st, hdr + 32,
	    bk) != 0) {
		sodium_memzero(bk, sizeof(bk));
		snprintf(err, errlen, "bad stream header");
		return -1;
	}
	sodium_memzero(bk, sizeof(bk));
	for (;; nchunk++) {
		if ((got = read_full(fd, lenb, 4)) == -1) {
			snprintf(err, errlen, "read: %s", strerror(errno));
			goto out;
		}
		if (got != 1) {
			snprintf(err, errlen, "truncated: ends after %zu "
			    "chunks without its manifest", nchunk);
			goto out;
		}
		clen = le32get(lenb);
		if (clen < BK_ABYTES || clen > BK_CHUNK_MAX + BK_ABYTES) {
			snprintf(err, errlen, "corrupted: chunk %zu has a bad "
			    "length (%zu)", nchunk, clen);
			goto out;
		}
		if (clen > cap) {
			uint8_t *nct, *npt;

			if (pt != NULL)
				sodium_memzero(pt, cap - BK_ABYTES);
			free(pt);
			pt = NULL;
			if ((nct = realloc(ct, clen)) == NULL ||
			    (npt = malloc(clen - BK_ABYTES + 1)) == NULL) {
				if (nct != NULL)
					ct = nct;
				cap = 0;
				snprintf(err, errlen, "out of memory");
				goto out;
			}
			ct = nct;
			pt = npt;
			cap = clen;
		}
		if ((got = read_full(fd, ct, clen)) == -1) {
			snprintf(err, errlen, "read: %s", strerror(errno));
			goto out;
		}
		if (got != 1) {
			snprintf(err, errlen, "truncated: chunk %zu is "
			    "incomplete", nchunk);
			goto out;
		}
		if (crypto_secretstream_xchacha20poly1305_pull(&st, pt,
		    &ptlen, &tag, ct, clen, nchunk == 0 ? hdr : NULL,
		    nchunk == 0 ? BK_HDR : 0) != 0) {
			snprintf(err, errlen, "authentication failed at chunk "
			    "%zu: the file is corrupted, was altered or "
			    "replaced, or was made with another key", nchunk);
			goto out;
		}
		if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL)
			break;
		if (tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE) {
			snprintf(err, errlen, "corrupted: chunk %zu has an "
			    "unexpected tag", nchunk);
			goto out;
		}
		if (br_chunk(&b, pt, ptlen, e, sizeof(e)) == -1) {
			snprintf(err, errlen, "chunk %zu: %s", nchunk, e);
			goto out;
		}
	}
	if (ptlen != MANI_LEN || memcmp(pt, MANI_MAGIC, 8) != 0) {
		snprintf(err, errlen, "corrupted: bad manifest");
		goto out;
	}
	if ((got = read_full(fd, &extra, 1)) != 0) {
		snprintf(err, errlen, "%s", got == -1 ? strerror(errno) :
		    "trailing data after the manifest: the file was altered");
		goto out;
	}
	m->nrec = le64get(pt + 8);
	m->nkv = le64get(pt + 16);
	m->nbytes = le64get(pt + 24);
	memcpy(m->chain, pt + 32, BACKUP_CHAIN_LEN);
	if (m->nrec != b.chain.nrec || m->nkv != b.chain.nkv ||
	    m->nbytes != b.chain.nbytes ||
	    sodium_memcmp(m->chain, b.chain.h, BACKUP_CHAIN_LEN) != 0) {
		snprintf(err, errlen, "the manifest (%llu records, %llu kv) "
		    "does not match the contents (%llu records, %llu kv)",
		    (unsigned long long)m->nrec, (unsigned long long)m->nkv,
		    (unsigned long long)b.chain.nrec,
		    (unsigned long long)b.chain.nkv);
		goto out;
	}
	rc = 0;
 out:
	free(ct);
	if (pt != NULL)
		sodium_memzero(pt, cap - BK_ABYTES);
	free(pt);
	sodium_memzero(&st, sizeof(st));
	return rc;
}

/* ------------------------------------------------------------ restoring */

struct restore {
	struct store	*st;
	struct rec	*batch;
	size_t		 n;
	size_t		 max;
	uint64_t	 added;
	uint64_t	 kvput;
	char		 err[512];
};

static int
restore_flush(struct restore *rs)
{
	size_t added, i;
	int rc;

	if (rs->n == 0)
		return 0;
	rc = store_put_retry(rs->st, rs->batch, rs->n, &added, rs->err,
	    sizeof(rs->err));
	for (i = 0; i < rs->n; i++)
		rec_clear(&rs->batch[i]);
	rs->n = 0;
	if (rc == 0)
		rs->added += added;
	return rc;
}

static int
restore_rec(void *arg, const struct rec *r)
{
	struct restore *rs = arg;

	rs->batch[rs->n] = *r;
	rs->batch[rs->n].buf = NULL;
	if (rec_own(&rs->batch[rs->n]) == -1) {
		snprintf(rs->err, sizeof(rs->err), "out of memory");
		return -1;
	}
	if (++rs->n == rs->max)
		return restore_flush(rs);
	return 0;
}

static int
restore_kv(void *arg, const struct kv *k)
{
	struct restore *rs = arg;
	struct kv cur;
	int found;

	if (restore_flush(rs) == -1)
		return -1;
	if (store_kv_get(rs->st, k->name, &cur, &found, rs->err,
	    sizeof(rs->err)) == -1)
		return -1;
	if (found) {
		int newer = cur.time >= k->time;

		kv_clear(&cur);
		if (newer)	/* the store holds a newer value: keep it */
			return 0;
	}
	if (store_kv_put(rs->st, k, rs->err, sizeof(rs->err)) == -1)
		return -1;
	rs->kvput++;
	return 0;
}

int
backup_restore(const char *path, const struct keyring *kr, struct store *st,
    size_t batch, struct backup_manifest *m, char *err, size_t errlen)
{
	struct restore rs;
	char e[512];
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* First check everything, so a bad file changes nothing. */
	if (backup_read_fd(fd, kr, NULL, NULL, NULL, m, e, sizeof(e)) == -1) {
		snprintf(err, errlen, "%s: refused: %s", path, e);
		close(fd);
		return -1;
	}
	if (lseek(fd, 0, SEEK_SET) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	memset(&rs, 0, sizeof(rs));
	rs.st = st;
	rs.max = batch > 0 ? batch : 1000;
	if ((rs.batch = calloc(rs.max, sizeof(*rs.batch))) == NULL) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return -1;
	}
	if (backup_read_fd(fd, kr, restore_rec, restore_kv, &rs, m, e,
	    sizeof(e)) == -1 || restore_flush(&rs) == -1) {
		snprintf(err, errlen, "%s: restore failed: %s%s%s", path, e,
		    rs.err[0] != '\0' ? ": " : "", rs.err);
		goto out;
	}
	log_info("%s: restored %llu records (%llu new) and %llu kv entries "
	    "(%llu written)", path, (unsigned long long)m->nrec,
	    (unsigned long long)rs.added, (unsigned long long)m->nkv,
	    (unsigned long long)rs.kvput);
	rc = 0;
 out:
	while (rs.n > 0)
		rec_clear(&rs.batch[--rs.n]);
	free(rs.batch);
	close(fd);
	return rc;
}

/* ------------------------------------------------------------ the drill */

struct drill {
	const struct keyring	*kr;
	struct backup_chain	 chain;
	uint8_t			*pbuf;
	size_t			 pcap;
	uint8_t			*body;
	size_t			 bcap;
	uint64_t		 bad;
	char			 err[512];
};

static int
drill_grow(uint8_t **p, size_t *cap, size_t need)
{
	uint8_t *n;

	if (need <= *cap)
		return 0;
	if ((n = realloc(*p, need)) == NULL)
		return -1;
	*p = n;
	*cap = need;
	return 0;
}

static int
drill_rec(void *arg, const struct rec *r)
{
	struct drill *d = arg;
	size_t n = rec_size(r);

	if (drill_grow(&d->pbuf, &d->pcap, n) == -1 ||
	    drill_grow(&d->body, &d->bcap, r->ctlen) == -1)
		return -1;
	rec_encode(r, d->pbuf);
	backup_chain_add(&d->chain, REC_KIND_RECORD, d->pbuf, n);
	if (rec_open(r, d->kr, d->body, d->err, sizeof(d->err)) == -1) {
		if (d->bad++ == 0)
			log_warnx("verify: %s", d->err);
	}
	sodium_memzero(d->body, r->ctlen - REC_TAG_LEN);
	return 0;
}

static int
drill_kv(void *arg, const struct kv *k)
{
	struct drill *d = arg;
	size_t n = kv_size(k);

	if (drill_grow(&d->pbuf, &d->pcap, n) == -1 ||
	    drill_grow(&d->body, &d->bcap, k->ctlen) == -1)
		return -1;
	kv_encode(k, d->pbuf);
	backup_chain_add(&d->chain, REC_KIND_KV, d->pbuf, n);
	if (kv_open(k, d->kr, d->body, d->err, sizeof(d->err)) == -1) {
		if (d->bad++ == 0)
			log_warnx("verify: %s", d->err);
	}
	sodium_memzero(d->body, k->ctlen - REC_TAG_LEN);
	return 0;
}

static void
scratch_remove(const char *dir)
{
	struct dirent *de;
	char p[PATH_MAX];
	DIR *d;

	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir,
			    de->d_name) < sizeof(p))
				unlink(p);
		}
		closedir(d);
	}
	rmdir(dir);
}

int
backup_verify(const char *path, const struct keyring *kr,
    struct backup_manifest *m, char *err, size_t errlen)
{
	struct store_conf sc;
	struct store *st;
	struct drill d;
	uint64_t nrec, nkv;
	const char *tmpdir;
	char dir[PATH_MAX], e[512];
	int rc = -1;

	if ((tmpdir = getenv("TMPDIR")) == NULL || tmpdir[0] == '\0')
		tmpdir = "/tmp";
	snprintf(dir, sizeof(dir), "%s/archiver-verify.XXXXXX", tmpdir);
	if (mkdtemp(dir) == NULL) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	memset(&sc, 0, sizeof(sc));
	sc.backend = "file";
	sc.path = dir;
	if ((st = store_open(&sc, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "scratch store: %s", e);
		rmdir(dir);
		return -1;
	}
	memset(&d, 0, sizeof(d));
	d.kr = kr;
	backup_chain_init(&d.chain);
	if (backup_restore(path, kr, st, 1000, m, err, errlen) == -1)
		goto out;
	if (store_count(st, &nrec, &nkv, e, sizeof(e)) == -1 ||
	    store_iterate(st, drill_rec, &d, e, sizeof(e)) == -1 ||
	    store_kv_iterate(st, drill_kv, &d, e, sizeof(e)) == -1) {
		snprintf(err, errlen, "%s: scratch store: %s", path, e);
		goto out;
	}
	if (nrec != m->nrec || nkv != m->nkv || d.chain.nrec != m->nrec ||
	    d.chain.nkv != m->nkv ||
	    sodium_memcmp(d.chain.h, m->chain, BACKUP_CHAIN_LEN) != 0) {
		snprintf(err, errlen, "%s: verify failed: the restored store "
		    "holds %llu records and %llu kv entries, the manifest "
		    "says %llu and %llu%s", path, (unsigned long long)nrec,
		    (unsigned long long)nkv, (unsigned long long)m->nrec,
		    (unsigned long long)m->nkv,
		    nrec == m->nrec && nkv == m->nkv ? ", and the chain "
		    "differs" : "");
		goto out;
	}
	if (d.bad > 0) {
		snprintf(err, errlen, "%s: verify failed: %llu sealed bodies "
		    "cannot be opened with the keyring", path,
		    (unsigned long long)d.bad);
		goto out;
	}
	rc = 0;
 out:
	store_close(st);
	scratch_remove(dir);
	free(d.pbuf);
	if (d.body != NULL)
		sodium_memzero(d.body, d.bcap);
	free(d.body);
	return rc;
}

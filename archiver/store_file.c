/*
 * store_file: the embedded default store, for machines without a database.
 *
 * A directory of append-only segment files, seg-NNNNNNNN.dat, each a
 * 16-byte header ("SCARSEG" 0x01, 8 reserved bytes) and frames:
 *
 *   u32 len | payload (len bytes, see rec.h) | BLAKE2b-128(u32 len | payload)
 *
 * A batch is appended to the last segment in writes of 256 KiB and made
 * durable with fdatasync before put_batch returns; a new segment is started
 * at a batch boundary once the last one reaches segment_size.  The index
 * lives in memory and is rebuilt on open by scanning every segment, checking
 * every checksum.  An incomplete frame at the end of the last segment (a
 * crash mid-batch) is cut off with a log line; a complete frame with a bad
 * checksum anywhere is corruption and the store refuses to open.
 *
 * A LOCK file held with flock(2) keeps a second archiver out.
 */
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "log.h"
#include "store.h"

#define SEG_MAGIC	"SCARSEG\x01"
#define SEG_HDR		16
#define FRAME_SUM	16
#define FRAME_OVER	(4 + FRAME_SUM)
#define WRITE_CHUNK	(256 * 1024)

struct fent {			/* a record in the index; len 0: empty slot */
	uint32_t	 topic;		/* index into fs->topics */
	int32_t		 partition;
	int64_t		 offset;
	uint32_t	 seg;
	uint32_t	 len;		/* payload length */
	uint64_t	 pos;		/* frame position in the segment */
};

struct fkv {
	char		*name;
	uint32_t	 seg;
	uint32_t	 len;
	uint64_t	 pos;
};

struct fseg {
	uint32_t	 num;
	int		 fd;
	uint64_t	 size;
};

struct fstore {
	char		*dir;
	int		 dirfd;
	int		 lockfd;
	uint64_t	 segsize;
	struct fseg	*segs;
	size_t		 nseg;
	char		**topics;
	size_t		 ntopic;
	struct fent	*tab;
	size_t		 tabsize;	/* power of two */
	size_t		 nrec;
	struct fkv	*kvs;
	size_t		 nkv;
	uint32_t	 scanseg;	/* segment being scanned at open */
	int		 werrno;	/* errno of the last failed write */
};

static int	fs_open(struct store *, const struct store_conf *, char *,
		    size_t);
static int	fs_put_batch(struct store *, const struct rec *, size_t,
		    size_t *, char *, size_t);
static int	fs_get(struct store *, const char *, int32_t, int64_t,
		    struct rec *, int *, char *, size_t);
static int	fs_iterate(struct store *, store_rec_cb *, void *, char *,
		    size_t);
static int	fs_kv_iterate(struct store *, store_kv_cb *, void *, char *,
		    size_t);
static int	fs_count(struct store *, uint64_t *, uint64_t *, char *,
		    size_t);
static int	fs_kv_put(struct store *, const struct kv *, char *, size_t);
static int	fs_kv_get(struct store *, const char *, struct kv *, int *,
		    char *, size_t);
static void	fs_close(struct store *);

static void	frame_sum(const uint8_t *, size_t, uint8_t *);
static int	topic_find(struct fstore *, const char *, int);
static uint64_t	ent_hash(uint32_t, int32_t, int64_t);
static struct fent *ent_find(struct fstore *, uint32_t, int32_t, int64_t);
static int	ent_insert(struct fstore *, const struct fent *);
static void	ent_delete(struct fstore *, struct fent *);
static struct fkv *kv_find(struct fstore *, const char *);
static int	scan_cb(void *, const uint8_t *, size_t, uint64_t);
static int	seg_add(struct fstore *, uint32_t, int, char *, size_t);
static int	seg_load(struct fstore *, size_t, char *, size_t);
static int	seg_new(struct fstore *, char *, size_t);
static int	seg_append(struct fstore *, const uint8_t *, size_t, char *,
		    size_t);
static int	frame_read(struct fstore *, uint32_t, uint64_t, uint32_t,
		    uint8_t **, char *, size_t);

const struct store_ops fstore_ops = {
	"file",
	fs_open,
	fs_put_batch,
	fs_get,
	fs_iterate,
	fs_kv_iterate,
	fs_count,
	fs_kv_put,
	fs_kv_get,
	fs_close
};

static void
frame_sum(const uint8_t *frame, size_t len, uint8_t *out)
{
	crypto_generichash(out, FRAME_SUM, frame, len, NULL, 0);
}

long long
fstore_scan(const uint8_t *buf, size_t len, fstore_frame_cb *cb, void *arg,
    int *torn, char *err, size_t errlen)
{
	uint8_t sum[FRAME_SUM];
	size_t pos, rem, flen, i;

	*torn = 0;
	if (len < SEG_HDR) {
		if (memcmp(buf, SEG_MAGIC, len < 8 ? len : 8) == 0) {
			*torn = 1;
			return 0;
		}
		snprintf(err, errlen, "not a segment file (bad header)");
		return -1;
	}
	if (memcmp(buf, SEG_MAGIC, 8) != 0) {
		snprintf(err, errlen, "not a segment file (bad header)");
		return -1;
	}
	for (pos = SEG_HDR; pos < len; pos += FRAME_OVER + flen) {
		rem = len - pos;
		if (rem < 4) {
			*torn = 1;
			return pos;
		}
		flen = le32get(buf + pos);
		if (flen == 0) {
			/* A zero-filled tail (lost delayed allocation). */
			for (i = pos; i < len && buf[i] == 0; i++)
				;
			if (i == len) {
				*torn = 1;
				return pos;
			}
		}
		if (flen == 0 || flen > REC_PAYLOAD_MAX) {
			snprintf(err, errlen, "offset %zu: bad frame length "
			    "%zu", pos, flen);
			return -1;
		}
		if (rem < FRAME_OVER + flen) {
			*torn = 1;
			return pos;
		}
		frame_sum(buf + pos, 4 + flen, sum);
		if (sodium_memcmp(sum, buf + pos + 4 + flen, FRAME_SUM) != 0) {
			snprintf(err, errlen, "offset %zu: checksum mismatch",
			    pos);
			return -1;
		}
		if (cb != NULL && cb(arg, buf + pos + 4, flen, pos) == -1) {
			snprintf(err, errlen, "offset %zu: malformed record",
			    pos);
			return -1;
		}
	}
	return pos;
}

/* ------------------------------------------------------------ the index */

static int
topic_find(struct fstore *fs, const char *topic, int add)
{
	char **t;
	size_t i;

	for (i = 0; i < fs->ntopic; i++)
		if (strcmp(fs->topics[i], topic) == 0)
			return (int)i;
	if (!add)
		return -1;
	if ((t = reallocarray(fs->topics, fs->ntopic + 1, sizeof(*t))) ==
	    NULL)
		return -1;
	fs->topics = t;
	if ((t[fs->ntopic] = strdup(topic)) == NULL)
		return -1;
	return (int)fs->ntopic++;
}

static uint64_t
ent_hash(uint32_t topic, int32_t part, int64_t off)
{
	uint64_t h;

	h = (uint64_t)off * 0x9e3779b97f4a7c15ULL;
	h ^= ((uint64_t)topic << 32 | (uint32_t)part) * 0xc2b2ae3d27d4eb4fULL;
	h ^= h >> 29;
	return h;
}

static struct fent *
ent_find(struct fstore *fs, uint32_t topic, int32_t part, int64_t off)
{
	size_t i, mask = fs->tabsize - 1;
	struct fent *e;

	if (fs->tabsize == 0)
		return NULL;
	for (i = ent_hash(topic, part, off) & mask;; i = (i + 1) & mask) {
		e = &fs->tab[i];
		if (e->len == 0)
			return NULL;
		if (e->topic == topic && e->partition == part &&
		    e->offset == off)
			return e;
	}
}

static int
ent_insert(struct fstore *fs, const struct fent *ne)
{
	struct fent *tab, *old;
	size_t i, n, mask;

	if ((fs->nrec + 1) * 4 > fs->tabsize * 3) {
		n = fs->tabsize == 0 ? 1024 : fs->tabsize * 2;
		if ((tab = calloc(n, sizeof(*tab))) == NULL)
			return -1;
		old = fs->tab;
		mask = n - 1;
		for (i = 0; i < fs->tabsize; i++) {
			size_t j;

			if (old[i].len == 0)
				continue;
			j = ent_hash(old[i].topic, old[i].partition,
			    old[i].offset) & mask;
			while (tab[j].len != 0)
				j = (j + 1) & mask;
			tab[j] = old[i];
		}
		free(old);
		fs->tab = tab;
		fs->tabsize = n;
	}
	mask = fs->tabsize - 1;
	for (i = ent_hash(ne->topic, ne->partition, ne->offset) & mask;
	    fs->tab[i].len != 0; i = (i + 1) & mask)
		;
	fs->tab[i] = *ne;
	fs->nrec++;
	return 0;
}

/* Linear probing deletion by backward shift (Knuth 6.4, algorithm R). */
static void
ent_delete(struct fstore *fs, struct fent *e)
{
	size_t mask = fs->tabsize - 1, i, j, k;

	i = e - fs->tab;
	fs->tab[i].len = 0;
	fs->nrec--;
	for (j = (i + 1) & mask; fs->tab[j].len != 0; j = (j + 1) & mask) {
		k = ent_hash(fs->tab[j].topic, fs->tab[j].partition,
		    fs->tab[j].offset) & mask;
		/* Move j to i unless k lies cyclically in (i, j]. */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		fs->tab[i] = fs->tab[j];
		fs->tab[j].len = 0;
		i = j;
	}
}

static struct fkv *
kv_find(struct fstore *fs, const char *name)
{
	size_t i;

	for (i = 0; i < fs->nkv; i++)
		if (strcmp(fs->kvs[i].name, name) == 0)
			return &fs->kvs[i];
	return NULL;
}

static int
kv_index(struct fstore *fs, const char *name, uint32_t seg, uint64_t pos,
    uint32_t len)
{
	struct fkv *k;

	if ((k = kv_find(fs, name)) == NULL) {
		if ((k = reallocarray(fs->kvs, fs->nkv + 1, sizeof(*k))) ==
		    NULL)
			return -1;
		fs->kvs = k;
		k = &fs->kvs[fs->nkv];
		if ((k->name = strdup(name)) == NULL)
			return -1;
		fs->nkv++;
	}
	k->seg = seg;
	k->pos = pos;
	k->len = len;
	return 0;
}

/* Index one frame found by the scan at open. */
static int
scan_cb(void *arg, const uint8_t *p, size_t len, uint64_t pos)
{
	struct fstore *fs = arg;
	struct fent e;
	struct rec r;
	struct kv k;
	char err[256];
	int kind, t;

	if (rec_decode(p, len, &kind, &r, &k, err, sizeof(err)) == -1)
		return -1;
	if (kind == REC_KIND_KV)
		return kv_index(fs, k.name, fs->scanseg, pos, (uint32_t)len);
	if ((t = topic_find(fs, r.topic, 1)) == -1)
		return -1;
	if (ent_find(fs, t, r.partition, r.offset) != NULL)
		return 0;		/* first one wins, as at write */
	memset(&e, 0, sizeof(e));
	e.topic = t;
	e.partition = r.partition;
	e.offset = r.offset;
	e.seg = fs->scanseg;
	e.pos = pos;
	e.len = (uint32_t)len;
	return ent_insert(fs, &e);
}

/* ------------------------------------------------------------ segments */

static int
seg_add(struct fstore *fs, uint32_t num, int fd, char *err, size_t errlen)
{
	struct fseg *s;

	if ((s = reallocarray(fs->segs, fs->nseg + 1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	fs->segs = s;
	s[fs->nseg].num = num;
	s[fs->nseg].fd = fd;
	s[fs->nseg].size = 0;
	fs->nseg++;
	return 0;
}

/* Scan segment i, index its frames, cut a torn tail off the last one. */
static int
seg_load(struct fstore *fs, size_t i, char *err, size_t errlen)
{
	struct fseg *s = &fs->segs[i];
	struct stat st;
	uint8_t *map = NULL;
	char e[256];
	long long valid;
	int torn;

	if (fstat(s->fd, &st) == -1) {
		snprintf(err, errlen, "%s/seg-%08u.dat: %s", fs->dir, s->num,
		    strerror(errno));
		return -1;
	}
	if (st.st_size > 0 && (map = mmap(NULL, st.st_size, PROT_READ,
	    MAP_PRIVATE, s->fd, 0)) == MAP_FAILED) {
		snprintf(err, errlen, "%s/seg-%08u.dat: mmap: %s", fs->dir,
		    s->num, strerror(errno));
		return -1;
	}
	fs->scanseg = (uint32_t)i;
	valid = fstore_scan(map != NULL ? map : (const uint8_t *)"",
	    st.st_size, scan_cb, fs, &torn, e, sizeof(e));
	if (map != NULL)
		munmap(map, st.st_size);
	if (valid == -1) {
		snprintf(err, errlen, "%s/seg-%08u.dat: %s: the store is "
		    "corrupt; restore it from a backup (archiver -r)", fs->dir,
		    s->num, e);
		return -1;
	}
	if (torn && i + 1 != fs->nseg) {
		snprintf(err, errlen, "%s/seg-%08u.dat: truncated at offset "
		    "%lld but not the last segment: the store is corrupt; "
		    "restore it from a backup (archiver -r)", fs->dir, s->num,
		    valid);
		return -1;
	}
	if (torn) {
		log_warnx("%s/seg-%08u.dat: incomplete last record at offset "
		    "%lld (%lld bytes, from an interrupted batch) truncated",
		    fs->dir, s->num, valid, (long long)st.st_size - valid);
		if (valid < SEG_HDR) {
			if (ftruncate(s->fd, 0) == -1 ||
			    pwrite(s->fd, SEG_MAGIC "\0\0\0\0\0\0\0\0",
			    SEG_HDR, 0) != SEG_HDR) {
				snprintf(err, errlen, "%s/seg-%08u.dat: %s",
				    fs->dir, s->num, strerror(errno));
				return -1;
			}
			valid = SEG_HDR;
		} else if (ftruncate(s->fd, valid) == -1) {
			snprintf(err, errlen, "%s/seg-%08u.dat: truncate: %s",
			    fs->dir, s->num, strerror(errno));
			return -1;
		}
		if (fdatasync(s->fd) == -1) {
			snprintf(err, errlen, "%s/seg-%08u.dat: fsync: %s",
			    fs->dir, s->num, strerror(errno));
			return -1;
		}
	}
	s->size = valid;
	return 0;
}

static int
seg_new(struct fstore *fs, char *err, size_t errlen)
{
	char name[64];
	uint32_t num;
	int fd;

	num = fs->nseg == 0 ? 1 : fs->segs[fs->nseg - 1].num + 1;
	snprintf(name, sizeof(name), "seg-%08u.dat", num);
	if ((fd = openat(fs->dirfd, name, O_RDWR | O_CREAT | O_EXCL |
	    O_CLOEXEC, 0600)) == -1) {
		fs->werrno = errno;
		snprintf(err, errlen, "%s/%s: %s", fs->dir, name,
		    strerror(errno));
		return -1;
	}
	if (pwrite(fd, SEG_MAGIC "\0\0\0\0\0\0\0\0", SEG_HDR, 0) != SEG_HDR ||
	    fdatasync(fd) == -1 || fsync(fs->dirfd) == -1) {
		fs->werrno = errno;
		snprintf(err, errlen, "%s/%s: %s", fs->dir, name,
		    strerror(errno));
		close(fd);
		unlinkat(fs->dirfd, name, 0);
		return -1;
	}
	if (seg_add(fs, num, fd, err, errlen) == -1) {
		close(fd);
		return -1;
	}
	fs->segs[fs->nseg - 1].size = SEG_HDR;
	return 0;
}

/* Append frames to the last segment and make them durable. */
static int
seg_append(struct fstore *fs, const uint8_t *buf, size_t len, char *err,
    size_t errlen)
{
	struct fseg *s = &fs->segs[fs->nseg - 1];
	size_t done = 0, n;
	ssize_t w = -1;

	while (done < len) {
		n = len - done < WRITE_CHUNK ? len - done : WRITE_CHUNK;
		/* Stop at the middle once, for the fault injection point. */
		if (done < len / 2 && done + n > len / 2)
			n = len / 2 - done;
		w = pwrite(s->fd, buf + done, n, s->size + done);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		done += w;
		if (done == len / 2)
			store_fault_point();
	}
	if (fdatasync(s->fd) == -1)
		goto fail;
	s->size += len;
	return 0;
 fail:
	fs->werrno = w == 0 ? ENOSPC : errno;
	snprintf(err, errlen, "%s/seg-%08u.dat: write: %s", fs->dir, s->num,
	    strerror(fs->werrno));
	/* Cut off what was written so the segment ends on a frame. */
	if (ftruncate(s->fd, s->size) == -1)
		log_warn("%s/seg-%08u.dat: truncate", fs->dir, s->num);
	return -1;
}

/* Read and check one frame; *out is the malloc'd payload. */
static int
frame_read(struct fstore *fs, uint32_t seg, uint64_t pos, uint32_t len,
    uint8_t **out, char *err, size_t errlen)
{
	uint8_t *buf, sum[FRAME_SUM];
	size_t n = FRAME_OVER + (size_t)len;
	ssize_t r;

	if ((buf = malloc(n)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((r = pread(fs->segs[seg].fd, buf, n, pos)) != (ssize_t)n) {
		snprintf(err, errlen, "%s/seg-%08u.dat: read at %llu: %s",
		    fs->dir, fs->segs[seg].num, (unsigned long long)pos,
		    r == -1 ? strerror(errno) : "short read");
		free(buf);
		return -1;
	}
	frame_sum(buf, 4 + len, sum);
	if (le32get(buf) != len ||
	    sodium_memcmp(sum, buf + 4 + len, FRAME_SUM) != 0) {
		snprintf(err, errlen, "%s/seg-%08u.dat: offset %llu: checksum "
		    "mismatch (changed since open)", fs->dir,
		    fs->segs[seg].num, (unsigned long long)pos);
		free(buf);
		return -1;
	}
	memmove(buf, buf + 4, len);
	*out = buf;
	return 0;
}

/* ------------------------------------------------------------ the ops */

static int
segnum_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int
fs_open(struct store *st, const struct store_conf *conf, char *err,
    size_t errlen)
{
	struct fstore *fs;
	struct dirent *de;
	uint32_t *nums = NULL, *nn;
	size_t nnum = 0, i;
	char name[64], *end;
	unsigned long v;
	DIR *d;
	int fd;

	if (sodium_init() == -1) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return -1;
	}
	if ((fs = calloc(1, sizeof(*fs))) == NULL ||
	    (fs->dir = strdup(conf->path)) == NULL) {
		free(fs);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	fs->dirfd = fs->lockfd = -1;
	fs->segsize = conf->segment_size > 0 ? conf->segment_size :
	    64ULL << 20;
	st->priv = fs;
	if (mkdir(fs->dir, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", fs->dir, strerror(errno));
		goto fail;
	}
	if ((fs->dirfd = open(fs->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1) {
		snprintf(err, errlen, "%s: %s", fs->dir, strerror(errno));
		goto fail;
	}
	if ((fs->lockfd = openat(fs->dirfd, "LOCK", O_RDWR | O_CREAT |
	    O_CLOEXEC, 0600)) == -1) {
		snprintf(err, errlen, "%s/LOCK: %s", fs->dir, strerror(errno));
		goto fail;
	}
	if (flock(fs->lockfd, LOCK_EX | LOCK_NB) == -1) {
		snprintf(err, errlen, "%s: in use by another process (%s/LOCK "
		    "is locked)", fs->dir, fs->dir);
		goto fail;
	}
	if ((fd = dup(fs->dirfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		snprintf(err, errlen, "%s: %s", fs->dir, strerror(errno));
		goto fail;
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "seg-", 4) != 0)
			continue;
		errno = 0;
		v = strtoul(de->d_name + 4, &end, 10);
		if (errno != 0 || strcmp(end, ".dat") != 0 || v == 0 ||
		    v > UINT32_MAX)
			continue;
		if ((nn = reallocarray(nums, nnum + 1, sizeof(*nn))) == NULL) {
			closedir(d);
			free(nums);
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		nums = nn;
		nums[nnum++] = (uint32_t)v;
	}
	closedir(d);
	if (nnum > 0)
		qsort(nums, nnum, sizeof(*nums), segnum_cmp);
	for (i = 0; i < nnum; i++) {
		snprintf(name, sizeof(name), "seg-%08u.dat", nums[i]);
		if ((fd = openat(fs->dirfd, name, O_RDWR | O_CLOEXEC)) == -1) {
			snprintf(err, errlen, "%s/%s: %s", fs->dir, name,
			    strerror(errno));
			free(nums);
			goto fail;
		}
		if (seg_add(fs, nums[i], fd, err, errlen) == -1) {
			close(fd);
			free(nums);
			goto fail;
		}
	}
	free(nums);
	for (i = 0; i < fs->nseg; i++)
		if (seg_load(fs, i, err, errlen) == -1)
			goto fail;
	if (fs->nseg == 0 && seg_new(fs, err, errlen) == -1)
		goto fail;
	log_debug("file store %s: %zu records, %zu kv entries, %zu segments",
	    fs->dir, fs->nrec, fs->nkv, fs->nseg);
	return 0;
 fail:
	fs_close(st);
	return -1;
}

static void
fs_close(struct store *st)
{
	struct fstore *fs = st->priv;
	size_t i;

	if (fs == NULL)
		return;
	for (i = 0; i < fs->nseg; i++)
		close(fs->segs[i].fd);
	free(fs->segs);
	for (i = 0; i < fs->ntopic; i++)
		free(fs->topics[i]);
	free(fs->topics);
	for (i = 0; i < fs->nkv; i++)
		free(fs->kvs[i].name);
	free(fs->kvs);
	free(fs->tab);
	if (fs->lockfd != -1)
		close(fs->lockfd);
	if (fs->dirfd != -1)
		close(fs->dirfd);
	free(fs->dir);
	free(fs);
	st->priv = NULL;
}

/* The last write failed for want of space, which may come back. */
static int
disk_full(const struct fstore *fs)
{
	return fs->werrno == ENOSPC || fs->werrno == EDQUOT;
}

/* Start a new segment at a batch boundary once the last one is full. */
static int
fs_rotate(struct fstore *fs, char *err, size_t errlen)
{
	if (fs->segs[fs->nseg - 1].size < fs->segsize)
		return 0;
	return seg_new(fs, err, errlen);
}

static int
fs_put_batch(struct store *st, const struct rec *recs, size_t n,
    size_t *added, char *err, size_t errlen)
{
	struct fstore *fs = st->priv;
	struct fent e;
	uint8_t *buf = NULL, *p;
	size_t i, len = 0, ndone = 0, plen;
	uint64_t base;
	int t, rc = -1;

	*added = 0;
	if (n == 0)
		return 0;
	fs->werrno = 0;
	if (fs_rotate(fs, err, errlen) == -1) {
		st->temporary = disk_full(fs);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (!rec_name_ok(recs[i].topic) ||
		    !rec_name_ok(recs[i].sender) || recs[i].partition < 0 ||
		    recs[i].offset < 0 || recs[i].ctlen < REC_TAG_LEN ||
		    recs[i].ctlen > REC_BODY_MAX + REC_TAG_LEN) {
			snprintf(err, errlen, "record %zu of the batch: bad "
			    "topic, sender, partition, offset or body", i);
			return -1;
		}
		len += FRAME_OVER + rec_size(&recs[i]);
	}
	if ((buf = malloc(len)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	base = fs->segs[fs->nseg - 1].size;
	for (p = buf, i = 0; i < n; i++) {
		if ((t = topic_find(fs, recs[i].topic, 1)) == -1) {
			snprintf(err, errlen, "out of memory");
			goto undo;
		}
		if (ent_find(fs, t, recs[i].partition, recs[i].offset) != NULL)
			continue;	/* stored already: a replay */
		plen = rec_encode(&recs[i], p + 4);
		le32put(p, (uint32_t)plen);
		frame_sum(p, 4 + plen, p + 4 + plen);
		memset(&e, 0, sizeof(e));
		e.topic = t;
		e.partition = recs[i].partition;
		e.offset = recs[i].offset;
		e.seg = (uint32_t)(fs->nseg - 1);
		e.pos = base + (p - buf);
		e.len = (uint32_t)plen;
		if (ent_insert(fs, &e) == -1) {
			snprintf(err, errlen, "out of memory");
			goto undo;
		}
		ndone++;
		p += FRAME_OVER + plen;
	}
	if (p > buf && seg_append(fs, buf, p - buf, err, errlen) == -1)
		goto undo;
	*added = ndone;
	rc = 0;
	goto out;
 undo:
	/* Take this batch's records out of the index again. */
	for (i = 0; i < n; i++) {
		struct fent *f;

		if ((t = topic_find(fs, recs[i].topic, 0)) == -1)
			continue;
		f = ent_find(fs, t, recs[i].partition, recs[i].offset);
		if (f != NULL && f->seg == fs->nseg - 1 && f->pos >= base)
			ent_delete(fs, f);
	}
	/* A full disk passes when space is made: the batch is retried
	 * (store_put_retry), nothing consumed meanwhile. */
	st->temporary = disk_full(fs);
 out:
	free(buf);
	return rc;
}

static int
fs_get(struct store *st, const char *topic, int32_t part, int64_t off,
    struct rec *r, int *found, char *err, size_t errlen)
{
	struct fstore *fs = st->priv;
	struct fent *e;
	struct kv k;
	uint8_t *buf;
	int t, kind;

	*found = 0;
	if ((t = topic_find(fs, topic, 0)) == -1 ||
	    (e = ent_find(fs, t, part, off)) == NULL)
		return 0;
	if (frame_read(fs, e->seg, e->pos, e->len, &buf, err, errlen) == -1)
		return -1;
	if (rec_decode(buf, e->len, &kind, r, &k, err, errlen) == -1 ||
	    kind != REC_KIND_RECORD) {
		free(buf);
		snprintf(err, errlen, "%s/seg-%08u.dat: offset %llu: not the "
		    "record indexed", fs->dir, fs->segs[e->seg].num,
		    (unsigned long long)e->pos);
		return -1;
	}
	r->buf = buf;
	*found = 1;
	return 0;
}

struct sortent {
	const struct fent	*e;
	uint32_t		 rank;		/* of the topic, by bytes */
};

static char **sort_topics;

static int
rank_cmp(const void *a, const void *b)
{
	return strcmp(sort_topics[*(const uint32_t *)a],
	    sort_topics[*(const uint32_t *)b]);
}

static int
sortent_cmp(const void *a, const void *b)
{
	const struct sortent *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	if (x->e->partition != y->e->partition)
		return x->e->partition < y->e->partition ? -1 : 1;
	if (x->e->offset != y->e->offset)
		return x->e->offset < y->e->offset ? -1 : 1;
	return 0;
}

/* Map every segment for reading (NULL for empty ones). */
static int
maps_open(struct fstore *fs, uint8_t ***mapsp, char *err, size_t errlen)
{
	uint8_t **maps;
	size_t i;

	if ((maps = calloc(fs->nseg + 1, sizeof(*maps))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < fs->nseg; i++) {
		if (fs->segs[i].size == 0)
			continue;
		maps[i] = mmap(NULL, fs->segs[i].size, PROT_READ, MAP_SHARED,
		    fs->segs[i].fd, 0);
		if (maps[i] == MAP_FAILED) {
			snprintf(err, errlen, "%s/seg-%08u.dat: mmap: %s",
			    fs->dir, fs->segs[i].num, strerror(errno));
			maps[i] = NULL;
			while (i-- > 0)
				if (maps[i] != NULL)
					munmap(maps[i], fs->segs[i].size);
			free(maps);
			return -1;
		}
	}
	*mapsp = maps;
	return 0;
}

static void
maps_close(struct fstore *fs, uint8_t **maps)
{
	size_t i;

	for (i = 0; i < fs->nseg; i++)
		if (maps[i] != NULL)
			munmap(maps[i], fs->segs[i].size);
	free(maps);
}

/* Check the frame at maps[seg] + pos and return its payload. */
static const uint8_t *
map_frame(struct fstore *fs, uint8_t **maps, uint32_t seg, uint64_t pos,
    uint32_t len, char *err, size_t errlen)
{
	uint8_t sum[FRAME_SUM];
	const uint8_t *f;

	if (maps[seg] == NULL || pos + FRAME_OVER + len > fs->segs[seg].size) {
		snprintf(err, errlen, "%s/seg-%08u.dat: offset %llu: beyond "
		    "the end", fs->dir, fs->segs[seg].num,
		    (unsigned long long)pos);
		return NULL;
	}
	f = maps[seg] + pos;
	frame_sum(f, 4 + len, sum);
	if (le32get(f) != len || sodium_memcmp(sum, f + 4 + len, FRAME_SUM)) {
		snprintf(err, errlen, "%s/seg-%08u.dat: offset %llu: checksum "
		    "mismatch (changed since open)", fs->dir,
		    fs->segs[seg].num, (unsigned long long)pos);
		return NULL;
	}
	return f + 4;
}

static int
fs_iterate(struct store *st, store_rec_cb *cb, void *arg, char *err,
    size_t errlen)
{
	struct fstore *fs = st->priv;
	struct sortent *v = NULL;
	uint32_t *order = NULL, *rank = NULL;
	uint8_t **maps = NULL;
	const uint8_t *p;
	struct rec r;
	struct kv k;
	size_t i, n = 0;
	int kind, rc = -1;

	if ((v = calloc(fs->nrec + 1, sizeof(*v))) == NULL ||
	    (order = calloc(fs->ntopic + 1, sizeof(*order))) == NULL ||
	    (rank = calloc(fs->ntopic + 1, sizeof(*rank))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < fs->ntopic; i++)
		order[i] = (uint32_t)i;
	sort_topics = fs->topics;
	qsort(order, fs->ntopic, sizeof(*order), rank_cmp);
	for (i = 0; i < fs->ntopic; i++)
		rank[order[i]] = (uint32_t)i;
	for (i = 0; i < fs->tabsize; i++) {
		if (fs->tab[i].len == 0)
			continue;
		v[n].e = &fs->tab[i];
		v[n].rank = rank[fs->tab[i].topic];
		n++;
	}
	qsort(v, n, sizeof(*v), sortent_cmp);
	if (maps_open(fs, &maps, err, errlen) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		if ((p = map_frame(fs, maps, v[i].e->seg, v[i].e->pos,
		    v[i].e->len, err, errlen)) == NULL)
			goto out;
		if (rec_decode(p, v[i].e->len, &kind, &r, &k, err, errlen) ==
		    -1 || kind != REC_KIND_RECORD) {
			snprintf(err, errlen, "%s: indexed frame is not a "
			    "record", fs->dir);
			goto out;
		}
		if (cb(arg, &r) == -1) {
			snprintf(err, errlen, "iteration stopped");
			goto out;
		}
	}
	rc = 0;
 out:
	if (maps != NULL)
		maps_close(fs, maps);
	free(v);
	free(order);
	free(rank);
	return rc;
}

static int
fkv_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct fkv * const *)a)->name,
	    (*(const struct fkv * const *)b)->name);
}

static int
fs_kv_iterate(struct store *st, store_kv_cb *cb, void *arg, char *err,
    size_t errlen)
{
	struct fstore *fs = st->priv;
	struct fkv **v;
	uint8_t **maps = NULL;
	const uint8_t *p;
	struct rec r;
	struct kv k;
	size_t i;
	int kind, rc = -1;

	if ((v = calloc(fs->nkv + 1, sizeof(*v))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < fs->nkv; i++)
		v[i] = &fs->kvs[i];
	qsort(v, fs->nkv, sizeof(*v), fkv_cmp);
	if (maps_open(fs, &maps, err, errlen) == -1)
		goto out;
	for (i = 0; i < fs->nkv; i++) {
		if ((p = map_frame(fs, maps, v[i]->seg, v[i]->pos, v[i]->len,
		    err, errlen)) == NULL)
			goto out;
		if (rec_decode(p, v[i]->len, &kind, &r, &k, err, errlen) ==
		    -1 || kind != REC_KIND_KV) {
			snprintf(err, errlen, "%s: indexed frame is not a kv "
			    "entry", fs->dir);
			goto out;
		}
		if (cb(arg, &k) == -1) {
			snprintf(err, errlen, "iteration stopped");
			goto out;
		}
	}
	rc = 0;
 out:
	if (maps != NULL)
		maps_close(fs, maps);
	free(v);
	return rc;
}

static int
fs_count(struct store *st, uint64_t *nrec, uint64_t *nkv, char *err,
    size_t errlen)
{
	struct fstore *fs = st->priv;

	(void)err;
	(void)errlen;
	*nrec = fs->nrec;
	*nkv = fs->nkv;
	return 0;
}

static int
fs_kv_put(struct store *st, const struct kv *k, char *err, size_t errlen)
{
	struct fstore *fs = st->priv;
	uint8_t *buf;
	size_t plen;
	uint64_t pos;
	int rc = -1;

	if (!rec_name_ok(k->name) || k->ctlen < REC_TAG_LEN ||
	    k->ctlen > REC_BODY_MAX + REC_TAG_LEN) {
		snprintf(err, errlen, "kv entry: bad name or value");
		return -1;
	}
	fs->werrno = 0;
	if (fs_rotate(fs, err, errlen) == -1) {
		st->temporary = disk_full(fs);
		return -1;
	}
	if ((buf = malloc(FRAME_OVER + kv_size(k))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	plen = kv_encode(k, buf + 4);
	le32put(buf, (uint32_t)plen);
	frame_sum(buf, 4 + plen, buf + 4 + plen);
	pos = fs->segs[fs->nseg - 1].size;
	if (seg_append(fs, buf, FRAME_OVER + plen, err, errlen) == -1) {
		st->temporary = disk_full(fs);
		goto out;
	}
	if (kv_index(fs, k->name, (uint32_t)(fs->nseg - 1), pos,
	    (uint32_t)plen) == -1) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rc = 0;
 out:
	free(buf);
	return rc;
}

static int
fs_kv_get(struct store *st, const char *name, struct kv *k, int *found,
    char *err, size_t errlen)
{
	struct fstore *fs = st->priv;
	struct fkv *f;
	struct rec r;
	uint8_t *buf;
	int kind;

	*found = 0;
	if ((f = kv_find(fs, name)) == NULL)
		return 0;
	if (frame_read(fs, f->seg, f->pos, f->len, &buf, err, errlen) == -1)
		return -1;
	if (rec_decode(buf, f->len, &kind, &r, k, err, errlen) == -1 ||
	    kind != REC_KIND_KV) {
		free(buf);
		snprintf(err, errlen, "%s: indexed frame is not a kv entry",
		    fs->dir);
		return -1;
	}
	k->buf = buf;
	*found = 1;
	return 0;
}

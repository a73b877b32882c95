/*
 * Fuzz target: the archiver's decoders of outside bytes.  The first byte
 * picks one:
 *   0  a whole backup file (header, chunk lengths, authentication) under a
 *      fixed key: backup_read_fd
 *   1  a file store segment: fstore_scan, every payload through rec_decode
 *   2  the plaintext of one backup data chunk, sealed properly under the
 *      fixed key so the frame parser behind the authentication is reached
 *   3  the plaintext of the final (manifest) chunk, likewise
 */
#include <sys/mman.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "archiver/backup.h"
#include "archiver/store.h"
#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct keyring *kr;
static int fd = -1;

static int
rec_cb(void *arg, const struct rec *r)
{
	uint8_t buf[2048], *p;
	size_t n = rec_size(r);

	(void)arg;
	p = n <= sizeof(buf) ? buf : malloc(n);
	if (p == NULL)
		return -1;
	if (rec_encode(r, p) != n)
		abort();
	if (p != buf)
		free(p);
	return 0;
}

static int
kv_cb(void *arg, const struct kv *k)
{
	(void)arg;
	return kv_size(k) > 0 ? 0 : -1;
}

static int
frame_cb(void *arg, const uint8_t *p, size_t len, uint64_t pos)
{
	struct rec r;
	struct kv k;
	char err[256];
	int kind;

	(void)arg;
	(void)pos;
	if (rec_decode(p, len, &kind, &r, &k, err, sizeof(err)) == -1)
		return -1;
	return kind == REC_KIND_RECORD ? rec_cb(NULL, &r) : kv_cb(NULL, &k);
}

/* Write a backup whose only chunk of the given tag holds data. */
static size_t
seal(const uint8_t *data, size_t size, int final, uint8_t **out)
{
	crypto_secretstream_xchacha20poly1305_state st;
	uint8_t bk[32], *p, mani[64];
	unsigned long long clen;
	size_t n;

	n = 64 + 2 * (4 + 17) + size + sizeof(mani);
	if ((p = calloc(1, n)) == NULL)
		return 0;
	memcpy(p, "SCARBAK\x01", 8);
	le32put(p + 8, 1);
	memcpy(p + 16, kr->k[0].id, 8);
	crypto_kdf_derive_from_key(bk, sizeof(bk), 1, "SCARBKUP", kr->k[0].key);
	crypto_secretstream_xchacha20poly1305_init_push(&st, p + 32, bk);
	n = 64;
	if (!final) {
		crypto_secretstream_xchacha20poly1305_push(&st, p + n + 4,
		    &clen, data, size, p, 64,
		    crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
		le32put(p + n, (uint32_t)clen);
		n += 4 + clen;
		memset(mani, 0, sizeof(mani));
		memcpy(mani, "SCARMANI", 8);
		data = mani;
		size = 8 + 24 + 32;
	}
	crypto_secretstream_xchacha20poly1305_push(&st, p + n + 4, &clen,
	    data, size, final ? p : NULL, final ? 64 : 0,
	    crypto_secretstream_xchacha20poly1305_TAG_FINAL);
	le32put(p + n, (uint32_t)clen);
	n += 4 + clen;
	*out = p;
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct backup_manifest m;
	uint8_t key[32], *file = NULL;
	char err[1024];
	size_t n;
	int torn;

	if (kr == NULL) {
		log_init("fuzz", LOG_LVL_ERROR);
		if (sodium_init() == -1 || (kr = keyring_new()) == NULL)
			abort();
		memset(key, 0x42, sizeof(key));
		keyring_add(kr, key, err, sizeof(err));
		fd = memfd_create("fuzz.scab", 0);
	}
	if (size < 1 || size > (1 << 20))
		return 0;
	switch (data[0] % 4) {
	case 0:
		file = (uint8_t *)data + 1;
		n = size - 1;
		break;
	case 1:
		(void)fstore_scan(data + 1, size - 1, frame_cb, NULL, &torn,
		    err, sizeof(err));
		return 0;
	default:
		if ((n = seal(data + 1, size - 1, data[0] % 4 == 3, &file)) ==
		    0)
			return 0;
		break;
	}
	if (ftruncate(fd, 0) == -1 || pwrite(fd, file, n, 0) != (ssize_t)n ||
	    lseek(fd, 0, SEEK_SET) == -1)
		abort();
	(void)backup_read_fd(fd, kr, rec_cb, kv_cb, NULL, &m, err,
	    sizeof(err));
	if (file != data + 1)
		free(file);
	return 0;
}

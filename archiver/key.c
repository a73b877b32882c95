/* key: see key.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "hex.h"
#include "cfg.h"
#include "key.h"

#define KEYID_CONTEXT	"serai-archiver key id v1"

struct keyring *
keyring_new(void)
{
	struct keyring *kr;

	if (sodium_init() == -1)
		return NULL;
	if ((kr = sodium_malloc(sizeof(*kr))) == NULL)
		return NULL;
	memset(kr, 0, sizeof(*kr));
	return kr;
}

void
keyring_free(struct keyring *kr)
{
	if (kr != NULL)
		sodium_free(kr);	/* wipes */
}

void
key_id(const uint8_t *key, uint8_t *id)
{
	crypto_generichash(id, REC_KEYID_LEN,
	    (const unsigned char *)KEYID_CONTEXT, sizeof(KEYID_CONTEXT) - 1,
	    key, KEY_LEN);
}

const char *
key_id_hex(const uint8_t *id, char *hex)
{
	hex_encode(id, REC_KEYID_LEN, hex);
	return hex;
}

int
keyring_add(struct keyring *kr, const uint8_t *key, char *err, size_t errlen)
{
	uint8_t id[REC_KEYID_LEN];

	key_id(key, id);
	if (keyring_find(kr, id) != NULL)
		return 0;
	if (kr->n == KEYRING_MAX) {
		snprintf(err, errlen, "too many keys (at most %d)",
		    KEYRING_MAX);
		return -1;
	}
	memcpy(kr->k[kr->n].id, id, REC_KEYID_LEN);
	memcpy(kr->k[kr->n].key, key, KEY_LEN);
	kr->n++;
	return 0;
}

int
keyring_add_file(struct keyring *kr, const char *path, char *err,
    size_t errlen)
{
	uint8_t key[KEY_LEN];
	int rc = -1;

	if (cfg_key32_read(path, key, err, errlen) == -1)
		return -1;
	if (sodium_is_zero(key, KEY_LEN)) {
		snprintf(err, errlen, "%s: the key is all zeroes", path);
		goto out;
	}
	rc = keyring_add(kr, key, err, errlen);
 out:
	sodium_memzero(key, sizeof(key));
	return rc;
}

const uint8_t *
keyring_find(const struct keyring *kr, const uint8_t *id)
{
	size_t i;

	for (i = 0; i < kr->n; i++)
		if (memcmp(kr->k[i].id, id, REC_KEYID_LEN) == 0)
			return kr->k[i].key;
	return NULL;
}

const uint8_t *
keyring_current(const struct keyring *kr, uint8_t *id)
{
	if (id != NULL)
		memcpy(id, kr->k[0].id, REC_KEYID_LEN);
	return kr->k[0].key;
}

int
key_generate(const char *path, char *err, size_t errlen)
{
	uint8_t key[KEY_LEN];
	char hex[2 * KEY_LEN + 2];
	ssize_t n;
	int fd;

	if (sodium_init() == -1) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return -1;
	}
	randombytes_buf(key, sizeof(key));
	hex_encode(key, sizeof(key), hex);
	sodium_memzero(key, sizeof(key));
	hex[2 * KEY_LEN] = '\n';
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		sodium_memzero(hex, sizeof(hex));
		return -1;
	}
	n = write(fd, hex, 2 * KEY_LEN + 1);
	sodium_memzero(hex, sizeof(hex));
	if (n != 2 * KEY_LEN + 1 || fsync(fd) == -1) {
		snprintf(err, errlen, "%s: %s", path, n == -1 || n ==
		    2 * KEY_LEN + 1 ? strerror(errno) : "short write");
		close(fd);
		unlink(path);
		return -1;
	}
	if (close(fd) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

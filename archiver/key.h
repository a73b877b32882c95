/*
 * key: the archive's data keys.
 *
 * A key file holds 32 bytes, raw or as 64 hex digits (a trailing newline is
 * allowed), and must be mode 0600 or stricter.  A key's id is the first 8
 * bytes of BLAKE2b keyed with it over a fixed string, so the id says which
 * key sealed a record without saying anything about the key.  The keyring
 * holds the current key (it seals new records and backups) and any number
 * of old keys, kept for reading only.
 */
#ifndef KEY_H
#define KEY_H

#include <stddef.h>
#include <stdint.h>

#include "rec.h"

#define KEY_LEN		32
#define KEYRING_MAX	64

struct keyring_key {
	uint8_t		 id[REC_KEYID_LEN];
	uint8_t		 key[KEY_LEN];
};

struct keyring {
	size_t			 n;		/* k[0] is the current key */
	struct keyring_key	 k[KEYRING_MAX];
};

/* A new keyring in guarded memory, or NULL; keyring_free wipes it. */
struct keyring	*keyring_new(void);
void		 keyring_free(struct keyring *);
/* Add a key file (the first added is current); a duplicate is ignored. */
int		 keyring_add_file(struct keyring *, const char *, char *,
		    size_t);
int		 keyring_add(struct keyring *, const uint8_t *, char *, size_t);
const uint8_t	*keyring_find(const struct keyring *, const uint8_t *);
const uint8_t	*keyring_current(const struct keyring *, uint8_t *);
void		 key_id(const uint8_t *, uint8_t *);
/* Hex of a key id, into a buffer of 2 * REC_KEYID_LEN + 1. */
const char	*key_id_hex(const uint8_t *, char *);
/* Write a fresh random key to a new file, mode 0600, hex. */
int		 key_generate(const char *, char *, size_t);

#endif

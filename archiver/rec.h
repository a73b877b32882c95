/*
 * rec: the archive's records and their sealing.
 *
 * A record is one bus message as the archiver keeps it: the metadata in
 * clear (topic, partition, offset, message type, intent, sender, time, the
 * id of the data key) and the body sealed with XChaCha20-Poly1305 under that
 * key, every metadata field bound as associated data.  A kv is a value kept
 * for a data request: a name, a time and the sealed value.
 *
 * Both have one byte encoding, the payload, shared by the file store's
 * segments and by backups (see archiver.8, FILES):
 *
 *   record: 0x01 | u8 len, topic | i32 partition | i64 offset | u32 type |
 *           intent[32] | u8 len, sender | i64 time | key id[8] |
 *           nonce[24] | u32 len, sealed body
 *   kv:     0x02 | u8 len, name | i64 time | key id[8] | nonce[24] |
 *           u32 len, sealed value
 *
 * integers little-endian.  The associated data is "SCAR\x01" followed by the
 * payload up to and including the key id.
 */
#ifndef REC_H
#define REC_H

#include <stddef.h>
#include <stdint.h>

#define REC_NAME_MAX	255		/* topic, sender, kv name */
#define REC_INTENT_LEN	32
#define REC_KEYID_LEN	8
#define REC_NONCE_LEN	24
#define REC_TAG_LEN	16
#define REC_BODY_MAX	(16u * 1024 * 1024)
/* The largest payload: a record with the longest names and body. */
#define REC_PAYLOAD_MAX	(REC_BODY_MAX + REC_TAG_LEN + 2 * REC_NAME_MAX + 128)

#define REC_KIND_RECORD	1
#define REC_KIND_KV	2

struct keyring;

struct rec {
	char		 topic[REC_NAME_MAX + 1];
	int32_t		 partition;
	int64_t		 offset;
	uint32_t	 type;
	uint8_t		 intent[REC_INTENT_LEN];
	char		 sender[REC_NAME_MAX + 1];
	int64_t		 time;			/* ms since the epoch */
	uint8_t		 keyid[REC_KEYID_LEN];
	uint8_t		 nonce[REC_NONCE_LEN];
	const uint8_t	*ct;			/* sealed body, ctlen bytes */
	size_t		 ctlen;
	uint8_t		*buf;			/* owned storage, or NULL */
};

struct kv {
	char		 name[REC_NAME_MAX + 1];
	int64_t		 time;
	uint8_t		 keyid[REC_KEYID_LEN];
	uint8_t		 nonce[REC_NONCE_LEN];
	const uint8_t	*ct;
	size_t		 ctlen;
	uint8_t		*buf;
};

/* Free owned storage and forget ct. */
void	rec_clear(struct rec *);
void	kv_clear(struct kv *);
/* Make ct owned by the record (a copy), so it outlives its source. */
int	rec_own(struct rec *);
int	kv_own(struct kv *);

/* Payload size and encoding; out must hold rec_size() bytes. */
size_t	rec_size(const struct rec *);
size_t	rec_encode(const struct rec *, uint8_t *);
size_t	kv_size(const struct kv *);
size_t	kv_encode(const struct kv *, uint8_t *);

/*
 * Decode one payload of exactly len bytes; *kind tells which of r, k was
 * filled.  ct points into p (not owned).  -1 with err on malformed input.
 */
int	rec_decode(const uint8_t *, size_t, int *, struct rec *, struct kv *,
	    char *, size_t);

/* Check names: 1..REC_NAME_MAX bytes of printable ASCII. */
int	rec_name_ok(const char *);

/*
 * Seal body under the keyring's current key: sets keyid and nonce, writes
 * len + REC_TAG_LEN bytes to out and points ct at it.
 */
void	rec_seal(struct rec *, const struct keyring *, const uint8_t *,
	    size_t, uint8_t *);
/* Open into out (ctlen - REC_TAG_LEN bytes): -1 with err if refused. */
int	rec_open(const struct rec *, const struct keyring *, uint8_t *,
	    char *, size_t);
void	kv_seal(struct kv *, const struct keyring *, const uint8_t *, size_t,
	    uint8_t *);
int	kv_open(const struct kv *, const struct keyring *, uint8_t *, char *,
	    size_t);

/* Order of iteration: topic (bytes), partition, offset. */
int	rec_cmp(const struct rec *, const struct rec *);

/* Little-endian helpers shared by the encoders. */
void	le32put(uint8_t *, uint32_t);
void	le64put(uint8_t *, uint64_t);
uint32_t le32get(const uint8_t *);
uint64_t le64get(const uint8_t *);

#endif

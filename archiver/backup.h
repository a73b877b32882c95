/*
 * backup: one file per backup, the same for every backend.
 *
 *   header, 64 bytes, in clear:
 *     "SCARBAK" 0x01 | u32 version (1) | u32 0 | key id[8] |
 *     i64 created (ms) | secretstream header[24] | 8 zero bytes
 *   chunks: u32 length | crypto_secretstream_xchacha20poly1305 chunk
 *     the first chunk authenticates the header as associated data;
 *     a chunk's plaintext is frames: u32 len | payload (rec.h), records
 *     in store order, then kv entries by name
 *   the last chunk, tagged FINAL, is the manifest:
 *     "SCARMANI" | u64 records | u64 kv entries | u64 payload bytes |
 *     chain[32]
 *
 * The stream key is derived from the data key named in the header
 * (crypto_kdf, context "SCARBKUP").  chain is BLAKE2b-256 folded over the
 * payloads: h0 = BLAKE2b("serai-archive chain v1"), hN = BLAKE2b(hN-1 |
 * payloadN).  Anything cut, flipped, reordered, spliced from another backup
 * or keyed differently fails authentication or the manifest.
 *
 * The file is written to a temporary name, fsync'd, renamed to
 * archive-YYYYMMDDTHHMMSS.mmmZ.scab and the directory fsync'd.
 */
#ifndef BACKUP_H
#define BACKUP_H

#include <stddef.h>
#include <stdint.h>

#include "key.h"
#include "store.h"

#define BACKUP_CHAIN_LEN	32

struct backup_manifest {
	uint64_t	 nrec;
	uint64_t	 nkv;
	uint64_t	 nbytes;
	uint8_t		 chain[BACKUP_CHAIN_LEN];
	uint8_t		 keyid[REC_KEYID_LEN];
	int64_t		 created;
};

/* A running chain and counts over payloads. */
struct backup_chain {
	uint8_t		 h[BACKUP_CHAIN_LEN];
	uint64_t	 nrec;
	uint64_t	 nkv;
	uint64_t	 nbytes;
};

void	backup_chain_init(struct backup_chain *);
void	backup_chain_add(struct backup_chain *, int, const uint8_t *, size_t);

/* Write a backup of the store into dir; its path goes to path. */
int	backup_write(struct store *, const struct keyring *, const char *,
	    char *, size_t, struct backup_manifest *, char *, size_t);
/* Remove all but the newest keep backups in dir (keep 0: remove none). */
int	backup_prune(const char *, long long, char *, size_t);

/*
 * Read and check a whole backup from fd, calling rcb / kcb (each may be
 * NULL) for every record and kv entry; ct is valid during the call only.
 * Fills the manifest once everything checked out.
 */
int	backup_read_fd(int, const struct keyring *, store_rec_cb *,
	    store_kv_cb *, void *, struct backup_manifest *, char *, size_t);

/* Check the whole file, then restore it into the store in batches. */
int	backup_restore(const char *, const struct keyring *, struct store *,
	    size_t, struct backup_manifest *, char *, size_t);
/*
 * The restore drill: restore into a scratch file store, then check its
 * count and chain against the manifest and open every sealed body.
 */
int	backup_verify(const char *, const struct keyring *,
	    struct backup_manifest *, char *, size_t);

#endif

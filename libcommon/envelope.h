/*
 * envelope: the signed message every record carries.
 *
 * Signing bytes (what the Ed25519 signature covers), all integers little
 * endian:
 *
 *   "serai-coordinator/envelope/v1" 0x00
 *   u32 version | u32 type | intent[32]
 *   u32 len | from | u32 len | to | u64 created_ms | u32 len | body
 *
 * The intent is BLAKE2b-256 over "serai-coordinator/intent/v1" 0x00,
 * u32 type and the length-prefixed fields that say what the message is
 * for (not its bytes): two messages for the same thing have the same
 * intent, so receivers drop the second (as Serai's message queue does).
 */
#ifndef ENVELOPE_H
#define ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "proto/envelope.pb-c.h"

#define ENV_VERSION	1
#define ENV_INTENTLEN	32
#define ENV_PKLEN	crypto_sign_PUBLICKEYBYTES
#define ENV_SKLEN	crypto_sign_SECRETKEYBYTES
#define ENV_SIGLEN	crypto_sign_BYTES

struct cfg;

struct env_key {
	char		id[128];		/* service id */
	unsigned char	pk[ENV_PKLEN];
	unsigned char	sk[ENV_SKLEN];
};

struct env_trust {
	size_t		 n;
	struct {
		char		*id;
		unsigned char	 pk[ENV_PKLEN];
	}		*e;
};

struct env_intent {
	crypto_generichash_state st;
};

/* Key files: one line, the 32-byte Ed25519 seed in hex, mode 0600. */
int	env_key_generate(const char *, unsigned char *, char *, size_t);
int	env_key_load(const char *, const char *, struct env_key *, char *,
	    size_t);
void	env_key_wipe(struct env_key *);

/* The [trust] section: service id = hex public key. */
int	env_trust_load(const struct cfg *, struct env_trust *, char *, size_t);
int	env_trust_add(struct env_trust *, const char *, const unsigned char *);
const unsigned char *env_trust_find(const struct env_trust *, const char *);
void	env_trust_free(struct env_trust *);

/* Intents. */
void	env_intent_init(struct env_intent *, uint32_t);
void	env_intent_add(struct env_intent *, const void *, size_t);
void	env_intent_str(struct env_intent *, const char *);
void	env_intent_u64(struct env_intent *, uint64_t);
void	env_intent_final(struct env_intent *, uint8_t *);

/*
 * Fill, sign and pack: version, from (the key's id), created (now unless
 * set), signature.  Returns a malloc'd buffer (*len set), or NULL.
 */
uint8_t	*env_seal(Coord__Envelope *, const struct env_key *, size_t *);

/* The signing bytes of an envelope (malloc'd). */
uint8_t	*env_signing_bytes(const Coord__Envelope *, size_t *);

/*
 * Unpack and verify one record value: structure, version, intent length,
 * a trusted sender, the signature.  On failure NULL and a reason.
 * Free with env_free().
 */
Coord__Envelope *env_open(const uint8_t *, size_t, const struct env_trust *,
	    char *, size_t);
void	env_free(Coord__Envelope *);


/*
 * JSON (envjson.c): an envelope as one JSON object, its body expanded into
 * the typed message (generic protobuf<->JSON, see pbjson.h), plus "topic"
 * when known.  env_json_line returns a malloc'd line ending in "\n";
 * env_json_parse returns the packed envelope (malloc'd) and the topic if
 * the line names one.  The signature is carried as is: a line whose
 * fields were edited no longer verifies.
 */
char	*env_json_line(const uint8_t *, size_t, const char *, char *, size_t);
uint8_t	*env_json_parse(const char *, size_t, size_t *, char **, char *,
	    size_t);

/* Message types: names and body descriptors (msgtypes.c). */
const char *env_type_name(uint32_t);
const ProtobufCMessageDescriptor *env_type_body(uint32_t);

#endif

/*
 * noise: Noise_XX_25519_ChaChaPoly_SHA256 as the libp2p noise spec uses it.
 *
 * Pure: no I/O.  The handshake state takes and returns whole handshake
 * messages; the framing (2-byte big-endian length, at most 65535 bytes) and
 * the libp2p payload (NoiseHandshakePayload, the Ed25519 identity key and
 * its signature over "noise-libp2p-static-key:" || static key) are helpers
 * beside it.  Transport messages use the split cipher states, nonces from 0
 * counting up, the 12-byte nonce being 4 zero bytes || the counter in
 * little endian, and an empty associated data.
 */
#ifndef CONNECTOR_NOISE_H
#define CONNECTOR_NOISE_H

#include <stddef.h>
#include <stdint.h>

#include "connector/buf.h"

#define NOISE_PROTOCOL_NAME	"Noise_XX_25519_ChaChaPoly_SHA256"
#define NOISE_MSGMAX		65535
#define NOISE_TAGLEN		16
#define NOISE_PLAINMAX		(NOISE_MSGMAX - NOISE_TAGLEN)
#define NOISE_SIG_PREFIX	"noise-libp2p-static-key:"
#define NOISE_PAYLOAD_LEN	104	/* what noise_payload_make writes */

struct noise_cipher {
	uint8_t		 k[32];
	uint64_t	 n;
	int		 has_k;
};

struct noise_hs {
	int		 initiator;
	int		 msg;		/* next message: 0, 1, 2; 3 when done */
	uint8_t		 ck[32];
	uint8_t		 h[32];
	struct noise_cipher cs;
	uint8_t		 s_sk[32], s_pk[32];
	uint8_t		 e_sk[32], e_pk[32];
	int		 e_fixed;	/* tests: ephemeral given */
	uint8_t		 rs[32], re[32];
};

/*
 * Start a handshake.  s_sk NULL makes a fresh static key; e_sk non-NULL
 * fixes the ephemeral key (test vectors only).
 */
void	noise_hs_init(struct noise_hs *, int, const uint8_t *, size_t,
	    const uint8_t *, const uint8_t *);
int	noise_hs_write(struct noise_hs *, const uint8_t *, size_t, uint8_t *,
	    size_t, size_t *, char *, size_t);
int	noise_hs_read(struct noise_hs *, const uint8_t *, size_t, uint8_t *,
	    size_t, size_t *, char *, size_t);
/* After message 3: the sending and the receiving cipher states. */
void	noise_hs_split(struct noise_hs *, struct noise_cipher *,
	    struct noise_cipher *);
void	noise_hs_wipe(struct noise_hs *);

int	noise_encrypt(struct noise_cipher *, const uint8_t *, size_t,
	    const uint8_t *, size_t, uint8_t *);
int	noise_decrypt(struct noise_cipher *, const uint8_t *, size_t,
	    const uint8_t *, size_t, uint8_t *);

/* HKDF of the Noise spec with HMAC-SHA256 (exposed for the unit test). */
void	noise_hkdf(const uint8_t[32], const uint8_t *, size_t, uint8_t[32],
	    uint8_t[32], uint8_t *);

/* libp2p handshake payload. */
int	noise_payload_make(const uint8_t[64], const uint8_t[32],
	    const uint8_t[32], uint8_t *, size_t, size_t *);
int	noise_payload_verify(const uint8_t *, size_t, const uint8_t[32],
	    uint8_t[32], char *, size_t);
/*
 * Early muxer negotiation (the spec's NoiseExtensions, field 4 of the
 * payload): append the stream muxers we speak, in order of preference
 * (-1: no room).  The responder lists its own in message 2, the initiator
 * in message 3; when both list some, the first of the initiator's that
 * the responder lists is the muxer, with no multistream-select for it.
 */
int	noise_payload_add_muxers(uint8_t *, size_t, size_t *,
	    const char *const *, size_t);
/*
 * The muxers a payload lists: -1 malformed, 0 none listed; 1 some, and
 * *i the index in ours of the first of theirs we speak (-1: none), or,
 * theirs_first 0, of the first of ours they list.
 */
int	noise_payload_muxer(const uint8_t *, size_t, const char *const *,
	    size_t, int, int *);

/* Framing: 1 and *len set when a whole frame is at the head of in. */
int	noise_frame_peek(const struct buf *, size_t *);
void	noise_frame_put(struct buf *, const uint8_t *, size_t);
/* Encrypt plaintext into as many frames as needed, appended to out. */
int	noise_seal(struct noise_cipher *, const uint8_t *, size_t,
	    struct buf *);
/*
 * One frame of plaintext a || b (at most NOISE_PLAINMAX bytes), the yamux
 * header and a stream's data: copied once, into the frame in out, and
 * encrypted there in place.
 */
int	noise_seal2(struct noise_cipher *, const uint8_t *, size_t,
	    const uint8_t *, size_t, struct buf *);
/* Decrypt one frame body, appending the plaintext to out. */
int	noise_open(struct noise_cipher *, const uint8_t *, size_t,
	    struct buf *, char *, size_t);
/* Decrypt one frame body where it lies: len - 16 bytes of plaintext. */
int	noise_open_inplace(struct noise_cipher *, uint8_t *, size_t, char *,
	    size_t);

#endif

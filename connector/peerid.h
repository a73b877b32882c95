/*
 * peerid: libp2p identities for Ed25519 keys.
 *
 * A PeerId is the multihash of the protobuf PublicKey{Type=Ed25519, Data};
 * that encoding is 36 bytes, under the 42-byte limit, so the multihash is
 * the identity one (0x00, 0x24, the 36 bytes), written in base58btc
 * ("12D3KooW...").  Other key types are refused: every validator uses
 * Ed25519.
 */
#ifndef CONNECTOR_PEERID_H
#define CONNECTOR_PEERID_H

#include <stddef.h>
#include <stdint.h>

#define PEERID_MAX	64	/* bytes of a multihash we accept */
#define PEERID_STRMAX	96	/* base58 text of one, with NUL */
#define PUBKEY_PB_LEN	36	/* PublicKey{Ed25519, 32 bytes} */

struct peerid {
	uint8_t	 b[PEERID_MAX];
	size_t	 len;
};

/* PublicKey protobuf: 08 01 12 20 <32 bytes>. */
void	pubkey_pb_encode(const uint8_t[32], uint8_t[PUBKEY_PB_LEN]);
int	pubkey_pb_decode(const uint8_t *, size_t, uint8_t[32], char *, size_t);

void	peerid_from_ed25519(const uint8_t[32], struct peerid *);
int	peerid_to_ed25519(const struct peerid *, uint8_t[32]);
int	peerid_parse(const char *, struct peerid *, char *, size_t);
/* Base58btc text; always NUL-terminated (truncated if the buffer is short). */
const char *peerid_str(const struct peerid *, char *, size_t);
int	peerid_eq(const struct peerid *, const struct peerid *);
int	peerid_cmp(const struct peerid *, const struct peerid *);

size_t	base58_encode(const uint8_t *, size_t, char *, size_t);
int	base58_decode(const char *, uint8_t *, size_t, size_t *);

#endif

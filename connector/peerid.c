/*
 * peerid: PublicKey protobuf, identity multihash and base58btc for Ed25519
 * libp2p identities (see peerid.h).
 */
#include <stdio.h>
#include <string.h>

#include "connector/peerid.h"
#include "connector/varint.h"

static const char b58alpha[] =
    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

void
pubkey_pb_encode(const uint8_t pk[32], uint8_t out[PUBKEY_PB_LEN])
{
	out[0] = 0x08;		/* field 1 (Type), varint */
	out[1] = 0x01;		/* Ed25519 */
	out[2] = 0x12;		/* field 2 (Data), bytes */
	out[3] = 0x20;		/* 32 */
	memcpy(out + 4, pk, 32);
}

/*
 * Decode a PublicKey message: fields in any order, unknown fields refused
 * (the message has exactly two), Type must be Ed25519 and Data 32 bytes.
 */
int
pubkey_pb_decode(const uint8_t *p, size_t n, uint8_t pk[32], char *err,
    size_t errlen)
{
	uint64_t key, v;
	size_t	 used, i = 0;
	int	 have_type = 0, have_data = 0;

	while (i < n) {
		if (uvarint_get(p + i, n - i, &key, &used) != 1)
			goto bad;
		i += used;
		if (key == 0x08) {
			if (uvarint_get(p + i, n - i, &v, &used) != 1)
				goto bad;
			i += used;
			if (v != 1) {
				snprintf(err, errlen, "unsupported key type %llu"
				    " (only Ed25519)", (unsigned long long)v);
				return -1;
			}
			have_type = 1;
		} else if (key == 0x12) {
			if (uvarint_get(p + i, n - i, &v, &used) != 1)
				goto bad;
			i += used;
			if (v > n - i)
				goto bad;
			if (v != 32) {
				snprintf(err, errlen, "Ed25519 key of %llu bytes",
				    (unsigned long long)v);
				return -1;
			}
			memcpy(pk, p + i, 32);
			i += 32;
			have_data = 1;
		} else
			goto bad;
	}
	if (!have_type || !have_data)
		goto bad;
	return 0;
bad:
	snprintf(err, errlen, "malformed PublicKey protobuf");
	return -1;
}

void
peerid_from_ed25519(const uint8_t pk[32], struct peerid *id)
{
	id->b[0] = 0x00;	/* identity multihash */
	id->b[1] = PUBKEY_PB_LEN;
	pubkey_pb_encode(pk, id->b + 2);
	id->len = 2 + PUBKEY_PB_LEN;
}

int
peerid_to_ed25519(const struct peerid *id, uint8_t pk[32])
{
	char	 err[64];

	if (id->len != 2 + PUBKEY_PB_LEN || id->b[0] != 0x00 ||
	    id->b[1] != PUBKEY_PB_LEN)
		return -1;
	return pubkey_pb_decode(id->b + 2, PUBKEY_PB_LEN, pk, err,
	    sizeof(err));
}

int
peerid_parse(const char *s, struct peerid *id, char *err, size_t errlen)
{
	uint8_t	 pk[32];
	size_t	 n;

	if (base58_decode(s, id->b, sizeof(id->b), &n) == -1) {
		snprintf(err, errlen, "peer id \"%.60s\": not base58btc", s);
		return -1;
	}
	id->len = n;
	if (n >= 2 && id->b[0] == 0x12 && id->b[1] == 0x20 && n == 34) {
		snprintf(err, errlen, "peer id \"%.60s\": a SHA-256 (non-"
		    "Ed25519) key, unsupported", s);
		return -1;
	}
	if (peerid_to_ed25519(id, pk) == -1) {
		snprintf(err, errlen, "peer id \"%.60s\": not an Ed25519 "
		    "identity multihash", s);
		return -1;
	}
	return 0;
}

const char *
peerid_str(const struct peerid *id, char *out, size_t outlen)
{
	if (base58_encode(id->b, id->len, out, outlen) == 0 && outlen > 0)
		snprintf(out, outlen, "?");
	return out;
}

int
peerid_eq(const struct peerid *a, const struct peerid *b)
{
	return a->len == b->len && memcmp(a->b, b->b, a->len) == 0;
}

int
peerid_cmp(const struct peerid *a, const struct peerid *b)
{
	size_t	 n = a->len < b->len ? a->len : b->len;
	int	 r;

	if ((r = memcmp(a->b, b->b, n)) != 0)
		return r;
	return (a->len > b->len) - (a->len < b->len);
}

/* Returns the text length, 0 if out is too small. */
size_t
base58_encode(const uint8_t *in, size_t n, char *out, size_t outlen)
{
	uint8_t	 tmp[PEERID_MAX * 138 / 100 + 2];
	size_t	 zeros = 0, size, i, j, len;
	unsigned int carry;

	if (n > PEERID_MAX)
		return 0;
	while (zeros < n && in[zeros] == 0)
		zeros++;
	size = (n - zeros) * 138 / 100 + 1;
	memset(tmp, 0, size);
	for (i = zeros; i < n; i++) {
		carry = in[i];
		for (j = size; j-- > 0; ) {
			carry += 256u * tmp[j];
			tmp[j] = carry % 58;
			carry /= 58;
		}
	}
	for (j = 0; j < size && tmp[j] == 0; j++)
		;
	len = zeros + (size - j);
	if (len + 1 > outlen)
		return 0;
	memset(out, '1', zeros);
	for (i = zeros; j < size; i++, j++)
		out[i] = b58alpha[tmp[j]];
	out[len] = '\0';
	return len;
}

int
base58_decode(const char *s, uint8_t *out, size_t outcap, size_t *outlen)
{
	uint8_t	 tmp[PEERID_MAX * 2];
	size_t	 n = strlen(s), zeros = 0, size, i, j;
	unsigned int carry;
	const char *c;

	if (n == 0 || n > PEERID_STRMAX)
		return -1;
	while (zeros < n && s[zeros] == '1')
		zeros++;
	size = (n - zeros) * 733 / 1000 + 1;
	if (size > sizeof(tmp))
		return -1;
	memset(tmp, 0, size);
	for (i = zeros; i < n; i++) {
		if ((c = strchr(b58alpha, s[i])) == NULL || *c == '\0')
			return -1;
		carry = (unsigned int)(c - b58alpha);
		for (j = size; j-- > 0; ) {
			carry += 58u * tmp[j];
			tmp[j] = carry & 0xff;
			carry >>= 8;
		}
		if (carry != 0)
			return -1;
	}
	for (j = 0; j < size && tmp[j] == 0; j++)
		;
	if (zeros + (size - j) > outcap)
		return -1;
	memset(out, 0, zeros);
	memcpy(out + zeros, tmp + j, size - j);
	*outlen = zeros + (size - j);
	return 0;
}

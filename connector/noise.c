/*
 * noise: Noise_XX_25519_ChaChaPoly_SHA256 and the libp2p handshake payload
 * (see noise.h), on libsodium.  Names follow the Noise specification:
 * MixHash, MixKey, EncryptAndHash, DecryptAndHash, Split.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "connector/noise.h"
#include "connector/peerid.h"
#include "connector/varint.h"

static void	hmac(const uint8_t[32], const uint8_t *, size_t,
		    const uint8_t *, size_t, uint8_t[32]);
static void	mix_hash(struct noise_hs *, const uint8_t *, size_t);
static void	mix_key(struct noise_hs *, const uint8_t[32]);
static int	dh(uint8_t[32], const uint8_t[32], const uint8_t[32]);
static int	encrypt_and_hash(struct noise_hs *, const uint8_t *, size_t,
		    uint8_t *);
static int	decrypt_and_hash(struct noise_hs *, const uint8_t *, size_t,
		    uint8_t *);
static void	nonce_of(uint64_t, uint8_t[12]);
static void	keypair(uint8_t[32], uint8_t[32]);

static void
hmac(const uint8_t key[32], const uint8_t *a, size_t alen, const uint8_t *b,
    size_t blen, uint8_t out[32])
{
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, key, 32);
	crypto_auth_hmacsha256_update(&st, a, alen);
	if (blen > 0)
		crypto_auth_hmacsha256_update(&st, b, blen);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

void
noise_hkdf(const uint8_t ck[32], const uint8_t *ikm, size_t ikmlen,
    uint8_t o1[32], uint8_t o2[32], uint8_t *o3)
{
	uint8_t	 temp[32], one = 1, two = 2, three = 3;

	hmac(ck, ikm, ikmlen, NULL, 0, temp);
	hmac(temp, &one, 1, NULL, 0, o1);
	hmac(temp, o1, 32, &two, 1, o2);
	if (o3 != NULL)
		hmac(temp, o2, 32, &three, 1, o3);
	sodium_memzero(temp, sizeof(temp));
}

static void
mix_hash(struct noise_hs *hs, const uint8_t *data, size_t len)
{
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, hs->h, 32);
	crypto_hash_sha256_update(&st, data, len);
	crypto_hash_sha256_final(&st, hs->h);
}

static void
mix_key(struct noise_hs *hs, const uint8_t ikm[32])
{
	uint8_t	 ck[32], k[32];

	noise_hkdf(hs->ck, ikm, 32, ck, k, NULL);
	memcpy(hs->ck, ck, 32);
	memcpy(hs->cs.k, k, 32);
	hs->cs.n = 0;
	hs->cs.has_k = 1;
	sodium_memzero(ck, sizeof(ck));
	sodium_memzero(k, sizeof(k));
}

/* X25519; a low-order point (all-zero result) is refused. */
static int
dh(uint8_t out[32], const uint8_t sk[32], const uint8_t pk[32])
{
	return crypto_scalarmult(out, sk, pk) == 0 ? 0 : -1;
}

static void
nonce_of(uint64_t n, uint8_t nonce[12])
{
	int	 i;

	memset(nonce, 0, 4);
	for (i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(n >> (8 * i));
}

int
noise_encrypt(struct noise_cipher *cs, const uint8_t *ad, size_t adlen,
    const uint8_t *pt, size_t len, uint8_t *out)
{
	uint8_t	 nonce[12];
	unsigned long long clen;

	if (!cs->has_k) {
		if (len > 0)
			memmove(out, pt, len);
		return 0;
	}
	if (cs->n == UINT64_MAX)
		return -1;		/* nonce space exhausted */
	nonce_of(cs->n, nonce);
	crypto_aead_chacha20poly1305_ietf_encrypt(out, &clen, pt, len, ad,
	    adlen, NULL, nonce, cs->k);
	cs->n++;
	return 0;
}

int
noise_decrypt(struct noise_cipher *cs, const uint8_t *ad, size_t adlen,
    const uint8_t *ct, size_t len, uint8_t *out)
{
	uint8_t	 nonce[12];
	unsigned long long plen;

	if (!cs->has_k) {
		if (len > 0)
			memmove(out, ct, len);
		return 0;
	}
	if (len < NOISE_TAGLEN || cs->n == UINT64_MAX)
		return -1;
	nonce_of(cs->n, nonce);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(out, &plen, NULL, ct,
	    len, ad, adlen, nonce, cs->k) != 0)
		return -1;
	cs->n++;
	return 0;
}

/* out gets len (+ 16 once keyed) bytes. */
static int
encrypt_and_hash(struct noise_hs *hs, const uint8_t *pt, size_t len,
    uint8_t *out)
{
	if (noise_encrypt(&hs->cs, hs->h, 32, pt, len, out) == -1)
		return -1;
	mix_hash(hs, out, len + (hs->cs.has_k ? NOISE_TAGLEN : 0));
	return 0;
}

static int
decrypt_and_hash(struct noise_hs *hs, const uint8_t *ct, size_t len,
    uint8_t *out)
{
	uint8_t	 h[32];

	memcpy(h, hs->h, 32);
	mix_hash(hs, ct, len);		/* over the ciphertext */
	return noise_decrypt(&hs->cs, h, 32, ct, len, out);
}

static void
keypair(uint8_t sk[32], uint8_t pk[32])
{
	randombytes_buf(sk, 32);
	crypto_scalarmult_base(pk, sk);
}

void
noise_hs_init(struct noise_hs *hs, int initiator, const uint8_t *prologue,
    size_t plen, const uint8_t *s_sk, const uint8_t *e_sk)
{
	memset(hs, 0, sizeof(*hs));
	hs->initiator = initiator;
	/* The name is exactly HASHLEN (32) bytes: h is the name itself. */
	memcpy(hs->h, NOISE_PROTOCOL_NAME, 32);
	memcpy(hs->ck, hs->h, 32);
	mix_hash(hs, prologue, plen);
	if (s_sk != NULL) {
		memcpy(hs->s_sk, s_sk, 32);
		crypto_scalarmult_base(hs->s_pk, hs->s_sk);
	} else
		keypair(hs->s_sk, hs->s_pk);
	if (e_sk != NULL) {
		memcpy(hs->e_sk, e_sk, 32);
		crypto_scalarmult_base(hs->e_pk, hs->e_sk);
		hs->e_fixed = 1;
	}
}

void
noise_hs_wipe(struct noise_hs *hs)
{
	sodium_memzero(hs, sizeof(*hs));
}

int
noise_hs_write(struct noise_hs *hs, const uint8_t *payload, size_t plen,
    uint8_t *out, size_t outcap, size_t *outlen, char *err, size_t errlen)
{
	uint8_t	 shared[32];
	size_t	 n = 0, need;

	if (hs->msg > 2 || (hs->msg == 1) == hs->initiator) {
		snprintf(err, errlen, "noise: not our turn to write");
		return -1;
	}
	need = plen + (hs->msg == 0 ? 32 : hs->msg == 1 ? 96 : 64);
	if (need > outcap || need > NOISE_MSGMAX) {
		snprintf(err, errlen, "noise: handshake message too long");
		return -1;
	}
	if (hs->msg == 0 || hs->msg == 1) {
		/* e */
		if (!hs->e_fixed)
			keypair(hs->e_sk, hs->e_pk);
		memcpy(out, hs->e_pk, 32);
		mix_hash(hs, hs->e_pk, 32);
		n = 32;
	}
	if (hs->msg == 1) {
		/* ee */
		if (dh(shared, hs->e_sk, hs->re) == -1)
			goto baddh;
		mix_key(hs, shared);
		/* s */
		if (encrypt_and_hash(hs, hs->s_pk, 32, out + n) == -1)
			goto nonce;
		n += 48;
		/* es, as responder: DH(s, re) */
		if (dh(shared, hs->s_sk, hs->re) == -1)
			goto baddh;
		mix_key(hs, shared);
	}
	if (hs->msg == 2) {
		/* s */
		if (encrypt_and_hash(hs, hs->s_pk, 32, out) == -1)
			goto nonce;
		n = 48;
		/* se, as initiator: DH(s, re) */
		if (dh(shared, hs->s_sk, hs->re) == -1)
			goto baddh;
		mix_key(hs, shared);
	}
	if (encrypt_and_hash(hs, payload, plen, out + n) == -1)
		goto nonce;
	n += plen + (hs->cs.has_k ? NOISE_TAGLEN : 0);
	*outlen = n;
	hs->msg++;
	sodium_memzero(shared, sizeof(shared));
	return 0;
baddh:
	snprintf(err, errlen, "noise: X25519 with a low-order point");
	sodium_memzero(shared, sizeof(shared));
	return -1;
nonce:
	snprintf(err, errlen, "noise: nonce exhausted");
	return -1;
}

int
noise_hs_read(struct noise_hs *hs, const uint8_t *msg, size_t len,
    uint8_t *payload, size_t cap, size_t *plen, char *err, size_t errlen)
{
	uint8_t	 shared[32];
	size_t	 n = 0, min;

	if (hs->msg > 2 || (hs->msg == 1) != hs->initiator) {
		snprintf(err, errlen, "noise: unexpected handshake message");
		return -1;
	}
	min = hs->msg == 0 ? 32 : hs->msg == 1 ? 96 : 64;
	if (len < min) {
		snprintf(err, errlen, "noise: handshake message %d too short "
		    "(%zu bytes)", hs->msg + 1, len);
		return -1;
	}
	if (hs->msg == 0 || hs->msg == 1) {
		/* e */
		memcpy(hs->re, msg, 32);
		mix_hash(hs, hs->re, 32);
		n = 32;
	}
	if (hs->msg == 1) {
		/* ee */
		if (dh(shared, hs->e_sk, hs->re) == -1)
			goto baddh;
		mix_key(hs, shared);
		/* s */
		if (decrypt_and_hash(hs, msg + n, 48, hs->rs) == -1)
			goto badmac;
		n += 48;
		/* es, as initiator: DH(e, rs) */
		if (dh(shared, hs->e_sk, hs->rs) == -1)
			goto baddh;
		mix_key(hs, shared);
	}
	if (hs->msg == 2) {
		/* s */
		if (decrypt_and_hash(hs, msg, 48, hs->rs) == -1)
			goto badmac;
		n = 48;
		/* se, as responder: DH(e, rs) */
		if (dh(shared, hs->e_sk, hs->rs) == -1)
			goto baddh;
		mix_key(hs, shared);
	}
	if (hs->cs.has_k && len - n < NOISE_TAGLEN)
		goto badmac;
	*plen = len - n - (hs->cs.has_k ? NOISE_TAGLEN : 0);
	if (*plen > cap) {
		snprintf(err, errlen, "noise: handshake payload too long");
		return -1;
	}
	if (decrypt_and_hash(hs, msg + n, len - n, payload) == -1)
		goto badmac;
	hs->msg++;
	sodium_memzero(shared, sizeof(shared));
	return 0;
baddh:
	snprintf(err, errlen, "noise: X25519 with a low-order point");
	sodium_memzero(shared, sizeof(shared));
	return -1;
badmac:
	snprintf(err, errlen, "noise: handshake message %d fails "
	    "authentication", hs->msg + 1);
	sodium_memzero(shared, sizeof(shared));
	return -1;
}

void
noise_hs_split(struct noise_hs *hs, struct noise_cipher *tx,
    struct noise_cipher *rx)
{
	struct noise_cipher c1, c2;

	memset(&c1, 0, sizeof(c1));
	memset(&c2, 0, sizeof(c2));
	noise_hkdf(hs->ck, NULL, 0, c1.k, c2.k, NULL);
	c1.has_k = c2.has_k = 1;
	/* c1 carries initiator -> responder. */
	*tx = hs->initiator ? c1 : c2;
	*rx = hs->initiator ? c2 : c1;
	sodium_memzero(&c1, sizeof(c1));
	sodium_memzero(&c2, sizeof(c2));
}

/*
 * NoiseHandshakePayload { bytes identity_key = 1; bytes identity_sig = 2;
 * NoiseExtensions extensions = 4; }, encoded by hand: we send no
 * extensions (so the peer negotiates the muxer with multistream-select).
 */
int
noise_payload_make(const uint8_t id_sk[64], const uint8_t id_pk[32],
    const uint8_t s_pk[32], uint8_t *out, size_t cap, size_t *len)
{
	uint8_t	 msg[sizeof(NOISE_SIG_PREFIX) - 1 + 32];

	if (cap < NOISE_PAYLOAD_LEN)
		return -1;
	memcpy(msg, NOISE_SIG_PREFIX, sizeof(NOISE_SIG_PREFIX) - 1);
	memcpy(msg + sizeof(NOISE_SIG_PREFIX) - 1, s_pk, 32);
	out[0] = 0x0a;
	out[1] = PUBKEY_PB_LEN;
	pubkey_pb_encode(id_pk, out + 2);
	out[2 + PUBKEY_PB_LEN] = 0x12;
	out[3 + PUBKEY_PB_LEN] = crypto_sign_BYTES;
	crypto_sign_detached(out + 4 + PUBKEY_PB_LEN, NULL, msg, sizeof(msg),
	    id_sk);
	*len = NOISE_PAYLOAD_LEN;
	return 0;
}

int
noise_payload_verify(const uint8_t *p, size_t n, const uint8_t rs[32],
    uint8_t id_pk[32], char *err, size_t errlen)
{
	uint8_t	 msg[sizeof(NOISE_SIG_PREFIX) - 1 + 32];
	const uint8_t *key = NULL, *sig = NULL;
	uint64_t tag, v;
	size_t	 i = 0, used, keylen = 0, siglen = 0;
	char	 kerr[96];

	while (i < n) {
		if (uvarint_get(p + i, n - i, &tag, &used) != 1)
			goto bad;
		i += used;
		switch (tag & 7) {
		case 0:		/* varint */
			if (uvarint_get(p + i, n - i, &v, &used) != 1)
				goto bad;
			i += used;
			break;
		case 1:		/* 64-bit */
			if (n - i < 8)
				goto bad;
			i += 8;
			break;
		case 5:		/* 32-bit */
			if (n - i < 4)
				goto bad;
			i += 4;
			break;
		case 2:		/* length-delimited */
			if (uvarint_get(p + i, n - i, &v, &used) != 1)
				goto bad;
			i += used;
			if (v > n - i)
				goto bad;
			if (tag >> 3 == 1) {
				key = p + i;
				keylen = (size_t)v;
			} else if (tag >> 3 == 2) {
				sig = p + i;
				siglen = (size_t)v;
			}
			i += (size_t)v;
			break;
		default:
			goto bad;
		}
		if ((tag >> 3) == 0)
			goto bad;
	}
	if (key == NULL || sig == NULL) {
		snprintf(err, errlen, "noise: handshake payload without "
		    "identity %s", key == NULL ? "key" : "signature");
		return -1;
	}
	if (pubkey_pb_decode(key, keylen, id_pk, kerr, sizeof(kerr)) == -1) {
		snprintf(err, errlen, "noise: identity key: %s", kerr);
		return -1;
	}
	if (siglen != crypto_sign_BYTES) {
		snprintf(err, errlen, "noise: identity signature of %zu bytes",
		    siglen);
		return -1;
	}
	memcpy(msg, NOISE_SIG_PREFIX, sizeof(NOISE_SIG_PREFIX) - 1);
	memcpy(msg + sizeof(NOISE_SIG_PREFIX) - 1, rs, 32);
	if (crypto_sign_verify_detached(sig, msg, sizeof(msg), id_pk) != 0) {
		snprintf(err, errlen, "noise: identity signature over the "
		    "static key does not verify");
		return -1;
	}
	return 0;
bad:
	snprintf(err, errlen, "noise: malformed handshake payload protobuf");
	return -1;
}

int
noise_frame_peek(const struct buf *in, size_t *len)
{
	const uint8_t *p = buf_data(in);

	if (buf_len(in) < 2)
		return 0;
	*len = (size_t)p[0] << 8 | p[1];
	return buf_len(in) - 2 >= *len;
}

void
noise_frame_put(struct buf *out, const uint8_t *msg, size_t len)
{
	uint8_t	 hdr[2];

	hdr[0] = (uint8_t)(len >> 8);
	hdr[1] = (uint8_t)len;
	buf_append(out, hdr, 2);
	buf_append(out, msg, len);
}

int
noise_seal(struct noise_cipher *cs, const uint8_t *pt, size_t len,
    struct buf *out)
{
	uint8_t	*w;
	size_t	 chunk;

	while (len > 0) {
		chunk = len > NOISE_PLAINMAX ? NOISE_PLAINMAX : len;
		w = buf_reserve(out, 2 + chunk + NOISE_TAGLEN);
		w[0] = (uint8_t)((chunk + NOISE_TAGLEN) >> 8);
		w[1] = (uint8_t)(chunk + NOISE_TAGLEN);
		if (noise_encrypt(cs, NULL, 0, pt, chunk, w + 2) == -1)
			return -1;
		buf_commit(out, 2 + chunk + NOISE_TAGLEN);
		pt += chunk;
		len -= chunk;
	}
	return 0;
}

/*
 * One frame of a || b: both are copied into the frame, where the AEAD then
 * encrypts them in place (libsodium allows the message and the ciphertext
 * to be the same bytes).
 */
int
noise_seal2(struct noise_cipher *cs, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen, struct buf *out)
{
	uint8_t	*w;
	size_t	 len = alen + blen;

	if (len > NOISE_PLAINMAX || !cs->has_k)
		return -1;
	w = buf_reserve(out, 2 + len + NOISE_TAGLEN);
	w[0] = (uint8_t)((len + NOISE_TAGLEN) >> 8);
	w[1] = (uint8_t)(len + NOISE_TAGLEN);
	if (alen > 0)
		memcpy(w + 2, a, alen);
	if (blen > 0)
		memcpy(w + 2 + alen, b, blen);
	if (noise_encrypt(cs, NULL, 0, w + 2, len, w + 2) == -1)
		return -1;
	buf_commit(out, 2 + len + NOISE_TAGLEN);
	return 0;
}

int
noise_open_inplace(struct noise_cipher *cs, uint8_t *ct, size_t len,
    char *err, size_t errlen)
{
	uint8_t	 nonce[12];

	if (len < NOISE_TAGLEN) {
		snprintf(err, errlen, "noise: transport frame of %zu bytes, "
		    "shorter than its tag", len);
		return -1;
	}
	if (!cs->has_k || cs->n == UINT64_MAX)
		goto bad;
	nonce_of(cs->n, nonce);
	/* The tag is checked first; on failure ct is zeroed, not decrypted. */
	if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(ct, NULL, ct,
	    len - NOISE_TAGLEN, ct + len - NOISE_TAGLEN, NULL, 0, nonce,
	    cs->k) != 0)
		goto bad;
	cs->n++;
	return 0;
bad:
	snprintf(err, errlen, "noise: frame %llu fails authentication "
	    "(altered, replayed or out of order)", (unsigned long long)cs->n);
	return -1;
}

int
noise_open(struct noise_cipher *cs, const uint8_t *ct, size_t len,
    struct buf *out, char *err, size_t errlen)
{
	uint8_t	*w;

	if (len < NOISE_TAGLEN) {
		snprintf(err, errlen, "noise: transport frame of %zu bytes, "
		    "shorter than its tag", len);
		return -1;
	}
	w = buf_reserve(out, len);
	if (noise_decrypt(cs, NULL, 0, ct, len, w) == -1) {
		snprintf(err, errlen, "noise: frame %llu fails authentication "
		    "(altered, replayed or out of order)",
		    (unsigned long long)cs->n);
		return -1;
	}
	buf_commit(out, len - NOISE_TAGLEN);
	return 0;
}

int
noise_payload_add_muxers(uint8_t *out, size_t cap, size_t *len,
    const char *const *muxers, size_t n)
{
	uint8_t	 v[UVARINT_MAX];
	size_t	 ext = 0, i, k, l;

	for (i = 0; i < n; i++) {
		l = strlen(muxers[i]);
		ext += 1 + uvarint_put(v, l) + l;
	}
	if (cap - *len < 1 + uvarint_put(v, ext) + ext)
		return -1;
	out[(*len)++] = 0x22;		/* field 4, length-delimited */
	*len += uvarint_put(out + *len, ext);
	for (i = 0; i < n; i++) {
		l = strlen(muxers[i]);
		out[(*len)++] = 0x12;	/* stream_muxers: field 2 */
		k = uvarint_put(out + *len, l);
		memcpy(out + *len + k, muxers[i], l);
		*len += k + l;
	}
	return 0;
}

/* One protobuf field at p[*i]: its number, and where a bytes one lies. */
static int
pb_field(const uint8_t *p, size_t n, size_t *i, uint64_t *num,
    const uint8_t **val, size_t *vlen)
{
	uint64_t tag, v;
	size_t	 used;

	*val = NULL;
	*vlen = 0;
	if (uvarint_get(p + *i, n - *i, &tag, &used) != 1)
		return -1;
	*i += used;
	*num = tag >> 3;
	switch (tag & 7) {
	case 0:
		if (uvarint_get(p + *i, n - *i, &v, &used) != 1)
			return -1;
		*i += used;
		break;
	case 1:
		if (n - *i < 8)
			return -1;
		*i += 8;
		break;
	case 5:
		if (n - *i < 4)
			return -1;
		*i += 4;
		break;
	case 2:
		if (uvarint_get(p + *i, n - *i, &v, &used) != 1)
			return -1;
		*i += used;
		if (v > n - *i)
			return -1;
		*val = p + *i;
		*vlen = (size_t)v;
		*i += (size_t)v;
		break;
	default:
		return -1;
	}
	return *num == 0 ? -1 : 0;
}

int
noise_payload_muxer(const uint8_t *p, size_t n, const char *const *ours,
    size_t nours, int theirs_first, int *idx)
{
	const uint8_t *ext = NULL, *val, *e;
	size_t	 i = 0, j, extlen = 0, vlen, elen, k;
	uint64_t num;
	int	 listed = 0, best = -1;

	*idx = -1;
	while (i < n) {
		if (pb_field(p, n, &i, &num, &val, &vlen) == -1)
			return -1;
		if (num == 4 && val != NULL) {
			ext = val;
			extlen = vlen;
		}
	}
	for (j = 0; ext != NULL && j < extlen; ) {
		if (pb_field(ext, extlen, &j, &num, &e, &elen) == -1)
			return -1;
		if (num != 2 || e == NULL)
			continue;
		listed = 1;
		for (k = 0; k < nours; k++)
			if (strlen(ours[k]) == elen &&
			    memcmp(ours[k], e, elen) == 0)
				break;
		if (k == nours)
			continue;
		/* theirs first: the first of theirs; else the first of ours */
		if (best == -1 || (!theirs_first && (int)k < best))
			best = (int)k;
	}
	*idx = best;
	return listed;
}

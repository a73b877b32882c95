/* rec: see rec.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "key.h"
#include "rec.h"

#define AD_MAGIC	"SCAR\x01"
#define AD_MAGIC_LEN	5

static size_t	rec_meta_size(const struct rec *);
static size_t	rec_meta_encode(const struct rec *, uint8_t *);
static size_t	kv_meta_size(const struct kv *);
static size_t	kv_meta_encode(const struct kv *, uint8_t *);

void
le32put(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

void
le64put(uint8_t *p, uint64_t v)
{
	le32put(p, (uint32_t)v);
	le32put(p + 4, (uint32_t)(v >> 32));
}

uint32_t
le32get(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

uint64_t
le64get(const uint8_t *p)
{
	return (uint64_t)le32get(p) | (uint64_t)le32get(p + 4) << 32;
}

void
rec_clear(struct rec *r)
{
	free(r->buf);
	r->buf = NULL;
	r->ct = NULL;
	r->ctlen = 0;
}

void
kv_clear(struct kv *k)
{
	free(k->buf);
	k->buf = NULL;
	k->ct = NULL;
	k->ctlen = 0;
}

int
rec_own(struct rec *r)
{
	uint8_t *p;

	if (r->buf != NULL)		/* ct already points into buf */
		return 0;
	if ((p = malloc(r->ctlen > 0 ? r->ctlen : 1)) == NULL)
		return -1;
	memcpy(p, r->ct, r->ctlen);
	free(r->buf);
	r->buf = p;
	r->ct = p;
	return 0;
}

int
kv_own(struct kv *k)
{
	uint8_t *p;

	if (k->buf != NULL)
		return 0;
	if ((p = malloc(k->ctlen > 0 ? k->ctlen : 1)) == NULL)
		return -1;
	memcpy(p, k->ct, k->ctlen);
	free(k->buf);
	k->buf = p;
	k->ct = p;
	return 0;
}

int
rec_name_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > REC_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

static size_t
rec_meta_size(const struct rec *r)
{
	return 1 + 1 + strlen(r->topic) + 4 + 8 + 4 + REC_INTENT_LEN + 1 +
	    strlen(r->sender) + 8 + REC_KEYID_LEN;
}

static size_t
rec_meta_encode(const struct rec *r, uint8_t *out)
{
	uint8_t *p = out;
	size_t n;

	*p++ = REC_KIND_RECORD;
	n = strlen(r->topic);
	*p++ = (uint8_t)n;
	memcpy(p, r->topic, n);
	p += n;
	le32put(p, (uint32_t)r->partition);
	p += 4;
	le64put(p, (uint64_t)r->offset);
	p += 8;
	le32put(p, r->type);
	p += 4;
	memcpy(p, r->intent, REC_INTENT_LEN);
	p += REC_INTENT_LEN;
	n = strlen(r->sender);
	*p++ = (uint8_t)n;
	memcpy(p, r->sender, n);
	p += n;
	le64put(p, (uint64_t)r->time);
	p += 8;
	memcpy(p, r->keyid, REC_KEYID_LEN);
	p += REC_KEYID_LEN;
	return p - out;
}

size_t
rec_size(const struct rec *r)
{
	return rec_meta_size(r) + REC_NONCE_LEN + 4 + r->ctlen;
}

size_t
rec_encode(const struct rec *r, uint8_t *out)
{
	uint8_t *p = out;

	p += rec_meta_encode(r, p);
	memcpy(p, r->nonce, REC_NONCE_LEN);
	p += REC_NONCE_LEN;
	le32put(p, (uint32_t)r->ctlen);
	p += 4;
	memcpy(p, r->ct, r->ctlen);
	p += r->ctlen;
	return p - out;
}

static size_t
kv_meta_size(const struct kv *k)
{
	return 1 + 1 + strlen(k->name) + 8 + REC_KEYID_LEN;
}

static size_t
kv_meta_encode(const struct kv *k, uint8_t *out)
{
	uint8_t *p = out;
	size_t n;

	*p++ = REC_KIND_KV;
	n = strlen(k->name);
	*p++ = (uint8_t)n;
	memcpy(p, k->name, n);
	p += n;
	le64put(p, (uint64_t)k->time);
	p += 8;
	memcpy(p, k->keyid, REC_KEYID_LEN);
	p += REC_KEYID_LEN;
	return p - out;
}

size_t
kv_size(const struct kv *k)
{
	return kv_meta_size(k) + REC_NONCE_LEN + 4 + k->ctlen;
}

size_t
kv_encode(const struct kv *k, uint8_t *out)
{
	uint8_t *p = out;

	p += kv_meta_encode(k, p);
	memcpy(p, k->nonce, REC_NONCE_LEN);
	p += REC_NONCE_LEN;
	le32put(p, (uint32_t)k->ctlen);
	p += 4;
	memcpy(p, k->ct, k->ctlen);
	p += k->ctlen;
	return p - out;
}

/* Take a length-prefixed name from p; 0 or -1. */
static int
take_name(const uint8_t **pp, const uint8_t *end, char *out)
{
	const uint8_t *p = *pp;
	size_t n;

	if (p >= end)
		return -1;
	n = *p++;
	if ((size_t)(end - p) < n)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	if (!rec_name_ok(out))
		return -1;
	*pp = p + n;
	return 0;
}

int
rec_decode(const uint8_t *buf, size_t len, int *kind, struct rec *r,
    struct kv *k, char *err, size_t errlen)
{
	const uint8_t *p = buf, *end = buf + len;
	size_t ctlen;

	if (len < 1) {
		snprintf(err, errlen, "empty record");
		return -1;
	}
	*kind = *p++;
	if (*kind == REC_KIND_RECORD) {
		memset(r, 0, sizeof(*r));
		if (take_name(&p, end, r->topic) == -1)
			goto bad;
		if ((size_t)(end - p) < 4 + 8 + 4 + REC_INTENT_LEN)
			goto bad;
		r->partition = (int32_t)le32get(p);
		p += 4;
		r->offset = (int64_t)le64get(p);
		p += 8;
		r->type = le32get(p);
		p += 4;
		memcpy(r->intent, p, REC_INTENT_LEN);
		p += REC_INTENT_LEN;
		if (take_name(&p, end, r->sender) == -1)
			goto bad;
		if ((size_t)(end - p) < 8 + REC_KEYID_LEN + REC_NONCE_LEN + 4)
			goto bad;
		r->time = (int64_t)le64get(p);
		p += 8;
		memcpy(r->keyid, p, REC_KEYID_LEN);
		p += REC_KEYID_LEN;
		memcpy(r->nonce, p, REC_NONCE_LEN);
		p += REC_NONCE_LEN;
		ctlen = le32get(p);
		p += 4;
		if (ctlen < REC_TAG_LEN || ctlen > REC_BODY_MAX + REC_TAG_LEN ||
		    (size_t)(end - p) != ctlen)
			goto bad;
		if (r->partition < 0 || r->offset < 0)
			goto bad;
		r->ct = p;
		r->ctlen = ctlen;
		return 0;
	}
	if (*kind == REC_KIND_KV) {
		memset(k, 0, sizeof(*k));
		if (take_name(&p, end, k->name) == -1)
			goto bad;
		if ((size_t)(end - p) < 8 + REC_KEYID_LEN + REC_NONCE_LEN + 4)
			goto bad;
		k->time = (int64_t)le64get(p);
		p += 8;
		memcpy(k->keyid, p, REC_KEYID_LEN);
		p += REC_KEYID_LEN;
		memcpy(k->nonce, p, REC_NONCE_LEN);
		p += REC_NONCE_LEN;
		ctlen = le32get(p);
		p += 4;
		if (ctlen < REC_TAG_LEN || ctlen > REC_BODY_MAX + REC_TAG_LEN ||
		    (size_t)(end - p) != ctlen)
			goto bad;
		k->ct = p;
		k->ctlen = ctlen;
		return 0;
	}
	snprintf(err, errlen, "unknown record kind %d", *kind);
	return -1;
 bad:
	snprintf(err, errlen, "malformed %s", *kind == REC_KIND_KV ?
	    "kv entry" : "record");
	return -1;
}

int
rec_cmp(const struct rec *a, const struct rec *b)
{
	int c;

	if ((c = strcmp(a->topic, b->topic)) != 0)
		return c;
	if (a->partition != b->partition)
		return a->partition < b->partition ? -1 : 1;
	if (a->offset != b->offset)
		return a->offset < b->offset ? -1 : 1;
	return 0;
}

/* Associated data: magic and the metadata encoding. */
static size_t
rec_ad(const struct rec *r, uint8_t *ad)
{
	memcpy(ad, AD_MAGIC, AD_MAGIC_LEN);
	return AD_MAGIC_LEN + rec_meta_encode(r, ad + AD_MAGIC_LEN);
}

static size_t
kv_ad(const struct kv *k, uint8_t *ad)
{
	memcpy(ad, AD_MAGIC, AD_MAGIC_LEN);
	return AD_MAGIC_LEN + kv_meta_encode(k, ad + AD_MAGIC_LEN);
}

#define AD_MAX	(AD_MAGIC_LEN + 2 * REC_NAME_MAX + 128)

void
rec_seal(struct rec *r, const struct keyring *kr, const uint8_t *body,
    size_t len, uint8_t *out)
{
	uint8_t ad[AD_MAX];
	unsigned long long clen;
	const uint8_t *key;
	size_t adlen;

	key = keyring_current(kr, r->keyid);
	randombytes_buf(r->nonce, REC_NONCE_LEN);
	adlen = rec_ad(r, ad);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out, &clen, body, len, ad,
	    adlen, NULL, r->nonce, key);
	r->ct = out;
	r->ctlen = clen;
}

int
rec_open(const struct rec *r, const struct keyring *kr, uint8_t *out,
    char *err, size_t errlen)
{
	uint8_t ad[AD_MAX];
	unsigned long long mlen;
	const uint8_t *key;
	char hex[2 * REC_KEYID_LEN + 1];
	size_t adlen;

	if ((key = keyring_find(kr, r->keyid)) == NULL) {
		snprintf(err, errlen, "%s/%d/%lld: sealed with key %s, which "
		    "is not in the keyring", r->topic, (int)r->partition,
		    (long long)r->offset, key_id_hex(r->keyid, hex));
		return -1;
	}
	adlen = rec_ad(r, ad);
	if (r->ctlen < REC_TAG_LEN ||
	    crypto_aead_xchacha20poly1305_ietf_decrypt(out, &mlen, NULL,
	    r->ct, r->ctlen, ad, adlen, r->nonce, key) != 0) {
		snprintf(err, errlen, "%s/%d/%lld: authentication failed "
		    "(record corrupted or altered)", r->topic,
		    (int)r->partition, (long long)r->offset);
		return -1;
	}
	return 0;
}

void
kv_seal(struct kv *k, const struct keyring *kr, const uint8_t *val,
    size_t len, uint8_t *out)
{
	uint8_t ad[AD_MAX];
	unsigned long long clen;
	const uint8_t *key;
	size_t adlen;

	key = keyring_current(kr, k->keyid);
	randombytes_buf(k->nonce, REC_NONCE_LEN);
	adlen = kv_ad(k, ad);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out, &clen, val, len, ad,
	    adlen, NULL, k->nonce, key);
	k->ct = out;
	k->ctlen = clen;
}

int
kv_open(const struct kv *k, const struct keyring *kr, uint8_t *out,
    char *err, size_t errlen)
{
	uint8_t ad[AD_MAX];
	unsigned long long mlen;
	const uint8_t *key;
	char hex[2 * REC_KEYID_LEN + 1];
	size_t adlen;

	if ((key = keyring_find(kr, k->keyid)) == NULL) {
		snprintf(err, errlen, "kv %s: sealed with key %s, which is "
		    "not in the keyring", k->name, key_id_hex(k->keyid, hex));
		return -1;
	}
	adlen = kv_ad(k, ad);
	if (k->ctlen < REC_TAG_LEN ||
	    crypto_aead_xchacha20poly1305_ietf_decrypt(out, &mlen, NULL,
	    k->ct, k->ctlen, ad, adlen, k->nonce, key) != 0) {
		snprintf(err, errlen, "kv %s: authentication failed (value "
		    "corrupted or altered)", k->name);
		return -1;
	}
	return 0;
}

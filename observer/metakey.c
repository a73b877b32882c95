/*
 * metakey: storage keys, twox128(pallet) ++ twox128(item), and the
 * xxHash64 under them.
 */
#include <string.h>

#include "meta.h"

static uint64_t	 rotl64(uint64_t, int);
static uint64_t	 rd64(const uint8_t *);
static uint32_t	 rd32(const uint8_t *);
static uint64_t	 xxh_round(uint64_t, uint64_t);
static uint64_t	 xxh_merge(uint64_t, uint64_t);

/* ------------------------------------------------------------ hashing */

#define P1	0x9E3779B185EBCA87ull
#define P2	0xC2B2AE3D27D4EB4Full
#define P3	0x165667B19E3779F9ull
#define P4	0x85EBCA77C2B2AE63ull
#define P5	0x27D4EB2F165667C5ull

static uint64_t
rotl64(uint64_t x, int r)
{
	return x << r | x >> (64 - r);
}

static uint64_t
rd64(const uint8_t *p)
{
	uint64_t	 v = 0;
	int		 i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
xxh_round(uint64_t acc, uint64_t in)
{
	acc += in * P2;
	acc = rotl64(acc, 31);
	return acc * P1;
}

static uint64_t
xxh_merge(uint64_t acc, uint64_t v)
{
	acc ^= xxh_round(0, v);
	return acc * P1 + P4;
}

uint64_t
meta_xxh64(const void *data, size_t len, uint64_t seed)
{
	const uint8_t	*p = data, *end = p + len;
	uint64_t	 h, v1, v2, v3, v4;

	if (len >= 32) {
		v1 = seed + P1 + P2;
		v2 = seed + P2;
		v3 = seed;
		v4 = seed - P1;
		do {
			v1 = xxh_round(v1, rd64(p));
			v2 = xxh_round(v2, rd64(p + 8));
			v3 = xxh_round(v3, rd64(p + 16));
			v4 = xxh_round(v4, rd64(p + 24));
			p += 32;
		} while (end - p >= 32);
		h = rotl64(v1, 1) + rotl64(v2, 7) + rotl64(v3, 12) +
		    rotl64(v4, 18);
		h = xxh_merge(h, v1);
		h = xxh_merge(h, v2);
		h = xxh_merge(h, v3);
		h = xxh_merge(h, v4);
	} else
		h = seed + P5;
	h += (uint64_t)len;
	while (end - p >= 8) {
		h ^= xxh_round(0, rd64(p));
		h = rotl64(h, 27) * P1 + P4;
		p += 8;
	}
	if (end - p >= 4) {
		h ^= (uint64_t)rd32(p) * P1;
		h = rotl64(h, 23) * P2 + P3;
		p += 4;
	}
	while (p < end) {
		h ^= (uint64_t)*p * P5;
		h = rotl64(h, 11) * P1;
		p++;
	}
	h ^= h >> 33;
	h *= P2;
	h ^= h >> 29;
	h *= P3;
	h ^= h >> 32;
	return h;
}

void
meta_twox128(const void *data, size_t len, uint8_t out[16])
{
	uint64_t	 h;
	int		 i, k;

	for (k = 0; k < 2; k++) {
		h = meta_xxh64(data, len, (uint64_t)k);
		for (i = 0; i < 8; i++)
			out[8 * k + i] = (uint8_t)(h >> 8 * i);
	}
}

void
meta_storage_key(const char *pallet, const char *item, uint8_t out[32])
{
	meta_twox128(pallet, strlen(pallet), out);
	meta_twox128(item, strlen(item), out + 16);
}

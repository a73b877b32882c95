/*
 * varint: multiformats unsigned varints.  The spec caps them at 9 bytes
 * (63 bits) and requires the minimal encoding; both are enforced on input.
 */
#include "connector/varint.h"

size_t
uvarint_put(uint8_t *out, uint64_t v)
{
	size_t	 n = 0;

	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

size_t
uvarint_len(uint64_t v)
{
	size_t	 n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

int
uvarint_get(const uint8_t *p, size_t len, uint64_t *v, size_t *used)
{
	uint64_t r = 0;
	size_t	 i;

	for (i = 0; i < len && i < 9; i++) {
		r |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if ((p[i] & 0x80) == 0) {
			if (i > 0 && p[i] == 0)
				return -1;	/* not minimal */
			*v = r;
			*used = i + 1;
			return 1;
		}
	}
	if (i == 9)
		return -1;			/* longer than 9 bytes */
	return 0;
}

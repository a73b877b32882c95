/*
 * scale: the SCALE codec over byte buffers (see scale.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scale.h"

static int	need(struct scale_reader *, size_t);
static uint64_t	le64(const uint8_t *, size_t);
static void	grow(struct scale_writer *, size_t);

void
scale_reader_init(struct scale_reader *r, const void *buf, size_t len)
{
	r->buf = buf;
	r->len = buf == NULL ? 0 : len;
	r->off = 0;
	r->failed = 0;
	r->err[0] = '\0';
}

size_t
scale_remaining(const struct scale_reader *r)
{
	return r->len - r->off;
}

/* Record the first error, prefixed with the offset; always -1. */
int
scale_fail(struct scale_reader *r, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (r->failed)
		return -1;
	r->failed = 1;
	n = snprintf(r->err, sizeof(r->err), "at byte %zu: ", r->off);
	if (n < 0 || (size_t)n >= sizeof(r->err))
		return -1;
	va_start(ap, fmt);
	vsnprintf(r->err + n, sizeof(r->err) - n, fmt, ap);
	va_end(ap);
	return -1;
}

static int
need(struct scale_reader *r, size_t n)
{
	if (r->failed)
		return -1;
	if (n > r->len - r->off)
		return scale_fail(r, "need %zu byte%s, %zu left", n,
		    n == 1 ? "" : "s", r->len - r->off);
	return 0;
}

static uint64_t
le64(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

int
scale_read_raw(struct scale_reader *r, size_t n, const uint8_t **p)
{
	if (need(r, n) == -1)
		return -1;
	*p = r->buf + r->off;
	r->off += n;
	return 0;
}

int
scale_skip(struct scale_reader *r, size_t n)
{
	const uint8_t *p;

	return scale_read_raw(r, n, &p);
}

int
scale_read_u8(struct scale_reader *r, uint8_t *v)
{
	if (need(r, 1) == -1)
		return -1;
	*v = r->buf[r->off++];
	return 0;
}

int
scale_read_u16(struct scale_reader *r, uint16_t *v)
{
	if (need(r, 2) == -1)
		return -1;
	*v = (uint16_t)le64(r->buf + r->off, 2);
	r->off += 2;
	return 0;
}

int
scale_read_u32(struct scale_reader *r, uint32_t *v)
{
	if (need(r, 4) == -1)
		return -1;
	*v = (uint32_t)le64(r->buf + r->off, 4);
	r->off += 4;
	return 0;
}

int
scale_read_u64(struct scale_reader *r, uint64_t *v)
{
	if (need(r, 8) == -1)
		return -1;
	*v = le64(r->buf + r->off, 8);
	r->off += 8;
	return 0;
}

int
scale_read_i8(struct scale_reader *r, int8_t *v)
{
	uint8_t u;

	if (scale_read_u8(r, &u) == -1)
		return -1;
	*v = (int8_t)u;
	return 0;
}

int
scale_read_i16(struct scale_reader *r, int16_t *v)
{
	uint16_t u;

	if (scale_read_u16(r, &u) == -1)
		return -1;
	*v = (int16_t)u;
	return 0;
}

int
scale_read_i32(struct scale_reader *r, int32_t *v)
{
	uint32_t u;

	if (scale_read_u32(r, &u) == -1)
		return -1;
	*v = (int32_t)u;
	return 0;
}

int
scale_read_i64(struct scale_reader *r, int64_t *v)
{
	uint64_t u;

	if (scale_read_u64(r, &u) == -1)
		return -1;
	*v = (int64_t)u;
	return 0;
}

int
scale_read_le(struct scale_reader *r, size_t width, uint8_t *out)
{
	if (need(r, width) == -1)
		return -1;
	memcpy(out, r->buf + r->off, width);
	r->off += width;
	return 0;
}

int
scale_read_bool(struct scale_reader *r, int *v)
{
	uint8_t b;

	if (scale_read_u8(r, &b) == -1)
		return -1;
	if (b > 1) {
		r->off--;
		return scale_fail(r, "invalid bool 0x%02x", b);
	}
	*v = b;
	return 0;
}

int
scale_read_option(struct scale_reader *r, int *some)
{
	uint8_t b;

	if (scale_read_u8(r, &b) == -1)
		return -1;
	if (b > 1) {
		r->off--;
		return scale_fail(r, "invalid Option tag 0x%02x", b);
	}
	*some = b;
	return 0;
}

int
scale_read_result(struct scale_reader *r, int *is_err)
{
	uint8_t b;

	if (scale_read_u8(r, &b) == -1)
		return -1;
	if (b > 1) {
		r->off--;
		return scale_fail(r, "invalid Result tag 0x%02x", b);
	}
	*is_err = b;
	return 0;
}

/*
 * Compact: the low two bits of the first byte give the mode.
 *   00: one byte, value >> 2 (0..63)
 *   01: two bytes LE, value >> 2 (up to 2^14 - 1)
 *   10: four bytes LE, value >> 2 (up to 2^30 - 1)
 *   11: (first >> 2) + 4 bytes of LE value follow (4..67 bytes)
 */
int
scale_read_compact_le(struct scale_reader *r, uint8_t *out, size_t *n)
{
	uint8_t		 b;
	uint64_t	 v;
	size_t		 len, i;

	if (need(r, 1) == -1)
		return -1;
	b = r->buf[r->off];
	switch (b & 3) {
	case 0:
		len = 1;
		break;
	case 1:
		len = 2;
		break;
	case 2:
		len = 4;
		break;
	default:
		len = (size_t)(b >> 2) + 4;
		if (need(r, 1 + len) == -1)
			return -1;
		memcpy(out, r->buf + r->off + 1, len);
		r->off += 1 + len;
		while (len > 0 && out[len - 1] == 0)
			len--;
		*n = len;
		return 0;
	}
	if (need(r, len) == -1)
		return -1;
	v = le64(r->buf + r->off, len) >> 2;
	r->off += len;
	for (i = 0; v != 0; i++, v >>= 8)
		out[i] = (uint8_t)v;
	*n = i;
	return 0;
}

int
scale_read_compact(struct scale_reader *r, uint64_t *v)
{
	uint8_t	 le[SCALE_COMPACT_MAX];
	size_t	 n, start = r->off;

	if (scale_read_compact_le(r, le, &n) == -1)
		return -1;
	if (n > 8) {
		r->off = start;
		return scale_fail(r, "compact integer wider than 64 bits");
	}
	*v = le64(le, n);
	return 0;
}

int
scale_read_len(struct scale_reader *r, size_t minsize, size_t *len)
{
	uint64_t	 v;
	size_t		 start = r->off;

	if (scale_read_compact(r, &v) == -1)
		return -1;
	if (v > UINT32_MAX || (minsize > 0 &&
	    v > (uint64_t)scale_remaining(r) / minsize)) {
		size_t left = scale_remaining(r);

		r->off = start;
		return scale_fail(r, "length %llu (of at least %zu byte%s each) "
		    "exceeds the %zu bytes left", (unsigned long long)v,
		    minsize, minsize == 1 ? "" : "s", left);
	}
	*len = (size_t)v;
	return 0;
}

int
scale_read_bytes(struct scale_reader *r, const uint8_t **p, size_t *n)
{
	if (scale_read_len(r, 1, n) == -1)
		return -1;
	return scale_read_raw(r, *n, p);
}

int
scale_read_str(struct scale_reader *r, const char **s, size_t *n)
{
	const uint8_t	*p;
	size_t		 start = r->off;

	if (scale_read_bytes(r, &p, n) == -1)
		return -1;
	if (!scale_utf8_valid(p, *n)) {
		r->off = start;
		return scale_fail(r, "string is not valid UTF-8");
	}
	*s = (const char *)p;
	return 0;
}

int
scale_read_strdup(struct scale_reader *r, char **out)
{
	const char	*s;
	size_t		 n, start = r->off;

	if (scale_read_str(r, &s, &n) == -1)
		return -1;
	if (memchr(s, '\0', n) != NULL) {
		r->off = start;
		return scale_fail(r, "string contains a NUL byte");
	}
	if ((*out = malloc(n + 1)) == NULL) {
		r->off = start;
		return scale_fail(r, "out of memory");
	}
	memcpy(*out, s, n);
	(*out)[n] = '\0';
	return 0;
}

int
scale_read_bitseq(struct scale_reader *r, unsigned storebits, uint64_t *nbits,
    const uint8_t **raw, size_t *rawlen)
{
	uint64_t	 bits, words;
	size_t		 start = r->off;

	if (storebits != 8 && storebits != 16 && storebits != 32 &&
	    storebits != 64)
		return scale_fail(r, "invalid bit store width %u", storebits);
	if (scale_read_compact(r, &bits) == -1)
		return -1;
	if (bits > UINT32_MAX) {
		r->off = start;
		return scale_fail(r, "bit sequence length %llu exceeds 2^32",
		    (unsigned long long)bits);
	}
	words = (bits + storebits - 1) / storebits;
	if (scale_read_raw(r, (size_t)words * (storebits / 8), raw) == -1)
		return -1;
	*nbits = bits;
	*rawlen = (size_t)words * (storebits / 8);
	return 0;
}

int
scale_bit_get(const uint8_t *raw, unsigned storebits, int order, uint64_t i)
{
	uint64_t	 word = i / storebits;
	unsigned	 bit = (unsigned)(i % storebits), byte;

	if (order == SCALE_MSB0)
		bit = storebits - 1 - bit;
	/* Words are little-endian: bit b of the word is in byte b / 8. */
	byte = bit / 8;
	return raw[word * (storebits / 8) + byte] >> (bit % 8) & 1;
}

int
scale_fits(const uint8_t *le, size_t n, unsigned bits)
{
	size_t	 i;
	unsigned top;

	while (n > 0 && le[n - 1] == 0)
		n--;
	if (n * 8 <= bits)
		return 1;
	if ((n - 1) * 8 >= bits)
		return 0;
	top = bits - (unsigned)(n - 1) * 8;
	for (i = top; i < 8; i++)
		if (le[n - 1] >> i & 1)
			return 0;
	return 1;
}

int
scale_utf8_valid(const uint8_t *p, size_t n)
{
	size_t		 i = 0, k, len;
	uint32_t	 c, min;

	while (i < n) {
		c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			len = 2;
			c &= 0x1f;
			min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3;
			c &= 0x0f;
			min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4;
			c &= 0x07;
			min = 0x10000;
		} else
			return 0;
		if (len > n - i)
			return 0;
		for (k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (p[i + k] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

/* ------------------------------------------------------------ writer */

void
scale_writer_init(struct scale_writer *w)
{
	w->buf = NULL;
	w->len = w->cap = 0;
	w->oom = 0;
}

void
scale_writer_free(struct scale_writer *w)
{
	free(w->buf);
	scale_writer_init(w);
}

int
scale_writer_error(const struct scale_writer *w)
{
	return w->oom ? -1 : 0;
}

uint8_t *
scale_writer_take(struct scale_writer *w, size_t *len)
{
	uint8_t *p = w->buf;

	*len = w->len;
	if (p == NULL && !w->oom)
		p = malloc(1);
	scale_writer_init(w);
	return p;
}

static void
grow(struct scale_writer *w, size_t n)
{
	size_t	 cap;
	uint8_t	*p;

	if (w->oom || n <= w->cap - w->len)
		return;
	if (n > SIZE_MAX / 2 - w->len) {
		w->oom = 1;
		return;
	}
	cap = w->cap ? w->cap : 64;
	while (cap - w->len < n)
		cap *= 2;
	if ((p = realloc(w->buf, cap)) == NULL) {
		w->oom = 1;
		return;
	}
	w->buf = p;
	w->cap = cap;
}

void
scale_put_raw(struct scale_writer *w, const void *p, size_t n)
{
	if (n == 0)
		return;
	grow(w, n);
	if (w->oom)
		return;
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

void
scale_put_u8(struct scale_writer *w, uint8_t v)
{
	scale_put_raw(w, &v, 1);
}

void
scale_put_u16(struct scale_writer *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	scale_put_raw(w, b, 2);
}

void
scale_put_u32(struct scale_writer *w, uint32_t v)
{
	uint8_t	 b[4];
	int	 i;

	for (i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> 8 * i);
	scale_put_raw(w, b, 4);
}

void
scale_put_u64(struct scale_writer *w, uint64_t v)
{
	uint8_t	 b[8];
	int	 i;

	for (i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> 8 * i);
	scale_put_raw(w, b, 8);
}

void
scale_put_le(struct scale_writer *w, const uint8_t *le, size_t n)
{
	scale_put_raw(w, le, n);
}

void
scale_put_bool(struct scale_writer *w, int v)
{
	scale_put_u8(w, v ? 1 : 0);
}

void
scale_put_compact(struct scale_writer *w, uint64_t v)
{
	uint8_t	 le[8] = { 0 };
	size_t	 n;

	for (n = 0; v != 0; n++, v >>= 8)
		le[n] = (uint8_t)v;
	scale_put_compact_le(w, le, n);
}

int
scale_put_compact_le(struct scale_writer *w, const uint8_t *le, size_t n)
{
	uint64_t v;

	while (n > 0 && le[n - 1] == 0)
		n--;
	if (n > SCALE_COMPACT_MAX)
		return -1;
	if (n <= 4) {
		v = le64(le, n);
		if (v < 1u << 6) {
			scale_put_u8(w, (uint8_t)(v << 2));
			return 0;
		}
		if (v < 1u << 14) {
			scale_put_u16(w, (uint16_t)(v << 2 | 1));
			return 0;
		}
		if (v < 1u << 30) {
			scale_put_u32(w, (uint32_t)(v << 2 | 2));
			return 0;
		}
	}
	if (n < 4)
		n = 4;
	scale_put_u8(w, (uint8_t)((n - 4) << 2 | 3));
	scale_put_raw(w, le, n);
	return 0;
}

void
scale_put_bytes(struct scale_writer *w, const void *p, size_t n)
{
	scale_put_compact(w, n);
	scale_put_raw(w, p, n);
}

void
scale_put_str(struct scale_writer *w, const char *s)
{
	scale_put_bytes(w, s, strlen(s));
}

void
scale_put_bitseq(struct scale_writer *w, unsigned storebits, int order,
    const uint8_t *bits, uint64_t nbits)
{
	uint64_t	 words, i;
	size_t		 wb = storebits / 8, start;
	unsigned	 bit;

	words = (nbits + storebits - 1) / storebits;
	scale_put_compact(w, nbits);
	start = w->len;
	grow(w, (size_t)words * wb);
	if (w->oom)
		return;
	memset(w->buf + start, 0, (size_t)words * wb);
	for (i = 0; i < nbits; i++) {
		if (!(bits[i / 8] >> (i % 8) & 1))
			continue;
		bit = (unsigned)(i % storebits);
		if (order == SCALE_MSB0)
			bit = storebits - 1 - bit;
		w->buf[start + (i / storebits) * wb + bit / 8] |=
		    (uint8_t)(1u << (bit % 8));
	}
	w->len += (size_t)words * wb;
}

/* ------------------------------------------------------------ text */

size_t
scale_le_to_dec(const uint8_t *le, size_t n, int sign, char *out,
    size_t outlen)
{
	uint32_t	 limb[(SCALE_COMPACT_MAX + 3) / 4 + 1];
	uint8_t		 mag[SCALE_COMPACT_MAX + 1];
	char		 tmp[3 * (SCALE_COMPACT_MAX + 1) + 2];
	size_t		 nl, i, k, len = 0;
	int		 neg = 0, carry;
	uint64_t	 rem, cur;

	if (n > SCALE_COMPACT_MAX + 1 || outlen < 2) {
		if (outlen > 0)
			out[0] = '\0';
		return 0;
	}
	memcpy(mag, le, n);
	if (sign && n > 0 && (le[n - 1] & 0x80)) {
		/* two's complement negate */
		neg = 1;
		carry = 1;
		for (i = 0; i < n; i++) {
			int v = (uint8_t)~mag[i] + carry;

			mag[i] = (uint8_t)v;
			carry = v >> 8;
		}
	}
	nl = (n + 3) / 4;
	memset(limb, 0, sizeof(limb));
	for (i = 0; i < n; i++)
		limb[i / 4] |= (uint32_t)mag[i] << 8 * (i % 4);
	while (nl > 0 && limb[nl - 1] == 0)
		nl--;
	if (nl == 0)
		tmp[len++] = '0';
	while (nl > 0) {
		rem = 0;
		for (k = nl; k-- > 0;) {
			cur = rem << 32 | limb[k];
			limb[k] = (uint32_t)(cur / 1000000000u);
			rem = cur % 1000000000u;
		}
		while (nl > 0 && limb[nl - 1] == 0)
			nl--;
		for (i = 0; i < 9 && (nl > 0 || rem > 0); i++) {
			tmp[len++] = (char)('0' + rem % 10);
			rem /= 10;
		}
	}
	if (neg)
		tmp[len++] = '-';
	if (len + 1 > outlen) {
		out[0] = '\0';
		return 0;
	}
	for (i = 0; i < len; i++)
		out[i] = tmp[len - 1 - i];
	out[len] = '\0';
	return len;
}





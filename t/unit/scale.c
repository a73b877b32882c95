/*
 * Unit tests for observer/scale: compact integers at every mode boundary,
 * fixed-width integers, strict tags, strings, bit sequences, truncation at
 * every offset, and the text helpers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "t/tap.h"
#include "observer/scale.h"

struct cvec {
	uint64_t	 v;
	const char	*hex;	/* its canonical encoding */
};

/* From the SCALE specification's mode boundaries. */
static const struct cvec compacts[] = {
	{ 0, "0x00" },
	{ 1, "0x04" },
	{ 42, "0xa8" },
	{ 63, "0xfc" },
	{ 64, "0x0101" },
	{ 69, "0x1501" },
	{ 16383, "0xfdff" },
	{ 16384, "0x02000100" },
	{ 1073741823, "0xfeffffff" },
	{ 1073741824, "0x0300000040" },
	{ 4294967295u, "0x03ffffffff" },
	{ 4294967296ull, "0x070000000001" },
	{ 281474976710655ull, "0x0bffffffffffff" },
	{ 281474976710656ull, "0x0f00000000000001" },
	{ 18446744073709551615ull, "0x13ffffffffffffffff" },
};

static void
test_compact(void)
{
	struct scale_writer	 w;
	struct scale_reader	 r;
	char			 hex[64];
	uint8_t			*bin, le[SCALE_COMPACT_MAX];
	size_t			 i, n;
	uint64_t		 v;

	for (i = 0; i < sizeof(compacts) / sizeof(compacts[0]); i++) {
		scale_writer_init(&w);
		scale_put_compact(&w, compacts[i].v);
		hex_encode0x(w.buf, w.len, hex);
		is_str(hex, compacts[i].hex, "compact %llu encodes",
		    (unsigned long long)compacts[i].v);
		scale_reader_init(&r, w.buf, w.len);
		v = ~compacts[i].v;
		ok(scale_read_compact(&r, &v) == 0 && v == compacts[i].v &&
		    scale_remaining(&r) == 0, "compact %llu decodes",
		    (unsigned long long)compacts[i].v);
		/* every shorter prefix is an error, not a crash */
		for (n = 0; n < w.len; n++) {
			scale_reader_init(&r, w.buf, n);
			if (scale_read_compact(&r, &v) != -1)
				break;
		}
		ok(n == w.len, "compact %llu: every truncation fails",
		    (unsigned long long)compacts[i].v);
		scale_writer_free(&w);
	}

	/* Non-canonical encodings decode as polkadot-js decodes them. */
	hex_decode_alloc("0x0100", &bin, &n);
	scale_reader_init(&r, bin, n);
	ok(scale_read_compact(&r, &v) == 0 && v == 0, "0x0100 is 0");
	free(bin);
	hex_decode_alloc("0x0301000000", &bin, &n);
	scale_reader_init(&r, bin, n);
	ok(scale_read_compact(&r, &v) == 0 && v == 1 && r.off == 5,
	    "0x0301000000 is 1");
	free(bin);

	/* 2^64 does not fit a u64 compact, but reads as bytes. */
	hex_decode_alloc("0x17000000000000000001", &bin, &n);
	scale_reader_init(&r, bin, n);
	ok(scale_read_compact(&r, &v) == -1, "2^64 is refused as a u64");
	ok(strstr(r.err, "at byte 0") != NULL &&
	    strstr(r.err, "wider than 64") != NULL, "with the offset: %s",
	    r.err);
	scale_reader_init(&r, bin, n);
	ok(scale_read_compact_le(&r, le, &n) == 0 && n == 9 && le[8] == 1 &&
	    le[0] == 0, "2^64 as little-endian bytes");
	free(bin);

	/* The largest compact: 67 bytes of 0xff (2^536 - 1). */
	memset(le, 0xff, sizeof(le));
	scale_writer_init(&w);
	ok(scale_put_compact_le(&w, le, 67) == 0 && w.len == 68 &&
	    w.buf[0] == 0xff, "2^536 - 1 encodes in 68 bytes");
	scale_reader_init(&r, w.buf, w.len);
	memset(le, 0, sizeof(le));
	ok(scale_read_compact_le(&r, le, &n) == 0 && n == 67 &&
	    le[66] == 0xff, "and decodes");
	scale_writer_free(&w);

	/* Big-mode compacts of 5..8 bytes go back through u64. */
	scale_writer_init(&w);
	scale_put_compact(&w, 0x0102030405ull);
	hex_encode0x(w.buf, w.len, hex);
	is_str(hex, "0x070504030201", "5-byte compact");
	scale_writer_free(&w);
}

static void
test_fixed(void)
{
	static const uint8_t buf[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
	    0x07, 0x08, 0xff, 0xfe, 0xff, 0xff, 0xff };
	struct scale_reader	 r;
	uint8_t			 u8;
	uint16_t		 u16;
	uint32_t		 u32;
	uint64_t		 u64;
	int8_t			 i8;
	int32_t			 i32;

	scale_reader_init(&r, buf, sizeof(buf));
	ok(scale_read_u8(&r, &u8) == 0 && u8 == 1, "u8");
	ok(scale_read_u16(&r, &u16) == 0 && u16 == 0x0302, "u16 LE");
	ok(scale_read_u32(&r, &u32) == 0 && u32 == 0x07060504, "u32 LE");
	ok(scale_read_i8(&r, &i8) == 0 && i8 == 8, "i8");
	ok(scale_read_i32(&r, &i32) == 0 && i32 == -257, "i32 negative");
	ok(scale_read_u64(&r, &u64) == -1, "u64 past the end fails");
	is_str(r.err, "at byte 12: need 8 bytes, 1 left", "error text");
	ok(scale_read_u8(&r, &u8) == -1, "errors stick");

	scale_reader_init(&r, buf, 8);
	ok(scale_read_u64(&r, &u64) == 0 && u64 == 0x0807060504030201ull,
	    "u64 LE");
}

static void
test_tags(void)
{
	static const uint8_t b[] = { 0, 1, 2 };
	struct scale_reader	 r;
	int			 v;

	scale_reader_init(&r, b, 3);
	ok(scale_read_bool(&r, &v) == 0 && v == 0, "false");
	ok(scale_read_bool(&r, &v) == 0 && v == 1, "true");
	ok(scale_read_bool(&r, &v) == -1, "bool 2 is refused");
	is_str(r.err, "at byte 2: invalid bool 0x02", "bool error");
	scale_reader_init(&r, b + 2, 1);
	ok(scale_read_option(&r, &v) == -1, "Option tag 2 is refused");
	scale_reader_init(&r, b + 1, 1);
	ok(scale_read_option(&r, &v) == 0 && v == 1, "Some");
	scale_reader_init(&r, b + 1, 1);
	ok(scale_read_result(&r, &v) == 0 && v == 1, "Err");
	scale_reader_init(&r, b + 2, 1);
	ok(scale_read_result(&r, &v) == -1, "Result tag 2 is refused");
}

static void
test_strings(void)
{
	struct scale_reader	 r;
	struct scale_writer	 w;
	const char		*s;
	char			*d;
	size_t			 n;
	uint8_t			*bin;
	static const char *const bad[] = {
		"0x08c080",		/* overlong NUL */
		"0x0ceda080",		/* surrogate */
		"0x08e282",		/* truncated sequence */
		"0x04ff",		/* invalid byte */
		"0x10f4908080",		/* beyond U+10FFFF */
	};

	scale_writer_init(&w);
	scale_put_str(&w, "Serai \xe2\x82\xac \xf0\x9f\x98\x80");
	scale_reader_init(&r, w.buf, w.len);
	ok(scale_read_str(&r, &s, &n) == 0 && n == 14 &&
	    memcmp(s, "Serai \xe2\x82\xac", 9) == 0, "UTF-8 string");
	scale_reader_init(&r, w.buf, w.len);
	ok(scale_read_strdup(&r, &d) == 0 && strlen(d) == 14, "strdup");
	free(d);
	scale_writer_free(&w);

	for (n = 0; n < sizeof(bad) / sizeof(bad[0]); n++) {
		size_t len;

		hex_decode_alloc(bad[n], &bin, &len);
		scale_reader_init(&r, bin, len);
		ok(scale_read_str(&r, &s, &len) == -1 &&
		    strstr(r.err, "UTF-8") != NULL, "invalid UTF-8 %s refused",
		    bad[n]);
		free(bin);
	}

	/* a length beyond the input is refused before any allocation */
	hex_decode_alloc("0x0300000040aa", &bin, &n);
	scale_reader_init(&r, bin, n);
	ok(scale_read_bytes(&r, (const uint8_t **)&s, &n) == -1 &&
	    strstr(r.err, "exceeds") != NULL, "huge length: %s", r.err);
	free(bin);
}

static void
test_bitseq(void)
{
	/* bits 0, 2, 3 and 8 set, 9 bits */
	static const uint8_t bits[] = { 0x0d, 0x01 };
	static const struct {
		unsigned	 store;
		int		 order;
		const char	*hex;
	} v[] = {
		{ 8, SCALE_LSB0, "0x240d01" },
		{ 8, SCALE_MSB0, "0x24b080" },
		{ 16, SCALE_LSB0, "0x240d01" },
		{ 16, SCALE_MSB0, "0x2480b0" },
		{ 32, SCALE_LSB0, "0x240d010000" },
		{ 32, SCALE_MSB0, "0x24000080b0" },
		{ 64, SCALE_LSB0, "0x240d01000000000000" },
	};
	struct scale_writer	 w;
	struct scale_reader	 r;
	char			 hex[64];
	const uint8_t		*raw;
	size_t			 i, rawlen;
	uint64_t		 nbits, k;
	int			 same;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		scale_writer_init(&w);
		scale_put_bitseq(&w, v[i].store, v[i].order, bits, 9);
		hex_encode0x(w.buf, w.len, hex);
		is_str(hex, v[i].hex, "bitseq u%u %s", v[i].store,
		    v[i].order == SCALE_MSB0 ? "Msb0" : "Lsb0");
		scale_reader_init(&r, w.buf, w.len);
		same = scale_read_bitseq(&r, v[i].store, &nbits, &raw,
		    &rawlen) == 0 && nbits == 9 && rawlen == (v[i].store / 8) *
		    (v[i].store == 8 ? 2 : 1);
		for (k = 0; same && k < 9; k++)
			if (scale_bit_get(raw, v[i].store, v[i].order, k) !=
			    (bits[k / 8] >> (k % 8) & 1))
				same = 0;
		ok(same, "bitseq u%u %s reads back", v[i].store,
		    v[i].order == SCALE_MSB0 ? "Msb0" : "Lsb0");
		scale_writer_free(&w);
	}
}

/* A buffer of mixed values: every truncation fails cleanly. */
static int
read_all(const uint8_t *buf, size_t len)
{
	struct scale_reader	 r;
	const uint8_t		*p;
	const char		*s;
	uint8_t			 le[32];
	uint32_t		 u32;
	uint64_t		 v, nbits;
	size_t			 n;
	int			 b;

	scale_reader_init(&r, buf, len);
	if (scale_read_u32(&r, &u32) == -1 || scale_read_compact(&r, &v) ==
	    -1 || scale_read_str(&r, &s, &n) == -1 ||
	    scale_read_option(&r, &b) == -1 || scale_read_le(&r, 16, le) == -1 ||
	    scale_read_bytes(&r, &p, &n) == -1 ||
	    scale_read_bitseq(&r, 16, &nbits, &p, &n) == -1 ||
	    scale_read_bool(&r, &b) == -1)
		return -1;
	return strlen(r.err) == 0 ? 0 : -1;
}

static void
test_truncation(void)
{
	struct scale_writer	 w;
	uint8_t			 le[16];
	size_t			 n;
	int			 all = 1;

	memset(le, 0xab, sizeof(le));
	scale_writer_init(&w);
	scale_put_u32(&w, 7);
	scale_put_compact(&w, 1u << 20);
	scale_put_str(&w, "hello");
	scale_put_u8(&w, 1);
	scale_put_le(&w, le, 16);
	scale_put_bytes(&w, "abc", 3);
	scale_put_bitseq(&w, 16, SCALE_LSB0, le, 20);
	scale_put_bool(&w, 1);
	ok(read_all(w.buf, w.len) == 0, "the whole buffer reads");
	for (n = 0; n < w.len; n++)
		if (read_all(w.buf, n) != -1)
			all = 0;
	ok(all, "each of its %zu truncations fails", w.len);
	scale_writer_free(&w);
}

static void
test_text(void)
{
	uint8_t	 le[32];
	char	 dec[128], hex[80];
	uint8_t	*bin;
	size_t	 n;

	memset(le, 0xff, 16);
	scale_le_to_dec(le, 16, 0, dec, sizeof(dec));
	is_str(dec, "340282366920938463463374607431768211455", "u128 max");
	scale_le_to_dec(le, 16, 1, dec, sizeof(dec));
	is_str(dec, "-1", "i128 -1");
	memset(le, 0, 16);
	le[15] = 0x80;
	scale_le_to_dec(le, 16, 1, dec, sizeof(dec));
	is_str(dec, "-170141183460469231731687303715884105728", "i128 min");
	scale_le_to_dec(le, 0, 0, dec, sizeof(dec));
	is_str(dec, "0", "zero");
	le[0] = 0x00;
	le[1] = 0x10;
	scale_le_to_dec(le, 2, 0, dec, sizeof(dec));
	is_str(dec, "4096", "4096");
	memset(le, 0xff, 32);
	scale_le_to_dec(le, 32, 0, dec, sizeof(dec));
	is_str(dec, "115792089237316195423570985008687907853269984665640564039"
	    "457584007913129639935", "u256 max");

	ok(hex_decode_alloc("0xDEADbeef", &bin, &n) == 0 && n == 4 &&
	    bin[0] == 0xde && bin[3] == 0xef, "unhex");
	hex_encode0x(bin, n, hex);
	is_str(hex, "0xdeadbeef", "hex");
	free(bin);
	ok(hex_decode_alloc("0xabc", &bin, &n) == -1, "odd hex refused");
	ok(hex_decode_alloc("0xzz", &bin, &n) == -1, "bad hex refused");

	le[0] = 0xff;
	le[1] = 0x01;
	ok(scale_fits(le, 2, 9) && !scale_fits(le, 2, 8), "fits 9 bits");
	le[1] = 0;
	ok(scale_fits(le, 2, 8), "trailing zeros ignored");
}

int
main(void)
{
	test_compact();
	test_fixed();
	test_tags();
	test_strings();
	test_bitseq();
	test_truncation();
	test_text();
	return done_testing();
}

/* Unit tests for libcommon/hex (the one hex codec) and libcommon/clock. */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "hex.h"
#include "t/tap.h"

int
main(void)
{
	const uint8_t b[4] = { 0x00, 0x1f, 0xa0, 0xff };
	uint8_t out[4], *p;
	char s[16];
	size_t n;
	uint64_t m1, m2, u;

	plan(20);
	hex_encode(b, 4, s);
	is_str(s, "001fa0ff", "encode: lowercase, bare");
	hex_encode0x(b, 4, s);
	is_str(s, "0x001fa0ff", "encode0x: prefixed");
	hex_encode(b, 0, s);
	is_str(s, "", "encode of nothing is empty");

	memset(out, 0, 4);
	is_int(hex_decode("001fa0ff", out, 4), 0, "decode bare");
	is_mem(out, b, 4, "decode bare: the bytes");
	memset(out, 0, 4);
	is_int(hex_decode("0x001FA0fF", out, 4), 0, "decode 0x, mixed case");
	is_mem(out, b, 4, "decode 0x: the bytes");
	is_int(hex_decode("0X001fa0ff", out, 4), 0, "decode 0X");
	is_int(hex_decode("001fa0f", out, 4), -1, "one digit short refused");
	is_int(hex_decode("001fa0ff00", out, 4), -1, "one byte long refused");
	is_int(hex_decode("001fa0fg", out, 4), -1, "non-digit refused");
	is_int(hex_decode(" 001fa0f", out, 4), -1, "leading space refused");
	is_int(hex_decode("0x", out, 0), 0, "empty with prefix is zero bytes");
	is_int(hex_decode_span("1fzz", out, 1), 0,
	    "span reads only its 2n characters");
	is_int(out[0], 0x1f, "span: the byte");

	is_int(hex_decode_alloc("0xa0ff", &p, &n), 0, "alloc decode");
	ok(n == 2 && p[0] == 0xa0 && p[1] == 0xff, "alloc decode: the bytes");
	free(p);
	is_int(hex_decode_alloc("abc", &p, &n), -1, "odd length refused");

	m1 = clock_mono_ms();
	u = clock_mono_us();
	m2 = clock_mono_ms();
	ok(m2 >= m1 && u / 1000 >= m1 && u / 1000 <= m2,
	    "monotonic ms and us agree (%llu <= %llu <= %llu)",
	    (unsigned long long)m1, (unsigned long long)(u / 1000),
	    (unsigned long long)m2);
	ok(clock_wall_ms() > 1600000000000ULL, "wall clock is in ms since "
	    "the epoch");
	return done_testing();
}

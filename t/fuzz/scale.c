/*
 * Fuzz the SCALE reader: the input is both a program and its data.  Each
 * step takes an opcode byte and reads one kind of value from the rest;
 * compacts and strings are re-encoded and read back, which must agree.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "observer/scale.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scale_reader	 r, r2;
	struct scale_writer	 w;
	uint8_t			 le[SCALE_COMPACT_MAX], le2[SCALE_COMPACT_MAX];
	uint8_t			 op, u8, *bin;
	uint16_t		 u16;
	uint32_t		 u32;
	uint64_t		 u64, nbits, k;
	const uint8_t		*p;
	const char		*s;
	char			 dec[3 * SCALE_COMPACT_MAX + 2], *str, *hex;
	size_t			 n, n2, steps = 0;
	int			 b;

	scale_reader_init(&r, data, size);
	while (scale_remaining(&r) > 0 && steps++ < 64) {
		if (scale_read_u8(&r, &op) == -1)
			break;
		switch (op % 13) {
		case 0:
			(void)scale_read_u16(&r, &u16);
			break;
		case 1:
			(void)scale_read_u32(&r, &u32);
			break;
		case 2:
			(void)scale_read_u64(&r, &u64);
			break;
		case 3:
			if (scale_read_compact_le(&r, le, &n) == 0) {
				scale_le_to_dec(le, n, op & 0x80, dec,
				    sizeof(dec));
				scale_writer_init(&w);
				if (scale_put_compact_le(&w, le, n) != 0)
					abort();
				scale_reader_init(&r2, w.buf, w.len);
				if (scale_read_compact_le(&r2, le2, &n2) != 0 ||
				    n2 != n || memcmp(le, le2, n) != 0 ||
				    scale_remaining(&r2) != 0)
					abort();
				scale_writer_free(&w);
			}
			break;
		case 4:
			if (scale_read_compact(&r, &u64) == 0) {
				scale_writer_init(&w);
				scale_put_compact(&w, u64);
				scale_reader_init(&r2, w.buf, w.len);
				if (scale_read_compact(&r2, &k) != 0 ||
				    k != u64)
					abort();
				scale_writer_free(&w);
			}
			break;
		case 5:
			(void)scale_read_bool(&r, &b);
			break;
		case 6:
			(void)scale_read_option(&r, &b);
			(void)scale_read_result(&r, &b);
			break;
		case 7:
			if (scale_read_str(&r, &s, &n) == 0 &&
			    !scale_utf8_valid((const uint8_t *)s, n))
				abort();
			break;
		case 8:
			if (scale_read_strdup(&r, &str) == 0)
				free(str);
			break;
		case 9:
			if (scale_read_bytes(&r, &p, &n) == 0) {
				if ((hex = malloc(2 * n + 3)) == NULL)
					break;
				hex_encode0x(p, n, hex);
				if (hex_decode_alloc(hex, &bin, &n2) != 0 ||
				    n2 != n || memcmp(bin, p, n) != 0)
					abort();
				free(bin);
				free(hex);
			}
			break;
		case 10:
			if (scale_read_bitseq(&r, 8u << (op >> 6), &nbits, &p,
			    &n) == 0)
				for (k = 0; k < nbits && k < 4096; k++)
					(void)scale_bit_get(p, 8u << (op >> 6),
					    op & 0x20 ? SCALE_MSB0 : SCALE_LSB0,
					    k);
			break;
		case 11:
			if (scale_read_raw(&r, op >> 3, &p) == 0) {
				scale_le_to_dec(p, op >> 3, op & 1, dec,
				    sizeof(dec));
				(void)scale_fits(p, op >> 3, op & 0x3f);
			}
			break;
		default:
			(void)scale_read_len(&r, op >> 4, &n);
			(void)scale_read_u8(&r, &u8);
			break;
		}
	}
	return 0;
}

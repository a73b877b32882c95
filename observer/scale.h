/*
 * scale: the SCALE codec (Substrate's "Simple Concatenated Aggregate
 * Little-Endian") over byte buffers.
 *
 * Reading is bounds-checked: every read checks what remains, and the first
 * error sticks in the reader (later reads fail at once) with the byte
 * offset it happened at, e.g. "at byte 17: need 4 bytes, 2 left".
 *
 * Compact integers are decoded the way polkadot-js decodes them (our
 * reference): all four modes, the big-integer mode up to 67 bytes (values
 * below 2^536), and non-canonical encodings (a small value in a wider mode)
 * are accepted.  Rust's parity-scale-codec rejects those, but no node
 * produces them, and decoding exactly what polkadot-js decodes is what our
 * reference tests check.  Whether the value fits the declared type is the
 * caller's check (scale_fits).
 *
 * bool, Option and Result tags are strict (0 or 1 only), as in Rust;
 * polkadot-js reads a bool 2 as false and an Option tag 2 as Some.
 * Strings must be valid UTF-8, as in Rust.
 *
 * Writing appends to a growing buffer; an allocation failure sticks and is
 * reported by scale_writer_error().
 */
#ifndef SCALE_H
#define SCALE_H

#include <stddef.h>
#include <stdint.h>

#define SCALE_ERRLEN		192
#define SCALE_COMPACT_MAX	67	/* bytes of a big-mode compact */

struct scale_reader {
	const uint8_t	*buf;
	size_t		 len;
	size_t		 off;
	int		 failed;
	char		 err[SCALE_ERRLEN];
};

struct scale_writer {
	uint8_t		*buf;
	size_t		 len;
	size_t		 cap;
	int		 oom;
};

/* Bit sequence storage (bitvec's BitStore) and order (BitOrder). */
#define SCALE_LSB0	0
#define SCALE_MSB0	1

void	scale_reader_init(struct scale_reader *, const void *, size_t);
size_t	scale_remaining(const struct scale_reader *);
int	scale_fail(struct scale_reader *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

int	scale_read_raw(struct scale_reader *, size_t, const uint8_t **);
int	scale_skip(struct scale_reader *, size_t);
int	scale_read_u8(struct scale_reader *, uint8_t *);
int	scale_read_u16(struct scale_reader *, uint16_t *);
int	scale_read_u32(struct scale_reader *, uint32_t *);
int	scale_read_u64(struct scale_reader *, uint64_t *);
int	scale_read_i8(struct scale_reader *, int8_t *);
int	scale_read_i16(struct scale_reader *, int16_t *);
int	scale_read_i32(struct scale_reader *, int32_t *);
int	scale_read_i64(struct scale_reader *, int64_t *);
/* u128, u256 and the like: width little-endian bytes into out. */
int	scale_read_le(struct scale_reader *, size_t, uint8_t *);
int	scale_read_bool(struct scale_reader *, int *);
int	scale_read_option(struct scale_reader *, int *);	/* 1: Some */
int	scale_read_result(struct scale_reader *, int *);	/* 1: Err */

/* A compact integer that must fit 64 bits. */
int	scale_read_compact(struct scale_reader *, uint64_t *);
/* Any compact integer: its value as n little-endian bytes (n <= 67, no
 * trailing zero bytes; 0 is n = 0). */
int	scale_read_compact_le(struct scale_reader *, uint8_t *, size_t *);
/* A compact length of a sequence whose elements take at least minsize
 * bytes each (0: unknown): checked against the bytes left. */
int	scale_read_len(struct scale_reader *, size_t, size_t *);
/* Vec<u8>: a compact length, then the bytes (pointing into the input). */
int	scale_read_bytes(struct scale_reader *, const uint8_t **, size_t *);
/* String: like Vec<u8>, and valid UTF-8.  Not NUL-terminated. */
int	scale_read_str(struct scale_reader *, const char **, size_t *);
/* String into a fresh NUL-terminated copy (malloc); NUL bytes refused. */
int	scale_read_strdup(struct scale_reader *, char **);
/* BitVec<store, order>: a compact bit count, then ceil(bits / storebits)
 * little-endian store words.  raw/rawlen point at those words. */
int	scale_read_bitseq(struct scale_reader *, unsigned, uint64_t *,
	    const uint8_t **, size_t *);
/* Bit i of a bit sequence's store words. */
int	scale_bit_get(const uint8_t *, unsigned, int, uint64_t);

/* Does the little-endian magnitude fit in the given number of bits? */
int	scale_fits(const uint8_t *, size_t, unsigned);
/* Is the buffer valid UTF-8 (no overlong forms, no surrogates)? */
int	scale_utf8_valid(const uint8_t *, size_t);

void	scale_writer_init(struct scale_writer *);
void	scale_writer_free(struct scale_writer *);
int	scale_writer_error(const struct scale_writer *);	/* -1 on oom */
/* Take the buffer (caller frees); the writer is left empty. */
uint8_t	*scale_writer_take(struct scale_writer *, size_t *);
void	scale_put_raw(struct scale_writer *, const void *, size_t);
void	scale_put_u8(struct scale_writer *, uint8_t);
void	scale_put_u16(struct scale_writer *, uint16_t);
void	scale_put_u32(struct scale_writer *, uint32_t);
void	scale_put_u64(struct scale_writer *, uint64_t);
void	scale_put_le(struct scale_writer *, const uint8_t *, size_t);
void	scale_put_bool(struct scale_writer *, int);
void	scale_put_compact(struct scale_writer *, uint64_t);
/* A compact from n little-endian bytes (n <= 67), canonical form. */
int	scale_put_compact_le(struct scale_writer *, const uint8_t *, size_t);
void	scale_put_bytes(struct scale_writer *, const void *, size_t);
void	scale_put_str(struct scale_writer *, const char *);
/* Bit sequence from nbits bits (bit i of bits[] in Lsb0 byte order),
 * stored as storebits-wide words in the given order. */
void	scale_put_bitseq(struct scale_writer *, unsigned, int,
	    const uint8_t *, uint64_t);

/*
 * Helpers for turning decoded values into text.
 *
 * scale_le_to_dec: a little-endian integer of n bytes (two's complement if
 * sign is set) in decimal; out needs 3 * n + 2 bytes.  Returns the length.
 */
size_t	scale_le_to_dec(const uint8_t *, size_t, int, char *, size_t);

#endif

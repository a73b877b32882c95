/*
 * hex: the one hex codec.  Encoding is lowercase; decoding is strict (an
 * optional "0x" or "0X" prefix, then exactly two digits per byte, either
 * case, nothing else).
 */
#ifndef HEX_H
#define HEX_H

#include <stddef.h>
#include <stdint.h>

/* Bare hex: out needs 2 * n + 1 bytes. */
void	hex_encode(const uint8_t *, size_t n, char *out);
/* "0x" then hex: out needs 2 * n + 3 bytes. */
void	hex_encode0x(const uint8_t *, size_t n, char *out);
/* Exactly n bytes from a string; 0, or -1 on a wrong length or digit. */
int	hex_decode(const char *, uint8_t *out, size_t n);
/* Exactly n bytes from the first 2n characters of s (no prefix, no NUL
 * needed after them). */
int	hex_decode_span(const char *s, uint8_t *out, size_t n);
/* Any even number of digits into a fresh buffer (malloc; 1 byte more than
 * *n, so an empty string still gives a pointer to free). */
int	hex_decode_alloc(const char *, uint8_t **out, size_t *n);

#endif

/*
 * hex: see hex.h.  libsodium's codec underneath: it runs in constant time,
 * and key files go through here.
 */
#include <string.h>
#include <stdlib.h>

#include <sodium.h>

#include "hex.h"

void
hex_encode(const uint8_t *p, size_t n, char *out)
{
	sodium_bin2hex(out, 2 * n + 1, p, n);
}

void
hex_encode0x(const uint8_t *p, size_t n, char *out)
{
	out[0] = '0';
	out[1] = 'x';
	hex_encode(p, n, out + 2);
}

static const char *
skip0x(const char *s)
{
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return s + 2;
	return s;
}

int
hex_decode_span(const char *s, uint8_t *out, size_t n)
{
	size_t got = 0;

	if (sodium_hex2bin(out, n, s, 2 * n, NULL, &got, NULL) != 0 ||
	    got != n)
		return -1;
	return 0;
}

int
hex_decode(const char *s, uint8_t *out, size_t n)
{
	s = skip0x(s);
	if (strlen(s) != 2 * n)
		return -1;
	return hex_decode_span(s, out, n);
}

int
hex_decode_alloc(const char *s, uint8_t **out, size_t *n)
{
	uint8_t *p;
	size_t len;

	s = skip0x(s);
	len = strlen(s);
	if (len % 2 != 0)
		return -1;
	if ((p = malloc(len / 2 + 1)) == NULL)
		return -1;
	if (hex_decode_span(s, p, len / 2) == -1) {
		free(p);
		return -1;
	}
	*out = p;
	*n = len / 2;
	return 0;
}

/*
 * varint: multiformats unsigned varints (LEB128, at most 9 bytes, minimal
 * encoding), as used by multistream-select, multiaddr, multihash and our
 * coordinator frames.
 */
#ifndef CONNECTOR_VARINT_H
#define CONNECTOR_VARINT_H

#include <stddef.h>
#include <stdint.h>

#define UVARINT_MAX	10	/* room for any uint64_t */

size_t	uvarint_put(uint8_t *, uint64_t);
size_t	uvarint_len(uint64_t);
/* 1: decoded (*v, *used set); 0: need more bytes; -1: invalid. */
int	uvarint_get(const uint8_t *, size_t, uint64_t *, size_t *);

#endif

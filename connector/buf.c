/*
 * buf: a growable byte queue (see buf.h).  Allocation failure is fatal:
 * every buffer is bounded by its owner, so running out of memory is a bug
 * or a machine in trouble, not a condition to limp through.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "connector/buf.h"

void
buf_init(struct buf *b)
{
	b->p = NULL;
	b->off = b->len = b->cap = 0;
}

void
buf_free(struct buf *b)
{
	free(b->p);
	buf_init(b);
}

void
buf_reset(struct buf *b)
{
	b->off = b->len = 0;
}

uint8_t *
buf_reserve(struct buf *b, size_t n)
{
	size_t	 used, ncap;
	uint8_t	*np;

	if (b->cap - b->len >= n)
		return b->p + b->len;
	if (b->off > 0) {
		used = b->len - b->off;
		memmove(b->p, b->p + b->off, used);
		b->off = 0;
		b->len = used;
		if (b->cap - b->len >= n)
			return b->p + b->len;
	}
	ncap = b->cap ? b->cap : 256;
	while (ncap - b->len < n) {
		if (ncap > SIZE_MAX / 2)
			fatalx(EX_BUG, "buf: size overflow");
		ncap *= 2;
	}
	if ((np = realloc(b->p, ncap)) == NULL)
		fatal(EX_TEMP, "buf: realloc %zu", ncap);
	b->p = np;
	b->cap = ncap;
	return b->p + b->len;
}

void
buf_commit(struct buf *b, size_t n)
{
	b->len += n;
}

void
buf_append(struct buf *b, const void *data, size_t n)
{
	if (n == 0)
		return;
	memcpy(buf_reserve(b, n), data, n);
	b->len += n;
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len - b->off) {
		b->off = b->len = 0;
		return;
	}
	b->off += n;
}

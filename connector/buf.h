/*
 * buf: a growable byte queue.  Bytes live in p[off..len); appending at the
 * tail, consuming at the head.  Used for socket and stream buffers.
 */
#ifndef CONNECTOR_BUF_H
#define CONNECTOR_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t	*p;
	size_t	 off;
	size_t	 len;
	size_t	 cap;
};

#define BUF_INIT	{ NULL, 0, 0, 0 }

static inline const uint8_t *
buf_data(const struct buf *b)
{
	return b->p + b->off;
}

static inline size_t
buf_len(const struct buf *b)
{
	return b->len - b->off;
}

void	 buf_init(struct buf *);
void	 buf_free(struct buf *);
void	 buf_reset(struct buf *);
/* Room for n more bytes at the tail; the pointer is valid until next call. */
uint8_t	*buf_reserve(struct buf *, size_t);
void	 buf_commit(struct buf *, size_t);
void	 buf_append(struct buf *, const void *, size_t);
void	 buf_consume(struct buf *, size_t);

#endif

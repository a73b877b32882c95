/*
 * buf: a growable byte queue.  Bytes live in p[off..len); appending at the
 * tail, consuming at the head.  Used for socket and stream buffers.
 */
#ifndef CONNECTOR_BUF_H
#define CONNECTOR_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

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
	return b->p == NULL ? NULL : b->p + b->off;	/* NULL + 0 is UB */
}

static inline size_t
buf_len(const struct buf *b)
{
	return b->len - b->off;
}

/* The bytes at the head, to change in place (decrypting, say). */
static inline uint8_t *
buf_mdata(struct buf *b)
{
	return b->p == NULL ? NULL : b->p + b->off;
}

void	 buf_init(struct buf *);
void	 buf_free(struct buf *);
void	 buf_reset(struct buf *);
/* Room for n more bytes at the tail; the pointer is valid until next call. */
uint8_t	*buf_reserve(struct buf *, size_t);
void	 buf_commit(struct buf *, size_t);
void	 buf_append(struct buf *, const void *, size_t);
void	 buf_consume(struct buf *, size_t);

/*
 * bufq: a byte queue in segments, for queues that run long (a stream's
 * unsent data): appending never moves what is queued, and consuming frees
 * whole segments, where one buf would move its backlog down each time its
 * tail reached the end.  The head segment's bytes are contiguous.
 */
struct bufseg {
	TAILQ_ENTRY(bufseg) entry;
	size_t		 off;
	size_t		 len;
	size_t		 cap;
	uint8_t		 data[];
};

struct bufq {
	TAILQ_HEAD(bufseg_head, bufseg) segs;
	size_t		 len;
	size_t		 segcap;	/* of the next segment */
	/* Spent segments kept while the queue runs: no pages to fault in. */
	TAILQ_HEAD(, bufseg) spares;
	size_t		 nspares;
};

#define BUFQ_SEGMIN	(4 * 1024)
#define BUFQ_SEGMAX	(1024 * 1024)
#define BUFQ_SPARES	8

void	 bufq_init(struct bufq *);
void	 bufq_free(struct bufq *);
#define	 bufq_reset(q)	bufq_free(q)
void	 bufq_append(struct bufq *, const void *, size_t);
/* The contiguous bytes at the head: *n of them (0: empty, NULL). */
const uint8_t *bufq_peek(const struct bufq *, size_t *);
void	 bufq_consume(struct bufq *, size_t);

static inline size_t
bufq_len(const struct bufq *q)
{
	return q->len;
}

#endif

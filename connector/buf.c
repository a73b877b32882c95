/*
 * buf: a growable byte queue (see buf.h).  Allocation failure is fatal:
 * every buffer is bounded by its owner, so running out of memory is a bug
 * or a machine in trouble, not a condition to limp through.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "connector/buf.h"

static void	bufq_spares_free(struct bufq *);

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

void
bufq_init(struct bufq *q)
{
	TAILQ_INIT(&q->segs);
	q->len = 0;
	q->segcap = BUFQ_SEGMIN;
	TAILQ_INIT(&q->spares);
	q->nspares = 0;
}

void
bufq_free(struct bufq *q)
{
	struct bufseg *s;

	while ((s = TAILQ_FIRST(&q->segs)) != NULL) {
		TAILQ_REMOVE(&q->segs, s, entry);
		free(s);
	}
	bufq_spares_free(q);
	q->len = 0;
}

static void
bufq_spares_free(struct bufq *q)
{
	struct bufseg *s;

	while ((s = TAILQ_FIRST(&q->spares)) != NULL) {
		TAILQ_REMOVE(&q->spares, s, entry);
		free(s);
	}
	q->nspares = 0;
}

void
bufq_append(struct bufq *q, const void *data, size_t n)
{
	const uint8_t *p = data;
	struct bufseg *s;
	size_t	 k, cap;

	q->len += n;
	while (n > 0) {
		s = TAILQ_LAST(&q->segs, bufseg_head);
		if (s == NULL || s->cap == s->off + s->len) {
			/* Each segment twice the last, up to the maximum. */
			cap = q->segcap;
			while (cap < n && cap < BUFQ_SEGMAX)
				cap *= 2;
			q->segcap = cap < BUFQ_SEGMAX ? cap * 2 : BUFQ_SEGMAX;
			if ((s = TAILQ_FIRST(&q->spares)) != NULL &&
			    s->cap >= cap) {
				TAILQ_REMOVE(&q->spares, s, entry);
				q->nspares--;
				cap = s->cap;
			} else if ((s = malloc(sizeof(*s) + cap)) == NULL)
				fatal(EX_TEMP, "bufq: malloc %zu", cap);
			s->off = s->len = 0;
			s->cap = cap;
			TAILQ_INSERT_TAIL(&q->segs, s, entry);
		}
		k = s->cap - (s->off + s->len);
		if (k > n)
			k = n;
		memcpy(s->data + s->off + s->len, p, k);
		s->len += k;
		p += k;
		n -= k;
	}
}

const uint8_t *
bufq_peek(const struct bufq *q, size_t *n)
{
	const struct bufseg *s = TAILQ_FIRST(&q->segs);

	if (s == NULL) {
		*n = 0;
		return NULL;
	}
	*n = s->len;
	return s->data + s->off;
}

void
bufq_consume(struct bufq *q, size_t n)
{
	struct bufseg *s;
	size_t	 k;

	while (n > 0 && (s = TAILQ_FIRST(&q->segs)) != NULL) {
		k = n < s->len ? n : s->len;
		s->off += k;
		s->len -= k;
		q->len -= k;
		n -= k;
		if (s->len > 0)
			continue;
		if (TAILQ_NEXT(s, entry) == NULL && s->cap <= BUFQ_SEGMAX / 4) {
			/* The only one, and small: keep it for what comes. */
			s->off = 0;
			break;
		}
		TAILQ_REMOVE(&q->segs, s, entry);
		if (q->len > 0 && s->cap == BUFQ_SEGMAX &&
		    q->nspares < BUFQ_SPARES) {
			/* More is queued: more will be appended. */
			TAILQ_INSERT_TAIL(&q->spares, s, entry);
			q->nspares++;
		} else
			free(s);
	}
	if (q->len == 0)
		bufq_spares_free(q);
}

/*
 * dedupe: see dedupe.h.  An open-addressing hash table (linear probing,
 * load at most 1/2) over a ring of the intents in arrival order.  Intents
 * are BLAKE2b outputs, so their first bytes are already a good hash.
 */
#include <stdlib.h>
#include <string.h>

#include "dedupe.h"

#define ILEN	32
#define EMPTY	((size_t)-1)

struct dedupe {
	size_t	  cap;		/* intents remembered at most */
	size_t	  n;
	size_t	  head;		/* oldest in the ring */
	uint8_t	 *ring;		/* cap * ILEN */
	size_t	 *slot;		/* nslot entries: ring index or EMPTY */
	size_t	  nslot;	/* power of two >= 2 * cap */
};

static size_t	 hash(const uint8_t *);
static size_t	 find(const struct dedupe *, const uint8_t *);
static void	 remove_slot(struct dedupe *, size_t);

static size_t
hash(const uint8_t *in)
{
	size_t h;

	memcpy(&h, in, sizeof(h));
	return h;
}

/* The slot holding the intent, or the empty slot where it would go. */
static size_t
find(const struct dedupe *d, const uint8_t *in)
{
	size_t i = hash(in) & (d->nslot - 1);

	while (d->slot[i] != EMPTY &&
	    memcmp(d->ring + d->slot[i] * ILEN, in, ILEN) != 0)
		i = (i + 1) & (d->nslot - 1);
	return i;
}

struct dedupe *
dedupe_new(size_t cap)
{
	struct dedupe *d;
	size_t i;

	if (cap == 0)
		cap = 1;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->cap = cap;
	for (d->nslot = 4; d->nslot < 2 * cap; d->nslot <<= 1)
		;
	d->ring = malloc(cap * ILEN);
	d->slot = malloc(d->nslot * sizeof(*d->slot));
	if (d->ring == NULL || d->slot == NULL) {
		dedupe_free(d);
		return NULL;
	}
	for (i = 0; i < d->nslot; i++)
		d->slot[i] = EMPTY;
	return d;
}

void
dedupe_free(struct dedupe *d)
{
	if (d == NULL)
		return;
	free(d->ring);
	free(d->slot);
	free(d);
}

/* Backward-shift deletion keeps probe chains intact without tombstones. */
static void
remove_slot(struct dedupe *d, size_t i)
{
	size_t j = i, k;

	d->slot[i] = EMPTY;
	for (;;) {
		j = (j + 1) & (d->nslot - 1);
		if (d->slot[j] == EMPTY)
			return;
		k = hash(d->ring + d->slot[j] * ILEN) & (d->nslot - 1);
		/* Move j back to i unless its home k lies cyclically in (i, j]. */
		if ((j > i && (k <= i || k > j)) ||
		    (j < i && (k <= i && k > j))) {
			d->slot[i] = d->slot[j];
			d->slot[j] = EMPTY;
			i = j;
		}
	}
}

int
dedupe_has(const struct dedupe *d, const uint8_t *in)
{
	return d->slot[find(d, in)] != EMPTY;
}

int
dedupe_check(struct dedupe *d, const uint8_t *in)
{
	size_t i, pos;

	i = find(d, in);
	if (d->slot[i] != EMPTY)
		return 1;
	if (d->n == d->cap) {
		/* Forget the oldest; its ring cell is reused below. */
		remove_slot(d, find(d, d->ring + d->head * ILEN));
		pos = d->head;
		d->head = (d->head + 1) % d->cap;
		d->n--;
		i = find(d, in);
	} else
		pos = (d->head + d->n) % d->cap;
	memcpy(d->ring + pos * ILEN, in, ILEN);
	d->slot[i] = pos;
	d->n++;
	return 0;
}

void
dedupe_forget(struct dedupe *d, const uint8_t *in)
{
	size_t i = find(d, in);

	/* Only the slot goes; the ring cell ages out harmlessly. */
	if (d->slot[i] != EMPTY)
		remove_slot(d, i);
}

size_t
dedupe_count(const struct dedupe *d)
{
	return d->n;
}

/*
 * dedupe: a bounded set of recently seen intents.  When full, the oldest
 * intent is forgotten (FIFO), so memory stays fixed whatever the traffic.
 */
#ifndef DEDUPE_H
#define DEDUPE_H

#include <stddef.h>
#include <stdint.h>

struct dedupe;

struct dedupe	*dedupe_new(size_t);
void		 dedupe_free(struct dedupe *);
/* 1 if the intent was seen (a duplicate), else 0 and it is remembered. */
int		 dedupe_check(struct dedupe *, const uint8_t *);
int		 dedupe_has(const struct dedupe *, const uint8_t *);
void		 dedupe_forget(struct dedupe *, const uint8_t *);
size_t		 dedupe_count(const struct dedupe *);

#endif

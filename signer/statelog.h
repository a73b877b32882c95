/*
 * statelog: the signer's decision log on Kafka, read back at start.
 *
 * The log is one topic ([signing] state_topic), compacted by key, written
 * only by the signer's transactional producer (bus.h) in the same
 * transactions as its consumer offsets.  At start, after the producer has
 * fenced any older instance of itself (init_transactions aborts its open
 * transaction), statelog_read reads the topic from the beginning to its
 * end with read_committed isolation, so it sees exactly the committed
 * decisions.
 */
#ifndef STATELOG_H
#define STATELOG_H

#include <stddef.h>
#include <stdint.h>

struct app;

typedef int statelog_fn(void *, const char *, size_t, const uint8_t *,
    size_t, int64_t);

/* Create the topic (one partition, cleanup.policy=compact) if missing. */
int	statelog_create(const struct app *, const char *, char *, size_t);

/* Call fn(arg, key, keylen, value, len, offset) for every record, in
 * order; -1 with err on a Kafka error, a timeout or fn's -1. */
int	statelog_read(const struct app *, const char *, statelog_fn *,
	    void *, int, char *, size_t);

#endif

/*
 * bus: one API over two transports.
 *
 * Kafka (default): an idempotent producer (acks=all) with delivery reports;
 * a consumer in a group whose offsets are stored only when the caller says
 * a message is handled (bus_done), so a crash redelivers what was not
 * handled (at-least-once); optional transactions for consume-transform-
 * produce (the offsets of handled messages commit with the produced
 * records, or neither does).
 *
 * Stdio (-i / -o): length-delimited records (a protobuf varint length, then
 * the Envelope bytes), or JSON Lines with -J, on a file or stdin/stdout.
 * Input and output are independent: "-o -" with Kafka input is fine.
 *
 * Records are opaque bytes here; svc.h puts signed envelopes on top.
 */
#ifndef BUS_H
#define BUS_H

#include <stddef.h>
#include <stdint.h>

struct app;

enum bus_topic {
	TOPIC_SERAI_OBSERVATION,
	TOPIC_CHAIN_OBSERVATION,
	TOPIC_CHAIN_HEALTH,
	TOPIC_SIGNING,
	TOPIC_P2P_OUTBOUND,
	TOPIC_P2P_INBOUND,
	TOPIC_COORDINATOR_STATE,
	TOPIC_COORDINATOR_DLQ,
	TOPIC_COUNT
};

struct bus_opts {
	const struct app *app;		/* config, -X, -i/-o/-J */
	const char	*group;		/* consumer group; NULL: default */
	const enum bus_topic *topics;	/* to consume; NULL/0: no consumer */
	size_t		 ntopics;
	const char	*txn_id;	/* transactional.id; NULL: none */
	int		 produce;	/* we produce records */
	int		 from_start;	/* no committed offset: earliest (1) */
	int		 read_uncommitted; /* see aborted records (tests) */
};

struct bus_msg {
	const char	*topic;		/* topic name ("-" for stdio) */
	int32_t		 partition;
	int64_t		 offset;	/* -1 for stdio */
	const uint8_t	*key;
	size_t		 keylen;
	const uint8_t	*val;
	size_t		 len;
	int64_t		 ts_ms;
	const char	*error;		/* set: the transport could not decode
					   the record (val holds it raw) */
	void		*priv;		/* owned by the bus */
};

struct bus;

struct bus	*bus_open(const struct bus_opts *, char *, size_t);
/* -n: check the Kafka properties ([kafka], -X) without connecting. */
int		 bus_check(const struct app *, char *, size_t);
/* Flush (up to timeout), commit stored offsets, close. */
int		 bus_close(struct bus *, int);

const char	*bus_topic(const struct bus *, enum bus_topic);
int		 bus_topic_parse(const char *);	/* name in the config */
int		 bus_is_kafka_in(const struct bus *);
int		 bus_is_kafka_out(const struct bus *);
/* 1 once the consumer has partitions (or the input is not Kafka). */
int		 bus_assigned(struct bus *);

/*
 * Wait up to timeout ms for a record.  1: *m filled (release it with
 * bus_release), 0: nothing yet, -1: the input ended (stdio EOF) or a
 * fatal error (err says which; bus_eof() tells).
 */
int		 bus_poll(struct bus *, struct bus_msg *, int, char *, size_t);
int		 bus_eof(const struct bus *);
/* The stdio output was closed by the reader: a filter ends quietly. */
int		 bus_out_closed(const struct bus *);
void		 bus_release(struct bus *, struct bus_msg *);
/* The record was handled: store its offset (or, in a transaction, note
 * it for bus_txn_commit). */
int		 bus_done(struct bus *, const struct bus_msg *);

/* Store the next offset to consume for one partition of a consumed topic
 * (for consumers that finish records out of order and store the lowest
 * unfinished one themselves, instead of bus_done). */
int		 bus_store(struct bus *, const char *, int32_t, int64_t);
/* Commit the stored offsets now (they are also committed every
 * auto.commit.interval.ms and at close). */
int		 bus_commit(struct bus *, char *, size_t);

/*
 * Produce one record (asynchronously; key may be NULL).  Serves delivery
 * reports as it goes.  -1 when the local queue stays full or the
 * transport failed.
 */
int		 bus_send(struct bus *, const char *, const void *, size_t,
		    const void *, size_t, char *, size_t);
/* The same, outside any transaction (dead letters, heartbeats). */
int		 bus_send_direct(struct bus *, const char *, const void *,
		    size_t, const void *, size_t, char *, size_t);
/*
 * Tracked sends: fn(arg, token, NULL) once the record is durable (acks=all),
 * fn(arg, token, reason) if it failed.  Called from bus_serve/bus_send/
 * bus_poll (Kafka), or before bus_send_tracked returns (stdio).
 */
typedef void	 bus_delivery_fn(void *, void *, const char *);
void		 bus_on_delivery(struct bus *, bus_delivery_fn *, void *);
int		 bus_send_tracked(struct bus *, const char *, const void *,
		    size_t, const void *, size_t, void *, char *, size_t);
/* Wait until every record sent so far is acknowledged; -1 if any failed
 * (since the previous bus_sync) or the timeout passed. */
int		 bus_sync(struct bus *, int, char *, size_t);
/* Serve callbacks (delivery reports, errors) without blocking. */
void		 bus_serve(struct bus *);

/* Transactions (Kafka only; needs txn_id). */
int		 bus_txn_begin(struct bus *, char *, size_t);
int		 bus_txn_commit(struct bus *, char *, size_t);
/* Abort, and rewind the consumer to the last committed offsets so the
 * aborted input is consumed again. */
int		 bus_txn_abort(struct bus *, char *, size_t);

/*
 * Read a topic from its beginning to its end as of now (read_committed:
 * up to the last stable offsets), calling fn for each record, to rebuild
 * state from a log (the observer's cursor, the signer's decisions).  No
 * group offsets are used or committed.  fn returns nonzero to stop (an
 * error).  A topic that does not exist is empty.
 */
typedef int	 bus_replay_fn(void *, const struct bus_msg *);
int		 bus_replay(const struct app *, const char *, bus_replay_fn *,
		    void *, int, char *, size_t);

/*
 * A reader: a consumer outside any group, reading a topic's partitions
 * from given offsets, as bus_replay does (and the connector, to catch a
 * peer up from the log).  bus_reader_poll: 1 a record in *m (release it
 * with bus_release(NULL, m)); 2 the end of partition m->partition was
 * reached at m->offset; 0 nothing within the timeout; -1 an error.
 */
struct bus_reader;
struct bus_reader *bus_reader_open(const struct app *, const char *, char *,
		    size_t);
/* Read exactly these partitions, from these offsets (replaces the last). */
int		 bus_reader_assign(struct bus_reader *, const int32_t *,
		    const int64_t *, size_t, char *, size_t);
int		 bus_reader_poll(struct bus_reader *, struct bus_msg *, int,
		    char *, size_t);
/* The topic's partition ids (none if it does not exist); free(*ids). */
int		 bus_reader_partitions(struct bus_reader *, int32_t **,
		    size_t *, int, char *, size_t);
/* One partition's low and high watermarks (one query, up to timeout). */
int		 bus_reader_watermarks(struct bus_reader *, int32_t, int64_t *,
		    int64_t *, int, char *, size_t);
void		 bus_reader_close(struct bus_reader *);

/* Create the suite's topics if missing (dev setups); errors are logged. */
int		 bus_create_topics(struct bus *, int, char *, size_t);

/*
 * For poll(2) loops: an fd that becomes readable when the consumer (or
 * stdio input) may have a record; -1 if none.  Call bus_poll(..., 0)
 * then.  Call bus_serve() at least every 100 ms.
 */
int		 bus_fd(const struct bus *);

#endif

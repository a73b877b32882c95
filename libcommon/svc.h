/*
 * svc: a service on the bus.  Ties together what every binary needs to
 * speak signed envelopes: its key (key_dir/PROG.key), the trusted keys
 * ([trust]), intent deduplication, the bus, the dead-letter topic, its
 * heartbeat on chain-health and a Prometheus textfile.
 *
 *	svc_open -> loop { svc_recv / handle / svc_send / svc_done; svc_tick }
 *	-> svc_close
 *
 * svc_recv hands up only verified, first-seen envelopes: anything else is
 * sent to the dead-letter topic with the reason (or, a duplicate, counted
 * and skipped) and its offset stored, so a bad record never stops a
 * consumer.
 */
#ifndef SVC_H
#define SVC_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "app.h"
#include "bus.h"
#include "dedupe.h"
#include "envelope.h"
#include "metrics.h"
#include "stfile.h"

#define SVC_MAXGAUGE	32	/* gauges and counters of a binary */
/* What svc_close gives Kafka at most (flush, abort, commit): a stop
 * within a supervisor's grace of 5 s even with the broker away. */
#define SVC_STOP_MS	2500

struct svc {
	struct app		*app;
	char			 id[128];	/* "<name>.<prog>" */
	struct env_key		 key;
	struct env_trust	 trust;
	struct dedupe		*seen;
	struct bus		*bus;
	size_t			 max_size;
	int			 no_output;	/* stdio in, nothing out */
	uint64_t		 started_ms;
	uint64_t		 hb_interval_ms;
	uint64_t		 hb_next_ms;
	char			 metrics_path[METRICS_PATHMAX];
	/* run_dir/PROG.status: the binary rewrites it (stfile_begin/end);
	 * svc_close marks it stopped. */
	struct stfile		 status;

	/* What the heartbeat says; the binary keeps these current. */
	const char		*hb_network;
	uint64_t		 hb_scanned;
	uint64_t		 hb_tip;
	const char		*hb_status;

	uint64_t		 n_in, n_out, n_dup, n_dlq;
	/* Set: called for a record svc_recv handled itself (a dead letter,
	 * a duplicate) instead of storing its offset, for a caller that
	 * stores offsets itself (bus_store). */
	void			(*skipped)(struct svc *, const struct bus_msg *);
	void			*skipped_arg;
	/* Set: appends more metric families (labelled ones) to the file. */
	void			(*metrics_more)(struct svc *, FILE *);
	void			*metrics_arg;
	struct {
		const char	*name;
		const char	*help;
		double		 value;
		int		 counter;	/* else a gauge */
	}			 gauge[SVC_MAXGAUGE];
	size_t			 ngauge;
};

/* Key, trust, dedupe window, bus.  On error -1 with err; the caller
 * exits EX_PERM for config problems (svc_open says which in *perm). */
int	svc_open(struct svc *, struct app *, const struct bus_opts *, int *,
	    char *, size_t);
int	svc_close(struct svc *);

/* -n: check what svc_open would need, without connecting. */
int	svc_check(struct app *, char *, size_t);

/*
 * 1: *env is a verified, first-seen envelope from record *m (call
 * svc_done(m) once its effect is durable, then env_free and
 * bus_release); 0: nothing within the timeout; -1: input ended or a
 * fatal bus error (err).
 */
int	svc_recv(struct svc *, struct bus_msg *, Coord__Envelope **, int,
	    char *, size_t);
int	svc_done(struct svc *, struct bus_msg *, Coord__Envelope *);

/* Build, sign and produce one envelope. */
int	svc_send(struct svc *, enum bus_topic, uint32_t, const uint8_t *,
	    const char *, const ProtobufCMessage *, char *, size_t);
/* The same outside any transaction (status, dead letters). */
int	svc_send_direct(struct svc *, enum bus_topic, uint32_t,
	    const uint8_t *, const char *, const ProtobufCMessage *, char *,
	    size_t);
/* The same; bus_on_delivery's callback gets token once it is durable. */
int	svc_send_tracked(struct svc *, enum bus_topic, uint32_t,
	    const uint8_t *, const char *, const ProtobufCMessage *, void *,
	    char *, size_t);
/*
 * Produce an already sealed envelope (relays) with a record key (NULL for
 * none).  svc_send keys records "from>to", so each (sender, recipient)
 * pair stays on one partition, in order.
 */
int	svc_send_raw(struct svc *, enum bus_topic, const char *,
	    const uint8_t *, size_t, char *, size_t);

/* The record goes to coordinator-dlq, whole, with the reason. */
int	svc_dlq(struct svc *, const struct bus_msg *, const char *);

/* Heartbeat and metrics when due; call from the loop (cheap). */
void	svc_tick(struct svc *);

/*
 * Metrics, in Prometheus's text format, to metrics_dir/ID.prom (svc_tick
 * rewrites it; svc_close removes it).  Names are coord_PROG_..., in base
 * units (seconds, bytes); a counter's name ends in _total.  svc_gauge sets
 * a level, svc_counter a count that only grows; both keep the name and
 * help pointers (string literals), labelled service="ID".  Every file
 * starts with coord_build_info (metrics.h) and the common counters;
 * metrics_more appends labelled families (metrics_family).
 */
void	svc_gauge(struct svc *, const char *, const char *, double);
void	svc_counter(struct svc *, const char *, const char *, double);
int	svc_write_metrics(struct svc *);

#endif

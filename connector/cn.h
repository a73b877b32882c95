/*
 * cn: the connector binary's parts (the libp2p stack under them: host.h).
 *
 *   peer.c     the validators of [validator] sections (and of a reload),
 *              dialled with backoff; their connections coming and going;
 *              a peer that keeps sending what must be refused is cut off
 *   creq.c     ConnectRequest: validators added and dialled, answered by
 *              ConnectResult on p2p-inbound
 *   relay.c    p2p-outbound records queued per peer, sent, acknowledged
 *              or refused; what peers send, verified, produced to
 *              p2p-inbound and acknowledged once the producer confirmed it
 *   replay.c   p2p-outbound's partitions: the offset stored is the lowest
 *              a peer still needs; a peer whose queue overflowed reads its
 *              records back from the log
 *   status.c   the status file (and -s, which prints it), the metrics
 *   main.c     options, configuration, setup, the loop, shutdown
 */
#ifndef CN_H
#define CN_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "app.h"
#include "bus.h"
#include "dedupe.h"
#include "envelope.h"
#include "svc.h"
#include "proto/p2p.pb-c.h"
#include "connector/host.h"

#define MAXPEERS	256
#define MAXPART		64		/* p2p-outbound partitions tracked */

struct rec {				/* one consumed p2p-outbound record */
	struct bus_msg	 m;
	Coord__Envelope	*env;
	Coord__P2pSend	*ps;		/* P2pSend body, or NULL */
	int		 pending;	/* peers yet to acknowledge */
	TAILQ_ENTRY(rec) entry;
};

struct pmsg {				/* one envelope for one peer */
	struct rec	*rec;		/* NULL: read back from the log */
	uint8_t		 intent[ENV_INTENTLEN];
	const uint8_t	*data;
	size_t		 len;
	uint8_t		*own;		/* read back: the bytes, ours */
	int		 pi;		/* its record's partition (index) */
	int64_t		 off;		/* and offset */
	int		 sent;		/* on the current connection */
	TAILQ_ENTRY(pmsg) entry;
};

struct part {				/* a p2p-outbound partition */
	int32_t		 id;
	int64_t		 next;		/* after the last record consumed */
	int64_t		 stored;	/* the offset last stored */
};

struct peer {
	char		 name[64];
	struct peerid	 id;
	char		 idstr[PEERID_STRMAX];
	int		 has_addr;
	struct multiaddr addr;
	struct conn	*conn;		/* open */
	struct conn	*dconn;		/* our dial in progress */
	uint64_t	 next_dial;
	uint64_t	 backoff;
	TAILQ_HEAD(, pmsg) q;
	size_t		 qlen;
	uint64_t	 coord_resets;	/* conn->coord_resets seen */
	uint64_t	 n_sent, n_acked, n_recv, n_rejected;
	char		 last_error[256];
	int		 dynamic;	/* from a ConnectRequest */
	int		 mark;		/* reload bookkeeping */

	/*
	 * Behind: its queue was full when a record for it was consumed, so
	 * it is served from the log instead, from behind[pi] on, by its
	 * own reader, until that reaches what the consumer has consumed.
	 */
	int64_t		 behind[MAXPART];	/* -1: live in partition */
	int		 nbehind;
	struct bus_reader *reader;
	int		 reassign;	/* behind[] changed under the reader */
	uint64_t	 n_replayed;

	uint64_t	 abuse_since;	/* refused messages in the window */
	unsigned int	 abuse;
	uint64_t	 banned_until;
};

enum pack_state {
	PACK_WAIT,			/* its record is being produced */
	PACK_RIDE,			/* the same message is, from elsewhere */
	PACK_OK,			/* produced: acknowledge */
	PACK_FAIL,			/* not produced: hang up */
	PACK_DONE			/* answered */
};

struct pack {				/* an acknowledgement to send */
	struct peer	*peer;		/* NULL: the connection is gone */
	struct conn	*conn;
	uint32_t	 sid;
	uint8_t		 intent[ENV_INTENTLEN];
	enum pack_state	 state;
	TAILQ_ENTRY(pack) entry;
};

struct creq {				/* a ConnectRequest to answer */
	uint8_t		 intent[ENV_INTENTLEN];
	char		**names;
	size_t		 n;
	uint64_t	 deadline;
	TAILQ_ENTRY(creq) entry;
};

struct connector {
	struct app	 app;
	struct svc	 svc;
	struct host	 host;
	struct p2p_identity id;
	struct peer	*peer[MAXPEERS];
	size_t		 npeer;
	TAILQ_HEAD(, rec) recs;
	size_t		 nrecs;
	TAILQ_HEAD(, creq) creqs;
	TAILQ_HEAD(, pack) packs;	/* in arrival order */
	size_t		 npacks, nriders, nresolved;
	struct dedupe	*seen;		/* intents produced to p2p-inbound */
	size_t		 max_queue;
	uint64_t	 backoff_min, backoff_max, connect_timeout;
	uint64_t	 keepalive, keepalive_timeout;
	unsigned int	 abuse_limit;
	const char	*listen_at;	/* [connection] listen, "": none */
	struct multiaddr listen;	/* parsed */
	int		 kafka_in;	/* the log can be read back */
	const char	*otopic;	/* p2p-outbound's name */
	struct part	 part[MAXPART];
	size_t		 npart;
	uint64_t	 next_store;
	int		 eof;
	uint64_t	 next_status;
	int		 ready;		/* the broker assigned us partitions */
	uint64_t	 n_in, n_out, n_dup;
};

/* peer.c */
struct peer	*peer_by_id(struct connector *, const struct peerid *);
struct peer	*peer_by_name(struct connector *, const char *);
struct peer	*peer_add(struct connector *, const char *,
		    const struct peerid *);
int		 peers_load(struct connector *, int, char *, size_t);
void		 peers_reload(struct connector *);
void		 peers_dial(struct connector *, uint64_t);
void		 peers_free(struct connector *);
void		 peer_abuse(struct connector *, struct peer *, struct conn *,
		    const char *);
int		 peer_allow(void *, struct conn *, const struct peerid *);
void		 peer_ready(void *, struct conn *);
void		 peer_closed(void *, struct conn *);

/* creq.c */
void		 creq_add(struct connector *, struct rec *);
void		 creqs_answer(struct connector *, uint64_t);
void		 creqs_free(struct connector *);

/* relay.c */
void		 relay_outbound(struct connector *, struct bus_msg *,
		    Coord__Envelope *);
void		 relay_send(struct connector *);
void		 relay_acks(struct connector *);
void		 relay_delivered(void *, void *, const char *);
void		 relay_msg(void *, struct conn *, uint32_t, const uint8_t *,
		    const uint8_t *, size_t);
void		 relay_oversize(void *, struct conn *, uint32_t,
		    const uint8_t *, uint64_t);
void		 relay_ack(void *, struct conn *, const uint8_t *);
void		 relay_reject(void *, struct conn *, const uint8_t *, int);
void		 pmsg_free(struct connector *, struct pmsg *);
void		 recs_free(struct connector *);
void		 packs_free(struct connector *);

/* replay.c */
int		 part_index(struct connector *, int32_t);
void		 behind_clear(struct peer *);
void		 offsets_store(struct connector *, int);
void		 replay(struct connector *, struct peer *);
void		 replay_skipped(struct svc *, const struct bus_msg *);

/* status.c */
void		 status_write(struct connector *);
void		 status_metrics(struct svc *, FILE *);
void		 status_print(const struct connector *)
		    __attribute__((noreturn));

#endif

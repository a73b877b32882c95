/*
 * conn: one libp2p connection, as a state machine over the bytes of its
 * TCP stream.  It knows nothing of sockets: the owner feeds what it reads
 * to conn_input() and writes what accumulates in conn->out.
 *
 *   multistream-select /noise  ->  Noise XX (identities checked)  ->
 *   multistream-select /yamux/1.0.0 (encrypted)  ->  yamux, and on each
 *   stream multistream-select again: /serai/coordinator/1.0.0 or
 *   /ipfs/ping/1.0.0.  The muxer's multistream-select is skipped when
 *   both sides list /yamux/1.0.0 in their Noise payloads (early muxer
 *   negotiation), as go-libp2p and js-libp2p do.
 *
 * A peer whose PeerId the allow callback refuses is dropped right after its
 * Noise payload is verified, before any stream exists.
 */
#ifndef CONNECTOR_CONN_H
#define CONNECTOR_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "connector/buf.h"
#include "connector/coord.h"
#include "connector/mss.h"
#include "connector/noise.h"
#include "connector/peerid.h"
#include "connector/yamux.h"

#define CONN_OUT_HIGH		(1024 * 1024)	/* stop encrypting above */
/*
 * conn_send seals a message this long straight into out, without copying
 * it into the stream's queue, when nothing is queued before it, out is
 * below CONN_OUT_HIGH and the window allows: a sender that waits while
 * conn_queued() is not 0 saves that copy.
 */
#define CONN_SEND_DIRECT	(16 * 1024)
/*
 * Acknowledgements queued for a peer (unsent: it does not read them, its
 * window is shut) stop there: above this many bytes we stop reading its
 * messages until the queue is half as long, and yamux's window holds the
 * peer back.  About 30,000 acknowledgements.
 */
#define CONN_ACKQ_MAX		(1024 * 1024)
#define CONN_HS_TIMEOUT		10000		/* ms to finish handshakes */
#define CONN_KEEPALIVE		15000		/* ms between yamux pings */
#define CONN_KEEPALIVE_TIMEOUT	20000		/* ms a ping may take */
/*
 * A graceful close drains the streams' queues, half-closes every stream
 * and waits for the peer to close them too (it has read all that) before
 * the go-away, at most this long; the connection ends at the latest
 * CONN_CLOSE_LINGER after that.
 */
#define CONN_CLOSE_DRAIN	1500		/* ms */
#define CONN_CLOSE_LINGER	1000		/* ms */

struct p2p_identity {
	uint8_t		 sk[64];	/* libsodium Ed25519 secret key */
	uint8_t		 pk[32];
	struct peerid	 id;
	char		 idstr[PEERID_STRMAX];
};

void	p2p_identity_from_seed(const uint8_t[32], struct p2p_identity *);
/* A key file: 32 raw bytes, or 64 hex digits; mode 0600 or refused. */
int	p2p_identity_load(const char *, struct p2p_identity *, char *, size_t);

enum conn_state {
	CONN_MSS_SEC, CONN_NOISE, CONN_MSS_MUX, CONN_OPEN, CONN_CLOSING,
	CONN_DEAD
};

/* CONN_CLOSING's steps: streams draining, then the go-away sent. */
enum conn_close_phase { CLOSE_NONE, CLOSE_DRAIN, CLOSE_GONE };

struct conn;

struct conn_cb {
	/* After the peer proved its identity: nonzero accepts it. */
	int	(*allow)(void *, struct conn *, const struct peerid *);
	void	(*ready)(void *, struct conn *);
	void	(*msg)(void *, struct conn *, uint32_t, const uint8_t *,
		    const uint8_t *, size_t);
	void	(*oversize)(void *, struct conn *, uint32_t, const uint8_t *,
		    uint64_t);
	void	(*ack)(void *, struct conn *, const uint8_t *);
	void	(*reject)(void *, struct conn *, const uint8_t *, int);
	void	(*pong)(void *, struct conn *, uint32_t);
};

struct sapp;

struct conn {
	int		 initiator;
	enum conn_state	 state;
	const struct p2p_identity *id;
	const struct conn_cb *cb;
	void		*cbarg;
	void		*udata;		/* the owner's */
	char		 name[PEERID_STRMAX + 64];

	struct buf	 in;		/* from the network */
	struct buf	 out;		/* to the network */
	struct mss	 mss;
	struct noise_hs	 hs;
	struct noise_cipher tx, rx;
	struct buf	 pin;		/* decrypted, not yet taken */
	struct yamux	 mux;
	int		 mux_up;

	int		 early_mux;	/* muxer agreed in the Noise handshake */
	int		 mss_rounds;	/* multistream-select for the connection */
	int		 has_expect;
	struct peerid	 expect;
	int		 authenticated;
	int		 announced;	/* the owner was told it is ready */
	struct peerid	 remote;
	char		 remote_str[PEERID_STRMAX];

	size_t		 max_msg;
	int		 paused;	/* do not take coordinator frames */
	int		 ackq_full;	/* nor while the acks queued are */
	size_t		 ackq_max;	/* bytes; CONN_ACKQ_MAX by default */
	size_t		 ackq_hiwat;	/* the most queued (a debug counter) */
	uint64_t	 ackq_pauses;	/* times it was full */
	struct sapp	*coord_out;	/* our stream for sending */
	/*
	 * Times coord_out was reset: what was sent on it and not yet
	 * acknowledged must go again (the next conn_send opens a new one).
	 */
	uint64_t	 coord_resets;
	uint64_t	 started;
	uint64_t	 last_keepalive;
	uint64_t	 closing_since;
	enum conn_close_phase close_phase;
	uint32_t	 rtt_ms;	/* yamux keepalive round trip */
	uint64_t	 hs_timeout;	/* ms; CONN_HS_TIMEOUT by default */
	uint64_t	 keepalive;	/* ms; CONN_KEEPALIVE */
	uint64_t	 keepalive_timeout; /* ms; CONN_KEEPALIVE_TIMEOUT */
	char		 reason[256];	/* why it ended */

	uint64_t	 msgs_in, msgs_out, acks_in, acks_out;
	uint64_t	 bytes_in, bytes_out;
};

struct conn *conn_new(int, const struct p2p_identity *, const struct conn_cb *,
	    void *, const char *);
void	conn_free(struct conn *);
void	conn_expect(struct conn *, const struct peerid *);
void	conn_set_max(struct conn *, size_t);
/* Initiator: queue the first multistream-select bytes. */
void	conn_start(struct conn *);
/* Bytes from the network; -1 once the connection is dead (reason set). */
int	conn_input(struct conn *, const uint8_t *, size_t);
/*
 * The same without a copy: read into the room conn_input_space gives (n
 * bytes, valid until the next call), then conn_input_commit what came.
 */
uint8_t	*conn_input_space(struct conn *, size_t);
int	conn_input_commit(struct conn *, size_t);
/* The network said end of stream. */
void	conn_eof(struct conn *);
void	conn_tick(struct conn *, uint64_t);
/* Move pending stream data into out as Noise frames (up to the mark). */
void	conn_pump(struct conn *);
/*
 * Go away gracefully: drain what is queued on the streams, half-close
 * them, let the peer read that (it closes them too), then the yamux
 * go-away; closed when that is flushed (see CONN_CLOSE_DRAIN).
 */
void	conn_close(struct conn *, const char *);
void	conn_fail(struct conn *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/* Coordinator messages: -1 when not open or over the queue limit. */
int	conn_send(struct conn *, const uint8_t *, const uint8_t *, size_t);
int	conn_ack(struct conn *, uint32_t, const uint8_t *);
int	conn_reject(struct conn *, uint32_t, const uint8_t *, int);
size_t	conn_queued(const struct conn *);
/* Bytes of acknowledgements (and refusals) queued, not yet sent. */
size_t	conn_ackq(const struct conn *);
/* Re-read frames left waiting while paused. */
void	conn_resume(struct conn *);
/* /ipfs/ping/1.0.0: RTT comes back through the pong callback. */
int	conn_ping(struct conn *);
int	conn_writable(const struct conn *);
/* CONN_CLOSING, and everything up to the go-away written: end it. */
int	conn_closed(const struct conn *);
/*
 * The TCP connection was reset: at a frame boundary (as go-libp2p ends
 * every connection: SO_LINGER 0) or after a go-away it is an orderly
 * close; otherwise a failure.
 */
void	conn_reset(struct conn *);

#endif

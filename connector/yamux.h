/*
 * yamux: the yamux stream multiplexer (/yamux/1.0.0), as a pure state
 * machine over a byte stream.
 *
 * Frames are a 12-byte header (version 0, type, flags, stream id, length)
 * and, for data frames, the payload.  Stream ids are odd for the side that
 * dialled the connection, even for the other; 0 is the session.  Each
 * stream starts with a 256 KiB window each way: the sender may not send
 * more than the receiver granted, and the receiver grants more (a window
 * update) as the application consumes.  Pings measure the round trip and
 * keep the connection alive; go-away ends the session.
 *
 * yamux_input() takes bytes from the peer and calls back; everything to
 * send is appended to mux->out.  Streams hold their received bytes in rx
 * until the application takes them (yamux_consumed), which is what drives
 * the window: a slow consumer stalls only its own stream's sender.  We
 * grant each stream 2 MiB (the SYN or ACK frame carries the increase over
 * the 256 KiB of the spec), so a fast link is not held back by the round
 * trip.  A stream whose consumer keeps up (nothing left in rx when it
 * grants more) has its window doubled with the update, up to 16 MiB, as
 * js-libp2p's and go-libp2p's yamux do, within a growth budget per
 * session: what one session can make us buffer stays bounded.
 */
#ifndef CONNECTOR_YAMUX_H
#define CONNECTOR_YAMUX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "connector/buf.h"

#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = TAILQ_FIRST(head);					\
	    (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);	\
	    (var) = (tvar))
#endif

#define YAMUX_HDRLEN		12
#define YAMUX_WINDOW		(256 * 1024)	/* initial, by the spec */
#define YAMUX_RECV_WINDOW	(2 * 1024 * 1024)	/* what we grant */
#define YAMUX_RECV_WINDOW_MAX	(16 * 1024 * 1024)	/* grown to, at most */
#define YAMUX_GROWTH_MAX	(32 * 1024 * 1024)	/* summed growth */
#define YAMUX_FRAMEMAX		(65519 - YAMUX_HDRLEN)	/* one Noise frame */
#define YAMUX_MAXSTREAMS	256

enum yamux_type {
	YAMUX_DATA = 0, YAMUX_WINUPDATE = 1, YAMUX_PING = 2, YAMUX_GOAWAY = 3
};
#define YAMUX_SYN	0x1
#define YAMUX_ACK	0x2
#define YAMUX_FIN	0x4
#define YAMUX_RST	0x8

enum yamux_goaway_code {
	YAMUX_GO_NORMAL = 0, YAMUX_GO_PROTO = 1, YAMUX_GO_INTERNAL = 2
};

/* Stream flags. */
#define YS_INBOUND	0x01	/* opened by the peer */
#define YS_ACKED	0x02	/* peer acknowledged our SYN */
#define YS_LFIN		0x04	/* we sent FIN */
#define YS_RFIN		0x08	/* peer sent FIN */
#define YS_RESET	0x10	/* reset either way */
#define YS_FINQ		0x20	/* FIN to send once tx drains */
#define YS_DEAD		0x40	/* closed: to be freed */

struct yamux_stream {
	uint32_t	 id;
	int		 flags;
	uint64_t	 send_window;	/* bytes we may still send */
	uint32_t	 recv_window;	/* bytes the peer may still send */
	uint32_t	 recv_credit;	/* consumed, not yet granted back */
	uint32_t	 recv_max;	/* the window we keep granting */
	struct buf	 rx;		/* received, not consumed */
	struct bufq	 tx;		/* waiting for window */
	void		*app;		/* the layer above */
	TAILQ_ENTRY(yamux_stream) entry;
};

struct yamux_cb {
	/* The peer opened a stream. */
	void	(*stream_open)(void *, struct yamux_stream *);
	/* New bytes in rx, or the peer half-closed (YS_RFIN). */
	void	(*stream_data)(void *, struct yamux_stream *);
	/* The stream is finished (both FINs, or a reset); freed after. */
	void	(*stream_closed)(void *, struct yamux_stream *);
	void	(*pong)(void *, uint32_t);
	void	(*goaway)(void *, uint32_t);
	/*
	 * Optional: new bytes for a stream whose rx is empty, offered before
	 * they are copied there; returns how many the application took (and
	 * passed to yamux_consumed) on the spot.  The rest goes to rx, and
	 * stream_data follows.
	 */
	size_t	(*stream_take)(void *, struct yamux_stream *, const uint8_t *,
		    size_t);
};

/* One data frame ready to go: header, then len bytes at data. */
struct yamux_frame {
	struct yamux_stream *st;
	uint8_t		 hdr[YAMUX_HDRLEN];
	const uint8_t	*data;		/* in st->tx, valid until yamux_done */
	size_t		 len;
};

struct yamux {
	int		 client;
	uint32_t	 next_id;
	TAILQ_HEAD(, yamux_stream) streams;
	size_t		 nstreams;
	struct buf	 out;
	/* input parser */
	uint8_t		 hdr[YAMUX_HDRLEN];
	size_t		 hdrlen;
	uint32_t	 data_left;
	struct yamux_stream *data_st;
	int		 data_flags;
	/* ping */
	uint32_t	 ping_id;
	int		 ping_out;
	uint64_t	 ping_sent;
	uint32_t	 rtt_ms;
	int		 local_goaway;
	int		 remote_goaway;
	int		 draining;	/* going away: no new streams */
	uint64_t	 frames_in;
	uint64_t	 frames_out;	/* data frames */
	uint64_t	 window_stalls;	/* data waiting, window 0 */
	size_t		 growth;	/* recv_max beyond the first, summed */
	const struct yamux_cb *cb;
	void		*cbarg;
};

void	yamux_init(struct yamux *, int, const struct yamux_cb *, void *);
void	yamux_free(struct yamux *);
/* -1 on a protocol error: err set, a go-away queued, the session is over. */
int	yamux_input(struct yamux *, const uint8_t *, size_t, char *, size_t);
struct yamux_stream *yamux_open(struct yamux *);
void	yamux_write(struct yamux *, struct yamux_stream *, const void *,
	    size_t);
/* The application took n bytes from st->rx (it consumes them itself). */
void	yamux_consumed(struct yamux *, struct yamux_stream *, size_t);
void	yamux_close(struct yamux *, struct yamux_stream *);
void	yamux_reset(struct yamux *, struct yamux_stream *);
int	yamux_ping(struct yamux *, uint64_t);
void	yamux_goaway(struct yamux *, uint32_t);
/*
 * The start of a graceful go-away: no stream opens any more either way,
 * and every stream is half-closed once its queue has gone out.
 */
void	yamux_drain(struct yamux *);
/* Move queued stream data to out, at most about budget bytes. */
void	yamux_flush(struct yamux *, size_t);
/*
 * The next data frame, at most budget payload bytes, the streams taking
 * turns; control frames (a FIN with no data) go to out meanwhile.  1: a
 * frame in *f, to be written out and then passed to yamux_done; 0: none.
 */
int	yamux_next(struct yamux *, size_t, struct yamux_frame *);
void	yamux_done(struct yamux *, struct yamux_frame *);
/*
 * n bytes to go out on st at once, past tx: 1 (the window taken) when
 * nothing waits in tx before them and the window allows them all; the
 * caller then writes them as data frames, each headed by yamux_data_hdr.
 */
int	yamux_direct(struct yamux *, struct yamux_stream *, size_t);
void	yamux_data_hdr(struct yamux *, struct yamux_stream *, size_t,
	    uint8_t[YAMUX_HDRLEN]);
/* Free streams marked dead; call outside callbacks. */
void	yamux_reap(struct yamux *);
struct yamux_stream *yamux_find(struct yamux *, uint32_t);
size_t	yamux_pending(const struct yamux *);


#endif

/*
 * coord: frames of our application protocol, /serai/coordinator/1.0.0.
 *
 * On a yamux stream negotiated for that protocol, each side writes frames:
 *
 *	uvarint length || kind (1 byte) || intent (32 bytes) || rest
 *
 *	kind 1 MSG	rest is one Envelope (opaque here), at most max bytes
 *	kind 2 ACK	no rest: "I have durably produced the message with
 *			this intent" (or had it already)
 *	kind 3 REJECT	rest is one reason byte: "I will never accept it"
 *			(1 too large, 2 invalid); the sender drops it
 *
 * A MSG is answered on the stream it arrived on.  The intent is carried
 * beside the envelope so this layer needs no protobuf; the receiver checks
 * it against the envelope's own when it verifies it.  An oversize MSG is
 * read past (its intent is reported so it can be rejected), not fatal.
 */
#ifndef CONNECTOR_COORD_H
#define CONNECTOR_COORD_H

#include <stddef.h>
#include <stdint.h>

#include "connector/buf.h"

#define COORD_PROTO	"/serai/coordinator/1.0.0"
#define PING_PROTO	"/ipfs/ping/1.0.0"
#define PING_LEN	32
#define COORD_INTENT	32
#define COORD_HDR	(1 + COORD_INTENT)

enum coord_kind { COORD_MSG = 1, COORD_ACK = 2, COORD_REJECT = 3 };
enum coord_reason { COORD_R_TOOBIG = 1, COORD_R_INVALID = 2 };

struct coord_frame {
	int		 kind;
	uint8_t		 intent[COORD_INTENT];
	const uint8_t	*data;		/* MSG: the envelope */
	size_t		 len;
	int		 reason;	/* REJECT */
	int		 oversize;	/* MSG too large: data is NULL */
	uint64_t	 fulllen;	/* its length on the wire */
};

struct coord_rx {
	size_t		 max;
	int		 state;
	uint8_t		 lenbuf[10];
	size_t		 lenlen;
	uint64_t	 flen;		/* length of the frame being read */
	size_t		 target;	/* bytes of it to keep */
	uint64_t	 skip;		/* bytes to discard after */
	struct buf	 body;
};

void	coord_rx_init(struct coord_rx *, size_t);
void	coord_rx_free(struct coord_rx *);
/*
 * Read from p[0..n): *used bytes taken.  1: a frame in *f (valid until the
 * next call); 0: all input taken, no frame yet; -1: malformed (err set).
 */
int	coord_rx_next(struct coord_rx *, const uint8_t *, size_t, size_t *,
	    struct coord_frame *, char *, size_t);

void	coord_put_msg(struct buf *, const uint8_t *, const uint8_t *, size_t);
void	coord_put_ack(struct buf *, const uint8_t *);
void	coord_put_reject(struct buf *, const uint8_t *, int);

#endif

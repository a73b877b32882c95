/*
 * mss: multistream-select 1.0, as a pure state machine.
 *
 * Every message is a uvarint length, then that many bytes ending in "\n".
 * Both sides send "/multistream/1.0.0"; the dialer proposes protocols one at
 * a time, the listener echoes the one it accepts or answers "na".  "ls" is
 * refused with "na".
 *
 * mss_input() consumes only whole messages from the input buffer and stops
 * at the end of the negotiation, so bytes of the next protocol that arrived
 * in the same read stay in the buffer for it.
 */
#ifndef CONNECTOR_MSS_H
#define CONNECTOR_MSS_H

#include <stddef.h>

#include "connector/buf.h"

#define MSS_PROTOCOL	"/multistream/1.0.0"
#define MSS_MSGMAX	1024	/* longest message, newline included */
#define MSS_MAXNA	32	/* refusals a listener gives before giving up */

enum mss_result {
	MSS_ERR = -1,		/* protocol violation: err says what */
	MSS_MORE = 0,		/* need more input */
	MSS_DONE = 1,		/* agreed: see mss.selected */
	MSS_NOPROTO = 2		/* dialer: every proposal refused */
};

struct mss {
	int		 dialer;
	const char *const *protos;	/* proposals, or protocols we speak */
	size_t		 nprotos;
	size_t		 next;		/* dialer: proposal awaiting answer */
	int		 got_header;
	int		 sent_header;
	int		 done;
	int		 nna;
	char		 selected[MSS_MSGMAX];
};

void	mss_init(struct mss *, int, const char *const *, size_t);
/* Dialer: queue the header and first proposal. Listener: nothing to do. */
void	mss_start(struct mss *, struct buf *);
enum mss_result mss_input(struct mss *, struct buf *, struct buf *, char *,
	    size_t);
/* Append one message (text without the newline) to out. */
void	mss_write(struct buf *, const char *);

#endif

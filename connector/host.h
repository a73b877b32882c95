/*
 * host: the socket side of the libp2p stack.  It listens, dials, accepts,
 * moves bytes between non-blocking TCP sockets and conn state machines,
 * and keeps one connection per peer (two connections to the same peer, as
 * after simultaneous dials, are resolved by keeping the one dialled by the
 * peer whose PeerId sorts first, which both sides compute alike).
 *
 * No threads: the owner's poll(2) loop asks host_pollfds() which fds to
 * watch, adds its own (signals, the bus), and hands the results back to
 * host_events(); host_tick() runs timers and writes.
 */
#ifndef CONNECTOR_HOST_H
#define CONNECTOR_HOST_H

#include <poll.h>
#include <stddef.h>
#include <sys/queue.h>

#include "connector/conn.h"
#include "connector/multiaddr.h"

#define HOST_MAXCONNS		256
#define HOST_MAXHANDSHAKES	32	/* unauthenticated inbound at once */

struct host;
struct hresolve;

struct hconn {
	struct host	*h;
	struct conn	*c;
	int		 fd;
	int		 connecting;	/* TCP connect in progress */
	int		 pidx;		/* index in the last pollfd set */
	struct hresolve	*rs;		/* name being resolved (fd -1) */
	char		 addr[96];
	TAILQ_ENTRY(hconn) entry;
};

struct host {
	const struct p2p_identity *id;
	int		 lfd;
	uint16_t	 listen_port;
	TAILQ_HEAD(, hconn) conns;
	size_t		 nconns;
	struct peerid	*allowed;
	size_t		 nallowed;
	size_t		 max_msg;
	size_t		 ackq_max;	/* bytes; 0: CONN_ACKQ_MAX */
	uint64_t	 hs_timeout;	/* ms; 0: the conn default */
	uint64_t	 keepalive;
	uint64_t	 keepalive_timeout;
	struct conn_cb	 cb;		/* what conns call: ours + owner's */
	const struct conn_cb *owner;
	void		(*closed)(void *, struct conn *);
	void		*arg;
	int		 lidx;
	struct hresolve	*orphans[16];	/* cancelled, still resolving */
	size_t		 norphans;
};

/* closed() is called for every connection that ends, announced or not. */
void	host_init(struct host *, const struct p2p_identity *,
	    const struct conn_cb *, void (*)(void *, struct conn *), void *);
void	host_free(struct host *);
void	host_allow(struct host *, const struct peerid *);
void	host_allow_clear(struct host *);
int	host_allowed(const struct host *, const struct peerid *);
int	host_listen(struct host *, const struct multiaddr *, char *, size_t);
struct conn *host_dial(struct host *, const struct multiaddr *, char *,
	    size_t);
/* The connection to a peer that is open and announced, if any. */
struct conn *host_conn(struct host *, const struct peerid *);
size_t	host_pollfds(struct host *, struct pollfd *, size_t);
void	host_events(struct host *, const struct pollfd *, size_t);
void	host_tick(struct host *);
/* Go away on every connection. */
void	host_shutdown(struct host *);
size_t	host_nconns(const struct host *);

#endif

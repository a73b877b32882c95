/*
 * host: sockets, poll(2) plumbing and connection bookkeeping (see host.h).
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "connector/host.h"

/* A name being resolved by getaddrinfo_a(3), so a slow DNS server never
 * stalls the loop: every field must live until the lookup ends. */
struct hresolve {
	struct gaicb	 cb;
	struct addrinfo	 hints;
	char		 name[MA_HOSTMAX + 1];
	char		 port[8];
};

#define READ_CHUNK	(256 * 1024)
#define READS_PER_EVENT	4

static int	host_allow_cb(void *, struct conn *, const struct peerid *);
static void	host_ready_cb(void *, struct conn *);
static struct hconn *hconn_new(struct host *, int, int, const char *);
static void	hconn_read(struct hconn *);
static void	hconn_write(struct hconn *);
static void	hconn_connected(struct hconn *);
static void	sock_setup(int);
static void	addr_str(const struct sockaddr *, char *, size_t);
static int	hconn_connect(struct hconn *, const struct addrinfo *, char *,
		    size_t);
static void	resolve_end(struct host *, struct hresolve *);
static void	resolve_check(struct hconn *);
static const struct peerid *initiator_of(const struct host *,
		    const struct conn *);

void
host_init(struct host *h, const struct p2p_identity *id,
    const struct conn_cb *owner, void (*closed)(void *, struct conn *),
    void *arg)
{
	memset(h, 0, sizeof(*h));
	h->id = id;
	h->lfd = -1;
	TAILQ_INIT(&h->conns);
	h->owner = owner;
	h->closed = closed;
	h->arg = arg;
	h->cb = *owner;
	h->cb.allow = host_allow_cb;
	h->cb.ready = host_ready_cb;
	h->max_msg = 1024 * 1024;
}

void
host_free(struct host *h)
{
	struct hconn *hc;

	while ((hc = TAILQ_FIRST(&h->conns)) != NULL) {
		TAILQ_REMOVE(&h->conns, hc, entry);
		if (h->closed != NULL)
			h->closed(h->arg, hc->c);
		if (hc->fd != -1)
			close(hc->fd);
		if (hc->rs != NULL)
			resolve_end(h, hc->rs);
		conn_free(hc->c);
		free(hc);
	}
	if (h->lfd != -1)
		close(h->lfd);
	/* Lookups still running: give them a moment, then free them. */
	while (h->norphans > 0) {
		struct timespec ts = { 1, 0 };
		const struct gaicb *l[1] = { &h->orphans[h->norphans - 1]->cb };

		if (gai_error(&h->orphans[h->norphans - 1]->cb) ==
		    EAI_INPROGRESS && (gai_suspend(l, 1, &ts) != 0 ||
		    gai_error(&h->orphans[h->norphans - 1]->cb) ==
		    EAI_INPROGRESS)) {
			h->norphans--;		/* leaked: exiting anyway */
			continue;
		}
		if (h->orphans[h->norphans - 1]->cb.ar_result != NULL)
			freeaddrinfo(h->orphans[h->norphans - 1]->cb.ar_result);
		free(h->orphans[--h->norphans]);
	}
	free(h->allowed);
	h->allowed = NULL;
	h->nallowed = 0;
}

void
host_allow(struct host *h, const struct peerid *p)
{
	struct peerid *np;

	if (host_allowed(h, p))
		return;
	np = reallocarray(h->allowed, h->nallowed + 1, sizeof(*np));
	if (np == NULL)
		fatal(EX_TEMP, "host: reallocarray");
	h->allowed = np;
	h->allowed[h->nallowed++] = *p;
}

void
host_allow_clear(struct host *h)
{
	free(h->allowed);
	h->allowed = NULL;
	h->nallowed = 0;
}

int
host_allowed(const struct host *h, const struct peerid *p)
{
	size_t	 i;

	for (i = 0; i < h->nallowed; i++)
		if (peerid_eq(&h->allowed[i], p))
			return 1;
	return 0;
}

static int
host_allow_cb(void *arg, struct conn *c, const struct peerid *p)
{
	struct hconn *hc = c->udata;

	(void)arg;
	if (peerid_eq(p, &hc->h->id->id)) {
		log_warnx("%s: that is ourselves", c->name);
		return 0;
	}
	if (!host_allowed(hc->h, p))
		return 0;
	if (hc->h->owner->allow != NULL)
		return hc->h->owner->allow(hc->h->arg, c, p);
	return 1;
}

static const struct peerid *
initiator_of(const struct host *h, const struct conn *c)
{
	return c->initiator ? &h->id->id : &c->remote;
}

static void
host_ready_cb(void *arg, struct conn *c)
{
	struct hconn *hc = c->udata, *o;
	struct host *h = hc->h;

	(void)arg;
	TAILQ_FOREACH(o, &h->conns, entry) {
		if (o == hc || !o->c->announced || o->c->state != CONN_OPEN ||
		    !peerid_eq(&o->c->remote, &c->remote))
			continue;
		/* Keep the connection dialled by the lower PeerId. */
		if (peerid_cmp(initiator_of(h, c), initiator_of(h, o->c)) < 0) {
			conn_close(o->c, "duplicate connection (keeping the "
			    "newer one)");
			break;
		}
		conn_close(c, "duplicate connection (keeping the older one)");
		return;
	}
	hc->c->announced = 1;
	if (h->owner->ready != NULL)
		h->owner->ready(h->arg, c);
}

static void
sock_setup(int fd)
{
	int	 one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void
addr_str(const struct sockaddr *sa, char *out, size_t outlen)
{
	char	 ip[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(out, outlen, "%s:%u", ip, ntohs(s4->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 =
		    (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(out, outlen, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else
		snprintf(out, outlen, "?");
}

static struct hconn *
hconn_new(struct host *h, int fd, int initiator, const char *addr)
{
	struct hconn *hc;
	char	 name[160];

	if ((hc = calloc(1, sizeof(*hc))) == NULL)
		fatal(EX_TEMP, "host: calloc");
	hc->h = h;
	hc->fd = fd;
	hc->pidx = -1;
	snprintf(hc->addr, sizeof(hc->addr), "%s", addr);
	snprintf(name, sizeof(name), "%s %s", initiator ? "to" : "from", addr);
	hc->c = conn_new(initiator, h->id, &h->cb, h->arg, name);
	hc->c->udata = hc;
	conn_set_max(hc->c, h->max_msg);
	if (h->ackq_max > 0)
		hc->c->ackq_max = h->ackq_max;
	if (h->hs_timeout > 0)
		hc->c->hs_timeout = h->hs_timeout;
	if (h->keepalive > 0)
		hc->c->keepalive = h->keepalive;
	if (h->keepalive_timeout > 0)
		hc->c->keepalive_timeout = h->keepalive_timeout;
	TAILQ_INSERT_TAIL(&h->conns, hc, entry);
	h->nconns++;
	return hc;
}

int
host_listen(struct host *h, const struct multiaddr *ma, char *err,
    size_t errlen)
{
	struct addrinfo hints, *res;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char	 port[8];
	int	 fd, one = 1, r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	hints.ai_family = ma->kind == MA_IP4 || ma->kind == MA_DNS4 ? AF_INET :
	    ma->kind == MA_IP6 || ma->kind == MA_DNS6 ? AF_INET6 : AF_UNSPEC;
	if (ma->kind == MA_IP4 || ma->kind == MA_IP6)
		hints.ai_flags |= AI_NUMERICHOST;
	snprintf(port, sizeof(port), "%u", ma->port);
	if ((r = getaddrinfo(ma->host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "listen %s: %s", ma->host,
		    gai_strerror(r));
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		freeaddrinfo(res);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) == -1 ||
	    listen(fd, 64) == -1) {
		snprintf(err, errlen, "listen on %s port %u: %s", ma->host,
		    ma->port, strerror(errno));
		close(fd);
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		h->listen_port = ntohs(ss.ss_family == AF_INET ?
		    ((struct sockaddr_in *)&ss)->sin_port :
		    ((struct sockaddr_in6 *)&ss)->sin6_port);
	h->lfd = fd;
	return 0;
}

struct conn *
host_dial(struct host *h, const struct multiaddr *ma, char *err,
    size_t errlen)
{
	struct addrinfo hints, *res;
	struct gaicb *list[1];
	struct hresolve *rs;
	struct hconn *hc;
	char	 port[8];
	int	 r;

	if (h->nconns >= HOST_MAXCONNS) {
		snprintf(err, errlen, "too many connections");
		return NULL;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_family = ma->kind == MA_IP4 || ma->kind == MA_DNS4 ? AF_INET :
	    ma->kind == MA_IP6 || ma->kind == MA_DNS6 ? AF_INET6 : AF_UNSPEC;
	snprintf(port, sizeof(port), "%u", ma->port);
	if (ma->kind == MA_IP4 || ma->kind == MA_IP6) {
		hints.ai_flags |= AI_NUMERICHOST;
		if ((r = getaddrinfo(ma->host, port, &hints, &res)) != 0) {
			snprintf(err, errlen, "address %s: %s", ma->host,
			    gai_strerror(r));
			return NULL;
		}
		hc = hconn_new(h, -1, 1, ma->host);
		r = hconn_connect(hc, res, err, errlen);
		freeaddrinfo(res);
		if (r == -1) {
			/* not announced: the caller hears of it from err */
			TAILQ_REMOVE(&h->conns, hc, entry);
			h->nconns--;
			conn_free(hc->c);
			free(hc);
			return NULL;
		}
	} else {
		/* A name: resolved in the background, dialled when known. */
		if ((rs = calloc(1, sizeof(*rs))) == NULL) {
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
		rs->hints = hints;
		snprintf(rs->name, sizeof(rs->name), "%s", ma->host);
		snprintf(rs->port, sizeof(rs->port), "%s", port);
		rs->cb.ar_name = rs->name;
		rs->cb.ar_service = rs->port;
		rs->cb.ar_request = &rs->hints;
		list[0] = &rs->cb;
		if ((r = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL)) != 0) {
			snprintf(err, errlen, "resolve %s: %s", ma->host,
			    gai_strerror(r));
			free(rs);
			return NULL;
		}
		hc = hconn_new(h, -1, 1, ma->host);
		hc->rs = rs;
		hc->connecting = 1;
	}
	if (ma->has_peer)
		conn_expect(hc->c, &ma->peer);
	return hc->c;
}

/* Start the TCP connection to the first address. */
static int
hconn_connect(struct hconn *hc, const struct addrinfo *res, char *err,
    size_t errlen)
{
	int	 fd;

	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	sock_setup(fd);
	addr_str(res->ai_addr, hc->addr, sizeof(hc->addr));
	snprintf(hc->c->name, sizeof(hc->c->name), "to %s", hc->addr);
	hc->connecting = 1;
	if (connect(fd, res->ai_addr, res->ai_addrlen) == -1 &&
	    errno != EINPROGRESS) {
		snprintf(err, errlen, "connect %s: %s", hc->addr,
		    strerror(errno));
		close(fd);
		return -1;
	}
	hc->fd = fd;
	return 0;
}

/* Done with a lookup; one still running is left to finish on its own. */
static void
resolve_end(struct host *h, struct hresolve *rs)
{
	int	 r;

	if ((r = gai_cancel(&rs->cb)) == EAI_NOTCANCELED) {
		if (h->norphans < sizeof(h->orphans) / sizeof(h->orphans[0])) {
			h->orphans[h->norphans++] = rs;
			return;
		}
		/* too many stuck lookups: leak this one rather than free
		 * memory the resolver thread still writes */
		log_warnx("resolve %s: still running; abandoned", rs->name);
		return;
	}
	if (rs->cb.ar_result != NULL)
		freeaddrinfo(rs->cb.ar_result);
	free(rs);
}

static void
resolve_check(struct hconn *hc)
{
	struct hresolve *rs = hc->rs;
	char	 err[256];
	int	 r;

	if ((r = gai_error(&rs->cb)) == EAI_INPROGRESS)
		return;
	hc->rs = NULL;
	if (r != 0)
		conn_fail(hc->c, "resolve %s: %s", rs->name, gai_strerror(r));
	else if (hconn_connect(hc, rs->cb.ar_result, err, sizeof(err)) == -1)
		conn_fail(hc->c, "%s", err);
	if (rs->cb.ar_result != NULL)
		freeaddrinfo(rs->cb.ar_result);
	free(rs);
}

static void
hconn_connected(struct hconn *hc)
{
	int	 e = 0;
	socklen_t l = sizeof(e);

	if (getsockopt(hc->fd, SOL_SOCKET, SO_ERROR, &e, &l) == -1)
		e = errno;
	hc->connecting = 0;
	if (e != 0) {
		conn_fail(hc->c, "connect: %s", strerror(e));
		return;
	}
	log_debug("%s: TCP connected", hc->c->name);
	conn_start(hc->c);
}

struct conn *
host_conn(struct host *h, const struct peerid *p)
{
	struct hconn *hc;

	TAILQ_FOREACH(hc, &h->conns, entry)
		if (hc->c->announced && hc->c->state == CONN_OPEN &&
		    peerid_eq(&hc->c->remote, p))
			return hc->c;
	return NULL;
}

size_t
host_nconns(const struct host *h)
{
	return h->nconns;
}

size_t
host_pollfds(struct host *h, struct pollfd *pfd, size_t max)
{
	struct hconn *hc;
	size_t	 n = 0;

	h->lidx = -1;
	if (h->lfd != -1 && n < max) {
		pfd[n].fd = h->lfd;
		pfd[n].events = POLLIN;
		pfd[n].revents = 0;
		h->lidx = (int)n++;
	}
	TAILQ_FOREACH(hc, &h->conns, entry) {
		hc->pidx = -1;
		if (n == max || hc->c->state == CONN_DEAD || hc->fd == -1)
			continue;
		pfd[n].fd = hc->fd;
		pfd[n].events = 0;
		pfd[n].revents = 0;
		if (hc->connecting)
			pfd[n].events = POLLOUT;
		else {
			pfd[n].events = POLLIN;
			if (buf_len(&hc->c->out) > 0)
				pfd[n].events |= POLLOUT;
		}
		hc->pidx = (int)n++;
	}
	return n;
}

static void
host_accept(struct host *h)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct hconn *hc;
	char	 addr[96];
	size_t	 pending;
	int	 fd;

	for (;;) {
		sl = sizeof(ss);
		fd = accept4(h->lfd, (struct sockaddr *)&ss, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_warn("accept");
			return;
		}
		addr_str((struct sockaddr *)&ss, addr, sizeof(addr));
		pending = 0;
		TAILQ_FOREACH(hc, &h->conns, entry)
			if (!hc->c->initiator && hc->c->state < CONN_OPEN)
				pending++;
		if (h->nconns >= HOST_MAXCONNS ||
		    pending >= HOST_MAXHANDSHAKES) {
			log_warnx("from %s: too many connections; refused",
			    addr);
			close(fd);
			continue;
		}
		sock_setup(fd);
		hc = hconn_new(h, fd, 0, addr);
		log_debug("%s: accepted", hc->c->name);
	}
}

/* Straight into the connection's input buffer, where it is decrypted. */
static void
hconn_read(struct hconn *hc)
{
	uint8_t	*p;
	ssize_t	 n;
	int	 i;

	for (i = 0; i < READS_PER_EVENT; i++) {
		p = conn_input_space(hc->c, READ_CHUNK);
		n = read(hc->fd, p, READ_CHUNK);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == ECONNRESET)
				conn_reset(hc->c);
			else if (errno != EAGAIN && errno != EWOULDBLOCK)
				conn_fail(hc->c, "read: %s", strerror(errno));
			return;
		}
		if (n == 0) {
			conn_eof(hc->c);
			return;
		}
		if (conn_input_commit(hc->c, (size_t)n) == -1)
			return;
		if ((size_t)n < READ_CHUNK)
			return;
	}
}

static void
hconn_write(struct hconn *hc)
{
	struct conn *c = hc->c;
	ssize_t	 n;

	while (buf_len(&c->out) > 0) {
		n = send(hc->fd, buf_data(&c->out), buf_len(&c->out),
		    MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				if (c->state == CONN_CLOSING)
					c->state = CONN_DEAD;
				else if (errno == ECONNRESET || errno == EPIPE)
					conn_reset(c);	/* as a read's */
				else
					conn_fail(c, "write: %s",
					    strerror(errno));
			}
			return;
		}
		c->bytes_out += (uint64_t)n;
		buf_consume(&c->out, (size_t)n);
		if (buf_len(&c->out) < CONN_OUT_HIGH / 2)
			conn_pump(c);
	}
	/* Only once the go-away is out: the streams drained before it. */
	if (conn_closed(c))
		c->state = CONN_DEAD;
}

void
host_events(struct host *h, const struct pollfd *pfd, size_t n)
{
	struct hconn *hc;
	short	 re;

	if (h->lidx >= 0 && (size_t)h->lidx < n &&
	    (pfd[h->lidx].revents & POLLIN))
		host_accept(h);
	TAILQ_FOREACH(hc, &h->conns, entry) {
		if (hc->pidx < 0 || (size_t)hc->pidx >= n ||
		    pfd[hc->pidx].fd != hc->fd)
			continue;
		re = pfd[hc->pidx].revents;
		if (re == 0 || hc->c->state == CONN_DEAD)
			continue;
		if (hc->connecting) {
			if (re & (POLLOUT | POLLERR | POLLHUP))
				hconn_connected(hc);
			continue;
		}
		if (re & (POLLIN | POLLHUP | POLLERR))
			hconn_read(hc);
		if (hc->c->state != CONN_DEAD && (re & POLLOUT))
			hconn_write(hc);
	}
}

void
host_tick(struct host *h)
{
	struct hconn *hc, *tmp;
	uint64_t now = clock_mono_ms();

	size_t	 i;

	for (i = 0; i < h->norphans; )
		if (gai_error(&h->orphans[i]->cb) != EAI_INPROGRESS) {
			if (h->orphans[i]->cb.ar_result != NULL)
				freeaddrinfo(h->orphans[i]->cb.ar_result);
			free(h->orphans[i]);
			h->orphans[i] = h->orphans[--h->norphans];
		} else
			i++;
	TAILQ_FOREACH_SAFE(hc, &h->conns, entry, tmp) {
		if (hc->rs != NULL && hc->c->state != CONN_DEAD)
			resolve_check(hc);
		if (hc->c->state != CONN_DEAD) {
			conn_tick(hc->c, now);
			conn_pump(hc->c);
			if (!hc->connecting && hc->c->state != CONN_DEAD)
				hconn_write(hc);
		}
		if (hc->c->state != CONN_DEAD)
			continue;
		TAILQ_REMOVE(&h->conns, hc, entry);
		h->nconns--;
		if (h->closed != NULL)
			h->closed(h->arg, hc->c);
		if (hc->fd != -1)
			close(hc->fd);
		if (hc->rs != NULL)
			resolve_end(h, hc->rs);
		conn_free(hc->c);
		free(hc);
	}
}

void
host_shutdown(struct host *h)
{
	struct hconn *hc;

	TAILQ_FOREACH(hc, &h->conns, entry)
		conn_close(hc->c, "shutting down");
	if (h->lfd != -1) {
		close(h->lfd);
		h->lfd = -1;
	}
}

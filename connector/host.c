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
#include <unistd.h>

#include "log.h"
#include "connector/host.h"

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
		close(hc->fd);
		conn_free(hc->c);
		free(hc);
	}
	if (h->lfd != -1)
		close(h->lfd);
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
	struct hconn *hc;
	char	 port[8], addr[96];
	int	 fd, r, connecting = 0;

	if (h->nconns >= HOST_MAXCONNS) {
		snprintf(err, errlen, "too many connections");
		return NULL;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_family = ma->kind == MA_IP4 || ma->kind == MA_DNS4 ? AF_INET :
	    ma->kind == MA_IP6 || ma->kind == MA_DNS6 ? AF_INET6 : AF_UNSPEC;
	if (ma->kind == MA_IP4 || ma->kind == MA_IP6)
		hints.ai_flags |= AI_NUMERICHOST;
	snprintf(port, sizeof(port), "%u", ma->port);
	/* Blocking resolution: names are resolved from /etc/hosts or DNS. */
	if ((r = getaddrinfo(ma->host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "resolve %s: %s", ma->host,
		    gai_strerror(r));
		return NULL;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		freeaddrinfo(res);
		return NULL;
	}
	sock_setup(fd);
	addr_str(res->ai_addr, addr, sizeof(addr));
	if (connect(fd, res->ai_addr, res->ai_addrlen) == -1) {
		if (errno != EINPROGRESS) {
			snprintf(err, errlen, "connect %s: %s", addr,
			    strerror(errno));
			close(fd);
			freeaddrinfo(res);
			return NULL;
		}
		connecting = 1;
	}
	freeaddrinfo(res);
	hc = hconn_new(h, fd, 1, addr);
	if (ma->has_peer)
		conn_expect(hc->c, &ma->peer);
	hc->connecting = connecting;
	if (!connecting)
		hconn_connected(hc);
	return hc->c;
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
		if (n == max || hc->c->state == CONN_DEAD)
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
			if (errno != EAGAIN && errno != EWOULDBLOCK)
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
	if (c->state == CONN_CLOSING && buf_len(&c->mux.out) == 0)
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
	uint64_t now = yamux_now_ms();

	TAILQ_FOREACH_SAFE(hc, &h->conns, entry, tmp) {
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
		close(hc->fd);
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

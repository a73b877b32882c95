/*
 * devbroker: a Kafka broker for development and tests, on librdkafka's
 * mock cluster (rdkafka_mock.h).  It is the suite's embedded default broker
 * (make demo) and the test double of the bus.
 *
 *   devbroker [-b N] [-p HOST:PORT|none] [-a FILE] [-d FD] [-P PARTITIONS]
 *             [-t TOPIC[:PARTITIONS]]... [-v] [-q]
 *
 * It starts N mock brokers on loopback, each on a random port.  With -p
 * (default 127.0.0.1:9092) it also listens on that fixed address and relays
 * each TCP connection, byte for byte, to the first mock broker: clients
 * only bootstrap through it, since the brokers advertise their own
 * addresses in metadata.  It prints the address clients should use on
 * stdout, writes it to FILE with -a (atomically), then writes a newline to
 * FD (s6 readiness) and runs until SIGTERM or SIGINT.
 *
 * What the mock cluster of librdkafka 2.0.2 does and does not do is in
 * t/devbroker/README.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "log.h"
#include "sig.h"

#define DEFAULT_LISTEN	"127.0.0.1:9092"
#define MAX_TOPICS	64
#define MAX_RELAYS	512
#define RELAY_BUFSZ	(64 * 1024)

/* One direction of a relayed connection: bytes read from one side, not yet
 * written to the other. */
struct half {
	char	buf[RELAY_BUFSZ];
	size_t	off;
	size_t	len;
	int	eof;		/* read side saw end of file */
	int	shut;		/* write side shut down */
};

struct relay {
	LIST_ENTRY(relay) entry;
	int		fd[2];		/* 0: client, 1: mock broker */
	int		connecting;	/* fd[1] connect in progress */
	int		pidx[2];	/* indices in the pollfd array */
	struct half	h[2];		/* h[i]: read from fd[i], to fd[!i] */
};

LIST_HEAD(relaylist, relay);

struct topic {
	const char	*name;
	int		 partitions;
};

static void	usage(void) __attribute__((noreturn));
static int	parse_int(const char *, int, int, int *);
static int	split_hostport(const char *, char *, size_t, char *, size_t);
static int	listen_on(const char *, char *, size_t, char *, size_t);
static int	resolve_first(const char *, struct sockaddr_storage *,
		    socklen_t *, char *, size_t);
static int	write_atomic(const char *, const char *, char *, size_t);
static void	rk_log(const rd_kafka_t *, int, const char *, const char *);
static void	relay_accept(int, struct relaylist *, int *,
		    const struct sockaddr_storage *, socklen_t);
static int	relay_io(struct relay *, const struct pollfd *);
static void	relay_free(struct relaylist *, int *, struct relay *);
static void	sock_tune(int);

static void
usage(void)
{
	fprintf(stderr, "usage: devbroker [-b brokers] [-p host:port|none] "
	    "[-a file] [-d fd]\n"
	    "                 [-P partitions] [-t topic[:partitions]]... "
	    "[-v] [-q]\n");
	exit(EX_PERM);
}

static int
parse_int(const char *s, int min, int max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

/* "host:port", "[v6]:port" -> host, port.  Returns -1 if malformed. */
static int
split_hostport(const char *s, char *host, size_t hostlen, char *port,
    size_t portlen)
{
	const char *colon, *h = s;
	size_t hl;

	if (*s == '[') {
		const char *rb = strchr(s, ']');

		if (rb == NULL || rb[1] != ':')
			return -1;
		h = s + 1;
		hl = rb - h;
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return -1;
		hl = colon - s;
	}
	if (hl == 0 || hl >= hostlen || strlen(colon + 1) == 0 ||
	    strlen(colon + 1) >= portlen)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	strcpy(port, colon + 1);
	return 0;
}

/*
 * Listen on "host:port"; fill addr with the address really bound
 * ("127.0.0.1:40123" when port 0 was asked for).  Returns the fd or -1.
 */
static int
listen_on(const char *hostport, char *addr, size_t addrlen, char *err,
    size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char host[256], port[32], nhost[INET6_ADDRSTRLEN], nport[8];
	int fd = -1, one = 1, rc, e = 0;

	if (split_hostport(hostport, host, sizeof(host), port,
	    sizeof(port)) == -1) {
		snprintf(err, errlen, "%s: not host:port", hostport);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s: %s", hostport, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd == -1) {
			e = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 128) == 0)
			break;
		e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		snprintf(err, errlen, "listen on %s: %s", hostport,
		    strerror(e));
		return -1;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1 ||
	    getnameinfo((struct sockaddr *)&ss, sslen, nhost, sizeof(nhost),
	    nport, sizeof(nport), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(err, errlen, "listen on %s: getsockname: %s",
		    hostport, strerror(errno));
		close(fd);
		return -1;
	}
	if (ss.ss_family == AF_INET6)
		snprintf(addr, addrlen, "[%s]:%s", nhost, nport);
	else
		snprintf(addr, addrlen, "%s:%s", nhost, nport);
	return fd;
}

/* The address of the first broker of a "host:port,host:port" list. */
static int
resolve_first(const char *list, struct sockaddr_storage *ss,
    socklen_t *sslen, char *err, size_t errlen)
{
	struct addrinfo hints, *res;
	char first[300], host[256], port[32];
	size_t n;
	int rc;

	n = strcspn(list, ",");
	if (n >= sizeof(first)) {
		snprintf(err, errlen, "broker address too long");
		return -1;
	}
	memcpy(first, list, n);
	first[n] = '\0';
	if (split_hostport(first, host, sizeof(host), port,
	    sizeof(port)) == -1) {
		snprintf(err, errlen, "%s: not host:port", first);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s: %s", first, gai_strerror(rc));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* Write "text\n" to path through a temporary file and rename(2). */
static int
write_atomic(const char *path, const char *text, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	FILE *f;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path,
	    (long)getpid()) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1 || (f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (fprintf(f, "%s\n", text) < 0 || fflush(f) == EOF ||
	    fsync(fd) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		fclose(f);
		unlink(tmp);
		return -1;
	}
	if (fclose(f) == EOF || rename(tmp, path) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* librdkafka's log lines (syslog levels) into ours, from any thread. */
static void
rk_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	/* The host handle has no bootstrap.servers on purpose. */
	if (strcmp(fac, "CONFWARN") == 0 && strstr(buf, "bootstrap") != NULL)
		level = LOG_DEBUG;
	if (level <= LOG_ERR)
		log_errorx("rdkafka: %s: %s", fac, buf);
	else if (level == LOG_WARNING)
		log_warnx("rdkafka: %s: %s", fac, buf);
	else if (level <= LOG_INFO)
		log_info("rdkafka: %s: %s", fac, buf);
	else
		log_debug("rdkafka: %s: %s", fac, buf);
}

static void
sock_tune(int fd)
{
	int one = 1;

	/* Kafka is request/response: Nagle would add delayed-ACK stalls. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void
relay_accept(int lfd, struct relaylist *relays, int *nrelays,
    const struct sockaddr_storage *up, socklen_t uplen)
{
	struct relay *r;
	int cfd, bfd;

	cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("accept");
		return;
	}
	if (*nrelays >= MAX_RELAYS) {
		log_warnx("%d connections relayed already: refusing one",
		    *nrelays);
		close(cfd);
		return;
	}
	bfd = socket(up->ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (bfd == -1) {
		log_warn("socket");
		close(cfd);
		return;
	}
	sock_tune(cfd);
	sock_tune(bfd);
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		log_warn("relay");
		close(cfd);
		close(bfd);
		return;
	}
	r->fd[0] = cfd;
	r->fd[1] = bfd;
	if (connect(bfd, (const struct sockaddr *)up, uplen) == -1) {
		if (errno != EINPROGRESS) {
			log_warn("connect to the mock broker");
			close(cfd);
			close(bfd);
			free(r);
			return;
		}
		r->connecting = 1;
	}
	LIST_INSERT_HEAD(relays, r, entry);
	(*nrelays)++;
	log_debug("relaying a connection (%d open)", *nrelays);
}

/* Move bytes both ways.  Returns -1 once the relay is finished. */
static int
relay_io(struct relay *r, const struct pollfd *pfd)
{
	struct half *h;
	socklen_t len;
	ssize_t n;
	int d, src, dst, soerr;

	if (r->connecting) {
		if (!(pfd[r->pidx[1]].revents & (POLLOUT | POLLERR | POLLHUP)))
			return 0;
		len = sizeof(soerr);
		if (getsockopt(r->fd[1], SOL_SOCKET, SO_ERROR, &soerr,
		    &len) == -1 || soerr != 0) {
			errno = soerr;
			log_warn("connect to the mock broker");
			return -1;
		}
		r->connecting = 0;
	}
	for (d = 0; d < 2; d++) {
		h = &r->h[d];
		src = r->fd[d];
		dst = r->fd[!d];
		if (h->len == 0 && !h->eof && (pfd[r->pidx[d]].revents &
		    (POLLIN | POLLHUP | POLLERR))) {
			n = read(src, h->buf, sizeof(h->buf));
			if (n > 0) {
				h->off = 0;
				h->len = n;
			} else if (n == 0)
				h->eof = 1;
			else if (errno != EAGAIN && errno != EINTR)
				return -1;
		}
		while (h->len > 0) {
			n = write(dst, h->buf + h->off, h->len);
			if (n == -1) {
				if (errno == EAGAIN || errno == EINTR)
					break;
				return -1;
			}
			h->off += n;
			h->len -= n;
		}
		if (h->eof && h->len == 0 && !h->shut) {
			shutdown(dst, SHUT_WR);
			h->shut = 1;
		}
	}
	return r->h[0].shut && r->h[1].shut ? -1 : 0;
}

static void
relay_free(struct relaylist *relays, int *nrelays, struct relay *r)
{
	(void)relays;
	LIST_REMOVE(r, entry);
	close(r->fd[0]);
	close(r->fd[1]);
	free(r);
	(*nrelays)--;
	log_debug("relayed connection closed (%d open)", *nrelays);
}

int
main(int argc, char *argv[])
{
	struct topic topics[MAX_TOPICS];
	struct relaylist relays = LIST_HEAD_INITIALIZER(relays);
	struct relay *r, *rnext;
	struct sockaddr_storage up;
	struct pollfd *pfd = NULL;
	socklen_t uplen = 0;
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	rd_kafka_mock_cluster_t *mc;
	rd_kafka_resp_err_t kerr;
	const char *listen_arg = DEFAULT_LISTEN, *afile = NULL, *bootstraps;
	char err[PATH_MAX + 512], addr[2048], host[256], port[32], *colon;
	size_t ntopics = 0, i, npfd;
	int brokers = 1, partitions = 1, readyfd = -1, verbose = 0;
	int lfd = -1, nrelays = 0, ch, n, level;

	log_init(argv[0], LOG_LVL_INFO);
	while ((ch = getopt(argc, argv, "a:b:d:hp:P:qt:v")) != -1) {
		switch (ch) {
		case 'a':
			afile = optarg;
			break;
		case 'b':
			if (parse_int(optarg, 1, 64, &brokers) == -1)
				fatalx(EX_PERM, "-b %s: want 1 to 64", optarg);
			break;
		case 'd':
			if (parse_int(optarg, 0, INT_MAX, &readyfd) == -1)
				fatalx(EX_PERM, "-d %s: not a file descriptor",
				    optarg);
			if (fcntl(readyfd, F_GETFD) == -1)
				fatal(EX_PERM, "-d %s", optarg);
			break;
		case 'p':
			listen_arg = optarg;
			if (strcmp(optarg, "none") != 0 && split_hostport(optarg,
			    host, sizeof(host), port, sizeof(port)) == -1)
				fatalx(EX_PERM, "-p %s: want host:port or none",
				    optarg);
			break;
		case 'P':
			if (parse_int(optarg, 1, 10000, &partitions) == -1)
				fatalx(EX_PERM, "-P %s: want 1 to 10000",
				    optarg);
			break;
		case 'q':
			verbose--;
			break;
		case 't':
			if (ntopics == MAX_TOPICS)
				fatalx(EX_PERM, "more than %d topics",
				    MAX_TOPICS);
			topics[ntopics].name = optarg;
			topics[ntopics].partitions = 0;
			if ((colon = strrchr(optarg, ':')) != NULL) {
				*colon = '\0';
				if (parse_int(colon + 1, 1, 10000,
				    &topics[ntopics].partitions) == -1)
					fatalx(EX_PERM, "-t %s:%s: want "
					    "TOPIC[:PARTITIONS]", optarg,
					    colon + 1);
			}
			if (*optarg == '\0' || strlen(optarg) > 249)
				fatalx(EX_PERM, "-t: bad topic name \"%s\"",
				    optarg);
			ntopics++;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	level = LOG_LVL_INFO + verbose;
	log_setlevel(level);
	sig_setup(0);

	if (strcmp(listen_arg, "none") != 0) {
		if ((lfd = listen_on(listen_arg, addr, sizeof(addr), err,
		    sizeof(err))) == -1)
			fatalx(EX_TEMP, "%s", err);
	}

	/* The handle that hosts the cluster is never used as a client. */
	conf = rd_kafka_conf_new();
	rd_kafka_conf_set_log_cb(conf, rk_log);
	if (rd_kafka_conf_set(conf, "client.id", "devbroker", err,
	    sizeof(err)) != RD_KAFKA_CONF_OK ||
	    (verbose >= 2 && rd_kafka_conf_set(conf, "debug", "mock", err,
	    sizeof(err)) != RD_KAFKA_CONF_OK))
		fatalx(EX_BUG, "rdkafka: %s", err);
	if ((rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err,
	    sizeof(err))) == NULL)
		fatalx(EX_TEMP, "rdkafka: %s", err);
	if ((mc = rd_kafka_mock_cluster_new(rk, brokers)) == NULL)
		fatalx(EX_TEMP, "cannot start a mock cluster of %d broker(s)",
		    brokers);
	bootstraps = rd_kafka_mock_cluster_bootstraps(mc);

	for (i = 0; i < ntopics; i++) {
		n = topics[i].partitions ? topics[i].partitions : partitions;
		kerr = rd_kafka_mock_topic_create(mc, topics[i].name, n,
		    brokers < 3 ? brokers : 3);
		if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR)
			fatalx(EX_PERM, "topic %s: %s", topics[i].name,
			    rd_kafka_err2str(kerr));
		log_debug("topic %s: %d partition(s)", topics[i].name, n);
	}

	if (lfd != -1) {
		if (resolve_first(bootstraps, &up, &uplen, err,
		    sizeof(err)) == -1)
			fatalx(EX_BUG, "mock cluster address: %s", err);
		log_info("%d mock broker(s) at %s, bootstrap through %s",
		    brokers, bootstraps, addr);
	} else {
		snprintf(addr, sizeof(addr), "%s", bootstraps);
		log_info("%d mock broker(s) at %s", brokers, bootstraps);
	}

	if (printf("%s\n", addr) < 0 || fflush(stdout) == EOF)
		fatal(EX_TEMP, "stdout");
	if (afile != NULL && write_atomic(afile, addr, err, sizeof(err)) == -1)
		fatalx(EX_TEMP, "%s", err);
	ready_notify(readyfd);

	while (!sig_term) {
		npfd = 2 + 2 * (size_t)nrelays;
		free(pfd);
		if ((pfd = calloc(npfd, sizeof(*pfd))) == NULL)
			fatal(EX_TEMP, "poll set");
		pfd[0].fd = sig_fd();
		pfd[0].events = POLLIN;
		pfd[1].fd = lfd;
		pfd[1].events = POLLIN;
		i = 2;
		LIST_FOREACH(r, &relays, entry) {
			for (n = 0; n < 2; n++) {
				r->pidx[n] = (int)i;
				pfd[i].fd = r->fd[n];
				pfd[i].events = 0;
				if (n == 1 && r->connecting)
					pfd[i].events |= POLLOUT;
				else if (!r->connecting && r->h[n].len == 0 &&
				    !r->h[n].eof)
					pfd[i].events |= POLLIN;
				if (r->h[!n].len > 0)
					pfd[i].events |= POLLOUT;
				/* Nothing wanted: leave it out, or a hangup
				 * there would wake poll in a loop. */
				if (pfd[i].events == 0)
					pfd[i].fd = -1;
				i++;
			}
		}
		if (poll(pfd, npfd, 1000) == -1) {
			if (errno == EINTR)
				continue;
			fatal(EX_TEMP, "poll");
		}
		rd_kafka_poll(rk, 0);
		if (pfd[0].revents & POLLIN)
			sig_drain();
		for (r = LIST_FIRST(&relays); r != NULL; r = rnext) {
			rnext = LIST_NEXT(r, entry);
			if (relay_io(r, pfd) == -1)
				relay_free(&relays, &nrelays, r);
		}
		if (lfd != -1 && (pfd[1].revents & POLLIN))
			relay_accept(lfd, &relays, &nrelays, &up, uplen);
	}

	log_info("stopping");
	free(pfd);
	while ((r = LIST_FIRST(&relays)) != NULL)
		relay_free(&relays, &nrelays, r);
	if (lfd != -1)
		close(lfd);
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return EX_OK;
}

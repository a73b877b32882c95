/*
 * devnode: a Substrate JSON-RPC dev node for tests and the demo.
 *
 *   devnode [-Pqv] [-a host:port] [-A file] [-d fd] [-i interval] [-n blocks]
 *           [-s seed] [-m version] [-V file] [-F fault]...
 *
 * Serves Substrate's standard JSON-RPC over HTTP/1.1 (keep-alive, batch
 * requests) on loopback, from a chain of finalized blocks (chain.h) with
 * a Serai-shaped runtime (devmeta.h).  A block is produced every interval
 * (-i 500ms; -i 0: only at start and on dev_produce).  -n starts with a
 * backlog of blocks.  Faults are injected with -F or the dev_fault method:
 *
 *   delay=MS[,COUNT]     delay the next COUNT responses (default: all)
 *   error=COUNT[,CODE]   answer the next COUNT calls with a JSON-RPC error
 *   http500=COUNT        answer the next COUNT requests with HTTP 500
 *   drop=COUNT           close the connection instead of answering the
 *                        next COUNT requests
 *   upgrade=BLOCK        a runtime upgrade in that block ("upgrade": next)
 *   gap=BLOCK            that block's parent is not the previous block
 *   hole=BLOCK           chain_getBlockHash(BLOCK) answers null
 *   reorg                the head block is replaced (dev_fault only)
 *   clear                no more delays, errors, 500s or drops
 *
 * Network mode, -V FILE: the network's validators, one a line,
 *
 *   CHAIN_KEY_HEX WEIGHT [NAME]
 *
 * (64 hex digits, a positive integer weight, a name that is only a
 * comment; "#" comments and blank lines allowed; a bad line is an error
 * naming FILE:LINE, exit 100).  Every NewSet (all networks) then has
 * exactly these participants (ValidatorSets.Participants, kept as the
 * pallet keeps them: by weight descending, then by key), and the
 * generator makes no KeyGen events: a set gets its keys only from an
 * included ValidatorSets.set_keys.
 *
 * ValidatorSets.set_keys (in both modes; the metadata describes it):
 * unsigned, 0x04, pallet 3 (ValidatorSets), call 0, then network (u8,
 * 1..3), key_pair (Public [u8; 32], ExternalKey: Compact<len> then at
 * most 96 bytes) and signature ([u8; 64]).  author_submitExtrinsic
 * answers as a node would: undecodable arguments 1001; a network not
 * 1..3, no NewSet yet, an all-zero signature 1010 (data says why); a set
 * that has keys already 1010 "Transaction is outdated"; another set_keys
 * for the network pending 1014; the same bytes pending 1013, the same
 * bytes already in a block 1012 (temporarily banned; for any extrinsic).
 * In network mode the signature must also be the dev signature of the
 * set it keys (the network's latest NewSet, session s), as Serai's
 * signature is over the set: BLAKE2b-512("serai-devnode/set-keys/v1" ||
 * u8 network || u32le s || Public || the external key's bytes), or 1010
 * "Transaction has a bad signature" (keys made for an earlier session are
 * refused, not given to the next).
 * Included, it emits ValidatorSets.KeyGen{set: (the session of the
 * network's latest NewSet, network), key_pair} before its
 * ExtrinsicSuccess, and keys that set.  (Without -V the generator's own
 * KeyGen at block 20s + 3 keys session s too.)
 *
 * -P starts with block production paused (dev_pause false starts it): a
 * network's services can come up before its first block.
 *
 * Methods beyond a node's: dev_fault [spec...], dev_produce [count],
 * dev_pause [bool] (true stops block production by the interval timer,
 * false resumes it; answers the new state, or the current one without a
 * parameter),
 * dev_expected [number] (the events the generator put in a block, in the
 * observer's decoded JSON form), dev_producedAt [number] (the wall clock,
 * Unix ms, at which the block was made final), dev_participants [number,
 * network] (ValidatorSets.Participants(network) at that block as
 * [{"key", "weight"}], or null before the first NewSet), dev_status.
 * State served: System.Events, Number, EventCount, Timestamp.Now and
 * ValidatorSets.Participants (Identity-hashed NetworkId).
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "hex.h"
#include "log.h"
#include "sig.h"
#include "observer/meta.h"
#include "observer/scale.h"
#include "chain.h"

#define MAX_CONNS	256
#define MAX_HEADER	(64 * 1024)
#define MAX_BODY	(16 * 1024 * 1024)

struct conn {
	int		 fd;
	char		*in;
	size_t		 inlen, incap;
	char		*out;
	size_t		 outlen, outoff;
	uint64_t	 send_at;	/* ms: hold the response until then */
	int		 close_after;
	int		 continued;	/* sent "100 Continue" */
	int		 eof;
};

struct faults {
	uint32_t	 delay_ms;
	long		 delay_count;	/* -1: every response */
	long		 errors;
	int		 error_code;
	long		 http500;
	long		 drops;
};

static struct chain	*chain;
static struct faults	 faults;
static struct conn	 conns[MAX_CONNS];
static size_t		 nconns;
static unsigned		 meta_version = 14;
static uint32_t		 interval_ms = 6000;
static uint64_t		 next_block;
static uint8_t		 key_events[32], key_number[32], key_now[32],
			 key_evcount[32], key_participants[32];
static unsigned long	 nrequests, ncalls;
static int		 dev_only;	/* the request called dev_* only */
static int		 paused;	/* dev_pause: no blocks on the timer */

static void	 usage(void) __attribute__((noreturn));
static uint64_t	 now_ms(void);
static int	 parse_ms(const char *, uint32_t *);
static int	 fault_apply(const char *, char *, size_t);
static int	 listen_on(const char *, int *);
static void	 write_url(const char *, int);
static void	 conn_accept(int);
static void	 conn_close(struct conn *);
static int	 conn_read(struct conn *);
static int	 conn_write(struct conn *);
static int	 conn_process(struct conn *);
static void	 queue(struct conn *, int, const char *, const char *);
static const char *header_value(const char *, const char *, char *, size_t);
static int	 num_arg(const char *, long *);
static cJSON	*unknown_block(cJSON *, const cJSON *, int);
static cJSON	*rpc_handle(cJSON *);
static cJSON	*rpc_call(cJSON *);
static cJSON	*rpc_error(cJSON *, int, const char *, const char *);
static cJSON	*rpc_result(cJSON *, cJSON *);
static cJSON	*hexj(const uint8_t *, size_t);
static int	 parse_hash(const cJSON *, uint8_t *);
static const struct chain_block *at_block(const cJSON *, int, int *);
static cJSON	*header_json(const struct chain_block *);
static cJSON	*version_json(const struct chain_block *);
static int	 parse_number(const cJSON *, uint64_t *);
static void	 produce(unsigned long);
static void	 load_validators(const char *);

static void
usage(void)
{
	fprintf(stderr, "usage: devnode [-Pqv] [-a host:port] [-A file] "
	    "[-d fd] [-i interval]\n"
	    "               [-n blocks] [-s seed] [-m 14|15] [-V file] "
	    "[-F fault]...\n");
	exit(EX_PERM);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* "500ms", "2s", "250" (ms), "0" */
static int
parse_ms(const char *s, uint32_t *out)
{
	char			*end;
	unsigned long long	 v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		return -1;
	if (strcmp(end, "s") == 0)
		v *= 1000;
	else if (*end != '\0' && strcmp(end, "ms") != 0)
		return -1;
	if (v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int
num_arg(const char *s, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return errno != 0 || end == s || (*end != '\0' && *end != ',') ||
	    *out < 0 ? -1 : 0;
}

/* One fault spec, from -F or dev_fault. */
static int
fault_apply(const char *spec, char *err, size_t errlen)
{
	const char	*eq = strchr(spec, '='), *comma;
	char		 name[32];
	long		 a = 0, b = -1;
	size_t		 n = eq ? (size_t)(eq - spec) : strlen(spec);

	if (n >= sizeof(name))
		goto bad;
	memcpy(name, spec, n);
	name[n] = '\0';
	if (eq != NULL) {
		if (num_arg(eq + 1, &a) == -1)
			goto bad;
		if ((comma = strchr(eq + 1, ',')) != NULL &&
		    num_arg(comma + 1, &b) == -1)
			goto bad;
	}
	if (strcmp(name, "clear") == 0) {
		memset(&faults, 0, sizeof(faults));
	} else if (strcmp(name, "delay") == 0 && eq != NULL) {
		faults.delay_ms = (uint32_t)a;
		faults.delay_count = b;
	} else if (strcmp(name, "error") == 0 && eq != NULL) {
		faults.errors = a;
		faults.error_code = b == -1 ? -32603 : -(int)b;
	} else if (strcmp(name, "http500") == 0 && eq != NULL) {
		faults.http500 = a;
	} else if (strcmp(name, "drop") == 0 && eq != NULL) {
		faults.drops = a;
	} else if (strcmp(name, "upgrade") == 0) {
		chain_upgrade_at(chain, eq ? (uint32_t)a : chain_head(chain) +
		    1);
	} else if (strcmp(name, "gap") == 0) {
		chain_gap_at(chain, eq ? (uint32_t)a : chain_head(chain) + 1);
	} else if (strcmp(name, "hole") == 0 && eq != NULL) {
		chain_hole_at(chain, (uint32_t)a);
	} else if (strcmp(name, "reorg") == 0 && eq == NULL) {
		if (chain_reorg_head(chain) == -1) {
			snprintf(err, errlen, "reorg failed");
			return -1;
		}
		log_info("head block %u replaced", chain_head(chain));
	} else
		goto bad;
	log_info("fault: %s", spec);
	return 0;
bad:
	snprintf(err, errlen, "bad fault \"%s\": want delay=MS[,COUNT], "
	    "error=COUNT[,CODE], http500=N, drop=N, upgrade[=BLOCK], "
	    "gap[=BLOCK], hole=BLOCK, reorg or clear", spec);
	return -1;
}

static void
produce(unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		if (chain_produce(chain) == -1)
			fatalx(EX_TEMP, "cannot produce a block: out of memory");
}

/* -V: "KEY_HEX WEIGHT [NAME]" lines; any error is fatal (100). */
static void
load_validators(const char *file)
{
	FILE		*fp;
	char		*line = NULL, *p, *tok[4], *end = NULL;
	size_t		 cap = 0, n = 0, i, k;
	ssize_t		 len;
	unsigned long	 lineno = 0;
	uint8_t		(*keys)[32] = NULL;
	uint64_t	*weights = NULL;
	unsigned long long w;
	void		*np;

	if ((fp = fopen(file, "r")) == NULL)
		fatal(EX_PERM, "%s", file);
	while ((len = getline(&line, &cap, fp)) != -1) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		for (k = 0, p = line; k < 4; k++) {
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p == '\0')
				break;
			tok[k] = p;
			while (*p != '\0' && *p != ' ' && *p != '\t')
				p++;
			if (*p != '\0')
				*p++ = '\0';
		}
		if (k == 0)
			continue;
		if ((np = reallocarray(keys, n + 1, 32)) == NULL)
			fatal(EX_TEMP, "reallocarray");
		keys = np;
		if ((np = reallocarray(weights, n + 1, sizeof(*weights))) ==
		    NULL)
			fatal(EX_TEMP, "reallocarray");
		weights = np;
		errno = 0;
		w = k >= 2 && isdigit((unsigned char)tok[1][0]) ?
		    strtoull(tok[1], &end, 10) : 0;
		if (k < 2 || k > 3 || strlen(tok[0]) != 64 ||
		    hex_decode(tok[0], keys[n], 32) == -1 ||
		    errno != 0 || w == 0 || *end != '\0')
			goto bad;
		for (i = 0; i < n; i++)
			if (memcmp(keys[i], keys[n], 32) == 0)
				goto bad;
		weights[n++] = w;
	}
	if (ferror(fp))
		fatal(EX_TEMP, "%s", file);
	fclose(fp);
	free(line);
	if (n == 0)
		fatalx(EX_PERM, "%s: no validators", file);
	if (chain_validators(chain, keys, weights, n) == -1)
		fatalx(EX_TEMP, "out of memory");
	log_info("network mode: %zu validators from %s", n, file);
	free(keys);
	free(weights);
	return;
bad:
	/* the line as it was, for the message */
	rewind(fp);
	for (k = 0; k < lineno && (len = getline(&line, &cap, fp)) != -1; k++)
		;
	if (len > 0 && line[len - 1] == '\n')
		line[len - 1] = '\0';
	fatalx(EX_PERM, "%s:%lu: want \"CHAIN_KEY_HEX WEIGHT [NAME]\" "
	    "(64 hex digits, a positive weight, a new key): %s", file, lineno,
	    line);
}

/* ------------------------------------------------------------ network */

static int
listen_on(const char *addr, int *port)
{
	struct addrinfo		 hints, *res, *ai;
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);
	char			 host[256], *colon;
	const char		*svc;
	int			 fd = -1, on = 1, rc;

	if (strlen(addr) >= sizeof(host))
		fatalx(EX_PERM, "address too long: %s", addr);
	strcpy(host, addr);
	if ((colon = strrchr(host, ':')) == NULL)
		fatalx(EX_PERM, "address %s: want host:port", addr);
	*colon = '\0';
	svc = colon + 1;
	if (host[0] == '[' && colon[-1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host[0] ? host : NULL, svc, &hints, &res)) != 0)
		fatalx(EX_PERM, "address %s: %s", addr, gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (fd == -1)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 128) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		fatal(EX_TEMP, "cannot listen on %s", addr);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1)
		fatal(EX_TEMP, "getsockname");
	*port = ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

static void
write_url(const char *file, int port)
{
	char	 tmp[PATH_MAX];
	FILE	*fp;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", file) >= (int)sizeof(tmp))
		fatalx(EX_PERM, "path too long: %s", file);
	if ((fp = fopen(tmp, "w")) == NULL)
		fatal(EX_PERM, "%s", tmp);
	fprintf(fp, "http://127.0.0.1:%d\n", port);
	if (fclose(fp) == EOF || rename(tmp, file) == -1)
		fatal(EX_TEMP, "%s", file);
}

static void
conn_accept(int lfd)
{
	struct conn	*c;
	int		 fd, on = 1;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) !=
	    -1) {
		if (nconns == MAX_CONNS) {
			log_warnx("too many connections; refusing one");
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
		c = &conns[nconns++];
		memset(c, 0, sizeof(*c));
		c->fd = fd;
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		log_warn("accept");
}

static void
conn_close(struct conn *c)
{
	close(c->fd);
	free(c->in);
	free(c->out);
	*c = conns[--nconns];
}

/* 0: fine, -1: close */
static int
conn_read(struct conn *c)
{
	ssize_t	 n;
	char	*p;

	for (;;) {
		if (c->incap - c->inlen < 4096) {
			size_t cap = c->incap ? c->incap * 2 : 8192;

			if (cap > MAX_HEADER + MAX_BODY + 8192)
				return -1;
			if ((p = realloc(c->in, cap)) == NULL)
				return -1;
			c->in = p;
			c->incap = cap;
		}
		n = read(c->fd, c->in + c->inlen, c->incap - c->inlen - 1);
		if (n == 0)
			return -1;
		if (n == -1)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		c->inlen += (size_t)n;
	}
}

static int
conn_write(struct conn *c)
{
	ssize_t n;

	while (c->outoff < c->outlen) {
		n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
		    MSG_NOSIGNAL);
		if (n == -1)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		c->outoff += (size_t)n;
	}
	c->outlen = c->outoff = 0;
	return c->close_after ? -1 : 0;
}

/* Queue a full HTTP response. */
static void
queue(struct conn *c, int status, const char *reason, const char *body)
{
	size_t	 blen = strlen(body), need;
	char	*p;
	int	 n;

	need = blen + 256;
	if ((p = realloc(c->out, c->outlen + need)) == NULL) {
		c->close_after = 1;
		return;
	}
	c->out = p;
	n = snprintf(c->out + c->outlen, need, "HTTP/1.1 %d %s\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n"
	    "Content-Length: %zu\r\n%s\r\n", status, reason, blen,
	    c->close_after ? "Connection: close\r\n" : "");
	c->outlen += (size_t)n;
	memcpy(c->out + c->outlen, body, blen);
	c->outlen += blen;
	if (faults.delay_ms > 0 && faults.delay_count != 0 && !dev_only) {
		c->send_at = now_ms() + faults.delay_ms;
		if (faults.delay_count > 0)
			faults.delay_count--;
	}
}

static const char *
header_value(const char *hdrs, const char *name, char *buf, size_t len)
{
	const char	*p = hdrs, *eol, *v;
	size_t		 nl = strlen(name), n;

	while ((eol = strstr(p, "\r\n")) != NULL && eol != p) {
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			v = p + nl + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			n = (size_t)(eol - v);
			while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
				n--;
			if (n >= len)
				n = len - 1;
			memcpy(buf, v, n);
			buf[n] = '\0';
			return buf;
		}
		p = eol + 2;
	}
	return NULL;
}

/* Handle complete requests in the input buffer. 0: fine, -1: close. */
static int
conn_process(struct conn *c)
{
	char		*end, *sp, *body, val[128], method[16];
	size_t		 hlen, blen, total;
	const char	*cl;
	int		 http10, keep;
	cJSON		*req, *resp;
	char		*text;

	while (c->outlen == 0 && c->inlen > 0) {
		c->in[c->inlen] = '\0';
		if ((end = strstr(c->in, "\r\n\r\n")) == NULL) {
			if (c->inlen > MAX_HEADER) {
				c->close_after = 1;
				queue(c, 431, "Request Header Fields Too Large",
				    "");
			}
			return 0;
		}
		hlen = (size_t)(end - c->in) + 4;
		sp = strchr(c->in, ' ');
		if (sp == NULL || (size_t)(sp - c->in) >= sizeof(method)) {
			c->close_after = 1;
			queue(c, 400, "Bad Request", "");
			return 0;
		}
		memcpy(method, c->in, (size_t)(sp - c->in));
		method[sp - c->in] = '\0';
		http10 = strstr(c->in, "HTTP/1.0\r\n") != NULL &&
		    strstr(c->in, "HTTP/1.0\r\n") < end;
		end[2] = '\0';		/* headers end at the blank line */
		keep = !http10;
		if (header_value(strchr(c->in, '\n') + 1, "Connection", val,
		    sizeof(val)) != NULL)
			keep = strcasecmp(val, "close") != 0 &&
			    (!http10 || strcasecmp(val, "keep-alive") == 0);
		if (header_value(strchr(c->in, '\n') + 1, "Transfer-Encoding",
		    val, sizeof(val)) != NULL) {
			c->close_after = 1;
			queue(c, 411, "Length Required", "");
			return 0;
		}
		cl = header_value(strchr(c->in, '\n') + 1, "Content-Length",
		    val, sizeof(val));
		blen = cl ? strtoul(cl, NULL, 10) : 0;
		if (blen > MAX_BODY) {
			c->close_after = 1;
			queue(c, 413, "Payload Too Large", "");
			return 0;
		}
		if (header_value(strchr(c->in, '\n') + 1, "Expect", val,
		    sizeof(val)) != NULL && strcasecmp(val, "100-continue") ==
		    0 && c->inlen < hlen + blen && !c->continued) {
			c->continued = 1;
			if (send(c->fd, "HTTP/1.1 100 Continue\r\n\r\n", 25,
			    MSG_NOSIGNAL) != 25)
				return -1;
		}
		end[2] = '\r';
		total = hlen + blen;
		if (c->inlen < total)
			return 0;
		nrequests++;
		c->continued = 0;
		if (faults.drops > 0) {
			faults.drops--;
			log_info("fault: dropping a connection");
			return -1;
		}
		c->close_after = !keep;
		body = c->in + hlen;
		if (strcmp(method, "POST") != 0) {
			if (strcmp(method, "GET") == 0 &&
			    strncmp(c->in + 4, "/health ", 8) == 0)
				queue(c, 200, "OK", "{\"isSyncing\":false,"
				    "\"peers\":0,\"shouldHavePeers\":false}");
			else
				queue(c, 405, "Method Not Allowed", "");
		} else if (faults.http500 > 0) {
			faults.http500--;
			queue(c, 500, "Internal Server Error", "");
		} else {
			char save = body[blen];

			body[blen] = '\0';
			req = cJSON_ParseWithLength(body, blen);
			body[blen] = save;
			dev_only = req != NULL;
			if (req == NULL)
				resp = rpc_error(NULL, -32700, "Parse error",
				    NULL);
			else
				resp = rpc_handle(req);
			cJSON_Delete(req);
			text = resp ? cJSON_PrintUnformatted(resp) : NULL;
			cJSON_Delete(resp);
			queue(c, 200, "OK", text ? text : "");
			dev_only = 0;
			free(text);
		}
		memmove(c->in, c->in + total, c->inlen - total);
		c->inlen -= total;
	}
	return 0;
}

/* ------------------------------------------------------------ JSON-RPC */

static cJSON *
rpc_error(cJSON *id, int code, const char *msg, const char *data)
{
	cJSON *r = cJSON_CreateObject(), *e = cJSON_CreateObject();

	cJSON_AddStringToObject(r, "jsonrpc", "2.0");
	cJSON_AddNumberToObject(e, "code", code);
	cJSON_AddStringToObject(e, "message", msg);
	if (data != NULL && data[0] != '\0')
		cJSON_AddStringToObject(e, "data", data);
	cJSON_AddItemToObject(r, "error", e);
	cJSON_AddItemToObject(r, "id", id ? cJSON_Duplicate(id, 1) :
	    cJSON_CreateNull());
	return r;
}

static cJSON *
rpc_result(cJSON *id, cJSON *result)
{
	cJSON *r = cJSON_CreateObject();

	cJSON_AddStringToObject(r, "jsonrpc", "2.0");
	cJSON_AddItemToObject(r, "result", result ? result :
	    cJSON_CreateNull());
	cJSON_AddItemToObject(r, "id", cJSON_Duplicate(id, 1));
	return r;
}

/* A single request or a batch. */
static cJSON *
rpc_handle(cJSON *req)
{
	cJSON	*arr, *item, *r;

	if (!cJSON_IsArray(req))
		return rpc_call(req);
	if (cJSON_GetArraySize(req) == 0)
		return rpc_error(NULL, -32600, "Invalid request", NULL);
	arr = cJSON_CreateArray();
	cJSON_ArrayForEach(item, req)
		if ((r = rpc_call(item)) != NULL)
			cJSON_AddItemToArray(arr, r);
	if (cJSON_GetArraySize(arr) == 0) {
		cJSON_Delete(arr);
		return NULL;
	}
	return arr;
}

static cJSON *
hexj(const uint8_t *p, size_t n)
{
	char	*s = malloc(2 * n + 3);
	cJSON	*j;

	if (s == NULL)
		return NULL;
	hex_encode0x(p, n, s);
	j = cJSON_CreateString(s);
	free(s);
	return j;
}

/* A block hash, with or without 0x (Serai's client sends it bare). */
static int
parse_hash(const cJSON *j, uint8_t *out)
{
	if (!cJSON_IsString(j))
		return -1;
	return hex_decode(j->valuestring, out, 32);
}

/* A block number: a JSON number or a hex string (NumberOrHex). */
static int
parse_number(const cJSON *j, uint64_t *v)
{
	uint8_t	*b;
	size_t	 n, i;
	char	 buf[20];

	if (cJSON_IsNumber(j)) {
		if (j->valuedouble < 0 || j->valuedouble > 9007199254740991.0 ||
		    (double)(uint64_t)j->valuedouble != j->valuedouble)
			return -1;
		*v = (uint64_t)j->valuedouble;
		return 0;
	}
	if (!cJSON_IsString(j) || strncmp(j->valuestring, "0x", 2) != 0 ||
	    strlen(j->valuestring) > 18)
		return -1;
	/* pad to even length */
	snprintf(buf, sizeof(buf), "%s%s", strlen(j->valuestring) % 2 ?
	    "0" : "", j->valuestring + 2);
	if (hex_decode_alloc(buf, &b, &n) == -1)
		return -1;
	for (*v = 0, i = 0; i < n; i++)
		*v = *v << 8 | b[i];
	free(b);
	return 0;
}

/* The block a params[idx] hash names; absent or null: the head. */
static const struct chain_block *
at_block(const cJSON *params, int idx, int *bad)
{
	const cJSON	*h = cJSON_IsArray(params) ?
			    cJSON_GetArrayItem(params, idx) : NULL;
	uint8_t		 hash[32];

	*bad = 0;
	if (h == NULL || cJSON_IsNull(h))
		return chain_block(chain, chain_head(chain));
	if (parse_hash(h, hash) == -1) {
		*bad = 1;
		return NULL;
	}
	return chain_find(chain, hash);
}

static cJSON *
header_json(const struct chain_block *b)
{
	cJSON	*h = cJSON_CreateObject(), *d, *logs;
	char	 num[24];

	cJSON_AddItemToObject(h, "parentHash", hexj(b->parent, 32));
	snprintf(num, sizeof(num), "0x%" PRIx32, b->number);
	cJSON_AddStringToObject(h, "number", num);
	cJSON_AddItemToObject(h, "stateRoot", hexj(b->state_root, 32));
	cJSON_AddItemToObject(h, "extrinsicsRoot", hexj(b->ext_root, 32));
	d = cJSON_CreateObject();
	logs = cJSON_CreateArray();
	/* the digest items follow parent, number, roots and the count */
	cJSON_AddItemToArray(logs, hexj(b->header + b->header_len - 14, 14));
	cJSON_AddItemToObject(d, "logs", logs);
	cJSON_AddItemToObject(h, "digest", d);
	return h;
}

static cJSON *
version_json(const struct chain_block *b)
{
	static const struct {
		const char	*id;
		int		 v;
	} apis[] = {
		{ "0xdf6acb689907609b", 5 },	/* Core */
		{ "0x37e397fc7c91f5e4", 2 },	/* Metadata */
		{ "0x40fe3ad401f8959a", 6 },	/* BlockBuilder */
		{ "0xd2bc9897eed08f15", 3 },	/* TaggedTransactionQueue */
		{ "0xbc9d89904f5b923f", 1 },	/* AccountNonceApi */
	};
	cJSON	*v = cJSON_CreateObject(), *arr = cJSON_CreateArray(), *a;
	size_t	 i;

	cJSON_AddStringToObject(v, "specName", "serai");
	cJSON_AddStringToObject(v, "implName", "serai-devnode");
	cJSON_AddNumberToObject(v, "authoringVersion", 1);
	cJSON_AddNumberToObject(v, "specVersion", b->spec);
	cJSON_AddNumberToObject(v, "implVersion", 0);
	for (i = 0; i < sizeof(apis) / sizeof(apis[0]); i++) {
		a = cJSON_CreateArray();
		cJSON_AddItemToArray(a, cJSON_CreateString(apis[i].id));
		cJSON_AddItemToArray(a, cJSON_CreateNumber(apis[i].v));
		cJSON_AddItemToArray(arr, a);
	}
	cJSON_AddItemToObject(v, "apis", arr);
	cJSON_AddNumberToObject(v, "transactionVersion", 1);
	cJSON_AddNumberToObject(v, "stateVersion", 1);
	return v;
}

static cJSON *
unknown_block(cJSON *id, const cJSON *params, int idx)
{
	char		 msg[160];
	const cJSON	*h = cJSON_GetArrayItem(params, idx);

	snprintf(msg, sizeof(msg), "Client error: UnknownBlock: Header was "
	    "not found in the database: %.80s", cJSON_IsString(h) ?
	    h->valuestring : "?");
	return rpc_error(id, 4003, msg, NULL);
}

static const char *const methods[] = {
	"author_pendingExtrinsics", "author_submitExtrinsic",
	"chain_getBlock", "chain_getBlockHash", "chain_getFinalisedHead",
	"chain_getFinalizedHead", "chain_getHead", "chain_getHeader",
	"chain_getRuntimeVersion", "dev_expected", "dev_fault",
	"dev_participants", "dev_pause", "dev_produce", "dev_producedAt",
	"dev_status",
	"rpc_methods",
	"state_call",
	"state_getMetadata", "state_getRuntimeVersion", "state_getStorage",
	"state_getStorageAt", "system_chain", "system_chainType",
	"system_health", "system_name", "system_properties",
	"system_version",
};

static cJSON *
rpc_call(cJSON *req)
{
	const cJSON			*jv, *m, *params, *p0, *it;
	cJSON				*id, *res, *arr;
	const struct chain_block	*b;
	const char			*method;
	char				 msg[256], data[128];
	uint8_t				*bin, hash[32];
	const uint8_t			*md;
	size_t				 n, mdlen, i;
	uint64_t			 num;
	int				 bad, rc;

	id = cJSON_GetObjectItemCaseSensitive(req, "id");
	jv = cJSON_GetObjectItemCaseSensitive(req, "jsonrpc");
	m = cJSON_GetObjectItemCaseSensitive(req, "method");
	if (!cJSON_IsObject(req) || !cJSON_IsString(jv) ||
	    strcmp(jv->valuestring, "2.0") != 0 || !cJSON_IsString(m) ||
	    (id != NULL && !cJSON_IsNumber(id) && !cJSON_IsString(id) &&
	    !cJSON_IsNull(id)))
		return rpc_error(NULL, -32600, "Invalid request", NULL);
	method = m->valuestring;
	params = cJSON_GetObjectItemCaseSensitive(req, "params");
	if (params != NULL && !cJSON_IsArray(params) &&
	    !cJSON_IsNull(params) && !cJSON_IsObject(params))
		return rpc_error(id, -32602, "Invalid params", NULL);
	p0 = cJSON_IsArray(params) ? cJSON_GetArrayItem(params, 0) : NULL;
	ncalls++;
	if (strncmp(method, "dev_", 4) != 0)
		dev_only = 0;
	log_debug("call %s", method);
	if (id == NULL)
		return NULL;		/* a notification: no answer */
	if (faults.errors > 0 && strncmp(method, "dev_", 4) != 0) {
		faults.errors--;
		return rpc_error(id, faults.error_code, "Internal error",
		    "injected by devnode");
	}

	if (strcmp(method, "chain_getFinalizedHead") == 0 ||
	    strcmp(method, "chain_getFinalisedHead") == 0 ||
	    strcmp(method, "chain_getHead") == 0)
		return rpc_result(id, hexj(chain_block(chain,
		    chain_head(chain))->hash, 32));

	if (strcmp(method, "chain_getBlockHash") == 0) {
		if (p0 == NULL || cJSON_IsNull(p0))
			return rpc_result(id, hexj(chain_block(chain,
			    chain_head(chain))->hash, 32));
		if (cJSON_IsArray(p0)) {
			arr = cJSON_CreateArray();
			cJSON_ArrayForEach(it, p0) {
				if (parse_number(it, &num) == -1) {
					cJSON_Delete(arr);
					return rpc_error(id, -32602,
					    "Invalid params", NULL);
				}
				b = num <= UINT32_MAX ? chain_block(chain,
				    (uint32_t)num) : NULL;
				cJSON_AddItemToArray(arr, b && !b->hole ?
				    hexj(b->hash, 32) : cJSON_CreateNull());
			}
			return rpc_result(id, arr);
		}
		if (parse_number(p0, &num) == -1)
			return rpc_error(id, -32602, "Invalid params",
			    "a block number");
		b = num <= UINT32_MAX ? chain_block(chain, (uint32_t)num) :
		    NULL;
		return rpc_result(id, b && !b->hole ? hexj(b->hash, 32) :
		    NULL);
	}

	if (strcmp(method, "chain_getHeader") == 0 ||
	    strcmp(method, "chain_getBlock") == 0) {
		if ((b = at_block(params, 0, &bad)) == NULL)
			return bad ? rpc_error(id, -32602, "Invalid params",
			    "a block hash") : rpc_result(id, NULL);
		if (method[9] == 'H')
			return rpc_result(id, header_json(b));
		res = cJSON_CreateObject();
		arr = cJSON_CreateObject();
		cJSON_AddItemToObject(arr, "header", header_json(b));
		cJSON *xs = cJSON_CreateArray();
		for (i = 0; i < b->nxt; i++)
			cJSON_AddItemToArray(xs, hexj(b->xts[i],
			    b->xt_len[i]));
		cJSON_AddItemToObject(arr, "extrinsics", xs);
		cJSON_AddItemToObject(res, "block", arr);
		cJSON_AddNullToObject(res, "justifications");
		return rpc_result(id, res);
	}

	if (strcmp(method, "state_getStorage") == 0 ||
	    strcmp(method, "state_getStorageAt") == 0) {
		if (!cJSON_IsString(p0) || hex_decode_alloc(p0->valuestring, &bin,
		    &n) == -1)
			return rpc_error(id, -32602, "Invalid params",
			    "a storage key");
		if ((b = at_block(params, 1, &bad)) == NULL) {
			free(bin);
			return bad ? rpc_error(id, -32602, "Invalid params",
			    "a block hash") : unknown_block(id, params, 1);
		}
		res = NULL;
		if (n == 33 && memcmp(bin, key_participants, 32) == 0) {
			uint8_t	*pv;
			size_t	 pl;

			if (chain_participants(chain, b->number, bin[32], &pv,
			    &pl, NULL) == 1)
				res = hexj(pv, pl);
			free(pv);
		} else if (n == 32 && memcmp(bin, key_events, 32) == 0)
			res = hexj(b->events, b->events_len);
		else if (n == 32 && memcmp(bin, key_now, 32) == 0) {
			uint8_t le[8];

			for (i = 0; i < 8; i++)
				le[i] = (uint8_t)(b->time_ms >> 8 * i);
			res = hexj(le, 8);
		} else if (n == 32 && (memcmp(bin, key_number, 32) == 0 ||
		    memcmp(bin, key_evcount, 32) == 0)) {
			struct scale_reader r;
			uint8_t le[4];

			num = b->number;
			if (bin[16] == key_evcount[16]) {
				scale_reader_init(&r, b->events,
				    b->events_len);
				scale_read_compact(&r, &num);
			}
			for (i = 0; i < 4; i++)
				le[i] = (uint8_t)(num >> 8 * i);
			res = hexj(le, 4);
		}
		free(bin);
		return rpc_result(id, res);
	}

	if (strcmp(method, "state_getMetadata") == 0) {
		if ((b = at_block(params, 0, &bad)) == NULL)
			return bad ? rpc_error(id, -32602, "Invalid params",
			    NULL) : unknown_block(id, params, 0);
		if ((md = chain_metadata(chain, b->spec, meta_version,
		    &mdlen)) == NULL)
			return rpc_error(id, -32603, "Internal error", NULL);
		return rpc_result(id, hexj(md, mdlen));
	}

	if (strcmp(method, "state_getRuntimeVersion") == 0 ||
	    strcmp(method, "chain_getRuntimeVersion") == 0) {
		if ((b = at_block(params, 0, &bad)) == NULL)
			return bad ? rpc_error(id, -32602, "Invalid params",
			    NULL) : unknown_block(id, params, 0);
		return rpc_result(id, version_json(b));
	}

	if (strcmp(method, "state_call") == 0) {
		const cJSON	*p1 = cJSON_GetArrayItem(params, 1);
		uint32_t	 ver = 0;

		if (!cJSON_IsString(p0) || !cJSON_IsString(p1) ||
		    hex_decode_alloc(p1->valuestring, &bin, &n) == -1)
			return rpc_error(id, -32602, "Invalid params", NULL);
		if ((b = at_block(params, 2, &bad)) == NULL) {
			free(bin);
			return bad ? rpc_error(id, -32602, "Invalid params",
			    NULL) : unknown_block(id, params, 2);
		}
		if (n == 4)
			ver = (uint32_t)bin[0] | (uint32_t)bin[1] << 8 |
			    (uint32_t)bin[2] << 16 | (uint32_t)bin[3] << 24;
		free(bin);
		if (strcmp(p0->valuestring, "Metadata_metadata_versions") == 0)
			return rpc_result(id,
			    cJSON_CreateString("0x080e0000000f000000"));
		if (strcmp(p0->valuestring, "Metadata_metadata_at_version") ==
		    0) {
			struct scale_writer w;

			if (ver != 14 && ver != 15)
				return rpc_result(id,
				    cJSON_CreateString("0x00"));
			md = chain_metadata(chain, b->spec, ver, &mdlen);
			scale_writer_init(&w);
			scale_put_u8(&w, 1);
			scale_put_bytes(&w, md, mdlen);
			res = hexj(w.buf, w.len);
			scale_writer_free(&w);
			return rpc_result(id, res);
		}
		snprintf(msg, sizeof(msg), "Client error: Execution failed: "
		    "Other: Exported method %.64s is not found",
		    p0->valuestring);
		return rpc_error(id, 4003, msg, NULL);
	}

	if (strcmp(method, "author_submitExtrinsic") == 0) {
		if (!cJSON_IsString(p0) || hex_decode_alloc(p0->valuestring, &bin,
		    &n) == -1)
			return rpc_error(id, -32602, "Invalid params",
			    "invalid hex bytes");
		rc = chain_submit(chain, bin, n, hash, msg, sizeof(msg), data,
		    sizeof(data));
		free(bin);
		if (rc != CHAIN_SUBMIT_OK) {
			log_info("extrinsic refused: %d %s %s", rc, msg, data);
			return rpc_error(id, rc, msg, data);
		}
		log_info("extrinsic accepted, %zu pending",
		    chain_pending(chain));
		return rpc_result(id, hexj(hash, 32));
	}

	if (strcmp(method, "author_pendingExtrinsics") == 0)
		return rpc_result(id, cJSON_CreateArray());

	if (strcmp(method, "system_chain") == 0)
		return rpc_result(id, cJSON_CreateString("Serai Devnode"));
	if (strcmp(method, "system_name") == 0)
		return rpc_result(id, cJSON_CreateString("serai-devnode"));
	if (strcmp(method, "system_version") == 0)
		return rpc_result(id, cJSON_CreateString(VERSION));
	if (strcmp(method, "system_chainType") == 0)
		return rpc_result(id, cJSON_CreateString("Development"));
	if (strcmp(method, "system_properties") == 0) {
		res = cJSON_CreateObject();
		cJSON_AddNumberToObject(res, "ss58Format", 42);
		cJSON_AddNumberToObject(res, "tokenDecimals", 8);
		cJSON_AddStringToObject(res, "tokenSymbol", "SRI");
		return rpc_result(id, res);
	}
	if (strcmp(method, "system_health") == 0) {
		res = cJSON_CreateObject();
		cJSON_AddFalseToObject(res, "isSyncing");
		cJSON_AddNumberToObject(res, "peers", 0);
		cJSON_AddFalseToObject(res, "shouldHavePeers");
		return rpc_result(id, res);
	}
	if (strcmp(method, "rpc_methods") == 0) {
		res = cJSON_CreateObject();
		arr = cJSON_CreateArray();
		for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
			cJSON_AddItemToArray(arr,
			    cJSON_CreateString(methods[i]));
		cJSON_AddItemToObject(res, "methods", arr);
		cJSON_AddNumberToObject(res, "version", 1);
		return rpc_result(id, res);
	}

	if (strcmp(method, "dev_fault") == 0) {
		if (!cJSON_IsArray(params) || cJSON_GetArraySize(params) == 0)
			return rpc_error(id, -32602, "Invalid params",
			    "fault specs");
		cJSON_ArrayForEach(it, params) {
			if (!cJSON_IsString(it))
				return rpc_error(id, -32602, "Invalid params",
				    "fault specs are strings");
			if (fault_apply(it->valuestring, msg, sizeof(msg)) ==
			    -1)
				return rpc_error(id, -32602, "Invalid params",
				    msg);
		}
		return rpc_result(id, cJSON_CreateTrue());
	}
	if (strcmp(method, "dev_produce") == 0) {
		num = 1;
		if (p0 != NULL && (parse_number(p0, &num) == -1 ||
		    num > 1000000))
			return rpc_error(id, -32602, "Invalid params",
			    "a block count");
		produce((unsigned long)num);
		return rpc_result(id, cJSON_CreateNumber(chain_head(chain)));
	}
	if (strcmp(method, "dev_pause") == 0) {
		if (p0 != NULL && !cJSON_IsBool(p0))
			return rpc_error(id, -32602, "Invalid params",
			    "true or false");
		if (p0 != NULL && paused != cJSON_IsTrue(p0)) {
			paused = cJSON_IsTrue(p0);
			next_block = now_ms() + interval_ms;
			log_info("block production %s", paused ? "paused" :
			    "resumed");
		}
		return rpc_result(id, cJSON_CreateBool(paused));
	}
	if (strcmp(method, "dev_expected") == 0) {
		if (parse_number(p0, &num) == -1)
			return rpc_error(id, -32602, "Invalid params",
			    "a block number");
		return rpc_result(id, num <= UINT32_MAX ?
		    chain_expected(chain, (uint32_t)num) : NULL);
	}
	if (strcmp(method, "dev_participants") == 0) {
		const cJSON	*p1 = cJSON_GetArrayItem(params, 1);
		uint64_t	 net;
		uint8_t		*pv;
		size_t		 pl;

		if (parse_number(p0, &num) == -1 || p1 == NULL ||
		    parse_number(p1, &net) == -1 || net > 3 ||
		    num > UINT32_MAX)
			return rpc_error(id, -32602, "Invalid params",
			    "a block number and a network");
		res = NULL;
		if (chain_participants(chain, (uint32_t)num, (uint8_t)net, &pv,
		    &pl, &res) == -1)
			return rpc_error(id, -32603, "Internal error", NULL);
		free(pv);
		return rpc_result(id, res);
	}
	if (strcmp(method, "dev_producedAt") == 0) {
		if (parse_number(p0, &num) == -1)
			return rpc_error(id, -32602, "Invalid params",
			    "a block number");
		b = num <= UINT32_MAX ? chain_block(chain, (uint32_t)num) :
		    NULL;
		return rpc_result(id, b ? cJSON_CreateNumber((double)
		    b->produced_ms) : NULL);
	}
	if (strcmp(method, "dev_status") == 0) {
		res = cJSON_CreateObject();
		b = chain_block(chain, chain_head(chain));
		cJSON_AddNumberToObject(res, "head", b->number);
		cJSON_AddNumberToObject(res, "finalized", b->number);
		cJSON_AddNumberToObject(res, "specVersion", b->spec);
		cJSON_AddNumberToObject(res, "headProducedAt",
		    (double)b->produced_ms);
		cJSON_AddNumberToObject(res, "pending", chain_pending(chain));
		cJSON_AddNumberToObject(res, "requests", (double)nrequests);
		cJSON_AddNumberToObject(res, "calls", (double)ncalls);
		cJSON_AddNumberToObject(res, "intervalMs", interval_ms);
		cJSON_AddBoolToObject(res, "paused", paused);
		return rpc_result(id, res);
	}
	snprintf(msg, sizeof(msg), "Method not found: %.100s", method);
	return rpc_error(id, -32601, "Method not found", NULL);
}

/* ------------------------------------------------------------ main */

int
main(int argc, char **argv)
{
	const char	*addr = "127.0.0.1:9944", *urlfile = NULL;
	const char	*vfile = NULL;
	char		 err[256];
	struct pollfd	*pfd;
	uint64_t	 seed = 1, now, wait;
	unsigned long	 backlog = 0;
	const char	*faultv[64];
	size_t		 nfault = 0, i, k;
	int		 ch, verbose = LOG_LVL_INFO, readyfd = -1, lfd, port;
	int		 timeout;
	char		*end;

	log_init("devnode", LOG_LVL_INFO);
	while ((ch = getopt(argc, argv, "a:A:d:F:hi:m:n:Pqs:vV:")) != -1) {
		switch (ch) {
		case 'a':
			addr = optarg;
			break;
		case 'A':
			urlfile = optarg;
			break;
		case 'd':
			readyfd = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || readyfd < 0)
				usage();
			break;
		case 'F':
			if (nfault == sizeof(faultv) / sizeof(faultv[0]))
				usage();
			faultv[nfault++] = optarg;
			break;
		case 'i':
			if (parse_ms(optarg, &interval_ms) == -1)
				fatalx(EX_PERM, "bad interval %s (want e.g. "
				    "500ms, 2s, 0)", optarg);
			break;
		case 'm':
			meta_version = (unsigned)strtoul(optarg, &end, 10);
			if (*end != '\0' || (meta_version != 14 &&
			    meta_version != 15))
				fatalx(EX_PERM, "bad metadata version %s "
				    "(14 or 15)", optarg);
			break;
		case 'n':
			errno = 0;
			backlog = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || backlog > 10000000)
				fatalx(EX_PERM, "bad block count %s", optarg);
			break;
		case 'q':
			verbose--;
			break;
		case 's':
			errno = 0;
			seed = strtoull(optarg, &end, 10);
			if (errno != 0 || *end != '\0')
				fatalx(EX_PERM, "bad seed %s", optarg);
			break;
		case 'v':
			verbose++;
			break;
		case 'V':
			vfile = optarg;
			break;
		case 'P':
			paused = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_setlevel(verbose);
	sig_setup(0);

	meta_storage_key("System", "Events", key_events);
	meta_storage_key("System", "Number", key_number);
	meta_storage_key("System", "EventCount", key_evcount);
	meta_storage_key("Timestamp", "Now", key_now);
	meta_storage_key("ValidatorSets", "Participants", key_participants);
	if ((chain = chain_new(seed, interval_ms)) == NULL)
		fatalx(EX_TEMP, "cannot create the chain");
	if (vfile != NULL)
		load_validators(vfile);
	for (i = 0; i < nfault; i++)
		if (fault_apply(faultv[i], err, sizeof(err)) == -1)
			fatalx(EX_PERM, "%s", err);
	produce(backlog);
	lfd = listen_on(addr, &port);
	if (urlfile != NULL)
		write_url(urlfile, port);
	if (interval_ms > 0)
		log_info("listening on port %d; %u blocks finalized, one every "
		    "%u ms", port, chain_head(chain) + 1, interval_ms);
	else
		log_info("listening on port %d; %u blocks finalized, more on "
		    "dev_produce", port, chain_head(chain) + 1);
	ready_notify(readyfd);

	if ((pfd = calloc(MAX_CONNS + 2, sizeof(*pfd))) == NULL)
		fatal(EX_TEMP, "calloc");
	next_block = now_ms() + interval_ms;
	while (!sig_term) {
		now = now_ms();
		if (interval_ms > 0 && !paused && now >= next_block) {
			produce(1);
			log_debug("block %u", chain_head(chain));
			next_block += interval_ms;
			if (next_block <= now)
				next_block = now + interval_ms;
		}
		timeout = interval_ms > 0 && !paused ? (int)(next_block - now) :
		    -1;
		pfd[0].fd = lfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = sig_fd();
		pfd[1].events = POLLIN;
		for (i = 0; i < nconns; i++) {
			struct conn *c = &conns[i];

			pfd[2 + i].fd = c->fd;
			pfd[2 + i].events = 0;
			if (c->outlen > 0) {
				if (c->send_at <= now)
					pfd[2 + i].events = POLLOUT;
				else {
					wait = c->send_at - now;
					if (timeout < 0 || wait < (uint64_t)timeout)
						timeout = (int)wait;
				}
			} else if (!c->eof)
				pfd[2 + i].events = POLLIN;
		}
		if (poll(pfd, 2 + nconns, timeout) == -1) {
			if (errno == EINTR)
				continue;
			fatal(EX_TEMP, "poll");
		}
		if (pfd[1].revents)
			sig_drain();
		/* walk backwards: conn_close moves the last into the hole */
		for (k = nconns; k-- > 0;) {
			struct conn	*c = &conns[k];
			short		 re = pfd[2 + k].revents;
			int		 drop = 0, round;

			if (re & (POLLERR | POLLNVAL))
				drop = 1;
			if (!drop && (re & (POLLIN | POLLHUP)) &&
			    conn_read(c) == -1)
				c->eof = 1;
			/* answer what is complete, pipelined requests too */
			for (round = 0; !drop && round < 64; round++) {
				if (c->outlen == 0 && conn_process(c) == -1)
					drop = 1;
				if (drop || c->outlen == 0 ||
				    c->send_at > now_ms())
					break;
				if (conn_write(c) == -1)
					drop = 1;
				if (c->outlen > 0)
					break;	/* socket full */
			}
			if (!drop && c->eof && c->outlen == 0)
				drop = 1;
			if (drop)
				conn_close(c);
		}
		if (pfd[0].revents & POLLIN)
			conn_accept(lfd);
	}
	log_info("exiting on signal; served %lu requests, %lu calls",
	    nrequests, ncalls);
	while (nconns > 0)
		conn_close(&conns[nconns - 1]);
	close(lfd);
	free(pfd);
	chain_free(chain);
	return 0;
}

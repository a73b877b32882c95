/*
 * p2ptool: a small libp2p node for interop tests and benchmarks.  It
 * listens or dials with a given identity, accepts only the listed peers,
 * sends N messages on /serai/coordinator/1.0.0 and some pings, acknowledges
 * what it receives, and prints one line per event on stdout:
 *
 *	listening MULTIADDR
 *	connected PEERID in|out
 *	muxer PEERID /yamux/1.0.0 mss=N	(N: multistream-select rounds
 *			for the connection; 1 when the muxer was agreed in the
 *			Noise handshake)
 *	recv PEERID INTENT LEN TEXT
 *	ack PEERID INTENT
 *	reject PEERID INTENT REASON
 *	pong PEERID RTT_MS
 *	closed PEERID|ADDR REASON
 *	ackq PEERID max=BYTES paused=N	(at close: acknowledgements queued
 *			at most, times we stopped reading for them; -Q bounds)
 *	latency p50 US p99 US	(-L: one message at a time)
 *	done MS		(first message sent to last acknowledged)
 *	cpu USER_MS SYS_MS	(-C: at exit, the CPU time used)
 *
 * p2ptool -B prints libsodium's ChaCha20-Poly1305 speed on one core, as
 * the Noise transport uses it (65519-byte frames): the ceiling of any
 * throughput here.
 *
 * Messages and pings go to one peer at a time, the first connected; when
 * it goes, the next one to connect gets its own N messages and pings.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "hex.h"
#include "clock.h"
#include "log.h"
#include "sig.h"
#include "connector/host.h"

#define MAXPEERS	64
#define MAXDIALS	8

struct tool {
	struct host	 host;
	struct p2p_identity id;
	long		 nsend;		/* messages to send per peer */
	size_t		 size;		/* message size, 0: short text */
	long		 npings;
	long		 nexpect;	/* messages to receive before done */
	int		 exit_when_done;
	int		 dialled;
	long		 sent, acked, pongs, recvd, rejected, pings_sent;
	struct conn	*target;	/* where we send: the first peer */
	uint64_t	 coord_resets;	/* target->coord_resets seen */
	int		 lost;
	int		 quiet;
	uint64_t	 t_first, t_last;
	int		 lockstep;	/* -L: one message in flight */
	uint64_t	 t_sent_us;
	uint64_t	*lat_us;
	size_t		 nlat;
	uint8_t		*msg;		/* the message to send */
	int		 cpu;		/* -C: print CPU time used */
};

struct args {				/* the command line, beyond t's part */
	const char	*keyfile, *listen_at, *gen;
	struct multiaddr dma[MAXDIALS];
	size_t		 ndial;
	long		 timeout;
	int		 verbose, quiet;
	unsigned char	 seen[128];	/* the options given */
};

static void	usage(FILE *, int) __attribute__((noreturn));
static void	t_ready(void *, struct conn *);
static void	t_msg(void *, struct conn *, uint32_t, const uint8_t *,
		    const uint8_t *, size_t);
static void	t_oversize(void *, struct conn *, uint32_t, const uint8_t *,
		    uint64_t);
static void	t_ack(void *, struct conn *, const uint8_t *);
static void	t_reject(void *, struct conn *, const uint8_t *, int);
static void	t_pong(void *, struct conn *, uint32_t);
static void	t_closed(void *, struct conn *);
static void	t_work(struct tool *);
static int	t_done(const struct tool *);
static int	cmp_u64(const void *, const void *);
static void	parse_args(struct tool *, struct args *, int, char *[]);
static int	cmd_keygen(struct tool *, struct args *);
static int	cmd_bench(struct tool *, struct args *);
static int	cmd_id(struct tool *, struct args *);
static int	cmd_node(struct tool *, struct args *);
static void	node_start(struct tool *, struct args *);
static void	node_done(struct tool *);
static void	node_cpu(void);
static void	load_key(struct tool *, const struct args *);

static const struct conn_cb tool_cb = {
	NULL, t_ready, t_msg, t_oversize, t_ack, t_reject, t_pong
};

/* The first whose option was given runs; without any, the node. */
static const struct cmd {
	int	 opt;
	int	(*run)(struct tool *, struct args *);
} cmds[] = {
	{ 'B', cmd_bench },
	{ 'g', cmd_keygen },
	{ 'P', cmd_id },
	{ 0, cmd_node },
};

static void
usage(FILE *fp, int status)
{
	fprintf(fp,
	    "usage: p2ptool -k keyfile [-l multiaddr] [-c multiaddr]... "
	    "[-a peerid]...\n"
	    "               [-n count] [-s size] [-p pings] [-r expect] "
	    "[-m max] [-Q bytes] [-t secs]\n"
	    "               [-CLx] [-vq]\n"
	    "       p2ptool -g keyfile\n"
	    "       p2ptool -B\n"
	    "       p2ptool -P -k keyfile\n");
	exit(status);
}

static int
cmd_keygen(struct tool *t, struct args *a)
{
	struct p2p_identity id;
	uint8_t	 seed[32];
	char	 h[65];
	int	 fd;

	(void)t;
	randombytes_buf(seed, sizeof(seed));
	hex_encode(seed, 32, h);
	if ((fd = open(a->gen, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1)
		fatal(EX_PERM, "%s", a->gen);
	if (write(fd, h, 64) != 64 || write(fd, "\n", 1) != 1)
		fatal(EX_TEMP, "write %s", a->gen);
	close(fd);
	p2p_identity_from_seed(seed, &id);
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(h, sizeof(h));
	printf("%s\n", id.idstr);
	return 0;
}

static void
t_ready(void *arg, struct conn *c)
{
	struct tool *t = arg;

	printf("connected %s %s\n", c->remote_str, c->initiator ? "out" : "in");
	printf("muxer %s /yamux/1.0.0 mss=%d\n", c->remote_str, c->mss_rounds);
	if (t->target == NULL) {
		/* A new peer to work with: its own count of everything. */
		t->target = c;
		t->coord_resets = c->coord_resets;
		t->sent = t->acked = t->rejected = t->pongs = 0;
		t->pings_sent = 0;
	}
}

static void
t_msg(void *arg, struct conn *c, uint32_t sid, const uint8_t *intent,
    const uint8_t *data, size_t len)
{
	struct tool *t = arg;
	char	 ih[65], text[61];
	size_t	 i;

	hex_encode(intent, 32, ih);
	for (i = 0; i < len && i < 60; i++)
		text[i] = data[i] >= 0x20 && data[i] < 0x7f ? (char)data[i] :
		    '.';
	text[i] = '\0';
	if (!t->quiet)
		printf("recv %s %s %zu %s\n", c->remote_str, ih, len, text);
	t->recvd++;
	/* Printing it is our "durable produce": acknowledge. */
	conn_ack(c, sid, intent);
}

static void
t_oversize(void *arg, struct conn *c, uint32_t sid, const uint8_t *intent,
    uint64_t len)
{
	char	 ih[65];

	(void)arg;
	(void)sid;
	hex_encode(intent, 32, ih);
	printf("oversize %s %s %llu\n", c->remote_str, ih,
	    (unsigned long long)len);
}


static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static void
t_ack(void *arg, struct conn *c, const uint8_t *intent)
{
	struct tool *t = arg;
	char	 ih[65];

	if (t->lockstep && t->lat_us != NULL && t->nlat < (size_t)t->nsend)
		t->lat_us[t->nlat++] = clock_mono_us() - t->t_sent_us;
	hex_encode(intent, 32, ih);
	if (!t->quiet)
		printf("ack %s %s\n", c->remote_str, ih);
	t->acked++;
	t->t_last = clock_mono_ms();
}

static void
t_reject(void *arg, struct conn *c, const uint8_t *intent, int reason)
{
	struct tool *t = arg;
	char	 ih[65];

	hex_encode(intent, 32, ih);
	printf("reject %s %s %d\n", c->remote_str, ih, reason);
	t->rejected++;
}

static void
t_pong(void *arg, struct conn *c, uint32_t rtt)
{
	struct tool *t = arg;

	printf("pong %s %u\n", c->remote_str, rtt);
	t->pongs++;
}

static void
t_closed(void *arg, struct conn *c)
{
	struct tool *t = arg;

	printf("closed %s %s\n", c->authenticated ? c->remote_str : c->name,
	    c->reason[0] != '\0' ? c->reason : "-");
	if (c->announced)
		printf("ackq %s max=%zu paused=%llu\n", c->remote_str,
		    c->ackq_hiwat, (unsigned long long)c->ackq_pauses);
	if (c == t->target) {
		t->target = NULL;
		if (!t_done(t))
			t->lost = 1;
	}
	if (t->dialled && host_nconns(&t->host) <= 1 && !t_done(t))
		t->lost = 1;
}

/* Send what is left to send, as far as the queue takes it. */
static void
t_work(struct tool *t)
{
	uint8_t	 intent[32];
	size_t	 len, head;
	int	 n;

	if (t->target == NULL || t->target->state != CONN_OPEN)
		return;
	if (t->target->coord_resets != t->coord_resets) {
		/* On one stream acks come in order: the rest go again. */
		t->coord_resets = t->target->coord_resets;
		log_info("%s: the stream we send on was reset; sending %ld "
		    "message(s) again", t->target->name,
		    t->sent - t->acked - t->rejected);
		t->sent = t->acked + t->rejected;
	}
	while (t->pings_sent < t->npings && conn_ping(t->target) == 0)
		t->pings_sent++;
	len = t->size > 0 ? t->size : 128;
	if (t->msg == NULL) {
		if ((t->msg = malloc(len)) == NULL)
			fatal(EX_TEMP, "malloc");
		memset(t->msg, 'x', len);
	}
	head = len < 128 ? len : 128;
	while (t->sent < t->nsend) {
		if (t->lockstep && t->sent > t->acked + t->rejected)
			break;
		len = t->size > 0 ? t->size : 128;
		/*
		 * A long message waits here while something waits in the
		 * connection (for the window, or room in out): once it can
		 * go it is sealed straight from our buffer rather than copied
		 * into the stream's queue (see CONN_SEND_DIRECT).  Short ones
		 * are better queued: they go out many to a frame.
		 */
		if (len >= CONN_SEND_DIRECT && conn_queued(t->target) > 0)
			break;
		/* "message N from PEERID", NUL, then 'x' to the length */
		memset(t->msg, 'x', head);
		n = snprintf((char *)t->msg, len, "message %ld from %s",
		    t->sent, t->id.idstr);
		if (t->size == 0)
			len = (size_t)n < len ? (size_t)n : len - 1;
		/* the text at the head is unique: hash no more of it */
		crypto_hash_sha256(intent, t->msg, len < 128 ? len : 128);
		if (conn_send(t->target, intent, t->msg, len) == -1)
			break;
		if (t->sent == 0)
			t->t_first = clock_mono_ms();
		t->t_sent_us = clock_mono_us();
		t->sent++;
	}
}

static int
cmd_bench(struct tool *t, struct args *a)
{
	struct noise_cipher cs;
	static uint8_t pt[NOISE_PLAINMAX], ct[NOISE_MSGMAX];
	uint64_t start, now, bytes = 0;

	(void)t;
	(void)a;
	memset(&cs, 0, sizeof(cs));
	randombytes_buf(cs.k, sizeof(cs.k));
	cs.has_k = 1;
	start = clock_mono_ms();
	do {
		noise_encrypt(&cs, NULL, 0, pt, sizeof(pt), ct);
		bytes += sizeof(pt);
		now = clock_mono_ms();
	} while (now - start < 1000);
	printf("chacha20poly1305 %.1f MB/s\n", (double)bytes / 1e6 /
	    ((double)(now - start) / 1000));
	return 0;
}

static int
t_done(const struct tool *t)
{
	return t->acked + t->rejected >= t->nsend && t->pongs >= t->npings &&
	    t->recvd >= t->nexpect;
}

int
main(int argc, char *argv[])
{
	struct tool t;
	struct args a;
	const struct cmd *cmd;

	log_init("p2ptool", LOG_LVL_INFO);
	if (sodium_init() == -1)
		fatalx(EX_TEMP, "sodium_init failed");
	memset(&t, 0, sizeof(t));
	host_init(&t.host, &t.id, &tool_cb, t_closed, &t);
	parse_args(&t, &a, argc, argv);
	log_setlevel(LOG_LVL_INFO + a.verbose - (a.quiet > 0));
	t.quiet = a.quiet > 1;
	for (cmd = cmds; cmd->opt != 0 && !a.seen[cmd->opt]; cmd++)
		;
	return cmd->run(&t, &a);
}

static void
parse_args(struct tool *t, struct args *a, int argc, char *argv[])
{
	struct peerid pid;
	char	 err[512];
	int	 ch;

	memset(a, 0, sizeof(*a));
	t->host.max_msg = 1024 * 1024;
	while ((ch = getopt(argc, argv, "a:BCc:g:hk:l:Lm:n:p:PqQ:r:s:t:vx")) !=
	    -1) {
		if (ch > 0 && ch < (int)sizeof(a->seen))
			a->seen[ch] = 1;
		switch (ch) {
		case 'a':
			if (peerid_parse(optarg, &pid, err, sizeof(err)) == -1)
				fatalx(EX_PERM, "-a: %s", err);
			host_allow(&t->host, &pid);
			break;
		case 'B':
		case 'P':
			break;
		case 'C':
			t->cpu = 1;
			break;
		case 'c':
			if (a->ndial == MAXDIALS)
				fatalx(EX_PERM, "too many -c");
			if (multiaddr_parse(optarg, &a->dma[a->ndial], err,
			    sizeof(err)) == -1)
				fatalx(EX_PERM, "-c: %s", err);
			a->ndial++;
			break;
		case 'g':
			a->gen = optarg;
			break;
		case 'h':
			usage(stdout, EX_OK);
		case 'k':
			a->keyfile = optarg;
			break;
		case 'l':
			a->listen_at = optarg;
			break;
		case 'L':
			t->lockstep = 1;
			break;
		case 'm':
			t->host.max_msg = strtoul(optarg, NULL, 10);
			break;
		case 'n':
			t->nsend = strtol(optarg, NULL, 10);
			break;
		case 'p':
			t->npings = strtol(optarg, NULL, 10);
			break;
		case 'q':
			a->quiet++;
			break;
		case 'Q':
			t->host.ackq_max = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			t->nexpect = strtol(optarg, NULL, 10);
			break;
		case 's':
			t->size = strtoul(optarg, NULL, 10);
			break;
		case 't':
			a->timeout = strtol(optarg, NULL, 10);
			break;
		case 'v':
			a->verbose++;
			break;
		case 'x':
			t->exit_when_done = 1;
			break;
		default:
			usage(stderr, EX_PERM);
		}
	}
	if (optind != argc)
		usage(stderr, EX_PERM);
}

static void
load_key(struct tool *t, const struct args *a)
{
	char	 err[512];

	if (a->keyfile == NULL)
		usage(stderr, EX_PERM);
	if (p2p_identity_load(a->keyfile, &t->id, err, sizeof(err)) == -1)
		fatalx(EX_PERM, "%s", err);
}

static int
cmd_id(struct tool *t, struct args *a)
{
	load_key(t, a);
	printf("%s\n", t->id.idstr);
	return 0;
}

/* Listen and dial as told, then work until done, lost or timed out. */
static int
cmd_node(struct tool *t, struct args *a)
{
	struct pollfd pfd[HOST_MAXCONNS + 4];
	size_t	 n;
	uint64_t start, done_at = 0;

	node_start(t, a);
	start = clock_mono_ms();
	for (;;) {
		n = host_pollfds(&t->host, pfd, HOST_MAXCONNS + 2);
		pfd[n].fd = sig_fd();
		pfd[n].events = POLLIN;
		pfd[n].revents = 0;
		if (poll(pfd, n + 1, 50) == -1 && errno != EINTR)
			fatal(EX_TEMP, "poll");
		if (pfd[n].revents & POLLIN)
			sig_drain();
		if (sig_term) {
			log_info("terminating");
			break;
		}
		host_events(&t->host, pfd, n);
		t_work(t);
		host_tick(&t->host);
		if (t->lost) {
			host_free(&t->host);
			fatalx(EX_TEMP, "connection lost before the work was "
			    "done (sent %ld, acked %ld, pongs %ld, received "
			    "%ld)", t->sent, t->acked, t->pongs, t->recvd);
		}
		if (t->exit_when_done && t_done(t) && t->target != NULL &&
		    done_at == 0) {
			done_at = clock_mono_ms();
			node_done(t);
		}
		if (done_at != 0 && (host_nconns(&t->host) == 0 ||
		    clock_mono_ms() - done_at > 3000))
			break;
		if (a->timeout > 0 &&
		    clock_mono_ms() - start > (uint64_t)a->timeout * 1000) {
			host_free(&t->host);
			fatalx(EX_TEMP, "timed out after %ld s (sent %ld, acked "
			    "%ld, pongs %ld, received %ld)", a->timeout,
			    t->sent, t->acked, t->pongs, t->recvd);
		}
	}
	host_free(&t->host);
	if (t->cpu)
		node_cpu();
	free(t->msg);
	return 0;
}

static void
node_start(struct tool *t, struct args *a)
{
	struct multiaddr lma;
	char	 err[512], mas[MA_STRMAX];
	size_t	 i;

	load_key(t, a);
	if (a->listen_at == NULL && a->ndial == 0)
		usage(stderr, EX_PERM);
	if (t->host.nallowed == 0)
		fatalx(EX_PERM, "no peer allowed: give -a PEERID");
	if (t->lockstep && t->nsend > 0 &&
	    (t->lat_us = calloc((size_t)t->nsend, sizeof(uint64_t))) == NULL)
		fatal(EX_TEMP, "calloc");
	setvbuf(stdout, NULL, _IOLBF, 0);
	sig_setup(0);

	if (a->listen_at != NULL) {
		if (multiaddr_parse(a->listen_at, &lma, err, sizeof(err)) ==
		    -1)
			fatalx(EX_PERM, "-l: %s", err);
		if (host_listen(&t->host, &lma, err, sizeof(err)) == -1)
			fatalx(EX_TEMP, "%s", err);
		lma.port = t->host.listen_port;
		lma.has_peer = 1;
		lma.peer = t->id.id;
		printf("listening %s\n", multiaddr_str(&lma, mas, sizeof(mas)));
	}
	for (i = 0; i < a->ndial; i++) {
		if (host_dial(&t->host, &a->dma[i], err, sizeof(err)) == NULL)
			fatalx(EX_TEMP, "%s", err);
		t->dialled = 1;
	}
}

/* Everything sent was answered: the figures, then go away. */
static void
node_done(struct tool *t)
{
	if (t->nsend > 0 && t->t_last > t->t_first)
		log_info("%ld messages acknowledged in %llu ms", t->acked,
		    (unsigned long long)(t->t_last - t->t_first));
	if (t->lockstep && t->nlat > 0) {
		qsort(t->lat_us, t->nlat, sizeof(uint64_t), cmp_u64);
		printf("latency p50 %llu p99 %llu us\n",
		    (unsigned long long)t->lat_us[t->nlat / 2],
		    (unsigned long long)t->lat_us[t->nlat * 99 / 100]);
	}
	printf("done %llu\n", (unsigned long long)(t->t_last > t->t_first ?
	    t->t_last - t->t_first : 0));
	host_shutdown(&t->host);
}

static void
node_cpu(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) == 0)
		printf("cpu %lld %lld\n", (long long)ru.ru_utime.tv_sec * 1000 +
		    ru.ru_utime.tv_usec / 1000, (long long)ru.ru_stime.tv_sec *
		    1000 + ru.ru_stime.tv_usec / 1000);
}

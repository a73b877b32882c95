/*
 * p2p-yamux: two sessions wired back to back: streams, flow control both
 * ways (a sender stops at the window and resumes when the receiver
 * consumes), FIN and RST, pings, go-away, and malformed frames.
 */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "t/tap.h"
#include "connector/yamux.h"

struct side {
	struct yamux	 mux;
	struct yamux_stream *last;	/* last stream the peer opened */
	int		 opened, data, closed, pongs, goaway;
	uint32_t	 goaway_code;
	int		 consume;	/* take data as it comes */
	size_t		 got;
};

static void
s_open(void *arg, struct yamux_stream *st)
{
	struct side *s = arg;

	s->opened++;
	s->last = st;
}

static void
s_data(void *arg, struct yamux_stream *st)
{
	struct side *s = arg;
	size_t	 n = buf_len(&st->rx);

	s->data++;
	if (s->consume && n > 0) {
		s->got += n;
		buf_consume(&st->rx, n);
		yamux_consumed(&s->mux, st, n);
	}
}

static void
s_closed(void *arg, struct yamux_stream *st)
{
	struct side *s = arg;

	s->closed++;
	if (s->last == st)
		s->last = NULL;
}

static void
s_pong(void *arg, uint32_t rtt)
{
	struct side *s = arg;

	(void)rtt;
	s->pongs++;
}

static void
s_goaway(void *arg, uint32_t code)
{
	struct side *s = arg;

	s->goaway++;
	s->goaway_code = code;
}

static const struct yamux_cb cb = { s_open, s_data, s_closed, s_pong,
	s_goaway, NULL };

/* Move everything queued each way until quiet; -1 on a protocol error. */
static int
pump(struct side *a, struct side *b)
{
	char	 err[256];
	int	 moved = 1, i;

	for (i = 0; moved && i < 1000; i++) {
		moved = 0;
		yamux_flush(&a->mux, 8 << 20);
		yamux_flush(&b->mux, 8 << 20);
		yamux_reap(&a->mux);
		yamux_reap(&b->mux);
		if (buf_len(&a->mux.out) > 0) {
			if (yamux_input(&b->mux, buf_data(&a->mux.out),
			    buf_len(&a->mux.out), err, sizeof(err)) == -1)
				return -1;
			buf_reset(&a->mux.out);
			moved = 1;
		}
		if (buf_len(&b->mux.out) > 0) {
			if (yamux_input(&a->mux, buf_data(&b->mux.out),
			    buf_len(&b->mux.out), err, sizeof(err)) == -1)
				return -1;
			buf_reset(&b->mux.out);
			moved = 1;
		}
	}
	return 0;
}

static void
setup(struct side *a, struct side *b)
{
	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	yamux_init(&a->mux, 1, &cb, a);
	yamux_init(&b->mux, 0, &cb, b);
}

static int
bad_frame(const uint8_t *h, size_t n, const char *want)
{
	struct side a, b;
	char	 err[256] = "";
	int	 r;

	setup(&a, &b);
	r = yamux_input(&b.mux, h, n, err, sizeof(err));
	ok(r == -1 && strstr(err, want) != NULL, "refused: %s", err);
	/* a go-away with code 1 (protocol error) is queued for the peer */
	r = buf_len(&b.mux.out) >= 12 &&
	    buf_data(&b.mux.out)[buf_len(&b.mux.out) - 11] == YAMUX_GOAWAY &&
	    buf_data(&b.mux.out)[buf_len(&b.mux.out) - 1] == YAMUX_GO_PROTO;
	yamux_free(&a.mux);
	yamux_free(&b.mux);
	return r;
}

/*
 * bufq against a plain buffer: random appends and consumes, the head run
 * always matching, down to empty.
 */
static void
test_bufq(void)
{
	static uint8_t src[3 * 1024 * 1024];
	struct bufq q;
	struct buf ref = BUF_INIT;
	const uint8_t *p;
	size_t	 i, n, k, off = 0, bad = 0, maxrun = 0;

	for (i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7 + i / 251);
	bufq_init(&q);
	srand(7);
	for (i = 0; i < 4000; i++) {
		if (rand() % 2) {
			n = (size_t)rand() % (rand() % 8 == 0 ? 300000 : 2000);
			if (off + n > sizeof(src))
				off = 0;
			bufq_append(&q, src + off, n);
			buf_append(&ref, src + off, n);
			off += n;
		} else {
			p = bufq_peek(&q, &n);
			if (n > maxrun)
				maxrun = n;
			if ((n == 0) != (buf_len(&ref) == 0) ||
			    n > buf_len(&ref) ||
			    (n > 0 && memcmp(p, buf_data(&ref), n) != 0))
				bad++;
			k = n == 0 ? 0 : (size_t)rand() % (n + 1);
			if (rand() % 4 == 0)
				k = buf_len(&ref) / 2;	/* across segments */
			bufq_consume(&q, k);
			buf_consume(&ref, k);
		}
		if (bufq_len(&q) != buf_len(&ref))
			bad++;
	}
	while (bufq_len(&q) > 0) {
		p = bufq_peek(&q, &n);
		if (n == 0 || memcmp(p, buf_data(&ref), n) != 0) {
			bad++;
			break;
		}
		bufq_consume(&q, n);
		buf_consume(&ref, n);
	}
	is_int(bad, 0, "bufq agrees with a plain buffer");
	ok(maxrun <= BUFQ_SEGMAX, "no run longer than a segment (%zu)", maxrun);
	ok(TAILQ_EMPTY(&q.spares) && q.nspares == 0, "no spares once empty");
	bufq_free(&q);
	buf_free(&ref);
}

int
main(void)
{
	struct side a, b;
	struct yamux_stream *st;
	static uint8_t big[YAMUX_RECV_WINDOW + 1024 * 1024];
	char	 err[256];

	test_bufq();
	setup(&a, &b);
	st = yamux_open(&a.mux);
	ok(st != NULL && st->id == 1, "client's first stream is 1");
	yamux_write(&a.mux, st, "hello", 5);
	ok(pump(&a, &b) == 0, "exchange");
	is_int(b.opened, 1, "server saw the stream");
	ok(b.last != NULL && b.last->id == 1 && buf_len(&b.last->rx) == 5 &&
	    memcmp(buf_data(&b.last->rx), "hello", 5) == 0, "data arrived");
	ok(st->flags & YS_ACKED, "client got the ACK");
	{
		struct yamux_stream *s2 = yamux_open(&b.mux);

		ok(s2 != NULL && s2->id == 2, "server's first stream is 2");
	}

	/* flow control: 1 MiB more than the window, no consumer */
	memset(big, 'q', sizeof(big));
	yamux_write(&a.mux, st, big, sizeof(big));
	pump(&a, &b);
	is_int(buf_len(&b.last->rx), YAMUX_RECV_WINDOW,
	    "receiver holds exactly the window it granted");
	is_int(st->send_window, 0, "sender's window is exhausted");
	is_int(b.last->recv_max, YAMUX_RECV_WINDOW, "no growth while unread");
	ok(bufq_len(&st->tx) == sizeof(big) - (YAMUX_RECV_WINDOW - 5),
	    "the rest waits at the sender");
	/* consume: window updates flow, the rest comes */
	b.consume = 1;
	{
		size_t	 n = buf_len(&b.last->rx);

		buf_consume(&b.last->rx, n);
		yamux_consumed(&b.mux, b.last, n);
		b.got = n;
	}
	pump(&a, &b);
	is_int(b.got, 5 + sizeof(big), "everything arrived once consumed");
	ok(b.last->recv_max > YAMUX_RECV_WINDOW &&
	    b.last->recv_max <= YAMUX_RECV_WINDOW_MAX &&
	    b.mux.growth == b.last->recv_max - YAMUX_RECV_WINDOW,
	    "a consumer that keeps up grows its window (%u)",
	    b.last->recv_max);
	is_int(bufq_len(&st->tx), 0, "sender's queue drained");

	/* ping */
	ok(yamux_ping(&a.mux, clock_mono_ms()) == 0, "ping sent");
	ok(yamux_ping(&a.mux, clock_mono_ms()) == -1, "one ping at a time");
	pump(&a, &b);
	is_int(a.pongs, 1, "pong came back");

	/* half close both ways */
	yamux_close(&a.mux, st);
	pump(&a, &b);
	ok(b.last != NULL && (b.last->flags & YS_RFIN), "server saw FIN");
	yamux_close(&b.mux, b.last);
	pump(&a, &b);
	is_int(a.closed, 1, "client's stream closed after both FINs");
	is_int(b.closed, 1, "server's too");

	/* reset */
	st = yamux_open(&a.mux);
	pump(&a, &b);
	yamux_reset(&b.mux, b.last);
	yamux_reap(&b.mux);
	pump(&a, &b);
	is_int(a.closed, 2, "reset closes the stream at the peer");

	/* go-away */
	yamux_goaway(&a.mux, YAMUX_GO_NORMAL);
	pump(&a, &b);
	is_int(b.goaway, 1, "go-away received");
	ok(yamux_open(&b.mux) == NULL, "no new streams after go-away");
	yamux_free(&a.mux);
	yamux_free(&b.mux);

	/* window exceeded: a peer that ignores our window */
	setup(&a, &b);
	st = yamux_open(&a.mux);
	pump(&a, &b);
	st->send_window = 2 * YAMUX_RECV_WINDOW;	/* cheat */
	yamux_write(&a.mux, st, big, YAMUX_RECV_WINDOW + 1024);
	yamux_flush(&a.mux, 2 * YAMUX_RECV_WINDOW);
	ok(yamux_input(&b.mux, buf_data(&a.mux.out), buf_len(&a.mux.out), err,
	    sizeof(err)) == -1 && strstr(err, "receive window") != NULL,
	    "data beyond the window refused: %s", err);
	yamux_free(&a.mux);
	yamux_free(&b.mux);

	/* malformed headers */
	ok(bad_frame((const uint8_t *)"\x01\x00\x00\x00\x00\x00\x00\x01"
	    "\x00\x00\x00\x00", 12, "version"), "bad version: go-away 1");
	ok(bad_frame((const uint8_t *)"\x00\x07\x00\x00\x00\x00\x00\x01"
	    "\x00\x00\x00\x00", 12, "type"), "bad type: go-away 1");
	ok(bad_frame((const uint8_t *)"\x00\x00\x00\x00\x00\x00\x00\x00"
	    "\x00\x00\x00\x01x", 13, "stream 0"), "data on stream 0");
	ok(bad_frame((const uint8_t *)"\x00\x01\x00\x01\x00\x00\x00\x02"
	    "\x00\x00\x00\x00", 12, "parity"), "server-parity id from client");
	ok(bad_frame((const uint8_t *)"\x00\x02\x00\x00\x00\x00\x00\x03"
	    "\x00\x00\x00\x00", 12, "ping on stream"), "ping on a stream");
	ok(bad_frame((const uint8_t *)"\x00\x02\x00\x00\x00\x00\x00\x00"
	    "\x00\x00\x00\x00", 12, "ping without"), "ping without flags");
	{
		/* data for an unknown stream is skipped, not fatal */
		setup(&a, &b);
		ok(yamux_input(&b.mux, (const uint8_t *)"\x00\x00\x00\x00\x00"
		    "\x00\x00\x09\x00\x00\x00\x03" "abc", 15, err,
		    sizeof(err)) == 0, "data for an unknown stream skipped");
		ok(yamux_input(&b.mux, (const uint8_t *)"\x00\x02\x00\x02"
		    "\x00\x00\x00\x00\x00\x00\x00\x63", 12, err, sizeof(err))
		    == 0, "unsolicited pong ignored");
		yamux_free(&a.mux);
		yamux_free(&b.mux);
	}
	return done_testing();
}

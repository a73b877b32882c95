/*
 * Fuzz yamux: arbitrary bytes into a session (client or server, picked by
 * the first byte), in two pieces, with a consumer that takes data, opens
 * and closes streams as it goes, and (bit 3 of the first byte) takes some
 * bytes on arrival before they reach rx.  Nothing may crash, leak or
 * overrun a window.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "connector/yamux.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
f_open(void *arg, struct yamux_stream *st)
{
	(void)arg;
	(void)st;
}

static void
f_data(void *arg, struct yamux_stream *st)
{
	struct yamux *mux = arg;
	size_t	 n = buf_len(&st->rx);

	if (buf_len(&st->rx) > st->recv_max)
		abort();	/* more than the window was buffered */
	if (n > 0 && (buf_data(&st->rx)[0] & 1)) {
		buf_consume(&st->rx, n);
		yamux_consumed(mux, st, n);
		yamux_write(mux, st, "echo", 4);
	}
	if (st->flags & YS_RFIN)
		yamux_close(mux, st);
}

static void
f_closed(void *arg, struct yamux_stream *st)
{
	(void)arg;
	(void)st;
}

static void
f_pong(void *arg, uint32_t rtt)
{
	(void)arg;
	(void)rtt;
}

static void
f_goaway(void *arg, uint32_t code)
{
	(void)arg;
	(void)code;
}

/* On arrival: all of it when it starts with an odd byte, else half. */
static size_t
f_take(void *arg, struct yamux_stream *st, const uint8_t *p, size_t n)
{
	struct yamux *mux = arg;
	size_t	 k = (p[0] & 1) ? n : n / 2;

	if (buf_len(&st->rx) != 0)
		abort();	/* offered with bytes waiting before them */
	yamux_consumed(mux, st, k);
	return k;
}

static const struct yamux_cb cb = { f_open, f_data, f_closed, f_pong,
	f_goaway, NULL };
static const struct yamux_cb cb_take = { f_open, f_data, f_closed, f_pong,
	f_goaway, f_take };

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	struct yamux mux;
	char	 err[256];
	size_t	 half;

	if (n < 1)
		return 0;
	yamux_init(&mux, p[0] & 1, (p[0] & 8) ? &cb_take : &cb, &mux);
	if (p[0] & 2)
		(void)yamux_open(&mux);
	if (p[0] & 4)
		(void)yamux_ping(&mux, 0);
	p++;
	n--;
	half = n / 2;
	if (yamux_input(&mux, p, half, err, sizeof(err)) == 0) {
		yamux_flush(&mux, 1 << 20);
		yamux_reap(&mux);
		(void)yamux_input(&mux, p + half, n - half, err, sizeof(err));
	}
	yamux_flush(&mux, 1 << 20);
	yamux_reap(&mux);
	yamux_free(&mux);
	return 0;
}

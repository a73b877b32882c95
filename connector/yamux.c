/*
 * yamux: stream multiplexing (see yamux.h and the yamux spec).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "connector/yamux.h"

static void	hdr_put(uint8_t *, int, int, uint32_t, uint32_t);
static void	put_hdr(struct yamux *, int, int, uint32_t, uint32_t);
static struct yamux_stream *stream_new(struct yamux *, uint32_t, int);
static void	stream_check_closed(struct yamux_stream *);
static int	handle_header(struct yamux *, char *, size_t);
static void	apply_flags(struct yamux *, struct yamux_stream *, int);
static int	proto_error(struct yamux *, char *, size_t, const char *, ...)
		    __attribute__((format(printf, 4, 5)));


void
yamux_init(struct yamux *mux, int client, const struct yamux_cb *cb,
    void *arg)
{
	memset(mux, 0, sizeof(*mux));
	mux->client = client;
	mux->next_id = client ? 1 : 2;
	TAILQ_INIT(&mux->streams);
	buf_init(&mux->out);
	mux->cb = cb;
	mux->cbarg = arg;
}

void
yamux_free(struct yamux *mux)
{
	struct yamux_stream *st;

	while ((st = TAILQ_FIRST(&mux->streams)) != NULL) {
		TAILQ_REMOVE(&mux->streams, st, entry);
		if (mux->cb != NULL && mux->cb->stream_closed != NULL)
			mux->cb->stream_closed(mux->cbarg, st);
		buf_free(&st->rx);
		bufq_free(&st->tx);
		free(st);
	}
	mux->nstreams = 0;
	mux->growth = 0;
	mux->data_st = NULL;
	buf_free(&mux->out);
}

static void
put_hdr(struct yamux *mux, int type, int flags, uint32_t id, uint32_t len)
{
	hdr_put(buf_reserve(&mux->out, YAMUX_HDRLEN), type, flags, id, len);
	buf_commit(&mux->out, YAMUX_HDRLEN);
}

static void
hdr_put(uint8_t *h, int type, int flags, uint32_t id, uint32_t len)
{
	h[0] = 0;
	h[1] = (uint8_t)type;
	h[2] = (uint8_t)(flags >> 8);
	h[3] = (uint8_t)flags;
	h[4] = (uint8_t)(id >> 24);
	h[5] = (uint8_t)(id >> 16);
	h[6] = (uint8_t)(id >> 8);
	h[7] = (uint8_t)id;
	h[8] = (uint8_t)(len >> 24);
	h[9] = (uint8_t)(len >> 16);
	h[10] = (uint8_t)(len >> 8);
	h[11] = (uint8_t)len;
}

static struct yamux_stream *
stream_new(struct yamux *mux, uint32_t id, int flags)
{
	struct yamux_stream *st;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		fatal(EX_TEMP, "yamux: calloc");
	st->id = id;
	st->flags = flags;
	st->send_window = YAMUX_WINDOW;
	st->recv_window = YAMUX_RECV_WINDOW;	/* granted in SYN/ACK */
	st->recv_max = YAMUX_RECV_WINDOW;
	buf_init(&st->rx);
	bufq_init(&st->tx);
	TAILQ_INSERT_TAIL(&mux->streams, st, entry);
	mux->nstreams++;
	return st;
}

struct yamux_stream *
yamux_find(struct yamux *mux, uint32_t id)
{
	struct yamux_stream *st;

	TAILQ_FOREACH(st, &mux->streams, entry)
		if (st->id == id && !(st->flags & YS_DEAD))
			return st;
	return NULL;
}

static void
stream_check_closed(struct yamux_stream *st)
{
	if ((st->flags & YS_RESET) ||
	    ((st->flags & YS_LFIN) && (st->flags & YS_RFIN)))
		st->flags |= YS_DEAD;
}

void
yamux_reap(struct yamux *mux)
{
	struct yamux_stream *st, *tmp;

	TAILQ_FOREACH_SAFE(st, &mux->streams, entry, tmp) {
		if (!(st->flags & YS_DEAD))
			continue;
		TAILQ_REMOVE(&mux->streams, st, entry);
		mux->nstreams--;
		if (mux->data_st == st)
			mux->data_st = NULL;
		mux->growth -= st->recv_max - YAMUX_RECV_WINDOW;
		if (mux->cb != NULL && mux->cb->stream_closed != NULL)
			mux->cb->stream_closed(mux->cbarg, st);
		buf_free(&st->rx);
		bufq_free(&st->tx);
		free(st);
	}
}

static int
proto_error(struct yamux *mux, char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	n = snprintf(err, errlen, "yamux: ");
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	yamux_goaway(mux, YAMUX_GO_PROTO);
	return -1;
}

static int
handle_header(struct yamux *mux, char *err, size_t errlen)
{
	const uint8_t *h = mux->hdr;
	struct yamux_stream *st;
	uint32_t id, len;
	int	 type, flags;

	if (h[0] != 0)
		return proto_error(mux, err, errlen, "frame version %u, not 0",
		    h[0]);
	type = h[1];
	flags = h[2] << 8 | h[3];
	id = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 |
	    (uint32_t)h[6] << 8 | h[7];
	len = (uint32_t)h[8] << 24 | (uint32_t)h[9] << 16 |
	    (uint32_t)h[10] << 8 | h[11];
	mux->frames_in++;

	switch (type) {
	case YAMUX_PING:
		if (id != 0)
			return proto_error(mux, err, errlen, "ping on stream "
			    "%u", id);
		if (flags & YAMUX_SYN)
			put_hdr(mux, YAMUX_PING, YAMUX_ACK, 0, len);
		else if (flags & YAMUX_ACK) {
			if (mux->ping_out && len == mux->ping_id) {
				mux->ping_out = 0;
				mux->rtt_ms = (uint32_t)(clock_mono_ms() -
				    mux->ping_sent);
				if (mux->cb != NULL && mux->cb->pong != NULL)
					mux->cb->pong(mux->cbarg, mux->rtt_ms);
			}
			/* An unsolicited pong is harmless: ignored. */
		} else
			return proto_error(mux, err, errlen, "ping without "
			    "SYN or ACK");
		return 0;
	case YAMUX_GOAWAY:
		if (id != 0)
			return proto_error(mux, err, errlen, "go-away on stream "
			    "%u", id);
		mux->remote_goaway = 1;
		if (mux->cb != NULL && mux->cb->goaway != NULL)
			mux->cb->goaway(mux->cbarg, len);
		return 0;
	case YAMUX_DATA:
	case YAMUX_WINUPDATE:
		break;
	default:
		return proto_error(mux, err, errlen, "unknown frame type %d",
		    type);
	}

	if (id == 0)
		return proto_error(mux, err, errlen, "%s frame on stream 0",
		    type == YAMUX_DATA ? "data" : "window update");
	st = yamux_find(mux, id);
	if ((flags & YAMUX_SYN) && st == NULL) {
		if ((id % 2 == 1) == mux->client)
			return proto_error(mux, err, errlen, "peer opened "
			    "stream %u with our parity", id);
		if (mux->local_goaway || mux->draining) {
			log_debug("yamux: refusing stream %u (going away)", id);
			put_hdr(mux, YAMUX_WINUPDATE, YAMUX_RST, id, 0);
		} else if (mux->nstreams >= YAMUX_MAXSTREAMS) {
			log_warnx("yamux: refusing stream %u (too many "
			    "streams)", id);
			put_hdr(mux, YAMUX_WINUPDATE, YAMUX_RST, id, 0);
		} else {
			st = stream_new(mux, id, YS_INBOUND | YS_ACKED);
			put_hdr(mux, YAMUX_WINUPDATE, YAMUX_ACK, id,
			    YAMUX_RECV_WINDOW - YAMUX_WINDOW);
			if (mux->cb != NULL && mux->cb->stream_open != NULL)
				mux->cb->stream_open(mux->cbarg, st);
			if (st->flags & YS_DEAD)
				st = NULL;
		}
	}
	if (st != NULL && (flags & YAMUX_ACK))
		st->flags |= YS_ACKED;

	if (type == YAMUX_WINUPDATE) {
		if (st != NULL)
			st->send_window += len;
	} else {
		if (st != NULL && (st->flags & YS_RFIN)) {
			log_warnx("yamux: data on stream %u after its FIN; "
			    "resetting it", id);
			yamux_reset(mux, st);
			st = NULL;
		}
		if (st != NULL && len > st->recv_window)
			return proto_error(mux, err, errlen, "stream %u: %u "
			    "bytes exceed the receive window of %u", id, len,
			    st->recv_window);
		if (st != NULL)
			st->recv_window -= len;
		mux->data_st = st;
		mux->data_left = len;
		mux->data_flags = flags;
		if (len > 0)
			return 0;	/* flags apply after the payload */
	}
	if (st != NULL)
		apply_flags(mux, st, flags);
	mux->data_st = NULL;
	return 0;
}

/* FIN and RST, once the frame (and its payload) is in. */
static void
apply_flags(struct yamux *mux, struct yamux_stream *st, int flags)
{
	if (flags & YAMUX_RST) {
		st->flags |= YS_RESET;
		bufq_reset(&st->tx);
	} else if ((flags & YAMUX_FIN) && !(st->flags & YS_RFIN))
		st->flags |= YS_RFIN;
	else
		return;
	stream_check_closed(st);
	if (mux->cb != NULL && mux->cb->stream_data != NULL)
		mux->cb->stream_data(mux->cbarg, st);
}

int
yamux_input(struct yamux *mux, const uint8_t *p, size_t n, char *err,
    size_t errlen)
{
	struct yamux_stream *st;
	size_t	 k, taken;
	int	 r = 0;

	if (mux->local_goaway == 2) {
		snprintf(err, errlen, "yamux: session failed");
		return -1;
	}
	while (n > 0) {
		if (mux->data_left > 0) {
			k = n < mux->data_left ? n : mux->data_left;
			st = mux->data_st;
			taken = 0;
			if (st != NULL && !(st->flags & (YS_DEAD | YS_RESET)) &&
			    buf_len(&st->rx) == 0 && mux->cb != NULL &&
			    mux->cb->stream_take != NULL)
				taken = mux->cb->stream_take(mux->cbarg, st,
				    p, k);
			if (st != NULL && !(st->flags & (YS_DEAD | YS_RESET)) &&
			    taken < k)
				buf_append(&st->rx, p + taken, k - taken);
			p += k;
			n -= k;
			mux->data_left -= (uint32_t)k;
			if (st == NULL || (st->flags & (YS_DEAD | YS_RESET)))
				continue;
			if (taken < k && mux->cb != NULL &&
			    mux->cb->stream_data != NULL)
				mux->cb->stream_data(mux->cbarg, st);
			if (mux->data_left == 0) {
				mux->data_st = NULL;
				if (!(st->flags & (YS_DEAD | YS_RESET)))
					apply_flags(mux, st, mux->data_flags);
			}
			continue;
		}
		k = YAMUX_HDRLEN - mux->hdrlen;
		if (k > n)
			k = n;
		memcpy(mux->hdr + mux->hdrlen, p, k);
		mux->hdrlen += k;
		p += k;
		n -= k;
		if (mux->hdrlen < YAMUX_HDRLEN)
			break;
		mux->hdrlen = 0;
		if (handle_header(mux, err, errlen) == -1) {
			mux->local_goaway = 2;
			r = -1;
			break;
		}
	}
	yamux_reap(mux);
	return r;
}

struct yamux_stream *
yamux_open(struct yamux *mux)
{
	struct yamux_stream *st;

	if (mux->local_goaway || mux->remote_goaway || mux->draining ||
	    mux->nstreams >= YAMUX_MAXSTREAMS || mux->next_id > 0xfffffffdU)
		return NULL;
	st = stream_new(mux, mux->next_id, 0);
	mux->next_id += 2;
	put_hdr(mux, YAMUX_WINUPDATE, YAMUX_SYN, st->id,
	    YAMUX_RECV_WINDOW - YAMUX_WINDOW);
	return st;
}

void
yamux_write(struct yamux *mux, struct yamux_stream *st, const void *p,
    size_t n)
{
	(void)mux;
	if (st->flags & (YS_LFIN | YS_FINQ | YS_RESET | YS_DEAD))
		return;
	bufq_append(&st->tx, p, n);
}

void
yamux_consumed(struct yamux *mux, struct yamux_stream *st, size_t n)
{
	uint32_t delta;

	st->recv_credit += (uint32_t)n;
	if (st->flags & (YS_RFIN | YS_RESET | YS_DEAD))
		return;
	if (st->recv_credit < st->recv_max / 4)
		return;
	delta = st->recv_credit;
	if (buf_len(&st->rx) == 0 && st->recv_max < YAMUX_RECV_WINDOW_MAX &&
	    mux->growth + st->recv_max <= YAMUX_GROWTH_MAX) {
		/* The consumer keeps up: let the round trip hold less back. */
		mux->growth += st->recv_max;
		delta += st->recv_max;
		st->recv_max *= 2;
	}
	put_hdr(mux, YAMUX_WINUPDATE, 0, st->id, delta);
	st->recv_window += delta;
	st->recv_credit = 0;
}

void
yamux_close(struct yamux *mux, struct yamux_stream *st)
{
	(void)mux;
	if (st->flags & (YS_LFIN | YS_RESET | YS_DEAD))
		return;
	st->flags |= YS_FINQ;
}

void
yamux_reset(struct yamux *mux, struct yamux_stream *st)
{
	if (st->flags & (YS_RESET | YS_DEAD))
		return;
	put_hdr(mux, YAMUX_WINUPDATE, YAMUX_RST, st->id, 0);
	st->flags |= YS_RESET;
	bufq_reset(&st->tx);
	stream_check_closed(st);
}

int
yamux_ping(struct yamux *mux, uint64_t now)
{
	if (mux->ping_out || mux->local_goaway)
		return -1;
	mux->ping_id++;
	mux->ping_out = 1;
	mux->ping_sent = now;
	put_hdr(mux, YAMUX_PING, YAMUX_SYN, 0, mux->ping_id);
	return 0;
}

void
yamux_goaway(struct yamux *mux, uint32_t code)
{
	if (mux->local_goaway)
		return;
	mux->local_goaway = 1;
	put_hdr(mux, YAMUX_GOAWAY, 0, 0, code);
}

void
yamux_drain(struct yamux *mux)
{
	struct yamux_stream *st;

	mux->draining = 1;
	TAILQ_FOREACH(st, &mux->streams, entry)
		yamux_close(mux, st);
}

int
yamux_next(struct yamux *mux, size_t budget, struct yamux_frame *f)
{
	struct yamux_stream *st, *tmp;
	const uint8_t *p;
	size_t	 chunk, txlen;
	int	 flags;

	TAILQ_FOREACH_SAFE(st, &mux->streams, entry, tmp) {
		if (st->flags & (YS_DEAD | YS_RESET | YS_LFIN))
			continue;
		txlen = bufq_len(&st->tx);
		if (txlen == 0) {
			if (st->flags & YS_FINQ) {
				put_hdr(mux, YAMUX_WINUPDATE, YAMUX_FIN,
				    st->id, 0);
				st->flags &= ~YS_FINQ;
				st->flags |= YS_LFIN;
				stream_check_closed(st);
			}
			continue;
		}
		if (st->send_window == 0) {
			mux->window_stalls++;
			continue;
		}
		if (budget == 0)
			continue;
		p = bufq_peek(&st->tx, &chunk);
		if (chunk > st->send_window)
			chunk = (size_t)st->send_window;
		if (chunk > YAMUX_FRAMEMAX)
			chunk = YAMUX_FRAMEMAX;
		if (chunk > budget)
			chunk = budget;
		flags = 0;
		if ((st->flags & YS_FINQ) && chunk == txlen) {
			flags = YAMUX_FIN;
			st->flags &= ~YS_FINQ;
			st->flags |= YS_LFIN;
		}
		hdr_put(f->hdr, YAMUX_DATA, flags, st->id, (uint32_t)chunk);
		f->st = st;
		f->data = p;
		f->len = chunk;
		st->send_window -= chunk;
		mux->frames_out++;
		/* Its turn is over: to the back of the line. */
		TAILQ_REMOVE(&mux->streams, st, entry);
		TAILQ_INSERT_TAIL(&mux->streams, st, entry);
		return 1;
	}
	return 0;
}

void
yamux_done(struct yamux *mux, struct yamux_frame *f)
{
	(void)mux;
	bufq_consume(&f->st->tx, f->len);
	stream_check_closed(f->st);
	f->data = NULL;
}

int
yamux_direct(struct yamux *mux, struct yamux_stream *st, size_t n)
{
	(void)mux;
	if ((st->flags & (YS_LFIN | YS_FINQ | YS_RESET | YS_DEAD)) ||
	    bufq_len(&st->tx) > 0 || st->send_window < n)
		return 0;
	st->send_window -= n;
	return 1;
}

void
yamux_data_hdr(struct yamux *mux, struct yamux_stream *st, size_t n,
    uint8_t hdr[YAMUX_HDRLEN])
{
	hdr_put(hdr, YAMUX_DATA, 0, st->id, (uint32_t)n);
	mux->frames_out++;
}

void
yamux_flush(struct yamux *mux, size_t budget)
{
	struct yamux_frame f;

	while (yamux_next(mux, budget, &f)) {
		buf_append(&mux->out, f.hdr, YAMUX_HDRLEN);
		buf_append(&mux->out, f.data, f.len);
		budget -= f.len;
		yamux_done(mux, &f);
	}
}

size_t
yamux_pending(const struct yamux *mux)
{
	const struct yamux_stream *st;
	size_t	 n = buf_len(&mux->out);

	TAILQ_FOREACH(st, &mux->streams, entry)
		n += bufq_len(&st->tx);
	return n;
}

/*
 * conn: one libp2p connection over a byte stream (see conn.h).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "hex.h"
#include "clock.h"
#include "cfg.h"
#include "log.h"
#include "connector/conn.h"
#include "connector/varint.h"

#define CONN_QUEUE_MAX	(16 * 1024 * 1024)	/* unsent stream bytes */
#define CONN_DIRECT_MIN	1024		/* data frames this long: alone */
#define HS_PAYLOAD_MAX	4096
#define HS_MINE_MAX	(NOISE_PAYLOAD_LEN + 64)	/* with our muxers */

enum sproto { SP_NEGO, SP_COORD, SP_PING_ECHO, SP_PING_CLIENT, SP_DONE };

struct sapp {
	struct conn	*c;
	struct yamux_stream *st;
	int		 outbound;
	enum sproto	 proto;
	struct mss	 mss;
	struct coord_rx	 crx;
	struct buf	 pending;	/* frames queued while negotiating */
	uint8_t		 ping[PING_LEN];
	uint64_t	 ping_sent;
};

static const char *const noise_protos[] = { "/noise" };
static const char *const yamux_protos[] = { "/yamux/1.0.0" };
static const char *const listen_protos[] = { COORD_PROTO, PING_PROTO };
static const char *const coord_protos[] = { COORD_PROTO };
static const char *const ping_protos[] = { PING_PROTO };

static void	process(struct conn *);
static int	pin_input(struct conn *);
static int	mux_feed(struct conn *, const uint8_t *, size_t);
static int	hs_step(struct conn *);
static int	hs_check_peer(struct conn *, const uint8_t *, size_t);
static void	hs_send(struct conn *, const uint8_t *, size_t);
static void	hs_done(struct conn *);
static int	hs_payload(struct conn *, uint8_t *, size_t *);
static void	mux_start(struct conn *);
static void	seal(struct conn *, struct buf *);
static struct sapp *sapp_new(struct conn *, struct yamux_stream *, int,
		    const char *const *, size_t);
static void	sapp_input(struct conn *, struct sapp *);
static void	sapp_negotiated(struct conn *, struct sapp *);
static void	sapp_coord(struct conn *, struct sapp *);
static size_t	sapp_coord_take(struct conn *, struct sapp *,
		    const uint8_t *, size_t);
static void	sapp_coord_frame(struct conn *, struct sapp *,
		    const struct coord_frame *);
static void	sapp_write(struct conn *, struct sapp *, const void *, size_t);
static int	coord_direct(struct conn *, struct sapp *, const uint8_t *,
		    size_t, const uint8_t *, size_t);
static void	mux_stream_open(void *, struct yamux_stream *);
static void	mux_stream_data(void *, struct yamux_stream *);
static void	mux_stream_closed(void *, struct yamux_stream *);
static size_t	mux_stream_take(void *, struct yamux_stream *,
		    const uint8_t *, size_t);
static void	mux_pong(void *, uint32_t);
static void	mux_goaway(void *, uint32_t);
static void	close_step(struct conn *, uint64_t);
static int	at_boundary(const struct conn *);
static int	ackq_check(struct conn *);
static void	ackq_resume(struct conn *);

static const struct yamux_cb mux_cb = {
	mux_stream_open, mux_stream_data, mux_stream_closed, mux_pong,
	mux_goaway, mux_stream_take
};

void
p2p_identity_from_seed(const uint8_t seed[32], struct p2p_identity *id)
{
	crypto_sign_seed_keypair(id->pk, id->sk, seed);
	peerid_from_ed25519(id->pk, &id->id);
	peerid_str(&id->id, id->idstr, sizeof(id->idstr));
}

int
p2p_identity_load(const char *path, struct p2p_identity *id, char *err,
    size_t errlen)
{
	uint8_t	 seed[32];

	if (cfg_key32_read(path, seed, err, errlen) == -1)
		return -1;
	p2p_identity_from_seed(seed, id);
	sodium_memzero(seed, sizeof(seed));
	return 0;
}

struct conn *
conn_new(int initiator, const struct p2p_identity *id,
    const struct conn_cb *cb, void *arg, const char *name)
{
	struct conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal(EX_TEMP, "conn: calloc");
	c->initiator = initiator;
	c->state = CONN_MSS_SEC;
	c->id = id;
	c->cb = cb;
	c->cbarg = arg;
	snprintf(c->name, sizeof(c->name), "%s", name);
	buf_init(&c->in);
	buf_init(&c->out);
	buf_init(&c->pin);
	mss_init(&c->mss, initiator, noise_protos, 1);
	c->max_msg = 1024 * 1024;
	c->ackq_max = CONN_ACKQ_MAX;
	c->hs_timeout = CONN_HS_TIMEOUT;
	c->keepalive = CONN_KEEPALIVE;
	c->keepalive_timeout = CONN_KEEPALIVE_TIMEOUT;
	c->started = clock_mono_ms();
	return c;
}

void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	if (c->mux_up)
		yamux_free(&c->mux);
	buf_free(&c->in);
	buf_free(&c->out);
	buf_free(&c->pin);
	noise_hs_wipe(&c->hs);
	sodium_memzero(&c->tx, sizeof(c->tx));
	sodium_memzero(&c->rx, sizeof(c->rx));
	free(c);
}

void
conn_expect(struct conn *c, const struct peerid *p)
{
	c->has_expect = 1;
	c->expect = *p;
}

void
conn_set_max(struct conn *c, size_t max)
{
	c->max_msg = max;
}

void
conn_start(struct conn *c)
{
	if (c->initiator)
		mss_start(&c->mss, &c->out);
}

void
conn_fail(struct conn *c, const char *fmt, ...)
{
	va_list	 ap;

	if (c->state == CONN_DEAD)
		return;
	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	va_end(ap);
	log_warnx("%s: %s", c->name, c->reason);
	c->state = CONN_DEAD;
}

void
conn_close(struct conn *c, const char *why)
{
	if (c->state == CONN_DEAD || c->state == CONN_CLOSING)
		return;
	snprintf(c->reason, sizeof(c->reason), "%s", why);
	if (!c->mux_up) {
		log_info("%s: closing: %s", c->name, why);
		c->state = CONN_DEAD;
		return;
	}
	log_info("%s: going away: %s", c->name, why);
	/*
	 * Not the go-away yet: go-yamux ends its session on any go-away and
	 * what its streams hold unread is lost.  First what is queued goes
	 * out and every stream is half-closed (close_step goes on).
	 */
	yamux_drain(&c->mux);
	c->state = CONN_CLOSING;
	c->close_phase = CLOSE_DRAIN;
	c->closing_since = clock_mono_ms();
}

/*
 * The go-away, once what was queued has gone out and the peer finished
 * every stream: its half-close (or reset) answering ours tells it has
 * read all we sent.  go-yamux's session ends on the go-away, and a read
 * after that fails even where data is left (the window update it then
 * sends fails), so the go-away waits for that, up to CONN_CLOSE_DRAIN.
 */
static void
close_step(struct conn *c, uint64_t now)
{
	struct yamux_stream *st;
	size_t	 nopen = 0;

	if (c->close_phase != CLOSE_DRAIN)
		return;
	TAILQ_FOREACH(st, &c->mux.streams, entry)
		if (!(st->flags & (YS_RFIN | YS_RESET | YS_DEAD)))
			nopen++;
	if (yamux_pending(&c->mux) > 0 || nopen > 0) {
		if (now - c->closing_since <= CONN_CLOSE_DRAIN)
			return;
		log_debug("%s: after %d ms, %zu byte(s) unsent and %zu "
		    "stream(s) the peer did not close; going away anyway",
		    c->name, CONN_CLOSE_DRAIN, yamux_pending(&c->mux), nopen);
	}
	yamux_goaway(&c->mux, YAMUX_GO_NORMAL);
	c->close_phase = CLOSE_GONE;
}

int
conn_closed(const struct conn *c)
{
	return c->state == CONN_CLOSING && c->close_phase == CLOSE_GONE &&
	    buf_len(&c->out) == 0 && (!c->mux_up || buf_len(&c->mux.out) == 0);
}

/* No partial frame in what came: the peer stopped between frames. */
static int
at_boundary(const struct conn *c)
{
	return buf_len(&c->in) == 0 && (!c->mux_up ||
	    (c->mux.hdrlen == 0 && c->mux.data_left == 0));
}

void
conn_reset(struct conn *c)
{
	if (c->state == CONN_DEAD)
		return;
	if (c->state == CONN_CLOSING || (c->mux_up && (c->mux.remote_goaway ||
	    c->mux.local_goaway)) || (c->state == CONN_OPEN &&
	    at_boundary(c))) {
		if (c->state != CONN_CLOSING || c->reason[0] == '\0')
			snprintf(c->reason, sizeof(c->reason), "%s",
			    "connection reset by the peer");
		log_info("%s: connection reset by the peer%s", c->name,
		    c->state == CONN_CLOSING || c->mux.local_goaway ||
		    c->mux.remote_goaway ? " (going away)" : "");
		c->state = CONN_DEAD;
		return;
	}
	conn_fail(c, "connection reset by the peer %s",
	    c->state < CONN_OPEN ? "during the handshake" :
	    "in the middle of a frame");
}

void
conn_eof(struct conn *c)
{
	if (c->state == CONN_DEAD)
		return;
	if (c->state == CONN_CLOSING) {
		c->state = CONN_DEAD;
		return;
	}
	if (buf_len(&c->in) > 0)
		conn_fail(c, "connection closed in the middle of a frame "
		    "(%zu bytes of a truncated frame)", buf_len(&c->in));
	else if (c->state == CONN_OPEN) {
		/* At a frame boundary: an orderly close. */
		snprintf(c->reason, sizeof(c->reason), "%s",
		    c->mux.remote_goaway ? "peer went away" :
		    "connection closed by the peer");
		log_info("%s: %s", c->name, c->reason);
		c->state = CONN_DEAD;
	} else
		conn_fail(c, "connection closed by the peer%s",
		    c->state < CONN_OPEN ? " during the handshake" : "");
}

int
conn_input(struct conn *c, const uint8_t *p, size_t n)
{
	if (c->state == CONN_DEAD)
		return -1;
	if (n > 0)
		memcpy(conn_input_space(c, n), p, n);
	return conn_input_commit(c, n);
}

uint8_t *
conn_input_space(struct conn *c, size_t n)
{
	return buf_reserve(&c->in, n);
}

int
conn_input_commit(struct conn *c, size_t n)
{
	if (c->state == CONN_DEAD)
		return -1;
	c->bytes_in += n;
	buf_commit(&c->in, n);
	process(c);
	return c->state == CONN_DEAD ? -1 : 0;
}

/* Handshake message: 2-byte length, then the message, in clear. */
static void
hs_send(struct conn *c, const uint8_t *msg, size_t len)
{
	noise_frame_put(&c->out, msg, len);
}

static void
seal(struct conn *c, struct buf *pt)
{
	if (buf_len(pt) == 0)
		return;
	if (noise_seal(&c->tx, buf_data(pt), buf_len(pt), &c->out) == -1)
		conn_fail(c, "noise: send nonce exhausted");
	buf_reset(pt);
}

static int
hs_check_peer(struct conn *c, const uint8_t *payload, size_t plen)
{
	char	 err[256], want[PEERID_STRMAX];
	uint8_t	 pk[32];
	int	 i;

	if (noise_payload_verify(payload, plen, c->hs.rs, pk, err,
	    sizeof(err)) == -1) {
		conn_fail(c, "%s", err);
		return -1;
	}
	peerid_from_ed25519(pk, &c->remote);
	peerid_str(&c->remote, c->remote_str, sizeof(c->remote_str));
	if (c->has_expect && !peerid_eq(&c->expect, &c->remote)) {
		conn_fail(c, "dialled %s but the peer is %s; refused",
		    peerid_str(&c->expect, want, sizeof(want)), c->remote_str);
		return -1;
	}
	if (c->cb->allow != NULL && !c->cb->allow(c->cbarg, c, &c->remote)) {
		conn_fail(c, "peer %s is not in the allowed set; refused",
		    c->remote_str);
		return -1;
	}
	if (noise_payload_muxer(payload, plen, yamux_protos, 1, !c->initiator,
	    &i) == -1) {
		conn_fail(c, "noise: malformed handshake payload extensions");
		return -1;
	}
	c->early_mux = i == 0;
	c->authenticated = 1;
	log_debug("%s: authenticated as %s", c->name, c->remote_str);
	snprintf(c->name, sizeof(c->name), "peer %s", c->remote_str);
	return 0;
}

static void
hs_done(struct conn *c)
{
	struct buf tmp = BUF_INIT;

	noise_hs_split(&c->hs, &c->tx, &c->rx);
	noise_hs_wipe(&c->hs);
	if (c->early_mux) {
		/* Both listed yamux in the handshake: no round trip for it. */
		log_debug("%s: muxer %s agreed in the Noise handshake",
		    c->name, yamux_protos[0]);
		mux_start(c);
		return;
	}
	c->state = CONN_MSS_MUX;
	mss_init(&c->mss, c->initiator, yamux_protos, 1);
	mss_start(&c->mss, &tmp);
	seal(c, &tmp);
	buf_free(&tmp);
}

/* Our handshake payload: identity, signature, the muxers we speak. */
static int
hs_payload(struct conn *c, uint8_t *mine, size_t *len)
{
	if (noise_payload_make(c->id->sk, c->id->pk, c->hs.s_pk, mine,
	    HS_MINE_MAX, len) == -1 || noise_payload_add_muxers(mine,
	    HS_MINE_MAX, len, yamux_protos, 1) == -1) {
		conn_fail(c, "noise: handshake payload too long");
		return -1;
	}
	return 0;
}

/* One handshake message: 1 progress, 0 need more input, -1 failed. */
static int
hs_step(struct conn *c)
{
	uint8_t	 payload[HS_PAYLOAD_MAX], msg[512], mine[HS_MINE_MAX];
	char	 err[256];
	size_t	 len, plen, mlen, minelen;

	if (!noise_frame_peek(&c->in, &len))
		return 0;
	if (noise_hs_read(&c->hs, buf_data(&c->in) + 2, len, payload,
	    sizeof(payload), &plen, err, sizeof(err)) == -1) {
		conn_fail(c, "%s", err);
		return -1;
	}
	buf_consume(&c->in, 2 + len);
	switch (c->hs.msg) {
	case 1:		/* responder read "-> e": answer "<- e, ee, s, es" */
		if (hs_payload(c, mine, &minelen) == -1)
			return -1;
		if (noise_hs_write(&c->hs, mine, minelen, msg, sizeof(msg),
		    &mlen, err, sizeof(err)) == -1) {
			conn_fail(c, "%s", err);
			return -1;
		}
		hs_send(c, msg, mlen);
		return 1;
	case 2:		/* initiator read "<- e, ee, s, es" */
		if (hs_check_peer(c, payload, plen) == -1 ||
		    hs_payload(c, mine, &minelen) == -1)
			return -1;
		if (noise_hs_write(&c->hs, mine, minelen, msg, sizeof(msg),
		    &mlen, err, sizeof(err)) == -1) {
			conn_fail(c, "%s", err);
			return -1;
		}
		hs_send(c, msg, mlen);
		hs_done(c);
		return 1;
	case 3:		/* responder read "-> s, se" */
		if (hs_check_peer(c, payload, plen) == -1)
			return -1;
		hs_done(c);
		return 1;
	}
	conn_fail(c, "noise: handshake out of step");
	return -1;
}

static void
process(struct conn *c)
{
	char	 err[256];
	uint8_t	 msg[64], *pt;
	size_t	 len, mlen;
	int	 r;

	for (;;) {
		switch (c->state) {
		case CONN_MSS_SEC:
			r = mss_input(&c->mss, &c->in, &c->out, err,
			    sizeof(err));
			if (r == MSS_MORE)
				return;
			if (r != MSS_DONE) {
				conn_fail(c, "%s", err);
				return;
			}
			c->state = CONN_NOISE;
			c->mss_rounds++;
			noise_hs_init(&c->hs, c->initiator, NULL, 0, NULL, NULL);
			if (c->initiator) {
				if (noise_hs_write(&c->hs, NULL, 0, msg,
				    sizeof(msg), &mlen, err, sizeof(err)) == -1) {
					conn_fail(c, "%s", err);
					return;
				}
				hs_send(c, msg, mlen);
			}
			continue;
		case CONN_NOISE:
			if ((r = hs_step(c)) <= 0)
				return;
			continue;
		case CONN_MSS_MUX:
		case CONN_OPEN:
		case CONN_CLOSING:
			break;
		case CONN_DEAD:
			return;
		}
		break;
	}
	/*
	 * Encrypted from here on: each whole frame is decrypted where it
	 * lies in the input and handed to yamux from there.  Only the muxer
	 * negotiation (and what follows it in the same frames) goes through
	 * pin.
	 */
	while (c->state != CONN_DEAD && noise_frame_peek(&c->in, &len)) {
		pt = buf_mdata(&c->in) + 2;
		if (noise_open_inplace(&c->rx, pt, len, err,
		    sizeof(err)) == -1) {
			conn_fail(c, "%s; dropping the connection", err);
			return;
		}
		len -= NOISE_TAGLEN;
		if (c->state == CONN_MSS_MUX || buf_len(&c->pin) > 0) {
			buf_append(&c->pin, pt, len);
			buf_consume(&c->in, 2 + len + NOISE_TAGLEN);
			r = pin_input(c);
		} else {
			r = mux_feed(c, pt, len);
			buf_consume(&c->in, 2 + len + NOISE_TAGLEN);
		}
		if (r == -1)
			return;
	}
}

/* The muxer agreed: yamux from here on; the owner hears of it. */
static void
mux_start(struct conn *c)
{
	yamux_init(&c->mux, c->initiator, &mux_cb, c);
	c->mux_up = 1;
	c->state = CONN_OPEN;
	c->last_keepalive = clock_mono_ms();
	log_info("%s: connected (%s)", c->name,
	    c->initiator ? "outbound" : "inbound");
	if (c->cb->ready != NULL)
		c->cb->ready(c->cbarg, c);
}

/* Plaintext collected in pin: the muxer negotiation, then yamux. */
static int
pin_input(struct conn *c)
{
	struct buf tmp = BUF_INIT;
	char	 err[256];
	int	 r;

	if (c->state == CONN_MSS_MUX) {
		r = mss_input(&c->mss, &c->pin, &tmp, err, sizeof(err));
		seal(c, &tmp);
		buf_free(&tmp);
		if (r == MSS_MORE)
			return 0;
		if (r != MSS_DONE) {
			conn_fail(c, "muxer negotiation: %s", err);
			return -1;
		}
		c->mss_rounds++;
		mux_start(c);
		if (c->state == CONN_DEAD)
			return -1;
	}
	if (buf_len(&c->pin) == 0)
		return 0;
	r = mux_feed(c, buf_data(&c->pin), buf_len(&c->pin));
	buf_reset(&c->pin);
	return r;
}

/* Plaintext for yamux: -1 when the connection is over. */
static int
mux_feed(struct conn *c, const uint8_t *p, size_t n)
{
	char	 err[256];

	if (c->mux.local_goaway == 2)		/* failed: ignore */
		return 0;
	if (yamux_input(&c->mux, p, n, err, sizeof(err)) == -1) {
		log_warnx("%s: %s; going away", c->name, err);
		snprintf(c->reason, sizeof(c->reason), "%s", err);
		if (c->state != CONN_DEAD) {
			c->state = CONN_CLOSING;
			c->close_phase = CLOSE_GONE;	/* go-away queued */
			c->closing_since = clock_mono_ms();
		}
		return -1;
	}
	return c->state == CONN_DEAD ? -1 : 0;
}

/*
 * Seal what yamux has to send into out, up to the high mark: a long data
 * frame is sealed from its stream's queue straight into out (header and
 * payload as one Noise frame, see noise_seal2); control frames and short
 * data frames are gathered in mux.out first and sealed together, before
 * the next long frame so that the order holds.
 */
void
conn_pump(struct conn *c)
{
	struct yamux_frame f;

	if (!c->mux_up || c->state == CONN_DEAD)
		return;
	while (buf_len(&c->out) + buf_len(&c->mux.out) < CONN_OUT_HIGH &&
	    yamux_next(&c->mux, YAMUX_FRAMEMAX, &f)) {
		if (f.len < CONN_DIRECT_MIN) {
			buf_append(&c->mux.out, f.hdr, YAMUX_HDRLEN);
			buf_append(&c->mux.out, f.data, f.len);
		} else {
			seal(c, &c->mux.out);
			if (c->state != CONN_DEAD && noise_seal2(&c->tx, f.hdr,
			    YAMUX_HDRLEN, f.data, f.len, &c->out) == -1)
				conn_fail(c, "noise: send nonce exhausted");
		}
		yamux_done(&c->mux, &f);
		if (c->state == CONN_DEAD)
			return;
	}
	if (c->state == CONN_CLOSING)
		close_step(c, clock_mono_ms());
	seal(c, &c->mux.out);
	yamux_reap(&c->mux);
	if (c->ackq_full)
		ackq_resume(c);
}

int
conn_writable(const struct conn *c)
{
	return buf_len(&c->out) > 0;
}

void
conn_tick(struct conn *c, uint64_t now)
{
	switch (c->state) {
	case CONN_MSS_SEC:
	case CONN_NOISE:
	case CONN_MSS_MUX:
		if (now - c->started > c->hs_timeout)
			conn_fail(c, "handshake not finished after %llu ms",
			    (unsigned long long)c->hs_timeout);
		break;
	case CONN_OPEN:
		if (c->mux.ping_out &&
		    now - c->mux.ping_sent > c->keepalive_timeout) {
			conn_fail(c, "keepalive: no pong within %llu ms",
			    (unsigned long long)c->keepalive_timeout);
			break;
		}
		if (now - c->last_keepalive >= c->keepalive) {
			yamux_ping(&c->mux, now);
			c->last_keepalive = now;
		}
		break;
	case CONN_CLOSING:
		if (c->close_phase != CLOSE_GONE)
			break;		/* conn_pump takes the next step */
		if (now - c->closing_since > CONN_CLOSE_DRAIN +
		    CONN_CLOSE_LINGER)
			c->state = CONN_DEAD;
		break;
	case CONN_DEAD:
		break;
	}
}

/* ---------------------------------------------------------- streams */

static struct sapp *
sapp_new(struct conn *c, struct yamux_stream *st, int outbound,
    const char *const *protos, size_t n)
{
	struct sapp *sa;

	if ((sa = calloc(1, sizeof(*sa))) == NULL)
		fatal(EX_TEMP, "conn: calloc");
	sa->c = c;
	sa->st = st;
	sa->outbound = outbound;
	sa->proto = SP_NEGO;
	mss_init(&sa->mss, outbound, protos, n);
	coord_rx_init(&sa->crx, c->max_msg);
	buf_init(&sa->pending);
	st->app = sa;
	if (outbound) {
		struct buf tmp = BUF_INIT;

		mss_start(&sa->mss, &tmp);
		yamux_write(&c->mux, st, buf_data(&tmp), buf_len(&tmp));
		buf_free(&tmp);
	}
	return sa;
}

static void
sapp_write(struct conn *c, struct sapp *sa, const void *p, size_t n)
{
	if (sa->proto == SP_NEGO)
		buf_append(&sa->pending, p, n);
	else
		yamux_write(&c->mux, sa->st, p, n);
}

static void
mux_stream_open(void *arg, struct yamux_stream *st)
{
	struct conn *c = arg;

	log_debug("%s: peer opened stream %u", c->name, st->id);
	sapp_new(c, st, 0, listen_protos, 2);
}

static void
mux_stream_data(void *arg, struct yamux_stream *st)
{
	struct conn *c = arg;

	if (st->app != NULL && c->state != CONN_DEAD)
		sapp_input(c, st->app);
}

static void
mux_stream_closed(void *arg, struct yamux_stream *st)
{
	struct conn *c = arg;
	struct sapp *sa = st->app;

	if (sa == NULL)
		return;
	if (c->coord_out == sa) {
		c->coord_out = NULL;
		/* Not one whose negotiation failed: it would fail again. */
		if ((st->flags & YS_RESET) && sa->proto == SP_COORD)
			c->coord_resets++;
	}
	coord_rx_free(&sa->crx);
	buf_free(&sa->pending);
	free(sa);
	st->app = NULL;
}

static size_t
mux_stream_take(void *arg, struct yamux_stream *st, const uint8_t *p,
    size_t n)
{
	struct conn *c = arg;
	struct sapp *sa = st->app;

	if (sa == NULL || sa->proto != SP_COORD || c->paused ||
	    c->state == CONN_DEAD || ackq_check(c))
		return 0;
	return sapp_coord_take(c, sa, p, n);
}

static void
mux_pong(void *arg, uint32_t rtt)
{
	struct conn *c = arg;

	c->rtt_ms = rtt;
}

static void
mux_goaway(void *arg, uint32_t code)
{
	struct conn *c = arg;
	char	 why[64];

	snprintf(why, sizeof(why), "peer sent go-away (code %u)", code);
	conn_close(c, why);
}

static void
sapp_negotiated(struct conn *c, struct sapp *sa)
{
	if (strcmp(sa->mss.selected, COORD_PROTO) == 0) {
		sa->proto = SP_COORD;
		if (buf_len(&sa->pending) > 0)
			yamux_write(&c->mux, sa->st, buf_data(&sa->pending),
			    buf_len(&sa->pending));
		buf_free(&sa->pending);
	} else if (sa->outbound) {
		sa->proto = SP_PING_CLIENT;
		randombytes_buf(sa->ping, sizeof(sa->ping));
		sa->ping_sent = clock_mono_ms();
		yamux_write(&c->mux, sa->st, sa->ping, sizeof(sa->ping));
	} else
		sa->proto = SP_PING_ECHO;
	log_debug("%s: stream %u speaks %s", c->name, sa->st->id,
	    sa->mss.selected);
}

static void
sapp_input(struct conn *c, struct sapp *sa)
{
	struct yamux_stream *st = sa->st;
	struct buf tmp = BUF_INIT;
	char	 err[256];
	size_t	 before, n;
	uint32_t rtt;
	int	 r;

	if (st->flags & (YS_RESET | YS_DEAD))
		return;
	switch (sa->proto) {
	case SP_NEGO:
		before = buf_len(&st->rx);
		r = mss_input(&sa->mss, &st->rx, &tmp, err, sizeof(err));
		yamux_consumed(&c->mux, st, before - buf_len(&st->rx));
		if (buf_len(&tmp) > 0)
			yamux_write(&c->mux, st, buf_data(&tmp), buf_len(&tmp));
		buf_free(&tmp);
		if (r == MSS_MORE) {
			if (st->flags & YS_RFIN)
				yamux_close(&c->mux, st);
			return;
		}
		if (r != MSS_DONE) {
			log_warnx("%s: stream %u: %s; resetting it", c->name,
			    st->id, err);
			yamux_reset(&c->mux, st);
			return;
		}
		sapp_negotiated(c, sa);
		sapp_input(c, sa);
		return;
	case SP_PING_ECHO:
		if ((n = buf_len(&st->rx)) > 0) {
			yamux_write(&c->mux, st, buf_data(&st->rx), n);
			buf_consume(&st->rx, n);
			yamux_consumed(&c->mux, st, n);
		}
		if (st->flags & YS_RFIN)
			yamux_close(&c->mux, st);
		return;
	case SP_PING_CLIENT:
		if (buf_len(&st->rx) >= PING_LEN) {
			if (memcmp(buf_data(&st->rx), sa->ping, PING_LEN) != 0) {
				log_warnx("%s: ping: the echo differs from "
				    "what we sent", c->name);
				yamux_reset(&c->mux, st);
				return;
			}
			rtt = (uint32_t)(clock_mono_ms() - sa->ping_sent);
			buf_consume(&st->rx, PING_LEN);
			yamux_consumed(&c->mux, st, PING_LEN);
			sa->proto = SP_DONE;
			yamux_close(&c->mux, st);
			if (c->cb->pong != NULL)
				c->cb->pong(c->cbarg, c, rtt);
		} else if (st->flags & YS_RFIN) {
			log_warnx("%s: ping: stream closed before the echo",
			    c->name);
			yamux_close(&c->mux, st);
		}
		return;
	case SP_COORD:
		sapp_coord(c, sa);
		return;
	case SP_DONE:
		if ((n = buf_len(&st->rx)) > 0) {
			buf_consume(&st->rx, n);
			yamux_consumed(&c->mux, st, n);
		}
		if (st->flags & YS_RFIN)
			yamux_close(&c->mux, st);
		return;
	}
}

static void
sapp_coord(struct conn *c, struct sapp *sa)
{
	struct yamux_stream *st = sa->st;
	struct coord_frame f;
	char	 err[256];
	size_t	 used;
	int	 r;

	while (!c->paused && buf_len(&st->rx) > 0 && c->state != CONN_DEAD &&
	    !ackq_check(c)) {
		r = coord_rx_next(&sa->crx, buf_data(&st->rx),
		    buf_len(&st->rx), &used, &f, err, sizeof(err));
		buf_consume(&st->rx, used);
		yamux_consumed(&c->mux, st, used);
		if (r == -1) {
			log_warnx("%s: stream %u: %s; resetting it", c->name,
			    st->id, err);
			yamux_reset(&c->mux, st);
			return;
		}
		if (r == 0)
			break;
		sapp_coord_frame(c, sa, &f);
		if (st->flags & (YS_RESET | YS_DEAD))
			break;
	}
	if ((st->flags & YS_RFIN) && buf_len(&st->rx) == 0)
		yamux_close(&c->mux, st);
}

/*
 * Bytes straight from yamux (rx empty): frames read from where they lie;
 * returns how many were taken, stopping early when paused.
 */
static size_t
sapp_coord_take(struct conn *c, struct sapp *sa, const uint8_t *p, size_t n)
{
	struct yamux_stream *st = sa->st;
	struct coord_frame f;
	char	 err[256];
	size_t	 off = 0, used;
	int	 r;

	while (off < n && !c->paused && c->state != CONN_DEAD &&
	    !ackq_check(c)) {
		r = coord_rx_next(&sa->crx, p + off, n - off, &used, &f, err,
		    sizeof(err));
		off += used;
		yamux_consumed(&c->mux, st, used);
		if (r == -1) {
			log_warnx("%s: stream %u: %s; resetting it", c->name,
			    st->id, err);
			yamux_reset(&c->mux, st);
			break;
		}
		if (r == 0)
			break;
		sapp_coord_frame(c, sa, &f);
		if (st->flags & (YS_RESET | YS_DEAD))
			break;
	}
	return off;
}

static void
sapp_coord_frame(struct conn *c, struct sapp *sa, const struct coord_frame *f)
{
	struct yamux_stream *st = sa->st;
	struct buf tmp = BUF_INIT;

	switch (f->kind) {
	case COORD_MSG:
		if (f->oversize) {
			log_debug("%s: message of %llu bytes exceeds the "
			    "maximum of %zu; rejected", c->name,
			    (unsigned long long)f->fulllen - COORD_HDR,
			    c->max_msg);
			coord_put_reject(&tmp, f->intent, COORD_R_TOOBIG);
			yamux_write(&c->mux, st, buf_data(&tmp), buf_len(&tmp));
			buf_free(&tmp);
			if (c->cb->oversize != NULL)
				c->cb->oversize(c->cbarg, c, st->id, f->intent,
				    f->fulllen - COORD_HDR);
			break;
		}
		c->msgs_in++;
		if (c->cb->msg != NULL)
			c->cb->msg(c->cbarg, c, st->id, f->intent, f->data,
			    f->len);
		break;
	case COORD_ACK:
		c->acks_in++;
		if (c->cb->ack != NULL)
			c->cb->ack(c->cbarg, c, f->intent);
		break;
	case COORD_REJECT:
		if (c->cb->reject != NULL)
			c->cb->reject(c->cbarg, c, f->intent, f->reason);
		break;
	}
}

void
conn_resume(struct conn *c)
{
	struct yamux_stream *st, *tmp;

	c->paused = 0;
	if (!c->mux_up)
		return;
	TAILQ_FOREACH_SAFE(st, &c->mux.streams, entry, tmp)
		if (st->app != NULL && buf_len(&st->rx) > 0)
			sapp_input(c, st->app);
}

size_t
conn_ackq(const struct conn *c)
{
	const struct yamux_stream *st;
	const struct sapp *sa;
	size_t	 n = 0;

	if (!c->mux_up)
		return 0;
	TAILQ_FOREACH(st, &c->mux.streams, entry)
		if ((sa = st->app) != NULL && sa != c->coord_out &&
		    sa->proto == SP_COORD)
			n += bufq_len(&st->tx);
	return n;
}

/* 1: too many acknowledgements wait to go out; take no more frames. */
static int
ackq_check(struct conn *c)
{
	size_t	 n;

	if (c->ackq_full)
		return 1;
	if ((n = conn_ackq(c)) > c->ackq_hiwat)
		c->ackq_hiwat = n;
	if (n < c->ackq_max)
		return 0;
	c->ackq_full = 1;
	c->ackq_pauses++;
	log_debug("%s: %zu bytes of acknowledgements queued; not reading "
	    "from it until they go", c->name, n);
	return 1;
}

/* In conn_pump: half the acknowledgements gone, read again. */
static void
ackq_resume(struct conn *c)
{
	struct yamux_stream *st, *tmp;

	if (c->state != CONN_OPEN || conn_ackq(c) > c->ackq_max / 2)
		return;
	c->ackq_full = 0;
	TAILQ_FOREACH_SAFE(st, &c->mux.streams, entry, tmp)
		if (st->app != NULL && buf_len(&st->rx) > 0)
			sapp_input(c, st->app);
}

size_t
conn_queued(const struct conn *c)
{
	size_t	 n;

	if (!c->mux_up)
		return 0;
	n = yamux_pending(&c->mux);
	if (c->coord_out != NULL)
		n += buf_len(&c->coord_out->pending);
	return n;
}

int
conn_send(struct conn *c, const uint8_t *intent, const uint8_t *data,
    size_t len)
{
	struct yamux_stream *st;
	uint8_t	 hdr[UVARINT_MAX + COORD_HDR], kind = COORD_MSG;
	size_t	 n;

	if (c->state != CONN_OPEN || len > c->max_msg ||
	    conn_queued(c) > CONN_QUEUE_MAX)
		return -1;
	if (c->coord_out == NULL) {
		if ((st = yamux_open(&c->mux)) == NULL)
			return -1;
		c->coord_out = sapp_new(c, st, 1, coord_protos, 1);
	}
	n = uvarint_put(hdr, COORD_HDR + len);
	memcpy(hdr + n, &kind, 1);
	memcpy(hdr + n + 1, intent, COORD_INTENT);
	if (!coord_direct(c, c->coord_out, hdr, n + COORD_HDR, data, len)) {
		sapp_write(c, c->coord_out, hdr, n + COORD_HDR);
		sapp_write(c, c->coord_out, data, len);
	}
	c->msgs_out++;
	return c->state == CONN_DEAD ? -1 : 0;
}

/*
 * A long message when nothing waits before it and out has room: sealed
 * from the caller's buffer into out at once, skipping the copy into the
 * stream's queue.  0 when it must be queued instead.
 */
static int
coord_direct(struct conn *c, struct sapp *sa, const uint8_t *hdr,
    size_t hlen, const uint8_t *data, size_t len)
{
	uint8_t	 head[YAMUX_HDRLEN + UVARINT_MAX + COORD_HDR];
	size_t	 chunk;

	if (len < CONN_SEND_DIRECT || sa->proto != SP_COORD ||
	    buf_len(&c->out) >= CONN_OUT_HIGH ||
	    !yamux_direct(&c->mux, sa->st, hlen + len))
		return 0;
	seal(c, &c->mux.out);		/* what was queued goes first */
	chunk = hlen + len > YAMUX_FRAMEMAX ? YAMUX_FRAMEMAX : hlen + len;
	yamux_data_hdr(&c->mux, sa->st, chunk, head);
	memcpy(head + YAMUX_HDRLEN, hdr, hlen);
	chunk -= hlen;
	for (;;) {
		if (c->state == CONN_DEAD)
			return 1;
		if (noise_seal2(&c->tx, head, YAMUX_HDRLEN + hlen, data, chunk,
		    &c->out) == -1) {
			conn_fail(c, "noise: send nonce exhausted");
			return 1;
		}
		data += chunk;
		len -= chunk;
		if (len == 0)
			return 1;
		chunk = len > YAMUX_FRAMEMAX ? YAMUX_FRAMEMAX : len;
		yamux_data_hdr(&c->mux, sa->st, chunk, head);
		hlen = 0;
	}
}

static struct sapp *
coord_stream(struct conn *c, uint32_t sid)
{
	struct yamux_stream *st;

	if (!c->mux_up || c->state == CONN_DEAD)
		return NULL;
	if ((st = yamux_find(&c->mux, sid)) == NULL || st->app == NULL)
		return NULL;
	if (((struct sapp *)st->app)->proto != SP_COORD)
		return NULL;
	return st->app;
}

int
conn_ack(struct conn *c, uint32_t sid, const uint8_t *intent)
{
	struct sapp *sa;
	struct buf tmp = BUF_INIT;

	if ((sa = coord_stream(c, sid)) == NULL)
		return -1;
	coord_put_ack(&tmp, intent);
	sapp_write(c, sa, buf_data(&tmp), buf_len(&tmp));
	buf_free(&tmp);
	c->acks_out++;
	return 0;
}

int
conn_reject(struct conn *c, uint32_t sid, const uint8_t *intent, int reason)
{
	struct sapp *sa;
	struct buf tmp = BUF_INIT;

	if ((sa = coord_stream(c, sid)) == NULL)
		return -1;
	coord_put_reject(&tmp, intent, reason);
	sapp_write(c, sa, buf_data(&tmp), buf_len(&tmp));
	buf_free(&tmp);
	return 0;
}

int
conn_ping(struct conn *c)
{
	struct yamux_stream *st;

	if (c->state != CONN_OPEN || (st = yamux_open(&c->mux)) == NULL)
		return -1;
	sapp_new(c, st, 1, ping_protos, 1);
	return 0;
}

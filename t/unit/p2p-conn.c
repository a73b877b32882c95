/*
 * p2p-conn: two whole connections (multistream-select, Noise, yamux, our
 * protocol) talking through memory: messages and acknowledgements both
 * ways, ping, refusal of an unknown peer either way, long messages to a
 * receiver that pauses, and a tampered, replayed, truncated or malformed
 * byte stream.
 */
#include <string.h>

#include <sodium.h>

#include "t/tap.h"
#include "connector/conn.h"

struct ev {
	int		 ready, msgs, acks, rejects, pongs, oversize;
	int		 allow_all;
	const struct peerid *allow;
	uint8_t		 last_intent[32];
	size_t		 last_len;
	int		 autoack;
	int		 check;		/* every byte must be intent[0] */
	int		 bad;
	int		 pause_at;	/* pause once this many arrived */
};

static int
e_allow(void *arg, struct conn *c, const struct peerid *p)
{
	struct ev *e = c->udata;

	(void)arg;
	return e->allow_all || (e->allow != NULL && peerid_eq(e->allow, p));
}

static void
e_ready(void *arg, struct conn *c)
{
	struct ev *e = c->udata;

	(void)arg;
	e->ready++;
}

static void
e_msg(void *arg, struct conn *c, uint32_t sid, const uint8_t *intent,
    const uint8_t *d, size_t len)
{
	struct ev *e = c->udata;

	(void)arg;
	(void)d;
	e->msgs++;
	memcpy(e->last_intent, intent, 32);
	e->last_len = len;
	if (e->check) {
		size_t	 i;

		for (i = 0; i < len && d[i] == intent[0]; i++)
			;
		if (i != len)
			e->bad++;
	}
	if (e->pause_at > 0 && e->msgs == e->pause_at)
		c->paused = 1;
	if (e->autoack)
		conn_ack(c, sid, intent);
}

static void
e_oversize(void *arg, struct conn *c, uint32_t sid, const uint8_t *intent,
    uint64_t len)
{
	struct ev *e = c->udata;

	(void)arg;
	(void)sid;
	(void)intent;
	(void)len;
	e->oversize++;
}

static void
e_ack(void *arg, struct conn *c, const uint8_t *intent)
{
	struct ev *e = c->udata;

	(void)arg;
	(void)intent;
	e->acks++;
}

static void
e_reject(void *arg, struct conn *c, const uint8_t *intent, int r)
{
	struct ev *e = c->udata;

	(void)arg;
	(void)intent;
	(void)r;
	e->rejects++;
}

static void
e_pong(void *arg, struct conn *c, uint32_t rtt)
{
	struct ev *e = c->udata;

	(void)arg;
	(void)rtt;
	e->pongs++;
}

static const struct conn_cb cb = {
	e_allow, e_ready, e_msg, e_oversize, e_ack, e_reject, e_pong
};

static struct p2p_identity ida, idb, idc;

/*
 * Move bytes between a (dialer) and b until quiet.  tamper, if set, is
 * called on every chunk from a to b with its running offset.
 */
typedef void tamper_fn(struct buf *, size_t);

static void
run(struct conn *a, struct conn *b, tamper_fn *tamper)
{
	struct buf chunk = BUF_INIT;
	size_t	 off = 0;
	int	 i, moved = 1;

	for (i = 0; moved && i < 10000; i++) {
		moved = 0;
		conn_pump(a);
		conn_pump(b);
		if (buf_len(&a->out) > 0 && b->state != CONN_DEAD) {
			buf_append(&chunk, buf_data(&a->out), buf_len(&a->out));
			buf_reset(&a->out);
			if (tamper != NULL)
				tamper(&chunk, off);
			off += buf_len(&chunk);
			conn_input(b, buf_data(&chunk), buf_len(&chunk));
			buf_reset(&chunk);
			moved = 1;
		}
		if (buf_len(&b->out) > 0 && a->state != CONN_DEAD) {
			conn_input(a, buf_data(&b->out), buf_len(&b->out));
			buf_reset(&b->out);
			moved = 1;
		}
	}
	buf_free(&chunk);
}

static void
pair(struct conn **a, struct conn **b, struct ev *ea, struct ev *eb,
    const struct p2p_identity *ia, const struct p2p_identity *ib)
{
	*a = conn_new(1, ia, &cb, NULL, "a");
	*b = conn_new(0, ib, &cb, NULL, "b");
	(*a)->udata = ea;
	(*b)->udata = eb;
	conn_start(*a);
}

/* Flip one bit in the first chunk (the handshake is done already). */
static int flipped;
static void
flip(struct buf *chunk, size_t off)
{
	(void)off;
	if (!flipped && buf_len(chunk) > 20) {
		chunk->p[chunk->off + buf_len(chunk) / 2] ^= 0x20;
		flipped = 1;
	}
}

/* Send the first chunk twice. */
static int replayed;
static void
replay(struct buf *chunk, size_t off)
{
	struct buf copy = BUF_INIT;

	(void)off;
	if (!replayed && buf_len(chunk) > 0) {
		buf_append(&copy, buf_data(chunk), buf_len(chunk));
		buf_append(chunk, buf_data(&copy), buf_len(&copy));
		buf_free(&copy);
		replayed = 1;
	}
}

int
main(void)
{
	struct conn *a, *b;
	struct ev ea, eb;
	uint8_t	 seed[32], intent[32], data[3000];
	int	 i;

	if (sodium_init() == -1)
		return 1;
	memset(seed, 0xa, 32);
	p2p_identity_from_seed(seed, &ida);
	memset(seed, 0xb, 32);
	p2p_identity_from_seed(seed, &idb);
	memset(seed, 0xc, 32);
	p2p_identity_from_seed(seed, &idc);

	/* happy path */
	memset(&ea, 0, sizeof(ea));
	memset(&eb, 0, sizeof(eb));
	ea.allow = &idb.id;
	eb.allow = &ida.id;
	ea.autoack = eb.autoack = 1;
	pair(&a, &b, &ea, &eb, &ida, &idb);
	conn_expect(a, &idb.id);
	run(a, b, NULL);
	ok(a->state == CONN_OPEN && b->state == CONN_OPEN, "both open");
	ok(ea.ready == 1 && eb.ready == 1, "both ready");
	ok(peerid_eq(&a->remote, &idb.id) && peerid_eq(&b->remote, &ida.id),
	    "each knows the other's PeerId");
	for (i = 0; i < 10; i++) {
		memset(intent, i, 32);
		memset(data, 'a' + i, sizeof(data));
		ok(conn_send(a, intent, data, 100 + (size_t)i) == 0 &&
		    conn_send(b, intent, data, 200) == 0, "send %d", i);
	}
	run(a, b, NULL);
	is_int(eb.msgs, 10, "b received 10");
	is_int(ea.msgs, 10, "a received 10");
	is_int(ea.acks, 10, "a got 10 acks");
	is_int(eb.acks, 10, "b got 10 acks");
	is_int(eb.last_len, 109, "last message length");
	ok(conn_ping(a) == 0 && conn_ping(b) == 0, "pings sent");
	run(a, b, NULL);
	ok(ea.pongs == 1 && eb.pongs == 1, "pongs both ways");
	/*
	 * A limit lowered once the stream is open: the receiver's limit
	 * lives in each stream's decoder, set from conn_set_max when the
	 * stream is made (1 MiB here), so the 2000 bytes are delivered,
	 * not rejected (a fresh connection with a small limit, below,
	 * rejects them).
	 */
	conn_set_max(a, 5000);
	b->max_msg = 1000;
	memset(intent, 0x77, 32);
	ok(conn_send(a, intent, data, 2000) == 0, "send 2000 bytes");
	run(a, b, NULL);
	ok(a->state == CONN_OPEN && b->state == CONN_OPEN,
	    "still open after an oversize message");
	is_int(eb.msgs, 11, "the open stream's limit decides: delivered");
	is_int(eb.last_len, 2000, "... all 2000 bytes");
	is_int(eb.oversize, 0, "... not rejected as oversize");
	is_int(ea.rejects, 0, "... no REJECT to the sender");
	is_int(ea.acks, 11, "... acknowledged");
	conn_close(a, "test over");
	run(a, b, NULL);
	ok(b->state == CONN_CLOSING || b->state == CONN_DEAD,
	    "b goes away after a's go-away");
	conn_free(a);
	conn_free(b);

	/* oversize on a fresh connection with a small limit */
	memset(&ea, 0, sizeof(ea));
	memset(&eb, 0, sizeof(eb));
	ea.allow_all = eb.allow_all = 1;
	eb.autoack = 1;
	pair(&a, &b, &ea, &eb, &ida, &idb);
	conn_set_max(b, 1000);
	run(a, b, NULL);
	memset(intent, 0x55, 32);
	conn_send(a, intent, data, 2000);
	memset(intent, 0x56, 32);
	conn_send(a, intent, data, 500);
	run(a, b, NULL);
	is_int(eb.oversize, 1, "2000 bytes over a 1000-byte limit: oversize");
	is_int(ea.rejects, 1, "the sender got a REJECT");
	is_int(eb.msgs, 1, "the next message still arrives");
	is_int(ea.acks, 1, "and is acknowledged");
	conn_free(a);
	conn_free(b);

	/* unknown peer, inbound: b does not allow c */
	memset(&ea, 0, sizeof(ea));
	memset(&eb, 0, sizeof(eb));
	ea.allow_all = 1;
	eb.allow = &ida.id;
	pair(&a, &b, &ea, &eb, &idc, &idb);
	run(a, b, NULL);
	is_int(b->state, CONN_DEAD, "inbound unknown peer: dropped");
	ok(strstr(b->reason, "not in the allowed set") != NULL, "because: %s",
	    b->reason);
	is_int(eb.ready, 0, "never ready");
	conn_free(a);
	conn_free(b);

	/* unknown peer, outbound: a does not allow c */
	memset(&ea, 0, sizeof(ea));
	memset(&eb, 0, sizeof(eb));
	ea.allow = &idb.id;
	eb.allow_all = 1;
	pair(&a, &b, &ea, &eb, &ida, &idc);
	run(a, b, NULL);
	is_int(a->state, CONN_DEAD, "outbound to an unknown peer: dropped");
	ok(strstr(a->reason, "not in the allowed set") != NULL, "because: %s",
	    a->reason);
	ok(b->state != CONN_OPEN, "and the other side never opened");
	conn_free(a);
	conn_free(b);

	/* dialled b, found c */
	memset(&ea, 0, sizeof(ea));
	memset(&eb, 0, sizeof(eb));
	ea.allow_all = eb.allow_all = 1;
	pair(&a, &b, &ea, &eb, &ida, &idc);
	conn_expect(a, &idb.id);
	run(a, b, NULL);
	ok(a->state == CONN_DEAD && strstr(a->reason, "dialled") != NULL,
	    "wrong peer at the address: %s", a->reason);
	conn_free(a);
	conn_free(b);

	/* tampering after the handshake */
	memset(&ea, 0, sizeof(ea));
	memset(&eb, 0, sizeof(eb));
	ea.allow_all = eb.allow_all = 1;
	eb.autoack = 1;
	pair(&a, &b, &ea, &eb, &ida, &idb);
	run(a, b, NULL);
	for (i = 0; i < 5; i++) {
		memset(intent, i, 32);
		conn_send(a, intent, data, 300);
	}
	run(a, b, flip);
	ok(flipped, "a bit was flipped");
	is_int(b->state, CONN_DEAD, "flipped ciphertext: connection dropped");
	ok(strstr(b->reason, "fails authentication") != NULL, "because: %s",
	    b->reason);
	conn_free(a);
	conn_free(b);

	memset(&ea, 0, sizeof(ea));
	memset(&eb, 0, sizeof(eb));
	ea.allow_all = eb.allow_all = 1;
	pair(&a, &b, &ea, &eb, &ida, &idb);
	run(a, b, NULL);
	for (i = 0; i < 5; i++) {
		memset(intent, i, 32);
		conn_send(a, intent, data, 300);
	}
	run(a, b, replay);
	ok(replayed, "frames were replayed");
	is_int(b->state, CONN_DEAD, "replayed frame: connection dropped");
	ok(strstr(b->reason, "fails authentication") != NULL, "because: %s",
	    b->reason);
	ok(eb.msgs <= 5, "no message delivered twice (%d)", eb.msgs);
	conn_free(a);
	conn_free(b);

	/*
	 * long messages (several Noise frames each) to a receiver that
	 * pauses after the third: the rest waits in the stream, and comes
	 * once resumed, none lost, doubled or changed
	 */
	{
		static uint8_t big[200000];
		static const size_t sizes[] = { 65536, 1, 65519, 65472, 131072,
		    100003, 70000, 199999 };
		size_t	 k;

		memset(&ea, 0, sizeof(ea));
		memset(&eb, 0, sizeof(eb));
		ea.allow_all = eb.allow_all = 1;
		eb.autoack = eb.check = 1;
		eb.pause_at = 3;
		pair(&a, &b, &ea, &eb, &ida, &idb);
		run(a, b, NULL);
		for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			memset(intent, (int)k + 1, 32);
			memset(big, (int)k + 1, sizes[k]);
			if (conn_send(a, intent, big, sizes[k]) == -1)
				break;
		}
		is_int(k, 8, "8 long messages queued");
		run(a, b, NULL);
		is_int(eb.msgs, 3, "3 delivered, then paused");
		conn_resume(b);
		run(a, b, NULL);
		is_int(eb.msgs, 8, "the rest delivered once resumed");
		is_int(eb.bad, 0, "every byte as sent");
		is_int(eb.last_len, 199999, "in order");
		is_int(ea.acks, 8, "all acknowledged");
		/* the stream negotiated, nothing queued: sealed at once,
		 * but never ahead of a short one queued before it */
		for (k = 0; k < 4; k++) {
			memset(intent, 0x40 + (int)k, 32);
			memset(big, 0x40 + (int)k, sizeof(big));
			if (conn_send(a, intent, big, k == 2 ? 10 :
			    100000 + k) == -1)
				break;
			if (k == 0)
				is_int(conn_queued(a), 0,
				    "a long message skips the queue");
		}
		ok(k == 4 && conn_queued(a) > 100000,
		    "after a short one, a long one waits its turn");
		run(a, b, NULL);
		is_int(eb.msgs, 12, "those arrived too");
		is_int(eb.bad, 0, "every byte as sent");
		is_int(eb.last_len, 100003, "in order");
		is_int(ea.acks, 12, "all acknowledged");
		ok(a->state == CONN_OPEN && b->state == CONN_OPEN,
		    "both still open");
		conn_free(a);
		conn_free(b);
	}

	/* garbage instead of multistream-select */
	b = conn_new(0, &idb, &cb, NULL, "b");
	b->udata = &eb;
	ok(conn_input(b, (const uint8_t *)"\x06hello\n", 7) == -1 &&
	    strstr(b->reason, "multistream") != NULL,
	    "bad multistream line: %s", b->reason);
	conn_free(b);

	/* truncated handshake frame, then end of stream */
	b = conn_new(0, &idb, &cb, NULL, "b");
	b->udata = &eb;
	conn_input(b, (const uint8_t *)"\x13/multistream/1.0.0\n\x07/noise\n"
	    "\x00\x20" "0123456789", 40);
	is_int(b->state, CONN_NOISE, "waiting for the rest of the frame");
	conn_eof(b);
	ok(b->state == CONN_DEAD && strstr(b->reason, "truncated") != NULL,
	    "truncated frame at end of stream: %s", b->reason);
	conn_free(b);

	/* a bad yamux header inside a good session */
	memset(&ea, 0, sizeof(ea));
	memset(&eb, 0, sizeof(eb));
	ea.allow_all = eb.allow_all = 1;
	pair(&a, &b, &ea, &eb, &ida, &idb);
	run(a, b, NULL);
	noise_seal(&a->tx, (const uint8_t *)"\x09\x09\x09\x09\x09\x09\x09\x09"
	    "\x09\x09\x09\x09", 12, &a->out);
	run(a, b, NULL);
	ok(b->state == CONN_CLOSING || b->state == CONN_DEAD,
	    "bad yamux version: b goes away");
	ok(strstr(b->reason, "version") != NULL, "because: %s", b->reason);
	conn_free(a);
	conn_free(b);
	return done_testing();
}

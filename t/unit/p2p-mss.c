/*
 * p2p-mss: multistream-select between our dialer and listener, byte by
 * byte, with refusals, "ls", leftovers for the next protocol, and
 * malformed messages.
 */
#include <string.h>

#include "t/tap.h"
#include "connector/mss.h"

static const char *const dial2[] = { "/yamux/2.0.0", "/yamux/1.0.0" };
static const char *const lprotos[] = { "/yamux/1.0.0", "/noise" };

/* Run both sides, moving one byte at a time; returns rounds. */
static int
converse(struct mss *d, struct mss *l, int *rd, int *rl)
{
	struct buf d2l = BUF_INIT, l2d = BUF_INIT, din = BUF_INIT, lin =
	    BUF_INIT;
	char	 err[256];
	int	 rounds = 0;

	*rd = *rl = MSS_MORE;
	mss_start(d, &d2l);
	while (rounds++ < 10000 && (*rd == MSS_MORE || *rl == MSS_MORE)) {
		if (buf_len(&d2l) > 0 && *rl == MSS_MORE) {
			buf_append(&lin, buf_data(&d2l), 1);
			buf_consume(&d2l, 1);
			*rl = mss_input(l, &lin, &l2d, err, sizeof(err));
		}
		if (buf_len(&l2d) > 0 && *rd == MSS_MORE) {
			buf_append(&din, buf_data(&l2d), 1);
			buf_consume(&l2d, 1);
			*rd = mss_input(d, &din, &d2l, err, sizeof(err));
		}
		if (buf_len(&d2l) == 0 && buf_len(&l2d) == 0)
			break;
	}
	buf_free(&d2l);
	buf_free(&l2d);
	buf_free(&din);
	buf_free(&lin);
	return rounds;
}

static enum mss_result
feed(struct mss *m, const char *bytes, size_t n, struct buf *out, char *err,
    size_t errlen)
{
	struct buf in = BUF_INIT;
	enum mss_result r;

	buf_append(&in, bytes, n);
	r = mss_input(m, &in, out, err, errlen);
	buf_free(&in);
	return r;
}

int
main(void)
{
	struct mss d, l;
	struct buf in = BUF_INIT, out = BUF_INIT;
	char	 err[256];
	int	 rd, rl;
	static const char ls[] = "\x13/multistream/1.0.0\n\x03ls\n";

	mss_init(&d, 1, dial2, 2);
	mss_init(&l, 0, lprotos, 2);
	converse(&d, &l, &rd, &rl);
	is_int(rd, MSS_DONE, "dialer done after a refusal");
	is_int(rl, MSS_DONE, "listener done");
	is_str(d.selected, "/yamux/1.0.0", "dialer selected the second");
	is_str(l.selected, "/yamux/1.0.0", "listener agrees");
	is_int(l.nna, 1, "listener said na once");

	/* the exact bytes of a dialer */
	mss_init(&d, 1, dial2 + 1, 1);
	mss_start(&d, &out);
	is_mem(buf_data(&out), "\x13/multistream/1.0.0\n\x0d/yamux/1.0.0\n",
	    34, "dialer writes header and proposal, length-prefixed");
	buf_reset(&out);

	/* nothing in common */
	mss_init(&d, 1, dial2, 1);
	mss_init(&l, 0, lprotos + 1, 1);
	converse(&d, &l, &rd, &rl);
	is_int(rd, MSS_NOPROTO, "dialer: every proposal refused");

	/* listener: ls is refused with na; leftover bytes stay */
	mss_init(&l, 0, lprotos, 2);
	buf_append(&in, ls, sizeof(ls) - 1);
	buf_append(&in, "\x07/noise\nNOISEBYTES", 18);
	is_int(mss_input(&l, &in, &out, err, sizeof(err)), MSS_DONE,
	    "listener selects /noise after ls");
	is_mem(buf_data(&out), "\x13/multistream/1.0.0\n\x03na\n\x07/noise\n",
	    28, "header, na for ls, echo");
	is_int(buf_len(&in), 10, "the next protocol's bytes are left");
	is_mem(buf_data(&in), "NOISEBYTES", 10, "untouched");
	buf_reset(&in);
	buf_reset(&out);

	/* malformed input */
	mss_init(&l, 0, lprotos, 2);
	is_int(feed(&l, "\x13/multistream/1.0.0X", 20, &out, err, sizeof(err)),
	    MSS_ERR, "no newline: error");
	ok(strstr(err, "newline") != NULL, "says so: %s", err);
	mss_init(&l, 0, lprotos, 2);
	is_int(feed(&l, "\x06hello\n", 7, &out, err, sizeof(err)), MSS_ERR,
	    "garbage instead of the header");
	ok(strstr(err, "expected header") != NULL, "says so: %s", err);
	mss_init(&l, 0, lprotos, 2);
	is_int(feed(&l, "\x81\x08", 2, &out, err, sizeof(err)), MSS_ERR,
	    "1025-byte message refused before it arrives");
	mss_init(&l, 0, lprotos, 2);
	is_int(feed(&l, "\x00", 1, &out, err, sizeof(err)), MSS_ERR,
	    "empty message refused");
	mss_init(&l, 0, lprotos, 2);
	is_int(feed(&l, "\x80\x00", 2, &out, err, sizeof(err)), MSS_ERR,
	    "non-minimal varint refused");
	mss_init(&l, 0, lprotos, 2);
	is_int(feed(&l, "\x13/multistream/1.0.0\n\x04" "a\x01" "b\n", 25, &out,
	    err, sizeof(err)), MSS_ERR, "control byte refused");
	mss_init(&l, 0, lprotos, 2);
	is_int(feed(&l, "\x13/multistream/1.0.0\n\x13/multistream/1.0.0\n", 40,
	    &out, err, sizeof(err)), MSS_ERR, "header twice refused");
	mss_init(&l, 0, lprotos, 2);
	is_int(feed(&l, "\x13/multistream/1.0", 17, &out, err, sizeof(err)),
	    MSS_MORE, "partial message: wait");
	mss_init(&d, 1, dial2, 1);
	mss_start(&d, &out);
	is_int(feed(&d, "\x13/multistream/1.0.0\n\x05nope\n", 26, &out, err,
	    sizeof(err)), MSS_ERR, "dialer: unexpected answer");
	ok(strstr(err, "got \"nope\"") != NULL, "says so: %s", err);
	{
		/* a listener gives up after too many refusals */
		struct buf many = BUF_INIT;
		int	 i;

		mss_init(&l, 0, lprotos, 2);
		buf_append(&many, "\x13/multistream/1.0.0\n", 20);
		for (i = 0; i < MSS_MAXNA + 1; i++)
			buf_append(&many, "\x02x\n", 3);
		is_int(mss_input(&l, &many, &out, err, sizeof(err)), MSS_ERR,
		    "listener stops after %d refusals", MSS_MAXNA);
		buf_free(&many);
	}
	buf_free(&in);
	buf_free(&out);
	return done_testing();
}

/*
 * Fuzz multistream-select: arbitrary bytes at a listener and at a dialer,
 * whole and split in two.  Nothing may crash; a finished negotiation
 * leaves exactly the unread bytes; output stays bounded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "connector/mss.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const protos[] = { "/noise", "/yamux/1.0.0",
	"/serai/coordinator/1.0.0" };

static void
run(int dialer, const uint8_t *p, size_t n, size_t split)
{
	struct mss m;
	struct buf in = BUF_INIT, out = BUF_INIT;
	char	 err[256];
	enum mss_result r;

	mss_init(&m, dialer, protos, 3);
	mss_start(&m, &out);
	buf_append(&in, p, split);
	r = mss_input(&m, &in, &out, err, sizeof(err));
	if (r == MSS_MORE) {
		buf_append(&in, p + split, n - split);
		r = mss_input(&m, &in, &out, err, sizeof(err));
	}
	if (r == MSS_DONE && strlen(m.selected) == 0)
		abort();
	if (buf_len(&out) > 64 * 1024)
		abort();
	buf_free(&in);
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	run(0, p, n, n);
	run(1, p, n, n);
	if (n > 1) {
		run(0, p, n, p[0] % n);
		run(1, p, n, p[n - 1] % n);
	}
	return 0;
}

/*
 * Fuzz the Noise side: the first byte picks a target.
 *   0: handshake message 1 at a fresh responder, then its reply
 *   1: handshake message 2 at an initiator that sent message 1
 *   2: the libp2p handshake payload (protobuf, key, signature)
 *   3: a stream of transport frames (2-byte length, ciphertext) at a
 *      receiver keyed from a real handshake, decrypted into a buffer or
 *      (bit 2 set) in place
 * Nothing may crash or read out of bounds; garbage never authenticates.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "connector/noise.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct noise_cipher rx0;
static int	 ready;

static void
setup(void)
{
	struct noise_hs a, b;
	struct noise_cipher atx, arx, btx;
	uint8_t	 msg[256], pl[256], ka[32], kb[32];
	size_t	 len, plen;
	char	 err[128];

	if (sodium_init() == -1)
		abort();
	memset(ka, 1, 32);
	memset(kb, 2, 32);
	noise_hs_init(&a, 1, NULL, 0, ka, ka);
	noise_hs_init(&b, 0, NULL, 0, kb, kb);
	noise_hs_write(&a, NULL, 0, msg, sizeof(msg), &len, err, sizeof(err));
	noise_hs_read(&b, msg, len, pl, sizeof(pl), &plen, err, sizeof(err));
	noise_hs_write(&b, NULL, 0, msg, sizeof(msg), &len, err, sizeof(err));
	noise_hs_read(&a, msg, len, pl, sizeof(pl), &plen, err, sizeof(err));
	noise_hs_write(&a, NULL, 0, msg, sizeof(msg), &len, err, sizeof(err));
	if (noise_hs_read(&b, msg, len, pl, sizeof(pl), &plen, err,
	    sizeof(err)) == -1)
		abort();
	noise_hs_split(&a, &atx, &arx);
	noise_hs_split(&b, &btx, &rx0);
	ready = 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	struct noise_hs hs;
	struct noise_cipher rx;
	struct buf in = BUF_INIT, out = BUF_INIT;
	uint8_t	 pl[NOISE_MSGMAX], msg[NOISE_MSGMAX], pk[32], s[32];
	size_t	 plen, len;
	char	 err[256];

	if (!ready)
		setup();
	if (n < 1)
		return 0;
	switch (p[0] % 4) {
	case 0:
		noise_hs_init(&hs, 0, NULL, 0, NULL, NULL);
		if (noise_hs_read(&hs, p + 1, n - 1, pl, sizeof(pl), &plen,
		    err, sizeof(err)) == 0)
			noise_hs_write(&hs, pl, plen > 1000 ? 1000 : plen, msg,
			    sizeof(msg), &len, err, sizeof(err));
		break;
	case 1:
		noise_hs_init(&hs, 1, NULL, 0, NULL, NULL);
		noise_hs_write(&hs, NULL, 0, msg, sizeof(msg), &len, err,
		    sizeof(err));
		if (noise_hs_read(&hs, p + 1, n - 1, pl, sizeof(pl), &plen,
		    err, sizeof(err)) == 0)
			abort();	/* a forged message 2 authenticated */
		break;
	case 2:
		memset(s, 3, sizeof(s));
		(void)noise_payload_verify(p + 1, n - 1, s, pk, err,
		    sizeof(err));
		{
			static const char *const m[] = { "/yamux/1.0.0" };
			int	 i;

			(void)noise_payload_muxer(p + 1, n - 1, m, 1,
			    p[0] & 1, &i);
		}
		break;
	case 3:
		rx = rx0;
		buf_append(&in, p + 1, n - 1);
		while (noise_frame_peek(&in, &len)) {
			/* bit 2 of the first byte: decrypt in place */
			if ((p[0] & 4) ? noise_open_inplace(&rx,
			    buf_mdata(&in) + 2, len, err, sizeof(err)) == 0 :
			    noise_open(&rx, buf_data(&in) + 2, len, &out, err,
			    sizeof(err)) == 0)
				abort();	/* forged frame accepted */
			buf_consume(&in, 2 + len);
		}
		break;
	}
	buf_free(&in);
	buf_free(&out);
	return 0;
}

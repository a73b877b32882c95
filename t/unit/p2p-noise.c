/*
 * p2p-noise: Noise_XX_25519_ChaChaPoly_SHA256 against the cacophony test
 * vector (the set noise-c and snow check themselves with), then the libp2p
 * layer: the signed handshake payload, framing, and what a tampered,
 * replayed or truncated frame does.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "t/tap.h"
#include "cfg.h"
#include "hex.h"
#include "connector/conn.h"
#include "connector/noise.h"
#include "connector/peerid.h"

/* cacophony.txt, "Noise_XX_25519_ChaChaPoly_SHA256". */
static const char *V_PROLOGUE = "4a6f686e2047616c74";
static const char *V_INIT_S =
    "e61ef9919cde45dd5f82166404bd08e38bceb5dfdfded0a34c8df7ed542214d1";
static const char *V_INIT_E =
    "893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a";
static const char *V_RESP_S =
    "4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893";
static const char *V_RESP_E =
    "bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b";
static const struct {
	const char *payload;
	const char *ciphertext;
} V_MSG[] = {
	{ "4c756477696720766f6e204d69736573",
	  "ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c7944"
	  "4c756477696720766f6e204d69736573" },
	{ "4d757272617920526f746862617264",
	  "95ebc60d2b1fa672c1f46a8aa265ef51bfe38e7ccb39ec5be34069f144808843"
	  "81cbad1f276e038c48378ffce2b65285e08d6b68aaa3629a5a8639392490e5b9"
	  "bd5269c2f1e4f488ed8831161f19b7815528f8982ffe09be9b5c412f8a0db50f"
	  "8814c7194e83f23dbd8d162c9326ad" },
	{ "462e20412e20486179656b",
	  "c7195ffacac1307ff99046f219750fc47693e23c3cb08b89c2af808b444850a8"
	  "0ae475b9df0f169ae80a89be0865b57f58c9fea0d4ec82a286427402f113e4b6"
	  "ae769a1d95941d49b25030" },
	{ "4361726c204d656e676572",
	  "96763ed773f8e47bb3712f0e29b3060ffc956ffc146cee53d5e1df" },
	{ "4a65616e2d426170746973746520536179",
	  "3e40f15f6f3a46ae446b253bf8b1d9ffb6ed9b174d272328ff91a7e2e5c79c07f5" },
	{ "457567656e2042f6686d20766f6e2042617765726b",
	  "eb3f3515110702e047a6c9da4478b6ead94873c11c0f2d710ddb3f09fce024b3"
	  "a58502ae3f" },
};

/* The vector's hex into out (the unit tests' data are well formed). */
static size_t
unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t	 n = strlen(h) / 2;

	if (n > cap || hex_decode(h, out, n) == -1)
		return 0;
	return n;
}

static void
test_vector(void)
{
	struct noise_hs ini, res;
	struct noise_cipher itx, irx, rtx, rrx, *tx, *rx;
	uint8_t	 pro[16], is[32], ie[32], rs[32], re[32], pl[128], want[256];
	uint8_t	 msg[256], got[256];
	size_t	 prolen, pllen, wantlen, mlen, glen;
	char	 err[256];
	int	 i, wr;

	prolen = unhex(V_PROLOGUE, pro, sizeof(pro));
	unhex(V_INIT_S, is, 32);
	unhex(V_INIT_E, ie, 32);
	unhex(V_RESP_S, rs, 32);
	unhex(V_RESP_E, re, 32);
	noise_hs_init(&ini, 1, pro, prolen, is, ie);
	noise_hs_init(&res, 0, pro, prolen, rs, re);

	for (i = 0; i < 3; i++) {
		struct noise_hs *w = i == 1 ? &res : &ini;
		struct noise_hs *r = i == 1 ? &ini : &res;

		pllen = unhex(V_MSG[i].payload, pl, sizeof(pl));
		wantlen = unhex(V_MSG[i].ciphertext, want, sizeof(want));
		wr = noise_hs_write(w, pl, pllen, msg, sizeof(msg), &mlen, err,
		    sizeof(err));
		ok(wr == 0, "handshake message %d written", i + 1);
		ok(mlen == wantlen && memcmp(msg, want, mlen) == 0,
		    "handshake message %d matches the vector", i + 1);
		ok(noise_hs_read(r, msg, mlen, got, sizeof(got), &glen, err,
		    sizeof(err)) == 0 && glen == pllen &&
		    memcmp(got, pl, pllen) == 0,
		    "handshake message %d read back", i + 1);
	}
	is_mem(ini.h, res.h, 32, "both sides agree on the handshake hash");
	is_mem(ini.rs, res.s_pk, 32, "initiator learnt the responder's key");
	is_mem(res.rs, ini.s_pk, 32, "responder learnt the initiator's key");
	noise_hs_split(&ini, &itx, &irx);
	noise_hs_split(&res, &rtx, &rrx);
	for (i = 3; i < 6; i++) {
		/* after the handshake: responder, initiator, responder */
		tx = i % 2 == 1 ? &rtx : &itx;
		rx = i % 2 == 1 ? &irx : &rrx;
		pllen = unhex(V_MSG[i].payload, pl, sizeof(pl));
		wantlen = unhex(V_MSG[i].ciphertext, want, sizeof(want));
		ok(noise_encrypt(tx, NULL, 0, pl, pllen, msg) == 0 &&
		    pllen + 16 == wantlen && memcmp(msg, want, wantlen) == 0,
		    "transport message %d matches the vector", i + 1);
		ok(noise_decrypt(rx, NULL, 0, msg, wantlen, got) == 0 &&
		    memcmp(got, pl, pllen) == 0,
		    "transport message %d decrypts", i + 1);
	}
}

/* A libp2p handshake between two identities, messages through frames. */
static void
test_libp2p(void)
{
	struct p2p_identity a, b;
	struct noise_hs ini, res;
	struct noise_cipher itx, irx, rtx, rrx;
	struct buf wire = BUF_INIT, pt = BUF_INIT;
	uint8_t	 seed[32], pay[NOISE_PAYLOAD_LEN], msg[512], got[512];
	uint8_t	 idpk[32], frame[128];
	size_t	 paylen, mlen, glen, flen;
	char	 err[256];

	memset(seed, 0xa1, 32);
	p2p_identity_from_seed(seed, &a);
	memset(seed, 0xb2, 32);
	p2p_identity_from_seed(seed, &b);
	noise_hs_init(&ini, 1, NULL, 0, NULL, NULL);
	noise_hs_init(&res, 0, NULL, 0, NULL, NULL);

	noise_hs_write(&ini, NULL, 0, msg, sizeof(msg), &mlen, err,
	    sizeof(err));
	is_int(mlen, 32, "message 1 is the bare ephemeral key");
	noise_hs_read(&res, msg, mlen, got, sizeof(got), &glen, err,
	    sizeof(err));
	noise_payload_make(b.sk, b.pk, res.s_pk, pay, sizeof(pay), &paylen);
	is_int(paylen, NOISE_PAYLOAD_LEN, "payload of 104 bytes");
	noise_hs_write(&res, pay, paylen, msg, sizeof(msg), &mlen, err,
	    sizeof(err));
	ok(noise_hs_read(&ini, msg, mlen, got, sizeof(got), &glen, err,
	    sizeof(err)) == 0, "message 2 read");
	ok(noise_payload_verify(got, glen, ini.rs, idpk, err, sizeof(err))
	    == 0 && memcmp(idpk, b.pk, 32) == 0,
	    "responder's identity verified");
	/* the signature binds the static key: another key fails */
	ok(noise_payload_verify(got, glen, ini.re, idpk, err, sizeof(err))
	    == -1 && strstr(err, "does not verify") != NULL,
	    "signature over a different static key refused: %s", err);
	got[glen - 1] ^= 1;
	ok(noise_payload_verify(got, glen, ini.rs, idpk, err, sizeof(err))
	    == -1, "altered signature refused");
	ok(noise_payload_verify(got, 10, ini.rs, idpk, err, sizeof(err))
	    == -1, "truncated payload refused: %s", err);
	ok(noise_payload_verify(got, 0, ini.rs, idpk, err, sizeof(err))
	    == -1 && strstr(err, "without") != NULL,
	    "empty payload refused: %s", err);

	noise_payload_make(a.sk, a.pk, ini.s_pk, pay, sizeof(pay), &paylen);
	noise_hs_write(&ini, pay, paylen, msg, sizeof(msg), &mlen, err,
	    sizeof(err));
	/* a flipped bit in message 3 */
	msg[40] ^= 0x80;
	{
		struct noise_hs copy = res;

		ok(noise_hs_read(&copy, msg, mlen, got, sizeof(got), &glen,
		    err, sizeof(err)) == -1 &&
		    strstr(err, "authentication") != NULL,
		    "flipped bit in message 3 detected: %s", err);
	}
	msg[40] ^= 0x80;
	ok(noise_hs_read(&res, msg, mlen, got, sizeof(got), &glen, err,
	    sizeof(err)) == 0, "message 3 read");
	ok(noise_payload_verify(got, glen, res.rs, idpk, err, sizeof(err))
	    == 0 && memcmp(idpk, a.pk, 32) == 0,
	    "initiator's identity verified");
	ok(noise_hs_write(&res, NULL, 0, msg, sizeof(msg), &mlen, err,
	    sizeof(err)) == -1, "no fourth handshake message");
	noise_hs_split(&ini, &itx, &irx);
	noise_hs_split(&res, &rtx, &rrx);

	/* transport frames */
	noise_seal(&itx, (const uint8_t *)"hello", 5, &wire);
	noise_seal(&itx, (const uint8_t *)"world", 5, &wire);
	ok(noise_frame_peek(&wire, &flen) && flen == 21,
	    "frame: 2-byte length, 5 bytes + 16 tag");
	memcpy(frame, buf_data(&wire) + 2, flen);
	ok(noise_open(&rrx, frame, flen, &pt, err, sizeof(err)) == 0 &&
	    buf_len(&pt) == 5 && memcmp(buf_data(&pt), "hello", 5) == 0,
	    "first frame decrypts");
	buf_consume(&wire, 2 + flen);
	ok(noise_open(&rrx, frame, flen, &pt, err, sizeof(err)) == -1,
	    "the same frame again (replay) is refused: %s", err);
	noise_frame_peek(&wire, &flen);
	memcpy(frame, buf_data(&wire) + 2, flen);
	frame[3] ^= 1;
	ok(noise_open(&rrx, frame, flen, &pt, err, sizeof(err)) == -1,
	    "flipped ciphertext byte refused");
	frame[3] ^= 1;
	ok(noise_open(&rrx, frame, flen, &pt, err, sizeof(err)) == 0 &&
	    buf_len(&pt) == 10, "the genuine second frame still decrypts");
	ok(noise_open(&rrx, frame, 10, &pt, err, sizeof(err)) == -1 &&
	    strstr(err, "shorter than its tag") != NULL,
	    "frame shorter than a tag refused");
	buf_consume(&wire, 2 + flen);
	wire.len = 0;
	buf_append(&wire, "\x00\x30" "abc", 5);
	ok(!noise_frame_peek(&wire, &flen), "truncated frame: wait for more");

	/* a big write is split into frames of at most 65535 bytes */
	{
		static uint8_t big[200000];
		size_t	 total = 0, frames = 0;

		buf_reset(&wire);
		buf_reset(&pt);
		memset(big, 'z', sizeof(big));
		noise_seal(&rtx, big, sizeof(big), &wire);
		while (noise_frame_peek(&wire, &flen)) {
			if (flen > NOISE_MSGMAX ||
			    noise_open(&irx, buf_data(&wire) + 2, flen, &pt,
			    err, sizeof(err)) == -1)
				break;
			buf_consume(&wire, 2 + flen);
			frames++;
		}
		total = buf_len(&pt);
		ok(frames == 4 && total == sizeof(big) &&
		    memcmp(buf_data(&pt), big, total) == 0,
		    "200000 bytes: %zu frames, %zu bytes back", frames, total);
	}
	buf_free(&wire);
	buf_free(&pt);
}

static void
test_short(void)
{
	struct noise_hs res;
	uint8_t	 msg[64], got[64];
	size_t	 glen;
	char	 err[256];

	noise_hs_init(&res, 0, NULL, 0, NULL, NULL);
	memset(msg, 0, sizeof(msg));
	ok(noise_hs_read(&res, msg, 31, got, sizeof(got), &glen, err,
	    sizeof(err)) == -1 && strstr(err, "too short") != NULL,
	    "31-byte message 1 refused: %s", err);
}

static void
test_keyfile(void)
{
	struct p2p_identity id;
	char	 path[512], err[512];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/key", tap_tmpdir());
	f = fopen(path, "w");
	fprintf(f, "%s\n", "0101010101010101010101010101010101010101010101010101"
	    "010101010101");
	fclose(f);
	ok(p2p_identity_load(path, &id, err, sizeof(err)) == -1 &&
	    strstr(err, "0600") != NULL, "a world-readable key is refused");
	chmod(path, 0600);
	ok(p2p_identity_load(path, &id, err, sizeof(err)) == 0, "hex key");
	is_str(id.idstr, "12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5",
	    "its PeerId");
	f = fopen(path, "w");
	fprintf(f, "not a key\n");
	fclose(f);
	ok(p2p_identity_load(path, &id, err, sizeof(err)) == -1,
	    "garbage key file refused: %s", err);
}

/*
 * noise_seal2 (two pieces, gathered into the frame and sealed in place)
 * must give exactly what noise_seal gives for the two pieces joined, at
 * every length around the 64-byte keystream blocks and at the frame
 * maximum; and noise_open_inplace must read both, and refuse a changed
 * byte.
 */
static void
test_seal2(void)
{
	static uint8_t b[NOISE_PLAINMAX], joined[NOISE_PLAINMAX];
	static const size_t alens[] = { 0, 1, 12, 63, 64 };
	static const size_t blens[] = { 0, 1, 51, 52, 53, 63, 64, 65, 127,
	    128, 1000, 65507 };
	struct noise_cipher c1, c2, c3;
	struct buf w1 = BUF_INIT, w2 = BUF_INIT;
	uint8_t	 a[64], *f;
	char	 err[256];
	size_t	 i, j, n, bad = 0, badopen = 0, cases = 0, badtamper = 0;

	randombytes_buf(a, sizeof(a));
	randombytes_buf(b, sizeof(b));
	memset(&c1, 0, sizeof(c1));
	randombytes_buf(c1.k, sizeof(c1.k));
	c1.has_k = 1;
	c1.n = 41;
	c2 = c3 = c1;
	for (i = 0; i < sizeof(alens) / sizeof(alens[0]); i++)
		for (j = 0; j < sizeof(blens) / sizeof(blens[0]); j++) {
			n = alens[i] + blens[j];
			if (n > NOISE_PLAINMAX)
				continue;
			cases++;
			memcpy(joined, a, alens[i]);
			memcpy(joined + alens[i], b, blens[j]);
			buf_reset(&w1);
			buf_reset(&w2);
			if (noise_seal2(&c1, a, alens[i], b, blens[j],
			    &w1) == -1)
				bad++;
			if (n > 0)
				noise_seal(&c2, joined, n, &w2);
			else {
				/* noise_seal writes nothing for nothing */
				noise_encrypt(&c2, NULL, 0, joined, 0,
				    buf_reserve(&w2, 2 + NOISE_TAGLEN) + 2);
				buf_mdata(&w2)[0] = 0;
				buf_mdata(&w2)[1] = NOISE_TAGLEN;
				buf_commit(&w2, 2 + NOISE_TAGLEN);
			}
			if (buf_len(&w1) != buf_len(&w2) ||
			    memcmp(buf_data(&w1), buf_data(&w2),
			    buf_len(&w1)) != 0)
				bad++;
			f = buf_mdata(&w1);
			if ((f[0] << 8 | f[1]) != n + NOISE_TAGLEN ||
			    noise_open_inplace(&c3, f + 2, n + NOISE_TAGLEN,
			    err, sizeof(err)) == -1 ||
			    memcmp(f + 2, joined, n) != 0)
				badopen++;
		}
	is_int(bad, 0, "seal2 matches the AEAD in %zu cases", cases);
	is_int(badopen, 0, "open_inplace reads them all back");
	ok(c1.n == c2.n && c2.n == c3.n && c1.n == 41 + cases,
	    "one nonce per frame");

	/* a changed byte anywhere: refused, nonce not spent */
	for (i = 0; i < 3; i++) {
		buf_reset(&w1);
		c2 = c1;
		noise_seal2(&c1, a, 12, b, 100, &w1);
		f = buf_mdata(&w1);
		f[2 + (i == 0 ? 0 : i == 1 ? 50 : 112 + 5)] ^= 1;
		if (noise_open_inplace(&c3, f + 2, 112 + NOISE_TAGLEN, err,
		    sizeof(err)) != -1 || c3.n != c2.n)
			badtamper++;
		c1 = c2;		/* both sides back in step */
	}
	is_int(badtamper, 0, "a changed byte in header, body or tag: refused");
	ok(noise_open_inplace(&c3, f + 2, 10, err, sizeof(err)) == -1 &&
	    strstr(err, "shorter than its tag") != NULL,
	    "a frame shorter than its tag is refused: %s", err);
	ok(noise_seal2(&c1, a, 12, b, NOISE_PLAINMAX - 11, &w1) == -1,
	    "more than a frame's plaintext is refused");
	buf_free(&w1);
	buf_free(&w2);
}

/*
 * The transport nonce: 4 zero bytes, then the 64-bit counter in little
 * endian (the vector above only reaches counter 2).  noise_encrypt at a
 * counter with every byte different must give what the AEAD gives under
 * that nonce; the last counter is refused, as the spec reserves it.
 */
static void
test_nonce(void)
{
	static const uint8_t nonce[12] = { 0, 0, 0, 0,
	    0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01 };
	struct noise_cipher cs;
	uint8_t	 pt[100], ct[100 + NOISE_TAGLEN], want[100 + NOISE_TAGLEN];
	unsigned long long wlen;

	memset(&cs, 0, sizeof(cs));
	randombytes_buf(cs.k, sizeof(cs.k));
	randombytes_buf(pt, sizeof(pt));
	cs.has_k = 1;
	cs.n = 0x0102030405060708ULL;
	crypto_aead_chacha20poly1305_ietf_encrypt(want, &wlen, pt,
	    sizeof(pt), NULL, 0, NULL, nonce, cs.k);
	ok(noise_encrypt(&cs, NULL, 0, pt, sizeof(pt), ct) == 0 &&
	    wlen == sizeof(ct) && memcmp(ct, want, sizeof(ct)) == 0 &&
	    cs.n == 0x0102030405060709ULL,
	    "nonce: 4 zero bytes, then the counter in little endian");
	cs.n = UINT64_MAX;
	ok(noise_encrypt(&cs, NULL, 0, pt, sizeof(pt), ct) == -1 &&
	    cs.n == UINT64_MAX, "the counter 2^64-1 is never used");
}

/* Early muxer negotiation: the extensions in the payload. */
static void
test_muxers(void)
{
	static const char *const ours[] = { "/yamux/1.0.0", "/mplex/6.7.0" };
	static const char *const other[] = { "/mplex/6.7.0", "/yamux/1.0.0" };
	static const char *const none[] = { "/other/1.0.0" };
	struct p2p_identity a;
	uint8_t	 seed[32], pay[256], idpk[32], s_pk[32];
	char	 err[256];
	size_t	 len;
	int	 i;

	memset(seed, 7, sizeof(seed));
	memset(s_pk, 9, sizeof(s_pk));
	p2p_identity_from_seed(seed, &a);
	noise_payload_make(a.sk, a.pk, s_pk, pay, sizeof(pay), &len);
	ok(noise_payload_muxer(pay, len, ours, 2, 1, &i) == 0 && i == -1,
	    "muxers: none listed in a plain payload");
	ok(noise_payload_add_muxers(pay, sizeof(pay), &len, other, 2) == 0 &&
	    len == NOISE_PAYLOAD_LEN + 2 + 2 * 14, "muxers appended");
	ok(noise_payload_verify(pay, len, s_pk, idpk, err, sizeof(err)) == 0,
	    "the payload with extensions still verifies");
	ok(noise_payload_muxer(pay, len, ours, 2, 1, &i) == 1 && i == 1,
	    "theirs first (we respond): their first we speak, mplex");
	ok(noise_payload_muxer(pay, len, ours, 2, 0, &i) == 1 && i == 0,
	    "ours first (we dialled): our first they list, yamux");
	ok(noise_payload_muxer(pay, len, none, 1, 0, &i) == 1 && i == -1,
	    "listed, none in common: multistream-select then");
	ok(noise_payload_muxer(pay, len - 1, ours, 2, 0, &i) == -1,
	    "truncated extensions refused");
	len = 0;
	ok(noise_payload_add_muxers(pay, 10, &len, ours, 2) == -1,
	    "no room: refused");
}

int
main(void)
{
	if (sodium_init() == -1)
		return 1;
	test_vector();
	test_libp2p();
	test_short();
	test_seal2();
	test_nonce();
	test_keyfile();
	test_muxers();
	return done_testing();
}

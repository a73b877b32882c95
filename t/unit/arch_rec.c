/* arch_rec: records, sealing, key files and rotation (archiver/rec.c, key.c). */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "archiver/key.h"
#include "archiver/rec.h"
#include "log.h"
#include "t/tap.h"

static void
write_file(const char *path, const void *p, size_t n, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd == -1 || write(fd, p, n) != (ssize_t)n)
		abort();
	fchmod(fd, mode);
	close(fd);
}

static void
sample(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->topic, sizeof(r->topic), "signing");
	r->partition = 3;
	r->offset = 1234567890123LL;
	r->type = 0xdeadbeef;
	memset(r->intent, 0xa5, sizeof(r->intent));
	snprintf(r->sender, sizeof(r->sender), "alice.signer");
	r->time = 1700000000123LL;
}

int
main(void)
{
	const char *dir = tap_tmpdir();
	char path[512], path2[512], err[512], hex[65];
	uint8_t key1[32], key2[32], body[] = "the body, in plaintext";
	uint8_t ct[sizeof(body) + REC_TAG_LEN], out[sizeof(body)];
	uint8_t enc[1024], id1[8], kct[sizeof(body) + REC_TAG_LEN];
	struct keyring *kr, *kr2, *old;
	struct rec r, r2, t;
	struct kv k, k2;
	size_t n, i;
	int kind, bad;

	log_init("arch_rec", LOG_LVL_WARN);
	if (sodium_init() == -1)
		return 1;
	randombytes_buf(key1, sizeof(key1));
	randombytes_buf(key2, sizeof(key2));

	/* Key files: raw or hex, mode 0600 only. */
	kr = keyring_new();
	snprintf(path, sizeof(path), "%s/raw.key", dir);
	write_file(path, key1, 32, 0644);
	ok(keyring_add_file(kr, path, err, sizeof(err)) == -1 &&
	    strstr(err, "0600") != NULL, "a key file readable by others is "
	    "refused (%s)", err);
	chmod(path, 0600);
	ok(keyring_add_file(kr, path, err, sizeof(err)) == 0 && kr->n == 1,
	    "a raw 32-byte key file is read");
	sodium_bin2hex(hex, sizeof(hex), key1, 32);
	snprintf(path2, sizeof(path2), "%s/hex.key", dir);
	write_file(path2, hex, 64, 0600);
	ok(keyring_add_file(kr, path2, err, sizeof(err)) == 0 && kr->n == 1,
	    "the same key in hex is the same key (not added twice)");
	write_file(path2, hex, 40, 0600);
	ok(keyring_add_file(kr, path2, err, sizeof(err)) == -1,
	    "a short key file is refused (%s)", err);
	key_id(key1, id1);
	ok(memcmp(kr->k[0].id, id1, 8) == 0 && keyring_find(kr, id1) != NULL,
	    "the key id is derived from the key");
	ok(snprintf(path2, sizeof(path2), "%s/gen.key", dir) > 0 &&
	    key_generate(path2, err, sizeof(err)) == 0 &&
	    keyring_add_file(kr, path2, err, sizeof(err)) == 0 && kr->n == 2,
	    "keygen writes a key file that loads");
	ok(key_generate(path2, err, sizeof(err)) == -1,
	    "keygen does not overwrite a key file");

	/* Seal and open. */
	sample(&r);
	rec_seal(&r, kr, body, sizeof(body), ct);
	ok(r.ctlen == sizeof(body) + REC_TAG_LEN &&
	    memmem(ct, r.ctlen, "plaintext", 9) == NULL,
	    "the sealed body does not hold the plaintext");
	ok(rec_open(&r, kr, out, err, sizeof(err)) == 0 &&
	    memcmp(out, body, sizeof(body)) == 0, "sealed body opens");
	sample(&r2);
	rec_seal(&r2, kr, body, sizeof(body), enc);
	ok(memcmp(r.nonce, r2.nonce, REC_NONCE_LEN) != 0, "nonces are random");

	/* Every metadata field is bound. */
	bad = 0;
	for (i = 0; i < 8; i++) {
		t = r;
		switch (i) {
		case 0: t.topic[0] ^= 1; break;
		case 1: t.partition++; break;
		case 2: t.offset++; break;
		case 3: t.type ^= 1; break;
		case 4: t.intent[31] ^= 1; break;
		case 5: t.sender[0] ^= 1; break;
		case 6: t.time++; break;
		case 7: t.nonce[0] ^= 1; break;
		}
		if (rec_open(&t, kr, out, err, sizeof(err)) == 0)
			bad++;
	}
	is_int(bad, 0, "changing any metadata field makes the body unreadable");
	kr2 = keyring_new();
	keyring_add(kr2, key2, err, sizeof(err));
	ok(rec_open(&r, kr2, out, err, sizeof(err)) == -1 &&
	    strstr(err, "not in the keyring") != NULL,
	    "another key is refused: %s", err);
	t = r;
	memcpy(t.keyid, kr2->k[0].id, 8);
	ok(rec_open(&t, kr2, out, err, sizeof(err)) == -1 &&
	    strstr(err, "authentication failed") != NULL,
	    "a forged key id does not help: %s", err);

	/* Encoding. */
	n = rec_encode(&r, enc);
	is_int(n, rec_size(&r), "encoded size");
	ok(rec_decode(enc, n, &kind, &t, &k, err, sizeof(err)) == 0 &&
	    kind == REC_KIND_RECORD && rec_cmp(&t, &r) == 0 &&
	    t.type == r.type && t.time == r.time &&
	    strcmp(t.sender, r.sender) == 0 &&
	    memcmp(t.intent, r.intent, 32) == 0 && t.ctlen == r.ctlen &&
	    memcmp(t.ct, r.ct, r.ctlen) == 0, "decode(encode(r)) == r");
	ok(rec_open(&t, kr, out, err, sizeof(err)) == 0,
	    "a decoded record opens");
	bad = 0;
	for (i = 0; i < n; i++)
		if (rec_decode(enc, i, &kind, &t, &k, err, sizeof(err)) == 0)
			bad++;
	enc[n] = 0;
	if (rec_decode(enc, n + 1, &kind, &t, &k, err, sizeof(err)) == 0)
		bad++;
	is_int(bad, 0, "every truncation and an extra byte are refused");

	/* kv entries. */
	memset(&k, 0, sizeof(k));
	snprintf(k.name, sizeof(k.name), "signer/session-7");
	k.time = 42;
	kv_seal(&k, kr, body, sizeof(body), kct);
	n = kv_encode(&k, enc);
	ok(n == kv_size(&k) && rec_decode(enc, n, &kind, &t, &k2, err,
	    sizeof(err)) == 0 && kind == REC_KIND_KV &&
	    strcmp(k2.name, k.name) == 0 && kv_open(&k2, kr, out, err,
	    sizeof(err)) == 0 && memcmp(out, body, sizeof(body)) == 0,
	    "kv: encode, decode, open");
	k2.time++;
	ok(kv_open(&k2, kr, out, err, sizeof(err)) == -1,
	    "kv: the time is bound");

	/* Rotation: a new current key, the old one kept for reading. */
	old = keyring_new();
	keyring_add(old, key2, err, sizeof(err));
	keyring_add(old, key1, err, sizeof(err));
	sample(&t);
	rec_seal(&t, old, body, sizeof(body), enc);
	ok(memcmp(t.keyid, kr2->k[0].id, 8) == 0,
	    "after rotation new records use the new key");
	ok(rec_open(&r, old, out, err, sizeof(err)) == 0,
	    "records sealed under the old key still open");
	ok(rec_open(&t, kr, out, err, sizeof(err)) == -1,
	    "the old keyring cannot read records of the new key");

	ok(!rec_name_ok("") && !rec_name_ok("a\nb") && !rec_name_ok("\xc3\xa9")
	    && rec_name_ok("serai-observation"), "name checks");

	keyring_free(kr);
	keyring_free(kr2);
	keyring_free(old);
	return done_testing();
}

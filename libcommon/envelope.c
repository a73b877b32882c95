/* envelope: see envelope.h. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hex.h"
#include "clock.h"
#include "cfg.h"
#include "envelope.h"

static const char sig_domain[] = "serai-coordinator/envelope/v1";
static const char intent_domain[] = "serai-coordinator/intent/v1";

static void	put32(uint8_t *, uint32_t);
static void	put64(uint8_t *, uint64_t);
static int	sodium_ready(void);

static int
sodium_ready(void)
{
	return sodium_init() >= 0 ? 0 : -1;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}



/* ------------------------------------------------------------ keys */

int
env_key_generate(const char *path, unsigned char *pk, char *err,
    size_t errlen)
{
	unsigned char seed[crypto_sign_SEEDBYTES], sk[ENV_SKLEN];
	unsigned char newpk[ENV_PKLEN];
	char hex[2 * sizeof(seed) + 2];
	ssize_t n;
	int fd;

	if (sodium_ready() == -1) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return -1;
	}
	randombytes_buf(seed, sizeof(seed));
	crypto_sign_seed_keypair(newpk, sk, seed);
	hex_encode(seed, sizeof(seed), hex);
	strcat(hex, "\n");
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	n = write(fd, hex, strlen(hex));
	if (n != (ssize_t)strlen(hex) || fsync(fd) == -1) {
		snprintf(err, errlen, "%s: write: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		goto fail;
	}
	close(fd);
	memcpy(pk, newpk, ENV_PKLEN);
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(hex, sizeof(hex));
	return 0;
fail:
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(hex, sizeof(hex));
	return -1;
}

int
env_key_load(const char *path, const char *id, struct env_key *k, char *err,
    size_t errlen)
{
	unsigned char seed[crypto_sign_SEEDBYTES];
	char buf[256];
	size_t len = sizeof(buf) - 1;

	memset(k, 0, sizeof(*k));
	if (sodium_ready() == -1) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return -1;
	}
	if (cfg_secret_read(path, buf, &len, err, errlen) == -1)
		return -1;
	buf[len] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (hex_decode(buf, seed, sizeof(seed)) == -1) {
		sodium_memzero(buf, sizeof(buf));
		snprintf(err, errlen, "%s: not a key file (expected one line "
		    "of 64 hex digits; make one with coord-keygen)", path);
		return -1;
	}
	crypto_sign_seed_keypair(k->pk, k->sk, seed);
	snprintf(k->id, sizeof(k->id), "%s", id);
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(buf, sizeof(buf));
	return 0;
}

void
env_key_wipe(struct env_key *k)
{
	sodium_memzero(k, sizeof(*k));
}

/* ------------------------------------------------------------ trust */

int
env_trust_add(struct env_trust *t, const char *id, const unsigned char *pk)
{
	void *p;

	if (env_trust_find(t, id) != NULL)
		return -1;
	p = realloc(t->e, (t->n + 1) * sizeof(*t->e));
	if (p == NULL)
		return -1;
	t->e = p;
	if ((t->e[t->n].id = strdup(id)) == NULL)
		return -1;
	memcpy(t->e[t->n].pk, pk, ENV_PKLEN);
	t->n++;
	return 0;
}

int
env_trust_load(const struct cfg *cfg, struct env_trust *t, char *err,
    size_t errlen)
{
	const struct cfg_sect *s;
	unsigned char pk[ENV_PKLEN];
	size_t i;

	memset(t, 0, sizeof(*t));
	s = cfg_next(cfg, "trust", NULL);
	for (i = 0; s != NULL && i < s->nkv; i++) {
		/* The value was checked as 32 bytes of hex at load. */
		if (hex_decode(s->kv[i].val, pk, sizeof(pk)) == -1 ||
		    crypto_core_ed25519_is_valid_point(pk) != 1) {
			snprintf(err, errlen, "%s:%d: %s: not an Ed25519 "
			    "public key", cfg->path, s->kv[i].line,
			    s->kv[i].key);
			env_trust_free(t);
			return -1;
		}
		if (env_trust_add(t, s->kv[i].key, pk) == -1) {
			snprintf(err, errlen, "%s:%d: %s: out of memory",
			    cfg->path, s->kv[i].line, s->kv[i].key);
			env_trust_free(t);
			return -1;
		}
	}
	return 0;
}

const unsigned char *
env_trust_find(const struct env_trust *t, const char *id)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->e[i].id, id) == 0)
			return t->e[i].pk;
	return NULL;
}

void
env_trust_free(struct env_trust *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->e[i].id);
	free(t->e);
	memset(t, 0, sizeof(*t));
}

/* ------------------------------------------------------------ intents */

void
env_intent_init(struct env_intent *in, uint32_t type)
{
	uint8_t b[4];

	crypto_generichash_init(&in->st, NULL, 0, ENV_INTENTLEN);
	crypto_generichash_update(&in->st, (const uint8_t *)intent_domain,
	    sizeof(intent_domain));	/* with its NUL */
	put32(b, type);
	crypto_generichash_update(&in->st, b, sizeof(b));
}

void
env_intent_add(struct env_intent *in, const void *p, size_t n)
{
	uint8_t b[8];

	put64(b, n);
	crypto_generichash_update(&in->st, b, sizeof(b));
	crypto_generichash_update(&in->st, p, n);
}

void
env_intent_str(struct env_intent *in, const char *s)
{
	env_intent_add(in, s, strlen(s));
}

void
env_intent_u64(struct env_intent *in, uint64_t v)
{
	uint8_t b[8];

	put64(b, v);
	env_intent_add(in, b, sizeof(b));
}

void
env_intent_final(struct env_intent *in, uint8_t *out)
{
	crypto_generichash_final(&in->st, out, ENV_INTENTLEN);
}

/* ------------------------------------------------------------ sealing */

uint8_t *
env_signing_bytes(const Coord__Envelope *e, size_t *lenp)
{
	const char *from = e->from != NULL ? e->from : "";
	const char *to = e->to != NULL ? e->to : "";
	size_t flen = strlen(from), tlen = strlen(to), len, off = 0;
	uint8_t *p;

	if (e->intent.len != ENV_INTENTLEN)
		return NULL;
	len = sizeof(sig_domain) + 4 + 4 + ENV_INTENTLEN + 4 + flen + 4 +
	    tlen + 8 + 4 + e->body.len;
	if ((p = malloc(len)) == NULL)
		return NULL;
	memcpy(p, sig_domain, sizeof(sig_domain));
	off = sizeof(sig_domain);
	put32(p + off, e->version);
	off += 4;
	put32(p + off, (uint32_t)e->type);
	off += 4;
	memcpy(p + off, e->intent.data, ENV_INTENTLEN);
	off += ENV_INTENTLEN;
	put32(p + off, flen);
	off += 4;
	memcpy(p + off, from, flen);
	off += flen;
	put32(p + off, tlen);
	off += 4;
	memcpy(p + off, to, tlen);
	off += tlen;
	put64(p + off, e->created_ms);
	off += 8;
	put32(p + off, e->body.len);
	off += 4;
	if (e->body.len > 0)
		memcpy(p + off, e->body.data, e->body.len);
	*lenp = len;
	return p;
}

uint8_t *
env_seal(Coord__Envelope *e, const struct env_key *k, size_t *lenp)
{
	uint8_t sig[ENV_SIGLEN];
	uint8_t *sb, *out;
	size_t sblen, len;

	e->version = ENV_VERSION;
	e->from = (char *)(uintptr_t)k->id;
	if (e->to == NULL)
		e->to = (char *)(uintptr_t)"";
	if (e->created_ms == 0)
		e->created_ms = clock_wall_ms();
	if ((sb = env_signing_bytes(e, &sblen)) == NULL)
		return NULL;
	crypto_sign_detached(sig, NULL, sb, sblen, k->sk);
	free(sb);
	e->signature.data = sig;
	e->signature.len = sizeof(sig);
	len = coord__envelope__get_packed_size(e);
	if ((out = malloc(len > 0 ? len : 1)) == NULL)
		return NULL;
	coord__envelope__pack(e, out);
	e->signature.data = NULL;
	e->signature.len = 0;
	*lenp = len;
	return out;
}

Coord__Envelope *
env_open(const uint8_t *buf, size_t len, const struct env_trust *t,
    char *reason, size_t rlen)
{
	Coord__Envelope *e;
	const unsigned char *pk;
	uint8_t *sb;
	size_t sblen;
	int bad;

	if (len == 0) {
		snprintf(reason, rlen, "empty record");
		return NULL;
	}
	if ((e = coord__envelope__unpack(NULL, len, buf)) == NULL) {
		snprintf(reason, rlen, "not an Envelope (protobuf decode "
		    "failed, %zu bytes)", len);
		return NULL;
	}
	if (e->version != ENV_VERSION) {
		snprintf(reason, rlen, "unsupported envelope version %u",
		    e->version);
		goto fail;
	}
	if (e->intent.len != ENV_INTENTLEN) {
		snprintf(reason, rlen, "intent is %zu bytes, not %d",
		    e->intent.len, ENV_INTENTLEN);
		goto fail;
	}
	if (e->signature.len != ENV_SIGLEN) {
		snprintf(reason, rlen, "signature is %zu bytes, not %d",
		    e->signature.len, ENV_SIGLEN);
		goto fail;
	}
	if (e->from == NULL || e->from[0] == '\0') {
		snprintf(reason, rlen, "no sender");
		goto fail;
	}
	if ((pk = env_trust_find(t, e->from)) == NULL) {
		snprintf(reason, rlen, "untrusted sender \"%.64s\" (not in "
		    "[trust])", e->from);
		goto fail;
	}
	if ((sb = env_signing_bytes(e, &sblen)) == NULL) {
		snprintf(reason, rlen, "out of memory");
		goto fail;
	}
	bad = crypto_sign_verify_detached(e->signature.data, sb, sblen, pk);
	free(sb);
	if (bad) {
		snprintf(reason, rlen, "bad signature from \"%.64s\"",
		    e->from);
		goto fail;
	}
	return e;
fail:
	coord__envelope__free_unpacked(e, NULL);
	return NULL;
}

void
env_free(Coord__Envelope *e)
{
	if (e != NULL)
		coord__envelope__free_unpacked(e, NULL);
}

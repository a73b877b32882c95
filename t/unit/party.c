/*
 * party: the pure party-formation function (signer/party.c).
 *
 *   t/unit/party.test            the checks, then t/vectors/party.json
 *   t/unit/party.test generate   print the vectors' JSON (once, by hand:
 *                                t/vectors/party.py checks them with an
 *                                independent implementation)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "signer/party.h"
#include "t/tap.h"

#define VECTORS	"t/vectors/party.json"

struct vcase {
	const char	*name;
	size_t		 n;
	const uint64_t	*weights;	/* NULL: all 1 */
	uint64_t	 threshold;
	int		 everyone;
	uint32_t	 session;
	uint32_t	 attempt;
	int		 tag;		/* varies block hash and sign id */
};

static void	 det_bytes(const char *, int, uint8_t *);
static struct party_validator *det_set(size_t, const uint64_t *);
static void	 hex(const uint8_t *, size_t, char *);
static int	 unhex(const char *, uint8_t *, size_t);
static void	 fill_input(struct party_input *, const struct vcase *,
		    struct party_validator *);
static int	 generate(void);
static void	 check_vectors(void);
static void	 check_basics(void);

static const uint64_t w10[] = { 1, 5, 2, 3, 1, 4, 2, 1, 3, 2 };
static const uint64_t wzero[] = { 1, 0, 2, 1, 0, 3 };
static const uint64_t wbig[] = { 40, 1, 1, 1, 1, 1, 1, 1 };

static const struct vcase cases[] = {
	{ "four equal, attempt 0", 4, NULL, 0, 0, 1, 0, 1 },
	{ "four equal, attempt 1", 4, NULL, 0, 0, 1, 1, 1 },
	{ "four equal, attempt 2", 4, NULL, 0, 0, 1, 2, 1 },
	{ "four equal, attempt 3", 4, NULL, 0, 0, 1, 3, 1 },
	{ "four equal, other sign id", 4, NULL, 0, 0, 1, 0, 2 },
	{ "four equal, other session", 4, NULL, 0, 0, 2, 0, 1 },
	{ "ten weighted", 10, w10, 0, 0, 7, 0, 3 },
	{ "ten weighted, attempt 5", 10, w10, 0, 0, 7, 5, 3 },
	{ "ten weighted, threshold 9", 10, w10, 9, 0, 7, 0, 3 },
	{ "zero weights skipped", 6, wzero, 0, 0, 3, 1, 4 },
	{ "one heavy validator", 8, wbig, 0, 0, 9, 0, 5 },
	{ "key generation takes everyone", 6, wzero, 0, 1, 3, 0, 6 },
	{ "a single validator", 1, NULL, 0, 0, 0, 0, 7 },
	{ "fifty equal", 50, NULL, 0, 0, 12, 4, 8 },
	{ "fifty equal, threshold 1", 50, NULL, 1, 0, 12, 4, 8 },
};

/* Deterministic test bytes: BLAKE2b-256(label || u32 i). */
static void
det_bytes(const char *label, int i, uint8_t *out)
{
	crypto_generichash_state st;
	uint8_t b[4] = { i, i >> 8, i >> 16, i >> 24 };

	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const uint8_t *)label, strlen(label));
	crypto_generichash_update(&st, b, 4);
	crypto_generichash_final(&st, out, 32);
}

static struct party_validator *
det_set(size_t n, const uint64_t *w)
{
	struct party_validator *v;
	size_t i;

	if ((v = calloc(n, sizeof(*v))) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		det_bytes("party-vector-key", (int)i, v[i].key);
		v[i].weight = w != NULL ? w[i] : 1;
	}
	party_sort_set(v, NULL, n);
	return v;
}

static void
hex(const uint8_t *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static int
unhex(const char *s, uint8_t *out, size_t n)
{
	size_t i;
	unsigned int v;

	if (s == NULL || strlen(s) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = v;
	}
	return 0;
}

static void
fill_input(struct party_input *in, const struct vcase *c,
    struct party_validator *v)
{
	memset(in, 0, sizeof(*in));
	in->set = v;
	in->n = c->n;
	in->threshold = c->threshold;
	in->everyone = c->everyone;
	in->session = c->session;
	in->attempt = c->attempt;
	det_bytes("party-vector-block", c->tag, in->block_hash);
	det_bytes("party-vector-sign-id", c->tag, in->sign_id);
}

static int
generate(void)
{
	struct party_validator *v;
	struct party_input in;
	struct party p;
	cJSON *root, *arr, *o, *va, *vo, *pa;
	uint8_t seed[32];
	char h[65], err[256], *s;
	size_t i, k;

	root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "description", "Signing party "
	    "selection vectors (signer/party.h): inputs -> party. Made by "
	    "t/unit/party.test generate, checked by t/unit/party.test and by "
	    "the independent t/vectors/party.py.");
	cJSON_AddStringToObject(root, "seed", "BLAKE2b-256(\"" PARTY_DOMAIN
	    "\" 0x00 || block_hash[32] || u32le session || sign_id[32] || "
	    "u32le attempt)");
	cJSON_AddStringToObject(root, "order", "ascending BLAKE2b-256(key = "
	    "seed, message = validator key[32]); ties by set position");
	cJSON_AddStringToObject(root, "take", "validators of non-zero weight "
	    "in that order until their weights reach the threshold (0: "
	    "floor(2n/3)+1 of the n key shares); everyone = key generation "
	    "takes every validator of non-zero weight; party = set positions "
	    "(0-based, set sorted by key), ascending");
	arr = cJSON_AddArrayToObject(root, "vectors");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = det_set(cases[i].n, cases[i].weights);
		fill_input(&in, &cases[i], v);
		if (party_form(&in, &p, err, sizeof(err)) == -1) {
			fprintf(stderr, "%s: %s\n", cases[i].name, err);
			return 1;
		}
		party_seed(&in, seed);
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", cases[i].name);
		va = cJSON_AddArrayToObject(o, "validators");
		for (k = 0; k < in.n; k++) {
			vo = cJSON_CreateObject();
			hex(v[k].key, 32, h);
			cJSON_AddStringToObject(vo, "key", h);
			cJSON_AddNumberToObject(vo, "weight",
			    (double)v[k].weight);
			cJSON_AddItemToArray(va, vo);
		}
		cJSON_AddNumberToObject(o, "threshold", (double)in.threshold);
		cJSON_AddBoolToObject(o, "everyone", in.everyone);
		hex(in.block_hash, 32, h);
		cJSON_AddStringToObject(o, "block_hash", h);
		cJSON_AddNumberToObject(o, "session", in.session);
		hex(in.sign_id, 32, h);
		cJSON_AddStringToObject(o, "sign_id", h);
		cJSON_AddNumberToObject(o, "attempt", in.attempt);
		hex(seed, 32, h);
		cJSON_AddStringToObject(o, "expect_seed", h);
		cJSON_AddNumberToObject(o, "expect_threshold",
		    (double)p.threshold);
		pa = cJSON_AddArrayToObject(o, "expect_party");
		for (k = 0; k < p.n; k++)
			cJSON_AddItemToArray(pa,
			    cJSON_CreateNumber((double)p.member[k]));
		cJSON_AddItemToArray(arr, o);
		party_free(&p);
		free(v);
	}
	s = cJSON_Print(root);
	printf("%s\n", s);
	free(s);
	cJSON_Delete(root);
	return 0;
}

static void
check_vectors(void)
{
	struct party_validator *v = NULL;
	struct party_input in;
	struct party p;
	cJSON *root, *arr, *o, *va, *x;
	uint8_t seed[32], want[32];
	char err[256], *buf = NULL;
	size_t n, k, nv = 0;
	long len;
	FILE *fp;
	int bad;

	if ((fp = fopen(VECTORS, "r")) == NULL) {
		ok(0, "open %s", VECTORS);
		return;
	}
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	buf = calloc(1, len + 1);
	if (fread(buf, 1, len, fp) != (size_t)len)
		len = -1;
	fclose(fp);
	root = cJSON_Parse(buf);
	free(buf);
	if (!ok(root != NULL && len > 0, "parse %s", VECTORS))
		return;
	arr = cJSON_GetObjectItem(root, "vectors");
	cJSON_ArrayForEach(o, arr) {
		const char *name = cJSON_GetStringValue(
		    cJSON_GetObjectItem(o, "name"));

		va = cJSON_GetObjectItem(o, "validators");
		n = cJSON_GetArraySize(va);
		v = calloc(n ? n : 1, sizeof(*v));
		bad = 0;
		k = 0;
		cJSON_ArrayForEach(x, va) {
			bad |= unhex(cJSON_GetStringValue(
			    cJSON_GetObjectItem(x, "key")), v[k].key, 32);
			v[k].weight = (uint64_t)cJSON_GetNumberValue(
			    cJSON_GetObjectItem(x, "weight"));
			k++;
		}
		memset(&in, 0, sizeof(in));
		in.set = v;
		in.n = n;
		in.threshold = (uint64_t)cJSON_GetNumberValue(
		    cJSON_GetObjectItem(o, "threshold"));
		in.everyone = cJSON_IsTrue(cJSON_GetObjectItem(o, "everyone"));
		in.session = (uint32_t)cJSON_GetNumberValue(
		    cJSON_GetObjectItem(o, "session"));
		in.attempt = (uint32_t)cJSON_GetNumberValue(
		    cJSON_GetObjectItem(o, "attempt"));
		bad |= unhex(cJSON_GetStringValue(cJSON_GetObjectItem(o,
		    "block_hash")), in.block_hash, 32);
		bad |= unhex(cJSON_GetStringValue(cJSON_GetObjectItem(o,
		    "sign_id")), in.sign_id, 32);
		bad |= unhex(cJSON_GetStringValue(cJSON_GetObjectItem(o,
		    "expect_seed")), want, 32);
		ok(!bad, "vector %s: well formed", name);
		party_seed(&in, seed);
		is_mem(seed, want, 32, "vector %s: seed", name);
		if (party_form(&in, &p, err, sizeof(err)) == -1) {
			ok(0, "vector %s: %s", name, err);
			free(v);
			continue;
		}
		is_int((long long)p.threshold, (long long)cJSON_GetNumberValue(
		    cJSON_GetObjectItem(o, "expect_threshold")),
		    "vector %s: threshold", name);
		x = cJSON_GetObjectItem(o, "expect_party");
		bad = (size_t)cJSON_GetArraySize(x) != p.n;
		for (k = 0; !bad && k < p.n; k++)
			bad = (size_t)cJSON_GetNumberValue(
			    cJSON_GetArrayItem(x, (int)k)) != p.member[k];
		ok(!bad, "vector %s: party of %zu", name, p.n);
		party_free(&p);
		free(v);
		nv++;
	}
	ok(nv == sizeof(cases) / sizeof(cases[0]), "%zu vectors checked", nv);
	cJSON_Delete(root);
}

static void
check_basics(void)
{
	static const uint64_t tot[] = { 1, 2, 3, 4, 5, 6, 7, 100, 150,
	    UINT64_MAX };
	static const uint64_t want[] = { 1, 2, 3, 3, 4, 5, 5, 67, 101,
	    12297829382473034411ULL };
	struct party_validator *v, tmp;
	struct party_input in;
	struct party p, q;
	char err[256];
	uint64_t w, last, differ = 0;
	size_t i, k;
	int rc;

	for (i = 0; i < sizeof(tot) / sizeof(tot[0]); i++)
		is_int((long long)party_default_threshold(tot[i]),
		    (long long)want[i], "floor(2*%llu/3)+1",
		    (unsigned long long)tot[i]);

	v = det_set(10, w10);
	fill_input(&in, &cases[6], v);
	rc = party_form(&in, &p, err, sizeof(err));
	ok(rc == 0, "forms: %s", rc == 0 ? "ok" : err);
	ok(p.weight >= p.threshold, "party weight %llu reaches threshold "
	    "%llu", (unsigned long long)p.weight,
	    (unsigned long long)p.threshold);
	/* Minimal in taking order: some member's removal falls short. */
	for (k = 0, last = 0; k < p.n; k++) {
		w = p.weight - v[p.member[k]].weight;
		if (w < p.threshold)
			last = 1;
	}
	ok(last, "no member is superfluous in taking order");
	for (k = 1; k < p.n; k++)
		if (p.member[k - 1] >= p.member[k])
			break;
	ok(k >= p.n, "members in set order");
	rc = party_form(&in, &q, err, sizeof(err));
	ok(rc == 0 && q.n == p.n && memcmp(q.member, p.member,
	    p.n * sizeof(*p.member)) == 0, "same inputs, same party");
	party_free(&q);
	for (in.attempt = 1; in.attempt < 20; in.attempt++) {
		if (party_form(&in, &q, err, sizeof(err)) == -1)
			break;
		if (q.n != p.n || memcmp(q.member, p.member,
		    p.n * sizeof(*p.member)) != 0)
			differ++;
		party_free(&q);
	}
	ok(differ > 0, "other attempts give other parties (%llu of 19)",
	    (unsigned long long)differ);
	party_free(&p);
	in.attempt = 0;

	in.threshold = 23;
	ok(party_form(&in, &p, err, sizeof(err)) == 0 && p.n == 10,
	    "threshold = all key shares: everyone");
	party_free(&p);
	in.threshold = 25;
	ok(party_form(&in, &p, err, sizeof(err)) == -1 &&
	    strstr(err, "exceeds") != NULL, "threshold above the key "
	    "shares: %s", err);
	in.threshold = 0;

	tmp = v[2];
	v[2] = v[3];
	v[3] = tmp;
	ok(party_form(&in, &p, err, sizeof(err)) == -1 &&
	    strstr(err, "sorted") != NULL, "unsorted set refused: %s", err);
	v[3] = v[2];
	ok(party_form(&in, &p, err, sizeof(err)) == -1,
	    "repeated key refused");
	in.n = 0;
	ok(party_form(&in, &p, err, sizeof(err)) == -1 &&
	    strstr(err, "empty") != NULL, "empty set refused");
	free(v);

	v = det_set(3, NULL);
	for (i = 0; i < 3; i++)
		v[i].weight = 0;
	fill_input(&in, &cases[0], v);
	in.n = 3;
	ok(party_form(&in, &p, err, sizeof(err)) == -1,
	    "no key shares refused");
	v[0].weight = UINT64_MAX;
	v[1].weight = 1;
	ok(party_form(&in, &p, err, sizeof(err)) == -1 &&
	    strstr(err, "overflow") != NULL, "weight overflow refused");
	free(v);
}

int
main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return 1;
	if (argc > 1 && strcmp(argv[1], "generate") == 0)
		return generate();
	check_basics();
	check_vectors();
	return done_testing();
}

/* party: see party.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "party.h"

struct scored {
	uint8_t		score[PARTY_HASHLEN];
	size_t		pos;
};

static void	put32(uint8_t *, uint32_t);
static int	scored_cmp(const void *, const void *);
static int	member_cmp(const void *, const void *);

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static int
scored_cmp(const void *a, const void *b)
{
	const struct scored *x = a, *y = b;
	int c;

	if ((c = memcmp(x->score, y->score, PARTY_HASHLEN)) != 0)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int
member_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t
party_default_threshold(uint64_t total)
{
	/* floor(2t/3) = 2 floor(t/3) + floor(2 (t mod 3) / 3) */
	return 2 * (total / 3) + (2 * (total % 3)) / 3 + 1;
}

void
party_seed(const struct party_input *in, uint8_t *seed)
{
	crypto_generichash_state st;
	uint8_t b4[4];

	crypto_generichash_init(&st, NULL, 0, PARTY_HASHLEN);
	crypto_generichash_update(&st, (const uint8_t *)PARTY_DOMAIN,
	    sizeof(PARTY_DOMAIN));		/* with its NUL */
	crypto_generichash_update(&st, in->block_hash, PARTY_HASHLEN);
	put32(b4, in->session);
	crypto_generichash_update(&st, b4, 4);
	crypto_generichash_update(&st, in->sign_id, PARTY_HASHLEN);
	put32(b4, in->attempt);
	crypto_generichash_update(&st, b4, 4);
	crypto_generichash_final(&st, seed, PARTY_HASHLEN);
}

int
party_form(const struct party_input *in, struct party *p, char *err,
    size_t errlen)
{
	uint8_t seed[PARTY_HASHLEN];
	struct scored *s = NULL;
	uint64_t total = 0, t;
	size_t i, k, n;

	memset(p, 0, sizeof(*p));
	if (in->n == 0) {
		snprintf(err, errlen, "empty validator set");
		return -1;
	}
	for (i = 0; i < in->n; i++) {
		if (i > 0 && memcmp(in->set[i - 1].key, in->set[i].key,
		    PARTY_KEYLEN) >= 0) {
			snprintf(err, errlen, "validator set not sorted by key "
			    "or a key repeats (position %zu)", i);
			return -1;
		}
		if (total + in->set[i].weight < total) {
			snprintf(err, errlen, "weights overflow");
			return -1;
		}
		total += in->set[i].weight;
	}
	if (total == 0) {
		snprintf(err, errlen, "validator set has no key shares");
		return -1;
	}
	t = in->threshold != 0 ? in->threshold :
	    party_default_threshold(total);
	if (t > total) {
		snprintf(err, errlen, "threshold %llu exceeds the set's %llu "
		    "key shares", (unsigned long long)t,
		    (unsigned long long)total);
		return -1;
	}
	p->threshold = t;
	p->total = total;
	if ((p->member = calloc(in->n, sizeof(*p->member))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (in->everyone) {
		for (i = 0; i < in->n; i++)
			if (in->set[i].weight > 0) {
				p->member[p->n++] = i;
				p->weight += in->set[i].weight;
			}
		return 0;
	}
	if ((s = calloc(in->n, sizeof(*s))) == NULL) {
		party_free(p);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	party_seed(in, seed);
	/* Validators of weight 0 are never taken: scoring only the others
	 * gives the same party (in Serai's sets, few hold key shares). */
	for (i = 0, n = 0; i < in->n; i++) {
		if (in->set[i].weight == 0)
			continue;
		crypto_generichash(s[n].score, PARTY_HASHLEN, in->set[i].key,
		    PARTY_KEYLEN, seed, PARTY_HASHLEN);
		s[n++].pos = i;
	}
	qsort(s, n, sizeof(*s), scored_cmp);
	for (k = 0; k < n && p->weight < t; k++) {
		i = s[k].pos;
		p->member[p->n++] = i;
		p->weight += in->set[i].weight;
	}
	free(s);
	qsort(p->member, p->n, sizeof(*p->member), member_cmp);
	sodium_memzero(seed, sizeof(seed));
	return 0;
}

void
party_free(struct party *p)
{
	free(p->member);
	memset(p, 0, sizeof(*p));
}

int
party_has(const struct party *p, size_t pos)
{
	size_t lo = 0, hi = p->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (p->member[mid] == pos)
			return 1;
		if (p->member[mid] < pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

void
party_sort_set(struct party_validator *v, char **names, size_t n)
{
	struct party_validator tv;
	char *tn;
	size_t i, j;

	/* Insertion sort: sets are small and this keeps names in step. */
	for (i = 1; i < n; i++) {
		tv = v[i];
		tn = names != NULL ? names[i] : NULL;
		for (j = i; j > 0 && memcmp(v[j - 1].key, tv.key,
		    PARTY_KEYLEN) > 0; j--) {
			v[j] = v[j - 1];
			if (names != NULL)
				names[j] = names[j - 1];
		}
		v[j] = tv;
		if (names != NULL)
			names[j] = tn;
	}
}

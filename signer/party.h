/*
 * party: who signs.  A pure function of its inputs (no I/O, no clock, no
 * randomness), so every coordinator computes the same party for the same
 * request without talking to the others.
 *
 * Inputs: the validator set sorted by key (strictly ascending, bytewise),
 * each validator's weight (key shares), the threshold t (0: the default,
 * floor(2n/3)+1 where n is the sum of the weights, as Serai's
 * TributarySpec), the session, the sign id, the attempt and the hash of the
 * finalized Serai block that triggered the request.
 *
 * Byte encoding (integers little endian, no length prefixes: every field
 * has a fixed size):
 *
 *   seed  = BLAKE2b-256("serai-coordinator/party/v1" 0x00 ||
 *                       block_hash[32] || u32 session ||
 *                       sign_id[32] || u32 attempt)
 *   score = BLAKE2b-256(key = seed, message = validator key[32])
 *
 * Validators are ordered by score (bytewise ascending; equal scores, which
 * need a BLAKE2b collision, by set position) and taken in that order,
 * skipping those of weight 0, until the weights taken reach t.  Key
 * generation takes every validator of non-zero weight.  The members are
 * returned in set order.  libsodium's crypto_generichash is BLAKE2b.
 */
#ifndef PARTY_H
#define PARTY_H

#include <stddef.h>
#include <stdint.h>

#define PARTY_KEYLEN	32
#define PARTY_HASHLEN	32
#define PARTY_DOMAIN	"serai-coordinator/party/v1"

struct party_validator {
	uint8_t		key[PARTY_KEYLEN];
	uint64_t	weight;
};

struct party_input {
	const struct party_validator *set;	/* sorted by key */
	size_t		 n;
	uint64_t	 threshold;	/* 0: floor(2 * total / 3) + 1 */
	uint8_t		 block_hash[PARTY_HASHLEN];
	uint32_t	 session;
	uint8_t		 sign_id[PARTY_HASHLEN];
	uint32_t	 attempt;
	int		 everyone;	/* key generation */
};

struct party {
	size_t		*member;	/* set positions (0-based), ascending */
	size_t		 n;
	uint64_t	 weight;	/* key shares of the members */
	uint64_t	 threshold;	/* the threshold used */
	uint64_t	 total;		/* key shares of the whole set */
};

/* floor(2 * total / 3) + 1, computed without overflow. */
uint64_t	party_default_threshold(uint64_t);

void		party_seed(const struct party_input *, uint8_t *);

/*
 * Form the party into *p (free with party_free).  -1 with err when the set
 * is empty, not sorted by key or has a duplicate, the weights overflow, or
 * the threshold cannot be reached.
 */
int		party_form(const struct party_input *, struct party *, char *,
		    size_t);
void		party_free(struct party *);

/* 1 if set position i is in the party. */
int		party_has(const struct party *, size_t);

/* Sort validators by key (for building a set); names move along if set. */
void		party_sort_set(struct party_validator *, char **, size_t);

#endif

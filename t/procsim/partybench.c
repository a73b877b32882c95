/*
 * partybench: time the signer's party formation (signer/party.c) on the
 * benchmark's set, the one t/vectors/party.py bench builds: N validators,
 * key i = BLAKE2b-256("bench-key" || u32le i), sorted by key, SHARES key
 * shares dealt one by one to validators (s * 7) mod N, default threshold,
 * attempt = the iteration.  Prints "MICROSECONDS_PER_FORMATION
 * SUM_OF_PARTY_SIZES" (the sum lets the benchmark check that both
 * implementations formed the same parties).
 *
 *	partybench N SHARES ITERATIONS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "signer/party.h"

int
main(int argc, char **argv)
{
	struct party_validator *v;
	struct party_input in;
	struct party p;
	struct timespec t0, t1;
	uint8_t b[13];
	char err[256];
	long n, shares, iters, i, sum = 0;

	if (argc != 4 || (n = atol(argv[1])) <= 0 ||
	    (shares = atol(argv[2])) <= 0 || (iters = atol(argv[3])) <= 0) {
		fprintf(stderr, "usage: partybench N SHARES ITERATIONS\n");
		return 100;
	}
	if (sodium_init() < 0 || (v = calloc(n, sizeof(*v))) == NULL)
		return 111;
	memcpy(b, "bench-key", 9);
	for (i = 0; i < n; i++) {
		b[9] = i;
		b[10] = i >> 8;
		b[11] = i >> 16;
		b[12] = i >> 24;
		crypto_generichash(v[i].key, 32, b, 13, NULL, 0);
	}
	for (i = 0; i < shares; i++)
		v[(i * 7) % n].weight++;
	party_sort_set(v, NULL, n);
	memset(&in, 0, sizeof(in));
	in.set = v;
	in.n = n;
	in.session = 1;
	crypto_generichash(in.block_hash, 32, (const uint8_t *)"bench-block",
	    11, NULL, 0);
	crypto_generichash(in.sign_id, 32, (const uint8_t *)"bench-sign-id",
	    13, NULL, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < iters; i++) {
		in.attempt = (uint32_t)i;
		if (party_form(&in, &p, err, sizeof(err)) == -1) {
			fprintf(stderr, "partybench: %s\n", err);
			return 111;
		}
		sum += (long)p.n;
		party_free(&p);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.3f %ld\n", ((t1.tv_sec - t0.tv_sec) * 1e9 +
	    (t1.tv_nsec - t0.tv_nsec)) / 1e3 / iters, sum);
	free(v);
	return 0;
}

/* Fuzz target: env_open, the decoder of every record off the bus. */
#include <stdint.h>
#include <string.h>

#include "envelope.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct env_trust trust;
	static struct env_key key;
	static int init;
	Coord__Envelope *e;
	char reason[512];
	uint8_t *again;
	size_t len;

	if (!init) {
		unsigned char seed[32] = { 1 };

		sodium_init();
		crypto_sign_seed_keypair(key.pk, key.sk, seed);
		snprintf(key.id, sizeof(key.id), "alice.fuzz");
		env_trust_add(&trust, key.id, key.pk);
		init = 1;
	}
	e = env_open(data, size, &trust, reason, sizeof(reason));
	if (e != NULL) {
		/* Only a validly signed envelope may pass: re-seal it and it
		 * must verify again. */
		e->created_ms = e->created_ms;
		again = env_seal(e, &key, &len);
		if (again != NULL) {
			env_free(env_open(again, len, &trust, reason,
			    sizeof(reason)));
			free(again);
		}
		env_free(e);
	}
	return 0;
}

/* Unit tests for libcommon/dedupe: seen-set semantics and the bound. */
#include <string.h>

#include <sodium.h>

#include "dedupe.h"
#include "t/tap.h"

static void
intent(unsigned n, uint8_t *out)
{
	crypto_generichash(out, 32, (const uint8_t *)&n, sizeof(n), NULL, 0);
}

int
main(void)
{
	struct dedupe *d;
	uint8_t in[32];
	unsigned i, dup, miss;

	d = dedupe_new(1000);
	intent(1, in);
	is_int(dedupe_check(d, in), 0, "first sight is new");
	is_int(dedupe_check(d, in), 1, "second sight is a duplicate");
	is_int(dedupe_count(d), 1, "one remembered");

	/* Fill to the bound: all new, all remembered. */
	for (i = 2, dup = 0; i <= 1000; i++) {
		intent(i, in);
		dup += dedupe_check(d, in);
	}
	is_int(dup, 0, "999 more distinct intents are new");
	for (i = 1, miss = 0; i <= 1000; i++) {
		intent(i, in);
		miss += !dedupe_has(d, in);
	}
	is_int(miss, 0, "all 1000 remembered");

	/* Past the bound the oldest are forgotten, first in first out. */
	for (i = 1001; i <= 1500; i++) {
		intent(i, in);
		dedupe_check(d, in);
	}
	is_int(dedupe_count(d), 1000, "count stays at the bound");
	for (i = 1, miss = 0; i <= 500; i++) {
		intent(i, in);
		miss += !dedupe_has(d, in);
	}
	is_int(miss, 500, "the 500 oldest were forgotten");
	for (i = 501, miss = 0; i <= 1500; i++) {
		intent(i, in);
		miss += !dedupe_has(d, in);
	}
	is_int(miss, 0, "the 1000 newest are remembered");

	/* Many rounds of churn keep the table consistent. */
	for (i = 1501, dup = 0; i <= 200000; i++) {
		intent(i, in);
		dup += dedupe_check(d, in);
	}
	is_int(dup, 0, "200k distinct intents: no false duplicate");
	for (i = 199001, miss = 0; i <= 200000; i++) {
		intent(i, in);
		miss += !dedupe_has(d, in);
	}
	is_int(miss, 0, "after churn the newest 1000 are all found");

	intent(200000, in);
	dedupe_forget(d, in);
	is_int(dedupe_has(d, in), 0, "forget removes");
	for (i = 199001, miss = 0; i < 200000; i++) {
		intent(i, in);
		miss += !dedupe_has(d, in);
	}
	is_int(miss, 0, "forget keeps the others findable");
	dedupe_free(d);
	return done_testing();
}

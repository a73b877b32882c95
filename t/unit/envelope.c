/* Unit tests for libcommon/envelope: keys, trust, sealing, verification,
 * intents, JSON. */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "proto/common.pb-c.h"
#include "t/tap.h"

static uint8_t *
seal_test(const struct env_key *k, uint64_t seq, const char *text,
    size_t *len)
{
	Coord__Envelope e = COORD__ENVELOPE__INIT;
	Coord__TestMessage tm = COORD__TEST_MESSAGE__INIT;
	struct env_intent in;
	uint8_t intent[32], body[256], *out;

	tm.seq = seq;
	tm.text = (char *)(uintptr_t)text;
	env_intent_init(&in, COORD__MSG_TYPE__TEST_MESSAGE);
	env_intent_u64(&in, seq);
	env_intent_final(&in, intent);
	e.type = COORD__MSG_TYPE__TEST_MESSAGE;
	e.intent.data = intent;
	e.intent.len = 32;
	e.to = (char *)(uintptr_t)"bob.signer";
	e.body.len = coord__test_message__pack(&tm, body);
	e.body.data = body;
	out = env_seal(&e, k, len);
	return out;
}

int
main(void)
{
	struct env_key alice, mallory, loaded;
	struct env_trust trust;
	struct env_intent in;
	Coord__Envelope *e;
	unsigned char pk[ENV_PKLEN];
	uint8_t *buf, *back, i1[32], i2[32], i3[32];
	char path[512], err[512], *line, *topic, *p;
	size_t len, blen, i, rejected;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/alice.key", tap_tmpdir());
	ok(env_key_generate(path, pk, err, sizeof(err)) == 0, "generate key");
	ok(env_key_generate(path, pk, err, sizeof(err)) == -1 &&
	    strstr(err, "File exists") != NULL, "never overwrites a key");
	ok(env_key_load(path, "alice.busprobe", &alice, err, sizeof(err)) == 0,
	    "load key");
	is_mem(alice.pk, pk, ENV_PKLEN, "loaded key has the generated pubkey");
	chmod(path, 0640);
	ok(env_key_load(path, "x", &loaded, err, sizeof(err)) == -1 &&
	    strstr(err, "0600") != NULL, "group-readable key refused");
	snprintf(path, sizeof(path), "%s/bad.key", tap_tmpdir());
	fp = fopen(path, "w");
	fputs("not hex\n", fp);
	fclose(fp);
	chmod(path, 0600);
	ok(env_key_load(path, "x", &loaded, err, sizeof(err)) == -1 &&
	    strstr(err, "not a key file") != NULL, "garbage key refused");

	snprintf(path, sizeof(path), "%s/mallory.key", tap_tmpdir());
	env_key_generate(path, pk, err, sizeof(err));
	env_key_load(path, "alice.busprobe", &mallory, err, sizeof(err));

	memset(&trust, 0, sizeof(trust));
	env_trust_add(&trust, "alice.busprobe", alice.pk);
	ok(env_trust_add(&trust, "alice.busprobe", alice.pk) == -1,
	    "a service is trusted once");

	/* Seal, open. */
	buf = seal_test(&alice, 7, "hello", &len);
	ok(buf != NULL, "seal");
	e = env_open(buf, len, &trust, err, sizeof(err));
	if (!ok(e != NULL, "a sealed envelope verifies"))
		diag("%s", err);
	if (e != NULL) {
		is_str(e->from, "alice.busprobe", "from is the key's id");
		is_str(e->to, "bob.signer", "to kept");
		is_int(e->version, 1, "version 1");
		ok(e->created_ms > 1700000000000ULL, "created set");
		env_free(e);
	}

	/* Every single flipped bit is caught. */
	for (i = 0, rejected = 0; i < len * 8; i++) {
		buf[i / 8] ^= 1 << (i % 8);
		e = env_open(buf, len, &trust, err, sizeof(err));
		if (e == NULL)
			rejected++;
		else {
			/* Only a flip protobuf ignores may pass: none here. */
			diag("bit %zu accepted", i);
			env_free(e);
		}
		buf[i / 8] ^= 1 << (i % 8);
	}
	is_int(rejected, len * 8, "each of %zu flipped bits rejected", len * 8);
	e = env_open(buf, len - 1, &trust, err, sizeof(err));
	ok(e == NULL, "truncated record rejected (%s)", err);
	e = env_open(buf, 0, &trust, err, sizeof(err));
	ok(e == NULL && strcmp(err, "empty record") == 0, "empty rejected");
	free(buf);

	/* A key that is not the trusted one for that id. */
	buf = seal_test(&mallory, 7, "hello", &len);
	e = env_open(buf, len, &trust, err, sizeof(err));
	ok(e == NULL && strstr(err, "bad signature") != NULL,
	    "wrong key rejected: %s", err);
	free(buf);

	/* An id nobody trusts. */
	snprintf(mallory.id, sizeof(mallory.id), "mallory.x");
	buf = seal_test(&mallory, 7, "hello", &len);
	e = env_open(buf, len, &trust, err, sizeof(err));
	ok(e == NULL && strstr(err, "untrusted sender \"mallory.x\"") != NULL,
	    "untrusted sender rejected: %s", err);
	free(buf);

	/* Intents: what the message is for, not its bytes. */
	env_intent_init(&in, 9);
	env_intent_u64(&in, 1);
	env_intent_final(&in, i1);
	env_intent_init(&in, 9);
	env_intent_u64(&in, 1);
	env_intent_final(&in, i2);
	env_intent_init(&in, 10);
	env_intent_u64(&in, 1);
	env_intent_final(&in, i3);
	is_mem(i1, i2, 32, "same type and fields: same intent");
	ok(memcmp(i1, i3, 32) != 0, "another type: another intent");
	env_intent_init(&in, 9);
	env_intent_str(&in, "ab");
	env_intent_str(&in, "c");
	env_intent_final(&in, i1);
	env_intent_init(&in, 9);
	env_intent_str(&in, "a");
	env_intent_str(&in, "bc");
	env_intent_final(&in, i2);
	ok(memcmp(i1, i2, 32) != 0, "fields are length-prefixed (ab|c != a|bc)");

	/* JSON: round trip exact, the signature still verifies. */
	buf = seal_test(&alice, 42, "caf\xc3\xa9 \"quoted\"\n", &len);
	line = env_json_line(buf, len, "signing", err, sizeof(err));
	ok(line != NULL && line[strlen(line) - 1] == '\n', "to JSON line");
	if (line != NULL) {
		ok(strstr(line, "\"topic\":\"signing\"") != NULL &&
		    strstr(line, "\"body\":{\"seq\":42,") != NULL,
		    "topic first, body typed: %.80s", line);
		back = env_json_parse(line, strlen(line) - 1, &blen, &topic,
		    err, sizeof(err));
		ok(back != NULL && blen == len && memcmp(back, buf, len) == 0,
		    "JSON back to the same bytes");
		is_str(topic, "signing", "topic read back");
		free(topic);
		free(back);
		/* Edit the body: the bytes change, the signature fails. */
		p = strstr(line, "\"seq\":42,");
		if (p != NULL)
			p[6] = '3';
		back = env_json_parse(line, strlen(line), &blen, &topic, err,
		    sizeof(err));
		e = back != NULL ? env_open(back, blen, &trust, err,
		    sizeof(err)) : NULL;
		ok(back != NULL && e == NULL && strstr(err, "bad signature"),
		    "edited JSON no longer verifies");
		env_free(e);
		free(back);
		free(topic);
		free(line);
	}
	p = "{\"type\":\"TEST_MESSAGE\",\"body\":{\"seq\":\"x\"}}";
	back = env_json_parse(p, strlen(p), &blen, &topic, err, sizeof(err));
	ok(back == NULL && strncmp(err, "body: ", 6) == 0,
	    "bad typed body: error names body (%s)", err);
	back = env_json_parse("[1]", 3, &blen, &topic, err, sizeof(err));
	ok(back == NULL && strcmp(err, "not a JSON object") == 0,
	    "not an object");
	free(buf);

	env_trust_free(&trust);
	env_key_wipe(&alice);
	env_key_wipe(&mallory);
	return done_testing();
}

/*
 * Fuzz pbjson: arbitrary bytes as JSON for each test message type.  What
 * converts must print, read back, pack to the same bytes and print the
 * same text, with and without PBJSON_EMIT_DEFAULTS (-J's choice); nothing
 * may crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pbjson.h"
#include "t/proto/pbtest.pb-c.h"
#include "t/proto/pbtest2.pb-c.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint8_t *
pack(const ProtobufCMessage *m, size_t *len)
{
	uint8_t *buf;

	*len = protobuf_c_message_get_packed_size(m);
	if ((buf = malloc(*len + 1)) == NULL ||
	    protobuf_c_message_pack(m, buf) != *len)
		abort();
	return buf;
}

static void
check(const ProtobufCMessageDescriptor *d, const char *text, size_t len,
    int flags)
{
	ProtobufCMessage *m1, *m2;
	uint8_t *b1, *b2;
	char err[512], *t1, *t2;
	size_t l1, l2;

	if ((m1 = pbjson_parse(d, text, len, err, sizeof(err))) == NULL) {
		if (err[0] == '\0')
			abort();	/* an error always says why */
		return;
	}
	if ((t1 = pbjson_print(m1, flags, err, sizeof(err))) == NULL) {
		fprintf(stderr, "print: %s\n", err);
		abort();
	}
	if ((m2 = pbjson_parse(d, t1, strlen(t1), err, sizeof(err))) == NULL) {
		fprintf(stderr, "reparse: %s\n%s\n", err, t1);
		abort();
	}
	b1 = pack(m1, &l1);
	b2 = pack(m2, &l2);
	if (l1 != l2 || memcmp(b1, b2, l1) != 0) {
		fprintf(stderr, "packed bytes differ\n%s\n", t1);
		abort();
	}
	if ((t2 = pbjson_print(m2, flags, err, sizeof(err))) == NULL ||
	    strcmp(t1, t2) != 0) {
		fprintf(stderr, "text differs\n%s\n%s\n", t1, t2 ? t2 : err);
		abort();
	}
	free(t1);
	free(t2);
	free(b1);
	free(b2);
	protobuf_c_message_free_unpacked(m1, NULL);
	protobuf_c_message_free_unpacked(m2, NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int flags;

	for (flags = 0; flags <= PBJSON_EMIT_DEFAULTS;
	    flags += PBJSON_EMIT_DEFAULTS) {
		check(&pbtest__all__descriptor, (const char *)data, size,
		    flags);
		check(&pbtest__update__descriptor, (const char *)data, size,
		    flags);
		check(&pbtest2__opt__descriptor, (const char *)data, size,
		    flags);
	}
	return 0;
}

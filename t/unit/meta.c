/*
 * Unit tests for observer/meta: parsing the dev node's Serai-shaped V14
 * and V15 metadata, decoding hand-made System.Events values into the
 * expected JSON (written by hand here, not by the decoder), all-or-nothing
 * failures, stale metadata, limits, and the hashing and naming helpers
 * (reference values from polkadot-js's util-crypto and util).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "t/tap.h"
#include "observer/meta.h"
#include "t/devnode/devmeta.h"

static char	*fields_json(const struct meta_event *);
static void	 rec_begin(struct scale_writer *, int, uint32_t, uint8_t,
		    uint8_t);
static void	 fill(uint8_t *, size_t, uint8_t);

static char *
fields_json(const struct meta_event *e)
{
	return e->fields ? cJSON_PrintUnformatted(e->fields) : strdup("NULL");
}

static void
fill(uint8_t *p, size_t n, uint8_t v)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v + i);
}

/* phase: 0 ApplyExtrinsic(ext), 1 Finalization, 2 Initialization */
static void
rec_begin(struct scale_writer *w, int phase, uint32_t ext, uint8_t pallet,
    uint8_t event)
{
	scale_put_u8(w, (uint8_t)phase);
	if (phase == 0)
		scale_put_u32(w, ext);
	scale_put_u8(w, pallet);
	scale_put_u8(w, event);
}

/* Six records covering the Serai events and nested types. */
static uint8_t *
events_blob(size_t *len, int with_slashed)
{
	struct scale_writer	 w;
	uint8_t			 k[64];

	scale_writer_init(&w);
	scale_put_compact(&w, with_slashed ? 7 : 6);

	rec_begin(&w, 0, 0, DEV_PALLET_SYSTEM, DEV_SYS_EXTRINSIC_SUCCESS);
	scale_put_compact(&w, 123456789);	/* ref_time */
	scale_put_compact(&w, 0);		/* proof_size */
	scale_put_u8(&w, 0);			/* Normal */
	scale_put_u8(&w, 0);			/* Yes */
	scale_put_compact(&w, 0);		/* topics */

	rec_begin(&w, 0, 1, DEV_PALLET_VALIDATOR_SETS, DEV_VS_KEY_GEN);
	scale_put_u32(&w, 7);			/* session */
	scale_put_u8(&w, 1);			/* Bitcoin */
	fill(k, 32, 0x10);
	scale_put_raw(&w, k, 32);		/* Public */
	fill(k, 3, 0xa0);
	scale_put_bytes(&w, k, 3);		/* ExternalKey */
	scale_put_compact(&w, 1);
	fill(k, 32, 0);
	scale_put_raw(&w, k, 32);		/* a topic */

	rec_begin(&w, 1, 0, DEV_PALLET_IN_INSTRUCTIONS, DEV_II_BATCH);
	scale_put_u8(&w, 3);			/* Monero */
	scale_put_u32(&w, 42);
	memset(k, 0xbb, 32);
	scale_put_raw(&w, k, 32);
	memset(k, 0xcc, 32);
	scale_put_raw(&w, k, 32);
	scale_put_compact(&w, 0);

	rec_begin(&w, 0, 70000, DEV_PALLET_COINS,
	    DEV_COINS_BURN_WITH_INSTRUCTION);
	memset(k, 0x01, 32);
	scale_put_raw(&w, k, 32);		/* from */
	scale_put_bytes(&w, "addr", 4);		/* address */
	scale_put_u8(&w, 1);			/* Some(data) */
	scale_put_bytes(&w, "\x00\xff", 2);
	scale_put_u8(&w, 2);			/* Ether */
	scale_put_u64(&w, 1ull << 60);		/* amount */
	scale_put_compact(&w, 0);

	rec_begin(&w, 0, 2, DEV_PALLET_SYSTEM, DEV_SYS_EXTRINSIC_FAILED);
	scale_put_u8(&w, 3);			/* Module */
	scale_put_u8(&w, 4);
	scale_put_raw(&w, "\x01\x00\x00\x00", 4);
	scale_put_compact(&w, 1ull << 52);
	scale_put_compact(&w, (1ull << 52) - 1);
	scale_put_u8(&w, 2);			/* Mandatory */
	scale_put_u8(&w, 1);			/* No */
	scale_put_compact(&w, 0);

	rec_begin(&w, 2, 0, DEV_PALLET_VALIDATOR_SETS,
	    DEV_VS_ALLOCATION_DECREASED);
	memset(k, 0xee, 32);
	scale_put_raw(&w, k, 32);
	scale_put_u8(&w, 0);			/* Serai */
	scale_put_u64(&w, 5);
	scale_put_u8(&w, 0);			/* None */
	scale_put_compact(&w, 0);

	if (with_slashed) {
		rec_begin(&w, 0, 3, DEV_PALLET_VALIDATOR_SETS, DEV_VS_SLASHED);
		scale_put_raw(&w, k, 32);
		scale_put_u32(&w, 9);
		scale_put_compact(&w, 0);
	}
	return scale_writer_take(&w, len);
}

static const char *const want_fields[] = {
	"{\"dispatchInfo\":{\"weight\":{\"refTime\":123456789,\"proofSize\":0},"
	    "\"class\":\"Normal\",\"paysFee\":\"Yes\"}}",
	"{\"set\":{\"session\":7,\"network\":\"Bitcoin\"},\"keyPair\":["
	    "\"0x101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f\","
	    "\"0xa0a1a2\"]}",
	"{\"network\":\"Monero\",\"id\":42,\"block\":"
	    "\"0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\","
	    "\"instructionsHash\":"
	    "\"0xcccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\"}",
	"{\"from\":\"0x0101010101010101010101010101010101010101010101010101010101010101\","
	    "\"instruction\":{\"instruction\":{\"address\":\"0x61646472\","
	    "\"data\":\"0x00ff\"},\"balance\":{\"coin\":\"Ether\","
	    "\"amount\":\"1152921504606846976\"}}}",
	"{\"dispatchError\":{\"module\":{\"index\":4,\"error\":\"0x01000000\"}},"
	    "\"dispatchInfo\":{\"weight\":{\"refTime\":\"4503599627370496\","
	    "\"proofSize\":4503599627370495},\"class\":\"Mandatory\","
	    "\"paysFee\":\"No\"}}",
	"{\"validator\":\"0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee\","
	    "\"network\":\"Serai\",\"amount\":5,\"delayedUntil\":null}",
};

static const char *const want_names[] = {
	"System.ExtrinsicSuccess", "ValidatorSets.KeyGen",
	"InInstructions.Batch", "Coins.BurnWithInstruction",
	"System.ExtrinsicFailed", "ValidatorSets.AllocationDecreased",
};

static const char *const want_phase[] = {
	"{\"applyExtrinsic\":0}", "{\"applyExtrinsic\":1}",
	"{\"finalization\":null}", "{\"applyExtrinsic\":70000}",
	"{\"applyExtrinsic\":2}", "{\"initialization\":null}",
};

static int
only_batch(const char *pallet, const char *event, void *arg)
{
	(*(int *)arg)++;
	return strcmp(pallet, "InInstructions") == 0 &&
	    strcmp(event, "Batch") == 0;
}

static void
test_devmeta(unsigned version)
{
	struct meta			 m, up;
	struct meta_events		 evs;
	const struct meta_pallet	*pl;
	uint8_t				*blob, *ev;
	size_t				 len, evlen, i, n;
	char				 err[512], name[128], *s, want[512];
	int				 calls = 0, all;
	cJSON				*j;

	len = 0;
	ok(devmeta_build(version, 0, &blob, &len) == 0, "V%u: devmeta "
	    "builds", version);
	diag("V%u metadata: %zu bytes", version, len);
	ok(meta_parse(&m, blob, len, err, sizeof(err)) == 0,
	    "V%u: metadata parses: %s", version, err);
	is_int(m.version, version, "V%u: version", version);
	is_int(m.npallets, 5, "V%u: five pallets", version);
	ok(m.has_events, "V%u: System.Events found", version);
	pl = meta_pallet(&m, "ValidatorSets");
	ok(pl != NULL && pl->index == DEV_PALLET_VALIDATOR_SETS &&
	    pl->has_event, "V%u: ValidatorSets pallet", version);
	ok(meta_pallet(&m, "Nope") == NULL, "V%u: unknown pallet", version);
	ok(meta_storage(meta_pallet(&m, "Timestamp"), "Now") != NULL,
	    "V%u: Timestamp.Now storage", version);

	ev = events_blob(&evlen, 0);
	ok(meta_decode_events(&m, ev, evlen, NULL, NULL, &evs, err,
	    sizeof(err)) == 0, "V%u: events decode: %s", version, err);
	is_int(evs.n, 6, "V%u: six events", version);
	for (i = 0; i < evs.n && i < 6; i++) {
		snprintf(name, sizeof(name), "%s.%s", evs.ev[i].pallet,
		    evs.ev[i].name);
		is_str(name, want_names[i], "V%u: event %zu name", version, i);
		s = fields_json(&evs.ev[i]);
		is_str(s, want_fields[i], "V%u: event %zu fields", version, i);
		free(s);
		s = cJSON_PrintUnformatted(evs.ev[i].phase);
		is_str(s, want_phase[i], "V%u: event %zu phase", version, i);
		free(s);
		is_int(evs.ev[i].index, i, "V%u: event %zu index", version, i);
	}
	s = cJSON_PrintUnformatted(evs.ev[1].topics);
	is_str(s, "[\"0x000102030405060708090a0b0c0d0e0f101112131415161718"
	    "191a1b1c1d1e1f\"]", "V%u: topics", version);
	free(s);
	j = meta_event_json(&evs.ev[2]);
	s = cJSON_PrintUnformatted(j);
	snprintf(want, sizeof(want), "{\"index\":2,\"pallet\":"
	    "\"InInstructions\",\"name\":\"Batch\",\"phase\":"
	    "{\"finalization\":null},\"fields\":%s,\"topics\":[]}",
	    want_fields[2]);
	is_str(s, want, "V%u: meta_event_json", version);
	free(s);
	cJSON_Delete(j);
	ok(evs.ev[0].off == 6 && evs.ev[0].len == 2 + 5 + 2,
	    "V%u: event 0 spans bytes 6..14", version);
	meta_events_free(&evs);

	/* selection: only Batch gets fields */
	ok(meta_decode_events(&m, ev, evlen, only_batch, &calls, &evs, err,
	    sizeof(err)) == 0 && evs.n == 6 && calls == 6,
	    "V%u: decode with a selection", version);
	ok(evs.ev[2].fields != NULL && evs.ev[0].fields == NULL &&
	    evs.ev[5].fields == NULL && evs.ev[5].phase != NULL &&
	    strcmp(evs.ev[3].name, "BurnWithInstruction") == 0,
	    "V%u: only the selected event has fields", version);
	meta_events_free(&evs);

	/* every truncation fails, as a whole, with a clear error */
	all = 1;
	for (n = 0; n < evlen; n++) {
		if (meta_decode_events(&m, ev, n, NULL, NULL, &evs, err,
		    sizeof(err)) != -1 || evs.n != 0 || evs.ev != NULL) {
			all = 0;
			break;
		}
	}
	ok(all, "V%u: all %zu truncations of the events fail", version,
	    evlen);
	meta_decode_events(&m, ev, evlen - 10, NULL, NULL, &evs, err,
	    sizeof(err));
	ok(strstr(err, "event 5 (ValidatorSets.AllocationDecreased)") !=
	    NULL && strstr(err, "at byte") != NULL, "V%u: error says "
	    "where: %s", version, err);

	/* trailing bytes */
	ev = realloc(ev, evlen + 1);
	ev[evlen] = 0;
	ok(meta_decode_events(&m, ev, evlen + 1, NULL, NULL, &evs, err,
	    sizeof(err)) == -1 && strstr(err, "1 bytes left") != NULL,
	    "V%u: trailing bytes refused: %s", version, err);

	/* unknown pallet and event indexes */
	ev[6] = 9;
	ok(meta_decode_events(&m, ev, evlen, NULL, NULL, &evs, err,
	    sizeof(err)) == -1 && strstr(err, "unknown pallet index 9") !=
	    NULL && strstr(err, "serai_runtime::RuntimeEvent") != NULL,
	    "V%u: unknown pallet: %s", version, err);
	ev[6] = DEV_PALLET_VALIDATOR_SETS;
	ev[7] = 99;
	ok(meta_decode_events(&m, ev, evlen, NULL, NULL, &evs, err,
	    sizeof(err)) == -1 && strstr(err, "unknown ValidatorSets event "
	    "index 99") != NULL, "V%u: unknown event: %s", version, err);
	free(ev);

	/* a runtime upgrade's new event: old metadata fails, new decodes */
	ev = events_blob(&evlen, 1);
	ok(meta_decode_events(&m, ev, evlen, NULL, NULL, &evs, err,
	    sizeof(err)) == -1 && strstr(err, "event index 8") != NULL,
	    "V%u: stale metadata fails on the new event: %s", version, err);
	free(blob);
	ok(devmeta_build(version, 1, &blob, &len) == 0 &&
	    meta_parse(&up, blob, len, err, sizeof(err)) == 0,
	    "V%u: upgraded metadata parses", version);
	ok(meta_decode_events(&up, ev, evlen, NULL, NULL, &evs, err,
	    sizeof(err)) == 0 && evs.n == 7 &&
	    strcmp(evs.ev[6].name, "Slashed") == 0,
	    "V%u: upgraded metadata decodes it", version);
	meta_events_free(&evs);
	meta_free(&up);
	free(ev);

	/* every truncation of the metadata fails */
	all = 1;
	for (n = 0; n < len; n++) {
		if (meta_parse(&up, blob, n, err, sizeof(err)) != -1) {
			all = 0;
			break;
		}
	}
	ok(all, "V%u: all %zu truncations of the metadata fail", version,
	    len);
	meta_parse(&up, blob, len / 2, err, sizeof(err));
	ok(strstr(err, "at byte") != NULL, "V%u: with the offset: %s",
	    version, err);
	free(blob);
	meta_free(&m);
}

/*
 * A hand-made registry: type 0 = struct Node { children: Vec<Node> },
 * type 1 = Vec<Node>.  No pallets.
 */
static void
test_limits(void)
{
	struct scale_writer	 w;
	struct scale_reader	 r;
	struct meta		 m;
	cJSON			*j;
	uint8_t			*blob, *in;
	size_t			 len, i;
	char			 err[256];

	scale_writer_init(&w);
	scale_put_raw(&w, "meta\x0e", 5);
	scale_put_compact(&w, 2);
	scale_put_compact(&w, 0);		/* type 0 */
	scale_put_compact(&w, 1);
	scale_put_str(&w, "Node");
	scale_put_compact(&w, 0);
	scale_put_u8(&w, 0);			/* composite */
	scale_put_compact(&w, 1);
	scale_put_u8(&w, 1);
	scale_put_str(&w, "children");
	scale_put_compact(&w, 1);
	scale_put_u8(&w, 0);
	scale_put_compact(&w, 0);
	scale_put_compact(&w, 0);		/* docs */
	scale_put_compact(&w, 1);		/* type 1 */
	scale_put_compact(&w, 0);
	scale_put_compact(&w, 0);
	scale_put_u8(&w, 2);			/* sequence */
	scale_put_compact(&w, 0);
	scale_put_compact(&w, 0);
	scale_put_compact(&w, 0);		/* pallets */
	scale_put_compact(&w, 0);		/* extrinsic ty */
	scale_put_u8(&w, 4);
	scale_put_compact(&w, 0);
	scale_put_compact(&w, 0);		/* runtime type */
	blob = scale_writer_take(&w, &len);
	ok(meta_parse(&m, blob, len, err, sizeof(err)) == 0,
	    "recursive registry parses: %s", err);
	ok(!m.has_events, "without System.Events");
	ok(meta_decode_events(&m, (const uint8_t *)"\0", 1, NULL, NULL,
	    &(struct meta_events){ 0 }, err, sizeof(err)) == -1 &&
	    strstr(err, "no System.Events") != NULL, "events refused: %s",
	    err);

	/* 60 levels decode; 200 exceed the depth bound */
	in = malloc(201);
	for (i = 0; i < 60; i++)
		in[i] = 0x04;			/* one child */
	in[60] = 0;
	scale_reader_init(&r, in, 61);
	ok(meta_decode_value(&m, 0, &r, &j, err, sizeof(err)) == 0 &&
	    scale_remaining(&r) == 0, "60 levels decode: %s", err);
	cJSON_Delete(j);
	for (i = 0; i < 200; i++)
		in[i] = 0x04;
	in[200] = 0;
	scale_reader_init(&r, in, 201);
	j = NULL;
	ok(meta_decode_value(&m, 0, &r, &j, err, sizeof(err)) == -1 &&
	    j == NULL && strstr(err, "nested deeper") != NULL,
	    "200 levels refused: %s", err);
	scale_reader_init(&r, in, 201);
	ok(meta_decode_value(&m, 7, &r, &j, err, sizeof(err)) == -1 &&
	    strstr(err, "unknown type id") != NULL, "unknown type id: %s",
	    err);
	free(in);
	meta_free(&m);

	/* a field referring to a type that does not exist */
	blob[26] = 5 << 2;			/* type 0's field: type 5 */
	ok(meta_parse(&m, blob, len, err, sizeof(err)) == -1 &&
	    strstr(err, "refers to type 5") != NULL, "dangling type id: %s",
	    err);
	blob[0] = 'M';
	ok(meta_parse(&m, blob, len, err, sizeof(err)) == -1 &&
	    strstr(err, "magic") != NULL, "no magic: %s", err);
	blob[0] = 'm';
	blob[4] = 17;
	ok(meta_parse(&m, blob, len, err, sizeof(err)) == -1 &&
	    strstr(err, "unsupported version 17") != NULL, "V17: %s", err);
	free(blob);
}

static void
test_wrapped(void)
{
	struct scale_writer	 w;
	struct meta		 m;
	uint8_t			*blob, *wrapped;
	size_t			 len, wlen;
	char			 err[256];

	devmeta_build(15, 0, &blob, &len);
	scale_writer_init(&w);
	scale_put_u8(&w, 1);			/* Some */
	scale_put_bytes(&w, blob, len);		/* OpaqueMetadata */
	wrapped = scale_writer_take(&w, &wlen);
	ok(meta_parse(&m, wrapped, wlen, err, sizeof(err)) == 0 &&
	    m.version == 15, "Option<Vec<u8>>-wrapped V15 parses: %s", err);
	meta_free(&m);
	ok(meta_parse(&m, wrapped + 1, wlen - 1, err, sizeof(err)) == 0,
	    "Vec<u8>-wrapped parses: %s", err);
	meta_free(&m);
	free(wrapped);
	free(blob);
}

static void
test_hashing(void)
{
	/* polkadot-js util-crypto xxhashAsHex(s, 128) */
	static const struct {
		const char *in, *hex;
	} v[] = {
		{ "", "0x99e9d85137db46ef4bbea33613baafd5" },
		{ "a", "0x5b6e8ca9f1c44ed2c646cdc381bcc2de" },
		{ "abc", "0x990977adf52cbc440889329981caa9be" },
		{ "System", "0x26aa394eea5630e07c48ae0c9558cef7" },
		{ "Events", "0x80d41e5e16056765bc8461851072c9d7" },
		{ "Timestamp", "0xf0c365c3cf59d671eb72da0e7a4113c4" },
		{ "Now", "0x9f1f0515f462cdcf84e0f1d6045dfcbb" },
		{ "The quick brown fox jumps over the lazy dog",
		    "0xbc71da1f362d240bdbc6d2dab69150df" },
	};
	uint8_t	 out[32], x[100];
	char	 hex[80];
	size_t	 i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		meta_twox128(v[i].in, strlen(v[i].in), out);
		hex_encode0x(out, 16, hex);
		is_str(hex, v[i].hex, "twox128(\"%s\")", v[i].in);
	}
	memset(x, 'x', sizeof(x));
	meta_twox128(x, 100, out);
	hex_encode0x(out, 16, hex);
	is_str(hex, "0x94c0a3885adef092aebda23f10ec7aa2", "twox128(x * 100)");
	ok(meta_xxh64("", 0, 0) == 0xef46db3751d8e999ull, "xxh64(\"\")");
	meta_storage_key("System", "Events", out);
	hex_encode0x(out, 32, hex);
	is_str(hex, "0x26aa394eea5630e07c48ae0c9558cef780d41e5e16056765bc846"
	    "1851072c9d7", "System.Events storage key");
}

static void
test_camel(void)
{
	/* polkadot-js util stringCamelCase */
	static const char *const v[][2] = {
		{ "dispatch_info", "dispatchInfo" },
		{ "ApplyExtrinsic", "applyExtrinsic" },
		{ "NFTOrder", "nftOrder" }, { "who", "who" },
		{ "XcmV3", "xcmV3" }, { "V3", "v3" },
		{ "ABC_def", "abcDef" }, { "r#type", "r#type" },
		{ "AB#c", "ab#c" }, { "ABc", "aBc" },
		{ "a__b--c..d", "aBCD" }, { "UUID64", "uuid64" },
		{ "BTreeMap", "bTreeMap" }, { "key_pair", "keyPair" },
		{ "_leading", "leading" }, { "DMPQueue", "dmpQueue" },
		{ "ABCDef", "abcDef" }, { "A1B2c", "a1b2c" },
		{ "InInstructions", "inInstructions" },
	};
	char	 out[64];
	size_t	 i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		is_str(meta_camel(v[i][0], out, sizeof(out)), v[i][1],
		    "camelCase %s", v[i][0]);
}

int
main(void)
{
	test_devmeta(14);
	test_devmeta(15);
	test_limits();
	test_wrapped();
	test_hashing();
	test_camel();
	return done_testing();
}

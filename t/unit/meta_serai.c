/*
 * Unit tests for observer/serai: typed Serai events from decoded events
 * (hand-made SCALE, the dev node's metadata), malformed decoded forms, and
 * the events-of-interest filter.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t/tap.h"
#include "observer/serai.h"
#include "t/devnode/devmeta.h"

static void
rec(struct scale_writer *w, uint8_t pallet, uint8_t event)
{
	scale_put_u8(w, 0);		/* ApplyExtrinsic */
	scale_put_u32(w, 1);
	scale_put_u8(w, pallet);
	scale_put_u8(w, event);
}

static uint8_t *
blob(size_t *len)
{
	struct scale_writer	 w;
	uint8_t			 k[96];
	size_t			 i;

	for (i = 0; i < sizeof(k); i++)
		k[i] = (uint8_t)i;
	scale_writer_init(&w);
	scale_put_compact(&w, 8);
	rec(&w, DEV_PALLET_VALIDATOR_SETS, DEV_VS_NEW_SET);
	scale_put_u32(&w, 3);
	scale_put_u8(&w, 0);			/* Serai */
	scale_put_compact(&w, 0);
	rec(&w, DEV_PALLET_VALIDATOR_SETS, DEV_VS_KEY_GEN);
	scale_put_u32(&w, 4);
	scale_put_u8(&w, 3);			/* Monero */
	scale_put_raw(&w, k, 32);
	scale_put_bytes(&w, k, 96);
	scale_put_compact(&w, 0);
	rec(&w, DEV_PALLET_VALIDATOR_SETS, DEV_VS_ACCEPTED_HANDOVER);
	scale_put_u32(&w, 5);
	scale_put_u8(&w, 2);
	scale_put_compact(&w, 0);
	rec(&w, DEV_PALLET_VALIDATOR_SETS, DEV_VS_SET_RETIRED);
	scale_put_u32(&w, 0xffffffffu);
	scale_put_u8(&w, 1);
	scale_put_compact(&w, 0);
	rec(&w, DEV_PALLET_IN_INSTRUCTIONS, DEV_II_BATCH);
	scale_put_u8(&w, 2);			/* Ethereum */
	scale_put_u32(&w, 77);
	scale_put_raw(&w, k, 32);
	scale_put_raw(&w, k + 32, 32);
	scale_put_compact(&w, 0);
	rec(&w, DEV_PALLET_COINS, DEV_COINS_BURN_WITH_INSTRUCTION);
	scale_put_raw(&w, k + 1, 32);
	scale_put_bytes(&w, "bc1qaddress", 11);
	scale_put_u8(&w, 1);
	scale_put_bytes(&w, k, 5);
	scale_put_u8(&w, 1);			/* Bitcoin */
	scale_put_u64(&w, 18446744073709551615ull);
	scale_put_compact(&w, 0);
	rec(&w, DEV_PALLET_COINS, DEV_COINS_BURN_WITH_INSTRUCTION);
	scale_put_raw(&w, k + 2, 32);
	scale_put_bytes(&w, "", 0);
	scale_put_u8(&w, 0);			/* no data */
	scale_put_u8(&w, 4);			/* Monero */
	scale_put_u64(&w, 12345);
	scale_put_compact(&w, 0);
	rec(&w, DEV_PALLET_COINS, DEV_COINS_MINT);
	scale_put_raw(&w, k, 32);
	scale_put_u8(&w, 0);
	scale_put_u64(&w, 1);
	scale_put_compact(&w, 0);
	return scale_writer_take(&w, len);
}

static void
test_typed(void)
{
	struct meta		 m;
	struct meta_events	 evs;
	struct serai_event	 ev;
	uint8_t			*md, *b, k[96];
	size_t			 mdlen, blen, i;
	char			 err[256];

	for (i = 0; i < sizeof(k); i++)
		k[i] = (uint8_t)i;
	devmeta_build(14, 0, &md, &mdlen);
	ok(meta_parse(&m, md, mdlen, err, sizeof(err)) == 0, "metadata");
	b = blob(&blen);
	ok(meta_decode_events(&m, b, blen, NULL, NULL, &evs, err,
	    sizeof(err)) == 0 && evs.n == 8, "events decode: %s", err);

	ok(serai_event_parse(&evs.ev[0], &ev, err, sizeof(err)) == 1 &&
	    ev.kind == SERAI_NEW_SET && ev.set.session == 3 &&
	    ev.set.network == SERAI_NETWORK_SERAI, "NewSet");
	ok(serai_event_parse(&evs.ev[1], &ev, err, sizeof(err)) == 1 &&
	    ev.kind == SERAI_KEY_GEN && ev.set.session == 4 &&
	    ev.set.network == SERAI_NETWORK_MONERO &&
	    memcmp(ev.key, k, 32) == 0 && ev.external_key_len == 96 &&
	    memcmp(ev.external_key, k, 96) == 0, "KeyGen: %s", err);
	ok(serai_event_parse(&evs.ev[2], &ev, err, sizeof(err)) == 1 &&
	    ev.kind == SERAI_ACCEPTED_HANDOVER && ev.set.session == 5 &&
	    ev.set.network == SERAI_NETWORK_ETHEREUM, "AcceptedHandover");
	ok(serai_event_parse(&evs.ev[3], &ev, err, sizeof(err)) == 1 &&
	    ev.kind == SERAI_SET_RETIRED && ev.set.session == 0xffffffffu &&
	    ev.set.network == SERAI_NETWORK_BITCOIN, "SetRetired");
	ok(serai_event_parse(&evs.ev[4], &ev, err, sizeof(err)) == 1 &&
	    ev.kind == SERAI_BATCH && ev.network == SERAI_NETWORK_ETHEREUM &&
	    ev.batch_id == 77 && memcmp(ev.block, k, 32) == 0 &&
	    memcmp(ev.instructions_hash, k + 32, 32) == 0, "Batch");
	ok(serai_event_parse(&evs.ev[5], &ev, err, sizeof(err)) == 1 &&
	    ev.kind == SERAI_BURN_WITH_INSTRUCTION &&
	    memcmp(ev.from, k + 1, 32) == 0 && ev.address_len == 11 &&
	    memcmp(ev.address, "bc1qaddress", 11) == 0 && ev.has_data &&
	    ev.data_len == 5 && memcmp(ev.data, k, 5) == 0 &&
	    ev.coin == SERAI_COIN_BITCOIN &&
	    ev.amount == 18446744073709551615ull,
	    "BurnWithInstruction with data, u64 max amount: %s", err);
	serai_event_free(&ev);
	ok(serai_event_parse(&evs.ev[6], &ev, err, sizeof(err)) == 1 &&
	    ev.address_len == 0 && !ev.has_data && ev.data == NULL &&
	    ev.coin == SERAI_COIN_MONERO && ev.amount == 12345,
	    "BurnWithInstruction without data");
	serai_event_free(&ev);
	ok(serai_event_parse(&evs.ev[7], &ev, err, sizeof(err)) == 0 &&
	    ev.kind == SERAI_NONE, "Mint is not a typed event");
	is_str(serai_kind_name(SERAI_KEY_GEN), "KeyGen", "kind name");
	is_str(serai_network_name(2), "Ethereum", "network name");
	is_str(serai_coin_name(3), "Dai", "coin name");

	/* malformed decoded forms: a missing field, a wrong kind */
	cJSON_DeleteItemFromObject(evs.ev[4].fields, "block");
	ok(serai_event_parse(&evs.ev[4], &ev, err, sizeof(err)) == -1 &&
	    strcmp(err, "InInstructions.Batch (event 4): no field \"block\"")
	    == 0, "missing field: %s", err);
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(evs.ev[0].fields, "set"),
	    "network", cJSON_CreateString("Dogecoin"));
	ok(serai_event_parse(&evs.ev[0], &ev, err, sizeof(err)) == -1 &&
	    strstr(err, "unknown network \"Dogecoin\"") != NULL,
	    "unknown network: %s", err);
	/* a nested enum's form: {"external": "Monero"}, {"serai": null} */
	{
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "external", "Monero");
		cJSON_ReplaceItemInObject(cJSON_GetObjectItem(evs.ev[3].fields,
		    "set"), "network", o);
		ok(serai_event_parse(&evs.ev[3], &ev, err, sizeof(err)) == 1 &&
		    ev.set.network == SERAI_NETWORK_MONERO,
		    "{\"external\": \"Monero\"} is Monero: %s", err);
		o = cJSON_CreateObject();
		cJSON_AddNullToObject(o, "serai");
		cJSON_ReplaceItemInObject(cJSON_GetObjectItem(evs.ev[3].fields,
		    "set"), "network", o);
		ok(serai_event_parse(&evs.ev[3], &ev, err, sizeof(err)) == 1 &&
		    ev.set.network == SERAI_NETWORK_SERAI,
		    "{\"serai\": null} is Serai: %s", err);
	}
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(evs.ev[2].fields, "set"),
	    "session", cJSON_CreateString("4294967296"));
	ok(serai_event_parse(&evs.ev[2], &ev, err, sizeof(err)) == -1 &&
	    strstr(err, "exceeds 32 bits") != NULL, "session overflow: %s",
	    err);
	/* KeyGen's set is external: Serai is refused */
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(evs.ev[1].fields, "set"),
	    "network", cJSON_CreateString("Serai"));
	ok(serai_event_parse(&evs.ev[1], &ev, err, sizeof(err)) == -1,
	    "KeyGen for the Serai network refused: %s", err);
	cJSON_Delete(evs.ev[5].fields);
	evs.ev[5].fields = NULL;
	ok(serai_event_parse(&evs.ev[5], &ev, err, sizeof(err)) == -1 &&
	    strstr(err, "not decoded") != NULL, "no fields: %s", err);

	meta_events_free(&evs);
	meta_free(&m);
	free(b);
	free(md);
}

static void
test_filter(void)
{
	struct serai_filter	 f;
	char			 err[128];

	ok(serai_filter_parse(&f, SERAI_DEFAULT_EVENTS, err, sizeof(err)) ==
	    0 && f.n == 6, "default filter");
	ok(serai_filter_match("InInstructions", "Batch", &f), "Batch in");
	ok(!serai_filter_match("InInstructions", "Halt", &f), "Halt out");
	ok(!serai_filter_match("Coins", "Mint", &f), "Mint out");
	ok(!serai_filter_match("Coin", "BurnWithInstruction", &f),
	    "pallet prefix is not a match");
	serai_filter_free(&f);
	ok(serai_filter_parse(&f, " Coins.*,System.ExtrinsicFailed ", err,
	    sizeof(err)) == 0 && f.n == 2, "wildcard filter");
	ok(serai_filter_match("Coins", "Mint", &f) &&
	    serai_filter_match("System", "ExtrinsicFailed", &f) &&
	    !serai_filter_match("System", "ExtrinsicSuccess", &f),
	    "wildcard matches");
	serai_filter_free(&f);
	ok(serai_filter_parse(&f, "*", err, sizeof(err)) == 0 &&
	    serai_filter_match("Any", "Thing", &f), "everything");
	serai_filter_free(&f);
	ok(serai_filter_parse(&f, "Coins.Mint Bad", err, sizeof(err)) == -1 &&
	    strstr(err, "\"Bad\"") != NULL, "bad name: %s", err);
	ok(serai_filter_parse(&f, "a.b.c", err, sizeof(err)) == -1,
	    "two dots refused");
	ok(serai_filter_parse(&f, "", err, sizeof(err)) == 0 && f.n == 0 &&
	    !serai_filter_match("Coins", "Mint", &f), "empty: nothing");
	serai_filter_free(&f);
}

int
main(void)
{
	test_typed();
	test_filter();
	return done_testing();
}

/*
 * chainsim: the observer's messages on serai-observation, for the signer's
 * tests (it signs as "<name>.observer" with key_dir/observer.key).
 *
 *	chainsim [options] [-x INDEX] COMMAND ARGS...
 *
 *	newset NET SESSION BLOCK NAME[:WEIGHT]...
 *		ValidatorSets.NewSet; keys from [validator NAME] chain_key
 *		(or public_key when it has none), weights from the operand
 *		or [validator NAME] weight
 *	keygen NET SESSION BLOCK	ValidatorSets.KeyGen
 *	retire NET SESSION BLOCK	ValidatorSets.SetRetired
 *	batch NET ID BLOCK		InInstructions.Batch
 *	burn COIN BLOCK			Coins.BurnWithInstruction
 *	block NUMBER BLOCK		a BlockUpdate
 *
 * BLOCK is the 32-byte Serai block hash in hex; -x sets the event index.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "app.h"
#include "bus.h"
#include "cfg.h"
#include "envelope.h"
#include "log.h"
#include "proto/observation.pb-c.h"
#include "svc.h"

static long long	 event_index;

static int	 opt(struct app *, int, const char *);
static void	 hash_arg(const char *, uint8_t *);
static uint32_t	 u32_arg(const char *);
static int	 send_event(struct svc *, Coord__SeraiEvent *, char *, size_t);
static int	 send_keyed(struct svc *, uint32_t, const uint8_t *,
		    const ProtobufCMessage *, char *, size_t);

static const struct app_spec spec = {
	.prog = "observer",
	.operands = "COMMAND ARGS...",
	.opts = "x:",
	.optusage = "  -x index   the event's index in its block\n"
	    "commands: newset NET SESSION BLOCK NAME[:WEIGHT]... | keygen NET "
	    "SESSION BLOCK\n  | retire NET SESSION BLOCK | batch NET ID BLOCK "
	    "| burn COIN BLOCK\n  | block NUMBER BLOCK\n",
	.opt = opt,
};

static int
opt(struct app *a, int ch, const char *arg)
{
	(void)a;
	if (ch != 'x')
		return -1;
	return cfg_parse_int(arg, &event_index);
}

static void
hash_arg(const char *s, uint8_t *out)
{
	if (strlen(s) != 64 || hex_decode(s, out, 32) == -1)
		fatalx(EX_PERM, "%s: expected 64 hex digits", s);
}

static uint32_t
u32_arg(const char *s)
{
	long long n;

	if (cfg_parse_int(s, &n) == -1 || n < 0 || n > 0xffffffffLL)
		fatalx(EX_PERM, "%s: expected a number", s);
	return (uint32_t)n;
}

static int
send_event(struct svc *svc, Coord__SeraiEvent *ev, char *err, size_t errlen)
{
	struct env_intent in;
	uint8_t intent[ENV_INTENTLEN], *body;
	size_t n;

	n = coord__serai_event__get_packed_size(ev);
	if ((body = malloc(n + 1)) == NULL)
		fatalx(EX_TEMP, "out of memory");
	coord__serai_event__pack(ev, body);
	env_intent_init(&in, COORD__MSG_TYPE__SERAI_EVENT);
	env_intent_add(&in, ev->block_hash.data, ev->block_hash.len);
	env_intent_u64(&in, ev->event_index);
	env_intent_add(&in, body, n);
	env_intent_final(&in, intent);
	free(body);
	return send_keyed(svc, COORD__MSG_TYPE__SERAI_EVENT, intent, &ev->base,
	    err, errlen);
}

/* One record key for the whole chain: one partition, in order. */
static int
send_keyed(struct svc *svc, uint32_t type, const uint8_t *intent,
    const ProtobufCMessage *body, char *err, size_t errlen)
{
	Coord__Envelope e = COORD__ENVELOPE__INIT;
	uint8_t *bb, *buf;
	size_t bn, len;
	int rc;

	bn = protobuf_c_message_get_packed_size(body);
	if ((bb = malloc(bn + 1)) == NULL)
		fatalx(EX_TEMP, "out of memory");
	protobuf_c_message_pack(body, bb);
	e.type = type;
	e.intent.data = (uint8_t *)(uintptr_t)intent;
	e.intent.len = ENV_INTENTLEN;
	e.to = (char *)"";
	e.body.data = bb;
	e.body.len = bn;
	if ((buf = env_seal(&e, &svc->key, &len)) == NULL)
		fatalx(EX_TEMP, "out of memory");
	free(bb);
	rc = bus_send(svc->bus, bus_topic(svc->bus, TOPIC_SERAI_OBSERVATION),
	    "serai", 5, buf, len, err, errlen);
	free(buf);
	return rc;
}

int
main(int argc, char **argv)
{
	Coord__SeraiEvent ev = COORD__SERAI_EVENT__INIT;
	Coord__ValidatorSet vs = COORD__VALIDATOR_SET__INIT;
	Coord__NewSet ns = COORD__NEW_SET__INIT;
	Coord__KeyGen kg = COORD__KEY_GEN__INIT;
	Coord__SetRetired sr = COORD__SET_RETIRED__INIT;
	Coord__Batch ba = COORD__BATCH__INIT;
	Coord__BurnWithInstruction bw = COORD__BURN_WITH_INSTRUCTION__INIT;
	Coord__BlockUpdate bu = COORD__BLOCK_UPDATE__INIT;
	Coord__Participant *pa = NULL, **pp = NULL;
	const struct cfg_sect *s;
	struct bus_opts o;
	struct app app;
	struct svc svc;
	struct env_intent in;
	uint8_t block[32], intent[ENV_INTENTLEN], *keys = NULL;
	const char *cmd, *pk, *colon;
	char err[1024], name[128];
	long long w;
	int perm, i, rc;

	app_init(&app, &spec, argc, argv);
	if (app.argc < 3)
		app_usage();
	cmd = app.argv[0];
	memset(&o, 0, sizeof(o));
	o.app = &app;
	o.produce = 1;
	if (svc_open(&svc, &app, &o, &perm, err, sizeof(err)) == -1)
		fatalx(perm ? EX_PERM : EX_TEMP, "%s", err);
	ev.event_index = (uint32_t)event_index;
	ev.block_hash.data = block;
	ev.block_hash.len = 32;
	if (strcmp(cmd, "block") == 0) {
		if (app.argc != 3)
			app_usage();
		hash_arg(app.argv[2], block);
		bu.number = u32_arg(app.argv[1]);
		bu.hash.data = block;
		bu.hash.len = 32;
		env_intent_init(&in, COORD__MSG_TYPE__BLOCK_UPDATE);
		env_intent_u64(&in, bu.number);
		env_intent_add(&in, block, 32);
		env_intent_final(&in, intent);
		rc = send_keyed(&svc, COORD__MSG_TYPE__BLOCK_UPDATE, intent,
		    &bu.base, err, sizeof(err));
	} else if (strcmp(cmd, "newset") == 0 || strcmp(cmd, "keygen") == 0 ||
	    strcmp(cmd, "retire") == 0) {
		if (app.argc < 4)
			app_usage();
		vs.network = u32_arg(app.argv[1]);
		vs.session = u32_arg(app.argv[2]);
		hash_arg(app.argv[3], block);
		ev.pallet = "ValidatorSets";
		if (cmd[0] == 'n') {
			ev.name = "NewSet";
			ev.event_case = COORD__SERAI_EVENT__EVENT_NEW_SET;
			ev.new_set = &ns;
			ns.set = &vs;
			ns.n_participants = app.argc - 4;
			pa = calloc(ns.n_participants + 1, sizeof(*pa));
			pp = calloc(ns.n_participants + 1, sizeof(*pp));
			keys = calloc(ns.n_participants + 1, 32);
			if (pa == NULL || pp == NULL || keys == NULL)
				fatalx(EX_TEMP, "out of memory");
			for (i = 0; i < (int)ns.n_participants; i++) {
				colon = strchr(app.argv[4 + i], ':');
				snprintf(name, sizeof(name), "%.*s", colon ?
				    (int)(colon - app.argv[4 + i]) : 127,
				    app.argv[4 + i]);
				for (s = NULL; (s = cfg_next(app.cfg,
				    "validator", s)) != NULL;)
					if (strcmp(s->name, name) == 0)
						break;
				/* The chain names validators by their key
				 * in the sets: chain_key, else public_key. */
				if (s == NULL || ((pk = cfg_sect_str(s,
				    "chain_key")) == NULL && (pk =
				    cfg_sect_str(s, "public_key")) == NULL))
					fatalx(EX_PERM, "no [validator %s] "
					    "chain_key or public_key", name);
				if (hex_decode(pk, keys + 32 * i, 32) == -1)
					fatalx(EX_PERM, "[validator %s] "
					    "key: not hex", name);
				w = cfg_sect_int(s, "weight");
				if (colon != NULL &&
				    cfg_parse_int(colon + 1, &w) == -1)
					fatalx(EX_PERM, "%s: bad weight",
					    app.argv[4 + i]);
				coord__participant__init(&pa[i]);
				pa[i].key.data = keys + 32 * i;
				pa[i].key.len = 32;
				pa[i].weight = (uint64_t)w;
				pp[i] = &pa[i];
			}
			ns.participants = pp;
		} else if (cmd[0] == 'k') {
			ev.name = "KeyGen";
			ev.event_case = COORD__SERAI_EVENT__EVENT_KEY_GEN;
			ev.key_gen = &kg;
			kg.set = &vs;
		} else {
			ev.name = "SetRetired";
			ev.event_case = COORD__SERAI_EVENT__EVENT_SET_RETIRED;
			ev.set_retired = &sr;
			sr.set = &vs;
		}
		rc = send_event(&svc, &ev, err, sizeof(err));
	} else if (strcmp(cmd, "batch") == 0) {
		if (app.argc != 4)
			app_usage();
		ba.network = u32_arg(app.argv[1]);
		ba.id = u32_arg(app.argv[2]);
		hash_arg(app.argv[3], block);
		ba.block.data = block;
		ba.block.len = 32;
		ev.pallet = "InInstructions";
		ev.name = "Batch";
		ev.event_case = COORD__SERAI_EVENT__EVENT_BATCH;
		ev.batch = &ba;
		rc = send_event(&svc, &ev, err, sizeof(err));
	} else if (strcmp(cmd, "burn") == 0) {
		if (app.argc != 3)
			app_usage();
		bw.coin = u32_arg(app.argv[1]);
		hash_arg(app.argv[2], block);
		bw.amount = 1000;
		bw.address.data = (uint8_t *)"address";
		bw.address.len = 7;
		ev.pallet = "Coins";
		ev.name = "BurnWithInstruction";
		ev.event_case = COORD__SERAI_EVENT__EVENT_BURN_WITH_INSTRUCTION;
		ev.burn_with_instruction = &bw;
		rc = send_event(&svc, &ev, err, sizeof(err));
	} else
		app_usage();
	if (rc == -1 || bus_sync(svc.bus, 30000, err, sizeof(err)) == -1)
		fatalx(EX_TEMP, "%s", err);
	svc_close(&svc);
	free(pa);
	free(pp);
	free(keys);
	return 0;
}

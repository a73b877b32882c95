/*
 * chain: the dev node's chain (see chain.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "hex.h"
#include "observer/scale.h"
#include "chain.h"
#include "devmeta.h"

#define SESSION_BLOCKS	20		/* a session's length */
#define GENESIS_MS	1700000000000ull
#define PHASE_APPLY	0
#define PHASE_FINAL	1
#define PHASE_INIT	2

struct numset {
	uint32_t	*v;
	size_t		 n;
};

/* An extrinsic submitted: its hash, and whether a block has it. */
struct seen {
	uint8_t		 hash[32];
	int		 included;
};

/* A decoded ValidatorSets.set_keys call. */
struct setkeys {
	uint8_t		 network;
	const uint8_t	*key;		/* Public, 32 bytes */
	const uint8_t	*ext;		/* ExternalKey */
	size_t		 extlen;
	const uint8_t	*sig;		/* 64 bytes */
};

struct chain {
	uint64_t		 seed;
	uint32_t		 interval;	/* ms between block times */
	struct chain_block	*blocks;
	size_t			 n, cap;
	/* hash -> block number + 1 (open addressing) */
	uint32_t		*index;
	size_t			 index_cap;
	/* extrinsics submitted (pending or included) */
	struct seen		*seen;
	size_t			 nseen, seen_cap;
	/* extrinsics waiting for the next block */
	uint8_t			**pend;
	size_t			*pend_len;
	size_t			 npend;
	struct numset		 upgrades, gaps, holes;
	uint32_t		 reorgs;
	uint8_t			*meta[2][2];	/* [upgraded][v15] */
	size_t			 meta_len[2][2];
	/* network mode (chain_validators): the participants of every set */
	uint8_t			(*vkeys)[32];
	uint64_t		*vweights;
	size_t			 nval;
	/* session + 1 of the set a set_keys keyed, per network */
	uint32_t		 keyed[4];
};

/* Event generation: SCALE bytes and, optionally, the expected JSON. */
struct gen {
	struct scale_writer	 w;
	cJSON			*json;		/* array of events, or NULL */
	uint32_t		 count;
	uint64_t		 rng;
	cJSON			*fields;	/* current event's fields */
};

static uint64_t	 mix(uint64_t *);
static uint32_t	 rnd(struct gen *, uint32_t);
static void	 blake(uint8_t *, const void *, size_t);
static int	 numset_has(const struct numset *, uint32_t);
static int	 numset_add(struct numset *, uint32_t);
static void	 index_put(struct chain *, const uint8_t *, uint32_t);
static void	 index_del(struct chain *, const uint8_t *);
static int	 index_grow(struct chain *);
static cJSON	*hexj(const uint8_t *, size_t);
static cJSON	*intj(uint64_t);
static void	 ev(struct gen *, int, uint32_t, uint8_t, const char *,
		    uint8_t, const char *, int);
static void	 ev_end(struct gen *);
static void	 put32(struct gen *, const char *, const uint8_t *);
static void	 put_rand32(struct gen *, const char *, uint8_t *);
static void	 put_u32(struct gen *, cJSON *, const char *, uint32_t);
static void	 put_u64(struct gen *, cJSON *, const char *, uint64_t);
static void	 put_enum(struct gen *, cJSON *, const char *, uint8_t,
		    const char *);
static void	 put_set(struct gen *, const char *, uint32_t, uint8_t);
static void	 put_balance(struct gen *, cJSON *, const char *, uint8_t,
		    uint64_t, int);
static void	 put_bytes(struct gen *, cJSON *, const char *, size_t,
		    uint8_t *);
static uint64_t	 rand_amount(struct gen *);
static void	 success(struct gen *, uint32_t, int);
static void	 failed(struct gen *, uint32_t);
static void	 activity(struct gen *, uint32_t, uint32_t, int);
static int	 gen_events(struct chain *, uint32_t, uint32_t, int, size_t,
		    uint8_t *const *, const size_t *, struct gen *, size_t *);
static int	 setkeys_decode(const uint8_t *, size_t, struct setkeys *,
		    char *, size_t);
static uint32_t	 session_at(uint32_t);
static void	 synth_xt(struct gen *, struct scale_writer *, uint8_t);
static int	 build(struct chain *, struct chain_block *, int);
static void	 included(struct chain *, uint32_t);
static int	 set_keyed(const struct chain *, uint8_t);
static void	 setkeys_devsig(uint8_t, uint32_t, const struct setkeys *,
		    uint8_t *);
static int	 put_participants(const uint8_t (*)[32], const uint64_t *,
		    size_t, uint8_t **, size_t *, cJSON **);
static int	 setkeys_check(const struct chain *, const struct setkeys *,
		    char *, size_t);

static const char *const networks[] = { "Serai", "Bitcoin", "Ethereum",
    "Monero" };
static const char *const coins[] = { "Serai", "Bitcoin", "Ether", "Dai",
    "Monero" };

/* ------------------------------------------------------------ helpers */

static uint64_t
mix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t
rnd(struct gen *g, uint32_t n)
{
	return n == 0 ? 0 : (uint32_t)(mix(&g->rng) % n);
}

static void
blake(uint8_t *out, const void *in, size_t len)
{
	crypto_generichash(out, 32, in, len, NULL, 0);
}

static int
numset_has(const struct numset *s, uint32_t v)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i] == v)
			return 1;
	return 0;
}

static int
numset_add(struct numset *s, uint32_t v)
{
	uint32_t *p;

	if (numset_has(s, v))
		return 0;
	if ((p = reallocarray(s->v, s->n + 1, sizeof(*p))) == NULL)
		return -1;
	s->v = p;
	s->v[s->n++] = v;
	return 0;
}

static uint64_t
hkey(const uint8_t *h)
{
	uint64_t	 k = 0;
	int		 i;

	for (i = 0; i < 8; i++)
		k = k << 8 | h[i];
	return k;
}

static int
index_grow(struct chain *c)
{
	uint32_t	*old = c->index;
	size_t		 oldcap = c->index_cap, i, j, cap;

	cap = oldcap ? oldcap * 2 : 1024;
	if ((c->index = calloc(cap, sizeof(*c->index))) == NULL) {
		c->index = old;
		return -1;
	}
	c->index_cap = cap;
	for (i = 0; i < oldcap; i++) {
		if (old[i] == 0)
			continue;
		j = hkey(c->blocks[old[i] - 1].hash) & (cap - 1);
		while (c->index[j] != 0)
			j = (j + 1) & (cap - 1);
		c->index[j] = old[i];
	}
	free(old);
	return 0;
}

static void
index_put(struct chain *c, const uint8_t *hash, uint32_t number)
{
	size_t j;

	j = hkey(hash) & (c->index_cap - 1);
	while (c->index[j] != 0)
		j = (j + 1) & (c->index_cap - 1);
	c->index[j] = number + 1;
}

/* Remove by rebuilding the probe chain after the slot. */
static void
index_del(struct chain *c, const uint8_t *hash)
{
	size_t		 j, k;
	uint32_t	 v;

	j = hkey(hash) & (c->index_cap - 1);
	while (c->index[j] != 0) {
		if (memcmp(c->blocks[c->index[j] - 1].hash, hash, 32) == 0)
			break;
		j = (j + 1) & (c->index_cap - 1);
	}
	if (c->index[j] == 0)
		return;
	c->index[j] = 0;
	for (k = (j + 1) & (c->index_cap - 1); c->index[k] != 0;
	    k = (k + 1) & (c->index_cap - 1)) {
		v = c->index[k];
		c->index[k] = 0;
		index_put(c, c->blocks[v - 1].hash, v - 1);
	}
}

static cJSON *
hexj(const uint8_t *p, size_t n)
{
	char	*s = malloc(2 * n + 3);
	cJSON	*j;

	if (s == NULL)
		return NULL;
	hex_encode0x(p, n, s);
	j = cJSON_CreateString(s);
	free(s);
	return j;
}

/* The decoder's integer form: a number below 2^52, else a string. */
static cJSON *
intj(uint64_t v)
{
	char buf[24];

	if (v < (1ull << 52))
		return cJSON_CreateNumber((double)v);
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return cJSON_CreateString(buf);
}

/* ------------------------------------------------------------ events */

static void
ev(struct gen *g, int phase, uint32_t ext, uint8_t pallet, const char *pname,
    uint8_t event, const char *ename, int named)
{
	cJSON *e, *ph;

	g->count++;
	scale_put_u8(&g->w, (uint8_t)phase);
	if (phase == PHASE_APPLY)
		scale_put_u32(&g->w, ext);
	scale_put_u8(&g->w, pallet);
	scale_put_u8(&g->w, event);
	g->fields = NULL;
	if (g->json == NULL)
		return;
	e = cJSON_CreateObject();
	cJSON_AddNumberToObject(e, "index", g->count - 1);
	cJSON_AddStringToObject(e, "pallet", pname);
	cJSON_AddStringToObject(e, "name", ename);
	ph = cJSON_CreateObject();
	if (phase == PHASE_APPLY)
		cJSON_AddNumberToObject(ph, "applyExtrinsic", ext);
	else
		cJSON_AddNullToObject(ph, phase == PHASE_FINAL ?
		    "finalization" : "initialization");
	cJSON_AddItemToObject(e, "phase", ph);
	g->fields = named ? cJSON_CreateObject() : cJSON_CreateArray();
	cJSON_AddItemToObject(e, "fields", g->fields);
	cJSON_AddItemToArray(g->json, e);
}

/* Topics: usually none, sometimes one. */
static void
ev_end(struct gen *g)
{
	uint8_t	 t[32];
	cJSON	*e, *arr = NULL;
	size_t	 i;
	int	 one = rnd(g, 10) == 0;

	if (g->json != NULL) {
		e = cJSON_GetArrayItem(g->json,
		    cJSON_GetArraySize(g->json) - 1);
		arr = cJSON_CreateArray();
		cJSON_AddItemToObject(e, "topics", arr);
	}
	scale_put_compact(&g->w, one);
	if (!one)
		return;
	for (i = 0; i < 32; i++)
		t[i] = (uint8_t)mix(&g->rng);
	scale_put_raw(&g->w, t, 32);
	if (arr != NULL)
		cJSON_AddItemToArray(arr, hexj(t, 32));
}

static void
put32(struct gen *g, const char *key, const uint8_t *b)
{
	scale_put_raw(&g->w, b, 32);
	if (g->fields != NULL)
		cJSON_AddItemToObject(g->fields, key, hexj(b, 32));
}

static void
put_rand32(struct gen *g, const char *key, uint8_t *out)
{
	uint8_t	 b[32];
	size_t	 i;

	for (i = 0; i < 32; i++)
		b[i] = (uint8_t)mix(&g->rng);
	if (out != NULL)
		memcpy(out, b, 32);
	put32(g, key, b);
}

static void
put_u32(struct gen *g, cJSON *obj, const char *key, uint32_t v)
{
	scale_put_u32(&g->w, v);
	if (obj != NULL)
		cJSON_AddItemToObject(obj, key, intj(v));
}

static void
put_u64(struct gen *g, cJSON *obj, const char *key, uint64_t v)
{
	scale_put_u64(&g->w, v);
	if (obj != NULL)
		cJSON_AddItemToObject(obj, key, intj(v));
}

static void
put_enum(struct gen *g, cJSON *obj, const char *key, uint8_t v,
    const char *name)
{
	scale_put_u8(&g->w, v);
	if (obj != NULL)
		cJSON_AddStringToObject(obj, key, name);
}

/* {session, network}: a ValidatorSet or ExternalValidatorSet */
static void
put_set(struct gen *g, const char *key, uint32_t session, uint8_t net)
{
	cJSON *s = g->fields ? cJSON_CreateObject() : NULL;

	put_u32(g, s, "session", session);
	put_enum(g, s, "network", net, networks[net]);
	if (g->fields != NULL)
		cJSON_AddItemToObject(g->fields, key, s);
}

static void
put_balance(struct gen *g, cJSON *obj, const char *key, uint8_t coin,
    uint64_t amount, int external)
{
	cJSON *b = obj ? cJSON_CreateObject() : NULL;

	(void)external;
	put_enum(g, b, "coin", coin, coins[coin]);
	put_u64(g, b, "amount", amount);
	if (obj != NULL)
		cJSON_AddItemToObject(obj, key, b);
}

/* Random bytes as a Vec<u8> (BoundedVec). */
static void
put_bytes(struct gen *g, cJSON *obj, const char *key, size_t n, uint8_t *buf)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf[i] = (uint8_t)mix(&g->rng);
	scale_put_bytes(&g->w, buf, n);
	if (obj != NULL)
		cJSON_AddItemToObject(obj, key, hexj(buf, n));
}

static uint64_t
rand_amount(struct gen *g)
{
	switch (rnd(g, 4)) {
	case 0:
		return rnd(g, 1000);
	case 1:
		return mix(&g->rng);		/* usually above 2^52 */
	default:
		return mix(&g->rng) >> (12 + rnd(g, 40));
	}
}

/* System.ExtrinsicSuccess for extrinsic ext. */
static void
success(struct gen *g, uint32_t ext, int mandatory)
{
	cJSON		*di = NULL, *wt = NULL;
	uint64_t	 rt = 1000 + rnd(g, 1u << 30) * (uint64_t)rnd(g, 64);
	uint64_t	 ps = rnd(g, 70000);

	ev(g, PHASE_APPLY, ext, DEV_PALLET_SYSTEM, "System",
	    DEV_SYS_EXTRINSIC_SUCCESS, "ExtrinsicSuccess", 1);
	if (g->fields != NULL) {
		di = cJSON_CreateObject();
		wt = cJSON_CreateObject();
		cJSON_AddItemToObject(wt, "refTime", intj(rt));
		cJSON_AddItemToObject(wt, "proofSize", intj(ps));
		cJSON_AddItemToObject(di, "weight", wt);
		cJSON_AddStringToObject(di, "class", mandatory ? "Mandatory" :
		    "Normal");
		cJSON_AddStringToObject(di, "paysFee", mandatory ? "No" :
		    "Yes");
		cJSON_AddItemToObject(g->fields, "dispatchInfo", di);
	}
	scale_put_compact(&g->w, rt);
	scale_put_compact(&g->w, ps);
	scale_put_u8(&g->w, mandatory ? 2 : 0);
	scale_put_u8(&g->w, mandatory ? 1 : 0);
	ev_end(g);
}

/* System.ExtrinsicFailed with a module error. */
static void
failed(struct gen *g, uint32_t ext)
{
	cJSON		*de = NULL, *mod, *di, *wt;
	uint8_t		 idx = (uint8_t)(2 + rnd(g, 3)), er[4] = { 0 };
	uint64_t	 rt = rnd(g, 1u << 20);

	er[0] = (uint8_t)rnd(g, 12);
	ev(g, PHASE_APPLY, ext, DEV_PALLET_SYSTEM, "System",
	    DEV_SYS_EXTRINSIC_FAILED, "ExtrinsicFailed", 1);
	scale_put_u8(&g->w, 3);			/* DispatchError::Module */
	scale_put_u8(&g->w, idx);
	scale_put_raw(&g->w, er, 4);
	scale_put_compact(&g->w, rt);
	scale_put_compact(&g->w, 0);
	scale_put_u8(&g->w, 0);
	scale_put_u8(&g->w, 0);
	if (g->fields != NULL) {
		de = cJSON_CreateObject();
		mod = cJSON_CreateObject();
		cJSON_AddNumberToObject(mod, "index", idx);
		cJSON_AddItemToObject(mod, "error", hexj(er, 4));
		cJSON_AddItemToObject(de, "module", mod);
		cJSON_AddItemToObject(g->fields, "dispatchError", de);
		di = cJSON_CreateObject();
		wt = cJSON_CreateObject();
		cJSON_AddItemToObject(wt, "refTime", intj(rt));
		cJSON_AddNumberToObject(wt, "proofSize", 0);
		cJSON_AddItemToObject(di, "weight", wt);
		cJSON_AddStringToObject(di, "class", "Normal");
		cJSON_AddStringToObject(di, "paysFee", "Yes");
		cJSON_AddItemToObject(g->fields, "dispatchInfo", di);
	}
	ev_end(g);
}

/* One synthetic extrinsic's events (kind chosen at random). */
static void
activity(struct gen *g, uint32_t number, uint32_t ext, int upgraded)
{
	uint8_t		 buf[96], net, coin;
	uint32_t	 r = rnd(g, 100);
	cJSON		*ins, *in;

	if (upgraded && r < 25) {
		ev(g, PHASE_APPLY, ext, DEV_PALLET_VALIDATOR_SETS,
		    "ValidatorSets", DEV_VS_SLASHED, "Slashed", 1);
		put_rand32(g, "validator", NULL);
		put_u32(g, g->fields, "points", rnd(g, 1000));
		ev_end(g);
	} else if (r < 35) {
		net = (uint8_t)(1 + rnd(g, 3));
		ev(g, PHASE_APPLY, ext, DEV_PALLET_IN_INSTRUCTIONS,
		    "InInstructions", DEV_II_BATCH, "Batch", 1);
		put_enum(g, g->fields, "network", net, networks[net]);
		put_u32(g, g->fields, "id", number * 4 + ext);
		put_rand32(g, "block", NULL);
		put_rand32(g, "instructionsHash", NULL);
		ev_end(g);
		if (rnd(g, 5) == 0) {
			ev(g, PHASE_APPLY, ext, DEV_PALLET_IN_INSTRUCTIONS,
			    "InInstructions", DEV_II_INSTRUCTION_FAILURE,
			    "InstructionFailure", 1);
			put_enum(g, g->fields, "network", net, networks[net]);
			put_u32(g, g->fields, "id", number * 4 + ext);
			put_u32(g, g->fields, "index", rnd(g, 20));
			ev_end(g);
		}
	} else if (r < 55) {
		coin = (uint8_t)(1 + rnd(g, 4));
		ev(g, PHASE_APPLY, ext, DEV_PALLET_COINS, "Coins",
		    DEV_COINS_BURN_WITH_INSTRUCTION, "BurnWithInstruction", 1);
		put_rand32(g, "from", NULL);
		ins = g->fields ? cJSON_CreateObject() : NULL;
		in = g->fields ? cJSON_CreateObject() : NULL;
		put_bytes(g, in, "address", 20 + rnd(g, 22), buf);
		if (rnd(g, 2)) {
			scale_put_u8(&g->w, 1);
			put_bytes(g, in, "data", rnd(g, 64), buf);
		} else {
			scale_put_u8(&g->w, 0);
			if (in != NULL)
				cJSON_AddNullToObject(in, "data");
		}
		if (ins != NULL)
			cJSON_AddItemToObject(ins, "instruction", in);
		put_balance(g, ins, "balance", coin, rand_amount(g), 1);
		if (g->fields != NULL)
			cJSON_AddItemToObject(g->fields, "instruction", ins);
		ev_end(g);
	} else if (r < 70) {
		ev(g, PHASE_APPLY, ext, DEV_PALLET_COINS, "Coins",
		    DEV_COINS_MINT, "Mint", 1);
		put_rand32(g, "to", NULL);
		coin = (uint8_t)rnd(g, 5);
		put_balance(g, g->fields, "balance", coin, rand_amount(g), 0);
		ev_end(g);
	} else if (r < 78) {
		ev(g, PHASE_APPLY, ext, DEV_PALLET_COINS, "Coins",
		    DEV_COINS_TRANSFER, "Transfer", 1);
		put_rand32(g, "from", NULL);
		put_rand32(g, "to", NULL);
		coin = (uint8_t)rnd(g, 5);
		put_balance(g, g->fields, "balance", coin, rand_amount(g), 0);
		ev_end(g);
	} else if (r < 84) {
		net = (uint8_t)rnd(g, 4);
		ev(g, PHASE_APPLY, ext, DEV_PALLET_VALIDATOR_SETS,
		    "ValidatorSets", DEV_VS_ALLOCATION_DECREASED,
		    "AllocationDecreased", 1);
		put_rand32(g, "validator", NULL);
		put_enum(g, g->fields, "network", net, networks[net]);
		put_u64(g, g->fields, "amount", rand_amount(g));
		if (rnd(g, 2)) {
			scale_put_u8(&g->w, 1);
			put_u32(g, g->fields, "delayedUntil",
			    number / SESSION_BLOCKS + 2);
		} else {
			scale_put_u8(&g->w, 0);
			if (g->fields != NULL)
				cJSON_AddNullToObject(g->fields,
				    "delayedUntil");
		}
		ev_end(g);
	} else if (r < 88) {
		net = (uint8_t)rnd(g, 4);
		ev(g, PHASE_APPLY, ext, DEV_PALLET_VALIDATOR_SETS,
		    "ValidatorSets", DEV_VS_ALLOCATION_INCREASED,
		    "AllocationIncreased", 1);
		put_rand32(g, "validator", NULL);
		put_enum(g, g->fields, "network", net, networks[net]);
		put_u64(g, g->fields, "amount", rand_amount(g));
		ev_end(g);
	} else if (r < 91) {
		net = (uint8_t)rnd(g, 4);
		ev(g, PHASE_APPLY, ext, DEV_PALLET_VALIDATOR_SETS,
		    "ValidatorSets", DEV_VS_PARTICIPANT_REMOVED,
		    "ParticipantRemoved", 1);
		put_set(g, "set", number / SESSION_BLOCKS, net);
		put_rand32(g, "removed", NULL);
		ev_end(g);
	} else if (r < 95) {
		ev(g, PHASE_APPLY, ext, DEV_PALLET_SYSTEM, "System",
		    DEV_SYS_REMARKED, "Remarked", 1);
		put_rand32(g, "sender", NULL);
		put_rand32(g, "hash", NULL);
		ev_end(g);
	} else {
		failed(g, ext);
		return;
	}
	success(g, ext, 0);
}

/*
 * A block's events.  xts counts the synthetic extrinsics (out) so the
 * caller can build them; user is the number of submitted extrinsics.
 */
static int
gen_events(struct chain *c, uint32_t number, uint32_t exec_spec, int upgrade,
    size_t user, uint8_t *const *uxt, const size_t *uxl, struct gen *g,
    size_t *nsynth)
{
	struct setkeys	 sk;
	char		 skerr[8];
	uint32_t	 s = number / SESSION_BLOCKS, k, ext, nact, i;
	uint8_t		 net, buf[96];
	cJSON		*kp;
	int		 upgraded = exec_spec >= 2;

	g->rng = c->seed * 0x100000001b3ull ^ number;
	g->count = 0;
	mix(&g->rng);

	if (number % SESSION_BLOCKS == 1)
		for (net = 0; net < 4; net++) {
			ev(g, PHASE_INIT, 0, DEV_PALLET_VALIDATOR_SETS,
			    "ValidatorSets", DEV_VS_NEW_SET, "NewSet", 1);
			put_set(g, "set", s, net);
			ev_end(g);
		}
	if (number % SESSION_BLOCKS == 6 && s >= 1)
		for (net = 0; net < 4; net++) {
			ev(g, PHASE_INIT, 0, DEV_PALLET_VALIDATOR_SETS,
			    "ValidatorSets", DEV_VS_SET_RETIRED, "SetRetired",
			    1);
			put_set(g, "set", s - 1, net);
			ev_end(g);
		}
	success(g, 0, 1);			/* timestamp.set */
	ext = 1;
	if (upgrade) {
		ev(g, PHASE_APPLY, ext, DEV_PALLET_SYSTEM, "System",
		    DEV_SYS_CODE_UPDATED, "CodeUpdated", 0);
		ev_end(g);
		success(g, ext++, 0);
	}
	/* in network mode, keys come from set_keys extrinsics only */
	if (number % SESSION_BLOCKS == 3 && c->nval == 0)
		for (net = 1; net < 4; net++, ext++) {
			ev(g, PHASE_APPLY, ext, DEV_PALLET_VALIDATOR_SETS,
			    "ValidatorSets", DEV_VS_KEY_GEN, "KeyGen", 1);
			put_set(g, "set", s, net);
			kp = g->fields ? cJSON_CreateArray() : NULL;
			for (k = 0; k < 32; k++)
				buf[k] = (uint8_t)mix(&g->rng);
			scale_put_raw(&g->w, buf, 32);
			if (kp != NULL)
				cJSON_AddItemToArray(kp, hexj(buf, 32));
			k = net == 1 ? 33 : net == 2 ? 20 : 32;
			for (i = 0; i < k; i++)
				buf[i] = (uint8_t)mix(&g->rng);
			scale_put_bytes(&g->w, buf, k);
			if (kp != NULL) {
				cJSON_AddItemToArray(kp, hexj(buf, k));
				cJSON_AddItemToObject(g->fields, "keyPair", kp);
			}
			ev_end(g);
			success(g, ext, 0);
		}
	if (number % SESSION_BLOCKS == 5)
		for (net = 0; net < 4; net++, ext++) {
			ev(g, PHASE_APPLY, ext, DEV_PALLET_VALIDATOR_SETS,
			    "ValidatorSets", DEV_VS_ACCEPTED_HANDOVER,
			    "AcceptedHandover", 1);
			put_set(g, "set", s, net);
			ev_end(g);
			success(g, ext, 0);
		}
	/* The first block of a new runtime shows it off. */
	if (upgraded && number > 0 && exec_spec !=
	    c->blocks[number - 1].exec_spec) {
		ev(g, PHASE_APPLY, ext, DEV_PALLET_VALIDATOR_SETS,
		    "ValidatorSets", DEV_VS_SLASHED, "Slashed", 1);
		put_rand32(g, "validator", NULL);
		put_u32(g, g->fields, "points", 1);
		ev_end(g);
		success(g, ext++, 0);
	}
	nact = rnd(g, 4);
	for (i = 0; i < nact; i++, ext++)
		activity(g, number, ext, upgraded);
	*nsynth = ext - 1;
	for (i = 0; i < user; i++, ext++) {
		if (setkeys_decode(uxt[i], uxl[i], &sk, skerr,
		    sizeof(skerr)) == 1 && sk.network >= 1 && sk.network <= 3) {
			ev(g, PHASE_APPLY, ext, DEV_PALLET_VALIDATOR_SETS,
			    "ValidatorSets", DEV_VS_KEY_GEN, "KeyGen", 1);
			put_set(g, "set", session_at(number), sk.network);
			kp = g->fields ? cJSON_CreateArray() : NULL;
			scale_put_raw(&g->w, sk.key, 32);
			scale_put_bytes(&g->w, sk.ext, sk.extlen);
			if (kp != NULL) {
				cJSON_AddItemToArray(kp, hexj(sk.key, 32));
				cJSON_AddItemToArray(kp, hexj(sk.ext,
				    sk.extlen));
				cJSON_AddItemToObject(g->fields, "keyPair", kp);
			}
			ev_end(g);
		}
		success(g, ext, 0);
	}
	if (rnd(g, 50) == 0) {
		net = (uint8_t)(1 + rnd(g, 3));
		ev(g, PHASE_FINAL, 0, DEV_PALLET_IN_INSTRUCTIONS,
		    "InInstructions", DEV_II_HALT, "Halt", 1);
		put_enum(g, g->fields, "network", net, networks[net]);
		ev_end(g);
	}
	return scale_writer_error(&g->w);
}

/* An unsigned extrinsic: compact length, 0x04, pallet, call 0, bytes. */
static void
synth_xt(struct gen *g, struct scale_writer *w, uint8_t pallet)
{
	uint8_t	 body[12];
	size_t	 i;

	body[0] = 0x04;
	body[1] = pallet;
	body[2] = 0;
	for (i = 3; i < sizeof(body); i++)
		body[i] = (uint8_t)mix(&g->rng);
	scale_put_bytes(w, body, sizeof(body));
}

/* ------------------------------------------------------------ set_keys */

/* The session of the latest NewSet at a block (NewSet: s * 20 + 1). */
static uint32_t
session_at(uint32_t number)
{
	return number >= 1 ? (number - 1) / SESSION_BLOCKS : 0;
}

/*
 * An unsigned ValidatorSets.set_keys(network, key_pair, signature)?
 * 0: another call; 1: decoded into sk; -1: its arguments do not decode
 * (err says which).
 */
static int
setkeys_decode(const uint8_t *xt, size_t len, struct setkeys *sk, char *err,
    size_t errlen)
{
	struct scale_reader	 r;
	const uint8_t		*body;
	size_t			 blen;
	uint8_t			 v, pallet, call;
	const char		*what;

	scale_reader_init(&r, xt, len);
	if (scale_read_bytes(&r, &body, &blen) == -1)
		return 0;
	scale_reader_init(&r, body, blen);
	if (scale_read_u8(&r, &v) == -1 || v != 0x04 ||
	    scale_read_u8(&r, &pallet) == -1 ||
	    scale_read_u8(&r, &call) == -1 ||
	    pallet != DEV_PALLET_VALIDATOR_SETS || call != DEV_VS_CALL_SET_KEYS)
		return 0;
	what = "network";
	if (scale_read_u8(&r, &sk->network) == -1)
		goto bad;
	what = "key_pair";
	if (scale_read_raw(&r, 32, &sk->key) == -1 ||
	    scale_read_bytes(&r, &sk->ext, &sk->extlen) == -1 ||
	    sk->extlen > DEV_EXTERNAL_KEY_MAX)
		goto bad;
	what = "signature";
	if (scale_read_raw(&r, 64, &sk->sig) == -1)
		goto bad;
	if (scale_remaining(&r) != 0) {
		snprintf(err, errlen, "Extrinsic has invalid format: "
		    "Input buffer has still data left after decoding!");
		return -1;
	}
	return 1;
bad:
	snprintf(err, errlen, "Extrinsic has invalid format: Could not "
	    "decode `Call::set_keys::%s`", what);
	return -1;
}

/* Does the set of net's latest NewSet have keys? */
static int
set_keyed(const struct chain *c, uint8_t net)
{
	uint32_t head = chain_head(c), s = session_at(head);

	if (c->keyed[net] == s + 1)
		return 1;
	/* without -V the generator's KeyGen (block s * 20 + 3) keys it */
	return c->nval == 0 && head - s * SESSION_BLOCKS >= 3;
}

/*
 * The dev signature of a set_keys for set (session, network):
 * BLAKE2b-512("serai-devnode/set-keys/v1" || u8 network || u32le session
 * || Public[32] || the external key's bytes).  No secret: it binds the
 * keys to their set, which is what the node checks.
 */
static void
setkeys_devsig(uint8_t net, uint32_t session, const struct setkeys *sk,
    uint8_t *out)
{
	static const char dom[] = "serai-devnode/set-keys/v1";
	crypto_generichash_state st;
	uint8_t le[4];

	le[0] = session & 0xff;
	le[1] = (session >> 8) & 0xff;
	le[2] = (session >> 16) & 0xff;
	le[3] = (session >> 24) & 0xff;
	crypto_generichash_init(&st, NULL, 0, 64);
	crypto_generichash_update(&st, (const uint8_t *)dom, sizeof(dom) - 1);
	crypto_generichash_update(&st, &net, 1);
	crypto_generichash_update(&st, le, 4);
	crypto_generichash_update(&st, sk->key, 32);
	crypto_generichash_update(&st, sk->ext, sk->extlen);
	crypto_generichash_final(&st, out, 64);
}

/*
 * Is set_keys valid now, as the pallet's validate_unsigned says?  0, or a
 * chain_submit code with data saying why.
 */
static int
setkeys_check(const struct chain *c, const struct setkeys *sk, char *data,
    size_t datalen)
{
	struct setkeys	 p;
	char		 err[8];
	size_t		 i;
	int		 zero = 1;

	if (sk->network < 1 || sk->network > 3) {
		snprintf(data, datalen, "Custom error: network %u is not an "
		    "external network (1..3)", sk->network);
		return CHAIN_SUBMIT_INVALID;
	}
	if (chain_head(c) < 1) {
		snprintf(data, datalen, "Custom error: no set to key: no "
		    "NewSet for %s yet", networks[sk->network]);
		return CHAIN_SUBMIT_INVALID;
	}
	for (i = 0; i < 64; i++)
		if (sk->sig[i] != 0)
			zero = 0;
	if (zero) {
		snprintf(data, datalen, "Transaction has a bad signature");
		return CHAIN_SUBMIT_INVALID;
	}
	if (set_keyed(c, sk->network)) {
		snprintf(data, datalen, "Transaction is outdated");
		return CHAIN_SUBMIT_INVALID;
	}
	/*
	 * In network mode the signature must be the dev signature over the
	 * set it keys, as Serai's is over set_keys_message(set, ...): keys
	 * made for an earlier session are refused, not given to the next.
	 */
	if (c->nval > 0) {
		uint8_t want[64];

		setkeys_devsig(sk->network, session_at(chain_head(c)), sk,
		    want);
		if (sodium_memcmp(want, sk->sig, 64) != 0) {
			snprintf(data, datalen, "Transaction has a bad "
			    "signature (not the dev signature for set %u/%s)",
			    session_at(chain_head(c)), networks[sk->network]);
			return CHAIN_SUBMIT_INVALID;
		}
	}
	/* another set_keys for the set in the pool provides the same tag */
	for (i = 0; i < c->npend; i++)
		if (setkeys_decode(c->pend[i], c->pend_len[i], &p, err,
		    sizeof(err)) == 1 && p.network == sk->network) {
			snprintf(data, datalen, "The transaction has too low "
			    "priority to replace another transaction already "
			    "in the pool.");
			return CHAIN_SUBMIT_PRIORITY;
		}
	return 0;
}

/* Block number takes the pending extrinsics: banned, sets keyed. */
static void
included(struct chain *c, uint32_t number)
{
	struct setkeys	 sk;
	uint8_t		 h[32];
	char		 err[8];
	size_t		 i, k;

	for (i = 0; i < c->npend; i++) {
		blake(h, c->pend[i], c->pend_len[i]);
		for (k = 0; k < c->nseen; k++)
			if (memcmp(c->seen[k].hash, h, 32) == 0)
				c->seen[k].included = 1;
		if (setkeys_decode(c->pend[i], c->pend_len[i], &sk, err,
		    sizeof(err)) == 1 && sk.network >= 1 && sk.network <= 3)
			c->keyed[sk.network] = session_at(number) + 1;
	}
}

/* ------------------------------------------------------------ blocks */

struct chain *
chain_new(uint64_t seed, uint32_t interval)
{
	struct chain *c;

	if (sodium_init() < 0 || (c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->seed = seed;
	c->interval = interval ? interval : 6000;
	if (index_grow(c) == -1 || chain_produce(c) == -1) {
		chain_free(c);
		return NULL;
	}
	return c;
}

void
chain_free(struct chain *c)
{
	size_t i, k;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++) {
		free(c->blocks[i].header);
		free(c->blocks[i].events);
		for (k = 0; k < c->blocks[i].nxt; k++)
			free(c->blocks[i].xts[k]);
		free(c->blocks[i].xts);
		free(c->blocks[i].xt_len);
	}
	for (i = 0; i < c->npend; i++)
		free(c->pend[i]);
	free(c->pend);
	free(c->pend_len);
	free(c->blocks);
	free(c->index);
	free(c->seen);
	free(c->vkeys);
	free(c->vweights);
	free(c->upgrades.v);
	free(c->gaps.v);
	free(c->holes.v);
	for (i = 0; i < 2; i++)
		for (k = 0; k < 2; k++)
			free(c->meta[i][k]);
	free(c);
}

/*
 * Events, extrinsics, roots, header and hash of block b.  fresh: a new
 * block, which takes the pending extrinsics; else a rebuild (reorg) that
 * keeps its submitted ones.
 */
static int
build(struct chain *c, struct chain_block *b, int fresh)
{
	struct gen		 g;
	struct scale_writer	 xw, hw, tw;
	crypto_generichash_state st;
	uint8_t			 tmp[32];
	size_t			 nsynth = 0, i, user, nxt;
	uint64_t		 n;
	uint8_t			**xts = NULL;
	size_t			*xtl = NULL;
	int			 upgrade;

	upgrade = b->number > 0 && b->spec != b->exec_spec;
	user = fresh ? c->npend : b->nuser;
	memset(&g, 0, sizeof(g));
	scale_writer_init(&g.w);
	if (gen_events(c, b->number, b->exec_spec, upgrade, user,
	    fresh ? c->pend : b->xts + b->nxt - user,
	    fresh ? c->pend_len : b->xt_len + b->nxt - user, &g,
	    &nsynth) == -1)
		goto fail;
	if (fresh)
		included(c, b->number);

	/* extrinsics: timestamp, synthetic ones, submitted ones */
	nxt = 1 + nsynth + user;
	if ((xts = calloc(nxt, sizeof(*xts))) == NULL ||
	    (xtl = calloc(nxt, sizeof(*xtl))) == NULL)
		goto fail;
	scale_writer_init(&tw);
	scale_put_u8(&tw, 0x04);
	scale_put_u8(&tw, DEV_PALLET_TIMESTAMP);
	scale_put_u8(&tw, 0);
	scale_put_compact(&tw, b->time_ms);
	scale_writer_init(&xw);
	scale_put_bytes(&xw, tw.buf, tw.len);
	scale_writer_free(&tw);
	xts[0] = scale_writer_take(&xw, &xtl[0]);
	for (i = 0; i < nsynth; i++) {
		scale_writer_init(&xw);
		synth_xt(&g, &xw, (uint8_t)(2 + i % 3));
		xts[1 + i] = scale_writer_take(&xw, &xtl[1 + i]);
	}
	for (i = 0; i < 1 + nsynth; i++)
		if (xts[i] == NULL)
			goto fail;
	for (i = 0; i < user; i++) {
		xts[1 + nsynth + i] = fresh ? c->pend[i] :
		    b->xts[b->nxt - user + i];
		xtl[1 + nsynth + i] = fresh ? c->pend_len[i] :
		    b->xt_len[b->nxt - user + i];
	}
	if (fresh)
		c->npend = 0;
	else {
		for (i = 0; i < b->nxt - user; i++)
			free(b->xts[i]);
		free(b->xts);
		free(b->xt_len);
	}
	b->xts = xts;
	b->xt_len = xtl;
	b->nxt = nxt;
	b->nuser = user;
	xts = NULL;
	xtl = NULL;

	/* System.Events: Compact<count>, then the records */
	scale_writer_init(&tw);
	scale_put_compact(&tw, g.count);
	scale_put_raw(&tw, g.w.buf, g.w.len);
	scale_writer_free(&g.w);
	if (scale_writer_error(&tw) == -1) {
		scale_writer_free(&tw);
		return -1;
	}
	free(b->events);
	b->events = scale_writer_take(&tw, &b->events_len);

	/* roots: not tries, but fixed functions of the content */
	crypto_generichash_init(&st, NULL, 0, 32);
	for (i = 0; i < b->nxt; i++)
		crypto_generichash_update(&st, b->xts[i], b->xt_len[i]);
	crypto_generichash_final(&st, b->ext_root, 32);
	n = c->seed;
	memcpy(tmp, &n, 8);
	n = b->number;
	memcpy(tmp + 8, &n, 8);
	n = b->spec;
	memcpy(tmp + 16, &n, 8);
	n = c->reorgs;
	memcpy(tmp + 24, &n, 8);
	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const uint8_t *)"state", 5);
	crypto_generichash_update(&st, tmp, 32);
	crypto_generichash_update(&st, b->events, b->events_len);
	crypto_generichash_final(&st, b->state_root, 32);

	/* header: parent, Compact<number>, roots, digest [PreRuntime aura] */
	scale_writer_init(&hw);
	scale_put_raw(&hw, b->parent, 32);
	scale_put_compact(&hw, b->number);
	scale_put_raw(&hw, b->state_root, 32);
	scale_put_raw(&hw, b->ext_root, 32);
	scale_put_compact(&hw, 1);
	scale_put_u8(&hw, 6);			/* DigestItem::PreRuntime */
	scale_put_raw(&hw, "aura", 4);
	scale_put_compact(&hw, 8);
	scale_put_u64(&hw, b->slot);
	if (scale_writer_error(&hw) == -1) {
		scale_writer_free(&hw);
		return -1;
	}
	free(b->header);
	b->header = scale_writer_take(&hw, &b->header_len);
	blake(b->hash, b->header, b->header_len);
	return 0;
fail:
	scale_writer_free(&g.w);
	if (xts != NULL)
		for (i = 0; i < 1 + nsynth; i++)
			free(xts[i]);
	free(xts);
	free(xtl);
	return -1;
}

int
chain_produce(struct chain *c)
{
	struct chain_block	*b, *p;
	uint32_t		 number = (uint32_t)c->n;
	uint8_t			 tmp[8];

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 1024;

		if ((p = reallocarray(c->blocks, cap, sizeof(*p))) == NULL)
			return -1;
		c->blocks = p;
		c->cap = cap;
	}
	if ((c->n + 1) * 2 > c->index_cap && index_grow(c) == -1)
		return -1;
	b = &c->blocks[c->n];
	memset(b, 0, sizeof(*b));
	b->number = number;
	b->time_ms = GENESIS_MS + (uint64_t)number * c->interval;
	b->slot = b->time_ms / c->interval;
	if (number == 0) {
		b->spec = b->exec_spec = 1;
	} else {
		p = &c->blocks[number - 1];
		b->exec_spec = p->spec;
		b->spec = p->spec + (numset_has(&c->upgrades, number) ? 1 : 0);
		memcpy(b->parent, p->hash, 32);
		if (numset_has(&c->gaps, number)) {
			/* a parent that is not the previous block */
			memcpy(tmp, &number, 4);
			memcpy(tmp + 4, "gap!", 4);
			blake(b->parent, tmp, 8);
		}
	}
	b->hole = numset_has(&c->holes, number);
	if (build(c, b, 1) == -1)
		return -1;
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		b->produced_ms = (uint64_t)ts.tv_sec * 1000 +
		    (uint64_t)ts.tv_nsec / 1000000;
	}
	c->n++;
	index_put(c, b->hash, number);
	return 0;
}

uint32_t
chain_head(const struct chain *c)
{
	return (uint32_t)(c->n - 1);
}

const struct chain_block *
chain_block(const struct chain *c, uint32_t number)
{
	return number < c->n ? &c->blocks[number] : NULL;
}

const struct chain_block *
chain_find(const struct chain *c, const uint8_t *hash)
{
	size_t j;

	j = hkey(hash) & (c->index_cap - 1);
	while (c->index[j] != 0) {
		if (memcmp(c->blocks[c->index[j] - 1].hash, hash, 32) == 0)
			return &c->blocks[c->index[j] - 1];
		j = (j + 1) & (c->index_cap - 1);
	}
	return NULL;
}

const uint8_t *
chain_metadata(struct chain *c, uint32_t spec, unsigned version, size_t *len)
{
	int up = spec >= 2, v = version >= 15;

	if (c->meta[up][v] == NULL && devmeta_build(v ? 15 : 14, up,
	    &c->meta[up][v], &c->meta_len[up][v]) == -1)
		return NULL;
	*len = c->meta_len[up][v];
	return c->meta[up][v];
}

/* Is this a known pallet with calls in the dev runtime? */
static int
known_pallet(uint8_t p)
{
	return p <= DEV_PALLET_IN_INSTRUCTIONS;
}

int
chain_submit(struct chain *c, const uint8_t *xt, size_t len, uint8_t *hash,
    char *msg, size_t msglen, char *data, size_t datalen)
{
	struct scale_reader	 r;
	const uint8_t		*body, *sig;
	size_t			 blen, i;
	uint8_t			 v, tag, pallet, call;
	uint64_t		 idx;
	uint8_t			*copy, **pp;
	size_t			*pl;
	void			*np;
	struct setkeys		 sk;
	int			 allzero, isk, rc;

	data[0] = '\0';
	scale_reader_init(&r, xt, len);
	if (scale_read_bytes(&r, &body, &blen) == -1 ||
	    scale_remaining(&r) != 0) {
		snprintf(msg, msglen, "Extrinsic has invalid format: %s",
		    r.failed ? r.err : "trailing bytes after the extrinsic");
		return CHAIN_SUBMIT_FORMAT;
	}
	scale_reader_init(&r, body, blen);
	if (scale_read_u8(&r, &v) == -1 || (v & 0x7f) != 4) {
		snprintf(msg, msglen, "Extrinsic has invalid format: "
		    "Invalid transaction version");
		return CHAIN_SUBMIT_FORMAT;
	}
	if (v & 0x80) {
		/* signed: MultiAddress, MultiSignature, no extra */
		if (scale_read_u8(&r, &tag) == -1)
			goto short_;
		switch (tag) {
		case 0:
		case 3:
			if (scale_skip(&r, 32) == -1)
				goto short_;
			break;
		case 1:
			if (scale_read_compact(&r, &idx) == -1)
				goto short_;
			break;
		case 2:
			if (scale_read_bytes(&r, &sig, &i) == -1)
				goto short_;
			break;
		case 4:
			if (scale_skip(&r, 20) == -1)
				goto short_;
			break;
		default:
			snprintf(msg, msglen, "Extrinsic has invalid format: "
			    "Could not decode `MultiAddress`, variant doesn't "
			    "exist");
			return CHAIN_SUBMIT_FORMAT;
		}
		if (scale_read_u8(&r, &tag) == -1 || tag > 2 ||
		    scale_read_raw(&r, tag == 2 ? 65 : 64, &sig) == -1) {
			snprintf(msg, msglen, "Extrinsic has invalid format: "
			    "Could not decode `MultiSignature`");
			return CHAIN_SUBMIT_FORMAT;
		}
		for (allzero = 1, i = 0; i < (tag == 2 ? 65u : 64u); i++)
			if (sig[i] != 0)
				allzero = 0;
		if (allzero) {
			snprintf(msg, msglen, "Invalid Transaction");
			snprintf(data, datalen, "Transaction has a bad "
			    "signature");
			return CHAIN_SUBMIT_INVALID;
		}
	}
	if (scale_read_u8(&r, &pallet) == -1 || scale_read_u8(&r, &call) == -1)
		goto short_;
	if (!known_pallet(pallet)) {
		snprintf(msg, msglen, "Extrinsic has invalid format: Could not "
		    "decode `RuntimeCall`, variant doesn't exist");
		return CHAIN_SUBMIT_FORMAT;
	}
	if (call >= 0x80 || (pallet == DEV_PALLET_VALIDATOR_SETS &&
	    call == DEV_VS_CALL_SET_KEYS && (v & 0x80))) {
		snprintf(msg, msglen, "Invalid Transaction");
		snprintf(data, datalen, "Transaction call is not expected");
		return CHAIN_SUBMIT_INVALID;
	}
	if ((isk = setkeys_decode(xt, len, &sk, msg, msglen)) == -1)
		return CHAIN_SUBMIT_FORMAT;
	blake(hash, xt, len);
	for (i = 0; i < c->nseen; i++) {
		if (memcmp(c->seen[i].hash, hash, 32) != 0)
			continue;
		if (c->seen[i].included) {
			/* the pool bans what it pruned after inclusion */
			snprintf(msg, msglen, "Transaction is temporarily "
			    "banned");
			return CHAIN_SUBMIT_BANNED;
		}
		snprintf(msg, msglen, "Transaction Already Imported");
		return CHAIN_SUBMIT_IMPORTED;
	}
	if (isk == 1 && (rc = setkeys_check(c, &sk, data, datalen)) != 0) {
		if (rc == CHAIN_SUBMIT_PRIORITY)
			snprintf(msg, msglen, "Priority is too low: (0 vs 0)");
		else
			snprintf(msg, msglen, "Invalid Transaction");
		return rc;
	}
	if (c->nseen == c->seen_cap) {
		size_t cap = c->seen_cap ? c->seen_cap * 2 : 64;

		if ((np = reallocarray(c->seen, cap, sizeof(*c->seen))) ==
		    NULL)
			goto oom;
		c->seen = np;
		c->seen_cap = cap;
	}
	if ((copy = malloc(len)) == NULL)
		goto oom;
	if ((pp = reallocarray(c->pend, c->npend + 1, sizeof(*pp))) == NULL) {
		free(copy);
		goto oom;
	}
	c->pend = pp;
	if ((pl = reallocarray(c->pend_len, c->npend + 1, sizeof(*pl))) ==
	    NULL) {
		free(copy);
		goto oom;
	}
	c->pend_len = pl;
	memcpy(copy, xt, len);
	c->pend[c->npend] = copy;
	c->pend_len[c->npend++] = len;
	memcpy(c->seen[c->nseen].hash, hash, 32);
	c->seen[c->nseen++].included = 0;
	return CHAIN_SUBMIT_OK;
short_:
	snprintf(msg, msglen, "Extrinsic has invalid format: Not enough data "
	    "to fill buffer");
	return CHAIN_SUBMIT_FORMAT;
oom:
	snprintf(msg, msglen, "Internal error: out of memory");
	return -32603;
}

size_t
chain_pending(const struct chain *c)
{
	return c->npend;
}

cJSON *
chain_expected(struct chain *c, uint32_t number)
{
	struct chain_block	*b;
	struct gen		 g;
	size_t			 nsynth;

	if (number >= c->n)
		return NULL;
	b = &c->blocks[number];
	memset(&g, 0, sizeof(g));
	scale_writer_init(&g.w);
	if ((g.json = cJSON_CreateArray()) == NULL)
		return NULL;
	if (gen_events(c, number, b->exec_spec, number > 0 &&
	    b->spec != b->exec_spec, b->nuser, b->xts + b->nxt - b->nuser,
	    b->xt_len + b->nxt - b->nuser, &g, &nsynth) == -1) {
		cJSON_Delete(g.json);
		g.json = NULL;
	}
	scale_writer_free(&g.w);
	return g.json;
}

/* ------------------------------------------------------------ state */

int
chain_participants(const struct chain *c, uint32_t number, uint8_t net,
    uint8_t **out, size_t *outlen, cJSON **json)
{
	uint64_t		 rng, wt[8];
	uint8_t			 keys[8][32];
	uint32_t		 s, n, i, k;

	*out = NULL;
	*outlen = 0;
	if (json != NULL)
		*json = NULL;
	if (number < 1 || net > 3)
		return 0;
	/* Network mode: the validators given, in their stored order. */
	if (c->nval > 0)
		return put_participants(c->vkeys, c->vweights, c->nval, out,
		    outlen, json);
	/* NewSet for session s comes in block s * SESSION_BLOCKS + 1 */
	s = (number - 1) / SESSION_BLOCKS;
	rng = c->seed * 0x9e3779b97f4a7c15ull ^ (uint64_t)s << 8 ^ net;
	mix(&rng);
	n = 1 + (uint32_t)(mix(&rng) % 6);
	/* ordered by key shares, descending, as Serai orders them */
	for (i = 0; i < n; i++)
		wt[i] = 1 + mix(&rng) % 50;
	for (i = 1; i < n; i++)
		for (k = i; k > 0 && wt[k - 1] < wt[k]; k--) {
			uint64_t t = wt[k];

			wt[k] = wt[k - 1];
			wt[k - 1] = t;
		}
	for (i = 0; i < n; i++)
		for (k = 0; k < 32; k++)
			keys[i][k] = (uint8_t)mix(&rng);
	return put_participants(keys, wt, n, out, outlen, json);
}

/* Participants as SCALE BoundedVec<(Public, u64)> and, optionally, JSON. */
static int
put_participants(const uint8_t (*keys)[32], const uint64_t *wt, size_t n,
    uint8_t **out, size_t *outlen, cJSON **json)
{
	struct scale_writer	 w;
	cJSON			*p;
	size_t			 i;

	if (json != NULL && (*json = cJSON_CreateArray()) == NULL)
		return -1;
	scale_writer_init(&w);
	scale_put_compact(&w, n);
	for (i = 0; i < n; i++) {
		scale_put_raw(&w, keys[i], 32);
		scale_put_u64(&w, wt[i]);
		if (json != NULL && (p = cJSON_CreateObject()) != NULL) {
			cJSON_AddItemToObject(p, "key", hexj(keys[i], 32));
			cJSON_AddItemToObject(p, "weight", intj(wt[i]));
			cJSON_AddItemToArray(*json, p);
		}
	}
	if (scale_writer_error(&w) == -1) {
		scale_writer_free(&w);
		if (json != NULL) {
			cJSON_Delete(*json);
			*json = NULL;
		}
		return -1;
	}
	*out = scale_writer_take(&w, outlen);
	return 1;
}

/*
 * As the pallet keeps them: by key shares, descending (its sorted
 * allocations), equal shares by key, ascending.
 */
int
chain_validators(struct chain *c, const uint8_t (*keys)[32],
    const uint64_t *weights, size_t n)
{
	uint8_t		 tk[32];
	uint64_t	 tw;
	size_t		 i, k;

	free(c->vkeys);
	free(c->vweights);
	c->nval = 0;
	if ((c->vkeys = calloc(n, 32)) == NULL ||
	    (c->vweights = calloc(n, sizeof(*c->vweights))) == NULL)
		return -1;
	memcpy(c->vkeys, keys, n * 32);
	memcpy(c->vweights, weights, n * sizeof(*weights));
	for (i = 1; i < n; i++)
		for (k = i; k > 0 && (c->vweights[k - 1] < c->vweights[k] ||
		    (c->vweights[k - 1] == c->vweights[k] &&
		    memcmp(c->vkeys[k - 1], c->vkeys[k], 32) > 0)); k--) {
			memcpy(tk, c->vkeys[k], 32);
			memcpy(c->vkeys[k], c->vkeys[k - 1], 32);
			memcpy(c->vkeys[k - 1], tk, 32);
			tw = c->vweights[k];
			c->vweights[k] = c->vweights[k - 1];
			c->vweights[k - 1] = tw;
		}
	c->nval = n;
	return 0;
}

/* ------------------------------------------------------------ faults */

void
chain_upgrade_at(struct chain *c, uint32_t number)
{
	numset_add(&c->upgrades, number);
}

void
chain_gap_at(struct chain *c, uint32_t number)
{
	numset_add(&c->gaps, number);
}

void
chain_hole_at(struct chain *c, uint32_t number)
{
	numset_add(&c->holes, number);
	if (number < c->n)
		c->blocks[number].hole = 1;
}

/* The head block is replaced by another with the same number. */
int
chain_reorg_head(struct chain *c)
{
	struct chain_block *b = &c->blocks[c->n - 1];

	if (c->n < 2)
		return -1;
	index_del(c, b->hash);
	c->reorgs++;
	if (build(c, b, 0) == -1)
		return -1;
	index_put(c, b->hash, b->number);
	return 0;
}

/*
 * devmeta: the dev node's Serai-shaped runtime metadata (see devmeta.h).
 *
 * Types are written in dependency order; each gets the next id.
 */
#include <stdlib.h>
#include <string.h>

#include "observer/scale.h"
#include "devmeta.h"

#define NONE	UINT32_MAX

struct fdef {
	const char	*name;		/* NULL: unnamed */
	uint32_t	 type;
	const char	*type_name;
};

struct pdef {
	const char	*name;
	uint32_t	 type;		/* NONE: no type */
};

struct mb {
	struct scale_writer	 w;	/* the type registry entries */
	uint32_t		 n;
};

static void	 put_path(struct scale_writer *, const char *);
static void	 put_docs(struct scale_writer *, const char *);
static uint32_t	 begin(struct mb *, const char *, const struct pdef *,
		    size_t);
static void	 put_fields(struct scale_writer *, const struct fdef *,
		    size_t);
static uint32_t	 prim(struct mb *, int);
static uint32_t	 seq(struct mb *, uint32_t);
static uint32_t	 array(struct mb *, uint32_t, uint32_t);
static uint32_t	 compact(struct mb *, uint32_t);
static uint32_t	 tuple(struct mb *, const uint32_t *, size_t);
static uint32_t	 composite(struct mb *, const char *, const struct pdef *,
		    size_t, const struct fdef *, size_t);
static void	 variant_begin(struct mb *, size_t);
static void	 variant(struct mb *, const char *, uint8_t,
		    const struct fdef *, size_t);
static uint32_t	 unit_enum(struct mb *, const char *, const char *const *,
		    const uint8_t *, size_t);
static void	 opt_ty(struct scale_writer *, uint32_t);
static void	 storage_plain(struct scale_writer *, const char *, uint32_t,
		    const uint8_t *, size_t);
static void	 storage_map(struct scale_writer *, const char *, uint8_t,
		    uint32_t, uint32_t);
static uint32_t	 participants_type(struct mb *, uint32_t, uint32_t);

#define N(a)	(sizeof(a) / sizeof((a)[0]))

/* scale-info's TypeDefPrimitive indexes */
#define P_BOOL	0
#define P_U8	3
#define P_U16	4
#define P_U32	5
#define P_U64	6
#define P_U128	7

static void
put_path(struct scale_writer *w, const char *path)
{
	const char	*p, *sep;
	size_t		 n = 0;

	if (path == NULL) {
		scale_put_compact(w, 0);
		return;
	}
	for (p = path; p != NULL; p = (sep = strstr(p, "::")) ? sep + 2 : NULL)
		n++;
	scale_put_compact(w, n);
	for (p = path; p != NULL; p = sep ? sep + 2 : NULL) {
		sep = strstr(p, "::");
		scale_put_compact(w, sep ? (size_t)(sep - p) : strlen(p));
		scale_put_raw(w, p, sep ? (size_t)(sep - p) : strlen(p));
	}
}

static void
put_docs(struct scale_writer *w, const char *doc)
{
	if (doc == NULL) {
		scale_put_compact(w, 0);
		return;
	}
	scale_put_compact(w, 1);
	scale_put_str(w, doc);
}

/* id, path, params; the definition follows, then docs. */
static uint32_t
begin(struct mb *b, const char *path, const struct pdef *params, size_t np)
{
	size_t i;

	scale_put_compact(&b->w, b->n);
	put_path(&b->w, path);
	scale_put_compact(&b->w, np);
	for (i = 0; i < np; i++) {
		scale_put_str(&b->w, params[i].name);
		if (params[i].type == NONE)
			scale_put_u8(&b->w, 0);
		else {
			scale_put_u8(&b->w, 1);
			scale_put_compact(&b->w, params[i].type);
		}
	}
	return b->n++;
}

static void
put_fields(struct scale_writer *w, const struct fdef *f, size_t n)
{
	size_t i;

	scale_put_compact(w, n);
	for (i = 0; i < n; i++) {
		if (f[i].name == NULL)
			scale_put_u8(w, 0);
		else {
			scale_put_u8(w, 1);
			scale_put_str(w, f[i].name);
		}
		scale_put_compact(w, f[i].type);
		if (f[i].type_name == NULL)
			scale_put_u8(w, 0);
		else {
			scale_put_u8(w, 1);
			scale_put_str(w, f[i].type_name);
		}
		put_docs(w, NULL);
	}
}

static uint32_t
prim(struct mb *b, int p)
{
	uint32_t id = begin(b, NULL, NULL, 0);

	scale_put_u8(&b->w, 5);
	scale_put_u8(&b->w, (uint8_t)p);
	put_docs(&b->w, NULL);
	return id;
}

static uint32_t
seq(struct mb *b, uint32_t elem)
{
	uint32_t id = begin(b, NULL, NULL, 0);

	scale_put_u8(&b->w, 2);
	scale_put_compact(&b->w, elem);
	put_docs(&b->w, NULL);
	return id;
}

static uint32_t
array(struct mb *b, uint32_t len, uint32_t elem)
{
	uint32_t id = begin(b, NULL, NULL, 0);

	scale_put_u8(&b->w, 3);
	scale_put_u32(&b->w, len);
	scale_put_compact(&b->w, elem);
	put_docs(&b->w, NULL);
	return id;
}

static uint32_t
compact(struct mb *b, uint32_t elem)
{
	uint32_t id = begin(b, NULL, NULL, 0);

	scale_put_u8(&b->w, 6);
	scale_put_compact(&b->w, elem);
	put_docs(&b->w, NULL);
	return id;
}

static uint32_t
tuple(struct mb *b, const uint32_t *ids, size_t n)
{
	uint32_t	 id = begin(b, NULL, NULL, 0);
	size_t		 i;

	scale_put_u8(&b->w, 4);
	scale_put_compact(&b->w, n);
	for (i = 0; i < n; i++)
		scale_put_compact(&b->w, ids[i]);
	put_docs(&b->w, NULL);
	return id;
}

static uint32_t
composite(struct mb *b, const char *path, const struct pdef *params,
    size_t np, const struct fdef *f, size_t nf)
{
	uint32_t id = begin(b, path, params, np);

	scale_put_u8(&b->w, 0);
	put_fields(&b->w, f, nf);
	put_docs(&b->w, NULL);
	return id;
}

/* After begin(): the variant definition, then nv variant() calls, then
 * put_docs(). */
static void
variant_begin(struct mb *b, size_t nv)
{
	scale_put_u8(&b->w, 1);
	scale_put_compact(&b->w, nv);
}

static void
variant(struct mb *b, const char *name, uint8_t index, const struct fdef *f,
    size_t nf)
{
	scale_put_str(&b->w, name);
	put_fields(&b->w, f, nf);
	scale_put_u8(&b->w, index);
	put_docs(&b->w, NULL);
}

static uint32_t
unit_enum(struct mb *b, const char *path, const char *const *names,
    const uint8_t *idx, size_t n)
{
	uint32_t	 id = begin(b, path, NULL, 0);
	size_t		 i;

	variant_begin(b, n);
	for (i = 0; i < n; i++)
		variant(b, names[i], idx ? idx[i] : (uint8_t)i, NULL, 0);
	put_docs(&b->w, NULL);
	return id;
}

static void
storage_plain(struct scale_writer *w, const char *name, uint32_t ty,
    const uint8_t *def, size_t deflen)
{
	scale_put_str(w, name);
	scale_put_u8(w, 1);		/* Default */
	scale_put_u8(w, 0);		/* Plain */
	scale_put_compact(w, ty);
	scale_put_bytes(w, def, deflen);
	put_docs(w, NULL);
}

static void
storage_map(struct scale_writer *w, const char *name, uint8_t hasher,
    uint32_t key, uint32_t value)
{
	scale_put_str(w, name);
	scale_put_u8(w, 0);		/* Optional */
	scale_put_u8(w, 1);		/* Map */
	scale_put_compact(w, 1);
	scale_put_u8(w, hasher);
	scale_put_compact(w, key);
	scale_put_compact(w, value);
	scale_put_bytes(w, NULL, 0);
	put_docs(w, NULL);
}

/*
 * ValidatorSets.Participants' value: BoundedVec<(Public, u64)>, the
 * latest decided set's members and their key shares.  Written after every
 * other type, so the ids of the others do not move.
 */
static uint32_t
participants_type(struct mb *b, uint32_t pub, uint32_t u64)
{
	uint32_t	 el[2] = { pub, u64 }, tup, vec;

	tup = tuple(b, el, 2);
	vec = seq(b, tup);
	{
		struct pdef p[] = { { "T", tup }, { "S", NONE } };
		struct fdef f[] = { { NULL, vec, "Vec<T>" } };

		return composite(b, "bounded_collections::bounded_vec::"
		    "BoundedVec", p, 2, f, 1);
	}
}

/* Option<{ty}> */
static void
opt_ty(struct scale_writer *w, uint32_t ty)
{
	if (ty == NONE)
		scale_put_u8(w, 0);
	else {
		scale_put_u8(w, 1);
		scale_put_compact(w, ty);
	}
}

int
devmeta_build(unsigned version, int upgraded, uint8_t **out, size_t *outlen)
{
	struct mb		 b;
	struct scale_writer	 w;
	uint32_t		 u8, u32, u64, u128, boolt, b32, b4, b20, b64, b65,
				 bytes, cu64, cu32, h256, acct, pub, phase, weight,
				 dclass, pays, dinfo, merr, derr, sysev, syserr,
				 network, extnet, coin, extcoin, amount, balance,
				 extbalance, session, vset, extvset, bvec, keypair,
				 optdata, outinstr, outbal, optsession, vsev, blockhash,
				 iiev, coinsev, rtev, record, records, vech256, tsnow,
				 tscall, syscall, rtcall, addr, sig, extra, uxt,
				 rterr, runtime, unit, parts, srsig, vscall;
	uint8_t			 zero8[8] = { 0 };

	memset(&b, 0, sizeof(b));
	scale_writer_init(&b.w);

	boolt = prim(&b, P_BOOL);
	u8 = prim(&b, P_U8);
	(void)prim(&b, P_U16);	/* polkadot-js maps well-known keys to it */
	u32 = prim(&b, P_U32);
	u64 = prim(&b, P_U64);
	u128 = prim(&b, P_U128);
	b4 = array(&b, 4, u8);
	b20 = array(&b, 20, u8);
	b32 = array(&b, 32, u8);
	b64 = array(&b, 64, u8);
	b65 = array(&b, 65, u8);
	bytes = seq(&b, u8);
	cu64 = compact(&b, u64);
	cu32 = compact(&b, u32);
	unit = tuple(&b, NULL, 0);
	{
		struct fdef f[] = { { NULL, b32, "[u8; 32]" } };

		h256 = composite(&b, "primitive_types::H256", NULL, 0, f, 1);
		acct = composite(&b, "sp_core::crypto::AccountId32", NULL, 0,
		    f, 1);
		pub = composite(&b, "sp_core::sr25519::Public", NULL, 0, f, 1);
	}
	phase = begin(&b, "frame_system::Phase", NULL, 0);
	{
		struct fdef f[] = { { NULL, u32, "u32" } };

		variant_begin(&b, 3);
		variant(&b, "ApplyExtrinsic", 0, f, 1);
		variant(&b, "Finalization", 1, NULL, 0);
		variant(&b, "Initialization", 2, NULL, 0);
		put_docs(&b.w, NULL);
	}
	{
		struct fdef f[] = { { "ref_time", cu64, "u64" },
		    { "proof_size", cu64, "u64" } };

		weight = composite(&b, "sp_weights::weight_v2::Weight", NULL, 0,
		    f, 2);
	}
	{
		static const char *const cls[] = { "Normal", "Operational",
		    "Mandatory" };
		static const char *const py[] = { "Yes", "No" };

		dclass = unit_enum(&b, "frame_support::dispatch::DispatchClass",
		    cls, NULL, 3);
		pays = unit_enum(&b, "frame_support::dispatch::Pays", py, NULL,
		    2);
	}
	{
		struct fdef f[] = { { "weight", weight, "Weight" },
		    { "class", dclass, "DispatchClass" },
		    { "pays_fee", pays, "Pays" } };

		dinfo = composite(&b, "frame_support::dispatch::DispatchInfo",
		    NULL, 0, f, 3);
	}
	{
		struct fdef f[] = { { "index", u8, "u8" },
		    { "error", b4, "[u8; MAX_MODULE_ERROR_ENCODED_SIZE]" } };

		merr = composite(&b, "sp_runtime::ModuleError", NULL, 0, f, 2);
	}
	derr = begin(&b, "sp_runtime::DispatchError", NULL, 0);
	{
		struct fdef f[] = { { NULL, merr, "ModuleError" } };

		variant_begin(&b, 7);
		variant(&b, "Other", 0, NULL, 0);
		variant(&b, "CannotLookup", 1, NULL, 0);
		variant(&b, "BadOrigin", 2, NULL, 0);
		variant(&b, "Module", 3, f, 1);
		variant(&b, "ConsumerRemaining", 4, NULL, 0);
		variant(&b, "NoProviders", 5, NULL, 0);
		variant(&b, "TooManyConsumers", 6, NULL, 0);
		put_docs(&b.w, NULL);
	}
	{
		struct pdef p[] = { { "T", NONE } };
		struct fdef succ[] = { { "dispatch_info", dinfo,
		    "DispatchInfo" } };
		struct fdef fail[] = { { "dispatch_error", derr,
		    "DispatchError" }, { "dispatch_info", dinfo,
		    "DispatchInfo" } };
		struct fdef acc[] = { { "account", acct, "T::AccountId" } };
		struct fdef rem[] = { { "sender", acct, "T::AccountId" },
		    { "hash", h256, "T::Hash" } };

		sysev = begin(&b, "frame_system::pallet::Event", p, 1);
		variant_begin(&b, 6);
		variant(&b, "ExtrinsicSuccess", DEV_SYS_EXTRINSIC_SUCCESS, succ,
		    1);
		variant(&b, "ExtrinsicFailed", DEV_SYS_EXTRINSIC_FAILED, fail,
		    2);
		variant(&b, "CodeUpdated", DEV_SYS_CODE_UPDATED, NULL, 0);
		variant(&b, "NewAccount", DEV_SYS_NEW_ACCOUNT, acc, 1);
		variant(&b, "KilledAccount", DEV_SYS_KILLED_ACCOUNT, acc, 1);
		variant(&b, "Remarked", DEV_SYS_REMARKED, rem, 2);
		put_docs(&b.w, "Event for the System pallet.");
	}
	{
		static const char *const e[] = { "InvalidSpecName",
		    "SpecVersionNeedsToIncrease",
		    "FailedToExtractRuntimeVersion", "NonDefaultComposite",
		    "NonZeroRefCount", "CallFiltered" };
		struct pdef p[] = { { "T", NONE } };
		size_t i;

		syserr = begin(&b, "frame_system::pallet::Error", p, 1);
		variant_begin(&b, N(e));
		for (i = 0; i < N(e); i++)
			variant(&b, e[i], (uint8_t)i, NULL, 0);
		put_docs(&b.w, NULL);
	}

	/* Serai primitives */
	{
		static const char *const net[] = { "Serai", "Bitcoin",
		    "Ethereum", "Monero" };
		static const char *const coins[] = { "Serai", "Bitcoin",
		    "Ether", "Dai", "Monero" };
		static const uint8_t ext3[] = { 1, 2, 3 }, ext4[] = { 1, 2, 3,
		    4 };

		network = unit_enum(&b, "serai_primitives::networks::NetworkId",
		    net, NULL, 4);
		extnet = unit_enum(&b,
		    "serai_primitives::networks::ExternalNetworkId", net + 1,
		    ext3, 3);
		coin = unit_enum(&b, "serai_primitives::networks::Coin", coins,
		    NULL, 5);
		extcoin = unit_enum(&b,
		    "serai_primitives::networks::ExternalCoin", coins + 1, ext4,
		    4);
	}
	{
		struct fdef f[] = { { NULL, u64, "u64" } };

		amount = composite(&b, "serai_primitives::balance::Amount",
		    NULL, 0, f, 1);
	}
	{
		struct fdef f[] = { { "coin", coin, "Coin" },
		    { "amount", amount, "Amount" } };
		struct fdef g[] = { { "coin", extcoin, "ExternalCoin" },
		    { "amount", amount, "Amount" } };

		balance = composite(&b, "serai_primitives::balance::Balance",
		    NULL, 0, f, 2);
		extbalance = composite(&b,
		    "serai_primitives::balance::ExternalBalance", NULL, 0, g, 2);
	}
	{
		struct fdef f[] = { { NULL, u32, "u32" } };

		session = composite(&b,
		    "serai_primitives::validator_sets::Session", NULL, 0, f, 1);
	}
	{
		struct fdef f[] = { { "session", session, "Session" },
		    { "network", network, "NetworkId" } };
		struct fdef g[] = { { "session", session, "Session" },
		    { "network", extnet, "ExternalNetworkId" } };

		vset = composite(&b,
		    "serai_primitives::validator_sets::ValidatorSet", NULL, 0,
		    f, 2);
		extvset = composite(&b,
		    "serai_primitives::validator_sets::ExternalValidatorSet",
		    NULL, 0, g, 2);
	}
	{
		struct pdef p[] = { { "T", u8 }, { "S", NONE } };
		struct fdef f[] = { { NULL, bytes, "Vec<T>" } };

		bvec = composite(&b, "bounded_collections::bounded_vec::"
		    "BoundedVec", p, 2, f, 1);
	}
	{
		struct fdef f[] = { { NULL, pub, "Public" },
		    { NULL, bvec, "ExternalKey" } };

		keypair = composite(&b,
		    "serai_primitives::validator_sets::KeyPair", NULL, 0, f, 2);
	}
	{
		struct pdef p[] = { { "T", bvec } };
		struct fdef f[] = { { NULL, bvec, NULL } };

		optdata = begin(&b, "Option", p, 1);
		variant_begin(&b, 2);
		variant(&b, "None", 0, NULL, 0);
		variant(&b, "Some", 1, f, 1);
		put_docs(&b.w, NULL);
	}
	{
		struct pdef p[] = { { "T", session } };
		struct fdef f[] = { { NULL, session, NULL } };

		optsession = begin(&b, "Option", p, 1);
		variant_begin(&b, 2);
		variant(&b, "None", 0, NULL, 0);
		variant(&b, "Some", 1, f, 1);
		put_docs(&b.w, NULL);
	}
	{
		struct fdef f[] = { { "address", bvec, "ExternalAddress" },
		    { "data", optdata, "Option<Data>" } };
		struct fdef g[] = { { "instruction", 0, "OutInstruction" },
		    { "balance", extbalance, "ExternalBalance" } };

		outinstr = composite(&b,
		    "serai_primitives::instructions::OutInstruction", NULL, 0,
		    f, 2);
		g[0].type = outinstr;
		outbal = composite(&b, "serai_primitives::instructions::"
		    "OutInstructionWithBalance", NULL, 0, g, 2);
	}
	{
		struct fdef f[] = { { NULL, b32, "[u8; 32]" } };

		blockhash = composite(&b, "serai_primitives::block::BlockHash",
		    NULL, 0, f, 1);
	}

	/* ValidatorSets events */
	{
		struct pdef p[] = { { "T", NONE } };
		struct fdef set[] = { { "set", vset, "ValidatorSet" } };
		struct fdef rem[] = { { "set", vset, "ValidatorSet" },
		    { "removed", pub, "T::AccountId" } };
		struct fdef kg[] = { { "set", extvset, "ExternalValidatorSet" },
		    { "key_pair", keypair, "KeyPair" } };
		struct fdef ai[] = { { "validator", pub, "T::AccountId" },
		    { "network", network, "NetworkId" },
		    { "amount", amount, "Amount" } };
		struct fdef ad[] = { { "validator", pub, "T::AccountId" },
		    { "network", network, "NetworkId" },
		    { "amount", amount, "Amount" },
		    { "delayed_until", optsession, "Option<Session>" } };
		struct fdef dc[] = { { "validator", pub, "T::AccountId" },
		    { "network", network, "NetworkId" },
		    { "session", session, "Session" } };
		struct fdef sl[] = { { "validator", pub, "T::AccountId" },
		    { "points", u32, "u32" } };

		vsev = begin(&b, "serai_validator_sets_pallet::pallet::Event",
		    p, 1);
		variant_begin(&b, upgraded ? 9 : 8);
		variant(&b, "NewSet", DEV_VS_NEW_SET, set, 1);
		variant(&b, "ParticipantRemoved", DEV_VS_PARTICIPANT_REMOVED,
		    rem, 2);
		variant(&b, "KeyGen", DEV_VS_KEY_GEN, kg, 2);
		variant(&b, "AcceptedHandover", DEV_VS_ACCEPTED_HANDOVER, set,
		    1);
		variant(&b, "SetRetired", DEV_VS_SET_RETIRED, set, 1);
		variant(&b, "AllocationIncreased", DEV_VS_ALLOCATION_INCREASED,
		    ai, 3);
		variant(&b, "AllocationDecreased", DEV_VS_ALLOCATION_DECREASED,
		    ad, 4);
		variant(&b, "DeallocationClaimed", DEV_VS_DEALLOCATION_CLAIMED,
		    dc, 3);
		if (upgraded)
			variant(&b, "Slashed", DEV_VS_SLASHED, sl, 2);
		put_docs(&b.w, NULL);
	}
	/* InInstructions events */
	{
		struct pdef p[] = { { "T", NONE } };
		struct fdef batch[] = { { "network", extnet,
		    "ExternalNetworkId" }, { "id", u32, "u32" },
		    { "block", blockhash, "BlockHash" },
		    { "instructions_hash", b32, "[u8; 32]" } };
		struct fdef fail[] = { { "network", extnet,
		    "ExternalNetworkId" }, { "id", u32, "u32" },
		    { "index", u32, "u32" } };
		struct fdef halt[] = { { "network", extnet,
		    "ExternalNetworkId" } };

		iiev = begin(&b, "serai_in_instructions_pallet::pallet::Event",
		    p, 1);
		variant_begin(&b, 3);
		variant(&b, "Batch", DEV_II_BATCH, batch, 4);
		variant(&b, "InstructionFailure", DEV_II_INSTRUCTION_FAILURE,
		    fail, 3);
		variant(&b, "Halt", DEV_II_HALT, halt, 1);
		put_docs(&b.w, NULL);
	}
	/* Coins events */
	{
		struct pdef p[] = { { "T", NONE }, { "I", NONE } };
		struct fdef mint[] = { { "to", pub, "Public" },
		    { "balance", balance, "Balance" } };
		struct fdef burn[] = { { "from", pub, "Public" },
		    { "balance", balance, "Balance" } };
		struct fdef bwi[] = { { "from", pub, "Public" },
		    { "instruction", outbal, "OutInstructionWithBalance" } };
		struct fdef xfer[] = { { "from", pub, "Public" },
		    { "to", pub, "Public" },
		    { "balance", balance, "Balance" } };

		coinsev = begin(&b, "serai_coins_pallet::pallet::Event", p, 2);
		variant_begin(&b, 4);
		variant(&b, "Mint", DEV_COINS_MINT, mint, 2);
		variant(&b, "Burn", DEV_COINS_BURN, burn, 2);
		variant(&b, "BurnWithInstruction",
		    DEV_COINS_BURN_WITH_INSTRUCTION, bwi, 2);
		variant(&b, "Transfer", DEV_COINS_TRANSFER, xfer, 3);
		put_docs(&b.w, NULL);
	}
	/* RuntimeEvent */
	{
		struct fdef s[] = { { NULL, sysev, "frame_system::Event<Runtime>" } };
		struct fdef c[] = { { NULL, coinsev, "coins::Event<Runtime>" } };
		struct fdef v[] = { { NULL, vsev,
		    "validator_sets::Event<Runtime>" } };
		struct fdef i[] = { { NULL, iiev,
		    "in_instructions::Event<Runtime>" } };

		rtev = begin(&b, "serai_runtime::RuntimeEvent", NULL, 0);
		variant_begin(&b, 4);
		variant(&b, "System", DEV_PALLET_SYSTEM, s, 1);
		variant(&b, "Coins", DEV_PALLET_COINS, c, 1);
		variant(&b, "ValidatorSets", DEV_PALLET_VALIDATOR_SETS, v, 1);
		variant(&b, "InInstructions", DEV_PALLET_IN_INSTRUCTIONS, i, 1);
		put_docs(&b.w, NULL);
	}
	vech256 = seq(&b, h256);
	{
		struct pdef p[] = { { "E", rtev }, { "T", h256 } };
		struct fdef f[] = { { "phase", phase, "Phase" },
		    { "event", rtev, "E" }, { "topics", vech256, "Vec<T>" } };

		record = composite(&b, "frame_system::EventRecord", p, 2, f, 3);
	}
	records = seq(&b, record);

	/* Calls, for the extrinsic metadata */
	{
		struct pdef p[] = { { "T", NONE } };
		struct fdef set[] = { { "now", cu64, "T::Moment" } };
		struct fdef rem[] = { { "remark", bytes, "Vec<u8>" } };

		tscall = begin(&b, "pallet_timestamp::pallet::Call", p, 1);
		variant_begin(&b, 1);
		variant(&b, "set", 0, set, 1);
		put_docs(&b.w, NULL);
		syscall = begin(&b, "frame_system::pallet::Call", p, 1);
		variant_begin(&b, 1);
		variant(&b, "remark", 0, rem, 1);
		put_docs(&b.w, NULL);
	}
	{
		struct pdef p[] = { { "T", NONE } };
		struct fdef f[] = { { NULL, b64, "[u8; 64]" } };
		struct fdef sk[] = { { "network", extnet,
		    "ExternalNetworkId" }, { "key_pair", keypair, "KeyPair" },
		    { "signature", 0, "Signature" } };

		srsig = composite(&b, "sp_core::sr25519::Signature", NULL, 0,
		    f, 1);
		sk[2].type = srsig;
		vscall = begin(&b, "serai_validator_sets_pallet::pallet::Call",
		    p, 1);
		variant_begin(&b, 1);
		variant(&b, "set_keys", DEV_VS_CALL_SET_KEYS, sk, 3);
		put_docs(&b.w, NULL);
	}
	{
		struct fdef s[] = { { NULL, syscall, "self::sp_api_hidden_includes_construct_runtime::hidden_include::dispatch::CallableCallFor<System, Runtime>" } };
		struct fdef t[] = { { NULL, tscall, "self::sp_api_hidden_includes_construct_runtime::hidden_include::dispatch::CallableCallFor<Timestamp, Runtime>" } };
		struct fdef v[] = { { NULL, vscall, "self::sp_api_hidden_includes_construct_runtime::hidden_include::dispatch::CallableCallFor<ValidatorSets, Runtime>" } };

		rtcall = begin(&b, "serai_runtime::RuntimeCall", NULL, 0);
		variant_begin(&b, 3);
		variant(&b, "System", DEV_PALLET_SYSTEM, s, 1);
		variant(&b, "Timestamp", DEV_PALLET_TIMESTAMP, t, 1);
		variant(&b, "ValidatorSets", DEV_PALLET_VALIDATOR_SETS, v, 1);
		put_docs(&b.w, NULL);
	}
	{
		struct pdef p[] = { { "AccountId", acct },
		    { "AccountIndex", unit } };
		struct fdef id[] = { { NULL, acct, "AccountId" } };
		struct fdef ix[] = { { NULL, cu32, "AccountIndex" } };
		struct fdef raw[] = { { NULL, bytes, "Vec<u8>" } };
		struct fdef a32[] = { { NULL, b32, "[u8; 32]" } };
		struct fdef a20[] = { { NULL, b20, "[u8; 20]" } };

		addr = begin(&b, "sp_runtime::multiaddress::MultiAddress", p,
		    2);
		variant_begin(&b, 5);
		variant(&b, "Id", 0, id, 1);
		variant(&b, "Index", 1, ix, 1);
		variant(&b, "Raw", 2, raw, 1);
		variant(&b, "Address32", 3, a32, 1);
		variant(&b, "Address20", 4, a20, 1);
		put_docs(&b.w, NULL);
	}
	{
		struct fdef ed[] = { { NULL, b64, "ed25519::Signature" } };
		struct fdef sr[] = { { NULL, b64, "sr25519::Signature" } };
		struct fdef ec[] = { { NULL, b65, "ecdsa::Signature" } };

		sig = begin(&b, "sp_runtime::MultiSignature", NULL, 0);
		variant_begin(&b, 3);
		variant(&b, "Ed25519", 0, ed, 1);
		variant(&b, "Sr25519", 1, sr, 1);
		variant(&b, "Ecdsa", 2, ec, 1);
		put_docs(&b.w, NULL);
	}
	extra = unit;
	{
		struct pdef p[] = { { "Address", addr }, { "Call", rtcall },
		    { "Signature", sig }, { "Extra", extra } };
		struct fdef f[] = { { NULL, bytes, NULL } };

		uxt = composite(&b, "sp_runtime::generic::unchecked_extrinsic::"
		    "UncheckedExtrinsic", p, 4, f, 1);
	}
	{
		struct fdef s[] = { { NULL, syserr,
		    "frame_system::Error<Runtime>" } };

		rterr = begin(&b, "serai_runtime::RuntimeError", NULL, 0);
		variant_begin(&b, 1);
		variant(&b, "System", DEV_PALLET_SYSTEM, s, 1);
		put_docs(&b.w, NULL);
	}
	runtime = composite(&b, "serai_runtime::Runtime", NULL, 0, NULL, 0);
	parts = participants_type(&b, pub, u64);
	tsnow = u64;
	(void)boolt;
	(void)u128;

	/* RuntimeMetadataPrefixed */
	scale_writer_init(&w);
	scale_put_raw(&w, "meta", 4);
	scale_put_u8(&w, (uint8_t)version);
	scale_put_compact(&w, b.n);
	scale_put_raw(&w, b.w.buf, b.w.len);
	scale_writer_free(&b.w);

	scale_put_compact(&w, 5);
	/* System */
	scale_put_str(&w, "System");
	scale_put_u8(&w, 1);
	scale_put_str(&w, "System");
	scale_put_compact(&w, 4);
	storage_plain(&w, "Number", u32, zero8, 4);
	storage_plain(&w, "Events", records, zero8, 1);
	storage_plain(&w, "EventCount", u32, zero8, 4);
	storage_map(&w, "BlockHash", 5, u32, h256);
	opt_ty(&w, syscall);
	opt_ty(&w, sysev);
	scale_put_compact(&w, 0);	/* constants */
	opt_ty(&w, syserr);
	scale_put_u8(&w, DEV_PALLET_SYSTEM);
	if (version >= 15)
		put_docs(&w, NULL);
	/* Timestamp */
	scale_put_str(&w, "Timestamp");
	scale_put_u8(&w, 1);
	scale_put_str(&w, "Timestamp");
	scale_put_compact(&w, 2);
	storage_plain(&w, "Now", tsnow, zero8, 8);
	storage_plain(&w, "DidUpdate", boolt, zero8, 1);
	opt_ty(&w, tscall);
	opt_ty(&w, NONE);
	scale_put_compact(&w, 0);
	opt_ty(&w, NONE);
	scale_put_u8(&w, DEV_PALLET_TIMESTAMP);
	if (version >= 15)
		put_docs(&w, NULL);
	/* Coins */
	scale_put_str(&w, "Coins");
	scale_put_u8(&w, 1);
	scale_put_str(&w, "Coins");
	scale_put_compact(&w, 1);
	storage_map(&w, "Supply", 6, coin, u128);
	opt_ty(&w, NONE);
	opt_ty(&w, coinsev);
	scale_put_compact(&w, 0);
	opt_ty(&w, NONE);
	scale_put_u8(&w, DEV_PALLET_COINS);
	if (version >= 15)
		put_docs(&w, NULL);
	/* ValidatorSets */
	scale_put_str(&w, "ValidatorSets");
	scale_put_u8(&w, 1);
	scale_put_str(&w, "ValidatorSets");
	scale_put_compact(&w, 2);
	storage_map(&w, "CurrentSession", 5, network, session);
	storage_map(&w, "Participants", 6, network, parts);	/* Identity */
	opt_ty(&w, vscall);
	opt_ty(&w, vsev);
	scale_put_compact(&w, 0);
	opt_ty(&w, NONE);
	scale_put_u8(&w, DEV_PALLET_VALIDATOR_SETS);
	if (version >= 15)
		put_docs(&w, NULL);
	/* InInstructions */
	scale_put_str(&w, "InInstructions");
	scale_put_u8(&w, 1);
	scale_put_str(&w, "InInstructions");
	scale_put_compact(&w, 1);
	storage_map(&w, "LastBatch", 5, extnet, u32);
	opt_ty(&w, NONE);
	opt_ty(&w, iiev);
	scale_put_compact(&w, 0);
	opt_ty(&w, NONE);
	scale_put_u8(&w, DEV_PALLET_IN_INSTRUCTIONS);
	if (version >= 15)
		put_docs(&w, NULL);

	/* ExtrinsicMetadata, runtime type, and V15's tail */
	if (version >= 15) {
		scale_put_u8(&w, 4);
		scale_put_compact(&w, addr);
		scale_put_compact(&w, rtcall);
		scale_put_compact(&w, sig);
		scale_put_compact(&w, extra);
		scale_put_compact(&w, 0);	/* signed extensions */
		scale_put_compact(&w, runtime);
		scale_put_compact(&w, 0);	/* apis */
		scale_put_compact(&w, rtcall);	/* outer enums */
		scale_put_compact(&w, rtev);
		scale_put_compact(&w, rterr);
		scale_put_compact(&w, 0);	/* custom */
	} else {
		scale_put_compact(&w, uxt);
		scale_put_u8(&w, 4);
		scale_put_compact(&w, 0);
		scale_put_compact(&w, runtime);
	}
	if (scale_writer_error(&w) == -1) {
		scale_writer_free(&w);
		return -1;
	}
	*out = scale_writer_take(&w, outlen);
	return 0;
}

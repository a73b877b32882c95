/*
 * meta: Substrate runtime metadata (V14, V15, V16) and the generic decoder
 * driven by it: the type registry in meta.c, decoding (and camelCase) in
 * metadec.c, storage keys in metakey.c.
 *
 * meta_parse() reads the blob state_getMetadata returns ("meta" magic,
 * version byte, RuntimeMetadata): the portable type registry and the
 * pallets (name, index, storage entries, call/event/error types); the rest
 * (constants, extrinsic, runtime APIs, V16's deprecation notes, associated
 * types and view functions) is checked and skipped.  V15 and V16 blobs may
 * come wrapped as Metadata_metadata_at_version returns them.  Everything
 * is copied into one arena freed by meta_free(); the input may go once
 * parsing returns.
 *
 * After a runtime upgrade, decode block N's events with the metadata at
 * N's parent (the runtime that executed N), as polkadot-js's api.at does:
 * the upgrade block's own events come from the old runtime.
 *
 * meta_decode_value() decodes one value of a registry type into a JSON
 * tree (cJSON); meta_decode_events() decodes a whole System.Events storage
 * value (Vec<EventRecord>) into decoded events, or fails as a whole: a
 * block's events are never half decoded.
 *
 * The JSON form is polkadot-js's (our reference), `toPrimitive(true)`:
 *   - bool: true/false; str: a string; char: its code point (a number);
 *   - integers (fixed or compact): a number below 2^52, else a decimal
 *     string (polkadot-js: bit length > 52);
 *   - Vec<u8> and [u8; N] (also of u8 newtypes): "0x" hex;
 *     other sequences and arrays: arrays;
 *   - composites: no fields -> null; one unnamed field -> that field's
 *     value (newtypes are transparent); unnamed fields -> an array; named
 *     fields -> an object keyed by the camelCase field name (polkadot-js's
 *     stringCamelCase: "dispatch_info" -> "dispatchInfo");
 *   - tuples: () -> null, (T) -> T, else an array;
 *   - Option (path "Option"): None -> null, Some(x) -> x;
 *   - enums whose variants all carry nothing: the variant name as is
 *     ("Normal"); other enums: {"camelCaseName": data}, data being null,
 *     the single unnamed field, an array, or an object as for composites
 *     (so Result gives {"ok": ...} / {"err": ...}, Phase
 *     {"applyExtrinsic": 1} / {"finalization": null});
 *   - bit sequences: "0x" hex of the store words as encoded;
 *   - sp_weights Weight with one field, WrapperOpaque<T>: as polkadot-js.
 * Where we deviate from polkadot-js, on purpose:
 *   - account ids (AccountId32, AccountId20) are "0x" hex, not SS58 or
 *     checksummed addresses: consumers want the bytes;
 *   - struct keys are never mangled ("hash", not polkadot-js's "hash_";
 *     this is what its toJSON() uses);
 *   - types polkadot-js decodes with hand-written classes (democracy Vote,
 *     identity Data, BitFlags sets, BTreeMap) follow their SCALE shape:
 *     Vote is its byte, BTreeMap an array of [key, value] pairs;
 *   - invalid input polkadot-js lets through is refused, as Rust's codec
 *     refuses it: bool and Option tags other than 0 and 1, strings that
 *     are not UTF-8, chars that are not Unicode scalar values, unknown
 *     enum indexes, values of enums without variants; strings with a NUL
 *     byte too (a C string cannot hold them).
 * Event fields (the pallet event variant's fields): an object keyed by
 * camelCase name when all fields are named, else an array (empty for no
 * fields), as polkadot-js's GenericEventData.
 */
#ifndef META_H
#define META_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "scale.h"

enum meta_def {
	META_COMPOSITE,
	META_VARIANT,
	META_SEQUENCE,
	META_ARRAY,
	META_TUPLE,
	META_PRIMITIVE,
	META_COMPACT,
	META_BITSEQ
};

/* scale-info's TypeDefPrimitive, in its order. */
enum meta_prim {
	META_BOOL, META_CHAR, META_STR,
	META_U8, META_U16, META_U32, META_U64, META_U128, META_U256,
	META_I8, META_I16, META_I32, META_I64, META_I128, META_I256
};

/* How the JSON form treats a type (derived once after parsing). */
enum meta_shape {
	META_SH_DEF,		/* by its definition */
	META_SH_NULL,		/* carries nothing: null */
	META_SH_INNER,		/* newtype, 1-tuple, Weight: the inner value */
	META_SH_TUPLE,		/* array of the fields */
	META_SH_STRUCT,		/* object of the named fields */
	META_SH_HEX,		/* Vec<u8> or [u8; N]: hex */
	META_SH_OPTION,		/* Option<T> */
	META_SH_ENUM_BASIC,	/* enum of unit variants: the name */
	META_SH_ENUM,		/* {"name": data} */
	META_SH_OPAQUE		/* WrapperOpaque<T>: compact length, T */
};

struct meta_field {
	const char	*name;		/* NULL when unnamed */
	const char	*jname;		/* camelCase name, or NULL */
	const char	*type_name;	/* NULL when absent */
	uint32_t	 type;
};

struct meta_variant {
	const char		*name;
	const char		*jname;		/* camelCase */
	struct meta_field	*fields;
	uint32_t		 nfields;
	uint8_t			 index;
	uint8_t			 shape;	/* NULL, INNER, TUPLE or STRUCT */
};

struct meta_param {
	const char	*name;
	int		 has_type;
	uint32_t	 type;
};

struct meta_type {
	uint32_t		 id;
	const char		**path;
	uint32_t		 npath;
	struct meta_param	*params;
	uint32_t		 nparams;
	enum meta_def		 def;
	/* composite */
	struct meta_field	*fields;
	uint32_t		 nfields;
	/* variant */
	struct meta_variant	*variants;
	uint32_t		 nvariants;
	struct meta_variant	**by_index;	/* 256 entries, or NULL */
	/* sequence, array, compact: the element; array: its length */
	uint32_t		 elem;
	uint32_t		 len;
	/* tuple */
	uint32_t		*tuple;
	uint32_t		 ntuple;
	/* primitive */
	enum meta_prim		 prim;
	/* bit sequence */
	uint32_t		 bit_store;
	uint32_t		 bit_order;
	unsigned		 store_bits;	/* 8, 16, 32, 64 */
	int			 msb0;
	/* derived */
	enum meta_shape		 shape;
	uint32_t		 inner;		/* INNER, OPTION, OPAQUE */
	unsigned		 int_bits;	/* integers: 8..256; compact's */
	int			 int_signed;
	size_t			 min_size;	/* fewest bytes a value takes */
};

enum meta_storage_kind {
	META_STORAGE_PLAIN,
	META_STORAGE_MAP
};

struct meta_storage {
	const char		*name;
	enum meta_storage_kind	 kind;
	uint32_t		 key;	/* map only */
	uint32_t		 value;
};

struct meta_pallet {
	const char		*name;
	uint8_t			 index;
	const char		*prefix;	/* storage prefix, or NULL */
	struct meta_storage	*storage;
	uint32_t		 nstorage;
	int			 has_calls, has_event, has_error;
	uint32_t		 calls, event, error;
};

struct meta_arena;

struct meta {
	uint32_t		 version;	/* 14, 15 or 16 */
	struct meta_type	*types;		/* indexed by id */
	uint32_t		 ntypes;
	struct meta_pallet	*pallets;
	uint32_t		 npallets;
	uint32_t		 runtime_type;
	/* System.Events: Vec<EventRecord>, EventRecord and RuntimeEvent. */
	int			 has_events;
	uint32_t		 events_type, record_type, event_enum;
	size_t			 max_values;	/* META_MAX_VALUES unless set */
	struct meta_arena	*arena;
};

/* Limits on what outside input can make us do. */
#define META_MAX_DEPTH		128	/* nesting while decoding */
#define META_MAX_VALUES		(4u << 20)	/* values per decode call */

int	meta_parse(struct meta *, const uint8_t *, size_t, char *, size_t);
void	meta_free(struct meta *);
const struct meta_type *meta_type(const struct meta *, uint32_t);
const struct meta_pallet *meta_pallet(const struct meta *, const char *);
const struct meta_storage *meta_storage(const struct meta_pallet *,
	    const char *);
/* "a::b::C" for messages, or "" when the type has no path. */
const char *meta_type_path(const struct meta *, uint32_t, char *, size_t);

/* Decode one value; out may be NULL to only check and skip it. */
int	meta_decode_value(const struct meta *, uint32_t, struct scale_reader *,
	    cJSON **, char *, size_t);

struct meta_event {
	uint32_t	 index;		/* position in the block's events */
	char		*pallet;	/* "ValidatorSets" */
	char		*name;		/* "NewSet" */
	uint8_t		 pallet_index;
	uint8_t		 variant_index;
	cJSON		*phase;		/* {"applyExtrinsic": 0}, ... */
	cJSON		*fields;	/* NULL when not selected */
	cJSON		*topics;	/* array of hex; NULL when not selected */
	size_t		 off, len;	/* the event's bytes in the input */
};

struct meta_events {
	struct meta_event	*ev;
	size_t			 n;
};

/*
 * Decode a System.Events value.  select(pallet, event, arg), if given,
 * says which events get their fields built (others are checked and
 * skipped, phase and names are always filled).  All or nothing: on error
 * nothing is returned and err says which event, type and byte.
 */
typedef int	meta_select_fn(const char *, const char *, void *);
int	meta_decode_events(const struct meta *, const uint8_t *, size_t,
	    meta_select_fn *, void *, struct meta_events *, char *, size_t);
void	meta_events_free(struct meta_events *);
/* One event as {"index", "pallet", "name", "phase", "fields", "topics"}
 * (fields and topics null when not selected); a copy, or NULL on oom. */
cJSON	*meta_event_json(const struct meta_event *);

/* polkadot-js's stringCamelCase into out; returns out. */
char	*meta_camel(const char *, char *, size_t);
/* "0x" hex of n bytes as a JSON string; NULL when out of memory. */
cJSON	*meta_hexjson(const uint8_t *, size_t);

/* Substrate storage hashing: twox128 and the key of a plain item. */
uint64_t meta_xxh64(const void *, size_t, uint64_t);
void	meta_twox128(const void *, size_t, uint8_t[16]);
void	meta_storage_key(const char *, const char *, uint8_t[32]);

#endif

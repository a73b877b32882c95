/*
 * chain: the dev node's chain: finalized blocks with SCALE headers, a
 * deterministic pseudo-random mix of Serai events per block, submitted
 * extrinsics, runtime upgrades and injected inconsistencies.
 *
 * Every block is final once produced.  A block's events are a pure
 * function of (seed, number, the runtime that executed it, its extrinsic
 * count), so chain_expected() can say, from the generator's own
 * knowledge, what a decoder must find.
 *
 * Runtime upgrades behave as on Substrate: the upgrade block N emits
 * System.CodeUpdated with the old runtime; the runtime version and
 * metadata at N's hash (its post-state) are the new ones; the first
 * events of the new runtime (such as ValidatorSets.Slashed) are in N + 1.
 * So block N's events decode with the metadata at N's parent.
 */
#ifndef CHAIN_H
#define CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct chain_block {
	uint32_t	 number;
	uint8_t		 hash[32];
	uint8_t		 parent[32];
	uint8_t		 state_root[32];
	uint8_t		 ext_root[32];
	uint32_t	 spec;		/* runtime version after this block */
	uint32_t	 exec_spec;	/* runtime that executed it */
	uint64_t	 time_ms;	/* Timestamp.Now */
	uint8_t		*header;	/* SCALE header */
	size_t		 header_len;
	uint8_t		*events;	/* System.Events value */
	size_t		 events_len;
	uint8_t		**xts;		/* extrinsics, timestamp first */
	size_t		*xt_len;
	size_t		 nxt;
	size_t		 nuser;		/* submitted ones, at the end */
	uint64_t	 slot;		/* the digest's slot */
	uint64_t	 produced_ms;	/* wall clock (Unix ms) it was made */
	int		 hole;		/* chain_getBlockHash says null */
};

struct chain;

/* Result codes of chain_submit, as a node's author RPC. */
#define CHAIN_SUBMIT_OK		0
#define CHAIN_SUBMIT_PARAMS	-32602	/* not hex */
#define CHAIN_SUBMIT_FORMAT	1001	/* undecodable extrinsic */
#define CHAIN_SUBMIT_INVALID	1010	/* invalid transaction */
#define CHAIN_SUBMIT_BANNED	1012	/* temporarily banned (included) */
#define CHAIN_SUBMIT_IMPORTED	1013	/* already imported */
#define CHAIN_SUBMIT_PRIORITY	1014	/* a tag already provided */

struct chain	*chain_new(uint64_t, uint32_t);
/*
 * Network mode: every set's participants are these (keys, weights), and
 * KeyGen comes only from included ValidatorSets.set_keys extrinsics.
 * Call before producing blocks beyond genesis.  -1: out of memory.
 */
int		 chain_validators(struct chain *, const uint8_t (*)[32],
		    const uint64_t *, size_t);
void		 chain_free(struct chain *);
int		 chain_produce(struct chain *);
uint32_t	 chain_head(const struct chain *);
const struct chain_block *chain_block(const struct chain *, uint32_t);
const struct chain_block *chain_find(const struct chain *, const uint8_t *);
/* The metadata blob of a runtime version (14 or 15). */
const uint8_t	*chain_metadata(struct chain *, uint32_t, unsigned, size_t *);
int		 chain_submit(struct chain *, const uint8_t *, size_t,
		    uint8_t *, char *, size_t, char *, size_t);
size_t		 chain_pending(const struct chain *);
/*
 * ValidatorSets.Participants(network) at a block: the members of the set
 * the latest NewSet decided (a pure function of seed, session, network),
 * as SCALE BoundedVec<(Public, u64)> (malloc'd) and, if json is not NULL,
 * as [{"key": hex, "weight": n}, ...].  0: none yet (before the first
 * NewSet); 1: filled; -1: out of memory.
 */
int		 chain_participants(const struct chain *, uint32_t, uint8_t,
		    uint8_t **, size_t *, cJSON **);
/* The events the generator put in a block, in the decoder's JSON form. */
cJSON		*chain_expected(struct chain *, uint32_t);

/* Faults */
void		 chain_upgrade_at(struct chain *, uint32_t);
void		 chain_gap_at(struct chain *, uint32_t);
void		 chain_hole_at(struct chain *, uint32_t);
int		 chain_reorg_head(struct chain *);

#endif

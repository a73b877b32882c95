/*
 * serai: Serai's events as C structs, taken from the generic decoded form
 * (meta.h), and the selection of events of interest by name.
 *
 * The typed events are the ones the coordinator acts on (shared/SERAI.md
 * (c), (e)): ValidatorSets NewSet, KeyGen, AcceptedHandover, SetRetired;
 * InInstructions Batch; Coins BurnWithInstruction.  They are read from the
 * decoded fields by name, so a reordering of fields in a runtime upgrade
 * does not matter; a missing field or a value of the wrong kind is an
 * error naming the event and the field, never a half-filled struct.
 */
#ifndef SERAI_H
#define SERAI_H

#include <stddef.h>
#include <stdint.h>

#include "meta.h"

/* NetworkId: 0 Serai, 1 Bitcoin, 2 Ethereum, 3 Monero. */
#define SERAI_NETWORK_SERAI	0
#define SERAI_NETWORK_BITCOIN	1
#define SERAI_NETWORK_ETHEREUM	2
#define SERAI_NETWORK_MONERO	3
/* Coin: 0 Serai, 1 Bitcoin, 2 Ether, 3 Dai, 4 Monero. */
#define SERAI_COIN_SERAI	0
#define SERAI_COIN_BITCOIN	1
#define SERAI_COIN_ETHER	2
#define SERAI_COIN_DAI		3
#define SERAI_COIN_MONERO	4

#define SERAI_MAX_EXTERNAL_KEY	96
#define SERAI_MAX_ADDRESS	4096
#define SERAI_MAX_DATA		65536

enum serai_kind {
	SERAI_NONE,
	SERAI_NEW_SET,
	SERAI_KEY_GEN,
	SERAI_ACCEPTED_HANDOVER,
	SERAI_SET_RETIRED,
	SERAI_BATCH,
	SERAI_BURN_WITH_INSTRUCTION
};

struct serai_set {
	uint32_t	 session;
	uint8_t		 network;
};

struct serai_event {
	enum serai_kind	 kind;
	/* NewSet, KeyGen, AcceptedHandover, SetRetired */
	struct serai_set set;
	/* KeyGen: KeyPair(Public, ExternalKey) */
	uint8_t		 key[32];
	uint8_t		 external_key[SERAI_MAX_EXTERNAL_KEY];
	size_t		 external_key_len;
	/* Batch */
	uint8_t		 network;
	uint32_t	 batch_id;
	uint8_t		 block[32];
	uint8_t		 instructions_hash[32];
	/* BurnWithInstruction */
	uint8_t		 from[32];
	uint8_t		*address;
	size_t		 address_len;
	int		 has_data;
	uint8_t		*data;
	size_t		 data_len;
	uint8_t		 coin;
	uint64_t	 amount;
};

/* 1: a typed event filled; 0: not one of them; -1: malformed (err). */
int	 serai_event_parse(const struct meta_event *, struct serai_event *,
	    char *, size_t);
void	 serai_event_free(struct serai_event *);
const char *serai_kind_name(enum serai_kind);
const char *serai_network_name(int);
const char *serai_coin_name(int);

/*
 * Events of interest: a list of "Pallet.Event", "Pallet.*" or "*",
 * separated by commas or white space.  serai_filter_match has the
 * signature of meta_select_fn, with the filter as its argument.
 */
#define SERAI_DEFAULT_EVENTS	"ValidatorSets.NewSet ValidatorSets.KeyGen " \
	"ValidatorSets.AcceptedHandover ValidatorSets.SetRetired " \
	"InInstructions.Batch Coins.BurnWithInstruction"

struct serai_filter {
	char	**names;
	size_t	  n;
};

int	 serai_filter_parse(struct serai_filter *, const char *, char *,
	    size_t);
int	 serai_filter_match(const char *, const char *, void *);
void	 serai_filter_free(struct serai_filter *);

#endif

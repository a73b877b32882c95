/*
 * devmeta: the dev node's Serai-shaped runtime metadata (V14 or V15),
 * built with the SCALE writer: pallets System, Timestamp, Coins,
 * ValidatorSets and InInstructions with the event types of Serai
 * (shared/SERAI.md (e)).  Calls: System.remark, Timestamp.set and
 * ValidatorSets.set_keys(network: ExternalNetworkId, key_pair: KeyPair,
 * signature: sr25519 Signature), call index 0 of pallet 3.
 *
 * Runtime "upgraded" (spec_version 2 and later) adds one event variant,
 * ValidatorSets.Slashed, so that a decoder holding the old metadata fails
 * loudly on it.
 */
#ifndef DEVMETA_H
#define DEVMETA_H

#include <stddef.h>
#include <stdint.h>

#define DEV_PALLET_SYSTEM		0
#define DEV_PALLET_TIMESTAMP		1
#define DEV_PALLET_COINS		2
#define DEV_PALLET_VALIDATOR_SETS	3
#define DEV_PALLET_IN_INSTRUCTIONS	4

/* System events */
#define DEV_SYS_EXTRINSIC_SUCCESS	0
#define DEV_SYS_EXTRINSIC_FAILED	1
#define DEV_SYS_CODE_UPDATED		2
#define DEV_SYS_NEW_ACCOUNT		3
#define DEV_SYS_KILLED_ACCOUNT		4
#define DEV_SYS_REMARKED		5

/* ValidatorSets events */
#define DEV_VS_NEW_SET			0
#define DEV_VS_PARTICIPANT_REMOVED	1
#define DEV_VS_KEY_GEN			2
#define DEV_VS_ACCEPTED_HANDOVER	3
#define DEV_VS_SET_RETIRED		4
#define DEV_VS_ALLOCATION_INCREASED	5
#define DEV_VS_ALLOCATION_DECREASED	6
#define DEV_VS_DEALLOCATION_CLAIMED	7
#define DEV_VS_SLASHED			8	/* upgraded runtime only */

/* InInstructions events */
#define DEV_II_BATCH			0
#define DEV_II_INSTRUCTION_FAILURE	1
#define DEV_II_HALT			2

/* ValidatorSets calls */
#define DEV_VS_CALL_SET_KEYS		0
#define DEV_EXTERNAL_KEY_MAX		96	/* ExternalKey's bound */

/* Coins events */
#define DEV_COINS_MINT			0
#define DEV_COINS_BURN			1
#define DEV_COINS_BURN_WITH_INSTRUCTION	2
#define DEV_COINS_TRANSFER		3

/* The whole blob state_getMetadata returns ("meta", version, ...). */
int	devmeta_build(unsigned, int, uint8_t **, size_t *);

#endif

/*
 * cfgschema: every section and key of the shared configuration file, with
 * its type and default.  One table for all binaries, so any binary's -n
 * checks the whole file.  conf/coordinator.ini documents each key; keep
 * both in step (t/t0110-config-reference.sh checks that they are).
 * CFG_PATH and CFG_PATHLIST keys are resolved against the configuration
 * file's folder when relative (cfg.h).
 */
#include <stddef.h>

#include "cfg.h"

const struct cfg_sectdef cfg_sectdefs[] = {
	{ "general",		0,		0 },
	{ "kafka",		CFGS_FREE,	CFG_STR },	/* librdkafka */
	{ "topics",		0,		0 },
	{ "trust",		CFGS_FREE,	CFG_HEX32 },	/* id = pubkey */
	{ "observation",	0,		0 },
	{ "health",		0,		0 },
	{ "connection",		0,		0 },
	{ "validator",		CFGS_NAMED,	0 },
	{ "signing",		0,		0 },
	{ "archive",		0,		0 },
	{ NULL,			0,		0 }
};

const struct cfg_keydef cfg_keydefs[] = {
	/* Who we are, and what every process shares. */
	{ "general", "name",			CFG_STR,  "validator" },
	{ "general", "log_level",		CFG_STR,  "info" },
	{ "general", "key_dir",			CFG_PATH, "keys" },
	{ "general", "run_dir",			CFG_PATH, "run" },
	{ "general", "metrics_dir",		CFG_PATH, "" },
	{ "general", "heartbeat_interval",	CFG_DUR,  "10s" },
	{ "general", "dedupe_window",		CFG_INT,  "65536" },
	{ "general", "max_message_size",	CFG_SIZE, "1MiB" },
	{ "general", "backup_dir",		CFG_PATH, "backups" },
	{ "general", "backup_interval",		CFG_DUR,  "1h" },

	/* Topic names. */
	{ "topics", "serai_observation",	CFG_STR, "serai-observation" },
	{ "topics", "chain_observation",	CFG_STR, "chain-observation" },
	{ "topics", "chain_health",		CFG_STR, "chain-health" },
	{ "topics", "signing",			CFG_STR, "signing" },
	{ "topics", "p2p_outbound",		CFG_STR, "p2p-outbound" },
	{ "topics", "p2p_inbound",		CFG_STR, "p2p-inbound" },
	{ "topics", "coordinator_state",	CFG_STR, "coordinator-state" },
	{ "topics", "coordinator_dlq",		CFG_STR, "coordinator-dlq" },

	/* observer */
	{ "observation", "rpc_endpoint",	CFG_STR,  "http://127.0.0.1:9944" },
	{ "observation", "polling_interval",	CFG_DUR,  "6s" },
	{ "observation", "rpc_timeout",		CFG_DUR,  "10s" },
	{ "observation", "adaptive",		CFG_BOOL, "yes" },
	{ "observation", "batch_blocks",	CFG_INT,  "256" },
	{ "observation", "start_block",		CFG_INT,  "0" },
	{ "observation", "events",		CFG_LIST,
	    "ValidatorSets.NewSet, ValidatorSets.KeyGen, "
	    "ValidatorSets.AcceptedHandover, ValidatorSets.SetRetired, "
	    "InInstructions.Batch, Coins.BurnWithInstruction" },

	/* observer: health of the processors */
	{ "health", "stale_after",		CFG_DUR,  "1m" },
	{ "health", "max_lag",			CFG_INT,  "10" },

	/* connector */
	{ "connection", "listen",		CFG_STR,  "/ip4/127.0.0.1/tcp/30333" },
	{ "connection", "identity_key",		CFG_PATH, "" },
	{ "connection", "max_queue",		CFG_INT,  "10000" },
	{ "connection", "dial_backoff",		CFG_DUR,  "500ms" },
	{ "connection", "dial_backoff_max",	CFG_DUR,  "30s" },
	{ "connection", "connect_timeout",	CFG_DUR,  "10s" },
	{ "connection", "keepalive",		CFG_DUR,  "15s" },
	{ "connection", "keepalive_timeout",	CFG_DUR,  "20s" },
	{ "connection", "abuse_limit",		CFG_INT,  "10" },

	/* [validator NAME] */
	{ "validator", "public_key",		CFG_STR,  NULL },
	{ "validator", "chain_key",		CFG_HEX32, NULL },	/* public_key */
	{ "validator", "endpoint",		CFG_STR,  NULL },
	{ "validator", "weight",		CFG_INT,  "1" },

	/* signer */
	{ "signing", "threshold",		CFG_INT,  "0" },
	{ "signing", "preprocess_timeout",	CFG_DUR,  "30s" },
	{ "signing", "share_timeout",		CFG_DUR,  "30s" },
	{ "signing", "max_attempts",		CFG_INT,  "100" },
	{ "signing", "early_window",		CFG_INT,  "1024" },
	{ "signing", "early_ttl",		CFG_DUR,  "10m" },
	{ "signing", "state_topic",		CFG_STR,  "signer-state" },
	{ "signing", "transactional_id",	CFG_STR,  "" },
	{ "signing", "batch_max",		CFG_INT,  "64" },
	{ "signing", "static_set",		CFG_BOOL, "no" },

	/* archiver */
	{ "archive", "backend",			CFG_STR,  "file" },
	{ "archive", "path",			CFG_PATH, "archive" },
	{ "archive", "conninfo",		CFG_STR,  "" },
	{ "archive", "key_file",		CFG_PATH, "" },
	{ "archive", "old_key_files",		CFG_PATHLIST, "" },
	{ "archive", "topics",			CFG_LIST, "" },
	{ "archive", "batch_size",		CFG_INT,  "1000" },
	{ "archive", "batch_timeout",		CFG_DUR,  "200ms" },
	{ "archive", "retry_timeout",		CFG_DUR,  "2m" },
	{ "archive", "segment_size",		CFG_SIZE, "64MiB" },
	{ "archive", "backup_keep",		CFG_INT,  "24" },
	{ "archive", "verify_backups",		CFG_BOOL, "yes" },

	{ NULL, NULL, 0, NULL }
};

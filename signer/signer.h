/*
 * signer: forms signing parties, runs the session lifecycle and routes
 * protocol messages between the local processors and the party members.
 * main.c: options, start (state rebuilt from the log), the loop with its
 * transactions; route.c: what each message does.  See signer.8.
 */
#ifndef SIGNER_H
#define SIGNER_H

#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "bus.h"
#include "dedupe.h"
#include "party.h"
#include "state.h"
#include "svc.h"

/*
 * A [validator NAME] section.  A validator has two keys: chain_key names
 * it in the chain's validator sets (a Serai account key), public_key is
 * its libp2p identity, which the connector dials and authenticates.
 */
struct cfgval {
	char		*name;
	uint8_t		 key[PARTY_KEYLEN];	/* chain_key */
	uint8_t		 p2p_key[PARTY_KEYLEN];	/* public_key */
	int		 chain_default;	/* no chain_key: public_key */
	uint64_t	 weight;
	const char	*endpoint;
};

struct signer {
	struct app	 app;
	struct svc	 svc;
	struct sstate	 st;
	const char	*name;			/* [general] name */
	uint8_t		 our_key[PARTY_KEYLEN];	/* our chain_key */
	struct cfgval	*val;			/* [validator NAME] */
	size_t		 nval;
	uint64_t	 threshold;		/* 0: default */
	uint64_t	 pre_ms;
	uint64_t	 share_ms;
	long long	 max_attempts;		/* 0: no limit */
	size_t		 early_window;
	uint64_t	 early_ttl_ms;
	const char	*state_topic;
	int		 static_set;		/* [validator] list as fallback */
	int		 persist;		/* write the decision log */
	struct dedupe	*inner;			/* inner intents seen */
	uint64_t	 next_deadline;
	uint64_t	 next_sweep;
	uint64_t	 block_number;
	/* counters for metrics */
	uint64_t	 n_formed, n_completed, n_reattempts, n_routed_out,
			 n_routed_in, n_rejected, n_late, n_failed;
};

/* main.c */
int	signer_persist(struct signer *, const char *, const Coord__SignState *,
	    char *, size_t);

/* route.c: each returns -1 only on a fatal error (err); a rejected
 * message goes to the dead-letter topic and returns 0. */
int	route_message(struct signer *, const struct bus_msg *,
	    const Coord__Envelope *, char *, size_t);
int	route_timers(struct signer *, char *, size_t);
void	route_after_rebuild(struct signer *);
int	route_config_set(struct signer *, uint32_t, uint32_t, const uint8_t *,
	    struct sset **, char *, size_t);
int	route_end(struct signer *, char *, size_t);

#endif

/*
 * state: the signer's memory: validator sets, signing sessions, the
 * window of early messages and the processors' requests held for a set
 * not seen yet, and their SignState form (proto/signing.proto) for the
 * decision log.  No I/O here.
 *
 * Each object has a record key in the log:
 *   "set/NETWORK/SESSION", "sess/HEX(sign_id)", "early/HEX(intent)",
 *   "hold/HEX(sign_id)";
 * an empty record value deletes the key.
 */
#ifndef STATE_H
#define STATE_H

#include <stddef.h>
#include <stdint.h>

#include "party.h"
#include "proto/signing.pb-c.h"

#define STATE_KEYLEN	80

struct sset {
	uint32_t		 network;
	uint32_t		 session;
	struct party_validator	*v;		/* sorted by key */
	char			**names;
	size_t			 n;
	uint64_t		 total;
	int			 from_config;
	int			 retired;
	uint8_t			 block_hash[PARTY_HASHLEN];
	long			 our;		/* our position, -1 */
};

struct ssess {
	struct ssess		*next;		/* hash chain */
	uint32_t		 network;
	uint32_t		 session;
	uint8_t			 sign_id[PARTY_HASHLEN];
	int			 kind;		/* Coord__SignKind */
	uint8_t			 block_hash[PARTY_HASHLEN];
	uint8_t			*payload;
	size_t			 payloadlen;
	uint32_t		 attempt;
	int			 stage;		/* Coord__SignStage */
	int			 member;
	uint64_t		 started_ms;
	uint64_t		 deadline_ms;
	size_t			*seen;		/* positions, ascending */
	size_t			 nseen;
	int			 completed;
	uint32_t		 completed_attempt;
	char			*completed_by;
	int			 failed;
	uint64_t		 threshold;
	size_t			*party;		/* positions, ascending */
	size_t			 nparty;
};

struct searly {
	uint8_t			 intent[PARTY_HASHLEN];	/* inner envelope */
	uint8_t			*rec;
	size_t			 len;
	char			*topic;
	int32_t			 partition;
	int64_t			 offset;
	uint64_t		 received_ms;
	uint8_t			 sign_id[PARTY_HASHLEN];
	uint32_t		 attempt;
	char			*validator;	/* the sender */
};

/* A processor's request for a set not seen yet. */
struct shold {
	uint8_t			 sign_id[PARTY_HASHLEN];
	uint32_t		 network;
	uint32_t		 session;
	uint8_t			*rec;		/* the record value, whole */
	size_t			 len;
	char			*topic;
	int32_t			 partition;
	int64_t			 offset;
	uint64_t		 received_ms;
};

struct sstate {
	struct sset		**set;
	size_t			 nset;
	struct ssess		**bucket;
	size_t			 nbucket;
	size_t			 nsess;
	struct searly		*early;		/* oldest first */
	size_t			 nearly;
	size_t			 capearly;
	struct shold		*hold;		/* oldest first */
	size_t			 nhold;
	size_t			 caphold;
};

void		 state_init(struct sstate *);
void		 state_free(struct sstate *);

/* Sets. */
struct sset	*state_set_find(const struct sstate *, uint32_t, uint32_t);
/* The highest non-retired session of a network, or NULL. */
struct sset	*state_set_current(const struct sstate *, uint32_t);
/* The highest session of a network among the sets known (retired ones
 * too); 0 with none (then *any is 0). */
uint32_t	 state_set_highest(const struct sstate *, uint32_t, int *);
/* Takes ownership of *s (allocated with malloc), replacing any old one. */
int		 state_set_put(struct sstate *, struct sset *);
void		 state_set_free(struct sset *);
long		 state_set_pos(const struct sset *, const char *);

/* Sessions. */
struct ssess	*state_sess_find(const struct sstate *, const uint8_t *);
int		 state_sess_put(struct sstate *, struct ssess *);
void		 state_sess_del(struct sstate *, const uint8_t *);
void		 state_sess_free(struct ssess *);
/* Iterate: *cursor starts at 0; NULL at the end. */
struct ssess	*state_sess_next(const struct sstate *, size_t *,
		    struct ssess *);
int		 state_sess_seen(const struct ssess *, size_t);
int		 state_sess_mark(struct ssess *, size_t);
int		 state_sess_in_party(const struct ssess *, size_t);

/* Early messages. */
int		 state_early_add(struct sstate *, const struct searly *);
void		 state_early_del(struct sstate *, size_t);
long		 state_early_find(const struct sstate *, const uint8_t *);

/* Held requests.  state_hold_add takes over the pointers of *h. */
int		 state_hold_add(struct sstate *, const struct shold *);
/* Out of the window, whole, into *out (the caller clears it). */
void		 state_hold_take(struct sstate *, size_t, struct shold *);
void		 state_hold_del(struct sstate *, size_t);
long		 state_hold_find(const struct sstate *, const uint8_t *);
/* Free what a held request (taken out of the state) points to. */
void		 state_hold_clear(struct shold *);

/* Record keys. */
void		 state_key_set(char *, uint32_t, uint32_t);
void		 state_key_sess(char *, const uint8_t *);
void		 state_key_early(char *, const uint8_t *);
void		 state_key_hold(char *, const uint8_t *);

/* SignState <-> memory.  *_pb fill a SignState whose pointers borrow from
 * the object (free with state_pb_clear), or return -1 with it empty when
 * memory runs out (nothing partial: an empty one must never be logged);
 * state_apply replays one log record. */
int		 state_set_pb(const struct sset *, Coord__SignState *);
int		 state_sess_pb(const struct ssess *, Coord__SignState *);
int		 state_early_pb(const struct searly *, Coord__SignState *);
int		 state_hold_pb(const struct shold *, Coord__SignState *);
void		 state_pb_clear(Coord__SignState *);
int		 state_apply(struct sstate *, const char *, size_t,
		    const Coord__SignState *, char *, size_t);

const char	*state_kind_name(int);
const char	*state_stage_name(int);

#endif

/*
 * timeline: several validators' topics as one story a person can follow,
 * for the demo.
 *
 *	timeline [-qvJ] [-X prop=val]... [-t SECONDS] [-g GRACE] [-p] CONF...
 *
 * Each CONF is one validator's file: its [general] name, its [topics]
 * (serai_observation, signing, p2p_inbound and coordinator_dlq are read
 * from the beginning; a topic shared by several validators is read once),
 * its [trust] (every record is verified with env_open) and the first
 * file's [validator NAME] sections (chain_key, else public_key: names for
 * a set's participants).  Each validator's topics are read through the
 * shared bus code's readers (no group: nothing to join, nothing
 * committed), from the earliest offsets; topics that do not exist yet are
 * picked up once they do.  -X applies to every client.
 *
 * stdout: one line per step, "demo: +12.3s ...": finalized blocks with
 * events (and every BLOCK_EVERY-th block), sets, links, parties, session
 * progress and completion on every validator, instruction results, keys
 * on chain, dead letters.  -J: the raw records as JSON Lines instead.
 *
 * -t SECONDS: at the deadline stop counting new sessions (-p: first ask
 * the dev node to pause, dev_pause(true), on the first file's
 * [observation] rpc_endpoint) and wait up to -g GRACE seconds (60) for
 * every session started to complete on all validators.  SIGINT/SIGTERM:
 * the same with a grace of SIGNAL_GRACE seconds; a second signal ends it.
 * Then a summary; the last line starts "demo: summary:".  Exit 0 when
 * every session counted completed on every validator (and at least one
 * did), 1 otherwise, 100 on usage or configuration errors, 111 when the
 * broker cannot be used.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "hex.h"
#include "clock.h"
#include "app.h"
#include "bus.h"
#include "cfg.h"
#include "envelope.h"
#include "log.h"
#include "observer/rpc.h"
#include "sig.h"
#include "proto/common.pb-c.h"
#include "proto/observation.pb-c.h"
#include "proto/p2p.pb-c.h"
#include "proto/signing.pb-c.h"

#define MAXV		32
#define MAXX		(APP_MAXX - 2)
#define NTOP		4
#define BLOCK_EVERY	10	/* a block without events: every Nth */
#define SIGNAL_GRACE	5	/* seconds */
#define MAXFOLLOW	16
#define MAXWARN		5
#define BLOCK_IDLE	1500	/* ms: a block's line waits no longer */

enum { T_OBS, T_SIGN, T_IN, T_DLQ };

static const char *topic_key[NTOP] = {
	"serai_observation", "signing", "p2p_inbound", "coordinator_dlq"
};

struct val {
	struct app		 app;
	struct cfg		*cfg;
	const char		*name;
	const char		*topic[NTOP];
	int			 reads[NTOP];	/* its bus reads this one */
	struct env_trust	 trust;
	struct reader {
		struct bus_reader *r;
		int		 assigned;
		uint64_t	 next_try;
	}			 rd[NTOP];	/* the topics it reads */
	unsigned long		 nbad;
	char			 links[1100];	/* last links line's peers */
};

/* A signing session, by sign id. */
struct sess {
	uint8_t		 id[32];
	char		 name[96];
	uint32_t	 kind;
	int		 named;		/* from a PartyFormed */
	int		 started;	/* a PartyFormed was seen */
	int		 counted;	/* started before the stop */
	int		 signed_said;
	uint64_t	 first_ms;	/* first PartyFormed */
	uint64_t	 last_ms;	/* last SignCompleted */
	uint32_t	 done;		/* validators with a SignCompleted */
	uint64_t	 att_said;	/* attempts whose party was printed */
	uint32_t	 att;		/* attempt of the stage counts */
	size_t		 nparty;	/* that attempt's party size */
	uint32_t	 stage[2];	/* members heard: preprocess, share */
	int		 stage_said[2];
};

/* The block being put together from the first observer's topic. */
struct pending {
	int		 active;
	uint64_t	 number;
	int		 update;	/* its BlockUpdate arrived */
	uint64_t	 last_ms;	/* last record for it */
	uint32_t	 want, got;
	char		 text[1024];
	char		*follow[MAXFOLLOW];
	size_t		 nfollow;
};

struct blockseen {
	uint64_t	 number;
	uint32_t	 mask;		/* observer topics that published it */
};

struct instr {
	int		 v;		/* the validator whose p2p-inbound */
	uint8_t		 intent[ENV_INTENTLEN];
	char		 origin[64];
	char		 what[64];	/* "key pair for Bitcoin", or "" */
	int		 said;
};

static struct val	 v[MAXV];
static int		 nv, json;
static uint32_t		 obs_all;	/* mask of the observer topics read */
static const char	*xprop[MAXX];
static size_t		 nx;
static uint64_t		 start_ms;
static struct sess	*sess;
static size_t		 nsess;
static struct pending	 pend;
static struct blockseen	*blocks;
static size_t		 nblocks;
static struct instr	*instrs;
static size_t		 ninstrs;
static unsigned long	 n_sets, n_keys, n_dlq, n_instr_ok, n_instr_bad;
static int		 stopping;

static void	 usage(void) __attribute__((noreturn));
static void	 say(const char *, ...) PRINTFLIKE(1, 2);
static int	 popcount(uint32_t);
static const char *net_name(uint32_t);
static void	 xt_what(const uint8_t *, size_t, char *, size_t);
static const char *coin_name(uint32_t);
static void	 set_name(char *, size_t, const Coord__ValidatorSet *);
static int	 val_index(const char *);
static int	 sender(const Coord__Envelope *, int);
static const char *key_name(const uint8_t *, size_t, char *, size_t);
static struct sess *sess_get(const uint8_t *, size_t);
static void	 sess_name(struct sess *, uint32_t, const Coord__ValidatorSet *,
		    const ProtobufCBinaryData *);
static void	 pend_flush(void);
static void	 pend_follow(const char *, ...) PRINTFLIKE(1, 2);
static void	 block_mark(uint64_t, int);
static void	 on_obs(int, const Coord__Envelope *);
static void	 on_event(const Coord__SeraiEvent *);
static void	 on_signing(int, const Coord__Envelope *);
static void	 on_inbound(int, const Coord__Envelope *);
static void	 on_dlq(int, const Coord__Envelope *);
static void	 stage_check(struct sess *);
static void	 handle(int, const struct bus_msg *);
static void	 dev_pause(void);
static int	 all_done(void);
static const char *archived(int, char *, size_t);
static int	 cmp_u64(const void *, const void *);
static int	 read_some(int, int);
static int	 summary(void);

static void
usage(void)
{
	fprintf(stderr, "usage: timeline [-qvJ] [-X prop=val]... "
	    "[-t SECONDS] [-g GRACE] [-p] CONF...\n");
	exit(EX_PERM);
}

static void
say(const char *fmt, ...)
{
	va_list ap;

	if (json)
		return;
	printf("demo: +%.1fs ", (double)(clock_wall_ms() - start_ms) / 1000.0);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static int
popcount(uint32_t x)
{
	int n = 0;

	for (; x != 0; x &= x - 1)
		n++;
	return n;
}

static const char *
net_name(uint32_t n)
{
	static const char *names[] = { "Serai", "Bitcoin", "Ethereum",
	    "Monero" };
	static char buf[32];

	if (n < sizeof(names) / sizeof(names[0]))
		return names[n];
	snprintf(buf, sizeof(buf), "network %u", n);
	return buf;
}

/*
 * What an instruction's extrinsic is, where we know: the dev node's
 * ValidatorSets.set_keys (Compact<len>, 0x04, pallet 3, call 0, network)
 * is a key pair; anything else "".
 */
static void
xt_what(const uint8_t *xt, size_t len, char *buf, size_t buflen)
{
	size_t off;

	buf[0] = '\0';
	if (len < 1)
		return;
	off = (xt[0] & 3) == 0 ? 1 : (xt[0] & 3) == 1 ? 2 : 4;
	if (len < off + 4 || xt[off] != 0x04 || xt[off + 1] != 3 ||
	    xt[off + 2] != 0)
		return;
	snprintf(buf, buflen, "key pair for %s", net_name(xt[off + 3]));
}

/* Serai's Coin: Serai 0, Bitcoin 1, Ether 2, Dai 3, Monero 4. */
static const char *
coin_name(uint32_t c)
{
	static const char *names[] = { "Serai", "Bitcoin", "Ether", "Dai",
	    "Monero" };
	static char buf[32];

	if (c < sizeof(names) / sizeof(names[0]))
		return names[c];
	snprintf(buf, sizeof(buf), "coin %u", c);
	return buf;
}

static void
set_name(char *buf, size_t len, const Coord__ValidatorSet *s)
{
	if (s == NULL)
		snprintf(buf, len, "?/?");
	else
		snprintf(buf, len, "%u/%s", s->session, net_name(s->network));
}

static int
val_index(const char *name)
{
	int i;

	if (name == NULL)
		return -1;
	for (i = 0; i < nv; i++)
		if (strcmp(v[i].name, name) == 0)
			return i;
	return -1;
}

/* The validator an envelope is from ("bob.signer"), else the topic's. */
static int
sender(const Coord__Envelope *e, int owner)
{
	char name[128];
	const char *dot;
	int i;

	if (e->from != NULL && (dot = strchr(e->from, '.')) != NULL) {
		snprintf(name, sizeof(name), "%.*s", (int)(dot - e->from),
		    e->from);
		if ((i = val_index(name)) != -1)
			return i;
	}
	return owner;
}

/* A set participant's key: the validator whose chain_key (or, without
 * one, public_key) it is, in the first file. */
static const char *
key_name(const uint8_t *key, size_t len, char *buf, size_t buflen)
{
	const struct cfg_sect *s = NULL;
	const struct cfg_kv *kv;
	char hex[2 * 64 + 1];

	if (len > 64)
		len = 64;
	hex_encode(key, len, hex);
	while ((s = cfg_next(v[0].cfg, "validator", s)) != NULL) {
		if ((kv = cfg_sect_kv(s, "chain_key")) == NULL)
			kv = cfg_sect_kv(s, "public_key");
		if (kv != NULL && strcasecmp(kv->val, hex) == 0) {
			snprintf(buf, buflen, "%s", s->name);
			return buf;
		}
	}
	snprintf(buf, buflen, "?%.16s", hex);
	return buf;
}

static struct sess *
sess_get(const uint8_t *id, size_t len)
{
	struct sess *s;
	uint8_t k[32];
	char hex[65];
	size_t i;

	memset(k, 0, sizeof(k));
	if (len > sizeof(k))
		len = sizeof(k);
	if (len > 0)
		memcpy(k, id, len);
	for (i = 0; i < nsess; i++)
		if (memcmp(sess[i].id, k, sizeof(k)) == 0)
			return &sess[i];
	if ((s = reallocarray(sess, nsess + 1, sizeof(*s))) == NULL)
		fatalx(EX_TEMP, "out of memory");
	sess = s;
	s = &sess[nsess++];
	memset(s, 0, sizeof(*s));
	memcpy(s->id, k, sizeof(k));
	hex_encode(k, 8, hex);
	snprintf(s->name, sizeof(s->name), "session %s", hex);
	return s;
}

/*
 * Human names: key gen SESSION/NETWORK, batch NETWORK #ID, burn, processor
 * request; else the sign id's first 8 bytes.  A batch's and a burn's
 * payload is the SeraiEvent behind it (the signer passes it on).
 */
static void
sess_name(struct sess *s, uint32_t kind, const Coord__ValidatorSet *set,
    const ProtobufCBinaryData *payload)
{
	Coord__SeraiEvent *ev = NULL;
	char hex[17], sn[64];

	hex_encode(s->id, 8, hex);
	s->kind = kind;
	if (payload != NULL && payload->len > 0 &&
	    (kind == COORD__SIGN_KIND__SIGN_BATCH ||
	    kind == COORD__SIGN_KIND__SIGN_BURN))
		ev = coord__serai_event__unpack(NULL, payload->len,
		    payload->data);
	switch (kind) {
	case COORD__SIGN_KIND__SIGN_KEY_GEN:
		set_name(sn, sizeof(sn), set);
		snprintf(s->name, sizeof(s->name), "key gen %s", sn);
		break;
	case COORD__SIGN_KIND__SIGN_BATCH:
		if (ev != NULL && ev->event_case ==
		    COORD__SERAI_EVENT__EVENT_BATCH)
			snprintf(s->name, sizeof(s->name), "batch %s #%u",
			    net_name(ev->batch->network), ev->batch->id);
		else
			snprintf(s->name, sizeof(s->name), "batch %s %s",
			    set != NULL ? net_name(set->network) : "?", hex);
		break;
	case COORD__SIGN_KIND__SIGN_BURN:
		if (ev != NULL && ev->event_case ==
		    COORD__SERAI_EVENT__EVENT_BURN_WITH_INSTRUCTION)
			snprintf(s->name, sizeof(s->name), "burn of %s "
			    "(block %llu event %u)",
			    coin_name(ev->burn_with_instruction->coin),
			    (unsigned long long)ev->block_number,
			    ev->event_index);
		else
			snprintf(s->name, sizeof(s->name), "burn %s", hex);
		break;
	case COORD__SIGN_KIND__SIGN_PROCESSOR:
		snprintf(s->name, sizeof(s->name), "processor request %s",
		    hex);
		break;
	default:
		snprintf(s->name, sizeof(s->name), "session %s", hex);
		break;
	}
	if (ev != NULL)
		coord__serai_event__free_unpacked(ev, NULL);
	s->named = 1;
}

static void
pend_follow(const char *fmt, ...)
{
	va_list ap;
	char *line;

	if (pend.nfollow == MAXFOLLOW)
		return;
	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) == -1)
		fatalx(EX_TEMP, "out of memory");
	va_end(ap);
	pend.follow[pend.nfollow++] = line;
}

static void
pend_flush(void)
{
	size_t i;

	if (!pend.active)
		return;
	if (pend.got > 0)
		say("block %llu finalized: %s", (unsigned long long)pend.number,
		    pend.text);
	else if (pend.number % BLOCK_EVERY == 0)
		say("block %llu finalized", (unsigned long long)pend.number);
	for (i = 0; i < pend.nfollow; i++) {
		say("%s", pend.follow[i]);
		free(pend.follow[i]);
	}
	memset(&pend, 0, sizeof(pend));
}

static void
block_mark(uint64_t number, int obs)
{
	struct blockseen *b;
	size_t i;

	for (i = nblocks; i > 0; i--)
		if (blocks[i - 1].number == number) {
			blocks[i - 1].mask |= 1U << obs;
			return;
		}
	if ((b = reallocarray(blocks, nblocks + 1, sizeof(*b))) == NULL)
		fatalx(EX_TEMP, "out of memory");
	blocks = b;
	blocks[nblocks].number = number;
	blocks[nblocks].mask = 1U << obs;
	nblocks++;
}

static void
on_event(const Coord__SeraiEvent *ev)
{
	char what[256], sn[64], names[512], weights[256], nm[64];
	size_t i, len;

	if (!pend.active || pend.number != ev->block_number) {
		pend_flush();
		pend.active = 1;
		pend.number = ev->block_number;
	}
	switch (ev->event_case) {
	case COORD__SERAI_EVENT__EVENT_NEW_SET:
		set_name(sn, sizeof(sn), ev->new_set->set);
		snprintf(what, sizeof(what), "NewSet %s", sn);
		names[0] = weights[0] = '\0';
		for (i = 0; i < ev->new_set->n_participants; i++) {
			const Coord__Participant *p =
			    ev->new_set->participants[i];

			len = strlen(names);
			snprintf(names + len, sizeof(names) - len, "%s%s",
			    i ? " " : "", key_name(p->key.data, p->key.len,
			    nm, sizeof(nm)));
			len = strlen(weights);
			snprintf(weights + len, sizeof(weights) - len,
			    "%s%llu", i ? " " : "",
			    (unsigned long long)p->weight);
		}
		pend_follow("set %s: %s, weights %s", sn, names, weights);
		n_sets++;
		break;
	case COORD__SERAI_EVENT__EVENT_KEY_GEN:
		set_name(sn, sizeof(sn), ev->key_gen->set);
		snprintf(what, sizeof(what), "KeyGen %s", sn);
		pend_follow("KeyGen %s on chain in block %llu", sn,
		    (unsigned long long)ev->block_number);
		n_keys++;
		break;
	case COORD__SERAI_EVENT__EVENT_ACCEPTED_HANDOVER:
		set_name(sn, sizeof(sn), ev->accepted_handover->set);
		snprintf(what, sizeof(what), "AcceptedHandover %s", sn);
		break;
	case COORD__SERAI_EVENT__EVENT_SET_RETIRED:
		set_name(sn, sizeof(sn), ev->set_retired->set);
		snprintf(what, sizeof(what), "SetRetired %s", sn);
		break;
	case COORD__SERAI_EVENT__EVENT_BATCH:
		snprintf(what, sizeof(what), "Batch %s #%u",
		    net_name(ev->batch->network), ev->batch->id);
		break;
	case COORD__SERAI_EVENT__EVENT_BURN_WITH_INSTRUCTION:
		snprintf(what, sizeof(what), "BurnWithInstruction %s",
		    coin_name(ev->burn_with_instruction->coin));
		break;
	default:
		snprintf(what, sizeof(what), "%s.%s", ev->pallet != NULL ?
		    ev->pallet : "?", ev->name != NULL ? ev->name : "?");
		break;
	}
	len = strlen(pend.text);
	snprintf(pend.text + len, sizeof(pend.text) - len, "%s%s",
	    len ? ", " : "", what);
	pend.got++;
	pend.last_ms = clock_wall_ms();
	if (pend.update && pend.got >= pend.want)
		pend_flush();
}

/* serai-observation of validator i (its bus reads it). */
static void
on_obs(int i, const Coord__Envelope *e)
{
	Coord__BlockUpdate *bu;
	Coord__SeraiEvent *ev;
	Coord__InstructionResult *ir;
	int first = strcmp(v[i].topic[T_OBS], v[0].topic[T_OBS]) == 0;
	char hex[17];
	size_t k;

	switch (e->type) {
	case COORD__MSG_TYPE__BLOCK_UPDATE:
		if ((bu = coord__block_update__unpack(NULL, e->body.len,
		    e->body.data)) == NULL)
			break;
		block_mark(bu->number, i);
		if (first) {
			if (pend.active && pend.number != bu->number)
				pend_flush();
			pend.active = 1;
			pend.number = bu->number;
			pend.update = 1;
			pend.want = bu->event_count;
			pend.last_ms = clock_wall_ms();
			if (pend.got >= pend.want)
				pend_flush();
		}
		coord__block_update__free_unpacked(bu, NULL);
		break;
	case COORD__MSG_TYPE__SERAI_EVENT:
		if (!first)
			break;
		if ((ev = coord__serai_event__unpack(NULL, e->body.len,
		    e->body.data)) == NULL)
			break;
		on_event(ev);
		coord__serai_event__free_unpacked(ev, NULL);
		break;
	case COORD__MSG_TYPE__INSTRUCTION_RESULT:
		if ((ir = coord__instruction_result__unpack(NULL, e->body.len,
		    e->body.data)) == NULL)
			break;
		for (k = 0; k < ninstrs; k++)
			if (instrs[k].v == i &&
			    ir->instruction_intent.len == ENV_INTENTLEN &&
			    memcmp(instrs[k].intent,
			    ir->instruction_intent.data, ENV_INTENTLEN) == 0)
				break;
		if (k < ninstrs && instrs[k].said) {
			coord__instruction_result__free_unpacked(ir, NULL);
			break;
		}
		if (k < ninstrs)
			instrs[k].said = 1;
		hex_encode(ir->instruction_intent.data,
		    ir->instruction_intent.len >= 8 ? 8 : 0, hex);
		if (ir->ok)
			n_instr_ok++;
		else
			n_instr_bad++;
		if (k < ninstrs && instrs[k].what[0] != '\0')
			say("%s (from %s) submitted by %s: %s%s",
			    instrs[k].what, instrs[k].origin, e->from,
			    ir->ok ? "ok" : "failed: ", ir->ok ? "" :
			    ir->error);
		else
			say("instruction %s%s%s submitted by %s: %s%s", hex,
			    k < ninstrs ? " from " : "",
			    k < ninstrs ? instrs[k].origin : "", e->from,
			    ir->ok ? "ok" : "failed: ", ir->ok ? "" :
			    ir->error);
		coord__instruction_result__free_unpacked(ir, NULL);
		break;
	default:
		break;
	}
}

static void
stage_check(struct sess *s)
{
	static const char *what[2] = { "preprocesses", "shares" };
	int k;

	for (k = 0; k < 2; k++) {
		if (s->stage_said[k] || s->nparty == 0 ||
		    (size_t)popcount(s->stage[k]) < s->nparty)
			continue;
		s->stage_said[k] = 1;
		say("%s attempt %u: %s from %zu/%zu party members", s->name,
		    s->att, what[k], (size_t)popcount(s->stage[k]),
		    s->nparty);
	}
}

/* signing of validator i. */
static void
on_signing(int i, const Coord__Envelope *e)
{
	Coord__PartyFormed *pf;
	Coord__SignMessage *sm;
	Coord__SignCompleted *sc;
	struct sess *s;
	char party[512];
	size_t k, len;
	int who, st;

	switch (e->type) {
	case COORD__MSG_TYPE__PARTY_FORMED:
		if ((pf = coord__party_formed__unpack(NULL, e->body.len,
		    e->body.data)) == NULL)
			break;
		s = sess_get(pf->sign_id.data, pf->sign_id.len);
		if (!s->named)
			sess_name(s, pf->kind, pf->set, &pf->payload);
		if (!s->started) {
			s->started = 1;
			s->counted = !stopping;
			s->first_ms = e->created_ms;
		} else if (e->created_ms < s->first_ms)
			s->first_ms = e->created_ms;
		if (pf->attempt >= s->att) {
			if (pf->attempt > s->att) {
				s->att = pf->attempt;
				memset(s->stage, 0, sizeof(s->stage));
				memset(s->stage_said, 0,
				    sizeof(s->stage_said));
			}
			s->nparty = pf->n_party;
		}
		if (pf->attempt < 64 && !(s->att_said & (1ULL << pf->attempt))) {
			s->att_said |= 1ULL << pf->attempt;
			party[0] = '\0';
			for (k = 0; k < pf->n_party; k++) {
				len = strlen(party);
				snprintf(party + len, sizeof(party) - len,
				    "%s%s", k ? " " : "",
				    pf->party[k]->validator);
			}
			say("%s attempt %u: party %s (threshold %llu of %llu)%s",
			    s->name, pf->attempt, party,
			    (unsigned long long)pf->threshold,
			    (unsigned long long)pf->total_weight,
			    s->counted ? "" : " (after the stop: not counted)");
		}
		stage_check(s);
		coord__party_formed__free_unpacked(pf, NULL);
		break;
	case COORD__MSG_TYPE__SIGN_MESSAGE:
		if ((sm = coord__sign_message__unpack(NULL, e->body.len,
		    e->body.data)) == NULL)
			break;
		s = sess_get(sm->sign_id.data, sm->sign_id.len);
		st = sm->stage == COORD__SIGN_STAGE__SIGN_PREPROCESS ? 0 :
		    sm->stage == COORD__SIGN_STAGE__SIGN_SHARE ? 1 : -1;
		if (sm->attempt > s->att) {
			s->att = sm->attempt;
			s->nparty = 0;
			memset(s->stage, 0, sizeof(s->stage));
			memset(s->stage_said, 0, sizeof(s->stage_said));
		}
		if (st != -1 && sm->attempt == s->att &&
		    (who = val_index(sm->validator)) != -1) {
			s->stage[st] |= 1U << who;
			stage_check(s);
		}
		coord__sign_message__free_unpacked(sm, NULL);
		break;
	case COORD__MSG_TYPE__SIGN_COMPLETED:
		if ((sc = coord__sign_completed__unpack(NULL, e->body.len,
		    e->body.data)) == NULL)
			break;
		s = sess_get(sc->sign_id.data, sc->sign_id.len);
		if (!s->named)
			sess_name(s, sc->kind, sc->set, NULL);
		who = sender(e, i);
		s->done |= 1U << who;
		if (e->created_ms > s->last_ms)
			s->last_ms = e->created_ms;
		if (!s->signed_said && popcount(s->done) == nv) {
			s->signed_said = 1;
			if (s->started && s->last_ms >= s->first_ms)
				say("%s signed on %d/%d validators in %llu ms",
				    s->name, nv, nv, (unsigned long long)
				    (s->last_ms - s->first_ms));
			else
				say("%s signed on %d/%d validators", s->name,
				    nv, nv);
		}
		coord__sign_completed__free_unpacked(sc, NULL);
		break;
	default:
		break;
	}
}

/* p2p-inbound of validator i. */
static void
on_inbound(int i, const Coord__Envelope *e)
{
	Coord__ConnectResult *cr;
	Coord__Instruction *in;
	struct instr *ni;
	char up[512], down[512], now[1100];
	size_t k, len;

	switch (e->type) {
	case COORD__MSG_TYPE__CONNECT_RESULT:
		if ((cr = coord__connect_result__unpack(NULL, e->body.len,
		    e->body.data)) == NULL)
			break;
		up[0] = down[0] = '\0';
		for (k = 0; k < cr->n_peers; k++) {
			if (cr->peers[k]->connected) {
				len = strlen(up);
				snprintf(up + len, sizeof(up) - len, " %s",
				    cr->peers[k]->name);
			} else {
				len = strlen(down);
				snprintf(down + len, sizeof(down) - len,
				    " %s (%s)", cr->peers[k]->name,
				    cr->peers[k]->error != NULL &&
				    cr->peers[k]->error[0] != '\0' ?
				    cr->peers[k]->error : "no reason");
			}
		}
		snprintf(now, sizeof(now), "%s|%s", up, down);
		if (strcmp(now, v[i].links) == 0) {
			coord__connect_result__free_unpacked(cr, NULL);
			break;
		}
		snprintf(v[i].links, sizeof(v[i].links), "%s", now);
		if (down[0] == '\0')
			say("links: %s ->%s up", v[i].name, up);
		else if (up[0] == '\0')
			say("links: %s ->%s down", v[i].name, down);
		else
			say("links: %s ->%s up;%s down", v[i].name, up, down);
		coord__connect_result__free_unpacked(cr, NULL);
		break;
	case COORD__MSG_TYPE__INSTRUCTION:
		if (e->intent.len != ENV_INTENTLEN)
			break;
		for (k = 0; k < ninstrs; k++)
			if (instrs[k].v == i && memcmp(instrs[k].intent,
			    e->intent.data, ENV_INTENTLEN) == 0)
				return;
		if ((in = coord__instruction__unpack(NULL, e->body.len,
		    e->body.data)) == NULL)
			break;
		if ((ni = reallocarray(instrs, ninstrs + 1,
		    sizeof(*ni))) == NULL)
			fatalx(EX_TEMP, "out of memory");
		instrs = ni;
		ni = &instrs[ninstrs++];
		memset(ni, 0, sizeof(*ni));
		ni->v = i;
		memcpy(ni->intent, e->intent.data, ENV_INTENTLEN);
		xt_what(in->extrinsic.data, in->extrinsic.len, ni->what,
		    sizeof(ni->what));
		snprintf(ni->origin, sizeof(ni->origin), "%s",
		    in->origin != NULL && in->origin[0] != '\0' ? in->origin :
		    v[i].name);
		coord__instruction__free_unpacked(in, NULL);
		break;
	default:
		break;
	}
}

/* coordinator-dlq of validator i. */
static void
on_dlq(int i, const Coord__Envelope *e)
{
	Coord__DeadLetter *dl;

	n_dlq++;
	if (e->type != COORD__MSG_TYPE__DEAD_LETTER ||
	    (dl = coord__dead_letter__unpack(NULL, e->body.len,
	    e->body.data)) == NULL) {
		say("dead letter on %s: a %s record", v[i].name,
		    env_type_name(e->type) != NULL ? env_type_name(e->type) :
		    "?");
		return;
	}
	say("dead letter on %s: %s (rejected by %s, from %s)", v[i].name,
	    dl->reason, dl->service, dl->topic);
	coord__dead_letter__free_unpacked(dl, NULL);
}

/* One record of validator i's bus. */
static void
handle(int i, const struct bus_msg *m)
{
	Coord__Envelope *e;
	char why[512], *line;
	int k;

	for (k = 0; k < NTOP; k++)
		if (v[i].reads[k] && strcmp(m->topic, v[i].topic[k]) == 0)
			break;
	if (json) {
		if ((line = env_json_line(m->val, m->len, m->topic, why,
		    sizeof(why))) == NULL) {
			log_warnx("%s: offset %lld: %s", m->topic,
			    (long long)m->offset, why);
			return;
		}
		fputs(line, stdout);
		fflush(stdout);
		free(line);
		return;
	}
	if (k == NTOP)
		return;
	if ((e = env_open(m->val, m->len, &v[i].trust, why,
	    sizeof(why))) == NULL) {
		if (v[i].nbad++ < MAXWARN)
			log_warnx("%s: offset %lld: not shown: %s", m->topic,
			    (long long)m->offset, why);
		if (k == T_DLQ) {
			n_dlq++;
			say("dead letter on %s: unverifiable (%s)",
			    v[i].name, why);
		}
		return;
	}
	/* Events without a BlockUpdate (tests' chainsim): their line
	 * before what follows from them. */
	if (k != T_OBS && pend.active && !pend.update)
		pend_flush();
	switch (k) {
	case T_OBS:
		on_obs(i, e);
		break;
	case T_SIGN:
		on_signing(i, e);
		break;
	case T_IN:
		on_inbound(i, e);
		break;
	case T_DLQ:
		on_dlq(i, e);
		break;
	}
	env_free(e);
}

/* Ask the dev node to stop producing blocks; an older one has no such
 * method: say so and go on. */
static void
dev_pause(void)
{
	struct rpc_error re;
	struct rpc *r;
	const char *url;
	cJSON *params, *res;
	char err[256];

	url = cfg_str(v[0].cfg, "observation", "rpc_endpoint");
	if ((r = rpc_new(url, 5000, 2, err, sizeof(err))) == NULL) {
		log_warnx("dev_pause: %s: %s", url, err);
		return;
	}
	if ((params = cJSON_CreateArray()) == NULL)
		fatalx(EX_TEMP, "out of memory");
	cJSON_AddItemToArray(params, cJSON_CreateTrue());
	if ((res = rpc_call(r, "dev_pause", params, &re)) != NULL) {
		say("dev node paused (no new blocks)");
		cJSON_Delete(res);
	} else if (re.kind == RPC_ERR_SERVER && re.code == -32601)
		log_info("dev_pause: the dev node has no such method: %s",
		    re.msg);
	else
		log_warnx("dev_pause: %s: %s", url, re.msg);
	rpc_free(r);
}

static int
all_done(void)
{
	size_t i;

	for (i = 0; i < nsess; i++)
		if (sess[i].counted && popcount(sess[i].done) != nv)
			return 0;
	return 1;
}

/* The archiver's records stored, from its Prometheus textfile. */
static const char *
archived(int i, char *buf, size_t len)
{
	const char *dir = cfg_str(v[i].cfg, "general", "metrics_dir");
	char path[PATH_MAX], line[512], *sp;
	FILE *fp;
	int found = 0;

	snprintf(buf, len, "n/a");
	if (dir == NULL || dir[0] == '\0')
		return buf;
	snprintf(path, sizeof(path), "%s/%s.archiver.prom", dir, v[i].name);
	if ((fp = fopen(path, "r")) == NULL)
		return buf;
	while (!found && fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, "coord_archiver_records_stored_total{",
		    36) != 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		if ((sp = strrchr(line, ' ')) != NULL) {
			snprintf(buf, len, "%.0f", strtod(sp + 1, NULL));
			found = 1;
		}
	}
	fclose(fp);
	return buf;
}

/*
 * Validator i's reader of topic k: find its partitions (none yet: try
 * again in a second), read them from the beginning.  The number of
 * records handled, or 0.
 */
static int
read_some(int i, int k)
{
	struct reader *rd = &v[i].rd[k];
	struct bus_msg m;
	int32_t *ids;
	int64_t *offs;
	size_t n, j;
	char err[512];
	int got, r;

	if (!rd->assigned) {
		if (clock_wall_ms() < rd->next_try)
			return 0;
		rd->next_try = clock_wall_ms() + 1000;
		if (bus_reader_partitions(rd->r, &ids, &n, 2000, err,
		    sizeof(err)) == -1) {
			log_debug("%s", err);
			return 0;
		}
		if (n == 0) {
			free(ids);
			return 0;
		}
		if ((offs = calloc(n, sizeof(*offs))) == NULL)
			fatalx(EX_TEMP, "out of memory");
		for (j = 0; j < n; j++)
			offs[j] = RD_KAFKA_OFFSET_BEGINNING;
		r = bus_reader_assign(rd->r, ids, offs, n, err, sizeof(err));
		free(ids);
		free(offs);
		if (r == -1) {
			log_warnx("%s", err);
			return 0;
		}
		rd->assigned = 1;
		log_debug("%s: reading %s", v[i].name, v[i].topic[k]);
	}
	for (got = 0; got < 500; got++) {
		r = bus_reader_poll(rd->r, &m, 0, err, sizeof(err));
		if (r == 0)
			break;
		if (r == 2)
			continue;
		if (r == -1) {
			log_warnx("%s", err);
			break;
		}
		handle(i, &m);
		bus_release(NULL, &m);
	}
	return got;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
summary(void)
{
	uint64_t *ms;
	size_t i, nms = 0, nstarted = 0, nall = 0, nblk_all = 0, len;
	char p50[32], p99[32], arch[512], a[32], lack[256];
	int k, bad = 0;

	if ((ms = calloc(nsess + 1, sizeof(*ms))) == NULL)
		fatalx(EX_TEMP, "out of memory");
	for (i = 0; i < nsess; i++) {
		if (!sess[i].counted)
			continue;
		nstarted++;
		if (popcount(sess[i].done) == nv) {
			nall++;
			if (sess[i].last_ms >= sess[i].first_ms)
				ms[nms++] = sess[i].last_ms - sess[i].first_ms;
		}
	}
	for (i = 0; i < nblocks; i++)
		if ((blocks[i].mask & obs_all) == obs_all)
			nblk_all++;
	qsort(ms, nms, sizeof(*ms), cmp_u64);
	if (nms > 0) {
		/* nearest rank */
		snprintf(p50, sizeof(p50), "%llu",
		    (unsigned long long)ms[(nms * 50 + 99) / 100 - 1]);
		snprintf(p99, sizeof(p99), "%llu",
		    (unsigned long long)ms[(nms * 99 + 99) / 100 - 1]);
	} else {
		snprintf(p50, sizeof(p50), "n/a");
		snprintf(p99, sizeof(p99), "n/a");
	}
	free(ms);
	arch[0] = '\0';
	for (k = 0; k < nv; k++) {
		len = strlen(arch);
		snprintf(arch + len, sizeof(arch) - len, "%s%s=%s",
		    k ? " " : "", v[k].name, archived(k, a, sizeof(a)));
	}

	printf("demo: ---- after %.1fs ----\n",
	    (double)(clock_wall_ms() - start_ms) / 1000.0);
	printf("demo:   blocks seen:        %zu (published by every "
	    "observer: %zu)\n", nblocks, nblk_all);
	printf("demo:   sets formed:        %lu\n", n_sets);
	printf("demo:   sessions:           %zu started, %zu completed on "
	    "all %d validators\n", nstarted, nall, nv);
	printf("demo:   signing time:       p50 %s ms, p99 %s ms\n", p50, p99);
	printf("demo:   instructions:       %lu ok, %lu failed\n", n_instr_ok,
	    n_instr_bad);
	printf("demo:   key pairs on chain: %lu\n", n_keys);
	printf("demo:   records archived:   %s\n", arch);
	printf("demo:   dead letters:       %lu\n", n_dlq);
	for (i = 0; i < nsess; i++) {
		if (!sess[i].counted || popcount(sess[i].done) == nv)
			continue;
		bad = 1;
		lack[0] = '\0';
		for (k = 0; k < nv; k++) {
			if (sess[i].done & (1U << k))
				continue;
			len = strlen(lack);
			snprintf(lack + len, sizeof(lack) - len, " %s",
			    v[k].name);
		}
		printf("demo:   incomplete: %s: no SignCompleted from%s\n",
		    sess[i].name, lack);
	}
	printf("demo: summary: blocks %zu, sets %lu, sessions %zu started "
	    "%zu completed on %d/%d, signing p50 %s ms p99 %s ms, "
	    "key pairs on chain %lu, archived %s, dead letters %lu\n",
	    nblocks, n_sets, nstarted, nall, nv, nv, p50, p99, n_keys, arch,
	    n_dlq);
	fflush(stdout);
	return bad || nall == 0 ? 1 : 0;
}

int
main(int argc, char **argv)
{
	struct pollfd pfd;
	long long n, deadline_s = -1, grace_s = 60;
	uint64_t now, deadline = 0, grace_end = 0;
	size_t k;
	char err[1024];
	int ch, i, j, r, verbose = 0, pause_node = 0, got;

	log_init("timeline", LOG_LVL_INFO);
	while ((ch = getopt(argc, argv, "qvJX:t:g:ph")) != -1) {
		switch (ch) {
		case 'q':
			verbose--;
			break;
		case 'v':
			verbose++;
			break;
		case 'J':
			json = 1;
			break;
		case 'X':
			if (nx == MAXX || strchr(optarg, '=') == NULL)
				usage();
			xprop[nx++] = optarg;
			break;
		case 't':
			if (cfg_parse_int(optarg, &n) == -1 || n < 0)
				usage();
			deadline_s = n;
			break;
		case 'g':
			if (cfg_parse_int(optarg, &n) == -1 || n < 0)
				usage();
			grace_s = n;
			break;
		case 'p':
			pause_node = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || argc > MAXV)
		usage();
	log_setlevel(LOG_LVL_INFO + verbose);
	sig_setup(0);
	if (sodium_init() < 0)
		fatalx(EX_TEMP, "libsodium");
	start_ms = clock_wall_ms();

	for (i = 0; i < argc; i++) {
		if ((v[i].cfg = cfg_load(argv[i], err, sizeof(err))) == NULL)
			fatalx(EX_PERM, "%s", err);
		v[i].name = cfg_str(v[i].cfg, "general", "name");
		if (val_index(v[i].name) != -1)
			fatalx(EX_PERM, "%s: validator %s named twice",
			    argv[i], v[i].name);
		if (env_trust_load(v[i].cfg, &v[i].trust, err,
		    sizeof(err)) == -1)
			fatalx(EX_PERM, "%s", err);
		for (k = 0; k < NTOP; k++)
			v[i].topic[k] = cfg_str(v[i].cfg, "topics",
			    topic_key[k]);
		v[i].app.prog = "timeline";
		v[i].app.cfgfile = argv[i];
		v[i].app.readyfd = -1;
		v[i].app.cfg = v[i].cfg;
		/* Topics that appear later are found within a second. */
		v[i].app.xprop[v[i].app.nxprop++] = "fetch.wait.max.ms=100";
		for (k = 0; k < nx; k++)
			v[i].app.xprop[v[i].app.nxprop++] = xprop[k];
		nv++;
	}
	/* Readers outside any group (no group to join, nothing committed);
	 * a topic several validators share is read once, by the first. */
	for (i = 0; i < nv; i++) {
		for (k = 0; k < NTOP; k++) {
			for (j = 0; j < i; j++)
				if (strcmp(v[j].topic[k], v[i].topic[k]) == 0)
					break;
			if (j < i)
				continue;
			v[i].reads[k] = 1;
			if (k == T_OBS)
				obs_all |= 1U << i;
			if ((v[i].rd[k].r = bus_reader_open(&v[i].app,
			    v[i].topic[k], err, sizeof(err))) == NULL)
				fatalx(EX_TEMP, "%s: %s", v[i].name, err);
		}
	}
	if (deadline_s >= 0)
		deadline = start_ms + (uint64_t)deadline_s * 1000;
	log_info("reading %d validator(s)%s", nv, json ? " (JSON Lines)" :
	    "");

	for (;;) {
		got = 0;
		for (i = 0; i < nv; i++)
			for (k = 0; k < NTOP; k++)
				if (v[i].reads[k])
					got += read_some(i, (int)k);
		if (got == 0) {
			pfd.fd = sig_fd();
			pfd.events = POLLIN;
			if (poll(&pfd, 1, 50) == -1 && errno != EINTR)
				fatal(EX_BUG, "poll");
		}
		now = clock_wall_ms();
		/* Events without their BlockUpdate (or fewer than it said). */
		if (pend.active && now - pend.last_ms > BLOCK_IDLE)
			pend_flush();
		if (!stopping) {
			if (sig_term) {
				sig_term = 0;
				sig_drain();
				stopping = 1;
				grace_end = now + SIGNAL_GRACE * 1000;
				log_info("stopping: waiting up to %ds for the "
				    "sessions started", SIGNAL_GRACE);
			} else if (deadline != 0 && now >= deadline) {
				if (pause_node)
					dev_pause();
				stopping = 1;
				grace_end = now + (uint64_t)grace_s * 1000;
				say("deadline: no new sessions counted; "
				    "waiting up to %llds for the %s",
				    grace_s, "sessions started");
			}
		} else {
			if (json || sig_term || now >= grace_end)
				break;
			if (!json && all_done())
				break;
		}
	}
	pend_flush();
	for (i = 0; i < nv; i++) {
		for (k = 0; k < NTOP; k++)
			bus_reader_close(v[i].rd[k].r);
		env_trust_free(&v[i].trust);
	}
	r = json ? 0 : summary();
	free(instrs);
	free(blocks);
	free(sess);
	for (i = 0; i < nv; i++)
		cfg_free(v[i].cfg);
	return r;
}

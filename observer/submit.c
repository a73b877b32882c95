/*
 * submit: validators' instructions to the chain.
 *
 * p2p-inbound carries an Instruction either bare (sealed by a local
 * service) or inside the connector's P2pReceived (sealed by the validator
 * that sent it, checked against [trust] here).  Every p2p-inbound record
 * joins one FIFO queue; records that are not instructions (the signer's
 * messages, connect results) are done at once, but in their turn, so the
 * consumer offsets stored (in the next transaction) never pass an
 * instruction not yet answered.
 *
 * The head instruction goes to author_submitExtrinsic.  The node's verdict:
 *   a hash: InstructionResult ok (the hash we computed, BLAKE2b-256 of the
 *	extrinsic, if the node's differs we say so);
 *   "already imported" (1013): ok as well, it is in the pool;
 *   "temporarily banned" (1012): ok too: the pool answers so for what it
 *	pruned after a block included it (every validator submits the same
 *	set_keys, say: one is first, the others are late);
 *   a refusal (invalid params, bad format, invalid transaction, ...): a
 *	dead letter carrying the node's error and an InstructionResult
 *	that is not ok;
 *   transport failures, HTTP 5xx, -32603 internal errors, a full or busy
 *	pool: tried again with exponential backoff (up to 30 s); transport
 *	failures forever (the node is down: nothing else would work
 *	either), the node's transient errors up to SUB_MAX_ATTEMPTS.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "hex.h"
#include "cfg.h"
#include "log.h"
#include "observer/obs.h"
#include "proto/p2p.pb-c.h"

#define SUB_MAX_ATTEMPTS	8

static void	 finish(struct ins *, int, long, const char *);
static int	 refused(long);
static void	 classify(struct obs *, struct ins *);

int
sub_init(struct submitter *u, const struct app *app, char *err,
    size_t errlen)
{
	char rerr[256];
	long t = (long)cfg_ms(app->cfg, "observation", "rpc_timeout");

	memset(u, 0, sizeof(*u));
	TAILQ_INIT(&u->q);
	if ((u->rpc = rpc_new(cfg_str(app->cfg, "observation", "rpc_endpoint"),
	    t > 0 ? t : 10000, 2, rerr, sizeof(rerr))) == NULL) {
		snprintf(err, errlen, "rpc_endpoint: %s", rerr);
		return -1;
	}
	rpc_set_cancel(u->rpc, obs_cancelled, NULL);
	if ((u->seen = dedupe_new((size_t)cfg_int(app->cfg, "general",
	    "dedupe_window"))) == NULL) {
		snprintf(err, errlen, "out of memory");
		rpc_free(u->rpc);
		return -1;
	}
	return 0;
}

void
sub_free(struct submitter *u, struct bus *bus)
{
	struct ins *i;

	/* Not stored: consumed again by the next run. */
	while ((i = TAILQ_FIRST(&u->q)) != NULL) {
		TAILQ_REMOVE(&u->q, i, entry);
		env_free(i->env);
		bus_release(bus, &i->m);
		free(i->xt);
		free(i);
	}
	u->n = 0;
	dedupe_free(u->seen);
	rpc_free(u->rpc);
}

uint64_t
sub_wait(const struct submitter *u, uint64_t now)
{
	const struct ins *i = TAILQ_FIRST(&u->q);

	if (i == NULL || i->state != INS_PENDING)
		return i == NULL ? UINT64_MAX : 0;
	return i->next_try > now ? i->next_try - now : 0;
}

static void
finish(struct ins *i, int ok, long code, const char *msg)
{
	i->state = INS_DONE;
	i->has_result = 1;
	i->ok = ok;
	i->code = code;
	snprintf(i->error, sizeof(i->error), "%s", msg != NULL ? msg : "");
}

/* What the record is: an instruction to submit, or not ours. */
static void
classify(struct obs *o, struct ins *i)
{
	Coord__P2pReceived	*pr = NULL;
	Coord__Envelope		*inner = NULL;
	Coord__Instruction	*ins = NULL;
	const Coord__Envelope	*ie;
	char			 why[256], reason[512];

	i->state = INS_SKIP;
	ie = i->env;
	if (i->env->type == COORD__MSG_TYPE__P2P_RECEIVED) {
		pr = coord__p2p_received__unpack(NULL, i->env->body.len,
		    i->env->body.data);
		if (pr == NULL) {
			svc_dlq(&o->svc, &i->m, "P2pReceived: bad body");
			return;
		}
		/* Another service's message: not ours to check. */
		inner = coord__envelope__unpack(NULL, pr->envelope.len,
		    pr->envelope.data);
		if (inner == NULL || inner->type !=
		    COORD__MSG_TYPE__INSTRUCTION) {
			if (inner != NULL)
				coord__envelope__free_unpacked(inner, NULL);
			coord__p2p_received__free_unpacked(pr, NULL);
			return;
		}
		coord__envelope__free_unpacked(inner, NULL);
		inner = env_open(pr->envelope.data, pr->envelope.len,
		    &o->svc.trust, why, sizeof(why));
		if (inner == NULL) {
			snprintf(reason, sizeof(reason), "Instruction relayed "
			    "from validator %s: %s", pr->validator, why);
			svc_dlq(&o->svc, &i->m, reason);
			coord__p2p_received__free_unpacked(pr, NULL);
			return;
		}
		/* sealed by one of that validator's services */
		if (strncmp(inner->from, pr->validator,
		    strlen(pr->validator)) != 0 ||
		    inner->from[strlen(pr->validator)] != '.') {
			snprintf(reason, sizeof(reason), "Instruction relayed "
			    "from validator %s is sealed by %s", pr->validator,
			    inner->from);
			svc_dlq(&o->svc, &i->m, reason);
			env_free(inner);
			coord__p2p_received__free_unpacked(pr, NULL);
			return;
		}
		snprintf(i->origin, sizeof(i->origin), "%s", pr->validator);
		coord__p2p_received__free_unpacked(pr, NULL);
		ie = inner;
	} else if (i->env->type != COORD__MSG_TYPE__INSTRUCTION)
		return;
	else
		snprintf(i->origin, sizeof(i->origin), "%s", i->env->from);
	memcpy(i->intent, ie->intent.data, ENV_INTENTLEN);
	ins = coord__instruction__unpack(NULL, ie->body.len, ie->body.data);
	env_free(inner);
	if (ins == NULL) {
		svc_dlq(&o->svc, &i->m, "Instruction: bad body");
		return;
	}
	if (ins->origin != NULL && ins->origin[0] != '\0' &&
	    i->origin[0] == '\0')
		snprintf(i->origin, sizeof(i->origin), "%s", ins->origin);
	if (dedupe_check(o->sub.seen, i->intent)) {
		o->sub.n_skipped++;
		log_debug("instruction from %s already handled", i->origin);
		coord__instruction__free_unpacked(ins, NULL);
		return;
	}
	i->state = INS_PENDING;
	if (ins->extrinsic.len == 0) {
		finish(i, 0, 0, "empty extrinsic");
		svc_dlq(&o->svc, &i->m, "Instruction: empty extrinsic");
		o->sub.n_failed++;
	} else if ((i->xt = malloc(ins->extrinsic.len)) == NULL) {
		finish(i, 0, 0, "out of memory");
		o->sub.n_failed++;
	} else {
		memcpy(i->xt, ins->extrinsic.data, ins->extrinsic.len);
		i->xtlen = ins->extrinsic.len;
		crypto_generichash(i->tx_hash, 32, i->xt, i->xtlen, NULL, 0);
	}
	coord__instruction__free_unpacked(ins, NULL);
}

void
sub_take(struct obs *o, struct bus_msg *m, Coord__Envelope *e)
{
	struct ins *i;

	if ((i = calloc(1, sizeof(*i))) == NULL)
		fatal(EX_TEMP, "calloc");
	i->m = *m;
	i->env = e;
	memset(m, 0, sizeof(*m));
	if (e != NULL)
		classify(o, i);
	else
		i->state = INS_SKIP;	/* rejected or a duplicate */
	TAILQ_INSERT_TAIL(&o->sub.q, i, entry);
	o->sub.n++;
}

/* The node's errors that are a verdict on the extrinsic, not a hiccup. */
static int
refused(long code)
{
	switch (code) {
	case -32602:	/* invalid params (not hex, ...) */
	case 1001:	/* extrinsic has invalid format */
	case 1002:	/* verification error */
	case 1010:	/* invalid transaction */
	case 1011:	/* unknown validity */
	case 1015:	/* cycle detected */
	case 1017:	/* unsupported */
		return 1;
	default:
		return 0;
	}
}

int
sub_run(struct obs *o, uint64_t now)
{
	struct submitter	*u = &o->sub;
	struct ins		*i = TAILQ_FIRST(&u->q);
	struct rpc_error	 e;
	cJSON			*p, *r;
	char			*hex, reason[640], nh[67], mh[67];
	uint8_t			 got[32];
	uint64_t		 back;

	if (i == NULL || i->state != INS_PENDING || i->next_try > now)
		return SCAN_OK;
	if ((hex = malloc(2 * i->xtlen + 3)) == NULL)
		fatal(EX_TEMP, "malloc");
	hex_encode0x(i->xt, i->xtlen, hex);
	p = cJSON_CreateArray();
	cJSON_AddItemToArray(p, cJSON_CreateString(hex));
	free(hex);
	i->attempts++;
	r = rpc_call(u->rpc, "author_submitExtrinsic", p, &e);
	if (r != NULL) {
		if (!cJSON_IsString(r) || hex_decode(r->valuestring, got,
		    32) == -1) {
			log_warnx("instruction from %s: the node accepted it "
			    "but answered no hash", i->origin);
		} else if (memcmp(got, i->tx_hash, 32) != 0) {
			hex_encode0x(got, 32, nh);
			hex_encode0x(i->tx_hash, 32, mh);
			log_warnx("instruction from %s: the node says hash %s, "
			    "we computed %s", i->origin, nh, mh);
			memcpy(i->tx_hash, got, 32);
		}
		cJSON_Delete(r);
		hex_encode0x(i->tx_hash, 32, mh);
		log_info("instruction from %s submitted: %s (%zu bytes)",
		    i->origin, mh, i->xtlen);
		finish(i, 1, 0, NULL);
		u->n_ok++;
		return SCAN_OK;
	}
	if (e.kind == RPC_ERR_CANCELLED) {
		i->attempts--;
		return SCAN_STOP;
	}
	if (e.kind == RPC_ERR_SERVER && (e.code == 1013 || e.code == 1012)) {
		log_info("instruction from %s: %s", i->origin, e.code == 1013 ?
		    "already in the node's pool" : "already in a block (the "
		    "node says temporarily banned)");
		finish(i, 1, e.code, e.msg);
		u->n_ok++;
		return SCAN_OK;
	}
	snprintf(u->last_error, sizeof(u->last_error), "%s", e.msg);
	if (e.kind == RPC_ERR_SERVER && (refused(e.code) ||
	    i->attempts >= SUB_MAX_ATTEMPTS)) {
		snprintf(reason, sizeof(reason), "the node refused the "
		    "instruction from %s: error %ld: %s%s", i->origin, e.code,
		    e.msg, refused(e.code) ? "" : " (gave up after "
		    "repeated transient errors)");
		log_warnx("%s", reason);
		finish(i, 0, e.code, e.msg);
		svc_dlq(&o->svc, &i->m, reason);
		u->n_failed++;
		return SCAN_OK;
	}
	/* transient: the network, the node's hiccups */
	back = 250ull << (i->attempts < 7 ? i->attempts : 7);
	if (back > 30000)
		back = 30000;
	i->next_try = now + back;
	u->n_retries++;
	log_warnx("instruction from %s: %s%s (attempt %d; again in %" PRIu64
	    " ms)", i->origin, e.kind == RPC_ERR_SERVER ? "node error: " : "",
	    e.msg, i->attempts, back);
	return SCAN_OK;
}

/*
 * In the open transaction: the results of the finished items at the head
 * and their offsets.  Returns how many items; *failed set on a produce
 * error (err).
 */
size_t
sub_publish(struct obs *o, char *err, size_t errlen, int *failed)
{
	Coord__InstructionResult ir;
	struct env_intent	 in;
	struct ins		*i;
	uint8_t			 intent[ENV_INTENTLEN];
	size_t			 n = 0;

	*failed = 0;
	TAILQ_FOREACH(i, &o->sub.q, entry) {
		if (i->state == INS_PENDING)
			break;
		if (i->has_result) {
			coord__instruction_result__init(&ir);
			ir.instruction_intent.data = i->intent;
			ir.instruction_intent.len = ENV_INTENTLEN;
			ir.ok = i->ok;
			if (i->xtlen > 0) {
				ir.tx_hash.data = i->tx_hash;
				ir.tx_hash.len = 32;
			}
			ir.code = i->code;
			ir.error = i->error;
			env_intent_init(&in,
			    COORD__MSG_TYPE__INSTRUCTION_RESULT);
			env_intent_add(&in, i->intent, ENV_INTENTLEN);
			env_intent_final(&in, intent);
			if (svc_send(&o->svc, TOPIC_SERAI_OBSERVATION,
			    COORD__MSG_TYPE__INSTRUCTION_RESULT, intent, "",
			    &ir.base, err, errlen) == -1) {
				*failed = 1;
				return n;
			}
		}
		obs_note_done(o, &i->m);
		n++;
	}
	return n;
}

void
sub_release(struct obs *o, size_t n)
{
	struct ins *i;

	while (n-- > 0 && (i = TAILQ_FIRST(&o->sub.q)) != NULL) {
		TAILQ_REMOVE(&o->sub.q, i, entry);
		o->sub.n--;
		env_free(i->env);
		bus_release(o->svc.bus, &i->m);
		free(i->xt);
		free(i);
	}
}

/*
 * scan: finalized blocks from the Serai node's JSON-RPC, in order, each
 * checked and decoded whole before anything of it is published.
 *
 * A block is taken only if it is not above the finalized head and
 * chain_getBlockHash(number) names it (SERAI.md (d) 9); its header must
 * hash (BLAKE2b-256 of its SCALE form) to that hash and name the previous
 * block's hash as its parent.  A break in that chain halts the scan: the
 * observer keeps running, says why on every channel it has, and re-checks
 * at the polling interval; nothing past the last good block is published.
 *
 * Catching up: per batch of up to batch_blocks blocks, one JSON-RPC batch
 * of chain_getBlockHash, then one of chain_getHeader, the System.Events
 * and Timestamp.Now storage of each block and the runtime version at the
 * last, then, for each block with a NewSet among its events, one of
 * ValidatorSets.Participants at that block.  At the tip, a poll is one batch of
 * chain_getFinalizedHead and chain_getBlockHash(next): when they agree
 * the next block is final and named, so fetching it is one more request.
 *
 * Block N's events decode with the metadata of N's parent (the runtime
 * that executed N).  A System.CodeUpdated event in N means the runtime at
 * N is new: its version is read at N and its metadata fetched when needed.
 * The runtime version at the last block of each batch is checked against
 * what we tracked; a change without CodeUpdated makes the batch redo with
 * the version of every block.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "hex.h"
#include "clock.h"
#include "cfg.h"
#include "log.h"
#include "observer/obs.h"

struct breq {
	struct rpc_req	*r;
	size_t		 n, cap;
};

/* One try at a batch of blocks: its requests, their answers, decoding. */
struct fetch {
	uint64_t	  first;	/* the first block's number */
	size_t		  k;		/* blocks */
	int		  careful;	/* read every block's runtime version */
	uint8_t		(*hashes)[32];
	uint32_t	 *vers;		/* careful: each block's runtime */
	struct breq	  ha;		/* chain_getBlockHash each */
	struct breq	  hb;		/* the blocks, per requests each */
	size_t		  per;
	int		  has_now;	/* the runtime has Timestamp.Now */
	uint32_t	  vspec;	/* not careful: the runtime at the last */
	uint8_t		  prev[32];	/* decoding: the parent's hash, */
	int		  have_prev;
	uint32_t	  dspec;	/* and runtime */
};

/* fetch_try: the runtime at the last block is not the one tracked. */
#define FETCH_CAREFUL	1

static int	 breq_add(struct breq *, const char *, cJSON *);
static void	 breq_free(struct breq *);
static int	 breq_run(struct scan *, struct breq *, const char *, char *,
		    size_t);
static int	 call_result(struct scan *, struct rpc_req *, const char *,
		    char *, size_t);
static cJSON	*params_hash(const uint8_t *);
static cJSON	*params_num(uint64_t);
static int	 json_hash(const cJSON *, uint8_t *);
static int	 json_hexnum(const cJSON *, uint64_t *);
static int	 json_bytes(const cJSON *, uint8_t **, size_t *);
static int	 version_of(const cJSON *, uint32_t *);
static int	 get_version(struct scan *, const uint8_t *, uint32_t *, char *,
		    size_t);
static struct obs_meta *meta_get(struct scan *, uint32_t, const uint8_t *,
		    int *, char *, size_t);
static int	 header_check(const cJSON *, uint64_t, const uint8_t *,
		    struct obs_block *, char *, size_t);
static int	 decode_events(struct scan *, struct obs_meta *,
		    struct obs_block *, const uint8_t *, size_t, char *,
		    size_t);
static int	 read_participants(struct scan *, struct obs_meta *,
		    struct obs_block *, size_t, char *, size_t);
static int	 parts_parse(const cJSON *, struct obs_event *, char *,
		    size_t);
static int	 fetch(struct scan *, struct obs_block *, size_t, size_t *,
		    char *, size_t);
static int	 fetch_try(struct scan *, struct obs_block *, size_t *, int,
		    size_t *, char *, size_t);
static int	 fetch_hashes(struct scan *, struct fetch *, char *, size_t);
static int	 fetch_add_block(struct scan *, struct fetch *, size_t);
static int	 fetch_bodies(struct scan *, struct fetch *, char *, size_t);
static int	 decode_block(struct scan *, struct fetch *, size_t,
		    struct obs_block *, char *, size_t);
static int	 block_events(struct scan *, struct fetch *, const cJSON *,
		    const cJSON *, struct obs_block *, struct obs_meta **,
		    char *, size_t);
static int	 block_events_again(struct scan *, struct fetch *,
		    const cJSON *, struct obs_block *, struct obs_meta **,
		    const uint8_t *, size_t, char *, size_t);
static int	 block_time(const cJSON *, struct obs_block *, char *, size_t);
static int	 block_spec(struct scan *, struct fetch *, size_t,
		    struct obs_block *, char *, size_t);
static void	 short_hash(const uint8_t *, char *);
static void	 filter_check(const struct scan *, const struct meta *,
		    uint32_t);
static int	 rpc_fail(const struct rpc_error *, const char *, char *,
		    size_t);

/* ------------------------------------------------------------ helpers */

/* "what: node error CODE: message" or "what: message"; the SCAN_ code. */
static int
rpc_fail(const struct rpc_error *e, const char *what, char *err,
    size_t errlen)
{
	if (e->kind == RPC_ERR_SERVER)
		snprintf(err, errlen, "%s: node error %ld: %s", what, e->code,
		    e->msg);
	else
		snprintf(err, errlen, "%s: %s", what, e->msg);
	return e->kind == RPC_ERR_CANCELLED ? SCAN_STOP : SCAN_RETRY;
}

static void
short_hash(const uint8_t *h, char *out)
{
	char full[67];

	hex_encode0x(h, 32, full);
	snprintf(out, 16, "%.10s…", full);
}

static cJSON *
params_hash(const uint8_t *h)
{
	cJSON *a = cJSON_CreateArray();

	if (a != NULL && h != NULL)
		cJSON_AddItemToArray(a, meta_hexjson(h, 32));
	return a;
}

static cJSON *
params_num(uint64_t n)
{
	cJSON *a = cJSON_CreateArray();

	if (a != NULL)
		cJSON_AddItemToArray(a, cJSON_CreateNumber((double)n));
	return a;
}

static int
json_hash(const cJSON *j, uint8_t *out)
{
	if (!cJSON_IsString(j))
		return -1;
	return hex_decode(j->valuestring, out, 32);
}

/* A header's "number": "0x1a" (hex, no padding needed). */
static int
json_hexnum(const cJSON *j, uint64_t *v)
{
	const char	*p;
	int		 d, n = 0;

	if (cJSON_IsNumber(j)) {
		if (j->valuedouble < 0 || j->valuedouble > 9007199254740991.0 ||
		    (double)(uint64_t)j->valuedouble != j->valuedouble)
			return -1;
		*v = (uint64_t)j->valuedouble;
		return 0;
	}
	if (!cJSON_IsString(j) || strncmp(j->valuestring, "0x", 2) != 0)
		return -1;
	*v = 0;
	for (p = j->valuestring + 2; *p != '\0'; p++, n++) {
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			return -1;
		if (*v >> 60)
			return -1;
		*v = *v << 4 | (uint64_t)d;
	}
	return n > 0 ? 0 : -1;
}

/* A hex string into fresh bytes; null is an empty value (*len 0). */
static int
json_bytes(const cJSON *j, uint8_t **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	if (cJSON_IsNull(j))
		return 0;
	if (!cJSON_IsString(j))
		return -1;
	return hex_decode_alloc(j->valuestring, out, len);
}

static int
version_of(const cJSON *v, uint32_t *spec)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(v, "specVersion");

	if (!cJSON_IsNumber(s) || s->valuedouble < 0 ||
	    s->valuedouble > 4294967295.0 ||
	    (double)(uint32_t)s->valuedouble != s->valuedouble)
		return -1;
	*spec = (uint32_t)s->valuedouble;
	return 0;
}

void
obs_blocks_free(struct obs_block *b, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		for (k = 0; k < b[i].nev; k++) {
			free(b[i].ev[k].pallet);
			free(b[i].ev[k].name);
			free(b[i].ev[k].fields_json);
			free(b[i].ev[k].parts);
			serai_event_free(&b[i].ev[k].se);
		}
		free(b[i].ev);
		memset(&b[i], 0, sizeof(b[i]));
	}
}

/* ------------------------------------------------------------ batches */

static int
breq_add(struct breq *b, const char *method, cJSON *params)
{
	struct rpc_req *p;

	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;

		if ((p = reallocarray(b->r, cap, sizeof(*p))) == NULL) {
			cJSON_Delete(params);
			return -1;
		}
		b->r = p;
		b->cap = cap;
	}
	memset(&b->r[b->n], 0, sizeof(b->r[b->n]));
	b->r[b->n].method = method;
	b->r[b->n].params = params;
	b->n++;
	return params != NULL ? 0 : -1;
}

static void
breq_free(struct breq *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		cJSON_Delete(b->r[i].params);
		cJSON_Delete(b->r[i].result);
	}
	free(b->r);
	memset(b, 0, sizeof(*b));
}

/* Send the batch; per-call errors are the caller's (call_result). */
static int
breq_run(struct scan *s, struct breq *b, const char *what, char *err,
    size_t errlen)
{
	struct rpc_error e;

	if (rpc_batch(s->rpc, b->r, b->n, &e) == -1)
		return rpc_fail(&e, what, err, errlen);
	return SCAN_OK;
}

static int
call_result(struct scan *s, struct rpc_req *r, const char *what, char *err,
    size_t errlen)
{
	char w[128];

	(void)s;
	if (r->error.kind == RPC_ERR_NONE)
		return SCAN_OK;
	snprintf(w, sizeof(w), "%s: %s", what, r->method);
	return rpc_fail(&r->error, w, err, errlen);
}

/* ------------------------------------------------------------ setup */

int
scan_init(struct scan *s, const struct app *app, char *err, size_t errlen)
{
	const struct cfg	*cfg = app->cfg;
	char			 ferr[256];
	long long		 b;

	memset(s, 0, sizeof(*s));
	s->timeout_ms = (long)cfg_ms(cfg, "observation", "rpc_timeout");
	if (s->timeout_ms <= 0) {
		snprintf(err, errlen, "%s: rpc_timeout must be positive",
		    cfg_where(cfg, "observation", "rpc_timeout"));
		return -1;
	}
	b = cfg_int(cfg, "observation", "batch_blocks");
	if (b < 1 || b > OBS_MAXBATCH) {
		snprintf(err, errlen, "%s: batch_blocks must be 1 to %d",
		    cfg_where(cfg, "observation", "batch_blocks"),
		    OBS_MAXBATCH);
		return -1;
	}
	s->batch = (size_t)b;
	if (cfg_int(cfg, "observation", "start_block") < 0) {
		snprintf(err, errlen, "%s: start_block must not be negative",
		    cfg_where(cfg, "observation", "start_block"));
		return -1;
	}
	s->next = (uint64_t)cfg_int(cfg, "observation", "start_block");
	if (serai_filter_parse(&s->filter, cfg_str(cfg, "observation",
	    "events"), ferr, sizeof(ferr)) == -1) {
		snprintf(err, errlen, "%s: events: %s",
		    cfg_where(cfg, "observation", "events"), ferr);
		return -1;
	}
	if ((s->rpc = rpc_new(cfg_str(cfg, "observation", "rpc_endpoint"),
	    s->timeout_ms, 3, ferr, sizeof(ferr))) == NULL) {
		snprintf(err, errlen, "%s: rpc_endpoint: %s",
		    cfg_where(cfg, "observation", "rpc_endpoint"), ferr);
		serai_filter_free(&s->filter);
		return -1;
	}
	rpc_set_cancel(s->rpc, obs_cancelled, NULL);
	rpc_set_connect_timeout(s->rpc, s->timeout_ms < 5000 ?
	    s->timeout_ms : 5000);
	meta_storage_key("System", "Events", s->key_events);
	meta_storage_key("Timestamp", "Now", s->key_now);
	meta_storage_key("ValidatorSets", "Participants", s->key_parts);
	pace_init(&s->pace, (uint64_t)cfg_ms(cfg, "observation",
	    "polling_interval"), cfg_bool(cfg, "observation", "adaptive"),
	    clock_mono_ms());
	s->backoff = 0;
	return 0;
}

void
scan_free(struct scan *s)
{
	size_t i;

	for (i = 0; i < OBS_METACACHE; i++)
		if (s->mc[i].used)
			meta_free(&s->mc[i].m);
	serai_filter_free(&s->filter);
	rpc_free(s->rpc);
	s->rpc = NULL;
}

static int
get_version(struct scan *s, const uint8_t *hash, uint32_t *spec, char *err,
    size_t errlen)
{
	struct rpc_error	 e;
	cJSON			*v;
	char			 sh[16], what[64];

	short_hash(hash, sh);
	v = rpc_call(s->rpc, "state_getRuntimeVersion", params_hash(hash), &e);
	if (v == NULL) {
		snprintf(what, sizeof(what), "runtime version at %s", sh);
		return rpc_fail(&e, what, err, errlen);
	}
	if (version_of(v, spec) == -1) {
		snprintf(err, errlen, "runtime version at %s: no specVersion "
		    "in the answer", sh);
		cJSON_Delete(v);
		return SCAN_RETRY;
	}
	cJSON_Delete(v);
	return SCAN_OK;
}

/* The metadata of runtime version spec, fetched at hash if not cached. */
static struct obs_meta *
meta_get(struct scan *s, uint32_t spec, const uint8_t *hash, int *rc,
    char *err, size_t errlen)
{
	struct obs_meta		*slot = NULL;
	struct rpc_error	 e;
	struct meta		 m;
	cJSON			*v;
	uint8_t			*blob;
	size_t			 len, i;
	char			 merr[256], sh[16];

	for (i = 0; i < OBS_METACACHE; i++)
		if (s->mc[i].used && s->mc[i].spec == spec) {
			s->mc[i].lru = ++s->lru;
			*rc = SCAN_OK;
			return &s->mc[i];
		}
	short_hash(hash, sh);
	v = rpc_call(s->rpc, "state_getMetadata", params_hash(hash), &e);
	if (v == NULL) {
		snprintf(merr, sizeof(merr), "metadata at %s", sh);
		*rc = rpc_fail(&e, merr, err, errlen);
		return NULL;
	}
	if (json_bytes(v, &blob, &len) == -1 || len == 0) {
		snprintf(err, errlen, "metadata at %s: not a hex string", sh);
		cJSON_Delete(v);
		*rc = SCAN_RETRY;
		return NULL;
	}
	cJSON_Delete(v);
	if (meta_parse(&m, blob, len, merr, sizeof(merr)) == -1) {
		snprintf(err, errlen, "metadata of runtime %" PRIu32 " at %s: "
		    "%s", spec, sh, merr);
		free(blob);
		*rc = SCAN_RETRY;
		return NULL;
	}
	free(blob);
	if (!m.has_events) {
		snprintf(err, errlen, "metadata of runtime %" PRIu32 " at %s: "
		    "no System.Events storage", spec, sh);
		meta_free(&m);
		*rc = SCAN_RETRY;
		return NULL;
	}
	for (i = 0; i < OBS_METACACHE; i++)
		if (!s->mc[i].used || slot == NULL || s->mc[i].lru < slot->lru)
			if (slot == NULL || slot->used)
				slot = &s->mc[i];
	if (slot->used)
		meta_free(&slot->m);
	slot->m = m;
	slot->spec = spec;
	slot->used = 1;
	slot->lru = ++s->lru;
	log_info("runtime %" PRIu32 ": metadata V%" PRIu32 " read at %s "
	    "(%" PRIu32 " types, %" PRIu32 " pallets)", spec, m.version, sh,
	    m.ntypes, m.npallets);
	filter_check(s, &slot->m, spec);
	*rc = SCAN_OK;
	return slot;
}

/* Say which configured events this runtime does not have (a typo?). */
static void
filter_check(const struct scan *s, const struct meta *m, uint32_t spec)
{
	const struct meta_pallet	*p;
	const struct meta_type		*t;
	const char			*n, *dot;
	char				 pallet[128];
	size_t				 i, k;
	int				 found;

	for (i = 0; i < s->filter.n; i++) {
		n = s->filter.names[i];
		if ((dot = strchr(n, '.')) == NULL ||
		    (size_t)(dot - n) >= sizeof(pallet))
			continue;
		memcpy(pallet, n, (size_t)(dot - n));
		pallet[dot - n] = '\0';
		found = 0;
		if ((p = meta_pallet(m, pallet)) != NULL && p->has_event) {
			if (strcmp(dot + 1, "*") == 0)
				found = 1;
			else if ((t = meta_type(m, p->event)) != NULL &&
			    t->def == META_VARIANT)
				for (k = 0; k < t->nvariants; k++)
					if (strcmp(t->variants[k].name,
					    dot + 1) == 0)
						found = 1;
		}
		if (!found)
			log_warnx("events: runtime %" PRIu32 " has no event %s "
			    "(none will be published for it)", spec, n);
	}
}

int
scan_start(struct scan *s, char *err, size_t errlen)
{
	struct rpc_error	 e;
	struct obs_meta		*om;
	cJSON			*v;
	uint64_t		 at;
	int			 rc;

	if (!s->have_last) {
		/* no cursor hash: the block before next (or next = 0 itself) */
		at = s->next > 0 ? s->next - 1 : 0;
		v = rpc_call(s->rpc, "chain_getBlockHash", params_num(at), &e);
		if (v == NULL) {
			char what[64];

			snprintf(what, sizeof(what), "hash of block %" PRIu64,
			    at);
			return rpc_fail(&e, what, err, errlen);
		}
		if (json_hash(v, s->last_hash) == -1) {
			snprintf(err, errlen, "hash of block %" PRIu64 ": %s",
			    at, cJSON_IsNull(v) ? "the node does not have it "
			    "yet" : "not a hash");
			cJSON_Delete(v);
			return SCAN_RETRY;
		}
		cJSON_Delete(v);
		s->have_last = s->next > 0;
	}
	if ((rc = get_version(s, s->last_hash, &s->spec, err, errlen)) !=
	    SCAN_OK)
		return rc;
	if ((om = meta_get(s, s->spec, s->last_hash, &rc, err, errlen)) ==
	    NULL)
		return rc;
	s->started = 1;
	return SCAN_OK;
}

/* ------------------------------------------------------------ polling */

int
scan_poll(struct scan *s, int *moved, char *err, size_t errlen)
{
	struct breq	 b;
	struct rpc_error e;
	struct obs_block hb;
	cJSON		*h;
	uint8_t		 fh[32], nh[32];
	uint64_t	 t0, t1, num, old = s->fin_num;
	int		 rc, have_nh, had = s->have_fin;

	*moved = 0;
	memset(&b, 0, sizeof(b));
	t0 = clock_mono_ms();
	if (breq_add(&b, "chain_getFinalizedHead", cJSON_CreateArray()) ==
	    -1 || breq_add(&b, "chain_getBlockHash", params_num(s->next)) ==
	    -1) {
		breq_free(&b);
		snprintf(err, errlen, "out of memory");
		return SCAN_RETRY;
	}
	if ((rc = breq_run(s, &b, "poll", err, errlen)) != SCAN_OK ||
	    (rc = call_result(s, &b.r[0], "poll", err, errlen)) != SCAN_OK)
		goto fail;
	if (json_hash(b.r[0].result, fh) == -1) {
		snprintf(err, errlen, "poll: chain_getFinalizedHead: not a "
		    "hash");
		rc = SCAN_RETRY;
		goto fail;
	}
	have_nh = b.r[1].error.kind == RPC_ERR_NONE &&
	    json_hash(b.r[1].result, nh) == 0;
	breq_free(&b);
	t1 = clock_mono_ms();
	if (had && memcmp(fh, s->fin_hash, 32) == 0) {
		pace_polled(&s->pace, t0, t1, s->fin_num, 0);
		s->last_poll_ok = clock_wall_ms();
		return SCAN_OK;
	}
	if (have_nh && memcmp(nh, fh, 32) == 0) {
		/* the next block is the finalized head, and named */
		num = s->next;
	} else {
		h = rpc_call(s->rpc, "chain_getHeader", params_hash(fh), &e);
		if (h == NULL) {
			pace_failed(&s->pace, t0);
			return rpc_fail(&e, "header of the finalized head", err,
			    errlen);
		}
		/* whole, and hashing to the head's hash */
		memset(&hb, 0, sizeof(hb));
		memcpy(hb.hash, fh, 32);
		rc = json_hexnum(cJSON_GetObjectItemCaseSensitive(h, "number"),
		    &num);
		if (rc == 0)
			rc = header_check(h, num, NULL, &hb, err, errlen);
		else
			snprintf(err, errlen, "malformed header");
		cJSON_Delete(h);
		if (rc != 0) {
			char	hold[512];

			snprintf(hold, sizeof(hold), "%s", err);
			snprintf(err, errlen, "header of the finalized head: %s",
			    hold);
			pace_failed(&s->pace, t0);
			return SCAN_RETRY;
		}
	}
	if (had && num < old)
		log_warnx("the node's finalized head went back from %" PRIu64
		    " to %" PRIu64 " (a node restarted from older state?)",
		    old, num);
	memcpy(s->fin_hash, fh, 32);
	s->fin_num = num;
	s->have_fin = 1;
	s->last_poll_ok = clock_wall_ms();
	pace_polled(&s->pace, t0, clock_mono_ms(), num, had ? (num > old ?
	    num - old : 1) : 1);
	*moved = 1;
	return SCAN_OK;
fail:
	breq_free(&b);
	pace_failed(&s->pace, t0);
	return rc;
}

void
scan_failed(struct scan *s, uint64_t now)
{
	s->backoff = s->backoff == 0 ? 250 : s->backoff * 2;
	if (s->backoff > 30000)
		s->backoff = 30000;
	s->retry_at = now + s->backoff / 2 + (uint64_t)randombytes_uniform(
	    (uint32_t)(s->backoff / 2 + 1));
}

void
scan_halt(struct scan *s, const char *why)
{
	uint64_t now = clock_wall_ms();

	if (!s->halted || strcmp(s->halt_reason, why) != 0 ||
	    now - s->halt_logged >= 60000) {
		log_errorx("HALTED at block %" PRIu64 ": %s; nothing past "
		    "block %" PRIu64 " is published until the node serves a "
		    "block %" PRIu64 " that checks out (tried again every "
		    "polling interval)", s->next, why, s->next > 0 ?
		    s->next - 1 : 0, s->next);
		s->halt_logged = now;
	}
	s->halted = 1;
	snprintf(s->halt_reason, sizeof(s->halt_reason), "%s", why);
}

void
scan_advance(struct scan *s, const struct obs_block *b)
{
	s->next = b->number + 1;
	memcpy(s->last_hash, b->hash, 32);
	s->have_last = 1;
	s->spec = b->spec;
	if (s->halted) {
		log_info("block %" PRIu64 " checks out: scanning resumes",
		    b->number);
		s->halted = 0;
		s->halt_reason[0] = '\0';
	}
	s->backoff = 0;
}

/* ------------------------------------------------------------ blocks */

/*
 * The header must be block number, extend parent (if given) and hash to
 * b->hash.  Fills roots and parent.  -1: malformed (retry), -2: it does
 * not fit the chain (halt).
 */
static int
header_check(const cJSON *h, uint64_t number, const uint8_t *parent,
    struct obs_block *b, char *err, size_t errlen)
{
	struct scale_writer	 w;
	const cJSON		*d, *logs, *it;
	uint8_t			 hh[32], *item;
	uint64_t		 num;
	size_t			 nlogs, ilen;
	char			 a[67], c[67];

	if (!cJSON_IsObject(h) || json_hash(cJSON_GetObjectItemCaseSensitive(h,
	    "parentHash"), b->parent) == -1 ||
	    json_hexnum(cJSON_GetObjectItemCaseSensitive(h, "number"), &num) ==
	    -1 || json_hash(cJSON_GetObjectItemCaseSensitive(h, "stateRoot"),
	    b->state_root) == -1 || json_hash(
	    cJSON_GetObjectItemCaseSensitive(h, "extrinsicsRoot"),
	    b->ext_root) == -1) {
		snprintf(err, errlen, "block %" PRIu64 ": malformed header",
		    number);
		return -1;
	}
	d = cJSON_GetObjectItemCaseSensitive(h, "digest");
	logs = cJSON_GetObjectItemCaseSensitive(d, "logs");
	if (!cJSON_IsArray(logs)) {
		snprintf(err, errlen, "block %" PRIu64 ": header without "
		    "digest logs", number);
		return -1;
	}
	if (num != number) {
		snprintf(err, errlen, "block %" PRIu64 ": the node's header "
		    "says it is block %" PRIu64, number, num);
		return -2;
	}
	if (parent != NULL && memcmp(parent, b->parent, 32) != 0) {
		hex_encode0x(parent, 32, a);
		hex_encode0x(b->parent, 32, c);
		snprintf(err, errlen, "parent mismatch: finalized block %"
		    PRIu64 " names parent %s, but block %" PRIu64 " is %s",
		    number, c, number - 1, a);
		return -2;
	}
	scale_writer_init(&w);
	scale_put_raw(&w, b->parent, 32);
	scale_put_compact(&w, number);
	scale_put_raw(&w, b->state_root, 32);
	scale_put_raw(&w, b->ext_root, 32);
	nlogs = (size_t)cJSON_GetArraySize(logs);
	scale_put_compact(&w, nlogs);
	cJSON_ArrayForEach(it, logs) {
		if (json_bytes(it, &item, &ilen) == -1 || ilen == 0) {
			free(item);
			scale_writer_free(&w);
			snprintf(err, errlen, "block %" PRIu64 ": malformed "
			    "digest item", number);
			return -1;
		}
		scale_put_raw(&w, item, ilen);
		free(item);
	}
	if (scale_writer_error(&w) == -1) {
		scale_writer_free(&w);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	crypto_generichash(hh, 32, w.buf, w.len, NULL, 0);
	scale_writer_free(&w);
	if (memcmp(hh, b->hash, 32) != 0) {
		hex_encode0x(b->hash, 32, a);
		hex_encode0x(hh, 32, c);
		snprintf(err, errlen, "block %" PRIu64 ": its header hashes to "
		    "%s, not to %s, the hash the node gave for it", number, c,
		    a);
		return -2;
	}
	return 0;
}

/* Events of interest of one block, decoded and typed. */
static int
decode_events(struct scan *s, struct obs_meta *om, struct obs_block *b,
    const uint8_t *raw, size_t len, char *err, size_t errlen)
{
	struct meta_events	 evs;
	struct meta_event	*e;
	struct obs_event	*o;
	char			 derr[384];
	size_t			 i, n = 0;
	int			 r;

	if (len == 0)
		return 0;		/* no events (null storage) */
	if (meta_decode_events(&om->m, raw, len, serai_filter_match,
	    &s->filter, &evs, derr, sizeof(derr)) == -1) {
		snprintf(err, errlen, "block %" PRIu64 ": events (runtime %"
		    PRIu32 "): %s", b->number, om->spec, derr);
		return -1;
	}
	for (i = 0; i < evs.n; i++) {
		if (strcmp(evs.ev[i].pallet, "System") == 0 &&
		    strcmp(evs.ev[i].name, "CodeUpdated") == 0)
			b->code_updated = 1;
		if (evs.ev[i].fields != NULL)
			n++;
	}
	if (n > 0 && (b->ev = calloc(n, sizeof(*b->ev))) == NULL) {
		meta_events_free(&evs);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < evs.n; i++) {
		e = &evs.ev[i];
		if (e->fields == NULL)
			continue;
		o = &b->ev[b->nev++];
		o->index = e->index;
		o->pallet = strdup(e->pallet);
		o->name = strdup(e->name);
		o->fields_json = cJSON_PrintUnformatted(e->fields);
		if (o->pallet == NULL || o->name == NULL ||
		    o->fields_json == NULL) {
			meta_events_free(&evs);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		r = serai_event_parse(e, &o->se, derr, sizeof(derr));
		if (r == -1) {
			meta_events_free(&evs);
			snprintf(err, errlen, "block %" PRIu64 ": %s",
			    b->number, derr);
			return -1;
		}
		if (r == 0)
			o->se.kind = SERAI_NONE;
	}
	meta_events_free(&evs);
	return 0;
}

/* [[key, weight], ...] as the generic decoder gives (Public, u64). */
static int
parts_parse(const cJSON *v, struct obs_event *o, char *err, size_t errlen)
{
	const cJSON	*p, *k, *w;
	size_t		 n = 0;
	double		 d;
	char		*end;

	o->has_parts = 1;
	if (cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsArray(v))
		goto bad;
	if ((n = (size_t)cJSON_GetArraySize(v)) == 0)
		return 0;
	if ((o->parts = calloc(n, sizeof(*o->parts))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	cJSON_ArrayForEach(p, v) {
		if (!cJSON_IsArray(p) || cJSON_GetArraySize(p) != 2)
			goto bad;
		k = cJSON_GetArrayItem(p, 0);
		w = cJSON_GetArrayItem(p, 1);
		if (json_hash(k, o->parts[o->nparts].key) == -1)
			goto bad;
		if (cJSON_IsNumber(w)) {
			d = w->valuedouble;
			if (d < 0 || (double)(uint64_t)d != d)
				goto bad;
			o->parts[o->nparts].weight = (uint64_t)d;
		} else if (cJSON_IsString(w)) {
			errno = 0;
			o->parts[o->nparts].weight = strtoull(w->valuestring,
			    &end, 10);
			if (errno != 0 || *end != '\0')
				goto bad;
		} else
			goto bad;
		o->nparts++;
	}
	return 0;
bad:
	snprintf(err, errlen, "ValidatorSets.Participants: not a list of "
	    "(Public, u64)");
	return -1;
}

/* NewSet participants of blocks[0..n), in one batch. */
static int
read_participants(struct scan *s, struct obs_meta *om, struct obs_block *blk,
    size_t n, char *err, size_t errlen)
{
	const struct meta_pallet	*vp;
	const struct meta_storage	*st;
	struct scale_reader		 r;
	struct breq			 b;
	struct obs_event		*o;
	uint8_t				 key[33], *raw;
	size_t				 i, k, j, len;
	cJSON				*a, *val;
	char				 derr[256];
	int				 rc;

	vp = meta_pallet(&om->m, "ValidatorSets");
	st = vp != NULL ? meta_storage(vp, "Participants") : NULL;
	if (st == NULL || st->kind != META_STORAGE_MAP)
		return SCAN_OK;		/* not this runtime: none to read */
	memset(&b, 0, sizeof(b));
	for (i = 0; i < n; i++)
		for (k = 0; k < blk[i].nev; k++) {
			o = &blk[i].ev[k];
			if (o->se.kind != SERAI_NEW_SET)
				continue;
			memcpy(key, s->key_parts, 32);
			key[32] = o->se.set.network;
			a = cJSON_CreateArray();
			if (a != NULL) {
				cJSON_AddItemToArray(a, meta_hexjson(key, 33));
				cJSON_AddItemToArray(a, meta_hexjson(blk[i].hash, 32));
			}
			if (breq_add(&b, "state_getStorage", a) == -1) {
				breq_free(&b);
				snprintf(err, errlen, "out of memory");
				return SCAN_RETRY;
			}
		}
	if (b.n == 0)
		return SCAN_OK;
	if ((rc = breq_run(s, &b, "participants", err, errlen)) != SCAN_OK)
		goto out;
	j = 0;
	for (i = 0; i < n; i++)
		for (k = 0; k < blk[i].nev; k++) {
			o = &blk[i].ev[k];
			if (o->se.kind != SERAI_NEW_SET)
				continue;
			if ((rc = call_result(s, &b.r[j], "participants", err,
			    errlen)) != SCAN_OK)
				goto out;
			if (json_bytes(b.r[j].result, &raw, &len) == -1) {
				snprintf(err, errlen, "block %" PRIu64
				    ": participants: not hex", blk[i].number);
				rc = SCAN_RETRY;
				goto out;
			}
			j++;
			val = NULL;
			if (len > 0) {
				scale_reader_init(&r, raw, len);
				if (meta_decode_value(&om->m, st->value, &r,
				    &val, derr, sizeof(derr)) == -1 ||
				    scale_remaining(&r) != 0) {
					snprintf(err, errlen, "block %" PRIu64
					    ": ValidatorSets.Participants: %s",
					    blk[i].number, r.failed ? r.err :
					    scale_remaining(&r) ? "trailing "
					    "bytes" : derr);
					free(raw);
					cJSON_Delete(val);
					rc = SCAN_HALT;
					goto out;
				}
			} else
				log_warnx("block %" PRIu64 ": NewSet for "
				    "network %u but no participants stored",
				    blk[i].number, o->se.set.network);
			free(raw);
			if (val == NULL)
				o->has_parts = 1;
			else
				rc = parts_parse(val, o, err, errlen);
			cJSON_Delete(val);
			if (rc == -1) {
				rc = SCAN_HALT;
				goto out;
			}
		}
	rc = SCAN_OK;
out:
	breq_free(&b);
	return rc;
}

/* ------------------------------------------------------------ fetching */

/*
 * Block hashes by number, blocks next .. next + f->k - 1; the finalized
 * head's is known.  f->k shrinks to the blocks before one the node does
 * not name (0: none).
 */
static int
fetch_hashes(struct scan *s, struct fetch *f, char *err, size_t errlen)
{
	size_t	 i;
	int	 rc;

	if (f->k == 1 && s->next == s->fin_num) {
		memcpy(f->hashes[0], s->fin_hash, 32);
		return SCAN_OK;
	}
	for (i = 0; i < f->k; i++)
		if (breq_add(&f->ha, "chain_getBlockHash",
		    params_num(s->next + i)) == -1) {
			snprintf(err, errlen, "out of memory");
			return SCAN_RETRY;
		}
	if ((rc = breq_run(s, &f->ha, "block hashes", err, errlen)) !=
	    SCAN_OK)
		return rc;
	for (i = 0; i < f->k; i++) {
		if ((rc = call_result(s, &f->ha.r[i], "block hashes", err,
		    errlen)) != SCAN_OK)
			break;
		if (json_hash(f->ha.r[i].result, f->hashes[i]) == -1) {
			snprintf(err, errlen, "block %" PRIu64 ": %s",
			    s->next + i, cJSON_IsNull(f->ha.r[i].result) ?
			    "chain_getBlockHash says null (not known yet?)" :
			    "chain_getBlockHash: not a hash");
			rc = SCAN_RETRY;
			break;
		}
	}
	if (i == 0) {
		f->k = 0;
		return rc;
	}
	f->k = i;		/* the blocks before a failed one */
	if (s->next + f->k - 1 == s->fin_num &&
	    memcmp(f->hashes[f->k - 1], s->fin_hash, 32) != 0) {
		snprintf(err, errlen, "block %" PRIu64 ": chain_getBlockHash "
		    "does not name the finalized head; polling again",
		    s->fin_num);
		s->have_fin = 0;
		if (--f->k == 0)
			return SCAN_RETRY;
	}
	return SCAN_OK;
}

/*
 * Block i's requests: header, System.Events, Timestamp.Now (if the
 * runtime has it), the runtime version (careful).  -1: out of memory.
 */
static int
fetch_add_block(struct scan *s, struct fetch *f, size_t i)
{
	cJSON	*ev, *tn = NULL;

	if ((ev = cJSON_CreateArray()) != NULL) {
		cJSON_AddItemToArray(ev, meta_hexjson(s->key_events, 32));
		cJSON_AddItemToArray(ev, meta_hexjson(f->hashes[i], 32));
	}
	if (f->has_now && (tn = cJSON_CreateArray()) != NULL) {
		cJSON_AddItemToArray(tn, meta_hexjson(s->key_now, 32));
		cJSON_AddItemToArray(tn, meta_hexjson(f->hashes[i], 32));
	}
	if (breq_add(&f->hb, "chain_getHeader", params_hash(f->hashes[i])) ==
	    -1 || breq_add(&f->hb, "state_getStorage", ev) == -1 ||
	    (f->has_now && breq_add(&f->hb, "state_getStorage", tn) == -1) ||
	    (f->careful && breq_add(&f->hb, "state_getRuntimeVersion",
	    params_hash(f->hashes[i])) == -1))
		return -1;
	return 0;
}

/*
 * The blocks' bodies in one batch (fetch_add_block each) and, unless
 * careful, the runtime version at the last, in f->vspec.
 */
static int
fetch_bodies(struct scan *s, struct fetch *f, char *err, size_t errlen)
{
	const struct meta_pallet	*tp;
	struct obs_meta			*om;
	size_t				 i;
	int				 rc;

	if ((om = meta_get(s, s->spec, s->last_hash, &rc, err, errlen)) ==
	    NULL)
		return rc;
	tp = meta_pallet(&om->m, "Timestamp");
	f->has_now = tp != NULL && meta_storage(tp, "Now") != NULL;
	f->per = 2 + (f->has_now ? 1 : 0) + (f->careful ? 1 : 0);
	for (i = 0; i < f->k; i++)
		if (fetch_add_block(s, f, i) == -1)
			goto oom;
	if (!f->careful && breq_add(&f->hb, "state_getRuntimeVersion",
	    params_hash(f->hashes[f->k - 1])) == -1)
		goto oom;
	if ((rc = breq_run(s, &f->hb, "blocks", err, errlen)) != SCAN_OK)
		return rc;
	if (f->careful)
		return SCAN_OK;
	if ((rc = call_result(s, &f->hb.r[f->hb.n - 1], "blocks", err,
	    errlen)) != SCAN_OK)
		return rc;
	if (version_of(f->hb.r[f->hb.n - 1].result, &f->vspec) == -1) {
		snprintf(err, errlen, "runtime version: no specVersion in the "
		    "answer");
		return SCAN_RETRY;
	}
	return SCAN_OK;
oom:
	snprintf(err, errlen, "out of memory");
	return SCAN_RETRY;
}

/*
 * A block whose events do not decode with its parent's runtime as we
 * track it: a runtime upgrade we did not see?  Ask the node for the
 * parent's runtime; if it is another, decode again with that one.
 */
static int
block_events_again(struct scan *s, struct fetch *f, const cJSON *header,
    struct obs_block *b, struct obs_meta **om, const uint8_t *raw,
    size_t len, char *err, size_t errlen)
{
	uint64_t	 number = b->number;
	uint32_t	 pspec;
	char		 verr[256];
	int		 r;

	obs_blocks_free(b, 1);
	b->number = number;
	memcpy(b->hash, f->hashes[number - f->first], 32);
	if (header_check(header, b->number, f->have_prev ? f->prev : NULL, b,
	    verr, sizeof(verr)) != 0 || get_version(s, f->have_prev ?
	    f->prev : b->hash, &pspec, verr, sizeof(verr)) != SCAN_OK)
		return SCAN_RETRY;
	if (pspec == f->dspec)
		return SCAN_HALT;
	log_warnx("block %" PRIu64 ": decoded with runtime %" PRIu32 " but "
	    "its parent runs %" PRIu32 "; decoding again", b->number,
	    f->dspec, pspec);
	f->dspec = pspec;
	if ((*om = meta_get(s, f->dspec, f->have_prev ? f->prev : b->hash, &r,
	    err, errlen)) == NULL)
		return r;
	if (decode_events(s, *om, b, raw, len, err, errlen) == -1)
		return SCAN_HALT;
	return SCAN_OK;
}

/* The block's events, with the runtime that executed it: its parent's. */
static int
block_events(struct scan *s, struct fetch *f, const cJSON *header,
    const cJSON *events, struct obs_block *b, struct obs_meta **om,
    char *err, size_t errlen)
{
	uint8_t	*raw;
	size_t	 len;
	int	 rc = SCAN_OK;

	if ((*om = meta_get(s, f->dspec, f->have_prev ? f->prev : b->hash,
	    &rc, err, errlen)) == NULL)
		return rc;
	if (json_bytes(events, &raw, &len) == -1) {
		snprintf(err, errlen, "block %" PRIu64 ": System.Events: not "
		    "hex", b->number);
		return SCAN_RETRY;
	}
	rc = SCAN_OK;
	if (decode_events(s, *om, b, raw, len, err, errlen) == -1)
		rc = block_events_again(s, f, header, b, om, raw, len, err,
		    errlen);
	free(raw);
	return rc;
}

/* Timestamp.Now: a little-endian u64, or nothing. */
static int
block_time(const cJSON *v, struct obs_block *b, char *err, size_t errlen)
{
	uint8_t	*raw;
	size_t	 len, j;

	if (json_bytes(v, &raw, &len) == -1 || (len != 0 && len != 8)) {
		free(raw);
		snprintf(err, errlen, "block %" PRIu64 ": Timestamp.Now: not a "
		    "u64", b->number);
		return SCAN_RETRY;
	}
	for (j = len; j-- > 0;)
		b->time_ms = b->time_ms << 8 | raw[j];
	free(raw);
	return SCAN_OK;
}

/*
 * The runtime at block i: as read (careful), or its parent's, or asked
 * for when the block says System.CodeUpdated.
 */
static int
block_spec(struct scan *s, struct fetch *f, size_t i, struct obs_block *b,
    char *err, size_t errlen)
{
	char	 sh[16];
	int	 rc;

	b->spec = f->dspec;
	if (f->careful)
		b->spec = f->vers[i];
	else if (b->code_updated && (rc = get_version(s, b->hash, &b->spec,
	    err, errlen)) != SCAN_OK)
		return rc;
	if (b->spec != f->dspec) {
		short_hash(b->hash, sh);
		log_info("runtime upgrade in block %" PRIu64 " (%s): "
		    "spec_version %" PRIu32 " -> %" PRIu32, b->number, sh,
		    f->dspec, b->spec);
		s->nupgrades++;
	}
	return SCAN_OK;
}

/*
 * Block i from its answers: checked against its hash and its parent,
 * decoded, timed, its runtime known, its NewSets' participants read.
 */
static int
decode_block(struct scan *s, struct fetch *f, size_t i, struct obs_block *b,
    char *err, size_t errlen)
{
	struct rpc_req	*rq = &f->hb.r[i * f->per];
	struct obs_meta	*om;
	size_t		 j;
	int		 r, rc;

	memset(b, 0, sizeof(*b));
	b->number = f->first + i;
	memcpy(b->hash, f->hashes[i], 32);
	for (j = 0; j < f->per; j++)
		if ((rc = call_result(s, &rq[j], "blocks", err, errlen)) !=
		    SCAN_OK)
			return rc;
	if (f->careful && version_of(rq[f->per - 1].result, &f->vers[i]) ==
	    -1) {
		snprintf(err, errlen, "block %" PRIu64 ": runtime version: no "
		    "specVersion", b->number);
		return SCAN_RETRY;
	}
	if (cJSON_IsNull(rq[0].result)) {
		snprintf(err, errlen, "block %" PRIu64 ": chain_getHeader says "
		    "null", b->number);
		return SCAN_RETRY;
	}
	r = header_check(rq[0].result, b->number, f->have_prev ? f->prev :
	    NULL, b, err, errlen);
	if (r != 0)
		return r == -2 ? SCAN_HALT : SCAN_RETRY;
	if ((rc = block_events(s, f, rq[0].result, rq[1].result, b, &om, err,
	    errlen)) != SCAN_OK)
		return rc;
	if (f->has_now && (rc = block_time(rq[2].result, b, err, errlen)) !=
	    SCAN_OK)
		return rc;
	if ((rc = block_spec(s, f, i, b, err, errlen)) != SCAN_OK)
		return rc;
	f->dspec = b->spec;
	memcpy(f->prev, b->hash, 32);
	f->have_prev = 1;
	return read_participants(s, om, b, 1, err, errlen);
}

/*
 * One try at a batch: blocks next .. (at most *max, and the finalized
 * head) in out, *nout of them good.  FETCH_CAREFUL: the runtime at the
 * last block is not the one tracked; nothing is kept and *max is the
 * batch to fetch again, careful.
 */
static int
fetch_try(struct scan *s, struct obs_block *out, size_t *max, int careful,
    size_t *nout, char *err, size_t errlen)
{
	struct fetch	 f;
	size_t		 i;
	int		 rc;

	*nout = 0;
	memset(&f, 0, sizeof(f));
	f.careful = careful;
	f.first = s->next;
	f.k = s->fin_num - s->next + 1;
	if (f.k > *max)
		f.k = *max;
	if ((f.hashes = calloc(f.k, 32)) == NULL ||
	    (f.vers = calloc(f.k, sizeof(*f.vers))) == NULL) {
		snprintf(err, errlen, "out of memory");
		rc = SCAN_RETRY;
		goto out;
	}
	if ((rc = fetch_hashes(s, &f, err, errlen)) != SCAN_OK || f.k == 0 ||
	    (rc = fetch_bodies(s, &f, err, errlen)) != SCAN_OK)
		goto out;

	/* decode, block by block, in order */
	memcpy(f.prev, s->last_hash, 32);
	f.have_prev = s->have_last;
	f.dspec = s->spec;
	for (i = 0; i < f.k; i++)
		if ((rc = decode_block(s, &f, i, &out[i], err, errlen)) !=
		    SCAN_OK) {
			obs_blocks_free(&out[i], 1);
			*nout = i;
			goto out;
		}
	if (!careful && out[f.k - 1].spec != f.vspec) {
		log_warnx("blocks %" PRIu64 "-%" PRIu64 ": the runtime at the "
		    "last is %" PRIu32 ", not %" PRIu32 " as tracked (an "
		    "upgrade without System.CodeUpdated?); reading every "
		    "block's version", s->next, s->next + f.k - 1, f.vspec,
		    out[f.k - 1].spec);
		obs_blocks_free(out, f.k);
		*max = f.k;
		rc = FETCH_CAREFUL;
		goto out;
	}
	*nout = f.k;
out:
	breq_free(&f.ha);
	breq_free(&f.hb);
	free(f.hashes);
	free(f.vers);
	return rc;
}

/*
 * A batch of blocks from next, at most max: tried once reading the
 * runtime version at the last block only; if that is not the runtime
 * tracked (an upgrade without System.CodeUpdated), once more, careful:
 * the version of every block is read.
 */
static int
fetch(struct scan *s, struct obs_block *out, size_t max, size_t *nout,
    char *err, size_t errlen)
{
	int	 careful, rc = SCAN_OK;

	for (careful = 0; careful <= 1; careful++)
		if ((rc = fetch_try(s, out, &max, careful, nout, err,
		    errlen)) != FETCH_CAREFUL)
			break;
	return rc;
}

int
scan_fetch(struct scan *s, struct obs_block *out, size_t max, size_t *n,
    char *err, size_t errlen)
{
	size_t i;
	int rc;

	if (!s->started || !s->have_fin || s->next > s->fin_num) {
		*n = 0;
		return SCAN_OK;
	}
	rc = fetch(s, out, max < s->batch ? max : s->batch, n, err, errlen);
	for (i = 0; i < *n; i++) {
		s->nevents += out[i].nev;
		pace_timestamp(&s->pace, out[i].number, out[i].time_ms);
	}
	return rc;
}

/*
 * publish: the observer's messages, and its cursor read back at start.
 *
 * serai-observation, per block: a BlockUpdate (intent: number, hash), then
 * one SeraiEvent per event of interest (intent: block hash, event index).
 * coordinator-state: an ObserverCursor (intent: service id, next block,
 * last hash) after the blocks of a transaction.  main.c wraps each batch
 * of blocks, the instruction results due and the consumed offsets in one
 * Kafka transaction.
 *
 * cursor_read runs after the transactional producer is up (its
 * init_transactions fenced any older observer with the same
 * transactional.id and aborted its open transaction): it reads
 * coordinator-state from the beginning to its end with read_committed
 * isolation and keeps the last cursor sealed by our own service id.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>	/* RD_KAFKA_OFFSET_BEGINNING */

#include "clock.h"
#include "cfg.h"
#include "log.h"
#include "observer/obs.h"

/* The typed part of a SeraiEvent and the storage it points into. */
struct ev_body {
	Coord__ValidatorSet	 vs;
	Coord__NewSet		 ns;
	Coord__KeyGen		 kg;
	Coord__AcceptedHandover	 ah;
	Coord__SetRetired	 sr;
	Coord__Batch		 ba;
	Coord__BurnWithInstruction bw;
	Coord__Participant	*pv, **pp;
};

static int	 pub_update(struct obs *, const struct obs_block *, char *,
		    size_t);
static int	 pub_event(struct obs *, const struct obs_block *,
		    const struct obs_event *, char *, size_t);
static int	 ev_typed(Coord__SeraiEvent *, struct ev_body *,
		    const struct obs_event *);
static int	 ev_new_set(Coord__SeraiEvent *, struct ev_body *,
		    const struct obs_event *);
static void	 ev_batch(Coord__SeraiEvent *, struct ev_body *,
		    const struct obs_event *);
static void	 ev_burn(Coord__SeraiEvent *, struct ev_body *,
		    const struct obs_event *);

/* ------------------------------------------------------------ messages */

/* A block: its BlockUpdate, then a SeraiEvent per event of interest. */
int
pub_block(struct obs *o, const struct obs_block *b, char *err, size_t errlen)
{
	size_t	 i;

	if (pub_update(o, b, err, errlen) == -1)
		return -1;
	for (i = 0; i < b->nev; i++)
		if (pub_event(o, b, &b->ev[i], err, errlen) == -1)
			return -1;
	return 0;
}

static int
pub_update(struct obs *o, const struct obs_block *b, char *err,
    size_t errlen)
{
	Coord__BlockUpdate	 bu = COORD__BLOCK_UPDATE__INIT;
	struct env_intent	 in;
	uint8_t			 intent[ENV_INTENTLEN];

	bu.number = b->number;
	bu.hash.data = (uint8_t *)(uintptr_t)b->hash;
	bu.hash.len = 32;
	bu.parent_hash.data = (uint8_t *)(uintptr_t)b->parent;
	bu.parent_hash.len = 32;
	bu.state_root.data = (uint8_t *)(uintptr_t)b->state_root;
	bu.state_root.len = 32;
	bu.extrinsics_root.data = (uint8_t *)(uintptr_t)b->ext_root;
	bu.extrinsics_root.len = 32;
	bu.time_ms = b->time_ms;
	bu.spec_version = b->spec;
	bu.event_count = (uint32_t)b->nev;
	env_intent_init(&in, COORD__MSG_TYPE__BLOCK_UPDATE);
	env_intent_u64(&in, b->number);
	env_intent_add(&in, b->hash, 32);
	env_intent_final(&in, intent);
	if (svc_send(&o->svc, TOPIC_SERAI_OBSERVATION,
	    COORD__MSG_TYPE__BLOCK_UPDATE, intent, "", &bu.base, err,
	    errlen) == -1)
		return -1;
	o->n_published++;
	return 0;
}

static int
pub_event(struct obs *o, const struct obs_block *b,
    const struct obs_event *e, char *err, size_t errlen)
{
	Coord__SeraiEvent	 se;
	struct ev_body		 eb;
	struct env_intent	 in;
	uint8_t			 intent[ENV_INTENTLEN];
	int			 rc;

	coord__serai_event__init(&se);
	se.block_number = b->number;
	se.block_hash.data = (uint8_t *)(uintptr_t)b->hash;
	se.block_hash.len = 32;
	se.event_index = e->index;
	se.pallet = e->pallet;
	se.name = e->name;
	se.fields_json = e->fields_json;
	if (ev_typed(&se, &eb, e) == -1) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	env_intent_init(&in, COORD__MSG_TYPE__SERAI_EVENT);
	env_intent_add(&in, b->hash, 32);
	env_intent_u64(&in, e->index);
	env_intent_final(&in, intent);
	rc = svc_send(&o->svc, TOPIC_SERAI_OBSERVATION,
	    COORD__MSG_TYPE__SERAI_EVENT, intent, "", &se.base, err, errlen);
	free(eb.pv);
	free(eb.pp);
	if (rc == -1)
		return -1;
	o->n_published++;
	return 0;
}

/* The event's typed oneof, by its kind; -1: out of memory. */
static int
ev_typed(Coord__SeraiEvent *se, struct ev_body *eb, const struct obs_event *e)
{
	eb->pv = NULL;
	eb->pp = NULL;
	coord__validator_set__init(&eb->vs);
	eb->vs.session = e->se.set.session;
	eb->vs.network = e->se.set.network;
	switch (e->se.kind) {
	case SERAI_NEW_SET:
		return ev_new_set(se, eb, e);
	case SERAI_KEY_GEN:
		coord__key_gen__init(&eb->kg);
		eb->kg.set = &eb->vs;
		eb->kg.substrate_key.data = (uint8_t *)(uintptr_t)e->se.key;
		eb->kg.substrate_key.len = 32;
		eb->kg.network_key.data = (uint8_t *)(uintptr_t)
		    e->se.external_key;
		eb->kg.network_key.len = e->se.external_key_len;
		se->event_case = COORD__SERAI_EVENT__EVENT_KEY_GEN;
		se->key_gen = &eb->kg;
		break;
	case SERAI_ACCEPTED_HANDOVER:
		coord__accepted_handover__init(&eb->ah);
		eb->ah.set = &eb->vs;
		se->event_case = COORD__SERAI_EVENT__EVENT_ACCEPTED_HANDOVER;
		se->accepted_handover = &eb->ah;
		break;
	case SERAI_SET_RETIRED:
		coord__set_retired__init(&eb->sr);
		eb->sr.set = &eb->vs;
		se->event_case = COORD__SERAI_EVENT__EVENT_SET_RETIRED;
		se->set_retired = &eb->sr;
		break;
	case SERAI_BATCH:
		ev_batch(se, eb, e);
		break;
	case SERAI_BURN_WITH_INSTRUCTION:
		ev_burn(se, eb, e);
		break;
	default:
		break;
	}
	return 0;
}

static int
ev_new_set(Coord__SeraiEvent *se, struct ev_body *eb,
    const struct obs_event *e)
{
	size_t	 k;

	coord__new_set__init(&eb->ns);
	eb->ns.set = &eb->vs;
	if (e->nparts > 0) {
		eb->pv = calloc(e->nparts, sizeof(*eb->pv));
		eb->pp = calloc(e->nparts, sizeof(*eb->pp));
		if (eb->pv == NULL || eb->pp == NULL) {
			free(eb->pv);
			free(eb->pp);
			eb->pv = NULL;
			eb->pp = NULL;
			return -1;
		}
		for (k = 0; k < e->nparts; k++) {
			coord__participant__init(&eb->pv[k]);
			eb->pv[k].key.data = (uint8_t *)(uintptr_t)
			    e->parts[k].key;
			eb->pv[k].key.len = 32;
			eb->pv[k].weight = e->parts[k].weight;
			eb->pp[k] = &eb->pv[k];
		}
		eb->ns.participants = eb->pp;
		eb->ns.n_participants = e->nparts;
	}
	se->event_case = COORD__SERAI_EVENT__EVENT_NEW_SET;
	se->new_set = &eb->ns;
	return 0;
}

static void
ev_batch(Coord__SeraiEvent *se, struct ev_body *eb, const struct obs_event *e)
{
	coord__batch__init(&eb->ba);
	eb->ba.network = e->se.network;
	eb->ba.id = e->se.batch_id;
	eb->ba.block.data = (uint8_t *)(uintptr_t)e->se.block;
	eb->ba.block.len = 32;
	eb->ba.instructions_hash.data = (uint8_t *)(uintptr_t)
	    e->se.instructions_hash;
	eb->ba.instructions_hash.len = 32;
	se->event_case = COORD__SERAI_EVENT__EVENT_BATCH;
	se->batch = &eb->ba;
}

static void
ev_burn(Coord__SeraiEvent *se, struct ev_body *eb, const struct obs_event *e)
{
	coord__burn_with_instruction__init(&eb->bw);
	eb->bw.from.data = (uint8_t *)(uintptr_t)e->se.from;
	eb->bw.from.len = 32;
	eb->bw.address.data = e->se.address;
	eb->bw.address.len = e->se.address_len;
	eb->bw.has_data = e->se.has_data;
	eb->bw.data.data = e->se.data;
	eb->bw.data.len = e->se.data_len;
	eb->bw.coin = e->se.coin;
	eb->bw.amount = e->se.amount;
	se->event_case = COORD__SERAI_EVENT__EVENT_BURN_WITH_INSTRUCTION;
	se->burn_with_instruction = &eb->bw;
}

int
pub_cursor(struct obs *o, uint64_t next, const uint8_t *last, uint32_t spec,
    char *err, size_t errlen)
{
	Coord__ObserverCursor	 c = COORD__OBSERVER_CURSOR__INIT;
	struct env_intent	 in;
	uint8_t			 intent[ENV_INTENTLEN];

	c.next_block = next;
	c.last_hash.data = (uint8_t *)(uintptr_t)last;
	c.last_hash.len = last != NULL ? 32 : 0;
	c.spec_version = spec;
	env_intent_init(&in, COORD__MSG_TYPE__OBSERVER_CURSOR);
	env_intent_str(&in, o->svc.id);
	env_intent_u64(&in, next);
	if (last != NULL)
		env_intent_add(&in, last, 32);
	env_intent_final(&in, intent);
	return svc_send(&o->svc, TOPIC_COORDINATOR_STATE,
	    COORD__MSG_TYPE__OBSERVER_CURSOR, intent, "", &c.base, err, errlen);
}

/* ------------------------------------------------------------ cursor */

int
cursor_read(const struct app *app, const struct svc *svc,
    struct obs_cursor *cur, int timeout_ms, char *err, size_t errlen)
{
	Coord__ObserverCursor	*oc;
	Coord__Envelope		*e;
	struct bus_reader	*r;
	struct bus_msg		 m;
	const char		*topic;
	char			 key[160], why[256];
	struct timespec		 ts = { 0, 100 * 1000 * 1000 };
	uint64_t		 deadline;
	int32_t			*ids = NULL, *parts = NULL;
	int64_t			*offs = NULL, lo, hi;
	size_t			 klen, i, n, npart = 0, neof = 0;
	long long		 nrec = 0, nours = 0;
	int			 k, rc = -1;

	memset(cur, 0, sizeof(*cur));
	cur->offset = -1;
	topic = cfg_str(app->cfg, "topics", "coordinator_state");
	snprintf(key, sizeof(key), "%s>", svc->id);
	klen = strlen(key);
	deadline = clock_mono_ms() + (uint64_t)timeout_ms;
	if ((r = bus_reader_open(app, topic, err, errlen)) == NULL)
		return -1;
	/* One metadata request per try (timeout 0), to see a cancel. */
	while (bus_reader_partitions(r, &ids, &n, 0, err, errlen) == -1) {
		if (clock_mono_ms() >= deadline || obs_cancelled(NULL))
			goto out;
		nanosleep(&ts, NULL);
	}
	if (n == 0) {
		log_info("%s does not exist yet: no cursor", topic);
		rc = 0;
		goto out;
	}
	if ((parts = calloc(n, sizeof(*parts))) == NULL ||
	    (offs = calloc(n, sizeof(*offs))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		/* a new topic's leader may not be known yet: retry */
		while (bus_reader_watermarks(r, ids[i], &lo, &hi, 10000, err,
		    errlen) == -1) {
			if (clock_mono_ms() >= deadline || obs_cancelled(NULL))
				goto out;
			log_info("%s (again)", err);
			nanosleep(&ts, NULL);
		}
		if (hi > lo) {
			parts[npart] = ids[i];
			offs[npart++] = RD_KAFKA_OFFSET_BEGINNING;
		}
	}
	if (npart == 0) {
		rc = 0;
		goto out;
	}
	if (bus_reader_assign(r, parts, offs, npart, err, errlen) == -1)
		goto out;
	while (neof < npart) {
		if (clock_mono_ms() >= deadline) {
			snprintf(err, errlen, "%s: not read to its end in %d "
			    "ms", topic, timeout_ms);
			goto out;
		}
		if (obs_cancelled(NULL)) {
			snprintf(err, errlen, "cancelled");
			goto out;
		}
		k = bus_reader_poll(r, &m, 100, err, errlen);
		if (k == 2)
			neof++;
		if (k == -1)
			log_warnx("%s", err);
		if (k != 1)
			continue;
		nrec++;
		if (m.keylen != klen || memcmp(m.key, key, klen) != 0) {
			bus_release(NULL, &m);
			continue;
		}
		e = env_open(m.val, m.len, &svc->trust, why, sizeof(why));
		if (e == NULL || e->type != COORD__MSG_TYPE__OBSERVER_CURSOR ||
		    strcmp(e->from, svc->id) != 0) {
			if (e == NULL)
				log_warnx("%s[%d]@%lld: not a cursor of ours: "
				    "%s", topic, (int)m.partition,
				    (long long)m.offset, why);
			env_free(e);
			bus_release(NULL, &m);
			continue;
		}
		oc = coord__observer_cursor__unpack(NULL, e->body.len,
		    e->body.data);
		if (oc == NULL || (oc->last_hash.len != 0 &&
		    oc->last_hash.len != 32)) {
			log_warnx("%s[%d]@%lld: a malformed cursor; ignored",
			    topic, (int)m.partition, (long long)m.offset);
		} else {
			nours++;
			cur->found = 1;
			cur->next = oc->next_block;
			cur->has_hash = oc->last_hash.len == 32;
			if (cur->has_hash)
				memcpy(cur->last_hash, oc->last_hash.data, 32);
			cur->spec = oc->spec_version;
			cur->offset = m.offset;
		}
		if (oc != NULL)
			coord__observer_cursor__free_unpacked(oc, NULL);
		env_free(e);
		bus_release(NULL, &m);
	}
	log_info("%s: %lld record(s) read, %lld cursor(s) of %s", topic, nrec,
	    nours, svc->id);
	rc = 0;
out:
	free(ids);
	free(parts);
	free(offs);
	bus_reader_close(r);
	return rc;
}

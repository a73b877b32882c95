/* state: see state.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "envelope.h"
#include "state.h"

static size_t	 sess_hash(const struct sstate *, const uint8_t *);
static int	 grow(struct sstate *);
static int	 pos_insert(size_t **, size_t *, size_t);
static int	 pos_has(const size_t *, size_t, size_t);
static int	 parse_hexkey(const char *, size_t, const char *, uint8_t *);
static int	 set_from_pb(const Coord__SetState *, struct sset **, char *,
		    size_t);
static int	 sess_from_pb(const Coord__SessionState *, struct ssess **,
		    char *, size_t);
static int	 early_from_pb(const Coord__EarlyMessage *, struct searly *,
		    char *, size_t);
static int	 hold_from_pb(const Coord__HeldRequest *, struct shold *,
		    char *, size_t);
static int	 copy_hash(uint8_t *, const ProtobufCBinaryData *);
static void	 early_clear(struct searly *);

void
state_init(struct sstate *st)
{
	memset(st, 0, sizeof(*st));
}

void
state_free(struct sstate *st)
{
	struct ssess *s, *n;
	size_t i;

	for (i = 0; i < st->nset; i++)
		state_set_free(st->set[i]);
	free(st->set);
	for (i = 0; i < st->nbucket; i++)
		for (s = st->bucket[i]; s != NULL; s = n) {
			n = s->next;
			state_sess_free(s);
		}
	free(st->bucket);
	for (i = 0; i < st->nearly; i++)
		early_clear(&st->early[i]);
	free(st->early);
	for (i = 0; i < st->nhold; i++)
		state_hold_clear(&st->hold[i]);
	free(st->hold);
	memset(st, 0, sizeof(*st));
}

/* ------------------------------------------------------------ sets */

struct sset *
state_set_find(const struct sstate *st, uint32_t network, uint32_t session)
{
	size_t i;

	for (i = 0; i < st->nset; i++)
		if (st->set[i]->network == network &&
		    st->set[i]->session == session)
			return st->set[i];
	return NULL;
}

struct sset *
state_set_current(const struct sstate *st, uint32_t network)
{
	struct sset *best = NULL;
	size_t i;

	for (i = 0; i < st->nset; i++)
		if (st->set[i]->network == network && !st->set[i]->retired &&
		    (best == NULL || st->set[i]->session > best->session))
			best = st->set[i];
	return best;
}

uint32_t
state_set_highest(const struct sstate *st, uint32_t network, int *any)
{
	uint32_t best = 0;
	size_t i;

	*any = 0;
	for (i = 0; i < st->nset; i++)
		if (st->set[i]->network == network &&
		    (!*any || st->set[i]->session > best)) {
			best = st->set[i]->session;
			*any = 1;
		}
	return best;
}

int
state_set_put(struct sstate *st, struct sset *s)
{
	struct sset **p;
	size_t i;

	for (i = 0; i < st->nset; i++)
		if (st->set[i]->network == s->network &&
		    st->set[i]->session == s->session) {
			state_set_free(st->set[i]);
			st->set[i] = s;
			return 0;
		}
	if ((p = reallocarray(st->set, st->nset + 1, sizeof(*p))) == NULL)
		return -1;
	st->set = p;
	st->set[st->nset++] = s;
	return 0;
}

void
state_set_free(struct sset *s)
{
	size_t i;

	if (s == NULL)
		return;
	if (s->names != NULL)
		for (i = 0; i < s->n; i++)
			free(s->names[i]);
	free(s->names);
	free(s->v);
	free(s);
}

long
state_set_pos(const struct sset *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->names[i], name) == 0)
			return (long)i;
	return -1;
}

/* ------------------------------------------------------------ sessions */

static size_t
sess_hash(const struct sstate *st, const uint8_t *id)
{
	size_t h;

	memcpy(&h, id, sizeof(h));
	return h & (st->nbucket - 1);
}

static int
grow(struct sstate *st)
{
	struct ssess **nb, *s, *n;
	size_t i, nn, old = st->nbucket;
	struct ssess **ob = st->bucket;

	nn = old == 0 ? 64 : old * 2;
	if ((nb = calloc(nn, sizeof(*nb))) == NULL)
		return -1;
	st->bucket = nb;
	st->nbucket = nn;
	for (i = 0; i < old; i++)
		for (s = ob[i]; s != NULL; s = n) {
			n = s->next;
			s->next = nb[sess_hash(st, s->sign_id)];
			nb[sess_hash(st, s->sign_id)] = s;
		}
	free(ob);
	return 0;
}

struct ssess *
state_sess_find(const struct sstate *st, const uint8_t *id)
{
	struct ssess *s;

	if (st->nbucket == 0)
		return NULL;
	for (s = st->bucket[sess_hash(st, id)]; s != NULL; s = s->next)
		if (memcmp(s->sign_id, id, PARTY_HASHLEN) == 0)
			return s;
	return NULL;
}

int
state_sess_put(struct sstate *st, struct ssess *s)
{
	struct ssess **pp;

	if (st->nbucket == 0 || st->nsess + 1 > 2 * st->nbucket)
		if (grow(st) == -1)
			return -1;
	for (pp = &st->bucket[sess_hash(st, s->sign_id)]; *pp != NULL;
	    pp = &(*pp)->next)
		if (memcmp((*pp)->sign_id, s->sign_id, PARTY_HASHLEN) == 0) {
			if (*pp == s)
				return 0;
			s->next = (*pp)->next;
			state_sess_free(*pp);
			*pp = s;
			return 0;
		}
	s->next = NULL;
	*pp = s;
	st->nsess++;
	return 0;
}

void
state_sess_del(struct sstate *st, const uint8_t *id)
{
	struct ssess **pp, *s;

	if (st->nbucket == 0)
		return;
	for (pp = &st->bucket[sess_hash(st, id)]; *pp != NULL;
	    pp = &(*pp)->next)
		if (memcmp((*pp)->sign_id, id, PARTY_HASHLEN) == 0) {
			s = *pp;
			*pp = s->next;
			state_sess_free(s);
			st->nsess--;
			return;
		}
}

void
state_sess_free(struct ssess *s)
{
	if (s == NULL)
		return;
	free(s->payload);
	free(s->seen);
	free(s->party);
	free(s->completed_by);
	free(s);
}

struct ssess *
state_sess_next(const struct sstate *st, size_t *cursor, struct ssess *prev)
{
	if (prev != NULL && prev->next != NULL)
		return prev->next;
	if (prev != NULL)
		(*cursor)++;
	for (; *cursor < st->nbucket; (*cursor)++)
		if (st->bucket[*cursor] != NULL)
			return st->bucket[*cursor];
	return NULL;
}

static int
pos_has(const size_t *a, size_t n, size_t pos)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (a[mid] == pos)
			return 1;
		if (a[mid] < pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* 1 inserted, 0 already there, -1 out of memory. */
static int
pos_insert(size_t **a, size_t *n, size_t pos)
{
	size_t *p, i;

	if (pos_has(*a, *n, pos))
		return 0;
	if ((p = reallocarray(*a, *n + 1, sizeof(*p))) == NULL)
		return -1;
	*a = p;
	for (i = *n; i > 0 && p[i - 1] > pos; i--)
		p[i] = p[i - 1];
	p[i] = pos;
	(*n)++;
	return 1;
}

int
state_sess_seen(const struct ssess *s, size_t pos)
{
	return pos_has(s->seen, s->nseen, pos);
}

int
state_sess_mark(struct ssess *s, size_t pos)
{
	return pos_insert(&s->seen, &s->nseen, pos);
}

int
state_sess_in_party(const struct ssess *s, size_t pos)
{
	return pos_has(s->party, s->nparty, pos);
}

/* ------------------------------------------------------------ early */

static void
early_clear(struct searly *e)
{
	free(e->rec);
	free(e->topic);
	free(e->validator);
	memset(e, 0, sizeof(*e));
}

int
state_early_add(struct sstate *st, const struct searly *e)
{
	struct searly *p;

	if (st->nearly == st->capearly) {
		p = reallocarray(st->early, st->capearly ? st->capearly * 2 :
		    16, sizeof(*p));
		if (p == NULL)
			return -1;
		st->early = p;
		st->capearly = st->capearly ? st->capearly * 2 : 16;
	}
	st->early[st->nearly++] = *e;
	return 0;
}

void
state_early_del(struct sstate *st, size_t i)
{
	if (i >= st->nearly)
		return;
	early_clear(&st->early[i]);
	memmove(&st->early[i], &st->early[i + 1],
	    (st->nearly - i - 1) * sizeof(st->early[0]));
	st->nearly--;
}

long
state_early_find(const struct sstate *st, const uint8_t *intent)
{
	size_t i;

	for (i = 0; i < st->nearly; i++)
		if (memcmp(st->early[i].intent, intent, PARTY_HASHLEN) == 0)
			return (long)i;
	return -1;
}

/* ------------------------------------------------------------ held */

void
state_hold_clear(struct shold *h)
{
	free(h->rec);
	free(h->topic);
	memset(h, 0, sizeof(*h));
}

int
state_hold_add(struct sstate *st, const struct shold *h)
{
	struct shold *p;
	size_t cap;

	if (st->nhold == st->caphold) {
		cap = st->caphold ? st->caphold * 2 : 16;
		if ((p = reallocarray(st->hold, cap, sizeof(*p))) == NULL)
			return -1;
		st->hold = p;
		st->caphold = cap;
	}
	st->hold[st->nhold++] = *h;
	return 0;
}

void
state_hold_take(struct sstate *st, size_t i, struct shold *out)
{
	if (i >= st->nhold)
		return;
	*out = st->hold[i];
	memmove(&st->hold[i], &st->hold[i + 1],
	    (st->nhold - i - 1) * sizeof(st->hold[0]));
	st->nhold--;
}

void
state_hold_del(struct sstate *st, size_t i)
{
	struct shold h;

	if (i >= st->nhold)
		return;
	state_hold_take(st, i, &h);
	state_hold_clear(&h);
}

long
state_hold_find(const struct sstate *st, const uint8_t *id)
{
	size_t i;

	for (i = 0; i < st->nhold; i++)
		if (memcmp(st->hold[i].sign_id, id, PARTY_HASHLEN) == 0)
			return (long)i;
	return -1;
}

/* ------------------------------------------------------------ keys */

void
state_key_set(char *buf, uint32_t network, uint32_t session)
{
	snprintf(buf, STATE_KEYLEN, "set/%u/%u", network, session);
}

void
state_key_sess(char *buf, const uint8_t *id)
{
	memcpy(buf, "sess/", 5);
	hex_encode(id, PARTY_HASHLEN, buf + 5);
}

void
state_key_early(char *buf, const uint8_t *intent)
{
	memcpy(buf, "early/", 6);
	hex_encode(intent, PARTY_HASHLEN, buf + 6);
}

void
state_key_hold(char *buf, const uint8_t *id)
{
	memcpy(buf, "hold/", 5);
	hex_encode(id, PARTY_HASHLEN, buf + 5);
}

/* ------------------------------------------------------------ protobuf */

int
state_set_pb(const struct sset *s, Coord__SignState *ss)
{
	static Coord__ValidatorSet vsinit = COORD__VALIDATOR_SET__INIT;
	static Coord__Participant pinit = COORD__PARTICIPANT__INIT;
	Coord__SetState *st;
	Coord__Participant *pa;
	size_t i;

	coord__sign_state__init(ss);
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return -1;
	coord__set_state__init(st);
	ss->state_case = COORD__SIGN_STATE__STATE_SET;
	ss->set = st;
	pa = calloc(s->n ? s->n : 1, sizeof(*pa));
	st->participants = calloc(s->n ? s->n : 1, sizeof(*st->participants));
	if ((st->set = malloc(sizeof(*st->set))) == NULL || pa == NULL ||
	    st->participants == NULL) {
		free(pa);
		state_pb_clear(ss);
		return -1;
	}
	*st->set = vsinit;
	st->set->network = s->network;
	st->set->session = s->session;
	for (i = 0; i < s->n; i++) {
		pa[i] = pinit;
		pa[i].key.data = s->v[i].key;
		pa[i].key.len = PARTY_KEYLEN;
		pa[i].weight = s->v[i].weight;
		st->participants[i] = &pa[i];
	}
	st->n_participants = s->n;
	if (s->n == 0)
		free(pa);
	st->names = s->names;
	st->n_names = s->n;
	st->from_config = s->from_config;
	st->retired = s->retired;
	st->block_hash.data = (uint8_t *)(uintptr_t)s->block_hash;
	st->block_hash.len = PARTY_HASHLEN;
	return 0;
}

int
state_sess_pb(const struct ssess *s, Coord__SignState *ss)
{
	static Coord__ValidatorSet vsinit = COORD__VALIDATOR_SET__INIT;
	Coord__SessionState *st;
	size_t i;

	coord__sign_state__init(ss);
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return -1;
	coord__session_state__init(st);
	ss->state_case = COORD__SIGN_STATE__STATE_SESSION;
	ss->session = st;
	if ((st->set = malloc(sizeof(*st->set))) == NULL)
		goto fail;
	*st->set = vsinit;
	st->set->network = s->network;
	st->set->session = s->session;
	st->sign_id.data = (uint8_t *)(uintptr_t)s->sign_id;
	st->sign_id.len = PARTY_HASHLEN;
	st->kind = s->kind;
	st->block_hash.data = (uint8_t *)(uintptr_t)s->block_hash;
	st->block_hash.len = PARTY_HASHLEN;
	st->payload.data = s->payload;
	st->payload.len = s->payloadlen;
	st->attempt = s->attempt;
	st->stage = s->stage;
	st->member = s->member;
	st->started_ms = s->started_ms;
	st->deadline_ms = s->deadline_ms;
	if (s->nseen > 0) {
		if ((st->seen = calloc(s->nseen, sizeof(*st->seen))) == NULL)
			goto fail;
		for (i = 0; i < s->nseen; i++)
			st->seen[i] = (uint32_t)s->seen[i];
		st->n_seen = s->nseen;
	}
	st->completed = s->completed;
	st->completed_attempt = s->completed_attempt;
	st->completed_by = s->completed_by != NULL ? s->completed_by :
	    (char *)"";
	st->failed = s->failed;
	st->threshold = s->threshold;
	if (s->nparty > 0) {
		if ((st->party = calloc(s->nparty, sizeof(*st->party))) ==
		    NULL)
			goto fail;
		for (i = 0; i < s->nparty; i++)
			st->party[i] = (uint32_t)s->party[i];
		st->n_party = s->nparty;
	}
	return 0;
fail:
	state_pb_clear(ss);
	return -1;
}

int
state_early_pb(const struct searly *e, Coord__SignState *ss)
{
	Coord__EarlyMessage *st;

	coord__sign_state__init(ss);
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return -1;
	coord__early_message__init(st);
	ss->state_case = COORD__SIGN_STATE__STATE_EARLY;
	ss->early = st;
	st->record.data = e->rec;
	st->record.len = e->len;
	st->topic = e->topic != NULL ? e->topic : (char *)"";
	st->partition = e->partition;
	st->offset = e->offset;
	st->received_ms = e->received_ms;
	st->sign_id.data = (uint8_t *)(uintptr_t)e->sign_id;
	st->sign_id.len = PARTY_HASHLEN;
	st->attempt = e->attempt;
	st->validator = e->validator != NULL ? e->validator : (char *)"";
	return 0;
}

int
state_hold_pb(const struct shold *h, Coord__SignState *ss)
{
	static Coord__ValidatorSet vsinit = COORD__VALIDATOR_SET__INIT;
	Coord__HeldRequest *st;

	coord__sign_state__init(ss);
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return -1;
	coord__held_request__init(st);
	ss->state_case = COORD__SIGN_STATE__STATE_HOLD;
	ss->hold = st;
	st->record.data = h->rec;
	st->record.len = h->len;
	st->topic = h->topic != NULL ? h->topic : (char *)"";
	st->partition = h->partition;
	st->offset = h->offset;
	st->received_ms = h->received_ms;
	st->sign_id.data = (uint8_t *)(uintptr_t)h->sign_id;
	st->sign_id.len = PARTY_HASHLEN;
	if ((st->set = malloc(sizeof(*st->set))) == NULL) {
		state_pb_clear(ss);
		return -1;
	}
	*st->set = vsinit;
	st->set->network = h->network;
	st->set->session = h->session;
	return 0;
}

void
state_pb_clear(Coord__SignState *ss)
{
	switch (ss->state_case) {
	case COORD__SIGN_STATE__STATE_SET:
		if (ss->set == NULL)
			break;
		free(ss->set->set);
		if (ss->set->participants != NULL)
			free(ss->set->n_participants > 0 ?
			    ss->set->participants[0] : NULL);
		free(ss->set->participants);
		free(ss->set);
		break;
	case COORD__SIGN_STATE__STATE_SESSION:
		if (ss->session == NULL)
			break;
		free(ss->session->set);
		free(ss->session->seen);
		free(ss->session->party);
		free(ss->session);
		break;
	case COORD__SIGN_STATE__STATE_EARLY:
		free(ss->early);
		break;
	case COORD__SIGN_STATE__STATE_HOLD:
		if (ss->hold != NULL)
			free(ss->hold->set);
		free(ss->hold);
		break;
	default:
		break;
	}
	coord__sign_state__init(ss);
}

static int
copy_hash(uint8_t *dst, const ProtobufCBinaryData *b)
{
	if (b->len != PARTY_HASHLEN)
		return -1;
	memcpy(dst, b->data, PARTY_HASHLEN);
	return 0;
}

static int
set_from_pb(const Coord__SetState *p, struct sset **out, char *err,
    size_t errlen)
{
	struct sset *s;
	size_t i;

	*out = NULL;
	if (p->set == NULL || p->n_names != p->n_participants) {
		snprintf(err, errlen, "set record: no set or names do not "
		    "match participants");
		return -1;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		goto nomem;
	s->network = p->set->network;
	s->session = p->set->session;
	s->n = p->n_participants;
	s->from_config = p->from_config;
	s->retired = p->retired;
	s->our = -1;
	(void)copy_hash(s->block_hash, &p->block_hash);
	if ((s->v = calloc(s->n ? s->n : 1, sizeof(*s->v))) == NULL ||
	    (s->names = calloc(s->n ? s->n : 1, sizeof(*s->names))) == NULL)
		goto nomem;
	for (i = 0; i < s->n; i++) {
		if (p->participants[i]->key.len != PARTY_KEYLEN) {
			snprintf(err, errlen, "set record: key of %zu bytes",
			    p->participants[i]->key.len);
			state_set_free(s);
			return -1;
		}
		memcpy(s->v[i].key, p->participants[i]->key.data,
		    PARTY_KEYLEN);
		s->v[i].weight = p->participants[i]->weight;
		if (s->total + s->v[i].weight < s->total) {
			snprintf(err, errlen, "set record: weights overflow");
			state_set_free(s);
			return -1;
		}
		s->total += s->v[i].weight;
		if ((s->names[i] = strdup(p->names[i])) == NULL)
			goto nomem;
	}
	*out = s;
	return 0;
nomem:
	state_set_free(s);
	snprintf(err, errlen, "out of memory");
	return -1;
}

static int
sess_from_pb(const Coord__SessionState *p, struct ssess **out, char *err,
    size_t errlen)
{
	struct ssess *s;
	size_t i;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		goto nomem;
	if (p->set == NULL || copy_hash(s->sign_id, &p->sign_id) == -1 ||
	    copy_hash(s->block_hash, &p->block_hash) == -1) {
		snprintf(err, errlen, "session record: missing set, sign id "
		    "or block hash");
		state_sess_free(s);
		return -1;
	}
	s->network = p->set->network;
	s->session = p->set->session;
	s->kind = p->kind;
	if (p->payload.len > 0) {
		if ((s->payload = malloc(p->payload.len)) == NULL)
			goto nomem;
		memcpy(s->payload, p->payload.data, p->payload.len);
		s->payloadlen = p->payload.len;
	}
	s->attempt = p->attempt;
	s->stage = p->stage;
	s->member = p->member;
	s->started_ms = p->started_ms;
	s->deadline_ms = p->deadline_ms;
	for (i = 0; i < p->n_seen; i++)
		if (pos_insert(&s->seen, &s->nseen, p->seen[i]) == -1)
			goto nomem;
	for (i = 0; i < p->n_party; i++)
		if (pos_insert(&s->party, &s->nparty, p->party[i]) == -1)
			goto nomem;
	s->completed = p->completed;
	s->completed_attempt = p->completed_attempt;
	if (p->completed_by != NULL && p->completed_by[0] != '\0' &&
	    (s->completed_by = strdup(p->completed_by)) == NULL)
		goto nomem;
	s->failed = p->failed;
	s->threshold = p->threshold;
	*out = s;
	return 0;
nomem:
	state_sess_free(s);
	snprintf(err, errlen, "out of memory");
	return -1;
}

static int
early_from_pb(const Coord__EarlyMessage *p, struct searly *e, char *err,
    size_t errlen)
{
	memset(e, 0, sizeof(*e));
	if (copy_hash(e->sign_id, &p->sign_id) == -1) {
		snprintf(err, errlen, "early record: no sign id");
		return -1;
	}
	if ((e->rec = malloc(p->record.len + 1)) == NULL ||
	    (e->topic = strdup(p->topic != NULL ? p->topic : "")) == NULL ||
	    (e->validator = strdup(p->validator != NULL ? p->validator :
	    "")) == NULL) {
		early_clear(e);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(e->rec, p->record.data, p->record.len);
	e->len = p->record.len;
	e->partition = p->partition;
	e->offset = p->offset;
	e->received_ms = p->received_ms;
	e->attempt = p->attempt;
	return 0;
}

static int
hold_from_pb(const Coord__HeldRequest *p, struct shold *h, char *err,
    size_t errlen)
{
	memset(h, 0, sizeof(*h));
	if (p->set == NULL || copy_hash(h->sign_id, &p->sign_id) == -1 ||
	    p->record.len == 0) {
		snprintf(err, errlen, "hold record: no set, sign id or record");
		return -1;
	}
	if ((h->rec = malloc(p->record.len)) == NULL ||
	    (h->topic = strdup(p->topic != NULL ? p->topic : "")) == NULL) {
		state_hold_clear(h);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(h->rec, p->record.data, p->record.len);
	h->len = p->record.len;
	h->network = p->set->network;
	h->session = p->set->session;
	h->partition = p->partition;
	h->offset = p->offset;
	h->received_ms = p->received_ms;
	return 0;
}

static int
parse_hexkey(const char *key, size_t keylen, const char *prefix,
    uint8_t *out)
{
	size_t pl = strlen(prefix);

	if (keylen != pl + 2 * PARTY_HASHLEN || memcmp(key, prefix, pl) != 0)
		return -1;
	return hex_decode_span(key + pl, out, PARTY_HASHLEN);
}

int
state_apply(struct sstate *st, const char *key, size_t keylen,
    const Coord__SignState *ss, char *err, size_t errlen)
{
	uint8_t id[PARTY_HASHLEN];
	struct searly e;
	struct shold h;
	struct sset *set;
	struct ssess *s;
	unsigned int net, sess;
	char kbuf[STATE_KEYLEN];
	long i;

	if (ss == NULL) {		/* deletion */
		if (parse_hexkey(key, keylen, "sess/", id) == 0)
			state_sess_del(st, id);
		else if (parse_hexkey(key, keylen, "early/", id) == 0) {
			if ((i = state_early_find(st, id)) != -1)
				state_early_del(st, (size_t)i);
		} else if (parse_hexkey(key, keylen, "hold/", id) == 0) {
			if ((i = state_hold_find(st, id)) != -1)
				state_hold_del(st, (size_t)i);
		} else if (keylen < sizeof(kbuf)) {
			memcpy(kbuf, key, keylen);
			kbuf[keylen] = '\0';
			if (sscanf(kbuf, "set/%u/%u", &net, &sess) != 2) {
				snprintf(err, errlen, "unknown key %s", kbuf);
				return -1;
			}
			/* Sets are never deleted, only retired. */
		}
		return 0;
	}
	switch (ss->state_case) {
	case COORD__SIGN_STATE__STATE_SET:
		if (set_from_pb(ss->set, &set, err, errlen) == -1)
			return -1;
		if (state_set_put(st, set) == -1) {
			state_set_free(set);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		return 0;
	case COORD__SIGN_STATE__STATE_SESSION:
		if (sess_from_pb(ss->session, &s, err, errlen) == -1)
			return -1;
		if (state_sess_put(st, s) == -1) {
			state_sess_free(s);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		return 0;
	case COORD__SIGN_STATE__STATE_EARLY:
		if (parse_hexkey(key, keylen, "early/", id) == -1) {
			snprintf(err, errlen, "early record with a bad key");
			return -1;
		}
		if (state_early_find(st, id) != -1)
			return 0;
		if (early_from_pb(ss->early, &e, err, errlen) == -1)
			return -1;
		memcpy(e.intent, id, PARTY_HASHLEN);
		if (state_early_add(st, &e) == -1) {
			early_clear(&e);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		return 0;
	case COORD__SIGN_STATE__STATE_HOLD:
		if (parse_hexkey(key, keylen, "hold/", id) == -1) {
			snprintf(err, errlen, "hold record with a bad key");
			return -1;
		}
		if (hold_from_pb(ss->hold, &h, err, errlen) == -1)
			return -1;
		if (memcmp(h.sign_id, id, PARTY_HASHLEN) != 0) {
			state_hold_clear(&h);
			snprintf(err, errlen, "hold record: the sign id is "
			    "not the key's");
			return -1;
		}
		if ((i = state_hold_find(st, id)) != -1) {
			/* The last record per key wins. */
			state_hold_clear(&st->hold[i]);
			st->hold[i] = h;
			return 0;
		}
		if (state_hold_add(st, &h) == -1) {
			state_hold_clear(&h);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		return 0;
	default:
		snprintf(err, errlen, "empty SignState");
		return -1;
	}
}

const char *
state_kind_name(int k)
{
	switch (k) {
	case COORD__SIGN_KIND__SIGN_KEY_GEN:
		return "keygen";
	case COORD__SIGN_KIND__SIGN_BATCH:
		return "batch";
	case COORD__SIGN_KIND__SIGN_BURN:
		return "burn";
	case COORD__SIGN_KIND__SIGN_PROCESSOR:
		return "processor";
	default:
		return "unknown";
	}
}

const char *
state_stage_name(int k)
{
	switch (k) {
	case COORD__SIGN_STAGE__SIGN_PREPROCESS:
		return "preprocess";
	case COORD__SIGN_STAGE__SIGN_SHARE:
		return "share";
	case COORD__SIGN_STAGE__SIGN_DONE:
		return "done";
	default:
		return "unknown";
	}
}

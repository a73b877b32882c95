/*
 * signer_state: the signer's memory and its decision-log form
 * (signer/state.c): every object survives SignState pack/unpack/apply,
 * deletions, the session table under growth; held requests, the highest
 * session of a network; out of memory while building a record (malloc and
 * calloc are wrapped at link time: signer/module.mk).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "signer/state.h"
#include "t/tap.h"

static Coord__SignState *roundtrip(Coord__SignState *);
static void	 fill(uint8_t *, int);
static struct ssess *new_sess(int);
static void	 oom(const char *, int, const void *);

void	*__real_malloc(size_t);
void	*__real_calloc(size_t, size_t);
void	*__wrap_malloc(size_t);
void	*__wrap_calloc(size_t, size_t);

/* The allocation that fails: -1 none, 0 the next, 1 the one after, ... */
static int oom_at = -1;

void *
__wrap_malloc(size_t n)
{
	if (oom_at >= 0 && oom_at-- == 0)
		return NULL;
	return __real_malloc(n);
}

void *
__wrap_calloc(size_t n, size_t m)
{
	if (oom_at >= 0 && oom_at-- == 0)
		return NULL;
	return __real_calloc(n, m);
}

static int
build(int kind, const void *obj, Coord__SignState *ss)
{
	switch (kind) {
	case COORD__SIGN_STATE__STATE_SET:
		return state_set_pb(obj, ss);
	case COORD__SIGN_STATE__STATE_SESSION:
		return state_sess_pb(obj, ss);
	case COORD__SIGN_STATE__STATE_EARLY:
		return state_early_pb(obj, ss);
	default:
		return state_hold_pb(obj, ss);
	}
}

/*
 * Fail the first allocation of state_*_pb, then the second, and so on
 * until it succeeds: every failure must say so and leave the SignState
 * empty, and the first success must be the whole record (a partial one,
 * logged, would lose state at the next start).  LeakSanitizer checks
 * that a failure frees what it took.
 */
static void
oom(const char *what, int kind, const void *obj)
{
	Coord__SignState ss;
	uint8_t *want, *got;
	size_t wn, gn;
	int k, rc, nfail = 0, bad = 0, same = 0;

	if (build(kind, obj, &ss) == -1)
		abort();
	wn = coord__sign_state__get_packed_size(&ss);
	want = malloc(wn + 1);
	coord__sign_state__pack(&ss, want);
	state_pb_clear(&ss);
	for (k = 0; k < 32; k++) {
		oom_at = k;
		rc = build(kind, obj, &ss);
		oom_at = -1;
		if (rc == -1) {
			nfail++;
			bad += ss.state_case != COORD__SIGN_STATE__STATE__NOT_SET;
			continue;
		}
		gn = coord__sign_state__get_packed_size(&ss);
		got = malloc(gn + 1);
		coord__sign_state__pack(&ss, got);
		same = gn == wn && memcmp(got, want, wn) == 0;
		free(got);
		state_pb_clear(&ss);
		break;
	}
	free(want);
	ok(nfail > 0 && bad == 0 && same, "%s record out of memory: %d "
	    "failure(s), each an empty SignState (%d not), then the whole "
	    "record (%s)", what, nfail, bad, same ? "yes" : "no");
}

static void
fill(uint8_t *p, int seed)
{
	crypto_generichash(p, 32, (const uint8_t *)&seed, sizeof(seed), NULL,
	    0);
}

/* Pack a SignState built by state_*_pb, unpack it (what the log gives). */
static Coord__SignState *
roundtrip(Coord__SignState *ss)
{
	Coord__SignState *out;
	uint8_t *buf;
	size_t n;

	n = coord__sign_state__get_packed_size(ss);
	buf = malloc(n + 1);
	coord__sign_state__pack(ss, buf);
	state_pb_clear(ss);
	out = coord__sign_state__unpack(NULL, n, buf);
	free(buf);
	return out;
}

static struct ssess *
new_sess(int seed)
{
	struct ssess *s = calloc(1, sizeof(*s));

	fill(s->sign_id, seed);
	fill(s->block_hash, seed + 1000);
	s->network = 1;
	s->session = 7;
	s->kind = COORD__SIGN_KIND__SIGN_BATCH;
	s->attempt = (uint32_t)seed % 5;
	s->stage = COORD__SIGN_STAGE__SIGN_SHARE;
	return s;
}

int
main(void)
{
	struct sstate st, back;
	struct sset *set;
	struct ssess *s, *t;
	struct searly e;
	struct shold h;
	Coord__SignState ss, *u;
	uint32_t hi;
	int any;
	char key[STATE_KEYLEN], err[256];
	uint8_t id0[32];
	size_t i, cur, n;
	int rc;

	if (sodium_init() < 0)
		return 1;
	state_init(&st);
	state_init(&back);

	/* A set. */
	set = calloc(1, sizeof(*set));
	set->network = 2;
	set->session = 9;
	set->n = 3;
	set->v = calloc(3, sizeof(*set->v));
	set->names = calloc(3, sizeof(*set->names));
	for (i = 0; i < 3; i++) {
		fill(set->v[i].key, (int)i);
		set->v[i].weight = i + 1;
		set->total += i + 1;
		set->names[i] = strdup(i == 0 ? "alice" : i == 1 ? "bob" :
		    "carol");
	}
	set->from_config = 1;
	fill(set->block_hash, 77);
	set->our = 1;
	ok(state_set_put(&st, set) == 0, "set stored");
	ok(state_set_find(&st, 2, 9) == set, "found by network/session");
	ok(state_set_find(&st, 2, 8) == NULL, "other session not found");
	is_int(state_set_pos(set, "carol"), 2, "position by name");
	is_int(state_set_pos(set, "mallory"), -1, "unknown name");
	state_key_set(key, 2, 9);
	is_str(key, "set/2/9", "set key");
	oom("set", COORD__SIGN_STATE__STATE_SET, set);
	state_set_pb(set, &ss);
	u = roundtrip(&ss);
	ok(u != NULL && u->state_case == COORD__SIGN_STATE__STATE_SET,
	    "set record unpacks");
	rc = state_apply(&back, key, strlen(key), u, err, sizeof(err));
	ok(rc == 0, "set record applies: %s", rc ? err : "ok");
	coord__sign_state__free_unpacked(u, NULL);
	set = state_set_find(&back, 2, 9);
	ok(set != NULL && set->n == 3 && set->total == 6 &&
	    set->from_config && !set->retired &&
	    strcmp(set->names[1], "bob") == 0 && set->v[2].weight == 3,
	    "set survives the log");
	ok(set != NULL && set->our == -1,
	    "our position is the reader's to set");

	/* A session. */
	s = new_sess(1);
	state_sess_mark(s, 4);
	state_sess_mark(s, 1);
	is_int(state_sess_mark(s, 4), 0, "marking twice counts once");
	ok(s->nseen == 2 && s->seen[0] == 1 && s->seen[1] == 4,
	    "seen kept sorted");
	s->party = calloc(3, sizeof(*s->party));
	s->party[0] = 0;
	s->party[1] = 2;
	s->party[2] = 5;
	s->nparty = 3;
	ok(state_sess_in_party(s, 2) && !state_sess_in_party(s, 1),
	    "party membership");
	s->payload = malloc(5);
	memcpy(s->payload, "hello", 5);
	s->payloadlen = 5;
	s->completed = 1;
	s->completed_attempt = 3;
	s->completed_by = strdup("carol");
	s->threshold = 4;
	s->member = 1;
	s->deadline_ms = 123456789;
	ok(state_sess_put(&st, s) == 0, "session stored");
	state_key_sess(key, s->sign_id);
	ok(strncmp(key, "sess/", 5) == 0 && strlen(key) == 5 + 64,
	    "session key: %s", key);
	oom("session", COORD__SIGN_STATE__STATE_SESSION, s);
	state_sess_pb(s, &ss);
	u = roundtrip(&ss);
	rc = state_apply(&back, key, strlen(key), u, err, sizeof(err));
	ok(rc == 0, "session record applies: %s", rc ? err : "ok");
	coord__sign_state__free_unpacked(u, NULL);
	t = state_sess_find(&back, s->sign_id);
	ok(t != NULL, "session found after replay");
	ok(t != NULL && t->attempt == s->attempt && t->stage == s->stage &&
	    t->member && t->deadline_ms == 123456789 && t->threshold == 4 &&
	    t->completed && t->completed_attempt == 3 &&
	    strcmp(t->completed_by, "carol") == 0 && t->payloadlen == 5 &&
	    memcmp(t->payload, "hello", 5) == 0 && t->nseen == 2 &&
	    t->seen[1] == 4 && t->nparty == 3 && t->party[2] == 5 &&
	    memcmp(t->block_hash, s->block_hash, 32) == 0,
	    "session survives the log, field by field");

	/* The newer record of a key replaces the older. */
	s->attempt = 9;
	state_sess_pb(s, &ss);
	u = roundtrip(&ss);
	state_apply(&back, key, strlen(key), u, err, sizeof(err));
	coord__sign_state__free_unpacked(u, NULL);
	t = state_sess_find(&back, s->sign_id);
	ok(t != NULL && t->attempt == 9 && back.nsess == 1,
	    "last record per key wins");

	/* A tombstone deletes. */
	state_apply(&back, key, strlen(key), NULL, err, sizeof(err));
	ok(state_sess_find(&back, s->sign_id) == NULL && back.nsess == 0,
	    "tombstone deletes the session");

	/* Early messages. */
	memset(&e, 0, sizeof(e));
	fill(e.intent, 50);
	fill(e.sign_id, 51);
	e.attempt = 2;
	e.rec = malloc(4);
	memcpy(e.rec, "abcd", 4);
	e.len = 4;
	e.topic = strdup("p2p-inbound");
	e.partition = 3;
	e.offset = 99;
	e.received_ms = 5000;
	ok(state_early_add(&st, &e) == 0 && st.nearly == 1, "early held");
	state_key_early(key, st.early[0].intent);
	oom("early", COORD__SIGN_STATE__STATE_EARLY, &st.early[0]);
	state_early_pb(&st.early[0], &ss);
	u = roundtrip(&ss);
	rc = state_apply(&back, key, strlen(key), u, err, sizeof(err));
	coord__sign_state__free_unpacked(u, NULL);
	ok(rc == 0 && back.nearly == 1 && back.early[0].len == 4 &&
	    memcmp(back.early[0].rec, "abcd", 4) == 0 &&
	    back.early[0].offset == 99 && back.early[0].partition == 3 &&
	    back.early[0].attempt == 2 &&
	    strcmp(back.early[0].topic, "p2p-inbound") == 0 &&
	    memcmp(back.early[0].intent, st.early[0].intent, 32) == 0,
	    "early message survives the log");
	state_apply(&back, key, strlen(key), NULL, err, sizeof(err));
	is_int((long long)back.nearly, 0, "tombstone drops the early message");
	ok(state_apply(&back, "bogus", 5, NULL, err, sizeof(err)) == -1,
	    "unknown key refused: %s", err);

	/* Held requests. */
	memset(&h, 0, sizeof(h));
	fill(h.sign_id, 60);
	h.network = 3;
	h.session = 12;
	h.rec = malloc(6);
	memcpy(h.rec, "record", 6);
	h.len = 6;
	h.topic = strdup("chain-observation");
	h.partition = 1;
	h.offset = 42;
	h.received_ms = 7000;
	ok(state_hold_add(&st, &h) == 0 && st.nhold == 1, "request held");
	ok(state_hold_find(&st, h.sign_id) == 0, "held request found");
	fill(id0, 61);
	is_int(state_hold_find(&st, id0), -1, "another sign id is not held");
	state_key_hold(key, st.hold[0].sign_id);
	ok(strncmp(key, "hold/", 5) == 0 && strlen(key) == 5 + 64,
	    "hold key: %s", key);
	oom("hold", COORD__SIGN_STATE__STATE_HOLD, &st.hold[0]);
	state_hold_pb(&st.hold[0], &ss);
	u = roundtrip(&ss);
	ok(u != NULL && u->state_case == COORD__SIGN_STATE__STATE_HOLD,
	    "hold record unpacks");
	rc = state_apply(&back, key, strlen(key), u, err, sizeof(err));
	ok(rc == 0, "hold record applies: %s", rc ? err : "ok");
	ok(rc == 0 && back.nhold == 1 && back.hold[0].len == 6 &&
	    memcmp(back.hold[0].rec, "record", 6) == 0 &&
	    back.hold[0].network == 3 && back.hold[0].session == 12 &&
	    back.hold[0].offset == 42 && back.hold[0].partition == 1 &&
	    back.hold[0].received_ms == 7000 &&
	    strcmp(back.hold[0].topic, "chain-observation") == 0 &&
	    memcmp(back.hold[0].sign_id, st.hold[0].sign_id, 32) == 0,
	    "held request survives the log, field by field");
	/* The same record again (a replay of an uncompacted log): once. */
	rc = state_apply(&back, key, strlen(key), u, err, sizeof(err));
	ok(rc == 0 && back.nhold == 1, "the same hold record twice: held once");
	/* Under another key: refused. */
	state_key_hold(key, id0);
	ok(state_apply(&back, key, strlen(key), u, err, sizeof(err)) == -1 &&
	    back.nhold == 1, "a hold record under another sign id's key "
	    "refused: %s", err);
	coord__sign_state__free_unpacked(u, NULL);
	state_key_hold(key, st.hold[0].sign_id);
	state_apply(&back, key, strlen(key), NULL, err, sizeof(err));
	is_int((long long)back.nhold, 0, "tombstone drops the held request");
	state_hold_del(&st, 0);
	is_int((long long)st.nhold, 0, "held request deleted");

	/* The highest session of a network, retired sets included. */
	hi = state_set_highest(&st, 5, &any);
	ok(!any && hi == 0, "no set of network 5: none");
	hi = state_set_highest(&st, 2, &any);
	ok(any && hi == 9, "network 2: session 9");
	set = calloc(1, sizeof(*set));
	set->network = 2;
	set->session = 11;
	set->retired = 1;
	set->our = -1;
	state_set_put(&st, set);
	hi = state_set_highest(&st, 2, &any);
	ok(any && hi == 11, "a retired set counts: session 11");
	ok(state_set_current(&st, 2) != NULL &&
	    state_set_current(&st, 2)->session == 9,
	    "while the current set is still 9");

	/* Many sessions: the table grows, iteration sees each once. */
	for (i = 0; i < 1000; i++)
		state_sess_put(&st, new_sess((int)i + 10));
	cur = 0;
	n = 0;
	for (t = state_sess_next(&st, &cur, NULL); t != NULL;
	    t = state_sess_next(&st, &cur, t))
		n++;
	is_int((long long)n, 1001, "iteration after growth sees all");
	for (i = 0; i < 1000; i += 2) {
		uint8_t id[32];

		fill(id, (int)i + 10);
		state_sess_del(&st, id);
	}
	is_int((long long)st.nsess, 501, "deletions counted");
	for (i = 0, n = 0; i < 1000; i++) {
		uint8_t id[32];

		fill(id, (int)i + 10);
		n += state_sess_find(&st, id) != NULL;
	}
	is_int((long long)n, 500, "the others are still found");

	state_free(&st);
	state_free(&back);
	return done_testing();
}

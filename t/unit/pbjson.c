/*
 * pbjson: protobuf-c <-> JSON.  Round trips are checked against
 * protobuf-c's own packer: pb -> JSON text -> pb must pack to the very same
 * bytes, and JSON -> pb -> JSON must give the same text.
 */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pbjson.h"
#include "t/proto/pbtest.pb-c.h"
#include "t/proto/pbtest2.pb-c.h"
#include "t/tap.h"

#define RANDOM_ITERATIONS	1000
#define RANDOM_DEPTH		2

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t	 rnd64(void);
static uint32_t	 rnd(uint32_t);
static char	*xstrdup(const char *);
static char	*rand_string(void);
static void	 rand_value(const ProtobufCFieldDescriptor *, void *, int);
static ProtobufCMessage *rand_msg(const ProtobufCMessageDescriptor *, int);
static int	 round_trip(const ProtobufCMessage *, int, const char *);
static void	 test_golden(void);
static void	 test_edges(void);
static void	 test_deep(void);
static void	 test_proto2(void);
static void	 test_input(void);
static void	 test_mapping(void);
static void	 test_mapping_input(void);
static void	 test_bad(void);
static void	 test_random(void);

/* xorshift64*: the same sequence on every run. */
static uint64_t
rnd64(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

static uint32_t
rnd(uint32_t n)
{
	return (uint32_t)(rnd64() >> 32) % n;
}

static char *
xstrdup(const char *s)
{
	char *p;

	if ((p = strdup(s)) == NULL)
		abort();
	return p;
}

/* Valid UTF-8 with the characters JSON has to escape. */
static char *
rand_string(void)
{
	static const char *const pieces[] = {
		"a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\x01",
		"\x1f", "\x7f", "\xc3\xa9", "\xe6\x97\xa5", "\xf0\x9f\x98\x80",
		"\xef\xbf\xbf", "\xe2\x80\xa8", "\xf4\x8f\xbf\xbf", "\\u0041",
	};
	char buf[128];
	size_t len = 0, n, i;
	const char *p;

	n = rnd(8);
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		p = pieces[rnd(sizeof(pieces) / sizeof(pieces[0]))];
		memcpy(buf + len, p, strlen(p) + 1);
		len += strlen(p);
	}
	return xstrdup(buf);
}

static double
rand_double(void)
{
	static const double special[] = {
		0.0, -0.0, 1.0, -1.0, 0.1, 1e300, -1e-300, DBL_MAX, -DBL_MAX,
		DBL_MIN, 4.9406564584124654e-324, 9007199254740993.0,
	};
	uint64_t bits;
	double d;

	switch (rnd(6)) {
	case 0:
		return special[rnd(sizeof(special) / sizeof(special[0]))];
	case 1:
		return rnd(2) ? INFINITY : -INFINITY;
	case 2:
		return NAN;
	default:
		bits = rnd64();
		memcpy(&d, &bits, sizeof(d));
		/* JSON carries one NaN; payloads and sign are not kept. */
		return isnan(d) ? NAN : d;
	}
}

static float
rand_float(void)
{
	static const float special[] = {
		0.0f, -0.0f, 0.1f, FLT_MAX, -FLT_MAX, FLT_MIN, 1.4e-45f,
		16777217.0f, 3.4028234e38f,
	};
	uint32_t bits;
	float f;

	switch (rnd(6)) {
	case 0:
		return special[rnd(sizeof(special) / sizeof(special[0]))];
	case 1:
		return rnd(2) ? INFINITY : -INFINITY;
	case 2:
		return NAN;
	default:
		bits = (uint32_t)rnd64();
		memcpy(&f, &bits, sizeof(f));
		return isnan(f) ? NAN : f;
	}
}

/* A 64-bit value biased to the edges. */
static uint64_t
rand_int(void)
{
	static const uint64_t special[] = {
		0, 1, UINT64_MAX, INT64_MAX, (uint64_t)INT64_MIN, INT32_MAX,
		(uint64_t)(int64_t)INT32_MIN, UINT32_MAX, 1ULL << 53,
		(1ULL << 53) + 1,
	};

	switch (rnd(3)) {
	case 0:
		return special[rnd(sizeof(special) / sizeof(special[0]))];
	case 1:
		return rnd64() >> rnd(64);
	default:
		return rnd64();
	}
}

static void
rand_value(const ProtobufCFieldDescriptor *f, void *member, int depth)
{
	const ProtobufCEnumDescriptor *ed;
	ProtobufCBinaryData *bd;
	size_t i;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		*(uint32_t *)member = (uint32_t)rand_int();
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		*(uint64_t *)member = rand_int();
		break;
	case PROTOBUF_C_TYPE_BOOL:
		*(protobuf_c_boolean *)member = rnd(2);
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		*(float *)member = rand_float();
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		*(double *)member = rand_double();
		break;
	case PROTOBUF_C_TYPE_ENUM:
		ed = f->descriptor;
		if (rnd(5) == 0)
			*(int32_t *)member = (int32_t)rand_int();
		else
			*(int32_t *)member = ed->values[rnd(ed->n_values)].value;
		break;
	case PROTOBUF_C_TYPE_STRING:
		*(char **)member = rand_string();
		break;
	case PROTOBUF_C_TYPE_BYTES:
		bd = member;
		bd->len = rnd(3) == 0 ? 0 : rnd(40);
		if ((bd->data = malloc(bd->len + 1)) == NULL)
			abort();
		for (i = 0; i < bd->len; i++)
			bd->data[i] = (uint8_t)rnd(256);
		break;
	case PROTOBUF_C_TYPE_MESSAGE:
		*(ProtobufCMessage **)member = rand_msg(f->descriptor,
		    depth + 1);
		break;
	}
}

/* A randomly filled message, allocated as protobuf-c's unpacker does. */
static ProtobufCMessage *
rand_msg(const ProtobufCMessageDescriptor *d, int depth)
{
	const ProtobufCFieldDescriptor *f;
	ProtobufCMessage *m;
	size_t n, sz, i;
	unsigned k;
	char *arr;
	int entry;

	if ((m = malloc(d->sizeof_message)) == NULL)
		abort();
	protobuf_c_message_init(d, m);
	/* Map entries always carry key and value (proto2 has_ flags). */
	entry = d->n_fields == 2 && strcmp(d->fields[0].name, "key") == 0;
	for (k = 0; k < d->n_fields; k++) {
		f = &d->fields[k];
		if (f->type == PROTOBUF_C_TYPE_MESSAGE &&
		    depth >= RANDOM_DEPTH)
			continue;
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			if (*(uint32_t *)((char *)m + f->quantifier_offset) ||
			    rnd(5) != 0)
				continue;
			rand_value(f, (char *)m + f->offset, depth);
			*(uint32_t *)((char *)m + f->quantifier_offset) = f->id;
			continue;
		}
		switch (f->label) {
		case PROTOBUF_C_LABEL_REPEATED:
			if ((n = rnd(5)) == 0)
				break;
			sz = f->type == PROTOBUF_C_TYPE_MESSAGE ||
			    f->type == PROTOBUF_C_TYPE_STRING ?
			    sizeof(void *) :
			    f->type == PROTOBUF_C_TYPE_BYTES ?
			    sizeof(ProtobufCBinaryData) :
			    f->type == PROTOBUF_C_TYPE_DOUBLE ||
			    f->type == PROTOBUF_C_TYPE_INT64 ||
			    f->type == PROTOBUF_C_TYPE_SINT64 ||
			    f->type == PROTOBUF_C_TYPE_SFIXED64 ||
			    f->type == PROTOBUF_C_TYPE_UINT64 ||
			    f->type == PROTOBUF_C_TYPE_FIXED64 ? 8 : 4;
			if ((arr = calloc(n, sz)) == NULL)
				abort();
			for (i = 0; i < n; i++)
				rand_value(f, arr + i * sz, depth);
			*(void **)((char *)m + f->offset) = arr;
			*(size_t *)((char *)m + f->quantifier_offset) = n;
			break;
		case PROTOBUF_C_LABEL_OPTIONAL:
			if (!entry && rnd(2))
				break;
			rand_value(f, (char *)m + f->offset, depth);
			if (f->type != PROTOBUF_C_TYPE_STRING &&
			    f->type != PROTOBUF_C_TYPE_MESSAGE)
				*(protobuf_c_boolean *)((char *)m +
				    f->quantifier_offset) = 1;
			break;
		default:
			if (entry || f->label == PROTOBUF_C_LABEL_REQUIRED ||
			    rnd(2))
				rand_value(f, (char *)m + f->offset, depth);
			break;
		}
	}
	return m;
}

static uint8_t *
pack(const ProtobufCMessage *m, size_t *len)
{
	uint8_t *buf;

	*len = protobuf_c_message_get_packed_size(m);
	if ((buf = malloc(*len + 1)) == NULL)
		abort();
	if (protobuf_c_message_pack(m, buf) != *len)
		abort();
	return buf;
}

/*
 * pb -> JSON text -> pb packs to the same bytes; JSON text -> pb -> JSON
 * text is the same text.  Quiet on success unless name is given.
 */
static int
round_trip(const ProtobufCMessage *m, int flags, const char *name)
{
	ProtobufCMessage *m2 = NULL, *m3 = NULL;
	uint8_t *b1 = NULL, *b2 = NULL;
	char err[512], *t1 = NULL, *t2 = NULL;
	size_t l1, l2;
	int pass = 0;

	if ((t1 = pbjson_print(m, flags, err, sizeof(err))) == NULL) {
		diag("%s: pbjson_print: %s", name ? name : "random", err);
		goto out;
	}
	if ((m2 = pbjson_parse(m->descriptor, t1, strlen(t1), err,
	    sizeof(err))) == NULL) {
		diag("%s: pbjson_parse: %s\n# %s", name ? name : "random",
		    err, t1);
		goto out;
	}
	b1 = pack(m, &l1);
	b2 = pack(m2, &l2);
	if (l1 != l2 || memcmp(b1, b2, l1) != 0) {
		diag("%s: packed bytes differ (%zu, %zu)\n# %s",
		    name ? name : "random", l1, l2, t1);
		goto out;
	}
	if ((t2 = pbjson_print(m2, flags, err, sizeof(err))) == NULL ||
	    strcmp(t1, t2) != 0) {
		diag("%s: JSON differs\n# %s\n# %s", name ? name : "random",
		    t1, t2 ? t2 : err);
		goto out;
	}
	/* And from the text we printed, without the raw number items. */
	if ((m3 = pbjson_parse(m->descriptor, t2, strlen(t2), err,
	    sizeof(err))) == NULL) {
		diag("%s: reparse: %s", name ? name : "random", err);
		goto out;
	}
	pass = 1;
out:
	if (name != NULL)
		ok(pass, "round trip: %s", name);
	protobuf_c_message_free_unpacked(m2, NULL);
	protobuf_c_message_free_unpacked(m3, NULL);
	free(b1);
	free(b2);
	free(t1);
	free(t2);
	return pass;
}

static void
test_golden(void)
{
	static const char *update =
	    "{\"height\":\"5\",\"block_hash\":\"AQL/\",\"body\":{"
	    "\"events\":[{\"amount\":\"18446744073709551615\","
	    "\"kind\":\"x\"},{}]}}";	/* the old mapping, still read */
	ProtobufCMessage *m;
	Pbtest__Update *up;
	Pbtest__Update u = PBTEST__UPDATE__INIT;
	Pbtest__All a = PBTEST__ALL__INIT;
	Pbtest__Inner inner = PBTEST__INNER__INIT;
	uint8_t hash[] = { 1, 2, 0xff };
	float rf[] = { 0.1f, -0.0f, NAN, INFINITY, -INFINITY, 16777216.0f };
	double rd[] = { 0.1 + 0.2, -0.0, 1e300, 5e-324, -1.5 };
	Pbtest__Color re[] = { PBTEST__COLOR__COLOR_RED, 7,
	    PBTEST__COLOR__COLOR_BLUE };
	char err[256], *s;
	cJSON *j;

	u.height = 5;
	u.block_hash.data = hash;
	u.block_hash.len = sizeof(hash);
	s = pbjson_print(&u.base, 0, err, sizeof(err));
	is_str(s, "{\"height\":5,\"block_hash\":\"0x0102ff\"}",
	    "golden: 64-bit as a number, bytes as 0x-hex, defaults omitted");
	free(s);

	memset(&u, 0, sizeof(u));
	pbtest__update__init(&u);
	s = pbjson_print(&u.base, PBJSON_EMIT_DEFAULTS, err, sizeof(err));
	is_str(s, "{\"height\":0,\"block_hash\":\"0x\"}",
	    "golden: PBJSON_EMIT_DEFAULTS emits zero scalars, not messages");
	free(s);
	s = pbjson_print(&u.base, 0, err, sizeof(err));
	is_str(s, "{}", "golden: empty message");
	free(s);

	a.n_r_float = sizeof(rf) / sizeof(rf[0]);
	a.r_float = rf;
	a.n_r_double = sizeof(rd) / sizeof(rd[0]);
	a.r_double = rd;
	a.n_r_enum = sizeof(re) / sizeof(re[0]);
	a.r_enum = re;
	a.f_float = 3.4028235e38f;
	a.f_enum = PBTEST__COLOR__COLOR_GREEN;
	a.f_msg = &inner;
	a.choice_case = PBTEST__ALL__CHOICE_C_INT32;
	a.c_int32 = 0;
	s = pbjson_print(&a.base, 0, err, sizeof(err));
	is_str(s, "{\"f_float\":3.4028235e+38,\"f_enum\":\"COLOR_GREEN\","
	    "\"f_msg\":{},"
	    "\"r_float\":[0.1,-0,\"NaN\",\"Infinity\",\"-Infinity\",16777216],"
	    "\"r_double\":[0.30000000000000004,-0,1e+300,5e-324,-1.5],"
	    "\"r_enum\":[\"COLOR_RED\",7,\"COLOR_BLUE\"],\"c_int32\":0}",
	    "golden: floats shortest, -0 kept, specials, enums, "
	    "set oneof and empty message present");
	free(s);

	j = cJSON_Parse(update);
	s = NULL;
	m = pbjson_to_pb(&pbtest__update__descriptor, j, err, sizeof(err));
	if ((up = (Pbtest__Update *)m) != NULL) {
		ok(up->height == 5 && up->block_hash.len == 3 &&
		    memcmp(up->block_hash.data, hash, 3) == 0 &&
		    up->body != NULL && up->body->n_events == 2 &&
		    up->body->events[0]->amount == UINT64_MAX &&
		    strcmp(up->body->events[0]->kind, "x") == 0 &&
		    up->body->events[1]->amount == 0,
		    "golden: JSON -> pb values");
		s = pbjson_print(m, 0, err, sizeof(err));
		protobuf_c_message_free_unpacked(m, NULL);
	} else
		ok(0, "golden: JSON -> pb values: %s", err);
	is_str(s, "{\"height\":5,\"block_hash\":\"0x0102ff\",\"body\":{"
	    "\"events\":[{\"amount\":\"18446744073709551615\",\"kind\":\"x\"},"
	    "{}]}}", "golden: JSON -> pb -> JSON (past 2^53 a string)");
	free(s);
	cJSON_Delete(j);
}

static void
test_edges(void)
{
	Pbtest__All a = PBTEST__ALL__INIT;
	Pbtest__Inner in1 = PBTEST__INNER__INIT, in2 = PBTEST__INNER__INIT;
	Pbtest__Inner *rmsg[2] = { &in1, &in2 };
	Pbtest__All__MStringInt32Entry e1 = PBTEST__ALL__MSTRING_INT32_ENTRY__INIT;
	Pbtest__All__MStringInt32Entry e2 = PBTEST__ALL__MSTRING_INT32_ENTRY__INIT;
	Pbtest__All__MStringInt32Entry e3 = PBTEST__ALL__MSTRING_INT32_ENTRY__INIT;
	Pbtest__All__MStringInt32Entry *msi[3] = { &e1, &e2, &e3 };
	Pbtest__All__MInt64StringEntry k1 = PBTEST__ALL__MINT64_STRING_ENTRY__INIT;
	Pbtest__All__MInt64StringEntry *mis[1] = { &k1 };
	Pbtest__All__MUint32MsgEntry u1 = PBTEST__ALL__MUINT32_MSG_ENTRY__INIT;
	Pbtest__All__MUint32MsgEntry u2 = PBTEST__ALL__MUINT32_MSG_ENTRY__INIT;
	Pbtest__All__MUint32MsgEntry *mum[2] = { &u1, &u2 };
	Pbtest__All__MBoolBytesEntry b1 = PBTEST__ALL__MBOOL_BYTES_ENTRY__INIT;
	Pbtest__All__MBoolBytesEntry *mbb[1] = { &b1 };
	uint8_t allbytes[256];
	uint8_t empty[1];
	ProtobufCBinaryData rbytes[3];
	char *rstr[3] = { "", "\xf0\x9f\x98\x80", "\"\\/\b\f\n\r\t\x01" };
	int64_t ri64[] = { INT64_MIN, INT64_MAX, 0, -1 };
	uint64_t ru64[] = { UINT64_MAX, 0, 1ULL << 63 };
	int32_t ri32[] = { INT32_MIN, INT32_MAX, 0, -1 };
	uint32_t ru32[] = { UINT32_MAX, 0 };
	protobuf_c_boolean rb[] = { 1, 0, 1 };
	double rd[] = { -0.0, NAN, INFINITY, -INFINITY, DBL_MAX, DBL_MIN,
	    4.9406564584124654e-324, 0.1 };
	float rf[] = { -0.0f, NAN, FLT_MAX, FLT_MIN, 1.4e-45f, 0.1f };
	size_t i;

	for (i = 0; i < sizeof(allbytes); i++)
		allbytes[i] = (uint8_t)i;
	a.f_int32 = INT32_MIN;
	a.f_sint32 = INT32_MIN;
	a.f_sfixed32 = INT32_MAX;
	a.f_int64 = INT64_MIN;
	a.f_sint64 = INT64_MIN;
	a.f_sfixed64 = INT64_MAX;
	a.f_uint32 = UINT32_MAX;
	a.f_fixed32 = UINT32_MAX;
	a.f_uint64 = UINT64_MAX;
	a.f_fixed64 = UINT64_MAX;
	a.f_bool = 1;
	a.f_float = -FLT_MIN;
	a.f_double = -DBL_MAX;
	a.f_string = "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 "
	    "\"q\" \\ / \n\t\x01\x1f\x7f \xe2\x80\xa8";
	a.f_bytes.data = allbytes;
	a.f_bytes.len = sizeof(allbytes);
	a.f_enum = 12345;
	a.f_msg = &in1;
	in1.n = -1;
	in1.label = "x";
	rbytes[0].data = empty;
	rbytes[0].len = 0;
	rbytes[1].data = allbytes;
	rbytes[1].len = 1;
	rbytes[2].data = allbytes + 250;
	rbytes[2].len = 5;
	a.n_r_bytes = 3;
	a.r_bytes = rbytes;
	a.n_r_string = 3;
	a.r_string = rstr;
	a.n_r_int64 = a.n_r_sint64 = a.n_r_sfixed64 = 4;
	a.r_int64 = a.r_sint64 = a.r_sfixed64 = ri64;
	a.n_u_sint64 = 4;
	a.u_sint64 = ri64;
	a.n_r_uint64 = a.n_r_fixed64 = 3;
	a.r_uint64 = a.r_fixed64 = ru64;
	a.n_r_int32 = a.n_r_sint32 = a.n_r_sfixed32 = a.n_u_int32 = 4;
	a.r_int32 = a.r_sint32 = a.r_sfixed32 = a.u_int32 = ri32;
	a.n_r_uint32 = a.n_r_fixed32 = 2;
	a.r_uint32 = a.r_fixed32 = ru32;
	a.n_r_bool = 3;
	a.r_bool = rb;
	a.n_r_double = a.n_u_double = sizeof(rd) / sizeof(rd[0]);
	a.r_double = a.u_double = rd;
	a.n_r_float = sizeof(rf) / sizeof(rf[0]);
	a.r_float = rf;
	a.n_r_msg = 2;
	a.r_msg = rmsg;
	e1.key = "";
	e1.value = 0;
	e2.key = "k\xc3\xa9y \"x\"";
	e2.value = INT32_MIN;
	e3.key = "";		/* a duplicate key: kept, in order */
	e3.value = 5;
	a.n_m_string_int32 = 3;
	a.m_string_int32 = msi;
	k1.key = INT64_MIN;
	k1.value = "v";
	a.n_m_int64_string = 1;
	a.m_int64_string = mis;
	u1.key = UINT32_MAX;
	u1.value = &in2;	/* an empty message value */
	u2.key = 0;
	u2.value = NULL;	/* an absent message value */
	a.n_m_uint32_msg = 2;
	a.m_uint32_msg = mum;
	b1.key = 1;
	b1.value.data = allbytes;
	b1.value.len = 3;
	a.n_m_bool_bytes = 1;
	a.m_bool_bytes = mbb;
	a.block_hash.data = allbytes + 200;
	a.block_hash.len = 32;

	round_trip(&a.base, 0, "edge values in every field type");
	round_trip(&a.base, PBJSON_EMIT_DEFAULTS,
	    "edge values, PBJSON_EMIT_DEFAULTS");

	/* Each oneof member, including at its zero value. */
	a.choice_case = PBTEST__ALL__CHOICE_C_DOUBLE;
	a.c_double = -0.0;
	round_trip(&a.base, 0, "oneof double -0.0");
	a.choice_case = PBTEST__ALL__CHOICE_C_UINT64;
	a.c_uint64 = 0;
	round_trip(&a.base, 0, "oneof uint64 0");
	a.choice_case = PBTEST__ALL__CHOICE_C_BYTES;
	a.c_bytes.data = empty;
	a.c_bytes.len = 0;
	round_trip(&a.base, 0, "oneof empty bytes");
	a.choice_case = PBTEST__ALL__CHOICE_C_STRING;
	a.c_string = "";
	round_trip(&a.base, 0, "oneof empty string");
	a.choice_case = PBTEST__ALL__CHOICE_C_MSG;
	a.c_msg = &in2;
	round_trip(&a.base, 0, "oneof empty message");
	a.choice_case = PBTEST__ALL__CHOICE_C_ENUM;
	a.c_enum = PBTEST__COLOR__COLOR_UNSPECIFIED;
	round_trip(&a.base, 0, "oneof enum zero");

	/* NaN at top level, -0.0 in a proto3 scalar (packed as absent). */
	a.f_double = NAN;
	a.f_float = -0.0f;
	round_trip(&a.base, 0, "NaN and -0.0 scalars");
}

static void
test_deep(void)
{
	Pbtest__All chain[80];
	Pbtest__Inner inner[12];
	ProtobufCMessage *m;
	cJSON *j;
	char err[512], *s, *text;
	size_t i, len;

	for (i = 0; i < 80; i++) {
		pbtest__all__init(&chain[i]);
		chain[i].f_int32 = (int32_t)i + 1;
		chain[i].child = i + 1 < 80 ? &chain[i + 1] : NULL;
	}
	for (i = 0; i < 12; i++) {
		pbtest__inner__init(&inner[i]);
		inner[i].n = (int32_t)i;
		inner[i].next = i + 1 < 12 ? &inner[i + 1] : NULL;
	}
	chain[9].child = NULL;
	chain[0].f_msg = &inner[0];
	round_trip(&chain[0].base, 0, "nested 10 deep (and 12 deep Inner)");

	chain[9].child = &chain[10];
	chain[63].child = NULL;
	round_trip(&chain[0].base, 0, "nested 64 deep (the limit)");
	chain[63].child = &chain[64];
	chain[69].child = NULL;
	j = pbjson_from_pb(&chain[0].base, 0, err, sizeof(err));
	ok(j == NULL && strstr(err, ": nesting deeper than 64 messages"),
	    "pb -> JSON: 70 deep refused: %.40s...%s", err,
	    strlen(err) > 40 ? err + strlen(err) - 34 : "");
	cJSON_Delete(j);

	/* 70 levels of {"child": ...} as text. */
	len = 70 * 10 + 2 + 70;
	if ((text = malloc(len + 1)) == NULL)
		abort();
	s = text;
	for (i = 0; i < 70; i++)
		s += sprintf(s, "{\"child\":");
	s += sprintf(s, "{}");
	for (i = 0; i < 70; i++)
		*s++ = '}';
	*s = '\0';
	m = pbjson_parse(&pbtest__all__descriptor, text, strlen(text), err,
	    sizeof(err));
	ok(m == NULL && strstr(err, ": nesting deeper than 64 messages") &&
	    strncmp(err, "child.child.child.", 18) == 0,
	    "JSON -> pb: 70 deep refused with a path");
	protobuf_c_message_free_unpacked(m, NULL);
	free(text);
}

static void
test_proto2(void)
{
	Pbtest2__Opt o = PBTEST2__OPT__INIT;
	Pbtest2__Sub sub = PBTEST2__SUB__INIT;
	Pbtest2__Opt__OMapEntry me = PBTEST2__OPT__OMAP_ENTRY__INIT;
	Pbtest2__Opt__OMapEntry *mep[1] = { &me };
	char err[256], *s, hello[] = "hello";
	uint8_t dflt[] = "dflt";

	o.id = 0;
	s = pbjson_print(&o.base, 0, err, sizeof(err));
	is_str(s, "{\"id\":0}", "proto2: required emitted, unset optionals "
	    "(and their defaults) omitted");
	free(s);
	round_trip(&o.base, 0, "proto2: nothing set");

	o.has_o_int32 = 1;
	o.o_int32 = 0;
	o.has_o_int64 = 1;
	o.o_int64 = -5;		/* equal to its default, but set */
	o.has_o_bool = 1;
	o.has_o_float = 1;
	o.o_float = -0.0f;
	o.has_o_double = 1;
	o.has_o_bytes = 1;
	o.o_bytes.data = dflt;
	o.o_bytes.len = 4;
	o.has_o_enum = 1;
	o.o_enum = PBTEST2__MOOD__MOOD_CALM;
	o.o_msg = &sub;
	o.has_o_sint32 = 1;
	o.has_o_fixed32 = 1;
	o.o_string = hello;	/* not the default's pointer: present */
	o.pick_case = PBTEST2__OPT__PICK_P_INT32;
	me.key = "a";
	me.has_value = 1;
	o.n_o_map = 1;
	o.o_map = mep;
	s = pbjson_print(&o.base, 0, err, sizeof(err));
	is_str(s, "{\"id\":0,\"o_int32\":0,\"o_int64\":-5,\"o_bool\":false,"
	    "\"o_float\":-0,\"o_double\":1.5,\"o_string\":\"hello\","
	    "\"o_bytes\":\"0x64666c74\",\"o_enum\":\"MOOD_CALM\",\"o_msg\":{},"
	    "\"o_sint32\":0,\"o_fixed32\":0,\"p_int32\":0,"
	    "\"o_map\":{\"a\":0}}",
	    "proto2: has_ flags decide presence, zero values kept");
	free(s);
	round_trip(&o.base, 0, "proto2: every optional set to zero/default");
}

/* pbjson_print of m with flags, compared with want. */
static void
is_json(const ProtobufCMessage *m, int flags, const char *want,
    const char *name)
{
	char err[256], *s;

	s = pbjson_print(m, flags, err, sizeof(err));
	is_str(s != NULL ? s : err, want, "%s", name);
	free(s);
}

/*
 * Issue 13's mapping on output: integers are numbers up to 2^53 in
 * magnitude and strings past it, for every integer type; bytes are 0x-hex;
 * with PBJSON_EMIT_DEFAULTS (what -J uses) every zero is written as one.
 */
static void
test_mapping(void)
{
	Pbtest__All a = PBTEST__ALL__INIT;
	int64_t ri64[] = { 9007199254740992LL, 9007199254740993LL,
	    -9007199254740992LL, -9007199254740993LL };
	uint64_t ru64[] = { 9007199254740992ULL, 9007199254740993ULL };
	int32_t ri32[] = { INT32_MIN, INT32_MAX };
	uint32_t ru32[] = { UINT32_MAX };
	uint8_t b[] = { 0x00, 0xab, 0xcd, 0xef, 0x10 };
	char err[256], *s;

	a.n_r_int64 = a.n_r_sint64 = a.n_r_sfixed64 = 4;
	a.r_int64 = a.r_sint64 = a.r_sfixed64 = ri64;
	a.n_r_uint64 = a.n_r_fixed64 = 2;
	a.r_uint64 = a.r_fixed64 = ru64;
	a.n_r_int32 = a.n_r_sint32 = a.n_r_sfixed32 = 2;
	a.r_int32 = a.r_sint32 = a.r_sfixed32 = ri32;
	a.n_r_uint32 = a.n_r_fixed32 = 1;
	a.r_uint32 = a.r_fixed32 = ru32;
	is_json(&a.base, 0, "{"
	    "\"r_int32\":[-2147483648,2147483647],"
	    "\"r_sint32\":[-2147483648,2147483647],"
	    "\"r_sfixed32\":[-2147483648,2147483647],"
	    "\"r_int64\":[9007199254740992,\"9007199254740993\","
	    "-9007199254740992,\"-9007199254740993\"],"
	    "\"r_sint64\":[9007199254740992,\"9007199254740993\","
	    "-9007199254740992,\"-9007199254740993\"],"
	    "\"r_sfixed64\":[9007199254740992,\"9007199254740993\","
	    "-9007199254740992,\"-9007199254740993\"],"
	    "\"r_uint32\":[4294967295],\"r_fixed32\":[4294967295],"
	    "\"r_uint64\":[9007199254740992,\"9007199254740993\"],"
	    "\"r_fixed64\":[9007199254740992,\"9007199254740993\"]}",
	    "mapping: every integer type a number up to 2^53, a string past");
	round_trip(&a.base, 0, "mapping: the 2^53 boundary");

	pbtest__all__init(&a);
	a.f_uint64 = 1000000000000000ULL;
	a.f_int64 = -1;
	a.f_bytes.data = b;
	a.f_bytes.len = sizeof(b);
	a.c_uint64 = UINT64_MAX;
	a.choice_case = PBTEST__ALL__CHOICE_C_UINT64;
	is_json(&a.base, 0, "{\"f_int64\":-1,\"f_uint64\":1000000000000000,"
	    "\"f_bytes\":\"0x00abcdef10\",\"c_uint64\":\"18446744073709551615\"}",
	    "mapping: digits, not 1e+15; bytes lowercase 0x-hex");

	pbtest__all__init(&a);
	is_json(&a.base, PBJSON_EMIT_DEFAULTS, "{\"f_int32\":0,\"f_sint32\":0,"
	    "\"f_sfixed32\":0,\"f_int64\":0,\"f_sint64\":0,\"f_sfixed64\":0,"
	    "\"f_uint32\":0,\"f_fixed32\":0,\"f_uint64\":0,\"f_fixed64\":0,"
	    "\"f_bool\":false,\"f_float\":0,\"f_double\":0,\"f_string\":\"\","
	    "\"f_bytes\":\"0x\",\"f_enum\":\"COLOR_UNSPECIFIED\","
	    "\"block_hash\":\"0x\",\"r_int32\":[],\"r_sint32\":[],"
	    "\"r_sfixed32\":[],\"r_int64\":[],\"r_sint64\":[],"
	    "\"r_sfixed64\":[],\"r_uint32\":[],\"r_fixed32\":[],"
	    "\"r_uint64\":[],\"r_fixed64\":[],\"r_bool\":[],\"r_float\":[],"
	    "\"r_double\":[],\"r_string\":[],\"r_bytes\":[],\"r_enum\":[],"
	    "\"r_msg\":[],\"u_int32\":[],\"u_double\":[],\"u_sint64\":[],"
	    "\"m_string_int32\":{},\"m_int64_string\":{},"
	    "\"m_uint32_msg\":{},\"m_bool_bytes\":{},\"m_sint32_enum\":{},"
	    "\"m_fixed64_double\":{},\"m_sfixed32_float\":{},"
	    "\"children\":[]}",
	    "mapping: PBJSON_EMIT_DEFAULTS: every zero as a zero, no null, "
	    "unset messages and oneofs left out");
	round_trip(&a.base, PBJSON_EMIT_DEFAULTS, "mapping: all zero");

	/* A message read from the wire without its fields reads as zeros. */
	s = NULL;
	{
		Pbtest__Update *u;
		uint8_t none[1];

		u = pbtest__update__unpack(NULL, 0, none);
		if (u != NULL) {
			s = pbjson_print(&u->base, PBJSON_EMIT_DEFAULTS, err,
			    sizeof(err));
			pbtest__update__free_unpacked(u, NULL);
		}
	}
	is_str(s, "{\"height\":0,\"block_hash\":\"0x\"}",
	    "mapping: fields absent from the wire are 0 and 0x, not null");
	free(s);
}

/* pbjson_parse of json then pbjson_print with flags: want, or the error. */
static void
is_reprint(const ProtobufCMessageDescriptor *d, const char *json, int flags,
    const char *want, const char *name)
{
	ProtobufCMessage *m;
	char err[256], *s = NULL;

	if ((m = pbjson_parse(d, json, strlen(json), err, sizeof(err))) != NULL)
		s = pbjson_print(m, flags, err, sizeof(err));
	is_str(s != NULL ? s : err, want, "%s", name);
	free(s);
	protobuf_c_message_free_unpacked(m, NULL);
}

/*
 * Issue 13's mapping on input: both forms of bytes and of integers read,
 * and print back in the one output form.
 */
static void
test_mapping_input(void)
{
	static const char *canon = "{\"height\":9007199254740992,"
	    "\"block_hash\":\"0x0102ff\",\"body\":{\"events\":["
	    "{\"amount\":\"9007199254740993\",\"kind\":\"\"},"
	    "{\"amount\":0,\"kind\":\"\"}]}}";
	const ProtobufCMessageDescriptor *U = &pbtest__update__descriptor;
	ProtobufCMessage *m;
	Pbtest__All *a;
	const char *t;
	cJSON *j;
	char err[256];

	is_reprint(U, "{\"height\":\"9007199254740992\",\"block_hash\":"
	    "\"AQL/\",\"body\":{\"events\":[{\"amount\":\"9007199254740993\"},"
	    "{\"amount\":\"0\"}]}}", PBJSON_EMIT_DEFAULTS, canon,
	    "mapping input: strings and base64 -> JSON numbers and 0x-hex");
	is_reprint(U, "{\"height\":9007199254740992,\"blockHash\":"
	    "\"0X0102FF\",\"body\":{\"events\":[{\"amount\":"
	    "\"9007199254740993\"},{\"amount\":0}]}}", PBJSON_EMIT_DEFAULTS,
	    canon, "mapping input: numbers and 0X-HEX -> the same");
	is_reprint(U, canon, PBJSON_EMIT_DEFAULTS, canon,
	    "mapping input: the output form reads back as itself");
	is_reprint(U, "{\"height\":-0,\"block_hash\":\"0x\"}", 0, "{}",
	    "mapping input: -0 and \"0x\" are zero and empty");
	is_reprint(U, "{\"height\":9.007199254740991e15,\"block_hash\":"
	    "\"0x0g\"}", 0,
	    "{\"height\":9007199254740991,\"block_hash\":\"0xd31d20\"}",
	    "mapping input: an exponent below 2^53; \"0x\" then not hex is "
	    "base64");
	is_reprint(&pbtest__all__descriptor, "{\"f_int64\":-9007199254740992,"
	    "\"f_sint64\":\"-9223372036854775808\",\"f_fixed64\":"
	    "\"18446744073709551615\",\"f_uint32\":\"4294967295\","
	    "\"f_sfixed32\":-2147483648,\"f_enum\":-3,\"r_bytes\":[\"0x\","
	    "\"AA==\",\"0xff\"],\"m_bool_bytes\":{\"true\":\"0xAbCd\"}}", 0,
	    "{\"f_sfixed32\":-2147483648,\"f_int64\":-9007199254740992,"
	    "\"f_sint64\":\"-9223372036854775808\",\"f_uint32\":4294967295,"
	    "\"f_fixed64\":\"18446744073709551615\",\"f_enum\":\"COLOR_BLUE\","
	    "\"r_bytes\":[\"0x\",\"0x00\",\"0xff\"],"
	    "\"m_bool_bytes\":{\"true\":\"0xabcd\"}}",
	    "mapping input: each type at its edge, repeated and map bytes");

	/* A tree built without text: numbers up to 2^53 exactly. */
	j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "height", 9007199254740992.0);
	m = pbjson_to_pb(U, j, err, sizeof(err));
	ok(m != NULL && ((Pbtest__Update *)m)->height == 1ULL << 53,
	    "mapping input: a cJSON number 2^53 taken");
	protobuf_c_message_free_unpacked(m, NULL);
	cJSON_ReplaceItemInObject(j, "height",
	    cJSON_CreateNumber(9007199254740994.0));
	m = pbjson_to_pb(U, j, err, sizeof(err));
	ok(m == NULL && strcmp(err, "height: integer too large for a JSON "
	    "number (quote it)") == 0,
	    "mapping input: a cJSON number past 2^53 refused (%s)", err);
	protobuf_c_message_free_unpacked(m, NULL);
	cJSON_Delete(j);

	/* 2^53 + 1 as a number reads as 2^53 to cJSON: not to us. */
	t = "{\"f_double\":9007199254740993,\"r_int64\":[\"x\"]}";
	m = pbjson_parse(&pbtest__all__descriptor, t, strlen(t), err,
	    sizeof(err));
	ok(m == NULL && strcmp(err, "r_int64[0]: expected integer") == 0,
	    "mapping input: a big number in a double field is fine (%s)", err);
	protobuf_c_message_free_unpacked(m, NULL);
	t = "{\"f_double\":9007199254740993}";
	a = (Pbtest__All *)pbjson_parse(&pbtest__all__descriptor, t,
	    strlen(t), err, sizeof(err));
	ok(a != NULL && a->f_double == 9007199254740992.0,
	    "mapping input: ... and reads as the nearest double");
	if (a != NULL)
		protobuf_c_message_free_unpacked(&a->base, NULL);
}

static void
test_input(void)
{
	static const char *json =
	    "{\"fInt32\":\"-7\",\"f_int64\":-9007199254740991,"
	    "\"fUint64\":9007199254740991,\"f_bytes\":\"-_8\","
	    "\"blockHash\":\"AQI\",\"f_enum\":2,\"f_double\":\"-Infinity\","
	    "\"f_float\":\"1.5e3\",\"r_double\":[\"NaN\",1e-2,\"2\"],"
	    "\"f_string\":null,\"f_msg\":null,\"r_int32\":null,"
	    "\"c_msg\":null,\"c_int32\":3,\"m_sint32_enum\":{\"-1\":"
	    "\"COLOR_BLUE\",\"2\":1},\"r_enum\":[\"COLOR_RED\",99],"
	    "\"f_uint32\":4.0e9,\"f_sint32\":-0,\"fBool\":true}";
	Pbtest__All *a;
	char err[256];

	a = (Pbtest__All *)pbjson_parse(&pbtest__all__descriptor, json,
	    strlen(json), err, sizeof(err));
	if (!ok(a != NULL, "lenient input accepted")) {
		diag("%s", err);
		return;
	}
	is_int(a->f_int32, -7, "int32 from a string, camelCase key");
	is_int(a->f_int64, -9007199254740991LL, "int64 from a number");
	ok(a->f_uint64 == 9007199254740991ULL, "uint64 from a number");
	ok(a->f_bytes.len == 2 && a->f_bytes.data[0] == 0xfb &&
	    a->f_bytes.data[1] == 0xff, "URL-safe unpadded base64");
	ok(a->block_hash.len == 2 && a->block_hash.data[0] == 1 &&
	    a->block_hash.data[1] == 2, "unpadded base64, camelCase key");
	is_int(a->f_enum, PBTEST__COLOR__COLOR_GREEN, "enum by number");
	ok(isinf(a->f_double) && a->f_double < 0, "\"-Infinity\"");
	ok(a->f_float == 1500.0f, "float from a numeric string");
	ok(a->n_r_double == 3 && isnan(a->r_double[0]) &&
	    a->r_double[1] == 0.01 && a->r_double[2] == 2.0,
	    "\"NaN\", numbers and numeric strings in a repeated double");
	ok(a->f_string != NULL && a->f_string[0] == '\0' &&
	    a->f_msg == NULL && a->n_r_int32 == 0,
	    "null means absent");
	ok(a->choice_case == PBTEST__ALL__CHOICE_C_INT32 && a->c_int32 == 3,
	    "a null oneof member does not take the oneof");
	ok(a->n_m_sint32_enum == 2 && a->m_sint32_enum[0]->key == -1 &&
	    a->m_sint32_enum[0]->value == PBTEST__COLOR__COLOR_BLUE &&
	    a->m_sint32_enum[1]->key == 2 &&
	    a->m_sint32_enum[1]->value == PBTEST__COLOR__COLOR_RED,
	    "map with integer keys and enum values");
	ok(a->n_r_enum == 2 && a->r_enum[1] == 99, "unknown enum number kept");
	ok(a->f_uint32 == 4000000000U && a->f_sint32 == 0 && a->f_bool,
	    "exponent integer, -0 integer, bool");
	protobuf_c_message_free_unpacked(&a->base, NULL);
}

static void
test_bad(void)
{
	static const struct {
		const ProtobufCMessageDescriptor *desc;
		const char *json;
		const char *err;
	} bad[] = {
#define U &pbtest__update__descriptor
#define A &pbtest__all__descriptor
#define O &pbtest2__opt__descriptor
	{ U, "{\"height\":1.5}", "height: expected integer" },
	{ U, "{\"body\":{\"events\":[{},{},{},{\"amount\":true}]}}",
	    "body.events[3].amount: expected integer" },
	{ U, "{\"body\":{\"events\":[{\"kind\":\"a\",\"amount\":\"1\","
	    "\"colour\":1}]}}",
	    "body.events[0]: unknown field \"colour\"" },
	{ U, "{\"nope\":1}", "unknown field \"nope\"" },
	{ U, "{\"Height\":1}", "unknown field \"Height\"" },
	{ U, "{\"height\":\"18446744073709551616\"}",
	    "height: integer out of range" },
	{ U, "{\"height\":\"-1\"}", "height: integer out of range" },
	{ U, "{\"height\":-1}", "height: integer out of range" },
	{ U, "{\"height\":9007199254740993}",
	    "height: integer too large for a JSON number (quote it)" },
	{ U, "{\"height\":\"12a\"}", "height: expected integer" },
	{ U, "{\"height\":\" 12\"}", "height: expected integer" },
	{ U, "{\"height\":\"\"}", "height: expected integer" },
	{ U, "{\"height\":\"1e3\"}", "height: expected integer" },
	{ U, "{\"height\":[]}", "height: expected integer" },
	{ U, "{\"block_hash\":\"!!!!\"}",
	    "block_hash: invalid 0x-hex or base64" },
	{ U, "{\"block_hash\":\"QUJDR\"}",
	    "block_hash: invalid 0x-hex or base64" },
	{ U, "{\"block_hash\":\"QQ=\"}",
	    "block_hash: invalid 0x-hex or base64" },
	{ U, "{\"block_hash\":\"QQ== \"}",
	    "block_hash: invalid 0x-hex or base64" },
	{ U, "{\"block_hash\":\"0x123\"}",
	    "block_hash: invalid 0x-hex or base64" },
	{ U, "{\"block_hash\":\"0x12 34\"}",
	    "block_hash: invalid 0x-hex or base64" },
	{ U, "{\"block_hash\":\"0x0g=\"}",
	    "block_hash: invalid 0x-hex or base64" },
	{ U, "{\"block_hash\":\"x\"}",
	    "block_hash: invalid 0x-hex or base64" },
	{ U, "{\"block_hash\":5}",
	    "block_hash: expected 0x-hex or base64 string" },
	{ U, "{\"block_hash\":[1]}",
	    "block_hash: expected 0x-hex or base64 string" },
	{ U, "{\"height\":9007199254740992.5}",
	    "height: integer too large for a JSON number (quote it)" },
	{ U, "{\"height\":90071992547409930}",
	    "height: integer too large for a JSON number (quote it)" },
	{ U, "{\"height\":9.007199254740993e15}",
	    "height: integer too large for a JSON number (quote it)" },
	{ U, "{\"height\":18446744073709551615}",
	    "height: integer too large for a JSON number (quote it)" },
	{ U, "{\"height\":184467440737095516150}",
	    "height: integer too large for a JSON number (quote it)" },
	{ U, "{\"height\":1e-3}", "height: expected integer" },
	{ U, "{\"height\":true}", "height: expected integer" },
	{ U, "{\"height\":\"0x10\"}", "height: expected integer" },
	{ U, "{\"height\":\"9007199254740993.0\"}",
	    "height: expected integer" },
	{ U, "{\"body\":{\"events\":[{\"amount\":-9007199254740993}]}}",
	    "body.events[0].amount: integer too large for a JSON number "
	    "(quote it)" },
	{ A, "{\"f_int64\":-9007199254740993}",
	    "f_int64: integer too large for a JSON number (quote it)" },
	{ A, "{\"r_uint64\":[1,9007199254740993]}",
	    "r_uint64[1]: integer too large for a JSON number (quote it)" },
	{ A, "{\"f_uint32\":9007199254740993}",
	    "f_uint32: integer out of range" },
	{ A, "{\"f_int32\":2.5}", "f_int32: expected integer" },
	{ A, "{\"f_enum\":9007199254740993}",
	    "f_enum: integer out of range" },
	{ U, "{\"block_hash\":\"AQI=\",\"blockHash\":\"AQI=\"}",
	    "block_hash: duplicate field" },
	{ U, "{\"height\":1,\"height\":1}", "height: duplicate field" },
	{ U, "{\"body\":[]}", "body: expected object" },
	{ U, "{\"body\":{\"events\":{}}}", "body.events: expected array" },
	{ U, "{\"body\":{\"events\":[null]}}",
	    "body.events[0]: expected object" },
	{ U, "[]", "expected object" },
	{ U, "\"x\"", "expected object" },
	{ A, "{\"f_int32\":2147483648}", "f_int32: integer out of range" },
	{ A, "{\"f_int32\":-2147483649}", "f_int32: integer out of range" },
	{ A, "{\"f_sfixed32\":\"2147483648\"}",
	    "f_sfixed32: integer out of range" },
	{ A, "{\"f_uint32\":4294967296}", "f_uint32: integer out of range" },
	{ A, "{\"f_fixed32\":\"-1\"}", "f_fixed32: integer out of range" },
	{ A, "{\"f_int64\":\"-9223372036854775809\"}",
	    "f_int64: integer out of range" },
	{ A, "{\"f_sint64\":\"9223372036854775808\"}",
	    "f_sint64: integer out of range" },
	{ A, "{\"f_int64\":1e300}",
	    "f_int64: integer too large for a JSON number (quote it)" },
	{ A, "{\"f_int32\":1e300}", "f_int32: integer out of range" },
	{ A, "{\"f_int32\":\"NaN\"}", "f_int32: expected integer" },
	{ A, "{\"f_enum\":\"COLOR_PURPLE\"}",
	    "f_enum: unknown enum value \"COLOR_PURPLE\"" },
	{ A, "{\"f_enum\":\"color_red\"}",
	    "f_enum: unknown enum value \"color_red\"" },
	{ A, "{\"f_enum\":true}", "f_enum: expected enum name or number" },
	{ A, "{\"f_enum\":1.5}", "f_enum: expected integer" },
	{ A, "{\"f_bool\":1}", "f_bool: expected boolean" },
	{ A, "{\"f_bool\":\"true\"}", "f_bool: expected boolean" },
	{ A, "{\"f_string\":1}", "f_string: expected string" },
	{ A, "{\"f_string\":\"\xff\"}", "f_string: invalid UTF-8 in string" },
	{ A, "{\"f_string\":\"\xc0\xaf\"}",
	    "f_string: invalid UTF-8 in string" },
	{ A, "{\"f_string\":\"\xed\xa0\x80\"}",
	    "f_string: invalid UTF-8 in string" },
	{ A, "{\"r_string\":[\"ok\",\"\xf4\x90\x80\x80\"]}",
	    "r_string[1]: invalid UTF-8 in string" },
	{ A, "{\"f_float\":1e39}", "f_float: number out of range for float" },
	{ A, "{\"f_float\":\"-3.5e38\"}",
	    "f_float: number out of range for float" },
	{ A, "{\"f_double\":1e999}", "f_double: number out of range" },
	{ A, "{\"f_double\":\"1e999\"}", "f_double: number out of range" },
	{ A, "{\"f_double\":\"1.5x\"}", "f_double: expected number" },
	{ A, "{\"f_double\":\"nan\"}", "f_double: expected number" },
	{ A, "{\"f_double\":\"0x10\"}", "f_double: expected number" },
	{ A, "{\"f_double\":\".5\"}", "f_double: expected number" },
	{ A, "{\"f_double\":true}", "f_double: expected number" },
	{ A, "{\"r_int32\":5}", "r_int32: expected array" },
	{ A, "{\"r_int32\":[1,null]}", "r_int32[1]: expected integer" },
	{ A, "{\"r_msg\":[{\"n\":\"x\"}]}", "r_msg[0].n: expected integer" },
	{ A, "{\"f_msg\":{\"next\":{\"next\":{\"label\":false}}}}",
	    "f_msg.next.next.label: expected string" },
	{ A, "{\"f_msg\":[]}", "f_msg: expected object" },
	{ A, "{\"c_int32\":1,\"c_string\":\"a\"}",
	    "c_string: oneof already set by field \"c_int32\"" },
	{ A, "{\"c_msg\":{},\"cEnum\":1}",
	    "c_enum: oneof already set by field \"c_msg\"" },
	{ A, "{\"m_string_int32\":[]}", "m_string_int32: expected object" },
	{ A, "{\"m_string_int32\":{\"a\":\"b\"}}",
	    "m_string_int32[\"a\"]: expected integer" },
	{ A, "{\"m_int64_string\":{\"x\":\"a\"}}",
	    "m_int64_string[\"x\"]: invalid map key: expected integer" },
	{ A, "{\"m_int64_string\":{\"9223372036854775808\":\"a\"}}",
	    "m_int64_string[\"9223372036854775808\"]: map key out of range" },
	{ A, "{\"m_sfixed32_float\":{\"-2147483649\":1}}",
	    "m_sfixed32_float[\"-2147483649\"]: map key out of range" },
	{ A, "{\"m_uint32_msg\":{\"-1\":{}}}",
	    "m_uint32_msg[\"-1\"]: map key out of range" },
	{ A, "{\"m_bool_bytes\":{\"yes\":\"AA==\"}}",
	    "m_bool_bytes[\"yes\"]: invalid map key: expected \"true\" or "
	    "\"false\"" },
	{ A, "{\"m_uint32_msg\":{\"1\":{\"n\":[]}}}",
	    "m_uint32_msg[\"1\"].n: expected integer" },
	{ A, "{\"m_sint32_enum\":{\"1\":null}}",
	    "m_sint32_enum[\"1\"]: expected enum name or number" },
	{ A, "{\"children\":[{},{\"children\":[{\"f_bool\":0}]}]}",
	    "children[1].children[0].f_bool: expected boolean" },
	{ O, "{}", "id: missing required field" },
	{ O, "{\"id\":null}", "id: missing required field" },
	{ O, "{\"id\":1,\"o_msg\":{\"x\":\"y\"}}",
	    "o_msg.x: expected integer" },
	{ O, "{\"id\":1,\"p_int32\":1,\"pString\":\"\"}",
	    "p_string: oneof already set by field \"p_int32\"" },
	{ U, "{\"height\":}", "invalid JSON at byte 10" },
	{ U, "{} x", "trailing data at byte 3" },
	{ U, "", "empty input" },
#undef U
#undef A
#undef O
	};
	ProtobufCMessage *m;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strcpy(err, "(no error)");
		m = pbjson_parse(bad[i].desc, bad[i].json, strlen(bad[i].json),
		    err, sizeof(err));
		ok(m == NULL, "refused: %s", bad[i].json);
		is_str(err, bad[i].err, "  error text");
		protobuf_c_message_free_unpacked(m, NULL);
	}
}

static void
test_random(void)
{
	ProtobufCMessage *m;
	int i, failed = 0, flags;

	for (i = 0; i < RANDOM_ITERATIONS && failed < 5; i++) {
		flags = i % 3 == 0 ? PBJSON_EMIT_DEFAULTS : 0;
		m = rand_msg(i % 4 == 3 ? &pbtest2__opt__descriptor :
		    &pbtest__all__descriptor, 0);
		if (!round_trip(m, flags, NULL))
			failed++;
		protobuf_c_message_free_unpacked(m, NULL);
	}
	ok(failed == 0, "random round trips: %d of %d failed (seed fixed)",
	    failed, i);
}

int
main(void)
{
	test_golden();
	test_edges();
	test_deep();
	test_proto2();
	test_input();
	test_mapping();
	test_mapping_input();
	test_bad();
	test_random();
	return done_testing();
}

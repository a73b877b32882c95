/*
 * pbjson: see pbjson.h.
 *
 * Presence on output mirrors protobuf-c 1.4's packer exactly, so that
 * pb -> JSON -> pb packs to the same bytes: oneof members are present when
 * their case is set (strings and messages only when not NULL or the
 * default), proto2 optional scalars when has_ is set, strings and messages
 * with presence when not NULL or the default, proto3 scalars when not
 * "zeroish" (0, 0.0 and -0.0, false, "", empty bytes, NULL).
 *
 * Messages built on input are allocated with malloc(3) and initialised with
 * protobuf_c_message_init(), as protobuf-c's default allocator does, and are
 * kept consistent at every step (counts follow filled elements, oneof cases
 * follow their value) so protobuf_c_message_free_unpacked() can free a
 * half-built message on error.
 */
#include <ctype.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "pbjson.h"

#define MEMBER(m, off)		((void *)((char *)(m) + (off)))
#define CMEMBER(m, off)		((const void *)((const char *)(m) + (off)))

/*
 * Integers up to 2^53 in magnitude are exact in a double (and in jq and
 * JavaScript); past it a JSON number may already have been rounded.
 */
#define EXACT_INT		(1ULL << 53)
#define EXACT_DOUBLE_INT	9007199254740992.0	/* 2^53 */
/* Doubles at and above this round to infinity as a float. */
#define FLOAT_OVERFLOW		0x1.ffffffp+127

struct pbj {
	char	*err;
	size_t	 errlen;
	int	 failed;
	int	 flags;
	int	 depth;
	size_t	 plen;
	char	 path[256];
};

static void	 pbj_init(struct pbj *, int, char *, size_t);
static int	 pbj_err(struct pbj *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static size_t	 path_push(struct pbj *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static size_t	 path_field(struct pbj *, const char *);
static void	 path_pop(struct pbj *, size_t);
static const char *safe(const char *, char *, size_t);

static cJSON	*msg_to_json(struct pbj *, const ProtobufCMessage *);
static int	 field_to_json(struct pbj *, const ProtobufCMessage *,
		    const ProtobufCFieldDescriptor *, cJSON **);
static int	 field_present(const struct pbj *,
		    const ProtobufCFieldDescriptor *, const void *,
		    const void *);
static cJSON	*value_to_json(struct pbj *, const ProtobufCFieldDescriptor *,
		    const void *);
static cJSON	*map_to_json(struct pbj *, const ProtobufCFieldDescriptor *,
		    size_t, const void *);
static cJSON	*float_to_json(struct pbj *, double, int);
static cJSON	*int_to_json(int, uint64_t);
static cJSON	*bytes_to_json(const uint8_t *, size_t);
static int	 key_to_text(struct pbj *, const ProtobufCFieldDescriptor *,
		    const void *, char *, size_t, const char **);

static ProtobufCMessage *msg_from_json(struct pbj *,
		    const ProtobufCMessageDescriptor *, const cJSON *);
static int	 field_from_json(struct pbj *,
		    const ProtobufCMessageDescriptor *, ProtobufCMessage *,
		    const ProtobufCFieldDescriptor *, const cJSON *);
static int	 repeated_from_json(struct pbj *,
		    const ProtobufCFieldDescriptor *, const cJSON *, void *,
		    void *);
static int	 map_from_json(struct pbj *, const ProtobufCFieldDescriptor *,
		    const cJSON *, void *, void *);
static int	 value_from_json(struct pbj *,
		    const ProtobufCFieldDescriptor *, const cJSON *, void *);
static int	 key_from_text(struct pbj *, const ProtobufCFieldDescriptor *,
		    const char *, void *);
static void	 set_has(const ProtobufCFieldDescriptor *, void *);
static int	 number_int(const cJSON *, int *, uint64_t *);
static int	 json_int(struct pbj *, const cJSON *, int64_t, int64_t,
		    int64_t *);
static int	 json_uint(struct pbj *, const cJSON *, uint64_t, uint64_t *);
static int	 json_double(struct pbj *, const cJSON *, int, double *);
static int	 json_enum(struct pbj *, const ProtobufCEnumDescriptor *,
		    const cJSON *, int32_t *);

static const ProtobufCFieldDescriptor *find_field(
		    const ProtobufCMessageDescriptor *, const char *);
static int	 camel_eq(const char *, const char *);
static int	 is_map(const ProtobufCMessageDescriptor *,
		    const ProtobufCFieldDescriptor *);
static size_t	 elt_size(ProtobufCType);
static int	 parse_digits(const char *, int *, uint64_t *);
static int	 parse_number_text(const char *, double *);
static void	 fmt_double(char *, size_t, double, int);
static int	 utf8_valid(const char *);
static int	 b64_decode(const char *, uint8_t **, size_t *);
static int	 bytes_decode(const char *, uint8_t **, size_t *);
static const char *next_number(const char **, const char *, size_t *);
static int	 mark_big_numbers(cJSON *, const char **, const char *);

cJSON *
pbjson_from_pb(const ProtobufCMessage *msg, int flags, char *err,
    size_t errlen)
{
	struct pbj c;
	cJSON *j;

	pbj_init(&c, flags, err, errlen);
	if (msg == NULL || msg->descriptor == NULL ||
	    msg->descriptor->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC) {
		pbj_err(&c, "not a protobuf-c message");
		return NULL;
	}
	if ((j = msg_to_json(&c, msg)) == NULL && !c.failed)
		pbj_err(&c, "out of memory");
	return j;
}

char *
pbjson_print(const ProtobufCMessage *msg, int flags, char *err, size_t errlen)
{
	cJSON *j;
	char *s;

	if ((j = pbjson_from_pb(msg, flags, err, errlen)) == NULL)
		return NULL;
	if ((s = cJSON_PrintUnformatted(j)) == NULL)
		snprintf(err, errlen, "out of memory");
	cJSON_Delete(j);
	return s;
}

ProtobufCMessage *
pbjson_to_pb(const ProtobufCMessageDescriptor *desc, const cJSON *json,
    char *err, size_t errlen)
{
	struct pbj c;
	ProtobufCMessage *m;

	pbj_init(&c, 0, err, errlen);
	if (desc == NULL || desc->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC) {
		pbj_err(&c, "not a protobuf-c message descriptor");
		return NULL;
	}
	if (json == NULL) {
		pbj_err(&c, "expected object");
		return NULL;
	}
	if ((m = msg_from_json(&c, desc, json)) == NULL && !c.failed)
		pbj_err(&c, "out of memory");
	return m;
}

cJSON *
pbjson_json_parse(const char *text, size_t len, char *err, size_t errlen)
{
	const char *end = NULL, *p;
	cJSON *j;
	size_t i;

	if (len == 0 || text == NULL) {
		snprintf(err, errlen, "empty input");
		return NULL;
	}
	if ((j = cJSON_ParseWithLengthOpts(text, len, &end, 0)) == NULL) {
		snprintf(err, errlen, "invalid JSON at byte %zu",
		    end != NULL && end >= text && end <= text + len ?
		    (size_t)(end - text) : (size_t)0);
		return NULL;
	}
	for (i = end - text; i < len; i++)
		if (!isspace((unsigned char)text[i])) {
			snprintf(err, errlen, "trailing data at byte %zu", i);
			cJSON_Delete(j);
			return NULL;
		}
	p = text;
	if (mark_big_numbers(j, &p, end) == -1) {
		snprintf(err, errlen, "out of memory");
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

ProtobufCMessage *
pbjson_parse(const ProtobufCMessageDescriptor *desc, const char *text,
    size_t len, char *err, size_t errlen)
{
	ProtobufCMessage *m;
	cJSON *j;

	if ((j = pbjson_json_parse(text, len, err, errlen)) == NULL)
		return NULL;
	m = pbjson_to_pb(desc, j, err, errlen);
	cJSON_Delete(j);
	return m;
}

/*
 * The next number literal in [*p, end) outside strings (the characters
 * cJSON's parser takes for one), its length in *len; NULL when none.
 */
static const char *
next_number(const char **p, const char *end, size_t *len)
{
	const char *s = *p, *tok;

	while (s < end) {
		if (*s == '"') {
			for (s++; s < end && *s != '"'; s++)
				if (*s == '\\')
					s++;
			s++;
			continue;
		}
		if (*s != '-' && !isdigit((unsigned char)*s)) {
			s++;
			continue;
		}
		for (tok = s; s < end && (isdigit((unsigned char)*s) ||
		    *s == '-' || *s == '+' || *s == '.' || *s == 'e' ||
		    *s == 'E'); s++)
			;
		*p = s;
		*len = s - tok;
		return tok;
	}
	*p = s;
	return NULL;
}

/*
 * cJSON keeps a number only as a double, where 2^53 + 1 reads as 2^53.
 * Number items at or past 2^53 in magnitude become raw items holding
 * their text, matched with the literals of the text in document order
 * (the order cJSON builds its items in), for json_int() to read exactly.
 */
static int
mark_big_numbers(cJSON *item, const char **p, const char *end)
{
	const char *tok;
	size_t len;
	char *raw;

	for (; item != NULL; item = item->next) {
		if (cJSON_IsNumber(item)) {
			if ((tok = next_number(p, end, &len)) == NULL)
				return 0;	/* cannot be: leave the rest */
			if (!isnan(item->valuedouble) &&
			    fabs(item->valuedouble) < EXACT_DOUBLE_INT)
				continue;
			if ((raw = strndup(tok, len)) == NULL)
				return -1;
			item->type = (item->type & ~0xff) | cJSON_Raw;
			item->valuestring = raw;
		} else if ((cJSON_IsArray(item) || cJSON_IsObject(item)) &&
		    mark_big_numbers(item->child, p, end) == -1)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ context */

static void
pbj_init(struct pbj *c, int flags, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->flags = flags;
	c->err = err;
	c->errlen = err != NULL ? errlen : 0;
	if (c->errlen > 0)
		err[0] = '\0';
}

/* Record the first error as "path: message"; always returns -1. */
static int
pbj_err(struct pbj *c, const char *fmt, ...)
{
	va_list ap;
	char msg[256];

	if (c->failed)
		return -1;
	c->failed = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->errlen == 0)
		return -1;
	if (c->plen > 0)
		snprintf(c->err, c->errlen, "%s: %s", c->path, msg);
	else
		snprintf(c->err, c->errlen, "%s", msg);
	return -1;
}

static size_t
path_push(struct pbj *c, const char *fmt, ...)
{
	va_list ap;
	size_t old = c->plen;
	int n;

	if (c->plen + 1 >= sizeof(c->path))
		return old;
	va_start(ap, fmt);
	n = vsnprintf(c->path + c->plen, sizeof(c->path) - c->plen, fmt, ap);
	va_end(ap);
	if (n > 0)
		c->plen += n;
	if (c->plen >= sizeof(c->path))
		c->plen = sizeof(c->path) - 1;
	return old;
}

static size_t
path_field(struct pbj *c, const char *name)
{
	return path_push(c, c->plen > 0 ? ".%s" : "%s", name);
}

static void
path_pop(struct pbj *c, size_t old)
{
	c->plen = old;
	c->path[old] = '\0';
}

/* s made printable for an error message: at most len - 1 bytes. */
static const char *
safe(const char *s, char *buf, size_t len)
{
	size_t i;

	if (s == NULL)
		s = "";
	for (i = 0; s[i] != '\0' && i + 1 < len; i++)
		buf[i] = isprint((unsigned char)s[i]) && s[i] != '"' ?
		    s[i] : '?';
	buf[i] = '\0';
	if (s[i] != '\0' && len > 4)
		memcpy(buf + len - 4, "...", 4);
	return buf;
}

/* ------------------------------------------------------------ pb -> json */

static cJSON *
msg_to_json(struct pbj *c, const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const ProtobufCFieldDescriptor *f;
	cJSON *o, *v;
	size_t old;
	unsigned i;
	int r;

	if (c->depth >= PBJSON_MAX_DEPTH) {
		pbj_err(c, "nesting deeper than %d messages", PBJSON_MAX_DEPTH);
		return NULL;
	}
	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	c->depth++;
	for (i = 0; i < d->n_fields; i++) {
		f = &d->fields[i];
		old = path_field(c, f->name);
		r = field_to_json(c, m, f, &v);
		path_pop(c, old);
		if (r == -1)
			goto fail;
		if (v != NULL && !cJSON_AddItemToObject(o, f->name, v)) {
			cJSON_Delete(v);
			goto fail;
		}
	}
	c->depth--;
	return o;
fail:
	c->depth--;
	cJSON_Delete(o);
	return NULL;
}

/* *out is the field's JSON value, or NULL when the field is omitted. */
static int
field_to_json(struct pbj *c, const ProtobufCMessage *m,
    const ProtobufCFieldDescriptor *f, cJSON **out)
{
	const void *member = CMEMBER(m, f->offset);
	const void *qmember = CMEMBER(m, f->quantifier_offset);
	const char *arr;
	cJSON *a, *v;
	size_t i, n, sz, old;

	*out = NULL;
	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		n = *(const size_t *)qmember;
		arr = *(const char * const *)member;
		if (n > 0 && arr == NULL)
			return pbj_err(c, "NULL array of %zu elements", n);
		if (is_map(m->descriptor, f)) {
			if (n == 0 && !(c->flags & PBJSON_EMIT_DEFAULTS))
				return 0;
			*out = map_to_json(c, f, n, arr);
			return *out != NULL ? 0 : -1;
		}
		if (n == 0 && !(c->flags & PBJSON_EMIT_DEFAULTS))
			return 0;
		if ((a = cJSON_CreateArray()) == NULL)
			return pbj_err(c, "out of memory");
		sz = elt_size(f->type);
		for (i = 0; i < n; i++) {
			old = path_push(c, "[%zu]", i);
			v = value_to_json(c, f, arr + i * sz);
			path_pop(c, old);
			if (v == NULL || !cJSON_AddItemToArray(a, v)) {
				cJSON_Delete(v);
				cJSON_Delete(a);
				return pbj_err(c, "out of memory");
			}
		}
		*out = a;
		return 0;
	}
	if (!field_present(c, f, member, qmember))
		return 0;
	*out = value_to_json(c, f, member);
	return *out != NULL ? 0 : pbj_err(c, "out of memory");
}

/* Would protobuf-c 1.4 pack this (non-repeated) field? */
static int
field_present(const struct pbj *c, const ProtobufCFieldDescriptor *f,
    const void *member, const void *qmember)
{
	const void *ptr = NULL;
	int pointer;

	pointer = f->type == PROTOBUF_C_TYPE_MESSAGE ||
	    f->type == PROTOBUF_C_TYPE_STRING;
	if (pointer)
		ptr = *(const void * const *)member;
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		if (*(const uint32_t *)qmember != f->id)
			return 0;
		return !pointer || (ptr != NULL && ptr != f->default_value);
	}
	switch (f->label) {
	case PROTOBUF_C_LABEL_REQUIRED:
		return 1;
	case PROTOBUF_C_LABEL_OPTIONAL:
		if (pointer)
			return ptr != NULL && ptr != f->default_value;
		return *(const protobuf_c_boolean *)qmember != 0;
	case PROTOBUF_C_LABEL_NONE:
		if (f->type == PROTOBUF_C_TYPE_MESSAGE)
			return ptr != NULL;
		if (c->flags & PBJSON_EMIT_DEFAULTS)
			return 1;
		switch (f->type) {
		case PROTOBUF_C_TYPE_STRING:
			return ptr != NULL && *(const char *)ptr != '\0';
		case PROTOBUF_C_TYPE_BYTES:
			return ((const ProtobufCBinaryData *)member)->len != 0;
		case PROTOBUF_C_TYPE_BOOL:
			return *(const protobuf_c_boolean *)member != 0;
		case PROTOBUF_C_TYPE_FLOAT:
			return *(const float *)member != 0;
		case PROTOBUF_C_TYPE_DOUBLE:
			return *(const double *)member != 0;
		case PROTOBUF_C_TYPE_INT64:
		case PROTOBUF_C_TYPE_SINT64:
		case PROTOBUF_C_TYPE_SFIXED64:
		case PROTOBUF_C_TYPE_UINT64:
		case PROTOBUF_C_TYPE_FIXED64:
			return *(const uint64_t *)member != 0;
		default:
			return *(const uint32_t *)member != 0;
		}
	default:
		return 0;
	}
}

/* The JSON for one value; member points at it (an element if repeated). */
static cJSON *
value_to_json(struct pbj *c, const ProtobufCFieldDescriptor *f,
    const void *member)
{
	const ProtobufCEnumValue *ev;
	const ProtobufCBinaryData *bd;
	const ProtobufCMessage *sm;
	const char *s;
	int32_t i32;
	int64_t i64;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		i32 = *(const int32_t *)member;
		return int_to_json(i32 < 0, i32 < 0 ? 0 - (uint64_t)i32 :
		    (uint64_t)i32);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return int_to_json(0, *(const uint32_t *)member);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		i64 = *(const int64_t *)member;
		return int_to_json(i64 < 0, i64 < 0 ? 0 - (uint64_t)i64 :
		    (uint64_t)i64);
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return int_to_json(0, *(const uint64_t *)member);
	case PROTOBUF_C_TYPE_BOOL:
		return cJSON_CreateBool(*(const protobuf_c_boolean *)member);
	case PROTOBUF_C_TYPE_FLOAT:
		return float_to_json(c, *(const float *)member, 1);
	case PROTOBUF_C_TYPE_DOUBLE:
		return float_to_json(c, *(const double *)member, 0);
	case PROTOBUF_C_TYPE_ENUM:
		ev = f->descriptor == NULL ? NULL :
		    protobuf_c_enum_descriptor_get_value(f->descriptor,
		    *(const int32_t *)member);
		if (ev != NULL)
			return cJSON_CreateString(ev->name);
		return cJSON_CreateNumber(*(const int32_t *)member);
	case PROTOBUF_C_TYPE_STRING:
		if ((s = *(const char * const *)member) == NULL)
			s = "";
		if (!utf8_valid(s)) {
			pbj_err(c, "invalid UTF-8 in string");
			return NULL;
		}
		return cJSON_CreateString(s);
	case PROTOBUF_C_TYPE_BYTES:
		bd = member;
		if (bd->len > 0 && bd->data == NULL) {
			pbj_err(c, "NULL data of %zu bytes", bd->len);
			return NULL;
		}
		return bytes_to_json(bd->data, bd->len);
	case PROTOBUF_C_TYPE_MESSAGE:
		if ((sm = *(const ProtobufCMessage * const *)member) == NULL)
			return cJSON_CreateObject();
		return msg_to_json(c, sm);
	default:
		pbj_err(c, "unsupported field type %d", (int)f->type);
		return NULL;
	}
}

/*
 * An integer as a JSON number (its decimal digits, as a raw item: cJSON's
 * printer would write 1e+15) while a double holds it exactly, 2^53 in
 * magnitude at most; past that a decimal string, as in the protobuf JSON
 * mapping, since jq and JavaScript would round the number.
 */
static cJSON *
int_to_json(int neg, uint64_t mag)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%s%" PRIu64, neg ? "-" : "", mag);
	if (mag <= EXACT_INT)
		return cJSON_CreateRaw(buf);
	return cJSON_CreateString(buf);
}

/* Bytes as "0x" and lowercase hex ("0x" when empty). */
static cJSON *
bytes_to_json(const uint8_t *p, size_t len)
{
	cJSON *v;
	char *h;

	if (len > (SIZE_MAX - 3) / 2 || (h = malloc(2 * len + 3)) == NULL)
		return NULL;
	hex_encode0x(p, len, h);
	v = cJSON_CreateString(h);
	free(h);
	return v;
}

static cJSON *
float_to_json(struct pbj *c, double d, int isfloat)
{
	char buf[40];

	(void)c;
	if (isnan(d))
		return cJSON_CreateString("NaN");
	if (isinf(d))
		return cJSON_CreateString(d > 0 ? "Infinity" : "-Infinity");
	fmt_double(buf, sizeof(buf), d, isfloat);
	return cJSON_CreateRaw(buf);
}

/* A map field: an object of its entries, in order. */
static cJSON *
map_to_json(struct pbj *c, const ProtobufCFieldDescriptor *f, size_t n,
    const void *arr)
{
	const ProtobufCMessageDescriptor *ed = f->descriptor;
	const ProtobufCFieldDescriptor *kf = &ed->fields[0];
	const ProtobufCFieldDescriptor *vf = &ed->fields[1];
	const ProtobufCMessage *em;
	const char *key;
	char kbuf[32], sbuf[40];
	cJSON *o, *v;
	size_t i, old;

	if ((o = cJSON_CreateObject()) == NULL) {
		pbj_err(c, "out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++) {
		em = ((const ProtobufCMessage * const *)arr)[i];
		if (em == NULL) {
			old = path_push(c, "[%zu]", i);
			pbj_err(c, "NULL map entry");
			path_pop(c, old);
			goto fail;
		}
		if (key_to_text(c, kf, CMEMBER(em, kf->offset), kbuf,
		    sizeof(kbuf), &key) == -1)
			goto fail;
		old = path_push(c, "[\"%s\"]", safe(key, sbuf, sizeof(sbuf)));
		if (vf->type == PROTOBUF_C_TYPE_MESSAGE &&
		    *(const void * const *)CMEMBER(em, vf->offset) == NULL)
			v = cJSON_CreateNull();
		else
			v = value_to_json(c, vf, CMEMBER(em, vf->offset));
		path_pop(c, old);
		if (v == NULL || !cJSON_AddItemToObject(o, key, v)) {
			cJSON_Delete(v);
			pbj_err(c, "out of memory");
			goto fail;
		}
	}
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

static int
key_to_text(struct pbj *c, const ProtobufCFieldDescriptor *kf,
    const void *member, char *buf, size_t len, const char **key)
{
	*key = buf;
	switch (kf->type) {
	case PROTOBUF_C_TYPE_STRING:
		if ((*key = *(const char * const *)member) == NULL)
			*key = "";
		if (!utf8_valid(*key))
			return pbj_err(c, "invalid UTF-8 in map key");
		return 0;
	case PROTOBUF_C_TYPE_BOOL:
		*key = *(const protobuf_c_boolean *)member ? "true" : "false";
		return 0;
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		snprintf(buf, len, "%" PRId32, *(const int32_t *)member);
		return 0;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		snprintf(buf, len, "%" PRIu32, *(const uint32_t *)member);
		return 0;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		snprintf(buf, len, "%" PRId64, *(const int64_t *)member);
		return 0;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		snprintf(buf, len, "%" PRIu64, *(const uint64_t *)member);
		return 0;
	default:
		return pbj_err(c, "unsupported map key type %d", (int)kf->type);
	}
}

/* ------------------------------------------------------------ json -> pb */

static ProtobufCMessage *
msg_from_json(struct pbj *c, const ProtobufCMessageDescriptor *d,
    const cJSON *j)
{
	const ProtobufCFieldDescriptor *f;
	ProtobufCMessage *m;
	const cJSON *kv;
	unsigned char *seen = NULL;
	char sbuf[72];
	size_t old, idx;
	unsigned i;

	if (!cJSON_IsObject(j)) {
		pbj_err(c, "expected object");
		return NULL;
	}
	if (c->depth >= PBJSON_MAX_DEPTH) {
		pbj_err(c, "nesting deeper than %d messages", PBJSON_MAX_DEPTH);
		return NULL;
	}
	if ((m = malloc(d->sizeof_message)) == NULL) {
		pbj_err(c, "out of memory");
		return NULL;
	}
	protobuf_c_message_init(d, m);
	if ((seen = calloc(d->n_fields + 1, 1)) == NULL) {
		pbj_err(c, "out of memory");
		goto fail;
	}
	c->depth++;
	for (kv = j->child; kv != NULL; kv = kv->next) {
		if ((f = find_field(d, kv->string)) == NULL) {
			pbj_err(c, "unknown field \"%s\"",
			    safe(kv->string, sbuf, sizeof(sbuf)));
			goto fail_depth;
		}
		idx = f - d->fields;
		old = path_field(c, f->name);
		if (seen[idx]) {
			pbj_err(c, "duplicate field");
			goto fail_depth;
		}
		seen[idx] = cJSON_IsNull(kv) ? 1 : 2;
		if (field_from_json(c, d, m, f, kv) == -1)
			goto fail_depth;
		path_pop(c, old);
	}
	for (i = 0; i < d->n_fields; i++)
		if (d->fields[i].label == PROTOBUF_C_LABEL_REQUIRED &&
		    seen[i] != 2) {
			path_field(c, d->fields[i].name);
			pbj_err(c, "missing required field");
			goto fail_depth;
		}
	c->depth--;
	free(seen);
	return m;
fail_depth:
	c->depth--;
fail:
	free(seen);
	protobuf_c_message_free_unpacked(m, NULL);
	return NULL;
}

static int
field_from_json(struct pbj *c, const ProtobufCMessageDescriptor *d,
    ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, const cJSON *j)
{
	const ProtobufCFieldDescriptor *other;
	void *member = MEMBER(m, f->offset);
	void *qmember = MEMBER(m, f->quantifier_offset);
	uint32_t *oneof_case;

	if (cJSON_IsNull(j))
		return 0;
	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		if (is_map(d, f))
			return map_from_json(c, f, j, member, qmember);
		return repeated_from_json(c, f, j, member, qmember);
	}
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		oneof_case = qmember;
		if (*oneof_case != 0) {
			other = protobuf_c_message_descriptor_get_field(d,
			    *oneof_case);
			return pbj_err(c, "oneof already set by field \"%s\"",
			    other != NULL ? other->name : "?");
		}
		if (value_from_json(c, f, j, member) == -1)
			return -1;
		*oneof_case = f->id;
		return 0;
	}
	if (value_from_json(c, f, j, member) == -1)
		return -1;
	set_has(f, qmember);
	return 0;
}

/* A proto2 optional scalar (or bytes) has a has_ flag to set. */
static void
set_has(const ProtobufCFieldDescriptor *f, void *qmember)
{
	if (f->label == PROTOBUF_C_LABEL_OPTIONAL &&
	    !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
	    f->type != PROTOBUF_C_TYPE_STRING &&
	    f->type != PROTOBUF_C_TYPE_MESSAGE)
		*(protobuf_c_boolean *)qmember = 1;
}

static int
repeated_from_json(struct pbj *c, const ProtobufCFieldDescriptor *f,
    const cJSON *j, void *member, void *qmember)
{
	const cJSON *e;
	size_t n, i, sz, old;
	char *arr;
	int r;

	if (!cJSON_IsArray(j))
		return pbj_err(c, "expected array");
	for (n = 0, e = j->child; e != NULL; e = e->next)
		n++;
	if (n == 0)
		return 0;
	sz = elt_size(f->type);
	if ((arr = calloc(n, sz)) == NULL)
		return pbj_err(c, "out of memory");
	*(void **)member = arr;
	*(size_t *)qmember = 0;
	for (i = 0, e = j->child; e != NULL; e = e->next, i++) {
		old = path_push(c, "[%zu]", i);
		r = value_from_json(c, f, e, arr + i * sz);
		path_pop(c, old);
		if (r == -1)
			return -1;
		(*(size_t *)qmember)++;
	}
	return 0;
}

static int
map_from_json(struct pbj *c, const ProtobufCFieldDescriptor *f,
    const cJSON *j, void *member, void *qmember)
{
	const ProtobufCMessageDescriptor *ed = f->descriptor;
	const ProtobufCFieldDescriptor *kf = &ed->fields[0];
	const ProtobufCFieldDescriptor *vf = &ed->fields[1];
	ProtobufCMessage **arr, *em;
	const cJSON *kv;
	char sbuf[40];
	size_t n, old;
	int r;

	if (!cJSON_IsObject(j))
		return pbj_err(c, "expected object");
	for (n = 0, kv = j->child; kv != NULL; kv = kv->next)
		n++;
	if (n == 0)
		return 0;
	if ((arr = calloc(n, sizeof(*arr))) == NULL)
		return pbj_err(c, "out of memory");
	*(ProtobufCMessage ***)member = arr;
	*(size_t *)qmember = 0;
	for (kv = j->child; kv != NULL; kv = kv->next) {
		if ((em = malloc(ed->sizeof_message)) == NULL)
			return pbj_err(c, "out of memory");
		protobuf_c_message_init(ed, em);
		arr[(*(size_t *)qmember)++] = em;
		old = path_push(c, "[\"%s\"]", safe(kv->string, sbuf,
		    sizeof(sbuf)));
		r = key_from_text(c, kf, kv->string, MEMBER(em, kf->offset));
		if (r == 0) {
			set_has(kf, MEMBER(em, kf->quantifier_offset));
			if (cJSON_IsNull(kv) &&
			    vf->type == PROTOBUF_C_TYPE_MESSAGE)
				;	/* an absent message value */
			else if ((r = value_from_json(c, vf, kv,
			    MEMBER(em, vf->offset))) == 0)
				set_has(vf, MEMBER(em, vf->quantifier_offset));
		}
		path_pop(c, old);
		if (r == -1)
			return -1;
	}
	return 0;
}

static int
key_from_text(struct pbj *c, const ProtobufCFieldDescriptor *kf,
    const char *s, void *member)
{
	uint64_t u;
	int neg;
	char *dup;

	if (s == NULL)
		s = "";
	switch (kf->type) {
	case PROTOBUF_C_TYPE_STRING:
		if (!utf8_valid(s))
			return pbj_err(c, "invalid UTF-8 in map key");
		if ((dup = strdup(s)) == NULL)
			return pbj_err(c, "out of memory");
		*(char **)member = dup;
		return 0;
	case PROTOBUF_C_TYPE_BOOL:
		if (strcmp(s, "true") == 0)
			*(protobuf_c_boolean *)member = 1;
		else if (strcmp(s, "false") == 0)
			*(protobuf_c_boolean *)member = 0;
		else
			return pbj_err(c, "invalid map key: expected "
			    "\"true\" or \"false\"");
		return 0;
	default:
		break;
	}
	switch (parse_digits(s, &neg, &u)) {
	case -1:
		return pbj_err(c, "invalid map key: expected integer");
	case -2:
		return pbj_err(c, "map key out of range");
	}
	switch (kf->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		if (u > (neg ? (uint64_t)INT32_MAX + 1 : (uint64_t)INT32_MAX))
			return pbj_err(c, "map key out of range");
		*(int32_t *)member = neg ? (int32_t)(0 - (int64_t)u) :
		    (int32_t)u;
		return 0;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		if (u > (neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX))
			return pbj_err(c, "map key out of range");
		*(int64_t *)member = neg ? (int64_t)(0 - u) : (int64_t)u;
		return 0;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		if ((neg && u != 0) || u > UINT32_MAX)
			return pbj_err(c, "map key out of range");
		*(uint32_t *)member = (uint32_t)u;
		return 0;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		if (neg && u != 0)
			return pbj_err(c, "map key out of range");
		*(uint64_t *)member = u;
		return 0;
	default:
		return pbj_err(c, "unsupported map key type %d", (int)kf->type);
	}
}

/* Store one value at member (which is untouched on error). */
static int
value_from_json(struct pbj *c, const ProtobufCFieldDescriptor *f,
    const cJSON *j, void *member)
{
	ProtobufCBinaryData *bd;
	ProtobufCMessage *sm;
	int64_t i64;
	uint64_t u64;
	int32_t e = 0;
	double d;
	uint8_t *data;
	size_t len;
	char *s;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		if (json_int(c, j, INT32_MIN, INT32_MAX, &i64) == -1)
			return -1;
		*(int32_t *)member = (int32_t)i64;
		return 0;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		if (json_uint(c, j, UINT32_MAX, &u64) == -1)
			return -1;
		*(uint32_t *)member = (uint32_t)u64;
		return 0;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		if (json_int(c, j, INT64_MIN, INT64_MAX, &i64) == -1)
			return -1;
		*(int64_t *)member = i64;
		return 0;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		if (json_uint(c, j, UINT64_MAX, &u64) == -1)
			return -1;
		*(uint64_t *)member = u64;
		return 0;
	case PROTOBUF_C_TYPE_BOOL:
		if (!cJSON_IsBool(j))
			return pbj_err(c, "expected boolean");
		*(protobuf_c_boolean *)member = cJSON_IsTrue(j) ? 1 : 0;
		return 0;
	case PROTOBUF_C_TYPE_FLOAT:
		if (json_double(c, j, 1, &d) == -1)
			return -1;
		*(float *)member = (float)d;
		return 0;
	case PROTOBUF_C_TYPE_DOUBLE:
		if (json_double(c, j, 0, &d) == -1)
			return -1;
		*(double *)member = d;
		return 0;
	case PROTOBUF_C_TYPE_ENUM:
		if (json_enum(c, f->descriptor, j, &e) == -1)
			return -1;
		*(int32_t *)member = e;
		return 0;
	case PROTOBUF_C_TYPE_STRING:
		if (!cJSON_IsString(j) || j->valuestring == NULL)
			return pbj_err(c, "expected string");
		if (!utf8_valid(j->valuestring))
			return pbj_err(c, "invalid UTF-8 in string");
		if ((s = strdup(j->valuestring)) == NULL)
			return pbj_err(c, "out of memory");
		*(char **)member = s;
		return 0;
	case PROTOBUF_C_TYPE_BYTES:
		if (!cJSON_IsString(j) || j->valuestring == NULL)
			return pbj_err(c, "expected 0x-hex or base64 string");
		switch (bytes_decode(j->valuestring, &data, &len)) {
		case -1:
			return pbj_err(c, "invalid 0x-hex or base64");
		case -2:
			return pbj_err(c, "out of memory");
		}
		bd = member;
		bd->len = len;
		bd->data = data;
		return 0;
	case PROTOBUF_C_TYPE_MESSAGE:
		if ((sm = msg_from_json(c, f->descriptor, j)) == NULL)
			return c->failed ? -1 : pbj_err(c, "out of memory");
		*(ProtobufCMessage **)member = sm;
		return 0;
	default:
		return pbj_err(c, "unsupported field type %d", (int)f->type);
	}
}

/*
 * The integer a JSON number item holds, as sign and magnitude: 0, -1 if it
 * is not an integer, -2 if its magnitude passes 2^53 (quote such values: a
 * double, jq and JavaScript round them).  pbjson_json_parse() leaves those
 * past 2^53 as raw items with their text, so 2^53 + 1 is not taken for
 * 2^53.
 */
static int
number_int(const cJSON *j, int *neg, uint64_t *mag)
{
	double d;

	if (cJSON_IsRaw(j) && j->valuestring != NULL) {
		switch (parse_digits(j->valuestring, neg, mag)) {
		case 0:
			return *mag > EXACT_INT ? -2 : 0;
		case -2:
			return -2;
		}
		/* A fraction or an exponent: its double may be rounded. */
		if (parse_number_text(j->valuestring, &d) == -1)
			return -1;
		if (!isnan(d) && fabs(d) >= EXACT_DOUBLE_INT)
			return -2;
	} else if (cJSON_IsNumber(j)) {
		d = j->valuedouble;
		if (!isnan(d) && fabs(d) > EXACT_DOUBLE_INT)
			return -2;
	} else
		return -1;
	if (!isfinite(d) || d != trunc(d))
		return -1;
	*neg = d < 0;
	*mag = (uint64_t)fabs(d);
	return 0;
}

/* A signed integer in [min, max] from a JSON number or decimal string. */
static int
json_int(struct pbj *c, const cJSON *j, int64_t min, int64_t max,
    int64_t *out)
{
	uint64_t u;
	int neg;

	if (cJSON_IsString(j) && j->valuestring != NULL) {
		switch (parse_digits(j->valuestring, &neg, &u)) {
		case -1:
			return pbj_err(c, "expected integer");
		case -2:
			return pbj_err(c, "integer out of range");
		}
	} else {
		switch (number_int(j, &neg, &u)) {
		case -1:
			return pbj_err(c, "expected integer");
		case -2:
			return pbj_err(c, max > INT32_MAX ? "integer too large "
			    "for a JSON number (quote it)" :
			    "integer out of range");
		}
	}
	if (neg) {
		if (u > (uint64_t)INT64_MAX + 1)
			return pbj_err(c, "integer out of range");
		*out = (int64_t)(0 - u);
	} else {
		if (u > (uint64_t)INT64_MAX)
			return pbj_err(c, "integer out of range");
		*out = (int64_t)u;
	}
	if (*out < min || *out > max)
		return pbj_err(c, "integer out of range");
	return 0;
}

/* An unsigned integer up to max from a JSON number or decimal string. */
static int
json_uint(struct pbj *c, const cJSON *j, uint64_t max, uint64_t *out)
{
	uint64_t u;
	int neg;

	if (cJSON_IsString(j) && j->valuestring != NULL) {
		switch (parse_digits(j->valuestring, &neg, &u)) {
		case -1:
			return pbj_err(c, "expected integer");
		case -2:
			return pbj_err(c, "integer out of range");
		}
	} else {
		switch (number_int(j, &neg, &u)) {
		case -1:
			return pbj_err(c, "expected integer");
		case -2:
			return pbj_err(c, max > UINT32_MAX ? "integer too large "
			    "for a JSON number (quote it)" :
			    "integer out of range");
		}
	}
	if ((neg && u != 0) || u > max)
		return pbj_err(c, "integer out of range");
	*out = u;
	return 0;
}

static int
json_double(struct pbj *c, const cJSON *j, int isfloat, double *out)
{
	const char *s;

	if (cJSON_IsNumber(j)) {
		*out = j->valuedouble;
	} else if ((cJSON_IsString(j) || cJSON_IsRaw(j)) &&
	    (s = j->valuestring) != NULL) {
		if (cJSON_IsString(j) && strcmp(s, "NaN") == 0)
			*out = NAN;
		else if (cJSON_IsString(j) && strcmp(s, "Infinity") == 0)
			*out = INFINITY;
		else if (cJSON_IsString(j) && strcmp(s, "-Infinity") == 0)
			*out = -INFINITY;
		else if (parse_number_text(s, out) == -1)
			return pbj_err(c, "expected number");
		else if (isinf(*out))
			return pbj_err(c, "number out of range");
		return isfloat && isfinite(*out) &&
		    fabs(*out) >= FLOAT_OVERFLOW ?
		    pbj_err(c, "number out of range for float") : 0;
	} else
		return pbj_err(c, "expected number");
	/* cJSON turns a too large literal into infinity. */
	if (isinf(*out))
		return pbj_err(c, "number out of range");
	if (isfloat && !isnan(*out) && fabs(*out) >= FLOAT_OVERFLOW)
		return pbj_err(c, "number out of range for float");
	return 0;
}

static int
json_enum(struct pbj *c, const ProtobufCEnumDescriptor *ed, const cJSON *j,
    int32_t *out)
{
	const ProtobufCEnumValue *ev;
	char sbuf[72];
	int64_t v;

	if (cJSON_IsString(j) && j->valuestring != NULL) {
		ev = ed == NULL ? NULL :
		    protobuf_c_enum_descriptor_get_value_by_name(ed,
		    j->valuestring);
		if (ev == NULL)
			return pbj_err(c, "unknown enum value \"%s\"",
			    safe(j->valuestring, sbuf, sizeof(sbuf)));
		*out = ev->value;
		return 0;
	}
	if (!cJSON_IsNumber(j) && !cJSON_IsRaw(j))
		return pbj_err(c, "expected enum name or number");
	if (json_int(c, j, INT32_MIN, INT32_MAX, &v) == -1)
		return -1;
	*out = (int32_t)v;
	return 0;
}

/* ------------------------------------------------------------ helpers */

static const ProtobufCFieldDescriptor *
find_field(const ProtobufCMessageDescriptor *d, const char *key)
{
	const ProtobufCFieldDescriptor *f;
	unsigned i;

	if (key == NULL)
		return NULL;
	if ((f = protobuf_c_message_descriptor_get_field_by_name(d, key)))
		return f;
	for (i = 0; i < d->n_fields; i++)
		if (camel_eq(d->fields[i].name, key))
			return &d->fields[i];
	return NULL;
}

/* Is key the lowerCamelCase JSON name protoc derives from proto name? */
static int
camel_eq(const char *name, const char *key)
{
	int up = 0;

	for (; *name != '\0'; name++) {
		if (*name == '_') {
			up = 1;
			continue;
		}
		if (*key++ != (up ? toupper((unsigned char)*name) : *name))
			return 0;
		up = 0;
	}
	return *key == '\0';
}

/*
 * protobuf-c 1.4 has no map flag: a map field is a repeated message field
 * of protoc's synthesized entry type, named "<Parent>.<CamelField>Entry"
 * with fields key = 1 and value = 2.
 */
static int
is_map(const ProtobufCMessageDescriptor *d, const ProtobufCFieldDescriptor *f)
{
	const ProtobufCMessageDescriptor *ed = f->descriptor;
	const char *p, *n;
	size_t plen;
	int up = 1;

	if (f->label != PROTOBUF_C_LABEL_REPEATED ||
	    f->type != PROTOBUF_C_TYPE_MESSAGE || ed == NULL ||
	    ed->n_fields != 2 ||
	    ed->fields[0].id != 1 || strcmp(ed->fields[0].name, "key") != 0 ||
	    ed->fields[1].id != 2 || strcmp(ed->fields[1].name, "value") != 0 ||
	    ed->fields[0].label == PROTOBUF_C_LABEL_REPEATED ||
	    ed->fields[1].label == PROTOBUF_C_LABEL_REPEATED)
		return 0;
	switch (ed->fields[0].type) {
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_DOUBLE:
	case PROTOBUF_C_TYPE_BYTES:
	case PROTOBUF_C_TYPE_MESSAGE:
	case PROTOBUF_C_TYPE_ENUM:
		return 0;
	default:
		break;
	}
	plen = strlen(d->name);
	if (strncmp(ed->name, d->name, plen) != 0 || ed->name[plen] != '.')
		return 0;
	p = ed->name + plen + 1;
	for (n = f->name; *n != '\0'; n++) {
		if (*n == '_') {
			up = 1;
			continue;
		}
		if (*p++ != (up ? toupper((unsigned char)*n) : *n))
			return 0;
		up = 0;
	}
	return strcmp(p, "Entry") == 0;
}

static size_t
elt_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return sizeof(uint64_t);
	case PROTOBUF_C_TYPE_DOUBLE:
		return sizeof(double);
	case PROTOBUF_C_TYPE_FLOAT:
		return sizeof(float);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	default:
		return sizeof(uint32_t);
	}
}

/* "-?[0-9]+": 0, -1 if not that, -2 if it overflows 64 bits. */
static int
parse_digits(const char *s, int *neg, uint64_t *out)
{
	uint64_t u = 0;
	unsigned dgt;

	*neg = *s == '-';
	if (*neg)
		s++;
	if (!isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*s); s++) {
		dgt = *s - '0';
		if (u > (UINT64_MAX - dgt) / 10) {
			while (isdigit((unsigned char)*s))
				s++;
			return *s == '\0' ? -2 : -1;
		}
		u = u * 10 + dgt;
	}
	if (*s != '\0')
		return -1;
	*out = u;
	return 0;
}

/* A JSON number literal (RFC 8259 grammar), nothing else around it. */
static int
parse_number_text(const char *s, double *out)
{
	const char *p = s;
	char *end;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (isdigit((unsigned char)*p))
			p++;
	else
		return -1;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p != '\0')
		return -1;
	*out = strtod(s, &end);
	return end == p ? 0 : -1;
}

/*
 * The shortest "%.Ng" text that reads back as the same value (as a float
 * when isfloat).  %g drops trailing zeros, so for normal numbers starting
 * at the precision every decimal survives (6 digits for float, 15 for
 * double) finds it; subnormals have fewer bits and start at 1.
 */
static void
fmt_double(char *buf, size_t len, double d, int isfloat)
{
	int prec;

	prec = fabs(d) < (isfloat ? FLT_MIN : DBL_MIN) ? 1 : isfloat ? 6 : 15;
	for (; prec < (isfloat ? 9 : 17); prec++) {
		snprintf(buf, len, "%.*g", prec, d);
		if (isfloat ? strtof(buf, NULL) == (float)d :
		    strtod(buf, NULL) == d)
			return;
	}
	snprintf(buf, len, "%.*g", prec, d);
}

/* Is s valid UTF-8 (no overlongs, surrogates or values past U+10FFFF)? */
static int
utf8_valid(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned char lo, hi;
	int n;

	while (*s != '\0') {
		if (*s < 0x80) {
			s++;
			continue;
		}
		lo = 0x80;
		hi = 0xbf;
		if (*s >= 0xc2 && *s <= 0xdf)
			n = 1;
		else if (*s >= 0xe0 && *s <= 0xef) {
			n = 2;
			if (*s == 0xe0)
				lo = 0xa0;
			else if (*s == 0xed)
				hi = 0x9f;
		} else if (*s >= 0xf0 && *s <= 0xf4) {
			n = 3;
			if (*s == 0xf0)
				lo = 0x90;
			else if (*s == 0xf4)
				hi = 0x8f;
		} else
			return 0;
		s++;
		if (*s < lo || *s > hi)
			return 0;
		for (s++, n--; n > 0; n--, s++)
			if (*s < 0x80 || *s > 0xbf)
				return 0;
	}
	return 1;
}

/*
 * Bytes from "0x" and hex (either case), or else from base64: a string
 * starting "0x" that is not all hex digits is base64 (old -J output is).
 * 0, -1 if neither, -2 if out of memory.
 */
static int
bytes_decode(const char *s, uint8_t **out, size_t *outlen)
{
	uint8_t *buf;
	size_t len;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		len = strlen(s + 2);
		if (len % 2 == 0) {
			if ((buf = malloc(len / 2 + 1)) == NULL)
				return -2;
			if (hex_decode_span(s + 2, buf, len / 2) == 0) {
				*out = buf;
				*outlen = len / 2;
				return 0;
			}
			free(buf);
		}
	}
	return b64_decode(s, out, outlen);
}

/*
 * Standard or URL-safe base64, padded or not.  The buffer is never NULL
 * (protobuf-c memcpy()s from it even when empty).  0, -1 if invalid, -2 if
 * out of memory.
 */
static int
b64_decode(const char *s, uint8_t **out, size_t *outlen)
{
	size_t len, pad = 0, i, o = 0;
	uint32_t acc = 0;
	int bits = 0, v;
	uint8_t *buf;
	char ch;

	len = strlen(s);
	while (len > 0 && s[len - 1] == '=' && pad < 2) {
		len--;
		pad++;
	}
	if ((pad > 0 && (len + pad) % 4 != 0) || len % 4 == 1)
		return -1;
	if ((buf = malloc(len / 4 * 3 + 3)) == NULL)
		return -2;
	for (i = 0; i < len; i++) {
		ch = s[i];
		if (ch >= 'A' && ch <= 'Z')
			v = ch - 'A';
		else if (ch >= 'a' && ch <= 'z')
			v = ch - 'a' + 26;
		else if (ch >= '0' && ch <= '9')
			v = ch - '0' + 52;
		else if (ch == '+' || ch == '-')
			v = 62;
		else if (ch == '/' || ch == '_')
			v = 63;
		else {
			free(buf);
			return -1;
		}
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (uint8_t)(acc >> bits);
		}
	}
	*out = buf;
	*outlen = o;
	return 0;
}

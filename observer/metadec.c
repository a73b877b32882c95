/*
 * metadec: the generic decoder driven by the type registry (meta.c):
 * one value of a registry type into JSON (meta_decode_value), a block's
 * System.Events into decoded events (meta_decode_events); the JSON
 * form's camelCase names (meta_camel).  See meta.h for the JSON
 * conventions.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "meta.h"

/* Decoding context. */
struct decoder {
	const struct meta	*m;
	struct scale_reader	*r;
	unsigned		 depth;
	size_t			 budget;
	char			 err[256];
	int			 failed;
};

static int	 d_fail(struct decoder *, uint32_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	 d_value(struct decoder *, uint32_t, cJSON **);
static int	 d_fields(struct decoder *, uint32_t, const struct meta_field *,
		    uint32_t, enum meta_shape, cJSON **);
static int	 d_variant(struct decoder *, uint32_t, const struct meta_type *,
		    cJSON **);
static int	 d_int(struct decoder *, uint32_t, unsigned, int, int, cJSON **);
static int	 d_prim(struct decoder *, uint32_t, const struct meta_type *,
		    cJSON **);
static int	 d_seq(struct decoder *, uint32_t, const struct meta_type *,
		    size_t, cJSON **);
static int	 d_tuple(struct decoder *, uint32_t, const struct meta_type *,
		    cJSON **);
static int	 d_opaque(struct decoder *, uint32_t, const struct meta_type *,
		    cJSON **);
static int	 d_bitseq(struct decoder *, uint32_t, const struct meta_type *,
		    cJSON **);
static int	 d_event(struct decoder *, struct meta_event *,
		    meta_select_fn *, void *, int *);
static cJSON	*int_json(const uint8_t *, size_t, int);
static int	 add(struct decoder *, uint32_t, cJSON *, const char *,
		    cJSON *);

static int	 is_sep(int);
static int	 is_cap(int);
static int	 lower(int);
static int	 upper(int);

/* ------------------------------------------------------------ decoding */

static int
d_fail(struct decoder *d, uint32_t id, const char *fmt, ...)
{
	va_list	 ap;
	char	 path[160], msg[160];

	if (d->failed)
		return -1;
	d->failed = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(d->err, sizeof(d->err), "type %u (%s): %s", id,
	    meta_type_path(d->m, id, path, sizeof(path)), msg);
	return -1;
}

/* A reader error, with the type it happened in. */
#define RFAIL(d, id)	d_fail((d), (id), "%s", (d)->r->err)

cJSON *
meta_hexjson(const uint8_t *p, size_t n)
{
	char	*s;
	cJSON	*j;

	if (n > (SIZE_MAX - 3) / 2 || (s = malloc(2 * n + 3)) == NULL)
		return NULL;
	hex_encode0x(p, n, s);
	j = cJSON_CreateString(s);
	free(s);
	return j;
}

/* An integer: a number below 2^52 in magnitude, else a decimal string. */
static cJSON *
int_json(const uint8_t *le, size_t n, int sign)
{
	uint8_t		 mag[SCALE_COMPACT_MAX + 1];
	char		 dec[3 * (SCALE_COMPACT_MAX + 1) + 2];
	size_t		 i, len;
	int		 neg = 0, carry = 1;
	uint64_t	 v = 0;

	if (n > sizeof(mag))
		return NULL;
	memcpy(mag, le, n);
	if (sign && n > 0 && (le[n - 1] & 0x80)) {
		neg = 1;
		for (i = 0; i < n; i++) {
			int x = (uint8_t)~mag[i] + carry;

			mag[i] = (uint8_t)x;
			carry = x >> 8;
		}
	}
	len = n;
	while (len > 0 && mag[len - 1] == 0)
		len--;
	if (len <= 7) {
		for (i = len; i-- > 0;)
			v = v << 8 | mag[i];
		if (v < (1ull << 52))
			return cJSON_CreateNumber(neg ? -(double)v : (double)v);
	}
	scale_le_to_dec(le, n, sign, dec, sizeof(dec));
	return cJSON_CreateString(dec);
}

/* Attach item to parent (an object if key, else an array). */
static int
add(struct decoder *d, uint32_t id, cJSON *parent, const char *key,
    cJSON *item)
{
	if (item == NULL)
		return d_fail(d, id, "out of memory");
	if (key != NULL ? !cJSON_AddItemToObject(parent, key, item) :
	    !cJSON_AddItemToArray(parent, item)) {
		cJSON_Delete(item);
		return d_fail(d, id, "out of memory");
	}
	return 0;
}

static int
d_int(struct decoder *d, uint32_t id, unsigned bits, int sign, int compact,
    cJSON **out)
{
	uint8_t	 le[SCALE_COMPACT_MAX];
	size_t	 n = bits / 8;

	if (compact) {
		if (scale_read_compact_le(d->r, le, &n) == -1)
			return RFAIL(d, id);
		if (!scale_fits(le, n, bits))
			return d_fail(d, id, "compact value exceeds %u bits",
			    bits);
		sign = 0;
	} else if (scale_read_le(d->r, n, le) == -1)
		return RFAIL(d, id);
	if (out != NULL && (*out = int_json(le, n, sign)) == NULL)
		return d_fail(d, id, "out of memory");
	return 0;
}

static int
d_prim(struct decoder *d, uint32_t id, const struct meta_type *t, cJSON **out)
{
	const char	*s;
	char		*copy;
	size_t		 n;
	uint32_t	 c;
	int		 b;

	switch (t->prim) {
	case META_BOOL:
		if (scale_read_bool(d->r, &b) == -1)
			return RFAIL(d, id);
		if (out != NULL && (*out = cJSON_CreateBool(b)) == NULL)
			return d_fail(d, id, "out of memory");
		return 0;
	case META_CHAR:
		if (scale_read_u32(d->r, &c) == -1)
			return RFAIL(d, id);
		if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return d_fail(d, id, "invalid char U+%X", c);
		if (out != NULL && (*out = cJSON_CreateNumber(c)) == NULL)
			return d_fail(d, id, "out of memory");
		return 0;
	case META_STR:
		if (scale_read_str(d->r, &s, &n) == -1)
			return RFAIL(d, id);
		if (out == NULL)
			return 0;
		if ((copy = malloc(n + 1)) == NULL)
			return d_fail(d, id, "out of memory");
		memcpy(copy, s, n);
		copy[n] = '\0';
		/* cJSON strings end at a NUL; refuse rather than truncate */
		if (strlen(copy) != n) {
			free(copy);
			return d_fail(d, id, "string contains a NUL byte");
		}
		*out = cJSON_CreateString(copy);
		free(copy);
		if (*out == NULL)
			return d_fail(d, id, "out of memory");
		return 0;
	default:
		return d_int(d, id, t->int_bits, t->int_signed, 0, out);
	}
}

/* n elements of t->elem (a sequence or an array). */
static int
d_seq(struct decoder *d, uint32_t id, const struct meta_type *t, size_t n,
    cJSON **out)
{
	const uint8_t	*p;
	cJSON		*arr = NULL, *item, **ip;
	size_t		 i;

	if (t->shape == META_SH_HEX) {
		if (scale_read_raw(d->r, n, &p) == -1)
			return RFAIL(d, id);
		if (out != NULL && (*out = meta_hexjson(p, n)) == NULL)
			return d_fail(d, id, "out of memory");
		return 0;
	}
	if (out != NULL && (arr = cJSON_CreateArray()) == NULL)
		return d_fail(d, id, "out of memory");
	for (i = 0; i < n; i++) {
		item = NULL;
		ip = out != NULL ? &item : NULL;
		if (d_value(d, t->elem, ip) == -1 ||
		    (out != NULL && add(d, id, arr, NULL, item) == -1)) {
			cJSON_Delete(arr);
			return -1;
		}
	}
	if (out != NULL)
		*out = arr;
	return 0;
}

/* Fields of a composite or a variant, per its shape. */
static int
d_fields(struct decoder *d, uint32_t id, const struct meta_field *f,
    uint32_t n, enum meta_shape shape, cJSON **out)
{
	cJSON		*obj = NULL, *item, **ip;
	char		 key[16];
	const char	*k;
	uint32_t	 i;

	if (shape == META_SH_NULL) {
		if (out != NULL && (*out = cJSON_CreateNull()) == NULL)
			return d_fail(d, id, "out of memory");
		return 0;
	}
	if (shape == META_SH_INNER)
		return d_value(d, f[0].type, out);
	if (out != NULL) {
		obj = shape == META_SH_STRUCT ? cJSON_CreateObject() :
		    cJSON_CreateArray();
		if (obj == NULL)
			return d_fail(d, id, "out of memory");
	}
	for (i = 0; i < n; i++) {
		item = NULL;
		ip = out != NULL ? &item : NULL;
		if (d_value(d, f[i].type, ip) == -1)
			goto fail;
		if (out == NULL)
			continue;
		k = NULL;
		if (shape == META_SH_STRUCT) {
			if ((k = f[i].jname) == NULL) {
				snprintf(key, sizeof(key), "%u", i);
				k = key;
			}
		}
		if (add(d, id, obj, k, item) == -1)
			goto fail;
	}
	if (out != NULL)
		*out = obj;
	return 0;
fail:
	cJSON_Delete(obj);
	return -1;
}

static int
d_variant(struct decoder *d, uint32_t id, const struct meta_type *t,
    cJSON **out)
{
	const struct meta_variant	*v;
	cJSON				*obj, *item = NULL;
	uint8_t				 idx;
	int				 some;

	if (t->shape == META_SH_OPTION) {
		if (scale_read_option(d->r, &some) == -1)
			return RFAIL(d, id);
		if (some)
			return d_value(d, t->inner, out);
		if (out != NULL && (*out = cJSON_CreateNull()) == NULL)
			return d_fail(d, id, "out of memory");
		return 0;
	}
	if (t->nvariants == 0)
		return d_fail(d, id, "a value of an enum without variants");
	if (scale_read_u8(d->r, &idx) == -1)
		return RFAIL(d, id);
	if ((v = t->by_index[idx]) == NULL) {
		d->r->off--;
		return d_fail(d, id, "at byte %zu: unknown variant index %u",
		    d->r->off, idx);
	}
	if (t->shape == META_SH_ENUM_BASIC) {
		/* unit data may still be a () newtype: decode, drop */
		if (d_fields(d, id, v->fields, v->nfields, v->shape, NULL) ==
		    -1)
			return -1;
		if (out != NULL && (*out = cJSON_CreateString(v->name)) ==
		    NULL)
			return d_fail(d, id, "out of memory");
		return 0;
	}
	if (d_fields(d, id, v->fields, v->nfields, v->shape,
	    out != NULL ? &item : NULL) == -1)
		return -1;
	if (out == NULL)
		return 0;
	if ((obj = cJSON_CreateObject()) == NULL) {
		cJSON_Delete(item);
		return d_fail(d, id, "out of memory");
	}
	if (add(d, id, obj, v->jname, item) == -1) {
		cJSON_Delete(obj);
		return -1;
	}
	*out = obj;
	return 0;
}

static int
d_value(struct decoder *d, uint32_t id, cJSON **out)
{
	const struct meta_type	*t;
	size_t			 n, minsize;
	int			 rc;

	if (d->failed)
		return -1;
	if (id >= d->m->ntypes)
		return d_fail(d, id, "unknown type id");
	t = &d->m->types[id];
	if (d->depth >= META_MAX_DEPTH)
		return d_fail(d, id, "nested deeper than %u", META_MAX_DEPTH);
	if (d->budget == 0)
		return d_fail(d, id, "more than %zu values",
		    d->m->max_values);
	d->budget--;
	d->depth++;
	switch (t->def) {
	case META_PRIMITIVE:
		rc = d_prim(d, id, t, out);
		break;
	case META_COMPACT:
		if (t->int_bits == 0)
			rc = d_fail(d, id, "compact of a non-integer type");
		else
			rc = d_int(d, id, t->int_bits, 0, 1, out);
		break;
	case META_SEQUENCE:
		/* the elements' least size bounds the length */
		minsize = d->m->types[t->elem].min_size;
		if (scale_read_len(d->r, minsize, &n) == -1)
			rc = RFAIL(d, id);
		else
			rc = d_seq(d, id, t, n, out);
		break;
	case META_ARRAY:
		rc = d_seq(d, id, t, t->len, out);
		break;
	case META_TUPLE:
		if (t->shape == META_SH_INNER)
			rc = d_value(d, t->inner, out);
		else
			rc = d_tuple(d, id, t, out);
		break;
	case META_COMPOSITE:
		if (t->shape == META_SH_OPAQUE)
			rc = d_opaque(d, id, t, out);
		else if (t->shape == META_SH_INNER)
			rc = d_value(d, t->inner, out);
		else
			rc = d_fields(d, id, t->fields, t->nfields, t->shape,
			    out);
		break;
	case META_VARIANT:
		rc = d_variant(d, id, t, out);
		break;
	case META_BITSEQ:
		rc = d_bitseq(d, id, t, out);
		break;
	default:
		rc = d_fail(d, id, "unknown type definition");
		break;
	}
	d->depth--;
	return rc;
}

/* A tuple of none (null) or of two or more (an array). */
static int
d_tuple(struct decoder *d, uint32_t id, const struct meta_type *t,
    cJSON **out)
{
	cJSON		*arr = NULL, *item, **ip;
	uint32_t	 i;
	int		 rc = 0;

	if (t->shape == META_SH_NULL) {
		if (out != NULL && (*out = cJSON_CreateNull()) == NULL)
			rc = d_fail(d, id, "out of memory");
		return rc;
	}
	if (out != NULL && (arr = cJSON_CreateArray()) == NULL)
		rc = d_fail(d, id, "out of memory");
	for (i = 0; rc == 0 && i < t->ntuple; i++) {
		item = NULL;
		ip = out != NULL ? &item : NULL;
		if ((rc = d_value(d, t->tuple[i], ip)) == 0 && out != NULL)
			rc = add(d, id, arr, NULL, item);
	}
	if (rc == 0 && out != NULL)
		*out = arr;
	else
		cJSON_Delete(arr);
	return rc;
}

/* WrapperOpaque<T>: Compact<u32> length, then T, all of it. */
static int
d_opaque(struct decoder *d, uint32_t id, const struct meta_type *t,
    cJSON **out)
{
	struct scale_reader	 sub, *saved;
	const uint8_t		*raw;
	size_t			 n;
	int			 rc;

	if (scale_read_len(d->r, 1, &n) == -1 ||
	    scale_read_raw(d->r, n, &raw) == -1)
		return RFAIL(d, id);
	scale_reader_init(&sub, raw, n);
	saved = d->r;
	d->r = &sub;
	rc = d_value(d, t->inner, out);
	d->r = saved;
	if (rc == 0 && scale_remaining(&sub) != 0) {
		if (out != NULL) {
			cJSON_Delete(*out);
			*out = NULL;
		}
		rc = d_fail(d, id, "%zu bytes left in an opaque wrapper",
		    scale_remaining(&sub));
	}
	return rc;
}

/* A bit sequence: "0x" hex of its store words as encoded. */
static int
d_bitseq(struct decoder *d, uint32_t id, const struct meta_type *t,
    cJSON **out)
{
	const uint8_t	*raw;
	uint64_t	 nbits;
	size_t		 rawlen;

	if (t->store_bits == 0)
		return d_fail(d, id, "unsupported bit store or order");
	if (scale_read_bitseq(d->r, t->store_bits, &nbits, &raw, &rawlen) ==
	    -1)
		return RFAIL(d, id);
	if (out != NULL && (*out = meta_hexjson(raw, rawlen)) == NULL)
		return d_fail(d, id, "out of memory");
	return 0;
}

int
meta_decode_value(const struct meta *m, uint32_t id, struct scale_reader *r,
    cJSON **out, char *err, size_t errlen)
{
	struct decoder	 d;
	cJSON		*v = NULL;

	memset(&d, 0, sizeof(d));
	d.m = m;
	d.r = r;
	d.budget = m->max_values;
	if (d_value(&d, id, out != NULL ? &v : NULL) == -1) {
		cJSON_Delete(v);
		snprintf(err, errlen, "%s", d.err);
		return -1;
	}
	if (out != NULL)
		*out = v;
	return 0;
}

/* ------------------------------------------------------------ events */

void
meta_events_free(struct meta_events *evs)
{
	size_t i;

	for (i = 0; i < evs->n; i++) {
		free(evs->ev[i].pallet);
		free(evs->ev[i].name);
		cJSON_Delete(evs->ev[i].phase);
		cJSON_Delete(evs->ev[i].fields);
		cJSON_Delete(evs->ev[i].topics);
	}
	free(evs->ev);
	evs->ev = NULL;
	evs->n = 0;
}

cJSON *
meta_event_json(const struct meta_event *e)
{
	cJSON *j;

	if ((j = cJSON_CreateObject()) == NULL)
		return NULL;
	if (cJSON_AddNumberToObject(j, "index", e->index) == NULL ||
	    cJSON_AddStringToObject(j, "pallet", e->pallet) == NULL ||
	    cJSON_AddStringToObject(j, "name", e->name) == NULL ||
	    !cJSON_AddItemToObject(j, "phase", e->phase ?
	    cJSON_Duplicate(e->phase, 1) : cJSON_CreateNull()) ||
	    !cJSON_AddItemToObject(j, "fields", e->fields ?
	    cJSON_Duplicate(e->fields, 1) : cJSON_CreateNull()) ||
	    !cJSON_AddItemToObject(j, "topics", e->topics ?
	    cJSON_Duplicate(e->topics, 1) : cJSON_CreateNull())) {
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

/* The event field: RuntimeEvent::Pallet(pallet::Event::Name{...}). */
static int
d_event(struct decoder *d, struct meta_event *e, meta_select_fn *select,
    void *arg, int *selected)
{
	const struct meta		*m = d->m;
	const struct meta_type		*rt = &m->types[m->event_enum], *pt;
	const struct meta_variant	*pv, *ev;
	const struct meta_field		*f;
	cJSON				*fields = NULL, **fp;
	uint32_t			 pid, i;
	int				 named;

	e->off = d->r->off;
	if (scale_read_u8(d->r, &e->pallet_index) == -1)
		return RFAIL(d, m->event_enum);
	if ((pv = rt->by_index[e->pallet_index]) == NULL) {
		d->r->off--;
		return d_fail(d, m->event_enum, "at byte %zu: unknown pallet "
		    "index %u", d->r->off, e->pallet_index);
	}
	if (pv->nfields != 1)
		return d_fail(d, m->event_enum, "pallet %s's event variant "
		    "has %u fields, not 1", pv->name, pv->nfields);
	pid = pv->fields[0].type;
	pt = &m->types[pid];
	if (pt->def != META_VARIANT || pt->by_index == NULL)
		return d_fail(d, pid, "pallet %s's event type is not an enum",
		    pv->name);
	if (scale_read_u8(d->r, &e->variant_index) == -1)
		return RFAIL(d, pid);
	if ((ev = pt->by_index[e->variant_index]) == NULL) {
		d->r->off--;
		return d_fail(d, pid, "at byte %zu: unknown %s event index %u",
		    d->r->off, pv->name, e->variant_index);
	}
	if ((e->pallet = strdup(pv->name)) == NULL ||
	    (e->name = strdup(ev->name)) == NULL)
		return d_fail(d, pid, "out of memory");
	*selected = select == NULL || select(e->pallet, e->name, arg);
	fp = *selected ? &fields : NULL;
	/* GenericEventData: an object when all fields are named */
	named = ev->nfields > 0;
	for (i = 0; i < ev->nfields; i++)
		if (ev->fields[i].name == NULL)
			named = 0;
	if (fp != NULL && (fields = named ? cJSON_CreateObject() :
	    cJSON_CreateArray()) == NULL)
		return d_fail(d, pid, "out of memory");
	for (i = 0; i < ev->nfields; i++) {
		cJSON *item = NULL;

		f = &ev->fields[i];
		if (d_value(d, f->type, fp != NULL ? &item : NULL) == -1 ||
		    (fp != NULL && add(d, pid, fields, named ? f->jname : NULL,
		    item) == -1)) {
			cJSON_Delete(fields);
			return -1;
		}
	}
	e->fields = fields;
	e->len = d->r->off - e->off;
	return 0;
}

int
meta_decode_events(const struct meta *m, const uint8_t *buf, size_t len,
    meta_select_fn *select, void *arg, struct meta_events *out, char *err,
    size_t errlen)
{
	struct scale_reader		 r;
	struct decoder			 d;
	struct meta_events		 evs = { NULL, 0 };
	const struct meta_type		*rec;
	const struct meta_field		*f;
	size_t				 n, i;
	uint32_t			 k;
	int				 selected;

	out->ev = NULL;
	out->n = 0;
	if (!m->has_events) {
		snprintf(err, errlen, "events: the metadata has no "
		    "System.Events of type Vec<EventRecord>");
		return -1;
	}
	rec = &m->types[m->record_type];
	scale_reader_init(&r, buf, len);
	memset(&d, 0, sizeof(d));
	d.m = m;
	d.r = &r;
	d.budget = m->max_values;
	/* an event record takes at least 3 bytes */
	if (scale_read_len(&r, 3, &n) == -1) {
		snprintf(err, errlen, "events: %s", r.err);
		return -1;
	}
	if ((evs.ev = calloc(n ? n : 1, sizeof(*evs.ev))) == NULL) {
		snprintf(err, errlen, "events: out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct meta_event *e = &evs.ev[i];

		evs.n = i + 1;
		e->index = (uint32_t)i;
		selected = 1;
		for (k = 0; k < rec->nfields; k++) {
			f = &rec->fields[k];
			if (f->name != NULL && strcmp(f->name, "event") == 0) {
				if (d_event(&d, e, select, arg, &selected) ==
				    -1)
					goto fail;
			} else if (f->name != NULL &&
			    strcmp(f->name, "phase") == 0) {
				if (d_value(&d, f->type, &e->phase) == -1)
					goto fail;
			} else if (f->name != NULL &&
			    strcmp(f->name, "topics") == 0) {
				if (d_value(&d, f->type, selected ?
				    &e->topics : NULL) == -1)
					goto fail;
			} else if (d_value(&d, f->type, NULL) == -1)
				goto fail;
		}
	}
	if (scale_remaining(&r) != 0) {
		snprintf(err, errlen, "events: %zu bytes left after %zu "
		    "events", scale_remaining(&r), n);
		meta_events_free(&evs);
		return -1;
	}
	*out = evs;
	return 0;
fail:
	if (evs.ev[i].pallet != NULL)
		snprintf(err, errlen, "event %zu (%s.%s): %s", i,
		    evs.ev[i].pallet, evs.ev[i].name ? evs.ev[i].name : "?",
		    d.err);
	else
		snprintf(err, errlen, "event %zu: %s", i, d.err);
	meta_events_free(&evs);
	return -1;
}

/* ------------------------------------------------------------ names */

static int
is_sep(int c)
{
	return c == '-' || c == '_' || c == '.' || c == ',' || c == ' ';
}

static int
is_cap(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
upper(int c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

/*
 * polkadot-js's stringCamelCase: split at runs of "-_., ", lowercase
 * all-capital words, lowercase a leading run of capitals but its last
 * ("NFTOrder" -> "nftOrder"), then first word lower, others capitalised.
 */
char *
meta_camel(const char *s, char *out, size_t outlen)
{
	size_t	 n = 0, wl, k, i, run;
	int	 word = 0, allcap;
	char	 w[512];

	if (outlen == 0)
		return out;
	while (*s != '\0') {
		while (is_sep((unsigned char)*s))
			s++;
		if (*s == '\0')
			break;
		for (wl = 0; s[wl] != '\0' && !is_sep((unsigned char)s[wl]) &&
		    wl < sizeof(w) - 1; wl++)
			w[wl] = s[wl];
		s += wl;
		allcap = 1;
		for (k = 0; k < wl; k++)
			if (!is_cap((unsigned char)w[k]))
				allcap = 0;
		if (allcap) {
			for (k = 0; k < wl; k++)
				w[k] = (char)lower((unsigned char)w[k]);
		} else {
			for (run = 0; run < wl && is_cap((unsigned char)w[run]);
			    run++)
				;
			/* /^[\dA-Z]{2,}[^a-z]/ with backtracking */
			if (run >= 2 && !(w[run] >= 'a' && w[run] <= 'z')) {
				for (i = 0; i < run; i++)
					w[i] = (char)lower((unsigned char)w[i]);
				w[run] = (char)upper((unsigned char)w[run]);
			} else if (run >= 3) {
				for (i = 0; i < run - 1; i++)
					w[i] = (char)lower((unsigned char)w[i]);
			}
		}
		w[0] = (char)(word == 0 ? lower((unsigned char)w[0]) :
		    upper((unsigned char)w[0]));
		for (k = 0; k < wl && n + 1 < outlen; k++)
			out[n++] = w[k];
		word++;
	}
	out[n] = '\0';
	return out;
}

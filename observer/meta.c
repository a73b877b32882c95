/*
 * meta: runtime metadata V14/V15 and the generic, metadata-driven decoder
 * (see meta.h for the JSON conventions).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "meta.h"

/* ------------------------------------------------------------ arena */

struct meta_chunk {
	struct meta_chunk	*next;
	size_t			 used, size;
	max_align_t		 data[];
};

struct meta_arena {
	struct meta_chunk	*head;
	int			 oom;
};

/* Parsing context. */
struct parser {
	struct meta		*m;
	struct scale_reader	 r;
	char			 what[96];	/* what is being parsed */
};

/* Decoding context. */
struct decoder {
	const struct meta	*m;
	struct scale_reader	*r;
	unsigned		 depth;
	size_t			 budget;
	char			 err[256];
	int			 failed;
};

static void	*arena_alloc(struct meta_arena *, size_t);
static void	*arena_calloc(struct meta_arena *, size_t, size_t);
static void	 arena_free(struct meta_arena *);
static const char *arena_str(struct parser *);
static const char *arena_camel(struct meta_arena *, const char *);
static const char *arena_dup(struct meta_arena *, const char *);

static int	 p_compact32(struct parser *, uint32_t *);
static int	 p_len(struct parser *, size_t, size_t *);
static int	 p_skip_str(struct parser *);
static int	 p_skip_docs(struct parser *);
static int	 p_skip_bytes(struct parser *);
static int	 p_option(struct parser *, int *);
static int	 p_fields(struct parser *, struct meta_field **, uint32_t *);
static int	 p_type(struct parser *, struct meta_type *);
static int	 p_types(struct parser *);
static int	 p_storage(struct parser *, struct meta_pallet *);
static int	 p_pallets(struct parser *);
static int	 p_extrinsic(struct parser *);
static int	 p_v15_tail(struct parser *);
static int	 p_deprecation(struct parser *);
static int	 p_enum_deprecation(struct parser *);
static int	 p_v16_tail(struct parser *);
static int	 p_unwrap(const uint8_t **, size_t *);

static int	 check_id(struct meta *, uint32_t, const char *, uint32_t,
		    char *, size_t);
static int	 check_types(struct meta *, char *, size_t);
static int	 is_null(const struct meta *, uint32_t, unsigned);
static int	 is_u8(const struct meta *, uint32_t, unsigned);
static int	 int_of(const struct meta *, uint32_t, unsigned, unsigned *,
		    int *);
static int	 path_is(const struct meta_type *, const char *);
static const char *path_last(const struct meta_type *);
static enum meta_shape fields_shape(const struct meta_field *, uint32_t);
static size_t	 ms_add(size_t, size_t);
static size_t	 min_size(const struct meta *, uint32_t);
static void	 min_sizes(struct meta *);
static int	 derive(struct meta *, char *, size_t);
static uint32_t	 unwrap_newtypes(const struct meta *, uint32_t);
static void	 find_events(struct meta *);

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
static int	 d_event(struct decoder *, struct meta_event *,
		    meta_select_fn *, void *, int *);
static cJSON	*int_json(const uint8_t *, size_t, int);
static cJSON	*hex_json(const uint8_t *, size_t);
static int	 add(struct decoder *, uint32_t, cJSON *, const char *,
		    cJSON *);

static int	 is_sep(int);
static int	 is_cap(int);
static int	 lower(int);
static int	 upper(int);
static uint64_t	 rotl64(uint64_t, int);
static uint64_t	 rd64(const uint8_t *);
static uint32_t	 rd32(const uint8_t *);
static uint64_t	 xxh_round(uint64_t, uint64_t);
static uint64_t	 xxh_merge(uint64_t, uint64_t);

/* ------------------------------------------------------------ arena */

static void *
arena_alloc(struct meta_arena *a, size_t n)
{
	struct meta_chunk	*c = a->head;
	size_t			 size;
	void			*p;

	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	if (n == 0)
		n = sizeof(max_align_t);
	if (c == NULL || c->size - c->used < n) {
		size = n > 60000 ? n : 60000;
		if ((c = malloc(sizeof(*c) + size)) == NULL) {
			a->oom = 1;
			return NULL;
		}
		c->used = 0;
		c->size = size;
		c->next = a->head;
		a->head = c;
	}
	p = (char *)c->data + c->used;
	c->used += n;
	return p;
}

static void *
arena_calloc(struct meta_arena *a, size_t n, size_t size)
{
	void *p;

	if (size != 0 && n > SIZE_MAX / size) {
		a->oom = 1;
		return NULL;
	}
	if ((p = arena_alloc(a, n * size)) != NULL)
		memset(p, 0, n * size);
	return p;
}

static void
arena_free(struct meta_arena *a)
{
	struct meta_chunk *c, *next;

	if (a == NULL)
		return;
	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

static const char *
arena_dup(struct meta_arena *a, const char *s)
{
	size_t	 n = strlen(s) + 1;
	char	*p;

	if ((p = arena_alloc(a, n)) != NULL)
		memcpy(p, s, n);
	return p;
}

static const char *
arena_camel(struct meta_arena *a, const char *s)
{
	char	 buf[512];

	if (strlen(s) >= sizeof(buf))
		return NULL;
	meta_camel(s, buf, sizeof(buf));
	return arena_dup(a, buf);
}

/* A SCALE string into the arena, NUL-terminated. */
static const char *
arena_str(struct parser *p)
{
	const char	*s;
	char		*out;
	size_t		 n, start = p->r.off;

	if (scale_read_str(&p->r, &s, &n) == -1)
		return NULL;
	if (memchr(s, '\0', n) != NULL || n >= 512) {
		p->r.off = start;
		scale_fail(&p->r, "bad name (NUL byte or %zu bytes long)", n);
		return NULL;
	}
	if ((out = arena_alloc(p->m->arena, n + 1)) == NULL) {
		scale_fail(&p->r, "out of memory");
		return NULL;
	}
	memcpy(out, s, n);
	out[n] = '\0';
	return out;
}

/* ------------------------------------------------------------ parsing */

static int
p_compact32(struct parser *p, uint32_t *v)
{
	uint64_t	 x;
	size_t		 start = p->r.off;

	if (scale_read_compact(&p->r, &x) == -1)
		return -1;
	if (x > UINT32_MAX) {
		p->r.off = start;
		return scale_fail(&p->r, "type id %llu out of range",
		    (unsigned long long)x);
	}
	*v = (uint32_t)x;
	return 0;
}

static int
p_len(struct parser *p, size_t minsize, size_t *n)
{
	return scale_read_len(&p->r, minsize, n);
}

static int
p_skip_str(struct parser *p)
{
	const char	*s;
	size_t		 n;

	return scale_read_str(&p->r, &s, &n);
}

static int
p_skip_docs(struct parser *p)
{
	size_t n, i;

	if (p_len(p, 1, &n) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (p_skip_str(p) == -1)
			return -1;
	return 0;
}

static int
p_skip_bytes(struct parser *p)
{
	const uint8_t	*b;
	size_t		 n;

	return scale_read_bytes(&p->r, &b, &n);
}

static int
p_option(struct parser *p, int *some)
{
	return scale_read_option(&p->r, some);
}

/* Vec<Field{name: Option<String>, ty, type_name: Option<String>, docs}> */
static int
p_fields(struct parser *p, struct meta_field **out, uint32_t *nout)
{
	struct meta_field	*f;
	size_t			 n, i;
	int			 some;

	if (p_len(p, 4, &n) == -1)
		return -1;
	if ((f = arena_calloc(p->m->arena, n ? n : 1, sizeof(*f))) == NULL)
		return scale_fail(&p->r, "out of memory");
	for (i = 0; i < n; i++) {
		if (p_option(p, &some) == -1)
			return -1;
		if (some) {
			if ((f[i].name = arena_str(p)) == NULL)
				return -1;
			if ((f[i].jname = arena_camel(p->m->arena,
			    f[i].name)) == NULL)
				return scale_fail(&p->r, "out of memory");
		}
		if (p_compact32(p, &f[i].type) == -1 ||
		    p_option(p, &some) == -1)
			return -1;
		if (some && (f[i].type_name = arena_str(p)) == NULL)
			return -1;
		if (p_skip_docs(p) == -1)
			return -1;
	}
	*out = f;
	*nout = (uint32_t)n;
	return 0;
}

/* Type{path: Vec<String>, params: Vec<TypeParameter>, def: TypeDef, docs} */
static int
p_type(struct parser *p, struct meta_type *t)
{
	struct meta_arena	*a = p->m->arena;
	struct meta_variant	*v;
	size_t			 n, i;
	uint8_t			 tag, prim;
	int			 some;

	if (p_len(p, 1, &n) == -1)
		return -1;
	if ((t->path = arena_calloc(a, n ? n : 1, sizeof(*t->path))) == NULL)
		return scale_fail(&p->r, "out of memory");
	for (i = 0; i < n; i++)
		if ((t->path[i] = arena_str(p)) == NULL)
			return -1;
	t->npath = (uint32_t)n;

	if (p_len(p, 2, &n) == -1)
		return -1;
	if ((t->params = arena_calloc(a, n ? n : 1, sizeof(*t->params))) ==
	    NULL)
		return scale_fail(&p->r, "out of memory");
	for (i = 0; i < n; i++) {
		if ((t->params[i].name = arena_str(p)) == NULL ||
		    p_option(p, &some) == -1)
			return -1;
		t->params[i].has_type = some;
		if (some && p_compact32(p, &t->params[i].type) == -1)
			return -1;
	}
	t->nparams = (uint32_t)n;

	if (scale_read_u8(&p->r, &tag) == -1)
		return -1;
	switch (tag) {
	case 0:
		t->def = META_COMPOSITE;
		if (p_fields(p, &t->fields, &t->nfields) == -1)
			return -1;
		break;
	case 1:
		t->def = META_VARIANT;
		if (p_len(p, 4, &n) == -1)
			return -1;
		if ((v = arena_calloc(a, n ? n : 1, sizeof(*v))) == NULL)
			return scale_fail(&p->r, "out of memory");
		for (i = 0; i < n; i++) {
			if ((v[i].name = arena_str(p)) == NULL)
				return -1;
			if ((v[i].jname = arena_camel(a, v[i].name)) == NULL)
				return scale_fail(&p->r, "out of memory");
			if (p_fields(p, &v[i].fields, &v[i].nfields) == -1 ||
			    scale_read_u8(&p->r, &v[i].index) == -1 ||
			    p_skip_docs(p) == -1)
				return -1;
		}
		t->variants = v;
		t->nvariants = (uint32_t)n;
		break;
	case 2:
		t->def = META_SEQUENCE;
		if (p_compact32(p, &t->elem) == -1)
			return -1;
		break;
	case 3:
		t->def = META_ARRAY;
		if (scale_read_u32(&p->r, &t->len) == -1 ||
		    p_compact32(p, &t->elem) == -1)
			return -1;
		break;
	case 4:
		t->def = META_TUPLE;
		if (p_len(p, 1, &n) == -1)
			return -1;
		if ((t->tuple = arena_calloc(a, n ? n : 1,
		    sizeof(*t->tuple))) == NULL)
			return scale_fail(&p->r, "out of memory");
		for (i = 0; i < n; i++)
			if (p_compact32(p, &t->tuple[i]) == -1)
				return -1;
		t->ntuple = (uint32_t)n;
		break;
	case 5:
		t->def = META_PRIMITIVE;
		if (scale_read_u8(&p->r, &prim) == -1)
			return -1;
		if (prim > META_I256) {
			p->r.off--;
			return scale_fail(&p->r, "unknown primitive %u", prim);
		}
		t->prim = (enum meta_prim)prim;
		break;
	case 6:
		t->def = META_COMPACT;
		if (p_compact32(p, &t->elem) == -1)
			return -1;
		break;
	case 7:
		t->def = META_BITSEQ;
		if (p_compact32(p, &t->bit_store) == -1 ||
		    p_compact32(p, &t->bit_order) == -1)
			return -1;
		break;
	default:
		p->r.off--;
		return scale_fail(&p->r, "unknown type definition %u", tag);
	}
	return p_skip_docs(p);
}

/* PortableRegistry: Vec<PortableType{id: Compact<u32>, ty: Type}> */
static int
p_types(struct parser *p)
{
	struct meta	*m = p->m;
	size_t		 n, i;
	uint32_t	 id = 0;

	if (p_len(p, 5, &n) == -1)
		return -1;
	if ((m->types = arena_calloc(m->arena, n ? n : 1,
	    sizeof(*m->types))) == NULL)
		return scale_fail(&p->r, "out of memory");
	m->ntypes = (uint32_t)n;
	for (i = 0; i < n; i++) {
		if (p_compact32(p, &id) == -1)
			return -1;
		if (id != i)
			return scale_fail(&p->r, "type id %u at position %zu "
			    "(ids must be 0, 1, 2, ...)", id, i);
		m->types[i].id = id;
		snprintf(p->what, sizeof(p->what), "type %u", id);
		if (p_type(p, &m->types[i]) == -1)
			return -1;
	}
	return 0;
}

/* Option<PalletStorageMetadata{prefix, entries: Vec<StorageEntry>}> */
static int
p_storage(struct parser *p, struct meta_pallet *pl)
{
	struct meta_storage	*s;
	size_t			 n, i, nh, k;
	uint8_t			 b;
	int			 some;

	if (p_option(p, &some) == -1)
		return -1;
	if (!some)
		return 0;
	if ((pl->prefix = arena_str(p)) == NULL || p_len(p, 5, &n) == -1)
		return -1;
	if ((s = arena_calloc(p->m->arena, n ? n : 1, sizeof(*s))) == NULL)
		return scale_fail(&p->r, "out of memory");
	for (i = 0; i < n; i++) {
		if ((s[i].name = arena_str(p)) == NULL ||
		    scale_read_u8(&p->r, &b) == -1)
			return -1;
		if (b > 1) {
			p->r.off--;
			return scale_fail(&p->r, "bad storage modifier %u", b);
		}
		if (scale_read_u8(&p->r, &b) == -1)
			return -1;
		if (b == 0) {
			s[i].kind = META_STORAGE_PLAIN;
			if (p_compact32(p, &s[i].value) == -1)
				return -1;
		} else if (b == 1) {
			s[i].kind = META_STORAGE_MAP;
			if (p_len(p, 1, &nh) == -1)
				return -1;
			for (k = 0; k < nh; k++) {
				if (scale_read_u8(&p->r, &b) == -1)
					return -1;
				if (b > 6) {
					p->r.off--;
					return scale_fail(&p->r,
					    "bad storage hasher %u", b);
				}
			}
			if (p_compact32(p, &s[i].key) == -1 ||
			    p_compact32(p, &s[i].value) == -1)
				return -1;
		} else {
			p->r.off--;
			return scale_fail(&p->r, "bad storage entry type %u",
			    b);
		}
		if (p_skip_bytes(p) == -1 || p_skip_docs(p) == -1 ||
		    (p->m->version >= 16 && p_deprecation(p) == -1))
			return -1;
	}
	pl->storage = s;
	pl->nstorage = (uint32_t)n;
	return 0;
}

static int
p_pallets(struct parser *p)
{
	struct meta		*m = p->m;
	struct meta_pallet	*pl;
	size_t			 n, i, nc, k;
	uint32_t		 ty;
	int			 v16 = m->version >= 16;

	if (p_len(p, 6, &n) == -1)
		return -1;
	if ((m->pallets = arena_calloc(m->arena, n ? n : 1,
	    sizeof(*m->pallets))) == NULL)
		return scale_fail(&p->r, "out of memory");
	m->npallets = (uint32_t)n;
	for (i = 0; i < n; i++) {
		pl = &m->pallets[i];
		snprintf(p->what, sizeof(p->what), "pallet %zu", i);
		if ((pl->name = arena_str(p)) == NULL)
			return -1;
		snprintf(p->what, sizeof(p->what), "pallet %s", pl->name);
		if (p_storage(p, pl) == -1)
			return -1;
		/* V16: calls, event and error carry deprecation maps */
		if (p_option(p, &pl->has_calls) == -1 ||
		    (pl->has_calls && (p_compact32(p, &pl->calls) == -1 ||
		    (v16 && p_enum_deprecation(p) == -1))))
			return -1;
		if (p_option(p, &pl->has_event) == -1 ||
		    (pl->has_event && (p_compact32(p, &pl->event) == -1 ||
		    (v16 && p_enum_deprecation(p) == -1))))
			return -1;
		/* constants: Vec<{name, ty, value: Vec<u8>, docs, V16: dep}> */
		if (p_len(p, 4, &nc) == -1)
			return -1;
		for (k = 0; k < nc; k++)
			if (p_skip_str(p) == -1 || p_compact32(p, &ty) == -1 ||
			    p_skip_bytes(p) == -1 || p_skip_docs(p) == -1 ||
			    (v16 && p_deprecation(p) == -1))
				return -1;
		if (p_option(p, &pl->has_error) == -1 ||
		    (pl->has_error && (p_compact32(p, &pl->error) == -1 ||
		    (v16 && p_enum_deprecation(p) == -1))))
			return -1;
		if (v16) {
			/* associated types: Vec<{name, ty, docs}> */
			if (p_len(p, 3, &nc) == -1)
				return -1;
			for (k = 0; k < nc; k++)
				if (p_skip_str(p) == -1 ||
				    p_compact32(p, &ty) == -1 ||
				    p_skip_docs(p) == -1)
					return -1;
			/* view functions: Vec<{id: [u8; 32], name, inputs:
			 * Vec<{name, ty}>, output, docs, deprecation}> */
			if (p_len(p, 37, &nc) == -1)
				return -1;
			for (k = 0; k < nc; k++) {
				size_t ni, q;

				if (scale_skip(&p->r, 32) == -1 ||
				    p_skip_str(p) == -1 || p_len(p, 2, &ni) == -1)
					return -1;
				for (q = 0; q < ni; q++)
					if (p_skip_str(p) == -1 ||
					    p_compact32(p, &ty) == -1)
						return -1;
				if (p_compact32(p, &ty) == -1 ||
				    p_skip_docs(p) == -1 ||
				    p_deprecation(p) == -1)
					return -1;
			}
		}
		if (scale_read_u8(&p->r, &pl->index) == -1)
			return -1;
		if (m->version >= 15 && p_skip_docs(p) == -1)
			return -1;
		if (v16 && p_deprecation(p) == -1)
			return -1;
	}
	return 0;
}

static int
p_extrinsic(struct parser *p)
{
	uint32_t	 ty;
	uint8_t		 version;
	size_t		 n, i;
	int		 k;

	snprintf(p->what, sizeof(p->what), "extrinsic metadata");
	if (p->m->version >= 16) {
		/* {versions: Vec<u8>, address_ty, call_ty, signature_ty,
		 * extensions_by_version: BTreeMap<u8, Vec<Compact<u32>>>,
		 * extensions: Vec<{identifier, ty, implicit}>} */
		if (p_skip_bytes(p) == -1)
			return -1;
		for (k = 0; k < 3; k++)
			if (p_compact32(p, &ty) == -1)
				return -1;
		if (p_len(p, 2, &n) == -1)
			return -1;
		for (i = 0; i < n; i++) {
			size_t nx, q;

			if (scale_read_u8(&p->r, &version) == -1 ||
			    p_len(p, 1, &nx) == -1)
				return -1;
			for (q = 0; q < nx; q++)
				if (p_compact32(p, &ty) == -1)
					return -1;
		}
		if (p_len(p, 3, &n) == -1)
			return -1;
		for (i = 0; i < n; i++)
			if (p_skip_str(p) == -1 || p_compact32(p, &ty) == -1 ||
			    p_compact32(p, &ty) == -1)
				return -1;
		return 0;		/* V16 has no runtime type */
	}
	if (p->m->version == 14) {
		/* {ty, version: u8, signed_extensions} */
		if (p_compact32(p, &ty) == -1 ||
		    scale_read_u8(&p->r, &version) == -1)
			return -1;
	} else {
		/* {version, address_ty, call_ty, signature_ty, extra_ty,
		 * signed_extensions} */
		if (scale_read_u8(&p->r, &version) == -1)
			return -1;
		for (k = 0; k < 4; k++)
			if (p_compact32(p, &ty) == -1)
				return -1;
	}
	if (p_len(p, 3, &n) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (p_skip_str(p) == -1 || p_compact32(p, &ty) == -1 ||
		    p_compact32(p, &ty) == -1)
			return -1;
	snprintf(p->what, sizeof(p->what), "runtime type");
	return p_compact32(p, &p->m->runtime_type);
}

/* V15: apis, outer_enums, custom. */
static int
p_v15_tail(struct parser *p)
{
	size_t		 na, nm, ni, i, j, k;
	uint32_t	 ty;

	snprintf(p->what, sizeof(p->what), "runtime APIs");
	if (p_len(p, 3, &na) == -1)
		return -1;
	for (i = 0; i < na; i++) {
		if (p_skip_str(p) == -1 || p_len(p, 4, &nm) == -1)
			return -1;
		for (j = 0; j < nm; j++) {
			if (p_skip_str(p) == -1 || p_len(p, 2, &ni) == -1)
				return -1;
			for (k = 0; k < ni; k++)
				if (p_skip_str(p) == -1 ||
				    p_compact32(p, &ty) == -1)
					return -1;
			if (p_compact32(p, &ty) == -1 || p_skip_docs(p) == -1)
				return -1;
		}
		if (p_skip_docs(p) == -1)
			return -1;
	}
	snprintf(p->what, sizeof(p->what), "outer enums");
	for (k = 0; k < 3; k++)
		if (p_compact32(p, &ty) == -1)
			return -1;
	snprintf(p->what, sizeof(p->what), "custom metadata");
	if (p_len(p, 3, &na) == -1)
		return -1;
	for (i = 0; i < na; i++)
		if (p_skip_str(p) == -1 || p_compact32(p, &ty) == -1 ||
		    p_skip_bytes(p) == -1)
			return -1;
	return 0;
}

/* ItemDeprecationInfo: NotDeprecated, DeprecatedWithoutNote,
 * Deprecated{note, since: Option<String>} */
static int
p_deprecation(struct parser *p)
{
	uint8_t	 tag;
	int	 some;

	if (scale_read_u8(&p->r, &tag) == -1)
		return -1;
	if (tag > 2) {
		p->r.off--;
		return scale_fail(&p->r, "bad deprecation info %u", tag);
	}
	if (tag == 2 && (p_skip_str(p) == -1 || p_option(p, &some) == -1 ||
	    (some && p_skip_str(p) == -1)))
		return -1;
	return 0;
}

/* EnumDeprecationInfo: BTreeMap<u8, VariantDeprecationInfo>, whose
 * variants have the same shape as ItemDeprecationInfo's */
static int
p_enum_deprecation(struct parser *p)
{
	size_t	 n, i;
	uint8_t	 idx;

	if (p_len(p, 2, &n) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (scale_read_u8(&p->r, &idx) == -1 || p_deprecation(p) == -1)
			return -1;
	return 0;
}

/* V16: apis (with versions and deprecation), outer enums, custom. */
static int
p_v16_tail(struct parser *p)
{
	size_t		 na, nm, ni, i, j, k;
	uint32_t	 ty;

	snprintf(p->what, sizeof(p->what), "runtime APIs");
	if (p_len(p, 4, &na) == -1)
		return -1;
	for (i = 0; i < na; i++) {
		if (p_skip_str(p) == -1 || p_len(p, 5, &nm) == -1)
			return -1;
		for (j = 0; j < nm; j++) {
			if (p_skip_str(p) == -1 || p_len(p, 2, &ni) == -1)
				return -1;
			for (k = 0; k < ni; k++)
				if (p_skip_str(p) == -1 ||
				    p_compact32(p, &ty) == -1)
					return -1;
			if (p_compact32(p, &ty) == -1 ||
			    p_skip_docs(p) == -1 || p_deprecation(p) == -1)
				return -1;
		}
		if (p_skip_docs(p) == -1 || p_compact32(p, &ty) == -1 ||
		    p_deprecation(p) == -1)
			return -1;
	}
	snprintf(p->what, sizeof(p->what), "outer enums");
	for (k = 0; k < 3; k++)
		if (p_compact32(p, &ty) == -1)
			return -1;
	snprintf(p->what, sizeof(p->what), "custom metadata");
	if (p_len(p, 3, &na) == -1)
		return -1;
	for (i = 0; i < na; i++)
		if (p_skip_str(p) == -1 || p_compact32(p, &ty) == -1 ||
		    p_skip_bytes(p) == -1)
			return -1;
	return 0;
}

/*
 * Accept the blob as state_getMetadata returns it ("meta" + version ...),
 * or wrapped as Vec<u8> or Option<Vec<u8>> the way the runtime API
 * Metadata_metadata_at_version returns it.
 */
static int
p_unwrap(const uint8_t **buf, size_t *len)
{
	struct scale_reader	 r;
	const uint8_t		*p;
	size_t			 n;
	int			 some;

	if (*len >= 4 && memcmp(*buf, "meta", 4) == 0)
		return 0;
	scale_reader_init(&r, *buf, *len);
	if (scale_read_bytes(&r, &p, &n) == 0 && scale_remaining(&r) == 0 &&
	    n >= 4 && memcmp(p, "meta", 4) == 0) {
		*buf = p;
		*len = n;
		return 0;
	}
	scale_reader_init(&r, *buf, *len);
	if (scale_read_option(&r, &some) == 0 && some &&
	    scale_read_bytes(&r, &p, &n) == 0 && scale_remaining(&r) == 0 &&
	    n >= 4 && memcmp(p, "meta", 4) == 0) {
		*buf = p;
		*len = n;
		return 0;
	}
	return -1;
}

int
meta_parse(struct meta *m, const uint8_t *buf, size_t len, char *err,
    size_t errlen)
{
	struct parser	 p;
	uint8_t		 version;

	memset(m, 0, sizeof(*m));
	if ((m->arena = calloc(1, sizeof(*m->arena))) == NULL) {
		snprintf(err, errlen, "metadata: out of memory");
		return -1;
	}
	if (p_unwrap(&buf, &len) == -1) {
		snprintf(err, errlen, "metadata: no \"meta\" magic");
		goto fail;
	}
	memset(&p, 0, sizeof(p));
	p.m = m;
	scale_reader_init(&p.r, buf + 4, len - 4);
	snprintf(p.what, sizeof(p.what), "version");
	if (scale_read_u8(&p.r, &version) == -1)
		goto bad;
	if (version < 14 || version > 16) {
		snprintf(err, errlen, "metadata: unsupported version %u "
		    "(14, 15 and 16 are)", version);
		goto fail;
	}
	m->version = version;
	snprintf(p.what, sizeof(p.what), "type registry");
	if (p_types(&p) == -1 || p_pallets(&p) == -1 || p_extrinsic(&p) == -1)
		goto bad;
	if (version == 15 && p_v15_tail(&p) == -1)
		goto bad;
	if (version == 16 && p_v16_tail(&p) == -1)
		goto bad;
	if (scale_remaining(&p.r) != 0) {
		snprintf(err, errlen, "metadata: %zu trailing bytes",
		    scale_remaining(&p.r));
		goto fail;
	}
	if (m->arena->oom) {
		snprintf(err, errlen, "metadata: out of memory");
		goto fail;
	}
	if (check_types(m, err, errlen) == -1 || derive(m, err, errlen) == -1)
		goto fail;
	find_events(m);
	m->max_values = META_MAX_VALUES;
	return 0;
bad:
	/* reader offsets are relative to after the magic */
	snprintf(err, errlen, "metadata V%u, %s: %s (+4 magic bytes)",
	    m->version, p.what, p.r.err);
fail:
	meta_free(m);
	return -1;
}

void
meta_free(struct meta *m)
{
	arena_free(m->arena);
	memset(m, 0, sizeof(*m));
}

/* ------------------------------------------------------------ checks */

static int
check_id(struct meta *m, uint32_t id, const char *what, uint32_t owner,
    char *err, size_t errlen)
{
	if (id < m->ntypes)
		return 0;
	snprintf(err, errlen, "metadata: type %u: %s refers to type %u, "
	    "but there are only %u types", owner, what, id, m->ntypes);
	return -1;
}

static int
check_types(struct meta *m, char *err, size_t errlen)
{
	struct meta_type	*t;
	struct meta_pallet	*pl;
	uint32_t		 i, k, f;

	for (i = 0; i < m->ntypes; i++) {
		t = &m->types[i];
		for (k = 0; k < t->nparams; k++)
			if (t->params[k].has_type && check_id(m,
			    t->params[k].type, "a parameter", i, err,
			    errlen) == -1)
				return -1;
		switch (t->def) {
		case META_COMPOSITE:
			for (k = 0; k < t->nfields; k++)
				if (check_id(m, t->fields[k].type, "a field", i,
				    err, errlen) == -1)
					return -1;
			break;
		case META_VARIANT:
			for (k = 0; k < t->nvariants; k++)
				for (f = 0; f < t->variants[k].nfields; f++)
					if (check_id(m,
					    t->variants[k].fields[f].type,
					    "a variant field", i, err,
					    errlen) == -1)
						return -1;
			break;
		case META_SEQUENCE:
		case META_ARRAY:
		case META_COMPACT:
			if (check_id(m, t->elem, "its element", i, err,
			    errlen) == -1)
				return -1;
			break;
		case META_TUPLE:
			for (k = 0; k < t->ntuple; k++)
				if (check_id(m, t->tuple[k], "a tuple element",
				    i, err, errlen) == -1)
					return -1;
			break;
		case META_BITSEQ:
			if (check_id(m, t->bit_store, "its bit store", i, err,
			    errlen) == -1 || check_id(m, t->bit_order,
			    "its bit order", i, err, errlen) == -1)
				return -1;
			break;
		case META_PRIMITIVE:
			break;
		}
	}
	for (i = 0; i < m->npallets; i++) {
		pl = &m->pallets[i];
		if ((pl->has_calls && pl->calls >= m->ntypes) ||
		    (pl->has_event && pl->event >= m->ntypes) ||
		    (pl->has_error && pl->error >= m->ntypes)) {
			snprintf(err, errlen, "metadata: pallet %s refers to "
			    "an unknown type", pl->name);
			return -1;
		}
		for (k = 0; k < pl->nstorage; k++)
			if (pl->storage[k].value >= m->ntypes ||
			    pl->storage[k].key >= m->ntypes) {
				snprintf(err, errlen, "metadata: storage %s.%s "
				    "refers to an unknown type", pl->name,
				    pl->storage[k].name);
				return -1;
			}
	}
	if (m->runtime_type >= m->ntypes && m->ntypes > 0) {
		snprintf(err, errlen, "metadata: unknown runtime type %u",
		    m->runtime_type);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ shapes */

static int
path_is(const struct meta_type *t, const char *want)
{
	char		 buf[512];
	size_t		 n = 0, l;
	uint32_t	 i;

	for (i = 0; i < t->npath; i++) {
		l = strlen(t->path[i]);
		if (n + l + 3 > sizeof(buf))
			return 0;
		if (i > 0) {
			memcpy(buf + n, "::", 2);
			n += 2;
		}
		memcpy(buf + n, t->path[i], l);
		n += l;
	}
	buf[n] = '\0';
	return strcmp(buf, want) == 0;
}

static const char *
path_last(const struct meta_type *t)
{
	return t->npath > 0 ? t->path[t->npath - 1] : "";
}

/* Does a value of this type carry nothing (polkadot-js's Null)? */
static int
is_null(const struct meta *m, uint32_t id, unsigned depth)
{
	const struct meta_type *t = &m->types[id];

	if (depth > META_MAX_DEPTH)
		return 0;
	switch (t->def) {
	case META_COMPOSITE:
		if (t->nfields == 0)
			return 1;
		if (t->nfields == 1 && t->fields[0].name == NULL)
			return is_null(m, t->fields[0].type, depth + 1);
		return 0;
	case META_TUPLE:
		if (t->ntuple == 0)
			return 1;
		if (t->ntuple == 1)
			return is_null(m, t->tuple[0], depth + 1);
		return 0;
	case META_VARIANT:
		if (t->npath > 0 && (strcmp(t->path[0], "Option") == 0 ||
		    strcmp(t->path[0], "Result") == 0))
			return 0;
		return t->nvariants == 0;
	default:
		return 0;
	}
}

/* Is this u8, or a newtype of u8 (so that a Vec of it is bytes)? */
static int
is_u8(const struct meta *m, uint32_t id, unsigned depth)
{
	const struct meta_type *t = &m->types[id];

	if (depth > META_MAX_DEPTH)
		return 0;
	switch (t->def) {
	case META_PRIMITIVE:
		return t->prim == META_U8;
	case META_COMPOSITE:
		return t->nfields == 1 && t->fields[0].name == NULL &&
		    is_u8(m, t->fields[0].type, depth + 1);
	case META_TUPLE:
		return t->ntuple == 1 && is_u8(m, t->tuple[0], depth + 1);
	default:
		return 0;
	}
}

/* The integer a compact wraps (through single-field composites). */
static int
int_of(const struct meta *m, uint32_t id, unsigned depth, unsigned *bits,
    int *sign)
{
	const struct meta_type *t = &m->types[id];

	if (depth > META_MAX_DEPTH)
		return -1;
	switch (t->def) {
	case META_PRIMITIVE:
		if (t->prim >= META_U8 && t->prim <= META_U256) {
			*bits = 8u << (t->prim - META_U8);
			*sign = 0;
			return 0;
		}
		if (t->prim >= META_I8 && t->prim <= META_I256) {
			*bits = 8u << (t->prim - META_I8);
			*sign = 1;
			return 0;
		}
		return -1;
	case META_COMPOSITE:
		if (t->nfields != 1)
			return -1;
		return int_of(m, t->fields[0].type, depth + 1, bits, sign);
	case META_TUPLE:
		if (t->ntuple != 1)
			return -1;
		return int_of(m, t->tuple[0], depth + 1, bits, sign);
	case META_COMPACT:
		return int_of(m, t->elem, depth + 1, bits, sign);
	default:
		return -1;
	}
}

/*
 * The fewest bytes a value of each type takes, by iteration from "none
 * known" (SIZE_MAX) until nothing changes: recursive types (a tree whose
 * leaf is small) get their true least size.  Types no value can take
 * (an enum without variants, endless recursion) end as 0: no bound.
 * Sequence lengths are checked against the element's least size.
 */
#define MS_INF	SIZE_MAX

static size_t
ms_add(size_t a, size_t b)
{
	if (a == MS_INF || b == MS_INF)
		return MS_INF;
	return a > SIZE_MAX / 4 || b > SIZE_MAX / 4 ? SIZE_MAX / 4 : a + b;
}

static size_t
min_size(const struct meta *m, uint32_t id)
{
	const struct meta_type	*t = &m->types[id];
	size_t			 n = 0, k, best;
	uint32_t		 i, f;

	switch (t->def) {
	case META_PRIMITIVE:
		if (t->prim == META_BOOL || t->prim == META_STR)
			return 1;
		if (t->prim == META_CHAR)
			return 4;
		return (size_t)1 << (t->prim >= META_I8 ? t->prim - META_I8 :
		    t->prim - META_U8);
	case META_COMPACT:
	case META_SEQUENCE:
	case META_BITSEQ:
		return 1;
	case META_ARRAY:
		k = m->types[t->elem].min_size;
		if (t->len == 0)
			return 0;
		if (k == MS_INF)
			return MS_INF;
		return k > SIZE_MAX / 4 / t->len ? SIZE_MAX / 4 : k * t->len;
	case META_TUPLE:
		for (i = 0; i < t->ntuple; i++)
			n = ms_add(n, m->types[t->tuple[i]].min_size);
		return n;
	case META_COMPOSITE:
		for (i = 0; i < t->nfields; i++)
			n = ms_add(n, m->types[t->fields[i].type].min_size);
		return n;
	case META_VARIANT:
		if (t->shape == META_SH_OPTION)
			return 1;		/* None */
		best = MS_INF;
		for (i = 0; i < t->nvariants; i++) {
			for (k = 0, f = 0; f < t->variants[i].nfields; f++)
				k = ms_add(k, m->types[
				    t->variants[i].fields[f].type].min_size);
			if (k < best)
				best = k;
		}
		return ms_add(1, best);
	}
	return 0;
}

static void
min_sizes(struct meta *m)
{
	uint32_t	 i;
	size_t		 v;
	int		 changed, pass;

	for (i = 0; i < m->ntypes; i++)
		m->types[i].min_size = MS_INF;
	for (pass = 0, changed = 1; changed && pass < 256; pass++) {
		changed = 0;
		for (i = 0; i < m->ntypes; i++) {
			v = min_size(m, i);
			if (v < m->types[i].min_size) {
				m->types[i].min_size = v;
				changed = 1;
			}
		}
	}
	for (i = 0; i < m->ntypes; i++)
		if (m->types[i].min_size == MS_INF)
			m->types[i].min_size = 0;
}

static enum meta_shape
fields_shape(const struct meta_field *f, uint32_t n)
{
	uint32_t i;

	if (n == 0)
		return META_SH_NULL;
	if (n == 1 && f[0].name == NULL)
		return META_SH_INNER;
	for (i = 0; i < n; i++)
		if (f[i].name != NULL)
			return META_SH_STRUCT;
	return META_SH_TUPLE;
}

static int
derive(struct meta *m, char *err, size_t errlen)
{
	struct meta_type	*t, *st, *ot;
	struct meta_variant	*v;
	uint32_t		 i, k;
	int			 basic, sign;
	const char		*o;

	for (i = 0; i < m->ntypes; i++) {
		t = &m->types[i];
		t->shape = META_SH_DEF;
		switch (t->def) {
		case META_COMPOSITE:
			if ((path_is(t, "sp_weights::weight_v2::Weight") ||
			    path_is(t, "frame_support::weights::weight_v2::"
			    "Weight")) && t->nfields == 1) {
				t->shape = META_SH_INNER;
				t->inner = t->fields[0].type;
			} else if ((strcmp(path_last(t), "WrapperOpaque") == 0 ||
			    strcmp(path_last(t), "WrapperKeepOpaque") == 0) &&
			    t->nparams == 1 && t->params[0].has_type &&
			    t->nfields == 2) {
				t->shape = META_SH_OPAQUE;
				t->inner = t->params[0].type;
			} else {
				t->shape = fields_shape(t->fields, t->nfields);
				if (t->shape == META_SH_INNER)
					t->inner = t->fields[0].type;
			}
			break;
		case META_TUPLE:
			if (t->ntuple == 0)
				t->shape = META_SH_NULL;
			else if (t->ntuple == 1) {
				t->shape = META_SH_INNER;
				t->inner = t->tuple[0];
			} else
				t->shape = META_SH_TUPLE;
			break;
		case META_SEQUENCE:
		case META_ARRAY:
			if (is_u8(m, t->elem, 0))
				t->shape = META_SH_HEX;
			break;
		case META_VARIANT:
			if (t->npath > 0 && strcmp(t->path[0], "Option") == 0 &&
			    t->nparams == 1 && t->params[0].has_type) {
				t->shape = META_SH_OPTION;
				t->inner = t->params[0].type;
				break;
			}
			if ((t->by_index = arena_calloc(m->arena, 256,
			    sizeof(*t->by_index))) == NULL) {
				snprintf(err, errlen, "metadata: out of memory");
				return -1;
			}
			basic = 1;
			for (k = 0; k < t->nvariants; k++) {
				v = &t->variants[k];
				if (t->by_index[v->index] != NULL) {
					snprintf(err, errlen, "metadata: type "
					    "%u: two variants with index %u",
					    i, v->index);
					return -1;
				}
				t->by_index[v->index] = v;
				v->shape = fields_shape(v->fields, v->nfields);
				if (v->shape == META_SH_NULL ||
				    (v->shape == META_SH_INNER &&
				    is_null(m, v->fields[0].type, 0)))
					continue;
				basic = 0;
			}
			if (t->nvariants == 0)
				t->shape = META_SH_NULL;
			else
				t->shape = basic ? META_SH_ENUM_BASIC :
				    META_SH_ENUM;
			break;
		case META_PRIMITIVE:
			if (t->prim >= META_U8 && t->prim <= META_U256) {
				t->int_bits = 8u << (t->prim - META_U8);
				t->int_signed = 0;
			} else if (t->prim >= META_I8) {
				t->int_bits = 8u << (t->prim - META_I8);
				t->int_signed = 1;
			}
			break;
		case META_COMPACT:
			/* an unknown inner type fails when decoded */
			if (int_of(m, t->elem, 0, &t->int_bits, &sign) == -1 ||
			    sign)
				t->int_bits = 0;
			break;
		case META_BITSEQ:
			st = &m->types[t->bit_store];
			ot = &m->types[t->bit_order];
			/* polkadot-js swaps them if they come reversed */
			if (st->def != META_PRIMITIVE) {
				struct meta_type *x = st;

				st = ot;
				ot = x;
			}
			if (st->def == META_PRIMITIVE && st->prim >= META_U8 &&
			    st->prim <= META_U64)
				t->store_bits = 8u << (st->prim - META_U8);
			o = path_last(ot);
			t->msb0 = strcmp(o, "Msb0") == 0 ||
			    strcmp(o, "BitOrderMsb0") == 0;
			if (!t->msb0 && strcmp(o, "Lsb0") != 0 &&
			    strcmp(o, "BitOrderLsb0") != 0)
				t->store_bits = 0;	/* fails if decoded */
			break;
		}
	}
	min_sizes(m);
	return 0;
}

const struct meta_pallet *
meta_pallet(const struct meta *m, const char *name)
{
	uint32_t i;

	for (i = 0; i < m->npallets; i++)
		if (strcmp(m->pallets[i].name, name) == 0)
			return &m->pallets[i];
	return NULL;
}

const struct meta_storage *
meta_storage(const struct meta_pallet *pl, const char *name)
{
	uint32_t i;

	for (i = 0; i < pl->nstorage; i++)
		if (strcmp(pl->storage[i].name, name) == 0)
			return &pl->storage[i];
	return NULL;
}

const struct meta_type *
meta_type(const struct meta *m, uint32_t id)
{
	return id < m->ntypes ? &m->types[id] : NULL;
}

const char *
meta_type_path(const struct meta *m, uint32_t id, char *buf, size_t len)
{
	const struct meta_type	*t = meta_type(m, id);
	size_t			 n = 0;
	uint32_t		 i;
	static const char *const prim[] = { "bool", "char", "str", "u8", "u16",
	    "u32", "u64", "u128", "u256", "i8", "i16", "i32", "i64", "i128",
	    "i256" };
	static const char *const def[] = { "composite", "variant", "sequence",
	    "array", "tuple", "primitive", "compact", "bit sequence" };

	buf[0] = '\0';
	if (t == NULL || len == 0)
		return buf;
	if (t->npath == 0) {
		snprintf(buf, len, "%s", t->def == META_PRIMITIVE ?
		    prim[t->prim] : def[t->def]);
		return buf;
	}
	for (i = 0; i < t->npath && n + 1 < len; i++)
		n += snprintf(buf + n, len - n, "%s%s", i ? "::" : "",
		    t->path[i]);
	return buf;
}

/* Through newtypes (one-field composites, 1-tuples), which encode as
 * what they wrap: Box<T>, a wrapper struct. */
static uint32_t
unwrap_newtypes(const struct meta *m, uint32_t id)
{
	const struct meta_type	*t;
	int			 n;

	for (n = 0; n < META_MAX_DEPTH; n++) {
		t = &m->types[id];
		if (t->def == META_COMPOSITE && t->nfields == 1)
			id = t->fields[0].type;
		else if (t->def == META_TUPLE && t->ntuple == 1)
			id = t->tuple[0];
		else
			break;
	}
	return id;
}

/*
 * System.Events: a plain storage item of type Vec<EventRecord> (through
 * newtypes), whose element is a composite with a field "event" of the
 * RuntimeEvent enum.
 */
static void
find_events(struct meta *m)
{
	const struct meta_pallet	*pl;
	const struct meta_storage	*st;
	const struct meta_type		*seq, *rec;
	uint32_t			 i, sid, rid, eid;

	if ((pl = meta_pallet(m, "System")) == NULL ||
	    (st = meta_storage(pl, "Events")) == NULL ||
	    st->kind != META_STORAGE_PLAIN)
		return;
	sid = unwrap_newtypes(m, st->value);
	seq = &m->types[sid];
	if (seq->def != META_SEQUENCE)
		return;
	rid = unwrap_newtypes(m, seq->elem);
	rec = &m->types[rid];
	if (rec->def != META_COMPOSITE)
		return;
	for (i = 0; i < rec->nfields; i++) {
		if (rec->fields[i].name == NULL ||
		    strcmp(rec->fields[i].name, "event") != 0)
			continue;
		eid = unwrap_newtypes(m, rec->fields[i].type);
		if (m->types[eid].def != META_VARIANT ||
		    m->types[eid].shape != META_SH_ENUM)
			return;
		m->has_events = 1;
		m->events_type = sid;
		m->record_type = rid;
		m->event_enum = eid;
		return;
	}
}

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

static cJSON *
hex_json(const uint8_t *p, size_t n)
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
		if (out != NULL && (*out = hex_json(p, n)) == NULL)
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
	const uint8_t		*raw;
	struct scale_reader	 sub, *saved;
	uint64_t		 nbits;
	size_t			 n, rawlen, minsize;
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
		if (t->shape == META_SH_NULL) {
			rc = 0;
			if (out != NULL && (*out = cJSON_CreateNull()) == NULL)
				rc = d_fail(d, id, "out of memory");
		} else if (t->shape == META_SH_INNER)
			rc = d_value(d, t->inner, out);
		else {
			cJSON			*arr = NULL, *item, **ip;
			uint32_t		 i;

			rc = 0;
			if (out != NULL && (arr = cJSON_CreateArray()) == NULL)
				rc = d_fail(d, id, "out of memory");
			for (i = 0; rc == 0 && i < t->ntuple; i++) {
				item = NULL;
				ip = out != NULL ? &item : NULL;
				if ((rc = d_value(d, t->tuple[i], ip)) == 0 &&
				    out != NULL)
					rc = add(d, id, arr, NULL, item);
			}
			if (rc == 0 && out != NULL)
				*out = arr;
			else
				cJSON_Delete(arr);
		}
		break;
	case META_COMPOSITE:
		if (t->shape == META_SH_OPAQUE) {
			/* WrapperOpaque<T>: Compact<u32> length, then T */
			if (scale_read_len(d->r, 1, &n) == -1 ||
			    scale_read_raw(d->r, n, &raw) == -1) {
				rc = RFAIL(d, id);
				break;
			}
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
				rc = d_fail(d, id, "%zu bytes left in an "
				    "opaque wrapper", scale_remaining(&sub));
			}
		} else if (t->shape == META_SH_INNER)
			rc = d_value(d, t->inner, out);
		else
			rc = d_fields(d, id, t->fields, t->nfields, t->shape,
			    out);
		break;
	case META_VARIANT:
		rc = d_variant(d, id, t, out);
		break;
	case META_BITSEQ:
		if (t->store_bits == 0) {
			rc = d_fail(d, id, "unsupported bit store or order");
			break;
		}
		if (scale_read_bitseq(d->r, t->store_bits, &nbits, &raw,
		    &rawlen) == -1) {
			rc = RFAIL(d, id);
			break;
		}
		rc = 0;
		if (out != NULL && (*out = hex_json(raw, rawlen)) == NULL)
			rc = d_fail(d, id, "out of memory");
		break;
	default:
		rc = d_fail(d, id, "unknown type definition");
		break;
	}
	d->depth--;
	return rc;
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

/* ------------------------------------------------------------ hashing */

#define P1	0x9E3779B185EBCA87ull
#define P2	0xC2B2AE3D27D4EB4Full
#define P3	0x165667B19E3779F9ull
#define P4	0x85EBCA77C2B2AE63ull
#define P5	0x27D4EB2F165667C5ull

static uint64_t
rotl64(uint64_t x, int r)
{
	return x << r | x >> (64 - r);
}

static uint64_t
rd64(const uint8_t *p)
{
	uint64_t	 v = 0;
	int		 i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
xxh_round(uint64_t acc, uint64_t in)
{
	acc += in * P2;
	acc = rotl64(acc, 31);
	return acc * P1;
}

static uint64_t
xxh_merge(uint64_t acc, uint64_t v)
{
	acc ^= xxh_round(0, v);
	return acc * P1 + P4;
}

uint64_t
meta_xxh64(const void *data, size_t len, uint64_t seed)
{
	const uint8_t	*p = data, *end = p + len;
	uint64_t	 h, v1, v2, v3, v4;

	if (len >= 32) {
		v1 = seed + P1 + P2;
		v2 = seed + P2;
		v3 = seed;
		v4 = seed - P1;
		do {
			v1 = xxh_round(v1, rd64(p));
			v2 = xxh_round(v2, rd64(p + 8));
			v3 = xxh_round(v3, rd64(p + 16));
			v4 = xxh_round(v4, rd64(p + 24));
			p += 32;
		} while (end - p >= 32);
		h = rotl64(v1, 1) + rotl64(v2, 7) + rotl64(v3, 12) +
		    rotl64(v4, 18);
		h = xxh_merge(h, v1);
		h = xxh_merge(h, v2);
		h = xxh_merge(h, v3);
		h = xxh_merge(h, v4);
	} else
		h = seed + P5;
	h += (uint64_t)len;
	while (end - p >= 8) {
		h ^= xxh_round(0, rd64(p));
		h = rotl64(h, 27) * P1 + P4;
		p += 8;
	}
	if (end - p >= 4) {
		h ^= (uint64_t)rd32(p) * P1;
		h = rotl64(h, 23) * P2 + P3;
		p += 4;
	}
	while (p < end) {
		h ^= (uint64_t)*p * P5;
		h = rotl64(h, 11) * P1;
		p++;
	}
	h ^= h >> 33;
	h *= P2;
	h ^= h >> 29;
	h *= P3;
	h ^= h >> 32;
	return h;
}

void
meta_twox128(const void *data, size_t len, uint8_t out[16])
{
	uint64_t	 h;
	int		 i, k;

	for (k = 0; k < 2; k++) {
		h = meta_xxh64(data, len, (uint64_t)k);
		for (i = 0; i < 8; i++)
			out[8 * k + i] = (uint8_t)(h >> 8 * i);
	}
}

void
meta_storage_key(const char *pallet, const char *item, uint8_t out[32])
{
	meta_twox128(pallet, strlen(pallet), out);
	meta_twox128(item, strlen(item), out + 16);
}

/*
 * meta: the type registry.  Parses runtime metadata V14/V15/V16 (types,
 * pallets, storage, calls, events, errors), checks it and derives what
 * decoding needs (shapes, integer widths, least sizes, System.Events);
 * lookups by name and id.  Decoding values (and the camelCase names of
 * the JSON form) is metadec.c's, storage keys metakey.c's (see meta.h for
 * the JSON conventions).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
static int	 p_path(struct parser *, struct meta_type *);
static int	 p_params(struct parser *, struct meta_type *);
static int	 p_typedef(struct parser *, struct meta_type *);
static int	 p_variants(struct parser *, struct meta_type *);
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
static void	 derive_composite(struct meta_type *);
static int	 derive_variant(struct meta *, uint32_t, char *, size_t);
static void	 derive_bitseq(struct meta *, struct meta_type *);
static uint32_t	 unwrap_newtypes(const struct meta *, uint32_t);
static void	 find_events(struct meta *);

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
	if (p_path(p, t) == -1 || p_params(p, t) == -1 ||
	    p_typedef(p, t) == -1)
		return -1;
	return p_skip_docs(p);
}

/* The type's path: Vec<String>. */
static int
p_path(struct parser *p, struct meta_type *t)
{
	size_t	 n, i;

	if (p_len(p, 1, &n) == -1)
		return -1;
	if ((t->path = arena_calloc(p->m->arena, n ? n : 1,
	    sizeof(*t->path))) == NULL)
		return scale_fail(&p->r, "out of memory");
	for (i = 0; i < n; i++)
		if ((t->path[i] = arena_str(p)) == NULL)
			return -1;
	t->npath = (uint32_t)n;
	return 0;
}

/* Its type parameters: Vec<(String, Option<Compact<u32>>)>. */
static int
p_params(struct parser *p, struct meta_type *t)
{
	size_t	 n, i;
	int	 some;

	if (p_len(p, 2, &n) == -1)
		return -1;
	if ((t->params = arena_calloc(p->m->arena, n ? n : 1,
	    sizeof(*t->params))) == NULL)
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
	return 0;
}

/* Its definition: TypeDef, an enum of eight. */
static int
p_typedef(struct parser *p, struct meta_type *t)
{
	size_t	 n, i;
	uint8_t	 tag, prim;

	if (scale_read_u8(&p->r, &tag) == -1)
		return -1;
	switch (tag) {
	case 0:
		t->def = META_COMPOSITE;
		return p_fields(p, &t->fields, &t->nfields);
	case 1:
		t->def = META_VARIANT;
		return p_variants(p, t);
	case 2:
		t->def = META_SEQUENCE;
		return p_compact32(p, &t->elem);
	case 3:
		t->def = META_ARRAY;
		if (scale_read_u32(&p->r, &t->len) == -1)
			return -1;
		return p_compact32(p, &t->elem);
	case 4:
		t->def = META_TUPLE;
		if (p_len(p, 1, &n) == -1)
			return -1;
		if ((t->tuple = arena_calloc(p->m->arena, n ? n : 1,
		    sizeof(*t->tuple))) == NULL)
			return scale_fail(&p->r, "out of memory");
		for (i = 0; i < n; i++)
			if (p_compact32(p, &t->tuple[i]) == -1)
				return -1;
		t->ntuple = (uint32_t)n;
		return 0;
	case 5:
		t->def = META_PRIMITIVE;
		if (scale_read_u8(&p->r, &prim) == -1)
			return -1;
		if (prim > META_I256) {
			p->r.off--;
			return scale_fail(&p->r, "unknown primitive %u", prim);
		}
		t->prim = (enum meta_prim)prim;
		return 0;
	case 6:
		t->def = META_COMPACT;
		return p_compact32(p, &t->elem);
	case 7:
		t->def = META_BITSEQ;
		if (p_compact32(p, &t->bit_store) == -1)
			return -1;
		return p_compact32(p, &t->bit_order);
	default:
		p->r.off--;
		return scale_fail(&p->r, "unknown type definition %u", tag);
	}
}

/* A variant type's variants: name, fields, index, docs each. */
static int
p_variants(struct parser *p, struct meta_type *t)
{
	struct meta_arena	*a = p->m->arena;
	struct meta_variant	*v;
	size_t			 n, i;

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
	return 0;
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
	struct meta_type	*t;
	uint32_t		 i;
	int			 sign;

	for (i = 0; i < m->ntypes; i++) {
		t = &m->types[i];
		t->shape = META_SH_DEF;
		switch (t->def) {
		case META_COMPOSITE:
			derive_composite(t);
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
			if (derive_variant(m, i, err, errlen) == -1)
				return -1;
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
			derive_bitseq(m, t);
			break;
		}
	}
	min_sizes(m);
	return 0;
}

/* A composite: a Weight or an opaque wrapper, else by its fields. */
static void
derive_composite(struct meta_type *t)
{
	if ((path_is(t, "sp_weights::weight_v2::Weight") ||
	    path_is(t, "frame_support::weights::weight_v2::Weight")) &&
	    t->nfields == 1) {
		t->shape = META_SH_INNER;
		t->inner = t->fields[0].type;
	} else if ((strcmp(path_last(t), "WrapperOpaque") == 0 ||
	    strcmp(path_last(t), "WrapperKeepOpaque") == 0) &&
	    t->nparams == 1 && t->params[0].has_type && t->nfields == 2) {
		t->shape = META_SH_OPAQUE;
		t->inner = t->params[0].type;
	} else {
		t->shape = fields_shape(t->fields, t->nfields);
		if (t->shape == META_SH_INNER)
			t->inner = t->fields[0].type;
	}
}

/*
 * A variant type: an Option, or an enum with its variants indexed (basic
 * when none carries anything).
 */
static int
derive_variant(struct meta *m, uint32_t i, char *err, size_t errlen)
{
	struct meta_type	*t = &m->types[i];
	struct meta_variant	*v;
	uint32_t		 k;
	int			 basic;

	if (t->npath > 0 && strcmp(t->path[0], "Option") == 0 &&
	    t->nparams == 1 && t->params[0].has_type) {
		t->shape = META_SH_OPTION;
		t->inner = t->params[0].type;
		return 0;
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
			snprintf(err, errlen, "metadata: type %u: two variants "
			    "with index %u", i, v->index);
			return -1;
		}
		t->by_index[v->index] = v;
		v->shape = fields_shape(v->fields, v->nfields);
		if (v->shape == META_SH_NULL || (v->shape == META_SH_INNER &&
		    is_null(m, v->fields[0].type, 0)))
			continue;
		basic = 0;
	}
	if (t->nvariants == 0)
		t->shape = META_SH_NULL;
	else
		t->shape = basic ? META_SH_ENUM_BASIC : META_SH_ENUM;
	return 0;
}

/* A bit sequence: its store's width and its order (0: unsupported). */
static void
derive_bitseq(struct meta *m, struct meta_type *t)
{
	struct meta_type	*st, *ot, *x;
	const char		*o;

	st = &m->types[t->bit_store];
	ot = &m->types[t->bit_order];
	/* polkadot-js swaps them if they come reversed */
	if (st->def != META_PRIMITIVE) {
		x = st;
		st = ot;
		ot = x;
	}
	if (st->def == META_PRIMITIVE && st->prim >= META_U8 &&
	    st->prim <= META_U64)
		t->store_bits = 8u << (st->prim - META_U8);
	o = path_last(ot);
	t->msb0 = strcmp(o, "Msb0") == 0 || strcmp(o, "BitOrderMsb0") == 0;
	if (!t->msb0 && strcmp(o, "Lsb0") != 0 &&
	    strcmp(o, "BitOrderLsb0") != 0)
		t->store_bits = 0;	/* fails if decoded */
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

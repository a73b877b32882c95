/*
 * serai: typed Serai events and the events-of-interest filter (serai.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "serai.h"

struct ctx {
	const struct meta_event	*e;
	char			*err;
	size_t			 errlen;
};

static int	 fail(struct ctx *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static const cJSON *field(struct ctx *, const cJSON *, const char *);
static int	 get_u32(struct ctx *, const cJSON *, const char *,
		    uint32_t *);
static int	 get_u64(struct ctx *, const cJSON *, const char *,
		    uint64_t *);
static int	 get_enum(struct ctx *, const cJSON *, const char *,
		    const char *const *, size_t, int, uint8_t *);
static int	 get_hex(struct ctx *, const cJSON *, const char *, uint8_t *,
		    size_t);
static int	 get_bytes(struct ctx *, const cJSON *, const char *, size_t,
		    uint8_t **, size_t *);
static int	 get_set(struct ctx *, const cJSON *, int, struct serai_set *);

static const char *const networks[] = { "Serai", "Bitcoin", "Ethereum",
    "Monero" };
static const char *const coins[] = { "Serai", "Bitcoin", "Ether", "Dai",
    "Monero" };

static int
fail(struct ctx *c, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	n = snprintf(c->err, c->errlen, "%s.%s (event %u): ", c->e->pallet,
	    c->e->name, c->e->index);
	if (n < 0 || (size_t)n >= c->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

static const cJSON *
field(struct ctx *c, const cJSON *obj, const char *name)
{
	const cJSON *j;

	if (!cJSON_IsObject(obj) ||
	    (j = cJSON_GetObjectItemCaseSensitive(obj, name)) == NULL) {
		fail(c, "no field \"%s\"", name);
		return NULL;
	}
	return j;
}

static int
get_u64(struct ctx *c, const cJSON *obj, const char *name, uint64_t *v)
{
	const cJSON	*j;
	char		*end;
	unsigned long long x;

	if ((j = field(c, obj, name)) == NULL)
		return -1;
	if (cJSON_IsNumber(j)) {
		if (j->valuedouble < 0 || j->valuedouble > 9007199254740991.0 ||
		    (double)(uint64_t)j->valuedouble != j->valuedouble)
			return fail(c, "\"%s\" is not an unsigned integer",
			    name);
		*v = (uint64_t)j->valuedouble;
		return 0;
	}
	if (cJSON_IsString(j) && j->valuestring[0] >= '0' &&
	    j->valuestring[0] <= '9') {
		errno = 0;
		x = strtoull(j->valuestring, &end, 10);
		if (errno == 0 && *end == '\0') {
			*v = x;
			return 0;
		}
	}
	return fail(c, "\"%s\" is not a 64-bit unsigned integer", name);
}

static int
get_u32(struct ctx *c, const cJSON *obj, const char *name, uint32_t *v)
{
	uint64_t x;

	if (get_u64(c, obj, name, &x) == -1)
		return -1;
	if (x > UINT32_MAX)
		return fail(c, "\"%s\" exceeds 32 bits", name);
	*v = (uint32_t)x;
	return 0;
}

/* A unit enum by variant name; values below min are refused. */
static int
get_enum(struct ctx *c, const cJSON *obj, const char *name,
    const char *const *names, size_t n, int min, uint8_t *v)
{
	const cJSON	*j;
	size_t		 i;

	const char	*v_name = NULL;
	char		 camel[32];

	if ((j = field(c, obj, name)) == NULL)
		return -1;
	/* A flat enum gives "Bitcoin"; a nested one (Serai | External(...))
	 * gives {"external": "Bitcoin"} or {"serai": null}. */
	if (cJSON_IsString(j))
		v_name = j->valuestring;
	else if (cJSON_IsObject(j) && cJSON_GetArraySize(j) == 1) {
		if (strcmp(j->child->string, "external") == 0 &&
		    cJSON_IsString(j->child))
			v_name = j->child->valuestring;
		else if (cJSON_IsNull(j->child))
			v_name = j->child->string;
	}
	if (v_name == NULL)
		return fail(c, "\"%s\" is not a variant name", name);
	for (i = (size_t)min; i < n; i++)
		if (strcmp(v_name, names[i]) == 0 || (!cJSON_IsString(j) &&
		    strcmp(v_name, meta_camel(names[i], camel,
		    sizeof(camel))) == 0)) {
			*v = (uint8_t)i;
			return 0;
		}
	return fail(c, "\"%s\": unknown %s \"%.40s\"", name,
	    names == networks ? "network" : "coin", v_name);
}

static int
get_hex(struct ctx *c, const cJSON *obj, const char *name, uint8_t *out,
    size_t n)
{
	const cJSON *j;

	if ((j = field(c, obj, name)) == NULL)
		return -1;
	if (!cJSON_IsString(j) || hex_decode(j->valuestring, out, n) ==
	    -1)
		return fail(c, "\"%s\" is not %zu bytes of hex", name, n);
	return 0;
}

static int
get_bytes(struct ctx *c, const cJSON *obj, const char *name, size_t max,
    uint8_t **out, size_t *n)
{
	const cJSON *j;

	if ((j = field(c, obj, name)) == NULL)
		return -1;
	if (!cJSON_IsString(j) || hex_decode_alloc(j->valuestring, out, n) == -1)
		return fail(c, "\"%s\" is not hex bytes", name);
	if (*n > max) {
		free(*out);
		*out = NULL;
		return fail(c, "\"%s\" is %zu bytes, more than %zu", name, *n,
		    max);
	}
	return 0;
}

static int
get_set(struct ctx *c, const cJSON *fields, int external, struct serai_set *s)
{
	const cJSON *set;

	if ((set = field(c, fields, "set")) == NULL ||
	    get_u32(c, set, "session", &s->session) == -1 ||
	    get_enum(c, set, "network", networks, 4, external ? 1 : 0,
	    &s->network) == -1)
		return -1;
	return 0;
}

int
serai_event_parse(const struct meta_event *e, struct serai_event *ev,
    char *err, size_t errlen)
{
	struct ctx	 c = { e, err, errlen };
	const cJSON	*f = e->fields, *kp, *k0, *k1, *ins, *in, *bal, *data;
	uint8_t		*p;
	size_t		 n;

	memset(ev, 0, sizeof(*ev));
	if (strcmp(e->pallet, "ValidatorSets") == 0) {
		if (strcmp(e->name, "NewSet") == 0)
			ev->kind = SERAI_NEW_SET;
		else if (strcmp(e->name, "KeyGen") == 0)
			ev->kind = SERAI_KEY_GEN;
		else if (strcmp(e->name, "AcceptedHandover") == 0)
			ev->kind = SERAI_ACCEPTED_HANDOVER;
		else if (strcmp(e->name, "SetRetired") == 0)
			ev->kind = SERAI_SET_RETIRED;
	} else if (strcmp(e->pallet, "InInstructions") == 0 &&
	    strcmp(e->name, "Batch") == 0)
		ev->kind = SERAI_BATCH;
	else if (strcmp(e->pallet, "Coins") == 0 &&
	    strcmp(e->name, "BurnWithInstruction") == 0)
		ev->kind = SERAI_BURN_WITH_INSTRUCTION;
	if (ev->kind == SERAI_NONE)
		return 0;
	if (f == NULL)
		return fail(&c, "fields were not decoded");

	switch (ev->kind) {
	case SERAI_NEW_SET:
	case SERAI_ACCEPTED_HANDOVER:
	case SERAI_SET_RETIRED:
		if (get_set(&c, f, 0, &ev->set) == -1)
			goto bad;
		break;
	case SERAI_KEY_GEN:
		if (get_set(&c, f, 1, &ev->set) == -1 ||
		    (kp = field(&c, f, "keyPair")) == NULL)
			goto bad;
		if (!cJSON_IsArray(kp) || cJSON_GetArraySize(kp) != 2 ||
		    !cJSON_IsString(k0 = cJSON_GetArrayItem(kp, 0)) ||
		    !cJSON_IsString(k1 = cJSON_GetArrayItem(kp, 1))) {
			fail(&c, "\"keyPair\" is not [key, external key]");
			goto bad;
		}
		if (hex_decode(k0->valuestring, ev->key, 32) == -1) {
			fail(&c, "\"keyPair\"[0] is not 32 bytes of hex");
			goto bad;
		}
		if (hex_decode_alloc(k1->valuestring, &p, &n) == -1) {
			fail(&c, "\"keyPair\"[1] is not hex");
			goto bad;
		}
		if (n > SERAI_MAX_EXTERNAL_KEY) {
			free(p);
			fail(&c, "\"keyPair\"[1] is %zu bytes, more than %d",
			    n, SERAI_MAX_EXTERNAL_KEY);
			goto bad;
		}
		memcpy(ev->external_key, p, n);
		ev->external_key_len = n;
		free(p);
		break;
	case SERAI_BATCH:
		if (get_enum(&c, f, "network", networks, 4, 1,
		    &ev->network) == -1 ||
		    get_u32(&c, f, "id", &ev->batch_id) == -1 ||
		    get_hex(&c, f, "block", ev->block, 32) == -1 ||
		    get_hex(&c, f, "instructionsHash", ev->instructions_hash,
		    32) == -1)
			goto bad;
		break;
	case SERAI_BURN_WITH_INSTRUCTION:
		if (get_hex(&c, f, "from", ev->from, 32) == -1 ||
		    (ins = field(&c, f, "instruction")) == NULL ||
		    (in = field(&c, ins, "instruction")) == NULL ||
		    (bal = field(&c, ins, "balance")) == NULL ||
		    get_bytes(&c, in, "address", SERAI_MAX_ADDRESS,
		    &ev->address, &ev->address_len) == -1 ||
		    (data = field(&c, in, "data")) == NULL)
			goto bad;
		if (!cJSON_IsNull(data)) {
			if (get_bytes(&c, in, "data", SERAI_MAX_DATA,
			    &ev->data, &ev->data_len) == -1)
				goto bad;
			ev->has_data = 1;
		}
		if (get_enum(&c, bal, "coin", coins, 5, 1, &ev->coin) == -1 ||
		    get_u64(&c, bal, "amount", &ev->amount) == -1)
			goto bad;
		break;
	case SERAI_NONE:
		break;
	}
	return 1;
bad:
	serai_event_free(ev);
	return -1;
}

void
serai_event_free(struct serai_event *ev)
{
	free(ev->address);
	free(ev->data);
	memset(ev, 0, sizeof(*ev));
}

const char *
serai_kind_name(enum serai_kind k)
{
	static const char *const names[] = { "none", "NewSet", "KeyGen",
	    "AcceptedHandover", "SetRetired", "Batch",
	    "BurnWithInstruction" };

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

const char *
serai_network_name(int n)
{
	return n >= 0 && n < 4 ? networks[n] : "?";
}

const char *
serai_coin_name(int n)
{
	return n >= 0 && n < 5 ? coins[n] : "?";
}

/* ------------------------------------------------------------ filter */

int
serai_filter_parse(struct serai_filter *f, const char *list, char *err,
    size_t errlen)
{
	const char	*p = list, *end;
	char		*name, **v;
	size_t		 len;

	f->names = NULL;
	f->n = 0;
	for (;;) {
		while (*p == ',' || *p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (*p == '\0')
			break;
		for (end = p; *end != '\0' && *end != ',' && *end != ' ' &&
		    *end != '\t' && *end != '\n'; end++)
			;
		len = (size_t)(end - p);
		if ((name = strndup(p, len)) == NULL)
			goto oom;
		if (strcmp(name, "*") != 0 && (strchr(name, '.') == NULL ||
		    name[0] == '.' || name[len - 1] == '.' ||
		    strchr(strchr(name, '.') + 1, '.') != NULL)) {
			snprintf(err, errlen, "event \"%s\": want Pallet.Event, "
			    "Pallet.* or *", name);
			free(name);
			serai_filter_free(f);
			return -1;
		}
		if ((v = reallocarray(f->names, f->n + 1, sizeof(*v))) ==
		    NULL) {
			free(name);
			goto oom;
		}
		f->names = v;
		f->names[f->n++] = name;
		p = end;
	}
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	serai_filter_free(f);
	return -1;
}

int
serai_filter_match(const char *pallet, const char *event, void *arg)
{
	const struct serai_filter	*f = arg;
	size_t				 i, pl = strlen(pallet);
	const char			*n;

	for (i = 0; i < f->n; i++) {
		n = f->names[i];
		if (strcmp(n, "*") == 0)
			return 1;
		if (strncmp(n, pallet, pl) != 0 || n[pl] != '.')
			continue;
		if (strcmp(n + pl + 1, "*") == 0 ||
		    strcmp(n + pl + 1, event) == 0)
			return 1;
	}
	return 0;
}

void
serai_filter_free(struct serai_filter *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->names[i]);
	free(f->names);
	f->names = NULL;
	f->n = 0;
}

/*
 * query: records in and out as JSON Lines, for operators and tests.
 *
 *   {"topic":"signing","partition":0,"offset":42,"type":7,
 *    "intent":"<64 hex>","sender":"alice.signer","time":1700000000000,
 *    "key_id":"<16 hex>","body":"<base64>"}
 *   {"kv":"name","time":1700000000000,"key_id":"<16 hex>",
 *    "value":"<base64>"}
 *
 * export prints records (in store order) then kv entries; import reads the
 * same lines (key_id is ignored: bodies are sealed under the current key).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "hex.h"
#include "clock.h"
#include "archiver.h"
#include "cfg.h"
#include "log.h"
#include "sig.h"

int query_epipe;

struct out {
	struct archiver	*ar;
	FILE		*fp;
	uint8_t		*body;
	size_t		 bcap;
	char		*b64;
	size_t		 b64cap;
	/* list filter */
	const char	*topic;
	int		 haspart;
	long long	 part;
	long long	 from;
	long long	 to;
	char		 err[512];
};

static int	out_grow(struct out *, size_t);
static int	print_rec(void *, const struct rec *);
static int	print_kv(void *, const struct kv *);
static int	json_int(const cJSON *, const char *, long long, long long,
		    long long *);
static int	json_b64(const cJSON *, const char *, uint8_t **, size_t *);


static int
out_grow(struct out *o, size_t ctlen)
{
	size_t b64 = sodium_base64_encoded_len(ctlen,
	    sodium_base64_VARIANT_ORIGINAL);
	void *p;

	if (ctlen > o->bcap) {
		if ((p = realloc(o->body, ctlen)) == NULL)
			return -1;
		o->body = p;
		o->bcap = ctlen;
	}
	if (b64 > o->b64cap) {
		if ((p = realloc(o->b64, b64)) == NULL)
			return -1;
		o->b64 = p;
		o->b64cap = b64;
	}
	return 0;
}

static void
out_free(struct out *o)
{
	if (o->body != NULL)
		sodium_memzero(o->body, o->bcap);
	free(o->body);
	if (o->b64 != NULL)
		sodium_memzero(o->b64, o->b64cap);
	free(o->b64);
}

/* Open, then print one JSON line; names are printable ASCII. */
static int
print_rec(void *arg, const struct rec *r)
{
	struct out *o = arg;
	char intent[2 * REC_INTENT_LEN + 1], kid[2 * REC_KEYID_LEN + 1];
	cJSON *j;
	char *s;
	int rc = -1;

	if (o->topic != NULL && (strcmp(o->topic, r->topic) != 0 ||
	    (o->haspart && r->partition != o->part) || r->offset < o->from ||
	    r->offset > o->to))
		return 0;
	if (out_grow(o, r->ctlen) == -1) {
		snprintf(o->err, sizeof(o->err), "out of memory");
		return -1;
	}
	if (rec_open(r, o->ar->kr, o->body, o->err, sizeof(o->err)) == -1)
		return -1;
	sodium_bin2base64(o->b64, o->b64cap, o->body, r->ctlen - REC_TAG_LEN,
	    sodium_base64_VARIANT_ORIGINAL);
	hex_encode(r->intent, REC_INTENT_LEN, intent);
	key_id_hex(r->keyid, kid);
	if ((j = cJSON_CreateObject()) == NULL)
		goto nomem;
	if (cJSON_AddStringToObject(j, "topic", r->topic) == NULL ||
	    cJSON_AddNumberToObject(j, "partition", r->partition) == NULL ||
	    cJSON_AddNumberToObject(j, "offset", (double)r->offset) == NULL ||
	    cJSON_AddNumberToObject(j, "type", r->type) == NULL ||
	    cJSON_AddStringToObject(j, "intent", intent) == NULL ||
	    cJSON_AddStringToObject(j, "sender", r->sender) == NULL ||
	    cJSON_AddNumberToObject(j, "time", (double)r->time) == NULL ||
	    cJSON_AddStringToObject(j, "key_id", kid) == NULL ||
	    cJSON_AddStringToObject(j, "body", o->b64) == NULL ||
	    (s = cJSON_PrintUnformatted(j)) == NULL) {
		cJSON_Delete(j);
		goto nomem;
	}
	cJSON_Delete(j);
	if (fprintf(o->fp, "%s\n", s) < 0) {
		query_epipe = errno == EPIPE;
		snprintf(o->err, sizeof(o->err), "write: %s", strerror(errno));
	} else
		rc = 0;
	sodium_memzero(s, strlen(s));
	cJSON_free(s);
	return rc;
 nomem:
	snprintf(o->err, sizeof(o->err), "out of memory");
	return -1;
}

static int
print_kv(void *arg, const struct kv *k)
{
	struct out *o = arg;
	char kid[2 * REC_KEYID_LEN + 1];
	cJSON *j;
	char *s;
	int rc = -1;

	if (out_grow(o, k->ctlen) == -1) {
		snprintf(o->err, sizeof(o->err), "out of memory");
		return -1;
	}
	if (kv_open(k, o->ar->kr, o->body, o->err, sizeof(o->err)) == -1)
		return -1;
	sodium_bin2base64(o->b64, o->b64cap, o->body, k->ctlen - REC_TAG_LEN,
	    sodium_base64_VARIANT_ORIGINAL);
	key_id_hex(k->keyid, kid);
	if ((j = cJSON_CreateObject()) == NULL)
		goto nomem;
	if (cJSON_AddStringToObject(j, "kv", k->name) == NULL ||
	    cJSON_AddNumberToObject(j, "time", (double)k->time) == NULL ||
	    cJSON_AddStringToObject(j, "key_id", kid) == NULL ||
	    cJSON_AddStringToObject(j, "value", o->b64) == NULL ||
	    (s = cJSON_PrintUnformatted(j)) == NULL) {
		cJSON_Delete(j);
		goto nomem;
	}
	cJSON_Delete(j);
	if (fprintf(o->fp, "%s\n", s) < 0) {
		query_epipe = errno == EPIPE;
		snprintf(o->err, sizeof(o->err), "write: %s", strerror(errno));
	} else
		rc = 0;
	sodium_memzero(s, strlen(s));
	cJSON_free(s);
	return rc;
 nomem:
	snprintf(o->err, sizeof(o->err), "out of memory");
	return -1;
}

static int
out_finish(struct out *o, int rc, char *e, char *err, size_t errlen)
{
	if (rc == -1)
		snprintf(err, errlen, "%s", o->err[0] != '\0' ? o->err : e);
	else if (fflush(o->fp) == EOF) {
		query_epipe = errno == EPIPE;
		snprintf(err, errlen, "write: %s", strerror(errno));
		rc = -1;
	}
	out_free(o);
	return rc;
}

int
query_export(struct archiver *ar, FILE *fp, char *err, size_t errlen)
{
	struct out o;
	char e[512];
	int rc;

	memset(&o, 0, sizeof(o));
	o.ar = ar;
	o.fp = fp;
	rc = store_iterate(ar->st, print_rec, &o, e, sizeof(e));
	if (rc == 0)
		rc = store_kv_iterate(ar->st, print_kv, &o, e, sizeof(e));
	return out_finish(&o, rc, e, err, errlen);
}

int
query_list(struct archiver *ar, FILE *fp, int argc, char **argv, char *err,
    size_t errlen)
{
	struct out o;
	char e[512];
	int rc;

	memset(&o, 0, sizeof(o));
	o.ar = ar;
	o.fp = fp;
	o.from = 0;
	o.to = INT64_MAX;
	if (argc < 1 || argc > 4) {
		snprintf(err, errlen, "list: expected TOPIC [PARTITION [FROM "
		    "[TO]]]");
		return -1;
	}
	o.topic = argv[0];
	if ((argc > 1 && (cfg_parse_int(argv[1], &o.part) == -1 ||
	    o.part < 0 || o.part > INT32_MAX)) ||
	    (argc > 2 && (cfg_parse_int(argv[2], &o.from) == -1 ||
	    o.from < 0)) ||
	    (argc > 3 && (cfg_parse_int(argv[3], &o.to) == -1 || o.to < 0))) {
		snprintf(err, errlen, "list: PARTITION, FROM and TO are "
		    "non-negative numbers");
		return -1;
	}
	o.haspart = argc > 1;
	rc = store_iterate(ar->st, print_rec, &o, e, sizeof(e));
	return out_finish(&o, rc, e, err, errlen);
}

int
query_get(struct archiver *ar, FILE *fp, const char *topic, const char *ps,
    const char *os, char *err, size_t errlen)
{
	struct out o;
	struct rec r;
	long long part, off;
	char e[512];
	int found, rc;

	if (cfg_parse_int(ps, &part) == -1 || part < 0 || part > INT32_MAX ||
	    cfg_parse_int(os, &off) == -1 || off < 0) {
		snprintf(err, errlen, "get: expected TOPIC PARTITION OFFSET");
		return -1;
	}
	if (store_get(ar->st, topic, (int32_t)part, off, &r, &found, err,
	    errlen) == -1)
		return -1;
	if (!found) {
		snprintf(err, errlen, "%s/%lld/%lld: no such record", topic,
		    part, off);
		return -1;
	}
	memset(&o, 0, sizeof(o));
	o.ar = ar;
	o.fp = fp;
	rc = print_rec(&o, &r);
	rec_clear(&r);
	e[0] = '\0';
	return out_finish(&o, rc, e, err, errlen);
}

/* ------------------------------------------------------------ import */

static int
json_int(const cJSON *j, const char *name, long long min, long long max,
    long long *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
	double d;

	if (cJSON_IsString(v))
		return cfg_parse_int(v->valuestring, out) == -1 ||
		    *out < min || *out > max ? -1 : 0;
	if (!cJSON_IsNumber(v))
		return -1;
	d = v->valuedouble;
	if (!(d >= (double)min && d <= (double)max) || d != floor(d) ||
	    fabs(d) > 9007199254740992.0)
		return -1;
	*out = (long long)d;
	return 0;
}

static int
json_b64(const cJSON *j, const char *name, uint8_t **out, size_t *len)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
	size_t n, max;

	if (!cJSON_IsString(v))
		return -1;
	n = strlen(v->valuestring);
	max = n / 4 * 3 + 3;
	if ((*out = malloc(max + 1)) == NULL)
		return -1;
	if (sodium_base642bin(*out, max, v->valuestring, n, NULL, len, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || *len > REC_BODY_MAX) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

static const char *
json_str(const cJSON *j, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);

	return cJSON_IsString(v) && rec_name_ok(v->valuestring) ?
	    v->valuestring : NULL;
}

/* One import line into a sealed record (owned) or a kv put. */
static int
import_line(struct archiver *ar, const char *line, struct rec *r, int *isrec,
    char *err, size_t errlen)
{
	cJSON *j;
	const cJSON *iv;
	const char *s;
	uint8_t *body = NULL, *ct;
	size_t blen;
	long long v;
	struct kv k;
	int rc = -1;

	*isrec = 0;
	if ((j = cJSON_Parse(line)) == NULL || !cJSON_IsObject(j)) {
		snprintf(err, errlen, "not a JSON object");
		goto out;
	}
	if ((s = json_str(j, "kv")) != NULL) {
		memset(&k, 0, sizeof(k));
		snprintf(k.name, sizeof(k.name), "%s", s);
		k.time = json_int(j, "time", 0, INT64_MAX, &v) == 0 ? v :
		    (long long)clock_wall_ms();
		if (json_b64(j, "value", &body, &blen) == -1) {
			snprintf(err, errlen, "kv: value: expected base64");
			goto out;
		}
		if ((ct = malloc(blen + REC_TAG_LEN)) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		kv_seal(&k, ar->kr, body, blen, ct);
		k.buf = ct;
		rc = store_kv_put(ar->st, &k, err, errlen);
		kv_clear(&k);
		goto out;
	}
	memset(r, 0, sizeof(*r));
	if ((s = json_str(j, "topic")) == NULL) {
		snprintf(err, errlen, "topic: expected 1 to 255 printable "
		    "ASCII characters");
		goto out;
	}
	snprintf(r->topic, sizeof(r->topic), "%s", s);
	if ((s = json_str(j, "sender")) == NULL) {
		snprintf(err, errlen, "sender: expected 1 to 255 printable "
		    "ASCII characters");
		goto out;
	}
	snprintf(r->sender, sizeof(r->sender), "%s", s);
	if (json_int(j, "partition", 0, INT32_MAX, &v) == -1) {
		snprintf(err, errlen, "partition: expected 0..2^31-1");
		goto out;
	}
	r->partition = (int32_t)v;
	if (json_int(j, "offset", 0, INT64_MAX, &v) == -1) {
		snprintf(err, errlen, "offset: expected a non-negative "
		    "integer");
		goto out;
	}
	r->offset = v;
	if (json_int(j, "type", 0, UINT32_MAX, &v) == -1) {
		snprintf(err, errlen, "type: expected 0..2^32-1");
		goto out;
	}
	r->type = (uint32_t)v;
	if (json_int(j, "time", INT64_MIN, INT64_MAX, &v) == -1) {
		snprintf(err, errlen, "time: expected milliseconds");
		goto out;
	}
	r->time = v;
	iv = cJSON_GetObjectItemCaseSensitive(j, "intent");
	if (!cJSON_IsString(iv) || strlen(iv->valuestring) !=
	    2 * REC_INTENT_LEN || hex_decode(iv->valuestring, r->intent,
	    REC_INTENT_LEN) == -1) {
		snprintf(err, errlen, "intent: expected 64 hex digits");
		goto out;
	}
	if (json_b64(j, "body", &body, &blen) == -1) {
		snprintf(err, errlen, "body: expected base64 (at most 16 "
		    "MiB)");
		goto out;
	}
	if ((ct = malloc(blen + REC_TAG_LEN)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rec_seal(r, ar->kr, body, blen, ct);
	r->buf = ct;
	*isrec = 1;
	rc = 0;
 out:
	if (body != NULL) {
		sodium_memzero(body, blen);
		free(body);
	}
	cJSON_Delete(j);
	return rc;
}

int
query_import(struct archiver *ar, FILE *fp, const char *name, char *err,
    size_t errlen)
{
	struct rec *batch;
	char *line = NULL, e[512];
	size_t cap = 0, n = 0, added, total = 0, stored = 0;
	unsigned long long lineno = 0;
	ssize_t len;
	int isrec, rc = -1;

	if ((batch = calloc(ar->batch, sizeof(*batch))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (;;) {
		errno = 0;
		len = getline(&line, &cap, fp);
		if (len == -1 && errno != 0 && errno != EINTR) {
			snprintf(err, errlen, "%s: %s", name, strerror(errno));
			goto out;
		}
		if (len == -1 || sig_term) {
			if (n > 0 && store_put_retry(ar->st, batch, n, &added,
			    err, errlen) == -1)
				goto out;
			if (n > 0)
				stored += added;
			while (n > 0)
				rec_clear(&batch[--n]);
		}
		if (len == -1 || sig_term)
			break;
		lineno++;
		if (strspn(line, " \t\r\n") == (size_t)len)
			continue;
		if (import_line(ar, line, &batch[n], &isrec, e, sizeof(e)) ==
		    -1) {
			snprintf(err, errlen, "%s:%llu: %s", name, lineno, e);
			goto out;
		}
		if (isrec) {
			n++;
			total++;
		}
		if (n == ar->batch) {
			if (store_put_retry(ar->st, batch, n, &added, err,
			    errlen) == -1)
				goto out;
			stored += added;
			while (n > 0)
				rec_clear(&batch[--n]);
		}
	}
	log_info("%s: %zu records read, %zu new", name, total, stored);
	rc = 0;
 out:
	while (n > 0)
		rec_clear(&batch[--n]);
	free(batch);
	if (line != NULL)
		sodium_memzero(line, cap);
	free(line);
	return rc;
}

/* ------------------------------------------------------------ kv */

int
query_kv_put(struct archiver *ar, const char *name, FILE *in, char *err,
    size_t errlen)
{
	uint8_t *val = NULL, *p, *ct;
	size_t len = 0, cap = 0, n;
	struct kv k;
	int rc = -1;

	if (!rec_name_ok(name)) {
		snprintf(err, errlen, "kv-put: NAME is 1 to 255 printable "
		    "ASCII characters");
		return -1;
	}
	for (;;) {
		if (len == cap) {
			cap = cap == 0 ? 4096 : cap * 2;
			if (cap > REC_BODY_MAX + 1 ||
			    (p = realloc(val, cap)) == NULL) {
				snprintf(err, errlen, "value too large (at "
				    "most 16 MiB)");
				goto out;
			}
			val = p;
		}
		if ((n = fread(val + len, 1, cap - len, in)) == 0)
			break;
		len += n;
	}
	if (ferror(in)) {
		snprintf(err, errlen, "read: %s", strerror(errno));
		goto out;
	}
	if (len > REC_BODY_MAX) {
		snprintf(err, errlen, "value too large (at most 16 MiB)");
		goto out;
	}
	memset(&k, 0, sizeof(k));
	snprintf(k.name, sizeof(k.name), "%s", name);
	k.time = (long long)clock_wall_ms();
	if ((ct = malloc(len + REC_TAG_LEN)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	kv_seal(&k, ar->kr, val != NULL ? val : (const uint8_t *)"", len, ct);
	k.buf = ct;
	rc = store_kv_put(ar->st, &k, err, errlen);
	kv_clear(&k);
 out:
	if (val != NULL)
		sodium_memzero(val, cap);
	free(val);
	return rc;
}

int
query_kv_get(struct archiver *ar, const char *name, FILE *out, char *err,
    size_t errlen)
{
	struct kv k;
	uint8_t *val;
	int found, rc = -1;

	if (store_kv_get(ar->st, name, &k, &found, err, errlen) == -1)
		return -1;
	if (!found) {
		snprintf(err, errlen, "kv %s: not found", name);
		return -1;
	}
	if ((val = malloc(k.ctlen)) == NULL) {
		snprintf(err, errlen, "out of memory");
		kv_clear(&k);
		return -1;
	}
	if (kv_open(&k, ar->kr, val, err, errlen) == 0) {
		if (fwrite(val, 1, k.ctlen - REC_TAG_LEN, out) !=
		    k.ctlen - REC_TAG_LEN || fflush(out) == EOF)
			snprintf(err, errlen, "write: %s", strerror(errno));
		else
			rc = 0;
	}
	sodium_memzero(val, k.ctlen);
	free(val);
	kv_clear(&k);
	return rc;
}

/*
 * envjson: envelopes as JSON Lines (-J).  The envelope goes through the
 * generic converter (pbjson) with every field written, zero values
 * included (a jq filter never meets null for a field that is 0); its body
 * is expanded into the typed message when the type is known and the
 * expansion re-encodes to the very same bytes (so the signature still
 * verifies after a round trip), else it stays 0x-hex like any bytes field.
 * The mapping is README's "JSON Lines (-J)".
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "envelope.h"
#include "pbjson.h"

static int	body_roundtrips(const ProtobufCMessageDescriptor *,
		    const cJSON *, const uint8_t *, size_t);

/* bj, read back as a bd, packs to exactly the n bytes at b. */
static int
body_roundtrips(const ProtobufCMessageDescriptor *bd, const cJSON *bj,
    const uint8_t *b, size_t n)
{
	ProtobufCMessage *m;
	uint8_t	*p;
	char	 err[128];
	int	 ok = 0;

	if ((m = pbjson_to_pb(bd, bj, err, sizeof(err))) == NULL)
		return 0;
	if (protobuf_c_message_get_packed_size(m) == n &&
	    (p = malloc(n + 1)) != NULL) {
		ok = protobuf_c_message_pack(m, p) == n &&
		    (n == 0 || memcmp(p, b, n) == 0);
		free(p);
	}
	protobuf_c_message_free_unpacked(m, NULL);
	return ok;
}

char *
env_json_line(const uint8_t *val, size_t len, const char *topic, char *err,
    size_t errlen)
{
	const ProtobufCMessageDescriptor *bd;
	ProtobufCMessage *body = NULL;
	Coord__Envelope *e;
	cJSON *j, *bj = NULL;
	char *s, *line;
	size_t n;

	if ((e = coord__envelope__unpack(NULL, len, val)) == NULL) {
		snprintf(err, errlen, "not an Envelope");
		return NULL;
	}
	if ((j = pbjson_from_pb(&e->base, PBJSON_EMIT_DEFAULTS, err,
	    errlen)) == NULL) {
		env_free(e);
		return NULL;
	}
	/* The body expanded only if the JSON gives back the very bytes
	 * (unknown fields, non-canonical encodings: left as hex). */
	bd = env_type_body(e->type);
	if (bd != NULL &&
	    (body = protobuf_c_message_unpack(bd, NULL, e->body.len,
	    e->body.data)) != NULL &&
	    (bj = pbjson_from_pb(body, PBJSON_EMIT_DEFAULTS, err,
	    errlen)) != NULL) {
		if (body_roundtrips(bd, bj, e->body.data, e->body.len)) {
			if (cJSON_GetObjectItemCaseSensitive(j, "body") != NULL)
				cJSON_ReplaceItemInObjectCaseSensitive(j,
				    "body", bj);
			else
				cJSON_AddItemToObject(j, "body", bj);
		} else
			cJSON_Delete(bj);
	}
	if (body != NULL)
		protobuf_c_message_free_unpacked(body, NULL);
	if (topic != NULL && strcmp(topic, "-") != 0) {
		/* First, for the eye: {"topic":..., ...}. */
		cJSON *t = cJSON_CreateString(topic);

		if (t != NULL && (t->string = strdup("topic")) != NULL)
			cJSON_InsertItemInArray(j, 0, t);
		else
			cJSON_Delete(t);
	}
	env_free(e);
	s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	n = strlen(s);
	if ((line = realloc(s, n + 2)) == NULL) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	return line;
}

uint8_t *
env_json_parse(const char *text, size_t len, size_t *outlen, char **topic,
    char *err, size_t errlen)
{
	const ProtobufCMessageDescriptor *bd;
	ProtobufCMessage *body = NULL, *em = NULL;
	Coord__Envelope *e;
	cJSON *j, *t, *b, *ty;
	uint8_t *bb = NULL, *out = NULL;
	size_t bn = 0;
	char *type_err = NULL, jerr[128];

	*topic = NULL;
	if ((j = pbjson_json_parse(text, len, jerr, sizeof(jerr))) == NULL) {
		snprintf(err, errlen, "not JSON: %s", jerr);
		return NULL;
	}
	if (!cJSON_IsObject(j)) {
		snprintf(err, errlen, "not a JSON object");
		goto done;
	}
	if ((t = cJSON_DetachItemFromObjectCaseSensitive(j, "topic")) != NULL) {
		if (cJSON_IsString(t))
			*topic = strdup(t->valuestring);
		cJSON_Delete(t);
	}
	b = cJSON_GetObjectItemCaseSensitive(j, "body");
	if (b != NULL && cJSON_IsObject(b)) {
		/* A typed body needs the type to pick its descriptor. */
		b = cJSON_DetachItemFromObjectCaseSensitive(j, "body");
		em = pbjson_to_pb(&coord__envelope__descriptor, j, err, errlen);
		if (em == NULL) {
			cJSON_Delete(b);
			goto done;
		}
		e = (Coord__Envelope *)em;
		if ((bd = env_type_body(e->type)) == NULL) {
			ty = cJSON_GetObjectItemCaseSensitive(j, "type");
			snprintf(err, errlen, "body: type %s has no typed body",
			    ty != NULL && cJSON_IsString(ty) ? ty->valuestring :
			    "(unset)");
			cJSON_Delete(b);
			goto done;
		}
		body = pbjson_to_pb(bd, b, err, errlen);
		cJSON_Delete(b);
		if (body == NULL) {
			/* Say where: the error is about body's fields. */
			type_err = strdup(err);
			snprintf(err, errlen, "body: %s",
			    type_err != NULL ? type_err : "bad");
			free(type_err);
			goto done;
		}
		bn = protobuf_c_message_get_packed_size(body);
		if ((bb = malloc(bn + 1)) == NULL)
			goto done;
		protobuf_c_message_pack(body, bb);
		/* Swap in our bytes for the packing below. */
		if (e->body.data != NULL)
			free(e->body.data);
		e->body.data = bb;
		e->body.len = bn;
		bb = NULL;
	} else if ((em = pbjson_to_pb(&coord__envelope__descriptor, j, err,
	    errlen)) == NULL)
		goto done;
	*outlen = protobuf_c_message_get_packed_size(em);
	if ((out = malloc(*outlen + 1)) != NULL)
		protobuf_c_message_pack(em, out);
done:
	if (out == NULL && *topic != NULL) {
		free(*topic);
		*topic = NULL;
	}
	free(bb);
	if (body != NULL)
		protobuf_c_message_free_unpacked(body, NULL);
	if (em != NULL)
		protobuf_c_message_free_unpacked(em, NULL);
	cJSON_Delete(j);
	return out;
}

/*
 * pbjson: generic protobuf-c <-> cJSON conversion driven by descriptors.
 *
 * Follows the proto3 canonical JSON mapping, with these choices:
 * - keys are the proto field names as written ("block_hash"); on input
 *   both the proto name and its lowerCamelCase form ("blockHash") are
 *   accepted, but not both in one object;
 * - integers of every type (int32 to fixed64) are JSON numbers on output
 *   while their magnitude is 2^53 at most, where a double (jq, JavaScript)
 *   holds them exactly, and decimal strings past it; input takes numbers
 *   up to 2^53 in magnitude (an integer value: 1e3 and 2.0 are fine) and
 *   decimal strings of any integer in range;
 * - bytes are "0x" and lowercase hex on output ("0x" when empty); input
 *   takes "0x" and hex (either case), or else base64 (standard or
 *   URL-safe, padded or not): a "0x" string that is not all hex digits
 *   is read as base64;
 * - enums are value names on output (the number if the value has no
 *   name); names or numbers on input;
 * - float and double are emitted as cJSON raw items formatted by us
 *   (shortest text that reads back to the same value; cJSON's own
 *   printer rounds doubles), "NaN", "Infinity" and "-Infinity" as
 *   strings; input accepts numbers, those three strings and numeric
 *   strings; integer numbers are raw items too (their digits: cJSON
 *   would print 1e+15);
 * - fields holding their default value are omitted on output (as
 *   protobuf-c's packer omits them) unless PBJSON_EMIT_DEFAULTS, which
 *   -J uses (envjson.c) so that no field reads as null in jq;
 *   fields with presence (proto2 optional, oneof members, messages) are
 *   emitted when present even if zero;
 * - map fields (protoc's synthesized repeated *Entry messages) are JSON
 *   objects; entries keep their order, duplicate keys included;
 * - JSON null for a field means "absent"; unknown keys, duplicate fields,
 *   two members of one oneof, a wrong JSON type, an out-of-range number,
 *   invalid UTF-8, hex or base64 are errors naming the field path, e.g.
 *   "body.events[3].amount: expected integer".
 * Unknown protobuf fields (message->unknown_fields) are not represented.
 * Nesting is limited to PBJSON_MAX_DEPTH messages.
 */
#ifndef PBJSON_H
#define PBJSON_H

#include <stddef.h>

#include <cjson/cJSON.h>
#include <protobuf-c/protobuf-c.h>

#define PBJSON_EMIT_DEFAULTS	0x01	/* emit unset proto3 scalars, [] and {} */

#define PBJSON_MAX_DEPTH	64

/* A new cJSON object for msg (cJSON_Delete it), or NULL with err filled. */
cJSON	*pbjson_from_pb(const ProtobufCMessage *, int, char *, size_t);

/*
 * A new message of type desc built from json, or NULL with err filled.
 * Free it with protobuf_c_message_free_unpacked(m, NULL).
 */
ProtobufCMessage *pbjson_to_pb(const ProtobufCMessageDescriptor *,
	    const cJSON *, char *, size_t);

/*
 * JSON text (len bytes, no NUL needed; trailing blanks ok) as a cJSON tree
 * for pbjson_to_pb, or NULL with err filled.  Number items of 2^53 or more
 * in magnitude are raw items holding their text, so that pbjson_to_pb
 * tells 2^53 + 1 from 2^53 (cJSON alone would read both as 2^53).
 */
cJSON	*pbjson_json_parse(const char *, size_t, char *, size_t);

/* pbjson_json_parse, then pbjson_to_pb. */
ProtobufCMessage *pbjson_parse(const ProtobufCMessageDescriptor *,
	    const char *, size_t, char *, size_t);

/* Compact JSON text for msg (free it), or NULL with err filled. */
char	*pbjson_print(const ProtobufCMessage *, int, char *, size_t);

#endif

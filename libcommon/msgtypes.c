/*
 * msgtypes: each message type's body, for -J (JSON Lines) and tools.
 * Add a row when a .proto gains a message type.
 */
#include <stddef.h>

#include "envelope.h"
#include "proto/archive.pb-c.h"
#include "proto/common.pb-c.h"
#include "proto/observation.pb-c.h"
#include "proto/p2p.pb-c.h"
#include "proto/signing.pb-c.h"

static const struct {
	uint32_t				 type;
	const ProtobufCMessageDescriptor	*body;
} types[] = {
	{ COORD__MSG_TYPE__DEAD_LETTER,	&coord__dead_letter__descriptor },
	{ COORD__MSG_TYPE__HEARTBEAT,	&coord__heartbeat__descriptor },
	{ COORD__MSG_TYPE__HEALTH_REPORT, &coord__health_report__descriptor },
	{ COORD__MSG_TYPE__TEST_MESSAGE, &coord__test_message__descriptor },
	{ COORD__MSG_TYPE__OBSERVER_CURSOR, &coord__observer_cursor__descriptor },
	{ COORD__MSG_TYPE__BLOCK_UPDATE, &coord__block_update__descriptor },
	{ COORD__MSG_TYPE__SERAI_EVENT,	&coord__serai_event__descriptor },
	{ COORD__MSG_TYPE__INSTRUCTION,	&coord__instruction__descriptor },
	{ COORD__MSG_TYPE__INSTRUCTION_RESULT,
	    &coord__instruction_result__descriptor },
	{ COORD__MSG_TYPE__P2P_SEND,	&coord__p2p_send__descriptor },
	{ COORD__MSG_TYPE__P2P_RECEIVED, &coord__p2p_received__descriptor },
	{ COORD__MSG_TYPE__CONNECT_REQUEST, &coord__connect_request__descriptor },
	{ COORD__MSG_TYPE__CONNECT_RESULT, &coord__connect_result__descriptor },
	{ COORD__MSG_TYPE__SIGN_REQUEST, &coord__sign_request__descriptor },
	{ COORD__MSG_TYPE__PARTY_FORMED, &coord__party_formed__descriptor },
	{ COORD__MSG_TYPE__SIGN_MESSAGE, &coord__sign_message__descriptor },
	{ COORD__MSG_TYPE__SIGN_COMPLETED, &coord__sign_completed__descriptor },
	{ COORD__MSG_TYPE__SIGN_STATE,	&coord__sign_state__descriptor },
	{ COORD__MSG_TYPE__ARCHIVE_PUT,	&coord__archive_put__descriptor },
	{ COORD__MSG_TYPE__ARCHIVE_GET,	&coord__archive_get__descriptor },
	{ COORD__MSG_TYPE__ARCHIVE_VALUE, &coord__archive_value__descriptor },
};

const char *
env_type_name(uint32_t type)
{
	const ProtobufCEnumValue *v;

	v = protobuf_c_enum_descriptor_get_value(&coord__msg_type__descriptor,
	    (int)type);
	return v != NULL ? v->name : NULL;
}

const ProtobufCMessageDescriptor *
env_type_body(uint32_t type)
{
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].type == type)
			return types[i].body;
	return NULL;
}

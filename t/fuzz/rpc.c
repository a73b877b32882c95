/*
 * Fuzz rpc's response parsers: arbitrary bytes as the HTTP body of a
 * single call (id 1) and of a batch (ids 1, 2, 3).  Nothing may crash; an
 * error is always reported with a kind and a message; a batch that
 * succeeds gives each request a result or an error, never both.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "observer/rpc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rpc_req q[3];
	struct rpc_error e;
	cJSON *res;
	size_t i;

	res = rpc_parse_response((const char *)data, size, 1, &e);
	if ((res == NULL) != (e.kind != RPC_ERR_NONE) ||
	    (res == NULL && e.msg[0] == '\0'))
		abort();
	cJSON_Delete(res);

	memset(q, 0, sizeof(q));
	for (i = 0; i < 3; i++)
		q[i].id = (long long)i + 1;
	if (rpc_parse_batch((const char *)data, size, q, 3, &e) == 0) {
		if (e.kind != RPC_ERR_NONE)
			abort();
		for (i = 0; i < 3; i++)
			if ((q[i].result == NULL) ==
			    (q[i].error.kind == RPC_ERR_NONE))
				abort();
	} else {
		if (e.kind == RPC_ERR_NONE || e.msg[0] == '\0')
			abort();
		for (i = 0; i < 3; i++)
			if (q[i].result != NULL)
				abort();
	}
	for (i = 0; i < 3; i++)
		cJSON_Delete(q[i].result);
	return 0;
}

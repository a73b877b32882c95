/* Fuzz target: a JSON Lines record (-J input) to envelope bytes and back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512], *topic = NULL, *line;
	uint8_t *bin, *bin2;
	size_t len, len2;

	bin = env_json_parse((const char *)data, size, &len, &topic, err,
	    sizeof(err));
	if (bin == NULL)
		return 0;
	/* What parsed must print and parse back to the same bytes. */
	line = env_json_line(bin, len, topic, err, sizeof(err));
	free(topic);
	topic = NULL;
	if (line != NULL) {
		bin2 = env_json_parse(line, strlen(line), &len2, &topic, err,
		    sizeof(err));
		if (bin2 == NULL || len2 != len || memcmp(bin, bin2, len) != 0)
			abort();
		free(bin2);
		free(line);
	}
	free(topic);
	free(bin);
	return 0;
}

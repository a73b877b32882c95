/*
 * Fuzz the metadata parser, and the generic decoder on whatever registry
 * parses: every type (up to 256) is decoded from the input itself.
 */
#include <stdint.h>
#include <stdlib.h>

#include "observer/meta.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct meta		 m;
	struct scale_reader	 r;
	struct meta_events	 evs;
	cJSON			*j;
	char			 err[512], path[128];
	uint32_t		 t;

	if (meta_parse(&m, data, size, err, sizeof(err)) == -1)
		return 0;
	m.max_values = 1u << 16;
	for (t = 0; t < m.ntypes && t < 256; t++) {
		meta_type_path(&m, t, path, sizeof(path));
		scale_reader_init(&r, data, size);
		j = NULL;
		if (meta_decode_value(&m, t, &r, &j, err, sizeof(err)) == 0)
			cJSON_Delete(j);
		else if (j != NULL)
			abort();	/* no half-decoded value */
	}
	if (meta_decode_events(&m, data, size, NULL, NULL, &evs, err,
	    sizeof(err)) == 0)
		meta_events_free(&evs);
	else if (evs.ev != NULL || evs.n != 0)
		abort();
	meta_free(&m);
	return 0;
}

/*
 * Fuzz the events decoder and the typed Serai events with the dev node's
 * Serai-shaped metadata (V14, upgraded runtime): the input is a
 * System.Events value.  A failure must leave nothing behind.
 */
#include <stdint.h>
#include <stdlib.h>

#include "observer/serai.h"
#include "t/devnode/devmeta.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct meta	 m;
static int		 ready;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct meta_events	 evs;
	struct serai_event	 ev;
	struct serai_filter	 f;
	uint8_t			*blob;
	size_t			 len, i;
	char			 err[512];

	if (!ready) {
		if (devmeta_build(14, 1, &blob, &len) == -1 ||
		    meta_parse(&m, blob, len, err, sizeof(err)) == -1)
			abort();
		free(blob);
		m.max_values = 1u << 16;
		ready = 1;
	}
	if (serai_filter_parse(&f, size > 0 && data[0] & 1 ? "*" :
	    SERAI_DEFAULT_EVENTS, err, sizeof(err)) == -1)
		abort();
	if (meta_decode_events(&m, data, size, serai_filter_match, &f, &evs,
	    err, sizeof(err)) == 0) {
		for (i = 0; i < evs.n; i++)
			if (serai_event_parse(&evs.ev[i], &ev, err,
			    sizeof(err)) == 1)
				serai_event_free(&ev);
		meta_events_free(&evs);
	} else if (evs.ev != NULL || evs.n != 0)
		abort();
	serai_filter_free(&f);
	return 0;
}

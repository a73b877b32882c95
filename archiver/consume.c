/*
 * consume: the bus side of the archiver.
 *
 * To come with libcommon/bus.h: subscribe to every topic of [archive]
 * topics (default: all of [topics]), collect up to batch_size messages or
 * what arrived within batch_timeout, seal each body, store the batch with
 * store_put_retry() and only then commit the consumed offsets; answer data
 * requests; publish heartbeats; make a backup every backup_interval.
 */
#include <stdio.h>

#include "archiver.h"

int
consume_run(struct archiver *ar, char *err, size_t errlen)
{
	(void)ar;
	snprintf(err, errlen, "consuming from Kafka is not built yet (it "
	    "waits for libcommon/bus.h); records can be fed with "
	    "-x import FILE");
	return -1;
}

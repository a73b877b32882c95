/* store: see store.h. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "sig.h"
#include "store.h"

long long store_retry_ms = 120000;
long long store_fault_batch;
static long long nbatch;

void
store_fault_point(void)
{
	if (store_fault_batch > 0 && nbatch == store_fault_batch) {
		log_warnx("fault injection: killed in the middle of batch "
		    "%lld", nbatch);
		raise(SIGKILL);
	}
}

static const struct store_ops *backends[] = {
	&fstore_ops,
	&pgstore_ops,
	NULL
};

struct store *
store_open(const struct store_conf *conf, char *err, size_t errlen)
{
	const struct store_ops **o;
	struct store *st;

	for (o = backends; *o != NULL; o++)
		if (strcmp((*o)->name, conf->backend) == 0)
			break;
	if (*o == NULL) {
		snprintf(err, errlen, "unknown backend \"%s\" (expected file "
		    "or postgres)", conf->backend);
		return NULL;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	st->ops = *o;
	if (st->ops->open(st, conf, err, errlen) == -1) {
		free(st);
		return NULL;
	}
	return st;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	st->ops->close(st);
	free(st);
}

int
store_put_batch(struct store *st, const struct rec *r, size_t n,
    size_t *added, char *err, size_t errlen)
{
	size_t dummy;

	nbatch++;
	st->temporary = 0;
	return st->ops->put_batch(st, r, n, added != NULL ? added : &dummy,
	    err, errlen);
}

int
store_get(struct store *st, const char *topic, int32_t part, int64_t off,
    struct rec *r, int *found, char *err, size_t errlen)
{
	st->temporary = 0;
	return st->ops->get(st, topic, part, off, r, found, err, errlen);
}

int
store_iterate(struct store *st, store_rec_cb *cb, void *arg, char *err,
    size_t errlen)
{
	st->temporary = 0;
	return st->ops->iterate(st, cb, arg, err, errlen);
}

int
store_kv_iterate(struct store *st, store_kv_cb *cb, void *arg, char *err,
    size_t errlen)
{
	st->temporary = 0;
	return st->ops->kv_iterate(st, cb, arg, err, errlen);
}

int
store_count(struct store *st, uint64_t *nrec, uint64_t *nkv, char *err,
    size_t errlen)
{
	st->temporary = 0;
	return st->ops->count(st, nrec, nkv, err, errlen);
}

int
store_kv_put(struct store *st, const struct kv *k, char *err, size_t errlen)
{
	st->temporary = 0;
	return st->ops->kv_put(st, k, err, errlen);
}

int
store_kv_get(struct store *st, const char *name, struct kv *k, int *found,
    char *err, size_t errlen)
{
	st->temporary = 0;
	return st->ops->kv_get(st, name, k, found, err, errlen);
}


int
store_put_retry(struct store *st, const struct rec *r, size_t n,
    size_t *added, char *err, size_t errlen)
{
	long long start = (long long)clock_mono_ms(), delay = 100;
	struct timespec ts;
	unsigned tries = 0;

	for (;;) {
		if (store_put_batch(st, r, n, added, err, errlen) == 0) {
			if (tries > 0)
				log_info("batch of %zu records stored after "
				    "%u retries", n, tries);
			return 0;
		}
		if (!st->temporary || sig_term)
			return -1;
		if (store_retry_ms > 0 && (long long)clock_mono_ms() - start >= store_retry_ms) {
			log_warnx("giving up after %u retries", tries);
			return -1;
		}
		log_warnx("%s: will retry the batch in %lld ms", err, delay);
		ts.tv_sec = delay / 1000;
		ts.tv_nsec = (delay % 1000) * 1000000;
		while (nanosleep(&ts, &ts) == -1 && errno == EINTR && !sig_term)
			;
		delay = delay * 2 > 5000 ? 5000 : delay * 2;
		tries++;
	}
}

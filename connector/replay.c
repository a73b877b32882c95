/*
 * replay: p2p-outbound's partitions.  Records finish out of order (each
 * peer acknowledges at its own pace), so the offset stored per partition
 * is the lowest one some peer still needs.  A peer whose queue was full
 * when a record for it came is behind: its own reader reads its records
 * back from the log, from where it fell behind, until it reaches what the
 * consumer has consumed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "connector/cn.h"

#define REPLAY_BUDGET	512		/* records read per peer per turn */
#define STORE_EVERY	200		/* ms between offset stores */

static int	 targets_peer(const Coord__P2pSend *, const struct peer *);
static int	 replay_open(struct connector *, struct peer *);
static int	 replay_assign(struct connector *, struct peer *);
static void	 replay_record(struct connector *, struct peer *,
		    const struct bus_msg *, int);

int
part_index(struct connector *c, int32_t id)
{
	size_t	 i;

	for (i = 0; i < c->npart; i++)
		if (c->part[i].id == id)
			return (int)i;
	if (c->npart == MAXPART)
		fatalx(EX_PERM, "%s: more than %d partitions", c->otopic,
		    MAXPART);
	c->part[c->npart].id = id;
	c->part[c->npart].next = -1;
	c->part[c->npart].stored = -1;
	return (int)c->npart++;
}

void
behind_clear(struct peer *p)
{
	size_t	 i;

	for (i = 0; i < MAXPART; i++)
		p->behind[i] = -1;
	p->nbehind = 0;
	p->reassign = 1;
}

/*
 * Store, per partition, the lowest offset some peer still needs: a record
 * waiting for an acknowledgement, a record read back from the log and not
 * yet acknowledged, or where a peer that is behind reads from.  Records
 * finish out of order (peers acknowledge at their own pace), so offsets
 * are stored from this, never per record.
 */
void
offsets_store(struct connector *c, int force)
{
	int64_t	 low[MAXPART];
	struct rec *r;
	struct peer *p;
	struct pmsg *pm;
	uint64_t now = clock_mono_ms();
	size_t	 i, k;

	if (!c->kafka_in || c->npart == 0 || (!force && now < c->next_store))
		return;
	c->next_store = now + STORE_EVERY;
	for (i = 0; i < c->npart; i++)
		low[i] = c->part[i].next;
	TAILQ_FOREACH(r, &c->recs, entry) {
		k = (size_t)part_index(c, r->m.partition);
		if (r->m.offset < low[k])
			low[k] = r->m.offset;
	}
	for (i = 0; i < c->npeer; i++) {
		p = c->peer[i];
		for (k = 0; p->nbehind > 0 && k < c->npart; k++)
			if (p->behind[k] >= 0 && p->behind[k] < low[k])
				low[k] = p->behind[k];
		TAILQ_FOREACH(pm, &p->q, entry)
			if (pm->rec == NULL && pm->off < low[pm->pi])
				low[pm->pi] = pm->off;
	}
	for (i = 0; i < c->npart; i++) {
		if (low[i] < 0 || low[i] <= c->part[i].stored)
			continue;
		if (bus_store(c->svc.bus, c->otopic, c->part[i].id, low[i]) ==
		    0)
			c->part[i].stored = low[i];
	}
}

static int
targets_peer(const Coord__P2pSend *ps, const struct peer *p)
{
	size_t	 i;

	if (ps->n_validators == 0)
		return 1;
	for (i = 0; i < ps->n_validators; i++)
		if (strcmp(ps->validators[i], p->name) == 0)
			return 1;
	return 0;
}

/*
 * A peer that is behind: read its records back from the log while its
 * queue has room and it is connected.  A partition is caught up when the
 * reader gets to what the consumer has consumed; from then on the
 * consumer queues that partition's records for it again.
 */
void
replay(struct connector *c, struct peer *p)
{
	struct bus_msg m;
	char	 err[512];
	int	 k, r, budget = REPLAY_BUDGET;

	if (p->nbehind == 0 || p->conn == NULL ||
	    p->conn->state != CONN_OPEN)
		return;
	if (p->reader == NULL && replay_open(c, p) == -1)
		return;
	while (budget-- > 0 && p->nbehind > 0 && p->qlen < c->max_queue) {
		if (p->reassign && replay_assign(c, p) == -1)
			return;
		r = bus_reader_poll(p->reader, &m, 0, err, sizeof(err));
		if (r == 0)
			return;
		if (r == -1) {
			log_warnx("validator %s: reading the log back: %s",
			    p->name, err);
			bus_reader_close(p->reader);
			p->reader = NULL;
			return;
		}
		k = part_index(c, m.partition);
		if (p->behind[k] < 0) {		/* prefetched, not needed */
			bus_release(NULL, &m);
			continue;
		}
		if (m.offset >= c->part[k].next) {
			/* At what the consumer consumed (a record it has
			 * or will have, or the end): live again here. */
			bus_release(NULL, &m);
			p->behind[k] = -1;
			p->nbehind--;
			p->reassign = 1;
			log_info("validator %s caught up from the log in "
			    "%s[%d]", p->name, c->otopic, c->part[k].id);
			continue;
		}
		if (r == 2) {
			p->behind[k] = m.offset;
			continue;
		}
		p->behind[k] = m.offset + 1;
		replay_record(c, p, &m, k);
		bus_release(NULL, &m);
	}
	if (p->nbehind == 0) {
		bus_reader_close(p->reader);
		p->reader = NULL;
		log_info("validator %s is live again (%llu message(s) read "
		    "back from the log)", p->name,
		    (unsigned long long)p->n_replayed);
	}
}

static int
replay_open(struct connector *c, struct peer *p)
{
	char	 err[512];

	if ((p->reader = bus_reader_open(&c->app, c->otopic, err,
	    sizeof(err))) == NULL) {
		log_warnx("validator %s: reading the log back: %s", p->name,
		    err);
		return -1;
	}
	p->reassign = 1;
	return 0;
}

/* The reader to the partitions p is behind in, from where it is. */
static int
replay_assign(struct connector *c, struct peer *p)
{
	int32_t	 ids[MAXPART];
	int64_t	 offs[MAXPART];
	char	 err[512];
	size_t	 i, n;

	for (i = n = 0; i < c->npart; i++)
		if (p->behind[i] >= 0) {
			ids[n] = c->part[i].id;
			offs[n++] = p->behind[i];
		}
	if (bus_reader_assign(p->reader, ids, offs, n, err, sizeof(err)) ==
	    -1) {
		log_warnx("validator %s: %s", p->name, err);
		return -1;
	}
	p->reassign = 0;
	return 0;
}

/*
 * A record read back, in partition (index) k: its envelope queued for p
 * if it is meant for p.  What the consumer took and refused is in the DLQ
 * already; here it is only skipped.
 */
static void
replay_record(struct connector *c, struct peer *p, const struct bus_msg *m,
    int k)
{
	Coord__P2pSend *ps;
	Coord__Envelope *outer, *inner;
	struct pmsg *pm;
	char	 err[512];

	outer = env_open(m->val, m->len, &c->svc.trust, err, sizeof(err));
	ps = NULL;
	if (outer != NULL && outer->type == COORD__MSG_TYPE__P2P_SEND)
		ps = coord__p2p_send__unpack(NULL, outer->body.len,
		    outer->body.data);
	inner = ps == NULL ? NULL : coord__envelope__unpack(NULL,
	    ps->envelope.len, ps->envelope.data);
	if (inner != NULL && inner->intent.len == ENV_INTENTLEN &&
	    targets_peer(ps, p)) {
		if ((pm = calloc(1, sizeof(*pm))) == NULL ||
		    (pm->own = malloc(ps->envelope.len + 1)) == NULL)
			fatal(EX_TEMP, "calloc");
		memcpy(pm->own, ps->envelope.data, ps->envelope.len);
		memcpy(pm->intent, inner->intent.data, ENV_INTENTLEN);
		pm->data = pm->own;
		pm->len = ps->envelope.len;
		pm->pi = k;
		pm->off = m->offset;
		TAILQ_INSERT_TAIL(&p->q, pm, entry);
		p->qlen++;
		p->n_replayed++;
	}
	if (inner != NULL)
		coord__envelope__free_unpacked(inner, NULL);
	if (ps != NULL)
		coord__p2p_send__free_unpacked(ps, NULL);
	env_free(outer);
}

/* A record svc_recv refused (to the DLQ) or dropped as a duplicate. */
void
replay_skipped(struct svc *s, const struct bus_msg *m)
{
	struct connector *c = s->skipped_arg;
	int	 pi;

	if (!c->kafka_in || m->offset < 0)
		return;
	pi = part_index(c, m->partition);
	c->part[pi].next = m->offset + 1;
}

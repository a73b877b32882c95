/*
 * archreq: a data request to the archiver over the bus, for operators and
 * tests.
 *
 *	archreq [options] put KEY	store standard input under KEY
 *	archreq [options] get KEY	print the value of KEY
 *
 *	-t KEY	the topic (a [topics] key; default coordinator_state)
 *	-w SEC	give up after SEC seconds (default 30)
 *
 * The request goes to "<name>.archiver", signed with this program's key
 * (key_dir/archreq.key); the archiver must trust it.  Exits 0 with the
 * value (get) or once stored (put), 1 if the key has no value, 100 if the
 * request was refused, 111 if no answer came in time (or the value could
 * not be written out).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "clock.h"
#include "app.h"
#include "bus.h"
#include "cfg.h"
#include "envelope.h"
#include "log.h"
#include "proto/archive.pb-c.h"
#include "sig.h"
#include "svc.h"

struct req {
	struct svc	 s;
	enum bus_topic	 t;
	int		 isput;
	const char	*key;
	uint8_t		*val;		/* put: standard input */
	size_t		 len;
	uint8_t		 intent[ENV_INTENTLEN];
	char		 to[300];	/* "<name>.archiver" */
};

static const char	*topic_key = "coordinator_state";
static long long	 wait_s = 30;

static int	opt(struct app *, int, const char *);
static void	read_value(struct req *);
static void	send_request(struct app *, struct req *);
static int	answer(struct req *, const Coord__Envelope *);
static int	await_answer(struct req *);

static int
opt(struct app *app, int ch, const char *arg)
{
	(void)app;
	switch (ch) {
	case 't':
		topic_key = arg;
		return 0;
	case 'w':
		return cfg_parse_int(arg, &wait_s);
	}
	return -1;
}

static const struct app_spec spec = {
	"archreq",
	"put KEY | get KEY",
	"t:w:",
	"  -t key     topic (a [topics] key; default coordinator_state)\n"
	"  -w sec     give up after sec seconds (default 30)\n",
	opt,
	0,
	NULL
};

static void
read_value(struct req *r)
{
	size_t cap = 0, n;

	for (;;) {
		if (r->len == cap && (r->val = realloc(r->val,
		    cap = cap ? 2 * cap : 4096)) == NULL)
			fatalx(EX_TEMP, "out of memory");
		if ((n = fread(r->val + r->len, 1, cap - r->len, stdin)) == 0)
			break;
		r->len += n;
	}
}

/* Open the bus, wait for the consumer's assignment, send the request. */
static void
send_request(struct app *app, struct req *r)
{
	Coord__ArchivePut put = COORD__ARCHIVE_PUT__INIT;
	Coord__ArchiveGet get = COORD__ARCHIVE_GET__INIT;
	Coord__MsgType type = r->isput ? COORD__MSG_TYPE__ARCHIVE_PUT :
	    COORD__MSG_TYPE__ARCHIVE_GET;
	struct bus_opts o;
	struct bus_msg m;
	struct env_intent in;
	char err[1024], nonce[32];
	int perm;

	memset(&o, 0, sizeof(o));
	o.app = app;
	o.topics = &r->t;
	o.ntopics = 1;
	o.produce = 1;
	o.from_start = 1;	/* answers are matched by intent */
	snprintf(err, sizeof(err), "%s.archreq.%ld", cfg_str(app->cfg,
	    "general", "name"), (long)getpid());
	o.group = err;
	if (svc_open(&r->s, app, &o, &perm, err, sizeof(err)) == -1)
		fatalx(perm ? EX_PERM : EX_TEMP, "%s", err);
	snprintf(r->to, sizeof(r->to), "%s.archiver", cfg_str(app->cfg,
	    "general", "name"));
	/* A fresh intent per request: the same put twice is two requests. */
	snprintf(nonce, sizeof(nonce), "%llu", (unsigned long long)
	    clock_wall_ms());
	env_intent_init(&in, type);
	env_intent_str(&in, r->key);
	env_intent_str(&in, nonce);
	env_intent_final(&in, r->intent);
	put.key = get.key = (char *)r->key;
	put.value.data = r->val;
	put.value.len = r->len;
	/* Wait until the consumer is assigned, so the answer is not missed. */
	if (bus_poll(r->s.bus, &m, 2000, err, sizeof(err)) == 1)
		bus_release(r->s.bus, &m);
	if (svc_send(&r->s, r->t, type, r->intent, r->to, r->isput ?
	    (const ProtobufCMessage *)&put : (const ProtobufCMessage *)&get,
	    err, sizeof(err)) == -1 ||
	    bus_sync(r->s.bus, 10000, err, sizeof(err)) == -1)
		fatalx(EX_TEMP, "send: %s", err);
}

/* The exit status if e answers our request, else EX_TEMP (keep waiting). */
static int
answer(struct req *r, const Coord__Envelope *e)
{
	Coord__ArchiveValue *v;
	int rc = EX_TEMP;

	if (e->type != COORD__MSG_TYPE__ARCHIVE_VALUE ||
	    strcmp(e->to, r->s.id) != 0 || strcmp(e->from, r->to) != 0 ||
	    (v = coord__archive_value__unpack(NULL, e->body.len,
	    e->body.data)) == NULL)
		return EX_TEMP;
	if (v->request_intent.len == ENV_INTENTLEN &&
	    memcmp(v->request_intent.data, r->intent, ENV_INTENTLEN) == 0) {
		if (v->error != NULL && v->error[0] != '\0') {
			log_warnx("refused: %s", v->error);
			rc = EX_PERM;
		} else if (!v->found) {
			log_info("%s: no value", r->key);
			rc = 1;
		} else {
			if (!r->isput)
				fwrite(v->value.data, 1, v->value.len, stdout);
			rc = 0;
		}
	}
	coord__archive_value__free_unpacked(v, NULL);
	return rc;
}

static int
await_answer(struct req *r)
{
	Coord__Envelope *e;
	struct bus_msg m;
	char err[1024];
	time_t end = time(NULL) + wait_s;
	int n, rc = EX_TEMP;

	while (rc == EX_TEMP && !sig_term && time(NULL) < end) {
		n = svc_recv(&r->s, &m, &e, 200, err, sizeof(err));
		if (n == -1)
			fatalx(EX_TEMP, "%s", err);
		if (n == 0)
			continue;
		rc = answer(r, e);
		svc_done(&r->s, &m, e);
		env_free(e);
		bus_release(r->s.bus, &m);
	}
	if (rc == EX_TEMP)
		log_warnx("no answer from %s within %lld s", r->to, wait_s);
	return rc;
}

int
main(int argc, char **argv)
{
	struct app app;
	struct req r;
	int rc, tt;

	app_init(&app, &spec, argc, argv);
	if (sodium_init() == -1)
		fatalx(EX_TEMP, "libsodium failed to initialise");
	if (app.argc != 2 || (strcmp(app.argv[0], "put") != 0 &&
	    strcmp(app.argv[0], "get") != 0))
		app_usage();
	memset(&r, 0, sizeof(r));
	r.isput = strcmp(app.argv[0], "put") == 0;
	r.key = app.argv[1];
	if ((tt = bus_topic_parse(topic_key)) == -1)
		fatalx(EX_PERM, "-t: unknown topic key \"%s\"", topic_key);
	r.t = tt;
	if (app.check)
		app_check_ok(&app);
	if (r.isput)
		read_value(&r);

	send_request(&app, &r);
	rc = await_answer(&r);

	free(r.val);
	if (fflush(stdout) == EOF && errno != EPIPE) {
		log_warn("stdout");
		if (rc == 0)
			rc = EX_TEMP;
	}
	svc_close(&r.s);
	cfg_free(app.cfg);
	return rc;
}

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
 * request was refused, 111 if no answer came in time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "app.h"
#include "bus.h"
#include "cfg.h"
#include "envelope.h"
#include "log.h"
#include "proto/archive.pb-c.h"
#include "sig.h"
#include "svc.h"

static const char	*topic_key = "coordinator_state";
static long long	 wait_s = 30;

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
	0
};

int
main(int argc, char **argv)
{
	Coord__ArchivePut put = COORD__ARCHIVE_PUT__INIT;
	Coord__ArchiveGet get = COORD__ARCHIVE_GET__INIT;
	Coord__ArchiveValue *v;
	Coord__Envelope *e;
	struct app app;
	struct svc s;
	struct bus_opts o;
	struct bus_msg m;
	struct env_intent in;
	enum bus_topic t;
	uint8_t intent[ENV_INTENTLEN], *val = NULL;
	char err[1024], to[300], nonce[32];
	size_t len = 0, n;
	time_t end;
	int perm, r, isput, rc = EX_TEMP, tt;

	app_init(&app, &spec, argc, argv);
	if (app.argc != 2 || (strcmp(app.argv[0], "put") != 0 &&
	    strcmp(app.argv[0], "get") != 0))
		app_usage();
	isput = strcmp(app.argv[0], "put") == 0;
	if ((tt = bus_topic_parse(topic_key)) == -1)
		fatalx(EX_PERM, "-t: unknown topic key \"%s\"", topic_key);
	t = tt;
	if (app.check)
		app_check_ok(&app);
	if (isput) {
		size_t cap = 0;

		for (;;) {
			if (len == cap && (val = realloc(val,
			    cap = cap ? 2 * cap : 4096)) == NULL)
				fatalx(EX_TEMP, "out of memory");
			if ((n = fread(val + len, 1, cap - len, stdin)) == 0)
				break;
			len += n;
		}
	}
	memset(&o, 0, sizeof(o));
	o.app = &app;
	o.topics = &t;
	o.ntopics = 1;
	o.produce = 1;
	o.from_start = 1;	/* answers are matched by intent */
	snprintf(err, sizeof(err), "%s.archreq.%ld", cfg_str(app.cfg,
	    "general", "name"), (long)getpid());
	o.group = err;
	if (svc_open(&s, &app, &o, &perm, err, sizeof(err)) == -1)
		fatalx(perm ? EX_PERM : EX_TEMP, "%s", err);
	snprintf(to, sizeof(to), "%s.archiver", cfg_str(app.cfg, "general",
	    "name"));
	/* A fresh intent per request: the same put twice is two requests. */
	snprintf(nonce, sizeof(nonce), "%llu", (unsigned long long)
	    clock_wall_ms());
	env_intent_init(&in, isput ? COORD__MSG_TYPE__ARCHIVE_PUT :
	    COORD__MSG_TYPE__ARCHIVE_GET);
	env_intent_str(&in, app.argv[1]);
	env_intent_str(&in, nonce);
	env_intent_final(&in, intent);
	if (isput) {
		put.key = app.argv[1];
		put.value.data = val;
		put.value.len = len;
	} else
		get.key = app.argv[1];
	/* Wait until the consumer is assigned, so the answer is not missed. */
	r = bus_poll(s.bus, &m, 2000, err, sizeof(err));
	if (r == 1)
		bus_release(s.bus, &m);
	if (svc_send(&s, t, isput ? COORD__MSG_TYPE__ARCHIVE_PUT :
	    COORD__MSG_TYPE__ARCHIVE_GET, intent, to, isput ?
	    (const ProtobufCMessage *)&put : (const ProtobufCMessage *)&get,
	    err, sizeof(err)) == -1 ||
	    bus_sync(s.bus, 10000, err, sizeof(err)) == -1)
		fatalx(EX_TEMP, "send: %s", err);
	end = time(NULL) + wait_s;
	while (!sig_term && time(NULL) < end) {
		r = svc_recv(&s, &m, &e, 200, err, sizeof(err));
		if (r == -1)
			fatalx(EX_TEMP, "%s", err);
		if (r == 0)
			continue;
		v = NULL;
		if (e->type == COORD__MSG_TYPE__ARCHIVE_VALUE &&
		    strcmp(e->to, s.id) == 0 && strcmp(e->from, to) == 0 &&
		    (v = coord__archive_value__unpack(NULL, e->body.len,
		    e->body.data)) != NULL && v->request_intent.len ==
		    ENV_INTENTLEN && memcmp(v->request_intent.data, intent,
		    ENV_INTENTLEN) == 0) {
			if (v->error != NULL && v->error[0] != '\0') {
				log_warnx("refused: %s", v->error);
				rc = EX_PERM;
			} else if (!v->found) {
				log_info("%s: no value", app.argv[1]);
				rc = 1;
			} else {
				if (!isput)
					fwrite(v->value.data, 1, v->value.len,
					    stdout);
				rc = 0;
			}
		}
		if (v != NULL)
			coord__archive_value__free_unpacked(v, NULL);
		svc_done(&s, &m, e);
		env_free(e);
		bus_release(s.bus, &m);
		if (rc != EX_TEMP)
			break;
	}
	if (rc == EX_TEMP)
		log_warnx("no answer from %s within %lld s", to, wait_s);
	free(val);
	fflush(stdout);
	svc_close(&s);
	cfg_free(app.cfg);
	return rc;
}

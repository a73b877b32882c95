/*
 * obstool: the other side of the observer, for its tests and benchmark.
 *
 *	obstool [options] instr HEX		an Instruction on p2p-inbound
 *	obstool [options] hb SCANNED TIP [N [MS]]
 *		N Heartbeats (default 1), one every MS ms (default 1000), on
 *		chain-health; scanned and tip heights grow by one each time
 *	obstool [options] dump KEY
 *		every record of topic KEY (a [topics] key) from its start to
 *		its end, as JSON Lines, no deduplication (read_committed;
 *		-U: read_uncommitted)
 *	obstool [options] watch
 *		from the end of serai-observation (read_committed): a line
 *		"NUMBER RECV_MS" per BlockUpdate, RECV_MS the wall clock it was
 *		received at, until -c N blocks or -w SEC seconds
 *
 *	-k FILE -I ID	sign as service ID with key FILE (default: our own)
 *	-r		instr: inside a P2pReceived, as the connector relays
 *			what validator [general] name sent
 *	-x		instr: the Instruction's origin text
 *	-c N, -w SEC, -U	see above
 */
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>	/* RD_KAFKA_OFFSET_* */
#include <sodium.h>

#include "hex.h"
#include "clock.h"
#include "app.h"
#include "bus.h"
#include "cfg.h"
#include "envelope.h"
#include "log.h"
#include "sig.h"
#include "svc.h"
#include "observer/scale.h"
#include "proto/common.pb-c.h"
#include "proto/observation.pb-c.h"
#include "proto/p2p.pb-c.h"

static const char	*keyfile, *keyid, *origin = "";
static int		 relayed, uncommitted;
static long long	 count = -1, wait_s = 30;

static int	 opt(struct app *, int, const char *);
static void	 sign_as(struct svc *);
static int	 do_instr(struct svc *, const char *);
static int	 do_hb(struct svc *, int, char **);
static void	 read_props(struct app *);
static int	 do_read(struct app *, const char *, int);

static int
opt(struct app *app, int ch, const char *arg)
{
	(void)app;
	switch (ch) {
	case 'k':
		keyfile = arg;
		break;
	case 'I':
		keyid = arg;
		break;
	case 'r':
		relayed = 1;
		break;
	case 'x':
		origin = arg;
		break;
	case 'U':
		uncommitted = 1;
		break;
	case 'c':
		return cfg_parse_int(arg, &count);
	case 'w':
		return cfg_parse_int(arg, &wait_s);
	default:
		return -1;
	}
	return 0;
}


static void
sign_as(struct svc *s)
{
	char err[512];

	if (keyfile == NULL)
		return;
	if (keyid == NULL)
		fatalx(EX_PERM, "-k needs -I");
	env_key_wipe(&s->key);
	if (env_key_load(keyfile, keyid, &s->key, err, sizeof(err)) == -1)
		fatalx(EX_PERM, "%s", err);
	snprintf(s->id, sizeof(s->id), "%s", keyid);
}

static int
do_instr(struct svc *s, const char *hex)
{
	Coord__Instruction	 in = COORD__INSTRUCTION__INIT;
	Coord__P2pReceived	 pr = COORD__P2P_RECEIVED__INIT;
	Coord__Envelope		 e = COORD__ENVELOPE__INIT;
	struct env_intent	 it;
	uint8_t			 intent[ENV_INTENTLEN], rintent[ENV_INTENTLEN];
	uint8_t			*xt = NULL, *body, *inner;
	size_t			 xtlen = 0, blen, ilen;
	char			 err[512];

	if (hex[0] != '\0' && hex_decode_alloc(hex, &xt, &xtlen) == -1)
		fatalx(EX_PERM, "not hex: %s", hex);
	in.extrinsic.data = xt;
	in.extrinsic.len = xtlen;
	in.origin = (char *)(uintptr_t)origin;
	env_intent_init(&it, COORD__MSG_TYPE__INSTRUCTION);
	env_intent_add(&it, xt, xtlen);
	env_intent_str(&it, origin);
	env_intent_final(&it, intent);
	if (!relayed) {
		if (svc_send(s, TOPIC_P2P_INBOUND, COORD__MSG_TYPE__INSTRUCTION,
		    intent, "", &in.base, err, sizeof(err)) == -1)
			fatalx(EX_TEMP, "%s", err);
	} else {
		blen = coord__instruction__get_packed_size(&in);
		if ((body = malloc(blen + 1)) == NULL)
			fatal(EX_TEMP, "malloc");
		coord__instruction__pack(&in, body);
		e.type = COORD__MSG_TYPE__INSTRUCTION;
		e.intent.data = intent;
		e.intent.len = ENV_INTENTLEN;
		e.to = (char *)"";
		e.body.data = body;
		e.body.len = blen;
		if ((inner = env_seal(&e, &s->key, &ilen)) == NULL)
			fatalx(EX_TEMP, "seal failed");
		free(body);
		pr.validator = (char *)(uintptr_t)cfg_str(s->app->cfg,
		    "general", "name");
		pr.peer_id = (char *)"12D3KooWtest";
		pr.envelope.data = inner;
		pr.envelope.len = ilen;
		env_intent_init(&it, COORD__MSG_TYPE__P2P_RECEIVED);
		env_intent_str(&it, pr.validator);
		env_intent_add(&it, inner, ilen);
		env_intent_final(&it, rintent);
		if (svc_send(s, TOPIC_P2P_INBOUND,
		    COORD__MSG_TYPE__P2P_RECEIVED, rintent, "", &pr.base, err,
		    sizeof(err)) == -1)
			fatalx(EX_TEMP, "%s", err);
		free(inner);
	}
	free(xt);
	if (bus_sync(s->bus, 30000, err, sizeof(err)) == -1)
		fatalx(EX_TEMP, "%s", err);
	return 0;
}

static int
do_hb(struct svc *s, int argc, char **argv)
{
	Coord__Heartbeat	 hb = COORD__HEARTBEAT__INIT;
	struct env_intent	 it;
	struct timespec		 ts;
	uint8_t			 intent[ENV_INTENTLEN];
	long long		 scanned, tip, n = 1, ms = 1000, i;
	char			 err[512];

	if (argc < 3 || cfg_parse_int(argv[1], &scanned) == -1 ||
	    cfg_parse_int(argv[2], &tip) == -1 ||
	    (argc > 3 && cfg_parse_int(argv[3], &n) == -1) ||
	    (argc > 4 && cfg_parse_int(argv[4], &ms) == -1))
		app_usage();
	for (i = 0; i < n && !sig_term; i++) {
		hb.service = s->id;
		hb.network = (char *)"test";
		hb.scanned_height = (uint64_t)(scanned + i);
		hb.tip_height = (uint64_t)(tip + i);
		hb.status = (char *)"ok";
		env_intent_init(&it, COORD__MSG_TYPE__HEARTBEAT);
		env_intent_str(&it, s->id);
		env_intent_u64(&it, clock_wall_ms());
		env_intent_u64(&it, (uint64_t)i);
		env_intent_final(&it, intent);
		if (svc_send(s, TOPIC_CHAIN_HEALTH, COORD__MSG_TYPE__HEARTBEAT,
		    intent, "", &hb.base, err, sizeof(err)) == -1 ||
		    bus_sync(s->bus, 30000, err, sizeof(err)) == -1)
			fatalx(EX_TEMP, "%s", err);
		if (i + 1 < n) {
			ts.tv_sec = ms / 1000;
			ts.tv_nsec = ms % 1000 * 1000000L;
			nanosleep(&ts, NULL);
		}
	}
	return 0;
}

/*
 * The reader's properties beyond the bus's: a short fetch wait (a quick
 * end, quick news) unless [kafka] or -X set one (ahead of the -X
 * properties, so -X still wins), and -U's isolation (after them: it wins).
 */
static void
read_props(struct app *app)
{
	static char fwait[] = "fetch.wait.max.ms=10";
	static char uncomm[] = "isolation.level=read_uncommitted";
	const struct cfg_sect *s;
	size_t i;
	int set = 0;

	if ((s = cfg_next(app->cfg, "kafka", NULL)) != NULL &&
	    cfg_sect_kv(s, "fetch.wait.max.ms") != NULL)
		set = 1;
	for (i = 0; i < app->nxprop; i++)
		if (strncmp(app->xprop[i], "fetch.wait.max.ms=", 18) == 0)
			set = 1;
	if (app->nxprop + 2 > APP_MAXX)
		fatalx(EX_PERM, "too many -X properties");
	if (!set) {
		memmove(&app->xprop[1], &app->xprop[0],
		    app->nxprop * sizeof(app->xprop[0]));
		app->xprop[0] = fwait;
		app->nxprop++;
	}
	if (uncommitted)
		app->xprop[app->nxprop++] = uncomm;
}

/* dump: start to end; watch: from the end, BlockUpdates. */
static int
do_read(struct app *app, const char *key, int watch)
{
	struct bus_reader	*r;
	struct bus_msg		 m;
	Coord__Envelope		*e;
	Coord__BlockUpdate	*bu;
	const char		*topic;
	char			 err[256], *line;
	uint64_t		 deadline = clock_wall_ms() + wait_s * 1000;
	int32_t			*ids = NULL;
	int64_t			*offs;
	size_t			 i, n = 0, neof = 0;
	long long		 got = 0;
	int			 k;

	if (bus_topic_parse(key) == -1)
		fatalx(EX_PERM, "unknown topic key %s", key);
	topic = cfg_str(app->cfg, "topics", key);
	read_props(app);
	if ((r = bus_reader_open(app, topic, err, sizeof(err))) == NULL)
		fatalx(EX_TEMP, "%s", err);
	/* One metadata request per try (timeout 0), until the topic is. */
	while (bus_reader_partitions(r, &ids, &n, 0, err, sizeof(err)) ==
	    -1 || n == 0) {
		if (clock_wall_ms() > deadline || sig_term)
			fatalx(EX_TEMP, "%s: no such topic", topic);
		poll(NULL, 0, 100);
	}
	if ((offs = calloc(n, sizeof(*offs))) == NULL)
		fatal(EX_TEMP, "calloc");
	for (i = 0; i < n; i++)
		offs[i] = watch ? RD_KAFKA_OFFSET_END :
		    RD_KAFKA_OFFSET_BEGINNING;
	if (bus_reader_assign(r, ids, offs, n, err, sizeof(err)) == -1)
		fatalx(EX_TEMP, "%s", err);
	free(ids);
	free(offs);
	if (watch)
		log_info("watching");
	while (!sig_term && (watch || neof < n)) {
		if (clock_wall_ms() > deadline) {
			if (watch)
				break;
			fatalx(EX_TEMP, "%s: not read to its end", topic);
		}
		k = bus_reader_poll(r, &m, 100, err, sizeof(err));
		if (k == 2)
			neof++;
		if (k == -1)
			log_warnx("%s", err);
		if (k != 1)
			continue;
		if (!watch) {
			line = env_json_line(m.val, m.len, topic, err,
			    sizeof(err));
			if (line != NULL)
				fputs(line, stdout);
			else
				printf("{\"error\":\"%s\"}\n", err);
			free(line);
		} else if ((e = coord__envelope__unpack(NULL, m.len,
		    m.val)) != NULL) {
			if (e->type == COORD__MSG_TYPE__BLOCK_UPDATE &&
			    (bu = coord__block_update__unpack(NULL,
			    e->body.len, e->body.data)) != NULL) {
				printf("%" PRIu64 " %" PRIu64 "\n", bu->number,
				    clock_wall_ms());
				fflush(stdout);
				coord__block_update__free_unpacked(bu, NULL);
				got++;
			}
			coord__envelope__free_unpacked(e, NULL);
		}
		bus_release(NULL, &m);
		if (watch && count >= 0 && got >= count)
			break;
	}
	fflush(stdout);
	bus_reader_close(r);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct app_spec spec = {
		.prog = "obstool",
		.operands = "instr HEX | hb SCANNED TIP [N [MS]] | dump KEY | "
		    "watch",
		.opts = "k:I:rx:Uc:w:",
		.optusage = "  -k file -I id  sign as service id\n"
		    "  -r         instr: relayed in a P2pReceived\n"
		    "  -x text    instr: origin\n"
		    "  -U         dump: read uncommitted records too\n"
		    "  -c N       watch: stop after N blocks\n"
		    "  -w SEC     give up after SEC seconds (default 30)\n",
		.opt = opt,
	};
	struct bus_opts	 bo;
	struct app	 app;
	struct svc	 s;
	char		 err[1024];
	const char	*cmd;
	int		 perm, rc;

	app_init(&app, &spec, argc, argv);
	if (app.argc < 1)
		app_usage();
	if (sodium_init() == -1)
		fatalx(EX_TEMP, "sodium_init failed");
	cmd = app.argv[0];
	if (strcmp(cmd, "dump") == 0 || strcmp(cmd, "watch") == 0) {
		if (strcmp(cmd, "dump") == 0 && app.argc != 2)
			app_usage();
		rc = do_read(&app, app.argc > 1 ? app.argv[1] :
		    "serai_observation", strcmp(cmd, "watch") == 0);
		app_free(&app);
		return rc;
	}
	/* the command and its operands before anything is opened */
	if (!(strcmp(cmd, "instr") == 0 && app.argc == 2) &&
	    !(strcmp(cmd, "hb") == 0 && app.argc >= 3 && app.argc <= 5))
		app_usage();
	memset(&bo, 0, sizeof(bo));
	bo.app = &app;
	bo.produce = 1;
	if (svc_open(&s, &app, &bo, &perm, err, sizeof(err)) == -1)
		fatalx(perm ? EX_PERM : EX_TEMP, "%s", err);
	s.hb_interval_ms = 0;
	sign_as(&s);
	if (strcmp(cmd, "instr") == 0 && app.argc == 2)
		rc = do_instr(&s, app.argv[1]);
	else if (strcmp(cmd, "hb") == 0)
		rc = do_hb(&s, app.argc, app.argv);
	else
		app_usage();
	if (svc_close(&s) == -1)
		rc = EX_TEMP;
	app_free(&app);
	return rc;
}

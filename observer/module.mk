# observer/module.mk: the observer (watches the Serai chain over JSON-RPC,
# publishes its events, submits the batches it is told to) and obstool,
# its test tool.  The chain-facing half (SCALE codec, metadata-driven
# event decoder, Serai event extraction) is shared with tests and fuzzers.
OBSERVER_META_OBJS := observer/meta.o observer/metadec.o observer/metakey.o
OBSERVER_CHAIN_OBJS := observer/scale.o $(OBSERVER_META_OBJS) observer/serai.o

BINS += observer/observer
observer_OBJS := observer/main.o observer/scan.o observer/pace.o \
	observer/publish.o observer/submit.o observer/health.o \
	observer/rpc.o $(OBSERVER_CHAIN_OBJS)
observer_LIBS := $(LIB_CURL) $(LIB_CJSON)
observer/observer: $(observer_OBJS)
MAN += observer/observer.8

# obstool: sends what the observer consumes (instructions, heartbeats) and
# watches what it publishes, for the tests and the benchmark.
EXTRA_BINS += observer/obstool
obstool_OBJS := observer/obstool.o observer/scale.o
obstool_LIBS := $(LIB_CJSON)
observer/obstool: $(obstool_OBJS)
EXTRA_OBJS += observer/obstool.o
CLEANFILES += observer/obstool

UNIT_TESTS += t/unit/scale.test
scale_TEST_OBJS := observer/scale.o
t/unit/scale.test: $(scale_TEST_OBJS)

UNIT_TESTS += t/unit/meta.test
meta_TEST_OBJS := observer/scale.o $(OBSERVER_META_OBJS) t/devnode/devmeta.o
t/unit/meta.test: $(meta_TEST_OBJS)

UNIT_TESTS += t/unit/meta_serai.test
meta_serai_TEST_OBJS := observer/scale.o $(OBSERVER_META_OBJS) \
	observer/serai.o t/devnode/devmeta.o
t/unit/meta_serai.test: $(meta_serai_TEST_OBJS)

UNIT_TESTS += t/unit/meta_shapes.test
meta_shapes_TEST_OBJS := observer/scale.o $(OBSERVER_META_OBJS)
t/unit/meta_shapes.test: $(meta_shapes_TEST_OBJS)

UNIT_TESTS += t/unit/obs_pace.test
obs_pace_TEST_OBJS := observer/pace.o
t/unit/obs_pace.test: $(obs_pace_TEST_OBJS)

FUZZERS += t/fuzz/scale t/fuzz/meta t/fuzz/events
t/fuzz/scale_SRCS := observer/scale.c
t/fuzz/meta_SRCS := observer/scale.c observer/meta.c observer/metadec.c \
	observer/metakey.c
t/fuzz/events_SRCS := observer/scale.c observer/meta.c observer/metadec.c \
	observer/metakey.c observer/serai.c t/devnode/devmeta.c
CLEANFILES += t/fuzz/scale t/fuzz/meta t/fuzz/events

# observer/module-bin.mk: the observer binary (observer/module.mk has the
# chain-facing half it shares with tests and fuzzers) and its test tool.
BINS += observer/observer
observer_OBJS := observer/main.o observer/scan.o observer/pace.o \
	observer/publish.o observer/submit.o observer/health.o \
	observer/scale.o observer/meta.o observer/serai.o
observer/observer: $(observer_OBJS)
MAN += observer/observer.8

# obstool: sends what the observer consumes (instructions, heartbeats) and
# watches what it publishes, for the tests and the benchmark.
EXTRA_BINS += observer/obstool
obstool_OBJS := observer/obstool.o observer/scale.o
observer/obstool: $(obstool_OBJS)
EXTRA_OBJS += observer/obstool.o
CLEANFILES += observer/obstool

UNIT_TESTS += t/unit/obs_pace.test
obs_pace_TEST_OBJS := observer/pace.o
t/unit/obs_pace.test: $(obs_pace_TEST_OBJS)

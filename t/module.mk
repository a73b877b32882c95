# t/module.mk: the TAP helper and the foundation's unit tests.
EXTRA_OBJS += t/tap.o
UNIT_TESTS += t/unit/cfg.test t/unit/dedupe.test t/unit/envelope.test \
	t/unit/hex.test
CLEANFILES += t/bench/results.json
FUZZERS += t/fuzz/envelope t/fuzz/envjson t/fuzz/config

# The benchmark's floor (t/bench/p2p.sh): plain TCP ping-pong on loopback.
EXTRA_BINS += t/bench/pingpong
pingpong_OBJS := t/bench/pingpong.o
EXTRA_OBJS += $(pingpong_OBJS)
t/bench/pingpong: $(pingpong_OBJS)
t/bench/pingpong: LDFLAGS += -Wl,--as-needed

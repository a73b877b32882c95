# t/module.mk: the TAP helper and the foundation's unit tests.
EXTRA_OBJS += t/tap.o
UNIT_TESTS += t/unit/cfg.test t/unit/dedupe.test t/unit/envelope.test \
	t/unit/hex.test
CLEANFILES += t/bench/results.json
FUZZERS += t/fuzz/envelope t/fuzz/envjson t/fuzz/config

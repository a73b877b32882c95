# t/module.mk: the TAP helper and the foundation's unit tests.
EXTRA_OBJS += t/tap.o
CLEANFILES += t/bench/results.json

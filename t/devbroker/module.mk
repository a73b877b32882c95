# t/devbroker/module.mk: the Kafka dev broker (librdkafka's mock cluster),
# a test double and the embedded default broker of make demo, and bustest,
# the client that checks what the bus relies on against either broker.
EXTRA_BINS += t/devbroker/devbroker t/devbroker/bustest
devbroker_OBJS := t/devbroker/devbroker.o
t/devbroker/devbroker: $(devbroker_OBJS)
bustest_OBJS := t/devbroker/bustest.o
t/devbroker/bustest: $(bustest_OBJS)
EXTRA_OBJS += $(devbroker_OBJS) $(bustest_OBJS)

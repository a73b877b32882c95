# t/devbroker/module.mk: the Kafka dev broker (librdkafka's mock cluster),
# a test double and the embedded default broker of make demo.
EXTRA_BINS += t/devbroker/devbroker
devbroker_OBJS := t/devbroker/devbroker.o
t/devbroker/devbroker: $(devbroker_OBJS)
EXTRA_OBJS += $(devbroker_OBJS)

# observer/module.mk: the observer's chain-facing half (SCALE codec,
# metadata-driven event decoder, Serai event extraction).  The observer
# binary itself comes in a later phase.
OBSERVER_CHAIN_OBJS := observer/scale.o observer/meta.o observer/serai.o
EXTRA_OBJS += $(OBSERVER_CHAIN_OBJS)

UNIT_TESTS += t/unit/scale.test
scale_TEST_OBJS := observer/scale.o
t/unit/scale.test: $(scale_TEST_OBJS)

UNIT_TESTS += t/unit/meta.test
meta_TEST_OBJS := observer/scale.o observer/meta.o t/devnode/devmeta.o
t/unit/meta.test: $(meta_TEST_OBJS)

UNIT_TESTS += t/unit/meta_serai.test
meta_serai_TEST_OBJS := observer/scale.o observer/meta.o observer/serai.o \
	t/devnode/devmeta.o
t/unit/meta_serai.test: $(meta_serai_TEST_OBJS)

FUZZERS += t/fuzz/scale t/fuzz/meta t/fuzz/events
t/fuzz/scale_SRCS := observer/scale.c
t/fuzz/meta_SRCS := observer/scale.c observer/meta.c
t/fuzz/events_SRCS := observer/scale.c observer/meta.c observer/serai.c \
	t/devnode/devmeta.c
CLEANFILES += t/fuzz/scale t/fuzz/meta t/fuzz/events

UNIT_TESTS += t/unit/meta_shapes.test
meta_shapes_TEST_OBJS := observer/scale.o observer/meta.o
t/unit/meta_shapes.test: $(meta_shapes_TEST_OBJS)

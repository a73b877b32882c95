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

# t/busprobe/module.mk: busprobe, a small svc client for the bus tests.
EXTRA_BINS += t/busprobe/busprobe
busprobe_OBJS := t/busprobe/busprobe.o
t/busprobe/busprobe: $(busprobe_OBJS)
busprobe_LIBS := $(LIB_CJSON)
EXTRA_OBJS += $(busprobe_OBJS)

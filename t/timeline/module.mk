# t/timeline/module.mk: the demo's timeline (several validators' topics as
# one readable story).
EXTRA_BINS += t/timeline/timeline
timeline_OBJS := t/timeline/timeline.o observer/rpc.o
t/timeline/timeline: $(timeline_OBJS)
timeline_LIBS := $(LIB_CJSON) $(LIB_CURL)
EXTRA_OBJS += $(timeline_OBJS)

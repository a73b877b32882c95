# t/proto/module.mk: the test protos (compiled by protoc-c, never
# committed) and pbjson's unit test and fuzz target, which use them.
TPROTOS     := t/proto/pbtest.proto t/proto/pbtest2.proto
TPROTO_C    := $(TPROTOS:.proto=.pb-c.c)
TPROTO_H    := $(TPROTOS:.proto=.pb-c.h)
TPROTO_OBJS := $(TPROTOS:.proto=.pb-c.o)

t/proto/%.pb-c.c t/proto/%.pb-c.h: t/proto/%.proto
	$(PROTOC_C) --proto_path=t/proto --c_out=t/proto $<

# Generated code gets the warnings protoc-c's output is clean under, as
# proto/ does (.build-flags is the root's flags stamp).
$(TPROTO_OBJS): %.o: %.c .build-flags
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -std=c11 -MMD -MP -c -o $@ $<

UNIT_TESTS += t/unit/pbjson.test
pbjson_TEST_OBJS := $(TPROTO_OBJS)
t/unit/pbjson.test: $(pbjson_TEST_OBJS)
t/unit/pbjson.o: $(TPROTO_H)

FUZZERS += t/fuzz/pbjson
t/fuzz/pbjson_SRCS := $(TPROTO_C)

EXTRA_OBJS += $(TPROTO_OBJS)
CLEANFILES += $(TPROTO_C) $(TPROTO_H)

# t/rpcsrv/module.mk: a scriptable loopback JSON-RPC server (a thread of
# the test), rpc's unit test and its fuzz target.
UNIT_TESTS += t/unit/rpc.test
rpc_TEST_OBJS := t/rpcsrv/rpcsrv.o observer/rpc.o
t/unit/rpc.test: $(rpc_TEST_OBJS)
EXTRA_OBJS += t/rpcsrv/rpcsrv.o

FUZZERS += t/fuzz/rpc
t/fuzz/rpc_SRCS := observer/rpc.c

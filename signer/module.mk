# signer/module.mk: the signer (deterministic parties, session lifecycle,
# message routing), its man page and its unit tests.
BINS += signer/signer
signer_OBJS := signer/main.o signer/route.o signer/party.o signer/state.o \
	signer/statelog.o
signer/signer: $(signer_OBJS)
signer_LIBS := $(LIB_CJSON)
MAN += signer/signer.8

UNIT_TESTS += t/unit/party.test t/unit/signer_state.test
party_TEST_OBJS := signer/party.o
t/unit/party.test: $(party_TEST_OBJS)
signer_state_TEST_OBJS := signer/state.o signer/party.o
# malloc and calloc fail on demand there (out of memory)
signer_state_TEST_LDFLAGS := -Wl,--wrap=malloc -Wl,--wrap=calloc
t/unit/signer_state.test: $(signer_state_TEST_OBJS)

# connector/module.mk: the connector (its parts: connector/cn.h), the
# libp2p stack under it (TCP, multistream-select, Noise XX, yamux), and the
# tools and tests around it.
#
# Libraries beyond those every binary links ($(LIBS)): the connector and
# mkp2p reach cJSON through libcommon (envjson.o, pbjson.o); p2ptool
# needs nothing more.  None of them uses curl or libpq.

P2P_OBJS := connector/buf.o connector/varint.o connector/peerid.o \
	connector/multiaddr.o connector/mss.o connector/noise.o \
	connector/yamux.o connector/coord.o connector/conn.o connector/host.o

# connector: the binary.
BINS += connector/connector
connector_OBJS := connector/main.o connector/peer.o connector/creq.o \
	connector/relay.o connector/replay.o connector/status.o $(P2P_OBJS)
connector_LIBS := $(LIB_CJSON)
connector/connector: $(connector_OBJS)
MAN += connector/connector.8

# p2ptool: a libp2p node for the interop tests and benchmarks.
EXTRA_BINS += connector/p2ptool
p2ptool_OBJS := connector/p2ptool.o $(P2P_OBJS)
p2ptool_LIBS :=
connector/p2ptool: $(p2ptool_OBJS)
EXTRA_OBJS += $(p2ptool_OBJS)
CLEANFILES += connector/p2ptool

# mkp2p: P2pSend records for the connector's tests.
EXTRA_BINS += t/p2p/mkp2p
mkp2p_OBJS := t/p2p/mkp2p.o
mkp2p_LIBS := $(LIB_CJSON)
t/p2p/mkp2p: $(mkp2p_OBJS)
EXTRA_OBJS += $(mkp2p_OBJS)
CLEANFILES += t/p2p/mkp2p

UNIT_TESTS += t/unit/p2p-peerid.test t/unit/p2p-noise.test \
	t/unit/p2p-mss.test t/unit/p2p-yamux.test t/unit/p2p-conn.test
p2p-conn_TEST_OBJS := $(P2P_OBJS)
t/unit/p2p-conn.test: $(P2P_OBJS)
p2p-mss_TEST_OBJS := $(P2P_OBJS)
t/unit/p2p-mss.test: $(P2P_OBJS)
p2p-yamux_TEST_OBJS := $(P2P_OBJS)
t/unit/p2p-yamux.test: $(P2P_OBJS)
p2p-peerid_TEST_OBJS := $(P2P_OBJS)
t/unit/p2p-peerid.test: $(P2P_OBJS)
p2p-noise_TEST_OBJS := $(P2P_OBJS)
t/unit/p2p-noise.test: $(P2P_OBJS)

FUZZERS += t/fuzz/mss t/fuzz/noise t/fuzz/yamux
t/fuzz/mss_SRCS := connector/mss.c connector/buf.c connector/varint.c
t/fuzz/noise_SRCS := connector/noise.c connector/buf.c connector/varint.c \
	connector/peerid.c
t/fuzz/yamux_SRCS := connector/yamux.c connector/buf.c
CLEANFILES += t/fuzz/mss t/fuzz/noise t/fuzz/yamux

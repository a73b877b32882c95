# Serai Coordinator in C: one non-recursive GNU Makefile.
#
# Each directory contributes a fragment, DIR/module.mk, included below; a
# fragment appends to BINS, UNIT_TESTS, FUZZERS and CLEANFILES and names the
# objects of its binaries and the libraries each needs beyond LIBS (below).
# Everything is built in the source tree.
#
#   make                 build libcommon.a and every binary
#   make check           build, then run every test under prove
#   make demo            run the suite on the embedded defaults
#   make bench           run the benchmarks (not part of check)
#   make fuzz            run every fuzz target for FUZZ_SECONDS (clang)
#   make deps            install the missing Debian packages (apt-get),
#                        fetch the Go test peer's modules
#   make install         PREFIX=/usr/local SYSCONFDIR=/etc/serai-coordinator DESTDIR=
#   make SANITIZE=address,undefined check

VERSION    := 0.1.0
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc/serai-coordinator
DESTDIR    ?=

CC         ?= cc
PKG_CONFIG ?= pkg-config
PROTOC_C   ?= protoc-c
PROVE      ?= prove
FUZZ_SECONDS ?= 20

PKGS := rdkafka libprotobuf-c libsodium libcurl libcjson libpq

# Debian packages that provide the build and test dependencies.
DEB_BUILD := build-essential pkg-config librdkafka-dev libprotobuf-c-dev \
	protobuf-c-compiler libsodium-dev libcurl4-openssl-dev libcjson-dev \
	libpq-dev
DEB_TEST  := clang libclang-rt-14-dev perl kcat postgresql runit s6 \
	default-jre-headless@java maven@mvn nodejs@node npm@npm python3 \
	python3-venv jq curl procps psmisc iproute2 prometheus@promtool

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wformat=2 -Wundef -Wvla \
	-Wno-sign-compare
ifneq ($(WERROR),)
WARN += -Werror
endif

CFLAGS   ?= -O2 -g
CPPFLAGS += -I. -Ilibcommon -D_GNU_SOURCE -DVERSION='"$(VERSION)"'
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
ALL_CFLAGS = $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(WARN) -std=c11 -MMD -MP

# Libraries.  LIBS is what libcommon.a's users need (the bus, the
# envelope); a binary that needs more names it in NAME_LIBS (NAME: the
# binary's file name), from these, in its module.mk:
#   LIB_CJSON  JSON (-J on stdio, JSON Lines, JSON-RPC)
#   LIB_CURL   HTTP (JSON-RPC to a node)
#   LIB_PQ     PostgreSQL (the archiver's store)
# Empty on a machine without the libraries: pkgs-ok then says what to do.
pkg_libs    = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)
LIB_BASE   := $(call pkg_libs,rdkafka libprotobuf-c libsodium)
LIB_CJSON  := $(call pkg_libs,libcjson)
LIB_CURL   := $(call pkg_libs,libcurl)
LIB_PQ     := $(call pkg_libs,libpq)
LIB_ALL     = $(LIB_CJSON) $(LIB_CURL) $(LIB_PQ)
LIBS        = $(LIB_BASE) -lpthread -lm

ifneq ($(SANITIZE),)
CFLAGS  += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=$(SANITIZE)
endif

BINS       :=
UNIT_TESTS :=
FUZZERS    :=
CLEANFILES :=
MAN        :=
LIBCOMMON  := libcommon/libcommon.a

# Protocol buffers: every proto/*.proto is compiled by protoc-c into
# libcommon.a; generated files are never committed.
PROTOS     := $(sort $(wildcard proto/*.proto))
PROTO_C    := $(PROTOS:.proto=.pb-c.c)
PROTO_H    := $(PROTOS:.proto=.pb-c.h)
PROTO_OBJS := $(PROTOS:.proto=.pb-c.o)

all: build

# A change of compiler flags (SANITIZE=..., CFLAGS=...) rebuilds everything.
FLAGS_STAMP := .build-flags

include $(sort $(wildcard */module.mk */module-*.mk */*/module.mk))


OBJS := $(sort $(LIBCOMMON_OBJS) $(foreach b,$(BINS),$($(notdir $(b))_OBJS)) \
	$(foreach u,$(UNIT_TESTS),$(u:.test=.o)) $(EXTRA_OBJS))
DEPS := $(OBJS:.o=.d) $(PROTO_OBJS:.o=.d)

build: pkgs-ok $(LIBCOMMON) $(BINS) $(UNIT_TESTS) $(EXTRA_BINS)

# A clear word, not a missing header, when a library is not installed.
pkgs-ok:
	@$(PKG_CONFIG) --exists $(PKGS) 2>/dev/null || { \
	    echo "make: missing libraries ($(PKGS)): run make deps" >&2; \
	    exit 1; }

FLAGS_NOW   := $(CC) $(ALL_CFLAGS) $(LDFLAGS)
$(FLAGS_STAMP): FORCE
	@echo '$(FLAGS_NOW)' | cmp -s - $@ || echo '$(FLAGS_NOW)' > $@
FORCE:

proto/%.pb-c.c proto/%.pb-c.h: proto/%.proto
	$(PROTOC_C) --proto_path=proto --c_out=proto $<

# Generated code gets the warnings protoc-c's output is clean under.
$(PROTO_OBJS): %.o: %.c $(FLAGS_STAMP)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -std=c11 -MMD -MP -c -o $@ $<

%.o: %.c $(FLAGS_STAMP) | $(PROTO_H)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBCOMMON): $(LIBCOMMON_OBJS) $(PROTO_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(BINS) $(EXTRA_BINS): $(LIBCOMMON)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIBCOMMON) $(LIBS) $($(notdir $@)_LIBS)

# A unit test links every library: it tests a part of any binary.
%.test: %.o t/tap.o $(LIBCOMMON)
	$(CC) $(LDFLAGS) $($(notdir $*)_TEST_LDFLAGS) -o $@ $< t/tap.o \
		$($(notdir $*)_TEST_OBJS) $(LIBCOMMON) $(LIBS) $(LIB_ALL)

# ---------------------------------------------------------------- tests
TESTS = $(UNIT_TESTS) $(sort $(wildcard t/t[0-9]*.sh))
# Two test files at a time: most of a test's time is spent waiting (for a
# broker, a timeout, a peer), and each starts its own brokers, nodes and
# ports (random, on loopback).  -f -o: a failure's lines and every test's
# comments, which prove hides when it runs files in parallel.
PROVE_JOBS ?= 2
PROVE_FLAGS ?= -j$(PROVE_JOBS) -f -o --timer
# Tests that must have the machine to themselves, run after the others,
# one at a time: the demo listens on its fixed default ports (a dev node on
# 127.0.0.1:9944 that another test's "no dev node here" would find); the
# four-validator networks run twenty processes each against a chain that
# does not wait for them (two side by side on two cores fell behind its
# validator sets: key pairs refused as made for an earlier session).
TESTS_ALONE = $(wildcard t/t9[0-9]*.sh)

# check, bench, demo and fuzz-build install the missing packages first,
# then run make again for the work: the pkg-config flags above are computed
# when make reads this file, so a make started before the libraries were
# installed has none (a fresh machine's first run).
check: deps-check
	@$(MAKE) --no-print-directory check-run

# Both runs, whatever the first says: a failure in one must not hide the
# other's results.
check-run: build
	@rc=0; \
	$(PROVE) $(PROVE_FLAGS) $(filter-out $(TESTS_ALONE),$(TESTS)) || rc=1; \
	$(if $(filter $(TESTS_ALONE),$(TESTS)),$(PROVE) -f -o --timer \
	    $(filter $(TESTS_ALONE),$(TESTS)) || rc=1;) \
	exit $$rc

# One test or a few: make test T='t/t0100-config.sh t/unit/cfg.test'
test: build
	$(PROVE) -v $(T)

bench: deps-check
	@$(MAKE) --no-print-directory bench-run

bench-run: build
	sh t/bench/run.sh

# The network under random SIGKILLs for CHAOS_SECONDS (600), on the real
# broker (CHAOS_KAFKA=real); t/chaos/chaos.sh says what it checks.  Not
# part of check: t/t9500-chaos.sh runs a shorter one there.
CHAOS_SECONDS ?= 600
CHAOS_KAFKA ?= real
chaos: deps-check
	@$(MAKE) --no-print-directory chaos-run

chaos-run: build
	CHAOS_SECONDS=$(CHAOS_SECONDS) CHAOS_KAFKA=$(CHAOS_KAFKA) \
	    sh t/chaos/chaos.sh

demo: deps-check
	@$(MAKE) --no-print-directory demo-run

# In the terminal's foreground (fgrun), so that ^C reaches the demo's
# processes and not make, which would die of the SIGINT and report it.
demo-run: build
	t/fgrun/fgrun sh conf/demo.sh

# Fuzz targets (FUZZERS, t/fuzz/NAME.c plus t/fuzz/NAME_SRCS) are built
# with clang's libFuzzer from source, libcommon included, so the whole
# decoder is instrumented; each runs FUZZ_SECONDS.
FUZZ_CC    ?= clang
FUZZ_FLAGS ?= -g -O1 -fsanitize=fuzzer,address,undefined
LIBCOMMON_SRCS = $(LIBCOMMON_OBJS:.o=.c)
.SECONDEXPANSION:
$(FUZZERS): %: %.c $$($$@_SRCS) $$(LIBCOMMON_SRCS) $(PROTO_C) | $(PROTO_H)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(CPPFLAGS) $(PKG_CFLAGS) -o $@ \
		$(filter %.c,$^) $(LIBS) $(LIB_ALL)

fuzz-build: deps-check
	@$(MAKE) --no-print-directory $(FUZZERS)

fuzz: fuzz-build
	sh t/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZERS)

# ---------------------------------------------------------------- packages
deps:
	sh t/deps.sh install $(DEB_BUILD) $(DEB_TEST)
	sh t/deps.sh go t/p2p/go

deps-check:
	@sh t/deps.sh install $(DEB_BUILD) $(DEB_TEST)

# ---------------------------------------------------------------- install
# The man pages name the configuration as @SYSCONFDIR@/coordinator.ini;
# the reference file goes there unless the operator already has one.
install: build
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(SYSCONFDIR)
	install -m 0755 $(BINS) $(DESTDIR)$(BINDIR)
	for m in $(MAN); do \
		d=$(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/}; \
		sed 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' $$m >$$d && \
		chmod 0644 $$d || exit 1; done
	[ -e $(DESTDIR)$(SYSCONFDIR)/coordinator.ini ] || install -m 0644 \
	    conf/coordinator.ini $(DESTDIR)$(SYSCONFDIR)/coordinator.ini

uninstall:
	for b in $(BINS); do rm -f $(DESTDIR)$(BINDIR)/$${b##*/}; done
	for m in $(MAN); do \
		s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; done

clean:
	rm -f $(LIBCOMMON) $(BINS) $(EXTRA_BINS) $(UNIT_TESTS) $(OBJS) $(DEPS) \
		$(PROTO_C) $(PROTO_H) $(PROTO_OBJS) t/tap.o t/tap.d $(FLAGS_STAMP) \
		$(CLEANFILES) $(FUZZERS)
	rm -rf t/tmp

# Keep intermediate objects (unit test .o files) between runs.
.SECONDARY:

.PHONY: all build check check-run test bench bench-run chaos chaos-run demo demo-run fuzz \
	fuzz-build deps deps-check pkgs-ok install \
	uninstall clean FORCE

-include $(DEPS)

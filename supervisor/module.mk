# supervisor/module.mk: the process supervisor (issue 3).
BINS += supervisor/supervisor
supervisor_OBJS := supervisor/supervisor.o supervisor/runfile.o
supervisor/supervisor: $(supervisor_OBJS)
# No shared library it does not use (memory per supervised service is a
# goal of the supervisor): libc, and libsodium for libcommon's hex codec
# (cfg.c's hex values).
supervisor/supervisor: LDFLAGS += -Wl,--as-needed
MAN += supervisor/supervisor.8 supervisor/runfile.5

# The benchmark's programs (t/bench/supervisor.sh), libc only.
EXTRA_BINS += t/bench/supervisor/stamp t/bench/supervisor/restart
svbench_OBJS := t/bench/supervisor/stamp.o t/bench/supervisor/restart.o
EXTRA_OBJS += $(svbench_OBJS)
t/bench/supervisor/stamp: t/bench/supervisor/stamp.o
t/bench/supervisor/restart: t/bench/supervisor/restart.o
t/bench/supervisor/stamp t/bench/supervisor/restart: LDFLAGS += -Wl,--as-needed

# Unit test of the runfile helpers.
UNIT_TESTS += t/unit/sup_runfile.test
sup_runfile_TEST_OBJS := supervisor/runfile.o
t/unit/sup_runfile.test: $(sup_runfile_TEST_OBJS)

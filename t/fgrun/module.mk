# t/fgrun/module.mk: fgrun, which gives make demo's supervisor the terminal.
EXTRA_BINS += t/fgrun/fgrun
fgrun_OBJS := t/fgrun/fgrun.o
t/fgrun/fgrun: $(fgrun_OBJS)
EXTRA_OBJS += $(fgrun_OBJS)

# t/scale/module.mk: the polkadot-js reference check of the observer's
# SCALE/event decoder (t/t2001-scale-polkadot.sh).
EXTRA_BINS += t/scale/evcheck
evcheck_OBJS := t/scale/evcheck.o observer/scale.o observer/meta.o \
	observer/metadec.o observer/metakey.o
t/scale/evcheck: $(evcheck_OBJS)
evcheck_LIBS := $(LIB_CJSON)
EXTRA_OBJS += t/scale/evcheck.o
CLEANFILES += t/scale/evcheck

# libcommon/module.mk: what two or more binaries share.
LIBCOMMON_OBJS += libcommon/log.o libcommon/sig.o libcommon/cfg.o \
	libcommon/cfgschema.o libcommon/app.o libcommon/envelope.o \
	libcommon/msgtypes.o libcommon/dedupe.o libcommon/bus.o \
	libcommon/envjson.o libcommon/svc.o libcommon/pbjson.o \
	libcommon/inifile.o libcommon/clock.o libcommon/hex.o \
	libcommon/metrics.o libcommon/stfile.o

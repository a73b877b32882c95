# libcommon/module.mk: what two or more binaries share.
LIBCOMMON_OBJS += libcommon/log.o libcommon/sig.o libcommon/cfg.o \
	libcommon/cfgschema.o libcommon/app.o

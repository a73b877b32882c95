# t/devnode/module.mk: the Substrate JSON-RPC dev node (a test double).
EXTRA_OBJS += t/devnode/devmeta.o

# t/devnode/module.mk: the Substrate JSON-RPC dev node (a test double).
EXTRA_BINS += t/devnode/devnode
devnode_OBJS := t/devnode/devnode.o t/devnode/chain.o t/devnode/devmeta.o \
	observer/scale.o observer/meta.o observer/metadec.o observer/metakey.o
t/devnode/devnode: $(devnode_OBJS)
devnode_LIBS := $(LIB_CJSON)
EXTRA_OBJS += t/devnode/devnode.o t/devnode/chain.o t/devnode/devmeta.o
CLEANFILES += t/devnode/devnode

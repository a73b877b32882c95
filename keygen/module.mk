# keygen/module.mk: coord-keygen, the services' key maker.
BINS += keygen/coord-keygen
coord-keygen_OBJS := keygen/coord-keygen.o
keygen/coord-keygen: $(coord-keygen_OBJS)
MAN += keygen/coord-keygen.8

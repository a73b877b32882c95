# keygen/module.mk: coord-keygen, the services' key maker.
BINS += keygen/coord-keygen
coord-keygen_OBJS := keygen/coord-keygen.o
keygen/coord-keygen: $(coord-keygen_OBJS)
# libcommon's libraries only: no JSON, HTTP or PostgreSQL.
coord-keygen_LIBS :=
MAN += keygen/coord-keygen.8

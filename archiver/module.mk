# archiver/module.mk: the archiver (issue 7): encrypted archive in a file
# store or PostgreSQL, data requests, backups, restore and the drill.
ARCHIVER_LIB_OBJS := archiver/rec.o archiver/key.o archiver/store.o \
	archiver/store_file.o archiver/store_pg.o archiver/backup.o

BINS += archiver/archiver
archiver_OBJS := archiver/main.o archiver/query.o archiver/consume.o \
	$(ARCHIVER_LIB_OBJS)
archiver/archiver: $(archiver_OBJS)
archiver_LIBS := $(LIB_CJSON) $(LIB_PQ)
MAN += archiver/archiver.8

# archreq: a data request over the bus (operators, tests).
EXTRA_BINS += archiver/archreq
archreq_OBJS := archiver/archreq.o
archiver/archreq: $(archreq_OBJS)
archreq_LIBS := $(LIB_CJSON)
EXTRA_OBJS += archiver/archreq.o

FUZZERS += t/fuzz/backup
t/fuzz/backup_SRCS := $(ARCHIVER_LIB_OBJS:.o=.c)

UNIT_TESTS += t/unit/arch_rec.test t/unit/arch_fstore.test \
	t/unit/arch_backup.test
arch_rec_TEST_OBJS := $(ARCHIVER_LIB_OBJS)
t/unit/arch_rec.test: $(arch_rec_TEST_OBJS)
arch_fstore_TEST_OBJS := $(ARCHIVER_LIB_OBJS)
t/unit/arch_fstore.test: $(arch_fstore_TEST_OBJS)
arch_backup_TEST_OBJS := $(ARCHIVER_LIB_OBJS)
t/unit/arch_backup.test: $(arch_backup_TEST_OBJS)

/*
 * store_pg: the PostgreSQL backend, through libpq.
 *
 * The archiver creates and migrates its own schema: migrations[] is an
 * ordered list, schema_version records each one applied, and all of it runs
 * in one transaction under an advisory lock, so two archivers starting
 * together do not race.  A database with a newer schema than this archiver
 * knows is refused.
 *
 * A batch is one transaction: COPY (binary) straight into archive_record;
 * when that meets a record stored already (UNIQUE (topic, partition,
 * "offset") fails: a replay), the batch is rolled back to a savepoint and
 * goes again through a temporary staging table and INSERT ... SELECT ...
 * ON CONFLICT DO NOTHING, so a replay is harmless.  Batches keep to the
 * staging path until one of them is all new.
 * When the connection is lost the failing call sets store->temporary and
 * drops the connection; the next call connects again.
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "log.h"
#include "store.h"

#define PG_LOCK_ID	"736372617263"	/* advisory lock: "scarc" */
#define PG_FETCH	"FETCH 4096 FROM archive_cur"
#define COPY_FLUSH	(1024 * 1024)

struct pgstore {
	char		*conninfo;
	PGconn		*conn;
	int		 lost;		/* connection lost: log on reconnect */
	int		 replay;	/* the last batch met stored records */
};

struct pgbuf {
	uint8_t		*p;
	size_t		 len;
	size_t		 cap;
};

static const char *migrations[] = {
	/* 1: the records. */
	"CREATE TABLE archive_record ("
	" topic text COLLATE \"C\" NOT NULL,"
	" partition integer NOT NULL,"
	" \"offset\" bigint NOT NULL,"
	" msg_type bigint NOT NULL,"
	" intent bytea NOT NULL,"
	" sender text NOT NULL,"
	" time_ms bigint NOT NULL,"
	" key_id bytea NOT NULL,"
	" nonce bytea NOT NULL,"
	" body bytea NOT NULL,"
	" archived_at timestamptz NOT NULL DEFAULT now(),"
	" UNIQUE (topic, partition, \"offset\"));"
	/* Ciphertext does not compress: do not try. */
	"ALTER TABLE archive_record ALTER body SET STORAGE EXTERNAL;",
	/* 2: values kept for data requests. */
	"CREATE TABLE archive_kv ("
	" name text COLLATE \"C\" PRIMARY KEY,"
	" time_ms bigint NOT NULL,"
	" key_id bytea NOT NULL,"
	" nonce bytea NOT NULL,"
	" value bytea NOT NULL,"
	" updated_at timestamptz NOT NULL DEFAULT now());"
	"ALTER TABLE archive_kv ALTER value SET STORAGE EXTERNAL;",
};
#define NMIGRATIONS	((int)(sizeof(migrations) / sizeof(migrations[0])))

#define REC_COLS	"topic, partition, \"offset\", msg_type, intent, " \
			"sender, time_ms, key_id, nonce, body"
#define KV_COLS		"name, time_ms, key_id, nonce, value"

static int	pg_open(struct store *, const struct store_conf *, char *,
		    size_t);
static int	pg_put_batch(struct store *, const struct rec *, size_t,
		    size_t *, char *, size_t);
static int	pg_get(struct store *, const char *, int32_t, int64_t,
		    struct rec *, int *, char *, size_t);
static int	pg_iterate(struct store *, store_rec_cb *, void *, char *,
		    size_t);
static int	pg_kv_iterate(struct store *, store_kv_cb *, void *, char *,
		    size_t);
static int	pg_count(struct store *, uint64_t *, uint64_t *, char *,
		    size_t);
static int	pg_kv_put(struct store *, const struct kv *, char *, size_t);
static int	pg_kv_get(struct store *, const char *, struct kv *, int *,
		    char *, size_t);
static void	pg_close(struct store *);

static int	pg_connect(struct store *, char *, size_t);
static int	pg_migrate(PGconn *, char *, size_t);
static int	pg_fail(struct store *, PGresult *, const char *, char *,
		    size_t);
static int	pg_exec(struct store *, const char *, ExecStatusType,
		    char *, size_t);
static int	row_rec(PGresult *, int, struct rec *, char *, size_t);
static int	row_kv(PGresult *, int, struct kv *, char *, size_t);

const struct store_ops pgstore_ops = {
	"postgres",
	pg_open,
	pg_put_batch,
	pg_get,
	pg_iterate,
	pg_kv_iterate,
	pg_count,
	pg_kv_put,
	pg_kv_get,
	pg_close
};

static void
pg_notice(void *arg, const char *msg)
{
	(void)arg;
	log_debug("postgres: %.*s", (int)strcspn(msg, "\n"), msg);
}

/* Failures that may pass: connection, shutdown, resources, conflicts. */
static int
pg_transient(PGconn *conn, PGresult *res)
{
	const char *state;

	if (conn == NULL || PQstatus(conn) == CONNECTION_BAD)
		return 1;
	if (res == NULL ||
	    (state = PQresultErrorField(res, PG_DIAG_SQLSTATE)) == NULL)
		return 0;
	return strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0 ||
	    strncmp(state, "53", 2) == 0 || strcmp(state, "40001") == 0 ||
	    strcmp(state, "40P01") == 0;
}

/*
 * Report a failure: fill err, set temporary, roll back or drop the
 * connection.  Always returns -1.
 */
static int
pg_fail(struct store *st, PGresult *res, const char *what, char *err,
    size_t errlen)
{
	struct pgstore *pg = st->priv;
	const char *msg;
	PGresult *r;

	msg = res != NULL && PQresultErrorMessage(res)[0] != '\0' ?
	    PQresultErrorMessage(res) : pg->conn != NULL ?
	    PQerrorMessage(pg->conn) : "not connected";
	snprintf(err, errlen, "postgres: %s: %.*s", what,
	    (int)strcspn(msg, "\n"), msg);
	st->temporary = pg_transient(pg->conn, res);
	if (res != NULL)
		PQclear(res);
	if (pg->conn == NULL)
		return -1;
	if (PQstatus(pg->conn) == CONNECTION_BAD) {
		log_warnx("postgres: connection lost: %s", err);
		PQfinish(pg->conn);
		pg->conn = NULL;
		pg->lost = 1;
		st->temporary = 1;
		return -1;
	}
	/* Drain a COPY still in progress, then end the transaction. */
	while ((r = PQgetResult(pg->conn)) != NULL)
		PQclear(r);
	if (PQtransactionStatus(pg->conn) != PQTRANS_IDLE &&
	    (r = PQexec(pg->conn, "ROLLBACK")) != NULL)
		PQclear(r);
	return -1;
}

static int
pg_exec(struct store *st, const char *sql, ExecStatusType want, char *err,
    size_t errlen)
{
	struct pgstore *pg = st->priv;
	PGresult *res;

	res = PQexec(pg->conn, sql);
	if (res == NULL || PQresultStatus(res) != want)
		return pg_fail(st, res, sql, err, errlen);
	PQclear(res);
	return 0;
}

static int
pg_migrate(PGconn *conn, char *err, size_t errlen)
{
	PGresult *res;
	char sql[128];
	int cur, i;

#define EXEC_OK(q, want) do {						\
	res = PQexec(conn, (q));					\
	if (PQresultStatus(res) != (want)) {				\
		snprintf(err, errlen, "postgres: schema: %.*s",		\
		    (int)strcspn(PQresultErrorMessage(res), "\n"),	\
		    PQresultErrorMessage(res));				\
		PQclear(res);						\
		goto fail;						\
	}								\
} while (0)

	EXEC_OK("BEGIN", PGRES_COMMAND_OK);
	PQclear(res);
	EXEC_OK("SELECT pg_advisory_xact_lock(" PG_LOCK_ID ")",
	    PGRES_TUPLES_OK);
	PQclear(res);
	EXEC_OK("CREATE TABLE IF NOT EXISTS schema_version ("
	    " version integer PRIMARY KEY,"
	    " applied_at timestamptz NOT NULL DEFAULT now())",
	    PGRES_COMMAND_OK);
	PQclear(res);
	EXEC_OK("SELECT coalesce(max(version), 0) FROM schema_version",
	    PGRES_TUPLES_OK);
	cur = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (cur > NMIGRATIONS) {
		snprintf(err, errlen, "postgres: the database has schema "
		    "version %d, newer than this archiver knows (%d): use a "
		    "newer archiver", cur, NMIGRATIONS);
		goto fail;
	}
	for (i = cur; i < NMIGRATIONS; i++) {
		EXEC_OK(migrations[i], PGRES_COMMAND_OK);
		PQclear(res);
		snprintf(sql, sizeof(sql), "INSERT INTO schema_version "
		    "(version) VALUES (%d)", i + 1);
		EXEC_OK(sql, PGRES_COMMAND_OK);
		PQclear(res);
		log_info("postgres: schema migrated to version %d", i + 1);
	}
	EXEC_OK("COMMIT", PGRES_COMMAND_OK);
	PQclear(res);
	return 0;
 fail:
	if (PQstatus(conn) == CONNECTION_OK) {
		res = PQexec(conn, "ROLLBACK");
		PQclear(res);
	}
	return -1;
#undef EXEC_OK
}

static int
pg_connect(struct store *st, char *err, size_t errlen)
{
	struct pgstore *pg = st->priv;
	const char *kw[] = { "dbname", "fallback_application_name", NULL };
	const char *val[] = { pg->conninfo, "archiver", NULL };
	PGresult *res;
	PGconn *conn;

	if (pg->conn != NULL)
		return 0;
	conn = PQconnectdbParams(kw, val, 1);
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
		snprintf(err, errlen, "postgres: cannot connect: %.*s",
		    conn != NULL ? (int)strcspn(PQerrorMessage(conn), "\n") :
		    13, conn != NULL ? PQerrorMessage(conn) : "out of memory");
		PQfinish(conn);
		st->temporary = 1;
		return -1;
	}
	PQsetNoticeProcessor(conn, pg_notice, NULL);
	if (PQsetClientEncoding(conn, "UTF8") != 0)
		log_warnx("postgres: cannot set client encoding UTF8");
	if (pg_migrate(conn, err, errlen) == -1)
		goto fail;
	res = PQexec(conn, "CREATE TEMPORARY TABLE archive_stage ("
	    " topic text COLLATE \"C\", partition integer, \"offset\" bigint,"
	    " msg_type bigint, intent bytea, sender text, time_ms bigint,"
	    " key_id bytea, nonce bytea, body bytea) ON COMMIT DELETE ROWS");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		snprintf(err, errlen, "postgres: staging table: %.*s",
		    (int)strcspn(PQresultErrorMessage(res), "\n"),
		    PQresultErrorMessage(res));
		PQclear(res);
		goto fail;
	}
	PQclear(res);
	pg->conn = conn;
	if (pg->lost)
		log_info("postgres: reconnected");
	pg->lost = 0;
	return 0;
 fail:
	st->temporary = pg_transient(conn, NULL);
	PQfinish(conn);
	return -1;
}

static int
pg_open(struct store *st, const struct store_conf *conf, char *err,
    size_t errlen)
{
	struct pgstore *pg;

	if (conf->conninfo == NULL || conf->conninfo[0] == '\0') {
		snprintf(err, errlen, "postgres backend: [archive] conninfo "
		    "is empty");
		return -1;
	}
	if ((pg = calloc(1, sizeof(*pg))) == NULL ||
	    (pg->conninfo = strdup(conf->conninfo)) == NULL) {
		free(pg);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	st->priv = pg;
	if (pg_connect(st, err, errlen) == -1) {
		pg_close(st);
		return -1;
	}
	return 0;
}

static void
pg_close(struct store *st)
{
	struct pgstore *pg = st->priv;

	if (pg == NULL)
		return;
	PQfinish(pg->conn);
	free(pg->conninfo);
	free(pg);
	st->priv = NULL;
}

/* ------------------------------------------------------------ COPY binary */

static int
buf_grow(struct pgbuf *b, size_t n)
{
	uint8_t *p;
	size_t cap;

	if (b->len + n <= b->cap)
		return 0;
	cap = b->cap == 0 ? 2 * COPY_FLUSH : b->cap;
	while (cap < b->len + n)
		cap *= 2;
	if ((p = realloc(b->p, cap)) == NULL)
		return -1;
	b->p = p;
	b->cap = cap;
	return 0;
}

static void
buf_be16(struct pgbuf *b, uint16_t v)
{
	v = htons(v);
	memcpy(b->p + b->len, &v, 2);
	b->len += 2;
}

static void
buf_be32(struct pgbuf *b, uint32_t v)
{
	v = htonl(v);
	memcpy(b->p + b->len, &v, 4);
	b->len += 4;
}

static void
buf_field(struct pgbuf *b, const void *p, size_t n)
{
	buf_be32(b, (uint32_t)n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void
buf_int4(struct pgbuf *b, int32_t v)
{
	buf_be32(b, 4);
	buf_be32(b, (uint32_t)v);
}

static void
buf_int8(struct pgbuf *b, int64_t v)
{
	buf_be32(b, 8);
	buf_be32(b, (uint32_t)((uint64_t)v >> 32));
	buf_be32(b, (uint32_t)v);
}

static int
copy_rec(struct pgbuf *b, const struct rec *r)
{
	size_t tl = strlen(r->topic), sl = strlen(r->sender);

	if (buf_grow(b, 2 + 10 * 4 + tl + 4 + 8 + 8 + REC_INTENT_LEN + sl +
	    8 + REC_KEYID_LEN + REC_NONCE_LEN + r->ctlen) == -1)
		return -1;
	buf_be16(b, 10);
	buf_field(b, r->topic, tl);
	buf_int4(b, r->partition);
	buf_int8(b, r->offset);
	buf_int8(b, (int64_t)r->type);
	buf_field(b, r->intent, REC_INTENT_LEN);
	buf_field(b, r->sender, sl);
	buf_int8(b, r->time);
	buf_field(b, r->keyid, REC_KEYID_LEN);
	buf_field(b, r->nonce, REC_NONCE_LEN);
	buf_field(b, r->ct, r->ctlen);
	return 0;
}

static int
pg_put_batch(struct store *st, const struct rec *recs, size_t n,
    size_t *added, char *err, size_t errlen)
{
	static const uint8_t copyhdr[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
	struct pgstore *pg = st->priv;
	struct pgbuf b = { NULL, 0, 0 };
	const char *state;
	PGresult *res;
	size_t i;
	int fast, rc = -1;

	*added = 0;
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!rec_name_ok(recs[i].topic) ||
		    !rec_name_ok(recs[i].sender) || recs[i].partition < 0 ||
		    recs[i].offset < 0 || recs[i].ctlen < REC_TAG_LEN) {
			snprintf(err, errlen, "record %zu of the batch: bad "
			    "topic, sender, partition, offset or body", i);
			return -1;
		}
	if (pg_connect(st, err, errlen) == -1)
		return -1;
	if (pg_exec(st, "BEGIN", PGRES_COMMAND_OK, err, errlen) == -1)
		return -1;
	/*
	 * The fast path: COPY straight into the table.  A record stored
	 * already (a replay) makes it fail on the unique constraint; then the
	 * batch goes again through the staging table, ON CONFLICT DO NOTHING,
	 * and so do the next batches until one meets no stored record.
	 */
	fast = !pg->replay;
	if (fast && pg_exec(st, "SAVEPOINT fast", PGRES_COMMAND_OK, err,
	    errlen) == -1)
		return -1;
 again:
	res = PQexec(pg->conn, fast ? "COPY archive_record (" REC_COLS ") "
	    "FROM STDIN (FORMAT binary)" : "COPY archive_stage (" REC_COLS ") "
	    "FROM STDIN (FORMAT binary)");
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		pg_fail(st, res, "COPY", err, errlen);
		goto out;
	}
	PQclear(res);
	if (buf_grow(&b, sizeof(copyhdr)) == -1)
		goto nomem;
	memcpy(b.p, copyhdr, sizeof(copyhdr));
	b.len = sizeof(copyhdr);
	for (i = 0; i < n; i++) {
		if (copy_rec(&b, &recs[i]) == -1)
			goto nomem;
		if (b.len >= COPY_FLUSH || i + 1 == n) {
			if (i + 1 == n) {
				if (buf_grow(&b, 2) == -1)
					goto nomem;
				buf_be16(&b, 0xffff);
			}
			if (PQputCopyData(pg->conn, (const char *)b.p,
			    (int)b.len) != 1) {
				pg_fail(st, NULL, "COPY data", err, errlen);
				goto out;
			}
			b.len = 0;
		}
	}
	if (PQputCopyEnd(pg->conn, NULL) != 1) {
		pg_fail(st, NULL, "COPY end", err, errlen);
		goto out;
	}
	res = PQgetResult(pg->conn);
	if (fast && PQresultStatus(res) == PGRES_FATAL_ERROR &&
	    (state = PQresultErrorField(res, PG_DIAG_SQLSTATE)) != NULL &&
	    strcmp(state, "23505") == 0) {
		PQclear(res);
		while ((res = PQgetResult(pg->conn)) != NULL)
			PQclear(res);
		log_debug("postgres: batch of %zu meets stored records: "
		    "through the staging table", n);
		if (pg_exec(st, "ROLLBACK TO SAVEPOINT fast", PGRES_COMMAND_OK,
		    err, errlen) == -1)
			goto out;
		fast = 0;
		pg->replay = 1;
		b.len = 0;
		goto again;
	}
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		pg_fail(st, res, "COPY", err, errlen);
		goto out;
	}
	if (fast)
		*added = strtoul(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	while ((res = PQgetResult(pg->conn)) != NULL)
		PQclear(res);
	store_fault_point();
	if (!fast) {
		res = PQexec(pg->conn, "INSERT INTO archive_record (" REC_COLS
		    ") SELECT " REC_COLS " FROM archive_stage "
		    "ON CONFLICT (topic, partition, \"offset\") DO NOTHING");
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			pg_fail(st, res, "INSERT", err, errlen);
			goto out;
		}
		*added = strtoul(PQcmdTuples(res), NULL, 10);
		PQclear(res);
		/* Back to the fast path once a batch was all new. */
		pg->replay = *added < n;
	}
	if (pg_exec(st, "COMMIT", PGRES_COMMAND_OK, err, errlen) == -1) {
		*added = 0;
		goto out;
	}
	rc = 0;
	goto out;
 nomem:
	snprintf(err, errlen, "out of memory");
	PQputCopyEnd(pg->conn, "out of memory");
	pg_fail(st, NULL, "COPY", err, errlen);
	snprintf(err, errlen, "out of memory");
 out:
	free(b.p);
	return rc;
}

/* ------------------------------------------------------------ reading */

static int64_t
be64get(const char *p)
{
	uint32_t hi, lo;

	memcpy(&hi, p, 4);
	memcpy(&lo, p + 4, 4);
	return (int64_t)((uint64_t)ntohl(hi) << 32 | ntohl(lo));
}

static int32_t
be32get(const char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return (int32_t)ntohl(v);
}

static int
col_copy(PGresult *res, int row, int col, void *out, size_t len)
{
	if (PQgetisnull(res, row, col) ||
	    (size_t)PQgetlength(res, row, col) != len)
		return -1;
	memcpy(out, PQgetvalue(res, row, col), len);
	return 0;
}

static int
col_name(PGresult *res, int row, int col, char *out)
{
	size_t n = PQgetlength(res, row, col);

	if (PQgetisnull(res, row, col) || n > REC_NAME_MAX)
		return -1;
	memcpy(out, PQgetvalue(res, row, col), n);
	out[n] = '\0';
	return rec_name_ok(out) ? 0 : -1;
}

/* A row of REC_COLS in binary format; ct points into res. */
static int
row_rec(PGresult *res, int row, struct rec *r, char *err, size_t errlen)
{
	char v4[4], v8[8];
	int64_t type;

	memset(r, 0, sizeof(*r));
	if (col_name(res, row, 0, r->topic) == -1 ||
	    col_copy(res, row, 1, v4, 4) == -1)
		goto bad;
	r->partition = be32get(v4);
	if (col_copy(res, row, 2, v8, 8) == -1)
		goto bad;
	r->offset = be64get(v8);
	if (col_copy(res, row, 3, v8, 8) == -1)
		goto bad;
	type = be64get(v8);
	if (type < 0 || type > UINT32_MAX)
		goto bad;
	r->type = (uint32_t)type;
	if (col_copy(res, row, 4, r->intent, REC_INTENT_LEN) == -1 ||
	    col_name(res, row, 5, r->sender) == -1 ||
	    col_copy(res, row, 6, v8, 8) == -1)
		goto bad;
	r->time = be64get(v8);
	if (col_copy(res, row, 7, r->keyid, REC_KEYID_LEN) == -1 ||
	    col_copy(res, row, 8, r->nonce, REC_NONCE_LEN) == -1 ||
	    PQgetisnull(res, row, 9) ||
	    PQgetlength(res, row, 9) < REC_TAG_LEN)
		goto bad;
	r->ct = (const uint8_t *)PQgetvalue(res, row, 9);
	r->ctlen = PQgetlength(res, row, 9);
	return 0;
 bad:
	snprintf(err, errlen, "postgres: archive_record: malformed row "
	    "(%s/%d/%lld)", r->topic, (int)r->partition,
	    (long long)r->offset);
	return -1;
}

static int
row_kv(PGresult *res, int row, struct kv *k, char *err, size_t errlen)
{
	char v8[8];

	memset(k, 0, sizeof(*k));
	if (col_name(res, row, 0, k->name) == -1 ||
	    col_copy(res, row, 1, v8, 8) == -1)
		goto bad;
	k->time = be64get(v8);
	if (col_copy(res, row, 2, k->keyid, REC_KEYID_LEN) == -1 ||
	    col_copy(res, row, 3, k->nonce, REC_NONCE_LEN) == -1 ||
	    PQgetisnull(res, row, 4) ||
	    PQgetlength(res, row, 4) < REC_TAG_LEN)
		goto bad;
	k->ct = (const uint8_t *)PQgetvalue(res, row, 4);
	k->ctlen = PQgetlength(res, row, 4);
	return 0;
 bad:
	snprintf(err, errlen, "postgres: archive_kv: malformed row (%s)",
	    k->name);
	return -1;
}

static int
pg_get(struct store *st, const char *topic, int32_t part, int64_t off,
    struct rec *r, int *found, char *err, size_t errlen)
{
	struct pgstore *pg = st->priv;
	char ps[16], os[24];
	const char *params[3] = { topic, ps, os };
	PGresult *res;

	*found = 0;
	if (pg_connect(st, err, errlen) == -1)
		return -1;
	snprintf(ps, sizeof(ps), "%d", (int)part);
	snprintf(os, sizeof(os), "%lld", (long long)off);
	res = PQexecParams(pg->conn, "SELECT " REC_COLS " FROM archive_record "
	    "WHERE topic = $1 AND partition = $2 AND \"offset\" = $3", 3,
	    NULL, params, NULL, NULL, 1);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return pg_fail(st, res, "SELECT", err, errlen);
	if (PQntuples(res) == 1) {
		if (row_rec(res, 0, r, err, errlen) == -1 || rec_own(r) == -1) {
			PQclear(res);
			return -1;
		}
		*found = 1;
	}
	PQclear(res);
	return 0;
}

/* Walk a query through a cursor in one read-only snapshot. */
static int
pg_walk(struct store *st, const char *query, int kind, store_rec_cb *rcb,
    store_kv_cb *kcb, void *arg, char *err, size_t errlen)
{
	struct pgstore *pg = st->priv;
	char sql[512];
	PGresult *res;
	struct rec r;
	struct kv k;
	int i, n;

	if (pg_connect(st, err, errlen) == -1)
		return -1;
	if (pg_exec(st, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
	    PGRES_COMMAND_OK, err, errlen) == -1)
		return -1;
	snprintf(sql, sizeof(sql), "DECLARE archive_cur NO SCROLL CURSOR FOR "
	    "%s", query);
	if (pg_exec(st, sql, PGRES_COMMAND_OK, err, errlen) == -1)
		return -1;
	for (;;) {
		res = PQexecParams(pg->conn, PG_FETCH, 0, NULL, NULL, NULL,
		    NULL, 1);
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
			return pg_fail(st, res, "FETCH", err, errlen);
		if ((n = PQntuples(res)) == 0) {
			PQclear(res);
			break;
		}
		for (i = 0; i < n; i++) {
			if (kind == REC_KIND_RECORD ?
			    row_rec(res, i, &r, err, errlen) == -1 :
			    row_kv(res, i, &k, err, errlen) == -1)
				goto stop;
			if (kind == REC_KIND_RECORD ? rcb(arg, &r) == -1 :
			    kcb(arg, &k) == -1) {
				snprintf(err, errlen, "iteration stopped");
				goto stop;
			}
		}
		PQclear(res);
	}
	return pg_exec(st, "COMMIT", PGRES_COMMAND_OK, err, errlen);
 stop:
	PQclear(res);
	res = PQexec(pg->conn, "ROLLBACK");
	PQclear(res);
	return -1;
}

static int
pg_iterate(struct store *st, store_rec_cb *cb, void *arg, char *err,
    size_t errlen)
{
	return pg_walk(st, "SELECT " REC_COLS " FROM archive_record "
	    "ORDER BY topic, partition, \"offset\"", REC_KIND_RECORD, cb,
	    NULL, arg, err, errlen);
}

static int
pg_kv_iterate(struct store *st, store_kv_cb *cb, void *arg, char *err,
    size_t errlen)
{
	return pg_walk(st, "SELECT " KV_COLS " FROM archive_kv ORDER BY name",
	    REC_KIND_KV, NULL, cb, arg, err, errlen);
}

static int
pg_count(struct store *st, uint64_t *nrec, uint64_t *nkv, char *err,
    size_t errlen)
{
	struct pgstore *pg = st->priv;
	PGresult *res;

	if (pg_connect(st, err, errlen) == -1)
		return -1;
	res = PQexec(pg->conn, "SELECT (SELECT count(*) FROM archive_record),"
	    " (SELECT count(*) FROM archive_kv)");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return pg_fail(st, res, "count", err, errlen);
	*nrec = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	*nkv = strtoull(PQgetvalue(res, 0, 1), NULL, 10);
	PQclear(res);
	return 0;
}

static int
pg_kv_put(struct store *st, const struct kv *k, char *err, size_t errlen)
{
	struct pgstore *pg = st->priv;
	char ts[24];
	const char *params[5];
	int lens[5], fmts[5] = { 0, 0, 1, 1, 1 };
	PGresult *res;

	if (!rec_name_ok(k->name) || k->ctlen < REC_TAG_LEN) {
		snprintf(err, errlen, "kv entry: bad name or value");
		return -1;
	}
	if (pg_connect(st, err, errlen) == -1)
		return -1;
	snprintf(ts, sizeof(ts), "%lld", (long long)k->time);
	params[0] = k->name;
	params[1] = ts;
	params[2] = (const char *)k->keyid;
	params[3] = (const char *)k->nonce;
	params[4] = (const char *)k->ct;
	lens[0] = lens[1] = 0;
	lens[2] = REC_KEYID_LEN;
	lens[3] = REC_NONCE_LEN;
	lens[4] = (int)k->ctlen;
	res = PQexecParams(pg->conn, "INSERT INTO archive_kv (" KV_COLS ") "
	    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO UPDATE SET "
	    "time_ms = EXCLUDED.time_ms, key_id = EXCLUDED.key_id, "
	    "nonce = EXCLUDED.nonce, value = EXCLUDED.value, "
	    "updated_at = now()", 5, NULL, params, lens, fmts, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		return pg_fail(st, res, "kv put", err, errlen);
	PQclear(res);
	return 0;
}

static int
pg_kv_get(struct store *st, const char *name, struct kv *k, int *found,
    char *err, size_t errlen)
{
	struct pgstore *pg = st->priv;
	const char *params[1] = { name };
	PGresult *res;

	*found = 0;
	if (pg_connect(st, err, errlen) == -1)
		return -1;
	res = PQexecParams(pg->conn, "SELECT " KV_COLS " FROM archive_kv "
	    "WHERE name = $1", 1, NULL, params, NULL, NULL, 1);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return pg_fail(st, res, "kv get", err, errlen);
	if (PQntuples(res) == 1) {
		if (row_kv(res, 0, k, err, errlen) == -1 || kv_own(k) == -1) {
			PQclear(res);
			return -1;
		}
		*found = 1;
	}
	PQclear(res);
	return 0;
}

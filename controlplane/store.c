// SPDX-License-Identifier: GPL-2.0-only
/* The store over SQLite: schema, migrations, alerts, audit, rules, id map. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "store.h"

/* Rows deleted per transaction, and per call, by store_purge: a call
 * stalls the caller's loop for about 0.3 s at most (see the README). */
#define PURGE_CHUNK    5000
#define PURGE_CALL_MAX 20000

/*
 * Schema migrations: migrations[i] brings user_version i to i + 1, in one
 * transaction with the version bump.  Append only; never edit a released
 * step.  Tables are STRICT; the CHECKs repeat some C-side checks so that a
 * bug cannot store what the code would refuse.  JSON validity is checked in
 * C only: with trusted_schema off, SQLite refuses json_valid() in a CHECK.
 */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE alerts ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" ts INTEGER NOT NULL,"
	" last_seen INTEGER NOT NULL,"
	" count INTEGER NOT NULL DEFAULT 1,"
	" component TEXT NOT NULL,"
	" severity INTEGER NOT NULL CHECK (severity BETWEEN 0 AND 3),"
	" rule_id TEXT,"
	" action TEXT,"
	" src_ip TEXT,"
	" dst_ip TEXT,"
	" src_port INTEGER CHECK (src_port BETWEEN 0 AND 65535),"
	" dst_port INTEGER CHECK (dst_port BETWEEN 0 AND 65535),"
	" protocol TEXT,"
	" interface TEXT,"
	" message TEXT,"
	" dedup_key INTEGER NOT NULL,"
	" false_positive INTEGER NOT NULL DEFAULT 0"
	"  CHECK (false_positive IN (0, 1)),"
	" fp_by TEXT,"
	" fp_at INTEGER"
	") STRICT;"
	"CREATE INDEX alerts_dedup ON alerts (dedup_key, ts);"
	"CREATE INDEX alerts_ts ON alerts (ts);"
	"CREATE INDEX alerts_component ON alerts (component, id);"
	"CREATE INDEX alerts_fp ON alerts (id) WHERE false_positive = 1;"
	"CREATE TABLE audit ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" ts INTEGER NOT NULL,"
	" actor TEXT NOT NULL,"
	" action TEXT NOT NULL,"
	" object_type TEXT NOT NULL,"
	" object_id TEXT,"
	" before_json TEXT,"
	" after_json TEXT"
	") STRICT;"
	"CREATE INDEX audit_object ON audit (object_type, object_id, id);"
	"CREATE INDEX audit_ts ON audit (ts);"
	"CREATE TABLE rules ("
	" rule_id TEXT PRIMARY KEY NOT NULL,"
	" json TEXT NOT NULL,"
	" created_ts INTEGER NOT NULL,"
	" updated_ts INTEGER NOT NULL,"
	" created_by TEXT NOT NULL,"
	" updated_by TEXT NOT NULL"
	") STRICT;"
	"CREATE TABLE kernel_ids ("
	" kernel_id INTEGER PRIMARY KEY"
	"  CHECK (kernel_id BETWEEN 1 AND 4294967295),"
	" rule_id TEXT NOT NULL UNIQUE,"
	" created_ts INTEGER NOT NULL"
	") STRICT;",
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) ==
		       STORE_SCHEMA_VERSION,
	       "one migration per schema version");

#define ALERT_COLS                                                           \
	"id, ts, last_seen, count, component, severity, rule_id, action, "   \
	"src_ip, dst_ip, src_port, dst_port, protocol, interface, message, " \
	"false_positive, fp_by, fp_at"
#define AUDIT_COLS                                                     \
	"id, ts, actor, action, object_type, object_id, before_json, " \
	"after_json"
#define RULE_COLS \
	"rule_id, json, created_ts, updated_ts, created_by, updated_by"

/* Statements prepared once (on first use) and kept for the connection. */
enum stmt_id {
	S_BEGIN,
	S_BEGIN_READ,
	S_COMMIT,
	S_ROLLBACK,
	S_JSON_VALID,
	S_ALERT_FIND,
	S_ALERT_BUMP,
	S_ALERT_INSERT,
	S_ALERT_EVICT,
	S_ALERT_GET,
	S_ALERT_FP,
	S_AUDIT_INSERT,
	S_AUDIT_EVICT,
	S_RULE_GET,
	S_RULE_UPSERT,
	S_RULE_DEL,
	S_RULES_ALL,
	S_KID_GET,
	S_KID_REV,
	S_KID_INSERT,
	S_ALERT_PURGE,
	S_AUDIT_PURGE,
	N_STMT,
};

static const char *const stmt_sql[N_STMT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_BEGIN_READ] = "BEGIN",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_JSON_VALID] = "SELECT json_valid(?1)",
	[S_ALERT_FIND] = "SELECT id FROM alerts WHERE dedup_key = ?1"
			 " AND ts BETWEEN ?2 AND ?3 AND component = ?4"
			 " AND rule_id IS ?5 AND src_ip IS ?6 AND dst_ip IS ?7"
			 " AND dst_port IS ?8 AND protocol IS ?9"
			 " AND action IS ?10 ORDER BY ts DESC LIMIT 1",
	[S_ALERT_BUMP] = "UPDATE alerts SET count = count + 1,"
			 " last_seen = max(last_seen, ?2),"
			 " severity = max(severity, ?3) WHERE id = ?1",
	[S_ALERT_INSERT] =
		"INSERT INTO alerts (ts, last_seen, component, severity,"
		" rule_id, action, src_ip, dst_ip, src_port, dst_port,"
		" protocol, interface, message, dedup_key)"
		" VALUES (?1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
		" ?12, ?13)",
	[S_ALERT_EVICT] = "DELETE FROM alerts WHERE id IN"
			  " (SELECT id FROM alerts ORDER BY id LIMIT ?1)",
	[S_ALERT_GET] = "SELECT " ALERT_COLS " FROM alerts WHERE id = ?1",
	[S_ALERT_FP] = "UPDATE alerts SET false_positive = 1, fp_by = ?2,"
		       " fp_at = ?3 WHERE id = ?1",
	[S_AUDIT_INSERT] = "INSERT INTO audit (ts, actor, action, object_type,"
			   " object_id, before_json, after_json)"
			   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_AUDIT_EVICT] = "DELETE FROM audit WHERE id IN"
			  " (SELECT id FROM audit ORDER BY id LIMIT ?1)",
	[S_RULE_GET] = "SELECT " RULE_COLS " FROM rules WHERE rule_id = ?1",
	[S_RULE_UPSERT] =
		"INSERT INTO rules (rule_id, json, created_ts, updated_ts,"
		" created_by, updated_by) VALUES (?1, ?2, ?3, ?3, ?4, ?4)"
		" ON CONFLICT (rule_id) DO UPDATE SET json = excluded.json,"
		" updated_ts = excluded.updated_ts,"
		" updated_by = excluded.updated_by",
	[S_RULE_DEL] = "DELETE FROM rules WHERE rule_id = ?1",
	[S_RULES_ALL] =
		"SELECT " RULE_COLS " FROM rules ORDER BY created_ts, rule_id",
	[S_KID_GET] = "SELECT kernel_id FROM kernel_ids WHERE rule_id = ?1",
	[S_KID_REV] = "SELECT rule_id FROM kernel_ids WHERE kernel_id = ?1",
	[S_KID_INSERT] = "INSERT INTO kernel_ids (kernel_id, rule_id,"
			 " created_ts) VALUES (?1, ?2, ?3)",
	/* through the ts index, oldest first */
	[S_ALERT_PURGE] = "DELETE FROM alerts WHERE id IN (SELECT id FROM"
			  " alerts WHERE ts < ?1 LIMIT ?2)",
	[S_AUDIT_PURGE] = "DELETE FROM audit WHERE id IN (SELECT id FROM"
			  " audit WHERE ts < ?1 LIMIT ?2)",
};

struct store {
	sqlite3 *db;		    /* owned */
	sqlite3_stmt *stmt[N_STMT]; /* owned, prepared on first use */
	struct store_opts o;	    /* with the defaults filled in */
	struct store_stats stats;   /* committed */
	/* Deltas of the open write transaction, merged into stats at commit
	 * (row deltas are modular: adding (uint64_t)-n subtracts n). */
	struct store_stats tx;
	uint64_t kid_next; /* next kernel id to allocate (committed) */
	char err[STORE_ERR_LEN];
#ifdef STORE_TESTING
	int (*hook)(const char *point, void *userdata);
	void *hook_ud;
#endif
};

static int hook(struct store *st, const char *point)
{
#ifdef STORE_TESTING
	int err = st->hook ? st->hook(point, st->hook_ud) : 0;

	if (err) {
		snprintf(st->err, sizeof(st->err), "test hook at %s: %s", point,
			 strerror(err));
		return -err;
	}
#endif
	return 0;
}

#ifdef STORE_TESTING
void store_test_hook(struct store *st,
		     int (*fn)(const char *point, void *userdata),
		     void *userdata)
{
	st->hook = fn;
	st->hook_ud = userdata;
}
#endif

__attribute__((format(printf, 3, 4))) static int fail(struct store *st, int err,
						      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
	return err;
}

/* Put "prefix: " before the message of the last failure. */
__attribute__((format(printf, 3, 4))) static int
fail_prefix(struct store *st, int err, const char *fmt, ...)
{
	char old[STORE_ERR_LEN];
	va_list ap;
	int n;

	memcpy(old, st->err, sizeof(old));
	va_start(ap, fmt);
	n = vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(st->err))
		snprintf(st->err + n, sizeof(st->err) - (size_t)n, ": %s", old);
	return err;
}

/* SQLite's (extended) result code as -errno. */
static int sqlite_errno(sqlite3 *db, int rc)
{
	int sys;

	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_IOERR:
		return rc == SQLITE_IOERR_NOMEM ? -ENOMEM : -EIO;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_FORMAT:
		return -EUCLEAN;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CANTOPEN:
		sys = db ? sqlite3_system_errno(db) : 0;
		return sys > 0 ? -sys : -EACCES;
	case SQLITE_PERM:
		return -EPERM;
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CONSTRAINT:
		return rc == SQLITE_CONSTRAINT_UNIQUE ||
				       rc == SQLITE_CONSTRAINT_PRIMARYKEY
			       ? -EEXIST
			       : -EINVAL;
	case SQLITE_TOOBIG:
		return -E2BIG;
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
	case SQLITE_MISUSE:
		return -EINVAL;
	case SQLITE_INTERRUPT:
		return -EINTR;
	case SQLITE_ABORT:
		return -ECANCELED;
	case SQLITE_SCHEMA:
		return -EAGAIN;
	case SQLITE_PROTOCOL:
		return -EPROTO;
	case SQLITE_NOLFS:
		return -EFBIG;
	case SQLITE_NOTFOUND:
		return -ENOENT;
	default:
		return -EIO;
	}
}

/* Record SQLite's failure rc while doing what; returns it as -errno. */
static int db_fail(struct store *st, int rc, const char *what)
{
	int err = sqlite_errno(st->db, rc);

	return fail(st, err ? err : -EIO, "%s: %s", what,
		    sqlite3_errmsg(st->db));
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* The cached statement id, reset and unbound. */
static int stmt(struct store *st, enum stmt_id id, sqlite3_stmt **ret)
{
	int rc;

	*ret = NULL;
	if (!st->stmt[id]) {
		rc = sqlite3_prepare_v3(st->db, stmt_sql[id], -1,
					SQLITE_PREPARE_PERSISTENT,
					&st->stmt[id], NULL);
		if (rc != SQLITE_OK)
			return db_fail(st, rc, "prepare");
	}
	*ret = st->stmt[id];
	return 0;
}

static void stmt_done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

/* Run a cached statement that returns no row. */
static int exec_stmt(struct store *st, enum stmt_id id, const char *what)
{
	sqlite3_stmt *s;
	int rc, err;

	err = stmt(st, id, &s);
	if (err)
		return err;
	rc = sqlite3_step(s);
	err = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : db_fail(st, rc, what);
	stmt_done(s);
	return err;
}

/* Step a bound statement to completion (an INSERT, UPDATE or DELETE). */
static int step_done(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	int err = rc == SQLITE_DONE ? 0 : db_fail(st, rc, what);

	stmt_done(s);
	return err;
}

static int bind_text(sqlite3_stmt *s, int i, const char *v)
{
	return v ? sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC)
		 : sqlite3_bind_null(s, i);
}

static int bind_port(sqlite3_stmt *s, int i, int32_t port)
{
	return port >= 0 ? sqlite3_bind_int(s, i, port)
			 : sqlite3_bind_null(s, i);
}

static int tx_begin(struct store *st)
{
	memset(&st->tx, 0, sizeof(st->tx));
	return exec_stmt(st, S_BEGIN, "begin");
}

static void tx_rollback(struct store *st)
{
	memset(&st->tx, 0, sizeof(st->tx));
	if (!sqlite3_get_autocommit(st->db))
		exec_stmt(st, S_ROLLBACK, "rollback");
}

static void stats_add(struct store_stats *a, const struct store_stats *d)
{
	uint64_t *x = (uint64_t *)a;
	const uint64_t *y = (const uint64_t *)d;

	for (size_t i = 0; i < sizeof(*a) / sizeof(uint64_t); i++)
		x[i] += y[i];
}

/* Commit (rolling back on failure) and account the transaction. */
static int tx_commit(struct store *st)
{
	int err = hook(st, "before_commit");

	if (!err)
		err = exec_stmt(st, S_COMMIT, "commit");
	if (err) {
		tx_rollback(st);
		return err;
	}
	stats_add(&st->stats, &st->tx);
	st->kid_next += st->tx.kernel_ids_rows;
	memset(&st->tx, 0, sizeof(st->tx));
	return 0;
}

/* Finish a write transaction: commit if err is 0, else roll back. */
static int tx_end(struct store *st, int err)
{
	if (err) {
		tx_rollback(st);
		return err;
	}
	return tx_commit(st);
}

/* Checks of caller input; the message names the field. */
static int check_str(struct store *st, const char *what, const char *s,
		     size_t max, bool required)
{
	size_t n;

	if (!s)
		return required ? fail(st, -EINVAL, "%s: missing", what) : 0;
	n = strnlen(s, max + 1);
	if (required && !n)
		return fail(st, -EINVAL, "%s: empty", what);
	if (n > max)
		return fail(st, -E2BIG, "%s: longer than %zu bytes", what, max);
	return 0;
}

static int check_ts(struct store *st, const char *what, uint64_t ts)
{
	return ts > INT64_MAX ? fail(st, -EINVAL, "%s: %llu out of range", what,
				     (unsigned long long)ts)
			      : 0;
}

/* NULL, or bounded and valid JSON. */
static int check_json(struct store *st, const char *what, const char *json)
{
	sqlite3_stmt *s;
	int err, rc, valid = 0;

	if (!json)
		return 0;
	err = check_str(st, what, json, STORE_JSON_MAX, true);
	if (!err)
		err = stmt(st, S_JSON_VALID, &s);
	if (err)
		return err;
	bind_text(s, 1, json);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		valid = sqlite3_column_int(s, 0);
	else
		err = db_fail(st, rc, what);
	stmt_done(s);
	if (!err && !valid)
		err = fail(st, -EINVAL, "%s: not valid JSON", what);
	return err;
}

static int check_page(struct store *st, const struct store_page *pg,
		      uint32_t *limit)
{
	*limit = pg && pg->limit ? pg->limit : STORE_LIST_DEFAULT;
	if (*limit > STORE_LIST_MAX)
		return fail(st, -EINVAL, "limit: %u is more than %u", *limit,
			    STORE_LIST_MAX);
	if (pg && (pg->offset > INT64_MAX || pg->cursor > INT64_MAX))
		return fail(st, -EINVAL, "offset or cursor out of range");
	return 0;
}

const char *store_errmsg(const struct store *st)
{
	return st ? st->err : "";
}

static const char *const sev_names[] = {"low", "medium", "high", "critical"};

const char *store_severity_name(enum store_severity s)
{
	return (unsigned int)s <= STORE_SEV_CRITICAL ? sev_names[s] : NULL;
}

int store_severity_parse(const char *s, enum store_severity *ret)
{
	for (int i = 0; s && i <= STORE_SEV_CRITICAL; i++) {
		if (!strcmp(s, sev_names[i])) {
			*ret = (enum store_severity)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* Open, schema. */

static int exec_sql(struct store *st, const char *sql, const char *what)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : db_fail(st, rc, what);
}

/* A single-integer query. */
static int query_i64(struct store *st, const char *sql, int64_t *ret)
{
	sqlite3_stmt *s;
	int rc, err = 0;

	rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return db_fail(st, rc, sql);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*ret = sqlite3_column_int64(s, 0);
	else
		err = rc == SQLITE_DONE ? fail(st, -EIO, "%s: no row", sql)
					: db_fail(st, rc, sql);
	sqlite3_finalize(s);
	return err;
}

/* A pragma that answers a text row, checked against want. */
static int pragma_expect(struct store *st, const char *sql, const char *want)
{
	sqlite3_stmt *s;
	const char *got;
	int rc, err = 0;

	rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return db_fail(st, rc, sql);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW)
		err = db_fail(st, rc, sql);
	got = err ? NULL : (const char *)sqlite3_column_text(s, 0);
	if (!err && (!got || strcmp(got, want)))
		err = fail(st, -EIO, "%s: answered %s, not %s", sql,
			   got ? got : "nothing", want);
	sqlite3_finalize(s);
	return err;
}

static int migrate(struct store *st)
{
	char sql[64];
	int64_t v;
	int err;

	err = query_i64(st, "PRAGMA user_version", &v);
	if (err)
		return err;
	if (v > STORE_SCHEMA_VERSION)
		return fail(st, -EPROTONOSUPPORT,
			    "schema version %lld is newer than this program's "
			    "(%d)",
			    (long long)v, STORE_SCHEMA_VERSION);
	if (v < 0)
		return fail(st, -EUCLEAN, "schema version %lld", (long long)v);
	for (; v < STORE_SCHEMA_VERSION; v++) {
		err = exec_sql(st, "BEGIN IMMEDIATE", "begin");
		if (!err)
			err = exec_sql(st, migrations[v], "schema");
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %lld",
			 (long long)v + 1);
		if (!err)
			err = exec_sql(st, sql, "user_version");
		if (!err)
			err = exec_sql(st, "COMMIT", "commit");
		if (err) {
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			return fail_prefix(st, err, "migration to schema %lld",
					   (long long)v + 1);
		}
	}
	return 0;
}

static int load_counts(struct store *st)
{
	int64_t v[5];
	static const char *const sql[5] = {
		"SELECT count(*) FROM alerts",
		"SELECT count(*) FROM audit",
		"SELECT count(*) FROM rules",
		"SELECT count(*) FROM kernel_ids",
		"SELECT ifnull(max(kernel_id), 0) + 1 FROM kernel_ids",
	};
	int err;

	for (int i = 0; i < 5; i++) {
		err = query_i64(st, sql[i], &v[i]);
		if (err)
			return err;
	}
	st->stats.alerts_rows = (uint64_t)v[0];
	st->stats.audit_rows = (uint64_t)v[1];
	st->stats.rules_rows = (uint64_t)v[2];
	st->stats.kernel_ids_rows = (uint64_t)v[3];
	st->kid_next = (uint64_t)v[4];
	return 0;
}

static int make_dir(struct store *st, const char *dir)
{
	struct stat sb;

	if (!mkdir(dir, 0700))
		return 0;
	if (errno != EEXIST)
		return fail(st, -errno, "state directory %s: %s", dir,
			    strerror(errno));
	if (stat(dir, &sb))
		return fail(st, -errno, "state directory %s: %s", dir,
			    strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return fail(st, -ENOTDIR, "state directory %s: not a directory",
			    dir);
	return 0;
}

static int open_db(struct store *st, const char *path)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
		    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW |
		    SQLITE_OPEN_EXRESCODE;
	char what[PATH_MAX + 16];
	int rc, err;

	snprintf(what, sizeof(what), "%s", path);
	rc = sqlite3_open_v2(path, &st->db, flags, NULL);
	if (rc != SQLITE_OK)
		return st->db ? db_fail(st, rc, what)
			      : fail(st, -ENOMEM, "%s: out of memory", path);
	/* The -wal and -shm files take the database file's mode. */
	if (chmod(path, 0600) && errno != EPERM)
		return fail(st, -errno, "%s: %s", path, strerror(errno));
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_busy_timeout(st->db, (int)st->o.busy_timeout_ms);
	/*
	 * WAL: readers never block the writer, a commit appends to one file.
	 * synchronous=FULL: the WAL is fsynced at every commit, so what
	 * committed survives a power cut, not only kill -9 (NORMAL would
	 * only survive the latter).  We pay one fsync per transaction and
	 * batch alerts to amortise it.
	 */
	/* Takes effect on a new file only (before WAL mode and the first
	 * table): lets store_purge give freed pages back to the file system.
	 * A no-op on an existing database. */
	err = exec_sql(st, "PRAGMA auto_vacuum = INCREMENTAL", "auto_vacuum");
	if (!err)
		err = pragma_expect(st, "PRAGMA journal_mode = WAL", "wal");
	if (!err)
		err = exec_sql(st, "PRAGMA synchronous = FULL", "synchronous");
	if (!err)
		err = exec_sql(st, "PRAGMA foreign_keys = ON", "foreign_keys");
	/* the WAL file is truncated to 64 MiB after a checkpoint */
	if (!err)
		err = exec_sql(st, "PRAGMA journal_size_limit = 67108864",
			       "journal_size_limit");
	if (err)
		return fail_prefix(st, err, "%s", path);
	return 0;
}

int store_open(const char *state_dir, const struct store_opts *o,
	       struct store **ret, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct store *st;
	int r;

	st = calloc(1, sizeof(*st));
	if (!st) {
		if (err && errlen)
			snprintf(err, errlen, "store: out of memory");
		return -ENOMEM;
	}
	if (o)
		st->o = *o;
	if (!st->o.busy_timeout_ms)
		st->o.busy_timeout_ms = STORE_DEFAULT_BUSY_MS;
	if (!st->o.alerts_max_rows)
		st->o.alerts_max_rows = STORE_DEFAULT_ALERTS_MAX;
	if (!st->o.audit_max_rows)
		st->o.audit_max_rows = STORE_DEFAULT_AUDIT_MAX;
	if (!st->o.rules_max)
		st->o.rules_max = STORE_DEFAULT_RULES_MAX;
	if (!st->o.kernel_ids_max)
		st->o.kernel_ids_max = STORE_DEFAULT_KERNEL_IDS_MAX;
	if (st->o.busy_timeout_ms > INT_MAX)
		st->o.busy_timeout_ms = INT_MAX;

	if (!state_dir || !*state_dir)
		r = fail(st, -EINVAL, "state directory: missing");
	else if ((size_t)snprintf(path, sizeof(path), "%s/%s", state_dir,
				  STORE_DB_NAME) >= sizeof(path))
		r = fail(st, -ENAMETOOLONG, "state directory %s: too long",
			 state_dir);
	else
		r = make_dir(st, state_dir);
	if (!r)
		r = open_db(st, path);
	if (!r)
		r = migrate(st);
	if (!r)
		r = load_counts(st);
	if (r) {
		if (err && errlen)
			snprintf(err, errlen, "%s", st->err);
		store_close(st);
		return r;
	}
	st->err[0] = '\0';
	*ret = st;
	return 0;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	for (int i = 0; i < N_STMT; i++)
		sqlite3_finalize(st->stmt[i]);
	/* The last connection checkpoints and removes the WAL. */
	sqlite3_close(st->db);
	free(st);
}

void store_stats(const struct store *st, struct store_stats *ret)
{
	*ret = st->stats;
}

int store_integrity_check(struct store *st)
{
	sqlite3_stmt *s;
	const char *msg;
	int rc, err = 0;

	rc = sqlite3_prepare_v2(st->db, "PRAGMA integrity_check(1)", -1, &s,
				NULL);
	if (rc != SQLITE_OK)
		return db_fail(st, rc, "integrity_check");
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		err = db_fail(st, rc, "integrity_check");
	} else {
		msg = (const char *)sqlite3_column_text(s, 0);
		if (!msg || strcmp(msg, "ok"))
			err = fail(st, -EUCLEAN, "integrity_check: %s",
				   msg ? msg : "no answer");
	}
	sqlite3_finalize(s);
	return err;
}

/* Alerts. */

/* FNV-1a over the dedup fields, NULLs distinct from "" (the query
 * compares the fields themselves: the hash only narrows the search). */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
	static const unsigned char null_mark = 0xff, end = 0;

	if (!s)
		return fnv(h, &null_mark, 1);
	return fnv(fnv(h, s, strlen(s)), &end, 1);
}

static int64_t dedup_key(const struct store_alert *a)
{
	int32_t port = a->dst_port < 0 ? -1 : a->dst_port;
	uint64_t h = 0xcbf29ce484222325ull;

	h = fnv_str(h, a->component);
	h = fnv_str(h, a->rule_id);
	h = fnv_str(h, a->src_ip);
	h = fnv_str(h, a->dst_ip);
	h = fnv(h, &port, sizeof(port));
	h = fnv_str(h, a->protocol);
	h = fnv_str(h, a->action);
	return (int64_t)h;
}

static int check_alert(struct store *st, const struct store_alert *a)
{
	int err;

	err = check_str(st, "alert component", a->component,
			STORE_COMPONENT_MAX, true);
	if (!err && (unsigned int)a->severity > STORE_SEV_CRITICAL)
		err = fail(st, -EINVAL, "alert severity: %d out of range",
			   (int)a->severity);
	if (!err)
		err = check_ts(st, "alert ts", a->ts);
	if (!err)
		err = check_str(st, "alert rule_id", a->rule_id, STORE_ID_MAX,
				false);
	if (!err)
		err = check_str(st, "alert action", a->action, STORE_WORD_MAX,
				false);
	if (!err)
		err = check_str(st, "alert src_ip", a->src_ip, STORE_IP_MAX,
				false);
	if (!err)
		err = check_str(st, "alert dst_ip", a->dst_ip, STORE_IP_MAX,
				false);
	if (!err && (a->src_port > 65535 || a->dst_port > 65535))
		err = fail(st, -EINVAL, "alert port: %d out of range",
			   a->src_port > 65535 ? a->src_port : a->dst_port);
	if (!err)
		err = check_str(st, "alert protocol", a->protocol,
				STORE_WORD_MAX, false);
	if (!err)
		err = check_str(st, "alert interface", a->interface,
				STORE_IFNAME_MAX, false);
	if (!err)
		err = check_str(st, "alert message", a->message,
				STORE_MESSAGE_MAX, false);
	return err;
}

/* Inside a transaction: fold a into its duplicate or insert it. */
static int alert_add_one(struct store *st, const struct store_alert *a,
			 uint64_t window, uint64_t now, uint64_t *ret_id,
			 bool *ret_deduped)
{
	uint64_t ts = a->ts ? a->ts : now;
	int64_t key = dedup_key(a);
	sqlite3_stmt *s;
	int64_t id = 0;
	int rc, err;

	if (window) {
		uint64_t lo = ts > window ? ts - window : 0;
		uint64_t hi = ts + window < ts || ts + window > INT64_MAX
				      ? INT64_MAX
				      : ts + window;

		err = stmt(st, S_ALERT_FIND, &s);
		if (err)
			return err;
		sqlite3_bind_int64(s, 1, key);
		sqlite3_bind_int64(s, 2, (int64_t)lo);
		sqlite3_bind_int64(s, 3, (int64_t)hi);
		bind_text(s, 4, a->component);
		bind_text(s, 5, a->rule_id);
		bind_text(s, 6, a->src_ip);
		bind_text(s, 7, a->dst_ip);
		bind_port(s, 8, a->dst_port);
		bind_text(s, 9, a->protocol);
		bind_text(s, 10, a->action);
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			id = sqlite3_column_int64(s, 0);
		err = rc == SQLITE_ROW || rc == SQLITE_DONE
			      ? 0
			      : db_fail(st, rc, "alert dedup lookup");
		stmt_done(s);
		if (err)
			return err;
	}
	if (id) {
		err = stmt(st, S_ALERT_BUMP, &s);
		if (err)
			return err;
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, (int64_t)ts);
		sqlite3_bind_int(s, 3, (int)a->severity);
		err = step_done(st, s, "alert dedup");
		if (err)
			return err;
		st->tx.alerts_deduped++;
		*ret_id = (uint64_t)id;
		*ret_deduped = true;
		return 0;
	}
	err = stmt(st, S_ALERT_INSERT, &s);
	if (err)
		return err;
	sqlite3_bind_int64(s, 1, (int64_t)ts);
	bind_text(s, 2, a->component);
	sqlite3_bind_int(s, 3, (int)a->severity);
	bind_text(s, 4, a->rule_id);
	bind_text(s, 5, a->action);
	bind_text(s, 6, a->src_ip);
	bind_text(s, 7, a->dst_ip);
	bind_port(s, 8, a->src_port);
	bind_port(s, 9, a->dst_port);
	bind_text(s, 10, a->protocol);
	bind_text(s, 11, a->interface);
	bind_text(s, 12, a->message);
	sqlite3_bind_int64(s, 13, key);
	err = step_done(st, s, "alert insert");
	if (err)
		return err;
	st->tx.alerts_added++;
	st->tx.alerts_rows++;
	*ret_id = (uint64_t)sqlite3_last_insert_rowid(st->db);
	*ret_deduped = false;
	return 0;
}

/* Inside a transaction: evict the oldest rows beyond the bound of a table
 * whose committed and pending row counts are rows and tx_rows. */
static int evict(struct store *st, enum stmt_id id, uint64_t max, uint64_t rows,
		 uint64_t *tx_rows, uint64_t *tx_evicted)
{
	uint64_t n = rows + *tx_rows;
	sqlite3_stmt *s;
	int err;

	if (n <= max)
		return 0;
	err = stmt(st, id, &s);
	if (err)
		return err;
	sqlite3_bind_int64(s, 1, (int64_t)(n - max));
	err = step_done(st, s, "evict");
	if (err)
		return err;
	n = (uint64_t)sqlite3_changes64(st->db);
	*tx_rows -= n;
	*tx_evicted += n;
	return 0;
}

int store_alert_add_batch(struct store *st, const struct store_alert *a,
			  size_t n, uint64_t dedup_window_ns, uint64_t *ret_ids,
			  bool *ret_deduped)
{
	uint64_t *ids = NULL, now = now_ns();
	bool *dd = NULL;
	int err = 0;

	if (n > STORE_BATCH_MAX)
		return fail(st, -E2BIG, "alert batch: %zu alerts, at most %d",
			    n, STORE_BATCH_MAX);
	if (!n)
		return 0;
	for (size_t i = 0; i < n && !err; i++) {
		err = check_alert(st, &a[i]);
		if (err && n > 1)
			fail_prefix(st, err, "alert %zu of the batch", i);
	}
	if (err)
		return err;
	/* the caller's arrays are written only once committed */
	ids = calloc(n, sizeof(*ids));
	dd = calloc(n, sizeof(*dd));
	if (!ids || !dd) {
		err = fail(st, -ENOMEM, "alert batch: out of memory");
		goto out;
	}
	err = tx_begin(st);
	if (err)
		goto out;
	for (size_t i = 0; i < n && !err; i++)
		err = alert_add_one(st, &a[i], dedup_window_ns, now, &ids[i],
				    &dd[i]);
	if (!err)
		err = evict(st, S_ALERT_EVICT, st->o.alerts_max_rows,
			    st->stats.alerts_rows, &st->tx.alerts_rows,
			    &st->tx.alerts_evicted);
	err = tx_end(st, err);
	if (err)
		goto out;
	if (ret_ids)
		memcpy(ret_ids, ids, n * sizeof(*ids));
	if (ret_deduped)
		memcpy(ret_deduped, dd, n * sizeof(*dd));
out:
	free(ids);
	free(dd);
	return err;
}

int store_alert_add(struct store *st, const struct store_alert *a,
		    uint64_t dedup_window_ns, uint64_t *ret_id,
		    bool *ret_deduped)
{
	uint64_t id;
	bool d;
	int err;

	err = check_alert(st, a);
	if (!err)
		err = tx_begin(st);
	if (err)
		return err;
	err = alert_add_one(st, a, dedup_window_ns, now_ns(), &id, &d);
	if (!err)
		err = evict(st, S_ALERT_EVICT, st->o.alerts_max_rows,
			    st->stats.alerts_rows, &st->tx.alerts_rows,
			    &st->tx.alerts_evicted);
	err = tx_end(st, err);
	if (err)
		return err;
	if (ret_id)
		*ret_id = id;
	if (ret_deduped)
		*ret_deduped = d;
	return 0;
}

static const char *col_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

static uint64_t col_u64(sqlite3_stmt *s, int i)
{
	int64_t v = sqlite3_column_int64(s, i);

	return v < 0 ? 0 : (uint64_t)v;
}

static int32_t col_port(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL
		       ? -1
		       : sqlite3_column_int(s, i);
}

/* A row of ALERT_COLS. */
static void alert_of_row(sqlite3_stmt *s, struct store_alert *a)
{
	int sev = sqlite3_column_int(s, 5);

	memset(a, 0, sizeof(*a));
	a->id = col_u64(s, 0);
	a->ts = col_u64(s, 1);
	a->last_seen = col_u64(s, 2);
	a->count = col_u64(s, 3);
	a->component = col_text(s, 4);
	a->severity = sev < 0 || sev > STORE_SEV_CRITICAL
			      ? STORE_SEV_CRITICAL
			      : (enum store_severity)sev;
	a->rule_id = col_text(s, 6);
	a->action = col_text(s, 7);
	a->src_ip = col_text(s, 8);
	a->dst_ip = col_text(s, 9);
	a->src_port = col_port(s, 10);
	a->dst_port = col_port(s, 11);
	a->protocol = col_text(s, 12);
	a->interface = col_text(s, 13);
	a->message = col_text(s, 14);
	a->false_positive = sqlite3_column_int(s, 15) != 0;
	a->fp_by = col_text(s, 16);
	a->fp_at = col_u64(s, 17);
}

/* A row of AUDIT_COLS. */
static void audit_of_row(sqlite3_stmt *s, struct store_audit *e)
{
	memset(e, 0, sizeof(*e));
	e->id = col_u64(s, 0);
	e->ts = col_u64(s, 1);
	e->actor = col_text(s, 2);
	e->action = col_text(s, 3);
	e->object_type = col_text(s, 4);
	e->object_id = col_text(s, 5);
	e->before_json = col_text(s, 6);
	e->after_json = col_text(s, 7);
}

/* A row of RULE_COLS. */
static void rule_of_row(sqlite3_stmt *s, struct store_rule *r)
{
	r->rule_id = col_text(s, 0);
	r->json = col_text(s, 1);
	r->created_ts = col_u64(s, 2);
	r->updated_ts = col_u64(s, 3);
	r->created_by = col_text(s, 4);
	r->updated_by = col_text(s, 5);
}

#define Q_MAX 8 /* conditions, text and integer parameters of a query */

/*
 * A filtered, paginated listing: conditions over named parameters, bound by
 * name (a parameter the SQL does not use is skipped).  emit turns a row into
 * the caller's struct and calls the caller's function.
 */
struct list_q {
	const char *table, *cols;
	const char *conds[Q_MAX];
	size_t nconds;
	const char *tnames[Q_MAX], *tvals[Q_MAX];
	size_t ntext;
	const char *inames[Q_MAX];
	int64_t ivals[Q_MAX];
	size_t nint;
	bool asc;
	bool overflow; /* a bug: more than Q_MAX of something */
	int (*emit)(sqlite3_stmt *s, void *ctx);
	void *ctx;
};

static void q_cond(struct list_q *q, const char *cond)
{
	if (q->nconds < Q_MAX)
		q->conds[q->nconds++] = cond;
	else
		q->overflow = true;
}

static void q_text(struct list_q *q, const char *name, const char *v)
{
	if (q->ntext < Q_MAX) {
		q->tnames[q->ntext] = name;
		q->tvals[q->ntext++] = v;
	} else {
		q->overflow = true;
	}
}

static void q_int(struct list_q *q, const char *name, int64_t v)
{
	if (q->nint < Q_MAX) {
		q->inames[q->nint] = name;
		q->ivals[q->nint++] = v;
	} else {
		q->overflow = true;
	}
}

static void q_bind(const struct list_q *q, sqlite3_stmt *s)
{
	int i;

	for (size_t k = 0; k < q->ntext; k++)
		if ((i = sqlite3_bind_parameter_index(s, q->tnames[k])))
			bind_text(s, i, q->tvals[k]);
	for (size_t k = 0; k < q->nint; k++)
		if ((i = sqlite3_bind_parameter_index(s, q->inames[k])))
			sqlite3_bind_int64(s, i, q->ivals[k]);
}

/* Append to a bounded SQL buffer; false if it would not fit. */
static bool sql_add(char *buf, size_t len, size_t *pos, const char *s)
{
	size_t n = strlen(s);

	if (*pos + n >= len)
		return false;
	memcpy(buf + *pos, s, n + 1);
	*pos += n;
	return true;
}

static bool sql_where(char *buf, size_t len, size_t *pos,
		      const struct list_q *q, const char *extra)
{
	bool ok = true, first = true;

	for (size_t k = 0; k <= q->nconds; k++) {
		const char *c = k < q->nconds ? q->conds[k] : extra;

		if (!c)
			continue;
		ok = ok && sql_add(buf, len, pos, first ? " WHERE " : " AND ");
		ok = ok && sql_add(buf, len, pos, c);
		first = false;
	}
	return ok;
}

static int list_run(struct store *st, struct list_q *q,
		    const struct store_page *pg, struct store_page_info *ret)
{
	struct store_page_info info = {0};
	char csql[768], psql[1024];
	size_t cp = 0, pp = 0;
	sqlite3_stmt *s = NULL;
	uint64_t cursor = pg ? pg->cursor : 0, last = 0;
	uint32_t limit;
	int rc, err;
	bool ok;

	err = check_page(st, pg, &limit);
	if (err)
		return err;
	q_int(q, ":cursor", (int64_t)cursor);
	q_int(q, ":limit", (int64_t)limit + 1);
	q_int(q, ":offset", pg ? (int64_t)pg->offset : 0);
	ok = sql_add(csql, sizeof(csql), &cp, "SELECT count(*) FROM ") &&
	     sql_add(csql, sizeof(csql), &cp, q->table) &&
	     sql_where(csql, sizeof(csql), &cp, q, NULL);
	ok = ok && sql_add(psql, sizeof(psql), &pp, "SELECT ") &&
	     sql_add(psql, sizeof(psql), &pp, q->cols) &&
	     sql_add(psql, sizeof(psql), &pp, " FROM ") &&
	     sql_add(psql, sizeof(psql), &pp, q->table) &&
	     sql_where(psql, sizeof(psql), &pp, q,
		       !cursor	? NULL
		       : q->asc ? "id > :cursor"
				: "id < :cursor") &&
	     sql_add(psql, sizeof(psql), &pp,
		     q->asc ? " ORDER BY id ASC" : " ORDER BY id DESC") &&
	     sql_add(psql, sizeof(psql), &pp, " LIMIT :limit OFFSET :offset");
	if (!ok || q->overflow)
		return fail(st, -EOVERFLOW, "%s list: query too long",
			    q->table);

	/* one read snapshot for the count and the page */
	err = exec_stmt(st, S_BEGIN_READ, "list");
	if (err)
		return err;
	rc = sqlite3_prepare_v2(st->db, csql, -1, &s, NULL);
	if (rc != SQLITE_OK) {
		err = db_fail(st, rc, "list count");
		goto out;
	}
	q_bind(q, s);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		err = db_fail(st, rc, "list count");
		goto out;
	}
	info.total = col_u64(s, 0);
	sqlite3_finalize(s);
	rc = sqlite3_prepare_v2(st->db, psql, -1, &s, NULL);
	if (rc != SQLITE_OK) {
		s = NULL;
		err = db_fail(st, rc, "list");
		goto out;
	}
	q_bind(q, s);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (info.returned == limit) {
			info.next_cursor = last;
			break;
		}
		last = col_u64(s, 0);
		err = q->emit(s, q->ctx);
		if (err)
			goto out;
		info.returned++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		err = db_fail(st, rc, "list");
out:
	sqlite3_finalize(s);
	if (err) {
		exec_stmt(st, S_ROLLBACK, "rollback");
		return err;
	}
	err = exec_stmt(st, S_COMMIT, "list");
	if (err)
		return err;
	if (ret)
		*ret = info;
	return 0;
}

struct alert_ctx {
	store_alert_fn fn;
	void *ud;
};

static int alert_emit(sqlite3_stmt *s, void *ctx)
{
	struct alert_ctx *c = ctx;
	struct store_alert a;

	alert_of_row(s, &a);
	return c->fn(&a, c->ud);
}

int store_alerts_list(struct store *st, const struct store_alert_filter *f,
		      const struct store_page *pg, store_alert_fn fn,
		      void *userdata, struct store_page_info *ret)
{
	static const struct store_alert_filter all;
	struct alert_ctx c = {fn, userdata};
	struct list_q q = {.table = "alerts",
			   .cols = ALERT_COLS,
			   .emit = alert_emit,
			   .ctx = &c};
	int err;

	if (!f)
		f = &all;
	err = check_str(st, "component", f->component, STORE_COMPONENT_MAX,
			false);
	if (err)
		return err;
	if ((unsigned int)f->min_severity > STORE_SEV_CRITICAL)
		return fail(st, -EINVAL, "severity: %d out of range",
			    (int)f->min_severity);
	if ((unsigned int)f->false_positive > STORE_FP_ONLY)
		return fail(st, -EINVAL, "false_positive: %d out of range",
			    (int)f->false_positive);
	if (check_ts(st, "from", f->from) || check_ts(st, "to", f->to))
		return -EINVAL;
	if (f->component) {
		q_cond(&q, "component = :component");
		q_text(&q, ":component", f->component);
	}
	if (f->min_severity > STORE_SEV_LOW) {
		q_cond(&q, "severity >= :severity");
		q_int(&q, ":severity", f->min_severity);
	}
	if (f->from) {
		q_cond(&q, "ts >= :from");
		q_int(&q, ":from", (int64_t)f->from);
	}
	if (f->to) {
		q_cond(&q, "ts < :to");
		q_int(&q, ":to", (int64_t)f->to);
	}
	if (f->false_positive == STORE_FP_EXCLUDE)
		q_cond(&q, "false_positive = 0");
	else if (f->false_positive == STORE_FP_ONLY)
		q_cond(&q, "false_positive = 1");
	return list_run(st, &q, pg, ret);
}

int store_alert_get(struct store *st, uint64_t id, store_alert_fn fn,
		    void *userdata)
{
	struct store_alert a;
	sqlite3_stmt *s;
	int rc, err;

	if (id > INT64_MAX)
		return fail(st, -ENOENT, "alert %llu: no such alert",
			    (unsigned long long)id);
	err = stmt(st, S_ALERT_GET, &s);
	if (err)
		return err;
	sqlite3_bind_int64(s, 1, (int64_t)id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		alert_of_row(s, &a);
		err = fn(&a, userdata);
	} else if (rc == SQLITE_DONE) {
		err = fail(st, -ENOENT, "alert %llu: no such alert",
			   (unsigned long long)id);
	} else {
		err = db_fail(st, rc, "alert get");
	}
	stmt_done(s);
	return err;
}

int store_alert_mark_fp(struct store *st, uint64_t id, const char *who)
{
	sqlite3_stmt *s;
	int err;

	err = check_str(st, "false positive: who", who, STORE_ID_MAX, true);
	if (!err && id > INT64_MAX)
		err = fail(st, -ENOENT, "alert %llu: no such alert",
			   (unsigned long long)id);
	if (!err)
		err = stmt(st, S_ALERT_FP, &s);
	if (err)
		return err;
	sqlite3_bind_int64(s, 1, (int64_t)id);
	bind_text(s, 2, who);
	sqlite3_bind_int64(s, 3, (int64_t)now_ns());
	err = step_done(st, s, "alert false positive");
	if (!err && !sqlite3_changes(st->db))
		err = fail(st, -ENOENT, "alert %llu: no such alert",
			   (unsigned long long)id);
	return err;
}

/* Audit. */

static int check_audit(struct store *st, const struct store_audit *e)
{
	int err;

	err = check_str(st, "audit actor", e->actor, STORE_ID_MAX, true);
	if (!err)
		err = check_str(st, "audit action", e->action, STORE_WORD_MAX,
				true);
	if (!err)
		err = check_str(st, "audit object_type", e->object_type,
				STORE_OBJTYPE_MAX, true);
	if (!err)
		err = check_str(st, "audit object_id", e->object_id,
				STORE_ID_MAX, false);
	if (!err)
		err = check_ts(st, "audit ts", e->ts);
	if (!err)
		err = check_json(st, "audit before_json", e->before_json);
	if (!err)
		err = check_json(st, "audit after_json", e->after_json);
	return err;
}

/* Inside a transaction: check, insert and evict beyond the bound. */
static int audit_insert(struct store *st, const struct store_audit *e,
			uint64_t now, uint64_t *ret_id)
{
	sqlite3_stmt *s;
	int err;

	err = check_audit(st, e);
	if (!err)
		err = stmt(st, S_AUDIT_INSERT, &s);
	if (err)
		return err;
	sqlite3_bind_int64(s, 1, (int64_t)(e->ts ? e->ts : now));
	bind_text(s, 2, e->actor);
	bind_text(s, 3, e->action);
	bind_text(s, 4, e->object_type);
	bind_text(s, 5, e->object_id);
	bind_text(s, 6, e->before_json);
	bind_text(s, 7, e->after_json);
	err = step_done(st, s, "audit insert");
	if (err)
		return err;
	*ret_id = (uint64_t)sqlite3_last_insert_rowid(st->db);
	st->tx.audit_added++;
	st->tx.audit_rows++;
	return evict(st, S_AUDIT_EVICT, st->o.audit_max_rows,
		     st->stats.audit_rows, &st->tx.audit_rows,
		     &st->tx.audit_evicted);
}

int store_audit_add(struct store *st, const struct store_audit *e,
		    uint64_t *ret_id)
{
	uint64_t id;
	int err;

	err = check_audit(st, e);
	if (!err)
		err = tx_begin(st);
	if (err)
		return err;
	err = tx_end(st, audit_insert(st, e, now_ns(), &id));
	if (!err && ret_id)
		*ret_id = id;
	return err;
}

struct audit_ctx {
	store_audit_fn fn;
	void *ud;
};

static int audit_emit(sqlite3_stmt *s, void *ctx)
{
	struct audit_ctx *c = ctx;
	struct store_audit e;

	audit_of_row(s, &e);
	return c->fn(&e, c->ud);
}

int store_audit_list(struct store *st, const struct store_audit_filter *f,
		     const struct store_page *pg, store_audit_fn fn,
		     void *userdata, struct store_page_info *ret)
{
	static const struct store_audit_filter all;
	struct audit_ctx c = {fn, userdata};
	struct list_q q = {.table = "audit",
			   .cols = AUDIT_COLS,
			   .emit = audit_emit,
			   .ctx = &c};
	int err;

	if (!f)
		f = &all;
	err = check_str(st, "actor", f->actor, STORE_ID_MAX, false);
	if (!err)
		err = check_str(st, "object_type", f->object_type,
				STORE_OBJTYPE_MAX, false);
	if (!err)
		err = check_str(st, "object_id", f->object_id, STORE_ID_MAX,
				false);
	if (!err)
		err = check_ts(st, "from", f->from);
	if (!err)
		err = check_ts(st, "to", f->to);
	if (err)
		return err;
	q.asc = f->oldest_first;
	if (f->actor) {
		q_cond(&q, "actor = :actor");
		q_text(&q, ":actor", f->actor);
	}
	if (f->object_type) {
		q_cond(&q, "object_type = :otype");
		q_text(&q, ":otype", f->object_type);
	}
	if (f->object_id) {
		q_cond(&q, "object_id = :oid");
		q_text(&q, ":oid", f->object_id);
	}
	if (f->from) {
		q_cond(&q, "ts >= :from");
		q_int(&q, ":from", (int64_t)f->from);
	}
	if (f->to) {
		q_cond(&q, "ts < :to");
		q_int(&q, ":to", (int64_t)f->to);
	}
	return list_run(st, &q, pg, ret);
}

int store_rule_history(struct store *st, const char *rule_id,
		       const struct store_page *pg, store_audit_fn fn,
		       void *userdata, struct store_page_info *ret)
{
	struct store_audit_filter f = {
		.object_type = STORE_OBJ_FIREWALL_RULE,
		.object_id = rule_id,
		.oldest_first = true,
	};
	int err = check_str(st, "rule id", rule_id, STORE_ID_MAX, true);

	return err ? err : store_audit_list(st, &f, pg, fn, userdata, ret);
}

/* Rules. */

static int check_rule_id(struct store *st, const char *rule_id)
{
	return check_str(st, "rule id", rule_id, STORE_ID_MAX, true);
}

/* The stored JSON of rule_id: 0 and a copy in *ret_json (may be NULL), or
 * -ENOENT. */
static int rule_json(struct store *st, const char *rule_id, char **ret_json)
{
	sqlite3_stmt *s;
	char *copy = NULL;
	int rc, err;

	err = stmt(st, S_RULE_GET, &s);
	if (err)
		return err;
	bind_text(s, 1, rule_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (ret_json) {
			copy = strdup(col_text(s, 1) ? col_text(s, 1) : "null");
			err = copy ? 0 : fail(st, -ENOMEM, "out of memory");
		}
	} else if (rc == SQLITE_DONE) {
		err = fail(st, -ENOENT, "rule \"%s\": no such rule", rule_id);
	} else {
		err = db_fail(st, rc, "rule get");
	}
	stmt_done(s);
	if (!err && ret_json)
		*ret_json = copy;
	return err;
}

/* Inside a transaction: insert or replace; *ret_before gets the replaced
 * JSON (or NULL) if asked. */
static int rule_put_tx(struct store *st, const char *rule_id, const char *json,
		       const char *actor, unsigned int flags, bool *ret_created,
		       char **ret_before)
{
	char *before = NULL;
	sqlite3_stmt *s;
	bool exists;
	int err;

	err = rule_json(st, rule_id, ret_before ? &before : NULL);
	if (err && err != -ENOENT)
		return err;
	exists = !err;
	if (exists && (flags & STORE_RULE_NOREPLACE)) {
		err = fail(st, -EEXIST, "rule \"%s\": exists", rule_id);
		goto out;
	}
	if (!exists &&
	    st->stats.rules_rows + st->tx.rules_rows >= st->o.rules_max) {
		st->stats.rules_refused++;
		err = fail(st, -ENOSPC, "rule \"%s\": already %u rules",
			   rule_id, st->o.rules_max);
		goto out;
	}
	err = stmt(st, S_RULE_UPSERT, &s);
	if (err)
		goto out;
	bind_text(s, 1, rule_id);
	bind_text(s, 2, json);
	sqlite3_bind_int64(s, 3, (int64_t)now_ns());
	bind_text(s, 4, actor);
	err = step_done(st, s, "rule put");
	if (err)
		goto out;
	if (!exists)
		st->tx.rules_rows++;
	err = hook(st, "rule_written");
	if (err)
		goto out;
	*ret_created = !exists;
	if (ret_before) {
		*ret_before = before;
		before = NULL;
	}
out:
	free(before);
	return err;
}

static int check_rule_put(struct store *st, const char *rule_id,
			  const char *json, const char *actor)
{
	int err = check_rule_id(st, rule_id);

	if (!err && !json)
		err = fail(st, -EINVAL, "rule \"%s\" json: missing", rule_id);
	if (!err)
		err = check_json(st, "rule json", json);
	if (!err)
		err = check_str(st, "rule actor", actor, STORE_ID_MAX, true);
	return err;
}

int store_rule_put(struct store *st, const char *rule_id, const char *json,
		   const char *actor, unsigned int flags, bool *ret_created)
{
	bool created;
	int err;

	err = check_rule_put(st, rule_id, json, actor);
	if (!err)
		err = tx_begin(st);
	if (err)
		return err;
	err = tx_end(st, rule_put_tx(st, rule_id, json, actor, flags, &created,
				     NULL));
	if (!err && ret_created)
		*ret_created = created;
	return err;
}

int store_rule_put_audited(struct store *st, const char *rule_id,
			   const char *json, const char *actor,
			   unsigned int flags, bool *ret_created,
			   uint64_t *ret_audit_id)
{
	struct store_audit e = {
		.actor = actor,
		.object_type = STORE_OBJ_FIREWALL_RULE,
		.object_id = rule_id,
		.after_json = json,
	};
	char *before = NULL;
	uint64_t id;
	bool created;
	int err;

	err = check_rule_put(st, rule_id, json, actor);
	if (!err)
		err = tx_begin(st);
	if (err)
		return err;
	err = rule_put_tx(st, rule_id, json, actor, flags, &created, &before);
	if (!err) {
		e.action = created ? "create" : "update";
		e.before_json = before;
		err = audit_insert(st, &e, now_ns(), &id);
	}
	free(before);
	err = tx_end(st, err);
	if (err)
		return err;
	if (ret_created)
		*ret_created = created;
	if (ret_audit_id)
		*ret_audit_id = id;
	return 0;
}

/* Inside a transaction. */
static int rule_del_tx(struct store *st, const char *rule_id)
{
	sqlite3_stmt *s;
	int err;

	err = stmt(st, S_RULE_DEL, &s);
	if (err)
		return err;
	bind_text(s, 1, rule_id);
	err = step_done(st, s, "rule delete");
	if (err)
		return err;
	if (!sqlite3_changes(st->db))
		return fail(st, -ENOENT, "rule \"%s\": no such rule", rule_id);
	st->tx.rules_rows--;
	return hook(st, "rule_written");
}

int store_rule_del(struct store *st, const char *rule_id)
{
	int err = check_rule_id(st, rule_id);

	if (!err)
		err = tx_begin(st);
	if (err)
		return err;
	return tx_end(st, rule_del_tx(st, rule_id));
}

int store_rule_del_audited(struct store *st, const char *rule_id,
			   const char *actor, uint64_t *ret_audit_id)
{
	struct store_audit e = {
		.actor = actor,
		.action = "delete",
		.object_type = STORE_OBJ_FIREWALL_RULE,
		.object_id = rule_id,
	};
	char *before = NULL;
	uint64_t id;
	int err;

	err = check_rule_id(st, rule_id);
	if (!err)
		err = check_str(st, "rule actor", actor, STORE_ID_MAX, true);
	if (!err)
		err = tx_begin(st);
	if (err)
		return err;
	err = rule_json(st, rule_id, &before);
	if (!err)
		err = rule_del_tx(st, rule_id);
	if (!err) {
		e.before_json = before;
		err = audit_insert(st, &e, now_ns(), &id);
	}
	free(before);
	err = tx_end(st, err);
	if (!err && ret_audit_id)
		*ret_audit_id = id;
	return err;
}

int store_rule_get(struct store *st, const char *rule_id, store_rule_fn fn,
		   void *userdata)
{
	struct store_rule r;
	sqlite3_stmt *s;
	int rc, err;

	err = check_rule_id(st, rule_id);
	if (!err)
		err = stmt(st, S_RULE_GET, &s);
	if (err)
		return err;
	bind_text(s, 1, rule_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		rule_of_row(s, &r);
		err = fn(&r, userdata);
	} else if (rc == SQLITE_DONE) {
		err = fail(st, -ENOENT, "rule \"%s\": no such rule", rule_id);
	} else {
		err = db_fail(st, rc, "rule get");
	}
	stmt_done(s);
	return err;
}

int store_rules_list(struct store *st, store_rule_fn fn, void *userdata,
		     size_t *ret_count)
{
	struct store_rule r;
	sqlite3_stmt *s;
	size_t n = 0;
	int rc, err;

	err = stmt(st, S_RULES_ALL, &s);
	if (err)
		return err;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		rule_of_row(s, &r);
		err = fn(&r, userdata);
		if (err)
			break;
		n++;
	}
	if (!err && rc != SQLITE_DONE)
		err = db_fail(st, rc, "rules list");
	stmt_done(s);
	if (!err && ret_count)
		*ret_count = n;
	return err;
}

/* Kernel ids. */

int store_kernel_id_lookup(struct store *st, const char *rule_id, uint32_t *ret)
{
	sqlite3_stmt *s;
	int rc, err;

	err = check_rule_id(st, rule_id);
	if (!err)
		err = stmt(st, S_KID_GET, &s);
	if (err)
		return err;
	bind_text(s, 1, rule_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*ret = (uint32_t)sqlite3_column_int64(s, 0);
	else if (rc == SQLITE_DONE)
		err = fail(st, -ENOENT, "rule \"%s\": no kernel id", rule_id);
	else
		err = db_fail(st, rc, "kernel id lookup");
	stmt_done(s);
	return err;
}

/* Inside a transaction: the id of rule_id, allocated if new. */
static int kid_alloc_tx(struct store *st, const char *rule_id, uint64_t now,
			uint32_t *ret)
{
	uint64_t next = st->kid_next + st->tx.kernel_ids_rows;
	uint64_t rows = st->stats.kernel_ids_rows + st->tx.kernel_ids_rows;
	sqlite3_stmt *s;
	int err;

	err = store_kernel_id_lookup(st, rule_id, ret);
	if (err != -ENOENT)
		return err;
	if (rows >= st->o.kernel_ids_max || next > UINT32_MAX) {
		st->stats.kernel_ids_refused++;
		return fail(st, -ENOSPC,
			    "rule \"%s\": no kernel id left (%llu allocated)",
			    rule_id, (unsigned long long)rows);
	}
	err = stmt(st, S_KID_INSERT, &s);
	if (err)
		return err;
	sqlite3_bind_int64(s, 1, (int64_t)next);
	bind_text(s, 2, rule_id);
	sqlite3_bind_int64(s, 3, (int64_t)now);
	err = step_done(st, s, "kernel id insert");
	if (err)
		return err;
	st->tx.kernel_ids_rows++;
	*ret = (uint32_t)next;
	return 0;
}

int store_kernel_ids(struct store *st, const char *const *rule_ids, size_t n,
		     uint32_t *ret)
{
	uint64_t now = now_ns();
	uint32_t *ids;
	int err = 0;

	if (n > STORE_BATCH_MAX)
		return fail(st, -E2BIG, "kernel ids: %zu rule ids, at most %d",
			    n, STORE_BATCH_MAX);
	for (size_t i = 0; i < n && !err; i++)
		err = check_rule_id(st, rule_ids[i]);
	if (err || !n)
		return err;
	ids = calloc(n, sizeof(*ids));
	if (!ids)
		return fail(st, -ENOMEM, "kernel ids: out of memory");
	err = tx_begin(st);
	for (size_t i = 0; i < n && !err; i++)
		err = kid_alloc_tx(st, rule_ids[i], now, &ids[i]);
	if (!err && !st->tx.kernel_ids_rows) {
		/* nothing new: no commit to wait for */
		tx_rollback(st);
	} else {
		err = tx_end(st, err);
	}
	if (!err)
		memcpy(ret, ids, n * sizeof(*ids));
	free(ids);
	return err;
}

int store_kernel_id(struct store *st, const char *rule_id, uint32_t *ret)
{
	uint32_t id;
	int err;

	/* the common case, a known rule, without a write transaction */
	err = store_kernel_id_lookup(st, rule_id, ret);
	if (err != -ENOENT)
		return err;
	err = tx_begin(st);
	if (err)
		return err;
	err = tx_end(st, kid_alloc_tx(st, rule_id, now_ns(), &id));
	if (!err)
		*ret = id;
	return err;
}

int store_kernel_id_lookup_reverse(struct store *st, uint32_t kid, char *buf,
				   size_t len)
{
	sqlite3_stmt *s;
	const char *id;
	int rc, err;

	err = stmt(st, S_KID_REV, &s);
	if (err)
		return err;
	sqlite3_bind_int64(s, 1, kid);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		id = col_text(s, 0);
		if (!id || strlen(id) >= len)
			err = fail(st, -ENOBUFS,
				   "kernel id %u: rule id longer than %zu "
				   "bytes",
				   kid, len ? len - 1 : 0);
		else
			memcpy(buf, id, strlen(id) + 1);
	} else if (rc == SQLITE_DONE) {
		err = fail(st, -ENOENT, "kernel id %u: no such id", kid);
	} else {
		err = db_fail(st, rc, "kernel id reverse lookup");
	}
	stmt_done(s);
	return err;
}

/* Retention. */

/*
 * Delete rows older than cutoff, PURGE_CHUNK per transaction, at most
 * *budget rows (decremented).  Returns 0 when none is left, 1 when the
 * budget ran out first.
 */
static int purge_table(struct store *st, enum stmt_id id, uint64_t cutoff,
		       bool alerts, size_t *budget, size_t *deleted)
{
	sqlite3_stmt *s;
	size_t chunk;
	uint64_t n;
	int err;

	for (;;) {
		chunk = *budget < PURGE_CHUNK ? *budget : PURGE_CHUNK;
		if (!chunk)
			return 1;
		err = tx_begin(st);
		if (!err)
			err = stmt(st, id, &s);
		if (!err) {
			sqlite3_bind_int64(s, 1, (int64_t)cutoff);
			sqlite3_bind_int64(s, 2, (int64_t)chunk);
			err = step_done(st, s, "purge");
		}
		n = err ? 0 : (uint64_t)sqlite3_changes64(st->db);
		if (alerts) {
			st->tx.alerts_rows -= n;
			st->tx.alerts_purged += n;
		} else {
			st->tx.audit_rows -= n;
			st->tx.audit_purged += n;
		}
		err = tx_end(st, err);
		if (err)
			return err;
		*deleted += n;
		*budget -= n;
		if (n < chunk)
			return 0;
	}
}

int store_purge(struct store *st, uint64_t alerts_max_age_ns,
		uint64_t audit_max_age_ns, size_t *ret_deleted)
{
	size_t deleted = 0, budget = PURGE_CALL_MAX;
	uint64_t now = now_ns();
	int rc = 0, more = 0;

	if (alerts_max_age_ns && alerts_max_age_ns < now)
		rc = purge_table(st, S_ALERT_PURGE, now - alerts_max_age_ns,
				 true, &budget, &deleted);
	more |= rc > 0;
	if (rc >= 0 && audit_max_age_ns && audit_max_age_ns < now)
		rc = purge_table(st, S_AUDIT_PURGE, now - audit_max_age_ns,
				 false, &budget, &deleted);
	more |= rc > 0;
	/* what was deleted is committed even if this fails */
	if (rc >= 0 && deleted)
		rc = exec_sql(st, "PRAGMA incremental_vacuum", "vacuum");
	if (rc < 0)
		return rc;
	if (ret_deleted)
		*ret_deleted = deleted;
	return more;
}

/* SPDX-License-Identifier: GPL-2.0-only */
/* sentinel-cp's persistent state in SQLite: alerts, audit, API rules, ids. */
#ifndef SENTINEL_STORE_H
#define SENTINEL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * One SQLite database, <state_dir>/sentinel.db, in WAL mode with
 * synchronous=FULL: every call that writes returns only after its
 * transaction is on disk (the WAL is fsynced at each commit), so a committed
 * record survives kill -9 and a power cut; a transaction that did not commit
 * leaves nothing behind.
 *
 * Threading: a struct store is one SQLite connection opened in SQLite's
 * multi-thread mode (SQLITE_OPEN_NOMUTEX) and is NOT thread-safe: sentinel-cp
 * calls it from its loop thread only (another thread may use it only if the
 * caller serialises every call).  A call that writes blocks for one fsync
 * (fdatasync of the WAL) per transaction: ingest alerts in batches.
 *
 * Errors: every int function returns >= 0 on success or -errno; the message
 * of the last failure is store_errmsg() (it names the field, rule or id that
 * is wrong).  ret_* out-parameters are left untouched on failure.  Strings in
 * input structs are borrowed for the duration of the call; strings handed to
 * a callback are valid only during that callback, which must not call back
 * into the store.
 */

#define STORE_DB_NAME	     "sentinel.db"
#define STORE_SCHEMA_VERSION 1
#define STORE_ERR_LEN	     256

/* Bounds of strings in bytes, NUL excluded; longer is -E2BIG. */
#define STORE_ID_MAX	    128 /* rule ids, object ids, actors */
#define STORE_COMPONENT_MAX 32
#define STORE_WORD_MAX	    32 /* alert and audit actions, protocols */
#define STORE_IP_MAX	    45 /* INET6_ADDRSTRLEN - 1 */
#define STORE_IFNAME_MAX    15 /* IFNAMSIZ - 1 */
#define STORE_MESSAGE_MAX   1024
#define STORE_OBJTYPE_MAX   64
#define STORE_JSON_MAX	    65536 /* rule JSON, audit before/after */

/* Pages of lists, and batches. */
#define STORE_LIST_DEFAULT 100
#define STORE_LIST_MAX	   1000
#define STORE_BATCH_MAX	   10000

/* Bounds of the tables when store_opts leaves them 0. */
#define STORE_DEFAULT_ALERTS_MAX     1000000
#define STORE_DEFAULT_AUDIT_MAX	     1000000
#define STORE_DEFAULT_RULES_MAX	     16384
#define STORE_DEFAULT_KERNEL_IDS_MAX 1000000
#define STORE_DEFAULT_BUSY_MS	     1000

/* The audit object type of firewall rules (store_rule_*_audited). */
#define STORE_OBJ_FIREWALL_RULE "firewall_rule"

struct store;

struct store_opts {
	/* Wait this long for a lock held by another connection (the sqlite3
	 * shell, a backup); 0 = STORE_DEFAULT_BUSY_MS. */
	uint32_t busy_timeout_ms;
	/* Alerts kept: adding one beyond evicts the oldest (counted). */
	uint64_t alerts_max_rows;
	/* Audit entries kept: adding one beyond evicts the oldest (counted). */
	uint64_t audit_max_rows;
	/* API rules: a new one beyond is refused with -ENOSPC (counted). */
	uint32_t rules_max;
	/* Rule id -> kernel id mappings, never evicted (ids are never reused):
	 * a new one beyond is refused with -ENOSPC (counted). */
	uint32_t kernel_ids_max;
};

/*
 * Open (creating it, and state_dir with mode 0700, when missing) the store in
 * state_dir and bring its schema to STORE_SCHEMA_VERSION.  o may be NULL for
 * the defaults.  Returns -EPROTONOSUPPORT for a database written by a newer
 * schema, -EUCLEAN for a file that is not a sane database; err (may be NULL)
 * receives the message.
 */
int store_open(const char *state_dir, const struct store_opts *o,
	       struct store **ret, char *err, size_t errlen);
void store_close(struct store *st);
/* The message of the last failed call ("" if none). */
const char *store_errmsg(const struct store *st);
/* PRAGMA integrity_check: 0, or -EUCLEAN with the first problem as message. */
int store_integrity_check(struct store *st);

/* What was added, folded, evicted and refused since store_open. */
struct store_stats {
	uint64_t alerts_added;	 /* rows inserted */
	uint64_t alerts_deduped; /* folded into an existing row */
	uint64_t alerts_evicted; /* by alerts_max_rows */
	uint64_t alerts_purged;	 /* by age (store_purge) */
	uint64_t audit_added;
	uint64_t audit_evicted; /* by audit_max_rows */
	uint64_t audit_purged;	/* by age */
	uint64_t rules_refused; /* by rules_max */
	uint64_t kernel_ids_refused;
	/* current sizes */
	uint64_t alerts_rows, audit_rows, rules_rows, kernel_ids_rows;
};
void store_stats(const struct store *st, struct store_stats *ret);

/* Pagination of lists. */
struct store_page {
	uint32_t limit;	 /* 0 = STORE_LIST_DEFAULT; > STORE_LIST_MAX: -EINVAL */
	uint64_t offset; /* rows skipped (after the cursor) */
	/* Keyset: 0 = from the first row; else resume after the row with this
	 * id (the next_cursor of the previous page). */
	uint64_t cursor;
};

struct store_page_info {
	uint64_t total;	   /* rows matching the filter, ignoring the page */
	uint32_t returned; /* rows handed to the callback */
	/* The cursor of the next page; 0 if this page was the last. */
	uint64_t next_cursor;
};

/* Alerts. */
enum store_severity {
	STORE_SEV_LOW = 0,
	STORE_SEV_MEDIUM,
	STORE_SEV_HIGH,
	STORE_SEV_CRITICAL,
};
/* "low" .. "critical"; NULL for a value out of range. */
const char *store_severity_name(enum store_severity s);
/* The reverse (lower case); -EINVAL if unknown. */
int store_severity_parse(const char *s, enum store_severity *ret);

struct store_alert {
	uint64_t id;	       /* out: increases with every new alert */
	uint64_t ts;	       /* unix ns of the first occurrence; 0 = now */
	uint64_t last_seen;    /* out: unix ns of the latest occurrence */
	uint64_t count;	       /* out: occurrences folded into this alert */
	const char *component; /* required: "firewall", "ids", ... */
	enum store_severity severity;
	const char *rule_id;   /* may be NULL */
	const char *action;    /* "deny", "log", "reject"...; may be NULL */
	const char *src_ip;    /* text; may be NULL */
	const char *dst_ip;    /* text; may be NULL */
	int32_t src_port;      /* 0..65535; < 0 = none */
	int32_t dst_port;      /* 0..65535; < 0 = none */
	const char *protocol;  /* "tcp", "17"...; may be NULL */
	const char *interface; /* may be NULL */
	const char *message;   /* may be NULL */
	bool false_positive;   /* out */
	const char *fp_by;     /* out: who marked it, or NULL */
	uint64_t fp_at;	       /* out: when, unix ns, or 0 */
};

/*
 * Add an alert, or fold it into the alert with the same component, rule_id,
 * src_ip, dst_ip, dst_port, protocol and action whose first occurrence is at
 * most dedup_window_ns away from a->ts (0: never fold): that one's count is
 * bumped, its last_seen advanced and its severity raised to the higher of
 * the two.  The window is anchored at the first occurrence, so a long
 * stream of identical events becomes one alert per window.  An alert marked
 * false positive still absorbs its duplicates.  ret_id gets the new or
 * folded-into id, ret_deduped which it was (either may be NULL).
 */
int store_alert_add(struct store *st, const struct store_alert *a,
		    uint64_t dedup_window_ns, uint64_t *ret_id,
		    bool *ret_deduped);
/* The same for n (<= STORE_BATCH_MAX) alerts in one transaction: all are
 * stored or none (every alert is checked first); later alerts of the batch
 * fold into earlier ones.  ret_ids and ret_deduped are arrays of n, or
 * NULL.  (A batch larger than alerts_max_rows evicts its own oldest.) */
int store_alert_add_batch(struct store *st, const struct store_alert *a,
			  size_t n, uint64_t dedup_window_ns, uint64_t *ret_ids,
			  bool *ret_deduped);

enum store_fp_filter {
	STORE_FP_ANY = 0,
	STORE_FP_EXCLUDE, /* only alerts not marked false positive */
	STORE_FP_ONLY,	  /* only alerts marked false positive */
};

struct store_alert_filter {
	const char *component;		  /* NULL = any */
	enum store_severity min_severity; /* this or more severe */
	uint64_t from, to; /* first occurrence in [from, to); 0 = open */
	enum store_fp_filter false_positive;
};

/* Return 0 to go on, -errno to stop the listing (which returns it). */
typedef int (*store_alert_fn)(const struct store_alert *a, void *userdata);

/* The alerts matching f (NULL = all), newest first, one page (pg NULL = the
 * first page of STORE_LIST_DEFAULT). */
int store_alerts_list(struct store *st, const struct store_alert_filter *f,
		      const struct store_page *pg, store_alert_fn fn,
		      void *userdata, struct store_page_info *ret);
/* One alert; -ENOENT if there is none with this id. */
int store_alert_get(struct store *st, uint64_t id, store_alert_fn fn,
		    void *userdata);
/* Mark an alert as a false positive (again: who and when are replaced);
 * -ENOENT if absent. */
int store_alert_mark_fp(struct store *st, uint64_t id, const char *who);

/* Audit trail. */
struct store_audit {
	uint64_t id;		 /* out */
	uint64_t ts;		 /* unix ns; 0 = now */
	const char *actor;	 /* required: user, key name, or "config" */
	const char *action;	 /* required: create, update, delete, reload */
	const char *object_type; /* required: "firewall_rule", "config" */
	const char *object_id;	 /* may be NULL */
	const char *before_json; /* may be NULL; else valid JSON */
	const char *after_json;	 /* may be NULL; else valid JSON */
};

int store_audit_add(struct store *st, const struct store_audit *e,
		    uint64_t *ret_id);

struct store_audit_filter {
	const char *actor;	 /* NULL = any */
	const char *object_type; /* NULL = any */
	const char *object_id;	 /* NULL = any */
	uint64_t from, to;	 /* ts in [from, to); 0 = open */
	bool oldest_first;	 /* default: newest first */
};

typedef int (*store_audit_fn)(const struct store_audit *e, void *userdata);

int store_audit_list(struct store *st, const struct store_audit_filter *f,
		     const struct store_page *pg, store_audit_fn fn,
		     void *userdata, struct store_page_info *ret);
/* The audit entries of one firewall rule, oldest first. */
int store_rule_history(struct store *st, const char *rule_id,
		       const struct store_page *pg, store_audit_fn fn,
		       void *userdata, struct store_page_info *ret);

/* Rules created through the API. */
struct store_rule {
	const char *rule_id;
	const char *json; /* the rule as JSON text */
	uint64_t created_ts, updated_ts;
	const char *created_by, *updated_by;
};

typedef int (*store_rule_fn)(const struct store_rule *r, void *userdata);

/* store_rule_put flags */
#define STORE_RULE_NOREPLACE 0x1 /* -EEXIST if the rule exists */

/*
 * Insert or replace the rule rule_id (json must be valid JSON: -EINVAL).
 * A new rule beyond rules_max is -ENOSPC.  ret_created (may be NULL) tells
 * whether it was new.
 */
int store_rule_put(struct store *st, const char *rule_id, const char *json,
		   const char *actor, unsigned int flags, bool *ret_created);
/* -ENOENT if absent. */
int store_rule_del(struct store *st, const char *rule_id);
int store_rule_get(struct store *st, const char *rule_id, store_rule_fn fn,
		   void *userdata);
/* Every rule, in the order they were created; ret_count may be NULL. */
int store_rules_list(struct store *st, store_rule_fn fn, void *userdata,
		     size_t *ret_count);
/*
 * store_rule_put and its audit entry in one transaction: both or neither.
 * The entry is (actor, "create" or "update", STORE_OBJ_FIREWALL_RULE,
 * rule_id, before = the stored JSON or NULL, after = json).
 */
int store_rule_put_audited(struct store *st, const char *rule_id,
			   const char *json, const char *actor,
			   unsigned int flags, bool *ret_created,
			   uint64_t *ret_audit_id);
/* store_rule_del and its audit entry ("delete", before = the stored JSON,
 * after = NULL) in one transaction; -ENOENT (and no entry) if absent. */
int store_rule_del_audited(struct store *st, const char *rule_id,
			   const char *actor, uint64_t *ret_audit_id);

/*
 * Kernel ids: every string rule id gets a u32 (1..2^32-1) once and keeps it
 * forever, across deletes, restarts and reloads, so per-rule counters stay
 * with their rule.  Ids are never reused.
 */
/* The id of rule_id, allocated if new (-ENOSPC beyond kernel_ids_max). */
int store_kernel_id(struct store *st, const char *rule_id, uint32_t *ret);
/* The same for n (<= STORE_BATCH_MAX) rule ids in one transaction (a
 * reload): ret is an array of n. */
int store_kernel_ids(struct store *st, const char *const *rule_ids, size_t n,
		     uint32_t *ret);
/* The id of rule_id without allocating; -ENOENT if it has none. */
int store_kernel_id_lookup(struct store *st, const char *rule_id,
			   uint32_t *ret);
/* The rule id of kernel id kid into buf; -ENOENT if unknown, -ENOBUFS if
 * len is too small (STORE_ID_MAX + 1 always suffices). */
int store_kernel_id_lookup_reverse(struct store *st, uint32_t kid, char *buf,
				   size_t len);

/*
 * Retention: delete alerts first seen more than alerts_max_age_ns ago (they
 * were last seen at most a dedup window later) and audit entries older than
 * audit_max_age_ns (0 = keep), in transactions of 5000 rows, at most 20000
 * rows per call so that the caller's loop is not stalled by a backlog, and
 * give the freed pages back to the file system.  Returns 0 when nothing
 * older is left, 1 when more may be (call again soon), or -errno (what was
 * deleted before the failure stays deleted).  ret_deleted (may be NULL)
 * gets the number of rows deleted.
 */
int store_purge(struct store *st, uint64_t alerts_max_age_ns,
		uint64_t audit_max_age_ns, size_t *ret_deleted);

#ifdef STORE_TESTING
/* Tests only (store.c built with -DSTORE_TESTING): hook is called at named
 * points of write transactions ("rule_written", "before_commit"); a nonzero
 * return fails the operation with that -errno. */
void store_test_hook(struct store *st,
		     int (*hook)(const char *point, void *userdata),
		     void *userdata);
#endif

#endif

// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of the store: every operation, atomicity, retention, kill -9. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

static int passed, failed;

#define CHECK(cond, ...)                                                \
	do {                                                            \
		if (cond) {                                             \
			passed++;                                       \
		} else {                                                \
			failed++;                                       \
			printf("not ok - %s:%d: ", __func__, __LINE__); \
			printf(__VA_ARGS__);                            \
			putchar('\n');                                  \
		}                                                       \
	} while (0)

#define SEC 1000000000ull

static char base[256];

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * SEC + (uint64_t)t.tv_nsec;
}

static double mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int rm_one(const char *p, const struct stat *sb, int type, struct FTW *f)
{
	return remove(p);
}

/* A fresh state directory (not yet created) under the test's base. */
static const char *state_dir(const char *name)
{
	static char dir[512];

	snprintf(dir, sizeof(dir), "%s/%s", base, name);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return dir;
}

static struct store *open_store(const char *dir, const struct store_opts *o)
{
	char err[STORE_ERR_LEN];
	struct store *st = NULL;
	int rc = store_open(dir, o, &st, err, sizeof(err));

	if (rc) {
		printf("# store_open %s: %s (%s)\n", dir, strerror(-rc), err);
		exit(1);
	}
	return st;
}

static struct store_alert alert(const char *component, const char *rule,
				const char *src, const char *dst, int dport,
				uint64_t ts)
{
	struct store_alert a = {
		.ts = ts,
		.component = component,
		.severity = STORE_SEV_MEDIUM,
		.rule_id = rule,
		.action = "deny",
		.src_ip = src,
		.dst_ip = dst,
		.src_port = 40000,
		.dst_port = dport,
		.protocol = "tcp",
		.interface = "eth0",
		.message = "denied by rule",
	};
	return a;
}

/* Collects ids (and a copy of the last alert's fields) of a listing. */
struct seen {
	uint64_t ids[2000];
	size_t n;
	int stop_after; /* return -ECANCELED after this many; 0 = never */
	struct store_alert last;
	char rule[STORE_ID_MAX + 1], fp_by[STORE_ID_MAX + 1];
	char msg[STORE_MESSAGE_MAX + 1];
	bool rule_null, proto_null;
};

static int collect(const struct store_alert *a, void *ud)
{
	struct seen *s = ud;

	if (s->stop_after && (int)s->n == s->stop_after)
		return -ECANCELED;
	if (s->n < 2000)
		s->ids[s->n++] = a->id;
	s->last = *a;
	s->rule_null = !a->rule_id;
	s->proto_null = !a->protocol;
	snprintf(s->rule, sizeof(s->rule), "%s", a->rule_id ? a->rule_id : "");
	snprintf(s->fp_by, sizeof(s->fp_by), "%s", a->fp_by ? a->fp_by : "");
	snprintf(s->msg, sizeof(s->msg), "%s", a->message ? a->message : "");
	/* the borrowed strings die with the callback */
	s->last.component = s->last.rule_id = s->last.action = NULL;
	s->last.src_ip = s->last.dst_ip = s->last.protocol = NULL;
	s->last.interface = s->last.message = s->last.fp_by = NULL;
	return 0;
}

static int get_alert(struct store *st, uint64_t id, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	return store_alert_get(st, id, collect, s);
}

static void test_open(void)
{
	const char *dir = state_dir("open");
	char path[600], err[STORE_ERR_LEN];
	struct store_stats ss;
	struct store *st;
	struct stat sb;
	int rc, fd;

	/* the directory is created 0700, the file 0600 */
	st = open_store(dir, NULL);
	CHECK(!stat(dir, &sb) && S_ISDIR(sb.st_mode) &&
		      (sb.st_mode & 0777) == 0700,
	      "state dir mode %o", sb.st_mode & 0777);
	snprintf(path, sizeof(path), "%s/%s", dir, STORE_DB_NAME);
	CHECK(!stat(path, &sb) && (sb.st_mode & 0777) == 0600, "db mode %o",
	      sb.st_mode & 0777);
	store_stats(st, &ss);
	CHECK(ss.alerts_rows == 0 && ss.rules_rows == 0, "empty store");
	CHECK(store_integrity_check(st) == 0, "fresh db integrity: %s",
	      store_errmsg(st));
	CHECK(!store_rule_put(st, "r1", "{\"id\":\"r1\"}", "admin", 0, NULL),
	      "put: %s", store_errmsg(st));
	store_close(st);
	store_close(NULL);
	/* closed: the WAL is checkpointed into the file, whose header says
	 * incremental vacuum (offset 64) */
	{
		unsigned char h[4] = {0};

		fd = open(path, O_RDONLY);
		CHECK(fd >= 0 && pread(fd, h, 4, 64) == 4 && h[3] == 1,
		      "incremental vacuum in the header");
		close(fd);
	}

	/* re-open of an existing store: no migration, data kept */
	st = open_store(dir, NULL);
	store_stats(st, &ss);
	CHECK(ss.rules_rows == 1, "rules after reopen: %llu",
	      (unsigned long long)ss.rules_rows);
	store_close(st);

	/* an empty file is a new database: migrated from version 0 */
	dir = state_dir("empty");
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/%s", dir, STORE_DB_NAME);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	st = open_store(dir, NULL);
	CHECK(!store_audit_add(st,
			       &(struct store_audit){.actor = "config",
						     .action = "reload",
						     .object_type = "config"},
			       NULL),
	      "audit on a migrated empty file: %s", store_errmsg(st));
	store_close(st);

	/* a newer schema is refused: user_version is at offset 60 */
	fd = open(path, O_WRONLY);
	CHECK(fd >= 0 && pwrite(fd, "\0\0\0\x63", 4, 60) == 4,
	      "patch user_version");
	close(fd);
	st = NULL;
	rc = store_open(dir, NULL, &st, err, sizeof(err));
	CHECK(rc == -EPROTONOSUPPORT && !st && strstr(err, "99"),
	      "newer schema: %d %s", rc, err);

	/* not a database */
	dir = state_dir("garbage");
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/%s", dir, STORE_DB_NAME);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	for (int i = 0; i < 64; i++)
		CHECK(write(fd, "this is not an sqlite database!\n", 32) == 32,
		      "write");
	close(fd);
	rc = store_open(dir, NULL, &st, err, sizeof(err));
	CHECK(rc == -EUCLEAN && strstr(err, "sentinel.db"), "garbage: %d %s",
	      rc, err);

	/* the state directory is a file */
	dir = state_dir("afile");
	fd = open(dir, O_CREAT | O_WRONLY, 0600);
	close(fd);
	rc = store_open(dir, NULL, &st, err, sizeof(err));
	CHECK(rc == -ENOTDIR && strstr(err, "afile"), "file as dir: %d %s", rc,
	      err);
	rc = store_open("", NULL, &st, err, sizeof(err));
	CHECK(rc == -EINVAL, "empty dir: %d", rc);
	snprintf(path, sizeof(path), "%s/missing/parent", base);
	rc = store_open(path, NULL, &st, err, sizeof(err));
	CHECK(rc == -ENOENT && strstr(err, "missing"), "no parent: %d %s", rc,
	      err);
}

static void test_alert_fields(struct store *st)
{
	struct store_alert a =
		alert("firewall", "deny-ssh", "10.0.0.1", "2001:db8::1", 22, 0);
	struct seen s;
	uint64_t id, id2, t0 = now_ns();
	bool dd = true;
	int rc;

	a.severity = STORE_SEV_HIGH;
	rc = store_alert_add(st, &a, 0, &id, &dd);
	CHECK(!rc && id > 0 && !dd, "add: %d %s", rc, store_errmsg(st));
	rc = get_alert(st, id, &s);
	CHECK(!rc && s.last.id == id && s.last.count == 1 &&
		      s.last.severity == STORE_SEV_HIGH &&
		      s.last.src_port == 40000 && s.last.dst_port == 22 &&
		      !strcmp(s.rule, "deny-ssh") &&
		      !strcmp(s.msg, "denied by rule") &&
		      !s.last.false_positive && s.last.ts >= t0 &&
		      s.last.last_seen == s.last.ts,
	      "get: %d", rc);

	/* optional fields absent: NULL and port -1 come back */
	a = (struct store_alert){.component = "ids",
				 .severity = STORE_SEV_LOW,
				 .src_port = -1,
				 .dst_port = -1};
	rc = store_alert_add(st, &a, 0, &id2, NULL);
	CHECK(!rc && id2 > id, "ids increase: %llu after %llu",
	      (unsigned long long)id2, (unsigned long long)id);
	rc = get_alert(st, id2, &s);
	CHECK(!rc && s.rule_null && s.proto_null && s.last.src_port == -1 &&
		      s.last.dst_port == -1,
	      "null fields");
	CHECK(get_alert(st, 999999, &s) == -ENOENT &&
		      strstr(store_errmsg(st), "999999"),
	      "get absent: %s", store_errmsg(st));
}

static void test_alert_bounds(struct store *st)
{
	char longs[STORE_MESSAGE_MAX + 2];
	struct store_alert a =
		alert("firewall", "r", "1.1.1.1", "2.2.2.2", 80, 0);
	struct store_alert batch[3];
	struct store_stats s0, s1;
	uint64_t ids[3] = {7, 7, 7};
	int rc;

	memset(longs, 'x', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	a.message = longs;
	rc = store_alert_add(st, &a, 0, NULL, NULL);
	CHECK(rc == -E2BIG && strstr(store_errmsg(st), "message"),
	      "long message: %d %s", rc, store_errmsg(st));
	longs[STORE_MESSAGE_MAX] = '\0'; /* exactly the bound: accepted */
	CHECK(!store_alert_add(st, &a, 0, NULL, NULL), "max message: %s",
	      store_errmsg(st));
	a.message = NULL;
	longs[STORE_IP_MAX + 1] = '\0';
	a.src_ip = longs;
	rc = store_alert_add(st, &a, 0, NULL, NULL);
	CHECK(rc == -E2BIG && strstr(store_errmsg(st), "src_ip"), "long ip: %s",
	      store_errmsg(st));
	a.src_ip = NULL;
	a.component = NULL;
	rc = store_alert_add(st, &a, 0, NULL, NULL);
	CHECK(rc == -EINVAL && strstr(store_errmsg(st), "component"),
	      "no component: %s", store_errmsg(st));
	a.component = "firewall";
	a.severity = (enum store_severity)7;
	CHECK(store_alert_add(st, &a, 0, NULL, NULL) == -EINVAL, "severity");
	a.severity = STORE_SEV_LOW;
	a.dst_port = 65536;
	CHECK(store_alert_add(st, &a, 0, NULL, NULL) == -EINVAL, "port");
	a.dst_port = 80;
	a.ts = (uint64_t)INT64_MAX + 1;
	CHECK(store_alert_add(st, &a, 0, NULL, NULL) == -EINVAL, "ts");
	a.ts = 0;

	/* a batch with one bad alert stores nothing, outputs untouched */
	store_stats(st, &s0);
	batch[0] = batch[1] = batch[2] = a;
	batch[2].interface = "an-interface-name-too-long";
	rc = store_alert_add_batch(st, batch, 3, 0, ids, NULL);
	store_stats(st, &s1);
	CHECK(rc == -E2BIG && strstr(store_errmsg(st), "alert 2") &&
		      strstr(store_errmsg(st), "interface") &&
		      s1.alerts_rows == s0.alerts_rows && ids[0] == 7,
	      "bad batch: %d %s", rc, store_errmsg(st));
	rc = store_alert_add_batch(st, batch, STORE_BATCH_MAX + 1, 0, NULL,
				   NULL);
	CHECK(rc == -E2BIG, "batch too big: %d", rc);
	CHECK(!store_alert_add_batch(st, batch, 0, 0, NULL, NULL),
	      "empty batch");
}

static void test_dedup(struct store *st)
{
	const uint64_t w = 60 * SEC, t = now_ns() - 3600 * SEC;
	struct store_alert a =
		alert("firewall", "dd", "192.0.2.1", "192.0.2.2", 443, t);
	struct store_alert b[4];
	struct store_stats s0, s1;
	uint64_t id1, id, ids[4];
	bool dd, dds[4];
	struct seen s;

	store_stats(st, &s0);
	CHECK(!store_alert_add(st, &a, w, &id1, &dd) && !dd, "first");
	/* inside the window: folded */
	a.ts = t + 10 * SEC;
	a.severity = STORE_SEV_CRITICAL;
	CHECK(!store_alert_add(st, &a, w, &id, &dd) && dd && id == id1,
	      "inside the window");
	/* exactly the window away: still folded (inclusive) */
	a.ts = t + w;
	a.severity = STORE_SEV_LOW;
	CHECK(!store_alert_add(st, &a, w, &id, &dd) && dd && id == id1,
	      "at the window's edge");
	/* out of order, inside: folded, last_seen does not go back */
	a.ts = t + 5 * SEC;
	CHECK(!store_alert_add(st, &a, w, &id, &dd) && dd && id == id1,
	      "out of order");
	CHECK(!get_alert(st, id1, &s) && s.last.count == 4 && s.last.ts == t &&
		      s.last.last_seen == t + w &&
		      s.last.severity == STORE_SEV_CRITICAL,
	      "folded: count %llu last_seen +%llu severity %d",
	      (unsigned long long)s.last.count,
	      (unsigned long long)(s.last.last_seen - t), s.last.severity);
	/* the window is anchored at the first occurrence: one ns later is a
	 * new alert, even though the last one was seen 1 ns ago */
	a.ts = t + w + 1;
	CHECK(!store_alert_add(st, &a, w, &id, &dd) && !dd && id > id1,
	      "outside the window");
	/* a different key field: a new alert each */
	a.ts = t + 1;
	a.dst_port = 444;
	CHECK(!store_alert_add(st, &a, w, &id, &dd) && !dd, "other port");
	a.dst_port = 443;
	a.action = "log";
	CHECK(!store_alert_add(st, &a, w, &id, &dd) && !dd, "other action");
	a.action = "deny";
	a.rule_id = NULL; /* NULL and "" are different keys, both fold */
	CHECK(!store_alert_add(st, &a, w, &id1, &dd) && !dd, "null rule");
	CHECK(!store_alert_add(st, &a, w, &id, &dd) && dd && id == id1,
	      "null rule folds");
	a.rule_id = "";
	CHECK(!store_alert_add(st, &a, w, &id, &dd) && !dd, "empty rule");
	a.rule_id = "dd";
	a.component = "ids";
	CHECK(!store_alert_add(st, &a, w, &id, &dd) && !dd, "component");
	a.component = "firewall";
	/* fields outside the key (src port, message) do not matter */
	a.src_port = 1;
	a.message = "other";
	CHECK(!store_alert_add(st, &a, w, &id, &dd) && dd, "src port");
	/* window 0: never folds */
	CHECK(!store_alert_add(st, &a, 0, &id, &dd) && !dd, "no window");

	/* inside one batch: later alerts fold into earlier ones */
	a = alert("firewall", "batch-dd", "198.51.100.1", "198.51.100.2", 53,
		  t);
	b[0] = b[1] = b[2] = b[3] = a;
	b[1].ts = t + 1;
	b[2].dst_port = 54;
	b[3].ts = t + 2;
	CHECK(!store_alert_add_batch(st, b, 4, w, ids, dds) && !dds[0] &&
		      dds[1] && !dds[2] && dds[3] && ids[1] == ids[0] &&
		      ids[3] == ids[0] && ids[2] > ids[0],
	      "batch dedup");
	store_stats(st, &s1);
	CHECK(s1.alerts_deduped - s0.alerts_deduped == 7 &&
		      s1.alerts_added - s0.alerts_added == 10,
	      "dedup counters: %llu folded, %llu added",
	      (unsigned long long)(s1.alerts_deduped - s0.alerts_deduped),
	      (unsigned long long)(s1.alerts_added - s0.alerts_added));
}

static void test_fp(struct store *st)
{
	struct store_alert a =
		alert("firewall", "fp", "10.1.1.1", "10.1.1.2", 8080, 0);
	char who[STORE_ID_MAX + 2];
	uint64_t id, id2;
	struct seen s;
	bool dd;
	int rc;

	CHECK(!store_alert_add(st, &a, 60 * SEC, &id, NULL), "add");
	rc = store_alert_mark_fp(st, id, "alice");
	CHECK(!rc, "mark: %s", store_errmsg(st));
	CHECK(!get_alert(st, id, &s) && s.last.false_positive &&
		      !strcmp(s.fp_by, "alice") && s.last.fp_at > 0,
	      "marked");
	/* a marked alert still absorbs its duplicates */
	CHECK(!store_alert_add(st, &a, 60 * SEC, &id2, &dd) && dd && id2 == id,
	      "fold into fp");
	rc = store_alert_mark_fp(st, 123456789, "alice");
	CHECK(rc == -ENOENT && strstr(store_errmsg(st), "123456789"),
	      "absent: %d %s", rc, store_errmsg(st));
	memset(who, 'w', sizeof(who) - 1);
	who[sizeof(who) - 1] = '\0';
	CHECK(store_alert_mark_fp(st, id, who) == -E2BIG, "long who");
	CHECK(store_alert_mark_fp(st, id, "") == -EINVAL, "empty who");
	CHECK(store_alert_mark_fp(st, id, NULL) == -EINVAL, "no who");
}

static void test_list(void)
{
	struct store *st = open_store(state_dir("list"), NULL);
	const uint64_t t0 = 1700000000 * SEC;
	struct store_alert_filter f = {0};
	struct store_page pg = {0};
	struct store_page_info pi;
	uint64_t ids[25], all[25];
	struct seen s;
	size_t got;
	int rc;

	/* 25 alerts: i % 3 == 0 "ids", else "firewall"; severity i % 4;
	 * ts t0 + i s; every fifth one a false positive */
	for (int i = 0; i < 25; i++) {
		struct store_alert a =
			alert(i % 3 ? "firewall" : "ids", "l", "10.0.0.1",
			      "10.0.0.2", 1000 + i, t0 + (uint64_t)i * SEC);

		a.severity = (enum store_severity)(i % 4);
		CHECK(!store_alert_add(st, &a, 0, &ids[i], NULL), "add %d", i);
		if (i % 5 == 0)
			CHECK(!store_alert_mark_fp(st, ids[i], "bob"), "fp");
	}

	/* everything, newest first */
	memset(&s, 0, sizeof(s));
	rc = store_alerts_list(st, NULL, NULL, collect, &s, &pi);
	CHECK(!rc && pi.total == 25 && pi.returned == 25 && s.n == 25 &&
		      pi.next_cursor == 0 && s.ids[0] == ids[24] &&
		      s.ids[24] == ids[0],
	      "all: %d total %llu", rc, (unsigned long long)pi.total);
	memcpy(all, s.ids, sizeof(all));

	/* keyset pages of 10: 10, 10, 5, cursors chain, total constant */
	pg.limit = 10;
	got = 0;
	for (int page = 0; page < 4; page++) {
		memset(&s, 0, sizeof(s));
		rc = store_alerts_list(st, NULL, &pg, collect, &s, &pi);
		CHECK(!rc && pi.total == 25, "page %d", page);
		for (size_t k = 0; k < s.n; k++)
			CHECK(got + k < 25 && s.ids[k] == all[got + k],
			      "page %d row %zu", page, k);
		got += s.n;
		if (!pi.next_cursor)
			break;
		CHECK(pi.next_cursor == s.ids[s.n - 1], "cursor");
		pg.cursor = pi.next_cursor;
	}
	CHECK(got == 25 && pi.returned == 5, "paged %zu rows", got);
	/* a page that ends exactly at the last row says so */
	pg = (struct store_page){.limit = 25};
	rc = store_alerts_list(st, NULL, &pg, collect, &s, &pi);
	CHECK(!rc && pi.returned == 25 && pi.next_cursor == 0, "exact page");
	pg = (struct store_page){.limit = 24};
	rc = store_alerts_list(st, NULL, &pg, collect, &s, &pi);
	CHECK(!rc && pi.returned == 24 && pi.next_cursor == all[23],
	      "one short");
	/* offset */
	memset(&s, 0, sizeof(s));
	pg = (struct store_page){.limit = 5, .offset = 22};
	rc = store_alerts_list(st, NULL, &pg, collect, &s, &pi);
	CHECK(!rc && s.n == 3 && s.ids[0] == all[22] && !pi.next_cursor,
	      "offset: %zu", s.n);
	pg = (struct store_page){.offset = 100};
	memset(&s, 0, sizeof(s));
	rc = store_alerts_list(st, NULL, &pg, collect, &s, &pi);
	CHECK(!rc && s.n == 0 && pi.total == 25, "offset past the end");
	/* limit bounds */
	pg = (struct store_page){.limit = STORE_LIST_MAX + 1};
	rc = store_alerts_list(st, NULL, &pg, collect, &s, &pi);
	CHECK(rc == -EINVAL && strstr(store_errmsg(st), "limit"),
	      "limit > max: %d", rc);
	pg = (struct store_page){.limit = STORE_LIST_MAX};
	memset(&s, 0, sizeof(s));
	CHECK(!store_alerts_list(st, NULL, &pg, collect, &s, &pi) && s.n == 25,
	      "limit = max");
	pg = (struct store_page){.limit = 1};
	memset(&s, 0, sizeof(s));
	CHECK(!store_alerts_list(st, NULL, &pg, collect, &s, &pi) && s.n == 1 &&
		      pi.next_cursor == all[0],
	      "limit 1");

	/* filters */
	f = (struct store_alert_filter){.component = "ids"};
	memset(&s, 0, sizeof(s));
	rc = store_alerts_list(st, &f, NULL, collect, &s, &pi);
	CHECK(!rc && pi.total == 9 && s.n == 9, "component: %llu",
	      (unsigned long long)pi.total);
	f = (struct store_alert_filter){.min_severity = STORE_SEV_HIGH};
	rc = store_alerts_list(st, &f, NULL, collect, &s, &pi);
	CHECK(!rc && pi.total == 12, "severity >= high: %llu",
	      (unsigned long long)pi.total);
	f = (struct store_alert_filter){.min_severity = STORE_SEV_CRITICAL,
					.component = "firewall"};
	rc = store_alerts_list(st, &f, NULL, collect, &s, &pi);
	CHECK(!rc && pi.total == 4, "critical firewall: %llu",
	      (unsigned long long)pi.total);
	/* [from, to) */
	f = (struct store_alert_filter){.from = t0 + 5 * SEC,
					.to = t0 + 10 * SEC};
	memset(&s, 0, sizeof(s));
	rc = store_alerts_list(st, &f, NULL, collect, &s, &pi);
	CHECK(!rc && pi.total == 5 && s.ids[0] == ids[9] && s.ids[4] == ids[5],
	      "time range: %llu", (unsigned long long)pi.total);
	f = (struct store_alert_filter){.from = t0 + 20 * SEC};
	rc = store_alerts_list(st, &f, NULL, collect, &s, &pi);
	CHECK(!rc && pi.total == 5, "from only");
	f = (struct store_alert_filter){.to = t0 + 1};
	rc = store_alerts_list(st, &f, NULL, collect, &s, &pi);
	CHECK(!rc && pi.total == 1, "to only");
	f = (struct store_alert_filter){.false_positive = STORE_FP_ONLY};
	rc = store_alerts_list(st, &f, NULL, collect, &s, &pi);
	CHECK(!rc && pi.total == 5, "fp only: %llu",
	      (unsigned long long)pi.total);
	f = (struct store_alert_filter){.false_positive = STORE_FP_EXCLUDE};
	rc = store_alerts_list(st, &f, NULL, collect, &s, &pi);
	CHECK(!rc && pi.total == 20, "fp excluded");
	f = (struct store_alert_filter){.component = "dlp"};
	memset(&s, 0, sizeof(s));
	rc = store_alerts_list(st, &f, NULL, collect, &s, &pi);
	CHECK(!rc && pi.total == 0 && s.n == 0 && !pi.next_cursor, "none");
	/* filter and pages together */
	f = (struct store_alert_filter){.component = "firewall",
					.false_positive = STORE_FP_EXCLUDE};
	pg = (struct store_page){.limit = 7};
	got = 0;
	do {
		memset(&s, 0, sizeof(s));
		rc = store_alerts_list(st, &f, &pg, collect, &s, &pi);
		got += s.n;
		pg.cursor = pi.next_cursor;
	} while (!rc && pi.next_cursor);
	CHECK(!rc && got == pi.total && got == 13,
	      "filtered pages: %zu of %llu", got, (unsigned long long)pi.total);
	/* bad filters */
	f = (struct store_alert_filter){.min_severity = 9};
	CHECK(store_alerts_list(st, &f, NULL, collect, &s, NULL) == -EINVAL,
	      "bad severity");
	f = (struct store_alert_filter){.false_positive = 9};
	CHECK(store_alerts_list(st, &f, NULL, collect, &s, NULL) == -EINVAL,
	      "bad fp");
	/* the callback stops the listing */
	memset(&s, 0, sizeof(s));
	s.stop_after = 3;
	memset(&pi, 0xaa, sizeof(pi));
	rc = store_alerts_list(st, NULL, NULL, collect, &s, &pi);
	CHECK(rc == -ECANCELED && s.n == 3 && pi.total != 25,
	      "callback stop: %d", rc);
	/* and the store still works (the read transaction ended) */
	CHECK(!store_alert_mark_fp(st, ids[1], "carol"), "after stop: %s",
	      store_errmsg(st));
	store_close(st);
}

struct audit_seen {
	uint64_t ids[64];
	char actions[64][16];
	bool before_null[64], after_null[64];
	size_t n;
};

static int audit_collect(const struct store_audit *e, void *ud)
{
	struct audit_seen *s = ud;

	if (s->n < 64) {
		s->ids[s->n] = e->id;
		snprintf(s->actions[s->n], 16, "%s", e->action);
		s->before_null[s->n] = !e->before_json;
		s->after_null[s->n] = !e->after_json;
		s->n++;
	}
	return 0;
}

static void test_audit(struct store *st)
{
	const uint64_t t0 = 1600000000 * SEC;
	struct store_audit e = {
		.actor = "config", .action = "reload", .object_type = "config"};
	struct store_audit_filter f = {0};
	struct store_page_info pi;
	struct audit_seen s;
	uint64_t id, id2;
	char big[STORE_JSON_MAX + 2];
	int rc;

	e.ts = t0;
	CHECK(!store_audit_add(st, &e, &id), "add: %s", store_errmsg(st));
	e.ts = t0 + SEC;
	e.actor = "admin";
	e.action = "create";
	e.object_type = "firewall_rule";
	e.object_id = "web";
	e.after_json = "{\"id\":\"web\"}";
	CHECK(!store_audit_add(st, &e, &id2) && id2 > id, "add 2");
	e.ts = t0 + 2 * SEC;
	e.action = "update";
	e.before_json = e.after_json;
	e.after_json = "{\"id\":\"web\",\"priority\":2}";
	CHECK(!store_audit_add(st, &e, NULL), "add 3");

	f.actor = "admin";
	memset(&s, 0, sizeof(s));
	rc = store_audit_list(st, &f, NULL, audit_collect, &s, &pi);
	CHECK(!rc && pi.total == 2 && !strcmp(s.actions[0], "update"),
	      "by actor, newest first: %d %llu", rc,
	      (unsigned long long)pi.total);
	f = (struct store_audit_filter){.object_type = "firewall_rule",
					.object_id = "web",
					.oldest_first = true};
	memset(&s, 0, sizeof(s));
	rc = store_audit_list(st, &f, NULL, audit_collect, &s, &pi);
	CHECK(!rc && s.n == 2 && !strcmp(s.actions[0], "create") &&
		      s.before_null[0] && !s.before_null[1],
	      "by object, oldest first");
	f = (struct store_audit_filter){.from = t0 + SEC, .to = t0 + 2 * SEC};
	memset(&s, 0, sizeof(s));
	rc = store_audit_list(st, &f, NULL, audit_collect, &s, &pi);
	CHECK(!rc && s.n == 1 && s.ids[0] == id2, "time range");
	f = (struct store_audit_filter){.oldest_first = true};
	memset(&s, 0, sizeof(s));
	rc = store_audit_list(st, &f,
			      &(struct store_page){.limit = 1, .cursor = id},
			      audit_collect, &s, &pi);
	CHECK(!rc && s.n == 1 && s.ids[0] == id2 && pi.next_cursor == id2,
	      "ascending cursor");

	/* checks: required fields, bounds, JSON */
	e = (struct store_audit){.actor = "a", .action = "x"};
	rc = store_audit_add(st, &e, NULL);
	CHECK(rc == -EINVAL && strstr(store_errmsg(st), "object_type"),
	      "missing type: %s", store_errmsg(st));
	e.object_type = "config";
	e.after_json = "{not json";
	rc = store_audit_add(st, &e, NULL);
	CHECK(rc == -EINVAL && strstr(store_errmsg(st), "after_json"),
	      "bad json: %s", store_errmsg(st));
	memset(big, ' ', sizeof(big) - 1);
	big[0] = '1';
	big[sizeof(big) - 1] = '\0';
	e.after_json = big;
	rc = store_audit_add(st, &e, NULL);
	CHECK(rc == -E2BIG && strstr(store_errmsg(st), "after_json"),
	      "big json: %s", store_errmsg(st));
}

struct rule_seen {
	char ids[32][STORE_ID_MAX + 1];
	char json[256];
	char created_by[64], updated_by[64];
	uint64_t created, updated;
	size_t n;
};

static int rule_collect(const struct store_rule *r, void *ud)
{
	struct rule_seen *s = ud;

	if (s->n < 32)
		snprintf(s->ids[s->n++], STORE_ID_MAX + 1, "%s", r->rule_id);
	snprintf(s->json, sizeof(s->json), "%s", r->json);
	snprintf(s->created_by, sizeof(s->created_by), "%s", r->created_by);
	snprintf(s->updated_by, sizeof(s->updated_by), "%s", r->updated_by);
	s->created = r->created_ts;
	s->updated = r->updated_ts;
	return 0;
}

static size_t history_len(struct store *st, const char *rule)
{
	struct store_page_info pi = {0};
	struct audit_seen s = {0};

	return store_rule_history(st, rule, NULL, audit_collect, &s, &pi) ? 999
									  : s.n;
}

static int fail_at;
static const char *fail_point;

static int fault(const char *point, void *ud)
{
	return fail_point && !strcmp(point, fail_point) ? fail_at : 0;
}

static void test_rules(void)
{
	struct store_opts o = {.rules_max = 4};
	struct store *st = open_store(state_dir("rules"), &o);
	char longid[STORE_ID_MAX + 2];
	struct rule_seen r;
	struct audit_seen s;
	struct store_stats ss;
	uint64_t aid = 0;
	bool created;
	int rc;

	/* plain put / get / del */
	rc = store_rule_put(st, "a", "{\"v\":1}", "alice", 0, &created);
	CHECK(!rc && created, "create: %s", store_errmsg(st));
	rc = store_rule_put(st, "a", "{\"v\":2}", "bob", 0, &created);
	CHECK(!rc && !created, "replace");
	memset(&r, 0, sizeof(r));
	CHECK(!store_rule_get(st, "a", rule_collect, &r) &&
		      !strcmp(r.json, "{\"v\":2}") &&
		      !strcmp(r.created_by, "alice") &&
		      !strcmp(r.updated_by, "bob") && r.updated >= r.created,
	      "get after replace: %s", r.json);
	rc = store_rule_put(st, "a", "{\"v\":3}", "bob", STORE_RULE_NOREPLACE,
			    NULL);
	CHECK(rc == -EEXIST && strstr(store_errmsg(st), "\"a\""),
	      "noreplace: %d", rc);
	CHECK(store_rule_get(st, "zz", rule_collect, &r) == -ENOENT,
	      "get absent");
	CHECK(!store_rule_del(st, "a"), "del");
	rc = store_rule_del(st, "a");
	CHECK(rc == -ENOENT && strstr(store_errmsg(st), "\"a\""),
	      "del absent: %s", store_errmsg(st));
	rc = store_rule_put(st, "b", "{bad", "alice", 0, NULL);
	CHECK(rc == -EINVAL && strstr(store_errmsg(st), "JSON"), "bad json: %s",
	      store_errmsg(st));
	CHECK(store_rule_put(st, "b", NULL, "alice", 0, NULL) == -EINVAL,
	      "no json");
	memset(longid, 'i', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	rc = store_rule_put(st, longid, "{}", "alice", 0, NULL);
	CHECK(rc == -E2BIG && strstr(store_errmsg(st), "rule id"),
	      "long id: %s", store_errmsg(st));
	CHECK(store_rule_put(st, "", "{}", "alice", 0, NULL) == -EINVAL,
	      "empty id");

	/* audited: create, update, delete each leave one entry */
	rc = store_rule_put_audited(st, "web", "{\"p\":1}", "alice", 0,
				    &created, &aid);
	CHECK(!rc && created && aid, "audited create: %s", store_errmsg(st));
	rc = store_rule_put_audited(st, "web", "{\"p\":2}", "bob", 0, &created,
				    NULL);
	CHECK(!rc && !created, "audited update");
	rc = store_rule_del_audited(st, "web", "carol", &aid);
	CHECK(!rc, "audited delete: %s", store_errmsg(st));
	memset(&s, 0, sizeof(s));
	rc = store_rule_history(st, "web", NULL, audit_collect, &s, NULL);
	CHECK(!rc && s.n == 3 && !strcmp(s.actions[0], "create") &&
		      !strcmp(s.actions[1], "update") &&
		      !strcmp(s.actions[2], "delete") && s.before_null[0] &&
		      !s.after_null[0] && !s.before_null[1] &&
		      !s.before_null[2] && s.after_null[2] && s.ids[2] == aid,
	      "history: %zu entries", s.n);
	rc = store_rule_del_audited(st, "web", "carol", NULL);
	CHECK(rc == -ENOENT && history_len(st, "web") == 3,
	      "audited delete of an absent rule: no entry");
	rc = store_rule_put_audited(st, "web", "{}", "x", STORE_RULE_NOREPLACE,
				    NULL, NULL);
	CHECK(!rc, "re-create");
	rc = store_rule_put_audited(st, "web", "{}", "x", STORE_RULE_NOREPLACE,
				    NULL, NULL);
	CHECK(rc == -EEXIST && history_len(st, "web") == 4,
	      "noreplace refused: no entry");

	/* a failure inside the transaction, after the rule was written:
	 * neither the rule nor its audit entry exists */
	store_test_hook(st, fault, NULL);
	fail_point = "rule_written";
	fail_at = EIO;
	rc = store_rule_put_audited(st, "mid", "{\"m\":1}", "alice", 0, NULL,
				    NULL);
	CHECK(rc == -EIO, "injected failure: %d", rc);
	CHECK(store_rule_get(st, "mid", rule_collect, &r) == -ENOENT &&
		      history_len(st, "mid") == 0,
	      "no rule and no audit after a failed put");
	/* ... at the commit itself */
	fail_point = "before_commit";
	rc = store_rule_put_audited(st, "web", "{\"m\":2}", "alice", 0, NULL,
				    NULL);
	memset(&r, 0, sizeof(r));
	CHECK(rc == -EIO && !store_rule_get(st, "web", rule_collect, &r) &&
		      !strcmp(r.json, "{}") && history_len(st, "web") == 4,
	      "failed commit: rule and history unchanged (%s)", r.json);
	rc = store_rule_del_audited(st, "web", "alice", NULL);
	CHECK(rc == -EIO && !store_rule_get(st, "web", rule_collect, &r) &&
		      history_len(st, "web") == 4,
	      "failed delete: rule and history unchanged");
	fail_point = NULL;
	store_test_hook(st, NULL, NULL);
	/* a bad audit field: nothing written either */
	rc = store_rule_put_audited(st, "mid", "{}", longid, 0, NULL, NULL);
	CHECK(rc == -E2BIG &&
		      store_rule_get(st, "mid", rule_collect, &r) == -ENOENT &&
		      history_len(st, "mid") == 0,
	      "long actor: %s", store_errmsg(st));
	store_stats(st, &ss);
	CHECK(ss.rules_rows == 1, "rules rows after rollbacks: %llu",
	      (unsigned long long)ss.rules_rows);

	/* the bound: 4 rules, the 5th new one refused and counted; a
	 * replace still works */
	for (int i = 0; i < 3; i++) {
		char id[8];

		snprintf(id, sizeof(id), "n%d", i);
		CHECK(!store_rule_put(st, id, "{}", "a", 0, NULL), "fill %d",
		      i);
	}
	rc = store_rule_put_audited(st, "n9", "{}", "a", 0, NULL, NULL);
	store_stats(st, &ss);
	CHECK(rc == -ENOSPC && ss.rules_refused == 1 && ss.rules_rows == 4 &&
		      history_len(st, "n9") == 0,
	      "bound: %d %s", rc, store_errmsg(st));
	CHECK(!store_rule_put(st, "n1", "{\"x\":1}", "a", 0, NULL),
	      "replace at the bound");

	store_close(st);
}

static void test_rules_persist(void)
{
	char dir[512];
	struct store *st;
	struct rule_seen r;
	size_t n = 0;

	snprintf(dir, sizeof(dir), "%s", state_dir("persist"));
	st = open_store(dir, NULL);
	for (int i = 0; i < 5; i++) {
		char id[8];
		struct timespec ms = {0, 1000000};

		snprintf(id, sizeof(id), "%c", 'e' - i);
		CHECK(!store_rule_put_audited(st, id, "{}", "a", 0, NULL, NULL),
		      "put");
		nanosleep(&ms, NULL);
	}
	store_close(st);
	st = open_store(dir, NULL);
	memset(&r, 0, sizeof(r));
	CHECK(!store_rules_list(st, rule_collect, &r, &n) && n == 5 &&
		      !strcmp(r.ids[0], "e") && !strcmp(r.ids[4], "a"),
	      "rules after reopen, in creation order: %zu, %s..%s", n, r.ids[0],
	      r.ids[4]);
	CHECK(history_len(st, "c") == 1, "history after reopen");
	store_close(st);
}

static void test_kernel_ids(void)
{
	char dir[512], buf[STORE_ID_MAX + 1];
	const char *many[5] = {"k3", "k4", "k1", "k3", "k5"};
	struct store_opts o = {.kernel_ids_max = 6};
	struct store_stats ss;
	struct store *st;
	uint32_t a, b, c, again, got[5];
	int rc;

	snprintf(dir, sizeof(dir), "%s", state_dir("kids"));
	st = open_store(dir, &o);
	CHECK(!store_kernel_id(st, "k1", &a) && a == 1, "first id %u", a);
	CHECK(!store_kernel_id(st, "k2", &b) && b == 2, "second id %u", b);
	CHECK(!store_kernel_id(st, "k1", &again) && again == a, "stable");
	CHECK(!store_kernel_id_lookup(st, "k2", &again) && again == b,
	      "lookup");
	CHECK(store_kernel_id_lookup(st, "nope", &again) == -ENOENT,
	      "lookup absent");
	CHECK(!store_kernel_id_lookup_reverse(st, b, buf, sizeof(buf)) &&
		      !strcmp(buf, "k2"),
	      "reverse");
	CHECK(store_kernel_id_lookup_reverse(st, 77, buf, sizeof(buf)) ==
		      -ENOENT,
	      "reverse absent");
	CHECK(store_kernel_id_lookup_reverse(st, b, buf, 2) == -ENOBUFS,
	      "reverse short buffer");
	/* a batch (a reload): known ids kept, new ones in order, a
	 * duplicate inside the batch gets the same id */
	rc = store_kernel_ids(st, many, 5, got);
	CHECK(!rc && got[0] == 3 && got[1] == 4 && got[2] == a && got[3] == 3 &&
		      got[4] == 5,
	      "batch: %d %u %u %u %u %u", rc, got[0], got[1], got[2], got[3],
	      got[4]);
	/* the rule going away does not free its id */
	CHECK(!store_rule_put(st, "k1", "{}", "a", 0, NULL) &&
		      !store_rule_del(st, "k1") &&
		      !store_kernel_id_lookup(st, "k1", &again) && again == a,
	      "delete keeps the id");
	store_close(st);

	/* across close/reopen: same ids, allocation continues */
	st = open_store(dir, &o);
	CHECK(!store_kernel_id(st, "k2", &again) && again == b,
	      "k2 after reopen: %u", again);
	CHECK(!store_kernel_id(st, "k6", &c) && c == 6, "next after reopen %u",
	      c);
	/* the bound (6): refused and counted; a known id still answers */
	rc = store_kernel_id(st, "k7", &c);
	store_stats(st, &ss);
	CHECK(rc == -ENOSPC && ss.kernel_ids_refused == 1 &&
		      ss.kernel_ids_rows == 6 && strstr(store_errmsg(st), "k7"),
	      "bound: %d %s", rc, store_errmsg(st));
	CHECK(!store_kernel_id(st, "k5", &c) && c == 5, "known at the bound");
	/* a batch that overflows allocates nothing */
	{
		const char *two[2] = {"k1", "k8"};

		got[0] = 99;
		rc = store_kernel_ids(st, two, 2, got);
		CHECK(rc == -ENOSPC && got[0] == 99, "batch at the bound");
	}
	store_close(st);
	o.kernel_ids_max = 0;
	st = open_store(dir, &o);
	CHECK(!store_kernel_id(st, "k8", &c) && c == 7, "k8 gets 7: %u", c);
	CHECK(store_integrity_check(st) == 0, "integrity");
	store_close(st);
}

/* Alert j's age: 100 of them well under 100 s, the others well over, so
 * that a slow run (sanitizers) does not move the boundary. */
static uint64_t age(int j)
{
	return j < 100 ? (uint64_t)j * SEC / 2 : (uint64_t)(j + 100) * SEC;
}

static void test_retention(void)
{
	struct store_opts o = {.alerts_max_rows = 10, .audit_max_rows = 3};
	struct store *st = open_store(state_dir("retention"), &o);
	uint64_t now = now_ns(), ids[12];
	static struct store_alert big[1000];
	struct store_alert b[12];
	struct store_stats ss;
	struct seen s;
	size_t n = 99;
	int rc;

	/* max rows: 25 alerts into a table of 10 keep the newest 10 */
	for (int i = 0; i < 13; i++) {
		struct store_alert a =
			alert("firewall", "r", "1.1.1.1", "2.2.2.2", i, now);

		CHECK(!store_alert_add(st, &a, 0, NULL, NULL), "add");
	}
	for (int i = 0; i < 12; i++)
		b[i] = alert("firewall", "r", "1.1.1.1", "2.2.2.2", 100 + i,
			     now);
	CHECK(!store_alert_add_batch(st, b, 12, 0, ids, NULL), "batch");
	store_stats(st, &ss);
	memset(&s, 0, sizeof(s));
	rc = store_alerts_list(st, NULL, NULL, collect, &s, NULL);
	CHECK(!rc && s.n == 10 && ss.alerts_rows == 10 &&
		      ss.alerts_evicted == 15 && s.ids[0] == ids[11] &&
		      s.ids[9] == ids[2],
	      "evicted %llu, kept %zu", (unsigned long long)ss.alerts_evicted,
	      s.n);
	for (int i = 0; i < 5; i++) {
		struct store_audit e = {
			.actor = "a", .action = "x", .object_type = "config"};

		CHECK(!store_audit_add(st, &e, NULL), "audit");
	}
	store_stats(st, &ss);
	CHECK(ss.audit_rows == 3 && ss.audit_evicted == 2, "audit evicted %llu",
	      (unsigned long long)ss.audit_evicted);
	store_close(st);

	/* age: old alerts and audit entries go, recent ones stay */
	o = (struct store_opts){0};
	st = open_store(state_dir("retention"), &o);
	for (int i = 0; i < 25000; i += 1000) {
		for (int k = 0; k < 1000; k++)
			big[k] = alert("firewall", "r", "1.1.1.1", "2.2.2.2", k,
				       now - age(i + k));
		CHECK(!store_alert_add_batch(st, big, 1000, 0, NULL, NULL),
		      "old batch");
	}
	for (int i = 0; i < 10; i++) {
		struct store_audit e = {.ts = now - (uint64_t)i * 3600 * SEC,
					.actor = "a",
					.action = "x",
					.object_type = "config"};

		CHECK(!store_audit_add(st, &e, NULL), "audit");
	}
	/* 0 = keep everything */
	CHECK(!store_purge(st, 0, 0, &n) && n == 0, "purge nothing: %zu", n);
	/* alerts older than 100 s (100 of 25000 stay), audit older than
	 * 4.5 h (5 of 10 stay): the first call stops at its budget of 20000
	 * rows and says there is more */
	rc = store_purge(st, 100 * SEC, 4 * 3600 * SEC + 1800 * SEC, &n);
	store_stats(st, &ss);
	CHECK(rc == 1 && n == 20000 && ss.alerts_rows == 5000 &&
		      ss.alerts_purged == 20000 && ss.audit_rows == 10,
	      "first purge: %d, %zu deleted", rc, n);
	rc = store_purge(st, 100 * SEC, 4 * 3600 * SEC + 1800 * SEC, &n);
	store_stats(st, &ss);
	CHECK(rc == 0 && n == 4900 + 5 && ss.alerts_rows == 100 &&
		      ss.alerts_purged == 24900 && ss.audit_rows == 5 &&
		      ss.audit_purged == 5,
	      "purge: %d, %zu deleted, %llu alerts %llu audit left", rc, n,
	      (unsigned long long)ss.alerts_rows,
	      (unsigned long long)ss.audit_rows);
	memset(&s, 0, sizeof(s));
	rc = store_alerts_list(st, NULL, NULL, collect, &s, NULL);
	CHECK(!rc && s.n == 100, "left %zu", s.n);
	CHECK(!store_purge(st, 100 * SEC, 0, &n) && n == 0, "purge again");
	CHECK(store_integrity_check(st) == 0, "integrity after purge");
	store_close(st);
}

/* Durability: kill -9 in the middle of a stream of commits. */
static int kill_self(const char *point, void *ud)
{
	if (!strcmp(point, "before_commit"))
		raise(SIGKILL);
	return 0;
}

static void writer(const char *dir, int fd, bool endless)
{
	struct store *st;
	struct store_alert b[100];
	uint64_t ids[100];
	char msg[64];

	st = open_store(dir, NULL);
	for (int i = 0;; i++) {
		struct store_alert a = alert("firewall", "dur", "10.9.9.9",
					     "10.9.9.8", i & 0xffff, 0);

		snprintf(msg, sizeof(msg), "committed %d", i);
		a.message = msg;
		if (i % 50 == 49) {
			/* now and then a batch */
			for (int k = 0; k < 100; k++)
				b[k] = a;
			if (store_alert_add_batch(st, b, 100, 0, ids, NULL))
				_exit(2);
			if (write(fd, ids, sizeof(ids)) != sizeof(ids))
				_exit(3);
		} else {
			if (store_alert_add(st, &a, 0, ids, NULL))
				_exit(2);
			/* only once committed is the id reported */
			if (write(fd, ids, sizeof(ids[0])) != sizeof(ids[0]))
				_exit(3);
		}
		if (!endless && i == 300) {
			/* a batch that dies in its transaction */
			for (int k = 0; k < 100; k++) {
				b[k] = a;
				b[k].message = "never committed";
			}
			store_test_hook(st, kill_self, NULL);
			store_alert_add_batch(st, b, 100, 0, NULL, NULL);
			_exit(4);
		}
	}
}

static void durability_round(const char *dir, bool endless)
{
	static uint64_t reported[200000];
	size_t n = 0, have = 0, missing = 0;
	struct store_alert_filter f = {0};
	struct store_page_info pi;
	struct store *st;
	struct seen s;
	int p[2], status;
	char wal[600];
	pid_t pid;
	ssize_t r;

	CHECK(!pipe(p), "pipe");
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		writer(dir, p[1], endless);
	}
	close(p[1]);
	while ((r = read(p[0], (char *)reported + have,
			 sizeof(reported) - have)) > 0) {
		have += (size_t)r;
		/* endless writer: kill it from outside, mid-stream */
		if (endless && have >= 2000 * sizeof(uint64_t) && pid) {
			kill(pid, SIGKILL);
			pid_t w = waitpid(pid, &status, 0);

			CHECK(w == pid && WIFSIGNALED(status) &&
				      WTERMSIG(status) == SIGKILL,
			      "killed from outside");
			pid = 0;
		}
	}
	close(p[0]);
	if (pid) {
		waitpid(pid, &status, 0);
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		      "the writer killed itself (status %#x)", status);
	}
	n = have / sizeof(uint64_t);
	snprintf(wal, sizeof(wal), "%s/%s-wal", dir, STORE_DB_NAME);
	CHECK(access(wal, F_OK) == 0, "a WAL was left behind");

	st = open_store(dir, NULL);
	CHECK(store_integrity_check(st) == 0, "integrity after kill -9: %s",
	      store_errmsg(st));
	for (size_t i = 0; i < n; i++)
		if (get_alert(st, reported[i], &s) ||
		    strncmp(s.msg, "committed", 9))
			missing++;
	CHECK(n > 300 && missing == 0,
	      "%zu of %zu committed alerts missing after kill -9", missing, n);
	/* the uncommitted batch left nothing */
	memset(&s, 0, sizeof(s));
	f.component = "firewall";
	CHECK(!store_alerts_list(st, &f, &(struct store_page){.limit = 1},
				 collect, &s, &pi) &&
		      (endless ? pi.total >= n : pi.total == n) &&
		      !strncmp(s.msg, "committed", 9),
	      "%llu alerts stored, %zu reported", (unsigned long long)pi.total,
	      n);
	printf("# kill -9 %s: %zu committed alerts reported, all present\n",
	       endless ? "from outside, mid-stream" : "inside a transaction",
	       n);
	store_close(st);
}

static void test_durability(void)
{
	char dir[512];

	snprintf(dir, sizeof(dir), "%s", state_dir("durability"));
	durability_round(dir, false);
	snprintf(dir, sizeof(dir), "%s", state_dir("durability2"));
	durability_round(dir, true);
}

static void test_rate(void)
{
	struct store *st = open_store(state_dir("rate"), NULL);
	static struct store_alert b[1000];
	const int single = 300, batches = 100;
	double t, single_rate, batch_rate, dedup_rate;
	uint64_t now = now_ns();
	char src[16];

	t = mono();
	for (int i = 0; i < single; i++) {
		struct store_alert a = alert("firewall", "rate", "10.0.0.1",
					     "10.0.0.2", i, now);

		if (store_alert_add(st, &a, 0, NULL, NULL))
			break;
	}
	single_rate = single / (mono() - t);
	t = mono();
	for (int k = 0; k < batches; k++) {
		for (int i = 0; i < 1000; i++) {
			b[i] = alert("firewall", "rate", "10.0.0.1", "10.0.0.2",
				     i, now + (uint64_t)k);
			b[i].src_port = k;
		}
		if (store_alert_add_batch(st, b, 1000, 0, NULL, NULL))
			break;
	}
	batch_rate = batches * 1000 / (mono() - t);
	/* with a 60 s dedup window: half new keys, half duplicates */
	t = mono();
	for (int k = 0; k < batches; k++) {
		for (int i = 0; i < 1000; i++) {
			snprintf(src, sizeof(src), "10.1.%d.%d", k,
				 i % 2 ? i : 0);
			b[i] = alert("firewall", "rate", src, "10.0.0.2", 22,
				     now);
		}
		if (store_alert_add_batch(st, b, 1000, 60 * SEC, NULL, NULL))
			break;
	}
	dedup_rate = batches * 1000 / (mono() - t);
	CHECK(single_rate > 10 && batch_rate > single_rate, "rates %.0f %.0f",
	      single_rate, batch_rate);
	printf("# insert rate (synchronous=FULL, %s): single %.0f/s, "
	       "batch of 1000 %.0f/s, batch with dedup lookups %.0f/s\n",
	       base, single_rate, batch_rate, dedup_rate);
	store_close(st);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	struct store *st;

	snprintf(base, sizeof(base), "%s/sentinel-store-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return 1;
	}
	test_open();
	st = open_store(state_dir("main"), NULL);
	test_alert_fields(st);
	test_alert_bounds(st);
	test_dedup(st);
	test_fp(st);
	test_audit(st);
	CHECK(store_integrity_check(st) == 0, "integrity");
	store_close(st);
	test_list();
	test_rules();
	test_rules_persist();
	test_kernel_ids();
	test_retention();
	test_durability();
	test_rate();
	nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

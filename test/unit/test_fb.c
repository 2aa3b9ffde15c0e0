// SPDX-License-Identifier: GPL-2.0-only
/* FlatBuffers generator and runtime: wire compatibility with flatc both ways, verifier, builder. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "fb/fb_dump.h"
#include "fbtest_fb.h"

/* usage: test-fb FLATC SCHEMA_DIR DATA_DIR PYTHON3 FBGEN */
static const char *flatc, *schema_dir, *data_dir, *python3, *fbgen;
static char tmp[256];

#define CHECK(cond, fmt, ...)                                               \
	do {                                                                \
		if (!(cond))                                                \
			tap_fail("line %d: " fmt, __LINE__, ##__VA_ARGS__); \
	} while (0)

/* --- helpers ----------------------------------------------------------- */

/* Quote s for the shell into out (single quotes). */
static const char *shq(char *out, size_t len, const char *s)
{
	size_t n = 0;

	out[n++] = '\'';
	for (; *s && n + 5 < len; s++) {
		if (*s == '\'') {
			memcpy(out + n, "'\\''", 4);
			n += 4;
		} else {
			out[n++] = *s;
		}
	}
	out[n++] = '\'';
	out[n] = '\0';
	return out;
}

static __attribute__((format(printf, 1, 2))) int run(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* Read a whole file into malloc'd memory (8-byte aligned). */
static uint8_t *read_file(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = NULL;
	long n;

	*ret_len = 0;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		p = malloc(n ? (size_t)n : 1);
		if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
			free(p);
			p = NULL;
		}
		*ret_len = (size_t)n;
	}
	fclose(f);
	return p;
}

static int write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (!f)
		return -errno;
	ok = fwrite(p, 1, n, f) == n;
	return fclose(f) == 0 && ok ? 0 : -EIO;
}

/* The schema a root type lives in. */
static const char *schema_of(const char *root)
{
	return strcmp(root, "EventBatch") ? "control" : "events";
}

/* A root type as flatc names it: the sentinel ones are in "sentinel". */
static const char *qualified(char *out, size_t len, const char *root)
{
	snprintf(out, len, "%s%s", strchr(root, '.') ? "" : "sentinel.", root);
	return out;
}

/* flatc -b: DATA_DIR/name.json -> tmp/flatc/name.bin.  0 on success. */
static int flatc_binary(const char *name, const char *root, const char *sdir,
			const char *sname, const char *ddir)
{
	char q1[512], q2[512], q3[512], q4[512], q5[512];
	char out[300], sch[512], json[512], q[128];

	snprintf(out, sizeof(out), "%s/flatc", tmp);
	snprintf(sch, sizeof(sch), "%s/%s.fbs", sdir, sname);
	snprintf(json, sizeof(json), "%s/%s.json", ddir, name);
	return run("%s -b --root-type %s -o %s -I %s %s %s",
		   shq(q1, 512, flatc), qualified(q, sizeof(q), root),
		   shq(q2, 512, out), shq(q3, 512, sdir), shq(q4, 512, sch),
		   shq(q5, 512, json));
}

/* flatc --json of bin into dir/<basename>.json.  0 on success. */
static int flatc_json(const char *bin, const char *root, const char *sdir,
		      const char *sname, const char *dir)
{
	char q1[512], q2[512], q3[512], q4[512], q5[512], sch[512], q[128];

	snprintf(sch, sizeof(sch), "%s/%s.fbs", sdir, sname);
	return run("%s --json --strict-json --defaults-json --raw-binary "
		   "--root-type %s -o %s -I %s %s -- %s",
		   shq(q1, 512, flatc), qualified(q, sizeof(q), root),
		   shq(q2, 512, dir), shq(q3, 512, sdir), shq(q4, 512, sch),
		   shq(q5, 512, bin));
}

/* Compare two JSON files semantically (python3); 0 when equal. */
static int json_same(const char *a, const char *b)
{
	static const char script[] =
		"import json, math, re, sys\n"
		"def load(p):\n"
		"    t = open(p, encoding='utf-8').read()\n"
		"    t = re.sub(r'(?<![\\w\"])(-?)(inf|nan)(?![\\w\"])',\n"
		"               lambda m: m.group(1) + ('Infinity' if m.group(2) "
		"== 'inf' else 'NaN'), t)\n"
		"    return json.loads(t)\n"
		"def diff(x, y, p):\n"
		"    if isinstance(x, dict) and isinstance(y, dict):\n"
		"        for k in sorted(set(x) | set(y)):\n"
		"            if k not in x or k not in y:\n"
		"                return p + '.' + k + ' only in one'\n"
		"            d = diff(x[k], y[k], p + '.' + k)\n"
		"            if d: return d\n"
		"        return None\n"
		"    if isinstance(x, list) and isinstance(y, list):\n"
		"        if len(x) != len(y): return p + ': lengths differ'\n"
		"        for i, (u, v) in enumerate(zip(x, y)):\n"
		"            d = diff(u, v, '%s[%d]' % (p, i))\n"
		"            if d: return d\n"
		"        return None\n"
		"    if isinstance(x, float) or isinstance(y, float):\n"
		"        if type(x) in (int, float) and type(y) in (int, float):\n"
		"            if x != x and y != y: return None\n"
		"            if x == y or math.isclose(x, y, rel_tol=1e-6): "
		"return None\n"
		"    elif type(x) == type(y) and x == y:\n"
		"        return None\n"
		"    return '%s: %r != %r' % (p, x, y)\n"
		"d = diff(load(sys.argv[1]), load(sys.argv[2]), '$')\n"
		"if d: print('# json differs: ' + d)\n"
		"sys.exit(1 if d else 0)\n";
	char q1[512], q2[512], q3[512], q4[4096];

	return run("%s -c %s %s %s", shq(q1, 512, python3),
		   shq(q4, sizeof(q4), script), shq(q2, 512, a),
		   shq(q3, 512, b));
}

/* Verify buf as the named root. */
static int verify_root(const char *root, const void *buf, size_t len, char *err,
		       size_t errlen)
{
	if (!strcmp(root, "Request"))
		return sentinel_Request_verify(buf, len, err, errlen);
	if (!strcmp(root, "Reply"))
		return sentinel_Reply_verify(buf, len, err, errlen);
	return sentinel_EventBatch_verify(buf, len, err, errlen);
}

/* Dump a verified buffer as JSON (caller frees d->p). */
static void dump_root(struct dump *d, const char *root, const void *buf)
{
	if (!strcmp(root, "Request"))
		dump_Request(d, sentinel_Request_root(buf));
	else if (!strcmp(root, "Reply"))
		dump_Reply(d, sentinel_Reply_root(buf));
	else
		dump_EventBatch(d, sentinel_EventBatch_root(buf));
}

/* --- a small JSON parser, to build the test messages from the files ---- */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
	enum jtype t;
	char *s;	 /* J_STR: decoded, J_NUM: text (owned) */
	size_t slen;	 /* J_STR length */
	int b;		 /* J_BOOL */
	struct jv *kids; /* J_ARR, J_OBJ members (owned) */
	char **keys;	 /* J_OBJ keys (owned) */
	size_t n;
};

struct jparser {
	const char *p, *end;
	int err;
};

static void jfree(struct jv *v)
{
	for (size_t i = 0; i < v->n; i++) {
		jfree(&v->kids[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->kids);
	free(v->keys);
	free(v->s);
	memset(v, 0, sizeof(*v));
}

static void jws(struct jparser *j)
{
	while (j->p < j->end && strchr(" \t\r\n", *j->p))
		j->p++;
}

static int jparse(struct jparser *j, struct jv *v);

static int jstring(struct jparser *j, char **ret, size_t *ret_len)
{
	size_t cap = 16, n = 0;
	char *s = malloc(cap);

	if (!s || j->p >= j->end || *j->p != '"')
		goto fail;
	j->p++;
	while (j->p < j->end && *j->p != '"') {
		unsigned c = (unsigned char)*j->p++;

		if (n + 5 >= cap) {
			char *ns = realloc(s, cap *= 2);

			if (!ns)
				goto fail;
			s = ns;
		}
		if (c == '\\') {
			if (j->p >= j->end)
				goto fail;
			c = (unsigned char)*j->p++;
			switch (c) {
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case 'r':
				c = '\r';
				break;
			case 'b':
				c = '\b';
				break;
			case 'f':
				c = '\f';
				break;
			case 'u': {
				char hex[5] = {0};

				if (j->end - j->p < 4)
					goto fail;
				memcpy(hex, j->p, 4);
				j->p += 4;
				c = (unsigned)strtoul(hex, NULL, 16);
				if (c >= 0x80) { /* BMP only: enough here */
					if (c < 0x800) {
						s[n++] =
							(char)(0xc0 | (c >> 6));
					} else {
						s[n++] = (char)(0xe0 |
								(c >> 12));
						s[n++] = (char)(0x80 |
								((c >> 6) &
								 0x3f));
					}
					c = 0x80 | (c & 0x3f);
				}
				break;
			}
			default:
				break; /* \" \\ \/ */
			}
		}
		s[n++] = (char)c;
	}
	if (j->p >= j->end)
		goto fail;
	j->p++;
	s[n] = '\0';
	*ret = s;
	*ret_len = n;
	return 0;
fail:
	free(s);
	j->err = 1;
	return -1;
}

static int jpush(struct jv *v, struct jv *kid, char *key)
{
	struct jv *k = realloc(v->kids, (v->n + 1) * sizeof(*k));

	if (!k)
		return -1;
	v->kids = k;
	if (v->t == J_OBJ) {
		char **keys = realloc(v->keys, (v->n + 1) * sizeof(*keys));

		if (!keys)
			return -1;
		v->keys = keys;
		keys[v->n] = key;
	}
	k[v->n++] = *kid;
	return 0;
}

static int jparse(struct jparser *j, struct jv *v)
{
	memset(v, 0, sizeof(*v));
	jws(j);
	if (j->p >= j->end)
		goto fail;
	if (*j->p == '{' || *j->p == '[') {
		int obj = *j->p == '{';

		v->t = obj ? J_OBJ : J_ARR;
		j->p++;
		jws(j);
		if (j->p < j->end && *j->p == (obj ? '}' : ']')) {
			j->p++;
			return 0;
		}
		for (;;) {
			struct jv kid;
			char *key = NULL;
			size_t klen;

			jws(j);
			if (obj) {
				if (jstring(j, &key, &klen))
					goto fail;
				jws(j);
				if (j->p >= j->end || *j->p != ':') {
					free(key);
					goto fail;
				}
				j->p++;
			}
			if (jparse(j, &kid) || jpush(v, &kid, key)) {
				free(key);
				jfree(&kid);
				goto fail;
			}
			jws(j);
			if (j->p < j->end && *j->p == ',') {
				j->p++;
				continue;
			}
			if (j->p < j->end && *j->p == (obj ? '}' : ']')) {
				j->p++;
				return 0;
			}
			goto fail;
		}
	}
	if (*j->p == '"') {
		v->t = J_STR;
		return jstring(j, &v->s, &v->slen);
	}
	if (!strncmp(j->p, "true", 4) || !strncmp(j->p, "false", 5)) {
		v->t = J_BOOL;
		v->b = *j->p == 't';
		j->p += v->b ? 4 : 5;
		return 0;
	}
	if (!strncmp(j->p, "null", 4)) {
		j->p += 4;
		return 0;
	}
	{
		const char *s = j->p;

		while (j->p < j->end && strchr("+-0123456789.eE", *j->p))
			j->p++;
		if (j->p == s)
			goto fail;
		v->t = J_NUM;
		v->s = strndup(s, (size_t)(j->p - s));
		return v->s ? 0 : -1;
	}
fail:
	j->err = 1;
	jfree(v);
	return -1;
}

static const struct jv *jget(const struct jv *o, const char *key)
{
	if (!o || o->t != J_OBJ)
		return NULL;
	for (size_t i = 0; i < o->n; i++)
		if (!strcmp(o->keys[i], key))
			return &o->kids[i];
	return NULL;
}

static uint64_t ju(const struct jv *v)
{
	if (v && v->t == J_BOOL)
		return (uint64_t)v->b;
	return v && v->t == J_NUM ? strtoull(v->s, NULL, 0) : 0;
}

static int64_t ji(const struct jv *v)
{
	return v && v->t == J_NUM ? strtoll(v->s, NULL, 0) : 0;
}

/* An enum given by name (or number) in the JSON. */
static unsigned jenum(const struct jv *v, const char *(*name)(unsigned))
{
	if (v && v->t == J_STR) {
		for (unsigned i = 0; i < 65536; i++) {
			const char *n = name(i);

			if (n && !strcmp(n, v->s))
				return i;
		}
		tap_fail("unknown enum name %s", v->s);
		return 0;
	}
	return (unsigned)ju(v);
}

static uint32_t jstr_ref(struct fb_builder *b, const struct jv *v)
{
	return v && v->t == J_STR ? fb_create_string(b, v->s, v->slen) : 0;
}

typedef uint32_t (*jbuild_fn)(struct fb_builder *b, const struct jv *o);

/* A vector of tables built by fn, or of strings when fn is NULL. */
static uint32_t jref_vector(struct fb_builder *b, const struct jv *arr,
			    jbuild_fn fn)
{
	uint32_t *refs, ref;

	if (!arr || arr->t != J_ARR)
		return 0;
	refs = calloc(arr->n + 1, sizeof(*refs));
	if (!refs)
		return 0;
	for (size_t i = 0; i < arr->n; i++)
		refs[i] =
			fn ? fn(b, &arr->kids[i]) : jstr_ref(b, &arr->kids[i]);
	ref = fb_create_ref_vector(b, refs, arr->n);
	free(refs);
	return ref;
}

static void j_Cidr(const struct jv *o, struct sentinel_Cidr *c)
{
	const struct jv *a = jget(o, "addr");

	memset(c, 0, sizeof(*c));
	c->family = (uint8_t)ju(jget(o, "family"));
	c->plen = (uint8_t)ju(jget(o, "plen"));
	for (size_t i = 0; a && i < a->n && i < sizeof(c->addr); i++)
		c->addr[i] = (uint8_t)ju(&a->kids[i]);
}

#define ADD_U(T, f)                                       \
	do {                                              \
		if ((x = jget(o, #f)))                    \
			sentinel_##T##_add_##f(b, ju(x)); \
	} while (0)
#define ADD_I(T, f)                                       \
	do {                                              \
		if ((x = jget(o, #f)))                    \
			sentinel_##T##_add_##f(b, ji(x)); \
	} while (0)
#define ADD_E(T, f, E)                                                         \
	do {                                                                   \
		if ((x = jget(o, #f)))                                         \
			sentinel_##T##_add_##f(b,                              \
					       jenum(x, sentinel_##E##_name)); \
	} while (0)

static uint32_t b_Rule(struct fb_builder *b, const struct jv *o)
{
	uint32_t iface = jstr_ref(b, jget(o, "interface"));
	struct sentinel_Cidr c;
	const struct jv *x;

	sentinel_Rule_start(b);
	sentinel_Rule_add_interface(b, iface);
	ADD_U(Rule, id);
	ADD_U(Rule, priority);
	ADD_E(Rule, action, Action);
	ADD_U(Rule, dry_run);
	ADD_U(Rule, proto);
	if ((x = jget(o, "src"))) {
		j_Cidr(x, &c);
		sentinel_Rule_add_src(b, &c);
	}
	if ((x = jget(o, "dst"))) {
		j_Cidr(x, &c);
		sentinel_Rule_add_dst(b, &c);
	}
	ADD_U(Rule, sport_lo);
	ADD_U(Rule, sport_hi);
	ADD_U(Rule, dport_lo);
	ADD_U(Rule, dport_hi);
	ADD_I(Rule, vlan);
	ADD_U(Rule, tcp_flags_mask);
	ADD_U(Rule, tcp_flags_value);
	ADD_I(Rule, icmp_type);
	ADD_I(Rule, icmp_code);
	return sentinel_Rule_end(b);
}

static uint32_t b_ReplaceRules(struct fb_builder *b, const struct jv *o)
{
	uint32_t rules = jref_vector(b, jget(o, "rules"), b_Rule);

	sentinel_ReplaceRules_start(b);
	sentinel_ReplaceRules_add_rules(b, rules);
	return sentinel_ReplaceRules_end(b);
}

static uint32_t b_BlockAdd(struct fb_builder *b, const struct jv *o)
{
	const struct jv *a = jget(o, "entries");
	struct sentinel_BlockEntry *e = NULL;
	uint32_t ref = 0;

	if (a) {
		e = calloc(a->n + 1, sizeof(*e));
		for (size_t i = 0; e && i < a->n; i++) {
			j_Cidr(jget(&a->kids[i], "cidr"), &e[i].cidr);
			e[i].dry_run =
				(uint8_t)ju(jget(&a->kids[i], "dry_run"));
			e[i].source = (uint32_t)ju(jget(&a->kids[i], "source"));
			e[i].ttl_ms = ju(jget(&a->kids[i], "ttl_ms"));
		}
		ref = sentinel_BlockAdd_entries_create(b, e, a->n);
		free(e);
	}
	sentinel_BlockAdd_start(b);
	sentinel_BlockAdd_add_entries(b, ref);
	return sentinel_BlockAdd_end(b);
}

static uint32_t b_BlockRemove(struct fb_builder *b, const struct jv *o)
{
	const struct jv *a = jget(o, "cidrs");
	uint32_t ref = 0;

	if (a) {
		/* filled in place: the event path's way */
		struct sentinel_Cidr *c =
			sentinel_BlockRemove_cidrs_alloc(b, a->n, &ref);

		for (size_t i = 0; c && i < a->n; i++)
			j_Cidr(&a->kids[i], &c[i]);
	}
	sentinel_BlockRemove_start(b);
	sentinel_BlockRemove_add_cidrs(b, ref);
	return sentinel_BlockRemove_end(b);
}

static uint32_t b_SetDryRun(struct fb_builder *b, const struct jv *o)
{
	uint32_t iface = jstr_ref(b, jget(o, "interface"));
	const struct jv *x;

	sentinel_SetDryRun_start(b);
	ADD_U(SetDryRun, enabled);
	sentinel_SetDryRun_add_interface(b, iface);
	return sentinel_SetDryRun_end(b);
}

static uint32_t b_SetDefaultPolicy(struct fb_builder *b, const struct jv *o)
{
	uint32_t iface = jstr_ref(b, jget(o, "interface"));
	const struct jv *x;

	sentinel_SetDefaultPolicy_start(b);
	sentinel_SetDefaultPolicy_add_interface(b, iface);
	ADD_E(SetDefaultPolicy, policy, Policy);
	ADD_U(SetDefaultPolicy, reset);
	return sentinel_SetDefaultPolicy_end(b);
}

static uint32_t b_MgmtEntry(struct fb_builder *b, const struct jv *o)
{
	const struct jv *a = jget(o, "ports"), *x;
	struct sentinel_Cidr c;
	uint32_t ports = 0;

	if (a) {
		uint16_t *p = calloc(a->n + 1, sizeof(*p));

		for (size_t i = 0; p && i < a->n; i++)
			p[i] = (uint16_t)ju(&a->kids[i]);
		ports = sentinel_MgmtEntry_ports_create(b, p, a->n);
		free(p);
	}
	sentinel_MgmtEntry_start(b);
	if ((x = jget(o, "cidr"))) {
		j_Cidr(x, &c);
		sentinel_MgmtEntry_add_cidr(b, &c);
	}
	sentinel_MgmtEntry_add_ports(b, ports);
	return sentinel_MgmtEntry_end(b);
}

static uint32_t b_SetMgmt(struct fb_builder *b, const struct jv *o)
{
	uint32_t entries = jref_vector(b, jget(o, "entries"), b_MgmtEntry);

	sentinel_SetMgmt_start(b);
	sentinel_SetMgmt_add_entries(b, entries);
	return sentinel_SetMgmt_end(b);
}

static uint32_t b_GetCounters(struct fb_builder *b, const struct jv *o)
{
	const struct jv *a = jget(o, "rule_ids");
	uint32_t ref = 0;

	if (a) {
		uint32_t *ids =
			sentinel_GetCounters_rule_ids_alloc(b, a->n, &ref);

		for (size_t i = 0; ids && i < a->n; i++)
			ids[i] = (uint32_t)ju(&a->kids[i]);
	}
	sentinel_GetCounters_start(b);
	sentinel_GetCounters_add_rule_ids(b, ref);
	return sentinel_GetCounters_end(b);
}

static uint32_t b_GetStatus(struct fb_builder *b, const struct jv *o)
{
	sentinel_GetStatus_start(b);
	return sentinel_GetStatus_end(b);
}

static uint32_t b_InterfaceSettings(struct fb_builder *b, const struct jv *o)
{
	uint32_t iface = jstr_ref(b, jget(o, "interface"));
	const struct jv *x;

	sentinel_InterfaceSettings_start(b);
	sentinel_InterfaceSettings_add_interface(b, iface);
	ADD_U(InterfaceSettings, own_policy);
	ADD_E(InterfaceSettings, policy, Policy);
	ADD_U(InterfaceSettings, dry_run);
	return sentinel_InterfaceSettings_end(b);
}

static uint32_t b_ApplyState(struct fb_builder *b, const struct jv *o)
{
	uint32_t rules = jref_vector(b, jget(o, "rules"), b_Rule);
	uint32_t mgmt = jref_vector(b, jget(o, "mgmt"), b_MgmtEntry);
	uint32_t ifs =
		jref_vector(b, jget(o, "interfaces"), b_InterfaceSettings);
	const struct jv *x;

	sentinel_ApplyState_start(b);
	sentinel_ApplyState_add_rules(b, rules);
	ADD_E(ApplyState, default_policy, Policy);
	ADD_U(ApplyState, dry_run);
	sentinel_ApplyState_add_mgmt(b, mgmt);
	sentinel_ApplyState_add_interfaces(b, ifs);
	return sentinel_ApplyState_end(b);
}

static uint32_t b_Request(struct fb_builder *b, const struct jv *o)
{
	static const jbuild_fn fns[] = {
		[sentinel_Command_ReplaceRules] = b_ReplaceRules,
		[sentinel_Command_BlockAdd] = b_BlockAdd,
		[sentinel_Command_BlockRemove] = b_BlockRemove,
		[sentinel_Command_SetDryRun] = b_SetDryRun,
		[sentinel_Command_SetDefaultPolicy] = b_SetDefaultPolicy,
		[sentinel_Command_SetMgmt] = b_SetMgmt,
		[sentinel_Command_GetCounters] = b_GetCounters,
		[sentinel_Command_GetStatus] = b_GetStatus,
		[sentinel_Command_ApplyState] = b_ApplyState,
	};
	unsigned type = jenum(jget(o, "command_type"), sentinel_Command_name);
	uint32_t cmd = 0;
	const struct jv *x;

	if (type && type < sizeof(fns) / sizeof(fns[0]))
		cmd = fns[type](b, jget(o, "command"));
	sentinel_Request_start(b);
	sentinel_Request_add_command(b, type, cmd);
	ADD_U(Request, id);
	return sentinel_Request_end(b);
}

static uint32_t b_RulesResult(struct fb_builder *b, const struct jv *o)
{
	uint32_t unresolved = jref_vector(b, jget(o, "unresolved"), NULL);
	const struct jv *x;

	sentinel_RulesResult_start(b);
	ADD_U(RulesResult, rules);
	ADD_U(RulesResult, entries4);
	ADD_U(RulesResult, entries6);
	ADD_U(RulesResult, tuples4);
	ADD_U(RulesResult, tuples6);
	ADD_U(RulesResult, generation);
	sentinel_RulesResult_add_unresolved(b, unresolved);
	return sentinel_RulesResult_end(b);
}

static uint32_t b_Counter(struct fb_builder *b, const struct jv *o)
{
	uint32_t name = jstr_ref(b, jget(o, "name"));
	const struct jv *x;

	sentinel_Counter_start(b);
	sentinel_Counter_add_name(b, name);
	ADD_U(Counter, packets);
	ADD_U(Counter, bytes);
	return sentinel_Counter_end(b);
}

static uint32_t b_EventStats(struct fb_builder *b, const struct jv *o)
{
	const struct jv *x;

	sentinel_EventStats_start(b);
	ADD_U(EventStats, read);
	ADD_U(EventStats, sent);
	ADD_U(EventStats, batches);
	ADD_U(EventStats, ring_skipped);
	ADD_U(EventStats, ring_failed);
	ADD_U(EventStats, send_dropped);
	return sentinel_EventStats_end(b);
}

static int j_PacketCount(const struct jv *o, struct sentinel_PacketCount *c)
{
	if (!o)
		return 0;
	c->packets = ju(jget(o, "packets"));
	c->bytes = ju(jget(o, "bytes"));
	return 1;
}

static uint32_t b_InterfaceCounters(struct fb_builder *b, const struct jv *o)
{
	uint32_t iface = jstr_ref(b, jget(o, "interface"));
	struct sentinel_PacketCount c;
	const struct jv *x;

	sentinel_InterfaceCounters_start(b);
	ADD_U(InterfaceCounters, ifindex);
	sentinel_InterfaceCounters_add_interface(b, iface);
	if (j_PacketCount(jget(o, "pass"), &c))
		sentinel_InterfaceCounters_add_pass(b, &c);
	if (j_PacketCount(jget(o, "drop"), &c))
		sentinel_InterfaceCounters_add_drop(b, &c);
	if (j_PacketCount(jget(o, "tx"), &c))
		sentinel_InterfaceCounters_add_tx(b, &c);
	if (j_PacketCount(jget(o, "default_pass"), &c))
		sentinel_InterfaceCounters_add_default_pass(b, &c);
	if (j_PacketCount(jget(o, "default_drop"), &c))
		sentinel_InterfaceCounters_add_default_drop(b, &c);
	return sentinel_InterfaceCounters_end(b);
}

static uint32_t b_CountersResult(struct fb_builder *b, const struct jv *o)
{
	uint32_t global = jref_vector(b, jget(o, "global"), b_Counter);
	uint32_t ifs =
		jref_vector(b, jget(o, "interfaces"), b_InterfaceCounters);
	const struct jv *a = jget(o, "rules");
	uint32_t rules = 0, events = 0;

	if (a) {
		struct sentinel_RuleCounter *c =
			sentinel_CountersResult_rules_alloc(b, a->n, &rules);

		for (size_t i = 0; c && i < a->n; i++) {
			memset(&c[i], 0, sizeof(c[i]));
			c[i].rule_id =
				(uint32_t)ju(jget(&a->kids[i], "rule_id"));
			c[i].packets = ju(jget(&a->kids[i], "packets"));
			c[i].bytes = ju(jget(&a->kids[i], "bytes"));
		}
	}
	if (jget(o, "events"))
		events = b_EventStats(b, jget(o, "events"));
	sentinel_CountersResult_start(b);
	sentinel_CountersResult_add_global(b, global);
	sentinel_CountersResult_add_rules(b, rules);
	sentinel_CountersResult_add_events(b, events);
	sentinel_CountersResult_add_interfaces(b, ifs);
	return sentinel_CountersResult_end(b);
}

static uint32_t b_Attachment(struct fb_builder *b, const struct jv *o)
{
	uint32_t iface = jstr_ref(b, jget(o, "interface"));
	uint32_t error = jstr_ref(b, jget(o, "error"));
	const struct jv *x;

	sentinel_Attachment_start(b);
	sentinel_Attachment_add_interface(b, iface);
	ADD_U(Attachment, ifindex);
	ADD_E(Attachment, mode, XdpMode);
	ADD_U(Attachment, link_id);
	ADD_U(Attachment, prog_id);
	sentinel_Attachment_add_error(b, error);
	return sentinel_Attachment_end(b);
}

static uint32_t b_StatusResult(struct fb_builder *b, const struct jv *o)
{
	uint32_t version = jstr_ref(b, jget(o, "version"));
	uint32_t att = jref_vector(b, jget(o, "attachments"), b_Attachment);
	const struct jv *x;

	sentinel_StatusResult_start(b);
	sentinel_StatusResult_add_version(b, version);
	ADD_U(StatusResult, prog_id);
	ADD_U(StatusResult, adopted);
	ADD_U(StatusResult, uptime_ms);
	sentinel_StatusResult_add_attachments(b, att);
	ADD_U(StatusResult, rules);
	ADD_U(StatusResult, generation);
	ADD_E(StatusResult, default_policy, Policy);
	ADD_U(StatusResult, dry_run);
	ADD_U(StatusResult, block4);
	ADD_U(StatusResult, block6);
	ADD_U(StatusResult, mgmt);
	return sentinel_StatusResult_end(b);
}

static uint32_t b_Reply(struct fb_builder *b, const struct jv *o)
{
	unsigned type = jenum(jget(o, "result_type"), sentinel_Result_name);
	uint32_t msg = jstr_ref(b, jget(o, "message"));
	uint32_t field = jstr_ref(b, jget(o, "field"));
	const struct jv *r = jget(o, "result"), *x;
	uint32_t res = 0;

	if (type == sentinel_Result_RulesResult)
		res = b_RulesResult(b, r);
	else if (type == sentinel_Result_CountersResult)
		res = b_CountersResult(b, r);
	else if (type == sentinel_Result_StatusResult)
		res = b_StatusResult(b, r);
	sentinel_Reply_start(b);
	ADD_U(Reply, id);
	ADD_E(Reply, code, Code);
	sentinel_Reply_add_message(b, msg);
	sentinel_Reply_add_field(b, field);
	if (type == sentinel_Result_RulesResult)
		sentinel_Reply_add_result_RulesResult(b, res);
	else if (type == sentinel_Result_CountersResult)
		sentinel_Reply_add_result_CountersResult(b, res);
	else if (type == sentinel_Result_StatusResult)
		sentinel_Reply_add_result_StatusResult(b, res);
	return sentinel_Reply_end(b);
}

static void j_FwEvent(const struct jv *o, struct sentinel_FwEvent *e)
{
	const struct jv *src = jget(o, "src"), *dst = jget(o, "dst");

	memset(e, 0, sizeof(*e));
	e->ts_ns = ju(jget(o, "ts_ns"));
	e->ifindex = (uint32_t)ju(jget(o, "ifindex"));
	e->rule_id = (uint32_t)ju(jget(o, "rule_id"));
	e->pkt_len = (uint32_t)ju(jget(o, "pkt_len"));
	e->type = (uint8_t)jenum(jget(o, "type"), sentinel_FwEventType_name);
	e->action = (uint8_t)jenum(jget(o, "action"), sentinel_Action_name);
	e->flags = (uint8_t)ju(jget(o, "flags"));
	e->family = (uint8_t)ju(jget(o, "family"));
	e->proto = (uint8_t)ju(jget(o, "proto"));
	e->tcp_flags = (uint8_t)ju(jget(o, "tcp_flags"));
	e->vlan = (uint16_t)ju(jget(o, "vlan"));
	e->sport = (uint16_t)ju(jget(o, "sport"));
	e->dport = (uint16_t)ju(jget(o, "dport"));
	for (size_t i = 0; src && i < src->n && i < 16; i++)
		e->src[i] = (uint8_t)ju(&src->kids[i]);
	for (size_t i = 0; dst && i < dst->n && i < 16; i++)
		e->dst[i] = (uint8_t)ju(&dst->kids[i]);
}

static uint32_t b_EventBatch(struct fb_builder *b, const struct jv *o)
{
	const struct jv *a = jget(o, "fw"), *x;
	uint32_t fw = 0;

	if (a) {
		struct sentinel_FwEvent *e =
			sentinel_EventBatch_fw_alloc(b, a->n, &fw);

		for (size_t i = 0; e && i < a->n; i++)
			j_FwEvent(&a->kids[i], &e[i]);
	}
	sentinel_EventBatch_start(b);
	ADD_U(EventBatch, seq);
	sentinel_EventBatch_add_fw(b, fw);
	ADD_U(EventBatch, ring_skipped);
	ADD_U(EventBatch, ring_failed);
	ADD_U(EventBatch, send_dropped);
	ADD_U(EventBatch, instance);
	return sentinel_EventBatch_end(b);
}

/* Build the message in DATA_DIR/name.json with our builder. */
static int build_from_json(struct fb_builder *b, const char *name,
			   const char *root)
{
	char path[512];
	struct jparser j;
	struct jv v;
	size_t len;
	uint8_t *text;
	uint32_t ref;
	int rc;

	snprintf(path, sizeof(path), "%s/%s.json", data_dir, name);
	text = read_file(path, &len);
	if (!text)
		return -ENOENT;
	j.p = (const char *)text;
	j.end = j.p + len;
	j.err = 0;
	if (jparse(&j, &v)) {
		free(text);
		return -EINVAL;
	}
	if (!strcmp(root, "Request")) {
		ref = b_Request(b, &v);
		rc = sentinel_Request_finish(b, ref);
	} else if (!strcmp(root, "Reply")) {
		ref = b_Reply(b, &v);
		rc = sentinel_Reply_finish(b, ref);
	} else {
		ref = b_EventBatch(b, &v);
		rc = sentinel_EventBatch_finish(b, ref);
	}
	jfree(&v);
	free(text);
	return rc;
}

/* --- the messages ------------------------------------------------------ */

static const struct msg {
	const char *name, *root;
} msgs[] = {
	{"req_replace_rules", "Request"},
	{"req_block_add", "Request"},
	{"req_block_remove", "Request"},
	{"req_set_dry_run", "Request"},
	{"req_set_default_policy", "Request"},
	{"req_set_mgmt", "Request"},
	{"req_get_counters", "Request"},
	{"req_get_status", "Request"},
	{"req_none", "Request"},
	{"reply_rules", "Reply"},
	{"reply_counters", "Reply"},
	{"reply_status", "Reply"},
	{"reply_error", "Reply"},
	{"reply_failed", "Reply"},
	{"req_apply_state", "Request"},
	{"events_batch", "EventBatch"},
	{"events_empty", "EventBatch"},
};

#define NMSGS (sizeof(msgs) / sizeof(msgs[0]))

/* Buffers of every message: flatc's and ours (for the negative tests). */
static uint8_t *flatc_buf[NMSGS], *our_buf[NMSGS];
static size_t flatc_len[NMSGS], our_len[NMSGS];

/* Our reader's dump of buf equals flatc's JSON of the file bin. */
static void check_dump(const struct msg *m, const uint8_t *buf, const char *bin,
		       const char *tag)
{
	char dump_path[512], flatc_dir[512], flatc_out[600];
	struct dump d = {0};

	snprintf(dump_path, sizeof(dump_path), "%s/dump/%s-%s.json", tmp,
		 m->name, tag);
	snprintf(flatc_dir, sizeof(flatc_dir), "%s/json-%s", tmp, tag);
	snprintf(flatc_out, sizeof(flatc_out), "%s/%s.json", flatc_dir,
		 m->name);
	dump_root(&d, m->root, buf);
	CHECK(!d.oom && d.p, "dump failed");
	if (d.p && write_file(dump_path, d.p, d.n))
		tap_fail("cannot write %s", dump_path);
	CHECK(flatc_json(bin, m->root, schema_dir, schema_of(m->root),
			 flatc_dir) == 0,
	      "flatc --json failed on %s", bin);
	CHECK(json_same(flatc_out, dump_path) == 0,
	      "%s: our reader disagrees with flatc", tag);
	free(d.p);
}

/* 1. flatc-encoded -> our verifier and reader. */
static void test_flatc_to_ours(void)
{
	for (size_t i = 0; i < NMSGS; i++) {
		const struct msg *m = &msgs[i];
		char bin[512], err[256], name[128];

		snprintf(name, sizeof(name), "flatc->ours %s", m->name);
		snprintf(bin, sizeof(bin), "%s/flatc/%s.bin", tmp, m->name);
		CHECK(flatc_binary(m->name, m->root, schema_dir,
				   schema_of(m->root), data_dir) == 0,
		      "flatc -b failed");
		flatc_buf[i] = read_file(bin, &flatc_len[i]);
		if (!flatc_buf[i]) {
			tap_fail("no %s", bin);
			tap_end(name);
			continue;
		}
		CHECK(verify_root(m->root, flatc_buf[i], flatc_len[i], err,
				  sizeof(err)) == 0,
		      "verify: %s", err);
		CHECK(!strcmp(m->root, "EventBatch")
			      ? sentinel_EventBatch_has_identifier(flatc_buf[i],
								   flatc_len[i])
			      : sentinel_Request_has_identifier(flatc_buf[i],
								flatc_len[i]),
		      "file identifier missing");
		if (!tap_failing())
			check_dump(m, flatc_buf[i], bin, "flatc");
		tap_end(name);
	}
}

static const uint8_t *buf_of(const char *name)
{
	for (size_t i = 0; i < NMSGS; i++)
		if (!strcmp(msgs[i].name, name))
			return flatc_buf[i];
	return NULL;
}

/* Field by field, the values the JSON files hold (flatc-encoded). */
static void test_reader_values(void)
{
	const uint8_t *buf = buf_of("req_replace_rules");
	const struct sentinel_Request *req;
	const struct sentinel_ReplaceRules *rr;
	const struct sentinel_Rule *r;

	if (!buf) {
		tap_skip("reader values", "flatc buffers missing");
		return;
	}
	req = sentinel_Request_root(buf);
	CHECK(sentinel_Request_id(req) == UINT64_MAX, "id");
	CHECK(sentinel_Request_command_type(req) ==
		      sentinel_Command_ReplaceRules,
	      "command_type");
	CHECK(!sentinel_Request_command_as_BlockAdd(req), "as_BlockAdd");
	rr = sentinel_Request_command_as_ReplaceRules(req);
	CHECK(rr && sentinel_ReplaceRules_rules_len(rr) == 4, "rules_len");
	CHECK(!sentinel_ReplaceRules_rules_at(rr, 4), "rules_at past end");
	r = sentinel_ReplaceRules_rules_at(rr, 0);
	CHECK(sentinel_Rule_id(r) == 1 && sentinel_Rule_priority(r) == 10,
	      "rule 0 id/priority");
	CHECK(sentinel_Rule_action(r) == sentinel_Action_Deny, "action");
	CHECK(sentinel_Rule_dry_run(r) == true && sentinel_Rule_proto(r) == 6,
	      "dry_run/proto");
	CHECK(sentinel_Rule_src(r) && sentinel_Rule_src(r)->family == 4 &&
		      sentinel_Rule_src(r)->plen == 24 &&
		      sentinel_Rule_src(r)->addr[1] == 1,
	      "src");
	CHECK(sentinel_Rule_dst(r) && sentinel_Rule_dst(r)->addr[0] == 192,
	      "dst");
	CHECK(sentinel_Rule_sport_lo(r) == 1024 &&
		      sentinel_Rule_sport_hi(r) == 2048 &&
		      sentinel_Rule_dport_lo(r) == 22 &&
		      sentinel_Rule_dport_hi(r) == 22,
	      "ports");
	CHECK(sentinel_Rule_vlan(r) == 4095, "vlan");
	CHECK(sentinel_Rule_tcp_flags_mask(r) == 18 &&
		      sentinel_Rule_tcp_flags_value(r) == 2,
	      "tcp flags");
	CHECK(sentinel_Rule_icmp_type(r) == 0 &&
		      sentinel_Rule_icmp_code(r) == 0 &&
		      sentinel_Rule_icmp_type_is_present(r),
	      "icmp 0 (not the default) is present");
	CHECK(sentinel_Rule_interface(r) &&
		      !strcmp(sentinel_Rule_interface(r), "eth0") &&
		      sentinel_Rule_interface_len(r) == 4,
	      "interface");
	r = sentinel_ReplaceRules_rules_at(rr, 1);
	CHECK(sentinel_Rule_id(r) == UINT32_MAX &&
		      sentinel_Rule_priority(r) == UINT32_MAX,
	      "max ids");
	CHECK(sentinel_Rule_vlan(r) == -32768 &&
		      sentinel_Rule_icmp_code(r) == -2 &&
		      sentinel_Rule_icmp_type(r) == 32767,
	      "negative and max shorts");
	CHECK(sentinel_Rule_sport_lo(r) == 65535 &&
		      sentinel_Rule_sport_hi(r) == 0,
	      "ushort extremes");
	CHECK(sentinel_Rule_src(r)->family == 6 &&
		      sentinel_Rule_src(r)->addr[15] == 255 &&
		      !sentinel_Rule_dst(r),
	      "v6 src, no dst");
	r = sentinel_ReplaceRules_rules_at(rr, 3);
	CHECK(sentinel_Rule_id(r) == 2 && sentinel_Rule_vlan(r) == -1 &&
		      !sentinel_Rule_vlan_is_present(r) &&
		      sentinel_Rule_icmp_type(r) == -1 &&
		      sentinel_Rule_sport_hi(r) == 65535 &&
		      sentinel_Rule_action(r) == sentinel_Action_Allow &&
		      !sentinel_Rule_src(r) && !sentinel_Rule_interface(r) &&
		      sentinel_Rule_interface_len(r) == 0,
	      "defaults of an absent field");
	r = sentinel_ReplaceRules_rules_at(rr, 2);
	CHECK(sentinel_Rule_interface(r) && !*sentinel_Rule_interface(r),
	      "empty string is present");

	buf = buf_of("events_batch");
	if (buf) {
		const struct sentinel_EventBatch *eb =
			sentinel_EventBatch_root(buf);
		const struct sentinel_FwEvent *e = sentinel_EventBatch_fw(eb);

		CHECK(sentinel_EventBatch_seq(eb) == UINT64_MAX, "seq");
		CHECK(sentinel_EventBatch_fw_len(eb) == 4 && e, "fw_len");
		CHECK(e && e[1].ts_ns == UINT64_MAX &&
			      e[1].pkt_len == UINT32_MAX &&
			      e[1].type == sentinel_FwEventType_BlockSet &&
			      e[1].action == sentinel_Action_Reject &&
			      e[1].vlan == 4095 && e[1].dst[15] == 1,
		      "event 1");
		CHECK(sentinel_EventBatch_fw_at(eb, 3) == &e[3] &&
			      !sentinel_EventBatch_fw_at(eb, 4),
		      "fw_at");
		CHECK(sentinel_EventBatch_ring_failed(eb) == UINT64_MAX &&
			      sentinel_EventBatch_send_dropped(eb) == 3,
		      "loss counters");
	}
	buf = buf_of("reply_counters");
	if (buf) {
		const struct sentinel_Reply *rep = sentinel_Reply_root(buf);
		const struct sentinel_CountersResult *c =
			sentinel_Reply_result_as_CountersResult(rep);

		CHECK(c && !sentinel_Reply_result_as_StatusResult(rep), "as_");
		CHECK(sentinel_CountersResult_rules_len(c) == 2 &&
			      sentinel_CountersResult_rules(c)[0].bytes ==
				      UINT64_MAX,
		      "rule counters");
		CHECK(sentinel_Counter_packets(
			      sentinel_CountersResult_global_at(c, 0)) ==
			      UINT64_MAX,
		      "global[0]");
		CHECK(!sentinel_Counter_name(
			      sentinel_CountersResult_global_at(c, 2)),
		      "global[2] has no name");
		CHECK(sentinel_EventStats_ring_failed(
			      sentinel_CountersResult_events(c)) == UINT64_MAX,
		      "events");
		/* NULL tables read as absent */
		CHECK(sentinel_EventStats_read(NULL) == 0 &&
			      sentinel_Rule_vlan(NULL) == -1,
		      "NULL table");
	}
	CHECK(sentinel_Action_name(sentinel_Action_Reject) &&
		      !strcmp(sentinel_Action_name(3), "Reject") &&
		      !sentinel_Action_name(4) &&
		      !sentinel_Action_is_known(200) &&
		      sentinel_Code_is_known(sentinel_Code_Failed),
	      "enum names");
	tap_end("reader returns every value of the flatc buffers");
}

/* 2. our builder -> flatc. */
static void test_ours_to_flatc(void)
{
	struct fb_builder b;

	fb_builder_init(&b);
	for (size_t i = 0; i < NMSGS; i++) {
		const struct msg *m = &msgs[i];
		char bin[512], err[256], name[128], want[600], got[600];
		const void *data;
		size_t len;
		int rc;

		snprintf(name, sizeof(name), "ours->flatc %s", m->name);
		fb_builder_reset(&b);
		rc = build_from_json(&b, m->name, m->root);
		CHECK(rc == 0, "build: %d", rc);
		data = fb_builder_data(&b, &len);
		if (!data) {
			tap_fail("no data");
			tap_end(name);
			continue;
		}
		our_buf[i] = malloc(len);
		memcpy(our_buf[i], data, len);
		our_len[i] = len;
		printf("# %s: flatc %zu bytes, ours %zu bytes\n", m->name,
		       flatc_len[i], len);
		snprintf(bin, sizeof(bin), "%s/ours/%s.bin", tmp, m->name);
		CHECK(write_file(bin, data, len) == 0, "write");
		CHECK(verify_root(m->root, our_buf[i], len, err, sizeof(err)) ==
			      0,
		      "our verifier rejects our buffer: %s", err);
		CHECK(flatc_json(bin, m->root, schema_dir, schema_of(m->root),
				 tmp) == 0,
		      "flatc --json failed");
		/* flatc's reading of our buffer == flatc's of its own */
		snprintf(got, sizeof(got), "%s/%s.json", tmp, m->name);
		snprintf(want, sizeof(want), "%s/json-flatc/%s.json", tmp,
			 m->name);
		CHECK(json_same(want, got) == 0, "flatc reads our buffer "
						 "differently");
		if (!tap_failing())
			check_dump(m, our_buf[i], bin, "ours");
		tap_end(name);
	}
	fb_builder_free(&b);
}

/* Verify a copy of exactly len bytes; when valid, read all of it. */
static int verify_and_walk(const char *root, const uint8_t *src, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	struct dump d = {0};
	char err[256];
	int rc;

	memcpy(copy, src, len);
	rc = verify_root(root, copy, len, err, sizeof(err));
	if (rc == 0) {
		dump_root(&d, root, copy);
		free(d.p);
	} else if (rc != -EBADMSG || !err[0]) {
		tap_fail("bad error: %d '%s'", rc, err);
	}
	free(copy);
	return rc;
}

/* 3a. every truncation and every flipped byte of every buffer. */
static void test_truncate_flip(void)
{
	static const uint8_t masks[] = {0x01, 0x80, 0xff, 0x10};
	size_t accepted_prefixes = 0, checked = 0, accepted_flips = 0;

	for (size_t i = 0; i < NMSGS; i++) {
		for (int which = 0; which < 2; which++) {
			const uint8_t *buf = which ? our_buf[i] : flatc_buf[i];
			size_t len = which ? our_len[i] : flatc_len[i];
			uint8_t *c;

			if (!buf)
				continue;
			for (size_t n = 0; n < len; n++) {
				if (verify_and_walk(msgs[i].root, buf, n) == 0)
					accepted_prefixes++;
				checked++;
			}
			c = malloc(len);
			for (size_t pos = 0; pos < len; pos++) {
				for (size_t k = 0; k < sizeof(masks); k++) {
					memcpy(c, buf, len);
					c[pos] ^= masks[k];
					if (verify_and_walk(msgs[i].root, c,
							    len) == 0)
						accepted_flips++;
					checked++;
				}
			}
			free(c);
		}
	}
	printf("# %zu mutations checked, %zu truncations and %zu flips still "
	       "valid (read without fault)\n",
	       checked, accepted_prefixes, accepted_flips);
	tap_end("truncations rejected, flipped bytes never crash");
}

/* Expect verification of buf to fail with exactly (or starting with) msg. */
static void expect_err(const char *root, const uint8_t *buf, size_t len,
		       const char *want, int prefix)
{
	char err[512];
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	memcpy(copy, buf, len);
	rc = verify_root(root, copy, len, err, sizeof(err));
	free(copy);
	if (rc != -EBADMSG) {
		tap_fail("expected '%s', got %d", want, rc);
		return;
	}
	if (prefix ? strncmp(err, want, strlen(want)) : strcmp(err, want))
		tap_fail("expected '%s', got '%s'", want, err);
}

/* A Request with 4 rules, the 4th with interface "eth3". */
static uint8_t *build_rules_request(size_t *ret_len)
{
	struct fb_builder b;
	uint32_t rules[4], vec, rr, req;
	const void *data;
	uint8_t *copy = NULL;

	fb_builder_init(&b);
	for (int i = 0; i < 4; i++) {
		char name[8];
		uint32_t s;

		snprintf(name, sizeof(name), "eth%d", i);
		s = fb_create_string(&b, name, strlen(name));
		sentinel_Rule_start(&b);
		sentinel_Rule_add_id(&b, (uint32_t)i + 1);
		sentinel_Rule_add_interface(&b, s);
		sentinel_Rule_add_vlan(&b, 7);
		rules[i] = sentinel_Rule_end(&b);
	}
	vec = fb_create_ref_vector(&b, rules, 4);
	sentinel_ReplaceRules_start(&b);
	sentinel_ReplaceRules_add_rules(&b, vec);
	rr = sentinel_ReplaceRules_end(&b);
	sentinel_Request_start(&b);
	sentinel_Request_add_id(&b, 42);
	sentinel_Request_add_command_ReplaceRules(&b, rr);
	req = sentinel_Request_end(&b);
	if (sentinel_Request_finish(&b, req) == 0) {
		data = fb_builder_data(&b, ret_len);
		copy = malloc(*ret_len);
		memcpy(copy, data, *ret_len);
	}
	fb_builder_free(&b);
	return copy;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

/* 3b. crafted corruptions, each named by its path. */
static void test_crafted(void)
{
	const struct sentinel_Request *req;
	const struct sentinel_ReplaceRules *rr;
	const struct sentinel_Rule *r3;
	size_t len, off, vt;
	uint8_t *base, *c;
	char err[256];

	base = build_rules_request(&len);
	if (!base || sentinel_Request_verify(base, len, err, sizeof(err))) {
		tap_fail("base request: %s", base ? err : "not built");
		tap_end("crafted corruptions");
		free(base);
		return;
	}
	c = malloc(len);
	req = sentinel_Request_root(base);
	rr = sentinel_Request_command_as_ReplaceRules(req);
	r3 = sentinel_ReplaceRules_rules_at(rr, 3);

	/* the string length runs past the end */
	memcpy(c, base, len);
	off = (size_t)((const uint8_t *)sentinel_Rule_interface(r3) - base);
	put32(c + off - 4, 0x7fffff00);
	expect_err("Request", c, len,
		   "Request.command(ReplaceRules).rules[3].interface: string "
		   "runs past the buffer",
		   0);
	/* no NUL terminator */
	memcpy(c, base, len);
	c[off + 4] = 'x';
	expect_err(
		"Request", c, len,
		"Request.command(ReplaceRules).rules[3].interface: string is "
		"not NUL-terminated",
		0);
	/* the string offset made unaligned */
	memcpy(c, base, len);
	{
		size_t fo = (size_t)(fb_field(r3, 16) - base);

		put32(c + fo, fb_read_u32(base + fo) + 1);
		expect_err("Request", c, len,
			   "Request.command(ReplaceRules).rules[3].interface: "
			   "offset at",
			   1);
		CHECK(sentinel_Request_verify(c, len, err, sizeof(err)) &&
			      strstr(err, "unaligned"),
		      "unaligned: %s", err);
	}
	/* root offset out of bounds, unaligned */
	memcpy(c, base, len);
	put32(c, (uint32_t)len);
	expect_err("Request", c, len, "Request: root offset", 1);
	put32(c, 2);
	expect_err("Request", c, len,
		   "Request: root offset 2 is not 4-byte aligned", 0);
	/* the root's vtable out of bounds, both ways */
	memcpy(c, base, len);
	off = (size_t)((const uint8_t *)req - base);
	put32(c + off, (uint32_t)(int32_t) - (int32_t)len);
	expect_err("Request", c, len, "Request: vtable of the table at", 1);
	put32(c + off, (uint32_t)(off + 2));
	expect_err("Request", c, len, "Request: vtable of the table at", 1);
	/* a vtable of odd size, a table larger than the buffer */
	memcpy(c, base, len);
	vt = off - (size_t)fb_read_i32(base + off);
	put16(c + vt, 7);
	expect_err("Request", c, len, "Request: vtable at", 1);
	memcpy(c, base, len);
	put16(c + vt + 2, 0xfff0);
	expect_err("Request", c, len, "Request: table at", 1);
	/* a field past the end of its table */
	memcpy(c, base, len);
	put16(c + vt + 4, (uint16_t)(fb_read_u16(base + vt + 2) - 4));
	expect_err("Request", c, len, "Request.id: field at offset", 1);
	/* a misaligned 8-byte field (within the table) */
	memcpy(c, base, len);
	put16(c + vt + 4, 4 + ((fb_read_u16(base + vt + 4) + 4) & 4 ? 0 : 2));
	expect_err("Request", c, len, "Request.id: field at", 1);
	/* vector length overflowing the buffer */
	memcpy(c, base, len);
	off = (size_t)(fb_field_ref(rr, 0) - base);
	put32(c + off, 0xffffffff);
	expect_err("Request", c, len,
		   "Request.command(ReplaceRules).rules: vector of 4294967295 "
		   "elements of 4 bytes runs past the buffer",
		   0);
	/* a misaligned table in a vector */
	memcpy(c, base, len);
	put32(c + off + 4, fb_read_u32(base + off + 4) + 2);
	expect_err("Request", c, len,
		   "Request.command(ReplaceRules).rules[0]: offset at", 1);
	/* unknown union type, type without value, value without type */
	memcpy(c, base, len);
	off = (size_t)(fb_field(req, 1) - base);
	c[off] = 10;
	expect_err("Request", c, len, "Request.command: unknown union type 10",
		   0);
	c[off] = 0;
	expect_err("Request", c, len,
		   "Request.command: value present with union type NONE", 0);
	memcpy(c, base, len);
	vt = (size_t)((const uint8_t *)req - base) -
	     (size_t)fb_read_i32((const uint8_t *)req);
	put16(c + vt + 4 + 2 * 2, 0);
	expect_err("Request", c, len,
		   "Request.command: union type 1 without a value", 0);
	/* no room for the message: still -EBADMSG */
	memcpy(c, base, len);
	put32(c, (uint32_t)len);
	CHECK(sentinel_Request_verify(c, len, NULL, 0) == -EBADMSG, "no err");
	/* too short */
	expect_err("Request", base, 4,
		   "Request: buffer of 4 bytes is too short", 0);
	free(c);
	free(base);
	tap_end("crafted corruptions name the field path");
}

/* Every buffer verifies and reads at every start alignment (structs are
 * packed; UBSan in CI checks the accesses). */
static void test_unaligned_start(void)
{
	uint8_t *m;
	char err[256];

	for (size_t i = 0; i < NMSGS; i++) {
		for (size_t shift = 1; shift < 8; shift++) {
			struct dump d = {0};
			size_t len = flatc_len[i];

			if (!flatc_buf[i])
				continue;
			m = malloc(len + 8);
			memcpy(m + shift, flatc_buf[i], len);
			CHECK(verify_root(msgs[i].root, m + shift, len, err,
					  sizeof(err)) == 0,
			      "%s at +%zu: %s", msgs[i].name, shift, err);
			dump_root(&d, msgs[i].root, m + shift);
			free(d.p);
			free(m);
		}
	}
	tap_end("buffers at any start alignment");
}

/* 3c. bounds against malicious DAGs and deep nesting. */
static void test_limits(void)
{
	struct fb_builder b;
	const void *data;
	char err[1024];
	size_t len;
	uint32_t leaf, ref, *refs;
	uint8_t *copy;

	/* 1000001 references to one table */
	fb_builder_init(&b);
	sentinel_Rule_start(&b);
	sentinel_Rule_add_id(&b, 1);
	leaf = sentinel_Rule_end(&b);
	refs = malloc(1000001 * sizeof(*refs));
	for (size_t i = 0; i < 1000001; i++)
		refs[i] = leaf;
	ref = fb_create_ref_vector(&b, refs, 1000001);
	sentinel_ReplaceRules_start(&b);
	sentinel_ReplaceRules_add_rules(&b, ref);
	ref = sentinel_ReplaceRules_end(&b);
	sentinel_Request_start(&b);
	sentinel_Request_add_command_ReplaceRules(&b, ref);
	CHECK(sentinel_Request_finish(&b, sentinel_Request_end(&b)) == 0,
	      "build dag");
	data = fb_builder_data(&b, &len);
	copy = malloc(len);
	memcpy(copy, data, len);
	CHECK(sentinel_Request_verify(copy, len, err, sizeof(err)) ==
			      -EBADMSG &&
		      strstr(err, "more than 1000000 tables") &&
		      !strncmp(err, "Request.command(ReplaceRules).rules[", 36),
	      "dag: %s", err);
	free(copy);

	/* 70 references to one 1 MiB string */
	fb_builder_reset(&b);
	{
		char *big = calloc(1, 1 << 20);

		memset(big, 'a', (1 << 20) - 1);
		leaf = fb_create_string(&b, big, (1 << 20) - 1);
		free(big);
	}
	for (size_t i = 0; i < 70; i++)
		refs[i] = leaf;
	ref = fb_create_ref_vector(&b, refs, 70);
	sentinel_RulesResult_start(&b);
	sentinel_RulesResult_add_unresolved(&b, ref);
	ref = sentinel_RulesResult_end(&b);
	sentinel_Reply_start(&b);
	sentinel_Reply_add_result_RulesResult(&b, ref);
	CHECK(sentinel_Reply_finish(&b, sentinel_Reply_end(&b)) == 0,
	      "build strings");
	data = fb_builder_data(&b, &len);
	copy = malloc(len);
	memcpy(copy, data, len);
	CHECK(sentinel_Reply_verify(copy, len, err, sizeof(err)) == -EBADMSG &&
		      strstr(err, "bytes of data visited") &&
		      strstr(err, "Reply.result(RulesResult).unresolved["),
	      "shared strings: %s", err);
	free(copy);
	free(refs);

	/* nesting: 64 tables deep is fine, 65 is not */
	for (int depth = 64; depth <= 65; depth++) {
		uint32_t child = 0;

		fb_builder_reset(&b);
		for (int i = 0; i < depth; i++) {
			fbt_inner_Node_start(&b);
			fbt_inner_Node_add_child(&b, child);
			fbt_inner_Node_add_depth(&b, (uint32_t)(depth - i));
			child = fbt_inner_Node_end(&b);
		}
		CHECK(fbt_inner_Node_finish(&b, child) == 0, "build nest");
		data = fb_builder_data(&b, &len);
		copy = malloc(len);
		memcpy(copy, data, len);
		if (depth == 64)
			CHECK(fbt_inner_Node_verify(copy, len, err,
						    sizeof(err)) == 0,
			      "64 deep: %s", err);
		else
			CHECK(fbt_inner_Node_verify(copy, len, err,
						    sizeof(err)) == -EBADMSG &&
				      strstr(err,
					     ".child: tables nested deeper "
					     "than 64") &&
				      !strncmp(err, "Node.child.child.", 17),
			      "65 deep: %s", err);
		free(copy);
	}

	/* a required field missing (built around the generated _end) */
	fb_builder_reset(&b);
	fbt_inner_Leaf_start(&b);
	fbt_inner_Leaf_add_v(&b, 3);
	ref = fb_table_end(&b);
	CHECK(fbt_inner_Leaf_finish(&b, ref) == 0, "build leaf");
	data = fb_builder_data(&b, &len);
	copy = malloc(len);
	memcpy(copy, data, len);
	CHECK(fbt_inner_Leaf_verify(copy, len, err, sizeof(err)) == -EBADMSG &&
		      !strcmp(err, "Leaf.name: required field is missing"),
	      "required: %s", err);
	free(copy);
	fb_builder_free(&b);
	tap_end("verifier limits: table count, visited bytes, depth, "
		"required");
}

/* 4. builder limits and misuse. */
static void test_builder_errors(void)
{
	struct fb_builder b;
	size_t len;
	uint32_t s, r;
	int made = 0;

	fb_builder_init(&b);
	fb_builder_set_max_size(&b, 4096);
	for (int i = 0; i < 100; i++) {
		if (fb_create_string(&b,
				     "0123456789012345678901234567890123"
				     "456789012345678901234567890123456789",
				     70))
			made++;
	}
	CHECK(fb_builder_error(&b) == -E2BIG, "E2BIG: %d",
	      fb_builder_error(&b));
	CHECK(made > 40 && made < 60, "made %d strings of 76 bytes", made);
	CHECK(fb_create_string(&b, "x", 1) == 0, "sticky");
	sentinel_Rule_start(&b);
	CHECK(sentinel_Rule_end(&b) == 0, "end after error");
	CHECK(sentinel_Rule_finish(&b, 4) == -E2BIG, "finish returns E2BIG");
	CHECK(!fb_builder_data(&b, &len) && len == 0, "no data");

	/* reset clears the error and keeps the limit */
	fb_builder_reset(&b);
	CHECK(fb_builder_error(&b) == 0, "reset");
	s = fb_create_string(&b, "ok", 2);
	sentinel_SetDryRun_start(&b);
	sentinel_SetDryRun_add_interface(&b, s);
	r = sentinel_SetDryRun_end(&b);
	CHECK(r && sentinel_SetDryRun_finish(&b, r) == 0, "after reset");
	CHECK(fb_builder_data(&b, &len) && len > 0, "data after reset");
	CHECK(sentinel_SetDryRun_finish(&b, r) == -EINVAL, "finish twice");
	fb_builder_reset(&b);
	CHECK(!fb_vector_alloc(&b, 1000, 8, 8, &r) && r == 0 &&
		      fb_builder_error(&b) == -E2BIG,
	      "vector over the limit");

	/* nested tables */
	fb_builder_reset(&b);
	sentinel_ReplaceRules_start(&b);
	sentinel_Rule_start(&b);
	CHECK(fb_builder_error(&b) == -EINVAL, "nested start: %d",
	      fb_builder_error(&b));
	/* strings or vectors inside a table */
	fb_builder_reset(&b);
	sentinel_Rule_start(&b);
	CHECK(fb_create_string(&b, "x", 1) == 0 &&
		      fb_builder_error(&b) == -EINVAL,
	      "string in a table");
	/* fields and end outside a table */
	fb_builder_reset(&b);
	sentinel_Rule_add_id(&b, 5);
	CHECK(fb_builder_error(&b) == -EINVAL, "add outside a table");
	fb_builder_reset(&b);
	CHECK(sentinel_Rule_end(&b) == 0 && fb_builder_error(&b) == -EINVAL,
	      "end without start");
	/* a ref that does not exist yet, a zero ref in a vector */
	fb_builder_reset(&b);
	sentinel_Rule_start(&b);
	sentinel_Rule_add_interface(&b, 1000);
	CHECK(fb_builder_error(&b) == -EINVAL, "bad ref");
	fb_builder_reset(&b);
	s = 0;
	CHECK(fb_create_ref_vector(&b, &s, 1) == 0 &&
		      fb_builder_error(&b) == -EINVAL,
	      "zero ref in a vector");
	/* a required field missing */
	fb_builder_reset(&b);
	fbt_inner_Leaf_start(&b);
	CHECK(fbt_inner_Leaf_end(&b) == 0 && fb_builder_error(&b) == -EINVAL,
	      "required field");
	/* a bad alignment */
	fb_builder_reset(&b);
	CHECK(fb_create_vector(&b, "abc", 1, 3, 3) == 0 &&
		      fb_builder_error(&b) == -EINVAL,
	      "alignment 3");
	/* the limit cannot go past FB_MAX_BUFFER */
	fb_builder_set_max_size(&b, SIZE_MAX);
	CHECK(b.max_size == FB_MAX_BUFFER, "max clamp");
	fb_builder_free(&b);
	fb_builder_free(&b); /* twice is fine */
	tap_end("builder: size limit, sticky errors, misuse");
}

/* Vtables are shared: 100 rules of one shape cost one vtable. */
static void test_vtable_dedup(void)
{
	struct fb_builder b;
	uint32_t refs[100], vec, rr;
	const uint8_t *data;
	const struct sentinel_ReplaceRules *t;
	size_t len;
	int distinct = 0;
	const uint8_t *seen[100];

	fb_builder_init(&b);
	for (int i = 0; i < 100; i++) {
		sentinel_Rule_start(&b);
		sentinel_Rule_add_id(&b, (uint32_t)i + 1);
		sentinel_Rule_add_action(&b, sentinel_Action_Deny);
		refs[i] = sentinel_Rule_end(&b);
	}
	vec = fb_create_ref_vector(&b, refs, 100);
	sentinel_ReplaceRules_start(&b);
	sentinel_ReplaceRules_add_rules(&b, vec);
	rr = sentinel_ReplaceRules_end(&b);
	CHECK(sentinel_ReplaceRules_finish(&b, rr) == 0, "finish");
	data = fb_builder_data(&b, &len);
	t = sentinel_ReplaceRules_root(data);
	for (int i = 0; i < 100; i++) {
		const uint8_t *r =
			(const uint8_t *)sentinel_ReplaceRules_rules_at(
				t, (size_t)i);
		const uint8_t *vt = r - fb_read_i32(r);
		int j;

		CHECK(sentinel_Rule_id(sentinel_ReplaceRules_rules_at(
			      t, (size_t)i)) == (uint32_t)i + 1,
		      "id %d", i);
		for (j = 0; j < distinct && seen[j] != vt; j++)
			;
		if (j == distinct)
			seen[distinct++] = vt;
	}
	CHECK(distinct == 1, "%d vtables", distinct);
	printf("# 100 rules: %zu bytes\n", len);
	fb_builder_free(&b);
	tap_end("vtables are shared");
}

/* --- the generality schema (test/unit/fb/fbtest.fbs) ------------------ */

static uint32_t build_all(struct fb_builder *b)
{
	static const bool vb[] = {true, false, true};
	static const int8_t vi8[] = {-128, 0, 127};
	static const uint16_t vu16[] = {0, 65535};
	static const int64_t vi64[] = {INT64_MIN, -1, INT64_MAX};
	static const float vf[] = {1.5f, -0.25f};
	static const double vd[] = {3.141592653589793, -1e300};
	static const int8_t vcolor[] = {fbt_inner_Color_Red,
					fbt_inner_Color_Blue};
	struct fbt_inner_Outer o, vo[2];
	uint32_t s, leaf_name, leaf, node, vs[2], vt[2], refs[16];
	uint32_t n = 0;

	memset(&o, 0, sizeof(o));
	o.x = 1;
	o.inner.a = -5;
	o.inner.b = 2.5;
	o.inner.c[0] = 1;
	o.inner.c[2] = 3;
	o.arr[1].a = 7;
	o.arr[1].b = -0.5;
	o.arr[1].c[1] = 200;
	o.colors[0] = fbt_inner_Color_Green;
	o.colors[1] = fbt_inner_Color_Blue;
	o.colors[2] = fbt_inner_Color_Red;
	o.f = 0.75f;
	o.ids[0] = -2147483647 - 1;
	o.ids[1] = 2147483647;
	memset(vo, 0, sizeof(vo));
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 3; j++)
			vo[i].colors[j] = fbt_inner_Color_Green;
	vo[0].x = 0;
	vo[0].ids[0] = 1;
	vo[1].x = 1;
	vo[1].inner.b = 1e-3;

	s = fb_create_string(b, "string", 6);
	leaf_name = fb_create_string(b, "leaf", 4);
	fbt_inner_Leaf_start(b);
	fbt_inner_Leaf_add_name(b, leaf_name);
	fbt_inner_Leaf_add_v(b, 100);
	leaf = fbt_inner_Leaf_end(b);
	fbt_inner_Node_start(b);
	fbt_inner_Node_add_leaf(b, leaf);
	fbt_inner_Node_add_depth(b, 1);
	node = fbt_inner_Node_end(b);
	refs[n++] = fbt_inner_All_vb_create(b, vb, 3);
	refs[n++] = fbt_inner_All_vi8_create(b, vi8, 3);
	refs[n++] = fbt_inner_All_vu16_create(b, vu16, 2);
	refs[n++] = fbt_inner_All_vi64_create(b, vi64, 3);
	refs[n++] = fbt_inner_All_vf_create(b, vf, 2);
	refs[n++] = fbt_inner_All_vd_create(b, vd, 2);
	refs[n++] = fbt_inner_All_vcolor_create(b, vcolor, 2);
	refs[n++] = fbt_inner_All_vouter_create(b, vo, 2);
	vs[0] = fb_create_string(b, "a", 1);
	vs[1] = fb_create_string(b, "", 0);
	refs[n++] = fb_create_ref_vector(b, vs, 2);
	vt[0] = leaf;
	fbt_inner_Leaf_start(b);
	fbt_inner_Leaf_add_name(b, vs[0]);
	fbt_inner_Leaf_add_v(b, -7); /* the default: not written */
	vt[1] = fbt_inner_Leaf_end(b);
	refs[n++] = fb_create_ref_vector(b, vt, 2);

	fbt_inner_All_start(b);
	fbt_inner_All_add_b(b, false);
	fbt_inner_All_add_i8(b, 127);
	fbt_inner_All_add_u8(b, 0);
	fbt_inner_All_add_i16(b, 32767);
	fbt_inner_All_add_u16(b, 1);
	fbt_inner_All_add_i32(b, 2147483647);
	fbt_inner_All_add_u32(b, 0);
	fbt_inner_All_add_i64(b, INT64_MAX);
	fbt_inner_All_add_u64(b, 1);
	fbt_inner_All_add_f32(b, -1.25f);
	fbt_inner_All_add_f64(b, INFINITY);
	fbt_inner_All_add_fnan(b, 2.0f);
	fbt_inner_All_add_hex(b, -16);
	fbt_inner_All_add_color(b, fbt_inner_Color_Red);
	fbt_inner_All_add_flags(b, fbt_inner_Flags_A | fbt_inner_Flags_C);
	fbt_inner_All_add_big(b, fbt_inner_Big_Zero);
	fbt_inner_All_add_outer(b, &o);
	fbt_inner_All_add_s(b, s);
	fbt_inner_All_add_t(b, leaf);
	fbt_inner_All_add_u_N(b, node);
	n = 0;
	fbt_inner_All_add_vb(b, refs[n++]);
	fbt_inner_All_add_vi8(b, refs[n++]);
	fbt_inner_All_add_vu16(b, refs[n++]);
	fbt_inner_All_add_vi64(b, refs[n++]);
	fbt_inner_All_add_vf(b, refs[n++]);
	fbt_inner_All_add_vd(b, refs[n++]);
	fbt_inner_All_add_vcolor(b, refs[n++]);
	fbt_inner_All_add_vouter(b, refs[n++]);
	fbt_inner_All_add_vs(b, refs[n++]);
	fbt_inner_All_add_vt(b, refs[n++]);
	return fbt_inner_All_end(b);
}

/* Every value build_all() writes (and fbtest_all.json holds). */
static void check_all(const struct fbt_inner_All *t)
{
	const struct fbt_inner_Outer *o = fbt_inner_All_outer(t);
	const struct fbt_inner_Node *node = fbt_inner_All_u_as_N(t);

	CHECK(fbt_inner_All_b(t) == false && fbt_inner_All_b_is_present(t),
	      "b");
	CHECK(fbt_inner_All_i8(t) == 127 && fbt_inner_All_u8(t) == 0 &&
		      fbt_inner_All_i16(t) == 32767 &&
		      fbt_inner_All_u16(t) == 1 &&
		      fbt_inner_All_i32(t) == 2147483647 &&
		      fbt_inner_All_u32(t) == 0 &&
		      fbt_inner_All_i64(t) == INT64_MAX &&
		      fbt_inner_All_u64(t) == 1,
	      "integers");
	CHECK(fbt_inner_All_f32(t) == -1.25f && isinf(fbt_inner_All_f64(t)) &&
		      fbt_inner_All_f64(t) > 0 && fbt_inner_All_fnan(t) == 2.0f,
	      "floats");
	CHECK(fbt_inner_All_hex(t) == -16, "hex");
	CHECK(fbt_inner_All_color(t) == fbt_inner_Color_Red &&
		      fbt_inner_All_flags(t) == 0x8001 &&
		      fbt_inner_All_big(t) == 0 &&
		      fbt_inner_All_big_is_present(t),
	      "enums");
	CHECK(o && o->x == 1 && o->inner.a == -5 && o->inner.b == 2.5 &&
		      o->inner.c[2] == 3 && o->arr[1].a == 7 &&
		      o->arr[1].b == -0.5 && o->arr[1].c[1] == 200 &&
		      o->colors[0] == fbt_inner_Color_Green &&
		      o->colors[2] == fbt_inner_Color_Red && o->f == 0.75f &&
		      o->ids[0] == INT32_MIN && o->ids[1] == INT32_MAX,
	      "outer");
	CHECK(fbt_inner_All_s(t) && !strcmp(fbt_inner_All_s(t), "string"), "s");
	CHECK(fbt_inner_Leaf_v(fbt_inner_All_t(t)) == 100 &&
		      !strcmp(fbt_inner_Leaf_name(fbt_inner_All_t(t)), "leaf"),
	      "t");
	CHECK(fbt_inner_All_u_type(t) == fbt_inner_Any_N && node &&
		      !fbt_inner_All_u_as_Leaf(t) &&
		      fbt_inner_Node_depth(node) == 1 &&
		      fbt_inner_Leaf_v(fbt_inner_Node_leaf(node)) == 100 &&
		      !fbt_inner_Node_child(node),
	      "union alias");
	CHECK(fbt_inner_All_vb_len(t) == 3 && fbt_inner_All_vb_at(t, 0) &&
		      !fbt_inner_All_vb_at(t, 1),
	      "vb");
	CHECK(fbt_inner_All_vi8_at(t, 0) == -128 &&
		      fbt_inner_All_vi8_at(t, 2) == 127,
	      "vi8");
	CHECK(fbt_inner_All_vu16_at(t, 1) == 65535, "vu16");
	CHECK(fbt_inner_All_vi64_at(t, 0) == INT64_MIN &&
		      fbt_inner_All_vi64_at(t, 2) == INT64_MAX &&
		      fbt_inner_All_vi64_at(t, 3) == 0,
	      "vi64");
	CHECK(fbt_inner_All_vf_at(t, 1) == -0.25f &&
		      fbt_inner_All_vd_at(t, 1) == -1e300,
	      "vf vd");
	CHECK(fbt_inner_All_vcolor_at(t, 0) == fbt_inner_Color_Red, "vcolor");
	CHECK(fbt_inner_All_vouter_len(t) == 2 &&
		      fbt_inner_All_vouter(t)[1].inner.b == 1e-3 &&
		      fbt_inner_All_vouter_at(t, 0)->ids[0] == 1,
	      "vouter");
	CHECK(fbt_inner_All_vs_len(t) == 2 &&
		      !strcmp(fbt_inner_All_vs_at(t, 0), "a") &&
		      !strcmp(fbt_inner_All_vs_at(t, 1), "") &&
		      !fbt_inner_All_vs_at(t, 2),
	      "vs");
	CHECK(fbt_inner_All_vt_len(t) == 2 &&
		      fbt_inner_Leaf_v(fbt_inner_All_vt_at(t, 1)) == -7 &&
		      !fbt_inner_Leaf_v_is_present(fbt_inner_All_vt_at(t, 1)),
	      "vt");
}

static void test_generality(void)
{
	char bin[512], err[256], got[600], want[600], json[512];
	struct fb_builder b;
	const void *data;
	uint8_t *copy;
	size_t len;

	/* ours -> reader, ours -> flatc JSON == flatc(fbtest_all.json) */
	fb_builder_init(&b);
	CHECK(fbt_inner_All_finish(&b, build_all(&b)) == 0, "build all");
	data = fb_builder_data(&b, &len);
	copy = malloc(len);
	memcpy(copy, data, len);
	CHECK(fbt_inner_All_verify(copy, len, err, sizeof(err)) == 0,
	      "verify ours: %s", err);
	CHECK(fbt_inner_All_has_identifier(copy, len), "identifier");
	check_all(fbt_inner_All_root(copy));
	snprintf(bin, sizeof(bin), "%s/fbtest_ours.bin", tmp);
	CHECK(write_file(bin, copy, len) == 0, "write");
	free(copy);
	CHECK(flatc_json(bin, "fbt.inner.All", data_dir, "fbtest", tmp) == 0,
	      "flatc --json");
	CHECK(flatc_binary("fbtest_all", "fbt.inner.All", data_dir, "fbtest",
			   data_dir) == 0,
	      "flatc -b");
	snprintf(json, sizeof(json), "%s/flatc/fbtest_all.bin", tmp);
	CHECK(flatc_json(json, "fbt.inner.All", data_dir, "fbtest", tmp) == 0,
	      "flatc --json");
	snprintf(got, sizeof(got), "%s/fbtest_ours.json", tmp);
	snprintf(want, sizeof(want), "%s/fbtest_all.json", tmp);
	CHECK(json_same(want, got) == 0, "flatc reads our All differently");

	/* flatc -> our reader */
	copy = read_file(json, &len);
	CHECK(copy && fbt_inner_All_verify(copy, len, err, sizeof(err)) == 0,
	      "verify flatc's: %s", err);
	if (copy && !tap_failing())
		check_all(fbt_inner_All_root(copy));
	free(copy);
	tap_end("every type of fbtest.fbs both ways");

	/* defaults of an empty table */
	fb_builder_reset(&b);
	fbt_inner_All_start(&b);
	CHECK(fbt_inner_All_finish(&b, fbt_inner_All_end(&b)) == 0, "empty");
	data = fb_builder_data(&b, &len);
	copy = malloc(len);
	memcpy(copy, data, len);
	CHECK(fbt_inner_All_verify(copy, len, err, sizeof(err)) == 0, "%s",
	      err);
	{
		const struct fbt_inner_All *t = fbt_inner_All_root(copy);

		CHECK(fbt_inner_All_b(t) == true &&
			      fbt_inner_All_i8(t) == -128 &&
			      fbt_inner_All_u8(t) == 255 &&
			      fbt_inner_All_i16(t) == -32768 &&
			      fbt_inner_All_u16(t) == 65535 &&
			      fbt_inner_All_i32(t) == INT32_MIN &&
			      fbt_inner_All_u32(t) == UINT32_MAX &&
			      fbt_inner_All_i64(t) == INT64_MIN &&
			      fbt_inner_All_u64(t) == UINT64_MAX,
		      "integer defaults");
		CHECK(fbt_inner_All_f32(t) == 3.5f &&
			      isinf(fbt_inner_All_f64(t)) &&
			      fbt_inner_All_f64(t) < 0 &&
			      isnan(fbt_inner_All_fnan(t)) &&
			      fbt_inner_All_hex(t) == 16,
		      "float defaults");
		CHECK(fbt_inner_All_color(t) == fbt_inner_Color_Blue &&
			      fbt_inner_All_flags(t) == 0 &&
			      fbt_inner_All_big(t) == fbt_inner_Big_Max,
		      "enum defaults");
		CHECK(!fbt_inner_All_outer(t) && !fbt_inner_All_s(t) &&
			      !fbt_inner_All_t(t) && !fbt_inner_All_u_type(t) &&
			      !fbt_inner_All_u(t) && !fbt_inner_All_vouter(t) &&
			      fbt_inner_All_vs_len(t) == 0 &&
			      !fbt_inner_All_vs_at(t, 0),
		      "absent");
		CHECK(fbt_inner_Color_is_known(-2) &&
			      !strcmp(fbt_inner_Color_name(-1), "Green") &&
			      !fbt_inner_Color_is_known(0) &&
			      fbt_inner_Flags_is_known(0x8003) &&
			      !fbt_inner_Flags_is_known(4) &&
			      fbt_inner_Big_is_known(UINT64_MAX),
		      "enum helpers");
	}
	free(copy);
	tap_end("defaults of fbtest.fbs");

	/* explicit ids: flatc agrees on the slots */
	fb_builder_reset(&b);
	{
		uint32_t name = fb_create_string(&b, "n", 1), leaf, w;

		fbt_inner_Leaf_start(&b);
		fbt_inner_Leaf_add_name(&b, name);
		leaf = fbt_inner_Leaf_end(&b);
		fbt_inner_WithIds_start(&b);
		fbt_inner_WithIds_add_z(&b, -3);
		fbt_inner_WithIds_add_u_Leaf(&b, leaf);
		fbt_inner_WithIds_add_a(&b, 9);
		w = fbt_inner_WithIds_end(&b);
		CHECK(fbt_inner_WithIds_finish(&b, w) == 0, "ids");
	}
	data = fb_builder_data(&b, &len);
	snprintf(bin, sizeof(bin), "%s/withids.bin", tmp);
	CHECK(data && write_file(bin, data, len) == 0, "write");
	CHECK(flatc_json(bin, "fbt.inner.WithIds", data_dir, "fbtest", tmp) ==
		      0,
	      "flatc --json");
	snprintf(got, sizeof(got), "%s/withids.json", tmp);
	snprintf(want, sizeof(want), "%s/fbtest_withids.json", data_dir);
	CHECK(json_same(want, got) == 0, "ids");
	fb_builder_free(&b);
	tap_end("explicit field ids match flatc");
}

/* The generator's errors: FILE:LINE: message, exit 1. */
static void test_fbgen_errors(void)
{
	static const struct {
		const char *schema, *want;
	} cases[] = {
		{"table T {\n  a: Nope;\n}\n", ":2: unknown type \"Nope\""},
		{"table T { a: int (deprecated); }\n",
		 ":1: attribute \"deprecated\" is not supported"},
		{"enum E { A }\n", ":1: enum \"E\" needs an underlying"},
		{"table T {\n a: int;\n a: int;\n}\n",
		 ":3: field \"a\" declared twice"},
		{"table T {\n\n a: short = 70000;\n}\n",
		 ":3: default 70000 out of range"},
		{"struct S { s: string; }\n", ":1: structs hold scalars"},
		{"table T { a: [int:4]; }\n", ":1: fixed arrays are allowed"},
		{"table T { a: int (custom); }\n",
		 ":1: user-defined attribute \"custom\" must be declared"},
		{"enum E : ubyte { A = 2, B = 1 }\n", ":1: enum values must be "
						      "in ascending order"},
		{"table T { a: int; a_is_present: int; }\n",
		 ":1: generated C name \"T_a_is_present\" clashes"},
		{"include \"missing.fbs\";\n", ":1: cannot find include"},
		{"table T { a: int }\n", ":1: expected \";\", found \"}\""},
		{"enum E : ubyte { A = 1 }\ntable T { e: E; }\n",
		 ":2: default 0 of field \"e\" is not a value"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[300], errp[300], q1[512], q2[512], q3[512], q4[512];
		size_t len;
		char *err;
		int rc;

		snprintf(path, sizeof(path), "%s/bad%zu.fbs", tmp, i);
		snprintf(errp, sizeof(errp), "%s/bad%zu.err", tmp, i);
		write_file(path, cases[i].schema, strlen(cases[i].schema));
		rc = run("%s %s -o /dev/null %s 2>%s", shq(q1, 512, python3),
			 shq(q2, 512, fbgen), shq(q3, 512, path),
			 shq(q4, 512, errp));
		err = (char *)read_file(errp, &len);
		CHECK(rc == 1, "case %zu: exit %d", i, rc);
		if (err) {
			err = realloc(err, len + 1);
			err[len] = '\0';
			CHECK(!strncmp(err, path, strlen(path)) &&
				      strstr(err, cases[i].want),
			      "case %zu: want '%s' got '%s'", i, cases[i].want,
			      err);
		}
		free(err);
	}
	tap_end("fbgen reports schema errors as FILE:LINE: message");
}

int main(int argc, char **argv)
{
	char cmd[600];

	if (argc != 6) {
		fprintf(stderr,
			"usage: %s FLATC SCHEMA_DIR DATA_DIR PYTHON3 FBGEN\n",
			argv[0]);
		return 2;
	}
	flatc = argv[1];
	schema_dir = argv[2];
	data_dir = argv[3];
	python3 = argv[4];
	fbgen = argv[5];
	snprintf(tmp, sizeof(tmp), "%s/sentinel-fb-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(cmd, sizeof(cmd), "%s/dump", tmp);
	mkdir(cmd, 0700);
	snprintf(cmd, sizeof(cmd), "%s/ours", tmp);
	mkdir(cmd, 0700);

	test_flatc_to_ours();
	test_reader_values();
	test_ours_to_flatc();
	test_truncate_flip();
	test_crafted();
	test_unaligned_start();
	test_limits();
	test_builder_errors();
	test_vtable_dedup();
	test_generality();
	test_fbgen_errors();

	for (size_t i = 0; i < NMSGS; i++) {
		free(flatc_buf[i]);
		free(our_buf[i]);
	}
	{
		char q[600];

		if (!getenv("FB_TEST_KEEP"))
			run("rm -rf %s", shq(q, sizeof(q), tmp));
		else
			printf("# kept %s\n", tmp);
	}
	return tap_finish();
}

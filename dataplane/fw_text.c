// SPDX-License-Identifier: GPL-2.0-only
/* Text forms of prefixes and rules, for the CLI, tests and benchmarks. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw.h"

#define RULE_LINE_MAX 1024

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Parse a decimal number in [min, max]; the whole string must be used. */
static int parse_num(const char *s, long min, long max, long *ret)
{
	char *end;
	long v;

	if (!*s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

int fw_cidr_parse(const char *s, struct fw_cidr *ret)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash;
	struct fw_cidr c = {};
	long plen = -1;
	__u32 m[4];
	size_t alen;

	if (!strcmp(s, "any")) {
		*ret = c;
		return 0;
	}
	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, c.addr) == 1) {
		c.family = 4;
		plen = 32;
	} else if (inet_pton(AF_INET6, buf, c.addr) == 1) {
		c.family = 6;
		plen = 128;
	} else {
		return -EINVAL;
	}
	if (slash && parse_num(slash + 1, 0, plen, &plen))
		return -EINVAL;
	c.plen = plen;
	/* host bits must be zero: "10.1.2.3/8" is a typo more often than not */
	fw_prefix_mask(m, c.plen);
	for (int i = 0; i < 4; i++)
		if (c.addr[i] & ~m[i])
			return -EINVAL;
	*ret = c;
	return 0;
}

void fw_prefix_mask(__u32 mask[4], unsigned int plen)
{
	for (int i = 0; i < 4; i++) {
		int bits = (int)plen - 32 * i;

		mask[i] = bits <= 0    ? 0
			  : bits >= 32 ? 0xffffffff
				       : htonl(0xffffffffu << (32 - bits));
	}
}

int fw_cidr_format(const struct fw_cidr *c, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!c->family)
		return snprintf(buf, len, "any") < (int)len ? 0 : -ENOSPC;
	if (!inet_ntop(c->family == 4 ? AF_INET : AF_INET6, c->addr, a,
		       sizeof(a)))
		return -errno;
	return snprintf(buf, len, "%s/%u", a, c->plen) < (int)len ? 0 : -ENOSPC;
}

static int parse_range(const char *s, struct fw_range *r)
{
	char buf[16];
	const char *dash = strchr(s, '-');
	long lo, hi;

	if (!dash) {
		if (parse_num(s, 0, 65535, &lo))
			return -EINVAL;
		r->lo = r->hi = lo;
		return 0;
	}
	if ((size_t)(dash - s) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, dash - s);
	buf[dash - s] = '\0';
	if (parse_num(buf, 0, 65535, &lo) || parse_num(dash + 1, 0, 65535, &hi))
		return -EINVAL;
	r->lo = lo;
	r->hi = hi;
	return 0;
}

static const char *const tcp_flag_names[8] = {"fin", "syn", "rst", "psh",
					      "ack", "urg", "ece", "cwr"};

static int parse_flag_list(const char *s, size_t n, __u8 *ret)
{
	__u8 v = 0;

	while (n) {
		const char *comma = memchr(s, ',', n);
		size_t len = comma ? (size_t)(comma - s) : n;
		int i;

		for (i = 0; i < 8; i++)
			if (strlen(tcp_flag_names[i]) == len &&
			    !strncasecmp(s, tcp_flag_names[i], len))
				break;
		if (i == 8)
			return -EINVAL;
		v |= 1u << i;
		if (!comma)
			break;
		n -= len + 1;
		s = comma + 1;
		if (!n)
			return -EINVAL;
	}
	*ret = v;
	return 0;
}

/* "syn/syn,ack": value/mask; a bare list means value == mask. */
static int parse_tcp_flags(const char *s, __u8 *value, __u8 *mask)
{
	const char *slash = strchr(s, '/');

	if (!*s)
		return -EINVAL;
	if (!slash) {
		if (parse_flag_list(s, strlen(s), value))
			return -EINVAL;
		*mask = *value;
		return 0;
	}
	if (slash == s) {
		*value = 0;
	} else if (parse_flag_list(s, slash - s, value)) {
		return -EINVAL;
	}
	return parse_flag_list(slash + 1, strlen(slash + 1), mask);
}

static int parse_proto(const char *s, __u8 *ret)
{
	static const struct {
		const char *name;
		__u8 proto;
	} names[] = {{"any", 0},  {"icmp", 1},	  {"tcp", 6},
		     {"udp", 17}, {"icmpv6", 58}, {"sctp", 132},
		     {"gre", 47}, {"esp", 50},	  {"ah", 51}};
	long v;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(s, names[i].name)) {
			*ret = names[i].proto;
			return 0;
		}
	if (parse_num(s, 0, 255, &v))
		return -EINVAL;
	*ret = v;
	return 0;
}

static int parse_action(const char *s, __u8 *ret)
{
	static const char *const names[FW_ACT__MAX] = {
		[FW_ACT_ALLOW] = "allow",
		[FW_ACT_DENY] = "deny",
		[FW_ACT_LOG] = "log",
		[FW_ACT_REJECT] = "reject",
	};

	for (int i = 0; i < FW_ACT__MAX; i++)
		if (!strcasecmp(s, names[i])) {
			*ret = i;
			return 0;
		}
	if (!strcasecmp(s, "pass") || !strcasecmp(s, "accept")) {
		*ret = FW_ACT_ALLOW;
		return 0;
	}
	if (!strcasecmp(s, "drop")) {
		*ret = FW_ACT_DENY;
		return 0;
	}
	return -EINVAL;
}

/* One key=value word into r; err names the word. */
static int rule_word(char *w, struct fw_rule *r, char *err, size_t errlen)
{
	char *eq = strchr(w, '=');
	const char *v;
	long n;

	if (!strcmp(w, "dry-run")) {
		r->dry_run = 1;
		return 0;
	}
	if (!eq || eq == w)
		return fail(err, errlen, "'%s': expected key=value", w);
	*eq = '\0';
	v = eq + 1;
	if (!strcmp(w, "id")) {
		if (parse_num(v, 1, UINT32_MAX, &n))
			return fail(err, errlen,
				    "id: '%s' is not 1..4294967295", v);
		r->id = n;
	} else if (!strcmp(w, "prio") || !strcmp(w, "priority")) {
		if (parse_num(v, 0, UINT32_MAX, &n))
			return fail(err, errlen,
				    "%s: '%s' is not 0..4294967295", w, v);
		r->priority = n;
	} else if (!strcmp(w, "action")) {
		if (parse_action(v, &r->action))
			return fail(
				err, errlen,
				"action: '%s' is not allow, deny, log or reject",
				v);
	} else if (!strcmp(w, "proto")) {
		if (parse_proto(v, &r->proto))
			return fail(err, errlen,
				    "proto: '%s' is not a protocol", v);
	} else if (!strcmp(w, "src") || !strcmp(w, "dst")) {
		if (fw_cidr_parse(v, w[0] == 's' ? &r->src : &r->dst))
			return fail(
				err, errlen,
				"%s: '%s' is not an address or prefix (host bits must be zero)",
				w, v);
	} else if (!strcmp(w, "sport") || !strcmp(w, "dport")) {
		if (parse_range(v, w[0] == 's' ? &r->sport : &r->dport))
			return fail(err, errlen,
				    "%s: '%s' is not a port or port range", w,
				    v);
	} else if (!strcmp(w, "vlan")) {
		if (!strcmp(v, "untagged"))
			r->vlan = 0;
		else if (parse_num(v, 0, 4095, &n))
			return fail(err, errlen,
				    "vlan: '%s' is not 0..4095 or untagged", v);
		else
			r->vlan = n;
	} else if (!strcmp(w, "tcp-flags")) {
		if (parse_tcp_flags(v, &r->tcp_value, &r->tcp_mask))
			return fail(
				err, errlen,
				"tcp-flags: '%s' is not VALUE/MASK of fin,syn,rst,psh,ack,urg,ece,cwr",
				v);
	} else if (!strcmp(w, "icmp-type") || !strcmp(w, "icmp-code")) {
		if (parse_num(v, 0, 255, &n))
			return fail(err, errlen, "%s: '%s' is not 0..255", w,
				    v);
		if (w[5] == 't')
			r->icmp_type = n;
		else
			r->icmp_code = n;
	} else if (!strcmp(w, "iface")) {
		r->ifindex = if_nametoindex(v);
		if (!r->ifindex)
			return fail(err, errlen, "iface: no interface '%s'", v);
	} else {
		return fail(err, errlen, "'%s': unknown key", w);
	}
	return 0;
}

int fw_rule_parse(const char *line, struct fw_rule *ret, char *err,
		  size_t errlen)
{
	char buf[RULE_LINE_MAX], *save, *w;
	struct fw_rule r;
	size_t len = strlen(line);
	int words = 0;

	if (len >= sizeof(buf))
		return fail(err, errlen, "line longer than %d bytes",
			    RULE_LINE_MAX - 1);
	memcpy(buf, line, len + 1);
	if ((w = strchr(buf, '#')))
		*w = '\0';
	fw_rule_init(&r);
	for (w = strtok_r(buf, " \t\r\n", &save); w;
	     w = strtok_r(NULL, " \t\r\n", &save)) {
		int rc = rule_word(w, &r, err, errlen);

		if (rc)
			return rc;
		words++;
	}
	if (!words)
		return 1;
	if (!r.id)
		return fail(err, errlen, "id: missing");
	*ret = r;
	return 0;
}

int fw_rules_load_file(const char *path, struct fw_rule **ret, size_t *ret_n,
		       char *err, size_t errlen)
{
	char line[RULE_LINE_MAX + 2], msg[FW_ERR_LEN];
	struct fw_rule *rules = NULL, r;
	size_t n = 0, cap = 0, lineno = 0;
	FILE *f;
	int rc = 0;

	f = fopen(path, "re");
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			rc = fail(err, errlen,
				  "%s:%zu: line longer than %d bytes", path,
				  lineno, RULE_LINE_MAX - 1);
			goto out;
		}
		rc = fw_rule_parse(line, &r, msg, sizeof(msg));
		if (rc < 0) {
			snprintf(err, errlen, "%s:%zu: %s", path, lineno, msg);
			goto out;
		}
		if (rc == 1) {
			rc = 0;
			continue;
		}
		if (n == cap) {
			struct fw_rule *p = realloc(
				rules, (cap ? cap * 2 : 64) * sizeof(*p));

			if (!p) {
				rc = -ENOMEM;
				goto out;
			}
			rules = p;
			cap = cap ? cap * 2 : 64;
		}
		rules[n++] = r;
	}
	if (ferror(f))
		rc = fail(err, errlen, "%s: read error", path);
out:
	fclose(f);
	if (rc) {
		free(rules);
		return rc;
	}
	*ret = rules;
	*ret_n = n;
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/* sentinel-fwtool: drives the pinned XDP firewall directly (tests, demo). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fw.h"

#define DEFAULT_PIN "/sys/fs/bpf/sentinel"

static const char *pin = DEFAULT_PIN;
static volatile sig_atomic_t stop;

static int usage(void)
{
	fprintf(stderr,
		"usage: sentinel-fwtool [-d PINDIR] COMMAND\n"
		"  load | unload\n"
		"  attach IFACE [native|generic] | detach IFACE\n"
		"  rules FILE\n"
		"  set default=pass|drop dry-run=0|1 malformed=pass|drop reject-pps=N reject-burst=N\n"
		"  ifset IFACE default=pass|drop dry-run=0|1 | ifset IFACE clear\n"
		"  mgmt add CIDR [PORT,...] | mgmt del CIDR\n"
		"  block add CIDR [ttl=SECONDS] [dry-run] | block del CIDR | block load FILE\n"
		"  block sweep | block count\n"
		"  stats [--json] | counter ID [--json]\n"
		"  events [-n N] [-t SECONDS] [--json]\n");
	return 2;
}

static int die(int err, const char *what)
{
	fprintf(stderr, "sentinel-fwtool: %s: %s\n", what,
		strerror(err < 0 ? -err : err));
	return 1;
}

static int open_maps(struct fw_maps *m)
{
	int err = fw_maps_open_pinned(pin, m);

	if (err)
		fprintf(stderr, "sentinel-fwtool: %s: %s (run 'load' first)\n",
			pin, strerror(-err));
	return err;
}

static int cmd_load(void)
{
	struct fw_bpf *skel;
	struct fw_maps m;
	int err = fw_load(pin, &skel, &m);

	if (err)
		return die(err, "loading the firewall");
	fw_unload(skel);
	printf("loaded %s\n", pin);
	return 0;
}

static int cmd_unload(void)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(pin);
	int rc = 0;

	if (!d)
		return die(-errno, pin);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (!strncmp(de->d_name, "link_", 5)) {
			int err = fw_detach(pin, de->d_name + 5);

			if (err && err != -ENOENT) {
				fprintf(stderr, "detach %s: %s\n",
					de->d_name + 5, strerror(-err));
				rc = 1;
			}
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", pin, de->d_name);
		if (unlink(path)) {
			fprintf(stderr, "unlink %s: %s\n", path,
				strerror(errno));
			rc = 1;
		}
	}
	closedir(d);
	if (!rc && rmdir(pin))
		return die(-errno, pin);
	return rc;
}

static int cmd_attach(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : NULL, *used = NULL;
	struct fw_maps m;
	int err;

	if (argc < 1)
		return usage();
	if (open_maps(&m))
		return 1;
	err = fw_attach(&m, pin, argv[0], mode, &used);
	fw_maps_close(&m);
	if (err)
		return die(err, argv[0]);
	printf("attached %s mode %s\n", argv[0], used);
	return 0;
}

static int cmd_detach(int argc, char **argv)
{
	int err;

	if (argc < 1)
		return usage();
	err = fw_detach(pin, argv[0]);
	if (err)
		return die(err, argv[0]);
	return 0;
}

static int cmd_rules(int argc, char **argv)
{
	char err[FW_ERR_LEN];
	struct fw_rule *rules = NULL;
	struct fw_set *set = NULL;
	struct fw_set_info info;
	struct fw_maps m;
	size_t n = 0;
	int rc;

	if (argc < 1)
		return usage();
	rc = fw_rules_load_file(argv[0], &rules, &n, err, sizeof(err));
	if (!rc)
		rc = fw_set_compile(rules, n, &set, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "sentinel-fwtool: %s: %s\n",
			strncmp(err, argv[0], strlen(argv[0])) ? argv[0]
							       : "rules",
			err);
		free(rules);
		return 1;
	}
	rc = open_maps(&m);
	if (!rc) {
		rc = fw_set_apply(&m, set, err, sizeof(err));
		if (rc)
			fprintf(stderr, "sentinel-fwtool: %s\n", err);
		fw_maps_close(&m);
	}
	if (!rc) {
		fw_set_info(set, &info);
		printf("rules %zu entries4 %zu entries6 %zu tuples4 %zu tuples6 %zu\n",
		       info.rules, info.entries4, info.entries6, info.tuples4,
		       info.tuples6);
	}
	fw_set_free(set);
	free(rules);
	return rc ? 1 : 0;
}

static int policy(const char *v, __u8 *ret)
{
	if (!strcmp(v, "pass"))
		*ret = FW_POLICY_PASS;
	else if (!strcmp(v, "drop"))
		*ret = FW_POLICY_DROP;
	else
		return -EINVAL;
	return 0;
}

static int boolean(const char *v, __u8 *ret)
{
	if (!strcmp(v, "1") || !strcmp(v, "on") || !strcmp(v, "true"))
		*ret = 1;
	else if (!strcmp(v, "0") || !strcmp(v, "off") || !strcmp(v, "false"))
		*ret = 0;
	else
		return -EINVAL;
	return 0;
}

static int number(const char *v, __u32 *ret)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || !*v || *end || n > UINT32_MAX)
		return -EINVAL;
	*ret = n;
	return 0;
}

static int cmd_set(int argc, char **argv)
{
	struct fw_settings s;
	struct fw_maps m;
	int err = 0;

	if (argc < 1)
		return usage();
	if (open_maps(&m))
		return 1;
	err = fw_settings_get(&m, &s);
	for (int i = 0; i < argc && !err; i++) {
		char *v = strchr(argv[i], '=');

		if (!v) {
			err = -EINVAL;
		} else {
			*v++ = '\0';
			if (!strcmp(argv[i], "default"))
				err = policy(v, &s.default_policy);
			else if (!strcmp(argv[i], "malformed"))
				err = policy(v, &s.malformed_policy);
			else if (!strcmp(argv[i], "dry-run"))
				err = boolean(v, &s.dry_run);
			else if (!strcmp(argv[i], "reject-pps"))
				err = number(v, &s.reject_pps);
			else if (!strcmp(argv[i], "reject-burst"))
				err = number(v, &s.reject_burst);
			else
				err = -EINVAL;
		}
		if (err)
			fprintf(stderr,
				"sentinel-fwtool: set: bad setting '%s'\n",
				argv[i]);
	}
	if (!err)
		err = fw_settings_set(&m, &s);
	fw_maps_close(&m);
	return err ? 1 : 0;
}

static int cmd_ifset(int argc, char **argv)
{
	struct fw_if_settings s = {};
	struct fw_maps m;
	__u32 ifindex;
	int err = 0;

	if (argc < 2)
		return usage();
	ifindex = if_nametoindex(argv[0]);
	if (!ifindex)
		return die(-ENODEV, argv[0]);
	if (open_maps(&m))
		return 1;
	if (!strcmp(argv[1], "clear")) {
		err = fw_if_settings_del(&m, ifindex);
		fw_maps_close(&m);
		return err && err != -ENOENT ? die(err, argv[0]) : 0;
	}
	for (int i = 1; i < argc && !err; i++) {
		char *v = strchr(argv[i], '=');

		if (!v) {
			err = -EINVAL;
		} else {
			*v++ = '\0';
			if (!strcmp(argv[i], "default"))
				err = policy(v, &s.default_policy);
			else if (!strcmp(argv[i], "dry-run"))
				err = boolean(v, &s.dry_run);
			else
				err = -EINVAL;
		}
		if (err)
			fprintf(stderr,
				"sentinel-fwtool: ifset: bad setting '%s'\n",
				argv[i]);
	}
	if (!err)
		err = fw_if_settings_set(&m, ifindex, &s);
	fw_maps_close(&m);
	return err ? 1 : 0;
}

static int cidr_arg(const char *s, struct fw_cidr *c)
{
	if (fw_cidr_parse(s, c) || !c->family) {
		fprintf(stderr,
			"sentinel-fwtool: '%s' is not an address or prefix\n",
			s);
		return -EINVAL;
	}
	return 0;
}

static int cmd_mgmt(int argc, char **argv)
{
	__u16 ports[FW_MGMT_PORTS];
	struct fw_cidr c;
	struct fw_maps m;
	size_t n = 0;
	int err;

	if (argc < 2 || cidr_arg(argv[1], &c))
		return usage();
	if (!strcmp(argv[0], "add") && argc > 2) {
		char *save, *p = strtok_r(argv[2], ",", &save);

		for (; p; p = strtok_r(NULL, ",", &save)) {
			__u32 v;

			if (number(p, &v) || v > 65535 || n == FW_MGMT_PORTS) {
				fprintf(stderr,
					"sentinel-fwtool: mgmt: bad port list (at most %d ports)\n",
					FW_MGMT_PORTS);
				return 1;
			}
			ports[n++] = v;
		}
	}
	if (open_maps(&m))
		return 1;
	if (!strcmp(argv[0], "add"))
		err = fw_mgmt_add(&m, &c, ports, n);
	else if (!strcmp(argv[0], "del"))
		err = fw_mgmt_del(&m, &c);
	else
		err = -EINVAL;
	fw_maps_close(&m);
	return err ? die(err, "mgmt") : 0;
}

static int block_load(const struct fw_maps *m, const char *path)
{
	struct bs_entry *e = NULL;
	size_t n = 0, cap = 0, lineno = 0;
	char line[256];
	FILE *f = fopen(path, "re");
	int err = 0;

	if (!f)
		return die(-errno, path);
	while (fgets(line, sizeof(line), f)) {
		char *save, *w, *ttl;

		lineno++;
		if ((w = strchr(line, '#')))
			*w = '\0';
		w = strtok_r(line, " \t\r\n", &save);
		if (!w)
			continue;
		if (n == cap) {
			struct bs_entry *p =
				realloc(e, (cap ? cap * 2 : 1024) * sizeof(*p));

			if (!p) {
				err = -ENOMEM;
				break;
			}
			e = p;
			cap = cap ? cap * 2 : 1024;
		}
		memset(&e[n], 0, sizeof(e[n]));
		if (fw_cidr_parse(w, &e[n].cidr) || !e[n].cidr.family) {
			fprintf(stderr,
				"sentinel-fwtool: %s:%zu: '%s' is not an address or prefix\n",
				path, lineno, w);
			err = -EINVAL;
			break;
		}
		ttl = strtok_r(NULL, " \t\r\n", &save);
		if (ttl) {
			__u32 s;

			if (strncmp(ttl, "ttl=", 4) || number(ttl + 4, &s)) {
				fprintf(stderr,
					"sentinel-fwtool: %s:%zu: '%s' is not ttl=SECONDS\n",
					path, lineno, ttl);
				err = -EINVAL;
				break;
			}
			e[n].ttl_ns = (__u64)s * 1000000000ULL;
		}
		n++;
	}
	fclose(f);
	if (!err) {
		err = bs_add(m, e, n);
		if (err)
			die(err, "block load");
		else
			printf("added %zu\n", n);
	}
	free(e);
	return err ? 1 : 0;
}

static int cmd_block(int argc, char **argv)
{
	struct fw_maps m;
	int err = 0;

	if (argc < 1)
		return usage();
	if (open_maps(&m))
		return 1;
	if (!strcmp(argv[0], "add") && argc > 1) {
		struct bs_entry e = {};

		if (cidr_arg(argv[1], &e.cidr)) {
			err = -EINVAL;
			goto out;
		}
		for (int i = 2; i < argc; i++) {
			__u32 s;

			if (!strcmp(argv[i], "dry-run")) {
				e.flags |= FW_RF_DRYRUN;
			} else if (!strncmp(argv[i], "ttl=", 4) &&
				   !number(argv[i] + 4, &s)) {
				e.ttl_ns = (__u64)s * 1000000000ULL;
			} else {
				fprintf(stderr,
					"sentinel-fwtool: block add: bad option '%s'\n",
					argv[i]);
				err = -EINVAL;
				goto out;
			}
		}
		err = bs_add(&m, &e, 1);
	} else if (!strcmp(argv[0], "del") && argc > 1) {
		struct fw_cidr c;

		err = cidr_arg(argv[1], &c);
		if (!err)
			err = bs_del(&m, &c);
	} else if (!strcmp(argv[0], "load") && argc > 1) {
		int rc = block_load(&m, argv[1]);

		fw_maps_close(&m);
		return rc;
	} else if (!strcmp(argv[0], "sweep")) {
		size_t removed = 0;

		err = bs_sweep(&m, &removed);
		if (!err)
			printf("removed %zu\n", removed);
	} else if (!strcmp(argv[0], "count")) {
		size_t n4 = 0, n6 = 0;

		err = bs_count(&m, &n4, &n6);
		if (!err)
			printf("ipv4 %zu ipv6 %zu\n", n4, n6);
	} else {
		fw_maps_close(&m);
		return usage();
	}
out:
	fw_maps_close(&m);
	return err ? die(err, "block") : 0;
}

static int cmd_stats(int argc, char **argv)
{
	struct fw_counter c[FW_ST__MAX];
	bool json = argc > 0 && !strcmp(argv[0], "--json");
	struct fw_maps m;
	int err;

	if (open_maps(&m))
		return 1;
	err = fw_stats_read(&m, c);
	fw_maps_close(&m);
	if (err)
		return die(err, "stats");
	if (json)
		putchar('{');
	for (unsigned int i = 0; i < FW_ST__MAX; i++) {
		if (json)
			printf("%s\"%s\":{\"packets\":%llu,\"bytes\":%llu}",
			       i ? "," : "", fw_stat_name(i),
			       (unsigned long long)c[i].packets,
			       (unsigned long long)c[i].bytes);
		else
			printf("%s %llu %llu\n", fw_stat_name(i),
			       (unsigned long long)c[i].packets,
			       (unsigned long long)c[i].bytes);
	}
	if (json)
		puts("}");
	return 0;
}

static int cmd_counter(int argc, char **argv)
{
	struct fw_counter c;
	struct fw_maps m;
	__u32 id;
	int err;

	if (argc < 1 || number(argv[0], &id))
		return usage();
	if (open_maps(&m))
		return 1;
	err = fw_rule_counter(&m, id, &c);
	fw_maps_close(&m);
	if (err)
		return die(err, "no such rule");
	if (argc > 1 && !strcmp(argv[1], "--json"))
		printf("{\"id\":%u,\"packets\":%llu,\"bytes\":%llu}\n", id,
		       (unsigned long long)c.packets,
		       (unsigned long long)c.bytes);
	else
		printf("%u %llu %llu\n", id, (unsigned long long)c.packets,
		       (unsigned long long)c.bytes);
	return 0;
}

struct ev_ctx {
	bool json;
	long left;
};

static const char *action_name(__u8 a)
{
	static const char *const names[] = {"allow", "deny", "log", "reject"};

	return a < 4 ? names[a] : "unknown";
}

static int on_event(void *vctx, void *data, size_t len)
{
	const struct fw_event *e = data;
	struct ev_ctx *ctx = vctx;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	int af = e->family == 6 ? AF_INET6 : AF_INET;

	if (len < sizeof(*e))
		return 0;
	inet_ntop(af, e->src, src, sizeof(src));
	inet_ntop(af, e->dst, dst, sizeof(dst));
	if (ctx->json)
		printf("{\"ts_ns\":%llu,\"type\":\"%s\",\"action\":\"%s\",\"rule_id\":%u,"
		       "\"ifindex\":%u,\"family\":%u,\"proto\":%u,\"src\":\"%s\",\"dst\":\"%s\","
		       "\"sport\":%u,\"dport\":%u,\"vlan\":%u,\"tcpflags\":%u,\"len\":%u,"
		       "\"dry_run\":%s,\"reject_sent\":%s}\n",
		       (unsigned long long)e->ts_ns,
		       e->type == FW_EV_BLOCKSET ? "blockset" : "rule",
		       action_name(e->action), e->rule_id, e->ifindex,
		       e->family, e->proto, src, dst, e->sport, e->dport,
		       e->vlan, e->tcpflags, e->pkt_len,
		       e->flags & FW_EVF_DRYRUN ? "true" : "false",
		       e->flags & FW_EVF_REJECT_SENT ? "true" : "false");
	else
		printf("%s %s id=%u if=%u proto=%u %s:%u -> %s:%u vlan=%u len=%u%s%s\n",
		       e->type == FW_EV_BLOCKSET ? "blockset" : "rule",
		       action_name(e->action), e->rule_id, e->ifindex, e->proto,
		       src, e->sport, dst, e->dport, e->vlan, e->pkt_len,
		       e->flags & FW_EVF_DRYRUN ? " dry-run" : "",
		       e->flags & FW_EVF_REJECT_SENT ? " reject-sent" : "");
	/* a negative return stops ring_buffer__poll with the rest unread */
	if (ctx->left > 0 && --ctx->left == 0)
		return -ECANCELED;
	return 0;
}

static void on_signal(int sig)
{
	stop = 1;
}

static int cmd_events(int argc, char **argv)
{
	struct ev_ctx ctx = {.left = -1};
	double timeout = -1;
	struct ring_buffer *rb;
	struct timespec t0, t;
	struct fw_maps m;
	int err = 0;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			ctx.json = true;
		else if (!strcmp(argv[i], "-n") && i + 1 < argc)
			ctx.left = atol(argv[++i]);
		else if (!strcmp(argv[i], "-t") && i + 1 < argc)
			timeout = atof(argv[++i]);
		else
			return usage();
	}
	if (open_maps(&m))
		return 1;
	rb = ring_buffer__new(m.events, on_event, &ctx, NULL);
	if (!rb) {
		err = -errno;
		fw_maps_close(&m);
		return die(err, "events");
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	setvbuf(stdout, NULL, _IOLBF, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!stop && ctx.left != 0) {
		err = ring_buffer__poll(rb, 100);
		if (err == -ECANCELED) {
			err = 0;
			break;
		}
		if (err == -EINTR) {
			err = 0;
			continue;
		}
		if (err < 0)
			break;
		err = 0;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (timeout >= 0 &&
		    (t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 >=
			    timeout)
			break;
	}
	ring_buffer__free(rb);
	fw_maps_close(&m);
	return err < 0 ? die(err, "events") : 0;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG && !getenv("SENTINEL_DEBUG"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int main(int argc, char **argv)
{
	int opt;

	libbpf_set_print(libbpf_print);
	while ((opt = getopt(argc, argv, "+d:h")) != -1) {
		if (opt == 'd')
			pin = optarg;
		else
			return usage();
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return usage();
	if (!strcmp(argv[0], "load"))
		return cmd_load();
	if (!strcmp(argv[0], "unload"))
		return cmd_unload();
	if (!strcmp(argv[0], "attach"))
		return cmd_attach(argc - 1, argv + 1);
	if (!strcmp(argv[0], "detach"))
		return cmd_detach(argc - 1, argv + 1);
	if (!strcmp(argv[0], "rules"))
		return cmd_rules(argc - 1, argv + 1);
	if (!strcmp(argv[0], "set"))
		return cmd_set(argc - 1, argv + 1);
	if (!strcmp(argv[0], "ifset"))
		return cmd_ifset(argc - 1, argv + 1);
	if (!strcmp(argv[0], "mgmt"))
		return cmd_mgmt(argc - 1, argv + 1);
	if (!strcmp(argv[0], "block"))
		return cmd_block(argc - 1, argv + 1);
	if (!strcmp(argv[0], "stats"))
		return cmd_stats(argc - 1, argv + 1);
	if (!strcmp(argv[0], "counter"))
		return cmd_counter(argc - 1, argv + 1);
	if (!strcmp(argv[0], "events"))
		return cmd_events(argc - 1, argv + 1);
	return usage();
}

// SPDX-License-Identifier: GPL-2.0-only
/* sentinel-dpctl: talks to sentinel-dp's control socket (debugging, tests). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dpclient.h"
#include "fw.h"

#define DPC_RAW_MAX (80u << 20)

static const char *sock_dir = DPC_DEFAULT_SOCK_DIR;
static int timeout_ms = 10000;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sentinel-dpctl [-s SOCKDIR] [-t TIMEOUT_MS] COMMAND\n"
		"  status                         program, attachments, settings (JSON)\n"
		"  counters [RULE_ID...]          global, per-rule and event counters (JSON)\n"
		"  rules FILE                     replace the rule set (sentinel-fwtool syntax;\n"
		"                                 iface=NAME keeps the name)\n"
		"  block add CIDR [ttl=S] [source=N] [dry-run] [CIDR...]\n"
		"  block del CIDR...\n"
		"  dry-run on|off [IFACE]\n"
		"  policy pass|drop|reset [IFACE]\n"
		"  mgmt [CIDR[,PORT...]...]       replace the anti-lockout list\n"
		"  raw FILE                       send FILE as a request, print the reply\n"
		"  events [-n COUNT] [-w SECONDS] [-q]  print events (JSON lines); -q only\n"
		"                                 a summary at the end\n"
		"Exit status: 0 ok, 1 refused by sentinel-dp, 2 usage, 3 no answer.\n");
}

/* ---- printing a reply ---- */

static void print_addr(const uint8_t *a, int family)
{
	char buf[INET6_ADDRSTRLEN];

	inet_ntop(family == 6 ? AF_INET6 : AF_INET, a, buf, sizeof(buf));
	printf("\"%s\"", buf);
}

static void print_json_str(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void print_count(const char *name, const struct sentinel_PacketCount *c)
{
	printf(",\"%s\":{\"packets\":%llu,\"bytes\":%llu}", name,
	       (unsigned long long)(c ? c->packets : 0),
	       (unsigned long long)(c ? c->bytes : 0));
}

static void print_if_counters(size_t i,
			      const struct sentinel_InterfaceCounters *c)
{
	printf("%s{\"ifindex\":%u,\"interface\":", i ? "," : "",
	       sentinel_InterfaceCounters_ifindex(c));
	if (sentinel_InterfaceCounters_interface(c))
		print_json_str(sentinel_InterfaceCounters_interface(c));
	else
		printf("null");
	print_count("pass", sentinel_InterfaceCounters_pass(c));
	print_count("drop", sentinel_InterfaceCounters_drop(c));
	print_count("tx", sentinel_InterfaceCounters_tx(c));
	print_count("default_pass", sentinel_InterfaceCounters_default_pass(c));
	print_count("default_drop", sentinel_InterfaceCounters_default_drop(c));
	printf("}");
}

static void print_result(const struct sentinel_Reply *r)
{
	switch (sentinel_Reply_result_type(r)) {
	case sentinel_Result_RulesResult: {
		const struct sentinel_RulesResult *t =
			sentinel_Reply_result_as_RulesResult(r);

		printf(",\"rules\":%u,\"entries4\":%u,\"entries6\":%u,\"tuples4\":%u,\"tuples6\":%u,\"generation\":%u,\"unresolved\":[",
		       sentinel_RulesResult_rules(t),
		       sentinel_RulesResult_entries4(t),
		       sentinel_RulesResult_entries6(t),
		       sentinel_RulesResult_tuples4(t),
		       sentinel_RulesResult_tuples6(t),
		       sentinel_RulesResult_generation(t));
		for (size_t i = 0; i < sentinel_RulesResult_unresolved_len(t);
		     i++) {
			printf(i ? "," : "");
			print_json_str(
				sentinel_RulesResult_unresolved_at(t, i));
		}
		printf("]");
		break;
	}
	case sentinel_Result_CountersResult: {
		const struct sentinel_CountersResult *t =
			sentinel_Reply_result_as_CountersResult(r);
		const struct sentinel_RuleCounter *rc =
			sentinel_CountersResult_rules(t);
		const struct sentinel_EventStats *e =
			sentinel_CountersResult_events(t);

		printf(",\"global\":{");
		for (size_t i = 0; i < sentinel_CountersResult_global_len(t);
		     i++) {
			const struct sentinel_Counter *c =
				sentinel_CountersResult_global_at(t, i);

			printf(i ? "," : "");
			print_json_str(sentinel_Counter_name(c));
			printf(":{\"packets\":%llu,\"bytes\":%llu}",
			       (unsigned long long)sentinel_Counter_packets(c),
			       (unsigned long long)sentinel_Counter_bytes(c));
		}
		printf("},\"rules\":{");
		for (size_t i = 0; i < sentinel_CountersResult_rules_len(t);
		     i++)
			printf("%s\"%u\":{\"packets\":%llu,\"bytes\":%llu}",
			       i ? "," : "", rc[i].rule_id,
			       (unsigned long long)rc[i].packets,
			       (unsigned long long)rc[i].bytes);
		printf("}");
		if (e)
			printf(",\"events\":{\"read\":%llu,\"sent\":%llu,\"batches\":%llu,\"ring_skipped\":%llu,\"ring_failed\":%llu,\"send_dropped\":%llu}",
			       (unsigned long long)sentinel_EventStats_read(e),
			       (unsigned long long)sentinel_EventStats_sent(e),
			       (unsigned long long)sentinel_EventStats_batches(
				       e),
			       (unsigned long long)
				       sentinel_EventStats_ring_skipped(e),
			       (unsigned long long)
				       sentinel_EventStats_ring_failed(e),
			       (unsigned long long)
				       sentinel_EventStats_send_dropped(e));
		printf(",\"interfaces\":[");
		for (size_t i = 0;
		     i < sentinel_CountersResult_interfaces_len(t); i++)
			print_if_counters(
				i, sentinel_CountersResult_interfaces_at(t, i));
		printf("]");
		break;
	}
	case sentinel_Result_StatusResult: {
		const struct sentinel_StatusResult *t =
			sentinel_Reply_result_as_StatusResult(r);

		printf(",\"version\":");
		print_json_str(sentinel_StatusResult_version(t));
		printf(",\"prog_id\":%u,\"adopted\":%s,\"uptime_ms\":%llu,\"rules\":%u,\"generation\":%u,\"default_policy\":\"%s\",\"dry_run\":%s,\"block4\":%llu,\"block6\":%llu,\"mgmt\":%u,\"attachments\":[",
		       sentinel_StatusResult_prog_id(t),
		       sentinel_StatusResult_adopted(t) ? "true" : "false",
		       (unsigned long long)sentinel_StatusResult_uptime_ms(t),
		       sentinel_StatusResult_rules(t),
		       sentinel_StatusResult_generation(t),
		       sentinel_StatusResult_default_policy(t) ? "drop"
							       : "pass",
		       sentinel_StatusResult_dry_run(t) ? "true" : "false",
		       (unsigned long long)sentinel_StatusResult_block4(t),
		       (unsigned long long)sentinel_StatusResult_block6(t),
		       sentinel_StatusResult_mgmt(t));
		for (size_t i = 0; i < sentinel_StatusResult_attachments_len(t);
		     i++) {
			const struct sentinel_Attachment *a =
				sentinel_StatusResult_attachments_at(t, i);
			const char *mode = sentinel_XdpMode_name(
				sentinel_Attachment_mode(a));

			printf("%s{\"interface\":", i ? "," : "");
			print_json_str(sentinel_Attachment_interface(a));
			if (sentinel_Attachment_error(a)) {
				printf(",\"error\":");
				print_json_str(sentinel_Attachment_error(a));
			}
			printf(",\"ifindex\":%u,\"mode\":\"%s\",\"link_id\":%u,\"prog_id\":%u}",
			       sentinel_Attachment_ifindex(a),
			       mode ? mode : "?",
			       sentinel_Attachment_link_id(a),
			       sentinel_Attachment_prog_id(a));
		}
		printf("]");
		break;
	}
	}
}

/* Print the reply as one JSON object; exit status 0 for Ok, 1 otherwise. */
static int print_reply(const struct sentinel_Reply *r)
{
	unsigned code = sentinel_Reply_code(r);
	const char *name = sentinel_Code_name(code);

	printf("{\"id\":%llu,\"code\":\"%s\"",
	       (unsigned long long)sentinel_Reply_id(r), name ? name : "?");
	if (sentinel_Reply_message(r)) {
		printf(",\"message\":");
		print_json_str(sentinel_Reply_message(r));
	}
	if (sentinel_Reply_field(r)) {
		printf(",\"field\":");
		print_json_str(sentinel_Reply_field(r));
	}
	print_result(r);
	printf("}\n");
	return code == sentinel_Code_Ok ? 0 : 1;
}

static int call_print(struct fb_builder *b, uint64_t id, struct dpc *c)
{
	struct dpc_reply rep;
	int rc;

	if (fb_builder_error(b)) {
		fprintf(stderr, "sentinel-dpctl: building the request: %s\n",
			strerror(-fb_builder_error(b)));
		return 2;
	}
	rc = dpc_call(c, b, id, &rep);
	if (rc) {
		fprintf(stderr,
			"sentinel-dpctl: no answer from sentinel-dp in %s: %s\n",
			sock_dir, strerror(-rc));
		return 3;
	}
	rc = print_reply(rep.reply);
	dpc_reply_free(&rep);
	return rc;
}

/* ---- building requests ---- */

static void cidr_to(const struct fw_cidr *in, struct sentinel_Cidr *out)
{
	memset(out, 0, sizeof(*out));
	out->family = in->family;
	out->plen = in->plen;
	memcpy(out->addr, in->addr, in->family == 6 ? 16 : 4);
}

static uint32_t request_end(struct fb_builder *b, uint64_t id, int type,
			    uint32_t cmd)
{
	sentinel_Request_start(b);
	sentinel_Request_add_id(b, id);
	sentinel_Request_add_command(b, type, cmd);
	return sentinel_Request_finish(b, sentinel_Request_end(b));
}

/* Rules file: fwtool syntax; iface=NAME is taken out and kept by name. */
static int build_rules(struct fb_builder *b, const char *path)
{
	char line[4096], err[FW_ERR_LEN];
	uint32_t *refs = NULL, vec, cmd;
	size_t n = 0, cap = 0, lineno = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(stderr, "sentinel-dpctl: %s: %s\n", path,
			strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		char ifname[IF_NAMESIZE] = "", *p;
		struct fw_rule r;
		struct sentinel_Cidr src, dst;
		uint32_t name = 0;
		int rc;

		lineno++;
		p = strstr(line, "iface=");
		if (p && (p == line || p[-1] == ' ' || p[-1] == '\t')) {
			size_t len = strcspn(p + 6, " \t\r\n");

			if (len == 0 || len >= IF_NAMESIZE) {
				fprintf(stderr,
					"sentinel-dpctl: %s:%zu: bad iface\n",
					path, lineno);
				fclose(f);
				return -EINVAL;
			}
			memcpy(ifname, p + 6, len);
			memmove(p, p + 6 + len, strlen(p + 6 + len) + 1);
		}
		rc = fw_rule_parse(line, &r, err, sizeof(err));
		if (rc == 1)
			continue;
		if (rc) {
			fprintf(stderr, "sentinel-dpctl: %s:%zu: %s\n", path,
				lineno, err);
			fclose(f);
			free(refs);
			return rc;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			uint32_t *nr = realloc(refs, cap * sizeof(*refs));
			if (!nr) {
				fclose(f);
				free(refs);
				return -ENOMEM;
			}
			refs = nr;
		}
		if (ifname[0])
			name = fb_create_string(b, ifname, strlen(ifname));
		cidr_to(&r.src, &src);
		cidr_to(&r.dst, &dst);
		sentinel_Rule_start(b);
		sentinel_Rule_add_id(b, r.id);
		sentinel_Rule_add_priority(b, r.priority);
		sentinel_Rule_add_action(b, r.action);
		sentinel_Rule_add_dry_run(b, r.dry_run);
		sentinel_Rule_add_proto(b, r.proto);
		if (r.src.family)
			sentinel_Rule_add_src(b, &src);
		if (r.dst.family)
			sentinel_Rule_add_dst(b, &dst);
		sentinel_Rule_add_sport_lo(b, r.sport.lo);
		sentinel_Rule_add_sport_hi(b, r.sport.hi);
		sentinel_Rule_add_dport_lo(b, r.dport.lo);
		sentinel_Rule_add_dport_hi(b, r.dport.hi);
		sentinel_Rule_add_vlan(b, r.vlan);
		sentinel_Rule_add_tcp_flags_mask(b, r.tcp_mask);
		sentinel_Rule_add_tcp_flags_value(b, r.tcp_value);
		sentinel_Rule_add_icmp_type(b, r.icmp_type);
		sentinel_Rule_add_icmp_code(b, r.icmp_code);
		if (name)
			sentinel_Rule_add_interface(b, name);
		refs[n++] = sentinel_Rule_end(b);
	}
	fclose(f);
	vec = fb_create_ref_vector(b, refs, n);
	free(refs);
	sentinel_ReplaceRules_start(b);
	sentinel_ReplaceRules_add_rules(b, vec);
	cmd = sentinel_ReplaceRules_end(b);
	return cmd;
}

static int parse_cidr_arg(const char *s, struct sentinel_Cidr *out)
{
	struct fw_cidr c;

	if (fw_cidr_parse(s, &c) || !c.family) {
		fprintf(stderr, "sentinel-dpctl: '%s' is not a prefix\n", s);
		return -EINVAL;
	}
	cidr_to(&c, out);
	return 0;
}

static int build_block(struct fb_builder *b, int argc, char **argv, int *type)
{
	struct sentinel_BlockEntry *e;
	struct sentinel_Cidr *cs;
	size_t n = 0;
	uint32_t vec;

	if (argc < 2)
		return -EINVAL;
	if (!strcmp(argv[0], "add")) {
		e = calloc(argc, sizeof(*e));
		if (!e)
			return -ENOMEM;
		for (int i = 1; i < argc; i++) {
			if (!strncmp(argv[i], "ttl=", 4) && n)
				e[n - 1].ttl_ms =
					strtoull(argv[i] + 4, NULL, 10) * 1000;
			else if (!strncmp(argv[i], "source=", 7) && n)
				e[n - 1].source =
					strtoul(argv[i] + 7, NULL, 10);
			else if (!strcmp(argv[i], "dry-run") && n)
				e[n - 1].dry_run = true;
			else if (parse_cidr_arg(argv[i], &e[n++].cidr)) {
				free(e);
				return -EINVAL;
			}
		}
		vec = fb_create_vector(b, e, n, sizeof(*e), 8);
		free(e);
		sentinel_BlockAdd_start(b);
		sentinel_BlockAdd_add_entries(b, vec);
		*type = sentinel_Command_BlockAdd;
		return sentinel_BlockAdd_end(b);
	}
	if (strcmp(argv[0], "del"))
		return -EINVAL;
	cs = calloc(argc, sizeof(*cs));
	if (!cs)
		return -ENOMEM;
	for (int i = 1; i < argc; i++)
		if (parse_cidr_arg(argv[i], &cs[n++])) {
			free(cs);
			return -EINVAL;
		}
	vec = fb_create_vector(b, cs, n, sizeof(*cs), 1);
	free(cs);
	sentinel_BlockRemove_start(b);
	sentinel_BlockRemove_add_cidrs(b, vec);
	*type = sentinel_Command_BlockRemove;
	return sentinel_BlockRemove_end(b);
}

static int build_mgmt(struct fb_builder *b, int argc, char **argv)
{
	uint32_t *refs = calloc(argc ? argc : 1, sizeof(*refs)), vec;

	if (!refs)
		return -ENOMEM;
	for (int i = 0; i < argc; i++) {
		char buf[128], *ports;
		uint16_t pv[FW_MGMT_PORTS];
		size_t np = 0;
		struct sentinel_Cidr c;
		uint32_t pvec = 0;

		snprintf(buf, sizeof(buf), "%s", argv[i]);
		ports = strchr(buf, ',');
		if (ports)
			*ports++ = '\0';
		if (parse_cidr_arg(buf, &c)) {
			free(refs);
			return -EINVAL;
		}
		for (char *t = ports ? strtok(ports, ",") : NULL;
		     t && np < FW_MGMT_PORTS; t = strtok(NULL, ","))
			pv[np++] = atoi(t);
		if (np)
			pvec = fb_create_vector(b, pv, np, 2, 2);
		sentinel_MgmtEntry_start(b);
		sentinel_MgmtEntry_add_cidr(b, &c);
		if (pvec)
			sentinel_MgmtEntry_add_ports(b, pvec);
		refs[i] = sentinel_MgmtEntry_end(b);
	}
	vec = fb_create_ref_vector(b, refs, argc);
	free(refs);
	sentinel_SetMgmt_start(b);
	sentinel_SetMgmt_add_entries(b, vec);
	return sentinel_SetMgmt_end(b);
}

/* ---- events ---- */

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	interrupted = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmd_events(int argc, char **argv)
{
	unsigned long long want = 0, got = 0, batches = 0, gaps = 0, bad = 0;
	unsigned long long skipped = 0, failed = 0, dropped = 0, next_seq = 0;
	double wait_s = 0, t0, first = 0, last = 0;
	bool quiet = false, have_seq = false;
	struct dpc_sub *s;
	int c, rc;

	optind = 1;
	while ((c = getopt(argc, argv, "n:w:q")) != -1) {
		switch (c) {
		case 'n':
			want = strtoull(optarg, NULL, 10);
			break;
		case 'w':
			wait_s = atof(optarg);
			break;
		case 'q':
			quiet = true;
			break;
		default:
			return 2;
		}
	}
	rc = dpc_subscribe(sock_dir, &s);
	if (rc) {
		fprintf(stderr, "sentinel-dpctl: subscribe: %s\n",
			strerror(-rc));
		return 3;
	}
	signal(SIGINT, on_sigint);
	signal(SIGTERM, on_sigint);
	t0 = now_s();
	printf(quiet ? "" : "{\"subscribed\":true}\n");
	fflush(stdout);
	while (!interrupted && (!want || got < want)) {
		const struct sentinel_EventBatch *eb;
		void *msg;
		int tmo = 200;

		if (wait_s > 0 && now_s() - t0 > wait_s)
			break;
		rc = dpc_sub_recv(s, tmo, &eb, &msg);
		if (rc == -ETIMEDOUT)
			continue;
		if (rc == -EBADMSG) {
			bad++;
			continue;
		}
		if (rc)
			break;
		const struct sentinel_FwEvent *ev = sentinel_EventBatch_fw(eb);
		size_t n = sentinel_EventBatch_fw_len(eb);
		unsigned long long seq = sentinel_EventBatch_seq(eb);

		if (!batches)
			first = now_s();
		last = now_s();
		/* a lower seq: sentinel-dp restarted, numbering anew */
		if (have_seq && seq > next_seq)
			gaps += seq - next_seq;
		next_seq = seq + 1;
		have_seq = true;
		batches++;
		got += n;
		skipped = sentinel_EventBatch_ring_skipped(eb);
		failed = sentinel_EventBatch_ring_failed(eb);
		dropped = sentinel_EventBatch_send_dropped(eb);
		for (size_t i = 0; !quiet && i < n; i++) {
			const char *act = sentinel_Action_name(ev[i].action);

			printf("{\"ts_ns\":%llu,\"ifindex\":%u,\"rule_id\":%u,\"type\":%u,\"action\":\"%s\",\"flags\":%u,\"proto\":%u,\"vlan\":%u,\"src\":",
			       (unsigned long long)ev[i].ts_ns, ev[i].ifindex,
			       ev[i].rule_id, ev[i].type, act ? act : "?",
			       ev[i].flags, ev[i].proto, ev[i].vlan);
			print_addr(ev[i].src, ev[i].family);
			printf(",\"dst\":");
			print_addr(ev[i].dst, ev[i].family);
			printf(",\"sport\":%u,\"dport\":%u,\"len\":%u}\n",
			       ev[i].sport, ev[i].dport, ev[i].pkt_len);
		}
		if (!quiet)
			fflush(stdout);
		dpc_sub_msg_free(msg);
	}
	printf("{\"summary\":true,\"events\":%llu,\"batches\":%llu,\"seq_gaps\":%llu,\"bad_batches\":%llu,\"ring_skipped\":%llu,\"ring_failed\":%llu,\"send_dropped\":%llu,\"seconds\":%.3f}\n",
	       got, batches, gaps, bad, skipped, failed, dropped,
	       batches > 1 ? last - first : 0.0);
	dpc_sub_close(s);
	return 0;
}

int main(int argc, char **argv)
{
	struct fb_builder b;
	struct dpc *c = NULL;
	uint32_t cmd = 0;
	uint64_t id;
	int type = 0, rc, opt;

	while ((opt = getopt(argc, argv, "+s:t:h")) != -1) {
		switch (opt) {
		case 's':
			sock_dir = optarg;
			break;
		case 't':
			timeout_ms = atoi(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[0], "events"))
		return cmd_events(argc, argv);
	rc = dpc_open(sock_dir, timeout_ms, &c);
	if (rc) {
		fprintf(stderr, "sentinel-dpctl: %s: %s\n", sock_dir,
			strerror(-rc));
		return 3;
	}
	fb_builder_init(&b);
	id = dpc_next_id(c);
	rc = -EINVAL;
	if (!strcmp(argv[0], "status") && argc == 1) {
		sentinel_GetStatus_start(&b);
		cmd = sentinel_GetStatus_end(&b);
		type = sentinel_Command_GetStatus;
		rc = 0;
	} else if (!strcmp(argv[0], "counters")) {
		uint32_t *ids = calloc(argc, sizeof(*ids)), vec = 0;

		for (int i = 1; ids && i < argc; i++)
			ids[i - 1] = strtoul(argv[i], NULL, 10);
		if (ids && argc > 1)
			vec = fb_create_vector(&b, ids, argc - 1, 4, 4);
		free(ids);
		sentinel_GetCounters_start(&b);
		if (vec)
			sentinel_GetCounters_add_rule_ids(&b, vec);
		cmd = sentinel_GetCounters_end(&b);
		type = sentinel_Command_GetCounters;
		rc = 0;
	} else if (!strcmp(argv[0], "rules") && argc == 2) {
		rc = build_rules(&b, argv[1]);
		if (rc > 0) {
			cmd = rc;
			rc = 0;
		}
		type = sentinel_Command_ReplaceRules;
	} else if (!strcmp(argv[0], "block")) {
		rc = build_block(&b, argc - 1, argv + 1, &type);
		if (rc > 0) {
			cmd = rc;
			rc = 0;
		}
	} else if ((!strcmp(argv[0], "dry-run") ||
		    !strcmp(argv[0], "policy")) &&
		   (argc == 2 || argc == 3)) {
		uint32_t name = argc == 3 ? fb_create_string(&b, argv[2],
							     strlen(argv[2]))
					  : 0;
		bool dry = !strcmp(argv[0], "dry-run");

		rc = 0;
		if (dry && strcmp(argv[1], "on") && strcmp(argv[1], "off"))
			rc = -EINVAL;
		if (!dry && strcmp(argv[1], "pass") &&
		    strcmp(argv[1], "drop") && strcmp(argv[1], "reset"))
			rc = -EINVAL;
		if (dry) {
			sentinel_SetDryRun_start(&b);
			if (name)
				sentinel_SetDryRun_add_interface(&b, name);
			sentinel_SetDryRun_add_enabled(&b,
						       !strcmp(argv[1], "on"));
			cmd = sentinel_SetDryRun_end(&b);
			type = sentinel_Command_SetDryRun;
		} else {
			sentinel_SetDefaultPolicy_start(&b);
			if (name)
				sentinel_SetDefaultPolicy_add_interface(&b,
									name);
			sentinel_SetDefaultPolicy_add_policy(
				&b, !strcmp(argv[1], "drop")
					    ? sentinel_Policy_Drop
					    : sentinel_Policy_Pass);
			sentinel_SetDefaultPolicy_add_reset(
				&b, !strcmp(argv[1], "reset"));
			cmd = sentinel_SetDefaultPolicy_end(&b);
			type = sentinel_Command_SetDefaultPolicy;
		}
	} else if (!strcmp(argv[0], "mgmt")) {
		rc = build_mgmt(&b, argc - 1, argv + 1);
		if (rc > 0) {
			cmd = rc;
			rc = 0;
		}
		type = sentinel_Command_SetMgmt;
	} else if (!strcmp(argv[0], "raw") && argc == 2) {
		struct dpc_reply rep;
		static char buf[DPC_RAW_MAX];
		FILE *f = fopen(argv[1], "rb");
		size_t len;

		if (!f) {
			fprintf(stderr, "sentinel-dpctl: %s: %s\n", argv[1],
				strerror(errno));
			return 2;
		}
		len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		rc = dpc_call_raw(c, buf, len, &rep);
		if (rc) {
			fprintf(stderr, "sentinel-dpctl: no answer: %s\n",
				strerror(-rc));
			return 3;
		}
		rc = print_reply(rep.reply);
		dpc_reply_free(&rep);
		dpc_close(c);
		return rc;
	}
	if (rc < 0) {
		usage(stderr);
		fb_builder_free(&b);
		dpc_close(c);
		return 2;
	}
	request_end(&b, id, type, cmd);
	rc = call_print(&b, id, c);
	fb_builder_free(&b);
	dpc_close(c);
	return rc;
}

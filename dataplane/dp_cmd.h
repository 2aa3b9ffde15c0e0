/* SPDX-License-Identifier: GPL-2.0-only */
/* sentinel-dp commands: verified and validated requests, and their replies. */
#ifndef SENTINEL_DP_CMD_H
#define SENTINEL_DP_CMD_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fw.h"

struct fb_builder;

/* Limits of one request, beyond what the firewall itself enforces. */
#define DP_MAX_REQUEST	 (64u << 20) /* bytes */
#define DP_MAX_BLOCKS	 (1u << 20)  /* entries per BlockAdd/BlockRemove */
#define DP_MAX_MGMT	 (2 * FW_MAX_MGMT)
#define DP_MAX_RULE_IDS	 FW_MAX_RULES
#define DP_MAX_IFSET	 256 /* interfaces with their own settings */
#define DP_MAX_IFSET_STR "256"
#define DP_MAX_TTL_MS	 (365ull * 24 * 3600 * 1000)
#define DP_IFNAME_NONE \
	0xffffffffu /* ifindex of a rule whose interface is absent */

/* An error to report: a sentinel_Code, the offending field's path, a message. */
struct dp_err {
	int code;
	char field[96];
	char msg[256];
};

/* A rule as sent: the firewall rule, plus its interface by name ("" = any). */
struct dp_rule {
	struct fw_rule r;
	char ifname[IF_NAMESIZE];
};

/* An interface's own settings, kept by name: its ifindex may change. */
struct dp_ifset {
	char name[IF_NAMESIZE];
	int policy; /* enum fw_policy, or -1 to follow the global one */
	bool dry_run;
};

struct dp_mgmt {
	struct fw_cidr cidr;
	uint16_t ports[FW_MGMT_PORTS];
	size_t nports;
};

/* A decoded request.  Arrays are owned (freed by dp_cmd_clear). */
struct dp_cmd {
	uint64_t id;
	int kind; /* enum sentinel_Command */
	struct dp_rule *rules;
	size_t nrules;
	struct bs_entry *blocks;
	size_t nblocks;
	struct fw_cidr *cidrs;
	size_t ncidrs;
	struct dp_mgmt *mgmt;
	size_t nmgmt;
	uint32_t *rule_ids;
	size_t nrule_ids;
	struct dp_ifset *ifsets; /* ApplyState */
	size_t nifsets;
	char ifname[IF_NAMESIZE]; /* SetDryRun, SetDefaultPolicy; "" = global */
	bool enabled;		  /* SetDryRun, ApplyState: dry-run */
	bool reset;
	uint8_t policy; /* SetDefaultPolicy, ApplyState */
};

/*
 * Verify buf as a Request (bounds, offsets, depth), then validate every field
 * (enums, ranges, counts, names) into *ret.  Nothing outside *ret is touched.
 * Returns 0, or -EBADMSG / -EINVAL / -E2BIG / -ENOMEM with err filled; on
 * error *ret holds nothing to free, though its id is set when it was readable.
 */
int dp_cmd_decode(const void *buf, size_t len, struct dp_cmd *ret,
		  struct dp_err *err);
void dp_cmd_clear(struct dp_cmd *c);

/* Fill err and return rc (a negative errno). */
int dp_err_set(struct dp_err *err, int rc, int code, const char *field,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Build a Reply without a result into b (reset first). */
int dp_reply_error(struct fb_builder *b, uint64_t id, const struct dp_err *err);

#endif

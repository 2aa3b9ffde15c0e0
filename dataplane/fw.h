/* SPDX-License-Identifier: GPL-2.0-only */
/* The firewall's user-space side: rule compiler, map access, block sets. */
#ifndef SENTINEL_DP_FW_H
#define SENTINEL_DP_FW_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fw_shared.h"

#define FW_ERR_LEN 256

/* An address prefix.  family 0 means "any address of any family". */
struct fw_cidr {
	__u8 family; /* 0, 4 or 6 */
	__u8 plen;
	__u8 pad[2];
	__u32 addr[4]; /* network byte order; IPv4 in addr[0] */
};

struct fw_range {
	__u16 lo;
	__u16 hi; /* inclusive; 0-65535 means any */
};

/* One rule as the operator wrote it. */
struct fw_rule {
	__u32 id;	/* 1..UINT32_MAX, unique in a set */
	__u32 priority; /* lower first; ties keep input order */
	__u8 action;	/* enum fw_action */
	__u8 dry_run;	/* deny/reject only count and report */
	__u8 proto;	/* IP protocol, 0 = any */
	__u8 tcp_mask;	/* match when (flags & tcp_mask) == tcp_value */
	__u8 tcp_value;
	__u8 pad[3];
	struct fw_cidr src, dst;
	struct fw_range sport, dport;
	int vlan;      /* -1 = any, 0 = untagged, 1..4095 */
	int icmp_type; /* -1 = any */
	int icmp_code; /* -1 = any */
	__u32 ifindex; /* 0 = any interface */
};

/* Sets every field of r to "match anything" (action allow, id 0). */
void fw_rule_init(struct fw_rule *r);

/*
 * File descriptors of the firewall's maps and programs; -1 when absent.
 * pf and ifcnt are absent from pins made by a loader that predates them
 * (fw_maps_open_pinned): rule sets are then applied without a prefilter and
 * there are no per-interface counters.
 */
/* The inner maps of a generation: rule hashes per family, candidate chain. */
enum { FW_IN_R4, FW_IN_R6, FW_IN_CH, FW_IN__MAX };

/*
 * An inner map that this process created and plugged into a generation's
 * slot: fw_set_apply rewrites it in place while the slot still holds it
 * (the id says so), instead of plugging a new one -- every map-in-map
 * update from user space waits for an RCU grace period.
 */
struct fw_inner {
	int fd; /* -1: none known (another process plugged the slot) */
	__u32 id;
	__u32 cap; /* max_entries */
};

struct fw_image;

struct fw_maps {
	int active, gen, tup4, tup6, rules4, rules6, chain, rcnt, stats, set,
		ifset;
	int mgmt4, mgmt6, bs4, bs6, bsplen, rjrl, events;
	int pf, ifcnt;
	int prog; /* sentinel_fw */
	/* what this process knows it wrote (fw_set_apply), owned:
	 * each generation's inner maps and their contents (NULL: unknown),
	 * and the rule ids that have counters (sorted) */
	struct fw_inner inner[FW_GENS][FW_IN__MAX];
	struct fw_image *img[FW_GENS];
	__u32 *cnt_ids;
	size_t ncnt_ids;
	bool cnt_known;
	struct fw_pf_gen *pfbuf; /* write buffer of fw_pf values */
};

struct fw_bpf;

/* Settings of a freshly loaded firewall (pinned settings are adopted). */
#define FW_REJECT_PPS	100
#define FW_REJECT_BURST 50

/*
 * Open and load the firewall object.  New maps get the default settings:
 * default policy pass, malformed packets dropped, FW_REJECT_PPS replies per
 * second per source.  With pin_dir, maps are pinned there
 * (and reused if already pinned: state survives reloads) and the program is
 * pinned as pin_dir/prog.  Fills *ret_maps; *ret_skel owns the objects.
 */
int fw_load(const char *pin_dir, struct fw_bpf **ret_skel,
	    struct fw_maps *ret_maps);
void fw_unload(struct fw_bpf *skel);

/* Open everything pinned under pin_dir by fw_load().  Close with fw_maps_close. */
int fw_maps_open_pinned(const char *pin_dir, struct fw_maps *ret);
void fw_maps_close(struct fw_maps *m);
/* Forget what fw_set_apply keeps in m and close its inner maps
 * (fw_maps_close does; after fw_load, call it before fw_unload). */
void fw_maps_cache_free(struct fw_maps *m);
void fw_image_free(struct fw_image *img);

/* Attach prog to ifname in XDP mode "native" or "generic" (NULL: native,
 * falling back to generic unless another program holds the device); the
 * link is pinned as pin_dir/link_<ifname>.  *ret_mode (optional) receives
 * the mode used.  -EEXIST if that pin exists; -EBUSY or -EEXIST from the
 * kernel when another XDP program is attached. */
int fw_attach(const struct fw_maps *m, const char *pin_dir, const char *ifname,
	      const char *mode, const char **ret_mode);
/* The same for the interface ifindex, whose name ifname names the pin: no
 * name lookup, so no race with a rename or a re-created name. */
int fw_attach_ifindex(const struct fw_maps *m, const char *pin_dir,
		      unsigned int ifindex, const char *ifname,
		      const char *mode, const char **ret_mode);
/* Detach and unpin the link of ifname (ifname may also be the pin's name
 * without the prefix, as read from the directory). */
int fw_detach(const char *pin_dir, const char *ifname);

/*
 * Link pins are named FW_LINK_PREFIX + the interface name with every '.'
 * written as ':' -- bpffs refuses dots in names (EPERM, reserved for the
 * kernel) while interface names such as "eth0.100" use them, and ':' can
 * never appear in an interface name.  fw_link_pin_path() writes the full
 * path (-EINVAL for an invalid name, -ENAMETOOLONG); fw_link_pin_ifname()
 * turns a pin's file name back into the interface name (-EINVAL if the
 * file is not a link pin).
 */
#define FW_LINK_PREFIX "link_"
int fw_link_pin_path(const char *pin_dir, const char *ifname, char *buf,
		     size_t len);
int fw_link_pin_ifname(const char *file, char *buf, size_t len);

/* ---- rule sets ---- */

struct fw_set;

/*
 * Validate and compile rules[0..n) into tuple-space form.  On error returns
 * -EINVAL (or -E2BIG when a limit is exceeded, -ENOMEM) and writes a message
 * naming the rule id and field into err.
 */
int fw_set_compile(const struct fw_rule *rules, size_t n, struct fw_set **ret,
		   char *err, size_t errlen);
void fw_set_free(struct fw_set *s);
/* Figures of a compiled set: rules, kernel entries and tuples per family,
 * prefilter size in 64-bit words (0: none). */
struct fw_set_info {
	size_t rules, entries4, entries6, tuples4, tuples6, prefilter_words;
};
void fw_set_info(const struct fw_set *s, struct fw_set_info *ret);

/*
 * Resize the prefilter of s (see struct fw_pf_gen) to words 64-bit words, a
 * power of two up to FW_PF_WORDS, or 0 for none (every tuple is probed).
 * fw_set_compile() picks about 16 bits a key; tests force collisions with a
 * tiny filter, benchmarks measure it.  -EINVAL for a bad size, -ENOMEM.
 */
int fw_set_prefilter(struct fw_set *s, unsigned int words);

/* The fields a rule matches on, as parsed from one packet. */
struct fw_pkt_fields {
	__u8 family; /* 4 or 6 */
	__u8 proto;
	__u8 tcpflags;
	__u8 pad;
	__u16 vlan;  /* 0 = untagged */
	__u16 sport; /* host order; ICMP type */
	__u16 dport; /* host order; ICMP code */
	__u16 pad2;
	__u32 ifindex;
	__u32 src[4]; /* network byte order */
	__u32 dst[4];
};

/*
 * Classify p against s in user space exactly as the XDP program does.
 * Returns 1 and fills *ret with the winning entry, or 0 for no match.
 */
int fw_set_classify(const struct fw_set *s, const struct fw_pkt_fields *p,
		    struct fw_rule_val *ret);

/*
 * Make s the active rule set: written into the inactive generation, then
 * activated by one map update.  A packet is judged wholly by the old or
 * wholly by the new set.  Per-rule counters of ids present in both survive.
 * The generation's inner maps are rewritten in place when m knows them and
 * they are large enough (no grace period to wait for); m remembers the ones
 * it plugs.
 */
int fw_set_apply(struct fw_maps *m, const struct fw_set *s, char *err,
		 size_t errlen);

/* ---- settings, anti-lockout ---- */
int fw_settings_get(const struct fw_maps *m, struct fw_settings *ret);
int fw_settings_set(const struct fw_maps *m, const struct fw_settings *s);
int fw_if_settings_set(const struct fw_maps *m, __u32 ifindex,
		       const struct fw_if_settings *s);
int fw_if_settings_del(const struct fw_maps *m, __u32 ifindex);
int fw_mgmt_add(const struct fw_maps *m, const struct fw_cidr *c,
		const __u16 *ports, size_t nports);
int fw_mgmt_del(const struct fw_maps *m, const struct fw_cidr *c);

/* ---- counters ---- */
/* Sum the per-CPU global counters into ret[FW_ST__MAX] (rx, pass, drop,
 * tx, default_pass and default_drop include the per-interface counters). */
int fw_stats_read(const struct fw_maps *m, struct fw_counter *ret);
/* One global counter, idx an enum fw_stat: no walk over the per-interface
 * counters unless idx is one of the sums (fw_stats_read reads them all). */
int fw_stat_read(const struct fw_maps *m, unsigned int idx,
		 struct fw_counter *ret);
int fw_rule_counter(const struct fw_maps *m, __u32 rule_id,
		    struct fw_counter *ret);
const char *fw_stat_name(unsigned int idx);

/* Verdicts of one interface, summed over CPUs. */
struct fw_if_count {
	__u32 ifindex; /* 0: every interface whose ifindex >= FW_IF_SLOTS */
	__u32 pad;
	struct fw_counter pass, drop, tx; /* every frame is one of these */
	struct fw_counter default_pass;	  /* of pass: by the default policy */
	struct fw_counter default_drop;	  /* of drop: by the default policy */
};
/*
 * Per-interface verdict counters: out[0..*ret_n) gets every slot with a
 * non-zero counter, by ascending ifindex.  -ENOBUFS if more than max slots
 * are non-zero (max = FW_IF_SLOTS always suffices; *ret_n untouched),
 * -ENOENT if the pinned maps predate these counters, else -errno.
 */
int fw_if_counters_read(const struct fw_maps *m, struct fw_if_count *out,
			size_t max, size_t *ret_n);

/* ---- block sets ---- */
/* ttl_ns 0 = never expires. */
struct bs_entry {
	struct fw_cidr cidr;
	__u64 ttl_ns;
	__u32 source;
	__u8 flags;
};
/* Add or refresh entries (batched), all or nothing: the kernel does not
 * promise it per call, so on error every entry is put back as it was (old
 * value restored, new key removed). */
int bs_add(const struct fw_maps *m, const struct bs_entry *e, size_t n);
int bs_del(const struct fw_maps *m, const struct fw_cidr *c);
/* Remove expired entries and recompute the prefix-length bitmaps.
 * *ret_removed (optional) counts what was removed. */
int bs_sweep(const struct fw_maps *m, size_t *ret_removed);
int bs_count(const struct fw_maps *m, size_t *ret4, size_t *ret6);

/* The network-order mask of a plen-bit prefix in four words (plen <= 128;
 * an IPv4 prefix uses word 0 only). */
void fw_prefix_mask(__u32 mask[4], unsigned int plen);

/* ---- text forms ---- */
/* Parse "10.0.0.0/8", "2001:db8::/32", "1.2.3.4" (host prefix), "any". */
int fw_cidr_parse(const char *s, struct fw_cidr *ret);
int fw_cidr_format(const struct fw_cidr *c, char *buf, size_t len);
/*
 * Parse one rule line: space-separated key=value words.
 *   id=N prio=N action=allow|deny|log|reject proto=tcp|udp|icmp|icmpv6|N
 *   src=CIDR dst=CIDR sport=P|P-P dport=P|P-P vlan=N|untagged
 *   tcp-flags=VALUE/MASK (names fin,syn,rst,psh,ack,urg,ece,cwr joined by ,)
 *   icmp-type=N icmp-code=N iface=NAME dry-run
 * Returns 0, 1 for a blank or comment line, or -EINVAL with err naming the
 * word that is wrong.
 */
int fw_rule_parse(const char *line, struct fw_rule *ret, char *err,
		  size_t errlen);
/* Read a rules file; *ret is malloc'd.  err names the line. */
int fw_rules_load_file(const char *path, struct fw_rule **ret, size_t *ret_n,
		       char *err, size_t errlen);

#endif

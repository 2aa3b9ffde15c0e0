/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Layouts shared by the XDP firewall (bpf/) and its loader (dataplane/). */
#ifndef SENTINEL_FW_SHARED_H
#define SENTINEL_FW_SHARED_H

/*
 * Kernel code includes vmlinux.h first, user code <linux/types.h>; both give
 * the __u8..__u64 types used here.  Every struct is padded explicitly so the
 * two compilers agree on its layout and hash keys have no garbage bytes.
 */

/* Rule-set generations: one is active, the other is being built. */
#define FW_GENS 2
/* Distinct mask tuples per family and generation (the per-packet loop bound). */
#define FW_MAX_TUPLES 128
/* Rule hash keys per family: a generation may use half (both can coexist). */
#define FW_MAX_ENTRIES (1u << 21)
/* Candidates walked under one key; chained candidates per generation. */
#define FW_CHAIN_MAX 16
#define FW_CHAIN_GEN (1u << 17)
/* Distinct rule ids with counters. */
#define FW_MAX_RULES 262144
/* Block-set entries per family. */
#define BS_MAX_ENTRIES (1u << 21)
/* Management (anti-lockout) prefixes per family. */
#define FW_MAX_MGMT   64
#define FW_MGMT_PORTS 8
/* Per-interface settings. */
#define FW_MAX_IFACES 1024
/* Sources tracked by the reject rate limiter (LRU). */
#define FW_RJ_SOURCES 65536
/* Default event ring size in bytes (power of two, page multiple). */
#define FW_EVENTS_SIZE (8u << 20)
/* Maximum IPv6 extension headers walked before the packet is malformed. */
#define FW_MAX_EXTHDRS 8

/* The tuple field holds the generation in its top bit. */
#define FW_TUPLE_GEN_SHIFT 15

enum fw_action {
	FW_ACT_ALLOW = 0,
	FW_ACT_DENY = 1,
	FW_ACT_LOG = 2, /* pass and emit an event; terminal like the others */
	FW_ACT_REJECT = 3,
	FW_ACT__MAX,
};

/* struct fw_rule_val.flags and struct bs_val.flags */
#define FW_RF_DRYRUN 0x01 /* deny/reject become "would drop" */

/*
 * Classification key.  A packet's key is masked by each tuple's mask and the
 * result looked up in the rule hash; the value found heads a short chain of
 * candidate rules that check what the key does not (port ranges, TCP flags,
 * the exact prefix when the tuple's prefix was relaxed).  For ICMP/ICMPv6
 * sport holds the type and dport the code; for protocols without ports both
 * are 0, as they are for non-first fragments (which therefore only match
 * port-less rules).
 */
struct fw4_key {
	__u16 tuple; /* gen << 15 | tuple index; never masked */
	__u16 vlan;  /* innermost VLAN id, 0 if untagged */
	__u32 ifindex;
	__u8 proto;
	__u8 pad0;
	__u16 sport; /* host byte order */
	__u16 dport; /* host byte order */
	__u16 pad;
	__u32 src; /* network byte order */
	__u32 dst;
};

struct fw6_key {
	__u16 tuple;
	__u16 vlan;
	__u32 ifindex;
	__u8 proto;
	__u8 pad0;
	__u16 sport;
	__u16 dport;
	__u16 pad;
	__u32 src[4];
	__u32 dst[4];
};

/* A tuple: the mask applied to the key, and the best rank stored under it. */
struct fw4_tuple {
	struct fw4_key mask;
	__u32 min_rank;
	__u32 pad;
};

struct fw6_tuple {
	struct fw6_key mask;
	__u32 min_rank;
	__u32 pad;
};

/*
 * A candidate rule: the value of a rule entry, and an element of the chain
 * array.  rank orders rules (lower wins); a chain is sorted by rank.
 */
struct fw_rule_val {
	__u32 rule_id;
	__u32 rank;
	__u8 action;
	__u8 flags;
	__u8 tcp_mask; /* match when (flags & tcp_mask) == tcp_value */
	__u8 tcp_value;
	__u8 src_plen; /* exact prefixes, checked when the tuple relaxed them */
	__u8 dst_plen;
	__u16 pad;
	__u16 sport_lo, sport_hi; /* inclusive ranges */
	__u16 dport_lo, dport_hi;
	__u32 next;   /* fw_chain index + 1 of the next candidate, 0 = last */
	__u32 src[4]; /* network byte order, masked; IPv4 in [0] */
	__u32 dst[4];
};

/*
 * Per generation: how many tuples each family uses, and the tag of its
 * struct fw_pf_gen.  pf_tag was a zero pad before fw_pf existed: the
 * program trusts fw_pf[gen] only when both carry the same non-zero tag, so
 * a generation written by a loader that predates fw_pf (tag 0) is judged
 * without the fast path or the prefilter.
 */
struct fw_gen_hdr {
	__u32 ntup4;
	__u32 ntup6;
	__u32 nrules;
	__u32 pf_tag;
};

/*
 * The fast path of one generation (fw_pf, one value per generation): the
 * first FW_PF_FAST tuples of each family, read without a lookup per tuple,
 * and the prefilter, a blocked Bloom filter over the rule hash keys of both
 * families (struct fw4_key / fw6_key with the tuple index but not the
 * generation bit, read as 3 / 6 64-bit words in memory order: the same
 * words on both sides of one host).  A key's hash h (fw_pf_hash4/6) picks
 * word (h >> 32) & (words - 1) and in it bits h >> 58 and (h >> 52) & 63;
 * a probe whose two bits are not both set cannot hit and is skipped.  The
 * compiler sizes the filter at about 16 bits a key.
 */
#define FW_PF_WORDS (1u << 17)
#define FW_PF_FAST  8

struct fw_pf_gen {
	/* what every frame reads first */
	__u32 tag;   /* == fw_gen_hdr.pf_tag of the generation, never 0 */
	__u32 words; /* filter words used, a power of two; 0 = no filter */
	__u32 ntup4, ntup6;
	struct fw4_key mask4[FW_PF_FAST];
	struct fw6_key mask6[FW_PF_FAST];
	__u32 rank4[FW_PF_FAST]; /* fw4_tuple.min_rank */
	__u32 rank6[FW_PF_FAST];
	__u64 bloom[FW_PF_WORDS];
};

/* Multiply-shift over the key's 64-bit words: h = B + sum(K[i] * word i);
 * the filter uses the high bits, which depend on every bit of every word. */
#define FW_PF_B	 0x9e3779b97f4a7c15ULL
#define FW_PF_K0 0xd6e8feb86659fd93ULL
#define FW_PF_K1 0xa0761d6478bd642fULL
#define FW_PF_K2 0xe7037ed1a0b428dbULL
#define FW_PF_K3 0x8ebc6af09c88c6e3ULL
#define FW_PF_K4 0x589965cc75374cc3ULL
#define FW_PF_K5 0x1d8e4e27c47d124fULL

/* The prefilter hash of a key given as its 64-bit words (in memory order). */
static inline __attribute__((always_inline)) __u64 fw_pf_hash4(const __u64 *w)
{
	return FW_PF_B + w[0] * FW_PF_K0 + w[1] * FW_PF_K1 + w[2] * FW_PF_K2;
}

static inline __attribute__((always_inline)) __u64 fw_pf_hash6(const __u64 *w)
{
	return FW_PF_B + w[0] * FW_PF_K0 + w[1] * FW_PF_K1 + w[2] * FW_PF_K2 +
	       w[3] * FW_PF_K3 + w[4] * FW_PF_K4 + w[5] * FW_PF_K5;
}

/* The two bits a hash sets in its word. */
static inline __attribute__((always_inline)) __u64 fw_pf_bits(__u64 h)
{
	return 1ULL << (h >> 58) | 1ULL << ((h >> 52) & 63);
}

enum fw_policy {
	FW_POLICY_PASS = 0,
	FW_POLICY_DROP = 1,
	FW_POLICY_INHERIT = 2, /* per interface: follow the global policy */
};

/* Global settings (array index 0) and per-interface overrides (hash). */
struct fw_settings {
	__u8 default_policy;   /* enum fw_policy */
	__u8 dry_run;	       /* global dry-run: nothing is dropped */
	__u8 malformed_policy; /* enum fw_policy for malformed IP packets */
	__u8 have; /* FW_HAVE_*: which optional maps hold entries (loader's) */
	__u32 reject_pps; /* per-source rate of RST/ICMP replies */
	__u32 reject_burst;
	__u32 pad2;
};

/* struct fw_settings.have: lets the fast path skip empty maps */
#define FW_HAVE_MGMT4 0x01
#define FW_HAVE_MGMT6 0x02
#define FW_HAVE_IFSET 0x04

struct fw_if_settings {
	__u8 default_policy;
	__u8 dry_run;
	__u16 pad;
	__u32 pad2;
};

struct fw_counter {
	__u64 packets;
	__u64 bytes;
};

/*
 * Per-interface verdict counters (per CPU): fw_ifcnt is indexed by the
 * ingress ifindex; ifindex FW_IF_SLOTS or above is counted in slot 0 (no
 * device has ifindex 0).  Every frame moves exactly one of these counters,
 * and nothing else when it matches no rule: the global rx, pass, drop, tx,
 * default_pass and default_drop are sums of them (fw_stats_read adds
 * them), as are an interface's pass and drop (fw_if_counters_read).
 */
#define FW_IF_SLOTS 1024

enum fw_ifv {
	FW_IFV_PASS = 0,     /* passed, but not by the default policy */
	FW_IFV_DEFAULT_PASS, /* passed by the default policy */
	FW_IFV_DROP,	     /* dropped, but not by the default policy */
	FW_IFV_DEFAULT_DROP, /* dropped by the default policy */
	FW_IFV_TX,	     /* answered with XDP_TX (reject) */
	FW_IFV__MAX,
};

struct fw_if_val {
	struct fw_counter v[FW_IFV__MAX];
};

/*
 * Global per-CPU counters, indexed by this enum.  rx, pass, drop, tx,
 * default_pass and default_drop are no longer written by the program
 * (fw_ifcnt holds them): their fw_stats slots keep what an older program
 * counted, and fw_stats_read adds both.
 */
enum fw_stat {
	FW_ST_RX = 0,	  /* every frame seen */
	FW_ST_PASS,	  /* frames passed (all reasons) */
	FW_ST_DROP,	  /* frames dropped (all reasons) */
	FW_ST_TX,	  /* frames answered with XDP_TX (reject) */
	FW_ST_NON_IP,	  /* passed: not IPv4/IPv6 */
	FW_ST_MGMT_PASS,  /* passed by the anti-lockout list */
	FW_ST_BS_DROP,	  /* dropped by a block set */
	FW_ST_RULE_MATCH, /* a rule matched */
	FW_ST_DEFAULT_PASS,
	FW_ST_DEFAULT_DROP,
	FW_ST_DRYRUN,	 /* would have dropped, passed by dry-run */
	FW_ST_REJECT_RL, /* reject reply suppressed by the rate limit (dropped) */
	FW_ST_REJECT_ERR, /* reject reply could not be built (dropped) */
	FW_ST_EV_SENT,
	FW_ST_EV_SKIPPED, /* ring above 75% full */
	FW_ST_EV_FAILED,  /* ring reservation failed */
	FW_ST_BS_EXPIRED, /* expired block-set entries seen (and removed) */
	/* Malformed packets, one counter per reason. */
	FW_ST_BAD_ETH,
	FW_ST_BAD_VLAN, /* more than two tags, or truncated tag */
	FW_ST_BAD_IP4,	/* truncated, ihl < 5, version, total length */
	FW_ST_BAD_IP6,
	FW_ST_BAD_EXTHDR, /* truncated or too many IPv6 extension headers */
	FW_ST_BAD_L4,	/* truncated TCP/UDP/ICMP header on a first fragment */
	FW_ST_FRAGMENT, /* non-first fragments seen (not malformed) */
	FW_ST__MAX,
};

/* Block sets: one hash per family, keyed by prefix length and masked address. */
struct bs4_key {
	__u32 plen;
	__u32 addr;
};

struct bs6_key {
	__u32 plen;
	__u32 addr[4];
};

struct bs_val {
	__u64 expires_ns; /* CLOCK_BOOTTIME; 0 = never */
	__u32 source;	  /* who added it: free for user space */
	__u8 flags;	  /* FW_RF_DRYRUN */
	__u8 pad[3];
};

/* Which prefix lengths are present in each block set: bit n = /n. */
struct bs_plens {
	__u64 v4;
	__u64 v6[3];
};

/* Anti-lockout: LPM key and the ports it opens (none = all ports). */
struct mgmt4_key {
	__u32 prefixlen;
	__u32 addr;
};

struct mgmt6_key {
	__u32 prefixlen;
	__u32 addr[4];
};

struct mgmt_val {
	__u16 ports[FW_MGMT_PORTS];
	__u32 nports;
};

/* Token bucket of the reject rate limiter, per source address. */
struct rj_bucket {
	__u64 last_ns;
	__u64 tokens; /* scaled by 1e9 / s */
};

enum fw_ev_type {
	FW_EV_RULE = 1,	    /* a deny/log/reject rule matched */
	FW_EV_BLOCKSET = 2, /* a block-set entry matched */
};

/* struct fw_event.flags */
#define FW_EVF_DRYRUN	   0x01 /* would have dropped; the packet passed */
#define FW_EVF_REJECT_SENT 0x02
#define FW_EVF_REJECT_RL   0x04

/* One ring-buffer event: 72 bytes (80 in the ring with its header). */
struct fw_event {
	__u64 ts_ns; /* bpf_ktime_get_boot_ns() */
	__u32 ifindex;
	__u32 rule_id; /* rule id, or block-set source */
	__u32 pkt_len;
	__u8 type;   /* enum fw_ev_type */
	__u8 action; /* enum fw_action */
	__u8 flags;  /* FW_EVF_* */
	__u8 family; /* 4 or 6 */
	__u8 proto;
	__u8 tcpflags;
	__u16 vlan;
	__u16 sport;
	__u16 dport;
	__u32 pad;
	__u32 src[4]; /* IPv4 in src[0], network byte order */
	__u32 dst[4];
};

#endif

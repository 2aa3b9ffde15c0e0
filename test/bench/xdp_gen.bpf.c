// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Benchmark helpers: a live-frames traffic generator and counting sinks. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by the loader before load: the source addresses and ports to cycle. */
const volatile __u32 src_base = 0; /* host byte order */
const volatile __u32 src_count = 1;
const volatile __u16 sport_base = 1024;
const volatile __u16 sport_count = 1;

/* Frames generated (xb_gen) or received (xb_drop, xb_pass), per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} xb_cnt SEC(".maps");

static __always_inline __u64 count(void)
{
	__u32 zero = 0;
	__u64 *c = bpf_map_lookup_elem(&xb_cnt, &zero);

	if (!c)
		return 0;
	return (*c)++;
}

/*
 * Rewrite the IPv4 source address and UDP source port of the template frame
 * (Ethernet + IPv4 without options + UDP) from a per-CPU sequence number,
 * fix the IPv4 header checksum (the stack checks it), and send the frame
 * out again: with BPF_F_TEST_XDP_LIVE_FRAMES, XDP_TX becomes a redirect to
 * the ingress interface, i.e. a transmit to the veth peer.
 */
SEC("xdp")
int xb_gen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	struct udphdr *udp = (void *)(ip + 1);
	__u64 seq = count();
	__u16 *w = (__u16 *)ip;
	__u32 sum = 0;
	int i;

	if ((void *)(udp + 1) > data_end)
		return XDP_ABORTED;
	ip->saddr = bpf_htonl(src_base + (__u32)(seq % src_count));
	udp->source = bpf_htons(sport_base + (__u16)(seq % sport_count));
	udp->check = 0;
	ip->check = 0;
	for (i = 0; i < 10; i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	ip->check = ~sum & 0xffff;
	return XDP_TX;
}

/* The plain XDP_DROP baseline. */
SEC("xdp")
int xb_drop(struct xdp_md *ctx)
{
	count();
	return XDP_DROP;
}

/* Hands frames to the stack (the iptables case), counting them. */
SEC("xdp")
int xb_pass(struct xdp_md *ctx)
{
	count();
	return XDP_PASS;
}

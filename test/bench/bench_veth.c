// SPDX-License-Identifier: GPL-2.0-only
/* bench_veth.sh's helper: counting XDP sinks and a live-frames UDP generator. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xdp_gen.skel.h"

#define FRAME_LEN 64 /* bytes handed to the driver (no FCS) */

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_WARN)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

static int parse_mac(const char *s, __u8 *mac)
{
	unsigned int b[6], i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5]) != 6)
		return -EINVAL;
	for (i = 0; i < 6; i++)
		mac[i] = b[i];
	return 0;
}

/* Sum of the per-CPU counter pinned at path. */
static int read_count(const char *path, __u64 *ret)
{
	int ncpu = libbpf_num_possible_cpus(), fd, i;
	__u32 zero = 0;
	__u64 *v, sum = 0;

	if (ncpu < 0)
		return ncpu;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	v = calloc(ncpu, sizeof(*v));
	if (!v) {
		close(fd);
		return -ENOMEM;
	}
	if (bpf_map_lookup_elem(fd, &zero, v)) {
		i = -errno;
		goto out;
	}
	for (i = 0; i < ncpu; i++)
		sum += v[i];
	*ret = sum;
	i = 0;
out:
	free(v);
	close(fd);
	return i;
}

/* attach IFACE drop|pass PINDIR: native XDP, link and counter pinned. */
static int cmd_attach(const char *ifname, const char *kind, const char *dir)
{
	struct xdp_gen_bpf *skel;
	struct bpf_program *prog;
	struct bpf_link *link;
	char path[512];
	int ifindex = if_nametoindex(ifname), err;

	if (!ifindex) {
		fprintf(stderr, "no interface %s\n", ifname);
		return 1;
	}
	skel = xdp_gen_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "loading xdp_gen: %s\n", strerror(errno));
		return 1;
	}
	prog = !strcmp(kind, "drop") ? skel->progs.xb_drop
				     : skel->progs.xb_pass;
	/* bpf_link XDP attach without flags uses the native (driver) mode */
	link = bpf_program__attach_xdp(prog, ifindex);
	if (!link) {
		err = -errno;
		fprintf(stderr, "attaching to %s: %s\n", ifname,
			strerror(-err));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/xb_link_%s", dir, ifname);
	err = bpf_link__pin(link, path);
	if (!err) {
		snprintf(path, sizeof(path), "%s/xb_cnt_%s", dir, ifname);
		err = bpf_map__pin(skel->maps.xb_cnt, path);
	}
	if (err)
		fprintf(stderr, "pinning %s: %s\n", path, strerror(-err));
	else
		printf("attached xb_%s to %s (native)\n", kind, ifname);
	bpf_link__destroy(link);
out:
	xdp_gen_bpf__destroy(skel);
	return err ? 1 : 0;
}

static int cmd_count(const char *dir, const char *ifname)
{
	char path[512];
	__u64 n = 0;
	int err;

	snprintf(path, sizeof(path), "%s/xb_cnt_%s", dir, ifname);
	err = read_count(path, &n);
	if (err) {
		fprintf(stderr, "reading %s: %s\n", path, strerror(-err));
		return 1;
	}
	printf("%llu\n", (unsigned long long)n);
	return 0;
}

static void build_udp4(__u8 *buf, const __u8 *smac, const __u8 *dmac, __u32 src,
		       __u32 dst)
{
	struct ethhdr *eth = (void *)buf;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);

	memset(buf, 0, FRAME_LEN);
	memcpy(eth->h_dest, dmac, ETH_ALEN);
	memcpy(eth->h_source, smac, ETH_ALEN);
	eth->h_proto = htons(ETH_P_IP);
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(FRAME_LEN - sizeof(*eth));
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->saddr = src;
	ip->daddr = dst;
	udp->source = htons(1024);
	udp->dest = htons(9);
	udp->len = htons(FRAME_LEN - sizeof(*eth) - sizeof(*ip));
}

/*
 * gen IFACE SMAC DMAC SRCNET DST FRAMES NSRC NSPORT: send FRAMES copies of a
 * UDP frame out of IFACE (XDP_TX of live frames), the source address cycling
 * through NSRC addresses from SRCNET and the source port through NSPORT ports
 * from 1024.  Prints "sent N ns T".
 */
static int cmd_gen(char **argv)
{
	__u8 smac[6], dmac[6], frame[FRAME_LEN];
	struct in_addr src, dst;
	struct xdp_gen_bpf *skel;
	struct xdp_md ctx = {.data_end = FRAME_LEN};
	unsigned long frames = strtoul(argv[5], NULL, 0);
	struct timespec t0, t1;
	int ifindex = if_nametoindex(argv[0]), err;
	double ns;

	if (!ifindex || parse_mac(argv[1], smac) || parse_mac(argv[2], dmac) ||
	    inet_pton(AF_INET, argv[3], &src) != 1 ||
	    inet_pton(AF_INET, argv[4], &dst) != 1 || !frames ||
	    frames > 0xffffffffUL) {
		fprintf(stderr, "gen: bad arguments\n");
		return 2;
	}
	ctx.ingress_ifindex = ifindex;
	build_udp4(frame, smac, dmac, src.s_addr, dst.s_addr);
	skel = xdp_gen_bpf__open();
	if (!skel) {
		fprintf(stderr, "opening xdp_gen: %s\n", strerror(errno));
		return 1;
	}
	skel->rodata->src_base = ntohl(src.s_addr);
	skel->rodata->src_count = strtoul(argv[6], NULL, 0) ?: 1;
	skel->rodata->sport_base = 1024;
	skel->rodata->sport_count = strtoul(argv[7], NULL, 0) ?: 1;
	err = xdp_gen_bpf__load(skel);
	if (err) {
		fprintf(stderr, "loading xdp_gen: %s\n", strerror(-err));
		goto out;
	}
	{
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
			    .data_size_in = FRAME_LEN, .ctx_in = &ctx,
			    .ctx_size_in = sizeof(ctx), .repeat = frames,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES,
			    .batch_size = 64);

		clock_gettime(CLOCK_MONOTONIC, &t0);
		err = bpf_prog_test_run_opts(
			bpf_program__fd(skel->progs.xb_gen), &o);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (err) {
			err = -errno;
			fprintf(stderr, "live-frames test run on %s: %s\n",
				argv[0], strerror(-err));
			goto out;
		}
	}
	ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
	printf("sent %lu ns %.0f\n", frames, ns);
out:
	xdp_gen_bpf__destroy(skel);
	return err ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench-veth attach IFACE drop|pass PINDIR\n"
		"       bench-veth count PINDIR IFACE\n"
		"       bench-veth gen IFACE SMAC DMAC SRCNET DST FRAMES NSRC NSPORT\n");
}

int main(int argc, char **argv)
{
	libbpf_set_print(libbpf_quiet);
	if (argc == 5 && !strcmp(argv[1], "attach") &&
	    (!strcmp(argv[3], "drop") || !strcmp(argv[3], "pass")))
		return cmd_attach(argv[2], argv[3], argv[4]);
	if (argc == 4 && !strcmp(argv[1], "count"))
		return cmd_count(argv[2], argv[3]);
	if (argc == 10 && !strcmp(argv[1], "gen"))
		return cmd_gen(argv + 2);
	usage();
	return 2;
}

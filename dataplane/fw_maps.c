// SPDX-License-Identifier: GPL-2.0-only
/* Settings, anti-lockout prefixes and counters in the firewall's maps. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fw.h"

static const char *const stat_names[FW_ST__MAX] = {
	[FW_ST_RX] = "rx",
	[FW_ST_PASS] = "pass",
	[FW_ST_DROP] = "drop",
	[FW_ST_TX] = "tx",
	[FW_ST_NON_IP] = "non_ip",
	[FW_ST_MGMT_PASS] = "mgmt_pass",
	[FW_ST_BS_DROP] = "bs_drop",
	[FW_ST_RULE_MATCH] = "rule_match",
	[FW_ST_DEFAULT_PASS] = "default_pass",
	[FW_ST_DEFAULT_DROP] = "default_drop",
	[FW_ST_DRYRUN] = "dry_run",
	[FW_ST_REJECT_RL] = "reject_ratelimited",
	[FW_ST_REJECT_ERR] = "reject_error",
	[FW_ST_EV_SENT] = "events_sent",
	[FW_ST_EV_SKIPPED] = "events_skipped",
	[FW_ST_EV_FAILED] = "events_failed",
	[FW_ST_BS_EXPIRED] = "bs_expired",
	[FW_ST_BAD_ETH] = "bad_eth",
	[FW_ST_BAD_VLAN] = "bad_vlan",
	[FW_ST_BAD_IP4] = "bad_ip4",
	[FW_ST_BAD_IP6] = "bad_ip6",
	[FW_ST_BAD_EXTHDR] = "bad_exthdr",
	[FW_ST_BAD_L4] = "bad_l4",
	[FW_ST_FRAGMENT] = "fragment",
};

const char *fw_stat_name(unsigned int idx)
{
	return idx < FW_ST__MAX ? stat_names[idx] : NULL;
}

static int update(int fd, const void *key, const void *val, __u64 flags)
{
	return bpf_map_update_elem(fd, key, val, flags) ? -errno : 0;
}

int fw_settings_get(const struct fw_maps *m, struct fw_settings *ret)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(m->set, &zero, ret) ? -errno : 0;
}

static bool map_empty(int fd, size_t ksize)
{
	char key[64];

	return ksize > sizeof(key) || bpf_map_get_next_key(fd, NULL, key) != 0;
}

/* Recompute fw_settings.have from the maps it describes. */
static int have_update(const struct fw_maps *m)
{
	struct fw_settings s;
	__u32 zero = 0;
	int err = fw_settings_get(m, &s);

	if (err)
		return err;
	s.have = (map_empty(m->mgmt4, sizeof(struct mgmt4_key))
			  ? 0
			  : FW_HAVE_MGMT4) |
		 (map_empty(m->mgmt6, sizeof(struct mgmt6_key))
			  ? 0
			  : FW_HAVE_MGMT6) |
		 (map_empty(m->ifset, sizeof(__u32)) ? 0 : FW_HAVE_IFSET);
	return update(m->set, &zero, &s, BPF_ANY);
}

int fw_settings_set(const struct fw_maps *m, const struct fw_settings *s)
{
	struct fw_settings cur, next = *s;
	__u32 zero = 0;
	int err;

	if (s->default_policy > FW_POLICY_DROP ||
	    s->malformed_policy > FW_POLICY_DROP || s->dry_run > 1)
		return -EINVAL;
	err = fw_settings_get(m, &cur);
	if (err)
		return err;
	next.have = cur.have; /* the loader's, not the caller's */
	return update(m->set, &zero, &next, BPF_ANY);
}

int fw_if_settings_set(const struct fw_maps *m, __u32 ifindex,
		       const struct fw_if_settings *s)
{
	int err;

	if (!ifindex || s->default_policy > FW_POLICY_INHERIT || s->dry_run > 1)
		return -EINVAL;
	err = update(m->ifset, &ifindex, s, BPF_ANY);
	return err ? err : have_update(m);
}

int fw_if_settings_del(const struct fw_maps *m, __u32 ifindex)
{
	if (bpf_map_delete_elem(m->ifset, &ifindex))
		return -errno;
	return have_update(m);
}

static int mgmt_key(const struct fw_cidr *c, void *k4, void *k6, int *fd,
		    const struct fw_maps *m, void **key)
{
	if (c->family == 4) {
		struct mgmt4_key *k = k4;

		if (c->plen > 32)
			return -EINVAL;
		k->prefixlen = c->plen;
		k->addr = c->addr[0];
		*fd = m->mgmt4;
		*key = k;
		return 0;
	}
	if (c->family == 6) {
		struct mgmt6_key *k = k6;

		if (c->plen > 128)
			return -EINVAL;
		k->prefixlen = c->plen;
		memcpy(k->addr, c->addr, 16);
		*fd = m->mgmt6;
		*key = k;
		return 0;
	}
	return -EAFNOSUPPORT;
}

int fw_mgmt_add(const struct fw_maps *m, const struct fw_cidr *c,
		const __u16 *ports, size_t nports)
{
	struct mgmt4_key k4 = {};
	struct mgmt6_key k6 = {};
	struct mgmt_val v = {};
	void *key;
	int fd, err;

	if (nports > FW_MGMT_PORTS)
		return -E2BIG;
	err = mgmt_key(c, &k4, &k6, &fd, m, &key);
	if (err)
		return err;
	for (size_t i = 0; i < nports; i++)
		v.ports[i] = ports[i];
	v.nports = nports;
	err = update(fd, key, &v, BPF_ANY);
	return err ? err : have_update(m);
}

int fw_mgmt_del(const struct fw_maps *m, const struct fw_cidr *c)
{
	struct mgmt4_key k4 = {};
	struct mgmt6_key k6 = {};
	void *key;
	int fd, err;

	err = mgmt_key(c, &k4, &k6, &fd, m, &key);
	if (err)
		return err;
	if (bpf_map_delete_elem(fd, key))
		return -errno;
	return have_update(m);
}

/* Sum a per-CPU struct fw_counter value. */
static int percpu_sum(int fd, const void *key, struct fw_counter *ret)
{
	int ncpu = libbpf_num_possible_cpus();
	struct fw_counter *vals;
	int err = 0;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, key, vals)) {
		err = -errno;
		goto out;
	}
	memset(ret, 0, sizeof(*ret));
	for (int i = 0; i < ncpu; i++) {
		ret->packets += vals[i].packets;
		ret->bytes += vals[i].bytes;
	}
out:
	free(vals);
	return err;
}

/* Slots of fw_ifcnt read per batch: bounds the buffer (slots x CPUs). */
#define IF_BATCH 64

/*
 * Call fn for every slot of fw_ifcnt with its counters summed over CPUs.
 * Returns 0, fn's first non-zero return, or -errno.
 */
static int ifcnt_walk(const struct fw_maps *m,
		      int (*fn)(void *ctx, __u32 slot,
				const struct fw_if_val *v),
		      void *ctx)
{
	int ncpu = libbpf_num_possible_cpus();
	struct fw_if_val *vals = NULL, sum;
	__u32 keys[IF_BATCH], out_batch = 0, n;
	bool first = true, last = false;
	int err = 0;

	if (m->ifcnt < 0)
		return -ENOENT;
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	vals = calloc((size_t)IF_BATCH * ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	while (!last && !err) {
		LIBBPF_OPTS(bpf_map_batch_opts, o);

		n = IF_BATCH;
		if (bpf_map_lookup_batch(m->ifcnt, first ? NULL : &out_batch,
					 &out_batch, keys, vals, &n, &o)) {
			if (errno != ENOENT) {
				err = -errno;
				break;
			}
			last = true; /* n holds the final, partial batch */
		}
		first = false;
		for (__u32 i = 0; i < n && !err; i++) {
			memset(&sum, 0, sizeof(sum));
			for (int c = 0; c < ncpu; c++)
				for (int v = 0; v < FW_IFV__MAX; v++) {
					const struct fw_counter *x =
						&vals[(size_t)i * ncpu + c]
							 .v[v];

					sum.v[v].packets += x->packets;
					sum.v[v].bytes += x->bytes;
				}
			err = fn(ctx, keys[i], &sum);
		}
	}
	free(vals);
	return err;
}

/* Add a counter to another. */
static void counter_add(struct fw_counter *to, const struct fw_counter *c)
{
	to->packets += c->packets;
	to->bytes += c->bytes;
}

static int stats_add_if(void *ctx, __u32 slot, const struct fw_if_val *v)
{
	struct fw_counter *ret = ctx;

	(void)slot;
	counter_add(&ret[FW_ST_PASS], &v->v[FW_IFV_PASS]);
	counter_add(&ret[FW_ST_PASS], &v->v[FW_IFV_DEFAULT_PASS]);
	counter_add(&ret[FW_ST_DEFAULT_PASS], &v->v[FW_IFV_DEFAULT_PASS]);
	counter_add(&ret[FW_ST_DROP], &v->v[FW_IFV_DROP]);
	counter_add(&ret[FW_ST_DROP], &v->v[FW_IFV_DEFAULT_DROP]);
	counter_add(&ret[FW_ST_DEFAULT_DROP], &v->v[FW_IFV_DEFAULT_DROP]);
	counter_add(&ret[FW_ST_TX], &v->v[FW_IFV_TX]);
	/* every frame moved exactly one of them */
	for (int i = 0; i < FW_IFV__MAX; i++)
		counter_add(&ret[FW_ST_RX], &v->v[i]);
	return 0;
}

int fw_stats_read(const struct fw_maps *m, struct fw_counter *ret)
{
	struct fw_counter st[FW_ST__MAX];
	int err;

	for (__u32 i = 0; i < FW_ST__MAX; i++) {
		err = percpu_sum(m->stats, &i, &st[i]);
		if (err)
			return err;
	}
	/* rx, pass, drop, tx and the default counters: what an older program
	 * left in fw_stats, plus the per-interface counters of this one */
	err = ifcnt_walk(m, stats_add_if, st);
	if (err && err != -ENOENT)
		return err;
	memcpy(ret, st, sizeof(st));
	return 0;
}

int fw_stat_read(const struct fw_maps *m, unsigned int idx,
		 struct fw_counter *ret)
{
	struct fw_counter st[FW_ST__MAX];
	__u32 key = idx;
	int err;

	if (idx >= FW_ST__MAX)
		return -EINVAL;
	switch (idx) {
	case FW_ST_RX:
	case FW_ST_PASS:
	case FW_ST_DROP:
	case FW_ST_TX:
	case FW_ST_DEFAULT_PASS:
	case FW_ST_DEFAULT_DROP:
		/* sums over the interfaces too */
		err = fw_stats_read(m, st);
		if (!err)
			*ret = st[idx];
		return err;
	}
	return percpu_sum(m->stats, &key, ret);
}

struct if_collect {
	struct fw_if_count *out;
	size_t max, n;
};

static int if_collect(void *ctx, __u32 slot, const struct fw_if_val *v)
{
	struct if_collect *c = ctx;
	struct fw_if_count *o;
	__u64 any = 0;

	for (int i = 0; i < FW_IFV__MAX; i++)
		any |= v->v[i].packets;
	if (!any)
		return 0;
	if (c->n == c->max)
		return -ENOBUFS;
	o = &c->out[c->n++];
	memset(o, 0, sizeof(*o));
	o->ifindex = slot;
	o->pass = v->v[FW_IFV_PASS];
	counter_add(&o->pass, &v->v[FW_IFV_DEFAULT_PASS]);
	o->drop = v->v[FW_IFV_DROP];
	counter_add(&o->drop, &v->v[FW_IFV_DEFAULT_DROP]);
	o->tx = v->v[FW_IFV_TX];
	o->default_pass = v->v[FW_IFV_DEFAULT_PASS];
	o->default_drop = v->v[FW_IFV_DEFAULT_DROP];
	return 0;
}

int fw_if_counters_read(const struct fw_maps *m, struct fw_if_count *out,
			size_t max, size_t *ret_n)
{
	struct if_collect c = {.out = out, .max = max};
	int err = ifcnt_walk(m, if_collect, &c);

	if (err)
		return err;
	*ret_n = c.n;
	return 0;
}

int fw_rule_counter(const struct fw_maps *m, __u32 rule_id,
		    struct fw_counter *ret)
{
	return percpu_sum(m->rcnt, &rule_id, ret);
}

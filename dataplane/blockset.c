// SPDX-License-Identifier: GPL-2.0-only
/* Block sets: source prefixes dropped before the rules, with optional expiry. */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>

#include "fw.h"

#define BATCH 8192

static __u64 boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void mask_words(__u32 *out, const __u32 *addr, unsigned int plen,
		       int words)
{
	__u32 m[4];

	fw_prefix_mask(m, plen);
	for (int i = 0; i < words; i++)
		out[i] = addr[i] & m[i];
}

static int check(const struct fw_cidr *c)
{
	if (c->family == 4)
		return c->plen <= 32 ? 0 : -EINVAL;
	if (c->family == 6)
		return c->plen <= 128 ? 0 : -EINVAL;
	return -EAFNOSUPPORT;
}

static int plens_set(const struct fw_maps *m, const struct bs_plens *add)
{
	struct bs_plens pl;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(m->bsplen, &zero, &pl))
		return -errno;
	if ((pl.v4 | add->v4) == pl.v4 && (pl.v6[0] | add->v6[0]) == pl.v6[0] &&
	    (pl.v6[1] | add->v6[1]) == pl.v6[1] &&
	    (pl.v6[2] | add->v6[2]) == pl.v6[2])
		return 0;
	pl.v4 |= add->v4;
	for (int i = 0; i < 3; i++)
		pl.v6[i] |= add->v6[i];
	return bpf_map_update_elem(m->bsplen, &zero, &pl, BPF_ANY) ? -errno : 0;
}

struct batch {
	struct bs4_key k4[BATCH];
	struct bs_val v4[BATCH];
	struct bs6_key k6[BATCH];
	struct bs_val v6[BATCH];
	__u32 n4, n6;
};

static int flush(const struct fw_maps *m, struct batch *b)
{
	__u32 cnt;

	if (b->n4) {
		cnt = b->n4;
		if (bpf_map_update_batch(m->bs4, b->k4, b->v4, &cnt, NULL))
			return -errno;
	}
	if (b->n6) {
		cnt = b->n6;
		if (bpf_map_update_batch(m->bs6, b->k6, b->v6, &cnt, NULL))
			return -errno;
	}
	b->n4 = b->n6 = 0;
	return 0;
}

/* The kernel key of an entry: fd and key of its family's map. */
static void entry_key(const struct fw_maps *m, const struct fw_cidr *c,
		      struct bs4_key *k4, struct bs6_key *k6, int *ret_fd,
		      void **ret_key)
{
	if (c->family == 4) {
		memset(k4, 0, sizeof(*k4));
		k4->plen = c->plen;
		mask_words(&k4->addr, c->addr, k4->plen, 1);
		*ret_fd = m->bs4;
		*ret_key = k4;
	} else {
		memset(k6, 0, sizeof(*k6));
		k6->plen = c->plen;
		mask_words(k6->addr, c->addr, k6->plen, 4);
		*ret_fd = m->bs6;
		*ret_key = k6;
	}
}

/* What each entry replaced, to put back exactly on failure. */
struct prior {
	struct bs_val v;
	bool existed;
};

/*
 * All or nothing: the values the entries replace are read first; when any
 * write fails (a full map, say), every entry is put back as it was (old
 * value restored, new key removed), however far the batches got.
 */
int bs_add(const struct fw_maps *m, const struct bs_entry *e, size_t n)
{
	struct bs_plens add = {};
	struct prior *prior;
	struct batch *b;
	__u64 now = boottime_ns();
	int err = 0;

	for (size_t i = 0; i < n; i++) {
		err = check(&e[i].cidr);
		if (err)
			return err;
		if (e[i].flags & ~FW_RF_DRYRUN)
			return -EINVAL;
		if (e[i].cidr.family == 4)
			add.v4 |= 1ULL << e[i].cidr.plen;
		else
			add.v6[e[i].cidr.plen / 64] |= 1ULL
						       << (e[i].cidr.plen % 64);
	}
	b = calloc(1, sizeof(*b));
	prior = calloc(n ? n : 1, sizeof(*prior));
	if (!b || !prior) {
		free(b);
		free(prior);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct bs4_key k4;
		struct bs6_key k6;
		void *key;
		int fd;

		entry_key(m, &e[i].cidr, &k4, &k6, &fd, &key);
		prior[i].existed =
			bpf_map_lookup_elem(fd, key, &prior[i].v) == 0;
	}
	for (size_t i = 0; i < n; i++) {
		struct bs_val v = {
			.expires_ns = e[i].ttl_ns ? now + e[i].ttl_ns : 0,
			.source = e[i].source,
			.flags = e[i].flags,
		};

		if (e[i].cidr.family == 4) {
			struct bs4_key *k = &b->k4[b->n4];

			k->plen = e[i].cidr.plen;
			mask_words(&k->addr, e[i].cidr.addr, k->plen, 1);
			b->v4[b->n4++] = v;
		} else {
			struct bs6_key *k = &b->k6[b->n6];

			k->plen = e[i].cidr.plen;
			mask_words(k->addr, e[i].cidr.addr, k->plen, 4);
			b->v6[b->n6++] = v;
		}
		if (b->n4 == BATCH || b->n6 == BATCH) {
			err = flush(m, b);
			if (err)
				goto undo;
		}
	}
	err = flush(m, b);
	if (err)
		goto undo;
	/* entries first, then the bitmap: a probe never misses a present length */
	err = plens_set(m, &add);
	if (err)
		goto undo;
	free(b);
	free(prior);
	return 0;
undo:
	for (size_t i = 0; i < n; i++) {
		struct bs4_key k4;
		struct bs6_key k6;
		void *key;
		int fd;

		entry_key(m, &e[i].cidr, &k4, &k6, &fd, &key);
		if (prior[i].existed)
			bpf_map_update_elem(fd, key, &prior[i].v, BPF_ANY);
		else
			bpf_map_delete_elem(fd, key);
	}
	free(b);
	free(prior);
	return err;
}

int bs_del(const struct fw_maps *m, const struct fw_cidr *c)
{
	int err = check(c);

	if (err)
		return err;
	if (c->family == 4) {
		struct bs4_key k = {.plen = c->plen};

		mask_words(&k.addr, c->addr, c->plen, 1);
		return bpf_map_delete_elem(m->bs4, &k) ? -errno : 0;
	} else {
		struct bs6_key k = {.plen = c->plen};

		mask_words(k.addr, c->addr, c->plen, 4);
		return bpf_map_delete_elem(m->bs6, &k) ? -errno : 0;
	}
}

/*
 * Walk one block-set map: delete expired entries, note present prefix
 * lengths in *plens (as bit numbers), count the rest.
 */
static int sweep_map(int fd, size_t ksize, __u64 now, __u64 *plens,
		     size_t *ret_live, size_t *ret_removed)
{
	char key[sizeof(struct bs6_key)], next[sizeof(struct bs6_key)];
	size_t dead_n = 0, dead_cap = 0;
	char *dead = NULL;
	struct bs_val v;
	int more, err = 0;

	more = !bpf_map_get_next_key(fd, NULL, next);
	while (more) {
		memcpy(key, next, ksize);
		more = !bpf_map_get_next_key(fd, key, next);
		if (bpf_map_lookup_elem(fd, key, &v))
			continue;
		if (v.expires_ns && v.expires_ns <= now) {
			if (dead_n == dead_cap) {
				char *d = realloc(
					dead, (dead_cap ? dead_cap * 2 : 1024) *
						      ksize);

				if (!d) {
					err = -ENOMEM;
					break;
				}
				dead = d;
				dead_cap = dead_cap ? dead_cap * 2 : 1024;
			}
			memcpy(dead + dead_n * ksize, key, ksize);
			dead_n++;
			continue;
		}
		__u32 plen = *(__u32 *)key;

		plens[plen / 64] |= 1ULL << (plen % 64);
		(*ret_live)++;
	}
	for (size_t i = 0; i < dead_n; i++)
		if (!bpf_map_delete_elem(fd, dead + i * ksize))
			(*ret_removed)++;
	free(dead);
	return err;
}

int bs_sweep(const struct fw_maps *m, size_t *ret_removed)
{
	__u64 now = boottime_ns(), v4[3] = {}, v6[3] = {};
	size_t live = 0, removed = 0;
	struct bs_plens pl;
	__u32 zero = 0;
	int err;

	err = sweep_map(m->bs4, sizeof(struct bs4_key), now, v4, &live,
			&removed);
	if (!err)
		err = sweep_map(m->bs6, sizeof(struct bs6_key), now, v6, &live,
				&removed);
	if (err)
		return err;
	/* Lengths are cleared only here; callers serialize bs_add and bs_sweep. */
	if (bpf_map_lookup_elem(m->bsplen, &zero, &pl))
		return -errno;
	pl.v4 = v4[0];
	memcpy(pl.v6, v6, sizeof(pl.v6));
	if (bpf_map_update_elem(m->bsplen, &zero, &pl, BPF_ANY))
		return -errno;
	if (ret_removed)
		*ret_removed = removed;
	return 0;
}

static size_t count_map(int fd, size_t ksize)
{
	char key[sizeof(struct bs6_key)], next[sizeof(struct bs6_key)];
	size_t n = 0;
	int more;

	more = !bpf_map_get_next_key(fd, NULL, next);
	while (more) {
		memcpy(key, next, ksize);
		more = !bpf_map_get_next_key(fd, key, next);
		n++;
	}
	return n;
}

int bs_count(const struct fw_maps *m, size_t *ret4, size_t *ret6)
{
	*ret4 = count_map(m->bs4, sizeof(struct bs4_key));
	*ret6 = count_map(m->bs6, sizeof(struct bs6_key));
	return 0;
}

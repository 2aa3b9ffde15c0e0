// SPDX-License-Identifier: GPL-2.0-only
/* Loads the firewall object, pins its maps, attaches it to interfaces. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/if_link.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fw.h"
#include "fw.skel.h"

static int pin_path(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int mkdir_p(const char *dir)
{
	char tmp[PATH_MAX];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, dir, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/* Per-CPU scratch space of the program: never pinned. */
static bool scratch_map(const struct bpf_map *map)
{
	const char *name = bpf_map__name(map);

	return !strcmp(name, "fw_fscr") || !strcmp(name, "fw_rjbuf");
}

static void inner_init(struct fw_maps *m)
{
	for (int g = 0; g < FW_GENS; g++) {
		for (int k = 0; k < FW_IN__MAX; k++)
			m->inner[g][k] = (struct fw_inner){.fd = -1};
		m->img[g] = NULL;
	}
	m->cnt_ids = NULL;
	m->ncnt_ids = 0;
	m->cnt_known = false;
	m->pfbuf = NULL;
}

void fw_maps_cache_free(struct fw_maps *m)
{
	for (int g = 0; g < FW_GENS; g++) {
		for (int k = 0; k < FW_IN__MAX; k++)
			if (m->inner[g][k].fd >= 0)
				close(m->inner[g][k].fd);
		fw_image_free(m->img[g]);
	}
	free(m->cnt_ids);
	free(m->pfbuf);
	inner_init(m);
}

/* Pins of maps that older loaders made and this one no longer uses. */
static void retire_pins(const char *pin_dir)
{
	static const char *const retired[] = {"fw_sync", "fw_synci"};
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(retired) / sizeof(retired[0]); i++)
		if (!pin_path(path, sizeof(path), pin_dir, retired[i]))
			unlink(path);
}

static void maps_from_skel(struct fw_bpf *skel, struct fw_maps *m)
{
	inner_init(m);
	m->active = bpf_map__fd(skel->maps.fw_active);
	m->gen = bpf_map__fd(skel->maps.fw_gen);
	m->tup4 = bpf_map__fd(skel->maps.fw_tup4);
	m->tup6 = bpf_map__fd(skel->maps.fw_tup6);
	m->rules4 = bpf_map__fd(skel->maps.fw_rules4);
	m->rules6 = bpf_map__fd(skel->maps.fw_rules6);
	m->chain = bpf_map__fd(skel->maps.fw_chain);
	m->rcnt = bpf_map__fd(skel->maps.fw_rcnt);
	m->stats = bpf_map__fd(skel->maps.fw_stats);
	m->set = bpf_map__fd(skel->maps.fw_set);
	m->ifset = bpf_map__fd(skel->maps.fw_ifset);
	m->mgmt4 = bpf_map__fd(skel->maps.fw_mgmt4);
	m->mgmt6 = bpf_map__fd(skel->maps.fw_mgmt6);
	m->bs4 = bpf_map__fd(skel->maps.fw_bs4);
	m->bs6 = bpf_map__fd(skel->maps.fw_bs6);
	m->bsplen = bpf_map__fd(skel->maps.fw_bsplen);
	m->rjrl = bpf_map__fd(skel->maps.fw_rjrl);
	m->events = bpf_map__fd(skel->maps.fw_events);
	m->pf = bpf_map__fd(skel->maps.fw_pf);
	m->ifcnt = bpf_map__fd(skel->maps.fw_ifcnt);
	m->prog = bpf_program__fd(skel->progs.sentinel_fw);
}

int fw_load(const char *pin_dir, struct fw_bpf **ret_skel,
	    struct fw_maps *ret_maps)
{
	struct fw_settings defaults = {
		.default_policy = FW_POLICY_PASS,
		.malformed_policy = FW_POLICY_DROP,
		.reject_pps = FW_REJECT_PPS,
		.reject_burst = FW_REJECT_BURST,
	};
	struct fw_bpf *skel;
	struct bpf_map *map;
	char path[PATH_MAX];
	bool fresh = true;
	__u32 zero = 0;
	int err;

	skel = fw_bpf__open();
	if (!skel)
		return -errno;
	if (pin_dir) {
		err = mkdir_p(pin_dir);
		if (err)
			goto fail;
		bpf_object__for_each_map (map, skel->obj) {
			/* .rodata is frozen and owned by the program; the
			 * scratch maps hold nothing between frames, and a
			 * pin would tie their layout to an older program */
			if (bpf_map__is_internal(map) || scratch_map(map))
				continue;
			err = pin_path(path, sizeof(path), pin_dir,
				       bpf_map__name(map));
			if (err)
				goto fail;
			err = bpf_map__set_pin_path(map, path);
			if (err)
				goto fail;
			if (!strcmp(bpf_map__name(map), "fw_set") &&
			    access(path, F_OK) == 0)
				fresh = false; /* adopt the running settings */
		}
	}
	err = fw_bpf__load(skel);
	if (err)
		goto fail;
	if (pin_dir) {
		err = pin_path(path, sizeof(path), pin_dir, "prog");
		if (err)
			goto fail;
		unlink(path);
		err = bpf_program__pin(skel->progs.sentinel_fw, path);
		if (err)
			goto fail;
	}
	maps_from_skel(skel, ret_maps);
	if (pin_dir)
		retire_pins(pin_dir);
	if (fresh &&
	    bpf_map_update_elem(ret_maps->set, &zero, &defaults, BPF_ANY)) {
		err = -errno;
		goto fail;
	}
	*ret_skel = skel;
	return 0;
fail:
	fw_bpf__destroy(skel);
	return err < 0 ? err : -EINVAL;
}

void fw_unload(struct fw_bpf *skel)
{
	fw_bpf__destroy(skel);
}

static int xdp_link_create(int prog_fd, int ifindex, __u32 flags)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = flags);
	int fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);

	return fd < 0 ? -errno : fd;
}

int fw_link_pin_path(const char *pin_dir, const char *ifname, char *buf,
		     size_t len)
{
	char name[sizeof(FW_LINK_PREFIX) + IF_NAMESIZE];
	size_t n = strlen(ifname);

	if (n == 0 || n >= IF_NAMESIZE)
		return -EINVAL;
	memcpy(name, FW_LINK_PREFIX, sizeof(FW_LINK_PREFIX) - 1);
	for (size_t i = 0; i <= n; i++)
		name[sizeof(FW_LINK_PREFIX) - 1 + i] =
			ifname[i] == '.' ? ':' : ifname[i];
	return pin_path(buf, len, pin_dir, name);
}

int fw_link_pin_ifname(const char *file, char *buf, size_t len)
{
	size_t plen = sizeof(FW_LINK_PREFIX) - 1, n;

	if (strncmp(file, FW_LINK_PREFIX, plen))
		return -EINVAL;
	file += plen;
	n = strlen(file);
	if (n == 0 || n >= IF_NAMESIZE || n >= len)
		return -EINVAL;
	for (size_t i = 0; i <= n; i++)
		buf[i] = file[i] == ':' ? '.' : file[i];
	return 0;
}

int fw_attach_ifindex(const struct fw_maps *m, const char *pin_dir,
		      unsigned int ifindex, const char *ifname,
		      const char *mode, const char **ret_mode)
{
	const char *used = "native";
	char path[PATH_MAX];
	int fd, err;

	if (!ifindex || ifindex > INT_MAX)
		return -ENODEV;
	err = fw_link_pin_path(pin_dir, ifname, path, sizeof(path));
	if (err)
		return err;
	if (access(path, F_OK) == 0)
		return -EEXIST;

	if (mode && !strcmp(mode, "generic")) {
		used = "generic";
		fd = xdp_link_create(m->prog, ifindex, XDP_FLAGS_SKB_MODE);
	} else if (mode && strcmp(mode, "native")) {
		return -EINVAL;
	} else {
		fd = xdp_link_create(m->prog, ifindex, XDP_FLAGS_DRV_MODE);
		/* EBUSY/EEXIST: another program holds the device, generic
		 * mode would be refused too and hide why */
		if (fd < 0 && !mode && fd != -EBUSY && fd != -EEXIST) {
			used = "generic";
			fd = xdp_link_create(m->prog, ifindex,
					     XDP_FLAGS_SKB_MODE);
		}
	}
	if (fd < 0)
		return fd;
	/* on failure the link dies with its only fd: nothing stays attached */
	err = bpf_obj_pin(fd, path);
	err = err ? -errno : 0;
	close(fd);
	if (!err && ret_mode)
		*ret_mode = used;
	return err;
}

int fw_attach(const struct fw_maps *m, const char *pin_dir, const char *ifname,
	      const char *mode, const char **ret_mode)
{
	unsigned int ifindex = if_nametoindex(ifname);

	if (!ifindex)
		return -ENODEV;
	return fw_attach_ifindex(m, pin_dir, ifindex, ifname, mode, ret_mode);
}

int fw_detach(const char *pin_dir, const char *ifname)
{
	char path[PATH_MAX];
	int fd, err;

	err = fw_link_pin_path(pin_dir, ifname, path, sizeof(path));
	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	/* detach now, even if someone else still holds the link open */
	err = bpf_link_detach(fd) ? -errno : 0;
	close(fd);
	if (unlink(path))
		return -errno;
	return err == -EINVAL ? 0 : err; /* already gone with its device */
}

struct pinned_map {
	const char *name;
	size_t off;
	bool optional; /* absent from pins of an older loader */
};

#define PM(n, f)                                      \
	{                                             \
		n, offsetof(struct fw_maps, f), false \
	}
#define PM_OPT(n, f)                                 \
	{                                            \
		n, offsetof(struct fw_maps, f), true \
	}
static const struct pinned_map pinned_maps[] = {
	PM("fw_active", active), PM("fw_gen", gen),
	PM("fw_tup4", tup4),	 PM("fw_tup6", tup6),
	PM("fw_rules4", rules4), PM("fw_rules6", rules6),
	PM("fw_chain", chain),	 PM("fw_rcnt", rcnt),
	PM("fw_stats", stats),	 PM("fw_set", set),
	PM("fw_ifset", ifset),	 PM("fw_mgmt4", mgmt4),
	PM("fw_mgmt6", mgmt6),	 PM("fw_bs4", bs4),
	PM("fw_bs6", bs6),	 PM("fw_bsplen", bsplen),
	PM("fw_rjrl", rjrl),	 PM("fw_events", events),
	PM_OPT("fw_pf", pf),	 PM_OPT("fw_ifcnt", ifcnt),
	PM("prog", prog),
};

void fw_maps_close(struct fw_maps *m)
{
	fw_maps_cache_free(m);
	for (size_t i = 0; i < sizeof(pinned_maps) / sizeof(pinned_maps[0]);
	     i++) {
		int *fd = (int *)((char *)m + pinned_maps[i].off);

		if (*fd >= 0)
			close(*fd);
		*fd = -1;
	}
}

int fw_maps_open_pinned(const char *pin_dir, struct fw_maps *ret)
{
	char path[PATH_MAX];
	int err;

	inner_init(ret);
	for (size_t i = 0; i < sizeof(pinned_maps) / sizeof(pinned_maps[0]);
	     i++)
		*(int *)((char *)ret + pinned_maps[i].off) = -1;
	for (size_t i = 0; i < sizeof(pinned_maps) / sizeof(pinned_maps[0]);
	     i++) {
		int *fd = (int *)((char *)ret + pinned_maps[i].off);

		err = pin_path(path, sizeof(path), pin_dir,
			       pinned_maps[i].name);
		if (err)
			goto fail;
		*fd = bpf_obj_get(path);
		if (*fd < 0) {
			err = -errno;
			*fd = -1;
			if (err == -ENOENT && pinned_maps[i].optional)
				continue;
			goto fail;
		}
	}
	return 0;
fail:
	fw_maps_close(ret);
	return err;
}

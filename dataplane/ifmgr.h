/* SPDX-License-Identifier: GPL-2.0-only */
/* Interface manager: keeps the firewall attached to the wanted interfaces. */
#ifndef SENTINEL_DP_IFMGR_H
#define SENTINEL_DP_IFMGR_H

#include <net/if.h>
#include <stddef.h>

struct fw_maps;
struct ifmgr;

/*
 * Which interfaces carry the firewall is a list of patterns: plain names or
 * fnmatch(3) globs ("eth*", "ens[0-9]"), and exclusions written "!glob".  An
 * interface is wanted iff it matches an inclusion and no exclusion.
 *
 * The state lives in bpffs, not in this process: one XDP bpf_link per
 * interface, pinned as pin_dir/link_<ifname> (see fw_link_pin_path()).  The
 * process may die at any time; the pinned links keep the firewall attached
 * and the next ifmgr adopts them.  The in-memory table is only a cache that
 * ifmgr_sync() rebuilds from the pins and the kernel.  One pin_dir serves
 * one network namespace.
 *
 * Events come from an rtnetlink socket (RTMGRP_LINK) in the network
 * namespace of the calling thread.  They are hints: every action is decided
 * on the kernel's current answer for that ifindex, so stale or reordered
 * messages, a lost burst (ENOBUFS: full resync) or a rename race converge
 * to the same state.
 *
 * Window: a new interface runs without the firewall from its creation until
 * ifmgr_process() handles its RTM_NEWLINK.  An interface created down (the
 * usual `ip link add`) gets its link before it carries traffic if the
 * daemon is scheduled before whoever brings it up; `ip link add ... up` or
 * a driver that comes up by itself leaves a window of one event-loop turn
 * (0.2 ms from `ip link add` returning to the link pinned, measured on an
 * idle veth; longer when the loop is busy or events pile up).  No XDP change produces a netlink
 * event, so a link detached from outside (bpftool link detach) or a foreign
 * program removed later is seen by the next ifmgr_sync(): call it
 * periodically.
 *
 * A pin removed from outside: the kernel releases its link (and so the
 * program) from a workqueue, later than unlink(2) returns, by tens of
 * milliseconds when the CPUs are busy.  Meanwhile the device still runs
 * our program under no pin of ours; ifmgr recognises its own program
 * (never reported as foreign), waits for the release (at most 500 ms per
 * ifmgr_sync() or ifmgr_process() call) and attaches a new link.
 */

#define IFMGR_MAX_IFACES   4096 /* default bound of the table */
#define IFMGR_MAX_PATTERNS 256
#define IFMGR_PATTERN_MAX  128 /* bytes of one pattern, '!' included */

enum ifmgr_mode {
	IFMGR_MODE_NONE = 0,
	IFMGR_MODE_NATIVE = 1,	/* XDP_ATTACHED_DRV */
	IFMGR_MODE_GENERIC = 2, /* XDP_ATTACHED_SKB */
};

/* One wanted interface as ifmgr_list() reports it. */
struct ifmgr_att {
	char name[IF_NAMESIZE];
	unsigned int ifindex;
	unsigned int link_id; /* our link; 0 when not attached */
	unsigned int prog_id; /* program running there (a foreign one too) */
	int mode;	      /* enum ifmgr_mode in use, from the kernel */
	int err;	      /* 0 attached; -EBUSY foreign program (left
			       * alone); -EAGAIN our program, by a link
			       * not pinned here (left alone, retried);
			       * other -errno: the attach failed */
};

/* Counters since ifmgr_new().  Cumulative, never reset. */
struct ifmgr_stats {
	unsigned long long attaches;  /* links created and pinned */
	unsigned long long detaches;  /* links detached and unpinned */
	unsigned long long adoptions; /* pins found valid and taken over */
	unsigned long long updates;   /* links moved to another program */
	unsigned long long renames;   /* pins renamed with their interface */
	unsigned long long failures;  /* failed attach/update/detach calls */
	unsigned long long foreign;   /* interfaces found with a foreign
				       * program (once per finding) */
	unsigned long long orphans;   /* interfaces found running our
				       * program without a pin of ours
				       * (once per finding) */
	unsigned long long refused;   /* attaches not tried: table full
				       * (per event or sync, not per
				       * interface) */
	unsigned long long resyncs;   /* full syncs, asked for or forced */
	unsigned long long overruns;  /* netlink ENOBUFS (lost events) */
	unsigned long long events;    /* link messages read */
};

/*
 * Callbacks and limits; every member is optional (NULL/0 = default).
 * log: messages at syslog levels LOG_ERR..LOG_DEBUG; msg is only valid
 * during the call.  on_change: the set of tracked interfaces or the state
 * of one changed; called once at the end of the ifmgr_sync(),
 * ifmgr_process() or ifmgr_set_prog() call that changed it, never from
 * ifmgr_new()/ifmgr_free().  The callbacks must not call into this ifmgr
 * except for ifmgr_list()/ifmgr_stats().
 */
struct ifmgr_ops {
	void (*log)(void *ctx, int level, const char *msg);
	void (*on_change)(void *ctx);
	unsigned int max_ifaces; /* 0: IFMGR_MAX_IFACES */
	int rcvbuf;		 /* netlink receive buffer, bytes; 0: 4 MiB */
};

/*
 * Create a manager; it opens its netlink sockets (subscribed before the
 * first dump, so nothing falls between) but changes nothing: call
 * ifmgr_sync() next.  m is borrowed: only m->prog is used, and that fd must
 * stay open until ifmgr_set_prog() or ifmgr_free().  mode is "native",
 * "generic" or NULL (native, falling back to generic where the driver has
 * no XDP).  patterns, pin_dir and mode are copied.  On error returns
 * -EINVAL (bad pattern or mode, with err naming it), -ENOENT (pin_dir),
 * -ENOMEM or a socket error; *ret is untouched.
 */
int ifmgr_new(const struct fw_maps *m, const char *pin_dir,
	      const char *const *patterns, size_t npatterns, const char *mode,
	      const struct ifmgr_ops *ops, void *ctx, struct ifmgr **ret,
	      char *err, size_t errlen);

/* Leaves every link pinned: the firewall stays attached.  NULL is fine. */
void ifmgr_free(struct ifmgr *im);

/* The event socket: poll it for POLLIN, then call ifmgr_process(). */
int ifmgr_fd(const struct ifmgr *im);

/*
 * Full reconciliation from a link dump and the pins: adopt valid pins
 * (moving them to the current program with bpf_link_update(), atomically),
 * detach and unpin defunct or unwanted ones, attach wanted interfaces that
 * have none, report foreign programs.  Returns the number of changes, or
 * -errno if the kernel could not be asked (per-interface failures are
 * counted, logged and listed, not returned).
 */
int ifmgr_sync(struct ifmgr *im);

/*
 * Read every pending link event without blocking and act on it; after an
 * overrun, a full ifmgr_sync().  Returns the number of changes or -errno.
 */
int ifmgr_process(struct ifmgr *im);

/*
 * Copy up to max entries, sorted by name, into out (may be NULL with max
 * 0); returns how many there are.  Lists every wanted interface tracked:
 * attached, foreign or failed.
 */
size_t ifmgr_list(const struct ifmgr *im, struct ifmgr_att *out, size_t max);

void ifmgr_stats(const struct ifmgr *im, struct ifmgr_stats *ret);

/*
 * Move every link to prog_fd (borrowed, as m->prog in ifmgr_new()) with
 * bpf_link_update(): no moment without a program.  Later attaches use it.
 * Returns the number of links moved, or the first -errno (the others are
 * still moved).
 */
int ifmgr_set_prog(struct ifmgr *im, int prog_fd);

/*
 * Uninstall: detach and unpin every link pin in pin_dir, whoever made it
 * and whichever namespace its device is in.  Returns the number removed or
 * the first -errno (the others are still removed).
 */
int ifmgr_detach_all(const char *pin_dir);

#endif

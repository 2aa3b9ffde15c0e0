/* SPDX-License-Identifier: GPL-2.0-only */
/* sentinel-dp's state: what it loaded, what it was asked for, how to reply. */
#ifndef SENTINEL_DP_H
#define SENTINEL_DP_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "dp_cmd.h"
#include "fw.h"

struct ifmgr;
struct dp_events;
struct fb_builder;

struct dp {
	const char *pin_dir;  /* borrowed from argv */
	struct fw_bpf *skel;  /* owned */
	struct fw_maps maps;  /* fds owned by skel */
	struct ifmgr *im;     /* owned */
	struct dp_events *ev; /* owned */
	bool adopted;	      /* pinned state existed at start */
	uint64_t start_ns;    /* CLOCK_MONOTONIC */
	/* Desired state that names interfaces, re-resolved when links change. */
	struct dp_rule *rules; /* owned: the last applied set */
	size_t nrules;
	bool rules_known; /* false after an adopting start, until replaced */
	bool rules_named; /* some rule names an interface */
	/* block-set sizes for status, recounted at most every 10 s */
	size_t bs_n4, bs_n6;
	uint64_t bs_counted_ns;
	struct dp_ifset ifpol[DP_MAX_IFSET];
	size_t nifpol;
};

/*
 * Carry out a decoded command and build its reply into b.  Validation that
 * needs the firewall (compiling a rule set) happens before any change; a
 * failed command leaves the kernel state as it was.  Takes ownership of
 * arrays it keeps (c->rules), clearing them in c.  Returns 0 when a reply
 * was built (success or a reported error), -errno if even that failed.
 */
int dp_exec(struct dp *dp, struct dp_cmd *c, struct fb_builder *b);

/* Interfaces came or went: re-resolve rule and policy interface names. */
void dp_links_changed(void *ctx);

#endif

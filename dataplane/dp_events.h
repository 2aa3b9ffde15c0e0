/* SPDX-License-Identifier: GPL-2.0-only */
/* sentinel-dp's event pump: ring buffer → FlatBuffers batches → nng. */
#ifndef SENTINEL_DP_EVENTS_H
#define SENTINEL_DP_EVENTS_H

#include <stdint.h>

#include <nng/nng.h>

#include "fw.h"

/* Events per batch (one message), and how long a partial batch may wait. */
#define DP_EV_BATCH_MAX	 1024
#define DP_EV_LATENCY_MS 1

struct dp_events;

/* Running totals since start (ring_* read from the kernel's counters). */
struct dp_ev_stats {
	uint64_t read;	       /* records read from the ring buffer */
	uint64_t sent;	       /* events in batches the channel accepted */
	uint64_t batches;      /* batches the channel accepted */
	uint64_t ring_skipped; /* kernel: ring over 75% full */
	uint64_t ring_failed;  /* kernel: reservation failed */
	uint64_t send_dropped; /* read but dropped: channel full or no peer */
	uint64_t bad_records;  /* records of the wrong size (never expected) */
};

/*
 * Start a thread that drains the firewall's ring buffer into batches sent
 * on sock (a push socket; a full channel drops and counts the batch, the
 * ring is never left to overflow).  m is borrowed and must outlive the pump.
 */
/* While *hold (optional) is non-zero, batches are dropped (counted), not
 * sent: a refused peer is connected to sock and push0 would feed it. */
int dp_events_start(const struct fw_maps *m, nng_socket sock,
		    const _Atomic unsigned int *hold, struct dp_events **ret);
void dp_events_stats(struct dp_events *ev, struct dp_ev_stats *ret);
/* Stop the thread, flush nothing more, free.  Accepts NULL. */
void dp_events_stop(struct dp_events *ev);

#endif

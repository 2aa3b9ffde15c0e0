// SPDX-License-Identifier: GPL-2.0-only
/* Drains the firewall ring buffer into FlatBuffers event batches on nng. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include <syslog.h>
#include <time.h>

#include <bpf/libbpf.h>

#include "dp_events.h"
#include "events_fb.h"
#include "fb.h"
#include "log.h"
#include "nng_errno.h"

_Static_assert(sizeof(struct sentinel_FwEvent) == 64, "FwEvent layout");

struct dp_events {
	const struct fw_maps *m;
	nng_socket sock;
	const _Atomic unsigned int *hold;
	struct ring_buffer *rb;
	pthread_t thread;
	atomic_bool stop;
	struct fb_builder b;
	size_t n;
	uint64_t seq;
	uint64_t instance; /* random, non-zero: names this process's stream */
	uint64_t last_kstats_ns;
	/* written by the pump thread, read by anyone */
	_Atomic uint64_t read, sent, batches, ring_skipped, ring_failed,
		send_dropped, bad_records, poll_errors;
	struct sentinel_FwEvent batch[DP_EV_BATCH_MAX];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* The kernel's loss counters, refreshed at most every 50 ms. */
static void kstats_refresh(struct dp_events *ev, bool force)
{
	struct fw_counter skipped, failed;
	uint64_t now = now_ns();

	if (!force && now - ev->last_kstats_ns < 50000000ull)
		return;
	ev->last_kstats_ns = now;
	/* the two loss counters only: not a walk of every interface's */
	if (fw_stat_read(ev->m, FW_ST_EV_SKIPPED, &skipped) ||
	    fw_stat_read(ev->m, FW_ST_EV_FAILED, &failed))
		return;
	atomic_store(&ev->ring_skipped, skipped.packets);
	atomic_store(&ev->ring_failed, failed.packets);
}

static void flush(struct dp_events *ev)
{
	uint32_t vec, root;
	const void *data;
	size_t len;
	nng_msg *msg;
	int rv;

	if (!ev->n)
		return;
	if (ev->hold && atomic_load(ev->hold)) {
		static int limit;

		log_limited(
			&limit, LOG_WARNING,
			"events: a refused peer is connected to the events socket: batches dropped until it goes");
		atomic_fetch_add(&ev->send_dropped, ev->n);
		ev->n = 0;
		return;
	}
	kstats_refresh(ev, false);
	fb_builder_reset(&ev->b);
	vec = fb_create_vector(&ev->b, ev->batch, ev->n, sizeof(ev->batch[0]),
			       8);
	sentinel_EventBatch_start(&ev->b);
	sentinel_EventBatch_add_seq(&ev->b, ev->seq);
	sentinel_EventBatch_add_fw(&ev->b, vec);
	sentinel_EventBatch_add_ring_skipped(&ev->b,
					     atomic_load(&ev->ring_skipped));
	sentinel_EventBatch_add_ring_failed(&ev->b,
					    atomic_load(&ev->ring_failed));
	sentinel_EventBatch_add_send_dropped(&ev->b,
					     atomic_load(&ev->send_dropped));
	sentinel_EventBatch_add_instance(&ev->b, ev->instance);
	root = sentinel_EventBatch_end(&ev->b);
	if (sentinel_EventBatch_finish(&ev->b, root) ||
	    !(data = fb_builder_data(&ev->b, &len)) ||
	    nng_msg_alloc(&msg, len)) {
		atomic_fetch_add(&ev->send_dropped, ev->n);
		ev->n = 0;
		return;
	}
	memcpy(nng_msg_body(msg), data, len);
	rv = nng_sendmsg(ev->sock, msg, NNG_FLAG_NONBLOCK);
	if (rv) {
		nng_msg_free(msg);
		atomic_fetch_add(&ev->send_dropped, ev->n);
	} else {
		ev->seq++;
		atomic_fetch_add(&ev->sent, ev->n);
		atomic_fetch_add(&ev->batches, 1);
	}
	ev->n = 0;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct dp_events *ev = ctx;
	const struct fw_event *e = data;
	struct sentinel_FwEvent *o;

	if (size < sizeof(*e)) {
		atomic_fetch_add(&ev->bad_records, 1);
		return 0;
	}
	o = &ev->batch[ev->n++];
	o->ts_ns = e->ts_ns;
	o->ifindex = e->ifindex;
	o->rule_id = e->rule_id;
	o->pkt_len = e->pkt_len;
	o->type = e->type;
	o->action = e->action;
	o->flags = e->flags;
	o->family = e->family;
	o->proto = e->proto;
	o->tcp_flags = e->tcpflags;
	o->vlan = e->vlan;
	o->sport = e->sport;
	o->dport = e->dport;
	memcpy(o->src, e->src, 16);
	memcpy(o->dst, e->dst, 16);
	atomic_fetch_add_explicit(&ev->read, 1, memory_order_relaxed);
	if (ev->n == DP_EV_BATCH_MAX)
		flush(ev);
	return 0;
}

/*
 * Block in epoll while the ring is quiet; once woken, drain it every
 * DP_EV_LATENCY_MS until a round finds it empty.  Batches stay large at
 * high rates and one record costs no more than one wakeup at low rates.
 */
static void *pump(void *arg)
{
	struct dp_events *ev = arg;
	struct timespec pause = {0, DP_EV_LATENCY_MS * 1000000L};

	while (!atomic_load(&ev->stop)) {
		int n = ring_buffer__poll(ev->rb, 100);

		if (n < 0 && n != -EINTR) {
			static int limit;
			struct timespec backoff = {0, 100000000L};

			/* never give up: the next poll may work */
			atomic_fetch_add(&ev->poll_errors, 1);
			log_limited(&limit, LOG_ERR,
				    "event ring buffer: %s; retrying",
				    strerror(-n));
			nanosleep(&backoff, NULL);
			continue;
		}
		flush(ev);
		while (n > 0 && !atomic_load(&ev->stop)) {
			nanosleep(&pause, NULL);
			n = ring_buffer__consume(ev->rb);
			flush(ev);
		}
		kstats_refresh(ev, false);
	}
	return NULL;
}

int dp_events_start(const struct fw_maps *m, nng_socket sock,
		    const _Atomic unsigned int *hold, struct dp_events **ret)
{
	struct dp_events *ev;
	int err;

	ev = calloc(1, sizeof(*ev));
	if (!ev)
		return -ENOMEM;
	ev->m = m;
	ev->sock = sock;
	ev->hold = hold;
	while (!ev->instance)
		if (getrandom(&ev->instance, sizeof(ev->instance), 0) !=
		    sizeof(ev->instance))
			ev->instance = now_ns() ^ ((uint64_t)getpid() << 32);
	fb_builder_init(&ev->b);
	ev->rb = ring_buffer__new(m->events, on_record, ev, NULL);
	if (!ev->rb) {
		err = -errno;
		goto fail;
	}
	kstats_refresh(ev, true);
	err = -pthread_create(&ev->thread, NULL, pump, ev);
	if (err)
		goto fail;
	*ret = ev;
	return 0;
fail:
	ring_buffer__free(ev->rb);
	fb_builder_free(&ev->b);
	free(ev);
	return err;
}

void dp_events_stats(struct dp_events *ev, struct dp_ev_stats *ret)
{
	ret->read = atomic_load(&ev->read);
	ret->sent = atomic_load(&ev->sent);
	ret->batches = atomic_load(&ev->batches);
	ret->ring_skipped = atomic_load(&ev->ring_skipped);
	ret->ring_failed = atomic_load(&ev->ring_failed);
	ret->send_dropped = atomic_load(&ev->send_dropped);
	ret->bad_records = atomic_load(&ev->bad_records);
}

void dp_events_stop(struct dp_events *ev)
{
	if (!ev)
		return;
	atomic_store(&ev->stop, true);
	pthread_join(ev->thread, NULL);
	ring_buffer__free(ev->rb);
	fb_builder_free(&ev->b);
	free(ev);
}

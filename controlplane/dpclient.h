/* SPDX-License-Identifier: GPL-2.0-only */
/* Client side of sentinel-dp's channels: commands and the event stream. */
#ifndef SENTINEL_DPCLIENT_H
#define SENTINEL_DPCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control_fb.h"
#include "events_fb.h"
#include "fb.h"

#define DPC_DEFAULT_SOCK_DIR "/run/sentinel"

struct dpc;
struct dpc_sub;

/*
 * Connect to sentinel-dp's control socket in sock_dir.  The connection is
 * made (and remade after a restart of sentinel-dp) in the background;
 * requests wait up to timeout_ms for it.
 */
int dpc_open(const char *sock_dir, int timeout_ms, struct dpc **ret);
void dpc_close(struct dpc *c);
/* How long a request waits for the connection when there is none (default
 * timeout_ms; 0: fail at once with -ENOTCONN, for a caller that must not
 * block while sentinel-dp is away). */
void dpc_set_connect_wait(struct dpc *c, int ms);
/* Is there a connection to sentinel-dp now? */
bool dpc_connected(struct dpc *c);
/* An id for the next request (echoed by the reply). */
uint64_t dpc_next_id(struct dpc *c);

/* A verified reply; buf stays valid until dpc_reply_free. */
struct dpc_reply {
	const struct sentinel_Reply *reply;
	void *msg; /* owned: the (aligned) buffer */
};

/*
 * Send the finished request in b and wait for its reply, which is verified
 * and checked to carry the request's id.  Returns 0 (look at the reply's
 * code for the command's outcome), -ENOTCONN (no connection within the
 * connect wait), -ETIMEDOUT, -EBADMSG (a reply that is not a valid Reply),
 * or another -errno.
 */
int dpc_call(struct dpc *c, const struct fb_builder *b, uint64_t id,
	     struct dpc_reply *ret);
/* Send raw bytes (tests of malformed requests); the reply is verified. */
int dpc_call_raw(struct dpc *c, const void *buf, size_t len,
		 struct dpc_reply *ret);
void dpc_reply_free(struct dpc_reply *r);

/* Subscribe to the event stream (one subscriber at a time: a second one
 * would share the batches). */
int dpc_subscribe(const char *sock_dir, struct dpc_sub **ret);
/* Wait up to timeout_ms (-1 forever) for a batch; it is verified.
 * Returns 0, -ETIMEDOUT, -EBADMSG (counted, skipped by the caller). */
int dpc_sub_recv(struct dpc_sub *s, int timeout_ms,
		 const struct sentinel_EventBatch **ret, void **ret_msg);
void dpc_sub_msg_free(void *msg);
/* A file descriptor that polls readable when a batch is waiting. */
int dpc_sub_fd(struct dpc_sub *s);
void dpc_sub_close(struct dpc_sub *s);

#endif

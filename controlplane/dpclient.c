// SPDX-License-Identifier: GPL-2.0-only
/* Client side of sentinel-dp's channels over nng. */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/pipeline0/pull.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/util/platform.h>

#include "dpclient.h"
#include "nng_errno.h"

#define REPLY_MAX (64u << 20)
#define BATCH_MAX (16u << 20)

struct dpc {
	nng_socket s;
	uint64_t next_id;
	int connect_wait_ms; /* how long a request waits for a connection */
	atomic_int pipes;    /* live connections (nng's pipe callbacks) */
};

static void on_pipe(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	struct dpc *c = arg;

	atomic_fetch_add(&c->pipes, ev == NNG_PIPE_EV_ADD_POST ? 1 : -1);
}

struct dpc_sub {
	nng_socket s;
};

static int url_of(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "ipc://%s/%s", dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int dpc_open(const char *sock_dir, int timeout_ms, struct dpc **ret)
{
	char url[PATH_MAX + 16];
	struct dpc *c;
	int rv, err;

	err = url_of(url, sizeof(url), sock_dir, "ctl.sock");
	if (err)
		return err;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->next_id = 1;
	c->connect_wait_ms = timeout_ms;
	rv = nng_req0_open(&c->s);
	if (!rv)
		rv = nng_pipe_notify(c->s, NNG_PIPE_EV_ADD_POST, on_pipe, c);
	if (!rv)
		rv = nng_pipe_notify(c->s, NNG_PIPE_EV_REM_POST, on_pipe, c);
	if (!rv)
		rv = nng_socket_set_ms(c->s, NNG_OPT_RECVTIMEO, timeout_ms);
	if (!rv)
		rv = nng_socket_set_ms(c->s, NNG_OPT_SENDTIMEO, timeout_ms);
	/* never resend: commands are not all idempotent */
	if (!rv)
		rv = nng_socket_set_ms(c->s, NNG_OPT_REQ_RESENDTIME,
				       NNG_DURATION_INFINITE);
	if (!rv)
		rv = nng_socket_set_size(c->s, NNG_OPT_RECVMAXSZ, REPLY_MAX);
	if (!rv)
		rv = nng_socket_set_ms(c->s, NNG_OPT_RECONNMINT, 50);
	if (!rv)
		rv = nng_socket_set_ms(c->s, NNG_OPT_RECONNMAXT, 1000);
	/* non-blocking dial: sentinel-dp may not be up yet */
	if (!rv)
		rv = nng_dial(c->s, url, NULL, NNG_FLAG_NONBLOCK);
	if (rv) {
		nng_close(c->s);
		free(c);
		return nng_errno(rv);
	}
	*ret = c;
	return 0;
}

void dpc_close(struct dpc *c)
{
	if (!c)
		return;
	nng_close(c->s);
	free(c);
}

void dpc_set_connect_wait(struct dpc *c, int ms)
{
	c->connect_wait_ms = ms;
}

bool dpc_connected(struct dpc *c)
{
	return atomic_load(&c->pipes) > 0;
}

uint64_t dpc_next_id(struct dpc *c)
{
	return c->next_id++;
}

/* Move the body out of m (freed) into malloc'd memory the caller owns:
 * a reply or batch can then be kept without holding an nng message. */
static int aligned_copy(nng_msg *m, void **ret, size_t *ret_len)
{
	size_t len = nng_msg_len(m);
	void *p = malloc(len ? len : 1);

	if (!p) {
		nng_msg_free(m);
		return -ENOMEM;
	}
	memcpy(p, nng_msg_body(m), len);
	nng_msg_free(m);
	*ret = p;
	*ret_len = len;
	return 0;
}

static int call(struct dpc *c, const void *buf, size_t len, uint64_t id,
		int check_id, struct dpc_reply *ret)
{
	char err[160];
	nng_msg *m;
	void *copy;
	size_t clen;
	int rv;

	/* no connection: wait for one only as long as the caller allows (a
	 * request queued without one would wait out the whole timeout) */
	for (int waited = 0; !dpc_connected(c); waited += 10) {
		if (waited >= c->connect_wait_ms)
			return -ENOTCONN;
		nng_msleep(10);
	}
	rv = nng_msg_alloc(&m, len);
	if (rv)
		return nng_errno(rv);
	memcpy(nng_msg_body(m), buf, len);
	rv = nng_sendmsg(c->s, m, 0);
	if (rv) {
		nng_msg_free(m);
		return nng_errno(rv);
	}
	rv = nng_recvmsg(c->s, &m, 0);
	if (rv)
		return nng_errno(rv);
	rv = aligned_copy(m, &copy, &clen);
	if (rv)
		return rv;
	if (sentinel_Reply_verify(copy, clen, err, sizeof(err))) {
		free(copy);
		return -EBADMSG;
	}
	ret->reply = sentinel_Reply_root(copy);
	ret->msg = copy;
	if (check_id && sentinel_Reply_id(ret->reply) != id) {
		dpc_reply_free(ret);
		return -EPROTO;
	}
	return 0;
}

int dpc_call(struct dpc *c, const struct fb_builder *b, uint64_t id,
	     struct dpc_reply *ret)
{
	const void *buf;
	size_t len;

	buf = fb_builder_data(b, &len);
	if (!buf)
		return -EINVAL;
	return call(c, buf, len, id, 1, ret);
}

int dpc_call_raw(struct dpc *c, const void *buf, size_t len,
		 struct dpc_reply *ret)
{
	return call(c, buf, len, 0, 0, ret);
}

void dpc_reply_free(struct dpc_reply *r)
{
	free(r->msg);
	r->msg = NULL;
	r->reply = NULL;
}

int dpc_subscribe(const char *sock_dir, struct dpc_sub **ret)
{
	char url[PATH_MAX + 16];
	struct dpc_sub *s;
	int rv, err;

	err = url_of(url, sizeof(url), sock_dir, "events.sock");
	if (err)
		return err;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	rv = nng_pull0_open(&s->s);
	if (!rv)
		rv = nng_socket_set_size(s->s, NNG_OPT_RECVMAXSZ, BATCH_MAX);
	if (!rv)
		rv = nng_socket_set_int(s->s, NNG_OPT_RECVBUF, 64);
	if (!rv)
		rv = nng_socket_set_ms(s->s, NNG_OPT_RECONNMINT, 50);
	if (!rv)
		rv = nng_socket_set_ms(s->s, NNG_OPT_RECONNMAXT, 1000);
	if (!rv)
		rv = nng_dial(s->s, url, NULL, NNG_FLAG_NONBLOCK);
	if (rv) {
		nng_close(s->s);
		free(s);
		return nng_errno(rv);
	}
	*ret = s;
	return 0;
}

int dpc_sub_recv(struct dpc_sub *s, int timeout_ms,
		 const struct sentinel_EventBatch **ret, void **ret_msg)
{
	char err[160];
	nng_msg *m;
	void *copy;
	size_t len;
	int rv;

	rv = nng_socket_set_ms(s->s, NNG_OPT_RECVTIMEO,
			       timeout_ms < 0 ? NNG_DURATION_INFINITE
					      : timeout_ms);
	if (!rv)
		rv = nng_recvmsg(s->s, &m, 0);
	if (rv)
		return nng_errno(rv);
	rv = aligned_copy(m, &copy, &len);
	if (rv)
		return rv;
	if (sentinel_EventBatch_verify(copy, len, err, sizeof(err)) ||
	    !sentinel_EventBatch_has_identifier(copy, len)) {
		free(copy);
		return -EBADMSG;
	}
	*ret = sentinel_EventBatch_root(copy);
	*ret_msg = copy;
	return 0;
}

void dpc_sub_msg_free(void *msg)
{
	free(msg);
}

int dpc_sub_fd(struct dpc_sub *s)
{
	int fd, rv = nng_socket_get_int(s->s, NNG_OPT_RECVFD, &fd);

	return rv ? nng_errno(rv) : fd;
}

void dpc_sub_close(struct dpc_sub *s)
{
	if (!s)
		return;
	nng_close(s->s);
	free(s);
}

// SPDX-License-Identifier: GPL-2.0-only
/* Interface manager: patterns, one pinned XDP link per interface, rtnetlink. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <bpf/bpf.h>

#include "fw.h"
#include "ifmgr.h"

#define NL_BUF	       (64 * 1024) /* > the 32 KiB a dump skb can hold */
#define NL_RCVBUF      (4 << 20)
#define NL_TIMEOUT_S   5
#define DRAIN_MAX      4096 /* datagrams per ifmgr_process() call */
#define DUMP_MAX       (1 << 20)
#define PINS_MAX       (1 << 16)
#define DUMP_RETRIES   5
#define RECONCILE_HOPS 1   /* how far a name conflict is chased */
#define RELEASE_MS     500 /* wait per public call, see wait_released() */

/* One interface as the kernel reports it. */
struct kif {
	unsigned int ifindex;
	char name[IF_NAMESIZE]; /* "" when the message had none */
	unsigned int drv_prog, skb_prog, hw_prog;
};

struct pat {
	bool excl;
	char glob[IFMGR_PATTERN_MAX];
};

struct entry {
	struct ifmgr_att a;
	bool seen; /* ifmgr_sync() mark */
};

struct ifmgr {
	struct fw_maps maps; /* borrowed fds; only .prog is used */
	unsigned int prog_id;
	char *pin_dir;	  /* owned */
	char *mode;	  /* owned; NULL = native, else generic */
	struct pat *pats; /* owned */
	size_t npats;
	struct ifmgr_ops ops;
	void *ctx;
	int evfd, reqfd;      /* owned: events, requests */
	unsigned int seq;     /* of the last request */
	char *evbuf, *reqbuf; /* owned, NL_BUF each */
	struct entry *tab;    /* owned; one entry per name and ifindex */
	size_t n, cap, max;   /* used, allocated, bound */
	unsigned int changes; /* during the current public call */
	long long wait_end;   /* ms, CLOCK_MONOTONIC: end of the current
			       * call's wait budget; 0 = none spent yet */
	struct ifmgr_stats st;
};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static __attribute__((format(printf, 3, 4))) void
say(const struct ifmgr *im, int level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!im->ops.log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	im->ops.log(im->ctx, level, msg);
}

/* ---- patterns ---- */

static int check_pattern(const char *p, size_t idx, char *err, size_t errlen)
{
	size_t len = strlen(p);
	const char *body = p[0] == '!' ? p + 1 : p;
	bool glob = false;

	if (len == 0) {
		seterr(err, errlen, "interface pattern %zu is empty", idx + 1);
		return -EINVAL;
	}
	if (len >= IFMGR_PATTERN_MAX) {
		seterr(err, errlen,
		       "interface pattern %zu (\"%.16s...\") is longer than %d bytes",
		       idx + 1, p, IFMGR_PATTERN_MAX - 1);
		return -EINVAL;
	}
	if (!*body) {
		seterr(err, errlen,
		       "interface pattern %zu: \"!\" must be followed by a name or glob",
		       idx + 1);
		return -EINVAL;
	}
	for (size_t i = 0; body[i]; i++) {
		unsigned char c = body[i];

		if (c == '/' || c == ':' || isspace(c) || !isprint(c)) {
			seterr(err, errlen,
			       "interface pattern \"%s\": character %#x cannot occur in an interface name",
			       p, c);
			return -EINVAL;
		}
		if (c == '*' || c == '?' || c == '\\')
			glob = true;
		if (c == '\\' && body[i + 1])
			i++;
		if (c == '[') {
			size_t j = i + 1;

			glob = true;
			if (body[j] == '!' || body[j] == '^')
				j++;
			if (body[j] == ']')
				j++;
			while (body[j] && body[j] != ']')
				j++;
			if (!body[j]) {
				seterr(err, errlen,
				       "interface pattern \"%s\": '[' without ']'",
				       p);
				return -EINVAL;
			}
			i = j;
		}
	}
	if (!glob && strlen(body) >= IF_NAMESIZE) {
		seterr(err, errlen,
		       "interface pattern \"%s\": an interface name has at most %d characters",
		       p, IF_NAMESIZE - 1);
		return -EINVAL;
	}
	return 0;
}

static bool wanted(const struct ifmgr *im, const char *name)
{
	bool inc = false;

	if (!name[0])
		return false;
	for (size_t i = 0; i < im->npats; i++) {
		if (fnmatch(im->pats[i].glob, name, 0))
			continue;
		if (im->pats[i].excl)
			return false;
		inc = true;
	}
	return inc;
}

/* ---- rtnetlink ---- */

static int nl_open(int groups, int rcvbuf, bool nonblock)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = groups};
	int fd, err;

	fd = socket(AF_NETLINK,
		    SOCK_RAW | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0),
		    NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	/* FORCE goes past net.core.rmem_max (needs CAP_NET_ADMIN) */
	if (rcvbuf &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (!nonblock) {
		struct timeval tv = {.tv_sec = NL_TIMEOUT_S};

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static void parse_xdp(const struct rtattr *xdp, struct kif *k)
{
	const struct rtattr *a = RTA_DATA(xdp);
	int len = RTA_PAYLOAD(xdp);
	unsigned int attached = 0, id = 0;

	for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		unsigned int v = 0;

		if (RTA_PAYLOAD(a) >= sizeof(__u32))
			memcpy(&v, RTA_DATA(a), sizeof(v));
		else if (RTA_PAYLOAD(a) >= 1)
			v = *(const __u8 *)RTA_DATA(a);
		switch (a->rta_type & NLA_TYPE_MASK) {
		case IFLA_XDP_ATTACHED:
			attached = *(const __u8 *)RTA_DATA(a);
			break;
		case IFLA_XDP_PROG_ID:
			id = v;
			break;
		case IFLA_XDP_DRV_PROG_ID:
			k->drv_prog = v;
			break;
		case IFLA_XDP_SKB_PROG_ID:
			k->skb_prog = v;
			break;
		case IFLA_XDP_HW_PROG_ID:
			k->hw_prog = v;
			break;
		}
	}
	/* older kernels give only the mode and one id */
	if (attached == XDP_ATTACHED_DRV && !k->drv_prog)
		k->drv_prog = id;
	else if (attached == XDP_ATTACHED_SKB && !k->skb_prog)
		k->skb_prog = id;
	else if (attached == XDP_ATTACHED_HW && !k->hw_prog)
		k->hw_prog = id;
}

/* Parse an RTM_NEWLINK/RTM_DELLINK of family AF_UNSPEC. */
static int parse_link(const struct nlmsghdr *h, struct kif *k)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	const struct rtattr *a;
	int len;

	memset(k, 0, sizeof(*k));
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)) ||
	    ifi->ifi_family != AF_UNSPEC || ifi->ifi_index <= 0)
		return -EINVAL;
	k->ifindex = ifi->ifi_index;
	len = h->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi));
	a = (const struct rtattr *)((const char *)ifi +
				    NLMSG_ALIGN(sizeof(*ifi)));
	for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		switch (a->rta_type & NLA_TYPE_MASK) {
		case IFLA_IFNAME: {
			size_t n = strnlen(RTA_DATA(a), RTA_PAYLOAD(a));

			if (n > 0 && n < IF_NAMESIZE) {
				memcpy(k->name, RTA_DATA(a), n);
				k->name[n] = '\0';
			}
			break;
		}
		case IFLA_XDP:
			parse_xdp(a, k);
			break;
		}
	}
	return 0;
}

static int nl_request(struct ifmgr *im, unsigned int ifindex, bool dump)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg ifi;
		struct rtattr ext;
		__u32 mask;
	} req = {
		.h.nlmsg_len = sizeof(req),
		.h.nlmsg_type = RTM_GETLINK,
		.h.nlmsg_flags = NLM_F_REQUEST | (dump ? NLM_F_DUMP : 0),
		.h.nlmsg_seq = ++im->seq,
		.ifi.ifi_family = AF_UNSPEC,
		.ifi.ifi_index = (int)ifindex,
		.ext.rta_len = RTA_LENGTH(sizeof(__u32)),
		.ext.rta_type = IFLA_EXT_MASK,
		.mask = RTEXT_FILTER_SKIP_STATS,
	};

	if (send(im->reqfd, &req, sizeof(req), 0) < 0)
		return -errno;
	return 0;
}

static ssize_t nl_recv(struct ifmgr *im)
{
	ssize_t n;

	do
		n = recv(im->reqfd, im->reqbuf, NL_BUF, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? -ETIMEDOUT : -errno;
	return n;
}

/* The kernel's current view of one ifindex; -ENODEV when it is gone. */
static int nl_query(struct ifmgr *im, unsigned int ifindex, struct kif *ret)
{
	int err = nl_request(im, ifindex, false);

	while (!err) {
		ssize_t n = nl_recv(im);
		const struct nlmsghdr *h = (const void *)im->reqbuf;
		int len = n;

		if (n < 0)
			return n;
		for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != im->seq)
				continue; /* late answer to a timed-out ask */
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				return e->error ? e->error : -EPROTO;
			}
			if (h->nlmsg_type == RTM_NEWLINK)
				return parse_link(h, ret) ? -EPROTO : 0;
		}
	}
	return err;
}

/* Every interface of the namespace; *ret is malloc'd. */
static int nl_dump(struct ifmgr *im, struct kif **ret, size_t *ret_n)
{
	struct kif *ks = NULL;
	size_t n = 0, cap = 0;
	int err = 0;

	for (int attempt = 0; attempt < DUMP_RETRIES; attempt++) {
		bool done = false, intr = false;

		n = 0;
		err = nl_request(im, 0, true);
		while (!err && !done) {
			ssize_t got = nl_recv(im);
			const struct nlmsghdr *h = (const void *)im->reqbuf;
			int len = got;

			if (got < 0) {
				err = got;
				break;
			}
			for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
				if (h->nlmsg_seq != im->seq)
					continue;
				if (h->nlmsg_flags & NLM_F_DUMP_INTR)
					intr = true;
				if (h->nlmsg_type == NLMSG_DONE) {
					done = true;
					break;
				}
				if (h->nlmsg_type == NLMSG_ERROR) {
					const struct nlmsgerr *e =
						NLMSG_DATA(h);

					err = e->error ? e->error : -EPROTO;
					break;
				}
				if (h->nlmsg_type != RTM_NEWLINK)
					continue;
				if (n == cap) {
					size_t c = cap ? cap * 2 : 64;
					struct kif *t;

					if (c > DUMP_MAX) {
						err = -E2BIG;
						break;
					}
					t = realloc(ks, c * sizeof(*ks));
					if (!t) {
						err = -ENOMEM;
						break;
					}
					ks = t;
					cap = c;
				}
				if (!parse_link(h, &ks[n]))
					n++;
			}
		}
		/* drain what a broken-off dump still sends */
		if (err && err != -ETIMEDOUT) {
			char sink[256];

			while (recv(im->reqfd, sink, sizeof(sink),
				    MSG_DONTWAIT) >= 0)
				;
		}
		/* changed while dumped: ask again, else use it (the
		 * events of the change will follow anyway) */
		if (err || !intr)
			break;
	}
	if (err) {
		free(ks);
		return err;
	}
	*ret = ks;
	*ret_n = n;
	return 0;
}

/* ---- the table ---- */

static struct entry *by_ifindex(struct ifmgr *im, unsigned int ifindex)
{
	for (size_t i = 0; i < im->n; i++)
		if (im->tab[i].a.ifindex == ifindex)
			return &im->tab[i];
	return NULL;
}

static struct entry *by_name(struct ifmgr *im, const char *name)
{
	for (size_t i = 0; i < im->n; i++)
		if (!strcmp(im->tab[i].a.name, name))
			return &im->tab[i];
	return NULL;
}

static struct entry *tab_add(struct ifmgr *im, const struct kif *k)
{
	struct entry *e;

	if (im->n == im->max) {
		im->st.refused++;
		/* rate limit: 1st, 2nd, 4th, 8th... refusal */
		if (!(im->st.refused & (im->st.refused - 1)))
			say(im, LOG_WARNING,
			    "%s: not attached: %zu interfaces tracked already (refused %llu so far)",
			    k->name, im->max, im->st.refused);
		return NULL;
	}
	if (im->n == im->cap) {
		size_t c = im->cap ? im->cap * 2 : 16;

		if (c > im->max)
			c = im->max;
		e = realloc(im->tab, c * sizeof(*e));
		if (!e) {
			say(im, LOG_ERR, "%s: out of memory", k->name);
			return NULL;
		}
		im->tab = e;
		im->cap = c;
	}
	e = &im->tab[im->n++];
	memset(e, 0, sizeof(*e));
	strcpy(e->a.name, k->name);
	e->a.ifindex = k->ifindex;
	im->changes++;
	return e;
}

/* e is invalid afterwards (the last entry moves into its place). */
static void tab_del(struct ifmgr *im, struct entry *e)
{
	*e = im->tab[--im->n];
	im->changes++;
}

static void set_state(struct ifmgr *im, struct entry *e,
		      const struct ifmgr_att *a)
{
	if (memcmp(&e->a, a, sizeof(*a))) {
		e->a = *a;
		im->changes++;
	}
}

/* ---- pins ---- */

static int link_info(int fd, struct bpf_link_info *li)
{
	__u32 len = sizeof(*li);

	memset(li, 0, len);
	return bpf_obj_get_info_by_fd(fd, li, &len) ? -errno : 0;
}

static int mode_of(const struct kif *k, unsigned int prog_id)
{
	if (k->drv_prog == prog_id)
		return IFMGR_MODE_NATIVE;
	if (k->skb_prog == prog_id)
		return IFMGR_MODE_GENERIC;
	return IFMGR_MODE_NONE;
}

/*
 * Bring the pin of name in line with the kernel.  With k (the interface
 * called name, which is wanted): a pin whose link is attached to k is
 * valid, moved to the current program if needed, and described in *att;
 * returns 1.  Any other pin (no k, defunct link, link on another device) is
 * detached and unpinned; returns 0, as when there is no pin.  A pin that is
 * not an XDP link is left alone: -EEXIST.
 */
static int pin_check(struct ifmgr *im, const char *name, const struct kif *k,
		     struct ifmgr_att *att)
{
	struct bpf_link_info li;
	char path[PATH_MAX];
	int fd, err;

	err = fw_link_pin_path(im->pin_dir, name, path, sizeof(path));
	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	err = link_info(fd, &li);
	if (err || li.type != BPF_LINK_TYPE_XDP) {
		say(im, LOG_ERR, "%s: %s is not an XDP link; left alone", name,
		    path);
		close(fd);
		return -EEXIST;
	}
	/* an ifindex is only unique in one namespace (a link follows its
	 * device into another): the device must also show the program */
	if (k && li.xdp.ifindex == k->ifindex && mode_of(k, li.prog_id)) {
		memset(att, 0, sizeof(*att));
		strcpy(att->name, name);
		att->ifindex = k->ifindex;
		att->link_id = li.id;
		att->prog_id = li.prog_id;
		att->mode = mode_of(k, li.prog_id);
		if (li.prog_id == im->prog_id) {
			close(fd);
			return 1;
		}
		/* atomic: the device never runs without a program */
		if (!bpf_link_update(fd, im->maps.prog, NULL)) {
			im->st.updates++;
			say(im, LOG_INFO,
			    "%s: link %u moved from program %u to %u", name,
			    li.id, li.prog_id, im->prog_id);
			att->prog_id = im->prog_id;
			close(fd);
			return 1;
		}
		err = -errno;
		im->st.failures++;
		say(im, LOG_ERR, "%s: cannot move link %u to program %u: %s",
		    name, li.id, im->prog_id, strerror(-err));
		if (err != -ENOLINK) {
			close(fd); /* keeps enforcing the old program */
			return 1;
		}
	}
	/* a link cut from its device (ifindex 0) detaches as a no-op */
	if (bpf_link_detach(fd) && errno != EINVAL) {
		im->st.failures++;
		say(im, LOG_ERR, "%s: cannot detach link %u: %s", name, li.id,
		    strerror(errno));
	}
	close(fd);
	if (unlink(path) && errno != ENOENT) {
		err = -errno;
		im->st.failures++;
		say(im, LOG_ERR, "%s: cannot unpin %s: %s", name, path,
		    strerror(-err));
		return err;
	}
	im->st.detaches++;
	say(im, LOG_INFO, "%s: detached link %u (%s)", name, li.id,
	    !li.xdp.ifindex ? "cut from its device: deleted, or detached"
	    : !k	    ? "interface gone, renamed or not wanted"
			    : "its device is another interface now");
	return 0;
}

/* flags: RENAME_NOREPLACE, or RENAME_EXCHANGE to swap two pins at once */
static int pin_rename(struct ifmgr *im, const char *from, const char *to,
		      unsigned int flags)
{
	char a[PATH_MAX], b[PATH_MAX];
	int err;

	err = fw_link_pin_path(im->pin_dir, from, a, sizeof(a));
	if (!err)
		err = fw_link_pin_path(im->pin_dir, to, b, sizeof(b));
	if (!err && renameat2(AT_FDCWD, a, AT_FDCWD, b, flags))
		err = -errno;
	return err;
}

/* ---- reconciliation ---- */

static void describe_prog(unsigned int id, char *buf, size_t len)
{
	struct bpf_prog_info pi = {};
	__u32 plen = sizeof(pi);
	int fd = bpf_prog_get_fd_by_id(id);

	snprintf(buf, len, "?");
	if (fd < 0)
		return;
	if (!bpf_obj_get_info_by_fd(fd, &pi, &plen))
		snprintf(buf, len, "%s", pi.name);
	close(fd);
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Does k run the program we attach, in a mode we attach in? */
static bool runs_ours(const struct ifmgr *im, const struct kif *k)
{
	return k->drv_prog == im->prog_id || k->skb_prog == im->prog_id;
}

/*
 * Our program on a device with no pin of ours (the caller checked): left
 * alone, listed as -EAGAIN, logged once per finding.  Not foreign: its
 * link is being released, or someone holds it open without our pin.
 */
static void set_orphan(struct ifmgr *im, struct entry *e, const struct kif *k)
{
	struct ifmgr_att a = e->a;

	a.link_id = 0;
	a.prog_id = im->prog_id;
	a.mode = mode_of(k, im->prog_id);
	a.err = -EAGAIN;
	if (e->a.err != -EAGAIN || e->a.prog_id != im->prog_id)
		say(im, LOG_WARNING,
		    "%s: our program %u is attached by a link not pinned here (its pin removed and the kernel slow to release it, or someone holds it open); left alone, retried at the next sync",
		    k->name, im->prog_id);
	set_state(im, e, &a);
}

/*
 * k runs our program, but no pin of ours holds it: the pin of its link was
 * removed from outside (ifmgr detaches a link before it unpins it).  The
 * kernel lets go of a link whose last reference is dropped from a
 * workqueue, not in unlink(2), so the program can stay attached for a
 * while after the pin is gone: microseconds usually, tens of milliseconds
 * when the CPUs are busy.  That is neither a foreign program nor a reason
 * to leave the device unprotected until the next sync: wait for it, within
 * RELEASE_MS per public call, once per finding (an entry set_orphan()
 * listed already is only looked at again).  Returns 0 with *now reading the device
 * without our program, -EAGAIN if it still runs there, -ENODEV if the
 * device is gone or renamed meanwhile (its event follows), or another
 * -errno from the kernel.  k may point to *now.
 */
static int wait_released(struct ifmgr *im, const struct entry *e,
			 const struct kif *k, struct kif *now)
{
	bool again = e->a.err == -EAGAIN && e->a.prog_id == im->prog_id;
	unsigned int ifindex = k->ifindex;
	char name[IF_NAMESIZE];
	long long t0 = mono_ms();
	int r;

	strcpy(name, k->name);
	if (!again)
		im->st.orphans++;
	for (;;) {
		const struct timespec ms = {.tv_nsec = 1000000};

		r = nl_query(im, ifindex, now);
		if (!r && strcmp(now->name, name))
			r = -ENODEV;
		if (r)
			return r;
		if (!runs_ours(im, now))
			break;
		if (again)
			return -EAGAIN;
		if (!im->wait_end)
			im->wait_end = t0 + RELEASE_MS;
		if (mono_ms() >= im->wait_end)
			return -EAGAIN;
		/* and let the kernel's worker run */
		nanosleep(&ms, NULL);
	}
	if (!again)
		say(im, LOG_INFO,
		    "%s: our program ran there without a pin of ours (removed from outside?); its link was released after %lld ms",
		    name, mono_ms() - t0);
	return 0;
}

/* Forget e; its pin goes too if it had our link. */
static void iface_drop(struct ifmgr *im, struct entry *e)
{
	struct ifmgr_att dummy;

	if (e->a.link_id)
		pin_check(im, e->a.name, NULL, &dummy);
	tab_del(im, e);
}

static void set_foreign(struct ifmgr *im, struct entry *e, const struct kif *k)
{
	struct ifmgr_att a = e->a;
	char what[32];

	a.link_id = 0;
	a.prog_id = k->drv_prog	  ? k->drv_prog
		    : k->skb_prog ? k->skb_prog
				  : k->hw_prog;
	a.mode = k->drv_prog   ? IFMGR_MODE_NATIVE
		 : k->skb_prog ? IFMGR_MODE_GENERIC
			       : IFMGR_MODE_NONE;
	a.err = -EBUSY;
	if (e->a.err != -EBUSY || e->a.prog_id != a.prog_id) {
		im->st.foreign++;
		describe_prog(a.prog_id, what, sizeof(what));
		say(im, LOG_WARNING,
		    "%s: XDP program %u (%s) of someone else is attached; left alone, not protected",
		    k->name, a.prog_id, what);
	}
	set_state(im, e, &a);
}

/* Attach to (or adopt the pin of) k, a wanted interface. */
static void iface_up(struct ifmgr *im, const struct kif *k)
{
	struct entry *e = by_ifindex(im, k->ifindex);
	struct ifmgr_att a = {};
	struct bpf_link_info li;
	const char *used = NULL;
	char path[PATH_MAX];
	bool fresh = !e;
	struct kif now;
	int r, fd;

	if (!e) {
		e = tab_add(im, k);
		if (!e)
			return;
	}
	r = pin_check(im, k->name, k, &a);
	if (r == 1) {
		if (fresh || e->a.link_id != a.link_id) {
			im->st.adoptions++;
			say(im, LOG_INFO, "%s: adopted pinned link %u", k->name,
			    a.link_id);
		}
		set_state(im, e, &a);
		return;
	}
	memset(&a, 0, sizeof(a));
	strcpy(a.name, k->name);
	a.ifindex = k->ifindex;
	if (r < 0) {
		a.err = r;
		set_state(im, e, &a);
		return;
	}
	if (k->drv_prog || k->skb_prog || k->hw_prog) {
		/* k may predate a detach of ours in this very pass */
		if (!nl_query(im, k->ifindex, &now) &&
		    !strcmp(now.name, k->name))
			k = &now;
		if (runs_ours(im, k)) {
			r = wait_released(im, e, k, &now);
			if (r == -EAGAIN) {
				set_orphan(im, e, &now);
				return;
			}
			if (r) {
				/* gone or renamed: its own event follows */
				say(im, LOG_DEBUG, "%s: vanished while waiting",
				    e->a.name);
				tab_del(im, e);
				return;
			}
			k = &now;
		}
		if (k->drv_prog || k->skb_prog || k->hw_prog) {
			set_foreign(im, e, k);
			return;
		}
	}
	r = fw_attach_ifindex(&im->maps, im->pin_dir, k->ifindex, k->name,
			      im->mode, &used);
	if (r) {
		im->st.failures++;
		/* gone or renamed meanwhile: its own event will follow */
		if (nl_query(im, k->ifindex, &now) ||
		    strcmp(now.name, k->name)) {
			say(im, LOG_DEBUG, "%s: vanished while attaching",
			    k->name);
			tab_del(im, e);
			return;
		}
		if ((r == -EBUSY || r == -EEXIST) && runs_ours(im, &now)) {
			set_orphan(im, e, &now);
			return;
		}
		if ((r == -EBUSY || r == -EEXIST) &&
		    (now.drv_prog || now.skb_prog || now.hw_prog)) {
			set_foreign(im, e, &now);
			return;
		}
		if (e->a.err != r)
			say(im, LOG_ERR, "%s: cannot attach (%s mode): %s",
			    k->name, im->mode ? im->mode : "any", strerror(-r));
		a.err = r;
		set_state(im, e, &a);
		return;
	}
	im->st.attaches++;
	a.err = 0;
	a.mode = !strcmp(used, "native") ? IFMGR_MODE_NATIVE
					 : IFMGR_MODE_GENERIC;
	a.prog_id = im->prog_id;
	if (!fw_link_pin_path(im->pin_dir, k->name, path, sizeof(path)) &&
	    (fd = bpf_obj_get(path)) >= 0) {
		if (!link_info(fd, &li))
			a.link_id = li.id;
		close(fd);
	}
	say(im, LOG_INFO, "%s: attached (ifindex %u, %s mode, link %u)",
	    k->name, k->ifindex, used, a.link_id);
	set_state(im, e, &a);
}

/*
 * Make the table and the pins right for one ifindex, asking the kernel what
 * it is now; the event that brought us here only says where to look.
 */
static int reconcile(struct ifmgr *im, unsigned int ifindex, int hops)
{
	struct entry *e, *other;
	bool gone, want;
	struct kif k;
	int r;

	r = nl_query(im, ifindex, &k);
	gone = r == -ENODEV;
	if (r && !gone)
		return r;
	want = !gone && wanted(im, k.name);
	/* the name now belongs to ifindex: whoever had it moved on */
	other = want ? by_name(im, k.name) : NULL;
	e = by_ifindex(im, ifindex);
	if (other && other->a.ifindex != ifindex && e && e->a.link_id &&
	    !e->a.err && other->a.link_id && !other->a.err &&
	    wanted(im, e->a.name)) {
		struct kif ko;

		/* two interfaces swapped names: swap the pins atomically */
		if (!nl_query(im, other->a.ifindex, &ko) &&
		    !strcmp(ko.name, e->a.name) &&
		    !pin_rename(im, e->a.name, k.name, RENAME_EXCHANGE)) {
			im->st.renames += 2;
			say(im, LOG_INFO,
			    "%s and %s swapped names, links %u and %u kept",
			    e->a.name, k.name, e->a.link_id, other->a.link_id);
			strcpy(other->a.name, e->a.name);
			strcpy(e->a.name, k.name);
			im->changes += 2;
			return 0;
		}
	}
	if (other && other->a.ifindex != ifindex) {
		if (hops < RECONCILE_HOPS)
			reconcile(im, other->a.ifindex, hops + 1);
		other = by_name(im, k.name);
		if (other && other->a.ifindex != ifindex)
			iface_drop(im, other);
	}
	e = by_ifindex(im, ifindex);
	if (e && !want) {
		iface_drop(im, e);
		return 0;
	}
	if (!want)
		return 0;
	if (e && strcmp(e->a.name, k.name)) {
		/* renamed, wanted under both names: keep the link */
		struct ifmgr_att dummy;

		r = e->a.link_id && !e->a.err ? -EAGAIN : -EINVAL;
		if (r == -EAGAIN)
			r = pin_rename(im, e->a.name, k.name, RENAME_NOREPLACE);
		/* a stale pin holds the new name: clear it, try again */
		if (r == -EEXIST && !pin_check(im, k.name, &k, &dummy))
			r = pin_rename(im, e->a.name, k.name, RENAME_NOREPLACE);
		if (!r) {
			im->st.renames++;
			say(im, LOG_INFO, "%s: renamed to %s, link %u kept",
			    e->a.name, k.name, e->a.link_id);
			strcpy(e->a.name, k.name);
			im->changes++;
			return 0;
		}
		iface_drop(im, e);
		e = NULL;
	}
	if (e && !e->a.err)
		return 0;
	iface_up(im, &k);
	return 0;
}

/* Returns what reconcile() returned: -errno if the kernel was not asked. */
static int on_message(struct ifmgr *im, const struct nlmsghdr *h)
{
	struct entry *e;
	struct kif k;

	if (h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK)
		return 0;
	/* AF_BRIDGE messages are about bridge ports, not devices */
	if (parse_link(h, &k))
		return 0;
	im->st.events++;
	e = by_ifindex(im, k.ifindex);
	if (h->nlmsg_type == RTM_NEWLINK) {
		/* nothing new: the common case (up, down, carrier...) */
		if (e && !strcmp(e->a.name, k.name) && !e->a.err)
			return 0;
		if (!e && k.name[0] && !wanted(im, k.name))
			return 0;
	} else if (!e) {
		return 0;
	}
	return reconcile(im, k.ifindex, 0);
}

static unsigned int pin_link_ifindex(struct ifmgr *im, const char *name,
				     unsigned int *ret_id,
				     unsigned int *ret_prog)
{
	struct bpf_link_info li;
	char path[PATH_MAX];
	int fd;

	if (fw_link_pin_path(im->pin_dir, name, path, sizeof(path)))
		return 0;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	if (link_info(fd, &li) || li.type != BPF_LINK_TYPE_XDP)
		li.xdp.ifindex = 0;
	close(fd);
	*ret_id = li.id;
	*ret_prog = li.prog_id;
	return li.xdp.ifindex;
}

/*
 * Renames seen only in a dump (events lost, or the daemon was down): the
 * pin name (updated in place) holds a link on a device now called
 * otherwise.  Move the pin to the device's name if that is wanted; when
 * that name has a pin too (names swapped, or a cycle), exchange the two
 * atomically and look at what name holds now.  No link is detached for a
 * rename.  *k becomes the interface called name, if any.
 */
static void pin_follow(struct ifmgr *im, char *name, const struct kif **k,
		       const struct kif *ks, size_t nk)
{
	for (int hop = 0; hop < 8; hop++) {
		const struct kif *to = NULL;
		unsigned int id = 0, prog = 0, lif;
		int r;

		lif = pin_link_ifindex(im, name, &id, &prog);
		if (!lif || (*k && (*k)->ifindex == lif))
			return;
		for (size_t j = 0; j < nk && !to; j++)
			if (ks[j].ifindex == lif)
				to = &ks[j];
		if (!to || !wanted(im, to->name) || !strcmp(to->name, name) ||
		    !mode_of(to, prog))
			return;
		r = pin_rename(im, name, to->name, RENAME_NOREPLACE);
		if (!r) {
			im->st.renames++;
			say(im, LOG_INFO, "%s: renamed to %s, link %u kept",
			    name, to->name, id);
			strcpy(name, to->name);
			*k = to;
			return;
		}
		/* without *k, what comes back would be detached */
		if (r != -EEXIST || !*k ||
		    pin_rename(im, name, to->name, RENAME_EXCHANGE))
			return;
		im->st.renames++;
		say(im, LOG_INFO,
		    "%s: renamed to %s, link %u kept (pins exchanged)", name,
		    to->name, id);
	}
}

/* ---- public ---- */

static int sync_inner(struct ifmgr *im)
{
	char(*pins)[IF_NAMESIZE] = NULL;
	size_t nk = 0, np = 0, cap = 0;
	struct kif *ks = NULL;
	struct dirent *de;
	DIR *d;
	int err;

	im->st.resyncs++;
	err = nl_dump(im, &ks, &nk);
	if (err) {
		say(im, LOG_ERR, "cannot list interfaces: %s", strerror(-err));
		return err;
	}
	d = opendir(im->pin_dir);
	if (!d) {
		err = -errno;
		say(im, LOG_ERR, "%s: %s", im->pin_dir, strerror(-err));
		free(ks);
		return err;
	}
	/* read the names first: the loop below unlinks */
	while ((de = readdir(d))) {
		char name[IF_NAMESIZE];

		if (fw_link_pin_ifname(de->d_name, name, sizeof(name)))
			continue;
		if (np == cap) {
			size_t c = cap ? cap * 2 : 64;
			void *t;

			if (c > PINS_MAX) {
				say(im, LOG_ERR, "%s: more than %d link pins",
				    im->pin_dir, PINS_MAX);
				break;
			}
			t = realloc(pins, c * sizeof(*pins));
			if (!t) {
				err = -ENOMEM;
				break;
			}
			pins = t;
			cap = c;
		}
		strcpy(pins[np++], name);
	}
	closedir(d);
	if (err) {
		free(pins);
		free(ks);
		return err;
	}

	for (size_t i = 0; i < im->n; i++)
		im->tab[i].seen = false;

	/* 1. every pin: adopt or remove */
	for (size_t i = 0; i < np; i++) {
		const struct kif *k = NULL;
		struct ifmgr_att a;
		struct entry *e;
		int r;

		for (size_t j = 0; j < nk && !k; j++)
			if (!strcmp(ks[j].name, pins[i]))
				k = &ks[j];
		if (k && !wanted(im, k->name))
			k = NULL;
		pin_follow(im, pins[i], &k, ks, nk);
		r = pin_check(im, pins[i], k, &a);
		if (r != 1)
			continue; /* removed, or not ours to touch */
		e = by_name(im, k->name);
		if (e && e->a.ifindex != k->ifindex) {
			tab_del(im, e);
			e = NULL;
		}
		/* the same link under an old name: renamed in place */
		if (!e && (e = by_ifindex(im, k->ifindex)) &&
		    e->a.link_id != a.link_id) {
			tab_del(im, e);
			e = NULL;
		}
		if (!e || e->a.link_id != a.link_id) {
			im->st.adoptions++;
			say(im, LOG_INFO, "%s: adopted pinned link %u", k->name,
			    a.link_id);
		}
		if (!e)
			e = tab_add(im, k);
		if (!e)
			continue; /* full: it stays pinned, untracked */
		set_state(im, e, &a);
		e->seen = true;
	}

	/* 2. forget what has no pin, but keep the foreign/failed ones that
	 * still exist as they are (so they are not reported again) */
	for (size_t i = im->n; i-- > 0;) {
		struct entry *e = &im->tab[i];
		bool keep = false;

		if (e->seen)
			continue;
		for (size_t j = 0; j < nk && !e->a.link_id && !keep; j++)
			keep = ks[j].ifindex == e->a.ifindex &&
			       !strcmp(ks[j].name, e->a.name) &&
			       wanted(im, e->a.name);
		if (!keep)
			tab_del(im, e);
	}

	/* 3. attach where nothing is */
	for (size_t j = 0; j < nk; j++) {
		struct entry *e;

		if (!wanted(im, ks[j].name))
			continue;
		e = by_name(im, ks[j].name);
		if (e && e->seen)
			continue;
		iface_up(im, &ks[j]);
	}
	free(pins);
	free(ks);
	return 0;
}

int ifmgr_sync(struct ifmgr *im)
{
	int err;

	im->changes = 0;
	im->wait_end = 0;
	err = sync_inner(im);
	if (im->changes && im->ops.on_change)
		im->ops.on_change(im->ctx);
	return err ? err : (int)im->changes;
}

int ifmgr_process(struct ifmgr *im)
{
	bool overrun = false, resync = false;
	int err = 0;

	im->changes = 0;
	im->wait_end = 0;
	for (int i = 0; i < DRAIN_MAX; i++) {
		struct sockaddr_nl sa;
		socklen_t salen = sizeof(sa);
		const struct nlmsghdr *h = (const void *)im->evbuf;
		ssize_t n = recvfrom(im->evfd, im->evbuf, NL_BUF, MSG_DONTWAIT,
				     (struct sockaddr *)&sa, &salen);
		int len = n;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == ENOBUFS) {
				overrun = true;
				im->st.overruns++;
				continue;
			}
			err = -errno;
			break;
		}
		/* only the kernel speaks here; after an overrun the
		 * resync reads the truth, the rest is just drained */
		if (sa.nl_pid != 0 || overrun)
			continue;
		for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len))
			if (on_message(im, h) < 0)
				resync = true;
	}
	if (overrun || resync) {
		int r;

		say(im, LOG_WARNING, "%s: full resync",
		    overrun ? "link events lost (netlink overrun)"
			    : "an event could not be checked with the kernel");
		r = sync_inner(im);
		if (!err)
			err = r;
	}
	if (im->changes && im->ops.on_change)
		im->ops.on_change(im->ctx);
	return err ? err : (int)im->changes;
}

static int prog_id_of(int fd, unsigned int *ret)
{
	struct bpf_prog_info pi = {};
	__u32 len = sizeof(pi);

	if (fd < 0)
		return -EBADF;
	if (bpf_obj_get_info_by_fd(fd, &pi, &len))
		return -errno;
	*ret = pi.id;
	return 0;
}

int ifmgr_set_prog(struct ifmgr *im, int prog_fd)
{
	unsigned int id;
	int err, first = 0, moved = 0;

	err = prog_id_of(prog_fd, &id);
	if (err)
		return err;
	im->maps.prog = prog_fd;
	im->prog_id = id;
	im->changes = 0;
	for (size_t i = 0; i < im->n; i++) {
		struct entry *e = &im->tab[i];
		char path[PATH_MAX];
		int fd;

		if (!e->a.link_id || e->a.prog_id == id)
			continue;
		err = fw_link_pin_path(im->pin_dir, e->a.name, path,
				       sizeof(path));
		fd = err ? -1 : bpf_obj_get(path);
		if (fd >= 0) {
			err = bpf_link_update(fd, prog_fd, NULL) ? -errno : 0;
			close(fd);
		} else if (!err) {
			err = -errno;
		}
		if (err) {
			im->st.failures++;
			say(im, LOG_ERR,
			    "%s: cannot move link %u to program %u: %s",
			    e->a.name, e->a.link_id, id, strerror(-err));
			if (!first)
				first = err;
			continue;
		}
		im->st.updates++;
		e->a.prog_id = id;
		im->changes++;
		moved++;
	}
	if (im->changes && im->ops.on_change)
		im->ops.on_change(im->ctx);
	return first ? first : moved;
}

int ifmgr_fd(const struct ifmgr *im)
{
	return im->evfd;
}

static int cmp_att(const void *a, const void *b)
{
	return strcmp(((const struct ifmgr_att *)a)->name,
		      ((const struct ifmgr_att *)b)->name);
}

size_t ifmgr_list(const struct ifmgr *im, struct ifmgr_att *out, size_t max)
{
	size_t n = im->n < max ? im->n : max;
	struct ifmgr_att *all;

	if (!n)
		return im->n;
	all = malloc(im->n * sizeof(*all));
	if (!all) {
		/* unsorted rather than nothing */
		for (size_t i = 0; i < n; i++)
			out[i] = im->tab[i].a;
		return im->n;
	}
	for (size_t i = 0; i < im->n; i++)
		all[i] = im->tab[i].a;
	qsort(all, im->n, sizeof(*all), cmp_att);
	memcpy(out, all, n * sizeof(*all));
	free(all);
	return im->n;
}

void ifmgr_stats(const struct ifmgr *im, struct ifmgr_stats *ret)
{
	*ret = im->st;
}

static int check_mode(const char *mode, char *err, size_t errlen)
{
	if (!mode || !strcmp(mode, "native") || !strcmp(mode, "generic"))
		return 0;
	seterr(err, errlen,
	       "XDP mode \"%s\": expected \"native\" or \"generic\" (or none for native with generic fallback)",
	       mode);
	return -EINVAL;
}

int ifmgr_new(const struct fw_maps *m, const char *pin_dir,
	      const char *const *patterns, size_t npatterns, const char *mode,
	      const struct ifmgr_ops *ops, void *ctx, struct ifmgr **ret,
	      char *err, size_t errlen)
{
	struct ifmgr *im = NULL;
	bool incl = false;
	struct stat sb;
	int r;

	if (!m || !pin_dir || !ret || (npatterns && !patterns)) {
		seterr(err, errlen, "missing argument");
		return -EINVAL;
	}
	if (npatterns == 0 || npatterns > IFMGR_MAX_PATTERNS) {
		seterr(err, errlen, "%zu interface patterns: need 1 to %d",
		       npatterns, IFMGR_MAX_PATTERNS);
		return -EINVAL;
	}
	for (size_t i = 0; i < npatterns; i++) {
		r = check_pattern(patterns[i], i, err, errlen);
		if (r)
			return r;
		incl |= patterns[i][0] != '!';
	}
	if (!incl) {
		seterr(err, errlen,
		       "interface patterns hold only exclusions: no interface would be wanted");
		return -EINVAL;
	}
	r = check_mode(mode, err, errlen);
	if (r)
		return r;
	r = stat(pin_dir, &sb) ? -errno : S_ISDIR(sb.st_mode) ? 0 : -ENOTDIR;
	if (r) {
		seterr(err, errlen, "pin directory %s: %s", pin_dir,
		       strerror(-r));
		return r;
	}

	im = calloc(1, sizeof(*im));
	if (!im)
		goto nomem;
	im->evfd = im->reqfd = -1;
	im->maps = *m;
	if (ops)
		im->ops = *ops;
	im->ctx = ctx;
	im->max = im->ops.max_ifaces ? im->ops.max_ifaces : IFMGR_MAX_IFACES;
	im->pin_dir = strdup(pin_dir);
	im->mode = mode ? strdup(mode) : NULL;
	im->pats = calloc(npatterns, sizeof(*im->pats));
	im->evbuf = malloc(NL_BUF);
	im->reqbuf = malloc(NL_BUF);
	if (!im->pin_dir || (mode && !im->mode) || !im->pats || !im->evbuf ||
	    !im->reqbuf)
		goto nomem;
	for (size_t i = 0; i < npatterns; i++) {
		im->pats[i].excl = patterns[i][0] == '!';
		strcpy(im->pats[i].glob, patterns[i] + im->pats[i].excl);
	}
	im->npats = npatterns;
	r = prog_id_of(m->prog, &im->prog_id);
	if (r) {
		seterr(err, errlen, "firewall program: %s", strerror(-r));
		goto fail;
	}
	/* subscribe before any dump: no event can fall in between */
	r = im->evfd = nl_open(
		RTMGRP_LINK, im->ops.rcvbuf ? im->ops.rcvbuf : NL_RCVBUF, true);
	if (r >= 0)
		r = im->reqfd = nl_open(0, 0, false);
	if (r < 0) {
		seterr(err, errlen, "rtnetlink socket: %s", strerror(-r));
		goto fail;
	}
	*ret = im;
	return 0;
nomem:
	r = -ENOMEM;
	seterr(err, errlen, "out of memory");
fail:
	ifmgr_free(im);
	return r;
}

void ifmgr_free(struct ifmgr *im)
{
	if (!im)
		return;
	if (im->evfd >= 0)
		close(im->evfd);
	if (im->reqfd >= 0)
		close(im->reqfd);
	free(im->evbuf);
	free(im->reqbuf);
	free(im->tab);
	free(im->pats);
	free(im->mode);
	free(im->pin_dir);
	free(im);
}

int ifmgr_detach_all(const char *pin_dir)
{
	char(*pins)[NAME_MAX + 1] = NULL;
	size_t np = 0, cap = 0;
	int first = 0, removed = 0;
	struct dirent *de;
	DIR *d = opendir(pin_dir);

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		void *t;

		if (strncmp(de->d_name, FW_LINK_PREFIX,
			    sizeof(FW_LINK_PREFIX) - 1))
			continue;
		if (np == cap) {
			cap = cap ? cap * 2 : 64;
			t = realloc(pins, cap * sizeof(*pins));
			if (!t) {
				first = -ENOMEM;
				break;
			}
			pins = t;
		}
		snprintf(pins[np++], sizeof(*pins), "%s", de->d_name);
	}
	closedir(d);
	for (size_t i = 0; i < np; i++) {
		char path[PATH_MAX];
		int fd;

		if (snprintf(path, sizeof(path), "%s/%s", pin_dir, pins[i]) >=
		    (int)sizeof(path))
			continue;
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			/* EINVAL: cut from its device already */
			if (bpf_link_detach(fd) && errno != EINVAL && !first)
				first = -errno;
			close(fd);
		}
		if (unlink(path)) {
			if (!first)
				first = -errno;
			continue;
		}
		removed++;
	}
	free(pins);
	return first ? first : removed;
}

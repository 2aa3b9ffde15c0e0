// SPDX-License-Identifier: GPL-2.0-only
/* bench-api: rule-to-enforced latency of sentinel-cp (POST of a deny rule
 * over one keep-alive HTTPS connection), each rule's enforcement checked by
 * frames from its source on a veth pair into the firewalled namespace. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "pkt.h"

#define PROBE_MAGIC 0x53454e54u /* "SENT" */
#define STREAM_CAP  400000	/* probes per sampled rule (20 s at 50 us) */
#define SPORT	    40000

/* What a probe frame carries; control frames come from the allowed source. */
enum kind { K_BEFORE, K_AFTER, K_DELETED, K_STREAM };

struct probe {
	uint32_t magic;
	uint32_t rule;
	uint32_t kind;
	uint32_t seq;
	uint32_t control; /* 1: from the allowed source, ends a check */
};

struct opts {
	const char *url, *cacert, *key, *admin_key, *prefix;
	const char *ns_a, *ns_b, *ifa, *dst, *ctl_src, *out;
	uint8_t dmac[6];
	unsigned int n, offset, every, interval_us, dport;
};

struct ctx {
	struct opts o;
	int pfd, rfd;
	struct sockaddr_ll to;
	uint8_t smac[6];
	CURL *curl;
	struct curl_slist *hdr_op, *hdr_admin;
	long new_conns;
};

/* The prober thread of a sampled rule: a probe every interval until told
 * to stop; sent_ns[i] is when probe i left. */
struct stream {
	struct ctx *c;
	char src[INET_ADDRSTRLEN];
	uint32_t rule;
	uint64_t interval_ns;
	uint64_t *sent_ns;
	atomic_uint n;
	atomic_bool stop;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "bench-api: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void rule_src(unsigned int k, char *buf, size_t len)
{
	snprintf(buf, len, "10.%u.%u.%u", (unsigned char)(200 + (k >> 16)),
		 (unsigned char)(k >> 8), (unsigned char)k);
}

static int send_frame(struct ctx *c, const char *src, const struct probe *p)
{
	struct pkt_spec s = {.smac = c->smac,
			     .dmac = c->o.dmac,
			     .src = src,
			     .dst = c->o.dst,
			     .proto = 17,
			     .sport = SPORT,
			     .dport = c->o.dport,
			     .payload = p,
			     .paylen = sizeof(*p)};
	uint8_t frame[128];
	int len = pkt_build(&s, frame, sizeof(frame), NULL);

	if (len < 0)
		return len;
	return sendto(c->pfd, frame, len, 0, (struct sockaddr *)&c->to,
		      sizeof(c->to)) == len
		       ? 0
		       : -errno;
}

/* Read datagrams until the control frame of (rule, kind) arrives or 1 s
 * passes; seen() is called for every probe of the rule.  Returns 0, or
 * -ETIMEDOUT without the control frame. */
static int drain(struct ctx *c, uint32_t rule, uint32_t kind,
		 void (*seen)(const struct probe *, void *), void *arg)
{
	uint64_t end = now_ns() + 1000000000ull;
	struct pollfd pfd = {.fd = c->rfd, .events = POLLIN};
	struct probe p;

	for (;;) {
		uint64_t t = now_ns();
		ssize_t r;

		if (t >= end)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, (int)((end - t) / 1000000) + 1) < 0 &&
		    errno != EINTR)
			return -errno;
		while ((r = recv(c->rfd, &p, sizeof(p), MSG_DONTWAIT)) > 0) {
			if (r != sizeof(p) || p.magic != PROBE_MAGIC ||
			    p.rule != rule || p.kind != kind)
				continue;
			if (p.control)
				return 0;
			seen(&p, arg);
		}
	}
}

static void count_seen(const struct probe *p, void *arg)
{
	(*(int *)arg)++;
}

/* One probe from src, then a control frame: 1 if the probe reached the
 * socket in B (passed the firewall), 0 if not, -errno when the control
 * frame did not come either. */
static int check(struct ctx *c, const char *src, uint32_t rule, uint32_t kind)
{
	struct probe p = {PROBE_MAGIC, rule, kind, 0, 0};
	struct probe ctl = {PROBE_MAGIC, rule, kind, 0, 1};
	int n = 0, rc;

	rc = send_frame(c, src, &p);
	if (!rc)
		rc = send_frame(c, c->o.ctl_src, &ctl);
	if (!rc)
		rc = drain(c, rule, kind, count_seen, &n);
	return rc ? rc : n > 0;
}

static void *stream_run(void *arg)
{
	struct stream *s = arg;
	uint64_t next = now_ns();
	struct timespec ts;

	prctl(PR_SET_TIMERSLACK, 1UL);
	while (!atomic_load(&s->stop) && atomic_load(&s->n) < STREAM_CAP) {
		unsigned int i = atomic_load(&s->n);
		struct probe p = {PROBE_MAGIC, s->rule, K_STREAM, i, 0};

		s->sent_ns[i] = now_ns();
		if (send_frame(s->c, s->src, &p))
			break;
		atomic_store(&s->n, i + 1);
		next += s->interval_ns;
		ts.tv_sec = next / 1000000000ull;
		ts.tv_nsec = next % 1000000000ull;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
	return NULL;
}

static void mark_seen(const struct probe *p, void *arg)
{
	uint8_t *got = arg;

	if (p->seq < STREAM_CAP)
		got[p->seq] = 1;
}

static size_t discard(char *p, size_t sz, size_t n, void *arg)
{
	return sz * n;
}

/* One request on the kept-alive connection; returns the HTTP status or -1. */
static long request(struct ctx *c, const char *method, const char *path,
		    const char *body, struct curl_slist *hdr)
{
	char url[512];
	long code = -1, conns = 0;

	snprintf(url, sizeof(url), "%s%s", c->o.url, path);
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hdr);
	if (body) {
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
	} else {
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, NULL);
		curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
	}
	if (curl_easy_perform(c->curl) != CURLE_OK)
		return -1;
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(c->curl, CURLINFO_NUM_CONNECTS, &conns);
	c->new_conns += conns;
	return code;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[0..n), in microseconds. */
static double pct_us(const uint64_t *v, size_t n, double p)
{
	size_t k;

	if (!n)
		return 0;
	k = (size_t)(p * n + 0.999999);
	k = k ? k - 1 : 0;
	return v[k < n ? k : n - 1] / 1e3;
}

static void summary(const char *name, uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	printf(" %s_n=%zu %s_p50_us=%.0f %s_p99_us=%.0f %s_max_us=%.0f", name,
	       n, name, pct_us(v, n, 0.50), name, pct_us(v, n, 0.99), name,
	       n ? v[n - 1] / 1e3 : 0);
}

static void setns_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || setns(fd, CLONE_NEWNET))
		die(path);
	close(fd);
}

static int parse_mac(const char *s, uint8_t *mac)
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1],
		      &mac[2], &mac[3], &mac[4], &mac[5]) == 6
		       ? 0
		       : -EINVAL;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench-api -u URL -C CACERT -k OPERATOR_KEY [-K ADMIN_KEY]\n"
		"         -A NETNS_A -B NETNS_B -i IFACE_A -m DMAC -d DST_IP -P DPORT -c CTL_SRC\n"
		"         [-n RULES] [-o OFFSET] [-p ID_PREFIX] [-e EVERY] [-I INTERVAL_US] [-w FILE]\n"
		"POSTs RULES deny rules (source 10.200+.x.y/32, one per rule) over one\n"
		"keep-alive connection; before and after each, a probe frame from the\n"
		"rule's source (IFACE_A in NETNS_A to DST_IP:DPORT, a socket in NETNS_B)\n"
		"and a control frame from CTL_SRC show whether the firewall drops it.\n"
		"With ADMIN_KEY each rule is deleted again (the set stays the same size)\n"
		"and the source must pass again.  Every EVERY-th rule (0: none) a prober\n"
		"sends a frame every INTERVAL_US (50) during the POST: the first dropped\n"
		"one dates the enforcement independently of the reply.\n"
		"Prints one line of key=value; exit 1 on any failed check.\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct ctx c = {.o = {.prefix = "bench", .n = 1000, .interval_us = 50}};
	struct opts *o = &c.o;
	uint64_t *rtt, *enf, *del;
	size_t nrtt = 0, nenf = 0, ndel = 0;
	unsigned int before_pass = 0, after_drop = 0, del_pass = 0;
	unsigned int bad_status = 0, bad_check = 0, late = 0, early = 0;
	unsigned int unenforced = 0, holes = 0;
	uint8_t *got;
	struct stream st = {.c = &c};
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct ifreq ifr = {0};
	char hdr[300];
	FILE *out = NULL;
	int opt, rbuf = 64 << 20, s;

	while ((opt = getopt(argc, argv,
			     "u:C:k:K:A:B:i:m:d:P:c:n:o:p:e:I:w:")) != -1) {
		switch (opt) {
		case 'u':
			o->url = optarg;
			break;
		case 'C':
			o->cacert = optarg;
			break;
		case 'k':
			o->key = optarg;
			break;
		case 'K':
			o->admin_key = optarg;
			break;
		case 'A':
			o->ns_a = optarg;
			break;
		case 'B':
			o->ns_b = optarg;
			break;
		case 'i':
			o->ifa = optarg;
			break;
		case 'm':
			if (parse_mac(optarg, o->dmac))
				usage();
			break;
		case 'd':
			o->dst = optarg;
			break;
		case 'P':
			o->dport = atoi(optarg);
			break;
		case 'c':
			o->ctl_src = optarg;
			break;
		case 'n':
			o->n = atoi(optarg);
			break;
		case 'o':
			o->offset = atoi(optarg);
			break;
		case 'p':
			o->prefix = optarg;
			break;
		case 'e':
			o->every = atoi(optarg);
			break;
		case 'I':
			o->interval_us = atoi(optarg);
			break;
		case 'w':
			o->out = optarg;
			break;
		default:
			usage();
		}
	}
	if (!o->url || !o->cacert || !o->key || !o->ns_a || !o->ns_b ||
	    !o->ifa || !o->dst || !o->dport || !o->ctl_src || !o->n ||
	    !o->interval_us || o->offset + o->n >= (56u << 16))
		usage();

	/* the frame socket lives in A, the receiver and the connection in B */
	setns_path(o->ns_a);
	c.pfd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (c.pfd < 0)
		die("AF_PACKET socket");
	c.to.sll_family = AF_PACKET;
	c.to.sll_ifindex = if_nametoindex(o->ifa);
	c.to.sll_halen = 6;
	memcpy(c.to.sll_addr, o->dmac, 6);
	if (!c.to.sll_ifindex)
		die(o->ifa);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", o->ifa);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || ioctl(s, SIOCGIFHWADDR, &ifr))
		die("the MAC address of IFACE_A");
	memcpy(c.smac, ifr.ifr_hwaddr.sa_data, 6);
	close(s);

	setns_path(o->ns_b);
	c.rfd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	sin.sin_port = htons(o->dport);
	if (c.rfd < 0 || inet_pton(AF_INET, o->dst, &sin.sin_addr) != 1 ||
	    bind(c.rfd, (struct sockaddr *)&sin, sizeof(sin)))
		die("the receiver in B");
	if (setsockopt(c.rfd, SOL_SOCKET, SO_RCVBUFFORCE, &rbuf, sizeof(rbuf)))
		die("SO_RCVBUFFORCE");

	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return 1;
	c.curl = curl_easy_init();
	if (!c.curl)
		return 1;
	curl_easy_setopt(c.curl, CURLOPT_CAINFO, o->cacert);
	curl_easy_setopt(c.curl, CURLOPT_HTTP_VERSION,
			 (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(c.curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c.curl, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c.curl, CURLOPT_TCP_NODELAY, 1L);
	snprintf(hdr, sizeof(hdr), "X-API-Key: %s", o->key);
	c.hdr_op = curl_slist_append(NULL, hdr);
	c.hdr_op =
		curl_slist_append(c.hdr_op, "Content-Type: application/json");
	if (o->admin_key) {
		snprintf(hdr, sizeof(hdr), "X-API-Key: %s", o->admin_key);
		c.hdr_admin = curl_slist_append(NULL, hdr);
	}
	rtt = calloc(o->n, sizeof(*rtt));
	enf = calloc(o->n, sizeof(*enf));
	del = calloc(o->n, sizeof(*del));
	got = malloc(STREAM_CAP);
	st.sent_ns = calloc(STREAM_CAP, sizeof(*st.sent_ns));
	if (!rtt || !enf || !del || !got || !st.sent_ns)
		die("memory");
	if (o->out && !(out = fopen(o->out, "w")))
		die(o->out);
	if (out)
		fprintf(out, "# rule rtt_us enforced_us delete_us\n");
	st.interval_ns = o->interval_us * 1000ull;
	/* the connection (and its TLS handshake) before the clock starts */
	if (request(&c, "GET", "/healthz", NULL, c.hdr_op) != 200) {
		fprintf(stderr, "bench-api: GET /healthz failed\n");
		return 1;
	}
	c.new_conns = 0;

	for (unsigned int i = 0; i < o->n; i++) {
		unsigned int k = o->offset + i + 1;
		bool sampled = o->every && i % o->every == 0;
		char src[INET_ADDRSTRLEN], body[256], path[128];
		uint64_t t0, t1, e = 0, d = 0, p = 0;
		pthread_t th;
		long code;
		int r;

		rule_src(k, src, sizeof(src));
		r = check(&c, src, k, K_BEFORE);
		if (r == 1)
			before_pass++;
		else
			bad_check++;
		snprintf(
			body, sizeof(body),
			"{\"id\":\"%s-%u\",\"priority\":100,\"action\":\"deny\",\"src_ip\":\"%s/32\"}",
			o->prefix, k, src);
		if (sampled) {
			snprintf(st.src, sizeof(st.src), "%s", src);
			st.rule = k;
			atomic_store(&st.n, 0);
			atomic_store(&st.stop, false);
			if (pthread_create(&th, NULL, stream_run, &st))
				die("pthread_create");
			while (atomic_load(&st.n) < 3)
				usleep(20);
		}
		t0 = now_ns();
		code = request(&c, "POST", "/api/v1/firewall/rules", body,
			       c.hdr_op);
		t1 = now_ns();
		if (sampled) {
			unsigned int n, last = UINT32_MAX;
			struct probe ctl = {PROBE_MAGIC, k, K_STREAM, 0, 1};

			usleep(3000); /* probes after the reply: all dropped */
			atomic_store(&st.stop, true);
			pthread_join(th, NULL);
			n = atomic_load(&st.n);
			memset(got, 0, n);
			if (send_frame(&c, o->ctl_src, &ctl) ||
			    drain(&c, k, K_STREAM, mark_seen, got))
				bad_check++;
			for (unsigned int j = 0; j < n; j++)
				if (got[j])
					last = j;
			for (unsigned int j = 0; last != UINT32_MAX && j < last;
			     j++)
				holes += !got[j];
			if (last == UINT32_MAX) {
				early++; /* not even the probes before */
			} else if (last + 1 >= n) {
				unenforced++;
			} else if (st.sent_ns[last] > t1) {
				late++; /* passed after the 201 */
			} else if (st.sent_ns[last + 1] < t0) {
				early++;
			} else {
				e = st.sent_ns[last + 1] - t0;
				enf[nenf++] = e;
			}
		}
		if (code != 201) {
			bad_status++;
			fprintf(stderr, "bench-api: POST %s-%u: status %ld\n",
				o->prefix, k, code);
		} else {
			p = t1 - t0;
			rtt[nrtt++] = p;
		}
		r = check(&c, src, k, K_AFTER);
		if (r == 0)
			after_drop++;
		else
			bad_check++;
		if (c.hdr_admin) {
			snprintf(path, sizeof(path),
				 "/api/v1/firewall/rules/%s-%u", o->prefix, k);
			t0 = now_ns();
			code = request(&c, "DELETE", path, NULL, c.hdr_admin);
			d = now_ns() - t0;
			if (code != 200) {
				bad_status++;
				fprintf(stderr,
					"bench-api: DELETE %s: status %ld\n",
					path, code);
			} else {
				del[ndel++] = d;
			}
			r = check(&c, src, k, K_DELETED);
			if (r == 1)
				del_pass++;
			else
				bad_check++;
		}
		if (out)
			fprintf(out, "%u %.1f %.1f %.1f\n", k, p / 1e3, e / 1e3,
				d / 1e3);
	}
	printf("posts=%u created=%zu before_pass=%u after_drop=%u deleted=%zu del_pass=%u bad_status=%u bad_check=%u new_conns=%ld",
	       o->n, nrtt, before_pass, after_drop, ndel, del_pass, bad_status,
	       bad_check, c.new_conns);
	summary("rtt", rtt, nrtt);
	summary("enf", enf, nenf);
	summary("del", del, ndel);
	printf(" enf_late=%u enf_early=%u enf_unenforced=%u enf_holes=%u\n",
	       late, early, unenforced, holes);
	if (out)
		fclose(out);
	curl_easy_cleanup(c.curl);
	curl_slist_free_all(c.hdr_op);
	curl_slist_free_all(c.hdr_admin);
	curl_global_cleanup();
	return bad_status || bad_check || late || early || unenforced ||
			       (o->every && !nenf)
		       ? 1
		       : 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/* sentinel-dp: the privileged data-plane daemon (BPF programs, maps, links). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <libgen.h>
#include <linux/magic.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cap-ng.h>
#include <nng/nng.h>
#include <nng/protocol/pipeline0/push.h>
#include <nng/protocol/reqrep0/rep.h>

#include "control_fb.h"
#include "dp.h"
#include "dp_cmd.h"
#include "dp_events.h"
#include "fb.h"
#include "ifmgr.h"
#include "log.h"
#include "nng_errno.h"

#define DEFAULT_PIN_DIR	  "/sys/fs/bpf/sentinel"
#define DEFAULT_SOCK_DIR  "/run/sentinel"
#define DEFAULT_USER	  "sentinel"
#define MAX_PATTERNS	  64
#define MAX_USERS	  8
#define SWEEP_INTERVAL_S  10
#define RESYNC_INTERVAL_S 30
#define DP_MAX_PEERS	  16 /* control connections */
#define EV_SENDBUF	  64 /* batches queued towards a slow subscriber */

struct opts {
	const char *patterns[MAX_PATTERNS];
	size_t npatterns;
	const char *mode;
	const char *pin_dir;
	const char *sock_dir;
	const char *users[MAX_USERS];
	size_t nusers;
	const char *group;
	int log_level;
	bool uninstall;
};

/* Peers allowed on the sockets; read by nng's threads. */
static uid_t allowed_uids[MAX_USERS];
static size_t nallowed;
static atomic_ulong refused_peers;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sentinel-dp -i PATTERN [-i PATTERN...] [options]\n"
		"       sentinel-dp uninstall [--bpffs DIR] [--socket-dir DIR]\n"
		"\n"
		"  -i, --interface PATTERN  interface name or glob (eth*); !PATTERN excludes\n"
		"  -m, --xdp-mode MODE      auto (native, else generic), native or generic\n"
		"  -b, --bpffs DIR          pin directory (default " DEFAULT_PIN_DIR
		")\n"
		"  -s, --socket-dir DIR     socket directory (default " DEFAULT_SOCK_DIR
		")\n"
		"  -u, --cp-user USER       user allowed on the sockets (repeatable;\n"
		"                           default " DEFAULT_USER ")\n"
		"  -g, --group GROUP        group of the socket directory (default: the\n"
		"                           first cp user's primary group)\n"
		"  -l, --log-level LEVEL    error, warning, info (default), debug\n"
		"  -V, --version\n"
		"\n"
		"uninstall detaches every link and removes every pin and socket\n"
		"sentinel-dp created; while it runs, the firewall stays enforced\n"
		"even if the daemon is killed.\n");
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{"interface", required_argument, NULL, 'i'},
		{"xdp-mode", required_argument, NULL, 'm'},
		{"bpffs", required_argument, NULL, 'b'},
		{"socket-dir", required_argument, NULL, 's'},
		{"cp-user", required_argument, NULL, 'u'},
		{"group", required_argument, NULL, 'g'},
		{"log-level", required_argument, NULL, 'l'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	int c;

	*o = (struct opts){
		.pin_dir = DEFAULT_PIN_DIR,
		.sock_dir = DEFAULT_SOCK_DIR,
		.log_level = LOG_INFO,
	};
	if (argc > 1 && !strcmp(argv[1], "uninstall")) {
		o->uninstall = true;
		argv++;
		argc--;
	}
	while ((c = getopt_long(argc, argv, "i:m:b:s:u:g:l:Vh", lo, NULL)) !=
	       -1) {
		switch (c) {
		case 'i':
			if (o->npatterns == MAX_PATTERNS) {
				fprintf(stderr,
					"sentinel-dp: at most %d --interface patterns\n",
					MAX_PATTERNS);
				return -E2BIG;
			}
			o->patterns[o->npatterns++] = optarg;
			break;
		case 'm':
			if (strcmp(optarg, "auto") &&
			    strcmp(optarg, "native") &&
			    strcmp(optarg, "generic")) {
				fprintf(stderr,
					"sentinel-dp: --xdp-mode: '%s' is not auto, native or generic\n",
					optarg);
				return -EINVAL;
			}
			o->mode = strcmp(optarg, "auto") ? optarg : NULL;
			break;
		case 'b':
			o->pin_dir = optarg;
			break;
		case 's':
			o->sock_dir = optarg;
			break;
		case 'u':
			if (o->nusers == MAX_USERS) {
				fprintf(stderr,
					"sentinel-dp: at most %d --cp-user\n",
					MAX_USERS);
				return -E2BIG;
			}
			o->users[o->nusers++] = optarg;
			break;
		case 'g':
			o->group = optarg;
			break;
		case 'l':
			o->log_level = log_level_parse(optarg);
			if (o->log_level < 0) {
				fprintf(stderr,
					"sentinel-dp: --log-level: '%s' is not error, warning, info or debug\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 'V':
			printf("sentinel-dp %s\n", SENTINEL_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sentinel-dp: unexpected argument '%s'\n",
			argv[optind]);
		return -EINVAL;
	}
	if (!o->uninstall && !o->npatterns) {
		fprintf(stderr,
			"sentinel-dp: at least one --interface is required\n");
		usage(stderr);
		return -EINVAL;
	}
	if (!o->nusers)
		o->users[o->nusers++] = DEFAULT_USER;
	return 0;
}

/* A user name or a numeric uid. */
static int lookup_user(const char *s, uid_t *ret_uid, gid_t *ret_gid)
{
	struct passwd *pw = getpwnam(s);
	char *end;
	unsigned long v;

	if (pw) {
		*ret_uid = pw->pw_uid;
		*ret_gid = pw->pw_gid;
		return 0;
	}
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s && !*end && !errno && v < UINT_MAX) {
		*ret_uid = v;
		pw = getpwuid(v);
		*ret_gid = pw ? pw->pw_gid : (gid_t)v;
		return 0;
	}
	return -ENOENT;
}

static int lookup_group(const char *s, gid_t *ret)
{
	struct group *gr = getgrnam(s);
	char *end;
	unsigned long v;

	if (gr) {
		*ret = gr->gr_gid;
		return 0;
	}
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s && !*end && !errno && v < UINT_MAX) {
		*ret = v;
		return 0;
	}
	return -ENOENT;
}

/* ---- the socket directory ---- */

static int sock_path(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/*
 * root:gid 02750, a real directory owned by root (not a symlink or a
 * directory someone else planted), its parent not writable by others.  The
 * setgid bit gives the sockets created in it the group, so no chown is
 * needed after capabilities are dropped.  Changes go through the opened
 * descriptor: no window between checking and changing.
 */
static int sock_dir_prepare(const char *dir, gid_t gid)
{
	char parent[PATH_MAX];
	struct stat st;
	int fd, err = 0;

	if (snprintf(parent, sizeof(parent), "%s", dir) >= (int)sizeof(parent))
		return -ENAMETOOLONG;
	if (stat(dirname(parent), &st))
		return -errno;
	if ((st.st_mode & 0022) && !(st.st_mode & S_ISVTX))
		return -EPERM; /* a parent others may write to */
	if (mkdir(dir, 0750) && errno != EEXIST)
		return -errno;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st))
		err = -errno;
	else if (st.st_uid != 0)
		err = -EPERM;
	/* only what is wrong: a sandbox may forbid setting setgid bits
	 * (RestrictSUIDSGID) once the directory is right */
	else if (st.st_gid != gid && fchown(fd, 0, gid))
		err = -errno;
	else if ((st.st_mode & 07777) != 02750 && fchmod(fd, 02750))
		err = -errno;
	close(fd);
	return err;
}

/* One sentinel-dp per socket directory; the lock dies with the process. */
static int lock_take(const char *dir, int *ret_fd)
{
	char path[PATH_MAX];
	int fd, err;

	err = sock_path(path, sizeof(path), dir, "dp.lock");
	if (err)
		return err;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		close(fd);
		return err;
	}
	*ret_fd = fd;
	return 0;
}

static bool uid_allowed(uint64_t uid)
{
	for (size_t i = 0; i < nallowed; i++)
		if (allowed_uids[i] == uid)
			return true;
	return false;
}

/* The connections a socket accepts: only allowed uids, at most max. */
struct peer_set {
	const char *what;
	size_t max;
	pthread_mutex_t lock;
	uint32_t ids[DP_MAX_PEERS];
	size_t n;
	int limit; /* log rate limit state, under lock */
	/* refused connections still open (never closed from this side) */
	_Atomic unsigned int refused_open;
};

static struct peer_set ctl_peers = {.what = "control",
				    .max = DP_MAX_PEERS,
				    .lock = PTHREAD_MUTEX_INITIALIZER};
/* Subscribers of the allowed uids: normally one, sentinel-cp; more share the
 * batches (logged).  A subscriber refused (another uid) is never closed from
 * this side (see peer_event): while one is open the pump sends nothing, so
 * push0 gives it no batch.  Refusing a second allowed subscriber would
 * strand sentinel-cp when it reconnects before its old connection is gone. */
static struct peer_set ev_peers = {.what = "events",
				   .max = DP_MAX_PEERS,
				   .lock = PTHREAD_MUTEX_INITIALIZER};

static bool peer_known(struct peer_set *ps, uint32_t id)
{
	bool known = false;

	pthread_mutex_lock(&ps->lock);
	for (size_t i = 0; i < ps->n && !known; i++)
		known = ps->ids[i] == id;
	pthread_mutex_unlock(&ps->lock);
	return known;
}

/*
 * Runs on nng's threads: SO_PEERCRED check and the connection bound before
 * a connection joins; bookkeeping when one goes.  A refused connection is
 * not closed: its requests are dropped (serve_one) and it goes when its peer
 * gives up.  nng 1.5's epoll thread can spin on the hang-up of a connection
 * closed from this side and then serve no connection again (seen within
 * tens of refusals, closed at once or later), so this side never closes.
 */
static void peer_event(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	struct peer_set *ps = arg;
	uint32_t id = nng_pipe_id(p);
	uint64_t uid = UINT64_MAX;
	const char *why = NULL;
	int rv;

	pthread_mutex_lock(&ps->lock);
	if (ev == NNG_PIPE_EV_REM_POST) {
		bool accepted = false;

		for (size_t i = 0; i < ps->n && !accepted; i++)
			if (ps->ids[i] == id) {
				ps->ids[i] = ps->ids[--ps->n];
				accepted = true;
			}
		if (!accepted && atomic_load(&ps->refused_open))
			atomic_fetch_sub(&ps->refused_open, 1);
		pthread_mutex_unlock(&ps->lock);
		return;
	}
	rv = nng_pipe_get_uint64(p, NNG_OPT_IPC_PEER_UID, &uid);
	if (rv || !uid_allowed(uid))
		why = "uid not allowed";
	else if (ps->n >= ps->max)
		why = "too many connections";
	else
		ps->ids[ps->n++] = id;
	if (!why && ps == &ev_peers && ps->n > 1)
		log_limited(
			&ps->limit, LOG_WARNING,
			"%zu event subscribers: each gets only a share of the batches",
			ps->n);
	if (why) {
		atomic_fetch_add(&refused_peers, 1);
		atomic_fetch_add(&ps->refused_open, 1);
		log_limited(
			&ps->limit, LOG_WARNING,
			"refused a connection on the %s socket from uid %lld: %s",
			ps->what, rv ? -1LL : (long long)uid, why);
	}
	pthread_mutex_unlock(&ps->lock);
}

static int listen_ipc(nng_socket s, const char *dir, const char *name,
		      struct peer_set *ps)
{
	char path[PATH_MAX], url[PATH_MAX + 8];
	nng_listener l;
	int rv, err;

	err = sock_path(path, sizeof(path), dir, name);
	if (err)
		return err;
	snprintf(url, sizeof(url), "ipc://%s", path);
	unlink(path); /* stale from a killed instance; the lock says none runs */
	rv = nng_pipe_notify(s, NNG_PIPE_EV_ADD_PRE, peer_event, ps);
	if (!rv)
		rv = nng_pipe_notify(s, NNG_PIPE_EV_REM_POST, peer_event, ps);
	if (!rv)
		rv = nng_listener_create(&l, s, url);
	if (!rv)
		rv = nng_listener_set_int(l, NNG_OPT_IPC_PERMISSIONS, 0660);
	if (!rv)
		rv = nng_listener_start(l, 0);
	if (rv)
		return nng_errno(rv);
	return 0;
}

/* ---- privileges ---- */

/*
 * Keep CAP_BPF (maps, programs, links), CAP_NET_ADMIN (XDP attach, netlink)
 * and CAP_PERFMON (what the verifier lets privileged programs do; uprobes
 * later).  Everything else goes, from the bounding set too, and no exec can
 * regain anything.
 */
static int drop_caps(void)
{
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_updatev(CAPNG_ADD,
			  CAPNG_EFFECTIVE | CAPNG_PERMITTED |
				  CAPNG_BOUNDING_SET,
			  CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON, -1))
		return -EINVAL;
	if (capng_apply(CAPNG_SELECT_BOTH))
		return -EPERM;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	return 0;
}

/* ---- uninstall ---- */

static int uninstall(const struct opts *o)
{
	static const char *const socks[] = {"ctl.sock", "events.sock",
					    "dp.lock"};
	char path[PATH_MAX];
	struct dirent *de;
	int lock = -1, err;
	DIR *d;

	err = lock_take(o->sock_dir, &lock);
	if (err == -EBUSY) {
		fprintf(stderr,
			"sentinel-dp: uninstall: sentinel-dp is running (%s/dp.lock is held); stop it first\n",
			o->sock_dir);
		return err;
	}
	err = ifmgr_detach_all(o->pin_dir);
	if (err < 0 && err != -ENOENT)
		fprintf(stderr, "sentinel-dp: uninstall: detaching links: %s\n",
			strerror(-err));
	d = opendir(o->pin_dir);
	if (d) {
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			if (!sock_path(path, sizeof(path), o->pin_dir,
				       de->d_name))
				unlink(path);
		}
		closedir(d);
		if (rmdir(o->pin_dir))
			fprintf(stderr, "sentinel-dp: uninstall: %s: %s\n",
				o->pin_dir, strerror(errno));
	}
	for (size_t i = 0; i < sizeof(socks) / sizeof(socks[0]); i++)
		if (!sock_path(path, sizeof(path), o->sock_dir, socks[i]))
			unlink(path);
	rmdir(o->sock_dir);
	if (lock >= 0)
		close(lock);
	printf("sentinel-dp: uninstalled: links detached, %s and %s removed\n",
	       o->pin_dir, o->sock_dir);
	return 0;
}

/* ---- adopting per-interface settings left in the kernel ---- */

static void ifpol_adopt(struct dp *dp)
{
	__u32 key, *prev = NULL;
	struct fw_if_settings s;
	char name[IF_NAMESIZE];

	while (dp->nifpol < DP_MAX_IFSET &&
	       bpf_map_get_next_key(dp->maps.ifset, prev, &key) == 0) {
		prev = &key;
		if (bpf_map_lookup_elem(dp->maps.ifset, &key, &s) ||
		    !if_indextoname(key, name))
			continue;
		struct dp_ifset *p = &dp->ifpol[dp->nifpol++];

		snprintf(p->name, sizeof(p->name), "%s", name);
		p->policy = s.default_policy == FW_POLICY_INHERIT
				    ? -1
				    : s.default_policy;
		p->dry_run = s.dry_run;
	}
}

/* ---- the control loop ---- */

static void serve_one(struct dp *dp, nng_socket ctl, nng_msg *req,
		      struct fb_builder *b)
{
	struct dp_cmd cmd;
	struct dp_err err;
	const void *data;
	nng_msg *rep;
	size_t len;
	int rc, rv;

	if (!peer_known(&ctl_peers, nng_pipe_id(nng_msg_get_pipe(req)))) {
		nng_msg_free(req); /* a refused peer's: no answer */
		return;
	}
	/* the verifier and readers take any start address (packed structs) */
	rc = dp_cmd_decode(nng_msg_body(req), nng_msg_len(req), &cmd, &err);
	if (rc) {
		static int limit;

		log_limited(&limit, LOG_NOTICE, "request refused: %s%s%s",
			    err.field, err.field[0] ? ": " : "", err.msg);
		rc = dp_reply_error(b, cmd.id, &err);
	} else {
		log_msg(LOG_DEBUG, "request %llu: %s",
			(unsigned long long)cmd.id,
			sentinel_Command_name(cmd.kind));
		rc = dp_exec(dp, &cmd, b);
		dp_cmd_clear(&cmd);
	}
	nng_msg_free(req);
	if (rc || !(data = fb_builder_data(b, &len))) {
		log_msg(LOG_ERR, "could not build a reply: %s",
			strerror(rc ? -rc : EIO));
		return;
	}
	if (nng_msg_alloc(&rep, len))
		return;
	memcpy(nng_msg_body(rep), data, len);
	/* blocking, bounded by the socket's send timeout: a non-blocking send
	 * fails whenever the pipe is still busy with the previous reply, and
	 * the peer would wait out its whole timeout for nothing */
	rv = nng_sendmsg(ctl, rep, 0);
	if (rv) {
		static int limit;

		nng_msg_free(rep);
		log_limited(
			&limit, LOG_WARNING,
			"a reply could not be sent within the send timeout (peer not reading?): %s",
			nng_strerror(rv));
	}
}

static volatile sig_atomic_t stopping;

static int run(struct dp *dp, nng_socket ctl)
{
	struct pollfd pfd[4];
	struct fb_builder b;
	struct itimerspec its = {{SWEEP_INTERVAL_S, 0}, {SWEEP_INTERVAL_S, 0}};
	sigset_t mask;
	int recvfd, sigfd, tfd, rv;
	unsigned long tick = 0;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	rv = nng_socket_get_int(ctl, NNG_OPT_RECVFD, &recvfd);
	if (sigfd < 0 || tfd < 0 || rv || timerfd_settime(tfd, 0, &its, NULL))
		return -EIO;
	fb_builder_init(&b);
	pfd[0] = (struct pollfd){.fd = recvfd, .events = POLLIN};
	pfd[1] = (struct pollfd){.fd = ifmgr_fd(dp->im), .events = POLLIN};
	pfd[2] = (struct pollfd){.fd = sigfd, .events = POLLIN};
	pfd[3] = (struct pollfd){.fd = tfd, .events = POLLIN};

	while (!stopping) {
		if (poll(pfd, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents) {
			nng_msg *req;

			/* a bounded number per round: link events and
			 * signals are not starved by a busy peer */
			for (int n = 0;
			     n < 32 &&
			     nng_recvmsg(ctl, &req, NNG_FLAG_NONBLOCK) == 0;
			     n++)
				serve_one(dp, ctl, req, &b);
		}
		if (pfd[1].revents) {
			int err = ifmgr_process(dp->im);

			if (err < 0)
				log_msg(LOG_WARNING, "interface events: %s",
					strerror(-err));
		}
		if (pfd[2].revents) {
			struct signalfd_siginfo si;

			while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					log_msg(LOG_INFO,
						"SIGHUP: resynchronising interfaces");
					ifmgr_sync(dp->im);
				} else {
					log_msg(LOG_INFO,
						"signal %u: stopping; the firewall stays enforced",
						si.ssi_signo);
					stopping = 1;
				}
			}
		}
		if (pfd[3].revents) {
			uint64_t ticks;
			size_t removed = 0;

			if (read(tfd, &ticks, sizeof(ticks)) <= 0)
				continue;
			if (bs_sweep(&dp->maps, &removed) == 0 && removed)
				log_msg(LOG_INFO,
					"block sets: %zu expired entries removed",
					removed);
			/* no netlink event says a link was detached from
			 * outside or a foreign program went away */
			if (++tick % (RESYNC_INTERVAL_S / SWEEP_INTERVAL_S) ==
			    0)
				ifmgr_sync(dp->im);
		}
	}
	fb_builder_free(&b);
	close(sigfd);
	close(tfd);
	return 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int libbpf_log(enum libbpf_print_level level, const char *fmt,
		      va_list ap)
{
	char line[1024];
	int n;

	/* one level lower than libbpf's own: its warnings are our notices */
	if (level == LIBBPF_DEBUG)
		return 0;
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n > 0 && line[n - 1 < (int)sizeof(line) - 1 ? n - 1 : 0] == '\n')
		line[strcspn(line, "\n")] = '\0';
	log_msg(level == LIBBPF_WARN ? LOG_NOTICE : LOG_DEBUG, "libbpf: %s",
		line);
	return 0;
}

static void ifmgr_log(void *ctx, int level, const char *msg)
{
	log_msg(level, "%s", msg);
}

int main(int argc, char **argv)
{
	struct dp dp = {.start_ns = mono_ns()};
	nng_socket ctl = NNG_SOCKET_INITIALIZER, evs = NNG_SOCKET_INITIALIZER;
	struct ifmgr_ops ops = {.log = ifmgr_log,
				.on_change = dp_links_changed};
	char path[PATH_MAX], err[256];
	struct opts o;
	struct statfs sfs;
	gid_t gid = 0, ugid;
	int lock = -1, rc;

	/* a rule set's compilation allocates its tables anew each time:
	 * served from the heap rather than fresh mmap()s, no page faults
	 * (10,000 rules: 2.6 -> 1.2 ms); up to 128 MiB stays in the heap */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 128 << 20);
	rc = parse_args(argc, argv, &o);
	if (rc)
		return 2;
	log_init("sentinel-dp", o.log_level);
	libbpf_set_print(libbpf_log);
	signal(SIGPIPE, SIG_IGN);
	umask(0077);
	if (o.uninstall)
		return uninstall(&o) ? 1 : 0;

	for (size_t i = 0; i < o.nusers; i++) {
		if (lookup_user(o.users[i], &allowed_uids[i], &ugid)) {
			log_msg(LOG_ERR, "--cp-user %s: no such user",
				o.users[i]);
			return 1;
		}
		if (i == 0)
			gid = ugid;
	}
	nallowed = o.nusers;
	if (o.group && lookup_group(o.group, &gid)) {
		log_msg(LOG_ERR, "--group %s: no such group", o.group);
		return 1;
	}

	/* before any thread exists: every thread inherits the blocked
	 * signals (they go to the signalfd) and the dropped capabilities */
	{
		sigset_t mask;

		sigemptyset(&mask);
		sigaddset(&mask, SIGTERM);
		sigaddset(&mask, SIGINT);
		sigaddset(&mask, SIGHUP);
		sigprocmask(SIG_BLOCK, &mask, NULL);
	}
	rc = sock_dir_prepare(o.sock_dir, gid);
	if (rc) {
		log_msg(LOG_ERR, "socket directory %s: %s", o.sock_dir,
			strerror(-rc));
		return 1;
	}
	rc = lock_take(o.sock_dir, &lock);
	if (rc) {
		log_msg(LOG_ERR, "%s/dp.lock: %s", o.sock_dir,
			rc == -EBUSY ? "another sentinel-dp is running"
				     : strerror(-rc));
		return 1;
	}

	rc = drop_caps();
	if (rc) {
		log_msg(LOG_ERR, "dropping capabilities: %s", strerror(-rc));
		return 1;
	}

	dp.pin_dir = o.pin_dir;
	snprintf(path, sizeof(path), "%s/fw_set", o.pin_dir);
	dp.adopted = access(path, F_OK) == 0;
	rc = fw_load(o.pin_dir, &dp.skel, &dp.maps);
	if (rc) {
		log_msg(LOG_ERR, "loading the firewall into %s: %s", o.pin_dir,
			strerror(-rc));
		return 1;
	}
	if (statfs(o.pin_dir, &sfs) || sfs.f_type != BPF_FS_MAGIC) {
		log_msg(LOG_ERR,
			"%s is not on a bpf file system (mount -t bpf bpf /sys/fs/bpf)",
			o.pin_dir);
		goto fail;
	}
	if (dp.adopted)
		ifpol_adopt(&dp);

	rc = ifmgr_new(&dp.maps, o.pin_dir, o.patterns, o.npatterns, o.mode,
		       &ops, &dp, &dp.im, err, sizeof(err));
	if (rc) {
		log_msg(LOG_ERR, "interfaces: %s", err);
		goto fail;
	}
	rc = ifmgr_sync(dp.im);
	if (rc < 0)
		log_msg(LOG_WARNING, "interfaces: first synchronisation: %s",
			strerror(-rc));

	rc = nng_rep0_open(&ctl);
	if (!rc)
		rc = nng_socket_set_size(ctl, NNG_OPT_RECVMAXSZ,
					 DP_MAX_REQUEST);
	/* a peer that does not read its replies cannot hold the loop */
	if (!rc)
		rc = nng_socket_set_ms(ctl, NNG_OPT_SENDTIMEO, 1000);
	if (!rc)
		rc = nng_push0_open(&evs);
	if (!rc)
		rc = nng_socket_set_int(evs, NNG_OPT_SENDBUF, EV_SENDBUF);
	if (rc) {
		log_msg(LOG_ERR, "channels: %s", nng_strerror(rc));
		goto fail;
	}
	rc = listen_ipc(ctl, o.sock_dir, "ctl.sock", &ctl_peers);
	if (!rc)
		rc = listen_ipc(evs, o.sock_dir, "events.sock", &ev_peers);
	if (rc) {
		log_msg(LOG_ERR, "listening in %s: %s", o.sock_dir,
			strerror(-rc));
		goto fail;
	}

	rc = dp_events_start(&dp.maps, evs, &ev_peers.refused_open, &dp.ev);
	if (rc) {
		log_msg(LOG_ERR, "event pump: %s", strerror(-rc));
		goto fail;
	}

	{
		size_t natt = ifmgr_list(dp.im, NULL, 0);

		log_msg(LOG_INFO,
			"ready: %s pinned state, %zu interfaces attached, sockets in %s",
			dp.adopted ? "adopted" : "fresh", natt, o.sock_dir);
	}
	sd_notify_state("READY=1\nSTATUS=enforcing");
	rc = run(&dp, ctl);
	sd_notify_state("STOPPING=1");

	dp_events_stop(dp.ev);
	nng_close(evs);
	nng_close(ctl);
	if (!sock_path(path, sizeof(path), o.sock_dir, "ctl.sock"))
		unlink(path);
	if (!sock_path(path, sizeof(path), o.sock_dir, "events.sock"))
		unlink(path);
	ifmgr_free(dp.im);
	free(dp.rules);
	fw_maps_cache_free(&dp.maps);
	fw_unload(dp.skel);
	close(lock);
	return rc ? 1 : 0;
fail:
	dp_events_stop(dp.ev);
	nng_close(evs);
	nng_close(ctl);
	ifmgr_free(dp.im);
	fw_maps_cache_free(&dp.maps);
	fw_unload(dp.skel);
	close(lock);
	return 1;
}

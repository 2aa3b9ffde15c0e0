// SPDX-License-Identifier: GPL-2.0-only
/* Logging for both daemons, and a minimal sd_notify. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char *log_ident = "sentinel";
static int log_max = LOG_INFO;
static bool log_journal;

static const char *const names[] = {
	[LOG_EMERG] = "emerg",	   [LOG_ALERT] = "alert",
	[LOG_CRIT] = "crit",	   [LOG_ERR] = "error",
	[LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info",	   [LOG_DEBUG] = "debug",
};

/* JOURNAL_STREAM is "dev:inode" of the stream systemd connected stderr to. */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return false;
	return fstat(STDERR_FILENO, &st) == 0 && st.st_dev == dev &&
	       st.st_ino == ino;
}

void log_init(const char *ident, int max_level)
{
	log_ident = ident;
	log_max = max_level;
	log_journal = stderr_is_journal();
}

int log_level_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i]))
			return (int)i;
	if (!strcmp(s, "warn"))
		return LOG_WARNING;
	return -1;
}

static void vlog(int level, const char *fmt, va_list ap)
{
	char line[1024];

	if (level > log_max)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (log_journal)
		fprintf(stderr, "<%d>%s\n", level, line);
	else
		fprintf(stderr, "%s: %s: %s\n", log_ident, names[level & 7],
			line);
}

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

/* key_state packs the second (low bits) and the count within it; callers
 * on several threads share it, so it changes only by compare-and-swap. */
void log_limited(int *key_state, int level, const char *fmt, ...)
{
	int now = (int)(time(NULL) & 0xfffff), burst = 5, cur, next;
	va_list ap;

	cur = __atomic_load_n(key_state, __ATOMIC_RELAXED);
	do {
		next = (cur & 0xfffff) != now ? now : cur;
		if ((next >> 20) >= burst)
			return;
		next += 1 << 20;
	} while (!__atomic_compare_exchange_n(key_state, &cur, next, false,
					      __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

int sd_notify_state(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	socklen_t salen;
	size_t plen;
	int fd, rc = 0;

	if (!path || !*path)
		return 0;
	plen = strlen(path);
	if (plen >= sizeof(sa.sun_path) || (path[0] != '/' && path[0] != '@'))
		return -EINVAL;
	memcpy(sa.sun_path, path, plen);
	if (path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract socket */
	salen = offsetof(struct sockaddr_un, sun_path) + plen;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (void *)&sa, salen) <
	    0)
		rc = -errno;
	close(fd);
	return rc;
}

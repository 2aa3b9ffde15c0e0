/* SPDX-License-Identifier: GPL-2.0-only */
/* Logging for both daemons: journald priority prefixes, or plain text. */
#ifndef SENTINEL_LOG_H
#define SENTINEL_LOG_H

#include <syslog.h>

/*
 * ident names the program in plain-text lines; max_level (LOG_ERR ..
 * LOG_DEBUG) drops what is more verbose.  Under systemd (JOURNAL_STREAM set
 * to our stderr) lines carry "<N>" priority prefixes instead.
 */
void log_init(const char *ident, int max_level);
void log_msg(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Like log_msg, at most burst lines per second per call site (key). */
void log_limited(int *key_state, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Parse "error", "warning" (or "warn"), "info", "debug"...; -1 if unknown. */
int log_level_parse(const char *s);

/* Tell systemd (NOTIFY_SOCKET) a state such as "READY=1"; no-op outside. */
int sd_notify_state(const char *state);

#endif

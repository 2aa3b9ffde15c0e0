/* SPDX-License-Identifier: GPL-2.0-only */
/* Minimal TAP-style case reporting: "ok N - name" / "not ok N - name: why". */
#ifndef SENTINEL_TEST_TAP_H
#define SENTINEL_TEST_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* State of the current executable: one case open at a time. */
struct tap_state {
	int n, passed, failed;
	size_t wlen;
	char why[2048];
};

/* One instance per program although every test file includes this header. */
__attribute__((weak)) struct tap_state tap;

/* Record why the current case fails; several reasons are joined by "; ". */
static __attribute__((format(printf, 1, 2))) void tap_fail(const char *fmt, ...)
{
	va_list ap;
	size_t room;

	if (tap.wlen && tap.wlen + 2 < sizeof(tap.why)) {
		memcpy(tap.why + tap.wlen, "; ", 3);
		tap.wlen += 2;
	}
	room = sizeof(tap.why) - tap.wlen;
	if (room <= 1) {
		tap.wlen = sizeof(tap.why) - 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(tap.why + tap.wlen, room, fmt, ap);
	va_end(ap);
	tap.wlen += strlen(tap.why + tap.wlen);
}

/* Has the current case failed so far? */
static inline int tap_failing(void)
{
	return tap.wlen != 0;
}

/* Close the current case and print its line.  Returns 1 if it passed. */
static inline int tap_end(const char *name)
{
	int ok = !tap.wlen;

	tap.n++;
	if (ok) {
		tap.passed++;
		printf("ok %d - %s\n", tap.n, name);
	} else {
		tap.failed++;
		printf("not ok %d - %s: %s\n", tap.n, name, tap.why);
	}
	fflush(stdout);
	tap.wlen = 0;
	tap.why[0] = '\0';
	return ok;
}

/* Close the current case as skipped (counted with the passed ones, as in TAP). */
static inline void tap_skip(const char *name, const char *why)
{
	tap.n++;
	tap.passed++;
	printf("ok %d - %s # SKIP %s\n", tap.n, name, why);
	fflush(stdout);
	tap.wlen = 0;
	tap.why[0] = '\0';
}

/* Print the summary line; returns the process exit code. */
static inline int tap_finish(void)
{
	printf("%d passed, %d failed\n", tap.passed, tap.failed);
	fflush(stdout);
	return tap.failed ? 1 : 0;
}

#endif

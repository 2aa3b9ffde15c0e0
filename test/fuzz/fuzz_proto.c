// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: the FlatBuffers verifier, then every reader on what it accepts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fb/fb_dump.h"

/* Verify as root; when valid, read every field (the dump touches every byte
 * a reader exposes).  A message must be written on failure. */
#define TRY_ROOT(T)                                                          \
	do {                                                                 \
		char err[256] = "";                                          \
		struct dump d = {0};                                         \
		int rc = sentinel_##T##_verify(buf, size, err, sizeof(err)); \
		if (rc == 0) {                                               \
			dump_##T(&d, sentinel_##T##_root(buf));              \
			free(d.p);                                           \
			valid++;                                             \
		} else if (rc != -EBADMSG || !err[0] ||                      \
			   !memchr(err, '\0', sizeof(err))) {                \
			abort();                                             \
		}                                                            \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size, 8-byte aligned copy: reading past the end faults */
	uint8_t *buf = malloc(size ? size : 1);
	int valid = 0;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	TRY_ROOT(Request);
	TRY_ROOT(Reply);
	TRY_ROOT(EventBatch);
	if (valid) {
		/* the identifier helpers only look at the header */
		(void)sentinel_Request_has_identifier(buf, size);
		(void)sentinel_EventBatch_has_identifier(buf, size);
	}
	free(buf);
	return 0;
}

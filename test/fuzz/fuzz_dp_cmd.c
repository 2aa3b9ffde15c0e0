// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: sentinel-dp's request verifier, decoder and validator,
 * the rule compiler behind ReplaceRules, and the error reply it builds. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control_fb.h"
#include "dp_cmd.h"
#include "fb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fb_builder b;
	struct dp_cmd c;
	struct dp_err err = {0};
	char vmsg[128];
	size_t len;
	int rc;

	/* the daemon receives into an nng message: an arbitrary heap copy */
	uint8_t *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	rc = dp_cmd_decode(buf, size, &c, &err);
	fb_builder_init(&b);
	if (rc) {
		/* every refusal names a reason and yields a valid reply */
		if (!err.msg[0] || err.code == 0)
			abort();
		if (dp_reply_error(&b, c.id, &err))
			abort();
		const void *out = fb_builder_data(&b, &len);

		if (!out || sentinel_Reply_verify(out, len, vmsg, sizeof(vmsg)))
			abort();
	} else if (c.kind == sentinel_Command_ReplaceRules) {
		struct fw_rule *r = calloc(c.nrules ? c.nrules : 1, sizeof(*r));
		struct fw_set *set = NULL;
		char cerr[FW_ERR_LEN];

		for (size_t i = 0; r && i < c.nrules; i++) {
			r[i] = c.rules[i].r;
			if (c.rules[i].ifname[0])
				r[i].ifindex = 7; /* resolved to something */
		}
		if (r &&
		    fw_set_compile(r, c.nrules, &set, cerr, sizeof(cerr)) == 0)
			fw_set_free(set);
		free(r);
	}
	fb_builder_free(&b);
	dp_cmd_clear(&c);
	free(buf);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: rule text parser, compiler and user-space classifier. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fw.h"

#define MAX_RULES 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fw_rule rules[MAX_RULES];
	char err[FW_ERR_LEN], line[1100];
	size_t n = 0, pos = 0;
	struct fw_set *s = NULL;

	while (pos < size && n < MAX_RULES) {
		size_t len = 0;

		while (pos + len < size && data[pos + len] != '\n' &&
		       len < sizeof(line) - 1)
			len++;
		memcpy(line, data + pos, len);
		line[len] = '\0';
		pos += len + 1;
		if (fw_rule_parse(line, &rules[n], err, sizeof(err)) == 0)
			n++;
		else if (!memchr(err, '\0', sizeof(err)))
			abort(); /* the message must be terminated */
	}
	if (fw_set_compile(rules, n, &s, err, sizeof(err)) == 0) {
		/* every packet classifies without crashing; results are
		 * checked against a reference in the unit tests */
		for (size_t i = 0; i < n; i++) {
			struct fw_pkt_fields p = {
				.family = rules[i].src.family == 6 ? 6 : 4,
				.proto = rules[i].proto,
				.sport = rules[i].sport.lo,
				.dport = rules[i].dport.hi,
			};
			struct fw_rule_val v;

			memcpy(p.src, rules[i].src.addr, 16);
			memcpy(p.dst, rules[i].dst.addr, 16);
			fw_set_classify(s, &p, &v);
		}
		fw_set_free(s);
	}
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: an API request body (POST /api/v1/firewall/rules) through
 * the JSON parser and the rule validator; a rule that validates must come
 * back unchanged from its own JSON form. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_rule r, r2;
	struct config_err err;
	json_error_t je;
	json_t *body, *out;

	body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
			  &je);
	if (!body)
		return 0;
	if (config_rule_from_json(body, &r, &err) == 0) {
		out = config_rule_to_json(&r);
		if (!out || config_rule_from_json(out, &r2, &err))
			abort();
		r.line = r2.line = 0;
		if (memcmp(&r, &r2, sizeof(r)))
			abort(); /* the round trip changed the rule */
		json_decref(out);
	} else if (!err.msg[0]) {
		abort(); /* a refusal always says why */
	}
	json_decref(body);
	return 0;
}

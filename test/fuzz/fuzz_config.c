// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: the configuration loader; whatever loads must dump, reload the same and redact its secrets. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static char *dump(const struct config *c, bool redact)
{
	json_t *j = config_to_json(c, redact);
	char *s = j ? json_dumps(j, JSON_SORT_KEYS) : NULL;

	json_decref(j);
	return s;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void check_err(const struct config_err *err)
{
	/* a refusal always says why, in printable text */
	if (!err->msg[0] ||
	    strnlen(err->msg, sizeof(err->msg)) == sizeof(err->msg))
		abort();
	for (const char *p = err->msg; *p; p++)
		if ((unsigned char)*p < 0x20)
			abort();
	for (const char *p = err->path; *p; p++)
		if ((unsigned char)*p < 0x20)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *env[] = {"SENTINEL_API_PORT=9443",
			      "SENTINEL_AGENT_INTERFACES=eth0,eth1", NULL};
	struct config *c = NULL, *again = NULL;
	struct config_err err;
	char *text, *text2, *red;
	char hex[65];

	/* the same input with environment overrides: no crash, no leak */
	if (!config_load_buffer((const char *)data, size, NULL, env, &c, &err))
		config_free(c);
	else
		check_err(&err);
	c = NULL;
	if (config_load_buffer((const char *)data, size, NULL, NULL, &c,
			       &err)) {
		check_err(&err);
		return 0;
	}
	text = dump(c, false);
	red = dump(c, true);
	if (!text || !red)
		abort();
	if (config_load_buffer(text, strlen(text), NULL, NULL, &again, &err)) {
		fprintf(stderr, "dump does not reload: %s: %s\n%s\n", err.path,
			err.msg, text);
		abort();
	}
	text2 = dump(again, false);
	if (!text2 || strcmp(text, text2) || config_diff(c, again))
		abort();
	for (size_t i = 0; i < c->auth.n_api_keys; i++) {
		for (int b = 0; b < 32; b++)
			snprintf(hex + 2 * b, 3, "%02x",
				 c->auth.api_keys[i].key_sha256[b]);
		/* the hash field is gone; the same text elsewhere (an issuer,
		 * a path) is not a secret and stays */
		if (count(red, hex) + 1 != count(text, hex))
			abort();
	}
	for (size_t i = 0; i < c->firewall.n_rules; i++) {
		json_t *j = config_rule_to_json(&c->firewall.rules[i]);
		struct config_rule r;

		if (!j || config_rule_from_json(j, &r, &err))
			abort();
		r.line = c->firewall.rules[i].line;
		if (memcmp(&r, &c->firewall.rules[i], sizeof(r)))
			abort();
		json_decref(j);
	}
	free(text);
	free(text2);
	free(red);
	config_free(again);
	config_free(c);
	return 0;
}

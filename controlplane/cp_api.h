/* SPDX-License-Identifier: GPL-2.0-only */
/* sentinel-cp's REST endpoints, and what they need from the daemon. */
#ifndef SENTINEL_CP_API_H
#define SENTINEL_CP_API_H

#include <stddef.h>

#include <jansson.h>

#include "http.h"

struct cp;

extern const struct http_route cp_routes[];
extern const size_t cp_nroutes;

struct cp_reload_err {
	char field[256];
	int line;
	char msg[384];
};

/* Provided by the daemon: reload the configuration file (validated fully,
 * then applied; nothing changes on error: -EINVAL with err filled, or a
 * transport error when sentinel-dp refused or is unreachable). */
int cp_reload(struct cp *cp, const char *actor, struct cp_reload_err *err);
/* The running configuration as JSON, secrets redacted (new reference). */
json_t *cp_config_json(struct cp *cp);
/* The Prometheus text of everything sentinel-cp knows. */
void cp_metrics_text(struct cp *cp, struct http_server *srv,
		     const struct http_route *routes, size_t nroutes,
		     char **ret, size_t *ret_len);

#endif

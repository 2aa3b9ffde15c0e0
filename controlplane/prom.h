/* SPDX-License-Identifier: GPL-2.0-only */
/* Prometheus text exposition format (0.0.4): families and samples. */
#ifndef SENTINEL_CP_PROM_H
#define SENTINEL_CP_PROM_H

#include <stddef.h>

/* A growing text buffer; the first error is sticky. */
struct prom {
	char *buf; /* owned */
	size_t len, cap;
	int err;
};

void prom_init(struct prom *p);
void prom_free(struct prom *p);
/* # HELP and # TYPE lines; type is counter, gauge or untyped. */
void prom_family(struct prom *p, const char *name, const char *type,
		 const char *help);
/* name{k1="v1",...} value; labels is NULL or k, v pairs ending in NULL.
 * Label values are escaped (backslash, quote, newline). */
void prom_sample(struct prom *p, const char *name, const char *const *labels,
		 double value);
/* The text (NUL-terminated), handing the buffer to the caller; NULL after
 * an error (-ENOMEM). */
char *prom_take(struct prom *p, size_t *ret_len);

#endif

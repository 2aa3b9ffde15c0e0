// SPDX-License-Identifier: GPL-2.0-only
/* Prometheus text exposition format writer. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prom.h"

void prom_init(struct prom *p)
{
	memset(p, 0, sizeof(*p));
}

void prom_free(struct prom *p)
{
	free(p->buf);
	prom_init(p);
}

static void grow(struct prom *p, size_t more)
{
	size_t cap;
	char *nb;

	if (p->err || p->len + more + 1 <= p->cap)
		return;
	cap = p->cap ? p->cap : 4096;
	while (cap < p->len + more + 1)
		cap *= 2;
	nb = realloc(p->buf, cap);
	if (!nb) {
		p->err = -ENOMEM;
		return;
	}
	p->buf = nb;
	p->cap = cap;
}

static void put(struct prom *p, const char *s, size_t n)
{
	grow(p, n);
	if (p->err)
		return;
	memcpy(p->buf + p->len, s, n);
	p->len += n;
	p->buf[p->len] = '\0';
}

static void putf(struct prom *p, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(p, tmp,
		    (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

void prom_family(struct prom *p, const char *name, const char *type,
		 const char *help)
{
	putf(p, "# HELP %s ", name);
	/* HELP text escapes backslash and newline */
	for (const char *c = help; *c; c++) {
		if (*c == '\\')
			put(p, "\\\\", 2);
		else if (*c == '\n')
			put(p, "\\n", 2);
		else
			put(p, c, 1);
	}
	putf(p, "\n# TYPE %s %s\n", name, type);
}

void prom_sample(struct prom *p, const char *name, const char *const *labels,
		 double value)
{
	put(p, name, strlen(name));
	if (labels && labels[0]) {
		put(p, "{", 1);
		for (size_t i = 0; labels[i] && labels[i + 1]; i += 2) {
			if (i)
				put(p, ",", 1);
			put(p, labels[i], strlen(labels[i]));
			put(p, "=\"", 2);
			for (const char *c = labels[i + 1]; *c; c++) {
				if (*c == '\\' || *c == '"')
					put(p, "\\", 1);
				if (*c == '\n')
					put(p, "\\n", 2);
				else
					put(p, c, 1);
			}
			put(p, "\"", 1);
		}
		put(p, "}", 1);
	}
	if (isnan(value))
		put(p, " NaN\n", 5);
	else if (value == (double)(long long)value &&
		 value < 9007199254740992.0 && value > -9007199254740992.0)
		putf(p, " %lld\n", (long long)value);
	else
		putf(p, " %.17g\n", value);
}

char *prom_take(struct prom *p, size_t *ret_len)
{
	char *b;

	if (p->err || !p->buf) {
		prom_free(p);
		return NULL;
	}
	b = p->buf;
	*ret_len = p->len;
	prom_init(p);
	return b;
}

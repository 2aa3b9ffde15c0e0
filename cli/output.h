/* SPDX-License-Identifier: GPL-2.0-only */
/* sentinelctl's output: aligned tables, JSON and YAML views, terminal-safe. */
#ifndef SENTINELCTL_OUTPUT_H
#define SENTINELCTL_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#define TABLE_RIGHT	 1u /* right-aligned (numbers) */
#define TABLE_HIDE_EMPTY 2u /* left out when no row has a value in it */

struct table_column {
	const char *header;
	unsigned int flags;
	const char *absent; /* shown for a cell without a value; NULL: "" */
};

struct table;

/* A table over ncols columns (cols borrowed, usually static).  -ENOMEM. */
int table_new(const struct table_column *cols, size_t ncols,
	      struct table **ret);
void table_free(struct table *t);

/* Starts a row whose cells have no value yet; -ENOMEM. */
int table_add_row(struct table *t);

/* Sets a cell of the last row to a copy of value with control characters
 * replaced (server text never reaches the terminal raw); value NULL leaves
 * it without a value.  -EINVAL without a row or past the columns,
 * -ENOMEM. */
int table_set(struct table *t, size_t col, const char *value);
int table_setf(struct table *t, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Sets a cell from a JSON scalar (a string as is, numbers, booleans);
 * NULL and null leave it without a value; objects and arrays become
 * compact JSON. */
int table_set_json(struct table *t, size_t col, const json_t *v);

size_t table_rows(const struct table *t);

/* Prints the header and rows, columns two spaces apart, the last one
 * unpadded. */
void table_print(const struct table *t, FILE *f);

/* Writes s with control characters (C0, DEL, C1) replaced by '?'; newlines
 * and tabs are kept when keep_lines. */
void out_safe(FILE *f, const char *s, bool keep_lines);

/* Writes v as JSON indented by two spaces, with a final newline; -ENOMEM. */
int out_json(FILE *f, const json_t *v);

/* Writes v as block-style YAML (strings quoted whenever a plain scalar
 * could be read as something else); -ENOMEM. */
int out_yaml(FILE *f, const json_t *v);

/* "840 B", "1.5 KiB", "2.0 GiB". */
void out_bytes(char *buf, size_t size, unsigned long long bytes);

/* "12s", "3m 05s", "3h 12m 05s", "2d 03h 12m". */
void out_duration(char *buf, size_t size, unsigned long long seconds);

#endif

// SPDX-License-Identifier: GPL-2.0-only
/* sentinelctl's output: aligned tables, JSON and YAML views, terminal-safe. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "output.h"

struct table {
	const struct table_column *cols; /* borrowed */
	size_t ncols;
	char **cells; /* owned; rows * ncols, NULL: no value */
	size_t rows;
	size_t cap; /* rows allocated */
};

/* A control character: C0, DEL, or (in UTF-8) C1 as 0xc2 0x80..0x9f. */
static size_t ctrl_len(const unsigned char *p)
{
	if (*p < 0x20 || *p == 0x7f)
		return 1;
	if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
		return 2;
	return 0;
}

static char *sanitize(const char *s)
{
	char *out = strdup(s), *o = out;
	const unsigned char *p = (const unsigned char *)s;

	if (!out)
		return NULL;
	while (*p) {
		size_t n = ctrl_len(p);

		if (n) {
			*o++ = '?';
			p += n;
		} else {
			*o++ = (char)*p++;
		}
	}
	*o = '\0';
	return out;
}

void out_safe(FILE *f, const char *s, bool keep_lines)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = ctrl_len(p);

		if (n && !(keep_lines && (*p == '\n' || *p == '\t'))) {
			fputc('?', f);
			p += n;
		} else {
			fputc(*p++, f);
		}
	}
}

/* Terminal columns of a UTF-8 string, counted as code points. */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

int table_new(const struct table_column *cols, size_t ncols, struct table **ret)
{
	struct table *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->cols = cols;
	t->ncols = ncols;
	*ret = t;
	return 0;
}

void table_free(struct table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->rows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

size_t table_rows(const struct table *t)
{
	return t->rows;
}

int table_add_row(struct table *t)
{
	if (t->rows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **c;

		if (cap > SIZE_MAX / sizeof(*c) / t->ncols)
			return -ENOMEM;
		c = realloc(t->cells, cap * t->ncols * sizeof(*c));
		if (!c)
			return -ENOMEM;
		t->cells = c;
		t->cap = cap;
	}
	memset(t->cells + t->rows * t->ncols, 0, t->ncols * sizeof(char *));
	t->rows++;
	return 0;
}

int table_set(struct table *t, size_t col, const char *value)
{
	char **cell;

	if (!t->rows || col >= t->ncols)
		return -EINVAL;
	cell = &t->cells[(t->rows - 1) * t->ncols + col];
	free(*cell);
	*cell = NULL;
	if (!value)
		return 0;
	*cell = sanitize(value);
	return *cell ? 0 : -ENOMEM;
}

int table_setf(struct table *t, size_t col, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	r = table_set(t, col, s);
	free(s);
	return r;
}

int table_set_json(struct table *t, size_t col, const json_t *v)
{
	char *s;
	int r;

	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_NULL:
		return table_set(t, col, NULL);
	case JSON_STRING:
		return table_set(t, col, json_string_value(v));
	case JSON_INTEGER:
		return table_setf(t, col, "%" JSON_INTEGER_FORMAT,
				  json_integer_value(v));
	case JSON_TRUE:
		return table_set(t, col, "true");
	case JSON_FALSE:
		return table_set(t, col, "false");
	default:
		s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (!s)
			return -ENOMEM;
		r = table_set(t, col, s);
		free(s);
		return r;
	}
}

static const char *cell_text(const struct table *t, size_t row, size_t col)
{
	const char *s = t->cells[row * t->ncols + col];

	if (s)
		return s;
	return t->cols[col].absent ? t->cols[col].absent : "";
}

static bool column_shown(const struct table *t, size_t col)
{
	if (!(t->cols[col].flags & TABLE_HIDE_EMPTY))
		return true;
	for (size_t r = 0; r < t->rows; r++)
		if (t->cells[r * t->ncols + col])
			return true;
	return false;
}

static void print_cell(FILE *f, const char *s, size_t w, unsigned int flags,
		       bool last)
{
	size_t pad = w - width(s);

	if (flags & TABLE_RIGHT)
		fprintf(f, "%*s", (int)pad, "");
	fputs(s, f);
	if (!(flags & TABLE_RIGHT) && !last)
		fprintf(f, "%*s", (int)pad, "");
}

static void print_row(const struct table *t, FILE *f, const size_t *w,
		      const bool *shown, size_t row)
{
	size_t last = 0;
	bool first = true;

	for (size_t c = 0; c < t->ncols; c++)
		if (shown[c])
			last = c;
	for (size_t c = 0; c < t->ncols; c++) {
		const char *s;

		if (!shown[c])
			continue;
		s = row == SIZE_MAX ? t->cols[c].header : cell_text(t, row, c);
		if (!first)
			fputs("  ", f);
		print_cell(f, s, w[c], t->cols[c].flags, c == last);
		first = false;
	}
	fputc('\n', f);
}

void table_print(const struct table *t, FILE *f)
{
	size_t w[t->ncols];
	bool shown[t->ncols];

	for (size_t c = 0; c < t->ncols; c++) {
		shown[c] = column_shown(t, c);
		w[c] = width(t->cols[c].header);
		for (size_t r = 0; r < t->rows; r++) {
			size_t n = width(cell_text(t, r, c));

			if (n > w[c])
				w[c] = n;
		}
	}
	print_row(t, f, w, shown, SIZE_MAX);
	for (size_t r = 0; r < t->rows; r++)
		print_row(t, f, w, shown, r);
}

int out_json(FILE *f, const json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);

	if (!s)
		return -ENOMEM;
	/* JSON escapes C0 controls; DEL and C1 would still reach the tty. */
	out_safe(f, s, true);
	fputc('\n', f);
	free(s);
	return 0;
}

/* A string YAML would read back as the same string without quotes. */
static bool yaml_plain(const char *s)
{
	static const char *const words[] = {"y",    "n",   "yes",  "no",
					    "on",   "off", "true", "false",
					    "null", "~"};
	bool letter_or_slash = false;

	if (!*s)
		return false;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(s, words[i]) == 0)
			return false;
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
	      (*s >= '0' && *s <= '9') || *s == '/' || *s == '_'))
		return false;
	for (const char *p = s; *p; p++) {
		bool alpha =
			(*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z');

		if (!(alpha || (*p >= '0' && *p <= '9') || *p == '_' ||
		      *p == '.' || *p == '/' || *p == '-'))
			return false;
		/* e, x and o can make 1e5, 0x1f or 0o17 numbers */
		letter_or_slash |=
			(alpha && !strchr("eExXoO", *p)) || *p == '/';
	}
	/* Digits, dots and dashes only could read as a number or a date. */
	return letter_or_slash || !(*s >= '0' && *s <= '9');
}

static int yaml_scalar(FILE *f, const json_t *v)
{
	char *s;

	if (json_is_string(v) && yaml_plain(json_string_value(v))) {
		fputs(json_string_value(v), f);
		return 0;
	}
	/* JSON scalars are YAML flow scalars (a JSON string is a valid
	 * double-quoted YAML string). */
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!s)
		return -ENOMEM;
	out_safe(f, s, false);
	free(s);
	return 0;
}

static int yaml_key(FILE *f, const char *k)
{
	json_t *s;
	int r;

	if (yaml_plain(k)) {
		fputs(k, f);
		return 0;
	}
	s = json_string(k);
	if (!s)
		return -ENOMEM;
	r = yaml_scalar(f, s);
	json_decref(s);
	return r;
}

static bool yaml_inline(const json_t *v)
{
	return !(json_is_object(v) && json_object_size(v)) &&
	       !(json_is_array(v) && json_array_size(v));
}

static int yaml_value(FILE *f, const json_t *v, int indent, bool at_item);

/* An inline value after "key:" or "- ", or a nested block below it. */
static int yaml_after(FILE *f, const json_t *v, int indent)
{
	if (yaml_inline(v)) {
		fputc(' ', f);
		if (json_is_object(v) || json_is_array(v)) {
			fputs(json_is_object(v) ? "{}\n" : "[]\n", f);
			return 0;
		}
		if (yaml_scalar(f, v) < 0)
			return -ENOMEM;
		fputc('\n', f);
		return 0;
	}
	fputc('\n', f);
	return yaml_value(f, v, indent, false);
}

/* A block at indent; at_item: the first line follows a "- " already
 * written. */
static int yaml_value(FILE *f, const json_t *v, int indent, bool at_item)
{
	const char *k;
	json_t *e;
	size_t i;
	int r = 0;

	if (json_is_object(v)) {
		bool first = true;

		json_object_foreach((json_t *)v, k, e)
		{
			if (!(first && at_item))
				fprintf(f, "%*s", indent, "");
			first = false;
			if (yaml_key(f, k) < 0)
				return -ENOMEM;
			fputc(':', f);
			r = yaml_after(f, e, indent + 2);
			if (r < 0)
				return r;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e)
		{
			if (i || !at_item)
				fprintf(f, "%*s", indent, "");
			fputc('-', f);
			if (yaml_inline(e)) {
				r = yaml_after(f, e, indent + 2);
			} else {
				fputc(' ', f);
				r = yaml_value(f, e, indent + 2, true);
			}
			if (r < 0)
				return r;
		}
	} else {
		fprintf(f, "%*s", at_item ? 0 : indent, "");
		r = yaml_scalar(f, v);
		fputc('\n', f);
	}
	return r;
}

int out_yaml(FILE *f, const json_t *v)
{
	return yaml_value(f, v, 0, false);
}

void out_bytes(char *buf, size_t size, unsigned long long bytes)
{
	static const char *const unit[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
	double v = (double)bytes;
	size_t u = 0;

	if (bytes < 1024) {
		snprintf(buf, size, "%llu B", bytes);
		return;
	}
	v /= 1024;
	while (v >= 1024 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, "%.1f %s", v, unit[u]);
}

void out_duration(char *buf, size_t size, unsigned long long s)
{
	unsigned long long d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60;

	if (d)
		snprintf(buf, size, "%llud %02lluh %02llum", d, h, m);
	else if (h)
		snprintf(buf, size, "%lluh %02llum %02llus", h, m, s % 60);
	else if (m)
		snprintf(buf, size, "%llum %02llus", m, s % 60);
	else
		snprintf(buf, size, "%llus", s);
}

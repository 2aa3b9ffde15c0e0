// SPDX-License-Identifier: GPL-2.0-only
/* FlatBuffers runtime: the back-to-front builder and the verifier checks. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "fb.h"

/* Smallest allocation; the capacity stays a multiple of 16 so that the
 * finished data (at the end of the allocation) keeps its alignment. */
#define FB_MIN_CAP 1024

static int fb_fail(struct fb_builder *b, int err)
{
	if (!b->err)
		b->err = err;
	return b->err;
}

int fb_builder_fail(struct fb_builder *b, int err)
{
	return fb_fail(b, err);
}

void fb_builder_init(struct fb_builder *b)
{
	memset(b, 0, sizeof(*b));
	b->max_size = FB_MAX_BUFFER;
	b->minalign = 1;
}

void fb_builder_reset(struct fb_builder *b)
{
	memset(b->slot, 0, b->top * sizeof(b->slot[0]));
	memset(b->vt, 0, sizeof(b->vt));
	b->vt_next = 0;
	b->size = 0;
	b->minalign = 1;
	b->err = 0;
	b->in_table = false;
	b->finished = false;
	b->nslots = 0;
	b->top = 0;
	b->table_start = 0;
}

void fb_builder_free(struct fb_builder *b)
{
	free(b->buf);
	b->buf = NULL;
	b->cap = 0;
	fb_builder_reset(b);
}

int fb_builder_error(const struct fb_builder *b)
{
	return b->err;
}

void fb_builder_set_max_size(struct fb_builder *b, size_t max)
{
	b->max_size = max < FB_MAX_BUFFER ? max : FB_MAX_BUFFER;
	if (b->size > b->max_size)
		fb_fail(b, -E2BIG);
}

/* Make room for n more bytes, moving the data to the end of a larger
 * allocation when needed. */
static int fb_reserve(struct fb_builder *b, size_t n)
{
	size_t cap, limit;
	uint8_t *nb;

	if (b->err)
		return b->err;
	if (n > b->max_size - b->size)
		return fb_fail(b, -E2BIG);
	if (n <= b->cap - b->size)
		return 0;
	limit = (b->max_size + 15) & ~(size_t)15;
	cap = b->cap ? b->cap : FB_MIN_CAP;
	while (cap - b->size < n)
		cap *= 2;
	if (cap > limit)
		cap = limit;
	nb = malloc(cap);
	if (!nb)
		return fb_fail(b, -ENOMEM);
	if (b->size)
		memcpy(nb + cap - b->size, b->buf + b->cap - b->size, b->size);
	free(b->buf);
	b->buf = nb;
	b->cap = cap;
	return 0;
}

/* Claim n bytes in front of the data; returns their address or NULL. */
static uint8_t *fb_push(struct fb_builder *b, size_t n)
{
	if (fb_reserve(b, n))
		return NULL;
	b->size += n;
	return b->buf + b->cap - b->size;
}

static void fb_pad(struct fb_builder *b, size_t n)
{
	uint8_t *p;

	if (!n)
		return;
	p = fb_push(b, n);
	if (p)
		memset(p, 0, n);
}

/* Pad so that after len more bytes the data is aligned to align. */
static void fb_prealign(struct fb_builder *b, size_t len, size_t align)
{
	if (align > b->minalign)
		b->minalign = align;
	fb_pad(b, (0 - (b->size + len)) & (align - 1));
}

static void fb_put_u32(struct fb_builder *b, uint32_t v)
{
	uint8_t *p;

	fb_prealign(b, 4, 4);
	p = fb_push(b, 4);
	if (p)
		memcpy(p, &v, 4);
}

/* Strings and vectors cannot go inside a table being built, nor after the
 * buffer was finished. */
static int fb_can_add_object(struct fb_builder *b)
{
	if (b->err)
		return 0;
	if (b->in_table || b->finished) {
		fb_fail(b, -EINVAL);
		return 0;
	}
	return 1;
}

uint32_t fb_create_string(struct fb_builder *b, const char *s, size_t len)
{
	uint8_t *p;

	if (!fb_can_add_object(b))
		return 0;
	if (len >= b->max_size) {
		fb_fail(b, -E2BIG);
		return 0;
	}
	fb_prealign(b, len + 1, 4);
	p = fb_push(b, len + 1);
	if (!p)
		return 0;
	if (len)
		memcpy(p, s, len);
	p[len] = '\0';
	fb_put_u32(b, (uint32_t)len);
	return b->err ? 0 : (uint32_t)b->size;
}

void *fb_vector_alloc(struct fb_builder *b, size_t n, size_t elem_size,
		      size_t align, uint32_t *ret_ref)
{
	size_t bytes;

	*ret_ref = 0;
	if (!fb_can_add_object(b))
		return NULL;
	if (!elem_size || !align || align > 16 || (align & (align - 1))) {
		fb_fail(b, -EINVAL);
		return NULL;
	}
	if (n > b->max_size / elem_size) {
		fb_fail(b, -E2BIG);
		return NULL;
	}
	bytes = n * elem_size;
	fb_prealign(b, bytes, 4);
	fb_prealign(b, bytes, align);
	if (!fb_push(b, bytes))
		return NULL;
	fb_put_u32(b, (uint32_t)n);
	if (b->err)
		return NULL;
	*ret_ref = (uint32_t)b->size;
	return b->buf + b->cap - b->size + 4;
}

uint32_t fb_create_vector(struct fb_builder *b, const void *elems, size_t n,
			  size_t elem_size, size_t align)
{
	uint32_t ref;
	void *p = fb_vector_alloc(b, n, elem_size, align, &ref);

	if (p && n)
		memcpy(p, elems, n * elem_size);
	return ref;
}

uint32_t fb_create_ref_vector(struct fb_builder *b, const uint32_t *refs,
			      size_t n)
{
	size_t before = b->size, end;
	uint8_t *p;

	if (!fb_can_add_object(b))
		return 0;
	if (n > b->max_size / 4) {
		fb_fail(b, -E2BIG);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (!refs[i] || refs[i] > before) {
			fb_fail(b, -EINVAL);
			return 0;
		}
	}
	fb_prealign(b, n * 4, 4);
	p = fb_push(b, n * 4);
	if (!p)
		return 0;
	/* element i sits at distance end - 4 i from the buffer's end and
	 * points forward to its target */
	end = b->size;
	for (size_t i = 0; i < n; i++) {
		uint32_t off = (uint32_t)(end - 4 * i - refs[i]);

		memcpy(p + 4 * i, &off, 4);
	}
	fb_put_u32(b, (uint32_t)n);
	return b->err ? 0 : (uint32_t)b->size;
}

void fb_table_start(struct fb_builder *b, unsigned nslots)
{
	if (!fb_can_add_object(b))
		return;
	if (nslots > FB_MAX_SLOTS) {
		fb_fail(b, -EINVAL);
		return;
	}
	b->in_table = true;
	b->nslots = (uint16_t)nslots;
	b->top = 0;
	b->table_start = (uint32_t)b->size;
}

void *fb_table_field(struct fb_builder *b, unsigned slot, size_t size,
		     size_t align)
{
	uint8_t *p;

	if (b->err)
		return NULL;
	if (!b->in_table || slot >= b->nslots) {
		fb_fail(b, -EINVAL);
		return NULL;
	}
	fb_prealign(b, 0, align);
	/* padding before the first field is not part of the table: tables
	 * of one shape then have one size and share their vtable */
	if (!b->top)
		b->table_start = (uint32_t)b->size;
	p = fb_push(b, size);
	if (!p)
		return NULL;
	b->slot[slot] = (uint32_t)b->size;
	if (slot >= b->top)
		b->top = (uint16_t)(slot + 1);
	return p;
}

void fb_table_add_ref(struct fb_builder *b, unsigned slot, uint32_t ref)
{
	uint8_t *p;
	uint32_t off;

	if (!ref || b->err)
		return;
	if (!b->in_table || ref > b->table_start) {
		fb_fail(b, -EINVAL);
		return;
	}
	p = fb_table_field(b, slot, 4, 4);
	if (!p)
		return;
	off = (uint32_t)(b->size - ref);
	memcpy(p, &off, 4);
}

void fb_table_require(struct fb_builder *b, unsigned slot)
{
	if (!b->err && (!b->in_table || slot >= b->nslots || !b->slot[slot]))
		fb_fail(b, -EINVAL);
}

uint32_t fb_table_end(struct fb_builder *b)
{
	uint16_t vt[2 + FB_MAX_SLOTS];
	size_t vsize, tref, vref = 0;
	int32_t so;
	uint8_t *p;
	unsigned top = b->top;

	if (b->err)
		goto fail;
	if (!b->in_table) {
		fb_fail(b, -EINVAL);
		goto fail;
	}
	fb_prealign(b, 4, 4);
	if (!fb_push(b, 4))
		goto fail;
	tref = b->size;
	if (tref - b->table_start > UINT16_MAX) {
		fb_fail(b, -E2BIG);
		goto fail;
	}
	vsize = 4 + 2 * top;
	vt[0] = (uint16_t)vsize;
	vt[1] = (uint16_t)(tref - b->table_start);
	for (unsigned i = 0; i < top; i++)
		vt[2 + i] = b->slot[i] ? (uint16_t)(tref - b->slot[i]) : 0;

	/* share an identical recent vtable: it lies after the table */
	for (unsigned i = 0; i < FB_VT_CACHE; i++) {
		uint32_t r = b->vt[i];

		if (r && fb_read_u16(b->buf + b->cap - r) == vsize &&
		    !memcmp(b->buf + b->cap - r, vt, vsize)) {
			vref = r;
			break;
		}
	}
	if (!vref) {
		p = fb_push(b, vsize);
		if (!p)
			goto fail;
		memcpy(p, vt, vsize);
		vref = b->size;
		b->vt[b->vt_next] = (uint32_t)vref;
		b->vt_next = (b->vt_next + 1) % FB_VT_CACHE;
	}
	so = (int32_t)((int64_t)vref - (int64_t)tref);
	memcpy(b->buf + b->cap - tref, &so, 4);
	memset(b->slot, 0, top * sizeof(b->slot[0]));
	b->top = 0;
	b->in_table = false;
	return (uint32_t)tref;
fail:
	memset(b->slot, 0, top * sizeof(b->slot[0]));
	b->top = 0;
	b->in_table = false;
	return 0;
}

int fb_builder_finish(struct fb_builder *b, uint32_t root, const char ident[4])
{
	uint8_t *p;

	if (b->err)
		return b->err;
	if (b->in_table || b->finished || !root || root > b->size)
		return fb_fail(b, -EINVAL);
	fb_prealign(b, ident ? 8 : 4, b->minalign > 4 ? b->minalign : 4);
	if (ident) {
		p = fb_push(b, 4);
		if (p)
			memcpy(p, ident, 4);
	}
	p = fb_push(b, 4);
	if (p) {
		uint32_t off = (uint32_t)(b->size - root);

		memcpy(p, &off, 4);
	}
	if (!b->err)
		b->finished = true;
	return b->err;
}

const void *fb_builder_data(const struct fb_builder *b, size_t *ret_len)
{
	if (!b->finished || b->err) {
		*ret_len = 0;
		return NULL;
	}
	*ret_len = b->size;
	return b->buf + b->cap - b->size;
}

/* Verifier. */

int fb_verify_fail(struct fb_verifier *v, const char *fmt, ...)
{
	size_t n = 0;
	va_list ap;
	int w;

	if (!v->err || !v->errlen)
		return -EBADMSG;
#define FB_ERR_PUT(...)                                                       \
	do {                                                                  \
		if (n < v->errlen) {                                          \
			w = snprintf(v->err + n, v->errlen - n, __VA_ARGS__); \
			n += w > 0 ? (size_t)w : 0;                           \
		}                                                             \
	} while (0)
	FB_ERR_PUT("%s", v->root);
	for (unsigned i = 0; i < v->depth && v->path[i].field; i++) {
		FB_ERR_PUT(".%s", v->path[i].field);
		if (v->path[i].member)
			FB_ERR_PUT("(%s)", v->path[i].member);
		if (v->path[i].index >= 0)
			FB_ERR_PUT("[%lld]", (long long)v->path[i].index);
	}
	FB_ERR_PUT(": ");
#undef FB_ERR_PUT
	if (n < v->errlen) {
		va_start(ap, fmt);
		vsnprintf(v->err + n, v->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

int fb_verify_begin(struct fb_verifier *v, const void *buf, size_t len,
		    char *err, size_t errlen, const char *root,
		    uint32_t *ret_root)
{
	uint32_t r;

	v->buf = buf;
	v->len = len;
	v->err = err;
	v->errlen = errlen;
	v->root = root;
	v->depth = 0;
	v->tables = 0;
	v->apparent = 0;
	if (err && errlen)
		err[0] = '\0';
	if (!buf || len < 8)
		return fb_verify_fail(v, "buffer of %zu bytes is too short",
				      buf ? len : 0);
	if (len > FB_MAX_BUFFER)
		return fb_verify_fail(v, "buffer of %zu bytes is over %u", len,
				      FB_MAX_BUFFER);
	r = fb_read_u32(buf);
	if (r & 3)
		return fb_verify_fail(v, "root offset %u is not 4-byte aligned",
				      r);
	if (r > len - 4)
		return fb_verify_fail(v, "root offset %u is out of bounds", r);
	*ret_root = r;
	return 0;
}

static int fb_verify_budget(struct fb_verifier *v, uint64_t bytes)
{
	v->apparent += bytes;
	if (v->apparent > FB_MAX_BUFFER)
		return fb_verify_fail(v,
				      "over %u bytes of data visited "
				      "(shared subtrees)",
				      FB_MAX_BUFFER);
	return 0;
}

int fb_verify_table_enter(struct fb_verifier *v, uint32_t pos,
			  struct fb_vtable *ret)
{
	const uint8_t *b = v->buf;
	int64_t vt;
	uint16_t vsize, tsize;

	if (v->depth >= FB_MAX_DEPTH)
		return fb_verify_fail(v, "tables nested deeper than %d",
				      FB_MAX_DEPTH);
	if (++v->tables > FB_MAX_TABLES)
		return fb_verify_fail(v, "more than %u tables", FB_MAX_TABLES);
	if (pos & 3)
		return fb_verify_fail(v, "table at %u is not 4-byte aligned",
				      pos);
	if ((size_t)pos > v->len - 4)
		return fb_verify_fail(v, "table at %u is out of bounds", pos);
	vt = (int64_t)pos - fb_read_i32(b + pos);
	if (vt < 0 || (uint64_t)vt > v->len - 4)
		return fb_verify_fail(v,
				      "vtable of the table at %u is out of "
				      "bounds",
				      pos);
	if (vt & 1)
		return fb_verify_fail(v, "vtable at %lld is not 2-byte aligned",
				      (long long)vt);
	vsize = fb_read_u16(b + vt);
	tsize = fb_read_u16(b + vt + 2);
	if (vsize < 4 || (vsize & 1))
		return fb_verify_fail(v, "vtable at %lld has bad size %u",
				      (long long)vt, vsize);
	if ((uint64_t)vt + vsize > v->len)
		return fb_verify_fail(v, "vtable at %lld runs past the buffer",
				      (long long)vt);
	if (tsize < 4)
		return fb_verify_fail(v, "table at %u has bad size %u", pos,
				      tsize);
	if ((size_t)pos + tsize > v->len)
		return fb_verify_fail(v, "table at %u runs past the buffer",
				      pos);
	if (fb_verify_budget(v, tsize))
		return -EBADMSG;
	ret->pos = pos;
	ret->vt = (uint32_t)vt;
	ret->vsize = vsize;
	ret->tsize = tsize;
	v->path[v->depth].field = NULL;
	v->path[v->depth].member = NULL;
	v->path[v->depth].index = -1;
	v->depth++;
	return 0;
}

int fb_verify_field(struct fb_verifier *v, const struct fb_vtable *t,
		    unsigned slot, size_t size, size_t align, const char *name,
		    uint32_t *ret_pos)
{
	unsigned vo = 4 + 2 * slot;
	uint16_t off;

	fb_verify_at(v, name);
	*ret_pos = 0;
	if (vo >= t->vsize)
		return 0;
	off = fb_read_u16(v->buf + t->vt + vo);
	if (!off)
		return 0;
	if (off + size > t->tsize)
		return fb_verify_fail(v,
				      "field at offset %u of %zu bytes runs "
				      "past its table of %u bytes",
				      off, size, t->tsize);
	if ((t->pos + off) & (align - 1))
		return fb_verify_fail(v, "field at %u is not %zu-byte aligned",
				      t->pos + off, align);
	*ret_pos = t->pos + off;
	return 0;
}

int fb_verify_ref(struct fb_verifier *v, uint32_t pos, uint32_t *ret_target)
{
	uint32_t off = fb_read_u32(v->buf + pos);
	uint64_t target = (uint64_t)pos + off;

	if (!off)
		return fb_verify_fail(v, "offset at %u is zero", pos);
	if (target > v->len - 4)
		return fb_verify_fail(v, "offset at %u points past the buffer",
				      pos);
	if (target & 3)
		return fb_verify_fail(v,
				      "offset at %u points to unaligned %llu",
				      pos, (unsigned long long)target);
	*ret_target = (uint32_t)target;
	return 0;
}

int fb_verify_ref_field(struct fb_verifier *v, const struct fb_vtable *t,
			unsigned slot, const char *name, uint32_t *ret_target)
{
	uint32_t pos;
	int r;

	*ret_target = 0;
	r = fb_verify_field(v, t, slot, 4, 4, name, &pos);
	if (r || !pos)
		return r;
	return fb_verify_ref(v, pos, ret_target);
}

int fb_verify_string(struct fb_verifier *v, uint32_t pos)
{
	uint32_t n = fb_read_u32(v->buf + pos);

	/* pos + 4 <= len: checked by fb_verify_ref */
	if (n >= v->len - pos - 4)
		return fb_verify_fail(v, "string runs past the buffer");
	if (v->buf[pos + 4 + n])
		return fb_verify_fail(v, "string is not NUL-terminated");
	return fb_verify_budget(v, 4 + (uint64_t)n + 1);
}

int fb_verify_vector(struct fb_verifier *v, uint32_t pos, size_t elem_size,
		     size_t align, uint32_t *ret_n)
{
	uint32_t n = fb_read_u32(v->buf + pos);

	if (n > (v->len - pos - 4) / elem_size)
		return fb_verify_fail(v,
				      "vector of %u elements of %zu bytes "
				      "runs past the buffer",
				      n, elem_size);
	if ((pos + 4) & (align - 1))
		return fb_verify_fail(v,
				      "vector elements at %u are not "
				      "%zu-byte aligned",
				      pos + 4, align);
	*ret_n = n;
	return fb_verify_budget(v, 4 + (uint64_t)n * elem_size);
}

int fb_verify_string_field(struct fb_verifier *v, const struct fb_vtable *t,
			   unsigned slot, const char *name, uint32_t *ret_pos)
{
	int r = fb_verify_ref_field(v, t, slot, name, ret_pos);

	if (r || !*ret_pos)
		return r;
	return fb_verify_string(v, *ret_pos);
}

int fb_verify_vector_field(struct fb_verifier *v, const struct fb_vtable *t,
			   unsigned slot, const char *name, size_t elem_size,
			   size_t align, uint32_t *ret_pos, uint32_t *ret_n)
{
	int r = fb_verify_ref_field(v, t, slot, name, ret_pos);

	*ret_n = 0;
	if (r || !*ret_pos)
		return r;
	return fb_verify_vector(v, *ret_pos, elem_size, align, ret_n);
}

int fb_verify_string_vector_field(struct fb_verifier *v,
				  const struct fb_vtable *t, unsigned slot,
				  const char *name)
{
	uint32_t pos, n, s;
	int r;

	r = fb_verify_vector_field(v, t, slot, name, 4, 4, &pos, &n);
	for (uint32_t i = 0; !r && i < n; i++) {
		fb_verify_index(v, i);
		r = fb_verify_ref(v, pos + 4 + 4 * i, &s);
		if (!r)
			r = fb_verify_string(v, s);
	}
	return r;
}

int fb_verify_required(struct fb_verifier *v, const struct fb_vtable *t,
		       unsigned slot, const char *name)
{
	unsigned vo = 4 + 2 * slot;

	fb_verify_at(v, name);
	if (vo >= t->vsize || !fb_read_u16(v->buf + t->vt + vo))
		return fb_verify_fail(v, "required field is missing");
	return 0;
}

int fb_verify_union(struct fb_verifier *v, const struct fb_vtable *t,
		    unsigned type_slot, const char *type_name, const char *name,
		    uint8_t *ret_type, uint32_t *ret_target)
{
	uint32_t pos;
	int r;

	r = fb_verify_field(v, t, type_slot, 1, 1, type_name, &pos);
	if (r)
		return r;
	*ret_type = pos ? v->buf[pos] : 0;
	r = fb_verify_ref_field(v, t, type_slot + 1, name, ret_target);
	if (r)
		return r;
	if (!*ret_type && *ret_target)
		return fb_verify_fail(v, "value present with union type NONE");
	if (*ret_type && !*ret_target)
		return fb_verify_fail(v, "union type %u without a value",
				      *ret_type);
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0-only */
/* FlatBuffers runtime for the code schema/fbgen.py generates: builder, reader helpers, verifier. */
#ifndef SENTINEL_FB_H
#define SENTINEL_FB_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

_Static_assert(
	__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	"FlatBuffers are little-endian; only little-endian hosts are supported");

/* Largest buffer the builder makes and the verifier accepts (64 MiB). */
#define FB_MAX_BUFFER (64u << 20)
/* Most vtable slots one table may have (a union takes two). */
#define FB_MAX_SLOTS 256
/* Deepest table nesting the verifier follows; the root table is depth 1. */
#define FB_MAX_DEPTH 64
/* Most tables one verification visits (bounds work on shared subtrees). */
#define FB_MAX_TABLES 1000000u
/* Recent vtables the builder compares a new one against. */
#define FB_VT_CACHE 16

/*
 * Reading.  A table pointer points at the table's soffset inside a buffer;
 * every helper takes NULL for an absent table and answers "absent".  Scalars
 * are read with memcpy and the generated structs are packed (their padding
 * is explicit), so a verified buffer may start at any address: nng's
 * REQ/REP message bodies, for one, are 4 mod 8.
 */

static inline uint8_t fb_read_u8(const void *p)
{
	return *(const uint8_t *)p;
}

static inline uint16_t fb_read_u16(const void *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t fb_read_u32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t fb_read_u64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline int8_t fb_read_i8(const void *p)
{
	return *(const int8_t *)p;
}

static inline int16_t fb_read_i16(const void *p)
{
	int16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline int32_t fb_read_i32(const void *p)
{
	int32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline int64_t fb_read_i64(const void *p)
{
	int64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline float fb_read_f32(const void *p)
{
	float v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline double fb_read_f64(const void *p)
{
	double v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline bool fb_read_bool(const void *p)
{
	return *(const uint8_t *)p != 0;
}

/* Offset of a field from its table start, 0 when absent (or t is NULL). */
static inline uint16_t fb_field_offset(const void *t, unsigned slot)
{
	const uint8_t *p = (const uint8_t *)t, *vt;
	unsigned vo = 4 + 2 * slot;

	if (!p)
		return 0;
	vt = p - fb_read_i32(p);
	if (vo >= fb_read_u16(vt))
		return 0;
	return fb_read_u16(vt + vo);
}

/* Address of a field's inline bytes, NULL when absent. */
static inline const uint8_t *fb_field(const void *t, unsigned slot)
{
	uint16_t off = fb_field_offset(t, slot);

	return off ? (const uint8_t *)t + off : NULL;
}

/* Follow the uoffset stored at p. */
static inline const uint8_t *fb_deref(const uint8_t *p)
{
	return p + fb_read_u32(p);
}

/* What an offset field (string, vector, table) points at, NULL when absent. */
static inline const uint8_t *fb_field_ref(const void *t, unsigned slot)
{
	const uint8_t *p = fb_field(t, slot);

	return p ? fb_deref(p) : NULL;
}

/* Length of a vector or string (its uint32 prefix), 0 for NULL. */
static inline size_t fb_vec_len(const uint8_t *v)
{
	return v ? fb_read_u32(v) : 0;
}

/* Element i of a vector of elem_size-byte elements, NULL when out of range. */
static inline const uint8_t *fb_vec_at(const uint8_t *v, size_t i,
				       size_t elem_size)
{
	if (!v || i >= fb_read_u32(v))
		return NULL;
	return v + 4 + i * elem_size;
}

/* The characters of a string field (NUL-terminated), NULL when absent. */
static inline const char *fb_field_string(const void *t, unsigned slot)
{
	const uint8_t *s = fb_field_ref(t, slot);

	return s ? (const char *)s + 4 : NULL;
}

/* Element i of a vector of tables or strings: its target, NULL out of range. */
static inline const uint8_t *fb_vec_ref_at(const uint8_t *v, size_t i)
{
	const uint8_t *e = fb_vec_at(v, i, 4);

	return e ? fb_deref(e) : NULL;
}

/* The root table of a finished buffer (unverified: verify first). */
static inline const void *fb_root(const void *buf)
{
	return (const uint8_t *)buf + fb_read_u32(buf);
}

/* Does the buffer carry this 4-byte file identifier? */
static inline int fb_has_identifier(const void *buf, size_t len,
				    const char ident[4])
{
	return buf && len >= 8 && !memcmp((const uint8_t *)buf + 4, ident, 4);
}

/*
 * Building.  The buffer grows from its end towards its start, like the
 * official builders; a reference ("ref", uint32_t) to a string, vector or
 * table is its distance from the end of the buffer, 0 meaning none.  Errors
 * are sticky: after the first one (-ENOMEM, -E2BIG over the size limit,
 * -EINVAL for misuse such as nested tables) every call does nothing and
 * returns 0 or NULL, and fb_builder_finish() returns the error.  One table
 * is built at a time: create its strings and vectors before its _start().
 */
struct fb_builder {
	uint8_t *buf;	 /* owned; the data is the last size bytes */
	size_t cap;	 /* bytes allocated at buf */
	size_t size;	 /* bytes of data, at buf + cap - size */
	size_t max_size; /* refuse (-E2BIG) to grow past this */
	size_t minalign; /* largest alignment used so far */
	int err;	 /* first error, sticky */
	bool in_table;	 /* between _start() and _end() */
	bool finished;
	uint16_t nslots;      /* slots of the table being built */
	uint16_t top;	      /* highest slot set + 1 */
	uint32_t table_start; /* size when the table started */
	/* each field's position (from the end), 0 unset */
	uint32_t slot[FB_MAX_SLOTS];
	uint32_t vt[FB_VT_CACHE]; /* refs of recent vtables, 0 unused */
	unsigned vt_next;
};

/* Set up an empty builder (no allocation yet); never fails. */
void fb_builder_init(struct fb_builder *b);
/* Forget the content and the error, keep the memory and the size limit. */
void fb_builder_reset(struct fb_builder *b);
/* Free the memory; the builder may be initialised again. */
void fb_builder_free(struct fb_builder *b);
/* The sticky error: 0 or -ENOMEM, -E2BIG, -EINVAL. */
int fb_builder_error(const struct fb_builder *b);
/* Record err (a negative errno) as the sticky error unless one is set. */
int fb_builder_fail(struct fb_builder *b, int err);
/* Lower (or raise, up to FB_MAX_BUFFER) the size limit; default FB_MAX_BUFFER. */
void fb_builder_set_max_size(struct fb_builder *b, size_t max);

/* Copy a string (len bytes, NUL added); returns its ref or 0 on error. */
uint32_t fb_create_string(struct fb_builder *b, const char *s, size_t len);
/* Copy n scalars or structs of elem_size bytes aligned to align (a power of
 * two up to 16); returns the vector's ref or 0 on error. */
uint32_t fb_create_vector(struct fb_builder *b, const void *elems, size_t n,
			  size_t elem_size, size_t align);
/* Make room for a vector of n elements and return where to write them
 * (valid until the next call on b), *ret_ref set to its ref; NULL on error
 * (then *ret_ref is 0). */
void *fb_vector_alloc(struct fb_builder *b, size_t n, size_t elem_size,
		      size_t align, uint32_t *ret_ref);
/* A vector of refs to tables or strings (all non-zero); returns its ref. */
uint32_t fb_create_ref_vector(struct fb_builder *b, const uint32_t *refs,
			      size_t n);

/* Table building, used by the generated _start/_add_/_end functions. */
void fb_table_start(struct fb_builder *b, unsigned nslots);
/* Room for a field's size bytes aligned to align in the open table: the
 * caller writes them there at once.  NULL on error. */
void *fb_table_field(struct fb_builder *b, unsigned slot, size_t size,
		     size_t align);
/* An offset field pointing at ref; ref 0 adds nothing. */
void fb_table_add_ref(struct fb_builder *b, unsigned slot, uint32_t ref);
/* Sticky -EINVAL unless the slot was set (a required field). */
void fb_table_require(struct fb_builder *b, unsigned slot);
/* Close the table (writing or sharing its vtable); returns its ref. */
uint32_t fb_table_end(struct fb_builder *b);

/* Write the root offset and the optional identifier: 0 or the sticky error. */
int fb_builder_finish(struct fb_builder *b, uint32_t root, const char ident[4]);
/* The finished buffer and its length; NULL (length 0) unless finished
 * without error.  Valid until the next call that changes b. */
const void *fb_builder_data(const struct fb_builder *b, size_t *ret_len);

static inline void fb_table_add_u8(struct fb_builder *b, unsigned slot,
				   uint8_t v)
{
	uint8_t *p = (uint8_t *)fb_table_field(b, slot, 1, 1);

	if (p)
		*p = v;
}

static inline void fb_table_add_scalar(struct fb_builder *b, unsigned slot,
				       const void *v, size_t size)
{
	void *p = fb_table_field(b, slot, size, size);

	if (p)
		memcpy(p, v, size);
}

static inline void fb_table_add_struct(struct fb_builder *b, unsigned slot,
				       const void *v, size_t size, size_t align)
{
	void *p = fb_table_field(b, slot, size, align);

	if (p)
		memcpy(p, v, size);
}

/*
 * Verifying.  The generated <Table>_verify() functions drive these; each
 * check returns 0 or -EBADMSG after writing "<path>: <what is wrong>" to
 * the caller's err buffer.  Alignment is checked relative to the buffer's
 * start, as flatc's verifier does.
 */
struct fb_path {
	const char *field;  /* field being checked, NULL before the first */
	const char *member; /* union member, or NULL */
	int64_t index;	    /* vector element, or -1 */
};

struct fb_verifier {
	const uint8_t *buf;
	size_t len;
	char *err;
	size_t errlen;
	const char *root;  /* root table name, first in the path */
	unsigned depth;	   /* tables open */
	uint32_t tables;   /* tables visited */
	uint64_t apparent; /* bytes of tables, vectors, strings visited */
	struct fb_path path[FB_MAX_DEPTH];
};

/* A table being verified: its position, its vtable and their sizes. */
struct fb_vtable {
	uint32_t pos;
	uint32_t vt;
	uint16_t vsize;
	uint16_t tsize;
};

/* Check the buffer's size and root offset: 0 and *ret_root, or -EBADMSG. */
int fb_verify_begin(struct fb_verifier *v, const void *buf, size_t len,
		    char *err, size_t errlen, const char *root,
		    uint32_t *ret_root);
/* Report an error at the current path; returns -EBADMSG. */
int fb_verify_fail(struct fb_verifier *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Enter the table at pos: depth, count, vtable checks. */
int fb_verify_table_enter(struct fb_verifier *v, uint32_t pos,
			  struct fb_vtable *ret);

/* Leave the table entered last. */
static inline void fb_verify_table_leave(struct fb_verifier *v)
{
	v->depth--;
}

/* Name the field now checked (in the table entered last). */
static inline void fb_verify_at(struct fb_verifier *v, const char *field)
{
	struct fb_path *p = &v->path[v->depth - 1];

	p->field = field;
	p->member = NULL;
	p->index = -1;
}

/* Name the vector element now checked. */
static inline void fb_verify_index(struct fb_verifier *v, size_t i)
{
	v->path[v->depth - 1].index = (int64_t)i;
}

/* Name the union member now checked. */
static inline void fb_verify_member(struct fb_verifier *v, const char *m)
{
	v->path[v->depth - 1].member = m;
}

/* Position of a field in the buffer (0 absent) after checking it lies in
 * its table, size bytes aligned to align. */
int fb_verify_field(struct fb_verifier *v, const struct fb_vtable *t,
		    unsigned slot, size_t size, size_t align, const char *name,
		    uint32_t *ret_pos);
/* An offset field: *ret_target is where it points (0 absent). */
int fb_verify_ref_field(struct fb_verifier *v, const struct fb_vtable *t,
			unsigned slot, const char *name, uint32_t *ret_target);
/* Follow the uoffset at pos (4-aligned, inside the buffer). */
int fb_verify_ref(struct fb_verifier *v, uint32_t pos, uint32_t *ret_target);
/* A string at pos: length in bounds, NUL present. */
int fb_verify_string(struct fb_verifier *v, uint32_t pos);
/* A vector at pos of elem_size-byte elements aligned to align: *ret_n. */
int fb_verify_vector(struct fb_verifier *v, uint32_t pos, size_t elem_size,
		     size_t align, uint32_t *ret_n);

/* A string field: *ret_pos is the string (0 absent). */
int fb_verify_string_field(struct fb_verifier *v, const struct fb_vtable *t,
			   unsigned slot, const char *name, uint32_t *ret_pos);
/* A vector field: *ret_pos is the vector (0 absent), *ret_n its length. */
int fb_verify_vector_field(struct fb_verifier *v, const struct fb_vtable *t,
			   unsigned slot, const char *name, size_t elem_size,
			   size_t align, uint32_t *ret_pos, uint32_t *ret_n);
/* A vector of strings field. */
int fb_verify_string_vector_field(struct fb_verifier *v,
				  const struct fb_vtable *t, unsigned slot,
				  const char *name);
/* Fail unless the field (a required one) is present. */
int fb_verify_required(struct fb_verifier *v, const struct fb_vtable *t,
		       unsigned slot, const char *name);
/* A union's type (slot type_slot) and value (the next slot): 0 with
 * *ret_type and *ret_target (0 for NONE), or -EBADMSG for a value without
 * a type or a type without a value.  Whether the type is known is the
 * caller's check (it knows the members). */
int fb_verify_union(struct fb_verifier *v, const struct fb_vtable *t,
		    unsigned type_slot, const char *type_name, const char *name,
		    uint8_t *ret_type, uint32_t *ret_target);

#endif

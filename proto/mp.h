/*
 * mp.h — strict, bounded reading of MessagePack.
 *
 * Writing is msgpack-c's job (its packer always picks the shortest form);
 * mp_write_* below are its door for parts that write a few values and
 * should not see msgpack-c's types.  Reading anything that crossed a trust
 * boundary goes through this module first, because it enforces what
 * msgpack-c does not:
 *
 *  - only the types gilde uses: nil, false, true, integers, str, bin,
 *    array, map.  Floats, ext types and the unused byte 0xc1 are rejected;
 *  - every header in its shortest form (an integer, a length or a count
 *    that fits a shorter encoding is rejected), so one value has exactly
 *    one encoding;
 *  - str is valid UTF-8 without NUL characters;
 *  - map keys are str, at most GL_KEY_MAX bytes, and unique within a map;
 *  - depth, string length, item counts and the total number of values are
 *    bounded (struct mp_limits), and a count can never exceed the bytes
 *    left, so nothing is allocated on the word of the input.
 *
 * Invariant of struct mp_reader: p <= end; the reader never looks at a byte
 * at or past end.
 */
#ifndef GILDE_MP_H
#define GILDE_MP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/alloc.h"
#include "proto/err.h"

enum mp_type {
	MP_NIL,
	MP_BOOL,
	MP_UINT,  /* a non-negative integer */
	MP_INT,   /* a negative integer */
	MP_STR,
	MP_BIN,
	MP_ARRAY,
	MP_MAP,
};

struct mp_item {
	enum mp_type type;
	union {
		bool b;
		uint64_t u;
		int64_t i;
		struct {
			const uint8_t *p;
			uint32_t len;
		} s;        /* MP_STR and MP_BIN: points into the input */
		uint32_t n; /* MP_ARRAY: items; MP_MAP: key/value pairs */
	} v;
};

struct mp_reader {
	const uint8_t *p;
	const uint8_t *end;
};

struct mp_limits {
	unsigned depth;   /* deepest nesting; a scalar alone is depth 0 */
	uint32_t str;     /* bytes per str or bin */
	uint32_t array;   /* items per array */
	uint32_t map;     /* key/value pairs per map */
	uint32_t values;  /* values in total */
};

static inline void mp_reader_init(struct mp_reader *r, const void *p, size_t len)
{
	r->p = p;
	/* an empty buffer may be NULL, and NULL + 0 is undefined in C */
	r->end = len ? (const uint8_t *)p + len : r->p;
}

static inline size_t mp_left(const struct mp_reader *r)
{
	return (size_t)(r->end - r->p);
}

/*
 * Read one header.  For str and bin the body is consumed too (item->v.s
 * points at it); for array and map only the header is consumed and the
 * caller reads the items.  Str bodies are checked for UTF-8 here.
 * Returns 0, GL_ETRUNC if the input ends too early, GL_EFORMAT for a type
 * gilde does not use or a non-shortest encoding.  On failure the reader
 * is unchanged.
 */
int mp_next(struct mp_reader *r, struct mp_item *item, struct gl_error *err);

/*
 * Check that r holds exactly one value that obeys every rule above and
 * lim, with `depth` levels of nesting already used by enclosing values,
 * and advance past it.  Returns 0 or GL_ETRUNC / GL_EFORMAT / GL_ELIMIT.
 * `values` counts values seen and is checked against lim->values.
 */
int mp_check_value(struct mp_reader *r, const struct mp_limits *lim,
                   unsigned depth, uint32_t *values, struct gl_error *err);

/*
 * Pass over one whole value (nested arrays and maps included), reading
 * each item as mp_next does but without checking strings' UTF-8 nor what
 * mp_check_value adds (limits, map keys): for input that was checked once
 * already (record bodies held in the store, body.h).  Never reads past the
 * input; returns 0, GL_ETRUNC (cut short, or counts the input cannot
 * hold) or GL_EFORMAT (a byte or header mp_next refuses).
 */
int mp_skip(struct mp_reader *r, struct gl_error *err);

/* Convenience readers: read one item of the stated type or fail. */
int mp_read_uint(struct mp_reader *r, uint64_t *out, struct gl_error *err);
int mp_read_str(struct mp_reader *r, const uint8_t **p, uint32_t *len,
                struct gl_error *err);
int mp_read_bin(struct mp_reader *r, const uint8_t **p, uint32_t *len,
                struct gl_error *err);
int mp_read_array(struct mp_reader *r, uint32_t *n, struct gl_error *err);
int mp_read_map(struct mp_reader *r, uint32_t *n, struct gl_error *err);

/* True if the bytes are valid UTF-8 (no overlongs, no surrogates, no NUL). */
bool mp_utf8_valid(const uint8_t *p, size_t len);

/*
 * Append one header or value to b, in its shortest form (what mp_next
 * reads back).  An array or map header is followed by its n items (n
 * key/value pairs), written by the caller.  Allocation failure aborts
 * (alloc.h); nothing else can fail.
 */
void mp_write_array(struct gl_buf *b, uint32_t n);
void mp_write_map(struct gl_buf *b, uint32_t n);
void mp_write_str(struct gl_buf *b, const char *s, size_t len);
void mp_write_bin(struct gl_buf *b, const void *p, size_t len);
void mp_write_uint(struct gl_buf *b, uint64_t v);
void mp_write_bool(struct gl_buf *b, bool v);

#endif

/*
 * alloc.h — allocation that never returns NULL.
 *
 * Policy (stated once for the whole project): running out of memory is not
 * an error we recover from.  These wrappers print one line and abort().
 * Memory use is bounded by explicit limits elsewhere, so reaching this is a
 * bug or a machine in distress, not a normal failure.
 */
#ifndef GILDE_ALLOC_H
#define GILDE_ALLOC_H

#include <stddef.h>
#include <stdint.h>

void *gl_xmalloc(size_t n);
void *gl_xcalloc(size_t count, size_t size);
void *gl_xrealloc(void *p, size_t n);
char *gl_xstrdup(const char *s);
char *gl_xstrndup(const char *s, size_t n);

/*
 * A growable byte buffer.  Invariant: data is NULL only while cap is 0;
 * len <= cap.  gl_buf_free() returns it to the empty state.
 */
struct gl_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

void gl_buf_reserve(struct gl_buf *b, size_t extra);
void gl_buf_append(struct gl_buf *b, const void *p, size_t n);
void gl_buf_free(struct gl_buf *b);
/* Drop the first n bytes, keeping the rest. */
void gl_buf_consume(struct gl_buf *b, size_t n);

#endif

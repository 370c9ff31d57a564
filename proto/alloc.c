#include "proto/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
	fprintf(stderr, "gilde: out of memory allocating %zu bytes\n", n);
	abort();
}

void *gl_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *gl_xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);
	if (!p)
		oom(count * size);
	return p;
}

void *gl_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *gl_xstrdup(const char *s)
{
	return gl_xstrndup(s, strlen(s));
}

char *gl_xstrndup(const char *s, size_t n)
{
	char *p = gl_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void gl_buf_reserve(struct gl_buf *b, size_t extra)
{
	if (b->cap - b->len >= extra)
		return;
	size_t want = b->len + extra;
	if (want < b->len)
		oom(SIZE_MAX);
	size_t cap = b->cap ? b->cap : 256;
	while (cap < want)
		cap = cap * 2 > cap ? cap * 2 : want;
	b->data = gl_xrealloc(b->data, cap);
	b->cap = cap;
}

void gl_buf_append(struct gl_buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	gl_buf_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void gl_buf_free(struct gl_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void gl_buf_consume(struct gl_buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

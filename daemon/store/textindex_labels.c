/*
 * textindex_labels.c — the taxonomy's labels as search terms
 * (textindex_int.h): found by facet and id in the table made at build
 * time, and cut into terms once per process, so that a record's tags
 * cost a lookup in memory each, never a stem.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "proto/alloc.h"
#include "store/textindex_int.h"

/* Every label's terms, each as length u8 then its bytes; label i's are
 * packed[start[i]] up to packed[start[i + 1]]. */
static struct {
	struct gl_buf packed;
	uint32_t start[TEXTINDEX_LABELS_MAX + 1];
	int rc;
	struct gl_error err;
} cut;
static pthread_once_t cut_once = PTHREAD_ONCE_INIT;

static int pack(void *ctx, const char *term, size_t len, unsigned pos, unsigned flags)
{
	(void)pos;
	(void)flags;
	uint8_t l = (uint8_t)len; /* len <= TEXT_TERM_MAX */
	gl_buf_append(ctx, &l, 1);
	gl_buf_append(ctx, term, len);
	return 0;
}

static void cut_all(void)
{
	struct text_stemmers st = { 0 };
	if (textindex_label_count > TEXTINDEX_LABELS_MAX) {
		cut.rc = gl_errorf(&cut.err, GL_ECONFIG, "the taxonomy has %zu labels; the search "
		                   "index takes at most %d", textindex_label_count,
		                   TEXTINDEX_LABELS_MAX);
		return;
	}
	if ((cut.rc = text_stemmers_init(&st, &cut.err)))
		return;
	for (size_t i = 0; i < textindex_label_count && cut.rc == 0; i++) {
		const struct textindex_label *l = &textindex_labels[i];
		cut.start[i] = (uint32_t)cut.packed.len;
		if ((cut.rc = text_terms(&st, l->nl, strlen(l->nl), "nl", 0, pack, &cut.packed,
		                         &cut.err)) == 0)
			cut.rc = text_terms(&st, l->en, strlen(l->en), "en", 0, pack, &cut.packed,
			                    &cut.err);
	}
	cut.start[textindex_label_count] = (uint32_t)cut.packed.len;
	text_stemmers_free(&st);
}

int textindex_label_terms(size_t i, text_term_fn fn, void *ctx, struct gl_error *err)
{
	pthread_once(&cut_once, cut_all);
	if (cut.rc) {
		if (err)
			*err = cut.err;
		return cut.rc;
	}
	int rc = 0;
	for (uint32_t at = cut.start[i]; at < cut.start[i + 1] && rc == 0;) {
		uint8_t len = cut.packed.data[at];
		rc = fn(ctx, (const char *)cut.packed.data + at + 1, len, 0, 0);
		at += 1u + len;
	}
	return rc;
}

static int label_cmp(const char *facet, const uint8_t *id, size_t idlen,
                     const struct textindex_label *l)
{
	int c = strcmp(facet, l->facet);
	if (c)
		return c;
	size_t ll = strlen(l->id);
	c = memcmp(id, l->id, idlen < ll ? idlen : ll);
	return c ? c : (idlen > ll) - (idlen < ll);
}

int textindex_label_find(const char *facet, const uint8_t *id, size_t idlen)
{
	size_t lo = 0, hi = textindex_label_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = label_cmp(facet, id, idlen, &textindex_labels[mid]);
		if (c == 0)
			return (int)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

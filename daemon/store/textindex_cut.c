/*
 * textindex_cut.c — a record's terms for the full-text index
 * (textindex.h: textindex_cut), cut on any thread before the write.
 */
#include <stdlib.h>
#include <string.h>

#include "proto/alloc.h"
#include "proto/body.h"
#include "store/textindex_int.h"
#include "store/text.h"

/*
 * A record's terms packed (textindex.h, struct textindex_terms): for each
 * distinct (term, field), in the order first met, length u8, field u8,
 * frequency u16 little-endian, the term's bytes.  While cutting, an open-addressing table finds the
 * entry of a (term, field) met before, whose frequency grows in place.
 */
#define PACK_HDR 4

struct cutter {
	struct textindex_terms *out;
	uint8_t field;        /* the field being cut */
	uint32_t *off, *hash; /* per slot: the entry's offset + 1 (0: empty), its hash */
	size_t nslots, used;  /* nslots a power of two, at least twice used */
	uint64_t labels[TEXTINDEX_LABELS_MAX / 64]; /* the labels given, by index */
};

static uint32_t term_hash(const char *term, size_t len, uint8_t field)
{
	uint32_t h = 2166136261u ^ field;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)term[i]) * 16777619u;
	return h;
}

static void cutter_grow(struct cutter *c)
{
	size_t n = c->nslots ? 2 * c->nslots : 256;
	uint32_t *off = gl_xcalloc(n, sizeof *off), *hash = gl_xmalloc(n * sizeof *hash);
	for (size_t i = 0; i < c->nslots; i++) {
		if (!c->off[i])
			continue;
		size_t j = c->hash[i] & (n - 1);
		while (off[j])
			j = (j + 1) & (n - 1);
		off[j] = c->off[i];
		hash[j] = c->hash[i];
	}
	free(c->off);
	free(c->hash);
	c->off = off;
	c->hash = hash;
	c->nslots = n;
}

static int collect(void *ctx, const char *term, size_t len, unsigned pos, unsigned flags)
{
	(void)pos;
	(void)flags;
	struct cutter *c = ctx;
	struct gl_buf *b = &c->out->packed;
	if (c->out->length < UINT32_MAX)
		c->out->length++;
	if (2 * (c->used + 1) > c->nslots)
		cutter_grow(c);
	uint32_t h = term_hash(term, len, c->field);
	size_t j = h & (c->nslots - 1);
	for (; c->off[j]; j = (j + 1) & (c->nslots - 1)) {
		uint8_t *p = b->data + c->off[j] - 1;
		if (c->hash[j] == h && p[0] == len && p[1] == c->field &&
		    !memcmp(p + PACK_HDR, term, len)) {
			unsigned tf = (unsigned)p[2] | (unsigned)p[3] << 8;
			if (tf < UINT16_MAX) {
				tf++;
				p[2] = (uint8_t)tf;
				p[3] = (uint8_t)(tf >> 8);
			}
			return 0;
		}
	}
	uint8_t hdr[PACK_HDR] = { (uint8_t)len, c->field, 1, 0 };
	c->off[j] = (uint32_t)b->len + 1;
	c->hash[j] = h;
	c->used++;
	gl_buf_append(b, hdr, sizeof hdr);
	gl_buf_append(b, term, len);
	return 0;
}

static uint8_t field_of(const uint8_t *k, uint32_t len)
{
	static const struct { const char *name; uint8_t field; } fields[] = {
		{ "name", TEXTINDEX_TITLE }, { "title", TEXTINDEX_TITLE },
		{ "description", TEXTINDEX_TEXT }, { "summary", TEXTINDEX_TEXT },
		{ "body", TEXTINDEX_TEXT },
	};
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (strlen(fields[i].name) == len && !memcmp(fields[i].name, k, len))
			return fields[i].field;
	return 0;
}

/* A language map {lang: text, ...} (or a bare string) of one field; a
 * value of another shape, or a language whose value is no string, has no
 * terms. */
static int cut_field(struct text_stemmers *st, const uint8_t *val, size_t vlen,
                     struct cutter *d, struct gl_error *err)
{
	const uint8_t *s, *k, *v;
	uint32_t sl, kl;
	size_t vl;
	struct body_iter it;
	if (body_value_str(val, vlen, &s, &sl))
		return text_terms(st, (const char *)s, sl, "", 0, collect, d, err);
	if (!body_entries(val, vlen, &it))
		return 0;
	int rc = 0;
	while (rc == 0 && body_entries_next(&it, &k, &kl, &v, &vl)) {
		char lang[GL_KEY_MAX + 1];
		size_t ll = kl < GL_KEY_MAX ? kl : GL_KEY_MAX;
		memcpy(lang, k, ll);
		lang[ll] = '\0';
		if (body_value_str(v, vl, &s, &sl))
			rc = text_terms(st, (const char *)s, sl, lang, 0, collect, d, err);
	}
	if (rc == 0 && it.left)
		rc = gl_errorf(err, GL_EFORMAT, "a language map does not read");
	return rc;
}

/*
 * The labels of the tags at key (an array of term ids of facet) in body
 * (a record body, or its "eligibility"), and of their parents, each once
 * per record: an offer for a loan is one for financing too.  A tag the
 * taxonomy does not know (a newer one) has no label.
 */
static int tag_labels(const uint8_t *body, size_t len, const char *key, const char *facet,
                      struct cutter *d, struct gl_error *err)
{
	struct body_iter it;
	const uint8_t *s;
	uint32_t sl;
	int rc = 0;
	if (!body_strs(body, len, key, &it))
		return 0;
	while (rc == 0 && body_strs_next(&it, &s, &sl)) {
		for (int i = textindex_label_find(facet, s, sl); i >= 0 && rc == 0;
		     i = textindex_labels[i].parent) {
			uint64_t bit = UINT64_C(1) << (i % 64);
			if (d->labels[i / 64] & bit)
				break; /* given, and its parents with it */
			d->labels[i / 64] |= bit;
			rc = textindex_label_terms((size_t)i, collect, d, err);
		}
	}
	return rc;
}

/* The labels of a record's needs, sectors and activities (textindex.h). */
static int labels(const struct record *r, struct cutter *d, struct gl_error *err)
{
	static const struct { const char *key, *facet; } tags[] = {
		{ "needs", "need" }, { "sectors", "sector" }, { "activities", "activity" },
	};
	const uint8_t *elig;
	size_t elen;
	bool has_elig = body_value(r->body, r->body_len, "eligibility", &elig, &elen);
	int rc = 0;
	d->field = TEXTINDEX_LABEL;
	for (size_t i = 0; i < sizeof tags / sizeof tags[0] && rc == 0; i++) {
		rc = tag_labels(r->body, r->body_len, tags[i].key, tags[i].facet, d, err);
		if (rc == 0 && has_elig)
			rc = tag_labels(elig, elen, tags[i].key, tags[i].facet, d, err);
	}
	return rc;
}

/* Every term of a record body into d. */
static int doc_terms(const struct record *r, struct cutter *d, struct gl_error *err)
{
	struct text_stemmers *stp;
	int rc = text_thread_stemmers(&stp, err);
	if (rc)
		return rc;
	const uint8_t *k, *v;
	uint32_t kl;
	size_t vl;
	struct body_iter it;
	if (!body_entries(r->body, r->body_len, &it))
		rc = gl_errorf(err, GL_EFORMAT, "the body is not a map");
	while (rc == 0 && body_entries_next(&it, &k, &kl, &v, &vl))
		if ((d->field = field_of(k, kl)))
			rc = cut_field(stp, v, vl, d, err);
	if (rc == 0 && it.left)
		rc = gl_errorf(err, GL_EFORMAT, "the body's fields do not read");
	if (rc == 0)
		rc = labels(r, d, err);
	if (rc == GL_ETRUNC || rc == GL_EFORMAT || rc == GL_ELIMIT) {
		gl_error_prefix(err, rc, "search index: a record body does not read");
		if (err)
			err->code = GL_ESTORE;
		rc = GL_ESTORE;
	}
	return rc;
}

bool textindex_searchable(int kind)
{
	return kind == RK_PARTNER || kind == RK_OFFER || kind == RK_EVENT || kind == RK_NEWS;
}

int textindex_cut(const struct record *r, struct textindex_terms *out, struct gl_error *err)
{
	out->packed.len = 0;
	out->length = 0;
	out->ready = false;
	struct cutter c = { .out = out };
	int rc = r->body && textindex_searchable(r->kind) ? doc_terms(r, &c, err) : 0;
	free(c.off);
	free(c.hash);
	out->ready = rc == 0;
	return rc;
}

void textindex_terms_free(struct textindex_terms *st)
{
	gl_buf_free(&st->packed);
	st->length = 0;
	st->ready = false;
}

bool textindex_next_term(const struct textindex_terms *st, size_t *at, const uint8_t **term,
                         uint8_t *len, uint8_t *field, uint16_t *tf)
{
	if (*at + PACK_HDR > st->packed.len)
		return false;
	const uint8_t *p = st->packed.data + *at;
	*len = p[0];
	*field = p[1];
	*tf = (uint16_t)(p[2] | p[3] << 8);
	*term = p + PACK_HDR;
	*at += PACK_HDR + p[0];
	return true;
}

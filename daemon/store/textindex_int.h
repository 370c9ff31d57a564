/*
 * textindex_int.h — the full-text index's insides, shared by its files
 * (textindex.c, textindex_cut.c, textindex_pend.c, textindex_rebuild.c)
 * and nothing else.  The layout is textindex.h's.
 */
#ifndef GILDE_STORE_TEXTINDEX_INT_H
#define GILDE_STORE_TEXTINDEX_INT_H

#include "store/store_int.h"
#include "store/text.h"
#include "store/textindex.h"

#define DOCNUM_LEN 6                    /* a document number, big-endian */
#define POSTING_LEN (DOCNUM_LEN + 2)    /* docnum || frequency u16 */
#define TERM_KEY_MAX (TEXT_TERM_MAX + 2) /* term || 0x00 || field */

/* The next (term, field) of packed terms at *at (textindex_cut.c); false
 * at the end. */
bool textindex_next_term(const struct textindex_terms *st, size_t *at, const uint8_t **term,
                         uint8_t *len, uint8_t *field, uint16_t *tf);

/* Add one posting (val) of a document of length len under term key key
 * (klen bytes) to what t's transaction writes at its next textindex_flush
 * (textindex_pend.c). */
void textindex_pend_add(struct store_txn *t, const uint8_t *key, size_t klen,
                        const uint8_t val[POSTING_LEN], uint32_t len);

/*
 * The block maxima (textindex.h; textindex_blocks.c), c a cursor on
 * t->s->blocks.  textindex_blocks_put: merge n postings (vals, in document
 * order, of documents of lengths lens) of term key key (term || 0x00 ||
 * field, klen bytes) into their blocks.  textindex_blocks_clear: document
 * dn no longer holds the term of key key (any field): its bit goes, the
 * maxima stay (upper bounds still), and a block that holds no document
 * goes.  Return 0 or a store error.
 */
int textindex_blocks_put(struct store_txn *t, MDB_cursor *c, const uint8_t *key, size_t klen,
                         const uint8_t *vals, const uint32_t *lens, size_t n,
                         struct gl_error *err);
int textindex_blocks_clear(struct store_txn *t, MDB_cursor *c, const uint8_t *key,
                           size_t klen, uint64_t dn, struct gl_error *err);

/* Whether so many postings wait in t that they are to be written first. */
bool textindex_pend_full(const struct store_txn *t);

/*
 * The queue of records indexed after their commit (textindex.h;
 * textindex_queue.c).  textindex_queue_add puts rkey at its end (the
 * record's write transaction); textindex_queue_empty empties it, as an
 * emptied index (textindex_empty) waits for nothing.  Return 0 or a store
 * error.
 */
#define TEXTINDEX_QUEUE_KEY "textqueue" /* the mark, in the store's meta */
int textindex_queue_add(struct store_txn *t, const uint8_t *rkey, size_t rlen,
                        struct gl_error *err);
int textindex_queue_empty(struct store_txn *t, struct gl_error *err);

/* Whether record key rkey has a document (*had); 0 or a store error. */
int textindex_indexed(struct store_txn *t, const uint8_t *rkey, size_t rlen, bool *had,
                      struct gl_error *err);

/*
 * The labels of the taxonomy's needs, sectors and activities, made into a
 * table when gilde is built (textindex_labels.py, from
 * schemas/taxonomy.json): sorted by facet, then id.
 */
#define TEXTINDEX_DIGEST_LEN 8
#define TEXTINDEX_LABELS_MAX 1024 /* textindex_labels.py refuses more */
struct textindex_label {
	const char *facet, *id, *nl, *en;
	int parent; /* its index, or -1 */
};
extern const struct textindex_label textindex_labels[];
extern const size_t textindex_label_count;
extern const uint8_t textindex_labels_digest[TEXTINDEX_DIGEST_LEN];

/* The index of term id (idlen bytes) of facet, or -1 (textindex_labels.c). */
int textindex_label_find(const char *facet, const uint8_t *id, size_t idlen);

/*
 * Give fn the terms of label i's Dutch and English texts (pos 0, flags
 * 0), cut once per process with the rules of text.h.  Returns 0, fn's
 * non-zero value, or GL_ECONFIG (libstemmer lacks Dutch or English).
 */
int textindex_label_terms(size_t i, text_term_fn fn, void *ctx, struct gl_error *err);

#endif

/*
 * textindex_int.h — the full-text index's insides, shared by its files
 * (textindex.c, textindex_cut.c, textindex_pend.c, textindex_rebuild.c)
 * and nothing else.  The layout is textindex.h's.
 */
#ifndef GILDE_STORE_TEXTINDEX_INT_H
#define GILDE_STORE_TEXTINDEX_INT_H

#include "store/store_int.h"
#include "store/textindex.h"

#define DOCNUM_LEN 6                    /* a document number, big-endian */
#define POSTING_LEN (DOCNUM_LEN + 2)    /* docnum || frequency u16 */
#define TERM_KEY_MAX (TEXT_TERM_MAX + 2) /* term || 0x00 || field */

/* The next (term, field) of packed terms at *at (textindex_cut.c); false
 * at the end. */
bool textindex_next_term(const struct textindex_terms *st, size_t *at, const uint8_t **term,
                         uint8_t *len, uint8_t *field, uint16_t *tf);

/* Add one posting (val) under term key key (klen bytes) to what t's
 * transaction writes at its next textindex_flush (textindex_pend.c). */
void textindex_pend_add(struct store_txn *t, const uint8_t *key, size_t klen,
                        const uint8_t val[POSTING_LEN]);

/* Whether so many postings wait in t that they are to be written first. */
bool textindex_pend_full(const struct store_txn *t);

#endif

/*
 * news.h — the latest news across partners, as JSON (`gilde news --json`,
 * GET /api/v1/news) and as an Atom 1.0 feed (RFC 4287; `gilde news
 * --atom`, GET /news.atom), written with libxml2's xmlTextWriter.
 *
 * Order: newest "published" first (the instant, whatever the offset it is
 * written with); items published at the same instant by author key, then
 * id, in byte order.  News whose "published" does not parse as an RFC 3339
 * date-time (the schema does not allow that) are left out.
 *
 * Memory is bounded by the limit, not by the number of news held: one scan
 * of the news keeps only the best `limit` keys (a heap), and only those
 * records are then read again and turned into JSON or XML.
 *
 * The feed:
 *   feed   id       urn:gilde:HEX:news, HEX the node's key (store meta
 *                   "node_pk") in 64 hex digits: stable for the node (it
 *                   changes with `gilde rotate-key`); urn:gilde:news if
 *                   the store has no node key
 *          title    "NAME: news from the partners" ("NAME: nieuws van de
 *                   partners" in nl), NAME the node's name (meta
 *                   "node_name") or "gilde"
 *          link rel=self  where the feed is read (the caller says: the
 *                   web's /news.atom, gilde news --atom FILE's name or
 *                   --self URL), if the caller knows
 *          updated  the latest `updated` of its entries, or now if none
 *          author   the node's name; generator "gilde"; xml:lang = lang
 *   entry  id       urn:gilde:HEX:news:ID, HEX the author's key: the same
 *                   for every version of the record
 *          title, summary  in lang, falling back as view_text() does
 *          updated  when the record's current version was issued (the
 *                   envelope's issued time, UTC): it moves with every
 *                   update of the record, so readers show the change
 *          published  the record's "published", in UTC
 *                   (2027-03-01T08:00:00Z)
 *          author/name  the partner's name in lang (view_partner_name),
 *                   else the author's key (ed25519:…)
 *          link rel=alternate  the record's "url", if it has one
 *          content  the record's "body" in lang as text, if it has one;
 *                   the summary if it has neither url nor body (an entry
 *                   needs one of them)
 * Characters XML 1.0 cannot carry at all (control characters other than
 * tab and line ends, U+FFFE, U+FFFF) are replaced by U+FFFD; libxml2 does
 * all the escaping.
 *
 * Caveat: libxml2 keeps global state.  A program that calls news_atom()
 * from several threads must call news_init() once from its main thread
 * before starting them.
 */
#ifndef GILDE_NEWS_H
#define GILDE_NEWS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "proto/err.h"
#include "proto/record.h"
#include "store/store.h"

#define NEWS_LIMIT_MAX 200    /* most items one call returns */
#define NEWS_LIMIT_DEFAULT 20 /* `gilde news`, GET /api/v1/news */
#define NEWS_ATOM_LIMIT 50    /* `gilde news --atom`, GET /news.atom */

/* Initialise libxml2 (xmlInitParser); see the caveat above.  Idempotent. */
void news_init(void);

/*
 * The latest news: *out receives a new JSON array (the caller owns it) of
 * at most limit record objects as view_entry_json() makes them, in the
 * order above.  t is a read (or write) transaction; nothing is written.
 * Returns 0, GL_EINVAL if t or out is NULL or limit is 0, GL_ELIMIT if
 * limit exceeds NEWS_LIMIT_MAX, or a store error (GL_EIO, GL_ESTORE).
 * *out is set only on success.
 */
int news_latest(struct store_txn *t, size_t limit, json_t **out, struct gl_error *err);

/*
 * The latest news (at most limit) as an Atom feed, described above, with
 * texts in lang ("nl", "en"; NULL: "en") and self as its rel="self" link
 * (an IRI reference, relative ones resolved against where the feed is
 * read; NULL: none).  *out receives the document,
 * UTF-8 and NUL-terminated, *len its length without the NUL; the caller
 * frees it with free().  Returns 0, the errors of news_latest(), or GL_EIO
 * if libxml2 fails to write.  *out and *len are set only on success.
 */
int news_atom(struct store_txn *t, size_t limit, const char *lang, const char *self, char **out,
              size_t *len, struct gl_error *err);


#endif

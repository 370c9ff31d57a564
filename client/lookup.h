/*
 * lookup.h — finding what a person names on gilde's command line: an
 * author by a short key or a partner's id (--author), a record by KIND/ID
 * whoever published it, and the words that say whose a record is
 * ("PMV (ed25519:Xk3vQ9aB)").
 *
 * A short key is the start of a key's text, with or without "ed25519:",
 * of at least LOOKUP_PREFIX_MIN base64url characters; gilde prints keys
 * short as LOOKUP_SHORT_CHARS characters, enough to tell the partners of
 * a federation apart and to paste back as --author.
 */
#ifndef GILDE_LOOKUP_H
#define GILDE_LOOKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/cli.h"
#include "proto/ident.h"

#define LOOKUP_PREFIX_MIN 4
#define LOOKUP_SHORT_CHARS 8
#define LOOKUP_SHORT_MAX (sizeof IDENT_PK_PREFIX + LOOKUP_SHORT_CHARS)

/* Keys found (v has n entries, owned: free(v)). */
struct lookup_keys {
	uint8_t (*v)[32];
	size_t n;
};

/* "ed25519:" and the key's first LOOKUP_SHORT_CHARS characters. */
void lookup_short_key(const uint8_t key[32], char out[LOOKUP_SHORT_MAX]);

/*
 * Whose a record by author is, in lang: its partner's name and its short
 * key, "PMV (ed25519:Xk3vQ9aB)", or the short key alone if the author has
 * no partner record here.  partner: the record's "partner" field, or
 * NULL.  Returns a copy the caller frees.
 */
char *lookup_who(struct store_txn *t, const uint8_t author[32], const char *partner,
                 const char *lang);

/*
 * lookup_who() remembered, for many records of few partners: a search's
 * hits come by score, not by author, so the last name (gilde list's) is
 * seldom the next one's.  Each (author, partner) is looked up once, in t
 * and lang, which must outlive the cache.  Past LOOKUP_CACHE_MAX pairs
 * the cache starts over.  lookup_who_cached() returns the words made one
 * line of outside text (cli_line: ready to print), owned by the cache
 * (valid until the next call or lookup_cache_free); partner (partner_len
 * bytes, not NUL-terminated; NULL for none) as lookup_who's.
 */
#define LOOKUP_CACHE_MAX 1024
struct lookup_cache;
struct lookup_cache *lookup_cache_new(struct store_txn *t, const char *lang);
const char *lookup_who_cached(struct lookup_cache *c, const uint8_t author[32],
                              const char *partner, size_t partner_len);
void lookup_cache_free(struct lookup_cache *c);

/*
 * The authors a --author value means, in key order, each once: the key
 * itself if value is a whole key; else the authors of partner records
 * whose id is value, and the authors whose key starts with value (a short
 * key).  *out is empty if none.  Returns 0 or a store error.
 */
int lookup_authors(struct store_txn *t, const char *value, struct lookup_keys *out,
                   struct gl_error *err);

/* The authors that hold a live record kind/id, in key order.  Returns 0
 * or a store error. */
int lookup_record_authors(struct store_txn *t, int kind, const char *id,
                          struct lookup_keys *out, struct gl_error *err);

/*
 * The one author a --author value means, into out: 0; or, after printing
 * why, EXIT_NOTFOUND (nothing matches) or EXIT_USAGE (several do: they
 * are listed with their names and short keys), or EXIT_FAIL.
 */
int lookup_one_author(const struct cli *cli, struct store_txn *t, const char *value,
                      uint8_t out[32]);

/*
 * The same for a key a command takes (what: "KEY", "--replaces"), which
 * may also be a partner profile waiting as an application (its id or the
 * start of its key) if applications is true.
 */
int lookup_one_key(const struct cli *cli, struct store_txn *t, const char *what,
                   const char *value, bool applications, uint8_t out[32]);

/* Print "  gilde get KIND/ID --author SHORTKEY  # NAME" for each author in
 * keys, on stderr. */
void lookup_print_candidates(const struct cli *cli, struct store_txn *t, int kind,
                             const char *id, const struct lookup_keys *keys);

#endif

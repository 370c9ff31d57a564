/*
 * view.h — records as JSON, the one shape every reader sees: `gilde get
 * --json`, `gilde list --json`, the web API (proto/API.md, "Records").
 */
#ifndef GILDE_VIEW_H
#define GILDE_VIEW_H

#include <jansson.h>

#include "store/store.h"

/* A record's JSON form: author, kind, id, version, content_id, issued,
 * expires, then the body's fields (or "retracted": true).  The caller owns
 * the result. */
json_t *view_entry_json(const struct store_entry *e);

/* The text of a language map field in lang (falling back to en, nl, any);
 * a plain string field as it is; NULL if absent. */
const char *view_text(json_t *body, const char *field, const char *lang);

/*
 * The same on a record body (proto/body.h): the text of field in lang,
 * falling back as view_text does (body_text), or the string field's value
 * (view_body_str), as a NUL-terminated copy the caller frees with free();
 * NULL if absent or of another type.  body may be NULL (a tombstone).
 */
char *view_body_text(const uint8_t *body, size_t len, const char *field, const char *lang);
char *view_body_str(const uint8_t *body, size_t len, const char *field);

/*
 * The name, in lang, of the organisation a record by author belongs to:
 * the author's partner record with id `partner` or, for partner NULL, the
 * author's first partner record (a key normally publishes one).  Returns a
 * copy the caller frees with free(), or NULL if there is no such partner
 * record (or it has no name).
 */
char *view_partner_name(struct store_txn *t, const uint8_t author[RECORD_KEY_LEN],
                        const char *partner, const char *lang);

#endif

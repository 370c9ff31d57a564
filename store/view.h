/*
 * view.h — records as JSON, the one shape every reader sees: `gilde get
 * --json`, `gilde list --json`, the web API (proto/API.md, "Records").
 */
#ifndef GILDE_VIEW_H
#define GILDE_VIEW_H

#include <jansson.h>

#include "store.h"

/* A record's JSON form: author, kind, id, version, content_id, issued,
 * expires, then the body's fields (or "retracted": true).  The caller owns
 * the result. */
json_t *view_entry_json(const struct store_entry *e);

/* The text of a language map field in lang (falling back to en, nl, any);
 * a plain string field as it is; NULL if absent. */
const char *view_text(json_t *body, const char *field, const char *lang);

#endif

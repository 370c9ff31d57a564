/*
 * doc.h — a record as a person writes it: one JSON object holding "kind",
 * "id" and the kind's fields (schemas/<kind>.schema.json).  doc_parse()
 * turns the text into the kind, the id and the msgpack body that a node
 * signs, after checking everything a receiver will check, so that what a
 * person publishes is never refused later by a peer.
 */
#ifndef GILDE_DOC_H
#define GILDE_DOC_H

#include <stddef.h>

#include "proto/alloc.h"
#include "proto/err.h"
#include "proto/bounds.h"
#include "schemas/schema.h"

struct doc {
	int kind;                /* enum record_kind */
	char id[GL_ID_MAX + 1];  /* NUL-terminated */
	struct gl_buf body;      /* msgpack map: every field but kind and id */
};

/*
 * Parse and validate len bytes of JSON text.  `source` names the text in
 * messages (a file name).  Only the kinds a person publishes (partner,
 * offer, event, news) are accepted.  Returns 0 and fills *out (free with
 * doc_free), or GL_EJSON / GL_ESCHEMA / GL_ELIMIT with every problem found
 * in err, each line starting with source; *out is untouched on failure.
 */
int doc_parse(const struct schema_set *set, const char *text, size_t len,
              const char *source, struct doc *out, struct gl_error *err);

void doc_free(struct doc *d);

/*
 * Check a record body received in a signed record (from a peer, an import
 * or the store) against its kind's schema.  Kinds without a schema pass.
 * Returns 0 or GL_ESCHEMA with the first problems in err.
 */
int doc_check_body(const struct schema_set *set, int kind, const char *id,
                   size_t id_len, const uint8_t *body, size_t body_len,
                   struct gl_error *err);

#endif

/*
 * body.h — reading fields of a record body (record.h: r->body, a msgpack
 * map from field name to value) without decoding the rest of it.
 *
 * Every function here takes a body that record_parse() has accepted: its
 * shape and limits are checked already, so a malformed body reads as a
 * missing field, never as an error.  Pointers handed out point into the
 * body and stay valid as long as it does.
 */
#ifndef GILDE_PROTO_BODY_H
#define GILDE_PROTO_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/mp.h"

/* Position rd on the value of field key in body; false if absent. */
bool body_field(const uint8_t *body, size_t len, const char *key, struct mp_reader *rd);

/* The string value of key (*s, *slen: not NUL-terminated); false if absent
 * or not a string. */
bool body_str(const uint8_t *body, size_t len, const char *key, const uint8_t **s,
              uint32_t *slen);

/* Whether the string value of key equals want. */
bool body_str_is(const uint8_t *body, size_t len, const char *key, const char *want);

/*
 * Whether the array of strings at key lists want.  *present says whether
 * the field is there as a non-empty array (an absent or empty list means
 * "any" to most readers: they decide).
 */
bool body_lists(const uint8_t *body, size_t len, const char *key, const char *want,
                bool *present);

#endif

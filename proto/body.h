/*
 * body.h — reading fields of a record body (record.h: r->body, a msgpack
 * map from field name to value) without decoding the rest of it.  The one
 * way the store, the queries and the client read a body: nothing above
 * proto/ decodes one by hand.
 *
 * Every function here takes a body that record_parse() has accepted: its
 * shape and limits are checked already, so a malformed body reads as a
 * missing field, never as an error.  Wherever a function takes a body it
 * also takes any map value inside one, as body_value() hands it out
 * ("eligibility", "location"), so nested fields read the same way.
 * Pointers handed out point into the body and stay valid as long as it
 * does; strings are not NUL-terminated unless copied (body_str_copy).
 * A field of another type than asked reads as absent.
 */
#ifndef GILDE_PROTO_BODY_H
#define GILDE_PROTO_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/mp.h"

/* Position rd on the value of field key in body; false if absent. */
bool body_field(const uint8_t *body, size_t len, const char *key, struct mp_reader *rd);

/* The bytes of the value of key (*val, *vlen: exactly one msgpack value);
 * false if absent.  A map value is a body to every function here. */
bool body_value(const uint8_t *body, size_t len, const char *key, const uint8_t **val,
                size_t *vlen);

/* The string value of key (*s, *slen: not NUL-terminated); false if absent
 * or not a string. */
bool body_str(const uint8_t *body, size_t len, const char *key, const uint8_t **s,
              uint32_t *slen);

/* Whether the string value of key equals want. */
bool body_str_is(const uint8_t *body, size_t len, const char *key, const char *want);

/*
 * Copy the string value of key into buf (n bytes, n >= 1) with a NUL
 * after it.  False, and buf "", if it is absent, not a string, or has n
 * bytes or more (never truncated: a text that does not fit is refused).
 */
bool body_str_copy(const uint8_t *body, size_t len, const char *key, char *buf, size_t n);

/*
 * The text of field key in language lang: for a language map
 * ({"nl": …, "en": …}) its string under lang, else under "en", else under
 * "nl", else its first string in the map's order; for a plain string, the
 * string.  lang may be NULL (then "en" first).  False if absent or of
 * another type, or a map without a string.
 */
bool body_text(const uint8_t *body, size_t len, const char *key, const char *lang,
               const uint8_t **s, uint32_t *slen);

/* The same for a field's value v (vl bytes, as body_value gives it). */
bool body_text_value(const uint8_t *v, size_t vl, const char *lang, const uint8_t **s,
                     uint32_t *slen);

/* The integer value of key; false if absent, not an integer, or above
 * INT64_MAX. */
bool body_int(const uint8_t *body, size_t len, const char *key, int64_t *out);

/* The boolean value of key; false if absent or not a boolean. */
bool body_bool(const uint8_t *body, size_t len, const char *key, bool *out);

/*
 * Whether the array of strings at key lists want.  *present says whether
 * the field is there as a non-empty array (an absent or empty list means
 * "any" to most readers: they decide).
 */
bool body_lists(const uint8_t *body, size_t len, const char *key, const char *want,
                bool *present);

/*
 * Walking an array's strings or a map's entries.  The iterator is a view
 * of the body; nothing to free.
 */
struct body_iter {
	struct mp_reader rd;
	uint32_t left;   /* items (array) or entries (map) not yet read */
	bool map;
};

/*
 * Begin a walk over the strings of the array at key: false if it is absent
 * or not an array.  body_strs_next gives the next string (*s, *slen),
 * passing over items of other types, and false at the end.
 */
bool body_strs(const uint8_t *body, size_t len, const char *key, struct body_iter *it);
bool body_strs_next(struct body_iter *it, const uint8_t **s, uint32_t *slen);

/*
 * Begin a walk over the entries of the map map (a body, or a value from
 * body_value): false if it is not a map.  body_entries_next gives the
 * next entry's key (*key, *klen) and value bytes (*val, *vlen; a body to
 * these functions if it is a map, a string to body_value_str), and false
 * at the end.  A walk that ends with it->left > 0 met bytes that do not
 * read: a body record_parse() did not accept.
 */
bool body_entries(const uint8_t *map, size_t len, struct body_iter *it);
bool body_entries_next(struct body_iter *it, const uint8_t **key, uint32_t *klen,
                       const uint8_t **val, size_t *vlen);

/* The string a value (from body_value or body_entries_next) holds; false
 * if it holds another type. */
bool body_value_str(const uint8_t *val, size_t vlen, const uint8_t **s, uint32_t *slen);

#endif

/*
 * jsonmp.h — conversion between JSON (jansson) and msgpack (msgpack-c),
 * for the subset of values records hold: objects with string keys, arrays,
 * strings, integers and booleans.  JSON null and fractional numbers have
 * no place in a record and are refused with the JSON pointer of the value.
 */
#ifndef GILDE_JSONMP_H
#define GILDE_JSONMP_H

#include <jansson.h>
#include <msgpack.h>

#include "proto/alloc.h"
#include "proto/err.h"

/*
 * Append v as msgpack to out.  If v is an object, its members named in
 * `skip` (a NULL-terminated list, or NULL) are left out at the top level.
 * Returns 0, or GL_ESCHEMA naming the pointer of a null or a fraction.
 */
int jsonmp_pack(const json_t *v, const char *const *skip, struct gl_buf *out,
                struct gl_error *err);

/* A new JSON value for a msgpack object; NULL for types JSON lacks.
 * The caller owns the reference. */
json_t *jsonmp_to_json(const msgpack_object *o);

/*
 * Decode a msgpack map of len bytes (a record body already checked by
 * record_parse) into a JSON object.  Returns NULL if it does not decode.
 */
json_t *jsonmp_body_to_json(const uint8_t *body, size_t len);

/* The same for one msgpack value of len bytes of any type JSON has (a
 * value of a checked body, as body_value() gives it); NULL otherwise. */
json_t *jsonmp_value_to_json(const uint8_t *val, size_t len);

#endif

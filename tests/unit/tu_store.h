/*
 * tu_store.h — one record written into a test's store, for the unit tests
 * of the query side (match, facts, screen, ecomap): the body given as JSON
 * text, signed with sk, stored in a transaction of its own.  Header-only,
 * like testutil.h; include after cmocka.h.
 */
#ifndef GILDE_TU_STORE_H
#define GILDE_TU_STORE_H

#include <jansson.h>
#include <string.h>

#include "proto/alloc.h"
#include "proto/record.h"
#include "schemas/jsonmp.h"
#include "store/store.h"

/* Sign and store a record of kind with this id and body (JSON text; NULL:
 * a tombstone), version *version (then one more), issued 1700000000 and
 * expiring 4000000000. */
static inline void tu_put_json(struct store *s, const uint8_t sk[64], uint64_t *version,
                               int kind, const char *id, const char *body_json)
{
	struct gl_buf body = { 0 }, env = { 0 };
	if (body_json) {
		json_error_t je;
		json_t *j = json_loads(body_json, 0, &je);
		if (!j)
			fail_msg("bad JSON in the test: %s", je.text);
		assert_int_equal(jsonmp_pack(j, NULL, &body, NULL), 0);
		json_decref(j);
	}
	struct record_draft d = { .kind = kind, .id = id, .id_len = strlen(id),
	                          .version = (*version)++, .issued = 1700000000,
	                          .expires = 4000000000u, .body = body.data, .body_len = body.len };
	struct record r;
	enum store_outcome oc;
	struct store_txn *t;
	assert_int_equal(record_sign(&d, sk, &env, NULL), 0);
	assert_int_equal(record_parse(env.data, env.len, &r, NULL), 0);
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	assert_int_equal(store_put(t, &r, &oc, NULL), 0);
	assert_int_equal(store_commit(t, NULL), 0);
	gl_buf_free(&body);
	gl_buf_free(&env);
}

#endif

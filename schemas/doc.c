#include "schemas/doc.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <msgpack.h>

#include "schemas/jsonmp.h"
#include "schemas/recurrence.h"
#include "proto/mp.h"
#include "proto/record.h"

static bool publishable(int kind)
{
	return kind == RK_PARTNER || kind == RK_OFFER || kind == RK_EVENT || kind == RK_NEWS;
}

static const char *source_name(const char *source, char named[GL_ID_MAX + 32], int kind,
                               const char *id, size_t id_len)
{
	if (source)
		return source;
	snprintf(named, GL_ID_MAX + 32, "%s/%.*s", record_kind_name(kind), (int)id_len, id);
	return named;
}

static int validate_body(const struct schema_set *set, int kind, const char *id,
                         size_t id_len, const uint8_t *body, size_t len,
                         const char *source, struct gl_error *err)
{
	msgpack_zone zone;
	msgpack_zone_init(&zone, 4096);
	msgpack_object o;
	size_t off = 0;
	int rc;
	/* without a source, messages name kind/id: made only when there is one to give */
	char named[GL_ID_MAX + 32];
	if (msgpack_unpack((const char *)body, len, &off, &zone, &o) != MSGPACK_UNPACK_SUCCESS ||
	    off != len) {
		rc = gl_errorf(err, GL_EFORMAT, "%s: body does not decode",
		               source_name(source, named, kind, id, id_len));
		goto out;
	}
	struct schema_errors errs;
	rc = schema_validate_record(set, kind, id, id_len, &o, &errs);
	if (rc == GL_ENOTFOUND)
		rc = 0;
	else if (rc)
		schema_errors_report(&errs, source_name(source, named, kind, id, id_len), err);
	/* what the RRULE pattern cannot say: libical reads it, one part once, ... */
	else if (kind == RK_EVENT && (rc = recurrence_check(body, len, err)))
		gl_error_prefix(err, rc, "%s", source_name(source, named, kind, id, id_len));
out:
	msgpack_zone_destroy(&zone);
	return rc;
}

int doc_parse(const struct schema_set *set, const char *text, size_t len,
              const char *source, struct doc *out, struct gl_error *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	struct gl_buf body = { 0 };
	int rc;
	if (!root)
		return gl_errorf(err, GL_EJSON, "%s:%d:%d: %s", source, jerr.line, jerr.column,
		                 jerr.text);
	if (!json_is_object(root)) {
		rc = gl_errorf(err, GL_ESCHEMA, "%s: /: a record must be a JSON object", source);
		goto fail;
	}
	json_t *jk = json_object_get(root, "kind");
	json_t *ji = json_object_get(root, "id");
	if (!json_is_string(jk)) {
		/* the sample's profiles lie beside its records: say what they are */
		bool profile = !jk && json_object_get(root, "phase") && json_object_get(root, "needs");
		rc = gl_errorf(err, GL_ESCHEMA,
		               "%s: /kind: required, one of partner, offer, event, news%s", source,
		               profile ? " (this is a starter's profile, not a record: gilde match "
		                         "--profile and gilde plan init --profile take it)" : "");
		goto fail;
	}
	const char *ks = json_string_value(jk);
	int kind = record_kind_parse(ks, json_string_length(jk));
	if (!kind || !publishable(kind)) {
		rc = gl_errorf(err, GL_ESCHEMA,
		               "%s: /kind: \"%.40s\" is not one of partner, offer, event, news%s",
		               source, ks,
		               kind ? " (endorse, revoke and node records are made by gilde "
		                      "commands, not from files)"
		                    : "");
		goto fail;
	}
	if (!json_is_string(ji)) {
		rc = gl_errorf(err, GL_ESCHEMA, "%s: /id: required, a slug such as \"starter-loan\"",
		               source);
		goto fail;
	}
	const char *id = json_string_value(ji);
	size_t id_len = json_string_length(ji);
	if (!record_id_valid(id, id_len)) {
		rc = gl_errorf(err, GL_ESCHEMA,
		               "%s: /id: \"%.80s\" must be 1 to %u characters of a-z, 0-9, '.', "
		               "'_', '-', starting with a letter or digit",
		               source, id, GL_ID_MAX);
		goto fail;
	}
	static const char *const skip[] = { "kind", "id", NULL };
	rc = jsonmp_pack(root, skip, &body, err);
	if (rc) {
		gl_error_prefix(err, rc, "%s", source);
		goto fail;
	}
	rc = validate_body(set, kind, id, id_len, body.data, body.len, source, err);
	if (rc)
		goto fail;
	/* the same structural limits a receiver applies (depth, sizes, counts) */
	struct mp_reader rd;
	mp_reader_init(&rd, body.data, body.len);
	/* the payload array and its first seven items are eight values; the
	 * body map, the eighth item, counts itself (PROTOCOL.md 2.5) */
	uint32_t values = 8;
	rc = mp_check_value(&rd, &record_body_limits, 1, &values, err);
	if (rc) {
		gl_error_prefix(err, rc, "%s", source);
		goto fail;
	}
	out->kind = kind;
	memcpy(out->id, id, id_len);
	out->id[id_len] = '\0';
	out->body = body;
	json_decref(root);
	return 0;
fail:
	gl_buf_free(&body);
	json_decref(root);
	return rc;
}

void doc_free(struct doc *d)
{
	gl_buf_free(&d->body);
}

int doc_check_body(const struct schema_set *set, int kind, const char *id,
                   size_t id_len, const uint8_t *body, size_t body_len,
                   struct gl_error *err)
{
	return validate_body(set, kind, id, id_len, body, body_len, NULL, err);
}

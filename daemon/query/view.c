/*
 * view.c — records as JSON for people and programs: what `gilde get
 * --json` prints and what the web API answers.
 */
#include "query/view.h"

#include <string.h>

#include "proto/alloc.h"
#include "proto/body.h"
#include "proto/clock.h"
#include "proto/ident.h"
#include "schemas/jsonmp.h"
#include "proto/record.h"

json_t *view_entry_json(const struct store_entry *e)
{
	char key[IDENT_TEXT_MAX], cid[2 * RECORD_CID_LEN + 1], ts[32];
	json_t *o = json_object();
	ident_format(IDENT_PK_PREFIX, e->author, key);
	ident_hex(e->cid, RECORD_CID_LEN, cid);
	json_object_set_new(o, "author", json_string(key));
	json_object_set_new(o, "kind", json_string(record_kind_name(e->kind)));
	json_object_set_new(o, "id", json_stringn(e->id, e->id_len));
	json_object_set_new(o, "version", json_integer((json_int_t)e->version));
	json_object_set_new(o, "content_id", json_string(cid));
	json_object_set_new(o, "issued", json_string(clock_format(e->issued, ts)));
	json_object_set_new(o, "expires", json_string(clock_format(e->expires, ts)));
	if (e->tombstone) {
		json_object_set_new(o, "retracted", json_true());
		return o;
	}
	struct record r;
	json_t *body = NULL;
	if (record_parse_held(e->env, e->env_len, &r, NULL) == 0 && r.body)
		body = jsonmp_body_to_json(r.body, r.body_len);
	if (body) {
		const char *k;
		json_t *v;
		json_object_foreach(body, k, v) {
			if (!json_object_get(o, k))
				json_object_set(o, k, v);
		}
		json_decref(body);
	}
	return o;
}

const char *view_text(json_t *body, const char *field, const char *lang)
{
	json_t *m = json_object_get(body, field);
	if (!json_is_object(m))
		return json_string_value(m);
	const char *s = json_string_value(json_object_get(m, lang));
	if (!s)
		s = json_string_value(json_object_get(m, "en"));
	if (!s)
		s = json_string_value(json_object_get(m, "nl"));
	if (!s) {
		const char *k;
		json_t *v;
		json_object_foreach(m, k, v) {
			if (json_is_string(v))
				return json_string_value(v);
		}
	}
	return s;
}

char *view_body_text(const uint8_t *body, size_t len, const char *field, const char *lang)
{
	const uint8_t *s;
	uint32_t sl;
	return body_text(body, len, field, lang, &s, &sl) ? gl_xstrndup((const char *)s, sl) : NULL;
}

char *view_body_str(const uint8_t *body, size_t len, const char *field)
{
	const uint8_t *s;
	uint32_t sl;
	return body_str(body, len, field, &s, &sl) ? gl_xstrndup((const char *)s, sl) : NULL;
}

struct name_ctx {
	const char *lang;
	char *name;
};

/* The name of the first partner record visited; a tombstone has none. */
static int take_name(void *vctx, const struct store_entry *e)
{
	struct name_ctx *nc = vctx;
	struct record r;
	if (!e->tombstone && record_parse_held(e->env, e->env_len, &r, NULL) == 0)
		nc->name = view_body_text(r.body, r.body_len, "name", nc->lang);
	return 1;
}

char *view_partner_name(struct store_txn *t, const uint8_t author[RECORD_KEY_LEN],
                        const char *partner, const char *lang)
{
	struct name_ctx nc = { .lang = lang ? lang : "en" };
	if (partner) {
		struct store_entry e;
		if (store_get(t, author, RK_PARTNER, partner, strlen(partner), &e, NULL) == 0 &&
		    !e.tombstone)
			take_name(&nc, &e);
		return nc.name;
	}
	struct store_filter f = { .kind = RK_PARTNER, .author = author };
	store_scan(t, &f, take_name, &nc, NULL);
	return nc.name;
}

/*
 * schema_validate.c — validating a document, a msgpack object, against a
 * compiled schema (schema.h, schema_int.h); failures collected with their
 * JSON pointers.
 */
#include "schemas/schema_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/alloc.h"
#include "proto/bounds.h"
#include "proto/clock.h"
#include "proto/record.h"
#include "schemas/jsonmp.h"

/* ---- validation ------------------------------------------------------- */

struct vctx {
	const struct schema_set *set;
	struct schema_errors *errs;
	pcre2_match_data *md;  /* made on the first pattern, freed at the end */
	char ptr[600];
	size_t plen;
	unsigned refs; /* $ref hops on the current path, bounded against cycles */
};

static void fail(struct vctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct vctx *c, const char *fmt, ...)
{
	struct schema_errors *e = c->errs;
	e->total++;
	if (e->n >= SCHEMA_ERRORS_MAX)
		return;
	size_t pl = c->plen < sizeof e->e[0].pointer ? c->plen : sizeof e->e[0].pointer - 1;
	memcpy(e->e[e->n].pointer, c->ptr, pl);
	e->e[e->n].pointer[pl] = '\0';
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->e[e->n].msg, sizeof e->e[e->n].msg, fmt, ap);
	va_end(ap);
	e->n++;
}

static size_t push_key(struct vctx *c, const char *k, size_t len)
{
	size_t mark = c->plen;
	if (c->plen + 1 < sizeof c->ptr)
		c->ptr[c->plen++] = '/';
	for (size_t i = 0; i < len && c->plen + 3 < sizeof c->ptr; i++) {
		if (k[i] == '~' || k[i] == '/') {
			c->ptr[c->plen++] = '~';
			c->ptr[c->plen++] = k[i] == '~' ? '0' : '1';
		} else {
			c->ptr[c->plen++] = k[i];
		}
	}
	c->ptr[c->plen] = '\0';
	return mark;
}

static size_t push_index(struct vctx *c, uint32_t i)
{
	size_t mark = c->plen;
	int n = snprintf(c->ptr + c->plen, sizeof c->ptr - c->plen, "/%u", i);
	if (n > 0 && (size_t)n < sizeof c->ptr - c->plen)
		c->plen += (size_t)n;
	return mark;
}

static void pop(struct vctx *c, size_t mark)
{
	c->plen = mark;
	c->ptr[mark] = '\0';
}

static const char *type_name(const msgpack_object *o)
{
	switch (o->type) {
	case MSGPACK_OBJECT_NIL: return "null";
	case MSGPACK_OBJECT_BOOLEAN: return "a boolean";
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
	case MSGPACK_OBJECT_NEGATIVE_INTEGER: return "an integer";
	case MSGPACK_OBJECT_STR: return "a string";
	case MSGPACK_OBJECT_ARRAY: return "an array";
	case MSGPACK_OBJECT_MAP: return "an object";
	default: return "an unsupported value";
	}
}

static bool type_ok(enum stype t, const msgpack_object *o)
{
	switch (o->type) {
	case MSGPACK_OBJECT_BOOLEAN: return t == ST_BOOLEAN;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
	case MSGPACK_OBJECT_NEGATIVE_INTEGER: return t == ST_INTEGER;
	case MSGPACK_OBJECT_STR: return t == ST_STRING;
	case MSGPACK_OBJECT_ARRAY: return t == ST_ARRAY;
	case MSGPACK_OBJECT_MAP: return t == ST_OBJECT;
	default: return false;
	}
}

static bool str_is(const msgpack_object *o, const struct sstr *s)
{
	return o->type == MSGPACK_OBJECT_STR && o->via.str.size == s->len &&
	       (s->len == 0 || memcmp(o->via.str.ptr, s->s, s->len) == 0);
}

static bool str_eq(const msgpack_object *o, const char *s)
{
	struct sstr w = { s, strlen(s) };
	return str_is(o, &w);
}

static size_t codepoints(const char *p, size_t n)
{
	size_t cps = 0;
	for (size_t i = 0; i < n; i++)
		cps += ((unsigned char)p[i] & 0xc0) != 0x80;
	return cps;
}

static void check_string(struct vctx *c, const struct snode *s, const msgpack_object *o)
{
	const char *p = o->via.str.ptr;
	size_t n = o->via.str.size;
	size_t cps = codepoints(p, n);
	if ((json_int_t)cps < s->min_len)
		fail(c, s->min_len == 1 ? "must not be empty" : "must be at least %lld characters",
		     (long long)s->min_len);
	if (s->max_len >= 0 && (json_int_t)cps > s->max_len)
		fail(c, "%zu characters, more than the %lld allowed", cps, (long long)s->max_len);
	if (s->re) {
		if (!c->md)
			c->md = pcre2_match_data_create(1, NULL);
		/* strings are valid UTF-8 already (mp.h): spare PCRE2 the check */
		if (pcre2_match(s->re, (PCRE2_SPTR)p, n, 0, PCRE2_NO_UTF_CHECK, c->md, NULL) < 0)
			fail(c, "\"%.*s%s\" does not match the pattern %s", (int)(n > 60 ? 60 : n), p,
			     n > 60 ? "…" : "", s->pattern);
	}
	if (!s->format)
		return;
	char small[64];
	if (n >= sizeof small) {
		fail(c, "\"%.20s…\" is too long for a %s", p, s->format);
		return;
	}
	memcpy(small, p, n);
	small[n] = '\0';
	int64_t t;
	bool date = !strcmp(s->format, "date");
	/* RFC 3339 date-times carry seconds; clock_parse also takes HH:MM */
	if (clock_parse(small, &t) != 0 || (date ? n != 10 : n < 20 || small[16] != ':'))
		fail(c, "\"%s\" is not a valid %s", small,
		     date ? "date (YYYY-MM-DD)"
		          : "date-time (YYYY-MM-DDTHH:MM:SS with Z or an offset such as +01:00)");
}

/* The error for a value outside s's enum: every allowed value, never a cut
 * list; if they do not all fit in a message, how many there are and where
 * they are listed. */
static void check_enum(struct vctx *c, const struct snode *s, const msgpack_object *o)
{
	for (size_t i = 0; i < s->nenum; i++)
		if (str_is(o, &s->enums[i]))
			return;
	char list[sizeof c->errs->e[0].msg] = "";
	size_t len = 0;
	bool all = true;
	for (size_t i = 0; i < s->nenum && all; i++) {
		int n = snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", s->enums[i].s);
		all = n >= 0 && (size_t)n < sizeof list - len;
		len += all ? (size_t)n : 0;
	}
	/* room for the value (60 bytes at most) and the words around it */
	if (!all || len + 60 + 32 >= sizeof list) {
		int vl = o->type != MSGPACK_OBJECT_STR ? 0
		         : (int)(o->via.str.size > 60 ? 60 : o->via.str.size);
		fail(c, "%s%.*s%sis not one of the %zu values allowed here (gilde taxonomy lists the "
		     "taxonomy's terms)", vl ? "\"" : "", vl, vl ? o->via.str.ptr : "", vl ? "\" " : "",
		     s->nenum);
		return;
	}
	if (o->type == MSGPACK_OBJECT_STR)
		fail(c, "\"%.*s\" is not one of: %s", (int)(o->via.str.size > 60 ? 60 : o->via.str.size),
		     o->via.str.ptr, list);
	else
		fail(c, "must be one of: %s", list);
}

static void validate_node(struct vctx *c, const struct snode *s, const msgpack_object *o);

static void check_object(struct vctx *c, const struct snode *s, const msgpack_object *o)
{
	const msgpack_object_map *m = &o->via.map;
	for (size_t i = 0; i < s->nreq; i++) {
		bool found = false;
		for (uint32_t k = 0; k < m->size && !found; k++)
			found = str_is(&m->ptr[k].key, &s->required[i]);
		if (!found) {
			size_t mark = push_key(c, s->required[i].s, s->required[i].len);
			fail(c, "required field is missing");
			pop(c, mark);
		}
	}
	if ((json_int_t)m->size < s->min_props)
		fail(c, "needs at least %lld field%s", (long long)s->min_props,
		     s->min_props == 1 ? "" : "s");
	if (s->max_props >= 0 && (json_int_t)m->size > s->max_props)
		fail(c, "has %u fields, more than the %lld allowed", m->size, (long long)s->max_props);
	for (uint32_t k = 0; k < m->size; k++) {
		const msgpack_object *key = &m->ptr[k].key;
		if (key->type != MSGPACK_OBJECT_STR)
			continue; /* the strict reader admits only string keys */
		/* msgpack-c may give an empty str a NULL pointer */
		const char *kp = key->via.str.size ? key->via.str.ptr : "";
		size_t mark = push_key(c, kp, key->via.str.size);
		const struct snode *sub = NULL;
		for (size_t i = 0; i < s->nprops && !sub; i++)
			if (str_is(key, &s->props[i].name))
				sub = s->props[i].node;
		if (sub) {
			validate_node(c, sub, &m->ptr[k].val);
		} else if (s->closed) {
			char allowed[200] = "";
			size_t len = 0;
			for (size_t i = 0; i < s->nprops; i++) {
				int n = snprintf(allowed + len, sizeof allowed - len, "%s%s",
				                 len ? ", " : "", s->props[i].name.s);
				if (n < 0 || (size_t)n >= sizeof allowed - len)
					break;
				len += (size_t)n;
			}
			fail(c, "unknown field (allowed here: %s)", allowed);
		}
		pop(c, mark);
	}
}

static void check_array(struct vctx *c, const struct snode *s, const msgpack_object *o)
{
	const msgpack_object_array *a = &o->via.array;
	if ((json_int_t)a->size < s->min_items)
		fail(c, "needs at least %lld item%s", (long long)s->min_items,
		     s->min_items == 1 ? "" : "s");
	if (s->max_items >= 0 && (json_int_t)a->size > s->max_items)
		fail(c, "has %u items, more than the %lld allowed", a->size, (long long)s->max_items);
	/* pairwise, so only up to maxItems: a longer array has failed already,
	 * and a document's arrays are not bounded before this check */
	if (s->unique && (s->max_items < 0 || (json_int_t)a->size <= s->max_items)) {
		for (uint32_t i = 1; i < a->size; i++)
			for (uint32_t j = 0; j < i; j++)
				if (msgpack_object_equal(a->ptr[i], a->ptr[j])) {
					/* reported at the array, where JSON Schema puts it */
					fail(c, "items %u and %u are the same; items must be unique", j, i);
					j = i;
				}
	}
	if (s->items)
		for (uint32_t i = 0; i < a->size; i++) {
			size_t mark = push_index(c, i);
			validate_node(c, s->items, &a->ptr[i]);
			pop(c, mark);
		}
}

static void validate_node(struct vctx *c, const struct snode *s, const msgpack_object *o)
{
	if (s->ref_text) {
		if (!s->ref || c->refs >= 32) {
			fail(c, "schema error: $ref %s does not resolve", s->ref_text);
			return;
		}
		c->refs++;
		validate_node(c, s->ref, o);
		c->refs--;
		return;
	}
	if (s->type_name && !type_ok(s->type, o)) {
		fail(c, "expected %s%s, got %s",
		     s->type == ST_INTEGER || s->type == ST_ARRAY ? "an " : "a ", s->type_name,
		     type_name(o));
		return;
	}
	if (s->cst && !str_eq(o, s->cst))
		fail(c, "must be \"%s\"", s->cst);
	if (s->enums)
		check_enum(c, s, o);
	switch (o->type) {
	case MSGPACK_OBJECT_STR:
		check_string(c, s, o);
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
	case MSGPACK_OBJECT_NEGATIVE_INTEGER: {
		bool neg = o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER;
		const json_t *mn = s->minimum, *mx = s->maximum;
		/* positive values beyond INT64_MAX compare as large */
		if (mn && (neg ? o->via.i64 < json_integer_value(mn)
		               : (json_integer_value(mn) > 0 &&
		                  o->via.u64 < (uint64_t)json_integer_value(mn))))
			fail(c, "must be at least %lld", (long long)json_integer_value(mn));
		if (mx && (neg ? o->via.i64 > json_integer_value(mx)
		               : (json_integer_value(mx) < 0 ||
		                  o->via.u64 > (uint64_t)json_integer_value(mx))))
			fail(c, "must be at most %lld", (long long)json_integer_value(mx));
		break;
	}
	case MSGPACK_OBJECT_MAP:
		check_object(c, s, o);
		break;
	case MSGPACK_OBJECT_ARRAY:
		check_array(c, s, o);
		break;
	default:
		break;
	}
}

int schema_validate(const struct schema_set *set, const char *name,
                    const msgpack_object *doc, struct schema_errors *errs)
{
	const struct sfile *f = schema_find_file(set, name, strlen(name));
	if (!f)
		return GL_ENOTFOUND;
	struct vctx c = { .set = set, .errs = errs };
	errs->n = errs->total = 0;
	validate_node(&c, f->croot, doc);
	pcre2_match_data_free(c.md);
	return errs->total ? GL_ESCHEMA : 0;
}

int schema_validate_record(const struct schema_set *set, int kind,
                           const char *id, size_t id_len,
                           const msgpack_object *body, struct schema_errors *errs)
{
	const char *kn = record_kind_name(kind);
	char name[64];
	if (!kn)
		return GL_ENOTFOUND;
	snprintf(name, sizeof name, "%s.schema.json", kn);
	const struct sfile *f = schema_find_file(set, name, strlen(name));
	if (!f)
		return GL_ENOTFOUND;
	errs->n = errs->total = 0;
	struct vctx c = { .set = set, .errs = errs };
	if (body->type != MSGPACK_OBJECT_MAP) {
		fail(&c, "the body must be an object");
		return GL_ESCHEMA;
	}
	/* present kind and id as the first two properties of one object */
	uint32_t n = body->via.map.size;
	msgpack_object_kv *kv = gl_xcalloc(n + 2, sizeof *kv);
	kv[0].key.type = kv[1].key.type = MSGPACK_OBJECT_STR;
	kv[0].key.via.str.ptr = "kind";
	kv[0].key.via.str.size = 4;
	kv[0].val.type = MSGPACK_OBJECT_STR;
	kv[0].val.via.str.ptr = kn;
	kv[0].val.via.str.size = (uint32_t)strlen(kn);
	kv[1].key.via.str.ptr = "id";
	kv[1].key.via.str.size = 2;
	kv[1].val.type = MSGPACK_OBJECT_STR;
	kv[1].val.via.str.ptr = id;
	kv[1].val.via.str.size = (uint32_t)id_len;
	for (uint32_t i = 0; i < n; i++) {
		const msgpack_object *k = &body->via.map.ptr[i].key;
		if (str_eq(k, "kind") || str_eq(k, "id")) {
			size_t mark = push_key(&c, k->via.str.ptr, k->via.str.size);
			fail(&c, "belongs to the envelope, not the body");
			pop(&c, mark);
		}
		kv[i + 2] = body->via.map.ptr[i];
	}
	msgpack_object whole = { .type = MSGPACK_OBJECT_MAP };
	whole.via.map.size = n + 2;
	whole.via.map.ptr = kv;
	validate_node(&c, f->croot, &whole);
	pcre2_match_data_free(c.md);
	free(kv);
	return errs->total ? GL_ESCHEMA : 0;
}

int schema_errors_report(const struct schema_errors *errs, const char *source,
                         struct gl_error *err)
{
	if (!err)
		return GL_ESCHEMA;
	size_t len = 0;
	unsigned shown = 0;
	err->msg[0] = '\0';
	/* whole problems only: one that does not fit is counted below, not cut */
	for (unsigned i = 0; i < errs->n; i++) {
		char one[sizeof err->msg];
		int n = snprintf(one, sizeof one, "%s%s: %s: %s", i ? "\n" : "", source,
		                 errs->e[i].pointer[0] ? errs->e[i].pointer : "/", errs->e[i].msg);
		if (n < 0 || (size_t)n >= sizeof err->msg - len - 64)
			break;
		memcpy(err->msg + len, one, (size_t)n + 1);
		len += (size_t)n;
		shown++;
	}
	if (errs->total > shown)
		snprintf(err->msg + len, sizeof err->msg - len, "\n%s: … and %u more problem%s",
		         source, errs->total - shown, errs->total - shown == 1 ? "" : "s");
	err->code = GL_ESCHEMA;
	return GL_ESCHEMA;
}

int schema_validate_json(const struct schema_set *set, const char *name, const json_t *doc,
                         const char *source, struct gl_error *err)
{
	struct gl_buf b = { 0 };
	int rc = jsonmp_pack(doc, NULL, &b, err);
	if (rc) {
		gl_error_prefix(err, rc, "%s", source);
		gl_buf_free(&b);
		return rc;
	}
	msgpack_zone zone;
	msgpack_zone_init(&zone, 1024);
	msgpack_object o;
	size_t off = 0;
	struct schema_errors errs;
	if (msgpack_unpack((const char *)b.data, b.len, &off, &zone, &o) != MSGPACK_UNPACK_SUCCESS)
		rc = gl_errorf(err, GL_ESCHEMA, "%s: the document does not encode", source);
	else if ((rc = schema_validate(set, name, &o, &errs)))
		schema_errors_report(&errs, source, err);
	msgpack_zone_destroy(&zone);
	gl_buf_free(&b);
	return rc;
}

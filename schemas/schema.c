#include "schema.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "clock.h"
#include "bounds.h"
#include "record.h"

struct sfile {
	const char *name;
	json_t *root;
};

struct pattern {
	const json_t *node; /* the schema object holding "pattern" */
	pcre2_code *re;     /* shared by threads; match data is per validation */
};

struct schema_set {
	struct sfile *files;
	size_t nfiles;
	struct pattern *pats;
	size_t npats;
};

/* ---- loading ---------------------------------------------------------- */

static const struct sfile *find_file(const struct schema_set *set, const char *name,
                                     size_t len)
{
	for (size_t i = 0; i < set->nfiles; i++)
		if (strlen(set->files[i].name) == len &&
		    memcmp(set->files[i].name, name, len) == 0)
			return &set->files[i];
	return NULL;
}

/*
 * Resolve a $ref of one of the forms "#/$defs/NAME" and
 * "FILE#/$defs/NAME" relative to file `from`.
 */
static const json_t *resolve(const struct schema_set *set, const struct sfile *from,
                             const char *ref, const struct sfile **in)
{
	const char *hash = strchr(ref, '#');
	if (!hash)
		return NULL;
	const struct sfile *f = hash == ref ? from : find_file(set, ref, (size_t)(hash - ref));
	if (!f)
		return NULL;
	const char *frag = hash + 1;
	if (strncmp(frag, "/$defs/", 7) != 0 || strchr(frag + 7, '/'))
		return NULL;
	const json_t *node = json_object_get(json_object_get(f->root, "$defs"), frag + 7);
	if (!json_is_object(node))
		return NULL;
	*in = f;
	return node;
}

static bool is_count(const json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) >= 0;
}

static int check_node(struct schema_set *set, const struct sfile *f,
                      const json_t *node, char *ptr, size_t plen, bool root,
                      struct gl_error *err);

static int check_map_of_schemas(struct schema_set *set, const struct sfile *f,
                                const json_t *map, char *ptr, size_t plen,
                                struct gl_error *err)
{
	if (!json_is_object(map))
		return gl_errorf(err, GL_ESCHEMA, "%s: %s: expected an object", f->name, ptr);
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)map, k, v) {
		int n = snprintf(ptr + plen, 512 - plen, "/%s", k);
		if (n < 0 || (size_t)n >= 512 - plen)
			return gl_errorf(err, GL_ESCHEMA, "%s: schema nested too deeply", f->name);
		int rc = check_node(set, f, v, ptr, plen + (size_t)n, false, err);
		ptr[plen] = '\0';
		if (rc)
			return rc;
	}
	return 0;
}

static int check_node(struct schema_set *set, const struct sfile *f,
                      const json_t *node, char *ptr, size_t plen, bool root,
                      struct gl_error *err)
{
	if (!json_is_object(node))
		return gl_errorf(err, GL_ESCHEMA, "%s: %s: a schema must be an object",
		                 f->name, ptr);
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)node, k, v) {
		int rc = 0;
		size_t n = (size_t)snprintf(ptr + plen, 512 - plen, "/%s", k);
		if (n >= 512 - plen)
			return gl_errorf(err, GL_ESCHEMA, "%s: schema nested too deeply", f->name);
		if (!strcmp(k, "$schema") || !strcmp(k, "$id") || !strcmp(k, "$comment") ||
		    !strcmp(k, "title") || !strcmp(k, "description")) {
			if (!json_is_string(v))
				rc = gl_errorf(err, GL_ESCHEMA, "%s: %s: expected a string",
				               f->name, ptr);
		} else if (!strcmp(k, "$defs") || !strcmp(k, "properties")) {
			rc = check_map_of_schemas(set, f, v, ptr, plen + n, err);
		} else if (!strcmp(k, "items")) {
			rc = check_node(set, f, v, ptr, plen + n, false, err);
		} else if (!strcmp(k, "$ref")) {
			const struct sfile *in;
			if (!json_is_string(v) || !resolve(set, f, json_string_value(v), &in))
				rc = gl_errorf(err, GL_ESCHEMA, "%s: %s: $ref does not resolve",
				               f->name, ptr);
		} else if (!strcmp(k, "type")) {
			const char *t = json_string_value(v);
			if (!t || (strcmp(t, "object") && strcmp(t, "array") && strcmp(t, "string") &&
			           strcmp(t, "integer") && strcmp(t, "boolean")))
				rc = gl_errorf(err, GL_ESCHEMA,
				               "%s: %s: type must be one of object, array, string, "
				               "integer, boolean", f->name, ptr);
		} else if (!strcmp(k, "required") || !strcmp(k, "enum")) {
			size_t i;
			json_t *s;
			if (!json_is_array(v))
				rc = gl_errorf(err, GL_ESCHEMA, "%s: %s: expected an array", f->name, ptr);
			json_array_foreach(v, i, s) {
				if (!json_is_string(s))
					rc = gl_errorf(err, GL_ESCHEMA, "%s: %s/%zu: expected a string",
					               f->name, ptr, i);
			}
		} else if (!strcmp(k, "const")) {
			if (!json_is_string(v))
				rc = gl_errorf(err, GL_ESCHEMA, "%s: %s: only string constants are supported",
				               f->name, ptr);
		} else if (!strcmp(k, "additionalProperties")) {
			if (!json_is_false(v))
				rc = gl_errorf(err, GL_ESCHEMA,
				               "%s: %s: only additionalProperties: false is supported",
				               f->name, ptr);
		} else if (!strcmp(k, "uniqueItems")) {
			if (!json_is_true(v))
				rc = gl_errorf(err, GL_ESCHEMA, "%s: %s: only uniqueItems: true is supported",
				               f->name, ptr);
		} else if (!strcmp(k, "minProperties") || !strcmp(k, "maxProperties") ||
		           !strcmp(k, "minItems") || !strcmp(k, "maxItems") ||
		           !strcmp(k, "minLength") || !strcmp(k, "maxLength")) {
			if (!is_count(v))
				rc = gl_errorf(err, GL_ESCHEMA, "%s: %s: expected a non-negative integer",
				               f->name, ptr);
		} else if (!strcmp(k, "minimum") || !strcmp(k, "maximum")) {
			if (!json_is_integer(v))
				rc = gl_errorf(err, GL_ESCHEMA, "%s: %s: expected an integer", f->name, ptr);
		} else if (!strcmp(k, "format")) {
			const char *s = json_string_value(v);
			if (!s || (strcmp(s, "date") && strcmp(s, "date-time")))
				rc = gl_errorf(err, GL_ESCHEMA, "%s: %s: format must be date or date-time",
				               f->name, ptr);
		} else if (!strcmp(k, "pattern")) {
			const char *s = json_string_value(v);
			set->pats = gl_xrealloc(set->pats, (set->npats + 1) * sizeof *set->pats);
			struct pattern *p = &set->pats[set->npats];
			int ecode;
			PCRE2_SIZE eoff;
			p->re = s ? pcre2_compile((PCRE2_SPTR)s, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &ecode,
			                          &eoff, NULL)
			          : NULL;
			if (!p->re) {
				rc = gl_errorf(err, GL_ESCHEMA, "%s: %s: not a regular expression", f->name, ptr);
			} else {
				pcre2_jit_compile(p->re, PCRE2_JIT_COMPLETE); /* else interpreted */
				p->node = node;
				set->npats++;
			}
		} else if (root && !strcmp(k, "x-terms")) {
			/* data (taxonomy labels), read by taxonomy.c */
		} else {
			rc = gl_errorf(err, GL_ESCHEMA,
			               "%s: %s: keyword not supported by the C validator "
			               "(see schemas/README.md)", f->name, ptr);
		}
		ptr[plen] = '\0';
		if (rc)
			return rc;
	}
	return 0;
}

int schema_set_load(struct schema_set **out, struct gl_error *err)
{
	return schema_set_load_files(schema_files, schema_file_count, out, err);
}

int schema_set_load_files(const struct schema_file *files, size_t n,
                          struct schema_set **out, struct gl_error *err)
{
	struct schema_set *set = gl_xcalloc(1, sizeof *set);
	set->files = gl_xcalloc(n, sizeof *set->files);
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		json_error_t jerr;
		json_t *root = json_loadb(files[i].text, files[i].len, JSON_REJECT_DUPLICATES, &jerr);
		if (!root) {
			rc = gl_errorf(err, GL_ESCHEMA, "%s:%d: %s", files[i].name, jerr.line, jerr.text);
			goto fail;
		}
		set->files[set->nfiles].name = files[i].name;
		set->files[set->nfiles].root = root;
		set->nfiles++;
	}
	for (size_t i = 0; i < set->nfiles; i++) {
		char ptr[512] = "";
		rc = check_node(set, &set->files[i], set->files[i].root, ptr, 0, true, err);
		if (rc)
			goto fail;
	}
	*out = set;
	return 0;
fail:
	schema_set_free(set);
	return rc;
}

void schema_set_free(struct schema_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->npats; i++)
		pcre2_code_free(set->pats[i].re);
	free(set->pats);
	for (size_t i = 0; i < set->nfiles; i++)
		json_decref(set->files[i].root);
	free(set->files);
	free(set);
}

const json_t *schema_set_file(const struct schema_set *set, const char *name)
{
	const struct sfile *f = find_file(set, name, strlen(name));
	return f ? f->root : NULL;
}

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

static bool type_ok(const char *t, const msgpack_object *o)
{
	switch (o->type) {
	case MSGPACK_OBJECT_BOOLEAN: return !strcmp(t, "boolean");
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
	case MSGPACK_OBJECT_NEGATIVE_INTEGER: return !strcmp(t, "integer");
	case MSGPACK_OBJECT_STR: return !strcmp(t, "string");
	case MSGPACK_OBJECT_ARRAY: return !strcmp(t, "array");
	case MSGPACK_OBJECT_MAP: return !strcmp(t, "object");
	default: return false;
	}
}

static bool str_eq(const msgpack_object *o, const char *s)
{
	size_t n = strlen(s);
	return o->type == MSGPACK_OBJECT_STR && o->via.str.size == n &&
	       memcmp(o->via.str.ptr, s, n) == 0;
}

static size_t codepoints(const char *p, size_t n)
{
	size_t cps = 0;
	for (size_t i = 0; i < n; i++)
		cps += ((unsigned char)p[i] & 0xc0) != 0x80;
	return cps;
}

static const pcre2_code *pattern_of(const struct schema_set *set, const json_t *node)
{
	for (size_t i = 0; i < set->npats; i++)
		if (set->pats[i].node == node)
			return set->pats[i].re;
	return NULL;
}

static json_int_t count_kw(const json_t *schema, const char *kw, json_int_t dflt)
{
	const json_t *v = json_object_get(schema, kw);
	return v ? json_integer_value(v) : dflt;
}

static void check_string(struct vctx *c, const json_t *schema, const msgpack_object *o)
{
	const char *p = o->via.str.ptr;
	size_t n = o->via.str.size;
	size_t cps = codepoints(p, n);
	json_int_t min = count_kw(schema, "minLength", 0);
	json_int_t max = count_kw(schema, "maxLength", -1);
	if ((json_int_t)cps < min)
		fail(c, min == 1 ? "must not be empty"
		                 : "must be at least %lld characters", (long long)min);
	if (max >= 0 && (json_int_t)cps > max)
		fail(c, "%zu characters, more than the %lld allowed", cps, (long long)max);
	const json_t *pat = json_object_get(schema, "pattern");
	const json_t *fmt = json_object_get(schema, "format");
	const pcre2_code *re = pat ? pattern_of(c->set, schema) : NULL;
	if (re) {
		if (!c->md)
			c->md = pcre2_match_data_create(1, NULL);
		/* strings are valid UTF-8 already (mp.h): spare PCRE2 the check */
		if (pcre2_match(re, (PCRE2_SPTR)p, n, 0, PCRE2_NO_UTF_CHECK, c->md, NULL) < 0)
			fail(c, "\"%.*s%s\" does not match the pattern %s", (int)(n > 60 ? 60 : n), p,
			     n > 60 ? "…" : "", json_string_value(pat));
	}
	if (!fmt)
		return;
	char small[64];
	if (n >= sizeof small) {
		fail(c, "\"%.20s…\" is too long for a %s", p, json_string_value(fmt));
		return;
	}
	memcpy(small, p, n);
	small[n] = '\0';
	const char *f = json_string_value(fmt);
	int64_t t;
	bool date = !strcmp(f, "date");
	/* RFC 3339 date-times carry seconds; clock_parse also takes HH:MM */
	if (clock_parse(small, &t) != 0 || (date ? n != 10 : n < 20 || small[16] != ':'))
		fail(c, "\"%s\" is not a valid %s", small,
		     date ? "date (YYYY-MM-DD)"
		          : "date-time (YYYY-MM-DDTHH:MM:SS with Z or an offset such as +01:00)");
}

static void check_enum(struct vctx *c, const json_t *en, const msgpack_object *o)
{
	size_t i;
	json_t *v;
	json_array_foreach(en, i, v) {
		if (str_eq(o, json_string_value(v)))
			return;
	}
	char list[240] = "";
	size_t len = 0;
	json_array_foreach(en, i, v) {
		int n = snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "",
		                 json_string_value(v));
		if (n < 0 || (size_t)n >= sizeof list - len - 8) {
			memcpy(list + len, ", …", sizeof ", …");
			break;
		}
		len += (size_t)n;
	}
	if (o->type == MSGPACK_OBJECT_STR)
		fail(c, "\"%.*s\" is not one of: %s", (int)(o->via.str.size > 60 ? 60 : o->via.str.size),
		     o->via.str.ptr, list);
	else
		fail(c, "must be one of: %s", list);
}

static void validate_node(struct vctx *c, const struct sfile *f, const json_t *schema,
                          const msgpack_object *o);

static void check_object(struct vctx *c, const struct sfile *f, const json_t *schema,
                         const msgpack_object *o)
{
	const msgpack_object_map *m = &o->via.map;
	const json_t *props = json_object_get(schema, "properties");
	const json_t *req = json_object_get(schema, "required");
	size_t i;
	json_t *v;
	json_array_foreach(req, i, v) {
		const char *name = json_string_value(v);
		bool found = false;
		for (uint32_t k = 0; k < m->size && !found; k++)
			found = str_eq(&m->ptr[k].key, name);
		if (!found) {
			size_t mark = push_key(c, name, strlen(name));
			fail(c, "required field is missing");
			pop(c, mark);
		}
	}
	json_int_t minp = count_kw(schema, "minProperties", 0);
	json_int_t maxp = count_kw(schema, "maxProperties", -1);
	if ((json_int_t)m->size < minp)
		fail(c, "needs at least %lld field%s", (long long)minp, minp == 1 ? "" : "s");
	if (maxp >= 0 && (json_int_t)m->size > maxp)
		fail(c, "has %u fields, more than the %lld allowed", m->size, (long long)maxp);
	bool closed = json_is_false(json_object_get(schema, "additionalProperties"));
	for (uint32_t k = 0; k < m->size; k++) {
		const msgpack_object *key = &m->ptr[k].key;
		if (key->type != MSGPACK_OBJECT_STR)
			continue; /* the strict reader admits only string keys */
		/* msgpack-c may give an empty str a NULL pointer */
		const char *kp = key->via.str.size ? key->via.str.ptr : "";
		size_t kn = key->via.str.size;
		size_t mark = push_key(c, kp, kn);
		const json_t *sub = NULL;
		if (props) {
			char name[GL_KEY_MAX + 1];
			if (kn < sizeof name) {
				memcpy(name, kp, kn);
				name[kn] = '\0';
				sub = json_object_get(props, name);
			}
		}
		if (sub) {
			validate_node(c, f, sub, &m->ptr[k].val);
		} else if (closed) {
			char allowed[200] = "";
			size_t len = 0;
			const char *name;
			json_object_foreach((json_t *)props, name, v) {
				int n = snprintf(allowed + len, sizeof allowed - len, "%s%s",
				                 len ? ", " : "", name);
				if (n < 0 || (size_t)n >= sizeof allowed - len)
					break;
				len += (size_t)n;
			}
			fail(c, "unknown field (allowed here: %s)", allowed);
		}
		pop(c, mark);
	}
}

static void check_array(struct vctx *c, const struct sfile *f, const json_t *schema,
                        const msgpack_object *o)
{
	const msgpack_object_array *a = &o->via.array;
	json_int_t min = count_kw(schema, "minItems", 0);
	json_int_t max = count_kw(schema, "maxItems", -1);
	if ((json_int_t)a->size < min)
		fail(c, "needs at least %lld item%s", (long long)min, min == 1 ? "" : "s");
	if (max >= 0 && (json_int_t)a->size > max)
		fail(c, "has %u items, more than the %lld allowed", a->size, (long long)max);
	/* pairwise, so only up to maxItems: a longer array has failed already,
	 * and a document's arrays are not bounded before this check */
	if (json_is_true(json_object_get(schema, "uniqueItems")) &&
	    (max < 0 || (json_int_t)a->size <= max)) {
		for (uint32_t i = 1; i < a->size; i++)
			for (uint32_t j = 0; j < i; j++)
				if (msgpack_object_equal(a->ptr[i], a->ptr[j])) {
					/* reported at the array, where JSON Schema puts it */
					fail(c, "items %u and %u are the same; items must be unique", j, i);
					j = i;
				}
	}
	const json_t *items = json_object_get(schema, "items");
	if (items)
		for (uint32_t i = 0; i < a->size; i++) {
			size_t mark = push_index(c, i);
			validate_node(c, f, items, &a->ptr[i]);
			pop(c, mark);
		}
}

static void validate_node(struct vctx *c, const struct sfile *f, const json_t *schema,
                          const msgpack_object *o)
{
	const json_t *ref = json_object_get(schema, "$ref");
	if (ref) {
		const struct sfile *in;
		const json_t *target = resolve(c->set, f, json_string_value(ref), &in);
		if (!target || c->refs >= 32) {
			fail(c, "schema error: $ref %s does not resolve", json_string_value(ref));
			return;
		}
		c->refs++;
		validate_node(c, in, target, o);
		c->refs--;
		return;
	}
	const char *type = json_string_value(json_object_get(schema, "type"));
	if (type && !type_ok(type, o)) {
		fail(c, "expected %s%s, got %s",
		     !strcmp(type, "integer") || !strcmp(type, "array") ? "an " : "a ", type,
		     type_name(o));
		return;
	}
	const json_t *cst = json_object_get(schema, "const");
	if (cst && !str_eq(o, json_string_value(cst)))
		fail(c, "must be \"%s\"", json_string_value(cst));
	const json_t *en = json_object_get(schema, "enum");
	if (en)
		check_enum(c, en, o);
	switch (o->type) {
	case MSGPACK_OBJECT_STR:
		check_string(c, schema, o);
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
	case MSGPACK_OBJECT_NEGATIVE_INTEGER: {
		bool neg = o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER;
		const json_t *mn = json_object_get(schema, "minimum");
		const json_t *mx = json_object_get(schema, "maximum");
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
		check_object(c, f, schema, o);
		break;
	case MSGPACK_OBJECT_ARRAY:
		check_array(c, f, schema, o);
		break;
	default:
		break;
	}
}

int schema_validate(const struct schema_set *set, const char *name,
                    const msgpack_object *doc, struct schema_errors *errs)
{
	const struct sfile *f = find_file(set, name, strlen(name));
	if (!f)
		return GL_ENOTFOUND;
	struct vctx c = { .set = set, .errs = errs };
	errs->n = errs->total = 0;
	validate_node(&c, f, f->root, doc);
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
	const struct sfile *f = find_file(set, name, strlen(name));
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
	validate_node(&c, f, f->root, &whole);
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
	err->msg[0] = '\0';
	for (unsigned i = 0; i < errs->n; i++) {
		int n = snprintf(err->msg + len, sizeof err->msg - len, "%s%s: %s: %s",
		                 i ? "\n" : "", source, errs->e[i].pointer[0] ? errs->e[i].pointer : "/",
		                 errs->e[i].msg);
		if (n < 0 || (size_t)n >= sizeof err->msg - len)
			break;
		len += (size_t)n;
	}
	if (errs->total > errs->n && len + 40 < sizeof err->msg)
		snprintf(err->msg + len, sizeof err->msg - len, "\n%s: … and %u more problem%s",
		         source, errs->total - errs->n, errs->total - errs->n == 1 ? "" : "s");
	err->code = GL_ESCHEMA;
	return GL_ESCHEMA;
}

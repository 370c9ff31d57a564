#include "schemas/schema.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/alloc.h"
#include "proto/clock.h"
#include "proto/bounds.h"
#include "proto/record.h"

/*
 * A schema object compiled once at load: its keywords as fields, its
 * properties as an array, its $ref resolved.  Validation walks these and
 * never looks a keyword up by name (that was most of its cost: 8.7 us of
 * a 912-byte record before, tests/bench/bench_check.c).
 */
enum stype { ST_ANY, ST_BOOLEAN, ST_INTEGER, ST_STRING, ST_ARRAY, ST_OBJECT };

struct sstr {
	const char *s;
	size_t len;
};

struct snode;

struct sprop {
	struct sstr name;
	const struct snode *node;
};

struct snode {
	const json_t *src;         /* the schema object this was compiled from */
	const struct snode *ref;   /* $ref: the target; nothing else here applies */
	const char *ref_text;
	enum stype type;
	const char *type_name;     /* as written, for messages; NULL: any type */
	const char *cst;           /* const */
	struct sstr *enums;        /* enum */
	size_t nenum;
	json_int_t min_len, max_len;          /* -1: no maximum */
	const pcre2_code *re;
	const char *pattern, *format;
	struct sstr *required;
	size_t nreq;
	json_int_t min_props, max_props;
	bool closed;               /* additionalProperties: false */
	struct sprop *props;
	size_t nprops;
	json_int_t min_items, max_items;
	bool unique;
	const struct snode *items;
	const json_t *minimum, *maximum;
};

struct sfile {
	const char *name;
	json_t *root;
	const struct snode *croot;
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
	struct snode **nodes; /* every compiled node, found by its src */
	size_t nnodes;
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
			/* $ matches only at the very end, as in ECMA-262: PCRE2's default
			 * also matches before a final newline, which let "x\n" through */
			p->re = s ? pcre2_compile((PCRE2_SPTR)s, PCRE2_ZERO_TERMINATED,
			                          PCRE2_UTF | PCRE2_DOLLAR_ENDONLY, &ecode, &eoff, NULL)
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

static struct sstr *string_list(const json_t *arr, size_t *n)
{
	*n = json_array_size(arr);
	struct sstr *l = gl_xcalloc(*n ? *n : 1, sizeof *l);
	for (size_t i = 0; i < *n; i++) {
		const json_t *v = json_array_get(arr, i);
		l[i].s = json_string_value(v);
		l[i].len = json_string_length(v);
	}
	return l;
}

/*
 * Compile the schema object `node` of file f (checked by check_node, so
 * every keyword has its expected type and every $ref resolves).  A node
 * reached twice (a $ref target, a cycle) is compiled once.
 */
static const struct snode *compile(struct schema_set *set, const struct sfile *f,
                                   const json_t *node)
{
	for (size_t i = 0; i < set->nnodes; i++)
		if (set->nodes[i]->src == node)
			return set->nodes[i];
	struct snode *s = gl_xcalloc(1, sizeof *s);
	set->nodes = gl_xrealloc(set->nodes, (set->nnodes + 1) * sizeof *set->nodes);
	set->nodes[set->nnodes++] = s; /* before the children: cycles end here */
	s->src = node;
	const json_t *ref = json_object_get(node, "$ref");
	if (ref) {
		const struct sfile *in = NULL;
		const json_t *target = resolve(set, f, json_string_value(ref), &in);
		s->ref_text = json_string_value(ref);
		s->ref = target ? compile(set, in, target) : NULL;
		return s;
	}
	static const char *const types[] = { NULL, "boolean", "integer", "string", "array",
		                             "object" };
	s->type_name = json_string_value(json_object_get(node, "type"));
	for (int t = ST_BOOLEAN; s->type_name && t <= ST_OBJECT; t++)
		if (!strcmp(s->type_name, types[t]))
			s->type = (enum stype)t;
	s->cst = json_string_value(json_object_get(node, "const"));
	const json_t *en = json_object_get(node, "enum");
	if (en)
		s->enums = string_list(en, &s->nenum);
	s->min_len = count_kw(node, "minLength", 0);
	s->max_len = count_kw(node, "maxLength", -1);
	s->pattern = json_string_value(json_object_get(node, "pattern"));
	s->re = s->pattern ? pattern_of(set, node) : NULL;
	s->format = json_string_value(json_object_get(node, "format"));
	const json_t *req = json_object_get(node, "required");
	if (req)
		s->required = string_list(req, &s->nreq);
	s->min_props = count_kw(node, "minProperties", 0);
	s->max_props = count_kw(node, "maxProperties", -1);
	s->closed = json_is_false(json_object_get(node, "additionalProperties"));
	const json_t *props = json_object_get(node, "properties");
	if (props) {
		s->props = gl_xcalloc(json_object_size(props) + 1, sizeof *s->props);
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)props, k, v) {
			s->props[s->nprops].name.s = k;
			s->props[s->nprops].name.len = strlen(k);
			s->props[s->nprops].node = compile(set, f, v);
			s->nprops++;
		}
	}
	s->min_items = count_kw(node, "minItems", 0);
	s->max_items = count_kw(node, "maxItems", -1);
	s->unique = json_is_true(json_object_get(node, "uniqueItems"));
	const json_t *items = json_object_get(node, "items");
	s->items = items ? compile(set, f, items) : NULL;
	s->minimum = json_object_get(node, "minimum");
	s->maximum = json_object_get(node, "maximum");
	return s;
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
	for (size_t i = 0; i < set->nfiles; i++)
		set->files[i].croot = compile(set, &set->files[i], set->files[i].root);
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
	for (size_t i = 0; i < set->nnodes; i++) {
		free(set->nodes[i]->enums);
		free(set->nodes[i]->required);
		free(set->nodes[i]->props);
		free(set->nodes[i]);
	}
	free(set->nodes);
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

static void check_enum(struct vctx *c, const struct snode *s, const msgpack_object *o)
{
	for (size_t i = 0; i < s->nenum; i++)
		if (str_is(o, &s->enums[i]))
			return;
	char list[240] = "";
	size_t len = 0;
	for (size_t i = 0; i < s->nenum; i++) {
		int n = snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", s->enums[i].s);
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
	const struct sfile *f = find_file(set, name, strlen(name));
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

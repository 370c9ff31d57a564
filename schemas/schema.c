/*
 * schema.c — loading a schema set (schema.h): the files parsed, every
 * keyword checked against what the validator implements, $refs resolved,
 * patterns compiled, and each schema object compiled once into a struct
 * snode (schema_int.h) that validation (schema_validate.c) walks.
 */
#include "schemas/schema_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/alloc.h"

/* ---- loading ---------------------------------------------------------- */

static int read_file(struct schema_set *set, struct sfile *f, struct gl_error *err);

const struct sfile *schema_find_file(const struct schema_set *cset, const char *name,
                                     size_t len)
{
	/* reading a file fills in the set: a set that is shared between
	 * threads was loaded whole (schema_set_load), and so is never changed
	 * here */
	struct schema_set *set = (struct schema_set *)cset;
	for (size_t i = 0; i < set->nfiles; i++) {
		struct sfile *f = &set->files[i];
		if (strlen(f->name) != len || memcmp(f->name, name, len) != 0)
			continue;
		if (f->state == SFILE_UNREAD) {
			struct gl_error e = { 0 };
			int rc = read_file(set, f, &e);
			if (rc && !set->read_rc) {
				set->read_rc = rc;
				set->read_err = e;
			}
		}
		return f->state == SFILE_FAILED ? NULL : f;
	}
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
	const struct sfile *f = hash == ref ? from : schema_find_file(set, ref, (size_t)(hash - ref));
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

/* Whether k is one of the names (a NULL-terminated list). */
static bool one_of(const char *k, const char *const *names)
{
	for (; *names; names++)
		if (!strcmp(k, *names))
			return true;
	return false;
}

/*
 * The keywords whose value is checked on its own (at ptr): 0, or
 * GL_ESCHEMA for a value of the wrong form.  *known false: k is none of
 * them.
 */
static int check_value(const struct sfile *f, const char *k, const json_t *v, const char *ptr,
                       bool *known, struct gl_error *err)
{
	static const char *const texts[] = { "$schema", "$id", "$comment", "title",
		                             "description", NULL };
	static const char *const lists[] = { "required", "enum", NULL };
	static const char *const counts[] = { "minProperties", "maxProperties", "minItems",
		                              "maxItems", "minLength", "maxLength", NULL };
	static const char *const bounds[] = { "minimum", "maximum", NULL };
	const char *t = json_string_value(v);
	*known = true;
	if (one_of(k, texts) && !t)
		return gl_errorf(err, GL_ESCHEMA, "%s: %s: expected a string", f->name, ptr);
	if (one_of(k, texts))
		return 0;
	if (!strcmp(k, "type"))
		return t && (!strcmp(t, "object") || !strcmp(t, "array") || !strcmp(t, "string") ||
		             !strcmp(t, "integer") || !strcmp(t, "boolean"))
		               ? 0
		               : gl_errorf(err, GL_ESCHEMA, "%s: %s: type must be one of object, "
		                           "array, string, integer, boolean", f->name, ptr);
	if (one_of(k, lists)) {
		size_t i;
		json_t *s;
		int rc = json_is_array(v) ? 0 : gl_errorf(err, GL_ESCHEMA, "%s: %s: expected an array",
		                                          f->name, ptr);
		json_array_foreach(v, i, s) {
			if (!json_is_string(s))
				rc = gl_errorf(err, GL_ESCHEMA, "%s: %s/%zu: expected a string", f->name, ptr,
				               i);
		}
		return rc;
	}
	if (!strcmp(k, "const"))
		return t ? 0 : gl_errorf(err, GL_ESCHEMA, "%s: %s: only string constants are "
		                         "supported", f->name, ptr);
	if (!strcmp(k, "additionalProperties"))
		return json_is_false(v) ? 0 : gl_errorf(err, GL_ESCHEMA, "%s: %s: only "
		                                        "additionalProperties: false is supported",
		                                        f->name, ptr);
	if (!strcmp(k, "uniqueItems"))
		return json_is_true(v) ? 0 : gl_errorf(err, GL_ESCHEMA, "%s: %s: only uniqueItems: "
		                                       "true is supported", f->name, ptr);
	if (one_of(k, counts))
		return is_count(v) ? 0 : gl_errorf(err, GL_ESCHEMA, "%s: %s: expected a "
		                                   "non-negative integer", f->name, ptr);
	if (one_of(k, bounds))
		return json_is_integer(v) ? 0 : gl_errorf(err, GL_ESCHEMA, "%s: %s: expected an "
		                                          "integer", f->name, ptr);
	if (!strcmp(k, "format"))
		return t && (!strcmp(t, "date") || !strcmp(t, "date-time"))
		               ? 0
		               : gl_errorf(err, GL_ESCHEMA, "%s: %s: format must be date or "
		                           "date-time", f->name, ptr);
	*known = false;
	return 0;
}

/* A pattern: compiled once, kept with its node for the validator. */
static int add_pattern(struct schema_set *set, const struct sfile *f, const json_t *node,
                       const json_t *v, const char *ptr, struct gl_error *err)
{
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
	if (!p->re)
		return gl_errorf(err, GL_ESCHEMA, "%s: %s: not a regular expression", f->name, ptr);
	pcre2_jit_compile(p->re, PCRE2_JIT_COMPLETE); /* else interpreted */
	p->node = node;
	set->npats++;
	return 0;
}

/* One keyword k of node (its pointer ptr, plen bytes long), with value v. */
static int check_keyword(struct schema_set *set, const struct sfile *f, const json_t *node,
                         const char *k, const json_t *v, char *ptr, size_t plen, bool root,
                         struct gl_error *err)
{
	bool known;
	if (!strcmp(k, "$defs") || !strcmp(k, "properties"))
		return check_map_of_schemas(set, f, v, ptr, plen, err);
	if (!strcmp(k, "items"))
		return check_node(set, f, v, ptr, plen, false, err);
	if (!strcmp(k, "$ref")) {
		const struct sfile *in;
		if (!json_is_string(v) || !resolve(set, f, json_string_value(v), &in))
			return gl_errorf(err, GL_ESCHEMA, "%s: %s: $ref does not resolve", f->name, ptr);
		return 0;
	}
	if (!strcmp(k, "pattern"))
		return add_pattern(set, f, node, v, ptr, err);
	if (root && !strcmp(k, "x-terms"))
		return 0; /* data (taxonomy labels), read by taxonomy.c */
	int rc = check_value(f, k, v, ptr, &known, err);
	if (!known)
		rc = gl_errorf(err, GL_ESCHEMA, "%s: %s: keyword not supported by the C validator "
		               "(see schemas/README.md)", f->name, ptr);
	return rc;
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
		size_t n = (size_t)snprintf(ptr + plen, 512 - plen, "/%s", k);
		if (n >= 512 - plen)
			return gl_errorf(err, GL_ESCHEMA, "%s: schema nested too deeply", f->name);
		int rc = check_keyword(set, f, node, k, v, ptr, plen + n, root, err);
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

/*
 * Parse, check and compile f.  Its $refs read the files they name first;
 * a file that names f back finds it being read, with its root parsed.
 */
static int read_file(struct schema_set *set, struct sfile *f, struct gl_error *err)
{
	json_error_t jerr;
	char ptr[512] = "";
	int before = set->read_rc;
	f->state = SFILE_READING;
	f->root = json_loadb(f->src->text, f->src->len, JSON_REJECT_DUPLICATES, &jerr);
	int rc = f->root ? 0 : gl_errorf(err, GL_ESCHEMA, "%s:%d: %s", f->name, jerr.line,
	                                 jerr.text);
	if (!rc)
		rc = check_node(set, f, f->root, ptr, 0, true, err);
	if (rc && !before && set->read_rc) /* a file it names failed: that is why */
		rc = gl_errorf(err, set->read_rc, "%s", set->read_err.msg);
	if (rc) {
		f->state = SFILE_FAILED;
		return rc;
	}
	f->croot = compile(set, f, f->root);
	f->state = SFILE_READ;
	return 0;
}

static struct schema_set *set_new(const struct schema_file *files, size_t n)
{
	struct schema_set *set = gl_xcalloc(1, sizeof *set);
	set->files = gl_xcalloc(n ? n : 1, sizeof *set->files);
	for (size_t i = 0; i < n; i++)
		set->files[i] = (struct sfile){ .name = files[i].name, .src = &files[i] };
	set->nfiles = n;
	return set;
}

int schema_set_load(struct schema_set **out, struct gl_error *err)
{
	return schema_set_load_files(schema_files, schema_file_count, out, err);
}

int schema_set_open(struct schema_set **out)
{
	*out = set_new(schema_files, schema_file_count);
	return 0;
}

int schema_set_load_files(const struct schema_file *files, size_t n,
                          struct schema_set **out, struct gl_error *err)
{
	struct schema_set *set = set_new(files, n);
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++)
		if (set->files[i].state == SFILE_UNREAD)
			rc = read_file(set, &set->files[i], err);
	if (!rc && set->read_rc)
		rc = gl_errorf(err, set->read_rc, "%s", set->read_err.msg);
	if (rc) {
		schema_set_free(set);
		return rc;
	}
	*out = set;
	return 0;
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
	const struct sfile *f = schema_find_file(set, name, strlen(name));
	return f ? f->root : NULL;
}

json_t *schema_data_load(const char *name, const char *file, const char *what,
                         struct gl_error *err)
{
	json_error_t je;
	json_t *j;
	if (!file) {
		for (size_t i = 0; i < schema_data_file_count; i++)
			if (!strcmp(schema_data_files[i].name, name)) {
				j = json_loadb(schema_data_files[i].text, schema_data_files[i].len,
				               JSON_REJECT_DUPLICATES, &je);
				if (!j)
					gl_errorf(err, GL_EFORMAT, "%s (built in):%d: %s", name, je.line,
					          je.text);
				return j;
			}
		gl_errorf(err, GL_ENOTFOUND, "%s is not built into this program", name);
		return NULL;
	}
	FILE *f = fopen(file, "r");
	if (!f) {
		gl_errorf(err, errno == ENOENT ? GL_ENOTFOUND : GL_EIO, "%s: cannot open %s: %s", file,
		          what, strerror(errno));
		return NULL;
	}
	j = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
	fclose(f);
	if (!j)
		gl_errorf(err, GL_EFORMAT, "%s:%d: %s", file, je.line, je.text);
	return j;
}

#include "schemas/taxonomy.h"

#include <stdlib.h>
#include <string.h>

#include "proto/alloc.h"

#define FACETS 8

struct facet {
	const char *name;
	struct tax_term *terms;
	size_t n;
};

struct taxonomy {
	struct facet facets[FACETS];
	size_t nfacets;
};

int taxonomy_load(const struct schema_set *set, struct taxonomy **out, struct gl_error *err)
{
	const json_t *root = schema_set_file(set, "taxonomy.json");
	const json_t *terms = json_object_get(root, "x-terms");
	if (!json_is_object(terms))
		return gl_errorf(err, GL_ESCHEMA, "taxonomy.json: no x-terms");
	struct taxonomy *t = gl_xcalloc(1, sizeof *t);
	const char *name;
	json_t *list;
	json_object_foreach((json_t *)terms, name, list) {
		if (t->nfacets == FACETS || !json_is_array(list))
			continue;
		struct facet *f = &t->facets[t->nfacets++];
		f->name = name;
		f->n = json_array_size(list);
		f->terms = gl_xcalloc(f->n ? f->n : 1, sizeof *f->terms);
		for (size_t i = 0; i < f->n; i++) {
			json_t *e = json_array_get(list, i), *label = json_object_get(e, "label");
			struct tax_term *term = &f->terms[i];
			term->id = json_string_value(json_object_get(e, "id"));
			term->label_nl = json_string_value(json_object_get(label, "nl"));
			term->label_en = json_string_value(json_object_get(label, "en"));
			term->parent = json_string_value(json_object_get(e, "parent"));
			term->order = (unsigned)i;
			if (!term->id || !term->label_nl || !term->label_en) {
				taxonomy_free(t);
				return gl_errorf(err, GL_ESCHEMA, "taxonomy.json: /x-terms/%s/%zu: id and "
				                 "labels nl, en are required", name, i);
			}
		}
	}
	*out = t;
	return 0;
}

void taxonomy_free(struct taxonomy *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nfacets; i++)
		free(t->facets[i].terms);
	free(t);
}

const struct tax_term *taxonomy_term(const struct taxonomy *t, const char *facet, const char *id)
{
	if (!id)
		return NULL; /* a field a record left out: no term */
	for (size_t i = 0; i < t->nfacets; i++) {
		if (strcmp(t->facets[i].name, facet))
			continue;
		for (size_t j = 0; j < t->facets[i].n; j++)
			if (!strcmp(t->facets[i].terms[j].id, id))
				return &t->facets[i].terms[j];
	}
	return NULL;
}

const struct tax_term *taxonomy_facet(const struct taxonomy *t, const char *facet, size_t *n)
{
	for (size_t i = 0; i < t->nfacets; i++) {
		if (!strcmp(t->facets[i].name, facet)) {
			*n = t->facets[i].n;
			return t->facets[i].terms;
		}
	}
	*n = 0;
	return NULL;
}

const char *taxonomy_label(const struct tax_term *term, const char *lang)
{
	return lang && !strcmp(lang, "nl") ? term->label_nl : term->label_en;
}

bool taxonomy_within(const struct taxonomy *t, const char *facet, const char *id,
                     const char *ancestor)
{
	/* parents form chains of a few steps; the bound guards a malformed cycle */
	for (int steps = 0; id && steps < 16; steps++) {
		if (!strcmp(id, ancestor))
			return true;
		const struct tax_term *term = taxonomy_term(t, facet, id);
		id = term ? term->parent : NULL;
	}
	return false;
}

/*
 * taxonomy.h — the labelled terms of schemas/taxonomy.json ("x-terms"):
 * phases, sectors, needs, activities, areas and organisation types, each
 * term with Dutch and English labels, an order, and for needs and areas a
 * parent.  The order of needs is the order in which a starter meets them
 * (administration before legal before financing …), which is the order of
 * a to-do list.
 *
 * A taxonomy borrows from the schema set it was loaded from: keep the set
 * alive while the taxonomy is used.
 */
#ifndef GILDE_TAXONOMY_H
#define GILDE_TAXONOMY_H

#include <stdbool.h>
#include <stddef.h>

#include "proto/err.h"
#include "schemas/schema.h"

struct tax_term {
	const char *id;
	const char *label_nl;
	const char *label_en;
	const char *parent;   /* NULL for a top-level term */
	unsigned order;       /* position in its facet, from 0 */
};

struct taxonomy;

/* Read the terms of the set's taxonomy.json.  Returns 0 or GL_ESCHEMA. */
int taxonomy_load(const struct schema_set *set, struct taxonomy **out, struct gl_error *err);
void taxonomy_free(struct taxonomy *t);

/* A facet's term by id ("need", "financing-loan"), or NULL (also for a
 * NULL id: a field a record left out). */
const struct tax_term *taxonomy_term(const struct taxonomy *t, const char *facet, const char *id);
/* The terms of a facet ("need"), in the taxonomy's order, and their number
 * in *n; NULL with *n = 0 for a facet the taxonomy does not have.  The
 * array lives as long as t. */
const struct tax_term *taxonomy_facet(const struct taxonomy *t, const char *facet, size_t *n);
/* The label of a term in lang ("nl" or "en"; anything else: en). */
const char *taxonomy_label(const struct tax_term *term, const char *lang);
/* True if term `id` is `ancestor` or lies under it (areas: gent lies
 * under oost-vlaanderen, …; needs: financing-loan under financing). */
bool taxonomy_within(const struct taxonomy *t, const char *facet, const char *id,
                     const char *ancestor);

#endif

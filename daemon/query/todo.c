/*
 * todo.c — the to-do paths (todo.h), read from JSON once into bit sets
 * over the taxonomy's terms, so that proposing a list is a walk over a few
 * dozen small structs.
 */
#include "query/todo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "proto/alloc.h"

/* Most paths, steps per path and narrower rules (paths.schema.json). */
#define PATHS_MAX 64
#define STEPS_MAX 16
#define NARROWER_MAX 128
#define LABEL_MAX 301
#define ID_MAX 65

/* A condition; every field is "any" when 0 (lists) or -1 (yes-or-no). */
struct cond {
	uint64_t phases, activities, sectors;
	int8_t student, international, side_activity, research, takeover, bank_refused, jobseeker,
	       prototype, staff_from_abroad, experienced;
	uint8_t premises;
};

struct step {
	int need;
	struct cond when, unless;
	bool has_unless;
};

struct path {
	char id[ID_MAX];
	char label_nl[LABEL_MAX], label_en[LABEL_MAX];
	struct cond when, unless;
	bool has_unless;
	struct step steps[STEPS_MAX];
	size_t nsteps;
};

struct narrower {
	int need;
	struct cond when;
};

struct todo_paths {
	unsigned max_items;
	struct path *paths;
	size_t npaths;
	struct narrower narrower[NARROWER_MAX];
	size_t nnarrower;
	int next_phase[ELIGIBILITY_FACET_MAX];
	int parent[ELIGIBILITY_FACET_MAX]; /* each need's parent (term order), -1: none */
};

unsigned todo_premises_bit(const char *s)
{
	return eligibility_premises_bit(s);
}

/* ---- loading -------------------------------------------------------------- */

static int term_of(const struct taxonomy *tax, const char *facet, const json_t *v)
{
	const struct tax_term *t = taxonomy_term(tax, facet, json_string_value(v));
	return t && t->order < ELIGIBILITY_FACET_MAX ? (int)t->order : -1;
}

static uint64_t bits_of(const struct taxonomy *tax, const char *facet, const json_t *list)
{
	uint64_t b = 0;
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v) {
		int t = term_of(tax, facet, v);
		if (t >= 0)
			b |= UINT64_C(1) << t;
	}
	return b;
}

static int8_t yes_no(const json_t *v)
{
	return json_is_boolean(v) ? (int8_t)json_is_true(v) : -1;
}

static void read_cond(const struct taxonomy *tax, const json_t *j, struct cond *c)
{
	size_t i;
	json_t *v;
	c->phases = bits_of(tax, "phase", json_object_get(j, "phases"));
	c->activities = bits_of(tax, "activity", json_object_get(j, "activities"));
	c->sectors = bits_of(tax, "sector", json_object_get(j, "sectors"));
	c->student = yes_no(json_object_get(j, "student"));
	c->international = yes_no(json_object_get(j, "international"));
	c->side_activity = yes_no(json_object_get(j, "side_activity"));
	c->research = yes_no(json_object_get(j, "research"));
	c->takeover = yes_no(json_object_get(j, "takeover"));
	c->bank_refused = yes_no(json_object_get(j, "bank_refused"));
	c->jobseeker = yes_no(json_object_get(j, "jobseeker"));
	c->prototype = yes_no(json_object_get(j, "prototype"));
	c->staff_from_abroad = yes_no(json_object_get(j, "staff_from_abroad"));
	c->experienced = yes_no(json_object_get(j, "experienced"));
	c->premises = 0;
	json_array_foreach(json_object_get(j, "premises"), i, v)
		c->premises |= (uint8_t)todo_premises_bit(json_string_value(v));
}

static void copy_text(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

static void read_path(const struct taxonomy *tax, const json_t *j, struct path *p)
{
	const json_t *label = json_object_get(j, "label");
	size_t i;
	json_t *s;
	copy_text(p->id, sizeof p->id, json_string_value(json_object_get(j, "id")));
	copy_text(p->label_nl, sizeof p->label_nl, json_string_value(json_object_get(label, "nl")));
	copy_text(p->label_en, sizeof p->label_en, json_string_value(json_object_get(label, "en")));
	read_cond(tax, json_object_get(j, "when"), &p->when);
	p->has_unless = json_object_get(j, "unless") != NULL;
	read_cond(tax, json_object_get(j, "unless"), &p->unless);
	json_array_foreach(json_object_get(j, "steps"), i, s) {
		if (p->nsteps == STEPS_MAX)
			break;
		struct step *st = &p->steps[p->nsteps];
		st->need = term_of(tax, "need", json_object_get(s, "need"));
		read_cond(tax, json_object_get(s, "when"), &st->when);
		st->has_unless = json_object_get(s, "unless") != NULL;
		read_cond(tax, json_object_get(s, "unless"), &st->unless);
		if (st->need >= 0)
			p->nsteps++;
	}
}

/* The parsed file: the embedded text, or the file at path. */
static json_t *parse(const char *file, struct gl_error *err)
{
	return schema_data_load("paths.json", file, "the to-do paths", err);
}

int todo_load(const struct schema_set *set, const struct taxonomy *tax, const char *file,
               struct todo_paths **out, struct gl_error *err)
{
	json_t *j = parse(file, err);
	if (!j)
		return err ? err->code : GL_EFORMAT;
	int rc = schema_validate_json(set, "paths.schema.json", j, file ? file : "paths.json", err);
	if (rc) {
		json_decref(j);
		return rc;
	}
	struct todo_paths *p = gl_xcalloc(1, sizeof *p);
	p->max_items = (unsigned)json_integer_value(json_object_get(j, "max_items"));
	const json_t *list = json_object_get(j, "paths");
	p->paths = gl_xcalloc(json_array_size(list) ? json_array_size(list) : 1, sizeof *p->paths);
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v)
		read_path(tax, v, &p->paths[p->npaths++]);
	json_array_foreach(json_object_get(j, "narrower"), i, v) {
		if (p->nnarrower == NARROWER_MAX)
			break;
		struct narrower *nw = &p->narrower[p->nnarrower];
		nw->need = term_of(tax, "need", json_object_get(v, "need"));
		read_cond(tax, json_object_get(v, "when"), &nw->when);
		if (nw->need >= 0)
			p->nnarrower++;
	}
	for (int k = 0; k < ELIGIBILITY_FACET_MAX; k++)
		p->next_phase[k] = p->parent[k] = -1;
	const char *from;
	json_object_foreach(json_object_get(j, "next_phase"), from, v) {
		const struct tax_term *t = taxonomy_term(tax, "phase", from);
		if (t && t->order < ELIGIBILITY_FACET_MAX)
			p->next_phase[t->order] = term_of(tax, "phase", v);
	}
	size_t n;
	const struct tax_term *needs = taxonomy_facet(tax, "need", &n);
	for (size_t k = 0; k < n && k < ELIGIBILITY_FACET_MAX; k++) {
		const struct tax_term *up = needs[k].parent ? taxonomy_term(tax, "need", needs[k].parent)
		                                            : NULL;
		p->parent[k] = up && up->order < ELIGIBILITY_FACET_MAX ? (int)up->order : -1;
	}
	json_decref(j);
	*out = p;
	return 0;
}

void todo_free(struct todo_paths *p)
{
	if (!p)
		return;
	free(p->paths);
	free(p);
}

/* ---- conditions ----------------------------------------------------------- */

static bool said_yes(enum eligibility_answer a)
{
	return a == ELIGIBILITY_YES;
}

static bool holds(const struct cond *c, const struct todo_profile *pp)
{
	const struct eligibility_profile *e = pp->e;
	if (c->phases && (e->phase < 0 || !(c->phases >> e->phase & 1)))
		return false;
	if (c->activities && (e->activity < 0 || !(c->activities >> e->activity & 1)))
		return false;
	if (c->sectors && !(c->sectors & e->sectors))
		return false;
	const int8_t want[] = { c->student,  c->international, c->side_activity,
	                        c->research, c->takeover,      c->bank_refused,
	                        c->jobseeker, c->prototype, c->staff_from_abroad,
	                        c->experienced };
	const enum eligibility_answer have[] = { e->student,  e->international, e->side_activity,
	                                         e->research, e->takeover,      e->bank_refused,
	                                         e->jobseeker, e->prototype,
	                                         e->staff_from_abroad, e->experienced };
	for (size_t k = 0; k < sizeof want; k++)
		if (want[k] >= 0 && (bool)want[k] != said_yes(have[k]))
			return false;
	return !c->premises || (c->premises & pp->premises);
}

/* ---- proposing and ordering ---------------------------------------------- */

/* Whether a lies within b (a is b, or under it). */
static bool within(const struct todo_paths *p, int a, int b)
{
	for (int k = 0; k < ELIGIBILITY_FACET_MAX && a >= 0; k++, a = p->parent[a])
		if (a == b)
			return true;
	return false;
}

/* Whether need, or a need of its line (above or under it), is listed: a
 * list with "a loan" needs no "funding" after it, nor the reverse. */
static bool listed(const struct todo_paths *p, const struct todo_step *out, size_t n, int need)
{
	for (size_t i = 0; i < n; i++)
		if (within(p, out[i].need, need) || within(p, need, out[i].need))
			return true;
	return false;
}

/* Every step that holds for pp, in order, at most cap of them. */
static size_t all_steps(const struct todo_paths *p, const struct todo_profile *pp,
                        struct todo_step *out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < p->npaths; i++) {
		const struct path *pa = &p->paths[i];
		if (!holds(&pa->when, pp) || (pa->has_unless && holds(&pa->unless, pp)))
			continue;
		for (size_t k = 0; k < pa->nsteps && n < cap; k++) {
			const struct step *st = &pa->steps[k];
			if (!holds(&st->when, pp) || (st->has_unless && holds(&st->unless, pp)) ||
			    listed(p, out, n, st->need))
				continue;
			out[n++] = (struct todo_step){ .need = st->need, .path = pa->id };
		}
	}
	return n;
}

size_t todo_propose(const struct todo_paths *p, const struct todo_profile *pp,
                     struct todo_step out[TODO_ITEMS_MAX])
{
	size_t cap = p->max_items < TODO_ITEMS_MAX ? p->max_items : TODO_ITEMS_MAX;
	return all_steps(p, pp, out, cap);
}

/* The top of a need's family. */
static int family(const struct todo_paths *p, int need)
{
	for (int k = 0; k < ELIGIBILITY_FACET_MAX && need >= 0 && p->parent[need] >= 0; k++)
		need = p->parent[need];
	return need;
}

struct placed {
	struct todo_step step;
	size_t rank;  /* where its path puts it; past all for the rest */
};

static int cmp_placed(const void *a, const void *b)
{
	const struct placed *x = a, *y = b;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->step.need - y->step.need;
}

size_t todo_order(const struct todo_paths *p, const struct todo_profile *pp, const int *needs,
                   size_t n, struct todo_step out[TODO_ITEMS_MAX])
{
	struct todo_step all[PATHS_MAX];
	size_t na = all_steps(p, pp, all, PATHS_MAX);
	struct placed pl[TODO_ITEMS_MAX];
	size_t m = 0;
	for (size_t i = 0; i < n && m < TODO_ITEMS_MAX; i++) {
		struct placed x = { .step = { .need = needs[i], .path = NULL }, .rank = SIZE_MAX };
		for (size_t k = 0; k < na && x.step.path == NULL; k++)
			if (all[k].need == needs[i])
				x = (struct placed){ all[k], k };
		for (size_t k = 0; k < na && x.rank == SIZE_MAX; k++)
			if (family(p, all[k].need) == family(p, needs[i]))
				x.rank = k;
		pl[m++] = x;
	}
	qsort(pl, m, sizeof *pl, cmp_placed);
	for (size_t i = 0; i < m; i++)
		out[i] = pl[i].step;
	return m;
}

bool todo_narrower(const struct todo_paths *p, const struct todo_profile *pp, int need)
{
	for (size_t i = 0; i < p->nnarrower; i++)
		if (p->narrower[i].need == need && holds(&p->narrower[i].when, pp))
			return true;
	return false;
}

int todo_next_phase(const struct todo_paths *p, int phase)
{
	return phase >= 0 && phase < ELIGIBILITY_FACET_MAX ? p->next_phase[phase] : -1;
}

const char *todo_label(const struct todo_paths *p, const char *id, const char *lang)
{
	for (size_t i = 0; id && i < p->npaths; i++)
		if (!strcmp(p->paths[i].id, id))
			return lang && !strcmp(lang, "nl") ? p->paths[i].label_nl : p->paths[i].label_en;
	return NULL;
}

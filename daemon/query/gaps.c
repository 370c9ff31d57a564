/*
 * gaps.c — live offers counted per need × phase (× sector) (gaps.h).
 *
 * One scan keeps, per live offer that answers anything, its partner and
 * three bit masks: the needs it answers, the phases and the sectors it
 * allows.  The offers are then sorted by partner, so that counting the
 * distinct partners of a cell needs only the last partner seen there.
 */
#include "query/gaps.h"

#include <stdlib.h>
#include <string.h>

#include "proto/alloc.h"
#include "proto/body.h"
#include "proto/clock.h"
#include "proto/record.h"
#include "query/eligibility.h"

/* Longer than any term id of the taxonomy; longer strings are no term. */
#define TERM_TEXT_MAX 64

struct facet {
	const char *name;
	const struct tax_term *terms;
	size_t n;
};

struct goffer {
	uint8_t author[RECORD_KEY_LEN];
	char partner[GL_ID_MAX + 1]; /* "": the author's own */
	uint64_t needs;              /* bit i: answers need i */
	uint32_t phases, sectors;    /* bit j: allows phase (sector) j */
};

struct ctx {
	const struct taxonomy *tax;
	struct facet needs, phases, sectors;
	uint64_t within[GAPS_NEEDS_MAX]; /* within[i]: need i and the needs under it */
	uint64_t now;
	struct goffer *offers;
	size_t n, cap;
};

static int load_facet(const struct taxonomy *tax, const char *name, size_t max,
                      struct facet *f, struct gl_error *err)
{
	f->name = name;
	f->terms = taxonomy_facet(tax, name, &f->n);
	if (!f->n)
		return gl_errorf(err, GL_ESCHEMA, "taxonomy.json: no terms for \"%s\"", name);
	if (f->n > max)
		return gl_errorf(err, GL_ELIMIT, "taxonomy.json: %zu terms for \"%s\", more than "
		                 "the %zu gaps can count", f->n, name, max);
	return 0;
}

/*
 * The bits of the terms of f that the array at key in map lists.  A value
 * that is not an array counts as absent, as in match.c; absent gives
 * `absent`.
 */
static uint64_t term_bits(const struct ctx *c, const struct facet *f, const uint8_t *map,
                          size_t len, const char *key, uint64_t absent)
{
	struct body_iter it;
	const uint8_t *s;
	uint32_t sl;
	if (!body_strs(map, len, key, &it))
		return absent;
	uint64_t bits = 0;
	while (body_strs_next(&it, &s, &sl)) {
		char id[TERM_TEXT_MAX + 1];
		if (sl > TERM_TEXT_MAX)
			continue;
		memcpy(id, s, sl);
		id[sl] = '\0';
		const struct tax_term *t = taxonomy_term(c->tax, f->name, id);
		if (t && t->order < f->n)
			bits |= UINT64_C(1) << t->order;
	}
	return bits;
}

static uint64_t all_bits(size_t n)
{
	return n >= 64 ? UINT64_MAX : (UINT64_C(1) << n) - 1;
}

static int consider(void *vc, const struct store_entry *e)
{
	struct ctx *c = vc;
	struct record r;
	if (!eligibility_entry_current(e, c->now) || record_parse_held(e->env, e->env_len, &r, NULL) ||
	    !r.body)
		return 0;
	const uint8_t *b = r.body, *el = NULL;
	size_t n = r.body_len, ell = 0;
	uint64_t own = term_bits(c, &c->needs, b, n, "needs", 0), answers = 0;
	for (size_t i = 0; i < c->needs.n; i++)
		if (own & c->within[i])
			answers |= UINT64_C(1) << i;
	body_value(b, n, "eligibility", &el, &ell); /* absent: every phase and sector */
	uint64_t phases = term_bits(c, &c->phases, el, ell, "phases", all_bits(c->phases.n));
	uint64_t sectors = c->sectors.n ? term_bits(c, &c->sectors, el, ell, "sectors",
	                                            all_bits(c->sectors.n))
	                                : 1;
	if (!answers || !phases || !sectors)
		return 0; /* in no cell */
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->offers = gl_xrealloc(c->offers, c->cap * sizeof *c->offers);
	}
	struct goffer *o = &c->offers[c->n++];
	memcpy(o->author, e->author, RECORD_KEY_LEN);
	body_str_copy(b, n, "partner", o->partner, sizeof o->partner); /* else "" */
	o->needs = answers;
	o->phases = (uint32_t)phases;
	o->sectors = (uint32_t)sectors;
	return 0;
}

static int cmp_partner(const void *a, const void *b)
{
	const struct goffer *x = a, *y = b;
	int d = memcmp(x->author, y->author, RECORD_KEY_LEN);
	return d ? d : strcmp(x->partner, y->partner);
}

static json_t *ids(const struct facet *f)
{
	json_t *a = json_array();
	for (size_t i = 0; i < f->n; i++)
		json_array_append_new(a, json_string(f->terms[i].id));
	return a;
}

/*
 * Count offers and distinct partners per cell; cell (i, j, s) sits at
 * (i * phases + j) * ns + s, ns the number of sectors (1 without them).  c->offers must be sorted by partner.
 */
static void count(const struct ctx *c, bool by_sector, uint32_t *offers, uint32_t *partners)
{
	size_t np = c->phases.n, ns = by_sector ? c->sectors.n : 1, ncells = c->needs.n * np * ns;
	size_t *last = gl_xcalloc(ncells, sizeof *last); /* 1 + the partner run last counted */
	size_t run = 0;
	for (size_t k = 0; k < c->n; k++) {
		const struct goffer *o = &c->offers[k];
		if (k == 0 || cmp_partner(o, o - 1))
			run++;
		for (size_t i = 0; i < c->needs.n; i++) {
			if (!(o->needs >> i & 1))
				continue;
			for (size_t j = 0; j < np; j++) {
				if (!(o->phases >> j & 1))
					continue;
				for (size_t s = 0; s < ns; s++) {
					if (by_sector && !(o->sectors >> s & 1))
						continue;
					size_t cell = (i * np + j) * ns + s;
					offers[cell]++;
					if (last[cell] != run) {
						last[cell] = run;
						partners[cell]++;
					}
				}
			}
		}
	}
	free(last);
}

static json_t *result(const struct ctx *c, bool by_sector, const uint32_t *offers,
                      const uint32_t *partners)
{
	size_t np = c->phases.n, ns = by_sector ? c->sectors.n : 1;
	json_t *res = json_object(), *cells = json_array(), *gaps = json_array();
	json_object_set_new(res, "by_sector", json_boolean(by_sector));
	json_object_set_new(res, "needs", ids(&c->needs));
	json_object_set_new(res, "phases", ids(&c->phases));
	if (by_sector)
		json_object_set_new(res, "sectors", ids(&c->sectors));
	for (size_t i = 0; i < c->needs.n; i++) {
		for (size_t j = 0; j < np; j++) {
			for (size_t s = 0; s < ns; s++) {
				size_t cell = (i * np + j) * ns + s;
				json_t *o = json_object();
				json_object_set_new(o, "need", json_string(c->needs.terms[i].id));
				json_object_set_new(o, "phase", json_string(c->phases.terms[j].id));
				if (by_sector)
					json_object_set_new(o, "sector", json_string(c->sectors.terms[s].id));
				json_object_set_new(o, "offers", json_integer(offers[cell]));
				json_object_set_new(o, "partners", json_integer(partners[cell]));
				if (offers[cell] == 0 || partners[cell] == 1)
					json_array_append(gaps, o);
				json_array_append_new(cells, o);
			}
		}
	}
	json_object_set_new(res, "cells", cells);
	json_object_set_new(res, "gaps", gaps);
	return res;
}

int gaps_run(struct store_txn *t, const struct taxonomy *tax, bool by_sector, uint64_t now,
             json_t **out, struct gl_error *err)
{
	if (!t || !tax || !out)
		return gl_errorf(err, GL_EINVAL, "gaps_run: no transaction, taxonomy or result");
	struct ctx c;
	memset(&c, 0, sizeof c);
	c.tax = tax;
	c.now = now ? now : clock_now();
	int rc;
	if ((rc = load_facet(tax, "need", GAPS_NEEDS_MAX, &c.needs, err)) ||
	    (rc = load_facet(tax, "phase", GAPS_PHASES_MAX, &c.phases, err)) ||
	    (by_sector && (rc = load_facet(tax, "sector", GAPS_SECTORS_MAX, &c.sectors, err))))
		return rc;
	for (size_t i = 0; i < c.needs.n; i++)
		for (size_t j = 0; j < c.needs.n; j++)
			if (taxonomy_within(tax, "need", c.needs.terms[j].id, c.needs.terms[i].id))
				c.within[i] |= UINT64_C(1) << j;
	struct store_filter f = { .kind = RK_OFFER };
	rc = store_scan(t, &f, consider, &c, err);
	if (rc) {
		free(c.offers);
		return rc;
	}
	if (c.n) /* c.offers is NULL without offers */
		qsort(c.offers, c.n, sizeof *c.offers, cmp_partner);
	size_t ns = by_sector ? c.sectors.n : 1, ncells = c.needs.n * c.phases.n * ns;
	uint32_t *offers = gl_xcalloc(ncells, sizeof *offers);
	uint32_t *partners = gl_xcalloc(ncells, sizeof *partners);
	count(&c, by_sector, offers, partners);
	*out = result(&c, by_sector, offers, partners);
	free(partners);
	free(offers);
	free(c.offers);
	return 0;
}

/* ---- weighed by demand ---------------------------------------------------------- */

struct ranked {
	json_t *cell;
	size_t at;
};

static int cmp_unmet(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	json_int_t ux = json_integer_value(json_object_get(x->cell, "unmet"));
	json_int_t uy = json_integer_value(json_object_get(y->cell, "unmet"));
	if (ux != uy)
		return ux > uy ? -1 : 1;
	return x->at < y->at ? -1 : x->at > y->at;
}

/* A new array of the cells of list (with unmet > 0 only, if `only`), most
 * unmet first, list's order kept among equals. */
static json_t *by_unmet(json_t *list, bool only)
{
	size_t n = json_array_size(list), m = 0;
	struct ranked *r = gl_xcalloc(n ? n : 1, sizeof *r);
	for (size_t i = 0; i < n; i++) {
		json_t *c = json_array_get(list, i);
		if (!only || json_integer_value(json_object_get(c, "unmet")) > 0)
			r[m++] = (struct ranked){ c, i };
	}
	if (m)
		qsort(r, m, sizeof *r, cmp_unmet);
	json_t *out = json_array();
	for (size_t i = 0; i < m; i++)
		json_array_append(out, r[i].cell);
	free(r);
	return out;
}

/* The cell of a bucket's need row, or NULL if the bucket names none. */
static json_t *demand_cell(json_t *res, const struct taxonomy *tax, bool by_sector,
                           const json_t *bucket, const json_t *row)
{
	const struct tax_term *need = taxonomy_term(tax, "need",
	                                            json_string_value(json_object_get(row, "need")));
	const struct tax_term *phase = taxonomy_term(tax, "phase",
	                                             json_string_value(json_object_get(bucket, "phase")));
	/* a member's buckets may leave any of them out (insight.schema.json) */
	const struct tax_term *sector = taxonomy_term(tax, "sector",
	                                              json_string_value(json_object_get(bucket, "sector")));
	size_t np = json_array_size(json_object_get(res, "phases"));
	size_t ns = by_sector ? json_array_size(json_object_get(res, "sectors")) : 1;
	if (!need || !phase || (by_sector && !sector) || phase->order >= np ||
	    (by_sector && sector->order >= ns))
		return NULL;
	size_t cell = (need->order * np + phase->order) * ns + (by_sector ? sector->order : 0);
	return json_array_get(json_object_get(res, "cells"), cell);
}

static void weigh(json_t *res, const struct taxonomy *tax, bool by_sector, const json_t *release)
{
	size_t i, j;
	json_t *c, *b, *row;
	json_array_foreach(json_object_get(res, "cells"), i, c)
		json_object_set_new(c, "unmet", json_integer(0));
	json_int_t starters = 0;
	json_array_foreach(json_object_get(release, "buckets"), i, b) {
		starters += json_integer_value(json_object_get(b, "starters"));
		json_array_foreach(json_object_get(b, "needs"), j, row) {
			json_t *unmet = json_object_get(row, "unmet");
			json_t *cell = json_is_integer(unmet) ? demand_cell(res, tax, by_sector, b, row) : NULL;
			if (cell)
				json_object_set_new(cell, "unmet", json_integer(
					json_integer_value(json_object_get(cell, "unmet")) + json_integer_value(unmet)));
		}
	}
	json_t *demand = json_object();
	static const char *const copied[] = { "from", "k", "week", "issued" };
	for (i = 0; i < sizeof copied / sizeof copied[0]; i++)
		if (json_object_get(release, copied[i]))
			json_object_set(demand, copied[i], json_object_get(release, copied[i]));
	json_object_set_new(demand, "starters", json_integer(starters));
	json_object_set_new(res, "demand", demand);
	json_object_set_new(res, "unmet", by_unmet(json_object_get(res, "cells"), true));
	json_object_set_new(res, "gaps", by_unmet(json_object_get(res, "gaps"), false));
}

int gaps_run_demand(struct store_txn *t, const struct taxonomy *tax, bool by_sector, uint64_t now,
                    const json_t *release, json_t **out, struct gl_error *err)
{
	json_t *res;
	int rc = gaps_run(t, tax, by_sector, now, &res, err);
	if (rc)
		return rc;
	/* a release of no bucket has no figure: no data to weigh by (issue 26) */
	if (json_is_object(release) && json_array_size(json_object_get(release, "buckets")))
		weigh(res, tax, by_sector, release);
	*out = res;
	return 0;
}

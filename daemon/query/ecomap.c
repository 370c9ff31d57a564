/*
 * ecomap.c — the map of the ecosystem as JSON (ecomap.h): one scan of the
 * partner records, one of the offers, each offer put under its partner
 * and its top-level needs.  The picture and the CSV are ecomap_out.c's.
 */
#include "query/ecomap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/alloc.h"
#include "proto/clock.h"
#include "proto/record.h"
#include "query/eligibility.h"
#include "query/view.h"

/* The most need terms (children included) the map takes. */
#define NEED_TERMS_MAX 128

/* A partner record as the map reads it. */
struct epartner {
	uint8_t author[RECORD_KEY_LEN];
	json_t *rec;                 /* its JSON view */
	json_t *cells[ECOMAP_NEEDS_MAX]; /* per column: the offers, or NULL */
	json_t *needs[ECOMAP_NEEDS_MAX]; /* per column: the needs listed */
	bool shown;
};

struct ectx {
	const struct taxonomy *tax;
	const char *sector;
	uint64_t now;
	const struct tax_term *needs, *sectors;
	size_t nneeds, nsectors;
	int column[NEED_TERMS_MAX];      /* need term order → column, -1: none */
	size_t ncolumns, nterms;
	size_t top[ECOMAP_NEEDS_MAX];    /* column → need term order */
	struct epartner *p;
	size_t np, cap;
	unsigned offers_shown, unplaced;
};

static const char *str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

/* ---- partners ---------------------------------------------------------- */

static int take_partner(void *vc, const struct store_entry *e)
{
	struct ectx *c = vc;
	json_t *rec = view_entry_json(e);
	if (!rec || json_object_get(rec, "retracted")) {
		json_decref(rec);
		return 0;
	}
	if (c->np == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 32;
		c->p = gl_xrealloc(c->p, c->cap * sizeof *c->p);
	}
	struct epartner *p = &c->p[c->np++];
	memset(p, 0, sizeof *p);
	memcpy(p->author, e->author, RECORD_KEY_LEN);
	p->rec = rec;
	return 0;
}

static int cmp_partner(const void *a, const void *b)
{
	const struct epartner *x = a, *y = b;
	const json_t *hx = json_object_get(x->rec, "hub"), *hy = json_object_get(y->rec, "hub");
	if (!hx != !hy)
		return hx ? -1 : 1; /* partners at a hub first */
	int d = strcmp(str(hx, "id"), str(hy, "id"));
	if (!d)
		d = strcmp(str(x->rec, "id"), str(y->rec, "id"));
	return d ? d : memcmp(x->author, y->author, RECORD_KEY_LEN);
}

/* The partner an offer by author with "partner" field ref belongs to. */
static struct epartner *owner(struct ectx *c, const uint8_t *author, const char *ref)
{
	struct epartner *first = NULL;
	for (size_t i = 0; i < c->np; i++) {
		struct epartner *p = &c->p[i];
		if (memcmp(p->author, author, RECORD_KEY_LEN))
			continue;
		if (ref && !strcmp(str(p->rec, "id"), ref))
			return p;
		if (!first || strcmp(str(p->rec, "id"), str(first->rec, "id")) < 0)
			first = p;
	}
	return ref ? NULL : first;
}

/* ---- offers ------------------------------------------------------------- */

/* Whether an offer's eligibility admits the map's sector (any if none). */
static bool for_sector(const struct ectx *c, const json_t *sectors)
{
	size_t k;
	json_t *v;
	if (!c->sector || !json_is_array(sectors))
		return true;
	json_array_foreach(sectors, k, v)
		if (!strcmp(json_string_value(v) ? json_string_value(v) : "", c->sector))
			return true;
	return false;
}

static void add_need(json_t *list, const char *need)
{
	size_t k;
	json_t *v;
	json_array_foreach(list, k, v)
		if (!strcmp(json_string_value(v), need))
			return;
	json_array_append_new(list, json_string(need));
}

/* Put the offer (its JSON view) in the cells of p. */
static void place(struct ectx *c, struct epartner *p, const json_t *rec)
{
	const json_t *sectors = json_object_get(json_object_get(rec, "eligibility"), "sectors");
	bool in[ECOMAP_NEEDS_MAX] = { false }, any = false;
	size_t k;
	json_t *v;
	json_array_foreach(json_object_get(rec, "needs"), k, v) {
		const struct tax_term *t = taxonomy_term(c->tax, "need", json_string_value(v));
		int col = t && t->order < c->nterms ? c->column[t->order] : -1;
		if (col < 0)
			continue;
		if (!p->needs[col])
			p->needs[col] = json_array();
		add_need(p->needs[col], t->id);
		if (in[col])
			continue; /* once per column */
		in[col] = any = true;
		if (!p->cells[col])
			p->cells[col] = json_array();
		json_array_append_new(p->cells[col], json_pack("{s:s, s:O, s:O}", "id", str(rec, "id"),
			"name", json_object_get(rec, "name") ? json_object_get(rec, "name") : json_null(),
			"sectors", json_is_array(sectors) ? (json_t *)sectors : json_null()));
	}
	if (any) {
		p->shown = true;
		c->offers_shown++;
	}
}

static int take_offer(void *vc, const struct store_entry *e)
{
	struct ectx *c = vc;
	if (!eligibility_entry_current(e, c->now))
		return 0;
	json_t *rec = view_entry_json(e);
	if (!rec || json_object_get(rec, "retracted")) {
		json_decref(rec);
		return 0;
	}
	const char *ref = json_string_value(json_object_get(rec, "partner"));
	struct epartner *p = owner(c, e->author, ref);
	if (!p)
		c->unplaced++;
	else if (for_sector(c, json_object_get(json_object_get(rec, "eligibility"), "sectors")))
		place(c, p, rec);
	json_decref(rec);
	return 0;
}

/* ---- the answer ------------------------------------------------------------- */

static json_t *terms_json(const struct tax_term *t, size_t n, const size_t *pick, size_t npick)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < (pick ? npick : n); i++) {
		const struct tax_term *x = &t[pick ? pick[i] : i];
		json_array_append_new(arr, json_pack("{s:s, s:{s:s, s:s}}", "id", x->id, "label", "nl",
		                                     x->label_nl, "en", x->label_en));
	}
	return arr;
}

static json_t *location_of(const struct taxonomy *tax, const json_t *rec)
{
	const json_t *addr = json_object_get(json_object_get(json_object_get(rec, "contact"),
	                                                     "location"), "address");
	const json_t *hub = json_object_get(rec, "hub");
	const json_t *areas = json_object_get(rec, "areas");
	if (addr)
		return json_pack("{s:s, s:s, s:s, s:s, s:s}", "from", "address", "street",
		                 str(addr, "street"), "postal_code", str(addr, "postal_code"),
		                 "locality", str(addr, "locality"), "country", str(addr, "country"));
	if (hub)
		return json_pack("{s:s, s:s}", "from", "hub", "locality", str(hub, "locality"));
	const struct tax_term *area = json_array_size(areas) ?
		taxonomy_term(tax, "area", json_string_value(json_array_get(areas, 0))) : NULL;
	if (area)
		return json_pack("{s:s, s:s, s:{s:s, s:s}}", "from", "area", "area", area->id, "label",
		                 "nl", area->label_nl, "en", area->label_en);
	return json_null();
}

static json_t *partner_json(const struct ectx *c, const struct epartner *p)
{
	const json_t *r = p->rec, *hub = json_object_get(r, "hub");
	json_t *cells = json_array();
	for (size_t col = 0; col < c->ncolumns; col++)
		if (p->cells[col])
			json_array_append_new(cells, json_pack("{s:s, s:O, s:O}", "need",
				c->needs[c->top[col]].id, "needs", p->needs[col], "offers", p->cells[col]));
	const json_t *sectors = json_object_get(r, "sectors");
	return json_pack("{s:s, s:s, s:O, s:s, s:s, s:o, s:o, s:o, s:o}", "author", str(r, "author"),
	                 "id", str(r, "id"), "name", json_object_get(r, "name") ?
	                 json_object_get(r, "name") : json_null(), "org_type", str(r, "org_type"),
	                 "url", str(r, "url"), "hub", hub ? json_string(str(hub, "id")) : json_null(),
	                 "location", location_of(c->tax, r),
	                 "sectors", sectors ? json_incref((json_t *)sectors) : json_array(),
	                 "cells", cells);
}

static json_t *hubs_json(const struct ectx *c)
{
	json_t *hubs = json_array(), *h;
	size_t k;
	for (size_t i = 0; i < c->np; i++) {
		const json_t *hub = json_object_get(c->p[i].rec, "hub");
		if (!hub || !c->p[i].shown)
			continue;
		bool seen = false;
		json_array_foreach(hubs, k, h)
			if (!strcmp(str(h, "id"), str(hub, "id"))) {
				json_object_set_new(h, "partners", json_integer(
					json_integer_value(json_object_get(h, "partners")) + 1));
				seen = true;
			}
		if (!seen) /* partners come sorted by id: the first names the hub */
			json_array_append_new(hubs, json_pack("{s:s, s:O, s:s, s:i}", "id", str(hub, "id"),
				"name", json_object_get(hub, "name"), "locality", str(hub, "locality"),
				"partners", 1));
	}
	return hubs;
}

static json_t *answer(struct ectx *c)
{
	json_t *res = json_object(), *list = json_array();
	unsigned shown = 0;
	for (size_t i = 0; i < c->np; i++)
		if (c->p[i].shown) {
			json_array_append_new(list, partner_json(c, &c->p[i]));
			shown++;
		}
	json_object_set_new(res, "sector", c->sector ? json_string(c->sector) : json_null());
	json_object_set_new(res, "partners_shown", json_integer(shown));
	json_object_set_new(res, "offers_shown", json_integer(c->offers_shown));
	json_object_set_new(res, "unplaced", json_integer(c->unplaced));
	json_object_set_new(res, "needs", terms_json(c->needs, c->nneeds, c->top, c->ncolumns));
	json_object_set_new(res, "sectors", terms_json(c->sectors, c->nsectors, NULL, 0));
	json_object_set_new(res, "hubs", hubs_json(c));
	json_object_set_new(res, "partners", list);
	return res;
}

/* The columns: the top-level needs, and every need's column. */
static int columns(struct ectx *c, struct gl_error *err)
{
	c->needs = taxonomy_facet(c->tax, "need", &c->nneeds);
	c->sectors = taxonomy_facet(c->tax, "sector", &c->nsectors);
	if (c->nneeds > sizeof c->column / sizeof c->column[0] || c->nsectors > ECOMAP_SECTORS_MAX)
		return gl_errorf(err, GL_ELIMIT, "taxonomy.json: %zu needs and %zu sectors, more than "
		                 "the map takes (%zu, %d)", c->nneeds, c->nsectors,
		                 sizeof c->column / sizeof c->column[0], ECOMAP_SECTORS_MAX);
	c->nterms = c->nneeds;
	for (size_t i = 0; i < c->nneeds; i++)
		if (!c->needs[i].parent) {
			if (c->ncolumns == ECOMAP_NEEDS_MAX)
				return gl_errorf(err, GL_ELIMIT, "taxonomy.json: more than %d top-level "
				                 "needs, more than the map takes", ECOMAP_NEEDS_MAX);
			c->top[c->ncolumns++] = i;
		}
	for (size_t i = 0; i < c->nneeds; i++) {
		c->column[i] = -1;
		for (size_t col = 0; col < c->ncolumns; col++)
			if (taxonomy_within(c->tax, "need", c->needs[i].id, c->needs[c->top[col]].id))
				c->column[i] = (int)col;
	}
	return 0;
}

int ecomap_run(struct store_txn *t, const struct taxonomy *tax, const char *sector,
               uint64_t now, json_t **out, struct gl_error *err)
{
	if (!t || !tax || !out)
		return gl_errorf(err, GL_EINVAL, "ecomap_run: no transaction, taxonomy or result");
	struct ectx c = { .tax = tax, .sector = sector, .now = now ? now : clock_now() };
	int rc;
	if ((rc = columns(&c, err)))
		return rc;
	if (sector && !taxonomy_term(tax, "sector", sector)) {
		char list[600];
		size_t at = 0;
		for (size_t i = 0; i < c.nsectors && at < sizeof list; i++)
			at += (size_t)snprintf(list + at, sizeof list - at, "%s%s", i ? ", " : "",
			                       c.sectors[i].id);
		return gl_errorf(err, GL_ENOTFOUND, "sector \"%.64s\" is not one of: %s", sector, list);
	}
	struct store_filter fp = { .kind = RK_PARTNER }, fo = { .kind = RK_OFFER };
	if (!(rc = store_scan(t, &fp, take_partner, &c, err))) {
		if (c.np)
			qsort(c.p, c.np, sizeof *c.p, cmp_partner);
		rc = store_scan(t, &fo, take_offer, &c, err);
	}
	if (!rc)
		*out = answer(&c);
	for (size_t i = 0; i < c.np; i++) {
		json_decref(c.p[i].rec);
		for (size_t col = 0; col < ECOMAP_NEEDS_MAX; col++) {
			json_decref(c.p[i].cells[col]);
			json_decref(c.p[i].needs[col]);
		}
	}
	free(c.p);
	return rc;
}

/*
 * ecomap.c — the map of the ecosystem as JSON (ecomap.h).  Four scans,
 * each holding little: the partners, kept as small structs sorted by
 * (author, id); the offers, each found its partner by binary search and
 * counted in that partner's cells; then, once the rows to list are
 * chosen (the first ECOMAP_PARTNERS_MAX shown, in the map's order), the
 * partners again, to write those rows, and the offers again, to list at
 * most ECOMAP_CELL_OFFERS_MAX of each of their cells.  The picture and
 * the CSV are ecomap_out.c's.
 */
#include "query/ecomap.h"

#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/alloc.h"
#include "proto/body.h"
#include "proto/bounds.h"
#include "proto/clock.h"
#include "proto/record.h"
#include "query/eligibility.h"
#include "query/view.h"
#include "schemas/jsonmp.h"

/* The most need terms (children included) the map takes. */
#define NEED_TERMS_MAX 128

/* A partner record as the map holds it while it counts. */
struct epartner {
	uint8_t author[RECORD_KEY_LEN];
	char id[GL_ID_MAX + 1];
	char hub[GL_ID_MAX + 1];         /* its hub's id, if at_hub */
	bool at_hub, shown;
	int slot;                        /* its row in the answer; -1: not listed */
	uint32_t cols, made_for;         /* per column: offers; some made for sectors */
	uint32_t count[ECOMAP_NEEDS_MAX]; /* per column: the offers shown */
	uint8_t needs[NEED_TERMS_MAX / 8]; /* the need terms its offers list */
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
	struct epartner *p;              /* by author, then id */
	size_t np, cap;
	unsigned offers_shown, unplaced, partners_shown, hubs_shown;
	/* the rows listed: at most max_rows, each cell's first max_cell offers */
	size_t max_rows, max_cell, nrows;
	json_t **rows;
	json_t *(*cell)[ECOMAP_NEEDS_MAX]; /* the offers listed */
	int *lead;                          /* row → its hub's entry if it names it; -1 */
	json_t *hubs;
};

static const char *str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static void copy_id(char *dst, const char *src, size_t len)
{
	len = len < GL_ID_MAX ? len : GL_ID_MAX;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* ---- partners ---------------------------------------------------------- */

/* A live partner record's JSON view, or NULL (the caller frees it). */
static json_t *live(const struct store_entry *e)
{
	json_t *rec = view_entry_json(e);
	if (rec && !json_object_get(rec, "retracted"))
		return rec;
	json_decref(rec);
	return NULL;
}

static int take_partner(void *vc, const struct store_entry *e)
{
	struct ectx *c = vc;
	json_t *rec = live(e);
	if (!rec)
		return 0;
	if (c->np == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 32;
		c->p = gl_xrealloc(c->p, c->cap * sizeof *c->p);
	}
	struct epartner *p = &c->p[c->np++];
	memset(p, 0, sizeof *p);
	memcpy(p->author, e->author, RECORD_KEY_LEN);
	copy_id(p->id, e->id, e->id_len);
	const json_t *hub = json_object_get(rec, "hub");
	p->at_hub = hub != NULL;
	copy_id(p->hub, str(hub, "id"), strlen(str(hub, "id")));
	p->slot = -1;
	json_decref(rec);
	return 0;
}

static int cmp_key(const void *a, const void *b)
{
	const struct epartner *x = a, *y = b;
	int d = memcmp(x->author, y->author, RECORD_KEY_LEN);
	return d ? d : strcmp(x->id, y->id);
}

/* The map's order: partners at a hub first, by hub, then by id and author. */
static int cmp_map(const void *a, const void *b)
{
	const struct epartner *x = *(struct epartner *const *)a, *y = *(struct epartner *const *)b;
	if (x->at_hub != y->at_hub)
		return x->at_hub ? -1 : 1;
	int d = strcmp(x->hub, y->hub);
	if (!d)
		d = strcmp(x->id, y->id);
	return d ? d : memcmp(x->author, y->author, RECORD_KEY_LEN);
}

/* The first partner of author whose id is ref or after it ("": the first). */
static struct epartner *lower(struct ectx *c, const uint8_t *author, const char *ref)
{
	size_t lo = 0, hi = c->np;
	struct epartner key;
	memcpy(key.author, author, RECORD_KEY_LEN);
	copy_id(key.id, ref, strlen(ref));
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp_key(&c->p[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->np && !memcmp(c->p[lo].author, author, RECORD_KEY_LEN) ? &c->p[lo] : NULL;
}

/* The partner an offer by author with "partner" field ref (NULL: none)
 * belongs to: that one, or the author's first. */
static struct epartner *owner(struct ectx *c, const uint8_t *author, const char *ref)
{
	if (ref && strlen(ref) > GL_ID_MAX)
		return NULL;
	struct epartner *p = lower(c, author, ref ? ref : "");
	return p && ref && strcmp(p->id, ref) ? NULL : p;
}

/* ---- offers ------------------------------------------------------------- */

/* The offers are read from their bodies (proto/body.h), not turned into
 * JSON: each is looked at twice, and only a listed one's name and sectors
 * become JSON. */
struct eoffer {
	const uint8_t *body;
	size_t len;
	const uint8_t *sectors;  /* eligibility.sectors if an array, else NULL */
	size_t sectors_len;
};

/* Whether a string of the body (s, n bytes) is the text want. */
static bool same(const uint8_t *s, uint32_t n, const char *want)
{
	return strlen(want) == n && !memcmp(s, want, n);
}

/* Whether an offer's eligibility admits the map's sector (any if none). */
static bool for_sector(const struct ectx *c, const struct eoffer *o)
{
	struct body_iter it;
	const uint8_t *s;
	uint32_t n;
	if (!c->sector || !o->sectors)
		return true;
	if (body_strs(o->sectors, o->sectors_len, "sectors", &it))
		while (body_strs_next(&it, &s, &n))
			if (same(s, n, c->sector))
				return true;
	return false;
}

/* The columns a live offer counts in (a bit each; 0: none, or not for the
 * sector); the need terms it lists into needs, if not NULL. */
static uint32_t offer_cols(const struct ectx *c, const struct eoffer *o, uint8_t *needs)
{
	uint32_t cols = 0;
	struct body_iter it;
	const uint8_t *s;
	uint32_t n;
	char term[ELIGIBILITY_TERM_MAX + 1];
	if (!for_sector(c, o) || !body_strs(o->body, o->len, "needs", &it))
		return 0;
	while (body_strs_next(&it, &s, &n)) {
		if (n > ELIGIBILITY_TERM_MAX)
			continue;
		memcpy(term, s, n);
		term[n] = '\0';
		const struct tax_term *t = taxonomy_term(c->tax, "need", term);
		int col = t && t->order < c->nterms ? c->column[t->order] : -1;
		if (col < 0)
			continue;
		cols |= 1u << col;
		if (needs)
			needs[t->order / 8] |= (uint8_t)(1u << (t->order % 8));
	}
	return cols;
}

/* The current, live offer of e into *o, and its partner, or NULL
 * (unplaced counted if count and it has none). */
static struct epartner *offer_of(struct ectx *c, const struct store_entry *e, struct eoffer *o,
                                 bool count)
{
	struct record r;
	if (!eligibility_entry_current(e, c->now) ||
	    record_parse_held(e->env, e->env_len, &r, NULL) || !r.body)
		return NULL;
	*o = (struct eoffer){ .body = r.body, .len = r.body_len };
	const uint8_t *elig, *ref;
	size_t elen;
	uint32_t rlen;
	struct body_iter it;
	if (body_value(r.body, r.body_len, "eligibility", &elig, &elen) &&
	    body_strs(elig, elen, "sectors", &it)) {
		o->sectors = elig;
		o->sectors_len = elen;
	}
	char id[GL_ID_MAX + 1];
	struct epartner *p = NULL;
	if (!body_str(r.body, r.body_len, "partner", &ref, &rlen)) {
		p = owner(c, e->author, NULL);
	} else if (rlen <= GL_ID_MAX) {
		memcpy(id, ref, rlen);
		id[rlen] = '\0';
		p = strlen(id) == rlen ? owner(c, e->author, id) : NULL;
	}
	c->unplaced += !p && count;
	return p;
}

static int count_offer(void *vc, const struct store_entry *e)
{
	struct ectx *c = vc;
	struct eoffer o;
	struct epartner *p = offer_of(c, e, &o, true);
	uint32_t cols = p ? offer_cols(c, &o, p->needs) : 0;
	if (cols) {
		p->shown = true;
		p->cols |= cols;
		if (o.sectors)
			p->made_for |= cols;
		for (size_t col = 0; col < c->ncolumns; col++)
			p->count[col] += (cols >> col) & 1;
		c->offers_shown++;
	}
	return 0;
}

/* The second look at an offer: listed in its listed partner's cells. */
static int list_offer(void *vc, const struct store_entry *e)
{
	struct ectx *c = vc;
	struct eoffer o;
	struct epartner *p = offer_of(c, e, &o, false);
	uint32_t cols = p && p->slot >= 0 ? offer_cols(c, &o, NULL) : 0;
	json_t *name = NULL, *sectors = NULL;
	const uint8_t *v;
	size_t vlen;
	for (size_t col = 0; cols && col < c->ncolumns; col++) {
		json_t *list = c->cell[p->slot][col];
		if (!((cols >> col) & 1) || !list || json_array_size(list) >= c->max_cell)
			continue;
		if (!name) {
			name = body_value(o.body, o.len, "name", &v, &vlen) ? jsonmp_value_to_json(v, vlen)
			                                                    : NULL;
			sectors = o.sectors && body_value(o.sectors, o.sectors_len, "sectors", &v, &vlen)
			          ? jsonmp_value_to_json(v, vlen) : NULL;
			name = name ? name : json_null();
			sectors = sectors ? sectors : json_null();
		}
		json_array_append_new(list, json_pack("{s:s%, s:O, s:O}", "id", e->id, e->id_len,
		                                      "name", name, "sectors", sectors));
	}
	json_decref(name);
	json_decref(sectors);
	return 0;
}

/* ---- the rows listed ---------------------------------------------------------- */

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

/* A listed partner's cells; each cell's (empty) offers list kept for list_offer. */
static json_t *cells_json(struct ectx *c, const struct epartner *p)
{
	json_t *cells = json_array();
	for (size_t col = 0; col < c->ncolumns; col++) {
		if (!((p->cols >> col) & 1))
			continue;
		json_t *needs = json_array(), *offers = json_array();
		for (size_t i = 0; i < c->nterms; i++)
			if (c->column[i] == (int)col && (p->needs[i / 8] >> (i % 8)) & 1)
				json_array_append_new(needs, json_string(c->needs[i].id));
		c->cell[p->slot][col] = offers; /* borrowed: the cell holds it */
		json_array_append_new(cells, json_pack("{s:s, s:o, s:i, s:b, s:o}", "need",
			c->needs[c->top[col]].id, "needs", needs, "count", (json_int_t)p->count[col],
			"made_for", (int)((p->made_for >> col) & 1), "offers", offers));
	}
	return cells;
}

/* The second look at a partner: its row, if listed. */
static int list_partner(void *vc, const struct store_entry *e)
{
	struct ectx *c = vc;
	char id[GL_ID_MAX + 1];
	copy_id(id, e->id, e->id_len);
	struct epartner *p = owner(c, e->author, id);
	json_t *r = p && p->slot >= 0 && !c->rows[p->slot] ? live(e) : NULL;
	if (!r)
		return 0;
	const json_t *hub = json_object_get(r, "hub"), *sectors = json_object_get(r, "sectors");
	c->rows[p->slot] = json_pack("{s:s, s:s, s:O, s:s, s:s, s:o, s:o, s:o, s:o}",
		"author", str(r, "author"), "id", p->id, "name", json_object_get(r, "name") ?
		json_object_get(r, "name") : json_null(), "org_type", str(r, "org_type"),
		"url", str(r, "url"), "hub", hub ? json_string(p->hub) : json_null(),
		"location", location_of(c->tax, r),
		"sectors", sectors ? json_incref((json_t *)sectors) : json_array(),
		"cells", cells_json(c, p));
	if (c->lead[p->slot] >= 0) { /* the first partner at its hub names it */
		json_t *h = json_array_get(c->hubs, (size_t)c->lead[p->slot]);
		json_object_set(h, "name", json_object_get(hub, "name") ?
		                json_object_get(hub, "name") : json_null());
		json_object_set_new(h, "locality", json_string(str(hub, "locality")));
	}
	json_decref(r);
	return 0;
}

/* Choose the rows: the shown partners in the map's order, the first
 * ECOMAP_PARTNERS_MAX listed; count them and their hubs. */
static void choose(struct ectx *c)
{
	struct epartner **order = gl_xmalloc((c->np ? c->np : 1) * sizeof *order);
	size_t n = 0;
	for (size_t i = 0; i < c->np; i++)
		if (c->p[i].shown)
			order[n++] = &c->p[i];
	qsort(order, n, sizeof *order, cmp_map);
	c->partners_shown = (unsigned)n;
	size_t rows = n < c->max_rows ? n : c->max_rows;
	c->rows = gl_xcalloc(rows ? rows : 1, sizeof *c->rows);
	c->cell = gl_xcalloc(rows ? rows : 1, sizeof *c->cell);
	c->lead = gl_xcalloc(rows ? rows : 1, sizeof *c->lead);
	c->hubs = json_array();
	json_t *h = NULL;
	for (size_t i = 0; i < n; i++) {
		struct epartner *p = order[i];
		bool first = p->at_hub && (!i || !order[i - 1]->at_hub || strcmp(order[i - 1]->hub, p->hub));
		if (first)
			c->hubs_shown++;
		if (i < c->max_rows) {
			p->slot = (int)i;
			c->lead[i] = -1;
			c->nrows = i + 1;
		}
		if (first && i < c->max_rows) {
			h = json_pack("{s:s, s:n, s:s, s:i}", "id", p->hub, "name", "locality", "", "partners", 0);
			c->lead[i] = (int)json_array_size(c->hubs);
			json_array_append_new(c->hubs, h);
		} else if (first) {
			h = NULL; /* a hub none of whose partners is listed */
		}
		if (p->at_hub && h)
			json_object_set_new(h, "partners", json_integer(
				json_integer_value(json_object_get(h, "partners")) + 1));
	}
	free(order);
}

static json_t *answer(struct ectx *c)
{
	json_t *res = json_object(), *list = json_array();
	for (size_t i = 0; i < c->nrows; i++)
		json_array_append(list, c->rows[i] ? c->rows[i] : json_null());
	json_object_set_new(res, "sector", c->sector ? json_string(c->sector) : json_null());
	json_object_set_new(res, "partners_shown", json_integer(c->partners_shown));
	json_object_set_new(res, "partners_more", json_integer((json_int_t)(c->partners_shown - c->nrows)));
	json_object_set_new(res, "offers_shown", json_integer(c->offers_shown));
	json_object_set_new(res, "unplaced", json_integer(c->unplaced));
	json_object_set_new(res, "hubs_shown", json_integer(c->hubs_shown));
	json_object_set_new(res, "needs", terms_json(c->needs, c->nneeds, c->top, c->ncolumns));
	json_object_set_new(res, "sectors", terms_json(c->sectors, c->nsectors, NULL, 0));
	json_object_set(res, "hubs", c->hubs);
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

/* GL_ENOTFOUND if the map's sector is no term of the taxonomy. */
static int sector_check(const struct ectx *c, struct gl_error *err)
{
	char list[600];
	size_t at = 0;
	if (!c->sector || taxonomy_term(c->tax, "sector", c->sector))
		return 0;
	for (size_t i = 0; i < c->nsectors && at < sizeof list; i++)
		at += (size_t)snprintf(list + at, sizeof list - at, "%s%s", i ? ", " : "",
		                       c->sectors[i].id);
	return gl_errorf(err, GL_ENOTFOUND, "sector \"%.64s\" is not one of: %s", c->sector, list);
}

static int run(struct store_txn *t, const struct taxonomy *tax, const char *sector,
               uint64_t now, size_t max_rows, size_t max_cell, json_t **out, struct gl_error *err)
{
	if (!t || !tax || !out)
		return gl_errorf(err, GL_EINVAL, "ecomap_run: no transaction, taxonomy or result");
	struct ectx *c = gl_xcalloc(1, sizeof *c);
	*c = (struct ectx){ .tax = tax, .sector = sector, .now = now ? now : clock_now(),
	                    .max_rows = max_rows, .max_cell = max_cell };
	int rc;
	if ((rc = columns(c, err)) || (rc = sector_check(c, err)))
		goto fail;
	struct store_filter fp = { .kind = RK_PARTNER }, fo = { .kind = RK_OFFER };
	if ((rc = store_scan(t, &fp, take_partner, c, err)))
		goto fail;
	if (c->np)
		qsort(c->p, c->np, sizeof *c->p, cmp_key);
	if ((rc = store_scan(t, &fo, count_offer, c, err)))
		goto fail;
	choose(c);
	if ((rc = store_scan(t, &fp, list_partner, c, err)) ||
	    (rc = store_scan(t, &fo, list_offer, c, err)))
		goto fail;
	*out = answer(c);
fail:
	for (size_t i = 0; i < c->nrows; i++)
		json_decref(c->rows[i]);
	json_decref(c->hubs);
	free(c->rows);
	free(c->cell);
	free(c->lead);
	free(c->p);
	free(c);
	return rc;
}

int ecomap_run(struct store_txn *t, const struct taxonomy *tax, const char *sector,
               uint64_t now, json_t **out, struct gl_error *err)
{
	return run(t, tax, sector, now, ECOMAP_PARTNERS_MAX, ECOMAP_CELL_OFFERS_MAX, out, err);
}

int ecomap_run_all(struct store_txn *t, const struct taxonomy *tax, const char *sector,
                   uint64_t now, json_t **out, struct gl_error *err)
{
	return run(t, tax, sector, now, SIZE_MAX, SIZE_MAX, out, err);
}

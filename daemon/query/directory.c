/*
 * directory.c — partners, a partner's page, offers by filter, search hits
 * (directory.h).  Records are judged on their bodies (eligibility.h,
 * proto/body.h) and turned into JSON only when kept: a filter that keeps
 * few offers converts few.
 */
#include "query/directory.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/alloc.h"
#include "proto/body.h"
#include "proto/clock.h"
#include "proto/ident.h"
#include "query/eligibility.h"
#include "query/search.h"
#include "query/topk.h"
#include "query/view.h"

/* The longest time text read (RFC 3339 with a fraction and an offset fits). */
#define TIME_TEXT_MAX 64

/* ---- records -------------------------------------------------------------- */

/* Whether to list a record, judged on its body (len bytes). */
typedef bool (*keep_fn)(const void *arg, const uint8_t *body, size_t len);

/* Whether the body's "partner" is pid. */
static bool partner_is(const uint8_t *body, size_t len, const char *pid)
{
	return body_str_is(body, len, "partner", pid);
}

/* ---- offers ------------------------------------------------------------- */

struct offer_keep {
	const struct taxonomy *tax;
	const struct directory_offer_filter *f;
	uint64_t now;
	/* worked out once for the filter (offer_keep_init), not per offer */
	struct eligibility_profile p;  /* the profile a filter describes: only what is asked */
	struct eligibility_need need;
};

static void offer_keep_init(struct offer_keep *k, const struct taxonomy *tax,
                            const struct directory_offer_filter *f, uint64_t now)
{
	*k = (struct offer_keep){ .tax = tax, .f = f, .now = now };
	eligibility_profile_init(&k->p);
	eligibility_profile_term(tax, &k->p, "phase", f->phase);
	eligibility_profile_term(tax, &k->p, "sector", f->sector);
	eligibility_profile_term(tax, &k->p, "activity", f->activity);
	if (f->need)
		eligibility_need_init(tax, f->need, &k->need);
}

static bool offer_keep(const void *arg, const uint8_t *body, size_t len)
{
	const struct offer_keep *k = arg;
	const struct directory_offer_filter *f = k->f;
	struct eligibility_offer o;
	struct eligibility_verdict v;
	eligibility_offer_read(k->tax, body, len, &o);
	if (!eligibility_current(&o, k->now))
		return false;
	eligibility_judge(&o, &k->p, &v);
	if (eligibility_any_failed(&v))
		return false;
	if (f->need && eligibility_fit_bits(&o, &k->need) < ELIGIBILITY_FIT_NARROWER)
		return false;
	if (f->lang && !eligibility_speaks(&o, f->lang))
		return false;
	return !f->partner || partner_is(body, len, f->partner);
}

/* A record's place in a paged list: partner, id, author (its key text),
 * compared in that order; a partner record's own "partner" is empty, so
 * partners go by id, then author.  And its key in the store, to read it
 * once it is known to be on the page; a partner's offers, once counted. */
struct place {
	char partner[GL_ID_MAX + 1], id[GL_ID_MAX + 1], author[IDENT_TEXT_MAX];
	uint8_t pk[RECORD_KEY_LEN];
	json_int_t offers;
};

static int place_cmp(const void *va, const void *vb)
{
	const struct place *a = va, *b = vb;
	int c = strcmp(a->partner, b->partner);
	if (!c)
		c = strcmp(a->id, b->id);
	return c ? c : strcmp(a->author, b->author);
}

/* A page's cursor, "PARTNER/ID/AUTHOR" (with_partner: the offers') or
 * "ID/AUTHOR" (the partners'), into *at: 0, or GL_EINVAL. */
static int cursor_read(const char *text, bool with_partner, struct place *at,
                       struct gl_error *err)
{
	const char *s1 = with_partner ? strchr(text, '/') : NULL;
	const char *id = with_partner ? (s1 ? s1 + 1 : NULL) : text;
	const char *s2 = id ? strchr(id, '/') : NULL;
	size_t np = s1 ? (size_t)(s1 - text) : 0, ni = s2 ? (size_t)(s2 - id) : 0;
	if (!s2 || np > GL_ID_MAX || ni == 0 || ni > GL_ID_MAX || strlen(s2 + 1) >= IDENT_TEXT_MAX ||
	    strchr(s2 + 1, '/'))
		return gl_errorf(err, GL_EINVAL, "\"%.80s\" is not a place in the list: give the "
		                 "\"next\" of the page before", text);
	memcpy(at->partner, text, np);
	at->partner[np] = '\0';
	memcpy(at->id, id, ni);
	at->id[ni] = '\0';
	strcpy(at->author, s2 + 1);
	return 0;
}

/* Check a page's limit (1 to max) and read its cursor into *after; then
 * hold the first limit + 1 places past it in *first (one more than the
 * page: whether a next page exists).  0, or GL_EINVAL (err says which). */
static int page_open(const struct directory_page *pg, unsigned max, bool with_partner,
                     struct place *after, struct topk *first, struct gl_error *err)
{
	if (pg->limit < 1 || pg->limit > max)
		return gl_errorf(err, GL_EINVAL, "limit: %zu is not from 1 to %u", pg->limit, max);
	if (pg->after && cursor_read(pg->after, with_partner, after, err))
		return GL_EINVAL;
	topk_init(first, pg->limit + 1, sizeof(struct place), place_cmp);
	return 0;
}

/* The cursor of the page after first's (sorted) page of limit, in next;
 * "" if none follows. */
static void page_next(const struct topk *first, size_t limit, bool with_partner,
                      char next[DIRECTORY_CURSOR_MAX])
{
	next[0] = '\0';
	if (first->n <= limit)
		return;
	const struct place *last = topk_at(first, limit - 1);
	if (with_partner)
		snprintf(next, DIRECTORY_CURSOR_MAX, "%s/%s/%s", last->partner, last->id, last->author);
	else
		snprintf(next, DIRECTORY_CURSOR_MAX, "%s/%s", last->id, last->author);
}

struct page_scan {
	struct offer_keep keep;
	const struct place *after; /* NULL: from the first */
	struct topk first;         /* the first offers past it */
};

static int page_visit(void *vp, const struct store_entry *e)
{
	struct page_scan *ps = vp;
	struct record r;
	const uint8_t *pid;
	uint32_t pid_len = 0;
	if (record_parse_held(e->env, e->env_len, &r, NULL) || r.id_len > GL_ID_MAX)
		return 0;
	struct place at = { 0 };
	if (!body_str(r.body, r.body_len, "partner", &pid, &pid_len) || pid_len > GL_ID_MAX)
		pid_len = 0;
	memcpy(at.partner, pid_len ? (const char *)pid : "", pid_len);
	at.partner[pid_len] = '\0';
	memcpy(at.id, r.id, r.id_len);
	at.id[r.id_len] = '\0';
	ident_format(IDENT_PK_PREFIX, e->author, at.author);
	memcpy(at.pk, e->author, RECORD_KEY_LEN);
	/* the place first: an offer before the cursor, or after every offer
	 * kept so far on a full page, is not judged at all, so that each page
	 * judges few more offers than it holds, not every offer after it */
	if ((ps->after && place_cmp(&at, ps->after) <= 0) || !topk_wants(&ps->first, &at) ||
	    !offer_keep(&ps->keep, r.body, r.body_len))
		return 0;
	topk_offer(&ps->first, &at);
	return 0;
}

int directory_offers(struct store_txn *t, const struct taxonomy *tax,
                     const struct directory_offer_filter *f, uint64_t now,
                     const struct directory_page *pg, json_t **out,
                     char next[DIRECTORY_CURSOR_MAX], struct gl_error *err)
{
	struct place after;
	size_t limit = pg->limit;
	struct page_scan ps = { .after = pg->after ? &after : NULL };
	offer_keep_init(&ps.keep, tax, f, now);
	if (page_open(pg, DIRECTORY_OFFERS_MAX, true, &after, &ps.first, err))
		return GL_EINVAL;
	struct store_filter sf = { .kind = RK_OFFER, .author = f->author };
	int rc = store_scan(t, &sf, page_visit, &ps, err);
	if (rc) {
		topk_free(&ps.first);
		return rc;
	}
	topk_sort(&ps.first);
	/* read from the same transaction as the scan: every one is there */
	json_t *list = json_array();
	for (size_t i = 0; i < ps.first.n && i < limit; i++) {
		const struct place *at = topk_at(&ps.first, i);
		struct store_entry e;
		if ((rc = store_get(t, at->pk, RK_OFFER, at->id, strlen(at->id), &e, err))) {
			json_decref(list);
			topk_free(&ps.first);
			return rc;
		}
		json_array_append_new(list, view_entry_json(&e));
	}
	page_next(&ps.first, limit, true, next);
	topk_free(&ps.first);
	*out = list;
	return 0;
}

/* ---- partners ------------------------------------------------------------ */

struct partner_scan {
	const struct place *after; /* NULL: from the first */
	struct topk first;
};

static int partner_visit(void *vp, const struct store_entry *e)
{
	struct partner_scan *ps = vp;
	struct place at = { 0 };
	if (e->id_len > GL_ID_MAX)
		return 0;
	memcpy(at.id, e->id, e->id_len);
	ident_format(IDENT_PK_PREFIX, e->author, at.author);
	memcpy(at.pk, e->author, RECORD_KEY_LEN);
	if (!ps->after || place_cmp(&at, ps->after) > 0)
		topk_offer(&ps->first, &at);
	return 0;
}

/* The page's partners, sorted, whose current offers are counted. */
struct counts {
	struct place *page;
	size_t n;
	uint64_t now;
};

static int count_offer(void *vc, const struct store_entry *e)
{
	struct counts *c = vc;
	struct record r;
	const uint8_t *pid;
	uint32_t pid_len;
	struct place key = { 0 };
	if (record_parse_held(e->env, e->env_len, &r, NULL) ||
	    !body_str(r.body, r.body_len, "partner", &pid, &pid_len) || pid_len > GL_ID_MAX)
		return 0;
	memcpy(key.id, pid, pid_len);
	key.id[pid_len] = '\0';
	ident_format(IDENT_PK_PREFIX, e->author, key.author);
	struct place *on = bsearch(&key, c->page, c->n, sizeof key, place_cmp);
	if (on && eligibility_body_current(r.body, r.body_len, c->now))
		on->offers++;
	return 0;
}

int directory_partners(struct store_txn *t, uint64_t now, const struct directory_page *pg,
                       json_t **out, char next[DIRECTORY_CURSOR_MAX], struct gl_error *err)
{
	struct place after;
	size_t limit = pg->limit;
	struct partner_scan ps = { .after = pg->after ? &after : NULL };
	if (page_open(pg, DIRECTORY_PARTNERS_MAX, false, &after, &ps.first, err))
		return GL_EINVAL;
	struct store_filter fp = { .kind = RK_PARTNER }, fo = { .kind = RK_OFFER };
	json_t *list = NULL;
	int rc = store_scan(t, &fp, partner_visit, &ps, err);
	if (rc)
		goto out;
	topk_sort(&ps.first);
	struct counts c = { topk_at(&ps.first, 0), ps.first.n < limit ? ps.first.n : limit, now };
	if ((rc = store_scan(t, &fo, count_offer, &c, err)))
		goto out;
	/* read from the same transaction as the scans: every one is there */
	list = json_array();
	for (size_t i = 0; i < c.n; i++) {
		const struct place *at = &c.page[i];
		struct store_entry e;
		if ((rc = store_get(t, at->pk, RK_PARTNER, at->id, strlen(at->id), &e, err)))
			goto out;
		json_t *rec = view_entry_json(&e);
		json_object_set_new(rec, "offers", json_integer(at->offers));
		json_array_append_new(list, rec);
	}
	page_next(&ps.first, limit, false, next);
	*out = list;
	list = NULL;
out:
	json_decref(list);
	topk_free(&ps.first);
	return rc;
}

/* ---- one partner ---------------------------------------------------------- */

struct belongs {
	const char *pid;
	int64_t after; /* events: only those ending after this; 0: any */
	uint64_t now;  /* offers: only those current at now */
};

static bool offer_belongs(const void *arg, const uint8_t *body, size_t len)
{
	const struct belongs *b = arg;
	return partner_is(body, len, b->pid) && eligibility_body_current(body, len, b->now);
}

/* A time field of a body as seconds; false if absent, not a string or unreadable. */
static bool body_time(const uint8_t *body, size_t len, const char *field, int64_t *out)
{
	const uint8_t *s;
	uint32_t sl;
	char text[TIME_TEXT_MAX + 1];
	if (!body_str(body, len, field, &s, &sl) || sl > TIME_TEXT_MAX)
		return false;
	memcpy(text, s, sl);
	text[sl] = '\0';
	return clock_parse(text, out) == 0;
}

static bool belongs_keep(const void *arg, const uint8_t *body, size_t len)
{
	const struct belongs *b = arg;
	const uint8_t *s;
	uint32_t sl;
	int64_t t;
	if (!partner_is(body, len, b->pid))
		return false;
	if (!b->after)
		return true;
	/* an end that is there but unreadable keeps the event, as an absent start drops it */
	if (body_str(body, len, "end", &s, &sl))
		return !(body_time(body, len, "end", &t) && t < b->after);
	return !(body_time(body, len, "start", &t) && t + DIRECTORY_EVENT_DEFAULT_LENGTH < b->after);
}

/* A record of one author kept for a partner's page: where it stands in
 * the list (its time, then its id) and its id, to read it once kept. */
struct pick {
	int64_t t;
	char id[GL_ID_MAX + 1];
};

static int pick_cmp(const void *va, const void *vb)
{
	const struct pick *a = va, *b = vb;
	return a->t < b->t ? -1 : a->t > b->t ? 1 : strcmp(a->id, b->id);
}

/* The first max records of a kind by one author that keep() keeps, in the
 * order of field's time (descending: newest first; no field: by id), with
 * how many more there are: a partner who publishes 100,000 offers gets a
 * page of max, not an answer the size of its records. */
struct picker {
	keep_fn keep;
	const void *arg;
	const char *field; /* NULL: by id */
	bool newest_first;
	struct topk top;
	size_t seen;
};

static int pick_visit(void *vp, const struct store_entry *e)
{
	struct picker *pk = vp;
	struct record r;
	struct pick at = { 0 };
	if (record_parse_held(e->env, e->env_len, &r, NULL) || r.id_len > GL_ID_MAX ||
	    !pk->keep(pk->arg, r.body, r.body_len))
		return 0;
	/* an unreadable time counts as 0, as time_of() does */
	if (pk->field && !body_time(r.body, r.body_len, pk->field, &at.t))
		at.t = 0;
	if (pk->newest_first)
		at.t = at.t == INT64_MIN ? INT64_MAX : -at.t;
	memcpy(at.id, r.id, r.id_len);
	pk->seen++;
	topk_offer(&pk->top, &at);
	return 0;
}

static int pick_kind(struct store_txn *t, int kind, const uint8_t *author, struct picker *pk,
                     size_t max, json_t **out, size_t *more, struct gl_error *err)
{
	struct store_filter f = { .kind = kind, .author = author };
	json_t *list = NULL;
	topk_init(&pk->top, max, sizeof(struct pick), pick_cmp);
	int rc = store_scan(t, &f, pick_visit, pk, err);
	if (rc)
		goto out;
	topk_sort(&pk->top);
	list = json_array();
	for (size_t i = 0; i < pk->top.n; i++) {
		const struct pick *at = topk_at(&pk->top, i);
		struct store_entry e;
		/* the same transaction as the scan: every one is there */
		if ((rc = store_get(t, author, kind, at->id, strlen(at->id), &e, err)))
			goto out;
		json_array_append_new(list, view_entry_json(&e));
	}
	*more = pk->seen - pk->top.n;
	*out = list;
	list = NULL;
out:
	json_decref(list);
	topk_free(&pk->top);
	return rc;
}

int directory_partner(struct store_txn *t, const uint8_t author[RECORD_KEY_LEN], const char *id,
                      uint64_t now, json_t **out, struct gl_error *err)
{
	struct store_entry e;
	json_t *offers = NULL, *events = NULL, *news = NULL;
	size_t more_offers = 0, more_events = 0, more_news = 0;
	int rc = store_get(t, author, RK_PARTNER, id, strlen(id), &e, err);
	if (!rc && e.tombstone)
		rc = gl_errorf(err, GL_ENOTFOUND, "partner %s is retracted", id);
	if (rc)
		return rc;
	struct belongs bo = { .pid = id, .now = now }, be = { .pid = id, .after = (int64_t)now },
	               bn = { .pid = id };
	struct picker po = { offer_belongs, &bo, NULL, false, { 0 }, 0 },
	              pe = { belongs_keep, &be, "start", false, { 0 }, 0 },
	              pn = { belongs_keep, &bn, "published", true, { 0 }, 0 };
	if ((rc = pick_kind(t, RK_OFFER, author, &po, DIRECTORY_PARTNER_OFFERS, &offers,
	                    &more_offers, err)) ||
	    (rc = pick_kind(t, RK_EVENT, author, &pe, DIRECTORY_PARTNER_EVENTS, &events,
	                    &more_events, err)) ||
	    (rc = pick_kind(t, RK_NEWS, author, &pn, DIRECTORY_PARTNER_NEWS, &news, &more_news,
	                    err)))
		goto fail;
	*out = json_pack("{s:o, s:o, s:o, s:o, s:{s:I, s:I, s:I}}", "partner", view_entry_json(&e),
	                 "offers", offers, "events", events, "news", news, "more",
	                 "offers", (json_int_t)more_offers, "events", (json_int_t)more_events,
	                 "news", (json_int_t)more_news);
	return 0;
fail:
	json_decref(offers);
	json_decref(events);
	json_decref(news);
	return rc;
}

/* ---- search ----------------------------------------------------------------- */

int directory_search(struct store_txn *t, const char *text, const struct search_opts *o,
                     json_t **out, struct gl_error *err)
{
	struct search_hit *hits = NULL;
	size_t nhits = 0;
	int rc = search_query(t, text, o, &hits, &nhits, err);
	if (rc)
		return rc;
	json_t *list = json_array();
	for (size_t i = 0; i < nhits; i++) {
		struct store_entry e;
		if ((rc = search_hit_entry(t, &hits[i], &e, err))) {
			json_decref(list);
			goto out;
		}
		json_array_append_new(list, json_pack("{s:f, s:o}", "score", hits[i].score, "record",
		                                      view_entry_json(&e)));
	}
	*out = list;
out:
	free(hits);
	return rc;
}

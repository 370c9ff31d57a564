/*
 * events.c — events in start order (events.h): walks of the store's events
 * index, each entry's record looked up and filtered; for listings, the
 * occurrences of every event in a window, recurring ones expanded with
 * schemas/recurrence.h, the first `limit` of them kept in a bounded heap.
 */
#include "query/events.h"

#include <stdlib.h>
#include <string.h>

#include "proto/alloc.h"
#include "proto/body.h"
#include "proto/clock.h"
#include "store/eventindex.h"

/* Longer than any date-time the schema allows (25 bytes, common.json). */
#define TIME_TEXT_MAX 64

static bool listed(const uint8_t *body, size_t len, const char *field, const char *want)
{
	bool present;
	/* an event without the list is for everyone */
	return !want || body_lists(body, len, field, want, &present) || !present;
}

static bool matches(const struct events_filter *f, const struct record *r)
{
	if (!f->include_cancelled && body_str_is(r->body, r->body_len, "status", "cancelled"))
		return false;
	return listed(r->body, r->body_len, "sectors", f->sector) &&
	       listed(r->body, r->body_len, "phases", f->phase);
}

/* The held, live record of index entry rkey into *e and *r. */
static int lookup(struct store_txn *t, const uint8_t *rkey, size_t rlen, struct store_entry *e,
                  struct record *r, struct gl_error *err)
{
	if (rlen <= RECORD_KEY_LEN + 1 || rkey[RECORD_KEY_LEN] != RK_EVENT)
		return gl_errorf(err, GL_ESTORE, "%s: events index out of step", store_path(store_of(t)));
	int rc = store_get(t, rkey, RK_EVENT, (const char *)rkey + RECORD_KEY_LEN + 1,
	                   rlen - RECORD_KEY_LEN - 1, e, err);
	if (rc == GL_ENOTFOUND || (rc == 0 && e->tombstone))
		return gl_errorf(err, GL_ESTORE, "%s: events index out of step", store_path(store_of(t)));
	if (rc)
		return rc;
	if (record_parse_held(e->env, e->env_len, r, NULL) != 0 || !r->body)
		return gl_errorf(err, GL_ESTORE, "%s: a held record does not parse",
		                 store_path(store_of(t)));
	return 0;
}

struct scan {
	struct store_txn *t;
	const struct events_filter *f;
	events_visit_fn fn;
	void *ctx;
	struct gl_error *err;
};

/* Look up one index entry's record and hand it to fn if it matches. */
static int visit(void *vctx, const uint8_t *rkey, size_t rlen, int64_t start)
{
	struct scan *sc = vctx;
	struct store_entry e;
	struct record r;
	int rc = lookup(sc->t, rkey, rlen, &e, &r, sc->err);
	if (rc)
		return rc;
	return matches(sc->f, &r) ? sc->fn(sc->ctx, &e, start) : 0;
}

int events_scan(struct store_txn *t, const struct events_filter *f, events_visit_fn fn,
                void *ctx, struct gl_error *err)
{
	if (!t || !f || !fn)
		return gl_errorf(err, GL_EINVAL, "events_scan: no transaction, filter or visitor");
	struct scan sc = { .t = t, .f = f, .fn = fn, .ctx = ctx, .err = err };
	return eventindex_walk(t, f->from, f->to, visit, &sc, err);
}

/* ---- occurrences ---------------------------------------------------------- */

/* One occurrence in the answer so far; e is a copy (its pointers are the store's). */
struct cand {
	struct store_entry e;
	struct events_occurrence o;
};

struct gather {
	struct store_txn *t;
	const struct events_filter *f;
	size_t limit, per_event;
	struct cand *heap; /* a max-heap by cand_cmp: the best `limit` so far */
	size_t n;
	bool more;
	struct gl_error *err;
};

/* Start order, then record-key order (author, then id: the kind is the same). */
static int cand_cmp(const struct cand *a, const struct cand *b)
{
	if (a->o.start != b->o.start)
		return a->o.start < b->o.start ? -1 : 1;
	int c = memcmp(a->e.author, b->e.author, RECORD_KEY_LEN);
	if (c)
		return c;
	size_t n = a->e.id_len < b->e.id_len ? a->e.id_len : b->e.id_len;
	c = memcmp(a->e.id, b->e.id, n);
	return c ? c : (a->e.id_len > b->e.id_len) - (a->e.id_len < b->e.id_len);
}

static int cand_qsort(const void *a, const void *b)
{
	return cand_cmp(a, b);
}

static void swap(struct cand *a, struct cand *b)
{
	struct cand x = *a;
	*a = *b;
	*b = x;
}

/* Whether c would be kept: the heap has room, or c comes before its worst. */
static bool fits(const struct gather *g, const struct cand *c)
{
	return g->n < g->limit || cand_cmp(c, &g->heap[0]) < 0;
}

/* Keep c if it fits (fits()); what falls out makes the answer partial. */
static void keep(struct gather *g, const struct cand *c)
{
	if (!fits(g, c)) {
		g->more = true;
		return;
	}
	size_t i;
	if (g->n < g->limit) { /* sift up */
		i = g->n++;
		g->heap[i] = *c;
		for (; i && cand_cmp(&g->heap[(i - 1) / 2], &g->heap[i]) < 0; i = (i - 1) / 2)
			swap(&g->heap[(i - 1) / 2], &g->heap[i]);
		return;
	}
	g->more = true; /* the worst so far falls out */
	g->heap[0] = *c;
	for (i = 0;;) { /* sift down */
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < g->n && cand_cmp(&g->heap[l], &g->heap[m]) > 0)
			m = l;
		if (r < g->n && cand_cmp(&g->heap[r], &g->heap[m]) > 0)
			m = r;
		if (m == i)
			break;
		swap(&g->heap[i], &g->heap[m]);
		i = m;
	}
}

/* The event's length (end - start), or -1 if it has no end after its start. */
static int64_t length_of(const struct record *r, int64_t start)
{
	char text[TIME_TEXT_MAX];
	int64_t end;
	if (!body_str_copy(r->body, r->body_len, "end", text, sizeof text) ||
	    clock_parse(text, &end) != 0 || end < start)
		return -1;
	return end - start;
}

static void cand_set(struct cand *c, const struct store_entry *e, int64_t start, int64_t length)
{
	memset(c, 0, sizeof *c);
	c->e = *e;
	c->o.start = start;
	c->o.end = length < 0 ? EVENTS_NO_END : start + length;
}

/* A one-off event, or a recurring one whose rule gilde does not read. */
static void gather_once(struct gather *g, const struct store_entry *e, const struct record *r,
                        int64_t start)
{
	struct cand c;
	int64_t from = g->f->from < 0 ? 0 : g->f->from;
	if (start < from || start >= g->f->to)
		return;
	cand_set(&c, e, start, length_of(r, start));
	keep(g, &c);
}

static int gather_one_off(void *vg, const uint8_t *rkey, size_t rlen, int64_t start)
{
	struct gather *g = vg;
	struct store_entry e;
	struct record r;
	struct cand c;
	int rc = lookup(g->t, rkey, rlen, &e, &r, g->err);
	if (rc || !matches(g->f, &r))
		return rc;
	cand_set(&c, &e, start, -1);
	if (!fits(g, &c)) { /* the walk is in start order: nothing later fits either */
		g->more = true;
		return 1;
	}
	gather_once(g, &e, &r, start);
	return 0;
}

/* The occurrences of recurrence rc of event e in the window, into the heap. */
static int expand(struct gather *g, const struct store_entry *e, const struct recurrence *rc,
                  int64_t length)
{
	struct recurrence_iter *it;
	struct recurrence_occurrence o;
	struct cand c;
	int64_t from = g->f->from < 0 ? 0 : g->f->from;
	int r = recurrence_iter_new(rc, from, &it, g->err);
	if (r)
		return r;
	size_t kept = 0;
	while (recurrence_iter_next(it, &o) && o.start < g->f->to) {
		if (recurrence_excluded(rc, o.start))
			continue; /* at most RECURRENCE_EXDATES_MAX steps */
		cand_set(&c, e, o.start, length);
		c.o.recurring = true;
		memcpy(c.o.id, o.id, sizeof c.o.id);
		if (kept == g->per_event || !fits(g, &c)) { /* later ones fit no better */
			g->more = true;
			break;
		}
		keep(g, &c);
		kept++;
	}
	recurrence_iter_free(it);
	return 0;
}

static int gather_recurring(void *vg, const uint8_t *rkey, size_t rlen, int64_t start)
{
	struct gather *g = vg;
	struct store_entry e;
	struct record r;
	int rc = lookup(g->t, rkey, rlen, &e, &r, g->err);
	if (rc || !matches(g->f, &r))
		return rc;
	struct recurrence *rec = gl_xmalloc(sizeof *rec);
	struct gl_error unread = { 0 };
	rc = recurrence_read(r.body, r.body_len, rec, &unread);
	if (rc == GL_ECONFIG)
		rc = gl_errorf(g->err, rc, "%s", unread.msg);
	else if (!rc)
		rc = expand(g, &e, rec, length_of(&r, start)); /* 0, GL_EFORMAT or GL_ECONFIG */
	if (rc && rc != GL_ECONFIG) { /* no rule gilde reads: the first occurrence alone */
		gather_once(g, &e, &r, start);
		rc = 0;
	}
	free(rec);
	return rc;
}

int events_occurrences(struct store_txn *t, const struct events_filter *f, size_t limit,
                       size_t per_event, events_occurrence_fn fn, void *ctx, bool *more,
                       struct gl_error *err)
{
	if (!t || !f || !fn)
		return gl_errorf(err, GL_EINVAL, "events_occurrences: no transaction, filter or "
		                 "visitor");
	if (!limit || limit > EVENTS_LIST_MAX || !per_event || per_event > EVENTS_PER_EVENT_MAX)
		return gl_errorf(err, GL_EINVAL, "events_occurrences: limit 1 to %d (EVENTS_LIST_MAX), "
		                 "per event 1 to %d (EVENTS_PER_EVENT_MAX)", EVENTS_LIST_MAX,
		                 EVENTS_PER_EVENT_MAX);
	struct gather g = { .t = t, .f = f, .limit = limit, .per_event = per_event, .err = err };
	g.heap = gl_xmalloc(limit * sizeof *g.heap);
	int rc = eventindex_walk(t, f->from, f->to, gather_one_off, &g, err);
	if (rc == 1) /* gather_one_off's stop */
		rc = 0;
	if (!rc)
		rc = eventindex_walk_recurring(t, f->to, gather_recurring, &g, err);
	if (!rc) {
		qsort(g.heap, g.n, sizeof *g.heap, cand_qsort);
		for (size_t i = 0; i < g.n && !rc; i++) {
			g.heap[i].o.e = &g.heap[i].e;
			rc = fn(ctx, &g.heap[i].o);
		}
		if (more)
			*more = g.more;
	}
	free(g.heap);
	return rc;
}

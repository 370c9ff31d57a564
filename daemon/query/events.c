/*
 * events.c — events in start order (events.h): a walk of the store's
 * events index, each entry's record looked up and filtered.
 */
#include "query/events.h"

#include "proto/body.h"
#include "store/eventindex.h"

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
	if (rlen <= RECORD_KEY_LEN + 1 || rkey[RECORD_KEY_LEN] != RK_EVENT)
		return gl_errorf(sc->err, GL_ESTORE, "%s: events index out of step",
		                 store_path(store_of(sc->t)));
	int rc = store_get(sc->t, rkey, RK_EVENT, (const char *)rkey + RECORD_KEY_LEN + 1,
	                   rlen - RECORD_KEY_LEN - 1, &e, sc->err);
	if (rc == GL_ENOTFOUND || (rc == 0 && e.tombstone))
		return gl_errorf(sc->err, GL_ESTORE, "%s: events index out of step",
		                 store_path(store_of(sc->t)));
	if (rc)
		return rc;
	if (record_parse(e.env, e.env_len, &r, NULL) != 0 || !r.body)
		return gl_errorf(sc->err, GL_ESTORE, "%s: a held record does not parse",
		                 store_path(store_of(sc->t)));
	if (!matches(sc->f, &r))
		return 0;
	return sc->fn(sc->ctx, &e, start);
}

int events_scan(struct store_txn *t, const struct events_filter *f, events_visit_fn fn,
                void *ctx, struct gl_error *err)
{
	if (!t || !f || !fn)
		return gl_errorf(err, GL_EINVAL, "events_scan: no transaction, filter or visitor");
	struct scan sc = { .t = t, .f = f, .fn = fn, .ctx = ctx, .err = err };
	return eventindex_walk(t, f->from, f->to, visit, &sc, err);
}

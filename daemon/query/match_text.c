/*
 * match_text.c — the matcher's answer as text (match.h: match_run_text),
 * for gilded's web server, which sends text and need not build the tree.
 *
 * Every value is written by jansson: the members before "items" and each
 * item's before "offers" as objects whose closing brace is left off, each
 * offer as match_offer_json() builds it, and the structure between them
 * (`,"items":[`, `,"offers":`, `]}`) as the fixed ASCII it is in
 * json_dumps(…, JSON_COMPACT).  An offer's text is in two pieces, each
 * kept between matches of one state of the store (match_memo.c) under
 * all it is made of, byte for byte: its own members (match_offer_own: of
 * its record and its partner's, in the answer's language) and how it
 * answers the item (match_offer_scored: of the answer's language, the
 * item's need, how the offer fits it, the criteria as judged and the
 * terms of its score, which hold the rest of the profile: the step, the
 * tailoring, the event that counts).  The second is shared by the offers
 * that answer alike, so that a profile unlike any before still finds
 * most of its text kept.
 */
#include "query/match_int.h"

#include <stdlib.h>
#include <string.h>

#include "proto/alloc.h"

struct text {
	struct mctx *c;
	struct store_txn *t;
	struct match_memo *memo;   /* NULL: none kept */
	uint64_t gen;              /* the store's state (0: kept nowhere) */
	struct gl_buf out, key;
};

static int to_buf(const char *buf, size_t size, void *data)
{
	gl_buf_append(data, buf, size);
	return 0;
}

/* v's text appended to out; false if jansson could not write it. */
static bool put_json(struct gl_buf *out, const json_t *v)
{
	return v && !json_dump_callback(v, to_buf, out, JSON_COMPACT | JSON_ENCODE_ANY);
}

static void put(struct gl_buf *out, const char *ascii)
{
	gl_buf_append(out, ascii, strlen(ascii));
}

/* obj (taken), a non-empty object, without its closing brace, so that
 * members can follow. */
static bool put_open(struct gl_buf *out, json_t *obj)
{
	bool ok = json_object_size(obj) && put_json(out, obj);
	json_decref(obj);
	if (ok)
		out->len--; /* the '}' */
	return ok;
}

/* A text kept under x->key, appended to x->out: whether one was. */
static bool kept(struct text *x)
{
	return x->memo && match_memo_get(x->memo, x->gen, x->key.data, x->key.len, &x->out);
}

/* Keep the text of x->out from at under x->key. */
static void keep(struct text *x, size_t at)
{
	if (x->memo)
		match_memo_put(x->memo, x->gen, x->key.data, x->key.len,
		               (const char *)x->out.data + at, x->out.len - at);
}

static void key_str(struct gl_buf *k, const char *s)
{
	gl_buf_append(k, s, strlen(s) + 1);
}

/* The offer's own members (match_offer_own), without the closing brace:
 * 1, 0 for an offer gone from the store (nothing appended), -1 not written.
 * Keyed by the offer, its "partner" and the answer's language. */
static int own_text(struct text *x, const struct cand *cd)
{
	struct gl_buf *k = &x->key;
	k->len = 0;
	gl_buf_append(k, "own", 4);
	gl_buf_append(k, cd->author, RECORD_KEY_LEN);
	key_str(k, cd->id);
	key_str(k, cd->partner);
	key_str(k, x->c->p.lang);
	gl_buf_append(k, &cd->facts.free, sizeof cd->facts.free);
	if (kept(x))
		return 1;
	size_t at = x->out.len;
	json_t *o = match_offer_own(x->c, x->t, cd);
	if (!o)
		return 0;
	if (!put_open(&x->out, o))
		return -1;
	keep(x, at);
	return 1;
}

/* How the offer answers item i (match_offer_scored), its members after a
 * comma and the closing brace.  Keyed by the answer's language, the
 * item's need, the fit, the criteria as judged, the terms of the score
 * and the event that counted, and for an offer for later the offer (its
 * phases): the same text for every offer that answers alike. */
static bool scored_text(struct text *x, const struct ranked *rk, size_t i)
{
	const struct mctx *c = x->c;
	const struct cand *cd = rk->cd;
	struct mterm terms[MTERMS_MAX];
	const struct mevent *ev;
	size_t n = match_terms(c, cd, i, terms, &ev);
	struct gl_buf *k = &x->key;
	const uint8_t flags[2] = { cd->fit[i], cd->later };
	k->len = 0;
	gl_buf_append(k, "scored", 7);
	key_str(k, c->p.lang);
	gl_buf_append(k, &c->p.items[i].need, sizeof c->p.items[i].need);
	gl_buf_append(k, flags, sizeof flags);
	gl_buf_append(k, &cd->unknown, sizeof cd->unknown);
	gl_buf_append(k, &cd->failed, sizeof cd->failed);
	gl_buf_append(k, &n, sizeof n);
	gl_buf_append(k, terms, n * sizeof *terms);
	key_str(k, ev ? ev->name : "");
	key_str(k, ev ? ev->date : "");
	if (cd->later) {
		gl_buf_append(k, cd->author, RECORD_KEY_LEN);
		key_str(k, cd->id);
	}
	if (kept(x))
		return true;
	size_t at = x->out.len;
	json_t *o = match_offer_scored(c, x->t, rk, i);
	bool ok = json_object_size(o) && put_json(&x->out, o);
	json_decref(o);
	if (!ok)
		return false;
	x->out.data[at] = ','; /* its '{': the members follow the offer's own */
	keep(x, at);
	return true;
}

/* The text of a ranked offer of item i appended to x->out: 1, or 0 for an
 * offer gone from the store (nothing appended), or -1 not written. */
static int offer_text(struct text *x, const struct ranked *rk, size_t i)
{
	int rc = own_text(x, rk->cd);
	return rc <= 0 ? rc : scored_text(x, rk, i) ? 1 : -1;
}

/* Item i's offers (later: for the next phase) as an array, the best
 * first; *more counts those left out. */
static bool list_text(struct text *x, size_t i, bool later, size_t *more)
{
	const struct mlist *l = match_list(x->c, i, later);
	bool first = true;
	put(&x->out, "[");
	for (size_t k = 0; k < l->n; k++) {
		size_t at = x->out.len;
		if (!first)
			put(&x->out, ",");
		int rc = offer_text(x, &l->rk[k], i);
		if (rc < 0)
			return false;
		if (rc == 0)
			x->out.len = at; /* gone: no comma either */
		first &= rc == 0;
	}
	put(&x->out, "]");
	*more = l->all - l->n;
	return true;
}

static bool items_text(struct text *x)
{
	put(&x->out, "[");
	for (size_t i = 0; i < x->c->p.nitems; i++) {
		size_t more, later_more;
		if (i)
			put(&x->out, ",");
		if (!put_open(&x->out, match_item_head(x->c, i)))
			return false;
		put(&x->out, ",\"offers\":");
		if (!list_text(x, i, false, &more))
			return false;
		put(&x->out, ",\"more\":");
		json_t *n = json_integer((json_int_t)more);
		bool ok = put_json(&x->out, n);
		json_decref(n);
		put(&x->out, ",\"later\":");
		if (!ok || !list_text(x, i, true, &later_more))
			return false;
		put(&x->out, "}");
	}
	put(&x->out, "]");
	return true;
}

/* The members of tail (NULL: none), each after a comma. */
static bool tail_text(struct gl_buf *out, const json_t *tail)
{
	const char *name;
	json_t *v;
	bool ok = true;
	json_object_foreach((json_t *)tail, name, v) {
		json_t *key = json_string(name);
		put(out, ",");
		ok = ok && put_json(out, key);
		put(out, ":");
		ok = ok && put_json(out, v);
		json_decref(key);
	}
	return ok;
}

int match_run_text(struct store_txn *t, const struct taxonomy *tax, const json_t *profile,
                   const struct match_opts *o, const json_t *tail, char **text, size_t *len,
                   struct gl_error *err)
{
	struct mctx c;
	struct mtable *held;
	struct text x = { .c = &c, .t = t, .memo = match_cache_memo(o->cache),
		          .gen = store_txn_snapshot(t) };
	int rc = match_prepare(&c, t, tax, profile, o, &held, err);
	if (rc)
		goto out;
	if (!put_open(&x.out, match_head_json(&c, profile)))
		goto unwritten;
	put(&x.out, ",\"items\":");
	if (!items_text(&x) || !tail_text(&x.out, tail))
		goto unwritten;
	put(&x.out, "}");
	*len = x.out.len;
	gl_buf_append(&x.out, "", 1);
	*text = (char *)x.out.data;
	x.out.data = NULL;
	goto out;
unwritten:
	rc = gl_errorf(err, GL_EINVAL, "match: the answer could not be written as JSON");
out:
	match_release(&c, o, held);
	gl_buf_free(&x.out);
	gl_buf_free(&x.key);
	return rc;
}

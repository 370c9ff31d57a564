/*
 * match_text.c — the matcher's answer as text (match.h: match_run_text),
 * for gilded's web server, which sends text and need not build the tree.
 *
 * Every value is written by jansson: the members before "items" and each
 * item's before "offers" as objects whose closing brace is left off, each
 * offer as match_offer_json() builds it, and the structure between them
 * (`,"items":[`, `,"offers":`, `]}`) as the fixed ASCII it is in
 * json_dumps(…, JSON_COMPACT).  An offer's text is a function of its
 * record, its partner's and the events of the store (one state: the
 * snapshot), the answer's language, the item's need, how it fits it, the
 * criteria as judged, whether it is for later and the terms of its score
 * (which hold the rest of the profile: the step, the tailoring, the event
 * that counts): all that, byte for byte, is the key it is kept under
 * between matches (match_memo.c).
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

/* The offer's key (the file's comment): all its text is made of but the
 * store's state, into x->key. */
static void offer_key(struct text *x, const struct ranked *rk, size_t i)
{
	const struct mctx *c = x->c;
	const struct cand *cd = rk->cd;
	struct mterm terms[MTERMS_MAX];
	const struct mevent *ev;
	size_t n = match_terms(c, cd, i, terms, &ev);
	struct gl_buf *k = &x->key;
	const uint8_t flags[3] = { cd->fit[i], cd->later, cd->facts.free };
	k->len = 0;
	gl_buf_append(k, cd->author, RECORD_KEY_LEN);
	gl_buf_append(k, cd->id, strlen(cd->id) + 1);
	gl_buf_append(k, cd->partner, strlen(cd->partner) + 1);
	gl_buf_append(k, c->p.lang, strlen(c->p.lang) + 1);
	gl_buf_append(k, &c->p.items[i].need, sizeof c->p.items[i].need);
	gl_buf_append(k, flags, sizeof flags);
	gl_buf_append(k, &cd->unknown, sizeof cd->unknown);
	gl_buf_append(k, &cd->failed, sizeof cd->failed);
	gl_buf_append(k, &n, sizeof n);
	gl_buf_append(k, terms, n * sizeof *terms);
	if (ev) {
		gl_buf_append(k, ev->name, strlen(ev->name) + 1);
		gl_buf_append(k, ev->date, strlen(ev->date) + 1);
	}
}

/* The text of a ranked offer of item i appended to x->out: 1, or 0 for an
 * offer gone from the store (nothing appended), or -1 not written. */
static int offer_text(struct text *x, const struct ranked *rk, size_t i)
{
	size_t at = x->out.len;
	if (x->memo) {
		offer_key(x, rk, i);
		if (match_memo_get(x->memo, x->gen, x->key.data, x->key.len, &x->out))
			return 1;
	}
	json_t *oj = match_offer_json(x->c, x->t, rk, i);
	if (!oj)
		return 0;
	bool ok = put_json(&x->out, oj);
	json_decref(oj);
	if (!ok)
		return -1;
	if (x->memo)
		match_memo_put(x->memo, x->gen, x->key.data, x->key.len,
		               (const char *)x->out.data + at, x->out.len - at);
	return 1;
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

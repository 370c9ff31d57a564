/*
 * release.c — the k-delta release of the figures (release.h), its
 * records, and the releases a node holds.
 *
 * The release is made by merging two sorted lists of figures, the last
 * release's and the live ones; every decision is per figure, so a bucket
 * is whatever figures of it are left.
 */
#include "query/release.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/clock.h"
#include "proto/ident.h"
#include "proto/record.h"
#include "query/topk.h"
#include "schemas/jsonmp.h"

/* The steps of a need row, in the order the row writes them. */
static const char *const row_steps[] = { "listed", "chosen", "done", "dropped", "nofit", "unmet" };
#define ROW_STEPS (sizeof row_steps / sizeof row_steps[0])

/* ---- deciding ------------------------------------------------------------------ */

static int cmp_figure(const struct figure *x, const struct figure *y)
{
	int d = strcmp(x->bucket, y->bucket);
	return d ? d : strcmp(x->key, y->key);
}

/* What the release shows of one figure: p the last release's (NULL: none,
 * or under k), v the live one (NULL: none). */
static const struct figure *decide(const struct figure *p, const struct figure *v, unsigned k)
{
	uint32_t pn = p ? p->n : 0, vn = v ? v->n : 0;
	if (!p)
		return vn >= k ? v : NULL;
	uint32_t moved = vn > pn ? vn - pn : pn - vn;
	if (moved < k)
		return p; /* too small a change to show: the old figure stays */
	return vn >= k ? v : NULL;
}

static void merge(const struct figures *prev, const struct figures *live, unsigned k,
                  struct figures *out)
{
	size_t i = 0, j = 0;
	while (i < prev->n || j < live->n) {
		const struct figure *p = i < prev->n ? &prev->v[i] : NULL;
		const struct figure *v = j < live->n ? &live->v[j] : NULL;
		int d = !p ? 1 : !v ? -1 : cmp_figure(p, v);
		if (d <= 0)
			i++;
		if (d >= 0)
			j++;
		if (d < 0)
			v = NULL;
		else if (d > 0)
			p = NULL;
		if (p && p->n < k)
			p = NULL; /* shown under a smaller k before: as if never shown */
		const struct figure *keep = decide(p, v, k);
		if (keep)
			*figures_add(out, keep->bucket, keep->key, keep->n) = *keep;
	}
}

/* ---- figures to JSON ------------------------------------------------------------ */

static json_t *bucket_of(json_t *buckets, const struct taxonomy *tax, const char *id)
{
	size_t n = json_array_size(buckets);
	json_t *last = n ? json_array_get(buckets, n - 1) : NULL;
	if (last && !strcmp(json_string_value(json_object_get(last, "id")), id))
		return last;
	json_t *b = trajectory_bucket_fields(tax, id);
	if (!b)
		return NULL;
	json_object_set_new(b, "id", json_string(id));
	json_array_append_new(buckets, b);
	return b;
}

/* The row of need in b's "needs", made if absent. */
static json_t *need_row(json_t *b, const char *need)
{
	json_t *rows = json_object_get(b, "needs"), *r;
	size_t i;
	if (!rows)
		json_object_set_new(b, "needs", rows = json_array());
	json_array_foreach(rows, i, r)
		if (!strcmp(json_string_value(json_object_get(r, "need")), need))
			return r;
	r = json_pack("{s:s}", "need", need);
	json_array_append_new(rows, r);
	return r;
}

static void add_list(json_t *b, const char *list, json_t *item)
{
	json_t *a = json_object_get(b, list);
	if (!a)
		json_object_set_new(b, list, a = json_array());
	json_array_append_new(a, item);
}

/* Put figure f into bucket b; false if its key does not read. */
static bool put_figure(json_t *b, const struct taxonomy *tax, const struct figure *f)
{
	char key[TRAJECTORY_KEY_MAX];
	snprintf(key, sizeof key, "%s", f->key);
	char *save, *kind = strtok_r(key, "/", &save), *a = strtok_r(NULL, "/", &save);
	char *c = strtok_r(NULL, "/", &save), *d = strtok_r(NULL, "/", &save);
	if (!strcmp(kind, "starters")) {
		json_object_set_new(b, "starters", json_integer(f->n));
	} else if (!strcmp(kind, "need") && a && c && taxonomy_term(tax, "need", a)) {
		json_object_set_new(need_row(b, a), c, json_integer(f->n));
	} else if (!strcmp(kind, "partner") && a && c && taxonomy_term(tax, "need", a)) {
		json_t *row = json_pack("{s:s, s:s}", "need", a, "author", c);
		if (d && *d)
			json_object_set_new(row, "partner", json_string(d));
		json_object_set_new(row, "starters", json_integer(f->n));
		add_list(b, "partners", row);
	} else if (!strcmp(kind, "order") && a) {
		json_t *steps = json_array(), *weeks = json_array();
		for (char *s2, *s = strtok_r(a, ",", &s2); s; s = strtok_r(NULL, ",", &s2))
			json_array_append_new(steps, json_string(s));
		for (unsigned w = 0; w < f->nweeks; w++)
			json_array_append_new(weeks, json_integer(f->weeks[w]));
		add_list(b, "orders", json_pack("{s:o, s:i, s:o}", "steps", steps, "starters",
		                                (json_int_t)f->n, "weeks", weeks));
	} else {
		return false;
	}
	return true;
}

static int need_order(const struct taxonomy *tax, const json_t *row)
{
	const struct tax_term *t = taxonomy_term(tax, "need",
	                                         json_string_value(json_object_get(row, "need")));
	return t ? (int)t->order : 1 << 20;
}

/* Order a bucket's lists (needs by the taxonomy, the rest largest first)
 * and keep the largest RELEASE_*_MAX. */
static void tidy_bucket(json_t *b, const struct taxonomy *tax)
{
	json_t *rows = json_object_get(b, "needs");
	/* insertion sorts: a bucket has tens of rows */
	for (size_t i = 1; i < json_array_size(rows); i++)
		for (size_t j = i; j > 0 && need_order(tax, json_array_get(rows, j - 1)) >
		                             need_order(tax, json_array_get(rows, j)); j--) {
			json_t *x = json_incref(json_array_get(rows, j));
			json_array_remove(rows, j);
			json_array_insert_new(rows, j - 1, x);
		}
	static const char *const lists[] = { "partners", "orders" };
	static const size_t max[] = { RELEASE_PARTNERS_MAX, RELEASE_ORDERS_MAX };
	for (int l = 0; l < 2; l++) {
		json_t *a = json_object_get(b, lists[l]);
		for (size_t i = 1; i < json_array_size(a); i++)
			for (size_t j = i; j > 0 &&
			     json_integer_value(json_object_get(json_array_get(a, j - 1), "starters")) <
			     json_integer_value(json_object_get(json_array_get(a, j), "starters")); j--) {
				json_t *x = json_incref(json_array_get(a, j));
				json_array_remove(a, j);
				json_array_insert_new(a, j - 1, x);
			}
		while (json_array_size(a) > max[l])
			json_array_remove(a, json_array_size(a) - 1);
	}
}

json_t *release_make(const json_t *prev, const struct figures *live, const struct taxonomy *tax,
                     unsigned k, uint32_t week)
{
	struct figures before = { 0 }, shown = { 0 };
	if (prev)
		release_figures(prev, &before);
	merge(&before, live, k, &shown);
	json_t *buckets = json_array();
	for (size_t i = 0; i < shown.n; i++) {
		json_t *b = bucket_of(buckets, tax, shown.v[i].bucket);
		if (b)
			put_figure(b, tax, &shown.v[i]);
	}
	size_t i;
	json_t *b;
	json_array_foreach(buckets, i, b)
		tidy_bucket(b, tax);
	char w[INSIGHT_WEEK_TEXT];
	insight_week_format(week, w);
	/* a new number only for a release that shows something new: the number
	 * must not tell that events came in without changing what is shown */
	json_int_t seq = json_integer_value(json_object_get(prev, "release"));
	if (!prev || !json_equal(buckets, json_object_get(prev, "buckets")))
		seq++;
	figures_free(&before);
	figures_free(&shown);
	return json_pack("{s:i, s:i, s:s, s:I, s:o}", "format", RELEASE_FORMAT, "k", (int)k,
	                 "week", w, "release", seq, "buckets", buckets);
}

/* ---- JSON to figures ------------------------------------------------------------- */

static void bucket_figures(const json_t *b, struct figures *out)
{
	const char *id = json_string_value(json_object_get(b, "id"));
	char key[TRAJECTORY_KEY_MAX];
	size_t i;
	json_t *r;
	if (!id)
		return;
	if (json_is_integer(json_object_get(b, "starters")))
		figures_add(out, id, "starters", (uint32_t)json_integer_value(json_object_get(b, "starters")));
	json_array_foreach(json_object_get(b, "needs"), i, r) {
		const char *need = json_string_value(json_object_get(r, "need"));
		for (size_t s = 0; need && s < ROW_STEPS; s++) {
			json_t *v = json_object_get(r, row_steps[s]);
			if (!json_is_integer(v))
				continue;
			snprintf(key, sizeof key, "need/%s/%s", need, row_steps[s]);
			figures_add(out, id, key, (uint32_t)json_integer_value(v));
		}
	}
	json_array_foreach(json_object_get(b, "partners"), i, r) {
		const char *p = json_string_value(json_object_get(r, "partner"));
		snprintf(key, sizeof key, "partner/%s/%s/%s", json_string_value(json_object_get(r, "need")),
		         json_string_value(json_object_get(r, "author")), p ? p : "");
		figures_add(out, id, key, (uint32_t)json_integer_value(json_object_get(r, "starters")));
	}
	json_array_foreach(json_object_get(b, "orders"), i, r) {
		int at = snprintf(key, sizeof key, "order/");
		size_t s;
		json_t *step;
		json_array_foreach(json_object_get(r, "steps"), s, step)
			at += snprintf(key + at, at < (int)sizeof key ? sizeof key - (size_t)at : 0, "%s%s",
			               s ? "," : "", json_string_value(step));
		struct figure *f = figures_add(out, id, key,
		                               (uint32_t)json_integer_value(json_object_get(r, "starters")));
		json_t *w;
		json_array_foreach(json_object_get(r, "weeks"), s, w)
			if (s < TRAJECTORY_ORDER_MAX - 1)
				f->weeks[f->nweeks++] = (uint16_t)json_integer_value(w);
	}
}

void release_figures(const json_t *release, struct figures *out)
{
	size_t i;
	json_t *b;
	memset(out, 0, sizeof *out);
	json_array_foreach(json_object_get(release, "buckets"), i, b)
		bucket_figures(b, out);
	figures_sort(out);
}

json_t *release_bodies(const json_t *release)
{
	json_t *out = json_array(), *b;
	size_t i;
	json_int_t k = json_integer_value(json_object_get(release, "k"));
	json_array_foreach(json_object_get(release, "buckets"), i, b) {
		json_t *body = json_deep_copy(b);
		const char *id = json_string_value(json_object_get(b, "id"));
		json_object_del(body, "id");
		json_object_set_new(body, "k", json_integer(k));
		json_array_append_new(out, json_pack("{s:s, s:o}", "id", id ? id : "", "body", body));
	}
	return out;
}

/* ---- the releases a node holds -------------------------------------------------- */

/* What the first pass keeps of an author's release: small figures only. */
struct author_head {
	uint8_t author[RECORD_KEY_LEN];
	uint64_t issued;
	json_int_t k;
	size_t n; /* buckets (records that read) */
};

struct heads {
	const uint8_t *skip; /* an author whose records are left out; NULL: none */
	struct author_head cur;
	struct topk tk;
};

/* Whether every count of an insight record's body (with its "id") is at
 * least its k, and k at least TRAJECTORY_K_MIN. */
static bool counts_at_least(const json_t *body, json_int_t k)
{
	struct figures f = { 0 };
	bool ok = k >= TRAJECTORY_K_MIN;
	bucket_figures(body, &f);
	for (size_t i = 0; ok && i < f.n; i++)
		ok = f.v[i].n >= k;
	figures_free(&f);
	return ok;
}

/* The body of an insight record with its "id" and its "k" in *k, or NULL
 * if it is none to show (a record breaking PROTOCOL.md 2.8: none of it). */
static json_t *record_body(const struct store_entry *e, json_int_t *k)
{
	struct record r;
	if (e->tombstone || record_parse(e->env, e->env_len, &r, NULL) || !r.body)
		return NULL;
	json_t *body = jsonmp_body_to_json(r.body, r.body_len);
	*k = json_integer_value(json_object_get(body, "k"));
	if (!json_is_object(body)) {
		json_decref(body);
		return NULL;
	}
	json_object_set_new(body, "id", json_stringn(e->id, e->id_len));
	if (!counts_at_least(body, *k)) {
		json_decref(body);
		return NULL;
	}
	json_object_del(body, "k");
	return body;
}

/* Newest first; among equals by key, so the order is stable. */
static int head_cmp(const void *x, const void *y)
{
	const struct author_head *a = x, *b = y;
	if (a->issued != b->issued)
		return a->issued > b->issued ? -1 : 1;
	return memcmp(a->author, b->author, RECORD_KEY_LEN);
}

static void heads_flush(struct heads *h)
{
	if (h->cur.n)
		topk_offer(&h->tk, &h->cur);
	h->cur.n = 0;
}

/* First pass: a store scan by kind visits each author's records together. */
static int head_record(void *ctx, const struct store_entry *e)
{
	struct heads *h = ctx;
	json_int_t k;
	if (h->skip && !memcmp(e->author, h->skip, RECORD_KEY_LEN))
		return 0;
	json_t *body = record_body(e, &k);
	if (!body)
		return 0;
	json_decref(body);
	if (!h->cur.n || memcmp(h->cur.author, e->author, RECORD_KEY_LEN)) {
		heads_flush(h);
		h->cur = (struct author_head){ .n = 0 };
		memcpy(h->cur.author, e->author, RECORD_KEY_LEN);
	}
	h->cur.n++;
	if (e->issued > h->cur.issued)
		h->cur.issued = e->issued;
	if (k > h->cur.k)
		h->cur.k = k;
	return 0;
}

/* The name in author's node record, if held. */
static json_t *node_name(struct store_txn *t, const uint8_t author[RECORD_KEY_LEN])
{
	struct store_entry e;
	struct record r;
	if (store_get(t, author, RK_NODE, "node", 4, &e, NULL) || e.tombstone ||
	    record_parse(e.env, e.env_len, &r, NULL) || !r.body)
		return NULL;
	json_t *body = jsonmp_body_to_json(r.body, r.body_len);
	json_t *name = json_incref(json_object_get(body, "name"));
	json_decref(body);
	return json_is_string(name) ? name : (json_decref(name), NULL);
}

/* The node's own release, its buckets cut to the first max with "more"
 * the number left out. */
static json_t *own_release(struct progress_txn *p, size_t max)
{
	const void *v;
	size_t len;
	if (!p || progress_meta_get(p, RELEASE_META, &v, &len))
		return NULL;
	json_t *r = json_loadb(v, len, 0, NULL);
	if (!json_is_object(r) ||
	    json_integer_value(json_object_get(r, "format")) != RELEASE_FORMAT) {
		json_decref(r);
		return NULL;
	}
	json_object_set_new(r, "from", json_string(RELEASE_OWN));
	json_t *b = json_object_get(r, "buckets");
	if (!json_is_array(b))
		json_object_set_new(r, "buckets", b = json_array());
	size_t n = json_array_size(b), keep = n < max ? n : max;
	while (json_array_size(b) > keep)
		json_array_remove(b, json_array_size(b) - 1);
	json_object_set_new(r, "more", json_integer((json_int_t)(n - keep)));
	return r;
}

/* Second pass: the buckets of one author, in id order, up to the caps. */
struct fill {
	json_t *buckets;
	size_t bytes, more;
};

static int fill_record(void *ctx, const struct store_entry *e)
{
	struct fill *f = ctx;
	json_int_t k;
	if (e->tombstone)
		return 0;
	size_t n = json_array_size(f->buckets);
	bool room = !f->more && n < RELEASE_BUCKETS_MAX &&
	            (!n || f->bytes + e->env_len <= RELEASE_BUCKET_BYTES_MAX);
	json_t *body = record_body(e, &k);
	if (!body)
		return 0;
	if (room) {
		json_array_append_new(f->buckets, body);
		f->bytes += e->env_len;
	} else {
		json_decref(body);
		f->more++;
	}
	return 0;
}

int release_fill(struct store_txn *t, struct progress_txn *p, json_t *release,
                 struct gl_error *err)
{
	const char *from = json_string_value(json_object_get(release, "from"));
	if (from && !strcmp(from, RELEASE_OWN)) {
		json_t *own = own_release(p, RELEASE_BUCKETS_MAX);
		if (own) {
			json_object_set(release, "buckets", json_object_get(own, "buckets"));
			json_object_set(release, "more", json_object_get(own, "more"));
		}
		json_decref(own);
		return 0;
	}
	uint8_t author[RECORD_KEY_LEN];
	int rc = ident_parse(IDENT_PK_PREFIX, from ? from : "", "release author", author, err);
	if (rc)
		return rc;
	struct fill f = { .buckets = json_array() };
	struct store_filter sf = { .kind = RK_INSIGHT, .author = author };
	if ((rc = store_scan(t, &sf, fill_record, &f, err))) {
		json_decref(f.buckets);
		return rc;
	}
	json_object_set_new(release, "buckets", f.buckets);
	json_object_set_new(release, "more", json_integer((json_int_t)f.more));
	return 0;
}

/* The release of author head h, without its buckets (all in "more"). */
static json_t *head_release(struct store_txn *t, const struct author_head *h)
{
	char key[IDENT_TEXT_MAX], when[32];
	ident_format(IDENT_PK_PREFIX, h->author, key);
	json_t *r = json_pack("{s:s, s:s, s:I, s:[], s:I}", "from", key, "issued",
	                      clock_format(h->issued, when), "k", h->k, "buckets", "more",
	                      (json_int_t)h->n);
	json_t *name = node_name(t, h->author);
	if (name)
		json_object_set_new(r, "name", name);
	return r;
}

/* The releases listed, none with buckets (release_list's first part). */
static int list_heads(struct store_txn *t, struct progress_txn *p, const uint8_t own_pk[32],
                      json_t **out, struct gl_error *err)
{
	json_t *list = json_array(), *own = own_release(p, 0);
	if (own)
		json_array_append_new(list, own);
	struct heads h = { .skip = own ? own_pk : NULL };
	topk_init(&h.tk, RELEASE_AUTHORS_MAX - (own ? 1 : 0), sizeof(struct author_head), head_cmp);
	struct store_filter f = { .kind = RK_INSIGHT };
	int rc = store_scan(t, &f, head_record, &h, err);
	heads_flush(&h);
	topk_sort(&h.tk);
	for (size_t i = 0; !rc && i < h.tk.n; i++)
		json_array_append_new(list, head_release(t, topk_at(&h.tk, i)));
	topk_free(&h.tk);
	if (rc) {
		json_decref(list);
		return rc;
	}
	*out = list;
	return 0;
}

int release_list(struct store_txn *t, struct progress_txn *p, const uint8_t own_pk[32],
                 const char *from, json_t **out, struct gl_error *err)
{
	json_t *list, *r;
	int rc = list_heads(t, p, own_pk, &list, err);
	if (rc)
		return rc;
	size_t i, at = SIZE_MAX;
	json_array_foreach(list, i, r)
		if (at == SIZE_MAX && (!from || !strcmp(from, json_string_value(json_object_get(r, "from")))))
			at = i;
	if (from && at == SIZE_MAX)
		rc = gl_errorf(err, GL_ENOTFOUND, "from: no release from \"%.64s\" is shown "
		               "here: ask for one of the list's \"from\"", from);
	if (!rc && at != SIZE_MAX)
		rc = release_fill(t, p, json_array_get(list, at), err);
	if (rc) {
		json_decref(list);
		return rc;
	}
	*out = list;
	return 0;
}

/* ---- the sums gaps by demand reads ----------------------------------------------- */

static bool same_field(const json_t *a, const json_t *b, const char *name)
{
	const char *x = json_string_value(json_object_get(a, name));
	const char *y = json_string_value(json_object_get(b, name));
	return x == y || (x && y && !strcmp(x, y));
}

/* Add body's starters and unmet counts to its phase and sector's sum. */
static void sum_into(json_t *sums, const json_t *body)
{
	size_t i;
	json_t *s = NULL, *r;
	json_array_foreach(sums, i, r)
		if (same_field(r, body, "phase") && same_field(r, body, "sector")) {
			s = r;
			break;
		}
	if (!s) {
		json_array_append_new(sums, s = json_pack("{s:i, s:[]}", "starters", 0, "needs"));
		for (int f = 0; f < 2; f++) {
			const char *name = f ? "sector" : "phase";
			json_t *v = json_object_get(body, name);
			if (json_is_string(v))
				json_object_set(s, name, v);
		}
	}
	json_object_set_new(s, "starters", json_integer(
		json_integer_value(json_object_get(s, "starters")) +
		json_integer_value(json_object_get(body, "starters"))));
	json_array_foreach(json_object_get(body, "needs"), i, r) {
		const char *need = json_string_value(json_object_get(r, "need"));
		json_t *unmet = json_object_get(r, "unmet");
		if (!need || !json_is_integer(unmet))
			continue;
		json_t *row = need_row(s, need); /* a new row's "unmet" reads as 0 */
		json_object_set_new(row, "unmet", json_integer(
			json_integer_value(json_object_get(row, "unmet")) + json_integer_value(unmet)));
	}
}

static int sum_record(void *ctx, const struct store_entry *e)
{
	json_int_t k;
	json_t *body = record_body(e, &k);
	if (body)
		sum_into(ctx, body);
	json_decref(body);
	return 0;
}

int release_demand(struct store_txn *t, struct progress_txn *p, const uint8_t own_pk[32],
                   json_t **out, struct gl_error *err)
{
	json_t *list, *b;
	int rc = list_heads(t, p, own_pk, &list, err);
	if (rc)
		return rc;
	json_t *r = json_incref(json_array_get(list, 0)), *sums = json_array();
	const char *from = json_string_value(json_object_get(r, "from"));
	uint8_t author[RECORD_KEY_LEN];
	json_decref(list);
	if (r && !strcmp(from, RELEASE_OWN)) {
		json_t *own = own_release(p, SIZE_MAX);
		size_t i;
		json_array_foreach(json_object_get(own, "buckets"), i, b)
			sum_into(sums, b);
		json_decref(own);
	} else if (r && !(rc = ident_parse(IDENT_PK_PREFIX, from, "release author", author, err))) {
		struct store_filter sf = { .kind = RK_INSIGHT, .author = author };
		rc = store_scan(t, &sf, sum_record, sums, err);
	}
	if (rc) {
		json_decref(sums);
		json_decref(r);
		return rc;
	}
	if (r) {
		json_object_set_new(r, "buckets", sums);
		json_object_del(r, "more");
	} else {
		json_decref(sums);
	}
	*out = r;
	return 0;
}

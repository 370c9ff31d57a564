/*
 * trajectory.c — progress events counted into figures (trajectory.h).
 *
 * One scan: the events come token by token, each token's in the order
 * they came, so a token is summed up (its bucket, its steps per need as
 * bit masks, its partners, its first needs ticked off) as soon as its
 * last event is read, and only the summaries are kept: memory grows with
 * the tokens, not the events.  Then the partition, and the counts per
 * bucket by sorting.
 */
#include "query/trajectory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/alloc.h"
#include "proto/ident.h"

#define NO_BUCKET UINT32_MAX
#define FIGURE_STEPS (INSIGHT_STEPS + 1) /* the steps, and unmet */

/* What is kept of one token. */
struct tok {
	struct insight_bucket b;
	uint64_t steps[FIGURE_STEPS]; /* bit i: need i had the step ([INSIGHT_STEPS]: unmet) */
	uint8_t order[TRAJECTORY_ORDER_MAX];
	uint16_t gaps[TRAJECTORY_ORDER_MAX - 1];
	uint8_t norder;
	uint32_t bucket;
};

/* A partner chosen for a need by a token. */
struct choice {
	uint32_t tok;
	uint8_t need;
	uint8_t author[32];
	char id[GL_ID_MAX + 1];
};

struct bucket {
	uint32_t key;  /* level and fields (bucket_key) */
	char id[TRAJECTORY_BUCKET_MAX];
};

struct ctx {
	const struct taxonomy *tax;
	size_t nneeds;
	uint32_t week;
	unsigned k;
	/* the token being read */
	uint8_t cur[PROGRESS_TOKHASH_LEN];
	bool any;
	struct tok t;
	uint32_t listed_week[TRAJECTORY_NEEDS_MAX];
	uint32_t last_done_week; /* the week of the last step of its order */
	/* every token read */
	struct tok *toks;
	uint32_t ntoks, captoks;
	struct choice *choices;
	size_t nchoices, capchoices;
	struct bucket *buckets;
	uint32_t nbuckets;
};

/* ---- one token ---------------------------------------------------------------- */

static void token_finish(struct ctx *c)
{
	if (!c->any)
		return;
	struct tok *t = &c->t;
	for (size_t i = 0; i < c->nneeds; i++) {
		uint64_t bit = UINT64_C(1) << i;
		bool answered = t->steps[INSIGHT_CHOSEN] & bit || t->steps[INSIGHT_DONE] & bit ||
		                t->steps[INSIGHT_DROPPED] & bit;
		if (t->steps[INSIGHT_NOFIT] & bit ||
		    (t->steps[INSIGHT_LISTED] & bit && !answered &&
		     c->listed_week[i] + TRAJECTORY_UNMET_WEEKS <= c->week))
			t->steps[INSIGHT_STEPS] |= bit;
	}
	if (t->norder < 2)
		t->norder = 0; /* one step is no order */
	t->bucket = NO_BUCKET;
	if (c->ntoks == c->captoks) {
		c->captoks = c->captoks ? 2 * c->captoks : 256;
		c->toks = gl_xrealloc(c->toks, c->captoks * sizeof *c->toks);
	}
	c->toks[c->ntoks++] = *t;
	c->any = false;
}

static void add_choice(struct ctx *c, const struct insight_event *e)
{
	for (size_t i = c->nchoices; i > 0 && c->choices[i - 1].tok == c->ntoks; i--) {
		const struct choice *h = &c->choices[i - 1];
		if (h->need == e->need && !memcmp(h->author, e->author, 32) &&
		    !strcmp(h->id, e->partner_id))
			return; /* chosen again: one token counts once */
	}
	if (c->nchoices == c->capchoices) {
		c->capchoices = c->capchoices ? 2 * c->capchoices : 256;
		c->choices = gl_xrealloc(c->choices, c->capchoices * sizeof *c->choices);
	}
	struct choice *h = &c->choices[c->nchoices++];
	h->tok = c->ntoks; /* the index this token will have */
	h->need = e->need;
	memcpy(h->author, e->author, 32);
	memcpy(h->id, e->partner_id, sizeof h->id);
}

static void add_done(struct tok *t, const struct insight_event *e, uint32_t week,
                     uint32_t *last_week)
{
	if (t->steps[INSIGHT_DONE] >> e->need & 1 || t->norder >= TRAJECTORY_ORDER_MAX)
		return;
	if (t->norder) {
		uint32_t gap = week > *last_week ? week - *last_week : 0;
		t->gaps[t->norder - 1] = (uint16_t)(gap > 1000 ? 1000 : gap);
	}
	*last_week = week;
	t->order[t->norder++] = e->need;
}

static int visit(void *vc, const struct progress_event *pe)
{
	struct ctx *c = vc;
	struct insight_event e;
	if (!insight_read(c->tax, pe->val, pe->len, &e) || e.need >= c->nneeds)
		return 0;
	if (!c->any || memcmp(c->cur, pe->tokhash, PROGRESS_TOKHASH_LEN)) {
		token_finish(c);
		memcpy(c->cur, pe->tokhash, PROGRESS_TOKHASH_LEN);
		memset(&c->t, 0, sizeof c->t);
		c->any = true;
		c->last_done_week = 0;
	}
	struct tok *t = &c->t;
	uint64_t bit = UINT64_C(1) << e.need;
	t->b = e.b; /* the latest answers say which bucket */
	if (e.step == INSIGHT_LISTED && !(t->steps[INSIGHT_LISTED] & bit))
		c->listed_week[e.need] = pe->week;
	if (e.step == INSIGHT_CHOSEN)
		add_choice(c, &e);
	if (e.step == INSIGHT_DONE)
		add_done(t, &e, pe->week, &c->last_done_week);
	t->steps[e.step] |= bit;
	return 0;
}

/* ---- the partition -------------------------------------------------------------- */

/* A level and the fields it fixes, packed: level(3) phase(6) sector(6)
 * activity(6) student(2) international(2) side(2); each field + 1, so
 * that 0 is "not answered". */
static uint32_t bucket_key(const struct insight_bucket *b, unsigned level)
{
	uint32_t k = (uint32_t)level << 24;
	if (level >= 1)
		k |= (uint32_t)(b->phase + 1) << 18;
	if (level >= 2)
		k |= (uint32_t)(b->sector + 1) << 12;
	if (level >= 3)
		k |= (uint32_t)(b->activity + 1) << 6;
	if (level >= 4)
		k |= (uint32_t)(b->student + 1) << 4 | (uint32_t)(b->international + 1) << 2 |
		     (uint32_t)(b->side + 1);
	return k;
}

static const char *term_id(const struct taxonomy *tax, const char *facet, int order)
{
	size_t n;
	const struct tax_term *t = taxonomy_facet(tax, facet, &n);
	return order >= 0 && (size_t)order < n ? t[order].id : "u";
}

static void bucket_id(const struct taxonomy *tax, const struct insight_bucket *b, unsigned level,
                      char out[TRAJECTORY_BUCKET_MAX])
{
	static const char yn[] = "uny", sm[] = "ums";
	if (level == 0) {
		snprintf(out, TRAJECTORY_BUCKET_MAX, "all");
		return;
	}
	int at = snprintf(out, TRAJECTORY_BUCKET_MAX, "%s", term_id(tax, "phase", b->phase));
	if (level >= 2)
		at += snprintf(out + at, TRAJECTORY_BUCKET_MAX - (size_t)at, ".%s",
		               term_id(tax, "sector", b->sector));
	if (level >= 3 && at < TRAJECTORY_BUCKET_MAX)
		at += snprintf(out + at, TRAJECTORY_BUCKET_MAX - (size_t)at, ".%s",
		               term_id(tax, "activity", b->activity));
	if (level >= 4 && at < TRAJECTORY_BUCKET_MAX)
		snprintf(out + at, TRAJECTORY_BUCKET_MAX - (size_t)at, ".%c%c%c",
		         yn[b->student + 1], yn[b->international + 1], sm[b->side + 1]);
}

struct keyed {
	uint32_t key, tok;
};

static int cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	return x->key != y->key ? (x->key < y->key ? -1 : 1) : (x->tok < y->tok ? -1 : x->tok > y->tok);
}

/* Buckets at level of the tokens not yet in one: the groups of at least k. */
static void partition_level(struct ctx *c, unsigned level, struct keyed *scratch)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < c->ntoks; i++)
		if (c->toks[i].bucket == NO_BUCKET)
			scratch[n++] = (struct keyed){ bucket_key(&c->toks[i].b, level), i };
	if (n)
		qsort(scratch, n, sizeof *scratch, cmp_keyed);
	for (uint32_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && scratch[j].key == scratch[i].key; j++)
			;
		if (j - i < c->k)
			continue;
		c->buckets = gl_xrealloc(c->buckets, (c->nbuckets + 1) * sizeof *c->buckets);
		struct bucket *b = &c->buckets[c->nbuckets];
		b->key = scratch[i].key;
		bucket_id(c->tax, &c->toks[scratch[i].tok].b, level, b->id);
		for (uint32_t m = i; m < j; m++)
			c->toks[scratch[m].tok].bucket = c->nbuckets;
		c->nbuckets++;
	}
}

static void partition(struct ctx *c)
{
	struct keyed *scratch = gl_xmalloc((c->ntoks ? c->ntoks : 1) * sizeof *scratch);
	for (int level = 4; level >= 0; level--)
		partition_level(c, (unsigned)level, scratch);
	free(scratch);
}

/* ---- the figures ------------------------------------------------------------------ */

struct figure *figures_add(struct figures *f, const char *bucket, const char *key, uint32_t n)
{
	if (f->n == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 256;
		f->v = gl_xrealloc(f->v, f->cap * sizeof *f->v);
	}
	struct figure *g = &f->v[f->n++];
	memset(g, 0, sizeof *g);
	snprintf(g->bucket, sizeof g->bucket, "%s", bucket);
	snprintf(g->key, sizeof g->key, "%s", key);
	g->n = n;
	return g;
}

static int cmp_figure(const void *a, const void *b)
{
	const struct figure *x = a, *y = b;
	int d = strcmp(x->bucket, y->bucket);
	return d ? d : strcmp(x->key, y->key);
}

void figures_sort(struct figures *f)
{
	if (f->n)
		qsort(f->v, f->n, sizeof *f->v, cmp_figure);
}

void figures_free(struct figures *f)
{
	free(f->v);
	memset(f, 0, sizeof *f);
}

static const char *step_key(int s)
{
	return s == INSIGHT_STEPS ? "unmet" : insight_step_name(s);
}

/* starters and need/NEED/STEP of every bucket. */
static void count_needs(const struct ctx *c, struct figures *out)
{
	size_t per = c->nneeds * FIGURE_STEPS;
	uint32_t *n = gl_xcalloc((size_t)c->nbuckets * per + 1, sizeof *n);
	uint32_t *starters = gl_xcalloc((size_t)c->nbuckets + 1, sizeof *starters);
	for (uint32_t i = 0; i < c->ntoks; i++) {
		const struct tok *t = &c->toks[i];
		if (t->bucket == NO_BUCKET)
			continue;
		starters[t->bucket]++;
		for (size_t need = 0; need < c->nneeds; need++)
			for (int s = 0; s < FIGURE_STEPS; s++)
				n[t->bucket * per + need * FIGURE_STEPS + (size_t)s] += t->steps[s] >> need & 1;
	}
	char key[TRAJECTORY_KEY_MAX];
	for (uint32_t b = 0; b < c->nbuckets; b++) {
		figures_add(out, c->buckets[b].id, "starters", starters[b]);
		for (size_t need = 0; need < c->nneeds; need++)
			for (int s = 0; s < FIGURE_STEPS; s++) {
				uint32_t v = n[b * per + need * FIGURE_STEPS + (size_t)s];
				if (!v)
					continue;
				snprintf(key, sizeof key, "need/%s/%s", term_id(c->tax, "need", (int)need),
				         step_key(s));
				figures_add(out, c->buckets[b].id, key, v);
			}
	}
	free(starters);
	free(n);
}

static int cmp_choice(const void *a, const void *b, void *vc)
{
	const struct choice *x = a, *y = b;
	const struct ctx *c = vc;
	uint32_t bx = c->toks[x->tok].bucket, by = c->toks[y->tok].bucket;
	if (bx != by)
		return bx < by ? -1 : 1;
	if (x->need != y->need)
		return x->need < y->need ? -1 : 1;
	int d = memcmp(x->author, y->author, 32);
	return d ? d : strcmp(x->id, y->id);
}

/* partner/NEED/AUTHOR/ID: a token chose a partner for a need once at most
 * (add_choice), so equal neighbours are distinct tokens. */
static void count_partners(struct ctx *c, struct figures *out)
{
	if (c->nchoices)
		qsort_r(c->choices, c->nchoices, sizeof *c->choices, cmp_choice, c);
	for (size_t i = 0, j; i < c->nchoices; i = j) {
		for (j = i + 1; j < c->nchoices && !cmp_choice(&c->choices[i], &c->choices[j], c); j++)
			;
		const struct choice *h = &c->choices[i];
		uint32_t b = c->toks[h->tok].bucket;
		if (b == NO_BUCKET)
			continue;
		char key[TRAJECTORY_KEY_MAX], author[IDENT_TEXT_MAX];
		ident_format(IDENT_PK_PREFIX, h->author, author);
		snprintf(key, sizeof key, "partner/%s/%s/%s", term_id(c->tax, "need", h->need), author,
		         h->id);
		figures_add(out, c->buckets[b].id, key, (uint32_t)(j - i));
	}
}

static int cmp_order(const void *a, const void *b, void *vc)
{
	const struct ctx *c = vc;
	const struct tok *x = &c->toks[*(const uint32_t *)a], *y = &c->toks[*(const uint32_t *)b];
	if (x->bucket != y->bucket)
		return x->bucket < y->bucket ? -1 : 1;
	if (x->norder != y->norder)
		return x->norder < y->norder ? -1 : 1;
	return memcmp(x->order, y->order, x->norder);
}

static int cmp_u16(const void *a, const void *b)
{
	uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
	return (x > y) - (x < y);
}

/* One order's figure: tokens idx[0..n) share it; the medians of their gaps. */
static void order_figure(const struct ctx *c, const uint32_t *idx, size_t n, struct figures *out)
{
	const struct tok *t = &c->toks[idx[0]];
	char key[TRAJECTORY_KEY_MAX];
	int at = snprintf(key, sizeof key, "order/");
	for (unsigned s = 0; s < t->norder; s++)
		at += snprintf(key + at, sizeof key - (size_t)at, "%s%s", s ? "," : "",
		               term_id(c->tax, "need", t->order[s]));
	struct figure *g = figures_add(out, c->buckets[t->bucket].id, key, (uint32_t)n);
	uint16_t *gaps = gl_xmalloc(n * sizeof *gaps);
	g->nweeks = (uint8_t)(t->norder - 1);
	for (unsigned s = 0; s + 1 < t->norder; s++) {
		for (size_t m = 0; m < n; m++)
			gaps[m] = c->toks[idx[m]].gaps[s];
		qsort(gaps, n, sizeof *gaps, cmp_u16);
		g->weeks[s] = gaps[(n - 1) / 2]; /* the lower median: a value some starter has */
	}
	free(gaps);
}

static void count_orders(struct ctx *c, struct figures *out)
{
	uint32_t *idx = gl_xmalloc((c->ntoks ? c->ntoks : 1) * sizeof *idx), n = 0;
	for (uint32_t i = 0; i < c->ntoks; i++)
		if (c->toks[i].bucket != NO_BUCKET && c->toks[i].norder >= 2)
			idx[n++] = i;
	if (n)
		qsort_r(idx, n, sizeof *idx, cmp_order, c);
	for (uint32_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && !cmp_order(&idx[i], &idx[j], c); j++)
			;
		order_figure(c, idx + i, j - i, out);
	}
	free(idx);
}

int trajectory_count(struct progress_txn *t, const struct taxonomy *tax, unsigned k,
                     uint32_t week, struct figures *out, struct gl_error *err)
{
	if (k < TRAJECTORY_K_MIN)
		return gl_errorf(err, GL_EINVAL, "k = %u: never below TRAJECTORY_K_MIN (%d)", k,
		                 TRAJECTORY_K_MIN);
	struct ctx c;
	memset(&c, 0, sizeof c);
	c.tax = tax;
	c.k = k;
	c.week = week;
	taxonomy_facet(tax, "need", &c.nneeds);
	if (c.nneeds > TRAJECTORY_NEEDS_MAX)
		return gl_errorf(err, GL_ELIMIT, "taxonomy.json: %zu needs, over TRAJECTORY_NEEDS_MAX "
		                 "(%d)", c.nneeds, TRAJECTORY_NEEDS_MAX);
	int rc = progress_scan(t, visit, &c, err);
	if (!rc) {
		token_finish(&c);
		partition(&c);
		memset(out, 0, sizeof *out);
		out->tokens = c.ntoks;
		for (uint32_t i = 0; i < c.ntoks; i++)
			out->outside += c.toks[i].bucket == NO_BUCKET;
		count_needs(&c, out);
		count_partners(&c, out);
		count_orders(&c, out);
		figures_sort(out);
	}
	free(c.toks);
	free(c.choices);
	free(c.buckets);
	return rc;
}

/* ---- a bucket's fields -------------------------------------------------------------- */

/* Set field to term part (p bytes) of facet, unless it is "u"; false if unknown. */
static bool put_term(json_t *o, const struct taxonomy *tax, const char *facet, const char *field,
                     const char *part, size_t p)
{
	char id[TRAJECTORY_BUCKET_MAX];
	if (p >= sizeof id)
		return false;
	memcpy(id, part, p);
	id[p] = '\0';
	if (!strcmp(id, "u"))
		return true;
	if (!taxonomy_term(tax, facet, id))
		return false;
	json_object_set_new(o, field, json_string(id));
	return true;
}

static bool put_answers(json_t *o, const char *siw)
{
	static const char *const names[] = { "student", "international", "side_activity" };
	if (strlen(siw) != 3)
		return false;
	for (int i = 0; i < 3; i++) {
		char ch = siw[i];
		bool yes = i < 2 ? ch == 'y' : ch == 's', no = i < 2 ? ch == 'n' : ch == 'm';
		if (!yes && !no && ch != 'u')
			return false;
		if (yes || no)
			json_object_set_new(o, names[i], json_boolean(yes));
	}
	return true;
}

json_t *trajectory_bucket_fields(const struct taxonomy *tax, const char *id)
{
	static const char *const facets[] = { "phase", "sector", "activity" };
	json_t *o = json_object();
	unsigned level = 0;
	bool ok = true;
	if (strcmp(id, "all")) {
		for (const char *p = id; ok; level++) {
			const char *dot = strchr(p, '.');
			size_t len = dot ? (size_t)(dot - p) : strlen(p);
			if (level == 4 || (level == 0 && len == 1 && *p == 'u'))
				ok = false; /* too many parts; the phase is always answered */
			else if (level < 3)
				ok = put_term(o, tax, facets[level], facets[level], p, len);
			else
				ok = !dot && put_answers(o, p);
			if (!dot)
				break;
			p = dot + 1;
		}
		level++;
	}
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	json_object_set_new(o, "level", json_integer(level));
	return o;
}

/*
 * match_cache.c — the store's table of the offers' facts (match_facts.c)
 * copied into memory once and read by every match while the table stays
 * the same (match.h: struct match_cache).  "The same" is the store's
 * word: the table is ready with our version and its generation
 * (store/derived.h), counted in the transaction of every change, is the
 * one the copy was made at.  A copy is made in a reader's transaction, so
 * it holds exactly what that generation holds.
 *
 * The copy keeps per offer what is its own (struct mfact: needs,
 * languages, free, its id and partner) and the number of its rule: what
 * judging it reads (struct rule), kept once however many offers share it,
 * so that a match judges each rule once (match.c: consider_copy).
 */
#include "query/match_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct match_cache {
	pthread_mutex_t lock;    /* cur, building, refs of the tables */
	pthread_cond_t built;    /* signalled when a copy is made (or could not be) */
	struct mtable *cur;      /* the copy of the newest generation seen; NULL: none */
	bool building;           /* a request is making a copy */
	uint64_t building_gen;   /* of this generation */
	uint64_t too_big;        /* the generation found over max_bytes; 0: none */
	size_t max_bytes;
	struct match_memo *memo; /* the texts of offers answered (match_memo.c) */
};

struct match_cache *match_cache_new(size_t max_bytes)
{
	struct match_cache *mc = gl_xcalloc(1, sizeof *mc);
	pthread_mutex_init(&mc->lock, NULL);
	pthread_cond_init(&mc->built, NULL);
	mc->max_bytes = max_bytes;
	mc->memo = match_memo_new(MATCH_MEMO_BYTES);
	return mc;
}

struct match_memo *match_cache_memo(struct match_cache *mc)
{
	return mc ? mc->memo : NULL;
}

static void table_free(struct mtable *tab)
{
	if (!tab)
		return;
	free(tab->v);
	free(tab->rules);
	gl_buf_free(&tab->strs);
	free(tab);
}

void match_cache_free(struct match_cache *mc)
{
	if (!mc)
		return;
	table_free(mc->cur); /* no request holds it any more */
	match_memo_free(mc->memo);
	pthread_cond_destroy(&mc->built);
	pthread_mutex_destroy(&mc->lock);
	free(mc);
}

struct build {
	struct mtable *tab;
	size_t cap, caprules, max_bytes;
	uint32_t *slots;  /* an open hash of the rules: 1 + the rule's number; 0: free */
	size_t nslots;    /* a power of 2, at least twice the rules */
};

/* What judging an offer reads (match.c: judge): eligibility_current and
 * eligibility_judge_bits, for the profile's phase and the next.  Offers
 * with the same rule are judged once a match. */
struct rule {
	uint64_t phases, sectors, activities, areas, schools;
	int64_t until;
	uint32_t max_age, min_employees, max_employees;
	uint32_t restricted, soft;
	uint8_t incl[ELIGIBILITY_SITUATIONS];
	uint8_t premises;
	bool inactive;
};

static void rule_of(const struct eligibility_offer *o, struct rule *r)
{
	memset(r, 0, sizeof *r); /* the padding too: rules are compared as bytes */
	r->phases = o->phases;
	r->sectors = o->sectors;
	r->activities = o->activities;
	r->areas = o->areas;
	r->schools = o->schools;
	r->until = o->until;
	r->max_age = o->max_age;
	r->min_employees = o->min_employees;
	r->max_employees = o->max_employees;
	r->restricted = o->restricted;
	r->soft = o->soft;
	memcpy(r->incl, o->incl, sizeof r->incl);
	r->premises = o->premises;
	r->inactive = o->inactive;
}

static uint64_t rule_hash(const struct rule *r)
{
	const uint8_t *p = (const uint8_t *)r;
	uint64_t h = UINT64_C(14695981039346656037);
	for (size_t i = 0; i < sizeof *r; i++)
		h = (h ^ p[i]) * UINT64_C(1099511628211);
	return h;
}

/* Put rule number k (tab->rules[k]) into the hash. */
static void slot_in(struct build *b, uint32_t k)
{
	struct rule r;
	rule_of(&b->tab->rules[k], &r);
	size_t at = rule_hash(&r) & (b->nslots - 1);
	while (b->slots[at])
		at = (at + 1) & (b->nslots - 1);
	b->slots[at] = k + 1;
}

/* The number of o's rule, a new one if no offer before had it. */
static uint32_t rule_number(struct build *b, const struct eligibility_offer *o)
{
	struct mtable *tab = b->tab;
	struct rule r, q;
	if (2 * ((size_t)tab->nrules + 1) > b->nslots) {
		b->nslots = b->nslots ? 2 * b->nslots : 64;
		free(b->slots);
		b->slots = gl_xcalloc(b->nslots, sizeof *b->slots);
		for (uint32_t k = 0; k < tab->nrules; k++)
			slot_in(b, k);
	}
	rule_of(o, &r);
	size_t at = rule_hash(&r) & (b->nslots - 1);
	for (; b->slots[at]; at = (at + 1) & (b->nslots - 1)) {
		rule_of(&tab->rules[b->slots[at] - 1], &q);
		if (!memcmp(&q, &r, sizeof r))
			return b->slots[at] - 1;
	}
	if (tab->nrules == b->caprules) {
		b->caprules = b->caprules ? 2 * b->caprules : 64;
		tab->rules = gl_xrealloc(tab->rules, b->caprules * sizeof *tab->rules);
	}
	struct eligibility_offer *rule = &tab->rules[tab->nrules];
	*rule = *o;
	rule->needs = 0;
	rule->languages = rule->nsectors = rule->nactivities = 0;
	rule->free = false;
	b->slots[at] = tab->nrules + 1;
	tab->bytes += sizeof *rule;
	return tab->nrules++;
}

static int copy_one(void *vb, const uint8_t *rkey, size_t rlen, const uint8_t *val, size_t len)
{
	struct build *b = vb;
	struct mtable *tab = b->tab;
	char partner[GL_ID_MAX + 1];
	struct eligibility_offer o;
	size_t id_len = rlen - RECORD_KEY_LEN - 1;
	if (rkey[RECORD_KEY_LEN] != RK_OFFER || id_len > GL_ID_MAX ||
	    !match_facts_decode(val, len, &o, partner))
		return 0; /* match.c's consider_facts() leaves it out too */
	size_t plen = strlen(partner);
	tab->bytes += sizeof(struct mfact) + RECORD_KEY_LEN + id_len + plen + 2;
	if (tab->bytes > b->max_bytes || tab->n >= UINT32_MAX - 1 ||
	    tab->strs.len > UINT32_MAX - STORE_KEY_MAX - GL_ID_MAX - 2)
		return 1;
	struct mfact f = { .needs = o.needs, .at = (uint32_t)tab->strs.len, .rule = rule_number(b, &o),
	                   .languages = o.languages, .nsectors = o.nsectors,
	                   .nactivities = o.nactivities, .free = o.free, .id_len = (uint8_t)id_len,
	                   .plen = (uint8_t)plen };
	gl_buf_append(&tab->strs, rkey, RECORD_KEY_LEN);
	gl_buf_append(&tab->strs, rkey + RECORD_KEY_LEN + 1, id_len);
	gl_buf_append(&tab->strs, "", 1);
	gl_buf_append(&tab->strs, partner, plen + 1);
	if (tab->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 1024;
		tab->v = gl_xrealloc(tab->v, b->cap * sizeof *tab->v);
	}
	tab->v[tab->n++] = f;
	return 0;
}

/* A copy of t's table at generation gen, or NULL (over max_bytes, or an
 * error reading it; the caller then reads the store). */
static struct mtable *build(struct store_txn *t, uint64_t gen, size_t max_bytes)
{
	struct build b = { .tab = gl_xcalloc(1, sizeof *b.tab), .max_bytes = max_bytes };
	b.tab->gen = gen;
	int rc = store_derived_scan(t, copy_one, &b, NULL);
	free(b.slots);
	if (rc) {
		table_free(b.tab);
		return NULL;
	}
	/* held for many requests: no room to spare */
	if (b.tab->n)
		b.tab->v = gl_xrealloc(b.tab->v, b.tab->n * sizeof *b.tab->v);
	if (b.tab->nrules)
		b.tab->rules = gl_xrealloc(b.tab->rules, b.tab->nrules * sizeof *b.tab->rules);
	if (b.tab->strs.len) {
		b.tab->strs.data = gl_xrealloc(b.tab->strs.data, b.tab->strs.len);
		b.tab->strs.cap = b.tab->strs.len;
	}
	return b.tab;
}

struct mtable *match_cache_get(struct match_cache *mc, struct store_txn *t)
{
	uint64_t gen = store_derived_generation(t);
	struct mtable *tab = NULL;
	if (!gen) /* a store that counts no generations: no copy is safe */
		return NULL;
	pthread_mutex_lock(&mc->lock);
	/* one copy at a time: the others wait for it rather than each read
	 * the whole table meanwhile, as long as it is of their generation */
	while (mc->building && mc->building_gen == gen)
		pthread_cond_wait(&mc->built, &mc->lock);
	bool make = false;
	if (mc->cur && mc->cur->gen == gen) {
		tab = mc->cur;
		tab->refs++;
	} else if (!mc->building && mc->too_big != gen && (!mc->cur || mc->cur->gen < gen)) {
		mc->building = make = true;
		mc->building_gen = gen;
	}
	pthread_mutex_unlock(&mc->lock);
	if (!make)
		return tab; /* NULL: read the store */
	tab = build(t, gen, mc->max_bytes);
	pthread_mutex_lock(&mc->lock);
	mc->building = false;
	struct mtable *old = NULL;
	if (!tab) {
		mc->too_big = gen;
	} else {
		tab->refs = 2; /* the cache's and the caller's */
		if (mc->cur && --mc->cur->refs == 0)
			old = mc->cur;
		mc->cur = tab;
	}
	pthread_cond_broadcast(&mc->built);
	pthread_mutex_unlock(&mc->lock);
	table_free(old);
	return tab;
}

void match_cache_put(struct match_cache *mc, struct mtable *tab)
{
	if (!tab)
		return;
	pthread_mutex_lock(&mc->lock);
	bool last = --tab->refs == 0;
	pthread_mutex_unlock(&mc->lock);
	if (last)
		table_free(tab);
}

/*
 * Unit tests: search_query()'s ranking (daemon/query/search.c) against a
 * straightforward one written here from search.h's formula: every
 * document of every query word's postings scored, all sorted, the first k
 * taken.  search_query keeps a heap of the best k, reads record keys only
 * for ties, finds partners' names before it scores and, given a
 * search_cache, reads documents' lengths and kinds from memory: none of
 * that may change an answer, for any k, kind, cache or state of the store.
 *
 * The generated index: offers and news of two authors, each with two
 * partners whose names hold query words (what they lend their records),
 * texts from a few shapes (so that many scores tie, across authors), a
 * word in most records (its postings fill many pages), one in one record,
 * one in two records far apart (scored by a merge: search_score.c) and a
 * weak (short) word.
 */
#include "testutil.h"

#include <math.h>

#include "proto/body.h"
#include "proto/record.h"
#include "query/search.h"
#include "store/store.h"
#include "store/text.h"
#include "store/textindex.h"

#define NDOCS 1500
#define WORD_MAX 32

static uint8_t pk[2][32], sk[2][64];
static char dir[64];

static const char *const vocab[] = { "zebra", "kiwi", "papaja", "limoen", "vijg", "dadel",
	                             "ananas", "banaan", "ai" };
#define NVOCAB (sizeof vocab / sizeof *vocab)

static int setup(void **state)
{
	(void)state;
	tu_keypair(1, pk[0], sk[0]);
	tu_keypair(2, pk[1], sk[1]);
	return tu_tmpdir(dir, "search-rank");
}

static int teardown(void **state)
{
	(void)state;
	return tu_rmtree(dir);
}

static uint64_t rnd_state = 12345;

static unsigned rnd(unsigned n)
{
	rnd_state = rnd_state * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)(rnd_state >> 33) % n;
}

/* Words from the vocabulary into out: "mango" first in most texts (the
 * word of many postings), the record of number 7 alone holds "uniek". */
static void words(char *out, size_t outn, unsigned n, unsigned i)
{
	out[0] = 0;
	if (i % 10 != 3)
		snprintf(out, outn, "mango ");
	if (i == 7)
		snprintf(out + strlen(out), outn - strlen(out), "uniek ");
	if (i == 3 || i == NDOCS - 3) /* two far apart: scored by a merge, not an array */
		snprintf(out + strlen(out), outn - strlen(out), "zeldzaam ");
	for (unsigned k = 0; k < n; k++)
		snprintf(out + strlen(out), outn - strlen(out), "%s ", vocab[rnd(NVOCAB)]);
}

static void pack_langmap(msgpack_packer *p, const char *key, const char *text)
{
	tu_str(p, key);
	msgpack_pack_map(p, 2);
	tu_str(p, "nl");
	tu_str(p, text);
	tu_str(p, "en");
	tu_str(p, text);
}

/* Put a record of kind (partner, offer or news) in t; title NULL: a
 * tombstone. */
static void put_rec(struct store_txn *t, int a, int kind, const char *id, uint64_t version,
                    const char *title, const char *text, const char *partner)
{
	struct gl_buf body = { 0 }, env = { 0 };
	msgpack_packer p;
	tu_packer(&p, &body);
	if (title) {
		msgpack_pack_map(&p, 3 + (partner != NULL));
		pack_langmap(&p, kind == RK_NEWS ? "title" : "name", title);
		pack_langmap(&p, kind == RK_NEWS ? "summary" : "description", text);
		tu_str(&p, "url");
		tu_str(&p, "https://rank.example/");
		if (partner) {
			tu_str(&p, "partner");
			tu_str(&p, partner);
		}
	}
	struct record_draft dr = { .kind = kind, .id = id, .id_len = strlen(id), .version = version,
	                           .issued = 100, .expires = 1000,
	                           .body = title ? body.data : NULL, .body_len = title ? body.len : 0 };
	assert_int_equal(record_sign(&dr, sk[a], &env, NULL), 0);
	struct record r;
	enum store_outcome oc;
	assert_int_equal(record_open(env.data, env.len, &r, NULL), 0);
	assert_int_equal(store_put(t, &r, &oc, NULL), 0);
	gl_buf_free(&body);
	gl_buf_free(&env);
}

/* Record i of the generated index, at version v: its texts from one of
 * seven shapes for most (ties), drawn afresh for the rest. */
static void put_doc(struct store_txn *t, unsigned i, uint64_t v)
{
	char id[16], title[256], text[512];
	static const char *const partners[] = { NULL, "p-0", "p-1" };
	snprintf(id, sizeof id, "r-%04u", (i * 7919u) % 10000); /* keys not in number order */
	uint64_t keep = rnd_state;
	if (i % 3 != 0)
		rnd_state = 1000 + i % 7 + v; /* a shape */
	words(title, sizeof title, 1 + rnd(2), i % 3 ? 0 : i);
	words(text, sizeof text, 2 + rnd(6), i % 3 ? 0 : i);
	if (i % 3 != 0)
		rnd_state = keep;
	put_rec(t, (int)(i % 2), i % 5 == 4 ? RK_NEWS : RK_OFFER, id, v, title, text,
	        partners[(i / 2) % 3]);
}

static struct store *make_index(const char *name)
{
	char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	struct store *s;
	struct store_txn *t;
	assert_int_equal(store_open(path, 0, 1 << 26, &s, NULL), 0);
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	for (int a = 0; a < 2; a++) {
		put_rec(t, a, RK_PARTNER, "p-0", 1, a ? "Kiwi Kiwi huis" : "Huis zebra", "Een huis.",
		        NULL);
		put_rec(t, a, RK_PARTNER, "p-1", 1, a ? "Dadel" : "Mango ananas", "Een plek.", NULL);
	}
	for (unsigned i = 0; i < NDOCS; i++)
		put_doc(t, i, 1);
	/* ties whose keys agree past 8 bytes of their ids, and ids that begin
	 * others ("r-7" and "r-70"): the hits' sort by key (search_score.c)
	 * reads 8 bytes at a time and compares whole keys where an id ends */
	for (unsigned i = 0; i < 40; i++) {
		char id[64];
		if (i < 24)
			snprintf(id, sizeof id, "r-gedeeld-voorvoegsel-%s%u", i % 2 ? "x" : "", i / 2);
		else
			snprintf(id, sizeof id, "r-%u", i % 3 ? i - 17 : (i - 17) * 10);
		put_rec(t, (int)(i % 2), RK_OFFER, id, 1, "mango kiwi", "mango zebra kiwi", NULL);
	}
	assert_int_equal(store_commit(t, NULL), 0);
	return s;
}

/* ---- the straightforward ranking ---- */

struct ref_word {
	char term[TEXT_TERM_MAX + 1];
	bool weak;
	double *tf, *title; /* by document number: weighted frequency, in the title */
	double idf;
};

struct ref_query {
	struct ref_word w[WORD_MAX];
	unsigned pos[WORD_MAX];
	size_t n;
	bool strong;
};

static int ref_collect(void *ctx, const char *term, size_t len, unsigned pos, unsigned flags)
{
	struct ref_query *q = ctx;
	for (size_t i = 0; i < q->n; i++)
		assert_true(q->pos[i] != pos); /* one form a word: no compounds here */
	assert_true(q->n < WORD_MAX);
	memcpy(q->w[q->n].term, term, len);
	q->w[q->n].term[len] = 0;
	q->w[q->n].weak = flags & TEXT_WEAK;
	q->pos[q->n] = pos;
	q->strong |= !(flags & TEXT_WEAK);
	q->n++;
	return 0;
}

struct ref_hit {
	double score;
	uint8_t rkey[STORE_KEY_MAX];
	size_t rlen;
};

static int ref_cmp(const void *a, const void *b)
{
	const struct ref_hit *x = a, *y = b;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	size_t l = x->rlen < y->rlen ? x->rlen : y->rlen;
	int c = memcmp(x->rkey, y->rkey, l);
	return c ? c : x->rlen < y->rlen ? -1 : 1;
}

static double ref_bm25(double idf, double tf, double dl, double avgdl)
{
	double norm = 1.0 - SEARCH_BM25_B + SEARCH_BM25_B * dl / avgdl;
	return idf * tf * (SEARCH_BM25_K1 + 1.0) / (tf + SEARCH_BM25_K1 * norm);
}

/* Word w's postings into its arrays (room for top + 1 documents), its idf
 * from the documents that hold it. */
static void ref_word_read(struct store_txn *t, struct ref_word *w, uint64_t top, uint64_t ndocs)
{
	struct textindex_posting *p = NULL;
	size_t np = 0, cap = 0, df = 0;
	assert_int_equal(textindex_postings(t, w->term, strlen(w->term), &p, &np, &cap, NULL), 0);
	w->tf = gl_xcalloc(top + 1, sizeof *w->tf);
	w->title = gl_xcalloc(top + 1, sizeof *w->title);
	for (size_t i = 0; i < np; i++) {
		assert_true(p[i].doc <= top);
		df += w->tf[p[i].doc] == 0;
		w->tf[p[i].doc] += (p[i].field == TEXTINDEX_TITLE   ? SEARCH_WEIGHT_TITLE
		                    : p[i].field == TEXTINDEX_LABEL ? SEARCH_WEIGHT_LABEL
		                                                    : SEARCH_WEIGHT_TEXT) *
		                   (double)p[i].tf;
		if (p[i].field == TEXTINDEX_TITLE)
			w->title[p[i].doc] += p[i].tf;
	}
	free(p);
	double n = (double)ndocs > (double)df ? (double)ndocs : (double)df;
	w->idf = log(1.0 + (n - (double)df + 0.5) / ((double)df + 0.5));
}

/* The partner's document of record e: the one it names, or its author's
 * first ("p-0"); *found false if none. */
static void ref_partner(struct store_txn *t, const struct store_entry *e, bool *found,
                        struct textindex_doc *pd)
{
	struct record r;
	const uint8_t *pid = (const uint8_t *)"p-0";
	uint32_t plen = 3;
	assert_int_equal(record_parse_held(e->env, e->env_len, &r, NULL), 0);
	if (r.body)
		(void)body_str(r.body, r.body_len, "partner", &pid, &plen);
	uint8_t key[STORE_KEY_MAX];
	memcpy(key, e->author, RECORD_KEY_LEN);
	key[RECORD_KEY_LEN] = RK_PARTNER;
	memcpy(key + RECORD_KEY_LEN + 1, pid, plen);
	assert_int_equal(textindex_doc_of(t, key, RECORD_KEY_LEN + 1 + plen, found, pd, NULL), 0);
}

/* Document doc's score into *sum; false if it is no hit. */
static bool ref_score(struct store_txn *t, const struct ref_query *q, const struct textindex_doc *doc,
                      double avgdl, double *sum)
{
	struct store_entry e;
	bool has_p = false;
	struct textindex_doc pd;
	if (doc->kind == RK_OFFER || doc->kind == RK_NEWS) { /* what a partner's name lends */
		assert_int_equal(store_get(t, doc->rkey, doc->kind,
		                           (const char *)doc->rkey + RECORD_KEY_LEN + 1,
		                           doc->rlen - RECORD_KEY_LEN - 1, &e, NULL), 0);
		ref_partner(t, &e, &has_p, &pd);
	}
	bool any = false, strong = false;
	*sum = 0;
	for (size_t i = 0; i < q->n; i++) {
		const struct ref_word *w = &q->w[i];
		double tf = w->tf[doc->num];
		double best = tf > 0 ? ref_bm25(w->idf, tf, doc->len, avgdl) : 0;
		double lent = has_p && w->title[pd.num] > 0
		              ? ref_bm25(w->idf, SEARCH_WEIGHT_PARTNER * w->title[pd.num], pd.len, avgdl)
		              : 0;
		if (tf == 0 && lent == 0)
			continue;
		*sum += lent > best ? lent : best;
		any = true;
		strong |= !w->weak;
	}
	return any && (strong || !q->strong);
}

/* The straightforward answer, every hit in order: Dutch rules only (lang
 * "nl"), kind 0 or one. */
static size_t ref_search(struct store_txn *t, const char *text, int kind, struct ref_hit **out)
{
	struct ref_query q = { .n = 0 };
	struct text_stemmers *st;
	assert_int_equal(text_thread_stemmers(&st, NULL), 0);
	assert_int_equal(text_terms(st, text, strlen(text), "nl", TEXT_QUERY, ref_collect, &q, NULL),
	                 0);
	uint64_t ndocs, total, top = 0;
	assert_int_equal(textindex_totals(t, &ndocs, &total, NULL), 0);
	double avgdl = (double)total / (double)ndocs;
	struct textindex_docs *r;
	struct textindex_doc doc;
	bool found = true;
	assert_int_equal(textindex_docs_open(t, &r, NULL), 0);
	for (uint64_t d = 1; found; d = doc.num + 1) { /* the last document's number */
		assert_int_equal(textindex_docs_next(r, d, &found, &doc, NULL), 0);
		top = found ? doc.num : top;
	}
	textindex_docs_close(r);
	for (size_t i = 0; i < q.n; i++)
		ref_word_read(t, &q.w[i], top, ndocs);
	struct ref_hit *h = gl_xmalloc((top + 1) * sizeof *h);
	size_t nh = 0;
	for (uint64_t d = 1; d <= top; d++) {
		assert_int_equal(textindex_doc(t, d, &found, &doc, NULL), 0);
		if (!found || (kind && doc.kind != kind) || !ref_score(t, &q, &doc, avgdl, &h[nh].score))
			continue;
		memcpy(h[nh].rkey, doc.rkey, doc.rlen);
		h[nh++].rlen = doc.rlen;
	}
	for (size_t i = 0; i < q.n; i++) {
		free(q.w[i].tf);
		free(q.w[i].title);
	}
	qsort(h, nh, sizeof *h, ref_cmp);
	*out = h;
	return nh;
}

/* Each hit's key_rank is its key's place among the n hits' keys. */
static void key_ranks(const struct search_hit *h, size_t n, const char *text, size_t k)
{
	for (size_t i = 0; i < n; i++) {
		size_t below = 0;
		for (size_t j = 0; j < n; j++) {
			size_t m = h[j].rkey_len < h[i].rkey_len ? h[j].rkey_len : h[i].rkey_len;
			int c = memcmp(h[j].rkey, h[i].rkey, m);
			below += c < 0 || (c == 0 && h[j].rkey_len < h[i].rkey_len);
		}
		if (h[i].key_rank != below)
			fail_msg("\"%s\" k %zu: hit %zu's key_rank is %zu, its key is the %zu-th", text,
			         k, i, h[i].key_rank, below);
	}
}

/* search_query's answer in t must be the straightforward one's first k,
 * hit by hit and bit for bit, for every k. */
static void same(struct store_txn *t, const char *text, int kind, struct search_cache *cache)
{
	static const size_t ks[] = { 1, 3, 10, 20, 100, 0 };
	struct ref_hit *want;
	size_t all = ref_search(t, text, kind, &want);
	for (size_t j = 0; j < sizeof ks / sizeof *ks; j++) {
		size_t k = ks[j], n = k && k < all ? k : all;
		struct search_opts o = { .kind = kind, .lang = "nl", .max_hits = k, .cache = cache };
		struct search_hit *h = NULL;
		size_t got = 0;
		struct gl_error err = { 0 };
		if (search_query(t, text, &o, &h, &got, &err))
			fail_msg("search \"%s\": %s", text, err.msg);
		if (got != n)
			fail_msg("\"%s\" kind %d k %zu: %zu hits, the straightforward ranking %zu", text,
			         kind, k, got, n);
		for (size_t i = 0; i < n; i++)
			if (h[i].score != want[i].score || h[i].rkey_len != want[i].rlen ||
			    memcmp(h[i].rkey, want[i].rkey, want[i].rlen))
				fail_msg("\"%s\" kind %d k %zu cache %d: hit %zu is %.*s (%.17g), the "
				         "straightforward ranking's %.*s (%.17g)", text, kind, k,
				         cache != NULL, i, (int)(h[i].rkey_len - RECORD_KEY_LEN - 1),
				         (const char *)h[i].rkey + RECORD_KEY_LEN + 1, h[i].score,
				         (int)(want[i].rlen - RECORD_KEY_LEN - 1),
				         (const char *)want[i].rkey + RECORD_KEY_LEN + 1, want[i].score);
		key_ranks(h, n, text, k);
		free(h);
	}
	free(want);
}

static const char *const queries[] = { "mango", "zebra kiwi", "mango ai", "ai", "uniek",
	                               "kiwi zebra mango papaja dadel", "onbekend", "huis",
	                               "limoen zq123456", "zeldzaam", "zeldzaam huis" };

static void all_same(struct store *s, struct search_cache *cache)
{
	static const int kinds[] = { 0, RK_OFFER, RK_NEWS, RK_PARTNER };
	struct store_txn *t;
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	for (size_t qi = 0; qi < sizeof queries / sizeof *queries; qi++)
		for (size_t ki = 0; ki < sizeof kinds / sizeof *kinds; ki++)
			same(t, queries[qi], kinds[ki], cache);
	store_abort(t);
}

/* The ranking and the straightforward one agree, with and without the
 * cache, before and after records change (new document numbers, old
 * ones gone) and in a transaction older than the cache. */
static void test_rank_exact(void **state)
{
	(void)state;
	struct store *s = make_index("exact");
	struct search_cache *cache = search_cache_new();
	all_same(s, NULL);
	all_same(s, cache);
	/* many ties: the test means something only if the heap meets them */
	struct store_txn *t, *old;
	struct search_hit *h;
	size_t n, ties = 0;
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	struct search_opts o = { .lang = "nl" };
	assert_int_equal(search_query(t, "mango", &o, &h, &n, NULL), 0);
	for (size_t i = 1; i < n; i++)
		ties += h[i].score == h[i - 1].score;
	assert_true(n > 1000 && ties > 500);
	free(h);
	store_abort(t);
	/* an older state held open while records change and go */
	assert_int_equal(store_begin(s, false, &old, NULL), 0);
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	for (unsigned i = 0; i < NDOCS; i += 4)
		put_doc(t, i, 2);
	for (unsigned i = 1; i < NDOCS; i += 9) {
		char id[16];
		snprintf(id, sizeof id, "r-%04u", (i * 7919u) % 10000);
		put_rec(t, (int)(i % 2), i % 5 == 4 ? RK_NEWS : RK_OFFER, id, 5, NULL, NULL, NULL);
	}
	assert_int_equal(store_commit(t, NULL), 0);
	struct search_cache *fresh = search_cache_new();
	all_same(s, fresh);  /* reads the new state into an empty cache */
	all_same(s, cache);  /* reads what is new into a full one */
	for (size_t qi = 0; qi < sizeof queries / sizeof *queries; qi++) {
		same(old, queries[qi], 0, fresh); /* gone since: not in the cache */
		same(old, queries[qi], 0, cache);
	}
	store_abort(old);
	/* in a write transaction the cache is not read (its numbers may yet
	 * go to other documents) */
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	put_doc(t, 5, 7);
	same(t, "mango", 0, cache);
	store_abort(t);
	assert_true(search_cache_bytes(cache) > 0);
	search_cache_free(fresh);
	search_cache_free(cache);
	store_close(s);
}

/* ---- blocks passed over (search_block.c) ---- */

#define BLOCK_DOCS 4000 /* documents of "mango", 32 blocks of 128 numbers */

/* Record i of the blocks' store at version v: "mango" once in a title
 * and a text of 3 to 12 words, but three times in the title and once in
 * a short text in one record of 400 (the page of a limit of 10). */
static void put_block_doc(struct store_txn *t, unsigned i, uint64_t v, const char *title,
                          const char *text)
{
	char id[16], tb[256], xb[512];
	snprintf(id, sizeof id, "b-%05u", (i * 7919u) % 100000);
	if (!title) {
		bool top = i % 400 == 17;
		snprintf(tb, sizeof tb, top ? "mango mango mango %s" : "mango %s", vocab[i % NVOCAB]);
		words(xb, sizeof xb, top ? 1 : 3 + rnd(10), 1);
		title = tb;
		text = xb;
	}
	put_rec(t, (int)(i % 2), i % 5 == 4 ? RK_NEWS : RK_OFFER, id, v, title, text, NULL);
}

/* search_query with limit k passes over blocks (work says so) and gives
 * the straightforward ranking's first k. */
static void passes_over(struct store *s, const char *text, size_t k, struct search_cache *cache)
{
	struct store_txn *t;
	struct search_work work = { 0 };
	struct search_opts o = { .lang = "nl", .max_hits = k, .cache = cache, .work = &work };
	struct search_hit *h = NULL;
	size_t n = 0;
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	assert_int_equal(search_query(t, text, &o, &h, &n, NULL), 0);
	assert_int_equal(n, k);
	assert_true(work.blocks_passed > work.blocks_scored);
	free(h);
	same(t, text, 0, cache);
	same(t, text, RK_NEWS, cache);
	store_abort(t);
}

/* search_query with limit k finds too many blocks that can reach the
 * page and scores every document (work says so), as the straightforward
 * ranking does. */
static void scores_whole(struct store *s, const char *text, size_t k)
{
	struct store_txn *t;
	struct search_work work = { 0 };
	struct search_opts o = { .lang = "nl", .max_hits = k, .work = &work };
	struct search_hit *h = NULL;
	size_t n = 0;
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	assert_int_equal(search_query(t, text, &o, &h, &n, NULL), 0);
	assert_int_equal(n, k);
	assert_true(work.whole);
	free(h);
	same(t, text, 0, NULL);
	store_abort(t);
}

/* A term in thousands of documents with a limit: the blocks whose maxima
 * cannot reach the page are passed over, and the hits are the
 * straightforward ranking's, after adds, replacements and retractions
 * (the maxima of a block a document left stay above what it holds). */
static void test_rank_blocks(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof path, "%s/blocks", dir);
	struct store *s;
	struct store_txn *t;
	struct search_cache *cache = search_cache_new();
	assert_int_equal(store_open(path, 0, 1 << 27, &s, NULL), 0);
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	for (unsigned i = 0; i < BLOCK_DOCS; i++)
		put_block_doc(t, i, 1, NULL, NULL);
	assert_int_equal(store_commit(t, NULL), 0);
	passes_over(s, "mango", 10, NULL);
	passes_over(s, "mango", 10, cache);
	passes_over(s, "mango zq77", 3, cache);
	scores_whole(s, "kiwi", 10);          /* in random texts: flat maxima */
	scores_whole(s, "zebra ananas", 10);
	/* added to the last block, which holds others: its maxima rise */
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	put_block_doc(t, BLOCK_DOCS, 1, "mango mango mango mango mango", "mango");
	assert_int_equal(store_commit(t, NULL), 0);
	passes_over(s, "mango", 10, cache);
	/* the best replaced by a longer text, another by a better one, one retracted */
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	put_block_doc(t, BLOCK_DOCS, 2, "mango en een veel langere naam dan eerst",
	              "mango kiwi zebra papaja limoen vijg dadel ananas banaan");
	put_block_doc(t, 1000, 2, "mango mango mango mango", "mango mango");
	put_block_doc(t, 417, 2, NULL, NULL);
	char id[16];
	snprintf(id, sizeof id, "b-%05u", (817 * 7919u) % 100000);
	put_rec(t, 817 % 2, 817 % 5 == 4 ? RK_NEWS : RK_OFFER, id, 3, NULL, NULL, NULL);
	assert_int_equal(store_commit(t, NULL), 0);
	passes_over(s, "mango", 10, cache);
	passes_over(s, "mango", 10, NULL);
	search_cache_free(cache);
	store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rank_exact),
		cmocka_unit_test(test_rank_blocks),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

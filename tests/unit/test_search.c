/* Unit tests: terms (daemon/store/text.c) and the full-text index and BM25 (daemon/store/textindex*.c and daemon/query/search.c). */
#include "testutil.h"

#include <lmdb.h>
#include <math.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "query/search.h"
#include "store/store.h"
#include "store/text.h"
#include "store/textindex.h"

static uint8_t pk[32], sk[64], pk2[32], sk2[64];
static char dir[64];

static int setup(void **state)
{
	(void)state;
	return tu_tmpdir(dir, "search");
}

static int teardown(void **state)
{
	(void)state;
	return tu_rmtree(dir);
}

/* ---- terms ---- */

struct terms {
	char t[32][TEXT_TERM_MAX + 1];
	unsigned pos[32], flags[32];
	size_t n;
};

static int term_cb(void *ctx, const char *term, size_t len, unsigned pos, unsigned flags)
{
	struct terms *ts = ctx;
	assert_true(len >= 1 && len <= TEXT_TERM_MAX);
	assert_null(memchr(term, 0, len));
	if (ts->n < 32) {
		memcpy(ts->t[ts->n], term, len);
		ts->t[ts->n][len] = 0;
		ts->flags[ts->n] = flags;
		ts->pos[ts->n++] = pos;
	}
	return 0;
}

static struct text_stemmers stems;

static struct terms cut_as(const char *s, const char *lang, unsigned flags)
{
	struct terms ts = { .n = 0 };
	assert_int_equal(text_terms(&stems, s, strlen(s), lang, flags, term_cb, &ts, NULL), 0);
	return ts;
}

/* The terms of a text to index. */
static struct terms cut(const char *s, const char *lang)
{
	return cut_as(s, lang, 0);
}

/* The one term of a one-word text. */
static const char *one(const char *s, const char *lang)
{
	static char buf[4][TEXT_TERM_MAX + 1];
	static int next;
	struct terms ts = cut(s, lang);
	assert_int_equal(ts.n, 1);
	char *b = buf[next++ % 4];
	strcpy(b, ts.t[0]);
	return b;
}

static void test_terms(void **state)
{
	(void)state;
	assert_int_equal(text_stemmers_init(&stems, NULL), 0);
	/* case and accents */
	assert_string_equal(one("Café", "en"), one("cafe", "en"));
	assert_string_equal(one("CAFÉ", "nl"), one("cafe", "nl"));
	assert_string_equal(one("Ondernemer", ""), "ondernemer");
	assert_string_equal(one("ﬁnancial", ""), "financial"); /* NFKC: the fi ligature */
	assert_string_equal(one("finan\xc2\xad" "ciering", "nl"), one("financiering", "nl"));
	/* inflection */
	assert_string_equal(one("financieringen", "nl"), one("financiering", "nl"));
	assert_string_equal(one("ondernemers", "nl"), one("ondernemer", "nl"));
	assert_string_equal(one("loans", "en"), one("loan", "en"));
	assert_string_equal(one("Funding", "en"), one("funded", "en"));
	/* other languages: not stemmed */
	assert_string_equal(one("financements", "fr"), "financements");
	/* splitting, short tokens, stop words, positions; a compound's parts
	 * and then the parts joined, at the first part's position */
	struct terms ts = cut("De starter, een spin-off van UGent: 2 x €5000!", "nl");
	assert_int_equal(ts.n, 6);
	assert_string_equal(ts.t[0], "starter");
	assert_int_equal(ts.pos[0], 1);
	assert_string_equal(ts.t[1], "spin");
	assert_string_equal(ts.t[2], "off");
	assert_int_equal(ts.pos[2], 4);
	assert_string_equal(ts.t[3], "spinoff");
	assert_int_equal(ts.pos[3], 3);
	assert_int_equal(ts.flags[3], TEXT_JOINED);
	assert_int_equal(ts.flags[1] | ts.flags[2], 0);
	assert_string_equal(ts.t[4], "ugent");
	assert_string_equal(ts.t[5], "5000");
	assert_int_equal(ts.pos[5], 9);
	/* a query asks for the joined word only */
	ts = cut_as("De starter, een spin-off van UGent: 2 x €5000!", "nl", TEXT_QUERY);
	assert_int_equal(ts.n, 4);
	assert_string_equal(ts.t[1], "spinoff");
	assert_int_equal(ts.pos[1], 3);
	assert_int_equal(ts.pos[2], 6);
	assert_int_equal(cut("the loan of a starter and to", "en").n, 2);
	assert_int_equal(cut("de het een en van voor", "nl").n, 0);
	assert_int_equal(cut("", "nl").n, 0);
	/* a token over TEXT_TERM_MAX bytes is dropped, not cut into a false word */
	char lng[TEXT_TERM_MAX + 8];
	memset(lng, 'a', sizeof lng - 1);
	lng[sizeof lng - 1] = 0;
	assert_int_equal(cut(lng, "en").n, 0);
	lng[TEXT_TERM_MAX] = 0;
	assert_int_equal(cut(lng, "").n, 1);
	/* other scripts are words too */
	assert_int_equal(cut("Привет мир 東京", "").n, 3);
	/* not UTF-8 */
	struct gl_error err = { 0 };
	struct terms x = { .n = 0 };
	assert_int_equal(text_terms(&stems, "caf\xe9", 4, "nl", 0, term_cb, &x, &err), GL_EFORMAT);
	assert_non_null(strstr(err.msg, "UTF-8"));
	text_stemmers_free(&stems);
	text_stemmers_free(&stems); /* twice is harmless */
}

/* The terms of a text as "term term ...", flags after a '/' where set
 * (w: weak, j: joined). */
static const char *terms_text(const char *s, const char *lang, unsigned flags)
{
	static char out[4][512];
	static int next;
	char *o = out[next++ % 4];
	struct terms ts = cut_as(s, lang, flags);
	o[0] = 0;
	for (size_t i = 0; i < ts.n; i++)
		snprintf(o + strlen(o), 512 - strlen(o), "%s%s%s%s%s", i ? " " : "", ts.t[i],
		         ts.flags[i] ? "/" : "", ts.flags[i] & TEXT_WEAK ? "w" : "",
		         ts.flags[i] & TEXT_JOINED ? "j" : "");
	return o;
}

/*
 * Hyphenated compounds (text.h, step 3): indexed as their parts and
 * joined, asked for joined; whichever way a word is written, the two
 * meet.  Not joined: digits only, too long, a dash that is no hyphen.
 */
static void test_compounds(void **state)
{
	(void)state;
	assert_int_equal(text_stemmers_init(&stems, NULL), 0);
	for (int l = 0; l < 2; l++) {
		const char *lang = l ? "en" : "nl";
		/* the joined term of the compound is the term of the word run together */
		struct terms a = cut("spin-offs", lang), q = cut_as("spin-off", lang, TEXT_QUERY);
		assert_int_equal(a.n, 3);
		assert_int_equal(q.n, 1);
		assert_string_equal(a.t[2], one("spinoff", lang));
		assert_string_equal(q.t[0], one("spinoffs", lang));
		assert_string_equal(cut_as("scale-up", lang, TEXT_QUERY).t[0], one("scaleups", lang));
		/* U+2011 (non-breaking hyphen) and U+2010 are hyphens too */
		assert_string_equal(cut_as("scale\xe2\x80\x91up", lang, TEXT_QUERY).t[0],
		                    one("scaleup", lang));
		assert_string_equal(cut_as("scale\xe2\x80\x90up", lang, TEXT_QUERY).t[0],
		                    one("scaleup", lang));
	}
	/* parts of one letter or stop words are no terms, but part of the joined one */
	assert_string_equal(terms_text("e-commerce", "en", 0), "commerc ecommerc/j");
	assert_string_equal(terms_text("e-commerce", "en", TEXT_QUERY), "ecommerc/j");
	assert_string_equal(terms_text("in-house", "en", TEXT_QUERY), "inhous/j");
	assert_string_equal(terms_text("Oost-Vlaanderen", "", TEXT_QUERY), "oostvlaanderen/j");
	assert_string_equal(terms_text("co-creatie-ruimte", "", 0),
	                    "co/w creatie ruimte cocreatieruimte/j");
	/* not compounds: a dash, a hyphen with space beside it, digits only */
	assert_string_equal(terms_text("2024\xe2\x80\x93" "2026 spin - off", "", TEXT_QUERY),
	                    "2024 2026 spin off");
	assert_string_equal(terms_text("2027-03-15", "", 0), "2027 03/w 15/w");
	assert_string_equal(terms_text("2027-03-15", "", TEXT_QUERY), "2027 03/w 15/w");
	assert_string_equal(terms_text("covid-19", "", TEXT_QUERY), "covid19/j");
	/* longer than TEXT_TERM_MAX joined: the parts, as they come */
	char lng[TEXT_TERM_MAX + 32];
	memset(lng, 'a', 40);
	memset(lng + 41, 'b', 40);
	lng[40] = lng[81] = '-';
	strcpy(lng + 82, "x");
	struct terms q = cut_as(lng, "", TEXT_QUERY), a = cut(lng, "");
	assert_int_equal(q.n, 2); /* "x" is too short to be a term */
	assert_int_equal(q.pos[1], 1);
	assert_int_equal(a.n, 2);
	strcpy(lng + 82, "xyzab");
	q = cut_as(lng, "", TEXT_QUERY);
	assert_int_equal(q.n, 3);
	assert_string_equal(q.t[2], "xyzab");
	assert_int_equal(q.pos[2], 2);
	/* short tokens are weak; a stop word is still dropped */
	assert_string_equal(terms_text("Level up, the AI way", "en", TEXT_QUERY), "level up/w ai/w way");
	assert_string_equal(terms_text("scale-up", "en", TEXT_QUERY), "scaleup/j");
	text_stemmers_free(&stems);
}

/*
 * Dutch plurals in -s after -e meet their singular (text.h, step 5);
 * English stems are as Snowball makes them, and short words keep their s.
 */
static void test_dutch_plural(void **state)
{
	(void)state;
	assert_int_equal(text_stemmers_init(&stems, NULL), 0);
	static const char *const pairs[][2] = {
		{ "subsidies", "subsidie" }, { "bedrijfsruimtes", "bedrijfsruimte" },
		{ "premies", "premie" }, { "fases", "fase" }, { "studies", "studie" },
	};
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
		assert_string_equal(one(pairs[i][0], "nl"), one(pairs[i][1], "nl"));
	/* remembered stems say the same */
	struct text_stemmers mem = { 0 };
	assert_int_equal(text_stemmers_init(&mem, NULL), 0);
	text_stemmers_remember(&mem);
	for (int k = 0; k < 2; k++) {
		struct terms ts = { .n = 0 };
		assert_int_equal(text_terms(&mem, "subsidies subsidie", 18, "nl", 0, term_cb, &ts, NULL),
		                 0);
		assert_int_equal(ts.n, 2);
		assert_string_equal(ts.t[0], ts.t[1]);
	}
	text_stemmers_free(&mem);
	/* not under TEXT_NL_PLURAL_MIN bytes, not after a double e, not in English */
	assert_string_equal(one("les", "nl"), "les");
	assert_string_equal(one("idees", "nl"), "ides"); /* Snowball's; "idee" with the rule */
	assert_string_equal(one("subsidies", "en"), "subsidi");
	assert_string_equal(one("services", "en"), one("service", "en"));
	text_stemmers_free(&stems);
}

/* ---- the index ---- */

struct doc {
	const char *title_nl, *title_en, *text_nl, *text_en;
	const char *partner; /* the "partner" field; NULL: none */
	/* tags, NULL-ended (none: empty); an offer's sectors and activities go
	 * in its "eligibility", as the schema has them */
	const char *needs[4], *sectors[4], *activities[4];
};

static void pack_langmap(msgpack_packer *p, const char *key, const char *nl, const char *en)
{
	tu_str(p, key);
	msgpack_pack_map(p, 2);
	tu_str(p, "nl");
	tu_str(p, nl);
	tu_str(p, "en");
	tu_str(p, en);
}

static size_t count(const char *const *list)
{
	size_t n = 0;
	while (n < 4 && list[n])
		n++;
	return n;
}

static void pack_list(msgpack_packer *p, const char *key, const char *const *list)
{
	tu_str(p, key);
	msgpack_pack_array(p, count(list));
	for (size_t i = 0; i < count(list); i++)
		tu_str(p, list[i]);
}

/* Sign a record with a body like the schemas' (d NULL: a tombstone). */
static void make(struct gl_buf *env, const uint8_t *key, int kind, const char *id,
                 uint64_t version, uint64_t expires, const struct doc *d)
{
	struct gl_buf body = { 0 };
	msgpack_packer p;
	tu_packer(&p, &body);
	if (d) {
		bool elig = kind == RK_OFFER && (count(d->sectors) || count(d->activities));
		bool top = kind != RK_OFFER;
		msgpack_pack_map(&p, 4 + (d->partner != NULL) + (count(d->needs) > 0) + elig +
		                             (top && count(d->sectors)) + (top && count(d->activities)));
		pack_langmap(&p, kind == RK_NEWS ? "title" : "name", d->title_nl, d->title_en);
		pack_langmap(&p, kind == RK_NEWS ? "summary" : "description", d->text_nl, d->text_en);
		tu_str(&p, "url"); /* not indexed */
		tu_str(&p, "https://zebra.example/");
		tu_str(&p, "languages");
		msgpack_pack_array(&p, 1);
		tu_str(&p, "nl");
		if (d->partner) {
			tu_str(&p, "partner");
			tu_str(&p, d->partner);
		}
		if (count(d->needs))
			pack_list(&p, "needs", d->needs);
		if (elig) {
			tu_str(&p, "eligibility");
			msgpack_pack_map(&p, (count(d->sectors) > 0) + (count(d->activities) > 0));
		}
		if (count(d->sectors))
			pack_list(&p, "sectors", d->sectors);
		if (count(d->activities))
			pack_list(&p, "activities", d->activities);
	}
	struct record_draft dr = { .kind = kind, .id = id, .id_len = strlen(id), .version = version,
	                           .issued = 100, .expires = expires,
	                           .body = d ? body.data : NULL, .body_len = d ? body.len : 0 };
	env->len = 0;
	assert_int_equal(record_sign(&dr, key, env, NULL), 0);
	gl_buf_free(&body);
}

/* Put a record in the write transaction t. */
static void put_in(struct store_txn *t, const uint8_t *key, int kind, const char *id,
                   uint64_t version, const struct doc *d)
{
	struct gl_buf env = { 0 };
	make(&env, key, kind, id, version, 1000, d);
	struct record r;
	enum store_outcome oc;
	assert_int_equal(record_open(env.data, env.len, &r, NULL), 0);
	assert_int_equal(store_put(t, &r, &oc, NULL), 0);
	assert_true(oc == STORE_NEW || oc == STORE_REPLACED);
	gl_buf_free(&env);
}

/* Put a record in a transaction of its own. */
static void put(struct store *s, const uint8_t *key, int kind, const char *id, uint64_t version,
                const struct doc *d)
{
	struct store_txn *t;
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	put_in(t, key, kind, id, version, d);
	struct gl_error err = { 0 };
	int rc = store_commit(t, &err);
	if (rc)
		fail_msg("commit: %s", err.msg);
}

/* Search; the hits' ids, best first, joined by spaces, into out. */
static size_t find(struct store *s, const char *q, int kind, const char *lang, char *out,
                   size_t outn, double *scores)
{
	struct store_txn *t;
	struct search_hit *h = NULL;
	size_t n = 99;
	struct gl_error err = { 0 };
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	struct search_opts o = { .kind = kind, .lang = lang };
	int rc = search_query(t, q, &o, &h, &n, &err);
	if (rc)
		fail_msg("search \"%s\": %s", q, err.msg);
	out[0] = 0;
	for (size_t i = 0; i < n; i++) {
		struct store_entry e;
		assert_int_equal(search_hit_entry(t, &h[i], &e, NULL), 0);
		assert_int_equal(e.kind, h[i].kind);
		assert_false(e.tombstone);
		if (i)
			assert_true(h[i - 1].score >= h[i].score);
		if (scores)
			scores[i] = h[i].score;
		snprintf(out + strlen(out), outn - strlen(out), "%s%.*s", i ? " " : "",
		         (int)e.id_len, e.id);
	}
	free(h);
	store_abort(t);
	return n;
}

/* The index's counts must equal those recomputed from the records. */
static void check_stats(struct store *s, uint64_t docs)
{
	struct store_txn *t;
	struct textindex_counts kept, counted;
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	assert_int_equal(textindex_stats(t, &kept, NULL), 0);
	assert_int_equal(textindex_recount(t, &counted, NULL), 0);
	store_abort(t);
	assert_int_equal(kept.docs, docs);
	assert_int_equal(kept.docs, counted.docs);
	assert_int_equal(kept.total_len, counted.total_len);
	assert_int_equal(kept.postings, counted.postings);
}

static struct store *open_store(const char *name)
{
	char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	struct store *s;
	struct gl_error err = { 0 };
	assert_int_equal(store_open(path, 0, 1 << 24, &s, &err), 0);
	return s;
}

/* A doc of four texts and nothing else. */
#define TEXTS(tnl, ten, xnl, xen) \
	{ .title_nl = (tnl), .title_en = (ten), .text_nl = (xnl), .text_en = (xen) }

static const struct doc d_title = TEXTS("Microkrediet voor starters", "Microcredit for starters",
                                        "Een lening tot 25.000 euro.", "A loan up to 25,000 euro.");
static const struct doc d_body = TEXTS("Begeleiding", "Coaching",
                                       "Coaching bij je microkrediet en je financieringen.",
                                       "Coaching with your microcredit and your financing.");
static const struct doc d_cafe = TEXTS("Vergunningen", "Permits",
                                       "Een café of restaurant openen? Financiering nodig?",
                                       "Opening a café or restaurant? Need funding?");
/* two versions of one offer */
static const struct doc v1 = TEXTS("Zebrapad", "Zebra crossing", "Oud.", "Old.");
static const struct doc v2 = TEXTS("Oversteekplaats", "Crossing", "Nieuw.", "New.");
static const struct doc d_event = TEXTS("Infosessie microkrediet", "Microcredit info session",
                                        "Alles over microkrediet.", "All about microcredit.");

static void test_rank(void **state)
{
	(void)state;
	struct store *s = open_store("rank");
	char ids[256];
	double sc[8];
	assert_int_equal(find(s, "microkrediet", 0, NULL, ids, sizeof ids, NULL), 0);
	put(s, sk, RK_OFFER, "body-only", 1, &d_body);
	put(s, sk, RK_OFFER, "in-title", 1, &d_title);
	put(s, sk, RK_OFFER, "cafe", 1, &d_cafe);
	put(s, sk2, RK_EVENT, "session", 1, &d_event);
	check_stats(s, 4);

	/* a title hit ranks above a hit in the description only */
	assert_int_equal(find(s, "microkrediet", RK_OFFER, NULL, ids, sizeof ids, sc), 2);
	assert_string_equal(ids, "in-title body-only");
	assert_true(sc[0] > sc[1] && sc[1] > 0);
	assert_int_equal(find(s, "microcredit", RK_OFFER, "en", ids, sizeof ids, NULL), 2);
	assert_string_equal(ids, "in-title body-only");
	/* kind filter */
	assert_int_equal(find(s, "microkrediet", RK_EVENT, NULL, ids, sizeof ids, NULL), 1);
	assert_string_equal(ids, "session");
	assert_int_equal(find(s, "microkrediet", 0, NULL, ids, sizeof ids, NULL), 3);
	assert_int_equal(find(s, "microkrediet", RK_NEWS, NULL, ids, sizeof ids, NULL), 0);
	/* inflection and accents meet, in either language of the query */
	assert_int_equal(find(s, "financieringen", 0, NULL, ids, sizeof ids, NULL), 2);
	assert_int_equal(find(s, "financieringen", 0, "nl", ids, sizeof ids, NULL), 2);
	assert_int_equal(find(s, "cafe", 0, NULL, ids, sizeof ids, NULL), 1);
	assert_string_equal(ids, "cafe");
	assert_int_equal(find(s, "CAFÉS", 0, "en", ids, sizeof ids, NULL), 1);
	assert_int_equal(find(s, "loans", 0, "en", ids, sizeof ids, NULL), 1);
	assert_string_equal(ids, "in-title");
	/* more query words add up; stop words and unindexed fields find nothing */
	assert_int_equal(find(s, "coaching microkrediet", 0, NULL, ids, sizeof ids, NULL), 3);
	assert_memory_equal(ids, "body-only ", 10); /* the only one with both words */
	assert_int_equal(find(s, "de het een", 0, NULL, ids, sizeof ids, NULL), 0);
	assert_int_equal(find(s, "zebra", 0, NULL, ids, sizeof ids, NULL), 0);
	assert_int_equal(find(s, "", 0, NULL, ids, sizeof ids, NULL), 0);

	/* limits and bad arguments */
	struct store_txn *t;
	struct search_hit *h = (void *)1;
	size_t n = 77;
	struct gl_error err = { 0 };
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	struct search_opts one_hit = { .max_hits = 1 }, node = { .kind = RK_NODE };
	assert_int_equal(search_query(t, "microkrediet", &one_hit, &h, &n, NULL), 0);
	assert_int_equal(n, 1);
	free(h);
	h = (void *)1;
	n = 77;
	assert_int_equal(search_query(t, "x", &node, &h, &n, &err), GL_EINVAL);
	char big[SEARCH_QUERY_MAX + 2];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = 0;
	assert_int_equal(search_query(t, big, NULL, &h, &n, &err), GL_ELIMIT);
	char many[SEARCH_QUERY_WORDS * 4 + 16] = "";
	for (int i = 0; i <= SEARCH_QUERY_WORDS; i++)
		strcat(many, "xyz ");
	assert_int_equal(search_query(t, many, NULL, &h, &n, &err), GL_ELIMIT);
	assert_non_null(strstr(err.msg, "words"));
	assert_true(h == (void *)1 && n == 77); /* untouched on failure */
	store_abort(t);
	store_close(s);
}

/* Hits of one search with max_hits (0: all), in a read transaction. */
static size_t hits_of(struct store *s, const char *q, size_t max, struct search_hit **h)
{
	struct store_txn *t;
	size_t n = 0;
	struct search_opts o = { .max_hits = max };
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	assert_int_equal(search_query(t, q, &o, h, &n, NULL), 0);
	store_abort(t);
	return n;
}

/* A page of the best k (a heap of k) is the first k of the whole list
 * sorted, ties (equal scores) in record key order, for every k. */
static void test_top_k(void **state)
{
	(void)state;
	struct store *s = open_store("topk");
	static const struct doc shapes[3] = {
		TEXTS("Microkrediet", "Microcredit", "Kort.", "Short."),
		TEXTS("Lening", "Loan", "Een microkrediet voor wie start.", "A microcredit."),
		TEXTS("Begeleiding", "Coaching", "Microkrediet en nog veel meer woorden hier.",
		      "Microcredit and many more words here."),
	};
	struct store_txn *t;
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	/* ids put in an order other than their keys', so that document numbers
	 * (the order the index reads in) are not the ties' order */
	for (unsigned i = 0; i < 40; i++) {
		unsigned k = (i * 17) % 40;
		char id[16];
		snprintf(id, sizeof id, "o-%02u", k);
		put_in(t, k % 2 ? sk : sk2, RK_OFFER, id, 1, &shapes[k % 3]);
	}
	assert_int_equal(store_commit(t, NULL), 0);
	struct search_hit *all = NULL;
	size_t n = hits_of(s, "microkrediet", 0, &all);
	assert_int_equal(n, 40);
	size_t ties = 0;
	for (size_t i = 1; i < n; i++) {
		assert_true(all[i - 1].score >= all[i].score);
		if (all[i - 1].score == all[i].score) {
			ties++;
			size_t l = all[i - 1].rkey_len < all[i].rkey_len ? all[i - 1].rkey_len
			                                                 : all[i].rkey_len;
			int c = memcmp(all[i - 1].rkey, all[i].rkey, l);
			assert_true(c < 0 || (c == 0 && all[i - 1].rkey_len < all[i].rkey_len));
		}
	}
	assert_true(ties >= 30); /* three shapes, two authors: mostly ties */
	for (size_t k = 1; k <= n + 1; k++) {
		struct search_hit *h = NULL;
		size_t m = hits_of(s, "microkrediet", k, &h);
		assert_int_equal(m, k < n ? k : n);
		for (size_t i = 0; i < m; i++) {
			assert_int_equal(h[i].rkey_len, all[i].rkey_len);
			assert_memory_equal(h[i].rkey, all[i].rkey, all[i].rkey_len);
			assert_true(h[i].score == all[i].score);
			assert_int_equal(h[i].kind, RK_OFFER);
		}
		free(h);
	}
	free(all);
	store_close(s);
}

/*
 * The state a read transaction reads (what the web server keeps answers
 * by, daemon/web_cache.h): the same for every read of one committed
 * state, another after a commit, 0 in a write transaction, which changes
 * as it writes.
 */
static void test_snapshot(void **state)
{
	(void)state;
	struct store *s = open_store("snapshot");
	put(s, sk, RK_OFFER, "body-only", 1, &d_body);
	struct store_txn *t, *u;
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	assert_int_equal(store_begin(s, false, &u, NULL), 0);
	uint64_t first = store_txn_snapshot(t);
	assert_true(first > 0);
	assert_true(store_txn_snapshot(u) == first);
	store_abort(u);
	store_abort(t);
	put(s, sk, RK_OFFER, "cafe", 1, &d_title);
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	assert_true(store_txn_snapshot(t) > first);
	store_abort(t);
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	assert_int_equal(store_txn_snapshot(t), 0);
	store_abort(t);
	store_close(s);
}

/* Document d as the reader gives it equals textindex_doc's. */
static void same_doc(struct store_txn *t, struct textindex_docs *r, uint64_t d)
{
	bool f1 = true, f2 = false;
	struct textindex_doc a = { 0 }, b = { 0 };
	assert_int_equal(textindex_doc(t, d, &f1, &a, NULL), 0);
	assert_int_equal(textindex_docs_get(r, d, &f2, &b, NULL), 0);
	assert_int_equal(f1, f2);
	if (!f1)
		return;
	assert_int_equal(a.num, d);
	assert_int_equal(b.num, d);
	assert_int_equal(a.len, b.len);
	assert_int_equal(a.kind, b.kind);
	assert_int_equal(a.rlen, b.rlen);
	assert_memory_equal(a.rkey, b.rkey, a.rlen);
}

/* The documents reader (stepping on, or searching) gives what
 * textindex_doc gives, for numbers held and gone, in any order. */
static void test_docs_reader(void **state)
{
	(void)state;
	struct store *s = open_store("docsreader");
	struct store_txn *t;
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	for (unsigned i = 0; i < 90; i++) {
		char id[16];
		snprintf(id, sizeof id, "r-%02u", i);
		put_in(t, sk, i % 4 ? RK_OFFER : RK_EVENT, id, 1, i % 2 ? &d_title : &d_cafe);
	}
	assert_int_equal(store_commit(t, NULL), 0);
	/* gaps: single numbers, and a run longer than TEXTINDEX_DOCS_STEPS */
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	for (unsigned i = 0; i < 90; i++) {
		char id[16];
		snprintf(id, sizeof id, "r-%02u", i);
		if (i % 3 == 0 || (i >= 40 && i < 40 + TEXTINDEX_DOCS_STEPS + 5))
			put_in(t, sk, i % 4 ? RK_OFFER : RK_EVENT, id, 2, NULL);
	}
	assert_int_equal(store_commit(t, NULL), 0);
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	static const unsigned strides[] = { 1, 2, 5, TEXTINDEX_DOCS_STEPS, TEXTINDEX_DOCS_STEPS + 1,
		                            40 };
	for (size_t k = 0; k < sizeof strides / sizeof strides[0]; k++) {
		struct textindex_docs *r;
		assert_int_equal(textindex_docs_open(t, &r, NULL), 0);
		for (uint64_t d = 0; d < 110; d += strides[k])
			same_doc(t, r, d);
		for (uint64_t d = 110; d-- > 0;) /* backwards: a search each */
			same_doc(t, r, d);
		same_doc(t, r, 7);
		same_doc(t, r, 7); /* the one it stands on */
		textindex_docs_close(r);
	}
	store_abort(t);
	store_close(s);
}

static void test_changes(void **state)
{
	(void)state;
	struct store *s = open_store("changes");
	char ids[256];
	put(s, sk, RK_OFFER, "x", 1, &v1);
	put(s, sk, RK_NEWS, "n", 1, &d_title);
	put(s, sk2, RK_PARTNER, "p", 1, &d_cafe);
	check_stats(s, 3);
	assert_int_equal(find(s, "zebra", 0, NULL, ids, sizeof ids, NULL), 1);

	/* an update replaces the old postings */
	put(s, sk, RK_OFFER, "x", 2, &v2);
	check_stats(s, 3);
	assert_int_equal(find(s, "zebra", 0, NULL, ids, sizeof ids, NULL), 0);
	assert_int_equal(find(s, "oversteekplaats", 0, NULL, ids, sizeof ids, NULL), 1);
	assert_string_equal(ids, "x");
	/* news titles are titles too */
	assert_int_equal(find(s, "microkrediet", RK_NEWS, NULL, ids, sizeof ids, NULL), 1);

	/* a retraction removes it */
	put(s, sk, RK_OFFER, "x", 3, NULL);
	check_stats(s, 2);
	assert_int_equal(find(s, "oversteekplaats", 0, NULL, ids, sizeof ids, NULL), 0);
	assert_int_equal(find(s, "crossing", 0, NULL, ids, sizeof ids, NULL), 0);

	/* expiry removes it */
	struct gl_buf env = { 0 };
	make(&env, sk2, RK_EVENT, "soon", 1, 500, &d_event);
	struct store_txn *t;
	struct record r;
	enum store_outcome oc;
	unsigned removed = 0;
	assert_int_equal(record_open(env.data, env.len, &r, NULL), 0);
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	assert_int_equal(store_put(t, &r, &oc, NULL), 0);
	assert_int_equal(store_commit(t, NULL), 0);
	check_stats(s, 3);
	assert_int_equal(find(s, "infosessie", 0, NULL, ids, sizeof ids, NULL), 1);
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	assert_int_equal(store_expire(t, 600, 100, &removed, NULL), 0);
	assert_int_equal(store_commit(t, NULL), 0);
	assert_int_equal(removed, 1);
	check_stats(s, 2);
	assert_int_equal(find(s, "infosessie", 0, NULL, ids, sizeof ids, NULL), 0);

	/* revoking an author removes theirs */
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	assert_int_equal(store_delete_author(t, pk2, &removed, NULL), 0);
	assert_int_equal(store_commit(t, NULL), 0);
	check_stats(s, 1);
	assert_int_equal(find(s, "cafe", 0, NULL, ids, sizeof ids, NULL), 0);
	gl_buf_free(&env);
	store_close(s);
}

/* Postings wait in a write transaction and are written when it commits
 * (store_int.h): several versions of one record in one transaction, a
 * search inside it, a nested transaction and an aborted one must all end
 * as if every posting had been written at once. */
static void test_one_transaction(void **state)
{
	(void)state;
	struct store *s = open_store("onetxn");
	char ids[256];
	struct store_txn *t, *child;
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	put_in(t, sk, RK_OFFER, "x", 1, &v1);
	put_in(t, sk, RK_NEWS, "n", 1, &d_title);
	/* a search in the transaction sees what waits */
	struct search_hit *h = NULL;
	size_t n = 99;
	assert_int_equal(search_query(t, "microkrediet", NULL, &h, &n, NULL), 0);
	assert_int_equal(n, 1);
	free(h);
	/* replaced in the same transaction: v1's postings must not survive */
	put_in(t, sk, RK_OFFER, "x", 2, &v2);
	/* a child adds, and an aborted child's postings never land */
	assert_int_equal(store_begin_child(t, &child, NULL), 0);
	put_in(child, sk2, RK_PARTNER, "p", 1, &d_cafe);
	assert_int_equal(store_commit(child, NULL), 0);
	assert_int_equal(store_begin_child(t, &child, NULL), 0);
	put_in(child, sk2, RK_EVENT, "e", 1, &d_event);
	store_abort(child);
	/* added and retracted in one transaction: nothing of it stays */
	put_in(t, sk, RK_OFFER, "gone", 1, &d_body);
	put_in(t, sk, RK_OFFER, "gone", 2, NULL);
	/* added in the parent, retracted in a child */
	put_in(t, sk, RK_OFFER, "gone2", 1, &d_body);
	assert_int_equal(store_begin_child(t, &child, NULL), 0);
	put_in(child, sk, RK_OFFER, "gone2", 2, NULL);
	assert_int_equal(store_commit(child, NULL), 0);
	assert_int_equal(store_commit(t, NULL), 0);
	check_stats(s, 3);
	assert_int_equal(find(s, "zebra", 0, NULL, ids, sizeof ids, NULL), 0);
	assert_int_equal(find(s, "oversteekplaats", 0, NULL, ids, sizeof ids, NULL), 1);
	assert_string_equal(ids, "x");
	assert_int_equal(find(s, "cafe", 0, NULL, ids, sizeof ids, NULL), 1);
	assert_string_equal(ids, "p");
	assert_int_equal(find(s, "infosessie", 0, NULL, ids, sizeof ids, NULL), 0);
	assert_int_equal(find(s, "coaching", 0, NULL, ids, sizeof ids, NULL), 0);
	/* an aborted transaction leaves nothing either */
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	put_in(t, sk2, RK_EVENT, "e", 1, &d_event);
	store_abort(t);
	check_stats(s, 3);
	assert_int_equal(find(s, "infosessie", 0, NULL, ids, sizeof ids, NULL), 0);
	store_close(s);
}

/* Many documents, updated and retracted at random; the counts stay exact and a
 * rebuilt index ranks the same. */
static void test_stats_churn(void **state)
{
	(void)state;
	struct store *s = open_store("churn");
	const struct doc docs[] = { d_title, d_body, d_cafe, d_event };
	uint64_t version[40] = { 0 };
	bool live[40] = { false };
	unsigned seed = 7, nlive = 0;
	for (int step = 0; step < 200; step++) {
		seed = seed * 1103515245u + 12345u;
		unsigned i = (seed >> 8) % 40, which = (seed >> 20) % 5;
		char id[16];
		snprintf(id, sizeof id, "d%u", i);
		put(s, i % 2 ? sk : sk2, RK_OFFER + (int)(i % 3), id, ++version[i],
		    which < 4 ? &docs[which] : NULL);
		nlive += (which < 4) - live[i];
		live[i] = which < 4;
	}
	check_stats(s, nlive);
	char before[4096], after[4096];
	double sb[64], sa[64];
	size_t n = find(s, "microkrediet financiering cafe", 0, NULL, before, sizeof before, sb);
	assert_true(n > 0);

	struct store_txn *t;
	struct gl_error err = { 0 };
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	assert_int_equal(textindex_rebuild(t, NULL, &err), GL_EINVAL);
	store_abort(t);
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	assert_int_equal(textindex_rebuild(t, NULL, &err), 0);
	assert_int_equal(store_commit(t, NULL), 0);
	check_stats(s, nlive);
	assert_int_equal(find(s, "microkrediet financiering cafe", 0, NULL, after, sizeof after, sa), n);
	assert_string_equal(before, after);
	for (size_t i = 0; i < n; i++)
		assert_true(sa[i] == sb[i]);
	store_close(s);
}

/*
 * Terms cut before the transaction (as ingest does on its checking
 * threads, here on another thread) index a record exactly as terms cut in
 * it: the same hits, scores and counts.  A cut not ready is cut again.
 */
struct cut_job {
	struct record r;
	struct textindex_terms cut;
	int rc;
};

static void *cut_thread(void *arg)
{
	struct cut_job *j = arg;
	j->rc = textindex_cut(&j->r, &j->cut, NULL);
	return NULL;
}

static void test_cut_before(void **state)
{
	(void)state;
	const struct doc *docs[] = { &d_title, &d_body, &d_cafe, &d_event, &v1, &v2 };
	const int kinds[] = { RK_OFFER, RK_OFFER, RK_NEWS, RK_EVENT, RK_PARTNER, RK_OFFER };
	struct store *in = open_store("cut-in"), *before = open_store("cut-before");
	for (size_t i = 0; i < 6; i++) {
		char id[8];
		snprintf(id, sizeof id, "c%zu", i);
		put(in, sk, kinds[i], id, 1, docs[i]);
		struct gl_buf env = { 0 };
		make(&env, sk, kinds[i], id, 1, 1000, docs[i]);
		struct cut_job j = { .cut = { .ready = false } };
		assert_int_equal(record_open(env.data, env.len, &j.r, NULL), 0);
		pthread_t th;
		if (i != 5) { /* the last one goes without: cut in the transaction */
			assert_int_equal(pthread_create(&th, NULL, cut_thread, &j), 0);
			assert_int_equal(pthread_join(th, NULL), 0);
			assert_int_equal(j.rc, 0);
			assert_true(j.cut.ready);
			assert_true(j.cut.length > 0);
		}
		uint8_t cid[RECORD_CID_LEN], item[RECORD_ITEM_LEN];
		record_cid(j.r.env, j.r.env_len, cid);
		record_item(&j.r, cid, item);
		struct store_txn *t;
		enum store_outcome oc;
		assert_int_equal(store_begin(before, true, &t, NULL), 0);
		assert_int_equal(store_put_hashed(t, &j.r, cid, item, &j.cut, &oc, NULL), 0);
		assert_int_equal(oc, STORE_NEW);
		assert_int_equal(store_commit(t, NULL), 0);
		textindex_terms_free(&j.cut);
		gl_buf_free(&env);
	}
	check_stats(in, 6);
	check_stats(before, 6);
	static const char *const queries[] = { "microkrediet", "coaching financing", "cafe",
	                                       "crossing", "infosessie starters" };
	for (size_t q = 0; q < sizeof queries / sizeof queries[0]; q++) {
		char a[256], b[256];
		double sa[8], sb[8];
		size_t n = find(in, queries[q], 0, NULL, a, sizeof a, sa);
		assert_true(n > 0);
		assert_int_equal(find(before, queries[q], 0, NULL, b, sizeof b, sb), n);
		assert_string_equal(a, b);
		for (size_t i = 0; i < n; i++)
			assert_true(sa[i] == sb[i]);
	}
	store_close(in);
	store_close(before);
}

/* A write (or read) transaction on the raw LMDB environment at path,
 * for making the damage and the old layouts the store must cope with;
 * end it with mdb_txn_commit or mdb_txn_abort, then mdb_env_close. */
static MDB_txn *raw_begin(const char *path, bool write, MDB_env **env)
{
	MDB_txn *txn;
	assert_int_equal(mdb_env_create(env), 0);
	assert_int_equal(mdb_env_set_maxdbs(*env, 24), 0);
	assert_int_equal(mdb_env_open(*env, path, write ? 0 : MDB_RDONLY, 0600), 0);
	assert_int_equal(mdb_txn_begin(*env, NULL, write ? 0 : MDB_RDONLY, &txn), 0);
	return txn;
}

/*
 * The statistics lost (and with them the next document number), the last
 * document's entry lost with them, or a next number behind one given: the
 * index is out of step, and a new document could take a number whose
 * postings remain.  A read-only open refuses to search, naming the fix; a
 * write open rebuilds the index before anything is written.
 */
static void test_lost_stats(void **state)
{
	(void)state;
	for (int damage = 0; damage < 4; damage++) {
		char name[16], path[128];
		snprintf(name, sizeof name, "lost%d", damage);
		snprintf(path, sizeof path, "%s/%s", dir, name);
		struct store *s = open_store(name);
		put(s, sk, RK_OFFER, "c0", 1, &d_title);
		put(s, sk, RK_OFFER, "c1", 1, &d_body);
		put(s, sk, RK_EVENT, "c2", 1, &d_event);
		store_close(s);

		/* 0: nothing lost; 1: the stats; 2: the stats and the last
		 * document's number; 3: the stats say the next number is 3 */
		MDB_env *env;
		MDB_txn *txn;
		MDB_dbi docs, docnums;
		uint8_t stats[] = { 0, 's', 't', 'a', 't', 's' }, three[6] = { 0, 0, 0, 0, 0, 3 };
		MDB_val k = { .mv_size = sizeof stats, .mv_data = stats }, v;
		MDB_val dk = { .mv_size = sizeof three, .mv_data = three };
		txn = raw_begin(path, true, &env);
		assert_int_equal(mdb_dbi_open(txn, "docs", 0, &docs), 0);
		assert_int_equal(mdb_dbi_open(txn, "docnums", 0, &docnums), 0);
		if (damage == 1 || damage == 2)
			assert_int_equal(mdb_del(txn, docs, &k, NULL), 0);
		if (damage == 2)
			assert_int_equal(mdb_del(txn, docnums, &dk, NULL), 0);
		if (damage == 3) {
			uint8_t st[24];
			assert_int_equal(mdb_get(txn, docs, &k, &v), 0);
			assert_int_equal(v.mv_size, sizeof st);
			memcpy(st, v.mv_data, sizeof st);
			assert_int_equal(st[16], 4); /* next, little-endian */
			st[16] = 3;
			v = (MDB_val){ .mv_size = sizeof st, .mv_data = st };
			assert_int_equal(mdb_put(txn, docs, &k, &v, 0), 0);
		}
		assert_int_equal(mdb_txn_commit(txn), 0);
		mdb_env_close(env);

		struct store_txn *t;
		struct search_hit *h = NULL;
		struct gl_error err = { 0 };
		size_t n;
		if (damage == 1 || damage == 2) {
			assert_int_equal(store_open(path, STORE_RDONLY, 0, &s, NULL), 0);
			assert_int_equal(store_begin(s, false, &t, NULL), 0);
			assert_int_equal(search_query(t, "infosessie", NULL, &h, &n, &err),
			                 GL_ESTORE);
			assert_non_null(strstr(err.msg, "statistics are lost"));
			assert_non_null(strstr(err.msg, "gilded"));
			free(h);
			store_abort(t);
			store_close(s);
		}

		s = open_store(name);
		uint64_t skipped = 1;
		assert_int_equal(store_reindexed(s, &skipped, NULL), damage != 0);
		assert_int_equal(skipped, 0);
		/* the same title as c2's: had c3 taken c2's number, c2's postings
		 * would lead to c3, and c2 would not be found */
		put(s, sk2, RK_EVENT, "c3", 1, &d_event);
		char ids[128];
		assert_int_equal(find(s, "infosessie", 0, NULL, ids, sizeof ids, NULL), 2);
		assert_true(!strcmp(ids, "c2 c3") || !strcmp(ids, "c3 c2"));
		check_stats(s, 4);
		assert_int_equal(find(s, "microkrediet", 0, NULL, ids, sizeof ids, NULL), 4);
		store_close(s);
	}
}

/* A made-up word of three syllables for n (< 70^3): letters only. */
static void syllables(unsigned n, char out[8])
{
	static const char cons[] = "bdfgklmnprstvz", vow[] = "aeiou";
	for (int i = 0; i < 3; i++, n /= 70) {
		out[2 * i] = cons[n % 70 / 5];
		out[2 * i + 1] = vow[n % 5];
	}
	out[6] = 0;
}

/*
 * One transaction that indexes more postings than wait in memory
 * (PENDING_MAX in textindex_pend.c, 65,536): the postings are written part way and
 * the rest after, a shared word's in both parts.  Nothing is lost or
 * doubled at the seam.
 */
static void test_flush_past_pending(void **state)
{
	(void)state;
	enum { NREC = 600, OWN = 120 };
	struct store *s = open_store("pending");
	struct store_txn *t;
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	static char text[NREC][OWN * 7 + 64];
	char id[16], title[32];
	for (unsigned i = 0; i < NREC; i++) {
		char *p = text[i];
		p += sprintf(p, "zonnepaneel");
		for (unsigned j = 0; j < OWN; j++) {
			char w[8];
			syllables(i * OWN + j, w);
			p += sprintf(p, " %s", w);
		}
		snprintf(id, sizeof id, "p%u", i);
		snprintf(title, sizeof title, "Aanbod %u", i);
		struct doc d = TEXTS(title, title, text[i], text[i]);
		put_in(t, i % 2 ? sk : sk2, RK_OFFER, id, 1, &d);
	}
	struct gl_error err = { 0 };
	if (store_commit(t, &err))
		fail_msg("commit: %s", err.msg);
	check_stats(s, NREC);
	struct textindex_counts st;
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	assert_int_equal(textindex_stats(t, &st, NULL), 0);
	store_abort(t);
	assert_true(st.postings > 65536); /* more than wait at once */
	static char ids[NREC * 6];
	assert_int_equal(find(s, "zonnepaneel", 0, "nl", ids, sizeof ids, NULL), NREC);

	/* emptied in steps of TEXTINDEX_EMPTY_STEP_TERMS terms (a rebuild's
	 * first phase), more than one for these 70,000-odd terms */
	unsigned steps = 0;
	bool empty = false;
	while (!empty && steps < 100) {
		assert_int_equal(store_begin(s, true, &t, NULL), 0);
		assert_int_equal(textindex_empty_step(t, TEXTINDEX_EMPTY_STEP_TERMS, &empty, NULL), 0);
		assert_int_equal(store_commit(t, NULL), 0);
		steps++;
	}
	assert_true(empty);
	assert_true(steps >= 2);
	assert_true(steps <= st.postings / TEXTINDEX_EMPTY_STEP_TERMS + 2);
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	assert_int_equal(textindex_stats(t, &st, NULL), 0);
	store_abort(t);
	assert_int_equal(st.docs, 0);
	assert_int_equal(st.postings, 0);
	assert_int_equal(find(s, "zonnepaneel", 0, "nl", ids, sizeof ids, NULL), 0);
	store_close(s);
}

/*
 * Turn the layout 4 store at path into what layout 3 wrote: "terms" with
 * postings by record key (one kept: "microkrediet" in the title of
 * (pk, offer, "micro")), docs of rkey -> length u32, kind u8 and stats of
 * documents u64, total length u64; no postings or docnums; layout 3.
 */
static void to_layout3(const char *path)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi, docs, docnums, meta;
	MDB_cursor *c;
	MDB_val k, v;
	txn = raw_begin(path, true, &env);
	assert_int_equal(mdb_dbi_open(txn, "docs", 0, &docs), 0);
	assert_int_equal(mdb_dbi_open(txn, "docnums", 0, &docnums), 0);
	/* docs again in layout 3's form, from docnums' length, kind, rkey */
	uint8_t stats[] = { 0, 's', 't', 'a', 't', 's' }, st3[16];
	k = (MDB_val){ .mv_size = sizeof stats, .mv_data = stats };
	assert_int_equal(mdb_get(txn, docs, &k, &v), 0);
	assert_int_equal(v.mv_size, 24);
	memcpy(st3, v.mv_data, sizeof st3);
	assert_int_equal(mdb_drop(txn, docs, 0), 0);
	v = (MDB_val){ .mv_size = sizeof st3, .mv_data = st3 };
	assert_int_equal(mdb_put(txn, docs, &k, &v, 0), 0);
	assert_int_equal(mdb_cursor_open(txn, docnums, &c), 0);
	int rc;
	size_t ndocs = 0;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		uint8_t val[5], rkey[128];
		assert_true(v.mv_size > 5 && v.mv_size - 5 <= sizeof rkey);
		memcpy(val, v.mv_data, 5);
		memcpy(rkey, (const uint8_t *)v.mv_data + 5, v.mv_size - 5);
		MDB_val rk = { .mv_size = v.mv_size - 5, .mv_data = rkey };
		MDB_val dv = { .mv_size = sizeof val, .mv_data = val };
		assert_int_equal(mdb_put(txn, docs, &rk, &dv, 0), 0);
		ndocs++;
	}
	assert_int_equal(rc, MDB_NOTFOUND);
	assert_true(ndocs > 0);
	mdb_cursor_close(c);
	assert_int_equal(mdb_drop(txn, docnums, 1), 0);
	assert_int_equal(mdb_dbi_open(txn, "postings", 0, &dbi), 0);
	assert_int_equal(mdb_drop(txn, dbi, 1), 0);
	assert_int_equal(mdb_dbi_open(txn, "terms", MDB_CREATE, &dbi), 0);
	uint8_t okey[64] = "microkrediet", tf[2] = { 1, 0 };
	size_t at = strlen("microkrediet") + 1;
	okey[at++] = 1; /* || 0 || title || rkey */
	memcpy(okey + at, pk, 32);
	okey[at + 32] = RK_OFFER;
	memcpy(okey + at + 33, "micro", 5);
	MDB_val ok = { .mv_size = at + 38, .mv_data = okey };
	MDB_val ov = { .mv_size = 2, .mv_data = tf };
	assert_int_equal(mdb_put(txn, dbi, &ok, &ov, 0), 0);
	uint8_t three = 3;
	k = (MDB_val){ .mv_size = 6, .mv_data = "layout" };
	v = (MDB_val){ .mv_size = 1, .mv_data = &three };
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	assert_int_equal(mdb_put(txn, meta, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

/* The store's layout, and whether it has "terms", read straight from LMDB. */
static unsigned raw_layout(const char *path, bool *has_terms)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = { .mv_size = 6, .mv_data = "layout" }, v;
	txn = raw_begin(path, false, &env);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
	assert_int_equal(mdb_get(txn, dbi, &k, &v), 0);
	assert_int_equal(v.mv_size, 1);
	unsigned layout = *(const uint8_t *)v.mv_data;
	*has_terms = mdb_dbi_open(txn, "terms", 0, &dbi) == 0;
	mdb_txn_abort(txn);
	mdb_env_close(env);
	return layout;
}

/*
 * Layout 3 kept postings by record key in "terms"; layout 4 keys them by
 * document number in "postings".  A read-only open of a layout 3 store
 * reads its records but refuses to search, naming the fix; a write open
 * rebuilds the index, drops "terms" and says layout 4.
 */
static void test_layout_upgrade(void **state)
{
	(void)state;
	struct store *s = open_store("old");
	put(s, sk, RK_OFFER, "micro", 1, &d_title);
	put(s, sk2, RK_OFFER, "coach", 1, &d_body);
	put(s, sk2, RK_EVENT, "info", 1, &d_event);
	char before[256], after[256];
	double sb[8], sa[8];
	size_t n = find(s, "microkrediet", 0, NULL, before, sizeof before, sb);
	assert_int_equal(n, 3);
	assert_false(store_reindexed(s, NULL, NULL));
	store_close(s);

	char path[128];
	bool terms;
	snprintf(path, sizeof path, "%s/old", dir);
	to_layout3(path);
	assert_int_equal(raw_layout(path, &terms), 3);
	assert_true(terms);

	/* read-only: the records read, the search names the fix */
	struct store_txn *t;
	struct store_entry e;
	struct search_hit *h = NULL;
	struct gl_error err = { 0 };
	assert_int_equal(store_open(path, STORE_RDONLY, 0, &s, NULL), 0);
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	assert_int_equal(store_get(t, pk, RK_OFFER, "micro", 5, &e, NULL), 0);
	assert_int_equal(search_query(t, "microkrediet", NULL, &h, &n, &err), GL_ESTORE);
	assert_non_null(strstr(err.msg, "older store layout"));
	assert_non_null(strstr(err.msg, "gilded"));
	store_abort(t);
	store_close(s);

	/* a write open rebuilds: the same hits, the same scores, STORE_LAYOUT */
	s = open_store("old");
	uint64_t skipped = 1;
	assert_true(store_reindexed(s, &skipped, NULL));
	assert_int_equal(skipped, 0);
	check_stats(s, 3);
	assert_int_equal(find(s, "microkrediet", 0, NULL, after, sizeof after, sa), 3);
	assert_string_equal(before, after);
	for (size_t i = 0; i < 3; i++)
		assert_true(sa[i] == sb[i]);
	store_close(s);
	assert_int_equal(raw_layout(path, &terms), STORE_LAYOUT);
	assert_false(terms);
}

/* The hits of q with a limit of k (by blocks) into out, as find's. */
static size_t find_limited(struct store *s, const char *q, size_t k, char *out, size_t outn)
{
	struct store_txn *t;
	struct search_hit *h = NULL;
	size_t n = 99;
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	struct search_opts o = { .max_hits = k };
	assert_int_equal(search_query(t, q, &o, &h, &n, NULL), 0);
	out[0] = 0;
	for (size_t i = 0; i < n; i++) {
		struct store_entry e;
		assert_int_equal(search_hit_entry(t, &h[i], &e, NULL), 0);
		snprintf(out + strlen(out), outn - strlen(out), "%s%.*s", i ? " " : "",
		         (int)e.id_len, e.id);
	}
	free(h);
	store_abort(t);
	return n;
}

/*
 * Layout 5 had no block maxima ("blocks"): a read-only open refuses to
 * search it, naming the fix; a write open rebuilds the index, which
 * fills them, and says layout 6; a query with a limit then agrees with
 * one without.
 */
static void test_layout5_blocks(void **state)
{
	(void)state;
	struct store *s = open_store("five");
	put(s, sk, RK_OFFER, "micro", 1, &d_title);
	put(s, sk2, RK_OFFER, "coach", 1, &d_body);
	put(s, sk2, RK_EVENT, "info", 1, &d_event);
	char all[256], page[256];
	assert_int_equal(find(s, "microkrediet", 0, NULL, all, sizeof all, NULL), 3);
	store_close(s);
	char path[128];
	snprintf(path, sizeof path, "%s/five", dir);
	MDB_env *env;
	MDB_dbi meta, blocks;
	MDB_txn *txn = raw_begin(path, true, &env);
	uint8_t five = 5;
	MDB_val k = { .mv_size = 6, .mv_data = "layout" }, v = { .mv_size = 1, .mv_data = &five };
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	assert_int_equal(mdb_put(txn, meta, &k, &v, 0), 0);
	assert_int_equal(mdb_dbi_open(txn, "blocks", 0, &blocks), 0);
	assert_int_equal(mdb_drop(txn, blocks, 1), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);

	struct store_txn *t;
	struct search_hit *h = NULL;
	size_t n;
	struct gl_error err = { 0 };
	assert_int_equal(store_open(path, STORE_RDONLY, 0, &s, NULL), 0);
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	assert_int_equal(search_query(t, "microkrediet", NULL, &h, &n, &err), GL_ESTORE);
	assert_non_null(strstr(err.msg, "older store layout"));
	store_abort(t);
	store_close(s);

	s = open_store("five");
	assert_true(store_reindexed(s, NULL, NULL));
	assert_int_equal(find(s, "microkrediet", 0, NULL, page, sizeof page, NULL), 3);
	assert_string_equal(all, page);
	assert_int_equal(find_limited(s, "microkrediet", 2, page, sizeof page), 2);
	assert_memory_equal(all, page, strlen(page));
	store_close(s);
	bool terms;
	assert_int_equal(raw_layout(path, &terms), STORE_LAYOUT);
	txn = raw_begin(path, false, &env);
	MDB_stat ms;
	assert_int_equal(mdb_dbi_open(txn, "blocks", 0, &blocks), 0);
	assert_int_equal(mdb_stat(txn, blocks, &ms), 0);
	assert_true(ms.ms_entries > 0);
	mdb_txn_abort(txn);
	mdb_env_close(env);
}

/* Whether meta holds the mark of a rebuild under way (reindex.c). */
static bool raw_marked(const char *path)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = { .mv_size = 7, .mv_data = "reindex" }, v;
	txn = raw_begin(path, false, &env);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
	bool marked = mdb_get(txn, dbi, &k, &v) == 0;
	mdb_txn_abort(txn);
	mdb_env_close(env);
	return marked;
}

/* A read-only open of path refuses to search, naming the fix. */
static void search_refused(const char *path)
{
	struct store *s;
	struct store_txn *t;
	struct search_hit *h = NULL;
	struct gl_error err = { 0 };
	size_t n;
	assert_int_equal(store_open(path, STORE_RDONLY, 0, &s, NULL), 0);
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	assert_int_equal(search_query(t, "lening", NULL, &h, &n, &err), GL_ESTORE);
	assert_non_null(strstr(err.msg, "gilded"));
	store_abort(t);
	store_close(s);
}

/*
 * An upgrade that fails part way (here: the map is too small for the new
 * index) leaves the store at layout 3, not searchable until gilded runs
 * again; the next open with room finishes it.
 */
static void test_upgrade_fails_whole(void **state)
{
	(void)state;
	struct store *s = open_store("tight");
	char id[16];
	for (int i = 0; i < 200; i++) {
		snprintf(id, sizeof id, "o%d", i);
		put(s, i % 2 ? sk : sk2, RK_OFFER, id, 1, i % 3 ? &d_body : &d_cafe);
	}
	put(s, sk, RK_OFFER, "micro", 1, &d_title);
	store_close(s);
	char path[128], tight[128];
	snprintf(path, sizeof path, "%s/tight", dir);
	to_layout3(path);
	/* a copy without free pages: the rebuild needs pages past its end */
	snprintf(tight, sizeof tight, "%s/tight-copy", dir);
	assert_int_equal(mkdir(tight, 0700), 0);
	MDB_env *env;
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_open(env, path, MDB_RDONLY, 0600), 0);
	assert_int_equal(mdb_env_copy2(env, tight, MDB_CP_COMPACT), 0);
	mdb_env_close(env);

	struct gl_error err = { 0 };
	assert_int_equal(store_open(tight, 0, 4096, &s, &err), GL_ENOSPC);
	assert_non_null(strstr(err.msg, tight));
	assert_non_null(strstr(err.msg, "map_size"));
	bool terms;
	assert_int_equal(raw_layout(tight, &terms), 3);
	search_refused(tight);

	assert_int_equal(store_open(tight, 0, 1 << 24, &s, &err), 0);
	assert_true(store_reindexed(s, NULL, NULL));
	check_stats(s, 201);
	char ids[64];
	assert_int_equal(find(s, "lening", 0, NULL, ids, sizeof ids, NULL), 1);
	assert_string_equal(ids, "micro");
	store_close(s);
	assert_int_equal(raw_layout(tight, &terms), STORE_LAYOUT);
	assert_false(terms);
	assert_false(raw_marked(tight));
}

/*
 * The rebuild runs in steps of TEXTINDEX_STEP_RECORDS records, each a
 * transaction, and goes on after a crash from where its mark says: here
 * the states a crash while emptying the old index and after the first
 * step of indexing leave.  Every record is indexed, once.
 */
static void test_rebuild_resumes(void **state)
{
	(void)state;
	enum { N = 2 * TEXTINDEX_STEP_RECORDS + 500 };
	struct store *s = open_store("resume");
	struct store_txn *t;
	char id[16];
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	for (int i = 0; i < N; i++) {
		snprintf(id, sizeof id, "r%05d", i);
		put_in(t, i % 2 ? sk : sk2, RK_OFFER, id, 1, i == N - 1 ? &d_title : &d_body);
	}
	assert_int_equal(store_commit(t, NULL), 0);
	store_close(s);
	char path[128];
	snprintf(path, sizeof path, "%s/resume", dir);
	to_layout3(path);

	/* a rebuild cut short while it emptied the old index */
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi meta;
	txn = raw_begin(path, true, &env);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	uint8_t mark[1] = { 1 };
	MDB_val k = { .mv_size = 7, .mv_data = "reindex" }, v = { .mv_size = 1, .mv_data = mark };
	assert_int_equal(mdb_put(txn, meta, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	assert_true(raw_marked(path));
	search_refused(path);

	/* a mark of the emptying phase: the old index emptied, then every
	 * record indexed */
	struct store_options o = { .map_size = 1 << 26 };
	assert_int_equal(store_open_with(path, &o, &s, NULL), 0);
	unsigned steps = 0;
	uint64_t skipped = 1;
	assert_true(store_reindexed(s, &skipped, &steps));
	assert_int_equal(skipped, 0);
	/* one emptying the index (its terms fit one step), then 2,000 + 2,000
	 * + 500 records, the last ending it */
	assert_int_equal(steps, 4);
	check_stats(s, N);
	char ids[64];
	assert_int_equal(find(s, "lening", 0, NULL, ids, sizeof ids, NULL), 1);
	snprintf(id, sizeof id, "r%05d", N - 1);
	assert_string_equal(ids, id);

	/* now a rebuild cut short after its first step, for real: the mark
	 * after the first step's last key, the index of that step kept */
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	uint8_t last[STORE_KEY_MAX], at[1 + STORE_KEY_MAX];
	size_t last_len;
	bool done;
	assert_int_equal(textindex_empty(t, NULL), 0);
	assert_int_equal(textindex_rebuild_step(t, NULL, 0, last, &last_len, &done, NULL, NULL), 0);
	assert_false(done);
	at[0] = 2; /* indexing, after this key */
	memcpy(at + 1, last, last_len);
	assert_int_equal(store_meta_put(t, "reindex", at, 1 + last_len, NULL), 0);
	assert_int_equal(store_commit(t, NULL), 0);
	store_close(s);
	search_refused(path);
	assert_int_equal(store_open_with(path, &o, &s, NULL), 0);
	assert_true(store_reindexed(s, NULL, &steps));
	assert_int_equal(steps, 2); /* the rest: 2,000 + 500 */
	check_stats(s, N);
	assert_int_equal(find(s, "lening", 0, NULL, ids, sizeof ids, NULL), 1);
	assert_string_equal(ids, id);
	store_close(s);
	bool terms;
	assert_int_equal(raw_layout(path, &terms), STORE_LAYOUT);
	assert_false(raw_marked(path));
}

/*
 * A held record that does not parse (damage, or a stricter parser than
 * the one that took it) is left out of a rebuilt index, counted, and does
 * not stop the store from opening.
 */
static void test_upgrade_skips_unparsable(void **state)
{
	(void)state;
	struct store *s = open_store("skip");
	put(s, sk, RK_OFFER, "micro", 1, &d_title);
	put(s, sk2, RK_OFFER, "coach", 1, &d_body);
	store_close(s);
	char path[128];
	snprintf(path, sizeof path, "%s/skip", dir);
	to_layout3(path);

	/* spoil the envelope of (pk2, offer, "coach"): after the 64-byte header */
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi records;
	uint8_t rkey[32 + 1 + 5];
	memcpy(rkey, pk2, 32);
	rkey[32] = RK_OFFER;
	memcpy(rkey + 33, "coach", 5);
	MDB_val k = { .mv_size = sizeof rkey, .mv_data = rkey }, v;
	txn = raw_begin(path, true, &env);
	assert_int_equal(mdb_dbi_open(txn, "records", 0, &records), 0);
	assert_int_equal(mdb_get(txn, records, &k, &v), 0);
	uint8_t *copy = malloc(v.mv_size);
	assert_non_null(copy);
	assert_true(v.mv_size > 65);
	memcpy(copy, v.mv_data, v.mv_size);
	copy[64] = 0xc1; /* a byte msgpack never uses */
	v.mv_data = copy;
	assert_int_equal(mdb_put(txn, records, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	free(copy);
	mdb_env_close(env);

	s = open_store("skip");
	uint64_t skipped = 0;
	assert_true(store_reindexed(s, &skipped, NULL));
	assert_int_equal(skipped, 1);
	char ids[64];
	assert_int_equal(find(s, "microkrediet", 0, NULL, ids, sizeof ids, NULL), 1);
	assert_string_equal(ids, "micro");
	assert_int_equal(find(s, "begeleiding", 0, NULL, ids, sizeof ids, NULL), 0);
	store_close(s);
	bool terms;
	assert_int_equal(raw_layout(path, &terms), STORE_LAYOUT);
	assert_false(terms);
}

/* Every term and position of a text, as "pos:term " in one string. */
struct all_terms {
	char s[16384];
	size_t len;
};

static int all_cb(void *ctx, const char *term, size_t len, unsigned pos, unsigned flags)
{
	(void)flags;
	struct all_terms *a = ctx;
	int n = snprintf(a->s + a->len, sizeof a->s - a->len, "%u:%.*s ", pos, (int)len, term);
	assert_true(n > 0 && (size_t)n < sizeof a->s - a->len);
	a->len += (size_t)n;
	return 0;
}

/* ASCII text takes a path of its own (text.c); it must give what the
 * general path gives.  The same text with a no-break space after it goes
 * the general way (the space is not ASCII) and has the same tokens. */
static void test_ascii_path(void **state)
{
	(void)state;
	struct text_stemmers st = { 0 }, mem = { 0 };
	assert_int_equal(text_stemmers_init(&st, NULL), 0);
	/* and stemmers that remember stems give the same terms (text.h) */
	assert_int_equal(text_stemmers_init(&mem, NULL), 0);
	text_stemmers_remember(&mem);
	static const char *const langs[] = { "nl", "en", "fr", "" };
	static const char pick[] = "aAbBcCdDeEfFgGhHiIjJkKlLmMnNoOpPqQrRsStTuUvVwWxXyYzZ0123456789"
	                           "     .,;:-_'\"!?()/@#&+*\t\n";
	uint64_t x = 20261123;
	char text[400], twin[404];
	for (int round = 0; round < 3000; round++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		size_t len = (size_t)(x >> 33) % 300;
		for (size_t i = 0; i < len; i++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			unsigned r = (unsigned)(x >> 33);
			/* mostly words and separators; now and then any ASCII byte, NUL too,
			 * and now and then a long run of one letter (a token over the limit) */
			if (r % 50 == 0)
				text[i] = (char)((r >> 8) % 128);
			else if (r % 97 == 0 && i + 70 < len)
				for (size_t j = 0; j < 70; j++)
					text[i++] = 'q';
			else
				text[i] = pick[(r >> 8) % (sizeof pick - 1)];
		}
		memcpy(twin, text, len);
		memcpy(twin + len, "\xc2\xa0", 2);
		for (int l = 0; l < 4; l++) {
			struct all_terms a = { .len = 0 }, b = { .len = 0 }, c = { .len = 0 };
			assert_int_equal(text_terms(&st, text, len, langs[l], 0, all_cb, &a, NULL), 0);
			assert_int_equal(text_terms(&st, twin, len + 2, langs[l], 0, all_cb, &b, NULL), 0);
			assert_int_equal(text_terms(&mem, text, len, langs[l], 0, all_cb, &c, NULL), 0);
			a.s[a.len] = b.s[b.len] = c.s[c.len] = 0;
			assert_string_equal(a.s, b.s);
			assert_string_equal(a.s, c.s);
		}
	}
	/* and one case spelled out: folded, digits kept, a one-letter token dropped */
	struct all_terms a = { .len = 0 };
	assert_int_equal(text_terms(&st, "Startup FINANCING 2026 x", 24, "", 0, all_cb, &a, NULL), 0);
	a.s[a.len] = 0;
	assert_string_equal(a.s, "0:startup 1:financing 2:2026 ");
	/* a remembered stem, asked again, and the word that stemmed to it;
	 * remembered stop words stay dropped, in one language and not the other */
	for (int k = 0; k < 2; k++) {
		struct all_terms b = { .len = 0 };
		assert_int_equal(text_terms(&mem, "Financieringen financiering", 27, "nl", 0, all_cb, &b,
		                            NULL), 0);
		b.s[b.len] = 0;
		assert_string_equal(b.s, "0:financier 1:financier ");
		static const char stops[] = "de financiering van de stad the";
		struct all_terms c = { .len = 0 }, d = { .len = 0 };
		assert_int_equal(text_terms(&mem, stops, sizeof stops - 1, "nl", 0, all_cb, &c, NULL), 0);
		assert_int_equal(text_terms(&mem, stops, sizeof stops - 1, "en", 0, all_cb, &d, NULL), 0);
		c.s[c.len] = d.s[d.len] = 0;
		assert_string_equal(c.s, "1:financier 4:stad 5:the ");
		assert_string_equal(d.s, "0:de 1:financi 2:van 3:de 4:stad ");
	}
	text_stemmers_free(&st);
	text_stemmers_free(&mem);
}

/* ---- what starters type (issue 20) ---- */

/* Search with options; the hits' ids as find() gives them. */
static size_t find_o(struct store *s, const char *q, const struct search_opts *o, char *out,
                     size_t outn, double *scores)
{
	struct store_txn *t;
	struct search_hit *h = NULL;
	size_t n = 99;
	struct gl_error err = { 0 };
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	int rc = search_query(t, q, o, &h, &n, &err);
	if (rc)
		fail_msg("search \"%s\": %s", q, err.msg);
	out[0] = 0;
	for (size_t i = 0; i < n; i++) {
		struct store_entry e;
		assert_int_equal(search_hit_entry(t, &h[i], &e, NULL), 0);
		if (scores)
			scores[i] = h[i].score;
		snprintf(out + strlen(out), outn - strlen(out), "%s%.*s", i ? " " : "",
		         (int)e.id_len, e.id);
	}
	free(h);
	store_abort(t);
	return n;
}

/* The hits of q as a string of ids (any language, no kind). */
static const char *hits(struct store *s, const char *q, int kind)
{
	static char out[4][512];
	static int next;
	char *o = out[next++ % 4];
	find(s, q, kind, NULL, o, 512, NULL);
	return o;
}

/*
 * The Dutch and English labels of a record's needs, sectors and
 * activities are searchable (textindex.h): words that stand in no text of
 * the record find it; a narrower need brings its parent's label; an
 * unknown tag is passed over.  A label weighs less than a title and more
 * than a word of the description.
 */
static void test_labels(void **state)
{
	(void)state;
	struct store *s = open_store("labels");
	const struct doc soft = { .title_nl = "Welkom in de stad", .title_en = "Welcome to town",
	                          .text_nl = "Wij helpen je bedrijf hier op weg.",
	                          .text_en = "We help your company find its way here.",
	                          .needs = { "soft-landing" } };
	const struct doc loan = { .title_nl = "Startkapitaal", .title_en = "Money to start",
	                          .text_nl = "Tot 25.000 euro, terug in vijf jaar.",
	                          .text_en = "Up to 25,000 euro, paid back in five years.",
	                          .needs = { "financing-loan", "time-travel" } };
	const struct doc shop = { .title_nl = "Een plek in de stad", .title_en = "A place in town",
	                          .text_nl = "Huur een pand.", .text_en = "Rent a building.",
	                          .sectors = { "hospitality" }, .activities = { "shop" } };
	const struct doc lab = { .title_nl = "Labodag", .title_en = "Lab day",
	                         .text_nl = "Kom kijken.", .text_en = "Come and see.",
	                         .sectors = { "biotech" } };
	put(s, sk, RK_OFFER, "soft", 1, &soft);
	put(s, sk, RK_OFFER, "loan", 1, &loan);
	put(s, sk, RK_OFFER, "shop", 1, &shop);
	put(s, sk, RK_EVENT, "lab", 1, &lab);
	check_stats(s, 4);
	/* the need's labels, Dutch and English, in any order and inflection */
	assert_string_equal(hits(s, "soft landing", 0), "soft");
	assert_string_equal(hits(s, "landing", 0), "soft");
	assert_string_equal(hits(s, "buitenland vestigen", 0), "soft");
	/* a narrower need: its own label and its parent's */
	assert_string_equal(hits(s, "lening", 0), "loan");
	assert_string_equal(hits(s, "loans", 0), "loan");
	assert_string_equal(hits(s, "financiering", 0), "loan");
	assert_string_equal(hits(s, "funding", 0), "loan");
	/* an offer's sectors and activities in its eligibility; an event's at the top */
	assert_string_equal(hits(s, "horeca", 0), "shop");
	assert_string_equal(hits(s, "winkel", 0), "shop");
	assert_string_equal(hits(s, "biotechnologie", 0), "lab");
	/* the tag's id is no label: only its words are */
	assert_string_equal(hits(s, "time-travel", 0), "");

	/* title above label above description: three offers of one length */
	struct store *r = open_store("labels-rank");
	const struct doc in_title = { .title_nl = "Subsidie voor starters",
	                              .title_en = "Subsidy for starters",
	                              .text_nl = "Vraag het aan bij ons.", .text_en = "Ask us." };
	const struct doc in_label = { .title_nl = "Geld voor starters",
	                              .title_en = "Money for starters",
	                              .text_nl = "Vraag het aan bij ons.", .text_en = "Ask us.",
	                              .needs = { "financing-grant" } };
	const struct doc in_text = { .title_nl = "Geld voor starters",
	                             .title_en = "Money for starters",
	                             .text_nl = "Vraag een subsidie aan bij ons.",
	                             .text_en = "Ask us for a subsidy." };
	put(r, sk, RK_OFFER, "c-text", 1, &in_text);
	put(r, sk, RK_OFFER, "b-label", 1, &in_label);
	put(r, sk, RK_OFFER, "a-title", 1, &in_title);
	double sc[4];
	char ids[128];
	assert_int_equal(find(r, "subsidie", 0, NULL, ids, sizeof ids, sc), 3);
	assert_string_equal(ids, "a-title b-label c-text");
	assert_true(sc[0] > sc[1] && sc[1] > sc[2]);
	store_close(r);
	store_close(s);
}

/* The Ghent sample's way of writing partners: a name, a short text. */
static struct doc partner_doc(const char *name, const char *text)
{
	return (struct doc)TEXTS(name, name, text, text);
}

/*
 * A partner's name finds its offers, events and news (search.h): those
 * that name it in "partner", or name none when it is the author's first
 * partner record; not another author's.  The partner ranks above what it
 * lends its name to; its description lends nothing; a renamed partner is
 * found by its new name at once.
 */
static void test_partner_names(void **state)
{
	(void)state;
	struct store *s = open_store("partners");
	struct doc wc = partner_doc("Wintercircus", "Een gebouw.");
	struct doc aa = partner_doc("Atelier Aap", "Een werkplaats.");
	const struct doc rooms = { .title_nl = "Zalen", .title_en = "Rooms", .text_nl = "Te huur.",
	                           .text_en = "To rent.", .partner = "wc" };
	const struct doc desk = { .title_nl = "Werkplekken in het Wintercircus",
	                          .title_en = "Desks in the Wintercircus",
	                          .text_nl = "Te huur.", .text_en = "To rent.", .partner = "wc" };
	const struct doc demo = { .title_nl = "Demodag", .title_en = "Demo day",
	                          .text_nl = "Toon je product.", .text_en = "Show your product.",
	                          .partner = "wc" };
	const struct doc own = TEXTS("Kasten", "Cupboards", "Te huur.", "To rent.");
	const struct doc other = { .title_nl = "Elders", .title_en = "Elsewhere",
	                           .text_nl = "Te huur.", .text_en = "To rent.", .partner = "wc" };
	put(s, sk, RK_PARTNER, "wc", 1, &wc);
	put(s, sk, RK_PARTNER, "aa", 1, &aa); /* the author's first partner record, by id */
	put(s, sk, RK_OFFER, "wc-rooms", 1, &rooms);
	put(s, sk, RK_OFFER, "wc-desk", 1, &desk);
	put(s, sk, RK_EVENT, "wc-demo", 1, &demo);
	put(s, sk, RK_OFFER, "aa-own", 1, &own);
	put(s, sk2, RK_OFFER, "other", 1, &other);
	char ids[256];
	double sc[8];
	assert_int_equal(find(s, "wintercircus", 0, NULL, ids, sizeof ids, sc), 4);
	assert_memory_equal(ids, "wc ", 3); /* the partner first */
	assert_non_null(strstr(ids, "wc-rooms"));
	assert_non_null(strstr(ids, "wc-desk"));
	assert_non_null(strstr(ids, "wc-demo"));
	/* what holds only the lent name scores alike, below the partner */
	assert_int_equal(find(s, "wintercircus", RK_EVENT, NULL, ids, sizeof ids, sc), 1);
	double demo_sc = sc[0];
	assert_int_equal(find(s, "wintercircus", RK_OFFER, NULL, ids, sizeof ids, sc), 2);
	assert_string_equal(ids, "wc-desk wc-rooms");
	assert_true(sc[1] == demo_sc);
	assert_int_equal(find(s, "wintercircus", RK_PARTNER, NULL, ids, sizeof ids, sc), 1);
	assert_true(sc[0] > demo_sc);
	/* a record's own word and a word its partner's name lends it add up,
	 * once per record */
	assert_int_equal(find(s, "wintercircus demodag", 0, NULL, ids, sizeof ids, sc), 4);
	assert_memory_equal(ids, "wc-demo ", 8);
	assert_true(sc[0] > demo_sc);
	/* no "partner": the author's first partner record's */
	assert_string_equal(hits(s, "atelier", 0), "aa aa-own");
	/* a partner's description is not its name */
	assert_string_equal(hits(s, "gebouw", 0), "wc");
	/* renamed: the new name finds the records, the old one only a title that says it */
	struct doc renamed = partner_doc("Circusgebouw", "Een gebouw.");
	put(s, sk, RK_PARTNER, "wc", 2, &renamed);
	assert_string_equal(hits(s, "wintercircus", 0), "wc-desk");
	assert_int_equal(find(s, "circusgebouw", 0, NULL, ids, sizeof ids, NULL), 4);
	check_stats(s, 7);
	store_close(s);
}

/*
 * Several partners of one author whose names hold the query's words: each
 * record gets the names of its own partner only (read once per author).
 */
static void test_partner_names_one_author(void **state)
{
	(void)state;
	struct store *s = open_store("partners-one-author");
	struct doc north = partner_doc("Haven Noord", "Een kade.");
	struct doc south = partner_doc("Haven Zuid", "Een dok.");
	const struct doc o1 = { .title_nl = "Kraan", .title_en = "Crane", .text_nl = "Te huur.",
	                        .text_en = "To rent.", .partner = "h1" };
	const struct doc o2 = { .title_nl = "Loods", .title_en = "Shed", .text_nl = "Te huur.",
	                        .text_en = "To rent.", .partner = "h2" };
	const struct doc o3 = TEXTS("Steiger", "Jetty", "Te huur.", "To rent.");
	put(s, sk, RK_PARTNER, "h2", 1, &south);
	put(s, sk, RK_PARTNER, "h1", 1, &north); /* the first by id */
	put(s, sk, RK_OFFER, "o1", 1, &o1);
	put(s, sk, RK_OFFER, "o2", 1, &o2);
	put(s, sk, RK_OFFER, "o3", 1, &o3);
	char ids[256];
	assert_int_equal(find(s, "haven", 0, NULL, ids, sizeof ids, NULL), 5);
	assert_int_equal(find(s, "noord", RK_OFFER, NULL, ids, sizeof ids, NULL), 2);
	assert_non_null(strstr(ids, "o1"));
	assert_non_null(strstr(ids, "o3")); /* no "partner": the first partner's */
	assert_int_equal(find(s, "zuid", RK_OFFER, NULL, ids, sizeof ids, NULL), 1);
	assert_string_equal(ids, "o2");
	assert_int_equal(find(s, "noord zuid", RK_OFFER, NULL, ids, sizeof ids, NULL), 3);
	store_close(s);
}

/*
 * prefer: every language's rules, the preferred one's forms in full and
 * the others' at SEARCH_OTHER_LANG; lang: one language's rules only.  Two
 * offers of one length, one saying "coaching" in Dutch (its Dutch stem
 * "coaching"), the other in English ("coach").
 */
static void test_prefer(void **state)
{
	(void)state;
	struct store *s = open_store("prefer");
	const struct doc nl = TEXTS("Hulp", "Help", "Coaching voor je zaak.",
	                            "Guidance for your business.");
	const struct doc en = TEXTS("Hulp", "Help", "Begeleiding voor je zaak.",
	                            "Coaching for your business.");
	put(s, sk, RK_OFFER, "in-nl", 1, &nl);
	put(s, sk, RK_OFFER, "in-en", 1, &en);
	char ids[128];
	double sc[4];
	struct search_opts o = { .prefer = "en" };
	assert_int_equal(find_o(s, "coaching", &o, ids, sizeof ids, sc), 2);
	assert_string_equal(ids, "in-en in-nl");
	/* the other language's form counts SEARCH_OTHER_LANG of the same score */
	assert_true(fabs(sc[1] / sc[0] - SEARCH_OTHER_LANG) < 1e-9);
	o.prefer = "nl";
	assert_int_equal(find_o(s, "coaching", &o, ids, sizeof ids, sc), 2);
	assert_string_equal(ids, "in-nl in-en");
	assert_true(fabs(sc[1] / sc[0] - SEARCH_OTHER_LANG) < 1e-9);
	/* without: both in full, equal */
	assert_int_equal(find(s, "coaching", 0, NULL, ids, sizeof ids, sc), 2);
	assert_true(sc[0] == sc[1]);
	store_close(s);
	s = open_store("prefer-nl");
	put(s, sk2, RK_OFFER, "body", 1, &d_body);
	put(s, sk2, RK_OFFER, "cafe", 1, &d_cafe);
	put(s, sk2, RK_OFFER, "micro", 1, &d_title);
	/* a Dutch word on the English page: found, as without prefer; with
	 * English rules only, not */
	char all[128];
	o.prefer = "en";
	assert_int_equal(find(s, "financieringen", 0, NULL, all, sizeof all, NULL), 2);
	assert_int_equal(find_o(s, "financieringen", &o, ids, sizeof ids, NULL), 2);
	assert_string_equal(ids, all);
	assert_int_equal(find(s, "financieringen", 0, "en", ids, sizeof ids, NULL), 0);
	/* not both */
	struct store_txn *t;
	struct search_hit *h = NULL;
	size_t n = 0;
	struct gl_error err = { 0 };
	o.lang = "nl";
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	assert_int_equal(search_query(t, "coaching", &o, &h, &n, &err), GL_EINVAL);
	assert_non_null(strstr(err.msg, "prefer"));
	store_abort(t);
	store_close(s);
}

/*
 * Short words count only beside a longer word of the query that the
 * record holds (search.h): "level up" does not find a record for its
 * "up"; a query of short words only finds what holds them.  Compounds
 * find each other whichever way they are written.
 */
static void test_weak_words(void **state)
{
	(void)state;
	struct store *s = open_store("weak");
	const struct doc level_up = TEXTS("Level Up", "Level Up", "Een netwerk voor groeiers.",
	                                  "A network for scale-ups.");
	const struct doc start_up = TEXTS("Opstarten", "Starting up", "Zo begin je.",
	                                  "How to begin.");
	const struct doc level = TEXTS("Een hoger niveau", "The next level", "Groei.", "Growth.");
	const struct doc scaleup = TEXTS("Groeigeld", "Growth money", "Voor een scaleup.",
	                                 "For a scaleup.");
	const struct doc apart = TEXTS("Weegschaal", "The scale", "Het gaat op.", "It goes up.");
	const struct doc spin1 = TEXTS("Een spin-off", "A spin-off", "Uit onderzoek.",
	                               "Out of research.");
	const struct doc spin2 = TEXTS("Een spinoff", "A spinoff", "Uit onderzoek.",
	                               "Out of research.");
	put(s, sk, RK_OFFER, "level-up", 1, &level_up);
	put(s, sk, RK_OFFER, "start-up", 1, &start_up);
	put(s, sk, RK_OFFER, "level", 1, &level);
	put(s, sk, RK_OFFER, "scaleup", 1, &scaleup);
	put(s, sk, RK_OFFER, "apart", 1, &apart);
	put(s, sk, RK_OFFER, "spin1", 1, &spin1);
	put(s, sk, RK_OFFER, "spin2", 1, &spin2);
	check_stats(s, 7);
	char ids[256];
	assert_int_equal(find(s, "level up", 0, NULL, ids, sizeof ids, NULL), 2);
	assert_string_equal(ids, "level-up level");
	/* alone, a short word finds what holds it (scale-ups: "up" in English) */
	assert_int_equal(find(s, "up", 0, NULL, ids, sizeof ids, NULL), 3);
	assert_non_null(strstr(ids, "start-up"));
	assert_non_null(strstr(ids, "apart"));
	/* a compound is one word: not its parts apart */
	assert_int_equal(find(s, "scale-up", 0, NULL, ids, sizeof ids, NULL), 2);
	assert_true(!strcmp(ids, "level-up scaleup") || !strcmp(ids, "scaleup level-up"));
	char joined[256];
	assert_int_equal(find(s, "scaleup", 0, NULL, joined, sizeof joined, NULL), 2);
	assert_string_equal(ids, joined);
	assert_int_equal(find(s, "spinoff", 0, NULL, ids, sizeof ids, NULL), 2);
	assert_int_equal(find(s, "spin-off", 0, NULL, ids, sizeof ids, NULL), 2);
	assert_int_equal(find(s, "spin-offs", 0, "en", ids, sizeof ids, NULL), 2);
	store_close(s);
}

/* The rules in meta (textindex.h), raw: *found, and whether they are this build's. */
static bool raw_rules(const char *path, bool *found)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = { .mv_size = strlen(TEXTINDEX_RULES_KEY), .mv_data = TEXTINDEX_RULES_KEY }, v;
	uint8_t want[TEXTINDEX_RULES_LEN];
	textindex_rules(want);
	txn = raw_begin(path, false, &env);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
	*found = mdb_get(txn, dbi, &k, &v) == 0;
	bool same = *found && v.mv_size == sizeof want && !memcmp(v.mv_data, want, sizeof want);
	mdb_txn_abort(txn);
	mdb_env_close(env);
	return same;
}

/* Set the rules in meta (NULL: take them out). */
static void raw_set_rules(const char *path, const uint8_t *rules)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = { .mv_size = strlen(TEXTINDEX_RULES_KEY), .mv_data = TEXTINDEX_RULES_KEY };
	MDB_val v = { .mv_size = TEXTINDEX_RULES_LEN, .mv_data = (void *)rules };
	txn = raw_begin(path, true, &env);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
	assert_int_equal(rules ? mdb_put(txn, dbi, &k, &v, 0) : mdb_del(txn, dbi, &k, NULL), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

/*
 * A store indexed by other rules (an older gilde, another taxonomy: the
 * version or the labels' digest differ, or no rules at all) is not
 * searched read-only, and a write open rebuilds its index and writes this
 * build's rules; a new store has them from the start.
 */
static void test_rules_rebuild(void **state)
{
	(void)state;
	char path[128];
	bool found;
	snprintf(path, sizeof path, "%s/rules", dir);
	struct store *s = open_store("rules");
	assert_false(store_reindexed(s, NULL, NULL));
	const struct doc soft = { .title_nl = "Welkom", .title_en = "Welcome",
	                          .text_nl = "Hier.", .text_en = "Here.",
	                          .needs = { "soft-landing" } };
	put(s, sk, RK_OFFER, "soft", 1, &soft);
	put(s, sk, RK_OFFER, "micro", 1, &d_title);
	store_close(s);
	assert_true(raw_rules(path, &found));
	uint8_t other[TEXTINDEX_RULES_LEN];
	for (int variant = 0; variant < 3; variant++) {
		textindex_rules(other);
		if (variant == 0)
			other[0] ^= 1; /* another version */
		if (variant == 1)
			other[TEXTINDEX_RULES_LEN - 1] ^= 1; /* other labels */
		raw_set_rules(path, variant < 2 ? other : NULL);
		assert_false(raw_rules(path, &found));
		assert_int_equal(found, variant < 2);
		struct store *ro;
		struct store_txn *t;
		struct search_hit *h = NULL;
		size_t n = 0;
		struct gl_error err = { 0 };
		assert_int_equal(store_open(path, STORE_RDONLY, 0, &ro, NULL), 0);
		assert_int_equal(store_begin(ro, false, &t, NULL), 0);
		assert_int_equal(search_query(t, "landing", NULL, &h, &n, &err), GL_ESTORE);
		assert_non_null(strstr(err.msg, "other search rules"));
		store_abort(t);
		store_close(ro);
		s = open_store("rules");
		assert_true(store_reindexed(s, NULL, NULL));
		check_stats(s, 2);
		assert_string_equal(hits(s, "soft landing", 0), "soft");
		store_close(s);
		assert_true(raw_rules(path, &found));
	}
	/* and once rebuilt, not again */
	s = open_store("rules");
	assert_false(store_reindexed(s, NULL, NULL));
	store_close(s);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	tu_keypair(1, pk, sk);
	tu_keypair(2, pk2, sk2);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_terms),
		cmocka_unit_test(test_compounds),
		cmocka_unit_test(test_dutch_plural),
		cmocka_unit_test(test_ascii_path),
		cmocka_unit_test(test_rank),
		cmocka_unit_test(test_top_k),
		cmocka_unit_test(test_snapshot),
		cmocka_unit_test(test_docs_reader),
		cmocka_unit_test(test_changes),
		cmocka_unit_test(test_one_transaction),
		cmocka_unit_test(test_stats_churn),
		cmocka_unit_test(test_cut_before),
		cmocka_unit_test(test_lost_stats),
		cmocka_unit_test(test_flush_past_pending),
		cmocka_unit_test(test_layout_upgrade),
		cmocka_unit_test(test_layout5_blocks),
		cmocka_unit_test(test_upgrade_fails_whole),
		cmocka_unit_test(test_rebuild_resumes),
		cmocka_unit_test(test_upgrade_skips_unparsable),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_partner_names),
		cmocka_unit_test(test_partner_names_one_author),
		cmocka_unit_test(test_prefer),
		cmocka_unit_test(test_weak_words),
		cmocka_unit_test(test_rules_rebuild),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * test_textqueue.c — records indexed after their commit (textindex.h):
 * a record stored with its terms deferred is not found until
 * textindex_catch_up indexes it, textindex_behind counts it meanwhile,
 * the counts stay in step (textindex_recount) through replacements,
 * deletions, a step lost with its transaction, a reopen and a rebuild.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>

#include "testutil.h"
#include "tu_store.h"
#include "query/search.h"
#include "store/textindex.h"

static uint8_t pk[32], sk[64];
static char dir[64];

static struct store *open_store(const char *name)
{
	char path[160];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	struct store *s;
	struct gl_error err = { 0 };
	if (store_open(path, 0, 1 << 26, &s, &err))
		fail_msg("open: %s", err.msg);
	return s;
}

/* Sign news id (version) with these words and store it in t as ingest
 * does: its terms deferred (tombstone if words is NULL). */
static void put_deferred_in(struct store_txn *t, const char *id, uint64_t version,
                            const char *words)
{
	struct gl_buf body = { 0 }, env = { 0 };
	if (words) {
		char js[512];
		snprintf(js, sizeof js, "{\"title\": {\"nl\": \"%s\", \"en\": \"%s\"}, "
		         "\"summary\": {\"nl\": \"%s\"}, \"url\": \"https://example.org/n\", "
		         "\"published\": \"2026-01-01\"}", words, words, words);
		json_error_t je;
		json_t *j = json_loads(js, 0, &je);
		assert_non_null(j);
		assert_int_equal(jsonmp_pack(j, NULL, &body, NULL), 0);
		json_decref(j);
	}
	struct record_draft d = { .kind = RK_NEWS, .id = id, .id_len = strlen(id),
	                          .version = version, .issued = 1700000000, .expires = 4000000000u,
	                          .body = body.data, .body_len = body.len };
	struct record r;
	uint8_t cid[RECORD_CID_LEN], item[RECORD_ITEM_LEN];
	struct textindex_terms terms = { .defer = true };
	enum store_outcome oc;
	struct gl_error err = { 0 };
	assert_int_equal(record_sign(&d, sk, &env, NULL), 0);
	assert_int_equal(record_parse(env.data, env.len, &r, NULL), 0);
	record_cid(env.data, env.len, cid);
	record_item(&r, cid, item);
	if (store_put_hashed(t, &r, cid, item, &terms, &oc, &err))
		fail_msg("put: %s", err.msg);
	assert_true(oc == STORE_NEW || oc == STORE_REPLACED);
	gl_buf_free(&body);
	gl_buf_free(&env);
}

static void put_deferred(struct store *s, const char *id, uint64_t version, const char *words)
{
	struct store_txn *t;
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	put_deferred_in(t, id, version, words);
	assert_int_equal(store_commit(t, NULL), 0);
}

/* Hits for q; how many records wait, read in the same transaction. */
static size_t hits(struct store *s, const char *q, uint64_t *behind)
{
	struct store_txn *t;
	struct search_hit *h = NULL;
	size_t n = 0;
	struct gl_error err = { 0 };
	struct search_opts o = { 0 };
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	if (search_query(t, q, &o, &h, &n, &err))
		fail_msg("search: %s", err.msg);
	assert_int_equal(textindex_behind(t, behind, NULL), 0);
	free(h);
	store_abort(t);
	return n;
}

/* One catch-up step of at most max records, committed; what is left. */
static uint64_t catch_up(struct store *s, unsigned max)
{
	struct store_txn *t;
	uint64_t left = 99;
	struct gl_error err = { 0 };
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	if (textindex_catch_up(t, max, &left, NULL, &err))
		fail_msg("catch up: %s", err.msg);
	assert_int_equal(store_commit(t, NULL), 0);
	return left;
}

/* The index's counts against the records': docs indexed, records waiting. */
static void check_counts(struct store *s, uint64_t docs, uint64_t waiting)
{
	struct store_txn *t;
	struct textindex_counts kept, counted;
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	assert_int_equal(textindex_stats(t, &kept, NULL), 0);
	assert_int_equal(textindex_recount(t, &counted, NULL), 0);
	store_abort(t);
	assert_int_equal(kept.docs, docs);
	assert_int_equal(counted.docs, docs);
	assert_int_equal(kept.total_len, counted.total_len);
	assert_int_equal(kept.postings, counted.postings);
	assert_int_equal(counted.waiting, waiting);
	assert_true(kept.waiting >= counted.waiting);
}

/* A record committed, then indexed: not found, counted as behind, until
 * the catch-up; then found and nothing waits. */
static void test_committed_then_indexed(void **state)
{
	(void)state;
	struct store *s = open_store("one");
	uint64_t behind;
	put_deferred(s, "n1", 1, "Zeppelinlening voor starters");
	assert_int_equal(hits(s, "zeppelinlening", &behind), 0);
	assert_int_equal(behind, 1);
	check_counts(s, 0, 1);
	assert_int_equal(catch_up(s, TEXTINDEX_CATCH_UP_RECORDS), 0);
	assert_int_equal(hits(s, "zeppelinlening", &behind), 1);
	assert_int_equal(behind, 0);
	check_counts(s, 1, 0);
	/* a catch-up with nothing waiting changes nothing */
	assert_int_equal(catch_up(s, TEXTINDEX_CATCH_UP_RECORDS), 0);
	check_counts(s, 1, 0);
	store_close(s);
}

/* Replaced and deleted while waiting: the newer version is indexed once,
 * the deleted record not at all, and the queue drains. */
static void test_replaced_while_waiting(void **state)
{
	(void)state;
	struct store *s = open_store("replaced");
	uint64_t behind;
	put_deferred(s, "r", 1, "Zebrapad oud");
	put_deferred(s, "r", 2, "Oversteekplaats nieuw");
	put_deferred(s, "gone", 1, "Luchtballon");
	put_deferred(s, "gone", 2, NULL); /* retracted */
	check_counts(s, 0, 1);
	assert_int_equal(hits(s, "oversteekplaats", &behind), 0);
	/* every entry counts until the queue reaches it (a tombstone queues none) */
	assert_int_equal(behind, 3);
	assert_int_equal(catch_up(s, 1), 2); /* r's first entry: indexes version 2 */
	assert_int_equal(hits(s, "oversteekplaats", &behind), 1);
	assert_int_equal(hits(s, "zebrapad", &behind), 0);
	check_counts(s, 1, 0);
	assert_int_equal(catch_up(s, TEXTINDEX_CATCH_UP_RECORDS), 0);
	assert_int_equal(hits(s, "luchtballon", &behind), 0);
	assert_int_equal(behind, 0);
	check_counts(s, 1, 0);
	/* a waiting record replaced after it was indexed: its document goes,
	 * the new version waits */
	put_deferred(s, "r", 3, "Fietspad");
	assert_int_equal(hits(s, "oversteekplaats", &behind), 0);
	assert_int_equal(behind, 1);
	check_counts(s, 0, 1);
	assert_int_equal(catch_up(s, TEXTINDEX_CATCH_UP_RECORDS), 0);
	assert_int_equal(hits(s, "fietspad", &behind), 1);
	check_counts(s, 1, 0);
	store_close(s);
}

#define MANY 3000

/* A crash between the commit and the indexing: a step whose transaction
 * never commits, then the store closed and opened again.  The catch-up
 * goes on from the mark: every record indexed once. */
static void test_crash_resumes(void **state)
{
	(void)state;
	struct store *s = open_store("crash");
	struct store_txn *t;
	char id[32], words[64];
	uint64_t behind, left = 0;
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	for (int i = 0; i < MANY; i++) {
		snprintf(id, sizeof id, "n%d", i);
		snprintf(words, sizeof words, "Broedplaats nummer%d", i);
		put_deferred_in(t, id, 1, words);
	}
	assert_int_equal(store_commit(t, NULL), 0);
	assert_int_equal(catch_up(s, 1000), MANY - 1000);
	/* the next step is lost with its transaction, as in a crash */
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	assert_int_equal(textindex_catch_up(t, 1000, &left, NULL, NULL), 0);
	assert_int_equal(left, MANY - 2000);
	store_abort(t);
	store_close(s);
	s = open_store("crash");
	assert_int_equal(hits(s, "broedplaats", &behind), 1000);
	assert_int_equal(behind, MANY - 1000);
	check_counts(s, 1000, MANY - 1000);
	while (catch_up(s, 700) > 0)
		;
	assert_int_equal(hits(s, "broedplaats", &behind), MANY);
	assert_int_equal(behind, 0);
	assert_int_equal(hits(s, "nummer2999", &behind), 1);
	check_counts(s, MANY, 0);
	store_close(s);
}

/* A rebuild indexes every record: nothing waits after it. */
static void test_rebuild_empties_queue(void **state)
{
	(void)state;
	struct store *s = open_store("rebuild");
	struct store_txn *t;
	uint64_t behind;
	put_deferred(s, "a", 1, "Kantoorruimte");
	put_deferred(s, "b", 1, "Kantoorruimte");
	assert_int_equal(catch_up(s, 1), 1);
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	assert_int_equal(textindex_rebuild(t, NULL, NULL), 0);
	assert_int_equal(store_commit(t, NULL), 0);
	assert_int_equal(hits(s, "kantoorruimte", &behind), 2);
	assert_int_equal(behind, 0);
	check_counts(s, 2, 0);
	/* new records queue after the emptied queue */
	put_deferred(s, "c", 1, "Kantoorruimte");
	assert_int_equal(hits(s, "kantoorruimte", &behind), 2);
	assert_int_equal(behind, 1);
	assert_int_equal(catch_up(s, 10), 0);
	assert_int_equal(hits(s, "kantoorruimte", &behind), 3);
	check_counts(s, 3, 0);
	store_close(s);
}

/* The first k hits of q with a limit (by blocks, search_block.c) are
 * those of the query without one (every document scored), bit for bit. */
static void limit_agrees(struct store *s, const char *q, size_t k)
{
	struct store_txn *t;
	struct search_hit *all = NULL, *page = NULL;
	size_t nall = 0, npage = 0;
	struct search_work work = { 0 };
	struct search_opts o = { 0 }, lim = { .max_hits = k, .work = &work };
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	assert_int_equal(search_query(t, q, &o, &all, &nall, NULL), 0);
	assert_int_equal(search_query(t, q, &lim, &page, &npage, NULL), 0);
	assert_int_equal(npage, nall < k ? nall : k);
	for (size_t i = 0; i < npage; i++) {
		assert_true(page[i].score == all[i].score);
		assert_int_equal(page[i].rkey_len, all[i].rkey_len);
		assert_memory_equal(page[i].rkey, all[i].rkey, all[i].rkey_len);
	}
	assert_true(work.blocks_passed > 0);
	free(all);
	free(page);
	store_abort(t);
}

/* Records indexed after their commit keep the block maxima right: a
 * query with a limit agrees with one without after the queue is caught
 * up, and again after records are replaced (a longer text, a better one)
 * and retracted while they wait. */
static void test_blocks_after_queue(void **state)
{
	(void)state;
	struct store *s = open_store("blocks");
	struct store_txn *t;
	char id[32], words[128];
	uint64_t behind;
	assert_int_equal(store_begin(s, true, &t, NULL), 0);
	for (unsigned i = 0; i < 1200; i++) {
		snprintf(id, sizeof id, "n-%04u", (i * 7919u) % 10000);
		snprintf(words, sizeof words, i % 300 == 5 ? "kantoor kantoor kantoor %u" :
		         "kantoor met een langere tekst van nummer %u", i);
		put_deferred_in(t, id, 1, words);
	}
	assert_int_equal(store_commit(t, NULL), 0);
	while (catch_up(s, 500) > 0)
		;
	limit_agrees(s, "kantoor", 5);
	snprintf(id, sizeof id, "n-%04u", (5 * 7919u) % 10000);
	put_deferred(s, id, 2, "kantoor in een veel langere tekst dan eerst stond");
	snprintf(id, sizeof id, "n-%04u", (600 * 7919u) % 10000);
	put_deferred(s, id, 2, "kantoor kantoor kantoor kantoor");
	snprintf(id, sizeof id, "n-%04u", (905 * 7919u) % 10000);
	put_deferred(s, id, 2, NULL);
	assert_true(hits(s, "kantoor", &behind) > 0 && behind > 0);
	while (catch_up(s, 2) > 0)
		;
	limit_agrees(s, "kantoor", 5);
	limit_agrees(s, "kantoor", 1);
	check_counts(s, 1199, 0);
	store_close(s);
}

int main(void)
{
	if (sodium_init() < 0 || tu_tmpdir(dir, "textqueue"))
		return 1;
	tu_keypair(7, pk, sk);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_committed_then_indexed),
		cmocka_unit_test(test_replaced_while_waiting),
		cmocka_unit_test(test_crash_resumes),
		cmocka_unit_test(test_rebuild_empties_queue),
		cmocka_unit_test(test_blocks_after_queue),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	tu_rmtree(dir);
	return rc;
}

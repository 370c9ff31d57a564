/*
 * test_web_cache.c — the web server's kept answers (daemon/web_cache.c):
 * found only for the store's state they were made from, the least recently
 * used dropped first, bounded in count and in size.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "daemon/web_cache.h"

static void key_of(uint8_t key[WEB_CACHE_KEY_LEN], int i)
{
	memset(key, 0, WEB_CACHE_KEY_LEN);
	key[0] = (uint8_t)i;
}

static bool holds(struct web_cache *wc, int i, uint64_t gen, const char *want)
{
	uint8_t key[WEB_CACHE_KEY_LEN];
	size_t len = 0;
	key_of(key, i);
	char *got = web_cache_get(wc, key, gen, &len);
	bool ok = got && want && len == strlen(want) && !memcmp(got, want, len);
	bool none = !got && !want;
	free(got);
	return ok || none;
}

static void put(struct web_cache *wc, int i, uint64_t gen, const char *text)
{
	uint8_t key[WEB_CACHE_KEY_LEN];
	key_of(key, i);
	web_cache_put(wc, key, gen, text, strlen(text));
}

static void test_generation(void **state)
{
	(void)state;
	struct web_cache *wc = web_cache_new(4);
	assert_non_null(wc);
	put(wc, 1, 7, "{\"a\":1}");
	assert_true(holds(wc, 1, 7, "{\"a\":1}"));
	assert_true(holds(wc, 1, 8, NULL));  /* the store changed */
	assert_true(holds(wc, 1, 7, NULL));  /* ... and it is gone for good */
	assert_true(holds(wc, 2, 7, NULL));
	uint64_t hits, misses;
	web_cache_counts(wc, &hits, &misses);
	assert_int_equal(hits, 1);
	assert_int_equal(misses, 3);
	put(wc, 1, 9, "new");
	put(wc, 1, 9, "newer"); /* the same key again: replaced, not doubled */
	assert_true(holds(wc, 1, 9, "newer"));
	web_cache_free(wc);
}

static void test_least_recently_used(void **state)
{
	(void)state;
	struct web_cache *wc = web_cache_new(3);
	put(wc, 1, 1, "one");
	put(wc, 2, 1, "two");
	put(wc, 3, 1, "three");
	assert_true(holds(wc, 1, 1, "one")); /* 1 used: 2 is now the oldest */
	put(wc, 4, 1, "four");
	assert_true(holds(wc, 2, 1, NULL));
	assert_true(holds(wc, 1, 1, "one"));
	assert_true(holds(wc, 3, 1, "three"));
	assert_true(holds(wc, 4, 1, "four"));
	web_cache_free(wc);
}

static void test_bounds(void **state)
{
	(void)state;
	assert_null(web_cache_new(0)); /* off */
	assert_true(holds(NULL, 1, 1, NULL));
	put(NULL, 1, 1, "nothing kept");
	struct web_cache *wc = web_cache_new(64);
	size_t big = WEB_CACHE_ANSWER_MAX + 1;
	char *text = malloc(big + 1);
	memset(text, 'x', big);
	text[big] = '\0';
	put(wc, 1, 1, text); /* over the most one answer may be */
	assert_true(holds(wc, 1, 1, NULL));
	/* answers of the largest size: the bytes bound keeps so many */
	text[WEB_CACHE_ANSWER_MAX] = '\0';
	unsigned fit = WEB_CACHE_BYTES_MAX / WEB_CACHE_ANSWER_MAX;
	for (unsigned i = 0; i <= fit; i++)
		put(wc, (int)i + 2, 1, text);
	assert_true(holds(wc, 2, 1, NULL)); /* the first went to make room */
	for (unsigned i = 1; i <= fit; i++)
		assert_true(holds(wc, (int)i + 2, 1, text));
	free(text);
	web_cache_free(wc);
}

/* Keys differ where the question differs, whatever its parts' bytes. */
static void test_keys(void **state)
{
	(void)state;
	uint8_t a[WEB_CACHE_KEY_LEN], b[WEB_CACHE_KEY_LEN];
	const char *const ab_c[] = { "ab", "c" }, *const a_bc[] = { "a", "bc" };
	const char *const none[] = { NULL }, *const empty[] = { "" };
	web_cache_key(a, "search", ab_c, 2);
	web_cache_key(b, "search", a_bc, 2);
	assert_memory_not_equal(a, b, WEB_CACHE_KEY_LEN);
	web_cache_key(a, "search", none, 1);
	web_cache_key(b, "search", empty, 1);
	assert_memory_not_equal(a, b, WEB_CACHE_KEY_LEN);
	web_cache_key(a, "search", ab_c, 2);
	web_cache_key(b, "match", ab_c, 2);
	assert_memory_not_equal(a, b, WEB_CACHE_KEY_LEN);
	web_cache_key(b, "search", ab_c, 2);
	assert_memory_equal(a, b, WEB_CACHE_KEY_LEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generation),
		cmocka_unit_test(test_least_recently_used),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests: the eligibility rule shared by match and the offer lists
 * (daemon/query/eligibility.c). */
#include "testutil.h"

#include <jansson.h>

#include "query/eligibility.h"
#include "schemas/jsonmp.h"
#include "schemas/schema.h"
#include "schemas/taxonomy.h"

static struct schema_set *set;
static struct taxonomy *tax;

/* 2026-03-10T12:00:00Z */
#define NOW 1773144000u

static int setup(void **state)
{
	(void)state;
	return schema_set_load(&set, NULL) || taxonomy_load(set, &tax, NULL) ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	taxonomy_free(tax);
	schema_set_free(set);
	return 0;
}

/* An offer body from JSON text, read; b keeps the bytes (free with gl_buf_free). */
static void offer(const char *text, struct gl_buf *b, struct eligibility_offer *o)
{
	json_t *j = json_loads(text, 0, NULL);
	assert_non_null(j);
	memset(b, 0, sizeof *b);
	assert_int_equal(jsonmp_pack(j, NULL, b, NULL), 0);
	json_decref(j);
	eligibility_offer_read(tax, b->data, b->len, o);
}

/* A profile of phase, sectors (NULL-terminated) and activity; NULLs unsaid. */
static struct eligibility_profile prof(const char *phase, const char *const *sectors,
                                       const char *activity)
{
	struct eligibility_profile p;
	eligibility_profile_init(&p);
	if (phase)
		assert_true(eligibility_profile_term(tax, &p, "phase", phase));
	for (size_t i = 0; sectors && sectors[i]; i++)
		assert_true(eligibility_profile_term(tax, &p, "sector", sectors[i]));
	if (activity)
		assert_true(eligibility_profile_term(tax, &p, "activity", activity));
	return p;
}

static bool current(const char *text)
{
	struct gl_buf b;
	struct eligibility_offer o;
	offer(text, &b, &o);
	bool cur = eligibility_current(&o, NOW);
	assert_true(cur == eligibility_body_current(b.data, b.len, NOW));
	gl_buf_free(&b);
	return cur;
}

static void test_current(void **state)
{
	(void)state;
	assert_true(current("{\"needs\": [\"legal\"]}"));
	assert_true(current("{\"status\": \"active\"}"));
	assert_false(current("{\"status\": \"inactive\"}"));
	assert_false(current("{\"valid_until\": \"2026-03-09\"}"));
	assert_true(current("{\"valid_until\": \"2026-03-10\"}")); /* through that whole day */
	assert_true(current("{\"valid_until\": \"2026-03-11\"}"));
	assert_true(current("{\"valid_until\": \"someday\"}"));    /* no date: does not end it */
	assert_true(current("{\"valid_until\": 20260101}"));
	assert_false(current("{\"status\": \"inactive\", \"valid_until\": \"2027-01-01\"}"));
	/* no body at all, or a body that is no map: nothing restricts */
	struct eligibility_offer o;
	eligibility_offer_read(tax, NULL, 0, &o);
	assert_true(eligibility_current(&o, NOW));
	const uint8_t not_a_map[] = { 0x93, 0x01, 0x02, 0x03 };
	eligibility_offer_read(tax, not_a_map, sizeof not_a_map, &o);
	assert_true(eligibility_current(&o, NOW));
	assert_true(o.needs == 0 && o.restricted == 0);
}

static void judge(const char *text, const struct eligibility_profile *p,
                  struct eligibility_verdict *v)
{
	struct gl_buf b;
	struct eligibility_offer o;
	offer(text, &b, &o);
	eligibility_judge(&o, p, v);
	/* the bit sets the matcher reads say the same, criterion by criterion */
	uint32_t unknown, failed;
	eligibility_judge_bits(&o, p, &unknown, &failed);
	for (int k = 0; k < ELIGIBILITY_COUNT; k++) {
		assert_int_equal(unknown >> k & 1, v->state[k] == ELIGIBILITY_UNKNOWN);
		assert_int_equal(failed >> k & 1, v->state[k] == ELIGIBILITY_FAILED);
	}
	assert_int_equal((failed & ~o.soft) != 0, eligibility_excluded(v));
	gl_buf_free(&b);
}

static void test_lists(void **state)
{
	(void)state;
	const char *const sectors[] = { "biotech", "cleantech", NULL };
	struct eligibility_profile p = prof("start", sectors, "shop");
	struct eligibility_verdict v;

	judge("{\"needs\": [\"legal\"]}", &p, &v);
	for (int k = 0; k < ELIGIBILITY_COUNT; k++) {
		assert_int_equal(v.state[k], ELIGIBILITY_MATCHED);
		assert_false(v.restricted[k]);
	}
	assert_false(eligibility_any_failed(&v));

	judge("{\"eligibility\": {\"phases\": [\"idea\", \"start\"], \"sectors\": [\"cleantech\"],"
	      " \"activities\": [\"shop\"]}}", &p, &v);
	assert_int_equal(v.state[ELIGIBILITY_PHASES], ELIGIBILITY_MATCHED);
	assert_int_equal(v.state[ELIGIBILITY_SECTORS], ELIGIBILITY_MATCHED); /* one of two */
	assert_int_equal(v.state[ELIGIBILITY_ACTIVITIES], ELIGIBILITY_MATCHED);
	assert_true(v.restricted[ELIGIBILITY_PHASES] && v.restricted[ELIGIBILITY_SECTORS]);
	assert_false(v.restricted[ELIGIBILITY_AREAS]);

	judge("{\"eligibility\": {\"phases\": [\"idea\"], \"sectors\": [\"pharma-medtech\"]}}", &p, &v);
	assert_int_equal(v.state[ELIGIBILITY_PHASES], ELIGIBILITY_FAILED);
	assert_int_equal(v.state[ELIGIBILITY_SECTORS], ELIGIBILITY_FAILED);
	assert_true(eligibility_excluded(&v));

	/* soft: failed, yet not excluded; a filtered list still drops it */
	judge("{\"eligibility\": {\"phases\": [\"idea\"], \"soft\": [\"phases\"]}}", &p, &v);
	assert_int_equal(v.state[ELIGIBILITY_PHASES], ELIGIBILITY_FAILED);
	assert_true(v.soft[ELIGIBILITY_PHASES]);
	assert_false(v.soft[ELIGIBILITY_SECTORS]);
	assert_false(eligibility_excluded(&v));
	assert_true(eligibility_any_failed(&v));

	/* the profile does not say: unknown */
	struct eligibility_profile quiet = prof(NULL, NULL, NULL);
	judge("{\"eligibility\": {\"phases\": [\"idea\"], \"sectors\": [\"biotech\"],"
	      " \"activities\": [\"shop\"], \"areas\": [\"gent\"]}}", &quiet, &v);
	for (int k = ELIGIBILITY_PHASES; k <= ELIGIBILITY_AREAS; k++)
		assert_int_equal(v.state[k], ELIGIBILITY_UNKNOWN);
	assert_false(eligibility_any_failed(&v));

	/* an empty list admits nothing; a list that is no array restricts nothing */
	judge("{\"eligibility\": {\"phases\": [], \"sectors\": \"biotech\"}}", &p, &v);
	assert_int_equal(v.state[ELIGIBILITY_PHASES], ELIGIBILITY_FAILED);
	assert_false(v.restricted[ELIGIBILITY_SECTORS]);
	assert_int_equal(v.state[ELIGIBILITY_SECTORS], ELIGIBILITY_MATCHED);
	/* items that are not strings are passed over */
	judge("{\"eligibility\": {\"phases\": [1, [\"start\"], {\"a\": \"start\"}, \"start\"]}}", &p, &v);
	assert_int_equal(v.state[ELIGIBILITY_PHASES], ELIGIBILITY_MATCHED);
	judge("{\"eligibility\": {\"phases\": [1, [\"start\"]]}}", &p, &v);
	assert_int_equal(v.state[ELIGIBILITY_PHASES], ELIGIBILITY_FAILED);
}

static void test_areas_and_people(void **state)
{
	(void)state;
	struct eligibility_profile p = prof("start", NULL, NULL);
	assert_true(eligibility_profile_term(tax, &p, "area", "gent"));
	p.student = ELIGIBILITY_YES;
	p.international = ELIGIBILITY_NO;
	p.has_age = true;
	p.age = 3;
	struct eligibility_verdict v;
	judge("{\"eligibility\": {\"areas\": [\"oost-vlaanderen\"], \"student\": \"only\","
	      " \"international\": \"excluded\", \"max_company_age\": 3}}", &p, &v);
	assert_int_equal(v.state[ELIGIBILITY_AREAS], ELIGIBILITY_MATCHED); /* gent lies within */
	assert_int_equal(v.state[ELIGIBILITY_STUDENT], ELIGIBILITY_MATCHED);
	assert_int_equal(v.state[ELIGIBILITY_INTERNATIONAL], ELIGIBILITY_MATCHED);
	assert_int_equal(v.state[ELIGIBILITY_AGE], ELIGIBILITY_MATCHED);
	assert_true(v.restricted[ELIGIBILITY_STUDENT] && v.restricted[ELIGIBILITY_AGE]);

	/* broader than the offer's area: not within */
	assert_true(eligibility_profile_term(tax, &p, "area", "belgie"));
	p.student = ELIGIBILITY_NO;
	p.international = ELIGIBILITY_YES;
	p.age = 4;
	judge("{\"eligibility\": {\"areas\": [\"oost-vlaanderen\"], \"student\": \"only\","
	      " \"international\": \"excluded\", \"max_company_age\": 3}}", &p, &v);
	assert_int_equal(v.state[ELIGIBILITY_AREAS], ELIGIBILITY_FAILED);
	assert_int_equal(v.state[ELIGIBILITY_STUDENT], ELIGIBILITY_FAILED);
	assert_int_equal(v.state[ELIGIBILITY_INTERNATIONAL], ELIGIBILITY_FAILED);
	assert_int_equal(v.state[ELIGIBILITY_AGE], ELIGIBILITY_FAILED);

	p.has_age = false;
	p.student = ELIGIBILITY_YES;
	judge("{\"eligibility\": {\"student\": \"excluded\", \"max_company_age\": 3}}", &p, &v);
	assert_int_equal(v.state[ELIGIBILITY_STUDENT], ELIGIBILITY_FAILED);
	assert_int_equal(v.state[ELIGIBILITY_AGE], ELIGIBILITY_UNKNOWN);
	/* a profile that leaves it open: unknown, whichever way the offer restricts */
	p.student = ELIGIBILITY_UNSAID;
	p.international = ELIGIBILITY_UNSAID;
	judge("{\"eligibility\": {\"student\": \"excluded\", \"international\": \"only\"}}", &p, &v);
	assert_int_equal(v.state[ELIGIBILITY_STUDENT], ELIGIBILITY_UNKNOWN);
	assert_int_equal(v.state[ELIGIBILITY_INTERNATIONAL], ELIGIBILITY_UNKNOWN);
	assert_false(eligibility_any_failed(&v));
	/* a trade course teaching the craft prefers newcomers to the trade: a preference
	 * the experienced fail, the others meet; unknown when unsaid */
	const char *course = "{\"eligibility\": {\"experienced\": \"excluded\", \"soft\": [\"experienced\"]}}";
	judge(course, &p, &v);
	assert_true(v.restricted[ELIGIBILITY_EXPERIENCED] && v.soft[ELIGIBILITY_EXPERIENCED]);
	assert_int_equal(v.state[ELIGIBILITY_EXPERIENCED], ELIGIBILITY_UNKNOWN);
	p.experienced = ELIGIBILITY_YES;
	judge(course, &p, &v);
	assert_int_equal(v.state[ELIGIBILITY_EXPERIENCED], ELIGIBILITY_FAILED);
	assert_false(eligibility_excluded(&v));
	p.experienced = ELIGIBILITY_NO;
	judge(course, &p, &v);
	assert_int_equal(v.state[ELIGIBILITY_EXPERIENCED], ELIGIBILITY_MATCHED);
	/* and an offer only for those who worked in the trade: hard */
	judge("{\"eligibility\": {\"experienced\": \"only\"}}", &p, &v);
	assert_int_equal(v.state[ELIGIBILITY_EXPERIENCED], ELIGIBILITY_FAILED);
	assert_true(eligibility_excluded(&v));
	p.experienced = ELIGIBILITY_UNSAID;
	/* present but not a limit (the schema refuses these): restricts nobody */
	judge("{\"eligibility\": {\"student\": \"maybe\", \"max_company_age\": \"young\"}}", &p, &v);
	assert_false(v.restricted[ELIGIBILITY_STUDENT] || v.restricted[ELIGIBILITY_AGE]);
	assert_int_equal(v.state[ELIGIBILITY_STUDENT], ELIGIBILITY_MATCHED);
	assert_int_equal(v.state[ELIGIBILITY_AGE], ELIGIBILITY_MATCHED);
}

static void test_fit_and_languages(void **state)
{
	(void)state;
	struct gl_buf b;
	struct eligibility_offer o;
	offer("{\"needs\": [\"financing-loan\", \"legal\"], \"languages\": [\"nl\", \"fr\"]}", &b, &o);
	assert_int_equal(eligibility_fit(tax, &o, "financing-loan"), ELIGIBILITY_FIT_EXACT);
	assert_int_equal(eligibility_fit(tax, &o, "financing"), ELIGIBILITY_FIT_NARROWER);
	assert_int_equal(eligibility_fit(tax, &o, "legal-ip"), ELIGIBILITY_FIT_BROADER);
	assert_int_equal(eligibility_fit(tax, &o, "location"), ELIGIBILITY_FIT_NONE);
	assert_int_equal(eligibility_fit(tax, &o, "financing-grant"), ELIGIBILITY_FIT_NONE);
	assert_int_equal(eligibility_fit(tax, &o, NULL), ELIGIBILITY_FIT_NONE);
	assert_true(eligibility_speaks(&o, "nl"));
	assert_true(eligibility_speaks(&o, "fr"));
	assert_false(eligibility_speaks(&o, "en"));
	assert_false(eligibility_speaks(&o, NULL));
	gl_buf_free(&b);
	/* the best answer wins, whatever the order of the offer's needs */
	offer("{\"needs\": [\"financing\", \"financing-grant\"]}", &b, &o);
	assert_int_equal(eligibility_fit(tax, &o, "financing-grant"), ELIGIBILITY_FIT_EXACT);
	assert_int_equal(eligibility_fit(tax, &o, "financing-loan"), ELIGIBILITY_FIT_BROADER);
	assert_false(eligibility_speaks(&o, "nl"));
	gl_buf_free(&b);
}

/* Whether a signed offer with this body (NULL: a tombstone) is current. */
static bool entry_current(const char *text, bool cut)
{
	uint8_t pk[32], sk[64];
	tu_keypair(7, pk, sk);
	struct gl_buf body = { 0 }, env = { 0 };
	if (text) {
		json_t *j = json_loads(text, 0, NULL);
		assert_non_null(j);
		assert_int_equal(jsonmp_pack(j, NULL, &body, NULL), 0);
		json_decref(j);
	}
	struct record_draft d = { .kind = RK_OFFER, .id = "x", .id_len = 1, .version = 1,
	                          .issued = 100, .expires = 4000000000u, .body = body.data,
	                          .body_len = body.len };
	assert_int_equal(record_sign(&d, sk, &env, NULL), 0);
	struct store_entry e = { .author = pk, .kind = RK_OFFER, .id = "x", .id_len = 1,
	                         .tombstone = !text, .env = env.data,
	                         .env_len = env.len - (cut ? 1 : 0) };
	bool cur = eligibility_entry_current(&e, NOW);
	gl_buf_free(&body);
	gl_buf_free(&env);
	return cur;
}

/* Fields after long strings (str8, str16, str32), maps and arrays are
 * found; a body cut short reads as one without what was cut. */
static void test_walk(void **state)
{
	(void)state;
	size_t sizes[] = { 40, 300, 70000 };
	for (size_t i = 0; i < 3; i++) {
		char *long_text = malloc(sizes[i] + 1);
		memset(long_text, 'a', sizes[i]);
		long_text[sizes[i]] = '\0';
		json_t *j = json_pack("{s:s, s:{s:s, s:[i, s, {s:s}]}, s:[s], s:{s:[s]}, s:[s]}",
		                      "description", long_text, "name", "nl", long_text, "x", 1,
		                      long_text, "k", long_text, "needs", "legal", "eligibility",
		                      "phases", "idea", "languages", "en");
		free(long_text);
		struct gl_buf b = { 0 };
		assert_int_equal(jsonmp_pack(j, NULL, &b, NULL), 0);
		json_decref(j);
		struct eligibility_offer o;
		struct eligibility_verdict v;
		struct eligibility_profile p = prof("start", NULL, NULL);
		eligibility_offer_read(tax, b.data, b.len, &o);
		assert_int_equal(eligibility_fit(tax, &o, "legal"), ELIGIBILITY_FIT_EXACT);
		assert_true(eligibility_speaks(&o, "en"));
		eligibility_judge(&o, &p, &v);
		assert_int_equal(v.state[ELIGIBILITY_PHASES], ELIGIBILITY_FAILED);
		/* cut inside the description: nothing after it is read, nothing past the end */
		uint8_t *cut = malloc(20);
		memcpy(cut, b.data, 20);
		eligibility_offer_read(tax, cut, 20, &o);
		assert_true(o.needs == 0 && o.languages == 0);
		free(cut);
		gl_buf_free(&b);
	}
}

static void test_entry(void **state)
{
	(void)state;
	assert_true(entry_current("{\"status\": \"active\"}", false));
	assert_false(entry_current("{\"status\": \"active\"}", true)); /* does not parse */
	assert_false(entry_current("{\"status\": \"inactive\"}", false));
	assert_false(entry_current(NULL, false));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_current),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_areas_and_people),
		cmocka_unit_test(test_fit_and_languages),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_entry),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

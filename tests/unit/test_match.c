/* Unit tests: the matcher's rules that are not a plain weight
 * (daemon/query/match.c): a partner's event lifts an offer only for a
 * starter the event is for; the situations takeover, bank_refused and
 * jobseeker rule offers in and out, and tailor (experienced: a trade
 * course prefers newcomers to the trade); an offer for webshops is not
 * for a starter with premises; and the to-do paths they start, whose
 * steps may hang on the same answers. */
#include "testutil.h"
#include "tu_store.h"

#include <jansson.h>

#include "proto/record.h"
#include "query/match.h"
#include "query/todo.h"
#include "schemas/jsonmp.h"
#include "schemas/schema.h"
#include "schemas/taxonomy.h"
#include "store/store.h"

static struct schema_set *set;
static struct taxonomy *tax;
static struct todo_paths *paths;
static uint8_t pk[32], sk[64];
static uint64_t version = 1;
static char dir[64];
static struct store *st;

/* 2026-03-10, twelve days before the events below */
#define NOW 1773144000u

/* Put a record of kind with this body (JSON text). */
static void put(int kind, const char *id, const char *body_json)
{
	tu_put_json(st, sk, &version, kind, id, body_json);
}

static int setup(void **state)
{
	(void)state;
	tu_keypair(11, pk, sk);
	if (schema_set_load(&set, NULL) || taxonomy_load(set, &tax, NULL) ||
	    todo_load(set, tax, NULL, &paths, NULL) || tu_tmpdir(dir, "match") ||
	    store_open(dir, 0, 0, &st, NULL))
		return -1;
	put(RK_PARTNER, "p", "{\"name\": {\"nl\": \"P\", \"en\": \"P\"}}");
	put(RK_OFFER, "desk", "{\"needs\": [\"administration\"], \"languages\": [\"en\"],"
	    " \"partner\": \"p\"}");
	/* an evening on the desk's need, for starters in bijberoep at idea or prestart */
	put(RK_EVENT, "side-evening", "{\"partner\": \"p\", \"needs\": [\"administration\"],"
	    " \"phases\": [\"idea\", \"prestart\"], \"eligibility\": {\"side_activity\": \"only\"},"
	    " \"name\": {\"en\": \"Side evening\", \"nl\": \"Avond bijberoep\"},"
	    " \"start\": \"2026-03-22T19:00:00+01:00\"}");
	put(RK_OFFER, "lab", "{\"needs\": [\"networking\"], \"languages\": [\"en\"],"
	    " \"partner\": \"p\"}");
	/* an evening on the lab's need, for biotech only */
	put(RK_EVENT, "bio-evening", "{\"partner\": \"p\", \"needs\": [\"networking\"],"
	    " \"sectors\": [\"biotech\"], \"name\": {\"en\": \"Bio evening\", \"nl\": \"Bio-avond\"},"
	    " \"start\": \"2026-03-23T19:00:00+01:00\"}");
	/* the same need for one sector, for two, and for anyone */
	put(RK_OFFER, "artists-desk", "{\"needs\": [\"legal-ip\"], \"languages\": [\"en\"],"
	    " \"eligibility\": {\"sectors\": [\"creative\"]}}");
	put(RK_OFFER, "two-sector-desk", "{\"needs\": [\"legal-ip\"], \"languages\": [\"en\"],"
	    " \"eligibility\": {\"sectors\": [\"creative\", \"digital\"]}}");
	put(RK_OFFER, "soft-artists-desk", "{\"needs\": [\"legal-ip\"], \"languages\": [\"en\"],"
	    " \"eligibility\": {\"sectors\": [\"creative\"], \"soft\": [\"sectors\"]}}");
	put(RK_OFFER, "ip-desk", "{\"needs\": [\"legal-ip\"], \"languages\": [\"en\"]}");
	put(RK_OFFER, "takeover-help", "{\"needs\": [\"coaching\"], \"languages\": [\"en\"],"
	    " \"eligibility\": {\"takeover\": \"only\"}}");
	put(RK_OFFER, "microloan", "{\"needs\": [\"financing-loan\"], \"languages\": [\"en\"],"
	    " \"eligibility\": {\"bank_refused\": \"only\", \"soft\": [\"bank_refused\"]}}");
	put(RK_OFFER, "jobseeker-desk", "{\"needs\": [\"coaching\"], \"languages\": [\"en\"],"
	    " \"eligibility\": {\"jobseeker\": \"only\"}}");
	/* a work permit for employees from outside the EU: for their employers, and past the
	 * last criterion of a 16-bit set (premises, the 17th, after it) */
	put(RK_OFFER, "work-permit", "{\"needs\": [\"talent\"], \"languages\": [\"en\"],"
	    " \"eligibility\": {\"staff_from_abroad\": \"only\", \"premises\": [\"needed\"]}}");
	/* a trade course teaching the craft: rather not for those who worked in the trade */
	put(RK_OFFER, "trade-course", "{\"needs\": [\"coaching\"], \"languages\": [\"en\"],"
	    " \"eligibility\": {\"experienced\": \"excluded\", \"soft\": [\"experienced\"]}}");
	/* the rules a webshop must follow: for online-only businesses */
	put(RK_OFFER, "webshop-rules", "{\"needs\": [\"legal\"], \"languages\": [\"en\"],"
	    " \"eligibility\": {\"premises\": [\"online\"]}}");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	store_close(st);
	todo_free(paths);
	taxonomy_free(tax);
	schema_set_free(set);
	return tu_rmtree(dir);
}

static json_t *match(const char *profile)
{
	struct store_txn *t;
	json_t *p = json_loads(profile, 0, NULL), *out = NULL;
	struct match_opts o = { .lang = "en", .now = NOW, .paths = paths };
	assert_non_null(p);
	assert_int_equal(store_begin(st, false, &t, NULL), 0);
	assert_int_equal(match_run(t, tax, p, &o, &out, NULL), 0);
	store_abort(t);
	json_decref(p);
	return out;
}

/* Offer id under the item for need, or NULL. */
static json_t *offer_under(json_t *res, const char *need, const char *id)
{
	size_t i, k;
	json_t *item, *o;
	json_array_foreach(json_object_get(res, "items"), i, item) {
		if (strcmp(json_string_value(json_object_get(item, "need")), need))
			continue;
		json_array_foreach(json_object_get(item, "offers"), k, o)
			if (!strcmp(json_string_value(json_object_get(o, "id")), id))
				return o;
	}
	return NULL;
}

/* The points of the offer's term code; -99 if it has none. */
static int term(const json_t *offer, const char *code)
{
	size_t i;
	json_t *tm;
	json_array_foreach(json_object_get(offer, "terms"), i, tm)
		if (!strcmp(json_string_value(json_object_get(tm, "code")), code))
			return (int)json_integer_value(json_object_get(tm, "points"));
	return -99;
}

/* The offer's term code for a profile (JSON text), -99 without; -100 if
 * the offer is not under the need. */
static int term_for(const char *profile, const char *need, const char *id, const char *code)
{
	json_t *res = match(profile), *o = offer_under(res, need, id);
	int pts = o ? term(o, code) : -100;
	json_decref(res);
	return pts;
}

/* How the offer under need judged criterion crit for a profile (JSON
 * text): "matched", "unknown", "failed"; "-" if it does not say; "none"
 * if the offer is not under the need. */
static const char *criterion_for(const char *profile, const char *need, const char *id,
                                 const char *crit)
{
	static char out[16];
	json_t *res = match(profile), *o = offer_under(res, need, id);
	const char *s = json_string_value(json_object_get(json_object_get(o, "criteria"), crit));
	snprintf(out, sizeof out, "%s", !o ? "none" : s ? s : "-");
	json_decref(res);
	return out;
}

static void test_event_for_whom(void **state)
{
	(void)state;
	/* in bijberoep at prestart: the evening is for them */
	assert_int_equal(term_for("{\"phase\": \"prestart\", \"side_activity\": true,"
	                          " \"needs\": [\"administration\"]}", "administration", "desk", "event"),
	                 MATCH_EVENT);
	/* full time: not for them, though on the desk's need */
	assert_int_equal(term_for("{\"phase\": \"prestart\", \"side_activity\": false,"
	                          " \"needs\": [\"administration\"]}", "administration", "desk", "event"),
	                 -99);
	/* in bijberoep, but past the event's phases */
	assert_int_equal(term_for("{\"phase\": \"start\", \"side_activity\": true,"
	                          " \"needs\": [\"administration\"]}", "administration", "desk", "event"),
	                 -99);
	/* an evening for biotech lifts nothing for a shop, even on the item's need ... */
	assert_int_equal(term_for("{\"phase\": \"start\", \"sectors\": [\"retail\"],"
	                          " \"needs\": [\"networking\"]}", "networking", "lab", "event"),
	                 -99);
	/* ... and does for a biotech start-up */
	assert_int_equal(term_for("{\"phase\": \"start\", \"sectors\": [\"biotech\"],"
	                          " \"needs\": [\"networking\"]}", "networking", "lab", "event"),
	                 MATCH_EVENT);
}

static void test_takeover_and_bank(void **state)
{
	(void)state;
	/* an offer only for takeovers: out for a starter from scratch, made for a taker-over */
	assert_int_equal(term_for("{\"phase\": \"prestart\", \"needs\": [\"coaching\"]}", "coaching",
	                          "takeover-help", "exact"), -100);
	assert_int_equal(term_for("{\"phase\": \"prestart\", \"takeover\": true, \"needs\": [\"coaching\"]}",
	                          "coaching", "takeover-help", "situation"), MATCH_SITUATION);
	/* a microloan prefers those a bank turned down: made for them, a cost for others */
	assert_int_equal(term_for("{\"phase\": \"prestart\", \"bank_refused\": true,"
	                          " \"needs\": [\"financing-loan\"]}", "financing-loan", "microloan",
	                          "situation"), MATCH_SITUATION);
	assert_int_equal(term_for("{\"phase\": \"prestart\", \"needs\": [\"financing-loan\"]}",
	                          "financing-loan", "microloan", "soft"), MATCH_SOFT);
	/* an offer for jobseekers: out for others, made for a jobseeker */
	assert_int_equal(term_for("{\"phase\": \"idea\", \"needs\": [\"coaching\"]}", "coaching",
	                          "jobseeker-desk", "exact"), -100);
	assert_int_equal(term_for("{\"phase\": \"idea\", \"jobseeker\": true, \"needs\": [\"coaching\"]}",
	                          "coaching", "jobseeker-desk", "situation"), MATCH_SITUATION);
	/* a work permit: out for an employer who hires here, made for one who brings staff */
	assert_int_equal(term_for("{\"phase\": \"start\", \"staff_from_abroad\": false,"
	                          " \"needs\": [\"talent\"]}", "talent", "work-permit", "exact"), -100);
	assert_int_equal(term_for("{\"phase\": \"start\", \"staff_from_abroad\": true,"
	                          " \"premises\": \"needed\", \"needs\": [\"talent\"]}", "talent",
	                          "work-permit", "situation"), MATCH_SITUATION);
	assert_int_equal(term_for("{\"phase\": \"start\", \"staff_from_abroad\": true,"
	                          " \"premises\": \"online\", \"needs\": [\"talent\"]}", "talent",
	                          "work-permit", "exact"), -100);
	/* a trade course that teaches the craft: a preference unmet for a head chef of twelve
	 * years, matched for a newcomer to the trade */
	assert_int_equal(term_for("{\"phase\": \"prestart\", \"experienced\": true,"
	                          " \"needs\": [\"coaching\"]}", "coaching", "trade-course", "soft"),
	                 MATCH_SOFT);
	assert_string_equal(criterion_for("{\"phase\": \"prestart\", \"experienced\": true,"
	                                  " \"needs\": [\"coaching\"]}", "coaching", "trade-course",
	                                  "experienced"), "failed");
	assert_int_equal(term_for("{\"phase\": \"prestart\", \"experienced\": false,"
	                          " \"needs\": [\"coaching\"]}", "coaching", "trade-course", "soft"),
	                 -99);
	assert_string_equal(criterion_for("{\"phase\": \"prestart\", \"experienced\": false,"
	                                  " \"needs\": [\"coaching\"]}", "coaching", "trade-course",
	                                  "experienced"), "matched");
	/* unsaid reads as no here, as every yes-or-no answer of the profile does */
	assert_string_equal(criterion_for("{\"phase\": \"prestart\", \"needs\": [\"coaching\"]}",
	                                  "coaching", "trade-course", "experienced"), "matched");
}

static void test_online_only(void **state)
{
	(void)state;
	/* a webshop: in, nothing left to check */
	assert_int_equal(term_for("{\"phase\": \"prestart\", \"premises\": \"online\","
	                          " \"needs\": [\"legal\"]}", "legal", "webshop-rules", "exact"),
	                 MATCH_EXACT);
	assert_int_equal(term_for("{\"phase\": \"prestart\", \"premises\": \"online\","
	                          " \"needs\": [\"legal\"]}", "legal", "webshop-rules", "unknown"), -99);
	/* a bakery with its shop, or a café looking for one: not for them */
	assert_int_equal(term_for("{\"phase\": \"prestart\", \"premises\": \"have\","
	                          " \"needs\": [\"legal\"]}", "legal", "webshop-rules", "exact"), -100);
	assert_int_equal(term_for("{\"phase\": \"prestart\", \"premises\": \"needed\","
	                          " \"needs\": [\"legal\"]}", "legal", "webshop-rules", "exact"), -100);
	/* a repair van works on the road: no webshop either */
	assert_int_equal(term_for("{\"phase\": \"prestart\", \"premises\": \"mobile\","
	                          " \"needs\": [\"legal\"]}", "legal", "webshop-rules", "exact"), -100);
	/* premises unsaid: in, with the criterion to check */
	assert_int_equal(term_for("{\"phase\": \"prestart\", \"needs\": [\"legal\"]}", "legal",
	                          "webshop-rules", "unknown"), MATCH_UNKNOWN);
}

static void test_sector_unsaid(void **state)
{
	(void)state;
	/* a starter who named no sector: an offer for one sector is unlikely
	 * theirs, and weighs as much below as it would above for its sector */
	const char *none = "{\"phase\": \"start\", \"needs\": [\"legal-ip\"]}";
	int sector1[] = MATCH_SECTOR;
	assert_int_equal(term_for(none, "legal-ip", "artists-desk", "unknown"), -sector1[1]);
	assert_int_equal(term_for(none, "legal-ip", "two-sector-desk", "unknown"), -sector1[2]);
	json_t *res = match(none);
	const json_t *offers = json_object_get(json_array_get(json_object_get(res, "items"), 0), "offers");
	assert_string_equal(json_string_value(json_object_get(json_array_get(offers, 0), "id")), "ip-desk");
	json_decref(res);
	/* a preference for one sector: naming none costs no more than naming
	 * another (the preference failed) */
	assert_int_equal(term_for(none, "legal-ip", "soft-artists-desk", "unknown"), MATCH_SOFT);
	assert_int_equal(term_for("{\"phase\": \"start\", \"sectors\": [\"retail\"],"
	                          " \"needs\": [\"legal-ip\"]}", "legal-ip", "soft-artists-desk", "soft"),
	                 MATCH_SOFT);
	/* in the sector: made for it */
	assert_int_equal(term_for("{\"phase\": \"start\", \"sectors\": [\"creative\"],"
	                          " \"needs\": [\"legal-ip\"]}", "legal-ip", "artists-desk", "sector"),
	                 sector1[1]);
}

static void test_paths_of_facts(void **state)
{
	(void)state;
	/* without needs, a takeover starts with the takeover's path, a refusal with the loan */
	json_t *res = match("{\"phase\": \"prestart\", \"activity\": \"shop\", \"takeover\": true}");
	json_t *first = json_array_get(json_object_get(res, "items"), 0);
	assert_string_equal(json_string_value(json_object_get(first, "path")), "takeover");
	assert_string_equal(json_string_value(json_object_get(first, "need")), "coaching");
	json_decref(res);
	res = match("{\"phase\": \"prestart\", \"activity\": \"services\", \"bank_refused\": true}");
	first = json_array_get(json_object_get(res, "items"), 0);
	assert_string_equal(json_string_value(json_object_get(first, "path")), "bank-refused");
	assert_string_equal(json_string_value(json_object_get(first, "need")), "financing-loan");
	json_decref(res);
}

/* A path's step on whether the starter has worked in the trade: a city's
 * paths may say it, in a path's when and a step's unless. */
static void test_paths_experienced(void **state)
{
	(void)state;
	char file[96];
	snprintf(file, sizeof file, "%s/paths-experienced.json", dir);
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fputs("{\"max_items\": 8, \"narrower\": [], \"next_phase\": {\"idea\": \"prestart\"},"
	      " \"paths\": ["
	      "{\"id\": \"craft\", \"label\": {\"en\": \"C\", \"nl\": \"C\"},"
	      " \"when\": {\"experienced\": true}, \"steps\": [{\"need\": \"financing-loan\"}]},"
	      "{\"id\": \"everyone\", \"label\": {\"en\": \"E\", \"nl\": \"E\"}, \"when\": {},"
	      " \"steps\": [{\"need\": \"coaching\", \"unless\": {\"experienced\": true}},"
	      " {\"need\": \"administration\"}]}]}", f);
	assert_int_equal(fclose(f), 0);
	struct todo_paths *own = NULL;
	struct gl_error err = { 0 };
	assert_int_equal(todo_load(set, tax, file, &own, &err), 0);
	struct eligibility_profile e;
	eligibility_profile_init(&e);
	struct todo_profile pp = { .e = &e };
	struct todo_step out[TODO_ITEMS_MAX];
	const struct tax_term *loan = taxonomy_term(tax, "need", "financing-loan");
	const struct tax_term *coaching = taxonomy_term(tax, "need", "coaching");
	const struct tax_term *admin = taxonomy_term(tax, "need", "administration");
	assert_non_null(loan);
	assert_non_null(coaching);
	assert_non_null(admin);
	/* worked in the trade: the craft's path, no course in the craft */
	e.experienced = ELIGIBILITY_YES;
	assert_int_equal(todo_propose(own, &pp, out), 2);
	assert_int_equal(out[0].need, (int)loan->order);
	assert_string_equal(out[0].path, "craft");
	assert_int_equal(out[1].need, (int)admin->order);
	/* new to it, or unsaid: the course, not the craft's path */
	const enum eligibility_answer newcomer[] = { ELIGIBILITY_NO, ELIGIBILITY_UNSAID };
	for (size_t k = 0; k < sizeof newcomer / sizeof *newcomer; k++) {
		e.experienced = newcomer[k];
		assert_int_equal(todo_propose(own, &pp, out), 2);
		assert_int_equal(out[0].need, (int)coaching->order);
		assert_int_equal(out[1].need, (int)admin->order);
	}
	todo_free(own);
	remove(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_for_whom),
		cmocka_unit_test(test_takeover_and_bank),
		cmocka_unit_test(test_online_only),
		cmocka_unit_test(test_sector_unsaid),
		cmocka_unit_test(test_paths_of_facts),
		cmocka_unit_test(test_paths_experienced),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

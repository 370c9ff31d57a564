/* Unit tests: the map of the ecosystem (daemon/query/ecomap.h) on a store
 * of its own: which offers count and where (their partner, their
 * top-level needs once each, a sector filter, inactive offers and offers
 * of no partner left out), a partner's place (address, hub, area), the
 * hubs; the CSV's quoting and rows; the SVG well-formed XML (libxml2
 * reads it back) whatever the names hold, one dot per cell. */
#include "testutil.h"
#include "tu_store.h"

#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "query/ecomap.h"
#include "schemas/jsonmp.h"
#include "schemas/schema.h"
#include "schemas/taxonomy.h"
#include "store/store.h"

static struct schema_set *set;
static struct taxonomy *tax;
static struct store *st;
static char dir[64];
static uint8_t pk[32], sk[64], pk2[32], sk2[64];
static uint64_t version = 1;

static void put(const uint8_t *key, int kind, const char *id, const char *body_json)
{
	tu_put_json(st, key, &version, kind, id, body_json);
}

#define NAME(s) "\"name\": {\"nl\": \"" s " (nl)\", \"en\": \"" s "\"}"

static int setup(void **state)
{
	(void)state;
	tu_keypair(3, pk, sk);
	tu_keypair(4, pk2, sk2);
	if (schema_set_load(&set, NULL) || taxonomy_load(set, &tax, NULL) ||
	    tu_tmpdir(dir, "ecomap") || store_open(dir, 0, 0, &st, NULL))
		return -1;
	/* author 1: a partner at a hub, one with an address, one serving an area */
	put(sk, RK_PARTNER, "park", "{" NAME("Park \\\"<&>\\u0001") ", \"org_type\": \"other\","
	    " \"hub\": {\"id\": \"the-park\", \"name\": {\"nl\": \"Het Park\", \"en\": \"The Park\"},"
	    " \"locality\": \"Gent (Zuid)\"}}");
	put(sk, RK_PARTNER, "desk", "{" NAME("Desk") ", \"org_type\": \"government\", \"contact\":"
	    " {\"location\": {\"address\": {\"street\": \"Straat 1\", \"postal_code\": \"9000\","
	    " \"locality\": \"Gent\", \"country\": \"BE\"}}}}");
	put(sk, RK_PARTNER, "wide", "{" NAME("Wide") ", \"org_type\": \"network\", \"areas\": [\"vlaanderen\"]}");
	/* author 2: one partner, whose offers name none */
	put(sk2, RK_PARTNER, "solo", "{" NAME("Solo") ", \"org_type\": \"bank\"}");
	put(sk, RK_OFFER, "labs", "{\"partner\": \"park\", " NAME("Labs") ", \"needs\": [\"location-lab\","
	    " \"location-office\", \"networking\"], \"eligibility\": {\"sectors\": [\"biotech\"]}}");
	put(sk, RK_OFFER, "money", "{\"partner\": \"desk\", " NAME("Money") ", \"needs\": [\"financing-loan\","
	    " \"financing-grant\"]}");
	put(sk, RK_OFFER, "gone", "{\"partner\": \"desk\", " NAME("Gone") ", \"needs\": [\"talent\"],"
	    " \"status\": \"inactive\"}");
	put(sk, RK_OFFER, "lost", "{\"partner\": \"nobody\", " NAME("Lost") ", \"needs\": [\"talent\"]}");
	put(sk, RK_OFFER, "net", "{\"partner\": \"wide\", " NAME("Net") ", \"needs\": [\"networking\"],"
	    " \"eligibility\": {\"sectors\": [\"digital\", \"photonics\"]}}");
	put(sk2, RK_OFFER, "loan", "{" NAME("Loan") ", \"needs\": [\"financing\"]}");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	store_close(st);
	tu_rmtree(dir);
	taxonomy_free(tax);
	schema_set_free(set);
	return 0;
}

static json_t *run_map_on(struct store *s, const char *sector)
{
	struct store_txn *t;
	json_t *m = NULL;
	struct gl_error err = { 0 };
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	if (ecomap_run(t, tax, sector, 1773144000u, &m, &err))
		fail_msg("%s", err.msg);
	store_abort(t);
	return m;
}

static json_t *run_map(const char *sector)
{
	return run_map_on(st, sector);
}

/* "partner:need:offer …" in the map's order (static). */
static const char *triples(const json_t *m)
{
	static char buf[1024];
	size_t at = 0, i, k, o;
	json_t *p, *c, *x;
	buf[0] = '\0';
	json_array_foreach(json_object_get(m, "partners"), i, p)
		json_array_foreach(json_object_get(p, "cells"), k, c)
			json_array_foreach(json_object_get(c, "offers"), o, x)
				at += (size_t)snprintf(buf + at, sizeof buf - at, "%s%s:%s:%s", at ? " " : "",
				                       json_string_value(json_object_get(p, "id")),
				                       json_string_value(json_object_get(c, "need")),
				                       json_string_value(json_object_get(x, "id")));
	return buf;
}

static const json_t *partner(const json_t *m, const char *id)
{
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(m, "partners"), i, p)
		if (!strcmp(json_string_value(json_object_get(p, "id")), id))
			return p;
	return NULL;
}

/* How many nodes of the SVG text (len bytes) the XPath finds, "s:" the
 * SVG namespace; the text must read as XML. */
static int svg_count(const char *svg, size_t len, const char *xpath)
{
	xmlDocPtr doc = xmlReadMemory(svg, (int)len, "map.svg", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
	assert_non_null(doc);
	xmlXPathContextPtr x = xmlXPathNewContext(doc);
	xmlXPathRegisterNs(x, BAD_CAST "s", BAD_CAST "http://www.w3.org/2000/svg");
	xmlXPathObjectPtr found = xmlXPathEvalExpression(BAD_CAST xpath, x);
	int n = found && found->nodesetval ? found->nodesetval->nodeNr : 0;
	xmlXPathFreeObject(found);
	xmlXPathFreeContext(x);
	xmlFreeDoc(doc);
	return n;
}

static void test_what_counts(void **state)
{
	(void)state;
	json_t *m = run_map(NULL);
	/* the hub's partner first; a loan and a grant are one "financing";
	 * the inactive offer and the one of no partner are left out */
	assert_string_equal(triples(m), "park:location:labs park:networking:labs desk:financing:money "
	                                "solo:financing:loan wide:networking:net");
	assert_int_equal(json_integer_value(json_object_get(m, "unplaced")), 1);
	assert_int_equal(json_integer_value(json_object_get(m, "offers_shown")), 4);
	assert_int_equal(json_integer_value(json_object_get(m, "partners_shown")), 4);
	json_t *cell = json_array_get(json_object_get(partner(m, "park"), "cells"), 0);
	/* the needs listed, in the taxonomy's order */
	assert_string_equal(json_string_value(json_array_get(json_object_get(cell, "needs"), 0)),
	                    "location-office");
	assert_int_equal(json_array_size(json_object_get(cell, "needs")), 2);
	/* places: the hub, the address, the area; none */
	json_t *want = json_loads("{\"from\": \"hub\", \"locality\": \"Gent (Zuid)\"}", 0, NULL);
	assert_true(json_equal(json_object_get(partner(m, "park"), "location"), want));
	json_decref(want);
	assert_string_equal(json_string_value(json_object_get(json_object_get(partner(m, "desk"),
	                    "location"), "street")), "Straat 1");
	assert_string_equal(json_string_value(json_object_get(json_object_get(partner(m, "wide"),
	                    "location"), "area")), "vlaanderen");
	assert_true(json_is_null(json_object_get(partner(m, "solo"), "location")));
	/* one hub, one partner there */
	assert_int_equal(json_array_size(json_object_get(m, "hubs")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(m, "hubs"), 0),
	                 "partners")), 1);
	json_decref(m);
	/* a sector: offers for it, or open to all */
	m = run_map("photonics");
	assert_string_equal(triples(m), "desk:financing:money solo:financing:loan wide:networking:net");
	assert_int_equal(json_array_size(json_object_get(m, "hubs")), 0);
	json_decref(m);
	m = run_map("biotech");
	assert_string_equal(triples(m), "park:location:labs park:networking:labs desk:financing:money "
	                                "solo:financing:loan");
	json_decref(m);
	/* no such sector */
	struct store_txn *t;
	struct gl_error err = { 0 };
	assert_int_equal(store_begin(st, false, &t, NULL), 0);
	assert_int_equal(ecomap_run(t, tax, "space", 0, &m, &err), GL_ENOTFOUND);
	assert_non_null(strstr(err.msg, "not one of: biotech"));
	store_abort(t);
}

static void test_csv(void **state)
{
	(void)state;
	json_t *m = run_map(NULL);
	char *csv = ecomap_csv(m, "en");
	/* a quote doubled; a restricted offer per sector; CRLF */
	assert_non_null(strstr(csv, "\"park\",\"Park \"\"<&>\x01\",\"the-park\",\"Gent (Zuid)\","
	                            "\"location\",\"biotech\",\"1\",\"labs\"\r\n"));
	assert_non_null(strstr(csv, "\"wide\",\"Wide\",\"\",\"Flanders\",\"networking\",\"digital\",\"1\",\"net\"\r\n"));
	assert_non_null(strstr(csv, "\"wide\",\"Wide\",\"\",\"Flanders\",\"networking\",\"photonics\",\"1\",\"net\"\r\n"));
	assert_non_null(strstr(csv, "\"desk\",\"Desk\",\"\",\"Gent\",\"financing\",\"\",\"1\",\"money\"\r\n"));
	assert_null(strstr(csv, "Desk (nl)"));
	free(csv);
	csv = ecomap_csv(m, "nl");
	assert_non_null(strstr(csv, "\"desk\",\"Desk (nl)\",\"\",\"Gent\",\"financing\",\"\",\"1\",\"money\""));
	free(csv);
	/* a name a spreadsheet would run as a formula is only shown */
	json_t *ps = json_object_get(m, "partners");
	for (size_t i = 0; i < json_array_size(ps); i++) {
		json_t *p = json_array_get(ps, i);
		if (!strcmp(json_string_value(json_object_get(p, "id")), "desk"))
			json_object_set_new(p, "name", json_pack("{s:s}", "en", "=HYPERLINK(\"x\")"));
	}
	csv = ecomap_csv(m, "en");
	assert_non_null(strstr(csv, "\"desk\",\"'=HYPERLINK(\"\"x\"\")\",\"\",\"Gent\""));
	free(csv);
	json_decref(m);
}

static void test_svg(void **state)
{
	(void)state;
	json_t *m = run_map(NULL);
	char *svg = NULL;
	size_t len = 0;
	struct gl_error err = { 0 };
	assert_int_equal(ecomap_svg(m, "nl", &svg, &len, &err), 0);
	assert_int_equal(strlen(svg), len);
	/* the name's control character is gone, <, & and " escaped: XML reads it */
	assert_int_equal(svg_count(svg, len, "//s:g/s:circle"), 5); /* one per cell */
	/* the legend's dot, and the cells with offers for some sectors: park's two, wide's one */
	assert_int_equal(svg_count(svg, len, "//s:circle[@fill='#1b3a6b']"), 4);
	assert_true(strstr(svg, "Park \"&lt;&amp;&gt;\xEF\xBF\xBD (nl)") ||
	            strstr(svg, "Park &quot;&lt;&amp;&gt;\xEF\xBF\xBD (nl)"));
	assert_non_null(strstr(svg, "Het Park \xE2\x80\x94 Gent (Zuid)"));
	assert_non_null(strstr(svg, "Niet op een hub"));
	free(svg);
	json_decref(m);
}

/* Partner i of the big map: p000…p249 at hub-a, p250…p319 at hub-b,
 * p320…p324 at hub-c; each with one offer, p000 with 12 more. */
static const char *big_hub(int i)
{
	return i < 250 ? "hub-a" : i < 320 ? "hub-b" : "hub-c";
}

static void big_fill(struct store *s, const uint8_t *key)
{
	char id[32], body[512];
	uint64_t v = 1;
	for (int i = 0; i < 325; i++) {
		snprintf(id, sizeof id, "p%03d", i);
		snprintf(body, sizeof body, "{" NAME("P") ", \"org_type\": \"other\", \"hub\":"
		         " {\"id\": \"%s\", \"name\": {\"nl\": \"%s\", \"en\": \"%s\"},"
		         " \"locality\": \"Gent\"}}", big_hub(i), big_hub(i), big_hub(i));
		tu_put_json(s, key, &v, RK_PARTNER, id, body);
		snprintf(body, sizeof body, "{\"partner\": \"%s\", " NAME("O") ", \"needs\": "
		         "[\"networking\"]}", id);
		snprintf(id, sizeof id, "o%03d", i);
		tu_put_json(s, key, &v, RK_OFFER, id, body);
	}
	/* two partners with no offer: not on the map, nor their hub */
	tu_put_json(s, key, &v, RK_PARTNER, "q0", "{" NAME("Q") ", \"org_type\": \"other\", \"hub\":"
	            " {\"id\": \"hub-0\", \"name\": {\"en\": \"Z\"}, \"locality\": \"Gent\"}}");
	tu_put_json(s, key, &v, RK_PARTNER, "q1", "{" NAME("Q") ", \"org_type\": \"other\"}");
	/* a full cell: the last offer, not listed, made for a sector */
	for (int i = 0; i < 12; i++) {
		snprintf(id, sizeof id, "f%02d", i);
		snprintf(body, sizeof body, "{\"partner\": \"p000\", " NAME("F") ", \"needs\":"
		         " [\"financing-loan\"]%s}", i == 11 ? ", \"eligibility\": {\"sectors\":"
		         " [\"biotech\"]}" : "");
		tu_put_json(s, key, &v, RK_OFFER, id, body);
	}
}

static json_int_t num(const json_t *o, const char *k)
{
	assert_true(json_is_integer(json_object_get(o, k)));
	return json_integer_value(json_object_get(o, k));
}

/* More partners than the answer lists: the first ECOMAP_PARTNERS_MAX rows
 * in the map's order, the rest counted; a full cell lists its first
 * offers and counts all; the totals and the hubs' counts exact. */
static void test_bounded(void **state)
{
	(void)state;
	char bigdir[64];
	struct store *big;
	uint8_t k5[32], s5[64];
	tu_keypair(5, k5, s5);
	assert_int_equal(tu_tmpdir(bigdir, "ecomap-big"), 0);
	assert_int_equal(store_open(bigdir, 0, 0, &big, NULL), 0);
	big_fill(big, s5);
	json_t *m = run_map_on(big, NULL);
	json_t *ps = json_object_get(m, "partners");
	assert_int_equal(ECOMAP_PARTNERS_MAX, 300);
	assert_int_equal(json_array_size(ps), ECOMAP_PARTNERS_MAX);
	assert_int_equal(num(m, "partners_shown"), 325);
	assert_int_equal(num(m, "partners_more"), 25);
	assert_int_equal(num(m, "offers_shown"), 337);
	assert_int_equal(num(m, "unplaced"), 0);
	assert_int_equal(num(m, "hubs_shown"), 3);
	/* the first 300 in the map's order: hub-a's 250, then hub-b's first 50 */
	assert_string_equal(json_string_value(json_object_get(json_array_get(ps, 0), "id")), "p000");
	assert_string_equal(json_string_value(json_object_get(json_array_get(ps, 299), "id")), "p299");
	/* the hubs of the rows listed, with all their partners */
	json_t *hubs = json_object_get(m, "hubs");
	assert_int_equal(json_array_size(hubs), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(hubs, 1), "id")), "hub-b");
	assert_int_equal(num(json_array_get(hubs, 0), "partners"), 250);
	assert_int_equal(num(json_array_get(hubs, 1), "partners"), 70);
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(hubs, 1),
	                    "name"), "en")), "hub-b");
	/* p000's financing: 12 offers, the first 8 listed, one made for a sector */
	json_t *cell = json_array_get(json_object_get(json_array_get(ps, 0), "cells"), 0);
	assert_string_equal(json_string_value(json_object_get(cell, "need")), "financing");
	assert_int_equal(num(cell, "count"), 12);
	assert_int_equal(json_array_size(json_object_get(cell, "offers")), ECOMAP_CELL_OFFERS_MAX);
	assert_true(json_is_true(json_object_get(cell, "made_for")));
	/* the picture: the rows listed, one more row, the cell's title */
	char *svg = NULL;
	size_t len = 0;
	struct gl_error err = { 0 };
	assert_int_equal(ecomap_svg(m, "en", &svg, &len, &err), 0);
	assert_non_null(strstr(svg, "and 25 more partners"));
	assert_non_null(strstr(svg, "; and 4 more"));
	assert_int_equal(svg_count(svg, len, "//s:g/s:circle"), 301); /* 300 + p000's financing */
	assert_int_equal(svg_count(svg, len, "//s:g/s:circle[@fill='#1b3a6b']"), 1);
	free(svg);
	json_decref(m);
	/* a sector: p000's restricted offer alone is for biotech, the rest open */
	m = run_map_on(big, "photonics");
	assert_int_equal(num(m, "offers_shown"), 336);
	json_decref(m);
	store_close(big);
	tu_rmtree(bigdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_what_counts),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_svg),
		cmocka_unit_test(test_bounded),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

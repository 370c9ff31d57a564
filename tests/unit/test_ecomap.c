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

static json_t *run_map(const char *sector)
{
	struct store_txn *t;
	json_t *m = NULL;
	struct gl_error err = { 0 };
	assert_int_equal(store_begin(st, false, &t, NULL), 0);
	if (ecomap_run(t, tax, sector, 1773144000u, &m, &err))
		fail_msg("%s", err.msg);
	store_abort(t);
	return m;
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
	assert_string_equal(json_string_value(json_array_get(json_object_get(cell, "needs"), 0)),
	                    "location-lab");
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
	xmlDocPtr doc = xmlReadMemory(svg, (int)len, "map.svg", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
	assert_non_null(doc);
	xmlXPathContextPtr x = xmlXPathNewContext(doc);
	xmlXPathRegisterNs(x, BAD_CAST "s", BAD_CAST "http://www.w3.org/2000/svg");
	xmlXPathObjectPtr dots = xmlXPathEvalExpression(BAD_CAST "//s:g/s:circle", x);
	assert_int_equal(dots->nodesetval ? dots->nodesetval->nodeNr : 0, 5); /* one per cell */
	xmlXPathObjectPtr full = xmlXPathEvalExpression(BAD_CAST "//s:circle[@fill='#1b3a6b']", x);
	/* the legend's dot, and the cells with offers for some sectors: park's two, wide's one */
	assert_int_equal(full->nodesetval ? full->nodesetval->nodeNr : 0, 4);
	xmlXPathFreeObject(full);
	xmlXPathFreeObject(dots);
	xmlXPathFreeContext(x);
	xmlFreeDoc(doc);
	assert_true(strstr(svg, "Park \"&lt;&amp;&gt;\xEF\xBF\xBD (nl)") ||
	            strstr(svg, "Park &quot;&lt;&amp;&gt;\xEF\xBF\xBD (nl)"));
	assert_non_null(strstr(svg, "Het Park \xE2\x80\x94 Gent (Zuid)"));
	assert_non_null(strstr(svg, "Niet op een hub"));
	free(svg);
	json_decref(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_what_counts),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_svg),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

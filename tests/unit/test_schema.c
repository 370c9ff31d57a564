/* Unit tests: the schema files through the C validator (schemas/). */
#include "testutil.h"

#include <dirent.h>

#include "schemas/doc.h"
#include "schemas/jsonmp.h"
#include "schemas/schema.h"

static struct schema_set *set;

static bool has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* Validate a JSON document against one schema file, as msgpack (the form
 * the validator reads).  Returns the error code, the message in err. */
static int validate_json(const json_t *j, const char *schema, const char *name,
                         struct gl_error *err)
{
	struct gl_buf b = { 0 };
	int rc = jsonmp_pack(j, NULL, &b, err);
	if (!rc) {
		msgpack_zone z;
		msgpack_zone_init(&z, 1024);
		msgpack_object o;
		size_t off = 0;
		assert_int_equal(msgpack_unpack((const char *)b.data, b.len, &off, &z, &o),
		                 MSGPACK_UNPACK_SUCCESS);
		struct schema_errors errs;
		rc = schema_validate(set, schema, &o, &errs);
		if (rc)
			schema_errors_report(&errs, name, err);
		msgpack_zone_destroy(&z);
	}
	gl_buf_free(&b);
	return rc;
}

/* Validate a document file the way gilde does; profile files against the
 * profile schema, plan files against the plan schema and their profile
 * against the profile schema.  Returns the error code, the message in err. */
static int validate_file(const char *path, const char *name, struct gl_error *err)
{
	size_t len;
	char *text = tu_read(path, &len);
	assert_non_null(text);
	int rc;
	bool plan = has_prefix(name, "plan-");
	/* a progress event, and an insight record, which the node signs itself */
	const char *whole = plan ? "plan.schema.json" : has_prefix(name, "profile-") ? "profile.schema.json"
	                  : has_prefix(name, "progress-") ? "progress.schema.json"
	                  : has_prefix(name, "insight-") ? "insight.schema.json" : NULL;
	if (whole) {
		json_error_t jerr;
		json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
		assert_non_null(j);
		rc = validate_json(j, whole, name, err);
		if (!rc && plan)
			rc = validate_json(json_object_get(j, "profile"), "profile.schema.json", name, err);
		json_decref(j);
	} else {
		struct doc d;
		rc = doc_parse(set, text, len, name, &d, err);
		if (!rc)
			doc_free(&d);
	}
	free(text);
	return rc;
}

static void test_valid_examples(void **state)
{
	(void)state;
	char *dirpath = tu_source_path("schemas/examples");
	DIR *d = opendir(dirpath);
	assert_non_null(d);
	struct dirent *de;
	unsigned n = 0;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l < 6 || strcmp(de->d_name + l - 5, ".json"))
			continue;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dirpath, de->d_name);
		struct gl_error err = { 0 };
		int rc = validate_file(path, de->d_name, &err);
		if (rc)
			fail_msg("%s should be valid: %s", de->d_name, err.msg);
		n++;
	}
	closedir(d);
	free(dirpath);
	assert_true(n >= 12);
}

static void test_invalid_examples(void **state)
{
	(void)state;
	char *expect = tu_source_path("schemas/examples/invalid/expect.tsv");
	char *text = tu_read(expect, NULL);
	assert_non_null(text);
	unsigned n = 0;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char *tab = strchr(line, '\t');
		if (!tab || line[0] == '#')
			continue;
		*tab = '\0';
		const char *name = line, *ptr = tab + 1;
		char rel[512], path[4096 + 600];
		snprintf(rel, sizeof rel, "schemas/examples/invalid/%s", name);
		char *p = tu_source_path(rel);
		snprintf(path, sizeof path, "%s", p);
		free(p);
		struct gl_error err = { 0 };
		int rc = validate_file(path, name, &err);
		if (rc == 0)
			fail_msg("%s should be invalid (at %s)", name, ptr);
		/* the C validator names the same location as expect.tsv */
		char want[700];
		snprintf(want, sizeof want, "%s: %s: ", name, *ptr ? ptr : "/");
		if (!strstr(err.msg, want))
			fail_msg("%s: expected a problem at %s, got: %s", name, ptr, err.msg);
		n++;
	}
	free(text);
	free(expect);
	assert_true(n >= 20);
}

static int load_one(const char *text, struct gl_error *err)
{
	struct schema_file f = { "x.schema.json", strlen(text), text };
	struct schema_set *s = NULL;
	int rc = schema_set_load_files(&f, 1, &s, err);
	schema_set_free(s);
	return rc;
}

static void test_loader_refuses_what_it_cannot_check(void **state)
{
	(void)state;
	struct gl_error err = { 0 };
	assert_int_equal(load_one("{\"type\": \"object\"}", &err), 0);
	assert_int_equal(load_one("{\"oneOf\": []}", &err), GL_ESCHEMA);
	assert_non_null(strstr(err.msg, "/oneOf"));
	assert_int_equal(load_one("{\"type\": [\"string\", \"null\"]}", &err), GL_ESCHEMA);
	assert_int_equal(load_one("{\"additionalProperties\": {}}", &err), GL_ESCHEMA);
	assert_int_equal(load_one("{\"$ref\": \"#/$defs/none\"}", &err), GL_ESCHEMA);
	assert_int_equal(load_one("{\"format\": \"email\"}", &err), GL_ESCHEMA);
	assert_int_equal(load_one("{\"pattern\": \"([\"}", &err), GL_ESCHEMA);
	assert_int_equal(load_one("{\"properties\": {\"a\": {\"minLength\": -1}}}", &err), GL_ESCHEMA);
	assert_non_null(strstr(err.msg, "/properties/a/minLength"));
	/* every keyword's value is checked, and each form the validator knows passes */
	assert_int_equal(load_one("{\"uniqueItems\": false}", &err), GL_ESCHEMA);
	assert_int_equal(load_one("{\"const\": 1}", &err), GL_ESCHEMA);
	assert_int_equal(load_one("{\"required\": [1]}", &err), GL_ESCHEMA);
	assert_int_equal(load_one("{\"enum\": \"a\"}", &err), GL_ESCHEMA);
	assert_int_equal(load_one("{\"maximum\": \"1\"}", &err), GL_ESCHEMA);
	assert_int_equal(load_one("{\"title\": 1}", &err), GL_ESCHEMA);
	assert_int_equal(load_one("{\"x-terms\": {}}", &err), 0); /* data, at the root */
	assert_int_equal(load_one("{\"items\": {\"x-terms\": {}}}", &err), GL_ESCHEMA);
	assert_int_equal(load_one("{\"title\": \"t\", \"uniqueItems\": true, \"const\": \"c\", "
	                          "\"required\": [\"a\"], \"enum\": [\"a\"], \"maximum\": 3, "
	                          "\"minItems\": 0, \"format\": \"date\", \"pattern\": \"^a\", "
	                          "\"additionalProperties\": false, \"items\": {}}", &err), 0);
}

/* Validate the string s against a one-file schema {"type": "string", "pattern": re}. */
static int match_pattern(const char *re, const char *s, size_t len)
{
	char text[512];
	snprintf(text, sizeof text, "{\"type\": \"string\", \"pattern\": \"%s\"}", re);
	struct schema_file f = { "p.schema.json", strlen(text), text };
	struct schema_set *ps = NULL;
	struct gl_error err = { 0 };
	assert_int_equal(schema_set_load_files(&f, 1, &ps, &err), 0);
	msgpack_object o = { .type = MSGPACK_OBJECT_STR };
	o.via.str.ptr = s;
	o.via.str.size = (uint32_t)len;
	struct schema_errors errs;
	int rc = schema_validate(ps, "p.schema.json", &o, &errs);
	schema_set_free(ps);
	return rc;
}

/* $ ends the string, as in ECMA-262: not "before a final newline" (PCRE's
 * default), which let a URL or an RRULE end in a line break */
static void test_pattern_dollar_is_the_end(void **state)
{
	(void)state;
	assert_int_equal(match_pattern("^[a-z]+$", "abc", 3), 0);
	assert_int_equal(match_pattern("^[a-z]+$", "abc\n", 4), GL_ESCHEMA);
	assert_int_equal(match_pattern("^[a-z]+$", "abc\r\n", 5), GL_ESCHEMA);
	assert_int_equal(match_pattern("^[!-~]+$", "https://stad.gent/\n", 19), GL_ESCHEMA);
	/* and a search, not a whole-string match, where the pattern says so */
	assert_int_equal(match_pattern("b", "abc", 3), 0);
}

static int parse_text(const char *text, struct gl_error *err)
{
	struct doc d;
	int rc = doc_parse(set, text, strlen(text), "t.json", &d, err);
	if (!rc)
		doc_free(&d);
	return rc;
}

#define NEWS_HEAD "{\"kind\": \"news\", \"id\": \"n\", \"title\": {\"nl\": \"t\", \"en\": \"t\"}, " \
                  "\"summary\": {\"nl\": \"s\", \"en\": \"s\"}, "

static void test_documents(void **state)
{
	(void)state;
	struct gl_error err = { 0 };
	assert_int_equal(parse_text(NEWS_HEAD "\"published\": \"2026-01-02T10:00:00+01:00\"}", &err), 0);
	assert_int_equal(parse_text(NEWS_HEAD "\"published\": \"2026-02-30T10:00:00+01:00\"}", &err),
	                 GL_ESCHEMA);
	assert_non_null(strstr(err.msg, "t.json: /published:"));
	assert_int_equal(parse_text(NEWS_HEAD "\"published\": null}", &err), GL_ESCHEMA);
	assert_non_null(strstr(err.msg, "/published: null is not allowed"));
	assert_int_equal(parse_text(NEWS_HEAD "\"published\": \"2026-01-02T10:00:00Z\", "
	                            "\"phases\": [1.5]}", &err), GL_ESCHEMA);
	assert_non_null(strstr(err.msg, "/phases/0: numbers must be whole"));
	assert_int_equal(parse_text("{\"kind\": \"news\", \"kind\": \"offer\"}", &err), GL_EJSON);
	assert_int_equal(parse_text("{\"kind\": \"endorse\", \"id\": \"x\"}", &err), GL_ESCHEMA);
	assert_non_null(strstr(err.msg, "made by gilde commands"));
	assert_int_equal(parse_text("[1, 2]", &err), GL_ESCHEMA);
	assert_int_equal(parse_text("{\"kind\": \"news\", \"id\": \"Bad Id\"}", &err), GL_ESCHEMA);
	assert_non_null(strstr(err.msg, "/id:"));
	assert_int_equal(parse_text("{\"kind\": \"news\",", &err), GL_EJSON);
	assert_non_null(strstr(err.msg, "t.json:1:"));
}

static void test_body_round_trip(void **state)
{
	(void)state;
	const char *text = NEWS_HEAD "\"published\": \"2026-01-02T10:00:00Z\", \"needs\": "
	                   "[\"financing\", \"coaching\"], \"url\": \"https://example.org/\"}";
	struct doc d;
	assert_int_equal(doc_parse(set, text, strlen(text), "t.json", &d, NULL), 0);
	json_t *back = jsonmp_body_to_json(d.body.data, d.body.len);
	json_t *orig = json_loads(text, 0, NULL);
	json_object_del(orig, "kind");
	json_object_del(orig, "id");
	assert_true(json_equal(back, orig));
	/* the body keeps the author's field order */
	const char *first = json_object_iter_key(json_object_iter(back));
	assert_string_equal(first, "title");
	/* and a received body is checked by the same code */
	assert_int_equal(doc_check_body(set, RK_NEWS, "n", 1, d.body.data, d.body.len, NULL), 0);
	assert_int_equal(doc_check_body(set, RK_OFFER, "n", 1, d.body.data, d.body.len, NULL),
	                 GL_ESCHEMA);
	json_decref(back);
	json_decref(orig);
	doc_free(&d);
}

static void test_taxonomy_terms(void **state)
{
	(void)state;
	const json_t *tax = schema_set_file(set, "taxonomy.json");
	assert_non_null(tax);
	const char *defs[] = { "phase", "sector", "need", "activity", "area", "org_type" };
	for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++) {
		json_t *en = json_object_get(json_object_get(json_object_get(tax, "$defs"), defs[i]), "enum");
		json_t *terms = json_object_get(json_object_get(tax, "x-terms"), defs[i]);
		assert_int_equal(json_array_size(en), json_array_size(terms));
		size_t k;
		json_t *t;
		json_array_foreach(terms, k, t) {
			json_t *label = json_object_get(t, "label");
			assert_non_null(json_string_value(json_object_get(label, "nl")));
			assert_non_null(json_string_value(json_object_get(label, "en")));
			assert_string_equal(json_string_value(json_object_get(t, "id")),
			                    json_string_value(json_array_get(en, k)));
		}
	}
}

/* The examples again, through a set whose files are read when first named
 * (schema_set_open, as gilde opens it): the same verdicts, the same
 * places named. */
static void test_examples_lazily(void **state)
{
	struct schema_set *whole = set;
	schema_set_open(&set);
	test_valid_examples(state);
	test_invalid_examples(state);
	test_taxonomy_terms(state);
	schema_set_free(set);
	set = whole;
}

/* A file that fails to read while another names it: the load fails with
 * that file's own reason, not a $ref that "does not resolve". */
static void test_named_file_fails(void **state)
{
	(void)state;
	static const char a[] = "{\"type\": \"object\", \"properties\": "
	                        "{\"x\": {\"$ref\": \"b.schema.json#/$defs/x\"}}}";
	static const char b[] = "{\"$defs\": {\"x\": {\"type\": \"strin\"}}}";
	static const char c[] = "{\"$defs\": {\"x\": {\"type\": \"string\"}}}";
	struct schema_file fs[] = { { "a.schema.json", sizeof a - 1, a },
		                    { "b.schema.json", sizeof b - 1, b } };
	struct schema_set *s = NULL;
	struct gl_error err = { 0 };
	assert_int_equal(schema_set_load_files(fs, 2, &s, &err), GL_ESCHEMA);
	assert_null(s);
	if (!strstr(err.msg, "b.schema.json: /$defs/x/type: type must be one of"))
		fail_msg("the reason given: %s", err.msg);
	fs[1].text = c;
	fs[1].len = sizeof c - 1;
	assert_int_equal(schema_set_load_files(fs, 2, &s, &err), 0);
	schema_set_free(s);
}

int main(void)
{
	struct gl_error err = { 0 };
	if (schema_set_load(&set, &err)) {
		fprintf(stderr, "schema load: %s\n", err.msg);
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_examples),
		cmocka_unit_test(test_invalid_examples),
		cmocka_unit_test(test_loader_refuses_what_it_cannot_check),
		cmocka_unit_test(test_pattern_dollar_is_the_end),
		cmocka_unit_test(test_documents),
		cmocka_unit_test(test_body_round_trip),
		cmocka_unit_test(test_taxonomy_terms),
		cmocka_unit_test(test_examples_lazily),
		cmocka_unit_test(test_named_file_fails),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	schema_set_free(set);
	return rc;
}

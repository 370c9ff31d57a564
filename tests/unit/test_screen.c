/* Unit tests: the screening of foreign start-ups (daemon/query/screen.h).
 *
 * - the engine on small screenings of its own: every kind of condition
 *   (in on a choice and on a multi, is, min, max, answered), unless, a
 *   topic as if / else if / else, a topic that gives no step, steps in the
 *   order of their topics' first rules; a question asked only when the
 *   answers before it meet its when: not required otherwise, its answer
 *   then read as none;
 * - what loading refuses beyond the schema: a condition on a question
 *   that does not exist, an option the question does not have, a test the
 *   question's type cannot answer, fields of another type, ids twice, too
 *   many needs, a question's when on itself or a later question, about on
 *   a step that lists no offers;
 * - the answers: every kind of wrong answer is named;
 * - the shipped schemas/screening.json: every rule, on a route of its own,
 *   and every rule reached by some route (a company's, a branch's, a
 *   self-employed newcomer's); the profile the answers make; the example
 *   answers in schemas/examples/screening/ fit it;
 * - the report against a store: offers for the steps to prepare, none for
 *   the steps in place, a need listed once, the texts in both languages;
 *   a step with words (about) lists the offers of its need they name, in
 *   names first, not an offer an earlier step lists, and points back when
 *   only those are left.
 */
#include "testutil.h"
#include "tu_store.h"

#include <dirent.h>
#include <jansson.h>
#include <unistd.h>

#include "query/screen.h"
#include "query/todo.h"
#include "schemas/jsonmp.h"
#include "schemas/schema.h"
#include "schemas/taxonomy.h"
#include "store/store.h"

static struct schema_set *set;
static struct taxonomy *tax;
static struct todo_paths *paths;
static struct screen *shipped;
static char tmp[64];

static int setup(void **state)
{
	(void)state;
	struct gl_error err = { 0 };
	if (tu_tmpdir(tmp, "screen"))
		return -1;
	if (schema_set_load(&set, &err) || taxonomy_load(set, &tax, &err) ||
	    todo_load(set, tax, NULL, &paths, &err) || screen_load(set, tax, NULL, &shipped, &err)) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	screen_free(shipped);
	todo_free(paths);
	taxonomy_free(tax);
	schema_set_free(set);
	tu_rmtree(tmp);
	return 0;
}

/* ---- helpers ------------------------------------------------------------------- */

/* Write text to a file of the test directory; its path (static). */
static const char *write_file(const char *name, const char *text)
{
	static char path[128];
	snprintf(path, sizeof path, "%s/%s", tmp, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

#define LM(s) "{\"nl\": \"" s " (nl)\", \"en\": \"" s "\"}"

/* A screening made of these questions and rules (JSON array texts). */
static int load_own(const char *questions, const char *rules, struct screen **out,
                    struct gl_error *err)
{
	char *text = gl_xmalloc(16384);
	snprintf(text, 16384, "{\"title\": " LM("T") ", \"intro\": " LM("I") ","
	         " \"profile\": {\"phase\": \"start\", \"international\": true},"
	         " \"questions\": %s, \"rules\": %s}", questions, rules);
	int rc = screen_load(set, tax, write_file("own.json", text), out, err);
	free(text);
	return rc;
}

/* "topic:rule topic:rule …" of the steps answers give (a static buffer). */
static const char *route(const struct screen *s, const char *answers)
{
	static char buf[2048];
	json_error_t je;
	json_t *a = json_loads(answers, 0, &je);
	if (!a)
		fail_msg("bad answers in the test: %s: %s", answers, je.text);
	struct screen_step st[SCREEN_STEPS_MAX];
	size_t n = screen_steps(s, a, st), at = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		at += (size_t)snprintf(buf + at, sizeof buf - at, "%s%s:%s%s", i ? " " : "", st[i].topic,
		                       st[i].rule, st[i].to_prepare ? "" : "+");
	json_decref(a);
	return buf;
}

static const char OWN_Q[] = "["
	"{\"id\": \"kind\", \"type\": \"choice\", \"label\": " LM("K") ", \"required\": true,"
	" \"options\": [{\"id\": \"a\", \"label\": " LM("A") "}, {\"id\": \"b\", \"label\": " LM("B") "},"
	"              {\"id\": \"c\", \"label\": " LM("C") "}]},"
	"{\"id\": \"wants\", \"type\": \"multi\", \"label\": " LM("W") ", \"required\": false,"
	" \"max_choices\": 2,"
	" \"options\": [{\"id\": \"x\", \"label\": " LM("X") "}, {\"id\": \"y\", \"label\": " LM("Y") "},"
	"              {\"id\": \"z\", \"label\": " LM("Z") "}]},"
	"{\"id\": \"ok\", \"type\": \"yesno\", \"label\": " LM("O") ", \"required\": false},"
	"{\"id\": \"size\", \"type\": \"number\", \"label\": " LM("S") ", \"required\": false,"
	" \"min\": 1, \"max\": 100},"
	"{\"id\": \"note\", \"type\": \"text\", \"label\": " LM("N") ", \"required\": false,"
	" \"max_length\": 5}]";

/* A rule: id, topic, its conditions (JSON members or ""), its status (P: to
 * prepare, I: in place). */
#define P "to_prepare"
#define I "in_place"
#define RULE(id, topic, conds, status) \
	"{\"id\": \"" id "\", \"topic\": \"" topic "\", " conds " \"status\": \"" status \
	"\", \"title\": " LM(id) ", \"text\": " LM(id) "}"

static void bad_answers(const struct screen *s, const char *answers, const char *expect);

/* ---- the engine ------------------------------------------------------------------- */

static void test_conditions(void **state)
{
	(void)state;
	struct screen *s = NULL;
	struct gl_error err = { 0 };
	const char *rules = "["
		RULE("in-choice", "t1", "\"when\": [{\"q\": \"kind\", \"in\": [\"a\", \"c\"]}],", P) ","
		RULE("in-multi", "t2", "\"when\": [{\"q\": \"wants\", \"in\": [\"y\"]}],", P) ","
		RULE("is-yes", "t3", "\"when\": [{\"q\": \"ok\", \"is\": true}],", I) ","
		RULE("is-no", "t4", "\"when\": [{\"q\": \"ok\", \"is\": false}],", I) ","
		RULE("min", "t5", "\"when\": [{\"q\": \"size\", \"min\": 10}],", I) ","
		RULE("max", "t6", "\"when\": [{\"q\": \"size\", \"max\": 10}],", I) ","
		RULE("said", "t7", "\"when\": [{\"q\": \"note\", \"answered\": true}],", I) ","
		RULE("unsaid", "t8", "\"when\": [{\"q\": \"note\", \"answered\": false}],", I) ","
		RULE("both", "t9", "\"when\": [{\"q\": \"kind\", \"in\": [\"b\"]}, {\"q\": \"ok\", \"is\": true}],", P)
		"]";
	if (load_own(OWN_Q, rules, &s, &err))
		fail_msg("%s", err.msg);
	/* nothing answered: no in, is, min or max holds; "answered": false does */
	assert_string_equal(route(s, "{}"), "t8:unsaid+");
	assert_string_equal(route(s, "{\"kind\": \"a\"}"), "t1:in-choice t8:unsaid+");
	assert_string_equal(route(s, "{\"kind\": \"b\"}"), "t8:unsaid+");
	assert_string_equal(route(s, "{\"kind\": \"c\", \"wants\": [\"x\", \"y\"]}"),
	                    "t1:in-choice t2:in-multi t8:unsaid+");
	assert_string_equal(route(s, "{\"wants\": [\"x\", \"z\"]}"), "t8:unsaid+");
	assert_string_equal(route(s, "{\"ok\": true}"), "t3:is-yes+ t8:unsaid+");
	assert_string_equal(route(s, "{\"ok\": false}"), "t4:is-no+ t8:unsaid+");
	/* min and max hold at their bound */
	assert_string_equal(route(s, "{\"size\": 10}"), "t5:min+ t6:max+ t8:unsaid+");
	assert_string_equal(route(s, "{\"size\": 11}"), "t5:min+ t8:unsaid+");
	assert_string_equal(route(s, "{\"size\": 9}"), "t6:max+ t8:unsaid+");
	assert_string_equal(route(s, "{\"note\": \"hi\"}"), "t7:said+");
	/* all of when */
	assert_string_equal(route(s, "{\"kind\": \"b\", \"ok\": true, \"note\": \"n\"}"),
	                    "t3:is-yes+ t7:said+ t9:both");
	/* an answer that does not fit its question counts as unanswered */
	assert_string_equal(route(s, "{\"kind\": \"q\", \"size\": 1000, \"ok\": \"yes\","
	                             " \"note\": \"too long\"}"), "t8:unsaid+");
	screen_free(s);
}

static void test_topics(void **state)
{
	(void)state;
	struct screen *s = NULL;
	struct gl_error err = { 0 };
	/* topic "b" starts first; "a"'s rules are split by one of "b"; "none"
	 * may give nothing */
	const char *rules = "["
		RULE("b-if", "b", "\"when\": [{\"q\": \"ok\", \"is\": true}],", P) ","
		RULE("a-if", "a", "\"when\": [{\"q\": \"kind\", \"in\": [\"a\"]}],", P) ","
		RULE("b-else", "b", "", I) ","
		RULE("a-elif", "a", "\"when\": [{\"q\": \"size\", \"min\": 5}],"
		     " \"unless\": [{\"q\": \"wants\", \"in\": [\"z\"]}, {\"q\": \"note\", \"answered\": true}],", P) ","
		RULE("a-else", "a", "", I) ","
		RULE("none-if", "none", "\"when\": [{\"q\": \"kind\", \"in\": [\"c\"]}],", P)
		"]";
	if (load_own(OWN_Q, rules, &s, &err))
		fail_msg("%s", err.msg);
	assert_string_equal(route(s, "{}"), "b:b-else+ a:a-else+");
	assert_string_equal(route(s, "{\"ok\": true, \"kind\": \"a\", \"size\": 9}"), "b:b-if a:a-if");
	assert_string_equal(route(s, "{\"size\": 9}"), "b:b-else+ a:a-elif");
	/* unless: any one of its conditions is enough to leave the rule out */
	assert_string_equal(route(s, "{\"size\": 9, \"wants\": [\"z\"]}"), "b:b-else+ a:a-else+");
	assert_string_equal(route(s, "{\"size\": 9, \"note\": \"x\"}"), "b:b-else+ a:a-else+");
	assert_string_equal(route(s, "{\"kind\": \"c\"}"), "b:b-else+ a:a-else+ none:none-if");
	screen_free(s);
}

/* A question with when: asked, and so required, only when the answers
 * before it meet it; an answer to it otherwise is none to the rules. */
static void test_asked(void **state)
{
	(void)state;
	struct screen *s = NULL;
	struct gl_error err = { 0 };
	const char *questions = "["
		"{\"id\": \"kind\", \"type\": \"choice\", \"label\": " LM("K") ", \"required\": true,"
		" \"options\": [{\"id\": \"a\", \"label\": " LM("A") "}, {\"id\": \"b\", \"label\": " LM("B") "}]},"
		"{\"id\": \"size\", \"type\": \"number\", \"label\": " LM("S") ", \"required\": true,"
		" \"min\": 1, \"max\": 100, \"when\": [{\"q\": \"kind\", \"in\": [\"a\"]}]},"
		"{\"id\": \"ok\", \"type\": \"yesno\", \"label\": " LM("O") ", \"required\": true,"
		" \"when\": [{\"q\": \"kind\", \"in\": [\"a\"]}, {\"q\": \"size\", \"min\": 10}],"
		" \"yes\": {\"phase\": \"growth\"}}]";
	const char *rules = "["
		RULE("big", "t1", "\"when\": [{\"q\": \"size\", \"min\": 10}],", I) ","
		RULE("sized", "t2", "\"when\": [{\"q\": \"size\", \"answered\": true}],", I) ","
		RULE("fine", "t3", "\"when\": [{\"q\": \"ok\", \"is\": true}],", P)
		"]";
	if (load_own(questions, rules, &s, &err))
		fail_msg("%s", err.msg);
	/* b asks neither size nor ok: they are not required, and not read */
	json_t *a = json_loads("{\"kind\": \"b\"}", 0, NULL);
	assert_int_equal(screen_check(s, a, "answers", &err), 0);
	assert_false(screen_asked(s, a, "size"));
	assert_false(screen_asked(s, a, "ok"));
	assert_true(screen_asked(s, a, "kind"));
	assert_false(screen_asked(s, a, "nope"));
	json_decref(a);
	assert_string_equal(route(s, "{\"kind\": \"b\", \"size\": 50, \"ok\": true}"), "");
	a = json_loads("{\"kind\": \"b\", \"size\": 50, \"ok\": true}", 0, NULL);
	assert_int_equal(screen_check(s, a, "answers", &err), 0);
	struct screen_step st[SCREEN_STEPS_MAX];
	json_t *p = screen_profile(s, a, st, screen_steps(s, a, st), NULL);
	assert_string_equal(json_string_value(json_object_get(p, "phase")), "start"); /* not ok's */
	json_decref(p);
	json_decref(a);
	/* an answer not asked is still checked for its type */
	bad_answers(s, "{\"kind\": \"b\", \"size\": 0}", "/size: give a whole number from 1");
	/* a asks size; a size of 10 asks ok, both required then */
	bad_answers(s, "{\"kind\": \"a\"}", "answers: /size: required, not answered");
	a = json_loads("{\"kind\": \"a\", \"size\": 5}", 0, NULL);
	assert_int_equal(screen_check(s, a, "answers", &err), 0);
	assert_true(screen_asked(s, a, "size"));
	assert_false(screen_asked(s, a, "ok"));
	json_decref(a);
	assert_string_equal(route(s, "{\"kind\": \"a\", \"size\": 5, \"ok\": true}"), "t2:sized+");
	bad_answers(s, "{\"kind\": \"a\", \"size\": 10}", "answers: /ok: required, not answered");
	assert_string_equal(route(s, "{\"kind\": \"a\", \"size\": 10, \"ok\": true}"),
	                    "t1:big+ t2:sized+ t3:fine");
	/* a size that does not fit is none: ok is not asked */
	assert_string_equal(route(s, "{\"kind\": \"a\", \"size\": 500, \"ok\": true}"), "");
	screen_free(s);
}

/* Loading refuses what the schema cannot see; the message names where. */
static void refused(const char *questions, const char *rules, const char *expect)
{
	struct screen *s = NULL;
	struct gl_error err = { 0 };
	int rc = load_own(questions, rules, &s, &err);
	if (rc != GL_ESCHEMA || !strstr(err.msg, expect))
		fail_msg("expected GL_ESCHEMA with \"%s\", got %d: %s", expect, rc, err.msg);
	assert_null(s);
}

static void test_load_refuses(void **state)
{
	(void)state;
	const char *ok = "[" RULE("r", "t", "", P) "]";
	refused(OWN_Q, "[" RULE("r", "t", "\"when\": [{\"q\": \"nope\", \"is\": true}],", P) "]",
	        "/rules/0/when/0/q: no question \"nope\"");
	refused(OWN_Q, "[" RULE("r", "t", "\"when\": [{\"q\": \"kind\", \"in\": [\"a\", \"d\"]}],", P) "]",
	        "/rules/0/when/0/in/1: question \"kind\" has no option \"d\"");
	refused(OWN_Q, "[" RULE("r", "t", "\"unless\": [{\"q\": \"kind\", \"is\": true}],", P) "]",
	        "/rules/0/unless/0/is: question \"kind\" is choice, not yesno");
	refused(OWN_Q, "[" RULE("r", "t", "\"when\": [{\"q\": \"ok\", \"min\": 3}],", P) "]",
	        "/rules/0/when/0/min: question \"ok\" is yesno, not number");
	refused(OWN_Q, "[" RULE("r", "t", "\"when\": [{\"q\": \"size\", \"in\": [\"a\"]}],", P) "]",
	        "/rules/0/when/0/in: question \"size\" is number, not choice or multi");
	refused(OWN_Q, "[" RULE("r", "t", "", P) "," RULE("r", "u", "", P) "]",
	        "/rules/1/id: \"r\" is the id of an earlier rule");
	refused("[{\"id\": \"q\", \"type\": \"yesno\", \"label\": " LM("Q") ", \"required\": true,"
	        " \"options\": [{\"id\": \"a\", \"label\": " LM("A") "}, {\"id\": \"b\", \"label\": " LM("B") "}]}]",
	        ok, "/questions/0/options: a yesno question has no options");
	refused("[{\"id\": \"q\", \"type\": \"text\", \"label\": " LM("Q") ", \"required\": true, \"min\": 1}]",
	        ok, "/questions/0/min: a text question has no min");
	refused("[{\"id\": \"q\", \"type\": \"choice\", \"label\": " LM("Q") ", \"required\": true}]",
	        ok, "/questions/0: a choice question needs options");
	refused("[{\"id\": \"q\", \"type\": \"number\", \"label\": " LM("Q") ", \"required\": true,"
	        " \"min\": 5, \"max\": 4}]", ok, "/questions/0/min: 5 is more than max (4)");
	refused("[{\"id\": \"q\", \"type\": \"yesno\", \"label\": " LM("Q") ", \"required\": true},"
	        " {\"id\": \"q\", \"type\": \"yesno\", \"label\": " LM("Q") ", \"required\": true}]",
	        ok, "/questions/1/id: \"q\" is the id of an earlier question");
	refused("[{\"id\": \"q\", \"type\": \"choice\", \"label\": " LM("Q") ", \"required\": true,"
	        " \"options\": [{\"id\": \"a\", \"label\": " LM("A") "}, {\"id\": \"a\", \"label\": " LM("B") "}]}]",
	        ok, "/questions/0/options/1/id: \"a\" is the id of an earlier option");
	/* a question's when names questions before it */
	refused("[{\"id\": \"q\", \"type\": \"yesno\", \"label\": " LM("Q") ", \"required\": true,"
	        " \"when\": [{\"q\": \"r\", \"is\": true}]},"
	        " {\"id\": \"r\", \"type\": \"yesno\", \"label\": " LM("R") ", \"required\": true}]",
	        ok, "/questions/0/when/0/q: question \"r\" is not asked before this one");
	refused("[{\"id\": \"q\", \"type\": \"yesno\", \"label\": " LM("Q") ", \"required\": true,"
	        " \"when\": [{\"q\": \"q\", \"is\": true}]}]",
	        ok, "/questions/0/when/0/q: question \"q\" is not asked before this one");
	refused("[{\"id\": \"q\", \"type\": \"yesno\", \"label\": " LM("Q") ", \"required\": true,"
	        " \"when\": [{\"q\": \"nope\", \"is\": true}]}]",
	        ok, "/questions/0/when/0/q: no question \"nope\"");
	/* about: only where offers are listed */
	refused(OWN_Q, "[{\"id\": \"r\", \"topic\": \"t\", \"status\": \"in_place\", \"need\": "
	        "\"administration\", \"about\": [\"card\"], \"title\": " LM("T") ", \"text\": " LM("T") "}]",
	        "/rules/0/about: only a step to prepare with a need lists offers");
	refused(OWN_Q, "[{\"id\": \"r\", \"topic\": \"t\", \"status\": \"to_prepare\", \"about\": "
	        "[\"card\"], \"title\": " LM("T") ", \"text\": " LM("T") "}]",
	        "/rules/0/about: only a step to prepare with a need lists offers");
	/* nine needs to prepare: more than a profile holds */
	char rules[8192];
	static const char *const needs[] = { "administration", "legal", "financing", "location",
	                                     "coaching", "networking", "talent", "soft-landing",
	                                     "internationalisation" };
	size_t at = (size_t)snprintf(rules, sizeof rules, "[");
	for (int i = 0; i < 9; i++)
		at += (size_t)snprintf(rules + at, sizeof rules - at, "%s{\"id\": \"r%d\", \"topic\": "
		                       "\"t%d\", \"status\": \"to_prepare\", \"need\": \"%s\", \"title\": "
		                       LM("T") ", \"text\": " LM("T") "}", i ? "," : "", i, i, needs[i]);
	snprintf(rules + at, sizeof rules - at, "]");
	refused(OWN_Q, rules, "the steps to prepare name 9 needs; a profile holds at most 8");
	/* the schema first: a condition with two tests */
	struct screen *s = NULL;
	struct gl_error err = { 0 };
	assert_int_equal(load_own(OWN_Q, "[" RULE("r", "t", "\"when\": [{\"q\": \"ok\", \"is\": true,"
	                                       " \"answered\": true}],", P) "]", &s, &err), GL_ESCHEMA);
	assert_non_null(strstr(err.msg, "/rules/0/when/0"));
	/* not JSON, no file */
	assert_int_equal(screen_load(set, tax, write_file("bad.json", "{\"title\": "), &s, &err),
	                 GL_EFORMAT);
	assert_int_equal(screen_load(set, tax, "/nonexistent/screening.json", &s, &err), GL_ENOTFOUND);
}

static void bad_answers(const struct screen *s, const char *answers, const char *expect)
{
	struct gl_error err = { 0 };
	json_t *a = json_loads(answers, 0, NULL);
	assert_non_null(a);
	int rc = screen_check(s, a, "answers", &err);
	json_decref(a);
	if (rc != GL_ESCHEMA || !strstr(err.msg, expect))
		fail_msg("%s: expected GL_ESCHEMA with \"%s\", got %d: %s", answers, expect, rc, err.msg);
}

static void test_answers(void **state)
{
	(void)state;
	struct screen *s = NULL;
	struct gl_error err = { 0 };
	if (load_own(OWN_Q, "[" RULE("r", "t", "", P) "]", &s, &err))
		fail_msg("%s", err.msg);
	json_t *a = json_loads("{\"kind\": \"a\", \"wants\": [\"x\", \"z\"], \"ok\": false,"
	                       " \"size\": 100, \"note\": \"ééééé\"}", 0, NULL);
	assert_int_equal(screen_check(s, a, "answers", &err), 0);
	json_decref(a);
	bad_answers(s, "{}", "answers: /kind: required, not answered");
	bad_answers(s, "[]", "answers: /: the answers are a JSON object");
	bad_answers(s, "{\"kind\": \"a\", \"colour\": 1}", "/colour: no such question");
	bad_answers(s, "{\"kind\": \"d\"}", "/kind: give one of: a, b, c");
	bad_answers(s, "{\"kind\": \"a\", \"wants\": [\"x\", \"y\", \"z\"]}",
	            "/wants: give a list of 1 to 2 of: x, y, z");
	bad_answers(s, "{\"kind\": \"a\", \"wants\": []}", "/wants: give a list of 1 to 2");
	bad_answers(s, "{\"kind\": \"a\", \"wants\": [\"x\", \"x\"]}", "/wants: item 1: given twice");
	bad_answers(s, "{\"kind\": \"a\", \"wants\": [\"w\"]}", "/wants: item 0: no such option");
	bad_answers(s, "{\"kind\": \"a\", \"ok\": 1}", "/ok: give true or false");
	bad_answers(s, "{\"kind\": \"a\", \"size\": 0}", "/size: give a whole number from 1 to 100");
	bad_answers(s, "{\"kind\": \"a\", \"size\": 2.5}", "/size: give a whole number");
	bad_answers(s, "{\"kind\": \"a\", \"note\": \"éééééé\"}", "/note: give a text of 1 to 5");
	bad_answers(s, "{\"kind\": \"a\", \"note\": \"\"}", "/note: give a text of 1 to 5");
	screen_free(s);
}

/* ---- the shipped screening ---------------------------------------------------------- */

/* The smallest answers: each case below adds to them (a JSON object's
 * members, without braces). */
#define BASE "\"work\": \"company\", \"home_country\": \"Canada\", \"stage\": \"market\", \"product_in_market\": true," \
	" \"team_size\": 4, \"funding\": \"none\", \"sectors\": [\"digital\"], \"why\": [\"market\"]," \
	" \"relocating\": false, \"entity_here\": false"

static const struct {
	const char *answers;   /* members after BASE's (wants is the case's, else ["office"]) */
	const char *route;
} CASES[] = {
	{ "\"wants\": [\"office\"]",
	  "landing-desk:landing-desk-contact why-here:why-here-write market:market-in+ "
	  "entity:entity-decide permits:permits-none+ office:office-find talent:team-in+" },
	{ "\"wants\": [\"office\"], \"in_touch\": true, \"why_text\": \"Customers in Europe.\"",
	  "landing-desk:landing-desk-known+ why-here:why-here-written+ market:market-in+ "
	  "entity:entity-decide permits:permits-none+ office:office-find talent:team-in+" },
	{ "\"wants\": [\"pilots\", \"lab\"], \"in_touch\": false, \"entity_here\": true",
	  "landing-desk:landing-desk-contact why-here:why-here-write market:market-pilot "
	  "entity:entity-in+ permits:permits-none+ lab:lab-find talent:team-in+" },
	{ "\"wants\": [\"entity\", \"permits\"], \"product_in_market\": false",
	  "landing-desk:landing-desk-contact why-here:why-here-write market:market-first "
	  "entity:entity-set-up permits:permits-check talent:team-in+" },
	{ "\"wants\": [\"talent\"], \"relocating\": true, \"nationality\": \"all_eu\"",
	  "landing-desk:landing-desk-contact why-here:why-here-write market:market-in+ "
	  "entity:entity-decide permits:permits-eu+ talent:talent-hire" },
	{ "\"wants\": [\"funding\"], \"relocating\": true, \"nationality\": \"some_non_eu\","
	  " \"team_size\": 1, \"funding\": \"small\"",
	  "landing-desk:landing-desk-contact why-here:why-here-write market:market-in+ "
	  "entity:entity-decide permits:permits-non-eu talent:team-alone funding:funding-grants" },
	{ "\"wants\": [\"funding\", \"partners\"], \"relocating\": true, \"funding\": \"seed\"",
	  "landing-desk:landing-desk-contact why-here:why-here-write market:market-in+ "
	  "entity:entity-decide permits:permits-check talent:team-in+ funding:funding-round "
	  "sector:sector-partners" },
	{ "\"wants\": [\"research\"], \"funding\": \"series\"",
	  "landing-desk:landing-desk-contact why-here:why-here-write market:market-in+ "
	  "entity:entity-decide permits:permits-none+ talent:team-in+ funding:funding-in+ "
	  "research:research-wanted" },
	{ "\"wants\": [\"partners\"], \"why\": [\"research\", \"talent\"]",
	  "landing-desk:landing-desk-contact why-here:why-here-write market:market-in+ "
	  "entity:entity-decide permits:permits-none+ talent:team-in+ sector:sector-partners "
	  "research:research-reason" },
	/* a branch is a company's route */
	{ "\"wants\": [\"entity\"], \"work\": \"branch\"",
	  "landing-desk:landing-desk-contact why-here:why-here-write market:market-in+ "
	  "entity:entity-set-up permits:permits-none+ talent:team-in+" },
	/* a self-employed newcomer: none of a company's steps, though BASE answers its
	 * questions (not asked: read as no answer) */
	{ "\"work\": \"self_employed\", \"wants\": [\"office\"], \"eea_citizen\": false,"
	  " \"registered\": false",
	  "newcomer:newcomer-city why-here:why-here-write card:card-apply bank:bank-account "
	  "register:register-self vat:vat-activate office:office-self" },
	{ "\"work\": \"self_employed\", \"wants\": [\"pilots\", \"funding\", \"entity\", \"permits\"],"
	  " \"eea_citizen\": true, \"registered\": true, \"in_touch\": true",
	  "newcomer:newcomer-city why-here:why-here-write market:market-self-clients card:card-none+ "
	  "register:register-done+ funding:funding-self" },
};

static void test_shipped_routes(void **state)
{
	(void)state;
	char answers[1024], seen[4096] = " ";
	for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
		/* a later member replaces BASE's: json_loads keeps the last */
		snprintf(answers, sizeof answers, "{" BASE ", %s}", CASES[i].answers);
		json_t *a = json_loads(answers, 0, NULL);
		struct gl_error err = { 0 };
		assert_non_null(a);
		if (screen_check(shipped, a, "answers", &err))
			fail_msg("case %zu: %s", i, err.msg);
		json_decref(a);
		const char *got = route(shipped, answers);
		if (strcmp(got, CASES[i].route))
			fail_msg("case %zu: route\n  %s\nexpected\n  %s", i, got, CASES[i].route);
		strncat(seen, got, sizeof seen - strlen(seen) - 2);
		strcat(seen, " ");
	}
	/* every rule of the file is on some route */
	const json_t *doc = NULL;
	char *path = tu_source_path("schemas/screening.json");
	json_t *file = json_load_file(path, 0, NULL);
	free(path);
	assert_non_null(file);
	doc = json_object_get(file, "rules");
	size_t k;
	json_t *r;
	json_array_foreach(doc, k, r) {
		char key[160];
		snprintf(key, sizeof key, ":%s", json_string_value(json_object_get(r, "id")));
		const char *at = strstr(seen, key);
		if (!at || (at[strlen(key)] != ' ' && at[strlen(key)] != '+'))
			fail_msg("rule %s is on no route of the test", key + 1);
	}
	json_decref(file);
}

static void test_shipped_profile(void **state)
{
	(void)state;
	json_t *a = json_loads("{" BASE ", \"stage\": \"scaling\", \"offering\": \"tech\","
	                       " \"sectors\": [\"photonics\", \"digital\"], \"wants\": [\"lab\", \"talent\","
	                       " \"research\"], \"relocating\": true, \"nationality\": \"some_non_eu\"}",
	                       0, NULL);
	assert_non_null(a);
	struct screen_step st[SCREEN_STEPS_MAX];
	size_t n = screen_steps(shipped, a, st);
	json_t *p = screen_profile(shipped, a, st, n, "nl");
	json_t *want = json_loads("{\"phase\": \"growth\", \"international\": true, \"area\": \"gent\","
	                          " \"activity\": \"tech-product\", \"premises\": \"needed\","
	                          " \"sectors\": [\"digital\", \"photonics\"],"
	                          " \"needs\": [\"soft-landing-desk\", \"administration\", \"location-lab\","
	                          " \"talent\", \"research-valorisation\"], \"lang\": \"nl\"}", 0, NULL);
	char *got = json_dumps(p, JSON_SORT_KEYS), *exp = json_dumps(want, JSON_SORT_KEYS);
	if (!json_equal(p, want))
		fail_msg("profile\n  %s\nexpected\n  %s", got, exp);
	struct gl_error err = { 0 };
	assert_int_equal(schema_validate_json(set, "profile.schema.json", p, "profile", &err), 0);
	free(got);
	free(exp);
	json_decref(want);
	json_decref(p);
	json_decref(a);
}

/* The example answers (schemas/examples/screening/) fit the shipped questions. */
static void test_shipped_examples(void **state)
{
	(void)state;
	char *dir = tu_source_path("schemas/examples/screening");
	DIR *d = opendir(dir);
	struct dirent *de;
	unsigned n = 0;
	assert_non_null(d);
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l < 6 || strcmp(de->d_name + l - 5, ".json"))
			continue;
		char path[4096];
		struct gl_error err = { 0 };
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		json_t *a = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
		if (!a || screen_check(shipped, a, de->d_name, &err))
			fail_msg("%s: %s", de->d_name, a ? err.msg : "not JSON");
		struct screen_step st[SCREEN_STEPS_MAX];
		assert_true(screen_steps(shipped, a, st) > 0);
		json_decref(a);
		n++;
	}
	closedir(d);
	free(dir);
	assert_true(n >= 2);
}

/* ---- the report ----------------------------------------------------------------- */

static uint8_t pk[32], sk[64];
static uint64_t version = 1;

static void put(struct store *s, int kind, const char *id, const char *body_json)
{
	tu_put_json(s, sk, &version, kind, id, body_json);
}

static json_t *report_per(struct store *s, const char *answers, const char *lang, unsigned per_step)
{
	struct store_txn *t;
	json_t *a = json_loads(answers, 0, NULL), *out = NULL;
	struct screen_opts o = { .lang = lang, .per_step = per_step, .now = 1773144000u, .paths = paths };
	struct gl_error err = { 0 };
	assert_non_null(a);
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	if (screen_report(t, tax, set, shipped, a, &o, &out, &err))
		fail_msg("%s", err.msg);
	store_abort(t);
	json_decref(a);
	return out;
}

static json_t *report(struct store *s, const char *answers, const char *lang)
{
	return report_per(s, answers, lang, 5);
}

static const json_t *step(const json_t *rep, const char *topic)
{
	size_t k;
	json_t *st;
	json_array_foreach(json_object_get(rep, "steps"), k, st)
		if (!strcmp(json_string_value(json_object_get(st, "topic")), topic))
			return st;
	fail_msg("no step of topic %s", topic);
	return NULL;
}

/* The ids of a step's offers, space-separated (static). */
static const char *offer_ids(const json_t *st)
{
	static char buf[512];
	size_t k, at = 0;
	json_t *o;
	buf[0] = '\0';
	json_array_foreach(json_object_get(st, "offers"), k, o)
		at += (size_t)snprintf(buf + at, sizeof buf - at, "%s%s", k ? " " : "",
		                       json_string_value(json_object_get(o, "id")));
	return buf;
}

/* The file's text of rule id's field in lang. */
static const char *file_text(const char *rule, const char *field, const char *lang)
{
	static char buf[4096];
	char *path = tu_source_path("schemas/screening.json");
	json_t *file = json_load_file(path, 0, NULL);
	size_t k;
	json_t *r;
	free(path);
	buf[0] = '\0';
	json_array_foreach(json_object_get(file, "rules"), k, r)
		if (!strcmp(json_string_value(json_object_get(r, "id")), rule))
			snprintf(buf, sizeof buf, "%s", json_string_value(json_object_get(
				json_object_get(r, field), lang)));
	json_decref(file);
	return buf;
}

/* A store in dir (64 bytes) named name, by the key of seed, holding the
 * partner "desk" the offers of a test name. */
static struct store *desk_store(int seed, const char *name, char *dir)
{
	struct store *s;
	tu_keypair(seed, pk, sk);
	assert_int_equal(tu_tmpdir(dir, name), 0);
	assert_int_equal(store_open(dir, 0, 0, &s, NULL), 0);
	put(s, RK_PARTNER, "desk", "{\"name\": {\"nl\": \"Loket\", \"en\": \"Desk\"}}");
	return s;
}

static void test_report(void **state)
{
	(void)state;
	char dir[64];
	struct store *s = desk_store(7, "screen-report", dir);
	put(s, RK_OFFER, "landing", "{\"partner\": \"desk\", \"needs\": [\"soft-landing\"],"
	    " \"languages\": [\"en\"], \"eligibility\": {\"international\": \"only\"}}");
	put(s, RK_OFFER, "register", "{\"partner\": \"desk\", \"needs\": [\"administration\"],"
	    " \"name\": {\"en\": \"Registration desk\", \"nl\": \"Ondernemingsloket\"},"
	    " \"languages\": [\"en\", \"nl\"]}");
	put(s, RK_OFFER, "card", "{\"partner\": \"desk\", \"needs\": [\"administration\"],"
	    " \"name\": {\"en\": \"Your professional card\", \"nl\": \"Je beroepskaart\"},"
	    " \"languages\": [\"en\", \"nl\"]}");
	put(s, RK_OFFER, "locals", "{\"partner\": \"desk\", \"needs\": [\"administration\"],"
	    " \"languages\": [\"nl\"], \"eligibility\": {\"international\": \"excluded\"}}");
	put(s, RK_OFFER, "desks", "{\"partner\": \"desk\", \"needs\": [\"location-office\"],"
	    " \"languages\": [\"en\"]}");
	const char *answers = "{" BASE ", \"wants\": [\"office\", \"entity\", \"permits\"],"
	                      " \"relocating\": true, \"nationality\": \"some_non_eu\"}";
	json_t *en = report(s, answers, "en"), *nl = report(s, answers, "nl");
	/* landing, why, market, entity, permits, office, talent */
	assert_int_equal(json_array_size(json_object_get(en, "steps")), 7);
	assert_int_equal(json_integer_value(json_object_get(en, "in_place")), 2);
	assert_int_equal(json_integer_value(json_object_get(en, "to_prepare")), 5);
	assert_string_equal(offer_ids(step(en, "landing-desk")), "landing");
	/* an offer for locals only is not for a founder from abroad */
	assert_string_equal(offer_ids(step(en, "entity")), "register");
	/* the permits share the entity's need (paperwork), and each names its
	 * own offers by their words: the desk for the company, the card for
	 * the permits (the permits once pointed back to the company's step) */
	assert_string_equal(offer_ids(step(en, "permits")), "card");
	assert_null(json_object_get(step(en, "permits"), "see_step"));
	assert_null(json_object_get(step(en, "entity"), "see_step"));
	assert_string_equal(offer_ids(step(en, "office")), "desks");
	/* steps in place, and steps without a need, list nothing */
	assert_string_equal(offer_ids(step(en, "market")), "");
	assert_string_equal(offer_ids(step(en, "why-here")), "");
	assert_true(json_is_null(json_object_get(step(en, "why-here"), "need")));
	/* the reasons come from the matcher */
	const json_t *o = json_array_get(json_object_get(step(en, "landing-desk"), "offers"), 0);
	assert_true(json_array_size(json_object_get(o, "reasons")) > 0);
	/* both languages: the file's texts, the taxonomy's labels */
	assert_string_equal(json_string_value(json_object_get(step(en, "permits"), "title")),
	                    file_text("permits-non-eu", "title", "en"));
	assert_string_equal(json_string_value(json_object_get(step(nl, "permits"), "title")),
	                    file_text("permits-non-eu", "title", "nl"));
	assert_string_equal(json_string_value(json_object_get(step(nl, "permits"), "text")),
	                    file_text("permits-non-eu", "text", "nl"));
	assert_string_not_equal(json_string_value(json_object_get(step(nl, "office"), "need_label")),
	                        json_string_value(json_object_get(step(en, "office"), "need_label")));
	assert_string_equal(json_string_value(json_object_get(nl, "lang")), "nl");
	assert_string_equal(json_string_value(json_object_get(json_object_get(nl, "profile"), "lang")),
	                    "nl");
	/* the same route in both */
	for (size_t i = 0; i < 7; i++)
		assert_string_equal(json_string_value(json_object_get(json_array_get(
			json_object_get(nl, "steps"), i), "rule")), json_string_value(json_object_get(
			json_array_get(json_object_get(en, "steps"), i), "rule")));
	json_decref(en);
	json_decref(nl);
	/* answers that do not fit are refused, with where */
	struct store_txn *t;
	json_t *bad = json_loads("{\"stage\": \"later\"}", 0, NULL), *out = NULL;
	struct screen_opts so = { .paths = paths };
	struct gl_error err = { 0 };
	assert_int_equal(store_begin(s, false, &t, NULL), 0);
	assert_int_equal(screen_report(t, tax, set, shipped, bad, &so, &out, &err), GL_ESCHEMA);
	assert_non_null(strstr(err.msg, "answers: /stage: give one of: idea, prototype"));
	assert_null(out);
	store_abort(t);
	json_decref(bad);
	store_close(s);
	tu_rmtree(dir);
}

/* A self-employed newcomer's steps share a need (paperwork): each lists
 * the offers its words name, in names before descriptions, an offer once. */
static void test_report_about(void **state)
{
	(void)state;
	char dir[64];
	struct store *s = desk_store(8, "screen-about", dir);
#define OFFER(id, en, nl, desc) "{\"partner\": \"desk\", \"needs\": [\"administration\"]," \
	" \"languages\": [\"en\", \"nl\"], \"name\": {\"en\": \"" en "\", \"nl\": \"" nl "\"}," \
	" \"description\": {\"en\": \"" desc "\", \"nl\": \"" desc "\"}}"
	put(s, RK_OFFER, "card", OFFER("card", "Help with your professional card",
	    "Hulp bij je beroepskaart", "For founders from abroad."));
	/* the card in its description only: the card step has one by name */
	put(s, RK_OFFER, "residence", OFFER("residence", "Residence advice", "Verblijfsadvies",
	    "Your residence permit, and your professional card."));
	put(s, RK_OFFER, "register", OFFER("register", "Registration desk", "Ondernemingsloket",
	    "We register you and activate your VAT number."));
	put(s, RK_OFFER, "fund", OFFER("fund", "Social insurance fund", "Sociaal verzekeringsfonds",
	    "Your contributions, privately arranged."));
	put(s, RK_OFFER, "city", OFFER("city", "Expat desk of the city", "Expatloket van de stad",
	    "For newcomers."));
	/* no bank: the bank step lists none, though other paperwork is listed */
	const char *answers = "{\"work\": \"self_employed\", \"home_country\": \"India\","
	                      " \"sectors\": [\"services\"], \"why\": [\"market\"], \"wants\": [\"permits\"],"
	                      " \"eea_citizen\": false, \"registered\": false}";
	json_t *en = report(s, answers, "en");
	assert_string_equal(offer_ids(step(en, "newcomer")), "city");
	assert_string_equal(offer_ids(step(en, "card")), "card");
	assert_string_equal(offer_ids(step(en, "bank")), "");
	assert_null(json_object_get(step(en, "bank"), "see_step"));
	assert_string_equal(offer_ids(step(en, "register")), "fund register");
	/* "VAT" is in register's description only ("privately" holds no word VAT):
	 * listed at step 5, the VAT step points there */
	assert_string_equal(offer_ids(step(en, "vat")), "");
	assert_int_equal(json_integer_value(json_object_get(step(en, "vat"), "see_step")), 5);
	assert_int_equal(json_integer_value(json_object_get(step(en, "register"), "n")), 5);
	json_decref(en);
	/* in Dutch, by the Dutch names */
	json_t *nl = report(s, answers, "nl");
	assert_string_equal(offer_ids(step(nl, "card")), "card");
	assert_string_equal(offer_ids(step(nl, "register")), "fund register");
	json_decref(nl);
	/* one a step: the register step shows fund and counts register as more;
	 * the VAT step lists register, which no step shows yet */
	en = report_per(s, answers, "en", 1);
	assert_string_equal(offer_ids(step(en, "register")), "fund");
	assert_int_equal(json_integer_value(json_object_get(step(en, "register"), "more")), 1);
	assert_string_equal(offer_ids(step(en, "vat")), "register");
	assert_null(json_object_get(step(en, "vat"), "see_step"));
	json_decref(en);
	/* a company's answers: its permits step names the card too (it once
	 * pointed back to the company's step, which lists the desks) */
	json_t *co = report(s, "{" BASE ", \"wants\": [\"entity\"], \"relocating\": true,"
	                    " \"nationality\": \"some_non_eu\"}", "en");
	assert_string_equal(offer_ids(step(co, "permits")), "card");
	assert_null(json_object_get(step(co, "permits"), "see_step"));
	json_decref(co);
#undef OFFER
	store_close(s);
	tu_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conditions),
		cmocka_unit_test(test_topics),
		cmocka_unit_test(test_asked),
		cmocka_unit_test(test_load_refuses),
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_shipped_routes),
		cmocka_unit_test(test_shipped_profile),
		cmocka_unit_test(test_shipped_examples),
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_report_about),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

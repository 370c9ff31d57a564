/*
 * screen.c — the screening's questions and rules (screen.h): read from
 * JSON once, checked beyond what the schema can say, and then applied to
 * answers as small structs (an answer is a bit set over its question's
 * options, a yes/no or a number), so that a rule is a loop over at most
 * a few conditions.  The report, which asks the matcher, is screen_report.c.
 */
#include "query/screen.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/alloc.h"
#include "query/screen_int.h"

/* ---- problems: one line each, as schema_errors_report writes them ---------- */

void screen_problem(struct screen_problems *p, const char *fmt, ...)
{
	p->total++;
	if (p->total > SCHEMA_ERRORS_MAX)
		return;
	size_t at = strlen(p->text);
	if (at && at + 1 < sizeof p->text)
		p->text[at++] = '\n', p->text[at] = '\0';
	at += (size_t)snprintf(p->text + at, sizeof p->text - at, "%s: ", p->source);
	if (at >= sizeof p->text)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->text + at, sizeof p->text - at, fmt, ap);
	va_end(ap);
}

int screen_problems_end(const struct screen_problems *p, struct gl_error *err)
{
	if (!p->total)
		return 0;
	if (p->total > SCHEMA_ERRORS_MAX)
		return gl_errorf(err, GL_ESCHEMA, "%s\n%s: … and %u more problems", p->text, p->source,
		                 p->total - SCHEMA_ERRORS_MAX);
	return gl_errorf(err, GL_ESCHEMA, "%s", p->text);
}

/* ---- loading ------------------------------------------------------------- */

static json_t *parse(const char *file, struct gl_error *err)
{
	return schema_data_load("screening.json", file, "the screening", err);
}

static enum screen_qtype qtype_of(const char *s)
{
	static const char *const names[] = { "choice", "multi", "yesno", "text", "number" };
	for (int i = 0; i < 5; i++)
		if (s && !strcmp(s, names[i]))
			return (enum screen_qtype)i;
	return SQ_TEXT; /* the schema allows no other */
}

int screen_question_of(const struct screen *s, const char *id)
{
	for (size_t i = 0; id && i < s->nq; i++)
		if (!strcmp(s->q[i].id, id))
			return (int)i;
	return -1;
}

int screen_option_of(const struct squestion *q, const char *id)
{
	for (unsigned i = 0; id && i < q->nopt; i++)
		if (!strcmp(q->opt[i], id))
			return (int)i;
	return -1;
}

/* The fields a question of type t may carry besides the common ones. */
static bool field_fits(enum screen_qtype t, const char *field)
{
	if (!strcmp(field, "options"))
		return t == SQ_CHOICE || t == SQ_MULTI;
	if (!strcmp(field, "max_choices"))
		return t == SQ_MULTI;
	if (!strcmp(field, "yes") || !strcmp(field, "no"))
		return t == SQ_YESNO;
	if (!strcmp(field, "min") || !strcmp(field, "max"))
		return t == SQ_NUMBER;
	if (!strcmp(field, "max_length"))
		return t == SQ_TEXT;
	return true;
}

static void read_question(struct screen *s, size_t i, const json_t *j, struct screen_problems *p)
{
	struct squestion *q = &s->q[i];
	const char *field;
	json_t *v;
	size_t k;
	q->j = j;
	q->id = json_string_value(json_object_get(j, "id"));
	q->type = qtype_of(json_string_value(json_object_get(j, "type")));
	q->required = json_is_true(json_object_get(j, "required"));
	if (screen_question_of(s, q->id) != (int)i)
		screen_problem(p, "/questions/%zu/id: \"%s\" is the id of an earlier question", i, q->id);
	json_object_foreach((json_t *)j, field, v)
		if (!field_fits(q->type, field))
			screen_problem(p, "/questions/%zu/%s: a %s question has no %s", i, field,
			               json_string_value(json_object_get(j, "type")), field);
	json_array_foreach(json_object_get(j, "options"), k, v) {
		const char *id = json_string_value(json_object_get(v, "id"));
		if (screen_option_of(q, id) >= 0)
			screen_problem(p, "/questions/%zu/options/%zu/id: \"%s\" is the id of an earlier "
			               "option", i, k, id);
		q->opt[q->nopt++] = id;
	}
	if ((q->type == SQ_CHOICE || q->type == SQ_MULTI) && !q->nopt)
		screen_problem(p, "/questions/%zu: a %s question needs options", i,
		               q->type == SQ_CHOICE ? "choice" : "multi");
	json_t *mc = json_object_get(j, "max_choices");
	q->max_choices = mc ? (unsigned)json_integer_value(mc) : q->nopt;
	json_t *ml = json_object_get(j, "max_length");
	q->max_length = ml ? (size_t)json_integer_value(ml) : SCREEN_TEXT_MAX;
	json_t *lo = json_object_get(j, "min"), *hi = json_object_get(j, "max");
	q->min = lo ? (long)json_integer_value(lo) : 0;
	q->max = hi ? (long)json_integer_value(hi) : SCREEN_NUMBER_MAX;
	if (q->min > q->max)
		screen_problem(p, "/questions/%zu/min: %ld is more than max (%ld)", i, q->min, q->max);
}

static size_t read_conds(const struct screen *s, const json_t *list, const char *where,
                         struct scond *out, struct screen_problems *p);

/* A question's when, once every question is read: conditions on the
 * questions before it only, so that whoever asks in order knows. */
static void read_question_when(struct screen *s, size_t i, struct screen_problems *p)
{
	struct squestion *q = &s->q[i];
	char where[64];
	snprintf(where, sizeof where, "/questions/%zu/when", i);
	q->nwhen = read_conds(s, json_object_get(q->j, "when"), where, q->when, p);
	for (size_t k = 0; k < q->nwhen; k++)
		if (q->when[k].q >= (int)i)
			screen_problem(p, "%s/%zu/q: question \"%s\" is not asked before this one", where,
			               k, s->q[q->when[k].q].id);
}

/* One condition; a problem noted for what does not fit its question. */
static void read_cond(const struct screen *s, const json_t *j, const char *where,
                      struct scond *c, struct screen_problems *p)
{
	const char *qid = json_string_value(json_object_get(j, "q"));
	json_t *v, *o;
	size_t k;
	memset(c, 0, sizeof *c);
	c->q = screen_question_of(s, qid);
	if (c->q < 0) {
		screen_problem(p, "%s/q: no question \"%s\"", where, qid);
		return;
	}
	const struct squestion *q = &s->q[c->q];
	const char *types[] = { "choice", "multi", "yesno", "text", "number" };
	if ((v = json_object_get(j, "in"))) {
		c->op = SC_IN;
		if (q->type != SQ_CHOICE && q->type != SQ_MULTI)
			screen_problem(p, "%s/in: question \"%s\" is %s, not choice or multi", where, qid,
			               types[q->type]);
		json_array_foreach(v, k, o) {
			int at = screen_option_of(q, json_string_value(o));
			if (at < 0 && (q->type == SQ_CHOICE || q->type == SQ_MULTI))
				screen_problem(p, "%s/in/%zu: question \"%s\" has no option \"%s\"", where, k,
				               qid, json_string_value(o));
			else if (at >= 0)
				c->opts |= UINT32_C(1) << at;
		}
	} else if ((v = json_object_get(j, "is"))) {
		c->op = SC_IS;
		c->yes = json_is_true(v);
		if (q->type != SQ_YESNO)
			screen_problem(p, "%s/is: question \"%s\" is %s, not yesno", where, qid,
			               types[q->type]);
	} else if ((v = json_object_get(j, "min")) || (v = json_object_get(j, "max"))) {
		c->op = json_object_get(j, "min") ? SC_MIN : SC_MAX;
		c->n = (long)json_integer_value(v);
		if (q->type != SQ_NUMBER)
			screen_problem(p, "%s/%s: question \"%s\" is %s, not number", where,
			               c->op == SC_MIN ? "min" : "max", qid, types[q->type]);
	} else {
		c->op = SC_ANSWERED;
		c->yes = json_is_true(json_object_get(j, "answered"));
	}
}

static size_t read_conds(const struct screen *s, const json_t *list, const char *where,
                         struct scond *out, struct screen_problems *p)
{
	size_t k, n = 0;
	json_t *v;
	char at[96];
	json_array_foreach(list, k, v) {
		if (n == SCREEN_CONDS_MAX)
			break; /* the schema allows no more */
		snprintf(at, sizeof at, "%s/%zu", where, k);
		read_cond(s, v, at, &out[n++], p);
	}
	return n;
}

static void read_rule(struct screen *s, size_t i, const json_t *j, const struct taxonomy *tax,
                      struct screen_problems *p)
{
	struct srule *r = &s->r[i];
	char where[64];
	r->id = json_string_value(json_object_get(j, "id"));
	r->topic = json_string_value(json_object_get(j, "topic"));
	r->to_prepare = !strcmp(json_string_value(json_object_get(j, "status")), "to_prepare");
	r->need = json_string_value(json_object_get(j, "need"));
	r->title = json_object_get(j, "title");
	r->text = json_object_get(j, "text");
	for (size_t k = 0; k < i; k++)
		if (!strcmp(s->r[k].id, r->id))
			screen_problem(p, "/rules/%zu/id: \"%s\" is the id of an earlier rule", i, r->id);
	if (r->need && !taxonomy_term(tax, "need", r->need))
		screen_problem(p, "/rules/%zu/need: \"%s\" is no need of the taxonomy", i, r->need);
	snprintf(where, sizeof where, "/rules/%zu/when", i);
	r->nwhen = read_conds(s, json_object_get(j, "when"), where, r->when, p);
	snprintf(where, sizeof where, "/rules/%zu/unless", i);
	r->nunless = read_conds(s, json_object_get(j, "unless"), where, r->unless, p);
	size_t k;
	json_t *w;
	json_array_foreach(json_object_get(j, "about"), k, w)
		if (r->nabout < SCREEN_ABOUT_MAX) /* the schema allows no more */
			r->about[r->nabout++] = json_string_value(w);
	if (r->nabout && (!r->to_prepare || !r->need))
		screen_problem(p, "/rules/%zu/about: only a step to prepare with a need lists offers",
		               i);
}

/* The steps to prepare may name SCREEN_NEEDS_MAX needs in all. */
static void check_needs(const struct screen *s, struct screen_problems *p)
{
	const char *seen[SCREEN_RULES_MAX];
	size_t n = 0;
	for (size_t i = 0; i < s->nr; i++) {
		const struct srule *r = &s->r[i];
		bool again = !r->to_prepare || !r->need;
		for (size_t k = 0; k < n && !again; k++)
			again = !strcmp(seen[k], r->need);
		if (!again)
			seen[n++] = r->need;
	}
	if (n > SCREEN_NEEDS_MAX)
		screen_problem(p, "/rules: the steps to prepare name %zu needs; a profile holds at "
		               "most %d (SCREEN_NEEDS_MAX, profile.schema.json: needs)", n,
		               SCREEN_NEEDS_MAX);
}

int screen_load(const struct schema_set *set, const struct taxonomy *tax, const char *file,
                struct screen **out, struct gl_error *err)
{
	const char *source = file ? file : "screening.json";
	json_t *j = parse(file, err);
	if (!j)
		return err ? err->code : GL_EFORMAT;
	int rc = schema_validate_json(set, "screening.schema.json", j, source, err);
	if (rc) {
		json_decref(j);
		return rc;
	}
	struct screen *s = gl_xcalloc(1, sizeof *s);
	struct screen_problems p = { .source = source };
	size_t i;
	json_t *v;
	s->doc = j;
	json_array_foreach(json_object_get(j, "questions"), i, v)
		read_question(s, s->nq++, v, &p);
	for (i = 0; i < s->nq; i++)
		read_question_when(s, i, &p);
	json_array_foreach(json_object_get(j, "rules"), i, v)
		read_rule(s, s->nr++, v, tax, &p);
	check_needs(s, &p);
	if ((rc = screen_problems_end(&p, err))) {
		screen_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void screen_free(struct screen *s)
{
	if (!s)
		return;
	json_decref(s->doc);
	free(s);
}

json_t *screen_questions(const struct screen *s)
{
	return json_pack("{s:O, s:O, s:O}", "title", json_object_get(s->doc, "title"), "intro",
	                 json_object_get(s->doc, "intro"), "questions",
	                 json_object_get(s->doc, "questions"));
}

const json_t *screen_doc_profile(const struct screen *s)
{
	return json_object_get(s->doc, "profile");
}

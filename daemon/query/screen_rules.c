/*
 * screen_rules.c — the screening applied to answers (screen.h): checking
 * them, the rules that hold, the steps and the profile.  The answers are
 * read once into struct sanswer, one per question; an answer that does
 * not fit its question is unanswered to the rules (screen_check says why).
 */
#include <stdio.h>
#include <string.h>

#include "query/screen_int.h"

/* ---- one answer ------------------------------------------------------------ */

static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* The options of q as a list for a message: "a, b, c" (cut to fit). */
static const char *option_list(const struct squestion *q, char *buf, size_t n)
{
	size_t at = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < q->nopt && at < n; i++)
		at += (size_t)snprintf(buf + at, n - at, "%s%s", i ? ", " : "", q->opt[i]);
	return buf;
}

/* Read v as an answer to q into *a; NULL, or what is wrong in why. */
static const char *judge(const struct squestion *q, const json_t *v, struct sanswer *a,
                         char *why, size_t n)
{
	char opts[200];
	size_t k;
	json_t *x;
	memset(a, 0, sizeof *a);
	switch (q->type) {
	case SQ_CHOICE: {
		int o = screen_option_of(q, json_string_value(v));
		if (o < 0) {
			snprintf(why, n, "give one of: %s", option_list(q, opts, sizeof opts));
			return why;
		}
		a->opts = UINT32_C(1) << o;
		break;
	}
	case SQ_MULTI:
		if (!json_is_array(v) || !json_array_size(v) || json_array_size(v) > q->max_choices) {
			snprintf(why, n, "give a list of 1 to %u of: %s", q->max_choices,
			         option_list(q, opts, sizeof opts));
			return why;
		}
		json_array_foreach(v, k, x) {
			int o = screen_option_of(q, json_string_value(x));
			if (o < 0 || (a->opts >> o & 1)) {
				snprintf(why, n, "item %zu: %s; give each of %s at most once", k,
				         o < 0 ? "no such option" : "given twice", option_list(q, opts, sizeof opts));
				return why;
			}
			a->opts |= UINT32_C(1) << o;
		}
		break;
	case SQ_YESNO:
		if (!json_is_boolean(v)) {
			snprintf(why, n, "give true or false");
			return why;
		}
		a->yes = json_is_true(v);
		break;
	case SQ_TEXT: {
		const char *s = json_string_value(v);
		size_t len = s ? utf8_chars(s) : 0;
		if (!s || !len || len > q->max_length) {
			snprintf(why, n, "give a text of 1 to %zu characters", q->max_length);
			return why;
		}
		break;
	}
	case SQ_NUMBER:
		if (!json_is_integer(v) || json_integer_value(v) < q->min ||
		    json_integer_value(v) > q->max) {
			snprintf(why, n, "give a whole number from %ld to %ld", q->min, q->max);
			return why;
		}
		a->n = (long)json_integer_value(v);
		break;
	}
	a->given = true;
	return NULL;
}

static bool cond_holds(const struct scond *c, const struct sanswer *a)
{
	const struct sanswer *x = &a[c->q];
	switch (c->op) {
	case SC_IN: return x->given && (x->opts & c->opts);
	case SC_IS: return x->given && x->yes == c->yes;
	case SC_MIN: return x->given && x->n >= c->n;
	case SC_MAX: return x->given && x->n <= c->n;
	case SC_ANSWERED: return x->given == c->yes;
	}
	return false;
}

/* Whether all n conditions c hold (none: they do). */
static bool all_hold(const struct scond *c, size_t n, const struct sanswer *a)
{
	for (size_t i = 0; i < n; i++)
		if (!cond_holds(&c[i], a))
			return false;
	return true;
}

/* Whether q is asked, by the answers to the questions before it in a. */
static bool asked(const struct squestion *q, const struct sanswer *a)
{
	return all_hold(q->when, q->nwhen, a);
}

/* The answers as the rules read them: one that does not fit its question,
 * or answers a question not asked, is none. */
static void read_answers(const struct screen *s, const json_t *answers,
                         struct sanswer a[SCREEN_QUESTIONS_MAX])
{
	char why[320];
	for (size_t i = 0; i < s->nq; i++) {
		const json_t *v = json_object_get(answers, s->q[i].id);
		if (!v || !asked(&s->q[i], a) || judge(&s->q[i], v, &a[i], why, sizeof why))
			memset(&a[i], 0, sizeof a[i]);
	}
}

bool screen_asked(const struct screen *s, const json_t *answers, const char *id)
{
	struct sanswer a[SCREEN_QUESTIONS_MAX];
	int qi = screen_question_of(s, id);
	if (qi < 0)
		return false;
	read_answers(s, answers, a);
	return asked(&s->q[qi], a);
}

int screen_check(const struct screen *s, const json_t *answers, const char *source,
                 struct gl_error *err)
{
	struct screen_problems p = { .source = source ? source : "answers" };
	const char *key;
	json_t *v;
	char why[320];
	if (!json_is_object(answers)) {
		screen_problem(&p, "/: the answers are a JSON object: question id → answer");
		return screen_problems_end(&p, err);
	}
	json_object_foreach((json_t *)answers, key, v) {
		int qi = screen_question_of(s, key);
		struct sanswer a;
		if (qi < 0)
			screen_problem(&p, "/%.64s: no such question", key);
		else if (judge(&s->q[qi], v, &a, why, sizeof why))
			screen_problem(&p, "/%s: %s", key, why);
	}
	struct sanswer a[SCREEN_QUESTIONS_MAX];
	read_answers(s, answers, a);
	for (size_t i = 0; i < s->nq; i++)
		if (s->q[i].required && !json_object_get(answers, s->q[i].id) && asked(&s->q[i], a))
			screen_problem(&p, "/%s: required, not answered", s->q[i].id);
	return screen_problems_end(&p, err);
}

int screen_check_answer(const struct screen *s, const char *id, const json_t *answer,
                        const char *source, struct gl_error *err)
{
	struct screen_problems p = { .source = source ? source : "answer" };
	int qi = screen_question_of(s, id);
	struct sanswer a;
	char why[320];
	if (qi < 0)
		screen_problem(&p, "/%.64s: no such question", id);
	else if (judge(&s->q[qi], answer, &a, why, sizeof why))
		screen_problem(&p, "/%s: %s", id, why);
	return screen_problems_end(&p, err);
}

/* ---- rules ------------------------------------------------------------------ */

static bool rule_holds(const struct srule *r, const struct sanswer *a)
{
	if (!all_hold(r->when, r->nwhen, a))
		return false;
	for (size_t i = 0; i < r->nunless; i++)
		if (cond_holds(&r->unless[i], a))
			return false;
	return true;
}

size_t screen_steps(const struct screen *s, const json_t *answers,
                    struct screen_step out[SCREEN_STEPS_MAX])
{
	struct sanswer a[SCREEN_QUESTIONS_MAX];
	size_t n = 0;
	read_answers(s, answers, a);
	for (size_t i = 0; i < s->nr; i++) {
		bool earlier = false;
		for (size_t k = 0; k < i && !earlier; k++)
			earlier = !strcmp(s->r[k].topic, s->r[i].topic);
		if (earlier)
			continue; /* the topic was decided at its first rule */
		for (size_t k = i; k < s->nr; k++) {
			const struct srule *r = &s->r[k];
			if (strcmp(r->topic, s->r[i].topic) || !rule_holds(r, a))
				continue;
			out[n++] = (struct screen_step){ .topic = r->topic, .rule = r->id,
				                         .to_prepare = r->to_prepare, .need = r->need,
				                         .about = r->about, .nabout = r->nabout,
				                         .title = r->title, .text = r->text };
			break;
		}
	}
	return n;
}

/* ---- the profile ------------------------------------------------------------ */

static void add_unique(json_t *list, const json_t *v)
{
	size_t k;
	json_t *x;
	json_array_foreach(list, k, x)
		if (json_equal(x, v))
			return;
	json_array_append(list, (json_t *)v);
}

/* What one answer says (an option's or a yes/no's "sets") into profile. */
static void apply_sets(json_t *profile, json_t *sectors, const json_t *sets)
{
	static const char *const fields[] = { "phase", "activity", "premises", "research" };
	size_t k;
	json_t *v;
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if ((v = json_object_get(sets, fields[i])))
			json_object_set(profile, fields[i], v);
	json_array_foreach(json_object_get(sets, "sectors"), k, v)
		add_unique(sectors, v);
}

json_t *screen_profile(const struct screen *s, const json_t *answers,
                       const struct screen_step *steps, size_t n, const char *lang)
{
	struct sanswer a[SCREEN_QUESTIONS_MAX];
	json_t *p = json_deep_copy(screen_doc_profile(s)), *sectors = json_array(),
	       *needs = json_array();
	read_answers(s, answers, a);
	for (size_t i = 0; i < s->nq; i++) {
		const struct squestion *q = &s->q[i];
		if (!a[i].given)
			continue;
		if (q->type == SQ_YESNO)
			apply_sets(p, sectors, json_object_get(q->j, a[i].yes ? "yes" : "no"));
		for (unsigned o = 0; o < q->nopt; o++)
			if (a[i].opts >> o & 1)
				apply_sets(p, sectors, json_object_get(json_array_get(
					json_object_get(q->j, "options"), o), "sets"));
	}
	for (size_t i = 0; i < n; i++)
		if (steps[i].to_prepare && steps[i].need) {
			json_t *v = json_string(steps[i].need);
			add_unique(needs, v);
			json_decref(v);
		}
	if (json_array_size(sectors))
		json_object_set(p, "sectors", sectors);
	if (json_array_size(needs))
		json_object_set(p, "needs", needs);
	if (lang)
		json_object_set_new(p, "lang", json_string(lang));
	json_decref(sectors);
	json_decref(needs);
	return p;
}

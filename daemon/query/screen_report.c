/*
 * screen_report.c — the readiness report (screen.h): the steps the rules
 * give, and for each step to prepare the partners and offers the matcher
 * finds for its need.  The matcher runs once, on the profile the answers
 * make, with the needs of the steps to prepare; each step takes the item
 * of its need.
 */
#include <string.h>

#include "query/match.h"
#include "query/screen_int.h"

/* A language map's text in lang, else in English. */
static const char *text_in(const json_t *map, const char *lang)
{
	const char *s = json_string_value(json_object_get(map, lang));
	return s ? s : json_string_value(json_object_get(map, "en"));
}

/* The match's item for need, or NULL. */
static const json_t *item_of(const json_t *match, const char *need)
{
	size_t k;
	json_t *item;
	json_array_foreach(json_object_get(match, "items"), k, item)
		if (!strcmp(json_string_value(json_object_get(item, "need")), need))
			return item;
	return NULL;
}

/* The offers of step i: its need's item, or a pointer to the earlier step
 * that lists the same need. */
static void step_offers(json_t *sj, const struct screen_step *steps, size_t i,
                        const json_t *match)
{
	const struct screen_step *st = &steps[i];
	const json_t *item = NULL;
	json_int_t more = 0;
	for (size_t k = 0; k < i && st->to_prepare && st->need; k++)
		if (steps[k].to_prepare && steps[k].need && !strcmp(steps[k].need, st->need)) {
			json_object_set_new(sj, "see_step", json_integer((json_int_t)k + 1));
			st = NULL;
			break;
		}
	if (st && st->to_prepare && st->need && (item = item_of(match, st->need)))
		more = json_integer_value(json_object_get(item, "more"));
	json_t *offers = json_object_get(item, "offers"), *later = json_object_get(item, "later");
	json_object_set_new(sj, "offers", offers ? json_incref(offers) : json_array());
	json_object_set_new(sj, "more", json_integer(more));
	json_object_set_new(sj, "later", later ? json_incref(later) : json_array());
}

static json_t *steps_json(const struct taxonomy *tax, const struct screen_step *steps, size_t n,
                          const char *lang, const json_t *match, unsigned *in_place)
{
	json_t *arr = json_array();
	*in_place = 0;
	for (size_t i = 0; i < n; i++) {
		const struct screen_step *st = &steps[i];
		const struct tax_term *need = st->need ? taxonomy_term(tax, "need", st->need) : NULL;
		json_t *sj = json_object();
		json_object_set_new(sj, "n", json_integer((json_int_t)i + 1));
		json_object_set_new(sj, "topic", json_string(st->topic));
		json_object_set_new(sj, "rule", json_string(st->rule));
		json_object_set_new(sj, "status", json_string(st->to_prepare ? "to_prepare" : "in_place"));
		json_object_set_new(sj, "need", st->need ? json_string(st->need) : json_null());
		json_object_set_new(sj, "need_label",
		                    need ? json_string(taxonomy_label(need, lang)) : json_null());
		json_object_set_new(sj, "title", json_string(text_in(st->title, lang)));
		json_object_set_new(sj, "text", json_string(text_in(st->text, lang)));
		step_offers(sj, steps, i, match);
		json_array_append_new(arr, sj);
		*in_place += !st->to_prepare;
	}
	return arr;
}

int screen_report(struct store_txn *t, const struct taxonomy *tax, const struct schema_set *set,
                  const struct screen *s, const json_t *answers, const struct screen_opts *o,
                  json_t **out, struct gl_error *err)
{
	if (!o || !o->paths)
		return gl_errorf(err, GL_EINVAL, "screen_report: no to-do paths");
	const char *lang = o->lang && !strcmp(o->lang, "nl") ? "nl" : "en";
	struct screen_step steps[SCREEN_STEPS_MAX];
	json_t *profile = NULL, *match = NULL;
	int rc;
	if ((rc = screen_check(s, answers, "answers", err)))
		return rc;
	size_t n = screen_steps(s, answers, steps);
	profile = screen_profile(s, answers, steps, n, lang);
	if ((rc = match_profile_check(set, profile, "the profile the screening makes", err)))
		goto out;
	if (json_object_get(profile, "needs")) {
		struct match_opts mo = { .lang = lang, .per_item = o->per_step, .now = o->now,
			                 .paths = o->paths };
		if ((rc = match_run(t, tax, profile, &mo, &match, err)))
			goto out;
	}
	unsigned in_place;
	json_t *res = json_object(), *sj = steps_json(tax, steps, n, lang, match, &in_place);
	json_object_set_new(res, "title", json_string(text_in(json_object_get(s->doc, "title"), lang)));
	json_object_set_new(res, "lang", json_string(lang));
	json_object_set(res, "answers", (json_t *)answers);
	json_object_set(res, "profile", profile);
	json_object_set_new(res, "in_place", json_integer(in_place));
	json_object_set_new(res, "to_prepare", json_integer((json_int_t)(n - in_place)));
	json_object_set_new(res, "offers_considered",
	                    json_integer(json_integer_value(json_object_get(match, "offers_considered"))));
	json_object_set_new(res, "offers_excluded",
	                    json_integer(json_integer_value(json_object_get(match, "offers_excluded"))));
	json_object_set_new(res, "steps", sj);
	*out = res;
out:
	json_decref(match);
	json_decref(profile);
	return rc;
}

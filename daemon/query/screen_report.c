/*
 * screen_report.c — the readiness report (screen.h): the steps the rules
 * give, and for each step to prepare the partners and offers the matcher
 * finds for its need.  The matcher runs once, on the profile the answers
 * make, with the needs of the steps to prepare; each step takes the item
 * of its need, or, with words (about), the offers of that item they name.
 */
#include <string.h>
#include <strings.h>

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

/* A byte of a word: a letter or digit, or any byte of a UTF-8 sequence. */
static bool word_byte(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

/* Whether text holds word at the start of one of its words, ASCII letters
 * in any case: "btw" is in "btw-nummer", "VAT" is not in "private". */
static bool holds_word(const char *text, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = text; p && n && *p; p++)
		if ((p == text || !word_byte((unsigned char)p[-1])) && !strncasecmp(p, word, n))
			return true;
	return false;
}

/* Whether offer o's field (its name, its description) holds a word of st. */
static bool names(const json_t *o, const char *field, const struct screen_step *st)
{
	const char *text = json_string_value(json_object_get(o, field));
	for (size_t i = 0; text && i < st->nabout; i++)
		if (holds_word(text, st->about[i]))
			return true;
	return false;
}

/* The n of the first step in done (the steps so far) that lists o; 0. */
static json_int_t listed_at(const json_t *done, const json_t *o)
{
	size_t k, i;
	json_t *sj, *x;
	json_array_foreach(done, k, sj)
		json_array_foreach(json_object_get(sj, "offers"), i, x)
			if (match_same_offer(x, o))
				return json_integer_value(json_object_get(sj, "n"));
	return 0;
}

/* The first per_step (0: all) of list into out; how many are left out. */
static size_t take(json_t *out, const json_t *list, unsigned per_step)
{
	size_t k, left = 0;
	json_t *o;
	json_array_foreach(list, k, o) {
		if (per_step && json_array_size(out) >= per_step)
			left++;
		else
			json_array_append(out, o);
	}
	return left;
}

/* The offers of a step with words: those of its need's item that name one
 * in their name, else in their description, less those a step in done
 * lists already (none left: see_step, the first that did). */
static void about_offers(json_t *sj, const struct screen_step *st, const json_t *item,
                         const json_t *done, unsigned per_step, json_t *offers, json_t *later,
                         json_int_t *more)
{
	static const char *const fields[] = { "name", "description" };
	json_t *found = json_array(), *fresh = json_array(), *o;
	json_int_t see = 0;
	size_t k;
	for (size_t f = 0; f < 2 && !json_array_size(found); f++)
		json_array_foreach(json_object_get(item, "offers"), k, o)
			if (names(o, fields[f], st))
				json_array_append(found, o);
	json_array_foreach(found, k, o) {
		json_int_t at = listed_at(done, o);
		if (!at)
			json_array_append(fresh, o);
		else if (!see || at < see)
			see = at;
	}
	if (!json_array_size(fresh) && see)
		json_object_set_new(sj, "see_step", json_integer(see));
	*more = (json_int_t)take(offers, fresh, per_step);
	json_array_clear(found);
	json_array_foreach(json_object_get(item, "later"), k, o)
		if (names(o, "name", st) || names(o, "description", st))
			json_array_append(found, o);
	take(later, found, per_step);
	json_decref(found);
	json_decref(fresh);
}

/* The offers of step i: its need's item (the words' part of it), or a
 * pointer to the earlier step that lists the same need; done holds the
 * steps before it. */
static void step_offers(json_t *sj, const struct screen_step *steps, size_t i,
                        const json_t *match, const json_t *done, unsigned per_step)
{
	const struct screen_step *st = &steps[i];
	const json_t *item = st->to_prepare && st->need ? item_of(match, st->need) : NULL;
	json_t *offers = json_array(), *later = json_array();
	json_int_t more = 0;
	if (item && st->nabout) {
		about_offers(sj, st, item, done, per_step, offers, later, &more);
	} else if (st->to_prepare && st->need) {
		for (size_t k = 0; k < i; k++)
			if (steps[k].to_prepare && steps[k].need && !strcmp(steps[k].need, st->need)) {
				json_object_set_new(sj, "see_step", json_integer((json_int_t)k + 1));
				item = NULL;
				break;
			}
		if (item) {
			more = json_integer_value(json_object_get(item, "more")) +
			       (json_int_t)take(offers, json_object_get(item, "offers"), per_step);
			take(later, json_object_get(item, "later"), per_step);
		}
	}
	json_object_set_new(sj, "offers", offers);
	json_object_set_new(sj, "more", json_integer(more));
	json_object_set_new(sj, "later", later);
}

static json_t *steps_json(const struct taxonomy *tax, const struct screen_step *steps, size_t n,
                          const char *lang, const json_t *match, unsigned per_step,
                          unsigned *in_place)
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
		step_offers(sj, steps, i, match, arr, per_step);
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
	/* a step with words picks among all the offers of its need */
	bool about = false;
	for (size_t i = 0; i < n; i++)
		about |= steps[i].to_prepare && steps[i].need && steps[i].nabout;
	if (json_object_get(profile, "needs")) {
		struct match_opts mo = { .lang = lang, .per_item = about ? 0 : o->per_step,
			                 .now = o->now, .paths = o->paths };
		if ((rc = match_run(t, tax, profile, &mo, &match, err)))
			goto out;
	}
	unsigned in_place;
	json_t *res = json_object(), *sj = steps_json(tax, steps, n, lang, match, o->per_step, &in_place);
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

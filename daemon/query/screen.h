/*
 * screen.h — the screening of a start-up from abroad (schemas/screening.json,
 * checked by schemas/screening.schema.json): the questions a landing
 * programme asks, the rules that read the answers, and the readiness
 * report they make.  One engine for `gilde screen`, POST /api/v1/screen
 * and the page.
 *
 * The file is data a landing programme edits; this module is the small,
 * general engine that reads it:
 *
 *   questions  each with an id and a type: choice (one option), multi
 *              (one or more options, at most max_choices), yesno, text
 *              (at most max_length characters), number (min to max).
 *              An option or a yes/no may say something about the company
 *              in the terms of a profile (`sets`: phase, sectors,
 *              activity, premises, research).  A question may be asked
 *              only when conditions on earlier answers hold (`when`: a
 *              self-employed newcomer is not asked a company's funding);
 *              not asked, it is not required and an answer to it counts
 *              as none.
 *   rules      in file order, each of a topic, with conditions (`when`:
 *              all hold; `unless`: none holds) and a step: in place or to
 *              prepare, a need (a taxonomy term) or none, a title and a
 *              text in Dutch and English.  A topic is one step: the first
 *              of its rules that holds gives it (if / else if / else), at
 *              the place of the topic's first rule; a topic none of whose
 *              rules holds gives no step.
 *   condition  on one answer (q): `in` (a choice answer is one of these
 *              options; a multi answer holds one of them), `is` (a yes/no
 *              answer), `min` / `max` (a number answer), `answered`.  An
 *              unanswered question meets no in, is, min or max.
 *
 * The report: the steps in order, each in place or to prepare; and, for
 * each step to prepare that has a need, the partners and offers the
 * matcher (match.h) finds for it, with its reasons.  The profile it
 * matches is the file's `profile` (international, a default phase, an
 * area), what the answers set, and as needs the needs of the steps to
 * prepare, in order (sectors in the order of the options that set them).
 * A need that an earlier step to prepare lists
 * already is not listed twice: the later step points at the earlier one.
 * But a rule may say which of its need's offers answer its step (`about`:
 * words, since several steps share a need: registering, a professional
 * card, a bank account are all paperwork): the step lists the offers for
 * its need whose name holds one of the words at the start of a word (any
 * case), or, if no name does, whose description does; less those an
 * earlier step lists (none left: it points at that step); none holding a
 * word: it lists none.
 *
 * Loading checks what the schema cannot: question, option and rule ids
 * are unique; each option, min, max, max_length, max_choices, yes and no
 * belongs to a question of its type; every condition names a question
 * that exists and tests what its type can answer (an option it has), a
 * question's conditions a question before it; about is only on a step
 * to prepare with a need;
 * and the steps to prepare name at most SCREEN_NEEDS_MAX needs in all, so
 * that any route through the rules makes a profile with at most that many
 * (profile.schema.json: needs).
 *
 * Nothing of the answers is kept: the functions read them and return.
 * A loaded struct screen is read-only: share it between threads.
 */
#ifndef GILDE_QUERY_SCREEN_H
#define GILDE_QUERY_SCREEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "proto/err.h"
#include "query/todo.h"
#include "schemas/schema.h"
#include "schemas/taxonomy.h"
#include "store/store.h"

/* The limits of screening.schema.json, and of the answers. */
#define SCREEN_QUESTIONS_MAX 32
#define SCREEN_OPTIONS_MAX 24
#define SCREEN_RULES_MAX 96
#define SCREEN_CONDS_MAX 8
#define SCREEN_ABOUT_MAX 16         /* words of a rule's about */
#define SCREEN_TEXT_MAX 1000        /* the longest text answer, in characters */
#define SCREEN_NUMBER_MAX 1000000000
/* The most needs the steps to prepare may name in all: profile.schema.json's
 * needs hold at most 8. */
#define SCREEN_NEEDS_MAX 8
/* The most steps a report holds: one per topic, at most one per rule. */
#define SCREEN_STEPS_MAX SCREEN_RULES_MAX
/* The offers listed per step, unless the caller says otherwise. */
#define SCREEN_PER_STEP 3

struct screen;

/*
 * Load the screening from file (NULL: the copy built into the program,
 * schemas/screening.json), check it against screening.schema.json in set
 * and as above.  Returns 0 and *out (free with screen_free), or
 * GL_ENOTFOUND / GL_EIO (the file; err names it and the OS error),
 * GL_EFORMAT (not JSON: err says where) or GL_ESCHEMA (err names the file
 * and the JSON pointer of each problem).
 */
int screen_load(const struct schema_set *set, const struct taxonomy *tax, const char *file,
                struct screen **out, struct gl_error *err);
void screen_free(struct screen *s);

/* What the page asks: {"title", "intro", "questions"} as the file gives
 * them (both languages).  A new reference the caller owns. */
json_t *screen_questions(const struct screen *s);

/*
 * Check answers (a JSON object: question id → answer) against the
 * questions: every key a question, every answer of its question's type
 * and within its bounds, every required question answered.  Returns 0,
 * or GL_ESCHEMA with each problem (at most SCHEMA_ERRORS_MAX) on a line
 * "SOURCE: /ID: what is wrong" (source: "answers", a file name).
 */
int screen_check(const struct screen *s, const json_t *answers, const char *source,
                 struct gl_error *err);

/* One answer to question id, checked as screen_check checks it (the other
 * questions not asked for): 0, or GL_ESCHEMA with "SOURCE: /ID: why". */
int screen_check_answer(const struct screen *s, const char *id, const json_t *answer,
                        const char *source, struct gl_error *err);

/* Whether question id is asked, given the answers to the questions before
 * it (its "when"; answers that do not fit count as none); false for no
 * such question. */
bool screen_asked(const struct screen *s, const json_t *answers, const char *id);

/* One step of a report.  Pointers are into the struct screen. */
struct screen_step {
	const char *topic, *rule;
	bool to_prepare;
	const char *need;            /* a need's id, or NULL */
	const char *const *about;    /* the words naming the need's offers for it (nabout) */
	size_t nabout;
	const json_t *title, *text;  /* language maps */
};

/* The steps for answers (checked; an answer that does not fit its
 * question counts as unanswered), in order, into out; returns how many. */
size_t screen_steps(const struct screen *s, const json_t *answers,
                    struct screen_step out[SCREEN_STEPS_MAX]);

/*
 * The profile answers make (profile.schema.json), with the needs of the
 * n steps to prepare among steps (in order, each once; none: no "needs")
 * and lang ("nl", "en"; NULL: none).  A new object the caller owns.
 */
json_t *screen_profile(const struct screen *s, const json_t *answers,
                       const struct screen_step *steps, size_t n, const char *lang);

struct screen_opts {
	const char *lang;                /* "nl" or "en" (NULL: en) */
	unsigned per_step;               /* most offers per step; 0: all */
	uint64_t now;                    /* seconds; 0: the clock */
	const struct todo_paths *paths;  /* the to-do paths of the matcher; required */
};

/*
 * The readiness report for answers, matched against the live offers of
 * the store in t (screen_report.c):
 *   { "title": text, "lang": "en" | "nl", "answers": {…}, "profile": {…},
 *     "in_place": n, "to_prepare": n,
 *     "offers_considered": n, "offers_excluded": n,
 *     "steps": [ { "n": 1.., "topic", "rule",
 *                  "status": "in_place" | "to_prepare",
 *                  "need": id | null, "need_label": text | null,
 *                  "title": text, "text": text,
 *                  "offers": [ OFFER … ], "more": n, "later": [ OFFER … ],
 *                  "see_step": n (only when an earlier step lists this need) } … ] }
 * Texts are in the report's language; OFFER is match.h's, with its
 * reasons.  Steps in place, and steps without a need, list no offers.
 * Returns 0, GL_ESCHEMA (answers that do not fit: err says which, as
 * screen_check; or a profile the file makes that profile.schema.json
 * refuses), GL_EINVAL (no paths in o) or a store error.
 */
int screen_report(struct store_txn *t, const struct taxonomy *tax, const struct schema_set *set,
                  const struct screen *s, const json_t *answers, const struct screen_opts *o,
                  json_t **out, struct gl_error *err);

#endif

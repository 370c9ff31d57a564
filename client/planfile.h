/*
 * planfile.h — a starter's plan as a file (schemas/plan.schema.json,
 * described in schemas/README.md): the format `gilde plan` keeps its plan
 * in, and the one the web page saves and opens, so a plan moves between
 * them with its ticks, chosen partners and dates.
 *
 * A plan is a jansson object:
 *   { "format": "gilde-plan", "version": 2, "lang", "profile",
 *     "created", "updated",
 *     "items": [ { "need", "label", "done", "done_at",
 *                  "chosen": { "author", "id", "name", "partner",
 *                              "partner_id", "contact", "chosen_at",
 *                              "asked_at" },
 *                  "notes", "offers": [ … ], "gone": [ … ] } … ],
 *     "insight": { "consent", "token" } }   (issue 26: client/plan_insight.h)
 *
 * Invariants of a plan this module hands out or writes: it follows
 * plan.schema.json, its profile follows profile.schema.json, and no need
 * is listed twice.  What the starter said (done, done_at, chosen, notes)
 * is kept by need when the plan is matched again (planfile_merge).
 *
 * Caveats: reading checks everything, so a plan file from anywhere (a
 * download, another device) can be opened safely; it is never sent to a
 * node.  Version 1 files ("gilde_plan": 1, no chosen partners) are read
 * and come out as version 2.
 */
#ifndef GILDE_CLIENT_PLANFILE_H
#define GILDE_CLIENT_PLANFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "proto/err.h"
#include "schemas/schema.h"

#define PLANFILE_FORMAT "gilde-plan"
#define PLANFILE_VERSION 2
/* The largest plan file read: a plan of 32 steps of 100 offers with their
 * contacts stays well under it. */
#define PLANFILE_MAX (4u << 20)
/* Offers a plan keeps per step (plan.schema.json: offers maxItems). */
#define PLANFILE_OFFERS_MAX 100
/* A note's length in characters (plan.schema.json: notes maxLength). */
#define PLANFILE_NOTES_MAX 4000

/*
 * Read the plan at path (at most PLANFILE_MAX bytes; a version 1 plan is
 * turned into version 2) and check it (planfile_check).  Returns 0 and
 * *out (the caller's), or: GL_ENOTFOUND (no such file), GL_EIO, GL_ELIMIT
 * (too big), GL_EFORMAT (not JSON, not a plan), GL_ESCHEMA (against
 * plan.schema.json or profile.schema.json, every problem named by path
 * and JSON pointer), GL_EINVAL (a need twice).  Nothing is written to
 * *out on failure.
 */
int planfile_load(const struct schema_set *set, const char *path, json_t **out,
                  struct gl_error *err);

/*
 * Check plan: plan.schema.json, its profile against profile.schema.json,
 * each need once.  source names it in messages.  Returns 0, GL_ESCHEMA or
 * GL_EINVAL.
 */
int planfile_check(const struct schema_set *set, const json_t *plan, const char *source,
                   struct gl_error *err);

/*
 * Check plan (planfile_check) and write it to path: to path.part, then
 * renamed over path, so a crash leaves the old plan or the new one.
 * path "-" writes to stdout.  Returns 0, a check's error, or GL_EIO.
 */
int planfile_save(const struct schema_set *set, const char *path, const json_t *plan,
                  struct gl_error *err);

/*
 * A new plan from a match answer (query/match.h's object, its offers at
 * most PLANFILE_OFFERS_MAX per item) for profile, in lang, at time now
 * ("2026-03-12T18:03:11Z").  old (NULL: a new plan) gives created and,
 * by need, done, done_at, chosen and notes; its offers that the answer
 * lacks are listed under "gone".  A chosen offer still in the answer gets
 * the answer's name, partner and contact.  Counts: *added offers new
 * since old, *gone offers gone, *dropped steps of old whose need the
 * answer lacks (their ticks, choices and notes are not kept).  Returns
 * the plan (the caller's); never fails.
 */
json_t *planfile_merge(const json_t *profile, const json_t *answer, const json_t *old,
                       const char *lang, const char *now, unsigned *added, unsigned *gone,
                       unsigned *dropped);

/* The step of plan for arg: its number from 1, or its need; NULL if none. */
json_t *planfile_item(const json_t *plan, const char *arg);

/*
 * The offer of step item for arg: its number from 1 in the step's
 * offers, its id, or AUTHOR/ID; NULL if none (or an id two authors
 * share: then *ambiguous is set).
 */
json_t *planfile_offer(const json_t *item, const char *arg, bool *ambiguous);

/*
 * What "chosen" records of offer o (a plan offer or a match offer):
 * author, id, name, partner, partner_id and contact, with chosen_at now.
 * The caller owns it.
 */
json_t *planfile_chosen(const json_t *o, const char *now);

#endif

/*
 * todo.h — the to-do paths a city adviser proposes (schemas/paths.json,
 * checked by schemas/paths.schema.json): from a starter's answers, which
 * needs come first and in what order.
 *
 * A path has conditions (`when`, and `unless` to leave it out) and steps,
 * each a need with conditions of its own (`when`, `unless`).  For a profile, every path whose
 * condition holds contributes the steps whose conditions hold, in the
 * order the paths stand in the file (the most particular first); a need
 * already proposed keeps its first place, and so does its line: a step is
 * left out when a need above or under it is proposed already ("funding"
 * after "a loan"); at most `max_items` needs are proposed.  A condition holds when every field it gives holds: a list,
 * when the profile's answer is one of its terms (an unsaid answer is in
 * no list); a boolean, when the profile says exactly that (an unsaid
 * yes-or-no counts as no: a starter who did not say "student" is not
 * treated as one); premises, when the profile's answer is listed.
 *
 * The file also says when an offer for a narrower need (a child term in
 * taxonomy.json, "legal-ip" under "legal") answers the broader need of a
 * to-do item (`narrower`: only when the profile points there), and which
 * phase follows which (`next_phase`: offers for it are "for later").
 *
 * A loaded struct todo_paths is read-only: share it between threads.  It keeps
 * no pointer into the schema set or the taxonomy it was loaded with.
 */
#ifndef GILDE_QUERY_TODO_H
#define GILDE_QUERY_TODO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/err.h"
#include "query/eligibility.h"
#include "schemas/schema.h"
#include "schemas/taxonomy.h"

/* Most needs a to-do list holds (paths.schema.json: max_items). */
#define TODO_ITEMS_MAX 16

/* The profile's answer about premises, one bit each (0: unsaid). */
enum { TODO_PREMISES_NEEDED = ELIGIBILITY_PREMISES_NEEDED,
       TODO_PREMISES_ONLINE = ELIGIBILITY_PREMISES_ONLINE,
       TODO_PREMISES_HAVE = ELIGIBILITY_PREMISES_HAVE,
       TODO_PREMISES_MOBILE = ELIGIBILITY_PREMISES_MOBILE };

/* The bit of a premises answer ("needed", "online", "have", "mobile"); 0
 * for another. */
unsigned todo_premises_bit(const char *s);

/* What the conditions read of a profile. */
struct todo_profile {
	const struct eligibility_profile *e;
	unsigned premises;
};

/* One proposed need: its term order in facet "need", and the id of the
 * path that proposed it (owned by the struct todo_paths; NULL for a need the
 * starter chose that no path proposes). */
struct todo_step {
	int need;
	const char *path;
};

struct todo_paths;

/*
 * Load the paths from file (NULL: the copy embedded in the program,
 * schemas/paths.json), check them against paths.schema.json in set and
 * their terms against tax.  Returns 0 and *out (free with todo_free), or
 * GL_ENOTFOUND / GL_EIO (the file; err names it and the OS error),
 * GL_EFORMAT (not JSON: err says where) or GL_ESCHEMA (err names the
 * file and the pointer of each problem).
 */
int todo_load(const struct schema_set *set, const struct taxonomy *tax, const char *file,
               struct todo_paths **out, struct gl_error *err);
void todo_free(struct todo_paths *p);

/* The needs proposed for profile pp, in order, into out; returns how many. */
size_t todo_propose(const struct todo_paths *p, const struct todo_profile *pp,
                     struct todo_step out[TODO_ITEMS_MAX]);

/*
 * The needs a starter chose (needs[0..n), term orders), in the order the
 * paths that hold for pp give them: a need a path proposes takes its
 * place; another takes the place of the first proposed need of the same
 * family (a need and the terms under it), or else goes after them all in
 * the taxonomy's order.  Returns how many (n, at most TODO_ITEMS_MAX).
 */
size_t todo_order(const struct todo_paths *p, const struct todo_profile *pp, const int *needs,
                   size_t n, struct todo_step out[TODO_ITEMS_MAX]);

/* Whether an offer for child need `need` (a term order) answers its
 * broader need for pp (the file's `narrower`). */
bool todo_narrower(const struct todo_paths *p, const struct todo_profile *pp, int need);

/* The phase after `phase` (term orders); -1 for none. */
int todo_next_phase(const struct todo_paths *p, int phase);

/* The label of path `id` in lang ("nl", "en"; else en); NULL if unknown. */
const char *todo_label(const struct todo_paths *p, const char *id, const char *lang);

#endif

/*
 * planfile.c — the plan file (planfile.h).  Reading checks the whole file
 * against plan.schema.json and the profile against profile.schema.json
 * before anything uses it: a plan comes from the starter's downloads as
 * often as from this program.
 */
#include "client/planfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "query/match.h"

/* ---- reading ------------------------------------------------------------ */

/* The text of the file at path, at most PLANFILE_MAX bytes, as JSON. */
static int read_json(const char *path, json_t **out, struct gl_error *err)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	json_error_t jerr;
	json_t *j = NULL;
	int rc = 0;
	if (!f)
		return gl_errorf(err, errno == ENOENT ? GL_ENOTFOUND : GL_EIO, "%s: %s", path,
		                 strerror(errno));
	if (fstat(fileno(f), &st) != 0) {
		rc = gl_errorf(err, GL_EIO, "%s: %s", path, strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		rc = gl_errorf(err, GL_EFORMAT, "%s: not a regular file", path);
	} else if ((uintmax_t)st.st_size > PLANFILE_MAX) {
		rc = gl_errorf(err, GL_ELIMIT, "%s: %jd bytes, over PLANFILE_MAX (%u): not a plan",
		               path, (intmax_t)st.st_size, PLANFILE_MAX);
	} else if (!(j = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr))) {
		rc = gl_errorf(err, GL_EJSON, "%s:%d: %s", path, jerr.line, jerr.text);
	}
	fclose(f);
	if (!rc)
		*out = j;
	return rc;
}

/* Copy the fields of from named in keep into to, leaving out nulls (a
 * plan holds no null: the schema has no such type). */
static void copy_fields(json_t *to, const json_t *from, const char *const *keep, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_object_get(from, keep[i]);
		if (v && !json_is_null(v))
			json_object_set(to, keep[i], v);
	}
}

static const char *const offer_keys[] = { "author", "id", "name", "partner", "partner_id",
	                                   "url", "contact", "free" };
#define N_OFFER_KEYS (sizeof offer_keys / sizeof offer_keys[0])

/* A list of offers as a plan keeps them. */
static json_t *offer_list(const json_t *offers, size_t max)
{
	json_t *out = json_array(), *o;
	size_t i;
	json_array_foreach(offers, i, o) {
		if (i == max)
			break;
		json_t *k = json_object();
		copy_fields(k, o, offer_keys, N_OFFER_KEYS);
		json_array_append_new(out, k);
	}
	return out;
}

/* A version 1 plan ("gilde_plan": 1) as version 2: the same steps and
 * ticks; its offers kept what version 2 keeps ("email" went into contact). */
static json_t *from_version1(const json_t *v1)
{
	json_t *p = json_object(), *items = json_array(), *it;
	const json_t *profile = json_object_get(v1, "profile");
	const char *lang = json_string_value(json_object_get(profile, "lang"));
	size_t i;
	json_object_set_new(p, "format", json_string(PLANFILE_FORMAT));
	json_object_set_new(p, "version", json_integer(PLANFILE_VERSION));
	json_object_set_new(p, "lang", json_string(lang ? lang : "en"));
	json_object_set(p, "profile", (json_t *)profile);
	if (json_object_get(v1, "created"))
		json_object_set(p, "created", json_object_get(v1, "created"));
	if (json_object_get(v1, "refreshed"))
		json_object_set(p, "updated", json_object_get(v1, "refreshed"));
	json_array_foreach(json_object_get(v1, "items"), i, it) {
		static const char *const keep[] = { "need", "label", "done", "done_at" };
		json_t *n = json_object();
		copy_fields(n, it, keep, sizeof keep / sizeof keep[0]);
		json_object_set_new(n, "offers", offer_list(json_object_get(it, "offers"),
		                                            PLANFILE_OFFERS_MAX));
		json_object_set_new(n, "gone", offer_list(json_object_get(it, "gone"),
		                                          PLANFILE_OFFERS_MAX));
		json_array_append_new(items, n);
	}
	json_object_set_new(p, "items", items);
	return p;
}

int planfile_check(const struct schema_set *set, const json_t *plan, const char *source,
                   struct gl_error *err)
{
	int rc = schema_validate_json(set, "plan.schema.json", plan, source, err);
	if (rc)
		return rc;
	char where[256];
	snprintf(where, sizeof where, "%s: profile", source);
	if ((rc = schema_validate_json(set, "profile.schema.json", json_object_get(plan, "profile"),
	                               where, err)))
		return rc;
	const json_t *items = json_object_get(plan, "items"), *a, *b;
	size_t i, k;
	json_array_foreach(items, i, a)
		for (k = 0; k < i && (b = json_array_get(items, k)); k++)
			if (json_equal(json_object_get(a, "need"), json_object_get(b, "need")))
				return gl_errorf(err, GL_EINVAL, "%s: /items/%zu/need: \"%s\" is step %zu "
				                 "already; a plan lists each need once", source, i,
				                 json_string_value(json_object_get(a, "need")), k + 1);
	return 0;
}

int planfile_load(const struct schema_set *set, const char *path, json_t **out,
                  struct gl_error *err)
{
	json_t *j = NULL;
	int rc = read_json(path, &j, err);
	if (rc)
		return rc;
	if (!json_is_object(j)) {
		rc = gl_errorf(err, GL_EFORMAT, "%s: not a gilde plan (a JSON object with "
		               "\"format\": \"%s\")", path, PLANFILE_FORMAT);
		goto fail;
	}
	if (json_integer_value(json_object_get(j, "gilde_plan")) == 1 &&
	    json_is_array(json_object_get(j, "items"))) {
		json_t *v2 = from_version1(j);
		json_decref(j);
		j = v2;
	} else if (!json_is_string(json_object_get(j, "format")) ||
	           strcmp(json_string_value(json_object_get(j, "format")), PLANFILE_FORMAT)) {
		rc = gl_errorf(err, GL_EFORMAT, "%s: not a gilde plan (no \"format\": \"%s\")", path,
		               PLANFILE_FORMAT);
		goto fail;
	}
	if ((rc = planfile_check(set, j, path, err)))
		goto fail;
	*out = j;
	return 0;
fail:
	json_decref(j);
	return rc;
}

/* ---- writing ------------------------------------------------------------ */

int planfile_save(const struct schema_set *set, const char *path, const json_t *plan,
                  struct gl_error *err)
{
	int rc = planfile_check(set, plan, "the plan", err);
	if (rc)
		return rc;
	if (!strcmp(path, "-")) {
		if (json_dumpf(plan, stdout, JSON_INDENT(2)) != 0 || fputc('\n', stdout) == EOF ||
		    fflush(stdout) != 0)
			return gl_errorf(err, GL_EIO, "stdout: cannot write the plan");
		return 0;
	}
	size_t n = strlen(path) + sizeof ".part";
	char *tmp = malloc(n);
	if (!tmp)
		abort();
	snprintf(tmp, n, "%s.part", path);
	if (json_dump_file(plan, tmp, JSON_INDENT(2)) != 0 || rename(tmp, path) != 0) {
		rc = gl_errorf(err, GL_EIO, "%s: cannot write the plan: %s", path, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

/* ---- matching again ----------------------------------------------------- */

static const json_t *offer_in(const json_t *list, const json_t *o)
{
	size_t i;
	json_t *x;
	json_array_foreach(list, i, x)
		if (match_same_offer(x, o))
			return x;
	return NULL;
}

static json_t *step_of(const json_t *plan, const json_t *need)
{
	size_t i;
	json_t *it;
	json_array_foreach(plan ? json_object_get(plan, "items") : NULL, i, it)
		if (json_equal(json_object_get(it, "need"), need))
			return it;
	return NULL;
}

json_t *planfile_chosen(const json_t *o, const char *now)
{
	static const char *const keep[] = { "author", "id", "name", "partner", "partner_id",
		                            "contact" };
	json_t *c = json_object();
	copy_fields(c, o, keep, sizeof keep / sizeof keep[0]);
	json_object_set_new(c, "chosen_at", json_string(now));
	return c;
}

/* The starter's choice in was, brought up to date from offers (the answer's). */
static json_t *chosen_now(const json_t *was, const json_t *offers)
{
	json_t *c = json_deep_copy(json_object_get(was, "chosen"));
	const json_t *o = c ? offer_in(offers, c) : NULL;
	if (o) {
		static const char *const fresh[] = { "name", "partner", "partner_id", "contact" };
		for (size_t i = 0; i < sizeof fresh / sizeof fresh[0]; i++)
			json_object_del(c, fresh[i]);
		copy_fields(c, o, fresh, sizeof fresh / sizeof fresh[0]);
	}
	return c;
}

/* One step from an answer's item, with what the starter said in was. */
static json_t *merge_step(const json_t *it, const json_t *was, unsigned *added, unsigned *gone)
{
	static const char *const said[] = { "done_at", "notes" };
	json_t *step = json_object(), *o, *c;
	json_t *offers = offer_list(json_object_get(it, "offers"), PLANFILE_OFFERS_MAX);
	json_t *gone_list = json_array();
	size_t k;
	json_object_set(step, "need", json_object_get(it, "need"));
	if (json_is_string(json_object_get(it, "label")))
		json_object_set(step, "label", json_object_get(it, "label"));
	json_object_set_new(step, "done", json_boolean(json_is_true(json_object_get(was, "done"))));
	copy_fields(step, was, said, sizeof said / sizeof said[0]);
	if ((c = chosen_now(was, offers)))
		json_object_set_new(step, "chosen", c);
	json_array_foreach(offers, k, o)
		if (was && json_object_get(was, "offers") && !offer_in(json_object_get(was, "offers"), o))
			(*added)++;
	json_array_foreach(was ? json_object_get(was, "offers") : NULL, k, o)
		if (!offer_in(offers, o)) {
			json_array_append(gone_list, o);
			(*gone)++;
		}
	json_array_foreach(was ? json_object_get(was, "gone") : NULL, k, o)
		if (!offer_in(offers, o) && !offer_in(gone_list, o) &&
		    json_array_size(gone_list) < PLANFILE_OFFERS_MAX)
			json_array_append(gone_list, o);
	json_object_set_new(step, "offers", offers);
	json_object_set_new(step, "gone", gone_list);
	return step;
}

json_t *planfile_merge(const json_t *profile, const json_t *answer, const json_t *old,
                       const char *lang, const char *now, unsigned *added, unsigned *gone,
                       unsigned *dropped)
{
	json_t *plan = json_object(), *items = json_array(), *it;
	const json_t *created = old ? json_object_get(old, "created") : NULL;
	size_t i;
	json_object_set_new(plan, "format", json_string(PLANFILE_FORMAT));
	json_object_set_new(plan, "version", json_integer(PLANFILE_VERSION));
	json_object_set_new(plan, "lang", json_string(lang));
	json_object_set(plan, "profile", (json_t *)profile);
	json_object_set_new(plan, "created", created ? json_incref((json_t *)created)
	                                             : json_string(now));
	json_object_set_new(plan, "updated", json_string(now));
	json_array_foreach(json_object_get(answer, "items"), i, it)
		json_array_append_new(items, merge_step(it, step_of(old, json_object_get(it, "need")),
		                                        added, gone));
	json_object_set_new(plan, "items", items);
	if (old && json_object_get(old, "insight")) /* the starter's answer, asked once */
		json_object_set(plan, "insight", json_object_get(old, "insight"));
	json_array_foreach(old ? json_object_get(old, "items") : NULL, i, it)
		if (!step_of(plan, json_object_get(it, "need")))
			(*dropped)++;
	return plan;
}

/* ---- finding ------------------------------------------------------------ */

/* arg as a number from 1 to n, else 0. */
static size_t ordinal(const char *arg, size_t n)
{
	char *end;
	errno = 0;
	long v = strtol(arg, &end, 10);
	return *arg && !*end && !errno && v >= 1 && (size_t)v <= n ? (size_t)v : 0;
}

json_t *planfile_item(const json_t *plan, const char *arg)
{
	json_t *items = json_object_get(plan, "items"), *it;
	size_t n = ordinal(arg, json_array_size(items)), i;
	if (n)
		return json_array_get(items, n - 1);
	json_array_foreach(items, i, it)
		if (!strcmp(json_string_value(json_object_get(it, "need")), arg))
			return it;
	return NULL;
}

json_t *planfile_offer(const json_t *item, const char *arg, bool *ambiguous)
{
	json_t *offers = json_object_get(item, "offers"), *o, *found = NULL;
	size_t n = ordinal(arg, json_array_size(offers)), i;
	const char *slash = strrchr(arg, '/');
	*ambiguous = false;
	if (n)
		return json_array_get(offers, n - 1);
	json_array_foreach(offers, i, o) {
		const char *author = json_string_value(json_object_get(o, "author"));
		const char *id = json_string_value(json_object_get(o, "id"));
		bool hit = slash ? !strncmp(arg, author, (size_t)(slash - arg)) &&
		                   strlen(author) == (size_t)(slash - arg) && !strcmp(slash + 1, id)
		                 : !strcmp(arg, id);
		if (hit && found && !slash) {
			*ambiguous = true;
			return NULL;
		}
		if (hit)
			found = o;
	}
	return found;
}

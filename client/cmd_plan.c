/*
 * gilde plan — a starter's to-do plan, kept in a file on this machine
 * (default $XDG_DATA_HOME/gilde/plan.json, or --plan FILE).  The plan is
 * made and refreshed from the local store with the same matcher as
 * gilde match; nothing about the starter is sent to a daemon or a peer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto/clock.h"
#include "client/cmd.h"
#include "query/match.h"
#include "schemas/taxonomy.h"

#define PLAN_FORMAT 1

/* mkdir -p dir (mode 0700 for what it makes); 0, or -1 with errno and
 * the folder that could not be made in failed. */
static int make_dirs(const char *dir, char *failed, size_t n)
{
	char path[PATHS_MAX];
	snprintf(path, sizeof path, "%s", dir);
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			snprintf(failed, n, "%s", path);
			return -1;
		}
		if (!(*p = c))
			return 0;
	}
}

/* The plan's file: --plan FILE, else plan.json in gilde's folder of the
 * user's data ($XDG_DATA_HOME/gilde), which is made if missing. */
static int plan_path(const char *opt, char *out, size_t n, struct gl_error *err)
{
	if (opt) {
		snprintf(out, n, "%s", opt);
		return 0;
	}
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	char dir[PATHS_MAX - 16], failed[PATHS_MAX];
	if (xdg && *xdg == '/')
		snprintf(dir, sizeof dir, "%s/gilde", xdg);
	else if (home && *home)
		snprintf(dir, sizeof dir, "%s/.local/share/gilde", home);
	else
		return gl_errorf(err, GL_ENOTFOUND,
		                 _("no place for the plan: set HOME, or name a file with --plan FILE"));
	if (make_dirs(dir, failed, sizeof failed))
		return gl_errorf(err, GL_EIO, _("cannot make the folder %s for the plan (%s/plan.json): "
		                                "%s; name another file with --plan FILE"),
		                 failed, dir, strerror(errno));
	if (strlen(dir) + sizeof "/plan.json" > n)
		return gl_errorf(err, GL_ELIMIT, _("%s: path too long"), dir);
	snprintf(out, n, "%s/plan.json", dir);
	return 0;
}

static int plan_save(const char *path, json_t *plan, struct gl_error *err)
{
	char tmp[PATHS_MAX + 8];
	snprintf(tmp, sizeof tmp, "%s.part", path);
	if (json_dump_file(plan, tmp, JSON_INDENT(2)) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return gl_errorf(err, GL_EIO, _("cannot write the plan to %s: %s"), path,
		                 strerror(errno));
	}
	return 0;
}

static json_t *plan_load(const char *path, struct gl_error *err)
{
	json_error_t jerr;
	json_t *plan = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!plan) {
		if (access(path, F_OK) != 0)
			gl_errorf(err, GL_ENOTFOUND, _("%s: no plan yet; make one with gilde plan init "
			                               "--profile FILE"), path);
		else
			gl_errorf(err, GL_EFORMAT, _("the plan %s: line %d: not valid JSON: %s"), path,
			          jerr.line, jerr.text);
		return NULL;
	}
	if (json_integer_value(json_object_get(plan, "gilde_plan")) != PLAN_FORMAT ||
	    !json_is_array(json_object_get(plan, "items"))) {
		json_decref(plan);
		gl_errorf(err, GL_EFORMAT, _("%s: not a gilde plan (format %d)"), path, PLAN_FORMAT);
		return NULL;
	}
	return plan;
}

/* The offers of a match item, reduced to what a plan keeps. */
static json_t *plan_offers(const json_t *offers)
{
	json_t *out = json_array();
	size_t i;
	json_t *o;
	json_array_foreach(offers, i, o) {
		json_t *k = json_object();
		static const char *const keep[] = { "author", "id", "name", "partner", "url", "email" };
		for (size_t j = 0; j < sizeof keep / sizeof keep[0]; j++)
			if (json_object_get(o, keep[j]))
				json_object_set(k, keep[j], json_object_get(o, keep[j]));
		json_array_append_new(out, k);
	}
	return out;
}

static bool same_offer(const json_t *a, const json_t *b)
{
	return json_equal(json_object_get(a, "author"), json_object_get(b, "author")) &&
	       json_equal(json_object_get(a, "id"), json_object_get(b, "id"));
}

static bool has_offer(const json_t *list, const json_t *o)
{
	size_t i;
	json_t *x;
	json_array_foreach(list, i, x)
		if (same_offer(x, o))
			return true;
	return false;
}

/* Match the profile and merge into old (NULL for a new plan): ticks are kept
 * by need; offers that were there before and are not now go to "gone". */
static json_t *plan_build(struct cli *cli, json_t *profile, json_t *old, unsigned *added,
                          unsigned *gone, struct gl_error *err)
{
	json_t *res = NULL, *plan = NULL;
	if (cmd_match_run(cli, profile, 0, &res, err))
		return NULL;
	char ts[32];
	plan = json_object();
	json_object_set_new(plan, "gilde_plan", json_integer(PLAN_FORMAT));
	json_object_set(plan, "profile", profile);
	if (old)
		json_object_set(plan, "created", json_object_get(old, "created"));
	else
		json_object_set_new(plan, "created", json_string(clock_format(clock_now(), ts)));
	json_object_set_new(plan, "refreshed", json_string(clock_format(clock_now(), ts)));
	json_t *items = json_array();
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(res, "items"), i, it) {
		json_t *item = json_object(), *was = NULL, *offers = plan_offers(json_object_get(it, "offers"));
		json_t *gone_list = json_array();
		size_t k;
		json_t *w;
		json_array_foreach(old ? json_object_get(old, "items") : NULL, k, w)
			if (json_equal(json_object_get(w, "need"), json_object_get(it, "need")))
				was = w;
		json_object_set(item, "need", json_object_get(it, "need"));
		json_object_set(item, "label", json_object_get(it, "label"));
		json_object_set_new(item, "done", json_boolean(was && json_is_true(json_object_get(was, "done"))));
		if (was && json_object_get(was, "done_at"))
			json_object_set(item, "done_at", json_object_get(was, "done_at"));
		json_array_foreach(offers, k, w)
			if (was && !has_offer(json_object_get(was, "offers"), w))
				(*added)++;
		json_array_foreach(was ? json_object_get(was, "offers") : NULL, k, w)
			if (!has_offer(offers, w)) {
				json_array_append(gone_list, w);
				(*gone)++;
			}
		json_array_foreach(was ? json_object_get(was, "gone") : NULL, k, w)
			if (!has_offer(offers, w) && !has_offer(gone_list, w))
				json_array_append(gone_list, w);
		json_object_set_new(item, "offers", offers);
		json_object_set_new(item, "gone", gone_list);
		json_array_append_new(items, item);
	}
	json_object_set_new(plan, "items", items);
	json_decref(res);
	return plan;
}

/* An item's label in the language spoken now (the plan keeps the one it
 * was made in). */
static const char *item_label(const json_t *it, const struct taxonomy *tax, const char *lang)
{
	const char *need = json_string_value(json_object_get(it, "need"));
	const struct tax_term *t = tax && need ? taxonomy_term(tax, "need", need) : NULL;
	return t ? taxonomy_label(t, lang) : json_string_value(json_object_get(it, "label"));
}

static void plan_print(const json_t *plan, const struct taxonomy *tax, const char *lang)
{
	size_t i;
	json_t *it;
	unsigned done = 0, total = 0;
	json_array_foreach(json_object_get(plan, "items"), i, it) {
		total++;
		bool d = json_is_true(json_object_get(it, "done"));
		done += d;
		printf("%zu. [%c] %s", i + 1, d ? 'x' : ' ', item_label(it, tax, lang));
		if (d && json_object_get(it, "done_at"))
			printf(_("  (done %.10s)"), json_string_value(json_object_get(it, "done_at")));
		printf("\n");
		json_t *offers = json_object_get(it, "offers"), *gone = json_object_get(it, "gone");
		size_t k;
		json_t *o;
		if (!json_array_size(offers))
			printf("     %s\n", _("no offer in the directory answers this any more"));
		json_array_foreach(offers, k, o) {
			if (k == 3) {
				printf(_("     … and %zu more (gilde plan show --json)\n"),
				       json_array_size(offers) - 3);
				break;
			}
			const char *p = json_string_value(json_object_get(o, "partner"));
			const char *url = json_string_value(json_object_get(o, "url"));
			printf("     %s%s%s  %s\n", json_string_value(json_object_get(o, "name")),
			       p ? " — " : "", p ? p : "", url ? url : "");
		}
		json_array_foreach(gone, k, o)
			printf(_("     gone: %s (no longer in the directory)\n"),
			       json_string_value(json_object_get(o, "name")));
	}
	printf(_("%u of %u done\n"), done, total);
}

/* Find ITEM (a number from 1, or a need id). */
static json_t *find_item(json_t *plan, const char *arg)
{
	json_t *items = json_object_get(plan, "items");
	char *end;
	long n = strtol(arg, &end, 10);
	if (!*end && n >= 1 && (size_t)n <= json_array_size(items))
		return json_array_get(items, (size_t)n - 1);
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it)
		if (!strcmp(json_string_value(json_object_get(it, "need")), arg))
			return it;
	return NULL;
}

/* What gilde plan is told: its options, its action and the action's ITEM. */
struct plan_args {
	const char *profile_file, *plan_opt;
	bool force;
	const char *verb, *item;
	bool needs_item; /* done, undo */
};

static int plan_option(void *ctx, int c, const char *arg)
{
	struct plan_args *pa = ctx;
	if (c == 'p')
		pa->profile_file = arg;
	else if (c == 'f')
		pa->plan_opt = arg;
	else /* 'F' */
		pa->force = true;
	return 0;
}

/* The action and its ITEM from argv (from optind on), checked with the options. */
static int plan_action(const struct cmd *me, int argc, char **argv, struct plan_args *pa)
{
	if (optind >= argc)
		return cli_usage(me, "%s", _("say what to do: init, show, done, undo or refresh"));
	const char *verb = pa->verb = argv[optind++];
	pa->item = optind < argc ? argv[optind++] : NULL;
	if (optind < argc)
		return cli_usage(me, _("unexpected argument \"%s\""), argv[optind]);
	pa->needs_item = !strcmp(verb, "done") || !strcmp(verb, "undo");
	if (strcmp(verb, "init") && strcmp(verb, "show") && strcmp(verb, "refresh") &&
	    !pa->needs_item)
		return cli_usage(me, _("unknown action \"%s\" (init, show, done, undo, refresh)"), verb);
	if (pa->needs_item != (pa->item != NULL))
		return cli_usage(me, pa->needs_item ? _("%s needs an ITEM: its number or its need")
		                                    : _("%s takes no further argument"), verb);
	if (!strcmp(verb, "init") != (pa->profile_file != NULL))
		return cli_usage(me, "%s", _("--profile FILE goes with init, and init needs it"));
	return 0;
}

/*
 * The plan speaks the profile's language ("lang"), unless --lang says
 * otherwise: then the profile learns it, so that a refresh keeps it (the
 * language also ranks the offers: the order stays too).
 */
static void plan_language(struct cli *cli, json_t *profile)
{
	const char *lang = json_string_value(json_object_get(profile, "lang"));
	if (cli->lang_given)
		json_object_set_new(profile, "lang", json_string(cli->lang));
	else if (lang && (!strcmp(lang, "nl") || !strcmp(lang, "en")))
		cli_set_lang(cli, lang);
}

/* gilde plan init: a new plan at path from the profile; 0 and *out, or an exit code. */
static int plan_init(struct cli *cli, const struct plan_args *pa, const char *path,
                     json_t **out)
{
	struct gl_error err = { 0 };
	unsigned added = 0, gone = 0;
	if (!pa->force && access(path, F_OK) == 0) {
		cli_error(_("%s: a plan exists already; gilde plan refresh updates it, --force "
		            "replaces it"), path);
		return EXIT_FAIL;
	}
	json_t *profile;
	if (cli_load_json(pa->profile_file, "--profile", &profile, &err))
		return cli_fail(&err);
	plan_language(cli, profile);
	json_t *plan = plan_build(cli, profile, NULL, &added, &gone, &err);
	json_decref(profile);
	if (!plan || plan_save(path, plan, &err)) {
		json_decref(plan);
		return cli_fail(&err);
	}
	*out = plan;
	return 0;
}

/* gilde plan done/undo ITEM: tick or untick it and save the plan. */
static int plan_tick(json_t *plan, const struct plan_args *pa, const char *path)
{
	struct gl_error err = { 0 };
	json_t *it = find_item(plan, pa->item);
	char ts[32];
	if (!it) {
		cli_error(_("no item \"%s\" in the plan (give its number or its need)"), pa->item);
		return EXIT_NOTFOUND;
	}
	bool done = !strcmp(pa->verb, "done");
	json_object_set_new(it, "done", json_boolean(done));
	if (done)
		json_object_set_new(it, "done_at", json_string(clock_format(clock_now(), ts)));
	else
		json_object_del(it, "done_at");
	return plan_save(path, plan, &err) ? cli_fail(&err) : 0;
}

int cmd_plan(struct cli *cli, int argc, char **argv)
{
	const struct cmd *me = cmd_find("plan");
	static const struct option own[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "plan", required_argument, NULL, 'f' },
		{ "force", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	struct plan_args pa = { 0 };
	struct cli_opts opts = { .lo = own, .take = plan_option, .ctx = &pa, .maxpos = -1 };
	int rc = cli_options(cli, me, argc, argv, &opts);
	if (rc || (rc = plan_action(me, argc, argv, &pa)))
		return rc;
	struct gl_error err = { 0 };
	char path[PATHS_MAX];
	json_t *plan = NULL, *next = NULL;
	unsigned added = 0, gone = 0;
	bool refresh = !strcmp(pa.verb, "refresh");
	if (plan_path(pa.plan_opt, path, sizeof path, &err))
		return cli_fail(&err);
	if (!strcmp(pa.verb, "init")) {
		if ((rc = plan_init(cli, &pa, path, &plan)))
			return rc;
		cli_note(cli, _("The plan is kept in %s."), path);
	} else if (!(plan = plan_load(path, &err))) {
		return cli_fail(&err);
	} else {
		json_t *profile = json_object_get(plan, "profile");
		plan_language(cli, profile);
	}
	if (refresh) {
		next = plan_build(cli, json_object_get(plan, "profile"), plan, &added, &gone, &err);
		if (!next || plan_save(path, next, &err)) {
			rc = cli_fail(&err);
			goto out;
		}
		json_decref(plan);
		plan = next;
		next = NULL;
	} else if (pa.needs_item && (rc = plan_tick(plan, &pa, path))) {
		goto out;
	}
	if (cli->json) {
		cli_print_json(plan);
	} else {
		if (refresh)
			printf(P_("refreshed: %u new offer, %u gone\n", "refreshed: %u new offers, %u gone\n",
			          added), added, gone);
		struct cli_dir d = { 0 };
		cli_dir_schemas(&d, NULL); /* for the labels; without, the plan's own */
		plan_print(plan, d.tax, cli->lang);
		cli_dir_close(&d);
	}
out:
	json_decref(plan);
	json_decref(next);
	return rc;
}

/*
 * gilde plan — a starter's to-do plan, kept in a file on this machine
 * (default $XDG_DATA_HOME/gilde/plan.json, or --plan FILE) in the format
 * the web page saves and opens (client/planfile.h, schemas/plan.schema.json),
 * so a plan moves between the page and the command line with its ticks,
 * chosen partners and dates.  The plan is made and matched again from the
 * local store with the same matcher as gilde match; nothing about the
 * starter is sent to a daemon or a peer, but the anonymous steps of issue
 * 26 to the node gilde talks to, once the starter agreed (plan_insight.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto/clock.h"
#include "client/cmd.h"
#include "client/plan_insight.h"
#include "client/planfile.h"
#include "query/match.h"
#include "schemas/taxonomy.h"

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
		if (strlen(opt) >= n)
			return gl_errorf(err, GL_ELIMIT, _("--plan: path over PATHS_MAX (%zu)"), n - 1);
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

/* ---- what gilde plan is told ---------------------------------------------- */

/* The actions, with how many arguments each takes after it. */
static const struct plan_verb {
	const char *name;
	int nargs;
	const char *args; /* for messages */
} verbs[] = {
	{ "init", 0, "" },         { "show", 0, "" },          { "refresh", 0, "" },
	{ "done", 1, "ITEM" },     { "undo", 1, "ITEM" },      { "choose", 2, "ITEM OFFER" },
	{ "asked", 1, "ITEM" },    { "note", 2, "ITEM TEXT" }, { "export", 1, "FILE" },
	{ "import", 1, "FILE" },   { "nofit", 1, "ITEM" },     { "insight", 1, "on|off|sent|withdraw" },
};
#define N_VERBS (sizeof verbs / sizeof verbs[0])
#define VERB_LIST "init, show, refresh, done, undo, choose, asked, note, export, import, nofit, " \
                  "insight"

struct plan_args {
	const char *profile_file, *plan_opt;
	bool force;
	const struct plan_verb *verb;
	const char *arg[2];
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

/* The action and its arguments from argv (from optind on), checked with the options. */
static int plan_action(const struct cmd *me, int argc, char **argv, struct plan_args *pa)
{
	if (optind >= argc)
		return cli_usage(me, "say what to do: " VERB_LIST);
	const char *name = argv[optind++];
	for (size_t i = 0; i < N_VERBS && !pa->verb; i++)
		if (!strcmp(verbs[i].name, name))
			pa->verb = &verbs[i];
	if (!pa->verb)
		return cli_usage(me, "unknown action \"%s\" (" VERB_LIST ")", name);
	int n = 0;
	while (optind < argc && n < 2)
		pa->arg[n++] = argv[optind++];
	if (optind < argc)
		return cli_usage(me, "unexpected argument \"%s\"", argv[optind]);
	if (n != pa->verb->nargs)
		return pa->verb->nargs ? cli_usage(me, "usage: gilde plan %s %s", name, pa->verb->args)
		                       : cli_usage(me, "%s takes no further argument", name);
	if (!strcmp(name, "init") != (pa->profile_file != NULL))
		return cli_usage(me, "--profile FILE goes with init, and init needs it");
	if (pa->force && strcmp(name, "init") && strcmp(name, "import") && strcmp(name, "export"))
		return cli_usage(me, "--force goes with init, import or export");
	return 0;
}

/* ---- printing --------------------------------------------------------------- */

/* "2026-03-12" of an RFC 3339 time, or "". */
static const char *day(const json_t *v)
{
	static char buf[11];
	const char *s = json_string_value(v);
	snprintf(buf, sizeof buf, "%s", s ? s : "");
	return buf;
}

static void print_chosen(size_t i, const json_t *c)
{
	const char *partner = json_string_value(json_object_get(c, "partner"));
	const char *name = json_string_value(json_object_get(c, "name"));
	printf(_("     chosen: %s%s%s  (chosen %s"), name ? name : json_string_value(json_object_get(c, "id")),
	       partner ? " — " : "", partner ? partner : "", day(json_object_get(c, "chosen_at")));
	if (json_object_get(c, "asked_at"))
		printf(_(", asked %s)\n"), day(json_object_get(c, "asked_at")));
	else
		printf(_("; not asked yet: gilde plan asked %zu)\n"), i + 1);
	cmd_print_contact("       ", c);
}

static void print_notes(const char *notes)
{
	const char *p = notes;
	printf("%s", _("     note: "));
	for (; *p; p++) {
		putchar(*p);
		if (*p == '\n' && p[1])
			printf("           ");
	}
	if (p > notes && p[-1] != '\n')
		putchar('\n');
}

static void print_step(size_t i, const json_t *it)
{
	bool d = json_is_true(json_object_get(it, "done"));
	const json_t *c = json_object_get(it, "chosen"), *o;
	const char *label = json_string_value(json_object_get(it, "label"));
	json_t *offers = json_object_get(it, "offers");
	size_t k;
	printf("%zu. [%c] %s", i + 1, d ? 'x' : ' ',
	       label ? label : json_string_value(json_object_get(it, "need")));
	if (d && json_object_get(it, "done_at"))
		printf(_("  (done %s)"), day(json_object_get(it, "done_at")));
	printf("\n");
	if (c)
		print_chosen(i, c);
	if (json_is_string(json_object_get(it, "notes")))
		print_notes(json_string_value(json_object_get(it, "notes")));
	if (!json_array_size(offers))
		printf("%s", _("     no offer in the directory answers this any more\n"));
	json_array_foreach(offers, k, o) {
		if (k == 3) {
			printf(_("     … and %zu more (gilde plan show --json)\n"), json_array_size(offers) - 3);
			break;
		}
		const char *p = json_string_value(json_object_get(o, "partner"));
		printf("     %zu) %s%s%s%s\n", k + 1, json_string_value(json_object_get(o, "name")),
		       p ? " — " : "", p ? p : "",
		       c && json_equal(json_object_get(c, "id"), json_object_get(o, "id")) &&
		       json_equal(json_object_get(c, "author"), json_object_get(o, "author"))
		               ? _("  [chosen]") : "");
		cmd_print_contact("        ", o);
	}
	json_array_foreach(json_object_get(it, "gone"), k, o)
		printf(_("     gone: %s (no longer in the directory)\n"),
		       json_string_value(json_object_get(o, "name")));
}

static void plan_print(const json_t *plan)
{
	size_t i;
	json_t *it;
	unsigned done = 0, total = 0;
	json_array_foreach(json_object_get(plan, "items"), i, it) {
		total++;
		done += json_is_true(json_object_get(it, "done"));
		print_step(i, it);
	}
	printf(_("%u of %u done\n"), done, total);
}

/* ---- making and matching again ---------------------------------------------- */

struct plan_ctx {
	struct cli *cli;
	struct cli_dir d;        /* the schemas */
	char path[PATHS_MAX];
	char now[32];
	unsigned added, gone, dropped;
};

/* A plan from profile, merged with old (NULL: new): matched in the plan's
 * language (--lang, else old's, else the profile's, else en). */
static int plan_build(struct plan_ctx *pc, const json_t *profile, const json_t *old,
                      json_t **out, struct gl_error *err)
{
	const char *lang = pc->cli->lang;
	if (!lang && old)
		lang = json_string_value(json_object_get(old, "lang"));
	if (!lang)
		lang = json_string_value(json_object_get(profile, "lang"));
	if (!lang || (strcmp(lang, "nl") && strcmp(lang, "en")))
		lang = "en";
	if (pc->cli->lang_given)
		pc->cli->lang = lang;
	else
		cli_set_lang(pc->cli, lang); /* the plan speaks its own language */
	json_t *res = NULL;
	int rc = cmd_match_run(pc->cli, profile, PLANFILE_OFFERS_MAX, &res, err);
	if (rc)
		return rc;
	*out = planfile_merge(profile, res, old, lang, pc->now, &pc->added, &pc->gone, &pc->dropped);
	json_decref(res);
	return 0;
}

/* Refuse to write over path without --force. */
static int fresh_path(const struct plan_args *pa, const char *path, const char *how)
{
	if (pa->force || strcmp(path, "-") == 0 || access(path, F_OK) != 0)
		return 0;
	cli_error("%s: the file exists already; %s", path, how);
	return EXIT_FAIL;
}

/* gilde plan init: a new plan from --profile FILE. */
static int plan_init(struct plan_ctx *pc, const struct plan_args *pa, json_t **out)
{
	struct gl_error err = { 0 };
	int rc = fresh_path(pa, pc->path, "gilde plan refresh updates it, --force replaces it");
	if (rc)
		return rc;
	json_t *profile;
	if (cli_load_json(pa->profile_file, "--profile", &profile, &err))
		return cli_fail(&err);
	rc = plan_build(pc, profile, NULL, out, &err);
	json_decref(profile);
	if (!rc && (rc = planfile_save(pc->d.set, pc->path, *out, &err))) {
		json_decref(*out);
		*out = NULL;
	}
	return rc ? cli_fail(&err) : 0;
}

/* gilde plan import FILE: a plan file (the page's, another machine's)
 * becomes this machine's plan, matched against this directory. */
static int plan_import(struct plan_ctx *pc, const struct plan_args *pa, json_t **out)
{
	struct gl_error err = { 0 };
	json_t *in = NULL;
	int rc = fresh_path(pa, pc->path, "--force replaces this plan with the imported one");
	if (rc)
		return rc;
	if ((rc = planfile_load(pc->d.set, pa->arg[0], &in, &err)) ||
	    (rc = plan_build(pc, json_object_get(in, "profile"), in, out, &err)) ||
	    (rc = planfile_save(pc->d.set, pc->path, *out, &err))) {
		json_decref(in);
		if (*out)
			json_decref(*out);
		*out = NULL;
		return cli_fail(&err);
	}
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(in, "items"), i, it)
		if (!planfile_item(*out, json_string_value(json_object_get(it, "need"))))
			cli_error("step %zu of %s (%s) is not on this directory's list for the "
			          "profile: its tick, choice and notes were left out", i + 1, pa->arg[0],
			          json_string_value(json_object_get(it, "need")));
	json_decref(in);
	return 0;
}

/* ---- changing one step ------------------------------------------------------ */

/* The step named by pa->arg[0], or NULL after saying so. */
static json_t *step_arg(json_t *plan, const struct plan_args *pa)
{
	json_t *it = planfile_item(plan, pa->arg[0]);
	if (!it)
		cli_error("no item \"%s\" in the plan (give its number or its need)", pa->arg[0]);
	return it;
}

/* Characters (code points) of UTF-8 text s. */
static size_t chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* gilde plan choose ITEM OFFER: OFFER from the step's offers, or - for none. */
static int plan_choose(struct plan_ctx *pc, json_t *it, const char *arg)
{
	bool ambiguous;
	if (!strcmp(arg, "-")) {
		json_object_del(it, "chosen");
		return 0;
	}
	json_t *o = planfile_offer(it, arg, &ambiguous);
	if (!o) {
		cli_error(ambiguous ? "two offers of item %s have the id \"%s\": give AUTHOR/ID"
		                    : "item %s lists no offer \"%s\" (give its number in gilde plan "
		                      "show, its id or AUTHOR/ID; - chooses none)",
		          json_string_value(json_object_get(it, "need")), arg);
		return ambiguous ? EXIT_USAGE : EXIT_NOTFOUND;
	}
	const json_t *was = json_object_get(it, "chosen");
	bool same = was && json_equal(json_object_get(was, "author"), json_object_get(o, "author")) &&
	            json_equal(json_object_get(was, "id"), json_object_get(o, "id"));
	json_t *c = planfile_chosen(o, pc->now);
	if (same) /* choosing it again keeps when it was chosen and asked */
		for (const char *const *k = (const char *const[]){ "chosen_at", "asked_at", NULL }; *k; k++)
			if (json_object_get(was, *k))
				json_object_set(c, *k, json_object_get(was, *k));
	json_object_set_new(it, "chosen", c);
	return 0;
}

/* gilde plan done/undo/choose/asked/note: change the step and save the plan. */
static int plan_change(struct plan_ctx *pc, json_t *plan, const struct plan_args *pa)
{
	struct gl_error err = { 0 };
	const char *verb = pa->verb->name;
	json_t *it = step_arg(plan, pa);
	int rc = 0;
	if (!it)
		return EXIT_NOTFOUND;
	if (!strcmp(verb, "done")) {
		json_object_set_new(it, "done", json_true());
		json_object_set_new(it, "done_at", json_string(pc->now));
	} else if (!strcmp(verb, "undo")) {
		json_object_set_new(it, "done", json_false());
		json_object_del(it, "done_at");
	} else if (!strcmp(verb, "choose")) {
		rc = plan_choose(pc, it, pa->arg[1]);
	} else if (!strcmp(verb, "asked")) {
		json_t *c = json_object_get(it, "chosen");
		if (c) {
			json_object_set_new(c, "asked_at", json_string(pc->now));
		} else {
			cli_error("choose whom you asked first: gilde plan choose %s OFFER", pa->arg[0]);
			rc = EXIT_FAIL;
		}
	} else if (chars(pa->arg[1]) > PLANFILE_NOTES_MAX) { /* note */
		cli_error("the note has %zu characters, over PLANFILE_NOTES_MAX (%d)",
		          chars(pa->arg[1]), PLANFILE_NOTES_MAX);
		rc = EXIT_FAIL;
	} else if (*pa->arg[1]) {
		json_object_set_new(it, "notes", json_string(pa->arg[1]));
	} else {
		json_object_del(it, "notes");
	}
	if (!rc) {
		json_object_set_new(plan, "updated", json_string(pc->now));
		if (planfile_save(pc->d.set, pc->path, plan, &err))
			rc = cli_fail(&err);
	}
	return rc;
}

/* ---- the command -------------------------------------------------------------- */

/* The plan after the action (*plan, the caller's), or an exit code. */
static int plan_run(struct plan_ctx *pc, const struct plan_args *pa, json_t **plan)
{
	struct gl_error err = { 0 };
	const char *verb = pa->verb->name;
	json_t *next = NULL;
	int rc;
	if (!strcmp(verb, "init"))
		return plan_init(pc, pa, plan);
	if (!strcmp(verb, "import"))
		return plan_import(pc, pa, plan);
	if (planfile_load(pc->d.set, pc->path, plan, &err)) {
		if (err.code == GL_ENOTFOUND)
			cli_error("%s: no plan yet; make one with gilde plan init --profile FILE, or "
			          "gilde plan import FILE", pc->path);
		return err.code == GL_ENOTFOUND ? EXIT_NOTFOUND : cli_fail(&err);
	}
	if (!strcmp(verb, "refresh")) {
		if ((rc = plan_build(pc, json_object_get(*plan, "profile"), *plan, &next, &err)) ||
		    (rc = planfile_save(pc->d.set, pc->path, next, &err))) {
			json_decref(next);
			return cli_fail(&err);
		}
		json_decref(*plan);
		*plan = next;
		return 0;
	}
	if (!strcmp(verb, "export")) {
		if ((rc = fresh_path(pa, pa->arg[0], "--force writes over it")))
			return rc;
		return planfile_save(pc->d.set, pa->arg[0], *plan, &err) ? cli_fail(&err) : 0;
	}
	if (!strcmp(verb, "show") || !strcmp(verb, "nofit") || !strcmp(verb, "insight"))
		return 0; /* nofit and insight: plan_insight() */
	return plan_change(pc, *plan, pa);
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
	if (!cli->lang_given)
		cli->lang = NULL; /* the plan's own language, unless --lang */
	int rc = cli_options(cli, me, argc, argv, &opts);
	if (rc || (rc = plan_action(me, argc, argv, &pa)))
		return rc;
	struct plan_ctx pc = { .cli = cli };
	struct gl_error err = { 0 };
	json_t *plan = NULL;
	clock_format(clock_now(), pc.now);
	if (plan_path(pa.plan_opt, pc.path, sizeof pc.path, &err) || cli_dir_schemas(&pc.d, &err)) {
		rc = cli_fail(&err);
		goto out;
	}
	if ((rc = plan_run(&pc, &pa, &plan)))
		goto out;
	/* show, done and the rest speak the plan's language, unless --lang */
	if (!cli->lang_given && json_string_value(json_object_get(plan, "lang")))
		cli_set_lang(cli, json_string_value(json_object_get(plan, "lang")));
	if (!strcmp(pa.verb->name, "init"))
		cli_note(cli, _("The plan is kept in %s."), pc.path);
	/* the anonymous steps, if the starter agreed (client/plan_insight.h) */
	bool changed, printed;
	rc = plan_insight(cli, plan, pa.verb->name, pa.arg[0], &changed, &printed);
	if (changed && planfile_save(pc.d.set, pc.path, plan, &err))
		rc = cli_fail(&err);
	if (rc || printed)
		goto out;
	if (!strcmp(pa.verb->name, "export")) {
		if (strcmp(pa.arg[0], "-"))
			fprintf(stderr, "plan written to %s\n", pa.arg[0]);
	} else if (cli->json) {
		cli_print_json(plan);
	} else {
		if (!strcmp(pa.verb->name, "refresh"))
			printf(P_("refreshed: %u new offer, %u gone\n", "refreshed: %u new offers, %u gone\n",
			          pc.added), pc.added, pc.gone);
		json_t *shown = cli_json_lines(plan); /* outside texts, one line each */
		plan_print(shown);
		json_decref(shown);
	}
out:
	json_decref(plan);
	cli_dir_close(&pc.d);
	return rc;
}

/* gilde match */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "client/cmd.h"
#include "query/match.h"
#include "schemas/taxonomy.h"

/* What gilde match is told: a profile file, or the profile in flags. */
struct match_args {
	const struct cmd *me;
	json_t *flags, *sectors, *needs, *speaks;
	const char *file;
	bool any_flag, explain;
	unsigned per_item;
};

/* A number of at least 0 in arg (strtol's), or -1. */
static long number(const char *arg)
{
	char *end;
	errno = 0;
	long v = strtol(arg, &end, 10);
	return !*end && !errno && v >= 0 ? v : -1;
}

static int match_option(void *ctx, int c, const char *arg)
{
	struct match_args *ma = ctx;
	long v;
	char *end;
	switch (c) {
	case 'p': ma->file = arg; return 0;
	case 'e': ma->explain = true; return 0;
	case 'k':
		errno = 0;
		ma->per_item = (unsigned)strtoul(arg, &end, 10);
		if (*end || errno)
			return cli_usage(ma->me, "%s", _("--per-item needs a number (0: all)"));
		return 0;
	case 'P': json_object_set_new(ma->flags, "phase", json_string(arg)); break;
	case 's': json_array_append_new(ma->sectors, json_string(arg)); break;
	case 'n': json_array_append_new(ma->needs, json_string(arg)); break;
	case 'a': json_object_set_new(ma->flags, "activity", json_string(arg)); break;
	case 'r': json_object_set_new(ma->flags, "area", json_string(arg)); break;
	case 'S': json_object_set_new(ma->flags, "student", json_true()); break;
	case 'I': json_object_set_new(ma->flags, "international", json_true()); break;
	case 'c':
		json_object_set_new(ma->flags, "student", json_true());
		json_object_set_new(ma->flags, "school", json_string(arg));
		break;
	case 'D': json_object_set_new(ma->flags, "side_activity", json_true()); break;
	case 'm': json_object_set_new(ma->flags, "side_activity", json_false()); break;
	case 'R': json_object_set_new(ma->flags, "research", json_true()); break;
	case 'T': json_object_set_new(ma->flags, "takeover", json_true()); break;
	case 'B': json_object_set_new(ma->flags, "bank_refused", json_true()); break;
	case 'J': json_object_set_new(ma->flags, "jobseeker", json_true()); break;
	case 'Y': json_object_set_new(ma->flags, "prototype", json_true()); break;
	case 'F': json_object_set_new(ma->flags, "staff_from_abroad", json_true()); break;
	case 'X':
		if (strcmp(arg, "yes") && strcmp(arg, "no"))
			return cli_usage(ma->me, "%s", _("--experienced needs yes or no"));
		json_object_set_new(ma->flags, "experienced", json_boolean(!strcmp(arg, "yes")));
		break;
	case 'i': json_object_set_new(ma->flags, "premises", json_string(arg)); break;
	case 'l': json_array_append_new(ma->speaks, json_string(arg)); break;
	case 'E':
		if ((v = number(arg)) < 0)
			return cli_usage(ma->me, "%s", _("--employees needs a number of people"));
		json_object_set_new(ma->flags, "employees", json_integer(v));
		break;
	default: /* 'g' */
		if ((v = number(arg)) < 0)
			return cli_usage(ma->me, "%s", _("--company-age needs a number of years"));
		json_object_set_new(ma->flags, "company_age", json_integer(v));
		break;
	}
	ma->any_flag = true;
	return 0;
}

/* The profile the flags make (the language, if given, too). */
static json_t *profile_of_flags(struct match_args *ma, const struct cli *cli)
{
	json_t *p = json_incref(ma->flags);
	if (json_array_size(ma->sectors))
		json_object_set(p, "sectors", ma->sectors);
	if (json_array_size(ma->needs))
		json_object_set(p, "needs", ma->needs);
	if (json_array_size(ma->speaks))
		json_object_set(p, "languages", ma->speaks);
	if (cli->lang)
		json_object_set_new(p, "lang", json_string(cli->lang));
	return p;
}

/* Build a profile from --profile FILE or from flags; NULL after printing
 * an error (*rc set to its exit code). */
static json_t *profile_from(const struct cmd *me, int argc, char **argv, struct cli *cli,
                            bool *explain, unsigned *per_item, int *rc)
{
	static const struct option own[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "phase", required_argument, NULL, 'P' },
		{ "sector", required_argument, NULL, 's' },
		{ "need", required_argument, NULL, 'n' },
		{ "activity", required_argument, NULL, 'a' },
		{ "area", required_argument, NULL, 'r' },
		{ "company-age", required_argument, NULL, 'g' },
		{ "student", no_argument, NULL, 'S' },
		{ "school", required_argument, NULL, 'c' },
		{ "international", no_argument, NULL, 'I' },
		{ "side-activity", no_argument, NULL, 'D' },
		{ "main-activity", no_argument, NULL, 'm' },
		{ "research", no_argument, NULL, 'R' },
		{ "takeover", no_argument, NULL, 'T' },
		{ "bank-refused", no_argument, NULL, 'B' },
		{ "jobseeker", no_argument, NULL, 'J' },
		{ "prototype", no_argument, NULL, 'Y' },
		{ "staff-from-abroad", no_argument, NULL, 'F' },
		{ "experienced", required_argument, NULL, 'X' },
		{ "premises", required_argument, NULL, 'i' },
		{ "speaks", required_argument, NULL, 'l' },
		{ "employees", required_argument, NULL, 'E' },
		{ "explain", no_argument, NULL, 'e' },
		{ "per-item", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	struct match_args ma = { .me = me, .flags = json_object(), .sectors = json_array(),
		                 .needs = json_array(), .speaks = json_array(),
		                 .per_item = *per_item };
	struct cli_opts opts = { .lo = own, .take = match_option, .ctx = &ma };
	json_t *p = NULL;
	struct gl_error lerr = { 0 };
	if ((*rc = cli_options(cli, me, argc, argv, &opts))) {
		/* a usage error, printed */
	} else if (ma.file && ma.any_flag) {
		*rc = cli_usage(me, "%s", _("give either --profile FILE or profile flags, not both"));
	} else if (ma.file && cli_load_json(ma.file, "--profile", &p, &lerr)) {
		*rc = cli_fail(&lerr);
	} else if (!ma.file) {
		p = profile_of_flags(&ma, cli);
	}
	*explain = ma.explain;
	*per_item = ma.per_item;
	json_decref(ma.flags);
	json_decref(ma.sectors);
	json_decref(ma.needs);
	json_decref(ma.speaks);
	return p;
}

void cmd_print_contact(const char *indent, const json_t *o)
{
	const json_t *ct = json_object_get(o, "contact");
	const char *booking = json_string_value(json_object_get(ct, "booking_url"));
	const char *email = json_string_value(json_object_get(ct, "email"));
	const char *phone = json_string_value(json_object_get(ct, "phone"));
	const char *page = json_string_value(json_object_get(ct, "url"));
	const char *url = json_string_value(json_object_get(o, "url"));
	printf("%s", indent);
	if (booking)
		printf(_("book: %s  "), booking);
	if (email)
		printf("%s  ", email);
	if (phone)
		printf("%s  ", phone);
	if (!booking && !email && !phone)
		printf("%s  ", page ? page : url ? url : "");
	printf("%s\n", json_is_true(json_object_get(o, "free")) ? _("(free)") : "");
}

static void print_offer(size_t k, const json_t *o, bool explain)
{
	const char *partner = json_string_value(json_object_get(o, "partner"));
	const char *answers = json_string_value(json_object_get(o, "answers"));
	printf("   %zu) %s%s%s%s\n", k + 1, json_string_value(json_object_get(o, "name")),
	       partner ? " — " : "", partner ? partner : "",
	       answers && !strcmp(answers, "in general") ? _("  [general help]") : "");
	cmd_print_contact("      ", o);
	if (!explain)
		return;
	size_t r;
	json_t *t;
	json_array_foreach(json_object_get(o, "terms"), r, t) {
		json_int_t pts = json_integer_value(json_object_get(t, "points"));
		printf("        %+4lld  %s\n", (long long)pts,
		       json_string_value(json_object_get(t, "what")));
	}
	printf(_("        ----\n        %4lld  score\n"),
	       (long long)json_integer_value(json_object_get(o, "score")));
}

static void print_header(const json_t *res)
{
	const json_t *p = json_object_get(res, "profile");
	size_t i;
	json_t *v;
	printf(_("To-do for a starter in phase %s"), json_string_value(json_object_get(p, "phase")));
	if (json_array_size(json_object_get(p, "sectors"))) {
		printf("%s", _(", sector"));
		json_array_foreach(json_object_get(p, "sectors"), i, v)
			printf("%s %s", i ? "," : "", json_string_value(v));
	}
	printf(_(" (%lld offers considered, %lld ruled out by their eligibility)\n"),
	       (long long)json_integer_value(json_object_get(res, "offers_considered")),
	       (long long)json_integer_value(json_object_get(res, "offers_excluded")));
	const char *from = json_string_value(json_object_get(res, "needs_from"));
	printf("%s", from && !strcmp(from, "paths") ? _("The needs a city adviser proposes") :
	             _("Your needs, in the order an adviser takes them"));
	json_array_foreach(json_object_get(res, "paths"), i, v)
		printf("%s %s", i ? "," : ":", json_string_value(json_object_get(v, "label")));
	printf("\n");
}

static void print_todo(const json_t *res, bool explain)
{
	size_t i, k;
	json_t *item, *o;
	print_header(res);
	json_array_foreach(json_object_get(res, "items"), i, item) {
		json_t *offers = json_object_get(item, "offers"), *later = json_object_get(item, "later");
		printf("\n%zu. [ ] %s\n", i + 1, json_string_value(json_object_get(item, "label")));
		if (!json_array_size(offers))
			printf("%s", _("      no offer in the directory fits this profile yet\n"));
		json_array_foreach(offers, k, o)
			print_offer(k, o, explain);
		json_int_t more = json_integer_value(json_object_get(item, "more"));
		if (more)
			printf(_("      … and %lld more (--per-item 0 shows all)\n"), (long long)more);
		if (json_array_size(later))
			printf("%s", _("      for later, in your next phase:\n"));
		json_array_foreach(later, k, o)
			print_offer(k, o, explain);
	}
}

int cmd_match_run(struct cli *cli, const json_t *profile, unsigned per_item, json_t **res,
                  struct gl_error *err)
{
	struct cli_dir d = { 0 };
	struct todo_paths *paths = NULL;
	struct match_opts o = { .lang = cli->lang, .per_item = per_item };
	int rc;
	/* a city's own paths (gilded's [web] paths) may be tried with GILDE_PATHS */
	if (!(rc = cli_dir_schemas(&d, err)) &&
	    !(rc = todo_load(d.set, d.tax, getenv("GILDE_PATHS"), &paths, err)) &&
	    !(rc = match_profile_check(d.set, profile, "profile", err)) &&
	    !(rc = cli_dir_store(cli, &d, err))) {
		o.paths = paths;
		rc = match_run(d.t, d.tax, profile, &o, res, err);
	}
	todo_free(paths);
	cli_dir_close(&d);
	return rc;
}

int cmd_match(struct cli *cli, int argc, char **argv)
{
	const struct cmd *me = cmd_find("match");
	bool explain = false;
	unsigned per_item = 5;
	int rc;
	if (!cli->lang_given)
		cli->lang = NULL; /* the profile's language, unless --lang */
	json_t *profile = profile_from(me, argc, argv, cli, &explain, &per_item, &rc);
	if (!profile)
		return rc;
	const char *plang = json_string_value(json_object_get(profile, "lang"));
	if (!cli->lang_given && plang)
		cli_set_lang(cli, plang); /* the words around the list speak it too */
	struct gl_error err = { 0 };
	json_t *res = NULL;
	if (cmd_match_run(cli, profile, per_item, &res, &err)) {
		rc = cli_fail(&err);
	} else {
		rc = EXIT_OK;
		if (cli->json)
			cli_print_json(res);
		else {
			json_t *shown = cli_json_lines(res); /* outside texts, one line each */
			print_todo(shown, explain);
			json_decref(shown);
		}
	}
	json_decref(res);
	json_decref(profile);
	return rc;
}

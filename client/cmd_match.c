/* gilde match */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "client/cmd.h"
#include "query/match.h"
#include "schemas/taxonomy.h"

/* Build a profile from --profile FILE or from flags; NULL after printing
 * a usage error (*rc set). */
static json_t *profile_from(const struct cmd *me, int argc, char **argv, struct cli *cli,
                            bool *explain, unsigned *per_item, int *rc)
{
	static const struct option lo[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "phase", required_argument, NULL, 'P' },
		{ "sector", required_argument, NULL, 's' },
		{ "need", required_argument, NULL, 'n' },
		{ "activity", required_argument, NULL, 'a' },
		{ "area", required_argument, NULL, 'r' },
		{ "company-age", required_argument, NULL, 'g' },
		{ "student", no_argument, NULL, 'S' },
		{ "international", no_argument, NULL, 'I' },
		{ "explain", no_argument, NULL, 'e' },
		{ "per-item", required_argument, NULL, 'k' },
		CLI_COMMON_LONG,
		{ NULL, 0, NULL, 0 },
	};
	json_t *flags = json_object(), *sectors = json_array(), *needs = json_array();
	const char *file = NULL;
	bool any_flag = false;
	int c;
	*rc = EXIT_USAGE;
	while ((c = getopt_long(argc, argv, ":" CLI_COMMON_SHORT, lo, NULL)) != -1) {
		int h = cli_common(cli, me, c, optarg, argv);
		if (h < 0)
			goto fail;
		if (h)
			continue;
		char *end;
		switch (c) {
		case 'p': file = optarg; continue;
		case 'e': *explain = true; continue;
		case 'k':
			errno = 0;
			*per_item = (unsigned)strtoul(optarg, &end, 10);
			if (*end || errno) {
				cli_usage(me, "--per-item needs a number (0: all)");
				goto fail;
			}
			continue;
		case 'P': json_object_set_new(flags, "phase", json_string(optarg)); break;
		case 's': json_array_append_new(sectors, json_string(optarg)); break;
		case 'n': json_array_append_new(needs, json_string(optarg)); break;
		case 'a': json_object_set_new(flags, "activity", json_string(optarg)); break;
		case 'r': json_object_set_new(flags, "area", json_string(optarg)); break;
		case 'S': json_object_set_new(flags, "student", json_true()); break;
		case 'I': json_object_set_new(flags, "international", json_true()); break;
		case 'g':
			errno = 0;
			long v = strtol(optarg, &end, 10);
			if (*end || errno || v < 0) {
				cli_usage(me, "--company-age needs a number of years");
				goto fail;
			}
			json_object_set_new(flags, "company_age", json_integer(v));
			break;
		default:
			cli_usage(me, "unknown option %s", argv[optind - 1]);
			goto fail;
		}
		any_flag = true;
	}
	if (optind != argc) {
		cli_usage(me, "unexpected argument \"%s\"", argv[optind]);
		goto fail;
	}
	if (file && any_flag) {
		cli_usage(me, "give either --profile FILE or profile flags, not both");
		goto fail;
	}
	if (file) {
		json_error_t jerr;
		json_t *p = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
		if (!p) {
			cli_error("%s:%d: %s", file, jerr.line, jerr.text);
			*rc = EXIT_FAIL;
			goto fail;
		}
		json_decref(flags);
		json_decref(sectors);
		json_decref(needs);
		return p;
	}
	if (json_array_size(sectors))
		json_object_set(flags, "sectors", sectors);
	if (json_array_size(needs))
		json_object_set(flags, "needs", needs);
	if (cli->lang)
		json_object_set_new(flags, "lang", json_string(cli->lang));
	json_decref(sectors);
	json_decref(needs);
	return flags;
fail:
	json_decref(flags);
	json_decref(sectors);
	json_decref(needs);
	return NULL;
}

static void print_todo(const json_t *res, bool explain)
{
	const json_t *p = json_object_get(res, "profile");
	printf("To-do for a starter in phase %s", json_string_value(json_object_get(p, "phase")));
	size_t i;
	json_t *v;
	if (json_array_size(json_object_get(p, "sectors"))) {
		printf(", sector");
		json_array_foreach(json_object_get(p, "sectors"), i, v)
			printf("%s %s", i ? "," : "", json_string_value(v));
	}
	printf(" (%lld offers considered, %lld ruled out by their eligibility)\n",
	       (long long)json_integer_value(json_object_get(res, "offers_considered")),
	       (long long)json_integer_value(json_object_get(res, "offers_excluded")));
	json_t *item;
	json_array_foreach(json_object_get(res, "items"), i, item) {
		json_t *offers = json_object_get(item, "offers");
		printf("\n%zu. [ ] %s\n", i + 1, json_string_value(json_object_get(item, "label")));
		if (!json_array_size(offers)) {
			printf("      no offer in the directory fits this profile yet\n");
			continue;
		}
		size_t k;
		json_t *o;
		json_array_foreach(offers, k, o) {
			const char *partner = json_string_value(json_object_get(o, "partner"));
			const char *answers = json_string_value(json_object_get(o, "answers"));
			printf("   %zu) %s%s%s%s\n", k + 1, json_string_value(json_object_get(o, "name")),
			       partner ? " — " : "", partner ? partner : "",
			       answers && !strcmp(answers, "in general") ? "  [general help]" : "");
			const char *url = json_string_value(json_object_get(o, "url"));
			const char *email = json_string_value(json_object_get(o, "email"));
			printf("      %s%s%s%s\n", url ? url : "", email ? "  " : "", email ? email : "",
			       json_is_true(json_object_get(o, "free")) ? "  (free)" : "");
			if (!explain)
				continue;
			size_t r;
			json_t *why;
			printf("      score %lld:\n",
			       (long long)json_integer_value(json_object_get(o, "score")));
			json_array_foreach(json_object_get(o, "reasons"), r, why)
				printf("        - %s\n", json_string_value(why));
		}
		json_int_t more = json_integer_value(json_object_get(item, "more"));
		if (more)
			printf("      … and %lld more (--per-item 0 shows all)\n", (long long)more);
	}
}

int cmd_match(struct cli *cli, int argc, char **argv)
{
	const struct cmd *me = cmd_find("match");
	bool explain = false;
	unsigned per_item = 5;
	int rc;
	cli->lang = NULL;
	json_t *profile = profile_from(me, argc, argv, cli, &explain, &per_item, &rc);
	if (!profile)
		return rc;
	struct gl_error err = { 0 };
	struct schema_set *set = NULL;
	struct taxonomy *tax = NULL;
	struct store *s = NULL;
	struct store_txn *t = NULL;
	json_t *res = NULL;
	rc = EXIT_OK;
	if (schema_set_load(&set, &err) || taxonomy_load(set, &tax, &err) ||
	    match_profile_check(set, profile, "profile", &err) || cli_read_store(cli, &s, &t, &err)) {
		rc = cli_fail(&err);
		goto out;
	}
	struct match_opts o = { .lang = cli->lang, .per_item = per_item };
	if (match_run(t, tax, profile, &o, &res, &err)) {
		rc = cli_fail(&err);
		goto out;
	}
	if (cli->json)
		cli_print_json(res);
	else
		print_todo(res, explain);
out:
	json_decref(res);
	store_abort(t);
	store_close(s);
	taxonomy_free(tax);
	schema_set_free(set);
	json_decref(profile);
	return rc;
}

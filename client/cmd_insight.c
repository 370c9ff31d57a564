/*
 * gilde insight — how starters use the directory, as the figures released
 * from the progress events starters agreed to send (issue 26): on a city
 * node that collects them its own release (DATA/insight, read-only), and
 * on any node the insight records city nodes published.  Only figures of
 * at least k starters exist in either (query/release.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/cmd.h"
#include "proto/ident.h"
#include "query/release.h"
#include "query/view.h"
#include "store/progress.h"

int cmd_insight_releases(struct cli *cli, struct cli_dir *d, enum cmd_release how,
                         json_t **out, struct gl_error *err)
{
	struct cli_node me;
	char path[PATHS_MAX];
	struct progress *p = NULL;
	struct progress_txn *pt = NULL;
	int rc = cli_node_meta(d->s, &me, err);
	if (rc || (rc = paths_join(path, cli->data, "insight", err)))
		return rc;
	rc = progress_open(path, true, &p, err);
	if (rc == GL_ENOTFOUND)
		rc = 0; /* this node keeps no progress events */
	else if (!rc)
		rc = progress_begin(p, false, &pt, err);
	if (!rc && how == CMD_RELEASE_DEMAND)
		rc = release_demand(d->t, pt, me.pk, out, err);
	else if (!rc)
		rc = release_list(d->t, pt, me.pk, NULL, out, err);
	/* every release listed, each with its buckets (the first has them) */
	for (size_t i = 1; !rc && how == CMD_RELEASE_ALL && i < json_array_size(*out); i++)
		if ((rc = release_fill(d->t, pt, json_array_get(*out, i), err))) {
			json_decref(*out);
			*out = NULL;
		}
	progress_abort(pt);
	progress_close(p);
	return rc;
}

/* ---- printing ------------------------------------------------------------------ */

static const char *label(const struct taxonomy *tax, const char *facet, const char *id,
                         const char *lang)
{
	const struct tax_term *t = id ? taxonomy_term(tax, facet, id) : NULL;
	return t ? taxonomy_label(t, lang) : id ? id : "?";
}

static size_t width(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* "Pre-start · Retail · Shop · not a student · …", what the bucket fixes. */
static void print_bucket_head(const struct taxonomy *tax, const json_t *b, const char *lang)
{
	static const char *const yes[] = { N_("a student"), N_("from abroad"), N_("a side activity") };
	static const char *const no[] = { N_("not a student"), N_("not from abroad"),
	                                  N_("the main activity") };
	static const char *const answers[] = { "student", "international", "side_activity" };
	json_int_t level = json_integer_value(json_object_get(b, "level"));
	if (level == 0) {
		printf("\n%s", _("Every other starter"));
	} else {
		printf("\n%s", label(tax, "phase", json_string_value(json_object_get(b, "phase")), lang));
		if (level >= 2)
			printf(" · %s", json_object_get(b, "sector")
			       ? label(tax, "sector", json_string_value(json_object_get(b, "sector")), lang)
			       : _("sector not answered"));
		if (level >= 3)
			printf(" · %s", json_object_get(b, "activity")
			       ? label(tax, "activity", json_string_value(json_object_get(b, "activity")), lang)
			       : _("kind of business not answered"));
		for (int i = 0; level >= 4 && i < 3; i++) {
			json_t *v = json_object_get(b, answers[i]);
			if (v)
				printf(" · %s", json_is_true(v) ? _(yes[i]) : _(no[i]));
		}
		if (level < 4)
			printf(" · %s", _("the others"));
	}
	json_t *n = json_object_get(b, "starters");
	if (n)
		printf(P_(": %lld starter\n", ": %lld starters\n", (unsigned long)json_integer_value(n)),
		       (long long)json_integer_value(n));
	else
		printf("\n");
}

static void print_funnel(const struct taxonomy *tax, const json_t *b, const char *lang)
{
	static const char *const steps[] = { "listed", "chosen", "done", "dropped", "nofit", "unmet" };
	static const char *const heads[] = { N_("listed"), N_("chosen"), N_("done"), N_("dropped"),
	                                     N_("no fit"), N_("unmet") };
	json_t *rows = json_object_get(b, "needs"), *r;
	size_t i, lw = 4;
	json_array_foreach(rows, i, r) {
		size_t w = width(label(tax, "need", json_string_value(json_object_get(r, "need")), lang));
		lw = w > lw ? w : lw;
	}
	if (!json_array_size(rows))
		return;
	printf("  %-*s", (int)lw, _("need"));
	for (int s = 0; s < 6; s++)
		printf("  %7s", _(heads[s]));
	printf("\n");
	json_array_foreach(rows, i, r) {
		const char *l = label(tax, "need", json_string_value(json_object_get(r, "need")), lang);
		printf("  %s%*s", l, (int)(lw - width(l)), "");
		for (int s = 0; s < 6; s++) {
			json_t *v = json_object_get(r, steps[s]);
			if (v)
				printf("  %7lld", (long long)json_integer_value(v));
			else
				printf("  %7s", "-");
		}
		printf("\n");
	}
}

static void print_partners(struct store_txn *t, const struct taxonomy *tax, const json_t *b,
                           const char *lang)
{
	size_t i;
	json_t *r;
	if (json_array_size(json_object_get(b, "partners")))
		printf("  %s\n", _("partners chosen:"));
	json_array_foreach(json_object_get(b, "partners"), i, r) {
		const char *author = json_string_value(json_object_get(r, "author"));
		const char *id = json_string_value(json_object_get(r, "partner"));
		uint8_t pk[32];
		char *name = author && !ident_parse(IDENT_PK_PREFIX, author, "author", pk, NULL)
		             ? view_partner_name(t, pk, id, lang) : NULL;
		char *shown = name ? cli_line(name) : NULL; /* a partner's name: outside text */
		printf("    %s: %s (%s) %lld\n",
		       label(tax, "need", json_string_value(json_object_get(r, "need")), lang),
		       shown ? shown : _("a partner not in this directory"), id ? id : author,
		       (long long)json_integer_value(json_object_get(r, "starters")));
		free(shown);
		free(name);
	}
}

static void print_orders(const struct taxonomy *tax, const json_t *b, const char *lang)
{
	size_t i, s;
	json_t *r, *step;
	if (json_array_size(json_object_get(b, "orders")))
		printf("  %s\n", _("common orders of steps ticked off (median weeks between them):"));
	json_array_foreach(json_object_get(b, "orders"), i, r) {
		printf("    ");
		json_array_foreach(json_object_get(r, "steps"), s, step) {
			if (s)
				printf(_(" → (%lld wk) "), (long long)json_integer_value(
					json_array_get(json_object_get(r, "weeks"), s - 1)));
			printf("%s", label(tax, "need", json_string_value(step), lang));
		}
		json_int_t n = json_integer_value(json_object_get(r, "starters"));
		printf(P_(": %lld starter\n", ": %lld starters\n", (unsigned long)n), (long long)n);
	}
}

static void print_release(const struct cli_dir *d, const json_t *rel, const char *lang)
{
	const char *from = json_string_value(json_object_get(rel, "from"));
	json_int_t k = json_integer_value(json_object_get(rel, "k"));
	if (from && !strcmp(from, "this node"))
		printf(_("This node's release, week %s (k = %lld)\n"),
		       json_string_value(json_object_get(rel, "week")), (long long)k);
	else
		printf(_("Published by %s (%s), %s (k = %lld)\n"),
		       json_string_value(json_object_get(rel, "name")) ? json_string_value(
		               json_object_get(rel, "name")) : _("a node"), from,
		       json_string_value(json_object_get(rel, "issued")), (long long)k);
	printf(_("Every figure counts at least %lld starters who agreed to send their steps; "
	         "smaller ones are left out,\nand a figure changes only once %lld starters moved it.\n"),
	       (long long)k, (long long)k);
	size_t i;
	json_t *b;
	if (!json_array_size(json_object_get(rel, "buckets")))
		printf(_("\nNo bucket of %lld starters yet.\n"), (long long)k);
	json_array_foreach(json_object_get(rel, "buckets"), i, b) {
		print_bucket_head(d->tax, b, lang);
		print_funnel(d->tax, b, lang);
		print_partners(d->t, d->tax, b, lang);
		print_orders(d->tax, b, lang);
	}
}

int cmd_insight(struct cli *cli, int argc, char **argv)
{
	int urc = cli_common_only(cli, cmd_find("insight"), argc, argv, 0);
	if (urc)
		return urc;
	struct gl_error err = { 0 };
	struct cli_dir d = { 0 };
	json_t *list = NULL;
	int rc;
	if ((rc = cli_dir_schemas(&d, &err)) || (rc = cli_dir_store(cli, &d, &err)) ||
	    (rc = cmd_insight_releases(cli, &d, CMD_RELEASE_ALL, &list, &err)))
		goto out;
	if (cli->json) {
		json_t *o = json_pack("{s:O}", "releases", list);
		cli_print_json(o);
		json_decref(o);
		goto out;
	}
	if (!json_array_size(list))
		printf(_("No figures from starters here: this node collects no progress events "
		         "([insight] in gilde.conf(5)),\nand no insight records from a node that does "
		         "have reached it.\n"));
	size_t i;
	json_t *rel;
	json_t *shown = cli_json_lines(list); /* records from other nodes: outside texts */
	json_array_foreach(shown, i, rel) {
		if (i)
			printf("\n");
		print_release(&d, rel, cli->lang ? cli->lang : "en");
	}
	json_decref(shown);
out:
	json_decref(list);
	cli_dir_close(&d);
	return rc ? cli_fail(&err) : EXIT_OK;
}

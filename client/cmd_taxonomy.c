/*
 * gilde taxonomy — the terms a profile, an offer and a search filter use
 * (schemas/taxonomy.json): needs, phases, sectors, kinds of activity,
 * areas, kinds of organisation, and whatever facets the taxonomy gains,
 * each term with its Dutch and English label, in the taxonomy's order.
 */
#include <string.h>

#include "client/cmd.h"
#include "client/i18n.h"
#include "schemas/taxonomy.h"

/* What a facet is called, and where its terms are used. */
struct facet_words {
	const char *facet, *plural, *title;
};

static const struct facet_words facet_words[] = {
	{ "need", "needs", N_("Needs (gilde match --need), in the order a starter meets them") },
	{ "phase", "phases", N_("Phases (gilde match --phase, gilde events --phase)") },
	{ "sector", "sectors", N_("Sectors (gilde match --sector, gilde events --sector)") },
	{ "activity", "activities", N_("Kinds of activity (gilde match --activity)") },
	{ "area", "areas", N_("Areas (gilde match --area); each lies within the next") },
	{ "org_type", "org_types", N_("Kinds of organisation (a partner record's org_type)") },
};

static const struct facet_words *words_of(const char *facet)
{
	for (size_t i = 0; i < sizeof facet_words / sizeof facet_words[0]; i++)
		if (!strcmp(facet_words[i].facet, facet) || !strcmp(facet_words[i].plural, facet))
			return &facet_words[i];
	return NULL;
}

/* Characters (not bytes) of a UTF-8 string. */
static size_t width(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* How deep term lies under broader terms listed before it (needs: the
 * narrower right after the broader); 0 where the broader come after
 * (areas, listed from the smallest). */
static unsigned depth(const struct taxonomy *tax, const char *facet, const struct tax_term *t)
{
	unsigned d = 0;
	const struct tax_term *p;
	while (t->parent && d < 16 && (p = taxonomy_term(tax, facet, t->parent)) &&
	       p->order < t->order) {
		t = p;
		d++;
	}
	return d;
}

static void print_facet(const struct taxonomy *tax, const char *facet, const char *lang)
{
	size_t n, idw = 0, lw = 0;
	const struct tax_term *terms = taxonomy_facet(tax, facet, &n);
	const struct facet_words *fw = words_of(facet);
	const char *other = strcmp(lang, "nl") ? "nl" : "en";
	for (size_t i = 0; i < n; i++) {
		size_t w = 2 * depth(tax, facet, &terms[i]) + strlen(terms[i].id);
		idw = w > idw ? w : idw;
		w = width(taxonomy_label(&terms[i], lang));
		lw = w > lw ? w : lw;
	}
	printf("%s\n", fw ? _(fw->title) : facet);
	for (size_t i = 0; i < n; i++) {
		unsigned d = depth(tax, facet, &terms[i]);
		const char *l = taxonomy_label(&terms[i], lang);
		printf("  %*s%-*s  %s%*s  %s\n", (int)(2 * d), "", (int)(idw - 2 * d), terms[i].id, l,
		       (int)(lw - width(l)), "", taxonomy_label(&terms[i], other));
	}
}

static json_t *facet_json(const struct taxonomy *tax, const char *facet)
{
	size_t n;
	const struct tax_term *terms = taxonomy_facet(tax, facet, &n);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_pack("{s:s, s:{s:s, s:s}}", "id", terms[i].id, "label", "nl",
		                      terms[i].label_nl, "en", terms[i].label_en);
		if (terms[i].parent)
			json_object_set_new(o, "parent", json_string(terms[i].parent));
		json_array_append_new(arr, o);
	}
	return arr;
}

int cmd_taxonomy(struct cli *cli, int argc, char **argv)
{
	const struct cmd *me = cmd_find("taxonomy");
	if (cli_common_only(cli, me, argc, argv, -1))
		return EXIT_USAGE;
	struct cli_dir d = { 0 };
	struct gl_error err = { 0 };
	if (cli_dir_schemas(&d, &err)) {
		cli_dir_close(&d);
		return cli_fail(&err);
	}
	/* the facets, in the file's order: a new one is listed without a change here */
	json_t *all = json_object_get(schema_set_file(d.set, "taxonomy.json"), "x-terms");
	int rc = EXIT_OK;
	for (int i = optind; i < argc && rc == EXIT_OK; i++) {
		const struct facet_words *fw = words_of(argv[i]);
		if (!json_object_get(all, fw ? fw->facet : argv[i]))
			rc = cli_usage(me, _("no facet \"%s\" in the taxonomy"), argv[i]);
	}
	json_t *out = json_object();
	const char *facet;
	json_t *v;
	bool first = true;
	json_object_foreach(all, facet, v) {
		bool wanted = optind == argc;
		for (int i = optind; i < argc && !wanted; i++) {
			const struct facet_words *fw = words_of(argv[i]);
			wanted = !strcmp(fw ? fw->facet : argv[i], facet);
		}
		if (rc || !wanted)
			continue;
		if (cli->json) {
			json_object_set_new(out, facet, facet_json(d.tax, facet));
			continue;
		}
		if (!first)
			printf("\n");
		first = false;
		print_facet(d.tax, facet, cli->lang);
	}
	if (!rc && cli->json)
		cli_print_json(out);
	json_decref(out);
	cli_dir_close(&d);
	return rc;
}

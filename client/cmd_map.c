/*
 * gilde map — the map of the ecosystem (daemon/query/ecomap.h): which
 * partner offers which kind of help to which sector, grouped by the hubs
 * they sit at; as text, JSON, CSV or the SVG the node's page shows.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/cmd.h"
#include "proto/clock.h"
#include "query/ecomap.h"
#include "query/ics.h"

enum { OPT_SECTOR = 2100, OPT_CSV, OPT_SVG };

struct map_args {
	const struct cmd *me;
	const char *sector, *svg;
	bool csv;
};

static int map_option(void *ctx, int c, const char *arg)
{
	struct map_args *a = ctx;
	if (c == OPT_SECTOR)
		a->sector = arg;
	else if (c == OPT_SVG)
		a->svg = arg;
	else
		a->csv = true;
	return 0;
}

/* Where a partner is, in a few words. */
static const char *place(const json_t *p, const char *lang)
{
	const json_t *loc = json_object_get(p, "location");
	if (!strcmp(cli_str(loc, "from"), "area"))
		return cli_in_lang(json_object_get(loc, "label"), lang);
	return cli_str(loc, "locality");
}

/* "  Name (place)" and its needs, "*" where offers are made for sectors. */
static void print_partner(const json_t *map, const json_t *p, const char *lang)
{
	size_t k, c;
	json_t *need, *cell;
	printf("  %s", cli_in_lang(json_object_get(p, "name"), lang));
	if (*place(p, lang))
		printf(" (%s)", place(p, lang));
	printf("\n    ");
	bool first = true;
	json_array_foreach(json_object_get(map, "needs"), k, need)
		json_array_foreach(json_object_get(p, "cells"), c, cell) {
			if (strcmp(cli_str(cell, "need"), cli_str(need, "id")))
				continue;
			/* the cell's own count: it lists at most ECOMAP_CELL_OFFERS_MAX */
			bool made_for = json_is_true(json_object_get(cell, "made_for"));
			printf("%s%s%s (%lld)", first ? "" : ", ", cli_in_lang(json_object_get(need, "label"), lang),
			       made_for ? "*" : "", (long long)json_integer_value(json_object_get(cell, "count")));
			first = false;
		}
	printf("\n");
}

static void print_group(const json_t *map, const json_t *hub, const char *lang)
{
	size_t k;
	json_t *p;
	if (hub)
		printf("\n%s \xE2\x80\x94 %s\n", cli_in_lang(json_object_get(hub, "name"), lang),
		       cli_str(hub, "locality"));
	else
		printf("\n%s\n", !strcmp(lang, "nl") ? "Niet op een hub" : "Not at a hub");
	json_array_foreach(json_object_get(map, "partners"), k, p) {
		const char *h = json_string_value(json_object_get(p, "hub"));
		if (hub ? h && !strcmp(h, cli_str(hub, "id")) : !h)
			print_partner(map, p, lang);
	}
}

static void print_map(const json_t *map, const char *lang)
{
	const char *sector = json_string_value(json_object_get(map, "sector"));
	size_t k;
	json_t *h, *p;
	bool loose = false;
	const char *label = sector;
	json_array_foreach(json_object_get(map, "sectors"), k, h)
		if (sector && !strcmp(cli_str(h, "id"), sector))
			label = cli_in_lang(json_object_get(h, "label"), lang);
	printf("Who helps start-ups with what, in %s: %lld partners, %lld offers\n",
	       label ? label : "every sector",
	       (long long)json_integer_value(json_object_get(map, "partners_shown")),
	       (long long)json_integer_value(json_object_get(map, "offers_shown")));
	printf("(n) offers for that need; * some of them made for %s, the others open to every "
	       "sector\n", sector ? "this sector" : "particular sectors");
	json_array_foreach(json_object_get(map, "hubs"), k, h)
		print_group(map, h, lang);
	json_array_foreach(json_object_get(map, "partners"), k, p)
		loose |= json_is_null(json_object_get(p, "hub"));
	if (loose)
		print_group(map, NULL, lang);
	json_int_t more = json_integer_value(json_object_get(map, "partners_more"));
	if (more > 0)
		printf(!strcmp(lang, "nl") ? "\n\xE2\x80\xA6 en nog %lld partners, niet opgesomd (hoogstens %d)\n"
		                           : "\n\xE2\x80\xA6 and %lld more partners, not listed (at most %d are)\n",
		       (long long)more, ECOMAP_PARTNERS_MAX);
}

/* Write the picture to path ("-": stdout); say where unless on stdout. */
static int write_svg(const json_t *map, const char *path, const char *lang, bool quiet,
                     struct gl_error *err)
{
	char *svg = NULL;
	size_t len;
	int rc = ecomap_svg(map, lang, &svg, &len, err);
	if (!rc && !strcmp(path, "-"))
		rc = fwrite(svg, 1, len, stdout) == len ? 0 : gl_errorf(err, GL_EIO, "stdout: short "
		                                                       "write");
	else if (!rc)
		rc = ics_write(path, svg, err); /* atomic: FILE.part, fsync, rename */
	if (!rc && strcmp(path, "-") && !quiet)
		printf("wrote the map (%zu bytes) to %s\n", len, path);
	free(svg);
	return rc;
}

int cmd_map(struct cli *cli, int argc, char **argv)
{
	static const struct option own[] = {
		{ "sector", required_argument, NULL, OPT_SECTOR },
		{ "csv", no_argument, NULL, OPT_CSV },
		{ "svg", required_argument, NULL, OPT_SVG },
		{ NULL, 0, NULL, 0 },
	};
	struct map_args a = { .me = cmd_find("map") };
	struct cli_opts opts = { .lo = own, .take = map_option, .ctx = &a };
	int urc = cli_options(cli, a.me, argc, argv, &opts);
	if (urc)
		return urc;
	if (a.csv + cli->json + (a.svg && !strcmp(a.svg, "-")) > 1)
		return cli_usage(a.me, "--json, --csv and --svg - each write on stdout: give one");
	const char *lang = cli->lang ? cli->lang : "en";
	struct gl_error err = { 0 };
	struct cli_dir d = { 0 };
	json_t *map = NULL;
	int rc;
	if ((rc = cli_dir_schemas(&d, &err)) || (rc = cli_dir_store(cli, &d, &err)) ||
	    (rc = ecomap_run_all(d.t, d.tax, a.sector, clock_now(), &map, &err)))
		goto out;
	if (a.svg && (rc = write_svg(map, a.svg, lang, cli->json || a.csv, &err)))
		goto out;
	if (cli->json) {
		cli_print_json(map);
	} else if (a.csv) {
		char *csv = ecomap_csv(map, lang);
		fputs(csv, stdout);
		free(csv);
	} else if (!a.svg) {
		json_t *shown = cli_json_lines(map); /* outside texts, one line each */
		print_map(shown, lang);
		json_decref(shown);
	}
out:
	json_decref(map);
	cli_dir_close(&d);
	if (rc == GL_ENOTFOUND) /* a sector that is no term: a usage error */
		return cli_usage(a.me, "--sector: %s", err.msg);
	return rc ? cli_fail(&err) : EXIT_OK;
}

/*
 * gilde gaps — where the directory's offer has holes: live offers per need
 * and phase (and sector), read from the store (daemon/query/gaps.h), as a table,
 * as lists per sector, or as JSON; where starters agreed to help (gilde
 * insight), the cells where they found nothing come first.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "proto/clock.h"
#include "client/cmd.h"
#include "query/gaps.h"
#include "schemas/schema.h"
#include "schemas/taxonomy.h"

enum { OPT_BY_SECTOR = 2000 };

/* What a result's cells are laid out over (gaps.h: needs, phases, sectors). */
struct grid {
	const struct taxonomy *tax;
	const char *lang;
	json_t *res, *cells;
	size_t nn, np, ns; /* ns: 1 without sectors */
};

static json_t *cell(const struct grid *g, size_t need, size_t phase, size_t sector)
{
	return json_array_get(g->cells, (need * g->np + phase) * g->ns + sector);
}

static json_int_t num(json_t *c, const char *field)
{
	return json_integer_value(json_object_get(c, field));
}

static bool is_gap(json_t *c)
{
	return num(c, "offers") == 0 || num(c, "partners") == 1;
}

static const char *id_at(const struct grid *g, const char *list, size_t i)
{
	return json_string_value(json_array_get(json_object_get(g->res, list), i));
}

static const char *label(const struct grid *g, const char *facet, const char *id)
{
	const struct tax_term *t = taxonomy_term(g->tax, facet, id);
	return t ? taxonomy_label(t, g->lang) : id;
}

/* Characters (not bytes) of a UTF-8 string: its width in a terminal here. */
static size_t width(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/*
 * "Legal advice — no offer: Idea, Restart; one partner: Just started (2
 * offers)" for need i in sector s; nothing if that need has no gap there.
 */
static void print_need_gaps(const struct grid *g, size_t i, size_t s)
{
	size_t none = 0, single = 0;
	for (size_t j = 0; j < g->np; j++) {
		json_t *c = cell(g, i, j, s);
		none += num(c, "offers") == 0;
		single += num(c, "offers") > 0 && num(c, "partners") == 1;
	}
	if (!none && !single)
		return;
	printf("  %s —", label(g, "need", id_at(g, "needs", i)));
	if (none == g->np) {
		printf(" %s\n", _("no offer in any phase"));
		return;
	}
	const char *sep = _(" no offer: ");
	for (size_t j = 0; j < g->np && none; j++) {
		if (num(cell(g, i, j, s), "offers") == 0) {
			printf("%s%s", sep, label(g, "phase", id_at(g, "phases", j)));
			sep = ", ";
		}
	}
	sep = none ? _("; one partner: ") : _(" one partner: ");
	for (size_t j = 0; j < g->np && single; j++) {
		json_t *c = cell(g, i, j, s);
		json_int_t n = num(c, "offers");
		if (n > 0 && num(c, "partners") == 1) {
			printf("%s%s ", sep, label(g, "phase", id_at(g, "phases", j)));
			printf(P_("(%lld offer)", "(%lld offers)", n), (long long)n);
			sep = ", ";
		}
	}
	printf("\n");
}

static size_t count_gaps(const struct grid *g, size_t s)
{
	size_t n = 0;
	for (size_t i = 0; i < g->nn; i++)
		for (size_t j = 0; j < g->np; j++)
			n += is_gap(cell(g, i, j, s));
	return n;
}

/* A line of the table, built piece by piece, printed without trailing blanks. */
struct line {
	char text[1024];
	size_t len;
};

static void add(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct line *l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(l->text + l->len, sizeof l->text - l->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len += (size_t)n < sizeof l->text - l->len ? (size_t)n : sizeof l->text - 1 - l->len;
}

static void put_line(struct line *l)
{
	while (l->len && l->text[l->len - 1] == ' ')
		l->len--;
	printf("%.*s\n", (int)l->len, l->text);
	l->len = 0;
}

/* The width of phase j's column: its id, or 3 digits. */
static int column(const struct grid *g, size_t j)
{
	size_t w = strlen(id_at(g, "phases", j));
	return (int)(w < 3 ? 3 : w);
}

/* The needs × phases table of offer counts, a gap marked with '*'. */
static void print_table(const struct grid *g)
{
	size_t lw = 0;
	for (size_t i = 0; i < g->nn; i++) {
		const char *id = id_at(g, "needs", i);
		const struct tax_term *t = taxonomy_term(g->tax, "need", id);
		size_t w = width(label(g, "need", id)) + (t && t->parent ? 2 : 0);
		if (w > lw)
			lw = w;
	}
	struct line l = { .len = 0 };
	printf("%s\n\n", _("Live offers per need and phase (* a gap: no offer, or all from one "
	                    "partner)"));
	add(&l, "%*s", (int)lw, "");
	for (size_t j = 0; j < g->np; j++)
		add(&l, "  %*s ", column(g, j), id_at(g, "phases", j));
	put_line(&l);
	for (size_t i = 0; i < g->nn; i++) {
		const char *id = id_at(g, "needs", i), *lab = label(g, "need", id);
		const struct tax_term *t = taxonomy_term(g->tax, "need", id);
		size_t indent = t && t->parent ? 2 : 0;
		add(&l, "%*s%s%*s", (int)indent, "", lab, (int)(lw - indent - width(lab)), "");
		for (size_t j = 0; j < g->np; j++) {
			json_t *c = cell(g, i, j, 0);
			add(&l, "  %*lld%s", column(g, j), (long long)num(c, "offers"),
			    is_gap(c) ? "*" : " ");
		}
		put_line(&l);
	}
	printf("\n%s", _("Phases:"));
	for (size_t j = 0; j < g->np; j++) {
		const char *p = id_at(g, "phases", j);
		printf("%s %s = %s", j ? "," : "", p, label(g, "phase", p));
	}
	size_t n = count_gaps(g, 0);
	printf("\n\n");
	printf(P_("%zu gap of %zu cells", "%zu gaps of %zu cells", n), n, g->nn * g->np);
	printf("%s\n", n ? ":" : "");
	for (size_t i = 0; i < g->nn; i++)
		print_need_gaps(g, i, 0);
}

/* One list of gaps per sector: a table per sector would be too much to read. */
static void print_sectors(const struct grid *g)
{
	printf("%s\n", _("Gaps per sector (a gap: no offer, or all from one partner)"));
	for (size_t s = 0; s < g->ns; s++) {
		size_t n = count_gaps(g, s);
		const char *sid = id_at(g, "sectors", s);
		printf("\n%s (%s): ", label(g, "sector", sid), sid);
		if (!n) {
			printf("%s\n", _("no gaps"));
			continue;
		}
		printf(P_("%zu gap of %zu cells\n", "%zu gaps of %zu cells\n", n), n, g->nn * g->np);
		for (size_t i = 0; i < g->nn; i++)
			print_need_gaps(g, i, s);
	}
}

/*
 * The cells where opted-in starters found nothing, most first (gaps.h,
 * gaps_run_demand), or a line saying there are no such figures.
 */
static void print_demand(const struct grid *g, bool by_sector)
{
	json_t *demand = json_object_get(g->res, "demand"), *c;
	if (!demand) {
		printf("\n%s\n", _("No figures from starters here (gilde insight): the gaps count offers only."));
		return;
	}
	json_int_t k = json_integer_value(json_object_get(demand, "k"));
	json_t *unmet = json_object_get(g->res, "unmet");
	printf(_("Where starters found nothing, most first (starters who agreed to help, %lld at "
	         "least per figure;\ngilde insight):\n"), (long long)k);
	if (!json_array_size(unmet))
		printf(_("  no need where %lld or more found nothing\n"), (long long)k);
	size_t i;
	json_array_foreach(unmet, i, c) {
		if (i == 20) {
			printf(_("  … and %zu more (gilde gaps --json)\n"), json_array_size(unmet) - 20);
			break;
		}
		printf("  %4lld  %s, %s", (long long)num(c, "unmet"),
		       label(g, "need", json_string_value(json_object_get(c, "need"))),
		       label(g, "phase", json_string_value(json_object_get(c, "phase"))));
		if (by_sector)
			printf(", %s", label(g, "sector", json_string_value(json_object_get(c, "sector"))));
		printf(P_(" — %lld offer", " — %lld offers", (unsigned long)num(c, "offers")),
		       (long long)num(c, "offers"));
		printf(P_(", %lld partner\n", ", %lld partners\n", (unsigned long)num(c, "partners")),
		       (long long)num(c, "partners"));
	}
	printf("\n");
}

/* --by-sector, gilde gaps's one option. */
static int gaps_option(void *ctx, int c, const char *arg)
{
	(void)c;
	(void)arg;
	*(bool *)ctx = true;
	return 0;
}

int cmd_gaps(struct cli *cli, int argc, char **argv)
{
	static const struct option own[] = {
		{ "by-sector", no_argument, NULL, OPT_BY_SECTOR },
		{ NULL, 0, NULL, 0 },
	};
	bool by_sector = false;
	struct cli_opts opts = { .lo = own, .take = gaps_option, .ctx = &by_sector };
	int urc = cli_options(cli, cmd_find("gaps"), argc, argv, &opts);
	if (urc)
		return urc;

	struct gl_error err = { 0 };
	struct cli_dir d = { 0 };
	json_t *res = NULL, *release = NULL;
	int rc;
	if ((rc = cli_dir_schemas(&d, &err)) || (rc = cli_dir_store(cli, &d, &err)) ||
	    (rc = cmd_insight_releases(cli, &d, CMD_RELEASE_DEMAND, &release, &err)) ||
	    (rc = gaps_run_demand(d.t, d.tax, by_sector, clock_now(), release, &res, &err)))
		goto out;
	if (cli->json) {
		cli_print_json(res);
		goto out;
	}
	struct grid g = {
		.tax = d.tax, .lang = cli->lang, .res = res, .cells = json_object_get(res, "cells"),
		.nn = json_array_size(json_object_get(res, "needs")),
		.np = json_array_size(json_object_get(res, "phases")),
		.ns = by_sector ? json_array_size(json_object_get(res, "sectors")) : 1,
	};
	if (json_object_get(res, "demand"))
		print_demand(&g, by_sector);
	if (by_sector)
		print_sectors(&g);
	else
		print_table(&g);
	if (!json_object_get(res, "demand"))
		print_demand(&g, by_sector);
out:
	json_decref(release);
	json_decref(res);
	cli_dir_close(&d);
	return rc ? cli_fail(&err) : EXIT_OK;
}

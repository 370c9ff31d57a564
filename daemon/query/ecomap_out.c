/*
 * ecomap_out.c — the map of the ecosystem written out (ecomap.h): as CSV
 * for a spreadsheet, and drawn as an SVG matrix the node writes itself, so
 * that the page shows it in an <img> without a line of drawing code,
 * `gilde map --svg` writes the same file, and both print.  XML is written
 * by libxml2's text writer (escaping is its job); the layout is ours:
 * fixed rows and columns, and label widths estimated from their length in
 * characters (no font is measured: a sans-serif at 12 px averages under
 * CHAR_PX a character).  CSV quoting (RFC 4180: a field in double quotes,
 * a quote doubled) is three lines, written here.
 */
#include "query/ecomap.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlwriter.h>

#include "proto/alloc.h"

#define FONT_PX 12
#define CHAR_PX 6.8        /* the width a character takes, at most, on average */
#define ROW_PX 22
#define COL_PX 34
#define DOT_R 6
#define MARGIN_PX 16
#define TITLE_PX 64         /* the title and the legend above the matrix */
#define HEAD_SLANT 0.72     /* sin 46°: how much of a slanted header is height */
#define INK "#1b3a6b"
#define RULE_INK "#c8ced8"
#define ZEBRA "#f2f4f8"

/* The words the picture says, in each language. */
struct words {
	const char *title_all, *title_for, *made_for, *made_for_all, *open, *no_hub, *where,
	           *every_sector, *more_offers, *more_partners;
};
static const struct words EN = {
	"Who helps start-ups with what, in every sector",
	"Who helps start-ups with what, in %s",
	"offers made for this sector", "offers made for some sectors",
	"offers open to every sector", "Not at a hub", "Where", "every sector",
	"; and %lld more", "\xE2\x80\xA6 and %lld more partners, not drawn",
};
static const struct words NL = {
	"Wie helpt starters waarmee, in alle sectoren",
	"Wie helpt starters waarmee, in %s",
	"aanbod voor deze sector", "aanbod voor bepaalde sectoren",
	"aanbod voor alle sectoren", "Niet op een hub", "Waar", "alle sectoren",
	"; en nog %lld", "\xE2\x80\xA6 en nog %lld partners, niet getekend",
};

struct svg {
	xmlTextWriterPtr w;
	bool ok;
	const char *lang;
	const struct words *words;
};

static const char *str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

/* A language map's text in the picture's language (else en, else ""). */
static const char *text(const struct svg *g, const json_t *map)
{
	const char *s = json_string_value(json_object_get(map, g->lang));
	return s ? s : str(map, "en");
}

/*
 * A copy of s that XML 1.0 can hold: the control characters it refuses,
 * and U+FFFE and U+FFFF, become U+FFFD.  s comes from jansson, so it is
 * UTF-8 already.
 */
static char *xml_safe(const char *s)
{
	struct gl_buf b = { 0 };
	const unsigned char *p = (const unsigned char *)s;
	for (; *p; p++) {
		bool ctrl = *p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r';
		bool nonchar = p[0] == 0xEF && p[1] == 0xBF && (p[2] == 0xBE || p[2] == 0xBF);
		if (ctrl || nonchar)
			gl_buf_append(&b, "\xEF\xBF\xBD", 3);
		else
			gl_buf_append(&b, p, 1);
		p += nonchar ? 2 : 0;
	}
	gl_buf_append(&b, "", 1);
	return (char *)b.data;
}

static size_t chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* s cut to at most max characters, the last one "…" if it was cut. */
static char *shorten(const char *s, size_t max)
{
	if (chars(s) <= max)
		return gl_xstrdup(s);
	size_t at = 0, n = 0;
	while (s[at] && n < max - 1)
		n += ((unsigned char)s[++at] & 0xC0) != 0x80;
	char *out = gl_xmalloc(at + 4);
	memcpy(out, s, at);
	memcpy(out + at, "\xE2\x80\xA6", 4);
	return out;
}

static void start(struct svg *g, const char *name)
{
	g->ok = g->ok && xmlTextWriterStartElement(g->w, BAD_CAST name) >= 0;
}

static void end(struct svg *g)
{
	g->ok = g->ok && xmlTextWriterEndElement(g->w) >= 0;
}

static void attr(struct svg *g, const char *name, const char *value)
{
	char *v = xml_safe(value);
	g->ok = g->ok && xmlTextWriterWriteAttribute(g->w, BAD_CAST name, BAD_CAST v) >= 0;
	free(v);
}

static void attrf(struct svg *g, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void attrf(struct svg *g, const char *name, const char *fmt, ...)
{
	char v[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v, sizeof v, fmt, ap);
	va_end(ap);
	attr(g, name, v);
}

static void body(struct svg *g, const char *s)
{
	char *v = xml_safe(s);
	g->ok = g->ok && xmlTextWriterWriteString(g->w, BAD_CAST v) >= 0;
	free(v);
}

/* <text x y …>s</text>, with a <title> holding all of s if it is cut. */
static void label(struct svg *g, double x, double y, const char *s, size_t max, const char *weight,
                  const char *anchor)
{
	char *cut = shorten(s, max);
	start(g, "text");
	attrf(g, "x", "%.1f", x);
	attrf(g, "y", "%.1f", y);
	if (weight)
		attr(g, "font-weight", weight);
	if (anchor)
		attr(g, "text-anchor", anchor);
	if (strcmp(cut, s)) {
		start(g, "title");
		body(g, s);
		end(g);
	}
	body(g, cut);
	end(g);
	free(cut);
}

static void rect(struct svg *g, double x, double y, double w, double h, const char *fill)
{
	start(g, "rect");
	attrf(g, "x", "%.1f", x);
	attrf(g, "y", "%.1f", y);
	attrf(g, "width", "%.1f", w);
	attrf(g, "height", "%.1f", h);
	attr(g, "fill", fill);
	end(g);
}

static void dot(struct svg *g, double cx, double cy, bool filled)
{
	start(g, "circle");
	attrf(g, "cx", "%.1f", cx);
	attrf(g, "cy", "%.1f", cy);
	attrf(g, "r", "%d", DOT_R);
	attr(g, "fill", filled ? INK : "#ffffff");
	attr(g, "stroke", INK);
	attr(g, "stroke-width", "2");
	end(g);
}

/* ---- what a row says -------------------------------------------------------- */

/* Where a partner is, as a row of the map says it. */
static const char *place(const struct svg *g, const json_t *partner)
{
	const json_t *loc = json_object_get(partner, "location");
	if (!strcmp(str(loc, "from"), "area"))
		return text(g, json_object_get(loc, "label"));
	return str(loc, "locality");
}

static const char *sector_label(const struct svg *g, const json_t *map, const char *id)
{
	size_t k;
	json_t *s;
	json_array_foreach(json_object_get(map, "sectors"), k, s)
		if (!strcmp(str(s, "id"), id))
			return text(g, json_object_get(s, "label"));
	return id;
}

static const json_t *hub_of(const json_t *map, const char *id)
{
	size_t k;
	json_t *h;
	json_array_foreach(json_object_get(map, "hubs"), k, h)
		if (!strcmp(str(h, "id"), id))
			return h;
	return NULL;
}

/* A hub's heading: "Name — locality". */
static char *hub_heading(const struct svg *g, const json_t *hub)
{
	const char *name = text(g, json_object_get(hub, "name")), *where = str(hub, "locality");
	size_t n = strlen(name) + strlen(where) + 8;
	char *s = gl_xmalloc(n);
	snprintf(s, n, "%s \xE2\x80\x94 %s", name, where);
	return s;
}

/* ---- layout -------------------------------------------------------------------- */

struct layout {
	size_t ncols, rows, label_max;
	double left, top, place_x, width, height;
};

/* Whether a partner sits under the group of hub id (NULL: at no hub). */
static bool in_group(const json_t *partner, const char *hub)
{
	const char *h = json_string_value(json_object_get(partner, "hub"));
	return hub ? h && !strcmp(h, hub) : !h;
}

static void measure(const struct svg *g, const json_t *map, struct layout *l)
{
	size_t k, label = 0, head = strlen(g->words->where), where = chars(g->words->where);
	json_t *v;
	l->ncols = json_array_size(json_object_get(map, "needs"));
	json_array_foreach(json_object_get(map, "needs"), k, v)
		if (chars(text(g, json_object_get(v, "label"))) > head)
			head = chars(text(g, json_object_get(v, "label")));
	json_array_foreach(json_object_get(map, "hubs"), k, v) {
		char *h = hub_heading(g, v);
		label = chars(h) > label ? chars(h) : label;
		free(h);
		l->rows++;
	}
	bool loose = false;
	json_array_foreach(json_object_get(map, "partners"), k, v) {
		size_t n = chars(text(g, json_object_get(v, "name")));
		label = n > label ? n : label;
		where = chars(place(g, v)) > where ? chars(place(g, v)) : where;
		loose |= json_is_null(json_object_get(v, "hub"));
		l->rows++;
	}
	l->rows += loose; /* the heading of those at no hub */
	l->rows += json_integer_value(json_object_get(map, "partners_more")) > 0;
	l->label_max = label < ECOMAP_LABEL_MAX ? label : ECOMAP_LABEL_MAX;
	if (l->label_max < chars(g->words->no_hub))
		l->label_max = chars(g->words->no_hub);
	double slant = (double)head * CHAR_PX;
	l->left = MARGIN_PX + (double)l->label_max * CHAR_PX + MARGIN_PX;
	l->top = TITLE_PX + slant * HEAD_SLANT + MARGIN_PX;
	l->place_x = l->left + (double)l->ncols * COL_PX + MARGIN_PX;
	double right = l->place_x + (double)where * CHAR_PX,
	       heads = l->left + ((double)l->ncols - 0.5) * COL_PX + slant * 0.7;
	l->width = (right > heads ? right : heads) + MARGIN_PX;
	l->height = l->top + (double)l->rows * ROW_PX + MARGIN_PX;
}

/* ---- drawing -------------------------------------------------------------------- */

static void head(struct svg *g, const json_t *map, const struct layout *l)
{
	const char *sector = json_string_value(json_object_get(map, "sector"));
	char title[400];
	if (sector)
		snprintf(title, sizeof title, g->words->title_for, sector_label(g, map, sector));
	else
		snprintf(title, sizeof title, "%s", g->words->title_all);
	start(g, "title");
	body(g, title);
	end(g);
	label(g, MARGIN_PX, 26, title, 200, "bold", NULL);
	dot(g, MARGIN_PX + DOT_R, 46, true);
	label(g, MARGIN_PX + 3 * DOT_R, 50, sector ? g->words->made_for : g->words->made_for_all, 80,
	      NULL, NULL);
	double x = MARGIN_PX + 3 * DOT_R + 2 * CHAR_PX + CHAR_PX *
	           (double)chars(sector ? g->words->made_for : g->words->made_for_all);
	dot(g, x + DOT_R, 46, false);
	label(g, x + 3 * DOT_R, 50, g->words->open, 80, NULL, NULL);
	size_t k;
	json_t *v;
	json_array_foreach(json_object_get(map, "needs"), k, v) {
		double cx = l->left + ((double)k + 0.5) * COL_PX, y = l->top - 8;
		start(g, "text");
		attrf(g, "x", "%.1f", cx);
		attrf(g, "y", "%.1f", y);
		attrf(g, "transform", "rotate(-46 %.1f %.1f)", cx, y);
		body(g, text(g, json_object_get(v, "label")));
		end(g);
	}
	label(g, l->place_x, l->top - 8, g->words->where, 40, "bold", NULL);
}

/* The <title> of a cell: who, what, and each offer with its sectors. */
static void cell_title(struct svg *g, const json_t *map, const json_t *partner, const char *need,
                       const json_t *cell)
{
	const json_t *offers = json_object_get(cell, "offers");
	json_int_t more = json_integer_value(json_object_get(cell, "count")) -
	                  (json_int_t)json_array_size(offers);
	struct gl_buf b = { 0 };
	size_t k, s;
	json_t *o, *sec;
	const char *who = text(g, json_object_get(partner, "name"));
	gl_buf_append(&b, who, strlen(who));
	gl_buf_append(&b, " \xE2\x80\x94 ", 5);
	gl_buf_append(&b, need, strlen(need));
	json_array_foreach(offers, k, o) {
		const char *name = text(g, json_object_get(o, "name"));
		gl_buf_append(&b, k ? "; " : ": ", 2);
		gl_buf_append(&b, name, strlen(name));
		gl_buf_append(&b, " (", 2);
		if (json_is_null(json_object_get(o, "sectors")))
			gl_buf_append(&b, g->words->every_sector, strlen(g->words->every_sector));
		json_array_foreach(json_object_get(o, "sectors"), s, sec) {
			const char *l = sector_label(g, map, json_string_value(sec));
			if (s)
				gl_buf_append(&b, ", ", 2);
			gl_buf_append(&b, l, strlen(l));
		}
		gl_buf_append(&b, ")", 1);
	}
	if (more > 0) {
		char n[64];
		snprintf(n, sizeof n, g->words->more_offers, (long long)more);
		gl_buf_append(&b, n, strlen(n));
	}
	gl_buf_append(&b, "", 1);
	start(g, "title");
	body(g, (const char *)b.data);
	end(g);
	gl_buf_free(&b);
}

static void row(struct svg *g, const json_t *map, const struct layout *l, const json_t *partner,
                size_t r)
{
	double y = l->top + (double)r * ROW_PX;
	size_t k, c;
	json_t *need, *cell;
	if (r % 2)
		rect(g, MARGIN_PX, y, l->width - 2 * MARGIN_PX, ROW_PX, ZEBRA);
	label(g, MARGIN_PX + CHAR_PX, y + ROW_PX - 7, text(g, json_object_get(partner, "name")),
	      l->label_max - 1, NULL, NULL);
	json_array_foreach(json_object_get(map, "needs"), k, need)
		json_array_foreach(json_object_get(partner, "cells"), c, cell) {
			if (strcmp(str(cell, "need"), str(need, "id")))
				continue;
			bool made_for = json_is_true(json_object_get(cell, "made_for"));
			start(g, "g");
			cell_title(g, map, partner, text(g, json_object_get(need, "label")), cell);
			dot(g, l->left + ((double)k + 0.5) * COL_PX, y + ROW_PX / 2.0, made_for);
			end(g);
		}
	label(g, l->place_x, y + ROW_PX - 7, place(g, partner), 80, NULL, NULL);
}

/* The rows under one heading; returns the next row's number. */
static size_t group(struct svg *g, const json_t *map, const struct layout *l, const char *hub,
                    size_t r)
{
	size_t k;
	json_t *p;
	char *h = hub ? hub_heading(g, hub_of(map, hub)) : gl_xstrdup(g->words->no_hub);
	label(g, MARGIN_PX, l->top + (double)r * ROW_PX + ROW_PX - 7, h, l->label_max, "bold", NULL);
	free(h);
	r++;
	json_array_foreach(json_object_get(map, "partners"), k, p)
		if (in_group(p, hub))
			row(g, map, l, p, r++);
	return r;
}

static void grid(struct svg *g, const struct layout *l)
{
	for (size_t k = 0; k <= l->ncols; k++) {
		double x = l->left + (double)k * COL_PX;
		start(g, "line");
		attrf(g, "x1", "%.1f", x);
		attrf(g, "x2", "%.1f", x);
		attrf(g, "y1", "%.1f", l->top);
		attrf(g, "y2", "%.1f", l->top + (double)l->rows * ROW_PX);
		attr(g, "stroke", RULE_INK);
		end(g);
	}
}

static void draw(struct svg *g, const json_t *map)
{
	struct layout l = { 0 };
	size_t k, r = 0;
	json_t *h, *p;
	bool loose = false;
	measure(g, map, &l);
	start(g, "svg");
	attr(g, "xmlns", "http://www.w3.org/2000/svg");
	attr(g, "xml:lang", g->lang);
	attrf(g, "width", "%.0f", l.width);
	attrf(g, "height", "%.0f", l.height);
	attrf(g, "viewBox", "0 0 %.0f %.0f", l.width, l.height);
	attr(g, "font-family", "sans-serif");
	attrf(g, "font-size", "%d", FONT_PX);
	attr(g, "fill", "#111111");
	attr(g, "role", "img");
	rect(g, 0, 0, l.width, l.height, "#ffffff");
	head(g, map, &l);
	json_array_foreach(json_object_get(map, "partners"), k, p)
		loose |= json_is_null(json_object_get(p, "hub"));
	json_array_foreach(json_object_get(map, "hubs"), k, h)
		r = group(g, map, &l, str(h, "id"), r);
	if (loose)
		r = group(g, map, &l, NULL, r);
	json_int_t more = json_integer_value(json_object_get(map, "partners_more"));
	if (more > 0) { /* the rows the answer does not list */
		char line[160];
		snprintf(line, sizeof line, g->words->more_partners, (long long)more);
		label(g, MARGIN_PX, l.top + (double)r * ROW_PX + ROW_PX - 7, line, 120, "bold", NULL);
	}
	grid(g, &l);
	end(g);
}

int ecomap_svg(const json_t *map, const char *lang, char **out, size_t *len,
               struct gl_error *err)
{
	xmlBufferPtr buf = xmlBufferCreate();
	xmlTextWriterPtr w = buf ? xmlNewTextWriterMemory(buf, 0) : NULL;
	bool nl = lang && !strcmp(lang, "nl");
	struct svg g = { .w = w, .ok = w != NULL, .lang = nl ? "nl" : "en", .words = nl ? &NL : &EN };
	int rc = 0;
	g.ok = g.ok && xmlTextWriterSetIndent(w, 1) >= 0 &&
	       xmlTextWriterSetIndentString(w, BAD_CAST " ") >= 0 &&
	       xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL) >= 0;
	draw(&g, map);
	g.ok = g.ok && xmlTextWriterEndDocument(w) >= 0;
	if (w)
		xmlFreeTextWriter(w); /* flushes into buf */
	if (g.ok) {
		size_t l = (size_t)xmlBufferLength(buf);
		char *s = gl_xmalloc(l + 1);
		memcpy(s, xmlBufferContent(buf), l);
		s[l] = '\0';
		*out = s;
		*len = l;
	} else {
		rc = gl_errorf(err, GL_EIO, "libxml2 could not write the map's SVG");
	}
	if (buf)
		xmlBufferFree(buf);
	return rc;
}

/* ---- CSV -------------------------------------------------------------------- */

/* A field that a spreadsheet would take for a formula (=, +, -, @, or a tab
 * or CR first) begins with an apostrophe: a partner's name is shown, never run. */
static void csv_field(struct gl_buf *b, const char *s, bool last)
{
	gl_buf_append(b, "\"", 1);
	if (*s && strchr("=+-@\t\r", *s))
		gl_buf_append(b, "'", 1);
	for (; *s; s++)
		gl_buf_append(b, *s == '"' ? "\"\"" : s, *s == '"' ? 2 : 1);
	gl_buf_append(b, last ? "\"\r\n" : "\",", last ? 3 : 2);
}

/* The rows of one cell: per sector (in the map's order), then open to all. */
static void csv_cell(struct gl_buf *b, const struct svg *g, const json_t *map,
                     const json_t *partner, const json_t *cell)
{
	const char *filter = json_string_value(json_object_get(map, "sector"));
	size_t ns = json_array_size(json_object_get(map, "sectors"));
	for (size_t s = 0; s <= ns; s++) {
		const char *sector = s < ns ? str(json_array_get(json_object_get(map, "sectors"), s), "id")
		                            : NULL;
		struct gl_buf ids = { 0 };
		unsigned n = 0;
		size_t k, i;
		json_t *o, *x;
		if (sector && filter && strcmp(sector, filter))
			continue;
		json_array_foreach(json_object_get(cell, "offers"), k, o) {
			bool in = !sector && json_is_null(json_object_get(o, "sectors"));
			json_array_foreach(json_object_get(o, "sectors"), i, x)
				in |= sector && !strcmp(json_string_value(x), sector);
			if (!in)
				continue;
			if (n++)
				gl_buf_append(&ids, " ", 1);
			gl_buf_append(&ids, str(o, "id"), strlen(str(o, "id")));
		}
		if (!n)
			continue;
		gl_buf_append(&ids, "", 1);
		char count[16];
		snprintf(count, sizeof count, "%u", n);
		const json_t *hub = json_object_get(partner, "hub");
		csv_field(b, str(partner, "id"), false);
		csv_field(b, text(g, json_object_get(partner, "name")), false);
		csv_field(b, json_is_string(hub) ? json_string_value(hub) : "", false);
		csv_field(b, place(g, partner), false);
		csv_field(b, str(cell, "need"), false);
		csv_field(b, sector ? sector : "", false);
		csv_field(b, count, false);
		csv_field(b, (const char *)ids.data, true);
		gl_buf_free(&ids);
	}
}

char *ecomap_csv(const json_t *map, const char *lang)
{
	bool nl = lang && !strcmp(lang, "nl");
	struct svg g = { .lang = nl ? "nl" : "en", .words = nl ? &NL : &EN };
	struct gl_buf b = { 0 };
	static const char *const header[] = { "partner_id", "partner", "hub", "place", "need",
	                                      "sector", "offers", "offer_ids" };
	size_t k, c;
	json_t *p, *cell;
	for (size_t i = 0; i < 8; i++)
		csv_field(&b, header[i], i == 7);
	json_array_foreach(json_object_get(map, "partners"), k, p)
		json_array_foreach(json_object_get(p, "cells"), c, cell)
			csv_cell(&b, &g, map, p, cell);
	gl_buf_append(&b, "", 1);
	return (char *)b.data;
}

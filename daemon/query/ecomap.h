/*
 * ecomap.h — the map of the ecosystem: which partner offers which kind of
 * help (the taxonomy's top-level needs) to which sector, grouped by the
 * hubs they sit at, with where each one is.  `gilde map` (text, --json,
 * --csv, --svg), GET /api/v1/map and GET /map.svg give it, so the page,
 * a spreadsheet and a printed sheet show the same.  (Named ecomap, not
 * map: the store already has a module about memory maps.)
 *
 * What counts:
 *   - the live partner records, and the live, current offers
 *     (eligibility_current(): status not "inactive", valid_until not
 *     past) that belong to one: an offer belongs to its author's partner
 *     record whose id is its "partner" field, or, without that field, to
 *     its author's first partner record (in id order).  An offer that
 *     belongs to no partner record is counted in "unplaced" and drawn
 *     nowhere; so a revoked partner, whose records the store drops, is
 *     gone from the map;
 *   - an offer counts for the top-level need above each need it lists
 *     (financing-loan counts under financing), once per need;
 *   - with a sector, only offers for it: eligibility.sectors absent (open
 *     to every sector) or holding it.  Each cell says which offers are
 *     made for which sectors and which are open to all.
 *   - a partner's place: its contact's visiting address if it gives one,
 *     else its hub's locality, else the first area it serves; a hub is
 *     the partner schema's "hub" (id, name, locality), the name and
 *     locality of the first partner (by id) that names it.
 *
 * Bounded: anyone may ask (GET /api/v1/map), so the answer lists at
 * most ECOMAP_PARTNERS_MAX partners (the first in the map's order) and
 * in each cell at most ECOMAP_CELL_OFFERS_MAX offers; the counts
 * (partners_shown, offers_shown, unplaced, hubs_shown, a hub's partners,
 * a cell's count and made_for) are over the whole map all the same.
 *
 * Cost: two scans of the partners and two of the offers, each record's
 * JSON made once a scan and let go; an offer finds its partner by binary
 * search.  Memory: a small fixed struct (ids, counts per column) per live
 * partner, and the answer, bounded as above; nothing per offer.
 */
#ifndef GILDE_QUERY_ECOMAP_H
#define GILDE_QUERY_ECOMAP_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "proto/err.h"
#include "schemas/taxonomy.h"
#include "store/store.h"

/* The most top-level needs (the map's columns) and sectors it takes. */
#define ECOMAP_NEEDS_MAX 32
#define ECOMAP_SECTORS_MAX 64
/* The longest partner label the picture writes out whole, in characters;
 * a longer one ends in "…" there (its <title> holds all of it). */
#define ECOMAP_LABEL_MAX 56
/* The most partners (rows) the answer lists, and offers a cell lists. */
#define ECOMAP_PARTNERS_MAX 300
#define ECOMAP_CELL_OFFERS_MAX 8

/*
 * The map at now (seconds; 0: the clock), for one sector (a term id) or
 * for all (NULL), into *out, a new object the caller owns:
 *   { "sector": id | null, "partners_shown": n, "partners_more": n,
 *     "offers_shown": n, "unplaced": n, "hubs_shown": n,
 *     "needs":   [ {"id", "label": {nl, en}} … ]      the columns, in order
 *     "sectors": [ {"id", "label": {nl, en}} … ]
 *     "hubs":    [ {"id", "name": {…}, "locality", "partners": n} … ]  by id
 *     "partners": [ { "author", "id", "name": {…}, "org_type", "url",
 *                     "hub": id | null,
 *                     "location": {"from": "address", "street",
 *                                  "postal_code", "locality", "country"}
 *                               | {"from": "hub", "locality"}
 *                               | {"from": "area", "area": id, "label": {…}}
 *                               | null,
 *                     "sectors": [ the partner's focus ],
 *                     "cells": [ { "need": id, "needs": [ids listed],
 *                                  "count": n, "made_for": bool,
 *                                  "offers": [ {"id", "name": {…},
 *                                               "sectors": [ids] | null} … ]
 *                                } … ] } … ] }
 * A partner is shown only if one of its offers is shown; partners by
 * hub (those at none last), then by id and author; "partners" lists the
 * first ECOMAP_PARTNERS_MAX shown, "partners_more" says how many more are
 * shown; "hubs" the hubs of the partners listed, each with all its shown
 * partners, "hubs_shown" how many hubs the shown partners name.  Cells in
 * the order of "needs"; a cell's "needs" in the taxonomy's order, "count"
 * its offers, "made_for" whether one of them is made for some sectors,
 * "offers" the first ECOMAP_CELL_OFFERS_MAX of them (in store order); an
 * offer's "sectors" null when it is open to every sector.
 * Returns 0, GL_EINVAL (no t, tax or out), GL_ENOTFOUND (sector is no
 * term of the taxonomy: err lists them), GL_ELIMIT (a facet larger than
 * the limits above) or a store error.
 */
int ecomap_run(struct store_txn *t, const struct taxonomy *tax, const char *sector,
               uint64_t now, json_t **out, struct gl_error *err);
/* ecomap_run without the bounds on what it lists: every shown partner and
 * every offer of each cell, for gilde map on the node's own machine (a
 * city's export of the whole map); its memory grows with the directory,
 * so the web server never calls it. */
int ecomap_run_all(struct store_txn *t, const struct taxonomy *tax, const char *sector,
                   uint64_t now, json_t **out, struct gl_error *err);

/*
 * The map (ecomap_run's answer) drawn as an SVG matrix in lang ("nl" or
 * "en"; else en): a row per partner, grouped under its hub, a column per
 * need; a filled dot where offers are made for the sector (or for some
 * sectors, on the map of all), a ring where they are open to every
 * sector; each dot's <title> names the offers listed (and says how many
 * more); a last row says how many partners more the map shows than it
 * lists.  Plain presentation
 * attributes, no script, no style sheet, nothing loaded: it shows and
 * prints the same in an <img>, a browser or an editor.  *out (len bytes,
 * NUL-terminated) is the caller's to free.  Returns 0 or GL_EIO (libxml2
 * failed).
 */
int ecomap_svg(const json_t *map, const char *lang, char **out, size_t *len,
               struct gl_error *err);

/*
 * The map as CSV (RFC 4180, a header line, CRLF): one row per partner,
 * need and sector — "" for offers open to every sector — with the
 * partner's id, name in lang, hub, place, and the number and ids of the
 * offers the cell lists (at most ECOMAP_CELL_OFFERS_MAX: a cell's row
 * counts only those).  *out is the caller's to free.
 */
char *ecomap_csv(const json_t *map, const char *lang);

#endif

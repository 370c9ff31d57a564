/*
 * match_out.c — the matcher's answer as JSON (match.h): each ranked offer
 * with its partner, how to reach it, and the terms of its score, written
 * so that they add up to it.
 */
#include "query/match_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/alloc.h"
#include "proto/body.h"
#include "proto/ident.h"
#include "schemas/jsonmp.h"
#include "query/view.h"

/* by enum eligibility_state */
static const char *const state_names[] = { "matched", "unknown", "failed" };

/* ---- partners ------------------------------------------------------------ */

struct first_partner {
	struct store_entry e;
	bool found;
};

static int take_first(void *vctx, const struct store_entry *e)
{
	struct first_partner *fp = vctx;
	fp->e = *e;
	fp->found = true;
	return 1;
}

/* The partner record an offer belongs to: the author's record named by
 * the offer's "partner", or the author's first partner record. */
static bool partner_entry(struct store_txn *t, const uint8_t *author, const char *pid,
                          struct store_entry *out)
{
	if (*pid)
		return store_get(t, author, RK_PARTNER, pid, strlen(pid), out, NULL) == 0 &&
		       !out->tombstone;
	struct first_partner fp = { .found = false };
	struct store_filter f = { .kind = RK_PARTNER, .author = author };
	store_scan(t, &f, take_first, &fp, NULL);
	*out = fp.e;
	return fp.found;
}

static void copy_cut(char *buf, size_t n, const uint8_t *s, uint32_t sl)
{
	size_t l = sl < n - 1 ? sl : n - 1;
	while (l < sl && l && (s[l] & 0xC0) == 0x80)
		l--;
	memcpy(buf, s, l);
	buf[l] = '\0';
}

/* The partner of an offer, looked up once per partner. */
static const struct mpartner *partner_of(struct mctx *c, struct store_txn *t,
                                         const struct cand *cd)
{
	struct mpartner *mp = NULL;
	for (size_t i = 0; i < c->npartners && !mp; i++)
		if (!memcmp(c->partners[i].author, cd->author, RECORD_KEY_LEN) &&
		    !strcmp(c->partners[i].key, cd->partner))
			mp = &c->partners[i];
	if (!mp) {
		struct store_entry e;
		struct record r;
		const uint8_t *s;
		uint32_t sl;
		c->partners = gl_xrealloc(c->partners, (c->npartners + 1) * sizeof *c->partners);
		mp = &c->partners[c->npartners++];
		memset(mp, 0, sizeof *mp);
		memcpy(mp->author, cd->author, RECORD_KEY_LEN);
		strcpy(mp->key, cd->partner);
		if (partner_entry(t, cd->author, cd->partner, &e) &&
		    !record_parse_held(e.env, e.env_len, &r, NULL) && r.body) {
			memcpy(mp->id, e.id, e.id_len);
			mp->id[e.id_len] = '\0';
			if (body_text(r.body, r.body_len, "name", c->p.lang, &s, &sl))
				copy_cut(mp->name, sizeof mp->name, s, sl);
		}
	}
	return mp;
}

/* ---- the terms of a score ----------------------------------------------------- */

static const char *need_label(const struct mctx *c, size_t item)
{
	size_t n;
	const struct tax_term *needs = taxonomy_facet(c->tax, "need", &n);
	return taxonomy_label(&needs[c->p.items[item].need], c->p.lang);
}

/* The words of a term: its code (stable, for scripts and the page) and
 * its text in English and Dutch, with %s / %d as term_text() fills them. */
struct words {
	const char *code, *en, *nl;
};

static const struct words tier_words[] = {
	{ "none", "", "" },
	{ "general", "answers your need %s in general", "beantwoordt je behoefte in het algemeen: %s" },
	{ "part", "answers a part of your need %s", "beantwoordt een deel van je behoefte: %s" },
	{ "exact", "answers your need %s", "beantwoordt je behoefte: %s" },
};

static const struct words kind_words[] = {
	[MT_UNKNOWN] = { "unknown", "%s: restricted, and your profile does not say (check it)",
	                 "%s: beperkt, en je profiel zegt het niet (kijk het na)" },
	[MT_SOFT] = { "soft", "%s: a preference you do not meet",
	              "%s: een voorkeur waaraan je niet voldoet" },
	[MT_PHASE] = { "phase", "made for %d phases, yours among them",
	               "gemaakt voor %d fasen, de jouwe erbij" },
	[MT_SECTOR] = { "sector", "made for %d sectors, yours among them",
	                "gemaakt voor %d sectoren, de jouwe erbij" },
	[MT_ACTIVITY] = { "activity", "made for %d kinds of business, yours among them",
	                  "gemaakt voor %d soorten zaken, de jouwe erbij" },
	[MT_SITUATION] = { "situation", "only for %s, as you are", "alleen voor %s, zoals jij" },
	[MT_SCHOOL] = { "school", "only for the students of a few schools, yours among them",
	                "alleen voor de studenten van enkele scholen, de jouwe erbij" },
	[MT_STEP] = { "step", "step %d of your list", "stap %d van je lijst" },
	[MT_FREE] = { "free", "free", "gratis" },
	[MT_EVENT] = { "event", "next event on this: %s on %s", "volgende activiteit hierover: %s op %s" },
};

static const struct words focus_words[] = {
	{ "focus", "made for this need", "gemaakt voor deze behoefte" },
	{ "focus", "made for this need and one other", "gemaakt voor deze behoefte en nog een andere" },
};

/* A count of one said in the singular: the phase, sector or kind of
 * business the offer is made for is the starter's own. */
static const struct words one_words[] = {
	[MT_PHASE] = { "phase", "made for 1 phase, yours", "gemaakt voor 1 fase, de jouwe" },
	[MT_SECTOR] = { "sector", "made for 1 sector, yours", "gemaakt voor 1 sector, de jouwe" },
	[MT_ACTIVITY] = { "activity", "made for 1 kind of business, yours",
	                  "gemaakt voor 1 soort zaak, de jouwe" },
};

static const struct words lang_words[] = {
	{ "language", "offered in %s", "aangeboden in het %s" },
	{ "language", "not offered in %s, but in another language you speak",
	  "niet aangeboden in het %s, wel in een andere taal die je spreekt" },
	{ "language", "not offered in %s, nor in another language you speak",
	  "niet aangeboden in het %s, noch in een andere taal die je spreekt" },
};

/* Criteria and situations in words, by enum eligibility_criterion. */
static const char *const crit_nl[ELIGIBILITY_COUNT] = {
	"fases", "sectoren", "soorten zaak", "regio's", "scholen", "student",
	"uit het buitenland", "bijberoep", "onderzoek", "overname", "lening geweigerd", "werkzoekend",
	"personeel van buiten de EU", "ervaring in het vak",
	"leeftijd van het bedrijf",
	"minimum aantal werknemers", "maximum aantal werknemers", "bedrijfsruimte",
};
static const char *const who_en[ELIGIBILITY_SITUATIONS] = {
	"students", "founders from abroad", "starters with a side activity",
	"starters with research results", "those taking over a business",
	"those a bank turned down for a loan", "jobseekers",
	"employers who bring staff from outside the EU",
	"those who have worked in the trade before"
};
static const char *const who_nl[ELIGIBILITY_SITUATIONS] = {
	"studenten", "ondernemers uit het buitenland", "ondernemers in bijberoep",
	"ondernemers met onderzoeksresultaten", "wie een zaak overneemt",
	"wie bij de bank geen lening kreeg", "werkzoekenden",
	"werkgevers die personeel van buiten de EU aantrekken",
	"wie al in het vak gewerkt heeft"
};

/* One term in words, into buf (in the answer's language); its code. */
static const char *term_text(const struct mctx *c, const struct mterm *t,
                             const struct mevent *ev, size_t item, char *buf, size_t n)
{
	bool nl = !strcmp(c->p.lang, "nl");
	const struct words *w;
	/* the answer's language is the one the term speaks of */
	const char *langname = nl ? "Nederlands" : "English", *text;
	switch (t->kind) {
	case MT_TIER: w = &tier_words[t->n]; break;
	case MT_FOCUS: w = &focus_words[t->n == 1 ? 0 : 1]; break;
	case MT_LANG: w = &lang_words[!t->points ? 0 : t->points == MATCH_LANG_OTHER ? 1 : 2]; break;
	case MT_PHASE:
	case MT_SECTOR:
	case MT_ACTIVITY: w = t->n == 1 ? &one_words[t->kind] : &kind_words[t->kind]; break;
	default: w = &kind_words[t->kind]; break;
	}
	text = nl ? w->nl : w->en;
	switch (t->kind) {
	case MT_TIER: snprintf(buf, n, text, need_label(c, item)); break;
	case MT_UNKNOWN:
	case MT_SOFT:
		snprintf(buf, n, text, nl ? crit_nl[t->n] : eligibility_criterion_names[t->n]);
		break;
	case MT_PHASE:
	case MT_SECTOR:
	case MT_ACTIVITY:
	case MT_STEP: snprintf(buf, n, text, t->n); break;
	case MT_SITUATION: {
		size_t who = (size_t)(t->n - ELIGIBILITY_STUDENT);
		if (who >= sizeof who_en / sizeof *who_en)
			who = 0;
		snprintf(buf, n, text, nl ? who_nl[who] : who_en[who]);
		break;
	}
	case MT_LANG: snprintf(buf, n, text, langname); break;
	case MT_EVENT: snprintf(buf, n, text, ev->name, ev->date); break;
	default: snprintf(buf, n, "%s", text); break;
	}
	return w->code;
}

/* The terms of rk's score for item i into terms and reasons; returns their sum. */
static int score_terms(const struct mctx *c, const struct ranked *rk, size_t i, json_t *terms,
                       json_t *reasons)
{
	struct mterm t[MTERMS_MAX];
	const struct mevent *ev;
	size_t n = match_terms(c, rk->cd, i, t, &ev);
	int sum = 0;
	for (size_t k = 0; k < n; k++) {
		char what[512], line[544];
		const char *code = term_text(c, &t[k], ev, i, what, sizeof what);
		json_array_append_new(terms, json_pack("{s:s, s:s, s:i}", "code", code, "what", what,
		                                       "points", t[k].points));
		if (t[k].points)
			snprintf(line, sizeof line, "%s (%+d)", what, t[k].points);
		else
			snprintf(line, sizeof line, "%s", what);
		json_array_append_new(reasons, json_string(line));
		sum += t[k].points;
	}
	return sum;
}

/* ---- an offer ------------------------------------------------------------------- */

/* The text of a language-map field of a body, in lang (body_text). */
static json_t *text_of(const struct record *r, const char *field, const char *lang)
{
	const uint8_t *s;
	uint32_t sl;
	return body_text(r->body, r->body_len, field, lang, &s, &sl)
	               ? json_stringn((const char *)s, sl) : json_null();
}

/* The value of field in a body as JSON, or NULL if it has none. */
static json_t *value_of(const uint8_t *body, size_t len, const char *field)
{
	const uint8_t *v;
	size_t vl;
	return body_value(body, len, field, &v, &vl) ? jsonmp_value_to_json(v, vl) : NULL;
}

/* How to reach the partner for this offer: its own contact, else the
 * partner's (common.json: contact). */
static void contact_of(struct store_txn *t, const struct cand *cd, const struct record *offer,
                       json_t *o)
{
	json_t *ct = value_of(offer->body, offer->body_len, "contact");
	const char *from = "offer";
	struct store_entry pe;
	struct record pr;
	if (!ct && partner_entry(t, cd->author, cd->partner, &pe) &&
	    !record_parse_held(pe.env, pe.env_len, &pr, NULL) && pr.body) {
		ct = value_of(pr.body, pr.body_len, "contact");
		from = "partner";
	}
	json_object_set_new(o, "contact", ct ? ct : json_null());
	json_object_set_new(o, "contact_from", json_string(ct ? from : "none"));
}

/* The offer's record in t (not a tombstone, with a body), into *r. */
static bool offer_record(struct store_txn *t, const struct cand *cd, struct record *r)
{
	struct store_entry e;
	return !store_get(t, cd->author, RK_OFFER, cd->id, strlen(cd->id), &e, NULL) &&
	       !e.tombstone && !record_parse_held(e.env, e.env_len, r, NULL) && r->body;
}

json_t *match_offer_own(struct mctx *c, struct store_txn *t, const struct cand *cd)
{
	const struct mpartner *mp = partner_of(c, t, cd);
	struct record r;
	if (!offer_record(t, cd, &r))
		return NULL;
	json_t *o = json_object(), *v;
	char key[IDENT_TEXT_MAX];
	ident_format(IDENT_PK_PREFIX, cd->author, key);
	json_object_set_new(o, "author", json_string(key));
	json_object_set_new(o, "id", json_string(cd->id));
	json_object_set_new(o, "name", text_of(&r, "name", c->p.lang));
	json_object_set_new(o, "description", text_of(&r, "description", c->p.lang));
	json_object_set_new(o, "partner", *mp->name ? json_string(mp->name) : json_null());
	json_object_set_new(o, "partner_id", *mp->id ? json_string(mp->id) : json_null());
	v = value_of(r.body, r.body_len, "url");
	json_object_set_new(o, "url", v ? v : json_null());
	contact_of(t, cd, &r, o);
	json_object_set_new(o, "free", json_boolean(cd->facts.free));
	v = value_of(r.body, r.body_len, "languages");
	json_object_set_new(o, "languages", v ? v : json_array());
	return o;
}

json_t *match_offer_scored(const struct mctx *c, struct store_txn *t, const struct ranked *rk,
                           size_t i)
{
	static const char *const answers[] = { "", "in general", "in part", "exactly" };
	const struct cand *cd = rk->cd;
	json_t *o = json_object();
	json_t *terms = json_array(), *reasons = json_array(), *crit = json_object(), *v;
	json_object_set_new(o, "answers", json_string(answers[cd->fit[i]]));
	int sum = score_terms(c, rk, i, terms, reasons);
	json_object_set_new(o, "score", json_integer(sum));
	for (int k = 0; k < ELIGIBILITY_COUNT; k++)
		json_object_set_new(crit, eligibility_criterion_names[k],
		                    json_string(state_names[match_state(cd, k)]));
	json_object_set_new(o, "criteria", crit);
	json_object_set_new(o, "terms", terms);
	json_object_set_new(o, "reasons", reasons);
	const uint8_t *el;
	size_t ell;
	struct record r;
	if (cd->later && offer_record(t, cd, &r) &&
	    body_value(r.body, r.body_len, "eligibility", &el, &ell) &&
	    (v = value_of(el, ell, "phases")))
		json_object_set_new(o, "phases", v);
	return o;
}

json_t *match_offer_json(struct mctx *c, struct store_txn *t, const struct ranked *rk,
                         size_t i)
{
	json_t *o = match_offer_own(c, t, rk->cd), *scored;
	if (o) {
		scored = match_offer_scored(c, t, rk, i);
		json_object_update(o, scored); /* its members after the offer's own, in order */
		json_decref(scored);
	}
	return o;
}

bool match_same_offer(const json_t *a, const json_t *b)
{
	return json_equal(json_object_get(a, "author"), json_object_get(b, "author")) &&
	       json_equal(json_object_get(a, "id"), json_object_get(b, "id"));
}

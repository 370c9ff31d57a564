/*
 * match.c — who is in and how well (match.h): the profile read once, the
 * to-do items from the paths, every live offer judged once into a
 * candidate, and each item's candidates ranked.  The answer's JSON is
 * match_out.c's.
 */
#include "query/match_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/alloc.h"
#include "proto/body.h"
#include "proto/clock.h"
#include "query/events.h"

/* ---- the profile ---------------------------------------------------------- */

/* A yes-or-no answer: one left out is a no (a starter who does not say
 * "student" or "from abroad" is not taken for one). */
static enum eligibility_answer answer(const json_t *v)
{
	return json_is_true(v) ? ELIGIBILITY_YES : ELIGIBILITY_NO;
}

static void read_eligibility(const struct taxonomy *tax, const json_t *j,
                             struct eligibility_profile *e)
{
	size_t i;
	json_t *v;
	eligibility_profile_init(e);
	eligibility_profile_term(tax, e, "phase", json_string_value(json_object_get(j, "phase")));
	json_array_foreach(json_object_get(j, "sectors"), i, v)
		eligibility_profile_term(tax, e, "sector", json_string_value(v));
	eligibility_profile_term(tax, e, "activity", json_string_value(json_object_get(j, "activity")));
	eligibility_profile_term(tax, e, "area", json_string_value(json_object_get(j, "area")));
	eligibility_profile_term(tax, e, "school", json_string_value(json_object_get(j, "school")));
	e->student = answer(json_object_get(j, "student"));
	e->international = answer(json_object_get(j, "international"));
	e->side_activity = answer(json_object_get(j, "side_activity"));
	e->research = answer(json_object_get(j, "research"));
	e->takeover = answer(json_object_get(j, "takeover"));
	e->bank_refused = answer(json_object_get(j, "bank_refused"));
	e->jobseeker = answer(json_object_get(j, "jobseeker"));
	e->prototype = answer(json_object_get(j, "prototype"));
	e->staff_from_abroad = answer(json_object_get(j, "staff_from_abroad"));
	e->experienced = answer(json_object_get(j, "experienced"));
	e->premises = eligibility_premises_bit(json_string_value(json_object_get(j, "premises")));
	/* a school is said by students only */
	if (e->school >= 0)
		e->student = ELIGIBILITY_YES;
	json_t *age = json_object_get(j, "company_age"), *emp = json_object_get(j, "employees");
	if ((e->has_age = json_is_integer(age)))
		e->age = json_integer_value(age);
	if ((e->has_employees = json_is_integer(emp)))
		e->employees = json_integer_value(emp);
}

/* The to-do items: the needs chosen, in the paths' order, or the paths'. */
static void read_items(const struct taxonomy *tax, const struct todo_paths *paths, const json_t *j,
                       struct mprofile *p)
{
	int chosen[TODO_ITEMS_MAX];
	size_t n = 0, i;
	json_t *v;
	json_array_foreach(json_object_get(j, "needs"), i, v) {
		const struct tax_term *t = taxonomy_term(tax, "need", json_string_value(v));
		if (t && t->order < ELIGIBILITY_FACET_MAX && n < TODO_ITEMS_MAX)
			chosen[n++] = (int)t->order;
	}
	p->needs_given = n > 0;
	p->nitems = n ? todo_order(paths, &p->pp, chosen, n, p->items)
	              : todo_propose(paths, &p->pp, p->items);
}

static void read_profile(struct mctx *c, const json_t *j, const char *lang)
{
	struct mprofile *p = &c->p;
	size_t i;
	json_t *v;
	memset(p, 0, sizeof *p);
	read_eligibility(c->tax, j, &p->e);
	p->pp.e = &p->e;
	p->pp.premises = p->e.premises;
	p->lang = lang ? lang : json_string_value(json_object_get(j, "lang"));
	if (!p->lang || (strcmp(p->lang, "nl") && strcmp(p->lang, "en")))
		p->lang = "en";
	json_array_foreach(json_object_get(j, "languages"), i, v)
		p->speaks |= eligibility_lang_bit(json_string_value(v));
	p->speaks |= eligibility_lang_bit(p->lang);
	read_items(c->tax, c->paths, j, p);
}

int match_profile_check(const struct schema_set *set, const json_t *profile, const char *source,
                        struct gl_error *err)
{
	return schema_validate_json(set, "profile.schema.json", profile, source, err);
}

/* ---- the items' needs ------------------------------------------------------- */

/* Whether need k is need anc or under it, by parent; parent[] holds each
 * need's parent's position (-1: none), the bound a guard against a cycle. */
static bool need_within(const int *parent, int k, int anc)
{
	for (int steps = 0; k >= 0 && steps < 16; steps++, k = parent[k])
		if (k == anc)
			return true;
	return false;
}

/* For each item: the needs under it and above it; and which narrower
 * needs fill their parent for this profile.  The needs' parents are
 * looked up once, by position (taxonomy_within's walk without its
 * lookups by name). */
static void prepare_items(struct mctx *c)
{
	size_t n;
	const struct tax_term *needs = taxonomy_facet(c->tax, "need", &n);
	int parent[ELIGIBILITY_FACET_MAX];
	n = n < ELIGIBILITY_FACET_MAX ? n : ELIGIBILITY_FACET_MAX;
	for (size_t k = 0; k < n; k++) {
		const struct tax_term *up = needs[k].parent
		                            ? taxonomy_term(c->tax, "need", needs[k].parent) : NULL;
		parent[k] = up && up->order < n ? (int)up->order : -1;
	}
	for (size_t k = 0; k < ELIGIBILITY_FACET_MAX; k++) {
		c->top[k] = (int)k;
		for (size_t up = 0; k < n && up < n; up++)
			if (!needs[up].parent && need_within(parent, (int)k, (int)up))
				c->top[k] = (int)up;
	}
	for (size_t k = 0; k < n; k++)
		if (todo_narrower(c->paths, &c->p.pp, (int)k))
			c->narrower_ok |= UINT64_C(1) << k;
	for (size_t i = 0; i < c->p.nitems; i++) {
		int need = c->p.items[i].need;
		for (size_t k = 0; k < n; k++) {
			if ((int)k == need)
				continue;
			if (need_within(parent, (int)k, need))
				c->under[i] |= UINT64_C(1) << k;
			if (need_within(parent, need, (int)k))
				c->above[i] |= UINT64_C(1) << k;
		}
	}
}

/* How cd answers item i, as counted: a narrower need only where it fills. */
static enum eligibility_fit fit_of(const struct mctx *c, const struct eligibility_offer *o,
                                   size_t i)
{
	uint64_t self = UINT64_C(1) << c->p.items[i].need;
	if (o->needs & self)
		return ELIGIBILITY_FIT_EXACT;
	if (o->needs & c->under[i] & c->narrower_ok)
		return ELIGIBILITY_FIT_NARROWER;
	if (o->needs & c->above[i])
		return ELIGIBILITY_FIT_BROADER;
	return ELIGIBILITY_FIT_NONE;
}

/* ---- events ----------------------------------------------------------------- */

static uint64_t strs_bits(const struct taxonomy *tax, const char *facet, const uint8_t *b,
                          size_t n, const char *key)
{
	struct body_iter it;
	const uint8_t *s;
	uint32_t sl;
	char term[ELIGIBILITY_TERM_MAX + 1];
	uint64_t bits = 0;
	if (body_strs(b, n, key, &it))
		while (body_strs_next(&it, &s, &sl))
			if (sl <= ELIGIBILITY_TERM_MAX) {
				memcpy(term, s, sl);
				term[sl] = '\0';
				bits |= eligibility_bit(tax, facet, term);
			}
	return bits;
}

/* Copy s (sl bytes) into buf (n bytes), cut at a character boundary. */
static void copy_cut(char *buf, size_t n, const uint8_t *s, uint32_t sl)
{
	size_t l = sl < n - 1 ? sl : n - 1;
	while (l < sl && l && (s[l] & 0xC0) == 0x80)
		l--;
	memcpy(buf, s, l);
	buf[l] = '\0';
}

/* Whether the event is for the starter: its own eligibility (the same
 * criteria as an offer's), its phases and its sectors, judged as an
 * offer's against the profile; a criterion the profile leaves open does
 * not rule it out, a preference it fails does not either. */
static bool event_fits(const struct mctx *c, const uint8_t *b, size_t n)
{
	struct eligibility_offer who;
	struct eligibility_verdict v;
	struct body_iter it;
	eligibility_offer_read(c->tax, b, n, &who);
	if (body_strs(b, n, "phases", &it)) {
		who.phases = strs_bits(c->tax, "phase", b, n, "phases");
		who.restricted |= 1u << ELIGIBILITY_PHASES;
	}
	if (body_strs(b, n, "sectors", &it)) {
		who.sectors = strs_bits(c->tax, "sector", b, n, "sectors");
		who.restricted |= 1u << ELIGIBILITY_SECTORS;
	}
	eligibility_judge(&who, &c->p.e, &v);
	return !eligibility_excluded(&v);
}

static int gather_event(void *vc, const struct store_entry *e, int64_t start)
{
	struct mctx *c = vc;
	struct record r;
	const uint8_t *s;
	uint32_t sl;
	struct mp_reader rec;
	if (record_parse_held(e->env, e->env_len, &r, NULL) || !r.body ||
	    body_field(r.body, r.body_len, "recurrence", &rec))
		return 0; /* weekly office hours are no occasion */
	if (!event_fits(c, r.body, r.body_len))
		return 0; /* an evening for students lifts nothing for a hairdresser */
	c->events = gl_xrealloc(c->events, (c->nevents + 1) * sizeof *c->events);
	struct mevent *ev = &c->events[c->nevents++];
	memset(ev, 0, sizeof *ev);
	memcpy(ev->author, e->author, RECORD_KEY_LEN);
	body_str_copy(r.body, r.body_len, "partner", ev->partner, sizeof ev->partner);
	ev->sectors = strs_bits(c->tax, "sector", r.body, r.body_len, "sectors");
	ev->needs = strs_bits(c->tax, "need", r.body, r.body_len, "needs");
	if (body_text(r.body, r.body_len, "name", c->p.lang, &s, &sl))
		copy_cut(ev->name, sizeof ev->name, s, sl);
	char when[32];
	clock_format((uint64_t)start, when);
	memcpy(ev->date, when, 10);
	ev->date[10] = '\0';
	return 0;
}

/* The partner's soonest event on one of the offer's needs, and for the
 * starter's sector or item i's need. */
static const struct mevent *event_for(const struct mctx *c, const struct cand *cd, size_t i)
{
	uint64_t need = UINT64_C(1) << c->p.items[i].need | c->under[i];
	for (size_t k = 0; k < c->nevents; k++) {
		const struct mevent *ev = &c->events[k];
		if (memcmp(ev->author, cd->author, RECORD_KEY_LEN) || strcmp(ev->partner, cd->partner) ||
		    !(ev->needs & cd->facts.needs))
			continue;
		if ((ev->sectors & c->p.e.sectors) || (ev->needs & need))
			return ev; /* events come in start order: the soonest */
	}
	return NULL;
}

/* ---- scoring ----------------------------------------------------------------- */

static const int step_pts[] = MATCH_STEP, focus_pts[] = MATCH_FOCUS, phase_pts[] = MATCH_PHASE,
                 sector_pts[] = MATCH_SECTOR, activity_pts[] = MATCH_ACTIVITY;
#define AT(table, n) ((n) < sizeof table / sizeof table[0] ? table[n] : 0)

static void add(struct mterm *out, size_t *n, enum mterm_kind kind, int points, int k)
{
	if (points || kind == MT_TIER || kind == MT_LANG)
		out[(*n)++] = (struct mterm){ kind, points, k };
}

/* The terms of tailoring: how closely the offer is made for this starter. */
static void tailoring(const struct mctx *c, const struct cand *cd, struct mterm *out, size_t *n)
{
	const struct eligibility_offer *o = &cd->facts;
	const struct eligibility_profile *e = &c->p.e;
	unsigned k;
	add(out, n, MT_FOCUS, AT(focus_pts, cd->families), (int)cd->families);
	if ((o->restricted >> ELIGIBILITY_PHASES & 1) && e->phase >= 0 && (o->phases >> e->phase & 1)) {
		k = (unsigned)__builtin_popcountll(o->phases);
		add(out, n, MT_PHASE, AT(phase_pts, k), (int)k);
	}
	if ((o->restricted >> ELIGIBILITY_SECTORS & 1) && (o->sectors & e->sectors))
		add(out, n, MT_SECTOR, AT(sector_pts, o->nsectors), o->nsectors);
	if ((o->restricted >> ELIGIBILITY_ACTIVITIES & 1) && e->activity >= 0 &&
	    (o->activities >> e->activity & 1))
		add(out, n, MT_ACTIVITY, AT(activity_pts, o->nactivities), o->nactivities);
	const enum eligibility_answer have[ELIGIBILITY_SITUATIONS] = {
		e->student,  e->international, e->side_activity, e->research,
		e->takeover, e->bank_refused,  e->jobseeker, e->staff_from_abroad,
		e->experienced
	};
	for (int s = 0; s < ELIGIBILITY_SITUATIONS; s++)
		if (o->incl[s] == 1 && have[s] == ELIGIBILITY_YES)
			add(out, n, MT_SITUATION, MATCH_SITUATION, ELIGIBILITY_STUDENT + s);
	if ((o->restricted >> ELIGIBILITY_SCHOOLS & 1) && e->school >= 0 &&
	    (o->schools >> e->school & 1) && __builtin_popcountll(o->schools) <= 3)
		add(out, n, MT_SCHOOL, MATCH_SCHOOL, 0);
}

/* An offer for sectors, for a starter who named none: as much below as
 * "made for your sector" would lift it, at least MATCH_UNKNOWN; never
 * below a preference failed (MATCH_SOFT), which naming another sector
 * would cost. */
static int unsaid_sectors(const struct eligibility_offer *o)
{
	int pts = -AT(sector_pts, o->nsectors);
	if (pts > MATCH_UNKNOWN)
		pts = MATCH_UNKNOWN;
	if ((o->soft >> ELIGIBILITY_SECTORS & 1) && pts < MATCH_SOFT)
		pts = MATCH_SOFT;
	return pts;
}

size_t match_terms(const struct mctx *c, const struct cand *cd, size_t item,
                   struct mterm out[MTERMS_MAX], const struct mevent **event)
{
	static const int tier[] = { 0, MATCH_GENERAL, MATCH_EXACT, MATCH_EXACT };
	size_t n = 0;
	add(out, &n, MT_TIER, tier[cd->fit[item]], cd->fit[item]);
	for (unsigned rest = cd->unknown | cd->failed; rest; rest &= rest - 1) {
		int k = __builtin_ctz(rest); /* in the criteria's order */
		if (cd->failed >> k & 1)
			add(out, &n, MT_SOFT, MATCH_SOFT, k);
		else if (k == ELIGIBILITY_SECTORS) /* the narrower, the less likely yours */
			add(out, &n, MT_UNKNOWN, unsaid_sectors(&cd->facts), k);
		else
			add(out, &n, MT_UNKNOWN, MATCH_UNKNOWN, k);
	}
	tailoring(c, cd, out, &n);
	add(out, &n, MT_STEP, AT(step_pts, item), (int)item + 1);
	int lang = cd->facts.languages & eligibility_lang_bit(c->p.lang) ? 0
	           : cd->facts.languages & c->p.speaks ? MATCH_LANG_OTHER : MATCH_LANG_NONE;
	add(out, &n, MT_LANG, lang, 0);
	add(out, &n, MT_FREE, cd->facts.free ? MATCH_FREE : 0, 0);
	*event = event_for(c, cd, item);
	add(out, &n, MT_EVENT, *event ? MATCH_EVENT : 0, 0);
	return n;
}

int match_score(const struct mctx *c, const struct cand *cd, size_t item,
                const struct mevent **event)
{
	struct mterm t[MTERMS_MAX];
	size_t n = match_terms(c, cd, item, t, event);
	int sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += t[i].points;
	return sum;
}

/* ---- judging offers ----------------------------------------------------------- */

/* Whether an offer ruled out for the phase alone is for the next phase;
 * its judgement (eligibility_judge_bits) is then the next phase's. */
static bool for_later(const struct mctx *c, const struct eligibility_offer *o, uint32_t *unknown,
                      uint32_t *failed)
{
	int next = todo_next_phase(c->paths, c->p.e.phase);
	if (next < 0 || !(*failed >> ELIGIBILITY_PHASES & 1) || (o->soft >> ELIGIBILITY_PHASES & 1) ||
	    !(o->phases >> next & 1))
		return false;
	struct eligibility_profile ahead = c->p.e;
	ahead.phase = next;
	eligibility_judge_bits(o, &ahead, unknown, failed);
	return !(*failed & ~o->soft);
}

/* ---- ranking as the offers are read -------------------------------------------- */

/* Best first: the score, then the author, the partner and the id, so that
 * equal scores keep one order whatever the store's. */
static int cmp_ranked(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	if (x->score != y->score)
		return y->score - x->score;
	int c = memcmp(x->cd->author, y->cd->author, RECORD_KEY_LEN);
	if (!c)
		c = strcmp(x->cd->partner, y->cd->partner);
	return c ? c : strcmp(x->cd->id, y->cd->id);
}

/* Put r into the best `keep` of rk[0..*n), kept in order: one insertion
 * per candidate, not a sort of them all. */
static void keep_best(struct ranked *rk, size_t *n, size_t keep, const struct ranked *r)
{
	size_t at = *n < keep ? (*n)++ : keep;
	if (at == keep && cmp_ranked(r, &rk[keep - 1]) >= 0)
		return;
	if (at == keep)
		at = keep - 1;
	while (at > 0 && cmp_ranked(r, &rk[at - 1]) < 0) {
		rk[at] = rk[at - 1];
		at--;
	}
	rk[at] = *r;
}

/* A lasting copy of the candidate cd (the blocks never move). */
static const struct cand *cand_keep(struct mctx *c, const struct cand *cd)
{
	size_t b = c->ncands / MATCH_CAND_BLOCK;
	if (c->ncands % MATCH_CAND_BLOCK == 0) {
		c->blocks = gl_xrealloc(c->blocks, (b + 1) * sizeof *c->blocks);
		c->blocks[b] = gl_xmalloc(MATCH_CAND_BLOCK * sizeof *c->blocks[b]);
	}
	struct cand *kept = &c->blocks[b][c->ncands++ % MATCH_CAND_BLOCK];
	*kept = *cd;
	return kept;
}

/* Rank cd (in, on the stack) under each item it answers: kept where it is
 * among the best so far, or always when the match lists all. */
static void rank(struct mctx *c, const struct cand *cd)
{
	const struct cand *kept = NULL;
	for (size_t i = 0; i < c->p.nitems; i++) {
		/* general help is worth a line only when it is wholly for the starter */
		if (cd->fit[i] == ELIGIBILITY_FIT_NONE ||
		    (cd->fit[i] == ELIGIBILITY_FIT_BROADER && cd->failed))
			continue;
		struct mlist *l = &c->lists[i][cd->later];
		struct ranked r = { .cd = cd };
		r.score = match_score(c, cd, i, &r.event);
		l->all++;
		if (c->per_item && l->n == c->per_item && cmp_ranked(&r, &l->rk[l->n - 1]) >= 0)
			continue; /* not among the best */
		r.cd = kept ? kept : (kept = cand_keep(c, cd));
		if (c->per_item) {
			if (!l->rk)
				l->rk = gl_xcalloc(c->per_item, sizeof *l->rk);
			keep_best(l->rk, &l->n, c->per_item, &r);
			continue;
		}
		if (l->n == l->cap) {
			l->cap = l->cap ? 2 * l->cap : 256;
			l->rk = gl_xrealloc(l->rk, l->cap * sizeof *l->rk);
		}
		l->rk[l->n++] = r;
	}
}

/* How an offer in was judged. */
struct judged {
	uint32_t unknown, failed;  /* eligibility_judge_bits() */
	bool later;                /* only for the next phase */
};

/* Whether an offer is in: current, and not ruled out (or for later).  It
 * depends on the offer's rule only (match_cache.c: same_rule). */
static bool judge(const struct mctx *c, const struct eligibility_offer *facts, struct judged *j)
{
	if (!eligibility_current(facts, c->now))
		return false;
	eligibility_judge_bits(facts, &c->p.e, &j->unknown, &j->failed);
	j->later = false;
	return !(j->failed & ~facts->soft) || (j->later = for_later(c, facts, &j->unknown, &j->failed));
}

/* Rank an offer in, as judged, if it answers an item.  id is id_len
 * bytes; partner is its "partner" field or "", plen bytes. */
static void consider_in(struct mctx *c, const struct eligibility_offer *facts,
                        const struct judged *j, const uint8_t *author, const char *id,
                        size_t id_len, const char *partner, size_t plen)
{
	struct cand cd;
	bool any = false;
	memset(cd.fit, 0, sizeof cd.fit);
	for (size_t i = 0; i < c->p.nitems; i++) {
		cd.fit[i] = (uint8_t)fit_of(c, facts, i);
		any |= cd.fit[i] != ELIGIBILITY_FIT_NONE;
	}
	if (!any || id_len > GL_ID_MAX || plen > GL_ID_MAX)
		return;
	cd.unknown = j->unknown;
	cd.failed = j->failed;
	cd.later = j->later;
	cd.facts = *facts;
	uint64_t lines = 0;
	for (uint64_t rest = facts->needs; rest; rest &= rest - 1)
		lines |= UINT64_C(1) << c->top[__builtin_ctzll(rest)];
	cd.families = (unsigned)__builtin_popcountll(lines);
	memcpy(cd.author, author, RECORD_KEY_LEN);
	memcpy(cd.id, id, id_len);
	cd.id[id_len] = '\0';
	memcpy(cd.partner, partner, plen + 1);
	rank(c, &cd);
}

/* Judge an offer's facts; rank it if it is in and answers an item. */
static void consider(struct mctx *c, const struct eligibility_offer *facts,
                     const uint8_t *author, const char *id, size_t id_len, const char *partner,
                     size_t plen)
{
	struct judged j;
	c->considered++;
	if (!judge(c, facts, &j))
		c->excluded++;
	else
		consider_in(c, facts, &j, author, id, id_len, partner, plen);
}

/* An offer from its record: its body read on the spot. */
static int consider_offer(void *vc, const struct store_entry *e)
{
	struct mctx *c = vc;
	struct record r;
	struct eligibility_offer facts;
	char partner[GL_ID_MAX + 1] = "";
	if (record_parse_held(e->env, e->env_len, &r, NULL) || !r.body)
		return 0;
	eligibility_offer_read(c->tax, r.body, r.body_len, &facts);
	body_str_copy(r.body, r.body_len, "partner", partner, sizeof partner);
	consider(c, &facts, e->author, e->id, e->id_len, partner, strlen(partner));
	return 0;
}

/* An offer from the store's table of offers' facts (match_facts.c). */
static int consider_facts(void *vc, const uint8_t *rkey, size_t rlen, const uint8_t *val,
                          size_t len)
{
	struct mctx *c = vc;
	struct eligibility_offer facts;
	char partner[GL_ID_MAX + 1];
	if (rkey[RECORD_KEY_LEN] != RK_OFFER || !match_facts_decode(val, len, &facts, partner))
		return 0; /* not an offer's: no value of this version */
	consider(c, &facts, rkey, (const char *)rkey + RECORD_KEY_LEN + 1,
	         rlen - RECORD_KEY_LEN - 1, partner, strlen(partner));
	return 0;
}

/* The offers of a copy of the table (match_cache.c), in the table's order:
 * the offers of one rule are judged once. */
static void consider_copy(struct mctx *c, const struct mtable *tab)
{
	struct judged *memo = gl_xmalloc((tab->nrules ? tab->nrules : 1) * sizeof *memo);
	uint8_t *seen = gl_xcalloc(tab->nrules ? tab->nrules : 1, 1); /* 0, 1: out, 2: in */
	struct eligibility_offer facts;
	for (size_t k = 0; k < tab->n; k++) {
		const struct mfact *f = &tab->v[k];
		const uint8_t *author = tab->strs.data + f->at;
		const char *id = (const char *)author + RECORD_KEY_LEN;
		c->considered++;
		if (!seen[f->rule]) /* the rule holds all that judging reads */
			seen[f->rule] = judge(c, &tab->rules[f->rule], &memo[f->rule]) ? 2 : 1;
		if (seen[f->rule] == 1) {
			c->excluded++;
			continue;
		}
		match_fact(tab, f, &facts);
		consider_in(c, &facts, &memo[f->rule], author, id, f->id_len, id + f->id_len + 1,
		            f->plen);
	}
	free(memo);
	free(seen);
}

/* The offers: from a copy of the table, the table, or their bodies. */
static int read_offers(struct mctx *c, struct store_txn *t, const struct match_opts *o,
                       struct mtable **held, struct gl_error *err)
{
	char version[MATCH_FACTS_VERSION_MAX];
	struct store_filter fo = { .kind = RK_OFFER };
	match_facts_version(c->tax, version);
	if (!store_derived_ready(t, version))
		return store_scan(t, &fo, consider_offer, c, err);
	if (o->cache && (*held = match_cache_get(o->cache, t))) {
		consider_copy(c, *held);
		return 0;
	}
	return store_derived_scan(t, consider_facts, c, err);
}

/* ---- the to-do list -------------------------------------------------------------- */

struct mlist *match_list(struct mctx *c, size_t i, bool later)
{
	struct mlist *l = &c->lists[i][later];
	if (!c->per_item && l->n && !l->sorted)
		qsort(l->rk, l->n, sizeof *l->rk, cmp_ranked);
	l->sorted = true;
	return l;
}

/* Item i's offers (later: those for the next phase) as a JSON array, the
 * best first; *more counts those left out. */
static json_t *item_offers(struct mctx *c, struct store_txn *t, size_t i, bool later,
                           size_t *more)
{
	const struct mlist *l = match_list(c, i, later);
	json_t *arr = json_array();
	for (size_t k = 0; k < l->n; k++) {
		json_t *oj = match_offer_json(c, t, &l->rk[k], i);
		if (oj)
			json_array_append_new(arr, oj);
	}
	*more = l->all - l->n;
	return arr;
}

json_t *match_item_head(const struct mctx *c, size_t i)
{
	size_t nterms;
	const struct tax_term *need = &taxonomy_facet(c->tax, "need", &nterms)[c->p.items[i].need];
	const char *path = c->p.items[i].path;
	json_t *item = json_object();
	json_object_set_new(item, "need", json_string(need->id));
	json_object_set_new(item, "label", json_string(taxonomy_label(need, c->p.lang)));
	json_object_set_new(item, "path", path ? json_string(path) : json_null());
	return item;
}

static json_t *build_items(struct mctx *c, struct store_txn *t)
{
	json_t *items = json_array();
	for (size_t i = 0; i < c->p.nitems; i++) {
		size_t more, later_more;
		json_t *item = match_item_head(c, i);
		json_object_set_new(item, "offers", item_offers(c, t, i, false, &more));
		json_object_set_new(item, "more", json_integer((json_int_t)more));
		json_object_set_new(item, "later",
		                    item_offers(c, t, i, true, &later_more));
		json_array_append_new(items, item);
	}
	return items;
}

/* The paths that hold for the profile, in order. */
static json_t *paths_json(const struct mctx *c)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < c->p.nitems; i++) {
		const char *id = c->p.items[i].path;
		bool seen = !id;
		for (size_t k = 0; k < i && !seen; k++)
			seen = c->p.items[k].path && !strcmp(c->p.items[k].path, id);
		if (!seen)
			json_array_append_new(arr, json_pack("{s:s, s:s}", "id", id, "label",
			                                     todo_label(c->paths, id, c->p.lang)));
	}
	return arr;
}

json_t *match_head_json(const struct mctx *c, const json_t *profile)
{
	json_t *res = json_object();
	json_object_set(res, "profile", (json_t *)profile);
	json_object_set_new(res, "needs_from", json_string(c->p.needs_given ? "profile" : "paths"));
	json_object_set_new(res, "paths", paths_json(c));
	json_object_set_new(res, "offers_considered", json_integer(c->considered));
	json_object_set_new(res, "offers_excluded", json_integer(c->excluded));
	return res;
}

int match_prepare(struct mctx *c, struct store_txn *t, const struct taxonomy *tax,
                  const json_t *profile, const struct match_opts *o, struct mtable **held,
                  struct gl_error *err)
{
	memset(c, 0, sizeof *c);
	*held = NULL;
	if (!o->paths)
		return gl_errorf(err, GL_EINVAL, "match_run: no to-do paths");
	c->tax = tax;
	c->paths = o->paths;
	c->per_item = o->per_item;
	c->now = o->now ? o->now : clock_now();
	read_profile(c, profile, o->lang);
	prepare_items(c);
	struct events_filter fe = { .from = (int64_t)c->now,
	                            .to = (int64_t)c->now + MATCH_EVENT_HORIZON };
	int rc = events_scan(t, &fe, gather_event, c, err);
	return rc ? rc : read_offers(c, t, o, held, err);
}

void match_release(struct mctx *c, const struct match_opts *o, struct mtable *held)
{
	free(c->events);
	free(c->partners);
	for (size_t b = 0; b < (c->ncands + MATCH_CAND_BLOCK - 1) / MATCH_CAND_BLOCK; b++)
		free(c->blocks[b]);
	free(c->blocks);
	for (size_t i = 0; i < TODO_ITEMS_MAX; i++)
		free(c->lists[i][0].rk), free(c->lists[i][1].rk);
	if (held)
		match_cache_put(o->cache, held);
}

int match_run(struct store_txn *t, const struct taxonomy *tax, const json_t *profile,
              const struct match_opts *o, json_t **out, struct gl_error *err)
{
	struct mctx c;
	struct mtable *held;
	int rc = match_prepare(&c, t, tax, profile, o, &held, err);
	if (!rc) {
		*out = match_head_json(&c, profile);
		json_object_set_new(*out, "items", build_items(&c, t));
	}
	match_release(&c, o, held);
	return rc;
}

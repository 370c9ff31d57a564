#include "query/match.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "proto/alloc.h"
#include "proto/clock.h"
#include "proto/ident.h"
#include "schemas/jsonmp.h"
#include "proto/msg.h"
#include "proto/record.h"
#include "query/eligibility.h"

#define NEEDS_MAX 16
#define SECTORS_MAX 16
#define EVENT_HORIZON (90 * 86400)

/* by enum eligibility_state */
static const char *const state_names[] = { "matched", "unknown", "failed" };
/* The score of an answer, by enum eligibility_fit: exact 10, a narrower
 * need 9, a broader one (general help) 8. */
static const unsigned char fit_score[] = { 0, 8, 9, 10 };

struct profile {
	const char *phase;
	const char *sectors[SECTORS_MAX];
	unsigned nsectors;
	const char *needs[NEEDS_MAX];      /* in taxonomy order */
	unsigned nneeds;
	const char *activity;
	bool student, international;
	const char *area;
	bool has_age;
	long long age;
	const char *lang;
};

/* An upcoming event of a partner, for the "soonest relevant event" bonus. */
/* A name of up to 300 characters (the schemas' limit), in UTF-8. */
#define TEXT_BYTES 1204

struct pevent {
	uint8_t author[32];
	char partner[65];      /* the partner record's id, or "" */
	int64_t start;
	char name[TEXT_BYTES];
	char date[11];
	char needs[8][48];
	unsigned nneeds;
	char phases[5][16];
	unsigned nphases;
};

struct partner {
	uint8_t author[32];
	char id[65];
	char name[TEXT_BYTES];
};

struct cand {
	uint8_t author[32];
	char id[65];
	char partner[65];
	int global;
	unsigned char cover[NEEDS_MAX];
	unsigned ncovered;
};

struct ctx {
	const struct taxonomy *tax;
	struct profile p;
	const char *lang;
	uint64_t now;
	struct partner *partners;
	size_t npartners;
	struct pevent *events;
	size_t nevents;
	struct cand *cands;
	size_t ncands, capcands;
	unsigned considered, excluded;
	msgpack_zone zone;
};

/* ---- small helpers over msgpack objects -------------------------------- */

static bool str_is(const msgpack_object *o, const char *s)
{
	size_t n = strlen(s);
	return o && o->type == MSGPACK_OBJECT_STR && o->via.str.size == n &&
	       !memcmp(o->via.str.ptr, s, n);
}

/* Copy a string, cut if need be at a character boundary (never in the
 * middle of a UTF-8 sequence, which JSON could not carry). */
static void copy_str(const msgpack_object *o, char *buf, size_t n)
{
	buf[0] = '\0';
	if (o && o->type == MSGPACK_OBJECT_STR) {
		size_t l = o->via.str.size;
		if (l > n - 1) {
			l = n - 1;
			while (l && ((unsigned char)o->via.str.ptr[l] & 0xC0) == 0x80)
				l--;
		}
		memcpy(buf, o->via.str.ptr, l);
		buf[l] = '\0';
	}
}

static const msgpack_object *arr(const msgpack_object *map, const char *key)
{
	const msgpack_object *a = msg_get(map, key);
	return a && a->type == MSGPACK_OBJECT_ARRAY ? a : NULL;
}

static bool arr_has(const msgpack_object *a, const char *s)
{
	for (uint32_t i = 0; a && i < a->via.array.size; i++)
		if (str_is(&a->via.array.ptr[i], s))
			return true;
	return false;
}

/* The text of a language map in lang, else en, else nl. */
static void langtext(const msgpack_object *map, const char *field, const char *lang, char *buf,
                     size_t n)
{
	const msgpack_object *m = msg_get(map, field);
	const msgpack_object *v = msg_get(m, lang);
	if (!v)
		v = msg_get(m, "en");
	if (!v)
		v = msg_get(m, "nl");
	copy_str(v, buf, n);
}

static int unpack(struct ctx *c, const struct store_entry *e, struct record *r, msgpack_object *body)
{
	size_t off = 0;
	if (record_parse(e->env, e->env_len, r, NULL) || !r->body)
		return -1;
	msgpack_zone_clear(&c->zone);
	if (msgpack_unpack((const char *)r->body, r->body_len, &off, &c->zone, body) !=
	        MSGPACK_UNPACK_SUCCESS || body->type != MSGPACK_OBJECT_MAP)
		return -1;
	return 0;
}

/* ---- the profile ---------------------------------------------------------- */

static int cmp_need_order(const void *a, const void *b, void *tax)
{
	const struct tax_term *x = taxonomy_term(tax, "need", *(const char *const *)a);
	const struct tax_term *y = taxonomy_term(tax, "need", *(const char *const *)b);
	return (int)(x ? x->order : 999) - (int)(y ? y->order : 999);
}

static void read_profile(const json_t *j, const struct taxonomy *tax, struct profile *p)
{
	memset(p, 0, sizeof *p);
	p->phase = json_string_value(json_object_get(j, "phase"));
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(j, "sectors"), i, v)
		if (p->nsectors < SECTORS_MAX)
			p->sectors[p->nsectors++] = json_string_value(v);
	json_array_foreach(json_object_get(j, "needs"), i, v)
		if (p->nneeds < NEEDS_MAX)
			p->needs[p->nneeds++] = json_string_value(v);
	qsort_r(p->needs, p->nneeds, sizeof p->needs[0], cmp_need_order, (void *)tax);
	p->activity = json_string_value(json_object_get(j, "activity"));
	p->student = json_is_true(json_object_get(j, "student"));
	p->international = json_is_true(json_object_get(j, "international"));
	p->area = json_string_value(json_object_get(j, "area"));
	json_t *age = json_object_get(j, "company_age");
	p->has_age = json_is_integer(age);
	p->age = p->has_age ? json_integer_value(age) : 0;
	p->lang = json_string_value(json_object_get(j, "lang"));
}

int match_profile_check(const struct schema_set *set, const json_t *profile, const char *source,
                        struct gl_error *err)
{
	struct gl_buf b = { 0 };
	int rc = jsonmp_pack(profile, NULL, &b, err);
	if (rc) {
		gl_error_prefix(err, rc, "%s", source);
		gl_buf_free(&b);
		return rc;
	}
	msgpack_zone zone;
	msgpack_zone_init(&zone, 1024);
	msgpack_object o;
	size_t off = 0;
	struct schema_errors errs;
	if (msgpack_unpack((const char *)b.data, b.len, &off, &zone, &o) != MSGPACK_UNPACK_SUCCESS)
		rc = gl_errorf(err, GL_ESCHEMA, "%s: the profile does not encode", source);
	else if ((rc = schema_validate(set, "profile.schema.json", &o, &errs)))
		schema_errors_report(&errs, source, err);
	msgpack_zone_destroy(&zone);
	gl_buf_free(&b);
	return rc;
}

/* ---- partners and events -------------------------------------------------- */

static int gather_partner(void *vc, const struct store_entry *e)
{
	struct ctx *c = vc;
	struct record r;
	msgpack_object body;
	if (unpack(c, e, &r, &body))
		return 0;
	c->partners = gl_xrealloc(c->partners, (c->npartners + 1) * sizeof *c->partners);
	struct partner *p = &c->partners[c->npartners++];
	memcpy(p->author, e->author, 32);
	memcpy(p->id, e->id, e->id_len);
	p->id[e->id_len] = '\0';
	langtext(&body, "name", c->lang, p->name, sizeof p->name);
	return 0;
}

/*
 * The organisation a record belongs to is its author's partner record named
 * by the record's "partner" field, or (without one) the author's partner
 * record: a node normally publishes for one organisation.
 */
/* The partner an offer belongs to: the author's partner record it names,
 * or for an offer that names none the author's first one; NULL if none. */
static const struct partner *find_partner(const struct ctx *c, const uint8_t author[32],
                                          const char *pid)
{
	for (size_t i = 0; i < c->npartners; i++)
		if (!memcmp(c->partners[i].author, author, 32) &&
		    (!*pid || !strcmp(c->partners[i].id, pid)))
			return &c->partners[i];
	return NULL;
}

static int gather_event(void *vc, const struct store_entry *e)
{
	struct ctx *c = vc;
	struct record r;
	msgpack_object body;
	char start[40];
	int64_t t;
	if (unpack(c, e, &r, &body))
		return 0;
	copy_str(msg_get(&body, "start"), start, sizeof start);
	if (clock_parse(start, &t) || t < (int64_t)c->now || t > (int64_t)c->now + EVENT_HORIZON ||
	    str_is(msg_get(&body, "status"), "cancelled"))
		return 0;
	c->events = gl_xrealloc(c->events, (c->nevents + 1) * sizeof *c->events);
	struct pevent *ev = &c->events[c->nevents++];
	memset(ev, 0, sizeof *ev);
	memcpy(ev->author, e->author, 32);
	copy_str(msg_get(&body, "partner"), ev->partner, sizeof ev->partner);
	ev->start = t;
	langtext(&body, "name", c->lang, ev->name, sizeof ev->name);
	memcpy(ev->date, start, 10);
	const msgpack_object *a = arr(&body, "needs");
	for (uint32_t i = 0; a && i < a->via.array.size && ev->nneeds < 8; i++)
		copy_str(&a->via.array.ptr[i], ev->needs[ev->nneeds++], sizeof ev->needs[0]);
	a = arr(&body, "phases");
	for (uint32_t i = 0; a && i < a->via.array.size && ev->nphases < 5; i++)
		copy_str(&a->via.array.ptr[i], ev->phases[ev->nphases++], sizeof ev->phases[0]);
	return 0;
}

/* The partner's soonest event on one of the offer's needs or the starter's phase. */
static const struct pevent *soonest_event(const struct ctx *c, const uint8_t author[32],
                                          const char *pid, const msgpack_object *needs)
{
	const struct pevent *best = NULL;
	for (size_t i = 0; i < c->nevents; i++) {
		const struct pevent *ev = &c->events[i];
		if (memcmp(ev->author, author, 32) || strcmp(ev->partner, pid) ||
		    (best && best->start <= ev->start))
			continue;
		bool relevant = false;
		for (unsigned k = 0; k < ev->nneeds && !relevant; k++)
			relevant = arr_has(needs, ev->needs[k]);
		for (unsigned k = 0; k < ev->nphases && !relevant; k++)
			relevant = !strcmp(ev->phases[k], c->p.phase);
		if (relevant)
			best = ev;
	}
	return best;
}

/* ---- judging one offer ------------------------------------------------------ */

struct eval {
	bool excluded;
	struct eligibility_verdict v;
	int global;
	unsigned char cover[NEEDS_MAX];
	unsigned ncovered;
};

static void reason(json_t *reasons, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void reason(json_t *reasons, const char *fmt, ...)
{
	if (!reasons)
		return;
	char buf[4096]; /* room for a name of TEXT_BYTES and the words around it */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	json_array_append_new(reasons, json_string(buf));
}

static const char *label(const struct ctx *c, const char *facet, const char *id)
{
	const struct tax_term *t = taxonomy_term(c->tax, facet, id);
	return t ? taxonomy_label(t, c->lang) : id;
}

static void explain_criteria(const struct eval *ev, json_t *reasons)
{
	for (int k = 0; k < ELIGIBILITY_COUNT; k++) {
		if (!ev->v.restricted[k])
			continue;
		if (ev->v.state[k] == ELIGIBILITY_MATCHED)
			reason(reasons, "%s: fits your profile", eligibility_criterion_names[k]);
		else if (ev->v.state[k] == ELIGIBILITY_UNKNOWN)
			reason(reasons, "%s: restricted, and your profile does not say (check it; -1)",
			       eligibility_criterion_names[k]);
		else
			reason(reasons, "%s: a preference you do not meet (-4)", eligibility_criterion_names[k]);
	}
}

/* The profile as eligibility.h reads it.  A profile that leaves student
 * (international) out is taken as not a student (not international). */
static void eligibility_of(const struct profile *p, struct eligibility_profile *ep)
{
	*ep = (struct eligibility_profile){
		.phase = p->phase, .sectors = p->sectors, .nsectors = p->nsectors,
		.activity = p->activity, .area = p->area,
		.student = p->student ? ELIGIBILITY_YES : ELIGIBILITY_NO,
		.international = p->international ? ELIGIBILITY_YES : ELIGIBILITY_NO,
		.has_age = p->has_age, .age = p->age,
	};
}

/* offer is the body as msgpack-c reads it, eo the same as eligibility.h does. */
static void judge(struct ctx *c, const msgpack_object *offer, const struct eligibility_offer *eo,
                  const uint8_t author[32], struct eval *ev, json_t *reasons)
{
	memset(ev, 0, sizeof *ev);
	if (!eligibility_current(eo, c->now)) {
		ev->excluded = true;
		return;
	}
	struct eligibility_profile ep;
	eligibility_of(&c->p, &ep);
	eligibility_judge(c->tax, eo, &ep, &ev->v);
	if (eligibility_excluded(&ev->v)) {
		ev->excluded = true;
		return;
	}
	for (int k = 0; k < ELIGIBILITY_COUNT; k++)
		ev->global += ev->v.state[k] == ELIGIBILITY_FAILED    ? -4
		            : ev->v.state[k] == ELIGIBILITY_UNKNOWN ? -1 : 0;
	for (unsigned i = 0; i < c->p.nneeds; i++) {
		ev->cover[i] = fit_score[eligibility_fit(c->tax, eo, c->p.needs[i])];
		if (ev->cover[i]) {
			ev->ncovered++;
			reason(reasons, "answers your need %s%s", label(c, "need", c->p.needs[i]),
			       ev->cover[i] == 10 ? "" : ev->cover[i] == 9 ? " (a part of it)"
			                                                   : " (in general)");
		}
	}
	if (ev->v.state[ELIGIBILITY_SECTORS] == ELIGIBILITY_MATCHED &&
	    ev->v.restricted[ELIGIBILITY_SECTORS]) {
		ev->global += 3;
		reason(reasons, "made for your sector (+3)");
	}
	bool lang = eligibility_speaks(eo, c->lang);
	ev->global += lang ? 2 : -3;
	reason(reasons, lang ? "offered in %s (+2)" : "not offered in %s (-3)",
	       !strcmp(c->lang, "nl") ? "Dutch" : "English");
	const msgpack_object *cost = msg_get(offer, "cost");
	const msgpack_object *fr = msg_get(cost, "free");
	if (fr && fr->type == MSGPACK_OBJECT_BOOLEAN && fr->via.boolean) {
		ev->global += 1;
		reason(reasons, "free (+1)");
	}
	char pid[65];
	copy_str(msg_get(offer, "partner"), pid, sizeof pid);
	const struct pevent *pe = soonest_event(c, author, pid, arr(offer, "needs"));
	if (pe) {
		ev->global += 2;
		reason(reasons, "next event: %s on %s (+2)", pe->name, pe->date);
	}
	if (reasons)
		explain_criteria(ev, reasons);
}

static int consider_offer(void *vc, const struct store_entry *e)
{
	struct ctx *c = vc;
	struct record r;
	msgpack_object body;
	if (unpack(c, e, &r, &body))
		return 0;
	c->considered++;
	struct eval ev;
	struct eligibility_offer eo;
	eligibility_offer_read(r.body, r.body_len, &eo);
	judge(c, &body, &eo, e->author, &ev, NULL);
	if (ev.excluded) {
		c->excluded++;
		return 0;
	}
	if (!ev.ncovered)
		return 0;
	if (c->ncands == c->capcands) {
		c->capcands = c->capcands ? c->capcands * 2 : 64;
		c->cands = gl_xrealloc(c->cands, c->capcands * sizeof *c->cands);
	}
	struct cand *cd = &c->cands[c->ncands++];
	memcpy(cd->author, e->author, 32);
	memcpy(cd->id, e->id, e->id_len);
	cd->id[e->id_len] = '\0';
	copy_str(msg_get(&body, "partner"), cd->partner, sizeof cd->partner);
	cd->global = ev.global;
	memcpy(cd->cover, ev.cover, sizeof cd->cover);
	cd->ncovered = ev.ncovered;
	return 0;
}

/* ---- the to-do list ------------------------------------------------------------ */

struct ranked {
	const struct cand *cd;
	int score;
	const char *partner;    /* its name, or NULL */
	const char *partner_id; /* its id, or NULL */
};

static int cmp_ranked(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	if (x->score != y->score)
		return y->score - x->score;
	int p = strcmp(x->partner ? x->partner : "", y->partner ? y->partner : "");
	return p ? p : strcmp(x->cd->id, y->cd->id);
}

static json_t *offer_json(struct ctx *c, struct store_txn *t, const struct ranked *rk, unsigned item)
{
	struct store_entry e;
	struct record r;
	msgpack_object body;
	if (store_get(t, rk->cd->author, RK_OFFER, rk->cd->id, strlen(rk->cd->id), &e, NULL) ||
	    unpack(c, &e, &r, &body))
		return NULL;
	char key[IDENT_TEXT_MAX], text[2048];
	json_t *o = json_object(), *reasons = json_array(), *crit = json_object();
	ident_format(IDENT_PK_PREFIX, rk->cd->author, key);
	json_object_set_new(o, "author", json_string(key));
	json_object_set_new(o, "id", json_string(rk->cd->id));
	langtext(&body, "name", c->lang, text, sizeof text);
	json_object_set_new(o, "name", json_string(text));
	json_object_set_new(o, "partner", rk->partner ? json_string(rk->partner) : json_null());
	json_object_set_new(o, "partner_id", rk->partner_id ? json_string(rk->partner_id)
	                                                    : json_null());
	static const char *const fields[] = { "url", "email", "phone" };
	for (size_t i = 0; i < 3; i++) {
		copy_str(msg_get(&body, fields[i]), text, sizeof text);
		if (*text)
			json_object_set_new(o, fields[i], json_string(text));
	}
	const msgpack_object *fr = msg_get(msg_get(&body, "cost"), "free");
	json_object_set_new(o, "free", json_boolean(fr && fr->type == MSGPACK_OBJECT_BOOLEAN &&
	                                            fr->via.boolean));
	const msgpack_object *langs = arr(&body, "languages");
	json_object_set_new(o, "languages", langs ? jsonmp_to_json(langs) : json_array());
	json_object_set_new(o, "score", json_integer(rk->score));
	unsigned cv = rk->cd->cover[item];
	json_object_set_new(o, "answers", json_string(cv == 10 ? "exactly" : cv == 9 ? "in part"
	                                                                              : "in general"));
	struct eval ev;
	struct eligibility_offer eo;
	eligibility_offer_read(r.body, r.body_len, &eo);
	judge(c, &body, &eo, rk->cd->author, &ev, reasons);
	for (int k = 0; k < ELIGIBILITY_COUNT; k++)
		json_object_set_new(crit, eligibility_criterion_names[k], json_string(state_names[ev.v.state[k]]));
	if (ev.ncovered > 1)
		json_array_append_new(reasons, json_sprintf("answers %u of your needs (+%u)", ev.ncovered,
		                                            ev.ncovered - 1));
	json_object_set_new(o, "criteria", crit);
	json_object_set_new(o, "reasons", reasons);
	return o;
}

static json_t *build_items(struct ctx *c, struct store_txn *t, const struct match_opts *o)
{
	json_t *items = json_array();
	struct ranked *rk = gl_xcalloc(c->ncands ? c->ncands : 1, sizeof *rk);
	for (unsigned i = 0; i < c->p.nneeds; i++) {
		size_t n = 0;
		for (size_t k = 0; k < c->ncands; k++) {
			const struct cand *cd = &c->cands[k];
			if (!cd->cover[i])
				continue;
			rk[n].cd = cd;
			rk[n].score = cd->global + cd->cover[i] + (int)cd->ncovered - 1;
			const struct partner *p = find_partner(c, cd->author, cd->partner);
			rk[n].partner = p ? p->name : NULL;
			rk[n].partner_id = p ? p->id : NULL;
			n++;
		}
		qsort(rk, n, sizeof *rk, cmp_ranked);
		size_t show = o->per_item && o->per_item < n ? o->per_item : n;
		json_t *item = json_object(), *offers = json_array();
		json_object_set_new(item, "need", json_string(c->p.needs[i]));
		json_object_set_new(item, "label", json_string(label(c, "need", c->p.needs[i])));
		for (size_t k = 0; k < show; k++) {
			json_t *oj = offer_json(c, t, &rk[k], i);
			if (oj)
				json_array_append_new(offers, oj);
		}
		json_object_set_new(item, "offers", offers);
		json_object_set_new(item, "more", json_integer((json_int_t)(n - show)));
		json_array_append_new(items, item);
	}
	free(rk);
	return items;
}

int match_run(struct store_txn *t, const struct taxonomy *tax, const json_t *profile,
              const struct match_opts *o, json_t **out, struct gl_error *err)
{
	struct ctx c;
	memset(&c, 0, sizeof c);
	c.tax = tax;
	read_profile(profile, tax, &c.p);
	c.lang = o->lang ? o->lang : c.p.lang ? c.p.lang : "en";
	c.now = o->now ? o->now : clock_now();
	msgpack_zone_init(&c.zone, 8192);
	struct store_filter fp = { .kind = RK_PARTNER }, fe = { .kind = RK_EVENT },
	                    fo = { .kind = RK_OFFER };
	int rc;
	if ((rc = store_scan(t, &fp, gather_partner, &c, err)) ||
	    (rc = store_scan(t, &fe, gather_event, &c, err)) ||
	    (rc = store_scan(t, &fo, consider_offer, &c, err)))
		goto out;
	json_t *res = json_object();
	json_object_set(res, "profile", (json_t *)profile);
	json_object_set_new(res, "offers_considered", json_integer(c.considered));
	json_object_set_new(res, "offers_excluded", json_integer(c.excluded));
	json_object_set_new(res, "items", build_items(&c, t, o));
	*out = res;
out:
	msgpack_zone_destroy(&c.zone);
	free(c.partners);
	free(c.events);
	free(c.cands);
	return rc;
}

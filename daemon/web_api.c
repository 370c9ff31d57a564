/*
 * web_api.c — the endpoints of proto/API.md.  Each handler checks its
 * parameters (every refusal a 400 that names the parameter), asks
 * daemon/query/ for its answer in one read transaction, and hands it to
 * the HTTP layer (web_http.h).  No query is made here: what a list holds
 * and in what order is the query library's, so gilde can give the same.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/log.h"
#include "daemon/insightd.h"
#include "daemon/node.h"
#include "daemon/web.h"
#include "daemon/web_cache.h"
#include "daemon/web_http.h"
#include "proto/clock.h"
#include "proto/ident.h"
#include "query/calendar.h"
#include "query/directory.h"
#include "query/ecomap.h"
#include "query/gaps.h"
#include "query/match.h"
#include "query/news.h"
#include "query/search.h"
#include "store/textindex.h"

#define JSON_TYPE "application/json; charset=utf-8"
#define ICS_TYPE "text/calendar; charset=utf-8"
#define EVENTS_JSON_LIMIT 100     /* GET /api/v1/events: occurrences, unless limit says */
#define EVENTS_JSON_LIMIT_MAX 500 /* (at most EVENTS_LIST_MAX, query/events.h) */
#define EVENTS_ICS_LIMIT EVENTS_LIST_MAX /* GET /events.ics: VEVENTs */
#define SEARCH_LIMIT 20
#define SEARCH_LIMIT_MAX 100
#define NEWS_LIMIT 20
#define NEWS_LIMIT_MAX 200
#define SVG_TYPE "image/svg+xml; charset=utf-8"

/* A handler: one endpoint, in the read transaction t. */
typedef enum MHD_Result (*handler_fn)(struct web *w, struct MHD_Connection *c,
                                      struct store_txn *t, const char *url,
                                      const struct web_req *rq);

/* -- checking parameters ------------------------------------------------- */

/* A value of a taxonomy facet, or NULL with the allowed ones in msg. */
static const char *term_check(struct web *w, const char *facet, const char *value, char *msg,
                              size_t msglen)
{
	if (taxonomy_term(w->tax, facet, value))
		return NULL;
	json_t *defs = json_object_get(schema_set_file(w->n->schemas, "taxonomy.json"), "$defs");
	json_t *list = json_object_get(json_object_get(defs, facet), "enum");
	int at = snprintf(msg, msglen, "\"%.64s\" is not one of:", value);
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v) {
		if (at < 0 || (size_t)at >= msglen)
			break;
		at += snprintf(msg + at, msglen - (size_t)at, "%s %s", i ? "," : "",
		               json_string_value(v));
	}
	return msg;
}

const char *web_number_check(const char *value, long lo, long hi, long *out, char *msg,
                             size_t msglen)
{
	char *end;
	errno = 0;
	long v = strtol(value, &end, 10);
	if (!(*value >= '0' && *value <= '9') || *end || errno || v < lo || v > hi) {
		snprintf(msg, msglen, "\"%.32s\" is not a whole number from %ld to %ld", value, lo, hi);
		return msg;
	}
	*out = v;
	return NULL;
}

/* The parameter name, if given, as a number from lo to hi into *out;
 * false if it was refused (a 400 naming it is queued in *ok). */
static bool number_read(struct web *w, struct MHD_Connection *c, const struct web_params *p,
                        const char *name, long lo, long hi, long *out, enum MHD_Result *ok)
{
	char msg[256];
	const char *v = web_param(p, name);
	if (!v || !web_number_check(v, lo, hi, out, msg, sizeof msg))
		return true;
	*ok = web_reply_error(w, c, MHD_HTTP_BAD_REQUEST, name, "%s: %s", name, msg);
	return false;
}

/* The parameter limit, if given, into *limit; false if it was refused
 * (the answer is queued in *ok). */
static bool limit_read(struct web *w, struct MHD_Connection *c, const struct web_params *p,
                       long max, long *limit, enum MHD_Result *ok)
{
	return number_read(w, c, p, "limit", 1, max, limit, ok);
}

bool web_per_item_read(struct web *w, struct MHD_Connection *c, const struct web_params *p,
                       const char *name, long dflt, long *out, enum MHD_Result *ok)
{
	*out = dflt;
	if (!number_read(w, c, p, name, 0, WEB_MATCH_PER_ITEM_MAX, out, ok))
		return false;
	if (*out == 0)
		*out = WEB_MATCH_PER_ITEM_MAX; /* "all", as many as any answer holds */
	return true;
}

/* The parameter lang, if given, is nl or en; false if it was refused. */
static bool lang_read(struct web *w, struct MHD_Connection *c, const struct web_params *p,
                      const char **lang, enum MHD_Result *ok)
{
	*lang = web_param(p, "lang");
	if (!*lang || !strcmp(*lang, "nl") || !strcmp(*lang, "en"))
		return true;
	*ok = web_reply_error(w, c, MHD_HTTP_BAD_REQUEST, "lang", "lang: \"%.32s\" is not nl or en",
	                      *lang);
	return false;
}

/* Read the parameters an endpoint takes; false if they were refused. */
bool web_params_ok(struct web *w, struct MHD_Connection *c, const char *const *names,
                   struct web_params *p, enum MHD_Result *ok)
{
	char msg[1024];
	const char *bad;
	if (!web_params_read(c, names, p, msg, sizeof msg, &bad))
		return true;
	*ok = web_reply_error(w, c, MHD_HTTP_BAD_REQUEST, bad, "%s", msg);
	return false;
}

/* An author key in text: NULL, or why not in msg. */
static const char *author_read(const char *text, uint8_t pk[RECORD_KEY_LEN], const char *what,
                               char *msg, size_t msglen)
{
	struct gl_error e = { 0 };
	if (!ident_parse(IDENT_PK_PREFIX, text, what, pk, &e))
		return NULL;
	snprintf(msg, msglen, "%s", e.msg);
	return msg;
}

/* -- partners and offers -------------------------------------------------- */

static enum MHD_Result api_taxonomy(struct web *w, struct MHD_Connection *c, struct store_txn *t,
                                    const char *url, const struct web_req *rq)
{
	(void)t, (void)url, (void)rq;
	struct MHD_Response *r = MHD_create_response_from_buffer(
		strlen(w->taxonomy_json), w->taxonomy_json, MHD_RESPMEM_PERSISTENT);
	return web_queue(w, c, MHD_HTTP_OK, r, JSON_TYPE, "no-store", NULL);
}

static enum MHD_Result api_partners(struct web *w, struct MHD_Connection *c, struct store_txn *t,
                                    const char *url, const struct web_req *rq)
{
	(void)rq;
	static const char *const names[] = { "limit", "after", NULL };
	struct web_params p;
	enum MHD_Result ok;
	long limit = DIRECTORY_PARTNERS_LIMIT;
	if (!web_params_ok(w, c, names, &p, &ok) ||
	    !limit_read(w, c, &p, DIRECTORY_PARTNERS_MAX, &limit, &ok))
		return ok;
	struct gl_error err = { 0 };
	struct directory_page pg = { web_param(&p, "after"), (size_t)limit };
	char next[DIRECTORY_CURSOR_MAX];
	json_t *list;
	int rc = directory_partners(t, clock_now(), &pg, &list, next, &err);
	if (rc == GL_EINVAL)
		return web_reply_error(w, c, MHD_HTTP_BAD_REQUEST, "after", "after: %s", err.msg);
	if (rc)
		return web_reply_fail(w, c, url, &err);
	json_t *ans = json_pack("{s:o, s:b}", "partners", list, "more", next[0] != '\0');
	if (next[0])
		json_object_set_new(ans, "next", json_string(next));
	return web_reply_json(w, c, MHD_HTTP_OK, ans);
}

/* /api/v1/partners/AUTHOR/ID */
static enum MHD_Result api_partner(struct web *w, struct MHD_Connection *c, struct store_txn *t,
                                   const char *url, const struct web_req *rq)
{
	(void)rq;
	const char *rest = url + strlen("/api/v1/partners/");
	const char *slash = strchr(rest, '/');
	char author[IDENT_TEXT_MAX + 1], msg[512];
	uint8_t pk[RECORD_KEY_LEN];
	if (!slash || slash == rest || (size_t)(slash - rest) > IDENT_TEXT_MAX || !slash[1] ||
	    strchr(slash + 1, '/') || strlen(slash + 1) > GL_ID_MAX)
		return web_reply_error(w, c, MHD_HTTP_NOT_FOUND, NULL,
		                       "no such partner: expected /api/v1/partners/AUTHOR/ID");
	memcpy(author, rest, (size_t)(slash - rest));
	author[slash - rest] = '\0';
	const char *id = slash + 1;
	if (author_read(author, pk, "partner's author", msg, sizeof msg))
		return web_reply_error(w, c, MHD_HTTP_NOT_FOUND, NULL, "no such partner: %s", msg);
	struct gl_error err = { 0 };
	json_t *page;
	int rc = directory_partner(t, pk, id, clock_now(), &page, &err);
	if (rc == GL_ENOTFOUND)
		return web_reply_error(w, c, MHD_HTTP_NOT_FOUND, NULL, "no partner %s/%s", author, id);
	if (rc)
		return web_reply_fail(w, c, url, &err);
	return web_reply_json(w, c, MHD_HTTP_OK, page);
}

/* partner=AUTHOR/ID of /api/v1/offers into f; NULL, or why not in msg. */
static const char *offer_partner_read(const char *ref, struct directory_offer_filter *f,
                                      uint8_t pk[RECORD_KEY_LEN], char *msg, size_t msglen)
{
	char author[IDENT_TEXT_MAX + 1], why[512];
	const char *slash = strchr(ref, '/');
	if (!slash || (size_t)(slash - ref) > IDENT_TEXT_MAX || !slash[1]) {
		snprintf(msg, msglen, "partner: expected AUTHOR/ID");
		return msg;
	}
	memcpy(author, ref, (size_t)(slash - ref));
	author[slash - ref] = '\0';
	if (author_read(author, pk, "partner's author", why, sizeof why)) {
		snprintf(msg, msglen, "partner: %s", why);
		return msg;
	}
	f->author = pk;
	f->partner = slash + 1;
	return NULL;
}

static enum MHD_Result api_offers(struct web *w, struct MHD_Connection *c, struct store_txn *t,
                                  const char *url, const struct web_req *rq)
{
	(void)rq;
	static const char *const names[] = { "phase", "sector", "activity", "need", "lang",
	                                     "partner", "limit", "after", NULL };
	static const char *const facets[] = { "phase", "sector", "activity", "need" };
	struct web_params p;
	enum MHD_Result ok;
	char msg[1024];
	const char *lang;
	if (!web_params_ok(w, c, names, &p, &ok))
		return ok;
	for (size_t i = 0; i < sizeof facets / sizeof facets[0]; i++) {
		const char *v = web_param(&p, facets[i]);
		if (v && term_check(w, facets[i], v, msg, sizeof msg))
			return web_reply_error(w, c, MHD_HTTP_BAD_REQUEST, facets[i], "%s: %s",
			                       facets[i], msg);
	}
	long limit = DIRECTORY_OFFERS_LIMIT;
	if (!lang_read(w, c, &p, &lang, &ok) || !limit_read(w, c, &p, DIRECTORY_OFFERS_MAX, &limit, &ok))
		return ok;
	struct directory_offer_filter f = {
		.phase = web_param(&p, "phase"), .sector = web_param(&p, "sector"),
		.activity = web_param(&p, "activity"), .need = web_param(&p, "need"), .lang = lang,
	};
	uint8_t pk[RECORD_KEY_LEN];
	const char *ref = web_param(&p, "partner");
	if (ref && offer_partner_read(ref, &f, pk, msg, sizeof msg))
		return web_reply_error(w, c, MHD_HTTP_BAD_REQUEST, "partner", "%s", msg);
	struct gl_error err = { 0 };
	struct directory_page pg = { web_param(&p, "after"), (size_t)limit };
	char next[DIRECTORY_CURSOR_MAX];
	json_t *list;
	int rc = directory_offers(t, w->tax, &f, clock_now(), &pg, &list, next, &err);
	if (rc == GL_EINVAL)
		return web_reply_error(w, c, MHD_HTTP_BAD_REQUEST, "after", "after: %s", err.msg);
	if (rc)
		return web_reply_fail(w, c, url, &err);
	json_t *ans = json_pack("{s:o, s:b}", "offers", list, "more", next[0] != '\0');
	if (next[0])
		json_object_set_new(ans, "next", json_string(next));
	return web_reply_json(w, c, MHD_HTTP_OK, ans);
}

/* -- events ------------------------------------------------------------------ */

/* from, to, sector, phase of /api/v1/events and /events.ics */
static const char *events_filter_read(struct web *w, const struct web_params *p,
                                      struct events_filter *f, char *msg, size_t msglen,
                                      const char **bad)
{
	memset(f, 0, sizeof *f);
	f->from = (int64_t)clock_now();
	f->to = EVENTS_OPEN_END;
	f->include_cancelled = true;
	const char *from = web_param(p, "from"), *to = web_param(p, "to");
	if ((*bad = "from", from && clock_parse(from, &f->from)) ||
	    (*bad = "to", to && clock_parse(to, &f->to))) {
		snprintf(msg, msglen, "%s: \"%.64s\" is neither a date (YYYY-MM-DD) nor an RFC 3339 "
		         "date-time", *bad, *bad[0] == 'f' ? from : to);
		return msg;
	}
	if (f->to <= f->from) {
		*bad = "to";
		snprintf(msg, msglen, "to: must come after from");
		return msg;
	}
	f->sector = web_param(p, "sector");
	f->phase = web_param(p, "phase");
	char tm[600];
	if ((*bad = "sector", f->sector && term_check(w, "sector", f->sector, tm, sizeof tm)) ||
	    (*bad = "phase", f->phase && term_check(w, "phase", f->phase, tm, sizeof tm))) {
		snprintf(msg, msglen, "%s: %s", *bad, tm);
		return msg;
	}
	*bad = NULL;
	return NULL;
}

static bool events_filter_ok(struct web *w, struct MHD_Connection *c, const struct web_params *p,
                             struct events_filter *f, enum MHD_Result *ok)
{
	char msg[1024];
	const char *bad;
	if (!events_filter_read(w, p, f, msg, sizeof msg, &bad))
		return true;
	*ok = web_reply_error(w, c, MHD_HTTP_BAD_REQUEST, bad, "%s", msg);
	return false;
}

static enum MHD_Result api_events(struct web *w, struct MHD_Connection *c, struct store_txn *t,
                                  const char *url, const struct web_req *rq)
{
	(void)rq;
	static const char *const names[] = { "from", "to", "sector", "phase", "limit", NULL };
	struct web_params p;
	struct events_filter f;
	enum MHD_Result ok;
	long limit = EVENTS_JSON_LIMIT;
	if (!web_params_ok(w, c, names, &p, &ok) || !events_filter_ok(w, c, &p, &f, &ok) ||
	    !limit_read(w, c, &p, EVENTS_JSON_LIMIT_MAX, &limit, &ok))
		return ok;
	struct gl_error err = { 0 };
	json_t *list;
	bool more;
	if (calendar_events(t, &f, (size_t)limit, &list, &more, &err))
		return web_reply_fail(w, c, url, &err);
	return web_reply_json(w, c, MHD_HTTP_OK,
	                      json_pack("{s:o, s:b}", "events", list, "more", more));
}

/* /events.ics?author=…&id=…: one event; neither a filter nor a limit. */
static enum MHD_Result event_ics(struct web *w, struct MHD_Connection *c, struct store_txn *t,
                                 const char *url, const struct web_params *p, const char *lang)
{
	static const char *const filters[] = { "from", "to", "sector", "phase" };
	const char *author = web_param(p, "author"), *id = web_param(p, "id");
	uint8_t pk[RECORD_KEY_LEN];
	char msg[512];
	for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++)
		if (web_param(p, filters[i]))
			return web_reply_error(w, c, MHD_HTTP_BAD_REQUEST, filters[i], "%s: not with "
			                       "author and id, which name one event", filters[i]);
	if (!author || !id)
		return web_reply_error(w, c, MHD_HTTP_BAD_REQUEST, author ? "id" : "author",
		                       "%s: give both author and id, or neither",
		                       author ? "id" : "author");
	if (author_read(author, pk, "author", msg, sizeof msg))
		return web_reply_error(w, c, MHD_HTTP_BAD_REQUEST, "author", "%s", msg);
	if (!*id || strlen(id) > GL_ID_MAX)
		return web_reply_error(w, c, MHD_HTTP_BAD_REQUEST, "id",
		                       "id: an event's id is 1 to %u bytes", GL_ID_MAX);
	struct gl_error err = { 0 };
	char *text = NULL;
	pthread_mutex_lock(&w->ics_lock); /* libical keeps global state */
	int rc = calendar_event_ics(t, pk, id, lang ? lang : "en", &text, &err);
	pthread_mutex_unlock(&w->ics_lock);
	if (rc == GL_ENOTFOUND)
		return web_reply_error(w, c, MHD_HTTP_NOT_FOUND, NULL, "no event %s/%s", author, id);
	if (rc == GL_EFORMAT)
		return web_reply_error(w, c, MHD_HTTP_NOT_FOUND, NULL, "event %s/%s cannot be written "
		                       "as iCalendar: %s", author, id, err.msg);
	if (rc)
		return web_reply_fail(w, c, url, &err);
	return text ? web_reply_text(w, c, MHD_HTTP_OK, text, strlen(text), ICS_TYPE) : MHD_NO;
}

static enum MHD_Result feed_events(struct web *w, struct MHD_Connection *c, struct store_txn *t,
                                   const char *url, const struct web_req *rq)
{
	(void)rq;
	static const char *const names[] = { "from", "to", "sector", "phase", "lang", "author",
	                                     "id", NULL };
	struct web_params p;
	struct events_filter f;
	enum MHD_Result ok;
	const char *lang;
	if (!web_params_ok(w, c, names, &p, &ok))
		return ok;
	if (web_param(&p, "author") || web_param(&p, "id"))
		return lang_read(w, c, &p, &lang, &ok) ? event_ics(w, c, t, url, &p, lang) : ok;
	if (!events_filter_ok(w, c, &p, &f, &ok) || !lang_read(w, c, &p, &lang, &ok))
		return ok;
	struct gl_error err = { 0 };
	struct calendar_ics cal;
	pthread_mutex_lock(&w->ics_lock); /* libical keeps global state */
	int rc = calendar_events_ics(t, &f, EVENTS_ICS_LIMIT, lang ? lang : "en", &cal, &err);
	pthread_mutex_unlock(&w->ics_lock);
	if (rc)
		return web_reply_fail(w, c, url, &err);
	if (cal.skipped) /* as gilde events --ics: an event libical refuses is left out */
		log_debug("web-ics-skipped", "events=%u", cal.skipped);
	return web_reply_text(w, c, MHD_HTTP_OK, cal.text, strlen(cal.text), ICS_TYPE);
}

/* -- search, news, gaps, match --------------------------------------------------- */

/* The answer kept under key for the store's state gen (0: none kept), as
 * the reply into *ok; false if none is kept. */
static bool reply_kept(struct web *w, struct MHD_Connection *c, const uint8_t *key, uint64_t gen,
                       enum MHD_Result *ok)
{
	size_t len;
	char *kept = gen ? web_cache_get(w->answers, key, gen, &len) : NULL;
	if (kept)
		*ok = web_reply_text(w, c, MHD_HTTP_OK, kept, len, "application/json; charset=utf-8");
	return kept != NULL;
}

/* res (taken) or, if NULL, text (len bytes, taken) as the reply, and kept
 * under key for gen (0: not kept). */
static enum MHD_Result reply_keep(struct web *w, struct MHD_Connection *c, const uint8_t *key,
                                  uint64_t gen, json_t *res, char *text, size_t len)
{
	if (res) {
		text = json_dumps(res, JSON_COMPACT);
		json_decref(res);
		if (!text)
			return web_reply_json(w, c, MHD_HTTP_OK, NULL); /* the 500 of an answer not written */
		len = strlen(text);
	}
	if (w->answers && gen)
		web_cache_put(w->answers, key, gen, text, len);
	return web_reply_text(w, c, MHD_HTTP_OK, text, len, "application/json; charset=utf-8");
}

static enum MHD_Result api_search(struct web *w, struct MHD_Connection *c, struct store_txn *t,
                                  const char *url, const struct web_req *rq)
{
	(void)rq;
	static const char *const names[] = { "q", "kind", "lang", "prefer", "limit", NULL };
	struct web_params p;
	enum MHD_Result ok;
	long limit = SEARCH_LIMIT;
	if (!web_params_ok(w, c, names, &p, &ok))
		return ok;
	const char *q = web_param(&p, "q"), *kind = web_param(&p, "kind");
	const char *prefer = web_param(&p, "prefer");
	if (!q || !*q || strlen(q) > SEARCH_QUERY_MAX)
		return web_reply_error(w, c, MHD_HTTP_BAD_REQUEST, "q", "q: give the words to search "
		                       "for (1 to %d bytes)", SEARCH_QUERY_MAX);
	int rk = kind ? record_kind_parse(kind, strlen(kind)) : 0;
	if (kind && rk != RK_PARTNER && rk != RK_OFFER && rk != RK_EVENT && rk != RK_NEWS)
		return web_reply_error(w, c, MHD_HTTP_BAD_REQUEST, "kind",
		                       "kind: \"%.32s\" is not one of: partner, offer, event, news", kind);
	struct search_opts o = { .kind = rk, .prefer = prefer, .cache = w->search_cache };
	if (!lang_read(w, c, &p, &o.lang, &ok) || !limit_read(w, c, &p, SEARCH_LIMIT_MAX, &limit, &ok))
		return ok;
	if (prefer && strcmp(prefer, "nl") && strcmp(prefer, "en"))
		return web_reply_error(w, c, MHD_HTTP_BAD_REQUEST, "prefer",
		                       "prefer: \"%.32s\" is not nl or en", prefer);
	if (prefer && o.lang)
		return web_reply_error(w, c, MHD_HTTP_BAD_REQUEST, "prefer", "prefer: give lang (the "
		                       "query in one language) or prefer (every language, this one "
		                       "first), not both");
	o.max_hits = (size_t)limit;
	/* the same question of the same store as an answer kept: that answer */
	char lim[24];
	snprintf(lim, sizeof lim, "%ld", limit);
	const char *const parts[] = { q, kind, o.lang, prefer, lim };
	uint8_t key[WEB_CACHE_KEY_LEN];
	uint64_t gen = store_txn_snapshot(t);
	web_cache_key(key, "search", parts, sizeof parts / sizeof *parts);
	if (reply_kept(w, c, key, gen, &ok))
		return ok;
	struct gl_error err = { 0 };
	json_t *hits;
	int rc = directory_search(t, q, &o, &hits, &err);
	if (rc == GL_ELIMIT || rc == GL_EFORMAT)
		return web_reply_error(w, c, MHD_HTTP_BAD_REQUEST, "q", "q: %s", err.msg);
	/* records committed, not yet indexed: not among the hits (textindex.h) */
	uint64_t behind = 0;
	if (rc == 0 && (rc = textindex_behind(t, &behind, &err)))
		json_decref(hits);
	if (rc)
		return web_reply_fail(w, c, url, &err);
	return reply_keep(w, c, key, gen, json_pack("{s:s, s:o, s:I}", "query", q, "hits", hits,
	                                             "index_behind", (json_int_t)behind), NULL, 0);
}

static enum MHD_Result api_news(struct web *w, struct MHD_Connection *c, struct store_txn *t,
                                const char *url, const struct web_req *rq)
{
	(void)rq;
	static const char *const names[] = { "limit", NULL };
	struct web_params p;
	enum MHD_Result ok;
	long limit = NEWS_LIMIT;
	if (!web_params_ok(w, c, names, &p, &ok) || !limit_read(w, c, &p, NEWS_LIMIT_MAX, &limit, &ok))
		return ok;
	struct gl_error err = { 0 };
	json_t *list;
	if (news_latest(t, (size_t)limit, &list, &err))
		return web_reply_fail(w, c, url, &err);
	return web_reply_json(w, c, MHD_HTTP_OK, json_pack("{s:o}", "news", list));
}

static enum MHD_Result feed_news(struct web *w, struct MHD_Connection *c, struct store_txn *t,
                                 const char *url, const struct web_req *rq)
{
	(void)rq;
	static const char *const names[] = { "lang", NULL };
	struct web_params p;
	enum MHD_Result ok;
	const char *lang;
	if (!web_params_ok(w, c, names, &p, &ok) || !lang_read(w, c, &p, &lang, &ok))
		return ok;
	struct gl_error err = { 0 };
	char *text;
	size_t len;
	/* relative: right behind a proxy too, whatever its host and path */
	const char *self = !lang ? "news.atom" : !strcmp(lang, "nl") ? "news.atom?lang=nl"
	                                                             : "news.atom?lang=en";
	if (news_atom(t, NEWS_ATOM_LIMIT, lang ? lang : "en", self, &text, &len, &err))
		return web_reply_fail(w, c, url, &err);
	return web_reply_text(w, c, MHD_HTTP_OK, text, len, "application/atom+xml; charset=utf-8");
}

static enum MHD_Result api_gaps(struct web *w, struct MHD_Connection *c, struct store_txn *t,
                                const char *url, const struct web_req *rq)
{
	(void)rq;
	static const char *const names[] = { "by", NULL };
	struct web_params p;
	enum MHD_Result ok;
	if (!web_params_ok(w, c, names, &p, &ok))
		return ok;
	const char *by = web_param(&p, "by");
	if (by && strcmp(by, "sector"))
		return web_reply_error(w, c, MHD_HTTP_BAD_REQUEST, "by", "by: \"%.32s\" is not sector",
		                       by);
	struct gl_error err = { 0 };
	json_t *out, *release = NULL;
	int rc = insightd_demand(w->n, t, &release, &err);
	if (!rc)
		rc = gaps_run_demand(t, w->tax, by != NULL, clock_now(), release, &out, &err);
	json_decref(release);
	if (rc)
		return web_reply_fail(w, c, url, &err);
	return web_reply_json(w, c, MHD_HTTP_OK, out);
}

bool web_json_body(struct MHD_Connection *c)
{
	const char *type = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	                                               MHD_HTTP_HEADER_CONTENT_TYPE);
	size_t tl = strlen("application/json");
	return type && !strncasecmp(type, "application/json", tl) &&
	       (!type[tl] || type[tl] == ';' || type[tl] == ' ');
}

/* What the page's answer adds: whether it may ask the starter for insight
 * (API.md), and [web] desk, whom to ask when no offer fits a step. */
static json_t *match_tail(struct web *w, struct store_txn *t, const json_t *profile, uint64_t k)
{
	json_t *tail = json_object();
	if (k)
		json_object_set_new(tail, "insight", json_pack("{s:i}", "k", (int)k));
	const char *lang = json_string_value(json_object_get(profile, "lang"));
	json_t *desk = web_desk_json(w, t, lang ? lang : "en");
	if (desk)
		json_object_set_new(tail, "desk", desk);
	if (!json_object_size(tail)) {
		json_decref(tail);
		return NULL;
	}
	return tail;
}

static enum MHD_Result api_match(struct web *w, struct MHD_Connection *c, struct store_txn *t,
                                 const char *url, const struct web_req *rq)
{
	static const char *const names[] = { "per_item", NULL };
	struct web_params p;
	enum MHD_Result ok;
	long per_item;
	if (!web_params_ok(w, c, names, &p, &ok) ||
	    !web_per_item_read(w, c, &p, "per_item", WEB_MATCH_PER_ITEM, &per_item, &ok))
		return ok;
	if (!web_json_body(c))
		return web_reply_error(w, c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, NULL,
		                       "send the profile as Content-Type: application/json");
	json_error_t jerr;
	json_t *profile = json_loadb(rq->body ? rq->body : "", rq->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!profile)
		return web_reply_error(w, c, MHD_HTTP_BAD_REQUEST, NULL,
		                       "the body is not JSON: line %d: %s", jerr.line, jerr.text);
	struct gl_error err = { 0 };
	if (!json_is_object(profile) ||
	    match_profile_check(w->n->schemas, profile, "profile", &err)) {
		json_decref(profile);
		return web_reply_error(w, c, MHD_HTTP_BAD_REQUEST, NULL, "%s",
		                       err.msg[0] ? err.msg : "the profile must be a JSON object");
	}
	/* the same profile, options and store as an answer kept: that answer;
	 * the profile in one form (its keys sorted) */
	uint64_t k = insightd_collecting(w->n) ? insightd_k(w->n) : 0;
	char *text = json_dumps(profile, JSON_COMPACT | JSON_SORT_KEYS), opts[48];
	snprintf(opts, sizeof opts, "%ld %llu", per_item, (unsigned long long)k);
	const char *const parts[] = { text, opts };
	uint8_t key[WEB_CACHE_KEY_LEN];
	uint64_t gen = text ? store_txn_snapshot(t) : 0; /* not written: not kept */
	web_cache_key(key, "match", parts, sizeof parts / sizeof *parts);
	free(text);
	if (reply_kept(w, c, key, gen, &ok)) {
		json_decref(profile);
		return ok;
	}
	struct match_opts o = { .per_item = (unsigned)per_item, .paths = w->paths,
		                .cache = w->match_cache };
	/* the answer written as text (no tree) */
	json_t *tail = match_tail(w, t, profile, k);
	char *answer;
	size_t len;
	int rc = match_run_text(t, w->tax, profile, &o, tail, &answer, &len, &err);
	json_decref(profile);
	json_decref(tail);
	if (rc)
		return web_reply_fail(w, c, url, &err);
	return reply_keep(w, c, key, gen, NULL, answer, len);
}

/* -- the map of the ecosystem ----------------------------------------------------- */

/* sector= of the map: NULL (all) or a term; false if refused. */
static bool map_sector(struct web *w, struct MHD_Connection *c, const struct web_params *p,
                      const char **sector, enum MHD_Result *ok)
{
	char msg[1024];
	*sector = web_param(p, "sector");
	if (!*sector || !term_check(w, "sector", *sector, msg, sizeof msg))
		return true;
	*ok = web_reply_error(w, c, MHD_HTTP_BAD_REQUEST, "sector", "sector: %s", msg);
	return false;
}

static enum MHD_Result api_map(struct web *w, struct MHD_Connection *c, struct store_txn *t,
                               const char *url, const struct web_req *rq)
{
	(void)rq;
	static const char *const names[] = { "sector", NULL };
	struct web_params p;
	enum MHD_Result ok;
	const char *sector;
	if (!web_params_ok(w, c, names, &p, &ok) || !map_sector(w, c, &p, &sector, &ok))
		return ok;
	/* the same for every visitor: kept while the store is as it was */
	const char *const parts[] = { sector };
	uint8_t key[WEB_CACHE_KEY_LEN];
	uint64_t gen = store_txn_snapshot(t);
	web_cache_key(key, "map", parts, 1);
	if (reply_kept(w, c, key, gen, &ok))
		return ok;
	struct gl_error err = { 0 };
	json_t *map;
	if (ecomap_run(t, w->tax, sector, clock_now(), &map, &err))
		return web_reply_fail(w, c, url, &err);
	return reply_keep(w, c, key, gen, map, NULL, 0);
}

static enum MHD_Result feed_map(struct web *w, struct MHD_Connection *c, struct store_txn *t,
                                const char *url, const struct web_req *rq)
{
	(void)rq;
	static const char *const names[] = { "sector", "lang", NULL };
	struct web_params p;
	enum MHD_Result ok;
	const char *sector, *lang;
	if (!web_params_ok(w, c, names, &p, &ok) || !map_sector(w, c, &p, &sector, &ok) ||
	    !lang_read(w, c, &p, &lang, &ok))
		return ok;
	struct gl_error err = { 0 };
	json_t *map;
	char *svg = NULL;
	size_t len = 0;
	int rc = ecomap_run(t, w->tax, sector, clock_now(), &map, &err);
	if (!rc) {
		rc = ecomap_svg(map, lang ? lang : "en", &svg, &len, &err);
		json_decref(map);
	}
	if (rc)
		return web_reply_fail(w, c, url, &err);
	return web_reply_text(w, c, MHD_HTTP_OK, svg, len, SVG_TYPE);
}

/* -- the endpoints ------------------------------------------------------------- */

static const struct endpoint {
	const char *path;
	bool prefix;  /* path and anything below it */
	bool post;    /* POST only; else GET and HEAD */
	handler_fn fn;
} endpoints[] = {
	{ "/api/v1/taxonomy", false, false, api_taxonomy },
	{ "/api/v1/partners", false, false, api_partners },
	{ "/api/v1/partners/", true, false, api_partner },
	{ "/api/v1/offers", false, false, api_offers },
	{ "/api/v1/events", false, false, api_events },
	{ "/api/v1/search", false, false, api_search },
	{ "/api/v1/news", false, false, api_news },
	{ "/api/v1/gaps", false, false, api_gaps },
	{ "/api/v1/match", false, true, api_match },
	{ "/api/v1/screening", false, false, web_screening },
	{ "/api/v1/screen", false, true, web_screen },
	{ "/api/v1/map", false, false, api_map },
	{ "/map.svg", false, false, feed_map },
	{ "/events.ics", false, false, feed_events },
	{ "/news.atom", false, false, feed_news },
	{ "/api/v1/insight", false, false, web_insight_releases },
	{ "/api/v1/insight/events", false, false, web_insight_events },
};

/* Endpoints that take methods besides their row's (web_http.h, WEB_*). */
static const struct {
	const char *path;
	unsigned also;
} more_methods[] = {
	{ "/api/v1/insight/events", WEB_POST | WEB_DELETE },
};

static const struct endpoint *endpoint_of(const char *url)
{
	for (size_t i = 0; i < sizeof endpoints / sizeof endpoints[0]; i++) {
		const struct endpoint *e = &endpoints[i];
		if (e->prefix ? !strncmp(url, e->path, strlen(e->path)) : !strcmp(url, e->path))
			return e;
	}
	return NULL;
}

bool web_api_owns(const char *url)
{
	return !strncmp(url, "/api/", 5) || endpoint_of(url) != NULL;
}

bool web_api_exists(const char *url)
{
	return endpoint_of(url) != NULL;
}

unsigned web_api_methods(const char *url)
{
	const struct endpoint *e = endpoint_of(url);
	unsigned m = !e || !e->post ? WEB_GET : WEB_POST;
	for (size_t i = 0; e && i < sizeof more_methods / sizeof more_methods[0]; i++)
		if (!strcmp(e->path, more_methods[i].path))
			m |= more_methods[i].also;
	return m;
}

/* Endpoints that take no parameter at all say so before anything else. */
static bool takes_none(const struct endpoint *e)
{
	return e->fn == api_taxonomy || e->fn == api_partner ||
	       e->fn == web_screening;
}

enum MHD_Result web_api_answer(struct web *w, struct MHD_Connection *c, const char *url,
                               const struct web_req *rq)
{
	static const char *const none[] = { NULL };
	const struct endpoint *e = endpoint_of(url);
	struct web_params p;
	enum MHD_Result ok;
	if (!e)
		return web_reply_error(w, c, MHD_HTTP_NOT_FOUND, NULL,
		                       "no such endpoint; see proto/API.md");
	if (takes_none(e) && !web_params_ok(w, c, none, &p, &ok))
		return ok;
	struct gl_error err = { 0 };
	struct store_txn *t;
	if (store_begin(w->n->store, false, &t, &err))
		return web_reply_fail(w, c, url, &err);
	ok = e->fn(w, c, t, url, rq);
	store_abort(t);
	return ok;
}

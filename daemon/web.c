#include "daemon/web.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utf8proc.h>

#include "proto/alloc.h"
#include "proto/clock.h"
#include "query/events.h"
#include "query/gaps.h"
#include "gilde_config.h"
#include "query/ics.h"
#include "proto/ident.h"
#include "daemon/log.h"
#include "query/eligibility.h"
#include "query/match.h"
#include "query/news.h"
#include "daemon/node.h"
#include "query/search.h"
#include "schemas/taxonomy.h"
#include "query/view.h"

#define CSP "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; " \
            "frame-ancestors 'none'"
#define PARAMS_MAX 16
#ifndef MHD_HTTP_CONTENT_TOO_LARGE
#define MHD_HTTP_CONTENT_TOO_LARGE 413
#endif

struct bucket {
	uint8_t addr[16];   /* IPv6, or IPv4-mapped */
	bool used;
	double tokens;
	uint64_t last_ms;
};

struct web {
	struct node *n;
	struct MHD_Daemon *d;
	struct taxonomy *tax;
	char root[PATHS_MAX];
	double rate, burst;
	bool behind_proxy;        /* count a local proxy's requests by X-Forwarded-For */
	char *taxonomy_json;      /* GET /api/v1/taxonomy, made once */
	pthread_mutex_t lock;     /* the rate limiter */
	pthread_mutex_t ics_lock; /* libical, which is not thread-safe */
	struct bucket *buckets;
	_Atomic uint64_t requests, client_errors, rate_limited, server_errors;
};

/* Per request: the body of a POST as it arrives. */
struct req {
	bool seen;
	bool too_large;
	char *body;
	size_t len;
};

/* -- answers ------------------------------------------------------------- */

static void count(struct web *w, unsigned status)
{
	atomic_fetch_add(&w->requests, 1);
	if (status >= 500)
		atomic_fetch_add(&w->server_errors, 1);
	else if (status >= 400)
		atomic_fetch_add(&w->client_errors, 1);
	if (status == MHD_HTTP_TOO_MANY_REQUESTS)
		atomic_fetch_add(&w->rate_limited, 1);
}

/* A header an answer carries besides the usual ones (Allow, Retry-After). */
struct extra_header {
	const char *name, *value;
};

static enum MHD_Result queue_x(struct web *w, struct MHD_Connection *c, unsigned status,
                               struct MHD_Response *r, const char *type, const char *cache,
                               const struct extra_header *x)
{
	if (!r)
		return MHD_NO;
	if (x)
		MHD_add_response_header(r, x->name, x->value);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Content-Security-Policy", CSP);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cache);
	count(w, status);
	enum MHD_Result ok = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result queue(struct web *w, struct MHD_Connection *c, unsigned status,
                             struct MHD_Response *r, const char *type, const char *cache)
{
	return queue_x(w, c, status, r, type, cache, NULL);
}

static enum MHD_Result reply_text_x(struct web *w, struct MHD_Connection *c, unsigned status,
                                    char *text, size_t len, const char *type,
                                    const struct extra_header *x)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (!r)
		free(text);
	return queue_x(w, c, status, r, type, "no-store", x);
}

static enum MHD_Result reply_text(struct web *w, struct MHD_Connection *c, unsigned status,
                                  char *text, size_t len, const char *type)
{
	return reply_text_x(w, c, status, text, len, type, NULL);
}

static enum MHD_Result reply_json_x(struct web *w, struct MHD_Connection *c, unsigned status,
                                    json_t *v, const struct extra_header *x)
{
	static const char fallback[] = "{\"error\":{\"status\":500,\"message\":\"the node could "
	                               "not write its answer\"}}";
	char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
	json_decref(v);
	if (!text) {
		/* never a silent close: answer something a client can read */
		struct MHD_Response *r = MHD_create_response_from_buffer(
			sizeof fallback - 1, (void *)fallback, MHD_RESPMEM_PERSISTENT);
		return queue(w, c, MHD_HTTP_INTERNAL_SERVER_ERROR, r,
		             "application/json; charset=utf-8", "no-store");
	}
	return reply_text_x(w, c, status, text, strlen(text), "application/json; charset=utf-8", x);
}

static enum MHD_Result reply_json(struct web *w, struct MHD_Connection *c, unsigned status,
                                  json_t *v)
{
	return reply_json_x(w, c, status, v, NULL);
}

/* Replace what is not UTF-8 (a cut character, bytes a client sent) by '?',
 * so that a message always makes a JSON string. */
static void utf8_scrub(char *s)
{
	utf8proc_uint8_t *p = (utf8proc_uint8_t *)s;
	utf8proc_ssize_t left = (utf8proc_ssize_t)strlen(s);
	while (left > 0) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t step = utf8proc_iterate(p, left, &cp);
		if (step <= 0) {
			*p = '?';
			step = 1;
		}
		p += step;
		left -= step;
	}
}

/* {"error": {"status", "message", "parameter"}} (proto/API.md), with x if given. */
static enum MHD_Result reply_error_v(struct web *w, struct MHD_Connection *c, unsigned status,
                                     const char *param, const struct extra_header *x,
                                     const char *fmt, va_list ap)
{
	char msg[1024];
	vsnprintf(msg, sizeof msg, fmt, ap);
	utf8_scrub(msg);
	json_t *e = json_pack("{s:i, s:s}", "status", (int)status, "message", msg);
	if (e && param)
		json_object_set_new(e, "parameter", json_string(param)); /* checked UTF-8 */
	return reply_json_x(w, c, status, e ? json_pack("{s:o}", "error", e) : NULL, x);
}

static enum MHD_Result reply_error(struct web *w, struct MHD_Connection *c, unsigned status,
                                   const char *param, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static enum MHD_Result reply_error(struct web *w, struct MHD_Connection *c, unsigned status,
                                   const char *param, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	enum MHD_Result ok = reply_error_v(w, c, status, param, NULL, fmt, ap);
	va_end(ap);
	return ok;
}

static enum MHD_Result reply_error_x(struct web *w, struct MHD_Connection *c, unsigned status,
                                     const struct extra_header *x, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static enum MHD_Result reply_error_x(struct web *w, struct MHD_Connection *c, unsigned status,
                                     const struct extra_header *x, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	enum MHD_Result ok = reply_error_v(w, c, status, NULL, x, fmt, ap);
	va_end(ap);
	return ok;
}

/* A store or library failure: the details go to the log, not the client. */
static enum MHD_Result reply_fail(struct web *w, struct MHD_Connection *c, const char *url,
                                  const struct gl_error *err)
{
	char q[600];
	log_error("web-failed", "path=%s reason=%s", log_q(url, q, sizeof q),
	          err->msg[0] ? err->msg : "unknown");
	return reply_error(w, c, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL,
	                   "the node could not answer; its log says why");
}

/* -- query parameters ---------------------------------------------------- */

struct params {
	const char *k[PARAMS_MAX];
	const char *v[PARAMS_MAX];
	unsigned n;
	bool overflow;
	const char *bad; /* the first parameter with a NUL or bytes that are not UTF-8 */
};

static bool utf8_valid(const char *s)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_ssize_t left = (utf8proc_ssize_t)strlen(s);
	while (left > 0) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t step = utf8proc_iterate(p, left, &cp);
		if (step <= 0)
			return false;
		p += step;
		left -= step;
	}
	return true;
}

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key,
                               size_t key_size, const char *value, size_t value_size)
{
	struct params *p = cls;
	(void)kind;
	if (p->n == PARAMS_MAX) {
		p->overflow = true;
		return MHD_NO;
	}
	/* a %00 in the query would cut the name or value short unseen */
	if (strlen(key) != key_size || (value && strlen(value) != value_size) ||
	    !utf8_valid(key) || (value && !utf8_valid(value)))
		p->bad = p->bad ? p->bad : key;
	p->k[p->n] = key;
	p->v[p->n] = value ? value : "";
	p->n++;
	return MHD_YES;
}

/*
 * Read the query string against the names an endpoint takes (NULL-ended).
 * Returns NULL, or the problem written into msg with the parameter in *bad.
 */
static const char *params_read(struct MHD_Connection *c, const char *const *allowed,
                               struct params *p, char *msg, size_t msglen, const char **bad)
{
	memset(p, 0, sizeof *p);
	*bad = NULL;
	MHD_get_connection_values_n(c, MHD_GET_ARGUMENT_KIND, collect, p);
	if (p->overflow) {
		snprintf(msg, msglen, "more than %d query parameters", PARAMS_MAX);
		return msg;
	}
	if (p->bad) {
		*bad = utf8_valid(p->bad) ? p->bad : NULL;
		snprintf(msg, msglen, "%s: a name or value holds a NUL or is not UTF-8",
		         *bad ? *bad : "a parameter");
		return msg;
	}
	for (unsigned i = 0; i < p->n; i++) {
		bool known = false;
		for (const char *const *a = allowed; *a; a++)
			known = known || !strcmp(*a, p->k[i]);
		*bad = p->k[i];
		if (!known) {
			char list[256] = "";
			for (const char *const *a = allowed; *a; a++)
				snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
				         a == allowed ? "" : ", ", *a);
			snprintf(msg, msglen, "unknown parameter \"%.64s\"; this endpoint takes %s",
			         p->k[i], *list ? list : "none");
			return msg;
		}
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(p->k[j], p->k[i])) {
				snprintf(msg, msglen, "%s: given twice", p->k[i]);
				return msg;
			}
	}
	*bad = NULL;
	return NULL;
}

static const char *param(const struct params *p, const char *name)
{
	for (unsigned i = 0; i < p->n; i++)
		if (!strcmp(p->k[i], name))
			return p->v[i];
	return NULL;
}

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

static const char *number_check(const char *value, long lo, long hi, long *out, char *msg,
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

/* -- records ------------------------------------------------------------- */

static bool kind_ok(const char *k)
{
	return !strcmp(k, "partner") || !strcmp(k, "offer") || !strcmp(k, "event") ||
	       !strcmp(k, "news");
}

static bool list_has(const json_t *list, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v) {
		if (json_is_string(v) && !strcmp(json_string_value(v), s))
			return true;
	}
	return false;
}

/* An eligibility list allows s if it is absent or holds it. */
static bool allows(const json_t *offer, const char *field, const char *s)
{
	const json_t *list = json_object_get(json_object_get(offer, "eligibility"), field);
	return !s || !json_is_array(list) || list_has(list, s);
}

static int cmp_by_id(const void *a, const void *b)
{
	const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
	int c = strcmp(json_string_value(json_object_get(x, "id")),
	               json_string_value(json_object_get(y, "id")));
	return c ? c : strcmp(json_string_value(json_object_get(x, "author")),
	                      json_string_value(json_object_get(y, "author")));
}

static int cmp_by_partner(const void *a, const void *b)
{
	const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
	const char *px = json_string_value(json_object_get(x, "partner"));
	const char *py = json_string_value(json_object_get(y, "partner"));
	int c = strcmp(px ? px : "", py ? py : "");
	return c ? c : cmp_by_id(a, b);
}

static void sort_array(json_t *arr, int (*cmp)(const void *, const void *))
{
	size_t n = json_array_size(arr);
	if (n < 2)
		return;
	json_t **v = gl_xmalloc(n * sizeof *v);
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	qsort(v, n, sizeof *v, cmp);
	json_array_clear(arr);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
	free(v);
}

struct collect_ctx {
	json_t *out;
	bool (*keep)(void *arg, const struct store_entry *e, const json_t *rec);
	void *arg;
};

static int collect_visit(void *vc, const struct store_entry *e)
{
	struct collect_ctx *cc = vc;
	json_t *o = view_entry_json(e);
	if (!cc->keep || cc->keep(cc->arg, e, o))
		json_array_append(cc->out, o);
	json_decref(o);
	return 0;
}

/* Every live record of a kind (by one author if author is not NULL) that
 * keep() keeps. */
static int scan_kind(struct store_txn *t, int kind, const uint8_t *author,
                     bool (*keep)(void *, const struct store_entry *, const json_t *),
                     void *arg, json_t **out,
                     struct gl_error *err)
{
	struct collect_ctx cc = { .out = json_array(), .keep = keep, .arg = arg };
	struct store_filter f = { .kind = kind, .author = author };
	int rc = store_scan(t, &f, collect_visit, &cc, err);
	if (rc) {
		json_decref(cc.out);
		return rc;
	}
	*out = cc.out;
	return 0;
}

/* -- endpoints ----------------------------------------------------------- */

struct offer_filter {
	struct web *w;
	uint64_t now;
	const char *phase, *sector, *activity, *need, *lang, *partner;
	const char *author; /* with partner: the partner's author key text */
};

static bool offer_keep(void *arg, const struct store_entry *e, const json_t *o)
{
	const struct offer_filter *f = arg;
	if (!eligibility_entry_current(e, f->now) || !allows(o, "phases", f->phase) ||
	    !allows(o, "sectors", f->sector) || !allows(o, "activities", f->activity))
		return false;
	if (f->lang && !list_has(json_object_get(o, "languages"), f->lang))
		return false;
	if (f->partner) {
		const char *pid = json_string_value(json_object_get(o, "partner"));
		if (!pid || strcmp(pid, f->partner) ||
		    strcmp(json_string_value(json_object_get(o, "author")), f->author))
			return false;
	}
	if (f->need) {
		size_t i;
		json_t *v;
		json_array_foreach(json_object_get(o, "needs"), i, v) {
			if (json_is_string(v) &&
			    taxonomy_within(f->w->tax, "need", json_string_value(v), f->need))
				return true;
		}
		return false;
	}
	return true;
}

/* "AUTHOR/ID" or AUTHOR and ID: the partner's key, or a message. */
static const char *partner_ref(const char *author, uint8_t pk[32], char *msg, size_t msglen)
{
	struct gl_error e = { 0 };
	if (ident_parse(IDENT_PK_PREFIX, author, "partner's author", pk, &e)) {
		snprintf(msg, msglen, "%s", e.msg);
		return msg;
	}
	return NULL;
}

static enum MHD_Result api_taxonomy(struct web *w, struct MHD_Connection *c)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		strlen(w->taxonomy_json), w->taxonomy_json, MHD_RESPMEM_PERSISTENT);
	return queue(w, c, MHD_HTTP_OK, r, "application/json; charset=utf-8", "no-store");
}

static int count_offers(void *vc, const struct store_entry *e)
{
	json_t *counts = vc, *o = view_entry_json(e);
	const char *pid = json_string_value(json_object_get(o, "partner"));
	if (pid && eligibility_entry_current(e, clock_now())) {
		char key[IDENT_TEXT_MAX + 200];
		snprintf(key, sizeof key, "%s/%s", json_string_value(json_object_get(o, "author")), pid);
		json_object_set_new(counts, key,
		                    json_integer(json_integer_value(json_object_get(counts, key)) + 1));
	}
	json_decref(o);
	return 0;
}

static enum MHD_Result api_partners(struct web *w, struct MHD_Connection *c,
                                    struct store_txn *t, const char *url)
{
	struct gl_error err = { 0 };
	json_t *list = NULL, *counts = json_object();
	struct store_filter f = { .kind = RK_OFFER };
	if (scan_kind(t, RK_PARTNER, NULL, NULL, NULL, &list, &err) ||
	    store_scan(t, &f, count_offers, counts, &err)) {
		json_decref(list);
		json_decref(counts);
		return reply_fail(w, c, url, &err);
	}
	sort_array(list, cmp_by_id);
	size_t i;
	json_t *p;
	json_array_foreach(list, i, p) {
		char key[IDENT_TEXT_MAX + 200];
		snprintf(key, sizeof key, "%s/%s", json_string_value(json_object_get(p, "author")),
		         json_string_value(json_object_get(p, "id")));
		json_object_set_new(p, "offers",
		                    json_integer(json_integer_value(json_object_get(counts, key))));
	}
	json_decref(counts);
	return reply_json(w, c, MHD_HTTP_OK, json_pack("{s:o}", "partners", list));
}

struct belongs {
	const char *pid;
	int64_t after; /* events: ending after this */
};

static bool belongs_keep(void *arg, const struct store_entry *e, const json_t *o)
{
	(void)e;
	const struct belongs *b = arg;
	const char *pid = json_string_value(json_object_get(o, "partner"));
	if (!pid || strcmp(pid, b->pid))
		return false;
	if (b->after) {
		const char *end = json_string_value(json_object_get(o, "end"));
		const char *start = json_string_value(json_object_get(o, "start"));
		int64_t t;
		/* an event without an end is taken to last a day */
		if (end ? !clock_parse(end, &t) && t < b->after
		        : start && !clock_parse(start, &t) && t + 86400 < b->after)
			return false;
	}
	return true;
}

/* A time field of a record as seconds; 0 if absent or unreadable. */
static int64_t time_of(const json_t *rec, const char *field)
{
	const char *s = json_string_value(json_object_get(rec, field));
	int64_t t = 0;
	if (!s || clock_parse(s, &t))
		t = 0;
	return t;
}

static int cmp_by_start(const void *a, const void *b)
{
	int64_t x = time_of(*(const json_t *const *)a, "start");
	int64_t y = time_of(*(const json_t *const *)b, "start");
	return x < y ? -1 : x > y ? 1 : cmp_by_id(a, b);
}

static int cmp_by_published_desc(const void *a, const void *b)
{
	int64_t x = time_of(*(const json_t *const *)a, "published");
	int64_t y = time_of(*(const json_t *const *)b, "published");
	return x > y ? -1 : x < y ? 1 : cmp_by_id(a, b);
}

static enum MHD_Result api_partner(struct web *w, struct MHD_Connection *c, struct store_txn *t,
                                   const char *url, const char *rest)
{
	char author[IDENT_TEXT_MAX + 1], msg[512];
	const char *slash = strchr(rest, '/');
	uint8_t pk[32];
	if (!slash || slash == rest || (size_t)(slash - rest) > IDENT_TEXT_MAX || !slash[1] ||
	    strchr(slash + 1, '/') || strlen(slash + 1) > GL_ID_MAX)
		return reply_error(w, c, MHD_HTTP_NOT_FOUND, NULL,
		                   "no such partner: expected /api/v1/partners/AUTHOR/ID");
	memcpy(author, rest, (size_t)(slash - rest));
	author[slash - rest] = '\0';
	const char *id = slash + 1;
	if (partner_ref(author, pk, msg, sizeof msg))
		return reply_error(w, c, MHD_HTTP_NOT_FOUND, NULL, "no such partner: %s", msg);
	struct gl_error err = { 0 };
	struct store_entry e;
	int rc = store_get(t, pk, RK_PARTNER, id, strlen(id), &e, &err);
	if (rc == GL_ENOTFOUND || (!rc && e.tombstone))
		return reply_error(w, c, MHD_HTTP_NOT_FOUND, NULL, "no partner %s/%s", author, id);
	if (rc)
		return reply_fail(w, c, url, &err);
	json_t *partner = view_entry_json(&e), *offers = NULL, *events = NULL, *news = NULL;
	struct belongs b = { .pid = id };
	struct belongs be = { .pid = id, .after = (int64_t)clock_now() };
	struct offer_filter of = { .w = w, .now = clock_now(), .partner = id, .author = author };
	if (scan_kind(t, RK_OFFER, pk, offer_keep, &of, &offers, &err) ||
	    scan_kind(t, RK_EVENT, pk, belongs_keep, &be, &events, &err) ||
	    scan_kind(t, RK_NEWS, pk, belongs_keep, &b, &news, &err)) {
		json_decref(partner);
		json_decref(offers);
		json_decref(events);
		return reply_fail(w, c, url, &err);
	}
	sort_array(events, cmp_by_start);
	sort_array(news, cmp_by_published_desc);
	while (json_array_size(news) > 20)
		json_array_remove(news, json_array_size(news) - 1);
	return reply_json(w, c, MHD_HTTP_OK,
	                  json_pack("{s:o, s:o, s:o, s:o}", "partner", partner, "offers", offers,
	                            "events", events, "news", news));
}

static enum MHD_Result api_offers(struct web *w, struct MHD_Connection *c, struct store_txn *t,
                                  const char *url)
{
	static const char *const names[] = { "phase", "sector", "activity", "need", "lang",
	                                     "partner", NULL };
	struct params p;
	char msg[1024];
	const char *bad;
	if (params_read(c, names, &p, msg, sizeof msg, &bad))
		return reply_error(w, c, MHD_HTTP_BAD_REQUEST, bad, "%s", msg);
	struct offer_filter f = { .w = w, .now = clock_now(), .phase = param(&p, "phase"),
	                          .sector = param(&p, "sector"), .activity = param(&p, "activity"),
	                          .need = param(&p, "need"), .lang = param(&p, "lang") };
	static const char *const facets[][2] = {
		{ "phase", "phase" }, { "sector", "sector" }, { "activity", "activity" }, { "need", "need" },
	};
	for (size_t i = 0; i < sizeof facets / sizeof facets[0]; i++) {
		const char *v = param(&p, facets[i][0]);
		if (v && term_check(w, facets[i][1], v, msg, sizeof msg))
			return reply_error(w, c, MHD_HTTP_BAD_REQUEST, facets[i][0], "%s: %s",
			                   facets[i][0], msg);
	}
	if (f.lang && strcmp(f.lang, "nl") && strcmp(f.lang, "en"))
		return reply_error(w, c, MHD_HTTP_BAD_REQUEST, "lang", "lang: \"%.32s\" is not nl or en",
		                   f.lang);
	uint8_t pk[32];
	char author[IDENT_TEXT_MAX + 1];
	const char *ref = param(&p, "partner");
	if (ref) {
		const char *slash = strchr(ref, '/');
		if (!slash || (size_t)(slash - ref) > IDENT_TEXT_MAX || !slash[1])
			return reply_error(w, c, MHD_HTTP_BAD_REQUEST, "partner",
			                   "partner: expected AUTHOR/ID");
		memcpy(author, ref, (size_t)(slash - ref));
		author[slash - ref] = '\0';
		if (partner_ref(author, pk, msg, sizeof msg))
			return reply_error(w, c, MHD_HTTP_BAD_REQUEST, "partner", "partner: %s", msg);
		f.author = author;
		f.partner = slash + 1;
	}
	struct gl_error err = { 0 };
	json_t *list;
	if (scan_kind(t, RK_OFFER, ref ? pk : NULL, offer_keep, &f, &list, &err))
		return reply_fail(w, c, url, &err);
	sort_array(list, cmp_by_partner);
	return reply_json(w, c, MHD_HTTP_OK, json_pack("{s:o}", "offers", list));
}

/* from, to, sector, phase of /api/v1/events and /events.ics */
static const char *events_filter_read(struct web *w, const struct params *p,
                                      struct events_filter *f, char *msg, size_t msglen,
                                      const char **bad)
{
	memset(f, 0, sizeof *f);
	f->from = (int64_t)clock_now();
	f->to = EVENTS_OPEN_END;
	f->include_cancelled = true;
	const char *from = param(p, "from"), *to = param(p, "to");
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
	f->sector = param(p, "sector");
	f->phase = param(p, "phase");
	char tm[600];
	if ((*bad = "sector", f->sector && term_check(w, "sector", f->sector, tm, sizeof tm)) ||
	    (*bad = "phase", f->phase && term_check(w, "phase", f->phase, tm, sizeof tm))) {
		snprintf(msg, msglen, "%s: %s", *bad, tm);
		return msg;
	}
	*bad = NULL;
	return NULL;
}

struct events_ctx {
	json_t *out;
	struct ics_calendar *cal;
	long left;
	struct gl_error *err;
};

static int events_visit(void *vc, const struct store_entry *e, int64_t start)
{
	struct events_ctx *ec = vc;
	(void)start;
	if (ec->left-- <= 0)
		return 1;
	json_t *o = view_entry_json(e);
	if (ec->cal) {
		/* as gilde events --ics: an event libical refuses is left out */
		struct gl_error skip = { 0 };
		if (ics_add(ec->cal, e, o, &skip))
			log_debug("web-ics-skipped", "reason=%s", skip.msg);
	} else {
		json_array_append(ec->out, o);
	}
	json_decref(o);
	return 0;
}

static enum MHD_Result api_events(struct web *w, struct MHD_Connection *c, struct store_txn *t,
                                  const char *url, bool ics)
{
	static const char *const json_names[] = { "from", "to", "sector", "phase", "limit", NULL };
	static const char *const ics_names[] = { "from", "to", "sector", "phase", "lang", NULL };
	struct params p;
	char msg[1024];
	const char *bad;
	struct events_filter f;
	long limit = ics ? 1000 : 100;
	const char *lang = NULL;
	if (params_read(c, ics ? ics_names : json_names, &p, msg, sizeof msg, &bad) ||
	    events_filter_read(w, &p, &f, msg, sizeof msg, &bad))
		return reply_error(w, c, MHD_HTTP_BAD_REQUEST, bad, "%s", msg);
	if (param(&p, "limit") && number_check(param(&p, "limit"), 1, 500, &limit, msg, sizeof msg))
		return reply_error(w, c, MHD_HTTP_BAD_REQUEST, "limit", "limit: %s", msg);
	lang = param(&p, "lang");
	if (lang && strcmp(lang, "nl") && strcmp(lang, "en"))
		return reply_error(w, c, MHD_HTTP_BAD_REQUEST, "lang", "lang: \"%.32s\" is not nl or en",
		                   lang);
	struct gl_error err = { 0 };
	struct events_ctx ec = { .left = limit, .err = &err };
	if (!ics) {
		ec.out = json_array();
		if (events_scan(t, &f, events_visit, &ec, &err) < 0) {
			json_decref(ec.out);
			return reply_fail(w, c, url, &err);
		}
		return reply_json(w, c, MHD_HTTP_OK, json_pack("{s:o}", "events", ec.out));
	}
	/* libical keeps global state: one calendar at a time */
	pthread_mutex_lock(&w->ics_lock);
	char *text = NULL;
	int rc = ics_new(lang ? lang : "en", &ec.cal, &err);
	if (!rc && events_scan(t, &f, events_visit, &ec, &err) >= 0)
		text = ics_text(ec.cal);
	else
		rc = rc ? rc : GL_EIO;
	ics_free(ec.cal);
	pthread_mutex_unlock(&w->ics_lock);
	if (rc)
		return reply_fail(w, c, url, &err);
	if (!text)
		return MHD_NO;
	return reply_text(w, c, MHD_HTTP_OK, text, strlen(text), "text/calendar; charset=utf-8");
}

static enum MHD_Result api_search(struct web *w, struct MHD_Connection *c, struct store_txn *t,
                                  const char *url)
{
	static const char *const names[] = { "q", "kind", "lang", "limit", NULL };
	struct params p;
	char msg[1024];
	const char *bad;
	if (params_read(c, names, &p, msg, sizeof msg, &bad))
		return reply_error(w, c, MHD_HTTP_BAD_REQUEST, bad, "%s", msg);
	const char *q = param(&p, "q"), *kind = param(&p, "kind"), *lang = param(&p, "lang");
	long limit = 20;
	if (!q || !*q || strlen(q) > SEARCH_QUERY_MAX)
		return reply_error(w, c, MHD_HTTP_BAD_REQUEST, "q", "q: give the words to search for "
		                   "(1 to %d bytes)", SEARCH_QUERY_MAX);
	if (kind && !kind_ok(kind))
		return reply_error(w, c, MHD_HTTP_BAD_REQUEST, "kind",
		                   "kind: \"%.32s\" is not one of: partner, offer, event, news", kind);
	if (lang && strcmp(lang, "nl") && strcmp(lang, "en"))
		return reply_error(w, c, MHD_HTTP_BAD_REQUEST, "lang", "lang: \"%.32s\" is not nl or en",
		                   lang);
	if (param(&p, "limit") && number_check(param(&p, "limit"), 1, 100, &limit, msg, sizeof msg))
		return reply_error(w, c, MHD_HTTP_BAD_REQUEST, "limit", "limit: %s", msg);
	struct gl_error err = { 0 };
	struct search_hit *hits = NULL;
	size_t nhits = 0;
	int rc = search_query(t, q, kind ? record_kind_parse(kind, strlen(kind)) : 0, lang,
	                      (size_t)limit, &hits, &nhits, &err);
	if (rc == GL_ELIMIT || rc == GL_EFORMAT)
		return reply_error(w, c, MHD_HTTP_BAD_REQUEST, "q", "q: %s", err.msg);
	if (rc)
		return reply_fail(w, c, url, &err);
	json_t *out = json_array();
	for (size_t i = 0; i < nhits; i++) {
		struct store_entry e;
		if (search_hit_entry(t, &hits[i], &e, &err)) {
			free(hits);
			json_decref(out);
			return reply_fail(w, c, url, &err);
		}
		json_array_append_new(out, json_pack("{s:f, s:o}", "score", hits[i].score, "record",
		                                     view_entry_json(&e)));
	}
	free(hits);
	return reply_json(w, c, MHD_HTTP_OK, json_pack("{s:s, s:o}", "query", q, "hits", out));
}

static enum MHD_Result api_news(struct web *w, struct MHD_Connection *c, struct store_txn *t,
                                const char *url, bool atom)
{
	static const char *const json_names[] = { "limit", NULL };
	static const char *const atom_names[] = { "lang", NULL };
	struct params p;
	char msg[1024];
	const char *bad;
	long limit = 20;
	if (params_read(c, atom ? atom_names : json_names, &p, msg, sizeof msg, &bad))
		return reply_error(w, c, MHD_HTTP_BAD_REQUEST, bad, "%s", msg);
	if (param(&p, "limit") && number_check(param(&p, "limit"), 1, 200, &limit, msg, sizeof msg))
		return reply_error(w, c, MHD_HTTP_BAD_REQUEST, "limit", "limit: %s", msg);
	const char *lang = param(&p, "lang");
	if (lang && strcmp(lang, "nl") && strcmp(lang, "en"))
		return reply_error(w, c, MHD_HTTP_BAD_REQUEST, "lang", "lang: \"%.32s\" is not nl or en",
		                   lang);
	struct gl_error err = { 0 };
	if (atom) {
		char *text;
		size_t len;
		if (news_atom(t, NEWS_ATOM_LIMIT, lang ? lang : "en", &text, &len, &err))
			return reply_fail(w, c, url, &err);
		return reply_text(w, c, MHD_HTTP_OK, text, len, "application/atom+xml; charset=utf-8");
	}
	json_t *list;
	if (news_latest(t, (size_t)limit, &list, &err))
		return reply_fail(w, c, url, &err);
	return reply_json(w, c, MHD_HTTP_OK, json_pack("{s:o}", "news", list));
}

static enum MHD_Result api_gaps(struct web *w, struct MHD_Connection *c, struct store_txn *t,
                                const char *url)
{
	static const char *const names[] = { "by", NULL };
	struct params p;
	char msg[1024];
	const char *bad;
	if (params_read(c, names, &p, msg, sizeof msg, &bad))
		return reply_error(w, c, MHD_HTTP_BAD_REQUEST, bad, "%s", msg);
	const char *by = param(&p, "by");
	if (by && strcmp(by, "sector"))
		return reply_error(w, c, MHD_HTTP_BAD_REQUEST, "by", "by: \"%.32s\" is not sector", by);
	struct gl_error err = { 0 };
	json_t *out;
	if (gaps_run(t, w->tax, by != NULL, clock_now(), &out, &err))
		return reply_fail(w, c, url, &err);
	return reply_json(w, c, MHD_HTTP_OK, out);
}

static enum MHD_Result api_match(struct web *w, struct MHD_Connection *c, struct store_txn *t,
                                 const char *url, const struct req *rq)
{
	static const char *const names[] = { "per_item", NULL };
	struct params p;
	char msg[1024];
	const char *bad;
	long per_item = 5;
	if (params_read(c, names, &p, msg, sizeof msg, &bad))
		return reply_error(w, c, MHD_HTTP_BAD_REQUEST, bad, "%s", msg);
	if (param(&p, "per_item") &&
	    number_check(param(&p, "per_item"), 0, 100, &per_item, msg, sizeof msg))
		return reply_error(w, c, MHD_HTTP_BAD_REQUEST, "per_item", "per_item: %s", msg);
	const char *type = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	                                               MHD_HTTP_HEADER_CONTENT_TYPE);
	size_t tl = strlen("application/json");
	if (!type || strncasecmp(type, "application/json", tl) || (type[tl] && type[tl] != ';' &&
	                                                            type[tl] != ' '))
		return reply_error(w, c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, NULL,
		                   "send the profile as Content-Type: application/json");
	json_error_t jerr;
	json_t *profile = json_loadb(rq->body ? rq->body : "", rq->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!profile)
		return reply_error(w, c, MHD_HTTP_BAD_REQUEST, NULL, "the body is not JSON: line %d: %s",
		                   jerr.line, jerr.text);
	struct gl_error err = { 0 };
	if (!json_is_object(profile) ||
	    match_profile_check(w->n->schemas, profile, "profile", &err)) {
		json_decref(profile);
		return reply_error(w, c, MHD_HTTP_BAD_REQUEST, NULL, "%s",
		                   err.msg[0] ? err.msg : "the profile must be a JSON object");
	}
	struct match_opts o = { .per_item = (unsigned)per_item };
	json_t *res = NULL;
	int rc = match_run(t, w->tax, profile, &o, &res, &err);
	json_decref(profile);
	if (rc)
		return reply_fail(w, c, url, &err);
	return reply_json(w, c, MHD_HTTP_OK, res);
}

/* -- files --------------------------------------------------------------- */

static const char *file_type(const char *name)
{
	static const char *const types[][2] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".ico", "image/x-icon" },
		{ ".json", "application/json; charset=utf-8" },
		{ ".txt", "text/plain; charset=utf-8" },
	};
	const char *dot = strrchr(name, '.');
	for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
		if (!strcmp(dot, types[i][0]))
			return types[i][1];
	return NULL;
}

/* At most two segments of [A-Za-z0-9_.-], none starting with a dot. */
static bool file_name_ok(const char *path)
{
	unsigned segs = 0;
	const char *seg = path;
	if (strlen(path) > 200)
		return false;
	for (const char *p = path;; p++) {
		if (*p == '/' || !*p) {
			if (p == seg || *seg == '.' || ++segs > 2)
				return false;
			if (!*p)
				return true;
			seg = p + 1;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			return false;
	}
}

static enum MHD_Result serve_file(struct web *w, struct MHD_Connection *c, const char *url)
{
	const char *name = !strcmp(url, "/") ? "index.html" : url + 1;
	const char *type = file_type(name);
	if (!file_name_ok(name) || !type)
		return reply_error(w, c, MHD_HTTP_NOT_FOUND, NULL, "no such file");
	/* walk down from the root, following no symbolic link on the way */
	char seg[256];
	int dir = open(w->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd = -1;
	const char *slash = strchr(name, '/');
	if (dir >= 0 && slash) {
		snprintf(seg, sizeof seg, "%.*s", (int)(slash - name), name);
		int sub = openat(dir, seg, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(dir);
		dir = sub;
		name = slash + 1;
	}
	if (dir >= 0) {
		fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		close(dir);
	}
	struct stat st;
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return reply_error(w, c, MHD_HTTP_NOT_FOUND, NULL, "no such file");
	}
	struct MHD_Response *r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
	if (!r) {
		close(fd);
		return MHD_NO;
	}
	return queue(w, c, MHD_HTTP_OK, r, type, "no-cache");
}

/* -- the rate limiter ---------------------------------------------------- */

static const uint8_t v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* An IPv6 client counts by its /64, as a host gets one. */
static void per_host(uint8_t a[16])
{
	if (memcmp(a, v4_mapped, 12))
		memset(a + 8, 0, 8);
}

static bool loopback(const uint8_t a[16])
{
	static const uint8_t one[16] = { [15] = 1 };
	return !memcmp(a, one, 16) || (!memcmp(a, v4_mapped, 12) && a[12] == 127);
}

/*
 * The address a request is counted under: the peer's, or with [web]
 * behind_proxy and a peer on this machine (the proxy), the last address of
 * its X-Forwarded-For, the one the proxy itself saw (any earlier ones are
 * the client's word and proved nothing).
 */
static void client_addr(struct web *w, struct MHD_Connection *c, uint8_t out[16])
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	memset(out, 0, 16);
	if (!ci || !ci->client_addr)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
	} else if (sa->sa_family == AF_INET) {
		memcpy(out, v4_mapped, 12);
		memcpy(out + 12, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
	}
	const char *xff = w->behind_proxy && loopback(out)
	                  ? MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Forwarded-For") : NULL;
	if (xff) {
		const char *last = strrchr(xff, ',');
		char text[INET6_ADDRSTRLEN + 1];
		last = last ? last + 1 : xff;
		while (*last == ' ' || *last == '\t')
			last++;
		size_t n = strcspn(last, " \t");
		uint8_t a[16];
		if (n < sizeof text) {
			memcpy(text, last, n);
			text[n] = '\0';
			if (inet_pton(AF_INET6, text, a) == 1) {
				memcpy(out, a, 16);
			} else if (inet_pton(AF_INET, text, a + 12) == 1) {
				memcpy(a, v4_mapped, 12);
				memcpy(out, a, 16);
			}
		}
	}
	per_host(out);
}

/* Take one token for this address; false (and the seconds to wait) if
 * none is left.  The table is bounded: a new address takes the slot, among
 * eight candidates, that was used longest ago. */
static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static bool rate_take(struct web *w, struct MHD_Connection *c, unsigned *wait_s)
{
	if (w->rate <= 0)
		return true; /* [web] rate = 0: a proxy in front does the limiting */
	uint8_t a[16];
	client_addr(w, c, a);
	uint64_t h = 1469598103934665603ull;
	for (int i = 0; i < 16; i++)
		h = (h ^ a[i]) * 1099511628211ull;
	uint64_t now = mono_ms();
	struct bucket *b = NULL, *oldest = NULL;
	bool ok;
	pthread_mutex_lock(&w->lock);
	for (unsigned i = 0; i < 8 && !b; i++) {
		struct bucket *s = &w->buckets[(h + i) % WEB_RATE_SLOTS];
		if (s->used && !memcmp(s->addr, a, 16))
			b = s;
		else if (!oldest || !s->used || (oldest->used && s->last_ms < oldest->last_ms))
			oldest = s;
	}
	if (!b) {
		b = oldest;
		memcpy(b->addr, a, 16);
		b->used = true;
		b->tokens = w->burst;
		b->last_ms = now;
	}
	b->tokens += (double)(now - b->last_ms) / 1000.0 * w->rate;
	if (b->tokens > w->burst)
		b->tokens = w->burst;
	b->last_ms = now;
	ok = b->tokens >= 1.0;
	if (ok)
		b->tokens -= 1.0;
	else
		*wait_s = (unsigned)((1.0 - b->tokens) / w->rate) + 1;
	pthread_mutex_unlock(&w->lock);
	return ok;
}

/* -- dispatch ------------------------------------------------------------ */

/* A path that exists for some method: an endpoint, or a file's name. */
static bool known_path(const char *url)
{
	static const char *const api[] = { "/api/v1/match", "/api/v1/offers", "/api/v1/events",
	                                   "/api/v1/search", "/api/v1/news", "/api/v1/gaps",
	                                   "/api/v1/taxonomy", "/api/v1/partners", "/events.ics",
	                                   "/news.atom" };
	for (size_t i = 0; i < sizeof api / sizeof api[0]; i++)
		if (!strcmp(url, api[i]))
			return true;
	if (!strncmp(url, "/api/v1/partners/", 17))
		return true;
	return strncmp(url, "/api/", 5) && (!strcmp(url, "/") || file_name_ok(url + 1));
}

static enum MHD_Result route(struct web *w, struct MHD_Connection *c, const char *url,
                             const char *method, const struct req *rq)
{
	bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	bool post = !strcmp(method, "POST");
	bool is_match = !strcmp(url, "/api/v1/match");
	if (((is_match && !post) || (!is_match && !get)) && known_path(url)) {
		struct extra_header allow = { MHD_HTTP_HEADER_ALLOW, is_match ? "POST" : "GET, HEAD" };
		return reply_error_x(w, c, MHD_HTTP_METHOD_NOT_ALLOWED, &allow,
		                     "method not allowed here");
	}
	if (!get && !post)
		return reply_error(w, c, MHD_HTTP_NOT_FOUND, NULL, "no such path");
	if (rq->too_large)
		return reply_error(w, c, MHD_HTTP_CONTENT_TOO_LARGE, NULL,
		                   "the body is larger than %u bytes", WEB_BODY_MAX);
	bool api = !strncmp(url, "/api/", 5);
	bool feed = !strcmp(url, "/events.ics") || !strcmp(url, "/news.atom");
	if (!api && !feed)
		return serve_file(w, c, url);

	struct gl_error err = { 0 };
	struct store_txn *t;
	if (store_begin(w->n->store, false, &t, &err))
		return reply_fail(w, c, url, &err);
	enum MHD_Result ok;
	static const char *const none[] = { NULL };
	struct params p;
	char msg[512];
	const char *bad;
	if (!strcmp(url, "/events.ics"))
		ok = api_events(w, c, t, url, true);
	else if (!strcmp(url, "/news.atom"))
		ok = api_news(w, c, t, url, true);
	else if (is_match)
		ok = api_match(w, c, t, url, rq);
	else if (!strcmp(url, "/api/v1/offers"))
		ok = api_offers(w, c, t, url);
	else if (!strcmp(url, "/api/v1/events"))
		ok = api_events(w, c, t, url, false);
	else if (!strcmp(url, "/api/v1/search"))
		ok = api_search(w, c, t, url);
	else if (!strcmp(url, "/api/v1/news"))
		ok = api_news(w, c, t, url, false);
	else if (!strcmp(url, "/api/v1/gaps"))
		ok = api_gaps(w, c, t, url);
	else if (!strcmp(url, "/api/v1/taxonomy") || !strcmp(url, "/api/v1/partners") ||
	         !strncmp(url, "/api/v1/partners/", 17)) {
		if (params_read(c, none, &p, msg, sizeof msg, &bad))
			ok = reply_error(w, c, MHD_HTTP_BAD_REQUEST, bad, "%s", msg);
		else if (!strcmp(url, "/api/v1/taxonomy"))
			ok = api_taxonomy(w, c);
		else if (!strcmp(url, "/api/v1/partners"))
			ok = api_partners(w, c, t, url);
		else
			ok = api_partner(w, c, t, url, url + 17);
	} else
		ok = reply_error(w, c, MHD_HTTP_NOT_FOUND, NULL, "no such endpoint; see proto/API.md");
	store_abort(t);
	return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **con_cls)
{
	struct web *w = cls;
	struct req *rq = *con_cls;
	(void)version;
	if (!rq) {
		/* first call: headers only */
		rq = calloc(1, sizeof *rq);
		if (!rq)
			return MHD_NO;
		*con_cls = rq;
		unsigned wait_s = 1;
		if (!rate_take(w, c, &wait_s)) {
			char after[16];
			snprintf(after, sizeof after, "%u", wait_s);
			struct extra_header retry = { MHD_HTTP_HEADER_RETRY_AFTER, after };
			rq->seen = true;
			return reply_error_x(w, c, MHD_HTTP_TOO_MANY_REQUESTS, &retry,
			                     "too many requests from this address; try again later");
		}
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		                                             MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > WEB_BODY_MAX) {
			rq->too_large = true;
			rq->seen = true;
			return route(w, c, url, method, rq);
		}
		return MHD_YES;
	}
	if (rq->seen) {
		*upload_size = 0; /* answered already: drop the rest of the body */
		return MHD_YES;
	}
	if (*upload_size) {
		if (rq->len + *upload_size > WEB_BODY_MAX) {
			/* a chunked body past the limit: libmicrohttpd cannot
			 * answer while a body arrives, so close rather than read
			 * on (a declared Content-Length is answered 413 above) */
			count(w, MHD_HTTP_CONTENT_TOO_LARGE);
			return MHD_NO;
		} else {
			char *b = realloc(rq->body, rq->len + *upload_size);
			if (!b)
				return MHD_NO;
			memcpy(b + rq->len, upload, *upload_size);
			rq->body = b;
			rq->len += *upload_size;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	rq->seen = true;
	char q[300];
	log_debug("web-request", "method=%s path=%s", log_q(method, q, 32),
	          log_q(url, q + 32, sizeof q - 32));
	return route(w, c, url, method, rq);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode why)
{
	(void)cls;
	(void)c;
	(void)why;
	struct req *rq = *con_cls;
	if (rq) {
		free(rq->body);
		free(rq);
	}
	*con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[512], q[600];
	vsnprintf(msg, sizeof msg, fmt, ap);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	log_debug("web-server", "message=%s", log_q(msg, q, sizeof q));
}

/* -- start and stop ------------------------------------------------------ */

int web_start(struct node *n, struct gl_error *err)
{
	if (!n->cfg.web_listen)
		return 0;
	char host[256];
	int port;
	if (config_parse_addr(n->cfg.web_listen, host, sizeof host, &port))
		return gl_errorf(err, GL_ECONFIG, "[web] listen: \"%s\" is not HOST:PORT",
		                 n->cfg.web_listen);
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV }, *ai;
	char ports[8];
	snprintf(ports, sizeof ports, "%d", port);
	int gai = getaddrinfo(host, ports, &hints, &ai);
	if (gai)
		return gl_errorf(err, GL_ECONFIG, "[web] listen: cannot resolve \"%s\": %s", host,
		                 gai_strerror(gai));
	struct web *w = calloc(1, sizeof *w);
	if (!w) {
		freeaddrinfo(ai);
		return gl_errorf(err, GL_EIO, "out of memory");
	}
	w->n = n;
	w->rate = (double)n->cfg.web_rate;
	w->burst = (double)n->cfg.web_burst;
	w->behind_proxy = n->cfg.web_behind_proxy;
	w->buckets = calloc(WEB_RATE_SLOTS, sizeof *w->buckets);
	const char *root = n->cfg.web_root ? n->cfg.web_root : GILDE_DATADIR "/web";
	if (strlen(root) >= sizeof w->root) {
		free(w->buckets);
		free(w);
		freeaddrinfo(ai);
		return gl_errorf(err, GL_ECONFIG, "[web] root: longer than %zu bytes",
		                 sizeof w->root - 1);
	}
	snprintf(w->root, sizeof w->root, "%s", root);
	news_init(); /* libxml2's global state, before the web threads use it */
	pthread_mutex_init(&w->lock, NULL);
	pthread_mutex_init(&w->ics_lock, NULL);
	const json_t *terms = json_object_get(schema_set_file(n->schemas, "taxonomy.json"),
	                                      "x-terms");
	w->taxonomy_json = terms ? json_dumps(terms, JSON_COMPACT) : NULL;
	int rc = 0;
	if (!w->buckets || !w->taxonomy_json) {
		rc = gl_errorf(err, GL_EIO, w->buckets && !terms ? "taxonomy.json has no x-terms"
		                                                 : "out of memory");
		goto fail;
	}
	if (taxonomy_load(n->schemas, &w->tax, err)) {
		rc = GL_ESCHEMA;
		goto fail;
	}
	char index[PATHS_MAX + 16];
	snprintf(index, sizeof index, "%s/index.html", w->root);
	if (access(index, R_OK) != 0)
		log_warn("web-no-page", "root=%s reason=\"no readable index.html: the API is served, "
		         "the page is not; set [web] root\"", w->root);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned threads = cpus < 1 ? 1 : cpus > WEB_THREADS_MAX ? WEB_THREADS_MAX : (unsigned)cpus;
	if (threads > n->cfg.web_connections)
		threads = (unsigned)n->cfg.web_connections; /* each thread takes a share */
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	w->d = MHD_start_daemon(
		flags, (uint16_t)port, NULL, NULL, on_request, w,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, w,
		MHD_OPTION_SOCK_ADDR, ai->ai_addr,
		MHD_OPTION_THREAD_POOL_SIZE, threads,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)n->cfg.web_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)n->cfg.web_per_ip,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)n->cfg.web_timeout,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)WEB_HEADER_MEMORY,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, w,
		MHD_OPTION_END);
	if (!w->d) {
		rc = gl_errorf(err, GL_EIO, "[web] listen: cannot serve HTTP on %s (is the port in "
		               "use, or the address not this machine's?)", n->cfg.web_listen);
		goto fail;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(w->d, MHD_DAEMON_INFO_BIND_PORT);
	char shown[300];
	snprintf(shown, sizeof shown, ai->ai_family == AF_INET6 ? "[%s]:%u" : "%s:%u", host,
	         di ? di->port : (unsigned)port);
	snprintf(n->web_addr, sizeof n->web_addr, "%s", shown);
	freeaddrinfo(ai);
	n->web = w;
	log_info("web-started", "listen=%s root=%s threads=%u", n->web_addr, w->root, threads);
	return 0;
fail:
	freeaddrinfo(ai);
	taxonomy_free(w->tax);
	free(w->taxonomy_json);
	pthread_mutex_destroy(&w->lock);
	pthread_mutex_destroy(&w->ics_lock);
	free(w->buckets);
	free(w);
	return rc;
}

void web_stop(struct node *n)
{
	struct web *w = n->web;
	if (!w)
		return;
	if (!w->d)
		return;
	MHD_stop_daemon(w->d);
	taxonomy_free(w->tax);
	free(w->buckets);
	free(w->taxonomy_json);
	pthread_mutex_destroy(&w->lock);
	pthread_mutex_destroy(&w->ics_lock);
	/* the counters stay readable after the stop */
	w->d = NULL;
	w->tax = NULL;
	w->buckets = NULL;
	w->taxonomy_json = NULL;
}

void web_counters(const struct node *n, struct web_counters *out)
{
	memset(out, 0, sizeof *out);
	struct web *w = n->web;
	if (!w)
		return;
	out->requests = atomic_load(&w->requests);
	out->client_errors = atomic_load(&w->client_errors);
	out->rate_limited = atomic_load(&w->rate_limited);
	out->server_errors = atomic_load(&w->server_errors);
}

void web_free(struct node *n)
{
	web_stop(n);
	free(n->web);
	n->web = NULL;
}

/*
 * web_http.h — inside the web server of web.h: what its HTTP layer
 * (web.c: lifecycle, limits, rate limiting, files, dispatch) gives the
 * API handlers (web_api.c), and what they give it.  Not for use outside
 * these two files.
 *
 * Every reply function queues exactly one answer on c with the headers of
 * proto/API.md ("Files": nosniff, no-referrer, the CSP), counts it, and
 * returns what MHD_queue_response() returned (MHD_NO: libmicrohttpd
 * closes the connection).  Functions that take a text or a JSON value
 * take it over, also on failure.
 */
#ifndef GILDE_WEB_HTTP_H
#define GILDE_WEB_HTTP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <microhttpd.h>

#include "proto/err.h"
#include "query/screen.h"
#include "query/search.h"
#include "query/todo.h"
#include "schemas/taxonomy.h"
#include "store/paths.h"

struct node;

#define WEB_PARAMS_MAX 16 /* query parameters a request may carry */

/* The rate limiter's record of one client address. */
struct web_bucket {
	uint8_t addr[16]; /* IPv6, or IPv4-mapped */
	bool used;
	double tokens;
	uint64_t last_ms;
};

/* The server: made by web_start(), read by every request thread. */
struct web {
	struct node *n;
	struct MHD_Daemon *d;
	struct taxonomy *tax;
	struct todo_paths *paths; /* the to-do paths of every match */
	struct match_cache *match_cache; /* the offers' facts between matches (match.h) */
	struct search_cache *search_cache; /* the documents' lengths between searches (search.h) */
	struct screen *screening; /* the screening of foreign start-ups */
	char *desk;               /* [web] desk: this node's partner to ask; NULL: none */
	char root[PATHS_MAX];
	double rate, burst;
	bool behind_proxy;        /* count a local proxy's requests by X-Forwarded-For */
	char *taxonomy_json;      /* GET /api/v1/taxonomy, made once */
	pthread_mutex_t lock;     /* the rate limiter */
	pthread_mutex_t ics_lock; /* libical, which is not thread-safe */
	struct web_bucket *buckets;
	struct web_guard *guard;  /* slow clients (web_guard.h) */
	struct web_cache *answers;/* match answers kept (web_cache.h); NULL: none */
	_Atomic uint64_t requests, client_errors, rate_limited, server_errors;
};

/* Per request: the body of a POST as it arrives. */
struct web_req {
	const char *method; /* "GET", "POST", …: libmicrohttpd's, for the request's life */
	bool seen;      /* answered, or being answered */
	bool too_large; /* its Content-Length is over WEB_BODY_MAX */
	char *body;
	size_t len;
};

/* A header an answer carries besides the usual ones (Allow, Retry-After). */
struct web_header {
	const char *name, *value;
};

/* ---- given by web.c ------------------------------------------------------- */

/* Queue r (NULL: MHD_NO) with Content-Type type, Cache-Control cache and x
 * if not NULL; r is destroyed. */
enum MHD_Result web_queue(struct web *w, struct MHD_Connection *c, unsigned status,
                          struct MHD_Response *r, const char *type, const char *cache,
                          const struct web_header *x);

/* text (len bytes, malloc'd) as the body; not cached. */
enum MHD_Result web_reply_text(struct web *w, struct MHD_Connection *c, unsigned status,
                               char *text, size_t len, const char *type);

/* v as compact JSON; a v that cannot be written (NULL included) becomes
 * a 500 with a fixed error body. */
enum MHD_Result web_reply_json(struct web *w, struct MHD_Connection *c, unsigned status,
                               json_t *v);

/* {"error": {"status", "message", "parameter"}} (proto/API.md); param may
 * be NULL.  The message is cut to 1 KiB and made valid UTF-8. */
enum MHD_Result web_reply_error(struct web *w, struct MHD_Connection *c, unsigned status,
                                const char *param, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* A failure of the node (store, library): a 500 that says to read the log;
 * the log gets url and err's message, the client neither. */
enum MHD_Result web_reply_fail(struct web *w, struct MHD_Connection *c, const char *url,
                               const struct gl_error *err);

/* A request's query parameters, percent-decoded; pointers into c's memory. */
struct web_params {
	const char *k[WEB_PARAMS_MAX];
	const char *v[WEB_PARAMS_MAX];
	unsigned n;
	bool overflow;
	const char *bad; /* the first parameter with a NUL or bytes that are not UTF-8 */
};

/*
 * Read the query string of c against the names an endpoint takes
 * (allowed, NULL-ended).  Returns NULL, or the problem written into msg
 * (msglen bytes) with the parameter to blame in *bad (NULL if none can be
 * named): too many, not UTF-8 or holding a NUL, unknown, given twice.
 */
const char *web_params_read(struct MHD_Connection *c, const char *const *allowed,
                            struct web_params *p, char *msg, size_t msglen, const char **bad);

/* The value of parameter name, or NULL if it was not given. */
const char *web_param(const struct web_params *p, const char *name);

/* ---- given by web_api.c ------------------------------------------------------ */

/* Whether url is the API's to answer (anything under /api/, and the feeds
 * /events.ics and /news.atom); every other path is a file. */
bool web_api_owns(const char *url);

/* Whether an endpoint has this path (some method is allowed there). */
bool web_api_exists(const char *url);

/* The methods the endpoint at url takes: WEB_GET (and HEAD), WEB_POST,
 * WEB_DELETE; a path that is no endpoint takes WEB_GET (a file). */
enum { WEB_GET = 1, WEB_POST = 2, WEB_DELETE = 4 };
unsigned web_api_methods(const char *url);

/* Whether the request says its body is JSON (Content-Type). */
bool web_json_body(struct MHD_Connection *c);

/* Answer a request for a path web_api_owns(), with the method checked and
 * the body (if any) in rq, in a read transaction of the node's store. */
enum MHD_Result web_api_answer(struct web *w, struct MHD_Connection *c, const char *url,
                               const struct web_req *rq);

/* ---- parameters, for the files of endpoints (web_api.c) ------------------------ */

/* Offers per to-do item of POST /api/v1/match (per_item=), and per step of
 * POST /api/v1/screen (per_step=): the default, and the most; 0 asks for
 * all, which is the most too, so that no answer grows with the store. */
#define WEB_MATCH_PER_ITEM 5
#define WEB_MATCH_PER_ITEM_MAX 100

/* Read the query's parameters, each one of names (NULL-terminated); false
 * if one is refused (a 400 naming it is queued, its result in *ok). */
bool web_params_ok(struct web *w, struct MHD_Connection *c, const char *const *names,
                   struct web_params *p, enum MHD_Result *ok);
/* The parameter name (per_item=, per_step=) into *out: dflt if absent, 0
 * ("all") as WEB_MATCH_PER_ITEM_MAX; false if refused (a 400 queued). */
bool web_per_item_read(struct web *w, struct MHD_Connection *c, const struct web_params *p,
                       const char *name, long dflt, long *out, enum MHD_Result *ok);
/* value as a whole number from lo to hi into *out: NULL, or why not in msg. */
const char *web_number_check(const char *value, long lo, long hi, long *out, char *msg,
                             size_t msglen);

/* ---- given by web_screen.c: the screening (proto/API.md) ------------------------ */

struct store_txn;
/* GET /api/v1/screening: the questions. */
enum MHD_Result web_screening(struct web *w, struct MHD_Connection *c, struct store_txn *t,
                              const char *url, const struct web_req *rq);
/* POST /api/v1/screen: the report on a plan's answers. */
enum MHD_Result web_screen(struct web *w, struct MHD_Connection *c, struct store_txn *t,
                           const char *url, const struct web_req *rq);

/* ---- given by web_desk.c: [web] desk, whom a starter asks ---------------------- */

/* At start: log web-desk-missing if [web] desk names no partner record
 * this node publishes (the page would name no one, silently). */
void web_desk_check(struct web *w);
/* The desk for the match answer: {author, id, name in lang}, a new
 * object; NULL if [web] desk is unset or its record is not held. */
json_t *web_desk_json(struct web *w, struct store_txn *t, const char *lang);

/* ---- given by web_insight.c: the endpoints of issue 26 (proto/API.md, Insight) -- */

/* GET /api/v1/insight: the releases this node shows. */
enum MHD_Result web_insight_releases(struct web *w, struct MHD_Connection *c,
                                     struct store_txn *t, const char *url,
                                     const struct web_req *rq);
/* POST, GET and DELETE /api/v1/insight/events: a progress event taken,
 * what a token sent, and withdrawing it. */
enum MHD_Result web_insight_events(struct web *w, struct MHD_Connection *c,
                                   struct store_txn *t, const char *url,
                                   const struct web_req *rq);

#endif

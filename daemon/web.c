/*
 * web.c — the HTTP layer of the web server (web.h): libmicrohttpd's
 * lifecycle, the limits and the rate limiter at the edge, the files of
 * the page, and the dispatch of every other path to the API handlers of
 * web_api.c (web_http.h is the contract between the two).
 */
#include "daemon/web.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utf8proc.h>

#include "daemon/log.h"
#include "daemon/node.h"
#include "daemon/web_cache.h"
#include "daemon/web_guard.h"
#include "daemon/web_http.h"
#include "gilde_config.h"
#include "query/match.h"
#include "query/news.h"

#define CSP "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; " \
            "frame-ancestors 'none'"
#ifndef MHD_HTTP_CONTENT_TOO_LARGE
#define MHD_HTTP_CONTENT_TOO_LARGE 413
#endif

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

enum MHD_Result web_queue(struct web *w, struct MHD_Connection *c, unsigned status,
                          struct MHD_Response *r, const char *type, const char *cache,
                          const struct web_header *x)
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
	return web_queue(w, c, status, r, type, cache, NULL);
}

static enum MHD_Result reply_text_x(struct web *w, struct MHD_Connection *c, unsigned status,
                                    char *text, size_t len, const char *type,
                                    const struct web_header *x)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (!r)
		free(text);
	return web_queue(w, c, status, r, type, "no-store", x);
}

enum MHD_Result web_reply_text(struct web *w, struct MHD_Connection *c, unsigned status,
                               char *text, size_t len, const char *type)
{
	return reply_text_x(w, c, status, text, len, type, NULL);
}

static enum MHD_Result reply_json_x(struct web *w, struct MHD_Connection *c, unsigned status,
                                    json_t *v, const struct web_header *x)
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

enum MHD_Result web_reply_json(struct web *w, struct MHD_Connection *c, unsigned status,
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
                                     const char *param, const struct web_header *x,
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

enum MHD_Result web_reply_error(struct web *w, struct MHD_Connection *c, unsigned status,
                                const char *param, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	enum MHD_Result ok = reply_error_v(w, c, status, param, NULL, fmt, ap);
	va_end(ap);
	return ok;
}

static enum MHD_Result reply_error_x(struct web *w, struct MHD_Connection *c, unsigned status,
                                     const struct web_header *x, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static enum MHD_Result reply_error_x(struct web *w, struct MHD_Connection *c, unsigned status,
                                     const struct web_header *x, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	enum MHD_Result ok = reply_error_v(w, c, status, NULL, x, fmt, ap);
	va_end(ap);
	return ok;
}

/* A store or library failure: the details go to the log, not the client. */
enum MHD_Result web_reply_fail(struct web *w, struct MHD_Connection *c, const char *url,
                               const struct gl_error *err)
{
	char q[600];
	log_error("web-failed", "path=%s reason=%s", log_q(url, q, sizeof q),
	          err->msg[0] ? err->msg : "unknown");
	return web_reply_error(w, c, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL,
	                   "the node could not answer; its log says why");
}
/* -- query parameters ---------------------------------------------------- */

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
	struct web_params *p = cls;
	(void)kind;
	if (p->n == WEB_PARAMS_MAX) {
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

const char *web_params_read(struct MHD_Connection *c, const char *const *allowed,
                            struct web_params *p, char *msg, size_t msglen, const char **bad)
{
	memset(p, 0, sizeof *p);
	*bad = NULL;
	MHD_get_connection_values_n(c, MHD_GET_ARGUMENT_KIND, collect, p);
	if (p->overflow) {
		snprintf(msg, msglen, "more than %d query parameters", WEB_PARAMS_MAX);
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

const char *web_param(const struct web_params *p, const char *name)
{
	for (unsigned i = 0; i < p->n; i++)
		if (!strcmp(p->k[i], name))
			return p->v[i];
	return NULL;
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
		return web_reply_error(w, c, MHD_HTTP_NOT_FOUND, NULL, "no such file");
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
		return web_reply_error(w, c, MHD_HTTP_NOT_FOUND, NULL, "no such file");
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

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Take one token for this address; false (and the seconds to wait) if
 * none is left.  The table is bounded: a new address takes the slot, among
 * eight candidates, that was used longest ago. */
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
	struct web_bucket *b = NULL, *oldest = NULL;
	bool ok;
	pthread_mutex_lock(&w->lock);
	for (unsigned i = 0; i < 8 && !b; i++) {
		struct web_bucket *s = &w->buckets[(h + i) % WEB_RATE_SLOTS];
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
	if (web_api_exists(url))
		return true;
	return strncmp(url, "/api/", 5) && (!strcmp(url, "/") || file_name_ok(url + 1));
}

static enum MHD_Result route(struct web *w, struct MHD_Connection *c, const char *url,
                             const char *method, const struct web_req *rq)
{
	unsigned m = !strcmp(method, "GET") || !strcmp(method, "HEAD") ? WEB_GET
	           : !strcmp(method, "POST") ? WEB_POST : !strcmp(method, "DELETE") ? WEB_DELETE : 0;
	unsigned takes = web_api_methods(url);
	if (!(takes & m) && known_path(url)) {
		char list[32] = "";
		snprintf(list, sizeof list, "%s%s%s", takes & WEB_GET ? ", GET, HEAD" : "",
		         takes & WEB_POST ? ", POST" : "", takes & WEB_DELETE ? ", DELETE" : "");
		struct web_header allow = { MHD_HTTP_HEADER_ALLOW, list + 2 };
		return reply_error_x(w, c, MHD_HTTP_METHOD_NOT_ALLOWED, &allow,
		                     "method not allowed here");
	}
	if (!m)
		return web_reply_error(w, c, MHD_HTTP_NOT_FOUND, NULL, "no such path");
	if (rq->too_large)
		return web_reply_error(w, c, MHD_HTTP_CONTENT_TOO_LARGE, NULL,
		                       "the body is larger than %u bytes", WEB_BODY_MAX);
	if (!web_api_owns(url))
		return serve_file(w, c, url);
	return web_api_answer(w, c, url, rq);
}

/* Content-Length and Transfer-Encoding headers of a request. */
struct framing {
	unsigned length, encoding;
};

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
	struct framing *f = cls;
	(void)kind;
	(void)value;
	f->length += !strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH);
	f->encoding += !strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING);
	return MHD_YES;
}

/*
 * A body whose length two headers tell (two Content-Lengths, or one with
 * a Transfer-Encoding) is read one way here and maybe another by a proxy
 * in front: RFC 9112 (6.1, 6.3) says to refuse it and close (issue 24).
 */
static bool ambiguous_framing(struct MHD_Connection *c)
{
	struct framing f = { 0 };
	MHD_get_connection_values(c, MHD_HEADER_KIND, count_framing, &f);
	return f.length > 1 || (f.length && f.encoding);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **con_cls)
{
	struct web *w = cls;
	struct web_req *rq = *con_cls;
	(void)version;
	if (!rq) {
		/* first call: headers only */
		rq = calloc(1, sizeof *rq);
		if (!rq)
			return MHD_NO;
		*con_cls = rq;
		rq->method = method;
		web_guard_headers(w->guard, c);
		if (ambiguous_framing(c)) {
			struct web_header close = { MHD_HTTP_HEADER_CONNECTION, "close" };
			rq->seen = true;
			return reply_error_x(w, c, MHD_HTTP_BAD_REQUEST, &close,
			                     "a body's length given twice (two Content-Length headers, or "
			                     "one with Transfer-Encoding)");
		}
		unsigned wait_s = 1;
		if (!rate_take(w, c, &wait_s)) {
			char after[16];
			snprintf(after, sizeof after, "%u", wait_s);
			struct web_header retry = { MHD_HTTP_HEADER_RETRY_AFTER, after };
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
	struct web *w = cls;
	(void)why;
	web_guard_answered(w->guard, c); /* the next request's headers are timed */
	struct web_req *rq = *con_cls;
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

/* Free what web_new() made but w itself; the counters stay readable. */
static void web_release(struct web *w)
{
	todo_free(w->paths);
	match_cache_free(w->match_cache);
	search_cache_free(w->search_cache);
	screen_free(w->screening);
	taxonomy_free(w->tax);
	free(w->taxonomy_json);
	free(w->desk);
	w->desk = NULL;
	free(w->buckets);
	web_guard_free(w->guard);
	w->guard = NULL;
	web_cache_free(w->answers);
	w->answers = NULL;
	pthread_mutex_destroy(&w->lock);
	pthread_mutex_destroy(&w->ics_lock);
	w->tax = NULL;
	w->paths = NULL;
	w->match_cache = NULL;
	w->search_cache = NULL;
	w->screening = NULL;
	w->taxonomy_json = NULL;
	w->buckets = NULL;
}

/* The server's state from the configuration, not yet listening. */
static int web_new(struct node *n, struct web **out, struct gl_error *err)
{
	const char *root = n->cfg.web_root ? n->cfg.web_root : GILDE_DATADIR "/web";
	struct web *w = calloc(1, sizeof *w);
	if (!w)
		return gl_errorf(err, GL_EIO, "out of memory");
	if (strlen(root) >= sizeof w->root) {
		free(w);
		return gl_errorf(err, GL_ECONFIG, "[web] root: longer than %zu bytes",
		                 sizeof w->root - 1);
	}
	w->n = n;
	w->rate = (double)n->cfg.web_rate;
	w->burst = (double)n->cfg.web_burst;
	w->behind_proxy = n->cfg.web_behind_proxy;
	snprintf(w->root, sizeof w->root, "%s", root);
	pthread_mutex_init(&w->lock, NULL);
	pthread_mutex_init(&w->ics_lock, NULL);
	w->buckets = calloc(WEB_RATE_SLOTS, sizeof *w->buckets);
	w->guard = web_guard_new((unsigned)n->cfg.web_waiting, n->cfg.web_behind_proxy);
	w->answers = web_cache_new((unsigned)n->cfg.web_answer_cache);
	w->match_cache = match_cache_new(MATCH_CACHE_BYTES);
	w->search_cache = search_cache_new();
	const json_t *terms = json_object_get(schema_set_file(n->schemas, "taxonomy.json"),
	                                      "x-terms");
	w->taxonomy_json = terms ? json_dumps(terms, JSON_COMPACT) : NULL;
	int rc = 0;
	if (!w->buckets || !w->taxonomy_json || !w->guard)
		rc = gl_errorf(err, GL_EIO, w->buckets && w->guard && !terms
		                            ? "taxonomy.json has no x-terms"
		                            : "out of memory, or no thread for the web guard");
	else if (taxonomy_load(n->schemas, &w->tax, err))
		rc = GL_ESCHEMA;
	else if (!(rc = todo_load(n->schemas, w->tax, n->cfg.web_paths, &w->paths, err)))
		rc = screen_load(n->schemas, w->tax, n->cfg.web_screening, &w->screening, err);
	if (rc) {
		web_release(w);
		free(w);
		return rc;
	}
	w->desk = n->cfg.web_desk ? gl_xstrdup(n->cfg.web_desk) : NULL;
	*out = w;
	return 0;
}

/* Start libmicrohttpd's threads on ai; *threads says how many. */
static int web_listen(struct web *w, const struct addrinfo *ai, int port, unsigned *threads,
                      struct gl_error *err)
{
	const struct config *cfg = &w->n->cfg;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned nt = cpus < 1 ? 1 : cpus > WEB_THREADS_MAX ? WEB_THREADS_MAX : (unsigned)cpus;
	if (nt > cfg->web_connections)
		nt = (unsigned)cfg->web_connections; /* each thread takes a share */
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	w->d = MHD_start_daemon(
		flags, (uint16_t)port, web_guard_accept, w->guard, on_request, w,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, w,
		MHD_OPTION_SOCK_ADDR, ai->ai_addr,
		MHD_OPTION_THREAD_POOL_SIZE, nt,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->web_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->web_per_ip,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->web_timeout,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)WEB_HEADER_MEMORY,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, w,
		MHD_OPTION_NOTIFY_CONNECTION, web_guard_notify, w->guard,
		MHD_OPTION_END);
	if (!w->d)
		return gl_errorf(err, GL_EIO, "[web] listen: cannot serve HTTP on %s (is the port in "
		                 "use, or the address not this machine's?)", cfg->web_listen);
	*threads = nt;
	return 0;
}

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
	struct web *w = NULL;
	unsigned threads = 0;
	int rc = web_new(n, &w, err);
	if (rc)
		goto out;
	news_init(); /* libxml2's global state, before the web threads use it */
	char index[PATHS_MAX + 16];
	snprintf(index, sizeof index, "%s/index.html", w->root);
	if (access(index, R_OK) != 0)
		log_warn("web-no-page", "root=%s reason=\"no readable index.html: the API is served, "
		         "the page is not; set [web] root\"", w->root);
	web_desk_check(w);
	if ((rc = web_listen(w, ai, port, &threads, err))) {
		web_release(w);
		free(w);
		goto out;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(w->d, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(n->web_addr, sizeof n->web_addr, ai->ai_family == AF_INET6 ? "[%s]:%u" : "%s:%u",
	         host, di ? di->port : (unsigned)port);
	n->web = w;
	log_info("web-started", "listen=%s root=%s threads=%u", n->web_addr, w->root, threads);
out:
	freeaddrinfo(ai);
	return rc;
}

void web_stop(struct node *n)
{
	struct web *w = n->web;
	if (!w || !w->d)
		return;
	MHD_stop_daemon(w->d);
	w->d = NULL;
	web_release(w);
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
	web_cache_counts(w->answers, &out->answers_cached, &out->answers_computed);
}

void web_free(struct node *n)
{
	web_stop(n);
	free(n->web);
	n->web = NULL;
}

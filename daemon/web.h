/*
 * web.h — the node's directory over HTTP: the starter's page and the
 * read-only JSON API of proto/API.md, when [web] listen is set.
 *
 * libmicrohttpd parses HTTP and runs the server on threads of its own (one
 * per core, at most WEB_THREADS_MAX), so a slow query never stalls gossip
 * on the loop.  They only read: read transactions on the node's store
 * (LMDB readers never wait for the writer); schemas and taxonomy are
 * immutable while they run; the rate limiter and libical, which keeps
 * global state, each behind a mutex.  Nothing a client sends is stored; at
 * debug level the method and path of each request are logged, never a
 * query string or a body.
 *
 * Bounds: connections in all and per address, an idle timeout, request
 * line and headers within WEB_HEADER_MEMORY, a body within WEB_BODY_MAX,
 * and a token bucket per client address ([web] rate and burst).
 *
 * Inside: web.c is the HTTP layer (these bounds, the files, dispatch),
 * web_api.c the endpoints, web_http.h the contract between the two; the
 * answers themselves come from daemon/query/ (directory.h, calendar.h,
 * match.h, …), which gilde links too.
 */
#ifndef GILDE_WEB_H
#define GILDE_WEB_H

#include <stdint.h>

#include "proto/err.h"

struct node;

#define WEB_BODY_MAX (16u << 10)      /* the largest POST body */
#define WEB_HEADER_MEMORY (32u << 10) /* request line and headers, per connection */
#define WEB_RATE_SLOTS 4096           /* client addresses the rate limiter remembers */
#define WEB_THREADS_MAX 8

struct web_counters {
	uint64_t requests;     /* answered, any status */
	uint64_t client_errors;/* 4xx, rate limiting included */
	uint64_t rate_limited; /* 429 */
	uint64_t server_errors;/* 5xx */
	uint64_t answers_cached;   /* match and search answered from the answers kept */
	uint64_t answers_computed; /* ... and made afresh (the cache on) */
};

/* Start serving if [web] listen is set; the bound address goes to
 * n->web_addr.  Returns 0, or GL_ECONFIG / GL_EIO with err naming the
 * option or the address. */
int web_start(struct node *n, struct gl_error *err);

/* Stop accepting, finish the requests in progress, and join the thread.
 * Safe to call when the server never started. */
void web_stop(struct node *n);

/* Stop if still serving, and free what web_start() made. */
void web_free(struct node *n);

/* The counters so far (all zero when not serving). */
void web_counters(const struct node *n, struct web_counters *out);

#endif

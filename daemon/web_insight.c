/*
 * web_insight.c — the endpoints of issue 26 (proto/API.md, "Insight"):
 * a starter's page sends progress events, reads what its token sent and
 * withdraws it; anyone reads the releases.
 *
 * The token travels in the Insight-Token header, never in the path or the
 * query: the node logs paths (at debug level) and a reverse proxy logs
 * query strings, and neither must hold it.  Nothing here logs the body,
 * the token or the client's address; the rate limiter of web.c keeps
 * addresses in memory only, as for every request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/insightd.h"
#include "daemon/node.h"
#include "daemon/web.h"
#include "daemon/web_http.h"
#include "query/insight.h"

#define JSON_TYPE "application/json; charset=utf-8"
#define TOKEN_HEADER "Insight-Token"

/* 429 with Retry-After: the node takes no more events just now. */
static enum MHD_Result busy(struct web *w, struct MHD_Connection *c, const char *msg)
{
	json_t *e = json_pack("{s:{s:i, s:s}}", "error", "status", MHD_HTTP_TOO_MANY_REQUESTS,
	                      "message", msg);
	char *text = json_dumps(e, JSON_COMPACT);
	json_decref(e);
	if (!text)
		return MHD_NO;
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), text,
	                                                         MHD_RESPMEM_MUST_FREE);
	if (!r)
		free(text);
	struct web_header retry = { MHD_HTTP_HEADER_RETRY_AFTER, "1" };
	return web_queue(w, c, MHD_HTTP_TOO_MANY_REQUESTS, r, JSON_TYPE, "no-store", &retry);
}

/* A refusal of insightd_*: the status it means, or a failure of the node. */
static enum MHD_Result refused(struct web *w, struct MHD_Connection *c, const char *url,
                               const struct gl_error *err)
{
	switch (err->code) {
	case GL_ENOTFOUND:
		return web_reply_error(w, c, MHD_HTTP_NOT_FOUND, NULL, "this node takes no progress "
		                       "events ([insight] is off)");
	case GL_EBUSY:
		return busy(w, c, err->msg);
	case GL_ELIMIT:
		return busy(w, c, "this token has sent all the events it may");
	case GL_EJSON:
	case GL_ESCHEMA:
	case GL_ETIME:
	case GL_EREFUSED:
	case GL_EFORMAT:
		return web_reply_error(w, c, MHD_HTTP_BAD_REQUEST, NULL, "%s", err->msg);
	default:
		return web_reply_fail(w, c, url, err);
	}
}

static bool no_params(struct web *w, struct MHD_Connection *c, enum MHD_Result *ok)
{
	static const char *const none[] = { NULL };
	struct web_params p;
	char msg[512];
	const char *bad;
	if (!web_params_read(c, none, &p, msg, sizeof msg, &bad))
		return true;
	*ok = web_reply_error(w, c, MHD_HTTP_BAD_REQUEST, bad, "%s", msg);
	return false;
}

enum MHD_Result web_insight_releases(struct web *w, struct MHD_Connection *c,
                                     struct store_txn *t, const char *url,
                                     const struct web_req *rq)
{
	(void)rq;
	static const char *const names[] = { "from", NULL };
	struct web_params p;
	enum MHD_Result ok;
	if (!web_params_ok(w, c, names, &p, &ok))
		return ok;
	const char *from = web_param(&p, "from");
	struct gl_error err = { 0 };
	json_t *list;
	int rc = insightd_releases(w->n, t, from, &list, &err);
	if (rc == GL_ENOTFOUND || rc == GL_EFORMAT)
		return web_reply_error(w, c, MHD_HTTP_NOT_FOUND, "from", "%s", err.msg);
	if (rc)
		return web_reply_fail(w, c, url, &err);
	return web_reply_json(w, c, MHD_HTTP_OK,
	                      json_pack("{s:b, s:o}", "collecting", insightd_collecting(w->n),
	                                "releases", list));
}

static enum MHD_Result take(struct web *w, struct MHD_Connection *c, const char *url,
                            const struct web_req *rq)
{
	struct gl_error err = { 0 };
	bool stored = false;
	if (!insightd_collecting(w->n))
		return refused(w, c, url, &(struct gl_error){ .code = GL_ENOTFOUND });
	if (rq->len > INSIGHT_EVENT_MAX)
		return web_reply_error(w, c, MHD_HTTP_CONTENT_TOO_LARGE, NULL, "an event is at most "
		                       "%d bytes", INSIGHT_EVENT_MAX);
	if (!web_json_body(c))
		return web_reply_error(w, c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, NULL,
		                       "send the event as Content-Type: application/json");
	if (insightd_take(w->n, rq->body, rq->len, &stored, &err))
		return refused(w, c, url, &err);
	return web_reply_json(w, c, MHD_HTTP_OK, json_pack("{s:b}", "stored", stored));
}

enum MHD_Result web_insight_events(struct web *w, struct MHD_Connection *c,
                                   struct store_txn *t, const char *url,
                                   const struct web_req *rq)
{
	(void)t;
	enum MHD_Result ok;
	if (!no_params(w, c, &ok))
		return ok;
	if (!strcmp(rq->method, "POST"))
		return take(w, c, url, rq);
	struct gl_error err = { 0 };
	if (!insightd_collecting(w->n))
		return refused(w, c, url, &(struct gl_error){ .code = GL_ENOTFOUND });
	const char *token = MHD_lookup_connection_value(c, MHD_HEADER_KIND, TOKEN_HEADER);
	if (!token)
		return web_reply_error(w, c, MHD_HTTP_BAD_REQUEST, NULL, "send the token in the "
		                       TOKEN_HEADER " header");
	if (!strcmp(rq->method, "DELETE")) {
		unsigned removed = 0;
		if (insightd_withdraw(w->n, token, &removed, &err))
			return refused(w, c, url, &err);
		return web_reply_json(w, c, MHD_HTTP_OK, json_pack("{s:i}", "withdrawn", (int)removed));
	}
	json_t *events;
	if (insightd_sent(w->n, token, &events, &err))
		return refused(w, c, url, &err);
	return web_reply_json(w, c, MHD_HTTP_OK, json_pack("{s:o}", "events", events));
}

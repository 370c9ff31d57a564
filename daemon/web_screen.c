/*
 * web_screen.c — the screening of a foreign start-up's plan (proto/API.md,
 * GET /api/v1/screening and POST /api/v1/screen): the questions, and the
 * report on a plan's answers.  The answers are forgotten once answered.
 */
#include <stdio.h>
#include <string.h>

#include "daemon/node.h"
#include "daemon/web.h"
#include "daemon/web_http.h"
#include "query/screen.h"

enum MHD_Result web_screening(struct web *w, struct MHD_Connection *c, struct store_txn *t,
                              const char *url, const struct web_req *rq)
{
	(void)t, (void)url, (void)rq;
	return web_reply_json(w, c, MHD_HTTP_OK, screen_questions(w->screening));
}

/* The body of POST /api/v1/screen: {"answers": {…}, "lang": "nl"|"en"}; NULL
 * with why in msg. */
static json_t *screen_body(const struct web_req *rq, const char **lang, char *msg, size_t n)
{
	json_error_t jerr;
	json_t *body = json_loadb(rq->body ? rq->body : "", rq->len, JSON_REJECT_DUPLICATES, &jerr);
	const char *key;
	json_t *v;
	if (!body) {
		snprintf(msg, n, "the body is not JSON: line %d: %s", jerr.line, jerr.text);
		return NULL;
	}
	*lang = json_string_value(json_object_get(body, "lang"));
	json_object_foreach(body, key, v)
		if (strcmp(key, "answers") && strcmp(key, "lang"))
			break;
	if (!json_is_object(body) || key || !json_is_object(json_object_get(body, "answers")))
		snprintf(msg, n, "the body is {\"answers\": {question id: answer, …}, \"lang\": "
		         "\"en\"}, nothing else");
	else if (json_object_get(body, "lang") && (!*lang || (strcmp(*lang, "nl") &&
	                                                       strcmp(*lang, "en"))))
		snprintf(msg, n, "lang: give nl or en");
	else
		return body;
	json_decref(body);
	return NULL;
}

enum MHD_Result web_screen(struct web *w, struct MHD_Connection *c, struct store_txn *t,
                           const char *url, const struct web_req *rq)
{
	static const char *const names[] = { "per_step", NULL };
	struct web_params p;
	enum MHD_Result ok;
	char msg[512];
	long per_step;
	const char *lang = NULL;
	if (!web_params_ok(w, c, names, &p, &ok) ||
	    !web_per_item_read(w, c, &p, "per_step", SCREEN_PER_STEP, &per_step, &ok))
		return ok;
	if (!web_json_body(c))
		return web_reply_error(w, c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, NULL,
		                       "send the answers as Content-Type: application/json");
	json_t *body = screen_body(rq, &lang, msg, sizeof msg);
	if (!body)
		return web_reply_error(w, c, MHD_HTTP_BAD_REQUEST, NULL, "%s", msg);
	struct screen_opts o = { .lang = lang, .per_step = (unsigned)per_step, .paths = w->paths };
	struct gl_error err = { 0 };
	json_t *res = NULL;
	int rc = screen_report(t, w->tax, w->n->schemas, w->screening, json_object_get(body, "answers"),
	                       &o, &res, &err);
	json_decref(body); /* the answers are forgotten here */
	if (rc == GL_ESCHEMA)
		return web_reply_error(w, c, MHD_HTTP_BAD_REQUEST, NULL, "%s", err.msg);
	if (rc)
		return web_reply_fail(w, c, url, &err);
	return web_reply_json(w, c, MHD_HTTP_OK, res);
}

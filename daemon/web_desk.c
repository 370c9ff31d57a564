/*
 * web_desk.c — [web] desk: the partner a city's page names to a starter
 * when no offer fits a step (gilde.conf(5); proto/API.md, "desk" in the
 * match answer).  The desk is a partner record this node publishes; its
 * name is read from the store when asked, in the answer's language.
 */
#include <stdlib.h>

#include "daemon/log.h"
#include "daemon/node.h"
#include "daemon/web_http.h"
#include "proto/ident.h"
#include "query/view.h"
#include "store/store.h"

/* The desk's name in lang, from the node's own partner record; NULL if
 * [web] desk is unset or the node holds no such live record. */
static char *desk_name(struct web *w, struct store_txn *t, const char *lang)
{
	return w->desk ? view_partner_name(t, w->n->pk, w->desk, lang) : NULL;
}

void web_desk_check(struct web *w)
{
	struct store_txn *t;
	if (!w->desk || store_begin(w->n->store, false, &t, NULL))
		return;
	char *name = desk_name(w, t, "en");
	store_abort(t);
	if (!name)
		log_warn("web-desk-missing", "desk=%s reason=\"this node publishes no partner record "
		         "with that id: the page names no desk to ask until it does\"", w->desk);
	free(name);
}

json_t *web_desk_json(struct web *w, struct store_txn *t, const char *lang)
{
	char *name = desk_name(w, t, lang);
	if (!name)
		return NULL;
	char author[IDENT_TEXT_MAX];
	ident_format(IDENT_PK_PREFIX, w->n->pk, author);
	json_t *d = json_pack("{s:s, s:s, s:s}", "author", author, "id", w->desk, "name", name);
	free(name);
	return d;
}

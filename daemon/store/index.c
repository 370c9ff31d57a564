/*
 * index.c — the secondary indexes kept in step with the records, in the
 * same write transaction (store_int.h): events by start time (eventindex.c),
 * the full-text index (textindex.c) and the derived values (derived.c).
 */
#include <string.h>

#include "store/eventindex.h"
#include "store/textindex.h"
#include "store/store_int.h"

int store_index_open(struct store *s, MDB_txn *txn, unsigned flags, unsigned layout)
{
	int rc;
	if ((rc = mdb_dbi_open(txn, "events", flags, &s->events)) ||
	    (!s->rdonly && (rc = eventindex_upgrade(s, txn))))
		return rc;
	/* a rebuild under way (reindex.c) has left its mark */
	MDB_val mk = { .mv_size = strlen(REINDEX_MARK), .mv_data = REINDEX_MARK }, mv;
	if ((rc = mdb_get(txn, s->meta, &mk, &mv)) && rc != MDB_NOTFOUND)
		return rc;
	bool marked = rc == 0;
	/* an index cut by other rules (textindex.h) finds other terms than a
	 * query now asks for: a rebuild, as for an older layout */
	uint8_t rules[TEXTINDEX_RULES_LEN];
	textindex_rules(rules);
	MDB_val rk = { .mv_size = strlen(TEXTINDEX_RULES_KEY), .mv_data = TEXTINDEX_RULES_KEY }, rv;
	if ((rc = mdb_get(txn, s->meta, &rk, &rv)) && rc != MDB_NOTFOUND)
		return rc;
	bool same_rules = rc == 0 && rv.mv_size == sizeof rules &&
	                  !memcmp(rv.mv_data, rules, sizeof rules);
	s->has_search = layout >= 6 && !marked && same_rules;
	if (!s->has_search && s->rdonly)
		return 0; /* read without search until gilded rebuilds it */
	if ((rc = mdb_dbi_open(txn, "postings", flags | MDB_DUPSORT | MDB_DUPFIXED, &s->postings)) ||
	    (rc = mdb_dbi_open(txn, "docs", flags, &s->docs)) ||
	    (rc = mdb_dbi_open(txn, "docnums", flags, &s->docnums)))
		return rc;
	/* layout 6's block maxima (textindex.h): an older store has none, and
	 * a write open rebuilds its index, which fills them */
	rc = mdb_dbi_open(txn, "blocks", flags | MDB_DUPSORT | MDB_DUPFIXED, &s->blocks);
	if (rc)
		return rc;
	/* layout 5's queue (textindex.h); made empty in an older store by a
	 * write open, absent from one a read-only open finds */
	rc = mdb_dbi_open(txn, "textqueue", flags, &s->textqueue);
	s->has_textqueue = rc == 0;
	if ((rc && rc != MDB_NOTFOUND) || s->rdonly)
		return rc == MDB_NOTFOUND ? 0 : rc;
	if (rc)
		return rc;
	/* layout 2 and 3 kept postings by record key in "terms": the rebuild
	 * drops them in its first step, and goes on from its mark after a
	 * crash or a failure; a layout 4 index out of step, or cut by other
	 * rules, is rebuilt too, and so is one of layout 4 or 5, which lacks
	 * the block maxima */
	bool out_of_step = false;
	if (layout >= 4 && !marked && (rc = textindex_check(txn, s, &out_of_step)))
		return rc;
	s->reindex = layout < 6 || marked || !same_rules || out_of_step || s->force_reindex;
	s->has_search = true;
	return 0;
}

int store_index_added(struct store_txn *t, const uint8_t *rkey, size_t rlen,
                      const struct record *r, const struct textindex_terms *cut,
                      struct gl_error *err)
{
	int rc = 0;
	if (r->kind == RK_EVENT && (rc = eventindex_add(t, rkey, rlen, r, err)))
		return rc;
	if (textindex_searchable(r->kind) && (rc = textindex_add(t, rkey, rlen, r, cut, err)))
		return rc;
	return store_derived_put(t, rkey, rlen, r, err);
}

int store_index_removed(struct store_txn *t, const uint8_t *rkey, size_t rlen,
                        const struct store_entry *old, struct gl_error *err)
{
	struct record r;
	if (record_parse(old->env, old->env_len, &r, NULL) != 0 || !r.body)
		return gl_errorf(err, GL_ESTORE, "%s: a held record does not parse", t->s->path);
	int rc = 0;
	if (r.kind == RK_EVENT && (rc = eventindex_remove(t, rkey, rlen, &r, err)))
		return rc;
	if (textindex_searchable(r.kind) && (rc = textindex_remove(t, rkey, rlen, &r, err)))
		return rc;
	return store_derived_del(t, rkey, rlen, r.kind, err);
}

/*
 * reindex.c — the search index rebuilt at a write open, in steps
 * (store_int.h: store_reindex).
 */
#include <string.h>

#include "store/textindex.h"
#include "store/store_int.h"

/*
 * A write open of layout 2 or 3, of an index out of step, or of one cut
 * by other rules (another gilde, another taxonomy): the search index
 * again, in layout 4's form, in steps, each a transaction of its own, so
 * that none keeps the whole index's pages in memory or maps them at once.
 * REINDEX_MARK in meta (store_int.h) says where it is:
 *   1            emptying the old index (textindex_empty_step), after the
 *                first transaction dropped layout 3's "terms";
 *   2 || key     indexing the records after key (none: from the first;
 *                textindex_rebuild_step).
 * The last step removes the mark and writes the layout and the rules the
 * index was cut by (textindex.h: textindex_rules).  While the mark
 * is there the index is incomplete: a read-only open does not search
 * (index.c), and the next write open goes on from the mark, after a
 * crash or a failure (a full map, say) alike.
 */
enum { MARK_EMPTYING = 1, MARK_INDEXING = 2 };

int store_reindex(struct store *s, struct gl_error *err)
{
	struct store_txn *t;
	uint8_t at[1 + STORE_KEY_MAX], last[STORE_KEY_MAX];
	size_t at_len = 0, last_len;
	const void *mark;
	size_t mark_len;
	int rc = store_begin(s, true, &t, err);
	if (rc)
		return rc;
	if ((rc = store_meta_get(t, REINDEX_MARK, &mark, &mark_len)) == 0 && mark_len >= 1 &&
	    mark_len <= sizeof at &&
	    ((((const uint8_t *)mark)[0] == MARK_EMPTYING && mark_len == 1) ||
	     ((const uint8_t *)mark)[0] == MARK_INDEXING)) {
		memcpy(at, mark, mark_len); /* go on from there */
		at_len = mark_len;
		store_abort(t);
	} else {
		MDB_dbi old;
		at[0] = MARK_EMPTYING;
		at_len = 1;
		if ((rc = mdb_dbi_open(t->txn, "terms", 0, &old)) == 0)
			rc = mdb_drop(t->txn, old, 1);
		if (rc && rc != MDB_NOTFOUND) {
			store_abort(t);
			return store_mdb_fail(rc, err, s, "drop the old search index");
		}
		if ((rc = store_meta_put(t, REINDEX_MARK, at, at_len, err))) {
			store_abort(t);
			return rc;
		}
		if ((rc = store_commit(t, err)))
			return rc;
	}
	for (bool done = false; !done;) {
		if ((rc = store_begin(s, true, &t, err)))
			return rc;
		uint8_t layout = STORE_LAYOUT, rules[TEXTINDEX_RULES_LEN];
		textindex_rules(rules);
		if (at[0] == MARK_EMPTYING) {
			bool empty;
			if ((rc = textindex_empty_step(t, TEXTINDEX_EMPTY_STEP_TERMS, &empty, err)) == 0 &&
			    empty) {
				at[0] = MARK_INDEXING;
				rc = store_meta_put(t, REINDEX_MARK, at, at_len, err);
			}
		} else if ((rc = textindex_rebuild_step(t, at_len > 1 ? at + 1 : NULL, at_len - 1, last,
		                                     &last_len, &done, &s->reindex_skipped,
		                                     err))) {
			/* below */
		} else if (done) {
			MDB_val k = { .mv_size = strlen(REINDEX_MARK), .mv_data = REINDEX_MARK };
			if ((rc = mdb_del(t->txn, s->meta, &k, NULL)))
				rc = store_mdb_fail(rc, err, s, "write meta");
			else if ((rc = store_meta_put(t, "layout", &layout, sizeof layout, err)) == 0)
				rc = store_meta_put(t, TEXTINDEX_RULES_KEY, rules, sizeof rules, err);
		} else {
			memcpy(at + 1, last, last_len);
			at_len = 1 + last_len;
			rc = store_meta_put(t, REINDEX_MARK, at, at_len, err);
		}
		if (rc) {
			store_abort(t);
			return rc;
		}
		if ((rc = store_commit(t, err)))
			return rc;
		s->reindex_steps++;
	}
	s->reindex = false;
	s->reindexed = true;
	return 0;
}

bool store_reindexed(const struct store *s, uint64_t *skipped, unsigned *steps)
{
	if (skipped)
		*skipped = s->reindex_skipped;
	if (steps)
		*steps = s->reindex_steps;
	return s->reindexed;
}

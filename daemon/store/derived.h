/*
 * derived.h — a table of values derived from records, kept in step with
 * them in their write transaction, for readers that would otherwise decode
 * every record on every question (query/match.c: each offer's eligibility
 * as bit sets, read by every match).
 *
 * The store does not know what the values mean: whoever opens the store
 * for writing hands it a struct store_derive (store_options.derive; the
 * query library fills one), whose version names the encoding.  Layout:
 *
 *   derived-by-author  key  author || kind   vals  id || NUL || the bytes
 *                                               fn() made (sorted duplicates:
 *                                               in the records' key order)
 *   meta     "derived-by-author"                val  the version they were
 *                                                    made with
 *   meta     "derived-generation"               val  uint64 (host order): one
 *                                                    more in each transaction
 *                                                    that changes the table
 *   meta     "derived-packed"                   val  the packed copy, below
 *
 * The packed copy is the whole table in one value: the generation it was
 * made at (uint64, host order), then for each key in order its 33 bytes,
 * its number of values (uint32, little-endian) and each value as its
 * length (uint16, little-endian) and bytes.  Why: the table's pages are
 * spread over the file by the writes that made them, so a process that
 * reads it for the first time takes a page fault for nearly every page
 * (884 of them for 100,000 offers, 70 ms on this machine's virtualised
 * page tables); one value lies on consecutive pages, which the kernel
 * maps sixteen at a time (104 faults, 7-10 ms).  Readers use it only while
 * its generation is the table's (so any write to the table leaves it
 * unused until it is made again); the daemon makes it again when its
 * writer is idle (daemon/writer.c: pack).
 *
 * Invariants: when meta "derived-by-author" holds version V, every live record of
 * the deriver's kind has the entry V's fn() makes of it (or none, where fn
 * makes none), and nothing else is in the table.  A write open with a
 * deriver of another version (or none before) rebuilds the table in that
 * open; a write open without a deriver deletes that version, so a table
 * that writes without it would leave out of step is never read.
 *
 * The generation is never lowered nor deleted: a reader that keeps a copy
 * of the table (query/match.c's cache) may reuse it while the table is
 * ready with the same version and the generation is the one it copied;
 * a rebuild counts a generation too.
 *
 * A write open also drops the table of the layout before (meta "derived",
 * one value per record key), which it no longer keeps in step.
 *
 * Readers ask store_derived_ready() with the version they understand, and
 * decode the records themselves when it says no.
 */
#ifndef GILDE_STORE_DERIVED_H
#define GILDE_STORE_DERIVED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/alloc.h"
#include "proto/err.h"
#include "proto/record.h"

/* The longest version text. */
#define STORE_DERIVE_VERSION_MAX 128
/* The longest value fn() may make (the table's values are LMDB keys of
 * at most 511 bytes, the id before them). */
#define STORE_DERIVE_VALUE_MAX 400

struct store_derive {
	const char *version;  /* names the encoding; at most STORE_DERIVE_VERSION_MAX bytes */
	int kind;             /* the kind of record it derives a value from (RK_OFFER, …) */
	/*
	 * The value of live record r (its body parsed) into out, which is
	 * empty; leave it empty for no entry.  At most STORE_DERIVE_VALUE_MAX
	 * bytes: a longer one fails the write.  Called in the write
	 * transaction, on the writer's thread: it must not touch the store.
	 * Returns 0, or an error that fails the write.
	 */
	int (*fn)(void *ctx, const struct record *r, struct gl_buf *out, struct gl_error *err);
	void *ctx;
};

struct store_txn;

/* Whether the table is in step and made with version. */
bool store_derived_ready(struct store_txn *t, const char *version);

/* The table's generation in t (above); 0 for a store that has counted
 * none yet (made before the count), which no copy should be kept for. */
uint64_t store_derived_generation(struct store_txn *t);

/* Called for each entry: rkey (rlen bytes) and the value (len bytes), both
 * pointing into the store, valid until t ends.  Non-zero stops. */
typedef int (*store_derived_fn)(void *ctx, const uint8_t *rkey, size_t rlen, const uint8_t *val,
                                size_t len);

/* Walk the table in key order: from the packed copy while it holds the
 * table as it is, else from the table.  Returns 0, fn's non-zero value,
 * or GL_ESTORE / GL_EIO. */
int store_derived_scan(struct store_txn *t, store_derived_fn fn, void *ctx,
                       struct gl_error *err);

/* Whether the packed copy in t holds the table as it is (a table with no
 * generation counted is never packed). */
bool store_derived_packed(struct store_txn *t);

/*
 * Make the packed copy of the table as it is in t, a write transaction,
 * unless it holds it already; *wrote says whether it was made.  The copy
 * is written in place (no buffer of its size is held in memory).
 * Returns 0 or GL_ESTORE / GL_EIO / GL_EFULL (store_mdb_fail's codes).
 */
int store_derived_pack(struct store_txn *t, bool *wrote, struct gl_error *err);

#endif

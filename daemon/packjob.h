/*
 * packjob.h — the packed copy of the offers' facts (store/derived.h), made
 * again by the writer when it has nothing else to do.
 *
 * A write that changes an offer leaves the packed copy unused (its
 * generation is no longer the table's) until this makes it again: readers
 * meanwhile read the table itself, the same facts more slowly the first
 * time.  Checked once a second; made only while the writer is idle and
 * at most once every PACKJOB_INTERVAL_MS, so that a stream of publishes
 * does not rewrite the whole copy for each one (100,000 offers: 5 MiB).
 */
#ifndef GILDE_DAEMON_PACKJOB_H
#define GILDE_DAEMON_PACKJOB_H

#include "daemon/node.h"

/* At most one copy made in this long. */
#define PACKJOB_INTERVAL_MS 10000

/* On the loop thread, once a second: submit the job if the copy is stale. */
void packjob_tick(struct node *n);

#endif

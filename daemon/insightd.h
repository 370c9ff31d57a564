/*
 * insightd.h — the node's side of issue 26: the progress events starters
 * agree to send ([insight], gilde.conf(5)), and the figures released from
 * them.
 *
 *   - Taking: from the web API (web_insight.c, on libmicrohttpd's threads)
 *     and the control socket (op "insight", for gilde plan, on the thread
 *     pool): each event checked (query/insight.h), its partner looked up
 *     in the directory, kept in DATA/insight (store/progress.h) under its
 *     token's hash.  One token bucket for all starters together ([insight]
 *     rate, burst) and PROGRESS_TOKEN_EVENTS_MAX per token bound it.
 *     Nothing about the sender is kept: no address, no time but the week.
 *   - What a token sent, and withdrawing it: every event of the token.
 *   - Releasing: 200 ms after the start and then every [insight] release
 *     (sys-insight restarts the node to release at a moment it chooses),
 *     on the thread pool, events past [insight] retention are deleted
 *     and the figures released anew
 *     (query/release.h) when events changed or the week turned; with
 *     [insight] publish, the release is signed as insight records on the
 *     writer (one per bucket, tombstones for buckets gone) and announced.
 *
 * With [insight] enabled false, nothing is taken (the callers answer 404)
 * and no release is kept; if DATA/insight holds events from before, they
 * are still deleted as they pass the retention.  The [insight] options
 * are read once, at start.
 */
#ifndef GILDE_INSIGHTD_H
#define GILDE_INSIGHTD_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "daemon/ctl.h"
#include "daemon/node.h"
#include "proto/err.h"

/* Open DATA/insight if [insight] is on or it exists, and start the
 * releases.  Returns 0 or the error of opening it. */
int insightd_start(struct node *n, struct gl_error *err);
/* Stop the timer (node_stop); a release under way finishes. */
void insightd_stop(struct node *n);
/* Close and free, once the loop has run out. */
void insightd_free(struct node *n);

/* Whether the node takes progress events ([insight] enabled), and its k
 * (0 when it does not).  Any thread. */
bool insightd_collecting(const struct node *n);
unsigned insightd_k(const struct node *n);

/*
 * Take an event (len bytes of JSON).  Any thread.  *stored is false for
 * an event the token holds already.  Returns 0, GL_ENOTFOUND (not
 * collecting), GL_EBUSY (over [insight] rate), GL_ELIMIT (too large, or
 * the token holds all it may), GL_EJSON / GL_ESCHEMA / GL_ETIME (a bad
 * event: err says what), GL_EREFUSED (no such partner in the directory),
 * or a store error.  err never holds the token.
 */
int insightd_take(struct node *n, const char *text, size_t len, bool *stored,
                  struct gl_error *err);

/* What token sent: a new array of events (insight_event_json), oldest
 * first.  GL_ENOTFOUND (not collecting), GL_EFORMAT (not a token), or a
 * store error. */
int insightd_sent(struct node *n, const char *token, json_t **out, struct gl_error *err);

/* Delete every event of token; *removed says how many.  As insightd_sent. */
int insightd_withdraw(struct node *n, const char *token, unsigned *removed,
                      struct gl_error *err);

/* The releases the node shows (query/release.h, release_list) in t, the
 * one whose "from" is from (NULL: the first) with its buckets.  Any
 * thread.  0 and a new array, GL_ENOTFOUND if from names none, or a store
 * error. */
int insightd_releases(struct node *n, struct store_txn *t, const char *from, json_t **out,
                      struct gl_error *err);

/* What gaps by demand reads of the first release (query/release.h,
 * release_demand).  Any thread.  0 and a new object or NULL for none, or
 * a store error. */
int insightd_demand(struct node *n, struct store_txn *t, json_t **out, struct gl_error *err);

/* gilde status: the map "insight" {"collecting", "events", "releases":
 * made since start, "published": records signed since start}, as one
 * key and value of the status answer; nothing without DATA/insight. */
bool insightd_has_status(const struct node *n);
void insightd_pack_status(struct node *n, msgpack_packer *pk);

/* The control socket's op "insight" (PROTOCOL.md 5). */
void insightd_ctl(struct ctl_req *rq, const msgpack_object *req);

#endif

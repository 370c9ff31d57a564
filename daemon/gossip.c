#include "daemon/gossip.h"

#include <stdlib.h>
#include <string.h>

#include "proto/alloc.h"
#include "proto/clock.h"
#include "daemon/gossip_int.h"
#include "daemon/log.h"
#include "daemon/net.h"
#include "daemon/reconjob.h"
#include "daemon/sketch.h"
#include "proto/record.h"

/* Items we may ask one peer for (WANT) and not have received: a record
 * that arrives gives its place back, and the whole budget comes back over
 * WANT_TTL_MS.  A peer announcing (HAVE) what it never sends was answered
 * one WANT per HAVE, 39 MB in and 41.8 MB out (issue 24); past the budget
 * its HAVEs are left to reconciliation. */
#define WANT_PEER_MAX 8192
/* Messages of a type this version does not know, per UNKNOWN_WINDOW_MS:
 * a later version's are few; 2,000 of 60 KB were a flood within the byte
 * budget (issue 24).  Past either bound the peer has misbehaved. */
#define UNKNOWN_WINDOW_MS 10000
#define UNKNOWN_WINDOW_MAX 16
#define UNKNOWN_WINDOW_BYTES (1u << 20)
#define WANTED_MAX 16384
/* Most items queued to send to one peer; the rest waits for the next reconciliation. */
#define GIVE_MAX (1u << 18)


void gossip_init(struct node *n)
{
	n->gossip = gl_xcalloc(1, sizeof *n->gossip);
	itemset_init(&n->gossip->wanted, WANTED_MAX);
	reconjob_init(n);
	sketch_start(n);
}

void gossip_free(struct node *n)
{
	reconjob_free(n);
	sketch_free(n);
	if (!n->gossip)
		return;
	itemset_free(&n->gossip->wanted);
	free(n->gossip);
	n->gossip = NULL;
}

static void send_and_free(struct conn *c, struct gl_buf *m)
{
	conn_send(c, m);
	gl_buf_free(m);
}

void gossip_send(struct conn *c, struct gl_buf *m)
{
	send_and_free(c, m);
}

void gossip_mark_wanted(struct node *n, const uint8_t (*items)[32], size_t count)
{
	uint64_t now = clock_mono_ms();
	for (size_t i = 0; i < count; i++)
		itemset_put(&n->gossip->wanted, items[i], now);
}

void gossip_unmark_wanted(struct node *n, const uint8_t (*items)[32], size_t count)
{
	for (size_t i = 0; i < count; i++)
		itemset_del(&n->gossip->wanted, items[i]);
}

bool gossip_asked_recently(void *node, const uint8_t item[32])
{
	struct node *n = node;
	uint64_t asked = itemset_get(&n->gossip->wanted, item);
	return asked && clock_mono_ms() - asked < WANT_TTL_MS;
}

/* WANT or HAVE the n items, WIRE_ITEMS_MAX to a message. */
static void send_items(struct conn *c, unsigned type, const uint8_t (*items)[32], size_t n)
{
	for (size_t off = 0; off < n; off += WIRE_ITEMS_MAX) {
		size_t m = n - off < WIRE_ITEMS_MAX ? n - off : WIRE_ITEMS_MAX;
		struct gl_buf msg = { 0 };
		wire_items(&msg, type, items + off, m);
		send_and_free(c, &msg);
	}
}

/* ---- asking and giving ------------------------------------------------- */

/* Does the store hold this item, or a version of its key that wins? */
static bool held_or_beaten(struct store_txn *t, const uint8_t item[32])
{
	struct store_entry e;
	uint8_t held[32];
	bool exact;
	if (store_get_by_item(t, item, &e, held, &exact, NULL) != 0)
		return false;
	/* items compare by version then content prefix after the equal key hash */
	return memcmp(held + 16, item + 16, 16) >= 0;
}

static void request(struct conn *c, const uint8_t (*items)[32], size_t n, bool check_store)
{
	struct node *nd = c->node;
	uint64_t now = clock_mono_ms();
	uint8_t (*want)[32] = n ? gl_xmalloc(n * 32) : NULL;
	size_t k = 0;
	struct store_txn *t = NULL;
	if (check_store && store_begin(nd->store, false, &t, NULL) != 0)
		t = NULL;
	for (size_t i = 0; i < n; i++) {
		if (check_store && c->want_tokens <= 0) {
			/* over its WANT budget: reconciliation will find the rest */
			c->st.have_dropped += n - i;
			break;
		}
		if (t && held_or_beaten(t, items[i]))
			continue;
		uint64_t asked = itemset_get(&nd->gossip->wanted, items[i]);
		if (asked && now - asked < WANT_TTL_MS)
			continue;
		itemset_put(&nd->gossip->wanted, items[i], now);
		memcpy(want[k++], items[i], 32);
		c->want_tokens--;
	}
	store_abort(t);
	send_items(c, WIRE_WANT, (const uint8_t (*)[32])want, k);
	c->st.want_out += k;
	free(want);
}

static void queue_give(struct conn *c, const uint8_t (*items)[32], size_t n)
{
	struct recon_items *g = &c->give;
	if (n == 0)
		return; /* items may be NULL then */
	if (c->give_pos == g->n) {
		g->n = c->give_pos = 0;
	}
	if (g->n + n > GIVE_MAX)
		n = g->n < GIVE_MAX ? GIVE_MAX - g->n : 0;
	if (g->n + n > g->cap) {
		size_t cap = g->cap ? g->cap : 256;
		while (cap < g->n + n)
			cap *= 2;
		g->v = gl_xrealloc(g->v, cap * 32);
		g->cap = cap;
	}
	memcpy(g->v + g->n, items, n * 32);
	g->n += n;
	c->give_queued += n;
}

static void pump(struct conn *c);

size_t gossip_give(struct conn *c, const uint8_t (*items)[32], size_t n, bool fresh_filter)
{
	if (!fresh_filter) {
		size_t before = c->give_queued;
		queue_give(c, items, n);
		return (size_t)(c->give_queued - before);
	}
	uint8_t (*keep)[32] = n ? gl_xmalloc(n * 32) : NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!gossip_pushed(c, items[i]))
			memcpy(keep[k++], items[i], 32);
	size_t before = c->give_queued;
	queue_give(c, (const uint8_t (*)[32])keep, k);
	free(keep);
	return (size_t)(c->give_queued - before);
}

void gossip_sent_due(struct conn *c, uint64_t sid, uint64_t records, bool after_spans)
{
	if (c->nsent_due == sizeof c->sent_due / sizeof c->sent_due[0]) {
		log_debug("sent-dropped", "peer=%s sid=%llu", c->remote_key, (unsigned long long)sid);
		return;
	}
	c->sent_due[c->nsent_due++] = (struct conn_sent){ sid, c->give_queued, records, after_spans };
	pump(c);
}

/* SENT for each session whose records are all out (PROTOCOL.md 6.7.3). */
static void send_sent(struct conn *c)
{
	while (c->nsent_due && c->state == CONN_OPEN) {
		struct conn_sent *d = &c->sent_due[0];
		if (d->upto > c->give_done || (d->after_spans && c->nspans))
			return;
		uint64_t records = d->records;
		if (d->sid == 0) { /* v1: what it gave, spans included, counted as sent */
			records = c->v1_given;
			c->v1_given = 0;
		}
		struct gl_buf msg = { 0 };
		recon2_msg_sent(&msg, d->sid, records);
		send_and_free(c, &msg);
		c->st.sent_out++;
		memmove(d, d + 1, --c->nsent_due * sizeof *d);
	}
}

/* One frame's worth of a span's records, read in key order. */
struct span_fill {
	struct conn *c;
	const uint8_t *envs[WIRE_RECORDS_MAX];
	size_t lens[WIRE_RECORDS_MAX], count, bytes;
	unsigned visits; /* entries read; bounds the time of one pump */
};

/* Entries read per pump (the rest waits for the next write or tick): a span
 * narrower than the store would otherwise hold the loop for a whole scan. */
#define SPAN_VISITS_MAX 65536

static int span_visit(void *arg, const struct store_entry *e)
{
	struct span_fill *f = arg;
	struct conn *c = f->c;
	if (f->count == WIRE_RECORDS_MAX || f->bytes + e->env_len + 8 > FRAME_MAX ||
	    f->visits >= SPAN_VISITS_MAX)
		return 1; /* e is not consumed: the next frame starts at it */
	f->visits++;
	c->span_pos_len = store_entry_key(e, c->span_pos);
	struct record r = { .author = e->author, .kind = e->kind, .id = e->id,
	                    .id_len = e->id_len, .version = e->version };
	uint8_t item[RECORD_ITEM_LEN];
	record_item(&r, e->cid, item);
	if (!recon_span_wants(&c->spans[0], item) ||
	    gossip_pushed(c, item))
		return 0;
	c->v1_given++;
	f->envs[f->count] = e->env;
	f->lens[f->count++] = e->env_len;
	f->bytes += e->env_len + 8;
	itemcache_put(&c->known, item);
	return 0;
}

static void span_done(struct conn *c)
{
	recon_span_free(&c->spans[0]);
	memmove(&c->spans[0], &c->spans[1], (c->nspans - 1) * sizeof c->spans[0]);
	c->nspans--;
	c->span_pos_len = 0;
}

static void send_records(struct conn *c, const uint8_t *const *envs, const size_t *lens,
                         size_t count)
{
	struct gl_buf msg = { 0 };
	wire_records_head(&msg, count);
	for (size_t i = 0; i < count; i++)
		wire_records_add(&msg, envs[i], lens[i]);
	c->st.records_out += count;
	send_and_free(c, &msg);
}

/* Send from the first span while the peer reads; false when no frame could
 * be filled now (the visit budget is spent). */
static bool pump_span(struct conn *c, unsigned *visits)
{
	struct store_txn *t;
	if (store_begin(c->node->store, false, &t, NULL) != 0)
		return false;
	struct span_fill f = { .c = c, .bytes = 64 };
	struct gl_error err = { 0 };
	int rc = store_scan_from(t, c->span_pos_len ? c->span_pos : NULL, c->span_pos_len,
	                         span_visit, &f, &err);
	*visits += f.visits;
	if (f.count)
		send_records(c, f.envs, f.lens, f.count);
	store_abort(t);
	if (rc < 0) {
		char q[600];
		log_error("span-failed", "peer=%s reason=%s", c->remote_key, log_q(err.msg, q, sizeof q));
		span_done(c);
		return true;
	}
	if (rc == 0) {
		c->st.spans_out++;
		span_done(c); /* read to the end */
	}
	return f.count > 0 || rc == 0;
}

static void pump(struct conn *c)
{
	struct node *n = c->node;
	while (c->state == CONN_OPEN && c->wq_bytes < CONN_WRITE_HIGH && c->give_pos < c->give.n) {
		struct store_txn *t;
		if (store_begin(n->store, false, &t, NULL) != 0)
			return;
		size_t pos0 = c->give_pos;
		const uint8_t *envs[WIRE_RECORDS_MAX];
		size_t lens[WIRE_RECORDS_MAX], count = 0, bytes = 64;
		while (c->give_pos < c->give.n && count < WIRE_RECORDS_MAX) {
			const uint8_t *item = c->give.v[c->give_pos];
			struct store_entry e;
			uint8_t held[32];
			bool exact;
			/* what is queued here the peer said it lacks (WANT, or its side of a
			 * reconciliation): no cache second-guesses that, since the peer may
			 * have refused the record before (its author not trusted then) */
			if (store_get_by_item(t, item, &e, held, &exact, NULL) != 0) {
				c->give_pos++;
				continue;
			}
			if (bytes + e.env_len + 8 > FRAME_MAX)
				break;
			envs[count] = e.env;
			lens[count++] = e.env_len;
			bytes += e.env_len + 8;
			itemcache_put(&c->known, held);
			c->give_pos++;
		}
		if (count)
			send_records(c, envs, lens, count);
		store_abort(t);
		c->give_done += c->give_pos - pos0;
	}
	if (c->give_pos == c->give.n && c->give.cap > 65536) {
		free(c->give.v);
		memset(&c->give, 0, sizeof c->give);
		c->give_pos = 0;
	}
	/* then the spans, once what was asked item by item is out */
	unsigned visits = 0;
	while (c->state == CONN_OPEN && c->wq_bytes < CONN_WRITE_HIGH && c->give_pos == c->give.n &&
	       c->nspans && visits < SPAN_VISITS_MAX)
		if (!pump_span(c, &visits))
			break;
	send_sent(c);
}

void gossip_pump(struct conn *c)
{
	pump(c);
}

/* ---- reconciliation ----------------------------------------------------- */

void gossip_recon_stats(struct conn *c, unsigned version, uint64_t started_ms, unsigned rounds,
                        uint64_t bytes)
{
	uint64_t now = clock_mono_ms();
	c->st.recons++;
	c->st.recons_v2 += version == RECON2_VERSION; /* by coded symbols */
	c->st.last_recon_version = version;
	c->st.last_recon_ms = clock_now_ms(); /* shown as a date (gilde peers): wall */
	c->st.last_recon_duration_ms = now - started_ms;
	c->st.last_recon_rounds = rounds;
	c->st.last_recon_bytes = bytes;
	log_debug("recon-done", "peer=%s version=%u rounds=%u bytes=%llu ms=%llu", c->remote_key,
	          version, rounds, (unsigned long long)bytes,
	          (unsigned long long)c->st.last_recon_duration_ms);
}

static void recon_finished(struct conn *c, uint64_t now)
{
	gossip_recon_stats(c, 1, c->recon_started_ms, c->recon_rounds, c->recon_bytes);
	if (c->recon_active && c->recon_running == 2)
		return; /* the peer's v1 ended; ours, v2, runs on (its session says when it ends) */
	/* the next of ours, on any link, once its records came: SENT 0 from a
	 * v2 peer, or a moment for a v1 peer's */
	gossip2_release(c, c->recon_version >= 2 ? RECON_SENT_WAIT_MS : RECON_V1_WAIT_MS, 0);
	c->recon_active = false;
	c->recon_rounds = 0;
	c->recon_bytes = 0;
	c->next_recon_ms = now + c->node->cfg.recon_interval * 1000;
}

/* Act on a reconciliation step: send its message, then what it found. */
static void recon_apply(struct conn *c, struct recon_out *out, bool initiate)
{
	if (out->msg.len) {
		struct gl_buf msg = { 0 };
		wire_recon(&msg, out->msg.data, out->msg.len);
		c->recon_rounds++;
		c->recon_bytes += out->msg.len;
		send_and_free(c, &msg);
	}
	if (initiate)
		return;
	if (out->finished) {
		recon_finished(c, clock_mono_ms());
		if (c->recon_version >= 2) /* SENT 0 once what it gives is out */
			gossip_sent_due(c, 0, 0, true);
	}
	for (size_t i = 0; i < out->nspans; i++) {
		if (c->nspans == CONN_SPANS_MAX) {
			log_debug("span-dropped", "peer=%s reason=\"%u spans queued; left to a later round\"",
			          c->remote_key, c->nspans);
			break;
		}
		c->spans[c->nspans++] = out->spans[i];
		memset(&out->spans[i], 0, sizeof out->spans[i]); /* the connection owns it now */
	}
	if (out->give.n)
		c->v1_given += gossip_give(c, (const uint8_t (*)[32])out->give.v, out->give.n, true);
	if (out->give.n || out->nspans)
		pump(c);
	if (out->take.n)
		request(c, (const uint8_t (*)[32])out->take.v, out->take.n, false);
}

/* A scan done (reconjob.h): charge it, send the answer, queue what to give,
 * ask for what to take; reading resumes unless the scan budget is spent. */
static void recon_scanned(struct conn *c, struct reconjob_result *r)
{
	struct recon_out *out = &r->out;
	c->st.scanned += r->scanned;
	c->scan_tokens -= (int64_t)r->scanned;
	if (c->scan_tokens < 0)
		c->st.throttled++; /* its next scans wait for the budget (reconjob.h) */
	char q[600];
	if (r->rc && r->initiate) {
		log_error("recon-failed", "peer=%s reason=%s", c->remote_key, log_q(r->err.msg, q, sizeof q));
	} else if (r->rc) {
		/* a malformed RECON is the peer's doing, as a malformed frame is */
		log_info("peer-protocol", "peer=%s reason=%s", c->remote_key,
		         log_q(r->err.msg, q, sizeof q));
		conn_misbehaved(c, "malformed reconciliation");
	} else {
		recon_apply(c, out, r->initiate);
	}
	recon_out_free(out);
}

static void start_recon(struct conn *c)
{
	if (c->recon_jobs) {
		c->recon_force_v1 = true; /* a fallback's v1 waits for the next tick */
		return; /* an answer is being worked out: the next tick tries again */
	}
	c->recon_force_v1 = false;
	c->recon_active = true;
	c->recon_running = 1;
	gossip2_own(c);
	c->recon_started_ms = c->recon_answer_ms = clock_mono_ms();
	c->recon_rounds = 0;
	c->recon_bytes = 0;
	reconjob_submit(c, NULL, 0, recon_scanned);
}

void gossip_start_v1(struct conn *c)
{
	start_recon(c);
}

/* Start ours: v2 when both speak it and the sketch is ready, else v1. */
static void begin_recon(struct conn *c)
{
	if (!gossip2_may_start(c)) {
		c->recon_now = !c->outbound; /* another link's runs: the tick tries again */
		return;
	}
	if (!c->recon_force_v1 && gossip2_start(c))
		return;
	/* both speak v2 and the sketch is nearly built (a small store's takes
	 * milliseconds): wait for it a little, ticking, rather than run v1 */
	if (!c->recon_force_v1 && c->recon_version >= 2 && sketch_building(c->node) &&
	    clock_mono_ms() - c->opened_ms < RECON_SKETCH_WAIT_MS) {
		c->recon_now = !c->outbound; /* the tick starts it, whichever side */
		return;
	}
	start_recon(c);
}

/* A reconciliation takes a few messages; a stream of them only makes us scan. */
#define RECON_WINDOW_MS 10000
#define RECON_WINDOW_MAX 64

bool gossip_recon_window(struct conn *c)
{
	uint64_t now = clock_mono_ms();
	if (now - c->recon_window_ms > RECON_WINDOW_MS) {
		c->recon_window_ms = now;
		c->recon_window_count = 0;
	}
	if (++c->recon_window_count > RECON_WINDOW_MAX) {
		conn_misbehaved(c, "too many reconciliation messages");
		return false;
	}
	return true;
}

static void on_recon(struct conn *c, const struct wire_msg *m)
{
	uint64_t now = clock_mono_ms();
	if (!gossip_recon_window(c))
		return;
	if (c->recon_active && c->recon_running == 1)
		c->recon_answer_ms = now; /* v1 carries no session: any RECON is an answer */
	if (!c->recon_active && c->recon_rounds == 0)
		c->recon_started_ms = now; /* the peer started one */
	c->recon_rounds++;
	c->recon_bytes += m->recon_len;
	reconjob_submit(c, m->recon, m->recon_len, recon_scanned);
}

/* Once a second: the scan and WANT budgets come back (up to twice a
 * second's scans, and WANT_PEER_MAX), and scans that waited for the
 * budget may start. */
static void refill(struct conn *c)
{
	int64_t rate = RECONJOB_ITEMS_PER_S;
	c->scan_tokens = c->scan_tokens + rate > 2 * rate ? 2 * rate : c->scan_tokens + rate;
	int64_t w = c->want_tokens + WANT_PEER_MAX / (WANT_TTL_MS / 1000);
	c->want_tokens = w > WANT_PEER_MAX ? WANT_PEER_MAX : w;
	if (c->recon_jobs)
		reconjob_kick(c->node); /* its scans may have waited for this */
}

static void on_tick(struct conn *c, uint64_t now)
{
	struct node *n = c->node;
	refill(c);
	if (c->state != CONN_OPEN)
		return;
	if (now >= n->gossip->next_expire_ms) {
		itemset_expire(&n->gossip->wanted, now - WANT_TTL_MS);
		n->gossip->next_expire_ms = now + 5000;
	}
	/* the dialling side keeps the rhythm; either side may start one when
	 * trust changed (two crossing reconciliations are harmless: every
	 * answer stands on its own) */
	if (c->nspans && c->wq_bytes == 0)
		pump(c); /* a span whose reading paused on its visit budget */
	if (c->recon_active && now - c->recon_answer_ms > RECON_GIVE_UP_MS) {
		log_info("recon-abandoned", "peer=%s version=%u reason=\"no answer for %u s\"",
		         c->remote_key, c->recon_running, RECON_GIVE_UP_MS / 1000);
		c->st.recons_abandoned++;
		c->recon_active = false;
		gossip2_release(c, 0, 0);
		recon2_init_free(&c->r2_init);
		c->next_recon_ms = now + c->node->cfg.recon_interval * 1000;
	}
	if (c->hello && !c->recon_active && (c->outbound || c->recon_now) && now >= c->next_recon_ms) {
		c->recon_now = false;
		begin_recon(c);
	}
}

void gossip_trust_changed(struct node *n)
{
	for (struct conn *c = net_conns(n); c; c = c->next) {
		if (c->state != CONN_OPEN)
			continue;
		c->recon_now = true;
		c->next_recon_ms = 0;
		/* nothing asked of a peer in the meantime should wait for the wanted timeout */
	}
	itemset_expire(&n->gossip->wanted, UINT64_MAX);
}

/* ---- records arriving from a peer --------------------------------------
 *
 * One way: on_records() receives them (a copy, charged to the peer's
 * budget; reading pauses while too much is in flight); ingest_submit()
 * verifies them on the pool and writes them in one job of the writer
 * (ingest.h); peer_batch_done() takes the outcomes on the loop (what the
 * peer holds, whether it sent forgeries, reading resumes) and
 * gossip_stored() announces what was stored.
 */

struct peer_batch {
	struct ingest_batch b;
	struct gl_buf data;
	struct conn *c;
};

static void peer_batch_done(struct ingest_batch *b);

static void on_records(struct conn *c, const struct wire_msg *m)
{
	struct peer_batch *pb = gl_xcalloc(1, sizeof *pb);
	pb->c = c;
	pb->b.n = m->nenv;
	pb->b.recs = gl_xcalloc(m->nenv, sizeof *pb->b.recs);
	size_t total = 0;
	for (size_t i = 0; i < m->nenv; i++)
		total += m->env_len[i];
	gl_buf_reserve(&pb->data, total);
	for (size_t i = 0; i < m->nenv; i++) {
		pb->b.recs[i].env = pb->data.data + pb->data.len;
		pb->b.recs[i].len = m->env_len[i];
		gl_buf_append(&pb->data, m->env[i], m->env_len[i]);
	}
	pb->b.done = peer_batch_done;
	pb->b.ctx = pb;
	conn_ref(c);
	conn_charge_records(c, m->nenv);
	c->ingest_bytes += pb->data.len;
	if (++c->ingest_inflight >= CONN_INGEST_MAX || c->ingest_bytes >= CONN_INGEST_BYTES)
		conn_pause(c);
	ingest_submit(c->node, &pb->b);
}

static void peer_batch_done(struct ingest_batch *b)
{
	struct peer_batch *pb = b->ctx;
	struct conn *c = pb->c;
	struct node *n = c->node;
	for (size_t i = 0; i < b->n; i++) {
		struct ingest_rec *r = &b->recs[i];
		/* refused ones too: the peer holds them, and they may be asked again
		 * as soon as their author becomes trusted */
		if (!r->parsed)
			continue;
		itemcache_put(&c->known, r->item);
		itemset_del(&n->gossip->wanted, r->item);
	}
	c->st.records_in += b->n;
	c->st.dups_in += b->older;
	/* records that came give their place in the WANT budget back */
	c->want_tokens = c->want_tokens + (int64_t)b->n > WANT_PEER_MAX ? WANT_PEER_MAX
	                                                                : c->want_tokens + (int64_t)b->n;
	/* forged or malformed envelopes are the sender's doing; refused, expired
	 * or schema-failing records may be an honest peer's version skew */
	size_t bad = 0;
	for (size_t i = 0; i < b->n; i++) {
		const struct ingest_rec *r = &b->recs[i];
		int e = r->error;
		bad += r->outcome == INGEST_REJECTED &&
		       (e == GL_ESIG || e == GL_EFORMAT || e == GL_ETRUNC || e == GL_ELIMIT);
	}
	/* the first rejection's message may quote the record's text: log_q */
	char q[600];
	if (b->rejected > b->refused)
		log_info("peer-rejected", "peer=%s count=%u first=%s", c->remote_key,
		         b->rejected - b->refused, log_q(b->err.msg, q, 300));
	if (b->refused)
		log_debug("peer-refused", "peer=%s count=%u first=%s", c->remote_key,
		          b->refused, log_q(b->err.msg, q, 300));
	if (b->rc)
		log_error("store-failed", "peer=%s reason=%s", c->remote_key, log_q(b->err.msg, q, sizeof q));
	else
		gossip_stored(n, b, c);
	c->ingest_inflight--;
	c->ingest_bytes -= pb->data.len;
	gl_buf_free(&pb->data);
	free(b->recs);
	curate_changes_free(&b->changes);
	free(pb);
	if (bad && c->state != CONN_CLOSING) {
		char why[96];
		snprintf(why, sizeof why, "%zu forged or malformed record%s", bad, bad == 1 ? "" : "s");
		conn_misbehaved(c, why);
	} else if (c->ingest_inflight < CONN_INGEST_MAX && c->ingest_bytes < CONN_INGEST_BYTES) {
		conn_resume(c);
	}
	conn_unref(c);
}

/* ---- messages ----------------------------------------------------------- */

static void on_open(struct conn *c)
{
	struct node *n = c->node;
	c->scan_tokens = 2 * (int64_t)RECONJOB_ITEMS_PER_S;
	c->want_tokens = WANT_PEER_MAX;
	struct gl_buf msg = { 0 };
	unsigned versions = gossip2_versions();
	if (versions != WIRE_RECON_V1)
		wire_hello_recon(&msg, n->name, (const char *const *)n->endpoints.v, n->endpoints.n,
		                 clock_now_ms(), versions); /* HELLO's clock: the wall's */
	else /* as a node before v2 did */
		wire_hello(&msg, n->name, (const char *const *)n->endpoints.v, n->endpoints.n,
		           clock_now_ms());
	send_and_free(c, &msg);
}

static void on_unknown(struct conn *c)
{
	uint64_t now = clock_mono_ms();
	c->st.unknown_in++;
	if (now - c->unknown_window_ms > UNKNOWN_WINDOW_MS) {
		c->unknown_window_ms = now;
		c->unknown_window_count = 0;
		c->unknown_window_bytes = 0;
	}
	c->unknown_window_bytes += c->plain.len; /* the message being handled */
	if (++c->unknown_window_count > UNKNOWN_WINDOW_MAX ||
	    c->unknown_window_bytes > UNKNOWN_WINDOW_BYTES)
		conn_misbehaved(c, "too many messages of unknown types");
}

static void on_message(struct conn *c, const struct wire_msg *m)
{
	if (!c->hello && m->type != WIRE_HELLO) {
		conn_close(c, "expected HELLO first");
		return;
	}
	switch (m->type) {
	case WIRE_HELLO: {
		if (c->hello) {
			conn_close(c, "second HELLO");
			return;
		}
		c->hello = true;
		c->hello_ms = clock_mono_ms();
		size_t nl = m->name_len < WIRE_NAME_MAX ? m->name_len : WIRE_NAME_MAX;
		memcpy(c->remote_name, m->name, nl);
		c->remote_name[nl] = '\0';
		char q[300];
		log_info("peer-open", "peer=%s name=%s addr=%s direction=%s", c->remote_key,
		         log_q(c->remote_name, q, sizeof q), c->remote, c->outbound ? "out" : "in");
		for (unsigned i = 0; i < m->nendpoints; i++)
			net_learn(c->node, c->remote_pk, m->endpoints[i], m->endpoint_len[i], false);
		if (m->clock_ms) {
			/* off by the time the HELLO travelled: fine for a skew of seconds */
			c->st.clock_known = true;
			c->st.clock_offset_ms = (int64_t)(m->clock_ms - clock_now_ms()); /* wall - wall */
			int64_t off = c->st.clock_offset_ms < 0 ? -c->st.clock_offset_ms : c->st.clock_offset_ms;
			if ((uint64_t)off / 1000 > c->node->cfg.max_clock_skew)
				log_warn("peer-clock", "peer=%s offset_ms=%lld reason=\"its clock or ours is off by "
				         "more than [limits] max_clock_skew: records it signs now may be refused\"",
				         c->remote_key, (long long)c->st.clock_offset_ms);
		}
		gossip2_hello(c, m);
		if (c->outbound)
			begin_recon(c);
		break;
	}
	case WIRE_RECON:
		on_recon(c, m);
		break;
	case WIRE_WANT:
		c->st.want_in += m->nitems;
		queue_give(c, (const uint8_t (*)[32])m->items, m->nitems);
		pump(c);
		break;
	case WIRE_HAVE:
		c->st.have_in += m->nitems;
		/* each item costs a lookup: charged as a record is */
		conn_charge_records(c, m->nitems);
		for (size_t i = 0; i < m->nitems; i++)
			itemcache_put(&c->known, m->items[i]);
		request(c, (const uint8_t (*)[32])m->items, m->nitems, true);
		break;
	case WIRE_RECORDS:
		on_records(c, m);
		break;
	case WIRE_PING: {
		struct gl_buf msg = { 0 };
		wire_ping(&msg, WIRE_PONG, m->nonce);
		send_and_free(c, &msg);
		break;
	}
	case WIRE_PONG:
		break;
	case WIRE_BYE: {
		char why[WIRE_REASON_MAX + 1];
		memcpy(why, m->reason, m->reason_len);
		why[m->reason_len] = '\0';
		char q[600];
		log_debug("peer-bye", "peer=%s reason=%s", c->remote_key, log_q(why, q, sizeof q));
		conn_close(c, "peer said goodbye");
		break;
	}
	default:
		if (recon2_is_type(m->type) && c->recon_version >= 2)
			gossip2_message(c, c->plain.data, c->plain.len);
		else
			on_unknown(c); /* a later version's message: ignored, within bounds */
		break;
	}
}

static void on_close(struct conn *c, const char *why)
{
	(void)why;
	free(c->give.v);
	memset(&c->give, 0, sizeof c->give);
	c->give_pos = 0;
	while (c->nspans)
		span_done(c);
	c->nsent_due = 0;
	gossip2_close(c);
}

/* What gossip does on a link: net_start() passes it to every connection. */
const struct conn_cb gossip_link = {
	.opened = on_open,
	.message = on_message,
	.writable = pump,
	.tick = on_tick,
	.closed = on_close,
};

#include "daemon/gossip.h"

#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "proto/alloc.h"
#include "proto/clock.h"
#include "daemon/log.h"
#include "daemon/net.h"
#include "daemon/reconjob.h"
#include "proto/record.h"

/* An item asked for is not asked again (of any peer) for this long. */
#define WANT_TTL_MS 30000
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

struct gossip {
	struct itemset wanted;
	uint64_t next_expire_ms;
};

void gossip_init(struct node *n)
{
	n->gossip = gl_xcalloc(1, sizeof *n->gossip);
	itemset_init(&n->gossip->wanted, WANTED_MAX);
	reconjob_init(n);
}

void gossip_free(struct node *n)
{
	reconjob_free(n);
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
	uint64_t now = clock_now_ms();
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
	if (!recon_span_wants(&c->spans[0], item))
		return 0;
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
}

/* ---- reconciliation ----------------------------------------------------- */

static void recon_finished(struct conn *c, uint64_t now)
{
	c->st.recons++;
	c->st.last_recon_ms = now;
	c->st.last_recon_duration_ms = now - c->recon_started_ms;
	c->st.last_recon_rounds = c->recon_rounds;
	c->st.last_recon_bytes = c->recon_bytes;
	log_debug("recon-done", "peer=%s rounds=%u bytes=%llu ms=%llu", c->remote_key,
	          c->recon_rounds, (unsigned long long)c->recon_bytes,
	          (unsigned long long)c->st.last_recon_duration_ms);
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
	if (out->finished)
		recon_finished(c, clock_now_ms());
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
		queue_give(c, (const uint8_t (*)[32])out->give.v, out->give.n);
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
	if (c->recon_jobs)
		return; /* an answer is being worked out: the next tick tries again */
	c->recon_active = true;
	c->recon_started_ms = clock_now_ms();
	c->recon_rounds = 0;
	c->recon_bytes = 0;
	reconjob_submit(c, NULL, 0, recon_scanned);
}

/* A reconciliation takes a few messages; a stream of them only makes us scan. */
#define RECON_WINDOW_MS 10000
#define RECON_WINDOW_MAX 64

static void on_recon(struct conn *c, const struct wire_msg *m)
{
	uint64_t now = clock_now_ms();
	if (now - c->recon_window_ms > RECON_WINDOW_MS) {
		c->recon_window_ms = now;
		c->recon_window_count = 0;
	}
	if (++c->recon_window_count > RECON_WINDOW_MAX) {
		conn_misbehaved(c, "too many reconciliation messages");
		return;
	}
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
	if (c->hello && !c->recon_active && (c->outbound || c->recon_now) && now >= c->next_recon_ms) {
		c->recon_now = false;
		start_recon(c);
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
	wire_hello(&msg, n->name, (const char *const *)n->endpoints.v, n->endpoints.n,
	           clock_now_ms());
	send_and_free(c, &msg);
}

static void on_unknown(struct conn *c)
{
	uint64_t now = clock_now_ms();
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
			c->st.clock_offset_ms = (int64_t)(m->clock_ms - clock_now_ms());
			int64_t off = c->st.clock_offset_ms < 0 ? -c->st.clock_offset_ms : c->st.clock_offset_ms;
			if ((uint64_t)off / 1000 > c->node->cfg.max_clock_skew)
				log_warn("peer-clock", "peer=%s offset_ms=%lld reason=\"its clock or ours is off by "
				         "more than [limits] max_clock_skew: records it signs now may be refused\"",
				         c->remote_key, (long long)c->st.clock_offset_ms);
		}
		if (c->outbound)
			start_recon(c);
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
}

/* What gossip does on a link: net_start() passes it to every connection. */
const struct conn_cb gossip_link = {
	.opened = on_open,
	.message = on_message,
	.writable = pump,
	.tick = on_tick,
	.closed = on_close,
};

/* ---- announcing --------------------------------------------------------- */

void gossip_announce(struct node *n, const uint8_t (*items)[32], size_t count, struct conn *from)
{
	if (!count)
		return;
	uint8_t (*tell)[32] = gl_xmalloc(count * 32);
	for (struct conn *c = net_conns(n); c; c = c->next) {
		if (c == from || c->state != CONN_OPEN || !c->hello)
			continue;
		size_t k = 0;
		for (size_t i = 0; i < count; i++) {
			if (itemcache_has(&c->known, items[i]) || itemcache_has(&c->announced, items[i]))
				continue;
			itemcache_put(&c->announced, items[i]);
			memcpy(tell[k++], items[i], 32);
		}
		send_items(c, WIRE_HAVE, (const uint8_t (*)[32])tell, k);
		c->st.have_out += k;
	}
	free(tell);
}

/* Endpoints of a node record's body, for discovery. */
static void learn_from_node_record(struct node *n, const struct record *r)
{
	if (!r->body || memcmp(r->author, n->pk, 32) == 0)
		return;
	msgpack_zone zone;
	msgpack_zone_init(&zone, 1024);
	msgpack_object o;
	size_t off = 0;
	if (msgpack_unpack((const char *)r->body, r->body_len, &off, &zone, &o) ==
	    MSGPACK_UNPACK_SUCCESS && o.type == MSGPACK_OBJECT_MAP) {
		for (uint32_t i = 0; i < o.via.map.size; i++) {
			const msgpack_object *k = &o.via.map.ptr[i].key, *v = &o.via.map.ptr[i].val;
			if (k->type != MSGPACK_OBJECT_STR || k->via.str.size != 9 ||
			    memcmp(k->via.str.ptr, "endpoints", 9) || v->type != MSGPACK_OBJECT_ARRAY)
				continue;
			for (uint32_t j = 0; j < v->via.array.size; j++)
				if (v->via.array.ptr[j].type == MSGPACK_OBJECT_STR)
					net_learn(n, r->author, v->via.array.ptr[j].via.str.ptr,
					          v->via.array.ptr[j].via.str.size, true);
		}
	}
	msgpack_zone_destroy(&zone);
}

void gossip_stored(struct node *n, const struct ingest_batch *b, struct conn *from)
{
	uint8_t (*items)[32] = b->n ? gl_xmalloc(b->n * 32) : NULL;
	size_t k = 0;
	for (size_t i = 0; i < b->n; i++) {
		const struct ingest_rec *r = &b->recs[i];
		if (!ingest_stored(r))
			continue;
		memcpy(items[k++], r->item, RECORD_ITEM_LEN);
		if (log_get_level() >= LOG_DEBUG)
			log_debug("stored", "kind=%s id=%.*s version=%llu from=%s",
			          record_kind_name(r->rec.kind), (int)r->rec.id_len, r->rec.id,
			          (unsigned long long)r->rec.version, from ? from->remote_key : "local");
		if (r->rec.kind == RK_NODE)
			learn_from_node_record(n, &r->rec);
	}
	gossip_announce(n, (const uint8_t (*)[32])items, k, from);
	free(items);
	gossip_curated(n, &b->changes);
}

void gossip_curated(struct node *n, const struct curate_changes *ch)
{
	/* records admitted with an endorsement came from this node's
	 * applications, statements signed here from nowhere else: every
	 * peer may lack them */
	gossip_announce(n, (const uint8_t (*)[32])ch->announce.v, ch->announce.n, NULL);
	if (ch->trust_changed)
		gossip_trust_changed(n);
}

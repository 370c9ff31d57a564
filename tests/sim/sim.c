/*
 * sim.c — the simulated federation (sim.h): the clock and its events,
 * TCP-like links, and each node's handling of the messages, modelled on
 * daemon/gossip.c with proto/ doing the protocol's work.
 */
#include "sim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>
#include <sodium.h>

#include "proto/record.h"
#include "proto/wire.h"

enum ev_kind { EV_MSG, EV_STORE, EV_OPEN, EV_RECON, EV_TICK, EV_CHURN, EV_PUBLISH };

struct ev {
	uint64_t t, seq;
	int kind;
	void *a;
	void *b;
};

struct msg {
	struct sim_conn *to;
	struct gl_buf b;
	int cls;
};

/* Records received in one RECORDS message, stored together. */
struct batch {
	struct sim_node *node;
	struct sim_conn *from;
	bool given;              /* sent by a reconciliation, not asked with WANT */
	size_t *recs;
	size_t n;
};

struct sim {
	struct sim_params p;
	uint64_t now, seq;
	struct ev *heap;
	size_t nheap, heap_cap;
	struct sim_node *nodes;
	uint8_t (*base)[32];
	size_t nbase;
	struct riblt_sketch base_sketch;
	struct sim_rec *recs;
	size_t nrecs, recs_cap;
	struct imap rec_index; /* item -> record index + 1 */
	uint64_t rng;
	uint64_t publish_every;
	struct sim_conn **all; /* every connection end ever made, freed at the end */
	size_t nall, all_cap;
};

/* ---- randomness and time ---- */

static uint64_t rnd(struct sim *s)
{
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static double unif(struct sim *s)
{
	return (double)(rnd(s) >> 11) / 9007199254740992.0;
}

uint64_t sim_now(const struct sim *s)
{
	return s->now;
}

/* ---- the event heap ---- */

static bool ev_before(const struct ev *x, const struct ev *y)
{
	return x->t < y->t || (x->t == y->t && x->seq < y->seq);
}

static void schedule(struct sim *s, uint64_t t, int kind, void *a, void *b)
{
	if (s->nheap == s->heap_cap) {
		s->heap_cap = s->heap_cap ? 2 * s->heap_cap : 4096;
		s->heap = gl_xrealloc(s->heap, s->heap_cap * sizeof *s->heap);
	}
	size_t i = s->nheap++;
	struct ev e = { .t = t, .seq = s->seq++, .kind = kind, .a = a, .b = b };
	while (i > 0 && ev_before(&e, &s->heap[(i - 1) / 2])) {
		s->heap[i] = s->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	s->heap[i] = e;
}

static struct ev pop(struct sim *s)
{
	struct ev top = s->heap[0], last = s->heap[--s->nheap];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= s->nheap)
			break;
		if (c + 1 < s->nheap && ev_before(&s->heap[c + 1], &s->heap[c]))
			c++;
		if (!ev_before(&s->heap[c], &last))
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	if (s->nheap)
		s->heap[i] = last;
	return top;
}

/* ---- items a node holds: the base without `gone`, plus `extra` ---- */

/* The item n holds for the key of x, if any. */
static bool held(const struct sim *s, const struct sim_node *n, const uint8_t x[32],
                 uint8_t out[32])
{
	uint8_t key[32] = { 0 };
	memcpy(key, x, 16);
	size_t i = sarr_lower((const uint8_t (*)[32])n->extra.v, n->extra.n, key);
	if (i < n->extra.n && memcmp(n->extra.v[i], x, 16) == 0) {
		memcpy(out, n->extra.v[i], 32);
		return true;
	}
	i = sarr_lower((const uint8_t (*)[32])s->base, s->nbase, key);
	if (i < s->nbase && memcmp(s->base[i], x, 16) == 0 && !sarr_has(&n->gone, s->base[i])) {
		memcpy(out, s->base[i], 32);
		return true;
	}
	return false;
}

bool sim_holds(const struct sim *s, unsigned i, const uint8_t x[32])
{
	uint8_t h[32];
	return held(s, &s->nodes[i], x, h) && memcmp(h + 16, x + 16, 16) >= 0;
}

struct scan_ctx {
	const struct sim *s;
	const struct sim_node *n;
};

/* recon_source over the merge of the base (without gone) and extra. */
static int node_scan(void *ctx, const uint8_t *lo, const uint8_t *hi,
                     int (*fn)(void *arg, const uint8_t item[RECON_ITEM]), void *arg)
{
	struct scan_ctx *c = ctx;
	const struct sim_node *n = c->n;
	size_t i = lo ? sarr_lower((const uint8_t (*)[32])c->s->base, c->s->nbase, lo) : 0;
	size_t j = lo ? sarr_lower((const uint8_t (*)[32])n->extra.v, n->extra.n, lo) : 0;
	for (;;) {
		const uint8_t *x;
		bool from_base = j >= n->extra.n ||
		                 (i < c->s->nbase && memcmp(c->s->base[i], n->extra.v[j], 32) < 0);
		if (from_base && i >= c->s->nbase)
			return 0;
		x = from_base ? c->s->base[i++] : n->extra.v[j++];
		if (hi && memcmp(x, hi, 32) >= 0)
			return 0;
		if (from_base && n->gone.n && sarr_has(&n->gone, x))
			continue;
		if (fn(arg, x))
			return 0;
	}
}

/* ---- links ---- */

static uint64_t cache_hash(const uint8_t x[32])
{
	uint64_t h;
	memcpy(&h, x + 8, 8);
	return h | 1;
}

static void cache_put(uint64_t *c, const uint8_t x[32])
{
	uint64_t h = cache_hash(x);
	if (c)
		c[h % SIM_CACHE_SLOTS] = h;
}

static bool cache_has(const uint64_t *c, const uint8_t x[32])
{
	uint64_t h = cache_hash(x);
	return c && c[h % SIM_CACHE_SLOTS] == h;
}

/* Send one message on c; the peer handles it when it arrives. */
static void send_msg(struct sim *s, struct sim_conn *c, struct gl_buf *b, int cls)
{
	if (!c->open || !c->peer) {
		gl_buf_free(b);
		return;
	}
	size_t bytes = b->len + SIM_FRAMING;
	c->st.bytes_out[cls] += bytes;
	uint64_t t = s->now + (uint64_t)((double)bytes * 8e6 / s->p.bandwidth_bps);
	t += s->p.latency_us + (s->p.jitter_us ? rnd(s) % s->p.jitter_us : 0);
	if (s->p.loss > 0 && unif(s) < s->p.loss)
		t += s->p.rto_us;
	if (t <= c->peer->arrive_us)
		t = c->peer->arrive_us + 1; /* TCP keeps order */
	c->peer->arrive_us = t;
	struct msg *m = gl_xmalloc(sizeof *m);
	m->to = c->peer;
	m->b = *b;
	m->cls = cls;
	memset(b, 0, sizeof *b);
	schedule(s, t, EV_MSG, m, NULL);
}

static struct sim_conn *conn_new(struct sim_node *self, struct sim_node *peer, bool outbound)
{
	struct sim_conn *c = gl_xcalloc(1, sizeof *c);
	c->known = gl_xcalloc(SIM_CACHE_SLOTS, sizeof *c->known);
	c->announced = gl_xcalloc(SIM_CACHE_SLOTS, sizeof *c->announced);
	c->self = self;
	c->peer_node = peer;
	c->outbound = outbound;

	c->next_sid = outbound ? 1 : 2;
	if (self->nconns == self->conns_cap) {
		self->conns_cap = self->conns_cap ? 2 * self->conns_cap : 16;
		self->conns = gl_xrealloc(self->conns, self->conns_cap * sizeof *self->conns);
	}
	c->slot = self->nconns;
	self->conns[self->nconns++] = c;
	return c;
}

static void stats_add(struct sim_stats *t, const struct sim_stats *a)
{
	for (int i = 0; i < SC_COUNT; i++)
		t->bytes_out[i] += a->bytes_out[i];
	t->records_in += a->records_in;
	t->dups_in += a->dups_in;
	t->dups_given += a->dups_given;
	t->have_in += a->have_in;
	t->have_out += a->have_out;
	t->want_in += a->want_in;
	t->want_out += a->want_out;
	t->recons += a->recons;
	t->recon_bytes += a->recon_bytes;
	t->recon_flights += a->recon_flights;
	t->v2_sessions += a->v2_sessions;
	t->v2_nonzero += a->v2_nonzero;
	t->v2_fallbacks += a->v2_fallbacks;
	t->v2_more += a->v2_more;
}

static void schedule_tick(struct sim *s, struct sim_node *n, uint64_t at);

/* Close one end: it leaves its node; events still pointing at it see
 * `closing` and drop it; it is never freed during a run. */
static void conn_close(struct sim *s, struct sim_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	c->open = false;
	struct sim_node *n = c->self;
	stats_add(&n->st, &c->st);
	n->conns[c->slot] = n->conns[--n->nconns];
	n->conns[c->slot]->slot = c->slot;
	if (c->recon_active && c->outbound && n->own_active)
		n->own_active--;
	recon2_init_free(&c->r2i);
	recon2_resp_free(&c->r2r);
	free(c->known);
	free(c->announced);
	c->known = c->announced = NULL;
	if (n->online)
		schedule_tick(s, n, s->now + 1000000);
}

static void link_close(struct sim *s, struct sim_conn *c)
{
	struct sim_conn *p = c->peer;
	conn_close(s, c);
	if (p)
		conn_close(s, p);
}

/* ---- records ---- */

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

const struct sim_rec *sim_rec(const struct sim *s, size_t i)
{
	return &s->recs[i];
}

size_t sim_nrecs(const struct sim *s)
{
	return s->nrecs;
}

struct sim_node *sim_node(struct sim *s, unsigned i)
{
	return &s->nodes[i];
}

unsigned sim_online(const struct sim *s)
{
	unsigned k = 0;
	for (unsigned i = 0; i < s->p.nodes; i++)
		k += s->nodes[i].online;
	return k;
}

static size_t rec_add(struct sim *s, struct gl_buf *env)
{
	struct record r;
	uint8_t cid[32];
	if (record_open(env->data, env->len, &r, NULL) != 0)
		abort();
	if (s->nrecs == s->recs_cap) {
		s->recs_cap = s->recs_cap ? 2 * s->recs_cap : 256;
		s->recs = gl_xrealloc(s->recs, s->recs_cap * sizeof *s->recs);
	}
	struct sim_rec *rec = &s->recs[s->nrecs];
	memset(rec, 0, sizeof *rec);
	record_cid(env->data, env->len, cid);
	record_item(&r, cid, rec->item);
	rec->env = *env;
	memset(env, 0, sizeof *env);
	rec->published_us = s->now;
	imap_put(&s->rec_index, rec->item, s->nrecs + 1);
	return s->nrecs++;
}

static int buf_write(void *data, const char *buf, size_t len)
{
	gl_buf_append(data, buf, len);
	return 0;
}

/* A signed record of author n: its node record (kind node) or a news
 * record of about `size` bytes. */
static void make_record(struct sim *s, struct sim_node *n, bool node, size_t size,
                        struct gl_buf *env)
{
	struct gl_buf body = { 0 };
	msgpack_packer pk;
	msgpack_packer_init(&pk, &body, buf_write);
	char id[32], text[4096];
	if (node) {
		msgpack_pack_map(&pk, 2);
		msgpack_pack_str_with_body(&pk, "name", 4);
		snprintf(text, sizeof text, "node %u", n->id);
		msgpack_pack_str_with_body(&pk, text, strlen(text));
		msgpack_pack_str_with_body(&pk, "endpoints", 9);
		msgpack_pack_array(&pk, 1);
		snprintf(text, sizeof text, "n%u.sim.invalid:%u", n->id, 7000 + (unsigned)(rnd(s) % 999));
		msgpack_pack_str_with_body(&pk, text, strlen(text));
		snprintf(id, sizeof id, "node");
	} else {
		size_t len = size > 300 ? size - 300 : 1;
		if (len > sizeof text)
			len = sizeof text;
		memset(text, 'x', len);
		msgpack_pack_map(&pk, 1);
		msgpack_pack_str_with_body(&pk, "text", 4);
		msgpack_pack_str_with_body(&pk, text, len);
		snprintf(id, sizeof id, "n%llx", (unsigned long long)(rnd(s) & 0xffffffffffffull));
	}
	n->node_version += node;
	uint64_t t = 1700000000 + s->now / 1000000;
	struct record_draft d = { .kind = node ? RK_NODE : RK_NEWS, .id = id, .id_len = strlen(id),
	                          .version = node ? n->node_version : 1, .issued = t,
	                          .expires = t + 86400 * 180, .body = body.data,
	                          .body_len = body.len };
	if (record_sign(&d, n->sk, env, NULL) != 0)
		abort();
	gl_buf_free(&body);
}

/* ---- storing and announcing (gossip_stored, gossip_announce) ---- */

static void announce(struct sim *s, struct sim_node *n, const uint8_t x[32], struct sim_conn *from)
{
	for (unsigned i = 0; i < n->nconns; i++) {
		struct sim_conn *c = n->conns[i];
		if (c == from || !c->open || !c->hello)
			continue;
		if (cache_has(c->known, x) || cache_has(c->announced, x))
			continue;
		cache_put(c->announced, x);
		struct gl_buf b = { 0 };
		wire_items(&b, WIRE_HAVE, (const uint8_t (*)[32])x, 1);
		c->st.have_out++;
		send_msg(s, c, &b, SC_PUSH);
	}
}

/* Store record k at n if it wins; returns true if it was new to n. */
static bool store(struct sim *s, struct sim_node *n, size_t k, struct sim_conn *from)
{
	struct sim_rec *rec = &s->recs[k];
	uint8_t h[32];
	if (held(s, n, rec->item, h)) {
		if (memcmp(h + 16, rec->item + 16, 16) >= 0)
			return false;
		riblt_sketch_remove(&n->sketch, h);
		if (sarr_has(&n->extra, h))
			sarr_remove(&n->extra, h);
		else
			sarr_insert(&n->gone, h);
	}
	sarr_insert(&n->extra, rec->item);
	imap_put(&n->stored, rec->item, s->now + 1);
	riblt_sketch_add(&n->sketch, rec->item);
	imap_del(&n->wanted, rec->item);
	rec->holders++;
	rec->last_us = s->now;
	if (rec->got)
		rec->got[n->id] = s->now ? s->now : 1;
	announce(s, n, rec->item, from);
	return true;
}

size_t sim_publish(struct sim *s, unsigned origin, size_t size, bool tracked)
{
	struct gl_buf env = { 0 };
	struct sim_node *n = &s->nodes[origin];
	make_record(s, n, size == 0, size, &env);
	size_t k = rec_add(s, &env);
	s->recs[k].tracked = tracked;
	if (tracked)
		s->recs[k].got = gl_xcalloc(s->p.nodes, sizeof *s->recs[k].got);
	store(s, n, k, NULL);
	return k;
}

/* ---- asking and giving (request, queue_give) ---- */

static void request(struct sim *s, struct sim_conn *c, const uint8_t (*items)[32], size_t n,
                    bool check_store)
{
	uint8_t (*want)[32] = gl_xmalloc((n ? n : 1) * 32);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (check_store && sim_holds(s, c->self->id, items[i]))
			continue;
		uint64_t asked = imap_get(&c->self->wanted, items[i]);
		if (asked && s->now + 1 - asked < SIM_WANT_TTL_US)
			continue;
		imap_put(&c->self->wanted, items[i], s->now + 1);
		memcpy(want[k++], items[i], 32);
	}
	for (size_t off = 0; off < k; off += WIRE_ITEMS_MAX) {
		size_t m = k - off < WIRE_ITEMS_MAX ? k - off : WIRE_ITEMS_MAX;
		struct gl_buf b = { 0 };
		wire_items(&b, WIRE_WANT, (const uint8_t (*)[32])want + off, m);
		send_msg(s, c, &b, SC_PUSH);
	}
	c->st.want_out += k;
	free(want);
}

/*
 * Duplicates.  A reconciliation that runs while push is moving a record
 * finds it as a difference, and giving it then sends it a second time;
 * so does every peer of a node that returns and reconciles with all of
 * them at once.  With p.dedup, three rules a node follows on its own:
 * it gives no record it stored less than young_us ago and after the
 * link's HELLO or announced on it (push is delivering it; the next
 * reconciliation finds it if push failed; one stored before and not
 * announced was never pushed on the link), it runs one
 * reconciliation it started at a time (records given by the first arrive
 * before the second looks), and as responder it does not take a record it
 * asked another peer for less than 30 s ago (recon2_resp.skip).
 */
static bool young(const struct sim *s, const struct sim_conn *c, const uint8_t x[32], int cls)
{
	uint64_t t = cls == SC_GIVEN && s->p.dedup ? imap_get(&c->self->stored, x) : 0;
	/* t: stored + 1; stored after the HELLO, or announced on c since */
	return t && (t > c->hello_us || cache_has(c->announced, x)) &&
	       s->now + 1 - t < s->p.young_us;
}

static bool skip_take(void *ctx, const uint8_t x[RECON_ITEM])
{
	struct sim_node *n = ctx;
	uint64_t asked = imap_get(&n->wanted, x);
	return asked && n->sim->now + 1 - asked < SIM_WANT_TTL_US;
}

/* Send the records n holds for the keys of items (whatever version);
 * cls: SC_RECORDS answering WANT, SC_GIVEN for a reconciliation. */
static size_t give(struct sim *s, struct sim_conn *c, const uint8_t (*items)[32], size_t n, int cls)
{
	struct gl_buf b = { 0 };
	size_t count = 0, sent = 0;
	uint8_t h[32];
	const struct gl_buf *envs[WIRE_RECORDS_MAX];
	for (size_t i = 0; i <= n; i++) {
		if (i < n && held(s, c->self, items[i], h) && !young(s, c, h, cls)) {
			uint64_t k = imap_get(&s->rec_index, h);
			if (k) { /* base items are held by everyone: never asked */
				envs[count++] = &s->recs[k - 1].env;
				cache_put(c->known, h);
			}
		}
		if (count && (count == WIRE_RECORDS_MAX || i == n)) {
			wire_records_head(&b, count);
			for (size_t e = 0; e < count; e++)
				wire_records_add(&b, envs[e]->data, envs[e]->len);
			send_msg(s, c, &b, cls);
			sent += count;
			count = 0;
		}
	}
	return sent;
}

/* ---- reconciliation ---- */

static void recon_done(struct sim *s, struct sim_conn *c)
{
	struct sim_node *n = c->self;
	if (n->own_active)
		n->own_active--;
	/* what the session gave is on its way: let it arrive */
	n->own_quiet_us = s->now + 2 * s->p.latency_us + s->p.store_us;
	c->st.recons++;
	c->st.recon_flights += c->recon_flights;
	c->st.recon_bytes += c->recon_bytes;
	c->recon_active = false;
	c->recon_flights = 0;
	c->recon_bytes = 0;
	if (c->outbound)
		schedule(s, s->now + s->p.recon_interval_us, EV_RECON, c, NULL);
}

static void send_recon(struct sim *s, struct sim_conn *c, struct gl_buf *b)
{
	c->recon_bytes += b->len + SIM_FRAMING;
	send_msg(s, c, b, SC_RECON);
}

static void start_v1(struct sim *s, struct sim_conn *c)
{
	struct scan_ctx sc = { s, c->self };
	struct recon_source src = { &sc, node_scan };
	struct recon_out out = { 0 };
	if (recon_initiate(&src, c->key, &out, NULL) != 0)
		abort();
	c->recon_active = true;
	c->recon_started_us = s->now;
	c->recon_flights++;
	struct gl_buf b = { 0 };
	wire_recon(&b, out.msg.data, out.msg.len);
	send_recon(s, c, &b);
	recon_out_free(&out);
}

static void send_all(struct sim *s, struct sim_conn *c, struct recon2_out *o)
{
	if (o->nmsgs)
		c->recon_flights++;
	for (size_t i = 0; i < o->nmsgs; i++) {
		struct gl_buf b = { 0 };
		gl_buf_append(&b, o->msgs[i].data, o->msgs[i].len);
		send_recon(s, c, &b);
	}
}

static void start_v2(struct sim *s, struct sim_conn *c)
{
	struct recon2_out out = { 0 };
	if (recon2_initiate(&c->r2i, c->next_sid, &c->self->sketch, &out, NULL) != 0)
		abort();
	c->next_sid += 2;
	c->recon_active = true;
	c->recon_started_us = s->now;
	c->st.v2_sessions++;
	send_all(s, c, &out);
	recon2_out_free(&out);
}

static void start_recon(struct sim *s, struct sim_conn *c)
{
	struct sim_node *n = c->self;
	if (s->p.dedup && (n->own_active || s->now < n->own_quiet_us)) {
		uint64_t at = n->own_quiet_us > s->now ? n->own_quiet_us : s->now + 250000;
		schedule(s, at, EV_RECON, c, NULL);
		return;
	}
	n->own_active++;
	if (c->version == 2)
		start_v2(s, c);
	else
		start_v1(s, c);
}

/* The records of a v1 span: every own record in it the peer lacks. */
struct span_ctx {
	const struct recon_span *sp;
	struct recon_items *out;
};

static int span_item(void *arg, const uint8_t x[RECON_ITEM])
{
	struct span_ctx *sc = arg;
	if (recon_span_wants(sc->sp, x)) {
		struct recon_items *it = sc->out;
		if (it->n == it->cap) {
			it->cap = it->cap ? 2 * it->cap : 64;
			it->v = gl_xrealloc(it->v, it->cap * 32);
		}
		memcpy(it->v[it->n++], x, 32);
	}
	return 0;
}

static void on_recon_v1(struct sim *s, struct sim_conn *c, const struct wire_msg *m)
{
	struct scan_ctx sc = { s, c->self };
	struct recon_source src = { &sc, node_scan };
	struct recon_out out = { 0 };
	struct gl_error err = { 0 };
	if (recon_respond(&src, c->key, m->recon, m->recon_len, &out, &err) != 0) {
		fprintf(stderr, "sim: v1: %s\n", err.msg);
		abort();
	}
	c->recon_flights++;
	c->recon_bytes += m->recon_len + 2 + SIM_FRAMING;
	if (out.msg.len) {
		struct gl_buf b = { 0 };
		wire_recon(&b, out.msg.data, out.msg.len);
		c->recon_flights++;
		send_recon(s, c, &b);
	}
	for (size_t i = 0; i < out.nspans; i++) {
		struct span_ctx spc = { &out.spans[i], &out.give };
		node_scan(&sc, out.spans[i].lo, out.spans[i].to_end ? NULL : out.spans[i].hi,
		          span_item, &spc);
	}
	size_t sent = give(s, c, (const uint8_t (*)[32])out.give.v, out.give.n, SC_GIVEN);
	request(s, c, (const uint8_t (*)[32])out.take.v, out.take.n, false);
	if (out.finished && c->recon_active)
		recon_done(s, c);
	if (out.finished && c->version == 2 && sent) { /* 6.4: SENT 0 after v1's records */
		struct gl_buf b = { 0 };
		recon2_msg_sent(&b, 0, sent);
		send_msg(s, c, &b, SC_RECON);
	}
	recon_out_free(&out);
}

static void v2_done(struct sim *s, struct sim_conn *c, struct recon2_out *o, bool initiator,
                    uint64_t sid)
{
	size_t sent = 0;
	if (o->status == R2_DECODED) {
		sent = give(s, c, (const uint8_t (*)[32])o->give.v, o->give.n, SC_GIVEN);
		for (size_t i = 0; i < o->take.n; i++)
			imap_put(&c->self->wanted, o->take.v[i], s->now + 1);
		struct gl_buf b = { 0 };
		recon2_msg_sent(&b, sid, sent);
		send_msg(s, c, &b, SC_RECON);
	}
	if (!initiator)
		return;
	if (o->status != R2_SAME)
		c->st.v2_nonzero++;
	if (o->status == R2_TOO_MANY || o->status == R2_FAILED) {
		c->st.v2_fallbacks++;
		start_v1(s, c); /* the session goes on as v1 */
		return;
	}
	recon_done(s, c);
}

static void on_v2(struct sim *s, struct sim_conn *c, const uint8_t *p, size_t len)
{
	struct recon2_msg m;
	struct recon2_out out = { 0 };
	struct gl_error err = { 0 };
	if (recon2_parse(p, len, &m, &err) != 0) {
		fprintf(stderr, "sim: v2: %s\n", err.msg);
		abort();
	}
	if (m.type == R2_SENT)
		return;
	bool mine = m.type == R2_ESTIMATE || m.type == R2_MORE ||
	            (m.type == R2_END && m.sid % 2 == (c->outbound ? 1u : 0u));
	uint64_t sid = m.sid;
	int rc = mine ? recon2_initiator_on(&c->r2i, &c->self->sketch, &m, &out, &err)
	              : recon2_responder_on(&c->r2r, &c->self->sketch, &m, &out, &err);
	if (rc != 0) {
		fprintf(stderr, "sim: v2 session %llu: %s\n", (unsigned long long)sid, err.msg);
		abort();
	}
	if (mine) {
		c->recon_flights++;
		c->recon_bytes += len + SIM_FRAMING;
	}
	for (size_t i = 0; i < out.nmsgs; i++) {
		struct recon2_msg o;
		if (recon2_parse(out.msgs[i].data, out.msgs[i].len, &o, NULL) == 0 && o.type == R2_MORE)
			c->st.v2_more++;
	}
	send_all(s, c, &out);
	if (out.done)
		v2_done(s, c, &out, mine, sid);
	recon2_out_free(&out);
}

/* ---- messages ---- */

static void on_hello(struct sim *s, struct sim_conn *c, const struct wire_msg *m)
{
	unsigned mine = s->p.version == 2 ? WIRE_RECON_V1 | WIRE_RECON_V2 : WIRE_RECON_V1;
	c->hello = true;
	c->hello_us = s->now;
	c->version = wire_recon_pick(mine, m->recon_versions);
	if (c->outbound)
		start_recon(s, c);
}

static void on_records(struct sim *s, struct sim_conn *c, const struct wire_msg *m, bool given)
{
	struct batch *bt = gl_xcalloc(1, sizeof *bt);
	bt->node = c->self;
	bt->from = c;
	bt->given = given;
	bt->recs = gl_xmalloc(m->nenv * sizeof *bt->recs);
	for (size_t i = 0; i < m->nenv; i++) {
		struct record r;
		uint8_t cid[32], item[32];
		if (record_open(m->env[i], m->env_len[i], &r, NULL) != 0)
			abort(); /* every record here is signed by a node */
		record_cid(m->env[i], m->env_len[i], cid);
		record_item(&r, cid, item);
		uint64_t k = imap_get(&s->rec_index, item);
		if (!k)
			abort();
		cache_put(c->known, item);
		s->recs[k - 1].copies++;
		bt->recs[bt->n++] = k - 1;
	}
	c->st.records_in += m->nenv;
	schedule(s, s->now + s->p.store_us, EV_STORE, bt, NULL);
}

static void on_store(struct sim *s, struct batch *bt)
{
	struct sim_node *n = bt->node;
	if (n->online)
		for (size_t i = 0; i < bt->n; i++)
			if (!store(s, n, bt->recs[i], bt->from->closing ? NULL : bt->from)) {
				n->st.dups_in++;
				n->st.dups_given += bt->given;
			}
	free(bt->recs);
	free(bt);
}

static void on_message(struct sim *s, struct msg *m)
{
	struct sim_conn *c = m->to;
	struct wire_msg w;
	struct gl_error err = { 0 };
	if (c->closing || !c->self->online)
		goto out;
	if (wire_parse(m->b.data, m->b.len, &w, &err) != 0) {
		fprintf(stderr, "sim: %s\n", err.msg);
		abort();
	}
	switch (w.type) {
	case WIRE_HELLO:
		on_hello(s, c, &w);
		break;
	case WIRE_RECON:
		on_recon_v1(s, c, &w);
		break;
	case WIRE_HAVE:
		c->st.have_in += w.nitems;
		for (size_t i = 0; i < w.nitems; i++)
			cache_put(c->known, w.items[i]);
		request(s, c, (const uint8_t (*)[32])w.items, w.nitems, true);
		break;
	case WIRE_WANT:
		c->st.want_in += w.nitems;
		give(s, c, (const uint8_t (*)[32])w.items, w.nitems, SC_RECORDS);
		break;
	case WIRE_RECORDS:
		on_records(s, c, &w, m->cls == SC_GIVEN);
		break;
	default:
		if (recon2_is_type(w.type))
			on_v2(s, c, m->b.data, m->b.len);
		break;
	}
	wire_msg_free(&w);
out:
	gl_buf_free(&m->b);
	free(m);
}

/* ---- connections, ticks, churn ---- */

static void remember(struct sim *s, struct sim_conn *c)
{
	if (s->nall == s->all_cap) {
		s->all_cap = s->all_cap ? 2 * s->all_cap : 1024;
		s->all = gl_xrealloc(s->all, s->all_cap * sizeof *s->all);
	}
	s->all[s->nall++] = c;
}

static bool connected(const struct sim_node *a, const struct sim_node *b)
{
	for (unsigned i = 0; i < a->nconns; i++)
		if (a->conns[i]->peer_node == b)
			return true;
	return false;
}

static void dial(struct sim *s, struct sim_node *a, struct sim_node *b)
{
	struct sim_conn *ca = conn_new(a, b, true), *cb = conn_new(b, a, false);
	ca->peer = cb;
	cb->peer = ca;
	if (s->p.dedup) {
		ca->r2r.skip = cb->r2r.skip = skip_take;
		ca->r2r.skip_ctx = a;
		cb->r2r.skip_ctx = b;
	}
	for (int i = 0; i < 32; i++)
		ca->key[i] = cb->key[i] = (uint8_t)rnd(s);
	remember(s, ca);
	remember(s, cb);
	/* M1..M4: two round trips */
	schedule(s, s->now + 4 * s->p.latency_us, EV_OPEN, ca, NULL);
}

static void send_hello(struct sim *s, struct sim_conn *c)
{
	struct gl_buf b = { 0 };
	char name[32], ep[64];
	snprintf(name, sizeof name, "node %u", c->self->id);
	snprintf(ep, sizeof ep, "n%u.sim.invalid:7946", c->self->id);
	const char *eps[] = { ep };
	uint64_t clock = 1700000000000ull + s->now / 1000;
	if (s->p.version == 2)
		wire_hello_recon(&b, name, eps, 1, clock, WIRE_RECON_V2);
	else
		wire_hello(&b, name, eps, 1, clock);
	send_msg(s, c, &b, SC_OTHER);
}

static void on_open(struct sim *s, struct sim_conn *c)
{
	if (c->closing || c->peer->closing)
		return;
	c->open = c->peer->open = true;
	c->st.bytes_out[SC_OTHER] += SIM_HANDSHAKE_BYTES / 2;
	c->peer->st.bytes_out[SC_OTHER] += SIM_HANDSHAKE_BYTES / 2;
	send_hello(s, c);
	send_hello(s, c->peer);
}

static void schedule_tick(struct sim *s, struct sim_node *n, uint64_t at)
{
	if (n->next_tick_us > s->now && n->next_tick_us <= at)
		return;
	n->next_tick_us = at;
	schedule(s, at, EV_TICK, n, NULL);
}

/* net.c's tick: keep `dial` outbound connections to nodes it knows. */
static void on_tick(struct sim *s, struct sim_node *n)
{
	if (!n->online || s->now != n->next_tick_us)
		return;
	unsigned out = 0;
	for (unsigned i = 0; i < n->nconns; i++)
		out += n->conns[i]->outbound;
	for (int tries = 0; out < s->p.dial && tries < 64; tries++) {
		struct sim_node *b = &s->nodes[rnd(s) % s->p.nodes];
		if (b == n || !b->online || b->nconns >= s->p.max_peers || n->nconns >= s->p.max_peers ||
		    connected(n, b))
			continue;
		dial(s, n, b);
		out++;
	}
	if (out < s->p.dial)
		schedule_tick(s, n, s->now + 1000000);
}

static uint64_t expo(struct sim *s, double mean_s)
{
	return (uint64_t)(-log(1.0 - unif(s)) * mean_s * 1e6) + 1;
}

static void on_churn(struct sim *s, struct sim_node *n)
{
	if (n->online) {
		while (n->nconns)
			link_close(s, n->conns[0]);
		n->online = false;
		schedule(s, s->now + expo(s, s->p.down_mean_s), EV_CHURN, n, NULL);
		return;
	}
	n->online = true;
	n->up_since_us = s->now;
	schedule_tick(s, n, s->now);
	sim_publish(s, n->id, 0, false); /* a restarted node publishes its node record again */
	schedule(s, s->now + expo(s, s->p.up_mean_s), EV_CHURN, n, NULL);
}

static void on_publish(struct sim *s)
{
	for (int tries = 0; tries < 100; tries++) {
		unsigned i = (unsigned)(rnd(s) % s->p.nodes);
		if (s->nodes[i].online) {
			sim_publish(s, i, 1200, false);
			break;
		}
	}
	schedule(s, s->now + s->publish_every, EV_PUBLISH, NULL, NULL);
}

void sim_run(struct sim *s, uint64_t until)
{
	while (s->nheap && s->heap[0].t <= until) {
		struct ev e = pop(s);
		s->now = e.t;
		switch (e.kind) {
		case EV_MSG:
			on_message(s, e.a);
			break;
		case EV_STORE:
			on_store(s, e.a);
			break;
		case EV_OPEN:
			on_open(s, e.a);
			break;
		case EV_RECON: {
			struct sim_conn *c = e.a;
			if (c->open && !c->recon_active)
				start_recon(s, c);
			break;
		}
		case EV_TICK:
			on_tick(s, e.a);
			break;
		case EV_CHURN:
			on_churn(s, e.a);
			break;
		default:
			on_publish(s);
			break;
		}
	}
	s->now = until;
}

void sim_steady(struct sim *s, uint64_t every_us)
{
	if (s->p.up_mean_s > 0)
		for (unsigned i = 0; i < s->p.nodes; i++)
			schedule(s, s->now + expo(s, s->p.up_mean_s), EV_CHURN, &s->nodes[i], NULL);
	s->publish_every = every_us;
	if (every_us)
		schedule(s, s->now + every_us, EV_PUBLISH, NULL, NULL);
}

void sim_totals(const struct sim *s, struct sim_stats *t)
{
	memset(t, 0, sizeof *t);
	for (unsigned i = 0; i < s->p.nodes; i++) {
		const struct sim_node *n = &s->nodes[i];
		stats_add(t, &n->st);
		for (unsigned k = 0; k < n->nconns; k++)
			stats_add(t, &n->conns[k]->st);
	}
}

/* ---- making and freeing a federation ---- */

static int cmp_item(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

static void make_base(struct sim *s)
{
	s->nbase = s->p.base_records > s->p.nodes ? s->p.base_records : s->p.nodes;
	s->base = gl_xmalloc(s->nbase * 32);
	for (size_t i = 0; i < s->nbase; i++) {
		uint8_t *x = s->base[i];
		if (i < s->p.nodes) /* node i's node record, version 1 */
			record_keyhash(s->nodes[i].pk, RK_NODE, "node", 4, x);
		else
			for (int k = 0; k < 16; k++)
				x[k] = (uint8_t)rnd(s);
		put_be64(x + 16, i < s->p.nodes ? 1 : 1 + rnd(s) % 1000000);
		for (int k = 24; k < 32; k++)
			x[k] = (uint8_t)rnd(s);
	}
	qsort(s->base, s->nbase, 32, cmp_item);
	/* The base's symbols are real; its state is any fixed one, since
	 * digests are only ever compared after the same base: the true sum of
	 * a million L(x) would take seconds and change nothing. */
	if (riblt_sketch_init(&s->base_sketch, s->p.sketch_size) != 0)
		abort();
	for (size_t i = 0; i < s->nbase; i++)
		riblt_sketch_apply(&s->base_sketch, s->base[i], NULL, 1);
	uint8_t seed[32] = "gilde simulation base set";
	riblt_lanes(seed, s->base_sketch.state);
}

struct sim *sim_new(const struct sim_params *p)
{
	struct sim *s = gl_xcalloc(1, sizeof *s);
	s->p = *p;
	s->rng = p->seed;
	s->nodes = gl_xcalloc(p->nodes, sizeof *s->nodes);
	for (unsigned i = 0; i < p->nodes; i++) {
		struct sim_node *n = &s->nodes[i];
		uint8_t seed[32] = { 0 };
		memcpy(seed, &i, sizeof i);
		seed[31] = 0x5e;
		crypto_sign_seed_keypair(n->pk, n->sk, seed);
		n->id = i;
		n->sim = s;
		n->online = true;
		n->node_version = 1;
	}
	make_base(s);
	for (unsigned i = 0; i < p->nodes; i++) {
		riblt_sketch_copy(&s->nodes[i].sketch, &s->base_sketch);
		schedule_tick(s, &s->nodes[i], rnd(s) % 2000000); /* nodes start within 2 s */
	}
	return s;
}

void sim_free(struct sim *s)
{
	while (s->nheap) {
		struct ev e = pop(s);
		if (e.kind == EV_MSG) {
			struct msg *m = e.a;
			gl_buf_free(&m->b);
			free(m);
		} else if (e.kind == EV_STORE) {
			struct batch *bt = e.a;
			free(bt->recs);
			free(bt);
		}
	}
	for (size_t i = 0; i < s->nall; i++) {
		struct sim_conn *c = s->all[i];
		recon2_init_free(&c->r2i);
		recon2_resp_free(&c->r2r);
		free(c->known);
		free(c->announced);
		free(c);
	}
	for (unsigned i = 0; i < s->p.nodes; i++) {
		struct sim_node *n = &s->nodes[i];
		free(n->conns);
		free(n->extra.v);
		free(n->gone.v);
		riblt_sketch_free(&n->sketch);
		imap_free(&n->wanted);
		imap_free(&n->stored);
	}
	for (size_t i = 0; i < s->nrecs; i++) {
		gl_buf_free(&s->recs[i].env);
		free(s->recs[i].got);
	}
	free(s->recs);
	imap_free(&s->rec_index);
	riblt_sketch_free(&s->base_sketch);
	free(s->base);
	free(s->heap);
	free(s->all);
	free(s->nodes);
	free(s);
}

/*
 * recon2.c — the two sides of a v2 reconciliation session (recon2.h,
 * PROTOCOL.md 6.7).
 *
 * Why the responder decodes and the initiator sizes the flight: the first
 * message must stay tiny, because most reconciliations find nothing (push
 * has already moved every record) and then cost START and END alone.  So
 * nothing about the difference travels before the digests are known to
 * differ; the responder then sends the counts of its first symbols (one
 * byte each), from which the initiator estimates the size of the
 * difference and sends enough symbols in one flight for the responder to
 * decode with high probability: two round trips, and a third (MORE) only
 * when the estimate fell short.  A count differs between the two sets by
 * the items of the difference mapped to its index, each with probability
 * p = 2/(i+2), so its square estimates d p (1-p) (recon2_estimate).
 *
 * Why the initiator keeps a snapshot: MORE must be answered with symbols
 * of the same set as the first flight, and records keep arriving from
 * other peers in between.  The responder needs none: it decodes from
 * scratch each time, with its own sketch as it is at that moment.
 */
#include "proto/recon2.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

enum { PH_IDLE = 0, PH_STARTED, PH_FLIGHT };
enum { RS_IDLE = 0, RS_ESTIMATED, RS_FLIGHT };

/* The smallest first flight: two items of a newer version need three. */
#define FLIGHT_MIN 4

/* ---- outputs ---- */

static struct gl_buf *out_msg(struct recon2_out *o)
{
	if (o->nmsgs == o->msgs_cap) {
		size_t cap = o->msgs_cap ? 2 * o->msgs_cap : 4;
		o->msgs = gl_xrealloc(o->msgs, cap * sizeof *o->msgs);
		memset(o->msgs + o->msgs_cap, 0, (cap - o->msgs_cap) * sizeof *o->msgs);
		o->msgs_cap = cap;
	}
	struct gl_buf *b = &o->msgs[o->nmsgs++];
	b->len = 0;
	return b;
}

static void items_push(struct recon_items *it, const uint8_t x[RECON_ITEM])
{
	if (it->n == it->cap) {
		size_t cap = it->cap ? it->cap * 2 : 64;
		it->v = gl_xrealloc(it->v, cap * RECON_ITEM);
		it->cap = cap;
	}
	memcpy(it->v[it->n++], x, RECON_ITEM);
}

static void finish(struct recon2_out *o, int status)
{
	o->done = true;
	o->status = status;
}

void recon2_out_reset(struct recon2_out *o)
{
	o->nmsgs = 0;
	o->done = false;
	o->status = 0;
	o->give.n = o->take.n = 0;
	o->symbols = 0;
}

void recon2_out_free(struct recon2_out *o)
{
	for (size_t i = 0; i < o->msgs_cap; i++)
		gl_buf_free(&o->msgs[i]);
	free(o->msgs);
	free(o->give.v);
	free(o->take.v);
	memset(o, 0, sizeof *o);
}

void recon2_init_free(struct recon2_init *in)
{
	free(in->snap);
	memset(in, 0, sizeof *in);
}

void recon2_resp_free(struct recon2_resp *re)
{
	bool (*skip)(void *, const uint8_t *) = re->skip;
	void *ctx = re->skip_ctx;
	free(re->syms);
	memset(re, 0, sizeof *re);
	re->skip = skip;
	re->skip_ctx = ctx;
}

/* ---- the estimate (not part of the protocol) ---- */

double recon2_estimate(const uint8_t *own_counts, const uint8_t *peer_counts, uint32_t k,
                       uint64_t own_n, uint64_t peer_n)
{
	double delta = own_n >= peer_n ? (double)(own_n - peer_n) : -(double)(peer_n - own_n);
	double r2[RECON2_COUNTS_MAX], v[RECON2_COUNTS_MAX];
	double num = 0, den = 0;
	if (k > RECON2_COUNTS_MAX)
		k = RECON2_COUNTS_MAX;
	for (uint32_t i = 0; i < k; i++) {
		double p = 2.0 / (double)(i + 3); /* the count of symbol i + 1 */
		/* the counts' difference is delta*p plus noise of variance d p (1-p);
		 * it travels modulo 256: bring the noise into [-128, 128) */
		double r = (double)(uint8_t)(own_counts[i] - peer_counts[i]) - delta * p;
		r = fmod(r, 256.0);
		if (r < -128)
			r += 256;
		else if (r >= 128)
			r -= 256;
		r2[i] = r * r;
		v[i] = p * (1 - p);
		num += r2[i];
		den += v[i];
	}
	double d = den > 0 ? num / den : 0;
	/* weighted once more: the noise of r^2 is about 2 (d v)^2 + d v */
	if (d > 0) {
		num = den = 0;
		for (uint32_t i = 0; i < k; i++) {
			double w = 1.0 / (2 * d * v[i] * d * v[i] + d * v[i]);
			num += w * v[i] * r2[i];
			den += w * v[i] * v[i];
		}
		d = num / den;
	}
	return d > fabs(delta) ? d : fabs(delta);
}

/*
 * Decoding needs about 1.75 symbols per item at 10 items, 1.5 at 100 and
 * 1.37 at 1,000, and the estimate from 512 counts is off by about 7% (one
 * standard deviation).  This flight decodes in about 98% of sessions
 * (bench_recon); the rest ask MORE, one round trip more.
 */
uint32_t recon2_flight_for(double est)
{
	double m = ceil(1.6 * est + 2.2 * sqrt(est) + 3);
	if (m < FLIGHT_MIN)
		m = FLIGHT_MIN;
	return m > RIBLT_SYMBOLS_MAX ? RIBLT_SYMBOLS_MAX : (uint32_t)m;
}

/* ---- the initiator ---- */

int recon2_initiate(struct recon2_init *in, uint64_t sid, const struct riblt_sketch *own,
                    struct recon2_out *out, struct gl_error *err)
{
	if (sid == 0)
		return gl_errorf(err, GL_EINVAL, "recon2: session 0");
	recon2_init_free(in);
	in->sid = sid;
	in->phase = PH_STARTED;
	uint8_t d[RIBLT_DIGEST];
	riblt_sketch_digest(own, d);
	recon2_msg_start(out_msg(out), sid, own->n, d);
	return 0;
}

/* Send symbols [from, to) of the snapshot, in messages of at most
 * RECON2_FLIGHT_SYMBOLS. */
static void flight(struct recon2_init *in, uint32_t from, uint32_t to, struct recon2_out *out)
{
	for (uint32_t i = from; i < to; i += RECON2_FLIGHT_SYMBOLS) {
		uint32_t k = to - i < RECON2_FLIGHT_SYMBOLS ? to - i : RECON2_FLIGHT_SYMBOLS;
		recon2_msg_symbols(out_msg(out), in->sid, i, to, in->n, in->digest,
		                   in->snap + (size_t)i * RIBLT_SYMBOL_WIRE, k);
	}
	out->symbols += to - from;
	in->end = to;
}

static void init_end(struct recon2_init *in, int status, struct recon2_out *out)
{
	recon2_msg_end(out_msg(out), in->sid, (unsigned)status, NULL, 0);
	finish(out, status);
	free(in->snap);
	in->snap = NULL;
	in->phase = PH_IDLE;
}

static void on_estimate(struct recon2_init *in, const struct riblt_sketch *own,
                        const struct recon2_msg *m, struct recon2_out *out)
{
	uint8_t mine[RECON2_COUNTS_MAX];
	uint32_t k = m->ncounts < own->size - 1 ? m->ncounts : own->size - 1;
	riblt_sketch_counts(own, 1, k, mine);
	double est = recon2_estimate(mine, m->counts, k, own->n, m->count);
	in->estimate = est > RIBLT_SYMBOLS_MAX ? RIBLT_SYMBOLS_MAX : (uint32_t)est;
	uint32_t first = recon2_flight_for(est);
	if (first > own->size || est >= RIBLT_SYMBOLS_MAX) {
		init_end(in, R2_TOO_MANY, out);
		return;
	}
	uint64_t keep = (uint64_t)RECON2_SNAPSHOT_FACTOR * first + 256;
	in->snap_end = keep < own->size ? (uint32_t)keep : own->size;
	in->snap = gl_xmalloc((size_t)in->snap_end * RIBLT_SYMBOL_WIRE);
	riblt_sketch_encode(own, 0, in->snap_end, in->snap);
	in->n = own->n;
	riblt_sketch_digest(own, in->digest);
	in->phase = PH_FLIGHT;
	flight(in, 0, first, out);
}

int recon2_initiator_on(struct recon2_init *in, const struct riblt_sketch *own,
                        const struct recon2_msg *m, struct recon2_out *out, struct gl_error *err)
{
	if (m->sid != in->sid || in->phase == PH_IDLE)
		return 0; /* a late answer to a session that has ended */
	switch (m->type) {
	case R2_ESTIMATE:
		if (in->phase != PH_STARTED)
			return gl_errorf(err, GL_EPROTO, "recon2: ESTIMATE twice in session %llu",
			                 (unsigned long long)m->sid);
		on_estimate(in, own, m, out);
		return 0;
	case R2_MORE:
		if (in->phase != PH_FLIGHT || m->end <= in->end)
			return gl_errorf(err, GL_EPROTO, "recon2: MORE up to %u out of turn (sent %u)",
			                 (unsigned)m->end, (unsigned)in->end);
		if (m->end > in->snap_end)
			init_end(in, R2_TOO_MANY, out);
		else
			flight(in, in->end, m->end, out);
		return 0;
	case R2_END:
		for (uint32_t i = 0; i < m->ntake; i++) {
			uint8_t x[RECON_ITEM] = { 0 };
			recon2_take_key(m, i, x);
			items_push(&out->give, x);
		}
		finish(out, (int)m->status);
		free(in->snap);
		in->snap = NULL;
		in->phase = PH_IDLE;
		return 0;
	default:
		return gl_errorf(err, GL_EPROTO, "recon2: message %u is not for the initiator",
		                 m->type);
	}
}

/* ---- the responder ---- */

static void resp_end(struct recon2_resp *re, int status, const uint8_t (*take)[16], size_t ntake,
                     struct recon2_out *out)
{
	recon2_msg_end(out_msg(out), re->sid, (unsigned)status, take, ntake);
	finish(out, status);
	free(re->syms);
	re->syms = NULL;
	re->cap = re->have = re->end = re->asked = 0;
	re->phase = RS_IDLE;
}

static void on_start(struct recon2_resp *re, const struct riblt_sketch *own,
                     const struct recon2_msg *m, struct recon2_out *out)
{
	recon2_resp_free(re);
	re->sid = m->sid;
	uint64_t delta = m->count > own->n ? m->count - own->n : own->n - m->count;
	uint8_t d[RIBLT_DIGEST];
	riblt_sketch_digest(own, d);
	if (delta == 0 && memcmp(m->digest, d, RIBLT_DIGEST) == 0) {
		resp_end(re, R2_SAME, NULL, 0, out);
	} else if (delta > own->size / 2) {
		resp_end(re, R2_TOO_MANY, NULL, 0, out);
	} else {
		uint8_t counts[RECON2_COUNTS];
		uint32_t k = own->size - 1 < RECON2_COUNTS ? own->size - 1 : RECON2_COUNTS;
		riblt_sketch_counts(own, 1, k, counts);
		recon2_msg_estimate(out_msg(out), re->sid, own->n, counts, k);
		re->phase = RS_ESTIMATED;
	}
}

/*
 * The peer's items and ours, per key: the winner of each key decides.  If
 * the peer's item wins we ask for its record; if ours wins, we send ours.
 * Lists are ascending by item, hence by key.
 */
static void resolve(const struct recon2_resp *re, const struct riblt_result *r,
                    struct recon2_out *out, uint8_t (**take)[16], size_t *ntake)
{
	size_t i = 0, j = 0, n = 0;
	*take = gl_xmalloc((r->nplus ? r->nplus : 1) * 16);
	while (i < r->nplus || j < r->nminus) {
		const uint8_t *key;
		if (j == r->nminus || (i < r->nplus && memcmp(r->plus[i], r->minus[j], 16) <= 0))
			key = r->plus[i];
		else
			key = r->minus[j];
		const uint8_t *best = NULL;
		bool theirs = false;
		for (; i < r->nplus && memcmp(r->plus[i], key, 16) == 0; i++)
			if (!best || memcmp(r->plus[i], best, RECON_ITEM) > 0) {
				best = r->plus[i];
				theirs = true;
			}
		for (; j < r->nminus && memcmp(r->minus[j], key, 16) == 0; j++)
			if (!best || memcmp(r->minus[j], best, RECON_ITEM) > 0) {
				best = r->minus[j];
				theirs = false;
			}
		if (theirs) {
			if (re->skip && re->skip(re->skip_ctx, best))
				continue;
			memcpy((*take)[n++], best, 16);
			items_push(&out->take, best);
		} else {
			items_push(&out->give, best);
		}
	}
	*ntake = n;
}

/*
 * How far to ask with MORE after a flight that did not decode: half as
 * much again, at least 16 more, and at least what the counts of the
 * symbols received so far call for (they say more than ESTIMATE's, and
 * the initiator's estimate may have been short).
 */
static uint32_t more_for(const struct recon2_resp *re, const struct riblt_sketch *own)
{
	uint32_t k = re->end - 1 < RECON2_COUNTS_MAX ? re->end - 1 : RECON2_COUNTS_MAX;
	uint8_t mine[RECON2_COUNTS_MAX], theirs[RECON2_COUNTS_MAX];
	riblt_sketch_counts(own, 1, k, mine);
	for (uint32_t i = 0; i < k; i++)
		theirs[i] = re->syms[(size_t)(i + 1) * RIBLT_SYMBOL_WIRE + RIBLT_ITEM + 4];
	uint32_t want = recon2_flight_for(recon2_estimate(theirs, mine, k, re->peer_n, own->n));
	uint32_t more = re->end + (re->end / 2 > 16 ? re->end / 2 : 16);
	if (want > more)
		more = want;
	return more < own->size ? more : own->size;
}

static void decode(struct recon2_resp *re, const struct riblt_sketch *own, struct recon2_out *out,
                   struct gl_error *err)
{
	struct riblt_result res = { 0 };
	out->symbols = re->end;
	if (re->end > own->size) {
		resp_end(re, R2_TOO_MANY, NULL, 0, out);
		return;
	}
	int rc = riblt_decode(re->syms, re->end, own, &res, err);
	if (rc == 1) {
		if (re->end >= own->size) {
			resp_end(re, R2_TOO_MANY, NULL, 0, out);
			return;
		}
		re->asked = more_for(re, own);
		re->phase = RS_FLIGHT;
		recon2_msg_more(out_msg(out), re->sid, re->asked);
		return;
	}
	if (rc == 0)
		rc = riblt_verify(&res, own, re->peer_n, re->peer_digest, err);
	if (rc != 0) {
		/* crafted symbols or items, or a bug: v1 will settle it */
		riblt_result_free(&res);
		resp_end(re, R2_FAILED, NULL, 0, out);
		return;
	}
	uint8_t (*take)[16];
	size_t ntake;
	resolve(re, &res, out, &take, &ntake);
	resp_end(re, R2_DECODED, (const uint8_t (*)[16])take, ntake, out);
	free(take);
	riblt_result_free(&res);
}

static int on_symbols(struct recon2_resp *re, const struct riblt_sketch *own,
                      const struct recon2_msg *m, struct recon2_out *out, struct gl_error *err)
{
	bool new_flight = re->have == re->end; /* the first, or the one MORE asked for */
	if (re->have == 0) {
		re->peer_n = m->count;
		memcpy(re->peer_digest, m->digest, RIBLT_DIGEST);
	} else if (m->count != re->peer_n || memcmp(m->digest, re->peer_digest, RIBLT_DIGEST)) {
		return gl_errorf(err, GL_EPROTO, "recon2: SYMBOLS of another set in session %llu",
		                 (unsigned long long)m->sid);
	}
	if (m->first != re->have)
		return gl_errorf(err, GL_EPROTO, "recon2: symbols from %u, expected %u",
		                 (unsigned)m->first, (unsigned)re->have);
	if (new_flight && re->have && re->asked <= re->have)
		return gl_errorf(err, GL_EPROTO, "recon2: SYMBOLS before MORE in session %llu",
		                 (unsigned long long)m->sid);
	if (new_flight ? (re->have && m->end != re->asked) : m->end != re->end)
		return gl_errorf(err, GL_EPROTO, "recon2: a flight to %u, expected %u", (unsigned)m->end,
		                 (unsigned)(new_flight ? re->asked : re->end));
	re->end = m->end;
	if (re->cap < re->end) {
		re->syms = gl_xrealloc(re->syms, (size_t)re->end * RIBLT_SYMBOL_WIRE);
		re->cap = re->end;
	}
	memcpy(re->syms + (size_t)re->have * RIBLT_SYMBOL_WIRE, m->symbols,
	       (size_t)m->nsymbols * RIBLT_SYMBOL_WIRE);
	re->have += m->nsymbols;
	re->phase = RS_FLIGHT;
	if (re->have == re->end)
		decode(re, own, out, err);
	return 0;
}

int recon2_responder_on(struct recon2_resp *re, const struct riblt_sketch *own,
                        const struct recon2_msg *m, struct recon2_out *out, struct gl_error *err)
{
	if (m->type == R2_START) {
		on_start(re, own, m, out);
		return 0;
	}
	if (m->sid != re->sid || re->phase == RS_IDLE)
		return 0; /* a late message of a session that has ended */
	switch (m->type) {
	case R2_SYMBOLS:
		return on_symbols(re, own, m, out, err);
	case R2_END:
		finish(out, (int)m->status);
		recon2_resp_free(re);
		return 0;
	default:
		return gl_errorf(err, GL_EPROTO, "recon2: message %u is not for the responder",
		                 m->type);
	}
}

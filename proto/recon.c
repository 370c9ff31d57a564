/*
 * recon.c — range-based set reconciliation; the message format and the
 * answering rules are specified in recon.h and PROTOCOL.md section 6.4.
 *
 * A received message is read twice: once to check all of it (nothing is
 * acted on before the whole message is known to be well-formed), then
 * again to answer it range by range.  Own items are only ever streamed
 * from the source: memory does not grow with the number of items except
 * for a LIST (at most RECON_LIST_MAX items) and the give/take outputs.
 *
 * One addition to recon.h: an answer never holds more than
 * RECON_RANGES_MAX ranges (the most a receiver accepts) nor more than
 * ANSWER_BYTES_MAX bytes (it must fit one frame inside its RECON
 * message).  When the next range's answer would not fit, with room kept
 * in reserve for one more range, the rest of the space, from that
 * range's lower bound to the end, is sent as one FINGERPRINT range and
 * the remaining received ranges are not acted on; the peer splits that
 * range again in its next answer.
 */
#include "proto/recon.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>
#include <sodium.h>

#include "proto/frame.h"
#include "proto/mp.h"

enum { MODE_SKIP = 0, MODE_FP = 1, MODE_LIST = 2 };

/* Most bytes of an answer: a frame less room for the RECON header [2, ..]. */
#define ANSWER_BYTES_MAX (FRAME_MAX - 16)
/* Most bytes of one range, by mode: array header, bound, mode, payload. */
#define HEAD_BYTES (1 + 2 + RECON_ITEM + 1)
#define SKIP_BYTES (HEAD_BYTES + 1)
#define FP_BYTES (HEAD_BYTES + 2 + 16)
#define LIST_BYTES(k) (HEAD_BYTES + 3 + (size_t)(k) * (2 + RECON_ITEM))

/* A range's upper bound: the 32-byte value v, sent as its first len bytes. */
struct bound {
	uint8_t v[RECON_ITEM];
	uint8_t len;
	bool nil; /* the end of the space */
};

/* The running sum of h(x) over a range, as four little-endian limbs. */
struct acc {
	uint64_t w[4];
	uint64_t n;
};

/* Own items of a range: the sum, the count, and the first few items. */
struct summary {
	const uint8_t *key;
	struct acc acc;
	uint8_t first[RECON_LIST_MAX][RECON_ITEM];
};

/* One received range, as read by read_range(). */
struct range {
	struct bound hi;
	uint64_t mode;
	const uint8_t *fp;     /* MODE_FP: 16 bytes */
	struct mp_reader list; /* MODE_LIST: positioned at the first item */
	uint32_t m;            /* MODE_LIST: items */
};

/* The answer being built; adjacent SKIP ranges are merged. */
struct emit {
	struct gl_buf body;
	msgpack_packer pk;
	unsigned n;       /* ranges written to body */
	unsigned nonskip; /* of which not SKIP */
	bool pend;        /* a SKIP range is waiting to be written */
	struct bound pend_hi;
};

static const struct bound space_end = { .nil = true };

/* ---- fingerprints ---- */

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void acc_add(struct acc *a, const uint8_t key[32], const uint8_t x[RECON_ITEM])
{
	uint8_t h[32];
	crypto_generichash(h, sizeof h, x, RECON_ITEM, key, 32);
	uint64_t carry = 0;
	for (int i = 0; i < 4; i++) {
		uint64_t v = get_le64(h + 8 * i);
		uint64_t s = a->w[i] + v;
		uint64_t c = s < v;
		s += carry;
		c |= s < carry;
		a->w[i] = s;
		carry = c;
	}
	a->n++;
}

static void acc_fp(const struct acc *a, uint8_t fp[16])
{
	uint8_t m[40];
	for (int i = 0; i < 4; i++)
		put_le64(m + 8 * i, a->w[i]);
	put_le64(m + 32, a->n);
	crypto_generichash(fp, 16, m, sizeof m, NULL, 0);
}

void recon_fingerprint(const uint8_t key[32], const uint8_t (*v)[RECON_ITEM], size_t n,
                       uint8_t fp[16])
{
	struct acc a = { 0 };
	for (size_t i = 0; i < n; i++)
		acc_add(&a, key, v[i]);
	acc_fp(&a, fp);
}

/* ---- outputs ---- */

static void items_push(struct recon_items *it, const uint8_t x[RECON_ITEM])
{
	if (it->n == it->cap) {
		size_t cap = it->cap ? it->cap * 2 : 64;
		it->v = gl_xrealloc(it->v, cap * RECON_ITEM);
		it->cap = cap;
	}
	memcpy(it->v[it->n++], x, RECON_ITEM);
}

static void spans_clear(struct recon_out *out, size_t from)
{
	for (size_t i = from; i < out->nspans; i++)
		free(out->spans[i].peer);
	out->nspans = from;
}

void recon_span_free(struct recon_span *sp)
{
	free(sp->peer);
	sp->peer = NULL;
	sp->npeer = 0;
}

bool recon_span_wants(const struct recon_span *sp, const uint8_t x[RECON_ITEM])
{
	if (memcmp(x, sp->lo, RECON_ITEM) < 0 || (!sp->to_end && memcmp(x, sp->hi, RECON_ITEM) >= 0))
		return false;
	/* the peer's items are ascending, one per key hash: find x's key */
	size_t a = 0, b = sp->npeer;
	while (a < b) {
		size_t mid = a + (b - a) / 2;
		int c = memcmp(sp->peer[mid], x, 16);
		if (c == 0)
			return memcmp(x + 16, sp->peer[mid] + 16, RECON_ITEM - 16) > 0;
		if (c < 0)
			a = mid + 1;
		else
			b = mid;
	}
	return true;
}

void recon_out_reset(struct recon_out *out)
{
	out->msg.len = out->give.n = out->take.n = 0;
	spans_clear(out, 0);
	out->finished = false;
	out->ranges = 0;
}

void recon_out_free(struct recon_out *out)
{
	gl_buf_free(&out->msg);
	free(out->give.v);
	free(out->take.v);
	spans_clear(out, 0);
	free(out->spans);
	memset(out, 0, sizeof *out);
}

static int buf_write(void *data, const char *buf, size_t len)
{
	gl_buf_append(data, buf, len);
	return 0;
}

static void emit_init(struct emit *e)
{
	memset(e, 0, sizeof *e);
	msgpack_packer_init(&e->pk, &e->body, buf_write);
}

static void emit_bound_mode(struct emit *e, const struct bound *hi, unsigned mode)
{
	msgpack_pack_array(&e->pk, 3);
	if (hi->nil)
		msgpack_pack_nil(&e->pk);
	else
		msgpack_pack_bin_with_body(&e->pk, hi->v, hi->len);
	msgpack_pack_unsigned_int(&e->pk, mode);
	e->n++;
	e->nonskip += mode != MODE_SKIP;
}

static void flush_skip(struct emit *e)
{
	if (e->pend) {
		e->pend = false;
		emit_bound_mode(e, &e->pend_hi, MODE_SKIP);
		msgpack_pack_nil(&e->pk);
	}
}

/* Start a range [bound, mode, ...]; the caller packs the payload. */
static void emit_head(struct emit *e, const struct bound *hi, unsigned mode)
{
	flush_skip(e);
	emit_bound_mode(e, hi, mode);
}

static void emit_skip(struct emit *e, const struct bound *hi)
{
	e->pend = true;
	e->pend_hi = *hi;
}

static void emit_fp(struct emit *e, const struct bound *hi, const struct acc *a)
{
	uint8_t fp[16];
	acc_fp(a, fp);
	emit_head(e, hi, MODE_FP);
	msgpack_pack_bin_with_body(&e->pk, fp, sizeof fp);
}

static void emit_list(struct emit *e, const struct bound *hi, const struct summary *s)
{
	emit_head(e, hi, MODE_LIST);
	msgpack_pack_array(&e->pk, (size_t)s->acc.n);
	for (uint64_t i = 0; i < s->acc.n; i++)
		msgpack_pack_bin_with_body(&e->pk, s->first[i], RECON_ITEM);
}

/* Whether `ranges` more ranges of at most `bytes` bytes fit the answer,
 * keeping room for a tail range unless this is the last received range. */
static bool room(const struct emit *e, unsigned ranges, size_t bytes, bool last)
{
	size_t n = e->n + e->pend + ranges + !last;
	size_t b = e->body.len + (e->pend ? SKIP_BYTES : 0) + bytes + (last ? 0 : FP_BYTES);
	return n <= RECON_RANGES_MAX && b + 5 <= ANSWER_BYTES_MAX;
}

/* Room for a SKIP range, which costs nothing after another SKIP. */
static bool room_skip(const struct emit *e, bool last)
{
	return e->pend ? room(e, 0, 0, last) : room(e, 1, SKIP_BYTES, last);
}

/* Move the answer into out->msg: the empty array if every range is SKIP. */
static void emit_finish(struct emit *e, struct recon_out *out)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, &out->msg, buf_write);
	out->msg.len = 0;
	if (e->nonskip == 0) {
		msgpack_pack_array(&pk, 0);
		out->finished = true;
		out->ranges = 0;
		return;
	}
	flush_skip(e);
	msgpack_pack_array(&pk, e->n);
	gl_buf_append(&out->msg, e->body.data, e->body.len);
	out->ranges = e->n;
}

/* ---- scanning own items ---- */

static int summary_item(void *arg, const uint8_t x[RECON_ITEM])
{
	struct summary *s = arg;
	if (s->acc.n < RECON_LIST_MAX)
		memcpy(s->first[s->acc.n], x, RECON_ITEM);
	acc_add(&s->acc, s->key, x);
	return 0;
}

/* Visit own items in [lo, hi) with fn. */
static int scan(const struct recon_source *src, const uint8_t *lo, const struct bound *hi,
                int (*fn)(void *arg, const uint8_t x[RECON_ITEM]), void *arg,
                struct gl_error *err)
{
	int rc = src->scan(src->ctx, lo, hi->nil ? NULL : hi->v, fn, arg);
	if (rc)
		return gl_errorf(err, rc < 0 ? rc : GL_EINVAL, "recon: reading own items failed");
	return 0;
}

static int summarize(const struct recon_source *src, const uint8_t key[32], const uint8_t *lo,
                     const struct bound *hi, struct summary *s, struct gl_error *err)
{
	memset(s, 0, sizeof *s);
	s->key = key;
	return scan(src, lo, hi, summary_item, s, err);
}

/* The shortest prefix of b greater than a (a < b), as a bound. */
static void split_bound(const uint8_t a[RECON_ITEM], const uint8_t b[RECON_ITEM],
                        struct bound *out)
{
	unsigned l = 0;
	while (l < RECON_ITEM - 1 && a[l] == b[l])
		l++;
	memset(out, 0, sizeof *out);
	memcpy(out->v, b, l + 1);
	out->len = (uint8_t)(l + 1);
}

struct split {
	const uint8_t *key;
	struct emit *e;
	uint64_t c, i, end; /* own items, items seen, end of bucket j */
	unsigned j;
	struct acc acc;
	uint8_t last[RECON_ITEM];
};

static uint64_t bucket_end(uint64_t c, unsigned j)
{
	return (uint64_t)(j + 1) * c / RECON_BRANCH;
}

static int split_item(void *arg, const uint8_t x[RECON_ITEM])
{
	struct split *s = arg;
	if (s->i == s->end && s->j + 1 < RECON_BRANCH) {
		struct bound b;
		split_bound(s->last, x, &b);
		emit_fp(s->e, &b, &s->acc);
		memset(&s->acc, 0, sizeof s->acc);
		s->j++;
		s->end = bucket_end(s->c, s->j);
	}
	acc_add(&s->acc, s->key, x);
	memcpy(s->last, x, RECON_ITEM);
	s->i++;
	return 0;
}

/* Answer a range of c > RECON_LIST_MAX own items with RECON_BRANCH
 * FINGERPRINT ranges, bucket j holding items [j*c/B, (j+1)*c/B). */
static int split(const struct recon_source *src, const uint8_t key[32], const uint8_t *lo,
                 const struct bound *hi, uint64_t c, struct emit *e, struct gl_error *err)
{
	struct split s = { .key = key, .e = e, .c = c, .end = bucket_end(c, 0) };
	int rc = scan(src, lo, hi, split_item, &s, err);
	if (rc)
		return rc;
	if (s.i != c || s.j != RECON_BRANCH - 1)
		return gl_errorf(err, GL_EINVAL, "recon: item source changed during a scan");
	emit_fp(e, hi, &s.acc);
	return 0;
}

/* Key-by-key comparison of own items with the peer's LIST.  Own items to
 * give are listed while they are few; past RECON_GIVE_LISTED in one range
 * the range becomes a span (recon.h) and the listing stops. */
struct merge {
	struct mp_reader r;
	uint32_t left;
	const uint8_t *p; /* the peer's current item, NULL when done */
	struct recon_out *out;
	size_t given;     /* own items of this range the peer lacks */
	size_t give0;     /* out->give.n before this range */
};

static void merge_next(struct merge *m)
{
	uint32_t len;
	m->p = NULL;
	if (m->left > 0 && mp_read_bin(&m->r, &m->p, &len, NULL) == 0)
		m->left--;
}

static void merge_give(struct merge *m, const uint8_t x[RECON_ITEM])
{
	if (++m->given <= RECON_GIVE_LISTED)
		items_push(&m->out->give, x);
}

static int merge_item(void *arg, const uint8_t x[RECON_ITEM])
{
	struct merge *m = arg;
	while (m->p && memcmp(m->p, x, 16) < 0) {
		items_push(&m->out->take, m->p);
		merge_next(m);
	}
	if (m->p && memcmp(m->p, x, 16) == 0) {
		int c = memcmp(x + 16, m->p + 16, RECON_ITEM - 16);
		if (c > 0)
			merge_give(m, x);
		else if (c < 0)
			items_push(&m->out->take, m->p);
		merge_next(m);
	} else {
		merge_give(m, x);
	}
	return 0;
}

static void push_span(struct recon_out *out, const uint8_t *lo, const struct range *rg)
{
	if (out->nspans == out->spans_cap) {
		size_t cap = out->spans_cap ? out->spans_cap * 2 : 4;
		out->spans = gl_xrealloc(out->spans, cap * sizeof *out->spans);
		out->spans_cap = cap;
	}
	struct recon_span *sp = &out->spans[out->nspans++];
	memset(sp, 0, sizeof *sp);
	memcpy(sp->lo, lo, RECON_ITEM);
	memcpy(sp->hi, rg->hi.v, RECON_ITEM);
	sp->to_end = rg->hi.nil;
	sp->npeer = rg->m;
	if (rg->m) {
		sp->peer = gl_xmalloc((size_t)rg->m * RECON_ITEM);
		struct mp_reader r = rg->list;
		for (uint32_t i = 0; i < rg->m; i++) {
			const uint8_t *x;
			uint32_t len;
			mp_read_bin(&r, &x, &len, NULL); /* validated before */
			memcpy(sp->peer[i], x, RECON_ITEM);
		}
	}
}

static int merge(const struct recon_source *src, const uint8_t *lo, const struct range *rg,
                 struct recon_out *out, struct gl_error *err)
{
	struct merge m = { .r = rg->list, .left = rg->m, .out = out, .give0 = out->give.n };
	merge_next(&m);
	int rc = scan(src, lo, &rg->hi, merge_item, &m, err);
	if (rc)
		return rc;
	while (m.p) {
		items_push(&out->take, m.p);
		merge_next(&m);
	}
	if (m.given > RECON_GIVE_LISTED) {
		out->give.n = m.give0;
		push_span(out, lo, rg);
	}
	return 0;
}

/* ---- reading a received message ---- */

/* Range i breaks the rules: GL_EPROTO with "recon range i: <reason>". */
__attribute__((format(printf, 3, 4)))
static int bad(struct gl_error *err, uint32_t i, const char *fmt, ...)
{
	if (!err)
		return GL_EPROTO;
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return gl_errorf(err, GL_EPROTO, "recon range %u: %s", (unsigned)i, msg);
}

/* A msgpack error (already in err) at range i, as GL_EPROTO. */
static int proto_fail(struct gl_error *err, uint32_t i, const char *what)
{
	gl_error_prefix(err, GL_EPROTO, "recon range %u: %s", (unsigned)i, what);
	if (err)
		err->code = GL_EPROTO;
	return GL_EPROTO;
}

static int read_bound(struct mp_reader *r, uint32_t i, bool last, const uint8_t *lo,
                      struct bound *hi, struct gl_error *err)
{
	struct mp_item it;
	int rc = mp_next(r, &it, err);
	if (rc)
		return proto_fail(err, i, "bound");
	memset(hi, 0, sizeof *hi);
	if (it.type == MP_NIL) {
		if (!last)
			return bad(err, i, "nil bound before the last range");
		hi->nil = true;
		return 0;
	}
	if (it.type != MP_BIN)
		return bad(err, i, "bound is neither nil nor bin");
	if (last)
		return bad(err, i, "the last range's bound is not nil");
	if (it.v.s.len < 1 || it.v.s.len > RECON_ITEM)
		return bad(err, i, "bound of %u bytes, expected 1 to 32", (unsigned)it.v.s.len);
	memcpy(hi->v, it.v.s.p, it.v.s.len);
	hi->len = (uint8_t)it.v.s.len;
	if (memcmp(hi->v, lo, RECON_ITEM) <= 0)
		return bad(err, i, "bound not above the previous one");
	return 0;
}

static int read_list(struct mp_reader *r, uint32_t i, const uint8_t *lo, struct range *rg,
                     size_t *total, struct gl_error *err)
{
	if (mp_read_array(r, &rg->m, err))
		return proto_fail(err, i, "LIST payload");
	if (rg->m > RECON_ITEMS_MAX - *total)
		return gl_errorf(err, GL_EPROTO, "recon: more than %u listed items", RECON_ITEMS_MAX);
	*total += rg->m;
	rg->list = *r;
	const uint8_t *prev = NULL, *p;
	uint32_t len;
	for (uint32_t k = 0; k < rg->m; k++, prev = p) {
		if (mp_read_bin(r, &p, &len, err))
			return proto_fail(err, i, "LIST item");
		if (len != RECON_ITEM)
			return bad(err, i, "LIST item of %u bytes, expected 32", (unsigned)len);
		if (prev && memcmp(prev, p, RECON_ITEM) >= 0)
			return bad(err, i, "LIST items not ascending");
		if (prev && memcmp(prev, p, 16) == 0)
			return bad(err, i, "two LIST items for one key");
		if (memcmp(p, lo, RECON_ITEM) < 0 || (!rg->hi.nil && memcmp(p, rg->hi.v, RECON_ITEM) >= 0))
			return bad(err, i, "LIST item outside the range");
	}
	return 0;
}

/* Read and check range i, whose lower bound is lo. */
static int read_range(struct mp_reader *r, uint32_t i, bool last, const uint8_t *lo,
                      struct range *rg, size_t *total, struct gl_error *err)
{
	uint32_t n;
	struct mp_item it;
	if (mp_read_array(r, &n, err))
		return proto_fail(err, i, "range");
	if (n != 3)
		return bad(err, i, "array of %u, expected 3", (unsigned)n);
	int rc = read_bound(r, i, last, lo, &rg->hi, err);
	if (rc)
		return rc;
	if (mp_read_uint(r, &rg->mode, err))
		return proto_fail(err, i, "mode");
	switch (rg->mode) {
	case MODE_SKIP:
		if (mp_next(r, &it, err))
			return proto_fail(err, i, "SKIP payload");
		if (it.type != MP_NIL)
			return bad(err, i, "SKIP payload not nil");
		return 0;
	case MODE_FP:
		if (mp_read_bin(r, &rg->fp, &n, err))
			return proto_fail(err, i, "FINGERPRINT payload");
		if (n != 16)
			return bad(err, i, "fingerprint of %u bytes, expected 16", (unsigned)n);
		return 0;
	case MODE_LIST:
		return read_list(r, i, lo, rg, total, err);
	}
	return bad(err, i, "unknown mode %llu", (unsigned long long)rg->mode);
}

/* Check the whole message; *n is its number of ranges. */
static int validate(const uint8_t *msg, size_t len, uint32_t *n, struct gl_error *err)
{
	struct mp_reader r;
	mp_reader_init(&r, msg, len);
	if (mp_read_array(&r, n, err))
		return proto_fail(err, 0, "ranges array");
	if (*n > RECON_RANGES_MAX)
		return gl_errorf(err, GL_EPROTO, "recon: %u ranges, at most %u allowed", (unsigned)*n,
		                 RECON_RANGES_MAX);
	uint8_t lo[RECON_ITEM] = { 0 };
	size_t total = 0;
	for (uint32_t i = 0; i < *n; i++) {
		struct range rg;
		int rc = read_range(&r, i, i + 1 == *n, lo, &rg, &total, err);
		if (rc)
			return rc;
		memcpy(lo, rg.hi.v, RECON_ITEM);
	}
	if (mp_left(&r) != 0)
		return gl_errorf(err, GL_EPROTO, "recon: %zu bytes after the ranges", mp_left(&r));
	return 0;
}

/* ---- answering ---- */

/* Returns 0, 1 if the answer has no room for this range, or an error. */
static int answer_fp(const struct recon_source *src, const uint8_t key[32], const uint8_t *lo,
                     const struct range *rg, bool last, struct emit *e, struct gl_error *err)
{
	struct summary s;
	int rc = summarize(src, key, lo, &rg->hi, &s, err);
	if (rc)
		return rc;
	uint8_t fp[16];
	acc_fp(&s.acc, fp);
	if (memcmp(fp, rg->fp, 16) == 0) {
		if (!room_skip(e, last))
			return 1;
		emit_skip(e, &rg->hi);
	} else if (s.acc.n <= RECON_LIST_MAX) {
		if (!room(e, 1, LIST_BYTES(s.acc.n), last))
			return 1;
		emit_list(e, &rg->hi, &s);
	} else {
		if (!room(e, RECON_BRANCH, RECON_BRANCH * FP_BYTES, last))
			return 1;
		return split(src, key, lo, &rg->hi, s.acc.n, e, err);
	}
	return 0;
}

static int answer_range(const struct recon_source *src, const uint8_t key[32],
                        const uint8_t *lo, const struct range *rg, bool last,
                        struct emit *e, struct recon_out *out, struct gl_error *err)
{
	if (rg->mode == MODE_FP)
		return answer_fp(src, key, lo, rg, last, e, err);
	if (!room_skip(e, last))
		return 1;
	if (rg->mode == MODE_LIST) {
		int rc = merge(src, lo, rg, out, err);
		if (rc)
			return rc;
	}
	emit_skip(e, &rg->hi);
	return 0;
}

/* No room left: one FINGERPRINT range over own items from lo to the end. */
static int emit_tail(const struct recon_source *src, const uint8_t key[32], const uint8_t *lo,
                     struct emit *e, struct gl_error *err)
{
	struct summary s;
	int rc = summarize(src, key, lo, &space_end, &s, err);
	if (rc == 0)
		emit_fp(e, &space_end, &s.acc);
	return rc;
}

static int answer(const struct recon_source *src, const uint8_t key[32], const uint8_t *msg,
                  size_t len, struct recon_out *out, struct gl_error *err)
{
	struct mp_reader r;
	mp_reader_init(&r, msg, len);
	uint32_t n;
	mp_read_array(&r, &n, NULL);
	struct emit e;
	emit_init(&e);
	uint8_t lo[RECON_ITEM] = { 0 };
	size_t total = 0;
	int rc = 0;
	for (uint32_t i = 0; i < n && rc == 0; i++) {
		struct range rg;
		read_range(&r, i, i + 1 == n, lo, &rg, &total, NULL);
		rc = answer_range(src, key, lo, &rg, i + 1 == n, &e, out, err);
		if (rc == 1) {
			rc = emit_tail(src, key, lo, &e, err);
			break;
		}
		memcpy(lo, rg.hi.v, RECON_ITEM);
	}
	if (rc == 0)
		emit_finish(&e, out);
	gl_buf_free(&e.body);
	return rc;
}

int recon_respond(const struct recon_source *src, const uint8_t key[32],
                  const uint8_t *msg, size_t len, struct recon_out *out,
                  struct gl_error *err)
{
	out->msg.len = 0;
	out->finished = false;
	out->ranges = 0;
	uint32_t n;
	int rc = validate(msg, len, &n, err);
	if (rc)
		return rc;
	if (n == 0) {
		out->finished = true;
		return 0;
	}
	size_t give = out->give.n, take = out->take.n, spans = out->nspans;
	rc = answer(src, key, msg, len, out, err);
	if (rc) {
		out->give.n = give;
		out->take.n = take;
		spans_clear(out, spans);
		out->msg.len = 0;
	}
	return rc;
}

int recon_initiate(const struct recon_source *src, const uint8_t key[32],
                   struct recon_out *out, struct gl_error *err)
{
	recon_out_reset(out);
	struct summary s;
	int rc = summarize(src, key, NULL, &space_end, &s, err);
	if (rc)
		return rc;
	struct emit e;
	emit_init(&e);
	if (s.acc.n <= RECON_LIST_MAX)
		emit_list(&e, &space_end, &s);
	else
		emit_fp(&e, &space_end, &s.acc);
	emit_finish(&e, out);
	gl_buf_free(&e.body);
	return 0;
}

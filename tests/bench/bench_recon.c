/*
 * bench_recon — what reconciliation costs two nodes sharing n items with d
 * differences: v1 (range-based, proto/recon.c) and v3 (rateless IBLT,
 * proto/recon2.c; v2's symbols and messages with a lattice digest) side by
 * side, at the points of issue 23, beside the
 * negentropy figures the issue measured (printed as constants, labelled)
 * and beside the physical references measured in this run: the ids of
 * the differences, and hashing all n items once.
 *
 * Both nodes run in this process over in-memory sets; no network, no
 * store.  Wire bytes are counted as a real link carries them: each
 * message's plaintext plus 21 bytes of framing (4-byte length, 17 bytes of
 * secretstream tag).  "Beyond the records" is every byte on the wire but
 * the record envelopes themselves: reconciliation messages, WANT (v1) or
 * END's take keys and SENT (v2), and the RECORDS messages' own framing
 * (3 bytes per envelope, a header and 21 bytes per message).
 *
 * Run: meson test -C build --benchmark --suite bench recon --verbose
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "proto/frame.h"
#include "proto/recon.h"
#include "proto/recon2.h"
#include "timing.h"

#define RECORD_AVG 1200 /* assumed average record envelope, bytes */
#define FRAMING 21      /* per message on the wire */
#define V1_REPS 3
#define V2_TRIALS 40
#define SKETCH 8192     /* symbols each v2 node keeps */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static void make_item(uint8_t x[32], uint64_t version)
{
	for (int i = 0; i < 16; i++)
		x[i] = (uint8_t)rnd();
	put_be64(x + 16, version);
	for (int i = 24; i < 32; i++)
		x[i] = (uint8_t)rnd();
}

struct set {
	uint8_t (*v)[32];
	size_t n, cap;
};

static void set_add(struct set *s, const uint8_t x[32])
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 1024;
		s->v = gl_xrealloc(s->v, s->cap * 32);
	}
	memcpy(s->v[s->n++], x, 32);
}

static int cmp_item(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

static int set_scan(void *ctx, const uint8_t *lo, const uint8_t *hi,
                    int (*fn)(void *arg, const uint8_t item[RECON_ITEM]), void *arg)
{
	struct set *s = ctx;
	size_t a = 0, b = s->n;
	while (lo && a < b) {
		size_t m = a + (b - a) / 2;
		if (memcmp(s->v[m], lo, 32) < 0)
			a = m + 1;
		else
			b = m;
	}
	for (size_t i = a; i < s->n; i++) {
		if (hi && memcmp(s->v[i], hi, 32) >= 0)
			break;
		if (fn(arg, s->v[i]))
			break;
	}
	return 0;
}

/* d differences in turn: only on A, only on B, a newer version of a key
 * on one side (alternating A, B): the extras of each side. */
static void make_diff(size_t d, struct set *a, struct set *b)
{
	uint8_t x[32], y[32];
	for (size_t k = 0; k < d; k++) {
		make_item(x, 1 + rnd() % 1000000);
		if (k % 3 == 0) {
			set_add(a, x);
		} else if (k % 3 == 1) {
			set_add(b, x);
		} else {
			memcpy(y, x, 32);
			put_be64(y + 16, 1000001 + rnd() % 1000);
			y[31] ^= 0x5a;
			set_add((k / 3) % 2 ? a : b, x);
			set_add((k / 3) % 2 ? b : a, y);
		}
	}
}

/* RECORDS framing for n envelopes of RECORD_AVG bytes in one direction. */
static uint64_t records_framing(uint64_t n)
{
	uint64_t per = (FRAME_MAX - 64) / (RECORD_AVG + 3);
	if (per > 1024)
		per = 1024;
	uint64_t msgs = (n + per - 1) / per;
	return n * 3 + msgs * (5 + FRAMING);
}

/* ---- v1 ---- */

struct result {
	double rtt;           /* mean round trips */
	double le2;           /* share of runs with at most 2 */
	unsigned rtt_max;
	double bytes;         /* mean wire bytes beyond the records */
	double ms_i, ms_r;    /* mean CPU of the initiator's and responder's calls */
	uint64_t moved;       /* records moved (last run) */
};

/* One v1 reconciliation, A initiating. */
static int v1_once(struct set *a, struct set *b, const uint8_t key[32], unsigned *msgs,
                   uint64_t *bytes, double *t_a, double *t_b, uint64_t *moved)
{
	struct recon_source sa = { a, set_scan }, sb = { b, set_scan };
	struct recon_out oa = { 0 }, ob = { 0 };
	struct gl_error err = { 0 };
	uint64_t a2b = 0, b2a = 0, want = 0;
	double t0 = now_s();
	if (recon_initiate(&sa, key, &oa, &err))
		goto fail;
	*t_a += now_s() - t0;
	*msgs = 1;
	*bytes = oa.msg.len + 2 + FRAMING;
	struct recon_out *from = &oa, *to = &ob;
	bool to_b = true;
	for (int round = 0; round < 1000; round++) {
		size_t took = to->take.n, gave = to->give.n;
		t0 = now_s();
		if (recon_respond(to_b ? &sb : &sa, key, from->msg.data, from->msg.len, to, &err))
			goto fail;
		*(to_b ? t_b : t_a) += now_s() - t0;
		size_t k = to->take.n - took;
		if (k) /* one WANT per answer step that takes */
			want += 3 + 3 + 34 * k + FRAMING;
		/* records: what this side gives goes out, what it takes comes in */
		*(to_b ? &b2a : &a2b) += to->give.n - gave;
		*(to_b ? &a2b : &b2a) += k;
		if (to->msg.len == 0)
			break;
		(*msgs)++;
		*bytes += to->msg.len + 2 + FRAMING;
		struct recon_out *t = from;
		from = to;
		to = t;
		to_b = !to_b;
	}
	*moved = a2b + b2a;
	*bytes += want + records_framing(a2b) + records_framing(b2a);
	recon_out_free(&oa);
	recon_out_free(&ob);
	return 0;
fail:
	fprintf(stderr, "bench_recon: v1: %s\n", err.msg);
	recon_out_free(&oa);
	recon_out_free(&ob);
	return -1;
}

static int v1_run(const struct set *base, size_t d, struct result *res)
{
	struct set a = { 0 }, b = { 0 }, xa = { 0 }, xb = { 0 };
	make_diff(d, &xa, &xb);
	for (size_t i = 0; i < base->n; i++) {
		set_add(&a, base->v[i]);
		set_add(&b, base->v[i]);
	}
	for (size_t i = 0; i < xa.n; i++)
		set_add(&a, xa.v[i]);
	for (size_t i = 0; i < xb.n; i++)
		set_add(&b, xb.v[i]);
	qsort(a.v, a.n, 32, cmp_item);
	qsort(b.v, b.n, 32, cmp_item);
	uint8_t key[32];
	memset(key, 0x5c, sizeof key);
	memset(res, 0, sizeof *res);
	int rc = 0;
	for (int rep = 0; rep < V1_REPS && rc == 0; rep++) {
		unsigned msgs = 0;
		uint64_t bytes = 0;
		double ta = 0, tb = 0;
		rc = v1_once(&a, &b, key, &msgs, &bytes, &ta, &tb, &res->moved);
		unsigned rtt = (msgs + 1) / 2;
		res->rtt += (double)rtt / V1_REPS;
		res->le2 += (rtt <= 2) / (double)V1_REPS;
		res->rtt_max = rtt > res->rtt_max ? rtt : res->rtt_max;
		res->bytes += (double)bytes / V1_REPS;
		res->ms_i += ta * 1e3 / V1_REPS;
		res->ms_r += tb * 1e3 / V1_REPS;
	}
	free(a.v);
	free(b.v);
	free(xa.v);
	free(xb.v);
	return rc;
}

/* ---- v2 ---- */

struct v2_side {
	struct recon2_init in;
	struct recon2_resp re;
	struct recon2_out out;
};

/* Deliver a flight; returns the bytes and times the receiver's calls. */
static int v2_flight(struct recon2_out *from, struct v2_side *to, bool to_resp,
                     const struct riblt_sketch *sk, uint64_t *bytes, double *t)
{
	struct gl_error err = { 0 };
	recon2_out_reset(&to->out);
	for (size_t k = 0; k < from->nmsgs; k++) {
		struct recon2_msg m;
		*bytes += from->msgs[k].len + FRAMING;
		double t0 = now_s();
		int rc = recon2_parse(from->msgs[k].data, from->msgs[k].len, &m, &err);
		if (rc == 0)
			rc = to_resp ? recon2_responder_on(&to->re, sk, &m, &to->out, &err)
			             : recon2_initiator_on(&to->in, sk, &m, &to->out, &err);
		*t += now_s() - t0;
		if (rc) {
			fprintf(stderr, "bench_recon: v2: %s\n", err.msg);
			return -1;
		}
	}
	return 0;
}

/* One v2 session, I initiating.  flights: one-way flights until I has END. */
static int v2_once(const struct riblt_sketch *si, const struct riblt_sketch *sr,
                   unsigned *flights, uint64_t *bytes, double *t_i, double *t_r,
                   uint64_t *moved, int *status)
{
	struct v2_side I = { 0 }, R = { 0 };
	int rc = 0;
	double t0 = now_s();
	recon2_initiate(&I.in, 1, si, &I.out, NULL);
	*t_i += now_s() - t0;
	*flights = 0;
	*bytes = 0;
	*status = -1;
	uint64_t give_r = 0, take = 0;
	for (int k = 0; k < 32 && rc == 0; k++) {
		struct v2_side *from = k % 2 ? &R : &I, *to = k % 2 ? &I : &R;
		if (from->out.nmsgs == 0)
			break;
		(*flights)++;
		rc = v2_flight(&from->out, to, k % 2 == 0, k % 2 ? si : sr, bytes, k % 2 ? t_i : t_r);
		if (to->out.done && k % 2 == 0) {
			give_r = to->out.give.n;
			take = to->out.take.n;
		}
		if (to->out.done && k % 2 == 1) {
			*status = to->out.status;
			break;
		}
	}
	*moved = give_r + take;
	if (*status == R2_DECODED) /* SENT both ways, records both ways */
		*bytes += 2 * (4 + 3 + FRAMING) + records_framing(give_r) + records_framing(take);
	recon2_init_free(&I.in);
	recon2_resp_free(&R.re);
	recon2_out_free(&I.out);
	recon2_out_free(&R.out);
	return rc;
}

static void sketch_of(struct riblt_sketch *dst, const struct riblt_sketch *base,
                      const struct set *extra)
{
	riblt_sketch_copy(dst, base);
	for (size_t i = 0; i < extra->n; i++)
		riblt_sketch_add(dst, extra->v[i]);
}

static int v2_run(const struct riblt_sketch *base, size_t d, struct result *res)
{
	struct riblt_sketch si = { 0 }, sr = { 0 };
	memset(res, 0, sizeof *res);
	int rc = 0;
	for (int t = 0; t < V2_TRIALS && rc == 0; t++) {
		struct set xa = { 0 }, xb = { 0 };
		make_diff(d, &xa, &xb);
		sketch_of(&si, base, &xa);
		sketch_of(&sr, base, &xb);
		unsigned flights;
		uint64_t bytes;
		double ti = 0, tr = 0;
		int status;
		rc = v2_once(&si, &sr, &flights, &bytes, &ti, &tr, &res->moved, &status);
		if (rc == 0 && status != (d ? R2_DECODED : R2_SAME)) {
			fprintf(stderr, "bench_recon: v2 at d = %zu ended with status %d\n", d, status);
			rc = -1;
		}
		if (rc == 0 && res->moved != d) {
			fprintf(stderr, "bench_recon: v2 at d = %zu moved %" PRIu64 " records\n", d,
			        res->moved);
			rc = -1;
		}
		unsigned rtt = (flights + 1) / 2;
		res->rtt += (double)rtt / V2_TRIALS;
		res->le2 += (rtt <= 2) / (double)V2_TRIALS;
		res->rtt_max = rtt > res->rtt_max ? rtt : res->rtt_max;
		res->bytes += (double)bytes / V2_TRIALS;
		res->ms_i += ti * 1e3 / V2_TRIALS;
		res->ms_r += tr * 1e3 / V2_TRIALS;
		free(xa.v);
		free(xb.v);
	}
	riblt_sketch_free(&si);
	riblt_sketch_free(&sr);
	return rc;
}

/* ---- raw rates of this machine ---- */

/* What version 2's digest cost an item: P(x), then a ristretto255 addition
 * of encoded points (measured here for the comparison; no longer used). */
static void v2_digest_add(const uint8_t x[32], uint8_t d[32])
{
	uint8_t m[48], h[64], p[32], r[32];
	memcpy(m, "gilde-recon-v2/p", 16);
	memcpy(m + 16, x, 32);
	crypto_generichash(h, sizeof h, m, sizeof m, NULL, 0);
	crypto_core_ristretto255_from_hash(p, h);
	crypto_core_ristretto255_add(r, d, p);
	memcpy(d, r, 32);
}

static double rate_of(int what)
{
	uint8_t x[64] = { 0 }, h[64], key[32], d[32] = { 0 };
	uint16_t l[RIBLT_LANES], st[RIBLT_LANES] = { 0 };
	memset(key, 0x5c, sizeof key);
	uint64_t count = 0;
	double t0 = now_s(), t;
	do {
		for (int i = 0; i < 2000; i++) {
			x[0] = (uint8_t)i;
			x[1] = (uint8_t)(i >> 8);
			if (what == 0)
				crypto_generichash(h, 32, x, 32, key, 32);
			else if (what == 1)
				crypto_generichash(h, 16, x, 48, NULL, 0);
			else if (what == 2) {
				riblt_lanes(x, l);
				riblt_state_apply(st, l, 1);
				h[0] = (uint8_t)st[i % RIBLT_LANES];
			} else {
				v2_digest_add(x, d);
				h[0] = d[0];
			}
			x[2] ^= h[0];
		}
		count += 2000;
		t = now_s() - t0;
	} while (t < 0.5);
	return (double)count / t;
}

/* Signature verifications a second on one core (what ingest does for each
 * record), beside which a sketch's update per item is set. */
static double verify_rate(void)
{
	uint8_t pk[32], sk[64], sig[64], m[48] = { 0 };
	crypto_sign_keypair(pk, sk);
	crypto_sign_detached(sig, NULL, m, sizeof m, sk);
	uint64_t count = 0, ok = 0;
	double t0 = now_s(), t;
	do {
		for (int i = 0; i < 500; i++)
			ok += crypto_sign_verify_detached(sig, m, sizeof m, pk) == 0;
		count += 500;
		t = now_s() - t0;
	} while (t < 0.5);
	return ok == count ? (double)count / t : 0;
}

/* ---- output ---- */

/* Issue 23's measurements on real daemons (not this run): bytes per
 * difference beyond the records and round trips. */
static const struct {
	size_t n, d;
	const char *v1, *neg;
} reference[] = {
	{ 5000, 50, "486-507 B, 3", "1,259-1,285 B, 2" },
	{ 100000, 100, "922-935 B, 4", "1,115-1,134 B, 2" },
	{ 100000, 1000, "716-728 B, 7-8", "798-808 B, 2" },
	{ 100000, 0, "171 B, 1", "324 B, 1" },
	{ 5000, 0, "-", "-" },
};

static void print_row(const char *v, size_t n, size_t d, const struct result *r, double hash_rate)
{
	double hash_ms = (double)n / hash_rate * 1e3;
	char per[32];
	if (d)
		snprintf(per, sizeof per, "%.0f", r->bytes / (double)d);
	else
		snprintf(per, sizeof per, "(%.0f)", r->bytes);
	char ids[32];
	if (d)
		snprintf(ids, sizeof ids, "%.2f", r->bytes / (32.0 * (double)d));
	else
		snprintf(ids, sizeof ids, "-");
	printf("%-3s %7zu %5zu %8s %6s %5.2f %4.0f%% %4u %9.3f %9.3f %8.4f\n", v, n, d, per, ids,
	       r->rtt, 100 * r->le2, r->rtt_max, r->ms_i, r->ms_r, (r->ms_i + r->ms_r) / hash_ms);
}

static void header(double hash_rate, double h16_rate, double lane_rate)
{
	printf("bench_recon: reconciliation v1 (ranges) and v3 (rateless IBLT) between two nodes\n"
	       "sharing n items, with d differences split evenly: only on A, only on B, a newer\n"
	       "version on one side.  Both nodes in one process; v3 keeps %d symbols a node.\n\n",
	       SKETCH);
	printf("  B/diff    wire bytes beyond the records per difference (d = 0: the whole\n"
	       "            exchange in bytes, in brackets); plaintext + %d B framing a message,\n"
	       "            WANT (v1) or END's keys and SENT (v3), RECORDS framing for %d-byte\n"
	       "            records; targets: v3 <= 128 B, and <= 200 B at d = 0\n"
	       "  x_ids     B/diff / 32: against sending each difference's 32-byte id once\n"
	       "  rtt       round trips = ceil(one-way flights / 2), the END or final empty\n"
	       "            RECON included; mean; le2 the share of runs with <= 2; max\n"
	       "  ms_I/R    CPU of the initiator's / responder's calls for one reconciliation\n"
	       "            (v3: the sketches are kept up to date beforehand, see below)\n"
	       "  x_hash    (ms_I + ms_R) / the time to hash n items once at the raw keyed\n"
	       "            BLAKE2b rate: 1.0 = one pass over the set\n"
	       "  runs      v1: %d runs of one pair of sets; v3: %d pairs of sets\n\n",
	       FRAMING, RECORD_AVG, V1_REPS, V2_TRIALS);
	printf("raw rates of this machine: keyed BLAKE2b-256 of 32 B %.3g/s; BLAKE2b-128 of 48 B\n"
	       "(h(x)) %.3g/s; L(x) added to a state (v3's digest) %.3g/s.\n\n",
	       hash_rate, h16_rate, lane_rate);
	printf("%-3s %7s %5s %8s %6s %5s %5s %4s %9s %9s %8s\n", "v", "n", "d", "B/diff", "x_ids",
	       "rtt", "le2", "max", "ms_I", "ms_R", "x_hash");
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	static const size_t points[][2] = { { 5000, 0 },     { 5000, 50 },     { 100000, 0 },
	                                    { 100000, 100 }, { 100000, 1000 } };
	double hash_rate = rate_of(0), h16_rate = rate_of(1), lane_rate = rate_of(2),
	       v2_rate = rate_of(3), verify = verify_rate();
	printf("bench_recon: the sketch's cost per item stored or forgotten (what ingest pays\n"
	       "on the loop for each record) is printed below for each n, beside one signature\n"
	       "verification (%.1f us here); version 2's digest alone, P(x) and a ristretto255\n"
	       "addition, costs %.1f us an item in this run (%.2f x a verification).\n\n",
	       1e6 / verify, 1e6 / v2_rate, verify / v2_rate);
	header(hash_rate, h16_rate, lane_rate);
	size_t base_n = 0;
	struct set base = { 0 };
	struct riblt_sketch sk = { 0 };
	int rc = 0;
	for (size_t k = 0; k < sizeof points / sizeof points[0] && rc == 0; k++) {
		size_t n = points[k][0], d = points[k][1];
		if (n != base_n) {
			rng_state = 1000 + n;
			base.n = 0;
			riblt_sketch_free(&sk);
			riblt_sketch_init(&sk, SKETCH);
			double t_add = 0;
			for (size_t i = 0; i < n; i++) {
				uint8_t x[32];
				make_item(x, 1 + rnd() % 1000000);
				set_add(&base, x);
				double t0 = now_s();
				riblt_sketch_add(&sk, x);
				t_add += now_s() - t0;
			}
			base_n = n;
			printf("--- n = %zu: a v3 sketch of the shared items takes %.2f s to build, "
			       "%.1f us an item added\n    (%.1f of them for L(x) into the state); kept up "
			       "to date as records come and go,\n    not per reconciliation: %.3f x the "
			       "CPU of one signature verification (%.1f us\n    here), which each "
			       "record ingested costs too (v2's digest: %.2f x)\n",
			       n, t_add, t_add / (double)n * 1e6, 1e6 / lane_rate,
			       t_add / (double)n * verify, 1e6 / verify, verify / v2_rate);
		}
		struct result r1, r2;
		rng_state = 7 * n + d;
		rc = v1_run(&base, d, &r1);
		if (rc == 0 && r1.moved != d) {
			fprintf(stderr, "bench_recon: v1 at d = %zu moved %" PRIu64 "\n", d, r1.moved);
			rc = -1;
		}
		if (rc == 0)
			rc = v2_run(&sk, d, &r2);
		if (rc)
			break;
		print_row("v1", n, d, &r1, hash_rate);
		print_row("v3", n, d, &r2, hash_rate);
	}
	printf("\nreference, issue 23 (real daemons, measured there, not in this run):\n");
	printf("%7s %5s  %-16s %s\n", "n", "d", "gilde v1", "negentropy");
	for (size_t k = 0; k < sizeof reference / sizeof reference[0]; k++)
		printf("%7zu %5zu  %-16s %s\n", reference[k].n, reference[k].d, reference[k].v1,
		       reference[k].neg);
	riblt_sketch_free(&sk);
	free(base.v);
	return rc ? 1 : 0;
}

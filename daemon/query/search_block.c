/*
 * search_block.c — a query with a limit, a block of documents at a time
 * (search_int.h): each block's bound from its maxima (textindex.h), the
 * blocks in falling order of their bounds, and the rest passed over once
 * a block's bound falls below the last of the best found.  A document's
 * score is search_score_merged's, so the hits are those of scoring every
 * document.
 */
#include "query/search_int.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "proto/alloc.h"

/* A bound is computed in floating point as the scores are, by other
 * steps: raised by this much so that rounding never puts it below. */
#define BOUND_SLACK 1e-9

int search_read_blocks(struct qrun *qr, struct qform *f, struct gl_error *err)
{
	int rc;
	if (!qr->range && (rc = textindex_range_open(qr->t, &qr->range, err)))
		return rc;
	f->blk0 = qr->nblk;
	if ((rc = textindex_blocks(qr->t, f->term, f->tlen, &qr->blk, &qr->nblk, &qr->blkcap, err)))
		return rc;
	f->nblk = qr->nblk - f->blk0;
	/* held: exactly the documents with a posting, as distinct_docs counts */
	uint64_t df = 0;
	for (size_t i = f->blk0; i < qr->nblk; i++)
		for (size_t w = 0; w < TEXTINDEX_BLOCK_DOCS / 64; w++)
			df += (uint64_t)__builtin_popcountll(qr->blk[i].held[w]);
	double n = qr->n_docs > (double)df ? qr->n_docs : (double)df;
	f->idf = log(1.0 + (n - (double)df + 0.5) / ((double)df + 0.5));
	size_t start = qr->np;
	f->run0 = qr->nruns;
	if (!f->nblk || (rc = textindex_range_get(qr->range, f->term, f->tlen, TEXTINDEX_TITLE, 0,
	                                          UINT64_MAX, &qr->p, &qr->np, &qr->pcap, err)))
		return rc;
	if (qr->np > start) {
		if (qr->nruns == qr->runcap) {
			qr->runcap = qr->runcap ? 2 * qr->runcap : 16;
			qr->runs = gl_xrealloc(qr->runs, qr->runcap * sizeof *qr->runs);
		}
		qr->runs[qr->nruns++] = (struct prun){ start, qr->np };
	}
	f->nrun = qr->nruns - f->run0;
	return 0;
}

uint64_t search_blocks_top(const struct qrun *qr)
{
	uint64_t top = 0;
	for (size_t fi = 0; fi < qr->nforms; fi++) {
		const struct qform *f = &qr->forms[fi];
		if (!f->nblk)
			continue;
		const struct textindex_block *b = &qr->blk[f->blk0 + f->nblk - 1];
		for (size_t w = TEXTINDEX_BLOCK_DOCS / 64; w-- > 0;)
			if (b->held[w]) {
				uint64_t d = b->start + 64 * w + 63 - (uint64_t)__builtin_clzll(b->held[w]);
				top = d + 1 > top ? d + 1 : top;
				break;
			}
	}
	return top;
}

static uint64_t block_of(uint64_t doc)
{
	return doc & ~(uint64_t)(TEXTINDEX_BLOCK_DOCS - 1);
}

/* Index of the first of the n elements at base, stride bytes apart and in
 * order of the uint64_t each begins with, whose key is at or above x. */
static size_t lower(const void *base, size_t n, size_t stride, uint64_t x)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t key;
		memcpy(&key, (const char *)base + mid * stride, sizeof key);
		if (key < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Index of the block starting at start in b[0..n) (n if none). */
static size_t find_block(const struct textindex_block *b, size_t n, uint64_t start)
{
	_Static_assert(offsetof(struct textindex_block, start) == 0, "a block begins with its start");
	size_t i = lower(b, n, sizeof *b, start);
	return i < n && b[i].start == start ? i : n;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* A block to score: its start and the bound of its documents' scores. */
struct bound {
	uint64_t start;
	double ub;
};

/* Whether x comes before y: the higher bound first, then the lower start. */
static bool bound_before(const struct bound *x, const struct bound *y)
{
	return x->ub != y->ub ? x->ub > y->ub : x->start < y->start;
}

/* Sift u[i] down the heap u[0..n) whose top comes first (bound_before):
 * the blocks are taken from the top one at a time, and only those before
 * the stop are ever ordered. */
static void bound_sift(struct bound *u, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		if (l < n && bound_before(&u[l], &u[m]))
			m = l;
		if (l + 1 < n && bound_before(&u[l + 1], &u[m]))
			m = l + 1;
		if (m == i)
			return;
		struct bound x = u[i];
		u[i] = u[m];
		u[m] = x;
		i = m;
	}
}

/* The starts of the blocks any live form or part names, in order, into
 * *st (*n of them). */
static void block_starts(const struct qrun *qr, uint64_t **st, size_t *n)
{
	size_t m = qr->nparts;
	for (size_t lf = 0; lf < qr->nlive; lf++)
		m += qr->forms[qr->live[lf]].nblk;
	uint64_t *s = gl_xmalloc((m ? m : 1) * sizeof *s);
	m = 0;
	for (size_t lf = 0; lf < qr->nlive; lf++) {
		const struct qform *f = &qr->forms[qr->live[lf]];
		for (size_t i = 0; i < f->nblk; i++)
			s[m++] = qr->blk[f->blk0 + i].start;
	}
	for (size_t i = 0; i < qr->nparts; i++)
		s[m++] = block_of(qr->parts[i].order >> PART_WORD_BITS);
	bool sorted = true; /* one form's blocks, no parts: in order already */
	for (size_t i = 1; i < m && sorted; i++)
		sorted = s[i - 1] <= s[i];
	if (!sorted)
		qsort(s, m, sizeof *s, u64_cmp);
	size_t k = 0;
	for (size_t i = 0; i < m; i++)
		if (k == 0 || s[i] != s[k - 1])
			s[k++] = s[i];
	*st = s;
	*n = k;
}

/* Each block's bound: for each word the best its forms' maxima or a
 * part can give, summed (a document's score sums at most each word's
 * best).  BM25 rises with the frequency and falls with the length: the
 * maxima's frequencies with the shortest length bound every document. */
static struct bound *block_bounds(const struct qrun *qr, const uint64_t *st, size_t nb,
                                  size_t nw)
{
	double *wm = gl_xcalloc(nb * nw, sizeof *wm);
	for (size_t lf = 0; lf < qr->nlive; lf++) {
		const struct qform *f = &qr->forms[qr->live[lf]];
		for (size_t i = 0, j = 0; i < f->nblk; i++) {
			const struct textindex_block *b = &qr->blk[f->blk0 + i];
			while (st[j] < b->start)
				j++;
			double tf = 0;
			for (uint8_t fld = TEXTINDEX_TITLE; fld <= TEXTINDEX_LABEL; fld++)
				if (b->fields & 1u << fld)
					tf += search_weight(fld) * (double)b->maxtf[fld];
			double sc = f->factor * search_bm25(qr, f->idf, tf, b->mindl);
			double *m = &wm[j * nw + f->word];
			*m = sc > *m ? sc : *m;
		}
	}
	for (size_t i = 0; i < qr->nparts; i++) {
		size_t j = lower(st, nb, sizeof *st, block_of(qr->parts[i].order >> PART_WORD_BITS));
		double *m = &wm[j * nw + (qr->parts[i].order & ((1u << PART_WORD_BITS) - 1))];
		*m = qr->parts[i].score > *m ? qr->parts[i].score : *m;
	}
	struct bound *u = gl_xmalloc(nb * sizeof *u);
	for (size_t j = 0; j < nb; j++) {
		double sum = 0;
		for (size_t w = 0; w < nw; w++)
			sum += wm[j * nw + w];
		u[j] = (struct bound){ st[j], sum * (1 + BOUND_SLACK) };
	}
	free(wm);
	for (size_t j = nb / 2; j-- > 0;)
		bound_sift(u, nb, j);
	return u;
}

/* Index of the first of parts[0..n) (in order) at or above order x. */
static size_t parts_from(const struct part *p, size_t n, uint64_t x)
{
	_Static_assert(offsetof(struct part, order) == 0, "a part begins with its order");
	return lower(p, n, sizeof *p, x);
}

/* Score the documents of the block at start: its postings read into
 * qr->p as each live form's runs, the parts of its documents (of all,
 * parts[0..nparts)) as qr->parts. */
static int score_block(struct qrun *qr, const struct qparse *q, uint64_t start,
                       struct part *parts, size_t nparts, struct gl_error *err)
{
	uint64_t end = start + TEXTINDEX_BLOCK_DOCS;
	int rc = 0;
	qr->np = qr->nruns = 0;
	for (size_t lf = 0; lf < qr->nlive && rc == 0; lf++) {
		struct qform *f = &qr->forms[qr->live[lf]];
		size_t i = find_block(qr->blk + f->blk0, f->nblk, start);
		f->run0 = qr->nruns;
		f->nrun = 0;
		if (i == f->nblk)
			continue;
		uint8_t fields = qr->blk[f->blk0 + i].fields;
		for (uint8_t fld = TEXTINDEX_TITLE; fld <= TEXTINDEX_LABEL && rc == 0; fld++) {
			size_t from = qr->np;
			if (!(fields & 1u << fld) ||
			    (rc = textindex_range_get(qr->range, f->term, f->tlen, fld, start, end,
			                              &qr->p, &qr->np, &qr->pcap, err)) ||
			    qr->np == from)
				continue;
			if (qr->nruns == qr->runcap) {
				qr->runcap = qr->runcap ? 2 * qr->runcap : 16;
				qr->runs = gl_xrealloc(qr->runs, qr->runcap * sizeof *qr->runs);
			}
			qr->runs[qr->nruns++] = (struct prun){ from, qr->np };
			f->nrun++;
		}
	}
	if (rc)
		return rc;
	size_t a = parts_from(parts, nparts, start << PART_WORD_BITS);
	size_t b = a + parts_from(parts + a, nparts - a, end << PART_WORD_BITS);
	qr->parts = parts + a;
	qr->nparts = b - a;
	return search_score_merged(qr, q, err);
}

/* How many of u[0..n) reach x. */
static size_t bounds_reaching(const struct bound *u, size_t n, double x)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += u[i].ub >= x;
	return k;
}

int search_score_blocks(struct qrun *qr, const struct qparse *q, struct gl_error *err)
{
	uint64_t *st;
	size_t nb, nw = q->n ? q->n : 1;
	block_starts(qr, &st, &nb);
	if (nb == 0) {
		free(st);
		return 0;
	}
	struct bound *u = block_bounds(qr, st, nb, nw);
	struct part *parts = qr->parts;
	size_t nparts = qr->nparts;
	int rc = 0;
	size_t i = 0;
	for (; i < nb && rc == 0; i++) {
		bool full = qr->nbest == qr->max;
		/* u[0..nb - i) is a heap of the blocks left, the best on top: the
		 * blocks left can give none better than the last kept */
		if (full && u[0].ub < qr->best[0].score)
			break;
		/* now and then, once the best blocks have raised the last kept */
		if (full && i >= SEARCH_BLOCKS_FIRST && !(i & (i - 1)) &&
		    bounds_reaching(u, nb - i, qr->best[0].score) > nb / SEARCH_BLOCKS_SHARE) {
			rc = SEARCH_BLOCKS_MANY;
			break;
		}
		uint64_t start = u[0].start;
		u[0] = u[nb - i - 1];
		bound_sift(u, nb - i - 1, 0);
		rc = score_block(qr, q, start, parts, nparts, err);
	}
	if (qr->work)
		*qr->work = rc == SEARCH_BLOCKS_MANY
		                    ? (struct search_work){ .blocks_scored = nb, .whole = true }
		                    : (struct search_work){ .blocks_scored = i, .blocks_passed = nb - i };
	qr->parts = parts;
	qr->nparts = nparts;
	free(st);
	free(u);
	return rc;
}

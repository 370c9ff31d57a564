/* search_score.c — scoring the documents a query's postings name and
 * keeping the best (search.h's ranking; search_int.h). */
#include "query/search_int.h"

#include <stdlib.h>

#include "proto/alloc.h"

/* Document doc's length and kind (its key too when read from the index):
 * from the cache if it knows it, else from the index. */
int search_doc_meta(struct qrun *qr, uint64_t doc, bool *found, struct textindex_doc *d,
                    struct gl_error *err)
{
	uint32_t e = qr->cache ? search_cache_get(qr->cache, doc) : 0;
	if (e) {
		*found = true;
		*d = (struct textindex_doc){ .num = doc, .len = e >> SEARCH_CACHE_KIND_BITS,
			                     .kind = (int)(e & ((1u << SEARCH_CACHE_KIND_BITS) - 1)) };
		return 0;
	}
	return textindex_docs_get(qr->docs, doc, found, d, err);
}

/* Read c's record key if it is not read yet (an error is kept in qr). */
static void cand_key(struct qrun *qr, struct cand *c)
{
	bool found = false;
	struct textindex_doc d;
	if (c->rkey || qr->rc)
		return;
	qr->rc = textindex_doc(qr->t, c->doc, &found, &d, qr->err);
	if (!qr->rc && !found)
		qr->rc = gl_errorf(qr->err, GL_ESTORE, "search index: document %llu went away",
		                   (unsigned long long)c->doc);
	if (!qr->rc) {
		c->rkey = d.rkey;
		c->rlen = d.rlen;
	}
}

/* Hits' order: the higher score first; equal scores in record key order
 * (keys differ, so no two hits tie).  The keys are read only for a tie. */
static int cand_cmp(struct qrun *qr, struct cand *x, struct cand *y)
{
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	cand_key(qr, x);
	cand_key(qr, y);
	if (qr->rc)
		return 0;
	return search_rkey_cmp(x->rkey, x->rlen, y->rkey, y->rlen);
}

static void cand_swap(struct cand *h, size_t i, size_t j)
{
	struct cand x = h[i];
	h[i] = h[j];
	h[j] = x;
}

/* Keep c if it is among the best qr->max so far (all if max is 0): a heap
 * whose top ranks last, so that a page of 20 of 60,000 hits keeps 20. */
static void offer(struct qrun *qr, struct cand c)
{
	struct cand *h = qr->best;
	if (qr->max && qr->nbest == qr->max) {
		if (c.score < h[0].score || cand_cmp(qr, &c, &h[0]) >= 0)
			return;
		h[0] = c;
		for (size_t i = 0, m;; i = m) { /* sift down */
			size_t l = 2 * i + 1;
			m = i;
			if (l < qr->nbest && cand_cmp(qr, &h[l], &h[m]) > 0)
				m = l;
			if (l + 1 < qr->nbest && cand_cmp(qr, &h[l + 1], &h[m]) > 0)
				m = l + 1;
			if (m == i)
				return;
			cand_swap(h, i, m);
		}
	}
	if (qr->nbest == qr->bestcap) {
		qr->bestcap = qr->bestcap ? 2 * qr->bestcap : (qr->max ? qr->max : 64);
		h = qr->best = gl_xrealloc(qr->best, qr->bestcap * sizeof *qr->best);
	}
	size_t i = qr->nbest++;
	h[i] = c;
	for (; qr->max && i > 0 && cand_cmp(qr, &h[(i - 1) / 2], &h[i]) < 0; i = (i - 1) / 2)
		cand_swap(h, i, (i - 1) / 2); /* sift up */
}

/* Word w's best score so far (0 if none is above) with sc. */
static inline void best_of(double *best, uint32_t *has, size_t w, double sc)
{
	if (!(*has & 1u << w)) {
		best[w] = sc > 0 ? sc : 0;
		*has |= 1u << w;
	} else if (sc > best[w]) {
		best[w] = sc;
	}
}

/* Document d's score: each word's best form (tf[lf]: live form lf's
 * weighted frequency in d, or -1 where d lacks it) or what a partner's
 * name lends it (the parts at *li, which moves past them), summed in word
 * order.  False if it is no hit: none of its words, or only weak ones of
 * a query with others (search.h), or of another kind than searched for
 * (take false). */
static bool score_doc(struct qrun *qr, const struct qparse *q, const struct textindex_doc *d,
                      bool take, const double *tf, size_t *li, double *score)
{
	double best[SEARCH_QUERY_WORDS];
	uint32_t has = 0; /* bit w: word w is held (best[w] is set) */
	_Static_assert(SEARCH_QUERY_WORDS <= 32, "a word a bit");
	for (size_t lf = 0; lf < qr->nlive && take; lf++) {
		const struct qform *f = &qr->forms[qr->live[lf]];
		if (tf[lf] < 0)
			continue;
		double sc = f->factor * search_bm25(qr, f->idf, tf[lf], d->len);
		best_of(best, &has, f->word, sc);
	}
	for (; *li < qr->nparts && qr->parts[*li].order >> PART_WORD_BITS == d->num; ++*li)
		best_of(best, &has, (size_t)(qr->parts[*li].order & ((1u << PART_WORD_BITS) - 1)),
		        qr->parts[*li].score);
	double sum = 0;
	for (uint32_t m = has; m; m &= m - 1)
		sum += best[__builtin_ctz(m)]; /* in word order */
	*score = sum;
	return has && ((has & q->strong_words) || !q->strong);
}

/* Score document doc (tf: its forms' frequencies, as score_doc's) and
 * offer it. */
static int score_one(struct qrun *qr, const struct qparse *q, uint64_t doc, const double *tf,
                     size_t *li, struct gl_error *err)
{
	bool found;
	struct textindex_doc d;
	double sc;
	int rc = search_doc_meta(qr, doc, &found, &d, err);
	if (rc)
		return rc;
	if (!found)
		d = (struct textindex_doc){ .num = doc };
	bool take = found && (!qr->kind || d.kind == qr->kind);
	if (score_doc(qr, q, &d, take, tf, li, &sc))
		offer(qr, (struct cand){ sc, doc, d.rkey, d.rlen });
	return qr->rc;
}

/* The documents in number order by a merge of the forms' runs
 * (search_int.h). */
int search_score_merged(struct qrun *qr, const struct qparse *q, struct gl_error *err)
{
	size_t li = 0;
	double tf[QUERY_FORMS * SEARCH_QUERY_WORDS];
	int rc = 0;
	while (rc == 0) {
		uint64_t doc = search_runs_head(qr->p, qr->runs, qr->nruns);
		if (li < qr->nparts && qr->parts[li].order >> PART_WORD_BITS < doc)
			doc = qr->parts[li].order >> PART_WORD_BITS;
		if (doc == UINT64_MAX)
			break;
		for (size_t lf = 0; lf < qr->nlive; lf++) {
			const struct qform *f = &qr->forms[qr->live[lf]];
			tf[lf] = -1;
			for (size_t k = f->run0; k < f->run0 + f->nrun; k++) {
				struct prun *r = &qr->runs[k];
				for (; r->pos < r->end && qr->p[r->pos].doc == doc; r->pos++)
					tf[lf] = (tf[lf] < 0 ? 0 : tf[lf]) +
					         search_weight(qr->p[r->pos].field) * (double)qr->p[r->pos].tf;
			}
		}
		rc = score_one(qr, q, doc, tf, &li, err);
	}
	return rc;
}

/* The documents in number order from a bit each over the range [lo, lo +
 * span) they lie in, each form's frequencies summed into an array over
 * that range (1 + the frequency; 0: not held; floats add the whole
 * numbers they are exactly): no merge, a walk over each form's postings
 * and then over the bits. */
static int score_dense(struct qrun *qr, const struct qparse *q, uint64_t lo, size_t span,
                       struct gl_error *err)
{
	float *acc = gl_xcalloc(qr->nlive * span, sizeof *acc);
	uint64_t *bits = gl_xcalloc(span / 64 + 1, sizeof *bits);
	for (size_t lf = 0; lf < qr->nlive; lf++) {
		const struct qform *f = &qr->forms[qr->live[lf]];
		size_t from = qr->runs[f->run0].pos, to = qr->runs[f->run0 + f->nrun - 1].end;
		for (size_t i = from; i < to; i++) {
			size_t off = (size_t)(qr->p[i].doc - lo);
			float *a = &acc[lf * span + off];
			*a = (*a != 0 ? *a : 1) +
			     (float)(search_weight(qr->p[i].field) * (double)qr->p[i].tf);
			bits[off / 64] |= 1ull << (off % 64);
		}
	}
	for (size_t i = 0; i < qr->nparts; i++) {
		size_t off = (size_t)((qr->parts[i].order >> PART_WORD_BITS) - lo);
		bits[off / 64] |= 1ull << (off % 64);
	}
	size_t li = 0;
	double tf[QUERY_FORMS * SEARCH_QUERY_WORDS];
	int rc = 0;
	for (size_t w = 0; w <= span / 64 && rc == 0; w++)
		for (uint64_t b = bits[w]; b && rc == 0; b &= b - 1) {
			size_t off = w * 64 + (size_t)__builtin_ctzll(b);
			for (size_t lf = 0; lf < qr->nlive; lf++) {
				float a = acc[lf * span + off];
				tf[lf] = a != 0 ? (double)a - 1 : -1;
			}
			rc = score_one(qr, q, lo + off, tf, &li, err);
		}
	free(acc);
	free(bits);
	return rc;
}

/* Every document the forms' postings or the partners' names (qr->parts,
 * in document order) name, in number order, each looked up once and
 * offered with its score.  A posting of no document counts for nothing.
 * Dense (score_dense) where the documents crowd a range narrow enough,
 * else by a merge. */
int search_score_docs(struct qrun *qr, const struct qparse *q, struct gl_error *err)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	for (size_t i = 0; i < qr->np; i++) {
		lo = qr->p[i].doc < lo ? qr->p[i].doc : lo;
		hi = qr->p[i].doc > hi ? qr->p[i].doc : hi;
	}
	for (size_t i = 0; i < qr->nparts; i++) {
		uint64_t d = qr->parts[i].order >> PART_WORD_BITS;
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	if (lo > hi)
		return 0;
	uint64_t span = hi - lo + 1, held = qr->np + qr->nparts;
	if (!qr->max && qr->bestcap < held) { /* every hit kept: room once, not by doubling */
		qr->bestcap = (size_t)held;
		qr->best = gl_xrealloc(qr->best, qr->bestcap * sizeof *qr->best);
	}
	if (span <= SEARCH_DENSE_SPREAD * held &&
	    span * (qr->nlive ? qr->nlive : 1) <= SEARCH_DENSE_BYTES / sizeof(float))
		return score_dense(qr, q, lo, (size_t)span, err);
	return search_score_merged(qr, q, err);
}

/* An array of n hits (NULL for none) with room for keys bytes of their
 * record keys after it (*arena): one allocation, one free(). */
static struct search_hit *hits_alloc(size_t n, size_t keys, uint8_t **arena)
{
	*arena = NULL;
	if (n == 0)
		return NULL;
	struct search_hit *h = gl_xmalloc(n * sizeof *h + keys);
	*arena = (uint8_t *)(h + n);
	return h;
}

/* A hit while the hits are put in order: kp, the integer it is sorted
 * by (8 bytes of its key from where key_sort looks, big-endian, zeros past
 * its end; then its score), its key and its candidate. */
struct rank {
	uint64_t kp;
	const uint8_t *rkey;
	uint32_t rlen;
	uint32_t i;
};

/* Sort the n ranks at r by kp, stably: a radix sort a byte at a time from
 * the least significant (every byte's counts from one pass), passing over
 * a byte they all share; tmp has room for n. */
static void kp_sort(struct rank *r, struct rank *tmp, size_t n)
{
	if (n < 24) { /* insertion */
		for (size_t i = 1; i < n; i++) {
			struct rank x = r[i];
			size_t j = i;
			for (; j > 0 && r[j - 1].kp > x.kp; j--)
				r[j] = r[j - 1];
			r[j] = x;
		}
		return;
	}
	size_t count[8][256] = { { 0 } };
	for (size_t i = 0; i < n; i++)
		for (unsigned b = 0; b < 8; b++)
			count[b][r[i].kp >> 8 * b & 0xff]++;
	struct rank *src = r, *dst = tmp;
	for (unsigned b = 0; b < 8; b++) {
		size_t *c = count[b], at = 0;
		if (c[src[0].kp >> 8 * b & 0xff] == n)
			continue;
		for (size_t d = 0; d < 256; d++) {
			size_t k = c[d];
			c[d] = at;
			at += k;
		}
		for (size_t i = 0; i < n; i++)
			dst[c[src[i].kp >> 8 * b & 0xff]++] = src[i];
		struct rank *x = src;
		src = dst;
		dst = x;
	}
	if (src != r)
		memcpy(r, src, n * sizeof *r);
}

static int rank_key_cmp(const void *a, const void *b)
{
	const struct rank *x = a, *y = b;
	return search_rkey_cmp(x->rkey, x->rlen, y->rkey, y->rlen);
}

/*
 * Sort the n ranks at r, whose keys agree on their first depth bytes, by
 * key: 8 bytes at a time after the prefix they all share, as integers
 * (a radix sort from the most significant end whose digits are 8 bytes),
 * the keys themselves compared only where one of them ends before depth
 * (one holds a NUL byte where another ended: zeros tie).
 */
static void key_sort(struct rank *r, struct rank *tmp, size_t n, size_t depth)
{
	size_t common = SIZE_MAX;
	for (size_t i = 0; i < n; i++) {
		if (r[i].rlen < depth) {
			qsort(r, n, sizeof *r, rank_key_cmp);
			return;
		}
		size_t m = r[i].rlen < common ? r[i].rlen : common, k = depth;
		while (k < m && r[i].rkey[k] == r[0].rkey[k])
			k++;
		common = k;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t kp = 0;
		for (size_t k = common; k < common + 8; k++)
			kp = kp << 8 | (k < r[i].rlen ? r[i].rkey[k] : 0);
		r[i].kp = kp;
	}
	kp_sort(r, tmp, n);
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && r[j].kp == r[i].kp; j++)
			;
		if (j - i > 1)
			key_sort(r + i, tmp, j - i, common + 8);
	}
}

/* A score as an integer that falls as the score rises (scores are not
 * NaN): the bits of a double in the order of its value, inverted. */
static uint64_t score_falling(double score)
{
	uint64_t u;
	score += 0.0; /* -0 as 0: they are equal */
	memcpy(&u, &score, sizeof u);
	u = u >> 63 ? ~u : u | 1ull << 63;
	return ~u;
}

/* The n candidates c as ranks in hits' order (cand_cmp's), and each
 * one's place in key order (in ord[rank's i]): a sort by key, then a
 * stable one by score, a radix sort each, so that a key, which lies on a
 * page of the store, is read a few times, not at each comparison. */
static struct rank *rank_hits(const struct cand *c, size_t n, uint32_t *ord)
{
	struct rank *r = gl_xmalloc(n * sizeof *r), *tmp = gl_xmalloc(n * sizeof *r);
	for (size_t i = 0; i < n; i++)
		r[i] = (struct rank){ 0, c[i].rkey, (uint32_t)c[i].rlen, (uint32_t)i };
	key_sort(r, tmp, n, 0);
	for (size_t i = 0; i < n; i++) {
		ord[r[i].i] = (uint32_t)i;
		r[i].kp = score_falling(c[r[i].i].score);
	}
	kp_sort(r, tmp, n);
	free(tmp);
	return r;
}

/* The candidates kept, in order, into *out (NULL if none), *n of them;
 * both written only on success. */
int search_best_hits(struct qrun *qr, struct search_hit **out, size_t *n)
{
	size_t nh = qr->nbest, keys = 0;
	for (size_t i = 0; i < nh && !qr->rc; i++) {
		cand_key(qr, &qr->best[i]);
		keys += qr->best[i].rlen;
	}
	if (qr->rc)
		return qr->rc;
	/* the keys copied first, in the candidates' order: the sorts read
	 * them there, together, not on the index's pages */
	uint8_t *arena;
	struct search_hit *h = hits_alloc(nh, keys, &arena);
	for (size_t i = 0; i < nh; i++) {
		struct cand *c = &qr->best[i];
		memcpy(arena, c->rkey, c->rlen);
		c->rkey = arena;
		arena += c->rlen;
	}
	uint32_t *ord = gl_xmalloc((nh ? nh : 1) * sizeof *ord);
	struct rank *r = nh ? rank_hits(qr->best, nh, ord) : NULL;
	for (size_t i = 0; i < nh; i++) {
		const struct cand *c = &qr->best[r[i].i];
		h[i] = (struct search_hit){ .rkey = c->rkey, .rkey_len = c->rlen, .score = c->score,
			                    .kind = c->rkey[RECORD_KEY_LEN], .key_rank = ord[r[i].i] };
	}
	free(r);
	free(ord);
	*out = h;
	*n = nh;
	return 0;
}

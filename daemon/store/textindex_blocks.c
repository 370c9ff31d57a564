/*
 * textindex_blocks.c — each term's block maxima (textindex.h, layout 6):
 * kept as its postings are written (textindex_flush) and deleted
 * (textindex_remove), and read by queries with a limit (query/search.c).
 */
#include <stdlib.h>
#include <string.h>

#include "store/textindex_int.h"

/* A block's value: start docnum(6) || held (u64 little-endian each) ||
 * maxtf u16 little-endian for title, text, label || mindl u32 || fields u8. */
#define HELD_WORDS (TEXTINDEX_BLOCK_DOCS / 64)
#define BLOCK_VAL_LEN (DOCNUM_LEN + 8 * HELD_WORDS + 6 + 4 + 1)
_Static_assert(TEXTINDEX_BLOCK_DOCS % 64 == 0, "whole words of bits a block");

static uint64_t block_start(uint64_t dn)
{
	return dn & ~(uint64_t)(TEXTINDEX_BLOCK_DOCS - 1);
}

static void block_encode(const struct textindex_block *b, uint8_t v[BLOCK_VAL_LEN])
{
	uint8_t *p = v;
	for (int i = 0; i < DOCNUM_LEN; i++)
		*p++ = (uint8_t)(b->start >> (8 * (DOCNUM_LEN - 1 - i)));
	for (int w = 0; w < HELD_WORDS; w++, p += 8)
		store_put_le64(p, b->held[w]);
	for (int f = TEXTINDEX_TITLE; f <= TEXTINDEX_LABEL; f++) {
		*p++ = (uint8_t)b->maxtf[f];
		*p++ = (uint8_t)(b->maxtf[f] >> 8);
	}
	for (int i = 0; i < 4; i++)
		*p++ = (uint8_t)(b->mindl >> (8 * i));
	*p = b->fields;
}

static void block_decode(const uint8_t *p, struct textindex_block *b)
{
	*b = (struct textindex_block){ 0 };
	for (int i = 0; i < DOCNUM_LEN; i++)
		b->start = b->start << 8 | *p++;
	for (int w = 0; w < HELD_WORDS; w++, p += 8)
		b->held[w] = store_get_le64(p);
	for (int f = TEXTINDEX_TITLE; f <= TEXTINDEX_LABEL; f++, p += 2)
		b->maxtf[f] = (uint16_t)(p[0] | p[1] << 8);
	b->mindl = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	           (uint32_t)p[3] << 24;
	b->fields = p[4];
}

/* The block of term key k starting at start into *b (*found), the cursor
 * standing on it; an LMDB code. */
static int block_find(MDB_cursor *c, MDB_val *k, uint64_t start, bool *found,
                      struct textindex_block *b)
{
	uint8_t lo[BLOCK_VAL_LEN] = { 0 };
	struct textindex_block z = { .start = start };
	block_encode(&z, lo);
	memset(lo + DOCNUM_LEN, 0, BLOCK_VAL_LEN - DOCNUM_LEN);
	MDB_val v = { .mv_size = sizeof lo, .mv_data = lo };
	int rc = mdb_cursor_get(c, k, &v, MDB_GET_BOTH_RANGE);
	*found = false;
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return rc;
	if (v.mv_size != BLOCK_VAL_LEN)
		return MDB_CORRUPTED;
	if (memcmp(v.mv_data, lo, DOCNUM_LEN))
		return 0;
	block_decode(v.mv_data, b);
	*found = true;
	return 0;
}

/* Merge add into the stored block of term key term (klen bytes), or
 * store it. */
static int block_merge(MDB_cursor *c, const uint8_t *term, size_t klen,
                       const struct textindex_block *add)
{
	struct textindex_block b;
	bool found;
	MDB_val k = { .mv_size = klen, .mv_data = (void *)term };
	int rc = block_find(c, &k, add->start, &found, &b);
	if (rc)
		return rc;
	if (found) {
		if ((rc = mdb_cursor_del(c, 0)))
			return rc;
		for (int w = 0; w < HELD_WORDS; w++)
			b.held[w] |= add->held[w];
		for (int f = TEXTINDEX_TITLE; f <= TEXTINDEX_LABEL; f++)
			b.maxtf[f] = add->maxtf[f] > b.maxtf[f] ? add->maxtf[f] : b.maxtf[f];
		b.mindl = add->mindl < b.mindl ? add->mindl : b.mindl;
		b.fields |= add->fields;
	} else {
		b = *add;
	}
	uint8_t val[BLOCK_VAL_LEN];
	block_encode(&b, val);
	MDB_val v = { .mv_size = sizeof val, .mv_data = val };
	k = (MDB_val){ .mv_size = klen, .mv_data = (void *)term }; /* not the map's copy */
	return mdb_cursor_put(c, &k, &v, 0);
}

int textindex_blocks_put(struct store_txn *t, MDB_cursor *c, const uint8_t *key, size_t klen,
                         const uint8_t *vals, const uint32_t *lens, size_t n,
                         struct gl_error *err)
{
	/* key is term || 0x00 || field; the block's key is term || 0x00 */
	uint8_t field = key[klen - 1], term[TERM_KEY_MAX];
	memcpy(term, key, klen - 1);
	struct textindex_block b = { .start = UINT64_MAX };
	int rc = 0;
	for (size_t i = 0; i <= n && rc == 0; i++) {
		uint64_t dn = 0;
		for (int j = 0; i < n && j < DOCNUM_LEN; j++)
			dn = dn << 8 | vals[i * POSTING_LEN + j];
		if (b.start != UINT64_MAX && (i == n || block_start(dn) != b.start)) {
			rc = block_merge(c, term, klen - 1, &b);
			b.start = UINT64_MAX;
		}
		if (i == n || rc)
			break;
		if (b.start == UINT64_MAX)
			b = (struct textindex_block){ .start = block_start(dn), .mindl = UINT32_MAX,
				                      .fields = (uint8_t)(1u << field) };
		uint64_t off = dn - b.start;
		uint16_t tf = (uint16_t)(vals[i * POSTING_LEN + DOCNUM_LEN] << 8 |
		                         vals[i * POSTING_LEN + DOCNUM_LEN + 1]);
		b.held[off / 64] |= UINT64_C(1) << (off % 64);
		b.maxtf[field & 3] = tf > b.maxtf[field & 3] ? tf : b.maxtf[field & 3];
		b.mindl = lens[i] < b.mindl ? lens[i] : b.mindl;
	}
	return rc ? store_mdb_fail(rc, err, t->s, "write search blocks") : 0;
}

int textindex_blocks_clear(struct store_txn *t, MDB_cursor *c, const uint8_t *key,
                           size_t klen, uint64_t dn, struct gl_error *err)
{
	uint8_t term[TERM_KEY_MAX];
	memcpy(term, key, klen - 1);
	MDB_val k = { .mv_size = klen - 1, .mv_data = term };
	struct textindex_block b;
	bool found;
	uint64_t off = dn - block_start(dn), any = 0;
	int rc = block_find(c, &k, block_start(dn), &found, &b);
	if (rc == 0 && found && (b.held[off / 64] >> (off % 64) & 1)) {
		/* the maxima stay: an upper bound still */
		b.held[off / 64] &= ~(UINT64_C(1) << (off % 64));
		for (int w = 0; w < HELD_WORDS; w++)
			any |= b.held[w];
		rc = mdb_cursor_del(c, 0);
		uint8_t val[BLOCK_VAL_LEN];
		block_encode(&b, val);
		MDB_val v = { .mv_size = sizeof val, .mv_data = val };
		k = (MDB_val){ .mv_size = klen - 1, .mv_data = term };
		if (rc == 0 && any)
			rc = mdb_cursor_put(c, &k, &v, 0);
	}
	return rc ? store_mdb_fail(rc, err, t->s, "delete search block") : 0;
}

int textindex_blocks(struct store_txn *t, const char *term, size_t len,
                     struct textindex_block **b, size_t *n, size_t *cap, struct gl_error *err)
{
	uint8_t key[TEXT_TERM_MAX + 1];
	if (len == 0 || len > TEXT_TERM_MAX)
		return gl_errorf(err, GL_EINVAL, "search index: a term of %zu bytes", len);
	int rc = textindex_ready(t, err);
	if (rc || (rc = textindex_flush(t, err)))
		return rc;
	memcpy(key, term, len);
	key[len] = 0;
	MDB_cursor *c;
	if ((rc = mdb_cursor_open(t->txn, t->s->blocks, &c)))
		return store_mdb_fail(rc, err, t->s, "cursor");
	MDB_val k = { .mv_size = len + 1, .mv_data = key }, v;
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY);
	if (rc == 0)
		rc = mdb_cursor_get(c, &k, &v, MDB_GET_MULTIPLE);
	for (; rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT_MULTIPLE)) {
		if (v.mv_size % BLOCK_VAL_LEN) {
			rc = MDB_CORRUPTED;
			break;
		}
		size_t m = v.mv_size / BLOCK_VAL_LEN;
		if (*n + m > *cap) {
			*cap = *cap ? *cap : 64;
			while (*cap < *n + m)
				*cap *= 2;
			*b = gl_xrealloc(*b, *cap * sizeof **b);
		}
		for (size_t i = 0; i < m; i++)
			block_decode((const uint8_t *)v.mv_data + i * BLOCK_VAL_LEN, &(*b)[(*n)++]);
		store_map_work(t->s, 1);
	}
	mdb_cursor_close(c);
	return rc && rc != MDB_NOTFOUND ? store_mdb_fail(rc, err, t->s, "read search blocks") : 0;
}

struct textindex_range {
	struct store_txn *t;
	MDB_cursor *c;
};

int textindex_range_open(struct store_txn *t, struct textindex_range **out,
                         struct gl_error *err)
{
	MDB_cursor *c;
	int rc = textindex_ready(t, err);
	if (rc || (rc = textindex_flush(t, err)))
		return rc;
	if ((rc = mdb_cursor_open(t->txn, t->s->postings, &c)))
		return store_mdb_fail(rc, err, t->s, "cursor");
	*out = gl_xmalloc(sizeof **out);
	**out = (struct textindex_range){ .t = t, .c = c };
	return 0;
}

/* Append the postings at v (n of them, in number order) with numbers in
 * [from, to) to *p; false once one is at or past to. */
static bool range_put(const uint8_t *v, size_t n, uint8_t field, uint64_t from, uint64_t to,
                      struct textindex_posting **p, size_t *np, size_t *cap)
{
	/* the first at or past from, by halves (numbers big-endian: in order
	 * as bytes) */
	uint8_t lo[DOCNUM_LEN];
	for (int j = 0; j < DOCNUM_LEN; j++)
		lo[j] = (uint8_t)(from >> (8 * (DOCNUM_LEN - 1 - j)));
	size_t a = 0, b = n;
	while (a < b) {
		size_t mid = a + (b - a) / 2;
		if (memcmp(v + mid * POSTING_LEN, lo, DOCNUM_LEN) < 0)
			a = mid + 1;
		else
			b = mid;
	}
	v += a * POSTING_LEN;
	for (size_t i = a; i < n; i++, v += POSTING_LEN) {
		uint64_t dn = 0;
		for (int j = 0; j < DOCNUM_LEN; j++)
			dn = dn << 8 | v[j];
		if (dn >= to)
			return false;
		if (*np == *cap) {
			*cap = *cap ? 2 * *cap : 256;
			*p = gl_xrealloc(*p, *cap * sizeof **p);
		}
		(*p)[(*np)++] = (struct textindex_posting){ .doc = dn, .field = field,
			                                    .tf = (uint16_t)(v[DOCNUM_LEN] << 8 |
			                                                     v[DOCNUM_LEN + 1]) };
	}
	return true;
}

int textindex_range_get(struct textindex_range *r, const char *term, size_t len, uint8_t field,
                        uint64_t from, uint64_t to, struct textindex_posting **p, size_t *n,
                        size_t *cap, struct gl_error *err)
{
	uint8_t key[TERM_KEY_MAX], lo[POSTING_LEN] = { 0 };
	if (len == 0 || len > TEXT_TERM_MAX)
		return gl_errorf(err, GL_EINVAL, "search index: a term of %zu bytes", len);
	memcpy(key, term, len);
	key[len] = 0;
	key[len + 1] = field;
	for (int i = 0; i < DOCNUM_LEN; i++)
		lo[i] = (uint8_t)(from >> (8 * (DOCNUM_LEN - 1 - i)));
	MDB_val k = { .mv_size = len + 2, .mv_data = key }, v = { .mv_size = sizeof lo, .mv_data = lo };
	size_t count = 0;
	int rc = mdb_cursor_get(r->c, &k, &v, MDB_GET_BOTH_RANGE);
	if (rc == 0)
		rc = mdb_cursor_count(r->c, &count);
	if (rc == 0 && count == 1) { /* a key of one posting has no page of them */
		if (v.mv_size != POSTING_LEN)
			return gl_errorf(err, GL_ESTORE, "%s: damaged search term entry", r->t->s->path);
		range_put(v.mv_data, 1, field, from, to, p, n, cap);
		return 0;
	}
	/* a page at a time, the first from its start (those below from
	 * passed over) */
	if (rc == 0)
		rc = mdb_cursor_get(r->c, &k, &v, MDB_GET_MULTIPLE);
	for (; rc == 0; rc = mdb_cursor_get(r->c, &k, &v, MDB_NEXT_MULTIPLE)) {
		if (v.mv_size % POSTING_LEN)
			return gl_errorf(err, GL_ESTORE, "%s: damaged search term entry", r->t->s->path);
		if (!range_put(v.mv_data, v.mv_size / POSTING_LEN, field, from, to, p, n, cap))
			break;
	}
	if (rc && rc != MDB_NOTFOUND)
		return store_mdb_fail(rc, err, r->t->s, "read search terms");
	return 0;
}

void textindex_range_close(struct textindex_range *r)
{
	if (!r)
		return;
	mdb_cursor_close(r->c);
	free(r);
}

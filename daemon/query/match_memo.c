/*
 * match_memo.c — the texts of offers answered, kept between matches of one
 * state of the store (match_int.h: struct match_memo), so that a new
 * profile whose offers read as an earlier one's is answered without
 * building and writing their JSON again (match_text.c).
 *
 * A text is found by its whole key, compared byte for byte: the hash only
 * picks the chain.  Keys and texts of another state are never found; the
 * first put of a newer state, or one that would pass the bound, drops all.
 */
#include "query/match_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MEMO_BUCKETS 4096u

struct memo_entry {
	struct memo_entry *next;
	uint64_t hash;
	size_t klen, tlen;
	uint8_t data[]; /* the key, then the text */
};

struct match_memo {
	pthread_mutex_t lock;  /* all below */
	uint64_t gen;          /* the state the texts are of; 0: none yet */
	size_t bytes, max_bytes;
	struct memo_entry *b[MEMO_BUCKETS];
};

struct match_memo *match_memo_new(size_t max_bytes)
{
	struct match_memo *mm = gl_xcalloc(1, sizeof *mm);
	pthread_mutex_init(&mm->lock, NULL);
	mm->max_bytes = max_bytes;
	return mm;
}

/* Drop every text; under the lock. */
static void drop_all(struct match_memo *mm)
{
	for (size_t i = 0; i < MEMO_BUCKETS; i++) {
		struct memo_entry *e = mm->b[i], *next;
		for (; e; e = next) {
			next = e->next;
			free(e);
		}
		mm->b[i] = NULL;
	}
	mm->bytes = 0;
}

void match_memo_free(struct match_memo *mm)
{
	if (!mm)
		return;
	drop_all(mm);
	pthread_mutex_destroy(&mm->lock);
	free(mm);
}

/* FNV-1a: it picks a chain; the key itself is compared. */
static uint64_t hash_of(const uint8_t *p, size_t n)
{
	uint64_t h = UINT64_C(14695981039346656037);
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * UINT64_C(1099511628211);
	return h;
}

static struct memo_entry *find(struct match_memo *mm, uint64_t h, const void *key, size_t klen)
{
	struct memo_entry *e = mm->b[h % MEMO_BUCKETS];
	while (e && (e->hash != h || e->klen != klen || memcmp(e->data, key, klen)))
		e = e->next;
	return e;
}

bool match_memo_get(struct match_memo *mm, uint64_t gen, const void *key, size_t klen,
                    struct gl_buf *out)
{
	uint64_t h = hash_of(key, klen);
	bool found = false;
	pthread_mutex_lock(&mm->lock);
	struct memo_entry *e = gen && gen == mm->gen ? find(mm, h, key, klen) : NULL;
	if (e) {
		gl_buf_append(out, e->data + e->klen, e->tlen);
		found = true;
	}
	pthread_mutex_unlock(&mm->lock);
	return found;
}

void match_memo_put(struct match_memo *mm, uint64_t gen, const void *key, size_t klen,
                    const char *text, size_t len)
{
	uint64_t h = hash_of(key, klen);
	size_t size = sizeof(struct memo_entry) + klen + len;
	if (!gen || size > mm->max_bytes)
		return;
	pthread_mutex_lock(&mm->lock);
	if (gen < mm->gen)
		goto out; /* a reader of an older state: its texts are not wanted */
	if (gen != mm->gen || mm->bytes + size > mm->max_bytes) {
		drop_all(mm);
		mm->gen = gen;
	}
	if (find(mm, h, key, klen))
		goto out; /* another request put it meanwhile */
	struct memo_entry *e = gl_xmalloc(size);
	e->hash = h;
	e->klen = klen;
	e->tlen = len;
	memcpy(e->data, key, klen);
	memcpy(e->data + klen, text, len);
	e->next = mm->b[h % MEMO_BUCKETS];
	mm->b[h % MEMO_BUCKETS] = e;
	mm->bytes += size;
out:
	pthread_mutex_unlock(&mm->lock);
}

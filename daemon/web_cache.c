/*
 * web_cache.c — see web_cache.h.  A small array searched whole: a few
 * dozen keys compare faster than a table is kept.
 */
#include "daemon/web_cache.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

struct slot {
	uint8_t key[WEB_CACHE_KEY_LEN];
	uint64_t gen;
	uint64_t made_ms;   /* monotonic */
	uint64_t used;      /* the use counter when last found or kept */
	char *text;         /* NULL: empty */
	size_t len;
};

struct web_cache {
	pthread_mutex_t lock;
	struct slot *slots;
	unsigned n;
	size_t bytes;
	uint64_t uses, hits, misses;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void web_cache_key(uint8_t key[WEB_CACHE_KEY_LEN], const char *what, const char *const *parts,
                   size_t n)
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, WEB_CACHE_KEY_LEN);
	crypto_generichash_update(&st, (const uint8_t *)what, strlen(what) + 1);
	for (size_t i = 0; i < n; i++) {
		uint64_t len = parts[i] ? strlen(parts[i]) + 1 : 0;
		crypto_generichash_update(&st, (const uint8_t *)&len, sizeof len);
		if (parts[i])
			crypto_generichash_update(&st, (const uint8_t *)parts[i], len - 1);
	}
	crypto_generichash_final(&st, key, WEB_CACHE_KEY_LEN);
}

struct web_cache *web_cache_new(unsigned entries)
{
	if (!entries)
		return NULL;
	struct web_cache *wc = calloc(1, sizeof *wc);
	if (!wc || !(wc->slots = calloc(entries, sizeof *wc->slots))) {
		free(wc);
		return NULL;
	}
	wc->n = entries;
	pthread_mutex_init(&wc->lock, NULL);
	return wc;
}

static void drop(struct web_cache *wc, struct slot *s)
{
	wc->bytes -= s->len;
	free(s->text);
	s->text = NULL;
	s->len = 0;
}

void web_cache_free(struct web_cache *wc)
{
	if (!wc)
		return;
	for (unsigned i = 0; i < wc->n; i++)
		free(wc->slots[i].text);
	free(wc->slots);
	pthread_mutex_destroy(&wc->lock);
	free(wc);
}

static struct slot *find(struct web_cache *wc, const uint8_t *key)
{
	for (unsigned i = 0; i < wc->n; i++)
		if (wc->slots[i].text && !memcmp(wc->slots[i].key, key, WEB_CACHE_KEY_LEN))
			return &wc->slots[i];
	return NULL;
}

char *web_cache_get(struct web_cache *wc, const uint8_t key[WEB_CACHE_KEY_LEN], uint64_t gen,
                    size_t *len)
{
	if (!wc)
		return NULL;
	char *out = NULL;
	pthread_mutex_lock(&wc->lock);
	struct slot *s = find(wc, key);
	if (s && (s->gen != gen || mono_ms() - s->made_ms >= WEB_CACHE_TTL_MS)) {
		drop(wc, s); /* a newer state or an old clock: it will not be found again */
		s = NULL;
	}
	if (s && (out = malloc(s->len + 1))) {
		memcpy(out, s->text, s->len);
		out[s->len] = '\0';
		*len = s->len;
		s->used = ++wc->uses;
	}
	if (out)
		wc->hits++;
	else
		wc->misses++;
	pthread_mutex_unlock(&wc->lock);
	return out;
}

/* An empty slot, or the least recently used. */
static struct slot *victim(struct web_cache *wc)
{
	struct slot *v = &wc->slots[0];
	for (unsigned i = 0; i < wc->n && v->text; i++)
		if (!wc->slots[i].text || wc->slots[i].used < v->used)
			v = &wc->slots[i];
	return v;
}

void web_cache_put(struct web_cache *wc, const uint8_t key[WEB_CACHE_KEY_LEN], uint64_t gen,
                   const char *text, size_t len)
{
	if (!wc || len > WEB_CACHE_ANSWER_MAX)
		return;
	char *copy = malloc(len ? len : 1);
	if (!copy)
		return;
	memcpy(copy, text, len);
	pthread_mutex_lock(&wc->lock);
	struct slot *s = find(wc, key);
	if (s)
		drop(wc, s);
	else
		s = victim(wc);
	if (s->text)
		drop(wc, s);
	/* room in bytes: the least recently used go first */
	while (wc->bytes + len > WEB_CACHE_BYTES_MAX) {
		struct slot *old = NULL;
		for (unsigned i = 0; i < wc->n; i++)
			if (wc->slots[i].text && (!old || wc->slots[i].used < old->used))
				old = &wc->slots[i];
		if (!old)
			break;
		drop(wc, old);
	}
	memcpy(s->key, key, WEB_CACHE_KEY_LEN);
	s->gen = gen;
	s->made_ms = mono_ms();
	s->used = ++wc->uses;
	s->text = copy;
	s->len = len;
	wc->bytes += len;
	pthread_mutex_unlock(&wc->lock);
}

void web_cache_counts(struct web_cache *wc, uint64_t *hits, uint64_t *misses)
{
	*hits = *misses = 0;
	if (!wc)
		return;
	pthread_mutex_lock(&wc->lock);
	*hits = wc->hits;
	*misses = wc->misses;
	pthread_mutex_unlock(&wc->lock);
}

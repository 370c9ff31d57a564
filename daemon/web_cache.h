/*
 * web_cache.h — answers the web server gave, kept for the same question
 * while the store is as it was (POST /api/v1/match: a city's page asks a
 * few questions, and many starters answer them alike).
 *
 * An answer is found by a key (BLAKE2b-256 of what decides it: the
 * profile in one canonical form, the options) and is good only for the
 * store's state it was made from (the read transaction's id: any write
 * makes a new one) and for at most WEB_CACHE_TTL_MS, since what is current
 * also moves with the clock (an offer's last day, the events of the next
 * weeks).  So an answer from the cache is never older than the store, and
 * at most a minute old by the clock.
 *
 * Bounds: at most the configured number of answers, WEB_CACHE_BYTES_MAX
 * bytes in all, none over WEB_CACHE_ANSWER_MAX; the least recently used
 * goes first.  Any thread: one mutex.
 */
#ifndef GILDE_WEB_CACHE_H
#define GILDE_WEB_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define WEB_CACHE_KEY_LEN 32
#define WEB_CACHE_TTL_MS 60000u
#define WEB_CACHE_BYTES_MAX (16u << 20)
#define WEB_CACHE_ANSWER_MAX (1u << 20)

struct web_cache;

/* The key of an answer into key: BLAKE2b-256 over what it answers
 * ("match", "search"), then each of the n parts with its length (NULL
 * apart from ""). */
void web_cache_key(uint8_t key[WEB_CACHE_KEY_LEN], const char *what, const char *const *parts,
                   size_t n);

/* A cache of at most entries answers; NULL for 0 (no cache) or no memory.
 * Every call below takes a NULL cache as one that holds nothing. */
struct web_cache *web_cache_new(unsigned entries);
void web_cache_free(struct web_cache *wc);

/* A copy (malloc'd, the caller frees) of the answer kept under key for the
 * store's state gen and its length in *len; NULL if none is kept, or it is
 * older than WEB_CACHE_TTL_MS or made from another state. */
char *web_cache_get(struct web_cache *wc, const uint8_t key[WEB_CACHE_KEY_LEN], uint64_t gen,
                    size_t *len);

/* Keep a copy of text (len bytes) under key for gen, in place of the least
 * recently used answer if full; nothing if it is over WEB_CACHE_ANSWER_MAX
 * or memory is short. */
void web_cache_put(struct web_cache *wc, const uint8_t key[WEB_CACHE_KEY_LEN], uint64_t gen,
                   const char *text, size_t len);

/* Answers found and not found so far. */
void web_cache_counts(struct web_cache *wc, uint64_t *hits, uint64_t *misses);

#endif

#include "daemon/addrs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/alloc.h"
#include "schemas/config.h"

static struct peer_addr *find(const struct addrs *b, const char *text)
{
	for (struct peer_addr *a = b->head; a; a = a->next)
		if (!strcmp(a->text, text))
			return a;
	return NULL;
}

static struct peer_addr *add(struct addrs *b, const char *text, uint64_t now)
{
	struct peer_addr *a = gl_xcalloc(1, sizeof *a);
	if (config_parse_addr(text, a->host, sizeof a->host, &a->port) != 0 || a->port == 0) {
		free(a);
		return NULL;
	}
	snprintf(a->text, sizeof a->text, "%s", text);
	a->next_ms = now;
	a->learnt_ms = now;
	a->next = b->head;
	b->head = a;
	return a;
}

static void count(struct addrs *b, const struct peer_addr *a, int delta)
{
	if (a->configured)
		return;
	b->learnt += (unsigned)delta;
	b->hello += a->learnt == ADDR_HELLO ? (unsigned)delta : 0;
}

static void drop(struct addrs *b, struct peer_addr *victim)
{
	for (struct peer_addr **p = &b->head; *p; p = &(*p)->next)
		if (*p == victim) {
			*p = victim->next;
			count(b, victim, -1);
			free(victim);
			return;
		}
}

struct peer_addr *addrs_configure(struct addrs *b, const char *text, uint64_t now)
{
	struct peer_addr *a = find(b, text);
	if (!a) {
		a = add(b, text, now);
		if (a) {
			a->configured = true;
			a->learnt = ADDR_CONFIGURED;
		}
		return a;
	}
	if (!a->configured) {
		count(b, a, -1);
		a->configured = true;
	}
	return a;
}

void addrs_reconfigure(struct addrs *b, char *const *v, unsigned n)
{
	for (struct peer_addr *a = b->head; a; a = a->next) {
		bool still = false;
		for (unsigned i = 0; i < n && !still; i++)
			still = !strcmp(a->text, v[i]);
		if (a->configured && !still) {
			a->configured = false;
			if (a->learnt == ADDR_CONFIGURED)
				a->learnt = ADDR_RECORD;
			count(b, a, +1);
		}
	}
}

/* How useful a learnt address has been: higher stays longer. */
static uint64_t usefulness(const struct peer_addr *a)
{
	/* one that led to a link ranks above every one that never did */
	return a->last_ok_ms ? (1ull << 62) + a->last_ok_ms : a->learnt_ms;
}

/* The learnt address to forget to make room for one from source
 * (restricted to those from key, if not NULL); NULL if none may go. */
static struct peer_addr *victim(const struct addrs *b, enum addr_source source,
                                const uint8_t *key)
{
	struct peer_addr *best = NULL;
	for (struct peer_addr *a = b->head; a; a = a->next) {
		if (a->configured || a->conn || a->resolving || a->learnt > source ||
		    (key && memcmp(a->from, key, 32)))
			continue;
		if (!best || a->learnt < best->learnt ||
		    (a->learnt == best->learnt && usefulness(a) < usefulness(best)))
			best = a;
	}
	return best;
}

/* Room for one more learnt address from key through source, or false. */
static bool make_room(struct addrs *b, const uint8_t key[32], enum addr_source source)
{
	unsigned mine = 0;
	for (struct peer_addr *a = b->head; a; a = a->next)
		mine += !a->configured && !memcmp(a->from, key, 32);
	if (mine >= ADDRS_PER_KEY) {
		struct peer_addr *v = victim(b, source, key);
		if (!v)
			return false;
		drop(b, v);
	}
	if (source == ADDR_HELLO && b->hello >= ADDRS_HELLO_MAX) {
		struct peer_addr *v = victim(b, ADDR_HELLO, NULL);
		if (!v)
			return false;
		drop(b, v);
	}
	if (b->learnt >= ADDRS_MAX) {
		struct peer_addr *v = victim(b, source, NULL);
		if (!v)
			return false;
		drop(b, v);
	}
	return true;
}

struct peer_addr *addrs_learn(struct addrs *b, const uint8_t key[32], const char *text,
                              enum addr_source source, uint64_t now)
{
	struct peer_addr *a = find(b, text);
	if (a) {
		if (a->configured || a->self)
			return a; /* its key comes from a handshake there, nothing else */
		bool other = a->key_known && memcmp(a->key, key, 32);
		if (other && (source == ADDR_HELLO || a->last_ok_ms || a->learnt > source))
			return NULL; /* a HELLO never takes another's address; a record takes a HELLO's */
		if (a->learnt == ADDR_HELLO && source == ADDR_RECORD)
			b->hello--;
		if (source > a->learnt)
			a->learnt = source;
		memcpy(a->key, key, 32);
		memcpy(a->from, key, 32);
		a->key_known = true;
		a->learnt_ms = now;
		return a;
	}
	if (!make_room(b, key, source) || !(a = add(b, text, now)))
		return NULL;
	a->learnt = source;
	memcpy(a->key, key, 32);
	memcpy(a->from, key, 32);
	a->key_known = true;
	count(b, a, +1);
	return a;
}

unsigned addrs_count(const struct addrs *b)
{
	unsigned n = 0;
	for (struct peer_addr *a = b->head; a; a = a->next)
		n++;
	return n;
}

void addrs_free(struct addrs *b)
{
	for (struct peer_addr *a = b->head, *next; a; a = next) {
		next = a->next;
		free(a);
	}
	memset(b, 0, sizeof *b);
}

#include "daemon/bans.h"

#include <stdio.h>
#include <string.h>

#include "daemon/ctl_pack.h"
#include "proto/ident.h"

static bool same(const struct ban *x, bool is_key, const char *group, const uint8_t *key)
{
	if (!x->used || x->is_key != is_key)
		return false;
	return is_key ? !memcmp(x->key, key, 32) : !strcmp(x->group, group);
}

/* The entry for group or key, or NULL. */
static const struct ban *lookup(const struct bans *b, bool is_key, const char *group,
                                const uint8_t *key)
{
	for (size_t i = 0; i < BANS_MAX; i++)
		if (same(&b->v[i], is_key, group, key))
			return &b->v[i];
	return NULL;
}

/* The entry for group or key; a new one in the place of the least
 * recently struck if there is none. */
static struct ban *find(struct bans *b, bool is_key, const char *group, const uint8_t *key)
{
	struct ban *oldest = &b->v[0];
	for (size_t i = 0; i < BANS_MAX; i++) {
		if (same(&b->v[i], is_key, group, key))
			return &b->v[i];
		if (!b->v[i].used || (oldest->used && b->v[i].last_ms < oldest->last_ms))
			oldest = &b->v[i];
	}
	memset(oldest, 0, sizeof *oldest);
	oldest->used = true;
	oldest->is_key = is_key;
	if (is_key)
		memcpy(oldest->key, key, 32);
	else
		snprintf(oldest->group, sizeof oldest->group, "%s", group);
	return oldest;
}

/* One strike on entry x: its ban's length in seconds. */
static uint64_t strike(struct ban *x, uint64_t first_s, uint64_t now)
{
	/* strikes in a row: a clean hour forgives */
	if (x->last_ms && now - x->last_ms > (uint64_t)BANS_MAX_SECONDS * 1000)
		x->strikes = 0;
	x->strikes++;
	uint64_t secs = first_s;
	for (unsigned i = 1; i < x->strikes && secs < BANS_MAX_SECONDS; i++)
		secs *= 2;
	if (secs > BANS_MAX_SECONDS)
		secs = BANS_MAX_SECONDS;
	x->until_ms = now + secs * 1000;
	x->last_ms = now;
	return secs;
}

static void forget_good(struct bans *b, const uint8_t key[32])
{
	for (size_t i = 0; i < BANS_GOOD_MAX; i++)
		if (b->good[i].used && !memcmp(b->good[i].key, key, 32))
			b->good[i].used = false;
}

void bans_strike(struct bans *b, const char *group, const uint8_t *key, uint64_t first_s,
                 uint64_t now, uint64_t *secs, unsigned *strikes)
{
	*secs = 0;
	*strikes = 0;
	if (key)
		forget_good(b, key);
	if (!first_s)
		return;
	if (group && *group) {
		struct ban *g = find(b, false, group, NULL);
		*secs = strike(g, first_s, now);
		*strikes = g->strikes;
	}
	if (key) {
		struct ban *k = find(b, true, NULL, key);
		uint64_t s = strike(k, first_s, now);
		if (s > *secs) {
			*secs = s;
			*strikes = k->strikes;
		}
	}
}

bool bans_group_banned(const struct bans *b, const char *group, uint64_t now)
{
	const struct ban *x = lookup(b, false, group, NULL);
	return x && x->until_ms > now;
}

bool bans_key_banned(const struct bans *b, const uint8_t key[32], uint64_t now)
{
	const struct ban *x = lookup(b, true, NULL, key);
	return x && x->until_ms > now;
}

void bans_set_good(struct bans *b, const uint8_t key[32], uint64_t now)
{
	struct good_key *slot = &b->good[0];
	for (size_t i = 0; i < BANS_GOOD_MAX; i++) {
		struct good_key *g = &b->good[i];
		if (g->used && !memcmp(g->key, key, 32)) {
			g->last_ms = now;
			return;
		}
		if (!g->used || (slot->used && g->last_ms < slot->last_ms))
			slot = g;
	}
	slot->used = true;
	memcpy(slot->key, key, 32);
	slot->last_ms = now;
}

bool bans_is_good(const struct bans *b, const uint8_t key[32])
{
	for (size_t i = 0; i < BANS_GOOD_MAX; i++)
		if (b->good[i].used && !memcmp(b->good[i].key, key, 32))
			return true;
	return false;
}

void bans_pack(const struct bans *b, msgpack_packer *pk, uint64_t now)
{
	unsigned n = 0;
	for (size_t i = 0; i < BANS_MAX; i++)
		n += b->v[i].used && b->v[i].until_ms > now;
	msgpack_pack_array(pk, n);
	for (size_t i = 0; i < BANS_MAX; i++) {
		const struct ban *x = &b->v[i];
		if (!x->used || x->until_ms <= now)
			continue;
		char key[IDENT_TEXT_MAX] = "";
		if (x->is_key)
			ident_format(IDENT_PK_PREFIX, x->key, key);
		msgpack_pack_map(pk, 4);
		ctl_pack_str(pk, "ip", x->is_key ? "" : x->group);
		ctl_pack_str(pk, "key", key);
		ctl_pack_uint(pk, "strikes", x->strikes);
		ctl_pack_uint(pk, "seconds_left", (x->until_ms - now + 999) / 1000);
	}
}

/*
 * bans.h — whom this node refuses for a while, and whom it knows for good.
 *
 * A peer that misbehaves earns a strike on its address group (conn.h: the
 * IPv4 address, or the IPv6 /64) and, if its link was open, on its key.
 * A struck group or key is refused for [limits] ban seconds, doubled for
 * each strike in a row up to BANS_MAX_SECONDS; a clean hour forgives.
 * At most BANS_MAX groups and keys are remembered, the least recent
 * forgotten first.
 *
 * A ban on an address must not lock out an honest node behind the same
 * address (a NAT, a shared host: issue 24).  So the node also remembers
 * up to BANS_GOOD_MAX keys it knows for good: keys whose link stayed open
 * for BANS_GOOD_MS without a strike.  net.c lets a connection from a
 * banned group complete its handshake, one at a time per group and
 * within a short deadline, and keeps it only if its key is one of those
 * (or a configured peer's).  A strike takes a key off the list.
 *
 * Every `now` is clock_mono_ms(): a wall clock set back must not stretch
 * a ban, nor one set forward lift it.  Loop thread only.
 */
#ifndef GILDE_BANS_H
#define GILDE_BANS_H

#include <stdbool.h>
#include <stdint.h>

#include <msgpack.h>

#define BANS_MAX 256
#define BANS_MAX_SECONDS 3600
#define BANS_GOOD_MAX 256
#define BANS_GOOD_MS 10000
#define BANS_GROUP_MAX 64

struct ban {
	bool used;
	bool is_key;              /* a key's ban, else a group's */
	char group[BANS_GROUP_MAX];
	uint8_t key[32];
	uint64_t until_ms;
	unsigned strikes;
	uint64_t last_ms;
};

struct good_key {
	bool used;
	uint8_t key[32];
	uint64_t last_ms;
};

struct bans {
	struct ban v[BANS_MAX];
	struct good_key good[BANS_GOOD_MAX];
};

/*
 * A strike on group (and on key, unless NULL) at now: the ban's length in
 * seconds (first: first_s; 0 bans nothing) into *secs and the strikes in a
 * row into *strikes.  The key is no longer known for good.
 */
void bans_strike(struct bans *b, const char *group, const uint8_t *key, uint64_t first_s,
                 uint64_t now, uint64_t *secs, unsigned *strikes);

/* Whether group (or key) is banned at now. */
bool bans_group_banned(const struct bans *b, const char *group, uint64_t now);
bool bans_key_banned(const struct bans *b, const uint8_t key[32], uint64_t now);

/* Remember key as good (its link stayed open BANS_GOOD_MS, no strike). */
void bans_set_good(struct bans *b, const uint8_t key[32], uint64_t now);
bool bans_is_good(const struct bans *b, const uint8_t key[32]);

/* Pack the bans in force as an array of {"ip", "key", "strikes",
 * "seconds_left"} ("ip": the group, "" for a key's ban; "key": "" for a
 * group's), for `gilde peers`. */
void bans_pack(const struct bans *b, msgpack_packer *pk, uint64_t now);

#endif

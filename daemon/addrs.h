/*
 * addrs.h — the addresses this node knows of other nodes, where each came
 * from, and which to forget when the book is full.
 *
 * Three sources, trusted in this order: the configuration ([peers] peer,
 * --peer), a signed node record that was stored (its author passed the
 * node's trust rules), and a peer's HELLO (only that peer's word, and any
 * key can complete a handshake).  So (issue 24):
 *
 *   - learning never changes a configured address's key, which only a
 *     handshake with the node there sets;
 *   - a HELLO never takes an address a node record or a handshake gave to
 *     another key; a node record takes it from a HELLO;
 *   - one key's endpoints are at most ADDRS_PER_KEY, its oldest going
 *     first; HELLO endpoints at most ADDRS_HELLO_MAX in all;
 *   - when the book (ADDRS_MAX learnt) or the HELLO share is full, the
 *     least recently useful learnt address goes: from a HELLO before one
 *     from a record (a HELLO endpoint never evicts a record's), one that
 *     never led to a link before one that did, the one learnt or used
 *     longest ago first.  Configured addresses and those in use stay.
 *
 * Loop thread only.
 */
#ifndef GILDE_ADDRS_H
#define GILDE_ADDRS_H

#include <stdbool.h>
#include <stdint.h>

struct conn;

#define ADDRS_MAX 256
#define ADDRS_HELLO_MAX 64
#define ADDRS_PER_KEY 8
#define ADDRS_TEXT_MAX 300

enum addr_source { ADDR_HELLO, ADDR_RECORD, ADDR_CONFIGURED };

struct peer_addr {
	char host[256];
	int port;
	char text[ADDRS_TEXT_MAX];
	bool configured;         /* [peers] peer or --peer (now) */
	enum addr_source learnt; /* where it was learnt (ADDR_CONFIGURED: never) */
	uint8_t from[32];        /* learnt: whose endpoint it is said to be */
	bool self;               /* our own key answered there */
	bool key_known;          /* key: who answered there, or who it is said to be */
	uint8_t key[32];
	unsigned failures;
	uint64_t next_ms;        /* the next dial, not before (clock_mono_ms) */
	uint64_t learnt_ms;      /* when it was learnt or last said again (clock_mono_ms) */
	uint64_t last_ok_ms;     /* when a link through it last opened (Unix ms); 0 never */
	char last_error[128];
	struct conn *conn;       /* the outbound connection through it, or NULL */
	bool resolving;
	struct peer_addr *next;
};

struct addrs {
	struct peer_addr *head;  /* newest first */
	unsigned learnt, hello;  /* counts of learnt ones, and of those from HELLOs */
};

/* The address text (HOST:PORT), marked configured; NULL if it does not
 * parse.  Configured addresses are not counted against ADDRS_MAX. */
struct peer_addr *addrs_configure(struct addrs *b, const char *text, uint64_t now);

/* After a reload: mark configured exactly the addresses in v[0..n);
 * those no longer configured become learnt from a record, to be
 * forgotten in their turn. */
void addrs_reconfigure(struct addrs *b, char *const *v, unsigned n);

/* key says (through source: ADDR_HELLO or ADDR_RECORD) it can be reached
 * at text.  Returns the entry, or NULL if the rules above refuse it. */
struct peer_addr *addrs_learn(struct addrs *b, const uint8_t key[32], const char *text,
                              enum addr_source source, uint64_t now);

unsigned addrs_count(const struct addrs *b);
void addrs_free(struct addrs *b);

#endif

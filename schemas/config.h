/*
 * config.h — gilded's configuration: built-in defaults, then an INI file
 * (--config), then command-line flags, each overriding the one before.
 *
 * Every option is one row of a table in config.c with its section, name,
 * type, default and one line of documentation; the parser, `gilded --help`,
 * `gilded --check-config` and the gilde.conf(5) test all read that table,
 * so an option cannot exist undocumented.
 */
#ifndef GILDE_CONFIG_H
#define GILDE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "proto/err.h"

struct strlist {
	char **v;
	unsigned n;
};

/* A list of Ed25519 public keys. */
struct keylist {
	uint8_t (*v)[32];
	unsigned n;
};

struct config {
	char *path;                   /* the file read, absolute; NULL: none */
	/* [node] */
	char *name;
	char *data;
	char *listen;
	struct strlist public_endpoints;
	/* [store] */
	uint64_t map_size;
	uint64_t mapped_max;      /* [store] mapped_max: mem_trim() bound; 0: none */
	/* [log] */
	int log_level;
	bool log_syslog;
	/* [publish] */
	uint64_t lifetime;            /* seconds */
	uint64_t tombstone_lifetime;  /* seconds */
	/* [limits] */
	uint64_t max_clock_skew;      /* seconds */
	uint64_t handshake_timeout;   /* seconds */
	uint64_t idle_timeout;        /* seconds */
	uint64_t frame_timeout;       /* seconds a started frame may take */
	uint64_t peer_bytes;          /* bytes per second one peer may send */
	uint64_t peer_records;        /* records per second one peer may send */
	uint64_t ban;                 /* first ban of a misbehaving address, seconds */
	/* [federation] */
	bool has_network_key;
	uint8_t network_key[32];
	uint64_t recon_interval;      /* seconds */
	struct keylist curators;      /* whose endorsements this node trusts */
	struct keylist allow;         /* keys accepted whatever the curators say */
	bool open;                    /* accept every validly signed record */
	/* [peers] */
	struct strlist peers;
	uint64_t max_peers;
	uint64_t max_per_ip;
	uint64_t dial;
	uint64_t backoff_max;         /* seconds */
	/* [web] */
	char *web_listen;             /* NULL: no web server */
	char *web_root;               /* NULL: GILDE_WEBDIR */
	char *web_paths;              /* NULL: the to-do paths built in (schemas/paths.json) */
	char *web_screening;          /* NULL: the screening built in (schemas/screening.json) */
	char *web_desk;               /* the id of this node's partner record to ask; NULL: none */
	uint64_t web_connections;
	uint64_t web_per_ip;
	uint64_t web_waiting;         /* connections waiting for headers per address */
	uint64_t web_answer_cache;    /* match answers kept (0: none) */
	uint64_t web_rate;            /* requests per second per client address */
	uint64_t web_burst;
	uint64_t web_timeout;         /* seconds */
	bool web_behind_proxy;        /* rate-limit by X-Forwarded-For from a local proxy */
	/* [insight]: anonymous progress events (issue 26), off by default */
	bool insight_enabled;
	uint64_t insight_k;           /* least starters behind any figure shown */
	uint64_t insight_retention;   /* seconds an event is kept */
	uint64_t insight_release;     /* seconds between releases (and expiry runs) */
	uint64_t insight_rate;        /* events per second the node takes, in all */
	uint64_t insight_burst;
	bool insight_publish;         /* sign the release as insight records */
};

/*
 * Log levels by name: "error" 0, "warn" 1, "info" 2, "debug" 3 (gilded's
 * enum log_level).  parse returns -1 for an unknown name; name returns
 * "?" for a number out of range.
 */
int config_level_parse(const char *s);
const char *config_level_name(int level);

/* Fill c with the built-in defaults. */
void config_defaults(struct config *c);
void config_free(struct config *c);

/*
 * Read an INI file into c.  Unknown sections or options, bad values and
 * unreadable files are errors naming the file, line and option.
 * Returns 0 or GL_ECONFIG / GL_EIO.
 */
int config_load(struct config *c, const char *path, struct gl_error *err);

/*
 * Set one option from text, as a flag or file line would.  `where` names
 * the origin for messages ("gilded.conf:12", "--listen").
 * Returns 0 or GL_ECONFIG.
 */
int config_set(struct config *c, const char *section, const char *name,
               const char *value, const char *where, struct gl_error *err);

/* Write the effective configuration as INI (secrets redacted). */
void config_dump(const struct config *c, FILE *out);

/*
 * What parses but is surely not meant, one sentence each, naming the file
 * and option and saying what to do: a placeholder key (network_key,
 * curator, allow) left from an example (its text spells PLACEHOLDER, or it
 * is one byte repeated), and a wildcard address in [node] listen or [web]
 * listen.  Calls fn once per warning; returns how many.
 */
unsigned config_warnings(const struct config *c, void (*fn)(void *ctx, const char *text),
                         void *ctx);

/* Write the option reference (section, name, default, doc) for --help. */
void config_help(FILE *out);

/* Parse "HOST:PORT" (IPv6 as [ADDR]:PORT).  host gets up to hostlen-1
 * bytes.  Returns 0 or GL_ECONFIG. */
int config_parse_addr(const char *s, char *host, unsigned hostlen, int *port);

#endif

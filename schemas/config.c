#include "schemas/config.h"

#include <errno.h>
#include <stdarg.h>
#include <ini.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "proto/alloc.h"
#include "proto/bounds.h"
#include "proto/ident.h"
#include "proto/record.h"

#include <sodium.h>

static const char *const level_names[] = { "error", "warn", "info", "debug" };

int config_level_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, level_names[i]))
			return i;
	return -1;
}

const char *config_level_name(int level)
{
	return level >= 0 && level < 4 ? level_names[level] : "?";
}

enum opt_type {
	OPT_STRING,
	OPT_ID,   /* a record's id (proto/record.h) */
	OPT_PATH,
	OPT_ADDR,
	OPT_SIZE,
	OPT_DURATION,
	OPT_COUNT,
	OPT_LEVEL,
	OPT_NETKEY,
	OPT_ADDRLIST,
	OPT_KEYLIST,
	OPT_BOOL,
};

struct opt {
	const char *section;
	const char *name;
	enum opt_type type;
	size_t offset;
	const char *dflt; /* as it would be written in the file; NULL: unset */
	uint64_t min, max;
	const char *doc;
};

#define OFF(f) offsetof(struct config, f)

static const struct opt opts[] = {
	{ "node", "name", OPT_STRING, OFF(name), NULL, 0, 0,
	  "Name of this node shown to people (default: the host name)." },
	{ "node", "data", OPT_PATH, OFF(data), NULL, 0, 0,
	  "Data directory: key, store, control socket "
	  "(default: $XDG_DATA_HOME/gilde or ~/.local/share/gilde)." },
	{ "node", "listen", OPT_ADDR, OFF(listen), "127.0.0.1:7420", 0, 0,
	  "Address and port to accept peers on; port 0 picks a free port." },
	{ "node", "public", OPT_ADDRLIST, OFF(public_endpoints), NULL, 0, 0,
	  "HOST:PORT where other nodes can reach this one, announced in its node "
	  "record; repeatable (default: the listen address, unless it is a wildcard)." },
	{ "store", "map_size", OPT_SIZE, OFF(map_size), "4G", 16ull << 20, 1ull << 40,
	  "Largest size the store may grow to (K, M, G, T suffixes)." },
	{ "store", "mapped_max", OPT_SIZE, OFF(mapped_max), "0", 0, 1ull << 40,
	  "File-backed resident memory (store pages read through its map, the program, its "
	  "libraries) above which gilded lets go of its mapping of the store. Writes are held "
	  "to it as they go; queries and syncs let go at most every 5 s (and the node checks "
	  "once a second), so between releases they may map more. Off by default: those pages "
	  "are the kernel's page cache, shared and reclaimable, not gilded's own memory (0: no "
	  "bound)." },
	{ "log", "level", OPT_LEVEL, OFF(log_level), "info", 0, 0,
	  "Least severe level logged: error, warn, info or debug." },
	{ "log", "syslog", OPT_BOOL, OFF(log_syslog), "false", 0, 0,
	  "Also send every line to syslog (facility daemon, ident gilded); "
	  "standard error is written either way." },
	{ "publish", "lifetime", OPT_DURATION, OFF(lifetime), "365d", 3600, 3650ull * 86400,
	  "How long a published record stays valid before it expires (s, m, h, d)." },
	{ "publish", "tombstone_lifetime", OPT_DURATION, OFF(tombstone_lifetime), "180d",
	  86400, 3650ull * 86400,
	  "How long a retraction is kept so that it reaches every node." },
	{ "limits", "max_clock_skew", OPT_DURATION, OFF(max_clock_skew), "10m", 0, 86400,
	  "Records issued further than this in the future are refused." },
	{ "limits", "handshake_timeout", OPT_DURATION, OFF(handshake_timeout), "10s", 1, 600,
	  "A peer that has not completed the handshake by then is dropped." },
	{ "limits", "idle_timeout", OPT_DURATION, OFF(idle_timeout), "90s", 5, 86400,
	  "A peer silent this long is dropped (nodes ping each other every third of it)." },
	{ "limits", "frame_timeout", OPT_DURATION, OFF(frame_timeout), "30s", 1, 3600,
	  "A peer that takes longer than this to send one frame it started is dropped." },
	{ "limits", "peer_bytes", OPT_SIZE, OFF(peer_bytes), "64M", 64ull << 10, 1ull << 40,
	  "Bytes per second one peer may send; beyond it the node stops reading from it." },
	{ "limits", "peer_records", OPT_COUNT, OFF(peer_records), "50000", 10, 10000000,
	  "Records per second one peer may send; beyond it the node stops reading from it "
	  "(a full sync runs at the speed of verification, well below the default)." },
	{ "limits", "ban", OPT_DURATION, OFF(ban), "5s", 0, 86400,
	  "An address that fails the handshake or sends bad frames or signatures is "
	  "refused this long, doubling with each repeat up to an hour (0: never)." },
	{ "federation", "network_key", OPT_NETKEY, 0, NULL, 0, 0,
	  "The federation's shared secret (gilde-net:...); `gilde network-key` makes one." },
	{ "federation", "curator", OPT_KEYLIST, OFF(curators), NULL, 0, 0,
	  "A curator's key (ed25519:...): records are accepted from it and from the keys "
	  "it endorses; repeatable (the city, the province)." },
	{ "federation", "allow", OPT_KEYLIST, OFF(allow), NULL, 0, 0,
	  "A key whose records this node accepts whatever the curators say; repeatable." },
	{ "federation", "open", OPT_BOOL, OFF(open), "false", 0, 0,
	  "Accept every validly signed record (tests and private setups only)." },
	{ "federation", "recon_interval", OPT_DURATION, OFF(recon_interval), "60s", 1, 86400,
	  "How often each link reconciles its whole set of records." },
	{ "peers", "peer", OPT_ADDRLIST, OFF(peers), NULL, 0, 0,
	  "A peer to dial, HOST:PORT; repeat the line for more peers." },
	{ "peers", "max", OPT_COUNT, OFF(max_peers), "32", 1, 4096,
	  "Most connections to peers at once, both directions." },
	{ "peers", "max_per_ip", OPT_COUNT, OFF(max_per_ip), "4", 1, 4096,
	  "Most connections from one IP address." },
	{ "peers", "dial", OPT_COUNT, OFF(dial), "8", 0, 4096,
	  "How many peers learnt from node records to keep connections to, "
	  "besides the configured ones." },
	{ "peers", "backoff_max", OPT_DURATION, OFF(backoff_max), "60s", 1, 86400,
	  "Longest wait between attempts to reach a peer (the wait doubles from 1s)." },
	{ "web", "listen", OPT_ADDR, OFF(web_listen), NULL, 0, 0,
	  "Serve the starter's page and the read-only JSON API (proto/API.md) over HTTP "
	  "on HOST:PORT, e.g. 127.0.0.1:8080; port 0 picks a free port (default: off). "
	  "Put a TLS reverse proxy in front of it for the internet." },
	{ "web", "root", OPT_PATH, OFF(web_root), NULL, 0, 0,
	  "Directory of the page's files (default: the page installed with gilded, "
	  "in share/gilde/web under its prefix)." },
	{ "web", "paths", OPT_PATH, OFF(web_paths), NULL, 0, 0,
	  "The to-do paths the page's to-do lists follow: a copy of schemas/paths.json "
	  "the city edits (default: the paths built into gilded)." },
	{ "web", "screening", OPT_PATH, OFF(web_screening), NULL, 0, 0,
	  "The screening of foreign start-ups the page asks: a copy of schemas/screening.json "
	  "a landing programme edits (default: the screening built into gilded)." },
	{ "web", "desk", OPT_ID, OFF(web_desk), NULL, 0, 0,
	  "The id of a partner record this node publishes (e.g. stad-gent) that a starter should "
	  "ask when no offer fits a step of the to-do list: the page names it and links to it "
	  "(default: none; the page then says \"the city's business desk\" without a link)." },
	{ "web", "max_connections", OPT_COUNT, OFF(web_connections), "256", 1, 65536,
	  "Most HTTP connections at once." },
	{ "web", "max_per_ip", OPT_COUNT, OFF(web_per_ip), "16", 1, 65536,
	  "Most HTTP connections from one IP address." },
	{ "web", "waiting_per_ip", OPT_COUNT, OFF(web_waiting), "8", 1, 65536,
	  "Most HTTP connections from one IP address (an IPv6 /64) waiting for a request at once, "
	  "kept-alive ones included; a further one is refused (a browser opens six at most). "
	  "With behind_proxy, the proxy's own loopback address is not counted." },
	{ "web", "answer_cache", OPT_COUNT, OFF(web_answer_cache), "64", 0, 4096,
	  "Answers of POST /api/v1/match, GET /api/v1/search and GET /api/v1/map kept, so that "
	  "the same question "
	  "asked again is answered from memory while the store is unchanged (at most a minute; "
	  "16 MiB in all); 0: none." },
	{ "web", "rate", OPT_COUNT, OFF(web_rate), "20", 0, 1000000,
	  "Requests per second one client address (an IPv6 /64) may make on average; beyond "
	  "it the answer is 429 with Retry-After (0: no limit, for a proxy that limits)." },
	{ "web", "burst", OPT_COUNT, OFF(web_burst), "100", 1, 1000000,
	  "Requests one client address may make at once before the rate applies." },
	{ "web", "behind_proxy", OPT_BOOL, OFF(web_behind_proxy), "false", 0, 0,
	  "A reverse proxy on this machine forwards the requests: count each under the last "
	  "address of its X-Forwarded-For header, not the proxy's." },
	{ "web", "timeout", OPT_DURATION, OFF(web_timeout), "10s", 1, 3600,
	  "An HTTP connection idle this long is closed." },
	{ "insight", "enabled", OPT_BOOL, OFF(insight_enabled), "false", 0, 0,
	  "Take anonymous progress events from starters who agree to send them (the page asks "
	  "each starter once; gilde plan too): the kind of starter, a step on a need, the partner "
	  "chosen, the week and a random token, kept in DATA/insight apart from the directory. "
	  "Off: nothing is asked or taken, and the page's insight endpoints answer 404." },
	{ "insight", "k", OPT_COUNT, OFF(insight_k), "10", 5, 1000,
	  "No figure is shown (by gilde insight, the API, the gaps, the records) unless it counts "
	  "at least this many starters, and a figure shown changes only once this many starters "
	  "moved it; never below 5." },
	{ "insight", "retention", OPT_DURATION, OFF(insight_retention), "548d", 7 * 86400,
	  3650ull * 86400,
	  "How long a progress event is kept (548d: 18 months), counted from the end of its week; "
	  "older ones are deleted at the next release." },
	{ "insight", "release", OPT_DURATION, OFF(insight_release), "1d", 1, 30 * 86400,
	  "How often the figures are released anew from the events, and old events deleted." },
	{ "insight", "rate", OPT_COUNT, OFF(insight_rate), "5", 1, 100000,
	  "Progress events per second the node takes from all starters together; beyond it the "
	  "answer is 429 (each token also holds at most 256 events)." },
	{ "insight", "burst", OPT_COUNT, OFF(insight_burst), "50", 1, 1000000,
	  "Progress events the node takes at once before the rate applies." },
	{ "insight", "publish", OPT_BOOL, OFF(insight_publish), "false", 0, 0,
	  "Sign each release as insight records (one per bucket, only figures of at least k "
	  "starters), which gossip to every node, so that partners see the figures on their "
	  "own node." },
};

#define NOPTS (sizeof opts / sizeof opts[0])

static const struct opt *find_opt(const char *section, const char *name)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (!strcmp(opts[i].section, section) && !strcmp(opts[i].name, name))
			return &opts[i];
	return NULL;
}

static bool section_known(const char *section)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (!strcmp(opts[i].section, section))
			return true;
	return false;
}

int config_parse_addr(const char *s, char *host, unsigned hostlen, int *port)
{
	const char *colon;
	const char *h = s;
	size_t hl;
	if (*s == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':')
			return GL_ECONFIG;
		h = s + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon)
			return GL_ECONFIG;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= hostlen)
		return GL_ECONFIG;
	char *end;
	errno = 0;
	long p = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno || p < 0 || p > 65535)
		return GL_ECONFIG;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (int)p;
	return 0;
}

static int parse_scaled(const char *v, const char *units, const uint64_t *mult, uint64_t *out)
{
	char *end;
	errno = 0;
	if (*v < '0' || *v > '9')
		return -1;
	unsigned long long n = strtoull(v, &end, 10);
	if (errno)
		return -1;
	uint64_t m = 1;
	if (*end) {
		const char *u = end[1] == '\0' ? strchr(units, *end) : NULL;
		if (!u)
			return -1;
		m = mult[u - units];
	}
	if (m && n > UINT64_MAX / m)
		return -1;
	*out = n * m;
	return 0;
}

/* A size as the configuration writes it: the largest unit that divides it. */
static void size_text(uint64_t v, char *out, size_t n)
{
	static const char *const units[] = { "K", "M", "G", "T" };
	const char *u = "";
	for (int i = 3; i >= 0; i--) {
		uint64_t m = 1ull << (10 * (i + 1));
		if (v >= m && v % m == 0) {
			v /= m;
			u = units[i];
			break;
		}
	}
	snprintf(out, n, "%llu%s", (unsigned long long)v, u);
}

/* The setters of set_opt, one a type: value (read at where) into o's field of c. */

static int set_string(struct config *c, const struct opt *o, const char *value,
                      const char *where, struct gl_error *err)
{
	char **p = (char **)((char *)c + o->offset);
	if (!*value)
		return gl_errorf(err, GL_ECONFIG, "%s: [%s] %s: empty value", where, o->section,
		                 o->name);
	if (o->type == OPT_ID && !record_id_valid(value, strlen(value)))
		return gl_errorf(err, GL_ECONFIG, "%s: [%s] %s: \"%s\" is not a record's id (1 to %u "
		                 "of a-z, 0-9, '.', '_', '-', beginning with a letter or digit)",
		                 where, o->section, o->name, value, GL_ID_MAX);
	free(*p);
	*p = gl_xstrdup(value);
	return 0;
}

static int set_addr(struct config *c, const struct opt *o, const char *value,
                    const char *where, struct gl_error *err)
{
	char host[256];
	int port;
	char *base = (char *)c;
	if (config_parse_addr(value, host, sizeof host, &port))
		return gl_errorf(err, GL_ECONFIG,
		                 "%s: [%s] %s: \"%s\" is not HOST:PORT (IPv6 as [ADDR]:PORT)",
		                 where, o->section, o->name, value);
	if (o->type == OPT_ADDRLIST) {
		if (port == 0)
			return gl_errorf(err, GL_ECONFIG, "%s: [%s] %s: port 0 cannot be dialled",
			                 where, o->section, o->name);
		struct strlist *l = (struct strlist *)(base + o->offset);
		l->v = gl_xrealloc(l->v, (l->n + 1) * sizeof *l->v);
		l->v[l->n++] = gl_xstrdup(value);
	} else {
		char **p = (char **)(base + o->offset);
		free(*p);
		*p = gl_xstrdup(value);
	}
	return 0;
}

static int set_size(struct config *c, const struct opt *o, const char *value,
                    const char *where, struct gl_error *err)
{
	static const uint64_t mult[] = { 1ull << 10, 1ull << 20, 1ull << 30, 1ull << 40 };
	uint64_t u;
	if (parse_scaled(value, "KMGT", mult, &u) || u < o->min || u > o->max) {
		char lo[16], hi[16];
		size_text(o->min, lo, sizeof lo);
		size_text(o->max, hi, sizeof hi);
		return gl_errorf(err, GL_ECONFIG,
		                 "%s: [%s] %s: \"%s\" is not a size between %s and %s "
		                 "(a number with K, M, G or T)",
		                 where, o->section, o->name, value, lo, hi);
	}
	*(uint64_t *)((char *)c + o->offset) = u;
	return 0;
}

static int set_duration(struct config *c, const struct opt *o, const char *value,
                        const char *where, struct gl_error *err)
{
	static const uint64_t mult[] = { 1, 60, 3600, 86400 };
	uint64_t u;
	if (parse_scaled(value, "smhd", mult, &u) || u < o->min || u > o->max)
		return gl_errorf(err, GL_ECONFIG,
		                 "%s: [%s] %s: \"%s\" is not a duration from %llus to %llus "
		                 "(a number with s, m, h or d)",
		                 where, o->section, o->name, value,
		                 (unsigned long long)o->min, (unsigned long long)o->max);
	*(uint64_t *)((char *)c + o->offset) = u;
	return 0;
}

static int set_count(struct config *c, const struct opt *o, const char *value,
                     const char *where, struct gl_error *err)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(value, &end, 10);
	if (*value < '0' || *value > '9' || *end || errno || v < o->min || v > o->max)
		return gl_errorf(err, GL_ECONFIG, "%s: [%s] %s: \"%s\" is not a whole number "
		                 "from %llu to %llu", where, o->section, o->name, value,
		                 (unsigned long long)o->min, (unsigned long long)o->max);
	*(uint64_t *)((char *)c + o->offset) = v;
	return 0;
}

static int set_keylist(struct config *c, const struct opt *o, const char *value,
                       const char *where, struct gl_error *err)
{
	struct keylist *l = (struct keylist *)((char *)c + o->offset);
	uint8_t key[32];
	struct gl_error e2;
	if (ident_parse(IDENT_PK_PREFIX, value, "key", key, &e2))
		return gl_errorf(err, GL_ECONFIG, "%s: [%s] %s: %s (see gilde id)", where,
		                 o->section, o->name, e2.msg);
	l->v = gl_xrealloc(l->v, (l->n + 1) * sizeof *l->v);
	memcpy(l->v[l->n++], key, 32);
	return 0;
}

static int set_bool(struct config *c, const struct opt *o, const char *value,
                    const char *where, struct gl_error *err)
{
	bool *b = (bool *)((char *)c + o->offset);
	if (!strcmp(value, "true") || !strcmp(value, "yes") || !strcmp(value, "1"))
		*b = true;
	else if (!strcmp(value, "false") || !strcmp(value, "no") || !strcmp(value, "0"))
		*b = false;
	else
		return gl_errorf(err, GL_ECONFIG, "%s: [%s] %s: \"%s\" is not true or false",
		                 where, o->section, o->name, value);
	return 0;
}

static int set_level(struct config *c, const struct opt *o, const char *value,
                     const char *where, struct gl_error *err)
{
	int l = config_level_parse(value);
	if (l < 0)
		return gl_errorf(err, GL_ECONFIG,
		                 "%s: [%s] %s: \"%s\" is not one of error, warn, info, debug",
		                 where, o->section, o->name, value);
	*(int *)((char *)c + o->offset) = l;
	return 0;
}

static int set_netkey(struct config *c, const struct opt *o, const char *value,
                      const char *where, struct gl_error *err)
{
	struct gl_error e2;
	if (ident_parse(IDENT_NET_PREFIX, value, "network key", c->network_key, &e2))
		return gl_errorf(err, GL_ECONFIG, "%s: [%s] %s: %s; make one with "
		                 "`gilde network-key`", where, o->section, o->name, e2.msg);
	c->has_network_key = true;
	return 0;
}

static int set_opt(struct config *c, const struct opt *o, const char *value,
                   const char *where, struct gl_error *err)
{
	switch (o->type) {
	case OPT_STRING:
	case OPT_ID:
	case OPT_PATH: return set_string(c, o, value, where, err);
	case OPT_ADDR:
	case OPT_ADDRLIST: return set_addr(c, o, value, where, err);
	case OPT_SIZE: return set_size(c, o, value, where, err);
	case OPT_DURATION: return set_duration(c, o, value, where, err);
	case OPT_COUNT: return set_count(c, o, value, where, err);
	case OPT_KEYLIST: return set_keylist(c, o, value, where, err);
	case OPT_BOOL: return set_bool(c, o, value, where, err);
	case OPT_LEVEL: return set_level(c, o, value, where, err);
	case OPT_NETKEY: return set_netkey(c, o, value, where, err);
	}
	return GL_EINVAL;
}

static void strlist_free(struct strlist *l)
{
	for (unsigned i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof *c);
	for (size_t i = 0; i < NOPTS; i++)
		if (opts[i].dflt && set_opt(c, &opts[i], opts[i].dflt, "default", NULL))
			abort(); /* a default that does not parse is a bug in the table */
}

void config_free(struct config *c)
{
	free(c->path);
	free(c->name);
	free(c->data);
	free(c->listen);
	free(c->web_listen);
	free(c->web_root);
	free(c->web_paths);
	free(c->web_screening);
	free(c->web_desk);
	strlist_free(&c->peers);
	strlist_free(&c->public_endpoints);
	free(c->curators.v);
	free(c->allow.v);
	sodium_memzero(c->network_key, sizeof c->network_key);
	memset(c, 0, sizeof *c);
}

int config_set(struct config *c, const char *section, const char *name, const char *value,
               const char *where, struct gl_error *err)
{
	const struct opt *o = find_opt(section, name);
	if (!o) {
		if (!section_known(section))
			return gl_errorf(err, GL_ECONFIG, "%s: unknown section [%s]", where, section);
		return gl_errorf(err, GL_ECONFIG,
		                 "%s: unknown option \"%s\" in [%s] (see gilded --help)", where,
		                 name, section);
	}
	return set_opt(c, o, value, where, err);
}

struct load_ctx {
	struct config *c;
	const char *path;
	FILE *f;
	int line;      /* lines read so far: the line the handler is called for */
	int err_line;  /* where the first refused option was */
	struct gl_error *err;
	int rc;
};

/*
 * Debian's inih does not pass line numbers to the handler, but reads the
 * file through a reader we give it, one line per call: counting there tells
 * the handler which line it is looking at.
 */
static char *read_line(char *str, int num, void *stream)
{
	struct load_ctx *lc = stream;
	char *r = fgets(str, num, lc->f);
	if (r)
		lc->line++;
	return r;
}

static int on_ini(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *lc = user;
	char where[600];
	if (lc->rc)
		return 1; /* only the first problem is reported */
	snprintf(where, sizeof where, "%s:%d", lc->path, lc->line);
	if (!*section)
		lc->rc = gl_errorf(lc->err, GL_ECONFIG, "%s: option \"%s\" outside any [section]",
		                   where, name);
	else
		lc->rc = config_set(lc->c, section, name, value, where, lc->err);
	if (lc->rc)
		lc->err_line = lc->line;
	return lc->rc == 0;
}

int config_load(struct config *c, const char *path, struct gl_error *err)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return gl_errorf(err, errno == ENOENT ? GL_ENOTFOUND : GL_EIO,
		                 "%s: cannot read configuration: %s", path, strerror(errno));
	free(c->path);
	c->path = realpath(path, NULL);
	struct load_ctx lc = { .c = c, .path = path, .f = f, .err = err };
	int line = ini_parse_stream(read_line, &lc, on_ini, &lc);
	fclose(f);
	/* inih reports the first bad line, ours or its own: a malformed line
	 * before the first refused option comes first */
	if (line > 0 && (!lc.rc || line < lc.err_line))
		return gl_errorf(err, GL_ECONFIG,
		                 "%s:%d: not an INI line (expected [section] or name = value)",
		                 path, line);
	return lc.rc;
}

static void dump_value(const struct config *c, const struct opt *o, FILE *out)
{
	const char *base = (const char *)c;
	switch (o->type) {
	case OPT_STRING:
	case OPT_ID:
	case OPT_PATH:
	case OPT_ADDR: {
		const char *s = *(char *const *)(base + o->offset);
		if (s)
			fprintf(out, "%s = %s\n", o->name, s);
		else
			fprintf(out, "# %s is not set\n", o->name);
		break;
	}
	case OPT_ADDRLIST: {
		const struct strlist *l = (const struct strlist *)(base + o->offset);
		for (unsigned i = 0; i < l->n; i++)
			fprintf(out, "%s = %s\n", o->name, l->v[i]);
		if (!l->n)
			fprintf(out, "# %s is not set\n", o->name);
		break;
	}
	case OPT_SIZE: {
		char v[16];
		size_text(*(const uint64_t *)(base + o->offset), v, sizeof v);
		fprintf(out, "%s = %s\n", o->name, v);
		break;
	}
	case OPT_DURATION: {
		uint64_t v = *(const uint64_t *)(base + o->offset);
		static const struct { uint64_t m; const char *u; } units[] = {
			{ 86400, "d" }, { 3600, "h" }, { 60, "m" }, { 1, "s" } };
		for (int i = 0; i < 4; i++)
			if (v % units[i].m == 0 && (v || i == 3)) {
				fprintf(out, "%s = %llu%s\n", o->name,
				        (unsigned long long)(v / units[i].m), units[i].u);
				break;
			}
		break;
	}
	case OPT_KEYLIST: {
		const struct keylist *l = (const struct keylist *)(base + o->offset);
		for (unsigned i = 0; i < l->n; i++) {
			char k[IDENT_TEXT_MAX];
			ident_format(IDENT_PK_PREFIX, l->v[i], k);
			fprintf(out, "%s = %s\n", o->name, k);
		}
		if (!l->n)
			fprintf(out, "# %s is not set\n", o->name);
		break;
	}
	case OPT_BOOL:
		fprintf(out, "%s = %s\n", o->name, *(const bool *)(base + o->offset) ? "true" : "false");
		break;
	case OPT_COUNT:
		fprintf(out, "%s = %llu\n", o->name,
		        (unsigned long long)*(const uint64_t *)(base + o->offset));
		break;
	case OPT_LEVEL:
		fprintf(out, "%s = %s\n", o->name,
		        config_level_name(*(const int *)(base + o->offset)));
		break;
	case OPT_NETKEY:
		if (c->has_network_key)
			fprintf(out, "%s = (set, not shown)\n", o->name);
		else
			fprintf(out, "# %s is not set\n", o->name);
		break;
	}
}

void config_dump(const struct config *c, FILE *out)
{
	const char *section = NULL;
	for (size_t i = 0; i < NOPTS; i++) {
		if (!section || strcmp(section, opts[i].section)) {
			section = opts[i].section;
			fprintf(out, "%s[%s]\n", i ? "\n" : "", section);
		}
		dump_value(c, &opts[i], out);
	}
}

void config_help(FILE *out)
{
	const char *section = NULL;
	for (size_t i = 0; i < NOPTS; i++) {
		if (!section || strcmp(section, opts[i].section)) {
			section = opts[i].section;
			fprintf(out, "  [%s]\n", section);
		}
		fprintf(out, "    %-20s %s%s%s%s\n", opts[i].name, opts[i].doc,
		        opts[i].dflt ? " Default: " : "", opts[i].dflt ? opts[i].dflt : "",
		        opts[i].dflt ? "." : "");
	}
}

/* ---- warnings: what parses but is surely not meant -------------------- */

/* A key a person copied from an example and did not replace: its text
 * spells PLACEHOLDER (contrib/gilded.conf's keys do), or it is one byte
 * repeated (all zeros, say), which no key generator makes. */
static bool placeholder_key(const uint8_t key[32], const char *prefix)
{
	char text[IDENT_TEXT_MAX];
	ident_format(prefix, key, text);
	bool same = true;
	for (int i = 1; i < 32 && same; i++)
		same = key[i] == key[0];
	return same || strstr(text, "PLACEHOLDER") != NULL;
}

/* HOST of HOST:PORT is every address: 0.0.0.0, [::] or empty. */
static bool wildcard(const char *addr)
{
	char host[256];
	int port;
	return addr && config_parse_addr(addr, host, sizeof host, &port) == 0 &&
	       (!*host || !strcmp(host, "0.0.0.0") || !strcmp(host, "::") || !strcmp(host, "[::]"));
}

static void warn(unsigned *n, void (*fn)(void *ctx, const char *text), void *ctx,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void warn(unsigned *n, void (*fn)(void *ctx, const char *text), void *ctx,
                 const char *fmt, ...)
{
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	(*n)++;
	fn(ctx, text);
}

/* Placeholders among the keys of list (option: its name). */
static void warn_keys(const char *where, const struct keylist *l, const char *option,
                      const char *fix, unsigned *n, void (*fn)(void *ctx, const char *text),
                      void *ctx)
{
	for (unsigned i = 0; i < l->n; i++) {
		char text[IDENT_TEXT_MAX];
		ident_format(IDENT_PK_PREFIX, l->v[i], text);
		if (placeholder_key(l->v[i], IDENT_PK_PREFIX))
			warn(n, fn, ctx, "%s: [federation] %s = %s is a placeholder: %s", where, option,
			     text, fix);
	}
}

unsigned config_warnings(const struct config *c, void (*fn)(void *ctx, const char *text),
                         void *ctx)
{
	unsigned n = 0;
	const char *where = c->path ? c->path : "the configuration";
	if (c->has_network_key && placeholder_key(c->network_key, IDENT_NET_PREFIX))
		warn(&n, fn, ctx, "%s: [federation] network_key is a placeholder: make the "
		     "federation's key once with `gilde network-key` and put the same one on every "
		     "node (no node with another key will talk to this one)", where);
	warn_keys(where, &c->curators, "curator", "put the curator's key here (`gilde id` on its node "
	          "prints it), or remove the line", &n, fn, ctx);
	warn_keys(where, &c->allow, "allow", "put the partner's key here, or remove the line", &n, fn,
	          ctx);
	if (wildcard(c->listen))
		warn(&n, fn, ctx, "%s: [node] listen = %s accepts peers on every address of this "
		     "machine: keep it on 127.0.0.1 unless peers are elsewhere, and then open only "
		     "that port in the firewall%s", where, c->listen,
		     c->public_endpoints.n ? "" : "; set [node] public to the address peers dial, "
		     "or no node record says where to reach this node");
	if (wildcard(c->web_listen))
		warn(&n, fn, ctx, "%s: [web] listen = %s serves the web on every address of this "
		     "machine: keep it on 127.0.0.1 and let a TLS reverse proxy face the internet "
		     "(contrib/GUIDE.md: the page on the internet)", where, c->web_listen);
	return n;
}

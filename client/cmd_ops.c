/* gilde metrics, gilde doctor: for the people who run a node. */
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <sodium.h>

#include "client/cmd.h"
#include "gilde_config.h"
#include "schemas/config.h"
#include "proto/ident.h"
#include "proto/record.h"

static long long geti(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static const char *gets(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

/* ---- gilde metrics: Prometheus text format (version 0.0.4) -------------- */

/* Write a label value with the escapes the format asks for. */
static void label_value(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", stdout);
		else if (*s == '"')
			fputs("\\\"", stdout);
		else if (*s == '\n')
			fputs("\\n", stdout);
		else
			putchar(*s);
	}
	putchar('"');
}

static void family(const char *name, const char *type, const char *help)
{
	printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample(const char *name, const char *labels, double v)
{
	printf("%s%s ", name, labels ? labels : "");
	if (v == floor(v) && fabs(v) < 9e15)
		printf("%.0f\n", v);
	else
		printf("%.6g\n", v);
}

/* A figure of each open connection: its family, and its field of the
 * daemon's peers answer times scale. */
struct peer_figure {
	const char *name, *type, *help, *field;
	double scale;
};

static const struct peer_figure per_peer_figures[] = {
	{ "gilde_peer_received_bytes_total", "counter", "Bytes received from the peer.",
	  "bytes_in", 1 },
	{ "gilde_peer_sent_bytes_total", "counter", "Bytes sent to the peer.", "bytes_out", 1 },
	{ "gilde_peer_received_records_total", "counter", "Records received from the peer.",
	  "records_in", 1 },
	{ "gilde_peer_duplicate_records_total", "counter",
	  "Records received from the peer that were already held.", "duplicates_in", 1 },
	{ "gilde_peer_sent_records_total", "counter", "Records sent to the peer.", "records_out",
	  1 },
	{ "gilde_peer_reconciliations_total", "counter", "Reconciliations finished with the peer.",
	  "reconciliations", 1 },
	{ "gilde_peer_last_recon_rounds", "gauge",
	  "Messages of the last reconciliation with the peer.", "last_recon_rounds", 1 },
	{ "gilde_peer_last_recon_duration_seconds", "gauge",
	  "Duration of the last reconciliation with the peer.", "last_recon_duration_ms", 0.001 },
	{ "gilde_peer_last_recon_bytes", "gauge", "Bytes of the last reconciliation with the peer.",
	  "last_recon_bytes", 1 },
	{ "gilde_peer_clock_offset_seconds", "gauge",
	  "The peer's clock minus this node's, from its HELLO.", "clock_offset_ms", 0.001 },
};

/* One sample per open connection, labelled with the peer's key and name. */
static void per_peer(json_t *conns, const struct peer_figure *f)
{
	family(f->name, f->type, f->help);
	size_t i;
	json_t *p;
	json_array_foreach(conns, i, p) {
		if (strcmp(gets(p, "state"), "open") != 0)
			continue;
		json_t *v = json_object_get(p, f->field);
		if (!json_is_integer(v))
			continue;
		printf("%s{peer=", f->name);
		label_value(gets(p, "key"));
		printf(",name=");
		label_value(gets(p, "name"));
		printf("} ");
		double d = (double)json_integer_value(v) * f->scale;
		if (d == floor(d))
			printf("%.0f\n", d);
		else
			printf("%.3f\n", d);
	}
}

/* The store's figures (the daemon need not run). */
static void metrics_store(const struct store_stats *st)
{
	family("gilde_records", "gauge", "Live records held, by kind.");
	for (int k = RK_FIRST; k <= RK_LAST; k++) {
		char l[64];
		snprintf(l, sizeof l, "{kind=\"%s\"}", record_kind_name(k));
		sample("gilde_records", l, (double)st->live[k]);
	}
	family("gilde_records_retracted", "gauge", "Retractions (tombstones) held.");
	sample("gilde_records_retracted", NULL, (double)st->tombstones);
	family("gilde_store_used_bytes", "gauge", "Bytes of the store in use.");
	sample("gilde_store_used_bytes", NULL, (double)st->used);
	family("gilde_store_map_size_bytes", "gauge", "Largest size the store may grow to.");
	sample("gilde_store_map_size_bytes", NULL, (double)st->map_size);
	family("gilde_store_depth", "gauge", "B-tree depth of the records database.");
	sample("gilde_store_depth", NULL, (double)st->depth);
}

/* The daemon's counters, from its status. */
static void metrics_daemon(json_t *status)
{
	family("gilde_uptime_seconds", "gauge", "Seconds since the daemon started.");
	sample("gilde_uptime_seconds", NULL, (double)geti(status, "uptime_ms") / 1000.0);
	family("gilde_published_total", "counter", "Records signed by this node.");
	sample("gilde_published_total", NULL, (double)geti(status, "published"));
	family("gilde_ingested_total", "counter", "Records stored from imports and peers.");
	sample("gilde_ingested_total", NULL, (double)geti(status, "ingested"));
	family("gilde_offered_older_total", "counter",
	       "Offered records already held, or beaten by the version held.");
	sample("gilde_offered_older_total", NULL, (double)geti(status, "older"));
	family("gilde_rejected_total", "counter", "Offered records turned away, by reason.");
	json_t *rb = json_object_get(status, "rejected_by");
	const char *reason;
	json_t *v;
	json_object_foreach(rb, reason, v) {
		printf("gilde_rejected_total{reason=");
		label_value(reason);
		printf("} %lld\n", (long long)json_integer_value(v));
	}
	family("gilde_commits_total", "counter", "Store write jobs committed.");
	sample("gilde_commits_total", NULL, (double)geti(status, "commits"));
}

/* Its memory and its web server, if it has one. */
static void metrics_memory_web(json_t *status)
{
	json_t *mem = json_object_get(status, "memory");
	if (mem) {
		family("gilde_memory_bytes", "gauge",
		       "Resident memory of the daemon: its own (anonymous) and of files "
		       "(store pages, program).");
		sample("gilde_memory_bytes", "{kind=\"anonymous\"}", (double)geti(mem, "anonymous"));
		sample("gilde_memory_bytes", "{kind=\"file\"}", (double)geti(mem, "file"));
		family("gilde_memory_peak_bytes", "gauge", "The most memory the daemon held at once.");
		sample("gilde_memory_peak_bytes", NULL, (double)geti(mem, "peak"));
		family("gilde_store_map_releases_total", "counter",
		       "Times the daemon let go of its store mapping ([store] mapped_max).");
		sample("gilde_store_map_releases_total", NULL, (double)geti(mem, "map_releases"));
	}
	json_t *web = json_object_get(status, "web");
	if (web) {
		family("gilde_web_requests_total", "counter",
		       "HTTP requests answered by [web], by class of status.");
		long long all = geti(web, "requests"), c4 = geti(web, "client_errors"),
		          c5 = geti(web, "server_errors");
		sample("gilde_web_requests_total", "{class=\"ok\"}", (double)(all - c4 - c5));
		sample("gilde_web_requests_total", "{class=\"client_error\"}", (double)c4);
		sample("gilde_web_requests_total", "{class=\"server_error\"}", (double)c5);
		family("gilde_web_rate_limited_total", "counter",
		       "HTTP requests refused with 429 by the per-address rate limit.");
		sample("gilde_web_rate_limited_total", NULL, (double)geti(web, "rate_limited"));
		family("gilde_web_answers_total", "counter",
		       "Answers of match and search while [web] answer_cache is on, by where from.");
		sample("gilde_web_answers_total", "{from=\"cache\"}",
		       (double)geti(web, "answers_cached"));
		sample("gilde_web_answers_total", "{from=\"computed\"}",
		       (double)geti(web, "answers_computed"));
	}
}

/* Its peers, from its peers answer pm. */
static void metrics_peers(json_t *pm)
{
	json_t *conns = json_object_get(pm, "connections");
	long long in = 0, out = 0;
	size_t i;
	json_t *p;
	json_array_foreach(conns, i, p)
		if (!strcmp(gets(p, "state"), "open")) {
			if (!strcmp(gets(p, "direction"), "in"))
				in++;
			else
				out++;
		}
	family("gilde_peers", "gauge", "Open connections to peers, by direction.");
	sample("gilde_peers", "{direction=\"in\"}", (double)in);
	sample("gilde_peers", "{direction=\"out\"}", (double)out);
	family("gilde_peer_addresses", "gauge", "Peer addresses known (configured and learnt).");
	sample("gilde_peer_addresses", NULL, (double)json_array_size(json_object_get(pm, "addresses")));
	family("gilde_handshake_failures_total", "counter", "Handshakes that failed.");
	sample("gilde_handshake_failures_total", NULL, (double)geti(pm, "handshake_failures"));
	family("gilde_banned_refused_total", "counter",
	       "Connections refused because their address was banned.");
	sample("gilde_banned_refused_total", NULL, (double)geti(pm, "banned_refused"));
	for (size_t k = 0; k < sizeof per_peer_figures / sizeof per_peer_figures[0]; k++)
		per_peer(conns, &per_peer_figures[k]);
}

int cmd_metrics(struct cli *cli, int argc, char **argv)
{
	const struct cmd *me = cmd_find("metrics");
	if (cli_common_only(cli, me, argc, argv, 0))
		return EXIT_USAGE;
	struct gl_error err = { 0 };
	struct store *s;
	struct store_txn *t;
	struct store_stats st;
	if (cli_open_store(cli, &s, &err))
		return cli_fail(&err);
	int rc = store_begin(s, false, &t, &err);
	if (!rc) {
		rc = store_stats(t, STORE_COUNT_FAST, &st, &err);
		store_abort(t);
	}
	store_close(s);
	if (rc)
		return cli_fail(&err);
	struct gl_error derr = { 0 };
	json_t *status = cli_ask(cli, "status", &derr);
	json_t *peers = status ? cli_ask(cli, "peers", &derr) : NULL;
	json_t *pm = peers ? json_object_get(peers, "peers") : NULL;

	family("gilde_up", "gauge", "Whether the daemon answered on its control socket.");
	sample("gilde_up", NULL, status && pm ? 1 : 0);
	metrics_store(&st);
	if (status && pm) {
		metrics_daemon(status);
		metrics_memory_web(status);
		metrics_peers(pm);
	}
	json_decref(status);
	json_decref(peers);
	return EXIT_OK;
}

/* ---- gilde doctor ------------------------------------------------------- */

enum verdict { OK, WARN, FAIL };

struct doctor {
	struct cli *cli;
	json_t *checks; /* for --json */
	unsigned warns, fails;
};

__attribute__((format(printf, 5, 6)))
static void report(struct doctor *d, enum verdict v, const char *what, const char *fix,
                   const char *fmt, ...)
{
	static const char *const names[] = { N_("ok"), N_("warn"), N_("FAIL") };
	/* the names of the checks, for the catalogue: report() translates what */
	static const char *const checks[] __attribute__((unused)) = {
		N_("data"), N_("key"), N_("config"), N_("store"), N_("daemon"), N_("peer"),
		N_("clock"), N_("web"), N_("page"), N_("lang"), N_("disk"),
	};
	char detail[1024];
	va_list ap;
	/* words for a person in --lang; --json keeps the source's, for scripts */
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, d->cli->json ? fmt : _(fmt), ap);
	va_end(ap);
	d->warns += v == WARN;
	d->fails += v == FAIL;
	if (d->cli->json) {
		json_t *o = json_object();
		json_object_set_new(o, "check", json_string(what));
		json_object_set_new(o, "result", json_string(v == OK ? "ok" : v == WARN ? "warn" : "fail"));
		json_object_set_new(o, "detail", json_string(detail));
		if (fix && v != OK)
			json_object_set_new(o, "fix", json_string(fix));
		json_array_append_new(d->checks, o);
		return;
	}
	int w = 4;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		w = (int)strlen(_(names[i])) > w ? (int)strlen(_(names[i])) : w;
	printf("%-*s %-10s ", w, _(names[v]), _(what));
	cli_put(stdout, detail, -1); /* peers' names, addresses: outside text */
	putchar('\n');
	if (fix && v != OK)
		printf(_("%*s %-10s fix: %s\n"), w, "", "", _(fix));
}

static void check_datadir(struct doctor *d)
{
	const char *dir = d->cli->data;
	struct stat sb;
	if (stat(dir, &sb) != 0) {
		report(d, FAIL, "data", N_("start gilded once with --data DIR, or pass the right --data"),
		       "%s: %s", dir, strerror(errno));
		return;
	}
	if (!S_ISDIR(sb.st_mode)) {
		report(d, FAIL, "data", N_("point --data at the node's data directory"), "%s is not a directory",
		       dir);
		return;
	}
	if (access(dir, R_OK | W_OK | X_OK) != 0)
		report(d, FAIL, "data", N_("run gilde as the user gilded runs as"),
		       "%s: this user (uid %u) cannot read and write it", dir, (unsigned)geteuid());
	else if (sb.st_mode & 077)
		report(d, WARN, "data", N_("chmod 700 on the directory: it holds the node's secret key"),
		       "%s is open to other users (mode %03o)", dir, (unsigned)(sb.st_mode & 0777));
	else
		report(d, OK, "data", NULL, "%s (mode %03o, owner uid %u)", dir,
		       (unsigned)(sb.st_mode & 0777), (unsigned)sb.st_uid);
}

/* The secret key file: private, well-formed, and the key the store knows. */
static void check_key(struct doctor *d, const uint8_t *store_pk)
{
	char path[PATHS_MAX];
	struct gl_error err = { 0 };
	if (paths_join(path, d->cli->data, "identity.key", &err)) {
		report(d, FAIL, "key", NULL, "%s", err.msg);
		return;
	}
	struct stat sb;
	FILE *f = fopen(path, "r");
	if (!f || fstat(fileno(f), &sb) != 0) {
		report(d, FAIL, "key", N_("start gilded once: it creates the key"),
		       "%s: %s", path, strerror(errno));
		if (f)
			fclose(f);
		return;
	}
	char text[256] = "";
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	text[strcspn(text, "\r\n")] = '\0';
	uint8_t seed[32], pk[32], sk[64];
	int rc = ident_parse(IDENT_SK_PREFIX, text, "secret key", seed, &err);
	sodium_memzero(text, sizeof text);
	if (rc) {
		sodium_memzero(seed, sizeof seed);
		report(d, FAIL, "key", N_("restore identity.key from a backup"), "%s: %s", path, err.msg);
		return;
	}
	crypto_sign_seed_keypair(pk, sk, seed);
	sodium_memzero(seed, sizeof seed);
	sodium_memzero(sk, sizeof sk);
	char key[IDENT_TEXT_MAX];
	ident_format(IDENT_PK_PREFIX, pk, key);
	if (store_pk && memcmp(pk, store_pk, 32) != 0)
		report(d, FAIL, "key",
		       N_("put back the identity.key this store was made with (or rotate with gilde rotate-key)"),
		       "%s holds %s, but the store was written by another key", path, key);
	else if (sb.st_mode & 077)
		report(d, FAIL, "key",
		       N_("chmod 600 identity.key, and make a new key if others may have read it"),
		       "%s is readable by other users (mode %03o)", path, (unsigned)(sb.st_mode & 0777));
	else
		report(d, OK, "key", NULL, "%s (mode %03o)", key, (unsigned)(sb.st_mode & 0777));
}

/* A configuration holding the federation's network key is for the node's
 * user (and root) only: the systemd unit's root:gilde 0640 is fine, a
 * file others can read or change is not (issue 24). */
static void check_config_mode(struct doctor *d, const char *path, const struct config *cfg)
{
	struct stat sb;
	if (stat(path, &sb) != 0)
		return;
	unsigned mode = (unsigned)(sb.st_mode & 0777);
	char fix[PATHS_MAX + 128];
	if (sb.st_mode & S_IWOTH) {
		snprintf(fix, sizeof fix, "chmod o-w %s", path);
		report(d, FAIL, "config", fix, "%s can be changed by any user (mode %03o)", path, mode);
	}
	if (cfg->has_network_key && (sb.st_mode & S_IROTH)) {
		snprintf(fix, sizeof fix, "chmod o-r %s (as the systemd unit sets it up: owner root, "
		         "group gilde, mode 640), and make a new network key if others may have read it",
		         path);
		report(d, FAIL, "config", fix, "%s holds [federation] network_key and any user can read "
		       "it (mode %03o)", path, mode);
	}
}

/* A warning of config_warnings(), as a check. */
static void config_warning(void *ctx, const char *text)
{
	report(ctx, WARN, "config", N_("change the option named, then reload gilded (SIGHUP)"),
	       "%s", text);
}

static void check_config(struct doctor *d, const char *path)
{
	if (!path || !*path) {
		report(d, OK, "config", NULL,
		       "no configuration file (the daemon runs on defaults and flags)");
		return;
	}
	struct config cfg;
	config_defaults(&cfg);
	struct gl_error err = { 0 };
	if (config_load(&cfg, path, &err) == 0)
		check_config_mode(d, path, &cfg);
	if (err.msg[0])
		report(d, FAIL, "config", N_("correct the line named, then reload with SIGHUP"), "%s",
		       err.msg);
	else if (!cfg.has_network_key && cfg.peers.n)
		report(d, WARN, "config", N_("set [federation] network_key (gilde network-key makes one)"),
		       "%s: peers are configured but no network_key: no peer will accept us", path);
	else if (!config_warnings(&cfg, config_warning, d))
		report(d, OK, "config", NULL, "%s parses", path);
	config_free(&cfg);
}

static void check_store(struct doctor *d, const struct store_stats *st)
{
	char used[32], map[32];
	cli_human_size(st->used, used, sizeof used);
	cli_human_size(st->map_size, map, sizeof map);
	if (st->n_records != st->n_items || st->n_records != st->n_expiry ||
	    st->n_kinds != st->live_total)
		report(d, FAIL, "store",
		       N_("stop gilded, export what is left (gilde export), and import it into a fresh data "
		       "directory"),
		       "indexes out of step: %llu records, %llu items, %llu expiry, %llu kinds for %llu live",
		       (unsigned long long)st->n_records, (unsigned long long)st->n_items,
		       (unsigned long long)st->n_expiry, (unsigned long long)st->n_kinds,
		       (unsigned long long)st->live_total);
	else if (st->map_size && st->used * 100 >= st->map_size * 95)
		report(d, FAIL, "store", N_("raise [store] map_size and restart gilded"),
		       "the store is full: %llu of %llu MiB used; new records are refused",
		       (unsigned long long)(st->used >> 20), (unsigned long long)(st->map_size >> 20));
	else if (st->map_size && st->used * 10 > st->map_size * 8)
		report(d, WARN, "store", N_("raise [store] map_size and restart gilded"),
		       "%s used of the %s the store may grow to (over 80%%)", used, map);
	else
		report(d, OK, "store", NULL,
		       "%llu live records, %llu retractions; %s used of the %s the store may grow "
		         "to; B-tree depth %u, pages of %llu bytes",
		       (unsigned long long)st->live_total, (unsigned long long)st->tombstones, used, map,
		       st->depth, (unsigned long long)st->page_size);
}

/* Below this much room on the data directory's file system, a write may fail. */
#define DOCTOR_DISK_LOW (16u << 20)

/* The data directory's file system: room for the store to grow. */
static void check_disk(struct doctor *d, const struct store_stats *st)
{
	struct statvfs fs;
	if (statvfs(d->cli->data, &fs) != 0)
		return;
	uint64_t avail = (uint64_t)fs.f_bavail * fs.f_frsize;
	uint64_t room = st->map_size > st->used ? st->map_size - st->used : 0;
	if (avail < DOCTOR_DISK_LOW)
		report(d, FAIL, "disk", N_("free space on that file system, or move the data directory "
		       "to a larger disk"), "no space left on device: %s has %llu KiB free; the store needs "
		       "at least %u MiB to write", d->cli->data, (unsigned long long)(avail >> 10),
		       DOCTOR_DISK_LOW >> 20);
	else if (avail < room)
		report(d, WARN, "disk",
		       N_("free space there, or lower [store] map_size to what the disk holds"),
		       "%s has %llu MiB free, less than the %llu MiB the store may still grow by",
		       d->cli->data, (unsigned long long)(avail >> 20), (unsigned long long)(room >> 20));
	else
		report(d, OK, "disk", NULL, "%llu MiB free on %s", (unsigned long long)(avail >> 20),
		       d->cli->data);
}

/* What an HTTP GET answered: its status code (-1: none, why says why) and
 * the start of its Content-Type. */
struct http_answer {
	int code;
	char type[64];
	char why[256];
};

/* Read the answer's head from fd into a: status line and Content-Type. */
static void http_read_head(int fd, int timeout_ms, struct http_answer *a)
{
	char head[2048];
	size_t got = 0;
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	while (got < sizeof head - 1 && poll(&pf, 1, timeout_ms) == 1) {
		ssize_t r = recv(fd, head + got, sizeof head - 1 - got, 0);
		if (r <= 0)
			break;
		got += (size_t)r;
		head[got] = '\0';
		if (strstr(head, "\r\n\r\n"))
			break;
	}
	head[got] = '\0';
	if (sscanf(head, "HTTP/1.%*d %d", &a->code) != 1) {
		a->code = -1;
		snprintf(a->why, sizeof a->why, _("not an HTTP answer"));
		return;
	}
	for (char *line = strstr(head, "\r\n"); line && line[2] != '\r'; line = strstr(line + 2, "\r\n"))
		if (!strncasecmp(line + 2, "Content-Type:", 13))
			sscanf(line + 15, " %63[^;\r\n ]", a->type);
}

/* GET path from HOST:PORT within timeout_ms, into *a. */
static void http_get(const char *addr, const char *path, int timeout_ms, struct http_answer *a)
{
	char host[256], port[8];
	int p;
	*a = (struct http_answer){ .code = -1 };
	if (config_parse_addr(addr, host, sizeof host, &p)) {
		snprintf(a->why, sizeof a->why, _("\"%s\" is not HOST:PORT"), addr);
		return;
	}
	snprintf(port, sizeof port, "%d", p);
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV }, *ai;
	int gai = getaddrinfo(host, port, &hints, &ai);
	if (gai) {
		snprintf(a->why, sizeof a->why, "%.200s: %s", host, gai_strerror(gai));
		return;
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	char req[512];
	snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, host);
	snprintf(a->why, sizeof a->why, _("no answer within %d ms"), timeout_ms);
	struct pollfd pf = { .fd = fd, .events = POLLOUT };
	int soerr = 0;
	socklen_t sl = sizeof soerr;
	if (fd < 0 || (connect(fd, ai->ai_addr, ai->ai_addrlen) && errno != EINPROGRESS))
		snprintf(a->why, sizeof a->why, _("cannot connect: %s"), strerror(errno));
	else if (poll(&pf, 1, timeout_ms) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) ||
	         soerr)
		snprintf(a->why, sizeof a->why, _("cannot connect: %s"),
		         soerr ? strerror(soerr) : _("timed out"));
	else if (send(fd, req, strlen(req), MSG_NOSIGNAL) == (ssize_t)strlen(req))
		http_read_head(fd, timeout_ms, a);
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
}

/* Where the page should be: [web] root, else where meson installs it. */
static const char *web_root(const struct config *cfg)
{
	return cfg && cfg->web_root ? cfg->web_root : GILDE_DATADIR "/web";
}

/* [web]: the API answers, / serves the page, and nothing has been failing. */
static void check_web(struct doctor *d, json_t *web, const struct config *cfg)
{
	const char *addr = gets(web, "listen");
	struct http_answer a;
	http_get(addr, "/api/v1/taxonomy", 2000, &a);
	if (a.code == 200)
		report(d, OK, "web", NULL, "http://%s/ answers; %lld requests, %lld refused by the "
		                             "rate limit", addr, geti(web, "requests"),
		       geti(web, "rate_limited"));
	else if (a.code == 429)
		report(d, WARN, "web", N_("raise [web] rate and burst, or set rate = 0 behind a proxy"),
		       "http://%s/ answered 429: this address is over its rate limit", addr);
	else if (a.code > 0)
		report(d, FAIL, "web", N_("see gilded's log (lines web-...)"),
		       "http://%s/api/v1/taxonomy answered %d", addr, a.code);
	else
		report(d, FAIL, "web", N_("see gilded's log (lines web-...)"), "http://%s/: %s", addr,
		       a.why);
	if (a.code == 200) {
		http_get(addr, "/", 2000, &a);
		char fix[PATHS_MAX + 256];
		snprintf(fix, sizeof fix, _("set [web] root to the folder that holds the page's "
		                            "index.html (in a source tree: %s; installed: %s), then "
		                            "restart gilded"), GILDE_SOURCE_WEB, GILDE_DATADIR "/web");
		if (a.code == 200 && !strcmp(a.type, "text/html"))
			report(d, OK, "page", NULL, "http://%s/ serves the page from %s", addr,
			       web_root(cfg));
		else
			report(d, FAIL, "page", fix, "http://%s/ answers %d (%s), not the page: no "
			                               "index.html in %s",
			       addr, a.code, *a.type ? a.type : "-", web_root(cfg));
	}
	if (geti(web, "server_errors"))
		report(d, WARN, "web", N_("see gilded's log: lines web-failed say why"),
		       "%lld answers were server errors (5xx)", geti(web, "server_errors"));
}

static void check_peers(struct doctor *d, json_t *pm, uint64_t max_skew_s)
{
	json_t *conns = json_object_get(pm, "connections"), *addrs = json_object_get(pm, "addresses");
	size_t i, open = 0;
	json_t *p;
	json_array_foreach(conns, i, p)
		open += !strcmp(gets(p, "state"), "open");
	json_array_foreach(addrs, i, p) {
		if (strcmp(gets(p, "source"), "configured") != 0)
			continue;
		const char *state = gets(p, "state");
		if (!strcmp(state, "connected") || !strcmp(state, "connected-inbound") ||
		    !strcmp(state, "self"))
			report(d, OK, "peer", NULL, "%s connected", gets(p, "address"));
		else
			report(d, geti(p, "failures") ? FAIL : WARN, "peer",
			       N_("check the address, that the peer runs, that a firewall lets the port "
			       "through, and that both use the same network_key"),
			       "%s not connected (%lld failures%s%s)", gets(p, "address"), geti(p, "failures"),
			       *gets(p, "last_error") ? ": " : "", gets(p, "last_error"));
	}
	if (!open)
		report(d, WARN, "peer", N_("configure a peer ([peers] peer = HOST:PORT)"),
		       "no open connection: this node neither sends nor receives records");
	size_t in_step = 0;
	json_array_foreach(conns, i, p) {
		json_t *off = json_object_get(p, "clock_offset_ms");
		if (!json_is_integer(off))
			continue;
		long long ms = (long long)json_integer_value(off), a = ms < 0 ? -ms : ms;
		enum verdict v = (uint64_t)a / 1000 > max_skew_s ? FAIL : a > 2000 ? WARN : OK;
		in_step += v == OK;
		if (v != OK)
			report(d, v, "clock",
			       N_("run NTP (systemd-timesyncd or chrony) on both machines; records issued "
			         "in the future beyond [limits] max_clock_skew are refused"),
			       "%s (%s) is %+.1f s from this node", gets(p, "name"), gets(p, "address"),
			       (double)ms / 1000.0);
	}
	if (in_step)
		report(d, OK, "clock", NULL, P_("%zu peer's clock is within 2 s of this node's",
		                                "%zu peers' clocks are within 2 s of this node's",
		                                in_step), in_step);
}

/* The store (counted the slow way, against its indexes) and the key file. */
static void check_store_and_key(struct doctor *d)
{
	struct gl_error err = { 0 };
	struct store *s = NULL;
	struct cli_node m;
	bool have_meta = false;
	struct store_stats st;
	if (cli_open_store(d->cli, &s, &err) == 0) {
		struct store_txn *t;
		have_meta = cli_node_meta(s, &m, &err) == 0;
		if (store_begin(s, false, &t, &err) == 0) {
			/* the slow count: the records themselves, against the indexes */
			if (store_stats(t, STORE_COUNT_READ, &st, &err) == 0) {
				check_store(d, &st);
				check_disk(d, &st);
			}
			else
				report(d, FAIL, "store", N_("restore the data directory from a backup"), "%s", err.msg);
			store_abort(t);
		}
		store_close(s);
	} else {
		report(d, FAIL, "store", N_("start gilded once with this --data to create the store"), "%s",
		       err.msg);
	}
	check_key(d, have_meta ? m.pk : NULL);
}

/* The daemon (its status, or derr for why there is none), its peers and web. */
static void check_daemon(struct doctor *d, json_t *status, struct gl_error *derr,
                         uint64_t max_skew, const struct config *cfg)
{
	if (!status) {
		report(d, FAIL, "daemon", N_("start gilded with this --data (or see its log for why it stopped)"),
		       "%s", derr->msg);
		return;
	}
	report(d, OK, "daemon", NULL, "running, pid %lld, up %lld s, listening on %s",
	       geti(status, "pid"), geti(status, "uptime_ms") / 1000, gets(status, "listen"));
	if (*gets(status, "store_error"))
		report(d, FAIL, "store", N_("do what the message says (free disk space, or raise "
		       "[store] map_size and restart gilded)"), "writes fail: %s", gets(status, "store_error"));
	json_t *peers = cli_ask(d->cli, "peers", derr);
	json_t *pm = peers ? json_object_get(peers, "peers") : NULL;
	if (pm)
		check_peers(d, pm, max_skew);
	else
		report(d, FAIL, "peer", NULL, "the daemon did not list its peers: %s", derr->msg);
	json_decref(peers);
	json_t *web = json_object_get(status, "web");
	if (web)
		check_web(d, web, cfg);
}

/* --config FILE, gilde doctor's one option. */
static int doctor_option(void *ctx, int c, const char *arg)
{
	(void)c;
	*(const char **)ctx = arg;
	return 0;
}

int cmd_doctor(struct cli *cli, int argc, char **argv)
{
	static const struct option own[] = { { "config", required_argument, NULL, 'c' },
		                             { NULL, 0, NULL, 0 } };
	const char *config_path = NULL;
	struct cli_opts opts = { .lo = own, .shorts = "c:", .take = doctor_option,
		                 .ctx = &config_path };
	int urc = cli_options(cli, cmd_find("doctor"), argc, argv, &opts);
	if (urc)
		return urc;
	struct gl_error err = { 0 };
	if (cli_resolve_data(cli, &err))
		return cli_fail(&err);
	struct doctor d = { .cli = cli, .checks = json_array() };
	if (!strcmp(cli->lang, "nl") && !i18n_catalogue(NULL))
		report(&d, WARN, "lang", N_("install gilde (meson install), or run the gilde of a "
		                            "build tree"),
		       "no Dutch message catalogue found (gilde.mo): gilde speaks English");
	check_datadir(&d);

	check_store_and_key(&d);

	struct gl_error derr = { 0 };
	json_t *status = cli_ask(cli, "status", &derr);
	if (!config_path && status)
		config_path = gets(status, "config");
	uint64_t max_skew = 600;
	struct config cfg;
	bool have_cfg = false;
	config_defaults(&cfg);
	if (config_path && *config_path) {
		struct gl_error e2;
		if ((have_cfg = config_load(&cfg, config_path, &e2) == 0))
			max_skew = cfg.max_clock_skew;
	}
	check_config(&d, config_path);
	check_daemon(&d, status, &derr, max_skew, have_cfg ? &cfg : NULL);
	config_free(&cfg);
	json_decref(status);
	if (cli->json) {
		json_t *o = json_object();
		json_object_set_new(o, "checks", d.checks);
		json_object_set_new(o, "warnings", json_integer(d.warns));
		json_object_set_new(o, "failures", json_integer(d.fails));
		cli_print_json(o);
		json_decref(o);
	} else {
		json_decref(d.checks);
		printf(P_("%u failure, ", "%u failures, ", d.fails), d.fails);
		printf(P_("%u warning\n", "%u warnings\n", d.warns), d.warns);
	}
	return d.fails ? EXIT_FAIL : EXIT_OK;
}

/*
 * gilded — the gilde node daemon.  See gilded --help and README.md.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto/clock.h"
#include "daemon/ctl.h"
#include "daemon/ctl_ops.h"
#include "daemon/curate.h"
#include "daemon/gossip.h"
#include "gilde_config.h"
#include "proto/ident.h"
#include "daemon/identity.h"
#include "daemon/insightd.h"
#include "daemon/log.h"
#include "daemon/net.h"
#include "daemon/node.h"
#include "daemon/self.h"
#include "daemon/web.h"

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: gilded [options]\n"
	        "\n"
	        "Run a gilde node: keep this organisation's signed records and the\n"
	        "federation's directory in a local store, and answer gilde.\n"
	        "With no options it uses ~/.local/share/gilde, listens on 127.0.0.1:7420\n"
	        "and creates its key on first start.\n"
	        "\n"
	        "options:\n"
	        "  -d, --data DIR         data directory (key, store, control socket)\n"
	        "  -c, --config FILE      read settings from an INI file\n"
	        "  -l, --listen HOST:PORT accept peers here (port 0: any free port)\n"
	        "  -p, --peer HOST:PORT   dial this peer (repeatable)\n"
	        "      --name NAME        name of this node shown to people\n"
	        "      --log-level LEVEL  error, warn, info (default) or debug\n"
	        "  -n, --check-config     check the configuration, print it, and exit\n"
	        "      --rebuild-index    rebuild the search index from the records, then run\n"
	        "  -h, --help             show this help\n"
	        "  -V, --version          show the version\n"
	        "\n"
	        "Flags override the file, which overrides the defaults.\n"
	        "Configuration file options (gilde.conf(5)):\n");
	config_help(out);
	fprintf(out,
	        "\n"
	        "Signals: SIGTERM and SIGINT stop the node cleanly; SIGHUP reads the\n"
	        "configuration again and applies peers, curators, allow list, limits and\n"
	        "log level without dropping connections that still fit.\n"
	        "Exit status: 0 after a clean stop, 1 on a fatal error, 2 on bad usage.\n");
}

enum { OPT_NAME = 256, OPT_LOG_LEVEL, OPT_REBUILD_INDEX };

static const struct option long_opts[] = {
	{ "data", required_argument, NULL, 'd' },
	{ "config", required_argument, NULL, 'c' },
	{ "listen", required_argument, NULL, 'l' },
	{ "peer", required_argument, NULL, 'p' },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "check-config", no_argument, NULL, 'n' },
	{ "rebuild-index", no_argument, NULL, OPT_REBUILD_INDEX },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

struct flag {
	const char *section, *name, *value, *where;
};

/* What this run does besides what the configuration says. */
struct run_flags {
	bool check_only;    /* --check-config */
	bool rebuild_index; /* --rebuild-index */
};

static int parse_args(int argc, char **argv, struct config *cfg, struct run_flags *rf)
{
	struct flag flags[64];
	unsigned nflags = 0;
	const char *config_path = NULL;
	int c;
	opterr = 0;
	optind = 0; /* parse again from the start (SIGHUP reads the flags anew) */
	while ((c = getopt_long(argc, argv, ":d:c:l:p:nhV", long_opts, NULL)) != -1) {
		struct flag f = { NULL, NULL, optarg, NULL };
		switch (c) {
		case 'd': f.section = "node"; f.name = "data"; f.where = "--data"; break;
		case 'l': f.section = "node"; f.name = "listen"; f.where = "--listen"; break;
		case 'p': f.section = "peers"; f.name = "peer"; f.where = "--peer"; break;
		case OPT_NAME: f.section = "node"; f.name = "name"; f.where = "--name"; break;
		case OPT_LOG_LEVEL: f.section = "log"; f.name = "level"; f.where = "--log-level"; break;
		case 'c': config_path = optarg; continue;
		case 'n': rf->check_only = true; continue;
		case OPT_REBUILD_INDEX: rf->rebuild_index = true; continue;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("gilded %s\n", GILDE_VERSION); exit(0);
		case ':':
			fprintf(stderr, "gilded: option %s needs a value (see gilded --help)\n",
			        argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "gilded: unknown option %s (see gilded --help)\n",
			        argv[optind - 1]);
			return 2;
		}
		if (nflags == sizeof flags / sizeof flags[0]) {
			fprintf(stderr, "gilded: too many options\n");
			return 2;
		}
		flags[nflags++] = f;
	}
	if (optind < argc) {
		fprintf(stderr, "gilded: unexpected argument \"%s\" (see gilded --help)\n", argv[optind]);
		return 2;
	}
	struct gl_error err;
	if (config_path && config_load(cfg, config_path, &err)) {
		fprintf(stderr, "gilded: %s\n", err.msg);
		return 1;
	}
	for (unsigned i = 0; i < nflags; i++)
		if (config_set(cfg, flags[i].section, flags[i].name, flags[i].value, flags[i].where,
		               &err)) {
			fprintf(stderr, "gilded: %s\n", err.msg);
			return 2;
		}
	return 0;
}

/*
 * A configuration file others can read while it holds the network key, or
 * change at all: warned about at every start and reload, loudly, with the
 * chmod that fixes it (gilde doctor fails on it too).  Warned, not
 * refused, unlike an open data directory or key file: the network key is
 * a secret every partner's node shares and only lets its holder speak the
 * protocol (SECURITY.md: "a peer in the federation"), while the node's own
 * key signs as the node; refusing would stop a running federation node at
 * its next restart for a file the operator owns, and the systemd unit's
 * root:gilde 0640 is a readable-by-group setup this check must allow.
 */
static void warn_config_mode(const struct config *cfg)
{
	struct stat sb;
	if (!cfg->path || stat(cfg->path, &sb) != 0)
		return;
	if (sb.st_mode & S_IWOTH)
		log_warn("config-open", "file=%s mode=%03o reason=\"any user can change it; fix it with: "
		         "chmod o-w %s\"", cfg->path, (unsigned)(sb.st_mode & 0777), cfg->path);
	if (cfg->has_network_key && (sb.st_mode & S_IROTH))
		log_warn("config-open", "file=%s mode=%03o reason=\"it holds [federation] network_key "
		         "and any user can read it; fix it with: chmod o-r %s (and make a new network "
		         "key if others may have read it)\"", cfg->path, (unsigned)(sb.st_mode & 0777),
		         cfg->path);
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct node *n = s->data;
	node_stop(n, signum == SIGINT ? "SIGINT" : "SIGTERM");
}

/* An option that only a restart can change. */
static void needs_restart(const char *what, bool changed)
{
	if (changed)
		log_warn("reload-needs-restart", "option=%s", what);
}

static bool str_changed(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a && strcmp(a, b));
}

/*
 * SIGHUP: read the configuration file and flags again and apply what can
 * change while running (peers, curators and allow list, limits, intervals,
 * log level).  A configuration that does not parse is ignored, and the
 * running one kept.
 */
static void on_hup(uv_signal_t *s, int signum)
{
	struct node *n = s->data;
	(void)signum;
	struct config next;
	struct run_flags rf = { 0 };
	config_defaults(&next);
	if (parse_args(n->argc, n->argv, &next, &rf) != 0) {
		log_error("reload-failed", "reason=\"the configuration does not parse; the running one "
		          "stays\"");
		config_free(&next);
		return;
	}
	needs_restart("[node] listen", str_changed(next.listen, n->cfg.listen));
	needs_restart("[node] data", str_changed(next.data, n->cfg.data));
	needs_restart("[node] name", str_changed(next.name, n->cfg.name));
	needs_restart("[store] map_size", next.map_size != n->cfg.map_size);
	needs_restart("[federation] network_key",
	              next.has_network_key != n->cfg.has_network_key ||
	              memcmp(next.network_key, n->cfg.network_key, 32));
	needs_restart("[web]", str_changed(next.web_listen, n->cfg.web_listen) ||
	              str_changed(next.web_root, n->cfg.web_root) ||
	              str_changed(next.web_desk, n->cfg.web_desk) ||
	              next.web_connections != n->cfg.web_connections ||
	              next.web_per_ip != n->cfg.web_per_ip || next.web_waiting != n->cfg.web_waiting ||
	              next.web_answer_cache != n->cfg.web_answer_cache ||
	              next.web_rate != n->cfg.web_rate ||
	              next.web_burst != n->cfg.web_burst || next.web_timeout != n->cfg.web_timeout ||
	              next.web_behind_proxy != n->cfg.web_behind_proxy);
	needs_restart("[insight]", next.insight_enabled != n->cfg.insight_enabled ||
	              next.insight_k != n->cfg.insight_k ||
	              next.insight_retention != n->cfg.insight_retention ||
	              next.insight_release != n->cfg.insight_release ||
	              next.insight_rate != n->cfg.insight_rate ||
	              next.insight_burst != n->cfg.insight_burst ||
	              next.insight_publish != n->cfg.insight_publish);
	next.insight_enabled = n->cfg.insight_enabled;
	next.insight_k = n->cfg.insight_k;
	next.insight_retention = n->cfg.insight_retention;
	next.insight_release = n->cfg.insight_release;
	next.insight_rate = n->cfg.insight_rate;
	next.insight_burst = n->cfg.insight_burst;
	next.insight_publish = n->cfg.insight_publish;
	/* those keep their running values; everything else is taken as read */
	free(next.web_listen);
	free(next.web_root);
	free(next.web_desk);
	next.web_desk = n->cfg.web_desk ? gl_xstrdup(n->cfg.web_desk) : NULL;
	next.web_listen = n->cfg.web_listen ? gl_xstrdup(n->cfg.web_listen) : NULL;
	next.web_root = n->cfg.web_root ? gl_xstrdup(n->cfg.web_root) : NULL;
	next.web_connections = n->cfg.web_connections;
	next.web_per_ip = n->cfg.web_per_ip;
	next.web_waiting = n->cfg.web_waiting;
	next.web_answer_cache = n->cfg.web_answer_cache;
	next.web_rate = n->cfg.web_rate;
	next.web_burst = n->cfg.web_burst;
	next.web_timeout = n->cfg.web_timeout;
	next.web_behind_proxy = n->cfg.web_behind_proxy;
	free(next.listen);
	free(next.data);
	free(next.name);
	next.listen = n->cfg.listen ? gl_xstrdup(n->cfg.listen) : NULL;
	next.data = n->cfg.data ? gl_xstrdup(n->cfg.data) : NULL;
	next.name = n->cfg.name ? gl_xstrdup(n->cfg.name) : NULL;
	next.map_size = n->cfg.map_size;
	next.has_network_key = n->cfg.has_network_key;
	memcpy(next.network_key, n->cfg.network_key, 32);
	struct config old = n->cfg;
	n->cfg = next;
	log_set_level((enum log_level)n->cfg.log_level);
	log_set_syslog(n->cfg.log_syslog);
	warn_config_mode(&n->cfg);
	store_set_mapped_max(n->store, n->cfg.mapped_max);
	curate_reload(n);
	net_reload(n);
	config_free(&old);
	log_info("reloaded", "peers=%u curators=%u allow=%u", n->cfg.peers.n, n->cfg.curators.n,
	         n->cfg.allow.n);
}

static void close_walk(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void finish_stop(struct node *n)
{
	uv_signal_stop(&n->sig_int);
	uv_signal_stop(&n->sig_term);
	uv_signal_stop(&n->sig_hup);
	uv_walk(n->loop, close_walk, NULL);
}

static void on_drain(uv_idle_t *idle)
{
	struct node *n = idle->data;
	/* records being verified still go to the writer: wait for both */
	if (!writer_idle(&n->writer) || n->ingest_pending)
		return;
	uv_idle_stop(idle);
	writer_close(&n->writer);
	finish_stop(n);
}

static uv_idle_t *drain_idle(struct node *n)
{
	static uv_idle_t idle; /* lives as long as the process; one stop only */
	idle.data = n;
	return &idle;
}

void node_stop(struct node *n, const char *why)
{
	if (n->stopping)
		return;
	n->stopping = true;
	log_info("stopping", "reason=%s", why);
	ctl_close(n);
	web_stop(n);
	insightd_stop(n);
	net_close(n);
	curate_stop(n);
	/* let queued writes finish: they may hold acknowledged records */
	uv_idle_t *idle = drain_idle(n);
	uv_idle_init(n->loop, idle);
	uv_idle_start(idle, on_drain);
}

/* Scans and writes check the store's share of memory as they go; single
 * lookups (web pages, peers' requests) are covered by this. */
static void on_mem_timer(uv_timer_t *t)
{
	struct node *n = t->data;
	store_map_check(n->store);
}

static void set_threadpool_size(void)
{
	if (getenv("UV_THREADPOOL_SIZE"))
		return;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	char buf[16];
	snprintf(buf, sizeof buf, "%ld", cpus < 2 ? 2 : cpus > 32 ? 32 : cpus);
	setenv("UV_THREADPOOL_SIZE", buf, 0);
}

static int open_node(struct node *n, bool rebuild_index, struct gl_error *err)
{
	int rc;
	if (n->cfg.data)
		snprintf(n->data, sizeof n->data, "%s", n->cfg.data);
	else if ((rc = paths_default_data(n->data, err)))
		return rc;
	if ((rc = datadir_prepare(n->data, err)) || (rc = datadir_lock(n->data, &n->lock_fd, err)))
		return rc;
	bool created;
	n->sk = sodium_malloc(64);
	if (!n->sk)
		return gl_errorf(err, GL_EIO, "cannot allocate protected memory for the key");
	if ((rc = identity_load(n->data, n->sk, &created, err)))
		return rc;
	memcpy(n->pk, n->sk + 32, 32);
	sodium_mprotect_readonly(n->sk);
	ident_format(IDENT_PK_PREFIX, n->pk, n->key_text);
	if (created)
		log_info("key-created", "key=%s", n->key_text);
	if (n->cfg.name)
		snprintf(n->name, sizeof n->name, "%s", n->cfg.name);
	else if (gethostname(n->name, sizeof n->name) != 0)
		snprintf(n->name, sizeof n->name, "gilde");
	n->name[sizeof n->name - 1] = '\0';

	char spath[PATHS_MAX];
	/* the offers' facts are derived with the taxonomy: it comes first */
	if ((rc = schema_set_load(&n->schemas, err)) ||
	    (rc = taxonomy_load(n->schemas, &n->tax, err)))
		return rc;
	match_facts_init(&n->facts, n->tax);
	if ((rc = paths_join(spath, n->data, "store", err)) ||
	    (rc = store_open_with(spath,
	                          &(struct store_options){ .flags = rebuild_index ? STORE_REINDEX : 0,
	                                                   .map_size = n->cfg.map_size,
	                                                   .mapped_max = n->cfg.mapped_max,
	                                                   .derive = &n->facts.derive },
	                          &n->store, err)))
		return rc;
	uint64_t skipped;
	unsigned steps;
	if (store_reindexed(n->store, &skipped, &steps)) {
		log_info("search-rebuilt", "store=%s transactions=%u", spath, steps);
		if (skipped)
			log_warn("search-skipped", "store=%s records=%llu reason=\"held records that "
			         "do not parse are left out of the search index\"", spath,
			         (unsigned long long)skipped);
	}
	struct store_txn *t;
	if ((rc = store_begin(n->store, true, &t, err)))
		return rc;
	curate_init(n);
	if ((rc = store_meta_put(t, "node_pk", n->pk, 32, err)) ||
	    (rc = store_meta_put(t, "node_name", n->name, strlen(n->name), err)) ||
	    (rc = trust_cfg_save(&curate_trust(n)->cfg, t, err))) {
		store_abort(t);
		return rc;
	}
	return store_commit(t, err);
}

static void start_signals(struct node *n)
{
	uv_signal_init(n->loop, &n->sig_int);
	uv_signal_init(n->loop, &n->sig_term);
	n->sig_int.data = n->sig_term.data = n;
	uv_signal_start(&n->sig_int, on_signal, SIGINT);
	uv_signal_start(&n->sig_term, on_signal, SIGTERM);
	uv_signal_init(n->loop, &n->sig_hup);
	n->sig_hup.data = n;
	uv_signal_start(&n->sig_hup, on_hup, SIGHUP);
}

/*
 * Start the parts on the loop, from the bottom up, and wire them: the
 * writer; gossip, on the links net makes (net hands each connection
 * gossip's callbacks); the control socket with its operations; the web
 * server.  Then what the node says about itself, and the sweep.  On
 * failure err says why; finish_loop() closes what started.
 */
static int start_node(struct node *n, struct gl_error *err)
{
	int rc;
	n->started_ms = clock_mono_ms();
	/* first: the v3 sketch watches every commit the writer makes */
	gossip_init(n);
	if (writer_init(&n->writer, n->loop, n->store))
		return gl_errorf(err, GL_EIO, "cannot start the writer thread");
	uv_timer_init(n->loop, &n->mem_timer);
	n->mem_timer.data = n;
	uv_timer_start(&n->mem_timer, on_mem_timer, 1000, 1000);
	if ((rc = net_start(n, &gossip_link, err)) || (rc = ctl_start(n, ctl_ops, err)) ||
	    (rc = insightd_start(n, err)) || (rc = web_start(n, err)))
		return rc;
	start_signals(n);
	self_publish_node_record(n);
	curate_start(n);
	return 0;
}

/* After the loop ran (or the start failed: then close what started and
 * let the loop finish the closing), free the loop and the parts on it. */
static void finish_loop(struct node *n, bool failed)
{
	if (failed) {
		writer_close(&n->writer);
		uv_walk(n->loop, close_walk, NULL);
		uv_run(n->loop, UV_RUN_DEFAULT);
	}
	uv_loop_close(n->loop);
	free(n->loop);
	web_free(n);
	insightd_free(n);
	ctl_free(n);
	net_free(n);
	gossip_free(n);
}

/* config_warnings()'s sentences: for a person (--check-config) or the log. */
static void warn_stderr(void *ctx, const char *text)
{
	(void)ctx;
	fprintf(stderr, "gilded: warning: %s\n", text);
}

static void warn_log(void *ctx, const char *text)
{
	(void)ctx;
	char q[600];
	log_warn("config-warning", "reason=%s", log_q(text, q, sizeof q));
}

int main(int argc, char **argv)
{
	struct node node;
	memset(&node, 0, sizeof node);
	node.lock_fd = -1;
	struct node *n = &node;
	struct run_flags rf = { 0 };
	config_defaults(&n->cfg);
	n->argc = argc;
	n->argv = argv;
	int rc = parse_args(argc, argv, &n->cfg, &rf);
	if (rc) {
		config_free(&n->cfg);
		return rc;
	}
	if (rf.check_only) {
		warn_config_mode(&n->cfg);
		config_dump(&n->cfg, stdout);
		config_warnings(&n->cfg, warn_stderr, NULL);
		config_free(&n->cfg);
		return 0;
	}
	log_set_level((enum log_level)n->cfg.log_level);
	log_set_syslog(n->cfg.log_syslog);
	warn_config_mode(&n->cfg);
	config_warnings(&n->cfg, warn_log, NULL);
	if (sodium_init() < 0) {
		fprintf(stderr, "gilded: libsodium failed to initialise\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	set_threadpool_size();

	struct gl_error err = { 0 };
	if ((rc = open_node(n, rf.rebuild_index, &err))) {
		fprintf(stderr, "gilded: %s\n", err.msg);
		goto out;
	}
	n->loop = gl_xmalloc(sizeof *n->loop);
	uv_loop_init(n->loop);
	if ((rc = start_node(n, &err))) {
		fprintf(stderr, "gilded: %s\n", err.msg);
	} else {
		char qname[200];
		log_info("started", "version=%s key=%s name=%s data=%s listen=%s pid=%ld", GILDE_VERSION,
		         n->key_text, log_q(n->name, qname, sizeof qname), n->data, n->listen_addr,
		         (long)getpid());
		uv_run(n->loop, UV_RUN_DEFAULT);
		log_info("stopped", "published=%llu ingested=%llu",
		         (unsigned long long)n->counters.published,
		         (unsigned long long)n->counters.ingested);
	}
	finish_loop(n, rc != 0);
out:
	curate_free(n);
	store_close(n->store);
	taxonomy_free(n->tax);
	schema_set_free(n->schemas);
	if (n->sk)
		sodium_free(n->sk);
	if (n->lock_fd >= 0)
		close(n->lock_fd);
	config_free(&n->cfg);
	return rc ? 1 : 0;
}

#include "daemon/net.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "proto/alloc.h"
#include "proto/clock.h"
#include "daemon/conn.h"
#include "daemon/ctl_pack.h"
#include "proto/ident.h"
#include "daemon/log.h"
#include "proto/msg.h"

/* Most addresses remembered (configured ones always fit). */
#define ADDRS_MAX 256
#define BANS_MAX 256
#define BAN_MAX_SECONDS 3600

struct ban {
	char ip[64];
	uint64_t until_ms;
	unsigned strikes;
	uint64_t last_ms;
};

struct peer_addr {
	char host[256];
	int port;
	char text[300];
	bool configured;
	bool self;
	bool key_known;
	uint8_t key[32];
	unsigned failures;
	uint64_t next_ms;
	uint64_t last_ok_ms;
	char last_error[128];
	struct conn *conn;
	bool resolving;
	struct peer_addr *next;
};

struct net {
	struct conn_cb link;         /* the layer above's (net_start) */
	struct conn_cb cb;           /* every connection's: the link's with net's part */
	uv_tcp_t listener;
	bool listening;
	uv_timer_t tick;
	bool ticking;
	struct conn *conns;
	struct peer_addr *addrs;
	unsigned naddrs;
	bool closing;
	uint64_t handshake_failures;
	uint64_t refused;
	uint64_t banned_refused;
	struct ban bans[BANS_MAX];
};

struct conn *net_conns(struct node *n)
{
	return n->net ? n->net->conns : NULL;
}

/* The address an outbound connection dialled (NULL: inbound). */
static struct peer_addr *dialled(const struct conn *c)
{
	return c->data;
}

static void link_conn(struct net *net, struct conn *c)
{
	c->prev = NULL;
	c->next = net->conns;
	if (net->conns)
		net->conns->prev = c;
	net->conns = c;
}

static void unlink_conn(struct net *net, struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else if (net->conns == c)
		net->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

static unsigned count_conns(struct net *net, const char *ip, unsigned *outbound_learnt)
{
	unsigned n = 0;
	if (outbound_learnt)
		*outbound_learnt = 0;
	for (struct conn *c = net->conns; c; c = c->next) {
		if (c->state == CONN_CLOSING)
			continue;
		if (!ip || !strcmp(c->ip, ip))
			n++;
		if (outbound_learnt && c->outbound && dialled(c) && !dialled(c)->configured)
			(*outbound_learnt)++;
	}
	return n;
}

static struct conn *open_conn_with(struct net *net, const uint8_t key[32], const struct conn *except)
{
	for (struct conn *c = net->conns; c; c = c->next)
		if (c != except && c->state == CONN_OPEN && !memcmp(c->remote_pk, key, 32))
			return c;
	return NULL;
}

/* ---- addresses and backoff ------------------------------------------------ */

static uint64_t backoff_ms(const struct node *n, unsigned failures)
{
	uint64_t max = n->cfg.backoff_max * 1000, d = 1000;
	for (unsigned i = 1; i < failures && d < max; i++)
		d *= 2;
	if (d > max)
		d = max;
	/* jitter: 75% to 125%, so nodes that lost the same peer do not return in step */
	return d * 3 / 4 + randombytes_uniform((uint32_t)(d / 2 + 1));
}

static struct peer_addr *add_addr(struct node *n, const char *text, bool configured)
{
	struct net *net = n->net;
	for (struct peer_addr *a = net->addrs; a; a = a->next)
		if (!strcmp(a->text, text)) {
			a->configured |= configured;
			return a;
		}
	if (!configured && net->naddrs >= ADDRS_MAX)
		return NULL;
	struct peer_addr *a = gl_xcalloc(1, sizeof *a);
	if (config_parse_addr(text, a->host, sizeof a->host, &a->port) != 0 || a->port == 0) {
		free(a);
		return NULL;
	}
	snprintf(a->text, sizeof a->text, "%s", text);
	a->configured = configured;
	a->next_ms = clock_now_ms();
	a->next = net->addrs;
	net->addrs = a;
	net->naddrs++;
	return a;
}

static bool is_own_endpoint(struct node *n, const char *text)
{
	if (!strcmp(text, n->listen_addr))
		return true;
	for (unsigned i = 0; i < n->endpoints.n; i++)
		if (!strcmp(text, n->endpoints.v[i]))
			return true;
	return false;
}

void net_learn(struct node *n, const uint8_t key[32], const char *endpoint, size_t len)
{
	if (!n->net || n->net->closing || len == 0 || len >= 300 || !memcmp(key, n->pk, 32))
		return;
	char text[300];
	memcpy(text, endpoint, len);
	text[len] = '\0';
	if (is_own_endpoint(n, text))
		return;
	struct peer_addr *a = add_addr(n, text, false);
	if (a && !a->self) {
		memcpy(a->key, key, 32);
		a->key_known = true;
	}
}

/* ---- dialling ------------------------------------------------------------ */

struct dial {
	uv_getaddrinfo_t gai;
	uv_connect_t connect;
	struct node *node;
	struct peer_addr *addr;
	struct conn *c;
};

static void dial_failed(struct node *n, struct peer_addr *a, const char *why)
{
	a->failures++;
	a->next_ms = clock_now_ms() + backoff_ms(n, a->failures);
	snprintf(a->last_error, sizeof a->last_error, "%s", why);
	char q[300];
	log_debug("dial-failed", "addr=%s reason=%s retry_ms=%llu", log_q(a->text, q, 150),
	          log_q(why, q + 150, 150),
	          (unsigned long long)(a->next_ms - clock_now_ms()));
}

static void on_connect(uv_connect_t *req, int status)
{
	struct dial *d = req->data;
	struct conn *c = d->c;
	if (c->state == CONN_CLOSING) {
		/* closed while connecting (timeout or shutdown); on_closed did the rest */
	} else if (status < 0) {
		snprintf(dialled(c)->last_error, sizeof dialled(c)->last_error, "%s",
		         uv_strerror(status));
		conn_close(c, uv_strerror(status));
	} else {
		conn_start(c);
	}
	conn_unref(c);
	free(d);
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct dial *d = req->data;
	struct node *n = d->node;
	struct peer_addr *a = d->addr;
	a->resolving = false;
	if (n->net->closing || status < 0 || !res) {
		if (!n->net->closing)
			dial_failed(n, a, status < 0 ? uv_strerror(status) : "no address");
		uv_freeaddrinfo(res);
		free(d);
		return;
	}
	struct conn *c = conn_new(n, &n->net->cb, true, a);
	a->conn = c;
	link_conn(n->net, c);
	d->c = c;
	d->connect.data = d;
	conn_ref(c);
	int rc = uv_tcp_connect(&d->connect, &c->tcp, res->ai_addr, on_connect);
	uv_freeaddrinfo(res);
	if (rc) {
		conn_unref(c);
		conn_close(c, uv_strerror(rc));
		free(d);
	}
}

static void dial(struct node *n, struct peer_addr *a)
{
	struct dial *d = gl_xcalloc(1, sizeof *d);
	d->node = n;
	d->addr = a;
	d->gai.data = d;
	char port[8];
	snprintf(port, sizeof port, "%d", a->port);
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	a->resolving = true;
	/* the next attempt waits at least this long, whatever happens */
	a->next_ms = clock_now_ms() + backoff_ms(n, a->failures + 1);
	if (uv_getaddrinfo(n->loop, &d->gai, on_resolved, a->host, port, &hints) != 0) {
		a->resolving = false;
		dial_failed(n, a, "cannot resolve");
		free(d);
	}
}

static void on_tick(uv_timer_t *t)
{
	struct node *n = t->data;
	struct net *net = n->net;
	/* without a network key this node is on its own: it dials nobody */
	if (net->closing || !n->cfg.has_network_key)
		return;
	uint64_t now = clock_now_ms();
	unsigned learnt_out;
	unsigned total = count_conns(net, NULL, &learnt_out);
	for (struct peer_addr *a = net->addrs; a; a = a->next) {
		if (total >= n->cfg.max_peers)
			break;
		if (a->self || a->conn || a->resolving || now < a->next_ms)
			continue;
		if (a->key_known && open_conn_with(net, a->key, NULL))
			continue;
		if (!a->configured) {
			if (learnt_out >= n->cfg.dial)
				continue;
			learnt_out++;
		}
		dial(n, a);
		total++;
	}
}

/* ---- bans ------------------------------------------------------------------- */

static struct ban *find_ban(struct net *net, const char *ip, bool create)
{
	struct ban *oldest = &net->bans[0];
	for (size_t i = 0; i < BANS_MAX; i++) {
		if (!strcmp(net->bans[i].ip, ip))
			return &net->bans[i];
		if (net->bans[i].last_ms < oldest->last_ms)
			oldest = &net->bans[i];
	}
	if (!create)
		return NULL;
	memset(oldest, 0, sizeof *oldest);
	snprintf(oldest->ip, sizeof oldest->ip, "%s", ip);
	return oldest;
}

static void on_strike(struct conn *c, const char *why)
{
	struct node *n = c->node;
	if (!n->net || !c->ip[0] || !n->cfg.ban)
		return;
	uint64_t now = clock_now_ms();
	struct ban *b = find_ban(n->net, c->ip, true);
	/* strikes in a row: a clean hour forgives */
	if (b->last_ms && now - b->last_ms > (uint64_t)BAN_MAX_SECONDS * 1000)
		b->strikes = 0;
	b->strikes++;
	uint64_t secs = n->cfg.ban;
	for (unsigned i = 1; i < b->strikes && secs < BAN_MAX_SECONDS; i++)
		secs *= 2;
	if (secs > BAN_MAX_SECONDS)
		secs = BAN_MAX_SECONDS;
	b->until_ms = now + secs * 1000;
	b->last_ms = now;
	char q[600];
	log_info("banned", "ip=%s seconds=%llu strikes=%u reason=%s", c->ip,
	         (unsigned long long)secs, b->strikes, log_q(why, q, sizeof q));
}

static bool banned(struct net *net, const char *ip)
{
	struct ban *b = find_ban(net, ip, false);
	return b && b->until_ms > clock_now_ms();
}

/* ---- accepting ----------------------------------------------------------- */

static void on_connection(uv_stream_t *server, int status)
{
	struct node *n = server->data;
	struct net *net = n->net;
	if (status < 0 || net->closing)
		return;
	struct conn *c = conn_new(n, &net->cb, false, NULL);
	link_conn(net, c);
	if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
		conn_close(c, "accept failed");
		return;
	}
	if (!n->cfg.has_network_key) {
		net->refused++;
		conn_close(c, "no network key: federation is off");
		return;
	}
	conn_start(c);
	if (banned(net, c->ip)) {
		net->banned_refused++;
		conn_close(c, "address banned for misbehaving");
		return;
	}
	unsigned all = count_conns(net, NULL, NULL), same = count_conns(net, c->ip, NULL);
	if (all > n->cfg.max_peers || same > n->cfg.max_per_ip) {
		net->refused++;
		conn_close(c, all > n->cfg.max_peers ? "too many peers" : "too many from this address");
	}
}

/* ---- connection events --------------------------------------------------- */

/* The link is open: keep it (and tell the link) unless it is to ourselves
 * or a second one to the same node. */
static void on_opened(struct conn *c)
{
	struct node *n = c->node;
	struct net *net = n->net;
	struct peer_addr *a = dialled(c);
	if (!memcmp(c->remote_pk, n->pk, 32)) {
		if (a)
			a->self = true;
		conn_close(c, "this is ourselves");
		return;
	}
	if (a) {
		memcpy(a->key, c->remote_pk, 32);
		a->key_known = true;
		a->failures = 0;
		a->last_ok_ms = clock_now_ms();
		a->last_error[0] = '\0';
	}
	struct conn *d = open_conn_with(net, c->remote_pk, c);
	if (d) {
		/* keep the link dialled by the smaller key; both ends choose the same */
		bool we_smaller = memcmp(n->pk, c->remote_pk, 32) < 0;
		struct conn *drop = c;
		if (c->outbound != d->outbound)
			drop = c->outbound == we_smaller ? d : c;
		conn_close(drop, "duplicate link");
		if (drop == c)
			return;
	}
	net->link.opened(c);
}

static void on_handshake_failed(struct conn *c)
{
	c->node->net->handshake_failures++;
	if (dialled(c))
		snprintf(dialled(c)->last_error, sizeof dialled(c)->last_error, "handshake failed");
}

/* The link hears of it first; then net forgets the connection and
 * schedules the next dial of its address. */
static void on_closed(struct conn *c, const char *why)
{
	struct node *n = c->node;
	struct net *net = n->net;
	net->link.closed(c, why);
	unlink_conn(net, c);
	struct peer_addr *a = dialled(c);
	if (!a || a->conn != c)
		return;
	a->conn = NULL;
	if (net->closing || a->self)
		return;
	if (c->hello) {
		/* a link that worked: try again soon */
		a->failures = 0;
		a->next_ms = clock_now_ms() + backoff_ms(n, 1);
	} else {
		dial_failed(n, a, a->last_error[0] ? a->last_error : why);
	}
}

/* ---- start and stop ------------------------------------------------------- */

static bool wildcard(const char *host)
{
	return !strcmp(host, "0.0.0.0") || !strcmp(host, "::") || !strcmp(host, "[::]");
}

int net_start(struct node *n, const struct conn_cb *link, struct gl_error *err)
{
	char host[256];
	int port;
	struct sockaddr_storage ss;
	if (config_parse_addr(n->cfg.listen, host, sizeof host, &port))
		return gl_errorf(err, GL_ECONFIG, "[node] listen: \"%s\" is not HOST:PORT", n->cfg.listen);
	if (uv_ip4_addr(host, port, (struct sockaddr_in *)&ss) != 0 &&
	    uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss) != 0)
		return gl_errorf(err, GL_ECONFIG,
		                 "[node] listen: \"%s\" must be a numeric IPv4 or IPv6 address", host);
	struct net *net = gl_xcalloc(1, sizeof *net);
	n->net = net;
	net->link = *link;
	net->cb = (struct conn_cb){ .opened = on_opened, .message = link->message,
	                            .writable = link->writable, .tick = link->tick,
	                            .handshake_failed = on_handshake_failed, .strike = on_strike,
	                            .closed = on_closed };
	uv_tcp_init(n->loop, &net->listener);
	net->listener.data = n;
	int rc = uv_tcp_bind(&net->listener, (struct sockaddr *)&ss, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&net->listener, 128, on_connection);
	if (rc) {
		uv_close((uv_handle_t *)&net->listener, NULL);
		return gl_errorf(err, GL_EIO, "cannot listen on %s: %s", n->cfg.listen, uv_strerror(rc));
	}
	net->listening = true;
	struct sockaddr_storage bound;
	int len = sizeof bound;
	char ip[64];
	uv_tcp_getsockname(&net->listener, (struct sockaddr *)&bound, &len);
	if (bound.ss_family == AF_INET6) {
		uv_ip6_name((struct sockaddr_in6 *)&bound, ip, sizeof ip);
		snprintf(n->listen_addr, sizeof n->listen_addr, "[%s]:%d", ip,
		         ntohs(((struct sockaddr_in6 *)&bound)->sin6_port));
	} else {
		uv_ip4_name((struct sockaddr_in *)&bound, ip, sizeof ip);
		snprintf(n->listen_addr, sizeof n->listen_addr, "%s:%d", ip,
		         ntohs(((struct sockaddr_in *)&bound)->sin_port));
	}
	/* where others reach us: configured, else the listen address if it is one */
	const struct strlist *pub = &n->cfg.public_endpoints;
	for (unsigned i = 0; i < pub->n; i++) {
		n->endpoints.v = gl_xrealloc(n->endpoints.v, (n->endpoints.n + 1) * sizeof(char *));
		n->endpoints.v[n->endpoints.n++] = gl_xstrdup(pub->v[i]);
	}
	if (!pub->n && !wildcard(host) && bound.ss_family == AF_INET) {
		n->endpoints.v = gl_xmalloc(sizeof(char *));
		n->endpoints.v[n->endpoints.n++] = gl_xstrdup(n->listen_addr);
	}
	if (n->cfg.peers.n && !n->cfg.has_network_key)
		return gl_errorf(err, GL_ECONFIG,
		                 "peers are configured but [federation] network_key is not set; "
		                 "make one with `gilde network-key` and give every node of the "
		                 "federation the same");
	for (unsigned i = 0; i < n->cfg.peers.n; i++)
		add_addr(n, n->cfg.peers.v[i], true);
	if (!n->cfg.has_network_key)
		log_info("federation-off", "reason=\"no [federation] network_key: this node keeps "
		         "to itself; make a key with gilde network-key\"");
	uv_timer_init(n->loop, &net->tick);
	net->tick.data = n;
	net->ticking = true;
	uv_timer_start(&net->tick, on_tick, 0, 250);
	return 0;
}

void net_reload(struct node *n)
{
	struct net *net = n->net;
	if (!net)
		return;
	for (struct peer_addr *a = net->addrs; a; a = a->next) {
		bool still = false;
		for (unsigned i = 0; i < n->cfg.peers.n && !still; i++)
			still = !strcmp(a->text, n->cfg.peers.v[i]);
		a->configured = still;
	}
	for (unsigned i = 0; i < n->cfg.peers.n; i++)
		add_addr(n, n->cfg.peers.v[i], true);
	/* the list is newest first: close from the head while over the limit */
	while (count_conns(net, NULL, NULL) > n->cfg.max_peers && net->conns)
		conn_close(net->conns, "over [peers] max after a reload");
}

void net_close_links(struct node *n, const char *why)
{
	/* each close unlinks its connection (on_closed): the head moves on */
	while (net_conns(n) && net_conns(n)->state != CONN_CLOSING)
		conn_close(net_conns(n), why);
}

void net_close(struct node *n)
{
	struct net *net = n->net;
	if (!net)
		return;
	net->closing = true;
	if (net->listening) {
		uv_close((uv_handle_t *)&net->listener, NULL);
		net->listening = false;
	}
	if (net->ticking) {
		uv_timer_stop(&net->tick);
		uv_close((uv_handle_t *)&net->tick, NULL);
		net->ticking = false;
	}
	while (net->conns)
		conn_close(net->conns, "node stopping");
}

void net_free(struct node *n)
{
	struct net *net = n->net;
	if (!net)
		return;
	for (struct peer_addr *a = net->addrs, *next; a; a = next) {
		next = a->next;
		free(a);
	}
	for (unsigned i = 0; i < n->endpoints.n; i++)
		free(n->endpoints.v[i]);
	free(n->endpoints.v);
	n->endpoints.v = NULL;
	n->endpoints.n = 0;
	free(net);
	n->net = NULL;
}

/* ---- gilde peers ----------------------------------------------------------- */

static void pack_conn(msgpack_packer *pk, const struct conn *c)
{
	static const char *const states[] = { "connecting", "handshake", "open", "closing" };
	const struct conn_stats *s = &c->st;
	msgpack_pack_map(pk, c->st.clock_known ? 24 : 23);
	ctl_pack_str(pk, "key", c->state == CONN_OPEN ? c->remote_key : "");
	ctl_pack_str(pk, "name", c->remote_name);
	ctl_pack_str(pk, "address", c->remote);
	ctl_pack_str(pk, "direction", c->outbound ? "out" : "in");
	ctl_pack_str(pk, "state", states[c->state]);
	ctl_pack_uint(pk, "since_ms", c->opened_ms);
	ctl_pack_uint(pk, "bytes_in", s->bytes_in);
	ctl_pack_uint(pk, "bytes_out", s->bytes_out);
	ctl_pack_uint(pk, "records_in", s->records_in);
	ctl_pack_uint(pk, "records_out", s->records_out);
	ctl_pack_uint(pk, "duplicates_in", s->dups_in);
	ctl_pack_uint(pk, "have_in", s->have_in);
	ctl_pack_uint(pk, "have_out", s->have_out);
	ctl_pack_uint(pk, "want_in", s->want_in);
	ctl_pack_uint(pk, "want_out", s->want_out);
	ctl_pack_uint(pk, "reconciliations", s->recons);
	ctl_pack_uint(pk, "last_recon_ms", s->last_recon_ms);
	ctl_pack_uint(pk, "last_recon_duration_ms", s->last_recon_duration_ms);
	ctl_pack_uint(pk, "last_recon_rounds", s->last_recon_rounds);
	ctl_pack_uint(pk, "last_recon_bytes", s->last_recon_bytes);
	ctl_pack_uint(pk, "spans_out", s->spans_out);
	ctl_pack_uint(pk, "batches_in_flight", c->ingest_inflight);
	ctl_pack_uint(pk, "bytes_in_flight", c->ingest_bytes);
	if (s->clock_known) {
		ctl_pack_int(pk, "clock_offset_ms", s->clock_offset_ms);
	}
}

static void pack_addr(msgpack_packer *pk, struct net *net, const struct peer_addr *a, uint64_t now)
{
	char key[IDENT_TEXT_MAX] = "";
	if (a->key_known)
		ident_format(IDENT_PK_PREFIX, a->key, key);
	const char *state = a->self ? "self"
	                  : a->conn ? "connected"
	                  : a->key_known && open_conn_with(net, a->key, NULL) ? "connected-inbound"
	                  : a->resolving ? "resolving"
	                  : a->next_ms > now ? "waiting" : "idle";
	msgpack_pack_map(pk, 8);
	ctl_pack_str(pk, "address", a->text);
	ctl_pack_str(pk, "key", key);
	ctl_pack_str(pk, "source", a->configured ? "configured" : "learnt");
	ctl_pack_str(pk, "state", state);
	ctl_pack_uint(pk, "failures", a->failures);
	ctl_pack_uint(pk, "next_attempt_ms", a->next_ms > now ? a->next_ms - now : 0);
	ctl_pack_uint(pk, "last_ok_ms", a->last_ok_ms);
	ctl_pack_str(pk, "last_error", a->last_error);
}

void net_pack_peers(struct node *n, msgpack_packer *pk)
{
	struct net *net = n->net;
	unsigned nc = 0, na = 0;
	for (struct conn *c = net->conns; c; c = c->next)
		nc++;
	for (struct peer_addr *a = net->addrs; a; a = a->next)
		na++;
	uint64_t now = clock_now_ms();
	unsigned nb = 0;
	for (size_t i = 0; i < BANS_MAX; i++)
		nb += net->bans[i].until_ms > now;
	msgpack_pack_map(pk, 6);
	msg_pack_str(pk, "banned");
	msgpack_pack_array(pk, nb);
	for (size_t i = 0; i < BANS_MAX; i++) {
		const struct ban *b = &net->bans[i];
		if (b->until_ms <= now)
			continue;
		msgpack_pack_map(pk, 3);
		ctl_pack_str(pk, "ip", b->ip);
		ctl_pack_uint(pk, "strikes", b->strikes);
		ctl_pack_uint(pk, "seconds_left", (b->until_ms - now + 999) / 1000);
	}
	ctl_pack_uint(pk, "banned_refused", net->banned_refused);
	msg_pack_str(pk, "connections");
	msgpack_pack_array(pk, nc);
	for (struct conn *c = net->conns; c; c = c->next)
		pack_conn(pk, c);
	msg_pack_str(pk, "addresses");
	msgpack_pack_array(pk, na);
	for (struct peer_addr *a = net->addrs; a; a = a->next)
		pack_addr(pk, net, a, now);
	ctl_pack_uint(pk, "handshake_failures", net->handshake_failures);
	ctl_pack_uint(pk, "refused", net->refused);
}

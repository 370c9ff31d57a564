#include "daemon/net.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "proto/alloc.h"
#include "proto/clock.h"
#include "daemon/addrs.h"
#include "daemon/bans.h"
#include "daemon/conn.h"
#include "daemon/ctl_pack.h"
#include "proto/ident.h"
#include "daemon/log.h"
#include "proto/msg.h"

/*
 * Handshakes in progress are kept apart from links (issue 24): strangers
 * that connect and send nothing held every slot of [peers] max, since
 * handshakes counted toward it.  Now [peers] max counts open links only;
 * inbound handshakes have a pool of their own, NET_HANDSHAKES_MAX, of
 * which one address group (conn.h) holds at most NET_HANDSHAKES_PER_GROUP.
 * When the pool is full, a new connection takes the place of the oldest
 * handshake that has not sent its first message after NET_HANDSHAKE_EVICT_MS
 * (an honest one sends it at once), which earns a strike, or is refused.
 */
#define NET_HANDSHAKES_MAX 16
#define NET_HANDSHAKES_PER_GROUP 2
#define NET_HANDSHAKE_EVICT_MS 1000
/* A connection from a banned group may show its key (bans.h), within this. */
#define NET_PROBATION_MS 2000

struct net {
	struct conn_cb link;         /* the layer above's (net_start) */
	struct conn_cb cb;           /* every connection's: the link's with net's part */
	uv_tcp_t listener;
	bool listening;
	uv_timer_t tick;
	bool ticking;
	struct conn *conns;
	struct addrs addrs;
	bool closing;
	uint64_t handshake_failures;
	uint64_t refused;
	uint64_t banned_refused;
	uint64_t evicted;            /* handshakes that gave their place to a newer one */
	struct bans bans;
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

/* What the connections hold now. */
struct census {
	unsigned links;        /* open, and outbound ones on their way */
	unsigned learnt_out;   /* outbound to learnt addresses */
	unsigned handshakes;   /* inbound, in their handshake */
	unsigned group_all;    /* inbound from the group asked about */
	unsigned group_hs;     /* ... of them in their handshake */
	unsigned group_probation;
};

static struct census census(struct net *net, const char *group)
{
	struct census k = { 0 };
	for (struct conn *c = net->conns; c; c = c->next) {
		if (c->state == CONN_CLOSING)
			continue;
		bool hs = !c->outbound && c->state == CONN_HANDSHAKE;
		k.links += !hs && (c->outbound || c->state == CONN_OPEN);
		k.learnt_out += c->outbound && dialled(c) && !dialled(c)->configured;
		k.handshakes += hs;
		if (c->outbound || !group || strcmp(c->group, group))
			continue;
		k.group_all++;
		k.group_hs += hs;
		k.group_probation += hs && c->probation;
	}
	return k;
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

static bool is_own_endpoint(struct node *n, const char *text)
{
	if (!strcmp(text, n->listen_addr))
		return true;
	for (unsigned i = 0; i < n->endpoints.n; i++)
		if (!strcmp(text, n->endpoints.v[i]))
			return true;
	return false;
}

void net_learn(struct node *n, const uint8_t key[32], const char *endpoint, size_t len,
               bool from_record)
{
	if (!n->net || n->net->closing || len == 0 || len >= ADDRS_TEXT_MAX ||
	    !memcmp(key, n->pk, 32))
		return;
	char text[ADDRS_TEXT_MAX];
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)endpoint[i] <= ' ' || (unsigned char)endpoint[i] == 0x7f)
			return; /* no host name or address holds these */
	memcpy(text, endpoint, len);
	text[len] = '\0';
	if (is_own_endpoint(n, text))
		return;
	addrs_learn(&n->net->addrs, key, text, from_record ? ADDR_RECORD : ADDR_HELLO,
	            clock_mono_ms());
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
	a->next_ms = clock_mono_ms() + backoff_ms(n, a->failures);
	snprintf(a->last_error, sizeof a->last_error, "%s", why);
	char q[300];
	log_debug("dial-failed", "addr=%s reason=%s retry_ms=%llu", log_q(a->text, q, 150),
	          log_q(why, q + 150, 150),
	          (unsigned long long)(a->next_ms - clock_mono_ms()));
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
	a->next_ms = clock_mono_ms() + backoff_ms(n, a->failures + 1);
	if (uv_getaddrinfo(n->loop, &d->gai, on_resolved, a->host, port, &hints) != 0) {
		a->resolving = false;
		dial_failed(n, a, "cannot resolve");
		free(d);
	}
}

/* Dial the addresses of one source that are due: configured ones always
 * (however many strangers hold inbound slots), learnt ones while there is
 * room for links and fewer than [peers] dial of them. */
static void dial_due(struct node *n, enum addr_source source, uint64_t now, struct census *k)
{
	struct net *net = n->net;
	for (struct peer_addr *a = net->addrs.head; a; a = a->next) {
		if (a->configured != (source == ADDR_CONFIGURED) ||
		    (!a->configured && a->learnt != source))
			continue;
		if (a->self || a->conn || a->resolving || now < a->next_ms)
			continue;
		if (a->key_known && open_conn_with(net, a->key, NULL))
			continue;
		if (!a->configured) {
			if (k->links >= n->cfg.max_peers || k->learnt_out >= n->cfg.dial)
				return;
			k->learnt_out++;
		}
		dial(n, a);
		k->links++;
	}
}

/* Keys whose link has stayed open long enough, with no strike, are good
 * (bans.h): they may come back from a banned group. */
static void note_good(struct net *net, uint64_t now)
{
	for (struct conn *c = net->conns; c; c = c->next)
		if (c->state == CONN_OPEN && c->hello && now - c->opened_ms >= BANS_GOOD_MS)
			bans_set_good(&net->bans, c->remote_pk, now);
}

static void on_tick(uv_timer_t *t)
{
	struct node *n = t->data;
	struct net *net = n->net;
	/* without a network key this node is on its own: it dials nobody */
	if (net->closing || !n->cfg.has_network_key)
		return;
	uint64_t now = clock_mono_ms();
	note_good(net, now);
	struct census k = census(net, NULL);
	/* configured first, then what signed node records say, then HELLOs */
	dial_due(n, ADDR_CONFIGURED, now, &k);
	dial_due(n, ADDR_RECORD, now, &k);
	dial_due(n, ADDR_HELLO, now, &k);
}

/* ---- strikes ---------------------------------------------------------------- */

static void on_strike(struct conn *c, const char *why)
{
	struct node *n = c->node;
	if (!n->net || !c->group[0])
		return;
	uint64_t secs;
	unsigned strikes;
	const uint8_t *key = c->state == CONN_OPEN ? c->remote_pk : NULL;
	bans_strike(&n->net->bans, c->group, key, n->cfg.ban, clock_mono_ms(), &secs, &strikes);
	if (!secs)
		return;
	char q[600];
	log_info("banned", "ip=%s key=%s seconds=%llu strikes=%u reason=%s", c->group,
	         key ? c->remote_key : "-", (unsigned long long)secs, strikes,
	         log_q(why, q, sizeof q));
}

/* ---- accepting ----------------------------------------------------------- */

/* The oldest inbound handshake that sent nothing for NET_HANDSHAKE_EVICT_MS. */
static struct conn *evictable(struct net *net, uint64_t now)
{
	struct conn *best = NULL;
	for (struct conn *c = net->conns; c; c = c->next)
		if (!c->outbound && c->state == CONN_HANDSHAKE && !c->hs_first &&
		    now - c->opened_ms >= NET_HANDSHAKE_EVICT_MS &&
		    (!best || c->opened_ms < best->opened_ms))
			best = c;
	return best;
}

/* Why c (accepted, its group known) may not go on to its handshake, or NULL. */
static const char *admit(struct node *n, struct conn *c)
{
	struct net *net = n->net;
	uint64_t now = clock_mono_ms();
	struct census k = census(net, c->group);
	/* c itself is counted: it is in its handshake */
	if (bans_group_banned(&net->bans, c->group, now)) {
		if (k.group_probation >= 1)
			return "address banned for misbehaving";
		c->probation = true;
		c->hs_limit_ms = NET_PROBATION_MS;
	}
	if (k.group_all > n->cfg.max_per_ip)
		return "too many from this address";
	if (k.group_hs > NET_HANDSHAKES_PER_GROUP)
		return "too many handshakes from this address";
	if (k.handshakes > NET_HANDSHAKES_MAX) {
		struct conn *old = evictable(net, now);
		if (!old)
			return "too many handshakes in progress";
		/* it held a slot and said nothing: a strike, as a timeout earns */
		net->evicted++;
		on_strike(old, "held a handshake slot without a word");
		conn_close(old, "gave its place to a newer connection: it sent nothing");
	}
	return NULL;
}

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
	const char *why = admit(n, c);
	if (why) {
		if (!strcmp(why, "address banned for misbehaving"))
			net->banned_refused++;
		else
			net->refused++;
		conn_close(c, why);
	}
}

/* ---- connection events --------------------------------------------------- */

/* Whether key is that of a peer this node is configured to dial (a
 * handshake there showed it). */
static bool configured_key(struct net *net, const uint8_t key[32])
{
	for (struct peer_addr *a = net->addrs.head; a; a = a->next)
		if (a->configured && a->key_known && !memcmp(a->key, key, 32))
			return true;
	return false;
}

/* Why the inbound link c, open now, may not stay, or NULL: its key is
 * banned; it came from a banned group and its key is not known for good;
 * [peers] max links are open already. */
static const char *refuse_open(struct node *n, struct conn *c)
{
	struct net *net = n->net;
	uint64_t now = clock_mono_ms();
	bool known = bans_is_good(&net->bans, c->remote_pk) || configured_key(net, c->remote_pk);
	if (bans_key_banned(&net->bans, c->remote_pk, now))
		return "key banned for misbehaving";
	if (c->probation && !known)
		return "address banned for misbehaving";
	unsigned open = 0;
	for (struct conn *d = net->conns; d; d = d->next)
		open += d != c && d->state == CONN_OPEN;
	if (open >= n->cfg.max_peers && !configured_key(net, c->remote_pk))
		return "too many peers";
	return NULL;
}

/* The link is open: keep it (and tell the link) unless it is to ourselves,
 * a second one to the same node, or refused (refuse_open). */
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
	const char *why = c->outbound ? NULL : refuse_open(n, c);
	if (why) {
		if (strstr(why, "banned"))
			net->banned_refused++;
		else
			net->refused++;
		conn_close(c, why);
		return;
	}
	if (c->probation)
		log_info("peer-admitted", "peer=%s ip=%s reason=\"its address is banned, its key is "
		         "known for good\"", c->remote_key, c->group);
	if (a) {
		memcpy(a->key, c->remote_pk, 32);
		a->key_known = true;
		a->failures = 0;
		/* shown by gilde peers: the wall clock (usefulness() compares these
		 * among themselves only, never with learnt_ms) */
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
		a->next_ms = clock_mono_ms() + backoff_ms(n, 1);
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
		addrs_configure(&net->addrs, n->cfg.peers.v[i], clock_mono_ms());
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
	addrs_reconfigure(&net->addrs, n->cfg.peers.v, n->cfg.peers.n);
	for (unsigned i = 0; i < n->cfg.peers.n; i++)
		addrs_configure(&net->addrs, n->cfg.peers.v[i], clock_mono_ms());
	/* the list is newest first: close from the head while over the limit */
	struct conn *c = net->conns;
	while (c && census(net, NULL).links > n->cfg.max_peers) {
		struct conn *next = c->next;
		if (c->state == CONN_OPEN)
			conn_close(c, "over [peers] max after a reload");
		c = next;
	}
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
	addrs_free(&net->addrs);
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
	msgpack_pack_map(pk, c->st.clock_known ? 36 : 35);
	ctl_pack_str(pk, "key", c->state == CONN_OPEN ? c->remote_key : "");
	ctl_pack_str(pk, "name", c->remote_name);
	ctl_pack_str(pk, "address", c->remote);
	ctl_pack_str(pk, "group", c->group);
	ctl_pack_str(pk, "direction", c->outbound ? "out" : "in");
	ctl_pack_str(pk, "state", states[c->state]);
	/* opened_ms is monotonic; gilde peers shows a Unix instant */
	ctl_pack_uint(pk, "since_ms", clock_now_ms() - (clock_mono_ms() - c->opened_ms));
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
	/* reconciliation v2 (PROTOCOL.md 6.7): the version agreed in HELLO
	 * (0 before it), the last one's, and how often v2 fell back to v1 */
	ctl_pack_uint(pk, "recon_version", c->recon_version);
	ctl_pack_uint(pk, "last_recon_version", s->last_recon_version);
	ctl_pack_uint(pk, "reconciliations_coded", s->recons_v2);
	ctl_pack_uint(pk, "coded_fallbacks", s->v2_fallbacks);
	ctl_pack_uint(pk, "recons_abandoned", s->recons_abandoned);
	ctl_pack_uint(pk, "sent_in", s->sent_in);
	ctl_pack_uint(pk, "sent_out", s->sent_out);
	ctl_pack_uint(pk, "batches_in_flight", c->ingest_inflight);
	ctl_pack_uint(pk, "bytes_in_flight", c->ingest_bytes);
	/* what its budgets held back (issue 24) */
	ctl_pack_uint(pk, "scanned", s->scanned);
	ctl_pack_uint(pk, "throttled", s->throttled);
	ctl_pack_uint(pk, "have_dropped", s->have_dropped);
	ctl_pack_uint(pk, "unknown_in", s->unknown_in);
	if (s->clock_known) {
		ctl_pack_int(pk, "clock_offset_ms", s->clock_offset_ms);
	}
}

static void pack_addr(msgpack_packer *pk, struct net *net, const struct peer_addr *a, uint64_t now)
{
	static const char *const sources[] = { "hello", "record", "configured" };
	char key[IDENT_TEXT_MAX] = "";
	if (a->key_known)
		ident_format(IDENT_PK_PREFIX, a->key, key);
	const char *state = a->self ? "self"
	                  : a->conn ? "connected"
	                  : a->key_known && open_conn_with(net, a->key, NULL) ? "connected-inbound"
	                  : a->resolving ? "resolving"
	                  : a->next_ms > now ? "waiting" : "idle";
	msgpack_pack_map(pk, 9);
	ctl_pack_str(pk, "address", a->text);
	ctl_pack_str(pk, "key", key);
	ctl_pack_str(pk, "source", a->configured ? "configured" : "learnt");
	/* where a learnt one came from: a signed node record, or a HELLO */
	ctl_pack_str(pk, "learnt_from", sources[a->learnt]);
	ctl_pack_str(pk, "state", state);
	ctl_pack_uint(pk, "failures", a->failures);
	ctl_pack_uint(pk, "next_attempt_ms", a->next_ms > now ? a->next_ms - now : 0);
	ctl_pack_uint(pk, "last_ok_ms", a->last_ok_ms);
	ctl_pack_str(pk, "last_error", a->last_error);
}

void net_pack_peers(struct node *n, msgpack_packer *pk)
{
	struct net *net = n->net;
	unsigned nc = 0;
	for (struct conn *c = net->conns; c; c = c->next)
		nc++;
	uint64_t now = clock_mono_ms();
	msgpack_pack_map(pk, 7);
	msg_pack_str(pk, "banned");
	bans_pack(&net->bans, pk, now);
	ctl_pack_uint(pk, "banned_refused", net->banned_refused);
	msg_pack_str(pk, "connections");
	msgpack_pack_array(pk, nc);
	for (struct conn *c = net->conns; c; c = c->next)
		pack_conn(pk, c);
	msg_pack_str(pk, "addresses");
	msgpack_pack_array(pk, addrs_count(&net->addrs));
	for (struct peer_addr *a = net->addrs.head; a; a = a->next)
		pack_addr(pk, net, a, now);
	ctl_pack_uint(pk, "handshake_failures", net->handshake_failures);
	ctl_pack_uint(pk, "refused", net->refused);
	ctl_pack_uint(pk, "evicted", net->evicted);
}

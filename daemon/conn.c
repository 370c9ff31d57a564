#include "daemon/conn.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "proto/alloc.h"
#include "proto/clock.h"
#include "proto/ident.h"
#include "daemon/log.h"

struct conn_write {
	uv_write_t req;
	struct conn *c;
	struct gl_buf buf;
};

static void process(struct conn *c);
static void set_paused(struct conn *c, bool *reason, bool on);

void conn_ref(struct conn *c)
{
	c->refs++;
}

void conn_unref(struct conn *c)
{
	if (--c->refs)
		return;
	hs_wipe(&c->hs);
	frame_tx_wipe(&c->tx);
	frame_rx_wipe(&c->rx);
	gl_buf_free(&c->in);
	gl_buf_free(&c->plain);
	free(c->give.v);
	for (unsigned i = 0; i < c->nspans; i++)
		recon_span_free(&c->spans[i]);
	itemcache_free(&c->known);
	itemcache_free(&c->announced);
	free(c);
}

static void on_handle_closed(uv_handle_t *h)
{
	conn_unref(h->data);
}

static void on_timer(uv_timer_t *t);

struct conn *conn_new(struct node *n, const struct conn_cb *cb, bool outbound, void *data)
{
	struct conn *c = gl_xcalloc(1, sizeof *c);
	c->node = n;
	c->cb = cb;
	c->outbound = outbound;
	c->data = data;
	c->state = CONN_CONNECTING;
	c->opened_ms = c->last_rx_ms = c->last_tx_ms = clock_mono_ms();
	uv_tcp_init(n->loop, &c->tcp);
	uv_timer_init(n->loop, &c->timer);
	c->tcp.data = c->timer.data = c;
	c->refs = 2; /* the two handles */
	c->tokens_bytes = (int64_t)n->cfg.peer_bytes;
	c->tokens_records = (int64_t)n->cfg.peer_records;
	itemcache_init(&c->known, 4096);
	itemcache_init(&c->announced, 4096);
	/* the timer bounds the connect and the handshake from the start */
	uv_timer_start(&c->timer, on_timer, 1000, 1000);
	return c;
}

static void write_done(uv_write_t *req, int status)
{
	struct conn_write *w = req->data;
	struct conn *c = w->c;
	c->wq_bytes -= w->buf.len;
	gl_buf_free(&w->buf);
	free(w);
	if (status < 0) {
		conn_close(c, "write failed");
	} else if (c->state == CONN_OPEN) {
		c->cb->writable(c);
	}
	conn_unref(c);
}

/* Queue raw bytes; takes ownership of buf's data. */
static int write_raw(struct conn *c, struct gl_buf *buf)
{
	if (c->state == CONN_CLOSING) {
		gl_buf_free(buf);
		return -1;
	}
	if (c->wq_bytes + buf->len > CONN_WRITE_MAX) {
		gl_buf_free(buf);
		conn_close(c, "the peer does not read what is sent to it");
		return -1;
	}
	struct conn_write *w = gl_xcalloc(1, sizeof *w);
	w->c = c;
	w->buf = *buf;
	memset(buf, 0, sizeof *buf);
	w->req.data = w;
	uv_buf_t b = uv_buf_init((char *)w->buf.data, (unsigned)w->buf.len);
	c->wq_bytes += w->buf.len;
	c->st.bytes_out += w->buf.len;
	c->last_tx_ms = clock_mono_ms();
	conn_ref(c);
	int rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, write_done);
	if (rc) {
		c->wq_bytes -= w->buf.len;
		gl_buf_free(&w->buf);
		free(w);
		conn_unref(c);
		conn_close(c, "write failed");
		return -1;
	}
	return 0;
}

int conn_send(struct conn *c, const struct gl_buf *msg)
{
	if (c->state != CONN_OPEN)
		return -1;
	struct gl_buf out = { 0 };
	if (frame_seal(&c->tx, msg->data, msg->len, &out) != 0) {
		gl_buf_free(&out);
		log_error("frame-too-large", "peer=%s bytes=%zu", c->remote_key, msg->len);
		return -1;
	}
	return write_raw(c, &out);
}

void conn_close(struct conn *c, const char *why)
{
	if (c->state == CONN_CLOSING)
		return;
	bool was_open = c->state == CONN_OPEN;
	if (was_open) {
		/* best effort: a peer that does not read gets no BYE */
		struct gl_buf m = { 0 }, f = { 0 };
		wire_bye(&m, 0, why);
		if (frame_seal(&c->tx, m.data, m.len, &f) == 0) {
			uv_buf_t b = uv_buf_init((char *)f.data, (unsigned)f.len);
			uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
		}
		gl_buf_free(&m);
		gl_buf_free(&f);
	}
	c->state = CONN_CLOSING;
	char q[600];
	log_msg(was_open ? LOG_INFO : LOG_DEBUG, "peer-closed", "peer=%s addr=%s reason=%s",
	        was_open ? c->remote_key : "-", c->remote, log_q(why, q, sizeof q));
	c->cb->closed(c, why);
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->timer, on_handle_closed);
	uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct conn *c = h->data;
	(void)suggested;
	gl_buf_reserve(&c->in, 65536);
	buf->base = (char *)c->in.data + c->in.len;
	buf->len = c->in.cap - c->in.len;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c = s->data;
	(void)buf;
	if (nread < 0) {
		conn_close(c, nread == UV_EOF ? "closed by peer" : uv_strerror((int)nread));
		return;
	}
	c->in.len += (size_t)nread;
	c->st.bytes_in += (size_t)nread;
	c->last_rx_ms = clock_mono_ms();
	c->tokens_bytes -= nread;
	process(c);
	if (c->tokens_bytes < 0 && c->state != CONN_CLOSING)
		set_paused(c, &c->pause_budget, true);
}

static void open_link(struct conn *c, const struct hs_result *res)
{
	memcpy(c->remote_pk, res->remote_pk, 32);
	memcpy(c->recon_key, res->recon, 32);
	ident_format(IDENT_PK_PREFIX, c->remote_pk, c->remote_key);
	struct gl_buf hdr = { 0 };
	frame_tx_init(&c->tx, res->tx, &hdr);
	frame_rx_init(&c->rx, res->rx);
	c->state = CONN_OPEN;
	write_raw(c, &hdr);
	c->cb->opened(c);
}

static void handshake_step(struct conn *c)
{
	while (c->state == CONN_HANDSHAKE && hs_want(&c->hs) && c->in.len >= hs_want(&c->hs)) {
		size_t want = hs_want(&c->hs), outlen = 0;
		uint8_t out[HS_MAX_MSG];
		bool done = false;
		struct hs_result res;
		struct gl_error err = { 0 };
		if (hs_feed(&c->hs, c->in.data, want, out, &outlen, &done, &res, &err) != 0) {
			/* nothing more is sent to a node that failed the handshake */
			char q[600];
			log_info("handshake-failed", "addr=%s reason=%s", c->remote,
			         log_q(err.msg, q, sizeof q));
			c->cb->handshake_failed(c);
			if (!c->outbound)
				c->cb->strike(c, err.msg);
			conn_close(c, err.msg);
			return;
		}
		gl_buf_consume(&c->in, want);
		c->hs_first = true;
		if (outlen) {
			struct gl_buf b = { 0 };
			gl_buf_append(&b, out, outlen);
			write_raw(c, &b);
		}
		if (done) {
			open_link(c, &res);
			sodium_memzero(&res, sizeof res);
		}
	}
}

static void frames_step(struct conn *c)
{
	while (c->state == CONN_OPEN && !c->paused) {
		size_t used = 0;
		struct gl_error err = { 0 };
		int rc = frame_open(&c->rx, c->in.data, c->in.len, &used, &c->plain, &err);
		if (rc < 0) {
			conn_misbehaved(c, err.msg[0] ? err.msg : "bad frame");
			return;
		}
		if (used == 0) {
			if (c->in.len && !c->partial_since_ms)
				c->partial_since_ms = clock_mono_ms();
			return;
		}
		c->partial_since_ms = 0;
		gl_buf_consume(&c->in, used);
		if (rc == 0)
			continue; /* the stream header */
		struct wire_msg m;
		if (wire_parse(c->plain.data, c->plain.len, &m, &err) != 0) {
			conn_misbehaved(c, err.msg);
			return;
		}
		c->cb->message(c, &m);
		wire_msg_free(&m);
	}
}

static void process(struct conn *c)
{
	conn_ref(c);
	handshake_step(c);
	frames_step(c);
	/* a whole frame never needs more than this; anything beyond is abuse */
	if (c->state != CONN_CLOSING && c->in.len > FRAME_MAX + 4 + FRAME_ABYTES + 65536 && !c->paused)
		conn_close(c, "oversized input");
	conn_unref(c);
}

/* Reading stops while any reason holds and restarts when none does. */
static void set_paused(struct conn *c, bool *reason, bool on)
{
	*reason = on;
	bool want = c->pause_ingest || c->pause_budget || c->pause_work;
	if (c->state == CONN_CLOSING || want == c->paused)
		return;
	c->paused = want;
	if (want) {
		c->st.throttled += reason == &c->pause_budget;
		uv_read_stop((uv_stream_t *)&c->tcp);
		return;
	}
	c->partial_since_ms = c->in.len ? clock_mono_ms() : 0; /* our pause, not its slowness */
	uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
	process(c);
}

void conn_pause(struct conn *c)
{
	set_paused(c, &c->pause_ingest, true);
}

void conn_resume(struct conn *c)
{
	set_paused(c, &c->pause_ingest, false);
}

void conn_pause_work(struct conn *c)
{
	set_paused(c, &c->pause_work, true);
}

void conn_resume_work(struct conn *c)
{
	set_paused(c, &c->pause_work, false);
}

void conn_charge_records(struct conn *c, size_t n)
{
	c->tokens_records -= (int64_t)n;
	if (c->tokens_records < 0)
		set_paused(c, &c->pause_budget, true);
}

void conn_misbehaved(struct conn *c, const char *why)
{
	char q[600];
	log_info("peer-misbehaved", "peer=%s addr=%s reason=%s",
	         c->state == CONN_OPEN ? c->remote_key : "-", c->remote, log_q(why, q, sizeof q));
	c->cb->strike(c, why);
	conn_close(c, why);
}

/* Every second: refill the budgets (up to two seconds' worth). */
static void refill(struct conn *c)
{
	const struct config *cfg = &c->node->cfg;
	int64_t rb = (int64_t)cfg->peer_bytes, rr = (int64_t)cfg->peer_records;
	c->tokens_bytes = c->tokens_bytes + rb > 2 * rb ? 2 * rb : c->tokens_bytes + rb;
	c->tokens_records = c->tokens_records + rr > 2 * rr ? 2 * rr : c->tokens_records + rr;
	if (c->pause_budget && c->tokens_bytes >= 0 && c->tokens_records >= 0)
		set_paused(c, &c->pause_budget, false);
}

/* c->group from c->ip: the IPv4 address (also when mapped into IPv6), or
 * the IPv6 /64. */
static void set_group(struct conn *c)
{
	static const uint8_t v4_mapped[12] = { [10] = 0xff, [11] = 0xff };
	uint8_t a[16];
	snprintf(c->group, sizeof c->group, "%s", c->ip);
	if (!strchr(c->ip, ':') || inet_pton(AF_INET6, c->ip, a) != 1)
		return;
	char text[INET6_ADDRSTRLEN];
	if (!memcmp(a, v4_mapped, 12)) {
		if (inet_ntop(AF_INET, a + 12, text, sizeof text))
			snprintf(c->group, sizeof c->group, "%s", text);
		return;
	}
	memset(a + 8, 0, 8);
	if (inet_ntop(AF_INET6, a, text, sizeof text))
		snprintf(c->group, sizeof c->group, "%s/64", text);
}

void conn_start(struct conn *c)
{
	struct node *n = c->node;
	struct sockaddr_storage ss;
	int len = sizeof ss;
	c->remote[0] = c->ip[0] = '\0';
	if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0) {
		int port;
		if (ss.ss_family == AF_INET6) {
			uv_ip6_name((struct sockaddr_in6 *)&ss, c->ip, sizeof c->ip);
			port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
			snprintf(c->remote, sizeof c->remote, "[%s]:%d", c->ip, port);
		} else {
			uv_ip4_name((struct sockaddr_in *)&ss, c->ip, sizeof c->ip);
			port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
			snprintf(c->remote, sizeof c->remote, "%s:%d", c->ip, port);
		}
	}
	set_group(c);
	uv_tcp_nodelay(&c->tcp, 1);
	c->state = CONN_HANDSHAKE;
	c->opened_ms = c->last_rx_ms = clock_mono_ms();
	hs_init(&c->hs, c->outbound, n->cfg.network_key, n->sk);
	if (c->outbound) {
		uint8_t m1[HS_MAX_MSG];
		size_t l = hs_start(&c->hs, m1);
		struct gl_buf b = { 0 };
		gl_buf_append(&b, m1, l);
		write_raw(c, &b);
	}
	uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

/* A connection still connecting or in its handshake: out of time?  An
 * inbound one that took too long earns a strike: it only held a slot. */
static void handshake_timer(struct conn *c, uint64_t now)
{
	uint64_t limit = c->node->cfg.handshake_timeout * 1000;
	if (c->hs_limit_ms && c->hs_limit_ms < limit)
		limit = c->hs_limit_ms;
	const char *why = NULL;
	if (now - c->opened_ms > limit)
		why = c->state == CONN_CONNECTING ? "connect timeout" : "handshake timeout";
	else if (!c->outbound && !c->hs_first && now - c->opened_ms > CONN_FIRST_MS)
		why = "no handshake message within 3 s";
	if (!why)
		return;
	if (c->state == CONN_HANDSHAKE)
		c->cb->handshake_failed(c);
	if (c->state == CONN_HANDSHAKE && !c->outbound)
		c->cb->strike(c, why);
	conn_close(c, why);
}

static void on_timer(uv_timer_t *t)
{
	struct conn *c = t->data;
	struct node *n = c->node;
	uint64_t now = clock_mono_ms();
	if (c->state == CONN_CONNECTING || c->state == CONN_HANDSHAKE) {
		handshake_timer(c, now);
		return;
	}
	if (c->state != CONN_OPEN)
		return;
	refill(c);
	if (c->state != CONN_OPEN)
		return;
	/* refill may have resumed reading and stamped partial_since after `now` */
	if (c->partial_since_ms && !c->paused && now > c->partial_since_ms &&
	    now - c->partial_since_ms > n->cfg.frame_timeout * 1000) {
		conn_misbehaved(c, "a frame took too long");
		return;
	}
	/* a paused link is our own doing: do not count it as the peer's silence */
	if (!c->paused && now - c->last_rx_ms > n->cfg.idle_timeout * 1000) {
		conn_close(c, "idle timeout");
		return;
	}
	if (now - c->last_tx_ms > n->cfg.idle_timeout * 1000 / 3) {
		struct gl_buf m = { 0 };
		wire_ping(&m, WIRE_PING, ++c->ping_nonce);
		conn_send(c, &m);
		gl_buf_free(&m);
	}
	c->cb->tick(c, now);
}

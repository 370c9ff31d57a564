/*
 * attack_net.c — what the modes of attack (attack.h) share: dialling from
 * a chosen source address, reading and writing with deadlines, and the
 * handshake and messages of a peer that holds the network key.
 */
#include "attack.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sodium.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto/frame.h"
#include "proto/ident.h"
#include "proto/handshake.h"
#include "proto/wire.h"
#include "timing.h"

int att_dial(const char *host, int port, const char *src)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	if (src) {
		inet_pton(AF_INET, src, &sa.sin_addr);
		if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
			close(fd);
			return -1;
		}
	}
	sa.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, host, &sa.sin_addr);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* True if the peer closed fd (EOF or reset) within ms milliseconds. */
bool att_closed_within(int fd, int ms)
{
	char buf[4096];
	double end = now_s() + ms / 1000.0;
	for (;;) {
		int left = (int)((end - now_s()) * 1000);
		if (left <= 0)
			return false;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, left) <= 0)
			return false;
		ssize_t r = recv(fd, buf, sizeof buf, 0);
		if (r <= 0)
			return true;
	}
}

int att_write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

int att_read_exact(int fd, void *p, size_t n, int ms)
{
	uint8_t *b = p;
	double end = now_s() + ms / 1000.0;
	while (n) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		int left = (int)((end - now_s()) * 1000);
		if (left <= 0 || poll(&pf, 1, left) <= 0)
			return -1;
		ssize_t r = recv(fd, b, n, 0);
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

int att_handshake(struct att_link *l, const uint8_t netkey[32], const char *const *endpoints,
                  unsigned nendpoints)
{
	struct hs h;
	uint8_t out[HS_MAX_MSG], in[HS_MAX_MSG];
	size_t outlen;
	bool done = false;
	struct hs_result res;
	crypto_sign_keypair(l->pk, l->sk);
	hs_init(&h, true, netkey, l->sk);
	size_t n = hs_start(&h, out);
	if (att_write_all(l->fd, out, n))
		return -1;
	while (!done) {
		size_t want = hs_want(&h);
		if (!want || att_read_exact(l->fd, in, want, 5000) ||
		    hs_feed(&h, in, want, out, &outlen, &done, &res, NULL))
			return -1;
		if (outlen && att_write_all(l->fd, out, outlen))
			return -1;
	}
	struct gl_buf hdr = { 0 }, m = { 0 };
	memcpy(l->recon_key, res.recon, 32);
	frame_rx_init(&l->rx, res.rx);
	frame_tx_init(&l->tx, res.tx, &hdr);
	wire_hello(&m, "attacker", endpoints, nendpoints, 0);
	int rc = frame_seal(&l->tx, m.data, m.len, &hdr) || att_write_all(l->fd, hdr.data, hdr.len);
	gl_buf_free(&hdr);
	gl_buf_free(&m);
	return rc ? -1 : 0;
}

/* Drain whatever the victim sends, so that it is never blocked by us. */
void att_drain(int fd)
{
	char buf[65536];
	while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
		;
}

int att_send_records(struct att_link *l, const struct gl_buf *envs, const size_t *lens, size_t n)
{
	size_t off = 0;
	for (size_t i = 0; i < n;) {
		struct gl_buf m = { 0 }, f = { 0 };
		size_t k = 0, bytes = 0, o = off;
		while (i + k < n && k < 512 && bytes + lens[i + k] < FRAME_MAX - 4096)
			bytes += lens[i + k++];
		wire_records_head(&m, k);
		for (size_t j = 0; j < k; j++) {
			wire_records_add(&m, envs->data + o, lens[i + j]);
			o += lens[i + j];
		}
		int rc = frame_seal(&l->tx, m.data, m.len, &f) || att_write_all(l->fd, f.data, f.len);
		gl_buf_free(&m);
		gl_buf_free(&f);
		if (rc)
			return -1;
		att_drain(l->fd);
		off = o;
		i += k;
	}
	return 0;
}

int att_send_msg(struct att_link *l, const struct gl_buf *m)
{
	struct gl_buf f = { 0 };
	int rc = frame_seal(&l->tx, m->data, m->len, &f) || att_write_all(l->fd, f.data, f.len);
	gl_buf_free(&f);
	return rc ? -1 : 0;
}

int att_peer_open(struct att_link *l, const char *host, int port, const char *src,
                  const char *netkey_text, const char *const *endpoints, unsigned nendpoints)
{
	uint8_t netkey[32];
	memset(l, 0, sizeof *l);
	if (ident_parse(IDENT_NET_PREFIX, netkey_text, "network key", netkey, NULL))
		return -1;
	l->fd = att_dial(host, port, src);
	if (l->fd < 0)
		return -1;
	if (att_handshake(l, netkey, endpoints, nendpoints)) {
		close(l->fd);
		l->fd = -1;
		return -1;
	}
	return 0;
}

int att_read_msgs(struct att_link *l, int ms, void (*fn)(void *arg, const struct wire_msg *m),
                  void *arg)
{
	struct pollfd pf = { .fd = l->fd, .events = POLLIN };
	int ready = poll(&pf, 1, ms);
	if (ready < 0)
		return -1;
	for (;;) {
		gl_buf_reserve(&l->in, 65536);
		ssize_t r = recv(l->fd, l->in.data + l->in.len, l->in.cap - l->in.len, MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
			return -1;
		if (r < 0)
			break;
		l->in.len += (size_t)r;
		l->bytes_in += (uint64_t)r;
	}
	for (;;) {
		size_t used = 0;
		struct gl_buf plain = { 0 };
		int rc = frame_open(&l->rx, l->in.data, l->in.len, &used, &plain, NULL);
		if (rc < 0) {
			gl_buf_free(&plain);
			return -1;
		}
		if (!used) {
			gl_buf_free(&plain);
			return 0;
		}
		gl_buf_consume(&l->in, used);
		struct wire_msg m;
		if (rc == 1 && fn && wire_parse(plain.data, plain.len, &m, NULL) == 0) {
			fn(arg, &m);
			wire_msg_free(&m);
		}
		gl_buf_free(&plain);
	}
}

void att_close_gently(int fd)
{
	shutdown(fd, SHUT_WR);
	att_closed_within(fd, 120000);
	close(fd);
}

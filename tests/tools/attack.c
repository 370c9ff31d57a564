/*
 * attack — a hostile peer for the system tests.  Every mode prints one
 * JSON object on stdout with what happened, and is bounded in time.
 *
 *   attack conns    HOST PORT SRC N HOLD      open N connections from SRC, hold them
 *   attack garbage  HOST PORT SRCNET BYTES    send BYTES of random bytes over fresh
 *                                             connections from SRCNET.10 … SRCNET.250
 *   attack slow     HOST PORT SRC MAX         send one byte a second before any
 *                                             handshake; seconds until dropped
 *   attack peer     HOST PORT SRC NETKEY MODE [ARG]   complete the handshake, then:
 *       slowframe MAX       start a frame and send a byte a second
 *       replay FILE         send the records of an export file
 *       flood N             sign N news records with a fresh key and send them
 *       badsig              send a record whose signature is damaged
 *   attack mkexport FILE N [A [ORDER [text|offers]]] write an export file of N signed news
 *                                             records (ids flood-0 … flood-N-1, record
 *                                             i by author i mod A; A default 1), in
 *                                             that order, or shuffled if ORDER is
 *                                             "shuffled"; with text, each with a title
 *                                             and summary of its own; with offers,
 *                                             offers with needs, phases and sectors
 *                                             (flood.h)
 *   attack order    FILE                      how many records of an export file sort
 *                                             before the one ahead of them (store order)
 *   attack sink     DIR SECONDS               stand in for gilded's control socket at
 *                                             DIR/gilded.sock for one connection: accept
 *                                             every record of its import requests, and
 *                                             count them and their breaks of order
 *
 * SRC is a source address on loopback (127.0.0.x), so that a test can tell
 * the attacker from its well-behaved peers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <msgpack.h>

#include "proto/alloc.h"
#include "proto/bounds.h"
#include "flood.h"
#include "proto/frame.h"
#include "proto/handshake.h"
#include "proto/ident.h"
#include "proto/msg.h"
#include "proto/record.h"
#include "timing.h"
#include "proto/wire.h"

static int dial(const char *host, int port, const char *src)
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
static bool closed_within(int fd, int ms)
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

static int write_all(int fd, const void *p, size_t n)
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

static int read_exact(int fd, void *p, size_t n, int ms)
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

static int mode_conns(const char *host, int port, const char *src, int n, int hold)
{
	struct rlimit rl = { (rlim_t)n + 64, (rlim_t)n + 64 };
	setrlimit(RLIMIT_NOFILE, &rl);
	int *fds = gl_xcalloc((size_t)n, sizeof *fds);
	int opened = 0, failed = 0;
	for (int i = 0; i < n; i++) {
		fds[i] = dial(host, port, src);
		if (fds[i] < 0)
			failed++;
		else
			opened++;
	}
	/* give the victim a moment, then see which ends it closed */
	usleep(1500000);
	int closed = 0;
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0 && closed_within(fds[i], 10))
			closed++;
	double end = now_s() + hold;
	while (now_s() < end)
		usleep(100000);
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	printf("{\"opened\": %d, \"failed\": %d, \"closed_by_peer\": %d}\n", opened, failed, closed);
	free(fds);
	return 0;
}

static int mode_garbage(const char *host, int port, const char *srcnet, long long bytes)
{
	static uint8_t junk[1 << 16];
	randombytes_buf(junk, sizeof junk);
	long long sent = 0;
	int conns = 0, refused = 0;
	double end = now_s() + 120;
	for (int k = 0; sent < bytes && now_s() < end; k++) {
		char src[32];
		snprintf(src, sizeof src, "%s.%d", srcnet, 10 + k % 240);
		int fd = dial(host, port, src);
		if (fd < 0) {
			refused++;
			continue;
		}
		conns++;
		/* push until the peer's end is gone */
		for (int i = 0; i < 256 && sent < bytes; i++) {
			ssize_t w = send(fd, junk, sizeof junk, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (w > 0) {
				sent += w;
				continue;
			}
			if (w < 0 && errno == EAGAIN) {
				struct pollfd p = { .fd = fd, .events = POLLOUT };
				if (poll(&p, 1, 200) > 0 && !(p.revents & (POLLERR | POLLHUP)))
					continue;
			}
			break;
		}
		close(fd);
	}
	printf("{\"sent\": %lld, \"connections\": %d, \"refused\": %d}\n", sent, conns, refused);
	return 0;
}

static int mode_slow(const char *host, int port, const char *src, int max)
{
	int fd = dial(host, port, src);
	if (fd < 0) {
		printf("{\"error\": \"connect\"}\n");
		return 1;
	}
	double t0 = now_s();
	uint8_t b = 0x42;
	for (int i = 0; i < max; i++) {
		if (send(fd, &b, 1, MSG_NOSIGNAL) != 1 || closed_within(fd, 1000)) {
			printf("{\"dropped_after\": %.1f}\n", now_s() - t0);
			close(fd);
			return 0;
		}
	}
	printf("{\"dropped_after\": -1}\n");
	close(fd);
	return 0;
}

struct link {
	int fd;
	struct frame_tx tx;
	uint8_t sk[64], pk[32];
};

static int handshake(struct link *l, const uint8_t netkey[32])
{
	struct hs h;
	uint8_t out[HS_MAX_MSG], in[HS_MAX_MSG];
	size_t outlen;
	bool done = false;
	struct hs_result res;
	crypto_sign_keypair(l->pk, l->sk);
	hs_init(&h, true, netkey, l->sk);
	size_t n = hs_start(&h, out);
	if (write_all(l->fd, out, n))
		return -1;
	while (!done) {
		size_t want = hs_want(&h);
		if (!want || read_exact(l->fd, in, want, 5000) ||
		    hs_feed(&h, in, want, out, &outlen, &done, &res, NULL))
			return -1;
		if (outlen && write_all(l->fd, out, outlen))
			return -1;
	}
	struct gl_buf hdr = { 0 }, m = { 0 };
	frame_tx_init(&l->tx, res.tx, &hdr);
	wire_hello(&m, "attacker", NULL, 0, 0);
	int rc = frame_seal(&l->tx, m.data, m.len, &hdr) || write_all(l->fd, hdr.data, hdr.len);
	gl_buf_free(&hdr);
	gl_buf_free(&m);
	return rc ? -1 : 0;
}

/* Drain whatever the victim sends, so that it is never blocked by us. */
static void drain(int fd)
{
	char buf[65536];
	while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
		;
}

static int send_records(struct link *l, const struct gl_buf *envs, const size_t *lens, size_t n)
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
		int rc = frame_seal(&l->tx, m.data, m.len, &f) || write_all(l->fd, f.data, f.len);
		gl_buf_free(&m);
		gl_buf_free(&f);
		if (rc)
			return -1;
		drain(l->fd);
		off = o;
		i += k;
	}
	return 0;
}

static int mode_peer(const char *host, int port, const char *src, const char *netkey_text,
                     const char *what, const char *arg)
{
	uint8_t netkey[32];
	if (ident_parse(IDENT_NET_PREFIX, netkey_text, "network key", netkey, NULL))
		return 2;
	struct link l = { .fd = dial(host, port, src) };
	if (l.fd < 0 || handshake(&l, netkey)) {
		printf("{\"error\": \"handshake\"}\n");
		return 1;
	}
	double t0 = now_s();
	if (!strcmp(what, "slowframe")) {
		uint8_t len[4] = { 0, 0, 1, 0 }; /* announces 256 bytes, sends one a second */
		write_all(l.fd, len, 4);
		for (int i = 0; i < atoi(arg); i++) {
			uint8_t b = (uint8_t)i;
			drain(l.fd);
			if (send(l.fd, &b, 1, MSG_NOSIGNAL) != 1 || closed_within(l.fd, 1000)) {
				printf("{\"dropped_after\": %.1f}\n", now_s() - t0);
				return 0;
			}
		}
		printf("{\"dropped_after\": -1}\n");
		return 0;
	}
	struct gl_buf envs = { 0 };
	size_t *lens = NULL, n = 0;
	if (!strcmp(what, "replay")) {
		FILE *f = fopen(arg, "rb");
		struct gl_buf all = { 0 };
		char tmp[65536];
		size_t r;
		while (f && (r = fread(tmp, 1, sizeof tmp, f)) > 0)
			gl_buf_append(&all, tmp, r);
		if (f)
			fclose(f);
		size_t off = 0, span;
		while (off < all.len && record_span(all.data + off, all.len - off, &span, NULL) == 0) {
			lens = gl_xrealloc(lens, (n + 1) * sizeof *lens);
			lens[n++] = span;
			off += span;
		}
		gl_buf_append(&envs, all.data, off);
		gl_buf_free(&all);
	} else if (!strcmp(what, "flood") || !strcmp(what, "badsig")) {
		size_t count = !strcmp(what, "flood") ? (size_t)atol(arg) : 1;
		struct gl_buf body = { 0 };
		flood_body(&body);
		time_t now = time(NULL);
		lens = gl_xcalloc(count, sizeof *lens);
		for (size_t i = 0; i < count; i++) {
			size_t before = envs.len;
			flood_sign((long)i, (uint64_t)now, 1, &body, l.sk, &envs);
			lens[n++] = envs.len - before;
		}
		gl_buf_free(&body);
		if (!strcmp(what, "badsig"))
			envs.data[envs.len - 3] ^= 0x40;
	} else {
		return 2;
	}
	int rc = send_records(&l, &envs, lens, n);
	double sent_at = now_s() - t0;
	bool closed = closed_within(l.fd, !strcmp(what, "badsig") ? 5000 : 500);
	printf("{\"records\": %zu, \"send_error\": %s, \"seconds\": %.2f, \"closed_by_peer\": %s}\n", n,
	       rc ? "true" : "false", sent_at, closed ? "true" : "false");
	gl_buf_free(&envs);
	free(lens);
	close(l.fd);
	return 0;
}

static int mode_mkexport(const char *path, long n, long authors, bool shuffle, bool text,
                         bool offers)
{
	if (n < 1 || authors < 1 || authors > n)
		return 1;
	uint8_t (*pk)[32] = gl_xmalloc((size_t)authors * 32), (*sk)[64] = gl_xmalloc((size_t)authors * 64);
	for (long a = 0; a < authors; a++)
		crypto_sign_keypair(pk[a], sk[a]);
	/* shuffled: in no useful order, as records gathered from many sources */
	long *order = gl_xmalloc((size_t)n * sizeof *order);
	for (long i = 0; i < n; i++)
		order[i] = i;
	for (long i = n - 1; shuffle && i > 0; i--) {
		long j = (long)randombytes_uniform((uint32_t)i + 1);
		long t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	struct gl_buf body = { 0 }, envs = { 0 };
	flood_body(&body);
	time_t now = time(NULL);
	FILE *f = fopen(path, "wb");
	if (!f)
		return 1;
	for (long k = 0; k < n; k++) {
		long i = order[k];
		envs.len = 0;
		if (text || offers) {
			body.len = 0;
			if (offers)
				flood_body_offer(&body, i);
			else
				flood_body_text(&body, i);
		}
		if (flood_sign_kind(i, offers ? RK_OFFER : RK_NEWS, (uint64_t)now, 3600, &body,
		                    sk[i % authors], &envs) ||
		    fwrite(envs.data, 1, envs.len, f) != envs.len)
			return 1;
	}
	fclose(f);
	char key[IDENT_TEXT_MAX];
	ident_format(IDENT_PK_PREFIX, pk[0], key);
	printf("{\"records\": %ld, \"authors\": %ld, \"author\": \"%s\"}\n", n, authors, key);
	gl_buf_free(&body);
	gl_buf_free(&envs);
	free(order);
	free(pk);
	free(sk);
	return 0;
}

/* Records in order so far, and how many came before the one ahead of them. */
struct order {
	uint8_t prev[RECORD_KEY_LEN + 1 + GL_ID_MAX];
	struct record_key pk;
	bool have;
	unsigned long long records, breaks, unkeyed;
};

static void order_add(struct order *o, const uint8_t *env, size_t len)
{
	struct record_key k;
	o->records++;
	if (record_peek_key(env, len, &k)) {
		o->unkeyed++;
		return;
	}
	if (o->have && record_key_cmp(&o->pk, &k) > 0)
		o->breaks++;
	/* keep a copy: env goes away with its buffer */
	memcpy(o->prev, k.author, RECORD_KEY_LEN);
	memcpy(o->prev + RECORD_KEY_LEN, k.id, k.id_len);
	o->pk = (struct record_key){ .author = o->prev, .kind = k.kind,
	                             .id = (const char *)o->prev + RECORD_KEY_LEN, .id_len = k.id_len };
	o->have = true;
}

static int mode_order(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return 1;
	struct gl_buf in = { 0 };
	size_t r;
	do {
		gl_buf_reserve(&in, 1 << 20);
		r = fread(in.data + in.len, 1, in.cap - in.len, f);
		in.len += r;
	} while (r > 0);
	fclose(f);
	struct order o = { 0 };
	struct gl_error err = { 0 };
	size_t off = 0, span;
	while (off < in.len && !record_span(in.data + off, in.len - off, &span, &err)) {
		order_add(&o, in.data + off, span);
		off += span;
	}
	printf("{\"records\": %llu, \"breaks\": %llu, \"unkeyed\": %llu, \"damaged\": %s}\n",
	       o.records, o.breaks, o.unkeyed, off < in.len ? "true" : "false");
	gl_buf_free(&in);
	return 0;
}

/* Answer one import request in buf (prefix included); 0, or 1 on a bad one. */
static int sink_request(int fd, const uint8_t *p, size_t len, struct order *o)
{
	msgpack_zone zone;
	msgpack_zone_init(&zone, 4096);
	msgpack_object req;
	struct gl_error err = { 0 };
	const msgpack_object *recs;
	int rc = 1;
	if (msg_decode(p, len, &zone, &req, &err) || !(recs = msg_get(&req, "records")) ||
	    recs->type != MSGPACK_OBJECT_ARRAY)
		goto out;
	for (uint32_t i = 0; i < recs->via.array.size; i++) {
		const msgpack_object *b = &recs->via.array.ptr[i];
		if (b->type != MSGPACK_OBJECT_BIN)
			goto out;
		order_add(o, (const uint8_t *)b->via.bin.ptr, b->via.bin.size);
	}
	struct gl_buf resp = { 0 };
	msgpack_packer pk;
	msg_begin(&resp, &pk);
	msgpack_pack_map(&pk, 4);
	msg_pack_str(&pk, "ok");
	msgpack_pack_true(&pk);
	msg_pack_str(&pk, "accepted");
	msgpack_pack_uint32(&pk, recs->via.array.size);
	msg_pack_str(&pk, "older");
	msgpack_pack_uint32(&pk, 0);
	msg_pack_str(&pk, "rejected");
	msgpack_pack_uint32(&pk, 0);
	msg_end(&resp, 0);
	rc = write_all(fd, resp.data, resp.len) ? 1 : 0;
	gl_buf_free(&resp);
out:
	msgpack_zone_destroy(&zone);
	return rc;
}

static int mode_sink(const char *dir, int seconds)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if ((size_t)snprintf(sa.sun_path, sizeof sa.sun_path, "%s/gilded.sock", dir) >=
	    sizeof sa.sun_path)
		return 1;
	int ls = socket(AF_UNIX, SOCK_STREAM, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof sa) || listen(ls, 1))
		return 1;
	double end = now_s() + seconds;
	struct pollfd pf = { .fd = ls, .events = POLLIN };
	if (poll(&pf, 1, seconds * 1000) != 1)
		return 1;
	int fd = accept(ls, NULL, NULL);
	if (fd < 0)
		return 1;
	struct order o = { 0 };
	unsigned long long requests = 0;
	struct gl_buf in = { 0 };
	bool bad = false;
	for (;;) {
		size_t total;
		int pr = msg_peek(in.data, in.len, MSG_MAX, &total);
		if (pr < 0) {
			bad = true;
			break;
		}
		if (pr == 1) {
			requests++;
			if (sink_request(fd, in.data + 4, total - 4, &o)) {
				bad = true;
				break;
			}
			gl_buf_consume(&in, total);
			continue;
		}
		pf = (struct pollfd){ .fd = fd, .events = POLLIN };
		int left = (int)((end - now_s()) * 1000);
		if (left <= 0 || poll(&pf, 1, left) != 1) {
			bad = true;
			break;
		}
		gl_buf_reserve(&in, 1 << 16);
		ssize_t r = read(fd, in.data + in.len, in.cap - in.len);
		if (r <= 0) {
			bad = r < 0 || in.len > 0;
			break;
		}
		in.len += (size_t)r;
	}
	printf("{\"records\": %llu, \"requests\": %llu, \"breaks\": %llu, \"unkeyed\": %llu, "
	       "\"bad\": %s}\n", o.records, requests, o.breaks, o.unkeyed, bad ? "true" : "false");
	gl_buf_free(&in);
	close(fd);
	close(ls);
	unlink(sa.sun_path);
	return bad;
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0 || argc < 3) {
		fprintf(stderr, "usage: see tests/tools/attack.c\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	alarm(300); /* every mode is bounded, whatever happens */
	if (!strcmp(argv[1], "mkexport") && argc >= 4 && argc <= 7)
		return mode_mkexport(argv[2], atol(argv[3]), argc >= 5 ? atol(argv[4]) : 1,
		                     argc >= 6 && !strcmp(argv[5], "shuffled"),
		                     argc == 7 && !strcmp(argv[6], "text"),
		                     argc == 7 && !strcmp(argv[6], "offers"));
	if (!strcmp(argv[1], "order") && argc == 3)
		return mode_order(argv[2]);
	if (!strcmp(argv[1], "sink") && argc == 4)
		return mode_sink(argv[2], atoi(argv[3]));
	if (argc < 5) {
		fprintf(stderr, "attack: bad arguments\n");
		return 2;
	}
	const char *mode = argv[1], *host = argv[2];
	int port = atoi(argv[3]);
	if (!strcmp(mode, "conns") && argc == 7)
		return mode_conns(host, port, argv[4], atoi(argv[5]), atoi(argv[6]));
	if (!strcmp(mode, "garbage") && argc == 6)
		return mode_garbage(host, port, argv[4], atoll(argv[5]));
	if (!strcmp(mode, "slow") && argc == 6)
		return mode_slow(host, port, argv[4], atoi(argv[5]));
	if (!strcmp(mode, "peer") && argc >= 7)
		return mode_peer(host, port, argv[4], argv[5], argv[6], argc > 7 ? argv[7] : "");
	fprintf(stderr, "attack: bad arguments\n");
	return 2;
}

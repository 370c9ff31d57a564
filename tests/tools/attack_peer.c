/*
 * attack_peer.c — the attacks of a peer that holds the network key, from
 * issue 24 (`attack peer HOST PORT SRC NETKEY MODE [ARG]`):
 *
 *   forgelog            records whose texts fail the schema and hold a log
 *                       line of their own (newline, timestamp, level)
 *   selfendorse N       N news records of a fresh, unendorsed key, each
 *                       frame led by that key's endorsement of itself and
 *                       ended by a record with a damaged signature
 *   recon SECONDS RATE  for SECONDS, RATE RECON messages a second (0: as
 *                       fast as the victim reads them), each one range
 *                       over the whole space with a random fingerprint
 *   badrecon            one malformed RECON message
 *   have SECONDS        for SECONDS, HAVE messages of 4,096 random items
 *   unknown SECONDS     for SECONDS, 60 KB messages of a type nobody knows
 *
 * Each prints what it sent, what came back, whether and when the victim
 * closed the link.
 */
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "attack.h"
#include "flood.h"
#include "proto/ident.h"
#include "proto/mp.h"
#include "proto/record.h"
#include "proto/wire.h"
#include "timing.h"

/* What the victim sent back, counted by att_read_msgs(). */
struct replies {
	uint64_t msgs, want_items, recon;
};

static void count_reply(void *arg, const struct wire_msg *m)
{
	struct replies *r = arg;
	r->msgs++;
	if (m->type == WIRE_WANT)
		r->want_items += m->nitems;
	if (m->type == WIRE_RECON)
		r->recon++;
}

static void put_str(struct gl_buf *b, const char *k, const char *v)
{
	mp_write_str(b, k, strlen(k));
	mp_write_str(b, v, strlen(v));
}

static void sign_into(const struct att_link *l, int kind, const char *id, const struct gl_buf *body,
                      struct gl_buf *envs, size_t **lens, size_t *n)
{
	struct record_draft d = { .kind = kind, .id = id, .id_len = strlen(id), .version = 1,
	                          .issued = (uint64_t)time(NULL), .expires = (uint64_t)time(NULL) + 86400,
	                          .body = body->data, .body_len = body->len };
	size_t before = envs->len;
	if (record_sign(&d, l->sk, envs, NULL) != 0)
		return;
	*lens = gl_xrealloc(*lens, (*n + 1) * sizeof **lens);
	(*lens)[(*n)++] = envs->len - before;
}

#define FORGED "\n2030-01-01T00:00:00.000Z error FORGED-LINE by=attacker"

/* News records that fail the schema, each in a way that may be quoted. */
static void forgelog_records(const struct att_link *l, struct gl_buf *envs, size_t **lens, size_t *n)
{
	static const char *const dates[] = { "not a date" FORGED, "2026-01-01T00:00:00Z" };
	for (int v = 0; v < 3; v++) {
		struct gl_buf b = { 0 };
		mp_write_map(&b, v == 2 ? 5 : 4);
		mp_write_str(&b, "title", 5);
		mp_write_map(&b, 1);
		put_str(&b, "en", "title" FORGED);
		mp_write_str(&b, "summary", 7);
		mp_write_map(&b, 1);
		put_str(&b, "en", v == 1 ? "" : "summary" FORGED); /* v 1: too short */
		put_str(&b, "published", dates[v != 0]);
		put_str(&b, "url", v == 1 ? "https://e.org/" FORGED : "https://e.org/");
		if (v == 2)
			put_str(&b, "field" FORGED, "unknown field");
		char id[16];
		snprintf(id, sizeof id, "forge-%d", v);
		sign_into(l, RK_NEWS, id, &b, envs, lens, n);
		gl_buf_free(&b);
	}
}

/* n news records of l's own key, in frames of 256 led by l's endorsement
 * of itself and ended by one with a damaged signature. */
static void selfendorse_records(const struct att_link *l, long count, struct gl_buf *envs,
                                size_t **lens, size_t *n)
{
	struct gl_buf news = { 0 }, end = { 0 };
	flood_body(&news);
	char key[IDENT_TEXT_MAX], hex[65];
	ident_format(IDENT_PK_PREFIX, l->pk, key);
	ident_hex(l->pk, 32, hex);
	mp_write_map(&end, 2);
	put_str(&end, "key", key);
	put_str(&end, "name", "an organisation that endorses itself");
	for (long i = 0; i < count; i++) {
		if (i % 256 == 0)
			sign_into(l, RK_ENDORSE, hex, &end, envs, lens, n);
		size_t before = envs->len;
		if (flood_sign(i, (uint64_t)time(NULL), 1, &news, l->sk, envs) != 0)
			continue;
		*lens = gl_xrealloc(*lens, (*n + 1) * sizeof **lens);
		(*lens)[(*n)++] = envs->len - before;
		if (i % 256 == 255 || i == count - 1)
			envs->data[envs->len - 3] ^= 0x40; /* its signature no longer verifies */
	}
	gl_buf_free(&news);
	gl_buf_free(&end);
}

/* Send the records and see whether the victim closes the link. */
static int send_and_watch(struct att_link *l, struct gl_buf *envs, size_t *lens, size_t n)
{
	double t0 = now_s();
	int rc = 0;
	/* frames of at most 257 records: one endorsement, 256 records */
	size_t off = 0;
	for (size_t i = 0; i < n && !rc;) {
		size_t k = n - i < 257 ? n - i : 257;
		struct gl_buf part = { .data = envs->data + off, .len = envs->len - off };
		rc = att_send_records(l, &part, lens + i, k);
		for (size_t j = 0; j < k; j++)
			off += lens[i + j];
		i += k;
	}
	double sent = now_s() - t0;
	bool closed = att_closed_within(l->fd, 3000);
	printf("{\"records\": %zu, \"send_error\": %s, \"seconds\": %.2f, \"closed_by_peer\": %s}\n", n,
	       rc ? "true" : "false", sent, closed ? "true" : "false");
	return 0;
}

/* One RECON message: a single range over the space with fingerprint fp. */
static void recon_msg(struct gl_buf *m, const uint8_t fp[16], bool malformed)
{
	struct gl_buf ranges = { 0 };
	mp_write_array(&ranges, 1);
	mp_write_array(&ranges, 3);
	if (malformed)
		mp_write_bin(&ranges, fp, 0); /* an empty bound on the last range */
	else
		gl_buf_append(&ranges, "\xc0", 1); /* nil: the end of the space */
	mp_write_uint(&ranges, 1);
	mp_write_bin(&ranges, fp, 16);
	wire_recon(m, ranges.data, ranges.len);
	gl_buf_free(&ranges);
}

/* Send messages made by make() for seconds, rate a second (0: as fast as
 * the victim takes them); report what was sent and whether and when the
 * link was closed. */
static int stream(struct att_link *l, double seconds, double rate, const char *what,
                  void (*make)(struct gl_buf *m, void *arg), void *arg)
{
	struct replies rep = { 0 };
	double t0 = now_s(), closed_at = -1;
	uint64_t sent = 0, bytes = 0;
	while (now_s() - t0 < seconds) {
		struct pollfd pf = { .fd = l->fd, .events = POLLOUT };
		bool due = rate <= 0 || (double)sent < (now_s() - t0) * rate;
		if (!due) {
			if (att_read_msgs(l, 20, count_reply, &rep) < 0) {
				closed_at = now_s() - t0;
				break;
			}
			continue;
		}
		if (poll(&pf, 1, 100) == 1 && (pf.revents & POLLOUT)) {
			struct gl_buf m = { 0 };
			make(&m, arg);
			bytes += m.len;
			int rc = att_send_msg(l, &m);
			gl_buf_free(&m);
			if (rc) {
				closed_at = now_s() - t0;
				break;
			}
			sent++;
		}
		if (att_read_msgs(l, 0, count_reply, &rep) < 0) {
			closed_at = now_s() - t0;
			break;
		}
	}
	if (closed_at < 0 && att_closed_within(l->fd, 1000))
		closed_at = now_s() - t0;
	printf("{\"mode\": \"%s\", \"messages\": %llu, \"bytes\": %llu, \"seconds\": %.1f, "
	       "\"replies\": %llu, \"want_items\": %llu, \"recon_replies\": %llu, \"bytes_in\": %llu, "
	       "\"closed_after\": %.1f}\n", what, (unsigned long long)sent,
	       (unsigned long long)bytes, now_s() - t0, (unsigned long long)rep.msgs,
	       (unsigned long long)rep.want_items, (unsigned long long)rep.recon,
	       (unsigned long long)l->bytes_in, closed_at);
	return 0;
}

static void make_recon(struct gl_buf *m, void *arg)
{
	(void)arg;
	uint8_t fp[16];
	randombytes_buf(fp, sizeof fp);
	recon_msg(m, fp, false);
}

static void make_have(struct gl_buf *m, void *arg)
{
	(void)arg;
	static uint8_t items[WIRE_ITEMS_MAX][32];
	randombytes_buf(items, sizeof items);
	wire_items(m, WIRE_HAVE, (const uint8_t (*)[32])items, WIRE_ITEMS_MAX);
}

/* [99, bin of 60,000 bytes]: a type this version does not know. */
static void make_unknown(struct gl_buf *m, void *arg)
{
	(void)arg;
	static uint8_t junk[60000];
	mp_write_array(m, 2);
	mp_write_uint(m, 99);
	mp_write_bin(m, junk, sizeof junk);
}

int att_peer_mode(const char *host, int port, const char *src, const char *netkey,
                  const char *mode, const char *arg, const char *arg2)
{
	struct att_link l;
	if (att_peer_open(&l, host, port, src, netkey, NULL, 0)) {
		printf("{\"error\": \"handshake\"}\n");
		return 1;
	}
	struct gl_buf envs = { 0 };
	size_t *lens = NULL, n = 0;
	int rc = 2;
	if (!strcmp(mode, "forgelog")) {
		forgelog_records(&l, &envs, &lens, &n);
		rc = send_and_watch(&l, &envs, lens, n);
	} else if (!strcmp(mode, "selfendorse")) {
		selfendorse_records(&l, atol(arg), &envs, &lens, &n);
		rc = send_and_watch(&l, &envs, lens, n);
	} else if (!strcmp(mode, "recon")) {
		rc = stream(&l, atof(arg), atof(arg2), "recon", make_recon, NULL);
	} else if (!strcmp(mode, "have")) {
		rc = stream(&l, atof(arg), 0, "have", make_have, NULL);
	} else if (!strcmp(mode, "unknown")) {
		rc = stream(&l, atof(arg), 0, "unknown", make_unknown, NULL);
	} else if (!strcmp(mode, "badrecon")) {
		struct gl_buf m = { 0 };
		uint8_t fp[16] = { 0 };
		recon_msg(&m, fp, true);
		att_send_msg(&l, &m);
		gl_buf_free(&m);
		bool closed = att_closed_within(l.fd, 3000);
		printf("{\"closed_by_peer\": %s}\n", closed ? "true" : "false");
		rc = 0;
	}
	fflush(stdout);
	if (n)
		att_close_gently(l.fd); /* records sent: let the victim read them all */
	else
		close(l.fd);
	gl_buf_free(&envs);
	gl_buf_free(&l.in);
	free(lens);
	return rc;
}

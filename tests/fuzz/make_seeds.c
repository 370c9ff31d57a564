/*
 * make_seeds.c — writes the seed corpora of the fuzz targets into
 * tests/fuzz/corpus/<target>/ under the source root given as argv[1]:
 *
 *     ninja -C build fuzz-seeds
 *
 * Built only for that run target.  The output is reproducible: keys are
 * fixed (fuzz.h), Ed25519 signatures are deterministic, and libsodium's
 * random source is replaced by a fixed stream, so the frame headers come
 * out the same each time.  Documents and configurations are copied from
 * schemas/examples, contrib and tests/config.  Existing files of the same
 * name are overwritten; nothing is deleted.
 */
#include <errno.h>
#include <sys/stat.h>

#include <msgpack.h>

#include "schemas/doc.h"
#include "proto/frame.h"
#include "fuzz.h"
#include "proto/handshake.h"
#include "proto/ident.h"
#include "proto/record.h"
#include "proto/recon.h"
#include "proto/recon2.h"
#include "proto/wire.h"

static const char *root;

/* ---- a fixed random stream for libsodium ---- */

static uint64_t rb_count;

static void rb_buf(void *const buf, const size_t size)
{
	uint8_t seed[randombytes_SEEDBYTES] = "gilde fuzz seeds";
	for (int i = 0; i < 8; i++)
		seed[24 + i] = (uint8_t)(rb_count >> (56 - 8 * i));
	rb_count++;
	randombytes_buf_deterministic(buf, size, seed);
}

static uint32_t rb_random(void)
{
	uint32_t v;
	rb_buf(&v, sizeof v);
	return v;
}

static const char *rb_name(void)
{
	return "gilde-fuzz-seeds";
}

static randombytes_implementation rb_impl = {
	.implementation_name = rb_name,
	.random = rb_random,
	.buf = rb_buf,
};

/* ---- output ---- */

static void mkdirs(const char *path)
{
	char p[4096];
	snprintf(p, sizeof p, "%s", path);
	for (char *s = p + 1; *s; s++) {
		if (*s == '/') {
			*s = '\0';
			if (mkdir(p, 0755) != 0 && errno != EEXIST) {
				perror(p);
				exit(1);
			}
			*s = '/';
		}
	}
	if (mkdir(p, 0755) != 0 && errno != EEXIST) {
		perror(p);
		exit(1);
	}
}

static void put(const char *target, const char *name, const void *p, size_t len)
{
	char dir[4096], path[4200];
	snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus/%s", root, target);
	mkdirs(dir);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	printf("%-60s %6zu bytes\n", path + strlen(root) + 1, len);
}

static void put_buf(const char *target, const char *name, const struct gl_buf *b)
{
	put(target, name, b->data, b->len);
}

/* Read root/rel whole; the caller frees. */
static char *slurp(const char *rel, size_t *len)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", root, rel);
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(1);
	}
	struct gl_buf b = { 0 };
	char tmp[4096];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		gl_buf_append(&b, tmp, n);
	fclose(f);
	gl_buf_append(&b, "", 1);
	*len = b.len - 1;
	return (char *)b.data;
}

static void copy(const char *target, const char *rel)
{
	size_t len;
	char *text = slurp(rel, &len);
	const char *base = strrchr(rel, '/');
	put(target, base ? base + 1 : rel, text, len);
	free(text);
}

static int buf_write(void *data, const char *buf, size_t len)
{
	gl_buf_append(data, buf, len);
	return 0;
}

static void str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str_with_body(pk, s, strlen(s));
}

static void fail(const char *what, const struct gl_error *err)
{
	fprintf(stderr, "make_seeds: %s: %s\n", what, err->msg);
	exit(1);
}

/* ---- records ---- */

static struct gl_buf sign(const uint8_t sk[64], int kind, const char *id, uint64_t version,
                          uint64_t issued, uint64_t expires, const struct gl_buf *body)
{
	struct record_draft d = {
		.kind = kind, .id = id, .id_len = strlen(id), .version = version,
		.issued = issued, .expires = expires,
		.body = body ? body->data : NULL, .body_len = body ? body->len : 0,
	};
	struct gl_buf env = { 0 };
	struct gl_error err;
	if (record_sign(&d, sk, &env, &err) != 0)
		fail(id, &err);
	return env;
}

static struct gl_buf sign_doc(const struct schema_set *set, const uint8_t sk[64], const char *rel)
{
	size_t len;
	char *text = slurp(rel, &len);
	struct doc d;
	struct gl_error err;
	if (doc_parse(set, text, len, rel, &d, &err) != 0)
		fail(rel, &err);
	free(text);
	struct gl_buf env = sign(sk, d.kind, d.id, 1, 1790000000, 1790000000 + 365 * 86400, &d.body);
	doc_free(&d);
	return env;
}

/* The envelopes used by the record, wire and frame seeds. */
struct envs {
	struct gl_buf partner, tombstone, offer, event, node, endorse;
};

static void make_envs(struct envs *e)
{
	/* PROTOCOL.md section 3, byte for byte */
	uint8_t seed[32], pk[32], sk[64];
	for (int i = 0; i < 32; i++)
		seed[i] = (uint8_t)i;
	crypto_sign_seed_keypair(pk, sk, seed);
	struct gl_buf body = { 0 };
	msgpack_packer p;
	msgpack_packer_init(&p, &body, buf_write);
	msgpack_pack_map(&p, 4);
	str(&p, "name");
	msgpack_pack_map(&p, 2);
	str(&p, "nl"), str(&p, "Voorbeeld"), str(&p, "en"), str(&p, "Example");
	str(&p, "description");
	msgpack_pack_map(&p, 2);
	str(&p, "nl"), str(&p, "Een voorbeeldpartner."), str(&p, "en"), str(&p, "An example partner.");
	str(&p, "url"), str(&p, "https://example.org/");
	str(&p, "org_type"), str(&p, "other");
	e->partner = sign(sk, RK_PARTNER, "example", 1700000000000, 1700000000, 1731536000, &body);
	e->tombstone = sign(sk, RK_PARTNER, "example", 1700000000001, 1700000001, 1715552001, NULL);
	gl_buf_free(&body);

	struct schema_set *set;
	struct gl_error err;
	if (schema_set_load(&set, &err) != 0)
		fail("schemas", &err);
	uint8_t apk[32], ask[64];
	fz_keypair(FZ_SEED_AUTHOR, apk, ask);
	e->offer = sign_doc(set, ask, "schemas/examples/offer-ugent-student-ondernemer.json");
	e->event = sign_doc(set, ask, "schemas/examples/event-vlaio-webinar-kmo-portefeuille-2026-09.json");
	schema_set_free(set);

	msgpack_packer_init(&p, &body, buf_write);
	msgpack_pack_map(&p, 2);
	str(&p, "name"), str(&p, "fuzz node");
	str(&p, "endpoints");
	msgpack_pack_array(&p, 2);
	str(&p, "node.example:7420"), str(&p, "192.0.2.1:7420");
	e->node = sign(ask, RK_NODE, "node", 3, 1790000000, 1790086400, &body);
	gl_buf_free(&body);

	char hex[65], key[IDENT_TEXT_MAX];
	ident_hex(pk, 32, hex);
	ident_format(IDENT_PK_PREFIX, pk, key);
	msgpack_packer_init(&p, &body, buf_write);
	msgpack_pack_map(&p, 3);
	str(&p, "key"), str(&p, key);
	str(&p, "name"), str(&p, "Voorbeeld");
	str(&p, "until"), str(&p, "2027-12-31");
	e->endorse = sign(ask, RK_ENDORSE, hex, 1, 1790000000, 1790000000 + 365 * 86400, &body);
	gl_buf_free(&body);
}

static void seeds_record(const struct envs *e)
{
	put_buf("record", "partner-example", &e->partner);
	put_buf("record", "tombstone-example", &e->tombstone);
	put_buf("record", "offer", &e->offer);
	put_buf("record", "event", &e->event);
	put_buf("record", "node", &e->node);
	put_buf("record", "endorse", &e->endorse);

	struct gl_buf b = { 0 };
	gl_buf_append(&b, e->partner.data, e->partner.len);
	gl_buf_append(&b, e->tombstone.data, e->tombstone.len);
	gl_buf_append(&b, e->node.data, e->node.len);
	put_buf("record", "stream-three", &b);
	b.len = 0;
	gl_buf_append(&b, e->partner.data, e->partner.len);
	b.data[b.len - 1] ^= 1;
	put_buf("record", "near-bad-signature", &b);
	put("record", "near-truncated", e->tombstone.data, e->tombstone.len - 10);
	b.len = 0;
	gl_buf_append(&b, e->tombstone.data, e->tombstone.len);
	gl_buf_append(&b, "\xc0", 1);
	put_buf("record", "near-trailing-byte", &b);
	gl_buf_free(&b);
}

/* ---- wire messages ---- */

static void items_of(const struct fz_set *s, size_t from, size_t n, uint8_t (*out)[32])
{
	for (size_t i = 0; i < n; i++)
		memcpy(out[i], s->v[from + i], 32);
}

/* The wire messages; also sealed into frames. */
static void make_wire(const struct envs *e, struct gl_buf *m, size_t *n, const char **names)
{
	static const char *const eps[] = { "node.example:7420", "192.0.2.1:7420" };
	uint8_t items[3][32];
	items_of(fz_set(0), 10, 3, items);
	size_t k = 0;

	names[k] = "hello";
	wire_hello(&m[k++], "Startersfabriek Gent", eps, 2, 0);
	names[k] = "hello-clock";
	wire_hello(&m[k++], "Startersfabriek Gent", eps, 2, 1795449600000u);
	struct recon_source a = fz_source(0);
	uint8_t key[32];
	fz_key(FZ_RECON_KEY, key);
	struct recon_out ro = { 0 };
	struct gl_error err;
	if (recon_initiate(&a, key, &ro, &err) != 0)
		fail("recon_initiate", &err);
	names[k] = "recon";
	wire_recon(&m[k++], ro.msg.data, ro.msg.len);
	recon_out_free(&ro);
	names[k] = "want";
	wire_items(&m[k++], WIRE_WANT, (const uint8_t(*)[32])items, 3);
	names[k] = "have";
	wire_items(&m[k++], WIRE_HAVE, (const uint8_t(*)[32])items, 1);
	names[k] = "records";
	wire_records_head(&m[k], 2);
	wire_records_add(&m[k], e->partner.data, e->partner.len);
	wire_records_add(&m[k++], e->tombstone.data, e->tombstone.len);
	names[k] = "ping";
	wire_ping(&m[k++], WIRE_PING, 0x0123456789abcdefu);
	names[k] = "pong";
	wire_ping(&m[k++], WIRE_PONG, 7);
	names[k] = "bye";
	wire_bye(&m[k++], -15, "peer broke the protocol");
	*n = k;
}

static void seeds_wire(const struct envs *e)
{
	struct gl_buf m[16] = { { 0 } };
	const char *names[16];
	size_t n;
	make_wire(e, m, &n, names);
	for (size_t i = 0; i < n; i++)
		put_buf("wire", names[i], &m[i]);

	/* an unknown type, a HELLO of a later version with a fifth field, and
	 * near-valid ones: an item one byte short, a PING with a field too many */
	put("wire", "unknown-type", "\x92\x09\x01", 3);
	put("wire", "hello-v2-extra-field",
	    "\x95\x01\x02\xa4name\x91\xaehost.test:7420\x91\xc3", 26);
	struct gl_buf b = { 0 };
	gl_buf_append(&b, m[2].data, m[2].len);
	b.data[4] = 31;
	b.len--;
	put_buf("wire", "near-short-item", &b);
	put("wire", "near-ping-extra", "\x93\x06\x01\x02", 4);
	gl_buf_free(&b);
	for (size_t i = 0; i < n; i++)
		gl_buf_free(&m[i]);
}

/* ---- frames ---- */

static void seeds_frame(const struct envs *e)
{
	struct gl_buf m[16] = { { 0 } };
	const char *names[16];
	size_t n;
	make_wire(e, m, &n, names);
	uint8_t key[32];
	fz_key(FZ_FRAME_KEY, key);

	struct frame_tx tx;
	struct gl_buf s = { 0 };
	frame_tx_init(&tx, key, &s);
	put_buf("frame", "header-only", &s);
	for (size_t i = 0; i < n; i++)
		frame_seal(&tx, m[i].data, m[i].len, &s);
	put_buf("frame", "stream-all-messages", &s);
	put("frame", "near-truncated", s.data, s.len - 5);

	s.len = 0;
	frame_tx_init(&tx, key, &s);
	frame_seal(&tx, NULL, 0, &s);
	frame_seal(&tx, m[5].data, m[5].len, &s);
	put_buf("frame", "empty-then-ping", &s);

	s.len = 0;
	frame_tx_init(&tx, key, &s);
	frame_seal(&tx, m[0].data, m[0].len, &s);
	s.data[24] = 0x7f; /* a length far over FRAME_MAX */
	put_buf("frame", "near-bad-length", &s);
	frame_tx_wipe(&tx);
	gl_buf_free(&s);
	for (size_t i = 0; i < n; i++)
		gl_buf_free(&m[i]);
}

/* ---- handshakes ---- */

static void seeds_handshake(void)
{
	uint8_t net[32], other[32], pk_i[32], sk_i[64], pk_r[32], sk_r[64], eph_i[32], eph_r[32];
	fz_key(FZ_NETKEY, net);
	fz_key(0x99, other);
	fz_keypair(FZ_SEED_I, pk_i, sk_i);
	fz_keypair(FZ_SEED_R, pk_r, sk_r);
	fz_key(FZ_EPH_I, eph_i);
	fz_key(FZ_EPH_R, eph_r);

	for (int run = 0; run < 2; run++) {
		struct hs I, R;
		hs_init_seeded(&I, true, run ? other : net, sk_i, eph_i);
		hs_init_seeded(&R, false, net, sk_r, eph_r);
		uint8_t msg[4][HS_MAX_MSG];
		size_t len[4] = { 0 };
		len[0] = hs_start(&I, msg[0]);
		for (int k = 0; k < 3; k++) {
			bool done;
			struct hs_result res;
			struct gl_error err;
			if (hs_feed(k % 2 ? &I : &R, msg[k], len[k], msg[k + 1], &len[k + 1], &done, &res, &err))
				break;
		}
		uint8_t b[1 + HS_M1_LEN + HS_M2_LEN + HS_M3_LEN + HS_M4_LEN];
		if (run == 1) {
			/* M1 of another federation: the responder drops it */
			put("handshake", "m1-other-network", msg[0], len[0]);
			break;
		}
		memcpy(b, msg[0], HS_M1_LEN);
		memcpy(b + HS_M1_LEN, msg[2], HS_M3_LEN);
		put("handshake", "responder-m1-m3", b, HS_M1_LEN + HS_M3_LEN);
		memcpy(b, msg[1], HS_M2_LEN);
		memcpy(b + HS_M2_LEN, msg[3], HS_M4_LEN);
		put("handshake", "initiator-m2-m4", b, HS_M2_LEN + HS_M4_LEN);
		size_t off = 1;
		for (int k = 0; k < 4; k++) {
			memcpy(b + off, msg[k], len[k]);
			off += len[k];
		}
		static const char *const full[] = { "full-replace-m1", "full-replace-m2",
		                                    "full-replace-m3", "full-replace-m4" };
		for (int k = 0; k < 4; k++) {
			b[0] = (uint8_t)k;
			put("handshake", full[k], b, sizeof b);
		}
		hs_wipe(&I);
		hs_wipe(&R);
	}
}

/* ---- reconciliation ---- */

static void seeds_recon(void)
{
	uint8_t key[32];
	fz_key(FZ_RECON_KEY, key);
	struct recon_source a = fz_source(0), b = fz_source(1);
	struct fz_set small = { .v = fz_set(0)->v, .n = 10 };
	struct recon_source sm = { .ctx = &small, .scan = fz_set_scan };
	struct recon_out o = { 0 }, o2 = { 0 }, o3 = { 0 };
	struct gl_error err;

	if (recon_initiate(&sm, key, &o, &err) != 0)
		fail("recon_initiate", &err);
	put_buf("recon", "initiate-list", &o.msg);
	if (recon_initiate(&a, key, &o, &err) != 0)
		fail("recon_initiate", &err);
	put_buf("recon", "initiate-fingerprint-a", &o.msg);
	if (recon_initiate(&b, key, &o, &err) != 0)
		fail("recon_initiate", &err);
	put_buf("recon", "initiate-fingerprint-b", &o.msg);
	/* a answers b's first message with 16 ranges; b answers that */
	if (recon_respond(&a, key, o.msg.data, o.msg.len, &o2, &err) != 0)
		fail("recon_respond", &err);
	put_buf("recon", "answer-split", &o2.msg);
	if (recon_respond(&b, key, o2.msg.data, o2.msg.len, &o3, &err) != 0)
		fail("recon_respond", &err);
	put_buf("recon", "answer-second", &o3.msg);
	put("recon", "finished", "\x90", 1);
	put("recon", "skip-all", "\x91\x93\xc0\x00\xc0", 5);
	put("recon", "near-bad-mode", "\x91\x93\xc0\x07\xc0", 5);
	recon_out_free(&o);
	recon_out_free(&o2);
	recon_out_free(&o3);
}

/* ---- reconciliation v2: inputs of fuzz_recon2.c ---- */

/* Append a message framed as fuzz_recon2 reads it: 2-byte length first. */
static void framed(struct gl_buf *in, const struct gl_buf *msg)
{
	uint8_t len[2] = { (uint8_t)(msg->len >> 8), (uint8_t)msg->len };
	gl_buf_append(in, len, 2);
	gl_buf_append(in, msg->data, msg->len);
}

static void framed_all(struct gl_buf *in, const struct recon2_out *o)
{
	for (size_t i = 0; i < o->nmsgs; i++)
		framed(in, &o->msgs[i]);
}

static void put_mode(const char *name, uint8_t mode, const struct gl_buf *in)
{
	struct gl_buf b = { 0 };
	gl_buf_append(&b, &mode, 1);
	gl_buf_append(&b, in->data, in->len);
	put_buf("recon2", name, &b);
	gl_buf_free(&b);
}

static void r2_step(const uint8_t *p, size_t len, struct recon2_init *in, struct recon2_resp *re,
                    bool to_resp, struct recon2_out *out)
{
	struct recon2_msg m;
	struct gl_error err = { 0 };
	recon2_out_reset(out);
	if (recon2_parse(p, len, &m, &err) != 0 ||
	    (to_resp ? recon2_responder_on(re, fz_sketch(1), &m, out, &err)
	             : recon2_initiator_on(in, fz_sketch(0), &m, out, &err)) != 0)
		fail("recon2", &err);
}

static void seeds_recon2(void)
{
	const struct riblt_sketch *a = fz_sketch(0), *b = fz_sketch(1);
	struct recon2_init in = { 0 };
	struct recon2_resp re = { 0 };
	struct recon2_out oi = { 0 }, or = { 0 };
	struct gl_buf resp = { 0 }, init = { 0 }, m = { 0 };
	/* a whole session, a (initiator) against b (responder) */
	struct gl_error err = { 0 };
	if (recon2_initiate(&in, 1, a, &oi, &err) != 0)
		fail("recon2_initiate", &err);
	framed_all(&resp, &oi);
	put_mode("resp-start", 0, &resp);
	r2_step(oi.msgs[0].data, oi.msgs[0].len, &in, &re, true, &or);
	framed_all(&init, &or);
	put_mode("init-estimate", 1, &init);
	r2_step(or.msgs[0].data, or.msgs[0].len, &in, &re, false, &oi);
	framed_all(&resp, &oi);
	put_mode("resp-session", 0, &resp);
	for (size_t i = 0; i < oi.nmsgs; i++)
		r2_step(oi.msgs[i].data, oi.msgs[i].len, &in, &re, true, &or);
	framed_all(&init, &or);
	put_mode("init-session", 1, &init);
	/* equal sets; MORE; an initiator that gives up */
	resp.len = 0;
	uint8_t db[RIBLT_DIGEST];
	riblt_sketch_digest(b, db);
	recon2_msg_start(&m, 3, b->n, db);
	framed(&resp, &m);
	put_mode("resp-same", 0, &resp);
	m.len = 0;
	recon2_msg_end(&m, 3, R2_TOO_MANY, NULL, 0);
	framed(&resp, &m);
	put_mode("resp-abandoned", 0, &resp);
	init.len = 0;
	m.len = 0;
	uint8_t counts[RECON2_COUNTS];
	riblt_sketch_counts(a, 1, 64, counts);
	recon2_msg_estimate(&m, 1, a->n, counts, 64); /* claims no difference: a short flight */
	framed(&init, &m);
	m.len = 0;
	recon2_msg_more(&m, 1, 200);
	framed(&init, &m);
	put_mode("init-more", 1, &init);
	/* the decoder: a's true symbols, too few of them, and noise */
	uint8_t *w = gl_xmalloc(300 * RIBLT_SYMBOL_WIRE);
	riblt_sketch_encode(a, 0, 300, w);
	m.len = 0;
	gl_buf_append(&m, w, 300 * RIBLT_SYMBOL_WIRE);
	put_mode("decode-true", 2, &m);
	m.len = 40 * RIBLT_SYMBOL_WIRE;
	put_mode("decode-short", 2, &m);
	for (size_t i = 0; i < 64 * RIBLT_SYMBOL_WIRE; i++)
		m.data[i] ^= (uint8_t)(i * 37 + 11);
	m.len = 64 * RIBLT_SYMBOL_WIRE;
	put_mode("decode-noise", 2, &m);
	free(w);
	gl_buf_free(&m);
	gl_buf_free(&resp);
	gl_buf_free(&init);
	recon2_out_free(&oi);
	recon2_out_free(&or);
	recon2_init_free(&in);
	recon2_resp_free(&re);
}

/* ---- documents and configurations: copies ---- */

static void seeds_doc(void)
{
	static const char *const files[] = {
		"schemas/examples/partner-vlaio.json",
		"schemas/examples/offer-ugent-student-ondernemer.json",
		"schemas/examples/event-vlaio-webinar-kmo-portefeuille-2026-09.json",
		"schemas/examples/news-kmo-portefeuille-tijdig-aanvragen.json",
		"schemas/examples/profile-student-webshop.json",
		"schemas/examples/invalid/event-bad-datetime.json",
		"schemas/examples/invalid/offer-bad-slug.json",
		"schemas/examples/invalid/offer-duplicate-languages.json",
	};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
		copy("doc", files[i]);
}

static void seeds_config(void)
{
	static const char *const files[] = {
		"contrib/gilded.conf",
		"tests/config/bad-addr.conf",
		"tests/config/bad-duration.conf",
		"tests/config/bad-level.conf",
		"tests/config/bad-netkey.conf",
		"tests/config/bad-outside.conf",
		"tests/config/bad-range.conf",
		"tests/config/bad-size.conf",
		"tests/config/bad-syntax.conf",
		"tests/config/bad-unknown-option.conf",
		"tests/config/bad-unknown-section.conf",
	};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
		copy("config", files[i]);
}

/*
 * The texts the writers of iCalendar and Atom are given: fields cut at
 * NUL (fuzz_ics.c: name, description, url, venue, street, locality;
 * fuzz_atom.c: title, summary, body, url, partner name), from the plain
 * to what broke a calendar once (issue 24: a url holding CR LF and a
 * VEVENT of its own).
 */
static const struct text_seed {
	const char *name;
	const char *text;
	size_t len; /* sizeof the literal: its NULs are separators */
} text_seeds[] = {
#define TS(n, t) { n, t, sizeof t - 1 }
	TS("plain", "Startersavond\0Een avond voor wie begint.\0https://example.org/a\0"
	   "Zebrastraat\0Zebrastraat 32\0Gent"),
	TS("crlf-vevent", "Evening\0Text\0https://example.org/\r\nEND:VEVENT\r\nBEGIN:VEVENT"
	   "\r\nUID:other@x\r\nSUMMARY:forged\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nX:\0"
	   "\0\0\0"),
	TS("text-newlines", "A\r\nEND:VEVENT\0line\nline\rline\r\n\0https://e.org\0v\r\nX:1\0"
	   "s\nt\0l"),
	TS("escapes", "\x1b[2K\rTitle\x07\0\xc2\x9b" "31m \x7f \x01\x02\x1f\0https://e.org/\x1b\0"
	   "\xc2\x85\0\t\0\x0b\x0c"),
	TS("bad-utf8", "\xff\xfe\xc3\0\xed\xa0\x80 \xf4\x90\x80\x80\0https://e.org/\xc3\xa9\0"
	   "\xe2\x82\0\x80\0\xc0\xaf"),
	TS("urls", "t\0d\0javascript:alert(1)\0"),
	TS("url-space", "t\0d\0https://e.org/a b\0"),
	TS("url-iri", "t\0d\0https://e.org/caf\xc3\xa9?q=\xe2\x82\xac;x,y\0"),
	TS("xml", "<b>&amp;</b>\0]]><!--\0<?xml?>\0https://e.org/?a=1&b=\"2\"\0O'Brien & <co>"),
	TS("ical-specials", "a;b,c\\d:e\0\\n\\,\0https://e.org/;,\0BEGIN:VEVENT\0END:VCALENDAR\0"),
	TS("empty", ""),
#undef TS
};

static void seeds_texts(void)
{
	for (size_t i = 0; i < sizeof text_seeds / sizeof text_seeds[0]; i++) {
		put("ics", text_seeds[i].name, text_seeds[i].text, text_seeds[i].len);
		put("atom", text_seeds[i].name, text_seeds[i].text, text_seeds[i].len);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s SOURCE_ROOT\n", argv[0]);
		return 2;
	}
	root = argv[1];
	randombytes_set_implementation(&rb_impl);
	if (sodium_init() < 0)
		return 1;
	struct envs e;
	make_envs(&e);
	seeds_record(&e);
	seeds_wire(&e);
	seeds_frame(&e);
	seeds_handshake();
	seeds_recon();
	seeds_recon2();
	seeds_doc();
	seeds_config();
	seeds_texts();
	gl_buf_free(&e.partner);
	gl_buf_free(&e.tombstone);
	gl_buf_free(&e.offer);
	gl_buf_free(&e.event);
	gl_buf_free(&e.node);
	gl_buf_free(&e.endorse);
	return 0;
}

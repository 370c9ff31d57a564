/* The control socket's answer fields (daemon/ctl_pack.c): what gilde
 * reads, and the same bytes as msgpack-c's own calls that they replaced. */
#include "testutil.h"

#include "proto/msg.h"
#include "daemon/ctl_pack.h"

static const uint8_t blob[4] = { 1, 2, 3, 255 };

/* An answer with one field of each kind, through ctl_pack. */
static void answer(struct gl_buf *out, int64_t i)
{
	msgpack_packer pk;
	ctl_pack_ok(out, &pk, 5);
	ctl_pack_str(&pk, "name", "Startersfabriek");
	ctl_pack_uint(&pk, "records", 70000);
	ctl_pack_int(&pk, "offset", i);
	ctl_pack_bool(&pk, "curator", false);
	ctl_pack_bin(&pk, "cid", blob, sizeof blob);
	msg_end(out, 0);
}

/* The same answer written with msgpack-c's calls, as ctl_ops.c, ctl.c
 * and net.c wrote it before. */
static void answer_by_hand(struct gl_buf *out, int64_t i)
{
	msgpack_packer pk;
	msg_begin(out, &pk);
	msgpack_pack_map(&pk, 6);
	msg_pack_str(&pk, "ok");
	msgpack_pack_true(&pk);
	msg_pack_str(&pk, "name");
	msg_pack_str(&pk, "Startersfabriek");
	msg_pack_str(&pk, "records");
	msgpack_pack_uint64(&pk, 70000);
	msg_pack_str(&pk, "offset");
	if (i >= INT32_MIN && i <= INT32_MAX)
		msgpack_pack_int(&pk, (int)i); /* ctl_reply_error's code */
	else
		msgpack_pack_int64(&pk, i);
	msg_pack_str(&pk, "curator");
	msgpack_pack_false(&pk);
	msg_pack_str(&pk, "cid");
	msgpack_pack_bin_with_body(&pk, blob, sizeof blob);
	msg_end(out, 0);
}

static void test_fields_read_back(void **state)
{
	(void)state;
	struct gl_buf out = { 0 };
	answer(&out, -1234);
	size_t total;
	assert_int_equal(msg_peek(out.data, out.len, MSG_MAX, &total), 1);
	assert_int_equal(total, out.len);
	msgpack_zone zone;
	msgpack_zone_init(&zone, 1024);
	msgpack_object o;
	struct gl_error err = { 0 };
	assert_int_equal(msg_decode(out.data + 4, out.len - 4, &zone, &o, &err), 0);
	assert_int_equal(o.type, MSGPACK_OBJECT_MAP);
	assert_int_equal(o.via.map.size, 6);
	bool b = false;
	assert_true(msg_get_bool(&o, "ok", &b));
	assert_true(b);
	char name[32];
	assert_true(msg_get_cstr(&o, "name", name, sizeof name));
	assert_string_equal(name, "Startersfabriek");
	uint64_t u = 0;
	assert_true(msg_get_uint(&o, "records", &u));
	assert_int_equal(u, 70000);
	const msgpack_object *off = msg_get(&o, "offset");
	assert_non_null(off);
	assert_int_equal(off->type, MSGPACK_OBJECT_NEGATIVE_INTEGER);
	assert_int_equal(off->via.i64, -1234);
	assert_true(msg_get_bool(&o, "curator", &b));
	assert_false(b);
	const uint8_t *p;
	size_t len;
	assert_true(msg_get_bin(&o, "cid", &p, &len));
	assert_int_equal(len, sizeof blob);
	assert_memory_equal(p, blob, sizeof blob);
	msgpack_zone_destroy(&zone);
	gl_buf_free(&out);
}

/* Every size class of integer, positive and negative, packs as before. */
static void test_same_bytes_as_before(void **state)
{
	(void)state;
	static const int64_t ints[] = { 0, 5, 127, 128, 70000, 5000000000LL, -1, -32, -33,
	                                -129, -70000, -5000000000LL };
	for (size_t k = 0; k < sizeof ints / sizeof ints[0]; k++) {
		struct gl_buf a = { 0 }, b = { 0 };
		answer(&a, ints[k]);
		answer_by_hand(&b, ints[k]);
		assert_int_equal(a.len, b.len);
		assert_memory_equal(a.data, b.data, a.len);
		gl_buf_free(&a);
		gl_buf_free(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields_read_back),
		cmocka_unit_test(test_same_bytes_as_before),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

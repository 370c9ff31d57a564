/* Unit tests: the strict msgpack reader (proto/mp.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto/mp.h"

static const struct mp_limits wide = { .depth = 8, .str = 1000, .array = 100, .map = 100, .values = 1000 };

static int check(const void *p, size_t n, const struct mp_limits *lim)
{
	struct mp_reader r;
	uint32_t values = 0;
	mp_reader_init(&r, p, n);
	int rc = mp_check_value(&r, lim, 0, &values, NULL);
	if (rc == 0 && mp_left(&r) != 0)
		return 99; /* trailing bytes: the tests below never expect that */
	return rc;
}

#define OK(...) do { const uint8_t b[] = { __VA_ARGS__ }; assert_int_equal(check(b, sizeof b, &wide), 0); } while (0)
#define BAD(code, ...) do { const uint8_t b[] = { __VA_ARGS__ }; assert_int_equal(check(b, sizeof b, &wide), code); } while (0)

static void test_shortest_integers(void **state)
{
	(void)state;
	OK(0x7f);                    /* positive fixint */
	OK(0xcc, 0x80);              /* uint8 128 */
	BAD(GL_EFORMAT, 0xcc, 0x7f); /* 127 fits a fixint */
	OK(0xcd, 0x01, 0x00);        /* uint16 256 */
	BAD(GL_EFORMAT, 0xcd, 0x00, 0xff);
	OK(0xce, 0x00, 0x01, 0x00, 0x00);
	BAD(GL_EFORMAT, 0xce, 0x00, 0x00, 0xff, 0xff);
	OK(0xcf, 0, 0, 0, 1, 0, 0, 0, 0);
	BAD(GL_EFORMAT, 0xcf, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff);
	OK(0xe0);                    /* -32 */
	OK(0xd0, 0xdf);              /* -33 */
	BAD(GL_EFORMAT, 0xd0, 0xe0); /* -32 fits a negative fixint */
	BAD(GL_EFORMAT, 0xd0, 0x05); /* positive value in a signed form */
	OK(0xd1, 0xff, 0x7f);        /* -129 */
	BAD(GL_EFORMAT, 0xd1, 0xff, 0x80); /* -128 fits int8 */
	OK(0xd2, 0xff, 0xff, 0x7f, 0xff);
	BAD(GL_EFORMAT, 0xd2, 0xff, 0xff, 0x80, 0x00);
	OK(0xd3, 0xff, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff);
	BAD(GL_EFORMAT, 0xd3, 0xff, 0xff, 0xff, 0xff, 0x80, 0, 0, 0);
}

static void test_shortest_headers(void **state)
{
	(void)state;
	BAD(GL_EFORMAT, 0xd9, 0x01, 'a');          /* str8 for 1 byte */
	BAD(GL_EFORMAT, 0xdc, 0x00, 0x01, 0xc0);   /* array16 for 1 item */
	BAD(GL_EFORMAT, 0xde, 0x00, 0x01, 0xa1, 'a', 0xc0);
	OK(0xc4, 0x00);                            /* bin8 is bin's shortest form */
	BAD(GL_EFORMAT, 0xc5, 0x00, 0x01, 0x00);   /* bin16 for 1 byte */
	/* the widest fix forms: 15 entries, 15 items, 31 bytes, 127 and -32 */
	OK(0x8f, 0xa1, 'a', 0, 0xa1, 'b', 0, 0xa1, 'c', 0, 0xa1, 'd', 0, 0xa1, 'e', 0,
	   0xa1, 'f', 0, 0xa1, 'g', 0, 0xa1, 'h', 0, 0xa1, 'i', 0, 0xa1, 'j', 0,
	   0xa1, 'k', 0, 0xa1, 'l', 0, 0xa1, 'm', 0, 0xa1, 'n', 0, 0xa1, 'o', 0);
	OK(0x9f, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14);
	OK(0xbf, 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a',
	   'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a');
	OK(0x7f);
	OK(0xe0);
	BAD(GL_EFORMAT, 0xdc, 0x00, 0x0f, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14);
}

static void test_types(void **state)
{
	(void)state;
	OK(0xc0);
	OK(0xc2);
	OK(0xc3);
	BAD(GL_EFORMAT, 0xc1);
	BAD(GL_EFORMAT, 0xca, 0, 0, 0, 0);                   /* float32 */
	BAD(GL_EFORMAT, 0xcb, 0, 0, 0, 0, 0, 0, 0, 0);       /* float64 */
	BAD(GL_EFORMAT, 0xd4, 0x01, 0x00);                   /* fixext1 */
	BAD(GL_EFORMAT, 0xc7, 0x00, 0x01);                   /* ext8 */
	BAD(GL_EFORMAT, 0x81, 0x01, 0x02);                   /* map key not a string */
	BAD(GL_EFORMAT, 0x82, 0xa1, 'a', 0x01, 0xa1, 'a', 0x02); /* duplicate key */
	OK(0x82, 0xa1, 'a', 0x01, 0xa1, 'b', 0x02);
	BAD(GL_ELIMIT, 0x81, 0xa0, 0x01);                    /* empty key */
}

static void test_utf8(void **state)
{
	(void)state;
	OK(0xa2, 0xc3, 0xa9);                    /* é */
	BAD(GL_EFORMAT, 0xa2, 0xc0, 0xa9);       /* overlong */
	BAD(GL_EFORMAT, 0xa3, 0xed, 0xa0, 0x80); /* surrogate */
	BAD(GL_EFORMAT, 0xa1, 0x00);             /* NUL */
	BAD(GL_EFORMAT, 0xa1, 0xff);
	BAD(GL_EFORMAT, 0xa4, 0xf4, 0x90, 0x80, 0x80); /* beyond U+10FFFF */
	BAD(GL_EFORMAT, 0xa2, 0xe2, 0x82);       /* cut inside a character */
	assert_true(mp_utf8_valid((const uint8_t *)"gr\xc3\xbc\xc3\x9f", 6));
}

/* The same verdicts at every offset: before, inside and after a run of
 * eight ASCII bytes the validator skips at once. */
static void test_utf8_every_offset(void **state)
{
	(void)state;
	static const struct {
		const char *bytes;
		size_t len;
		bool valid;
	} cases[] = {
		{ "\xc3\xa9", 2, true },          { "\xe2\x82\xac", 3, true },
		{ "\xf0\x9f\x99\x82", 4, true },  { "", 1, false /* NUL */ },
		{ "\x80", 1, false },              { "\xff", 1, false },
		{ "\xc0\xa9", 2, false },          { "\xed\xa0\x80", 3, false },
		{ "\xf4\x90\x80\x80", 4, false }, { "\x7f", 1, true },
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
		for (size_t len = 1; len <= 24; len++)
			for (size_t at = 0; at + cases[c].len <= len; at++) {
				uint8_t buf[24];
				memset(buf, 'a', sizeof buf);
				memcpy(buf + at, cases[c].bytes, cases[c].len);
				if (mp_utf8_valid(buf, len) != cases[c].valid)
					fail_msg("case %zu at %zu of %zu: expected %s", c, at, len,
					         cases[c].valid ? "valid" : "invalid");
			}
	/* a character cut by the end of the string, wherever the end falls */
	for (size_t len = 1; len <= 24; len++) {
		uint8_t buf[24];
		memset(buf, 'a', sizeof buf);
		buf[len - 1] = 0xe2;
		assert_false(mp_utf8_valid(buf, len));
	}
}

static void test_limits(void **state)
{
	(void)state;
	struct mp_limits tight = { .depth = 2, .str = 3, .array = 2, .map = 1, .values = 5 };
	const uint8_t deep[] = { 0x91, 0x91, 0x91, 0x01 };
	assert_int_equal(check(deep, sizeof deep, &tight), GL_ELIMIT);
	const uint8_t two[] = { 0x91, 0x91, 0x01 };
	assert_int_equal(check(two, sizeof two, &tight), 0);
	const uint8_t longstr[] = { 0xa4, 'a', 'b', 'c', 'd' };
	assert_int_equal(check(longstr, sizeof longstr, &tight), GL_ELIMIT);
	const uint8_t bigarr[] = { 0x93, 1, 2, 3 };
	assert_int_equal(check(bigarr, sizeof bigarr, &tight), GL_ELIMIT);
	const uint8_t bigmap[] = { 0x82, 0xa1, 'a', 1, 0xa1, 'b', 2 };
	assert_int_equal(check(bigmap, sizeof bigmap, &tight), GL_ELIMIT);
	const uint8_t many[] = { 0x92, 0x92, 1, 2, 0x92, 3, 4 }; /* 7 values */
	assert_int_equal(check(many, sizeof many, &tight), GL_ELIMIT);
}

static void test_counts_cannot_exceed_input(void **state)
{
	(void)state;
	/* even with no item limit, an array32 claiming 2^32-1 items in 5 bytes
	 * fails without allocating: every item needs at least one byte */
	struct mp_limits huge = { .depth = 8, .str = UINT32_MAX, .array = UINT32_MAX,
	                          .map = UINT32_MAX, .values = UINT32_MAX };
	const uint8_t a[] = { 0xdd, 0xff, 0xff, 0xff, 0xff };
	const uint8_t m[] = { 0xdf, 0x00, 0x01, 0x00, 0x00 };
	const uint8_t s[] = { 0xdb, 0x00, 0x01, 0x00, 0x00 };
	assert_int_equal(check(a, sizeof a, &huge), GL_ETRUNC);
	assert_int_equal(check(m, sizeof m, &huge), GL_ETRUNC);
	assert_int_equal(check(s, sizeof s, &huge), GL_ETRUNC);
	/* and under ordinary limits the count itself is over the limit */
	BAD(GL_ELIMIT, 0xdd, 0xff, 0xff, 0xff, 0xff);
}

static void test_every_prefix_is_truncated(void **state)
{
	(void)state;
	const uint8_t v[] = { 0x83, 0xa1, 'a', 0xcd, 0x01, 0x00, 0xa1, 'b', 0x92, 0xc3, 0xa2, 0xc3,
	                      0xa9, 0xa1, 'c', 0xc4, 0x02, 0xff, 0x00 };
	assert_int_equal(check(v, sizeof v, &wide), 0);
	for (size_t n = 0; n < sizeof v; n++)
		assert_int_equal(check(v, n, &wide), GL_ETRUNC);
}

/* What mp_write_* writes reads back, every value in its shortest form. */
static void test_write_reads_back(void **state)
{
	(void)state;
	struct gl_buf b = { 0 };
	const uint8_t bin[3] = { 0, 1, 2 };
	mp_write_map(&b, 2);
	mp_write_str(&b, "k", 1);
	mp_write_array(&b, 4);
	mp_write_uint(&b, 300);
	mp_write_bool(&b, true);
	mp_write_bool(&b, false);
	mp_write_bin(&b, bin, sizeof bin);
	mp_write_str(&b, "e", 1);
	mp_write_str(&b, "", 0);
	const uint8_t want[] = { 0x82, 0xa1, 'k', 0x94, 0xcd, 0x01, 0x2c, 0xc3, 0xc2,
	                         0xc4, 3, 0, 1, 2, 0xa1, 'e', 0xa0 };
	assert_int_equal(b.len, sizeof want);
	assert_memory_equal(b.data, want, sizeof want);
	assert_int_equal(check(b.data, b.len, &wide), 0);
	gl_buf_free(&b);
}

/* mp_skip passes over exactly the value mp_check_value accepts, nested
 * or not, and over nothing that is cut short or claims more than it holds. */
static void test_skip(void **state)
{
	(void)state;
	/* {"a": [1, {"b": "xy"}, []], "c": nil} then a trailing 7 */
	const uint8_t v[] = { 0x82, 0xa1, 'a', 0x93, 0x01, 0x81, 0xa1, 'b', 0xa2, 'x', 'y', 0x90,
		              0xa1, 'c', 0xc0, 0x07 };
	struct mp_reader r;
	mp_reader_init(&r, v, sizeof v);
	assert_int_equal(mp_skip(&r, NULL), 0);
	assert_int_equal(mp_left(&r), 1);
	assert_int_equal(*r.p, 0x07);
	for (size_t n = 0; n < sizeof v - 1; n++) { /* every prefix is truncated */
		mp_reader_init(&r, v, n);
		assert_int_equal(mp_skip(&r, NULL), GL_ETRUNC);
	}
	/* an array32 of 2^32 - 1 items in six bytes: refused at once */
	const uint8_t big[] = { 0xdd, 0xff, 0xff, 0xff, 0xff, 0x01 };
	mp_reader_init(&r, big, sizeof big);
	assert_int_equal(mp_skip(&r, NULL), GL_ETRUNC);
	/* what it does not check: a string that is not UTF-8 is passed over */
	const uint8_t raw[] = { 0x91, 0xa1, 0xff };
	mp_reader_init(&r, raw, sizeof raw);
	assert_int_equal(mp_skip(&r, NULL), 0);
	assert_int_equal(mp_left(&r), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shortest_integers),
		cmocka_unit_test(test_shortest_headers),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_utf8_every_offset),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_counts_cannot_exceed_input),
		cmocka_unit_test(test_every_prefix_is_truncated),
		cmocka_unit_test(test_write_reads_back),
		cmocka_unit_test(test_skip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

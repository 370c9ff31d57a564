/* Unit tests: the trust rule (daemon/store/trust.c). */
#include "testutil.h"

#include <unistd.h>

#include "proto/clock.h"
#include "proto/ident.h"
#include "store/store.h"
#include "store/trust.h"

static uint8_t cpk[32], csk[64];   /* curator 1 */
static uint8_t dpk[32], dsk[64];   /* curator 2 */
static uint8_t ppk[32], psk[64];   /* a partner */
static uint8_t own[32], osk[64];
static char dir[64];
static struct store *st;
static struct trust_cfg cfg;
static uint8_t curators[2][32];
static uint64_t version = 1;

/* Store a statement by signer about subject, issued at `issued`. */
static void say(const uint8_t sk[64], int kind, const uint8_t subject[32], uint64_t issued,
                  const char *until, bool tombstone)
{
	char key[IDENT_TEXT_MAX], id[65];
	ident_format(IDENT_PK_PREFIX, subject, key);
	trust_key_id(subject, id);
	struct gl_buf body = { 0 }, env = { 0 };
	msgpack_packer pk;
	msgpack_packer_init(&pk, &body, tu_buf_write);
	msgpack_pack_map(&pk, kind == RK_ENDORSE ? (until ? 3 : 2) : 1);
	tu_str(&pk, "key");
	tu_str(&pk, key);
	if (kind == RK_ENDORSE) {
		tu_str(&pk, "name");
		tu_str(&pk, "Partner");
		if (until) {
			tu_str(&pk, "until");
			tu_str(&pk, until);
		}
	}
	struct record_draft d = { .kind = kind, .id = id, .id_len = 64, .version = version++,
	                          .issued = issued, .expires = issued + 100000000,
	                          .body = tombstone ? NULL : body.data,
	                          .body_len = tombstone ? 0 : body.len };
	assert_int_equal(record_sign(&d, sk, &env, NULL), 0);
	struct record r;
	assert_int_equal(record_parse(env.data, env.len, &r, NULL), 0);
	struct store_txn *t;
	enum store_outcome oc;
	assert_int_equal(store_begin(st, true, &t, NULL), 0);
	assert_int_equal(store_put(t, &r, &oc, NULL), 0);
	assert_int_equal(store_commit(t, NULL), 0);
	gl_buf_free(&body);
	gl_buf_free(&env);
}

static enum trust_verdict verdict(const uint8_t *who, uint64_t now)
{
	struct store_txn *t;
	enum trust_verdict v;
	assert_int_equal(store_begin(st, false, &t, NULL), 0);
	assert_int_equal(trust_check(&cfg, t, who, now, &v, NULL), 0);
	store_abort(t);
	return v;
}

static int setup(void **state)
{
	(void)state;
	if (tu_tmpdir(dir, "trust"))
		return -1;
	char path[128];
	snprintf(path, sizeof path, "%s/s", dir);
	if (store_open(path, 0, 1 << 24, &st, NULL))
		return -1;
	memcpy(curators[0], cpk, 32);
	memcpy(curators[1], dpk, 32);
	memset(&cfg, 0, sizeof cfg);
	memcpy(cfg.own, own, 32);
	cfg.curators = curators;
	cfg.ncurators = 1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	store_close(st);
	return tu_rmtree(dir);
}

static void test_fixed_trust(void **state)
{
	(void)state;
	assert_int_equal(verdict(own, 1000), TRUST_OK);
	assert_int_equal(verdict(cpk, 1000), TRUST_OK);
	assert_int_equal(verdict(ppk, 1000), TRUST_UNKNOWN);
	uint8_t allow[1][32];
	memcpy(allow[0], ppk, 32);
	cfg.allow = allow;
	cfg.nallow = 1;
	assert_int_equal(verdict(ppk, 1000), TRUST_OK);
	cfg.nallow = 0;
	cfg.open = true;
	assert_int_equal(verdict(ppk, 1000), TRUST_OK);
	cfg.open = false;
	/* an endorsement by a key that is not a curator means nothing */
	say(dsk, RK_ENDORSE, ppk, 1000, NULL, false);
	assert_int_equal(verdict(ppk, 2000), TRUST_UNKNOWN);
}

static void test_latest_statement_counts(void **state)
{
	(void)state;
	say(csk, RK_ENDORSE, ppk, 1000, NULL, false);
	assert_int_equal(verdict(ppk, 2000), TRUST_OK);
	say(csk, RK_REVOKE, ppk, 3000, NULL, false);
	assert_int_equal(verdict(ppk, 4000), TRUST_REVOKED);
	/* a later endorsement by the same curator re-admits */
	say(csk, RK_ENDORSE, ppk, 5000, NULL, false);
	assert_int_equal(verdict(ppk, 6000), TRUST_OK);
	/* a revocation issued in the same second wins */
	say(csk, RK_REVOKE, ppk, 5000, NULL, false);
	assert_int_equal(verdict(ppk, 6000), TRUST_REVOKED);
	/* a tombstone says nothing: the endorsement stands again */
	say(csk, RK_REVOKE, ppk, 7000, NULL, true);
	assert_int_equal(verdict(ppk, 8000), TRUST_OK);
}

static void test_until(void **state)
{
	(void)state;
	/* until 2026-01-01 holds through that day, UTC */
	int64_t day;
	assert_int_equal(clock_parse("2026-01-01", &day), 0);
	say(csk, RK_ENDORSE, ppk, (uint64_t)day - 1000, "2026-01-01", false);
	assert_int_equal(verdict(ppk, (uint64_t)day + 86399), TRUST_OK);
	assert_int_equal(verdict(ppk, (uint64_t)day + 86400), TRUST_EXPIRED);
}

static void test_any_revocation_wins(void **state)
{
	(void)state;
	cfg.ncurators = 2;
	say(csk, RK_ENDORSE, ppk, 20000, NULL, false);
	assert_int_equal(verdict(ppk, 30000), TRUST_OK);
	say(dsk, RK_REVOKE, ppk, 10000, NULL, false); /* older than the other's endorsement */
	assert_int_equal(verdict(ppk, 30000), TRUST_REVOKED);
	cfg.ncurators = 1;
	assert_int_equal(verdict(ppk, 30000), TRUST_OK);
}

static void test_statement_checks(void **state)
{
	(void)state;
	/* the id must be the hex of the key */
	char key[IDENT_TEXT_MAX];
	ident_format(IDENT_PK_PREFIX, ppk, key);
	struct gl_buf body = { 0 }, env = { 0 };
	msgpack_packer pk;
	msgpack_packer_init(&pk, &body, tu_buf_write);
	msgpack_pack_map(&pk, 2);
	tu_str(&pk, "key");
	tu_str(&pk, key);
	tu_str(&pk, "name");
	tu_str(&pk, "x");
	char wrong[65];
	trust_key_id(cpk, wrong);
	struct record_draft d = { .kind = RK_ENDORSE, .id = wrong, .id_len = 64, .version = 1,
	                          .issued = 1, .expires = 2, .body = body.data, .body_len = body.len };
	assert_int_equal(record_sign(&d, csk, &env, NULL), 0);
	struct record r;
	struct trust_statement s;
	assert_int_equal(record_parse(env.data, env.len, &r, NULL), 0);
	assert_int_equal(trust_parse_statement(&r, &s, NULL), GL_EFORMAT);
	gl_buf_free(&body);
	gl_buf_free(&env);
}

static void test_cfg_round_trip(void **state)
{
	(void)state;
	struct store_txn *t;
	struct trust_cfg back;
	cfg.ncurators = 2;
	assert_int_equal(store_begin(st, true, &t, NULL), 0);
	assert_int_equal(trust_cfg_save(&cfg, t, NULL), 0);
	assert_int_equal(store_commit(t, NULL), 0);
	assert_int_equal(store_begin(st, false, &t, NULL), 0);
	assert_int_equal(trust_cfg_load(t, &back, NULL), 0);
	store_abort(t);
	assert_int_equal(back.ncurators, 2);
	assert_memory_equal(back.curators[1], dpk, 32);
	assert_memory_equal(back.own, own, 32);
	trust_cfg_free(&back);
	cfg.ncurators = 1;
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	tu_keypair(1, cpk, csk);
	tu_keypair(2, dpk, dsk);
	tu_keypair(3, ppk, psk);
	tu_keypair(4, own, osk);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fixed_trust, setup, teardown),
		cmocka_unit_test_setup_teardown(test_latest_statement_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_until, setup, teardown),
		cmocka_unit_test_setup_teardown(test_any_revocation_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_statement_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cfg_round_trip, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The writer's groups (daemon/writer.c) and the weights they are cut by. */
#include "testutil.h"

#include <unistd.h>
#include <uv.h>

#include "store/store.h"
#include "daemon/writer.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	return sodium_init() < 0 ? -1 : tu_tmpdir(dir, "writer");
}

static int teardown(void **state)
{
	(void)state;
	tu_rmtree(dir);
	return 0;
}

static struct record rec(const uint8_t *author, int kind, const char *id)
{
	struct record r = { .author = author, .kind = kind, .id = id, .id_len = strlen(id) };
	return r;
}

/* A record costs 1, its terms 1 per WJOB_TERMS_WEIGHT, and being out of
 * the store's order (another author or kind, an earlier id) more. */
static void test_record_weight(void **state)
{
	(void)state;
	uint8_t a[32], b[32];
	memset(a, 1, sizeof a);
	memset(b, 2, sizeof b);
	struct record a1 = rec(a, RK_OFFER, "o1"), a2 = rec(a, RK_OFFER, "o2");
	struct record a10 = rec(a, RK_OFFER, "o10"), an = rec(a, RK_NEWS, "o3");
	struct record b1 = rec(b, RK_OFFER, "o1");
	const unsigned far = 1 + WJOB_SCATTER_WEIGHT;
	assert_int_equal(wjob_record_weight(NULL, &a1, 0), far);
	assert_int_equal(wjob_record_weight(&a1, &a2, 0), 1);
	assert_int_equal(wjob_record_weight(&a1, &a10, 0), 1); /* "o1" < "o10" < "o2" */
	assert_int_equal(wjob_record_weight(&a10, &a2, 0), 1);
	assert_int_equal(wjob_record_weight(&a2, &a10, 0), far);
	assert_int_equal(wjob_record_weight(&a2, &a2, 0), far); /* a second version */
	assert_int_equal(wjob_record_weight(&a2, &an, 0), far);
	assert_int_equal(wjob_record_weight(&a1, &b1, 0), far);
	assert_int_equal(wjob_record_weight(&b1, &a1, 0), far);
	assert_int_equal(wjob_record_weight(&a1, &a2, 80), 1 + 80 / WJOB_TERMS_WEIGHT);
	assert_int_equal(wjob_record_weight(&a1, &a2, WJOB_TERMS_WEIGHT - 1), 1);
}

/* A job that holds its group's transaction open until the others are
 * queued behind it, so the group is cut by weight, not by timing. */
struct tjob {
	struct wjob job;
	uv_sem_t *gate; /* NULL: does not wait */
	int *done;
};

static int tjob_work(struct wjob *job, struct store_txn *t, struct gl_error *err)
{
	(void)t;
	(void)err;
	struct tjob *j = (struct tjob *)job;
	if (j->gate)
		uv_sem_wait(j->gate);
	return 0;
}

static void tjob_done(struct wjob *job)
{
	struct tjob *j = (struct tjob *)job;
	assert_int_equal(job->rc, 0);
	++*j->done;
}

static const struct wjob_kind tjob_kind = { "test", tjob_work, tjob_done };

/* Submit jobs of these weights, the first holding the writer until all
 * are queued; the transactions the writer committed for them. */
static unsigned long long groups_for(const char *name, const unsigned *weights, size_t n)
{
	char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	struct store *s;
	assert_int_equal(store_open(path, 0, 1 << 24, &s, NULL), 0);
	uv_loop_t loop;
	assert_int_equal(uv_loop_init(&loop), 0);
	struct writer w;
	assert_int_equal(writer_init(&w, &loop, s), 0);
	uv_sem_t gate;
	assert_int_equal(uv_sem_init(&gate, 0), 0);
	struct tjob jobs[8];
	int done = 0;
	assert_true(n <= 8);
	for (size_t i = 0; i < n; i++) {
		jobs[i] = (struct tjob){ .job = { .weight = weights[i] },
		                         .gate = i ? NULL : &gate, .done = &done };
		writer_submit(&w, &jobs[i].job, &tjob_kind);
	}
	uv_sem_post(&gate);
	/* bounded: each turn of the loop waits at most 10 ms */
	for (int turn = 0; turn < 1000 && !writer_idle(&w); turn++) {
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(10000);
	}
	assert_true(writer_idle(&w));
	assert_int_equal(done, (int)n);
	uv_mutex_lock(&w.lock);
	unsigned long long groups = w.groups;
	uv_mutex_unlock(&w.lock);
	writer_close(&w);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	uv_sem_destroy(&gate);
	store_close(s);
	return groups;
}

/* Jobs share a group while their weights fit in one; a job that would
 * take the group past it starts the next; one heavier than a group's
 * weight alone makes one. */
static void test_groups_by_weight(void **state)
{
	(void)state;
	enum { G = WRITER_GROUP_WEIGHT };
	static const unsigned light[] = { G / 3, G / 3 }, heavy[] = { G / 2 + 1, G / 2 + 1 },
	                      huge[] = { 2 * G, 1, 1 };
	assert_int_equal(groups_for("light", light, 2), 1);
	assert_int_equal(groups_for("heavy", heavy, 2), 2);
	assert_int_equal(groups_for("huge", huge, 3), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_weight),
		cmocka_unit_test(test_groups_by_weight),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

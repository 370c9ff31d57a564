/*
 * test_web_guard.c — the web guard's clock for a request's headers
 * (daemon/web_guard.c): a connection that sent nothing is cut after
 * WEB_HEADER_MS, one whose request waits unread (the server's threads busy
 * with other answers) is not, and is cut once read if still waiting; the
 * count per address group at accept.
 */
#include "testutil.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/web_guard.h"

/* Whether the server's end of the pair was shut down: the client's end
 * reads end-of-file (the client never wrote, or its bytes were read). */
static bool shut_down(int client)
{
	char c;
	struct timeval tv = { .tv_sec = 1 };
	setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return recv(client, &c, 1, 0) == 0;
}

static void test_unread_request_not_cut(void **state)
{
	(void)state;
	struct web_guard *g = web_guard_new(8, false);
	assert_non_null(g);
	int silent[2], honest[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, silent), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, honest), 0);
	struct web_guard_conn *ws = web_guard_watch(g, silent[0], NULL);
	struct web_guard_conn *wh = web_guard_watch(g, honest[0], NULL);
	assert_non_null(ws);
	assert_non_null(wh);
	static const char req[] = "GET /api/v1/taxonomy HTTP/1.1\r\nHost: x\r\n\r\n";
	assert_int_equal(send(honest[1], req, sizeof req - 1, 0), (ssize_t)(sizeof req - 1));

	uint64_t now = web_guard_now_ms();
	assert_int_equal(web_guard_sweep(g, now), 0); /* in time: none */
	/* past the bound: the silent one only; the request sent waits for a
	 * thread of the server, and the time is the server's */
	assert_int_equal(web_guard_sweep(g, now + WEB_HEADER_MS + 1), 1);
	assert_true(shut_down(silent[1]));
	uint64_t slow, refused;
	web_guard_counts(g, &slow, &refused);
	assert_int_equal(slow, 1);
	/* the server reads the bytes but the headers never end (a slow client
	 * whose first bytes were stuck behind busy threads): cut at the next
	 * sweep */
	char buf[sizeof req];
	assert_int_equal(recv(honest[0], buf, sizeof buf, 0), (ssize_t)(sizeof req - 1));
	assert_int_equal(web_guard_sweep(g, now + WEB_HEADER_MS + 1), 1);
	assert_true(shut_down(honest[1]));
	assert_int_equal(web_guard_sweep(g, now + 10 * WEB_HEADER_MS), 0); /* once each */

	web_guard_unwatch(g, ws);
	web_guard_unwatch(g, wh);
	for (int i = 0; i < 2; i++) {
		close(silent[i]);
		close(honest[i]);
	}
	web_guard_free(g);
}

static void test_waiting_per_group(void **state)
{
	(void)state;
	struct web_guard *g = web_guard_new(2, false);
	assert_non_null(g);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0xc0000201) };
	struct sockaddr_in b = a;
	b.sin_addr.s_addr = htonl(0xc0000202);
	int fds[2][2];
	struct web_guard_conn *w[2];
	for (int i = 0; i < 2; i++) {
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds[i]), 0);
		w[i] = web_guard_watch(g, fds[i][0], (const struct sockaddr *)&a);
		assert_non_null(w[i]);
	}
	/* two of a's connections wait: a third from a is refused, b's is not */
	assert_int_equal(web_guard_accept(g, (const struct sockaddr *)&a, sizeof a), MHD_NO);
	assert_int_equal(web_guard_accept(g, (const struct sockaddr *)&b, sizeof b), MHD_YES);
	web_guard_unwatch(g, w[0]);
	assert_int_equal(web_guard_accept(g, (const struct sockaddr *)&a, sizeof a), MHD_YES);
	web_guard_unwatch(g, w[1]);
	for (int i = 0; i < 2; i++) {
		close(fds[i][0]);
		close(fds[i][1]);
	}
	uint64_t slow, refused;
	web_guard_counts(g, &slow, &refused);
	assert_int_equal(refused, 1);
	web_guard_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unread_request_not_cut),
		cmocka_unit_test(test_waiting_per_group),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

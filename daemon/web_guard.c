#include "daemon/web_guard.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

/* How often the guard's thread looks for connections out of time. */
#define SWEEP_MS 250

/* One connection being watched: its socket_context. */
struct web_guard_conn {
	int fd;
	uint8_t group[16];   /* IPv6 /64, or IPv4-mapped */
	bool waiting;        /* for a request's headers */
	bool shut;           /* shut down already */
	uint64_t since_ms;   /* waiting since */
	struct web_guard_conn *prev, *next;
};

struct web_guard {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool quit;
	struct web_guard_conn *head;
	uint64_t slow, refused;
	unsigned waiting_max;  /* connections waiting for headers per group */
	bool proxy_exempt;     /* loopback (the proxy) is not counted */
};

uint64_t web_guard_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The group of a client address: IPv4 (mapped) whole, IPv6 by its /64. */
static void group_of(const struct sockaddr *sa, uint8_t out[16])
{
	static const uint8_t v4_mapped[12] = { [10] = 0xff, [11] = 0xff };
	memset(out, 0, 16);
	if (sa && sa->sa_family == AF_INET) {
		memcpy(out, v4_mapped, 12);
		memcpy(out + 12, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
	} else if (sa && sa->sa_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
		if (memcmp(out, v4_mapped, 12))
			memset(out + 8, 0, 8);
	}
}

/* Whether a group is this machine's: ::1 or 127.0.0.0/8. */
static bool group_loopback(const uint8_t grp[16])
{
	static const uint8_t v4_mapped[12] = { [10] = 0xff, [11] = 0xff };
	static const uint8_t one[8] = { 0 }; /* ::1's /64 is all zeros */
	if (!memcmp(grp, v4_mapped, 12))
		return grp[12] == 127;
	return !memcmp(grp, one, 8);
}

/* Whether bytes the client sent wait unread in fd's socket: then the
 * time is the server's (its threads busy with other answers), not the
 * client's, and the connection is not cut for it. */
static bool unread(int fd)
{
	int n = 0;
	return ioctl(fd, FIONREAD, &n) == 0 && n > 0;
}

unsigned web_guard_sweep(struct web_guard *g, uint64_t now_ms)
{
	unsigned cut = 0;
	pthread_mutex_lock(&g->lock);
	/* the socket stays open while its entry is here (closing removes it
	 * under this lock first): shutting it down makes libmicrohttpd read
	 * its end and close it */
	for (struct web_guard_conn *w = g->head; w; w = w->next)
		if (w->waiting && !w->shut && now_ms - w->since_ms > WEB_HEADER_MS && !unread(w->fd)) {
			shutdown(w->fd, SHUT_RDWR);
			w->shut = true;
			g->slow++;
			cut++;
		}
	pthread_mutex_unlock(&g->lock);
	return cut;
}

static void *sweeper(void *arg)
{
	struct web_guard *g = arg;
	pthread_mutex_lock(&g->lock);
	while (!g->quit) {
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until); /* the condition's clock */
		until.tv_nsec += SWEEP_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&g->wake, &g->lock, &until);
		if (g->quit)
			break;
		pthread_mutex_unlock(&g->lock);
		web_guard_sweep(g, web_guard_now_ms());
		pthread_mutex_lock(&g->lock);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

struct web_guard *web_guard_new(unsigned waiting_max, bool proxy_exempt)
{
	struct web_guard *g = calloc(1, sizeof *g);
	if (!g)
		return NULL;
	g->waiting_max = waiting_max ? waiting_max : 1;
	g->proxy_exempt = proxy_exempt;
	pthread_mutex_init(&g->lock, NULL);
	/* the sweeper's wait is measured on the monotonic clock: one on the
	 * wall clock would sleep an hour if the clock were set back an hour */
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&g->thread, NULL, sweeper, g) != 0) {
		pthread_cond_destroy(&g->wake);
		pthread_mutex_destroy(&g->lock);
		free(g);
		return NULL;
	}
	return g;
}

void web_guard_free(struct web_guard *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->lock);
	g->quit = true;
	pthread_cond_signal(&g->wake);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->thread, NULL);
	for (struct web_guard_conn *w = g->head, *next; w; w = next) {
		next = w->next;
		free(w);
	}
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

enum MHD_Result web_guard_accept(void *cls, const struct sockaddr *addr, socklen_t len)
{
	struct web_guard *g = cls;
	uint8_t grp[16];
	(void)len;
	group_of(addr, grp);
	if (g->proxy_exempt && group_loopback(grp))
		return MHD_YES;
	unsigned waiting = 0;
	pthread_mutex_lock(&g->lock);
	for (struct web_guard_conn *w = g->head; w; w = w->next)
		waiting += w->waiting && !w->shut && !memcmp(w->group, grp, 16);
	bool ok = waiting < g->waiting_max;
	g->refused += !ok;
	pthread_mutex_unlock(&g->lock);
	return ok ? MHD_YES : MHD_NO;
}

void web_guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                      enum MHD_ConnectionNotificationCode code)
{
	struct web_guard *g = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fd = MHD_get_connection_info(c,
			MHD_CONNECTION_INFO_CONNECTION_FD);
		const union MHD_ConnectionInfo *ad = MHD_get_connection_info(c,
			MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		/* NULL, not watched: the connection still has MHD's timeout */
		*socket_context = fd ? web_guard_watch(g, fd->connect_fd,
		                                       ad ? ad->client_addr : NULL) : NULL;
		return;
	}
	if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
		web_guard_unwatch(g, *socket_context);
		*socket_context = NULL;
	}
}

struct web_guard_conn *web_guard_watch(struct web_guard *g, int fd, const struct sockaddr *addr)
{
	struct web_guard_conn *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->fd = fd;
	group_of(addr, w->group);
	w->waiting = true;
	w->since_ms = web_guard_now_ms();
	pthread_mutex_lock(&g->lock);
	w->next = g->head;
	if (g->head)
		g->head->prev = w;
	g->head = w;
	pthread_mutex_unlock(&g->lock);
	return w;
}

void web_guard_unwatch(struct web_guard *g, struct web_guard_conn *w)
{
	pthread_mutex_lock(&g->lock);
	if (w->prev)
		w->prev->next = w->next;
	else
		g->head = w->next;
	if (w->next)
		w->next->prev = w->prev;
	pthread_mutex_unlock(&g->lock);
	free(w);
}

/* c's watched entry, or NULL. */
static struct web_guard_conn *watched_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
		MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

void web_guard_headers(struct web_guard *g, struct MHD_Connection *c)
{
	struct web_guard_conn *w = watched_of(c);
	if (!w)
		return;
	pthread_mutex_lock(&g->lock);
	w->waiting = false;
	pthread_mutex_unlock(&g->lock);
}

void web_guard_answered(struct web_guard *g, struct MHD_Connection *c)
{
	struct web_guard_conn *w = watched_of(c);
	if (!w)
		return;
	pthread_mutex_lock(&g->lock);
	w->waiting = true;
	w->since_ms = web_guard_now_ms();
	pthread_mutex_unlock(&g->lock);
}

void web_guard_counts(struct web_guard *g, uint64_t *slow, uint64_t *refused)
{
	pthread_mutex_lock(&g->lock);
	*slow = g->slow;
	*refused = g->refused;
	pthread_mutex_unlock(&g->lock);
}

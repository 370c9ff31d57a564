/*
 * web_guard.h — the web server's guard against slow clients (issue 24:
 * one byte a second from 16 addresses held all 256 connections for a
 * minute, and no honest request was answered).  libmicrohttpd's own
 * timeout is one of silence, which a byte a second never reaches; so:
 *
 *   - a request's line and headers must arrive within WEB_HEADER_MS of the
 *     connection opening (or of the answer before, on a kept-alive one);
 *     past that, the guard's thread shuts the socket down and
 *     libmicrohttpd closes it — unless bytes the client sent wait unread
 *     in the socket: then the server is the slow one (its threads busy
 *     with other answers), and an honest request is not cut for it;
 *   - one address group (an IPv4 address, an IPv6 /64) holds at most
 *     [web] waiting_per_ip connections waiting for their headers (8 by
 *     default); a further one is refused at accept (a browser opens six at
 *     most).  Behind a proxy on this machine ([web] behind_proxy), the
 *     proxy's own address is not counted: every starter's requests come
 *     from it, kept alive in its pool, and the proxy itself takes the
 *     slow clients.
 *
 * So sixteen slow addresses hold at most 128 of the connections (by
 * default), each for WEB_HEADER_MS at a time.  The guard gets its events from
 * libmicrohttpd's accept policy and connection notices (web.c passes
 * them), and from web.c when headers have arrived or an answer is done.
 * Any thread; the state is behind one mutex.
 */
#ifndef GILDE_WEB_GUARD_H
#define GILDE_WEB_GUARD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <microhttpd.h>

#define WEB_HEADER_MS 5000

struct web_guard;
struct web_guard_conn;

/* A guard with its thread running, allowing waiting_max connections
 * waiting per address group (at least 1), and any number from a loopback
 * address if proxy_exempt; NULL if the thread cannot start. */
struct web_guard *web_guard_new(unsigned waiting_max, bool proxy_exempt);
/* Stop the thread and free the guard (after MHD_stop_daemon). */
void web_guard_free(struct web_guard *g);

/* MHD_AcceptPolicyCallback: refuse an address group already waiting on
 * waiting_max connections.  cls is the guard. */
enum MHD_Result web_guard_accept(void *cls, const struct sockaddr *addr, socklen_t len);
/* MHD_NotifyConnectionCallback: start and stop watching a connection. */
void web_guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                      enum MHD_ConnectionNotificationCode code);
/* c's request has its headers: its clock stops. */
void web_guard_headers(struct web_guard *g, struct MHD_Connection *c);
/* c's answer is done: it waits for the next request's headers. */
void web_guard_answered(struct web_guard *g, struct MHD_Connection *c);

/* Watching by hand (web_guard_notify does it for libmicrohttpd's
 * connections): start watching fd, a connection from addr (NULL: no
 * address) that now waits for its headers; NULL if out of memory.  The
 * entry is the guard's until web_guard_unwatch(), which must come before
 * fd is closed. */
struct web_guard_conn *web_guard_watch(struct web_guard *g, int fd, const struct sockaddr *addr);
void web_guard_unwatch(struct web_guard *g, struct web_guard_conn *w);
/* Shut down the connections waiting for their headers for more than
 * WEB_HEADER_MS at now_ms (web_guard_now_ms's clock) whose sockets hold
 * no unread bytes; returns how many.  The guard's thread calls it every
 * 250 ms; any thread may. */
unsigned web_guard_sweep(struct web_guard *g, uint64_t now_ms);
/* The guard's clock: CLOCK_MONOTONIC in milliseconds. */
uint64_t web_guard_now_ms(void);

/* Connections shut down for taking too long over their headers, and
 * connections refused at accept, so far. */
void web_guard_counts(struct web_guard *g, uint64_t *slow, uint64_t *refused);

#endif

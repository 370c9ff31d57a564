#include "net.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "log.h"

struct net {
	uv_tcp_t listener;
	bool listening;
};

static void on_conn_closed(uv_handle_t *h)
{
	free(h);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct node *n = server->data;
	if (status < 0)
		return;
	uv_tcp_t *c = gl_xmalloc(sizeof *c);
	uv_tcp_init(n->loop, c);
	if (uv_accept(server, (uv_stream_t *)c) == 0)
		log_debug("peer-refused", "reason=federation-not-implemented");
	uv_close((uv_handle_t *)c, on_conn_closed);
}

int net_start(struct node *n, struct gl_error *err)
{
	char host[256];
	int port;
	struct sockaddr_storage ss;
	if (config_parse_addr(n->cfg.listen, host, sizeof host, &port))
		return gl_errorf(err, GL_ECONFIG, "[node] listen: \"%s\" is not HOST:PORT", n->cfg.listen);
	if (uv_ip4_addr(host, port, (struct sockaddr_in *)&ss) != 0 &&
	    uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss) != 0)
		return gl_errorf(err, GL_ECONFIG,
		                 "[node] listen: \"%s\" must be a numeric IPv4 or IPv6 address", host);
	struct net *net = gl_xcalloc(1, sizeof *net);
	n->net = net;
	uv_tcp_init(n->loop, &net->listener);
	net->listener.data = n;
	int rc = uv_tcp_bind(&net->listener, (struct sockaddr *)&ss, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&net->listener, 128, on_connection);
	if (rc)
		return gl_errorf(err, GL_EIO, "cannot listen on %s: %s", n->cfg.listen, uv_strerror(rc));
	net->listening = true;
	struct sockaddr_storage bound;
	int len = sizeof bound;
	char ip[64];
	uv_tcp_getsockname(&net->listener, (struct sockaddr *)&bound, &len);
	if (bound.ss_family == AF_INET6) {
		uv_ip6_name((struct sockaddr_in6 *)&bound, ip, sizeof ip);
		snprintf(n->listen_addr, sizeof n->listen_addr, "[%s]:%d", ip,
		         ntohs(((struct sockaddr_in6 *)&bound)->sin6_port));
	} else {
		uv_ip4_name((struct sockaddr_in *)&bound, ip, sizeof ip);
		snprintf(n->listen_addr, sizeof n->listen_addr, "%s:%d", ip,
		         ntohs(((struct sockaddr_in *)&bound)->sin_port));
	}
	return 0;
}

void net_close(struct node *n)
{
	struct net *net = n->net;
	if (net && net->listening) {
		uv_close((uv_handle_t *)&net->listener, NULL);
		net->listening = false;
	}
}

void net_free(struct node *n)
{
	free(n->net);
	n->net = NULL;
}

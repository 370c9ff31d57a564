#include "daemon/ctl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/ctl_pack.h"
#include "daemon/log.h"
#include "proto/msg.h"

/*
 * A request being answered.  A client may have CTL_INFLIGHT of them at once
 * (so that an import keeps the verifiers busy while the previous batch is
 * committed); answers leave in the order the requests came.
 */
struct ctl_req {
	struct ctl_client *cl;
	bool answered;
	struct gl_buf reply;
	struct ctl_req *next;
};

struct ctl_client {
	uv_pipe_t pipe;
	struct ctl *ctl;
	struct gl_buf in;
	struct ctl_req *head, *tail; /* requests in arrival order */
	unsigned inflight;           /* requests not yet answered and written */
	bool reading;
	bool closing;
	struct ctl_client *prev, *next;
};

#define CTL_INFLIGHT 2

struct ctl {
	struct node *node;
	const struct ctl_op *ops;
	uv_pipe_t server;
	struct ctl_client *clients;
	char path[PATHS_MAX];
	bool listening;
};

struct ctl_write {
	uv_write_t req;
	struct ctl_client *cl;
	struct gl_buf buf;
};

static void process(struct ctl_client *cl);
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

struct node *ctl_node(struct ctl_req *rq)
{
	return rq->cl->ctl->node;
}

static void client_closed(uv_handle_t *h)
{
	struct ctl_client *cl = h->data;
	struct ctl *c = cl->ctl;
	if (cl->prev)
		cl->prev->next = cl->next;
	else
		c->clients = cl->next;
	if (cl->next)
		cl->next->prev = cl->prev;
	gl_buf_free(&cl->in);
	free(cl);
}

/* Close once no request is in flight: handlers hold on to their request. */
static void client_close(struct ctl_client *cl)
{
	cl->closing = true;
	if (cl->inflight || uv_is_closing((uv_handle_t *)&cl->pipe))
		return;
	uv_close((uv_handle_t *)&cl->pipe, client_closed);
}

static void set_reading(struct ctl_client *cl, bool on)
{
	if (cl->closing || on == cl->reading)
		return;
	cl->reading = on;
	if (on)
		uv_read_start((uv_stream_t *)&cl->pipe, on_alloc, on_read);
	else
		uv_read_stop((uv_stream_t *)&cl->pipe);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct ctl_client *cl = h->data;
	(void)suggested;
	gl_buf_reserve(&cl->in, 65536);
	buf->base = (char *)cl->in.data + cl->in.len;
	buf->len = cl->in.cap - cl->in.len;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct ctl_client *cl = s->data;
	(void)buf;
	if (nread < 0) {
		client_close(cl);
		return;
	}
	cl->in.len += (size_t)nread;
	process(cl);
}

static void on_written(uv_write_t *req, int status)
{
	struct ctl_write *w = req->data;
	struct ctl_client *cl = w->cl;
	gl_buf_free(&w->buf);
	free(w);
	cl->inflight--;
	if (status < 0 || cl->closing) {
		client_close(cl);
		return;
	}
	process(cl);
}

/* Write the answers that are due: the oldest requests, in order. */
static void flush(struct ctl_client *cl)
{
	while (cl->head && cl->head->answered) {
		struct ctl_req *rq = cl->head;
		cl->head = rq->next;
		if (!cl->head)
			cl->tail = NULL;
		struct ctl_write *w = gl_xcalloc(1, sizeof *w);
		w->cl = cl;
		w->buf = rq->reply;
		free(rq);
		w->req.data = w;
		uv_buf_t b = uv_buf_init((char *)w->buf.data, (unsigned)w->buf.len);
		if (cl->closing || uv_write(&w->req, (uv_stream_t *)&cl->pipe, &b, 1, on_written) != 0) {
			gl_buf_free(&w->buf);
			free(w);
			cl->inflight--;
			client_close(cl);
		}
	}
}

void ctl_reply(struct ctl_req *rq, struct gl_buf *msg)
{
	msg_end(msg, 0);
	rq->reply = *msg;
	memset(msg, 0, sizeof *msg);
	rq->answered = true;
	flush(rq->cl);
}

void ctl_reply_error(struct ctl_req *rq, int code, const char *text)
{
	struct gl_buf out = { 0 };
	msgpack_packer pk;
	msg_begin(&out, &pk);
	msgpack_pack_map(&pk, 3);
	ctl_pack_bool(&pk, "ok", false);
	ctl_pack_int(&pk, "code", code);
	ctl_pack_str(&pk, "error", text);
	ctl_reply(rq, &out);
}

static void dispatch(struct ctl_req *rq, const msgpack_object *req)
{
	char op[32];
	if (!msg_get_cstr(req, "op", op, sizeof op)) {
		ctl_reply_error(rq, GL_EPROTO, "request without \"op\"");
		return;
	}
	for (const struct ctl_op *o = rq->cl->ctl->ops; o->name; o++)
		if (!strcmp(o->name, op)) {
			o->fn(rq, req);
			return;
		}
	char text[96];
	snprintf(text, sizeof text, "unknown operation \"%s\"", op);
	ctl_reply_error(rq, GL_EPROTO, text);
}

static void process(struct ctl_client *cl)
{
	while (!cl->closing && cl->inflight < CTL_INFLIGHT) {
		size_t total;
		int rc = msg_peek(cl->in.data, cl->in.len, MSG_MAX, &total);
		if (rc < 0) {
			log_warn("ctl-refused", "reason=oversized-message");
			client_close(cl);
			return;
		}
		if (rc == 0)
			break;
		struct ctl_req *rq = gl_xcalloc(1, sizeof *rq);
		rq->cl = cl;
		if (cl->tail)
			cl->tail->next = rq;
		else
			cl->head = rq;
		cl->tail = rq;
		cl->inflight++;
		msgpack_zone zone;
		msgpack_zone_init(&zone, 4096);
		msgpack_object req;
		struct gl_error err;
		/* handlers copy what they keep: the zone and the bytes go now */
		if (msg_decode(cl->in.data + 4, total - 4, &zone, &req, &err) != 0)
			ctl_reply_error(rq, GL_EPROTO, err.msg);
		else
			dispatch(rq, &req);
		msgpack_zone_destroy(&zone);
		gl_buf_consume(&cl->in, total);
	}
	/* read on only while another request may start */
	set_reading(cl, !cl->closing && cl->inflight < CTL_INFLIGHT);
}

static bool peer_allowed(uv_pipe_t *p)
{
	uv_os_fd_t fd;
	struct ucred cred;
	socklen_t len = sizeof cred;
	if (uv_fileno((uv_handle_t *)p, &fd) != 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return false;
	return cred.uid == geteuid() || cred.uid == 0;
}

static void on_connection(uv_stream_t *server, int status)
{
	struct ctl *c = server->data;
	if (status < 0)
		return;
	struct ctl_client *cl = gl_xcalloc(1, sizeof *cl);
	cl->ctl = c;
	uv_pipe_init(c->node->loop, &cl->pipe, 0);
	cl->pipe.data = cl;
	cl->next = c->clients;
	if (c->clients)
		c->clients->prev = cl;
	c->clients = cl;
	if (uv_accept(server, (uv_stream_t *)&cl->pipe) != 0) {
		client_close(cl);
		return;
	}
	if (!peer_allowed(&cl->pipe)) {
		log_warn("ctl-refused", "reason=foreign-uid");
		client_close(cl);
		return;
	}
	set_reading(cl, true);
}

int ctl_start(struct node *n, const struct ctl_op *ops, struct gl_error *err)
{
	struct ctl *c = gl_xcalloc(1, sizeof *c);
	c->node = n;
	c->ops = ops;
	n->ctl = c;
	int rc = paths_join(c->path, n->data, "gilded.sock", err);
	if (rc)
		return rc;
	if (strlen(c->path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return gl_errorf(err, GL_ELIMIT,
		                 "%s: control socket path too long for a Unix socket (at most "
		                 "107 bytes); pick a shorter --data", c->path);
	unlink(c->path); /* stale: we hold the data directory's lock */
	uv_pipe_init(n->loop, &c->server, 0);
	c->server.data = c;
	mode_t old = umask(0177); /* the socket file is born 0600 */
	int urc = uv_pipe_bind(&c->server, c->path);
	umask(old);
	if (urc == 0)
		urc = uv_listen((uv_stream_t *)&c->server, 16, on_connection);
	if (urc != 0)
		return gl_errorf(err, GL_EIO, "%s: cannot listen: %s", c->path, uv_strerror(urc));
	chmod(c->path, 0600);
	c->listening = true;
	return 0;
}

void ctl_close(struct node *n)
{
	struct ctl *c = n->ctl;
	if (!c)
		return;
	if (c->listening) {
		uv_close((uv_handle_t *)&c->server, NULL);
		unlink(c->path);
		c->listening = false;
	}
	for (struct ctl_client *cl = c->clients, *next; cl; cl = next) {
		next = cl->next;
		client_close(cl);
	}
}

void ctl_free(struct node *n)
{
	free(n->ctl);
	n->ctl = NULL;
}

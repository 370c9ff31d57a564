/*
 * ctl.h — the control socket, DATA/gilded.sock (mode 0600).
 *
 * gilde sends requests, msg.h messages {"op": NAME, ...}; the daemon
 * answers each with one message {"ok": true, ...} or {"ok": false, "code":
 * N, "error": TEXT}, in the order the requests came.  A client may have two
 * requests in flight (an import keeps one batch being verified while the
 * one before is committed); beyond that the daemon stops reading from it.  Only processes of our own uid
 * (or root) may connect: the kernel's SO_PEERCRED says who is calling.
 * proto/PROTOCOL.md ("Control socket") lists every operation.
 *
 * So a client can never make the daemon hold more than two requests.
 */
#ifndef GILDE_CTL_H
#define GILDE_CTL_H

#include <msgpack.h>

#include "proto/alloc.h"
#include "proto/err.h"
#include "daemon/node.h"

struct ctl_req;

struct ctl_op;

/* Bind and listen on DATA/gilded.sock (replacing a stale socket: the
 * caller holds the data directory's lock), answering the operations in
 * ops: a table ended by an entry whose name is NULL (ctl_ops.h), kept
 * for as long as the socket runs.  Returns 0, GL_ELIMIT (the path is
 * too long for a Unix socket) or GL_EIO. */
int ctl_start(struct node *n, const struct ctl_op *ops, struct gl_error *err);
/* Stop accepting and close clients (a busy one once it is answered). */
void ctl_close(struct node *n);
/* Free what ctl_start allocated, once the loop has closed every handle. */
void ctl_free(struct node *n);

/* Send the message begun in msg (msg_begin, or ctl_pack_ok: ctl_pack.h)
 * as the answer to request rq, which ends it: ctl_reply() ends the
 * message (msg_end) and takes ownership of its data. */
void ctl_reply(struct ctl_req *rq, struct gl_buf *msg);
/* Answer with {"ok": false, "code": code, "error": text}. */
void ctl_reply_error(struct ctl_req *rq, int code, const char *text);

/* The node a request was made to. */
struct node *ctl_node(struct ctl_req *rq);

/*
 * An operation: answer the request (now or later) with exactly one reply.
 * The message object lives only during the call: copy what is kept.
 */
typedef void (*ctl_op_fn)(struct ctl_req *rq, const msgpack_object *req);

/* An operation by the name a request gives as "op". */
struct ctl_op {
	const char *name;
	ctl_op_fn fn;
};

#endif

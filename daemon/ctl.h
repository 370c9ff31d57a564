/*
 * ctl.h — the control socket, DATA/gilded.sock (mode 0600).
 *
 * gilde sends one request at a time, a msg.h message {"op": NAME, ...};
 * the daemon answers each with one message {"ok": true, ...} or
 * {"ok": false, "code": N, "error": TEXT}.  Only processes of our own uid
 * (or root) may connect: the kernel's SO_PEERCRED says who is calling.
 * proto/PROTOCOL.md ("Control socket") lists every operation.
 *
 * While a request is handled the client's reading is paused, so a client
 * can never queue more than one request's worth of memory.
 */
#ifndef GILDE_CTL_H
#define GILDE_CTL_H

#include <msgpack.h>

#include "alloc.h"
#include "err.h"
#include "node.h"

struct ctl_client;

/* Bind and listen on DATA/gilded.sock (replacing a stale socket: the
 * caller holds the data directory's lock).  Returns 0 or GL_EIO. */
int ctl_start(struct node *n, struct gl_error *err);
/* Stop accepting and close clients (a busy one once it is answered). */
void ctl_close(struct node *n);
/* Free what ctl_start allocated, once the loop has closed every handle. */
void ctl_free(struct node *n);

/* Send the message in msg (built with msg_begin/msg_end; ownership of its
 * data passes to ctl) as the answer to the client's current request. */
void ctl_reply(struct ctl_client *cl, struct gl_buf *msg);
/* Answer with {"ok": false, "code": code, "error": text}. */
void ctl_reply_error(struct ctl_client *cl, int code, const char *text);

/* The node of a client. */
struct node *ctl_node(struct ctl_client *cl);

/* An operation: answer the request (now or later) with exactly one reply. */
typedef void (*ctl_op_fn)(struct ctl_client *cl, const msgpack_object *req);

#endif

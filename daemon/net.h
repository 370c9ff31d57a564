/*
 * net.h — the TCP side of the daemon: the listener peers connect to.
 */
#ifndef GILDE_NET_H
#define GILDE_NET_H

#include "err.h"
#include "node.h"

/* Bind and listen on [node] listen; fills n->listen_addr with the address
 * actually bound (port 0 resolved).  Returns 0 or GL_EIO / GL_ECONFIG. */
int net_start(struct node *n, struct gl_error *err);
/* Stop accepting and close every connection. */
void net_close(struct node *n);
/* Free what net_start allocated, after the loop closed every handle. */
void net_free(struct node *n);

#endif

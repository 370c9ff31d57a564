/*
 * attack.h — what the modes of the attack tool share (attack_net.c): the
 * tool's parts are attack.c (main, the first modes, export files),
 * attack_peer.c (attacks of a peer that holds the network key, issue 24)
 * and attack_slots.c (attacks on connection slots: TCP and HTTP).  Every
 * mode prints one JSON object on stdout and is bounded in time.
 */
#ifndef GILDE_ATTACK_H
#define GILDE_ATTACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/alloc.h"
#include "proto/frame.h"

/* A TCP connection to host:port from source address src (NULL: any);
 * the socket, or -1. */
int att_dial(const char *host, int port, const char *src);
/* True if the peer closed fd (EOF or reset) within ms milliseconds;
 * whatever it sends meanwhile is read and dropped. */
bool att_closed_within(int fd, int ms);
int att_write_all(int fd, const void *p, size_t n);
/* Read exactly n bytes within ms milliseconds: 0, or -1. */
int att_read_exact(int fd, void *p, size_t n, int ms);
/* Read and drop whatever fd has to read now, without waiting. */
void att_drain(int fd);
/* Close fd without losing what is still on its way: a socket closed with
 * unread bytes sends a reset and drops what it had yet to send, records a
 * victim reading at its budget's pace had not read yet.  So: FIN, read
 * until the victim closes too (120 s at most), then close. */
void att_close_gently(int fd);

/* A link that completed the handshake, with a fresh key of its own. */
struct att_link {
	int fd;
	struct frame_tx tx;
	struct frame_rx rx;
	struct gl_buf in;       /* bytes read, not yet opened */
	uint64_t bytes_in;
	uint8_t sk[64], pk[32];
	uint8_t recon_key[32];
};

struct wire_msg;
/* Wait up to ms for bytes, read all there are, and call fn for each whole
 * message (fn may be NULL).  0, or -1 once the victim closed the link. */
int att_read_msgs(struct att_link *l, int ms, void (*fn)(void *arg, const struct wire_msg *m),
                  void *arg);

/* Handshake on l->fd with a fresh key, then send HELLO announcing the
 * given endpoints.  0, or -1. */
int att_handshake(struct att_link *l, const uint8_t netkey[32], const char *const *endpoints,
                  unsigned nendpoints);
/* Dial from src and handshake (att_handshake) with the network key in
 * its text form.  0, or -1 with nothing open. */
int att_peer_open(struct att_link *l, const char *host, int port, const char *src,
                  const char *netkey_text, const char *const *endpoints, unsigned nendpoints);
/* Seal and send one message (a frame's plaintext).  0, or -1. */
int att_send_msg(struct att_link *l, const struct gl_buf *m);
/* Send n envelopes (lens[i] bytes each, one after another in envs) in
 * RECORDS messages of up to 512, draining what the victim sends. */
int att_send_records(struct att_link *l, const struct gl_buf *envs, const size_t *lens, size_t n);

/* attack_peer.c: `attack peer HOST PORT SRC NETKEY MODE [ARG [ARG2]]`
 * for the modes attack.c does not know ("" for an argument not given); 2
 * for an unknown mode. */
int att_peer_mode(const char *host, int port, const char *src, const char *netkey,
                  const char *mode, const char *arg, const char *arg2);
/* attack_slots.c: `attack squat|slowloris|hellos …`; 2 for an unknown one. */
int att_slots_main(int argc, char **argv);

#endif
